/* test_source.c - byte sources: plain, gzip, zstd (files and memory), truncation, errors. */
#include <refnet/io.h>

#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "check.h"

static char tmpdir[64];

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_INT(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* gzip member of data (deflate with window bits 15 + 16: gzip header and trailer). */
static unsigned char *gzip_bytes(const void *data, size_t len, size_t *out_len)
{
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	size_t cap = deflateBound(&zs, (uLong)len) + 64;
	unsigned char *out = malloc(cap);
	zs.next_in = (Bytef *)(uintptr_t)data;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	int rc = deflate(&zs, Z_FINISH);
	CHECK_INT(rc, Z_STREAM_END);
	*out_len = cap - zs.avail_out;
	deflateEnd(&zs);
	return out;
}

static unsigned char *zstd_bytes(const void *data, size_t len, size_t *out_len)
{
	size_t cap = ZSTD_compressBound(len);
	unsigned char *out = malloc(cap);
	size_t n = ZSTD_compress(out, cap, data, len, 3);
	CHECK(!ZSTD_isError(n));
	*out_len = n;
	return out;
}

/* Deterministic test text: numbered CSV-like lines, compressible but not trivially. */
static char *sample_text(size_t lines, size_t *len)
{
	char *text = malloc(lines * 32 + 1);
	size_t used = 0;
	uint32_t x = 7;
	for (size_t i = 0; i < lines; i++) {
		x = x * 1103515245u + 12345u;
		used += (size_t)sprintf(text + used, "c%zu,c%u,%u\n", i, x >> 8, x % 97);
	}
	*len = used;
	return text;
}

/* Reads a whole source; returns the status of the last read, the bytes in *out. */
static int read_all(rn_source *src, size_t chunk, char **out, size_t *out_len, rn_error *err)
{
	size_t cap = 1024, used = 0;
	char *buf = malloc(cap);
	int64_t n;
	for (;;) {
		if (cap - used < chunk) {
			cap = cap * 2 + chunk;
			buf = realloc(buf, cap);
		}
		n = rn_source_read(src, buf + used, chunk, err);
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	*out = buf;
	*out_len = used;
	return (int)n;
}

static void expect_content(rn_source *src, size_t chunk, const char *want, size_t want_len)
{
	rn_error err;
	rn_error_clear(&err);
	char *got;
	size_t got_len;
	CHECK_INT(read_all(src, chunk, &got, &got_len, &err), 0);
	if (err.code)
		fprintf(stderr, "error: %s\n", err.message);
	CHECK_INT(got_len, want_len);
	CHECK(got_len == want_len && memcmp(got, want, want_len) == 0);
	/* The end is sticky. */
	CHECK_INT(rn_source_read(src, got, 1, &err), 0);
	free(got);
}

static void test_plain(void)
{
	size_t len;
	char *text = sample_text(200000, &len); /* > 3 MiB: several file chunks */
	CHECK(len > (3u << 20));
	char path[128];
	snprintf(path, sizeof path, "%s/plain.csv", tmpdir);
	write_file(path, text, len);
	rn_error err;
	rn_source *src;
	CHECK_INT(rn_source_open(&src, path, &err), RN_OK);
	CHECK_STR(rn_source_name(src), path);
	expect_content(src, 1 << 20, text, len);
	CHECK_INT(rn_source_raw_bytes(src), len);
	rn_source_close(src);
	/* Odd chunk sizes, and the read limit hook. */
	CHECK_INT(rn_source_open(&src, path, &err), RN_OK);
	expect_content(src, 4093, text, len);
	rn_source_close(src);
	CHECK_INT(rn_source_open(&src, path, &err), RN_OK);
	rn_source_set_read_limit(src, 3);
	char small[16];
	CHECK_INT(rn_source_read(src, small, sizeof small, &err), 3);
	CHECK(memcmp(small, text, 3) == 0);
	rn_source_close(src);
	/* Memory, plain. */
	CHECK_INT(rn_source_open_memory(&src, text, len, "mem.csv", &err), RN_OK);
	CHECK_STR(rn_source_name(src), "mem.csv");
	expect_content(src, 65536, text, len);
	CHECK_INT(rn_source_raw_bytes(src), len);
	rn_source_close(src);
	/* Empty input, and inputs shorter than a magic number. */
	CHECK_INT(rn_source_open_memory(&src, "", 0, "empty", &err), RN_OK);
	expect_content(src, 16, "", 0);
	rn_source_close(src);
	CHECK_INT(rn_source_open_memory(&src, "\x1f", 1, "one", &err), RN_OK);
	expect_content(src, 16, "\x1f", 1);
	rn_source_close(src);
	CHECK_INT(rn_source_open_memory(&src, "\x28\xb5\x2f", 3, "three", &err), RN_OK);
	expect_content(src, 16, "\x28\xb5\x2f", 3);
	rn_source_close(src);
	snprintf(path, sizeof path, "%s/empty.csv", tmpdir);
	write_file(path, "", 0);
	CHECK_INT(rn_source_open(&src, path, &err), RN_OK);
	expect_content(src, 16, "", 0);
	rn_source_close(src);
	free(text);
}

static void test_gzip(void)
{
	size_t len, gz_len;
	char *text = sample_text(150000, &len);
	unsigned char *gz = gzip_bytes(text, len, &gz_len);
	char path[128];
	snprintf(path, sizeof path, "%s/data.csv", tmpdir); /* no .gz: detected by magic */
	write_file(path, gz, gz_len);
	rn_error err;
	rn_source *src;
	CHECK_INT(rn_source_open(&src, path, &err), RN_OK);
	expect_content(src, 1 << 20, text, len);
	CHECK_INT(rn_source_raw_bytes(src), gz_len);
	rn_source_close(src);
	CHECK_INT(rn_source_open_memory(&src, gz, gz_len, "mem.gz", &err), RN_OK);
	expect_content(src, 1000, text, len);
	rn_source_close(src);

	/* Concatenated members: "cat a.gz b.gz" decompresses to a then b. */
	size_t a_len, b_len;
	unsigned char *a = gzip_bytes("first,member\n", 13, &a_len);
	unsigned char *b = gzip_bytes("second,member\n", 14, &b_len);
	unsigned char *both = malloc(a_len + b_len);
	memcpy(both, a, a_len);
	memcpy(both + a_len, b, b_len);
	CHECK_INT(rn_source_open_memory(&src, both, a_len + b_len, "cat.gz", &err), RN_OK);
	expect_content(src, 7, "first,member\nsecond,member\n", 27);
	rn_source_close(src);
	snprintf(path, sizeof path, "%s/cat.gz", tmpdir);
	write_file(path, both, a_len + b_len);
	CHECK_INT(rn_source_open(&src, path, &err), RN_OK);
	expect_content(src, 1 << 20, "first,member\nsecond,member\n", 27);
	rn_source_close(src);

	/* Truncation at every length of a small stream, and at a few points of the large one:
	 * always RN_EIO, never a clean short read. */
	int clean = 0, eio = 0;
	for (size_t cut = 2; cut < a_len; cut++) {
		CHECK_INT(rn_source_open_memory(&src, a, cut, "cut.gz", &err), RN_OK);
		char *got;
		size_t got_len;
		int rc = read_all(src, 64, &got, &got_len, &err);
		free(got);
		clean += rc == 0;
		eio += rc == RN_EIO;
		rn_source_close(src);
	}
	CHECK_INT(clean, 0);
	CHECK_INT(eio, (int)a_len - 2);
	size_t cuts[] = {gz_len / 3, gz_len / 2, gz_len - 9, gz_len - 4, gz_len - 1};
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		snprintf(path, sizeof path, "%s/truncated.csv.gz", tmpdir);
		write_file(path, gz, cuts[i]);
		CHECK_INT(rn_source_open(&src, path, &err), RN_OK);
		char *got;
		size_t got_len;
		rn_error_clear(&err);
		CHECK_INT(read_all(src, 1 << 20, &got, &got_len, &err), RN_EIO);
		CHECK_INT(err.code, RN_EIO);
		CHECK_STR(err.file, path);
		CHECK_STR(err.message, "truncated gzip stream (input ends inside compressed data)");
		free(got);
		rn_source_close(src);
	}
	/* Corruption: a flipped byte in the deflate data or the CRC. */
	unsigned char *bad = malloc(a_len);
	memcpy(bad, a, a_len);
	bad[a_len - 6] ^= 0xff; /* inside the CRC-32 trailer */
	CHECK_INT(rn_source_open_memory(&src, bad, a_len, "crc.gz", &err), RN_OK);
	char *got;
	size_t got_len;
	CHECK_INT(read_all(src, 64, &got, &got_len, &err), RN_EIO);
	CHECK_STR(err.message, "corrupt gzip stream: incorrect data check");
	free(got);
	rn_source_close(src);
	/* Garbage after a complete member is not silently ignored. */
	memcpy(both + a_len, "JUNK", 4);
	CHECK_INT(rn_source_open_memory(&src, both, a_len + 4, "junk.gz", &err), RN_OK);
	CHECK_INT(read_all(src, 64, &got, &got_len, &err), RN_EIO);
	CHECK_CONTAINS(err.message, "corrupt gzip stream");
	free(got);
	rn_source_close(src);
	free(bad);
	free(both);
	free(a);
	free(b);
	free(gz);
	free(text);
}

static void test_zstd(void)
{
	size_t len, zst_len;
	char *text = sample_text(150000, &len);
	unsigned char *zst = zstd_bytes(text, len, &zst_len);
	char path[128];
	snprintf(path, sizeof path, "%s/data.zst", tmpdir);
	write_file(path, zst, zst_len);
	rn_error err;
	rn_source *src;
	CHECK_INT(rn_source_open(&src, path, &err), RN_OK);
	expect_content(src, 1 << 20, text, len);
	CHECK_INT(rn_source_raw_bytes(src), zst_len);
	rn_source_close(src);
	/* Small output chunks: the decoder holds output back between calls. */
	CHECK_INT(rn_source_open_memory(&src, zst, zst_len, "mem.zst", &err), RN_OK);
	expect_content(src, 333, text, len);
	rn_source_close(src);

	/* Two frames back to back. */
	size_t a_len, b_len;
	unsigned char *a = zstd_bytes("first,frame\n", 12, &a_len);
	unsigned char *b = zstd_bytes("second,frame\n", 13, &b_len);
	unsigned char *both = malloc(a_len + b_len);
	memcpy(both, a, a_len);
	memcpy(both + a_len, b, b_len);
	CHECK_INT(rn_source_open_memory(&src, both, a_len + b_len, "cat.zst", &err), RN_OK);
	expect_content(src, 5, "first,frame\nsecond,frame\n", 25);
	rn_source_close(src);

	/* Every truncation of a small frame (past the magic) is an error; the cut inside the
	 * second frame too. */
	int clean = 0;
	for (size_t cut = 4; cut < a_len; cut++) {
		CHECK_INT(rn_source_open_memory(&src, a, cut, "cut.zst", &err), RN_OK);
		char *got;
		size_t got_len;
		int rc = read_all(src, 64, &got, &got_len, &err);
		free(got);
		clean += rc != RN_EIO;
		rn_source_close(src);
	}
	CHECK_INT(clean, 0);
	CHECK_INT(rn_source_open_memory(&src, both, a_len + b_len - 1, "cut2.zst", &err), RN_OK);
	char *got;
	size_t got_len;
	CHECK_INT(read_all(src, 64, &got, &got_len, &err), RN_EIO);
	CHECK_STR(err.message, "truncated zstd stream (input ends inside a frame)");
	free(got);
	rn_source_close(src);
	size_t cuts[] = {zst_len / 3, zst_len - 5, zst_len - 1};
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		snprintf(path, sizeof path, "%s/truncated.zst", tmpdir);
		write_file(path, zst, cuts[i]);
		CHECK_INT(rn_source_open(&src, path, &err), RN_OK);
		rn_error_clear(&err);
		CHECK_INT(read_all(src, 1 << 20, &got, &got_len, &err), RN_EIO);
		CHECK_STR(err.file, path);
		CHECK_STR(err.message, "truncated zstd stream (input ends inside a frame)");
		free(got);
		rn_source_close(src);
	}
	/* Garbage after the frame. */
	memcpy(both + a_len, "JUNKJUNK", 8);
	CHECK_INT(rn_source_open_memory(&src, both, a_len + 8, "junk.zst", &err), RN_OK);
	CHECK_INT(read_all(src, 64, &got, &got_len, &err), RN_EIO);
	CHECK_CONTAINS(err.message, "corrupt zstd stream");
	free(got);
	rn_source_close(src);
	free(both);
	free(a);
	free(b);
	free(zst);
	free(text);
}

