/*
 * fuzz_source.c - the decompression layer: arbitrary bytes (plain, or anything starting with a
 * gzip or zstd magic) are read to the end in odd-sized pieces; every outcome must be data, a
 * clean end, or an error status with a message.
 */
#include <refnet/io.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rn_source *src;
	rn_error err;
	if (rn_source_open_memory(&src, data, size, "fuzz", &err) != RN_OK)
		return 0;
	char buf[4099];
	size_t piece = size ? (size_t)data[0] % sizeof buf + 1 : 1;
	uint64_t total = 0;
	for (;;) {
		rn_error_clear(&err);
		int64_t got = rn_source_read(src, buf, piece, &err);
		if (got < 0) {
			if (err.message[0] == '\0')
				__builtin_trap(); /* every error carries a message */
			break;
		}
		if (got == 0)
			break;
		total += (uint64_t)got;
		if (total > (1u << 30))
			break;
	}
	rn_source_close(src);
	return 0;
}
