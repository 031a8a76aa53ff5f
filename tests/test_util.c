/* test_util.c - the error record and the allocation layer's failure injection. */
#include <refnet/util.h>

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

int main(void)
{
	test_error_format();
	test_alloc_failure();
	test_grow();
	return check_report();
}
