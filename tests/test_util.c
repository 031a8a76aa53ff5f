/* test_util.c - the error record and the allocation layer's failure injection. */
#include <refnet/util.h>

#include <string.h>

#include "check.h"

static void test_error_format(void)
{
	rn_error err;
	char text[256];
	rn_error_clear(&err);
	CHECK_INT(rn_error_set(&err, RN_EDATA, "a.csv", 3, 7, "column '%s': expected %s", "weight",
			       "a number"),
		  RN_EDATA);
	rn_error_format(&err, text, sizeof text);
	CHECK_STR(text, "a.csv:3:7: column 'weight': expected a number");
	rn_error_set(&err, RN_ENOINPUT, "b.csv", 0, 0, "No such file or directory");
	rn_error_format(&err, text, sizeof text);
	CHECK_STR(text, "b.csv: No such file or directory");
	CHECK_INT(rn_exit_code(RN_EDATA), 65);
	CHECK_INT(rn_exit_code(RN_ENOINPUT), 66);
	CHECK_INT(rn_exit_code(RN_ECONFIG), 78);
	CHECK_INT(rn_exit_code(RN_EIO), 74);
	CHECK_INT(rn_exit_code(-12345), 70);
	CHECK_INT(rn_exit_code(RN_OK), 0);
}

static void test_alloc_failure(void)
{
	rn_alloc_fail_at(2, 0);
	void *a = rn_malloc(8);
	void *b = rn_malloc(8);
	void *c = rn_malloc(8);
	CHECK(a != NULL);
	CHECK(b == NULL);
	CHECK(c != NULL);
	CHECK_INT(rn_alloc_count(), 3);
	rn_free(a);
	rn_free(c);
	rn_alloc_fail_at(1, 1);
	CHECK(rn_calloc(2, 2) == NULL);
	CHECK(rn_strdup("x") == NULL);
	rn_alloc_fail_at(0, 0);
	char *s = rn_strdup("abc");
	CHECK_STR(s, "abc");
	rn_free(s);
	CHECK(rn_malloc_array(SIZE_MAX / 2, 4) == NULL);
	/* rn_calloc_dense: zeroed even where the allocator hands back used memory, and it fails
	 * like the others */
	for (int k = 0; k < 2; k++) {
		unsigned char *used = rn_malloc(1 << 20);
		CHECK(used != NULL);
		memset(used, 0xA5, 1 << 20);
		rn_free(used);
		uint64_t *z = rn_calloc_dense((1 << 20) / 8, 8);
		CHECK(z != NULL);
		uint64_t any = 0;
		for (int i = 0; z && i < (1 << 20) / 8; i++)
			any |= z[i];
		CHECK(any == 0);
		rn_free(z);
	}
	CHECK(rn_calloc_dense(SIZE_MAX / 2, 4) == NULL);
	rn_alloc_fail_at(1, 0);
	CHECK(rn_calloc_dense(4, 4) == NULL);
	rn_alloc_fail_at(0, 0);
}

static void test_grow(void)
{
	int *items = NULL;
	size_t cap = 0;
	for (int i = 0; i < 1000; i++) {
		CHECK_INT(rn_grow((void **)&items, &cap, (size_t)i + 1, sizeof *items), RN_OK);
		items[i] = i;
	}
	CHECK(cap >= 1000);
	CHECK_INT(items[999], 999);
	rn_free(items);
}

static const double *sort_score;

static int by_score(const void *pa, const void *pb)
{
	uint32_t x = *(const uint32_t *)pa, y = *(const uint32_t *)pb;
	if (sort_score[x] != sort_score[y])
		return sort_score[x] > sort_score[y] ? -1 : 1;
	return (x > y) - (x < y);
}

/* rn_order_desc against qsort with the comparison it replaces: scores with many ties, negative
 * scores, -0 and 0, subnormals, infinities, all equal, a single one and none. */
static void test_order_desc(void)
{
	enum { N = 20000 };
	double *score = malloc(N * sizeof *score);
	uint32_t *want = malloc(N * sizeof *want), *got = malloc(N * sizeof *got);
	uint64_t state = 7;
	for (int shape = 0; shape < 5; shape++) {
		uint32_t n = shape == 4 ? 1 : N;
		for (uint32_t i = 0; i < n; i++) {
			state = state * 6364136223846793005ull + 1442695040888963407ull;
			uint32_t r = (uint32_t)(state >> 33);
			switch (shape) {
			case 0: /* PageRank-like: small positive, many ties */
				score[i] = r % 7 == 0 ? 1e-5 : (double)(r % 1000) * 1e-9;
				break;
			case 1: /* every sign and kind */
				score[i] = r % 9 == 0	? -0.0
					   : r % 9 == 1 ? 0.0
					   : r % 9 == 2 ? 4.9e-324
					   : r % 9 == 3 ? -INFINITY
					   : r % 9 == 4 ? INFINITY
							: ((double)(r % 2001) - 1000.0) * 0.125;
				break;
			case 2:
				score[i] = 3.0;
				break;
			default:
				score[i] = ldexp((double)r, (int)(r % 200) - 100);
			}
			want[i] = i;
		}
		sort_score = score;
		qsort(want, n, sizeof *want, by_score);
		CHECK_INT(rn_order_desc(score, n, got), RN_OK);
		CHECK(memcmp(got, want, n * sizeof *got) == 0);
	}
	CHECK_INT(rn_order_desc(score, 0, got), RN_OK);
	rn_alloc_fail_at(1, 0);
	CHECK_INT(rn_order_desc(score, N, got), RN_ENOMEM);
	rn_alloc_fail_at(0, 0);
	free(score);
	free(want);
	free(got);
}

int main(void)
{
	test_error_format();
	test_alloc_failure();
	test_grow();
	test_order_desc();
	return check_report();
}
