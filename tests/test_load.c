/*
 * test_load.c - the table loaders: columns by name, typed values, every validation error
 * with its exact file:line:column message, on_error: skip, create_missing, and the dataset's
 * per-customer arrays after rn_dataset_finish.
 */
#include <refnet/io.h>

#include <omp.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"

static char tmpdir[64];
static char path_buf[256];

/* Writes text to tmpdir/name; returns the path (valid until the next call). */
static const char *file(const char *name, const char *text)
{
	snprintf(path_buf, sizeof path_buf, "%s/%s", tmpdir, name);
	FILE *f = fopen(path_buf, "wb");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return path_buf;
}

static const char *id_of(const rn_dataset *ds, uint32_t node)
{
	return rn_interner_string(ds->ids, node, NULL);
}

static char message[2048];

static const char *formatted(const rn_error *err)
{
	rn_error_format(err, message, sizeof message);
	/* Drop the temporary directory so that expectations can name the file alone. */
	size_t prefix = strlen(tmpdir) + 1;
	if (!strncmp(message, tmpdir, prefix - 1) && message[prefix - 1] == '/')
		memmove(message, message + prefix, strlen(message + prefix) + 1);
	return message;
}

typedef int (*loader)(rn_dataset *, const char *, const rn_load_options *, rn_error *);

/* Loads one table from text into a fresh dataset (after `customers` when non-NULL) and
 * checks the status and the formatted error. */
static void expect_error_at(loader load, const char *customers, const char *text,
			    const rn_load_options *opt, int code, const char *want, int line)
{
	rn_dataset ds;
	rn_error err;
	rn_error_clear(&err);
	CHECK_INT(rn_dataset_init(&ds), RN_OK);
	if (customers)
		CHECK_INT(rn_load_customers(&ds, file("c.csv", customers), NULL, &err), RN_OK);
	int rc = load(&ds, file("t.csv", text), opt, &err);
	check_count++;
	if (rc != code || err.code != code || strcmp(formatted(&err), want) != 0) {
		check_failures++;
		fprintf(stderr, "%s:%d: status %d (expected %d)\n  got      %s\n  expected %s\n",
			__FILE__, line, rc, code, formatted(&err), want);
	}
	rn_dataset_free(&ds);
}
#define EXPECT_ERROR(load, customers, text, opt, want)                                             \
	expect_error_at(load, customers, text, opt, RN_EDATA, want, __LINE__)

static void test_referrals(void)
{
	rn_dataset ds;
	rn_error err;
	CHECK_INT(rn_dataset_init(&ds), RN_OK);
	const char *text = "referrer,referred,date,weight,reward,note\n"
			   "alice,bob,2024-01-05,2,10.5,x\n"
			   "bob,carol,,0.25,0,\n"
			   "\n"
			   "alice,alice,2024-02-29T10:00:00Z,1,0,self-loop kept\n"
			   "alice,bob,2024-01-06,3,1,duplicate kept\n";
	rn_load_options lines;
	memset(&lines, 0, sizeof lines);
	lines.keep_lines = true;
	CHECK_INT(rn_load_referrals(&ds, file("r.csv", text), &lines, &err), RN_OK);
	const rn_referrals *r = &ds.referrals;
	CHECK_INT(r->count, 4);
	CHECK_INT(rn_interner_count(ds.ids), 3);
	CHECK_STR(id_of(&ds, 0), "alice");
	CHECK_STR(id_of(&ds, 1), "bob");
	CHECK_STR(id_of(&ds, 2), "carol");
	uint32_t want_u[] = {0, 1, 0, 0}, want_v[] = {1, 2, 0, 1};
	uint64_t want_line[] = {2, 3, 5, 6};
	int32_t want_date[] = {19727, RN_DATE_NONE, 19782, 19728};
	float want_w[] = {2.0f, 0.25f, 1.0f, 3.0f}, want_reward[] = {10.5f, 0.0f, 0.0f, 1.0f};
	CHECK(r->weight && r->date && r->reward);
	for (int i = 0; i < 4 && r->weight && r->date && r->reward; i++) {
		CHECK_INT(r->referrer[i], want_u[i]);
		CHECK_INT(r->referred[i], want_v[i]);
		CHECK_INT(r->line[i], want_line[i]);
		CHECK_INT(r->date[i], want_date[i]);
		CHECK(r->weight[i] == want_w[i]);
		CHECK(r->reward[i] == want_reward[i]);
	}
	CHECK_INT(r->skipped_rows, 0);
	CHECK_INT(r->created_customers, 0);
	/* rows per referrer, the self-loop counted apart */
	CHECK(r->out_rows && r->out_rows_n >= 3);
	if (r->out_rows) {
		CHECK_INT(r->out_rows[0], 2);
		CHECK_INT(r->out_rows[1], 1);
		CHECK_INT(r->out_rows[2], 0);
	}
	CHECK_INT(r->self_loops, 1);
	/* A second referrals file into the same dataset is a caller error. */
	CHECK_INT(rn_load_referrals(&ds, file("r.csv", text), NULL, &err), RN_EINTERNAL);
	CHECK_INT(rn_dataset_finish(&ds, &err), RN_OK);
	CHECK_INT(ds.customers.count, 0);
	CHECK(ds.customers.acquired != NULL);
	for (uint32_t n = 0; n < 3 && ds.customers.acquired; n++) {
		CHECK_INT(ds.customers.acquired[n], RN_DATE_NONE);
		CHECK_INT(ds.customers.channel[n], UINT32_MAX);
		CHECK_INT(ds.customers.campaign[n], UINT32_MAX);
	}
	CHECK(ds.customers.clv == NULL);
	rn_dataset_free(&ds);

	/* Columns in any order, extra ones ignored, optional ones absent: no arrays. Ids are
	 * opaque text: 007, 7 and " 7" are three customers. */
	CHECK_INT(rn_dataset_init(&ds), RN_OK);
	CHECK_INT(rn_load_referrals(&ds,
				    file("r.csv", "x,referred,y,referrer\n1,007,2,7\n"
						  "1,7,2,\" 7\"\n"),
				    NULL, &err),
		  RN_OK);
	CHECK_INT(ds.referrals.count, 2);
	CHECK(ds.referrals.weight == NULL && ds.referrals.date == NULL &&
	      ds.referrals.reward == NULL);
	CHECK_INT(rn_interner_count(ds.ids), 3);
	CHECK_STR(id_of(&ds, ds.referrals.referrer[0]), "7");
	CHECK(ds.referrals.line == NULL); /* lines only when asked for */
	CHECK_STR(id_of(&ds, ds.referrals.referred[0]), "007");
	CHECK_STR(id_of(&ds, ds.referrals.referrer[1]), " 7");
	CHECK_INT(ds.referrals.referred[1], ds.referrals.referrer[0]);
	rn_dataset_free(&ds);

	/* Renamed columns, a custom date format, and a gzip file. */
	rn_load_options opt;
	memset(&opt, 0, sizeof opt);
	opt.keep_lines = true;
	opt.columns.referrer = "from_id";
	opt.columns.referred = "to_id";
	opt.columns.date = "when";
	opt.date_format = "%d/%m/%Y";
	snprintf(path_buf, sizeof path_buf, "%s/r.csv.gz", tmpdir);
	gzFile gz = gzopen(path_buf, "wb");
	gzputs(gz, "to_id,from_id,when,referrer\nb,a,29/2/2024,zzz\n");
	gzclose(gz);
	CHECK_INT(rn_dataset_init(&ds), RN_OK);
	CHECK_INT(rn_load_referrals(&ds, path_buf, &opt, &err), RN_OK);
	CHECK_INT(ds.referrals.count, 1);
	CHECK_STR(id_of(&ds, ds.referrals.referrer[0]), "a");
	CHECK_STR(id_of(&ds, ds.referrals.referred[0]), "b");
	CHECK(ds.referrals.date && ds.referrals.date[0] == 19782);
	rn_dataset_free(&ds);

	/* Growth past the initial capacity keeps every row. */
	char *many = malloc(20 + 5000 * 24);
	size_t len = (size_t)sprintf(many, "referrer,referred,weight\n");
	for (int i = 0; i < 5000; i++)
		len += (size_t)sprintf(many + len, "u%d,v%d,%d\n", i % 100, i, i + 1);
	CHECK_INT(rn_dataset_init(&ds), RN_OK);
	CHECK_INT(rn_load_referrals(&ds, file("many.csv", many), &lines, &err), RN_OK);
	CHECK_INT(ds.referrals.count, 5000);
	CHECK_INT(rn_interner_count(ds.ids), 5100);
	CHECK(ds.referrals.weight[4999] == 5000.0f);
	CHECK_INT(ds.referrals.line[4999], 5001);
	CHECK_STR(id_of(&ds, ds.referrals.referred[4999]), "v4999");
	rn_dataset_free(&ds);
	free(many);
}

