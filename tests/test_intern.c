/* test_intern.c - the id interner: first-seen order, opaque strings, growth, failures. */
#include <refnet/io.h>

#include <string.h>
#include <xxhash.h>

#include "check.h"

static void test_basic(void)
{
	rn_interner *in;
	CHECK_INT(rn_interner_new(&in, 0), RN_OK);
	uint32_t id = 99;
	bool fresh = false;
	CHECK_INT(rn_interner_intern(in, "alice", 5, &id, &fresh), RN_OK);
	CHECK_INT(id, 0);
	CHECK(fresh);
	CHECK_INT(rn_interner_intern(in, "007", 3, &id, &fresh), RN_OK);
	CHECK_INT(id, 1);
	CHECK_INT(rn_interner_intern(in, "7", 1, &id, &fresh), RN_OK);
	CHECK_INT(id, 2);
	CHECK_INT(rn_interner_intern(in, "alice", 5, &id, &fresh), RN_OK);
	CHECK_INT(id, 0);
	CHECK(!fresh);
	/* ids are bytes, not C strings: an embedded NUL and a prefix are different ids */
	CHECK_INT(rn_interner_intern(in, "al\0ce", 5, &id, NULL), RN_OK);
	CHECK_INT(id, 3);
	CHECK_INT(rn_interner_intern(in, "ali", 3, &id, NULL), RN_OK);
	CHECK_INT(id, 4);
	CHECK_INT(rn_interner_count(in), 5);
	size_t len;
	CHECK_STR(rn_interner_string(in, 1, &len), "007");
	CHECK_INT(len, 3);
	CHECK(rn_interner_find(in, "7", 1, &id));
	CHECK_INT(id, 2);
	CHECK(!rn_interner_find(in, "07", 2, &id));
	CHECK_INT(rn_interner_intern(in, "", 0, &id, NULL), RN_OK);
	CHECK_STR(rn_interner_string(in, id, &len), "");
	CHECK_INT(len, 0);
	CHECK_INT(rn_interner_intern(in, "bob", 3, &id, NULL), RN_OK);
	/* Packed without the table: the embedded NUL, the empty id and its neighbours survive. */
	rn_interner_drop_index(in);
	const char *s = rn_interner_string(in, 3, &len);
	CHECK(len == 5 && memcmp(s, "al\0ce", 6) == 0);
	CHECK_STR(rn_interner_string(in, 4, &len), "ali");
	CHECK_INT(len, 3);
	CHECK_STR(rn_interner_string(in, 5, &len), "");
	CHECK_INT(len, 0);
	CHECK_STR(rn_interner_string(in, 6, &len), "bob");
	CHECK_INT(len, 3);
	CHECK_STR(rn_interner_string(in, 0, &len), "alice");
	CHECK_INT(len, 5);
	rn_interner_free(in);
}

/* Ids of every length from 1 to 20 that differ from a base id in exactly one byte, at every
 * position: each is a new id, and each finds itself (the 8-to-16-byte compare reads two
 * overlapping words). */
static void test_one_byte_apart(void)
{
	rn_interner *in;
	CHECK_INT(rn_interner_new(&in, 0), RN_OK);
	char base[21] = "ABCDEFGHIJKLMNOPQRST", id[21];
	int ok = 1;
	uint32_t expect = 0, got;
	for (size_t len = 1; len <= 20; len++) {
		ok &= rn_interner_intern(in, base, len, &got, NULL) == RN_OK && got == expect++;
		for (size_t at = 0; at < len; at++) {
			memcpy(id, base, len);
			id[at] = 'z';
			ok &=
			    rn_interner_intern(in, id, len, &got, NULL) == RN_OK && got == expect++;
		}
	}
	expect = 0;
	for (size_t len = 1; len <= 20; len++) {
		ok &= rn_interner_find(in, base, len, &got) && got == expect++;
		for (size_t at = 0; at < len; at++) {
			memcpy(id, base, len);
			id[at] = 'z';
			ok &= rn_interner_find(in, id, len, &got) && got == expect++;
		}
	}
	CHECK(ok);
	CHECK_INT(rn_interner_count(in), 20 + 210);
	rn_interner_free(in);
}

