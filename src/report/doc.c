/*
 * doc.c - the report as a document model, and its HTML and Markdown renderings.
 *
 * The pipeline adds blocks in reading order (headings, paragraphs, headline figures, typed
 * tables, charts); the renderers walk the list once.  Everything added is copied into an
 * arena owned by the document, so callers can free their arrays right after adding a chart,
 * and one rn_doc_free releases it all.  Table cells live in one growable array per table.
 *
 * The HTML is a single file meant to be mailed around and printed: inline CSS with print
 * rules, inline SVG, no script, fonts or links to anything outside.  It is written as
 * polyglot markup (every element closed, only the five XML entities), so both an HTML parser
 * and an XML parser accept it; the tests check it with xmllint.
 */
#include "report/report_internal.h"

#include <errno.h>
#include <math.h>
#include <stdalign.h>
#include <string.h>

/* ---- Arena ----------------------------------------------------------------------------- */

typedef struct chunk {
	struct chunk *next;
	size_t used, cap;
	alignas(16) unsigned char data[];
} chunk;

typedef struct arena {
	chunk *head;
} arena;

static void *arena_alloc(arena *a, size_t size)
{
	size = (size + 15) & ~(size_t)15;
	if (!a->head || a->head->cap - a->head->used < size) {
		size_t cap = size > 65536 ? size : 65536;
		chunk *c = rn_malloc(sizeof *c + cap);
		if (!c)
			return NULL;
		c->next = a->head;
		c->used = 0;
		c->cap = cap;
		a->head = c;
	}
	void *p = a->head->data + a->head->used;
	a->head->used += size;
	return p;
}

static void arena_free(arena *a)
{
	while (a->head) {
		chunk *next = a->head->next;
		rn_free(a->head);
		a->head = next;
	}
}

/* NULL stays NULL; a failed copy of a non-NULL string sets *failed. */
static const char *arena_str(arena *a, const char *s, bool *failed)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *copy = arena_alloc(a, n);
	if (!copy) {
		*failed = true;
		return NULL;
	}
	memcpy(copy, s, n);
	return copy;
}

static const double *arena_doubles(arena *a, const double *x, size_t n, bool *failed)
{
	if (!x)
		return NULL;
	if (n > SIZE_MAX / sizeof *x) {
		*failed = true;
		return NULL;
	}
	double *copy = arena_alloc(a, n * sizeof *x);
	if (!copy) {
		*failed = true;
		return NULL;
	}
	memcpy(copy, x, n * sizeof *x);
	return copy;
}

/* ---- Blocks ---------------------------------------------------------------------------- */

enum block_kind { B_HEADING, B_PARAGRAPH, B_FIGURE, B_TABLE, B_CHART };

typedef struct block {
	enum block_kind kind;
	const char *text; /* heading, paragraph, figure label, table caption */
	const char *note; /* figure */
	double value;	  /* figure */
	rn_col_type type; /* figure */
	size_t ncols;	  /* table */
	const char **names;
	rn_col_type *types;
	rn_cell *cells; /* rows * ncols, texts in the arena */
	size_t rows, cell_cap;
	rn_chart *chart;
} block;

struct rn_doc {
	arena mem;
	const char *title;
	const char *footer;
	block *blocks;
	size_t count, cap;
};

int rn_doc_new(rn_doc **out, const char *title)
{
	*out = NULL;
	rn_doc *doc = rn_calloc(1, sizeof *doc);
	if (!doc)
		return RN_ENOMEM;
	bool failed = false;
	doc->title = arena_str(&doc->mem, title ? title : "refnet report", &failed);
	if (failed) {
		rn_doc_free(doc);
		return RN_ENOMEM;
	}
	*out = doc;
	return RN_OK;
}

void rn_doc_free(rn_doc *doc)
{
	if (!doc)
		return;
	for (size_t i = 0; i < doc->count; i++)
		rn_free(doc->blocks[i].cells);
	rn_free(doc->blocks);
	arena_free(&doc->mem);
	rn_free(doc);
}

static block *new_block(rn_doc *doc, enum block_kind kind)
{
	if (rn_grow((void **)&doc->blocks, &doc->cap, doc->count + 1, sizeof *doc->blocks))
		return NULL;
	block *b = &doc->blocks[doc->count];
	memset(b, 0, sizeof *b);
	b->kind = kind;
	return b;
}

static int text_block(rn_doc *doc, enum block_kind kind, const char *text)
{
	block *b = new_block(doc, kind);
	if (!b)
		return RN_ENOMEM;
	bool failed = false;
	b->text = arena_str(&doc->mem, text ? text : "", &failed);
	if (failed)
		return RN_ENOMEM;
	doc->count++;
	return RN_OK;
}

