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
		rn_json j;
		rn_json_init(&j, stdout);
		rn_json_begin_object(&j);
		rn_json_key(&j, "file");
		rn_json_string(&j, argv[optind]);
		const struct {
			const char *key;
			uint64_t value;
		} counts[] = {
		    {"nodes", g->n},
		    {"edges", g->m},
		    {"rows", loaded.rows},
		    {"duplicates_merged", g->duplicates_merged},
		    {"self_loops", g->self_loops},
		    {"weakly_connected_components", components},
		    {"largest_component", largest},
		    {"referrers", s.referrers},
		    {"referred", s.referred},
		    {"multi_referred", s.multi_referred},
		    {"isolated", s.isolated},
		    {"max_out_degree", s.max_out},
		    {"max_in_degree", s.max_in},
		};
		for (size_t k = 0; k < sizeof counts / sizeof *counts; k++) {
			rn_json_key(&j, counts[k].key);
			rn_json_uint(&j, counts[k].value);
		}
		rn_json_key(&j, "mean_out_degree");
		rn_json_number(&j, s.mean_out);
		rn_json_key(&j, "mean_referrals_per_referrer");
		rn_json_number(&j, s.mean_out_referrers);
		rn_json_key(&j, "graph_bytes");
		rn_json_uint(&j, rn_graph_bytes(g));
		rn_json_key(&j, "bytes_per_edge");
		rn_json_number(&j, bytes_per_edge);
		rn_json_key(&j, "load_seconds");
		rn_json_number(&j, loaded.load_seconds);
		rn_json_end_object(&j);
		/* A failed write is reported by main, as for every command's standard output. */
		if (rn_json_finish(&j, "standard output", &err) == RN_EINTERNAL) {
			cli_graph_free(&loaded);
			return cli_fail(&err);
		}
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
