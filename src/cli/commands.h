/*
 * commands.h - the subcommands of the refnet binary.  Each lives in its own cmd_<name>.c,
 * parses its options with getopt_long and calls the library; main.c only dispatches.
 * A command returns the process exit status (sysexits codes, see README).
 */
#ifndef REFNET_CLI_COMMANDS_H
#define REFNET_CLI_COMMANDS_H

#include <refnet/util.h>

int cmd_info(int argc, char **argv);
int cmd_rank(int argc, char **argv);
int cmd_value(int argc, char **argv);
int cmd_roi(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_convert(int argc, char **argv);

/* Prints "refnet: file:line:col: message" to stderr and returns the exit code for err. */
int cli_fail(const rn_error *err);
/* Prints "refnet <command>: message" and the usage hint; returns 64. */
int cli_usage_error(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
