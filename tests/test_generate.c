/*
 * test_generate.c - the synthetic data generator: parameters, determinism, structure of the
 * written tables and the realised referral process against its targets.
 *
 * The structural checks read the CSV files back with a deliberately naive reader (the clean
 * generator output has no quoted fields), so they test the bytes users get, not internal
 * arrays.  Statistical checks use tolerances derived from binomial or Poisson standard errors,
 * stated beside each check.
 */
#include "check.h"

#include <refnet/gen.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char scratch[512];

static char *read_file(const char *dir, const char *name, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *data = malloc((size_t)size + 1);
	size_t got = fread(data, 1, (size_t)size, f);
	fclose(f);
	data[got] = '\0';
	*len = got;
	return data;
}

static int same_file(const char *a, const char *b, const char *name)
{
	size_t la, lb;
	char *da = read_file(a, name, &la), *db = read_file(b, name, &lb);
	int same = da && db && la == lb && memcmp(da, db, la) == 0;
	free(da);
	free(db);
	return same;
}

/* Splits the next line of *cursor into at most max comma-separated fields (in place). */
static int next_row(char **cursor, char **fields, int max)
{
	char *s = *cursor;
	if (!*s)
		return -1;
	char *end = strchr(s, '\n');
	if (!end)
		return -1;
	*end = '\0';
	*cursor = end + 1;
	int n = 0;
	fields[n++] = s;
	for (char *c = s; *c; c++)
		if (*c == ',' && n < max) {
			*c = '\0';
			fields[n++] = c + 1;
		}
	return n;
}

static uint64_t id_index(const char *id)
{
	return strtoull(id + 1, NULL, 10) - 1;
}

static int32_t date_of(const char *s)
{
	int32_t d;
	return rn_gen_parse_date(s, &d) == 0 ? d : INT32_MIN;
}

static void run(rn_gen_params *p, const char *dir, rn_gen_stats *stats)
{
	rn_error err;
	rn_error_clear(&err);
	int rc = rn_generate(p, dir, NULL, NULL, stats, &err);
	if (rc)
		fprintf(stderr, "rn_generate: %s\n", err.message);
	CHECK_INT(rc, RN_OK);
}

static void test_dates(void)
{
	int32_t d;
	CHECK_INT(rn_gen_parse_date("1970-01-01", &d), 0);
	CHECK_INT(d, 0);
	CHECK_INT(rn_gen_parse_date("2024-01-01", &d), 0);
	CHECK_INT(d, 19723); /* 54 years of which 13 leap: 54 * 365 + 13 */
	CHECK_INT(rn_gen_parse_date("2024-02-29", &d), 0);
	CHECK_INT(rn_gen_parse_date("2023-02-29", &d), -1);
	CHECK_INT(rn_gen_parse_date("2023-13-01", &d), -1);
	CHECK_INT(rn_gen_parse_date("2023-1-01", &d), -1);
	CHECK_INT(rn_gen_parse_date("2023-01-01x", &d), -1);
	char buf[11];
	rn_gen_format_date(19723 + 59, buf); /* 31 days of January, then 28 more */
	CHECK_STR(buf, "2024-02-29");
	rn_gen_format_date(19723 + 366, buf); /* 2024 has 366 days */
	CHECK_STR(buf, "2025-01-01");
	rn_gen_format_date(-1, buf);
	CHECK_STR(buf, "1969-12-31");
}

