/*
 * test_mix.c - the marketing-mix model: recovery of known adstock, saturation and ROI on
 * weekly spend and acquisitions simulated inside the test from a seeded generator, the
 * marginal ROI against a finite difference, the dataset wrapper against the series fit, the
 * bootstrap's determinism, and the errors (too few weeks, spend that never varies).
 */
#include "check.h"

#include <refnet/value.h>

#define WEEKS 156
#define LAG 8

static uint64_t rng_state;

static double uniform(void)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return ((double)(rng_state >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(void)
{
	/* Box-Muller; one of the pair is enough here. */
	double u1 = uniform(), u2 = uniform();
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static void adstock(const double *x, uint32_t weeks, double theta, double *out)
{
	for (uint32_t t = 0; t < weeks; t++) {
		double sum = 0.0, decay = 1.0;
		for (uint32_t l = 0; l <= LAG && l <= t; l++, decay *= theta)
			sum += decay * x[t - l];
		out[t] = sum;
	}
}

static double hill(double a, double k, double s)
{
	return a > 0 ? pow(a, s) / (pow(a, s) + pow(k, s)) : 0.0;
}

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return (a > b) - (a < b);
}

static double median_positive(const double *a, uint32_t n)
{
	double tmp[WEEKS];
	uint32_t m = 0;
	for (uint32_t i = 0; i < n; i++)
		if (a[i] > 0)
			tmp[m++] = a[i];
	qsort(tmp, m, sizeof *tmp, cmp_double);
	return m % 2 ? tmp[m / 2] : 0.5 * (tmp[m / 2 - 1] + tmp[m / 2]);
}

/* The true model: theta 0.5, s 2, beta 40 customers/week at saturation, intercept 10,
 * trend 6 over the period, a yearly season of amplitude ~3.6. */
#define TRUE_THETA 0.5
#define TRUE_S 2.0
#define TRUE_BETA 40.0
#define VALUE 50.0

typedef struct sim {
	double spend[WEEKS], acq[WEEKS], ad[WEEKS];
	double k, contribution, total_spend, roi, marginal_roi;
} sim;

static void simulate(sim *s, uint64_t seed, double k_multiple, double noise)
{
	rng_state = seed;
	/* Flighting, as advertisers buy media: bursts of 4-9 weeks on air, then 2-5 dark weeks.
	 * The dark weeks are what identifies the baseline, hence the response at zero spend. */
	uint32_t week = 0;
	while (week < WEEKS) {
		uint32_t on = 4 + (uint32_t)(uniform() * 6), off = 2 + (uint32_t)(uniform() * 4);
		for (uint32_t i = 0; i < on && week < WEEKS; i++, week++)
			s->spend[week] = 1000.0 * exp(0.6 * normal());
		for (uint32_t i = 0; i < off && week < WEEKS; i++, week++)
			s->spend[week] = 0.0;
	}
	adstock(s->spend, WEEKS, TRUE_THETA, s->ad);
	s->k = k_multiple * median_positive(s->ad, WEEKS);
	s->contribution = s->total_spend = 0.0;
	double slope = 0.0;
	for (uint32_t t = 0; t < WEEKS; t++) {
		double h = hill(s->ad[t], s->k, TRUE_S);
		double season = 3.0 * sin(2 * M_PI * t / 52.0) + 2.0 * cos(2 * M_PI * t / 52.0);
		s->acq[t] = 10.0 + 6.0 * t / WEEKS + season + TRUE_BETA * h + noise * normal();
		s->contribution += TRUE_BETA * h;
		slope += TRUE_BETA * TRUE_S * h * (1 - h);
		s->total_spend += s->spend[t];
	}
	s->roi = (s->contribution * VALUE - s->total_spend) / s->total_spend;
	s->marginal_roi = VALUE * slope / s->total_spend - 1.0;
}

/* Noise-free data whose curve lies on the search grid: the grid search must find exactly
 * theta, K and s, and the ridge fit recovers beta to within its shrinkage (lambda / T ~ 1e-4
 * relative on a standardised column; 1e-3 allows for its spread over correlated columns). */
static void test_exact_recovery(void)
{
	sim s;
	simulate(&s, 42, 1.0, 0.0);
	rn_mix_params par;
	rn_mix_params_default(&par);
	par.bootstrap = 0;
	rn_mix_channel ch;
	rn_error err;
	CHECK_INT(rn_mix_fit_series(&ch, s.spend, s.acq, WEEKS, VALUE, 1.25, &par, "tv", &err), 0);
	CHECK_NEAR(ch.theta, TRUE_THETA, 1e-15);
	CHECK_NEAR(ch.hill_s, TRUE_S, 0);
	CHECK_NEAR(ch.hill_k, s.k, 1e-12 * s.k);
	CHECK_NEAR(ch.beta.value, TRUE_BETA, 1e-3 * TRUE_BETA);
	CHECK_NEAR(ch.contribution.value, s.contribution, 1e-3 * s.contribution);
	CHECK_NEAR(ch.roi.value, s.roi, 1e-3 * fabs(s.roi + 1.0));
	CHECK_NEAR(ch.marginal_roi.value, s.marginal_roi, 1e-3 * fabs(s.marginal_roi + 1.0));
	CHECK(ch.r_squared > 0.9999);
	CHECK(!ch.roi.has_interval);
	/* After the word-of-mouth multiplier: value 50 * 1.25. */
	CHECK_NEAR(ch.roi_wom.value,
		   (ch.contribution.value * VALUE * 1.25 - s.total_spend) / s.total_spend, 1e-12);
	CHECK_NEAR(ch.cost_per_incremental.value, s.total_spend / ch.contribution.value, 1e-9);
	CHECK_NEAR(ch.spend, s.total_spend, 1e-9);
}

/* Noisy data (sd 2 customers/week against a weekly response of up to 40) with K off the grid,
 * over 30 seeds.  Measured (this build): relative error of ROI + 1 (value returned per unit of
 * spend) has mean +0.019, RMS 0.072, max 0.17; of marginal ROI + 1 mean -0.001, RMS 0.059,
 * max 0.17; theta found exactly in 28 of 30; bootstrap intervals contain the true ROI in 26.  The
 * spread comes from choosing the curve on 31 held-out weeks.  The checks leave ~40 % headroom on
 * each and test the bias at ~3 standard errors (RMS / sqrt(30) = 0.013): mean within 0.04, RMS
 * below 0.10, max below 0.25. */
static void test_noisy_recovery(void)
{
	enum { SEEDS = 30 };
	double sum = 0, sum_sq = 0, worst = 0, msum = 0, msum_sq = 0, mworst = 0;
	int theta_hits = 0, inside = 0;
	for (uint64_t seed = 1; seed <= SEEDS; seed++) {
		sim s;
		simulate(&s, seed * 7919, 1.2, 2.0);
		rn_mix_params par;
		rn_mix_params_default(&par);
		par.bootstrap = 100;
		rn_mix_channel ch;
		rn_error err;
		CHECK_INT(
		    rn_mix_fit_series(&ch, s.spend, s.acq, WEEKS, VALUE, 0.0, &par, "search", &err),
		    0);
		double e = (ch.roi.value - s.roi) / (s.roi + 1.0);
		double me = (ch.marginal_roi.value - s.marginal_roi) / (s.marginal_roi + 1.0);
		sum += e;
		sum_sq += e * e;
		worst = fmax(worst, fabs(e));
		msum += me;
		msum_sq += me * me;
		mworst = fmax(mworst, fabs(me));
		theta_hits += ch.theta == TRUE_THETA;
		inside += ch.roi.lo <= s.roi && s.roi <= ch.roi.hi;
		CHECK(ch.roi.has_interval && ch.roi.lo <= ch.roi.value &&
		      ch.roi.value <= ch.roi.hi);
		CHECK(!ch.roi_wom.defined); /* no multiplier given */
	}
	CHECK_NEAR(sum / SEEDS, 0.0, 0.04);
	CHECK(sqrt(sum_sq / SEEDS) < 0.10);
	CHECK(worst < 0.25);
	CHECK_NEAR(msum / SEEDS, 0.0, 0.04);
	CHECK(sqrt(msum_sq / SEEDS) < 0.10);
	CHECK(mworst < 0.25);
	CHECK(theta_hits >= 25);
	/* Coverage of the 95 % intervals: measured 26 of 30.  The bootstrap re-chooses the curve
	 * only among grid neighbours, so some selection spread is missing (docs/VALUE_MODELS.md);
	 * 22 is ~2 binomial standard deviations below the measured rate. */
	CHECK(inside >= 22);
	fprintf(stderr,
		"mix recovery over %d seeds: roi error mean %.4f rms %.4f max %.4f; "
		"marginal mean %.4f rms %.4f max %.4f; theta exact %d; interval covers %d\n",
		SEEDS, sum / SEEDS, sqrt(sum_sq / SEEDS), worst, msum / SEEDS,
		sqrt(msum_sq / SEEDS), mworst, theta_hits, inside);
}

/* Marginal ROI is value * dC/dS - 1 along the current spend pattern: compare with a central
 * difference of the fitted response when every week's spend is scaled by 1 +- 1e-5 (error
 * O(eps^2) ~ 1e-10 relative, plus rounding ~1e-11 / 1e-5). */
static void test_marginal_roi(void)
{
	sim s;
	simulate(&s, 99, 0.8, 1.0);
	rn_mix_params par;
	rn_mix_params_default(&par);
	par.bootstrap = 0;
	rn_mix_channel ch;
	rn_error err;
	CHECK_INT(rn_mix_fit_series(&ch, s.spend, s.acq, WEEKS, VALUE, 0.0, &par, "m", &err), 0);
	double eps = 1e-5, up = 0, down = 0, ad[WEEKS];
	adstock(s.spend, WEEKS, ch.theta, ad);
	for (uint32_t t = 0; t < WEEKS; t++) {
		up += ch.beta.value * hill(ad[t] * (1 + eps), ch.hill_k, ch.hill_s);
		down += ch.beta.value * hill(ad[t] * (1 - eps), ch.hill_k, ch.hill_s);
	}
	double dcds = (up - down) / (2 * eps * s.total_spend);
	CHECK_NEAR(ch.marginal_roi.value, VALUE * dcds - 1.0, 1e-6);
	CHECK_NEAR(ch.contribution.value, 0.5 * (up + down), 1e-4);
}

static void test_errors(void)
{
	double spend[WEEKS], acq[WEEKS];
	for (uint32_t t = 0; t < WEEKS; t++) {
		spend[t] = 100.0 * (t % 3);
		acq[t] = 5.0 + (t % 3);
	}
	rn_mix_params par;
	rn_mix_params_default(&par);
	rn_mix_channel ch;
	rn_error err;
	/* 7 parameters (intercept, trend, 2 harmonic pairs, response): at least 21 weeks. */
	CHECK_INT(rn_mix_fit_series(&ch, spend, acq, 20, VALUE, 0, &par, "channel 'tv'", &err),
		  RN_EDATA);
	CHECK_CONTAINS(err.message,
		       "channel 'tv': 20 weeks of data, the mix model needs at least 21");
	CHECK_INT(rn_mix_fit_series(&ch, spend, acq, 21, VALUE, 0, &par, "tv", &err), 0);
	par.harmonics = 0; /* 3 parameters: 9 weeks */
	CHECK_INT(rn_mix_fit_series(&ch, spend, acq, 8, VALUE, 0, &par, "tv", &err), RN_EDATA);
	CHECK_INT(rn_mix_fit_series(&ch, spend, acq, 9, VALUE, 0, &par, "tv", &err), 0);
	rn_mix_params_default(&par);
	for (uint32_t t = 0; t < WEEKS; t++)
		spend[t] = 250.0;
	CHECK_INT(rn_mix_fit_series(&ch, spend, acq, WEEKS, VALUE, 0, &par, "radio", &err),
		  RN_EDATA);
	CHECK_CONTAINS(err.message, "radio: weekly spend never varies");
	spend[3] = -1.0;
	CHECK_INT(rn_mix_fit_series(&ch, spend, acq, WEEKS, VALUE, 0, &par, "radio", &err),
		  RN_EDATA);
	spend[3] = 250.0;
	par.ridge = 0.0;
	CHECK_INT(rn_mix_fit_series(&ch, spend, acq, WEEKS, VALUE, 0, &par, "radio", &err),
		  RN_ECONFIG);
	/* No value per customer: ROI figures undefined, never NaN. */
	rn_mix_params_default(&par);
	spend[5] = 900.0;
	CHECK_INT(rn_mix_fit_series(&ch, spend, acq, WEEKS, 0.0, 0, &par, "radio", &err), 0);
	CHECK(ch.contribution.defined && !ch.roi.defined && !ch.marginal_roi.defined);
	CHECK_NEAR(ch.roi.value, 0, 0);
	CHECK(isfinite(ch.beta.lo) && isfinite(ch.beta.hi));
}

/* The dataset wrapper: customers and spend rows aggregated by week give the same fit as the
 * series; two seeds of the same data give the same point estimate, different intervals. */
static void test_dataset(void)
{
	sim s;
	simulate(&s, 5, 1.0, 1.0);
	/* Customers: round(acq) in week t on day 7t + 3, channel 1; plus channel 0 with none.
	 * Spend rows: two per week (day 7t and 7t + 6), channel 1; one row without a channel. */
	uint32_t n = 0;
	double rounded[WEEKS];
	for (uint32_t t = 0; t < WEEKS; t++) {
		rounded[t] = fmax(0.0, floor(s.acq[t] + 0.5));
		n += (uint32_t)rounded[t];
	}
	n += 1; /* one undated customer of channel 1 */
	int32_t *acquired = malloc(n * sizeof *acquired);
	uint32_t *channel = malloc(n * sizeof *channel);
	uint32_t v = 0;
	for (uint32_t t = 0; t < WEEKS; t++)
		for (uint32_t i = 0; i < (uint32_t)rounded[t]; i++, v++) {
			acquired[v] = 7000 + 7 * (int32_t)t + 3;
			channel[v] = 1;
		}
	acquired[v] = RN_DATE_NONE;
	channel[v] = 1;
	uint32_t rows = 2 * WEEKS + 1;
	uint32_t *sp_campaign = calloc(rows, sizeof *sp_campaign);
	uint32_t *sp_channel = malloc(rows * sizeof *sp_channel);
	int32_t *sp_date = malloc(rows * sizeof *sp_date);
	double *sp_amount = malloc(rows * sizeof *sp_amount);
	for (uint32_t t = 0; t < WEEKS; t++) {
		sp_channel[2 * t] = sp_channel[2 * t + 1] = 1;
		sp_date[2 * t] = 7000 + 7 * (int32_t)t;
		sp_date[2 * t + 1] = 7000 + 7 * (int32_t)t + 6;
		sp_amount[2 * t] = 0.25 * s.spend[t];
		sp_amount[2 * t + 1] = 0.75 * s.spend[t];
	}
	sp_channel[rows - 1] = UINT32_MAX;
	sp_date[rows - 1] = 7000;
	sp_amount[rows - 1] = 1e6;
	rn_spend sp = {.count = rows,
		       .campaign = sp_campaign,
		       .channel = sp_channel,
		       .date = sp_date,
		       .amount = sp_amount};

	rn_mix_params par;
	rn_mix_params_default(&par);
	par.bootstrap = 50;
	rn_mix_result res;
	rn_error err;
	rn_interner *names;
	CHECK_INT(rn_interner_new(&names, 4), 0);
	uint32_t id;
	CHECK_INT(rn_interner_intern(names, "organic", 7, &id, NULL), 0);
	CHECK_INT(rn_interner_intern(names, "search", 6, &id, NULL), 0);
	CHECK_INT(rn_mix_fit(&res, n, acquired, channel, 2, &sp, NULL, &par, names, &err), 0);
	CHECK_INT(res.count, 1);
	CHECK_INT(res.weeks, WEEKS);
	CHECK_INT(res.first_week_start, 7000);
	CHECK_INT(res.customers_undated, 1);
	CHECK_INT(res.spend_rows_without_channel, 1);
	CHECK_INT(res.channels[0].channel, 1);
	CHECK(!res.channels[0].roi.defined); /* no ROI table given: no value per customer */

	rn_mix_channel direct;
	rn_mix_params local = par;
	local.seed = par.seed + 0x9E3779B97F4A7C15ull * 1;
	CHECK_INT(rn_mix_fit_series(&direct, s.spend, rounded, WEEKS, 0, 0, &local, "x", &err), 0);
	CHECK_NEAR(res.channels[0].beta.value, direct.beta.value, 1e-9 * fabs(direct.beta.value));
	CHECK_NEAR(res.channels[0].beta.lo, direct.beta.lo, 1e-9 * fabs(direct.beta.value));
	CHECK_NEAR(res.channels[0].theta, direct.theta, 0);
	CHECK_NEAR(res.channels[0].acquisitions, n - 1, 0);

	/* Same seed: identical; another seed: same point estimate, other interval. */
	rn_mix_result again;
	CHECK_INT(rn_mix_fit(&again, n, acquired, channel, 2, &sp, NULL, &par, names, &err), 0);
	CHECK_NEAR(again.channels[0].beta.value, res.channels[0].beta.value, 0);
	CHECK_NEAR(again.channels[0].beta.lo, res.channels[0].beta.lo, 0);
	CHECK_NEAR(again.channels[0].beta.hi, res.channels[0].beta.hi, 0);
	CHECK_NEAR(again.channels[0].contribution.lo, res.channels[0].contribution.lo, 0);
	CHECK_NEAR(again.channels[0].hill_k, res.channels[0].hill_k, 0);
	rn_mix_free(&again);
	par.seed = 2;
	CHECK_INT(rn_mix_fit(&again, n, acquired, channel, 2, &sp, NULL, &par, names, &err), 0);
	CHECK_NEAR(again.channels[0].beta.value, res.channels[0].beta.value, 0);
	CHECK(again.channels[0].beta.lo != res.channels[0].beta.lo);
	rn_mix_free(&again);
	rn_mix_free(&res);

	/* Too few weeks through the wrapper: the error names the channel. */
	sp.count = 20; /* ten weeks of spend */
	for (uint32_t i = 0; i < n; i++)
		if (acquired[i] != RN_DATE_NONE && acquired[i] >= 7000 + 70)
			acquired[i] = RN_DATE_NONE;
	CHECK_INT(rn_mix_fit(&res, n, acquired, channel, 2, &sp, NULL, &par, names, &err),
		  RN_EDATA);
	CHECK_CONTAINS(err.message, "channel 'search': 10 weeks of data");
	sp.count = 0;
	CHECK_INT(rn_mix_fit(&res, n, acquired, channel, 2, &sp, NULL, &par, names, &err),
		  RN_EDATA);

	/* Every allocation failure is RN_ENOMEM and leaks nothing (ASan build). */
	sp.count = rows;
	for (uint32_t i = 0; i < n; i++)
		acquired[i] = 7000 + 7 * (int32_t)(i % WEEKS);
	par.bootstrap = 5;
	int failures = 0;
	for (uint64_t k = 1; k < 32; k++) {
		rn_alloc_fail_at(k, 0);
		int rc = rn_mix_fit(&res, n, acquired, channel, 2, &sp, NULL, &par, names, &err);
		rn_alloc_fail_at(0, 0);
		if (rc == RN_OK) {
			rn_mix_free(&res);
			break;
		}
		CHECK_INT(rc, RN_ENOMEM);
		failures++;
	}
	CHECK(failures >= 8);

	rn_interner_free(names);
	free(acquired);
	free(channel);
	free(sp_campaign);
	free(sp_channel);
	free(sp_date);
	free(sp_amount);
}

int main(void)
{
	test_exact_recovery();
	test_noisy_recovery();
	test_marginal_roi();
	test_errors();
	test_dataset();
	return check_report();
}
