/*
 * main.c - the refnet command line: dispatch to one subcommand per file.
 */
#include "cli/commands.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"report", cmd_report, "run the configured analysis and write the report folder"},
	{"check", cmd_check, "validate a configuration and its inputs, run nothing"},
	{"info", cmd_info, "load a referrals file and describe the graph"},
	{"rank", cmd_rank, "per-customer influence centrality as CSV"},
	{"value", cmd_value, "per-customer value columns as CSV"},
	{"roi", cmd_roi, "campaign and channel ROI as CSV"},
	{"generate", cmd_generate, "write a synthetic export set with known ground truth"},
	{"convert", cmd_convert, "write a binary graph snapshot (.rnb)"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: refnet <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'refnet <command> --help' describes a command.\n"
		     "exit codes: 0 ok, 64 usage, 65 bad data, 66 missing input, 70 internal,\n"
		     "            73 cannot create output, 74 I/O error, 78 bad configuration\n");
}

int cli_fail(const rn_error *err)
{
	char text[RN_ERROR_FILE_MAX + RN_ERROR_MSG_MAX + 64];
	rn_error_format(err, text, sizeof text);
	fprintf(stderr, "refnet: %s\n", text);
	return rn_exit_code(err->code ? err->code : RN_EINTERNAL);
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "refnet %s: ", command);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nTry 'refnet %s --help'.\n", command);
	va_end(ap);
	return 64;
}

/* Test builds (RN_TEST_HOOKS, on in the sanitizer build) let a test make the Nth allocation of
 * a whole command fail: REFNET_ALLOC_FAIL_AT=N refnet ... (tests/cli/alloc.sh). */
#ifdef RN_TEST_HOOKS
static void print_alloc_count(void)
{
	fprintf(stderr, "refnet: %llu allocation calls\n", (unsigned long long)rn_alloc_count());
}
#endif

static void test_hooks(void)
{
#ifdef RN_TEST_HOOKS
	const char *at = getenv("REFNET_ALLOC_FAIL_AT");
	if (at && *at)
		rn_alloc_fail_at(strtoull(at, NULL, 10), 0);
	/* REFNET_ALLOC_FAIL_AT=0 counts: the number of allocation calls is printed at exit */
	if (at && !strcmp(at, "0"))
		atexit(print_alloc_count);
#endif
}

int main(int argc, char **argv)
{
	/* A closed pipe on stdout is an output error like any other: the write fails with EPIPE
	 * and the command reports it (exit 74) instead of dying silently by signal. */
	signal(SIGPIPE, SIG_IGN);
	test_hooks();
	if (argc < 2) {
		usage(stderr);
		return 64;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
#ifdef RN_TEST_HOOKS
		printf("refnet %s (test hooks)\n", RN_VERSION);
#else
		printf("refnet %s\n", RN_VERSION);
#endif
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(name, commands[i].name))
			continue;
		int status = commands[i].run(argc - 1, argv + 1);
		/* Output that did not reach stdout (full disk, closed pipe) fails the command. */
		if ((fflush(stdout) != 0 || ferror(stdout)) && status == 0) {
			fprintf(stderr, "refnet: cannot write standard output\n");
			status = 74;
		}
		return status;
	}
	fprintf(stderr, "refnet: unknown command '%s'\n", name);
	usage(stderr);
	return 64;
}