int rn_doc_heading(rn_doc *doc, const char *text)
{
	return text_block(doc, B_HEADING, text);
}

int rn_doc_paragraph(rn_doc *doc, const char *text)
{
	return text_block(doc, B_PARAGRAPH, text);
}

int rn_doc_footer(rn_doc *doc, const char *text)
{
	bool failed = false;
	doc->footer = arena_str(&doc->mem, text, &failed);
	return failed ? RN_ENOMEM : RN_OK;
}

int rn_doc_figure(rn_doc *doc, const char *label, double value, rn_col_type type, const char *note)
{
	block *b = new_block(doc, B_FIGURE);
	if (!b)
		return RN_ENOMEM;
	bool failed = false;
	b->text = arena_str(&doc->mem, label ? label : "", &failed);
	b->note = arena_str(&doc->mem, note, &failed);
	b->value = value;
	b->type = type;
	if (failed)
		return RN_ENOMEM;
	doc->count++;
	return RN_OK;
}

int rn_doc_table(rn_doc *doc, const char *caption, size_t ncols, const char *const *names,
		 const rn_col_type *types)
{
	if (ncols == 0 || ncols > 256 || !names || !types)
		return RN_EINTERNAL;
	block *b = new_block(doc, B_TABLE);
	if (!b)
		return RN_ENOMEM;
	bool failed = false;
	b->text = arena_str(&doc->mem, caption, &failed);
	b->ncols = ncols;
	b->names = arena_alloc(&doc->mem, ncols * sizeof *b->names);
	b->types = arena_alloc(&doc->mem, ncols * sizeof *b->types);
	if (!b->names || !b->types)
		return RN_ENOMEM;
	for (size_t i = 0; i < ncols; i++) {
		b->names[i] = arena_str(&doc->mem, names[i] ? names[i] : "", &failed);
		b->types[i] = types[i];
	}
	if (failed)
		return RN_ENOMEM;
	doc->count++;
	return RN_OK;
}

int rn_doc_row(rn_doc *doc, const rn_cell *cells)
{
	if (doc->count == 0 || doc->blocks[doc->count - 1].kind != B_TABLE)
		return RN_EINTERNAL;
	block *b = &doc->blocks[doc->count - 1];
	size_t need = (b->rows + 1) * b->ncols;
	if (rn_grow((void **)&b->cells, &b->cell_cap, need, sizeof *b->cells))
		return RN_ENOMEM;
	bool failed = false;
	rn_cell *row = &b->cells[b->rows * b->ncols];
	for (size_t i = 0; i < b->ncols; i++) {
		row[i].number = cells[i].number;
		row[i].text =
		    b->types[i] == RN_COL_TEXT
			? arena_str(&doc->mem, cells[i].text ? cells[i].text : "", &failed)
			: NULL;
	}
	if (failed)
		return RN_ENOMEM;
	b->rows++;
	return RN_OK;
}

int rn_doc_chart(rn_doc *doc, const rn_chart *chart)
{
	rn_error err;
	if (rn_chart_validate(chart, &err))
		return RN_EINTERNAL;
	for (size_t i = 0; i < doc->count; i++)
		if (doc->blocks[i].kind == B_CHART && !strcmp(doc->blocks[i].chart->id, chart->id))
			return RN_EINTERNAL; /* ids name files and SVG elements: unique */
	block *b = new_block(doc, B_CHART);
	if (!b)
		return RN_ENOMEM;
	arena *a = &doc->mem;
	bool failed = false;
	rn_chart *c = arena_alloc(a, sizeof *c);
	rn_series *series = arena_alloc(a, chart->series_count * sizeof *series);
	const char **categories =
	    chart->category_count ? arena_alloc(a, chart->category_count * sizeof(char *)) : NULL;
	if (!c || !series || (chart->category_count && !categories))
		return RN_ENOMEM;
	*c = *chart;
	c->id = arena_str(a, chart->id, &failed);
	c->title = arena_str(a, chart->title, &failed);
	c->desc = arena_str(a, chart->desc, &failed);
	c->x_label = arena_str(a, chart->x_label, &failed);
	c->y_label = arena_str(a, chart->y_label, &failed);
	for (int q = 0; q < 4; q++)
		c->quadrant_labels[q] = arena_str(a, chart->quadrant_labels[q], &failed);
	for (size_t i = 0; i < chart->category_count; i++)
		categories[i] = arena_str(a, chart->categories[i], &failed);
	c->categories = categories;
	for (size_t s = 0; s < chart->series_count; s++) {
		series[s] = chart->series[s];
		series[s].name = arena_str(a, chart->series[s].name, &failed);
		series[s].x = arena_doubles(a, chart->series[s].x, series[s].count, &failed);
		series[s].y = arena_doubles(a, chart->series[s].y, series[s].count, &failed);
	}
	c->series = series;
	if (chart->kind == RN_CHART_HISTOGRAM)
		c->bin_edges =
		    arena_doubles(a, chart->bin_edges, chart->series[0].count + 1, &failed);
	if (failed)
		return RN_ENOMEM;
	b->chart = c;
	doc->count++;
	return RN_OK;
}

