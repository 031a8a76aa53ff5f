/*
 * fuzz_snapshot.c - arbitrary bytes as a .rnb snapshot: the reader must reject or accept, never
 * crash, and an accepted snapshot must be safe to walk (every target below n, every id string
 * readable).
 */
#include <refnet/graph.h>

#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof path);
	if (fd < 0)
		return 0;
	rn_graph g;
	rn_interner *ids;
	rn_error err;
	if (rn_snapshot_read(path, &g, &ids, &err) == RN_OK) {
		uint64_t sum = 0;
		for (uint32_t u = 0; u < g.n; u++) {
			for (uint64_t e = g.offsets[u]; e < g.offsets[u + 1]; e++)
				sum += g.targets[e];
			size_t len;
			sum += rn_interner_string(ids, u, &len)[len];
		}
		if (g.n && sum == UINT64_MAX)
			__builtin_trap();
		rn_interner_free(ids);
		rn_graph_free(&g);
	}
	close(fd);
	return 0;
}
