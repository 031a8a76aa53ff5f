/*
 * svg.c - the report's charts as SVG, written by hand so that the output is small, has no
 * script, and is byte-for-byte the same on every run.
 *
 * Every chart is drawn the same way: fit the axes to the finite data (nice 1-2-5 ticks after
 * Heckbert 1990, or whole decades on log axes), draw grid, axes, tick labels and axis labels,
 * then the marks.  Coordinates are printed with two decimals and "-0.00" is folded to "0.00",
 * so output never depends on the last bits of a computation nor contains NaN: non-finite
 * values are skipped before anything is mapped to pixels, and a polyline is broken where a
 * point is missing.  Accessibility and print: each chart carries <title> and <desc> (pointed
 * at by aria-labelledby), every bar and point a <title> with its value, text is dark on white,
 * and the colours are the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"), told
 * apart also by lightness so that a grey print stays readable.  Large scatters are thinned to
 * max_points by evenly spaced indices, which is deterministic and keeps the first and the last
 * point; the <desc> says so.
 */
#include "report/report_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#define WIDTH 720.0
#define HEIGHT 420.0
#define DEFAULT_MAX_POINTS 2000u
#define LABEL_MAX_CHARS 32

/* Okabe-Ito: blue, orange, bluish green, vermillion, reddish purple, sky blue, yellow */
static const char *const palette[] = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
				      "#CC79A7", "#56B4E9", "#F0E442"};
#define PALETTE_SIZE (sizeof palette / sizeof palette[0])

/* ---- Numbers and text ------------------------------------------------------------------ */

static double nice_number(double x, bool round_it)
{
	double exponent = floor(log10(x));
	double fraction = x / pow(10, exponent);
	double nice;
	if (round_it)
		nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
	else
		nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
	return nice * pow(10, exponent);
}

void rn_nice_ticks(double lo, double hi, int target_count, double *first, double *step, int *count)
{
	if (!(isfinite(lo) && isfinite(hi)) || target_count < 2) {
		*first = 0;
		*step = 1;
		*count = 2;
		return;
	}
	if (hi < lo) {
		double t = lo;
		lo = hi;
		hi = t;
	}
	if (hi == lo) {
		/* one value: a unit-wide range around it, or around zero */
		double half = lo == 0 ? 1 : fabs(lo) * 0.5;
		lo -= half;
		hi += half;
	}
	double range = nice_number(hi - lo, false);
	double d = nice_number(range / (target_count - 1), true);
	double start = floor(lo / d) * d;
	double end = ceil(hi / d) * d;
	*first = start;
	*step = d;
	*count = (int)lround((end - start) / d) + 1;
}

size_t rn_sample_index(size_t k, size_t m, size_t n)
{
	if (m >= n || m <= 1)
		return m >= n ? k : 0;
	return (size_t)((uint64_t)k * (uint64_t)(n - 1) / (uint64_t)(m - 1));
}

static void num(char *buf, double v)
{
	if (fabs(v) < 0.005)
		v = 0;
	snprintf(buf, 32, "%.2f", v);
}

/* A pixel coordinate: two decimals, never "-0.00". */
static void px(FILE *out, double v)
{
	char buf[32];
	num(buf, v);
	fputs(buf, out);
}

/* Tick label for value v on an axis with the given step: as many decimals as the step needs,
 * and k/M/G for large values so labels stay short. */
static void tick_label(char *buf, size_t cap, double v, double step, double max_abs)
{
	const char *suffix = "";
	double scale = 1;
	if (max_abs >= 1e9) {
		scale = 1e9;
		suffix = "G";
	} else if (max_abs >= 1e6) {
		scale = 1e6;
		suffix = "M";
	} else if (max_abs >= 1e4) {
		scale = 1e3;
		suffix = "k";
	}
	double s = step / scale;
	int decimals = 0;
	if (s > 0 && s < 1)
		decimals = (int)ceil(-log10(s) - 1e-9);
	if (decimals > 10)
		decimals = 10;
	double shown = v / scale;
	if (fabs(shown) < s * 1e-9)
		shown = 0;
	snprintf(buf, cap, "%.*f%s", decimals, shown, suffix);
}

static void decade_label(char *buf, size_t cap, int exponent)
{
	static const char *const big[] = {"1",	"10",  "100",  "1k", "10k", "100k",
					  "1M", "10M", "100M", "1G", "10G", "100G"};
	if (exponent >= 0 && exponent < 12)
		snprintf(buf, cap, "%s", big[exponent]);
	else if (exponent < 0 && exponent >= -3)
		snprintf(buf, cap, "%.*f", -exponent, pow(10, exponent));
	else
		snprintf(buf, cap, "1e%d", exponent);
}

