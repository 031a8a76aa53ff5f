/*
 * load.c - the table loaders: CSV rows to typed, validated columns of an rn_dataset.
 *
 * Each loader finds its columns by header name (any order, extra columns ignored; names come
 * from rn_columns or the DESIGN.md defaults), then reads row by row.  A row is validated whole
 * before anything is stored or interned, so a row skipped under on_error: skip leaves no trace
 * (no node created for its ids).  Every error names file:line:column, the column, what was
 * expected and what was found.
 *
 * Node indices come from one interner shared by all tables, in first-seen order.  The
 * customers table must be loaded first: its ids then occupy indices [0, customers.count), and
 * a referral or transaction naming any other id is an error unless create_missing is set.
 * Without a customers table every id is simply interned.
 *
 * Empty fields: an empty optional date (referral date, acquisition date) means unknown
 * (RN_DATE_NONE) and an empty channel or campaign means none (UINT32_MAX); every other empty
 * field is an error, because a missing number has no safe default.
 *
 * The referrals loader is the hot path (3e7 rows in the benchmark): per row it does two
 * interner lookups and stores into arrays grown by 1.5x; nothing is allocated per row, and
 * the weight, date and reward arrays exist only when the file has those columns.  Self-loops
 * and repeated edges are kept as rows: the graph build merges and counts them, and the line
 * of every row is kept so that it can name one.
 */
#include <refnet/io.h>

#include "plain_decimal.h"

#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#define FOUND_MAX 40 /* bytes of a bad value quoted in a message */

static const rn_load_options default_options;

static const char *or_default(const char *name, const char *fallback)
{
	return name ? name : fallback;
}

/* ---- Dataset ---------------------------------------------------------------------------- */

int rn_dataset_init(rn_dataset *ds)
{
	memset(ds, 0, sizeof *ds);
	int rc = rn_interner_new(&ds->ids, 0);
	if (rc == RN_OK)
		rc = rn_interner_new(&ds->campaigns, 0);
	if (rc == RN_OK)
		rc = rn_interner_new(&ds->channels, 0);
	if (rc != RN_OK)
		rn_dataset_free(ds);
	return rc;
}

void rn_dataset_free(rn_dataset *ds)
{
	rn_interner_free(ds->ids);
	rn_interner_free(ds->campaigns);
	rn_interner_free(ds->channels);
	rn_free(ds->customers.acquired);
	rn_free(ds->customers.channel);
	rn_free(ds->customers.campaign);
	rn_free(ds->customers.clv);
	rn_free(ds->referrals.referrer);
	rn_free(ds->referrals.referred);
	rn_free(ds->referrals.weight);
	rn_free(ds->referrals.date);
	rn_free(ds->referrals.reward);
	rn_free(ds->referrals.line);
	rn_free(ds->referrals.out_rows);
	rn_free(ds->transactions.customer);
	rn_free(ds->transactions.date);
	rn_free(ds->transactions.amount);
	rn_free(ds->transactions.margin);
	rn_free(ds->spend.campaign);
	rn_free(ds->spend.channel);
	rn_free(ds->spend.date);
	rn_free(ds->spend.amount);
	rn_free(ds->skipped);
	memset(ds, 0, sizeof *ds);
}

/* Grows the arrays of a table to a new common capacity (1.5x, at most limit).  When one
 * reallocation fails, the arrays already grown are merely larger than needed and the old
 * capacity stays true for all. */
struct column_array {
	void **array;
	size_t elem;
};

static int grow_table(struct column_array *arrays, int count, uint64_t *capacity, uint64_t need,
		      uint64_t limit)
{
	if (need <= *capacity)
		return RN_OK;
	uint64_t next = *capacity < 1024 ? 1024 : *capacity + *capacity / 2;
	if (next > limit)
		next = limit;
	if (next < need)
		next = need;
	for (int i = 0; i < count; i++) {
		void *grown = rn_realloc_array(*arrays[i].array, (size_t)next, arrays[i].elem);
		if (!grown)
			return RN_ENOMEM;
		*arrays[i].array = grown;
	}
	*capacity = next;
	return RN_OK;
}

/* ---- Messages --------------------------------------------------------------------------- */

/* The found value for a message: at most FOUND_MAX bytes, cut on a UTF-8 boundary, control
 * characters shown as '?'. */
static const char *shown(rn_field f, char buf[FOUND_MAX + 4])
{
	size_t n = f.len;
	bool cut = false;
	if (n > FOUND_MAX) {
		n = FOUND_MAX;
		while (n > 0 && ((unsigned char)f.ptr[n] & 0xC0) == 0x80)
			n--;
		cut = true;
	}
	for (size_t i = 0; i < n; i++) {
		buf[i] = f.ptr[i];
		if ((unsigned char)buf[i] < 0x20)
			buf[i] = '?';
	}
	if (cut)
		memcpy(buf + n, "...", 4);
	else
		buf[n] = '\0';
	return buf;
}

static int expected(const rn_csv *csv, int col, rn_field f, const char *what, rn_error *err)
{
	char found[FOUND_MAX + 4];
	return rn_csv_field_error(csv, (uint32_t)col, err, "expected %s, found '%s'", what,
				  shown(f, found));
}

/* ---- Columns ---------------------------------------------------------------------------- */

static int find_column(const rn_csv *csv, const char *name, bool required, int *index,
		       rn_error *err)
{
	*index = rn_csv_column(csv, name);
	if (*index >= 0 || !required)
		return RN_OK;
	char list[512];
	size_t used = 0;
	list[0] = '\0';
	for (uint32_t i = 0; i < rn_csv_header_count(csv) && used < sizeof list; i++) {
		int n = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
				 rn_csv_header(csv, i));
		if (n < 0)
			break;
		used += (size_t)n;
	}
	if (used >= sizeof list)
		memcpy(list + sizeof list - 4, "...", 4);
	return rn_error_set(err, RN_EDATA, rn_csv_path(csv), rn_csv_record_line(csv), 0,
			    "missing required column '%s' (the header has: %s)", name, list);
}

