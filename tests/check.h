/*
 * check.h - the assertions of refnet's unit tests: plain C, one program per module.
 * A failed check prints file:line and the values and marks the program failed; the test goes
 * on so one run shows every failure.  main() ends with `return check_report();`.
 */
#ifndef REFNET_TESTS_CHECK_H
#define REFNET_TESTS_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		check_count++;                                                               \
		if (!(cond)) {                                                               \
			check_failures++;                                                    \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                            \
	} while (0)

#define CHECK_INT(got, want)                                                                 \
	do {                                                                                 \
		long long check_g = (long long)(got), check_w = (long long)(want);           \
		check_count++;                                                               \
		if (check_g != check_w) {                                                    \
			check_failures++;                                                    \
			fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__,      \
				__LINE__, #got, check_g, check_w);                           \
		}                                                                            \
	} while (0)

#define CHECK_NEAR(got, want, tol)                                                           \
	do {                                                                                 \
		double check_g = (double)(got), check_w = (double)(want);                    \
		check_count++;                                                               \
		if (!(fabs(check_g - check_w) <= (tol))) {                                   \
			check_failures++;                                                    \
			fprintf(stderr, "%s:%d: %s == %.17g, expected %.17g (tol %g)\n",     \
				__FILE__, __LINE__, #got, check_g, check_w, (double)(tol));  \
		}                                                                            \
	} while (0)

#define CHECK_STR(got, want)                                                                 \
	do {                                                                                 \
		const char *check_g = (got), *check_w = (want);                              \
		check_count++;                                                               \
		if (!check_g || strcmp(check_g, check_w) != 0) {                             \
			check_failures++;                                                    \
			fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__,  \
				__LINE__, #got, check_g ? check_g : "(null)", check_w);      \
		}                                                                            \
	} while (0)

/* Substring test, for error messages. */
#define CHECK_CONTAINS(haystack, needle)                                                     \
	do {                                                                                 \
		const char *check_h = (haystack), *check_n = (needle);                       \
		check_count++;                                                               \
		if (!check_h || !strstr(check_h, check_n)) {                                 \
			check_failures++;                                                    \
			fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, \
				__LINE__, check_h ? check_h : "(null)", check_n);            \
		}                                                                            \
	} while (0)

static inline int check_report(void)
{
	fprintf(stderr, "%d checks, %d failed\n", check_count, check_failures);
	return check_failures ? 1 : 0;
}

#endif
