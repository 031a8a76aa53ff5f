/*
 * test_crv.c - customer referral value, network value over generations and on a cycle,
 * rlv, quadrants and the mean paid CAC, against values computed by hand in the comments.
 * Tolerances: exact or 1e-12 relative where every weight of W is exact in float (shares 1 or
 * 1/2, no discounting): on acyclic graphs the solver is exact up to rounding, and inside a
 * cycle it stops at an L1 change of 1e-12 |crv|_1, leaving an error of at most
 * gamma/(1-gamma) times that (1e-12 for gamma = 0.5).
 * Where a weight is not (a discount factor, a share of 1/3), W carries float weights like
 * every graph in refnet, exact to 2^-24 = 6e-8 relative: tolerance 1e-7 relative.
 */
#include "check.h"

#include <refnet/value.h>

#include <omp.h>

#define D RN_DATE_NONE

typedef struct rows {
	rn_referrals refs;
	uint32_t referrer[64], referred[64];
	int32_t date[64];
	float reward[64];
} rows;

static void init_rows(rows *r)
{
	memset(r, 0, sizeof *r);
	r->refs.referrer = r->referrer;
	r->refs.referred = r->referred;
	r->refs.date = r->date;
	r->refs.reward = r->reward;
}

static void add(rows *r, uint32_t u, uint32_t v, int32_t date, float reward)
{
	uint64_t i = r->refs.count++;
	r->referrer[i] = u;
	r->referred[i] = v;
	r->date[i] = date;
	r->reward[i] = reward;
}

/* p = 1, no acquisition saving, no discounting: c = clv - reward. */
static void plain_params(rn_referral_params *par, double gamma)
{
	rn_referral_params_default(par);
	par->incremental_share = 1.0;
	par->acq_saved_auto = false;
	par->acquisition_cost_saved = 0.0;
	par->generation_decay = gamma;
	par->discount_rate = 0.0;
}

/* One referral: u = 0 acquired day 1000, refers v = 1 on day 1146 (146 days later), v's clv
 * 200, reward 20, p = 0.5, acq_saved 50:
 *   c = 0.5 (200 - 20) + 0.5 * 50 = 115;  delta = 1.15^(-146/365.25);  crv_0 = 115 delta. */
static void test_single_referral(void)
{
	rows r;
	init_rows(&r);
	add(&r, 0, 1, 1146, 20.0f);
	int32_t acquired[2] = {1000, 1150};
	double clv[2] = {80.0, 200.0};
	rn_error err;
	rn_attribution a;
	CHECK_INT(rn_attribution_build(&a, 2, &r.refs, acquired, RN_ATTR_FIRST, &err), 0);
	rn_referral_params par;
	rn_referral_params_default(&par);
	par.acq_saved_auto = false;
	par.acquisition_cost_saved = 50.0;
	par.clv_threshold = 100.0;
	par.crv_threshold = 50.0;
	rn_referral_value rv;
	CHECK_INT(rn_referral_value_compute(&rv, &a, clv, acquired, &par, 0, false, &err), 0);
	double delta = pow(1.15, -146.0 / 365.25);
	CHECK_NEAR(rv.contribution[1], 115.0, 1e-13);
	CHECK_NEAR(rv.crv[0], 115.0 * delta, 1e-7 * 115.0);
	CHECK_NEAR(rv.crv[1], 0.0, 0);
	/* gamma 0.5 but v refers nobody: nv = crv, bit for bit. */
	CHECK_NEAR(rv.network_value[0], rv.crv[0], 0);
	CHECK_NEAR(rv.rlv[0], 80.0 + 115.0 * delta, 1e-7 * 115.0);
	CHECK_NEAR(rv.rlv[1], 200.0, 0);
	CHECK_INT(rv.quadrant[0], RN_QUAD_ADVOCATE); /* clv 80 < 100, crv ~108 >= 50 */
	CHECK_INT(rv.quadrant[1], RN_QUAD_AFFLUENT);
	CHECK_INT(rv.pairs_counted, 1);
	CHECK(!rv.acq_saved_undefined);
	rn_referral_value_free(&rv);

	/* Horizon 100 days: the 146-day referral no longer counts. */
	par.horizon_days = 100;
	CHECK_INT(rn_referral_value_compute(&rv, &a, clv, acquired, &par, 0, false, &err), 0);
	CHECK_NEAR(rv.crv[0], 0.0, 0);
	CHECK_INT(rv.pairs_out_of_horizon, 1);
	CHECK_INT(rv.quadrant[0], RN_QUAD_MISER);
	rn_referral_value_free(&rv);

	/* Referral dated before the referrer's own acquisition: delay 0, delta 1, counted. */
	acquired[0] = 1200;
	par.horizon_days = 365;
	CHECK_INT(rn_referral_value_compute(&rv, &a, clv, acquired, &par, 0, false, &err), 0);
	CHECK_NEAR(rv.crv[0], 115.0, 1e-12);
	CHECK_INT(rv.early_pairs, 1);
	rn_referral_value_free(&rv);

	/* acquisition_cost_saved auto: mean paid CAC 100 -> c = 90 + 50 = 140. */
	par.acq_saved_auto = true;
	CHECK_INT(rn_referral_value_compute(&rv, &a, clv, acquired, &par, 100.0, true, &err), 0);
	CHECK_NEAR(rv.acq_saved, 100.0, 0);
	CHECK_NEAR(rv.crv[0], 140.0, 1e-12);
	rn_referral_value_free(&rv);
	/* auto with no paid acquisitions: 0 is used and flagged. */
	CHECK_INT(rn_referral_value_compute(&rv, &a, clv, acquired, &par, 0.0, false, &err), 0);
	CHECK(rv.acq_saved_undefined);
	CHECK_NEAR(rv.crv[0], 90.0, 1e-12);
	rn_referral_value_free(&rv);
	rn_attribution_free(&a);
}