/* ---- Field checks (each returns RN_OK or RN_EDATA with the message set) ------------------ */

static int check_id(const rn_csv *csv, int col, rn_field f, const char *what, rn_error *err)
{
	if (f.len == 0)
		return expected(csv, col, f, what, err);
	if (f.len > RN_ID_MAX_BYTES) {
		char found[FOUND_MAX + 4];
		return rn_csv_field_error(csv, (uint32_t)col, err,
					  "expected an id of at most %u bytes, found '%s' (%zu "
					  "bytes)",
					  RN_ID_MAX_BYTES, shown(f, found), f.len);
	}
	return RN_OK;
}

/* An optional name (channel, campaign): empty means none. */
static int check_name(const rn_csv *csv, int col, rn_field f, rn_error *err)
{
	return f.len == 0 ? RN_OK : check_id(csv, col, f, "a name", err);
}

static int parse_date(const rn_csv *csv, int col, rn_field f, const rn_load_options *opt,
		      bool optional, int32_t *days, rn_error *err)
{
	if (f.len == 0 && optional) {
		*days = RN_DATE_NONE;
		return RN_OK;
	}
	if (rn_parse_date(f.ptr, f.len, opt->date_format, days) == 0)
		return RN_OK;
	char what[160];
	if (opt->date_format)
		snprintf(what, sizeof what, "a date in the format '%s'", opt->date_format);
	else
		snprintf(what, sizeof what, "a date YYYY-MM-DD");
	return expected(csv, col, f, what, err);
}

enum number_rule { FINITE, NON_NEGATIVE, POSITIVE };

static int parse_number(const rn_csv *csv, int col, rn_field f, enum number_rule rule,
			double *value, rn_error *err)
{
	double v;
	bool ok = rn_plain_decimal(f.ptr, f.len, &v) || rn_parse_double(f.ptr, f.len, &v) == 0;
	if (ok && rule == POSITIVE)
		ok = v > 0;
	else if (ok && rule == NON_NEGATIVE)
		ok = v >= 0;
	if (ok) {
		*value = v;
		return RN_OK;
	}
	static const char *const what[] = {"a finite number", "a finite number >= 0",
					   "a finite number > 0"};
	return expected(csv, col, f, what[rule], err);
}

/* Weights and rewards are stored as float: a value that is finite as a double may not be. */
static int parse_float(const rn_csv *csv, int col, rn_field f, enum number_rule rule, float *value,
		       rn_error *err)
{
	double v = 0;
	int rc = parse_number(csv, col, f, rule, &v, err);
	if (rc != RN_OK)
		return rc;
	float narrow = (float)v;
	if (!isfinite(narrow) || (rule == POSITIVE && !(narrow > 0)))
		return expected(csv, col, f,
				rule == POSITIVE ? "a number > 0 within single precision range"
						 : "a number within single precision range",
				err);
	*value = narrow;
	return RN_OK;
}

/* A customer named by referrals or transactions.  Finds its node; when it does not exist yet,
 * *pending is set and the caller interns it once the whole row is valid.  With a customers
 * table loaded and create_missing off, an unknown customer is an error. */
static int find_customer(const rn_dataset *ds, const rn_csv *csv, int col, rn_field f,
			 const rn_load_options *opt, uint32_t *node, bool *pending, rn_error *err)
{
	*pending = !rn_interner_find(ds->ids, f.ptr, f.len, node);
	if (*pending && ds->has_customers && !opt->create_missing) {
		char found[FOUND_MAX + 4];
		return rn_csv_field_error(csv, (uint32_t)col, err,
					  "customer '%s' is not in the customers table",
					  shown(f, found));
	}
	return RN_OK;
}

static int intern(rn_interner *in, const rn_csv *csv, int col, rn_field f, uint32_t *id,
		  bool *inserted, rn_error *err)
{
	int rc = rn_interner_intern(in, f.ptr, f.len, id, inserted);
	if (rc == RN_ENOMEM)
		return rn_error_set(err, RN_ENOMEM, rn_csv_path(csv), rn_csv_record_line(csv), 0,
				    "out of memory");
	if (rc != RN_OK)
		return rn_csv_field_error(csv, (uint32_t)col, err,
					  "too many distinct ids (at most %u)", RN_MAX_NODES);
	return RN_OK;
}

/* Interns a customer found missing by find_customer; counts it when it was created because
 * of create_missing (a customers table is loaded). */
static int add_customer(rn_dataset *ds, const rn_csv *csv, int col, rn_field f, uint32_t *node,
			uint64_t *created, rn_error *err)
{
	bool inserted;
	int rc = intern(ds->ids, csv, col, f, node, &inserted, err);
	if (rc == RN_OK && inserted && ds->has_customers)
		(*created)++;
	return rc;
}

/* Counts a skipped row and keeps its message for the manifest (the first RN_SKIP_LOG_MAX).
 * When the log cannot be allocated the row is still counted: the count is the contract, the
 * list a courtesy. */
static void log_skipped(rn_dataset *ds, uint64_t *skipped, const rn_error *why)
{
	(*skipped)++;
	if (ds->skipped_logged >= RN_SKIP_LOG_MAX)
		return;
	if (!ds->skipped && !(ds->skipped = rn_calloc(RN_SKIP_LOG_MAX, sizeof *ds->skipped)))
		return;
	rn_error_format(why, ds->skipped[ds->skipped_logged++], RN_SKIP_TEXT_MAX);
}

/* Reads the next row.  Returns 1 for a row, 0 at the end, or a negative status; a record with
 * the wrong number of fields is skipped (and counted) under on_error: skip. */
static int next_row(rn_dataset *ds, rn_csv *csv, const rn_load_options *opt, uint64_t *skipped,
		    rn_error *err)
{
	for (;;) {
		int rc = rn_csv_next(csv, err);
		if (rc == RN_EDATA && opt->skip_bad_rows && rn_csv_can_resume(csv)) {
			log_skipped(ds, skipped, err);
			continue;
		}
		return rc;
	}
}