static void test_growth(void)
{
	rn_interner *in;
	CHECK_INT(rn_interner_new(&in, 10), RN_OK);
	char buf[32];
	int ok = 1;
	for (uint32_t i = 0; i < 200000; i++) {
		int n = snprintf(buf, sizeof buf, "customer-%u", i * 7919u);
		uint32_t id;
		ok &= rn_interner_intern(in, buf, (size_t)n, &id, NULL) == RN_OK && id == i;
	}
	CHECK(ok);
	for (uint32_t i = 0; i < 200000; i += 997) {
		int n = snprintf(buf, sizeof buf, "customer-%u", i * 7919u);
		uint32_t id = 0;
		ok &= rn_interner_find(in, buf, (size_t)n, &id) && id == i;
		ok &= strcmp(rn_interner_string(in, i, NULL), buf) == 0;
	}
	CHECK(ok);
	CHECK_INT(rn_interner_count(in), 200000);
	CHECK(rn_interner_bytes(in) > 200000 * 16);
	/* Without the hash table: strings and count as before, lookups and inserts refused. */
	size_t before = rn_interner_bytes(in);
	rn_interner_drop_index(in);
	CHECK_INT(rn_interner_count(in), 200000);
	size_t packed = 4; /* the strings with their NULs and a 32-bit start each, no table */
	for (uint32_t i = 0; i < 200000; i++) {
		int k = snprintf(buf, sizeof buf, "customer-%u", i * 7919u);
		size_t len = 0;
		const char *s = rn_interner_string(in, i, &len);
		ok &= len == (size_t)k && strcmp(s, buf) == 0;
		packed += (size_t)k + 5;
	}
	CHECK(ok);
	CHECK_INT(rn_interner_bytes(in), packed);
	CHECK(rn_interner_bytes(in) < before);
	int n = snprintf(buf, sizeof buf, "customer-%u", 5u * 7919u);
	CHECK_STR(rn_interner_string(in, 5, NULL), buf);
	uint32_t id = 77;
	CHECK(!rn_interner_find(in, buf, (size_t)n, &id));
	CHECK_INT(rn_interner_intern(in, buf, (size_t)n, &id, NULL), RN_EINTERNAL);
	const char *one[1] = {buf};
	uint32_t len1[1] = {(uint32_t)n};
	size_t done = 9;
	CHECK_INT(rn_interner_intern_many(in, one, len1, 1, &id, &done), RN_EINTERNAL);
	CHECK_INT(done, 0);
	CHECK_INT(rn_interner_count(in), 200000);
	rn_interner_drop_index(in); /* twice is harmless */
	rn_interner_free(in);
}

/* A failed allocation while inserting leaves the interner as it was. */
static void test_alloc_failure(void)
{
	rn_interner *in;
	CHECK_INT(rn_interner_new(&in, 0), RN_OK);
	char buf[32];
	uint32_t id;
	int failures = 0;
	for (uint32_t i = 0; i < 5000; i++) {
		int n = snprintf(buf, sizeof buf, "%u", i);
		rn_alloc_fail_at(1, 0);
		int rc = rn_interner_intern(in, buf, (size_t)n, &id, NULL);
		rn_alloc_fail_at(0, 0);
		if (rc == RN_ENOMEM) {
			failures++;
			CHECK(!rn_interner_find(in, buf, (size_t)n, &id));
			rc = rn_interner_intern(in, buf, (size_t)n, &id, NULL);
		}
		CHECK_INT(rc, RN_OK);
		CHECK_INT(id, i);
	}
	CHECK(failures > 0);
	rn_interner_free(in);
	for (uint64_t k = 1; k <= 4; k++) {
		rn_alloc_fail_at(k, 0);
		int rc = rn_interner_new(&in, 100);
		rn_alloc_fail_at(0, 0);
		CHECK(rc == RN_ENOMEM || rc == RN_OK);
		if (rc == RN_OK)
			rn_interner_free(in);
	}
}

