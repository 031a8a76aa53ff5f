/*
 * refnet/io.h - reading CRM exports: byte sources, the CSV tokenizer, value parsing, the id
 * interner and the table loaders.
 *
 * Data flows: rn_source (plain, .gz or .zst bytes) -> rn_csv (RFC 4180 records with positions)
 * -> loaders (typed, validated columns, ids interned to dense uint32_t in first-seen order).
 * Every error names file:line:column, the column and what was expected.
 */
#ifndef REFNET_IO_H
#define REFNET_IO_H

#include <refnet/util.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Resource caps (docs/LIMITS.md): hostile input becomes an error, not exhaustion. ---- */
#define RN_CSV_MAX_RECORD_BYTES (16u << 20) /* one record, quotes included */
#define RN_CSV_MAX_FIELDS 4096u             /* fields per record */
#define RN_ID_MAX_BYTES 1024u               /* one customer/campaign/channel id */
#define RN_MAX_NODES 0xFFFFFFF0u            /* dense ids are uint32_t */

/* ---- Byte sources ---------------------------------------------------------------------- */

typedef struct rn_source rn_source;

/* Opens path; .gz and .zst are recognised by their magic bytes, not the name (concatenated
 * gzip members and zstd frames are read one after the other).  A missing or unreadable file,
 * or a directory, is RN_ENOINPUT with strerror in the message; "-" is not special. */
int rn_source_open(rn_source **out, const char *path, rn_error *err);
/* A source over caller-owned memory (tests, fuzzing); name is used in messages.  The bytes are
 * decompressed if they carry a gzip or zstd magic. */
int rn_source_open_memory(rn_source **out, const void *data, size_t len, const char *name,
			  rn_error *err);
/* Reads up to cap bytes of decompressed data into buf.  Returns the count (0 at the end; a
 * short count is not the end) or a negative status; a truncated or corrupt compressed stream,
 * or garbage after the last member/frame, is RN_EIO. */
int64_t rn_source_read(rn_source *src, void *buf, size_t cap, rn_error *err);
const char *rn_source_name(const rn_source *src);
/* Bytes read from the underlying file so far (compressed bytes for compressed input). */
uint64_t rn_source_raw_bytes(const rn_source *src);
/* Test hook: every later rn_source_read returns at most max_bytes (0 = no limit), so tests
 * can make the CSV reader refill at every possible byte boundary. */
void rn_source_set_read_limit(rn_source *src, size_t max_bytes);
void rn_source_close(rn_source *src);

/* ---- CSV tokenizer --------------------------------------------------------------------- */

/* A field of the current record, unquoted ("" -> "), valid until the next rn_csv_next. */
typedef struct rn_field {
	const char *ptr;
	size_t len;
} rn_field;

typedef struct rn_csv rn_csv;

/* Opens a CSV file (through rn_source) and reads its header row.  A UTF-8 BOM is stripped.
 * An empty file, or a header with an empty or duplicate name, is RN_EDATA. */
int rn_csv_open(rn_csv **out, const char *path, rn_error *err);
/* Same over an open source; the reader takes ownership of src (closed by rn_csv_close, also
 * on failure). */
int rn_csv_open_source(rn_csv **out, rn_source *src, rn_error *err);
void rn_csv_close(rn_csv *csv);

const char *rn_csv_path(const rn_csv *csv);
uint32_t rn_csv_header_count(const rn_csv *csv);
const char *rn_csv_header(const rn_csv *csv, uint32_t index);
/* Index of the column with this header name (exact match), or -1. */
int rn_csv_column(const rn_csv *csv, const char *name);

/* Reads the next record.  Returns 1 when a record is ready, 0 at the end of the input, or a
 * negative status: invalid UTF-8, an unterminated quote (reported where it opened), a stray
 * quote, text after a closing quote, a CR not followed by LF outside quotes, a record longer
 * than RN_CSV_MAX_RECORD_BYTES (quotes and line end included) or with more than
 * RN_CSV_MAX_FIELDS fields is RN_EDATA; a record whose field count differs from the header is
 * RN_EDATA ("expected N fields, found M", at the first extra field or the end of the line).
 * Records end with LF, CRLF or the end of the input.  Blank lines (a record that is a single
 * unquoted empty field) are skipped; a line holding "" is a record with one empty field.
 * Source errors (RN_EIO, RN_ENOMEM) pass through.  After an error other than a wrong field
 * count, every later call fails with the same status. */