/* ---- Cell formatting ------------------------------------------------------------------- */

/* "-0.0" and friends become "0.0": a sign on a rounded zero only confuses readers. */
static void drop_negative_zero(char *buf)
{
	if (buf[0] != '-')
		return;
	for (const char *p = buf + 1; *p; p++)
		if (*p >= '1' && *p <= '9')
			return;
	memmove(buf, buf + 1, strlen(buf));
}

static void thousands(char *buf, size_t cap, const char *digits)
{
	/* digits: optional '-', integer part, optional fraction */
	const char *sign = digits[0] == '-' ? "-" : "";
	const char *p = digits + (sign[0] != 0);
	size_t int_len = strcspn(p, ".");
	size_t used = (size_t)snprintf(buf, cap, "%s", sign);
	for (size_t i = 0; i < int_len && used + 2 < cap; i++) {
		if (i && (int_len - i) % 3 == 0)
			buf[used++] = ',';
		buf[used++] = p[i];
	}
	buf[used] = '\0';
	if (used < cap)
		snprintf(buf + used, cap - used, "%s", p + int_len);
}

void rn_format_cell(char *buf, size_t cap, double x, rn_col_type type)
{
	char raw[64];
	if (type == RN_COL_TEXT) {
		snprintf(buf, cap, "%s", "");
		return;
	}
	if (!isfinite(x)) {
		snprintf(buf, cap, "n/a");
		return;
	}
	switch (type) {
	case RN_COL_INTEGER:
		snprintf(raw, sizeof raw, "%.0f", x);
		break;
	case RN_COL_DECIMAL:
		if (fabs(x) >= 1e4)
			snprintf(raw, sizeof raw, "%.0f", x);
		else
			snprintf(raw, sizeof raw, "%.4g", x);
		break;
	case RN_COL_MONEY: {
		char plain[64];
		snprintf(plain, sizeof plain, "%.2f", x);
		drop_negative_zero(plain);
		thousands(raw, sizeof raw, plain);
		break;
	}
	case RN_COL_PERCENT:
		snprintf(raw, sizeof raw, "%.1f", x * 100);
		drop_negative_zero(raw);
		snprintf(buf, cap, "%s%%", raw);
		return;
	case RN_COL_RATIO:
		snprintf(raw, sizeof raw, "%.2f", x);
		drop_negative_zero(raw);
		snprintf(buf, cap, "%sx", raw);
		return;
	default:
		snprintf(raw, sizeof raw, "%.17g", x);
	}
	drop_negative_zero(raw);
	snprintf(buf, cap, "%s", raw);
}

/* ---- HTML ------------------------------------------------------------------------------ */

static const char css[] =
    ":root{color-scheme:light}\n"
    "body{margin:0;background:#ffffff;color:#1a1a1a;font:16px/1.5 system-ui,-apple-system,"
    "\"Segoe UI\",Roboto,\"DejaVu Sans\",Arial,sans-serif}\n"
    "main{max-width:60rem;margin:0 auto;padding:1.5rem}\n"
    "h1{font-size:1.8rem;margin:0 0 1rem}\n"
    "h2{font-size:1.3rem;margin:2rem 0 .75rem;border-bottom:1px solid #cccccc;"
    "padding-bottom:.25rem}\n"
    ".figures{display:flex;flex-wrap:wrap;gap:.75rem;margin:1rem 0}\n"
    ".figure{flex:1 1 11rem;border:1px solid #cccccc;border-radius:4px;padding:.6rem .8rem}\n"
    ".figure .value{font-size:1.5rem;font-weight:bold}\n"
    ".figure .label{font-size:.9rem}\n"
    ".figure .note{font-size:.8rem;color:#555555}\n"
    "table{border-collapse:collapse;margin:1rem 0;font-size:.9rem;width:100%}\n"
    "caption{text-align:left;font-weight:bold;padding:.25rem 0}\n"
    "th,td{border-bottom:1px solid #dddddd;padding:.3rem .5rem;text-align:left;"
    "vertical-align:top}\n"
    "th{border-bottom:2px solid #555555}\n"
    ".num{text-align:right;font-variant-numeric:tabular-nums}\n"
    "figure.chart{margin:1.5rem 0}\n"
    "figure.chart svg{width:100%;max-width:60rem;height:auto;display:block}\n"
    "figcaption{font-size:.85rem;color:#444444}\n"
    "footer{margin-top:2rem;font-size:.8rem;color:#555555}\n"
    "@page{margin:15mm}\n"
    "@media print{body{font-size:10pt}main{max-width:none;padding:0}"
    "h2{break-after:avoid}table,figure.chart,.figures{break-inside:avoid}"
    ".figure{border-color:#999999}}\n";

