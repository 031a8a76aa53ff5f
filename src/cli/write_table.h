/*
 * write_table.h - what refnet value and refnet roi share: one analysis table to stdout or,
 * atomically, to a file.
 */
#ifndef REFNET_CLI_WRITE_TABLE_H
#define REFNET_CLI_WRITE_TABLE_H

#include <refnet/report.h>

typedef int (*cli_table_writer)(const rn_analysis *a, FILE *out, rn_error *err);

int cli_write_table(const char *path, const rn_analysis *a, cli_table_writer fn, rn_error *err);

/* The whole of a table command: `refnet NAME CONFIG.yaml [-o FILE]`.  Parses the options
 * (usage is the --help text), loads and checks the configuration, runs the analysis to depth
 * and writes the table with fn.  Returns the exit status. */
int cli_table_command(const char *name, const char *usage, rn_analysis_depth depth,
		      cli_table_writer fn, int argc, char **argv);

#endif