int rn_csv_next(rn_csv *csv, rn_error *err);
uint32_t rn_csv_field_count(const rn_csv *csv);
rn_field rn_csv_field(const rn_csv *csv, uint32_t index);
/* 1-based line and column (in bytes, counting from the line start) where a field begins. */
uint64_t rn_csv_field_line(const rn_csv *csv, uint32_t index);
uint64_t rn_csv_field_column(const rn_csv *csv, uint32_t index);
/* Line on which the current record starts. */
uint64_t rn_csv_record_line(const rn_csv *csv);
/* After rn_csv_next failed: true when the failing record was well formed except for its
 * field count, so the reader stands at the next record and may go on (on_error: skip).
 * Encoding and quoting errors leave record boundaries unknown: false. */
bool rn_csv_can_resume(const rn_csv *csv);

/* Records an RN_EDATA error at field `index` of the current record:
 * "file:line:col: column 'name': <message>".  Returns RN_EDATA. */
int rn_csv_field_error(const rn_csv *csv, uint32_t index, rn_error *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The same for a field of an earlier record, at the line and column rn_csv_field_line and
 * rn_csv_field_column gave then. */
int rn_csv_error_at(const rn_csv *csv, uint32_t index, uint64_t line, uint64_t column,
		    rn_error *err, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Whether a field written as CSV must be quoted: it holds a comma, quote, CR or LF (RFC 4180
 * section 2), or starts or ends with a space, which spreadsheets otherwise trim.  Every CSV
 * refnet writes (the report's tables, refnet rank) quotes by this rule, doubling inner
 * quotes, so that reading a file back with rn_csv gives each field exactly. */
bool rn_csv_needs_quotes(const char *s, size_t len);

/* ---- Value parsing --------------------------------------------------------------------- */

#define RN_DATE_NONE INT32_MIN

/* Strict decimal number: optional sign, digits, optional fraction and exponent; no spaces,
 * no NaN/Inf, no overflow to infinity.  Returns 0 or -1. */
int rn_parse_double(const char *s, size_t len, double *out);
/* Dates as days since 1970-01-01.  fmt NULL means ISO-8601 "YYYY-MM-DD" optionally followed
 * by "T" or " " and a time hh:mm[:ss[.fff]][Z|+hh:mm|-hh:mm] (validated, then ignored);
 * otherwise a strptime-style format using %Y (4 digits), %m and %d (1 or 2 digits), %% and
 * literal characters, matching the whole text.  Calendar validity is checked (no 2023-02-30,
 * leap years per the Gregorian rule).  Returns 0 or -1 (*days untouched). */
int rn_parse_date(const char *s, size_t len, const char *fmt, int32_t *days);
/* True when fmt is usable by rn_parse_date: only %Y (4 digits), %m, %d (1 or 2 digits), %%
 * and literals, with each of %Y %m %d present (for checking a configured date_format). */
bool rn_date_format_valid(const char *fmt);
/* Formats days since 1970-01-01 as YYYY-MM-DD into buf (at least 11 bytes).  RN_DATE_NONE
 * gives "", a day outside years 0000-9999 (which no parse produces) "0000-00-00". */
void rn_format_date(int32_t days, char *buf);

/* ---- Id interner ----------------------------------------------------------------------- */

/* Maps id strings to dense uint32_t indices in first-seen order.  Open addressing with the
 * strings in one arena: no per-id allocation.  Sized for 1e8 ids.  When the first id ends in
 * digits, the ids made of its prefix and 1-9 digits are indexed by their number instead of by
 * hash (src/io/intern.c); this changes nothing that the functions below return. */
typedef struct rn_interner rn_interner;

int rn_interner_new(rn_interner **out, size_t expected);
void rn_interner_free(rn_interner *in);
/* Finds or inserts; *id receives the index; *inserted (may be NULL) tells whether it is new.
 * Returns RN_OK, RN_ENOMEM, or RN_EDATA when the table is full (RN_MAX_NODES). */
int rn_interner_intern(rn_interner *in, const char *s, size_t len, uint32_t *id,
		       bool *inserted);
/* Interns count strings in order, exactly as count calls of rn_interner_intern would, but
 * overlaps their cache misses (hashes first, then prefetches, then probes): the loaders feed
 * ids in batches of a few hundred.  On error, ids[0..*done) are valid. */
int rn_interner_intern_many(rn_interner *in, const char *const *strings, const uint32_t *lens,
			    size_t count, uint32_t *ids, size_t *done);
/* Returns true and sets *id when present. */
bool rn_interner_find(const rn_interner *in, const char *s, size_t len, uint32_t *id);
/* As count calls of rn_interner_find, with the misses overlapped as in intern_many: ids[k] is
 * the index of strings[k], or RN_ID_NONE when absent. */
#define RN_ID_NONE UINT32_MAX
void rn_interner_find_many(const rn_interner *in, const char *const *strings, const uint32_t *lens,
			   size_t count, uint32_t *ids);
uint32_t rn_interner_count(const rn_interner *in);
/* The string for an id (NUL-terminated in the arena); *len may be NULL. */
const char *rn_interner_string(const rn_interner *in, uint32_t id, size_t *len);
/* Whether ids are numbered now (src/io/intern.c: indexed by the number after the first id's
 * prefix instead of by hash), for tests and diagnostics. */
bool rn_interner_numbering(const rn_interner *in);
/* Bytes held (table + arena), for the memory report. */
size_t rn_interner_bytes(const rn_interner *in);
/* Frees the hash table (8 to 16 bytes per id; 134 MB at 1e7 ids), for callers that only turn
 * ids back into strings from here on, and packs the strings without their lookup headers
 * (length + 5 bytes per id instead of about 30).  Afterwards rn_interner_find finds nothing,
 * rn_interner_intern fails with RN_EINTERNAL and rn_interner_parts_of gives slots = NULL
 * (rn_snapshot_write refuses those); count and string work as before (string pointers taken
 * earlier do not).  On borrowed arrays
 * that lie in a file mapping (a snapshot's) the table's pages are given back to the system
 * instead, and everything keeps working (a lookup reads them again from the file); on other
 * borrowed arrays it does nothing. */
void rn_interner_drop_index(rn_interner *in);

/* The interner's arrays, for the binary snapshot: slots[mask + 1] (0 empty, else
 * (24-bit hash tag << 40) | record offset), offsets[count + 1] (record of each id, then
 * arena_len), and the arena of records [uint32 id][uint32 length][bytes][NUL] 4-byte aligned,
 * starting at offset 4 (src/io/intern.c). */
typedef struct rn_interner_parts {
	const uint64_t *slots;
	uint64_t mask;
	uint32_t count;
	const uint64_t *offsets;
	const char *arena;
	uint64_t arena_len;
	bool mapped; /* the arrays lie in a read-only file mapping (rn_interner_drop_index) */
} rn_interner_parts;

/* Puts the numbered ids into the hash table too, so that the table holds every id
 * (rn_interner_parts_of); new ids are hashed until the count has doubled (src/io/intern.c).
 * RN_OK, RN_ENOMEM (nothing changed), or RN_EINTERNAL after rn_interner_drop_index. */
int rn_interner_index_all(rn_interner *in);
/* slots is NULL while ids are numbered (rn_interner_index_all) or after the table was
 * dropped. */
void rn_interner_parts_of(const rn_interner *in, rn_interner_parts *parts);
/* An interner over borrowed arrays (e.g. a memory-mapped snapshot), which must outlive it.
 * The first insertion copies them into owned memory.  The parts are checked for consistency
 * (every record where its offset says with its own id, NUL-terminated, inside the arena; every
 * slot pointing at a record): RN_EDATA if not. */
int rn_interner_attach(rn_interner **out, const rn_interner_parts *parts);

/* ---- Table loaders (DESIGN.md "Data model") -------------------------------------------- */

typedef enum rn_dup_policy {
	RN_DUP_SUM = 0,
	RN_DUP_MAX,
	RN_DUP_FIRST,
	RN_DUP_ERROR,
} rn_dup_policy;

/* Column names per table; NULL means the default name from DESIGN.md. */
typedef struct rn_columns {
	const char *referrer, *referred, *date, *weight, *reward;    /* referrals */
	const char *customer, *acquired, *channel, *campaign, *clv;  /* customers */
	const char *tx_customer, *tx_date, *amount, *margin;         /* transactions */
	const char *spend_campaign, *spend_date, *spend_amount, *spend_channel; /* spend */
} rn_columns;

typedef struct rn_load_options {
	rn_columns columns;
	const char *date_format;    /* NULL: ISO-8601 */
	bool skip_bad_rows;         /* on_error: skip (rows counted in skipped_rows) */
	bool graph_only;            /* referrals: keep only what the graph needs (ids and weight);
				       the date and reward columns are validated but not stored */
	bool keep_lines;            /* record the source line of every referral row
				       (rn_referrals.line), for messages that name a row later */
	bool create_missing;        /* referrals/transactions may name customers absent from the
				       customers table (created, counted) */
} rn_load_options;

/* The referrals table as read: one entry per data row kept, in file order. */
typedef struct rn_referrals {
	uint64_t count, capacity;
	uint32_t *referrer;   /* node index of u (u referred v) */
	uint32_t *referred;   /* node index of v */
	float *weight;        /* NULL when the file has no weight column (all 1) */
	int32_t *date;        /* NULL when the file has no date column */
	float *reward;        /* NULL when the file has no reward column */
	uint64_t *line;       /* source line of each row (only with keep_lines), else NULL */
	uint64_t skipped_rows;
	uint64_t created_customers;
	/* Counted while the ids were resolved, for the graph build (rn_graph_from_dataset):
	 * rows per referrer node, self-loops left out, for nodes [0, out_rows_n), and the
	 * self-loops; out_rows NULL when not counted (rows dropped under on_error: skip, or no
	 * memory). */
	uint32_t *out_rows;
	uint32_t out_rows_n;
	uint64_t self_loops;
} rn_referrals;

/* The customers table, indexed by node index (arrays have rn_interner_count(ids) entries,
 * grown by rn_dataset_finish when later tables add nodes). */
typedef struct rn_customers {
	uint32_t count;       /* rows present in the customers file */
	uint32_t capacity;
	int32_t *acquired;    /* RN_DATE_NONE when unknown */
	uint32_t *channel;    /* index into rn_dataset.channels, UINT32_MAX when none */
	uint32_t *campaign;   /* index into rn_dataset.campaigns, UINT32_MAX when none */
	double *clv;          /* NULL when the file has no clv column; NaN never stored */
	bool has_clv;
	uint64_t skipped_rows;
} rn_customers;

typedef struct rn_transactions {
	uint64_t count, capacity;
	uint32_t *customer;
	int32_t *date;
	double *amount;
	double *margin;       /* NULL when the file has no margin column */
	uint64_t skipped_rows;
	uint64_t created_customers;
} rn_transactions;

typedef struct rn_spend {
	uint64_t count, capacity;
	uint32_t *campaign;   /* index into rn_dataset.campaigns */
	uint32_t *channel;    /* index into rn_dataset.channels, UINT32_MAX when none */
	int32_t *date;
	double *amount;       /* >= 0 */
	uint64_t skipped_rows;
} rn_spend;

/* Rows skipped under on_error: skip are listed (the first RN_SKIP_LOG_MAX of them, as
 * "file:line:column: message") so that the manifest can say which rows were dropped. */
#define RN_SKIP_LOG_MAX 100
#define RN_SKIP_TEXT_MAX 320

/* Everything loaded for one analysis.  One interner for customers so that every table
 * agrees on node indices. */
typedef struct rn_dataset {
	rn_interner *ids;        /* customers, first-seen order across tables */
	rn_interner *campaigns;
	rn_interner *channels;
	bool has_customers, has_transactions, has_spend;
	rn_customers customers;
	rn_referrals referrals;
	rn_transactions transactions;
	rn_spend spend;
	char (*skipped)[RN_SKIP_TEXT_MAX]; /* skipped_logged messages, allocated on first use */
	uint32_t skipped_logged;
} rn_dataset;

int rn_dataset_init(rn_dataset *ds);
void rn_dataset_free(rn_dataset *ds);

/* Load order: customers (optional) first, so that referrals and transactions can be checked
 * against it; then referrals, transactions, spend.  Each returns RN_OK or an error with the
 * position (RN_ENOINPUT, RN_EDATA, RN_EIO, RN_ENOMEM); loading a table twice, or customers
 * after referrals/transactions, is RN_EINTERNAL.  On error the dataset is still valid for
 * rn_dataset_free but the table is incomplete and must not be used.  opt may be NULL
 * (defaults).  Empty optional dates mean unknown (RN_DATE_NONE), empty channel/campaign mean
 * none (UINT32_MAX); any other empty value is an error.  With skip_bad_rows, rows with a bad
 * value or a wrong field count are skipped and counted (they create no ids); encoding and
 * quoting errors still fail, as record boundaries are lost. */
int rn_load_customers(rn_dataset *ds, const char *path, const rn_load_options *opt,
		      rn_error *err);
int rn_load_referrals(rn_dataset *ds, const char *path, const rn_load_options *opt,
		      rn_error *err);
int rn_load_transactions(rn_dataset *ds, const char *path, const rn_load_options *opt,
			 rn_error *err);
int rn_load_spend(rn_dataset *ds, const char *path, const rn_load_options *opt, rn_error *err);
/* After the last load: grows the per-customer arrays to rn_interner_count(ds->ids) entries,
 * filling nodes without a customers row with "unknown" (RN_DATE_NONE, UINT32_MAX, clv 0). */
int rn_dataset_finish(rn_dataset *ds, rn_error *err);

#endif
