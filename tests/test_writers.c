/*
 * test_writers.c - numbers that round-trip, the JSON and CSV writers, table cell formats, the
 * document rendered to HTML and Markdown (compared with golden files under
 * tests/data/report/, and the HTML checked for well-formedness and self-containment), and
 * the atomic report folder: a commit replaces a previous report in one step, a failure leaves
 * no folder and never touches an existing one.
 *
 * RN_UPDATE_GOLDEN=1 rewrites the golden files instead of comparing (review the diff).
 */
#include <refnet/report.h>

#include "check.h"
#include "xml_check.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

static char *slurp(FILE *f)
{
	fflush(f);
	long n = ftell(f);
	rewind(f);
	char *text = calloc(1, (size_t)n + 1);
	CHECK(fread(text, 1, (size_t)n, f) == (size_t)n);
	return text;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	char *text = slurp(f);
	fclose(f);
	return text;
}

static void test_format_double(void)
{
	char buf[RN_NUMBER_MAX];
	/* the shortest form that reads back exactly */
	rn_format_double(buf, 0.1);
	CHECK_STR(buf, "0.1");
	rn_format_double(buf, 0.85);
	CHECK_STR(buf, "0.85");
	rn_format_double(buf, 1.0 / 3.0);
	CHECK_STR(buf, "0.3333333333333333");
	rn_format_double(buf, 0.1 + 0.2);
	CHECK_STR(buf, "0.30000000000000004");
	rn_format_double(buf, 1e300);
	CHECK_STR(buf, "1e+300");
	rn_format_double(buf, -2.5);
	CHECK_STR(buf, "-2.5");
	rn_format_double(buf, -0.0);
	CHECK_STR(buf, "0");
	rn_format_double(buf, 5e-324);
	CHECK_STR(buf, "4.94065645841247e-324"); /* 15 digits already read back */
	rn_format_double(buf, 123456789012345678.0);
	CHECK_STR(buf, "1.2345678901234568e+17");
	rn_format_double(buf, NAN);
	CHECK_STR(buf, "");
	rn_format_double(buf, -INFINITY);
	CHECK_STR(buf, "");
	/* round trip over many magnitudes */
	uint64_t state = 88172645463325252ull;
	for (int i = 0; i < 20000; i++) {
		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		double x;
		memcpy(&x, &state, sizeof x);
		if (!isfinite(x))
			continue;
		rn_format_double(buf, x);
		if (strtod(buf, NULL) != x && x != 0) {
			CHECK(0);
			break;
		}
	}
}

/* The rule rn_format_double implements, done literally: the first of "%.15g", "%.16g" and
 * "%.17g" that strtod reads back to x (zero and non-finite values: test_format_double). */
static void literal_format(char *buf, double x)
{
	if (!isfinite(x) || x == 0) {
		rn_format_double(buf, x);
		return;
	}
	for (int digits = 15; digits <= 17; digits++) {
		snprintf(buf, RN_NUMBER_MAX, "%.*g", digits, x);
		if (digits == 17 || strtod(buf, NULL) == x)
			return;
	}
}

