/*
 * snapshot.c - the binary graph snapshot (.rnb): load a graph in the time it takes to map it.
 *
 * A snapshot is the CSR arrays, the per-node degree arrays and the id interner (hash slots,
 * string offsets, string arena) laid out exactly as they are in memory, each section aligned
 * to 64 bytes, behind a fixed header.  Reading maps the file and points the arrays into the
 * mapping, so nothing is parsed, hashed or copied; the only pass over the data is the XXH3
 * checksum that rejects corrupt files (about 10 GB/s).  The format is native little-endian;
 * the header carries a byte-order mark so that a big-endian machine refuses the file instead
 * of misreading it.  docs/SNAPSHOT.md documents the layout.
 */
#include <refnet/graph.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#define SNAPSHOT_MAGIC "RNBGRAPH"
#define SNAPSHOT_VERSION 1u
#define SNAPSHOT_BYTE_ORDER 0x01020304u
#define SECTION_ALIGN 64u

enum { S_OFFSETS, S_TARGETS, S_WEIGHTS, S_IN_DEGREE, S_IN_WEIGHT, S_OUT_WEIGHT, S_SLOTS,
       S_ID_OFFSETS, S_ARENA, S_COUNT };

/* 256 bytes, every field fixed-width; the checksum covers everything after the header. */
struct header {
	char magic[8];
	uint32_t version;
	uint32_t byte_order;
	uint32_t nodes;
	uint32_t ids;
	uint64_t edges;
	uint64_t duplicates_merged;
	uint64_t self_loops;
	uint64_t slot_mask;
	uint64_t arena_bytes;
	uint64_t file_bytes;
	uint64_t body_checksum;
	uint64_t section_offset[S_COUNT];
	uint8_t reserved[256 - 8 - 4 * 4 - 8 * 7 - 8 * S_COUNT - 8];
	uint64_t header_checksum; /* of the bytes before it */
};
_Static_assert(sizeof(struct header) == 256, "snapshot header is 256 bytes");

static uint64_t align_up(uint64_t x)
{
	return (x + SECTION_ALIGN - 1) & ~(uint64_t)(SECTION_ALIGN - 1);
}

/* Section sizes in bytes from the header counts. */
static void section_sizes(const struct header *h, uint64_t size[S_COUNT])
{
	size[S_OFFSETS] = ((uint64_t)h->nodes + 1) * 8;
	size[S_TARGETS] = h->edges * 4;
	size[S_WEIGHTS] = h->edges * 4;
	size[S_IN_DEGREE] = (uint64_t)h->nodes * 4;
	size[S_IN_WEIGHT] = (uint64_t)h->nodes * 8;
	size[S_OUT_WEIGHT] = (uint64_t)h->nodes * 8;
	size[S_SLOTS] = (h->slot_mask + 1) * 8;
	size[S_ID_OFFSETS] = ((uint64_t)h->ids + 1) * 8;
	size[S_ARENA] = h->arena_bytes;
}

static uint64_t layout(struct header *h, uint64_t size[S_COUNT])
{
	section_sizes(h, size);
	uint64_t at = sizeof *h;
	for (int s = 0; s < S_COUNT; s++) {
		h->section_offset[s] = at;
		at = align_up(at + size[s]);
	}
	return at;
}

bool rn_snapshot_detect(const char *path)
{
	char magic[8];
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	bool yes = fread(magic, 1, sizeof magic, f) == sizeof magic &&
		   memcmp(magic, SNAPSHOT_MAGIC, sizeof magic) == 0;
	fclose(f);
	return yes;
}

