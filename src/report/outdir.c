/*
 * outdir.c - the report folder, written so that nobody ever sees half of it.
 *
 * Everything is written into "<target>.tmp-XXXXXX" (mkdtemp, so beside the target and on the
 * same file system), each file fsync'ed when closed.  Commit fsyncs the folder and then puts
 * it in place: renameat2(RENAME_EXCHANGE) swaps it with an existing report in one step, after
 * which the old report (now under the temporary name) is removed; without an existing report
 * a plain rename suffices.  Where the exchange is not supported (old kernels, some network
 * file systems) the old report is first renamed aside and put back if the second rename
 * fails.  An existing target that is neither empty nor a refnet report (no manifest.json) is
 * refused: replacing a user's folder because the configuration named it would destroy data.
 * On any failure the temporary folder is removed and the existing report left as it was.
 */
#define _GNU_SOURCE
#include <refnet/report.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_REMOVE_DEPTH 8

/* Removes a folder we created (flat, or with a few levels of subfolders). */
static int remove_tree(int parent_fd, const char *name, int depth)
{
	if (depth > MAX_REMOVE_DEPTH)
		return -1;
	int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	int status = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(fd, e->d_name, 0) == 0)
			continue;
		if (errno == EISDIR || errno == EPERM) {
			if (remove_tree(fd, e->d_name, depth + 1) == 0)
				continue;
		}
		status = -1;
	}
	closedir(d);
	if (unlinkat(parent_fd, name, AT_REMOVEDIR) != 0)
		status = -1;
	return status;
}

static int remove_path(const char *path)
{
	return remove_tree(AT_FDCWD, path, 0);
}

static int sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int status = fsync(fd);
	close(fd);
	return status;
}

static char *parent_of(const char *path)
{
	char *dir = rn_strdup(path);
	if (!dir)
		return NULL;
	char *slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	return dir;
}

int rn_outdir_begin(rn_outdir *dir, const char *target, rn_error *err)
{
	memset(dir, 0, sizeof *dir);
	size_t len = strlen(target);
	while (len > 1 && target[len - 1] == '/')
		len--; /* "out/" names the folder "out" */
	if (len == 0)
		return rn_error_set(err, RN_ECANTCREAT, NULL, 0, 0, "empty report folder name");
	dir->target = rn_strndup(target, len);
	dir->tmp = rn_malloc(len + sizeof ".tmp-XXXXXX");
	if (!dir->target || !dir->tmp) {
		rn_free(dir->target);
		rn_free(dir->tmp);
		memset(dir, 0, sizeof *dir);
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
	}
	snprintf(dir->tmp, len + sizeof ".tmp-XXXXXX", "%s.tmp-XXXXXX", dir->target);
	if (!mkdtemp(dir->tmp)) {
		int saved = errno;
		rn_error_set(err, RN_ECANTCREAT, dir->target, 0, 0,
			     "cannot create the report folder: %s", strerror(saved));
		rn_free(dir->target);
		rn_free(dir->tmp);
		memset(dir, 0, sizeof *dir);
		return RN_ECANTCREAT;
	}
	return RN_OK;
}

