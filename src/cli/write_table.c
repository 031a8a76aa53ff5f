/*
 * write_table.c - writing one analysis table (refnet value, refnet roi) to stdout or to a
 * file.  A file is written under a temporary name beside it and renamed at the end, so a
 * failed run never leaves a partial table where the old one was.
 */
#include "cli/write_table.h"

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
