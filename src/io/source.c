/*
 * source.c - byte sources: a plain file, a gzip or zstd stream, or caller-owned memory, all
 * read through one call that yields decompressed bytes.
 *
 * The format is told by magic bytes (gzip 1f 8b, zstd 28 b5 2f fd), never by the file name,
 * because exports are renamed freely.  Plain files are read with large read() calls straight
 * into the caller's buffer (the CSV reader asks for about 1 MiB at a time), so a 600 MB file
 * costs a few hundred system calls and one copy.  Compressed input is read in 1 MiB chunks
 * into our own buffer and inflated into the caller's.
 *
 * Truncation must never pass for a clean end of file: zlib reports a cut stream only by
 * making no progress (Z_BUF_ERROR) once the input is gone, without ever returning
 * Z_STREAM_END, and ZSTD_decompressStream only by a nonzero "bytes still expected" hint after
 * the last input byte.  Both are checked and reported as RN_EIO.  Concatenated gzip members
 * (as written by `cat a.gz b.gz` or pigz) are inflated one after the other; zstd handles
 * concatenated frames itself.
 *
 * Decompressors allocate through rn_malloc (zlib's zalloc hook, zstd's custom memory), so the
 * allocation-failure tests reach them too.
 */
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_createDCtx_advanced: custom allocator */
#include <refnet/io.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#define CHUNK_BYTES (1u << 20)

enum source_kind { KIND_PLAIN, KIND_GZIP, KIND_ZSTD };

struct rn_source {
	char *name;
	int fd; /* -1 for a memory source */
	enum source_kind kind;
	/* Raw (possibly compressed) input not consumed yet: in[in_pos, in_len).  For a file it
	 * is our chunk buffer; for memory it is the caller's whole buffer. */
	const unsigned char *in;
	size_t in_len, in_pos;
	unsigned char *chunk; /* owned input buffer (files only) */
	bool in_eof;	      /* the underlying file or memory has no more bytes */
	uint64_t raw_bytes;
	uint64_t file_bytes; /* size of a regular file when opened, UINT64_MAX otherwise */
	size_t read_limit; /* test hook: at most this many bytes per read, 0 = none */
	z_stream zs;
	bool zs_ready;
	bool member_done; /* gzip: the last inflate() returned Z_STREAM_END */
	ZSTD_DCtx *zd;
	size_t zstd_hint; /* last ZSTD_decompressStream result: 0 = frame complete */
	bool finished;	  /* decompressed end of input reached cleanly */
};

static voidpf zlib_alloc(voidpf opaque, uInt items, uInt size)
{
	(void)opaque;
	return rn_malloc_array(items, size);
}

static void zlib_free(voidpf opaque, voidpf ptr)
{
	(void)opaque;
	rn_free(ptr);
}

static void *zstd_alloc(void *opaque, size_t size)
{
	(void)opaque;
	return rn_malloc(size);
}

static void zstd_free(void *opaque, void *ptr)
{
	(void)opaque;
	rn_free(ptr);
}

static int io_error(rn_source *src, rn_error *err, const char *what)
{
	return rn_error_set(err, RN_EIO, src->name, 0, 0, "%s: %s", what, strerror(errno));
}

/* The end of a regular file: it must be as long as when it was opened.  A file truncated or
 * extended by another program while refnet reads it would otherwise pass for a complete
 * (shorter or mixed) export. */
static int end_of_file(rn_source *src, rn_error *err)
{
	src->in_eof = true;
	if (src->file_bytes != UINT64_MAX && src->raw_bytes != src->file_bytes)
		return rn_error_set(err, RN_EIO, src->name, 0, 0,
				    "file changed while being read (%llu bytes when opened, %llu "
				    "read)",
				    (unsigned long long)src->file_bytes,
				    (unsigned long long)src->raw_bytes);
	return RN_OK;
}

/* Refills the file chunk when everything in it has been consumed.  Memory sources hold all
 * their bytes from the start, so for them this only marks the end. */
static int fill_input(rn_source *src, rn_error *err)
{
	if (src->in_pos < src->in_len || src->in_eof)
		return RN_OK;
	if (src->fd < 0) {
		src->in_eof = true;
		return RN_OK;
	}
	src->in_len = src->in_pos = 0;
	for (;;) {
		ssize_t n = read(src->fd, src->chunk, CHUNK_BYTES);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return io_error(src, err, "read failed");
		src->in_len = (size_t)n;
		src->raw_bytes += (uint64_t)n;
		return n == 0 ? end_of_file(src, err) : RN_OK;
	}
}

/* Reads until at least `want` raw bytes are buffered (or the file ends), for magic detection;
 * short reads happen on pipes. */
