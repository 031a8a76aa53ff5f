/*
 * cmd_rank.c - 'refnet rank REFERRALS.csv|GRAPH.rnb': per-customer influence centrality as
 * CSV (customer, referrals, referral_weight, pagerank, katz, reach), sorted by pagerank
 * descending with ties by node index (first-seen order), every customer unless --top.
 *
 * The command only parses options, loads the graph (CSV through the io layer, or a binary
 * snapshot), calls the algo layer and prints.  PageRank is always computed because it
 * orders the rows; --metrics chooses which columns are printed (and computed).  With -o the
 * CSV goes to a temporary file renamed into place, so a failed run leaves no partial file.
 */
#include "cli/commands.h"
#include "cli/load_graph.h"

#include <refnet/algo.h>
#include <refnet/graph.h>
#include <refnet/io.h>
#include <refnet/report.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { COL_REFERRALS, COL_WEIGHT, COL_PAGERANK, COL_KATZ, COL_REACH, COL_COUNT };
static const char *const column_names[COL_COUNT] = {"referrals", "referral_weight", "pagerank",
						    "katz", "reach"};

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: refnet rank REFERRALS.csv|GRAPH.rnb [options]\n"
	    "\n"
	    "Per-customer influence centrality as CSV, sorted by PageRank (highest first).\n"
	    "\n"
	    "  --top N             only the N highest-ranked customers (default: all)\n"
	    "  -o, --output FILE   write the CSV to FILE instead of standard output\n"
	    "  --metrics LIST      comma-separated subset of referrals,referral_weight,\n"
	    "                      pagerank,katz,reach (default: all)\n"
	    "  --damping D         PageRank damping factor in [0, 1) (default 0.85)\n"
	    "  --tol T             PageRank L1 tolerance (default 1e-10)\n"
	    "  --katz-alpha A      Katz decay per generation, below 1/lambda_max (default 0.1,\n"
	    "                      or half the largest safe alpha where 0.1 is too large)\n"
	    "  --reach-exact-max N exact reach up to N customers, HyperLogLog above\n"
	    "                      (default 200000; forests are always exact)\n"
	    "  -h, --help          this help\n");
}

static int parse_number(const char *text, double *out)
{
	return rn_parse_double(text, strlen(text), out);
}

static int parse_count(const char *text, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!text[0] || text[0] == '-')
		return -1;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int parse_metrics(const char *list, bool *want)
{
	for (int k = 0; k < COL_COUNT; k++)
		want[k] = false;
	const char *p = list;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		int found = -1;
		for (int k = 0; k < COL_COUNT; k++)
			if (strlen(column_names[k]) == len && !strncmp(column_names[k], p, len))
				found = k;
		if (found < 0)
			return -1;
		want[found] = true;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* Quoted as the report's tables are (rn_csv_needs_quotes), inner quotes doubled.  Writes at
 * most 2 * len + 2 bytes to buf; returns how many. */
static size_t format_id(char *buf, const char *s, size_t len)
{
	if (!rn_csv_needs_quotes(s, len)) {
		memcpy(buf, s, len);
		return len;
	}
	size_t k = 0;
	buf[k++] = '"';
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"')
			buf[k++] = '"';
		buf[k++] = s[i];
	}
	buf[k++] = '"';
	return k;
}

/* ",x" in the shortest form that reads back to the same double, as the report's tables. */
static size_t format_number(char *buf, double x)
{
	buf[0] = ',';
	rn_format_double(buf + 1, x);
	return 1 + strlen(buf + 1);
}

struct rank_run {
	cli_graph loaded;
	bool have_graph;
	double *pagerank, *katz, *reach;
	uint32_t *order;
};

static void run_free(struct rank_run *r)
{
	rn_free(r->pagerank);
	rn_free(r->katz);
	rn_free(r->reach);
	rn_free(r->order);
	if (r->have_graph)
		cli_graph_free(&r->loaded);
}

/* The longest row: a quoted id whose every byte is a quote, the referral count, four numbers. */
#define ROW_MAX (2 * RN_ID_MAX_BYTES + 2 + 22 + 4 * (RN_NUMBER_MAX + 1) + 1)
/* Rows formatted at a time by each of two threads (4.5 MiB of buffer each at worst). */
#define PART_ROWS 2048u

/* Row i of the output (customer order[i]) into buf; returns its length, at most ROW_MAX. */
static size_t format_row(char *buf, const struct rank_run *r, const bool *want, uint64_t i)
{
	const rn_graph *g = &r->loaded.graph;
	uint32_t v = r->order[i];
	size_t len = 0, k;
	const char *id = rn_interner_string(r->loaded.dataset.ids, v, &len);
	k = format_id(buf, id, len);
	if (want[COL_REFERRALS])
		k += (size_t)sprintf(buf + k, ",%llu",
				     (unsigned long long)(g->offsets[v + 1] - g->offsets[v]));
	if (want[COL_WEIGHT])
		k += format_number(buf + k, rn_graph_out_weight(g, v));
	if (want[COL_PAGERANK])
		k += format_number(buf + k, r->pagerank[v]);
	if (want[COL_KATZ])
		k += format_number(buf + k, r->katz[v]);
	if (want[COL_REACH])
		k += format_number(buf + k, r->reach[v]);
	buf[k++] = '\n';
	return k;
}