static uint64_t xorshift(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/* rn_format_double takes the digits from one "%.16e" and decides most round trips without
 * strtod: it must give the literal rule's bytes on every kind of double: random bit patterns
 * (every exponent, subnormals), values drawn uniformly from [0, 1) and from scores' ranges,
 * short decimals (k / 10^j: 15-digit forms), their neighbours one ulp away, the doubles
 * around powers of two and of ten, and values whose dropped digits are exactly 5 or 50. */
static void test_format_double_rule(void)
{
	char got[RN_NUMBER_MAX], want[RN_NUMBER_MAX];
	uint64_t state = 0x9e3779b97f4a7c15ull, mismatches = 0, tried = 0;
	for (int i = 0; i < 1500000; i++) {
		uint64_t r = xorshift(&state);
		double x;
		switch (i % 6) {
		case 0:
			memcpy(&x, &r, sizeof x);
			break;
		case 1:
			x = (double)(r >> 11) * 0x1p-53;
			break;
		case 2:
			x = ldexp((double)(r >> 11) * 0x1p-53, (int)(r % 80) - 40);
			break;
		case 3:
			x = (double)(r % 100000000) / pow(10.0, (double)(r >> 60));
			break;
		case 4: {
			double base = (double)(r % 1000000) / 1000.0;
			x = nextafter(base, (r >> 63) ? INFINITY : -INFINITY);
			break;
		}
		default: {
			double p = (r & 1) ? ldexp(1.0, (int)(r % 2000) - 1000)
					   : pow(10.0, (double)((int)(r % 600) - 300));
			x = (r >> 62) == 0   ? p
			    : (r >> 62) == 1 ? nextafter(p, 0)
					     : nextafter(p, INFINITY);
			break;
		}
		}
		if ((r >> 32) & 1)
			x = -x;
		rn_format_double(got, x);
		literal_format(want, x);
		tried++;
		if (strcmp(got, want) != 0 && mismatches++ < 5)
			fprintf(stderr, "format %.17g: got %s, want %s\n", x, got, want);
	}
	/* Exact midpoints in the last dropped digits: 0.5 and 0.05 units of the 16th / 15th. */
	const double ties[] = {1.0000000000000005,
			       1.00000000000000050,
			       0.123456789012345650,
			       2.5e-300,
			       9.9999999999999995,
			       999999999999999.5,
			       1e16 + 2,
			       4503599627370496.5,
			       0.30000000000000004,
			       1.7976931348623157e308,
			       2.2250738585072014e-308,
			       4.9406564584124654e-324};
	for (size_t k = 0; k < sizeof ties / sizeof ties[0]; k++)
		for (int step = -3; step <= 3; step++) {
			double x = ties[k];
			for (int s = 0; s < (step < 0 ? -step : step); s++)
				x = nextafter(x, step < 0 ? 0 : INFINITY);
			rn_format_double(got, x);
			literal_format(want, x);
			tried++;
			if (strcmp(got, want) != 0 && mismatches++ < 10)
				fprintf(stderr, "format %.17g: got %s, want %s\n", x, got, want);
		}
	CHECK(tried > 1500000);
	CHECK_INT(mismatches, 0);
}

static void test_json(void)
{
	FILE *f = tmpfile();
	rn_json json;
	rn_error err;
	rn_json_init(&json, f);
	rn_json_begin_object(&json);
	rn_json_key(&json, "name");
	rn_json_string(&json, "a \"quoted\" \\ name\n\t\x01 caf\xc3\xa9");
	rn_json_key(&json, "values");
	rn_json_begin_array(&json);
	rn_json_number(&json, 0.1);
	rn_json_number(&json, NAN);
	rn_json_number(&json, INFINITY);
	rn_json_int(&json, -3);
	rn_json_uint(&json, UINT64_MAX);
	rn_json_bool(&json, true);
	rn_json_null(&json);
	rn_json_end_array(&json);
	rn_json_key(&json, "empty");
	rn_json_begin_object(&json);
	rn_json_end_object(&json);
	rn_json_key(&json, "none");
	rn_json_string(&json, NULL);
	rn_json_end_object(&json);
	CHECK_INT(rn_json_finish(&json, "x.json", &err), RN_OK);
	char *text = slurp(f);
	fclose(f);
	CHECK_STR(text, "{\n"
			"  \"name\": \"a \\\"quoted\\\" \\\\ name\\n\\t\\u0001 caf\xc3\xa9\",\n"
			"  \"values\": [\n"
			"    0.1,\n"
			"    null,\n"
			"    null,\n"
			"    -3,\n"
			"    18446744073709551615,\n"
			"    true,\n"
			"    null\n"
			"  ],\n"
			"  \"empty\": {},\n"
			"  \"none\": null\n"
			"}\n");
	free(text);

	/* misuse is reported, not written silently */
	f = tmpfile();
	rn_json_init(&json, f);
	rn_json_begin_object(&json);
	rn_json_number(&json, 1); /* a value without a key */
	rn_json_end_object(&json);
	CHECK_INT(rn_json_finish(&json, "x.json", &err), RN_EINTERNAL);
	fclose(f);
	f = tmpfile();
	rn_json_init(&json, f);
	rn_json_begin_array(&json);
	CHECK_INT(rn_json_finish(&json, "x.json", &err), RN_EINTERNAL); /* unclosed */
	fclose(f);
	f = tmpfile();
	rn_json_init(&json, f);
	rn_json_begin_array(&json);
	rn_json_end_object(&json); /* wrong closer */
	CHECK_INT(rn_json_finish(&json, "x.json", &err), RN_EINTERNAL);
	fclose(f);
	f = tmpfile();
	rn_json_init(&json, f);
	for (int i = 0; i < RN_JSON_MAX_DEPTH + 1; i++)
		rn_json_begin_array(&json);
	CHECK_INT(rn_json_finish(&json, "x.json", &err), RN_EINTERNAL);
	fclose(f);
	/* a write error is RN_EIO */
	f = fopen("/dev/full", "w");
	if (f) {
		rn_json_init(&json, f);
		rn_json_begin_array(&json);
		for (int i = 0; i < 10000; i++)
			rn_json_number(&json, i);
		rn_json_end_array(&json);
		CHECK_INT(rn_json_finish(&json, "full.json", &err), RN_EIO);
		fclose(f);
	}
}

static void test_csv(void)
{
	FILE *f = tmpfile();
	rn_csv_writer w;
	rn_csvw_init(&w, f);
	rn_csvw_header(&w, 4, (const char *const[]){"customer", "pagerank", "clv", "note"});
	rn_csvw_text(&w, "plain");
	rn_csvw_number(&w, 0.1);
	rn_csvw_number(&w, NAN);
	rn_csvw_text(&w, "comma, \"quote\"\nnewline");
	rn_csvw_end_row(&w);
	rn_csvw_text(&w, " padded ");
	rn_csvw_number(&w, -1e-5);
	rn_csvw_uint(&w, 42);
	rn_csvw_text(&w, NULL);
	rn_csvw_end_row(&w);
	rn_csvw_int(&w, -7);
	rn_csvw_number(&w, INFINITY);
	rn_csvw_text(&w, "");
	rn_csvw_text(&w, "cr\ronly");
	rn_csvw_end_row(&w);
	char *text = slurp(f);
	fclose(f);
	CHECK_STR(text, "customer,pagerank,clv,note\n"
			"plain,0.1,,\"comma, \"\"quote\"\"\nnewline\"\n"
			"\" padded \",-1e-05,42,\n"
			"-7,,,\"cr\ronly\"\n");
	free(text);
}

static void test_cells(void)
{
	char buf[64];
	rn_format_cell(buf, sizeof buf, 1234567.891, RN_COL_MONEY);
	CHECK_STR(buf, "1,234,567.89");
	rn_format_cell(buf, sizeof buf, -1234.5, RN_COL_MONEY);
	CHECK_STR(buf, "-1,234.50");
	rn_format_cell(buf, sizeof buf, -0.001, RN_COL_MONEY);
	CHECK_STR(buf, "0.00");
	rn_format_cell(buf, sizeof buf, 999, RN_COL_MONEY);
	CHECK_STR(buf, "999.00");
	rn_format_cell(buf, sizeof buf, 0.1234, RN_COL_PERCENT);
	CHECK_STR(buf, "12.3%");
	rn_format_cell(buf, sizeof buf, -0.0001, RN_COL_PERCENT);
	CHECK_STR(buf, "0.0%");
	rn_format_cell(buf, sizeof buf, 2.345, RN_COL_RATIO);
	CHECK_STR(buf, "2.35x"); /* 2.345 is stored as 2.34500000000000019984 */
	rn_format_cell(buf, sizeof buf, 0.000123456, RN_COL_DECIMAL);
	CHECK_STR(buf, "0.0001235");
	rn_format_cell(buf, sizeof buf, 123456.7, RN_COL_DECIMAL);
	CHECK_STR(buf, "123457");
	rn_format_cell(buf, sizeof buf, 42, RN_COL_INTEGER);
	CHECK_STR(buf, "42");
	rn_format_cell(buf, sizeof buf, NAN, RN_COL_MONEY);
	CHECK_STR(buf, "n/a");
	rn_format_cell(buf, sizeof buf, INFINITY, RN_COL_DECIMAL);
	CHECK_STR(buf, "n/a");
}

/* The fixed small document behind the golden files. */
static rn_doc *sample_doc(void)
{
	rn_doc *doc;
	CHECK_INT(rn_doc_new(&doc, "Referral analysis <Q3> & more"), RN_OK);
	CHECK_INT(rn_doc_paragraph(doc, "Word of mouth brought 4 of 10 customers; the rest came "
					"from 2 campaigns. Values are in EUR, time unit: week."),
		  RN_OK);
	CHECK_INT(rn_doc_figure(doc, "Customers", 10, RN_COL_INTEGER, NULL), RN_OK);
	CHECK_INT(rn_doc_figure(doc, "Word-of-mouth multiplier", 1.375, RN_COL_RATIO,
				"(value + network value) / value"),
		  RN_OK);
	CHECK_INT(rn_doc_figure(doc, "ROI of the referral programme", 2.5, RN_COL_PERCENT, NULL),
		  RN_OK);
	CHECK_INT(rn_doc_heading(doc, "Campaigns"), RN_OK);
	const char *names[] = {"campaign", "spend", "customers", "roi_direct", "wom_multiplier"};
	rn_col_type types[] = {RN_COL_TEXT, RN_COL_MONEY, RN_COL_INTEGER, RN_COL_PERCENT,
			       RN_COL_RATIO};
	CHECK_INT(rn_doc_table(doc, "ROI per campaign", 5, names, types), RN_OK);
	rn_cell row1[] = {
	    {"spring | sale", 0}, {NULL, 12500}, {NULL, 40}, {NULL, -0.125}, {NULL, 1.2}};
	rn_cell row2[] = {{"*new* <launch>", 0}, {NULL, 0}, {NULL, 0}, {NULL, NAN}, {NULL, NAN}};
	CHECK_INT(rn_doc_row(doc, row1), RN_OK);
	CHECK_INT(rn_doc_row(doc, row2), RN_OK);
	CHECK_INT(rn_doc_heading(doc, "Influencers"), RN_OK);
	const char *customers[] = {"alice", "bob", "carol"};
	double pagerank[] = {0.42, 0.21, 0.05};
	rn_series s = {"pagerank", 3, NULL, pagerank, false, false};
	rn_chart c = {0};
	c.kind = RN_CHART_BAR;
	c.id = "top_influencers";
	c.title = "Top influencers";
	c.desc = "Customers with the highest PageRank on the referral graph.";
	c.x_label = "PageRank";
	c.y_label = "customer";
	c.category_count = 3;
	c.categories = customers;
	c.series_count = 1;
	c.series = &s;
	CHECK_INT(rn_doc_chart(doc, &c), RN_OK);
	CHECK_INT(rn_doc_chart(doc, &c), RN_EINTERNAL); /* ids are unique */
	pagerank[0] = -1;				/* the document holds its own copy */
	CHECK_INT(rn_doc_footer(doc, "refnet 0.1.0"), RN_OK);
	return doc;
}

static void compare_golden(const char *name, const char *got)
{
	const char *data = getenv("RN_TEST_DATA");
	CHECK(data != NULL);
	if (!data)
		return;
	char path[1024];
	snprintf(path, sizeof path, "%s/report/%s", data, name);
	if (getenv("RN_UPDATE_GOLDEN")) {
		FILE *f = fopen(path, "wb");
		CHECK(f != NULL);
		if (f) {
			fputs(got, f);
			fclose(f);
		}
		return;
	}
	char *want = read_file(path);
	CHECK(want != NULL);
	if (want)
		CHECK_STR(got, want);
	free(want);
}

static void test_document(void)
{
	rn_doc *doc = sample_doc();
	rn_error err;
	FILE *f = tmpfile();
	CHECK_INT(rn_doc_write_html(doc, f, &err), RN_OK);
	char *html = slurp(f);
	fclose(f);
	const char *problem = xml_check(html);
	if (problem)
		fprintf(stderr, "report.html: %s\n", problem);
	CHECK(problem == NULL);
	/* self-contained: no script, no link, nothing fetched */
	CHECK(strstr(html, "<script") == NULL);
	CHECK(strstr(html, "<link") == NULL);
	CHECK(strstr(html, "src=") == NULL);
	CHECK(strstr(html, "url(") == NULL);
	CHECK(strstr(html, "@import") == NULL);
	CHECK(strstr(html, "http://") == strstr(html, "http://www.w3.org/2000/svg"));
	CHECK_CONTAINS(html, "@media print");
	CHECK_CONTAINS(html, "<title>Referral analysis &lt;Q3&gt; &amp; more</title>");
	CHECK_CONTAINS(html, "<td class=\"num\">12,500.00</td>");
	CHECK_CONTAINS(html, "<td class=\"num\">-12.5%</td>");
	CHECK_CONTAINS(html, "<td class=\"num\">n/a</td>");
	CHECK_CONTAINS(html, "<title>alice: 0.42</title>");
	compare_golden("report.html", html);
	free(html);

	f = tmpfile();
	CHECK_INT(rn_doc_write_md(doc, f, &err), RN_OK);
	char *md = slurp(f);
	fclose(f);
	CHECK_CONTAINS(md, "| spring \\| sale | 12,500.00 | 40 | -12.5% | 1.20x |\n");
	CHECK_CONTAINS(md, "![Top influencers](top_influencers.svg)");
	compare_golden("report.md", md);
	free(md);
	rn_doc_free(doc);

	/* a row before any table, or a table without columns, is refused */
	CHECK_INT(rn_doc_new(&doc, NULL), RN_OK);
	rn_cell cell = {"x", 0};
	CHECK_INT(rn_doc_row(doc, &cell), RN_EINTERNAL);
	CHECK_INT(rn_doc_table(doc, "t", 0, NULL, NULL), RN_EINTERNAL);
	rn_doc_free(doc);
}

/* Building the document under every possible allocation failure: RN_ENOMEM, no leak. */
static void test_document_allocation_failures(void)
{
	int failures = 0;
	for (uint64_t n = 1; n < 200; n++) {
		rn_alloc_fail_at(n, 0);
		rn_doc *doc = NULL;
		int status = rn_doc_new(&doc, "t");
		const char *names[] = {"a"};
		rn_col_type types[] = {RN_COL_TEXT};
		rn_cell cell = {"x", 0};
		double y[] = {1};
		const char *cats[] = {"c"};
		rn_series s = {"s", 1, NULL, y, false, false};
		rn_chart c = {0};
		c.kind = RN_CHART_BAR;
		c.id = "c";
		c.category_count = 1;
		c.categories = cats;
		c.series_count = 1;
		c.series = &s;
		if (!status)
			status = rn_doc_heading(doc, "h");
		if (!status)
			status = rn_doc_table(doc, "t", 1, names, types);
		if (!status)
			status = rn_doc_row(doc, &cell);
		if (!status)
			status = rn_doc_chart(doc, &c);
		uint64_t used = rn_alloc_count();
		rn_alloc_fail_at(0, 0);
		rn_doc_free(doc);
		if (status == RN_OK && used < n)
			break;
		if (status) {
			CHECK_INT(status, RN_ENOMEM);
			failures++;
		}
	}
	fprintf(stderr, "document: %d allocation failures injected\n", failures);
	CHECK(failures >= 4);
}

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* Entries of dir whose name starts with prefix. */
static int count_entries(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL)
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	if (d)
		closedir(d);
	return n;
}