/* A bad value: skipped under on_error: skip, fatal otherwise. */
static bool skip_bad(rn_dataset *ds, int rc, const rn_load_options *opt, uint64_t *skipped,
		     const rn_error *err)
{
	if (rc == RN_EDATA && opt->skip_bad_rows) {
		log_skipped(ds, skipped, err);
		return true;
	}
	return false;
}

static int already_loaded(const char *path, const char *table, rn_error *err)
{
	return rn_error_set(err, RN_EINTERNAL, path, 0, 0, "the %s table is already loaded", table);
}

/* ---- Referrals -------------------------------------------------------------------------- */

/* Rows whose ids are resolved together.  The interner's cost is cache misses, two per id;
 * handing it a batch lets it issue the misses of many ids before waiting for any
 * (rn_interner_intern_many, rn_interner_find_many).  The id bytes of a batch are copied into
 * a buffer of the batch because the CSV reader's fields do not outlive the next row.
 *
 * With two or more threads the ids are resolved on a second thread while this one reads and
 * checks the next batch (struct id_pipe): on the 1e7 benchmark file the two halves cost about
 * the same (4.6 s interning, 4.4 s reading).  Batches are resolved one at a time in file
 * order, so the indices (first-seen order) are the same on any number of threads.  Only the
 * resolving thread touches the interner while the file is read; the tables' arrays, which
 * grow (move) as rows arrive, are written only by this thread, when it collects a batch.
 *
 * Ids are interned, or, where a customers table limits them to its own, looked up.  An id
 * found missing then is reported at its own row and column, saved with the batch; and since
 * the rows after it were read meanwhile, a bad row among those is reported only after the
 * pipe has given up the ids before it (pipe_earlier_error): the first bad row is the one
 * reported, as when each id was looked up as its row was read. */
#define ID_BATCH_ROWS 4096
#define ID_BATCH_IDS (2 * ID_BATCH_ROWS)

struct id_batch {
	uint32_t rows;              /* rows waiting for their ids */
	uint64_t first_row;         /* their index in the table */
	uint64_t line;              /* line of the last row, for interner errors */
	size_t used, cap;           /* bytes in text */
	char *text;
	int rc;                     /* of the interning */
	uint32_t created;           /* ids the interning added */
	uint32_t start[ID_BATCH_IDS], len[ID_BATCH_IDS];
	const char *ptr[ID_BATCH_IDS];
	uint32_t ids[ID_BATCH_IDS];
	uint64_t at_line[ID_BATCH_IDS], at_column[ID_BATCH_IDS]; /* of each id (lookups only) */
};

/* A ring of batches: the one being filled, and up to PIPE_DEPTH - 1 handed to the resolving
 * thread (or, on one thread, resolved on the spot) and not collected yet.  With two batches
 * the threads went in lockstep, each batch costing the slower side's time, and an interner
 * growth (a rehash of every id) stopped the reader: each thread waited about 1 s of the 5 s
 * that the 1e7 benchmark file takes. */
#define PIPE_DEPTH 8
struct id_pipe {
	struct id_batch *batch[PIPE_DEPTH]; /* batch[k % PIPE_DEPTH] holds batch number k */
	uint64_t filling;		    /* number of the batch being filled */
	uint64_t collected;		    /* batches collected (stored), all before filling */
	rn_interner *ids;
	uint32_t per_row; /* ids per row: 2 (referrer, referred) or 1 (customer) */
	int cols[2];	  /* their CSV columns */
	bool lookup;	  /* find the ids instead of interning them */
	bool failed;	  /* a collected batch gave the load's error */
	/* called with each batch collected, to store its ids in the table */
	void (*store)(void *ctx, const struct id_batch *b);
	void *store_ctx;
	/* or NULL: called by the resolving thread with each batch resolved (and store_ctx) */
	void (*resolved_hook)(void *ctx, const struct id_batch *b, uint32_t ids);
	bool threaded;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t resolved; /* guarded by lock: batches resolved, in order, collected <= resolved */
	bool stop;	   /* guarded by lock */
};

static struct id_batch *pipe_current(const struct id_pipe *p)
{
	return p->batch[p->filling % PIPE_DEPTH];
}

/* Appends the current row's ids (fields at the pipe's columns) to the batch being filled. */
static int batch_add(struct id_pipe *p, const rn_csv *csv, uint64_t row)
{
	struct id_batch *b = pipe_current(p);
	if (b->rows == 0)
		b->first_row = row;
	for (uint32_t i = 0; i < p->per_row; i++) {
		rn_field f = rn_csv_field(csv, (uint32_t)p->cols[i]);
		if (rn_grow((void **)&b->text, &b->cap, b->used + f.len, 1))
			return RN_ENOMEM;
		uint32_t k = p->per_row * b->rows + i;
		b->start[k] = (uint32_t)b->used;
		b->len[k] = (uint32_t)f.len;
		memcpy(b->text + b->used, f.ptr, f.len);
		b->used += f.len;
		if (p->lookup) {
			b->at_line[k] = rn_csv_field_line(csv, (uint32_t)p->cols[i]);
			b->at_column[k] = rn_csv_field_column(csv, (uint32_t)p->cols[i]);
		}
	}
	b->rows++;
	return RN_OK;
}

static void batch_resolve(const struct id_pipe *p, struct id_batch *b)
{
	uint32_t n = p->per_row * b->rows, before = rn_interner_count(p->ids);
	for (uint32_t k = 0; k < n; k++)
		b->ptr[k] = b->text + b->start[k];
	if (p->lookup) {
		rn_interner_find_many(p->ids, b->ptr, b->len, n, b->ids);
		b->rc = RN_OK;
	} else {
		b->rc = rn_interner_intern_many(p->ids, b->ptr, b->len, n, b->ids, NULL);
	}
	b->created = rn_interner_count(p->ids) - before;
	if (p->resolved_hook && b->rc == RN_OK)
		p->resolved_hook(p->store_ctx, b, rn_interner_count(p->ids));
}

