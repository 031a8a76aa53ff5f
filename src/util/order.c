/*
 * order.c - the order of n scores, highest first, ties by ascending index.
 *
 * `refnet rank` writes every customer by PageRank: sorting 1e7 indices with qsort and a
 * comparator that reads the scores at random took 3 s.  A least-significant-digit radix sort
 * on the scores' bits does it in a few streaming passes.  A double's bits, with the sign bit
 * flipped for positive values and all bits flipped for negative ones, order as the values do;
 * complemented, highest first.  The sort is stable and starts from ascending indices, so equal
 * scores keep them ascending.  -0 counts as 0, as the comparison it replaces would have it.
 */
#include <refnet/util.h>

#include <string.h>

struct keyed {
	uint64_t key;
	uint32_t index;
};

static uint64_t descending_key(double x)
{
	if (x == 0)
		x = 0; /* -0 */
	uint64_t bits;
	memcpy(&bits, &x, sizeof bits);
	bits = bits >> 63 ? ~bits : bits | (1ull << 63);
	return ~bits;
}

int rn_order_desc(const double *score, uint32_t n, uint32_t *order)
{
	struct keyed *a = rn_malloc_array(n ? n : 1, sizeof *a);
	struct keyed *b = rn_malloc_array(n ? n : 1, sizeof *b);
	if (!a || !b) {
		rn_free(a);
		rn_free(b);
		return RN_ENOMEM;
	}
	uint64_t all_or = 0, all_and = ~0ull;
	for (uint32_t i = 0; i < n; i++) {
		a[i] = (struct keyed){descending_key(score[i]), i};
		all_or |= a[i].key;
		all_and &= a[i].key;
	}
	for (int shift = 0; shift < 64; shift += 8) {
		if ((((all_or ^ all_and) >> shift) & 0xff) == 0)
			continue; /* every key has the same byte here */
		size_t count[257] = {0};
		for (uint32_t i = 0; i < n; i++)
			count[((a[i].key >> shift) & 0xff) + 1]++;
		for (int d = 0; d < 256; d++)
			count[d + 1] += count[d];
		for (uint32_t i = 0; i < n; i++)
			b[count[(a[i].key >> shift) & 0xff]++] = a[i];
		struct keyed *t = a;
		a = b;
		b = t;
	}
	for (uint32_t i = 0; i < n; i++)
		order[i] = a[i].index;
	rn_free(a);
	rn_free(b);
	return RN_OK;
}
