/*
 * load_graph.h - what the graph commands (info, rank, convert) share: turning a referrals file
 * (CSV, compressed CSV or .rnb snapshot) into a graph with its id strings.
 */
#ifndef REFNET_CLI_LOAD_GRAPH_H
#define REFNET_CLI_LOAD_GRAPH_H

#include <refnet/graph.h>

#include <stdbool.h>
#include <stdio.h>

typedef struct cli_graph {
	rn_dataset dataset;   /* ids (and the referral rows when loaded from CSV) */
	rn_graph graph;
	uint64_t rows;        /* data rows read */
	double load_seconds;  /* file to CSR */
} cli_graph;

/* With lookups false (rank, info: ids are only printed afterwards) the ids' hash table goes as
 * soon as the last row is read, before the graph is built (rn_interner_drop_index), which
 * takes it and the strings' lookup headers off the load's peak; convert keeps it for the
 * snapshot. */
int cli_load_graph(cli_graph *out, const char *path, rn_dup_policy policy, bool lookups,
		   rn_error *err);
void cli_graph_free(cli_graph *loaded);
/* Parses sum|max|first|error; returns 0 or -1. */
int cli_parse_dup_policy(const char *text, rn_dup_policy *policy);

#endif