static int fill_at_least(rn_source *src, size_t want, rn_error *err)
{
	while (src->fd >= 0 && src->in_len < want && !src->in_eof) {
		ssize_t n = read(src->fd, src->chunk + src->in_len, CHUNK_BYTES - src->in_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return io_error(src, err, "read failed");
		src->in_len += (size_t)n;
		src->raw_bytes += (uint64_t)n;
		if (n == 0)
			return end_of_file(src, err);
	}
	return RN_OK;
}

static int start_decoder(rn_source *src, rn_error *err)
{
	const unsigned char *b = src->in;
	if (src->in_len >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
		src->kind = KIND_GZIP;
		src->zs.zalloc = zlib_alloc;
		src->zs.zfree = zlib_free;
		src->zs.opaque = NULL;
		int zrc = inflateInit2(&src->zs, 15 + 32); /* 32: accept the gzip header */
		if (zrc != Z_OK)
			return rn_error_set(err, zrc == Z_MEM_ERROR ? RN_ENOMEM : RN_EINTERNAL,
					    src->name, 0, 0, "cannot start gzip decoder");
		src->zs_ready = true;
	} else if (src->in_len >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f &&
		   b[3] == 0xfd) {
		src->kind = KIND_ZSTD;
		ZSTD_customMem mem = {zstd_alloc, zstd_free, NULL};
		src->zd = ZSTD_createDCtx_advanced(mem);
		if (!src->zd)
			return rn_error_set(err, RN_ENOMEM, src->name, 0, 0,
					    "cannot start zstd decoder: out of memory");
		src->zstd_hint = 1;
	} else {
		src->kind = KIND_PLAIN;
	}
	return RN_OK;
}

static int new_source(rn_source **out, const char *name, rn_error *err)
{
	rn_source *src = rn_calloc(1, sizeof *src);
	if (src)
		src->name = rn_strdup(name ? name : "(memory)");
	if (!src || !src->name) {
		rn_free(src);
		rn_error_set(err, RN_ENOMEM, name, 0, 0, "out of memory");
		return RN_ENOMEM;
	}
	src->fd = -1;
	src->file_bytes = UINT64_MAX;
	*out = src;
	return RN_OK;
}

int rn_source_open(rn_source **out, const char *path, rn_error *err)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rn_error_set(err, RN_ENOINPUT, path, 0, 0, "cannot open: %s",
				    strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
		int saved = S_ISDIR(st.st_mode) ? EISDIR : errno;
		close(fd);
		return rn_error_set(err, RN_ENOINPUT, path, 0, 0, "cannot read: %s",
				    strerror(saved));
	}
#ifdef POSIX_FADV_SEQUENTIAL
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	rn_source *src = NULL;
	int rc = new_source(&src, path, err);
	if (rc != RN_OK) {
		close(fd);
		return rc;
	}
	src->fd = fd;
	src->file_bytes = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : UINT64_MAX;
	src->chunk = rn_malloc(CHUNK_BYTES);
	if (!src->chunk) {
		rn_source_close(src);
		return rn_error_set(err, RN_ENOMEM, path, 0, 0, "out of memory");
	}
	src->in = src->chunk;
	rc = fill_at_least(src, 4, err);
	if (rc == RN_OK)
		rc = start_decoder(src, err);
	if (rc != RN_OK) {
		if (rc == RN_EIO)
			rc = RN_ENOINPUT; /* unreadable from the first byte */
		if (err)
			err->code = rc;
		rn_source_close(src);
		return rc;
	}
	*out = src;
	return RN_OK;
}

int rn_source_open_memory(rn_source **out, const void *data, size_t len, const char *name,
			  rn_error *err)
{
	*out = NULL;
	rn_source *src = NULL;
	int rc = new_source(&src, name, err);
	if (rc != RN_OK)
		return rc;
	src->in = data;
	src->in_len = len;
	src->in_eof = true;
	rc = start_decoder(src, err);
	if (rc != RN_OK) {
		rn_source_close(src);
		return rc;
	}
	*out = src;
	return RN_OK;
}

void rn_source_set_read_limit(rn_source *src, size_t max_bytes)
{
	src->read_limit = max_bytes;
}