static int write_file(rn_outdir *dir, const char *name, const char *text)
{
	FILE *f;
	rn_error err;
	int status = rn_outdir_open(dir, name, &f, &err);
	if (status)
		return status;
	fputs(text, f);
	return rn_outdir_close(dir, name, f, &err);
}

static void test_outdir(void)
{
	char base[] = "/tmp/refnet-test-outdir-XXXXXX";
	CHECK(mkdtemp(base) != NULL);
	char target[256], path[512];
	snprintf(target, sizeof target, "%s/report", base);
	rn_outdir dir;
	rn_error err;

	/* a first report */
	CHECK_INT(rn_outdir_begin(&dir, target, &err), RN_OK);
	CHECK_INT(count_entries(base, "report.tmp-"), 1);
	CHECK(!exists(target)); /* nothing visible under the final name while writing */
	CHECK_INT(write_file(&dir, "manifest.json", "{}\n"), RN_OK);
	CHECK_INT(write_file(&dir, "old.csv", "a\n"), RN_OK);
	CHECK_INT(rn_outdir_open(&dir, "../escape", &(FILE *){NULL}, &err), RN_EINTERNAL);
	CHECK_INT(rn_outdir_commit(&dir, &err), RN_OK);
	rn_outdir_abort(&dir);
	snprintf(path, sizeof path, "%s/old.csv", target);
	CHECK(exists(path));
	CHECK_INT(count_entries(base, "report.tmp-"), 0);

	/* a second run replaces it whole: the old file is gone, the new one there */
	CHECK_INT(rn_outdir_begin(&dir, target, &err), RN_OK);
	CHECK_INT(write_file(&dir, "manifest.json", "{\"run\": 2}\n"), RN_OK);
	CHECK_INT(rn_outdir_commit(&dir, &err), RN_OK);
	rn_outdir_abort(&dir);
	CHECK(!exists(path));
	snprintf(path, sizeof path, "%s/manifest.json", target);
	char *text = read_file(path);
	CHECK_STR(text, "{\"run\": 2}\n");
	free(text);
	CHECK_INT(count_entries(base, "report."), 0);
	CHECK_INT(count_entries(base, "report"), 1);

	/* a failed run (aborted after writing) leaves the previous report as it was */
	CHECK_INT(rn_outdir_begin(&dir, target, &err), RN_OK);
	CHECK_INT(write_file(&dir, "manifest.json", "{\"run\": 3}\n"), RN_OK);
	rn_outdir_abort(&dir);
	text = read_file(path);
	CHECK_STR(text, "{\"run\": 2}\n");
	free(text);
	CHECK_INT(count_entries(base, "report.tmp-"), 0);

	/* a folder that is not a report is never replaced */
	char other[300];
	snprintf(other, sizeof other, "%s/thesis", base);
	CHECK_INT(mkdir(other, 0755), 0);
	snprintf(path, sizeof path, "%s/chapter1.tex", other);
	FILE *f = fopen(path, "w");
	fputs("precious\n", f);
	fclose(f);
	CHECK_INT(rn_outdir_begin(&dir, other, &err), RN_OK);
	CHECK_INT(write_file(&dir, "manifest.json", "{}\n"), RN_OK);
	CHECK_INT(rn_outdir_commit(&dir, &err), RN_ECANTCREAT);
	CHECK_CONTAINS(err.message, "is not a refnet report");
	rn_outdir_abort(&dir);
	text = read_file(path);
	CHECK_STR(text, "precious\n");
	free(text);
	CHECK_INT(count_entries(base, "thesis.tmp-"), 0);

	/* nor is a file */
	snprintf(other, sizeof other, "%s/file", base);
	f = fopen(other, "w");
	fclose(f);
	CHECK_INT(rn_outdir_begin(&dir, other, &err), RN_OK);
	CHECK_INT(rn_outdir_commit(&dir, &err), RN_ECANTCREAT);
	rn_outdir_abort(&dir);
	CHECK_INT(count_entries(base, "file.tmp-"), 0);

	/* an empty folder may be used, and a trailing slash names the same folder */
	snprintf(other, sizeof other, "%s/empty/", base);
	CHECK_INT(mkdir(other, 0755), 0);
	CHECK_INT(rn_outdir_begin(&dir, other, &err), RN_OK);
	CHECK_INT(write_file(&dir, "report.md", "# x\n"), RN_OK);
	CHECK_INT(rn_outdir_commit(&dir, &err), RN_OK);
	rn_outdir_abort(&dir);
	snprintf(path, sizeof path, "%s/empty/report.md", base);
	CHECK(exists(path));

	/* no parent folder: cannot create, exit 73 */
	snprintf(other, sizeof other, "%s/no/such/dir", base);
	CHECK_INT(rn_outdir_begin(&dir, other, &err), RN_ECANTCREAT);
	CHECK_INT(rn_exit_code(err.code), 73);
	rn_outdir_abort(&dir);

	/* a full disk is an I/O error (74) when the file is closed */
	CHECK_INT(rn_outdir_begin(&dir, target, &err), RN_OK);
	f = fopen("/dev/full", "w");
	if (f) {
		for (int i = 0; i < 100000; i++)
			fputs("0123456789", f);
		CHECK_INT(rn_outdir_close(&dir, "big.csv", f, &err), RN_EIO);
		CHECK_INT(rn_exit_code(err.code), 74);
	}
	rn_outdir_abort(&dir);
	CHECK_INT(count_entries(base, "report.tmp-"), 0);

	/* chart files beside the report */
	rn_doc *doc = sample_doc();
	CHECK_INT(rn_outdir_begin(&dir, target, &err), RN_OK);
	CHECK_INT(write_file(&dir, "manifest.json", "{}\n"), RN_OK);
	CHECK_INT(rn_doc_write_chart_files(doc, &dir, &err), RN_OK);
	CHECK_INT(rn_outdir_commit(&dir, &err), RN_OK);
	rn_outdir_abort(&dir);
	rn_doc_free(doc);
	snprintf(path, sizeof path, "%s/top_influencers.csv", target);
	text = read_file(path);
	CHECK_STR(text, "category,pagerank\nalice,0.42\nbob,0.21\ncarol,0.05\n");
	free(text);
	snprintf(path, sizeof path, "%s/top_influencers.svg", target);
	text = read_file(path);
	CHECK(text && xml_check(text) == NULL);
	CHECK(text && strncmp(text, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg", 43) == 0);
	free(text);

	/* out of memory anywhere in begin, open or commit: ENOMEM, no temporary folder left,
	 * the previous report intact */
	int failures = 0;
	for (uint64_t n = 1; n < 50; n++) {
		rn_alloc_fail_at(n, 0);
		int status = rn_outdir_begin(&dir, target, &err);
		if (status == RN_OK)
			status = write_file(&dir, "manifest.json", "{\"run\": 4}\n");
		if (status == RN_OK)
			status = rn_outdir_commit(&dir, &err);
		uint64_t used = rn_alloc_count();
		rn_alloc_fail_at(0, 0);
		rn_outdir_abort(&dir);
		CHECK_INT(count_entries(base, "report.tmp-"), 0);
		if (status == RN_OK && used < n)
			break;
		if (status) {
			CHECK_INT(status, RN_ENOMEM);
			failures++;
			snprintf(path, sizeof path, "%s/manifest.json", target);
			text = read_file(path);
			CHECK_STR(text, "{}\n");
			free(text);
		}
	}
	CHECK(failures >= 3);

	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
	CHECK_INT(system(cmd), 0);
}

static void test_graph_export(void)
{
	rn_interner *ids;
	CHECK_INT(rn_interner_new(&ids, 8), RN_OK);
	const char *names[] = {"alice", "bob", "c&d \"x\""};
	uint32_t id;
	for (int i = 0; i < 3; i++)
		CHECK_INT(rn_interner_intern(ids, names[i], strlen(names[i]), &id, NULL), RN_OK);
	uint32_t source[] = {0, 0, 1, 0};
	uint32_t target[] = {1, 2, 1, 1};
	float weight[] = {2, 1, 1, 0.5f};
	rn_graph g;
	rn_error err;
	CHECK_INT(rn_graph_build(&g, 3, 4, source, target, weight, RN_DUP_SUM, &err), RN_OK);
	double pagerank[] = {0.5, 0.25, NAN};
	const char *quadrant[] = {"Champions", NULL, "Misers"};
	rn_node_attr attrs[] = {{"pagerank", pagerank, NULL}, {"quadrant", NULL, quadrant}};

	FILE *f = tmpfile();
	CHECK_INT(rn_write_graphml(f, &g, ids, 2, attrs, &err), RN_OK);
	char *text = slurp(f);
	fclose(f);
	CHECK_STR(text,
		  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		  "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n"
		  "<key id=\"d0\" for=\"node\" attr.name=\"pagerank\" attr.type=\"double\"/>\n"
		  "<key id=\"d1\" for=\"node\" attr.name=\"quadrant\" attr.type=\"string\"/>\n"
		  "<key id=\"weight\" for=\"edge\" attr.name=\"weight\" attr.type=\"double\"/>\n"
		  "<graph id=\"referrals\" edgedefault=\"directed\">\n"
		  "<node id=\"alice\"><data key=\"d0\">0.5</data><data "
		  "key=\"d1\">Champions</data></node>\n"
		  "<node id=\"bob\"><data key=\"d0\">0.25</data></node>\n"
		  "<node id=\"c&amp;d &quot;x&quot;\"><data key=\"d1\">Misers</data></node>\n"
		  "<edge source=\"alice\" target=\"bob\"><data key=\"weight\">2.5</data></edge>\n"
		  "<edge source=\"alice\" target=\"c&amp;d &quot;x&quot;\"><data "
		  "key=\"weight\">1</data></edge>\n"
		  "</graph>\n</graphml>\n");
	CHECK(xml_check(text) == NULL);
	free(text);

	f = tmpfile();
	CHECK_INT(rn_write_gexf(f, &g, ids, 2, attrs, &err), RN_OK);
	text = slurp(f);
	fclose(f);
	CHECK(xml_check(text) == NULL);
	CHECK_CONTAINS(text, "<attribute id=\"0\" title=\"pagerank\" type=\"double\"/>");
	CHECK_CONTAINS(text,
		       "<node id=\"alice\" label=\"alice\"><attvalues><attvalue for=\"0\" "
		       "value=\"0.5\"/><attvalue for=\"1\" value=\"Champions\"/></attvalues>");
	CHECK_CONTAINS(text, "<edge id=\"1\" source=\"alice\" target=\"c&amp;d &quot;x&quot;\" "
			     "weight=\"1\"/>");
	CHECK(strstr(text, "<edge id=\"2\"") == NULL); /* the self-loop was dropped */
	free(text);

	/* an attribute with both or neither kind of values is refused */
	rn_node_attr bad = {"x", NULL, NULL};
	f = tmpfile();
	CHECK_INT(rn_write_gexf(f, &g, ids, 1, &bad, &err), RN_EINTERNAL);
	fclose(f);
	rn_graph_free(&g);
	rn_interner_free(ids);
}

static void test_fingerprint(void)
{
	char path[] = "/tmp/refnet-test-fingerprint-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	uint64_t bytes, hash;
	rn_error err;
	CHECK_INT(rn_file_fingerprint(path, &bytes, &hash, &err), RN_OK);
	CHECK_INT(bytes, 0);
	CHECK(hash == 0x2D06800538D394C2ull); /* XXH3-64 of no bytes, from the xxHash spec */
	/* 200 KiB crosses the 64 KiB read buffer several times: the streamed hash must equal the
	 * one-shot hash of the same bytes */
	enum { SIZE = 200 * 1024 + 17 };
	unsigned char *data = malloc(SIZE);
	for (size_t i = 0; i < SIZE; i++)
		data[i] = (unsigned char)(i * 131 + (i >> 9));
	FILE *f = fopen(path, "wb");
	CHECK(fwrite(data, 1, SIZE, f) == SIZE);
	fclose(f);
	CHECK_INT(rn_file_fingerprint(path, &bytes, &hash, &err), RN_OK);
	CHECK_INT(bytes, SIZE);
	CHECK(hash == XXH3_64bits(data, SIZE));
	free(data);
	unlink(path);
	CHECK_INT(rn_file_fingerprint(path, &bytes, &hash, &err), RN_ENOINPUT);
}

int main(void)
{
	test_format_double();
	test_format_double_rule();
	test_json();
	test_csv();
	test_cells();
	test_document();
	test_document_allocation_failures();
	test_outdir();
	test_graph_export();
	test_fingerprint();
	return check_report();
}