static bool numeric(rn_col_type t)
{
	return t != RN_COL_TEXT;
}

static int html_chart(FILE *out, const rn_chart *ch, rn_error *err)
{
	fprintf(out, "<figure class=\"chart\" id=\"chart-%s\">\n", ch->id);
	int status = rn_chart_write_svg(ch, out, false, err);
	if (status)
		return status;
	fputs("<figcaption>", out);
	rn_xml_text(out, ch->desc);
	fprintf(out, " Data: %s.csv.</figcaption>\n</figure>\n", ch->id);
	return RN_OK;
}

int rn_doc_write_html(const rn_doc *doc, FILE *out, rn_error *err)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
	      "<title>",
	      out);
	rn_xml_text(out, doc->title);
	fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n<h1>", css);
	rn_xml_text(out, doc->title);
	fputs("</h1>\n", out);
	char value[64];
	for (size_t i = 0; i < doc->count; i++) {
		const block *b = &doc->blocks[i];
		switch (b->kind) {
		case B_HEADING:
			fputs("<h2>", out);
			rn_xml_text(out, b->text);
			fputs("</h2>\n", out);
			break;
		case B_PARAGRAPH:
			fputs("<p>", out);
			rn_xml_text(out, b->text);
			fputs("</p>\n", out);
			break;
		case B_FIGURE:
			if (i == 0 || doc->blocks[i - 1].kind != B_FIGURE)
				fputs("<div class=\"figures\">\n", out);
			rn_format_cell(value, sizeof value, b->value, b->type);
			fputs("<div class=\"figure\"><div class=\"value\">", out);
			rn_xml_text(out, value);
			fputs("</div><div class=\"label\">", out);
			rn_xml_text(out, b->text);
			fputs("</div>", out);
			if (b->note) {
				fputs("<div class=\"note\">", out);
				rn_xml_text(out, b->note);
				fputs("</div>", out);
			}
			fputs("</div>\n", out);
			if (i + 1 == doc->count || doc->blocks[i + 1].kind != B_FIGURE)
				fputs("</div>\n", out);
			break;
		case B_TABLE:
			fputs("<table>\n", out);
			if (b->text) {
				fputs("<caption>", out);
				rn_xml_text(out, b->text);
				fputs("</caption>\n", out);
			}
			fputs("<thead><tr>", out);
			for (size_t c = 0; c < b->ncols; c++) {
				fprintf(out, "<th scope=\"col\"%s>",
					numeric(b->types[c]) ? " class=\"num\"" : "");
				rn_xml_text(out, b->names[c]);
				fputs("</th>", out);
			}
			fputs("</tr></thead>\n<tbody>\n", out);
			for (size_t r = 0; r < b->rows; r++) {
				fputs("<tr>", out);
				for (size_t c = 0; c < b->ncols; c++) {
					const rn_cell *cell = &b->cells[r * b->ncols + c];
					if (!numeric(b->types[c])) {
						fputs("<td>", out);
						rn_xml_text(out, cell->text);
					} else {
						rn_format_cell(value, sizeof value, cell->number,
							       b->types[c]);
						fputs("<td class=\"num\">", out);
						rn_xml_text(out, value);
					}
					fputs("</td>", out);
				}
				fputs("</tr>\n", out);
			}
			fputs("</tbody>\n</table>\n", out);
			break;
		case B_CHART: {
			int status = html_chart(out, b->chart, err);
			if (status)
				return status;
			break;
		}
		}
	}
	if (doc->footer) {
		fputs("<footer>", out);
		rn_xml_text(out, doc->footer);
		fputs("</footer>\n", out);
	}
	fputs("</main>\n</body>\n</html>\n", out);
	if (fflush(out) || ferror(out))
		return rn_error_set(err, RN_EIO, "report.html", 0, 0, "write failed: %s",
				    strerror(errno));
	return RN_OK;
}