/* Chain a -> b -> c -> d, gamma 0.5, c = clv = (10, 20, 30, 40):
 *   nv_d = 0, nv_c = 40, nv_b = 30 + 0.5 * 40 = 50, nv_a = 20 + 0.5 * 50 = 45;
 *   crv = (20, 30, 40, 0). */
static void test_chain(void)
{
	rows r;
	init_rows(&r);
	add(&r, 0, 1, D, 0);
	add(&r, 1, 2, D, 0);
	add(&r, 2, 3, D, 0);
	double clv[4] = {10, 20, 30, 40};
	rn_error err;
	rn_attribution a;
	CHECK_INT(rn_attribution_build(&a, 4, &r.refs, NULL, RN_ATTR_EQUAL, &err), 0);
	rn_referral_params par;
	plain_params(&par, 0.5);
	rn_referral_value rv;
	CHECK_INT(rn_referral_value_compute(&rv, &a, clv, NULL, &par, 0, false, &err), 0);
	CHECK_NEAR(rv.crv[0], 20.0, 0);
	CHECK_NEAR(rv.crv[1], 30.0, 0);
	CHECK_NEAR(rv.crv[2], 40.0, 0);
	CHECK_NEAR(rv.crv[3], 0.0, 0);
	CHECK_NEAR(rv.network_value[0], 45.0, 45e-12);
	CHECK_NEAR(rv.network_value[1], 50.0, 50e-12);
	CHECK_NEAR(rv.network_value[2], 40.0, 40e-12);
	CHECK_NEAR(rv.network_value[3], 0.0, 0);
	CHECK_NEAR(rv.rlv[0], 55.0, 55e-12);
	CHECK_INT(rv.undated_pairs, 3);
	CHECK_INT(rv.iterations, 0); /* a chain is acyclic: every value final after one visit */
	/* Medians: clv 25, crv 25; "high" also needs > 0. */
	CHECK_NEAR(rv.clv_threshold, 25.0, 0);
	CHECK_NEAR(rv.crv_threshold, 25.0, 0);
	CHECK_INT(rv.quadrant[0], RN_QUAD_MISER);    /* clv 10, crv 20 */
	CHECK_INT(rv.quadrant[1], RN_QUAD_ADVOCATE); /* clv 20, crv 30 */
	CHECK_INT(rv.quadrant[2], RN_QUAD_CHAMPION); /* clv 30, crv 40 */
	CHECK_INT(rv.quadrant[3], RN_QUAD_AFFLUENT); /* clv 40, crv 0 */
	CHECK_STR(rn_quadrant_name(RN_QUAD_CHAMPION), "Champions");
	rn_referral_value_free(&rv);

	/* gamma 0: Kumar's one generation, no solve at all. */
	plain_params(&par, 0.0);
	CHECK_INT(rn_referral_value_compute(&rv, &a, clv, NULL, &par, 0, false, &err), 0);
	CHECK_NEAR(rv.network_value[0], 20.0, 0);
	CHECK_INT(rv.iterations, 0);
	rn_referral_value_free(&rv);
	rn_attribution_free(&a);
}

