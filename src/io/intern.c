/*
 * intern.c - the id interner: opaque id strings to dense uint32_t indices.
 *
 * Layout, chosen for 1e8 ids: the strings live back to back in one arena, NUL-terminated,
 * with a uint64_t start offset per id (the next id's offset gives the length).  The hash table
 * is open addressing with linear probing over 8-byte slots holding (32-bit hash tag, id + 1):
 * a probe touches one cache line and compares a string only when the tags agree, so a miss
 * costs one random access and a hit two.  Capacity is a power of two kept at most 70 % full;
 * growing rehashes from the slots alone (the tag is the high half of the hash, the low bits are
 * recomputed from the string only when the table outgrows 32 bits of index).
 *
 * Memory per id: 8 (offset) + len + 1 (arena) + 8 / 0.7 .. 16 / 0.7 (slots).
 * Indices are assigned in first-seen order, so results never depend on hash order.
 */
#include <refnet/io.h>

#include <string.h>
#include <xxhash.h>

struct rn_interner {
	uint64_t *slots;     /* 0 = empty, else (tag << 32) | (id + 1) */
	uint64_t mask;       /* capacity - 1 */
	uint32_t count;
	uint32_t offsets_cap;
	uint64_t *offsets;   /* count + 1 entries: start of each string in the arena */
	char *arena;
	uint64_t arena_len, arena_cap;
	bool borrowed;       /* arrays belong to someone else (a snapshot mapping) */
};

static uint64_t hash_id(const char *s, size_t len)
{
	return XXH3_64bits(s, len);
}

int rn_interner_new(rn_interner **out, size_t expected)
{
	*out = NULL;
	rn_interner *in = rn_calloc(1, sizeof *in);
	if (!in)
		return RN_ENOMEM;
	uint64_t cap = 1024;
	while (cap * 7 / 10 < expected && cap < (1ull << 33))
		cap <<= 1;
	in->slots = rn_calloc(cap, sizeof *in->slots);
	in->mask = cap - 1;
	in->offsets_cap = 1024;
	in->offsets = rn_malloc_array(in->offsets_cap, sizeof *in->offsets);
	in->arena_cap = 16384;
	in->arena = rn_malloc(in->arena_cap);
	if (!in->slots || !in->offsets || !in->arena) {
		rn_interner_free(in);
		return RN_ENOMEM;
	}
	in->offsets[0] = 0;
	*out = in;
	return RN_OK;
}

void rn_interner_free(rn_interner *in)
{
	if (!in)
		return;
	if (in->borrowed) {
		rn_free(in);
		return;
	}
	rn_free(in->slots);
	rn_free(in->offsets);
	rn_free(in->arena);
	rn_free(in);
}

uint32_t rn_interner_count(const rn_interner *in)
{
	return in->count;
}

const char *rn_interner_string(const rn_interner *in, uint32_t id, size_t *len)
{
	if (len)
		*len = in->offsets[id + 1] - in->offsets[id] - 1;
	return in->arena + in->offsets[id];
}

size_t rn_interner_bytes(const rn_interner *in)
{
	return (in->mask + 1) * sizeof *in->slots + in->offsets_cap * sizeof *in->offsets +
	       in->arena_cap;
}

static int equal_at(const rn_interner *in, uint32_t id, const char *s, size_t len)
{
	uint64_t start = in->offsets[id];
	return in->offsets[id + 1] - start - 1 == len && memcmp(in->arena + start, s, len) == 0;
}

/* Returns the slot index holding s, or the empty slot where it belongs. */
static uint64_t probe(const rn_interner *in, uint64_t h, const char *s, size_t len)
{
	uint64_t tag = h >> 32, i = h & in->mask;
	for (;;) {
		uint64_t slot = in->slots[i];
		if (slot == 0)
			return i;
		if (slot >> 32 == tag && equal_at(in, (uint32_t)slot - 1, s, len))
			return i;
		i = (i + 1) & in->mask;
	}
}

bool rn_interner_find(const rn_interner *in, const char *s, size_t len, uint32_t *id)
{
	uint64_t slot = in->slots[probe(in, hash_id(s, len), s, len)];
	if (slot == 0)
		return false;
	*id = (uint32_t)slot - 1;
	return true;
}

static int grow_table(rn_interner *in)
{
	uint64_t cap = (in->mask + 1) * 2;
	uint64_t *slots = rn_calloc(cap, sizeof *slots);
	if (!slots)
		return RN_ENOMEM;
	uint64_t mask = cap - 1;
	/* Re-hash every string: the low bits of the hash decide the bucket. */
	for (uint32_t id = 0; id < in->count; id++) {
		size_t len;
		const char *s = rn_interner_string(in, id, &len);
		uint64_t h = hash_id(s, len), i = h & mask;
		while (slots[i])
			i = (i + 1) & mask;
		slots[i] = (h >> 32) << 32 | ((uint64_t)id + 1);
	}
	rn_free(in->slots);
	in->slots = slots;
	in->mask = mask;
	return RN_OK;
}

void rn_interner_parts_of(const rn_interner *in, rn_interner_parts *parts)
{
	parts->slots = in->slots;
	parts->mask = in->mask;
	parts->count = in->count;
	parts->offsets = in->offsets;
	parts->arena = in->arena;
	parts->arena_len = in->arena_len;
}