static void *pipe_worker(void *arg)
{
	struct id_pipe *p = arg;
	prctl(PR_SET_NAME, "refnet-ids"); /* the thread's name in profilers */
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->resolved == p->filling && !p->stop)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->resolved == p->filling)
			break;
		struct id_batch *b = p->batch[p->resolved % PIPE_DEPTH];
		pthread_mutex_unlock(&p->lock);
		batch_resolve(p, b);
		pthread_mutex_lock(&p->lock);
		p->resolved++;
		pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static void pipe_close(struct id_pipe *p)
{
	if (!p)
		return;
	if (p->threaded) {
		pthread_mutex_lock(&p->lock);
		p->stop = true;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->thread, NULL);
		pthread_mutex_destroy(&p->lock);
		pthread_cond_destroy(&p->cond);
	}
	for (int i = 0; i < PIPE_DEPTH; i++) {
		if (p->batch[i])
			rn_free(p->batch[i]->text);
		rn_free(p->batch[i]);
	}
	rn_free(p);
}

static struct id_pipe *pipe_open(rn_interner *ids, uint32_t per_row, const int *cols, bool lookup,
				 void (*store)(void *, const struct id_batch *), void *store_ctx)
{
	struct id_pipe *p = rn_calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->ids = ids;
	p->per_row = per_row;
	memcpy(p->cols, cols, per_row * sizeof *cols);
	p->lookup = lookup;
	p->store = store;
	p->store_ctx = store_ctx;
	for (int i = 0; i < PIPE_DEPTH; i++) {
		p->batch[i] = rn_calloc(1, sizeof *p->batch[i]);
		if (!p->batch[i]) {
			pipe_close(p);
			return NULL;
		}
	}
	if (omp_get_max_threads() > 1 && pthread_mutex_init(&p->lock, NULL) == 0) {
		if (pthread_cond_init(&p->cond, NULL) != 0) {
			pthread_mutex_destroy(&p->lock);
		} else if (pthread_create(&p->thread, NULL, pipe_worker, p) != 0) {
			pthread_cond_destroy(&p->cond);
			pthread_mutex_destroy(&p->lock);
		} else {
			p->threaded = true; /* else everything is resolved on this thread */
		}
	}
	return p;
}

/* Stores the ids of the oldest batch handed over, once it is resolved; RN_EDATA at the first
 * id a lookup did not find. */
static int pipe_collect_one(struct id_pipe *p, const rn_csv *csv, rn_error *err)
{
	if (p->collected == p->filling)
		return RN_OK;
	if (p->threaded) {
		pthread_mutex_lock(&p->lock);
		while (p->resolved == p->collected)
			pthread_cond_wait(&p->cond, &p->lock);
		pthread_mutex_unlock(&p->lock);
	}
	p->failed = true; /* until the batch is stored */
	struct id_batch *b = p->batch[p->collected % PIPE_DEPTH];
	if (b->rc == RN_ENOMEM)
		return rn_error_set(err, RN_ENOMEM, rn_csv_path(csv), b->line, 0, "out of memory");
	if (b->rc != RN_OK)
		return rn_error_set(err, RN_EDATA, rn_csv_path(csv), b->line, 0,
				    "too many distinct ids (at most %u)", RN_MAX_NODES);
	for (uint32_t k = 0; p->lookup && k < p->per_row * b->rows; k++)
		if (b->ids[k] == RN_ID_NONE) {
			char found[FOUND_MAX + 4];
			rn_field f = {b->text + b->start[k], b->len[k]};
			return rn_csv_error_at(
			    csv, (uint32_t)p->cols[k % p->per_row], b->at_line[k], b->at_column[k],
			    err, "customer '%s' is not in the customers table", shown(f, found));
		}
	p->store(p->store_ctx, b);
	p->collected++;
	p->failed = false;
	return RN_OK;
}

/* Every batch handed over, collected in order. */
static int pipe_collect(struct id_pipe *p, const rn_csv *csv, rn_error *err)
{
	int rc = RN_OK;
	while (rc == RN_OK && p->collected < p->filling)
		rc = pipe_collect_one(p, csv, err);
	return rc;
}

/* Hands over the batch being filled and starts the next, in a slot whose batch is collected
 * first if the ring is full. */
static int pipe_cycle(struct id_pipe *p, const rn_csv *csv, rn_error *err)
{
	struct id_batch *b = pipe_current(p);
	b->line = rn_csv_record_line(csv);
	if (!p->threaded) {
		batch_resolve(p, b);
		p->resolved++;
		p->filling++;
	} else {
		pthread_mutex_lock(&p->lock);
		p->filling++;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
	}
	if (p->filling - p->collected == PIPE_DEPTH) {
		int rc = pipe_collect_one(p, csv, err);
		if (rc != RN_OK)
			return rc;
	}
	b = pipe_current(p);
	b->rows = 0;
	b->used = 0;
	return RN_OK;
}

/* Adds the current row (at table index row) and hands the batch over when full. */
static int pipe_add(struct id_pipe *p, const rn_csv *csv, uint64_t row, rn_error *err)
{
	if (batch_add(p, csv, row) != RN_OK)
		return rn_error_set(err, RN_ENOMEM, rn_csv_path(csv), rn_csv_record_line(csv), 0,
				    "out of memory");
	return pipe_current(p)->rows == ID_BATCH_ROWS ? pipe_cycle(p, csv, err) : RN_OK;
}

/* After the last row: every batch resolved and stored. */
static int pipe_finish(struct id_pipe *p, const rn_csv *csv, rn_error *err)
{
	int rc = pipe_current(p)->rows ? pipe_cycle(p, csv, err) : RN_OK;
	return rc == RN_OK ? pipe_collect(p, csv, err) : rc;
}