/* Length of the UTF-8 sequence starting at p if it is valid, else 0. */
static size_t utf8_length(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	size_t n = (p[0] & 0xE0) == 0xC0   ? 2
		   : (p[0] & 0xF0) == 0xE0 ? 3
		   : (p[0] & 0xF8) == 0xF0 ? 4
					   : 0;
	if (n == 0 || (n == 2 && p[0] < 0xC2) || (n == 4 && p[0] > 0xF4))
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	if (n == 3 && ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0)))
		return 0; /* overlong or surrogate */
	if (n == 4 && ((p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90)))
		return 0;
	return n;
}

/* XML text: markup characters escaped, control characters XML forbids dropped, invalid UTF-8
 * replaced by U+FFFD, and at most max_chars characters (0: no limit) with an ellipsis. */
static void xml_text_limited(FILE *out, const char *s, size_t max_chars)
{
	if (!s)
		return;
	size_t chars = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		if (max_chars && chars == max_chars) {
			fputs("\xE2\x80\xA6", out);
			return;
		}
		size_t n = utf8_length(p);
		chars++;
		if (n == 0) {
			fputs("\xEF\xBF\xBD", out);
			p++;
			continue;
		}
		if (n > 1) {
			fwrite(p, 1, n, out);
			p += n;
			continue;
		}
		switch (*p) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			if (*p >= 0x20 || *p == '\t' || *p == '\n')
				fputc(*p, out);
			else
				chars--;
		}
		p++;
	}
}

void rn_xml_text(FILE *out, const char *s)
{
	xml_text_limited(out, s, 0);
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++)
		n += (*p & 0xC0) != 0x80;
	return n;
}

/* ---- Axes ------------------------------------------------------------------------------ */

typedef struct axis {
	bool log;
	double lo, hi;	    /* domain (log axes: powers of ten) */
	double first, step; /* ticks: value (linear) or exponent (log) */
	int count;
	double p0, p1; /* pixel range that lo..hi maps to */
	double max_abs;
} axis;