int rn_interner_attach(rn_interner **out, const rn_interner_parts *parts)
{
	*out = NULL;
	uint64_t cap = parts->mask + 1;
	if (cap < 2 || (cap & parts->mask) || (uint64_t)parts->count * 10 > cap * 7 ||
	    parts->offsets[0] != 0 || parts->offsets[parts->count] != parts->arena_len)
		return RN_EDATA;
	for (uint32_t id = 0; id < parts->count; id++) {
		uint64_t end = parts->offsets[id + 1];
		if (end <= parts->offsets[id] || end > parts->arena_len || parts->arena[end - 1])
			return RN_EDATA;
	}
	uint64_t used = 0;
	for (uint64_t i = 0; i < cap; i++) {
		uint64_t slot = parts->slots[i];
		if (slot == 0)
			continue;
		uint32_t id1 = (uint32_t)slot;
		if (id1 == 0 || id1 > parts->count)
			return RN_EDATA;
		used++;
	}
	if (used != parts->count)
		return RN_EDATA;
	rn_interner *in = rn_calloc(1, sizeof *in);
	if (!in)
		return RN_ENOMEM;
	in->slots = (uint64_t *)parts->slots;
	in->mask = parts->mask;
	in->count = parts->count;
	in->offsets = (uint64_t *)parts->offsets;
	in->offsets_cap = parts->count + 1;
	in->arena = (char *)parts->arena;
	in->arena_len = in->arena_cap = parts->arena_len;
	in->borrowed = true;
	*out = in;
	return RN_OK;
}

/* Copies borrowed arrays into owned memory before the first change. */
static int own_arrays(rn_interner *in)
{
	uint64_t cap = in->mask + 1;
	uint64_t *slots = rn_malloc_array(cap, sizeof *slots);
	uint64_t *offsets = rn_malloc_array((size_t)in->count + 1, sizeof *offsets);
	char *arena = rn_malloc(in->arena_len + 1);
	if (!slots || !offsets || !arena) {
		rn_free(slots);
		rn_free(offsets);
		rn_free(arena);
		return RN_ENOMEM;
	}
	memcpy(slots, in->slots, cap * sizeof *slots);
	memcpy(offsets, in->offsets, ((size_t)in->count + 1) * sizeof *offsets);
	memcpy(arena, in->arena, in->arena_len);
	in->slots = slots;
	in->offsets = offsets;
	in->arena = arena;
	in->offsets_cap = in->count + 1;
	in->arena_cap = in->arena_len + 1;
	in->borrowed = false;
	return RN_OK;
}

static int intern_hashed(rn_interner *in, uint64_t h, const char *s, size_t len, uint32_t *id,
			 bool *inserted)
{
	uint64_t i = probe(in, h, s, len);
	if (in->slots[i]) {
		*id = (uint32_t)in->slots[i] - 1;
		if (inserted)
			*inserted = false;
		return RN_OK;
	}
	if (in->count >= RN_MAX_NODES)
		return RN_EDATA;
	if (in->borrowed && own_arrays(in))
		return RN_ENOMEM;
	/* Make room first so that a failed allocation leaves the interner unchanged. */
	size_t ocap = in->offsets_cap;
	if (rn_grow((void **)&in->offsets, &ocap, (size_t)in->count + 2, sizeof *in->offsets))
		return RN_ENOMEM;
	in->offsets_cap = (uint32_t)(ocap > UINT32_MAX ? UINT32_MAX : ocap);
	size_t acap = in->arena_cap;
	if (rn_grow((void **)&in->arena, &acap, in->arena_len + len + 1, 1))
		return RN_ENOMEM;
	in->arena_cap = acap;
	if ((uint64_t)(in->count + 1) * 10 > (in->mask + 1) * 7) {
		if (grow_table(in))
			return RN_ENOMEM;
		i = probe(in, h, s, len);
	}
	memcpy(in->arena + in->arena_len, s, len);
	in->arena[in->arena_len + len] = '\0';
	in->arena_len += len + 1;
	in->offsets[in->count + 1] = in->arena_len;
	in->slots[i] = (h >> 32) << 32 | ((uint64_t)in->count + 1);
	*id = in->count++;
	if (inserted)
		*inserted = true;
	return RN_OK;
}

int rn_interner_intern(rn_interner *in, const char *s, size_t len, uint32_t *id, bool *inserted)
{
	return intern_hashed(in, hash_id(s, len), s, len, id, inserted);
}

/* Batch size bounded so the hashes stay in L1 and the prefetched lines are still in cache when
 * the probe pass reaches them. */
#define INTERN_BATCH 64

int rn_interner_intern_many(rn_interner *in, const char *const *strings, const uint32_t *lens,
			    size_t count, uint32_t *ids, size_t *done)
{
	uint64_t hashes[INTERN_BATCH];
	for (size_t start = 0; start < count; start += INTERN_BATCH) {
		size_t k = count - start < INTERN_BATCH ? count - start : INTERN_BATCH;
		for (size_t i = 0; i < k; i++) {
			hashes[i] = hash_id(strings[start + i], lens[start + i]);
			__builtin_prefetch(&in->slots[hashes[i] & in->mask]);
		}
		/* Second stage: for slots whose tag matches, fetch the string offsets the probe
		 * will compare against. */
		for (size_t i = 0; i < k; i++) {
			uint64_t slot = in->slots[hashes[i] & in->mask];
			if (slot >> 32 == hashes[i] >> 32)
				__builtin_prefetch(&in->offsets[(uint32_t)slot - 1]);
		}
		for (size_t i = 0; i < k; i++) {
			int rc = intern_hashed(in, hashes[i], strings[start + i], lens[start + i],
					       &ids[start + i], NULL);
			if (rc != RN_OK) {
				if (done)
					*done = start + i;
				return rc;
			}
		}
	}
	if (done)
		*done = count;
	return RN_OK;
}
