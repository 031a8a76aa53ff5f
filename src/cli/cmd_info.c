/*
 * cmd_info.c - 'refnet info REFERRALS [--format text|json]': load a referrals file and
 * describe the graph it makes.
 */
#include "cli/commands.h"
#include "cli/load_graph.h"

#include <refnet/graph.h>
#include <refnet/report.h>

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char info_usage[] =
	"usage: refnet info REFERRALS [--format text|json] [--duplicates sum|max|first|error]\n"
	"\n"
	"Loads a referrals table (CSV, .csv.gz, .csv.zst or a .rnb snapshot) and prints the\n"
	"number of customers and referrals, duplicates merged, self-loops dropped, weakly\n"
	"connected components and degree statistics.\n";

struct degree_stats {
	uint32_t referrers;        /* customers with at least one referral */
	uint32_t referred;         /* customers with at least one referrer */
	uint32_t multi_referred;   /* customers with two or more referrers */
	uint32_t isolated;
	uint64_t max_out, max_in;
	double mean_out;           /* over all customers */
	double mean_out_referrers; /* over customers who referred */
};

static void degree_stats(const rn_graph *g, struct degree_stats *s)
{
	memset(s, 0, sizeof *s);
	for (uint32_t v = 0; v < g->n; v++) {
		uint64_t out = g->offsets[v + 1] - g->offsets[v], in = g->in_degree[v];
		s->referrers += out > 0;
		s->referred += in > 0;
		s->multi_referred += in > 1;
		s->isolated += out == 0 && in == 0;
		if (out > s->max_out)
			s->max_out = out;
		if (in > s->max_in)
			s->max_in = in;
	}
	s->mean_out = g->n ? (double)g->m / g->n : 0;
	s->mean_out_referrers = s->referrers ? (double)g->m / s->referrers : 0;
}

/* x as JSON: the shortest form that reads back to the same double (as the report), or null. */
static const char *json_number(char buf[RN_NUMBER_MAX], double x)
{
	rn_format_double(buf, x);
	return buf[0] ? buf : "null";
}

int cmd_info(int argc, char **argv)
{
	static const struct option options[] = {
		{"format", required_argument, NULL, 'f'},
		{"duplicates", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int json = 0;
	rn_dup_policy policy = RN_DUP_SUM;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:d:h", options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (!strcmp(optarg, "json"))
				json = 1;
			else if (strcmp(optarg, "text"))
				return cli_usage_error("info", "--format must be text or json, not '%s'",
						       optarg);
			break;
		case 'd':
			if (cli_parse_dup_policy(optarg, &policy))
				return cli_usage_error("info",
						       "--duplicates must be sum, max, first or error");
			break;
		case 'h':
			fputs(info_usage, stdout);
			return 0;
		default:
			return cli_usage_error("info", "unknown option");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("info", "expected one referrals file");

	cli_graph loaded;
	rn_error err;
	rn_error_clear(&err);
	int rc = cli_load_graph(&loaded, argv[optind], policy, false, &err);
	if (rc != RN_OK)
		return cli_fail(&err);
	const rn_graph *g = &loaded.graph;
	uint32_t *comp = rn_malloc_array((size_t)g->n + 1, sizeof *comp);
	uint32_t components = 0, *sizes = NULL, largest = 0;
	if (!comp) {
		cli_graph_free(&loaded);
		rn_error_set(&err, RN_ENOMEM, NULL, 0, 0, "out of memory");
		return cli_fail(&err);
	}
	rc = rn_graph_wcc(g, comp, &components, &sizes, &err);
	rn_free(comp);
	if (rc != RN_OK) {
		cli_graph_free(&loaded);
		return cli_fail(&err);
	}
	for (uint32_t c = 0; c < components; c++)
		if (sizes[c] > largest)
			largest = sizes[c];
	rn_free(sizes);
	struct degree_stats s;
	degree_stats(g, &s);
	double bytes_per_edge = g->m ? (double)rn_graph_bytes(g) / (double)g->m : 0;

	if (json) {
		char mean_out[RN_NUMBER_MAX], mean_referrers[RN_NUMBER_MAX],
		    per_edge[RN_NUMBER_MAX];
		printf("{\n  \"file\": ");
		cli_json_string(stdout, argv[optind]);
		printf(
		    ",\n  \"nodes\": %u,\n  \"edges\": %llu,\n  \"rows\": %llu,\n"
		    "  \"duplicates_merged\": %llu,\n  \"self_loops\": %llu,\n"
		    "  \"weakly_connected_components\": %u,\n  \"largest_component\": %u,\n"
		    "  \"referrers\": %u,\n  \"referred\": %u,\n  \"multi_referred\": %u,\n"
		    "  \"isolated\": %u,\n  \"max_out_degree\": %llu,\n  \"max_in_degree\": %llu,\n"
		    "  \"mean_out_degree\": %s,\n  \"mean_referrals_per_referrer\": %s,\n"
		    "  \"graph_bytes\": %llu,\n  \"bytes_per_edge\": %s,\n"
		    "  \"load_seconds\": %.6f\n}\n",
		    g->n, (unsigned long long)g->m, (unsigned long long)loaded.rows,
		    (unsigned long long)g->duplicates_merged, (unsigned long long)g->self_loops,
		    components, largest, s.referrers, s.referred, s.multi_referred, s.isolated,
		    (unsigned long long)s.max_out, (unsigned long long)s.max_in,
		    json_number(mean_out, s.mean_out),
		    json_number(mean_referrers, s.mean_out_referrers),
		    (unsigned long long)rn_graph_bytes(g), json_number(per_edge, bytes_per_edge),
		    loaded.load_seconds);
	} else {
		printf("file                 %s\n", argv[optind]);
		printf("customers            %u\n", g->n);
		printf("referrals            %llu (from %llu rows)\n", (unsigned long long)g->m,
		       (unsigned long long)loaded.rows);
		printf("duplicates merged    %llu\n", (unsigned long long)g->duplicates_merged);
		printf("self-loops dropped   %llu\n", (unsigned long long)g->self_loops);
		printf("components (weak)    %u, largest %u customers\n", components, largest);
		printf("referrers            %u (%.1f referrals each on average, max %llu)\n",
		       s.referrers, s.mean_out_referrers, (unsigned long long)s.max_out);
		printf("referred customers   %u (%u with several referrers, max %llu)\n", s.referred,
		       s.multi_referred, (unsigned long long)s.max_in);
		printf("isolated customers   %u\n", s.isolated);
		printf("graph memory         %.1f MB (%.1f bytes per referral)\n",
		       (double)rn_graph_bytes(g) / 1e6, bytes_per_edge);
		printf("load time            %.3f s\n", loaded.load_seconds);
	}
	cli_graph_free(&loaded);
	return 0;
}