static void test_referral_errors(void)
{
	loader L = rn_load_referrals;
	EXPECT_ERROR(L, NULL, "referrer,weight\na,1\n", NULL,
		     "t.csv:1: missing required column 'referred' (the header has: referrer, "
		     "weight)");
	rn_load_options renamed;
	memset(&renamed, 0, sizeof renamed);
	renamed.columns.referrer = "from";
	EXPECT_ERROR(L, NULL, "referrer,referred\na,b\n", &renamed,
		     "t.csv:1: missing required column 'from' (the header has: referrer, "
		     "referred)");
	EXPECT_ERROR(L, NULL, "referrer,referred\na,b\n,c\n", NULL,
		     "t.csv:3:1: column 'referrer': expected a customer id, found ''");
	EXPECT_ERROR(L, NULL, "referrer,referred\na,\"\"\n", NULL,
		     "t.csv:2:3: column 'referred': expected a customer id, found ''");
	/* Id length: 1024 bytes pass, 1025 do not; the value shown is cut to 40 bytes. */
	char text[4096];
	char id[1100];
	memset(id, 'k', 1025);
	id[1025] = '\0';
	snprintf(text, sizeof text, "referrer,referred\na,%s\n", id + 1);
	rn_dataset ds;
	rn_error err;
	CHECK_INT(rn_dataset_init(&ds), RN_OK);
	CHECK_INT(rn_load_referrals(&ds, file("t.csv", text), NULL, &err), RN_OK);
	rn_dataset_free(&ds);
	snprintf(text, sizeof text, "referrer,referred\na,%s\n", id);
	EXPECT_ERROR(L, NULL, text, NULL,
		     "t.csv:2:3: column 'referred': expected an id of at most 1024 bytes, found "
		     "'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...' (1025 bytes)");
	/* Weights: finite, > 0, representable as float. */
	struct {
		const char *value, *want;
	} weights[] = {
	    {"0", "expected a finite number > 0, found '0'"},
	    {"-1", "expected a finite number > 0, found '-1'"},
	    {"", "expected a finite number > 0, found ''"},
	    {"abc", "expected a finite number > 0, found 'abc'"},
	    {"NaN", "expected a finite number > 0, found 'NaN'"},
	    {"inf", "expected a finite number > 0, found 'inf'"},
	    {"1e999", "expected a finite number > 0, found '1e999'"},
	    {" 1", "expected a finite number > 0, found ' 1'"},
	    {"1e39", "expected a number > 0 within single precision range, found '1e39'"},
	    {"1e-50", "expected a number > 0 within single precision range, found '1e-50'"},
	    {"1.000000000000000000000000000000000000000000000000001x",
	     "expected a finite number > 0, found "
	     "'1.00000000000000000000000000000000000000...'"},
	};
	for (size_t i = 0; i < sizeof weights / sizeof weights[0]; i++) {
		char want[512];
		snprintf(text, sizeof text, "referrer,referred,weight\na,b,1\nc,d,\"%s\"\n",
			 weights[i].value);
		snprintf(want, sizeof want, "t.csv:3:5: column 'weight': %s", weights[i].want);
		expect_error_at(L, NULL, text, NULL, RN_EDATA, want, __LINE__);
	}
	EXPECT_ERROR(L, NULL, "referrer,referred,reward\na,b,-0.5\n", NULL,
		     "t.csv:2:5: column 'reward': expected a finite number >= 0, found '-0.5'");
	EXPECT_ERROR(L, NULL, "referrer,referred,reward\na,b,1e40\n", NULL,
		     "t.csv:2:5: column 'reward': expected a number within single precision "
		     "range, found '1e40'");
	EXPECT_ERROR(L, NULL, "date,referrer,referred\n2023-02-29,a,b\n", NULL,
		     "t.csv:2:1: column 'date': expected a date YYYY-MM-DD, found '2023-02-29'");
	rn_load_options fmt;
	memset(&fmt, 0, sizeof fmt);
	fmt.date_format = "%d/%m/%Y";
	EXPECT_ERROR(L, NULL, "referrer,referred,date\na,b,2024-01-01\n", &fmt,
		     "t.csv:2:5: column 'date': expected a date in the format '%d/%m/%Y', found "
		     "'2024-01-01'");
	/* Control characters in a shown value are replaced. */
	EXPECT_ERROR(L, NULL, "referrer,referred,weight\na,b,\"1\n2\"\n", NULL,
		     "t.csv:2:5: column 'weight': expected a finite number > 0, found '1?2'");
	/* Tokenizer errors pass through with their positions. */
	EXPECT_ERROR(L, NULL, "referrer,referred\na,b,c\n", NULL,
		     "t.csv:2:5: expected 2 fields, found 3");
	EXPECT_ERROR(L, NULL, "referrer,referred\na,\"b\n", NULL,
		     "t.csv:2:3: unterminated quoted field: the quote opened here is never closed "
		     "before the end of the input");
	EXPECT_ERROR(L, NULL, "", NULL, "t.csv: empty input: no header row");
	snprintf(path_buf, sizeof path_buf, "%s/none.csv", tmpdir);
	CHECK_INT(rn_dataset_init(&ds), RN_OK);
	CHECK_INT(rn_load_referrals(&ds, path_buf, NULL, &err), RN_ENOINPUT);
	CHECK_CONTAINS(formatted(&err), "none.csv: cannot open: No such file or directory");
	rn_dataset_free(&ds);
}