static void test_open_errors(void)
{
	rn_error err;
	rn_source *src = (rn_source *)&err;
	char path[128];
	snprintf(path, sizeof path, "%s/does-not-exist.csv", tmpdir);
	rn_error_clear(&err);
	CHECK_INT(rn_source_open(&src, path, &err), RN_ENOINPUT);
	CHECK(src == NULL);
	CHECK_INT(err.code, RN_ENOINPUT);
	CHECK_STR(err.file, path);
	CHECK_STR(err.message, "cannot open: No such file or directory");
	CHECK_INT(rn_source_open(&src, tmpdir, &err), RN_ENOINPUT);
	CHECK_STR(err.message, "cannot read: Is a directory");
	if (geteuid() != 0) { /* root reads anything */
		snprintf(path, sizeof path, "%s/secret.csv", tmpdir);
		write_file(path, "a\n", 2);
		chmod(path, 0);
		CHECK_INT(rn_source_open(&src, path, &err), RN_ENOINPUT);
		CHECK_STR(err.message, "cannot open: Permission denied");
		unlink(path);
	}
}

/* Every allocation on the open and read paths may fail: the error is reported, nothing
 * leaks (the sanitizer build checks leaks). */
static void test_allocation_failures(void)
{
	size_t len, gz_len, zst_len;
	char *text = sample_text(2000, &len);
	unsigned char *gz = gzip_bytes(text, len, &gz_len);
	unsigned char *zst = zstd_bytes(text, len, &zst_len);
	const unsigned char *inputs[] = {gz, zst};
	size_t lens[] = {gz_len, zst_len};
	for (int k = 0; k < 2; k++) {
		int succeeded = 0;
		for (uint64_t n = 1; n < 40 && !succeeded; n++) {
			rn_error err;
			rn_source *src = NULL;
			rn_alloc_fail_at(n, 0);
			int rc = rn_source_open_memory(&src, inputs[k], lens[k], "x", &err);
			char *got = NULL;
			size_t got_len = 0;
			if (rc == RN_OK)
				rc = read_all(src, 4096, &got, &got_len, &err);
			rn_alloc_fail_at(0, 0);
			if (rc == RN_OK) {
				CHECK_INT(got_len, len);
				succeeded = 1;
			} else {
				CHECK_INT(rc, RN_ENOMEM);
			}
			free(got);
			rn_source_close(src);
		}
		CHECK(succeeded);
	}
	free(gz);
	free(zst);
	free(text);
}