static int64_t read_plain(rn_source *src, unsigned char *buf, size_t cap, rn_error *err)
{
	size_t buffered = src->in_len - src->in_pos;
	if (buffered) {
		size_t n = buffered < cap ? buffered : cap;
		memcpy(buf, src->in + src->in_pos, n);
		src->in_pos += n;
		return (int64_t)n;
	}
	if (src->fd < 0 || src->in_eof)
		return 0;
	for (;;) {
		ssize_t n = read(src->fd, buf, cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return io_error(src, err, "read failed");
		if (n == 0) {
			int rc = end_of_file(src, err);
			if (rc != RN_OK)
				return rc;
		}
		src->raw_bytes += (uint64_t)n;
		return n;
	}
}

static int64_t read_gzip(rn_source *src, unsigned char *buf, size_t cap, rn_error *err)
{
	if (cap > UINT_MAX)
		cap = UINT_MAX;
	size_t produced = 0;
	while (produced < cap) {
		int rc = fill_input(src, err);
		if (rc != RN_OK)
			return rc;
		if (src->member_done) {
			/* A member ended: another may follow (concatenated gzip), or the input
			 * ends here cleanly. */
			if (src->in_pos == src->in_len) {
				src->finished = true;
				break;
			}
			inflateReset(&src->zs);
			src->member_done = false;
		}
		size_t avail = src->in_len - src->in_pos;
		if (avail > UINT_MAX)
			avail = UINT_MAX;
		src->zs.next_in = (Bytef *)(uintptr_t)(src->in + src->in_pos);
		src->zs.avail_in = (uInt)avail;
		src->zs.next_out = buf + produced;
		src->zs.avail_out = (uInt)(cap - produced);
		int zrc = inflate(&src->zs, Z_NO_FLUSH);
		src->in_pos += avail - src->zs.avail_in;
		produced = cap - src->zs.avail_out;
		if (zrc == Z_STREAM_END) {
			src->member_done = true;
		} else if (zrc == Z_BUF_ERROR) {
			/* No progress possible: output space remains, so input is missing. */
			if (src->in_pos == src->in_len && src->in_eof)
				return rn_error_set(err, RN_EIO, src->name, 0, 0,
						    "truncated gzip stream (input ends inside "
						    "compressed data)");
		} else if (zrc == Z_MEM_ERROR) {
			return rn_error_set(err, RN_ENOMEM, src->name, 0, 0,
					    "out of memory in gzip decoder");
		} else if (zrc != Z_OK) {
			return rn_error_set(err, RN_EIO, src->name, 0, 0, "corrupt gzip stream: %s",
					    src->zs.msg ? src->zs.msg : "invalid data");
		}
	}
	return (int64_t)produced;
}

static int64_t read_zstd(rn_source *src, unsigned char *buf, size_t cap, rn_error *err)
{
	size_t produced = 0;
	while (produced < cap) {
		int rc = fill_input(src, err);
		if (rc != RN_OK)
			return rc;
		/* The input is over: clean if the last call completed a frame (hint 0). */
		bool input_over = src->in_pos == src->in_len && src->in_eof;
		if (input_over && src->zstd_hint == 0) {
			src->finished = true;
			break;
		}
		ZSTD_inBuffer in = {src->in + src->in_pos, src->in_len - src->in_pos, 0};
		ZSTD_outBuffer out = {buf + produced, cap - produced, 0};
		size_t hint = ZSTD_decompressStream(src->zd, &out, &in);
		if (ZSTD_isError(hint)) {
			if (ZSTD_getErrorCode(hint) == ZSTD_error_memory_allocation)
				return rn_error_set(err, RN_ENOMEM, src->name, 0, 0,
						    "out of memory in zstd decoder");
			return rn_error_set(err, RN_EIO, src->name, 0, 0, "corrupt zstd stream: %s",
					    ZSTD_getErrorName(hint));
		}
		src->in_pos += in.pos;
		produced += out.pos;
		src->zstd_hint = hint;
		/* No input left and no progress: the decoder still expects bytes of a frame
		 * (output it was holding back would have been progress). */
		if (input_over && out.pos == 0 && hint != 0)
			return rn_error_set(err, RN_EIO, src->name, 0, 0,
					    "truncated zstd stream (input ends inside a frame)");
	}
	return (int64_t)produced;
}

int64_t rn_source_read(rn_source *src, void *buf, size_t cap, rn_error *err)
{
	if (cap == 0 || src->finished)
		return 0;
	if (src->read_limit && cap > src->read_limit)
		cap = src->read_limit;
	if (cap > (size_t)1 << 30)
		cap = (size_t)1 << 30;
	switch (src->kind) {
	case KIND_GZIP:
		return read_gzip(src, buf, cap, err);
	case KIND_ZSTD:
		return read_zstd(src, buf, cap, err);
	default:
		return read_plain(src, buf, cap, err);
	}
}

const char *rn_source_name(const rn_source *src)
{
	return src->name;
}

uint64_t rn_source_raw_bytes(const rn_source *src)
{
	if (src->fd < 0)
		return src->in_pos; /* memory: bytes handed on so far */
	return src->raw_bytes;
}

void rn_source_close(rn_source *src)
{
	if (!src)
		return;
	if (src->zs_ready)
		inflateEnd(&src->zs);
	if (src->zd)
		ZSTD_freeDCtx(src->zd);
	if (src->fd >= 0)
		close(src->fd);
	rn_free(src->chunk);
	rn_free(src->name);
	rn_free(src);
}