static void test_skip_bad_rows(void)
{
	rn_load_options opt;
	memset(&opt, 0, sizeof opt);
	opt.skip_bad_rows = true;
	opt.keep_lines = true;
	rn_dataset ds;
	rn_error err;
	CHECK_INT(rn_dataset_init(&ds), RN_OK);
	const char *text = "referrer,referred,weight\n"
			   "a,b,1\n"
			   "x1,y1,0\n"	     /* bad weight */
			   "x2,,1\n"	     /* empty id */
			   "x3,y3\n"	     /* wrong field count */
			   "x4,y4,1,extra\n" /* wrong field count */
			   "b,c,2\n";
	CHECK_INT(rn_load_referrals(&ds, file("r.csv", text), &opt, &err), RN_OK);
	CHECK_INT(ds.referrals.count, 2);
	CHECK_INT(ds.referrals.skipped_rows, 4);
	/* ... and are listed with their position and reason */
	CHECK_INT(ds.skipped_logged, 4);
	if (ds.skipped_logged == 4) {
		CHECK_CONTAINS(ds.skipped[0], "r.csv:3:7: column 'weight'");
		CHECK_CONTAINS(ds.skipped[1], "r.csv:4:4: column 'referred'");
		CHECK_CONTAINS(ds.skipped[2], "r.csv:5");
		CHECK_CONTAINS(ds.skipped[2], "expected 3 fields, found 2");
	}
	/* Skipped rows leave no nodes behind. */
	CHECK_INT(rn_interner_count(ds.ids), 3);
	CHECK_INT(ds.referrals.line[1], 7);
	rn_dataset_free(&ds);
	/* Encoding errors are not skippable: record boundaries are unknown after them. */
	CHECK_INT(rn_dataset_init(&ds), RN_OK);
	CHECK_INT(rn_load_referrals(&ds, file("r.csv", "referrer,referred\na,b\n\xff,c\nd,e\n"),
				    &opt, &err),
		  RN_EDATA);
	CHECK_STR(formatted(&err), "r.csv:3:1: invalid UTF-8 (byte 0xff: byte cannot start a "
				   "character); the file must be UTF-8");
	rn_dataset_free(&ds);
}

static const char *customers_csv = "customer,acquired,channel,campaign,clv\n"
				   "c1,2024-01-01,search,spring,10.5\n"
				   "c2,,,,0\n"
				   "c3,2024-01-03T08:00,social,spring,-2\n";