/* Cycle a -> b -> a, gamma 0.5, clv (10, 20):
 *   nv_a = 20 + 0.5 nv_b, nv_b = 10 + 0.5 nv_a  =>  nv_a = 100/3, nv_b = 80/3. */
static void test_cycle(void)
{
	rows r;
	init_rows(&r);
	add(&r, 0, 1, D, 0);
	add(&r, 1, 0, D, 0);
	double clv[2] = {10, 20};
	rn_error err;
	rn_attribution a;
	CHECK_INT(rn_attribution_build(&a, 2, &r.refs, NULL, RN_ATTR_FIRST, &err), 0);
	rn_referral_params par;
	plain_params(&par, 0.5);
	rn_referral_value rv;
	CHECK_INT(rn_referral_value_compute(&rv, &a, clv, NULL, &par, 0, false, &err), 0);
	CHECK_NEAR(rv.network_value[0], 100.0 / 3.0, 1e-10);
	CHECK_NEAR(rv.network_value[1], 80.0 / 3.0, 1e-10);
	CHECK(rv.iterations > 10 && rv.iterations < 100);
	rn_referral_value_free(&rv);

	/* gamma >= 1 would diverge on this cycle: rejected. */
	plain_params(&par, 1.0);
	CHECK_INT(rn_referral_value_compute(&rv, &a, clv, NULL, &par, 0, false, &err), RN_ECONFIG);
	CHECK_CONTAINS(err.message, "generation_decay");
	plain_params(&par, 0.5);
	par.incremental_share = 1.5;
	CHECK_INT(rn_referral_value_compute(&rv, &a, clv, NULL, &par, 0, false, &err), RN_ECONFIG);
	CHECK_CONTAINS(err.message, "incremental_share");
	plain_params(&par, 0.5);
	par.horizon_days = 0;
	CHECK_INT(rn_referral_value_compute(&rv, &a, clv, NULL, &par, 0, false, &err), RN_ECONFIG);
	clv[1] = NAN;
	plain_params(&par, 0.5);
	CHECK_INT(rn_referral_value_compute(&rv, &a, clv, NULL, &par, 0, false, &err), RN_EDATA);
	CHECK_CONTAINS(err.message, "clv");
	rn_attribution_free(&a);
}

/* Customer 2 referred by 0 (day 10) and 1 (day 20), acquired day 30, clv 100, rewards paid
 * 4 + 6 = 10; p = 1: c_2 = 100 - 10 = 90.  No discounting.
 *   first: crv_0 = 90, crv_1 = 0;  last: crv_1 = 90;  equal: 45 each;
 *   weight (weights 1 and 2): 30 and 60.  Customer 2 also refers 3 (clv 40): with gamma 0.5
 *   nv_2 = 40 and each referrer gains a share of 0.5 * 40 = 20 on top. */
