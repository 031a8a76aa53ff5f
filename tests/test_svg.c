/*
 * test_svg.c - the chart module: nice ticks, deterministic sampling, and every chart kind
 * rendered to well-formed SVG (our checker, and xmllint when installed) with title, desc,
 * axis labels, escaped text, no NaN or Inf anywhere, the same bytes on every run, and the
 * chart data as CSV.
 */
#include <refnet/report.h>

#include "check.h"
#include "xml_check.h"

#include <math.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

static char svg_dir[] = "/tmp/refnet-test-svg-XXXXXX";
static int xmllint_available;

static char *render(const rn_chart *chart, int *status)
{
	rn_error err;
	FILE *f = tmpfile();
	*status = rn_chart_write_svg(chart, f, true, &err);
	long n = ftell(f);
	rewind(f);
	char *text = calloc(1, (size_t)n + 1);
	CHECK(fread(text, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	return text;
}

static size_t count(const char *text, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* "nan" or "inf" (any case) as a whole word, as printf writes non-finite numbers; "inf"
 * inside "influencers" does not count. */
static int is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static int has_non_number(const char *text)
{
	for (const char *p = text; *p; p++) {
		if (strncasecmp(p, "nan", 3) && strncasecmp(p, "inf", 3))
			continue;
		if ((p == text || !is_word_char(p[-1])) && !is_word_char(p[3])) {
			fprintf(stderr, "non-number near: %.40s\n", p > text + 20 ? p - 20 : text);
			return 1;
		}
	}
	return 0;
}

/* Renders twice (must be identical), checks well-formedness, title, desc, labels, and that no
 * non-number leaked into the output; runs xmllint on the file when it is installed.  Returns
 * the text (caller frees). */
static char *check_chart(const rn_chart *chart)
{
	int status, status2;
	char *text = render(chart, &status);
	char *again = render(chart, &status2);
	CHECK_INT(status, RN_OK);
	CHECK_INT(status2, RN_OK);
	CHECK_STR(again, text);
	free(again);
	const char *problem = xml_check(text);
	if (problem)
		fprintf(stderr, "chart %s: %s\n", chart->id, problem);
	CHECK(problem == NULL);
	char want[256];
	snprintf(want, sizeof want, "<title id=\"%s-title\">", chart->id);
	CHECK_CONTAINS(text, want);
	snprintf(want, sizeof want, "<desc id=\"%s-desc\">", chart->id);
	CHECK_CONTAINS(text, want);
	CHECK_CONTAINS(text, "viewBox=\"0 0 ");
	CHECK(!has_non_number(text));
	CHECK(strstr(text, "-0.00\"") == NULL);
	if (xmllint_available) {
		char path[256], cmd[512];
		snprintf(path, sizeof path, "%s/%s.svg", svg_dir, chart->id);
		FILE *f = fopen(path, "w");
		fputs(text, f);
		fclose(f);
		snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", path);
		CHECK_INT(system(cmd), 0);
	}
	return text;
}

static void test_nice_ticks(void)
{
	double first, step;
	int n;
	/* Heckbert's loose labelling: range rounded up to a nice number, then the step */
	rn_nice_ticks(0, 1, 6, &first, &step, &n);
	CHECK(first == 0);
	CHECK_NEAR(step, 0.2, 1e-15);
	CHECK_INT(n, 6);
	rn_nice_ticks(0, 97, 6, &first, &step, &n);
	CHECK(first == 0 && step == 20);
	CHECK_INT(n, 6);
	rn_nice_ticks(-3.2, 7.9, 6, &first, &step, &n);
	CHECK(first == -5 && step == 5);
	CHECK_INT(n, 4);
	rn_nice_ticks(5, 5, 6, &first, &step, &n); /* one value: [2.5, 7.5] */
	CHECK(first == 2 && step == 1);
	CHECK_INT(n, 7);
	rn_nice_ticks(0, 0, 6, &first, &step, &n); /* zero: [-1, 1] */
	CHECK_NEAR(first, -1, 1e-15);
	CHECK_NEAR(step, 0.5, 1e-15);
	CHECK_INT(n, 5);
	rn_nice_ticks(0.0012, 0.0047, 5, &first, &step, &n);
	CHECK_NEAR(first, 0.001, 1e-15);
	CHECK_NEAR(step, 0.001, 1e-15);
	CHECK_INT(n, 5);
	rn_nice_ticks(1e6, 3.5e6, 6, &first, &step, &n); /* range 2.5e6 rounds up to 5e6 */
	CHECK(first == 1e6 && step == 1e6);
	CHECK_INT(n, 4);
	rn_nice_ticks(NAN, 1, 6, &first, &step, &n);
	CHECK(first == 0 && step == 1);
	CHECK_INT(n, 2);
	/* every step is 1, 2 or 5 times a power of ten, and the ticks cover the range */
	for (int i = 1; i < 200; i++) {
		double lo = -i * 0.37, hi = i * i * 1.9;
		rn_nice_ticks(lo, hi, 6, &first, &step, &n);
		double mant = step / pow(10, floor(log10(step)));
		CHECK(fabs(mant - 1) < 1e-9 || fabs(mant - 2) < 1e-9 || fabs(mant - 5) < 1e-9);
		CHECK(first <= lo && first + step * (n - 1) >= hi - 1e-9 * hi);
		CHECK(n >= 3 && n <= 12);
	}
}

static void test_sampling(void)
{
	CHECK_INT(rn_sample_index(0, 3, 10), 0);
	CHECK_INT(rn_sample_index(1, 3, 10), 4);
	CHECK_INT(rn_sample_index(2, 3, 10), 9);
	CHECK_INT(rn_sample_index(7, 20, 10), 7); /* fewer points than the cap: all of them */
	CHECK_INT(rn_sample_index(1999, 2000, 100000000), 99999999);
}

static void test_bar(void)
{
	const char *names[] = {"alice",
			       "A&B <x> \"q\" 'a'",
			       "a-very-long-customer-identifier-that-"
			       "goes-on-and-on",
			       "caf\xc3\xa9",
			       "bad\xff"
			       "byte",
			       "missing"};
	double values[] = {12.5, 7, 3.25, 1, 0.5, NAN};
	rn_series s = {"PageRank", 6, NULL, values, false, false};
	rn_chart c = {0};
	c.kind = RN_CHART_BAR;
	c.id = "top_influencers";
	c.title = "Top influencers by PageRank";
	c.desc = "The customers whose referrals brought the most PageRank credit.";
	c.x_label = "PageRank score (x 1000)";
	c.y_label = "customer";
	c.category_count = 6;
	c.categories = names;
	c.series_count = 1;
	c.series = &s;
	char *svg = check_chart(&c);
	CHECK_INT(count(svg, "<rect x="), 5 + 1); /* five finite bars and the background */
	CHECK_CONTAINS(svg, ">A&amp;B &lt;x&gt; &quot;q&quot; &#39;a&#39;</text>");
	CHECK_CONTAINS(svg, "caf\xc3\xa9</text>");
	CHECK_CONTAINS(svg, "bad\xef\xbf\xbd"
			    "byte</text>"); /* invalid UTF-8 replaced */
	CHECK_CONTAINS(svg, ">a-very-long-customer-identifier-\xe2\x80\xa6</text>"); /* 32 + ... */
	CHECK_CONTAINS(svg, "<title>alice: 12.5</title>");
	CHECK_CONTAINS(svg, ">PageRank score (x 1000)</text>");
	/* value axis 0..15 in steps of 5 (Heckbert on [0, 12.5]: range 20, step 5) */
	CHECK_CONTAINS(svg, ">15</text>");
	CHECK(strstr(svg, ">20</text>") == NULL);
	free(svg);
}

static void test_grouped_bar(void)
{
	const char *names[] = {"search", "social", "referral programme"};
	double direct[] = {-0.25, 0.4, 1.5};
	double total[] = {0.1, 0.9, 2.75};
	rn_series s[2] = {{"without word of mouth", 3, NULL, direct, false, false},
			  {"with word of mouth", 3, NULL, total, false, false}};
	rn_chart c = {0};
	c.kind = RN_CHART_GROUPED_BAR;
	c.id = "roi_channel";
	c.title = "ROI by channel";
	c.desc = "Return on spend per channel, with and without the referral cascades.";
	c.x_label = "channel";
	c.y_label = "ROI";
	c.category_count = 3;
	c.categories = names;
	c.series_count = 2;
	c.series = s;
	char *svg = check_chart(&c);
	CHECK_INT(count(svg, "<title>"), 6); /* one per bar */
	CHECK_CONTAINS(svg, "fill=\"#0072B2\"><title>search, without word of mouth: -0.25</title>");
	CHECK_CONTAINS(svg, "fill=\"#E69F00\"><title>referral programme, with word of mouth: "
			    "2.75</title>");
	CHECK_CONTAINS(svg, ">with word of mouth</text>"); /* legend */
	CHECK_CONTAINS(svg, ">-1</text>"); /* [-0.25, 2.75]: range 5, ticks -1..3 by 1 */
	CHECK_CONTAINS(svg, ">3</text>");
	free(svg);
}

static void test_scatter(void)
{
	enum { N = 10000 };
	double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
	for (int i = 0; i < N; i++) {
		x[i] = (i * 37 % 1000) * 1.5;
		y[i] = (i * 91 % 700) * 0.25;
	}
	rn_series s = {"customers", N, x, y, true, false};
	rn_chart c = {0};
	c.kind = RN_CHART_SCATTER;
	c.id = "clv_crv";
	c.title = "CLV vs CRV";
	c.desc = "Each customer's own value against the value of their referrals.";
	c.x_label = "CLV";
	c.y_label = "CRV";
	c.series_count = 1;
	c.series = &s;
	c.quadrants = true;
	c.quadrant_x = 700;
	c.quadrant_y = 80;
	c.quadrant_labels[0] = "Champions";
	c.quadrant_labels[1] = "Advocates";
	c.quadrant_labels[2] = "Affluents";
	c.quadrant_labels[3] = "Misers";
	c.max_points = 100;
	char *svg = check_chart(&c);
	CHECK_INT(count(svg, "<circle"), 100);
	CHECK_CONTAINS(svg, "Showing an evenly spaced sample of 100 of 10000 points.</desc>");
	CHECK_INT(count(svg, "stroke-dasharray"), 2);
	CHECK_CONTAINS(svg, ">Champions</text>");
	CHECK_CONTAINS(svg, ">Misers</text>");
	free(svg);
	/* non-finite points are skipped, never written */
	x[0] = NAN;
	y[1] = INFINITY;
	x[2] = -INFINITY;
	s.count = 5;
	c.max_points = 0;
	svg = check_chart(&c);
	CHECK_INT(count(svg, "<circle"), 2);
	CHECK(strstr(svg, "sample") == NULL);
	free(svg);
	/* nothing finite at all: axes and "no data" */
	s.count = 3;
	svg = check_chart(&c);
	CHECK_INT(count(svg, "<circle"), 0);
	CHECK_CONTAINS(svg, ">no data</text>");
	free(svg);
	free(x);
	free(y);
}

static void test_loglog(void)
{
	double k[] = {0, 1, 2, 3, 5, 10, 40, 250};
	double n[] = {500, 320, 80, 30, 9, 2, 1, -1};
	rn_series s = {"customers", 8, k, n, true, true};
	rn_chart c = {0};
	c.kind = RN_CHART_LOGLOG;
	c.id = "referral_distribution";
	c.title = "Referrals per customer";
	c.desc = "How many customers made k successful referrals, on log-log axes.";
	c.x_label = "referrals k";
	c.y_label = "customers";
	c.series_count = 1;
	c.series = &s;
	char *svg = check_chart(&c);
	CHECK_INT(count(svg, "<circle"), 6); /* k = 0 and n = -1 have no place on log axes */
	/* decades 1..1000 on both axes */
	CHECK_CONTAINS(svg, ">1</text>");
	CHECK_CONTAINS(svg, ">10</text>");
	CHECK_CONTAINS(svg, ">100</text>");
	CHECK_CONTAINS(svg, ">1k</text>");
	CHECK(strstr(svg, ">10k</text>") == NULL);
	/* one path, broken nowhere since the skipped points are at the ends */
	CHECK_INT(count(svg, "<path"), 1);
	CHECK_INT(count(svg, " M"), 1);
	free(svg);
	n[3] = NAN; /* a hole in the middle breaks the line in two */
	svg = check_chart(&c);
	CHECK_INT(count(svg, " M"), 2);
	free(svg);
}

static void test_histogram(void)
{
	double edges[] = {1, 2, 4, 8, 16, 32};
	double counts[] = {900, 120, 30, 4, 1};
	rn_series s = {"cascades", 5, NULL, counts, false, false};
	rn_chart c = {0};
	c.kind = RN_CHART_HISTOGRAM;
	c.id = "cascade_sizes";
	c.title = "Cascade sizes";
	c.desc = "Number of referral cascades by size (customers in the tree).";
	c.x_label = "cascade size";
	c.y_label = "cascades";
	c.series_count = 1;
	c.series = &s;
	c.bin_edges = edges;
	c.log_x = true;
	char *svg = check_chart(&c);
	CHECK_CONTAINS(svg, "<title>[1, 2): 900</title>");
	CHECK_CONTAINS(svg, "<title>[16, 32): 1</title>");
	CHECK_INT(count(svg, "<rect x="), 6);
	free(svg);
	c.log_x = false;
	svg = check_chart(&c);
	free(svg);
	/* decreasing edges are a programming error, reported */
	edges[2] = 1.5;
	int status;
	svg = render(&c, &status);
	CHECK_INT(status, RN_EINTERNAL);
	free(svg);
	edges[2] = 4;
}

static void test_line(void)
{
	double spend[] = {0, 1000, 2000, 4000, 8000};
	double acquired[] = {3, 40, 61, 90, 104};
	double fit_x[50], fit_y[50];
	for (int i = 0; i < 50; i++) {
		fit_x[i] = i * 8000.0 / 49;
		/* Hill curve, as the mix model fits it: a x^s / (k^s + x^s) */
		fit_y[i] = 120 * pow(fit_x[i], 1.2) / (pow(2500, 1.2) + pow(fit_x[i], 1.2));
	}
	rn_series s[2] = {{"observed weeks", 5, spend, acquired, true, false},
			  {"fitted response", 50, fit_x, fit_y, false, true}};
	rn_chart c = {0};
	c.kind = RN_CHART_LINE;
	c.id = "spend_response";
	c.title = "Spend vs acquisitions";
	c.desc = "Weekly spend against customers acquired, with the fitted response curve.";
	c.x_label = "weekly spend";
	c.y_label = "customers acquired";
	c.series_count = 2;
	c.series = s;
	char *svg = check_chart(&c);
	CHECK_INT(count(svg, "<circle"), 5);
	CHECK_INT(count(svg, "<path"), 1);
	CHECK_CONTAINS(svg, ">8000</text>"); /* k suffix only from 10000 up */
	CHECK_CONTAINS(svg, ">fitted response</text>");
	free(svg);
}

static void test_invalid_and_csv(void)
{
	double y[] = {1, 2};
	const char *names[] = {"a,b", "c\"d", "e"};
	rn_series s = {"value", 2, NULL, y, false, false};
	rn_chart c = {0};
	c.kind = RN_CHART_BAR;
	c.id = "Bad Id";
	c.category_count = 2;
	c.categories = names;
	c.series_count = 1;
	c.series = &s;
	int status;
	char *svg = render(&c, &status);
	CHECK_INT(status, RN_EINTERNAL);
	free(svg);
	c.id = "ok";
	c.category_count = 3;
	svg = render(&c, &status);
	CHECK_INT(status, RN_EINTERNAL); /* series shorter than the categories */
	free(svg);
	c.category_count = 2;
	rn_error err;
	FILE *f = tmpfile();
	CHECK_INT(rn_chart_write_csv(&c, f, &err), RN_OK);
	long n = ftell(f);
	rewind(f);
	char text[256] = {0};
	CHECK(fread(text, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	CHECK_STR(text, "category,value\n\"a,b\",1\n\"c\"\"d\",2\n");
}

int main(void)
{
	/* RN_KEEP_SVG=1 keeps the rendered charts for a look (path printed) */
	const char *keep = getenv("RN_KEEP_SVG");
	if (mkdtemp(svg_dir))
		xmllint_available = system("xmllint --version >/dev/null 2>&1") == 0;
	if (keep)
		xmllint_available = 1;
	if (!xmllint_available)
		fprintf(stderr,
			"xmllint not found: SVG files checked by the built-in checker only\n");
	test_nice_ticks();
	test_sampling();
	test_bar();
	test_grouped_bar();
	test_scatter();
	test_loglog();
	test_histogram();
	test_line();
	test_invalid_and_csv();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", svg_dir);
	if (keep)
		fprintf(stderr, "charts kept in %s\n", svg_dir);
	else if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", svg_dir);
	return check_report();
}