static void test_params(void)
{
	rn_gen_params p;
	rn_error err;
	rn_gen_params_default(&p);
	CHECK_INT(p.customers, 0);
	CHECK_INT(p.weeks, 104);
	CHECK_INT(p.n_channels, 4);
	CHECK_STR(p.channel[3].name, "tv");
	CHECK_INT(rn_gen_params_check(&p, &err), RN_EUSAGE); /* customers is required */
	CHECK_INT(rn_gen_params_set(&p, "customers", "1e6", &err), RN_OK);
	CHECK_INT(p.customers, 1000000);
	CHECK_INT(rn_gen_params_set(&p, "customers", "1.5", &err), RN_EUSAGE);
	CHECK_INT(rn_gen_params_set(&p, "customers", "-3", &err), RN_EUSAGE);
	CHECK_INT(rn_gen_params_set(&p, "mean_offspring", "1.2", &err), RN_EUSAGE);
	CHECK_CONTAINS(err.message, "out of range");
	CHECK_INT(rn_gen_params_set(&p, "mean_offspring", "0.1", &err), RN_OK);
	CHECK_NEAR(p.mean_offspring, 0.1, 0);
	CHECK_INT(rn_gen_params_set(&p, "refer_share", "0", &err), RN_EUSAGE);
	CHECK_INT(rn_gen_params_set(&p, "no_such_key", "1", &err), RN_EUSAGE);
	CHECK_CONTAINS(err.message, "unknown parameter 'no_such_key'");
	CHECK_INT(rn_gen_params_set(&p, "start", "2023-02-30", &err), RN_EUSAGE);
	CHECK_INT(rn_gen_params_set(&p, "channels", "search, email,Bad", &err), RN_EUSAGE);
	CHECK_INT(p.n_channels, 4); /* unchanged on error */
	CHECK_INT(rn_gen_params_set(&p, "channels", "search,search", &err), RN_EUSAGE);
	CHECK_INT(rn_gen_params_set(&p, "channels", "search, email", &err), RN_OK);
	CHECK_INT(p.n_channels, 2);
	CHECK_STR(p.channel[1].name, "email");
	CHECK_INT(rn_gen_params_set(&p, "email.theta", "0.6", &err), RN_OK);
	CHECK_NEAR(p.channel[1].theta, 0.6, 0);
	CHECK_INT(rn_gen_params_set(&p, "tv.theta", "0.6", &err), RN_EUSAGE);
	CHECK_INT(rn_gen_params_set(&p, "email.colour", "red", &err), RN_EUSAGE);
	CHECK_INT(rn_gen_params_set(&p, "campaigns", "5", &err), RN_OK);
	CHECK_INT(p.channel[0].campaigns, 5);
	CHECK_INT(p.channel[1].campaigns, 5);
	CHECK_INT(rn_gen_params_set(&p, "campaigns", "100", &err), RN_EUSAGE);
	CHECK_INT(rn_gen_params_set(&p, "messy", "maybe", &err), RN_EUSAGE);
	CHECK_INT(rn_gen_params_set(&p, "messy", "true", &err), RN_OK);
	CHECK_INT(p.messy, 1);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	fputs(text, f);
	fclose(f);
}

static void test_config(void)
{
	char path[600];
	snprintf(path, sizeof path, "%s/gen.yaml", scratch);
	rn_gen_params p;
	rn_error err;

	/* Per-channel keys before "channels" still apply: channels is read first. */
	write_text(path, "# test\ncustomers: 2500\nsocial.beta: 42\nchannels: [search, social]\n"
			 "seed: 9\nstart: 2023-06-05\nbgnbd_r: 0.5\n");
	rn_gen_params_default(&p);
	CHECK_INT(rn_gen_params_load(&p, path, &err), RN_OK);
	CHECK_INT(p.customers, 2500);
	CHECK_INT(p.seed, 9);
	CHECK_INT(p.n_channels, 2);
	CHECK_NEAR(p.channel[1].beta, 42, 0);
	CHECK_NEAR(p.bgnbd_r, 0.5, 0);
	CHECK_INT(p.start, date_of("2023-06-05"));

	write_text(path, "customers: 10\nseed: 1\nseed: 2\n");
	rn_gen_params_default(&p);
	CHECK_INT(rn_gen_params_load(&p, path, &err), RN_ECONFIG);
	CHECK_CONTAINS(err.message, "duplicate key 'seed'");
	CHECK_INT(err.line, 3);
	CHECK_INT(err.column, 1);

	write_text(path, "customers: 10\nweeks: lots\n");
	rn_gen_params_default(&p);
	CHECK_INT(rn_gen_params_load(&p, path, &err), RN_ECONFIG);
	CHECK_INT(err.line, 2);
	CHECK_CONTAINS(err.message, "weeks");

	write_text(path, "customers: 10\nsearch:\n  beta: 3\n");
	rn_gen_params_default(&p);
	CHECK_INT(rn_gen_params_load(&p, path, &err), RN_ECONFIG);
	CHECK_CONTAINS(err.message, "nested mappings");

	write_text(path, "customers: [1, 2\n");
	rn_gen_params_default(&p);
	CHECK_INT(rn_gen_params_load(&p, path, &err), RN_ECONFIG);
	CHECK_CONTAINS(err.message, "YAML");

	snprintf(path, sizeof path, "%s/missing.yaml", scratch);
	CHECK_INT(rn_gen_params_load(&p, path, &err), RN_ENOINPUT);
}

