/* test_snapshot.c - .rnb snapshots: round trip, and rejection of corrupt, truncated, foreign
 * and missing files. */
#include <refnet/graph.h>

#include <unistd.h>

#include "check.h"

static char path[256];

static void build(rn_graph *g, rn_interner **ids)
{
	static const char *const names[] = {"ann", "007", "7", "bob", "émile"};
	static const uint32_t src[] = {0, 0, 1, 2, 3, 0, 4};
	static const uint32_t dst[] = {1, 2, 2, 0, 3, 1, 0};
	static const float wt[] = {1, 2, 3, 4, 5, 6, 0.25f};
	rn_error err;
	CHECK_INT(rn_interner_new(ids, 0), RN_OK);
	for (uint32_t i = 0; i < 5; i++) {
		uint32_t id;
		CHECK_INT(rn_interner_intern(*ids, names[i], strlen(names[i]), &id, NULL), RN_OK);
	}
	CHECK_INT(rn_graph_build(g, 5, 7, src, dst, wt, RN_DUP_SUM, &err), RN_OK);
}

static long file_size(void)
{
	FILE *f = fopen(path, "rb");
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fclose(f);
	return size;
}

static void flip_byte(long at)
{
	FILE *f = fopen(path, "r+b");
	fseek(f, at, SEEK_SET);
	int c = fgetc(f);
	fseek(f, at, SEEK_SET);
	fputc(c ^ 0x40, f);
	fclose(f);
}

static void test_round_trip(void)
{
	rn_graph g, back;
	rn_interner *ids, *back_ids;
	rn_error err;
	build(&g, &ids);
	CHECK(!rn_snapshot_detect(path));
	CHECK_INT(rn_snapshot_write(path, &g, ids, &err), RN_OK);
	CHECK(rn_snapshot_detect(path));
	CHECK_INT(rn_snapshot_read(path, &back, &back_ids, &err), RN_OK);
	CHECK_INT(back.n, g.n);
	CHECK_INT(back.m, g.m);
	CHECK_INT(back.duplicates_merged, 1);
	CHECK_INT(back.self_loops, 1);
	CHECK(memcmp(back.offsets, g.offsets, (g.n + 1) * sizeof *g.offsets) == 0);
	CHECK(memcmp(back.targets, g.targets, g.m * sizeof *g.targets) == 0);
	CHECK(memcmp(back.weights, g.weights, g.m * sizeof *g.weights) == 0);
	CHECK(memcmp(back.in_weight, g.in_weight, g.n * sizeof *g.in_weight) == 0);
	/* The out-weight section (docs/SNAPSHOT.md: its offset is the header's sixth section
	 * offset, at byte 120) holds the row sums, by hand: 0 -> 1 merged 1 + 6, 0 -> 2 2, ... */
	static const double out[] = {9, 3, 4, 0, 0.25};
	FILE *f = fopen(path, "rb");
	uint64_t at = 0;
	double sums[5] = {0};
	CHECK(f && fseek(f, 120, SEEK_SET) == 0 && fread(&at, 8, 1, f) == 1);
	CHECK(f && fseek(f, (long)at, SEEK_SET) == 0 && fread(sums, 8, 5, f) == 5);
	if (f)
		fclose(f);
	for (uint32_t v = 0; v < 5; v++) {
		CHECK_NEAR(sums[v], out[v], 0);
		CHECK_NEAR(rn_graph_out_weight(&back, v), out[v], 0);
	}
	CHECK(memcmp(back.in_degree, g.in_degree, g.n * sizeof *g.in_degree) == 0);
	CHECK_STR(rn_interner_string(back_ids, 4, NULL), "émile");
	uint32_t id = 99;
	CHECK(rn_interner_find(back_ids, "7", 1, &id));
	CHECK_INT(id, 2);
	/* a snapshot's table: its pages are given back, and lookups still work */
	rn_interner_drop_index(back_ids);
	CHECK(rn_interner_find(back_ids, "7", 1, &id));
	CHECK_INT(id, 2);
	/* the borrowed interner copies itself on the first insertion */
	CHECK_INT(rn_interner_intern(back_ids, "new", 3, &id, NULL), RN_OK);
	CHECK_INT(id, 5);
	CHECK(rn_interner_find(back_ids, "007", 3, &id));
	CHECK_INT(id, 1);
	rn_interner_free(back_ids);
	rn_graph_free(&back);
	rn_interner_free(ids);
	rn_graph_free(&g);
}

static void expect_rejected(const char *what)
{
	rn_graph back;
	rn_interner *ids;
	rn_error err;
	rn_error_clear(&err);
	CHECK_INT(rn_snapshot_read(path, &back, &ids, &err), RN_EDATA);
	CHECK_CONTAINS(err.message, what);
	CHECK_STR(err.file, path);
	CHECK(back.offsets == NULL && ids == NULL);
}

static void test_corruption(void)
{
	rn_graph g;
	rn_interner *ids;
	rn_error err;
	build(&g, &ids);
	CHECK_INT(rn_snapshot_write(path, &g, ids, &err), RN_OK);
	long size = file_size();
	flip_byte(size - 100);
	expect_rejected("data checksum mismatch");
	flip_byte(size - 100);
	flip_byte(20);
	expect_rejected("header checksum mismatch");
	flip_byte(20);
	flip_byte(0);
	expect_rejected("wrong magic number");
	flip_byte(0);
	CHECK_INT(truncate(path, size - 1), 0);
	expect_rejected("truncated file");
	CHECK_INT(truncate(path, 100), 0);
	expect_rejected("shorter than its header");
	unlink(path);
	rn_graph back;
	rn_interner *back_ids;
	CHECK_INT(rn_snapshot_read(path, &back, &back_ids, &err), RN_ENOINPUT);
	CHECK_INT(rn_snapshot_write("/nonexistent-dir/x.rnb", &g, ids, &err), RN_ECANTCREAT);
	rn_interner_free(ids);
	rn_graph_free(&g);
}