/* The batch forms assign (and find) exactly the ids that one-by-one calls assign, repeats
 * included; ids of 1 to 40 bytes take every branch of the byte comparison. */
static void test_many(void)
{
	rn_interner *one, *many;
	CHECK_INT(rn_interner_new(&one, 0), RN_OK);
	CHECK_INT(rn_interner_new(&many, 0), RN_OK);
	enum { N = 5000 };
	static char text[N][48];
	static const char *strings[N];
	static uint32_t lens[N], ids[N], found[N];
	uint64_t state = 1;
	for (int i = 0; i < N; i++) {
		state = state * 6364136223846793005ull + 1442695040888963407ull;
		unsigned pick = (unsigned)(state >> 33) % 1500u, len = 1 + pick % 40;
		for (unsigned k = 0; k < len; k++)
			text[i][k] = (char)('a' + (pick >> (k % 11)) % 26);
		lens[i] = len;
		strings[i] = text[i];
	}
	size_t done = 0;
	CHECK_INT(rn_interner_intern_many(many, strings, lens, N, ids, &done), RN_OK);
	CHECK_INT(done, N);
	rn_interner_find_many(many, strings, lens, N, found);
	int same = 1;
	for (int i = 0; i < N; i++) {
		uint32_t id;
		rn_interner_intern(one, strings[i], lens[i], &id, NULL);
		same &= id == ids[i] && id == found[i];
	}
	CHECK(same);
	CHECK(rn_interner_count(many) > 1000);
	CHECK_INT(rn_interner_count(many), rn_interner_count(one));
	rn_interner_free(one);
	rn_interner_free(many);
}

/* Two ids whose hashes (XXH3, as intern.c) agree in the slot tag and in the home slot of a
 * new (1024-slot) table reach the byte comparison: they must still be told apart.  Such pairs are
 * found by brute force among 2^19 ids of each length (34 bits must agree: about 16 pairs expected);
 * lengths 5, 12 and 30 take the three branches of the comparison. */
struct keyed {
	uint64_t key;
	uint32_t index;
};

/* i in base 26, len letters (zero-padded with 'a'). */
static void letters(char *out, unsigned len, uint32_t i)
{
	for (unsigned k = len; k-- > 0; i /= 26)
		out[k] = (char)('a' + i % 26);
}

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	return (x->key > y->key) - (x->key < y->key);
}

static void test_tag_collisions(void)
{
	enum { IDS = 1 << 19 };
	static const unsigned lengths[] = {5, 12, 30};
	struct keyed *all = malloc(IDS * sizeof *all);
	char a[40], b[40];
	for (int l = 0; l < 3; l++) {
		unsigned len = lengths[l];
		for (uint32_t i = 0; i < IDS; i++) {
			letters(a, len, i);
			uint64_t h = XXH3_64bits(a, len);
			all[i].key = (h >> 40) << 10 | (h & 1023);
			all[i].index = i;
		}
		qsort(all, IDS, sizeof *all, cmp_keyed);
		int pairs = 0;
		for (uint32_t i = 1; i < IDS && pairs < 4; i++) {
			if (all[i].key != all[i - 1].key)
				continue;
			letters(a, len, all[i - 1].index);
			letters(b, len, all[i].index);
			rn_interner *in;
			CHECK_INT(rn_interner_new(&in, 0), RN_OK);
			uint32_t id = 99;
			CHECK_INT(rn_interner_intern(in, a, len, &id, NULL), RN_OK);
			CHECK(!rn_interner_find(in, b, len, &id));
			bool inserted = false;
			CHECK_INT(rn_interner_intern(in, b, len, &id, &inserted), RN_OK);
			CHECK(inserted && id == 1);
			CHECK(rn_interner_find(in, a, len, &id) && id == 0);
			CHECK(rn_interner_find(in, b, len, &id) && id == 1);
			rn_interner_free(in);
			pairs++;
		}
		CHECK(pairs > 0);
	}
	free(all);
}

