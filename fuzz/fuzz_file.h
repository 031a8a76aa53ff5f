/*
 * fuzz_file.h - the fuzz targets' one helper: put the input bytes in a file, because the
 * loaders and the snapshot reader take paths.  The file lives in memory (memfd) and is named
 * through /proc/self/fd, so no disk is touched and nothing is left behind.
 */
#ifndef REFNET_FUZZ_FILE_H
#define REFNET_FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* Returns an fd whose /proc path is written to path, or -1. */
static inline int fuzz_file(const uint8_t *data, size_t size, char *path, size_t cap)
{
	int fd = memfd_create("refnet-fuzz", 0);
	if (fd < 0)
		return -1;
	size_t done = 0;
	while (done < size) {
		ssize_t w = write(fd, data + done, size - done);
		if (w <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)w;
	}
	snprintf(path, cap, "/proc/self/fd/%d", fd);
	return fd;
}

#endif