static void test_customers(void)
{
	rn_dataset ds;
	rn_error err;
	CHECK_INT(rn_dataset_init(&ds), RN_OK);
	CHECK_INT(rn_load_customers(&ds, file("c.csv", customers_csv), NULL, &err), RN_OK);
	const rn_customers *cu = &ds.customers;
	CHECK(ds.has_customers);
	CHECK(cu->has_clv);
	CHECK_INT(cu->count, 3);
	CHECK_INT(rn_interner_count(ds.ids), 3);
	CHECK_INT(cu->acquired[0], 19723);
	CHECK_INT(cu->acquired[1], RN_DATE_NONE);
	CHECK_INT(cu->acquired[2], 19725);
	CHECK_INT(rn_interner_count(ds.channels), 2);
	CHECK_INT(rn_interner_count(ds.campaigns), 1);
	CHECK_STR(rn_interner_string(ds.channels, cu->channel[2], NULL), "social");
	CHECK_INT(cu->channel[0], 0);
	CHECK_INT(cu->channel[1], UINT32_MAX);
	CHECK_INT(cu->campaign[0], 0);
	CHECK_INT(cu->campaign[1], UINT32_MAX);
	CHECK_INT(cu->campaign[2], 0);
	CHECK(cu->clv[0] == 10.5 && cu->clv[1] == 0 && cu->clv[2] == -2);
	CHECK_INT(rn_load_customers(&ds, file("c.csv", customers_csv), NULL, &err), RN_EINTERNAL);

	/* Referrals against the customers table: known ids only, unless create_missing. */
	rn_load_options create;
	memset(&create, 0, sizeof create);
	create.create_missing = true;
	CHECK_INT(rn_load_referrals(&ds,
				    file("r.csv", "referrer,referred\nc1,c2\nc1,n1\nn2,n2\n"
						  "n1,c3\n"),
				    &create, &err),
		  RN_OK);
	CHECK_INT(ds.referrals.count, 4);
	CHECK_INT(ds.referrals.created_customers, 2);
	CHECK_STR(id_of(&ds, 3), "n1");
	CHECK_STR(id_of(&ds, 4), "n2");
	CHECK_INT(rn_load_transactions(&ds,
				       file("t.csv", "customer,date,amount\nc2,2024-02-01,5\n"
						     "n3,2024-02-02,7\nn1,2024-02-03,1\n"),
				       &create, &err),
		  RN_OK);
	CHECK_INT(ds.transactions.created_customers, 1);
	CHECK_INT(ds.transactions.customer[1], 5);
	CHECK_INT(ds.transactions.customer[2], 3);
	CHECK_INT(rn_dataset_finish(&ds, &err), RN_OK);
	CHECK_INT(cu->count, 3);
	CHECK(cu->capacity >= 6);
	CHECK_INT(cu->acquired[0], 19723);
	CHECK(cu->clv[2] == -2);
	for (uint32_t n = 3; n < 6; n++) {
		CHECK_INT(cu->acquired[n], RN_DATE_NONE);
		CHECK_INT(cu->channel[n], UINT32_MAX);
		CHECK_INT(cu->campaign[n], UINT32_MAX);
		CHECK(cu->clv[n] == 0);
	}
	rn_dataset_free(&ds);

	/* Order: customers after another table is refused. */
	CHECK_INT(rn_dataset_init(&ds), RN_OK);
	CHECK_INT(rn_load_referrals(&ds, file("r.csv", "referrer,referred\na,b\n"), NULL, &err),
		  RN_OK);
	CHECK_INT(rn_load_customers(&ds, file("c.csv", customers_csv), NULL, &err), RN_EINTERNAL);
	rn_dataset_free(&ds);

	/* A customers table with only the id column: no clv array. */
	CHECK_INT(rn_dataset_init(&ds), RN_OK);
	CHECK_INT(rn_load_customers(&ds, file("c.csv", "customer\n007\n7\n"), NULL, &err), RN_OK);
	CHECK(!ds.customers.has_clv && ds.customers.clv == NULL);
	CHECK_INT(ds.customers.count, 2);
	CHECK_INT(rn_dataset_finish(&ds, &err), RN_OK);
	CHECK_INT(ds.customers.acquired[1], RN_DATE_NONE);
	rn_dataset_free(&ds);
}