/* A load about to fail with rc at the current row: when ids are looked up, an earlier row's
 * id may still be in the pipe and missing, and that row is the first bad one.  (An error the
 * pipe gave already is the earliest.) */
static int pipe_earlier_error(struct id_pipe *p, const rn_csv *csv, int rc, rn_error *err)
{
	if (!p || !p->lookup || rc == RN_OK || p->failed)
		return rc;
	rn_error earlier;
	rn_error_clear(&earlier);
	if (pipe_finish(p, csv, &earlier) == RN_EDATA) {
		*err = earlier;
		return RN_EDATA;
	}
	return rc;
}

/* The rows of each referrer, counted on the resolving thread, which has time to spare while
 * the reading thread sets the pace: the graph build then skips a pass of atomic increments
 * over every edge (0.17-0.29 s at 1e7).  Only this thread touches out_rows until the pipe
 * is closed. */
static void count_referrals(void *ctx, const struct id_batch *b, uint32_t ids)
{
	rn_referrals *r = &((rn_dataset *)ctx)->referrals;
	if (!r->out_rows && r->out_rows_n == UINT32_MAX)
		return; /* gave up for want of memory */
	if (ids > r->out_rows_n) {
		uint64_t twice = 2 * (uint64_t)r->out_rows_n;
		uint32_t grown = twice > RN_MAX_NODES ? RN_MAX_NODES : (uint32_t)twice;
		grown = grown < ids ? ids : grown < 1024 ? 1024 : grown;
		uint32_t *bigger = rn_realloc_array(r->out_rows, grown, sizeof *bigger);
		if (!bigger) {
			rn_free(r->out_rows);
			r->out_rows = NULL;
			r->out_rows_n = UINT32_MAX;
			return;
		}
		memset(bigger + r->out_rows_n, 0, (size_t)(grown - r->out_rows_n) * sizeof *bigger);
		r->out_rows = bigger;
		r->out_rows_n = grown;
	}
	for (uint32_t row = 0; row < b->rows; row++) {
		uint32_t u = b->ids[2 * row], v = b->ids[2 * row + 1];
		if (u == RN_ID_NONE || v == RN_ID_NONE) /* a lookup that failed: the load fails */
			continue;
		if (u == v)
			r->self_loops++;
		else
			r->out_rows[u]++;
	}
}

/* How the referrals and transactions store their collected ids. */
static void store_referrals(void *ctx, const struct id_batch *b)
{
	rn_dataset *ds = ctx;
	rn_referrals *r = &ds->referrals;
	if (ds->has_customers)
		r->created_customers += b->created;
	for (uint32_t row = 0; row < b->rows; row++) {
		r->referrer[b->first_row + row] = b->ids[2 * row];
		r->referred[b->first_row + row] = b->ids[2 * row + 1];
	}
}

static void store_transactions(void *ctx, const struct id_batch *b)
{
	rn_transactions *t = ctx;
	memcpy(t->customer + b->first_row, b->ids, b->rows * sizeof *b->ids);
}