/* The rows come in PageRank order, so each reads its id, row and scores at random, and each
 * number takes a digit generation: at 1e7 rows that is most of the time rank takes.  Two
 * threads format a part of PART_ROWS rows each, which are then written in order: the same
 * bytes on any number of threads.  Without the parts' memory, one row at a time. */
static int write_csv(FILE *out, const struct rank_run *r, const bool *want, uint64_t rows)
{
	fputs("customer", out);
	for (int k = 0; k < COL_COUNT; k++)
		if (want[k])
			fprintf(out, ",%s", column_names[k]);
	fputc('\n', out);
	char *part[2] = {rn_malloc_array(PART_ROWS, ROW_MAX), rn_malloc_array(PART_ROWS, ROW_MAX)};
	size_t used[2] = {0, 0};
	if (!part[0] || !part[1]) {
		char row[ROW_MAX];
		for (uint64_t i = 0; i < rows; i++)
			fwrite(row, 1, format_row(row, r, want, i), out);
	}
	for (uint64_t first = 0; part[0] && part[1] && first < rows; first += 2 * PART_ROWS) {
#pragma omp parallel for schedule(static, 1) num_threads(2)
		for (int k = 0; k < 2; k++) {
			uint64_t lo = first + (uint64_t)k * PART_ROWS, hi = lo + PART_ROWS;
			hi = hi < rows ? hi : rows;
			used[k] = 0;
			for (uint64_t i = lo; i < hi; i++)
				used[k] += format_row(part[k] + used[k], r, want, i);
		}
		fwrite(part[0], 1, used[0], out);
		fwrite(part[1], 1, used[1], out);
	}
	rn_free(part[0]);
	rn_free(part[1]);
	return ferror(out) ? -1 : 0;
}