static void test_customer_errors(void)
{
	loader L = rn_load_customers;
	EXPECT_ERROR(L, NULL, "id,clv\n1,2\n", NULL,
		     "t.csv:1: missing required column 'customer' (the header has: id, clv)");
	EXPECT_ERROR(L, NULL, "customer,clv\nc1,1\nc2,2\nc1,3\n", NULL,
		     "t.csv:4:1: column 'customer': duplicate customer 'c1' (first on line 2)");
	EXPECT_ERROR(L, NULL, "customer,clv\nc1,1\n\nc2,2\n\"c1\",3\n", NULL,
		     "t.csv:5:1: column 'customer': duplicate customer 'c1' (first on line 2)");
	EXPECT_ERROR(L, NULL, "customer,clv\nc1,\n", NULL,
		     "t.csv:2:4: column 'clv': expected a finite number, found ''");
	EXPECT_ERROR(L, NULL, "customer,clv\nc1,nan\n", NULL,
		     "t.csv:2:4: column 'clv': expected a finite number, found 'nan'");
	EXPECT_ERROR(L, NULL, "customer,acquired\nc1,2024-13-01\n", NULL,
		     "t.csv:2:4: column 'acquired': expected a date YYYY-MM-DD, found "
		     "'2024-13-01'");
	EXPECT_ERROR(L, NULL, "customer,channel\n,x\n", NULL,
		     "t.csv:2:1: column 'customer': expected a customer id, found ''");
	char text[2200], name[1100];
	memset(name, 'n', 1025);
	name[1025] = '\0';
	snprintf(text, sizeof text, "customer,campaign\nc1,%s\n", name);
	EXPECT_ERROR(L, NULL, text, NULL,
		     "t.csv:2:4: column 'campaign': expected an id of at most 1024 bytes, found "
		     "'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...' (1025 bytes)");
	/* Skipping: the duplicate and the bad row are counted, the first c1 stays. */
	rn_load_options opt;
	memset(&opt, 0, sizeof opt);
	opt.skip_bad_rows = true;
	rn_dataset ds;
	rn_error err;
	CHECK_INT(rn_dataset_init(&ds), RN_OK);
	CHECK_INT(rn_load_customers(&ds,
				    file("c.csv", "customer,clv,channel\nc1,1,a\nc1,2,b\n"
						  "c2,x,c\nc3,3,d\n"),
				    &opt, &err),
		  RN_OK);
	CHECK_INT(ds.customers.count, 2);
	CHECK_INT(ds.customers.skipped_rows, 2);
	CHECK(ds.customers.clv[0] == 1 && ds.customers.clv[1] == 3);
	CHECK_STR(id_of(&ds, 1), "c3");
	CHECK_INT(rn_interner_count(ds.channels), 2); /* skipped rows intern no channel */
	rn_dataset_free(&ds);

	/* Ids absent from a loaded customers table, without create_missing. */
	const char *known = "customer\nc1\nc2\n";
	EXPECT_ERROR(rn_load_referrals, known, "referrer,referred\nc1,c2\nc2,zz\n", NULL,
		     "t.csv:3:4: column 'referred': customer 'zz' is not in the customers table");
	EXPECT_ERROR(rn_load_referrals, known, "referrer,referred\nc7,c2\n", NULL,
		     "t.csv:2:1: column 'referrer': customer 'c7' is not in the customers table");
	EXPECT_ERROR(rn_load_transactions, known,
		     "customer,date,amount\nc1,2024-01-01,1\n"
		     "C1,2024-01-01,1\n",
		     NULL,
		     "t.csv:3:1: column 'customer': customer 'C1' is not in the customers table");
	/* Skipped, they create nothing. */
	CHECK_INT(rn_dataset_init(&ds), RN_OK);
	CHECK_INT(rn_load_customers(&ds, file("c.csv", known), NULL, &err), RN_OK);
	CHECK_INT(
	    rn_load_referrals(&ds, file("r.csv", "referrer,referred\nc1,zz\nc2,c1\n"), &opt, &err),
	    RN_OK);
	CHECK_INT(ds.referrals.count, 1);
	CHECK_INT(ds.referrals.skipped_rows, 1);
	CHECK_INT(ds.referrals.created_customers, 0);
	CHECK_INT(rn_interner_count(ds.ids), 2);
	rn_dataset_free(&ds);
}

static void test_transactions(void)
{
	rn_dataset ds;
	rn_error err;
	CHECK_INT(rn_dataset_init(&ds), RN_OK);
	CHECK_INT(rn_load_transactions(&ds,
				       file("t.csv", "amount,margin,date,customer\n"
						     "19.99,5,2024-03-01,a\n"
						     "0,-1.5,2024-03-02 12:00,b\n"
						     "7,0,2024-03-03,a\n"),
				       NULL, &err),
		  RN_OK);
	const rn_transactions *t = &ds.transactions;
	CHECK(ds.has_transactions);
	CHECK_INT(t->count, 3);
	CHECK_INT(t->customer[0], 0);
	CHECK_INT(t->customer[1], 1);
	CHECK_INT(t->customer[2], 0);
	CHECK_INT(t->date[0], 19783);
	CHECK_INT(t->date[1], 19784);
	CHECK(t->amount[0] == 19.99 && t->amount[1] == 0 && t->amount[2] == 7);
	CHECK(t->margin && t->margin[1] == -1.5);
	CHECK_INT(t->created_customers, 0); /* no customers table: nothing is "created" */
	CHECK_INT(rn_load_transactions(&ds, file("t.csv", "customer,date,amount\n"), NULL, &err),
		  RN_EINTERNAL);
	rn_dataset_free(&ds);
	CHECK_INT(rn_dataset_init(&ds), RN_OK);
	CHECK_INT(rn_load_transactions(&ds, file("t.csv", "customer,date,amount\na,2024-01-01,1\n"),
				       NULL, &err),
		  RN_OK);
	CHECK(ds.transactions.margin == NULL);
	rn_dataset_free(&ds);

	loader L = rn_load_transactions;
	EXPECT_ERROR(L, NULL, "customer,amount\na,1\n", NULL,
		     "t.csv:1: missing required column 'date' (the header has: customer, amount)");
	EXPECT_ERROR(L, NULL, "customer,date,amount\na,2024-01-01,-5\n", NULL,
		     "t.csv:2:14: column 'amount': expected a finite number >= 0, found '-5'");
	EXPECT_ERROR(L, NULL, "customer,date,amount\na,2024-01-01,\n", NULL,
		     "t.csv:2:14: column 'amount': expected a finite number >= 0, found ''");
	EXPECT_ERROR(L, NULL, "customer,date,amount\na,,1\n", NULL,
		     "t.csv:2:3: column 'date': expected a date YYYY-MM-DD, found ''");
	EXPECT_ERROR(L, NULL, "customer,date,amount,margin\na,2024-01-01,1,1e999\n", NULL,
		     "t.csv:2:16: column 'margin': expected a finite number, found '1e999'");
	EXPECT_ERROR(L, NULL, "customer,date,amount\n,2024-01-01,1\n", NULL,
		     "t.csv:2:1: column 'customer': expected a customer id, found ''");
	rn_load_options renamed;
	memset(&renamed, 0, sizeof renamed);
	renamed.columns.tx_customer = "buyer";
	renamed.columns.amount = "total";
	EXPECT_ERROR(L, NULL, "buyer,date,total\nb,2024-01-01,x\n", &renamed,
		     "t.csv:2:14: column 'total': expected a finite number >= 0, found 'x'");
}