int rn_load_referrals(rn_dataset *ds, const char *path, const rn_load_options *opt,
		      rn_error *err)
{
	if (!opt)
		opt = &default_options;
	rn_referrals *r = &ds->referrals;
	if (r->referrer)
		return already_loaded(path, "referrals", err);
	rn_csv *csv;
	int rc = rn_csv_open(&csv, path, err);
	if (rc != RN_OK)
		return rc;
	struct id_pipe *pipe = NULL;
	const rn_columns *names = &opt->columns;
	int c_referrer, c_referred, c_date, c_weight, c_reward;
	rc = find_column(csv, or_default(names->referrer, "referrer"), true, &c_referrer, err);
	if (rc == RN_OK)
		rc = find_column(csv, or_default(names->referred, "referred"), true, &c_referred,
				 err);
	if (rc == RN_OK)
		rc = find_column(csv, or_default(names->date, "date"), false, &c_date, err);
	if (rc == RN_OK)
		rc = find_column(csv, or_default(names->weight, "weight"), false, &c_weight, err);
	if (rc == RN_OK)
		rc = find_column(csv, or_default(names->reward, "reward"), false, &c_reward, err);
	if (rc != RN_OK)
		goto done;

	struct column_array arrays[6] = {{(void **)&r->referrer, sizeof *r->referrer},
					 {(void **)&r->referred, sizeof *r->referred}};
	int narrays = 2;
	if (opt->keep_lines)
		arrays[narrays++] = (struct column_array){(void **)&r->line, sizeof *r->line};
	if (c_weight >= 0)
		arrays[narrays++] = (struct column_array){(void **)&r->weight, sizeof *r->weight};
	if (c_date >= 0 && !opt->graph_only)
		arrays[narrays++] = (struct column_array){(void **)&r->date, sizeof *r->date};
	if (c_reward >= 0 && !opt->graph_only)
		arrays[narrays++] = (struct column_array){(void **)&r->reward, sizeof *r->reward};
	rc = grow_table(arrays, narrays, &r->capacity, 1, UINT64_MAX);
	if (rc != RN_OK)
		goto out_of_memory;
	/* Every id is interned unless a customers table limits them to its own: then looked up,
	 * through the pipe too, except under on_error: skip, where a row with an unknown id is
	 * dropped as it is read. */
	bool lookup = ds->has_customers && !opt->create_missing;
	bool piped = !lookup || !opt->skip_bad_rows;
	if (piped && !(pipe = pipe_open(ds->ids, 2, (int[]){c_referrer, c_referred}, lookup,
					store_referrals, ds)))
		goto out_of_memory;
	if (pipe)
		pipe->resolved_hook = count_referrals;

	while ((rc = next_row(ds, csv, opt, &r->skipped_rows, err)) == 1) {
		rn_field referrer = rn_csv_field(csv, (uint32_t)c_referrer);
		rn_field referred = rn_csv_field(csv, (uint32_t)c_referred);
		uint32_t u = 0, v = 0;
		float weight = 1.0f, reward = 0.0f;
		int32_t date = RN_DATE_NONE;
		rc = check_id(csv, c_referrer, referrer, "a customer id", err);
		if (rc == RN_OK)
			rc = check_id(csv, c_referred, referred, "a customer id", err);
		if (rc == RN_OK && c_weight >= 0)
			rc = parse_float(csv, c_weight, rn_csv_field(csv, (uint32_t)c_weight),
					 POSITIVE, &weight, err);
		if (rc == RN_OK && c_reward >= 0)
			rc = parse_float(csv, c_reward, rn_csv_field(csv, (uint32_t)c_reward),
					 NON_NEGATIVE, &reward, err);
		if (rc == RN_OK && c_date >= 0)
			rc = parse_date(csv, c_date, rn_csv_field(csv, (uint32_t)c_date), opt, true,
					&date, err);
		if (rc == RN_OK && !piped) {
			bool pending;
			rc = find_customer(ds, csv, c_referrer, referrer, opt, &u, &pending, err);
			if (rc == RN_OK)
				rc = find_customer(ds, csv, c_referred, referred, opt, &v, &pending,
						   err);
		}
		if (rc != RN_OK) {
			if (skip_bad(ds, rc, opt, &r->skipped_rows, err))
				continue;
			goto done;
		}
		/* The row is valid: from here on only resource errors can stop it. */
		rc = grow_table(arrays, narrays, &r->capacity, r->count + 1, UINT64_MAX);
		if (rc != RN_OK)
			goto out_of_memory;
		uint64_t row = r->count++;
		if (piped) {
			if ((rc = pipe_add(pipe, csv, row, err)) != RN_OK)
				goto done;
		} else {
			r->referrer[row] = u;
			r->referred[row] = v;
		}
		if (r->line)
			r->line[row] = rn_csv_record_line(csv);
		if (r->weight)
			r->weight[row] = weight;
		if (r->date)
			r->date[row] = date;
		if (r->reward)
			r->reward[row] = reward;
	}
	if (rc == RN_OK && pipe)
		rc = pipe_finish(pipe, csv, err);
	/* Give back the growth slack (up to a third of the arrays).  A failed shrink leaves the
	 * old block, still valid; the table is complete and never grows again. */
	if (rc == RN_OK && r->count > 0 && r->count < r->capacity) {
		for (int i = 0; i < narrays; i++) {
			void *fit = rn_realloc_array(*arrays[i].array, (size_t)r->count,
						     arrays[i].elem);
			if (fit)
				*arrays[i].array = fit;
		}
	}
	goto done;

out_of_memory:
	rc = rn_error_set(err, RN_ENOMEM, path, rn_csv_record_line(csv), 0, "out of memory");
done:
	rc = pipe_earlier_error(pipe, csv, rc, err);
	pipe_close(pipe);
	/* A failed load leaves no half-filled rows behind (their ids may be unset). */
	if (rc != RN_OK || !r->out_rows) {
		rn_free(r->out_rows);
		r->out_rows = NULL;
		r->out_rows_n = 0;
		r->self_loops = 0;
	}
	if (rc != RN_OK)
		r->count = 0;
	rn_csv_close(csv);
	return rc;
}

/* ---- Customers -------------------------------------------------------------------------- */

int rn_load_customers(rn_dataset *ds, const char *path, const rn_load_options *opt, rn_error *err)
{
	if (!opt)
		opt = &default_options;
	rn_customers *cu = &ds->customers;
	if (ds->has_customers)
		return already_loaded(path, "customers", err);
	if (rn_interner_count(ds->ids) > 0)
		return rn_error_set(err, RN_EINTERNAL, path, 0, 0,
				    "the customers table must be loaded before referrals and "
				    "transactions");
	rn_csv *csv;
	int rc = rn_csv_open(&csv, path, err);
	if (rc != RN_OK)
		return rc;
	const rn_columns *names = &opt->columns;
	int c_customer, c_acquired, c_channel, c_campaign, c_clv;
	uint64_t *first_line = NULL; /* line of each customer's row, for duplicate messages */
	uint64_t capacity = cu->capacity;
	rc = find_column(csv, or_default(names->customer, "customer"), true, &c_customer, err);
	if (rc == RN_OK)
		rc = find_column(csv, or_default(names->acquired, "acquired"), false, &c_acquired,
				 err);
	if (rc == RN_OK)
		rc =
		    find_column(csv, or_default(names->channel, "channel"), false, &c_channel, err);
	if (rc == RN_OK)
		rc = find_column(csv, or_default(names->campaign, "campaign"), false, &c_campaign,
				 err);
	if (rc == RN_OK)
		rc = find_column(csv, or_default(names->clv, "clv"), false, &c_clv, err);
	if (rc != RN_OK)
		goto done;

	struct column_array arrays[5] = {{(void **)&cu->acquired, sizeof *cu->acquired},
					 {(void **)&cu->channel, sizeof *cu->channel},
					 {(void **)&cu->campaign, sizeof *cu->campaign},
					 {(void **)&first_line, sizeof *first_line}};
	int narrays = 4;
	if (c_clv >= 0)
		arrays[narrays++] = (struct column_array){(void **)&cu->clv, sizeof *cu->clv};
	cu->has_clv = c_clv >= 0;

	while ((rc = next_row(ds, csv, opt, &cu->skipped_rows, err)) == 1) {
		rn_field id = rn_csv_field(csv, (uint32_t)c_customer);
		rn_field channel = {NULL, 0}, campaign = {NULL, 0};
		int32_t acquired = RN_DATE_NONE;
		double clv = 0;
		uint32_t node;
		rc = check_id(csv, c_customer, id, "a customer id", err);
		if (rc == RN_OK && c_acquired >= 0)
			rc = parse_date(csv, c_acquired, rn_csv_field(csv, (uint32_t)c_acquired),
					opt, true, &acquired, err);
		if (rc == RN_OK && c_channel >= 0) {
			channel = rn_csv_field(csv, (uint32_t)c_channel);
			rc = check_name(csv, c_channel, channel, err);
		}
		if (rc == RN_OK && c_campaign >= 0) {
			campaign = rn_csv_field(csv, (uint32_t)c_campaign);
			rc = check_name(csv, c_campaign, campaign, err);
		}
		if (rc == RN_OK && c_clv >= 0)
			rc = parse_number(csv, c_clv, rn_csv_field(csv, (uint32_t)c_clv), FINITE,
					  &clv, err);
		if (rc == RN_OK && rn_interner_find(ds->ids, id.ptr, id.len, &node)) {
			char found[FOUND_MAX + 4];
			rc = rn_csv_field_error(
			    csv, (uint32_t)c_customer, err,
			    "duplicate customer '%s' (first on line %llu)", shown(id, found),
			    (unsigned long long)(first_line ? first_line[node] : 0));
		}
		if (rc != RN_OK) {
			if (skip_bad(ds, rc, opt, &cu->skipped_rows, err))
				continue;
			goto done;
		}
		uint32_t channel_id = UINT32_MAX, campaign_id = UINT32_MAX;
		rc = intern(ds->ids, csv, c_customer, id, &node, NULL, err);
		if (rc == RN_OK && channel.len)
			rc = intern(ds->channels, csv, c_channel, channel, &channel_id, NULL, err);
		if (rc == RN_OK && campaign.len)
			rc = intern(ds->campaigns, csv, c_campaign, campaign, &campaign_id, NULL,
				    err);
		if (rc == RN_OK &&
		    grow_table(arrays, narrays, &capacity, (uint64_t)node + 1, UINT32_MAX))
			rc = rn_error_set(err, RN_ENOMEM, path, rn_csv_record_line(csv), 0,
					  "out of memory");
		if (rc != RN_OK)
			goto done;
		cu->acquired[node] = acquired;
		cu->channel[node] = channel_id;
		cu->campaign[node] = campaign_id;
		if (cu->clv)
			cu->clv[node] = clv;
		first_line[node] = rn_csv_record_line(csv);
		cu->count = node + 1;
	}
	if (rc == RN_OK)
		ds->has_customers = true;
done:
	cu->capacity = (uint32_t)capacity;
	rn_free(first_line);
	rn_csv_close(csv);
	return rc;
}