static int write_all(int fd, const void *data, uint64_t len, XXH3_state_t *hash)
{
	const char *p = data;
	if (hash)
		XXH3_64bits_update(hash, data, len);
	while (len) {
		ssize_t w = write(fd, p, len > (1u << 30) ? (1u << 30) : len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (uint64_t)w;
	}
	return 0;
}

static int write_padding(int fd, uint64_t len, XXH3_state_t *hash)
{
	static const char zeros[SECTION_ALIGN];
	return len ? write_all(fd, zeros, len, hash) : 0;
}

static int write_body(int fd, const struct header *h, const void *const data[S_COUNT],
		      const uint64_t size[S_COUNT], XXH3_state_t *hash)
{
	uint64_t at = sizeof *h;
	for (int s = 0; s < S_COUNT; s++) {
		if (write_all(fd, data[s], size[s], hash))
			return -1;
		at += size[s];
		uint64_t next = s + 1 < S_COUNT ? h->section_offset[s + 1] : h->file_bytes;
		if (write_padding(fd, next - at, hash))
			return -1;
		at = next;
	}
	return 0;
}

int rn_snapshot_write(const char *path, const rn_graph *g, rn_interner *ids, rn_error *err)
{
	int irc = rn_interner_index_all(ids);
	if (irc == RN_ENOMEM)
		return rn_error_set(err, RN_ENOMEM, path, 0, 0, "out of memory");
	rn_interner_parts parts;
	rn_interner_parts_of(ids, &parts);
	if (parts.count != g->n)
		return rn_error_set(err, RN_EINTERNAL, path, 0, 0,
				    "graph has %u nodes but %u ids", g->n, parts.count);
	if (!parts.slots)
		return rn_error_set(err, RN_EINTERNAL, path, 0, 0,
				    "the ids' hash table was released (rn_interner_drop_index)");
	struct header h;
	memset(&h, 0, sizeof h);
	memcpy(h.magic, SNAPSHOT_MAGIC, sizeof h.magic);
	h.version = SNAPSHOT_VERSION;
	h.byte_order = SNAPSHOT_BYTE_ORDER;
	h.nodes = g->n;
	h.ids = parts.count;
	h.edges = g->m;
	h.duplicates_merged = g->duplicates_merged;
	h.self_loops = g->self_loops;
	h.slot_mask = parts.mask;
	h.arena_bytes = parts.arena_len;
	uint64_t size[S_COUNT];
	h.file_bytes = layout(&h, size);
	static const uint64_t zero_offset;
	/* The out-weight section holds the row sums (rn_graph_out_weight) for readers of the
	 * format; the graph does not keep them, and refnet does not read them back. */
	double *out_weight = rn_malloc_array((size_t)g->n + 1, sizeof *out_weight);
	size_t tmp_len = strlen(path) + 16;
	char *tmp = rn_malloc(tmp_len);
	XXH3_state_t *hash = XXH3_createState();
	if (!tmp || !hash || !out_weight) {
		rn_free(tmp);
		rn_free(out_weight);
		XXH3_freeState(hash);
		return rn_error_set(err, RN_ENOMEM, path, 0, 0, "out of memory");
	}
	for (uint32_t u = 0; u < g->n; u++)
		out_weight[u] = rn_graph_out_weight(g, u);
	const void *data[S_COUNT] = {
	    g->offsets,	  g->targets,
	    g->weights,	  g->in_degree,
	    g->in_weight, out_weight,
	    parts.slots,  parts.offsets ? (const void *)parts.offsets : &zero_offset,
	    parts.arena};

	snprintf(tmp, tmp_len, "%s.tmp%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int rc = RN_OK;
	if (fd < 0) {
		rc = rn_error_set(err, RN_ECANTCREAT, path, 0, 0, "cannot create: %s",
				  strerror(errno));
		goto done;
	}
	/* First pass computes the checksum while writing the body after a placeholder header;
	 * then the final header is written in place. */
	XXH3_64bits_reset(hash);
	if (write_all(fd, &h, sizeof h, NULL) || write_body(fd, &h, data, size, hash)) {
		rc = rn_error_set(err, RN_EIO, path, 0, 0, "write failed: %s", strerror(errno));
		goto done;
	}
	h.body_checksum = XXH3_64bits_digest(hash);
	h.header_checksum = XXH3_64bits(&h, offsetof(struct header, header_checksum));
	if (pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h || fsync(fd) != 0) {
		rc = rn_error_set(err, RN_EIO, path, 0, 0, "write failed: %s", strerror(errno));
		goto done;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = rn_error_set(err, RN_EIO, path, 0, 0, "write failed: %s", strerror(errno));
		goto done;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		rc = rn_error_set(err, RN_ECANTCREAT, path, 0, 0, "cannot rename %s: %s", tmp,
				  strerror(errno));
done:
	if (fd >= 0)
		close(fd);
	if (rc != RN_OK)
		unlink(tmp);
	rn_free(tmp);
	rn_free(out_weight);
	XXH3_freeState(hash);
	return rc;
}

static int corrupt(rn_error *err, const char *path, const char *what)
{
	return rn_error_set(err, RN_EDATA, path, 0, 0, "not a valid refnet snapshot: %s", what);
}

/* Structural checks that the kernels rely on: offsets ascending and ending at m, every target
 * below n.  A checksum only proves the file is what was written, not that it was written by
 * a correct program. */
static int check_graph(const rn_graph *g)
{
	if (g->offsets[0] != 0 || g->offsets[g->n] != g->m)
		return -1;
	for (uint32_t u = 0; u < g->n; u++)
		if (g->offsets[u + 1] < g->offsets[u])
			return -1;
	for (uint64_t e = 0; e < g->m; e++)
		if (g->targets[e] >= g->n)
			return -1;
	return 0;
}

int rn_snapshot_read(const char *path, rn_graph *g, rn_interner **ids, rn_error *err)
{
	memset(g, 0, sizeof *g);
	*ids = NULL;
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return rn_error_set(err, RN_ENOINPUT, path, 0, 0, "%s", strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return rn_error_set(err, RN_EIO, path, 0, 0, "%s", strerror(errno));
	}
	uint64_t file_bytes = (uint64_t)st.st_size;
	if (file_bytes < sizeof(struct header)) {
		close(fd);
		return corrupt(err, path, "shorter than its header");
	}
	void *map = mmap(NULL, file_bytes, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return rn_error_set(err, RN_EIO, path, 0, 0, "cannot map: %s", strerror(errno));
	const struct header *h = map;
	const char *base = map;
	int rc = RN_OK;
	struct header expect;
	uint64_t size[S_COUNT];
	if (memcmp(h->magic, SNAPSHOT_MAGIC, 8) != 0)
		rc = corrupt(err, path, "wrong magic number");
	else if (h->byte_order != SNAPSHOT_BYTE_ORDER)
		rc = corrupt(err, path, "written on a machine of the other byte order");
	else if (h->version != SNAPSHOT_VERSION)
		rc = rn_error_set(err, RN_EDATA, path, 0, 0,
				  "snapshot format version %u, this refnet reads version %u",
				  h->version, SNAPSHOT_VERSION);
	else if (h->header_checksum != XXH3_64bits(h, offsetof(struct header, header_checksum)))
		rc = corrupt(err, path, "header checksum mismatch");
	if (rc == RN_OK) {
		expect = *h;
		if (h->file_bytes != file_bytes || h->nodes != h->ids ||
		    h->slot_mask >= (1ull << 40) || h->edges >= (1ull << 40) ||
		    h->arena_bytes >= (1ull << 44) || layout(&expect, size) != file_bytes ||
		    memcmp(expect.section_offset, h->section_offset, sizeof size) != 0)
			rc = corrupt(err, path, h->file_bytes > file_bytes ? "truncated file"
									   : "sizes do not match");
	}
	if (rc == RN_OK && XXH3_64bits(base + sizeof *h, file_bytes - sizeof *h) !=
				   h->body_checksum)
		rc = corrupt(err, path, "data checksum mismatch");
	if (rc == RN_OK) {
		g->n = h->nodes;
		g->m = h->edges;
		g->duplicates_merged = h->duplicates_merged;
		g->self_loops = h->self_loops;
		g->offsets = (uint64_t *)(uintptr_t)(base + h->section_offset[S_OFFSETS]);
		g->targets = (uint32_t *)(uintptr_t)(base + h->section_offset[S_TARGETS]);
		g->weights = (float *)(uintptr_t)(base + h->section_offset[S_WEIGHTS]);
		g->in_degree = (uint32_t *)(uintptr_t)(base + h->section_offset[S_IN_DEGREE]);
		g->in_weight = (double *)(uintptr_t)(base + h->section_offset[S_IN_WEIGHT]);
		if (check_graph(g))
			rc = corrupt(err, path, "inconsistent graph arrays");
	}
	if (rc == RN_OK) {
		rn_interner_parts parts = {
			.slots = (const uint64_t *)(const void *)(base + h->section_offset[S_SLOTS]),
			.mask = h->slot_mask,
			.count = h->ids,
			.offsets = (const uint64_t *)(const void *)(base +
								    h->section_offset[S_ID_OFFSETS]),
			.arena = base + h->section_offset[S_ARENA],
			.arena_len = h->arena_bytes,
			.mapped = true,
		};
		int arc = rn_interner_attach(ids, &parts);
		if (arc == RN_ENOMEM)
			rc = rn_error_set(err, RN_ENOMEM, path, 0, 0, "out of memory");
		else if (arc != RN_OK)
			rc = corrupt(err, path, "inconsistent id table");
	}
	if (rc != RN_OK) {
		munmap(map, file_bytes);
		memset(g, 0, sizeof *g);
		return rc;
	}
	g->mapping = map;
	g->mapping_bytes = file_bytes;
	return RN_OK;
}