static void test_spend(void)
{
	rn_dataset ds;
	rn_error err;
	CHECK_INT(rn_dataset_init(&ds), RN_OK);
	CHECK_INT(rn_load_customers(&ds, file("c.csv", customers_csv), NULL, &err), RN_OK);
	CHECK_INT(rn_load_spend(&ds,
				file("s.csv", "date,campaign,amount,channel\n"
					      "2024-01-01,spring,100,search\n"
					      "2024-01-08,summer,0,\n"
					      "2024-01-08,spring,50.5,tv\n"),
				NULL, &err),
		  RN_OK);
	const rn_spend *s = &ds.spend;
	CHECK(ds.has_spend);
	CHECK_INT(s->count, 3);
	/* Campaigns and channels share the interners filled by the customers table. */
	CHECK_INT(s->campaign[0], 0);
	CHECK_INT(s->campaign[1], 1);
	CHECK_INT(s->campaign[2], 0);
	CHECK_INT(s->channel[0], 0);
	CHECK_INT(s->channel[1], UINT32_MAX);
	CHECK_INT(s->channel[2], 2);
	CHECK_STR(rn_interner_string(ds.campaigns, 1, NULL), "summer");
	CHECK_INT(s->date[2], 19730);
	CHECK(s->amount[0] == 100 && s->amount[1] == 0 && s->amount[2] == 50.5);
	CHECK_INT(rn_load_spend(&ds, file("s.csv", "campaign,date,amount\n"), NULL, &err),
		  RN_EINTERNAL);
	rn_dataset_free(&ds);

	loader L = rn_load_spend;
	EXPECT_ERROR(L, NULL, "campaign,date\nx,2024-01-01\n", NULL,
		     "t.csv:1: missing required column 'amount' (the header has: campaign, date)");
	EXPECT_ERROR(L, NULL, "campaign,date,amount\n,2024-01-01,1\n", NULL,
		     "t.csv:2:1: column 'campaign': expected a campaign name, found ''");
	EXPECT_ERROR(L, NULL, "campaign,date,amount\nx,2024-01-01,-0.01\n", NULL,
		     "t.csv:2:14: column 'amount': expected a finite number >= 0, found '-0.01'");
	EXPECT_ERROR(L, NULL, "campaign,date,amount\nx,01/01/2024,1\n", NULL,
		     "t.csv:2:3: column 'date': expected a date YYYY-MM-DD, found '01/01/2024'");
	char text[2200], name[1100];
	memset(name, 'h', 1025);
	name[1025] = '\0';
	snprintf(text, sizeof text, "campaign,date,amount,channel\nx,2024-01-01,1,%s\n", name);
	EXPECT_ERROR(L, NULL, text, NULL,
		     "t.csv:2:16: column 'channel': expected an id of at most 1024 bytes, found "
		     "'hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh...' (1025 bytes)");
	snprintf(text, sizeof text, "customer,date,amount\n%s,2024-01-01,1\n", name);
	EXPECT_ERROR(rn_load_transactions, NULL, text, NULL,
		     "t.csv:2:1: column 'customer': expected an id of at most 1024 bytes, found "
		     "'hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh...' (1025 bytes)");
	snprintf(text, sizeof text, "customer,channel\nc,%s\n", name);
	EXPECT_ERROR(rn_load_customers, NULL, text, NULL,
		     "t.csv:2:3: column 'channel': expected an id of at most 1024 bytes, found "
		     "'hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh...' (1025 bytes)");
	rn_load_options opt;
	memset(&opt, 0, sizeof opt);
	opt.skip_bad_rows = true;
	opt.columns.spend_campaign = "cmp";
	CHECK_INT(rn_dataset_init(&ds), RN_OK);
	CHECK_INT(rn_load_spend(&ds,
				file("s.csv", "cmp,date,amount\na,2024-01-01,1\nb,x,1\n"
					      "c,2024-01-01,1\n"),
				&opt, &err),
		  RN_OK);
	CHECK_INT(ds.spend.count, 2);
	CHECK_INT(ds.spend.skipped_rows, 1);
	CHECK_INT(rn_interner_count(ds.campaigns), 2);
	rn_dataset_free(&ds);
}

/* Every allocation of a load may fail: the status is RN_ENOMEM and rn_dataset_free cleans
 * up (the sanitizer build checks for leaks). */
static void test_allocation_failures(void)
{
	const char *text = "referrer,referred,weight,date,reward\na,b,1,2024-01-01,0\nb,c,2,,1\n";
	const char *path = file("r.csv", text);
	char copy[256];
	snprintf(copy, sizeof copy, "%s", path);
	int succeeded = 0;
	for (uint64_t n = 1; n < 60 && !succeeded; n++) {
		rn_dataset ds;
		rn_error err;
		rn_alloc_fail_at(n, 0);
		int rc = rn_dataset_init(&ds);
		if (rc == RN_OK)
			rc = rn_load_referrals(&ds, copy, NULL, &err);
		if (rc == RN_OK)
			rc = rn_dataset_finish(&ds, &err);
		rn_alloc_fail_at(0, 0);
		if (rc == RN_OK) {
			succeeded = 1;
			CHECK_INT(ds.referrals.count, 2);
		} else {
			CHECK_INT(rc, RN_ENOMEM);
		}
		rn_dataset_free(&ds);
	}
	CHECK(succeeded);
	succeeded = 0;
	path = file("c.csv", customers_csv);
	snprintf(copy, sizeof copy, "%s", path);
	for (uint64_t n = 1; n < 60 && !succeeded; n++) {
		rn_dataset ds;
		rn_error err;
		rn_alloc_fail_at(n, 0);
		int rc = rn_dataset_init(&ds);
		if (rc == RN_OK)
			rc = rn_load_customers(&ds, copy, NULL, &err);
		if (rc == RN_OK)
			rc = rn_dataset_finish(&ds, &err);
		rn_alloc_fail_at(0, 0);
		if (rc == RN_OK)
			succeeded = 1;
		else
			CHECK_INT(rc, RN_ENOMEM);
		rn_dataset_free(&ds);
	}
	CHECK(succeeded);
}

