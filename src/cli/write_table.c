/*
 * write_table.c - writing one analysis table (refnet value, refnet roi) to stdout or to a
 * file.  A file is written under a temporary name beside it and renamed at the end, so a
 * failed run never leaves a partial table where the old one was.
 */
#include "cli/write_table.h"
#include "cli/commands.h"

#include <getopt.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_write_table(const char *path, const rn_analysis *a, cli_table_writer fn, rn_error *err)
{
	if (!path) {
		int rc = fn(a, stdout, err);
		if (rc == RN_OK && fflush(stdout))
			rc = rn_error_set(err, RN_EIO, "(stdout)", 0, 0, "write failed: %s",
					  strerror(errno));
		return rc;
	}
	size_t len = strlen(path) + sizeof ".tmp-XXXXXX";
	char *tmp = rn_malloc(len);
	if (!tmp)
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
	snprintf(tmp, len, "%s.tmp-XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		int saved = errno;
		rn_free(tmp);
		return rn_error_set(err, RN_ECANTCREAT, path, 0, 0, "cannot create: %s",
				    strerror(saved));
	}
	FILE *out = fdopen(fd, "w");
	if (!out) {
		int saved = errno;
		close(fd);
		unlink(tmp);
		rn_free(tmp);
		return rn_error_set(err, RN_ECANTCREAT, path, 0, 0, "cannot create: %s",
				    strerror(saved));
	}
	int rc = fn(a, out, err);
	if (fclose(out) && rc == RN_OK)
		rc = rn_error_set(err, RN_EIO, path, 0, 0, "write failed: %s", strerror(errno));
	if (rc == RN_OK && rename(tmp, path))
		rc = rn_error_set(err, RN_ECANTCREAT, path, 0, 0, "cannot create: %s",
				  strerror(errno));
	if (rc)
		unlink(tmp);
	rn_free(tmp);
	return rc;
}

int cli_table_command(const char *name, const char *usage, rn_analysis_depth depth,
		      cli_table_writer fn, int argc, char **argv)
{
	static const struct option options[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *output = NULL;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", options, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case ':':
			return cli_usage_error(name, "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error(name, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(name, optind == argc ? "missing CONFIG.yaml"
							    : "expected one CONFIG.yaml");
	rn_config cfg;
	rn_error err;
	rn_error_clear(&err);
	int status = rn_config_load(&cfg, argv[optind], &err);
	if (status)
		return cli_fail(&err);
	rn_analysis *a = NULL;
	status = rn_config_check_inputs(&cfg, &err);
	if (status == RN_OK)
		status = rn_analysis_run(&a, &cfg, depth, NULL, &err);
	if (status == RN_OK)
		status = cli_write_table(output, a, fn, &err);
	rn_analysis_free(a);
	rn_config_free(&cfg);
	return status ? cli_fail(&err) : 0;
}