/* Determinism, the exact size, and the structure of every table. */
static void test_output(void)
{
	const uint64_t N = 200000;
	char one[600], two[600], other[600];
	snprintf(one, sizeof one, "%s/one", scratch);
	snprintf(two, sizeof two, "%s/two", scratch);
	snprintf(other, sizeof other, "%s/other", scratch);
	rn_gen_params p;
	rn_gen_params_default(&p);
	p.customers = N;
	p.seed = 2024;
	rn_gen_stats st1, st2, st3;
	p.threads = 1;
	run(&p, one, &st1);
	p.threads = 2;
	run(&p, two, &st2);
	const char *files[] = {"customers.csv", "referrals.csv", "transactions.csv", "spend.csv",
			       "truth.json"};
	for (int f = 0; f < 5; f++)
		CHECK(same_file(one, two, files[f]));
	p.seed = 2025;
	run(&p, other, &st3);
	CHECK(!same_file(one, other, "customers.csv"));
	CHECK(!same_file(one, other, "referrals.csv"));
	CHECK(!same_file(one, other, "transactions.csv"));
	CHECK(!same_file(one, other, "spend.csv"));

	CHECK_INT(st1.customers, N);
	CHECK_INT(st1.paid + st1.organic + st1.referred, N);
	CHECK_INT(st1.primary_edges, st1.referred);

	const int32_t first = date_of("2024-01-01"), last = first + 104 * 7 - 1;

	/* customers.csv: exactly N rows, ids C000001.. in order, dates in range and sorted. */
	size_t len;
	char *text = read_file(one, "customers.csv", &len), *cur = text, *f[8];
	CHECK(text != NULL);
	if (!text)
		return;
	CHECK_INT(next_row(&cur, f, 8), 4);
	CHECK_STR(f[0], "customer");
	int32_t *acquired = calloc(N, sizeof *acquired);
	uint64_t rows = 0, bad_dates = 0, unsorted = 0, bad_ids = 0, paid = 0;
	int32_t previous = first;
	int n;
	while ((n = next_row(&cur, f, 8)) > 0) {
		if (n != 4 || strlen(f[0]) != 7 || id_index(f[0]) != rows)
			bad_ids++;
		int32_t d = date_of(f[1]);
		if (d < first || d > last)
			bad_dates++;
		if (d < previous)
			unsorted++;
		previous = d;
		if (rows < N)
			acquired[rows] = d;
		if (f[3][0])
			paid++;
		rows++;
	}
	CHECK_INT(rows, N);
	CHECK_INT(bad_ids, 0);
	CHECK_INT(bad_dates, 0);
	CHECK_INT(unsorted, 0);
	CHECK_INT(paid, st1.paid);
	free(text);

	/* referrals.csv: primary edges (reward > 0) have one per referred customer, no
	 * self-loops, the referrer acquired strictly earlier and the date equal to the referred
	 * customer's acquisition; every date in range. */
	text = read_file(one, "referrals.csv", &len);
	cur = text;
	CHECK_INT(next_row(&cur, f, 8), 5);
	CHECK_STR(f[4], "reward");
	uint8_t *has_primary = calloc(N, 1);
	uint64_t primary = 0, wom = 0, self_loops = 0, not_after = 0, wrong_date = 0, twice = 0;
	uint64_t out_of_range = 0, heavy = 0, reciprocal = 0;
	uint64_t *referrer_of = calloc(N, sizeof *referrer_of);
	while ((n = next_row(&cur, f, 8)) > 0) {
		uint64_t from = id_index(f[0]), to = id_index(f[1]);
		int32_t d = date_of(f[2]);
		if (from >= N || to >= N || d < first || d > last) {
			out_of_range++;
			continue;
		}
		if (atoi(f[3]) > 1)
			heavy++;
		if (strcmp(f[4], "10.00") == 0) {
			primary++;
			if (from == to)
				self_loops++;
			if (!(acquired[from] < acquired[to]))
				not_after++;
			if (d != acquired[to])
				wrong_date++;
			if (has_primary[to])
				twice++;
			has_primary[to] = 1;
			referrer_of[to] = from;
		} else {
			CHECK_STR(f[4], "0.00");
			wom++;
			if (from == to)
				self_loops++;
		}
	}
	free(text);
	/* Second pass for reciprocal word-of-mouth edges, which need every referrer known. */
	text = read_file(one, "referrals.csv", &len);
	cur = text;
	next_row(&cur, f, 8);
	while ((n = next_row(&cur, f, 8)) > 0) {
		uint64_t from = id_index(f[0]), to = id_index(f[1]);
		if (strcmp(f[4], "0.00") == 0 && has_primary[from] && referrer_of[from] == to)
			reciprocal++;
	}
	free(text);
	CHECK_INT(out_of_range, 0);
	CHECK_INT(primary, st1.referred);
	CHECK_INT(self_loops, 0);
	CHECK_INT(not_after, 0);
	CHECK_INT(wrong_date, 0);
	CHECK_INT(twice, 0);
	CHECK_INT(wom, st1.wom_edges);
	CHECK(reciprocal >= st1.reciprocal_edges); /* random edges may also hit the referrer */
	CHECK(reciprocal > 0);                     /* cycles exist */
	/* Edge weights > 1 with probability 0.05 over ~43,000 edges: mean ~2150, Poisson SD
	 * ~46; a 5-SD band is +-240. */
	CHECK_NEAR((double)heavy, 0.05 * (double)(primary + wom), 240);

	/* transactions.csv: the first purchase of each customer is on the acquisition day, none
	 * before it or after the period. */
	text = read_file(one, "transactions.csv", &len);
	cur = text;
	CHECK_INT(next_row(&cur, f, 8), 3);
	uint64_t tx = 0, before = 0, first_wrong = 0, customers_seen = 0, bad_amount = 0;
	uint64_t current = UINT64_MAX;
	while ((n = next_row(&cur, f, 8)) > 0) {
		uint64_t c = id_index(f[0]);
		int32_t d = date_of(f[1]);
		if (c >= N || d < acquired[c] || d > last)
			before++;
		else if (c != current) {
			customers_seen++;
			if (d != acquired[c])
				first_wrong++;
		}
		if (!(atof(f[2]) > 0))
			bad_amount++;
		current = c;
		tx++;
	}
	free(text);
	CHECK_INT(tx, st1.transactions);
	CHECK_INT(before, 0);
	CHECK_INT(first_wrong, 0);
	CHECK_INT(customers_seen, N);
	CHECK_INT(bad_amount, 0);

	/* Referral process against its targets.  Each customer is drawn a referrer with
	 * probability 0.3 independently: binomial SE sqrt(0.3 * 0.7 / N) = 0.00102 at N = 2e5;
	 * tolerance 4 SE. */
	double share = (double)st1.referrers_drawn / (double)N;
	CHECK_NEAR(share, 0.30, 4 * sqrt(0.3 * 0.7 / (double)N));
	/* Mean offspring of customers old enough to have all their referrals inside the
	 * period.  Offspring per customer is 0 w.p. 0.7 and K (discretised lognormal, sigma
	 * 1.5) otherwise: Var = 0.3 E[K^2] - 0.2^2 with E[K^2] = sum_k (2k - 1) P(K >= k),
	 * computed here from the solved mu; tolerance 4 SE. */
	double ek2 = 0;
	for (uint32_t k = 1; k <= p.max_offspring; k++)
		ek2 += (2.0 * k - 1.0) * 0.5 *
		       erfc((log((double)k) - st1.offspring_mu) / (p.offspring_sigma * sqrt(2.0)));
	double var = 0.3 * ek2 - 0.04;
	double se = sqrt(var / (double)st1.mature_customers);
	CHECK(se > 0.001 && se < 0.02);
	CHECK_NEAR((double)st1.mature_offspring / (double)st1.mature_customers, 0.20, 4 * se);
	/* Censoring at the end of the period only removes referrals. */
	CHECK((double)st1.primary_edges / (double)N < 0.20 + 4 * se);
	/* Word of mouth: Poisson(0.03) per customer, mean 6000, SD 77; 5 SD. */
	CHECK_NEAR((double)st1.wom_edges, 0.03 * (double)N, 5 * sqrt(0.03 * (double)N));

	/* Mix-model ground truth: each channel's (and organic) realised customers against the
	 * expected total in truth.json.  Given R roots the count is binomial with mean E and
	 * variance below E (Poisson-like), so the band is 4 sqrt(E). */
	char *truth = read_file(one, "truth.json", &len);
	const char *names[] = {"\"name\": \"search\"", "\"name\": \"social\"",
			       "\"name\": \"display\"", "\"name\": \"tv\"", "\"organic\": {"};
	double expected_total = 0;
	for (int c = 0; c < 5 && truth; c++) {
		const char *at = strstr(truth, names[c]);
		CHECK(at != NULL);
		if (!at)
			continue;
		/* The channel's own count is the last "customers" before its expected count
		 * (the earlier ones are its campaigns'). */
		const char *expected = strstr(at, "\"expected_customers\": "), *realised = NULL;
		for (const char *q = strstr(at, "\"customers\": "); q && expected && q < expected;
		     q = strstr(q + 1, "\"customers\": "))
			realised = q;
		CHECK(realised && expected);
		if (!realised || !expected)
			continue;
		double got = strtod(realised + 13, NULL), want = strtod(expected + 22, NULL);
		CHECK(want > 1000);
		CHECK_NEAR(got, want, 4 * sqrt(want));
		expected_total += want;
	}
	/* The expected counts of all cells add up to the number of roots exactly. */
	CHECK_NEAR(expected_total, (double)(st1.paid + st1.organic), 1e-6 * (double)N);
	free(truth);

	free(acquired);
	free(has_primary);
	free(referrer_of);
}

