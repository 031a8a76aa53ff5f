/*
 * refnet/util.h - what every layer shares: status codes, the error record, allocation.
 *
 * Library functions return 0 on success or a negative RN_E* code, and fill a caller-owned
 * rn_error with the position (file, line, column) and a message.  Only the CLI turns a code
 * into a process exit status (rn_exit_code) and prints the error.
 *
 * All heap memory goes through rn_malloc/rn_calloc/rn_realloc/rn_free so that a test can make
 * the Nth allocation fail (rn_alloc_fail_at) and check that every error path cleans up.
 */
#ifndef REFNET_UTIL_H
#define REFNET_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Status codes.  The magnitude of each is the sysexits(3) exit code the CLI uses. */
enum {
	RN_OK = 0,
	RN_EUSAGE = -64,    /* bad command line */
	RN_EDATA = -65,     /* malformed input data */
	RN_ENOINPUT = -66,  /* input file missing or unreadable */
	RN_ENOMEM = -70,    /* allocation failed (internal error class) */
	RN_EINTERNAL = -70, /* internal error, violated invariant */
	RN_ECANTCREAT = -73,/* cannot create output */
	RN_EIO = -74,       /* I/O error, truncated compressed input */
	RN_ECONFIG = -78,   /* bad configuration */
};

#define RN_ERROR_FILE_MAX 1024
#define RN_ERROR_MSG_MAX 1024

/* Where and why something failed.  line/column are 1-based; 0 means "not applicable". */
typedef struct rn_error {
	int code;
	uint64_t line;
	uint64_t column;
	char file[RN_ERROR_FILE_MAX];
	char message[RN_ERROR_MSG_MAX];
} rn_error;

void rn_error_clear(rn_error *err);
/* Records an error and returns code, so callers can write `return rn_error_set(...)`.
 * err may be NULL.  file may be NULL. */
int rn_error_set(rn_error *err, int code, const char *file, uint64_t line, uint64_t column,
		 const char *fmt, ...) __attribute__((format(printf, 6, 7)));
int rn_error_setv(rn_error *err, int code, const char *file, uint64_t line, uint64_t column,
		  const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));
/* "file:line:column: message" (parts that are unknown are left out). */
void rn_error_format(const rn_error *err, char *buf, size_t cap);
/* Exit status for a status code: 0 for RN_OK, otherwise -code (70 if unknown). */
int rn_exit_code(int code);
const char *rn_strerror(int code);

/* Allocation layer.  rn_malloc(0) returns a unique pointer; rn_free(NULL) is a no-op. */
void *rn_malloc(size_t size);
void *rn_calloc(size_t count, size_t size);
/* Zeroed like rn_calloc, for an array that will be written all over, at random: every page
 * is first touched by a write (a memset).  A fresh page of calloc first read maps the shared
 * zero page, and the first write then replaces it, which on a multithreaded process flushes
 * the other cores' TLBs: an interprocessor interrupt per page, and on a virtual machine an
 * exit on both sides. */
void *rn_calloc_dense(size_t count, size_t size);
void *rn_realloc(void *ptr, size_t size);
/* count*size with overflow check; NULL on overflow or failure. */
void *rn_malloc_array(size_t count, size_t size);
void *rn_realloc_array(void *ptr, size_t count, size_t size);
char *rn_strdup(const char *s);
char *rn_strndup(const char *s, size_t n);
void rn_free(void *ptr);

/* The memory limit (physical memory, or REFNET_MEMORY_LIMIT bytes) and the bytes live in
 * blocks of this layer.  An allocation that would cross the limit fails like any other. */
uint64_t rn_memory_limit(void);
uint64_t rn_memory_in_use(void);

/* Test hooks: make the n-th allocation from now fail (n >= 1), and every later one too if
 * sticky; n == 0 disarms.  rn_alloc_count() counts allocation calls since the last arming. */
void rn_alloc_fail_at(uint64_t n, int sticky);
uint64_t rn_alloc_count(void);

/* Growable array helper: ensures *cap >= need for an array of elem-sized items, growing by
 * 1.5x.  Returns RN_OK or RN_ENOMEM (the old array stays valid). */
int rn_grow(void **array, size_t *cap, size_t need, size_t elem);
/* madvise(2) on the whole 4 KiB pages inside [ptr, ptr + bytes) (none when it holds none);
 * advice as for madvise, e.g. MADV_HUGEPAGE or MADV_DONTNEED.  A hint: errors are ignored. */
void rn_advise_pages(const void *ptr, size_t bytes, int advice);

/* order[0..n) = 0..n-1 sorted by score descending, ties by ascending index (radix sort; NaN
 * scores are not ordered meaningfully).  RN_OK or RN_ENOMEM (order untouched). */
int rn_order_desc(const double *score, uint32_t n, uint32_t *order);

/* Monotonic time in seconds, for progress reports and manifests. */
double rn_now(void);
/* Peak resident set size of this process in bytes (0 if unknown). */
uint64_t rn_peak_rss(void);

#endif