/* Enough rows for many interning batches: the ids come out in first-seen order, the same with
 * the interning on a second thread as on one; an error in a late batch names its line and
 * leaves nothing behind. */
/* Text of n rows built by row(i, buf) after a header; the caller frees it. */
static char *rows_text(const char *header, uint32_t n, void (*row)(uint32_t, char *))
{
	size_t cap = strlen(header) + 2 + (size_t)n * 64, used = 0;
	char *text = malloc(cap), line[64];
	used += (size_t)snprintf(text, cap, "%s\n", header);
	for (uint32_t i = 0; i < n; i++) {
		row(i, line);
		used += (size_t)snprintf(text + used, cap - used, "%s\n", line);
	}
	return text;
}

/* 40000 rows: ten batches of 4096, more than the pipe's ring of 8 holds */
enum { KNOWN = 9000, PIPED_ROWS = 40000 };
static uint32_t bad_id_row = UINT32_MAX, bad_value_row = UINT32_MAX, short_row = UINT32_MAX;

static void customer_row(uint32_t i, char *buf)
{
	snprintf(buf, 64, "k%u", i);
}

/* Referral i: k(i*7 % KNOWN) referred k(i % KNOWN), with the planted faults. */
static void referral_row(uint32_t i, char *buf)
{
	if (i == short_row)
		snprintf(buf, 64, "k1");
	else
		snprintf(buf, 64, "k%u,%s%u,%s", i * 7 % KNOWN, i == bad_id_row ? "nobody" : "k",
			 i % KNOWN, i == bad_value_row ? "x" : "2");
}

static void transaction_row(uint32_t i, char *buf)
{
	snprintf(buf, 64, "%s%u,2024-01-01,%s", i == bad_id_row ? "nobody" : "k", i * 13 % KNOWN,
		 i == bad_value_row ? "-1" : "5");
}

/* Loads the referrals (or transactions) with the planted faults after the customers, and
 * returns the formatted error ("" when the load succeeded). */
static const char *piped_load(loader load, const rn_load_options *opt, rn_dataset *ds)
{
	char *customers = rows_text("customer", KNOWN, customer_row);
	char *text = load == rn_load_referrals
			 ? rows_text("referrer,referred,weight", PIPED_ROWS, referral_row)
			 : rows_text("customer,date,amount", PIPED_ROWS, transaction_row);
	rn_error err;
	rn_error_clear(&err);
	CHECK_INT(rn_dataset_init(ds), RN_OK);
	CHECK_INT(rn_load_customers(ds, file("c.csv", customers), NULL, &err), RN_OK);
	int rc = load(ds, file("t.csv", text), opt, &err);
	free(customers);
	free(text);
	return rc == RN_OK ? "" : formatted(&err);
}

/* Planted faults (row numbers from 0; line = row + 2) and the error each load must give. */
static const struct fault {
	loader load;
	uint32_t id, value, short_row;
	const char *want;
} faults[] = {
    /* the unknown id first, a bad weight three rows later (same batch) */
    {rn_load_referrals, 5000, 5003, UINT32_MAX,
     "t.csv:5002:7: column 'referred': customer 'nobody5000' is not in the customers table"},
    /* the unknown id first, a short row in the next batch */
    {rn_load_referrals, 5000, UINT32_MAX, 8200,
     "t.csv:5002:7: column 'referred': customer 'nobody5000' is not in the customers table"},
    /* the unknown id first, a short row six batches later, its batch not collected yet */
    {rn_load_referrals, 5000, UINT32_MAX, 5000 + 6 * 4096,
     "t.csv:5002:7: column 'referred': customer 'nobody5000' is not in the customers table"},
    /* after the ring has gone round */
    {rn_load_referrals, 36000, UINT32_MAX, UINT32_MAX,
     "t.csv:36002:4: column 'referred': customer 'nobody0' is not in the customers table"},
    /* the last row of a batch, alone */
    {rn_load_referrals, 4095, UINT32_MAX, UINT32_MAX,
     "t.csv:4097:7: column 'referred': customer 'nobody4095' is not in the customers table"},
    /* a bad value before the unknown id */
    {rn_load_referrals, 4095, 100, UINT32_MAX,
     "t.csv:102:11: column 'weight': expected a finite number > 0, found 'x'"},
    /* transactions: the unknown customer, then a negative amount */
    {rn_load_transactions, 7000, 7002, UINT32_MAX,
     "t.csv:7002:1: column 'customer': customer 'nobody1000' is not in the customers table"},
    /* in the last, partial batch */
    {rn_load_transactions, PIPED_ROWS - 1, UINT32_MAX, UINT32_MAX,
     "t.csv:40001:1: column 'customer': customer 'nobody6987' is not in the customers table"},
};

/* With a customers table the ids of referrals and transactions are looked up in batches on
 * a second thread (the pipe), so an unknown id is found after later rows were read: the error
 * must still be the first bad row's, at its own line and column, on 1 and 2 threads, and the
 * ids those of a row-by-row lookup (on_error: skip takes that path). */