/* A reference for the numbered tests: first-seen index by linear search. */
struct naive {
	char (*text)[24];
	uint32_t count;
};

static uint32_t naive_index(struct naive *nv, const char *s, bool add)
{
	for (uint32_t i = 0; i < nv->count; i++)
		if (strcmp(nv->text[i], s) == 0)
			return i;
	if (!add)
		return RN_ID_NONE;
	strcpy(nv->text[nv->count], s);
	return nv->count++;
}

/* Interns s one by one and checks its index against the reference. */
static bool intern_as_naive(rn_interner *in, struct naive *nv, const char *s)
{
	uint32_t id = 99, want = naive_index(nv, s, true);
	bool inserted;
	int rc = rn_interner_intern(in, s, strlen(s), &id, &inserted);
	return rc == RN_OK && id == want && inserted == (want + 1 == nv->count);
}

/* Every id found where the reference has it, one by one and in a batch. */
static void check_all_found(rn_interner *in, struct naive *nv, const char *const *probes,
			    int nprobes)
{
	int bad = 0;
	for (uint32_t i = 0; i < nv->count; i++) {
		uint32_t id = 99;
		bad += !rn_interner_find(in, nv->text[i], strlen(nv->text[i]), &id) || id != i;
	}
	for (int i = 0; i < nprobes; i++) {
		uint32_t id = 99, want = naive_index(nv, probes[i], false);
		bool hit = rn_interner_find(in, probes[i], strlen(probes[i]), &id);
		bad += hit != (want != RN_ID_NONE) || (hit && id != want);
		uint32_t len = (uint32_t)strlen(probes[i]), many = 99;
		rn_interner_find_many(in, &probes[i], &len, 1, &many);
		bad += many != want;
	}
	CHECK_INT(bad, 0);
}

/* Ids made of the first id's prefix and 1-9 digits are numbered: "7", "07" and "007" stay three
 * ids, 10 digits, another prefix or a trailing letter go to the hash table, and the numbered
 * and hashed ids share one first-seen order. */
static void test_numbered(void)
{
	static char text[8192][24];
	struct naive nv = {text, 0};
	rn_interner *in;
	CHECK_INT(rn_interner_new(&in, 0), RN_OK);
	CHECK(!rn_interner_numbering(in));
	static const char *const odd[] = {
	    "C7",	 "C07",	       "C007",	     "C0000000007", "C000000007",  "C00000007",
	    "C",	 "c7",	       "D7",	     "C7x",	    "C 7",	   "CC7",
	    "C-7",	 "C999999999", "C0",	     "C00",	    "C1234567890", "",
	    "C99999999", "C12345678",  "C012345678",
	};
	int bad = !intern_as_naive(in, &nv, "C00000001");
	CHECK(rn_interner_numbering(in));
	for (uint32_t i = 0; i < 3000; i++) {
		char s[24];
		snprintf(s, sizeof s, "C%08u", (i * 7919u) % 2500u);
		bad += !intern_as_naive(in, &nv, s);
		if (i % 150 == 0)
			bad += !intern_as_naive(in, &nv, odd[i / 150 % 21]);
	}
	CHECK_INT(bad, 0);
	/* "C999999999" lies 1e9 keys away: numbering stopped there, and comes back once the ids
	 * have doubled and the range fits again, which it never does here. */
	CHECK(!rn_interner_numbering(in));
	check_all_found(in, &nv, odd, 21);
	rn_interner_free(in);

	/* Without the far key, numbering stays on to the end. */
	nv.count = 0;
	CHECK_INT(rn_interner_new(&in, 0), RN_OK);
	for (uint32_t i = 0; i < 3000; i++) {
		char s[24];
		snprintf(s, sizeof s, "%u", (i * 7919u) % 2500u);
		bad += !intern_as_naive(in, &nv, s);
		if (i % 200 == 0)
			bad += !intern_as_naive(
			    in, &nv, (const char *[]){"07", "x", "007", "7a"}[i / 200 % 4]);
	}
	CHECK_INT(bad, 0);
	CHECK(rn_interner_numbering(in));
	static const char *const probes[] = {"7", "07", "007", "0007", "2499", "2500", "x", "7a"};
	check_all_found(in, &nv, probes, 8);
	rn_interner_free(in);
}