static void test_two_referrers_policies(void)
{
	rows r;
	init_rows(&r);
	float weight[64] = {1.0f, 2.0f, 1.0f};
	add(&r, 0, 2, 10, 4.0f);
	add(&r, 1, 2, 20, 6.0f);
	add(&r, 2, 3, 40, 0.0f);
	r.refs.weight = weight;
	int32_t acquired[4] = {0, 0, 30, 50};
	double clv[4] = {0, 0, 100, 40};
	rn_referral_params par;
	plain_params(&par, 0.5);
	const rn_attribution_policy pol[4] = {RN_ATTR_FIRST, RN_ATTR_LAST, RN_ATTR_EQUAL,
					      RN_ATTR_WEIGHT};
	const double crv0[4] = {90, 0, 45, 30}, crv1[4] = {0, 90, 45, 60};
	for (int i = 0; i < 4; i++) {
		rn_error err;
		rn_attribution a;
		rn_referral_value rv;
		CHECK_INT(rn_attribution_build(&a, 4, &r.refs, acquired, pol[i], &err), 0);
		CHECK_INT(rn_referral_value_compute(&rv, &a, clv, acquired, &par, 0, false, &err),
			  0);
		CHECK_NEAR(rv.crv[0], crv0[i], 1e-7 * 90.0);
		CHECK_NEAR(rv.crv[1], crv1[i], 1e-7 * 90.0);
		CHECK_NEAR(rv.network_value[0], crv0[i] * (1.0 + 20.0 / 90.0), 1e-7 * 110.0);
		CHECK_NEAR(rv.network_value[1], crv1[i] * (1.0 + 20.0 / 90.0), 1e-7 * 110.0);
		CHECK_NEAR(rv.network_value[0] + rv.network_value[1], 110.0, 1e-7 * 110.0);
		rn_referral_value_free(&rv);
		rn_attribution_free(&a);
	}
}

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return (a > b) - (a < b);
}

/* The median used for quadrant thresholds agrees with sorting, on random arrays with many
 * ties, for every size from 1 to 60. */
static void test_median_thresholds(void)
{
	uint64_t state = 12345;
	for (uint32_t n = 1; n <= 60; n++) {
		double clv[60], sorted[60];
		for (uint32_t i = 0; i < n; i++) {
			state = state * 6364136223846793005ull + 1442695040888963407ull;
			clv[i] = (double)((state >> 33) % 7); /* values 0..6: many ties */
			sorted[i] = clv[i];
		}
		qsort(sorted, n, sizeof *sorted, cmp_double);
		double want = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
		rn_referrals none = {0};
		rn_attribution a;
		rn_error err;
		CHECK_INT(rn_attribution_build(&a, n, &none, NULL, RN_ATTR_EQUAL, &err), 0);
		rn_referral_params par;
		plain_params(&par, 0.5);
		rn_referral_value rv;
		CHECK_INT(rn_referral_value_compute(&rv, &a, clv, NULL, &par, 0, false, &err), 0);
		CHECK_NEAR(rv.clv_threshold, want, 0);
		CHECK_NEAR(rv.crv_threshold, 0.0, 0);
		for (uint32_t i = 0; i < n; i++)
			CHECK_INT(rv.quadrant[i],
				  clv[i] >= want && clv[i] > 0 ? RN_QUAD_AFFLUENT : RN_QUAD_MISER);
		rn_referral_value_free(&rv);
		rn_attribution_free(&a);
	}
}

/* No customers at all: empty outputs, no error. */
static void test_empty(void)
{
	rn_referrals none = {0};
	rn_attribution a;
	rn_error err;
	CHECK_INT(rn_attribution_build(&a, 0, &none, NULL, RN_ATTR_EQUAL, &err), 0);
	rn_referral_params par;
	plain_params(&par, 0.5);
	rn_referral_value rv;
	double clv[1] = {0};
	CHECK_INT(rn_referral_value_compute(&rv, &a, clv, NULL, &par, 0, false, &err), 0);
	CHECK_INT(rv.n, 0);
	CHECK_NEAR(rv.clv_threshold, 0.0, 0);
	rn_referral_value_free(&rv);
	rn_attribution_free(&a);
}

static void test_mean_paid_cac(void)
{
	uint32_t campaign_of_spend[3] = {0, 1, 1};
	int32_t dates[3] = {1, 2, 3};
	double amount[3] = {100, 150, 50};
	rn_spend sp = {.count = 3, .campaign = campaign_of_spend, .date = dates, .amount = amount};
	uint32_t campaign[5] = {0, UINT32_MAX, 1, 1, UINT32_MAX};
	double cac;
	bool defined;
	rn_mean_paid_cac(&sp, 5, campaign, &cac, &defined);
	CHECK(defined);
	CHECK_NEAR(cac, 100.0, 0); /* 300 / 3 ad-acquired customers */
	rn_mean_paid_cac(NULL, 5, campaign, &cac, &defined);
	CHECK(!defined);
	CHECK_NEAR(cac, 0.0, 0);
	uint32_t none[2] = {UINT32_MAX, UINT32_MAX};
	rn_mean_paid_cac(&sp, 2, none, &cac, &defined);
	CHECK(!defined);
}

