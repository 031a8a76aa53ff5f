/*
 * intern.c - the id interner: opaque id strings to dense uint32_t indices.
 *
 * Layout, chosen for 1e8 ids and for few cache misses per lookup.  The strings live in one
 * arena as records [uint32 id][uint32 length][bytes][NUL], 4-byte aligned; a uint64_t offset
 * per id locates its record (for id -> string).  The hash table is open addressing with
 * linear probing over 8-byte slots holding (24-bit hash tag << 40 | record offset): a lookup
 * reads its slot (one miss) and, when the tag agrees, the record, whose header and bytes share
 * a cache line (a second miss), and takes the id from the record.  A first version kept ids
 * in the slots, which cost a third miss (id -> offset -> bytes) and doubled lookup time on
 * 1e7-id loads.  The batch form hashes a batch first, then prefetches the slots, then the
 * records, so the misses of a batch overlap instead of queueing.
 *
 * Capacity is a power of two kept at most 70 % full; growing rehashes every string.  Indices
 * are assigned in first-seen order, so results never depend on hash order.
 * Memory per id: 8 (offset) + 8 (record header) + length + 1 rounded up to 4, plus 8 / 0.7
 * to 16 / 0.7 for slots.
 *
 * Numbered ids.  Customer ids in CRM exports are mostly a fixed prefix and a number
 * ("C00012345", "100234").  When the first id interned ends in digits, its prefix (all but the
 * last 1 to 9 digits) is kept, and from then on every id made of that prefix and 1 to 9 digits
 * is indexed by its number instead of by hash: key = base(width) + value, which is one-to-one
 * ("7", "07" and "007" are three keys), in pages of 2^16 uint32_t (id + 1, 0 = absent)
 * allocated when first touched.  A lookup is then one cache miss in a table of 4 bytes per
 * number (40 MB for the 1e7 benchmark ids, against a 134 MB hash table) and no string
 * comparison.  Other ids go to the hash table as before; while numbering is on, which of the
 * two holds an id depends on its bytes alone, so it is never in both.
 *
 * Numbering is on while the range of keys seen is at most 8 slots per numbered id plus 2^22
 * (32 bytes an id beyond 16 MB, against the hash table's 11 to 23).  A key that breaks this
 * moves every numbered id into the hash table (rn_interner_index_all, which the snapshot
 * writer also asks for); numbering comes back, moving them out again, once the ids have at
 * least doubled and fit the range again.  The 1e7 benchmark file, whose first rows name ids
 * from all over the range, is numbered from its 7e5th new id on.
 *
 * Once the table is dropped (rn_interner_drop_index) nothing is looked up by string again, so
 * the records lose their headers and padding: the strings move, in place and in id order, to
 * the front of the arena, NUL-terminated, and the offsets become 32-bit starts (in place too).
 * That is length + 5 bytes per id instead of about 30 (280 -> 140 MB at 1e7 ids of 9 bytes).
 */
#include <refnet/io.h>

#include <string.h>
#include <sys/mman.h>
#include <xxhash.h>

#define OFFSET_BITS 40
#define OFFSET_MASK ((1ull << OFFSET_BITS) - 1)
#define RECORD_HEADER 8u

#define NUM_PAGE_BITS 16
#define NUM_PAGE ((uint32_t)1 << NUM_PAGE_BITS)
#define NUM_PAGES ((uint32_t)1 << (31 - NUM_PAGE_BITS)) /* keys < 2^31 */
#define NUM_DIGITS 9
#define NUM_PREFIX 16
#define NUM_NONE UINT32_MAX
#define NUM_FREE_SLOTS ((uint64_t)1 << 22)
#define NUM_SLOTS_PER_ID 8