static void test_small_and_messy(void)
{
	char dir[600];
	snprintf(dir, sizeof dir, "%s/messy", scratch);
	rn_gen_params p;
	rn_gen_params_default(&p);
	p.customers = 1;
	p.weeks = 1;
	rn_gen_stats st;
	run(&p, dir, &st);
	CHECK_INT(st.customers, 1);
	CHECK_INT(st.wom_edges, 0);

	p.customers = 3000;
	p.weeks = 20;
	p.messy = 1;
	run(&p, dir, &st);
	size_t len;
	char *spend = read_file(dir, "spend.csv", &len);
	CHECK_CONTAINS(spend, "\n\"search_01, spring launch\",2024-");
	CHECK_CONTAINS(spend, "\n\"search_02 \"\"always on\"\"\",2024-");
	free(spend);
	char *truth = read_file(dir, "truth.json", &len);
	CHECK_CONTAINS(truth, "\"search_02 \\\"always on\\\"\"");
	CHECK_CONTAINS(truth, "\"customers\": 3000,");
	free(truth);

	/* Every customer's referral intensity is zero: only roots. */
	p.messy = 0;
	p.mean_offspring = 0;
	p.wom_rate = 0;
	run(&p, dir, &st);
	CHECK_INT(st.referred, 0);
	CHECK_INT(st.paid + st.organic, 3000);
}