/* Same answer, bit for bit, on 1 and 2 threads, on a random graph with cycles. */
static void test_thread_determinism(void)
{
	enum { N = 20000, M = 40000 };
	rn_referrals refs = {0};
	refs.count = M;
	refs.referrer = malloc(M * sizeof(uint32_t));
	refs.referred = malloc(M * sizeof(uint32_t));
	double *clv = malloc(N * sizeof(double));
	uint64_t state = 7;
	for (uint32_t i = 0; i < M; i++) {
		state = state * 6364136223846793005ull + 1442695040888963407ull;
		refs.referrer[i] = (uint32_t)((state >> 33) % N);
		state = state * 6364136223846793005ull + 1442695040888963407ull;
		refs.referred[i] = (uint32_t)((state >> 33) % N);
	}
	for (uint32_t v = 0; v < N; v++)
		clv[v] = (double)(v % 97) * 1.25;
	rn_attribution a;
	rn_error err;
	CHECK_INT(rn_attribution_build(&a, N, &refs, NULL, RN_ATTR_EQUAL, &err), 0);
	rn_referral_params par;
	plain_params(&par, 0.9);
	rn_referral_value one, two;
	omp_set_num_threads(1);
	CHECK_INT(rn_referral_value_compute(&one, &a, clv, NULL, &par, 0, false, &err), 0);
	omp_set_num_threads(2);
	CHECK_INT(rn_referral_value_compute(&two, &a, clv, NULL, &par, 0, false, &err), 0);
	CHECK(memcmp(one.network_value, two.network_value, N * sizeof(double)) == 0);
	CHECK_INT(one.iterations, two.iterations);
	/* Residual of (I - gamma W) nv = W c, with W = A in float here (no dates): tiny. */
	double worst = 0.0;
	for (uint32_t u = 0; u < N; u++) {
		double rhs = 0.0;
		for (uint64_t e = a.offsets[u]; e < a.offsets[u + 1]; e++)
			rhs += (double)(float)a.share[e] * (one.contribution[a.referred[e]] +
							    0.9 * one.network_value[a.referred[e]]);
		worst = fmax(worst, fabs(rhs - one.network_value[u]));
	}
	double norm = 0.0;
	for (uint32_t u = 0; u < N; u++)
		norm += fabs(one.crv[u]);
	/* Inside the cycles the solver stops when a sweep changes nv by less than 1e-12 |crv|_1
	 * in L1; the remaining error is at most gamma / (1 - gamma) = 9 times that, and so is the
	 * residual of any one row: 1e-11 |crv|_1 bounds it. */
	CHECK(worst < 1e-11 * norm);
	CHECK(one.iterations > 1); /* this graph has cycles: they were iterated */
	rn_referral_value_free(&one);
	rn_referral_value_free(&two);
	rn_attribution_free(&a);
	free(refs.referrer);
	free(refs.referred);
	free(clv);
}

static void test_alloc_failures(void)
{
	rows r;
	init_rows(&r);
	add(&r, 0, 1, D, 0);
	add(&r, 1, 0, D, 0);
	double clv[2] = {10, 20};
	rn_error err;
	rn_attribution a;
	CHECK_INT(rn_attribution_build(&a, 2, &r.refs, NULL, RN_ATTR_FIRST, &err), 0);
	rn_referral_params par;
	plain_params(&par, 0.5);
	int failures = 0;
	for (uint64_t k = 1; k < 32; k++) {
		rn_referral_value rv;
		rn_alloc_fail_at(k, 0);
		int rc = rn_referral_value_compute(&rv, &a, clv, NULL, &par, 0, false, &err);
		rn_alloc_fail_at(0, 0);
		if (rc == RN_OK) {
			rn_referral_value_free(&rv);
			break;
		}
		CHECK_INT(rc, RN_ENOMEM);
		failures++;
	}
	CHECK(failures >= 6);
	rn_attribution_free(&a);
}

int main(void)
{
	test_single_referral();
	test_chain();
	test_cycle();
	test_two_referrers_policies();
	test_median_thresholds();
	test_empty();
	test_mean_paid_cac();
	test_thread_determinism();
	test_alloc_failures();
	return check_report();
}