/* Numbering goes off when a key breaks the range and on again when the ids have doubled and
 * fit, moving the ids between the pages and the hash table each time; failed allocations on
 * the way change nothing; the batch form agrees throughout; and a snapshot of a numbered
 * interner holds every id. */
static void test_numbering_moves(void)
{
	enum { N = 40000, FAR = 15000 };
	static char text[N][24];
	static const char *strings[N];
	static uint32_t lens[N], ids[N];
	/* Numbering allows a key range of 8 per numbered id plus 2^22 = 4194304.  Keys 4.3e6
	 * apart first (off); dense ids from 100 up until 13212 of them make the range fit (on);
	 * at FAR one 2e5 further (off); then dense ids again until 38212 fit it (on). */
	for (int i = 0; i < N; i++) {
		uint32_t number = i == 0     ? 1u
				  : i == 1   ? 4300000u
				  : i == FAR ? 4500000u
					     : 100u + (uint32_t)i;
		snprintf(text[i], sizeof text[i], "C%08u", number);
		strings[i] = text[i];
		lens[i] = (uint32_t)strlen(text[i]);
	}
	rn_interner *one, *many;
	CHECK_INT(rn_interner_new(&one, 0), RN_OK);
	CHECK_INT(rn_interner_new(&many, 0), RN_OK);
	bool off_at_start = false, seen_on = false, seen_off_again = false;
	int bad = 0, failures = 0;
	for (int i = 0; i < N; i++) {
		uint32_t id = 99;
		if (i % 97 == 0) {
			/* Each allocation of this call in turn fails, leaving the interner as it
			 * was. */
			for (uint64_t k = 1;; k++) {
				uint32_t before = rn_interner_count(one);
				rn_alloc_fail_at(k, 0);
				int rc = rn_interner_intern(one, strings[i], lens[i], &id, NULL);
				rn_alloc_fail_at(0, 0);
				if (rc == RN_OK)
					break;
				failures++;
				bad += rc != RN_ENOMEM || rn_interner_count(one) != before ||
				       rn_interner_find(one, strings[i], lens[i], &id);
			}
		} else {
			bad += rn_interner_intern(one, strings[i], lens[i], &id, NULL) != RN_OK;
		}
		off_at_start |= i == 1 && !rn_interner_numbering(one);
		seen_on |= i > 1 && i < FAR && rn_interner_numbering(one);
		seen_off_again |= seen_on && i >= FAR && !rn_interner_numbering(one);
		ids[i] = id;
	}
	CHECK_INT(bad, 0);
	CHECK(failures > 0);
	CHECK(off_at_start && seen_on && seen_off_again);
	CHECK(rn_interner_numbering(one));
	size_t done = 0;
	static uint32_t batch[N], found[N], again[N];
	CHECK_INT(rn_interner_intern_many(many, strings, lens, N, batch, &done), RN_OK);
	/* Numbering started and stopped in the middle of batches: all ids are still found in
	 * whichever index now holds them, and interning them again adds none. */
	rn_interner_find_many(many, strings, lens, N, found);
	CHECK_INT(rn_interner_intern_many(many, strings, lens, N, again, &done), RN_OK);
	int same = 0;
	for (int i = 0; i < N; i++)
		same += batch[i] == ids[i] && found[i] == ids[i] && again[i] == ids[i];
	CHECK_INT(same, N);
	rn_interner_find_many(one, strings, lens, N, found);
	same = 0;
	for (int i = 0; i < N; i++) {
		uint32_t id = 99;
		same += found[i] == ids[i] && rn_interner_find(one, strings[i], lens[i], &id) &&
			id == ids[i];
	}
	CHECK_INT(same, N);
	CHECK_INT(rn_interner_count(many), rn_interner_count(one));
	/* Indexing everything by hash keeps every id where it was. */
	CHECK_INT(rn_interner_index_all(one), RN_OK);
	CHECK(!rn_interner_numbering(one));
	rn_interner_parts parts;
	rn_interner_parts_of(one, &parts);
	CHECK(parts.slots != NULL);
	rn_interner_parts_of(many, &parts);
	CHECK(parts.slots == NULL);
	same = 0;
	for (int i = 0; i < N; i++) {
		uint32_t id = 99;
		same += rn_interner_find(one, strings[i], lens[i], &id) && id == ids[i];
	}
	CHECK_INT(same, N);
	rn_interner_free(one);
	rn_interner_free(many);
}