static void test_errors(void)
{
	rn_gen_params p;
	rn_gen_params_default(&p);
	p.customers = 100;
	rn_error err;
	char path[600];
	snprintf(path, sizeof path, "%s/plain-file", scratch);
	write_text(path, "x");
	CHECK_INT(rn_generate(&p, path, NULL, NULL, NULL, &err), RN_ECANTCREAT);
	snprintf(path, sizeof path, "%s/no/such/dir", scratch);
	CHECK_INT(rn_generate(&p, path, NULL, NULL, NULL, &err), RN_ECANTCREAT);
	p.customers = 0;
	CHECK_INT(rn_generate(&p, scratch, NULL, NULL, NULL, &err), RN_EUSAGE);

	/* Every allocation failure is reported, leaves no partial file, and frees everything
	 * (the sanitizer build checks the last part). */
	snprintf(path, sizeof path, "%s/alloc", scratch);
	p.customers = 300;
	p.threads = 1;
	int failures = 0, rc = RN_ENOMEM;
	for (uint64_t k = 1; k < 5000 && rc != RN_OK; k++) {
		rn_alloc_fail_at(k, 0);
		rc = rn_generate(&p, path, NULL, NULL, NULL, &err);
		rn_alloc_fail_at(0, 0);
		if (rc != RN_OK) {
			CHECK_INT(rc, RN_ENOMEM);
			failures++;
		}
	}
	CHECK_INT(rc, RN_OK);
	CHECK(failures > 10);
}

int main(void)
{
	snprintf(scratch, sizeof scratch, "/tmp/refnet-test-generate-%ld", (long)getpid());
	mkdir(scratch, 0777);
	test_dates();
	test_params();
	test_config();
	test_output();
	test_small_and_messy();
	test_errors();
	char command[600];
	snprintf(command, sizeof command, "rm -rf '%s'", scratch);
	if (system(command) != 0)
		fprintf(stderr, "could not remove %s\n", scratch);
	return check_report();
}