int cmd_rank(int argc, char **argv)
{
	static const struct option options[] = {
	    {"top", required_argument, NULL, 't'},
	    {"output", required_argument, NULL, 'o'},
	    {"metrics", required_argument, NULL, 'm'},
	    {"damping", required_argument, NULL, 'd'},
	    {"tol", required_argument, NULL, 'T'},
	    {"katz-alpha", required_argument, NULL, 'a'},
	    {"reach-exact-max", required_argument, NULL, 'x'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	uint64_t top = UINT64_MAX, exact_max = 200000;
	const char *output = NULL;
	bool want[COL_COUNT] = {true, true, true, true, true};
	rn_pagerank_options pr_opt;
	rn_pagerank_options_default(&pr_opt);
	double alpha = 0.0; /* 0: the default, rn_katz_default */
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ho:", options, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 't':
			if (parse_count(optarg, &top) || top == 0)
				return cli_usage_error(
				    "rank", "--top needs a positive integer, got '%s'", optarg);
			break;
		case 'o':
			output = optarg;
			break;
		case 'm':
			if (parse_metrics(optarg, want))
				return cli_usage_error(
				    "rank",
				    "--metrics takes a comma-separated list of referrals, "
				    "referral_weight, pagerank, katz, reach; got '%s'",
				    optarg);
			break;
		case 'd':
			if (parse_number(optarg, &pr_opt.damping) || !(pr_opt.damping >= 0) ||
			    !(pr_opt.damping < 1))
				return cli_usage_error(
				    "rank", "--damping must be in [0, 1), got '%s'", optarg);
			break;
		case 'T':
			if (parse_number(optarg, &pr_opt.tolerance) || !(pr_opt.tolerance > 0))
				return cli_usage_error(
				    "rank", "--tol must be a positive number, got '%s'", optarg);
			break;
		case 'a':
			if (parse_number(optarg, &alpha) || !(alpha > 0))
				return cli_usage_error(
				    "rank", "--katz-alpha must be a positive number, got '%s'",
				    optarg);
			break;
		case 'x':
			if (parse_count(optarg, &exact_max) || exact_max > UINT32_MAX)
				return cli_usage_error(
				    "rank", "--reach-exact-max needs an integer, got '%s'", optarg);
			break;
		case ':':
			return cli_usage_error("rank", "option '%s' needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error("rank", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("rank", optind >= argc ? "missing REFERRALS file"
							      : "expected one REFERRALS file");
	const char *path = argv[optind];

	struct rank_run run;
	memset(&run, 0, sizeof run);
	rn_error err;
	rn_error_clear(&err);
	int rc = cli_load_graph(&run.loaded, path, RN_DUP_SUM, false, &err);
	run.have_graph = rc == RN_OK;
	uint32_t n = run.loaded.graph.n;
	size_t nn = n ? n : 1;
	if (rc == RN_OK) {
		run.pagerank = rn_malloc_array(nn, sizeof *run.pagerank);
		run.order = rn_malloc_array(nn, sizeof *run.order);
		if (want[COL_KATZ])
			run.katz = rn_malloc_array(nn, sizeof *run.katz);
		if (want[COL_REACH])
			run.reach = rn_malloc_array(nn, sizeof *run.reach);
		if (!run.pagerank || !run.order || (want[COL_KATZ] && !run.katz) ||
		    (want[COL_REACH] && !run.reach))
			rc = rn_error_set(&err, RN_ENOMEM, NULL, 0, 0, "out of memory");
	}
	/* Katz first: an alpha too large for the graph is refused before the other metrics run.
	 * Then reach, and PageRank last.  The components are found once for whichever of Katz,
	 * reach and PageRank's solve use them (3.4 s less at 1e7, for 45 MB more at
	 * PageRank's peak). */
	rn_scc_labels scc = {0};
	bool share = want[COL_KATZ] || want[COL_REACH];
	if (rc == RN_OK && share)
		rc = rn_scc_labels_compute(&run.loaded.graph, &scc, &err);
	if (rc == RN_OK && want[COL_KATZ] && alpha == 0.0) {
		double upper = 0.0;
		rc = rn_katz_default(&run.loaded.graph, 1e-10, run.katz, &alpha, &upper, NULL,
				     share ? &scc : NULL, &err);
		if (rc == RN_OK && alpha != RN_KATZ_ALPHA)
			fprintf(stderr,
				"refnet rank: note: Katz alpha %g instead of the default %g: the "
				"largest eigenvalue of the referral matrix may be as large as %.6g, "
				"so %g might not converge (--katz-alpha sets it)\n",
				alpha, RN_KATZ_ALPHA, upper, RN_KATZ_ALPHA);
	} else if (rc == RN_OK && want[COL_KATZ]) {
		rc = rn_katz(&run.loaded.graph, alpha, 1e-10, run.katz, NULL, &scc, &err);
	}
	if (rc == RN_OK && want[COL_REACH]) {
		rn_reach_options ro;
		rn_reach_options_default(&ro);
		ro.exact_max_nodes = (uint32_t)exact_max;
		ro.scc = share ? &scc : NULL;
		rc = rn_reach(&run.loaded.graph, &ro, run.reach, NULL, &err);
	}
	rn_solve_stats pr_stats = {0};
	pr_opt.scc = share ? &scc : NULL;
	if (rc == RN_OK)
		rc = rn_pagerank(&run.loaded.graph, &pr_opt, run.pagerank, &pr_stats, &err);
	rn_scc_labels_free(&scc);
	if (rc == RN_OK && pr_stats.at_rounding)
		fprintf(stderr,
			"refnet rank: note: --tol %g is finer than double precision resolves on "
			"%u cycle%s of this graph; PageRank there is as exact as it allows\n",
			pr_opt.tolerance, pr_stats.at_rounding,
			pr_stats.at_rounding == 1 ? "" : "s");
	if (rc != RN_OK) {
		run_free(&run);
		return cli_fail(&err);
	}
	if (rn_order_desc(run.pagerank, n, run.order) != RN_OK) {
		rn_error_set(&err, RN_ENOMEM, NULL, 0, 0, "out of memory");
		run_free(&run);
		return cli_fail(&err);
	}
	uint64_t rows = top < n ? top : n;

	int status = 0;
	if (!output) {
		if (write_csv(stdout, &run, want, rows) || fflush(stdout)) {
			rn_error_set(&err, RN_EIO, NULL, 0, 0, "cannot write standard output");
			status = cli_fail(&err);
		}
	} else {
		size_t len = strlen(output) + 16;
		char *tmp = rn_malloc(len);
		FILE *out = NULL;
		if (tmp) {
			snprintf(tmp, len, "%s.tmp", output);
			out = fopen(tmp, "w");
		}
		if (!out) {
			if (tmp)
				rn_error_set(&err, RN_ECANTCREAT, output, 0, 0, "cannot create: %s",
					     strerror(errno));
			else
				rn_error_set(&err, RN_ENOMEM, output, 0, 0, "out of memory");
			status = cli_fail(&err);
		} else {
			int bad = write_csv(out, &run, want, rows);
			bad |= fclose(out) != 0;
			if (bad || rename(tmp, output) != 0) {
				remove(tmp);
				rn_error_set(&err, RN_EIO, output, 0, 0, "cannot write: %s",
					     strerror(errno));
				status = cli_fail(&err);
			}
		}
		rn_free(tmp);
	}
	run_free(&run);
	return status;
}