/* rn_interner_attach takes the parts of a real interner, and refuses each way a slot can be
 * wrong: pointing inside a record, past the arena, off the 4-byte grid, at a record another
 * slot already holds, or missing. */
static void test_attach_checks(void)
{
	rn_interner *in;
	CHECK_INT(rn_interner_new(&in, 0), RN_OK);
	char name[16];
	for (int i = 0; i < 300; i++) {
		uint32_t id;
		int n = snprintf(name, sizeof name, "id-%d", i * 7);
		CHECK_INT(rn_interner_intern(in, name, (size_t)n, &id, NULL), RN_OK);
	}
	CHECK_INT(rn_interner_index_all(in), RN_OK); /* the ids are numbered */
	rn_interner_parts parts;
	rn_interner_parts_of(in, &parts);
	CHECK(parts.slots != NULL);
	size_t cap = parts.mask + 1;
	uint64_t *slots = malloc(cap * sizeof *slots);
	uint64_t first = cap, second = cap;
	for (size_t i = 0; i < cap; i++)
		if (parts.slots[i] && first == cap)
			first = i;
		else if (parts.slots[i] && second == cap)
			second = i;
	const uint64_t low = (UINT64_C(1) << 40) - 1;
	for (int bad = 0; bad <= 7; bad++) {
		memcpy(slots, parts.slots, cap * sizeof *slots);
		uint64_t tag = slots[first] & ~low, offset = slots[first] & low;
		if (bad == 1)
			slots[first] = tag | (offset + 4); /* inside its record */
		else if (bad == 2)
			slots[first] = tag | parts.arena_len; /* past the arena */
		else if (bad == 6)
			slots[first] = tag | (low & ~UINT64_C(3)); /* far past it */
		else if (bad == 7) { /* an extra slot, pointing past the arena */
			size_t i = cap;
			while (slots[--i])
				;
			slots[i] = tag | parts.arena_len;
		} else if (bad == 3)
			slots[first] = tag | (offset + 2); /* off the grid */
		else if (bad == 4)
			slots[first] = tag | (slots[second] & low); /* a record twice, one none */
		else if (bad == 5)
			slots[first] = 0; /* a record without a slot */
		rn_interner_parts copy = parts;
		copy.slots = slots;
		rn_interner *back = NULL;
		int rc = rn_interner_attach(&back, &copy);
		if (bad == 0) {
			CHECK_INT(rc, RN_OK);
			uint32_t id = 0;
			CHECK(back && rn_interner_find(back, "id-21", 5, &id) && id == 3);
			rn_interner_free(back);
		} else {
			CHECK_INT(rc, RN_EDATA);
			CHECK(back == NULL);
		}
	}
	free(slots);
	rn_interner_free(in);
}

int main(void)
{
	test_attach_checks();
	test_numbered();
	test_numbering_moves();
	test_many();
	test_tag_collisions();
	test_basic();
	test_one_byte_apart();
	test_growth();
	test_alloc_failure();
	return check_report();
}