/* ---- Transactions ----------------------------------------------------------------------- */

int rn_load_transactions(rn_dataset *ds, const char *path, const rn_load_options *opt,
			 rn_error *err)
{
	if (!opt)
		opt = &default_options;
	rn_transactions *t = &ds->transactions;
	if (ds->has_transactions || t->customer)
		return already_loaded(path, "transactions", err);
	struct id_pipe *pipe = NULL;
	rn_csv *csv;
	int rc = rn_csv_open(&csv, path, err);
	if (rc != RN_OK)
		return rc;
	const rn_columns *names = &opt->columns;
	int c_customer, c_date, c_amount, c_margin;
	rc = find_column(csv, or_default(names->tx_customer, "customer"), true, &c_customer, err);
	if (rc == RN_OK)
		rc = find_column(csv, or_default(names->tx_date, "date"), true, &c_date, err);
	if (rc == RN_OK)
		rc = find_column(csv, or_default(names->amount, "amount"), true, &c_amount, err);
	if (rc == RN_OK)
		rc = find_column(csv, or_default(names->margin, "margin"), false, &c_margin, err);
	if (rc != RN_OK)
		goto done;

	struct column_array arrays[4] = {{(void **)&t->customer, sizeof *t->customer},
					 {(void **)&t->date, sizeof *t->date},
					 {(void **)&t->amount, sizeof *t->amount}};
	int narrays = 3;
	if (c_margin >= 0)
		arrays[narrays++] = (struct column_array){(void **)&t->margin, sizeof *t->margin};
	rc = grow_table(arrays, narrays, &t->capacity, 1, UINT64_MAX);
	if (rc != RN_OK)
		goto out_of_memory;
	/* Ids limited to a customers table are looked up through the pipe, as the referrals'
	 * (but row by row under on_error: skip, and where rows may create customers). */
	if (ds->has_customers && !opt->create_missing && !opt->skip_bad_rows &&
	    !(pipe = pipe_open(ds->ids, 1, &c_customer, true, store_transactions, t)))
		goto out_of_memory;

	while ((rc = next_row(ds, csv, opt, &t->skipped_rows, err)) == 1) {
		rn_field id = rn_csv_field(csv, (uint32_t)c_customer);
		uint32_t node = 0;
		bool pending = false;
		int32_t date = RN_DATE_NONE;
		double amount = 0, margin = 0;
		rc = check_id(csv, c_customer, id, "a customer id", err);
		if (rc == RN_OK)
			rc = parse_date(csv, c_date, rn_csv_field(csv, (uint32_t)c_date), opt,
					false, &date, err);
		if (rc == RN_OK)
			rc = parse_number(csv, c_amount, rn_csv_field(csv, (uint32_t)c_amount),
					  NON_NEGATIVE, &amount, err);
		if (rc == RN_OK && c_margin >= 0)
			rc = parse_number(csv, c_margin, rn_csv_field(csv, (uint32_t)c_margin),
					  FINITE, &margin, err);
		if (rc == RN_OK && !pipe)
			rc = find_customer(ds, csv, c_customer, id, opt, &node, &pending, err);
		if (rc != RN_OK) {
			if (skip_bad(ds, rc, opt, &t->skipped_rows, err))
				continue;
			goto done;
		}
		if (pending) {
			rc = add_customer(ds, csv, c_customer, id, &node, &t->created_customers,
					  err);
			if (rc != RN_OK)
				goto done;
		}
		rc = grow_table(arrays, narrays, &t->capacity, t->count + 1, UINT64_MAX);
		if (rc != RN_OK)
			goto out_of_memory;
		uint64_t row = t->count++;
		if (pipe && (rc = pipe_add(pipe, csv, row, err)) != RN_OK)
			goto done;
		t->customer[row] = node; /* with a pipe, overwritten when its batch is stored */
		t->date[row] = date;
		t->amount[row] = amount;
		if (t->margin)
			t->margin[row] = margin;
	}
	if (rc == RN_OK && pipe)
		rc = pipe_finish(pipe, csv, err);
	if (rc == RN_OK)
		ds->has_transactions = true;
	goto done;

out_of_memory:
	rc = rn_error_set(err, RN_ENOMEM, path, rn_csv_record_line(csv), 0, "out of memory");
done:
	rc = pipe_earlier_error(pipe, csv, rc, err);
	pipe_close(pipe);
	/* A failed load leaves no rows behind (with a pipe, their customers may be unset). */
	if (rc != RN_OK)
		t->count = 0;
	rn_csv_close(csv);
	return rc;
}