struct rn_interner {
	uint64_t *slots;     /* 0 = empty, else (tag << 40) | record offset (never 0) */
	uint64_t mask;       /* capacity - 1 */
	uint32_t count;
	uint32_t **pages; /* numbered ids (NULL: none): pages[key >> 16][key & 0xffff] = id + 1 */
	uint32_t pages_used;
	uint32_t prefix_len;
	char prefix[NUM_PREFIX];
	bool decided;		 /* the prefix was taken from the first id */
	bool has_prefix;	 /* the first id ended in digits: numbering may apply */
	uint32_t numbered;	 /* ids that are the prefix and 1-9 digits, ... */
	uint32_t key_lo, key_hi; /* ... and the range of their keys */
	uint32_t renumber_at;	 /* count from which numbering may come back */
	size_t offsets_cap;
	uint64_t *offsets;   /* count + 1 entries: record of each id, then the arena length */
	char *arena;
	uint64_t arena_len, arena_cap;
	uint32_t *starts;    /* compacted (offsets NULL): count + 1 string starts in the arena */
	bool borrowed;       /* arrays belong to someone else (a snapshot mapping) */
	bool mapped;         /* borrowed from a read-only file mapping */
};

static uint64_t hash_id(const char *s, size_t len)
{
	return XXH3_64bits(s, len);
}

