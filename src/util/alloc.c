/*
 * alloc.c - the one allocation layer.
 *
 * Every heap allocation in refnet passes through here.  Besides overflow-checked array
 * helpers, it offers a failure injector in the spirit of SQLite's test_malloc: a test arms it
 * with rn_alloc_fail_at(n) and the n-th allocation call returns NULL, so a loop over n walks
 * every allocation site on a path and proves that each failure is reported and cleaned up.
 * Disarmed, the cost is one relaxed atomic load per call.
 *
 * It also keeps the live total (glibc's malloc_usable_size of every block) under a memory
 * limit: the machine's physical memory, or REFNET_MEMORY_LIMIT bytes when that is set.  An
 * input too large for the machine then fails with "out of memory" (exit 70) when the block
 * that would cross the limit is asked for, instead of driving the machine into swap or the
 * kernel's OOM killer.
 */
#include <refnet/util.h>

#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

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

static _Atomic uint64_t live_bytes;
static _Atomic uint64_t limit_bytes; /* 0: not yet read */

uint64_t rn_memory_limit(void)
{
	uint64_t limit = atomic_load_explicit(&limit_bytes, memory_order_relaxed);
	if (limit)
		return limit;
	const char *text = getenv("REFNET_MEMORY_LIMIT");
	char *end = NULL;
	unsigned long long given = text ? strtoull(text, &end, 10) : 0;
	if (given > 0 && end && *end == '\0') {
		limit = given;
	} else {
		long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
		limit = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : UINT64_MAX;
	}
	atomic_store(&limit_bytes, limit);
	return limit;
}

uint64_t rn_memory_in_use(void)
{
	return atomic_load(&live_bytes);
}

/* Would a block of size bytes (replacing one of old bytes) cross the limit? */
static int over_limit(size_t size, size_t old)
{
	return size > old && atomic_load_explicit(&live_bytes, memory_order_relaxed) + (size - old) >
				     rn_memory_limit();
}

static void *account(void *block, size_t old)
{
	if (block) {
		atomic_fetch_add_explicit(&live_bytes, malloc_usable_size(block),
					  memory_order_relaxed);
		atomic_fetch_sub_explicit(&live_bytes, old, memory_order_relaxed);
	}
	return block;
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
	if (should_fail() || over_limit(size, 0))
		return NULL;
	return account(malloc(size ? size : 1), 0);
}

void *rn_calloc(size_t count, size_t size)
{
	if (should_fail())
		return NULL;
	if (count == 0 || size == 0)
		count = size = 1;
	if (count > SIZE_MAX / size || over_limit(count * size, 0))
		return NULL;
	return account(calloc(count, size), 0);
}

void *rn_calloc_dense(size_t count, size_t size)
{
	void *block = rn_malloc_array(count, size);
	if (block)
		memset(block, 0, count * size);
	return block;
}

void *rn_realloc(void *ptr, size_t size)
{
	if (should_fail())
		return NULL;
	size_t old = ptr ? malloc_usable_size(ptr) : 0;
	if (over_limit(size, old))
		return NULL;
	void *grown = realloc(ptr, size ? size : 1);
	/* on failure the old block stays, and so does its count */
	return grown ? account(grown, old) : NULL;
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
	if (ptr)
		atomic_fetch_sub_explicit(&live_bytes, malloc_usable_size(ptr), memory_order_relaxed);
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

void rn_advise_pages(const void *ptr, size_t bytes, int advice)
{
	const uintptr_t page = 4096;
	uintptr_t start = ((uintptr_t)ptr + page - 1) & ~(page - 1);
	uintptr_t end = ((uintptr_t)ptr + bytes) & ~(page - 1);
	if (ptr && end > start)
		(void)madvise((void *)start, end - start, advice);
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
