/*
 * btyd_data.h - test helpers shared by the BTYD tests: a civil-date converter (the io layer's
 * parser is not needed to read the CDNOW text file), the CDNOW sample reader, and a seeded
 * random generator with Gamma and Beta draws for simulating from known parameters.
 */
#ifndef REFNET_TESTS_BTYD_DATA_H
#define REFNET_TESTS_BTYD_DATA_H

#include <refnet/value.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
static inline int32_t civil_days(int y, int m, int d)
{
	y -= m <= 2;
	int era = (y >= 0 ? y : y - 399) / 400;
	int yoe = y - era * 400;
	int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + doe - 719468);
}

/* Reads tests/data/cdnow/CDNOW_sample.txt: "sample-id original-id YYYYMMDD cds dollars".
 * Customers are the original ids 1..2357 (index id - 1).  Returns 0 or -1. */
static inline int cdnow_load(rn_transactions *tx, uint32_t *customers)
{
	const char *dir = getenv("RN_TEST_DATA");
	char path[4096];
	snprintf(path, sizeof path, "%s/cdnow/CDNOW_sample.txt", dir ? dir : "tests/data");
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	memset(tx, 0, sizeof *tx);
	uint64_t cap = 8192;
	tx->customer = malloc(cap * sizeof *tx->customer);
	tx->date = malloc(cap * sizeof *tx->date);
	tx->amount = malloc(cap * sizeof *tx->amount);
	unsigned sample_id, id, ymd, cds;
	double dollars;
	uint32_t max_id = 0;
	while (fscanf(f, "%u %u %u %u %lf", &sample_id, &id, &ymd, &cds, &dollars) == 5) {
		if (tx->count == cap)
			break; /* the sample has 6,919 rows */
		tx->customer[tx->count] = id - 1;
		tx->date[tx->count] = civil_days((int)(ymd / 10000), (int)(ymd / 100 % 100),
						 (int)(ymd % 100));
		tx->amount[tx->count] = dollars;
		tx->count++;
		if (id > max_id)
			max_id = id;
	}
	fclose(f);
	*customers = max_id;
	return 0;
}

static inline void cdnow_free(rn_transactions *tx)
{
	free(tx->customer);
	free(tx->date);
	free(tx->amount);
	free(tx->margin);
}

/* splitmix64 (Steele, Lea & Flood 2014): small, seeded, and the same on every platform. */
typedef struct test_rng {
	uint64_t state;
} test_rng;

static inline uint64_t rng_next(test_rng *g)
{
	uint64_t z = (g->state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform on (0, 1). */
static inline double rng_uniform(test_rng *g)
{
	return ((double)(rng_next(g) >> 11) + 0.5) / 9007199254740992.0;
}

static inline double rng_normal(test_rng *g)
{
	/* Box-Muller. */
	double u = rng_uniform(g), v = rng_uniform(g);
	return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* Gamma(shape, 1) by Marsaglia & Tsang (2000), with the shape < 1 boost. */
static inline double rng_gamma(test_rng *g, double shape)
{
	if (shape < 1.0)
		return rng_gamma(g, shape + 1.0) * pow(rng_uniform(g), 1.0 / shape);
	double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
	for (;;) {
		double x = rng_normal(g), v = 1.0 + c * x;
		if (v <= 0.0)
			continue;
		v = v * v * v;
		double u = rng_uniform(g);
		if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
			return d * v;
	}
}

static inline double rng_beta(test_rng *g, double a, double b)
{
	double x = rng_gamma(g, a), y = rng_gamma(g, b);
	return x / (x + y);
}

static inline double rng_exponential(test_rng *g, double rate)
{
	return -log(rng_uniform(g)) / rate;
}

/* One BG/NBD customer observed for T time units after the first purchase (FHL 2005 sec. 2):
 * purchases at Poisson rate lambda; after each repeat purchase the customer drops out with
 * probability p. */
static inline void bgnbd_simulate(test_rng *g, const rn_bgnbd_params *p, double T, uint32_t *x,
				  double *t_x)
{
	double lambda = rng_gamma(g, p->r) / p->alpha;
	double drop = rng_beta(g, p->a, p->b);
	double t = 0.0;
	*x = 0;
	*t_x = 0.0;
	for (;;) {
		t += rng_exponential(g, lambda);
		if (t > T)
			return;
		(*x)++;
		*t_x = t;
		if (rng_uniform(g) < drop)
			return;
	}
}

/* A transactions table simulated from BG/NBD (weekly rates) and Gamma-Gamma spend: n
 * customers whose first purchase falls uniformly in the first 26 weeks of 1997, observed to
 * day 364 (1997-12-31) and beyond by one year of holdout purchases.  Purchase times are drawn
 * in continuous time and dated as the generator does (docs/GENERATOR.md): round(7 t) days
 * after the first purchase, never on or before the previous purchase's day, so that the
 * BTYD convention (same-day purchases are one) merges nothing.  Arrays are malloc'ed; free
 * with cdnow_free. */
static inline int simulate_transactions(rn_transactions *tx, uint32_t n, uint64_t seed,
					const rn_bgnbd_params *bp,
					const rn_gamma_gamma_params *gp)
{
	test_rng g = {seed};
	memset(tx, 0, sizeof *tx);
	uint64_t cap = (uint64_t)n * 4 + 16;
	tx->customer = malloc(cap * sizeof *tx->customer);
	tx->date = malloc(cap * sizeof *tx->date);
	tx->amount = malloc(cap * sizeof *tx->amount);
	if (!tx->customer || !tx->date || !tx->amount)
		return -1;
	const int32_t start = civil_days(1997, 1, 1);
	const double end_weeks = 2.0 * 365.0 / 7.0;
	for (uint32_t c = 0; c < n; c++) {
		double first = floor(rng_uniform(&g) * 182.0); /* day of first purchase */
		double lambda = rng_gamma(&g, bp->r) / bp->alpha;
		double drop = rng_beta(&g, bp->a, bp->b);
		double nu = rng_gamma(&g, gp->q) / gp->v;
		double t = 0.0, offset = 0.0;
		for (int k = 0;; k++) {
			if (tx->count == cap) {
				cap *= 2;
				tx->customer = realloc(tx->customer, cap * sizeof *tx->customer);
				tx->date = realloc(tx->date, cap * sizeof *tx->date);
				tx->amount = realloc(tx->amount, cap * sizeof *tx->amount);
				if (!tx->customer || !tx->date || !tx->amount)
					return -1;
			}
			tx->customer[tx->count] = c;
			tx->date[tx->count] = start + (int32_t)(first + offset);
			tx->amount[tx->count] = rng_gamma(&g, gp->p) / nu;
			tx->count++;
			if (k > 0 && rng_uniform(&g) < drop)
				break;
			t += rng_exponential(&g, lambda);
			if (first / 7.0 + t > end_weeks)
				break;
			double day = floor(t * 7.0 + 0.5);
			offset = day > offset ? day : offset + 1.0;
			if (first + offset >= 7.0 * end_weeks)
				break;
		}
	}
	return 0;
}

#endif