static double axis_map(const axis *a, double v)
{
	double t;
	if (a->log)
		t = (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
	else
		t = (v - a->lo) / (a->hi - a->lo);
	return a->p0 + t * (a->p1 - a->p0);
}

static double axis_tick(const axis *a, int i)
{
	return a->log ? pow(10, a->first + i * a->step) : a->first + i * a->step;
}

/* Fits an axis to [lo, hi] (finite; for log axes positive).  With no data (lo > hi) the axis
 * is [0, 1] (or [1, 10]). */
static void axis_fit(axis *a, double lo, double hi, bool log_scale, double p0, double p1)
{
	memset(a, 0, sizeof *a);
	a->log = log_scale;
	a->p0 = p0;
	a->p1 = p1;
	if (log_scale) {
		if (!(lo <= hi)) {
			lo = 1;
			hi = 10;
		}
		double e0 = floor(log10(lo) + 1e-12), e1 = ceil(log10(hi) - 1e-12);
		if (e1 <= e0)
			e1 = e0 + 1;
		double decades = e1 - e0;
		a->step = ceil(decades / 8);
		a->first = e0;
		a->count = (int)floor(decades / a->step) + 1;
		e1 = e0 + a->step * (a->count - 1);
		if (e1 < ceil(log10(hi) - 1e-12)) {
			a->count++;
			e1 += a->step;
		}
		a->lo = pow(10, e0);
		a->hi = pow(10, e1);
		return;
	}
	if (!(lo <= hi)) {
		lo = 0;
		hi = 1;
	}
	rn_nice_ticks(lo, hi, 6, &a->first, &a->step, &a->count);
	a->lo = a->first;
	a->hi = a->first + a->step * (a->count - 1);
	a->max_abs = fmax(fabs(a->lo), fabs(a->hi));
}

static void axis_label_text(const axis *a, int i, char *buf, size_t cap)
{
	if (a->log)
		decade_label(buf, cap, (int)lround(a->first + i * a->step));
	else
		tick_label(buf, cap, axis_tick(a, i), a->step, a->max_abs);
}

/* ---- Drawing --------------------------------------------------------------------------- */

typedef struct canvas {
	FILE *out;
	const rn_chart *chart;
	double width, height;
	double left, right, top, bottom; /* plot area */
} canvas;

static void header(canvas *c, bool standalone, size_t sampled, size_t total)
{
	FILE *out = c->out;
	const rn_chart *ch = c->chart;
	if (standalone)
		fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ");
	px(out, c->width);
	fputc(' ', out);
	px(out, c->height);
	fprintf(out, "\" width=\"");
	px(out, c->width);
	fprintf(out, "\" height=\"");
	px(out, c->height);
	fprintf(out,
		"\" role=\"img\" aria-labelledby=\"%s-title %s-desc\" "
		"font-family=\"DejaVu Sans, Arial, Helvetica, sans-serif\" font-size=\"12\">\n",
		ch->id, ch->id);
	fprintf(out, "<title id=\"%s-title\">", ch->id);
	rn_xml_text(out, ch->title);
	fprintf(out, "</title>\n<desc id=\"%s-desc\">", ch->id);
	rn_xml_text(out, ch->desc);
	if (sampled < total)
		fprintf(out, " Showing an evenly spaced sample of %zu of %zu points.", sampled,
			total);
	fputs("</desc>\n", out);
	fputs("<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n", out);
	fprintf(out, "<text x=\"");
	px(out, c->width / 2);
	fprintf(out, "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\" "
		     "fill=\"#000000\">");
	xml_text_limited(out, ch->title, 90);
	fputs("</text>\n", out);
}

static void line(FILE *out, double x1, double y1, double x2, double y2, const char *attrs)
{
	fputs("<line x1=\"", out);
	px(out, x1);
	fputs("\" y1=\"", out);
	px(out, y1);
	fputs("\" x2=\"", out);
	px(out, x2);
	fputs("\" y2=\"", out);
	px(out, y2);
	fprintf(out, "\" %s/>\n", attrs);
}

static void text_at(FILE *out, double x, double y, const char *anchor, const char *extra,
		    const char *s, size_t max_chars)
{
	fputs("<text x=\"", out);
	px(out, x);
	fputs("\" y=\"", out);
	px(out, y);
	fprintf(out, "\" text-anchor=\"%s\"%s%s>", anchor, extra[0] ? " " : "", extra);
	xml_text_limited(out, s, max_chars);
	fputs("</text>\n", out);
}

/* Light lines at 2..9 times each power of ten on a log axis with one decade per tick, so
 * that values between the decades can be read off. */
static void minor_grid(canvas *c, const axis *a, bool vertical)
{
	if (!a->log || a->step != 1)
		return;
	for (int i = 0; i + 1 < a->count; i++) {
		double decade = axis_tick(a, i);
		for (int k = 2; k <= 9; k++) {
			double p = axis_map(a, decade * k);
			if (vertical)
				line(c->out, p, c->top, p, c->bottom,
				     "stroke=\"#eeeeee\" stroke-width=\"1\"");
			else
				line(c->out, c->left, p, c->right, p,
				     "stroke=\"#eeeeee\" stroke-width=\"1\"");
		}
	}
}

static void x_axis(canvas *c, const axis *ax, bool grid)
{
	FILE *out = c->out;
	char label[48];
	if (grid)
		minor_grid(c, ax, true);
	fputs("<g class=\"x-axis\" fill=\"#333333\" font-size=\"11\">\n", out);
	for (int i = 0; i < ax->count; i++) {
		double x = axis_map(ax, axis_tick(ax, i));
		if (grid)
			line(out, x, c->top, x, c->bottom, "stroke=\"#d9d9d9\" stroke-width=\"1\"");
		line(out, x, c->bottom, x, c->bottom + 5, "stroke=\"#333333\"");
		axis_label_text(ax, i, label, sizeof label);
		text_at(out, x, c->bottom + 18, "middle", "", label, 0);
	}
	fputs("</g>\n", out);
	line(out, c->left, c->bottom, c->right, c->bottom,
	     "stroke=\"#333333\" stroke-width=\"1.2\"");
	text_at(out, (c->left + c->right) / 2, c->height - 12, "middle", "fill=\"#000000\"",
		c->chart->x_label, 80);
}

static void y_axis(canvas *c, const axis *ay)
{
	FILE *out = c->out;
	char label[48];
	minor_grid(c, ay, false);
	fputs("<g class=\"y-axis\" fill=\"#333333\" font-size=\"11\">\n", out);
	for (int i = 0; i < ay->count; i++) {
		double y = axis_map(ay, axis_tick(ay, i));
		line(out, c->left, y, c->right, y, "stroke=\"#d9d9d9\" stroke-width=\"1\"");
		line(out, c->left - 5, y, c->left, y, "stroke=\"#333333\"");
		axis_label_text(ay, i, label, sizeof label);
		text_at(out, c->left - 8, y + 4, "end", "", label, 0);
	}
	fputs("</g>\n", out);
	line(out, c->left, c->top, c->left, c->bottom, "stroke=\"#333333\" stroke-width=\"1.2\"");
	double cy = (c->top + c->bottom) / 2;
	fputs("<text x=\"16\" y=\"", out);
	px(out, cy);
	fputs("\" text-anchor=\"middle\" fill=\"#000000\" transform=\"rotate(-90 16 ", out);
	px(out, cy);
	fputs(")\">", out);
	xml_text_limited(out, c->chart->y_label, 60);
	fputs("</text>\n", out);
}

static void legend(canvas *c)
{
	const rn_chart *ch = c->chart;
	if (ch->series_count < 2)
		return;
	FILE *out = c->out;
	double x = c->left + 8, y = 38;
	fputs("<g class=\"legend\" font-size=\"11\" fill=\"#000000\">\n", out);
	for (size_t s = 0; s < ch->series_count; s++) {
		fputs("<rect x=\"", out);
		px(out, x);
		fputs("\" y=\"", out);
		px(out, y - 9);
		fprintf(out, "\" width=\"10\" height=\"10\" fill=\"%s\"/>\n",
			palette[s % PALETTE_SIZE]);
		const char *name = ch->series[s].name ? ch->series[s].name : "";
		text_at(out, x + 14, y, "start", "", name, 28);
		double w = 30 + 6.5 * (double)utf8_chars(name);
		x += w > 220 ? 220 : w;
	}
	fputs("</g>\n", out);
}

static void no_data(canvas *c)
{
	text_at(c->out, (c->left + c->right) / 2, (c->top + c->bottom) / 2, "middle",
		"fill=\"#555555\"", "no data", 0);
}

static void point_title(FILE *out, const char *series, double x, double y)
{
	char bx[RN_NUMBER_MAX], by[RN_NUMBER_MAX];
	rn_format_double(bx, x);
	rn_format_double(by, y);
	fputs("<title>", out);
	if (series && series[0]) {
		rn_xml_text(out, series);
		fputs(": ", out);
	}
	fprintf(out, "%s, %s</title>", bx, by);
}

/* ---- Chart kinds ----------------------------------------------------------------------- */

static bool usable(double v, bool log_scale)
{
	return isfinite(v) && (!log_scale || v > 0);
}

static size_t sample_size(const rn_chart *ch, size_t n)
{
	size_t cap = ch->max_points ? ch->max_points : DEFAULT_MAX_POINTS;
	return n > cap ? cap : n;
}

/* Horizontal bars, one per category, value axis along the bottom. */
static void draw_bar(canvas *c)
{
	const rn_chart *ch = c->chart;
	FILE *out = c->out;
	const rn_series *s = &ch->series[0];
	size_t n = ch->category_count < s->count ? ch->category_count : s->count;
	double lo = 0, hi = 0;
	bool any = false;
	for (size_t i = 0; i < n; i++)
		if (isfinite(s->y[i])) {
			lo = fmin(lo, s->y[i]);
			hi = fmax(hi, s->y[i]);
			any = true;
		}
	if (any && lo == hi)
		hi = 1;
	axis ax;
	axis_fit(&ax, lo, hi, false, c->left, c->right);
	x_axis(c, &ax, true);
	line(out, c->left, c->top, c->left, c->bottom, "stroke=\"#333333\" stroke-width=\"1.2\"");
	if (!any) {
		no_data(c);
		return;
	}
	double band = (c->bottom - c->top) / (double)(n ? n : 1);
	double zero = axis_map(&ax, 0);
	fprintf(out, "<g class=\"bars\" fill=\"%s\">\n", palette[0]);
	for (size_t i = 0; i < n; i++) {
		double y = c->top + band * (double)i;
		text_at(out, c->left - 6, y + band / 2 + 4, "end",
			"font-size=\"11\" fill=\"#000000\"", ch->categories[i], LABEL_MAX_CHARS);
		if (!isfinite(s->y[i]))
			continue;
		double x = axis_map(&ax, s->y[i]);
		fputs("<rect x=\"", out);
		px(out, fmin(x, zero));
		fputs("\" y=\"", out);
		px(out, y + band * 0.15);
		fputs("\" width=\"", out);
		px(out, fabs(x - zero));
		fputs("\" height=\"", out);
		px(out, band * 0.7);
		fputs("\">", out);
		char value[RN_NUMBER_MAX];
		rn_format_cell(value, sizeof value, s->y[i], RN_COL_DECIMAL);
		fputs("<title>", out);
		rn_xml_text(out, ch->categories[i]);
		fprintf(out, ": %s</title></rect>\n", value);
	}
	fputs("</g>\n", out);
}

static void draw_grouped_bar(canvas *c)
{
	const rn_chart *ch = c->chart;
	FILE *out = c->out;
	size_t n = ch->category_count;
	double lo = 0, hi = 0;
	bool any = false;
	for (size_t s = 0; s < ch->series_count; s++)
		for (size_t i = 0; i < n && i < ch->series[s].count; i++)
			if (isfinite(ch->series[s].y[i])) {
				lo = fmin(lo, ch->series[s].y[i]);
				hi = fmax(hi, ch->series[s].y[i]);
				any = true;
			}
	if (any && lo == hi)
		hi = 1;
	axis ay;
	axis_fit(&ay, lo, hi, false, c->bottom, c->top);
	y_axis(c, &ay);
	line(out, c->left, c->bottom, c->right, c->bottom,
	     "stroke=\"#333333\" stroke-width=\"1.2\"");
	text_at(out, (c->left + c->right) / 2, c->height - 12, "middle", "fill=\"#000000\"",
		ch->x_label, 80);
	legend(c);
	if (!any || n == 0) {
		no_data(c);
		return;
	}
	double band = (c->right - c->left) / (double)n;
	double inner = band * 0.8 / (double)(ch->series_count ? ch->series_count : 1);
	double zero = axis_map(&ay, 0);
	/* labels that do not fit under their band are turned so they do not overlap */
	size_t fit = (size_t)(band / 7.0);
	bool turn = false;
	for (size_t i = 0; i < n; i++)
		turn = turn || utf8_chars(ch->categories[i]) > fit;
	line(out, c->left, zero, c->right, zero, "stroke=\"#333333\" stroke-width=\"1\"");
	for (size_t i = 0; i < n; i++) {
		double x0 = c->left + band * (double)i + band * 0.1;
		for (size_t s = 0; s < ch->series_count; s++) {
			const rn_series *se = &ch->series[s];
			if (i >= se->count || !isfinite(se->y[i]))
				continue;
			double y = axis_map(&ay, se->y[i]);
			fputs("<rect x=\"", out);
			px(out, x0 + inner * (double)s);
			fputs("\" y=\"", out);
			px(out, fmin(y, zero));
			fputs("\" width=\"", out);
			px(out, inner * 0.92);
			fputs("\" height=\"", out);
			px(out, fabs(zero - y));
			fprintf(out, "\" fill=\"%s\">", palette[s % PALETTE_SIZE]);
			char value[RN_NUMBER_MAX];
			rn_format_cell(value, sizeof value, se->y[i], RN_COL_DECIMAL);
			fputs("<title>", out);
			rn_xml_text(out, ch->categories[i]);
			if (se->name) {
				fputs(", ", out);
				rn_xml_text(out, se->name);
			}
			fprintf(out, ": %s</title></rect>\n", value);
		}
		double cx = c->left + band * ((double)i + 0.5);
		if (turn) {
			fputs("<text x=\"", out);
			px(out, cx);
			fputs("\" y=\"", out);
			px(out, c->bottom + 14);
			fputs("\" text-anchor=\"end\" font-size=\"11\" transform=\"rotate(-35 ",
			      out);
			px(out, cx);
			fputc(' ', out);
			px(out, c->bottom + 14);
			fputs(")\">", out);
			xml_text_limited(out, ch->categories[i], 18);
			fputs("</text>\n", out);
		} else {
			text_at(out, cx, c->bottom + 16, "middle", "font-size=\"11\"",
				ch->categories[i], 0);
		}
	}
}

/* Scatter, log-log and line charts: series of (x, y) drawn as points and/or a polyline. */
static void draw_xy(canvas *c, bool log_scale, size_t *sampled, size_t *total)
{
	const rn_chart *ch = c->chart;
	FILE *out = c->out;
	double xlo = HUGE_VAL, xhi = -HUGE_VAL, ylo = HUGE_VAL, yhi = -HUGE_VAL;
	bool any = false;
	for (size_t s = 0; s < ch->series_count; s++) {
		const rn_series *se = &ch->series[s];
		for (size_t i = 0; i < se->count; i++) {
			if (!usable(se->x[i], log_scale) || !usable(se->y[i], log_scale))
				continue;
			xlo = fmin(xlo, se->x[i]);
			xhi = fmax(xhi, se->x[i]);
			ylo = fmin(ylo, se->y[i]);
			yhi = fmax(yhi, se->y[i]);
			any = true;
		}
	}
	bool quadrants = ch->kind == RN_CHART_SCATTER && ch->quadrants &&
			 isfinite(ch->quadrant_x) && isfinite(ch->quadrant_y);
	if (any && quadrants) {
		xlo = fmin(xlo, ch->quadrant_x);
		xhi = fmax(xhi, ch->quadrant_x);
		ylo = fmin(ylo, ch->quadrant_y);
		yhi = fmax(yhi, ch->quadrant_y);
	}
	axis ax, ay;
	axis_fit(&ax, xlo, xhi, log_scale, c->left, c->right);
	axis_fit(&ay, ylo, yhi, log_scale, c->bottom, c->top);
	y_axis(c, &ay);
	x_axis(c, &ax, true);
	legend(c);
	if (!any) {
		no_data(c);
		return;
	}
	if (quadrants) {
		double qx = axis_map(&ax, ch->quadrant_x), qy = axis_map(&ay, ch->quadrant_y);
		const char *dash =
		    "stroke=\"#555555\" stroke-width=\"1.2\" stroke-dasharray=\"6 4\"";
		line(out, qx, c->top, qx, c->bottom, dash);
		line(out, c->left, qy, c->right, qy, dash);
		const char *extra = "font-size=\"11\" fill=\"#555555\" font-style=\"italic\"";
		if (ch->quadrant_labels[0])
			text_at(out, c->right - 4, c->top + 14, "end", extra,
				ch->quadrant_labels[0], 24);
		if (ch->quadrant_labels[1])
			text_at(out, c->left + 4, c->top + 14, "start", extra,
				ch->quadrant_labels[1], 24);
		if (ch->quadrant_labels[2])
			text_at(out, c->right - 4, c->bottom - 6, "end", extra,
				ch->quadrant_labels[2], 24);
		if (ch->quadrant_labels[3])
			text_at(out, c->left + 4, c->bottom - 6, "start", extra,
				ch->quadrant_labels[3], 24);
	}
	/* all lines first, then all points, so a fitted curve never hides the observations */
	for (size_t s = 0; s < ch->series_count; s++) {
		const rn_series *se = &ch->series[s];
		const char *colour = palette[s % PALETTE_SIZE];
		size_t m = sample_size(ch, se->count);
		*sampled += m;
		*total += se->count;
		if (se->line) {
			fprintf(out, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"2\" d=\"",
				colour);
			bool pen_down = false;
			for (size_t k = 0; k < m; k++) {
				size_t i = rn_sample_index(k, m, se->count);
				if (!usable(se->x[i], log_scale) || !usable(se->y[i], log_scale)) {
					pen_down = false; /* a gap, not a line through the hole */
					continue;
				}
				fputs(pen_down ? " L" : " M", out);
				px(out, axis_map(&ax, se->x[i]));
				fputc(' ', out);
				px(out, axis_map(&ay, se->y[i]));
				pen_down = true;
			}
			fputs("\"/>\n", out);
		}
	}
	for (size_t s = 0; s < ch->series_count; s++) {
		const rn_series *se = &ch->series[s];
		const char *colour = palette[s % PALETTE_SIZE];
		size_t m = sample_size(ch, se->count);
		if (se->points || !se->line) {
			fprintf(out,
				"<g fill=\"%s\" fill-opacity=\"0.7\" stroke=\"#ffffff\" "
				"stroke-width=\"0.5\">\n",
				colour);
			for (size_t k = 0; k < m; k++) {
				size_t i = rn_sample_index(k, m, se->count);
				if (!usable(se->x[i], log_scale) || !usable(se->y[i], log_scale))
					continue;
				fputs("<circle cx=\"", out);
				px(out, axis_map(&ax, se->x[i]));
				fputs("\" cy=\"", out);
				px(out, axis_map(&ay, se->y[i]));
				fputs("\" r=\"3.5\">", out);
				point_title(out, se->name, se->x[i], se->y[i]);
				fputs("</circle>\n", out);
			}
			fputs("</g>\n", out);
		}
	}
}

static void draw_histogram(canvas *c)
{
	const rn_chart *ch = c->chart;
	FILE *out = c->out;
	const rn_series *s = &ch->series[0];
	const double *e = ch->bin_edges;
	double yhi = 0;
	bool any = false;
	for (size_t i = 0; i < s->count; i++)
		if (isfinite(s->y[i]) && s->y[i] >= 0) {
			yhi = fmax(yhi, s->y[i]);
			any = true;
		}
	if (any && yhi == 0)
		yhi = 1;
	axis ax, ay;
	axis_fit(&ax, e[0], e[s->count], ch->log_x, c->left, c->right);
	axis_fit(&ay, 0, yhi, false, c->bottom, c->top);
	y_axis(c, &ay);
	x_axis(c, &ax, false);
	if (!any) {
		no_data(c);
		return;
	}
	double zero = axis_map(&ay, 0);
	fprintf(out, "<g class=\"bins\" fill=\"%s\" stroke=\"#ffffff\" stroke-width=\"1\">\n",
		palette[0]);
	for (size_t i = 0; i < s->count; i++) {
		if (!isfinite(s->y[i]) || s->y[i] < 0)
			continue;
		double x0 = axis_map(&ax, e[i]), x1 = axis_map(&ax, e[i + 1]);
		double y = axis_map(&ay, s->y[i]);
		fputs("<rect x=\"", out);
		px(out, x0);
		fputs("\" y=\"", out);
		px(out, y);
		fputs("\" width=\"", out);
		px(out, x1 - x0);
		fputs("\" height=\"", out);
		px(out, zero - y);
		char lo[RN_NUMBER_MAX], hi[RN_NUMBER_MAX], count[RN_NUMBER_MAX];
		rn_format_double(lo, e[i]);
		rn_format_double(hi, e[i + 1]);
		rn_format_double(count, s->y[i]);
		fprintf(out, "\"><title>[%s, %s): %s</title></rect>\n", lo, hi, count);
	}
	fputs("</g>\n", out);
}

/* ---- Validation and entry points ------------------------------------------------------- */

static int invalid(rn_error *err, const rn_chart *ch, const char *what)
{
	return rn_error_set(err, RN_EINTERNAL, NULL, 0, 0, "chart '%s': %s",
			    ch && ch->id ? ch->id : "?", what);
}

static bool valid_id(const char *id)
{
	if (!id || !id[0] || strlen(id) > 64)
		return false;
	return strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789_-") == strlen(id);
}

int rn_chart_validate(const rn_chart *ch, rn_error *err)
{
	if (!ch || !valid_id(ch->id))
		return invalid(err, ch, "id must be 1-64 characters from [a-z0-9_-]");
	if (ch->series_count == 0 || !ch->series)
		return invalid(err, ch, "no series");
	for (size_t s = 0; s < ch->series_count; s++)
		if (ch->series[s].count && !ch->series[s].y)
			return invalid(err, ch, "series without y values");
	switch (ch->kind) {
	case RN_CHART_BAR:
	case RN_CHART_GROUPED_BAR:
		if (ch->category_count && !ch->categories)
			return invalid(err, ch, "categories missing");
		for (size_t s = 0; s < ch->series_count; s++)
			if (ch->series[s].count != ch->category_count)
				return invalid(err, ch, "series length differs from categories");
		for (size_t i = 0; i < ch->category_count; i++)
			if (!ch->categories[i])
				return invalid(err, ch, "a category has no name");
		break;
	case RN_CHART_HISTOGRAM:
		if (ch->series_count != 1 || !ch->bin_edges || ch->series[0].count == 0)
			return invalid(err, ch, "a histogram needs one series and bin edges");
		for (size_t i = 0; i <= ch->series[0].count; i++) {
			double e = ch->bin_edges[i];
			if (!isfinite(e) || (ch->log_x && e <= 0) ||
			    (i && !(e > ch->bin_edges[i - 1])))
				return invalid(err, ch, "bin edges must be finite and increasing");
		}
		break;
	case RN_CHART_SCATTER:
	case RN_CHART_LOGLOG:
	case RN_CHART_LINE:
		for (size_t s = 0; s < ch->series_count; s++)
			if (ch->series[s].count && !ch->series[s].x)
				return invalid(err, ch, "series without x values");
		break;
	default:
		return invalid(err, ch, "unknown chart kind");
	}
	return RN_OK;
}

int rn_chart_write_svg(const rn_chart *ch, FILE *out, bool standalone, rn_error *err)
{
	int status = rn_chart_validate(ch, err);
	if (status)
		return status;
	canvas c = {out, ch, WIDTH, HEIGHT, 70, WIDTH - 24, 50, HEIGHT - 56};
	size_t sampled = 0, total = 0;
	if (ch->kind == RN_CHART_BAR) {
		size_t longest = 0;
		for (size_t i = 0; i < ch->category_count; i++) {
			size_t n = utf8_chars(ch->categories[i]);
			longest = n > longest ? n : longest;
		}
		if (longest > LABEL_MAX_CHARS)
			longest = LABEL_MAX_CHARS + 1;
		c.left = fmax(70, 16 + 6.6 * (double)longest);
		double rows = (double)(ch->category_count ? ch->category_count : 1);
		c.height = fmax(200, 50 + 56 + 22 * rows);
		c.bottom = c.height - 56;
	}
	if (ch->kind == RN_CHART_GROUPED_BAR)
		c.bottom = c.height - 84; /* room for turned category labels */
	if (ch->kind == RN_CHART_SCATTER || ch->kind == RN_CHART_LOGLOG ||
	    ch->kind == RN_CHART_LINE)
		for (size_t s = 0; s < ch->series_count; s++) {
			sampled += sample_size(ch, ch->series[s].count);
			total += ch->series[s].count;
		}
	header(&c, standalone, sampled, total);
	sampled = total = 0;
	switch (ch->kind) {
	case RN_CHART_BAR:
		draw_bar(&c);
		break;
	case RN_CHART_GROUPED_BAR:
		draw_grouped_bar(&c);
		break;
	case RN_CHART_SCATTER:
	case RN_CHART_LINE:
		draw_xy(&c, false, &sampled, &total);
		break;
	case RN_CHART_LOGLOG:
		draw_xy(&c, true, &sampled, &total);
		break;
	case RN_CHART_HISTOGRAM:
		draw_histogram(&c);
		break;
	}
	fputs("</svg>\n", out);
	if (ferror(out))
		return rn_error_set(err, RN_EIO, NULL, 0, 0, "chart '%s': write failed: %s", ch->id,
				    strerror(errno));
	return RN_OK;
}

int rn_chart_write_csv(const rn_chart *ch, FILE *out, rn_error *err)
{
	int status = rn_chart_validate(ch, err);
	if (status)
		return status;
	rn_csv_writer w;
	rn_csvw_init(&w, out);
	switch (ch->kind) {
	case RN_CHART_BAR:
	case RN_CHART_GROUPED_BAR:
		rn_csvw_text(&w, "category");
		for (size_t s = 0; s < ch->series_count; s++)
			rn_csvw_text(&w, ch->series[s].name ? ch->series[s].name : "value");
		rn_csvw_end_row(&w);
		for (size_t i = 0; i < ch->category_count; i++) {
			rn_csvw_text(&w, ch->categories[i]);
			for (size_t s = 0; s < ch->series_count; s++)
				rn_csvw_number(&w, ch->series[s].y[i]);
			rn_csvw_end_row(&w);
		}
		break;
	case RN_CHART_HISTOGRAM:
		rn_csvw_header(&w, 3, (const char *const[]){"bin_start", "bin_end", "count"});
		for (size_t i = 0; i < ch->series[0].count; i++) {
			rn_csvw_number(&w, ch->bin_edges[i]);
			rn_csvw_number(&w, ch->bin_edges[i + 1]);
			rn_csvw_number(&w, ch->series[0].y[i]);
			rn_csvw_end_row(&w);
		}
		break;
	default:
		/* every point, not only the sampled ones drawn */
		rn_csvw_header(&w, 3, (const char *const[]){"series", "x", "y"});
		for (size_t s = 0; s < ch->series_count; s++)
			for (size_t i = 0; i < ch->series[s].count; i++) {
				rn_csvw_text(&w, ch->series[s].name);
				rn_csvw_number(&w, ch->series[s].x[i]);
				rn_csvw_number(&w, ch->series[s].y[i]);
				rn_csvw_end_row(&w);
			}
		break;
	}
	if (ferror(out))
		return rn_error_set(err, RN_EIO, NULL, 0, 0, "chart '%s': write failed: %s", ch->id,
				    strerror(errno));
	return RN_OK;
}