/* ---- Markdown -------------------------------------------------------------------------- */

/* Inline Markdown text: characters that would start markup are backslash-escaped, line
 * breaks inside a table cell become spaces. */
static void md_text(FILE *out, const char *s, bool in_table)
{
	if (!s)
		return;
	for (const char *p = s; *p; p++) {
		if (strchr("\\`*_[]<>|#", *p))
			fputc('\\', out);
		if (in_table && (*p == '\n' || *p == '\r')) {
			fputc(' ', out);
			continue;
		}
		fputc(*p, out);
	}
}

int rn_doc_write_md(const rn_doc *doc, FILE *out, rn_error *err)
{
	char value[64];
	fputs("# ", out);
	md_text(out, doc->title, true);
	fputs("\n", out);
	for (size_t i = 0; i < doc->count; i++) {
		const block *b = &doc->blocks[i];
		switch (b->kind) {
		case B_HEADING:
			fputs("\n## ", out);
			md_text(out, b->text, true);
			fputs("\n", out);
			break;
		case B_PARAGRAPH:
			fputs("\n", out);
			md_text(out, b->text, false);
			fputs("\n", out);
			break;
		case B_FIGURE:
			if (i == 0 || doc->blocks[i - 1].kind != B_FIGURE)
				fputs("\n", out);
			rn_format_cell(value, sizeof value, b->value, b->type);
			fputs("- **", out);
			md_text(out, b->text, true);
			fprintf(out, ":** %s", value);
			if (b->note) {
				fputs(" (", out);
				md_text(out, b->note, true);
				fputs(")", out);
			}
			fputs("\n", out);
			break;
		case B_TABLE:
			fputs("\n", out);
			if (b->text) {
				fputs("**", out);
				md_text(out, b->text, true);
				fputs("**\n\n", out);
			}
			fputs("|", out);
			for (size_t c = 0; c < b->ncols; c++) {
				fputs(" ", out);
				md_text(out, b->names[c], true);
				fputs(" |", out);
			}
			fputs("\n|", out);
			for (size_t c = 0; c < b->ncols; c++)
				fputs(numeric(b->types[c]) ? " ---: |" : " --- |", out);
			fputs("\n", out);
			for (size_t r = 0; r < b->rows; r++) {
				fputs("|", out);
				for (size_t c = 0; c < b->ncols; c++) {
					const rn_cell *cell = &b->cells[r * b->ncols + c];
					fputs(" ", out);
					if (numeric(b->types[c])) {
						rn_format_cell(value, sizeof value, cell->number,
							       b->types[c]);
						fputs(value, out);
					} else {
						md_text(out, cell->text, true);
					}
					fputs(" |", out);
				}
				fputs("\n", out);
			}
			break;
		case B_CHART:
			fputs("\n![", out);
			md_text(out, b->chart->title, true);
			fprintf(out, "](%s.svg)\n\n", b->chart->id);
			md_text(out, b->chart->desc, false);
			fprintf(out, " Data: [%s.csv](%s.csv).\n", b->chart->id, b->chart->id);
			break;
		}
	}
	if (doc->footer) {
		fputs("\n---\n\n", out);
		md_text(out, doc->footer, false);
		fputs("\n", out);
	}
	if (fflush(out) || ferror(out))
		return rn_error_set(err, RN_EIO, "report.md", 0, 0, "write failed: %s",
				    strerror(errno));
	return RN_OK;
}

int rn_doc_write_chart_files(const rn_doc *doc, rn_outdir *dir, rn_error *err)
{
	for (size_t i = 0; i < doc->count; i++) {
		if (doc->blocks[i].kind != B_CHART)
			continue;
		const rn_chart *ch = doc->blocks[i].chart;
		for (int pass = 0; pass < 2; pass++) {
			char name[96];
			snprintf(name, sizeof name, "%s.%s", ch->id, pass ? "csv" : "svg");
			FILE *f;
			int status = rn_outdir_open(dir, name, &f, err);
			if (status)
				return status;
			status = pass ? rn_chart_write_csv(ch, f, err)
				      : rn_chart_write_svg(ch, f, true, err);
			int closed = rn_outdir_close(dir, name, f, status ? NULL : err);
			if (status)
				return status;
			if (closed)
				return closed;
		}
	}
	return RN_OK;
}
