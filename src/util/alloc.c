/*
 * alloc.c - the one allocation layer.
 *
 * Every heap allocation in refnet passes through here.  Besides overflow-checked array
 * helpers, it offers a failure injector in the spirit of SQLite's test_malloc: a test arms it
 * with rn_alloc_fail_at(n) and the n-th allocation call returns NULL, so a loop over n walks
 * every allocation site on a path and proves that each failure is reported and cleaned up.
 * Disarmed, the cost is one relaxed atomic load per call.
 */
#include <refnet/util.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static _Atomic uint64_t fail_at;   /* 0: disarmed */
static _Atomic uint64_t calls;     /* allocation calls since arming */
static _Atomic int fail_sticky;

void rn_alloc_fail_at(uint64_t n, int sticky)
{
	atomic_store(&calls, 0);
	atomic_store(&fail_sticky, sticky);
	atomic_store(&fail_at, n);
}

uint64_t rn_alloc_count(void)
{
	return atomic_load(&calls);
}

static int should_fail(void)
{
	uint64_t n = atomic_load_explicit(&fail_at, memory_order_relaxed);
	uint64_t c = atomic_fetch_add(&calls, 1) + 1;
	if (n == 0)
		return 0;
	return c == n || (c > n && atomic_load(&fail_sticky));
}

void *rn_malloc(size_t size)
{
	if (should_fail())
		return NULL;
	return malloc(size ? size : 1);
}

void *rn_calloc(size_t count, size_t size)
{
	if (should_fail())
		return NULL;
	if (count == 0 || size == 0)
		count = size = 1;
	return calloc(count, size);
}

void *rn_realloc(void *ptr, size_t size)
{
	if (should_fail())
		return NULL;
	return realloc(ptr, size ? size : 1);
}

void *rn_malloc_array(size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		return NULL;
	return rn_malloc(count * size);
}

void *rn_realloc_array(void *ptr, size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		return NULL;
	return rn_realloc(ptr, count * size);
}

char *rn_strndup(const char *s, size_t n)
{
	char *copy = rn_malloc(n + 1);
	if (!copy)
		return NULL;
	memcpy(copy, s, n);
	copy[n] = '\0';
	return copy;
}

char *rn_strdup(const char *s)
{
	return rn_strndup(s, strlen(s));
}

void rn_free(void *ptr)
{
	free(ptr);
}

int rn_grow(void **array, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return RN_OK;
	size_t next = *cap < 16 ? 16 : *cap + *cap / 2;
	if (next < need)
		next = need;
	void *grown = rn_realloc_array(*array, next, elem);
	if (!grown)
		return RN_ENOMEM;
	*array = grown;
	*cap = next;
	return RN_OK;
}

double rn_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

uint64_t rn_peak_rss(void)
{
	struct rusage usage;
	if (getrusage(RUSAGE_SELF, &usage) != 0)
		return 0;
	return (uint64_t)usage.ru_maxrss * 1024u;
}