static void test_empty_graph(void)
{
	rn_graph g, back;
	rn_interner *ids, *back_ids;
	rn_error err;
	CHECK_INT(rn_interner_new(&ids, 0), RN_OK);
	CHECK_INT(rn_graph_build(&g, 0, 0, NULL, NULL, NULL, RN_DUP_SUM, &err), RN_OK);
	CHECK_INT(rn_snapshot_write(path, &g, ids, &err), RN_OK);
	CHECK_INT(rn_snapshot_read(path, &back, &back_ids, &err), RN_OK);
	CHECK_INT(back.n, 0);
	CHECK_INT(rn_interner_count(back_ids), 0);
	rn_interner_free(back_ids);
	rn_graph_free(&back);
	/* ids whose hash table was released cannot be written (a snapshot stores the table) */
	rn_interner_drop_index(ids);
	CHECK_INT(rn_snapshot_write(path, &g, ids, &err), RN_EINTERNAL);
	CHECK_CONTAINS(err.message, "released");
	rn_interner_free(ids);
	rn_graph_free(&g);
	unlink(path);
}

/* 200,000 ids (a 4 MiB table, many pages): after rn_interner_drop_index on the snapshot's
 * interner, which gives back the pages of its table and records, every id is still found and
 * its string read, again from the file. */
static void test_dropped_mapped_index(void)
{
	const uint32_t n = 200000;
	rn_interner *ids;
	CHECK_INT(rn_interner_new(&ids, 0), RN_OK);
	char buf[32];
	uint32_t *s = malloc(n * sizeof *s), *t = malloc(n * sizeof *t), id;
	int made = 1;
	for (uint32_t v = 0; v < n; v++) {
		int len = snprintf(buf, sizeof buf, "c%u", v * 7919u);
		made &= rn_interner_intern(ids, buf, (size_t)len, &id, NULL) == RN_OK && id == v;
		s[v] = v;
		t[v] = (v + 1) % n;
	}
	CHECK(made);
	rn_graph g, back;
	rn_interner *back_ids;
	rn_error err;
	CHECK_INT(rn_graph_build(&g, n, n, s, t, NULL, RN_DUP_SUM, &err), RN_OK);
	CHECK_INT(rn_snapshot_write(path, &g, ids, &err), RN_OK);
	CHECK_INT(rn_snapshot_read(path, &back, &back_ids, &err), RN_OK);
	rn_interner_drop_index(back_ids);
	int ok = 1;
	for (uint32_t v = 0; v < n; v += 13) {
		int len = snprintf(buf, sizeof buf, "c%u", v * 7919u);
		ok &= rn_interner_find(back_ids, buf, (size_t)len, &id) && id == v;
	}
	CHECK(ok);
	CHECK(!rn_interner_find(back_ids, "c1", 2, &id));
	rn_interner_drop_index(back_ids);
	int same = 1;
	for (uint32_t v = 0; v < n; v += 7) {
		size_t len = 0, want = (size_t)snprintf(buf, sizeof buf, "c%u", v * 7919u);
		const char *str = rn_interner_string(back_ids, v, &len);
		same &= len == want && memcmp(str, buf, len) == 0;
	}
	CHECK(same);
	rn_interner_free(back_ids);
	rn_graph_free(&back);
	rn_interner_free(ids);
	rn_graph_free(&g);
	free(s);
	free(t);
	unlink(path);
}

/* Numbered ids (intern.c) move into the hash table that the snapshot holds; read back, every
 * id is found under its index, "C2" and "C02" apart. */
static void test_numbered_ids(void)
{
	static const char *const names[] = {"C01", "C2", "C02", "x7", "C003", "C7"};
	rn_interner *ids, *back_ids;
	rn_graph g, back;
	rn_error err;
	CHECK_INT(rn_interner_new(&ids, 0), RN_OK);
	for (uint32_t i = 0; i < 6; i++) {
		uint32_t id;
		CHECK_INT(rn_interner_intern(ids, names[i], strlen(names[i]), &id, NULL), RN_OK);
	}
	CHECK(rn_interner_numbering(ids));
	CHECK_INT(rn_graph_build(&g, 6, 2, (const uint32_t[]){0, 1}, (const uint32_t[]){2, 3}, NULL,
				 RN_DUP_SUM, &err),
		  RN_OK);
	CHECK_INT(rn_snapshot_write(path, &g, ids, &err), RN_OK);
	CHECK(!rn_interner_numbering(ids));
	CHECK_INT(rn_snapshot_read(path, &back, &back_ids, &err), RN_OK);
	int found = 0;
	for (uint32_t i = 0; i < 6; i++) {
		uint32_t id = 99;
		found += rn_interner_find(back_ids, names[i], strlen(names[i]), &id) && id == i;
	}
	CHECK_INT(found, 6);
	uint32_t id;
	CHECK(!rn_interner_find(back_ids, "C002", 4, &id));
	rn_interner_free(back_ids);
	rn_graph_free(&back);
	rn_interner_free(ids);
	rn_graph_free(&g);
	unlink(path);
}

int main(void)
{
	snprintf(path, sizeof path, "/tmp/refnet-test-snapshot-%ld.rnb", (long)getpid());
	test_numbered_ids();
	test_round_trip();
	test_corruption();
	test_empty_graph();
	test_dropped_mapped_index();
	return check_report();
}