/* A file truncated (or grown) by another program while it is read is an I/O error, not a
 * shorter export. */
static void test_changed_while_read(void)
{
	char path[128];
	snprintf(path, sizeof path, "%s/shrinking.csv", tmpdir);
	FILE *f = fopen(path, "w");
	for (int i = 0; i < 400000; i++)
		fprintf(f, "c%d,c%d\n", i, i + 1);
	fclose(f);
	rn_source *src;
	rn_error err;
	CHECK_INT(rn_source_open(&src, path, &err), RN_OK);
	static char buf[1 << 16];
	CHECK(rn_source_read(src, buf, sizeof buf, &err) > 0);
	CHECK_INT(truncate(path, 100000), 0);
	int64_t got;
	while ((got = rn_source_read(src, buf, sizeof buf, &err)) > 0)
		;
	CHECK_INT(got, RN_EIO);
	CHECK_CONTAINS(err.message, "file changed while being read");
	rn_source_close(src);

	/* unchanged, the same file reads to a clean end */
	CHECK_INT(rn_source_open(&src, path, &err), RN_OK);
	while ((got = rn_source_read(src, buf, sizeof buf, &err)) > 0)
		;
	CHECK_INT(got, 0);
	rn_source_close(src);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/rn_test_source_XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_plain();
	test_gzip();
	test_zstd();
	test_open_errors();
	test_allocation_failures();
	test_changed_while_read();
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	CHECK_INT(system(cmd), 0);
	return check_report();
}