static uint64_t load_u64(const char *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

/* memcmp(a, b, len) == 0, inline: ids are short (9 bytes on the benchmark files), and the
 * calls to the library's memcmp were 6 % of the CPU samples of a 1e7-row load (the lookup's
 * two cache misses still set the pace).  From 8 to 16 bytes two 8-byte loads that overlap in
 * the middle cover the bytes without reading past either end. */
static inline bool same_bytes(const char *a, const char *b, size_t len)
{
	if (len >= 8 && len <= 16)
		return load_u64(a) == load_u64(b) && load_u64(a + len - 8) == load_u64(b + len - 8);
	if (len < 8) {
		for (size_t i = 0; i < len; i++)
			if (a[i] != b[i])
				return false;
		return true;
	}
	return memcmp(a, b, len) == 0;
}

/* base[w] + value is one-to-one over the digit strings of widths 1-9: those of width w take
 * the keys [base[w], base[w] + 10^w), and the largest key is 1111111109 < 2^31. */
static const uint32_t num_base[NUM_DIGITS + 1] = {
    0, 0, 10, 110, 1110, 11110, 111110, 1111110, 11111110, 111111110,
};

/* The key of an id made of the prefix and 1-9 digits, or NUM_NONE. */
static inline uint32_t pattern_key(const rn_interner *in, const char *s, size_t len)
{
	size_t p = in->prefix_len;
	if (!in->has_prefix || len <= p || len - p > NUM_DIGITS || !same_bytes(s, in->prefix, p))
		return NUM_NONE;
	uint32_t v = 0;
	for (size_t i = p; i < len; i++) {
		uint32_t d = (uint32_t)(unsigned char)s[i] - '0';
		if (d > 9)
			return NUM_NONE;
		v = v * 10 + d;
	}
	return num_base[len - p] + v;
}

/* The key under which the pages hold s, or NUM_NONE when the hash table does. */
static inline uint32_t num_key(const rn_interner *in, const char *s, size_t len)
{
	return in->pages ? pattern_key(in, s, len) : NUM_NONE;
}

static inline uint32_t num_entry(const rn_interner *in, uint32_t key)
{
	const uint32_t *page = in->pages[key >> NUM_PAGE_BITS];
	return page ? page[key & (NUM_PAGE - 1)] : 0;
}

/* Whether numbered ids with keys lo..hi fit the pages (see the top of the file). */
static bool range_fits(uint32_t lo, uint32_t hi, uint32_t numbered)
{
	return (uint64_t)hi - lo + 1 <= (uint64_t)numbered * NUM_SLOTS_PER_ID + NUM_FREE_SLOTS;
}

/* Takes the prefix from the first id: all but its last 1-9 digits. */
static void take_prefix(rn_interner *in, const char *s, size_t len)
{
	in->decided = true;
	size_t digits = 0;
	while (digits < len && s[len - 1 - digits] >= '0' && s[len - 1 - digits] <= '9')
		digits++;
	if (digits > NUM_DIGITS)
		digits = NUM_DIGITS;
	if (digits == 0 || len - digits > NUM_PREFIX)
		return;
	in->prefix_len = (uint32_t)(len - digits);
	memcpy(in->prefix, s, in->prefix_len);
	in->has_prefix = true;
}

/* The smallest table that holds ids at most 70 % full. */
static uint64_t table_for(uint64_t ids)
{
	uint64_t cap = 1024;
	while (cap * 7 / 10 < ids && cap < (1ull << 33))
		cap <<= 1;
	return cap;
}

static int rehash(rn_interner *in, uint64_t cap);

static void free_pages(rn_interner *in)
{
	if (!in->pages)
		return;
	for (uint32_t i = 0; i < NUM_PAGES; i++)
		rn_free(in->pages[i]);
	rn_free(in->pages);
	in->pages = NULL;
	in->pages_used = 0;
}

static uint64_t record_end(uint64_t start, uint64_t len)
{
	return (start + RECORD_HEADER + len + 1 + 3) & ~(uint64_t)3;
}

static uint32_t read_u32(const char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

int rn_interner_new(rn_interner **out, size_t expected)
{
	*out = NULL;
	rn_interner *in = rn_calloc(1, sizeof *in);
	if (!in)
		return RN_ENOMEM;
	uint64_t cap = table_for(expected);
	in->slots = rn_calloc(cap, sizeof *in->slots);
	in->mask = cap - 1;
	in->offsets_cap = 1024;
	in->offsets = rn_malloc_array(in->offsets_cap, sizeof *in->offsets);
	in->arena_cap = 16384;
	in->arena = rn_calloc(1, in->arena_cap);
	if (!in->slots || !in->offsets || !in->arena) {
		rn_interner_free(in);
		return RN_ENOMEM;
	}
	/* Records start at offset 4 so that no slot value is 0. */
	in->arena_len = 4;
	in->offsets[0] = in->arena_len;
	*out = in;
	return RN_OK;
}

void rn_interner_free(rn_interner *in)
{
	if (!in)
		return;
	free_pages(in);
	if (!in->borrowed) {
		rn_free(in->slots);
		rn_free(in->offsets);
		rn_free(in->starts);
		rn_free(in->arena);
	}
	rn_free(in);
}

uint32_t rn_interner_count(const rn_interner *in)
{
	return in->count;
}

const char *rn_interner_string(const rn_interner *in, uint32_t id, size_t *len)
{
	if (in->starts) {
		if (len)
			*len = in->starts[id + 1] - in->starts[id] - 1;
		return in->arena + in->starts[id];
	}
	const char *record = in->arena + in->offsets[id];
	if (len)
		*len = read_u32(record + 4);
	return record + RECORD_HEADER;
}

bool rn_interner_numbering(const rn_interner *in)
{
	return in->pages != NULL;
}

size_t rn_interner_bytes(const rn_interner *in)
{
	size_t table = in->slots ? (in->mask + 1) * sizeof *in->slots : 0;
	if (in->pages)
		table += NUM_PAGES * sizeof *in->pages +
			 (size_t)in->pages_used * NUM_PAGE * sizeof **in->pages;
	if (in->starts)
		return ((size_t)in->count + 1) * sizeof *in->starts + in->arena_cap;
	return table + in->offsets_cap * sizeof *in->offsets + in->arena_cap;
}

/* Returns the slot index holding s, or the empty slot where it belongs. */
static uint64_t probe(const rn_interner *in, uint64_t h, const char *s, size_t len)
{
	uint64_t tag = h >> OFFSET_BITS, i = h & in->mask;
	for (;;) {
		uint64_t slot = in->slots[i];
		if (slot == 0)
			return i;
		if (slot >> OFFSET_BITS == tag) {
			const char *record = in->arena + (slot & OFFSET_MASK);
			if (read_u32(record + 4) == len &&
			    same_bytes(record + RECORD_HEADER, s, len))
				return i;
		}
		i = (i + 1) & in->mask;
	}
}

static uint32_t slot_id(const rn_interner *in, uint64_t slot)
{
	return read_u32(in->arena + (slot & OFFSET_MASK));
}

/* Strips the record headers (see the top of the file).  Skipped, leaving the records as they
 * are, when the strings would not fit 32-bit starts.  Each string moves left (its new start
 * never passes its old one) and each 32-bit start is written over bytes of offsets already
 * read, so neither needs a second array; both are then shrunk, which for arrays this large
 * gives the tail's pages back. */
static void compact(rn_interner *in)
{
	uint64_t total = 0;
	for (uint32_t id = 0; id < in->count; id++)
		total += read_u32(in->arena + in->offsets[id] + 4) + 1;
	if (total > UINT32_MAX)
		return;
	char *offsets = (char *)in->offsets;
	uint32_t at = 0;
	for (uint32_t id = 0; id < in->count; id++) {
		uint64_t record;
		memcpy(&record, offsets + (size_t)id * 8, 8);
		uint32_t len = read_u32(in->arena + record + 4);
		memmove(in->arena + at, in->arena + record + RECORD_HEADER, (size_t)len + 1);
		memcpy(offsets + (size_t)id * 4, &at, 4);
		at += len + 1;
	}
	memcpy(offsets + (size_t)in->count * 4, &at, 4);
	uint32_t *starts = rn_realloc_array(offsets, (size_t)in->count + 1, sizeof *starts);
	in->starts = starts ? starts : (uint32_t *)(void *)offsets;
	in->offsets = NULL;
	in->offsets_cap = 0;
	char *arena = rn_realloc_array(in->arena, at ? at : 1, 1);
	if (arena) {
		in->arena = arena;
		in->arena_cap = at ? at : 1;
	}
	in->arena_len = at;
}

void rn_interner_drop_index(rn_interner *in)
{
	if (in->borrowed) {
		/* Unmodified pages of a private file mapping: dropping them only takes them out of
		 * memory, the next access reads them again from the file (the page cache).  The
		 * records go too: a command that drops the index reads an id's string only to print
		 * it, after its computation, and then only for the rows it prints.  At 1e7 the
		 * peak of load + PageRank from a snapshot goes from 1274 to 995 MB. */
		if (in->mapped) {
			rn_advise_pages(in->slots, (in->mask + 1) * sizeof *in->slots,
					MADV_DONTNEED);
			rn_advise_pages(in->offsets, ((size_t)in->count + 1) * sizeof *in->offsets,
					MADV_DONTNEED);
			rn_advise_pages(in->arena, in->arena_len, MADV_DONTNEED);
		}
		return;
	}
	if (!in->slots)
		return;
	free_pages(in);
	rn_free(in->slots);
	in->slots = NULL;
	compact(in);
}

bool rn_interner_find(const rn_interner *in, const char *s, size_t len, uint32_t *id)
{
	if (!in->slots)
		return false;
	uint32_t key = num_key(in, s, len);
	if (key != NUM_NONE) {
		uint32_t entry = num_entry(in, key);
		*id = entry - 1;
		return entry != 0;
	}
	uint64_t slot = in->slots[probe(in, hash_id(s, len), s, len)];
	if (slot == 0)
		return false;
	*id = slot_id(in, slot);
	return true;
}

#define REHASH_BATCH 64

/* A table of cap slots holding every id that is not numbered. */
static int rehash(rn_interner *in, uint64_t cap)
{
	uint64_t *slots = rn_calloc_dense(cap, sizeof *slots);
	if (!slots)
		return RN_ENOMEM;
	uint64_t mask = cap - 1;
	/* In batches: hash and prefetch the slots of a batch first, then insert, so that the
	 * batch's cache misses overlap (the records are read in order and need no help). */
	uint64_t hashes[REHASH_BATCH];
	uint32_t ids[REHASH_BATCH];
	for (uint32_t first = 0; first < in->count; first += REHASH_BATCH) {
		uint32_t k = in->count - first < REHASH_BATCH ? in->count - first : REHASH_BATCH;
		uint32_t n = 0;
		for (uint32_t j = 0; j < k; j++) {
			size_t len;
			const char *s = rn_interner_string(in, first + j, &len);
			if (num_key(in, s, len) != NUM_NONE)
				continue;
			ids[n] = first + j;
			hashes[n] = hash_id(s, len);
			__builtin_prefetch(&slots[hashes[n] & mask], 1);
			n++;
		}
		for (uint32_t j = 0; j < n; j++) {
			uint64_t h = hashes[j], i = h & mask;
			while (slots[i])
				i = (i + 1) & mask;
			slots[i] = (h >> OFFSET_BITS) << OFFSET_BITS | in->offsets[ids[j]];
		}
	}
	rn_free(in->slots);
	in->slots = slots;
	in->mask = mask;
	return RN_OK;
}

int rn_interner_index_all(rn_interner *in)
{
	if (!in->pages)
		return RN_OK;
	if (!in->slots)
		return RN_EINTERNAL;
	uint64_t cap = in->mask + 1;
	while ((uint64_t)in->count * 10 > cap * 7)
		cap <<= 1;
	uint32_t **pages = in->pages;
	in->pages = NULL;
	int rc = rehash(in, cap);
	in->pages = pages;
	if (rc != RN_OK)
		return rc;
	free_pages(in);
	in->renumber_at = in->count * 2 > in->count ? in->count * 2 : UINT32_MAX;
	return RN_OK;
}

/* Moves the numbered ids out of the hash table into pages; on an allocation failure nothing
 * changes. */
static void start_numbering(rn_interner *in)
{
	in->pages = rn_calloc(NUM_PAGES, sizeof *in->pages);
	if (!in->pages)
		return;
	for (uint32_t id = 0; id < in->count; id++) {
		size_t len;
		const char *s = rn_interner_string(in, id, &len);
		uint32_t key = pattern_key(in, s, len);
		if (key == NUM_NONE)
			continue;
		uint32_t **page = &in->pages[key >> NUM_PAGE_BITS];
		if (!*page) {
			*page = rn_calloc_dense(NUM_PAGE, sizeof **page);
			if (!*page) {
				free_pages(in);
				return;
			}
			in->pages_used++;
		}
		(*page)[key & (NUM_PAGE - 1)] = id + 1;
	}
	uint64_t cap = table_for(in->count - in->numbered);
	if (cap > in->mask + 1)
		cap = in->mask + 1;
	if (rehash(in, cap) != RN_OK) {
		free_pages(in);
		return;
	}
}

/* Notes a new id's key and, when it is hashed, brings numbering back once it fits. */
static void note_new_id(rn_interner *in, uint32_t key)
{
	if (key == NUM_NONE)
		return;
	if (in->numbered == 0 || key < in->key_lo)
		in->key_lo = key;
	if (in->numbered == 0 || key > in->key_hi)
		in->key_hi = key;
	in->numbered++;
	if (!in->pages && in->count >= in->renumber_at &&
	    range_fits(in->key_lo, in->key_hi, in->numbered))
		start_numbering(in);
}

void rn_interner_parts_of(const rn_interner *in, rn_interner_parts *parts)
{
	parts->slots = in->pages ? NULL : in->slots; /* not every id is in the table */
	parts->mask = in->mask;
	parts->count = in->count;
	parts->offsets = in->offsets; /* NULL once compacted, with slots */
	parts->arena = in->arena;
	parts->arena_len = in->arena_len;
	parts->mapped = in->mapped;
}

/* Every record where its offset says, numbered by its position, within the arena. */
static bool records_valid(const rn_interner_parts *parts)
{
	if (parts->arena_len < 4 || parts->arena_len > OFFSET_MASK || parts->offsets[0] != 4)
		return false;
	for (uint32_t id = 0; id < parts->count; id++) {
		uint64_t start = parts->offsets[id], end = parts->offsets[id + 1];
		if (end > parts->arena_len || start + RECORD_HEADER >= end)
			return false;
		const char *record = parts->arena + start;
		uint64_t len = read_u32(record + 4);
		if (read_u32(record) != id || record_end(start, len) != end ||
		    record[RECORD_HEADER + len] != '\0')
			return false;
	}
	return parts->offsets[parts->count] == parts->arena_len;
}

/* Every slot points at the start of a record, and no two at the same one, with a bit per
 * 4-byte arena position set at each record's start and cleared by the slot that points there.
 * Reading each slot's record instead (its id against offsets[]) took 0.37 s of the 1e7
 * snapshot's 0.73 s reload: a cache miss and often a page fault per slot, where the bits
 * (arena_len / 32 bytes, 8.75 MB at 1e7) mostly stay in cache and the arena is read once, in
 * order, by records_valid.  RN_EDATA, or RN_ENOMEM for the bits. */
static int slots_valid(const rn_interner_parts *parts)
{
	uint64_t positions = parts->arena_len / 4 + 1, used = 0;
	uint64_t *start = rn_calloc(positions / 64 + 1, sizeof *start);
	if (!start)
		return RN_ENOMEM;
	for (uint32_t id = 0; id < parts->count; id++) {
		uint64_t at = parts->offsets[id] / 4;
		start[at / 64] |= UINT64_C(1) << (at % 64);
	}
	bool bad = false;
	for (uint64_t i = 0; i <= parts->mask && !bad; i++) {
		uint64_t slot = parts->slots[i];
		if (slot == 0)
			continue;
		uint64_t offset = slot & OFFSET_MASK, at = offset / 4,
			 bit = UINT64_C(1) << (at % 64);
		bad = (offset & 3) || offset >= parts->arena_len || !(start[at / 64] & bit);
		if (!bad)
			start[at / 64] &= ~bit;
		used++;
	}
	rn_free(start);
	return bad || used != parts->count ? RN_EDATA : RN_OK;
}

int rn_interner_attach(rn_interner **out, const rn_interner_parts *parts)
{
	*out = NULL;
	uint64_t cap = parts->mask + 1;
	if (cap < 2 || (cap & parts->mask) || parts->mask > OFFSET_MASK ||
	    (uint64_t)parts->count * 10 > cap * 7 || !records_valid(parts))
		return RN_EDATA;
	int rc = slots_valid(parts);
	if (rc != RN_OK)
		return rc;
	rn_interner *in = rn_calloc(1, sizeof *in);
	if (!in)
		return RN_ENOMEM;
	in->slots = (uint64_t *)parts->slots;
	in->mask = parts->mask;
	in->count = parts->count;
	in->offsets = (uint64_t *)parts->offsets;
	in->offsets_cap = (size_t)parts->count + 1;
	in->arena = (char *)parts->arena;
	in->arena_len = in->arena_cap = parts->arena_len;
	in->decided = true;
	in->borrowed = true;
	in->mapped = parts->mapped;
	*out = in;
	return RN_OK;
}

/* Copies borrowed arrays into owned memory before the first change. */
static int own_arrays(rn_interner *in)
{
	uint64_t cap = in->mask + 1;
	uint64_t *slots = rn_malloc_array(cap, sizeof *slots);
	uint64_t *offsets = rn_malloc_array((size_t)in->count + 1, sizeof *offsets);
	char *arena = rn_malloc(in->arena_len);
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
	in->offsets_cap = (size_t)in->count + 1;
	in->arena_cap = in->arena_len;
	in->borrowed = false;
	in->mapped = false;
	return RN_OK;
}

/* Appends the record of a new id; on failure the interner is unchanged. */
static int append_record(rn_interner *in, const char *s, size_t len, uint32_t *id)
{
	if (in->count >= RN_MAX_NODES || len > UINT32_MAX)
		return RN_EDATA;
	if (in->borrowed && own_arrays(in))
		return RN_ENOMEM;
	uint64_t start = in->arena_len, end = record_end(start, len);
	if (end > OFFSET_MASK)
		return RN_EDATA;
	if (rn_grow((void **)&in->offsets, &in->offsets_cap, (size_t)in->count + 2,
		    sizeof *in->offsets))
		return RN_ENOMEM;
	size_t acap = in->arena_cap;
	if (rn_grow((void **)&in->arena, &acap, end, 1))
		return RN_ENOMEM;
	in->arena_cap = acap;
	uint32_t new_id = in->count, len32 = (uint32_t)len;
	char *record = in->arena + start;
	memcpy(record, &new_id, 4);
	memcpy(record + 4, &len32, 4);
	memcpy(record + RECORD_HEADER, s, len);
	memset(record + RECORD_HEADER + len, 0, end - start - RECORD_HEADER - len);
	in->arena_len = end;
	in->offsets[new_id] = start;
	in->offsets[new_id + 1] = end;
	in->count++;
	*id = new_id;
	return RN_OK;
}

static int intern_hashed(rn_interner *in, uint64_t h, const char *s, size_t len, uint32_t *id,
			 bool *inserted)
{
	uint64_t i = probe(in, h, s, len);
	if (in->slots[i]) {
		*id = slot_id(in, in->slots[i]);
		if (inserted)
			*inserted = false;
		return RN_OK;
	}
	/* Make room first so that a failed allocation leaves the interner unchanged. */
	/* the ids in the table: all, or all but the numbered ones */
	uint32_t hashed = in->pages ? in->count - in->numbered : in->count;
	if ((uint64_t)(hashed + 1) * 10 > (in->mask + 1) * 7) {
		if (rehash(in, (in->mask + 1) * 2))
			return RN_ENOMEM;
		i = probe(in, h, s, len);
	}
	int rc = append_record(in, s, len, id);
	if (rc != RN_OK)
		return rc;
	in->slots[i] = (h >> OFFSET_BITS) << OFFSET_BITS | in->offsets[*id];
	if (inserted)
		*inserted = true;
	note_new_id(in, pattern_key(in, s, len));
	return RN_OK;
}

static int intern_numbered(rn_interner *in, uint32_t key, const char *s, size_t len, uint32_t *id,
			   bool *inserted)
{
	uint32_t **page = &in->pages[key >> NUM_PAGE_BITS];
	uint32_t *entry = *page ? &(*page)[key & (NUM_PAGE - 1)] : NULL;
	if (entry && *entry) {
		*id = *entry - 1;
		if (inserted)
			*inserted = false;
		return RN_OK;
	}
	uint32_t lo = key, hi = key;
	if (in->numbered > 0) {
		lo = key < in->key_lo ? key : in->key_lo;
		hi = key > in->key_hi ? key : in->key_hi;
	}
	if (!range_fits(lo, hi, in->numbered + 1)) {
		int rc = rn_interner_index_all(in);
		if (rc != RN_OK)
			return rc;
		return intern_hashed(in, hash_id(s, len), s, len, id, inserted);
	}
	if (!entry) {
		*page = rn_calloc_dense(NUM_PAGE, sizeof **page);
		if (!*page)
			return RN_ENOMEM;
		in->pages_used++;
		entry = &(*page)[key & (NUM_PAGE - 1)];
	}
	int rc = append_record(in, s, len, id);
	if (rc != RN_OK)
		return rc;
	*entry = *id + 1;
	in->key_lo = lo;
	in->key_hi = hi;
	in->numbered++;
	if (inserted)
		*inserted = true;
	return RN_OK;
}

/* One id, with the key or hash computed when numbering was as it was at the batch's start. */
static int intern_one(rn_interner *in, uint32_t key, uint64_t h, const char *s, size_t len,
		      uint32_t *id, bool *inserted)
{
	if (key == NUM_NONE && in->pages) /* numbering began earlier in this batch */
		key = num_key(in, s, len);
	if (key != NUM_NONE && in->pages)
		return intern_numbered(in, key, s, len, id, inserted);
	if (key != NUM_NONE) /* numbering ended earlier in this batch */
		h = hash_id(s, len);
	return intern_hashed(in, h, s, len, id, inserted);
}

/* The first id sets the prefix, and numbering starts with it when it has one. */
static void first_id(rn_interner *in, const char *s, size_t len)
{
	take_prefix(in, s, len);
	if (in->has_prefix)
		start_numbering(in);
}

int rn_interner_intern(rn_interner *in, const char *s, size_t len, uint32_t *id, bool *inserted)
{
	if (!in->slots)
		return RN_EINTERNAL;
	if (!in->decided)
		first_id(in, s, len);
	uint32_t key = num_key(in, s, len);
	return intern_one(in, key, key == NUM_NONE ? hash_id(s, len) : 0, s, len, id, inserted);
}

/* Batch size bounded so the hashes stay in L1 and the prefetched lines are still in cache when
 * the probe pass reaches them. */
#define INTERN_BATCH 64

/* Hashes strings[0..k) into hashes[] and prefetches what their probes will read: first the
 * home slots, then, where a slot's tag matches, the record the probe compares.  Each slot's
 * prefetch follows its hash: with the hashes computed in a loop of their own first (here, or
 * on the reading thread) and the prefetches issued back to back, a 1e7-row load was slower in
 * 12 of 13 alternating pairs of runs, by 0.7-2.8 s. */
/* Keys or hashes strings[0..k) into keys[] and hashes[] and prefetches what their probes will
 * read: first the numbered entries and home slots, then, where a slot's tag matches, the
 * record the probe compares.  Each slot's prefetch follows its hash: with the hashes computed
 * in a loop of their own first (here, or on the reading thread) and the prefetches issued back
 * to back, a 1e7-row load was slower in 12 of 13 alternating pairs of runs, by 0.7-2.8 s. */
static void prefetch_probes(const rn_interner *in, const char *const *strings, const uint32_t *lens,
			    size_t k, uint32_t *keys, uint64_t *hashes)
{
	for (size_t i = 0; i < k; i++) {
		keys[i] = num_key(in, strings[i], lens[i]);
		hashes[i] = 0;
		if (keys[i] != NUM_NONE) {
			const uint32_t *page = in->pages[keys[i] >> NUM_PAGE_BITS];
			if (page)
				__builtin_prefetch(&page[keys[i] & (NUM_PAGE - 1)]);
			continue;
		}
		hashes[i] = hash_id(strings[i], lens[i]);
		__builtin_prefetch(&in->slots[hashes[i] & in->mask]);
	}
	for (size_t i = 0; i < k; i++) {
		if (keys[i] != NUM_NONE)
			continue;
		uint64_t slot = in->slots[hashes[i] & in->mask];
		if (slot && slot >> OFFSET_BITS == hashes[i] >> OFFSET_BITS)
			__builtin_prefetch(in->arena + (slot & OFFSET_MASK));
	}
}

void rn_interner_find_many(const rn_interner *in, const char *const *strings, const uint32_t *lens,
			   size_t count, uint32_t *ids)
{
	uint64_t hashes[INTERN_BATCH];
	uint32_t keys[INTERN_BATCH];
	for (size_t start = 0; start < count; start += INTERN_BATCH) {
		size_t k = count - start < INTERN_BATCH ? count - start : INTERN_BATCH;
		if (!in->slots) {
			for (size_t i = 0; i < k; i++)
				ids[start + i] = RN_ID_NONE;
			continue;
		}
		prefetch_probes(in, strings + start, lens + start, k, keys, hashes);
		for (size_t i = 0; i < k; i++) {
			if (keys[i] != NUM_NONE) {
				ids[start + i] =
				    num_entry(in, keys[i]) - 1; /* 0 - 1 = RN_ID_NONE */
				continue;
			}
			uint64_t slot =
			    in->slots[probe(in, hashes[i], strings[start + i], lens[start + i])];
			ids[start + i] = slot ? slot_id(in, slot) : RN_ID_NONE;
		}
	}
}

int rn_interner_intern_many(rn_interner *in, const char *const *strings, const uint32_t *lens,
			    size_t count, uint32_t *ids, size_t *done)
{
	uint64_t hashes[INTERN_BATCH];
	uint32_t keys[INTERN_BATCH];
	if (done)
		*done = 0;
	if (!in->slots)
		return RN_EINTERNAL;
	if (!in->decided && count > 0)
		first_id(in, strings[0], lens[0]);
	for (size_t start = 0; start < count; start += INTERN_BATCH) {
		size_t k = count - start < INTERN_BATCH ? count - start : INTERN_BATCH;
		prefetch_probes(in, strings + start, lens + start, k, keys, hashes);
		for (size_t i = 0; i < k; i++) {
			int rc = intern_one(in, keys[i], hashes[i], strings[start + i],
					    lens[start + i], &ids[start + i], NULL);
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