/* ---- Spend ------------------------------------------------------------------------------ */

int rn_load_spend(rn_dataset *ds, const char *path, const rn_load_options *opt, rn_error *err)
{
	if (!opt)
		opt = &default_options;
	rn_spend *s = &ds->spend;
	if (ds->has_spend || s->campaign)
		return already_loaded(path, "spend", err);
	rn_csv *csv;
	int rc = rn_csv_open(&csv, path, err);
	if (rc != RN_OK)
		return rc;
	const rn_columns *names = &opt->columns;
	int c_campaign, c_date, c_amount, c_channel;
	rc =
	    find_column(csv, or_default(names->spend_campaign, "campaign"), true, &c_campaign, err);
	if (rc == RN_OK)
		rc = find_column(csv, or_default(names->spend_date, "date"), true, &c_date, err);
	if (rc == RN_OK)
		rc = find_column(csv, or_default(names->spend_amount, "amount"), true, &c_amount,
				 err);
	if (rc == RN_OK)
		rc = find_column(csv, or_default(names->spend_channel, "channel"), false,
				 &c_channel, err);
	if (rc != RN_OK)
		goto done;

	struct column_array arrays[4] = {{(void **)&s->campaign, sizeof *s->campaign},
					 {(void **)&s->channel, sizeof *s->channel},
					 {(void **)&s->date, sizeof *s->date},
					 {(void **)&s->amount, sizeof *s->amount}};
	rc = grow_table(arrays, 4, &s->capacity, 1, UINT64_MAX);
	if (rc != RN_OK)
		goto out_of_memory;

	while ((rc = next_row(ds, csv, opt, &s->skipped_rows, err)) == 1) {
		rn_field campaign = rn_csv_field(csv, (uint32_t)c_campaign);
		rn_field channel = {NULL, 0};
		int32_t date = RN_DATE_NONE;
		double amount = 0;
		rc = check_id(csv, c_campaign, campaign, "a campaign name", err);
		if (rc == RN_OK && c_channel >= 0) {
			channel = rn_csv_field(csv, (uint32_t)c_channel);
			rc = check_name(csv, c_channel, channel, err);
		}
		if (rc == RN_OK)
			rc = parse_date(csv, c_date, rn_csv_field(csv, (uint32_t)c_date), opt,
					false, &date, err);
		if (rc == RN_OK)
			rc = parse_number(csv, c_amount, rn_csv_field(csv, (uint32_t)c_amount),
					  NON_NEGATIVE, &amount, err);
		if (rc != RN_OK) {
			if (skip_bad(ds, rc, opt, &s->skipped_rows, err))
				continue;
			goto done;
		}
		uint32_t campaign_id, channel_id = UINT32_MAX;
		rc = intern(ds->campaigns, csv, c_campaign, campaign, &campaign_id, NULL, err);
		if (rc == RN_OK && channel.len)
			rc = intern(ds->channels, csv, c_channel, channel, &channel_id, NULL, err);
		if (rc != RN_OK)
			goto done;
		rc = grow_table(arrays, 4, &s->capacity, s->count + 1, UINT64_MAX);
		if (rc != RN_OK)
			goto out_of_memory;
		uint64_t row = s->count++;
		s->campaign[row] = campaign_id;
		s->channel[row] = channel_id;
		s->date[row] = date;
		s->amount[row] = amount;
	}
	if (rc == RN_OK)
		ds->has_spend = true;
	goto done;

out_of_memory:
	rc = rn_error_set(err, RN_ENOMEM, path, rn_csv_record_line(csv), 0, "out of memory");
done:
	rn_csv_close(csv);
	return rc;
}

/* ---- Finish ----------------------------------------------------------------------------- */

int rn_dataset_finish(rn_dataset *ds, rn_error *err)
{
	rn_customers *cu = &ds->customers;
	uint32_t nodes = rn_interner_count(ds->ids);
	uint64_t capacity = cu->capacity;
	struct column_array arrays[4] = {{(void **)&cu->acquired, sizeof *cu->acquired},
					 {(void **)&cu->channel, sizeof *cu->channel},
					 {(void **)&cu->campaign, sizeof *cu->campaign}};
	int narrays = 3;
	if (cu->has_clv)
		arrays[narrays++] = (struct column_array){(void **)&cu->clv, sizeof *cu->clv};
	/* At least `nodes` entries (and at least one, so that the arrays are never NULL). */
	uint64_t want = nodes ? nodes : 1;
	if (capacity < want || !cu->acquired) {
		capacity = 0;
		if (grow_table(arrays, narrays, &capacity, want, UINT32_MAX) != RN_OK)
			return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
		cu->capacity = (uint32_t)capacity;
	}
	for (uint32_t node = cu->count; node < nodes; node++) {
		cu->acquired[node] = RN_DATE_NONE;
		cu->channel[node] = UINT32_MAX;
		cu->campaign[node] = UINT32_MAX;
		if (cu->has_clv)
			cu->clv[node] = 0;
	}
	return RN_OK;
}