int rn_outdir_open(rn_outdir *dir, const char *name, FILE **out, rn_error *err)
{
	*out = NULL;
	if (!dir->tmp || !name[0] || strchr(name, '/') || !strcmp(name, "..") || !strcmp(name, "."))
		return rn_error_set(err, RN_EINTERNAL, name, 0, 0,
				    "not a file name inside the report folder");
	size_t n = strlen(dir->tmp) + strlen(name) + 2;
	char *path = rn_malloc(n);
	if (!path)
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
	snprintf(path, n, "%s/%s", dir->tmp, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	int saved = errno;
	rn_free(path);
	if (fd < 0)
		return rn_error_set(err, RN_ECANTCREAT, dir->target, 0, 0, "cannot create %s: %s",
				    name, strerror(saved));
	*out = fdopen(fd, "w");
	if (!*out) {
		saved = errno;
		close(fd);
		return rn_error_set(err, RN_ECANTCREAT, dir->target, 0, 0, "cannot create %s: %s",
				    name, strerror(saved));
	}
	return RN_OK;
}

int rn_outdir_close(rn_outdir *dir, const char *name, FILE *out, rn_error *err)
{
	(void)dir;
	int failed = fflush(out) != 0 || ferror(out);
	int saved = failed ? errno : 0;
	if (!failed && fsync(fileno(out)) != 0) {
		failed = 1;
		saved = errno;
	}
	if (fclose(out) != 0 && !failed) {
		failed = 1;
		saved = errno;
	}
	if (failed)
		return rn_error_set(err, RN_EIO, name, 0, 0, "write failed: %s",
				    strerror(saved ? saved : EIO));
	return RN_OK;
}

/* Empty, or holds manifest.json: a folder we may replace. */
static int replaceable(const char *path, bool *exists, rn_error *err)
{
	struct stat st;
	*exists = false;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return RN_OK;
		return rn_error_set(err, RN_ECANTCREAT, path, 0, 0, "cannot inspect: %s",
				    strerror(errno));
	}
	*exists = true;
	if (!S_ISDIR(st.st_mode))
		return rn_error_set(err, RN_ECANTCREAT, path, 0, 0,
				    "exists and is not a folder; not replacing it");
	DIR *d = opendir(path);
	if (!d)
		return rn_error_set(err, RN_ECANTCREAT, path, 0, 0, "cannot inspect: %s",
				    strerror(errno));
	bool empty = true, manifest = false;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		empty = false;
		if (!strcmp(e->d_name, "manifest.json"))
			manifest = true;
	}
	closedir(d);
	if (!empty && !manifest)
		return rn_error_set(err, RN_ECANTCREAT, path, 0, 0,
				    "exists and is not a refnet report (no manifest.json); "
				    "not replacing it");
	return RN_OK;
}

int rn_outdir_commit(rn_outdir *dir, rn_error *err)
{
	if (!dir->tmp)
		return rn_error_set(err, RN_EINTERNAL, NULL, 0, 0, "report folder not open");
	bool exists;
	int status = replaceable(dir->target, &exists, err);
	if (status)
		goto fail;
	if (sync_dir(dir->tmp) != 0) {
		status =
		    rn_error_set(err, RN_EIO, dir->tmp, 0, 0, "fsync failed: %s", strerror(errno));
		goto fail;
	}
	if (!exists) {
		if (rename(dir->tmp, dir->target) != 0) {
			status =
			    rn_error_set(err, RN_ECANTCREAT, dir->target, 0, 0,
					 "cannot put the report in place: %s", strerror(errno));
			goto fail;
		}
	} else if (renameat2(AT_FDCWD, dir->tmp, AT_FDCWD, dir->target, RENAME_EXCHANGE) == 0) {
		/* the old report now lives under the temporary name */
		remove_path(dir->tmp);
	} else {
		/* no atomic exchange here: move the old report aside, then put ours in */
		size_t n = strlen(dir->target) + sizeof ".old-XXXXXX";
		char *old = rn_malloc(n);
		if (!old) {
			status = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
			goto fail;
		}
		snprintf(old, n, "%s.old-XXXXXX", dir->target);
		int fd = mkstemp(old);
		if (fd >= 0) {
			close(fd);
			unlink(old);
		}
		if (fd < 0 || rename(dir->target, old) != 0) {
			status =
			    rn_error_set(err, RN_ECANTCREAT, dir->target, 0, 0,
					 "cannot replace the previous report: %s", strerror(errno));
			rn_free(old);
			goto fail;
		}
		if (rename(dir->tmp, dir->target) != 0) {
			int saved = errno;
			rename(old, dir->target);
			rn_free(old);
			status =
			    rn_error_set(err, RN_ECANTCREAT, dir->target, 0, 0,
					 "cannot put the report in place: %s", strerror(saved));
			goto fail;
		}
		remove_path(old);
		rn_free(old);
	}
	char *parent = parent_of(dir->target);
	if (parent) {
		sync_dir(parent); /* best effort: the rename is done either way */
		rn_free(parent);
	}
	rn_free(dir->tmp);
	dir->tmp = NULL;
	return RN_OK;
fail:
	rn_outdir_abort(dir);
	return status;
}

void rn_outdir_abort(rn_outdir *dir)
{
	if (dir->tmp) {
		remove_path(dir->tmp);
		rn_free(dir->tmp);
		dir->tmp = NULL;
	}
	rn_free(dir->target);
	dir->target = NULL;
}