static void test_lookup_pipe(void)
{
	rn_load_options skip;
	memset(&skip, 0, sizeof skip);
	skip.skip_bad_rows = true;
	for (int threads = 1; threads <= 2; threads++) {
		omp_set_num_threads(threads);
		rn_dataset a, b;
		CHECK_STR(piped_load(rn_load_referrals, NULL, &a), "");
		CHECK_STR(piped_load(rn_load_referrals, &skip, &b), "");
		CHECK_INT(a.referrals.count, PIPED_ROWS);
		CHECK(memcmp(a.referrals.referrer, b.referrals.referrer, PIPED_ROWS * 4) == 0 &&
		      memcmp(a.referrals.referred, b.referrals.referred, PIPED_ROWS * 4) == 0);
		CHECK_STR(id_of(&a, a.referrals.referred[PIPED_ROWS - 1]), "k3999");
		rn_dataset_free(&a);
		rn_dataset_free(&b);
		CHECK_STR(piped_load(rn_load_transactions, NULL, &a), "");
		CHECK_STR(piped_load(rn_load_transactions, &skip, &b), "");
		CHECK(a.transactions.count == PIPED_ROWS &&
		      memcmp(a.transactions.customer, b.transactions.customer, PIPED_ROWS * 4) ==
			  0);
		rn_dataset_free(&a);
		rn_dataset_free(&b);
		for (size_t k = 0; k < sizeof faults / sizeof faults[0]; k++) {
			const struct fault *f = &faults[k];
			bad_id_row = f->id, bad_value_row = f->value, short_row = f->short_row;
			CHECK_STR(piped_load(f->load, NULL, &a), f->want);
			CHECK_INT(f->load == rn_load_referrals ? a.referrals.count
							       : a.transactions.count,
				  0);
			rn_dataset_free(&a);
		}
		bad_id_row = bad_value_row = short_row = UINT32_MAX;
	}
}

static void test_many_rows(void)
{
	enum { ROWS = 30000, REFERRERS = 5000 };
	snprintf(path_buf, sizeof path_buf, "%s/many.csv", tmpdir);
	char path[256];
	snprintf(path, sizeof path, "%s", path_buf);
	uint32_t *expect_u = malloc(ROWS * sizeof *expect_u), *expect_v = malloc(ROWS * sizeof *expect_v);
	uint32_t *seen_r = malloc(REFERRERS * sizeof *seen_r), next = 0;
	for (uint32_t k = 0; k < REFERRERS; k++)
		seen_r[k] = UINT32_MAX;
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	fputs("referrer,referred,weight\n", f);
	uint64_t x = 99;
	for (uint32_t i = 0; i < ROWS; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t k = (uint32_t)(x >> 33) % REFERRERS;
		if (seen_r[k] == UINT32_MAX)
			seen_r[k] = next++;
		expect_u[i] = seen_r[k];
		expect_v[i] = next++; /* every referred id is new */
		fprintf(f, "r%u,c%u,%u\n", k, i, 1 + i % 3);
	}
	fclose(f);
	rn_dataset ds[2];
	for (int t = 0; t < 2; t++) {
		omp_set_num_threads(t + 1);
		rn_error err;
		CHECK_INT(rn_dataset_init(&ds[t]), RN_OK);
		CHECK_INT(rn_load_referrals(&ds[t], path, NULL, &err), RN_OK);
		CHECK_INT(ds[t].referrals.count, ROWS);
		CHECK_INT(rn_interner_count(ds[t].ids), next);
		uint32_t wrong = 0;
		for (uint32_t i = 0; i < ROWS; i++)
			wrong += ds[t].referrals.referrer[i] != expect_u[i] ||
				 ds[t].referrals.referred[i] != expect_v[i];
		CHECK_INT(wrong, 0);
		/* the rows of each referrer, counted on the resolving thread */
		const rn_referrals *r = &ds[t].referrals;
		CHECK(r->out_rows != NULL && r->out_rows_n >= next);
		uint32_t *rows = calloc(next, sizeof *rows);
		for (uint32_t i = 0; i < ROWS; i++)
			rows[expect_u[i]]++;
		CHECK(r->out_rows && memcmp(rows, r->out_rows, next * sizeof *rows) == 0);
		CHECK_INT(r->self_loops, 0);
		free(rows);
	}
	CHECK_STR(id_of(&ds[1], expect_v[ROWS - 1]), "c29999");
	CHECK(memcmp(ds[0].referrals.weight, ds[1].referrals.weight, ROWS * sizeof(float)) == 0);
	rn_dataset_free(&ds[0]);
	rn_dataset_free(&ds[1]);
	/* A bad weight on line 25001, in a batch after several handed over. */
	f = fopen(path, "r+b");
	CHECK(f != NULL);
	char line[64];
	uint32_t at = 0;
	while (fgets(line, sizeof line, f) && ++at < 25000)
		;
	long pos = ftell(f);
	CHECK(fgets(line, sizeof line, f) != NULL);
	fseek(f, pos + (long)strlen(line) - 2, SEEK_SET);
	fputc('x', f);
	fclose(f);
	rn_dataset bad;
	rn_error err;
	CHECK_INT(rn_dataset_init(&bad), RN_OK);
	CHECK_INT(rn_load_referrals(&bad, path, NULL, &err), RN_EDATA);
	CHECK_CONTAINS(formatted(&err), "many.csv:25001:");
	CHECK_INT(bad.referrals.count, 0);
	CHECK(bad.referrals.out_rows == NULL);
	rn_dataset_free(&bad);
	free(expect_u);
	free(expect_v);
	free(seen_r);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/rn_test_load_XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_referrals();
	test_referral_errors();
	test_skip_bad_rows();
	test_customers();
	test_customer_errors();
	test_transactions();
	test_spend();
	test_allocation_failures();
	test_many_rows();
	test_lookup_pipe();
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	CHECK_INT(system(cmd), 0);
	return check_report();
}
