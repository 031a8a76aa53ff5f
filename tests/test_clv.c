/* test_clv.c - the RFM summary (DESIGN.md "BTYD conventions") on hand-made transactions, and
 * the three CLV models: column, historic (hand-computed present values) and bgnbd (the
 * grouped fast path against a direct evaluation of the CLV sum, thread independence). */
#include <refnet/value.h>

#include "btyd_data.h"
#include "check.h"

#include <gsl/gsl_errno.h>
#include <omp.h>

/* A small transactions table.  Day 0 is 2020-01-01 (days since 1970 = 18262). */
#define D0 18262
static uint32_t hand_customer[] = {0, 1, 0, 0, 0, 3, 1, 0, 4, 4};
static int32_t hand_date[] = {D0, D0 + 3, D0, D0 + 7, D0 + 14, D0 + 40, D0 + 3, D0 + 14,
			      D0 + 1, D0 + 1};
static double hand_amount[] = {10, 8, 5, 20, 30, 50, 2, 4, 6, 7};
static double hand_margin[] = {2, 1, 1, 5, 6, 9, 1, 1, 3, 3};

static rn_transactions hand_tx(int with_margin)
{
	rn_transactions tx;
	memset(&tx, 0, sizeof tx);
	tx.count = sizeof hand_customer / sizeof hand_customer[0];
	tx.customer = hand_customer;
	tx.date = hand_date;
	tx.amount = hand_amount;
	tx.margin = with_margin ? hand_margin : NULL;
	return tx;
}

static void test_rfm(void)
{
	/* Customers: 0 buys on days 0 (10 + 5, one purchase), 7 (20), 14 (30 + 4, one
	 * purchase); 1 buys twice on day 3 (8 + 2: one purchase, no repeat); 2 never buys;
	 * 3 buys on day 40, after the calibration end (day 30); 4 buys twice on day 1. */
	rn_transactions tx = hand_tx(0);
	rn_rfm rfm;
	rn_error err;
	rn_rfm_options opt = {RN_TIME_WEEK, D0 + 30, 0.5};
	CHECK_INT(rn_rfm_compute(&rfm, 5, &tx, &opt, &err), RN_OK);
	CHECK_INT(rfm.customers_with_rfm, 3);
	CHECK_INT(rfm.repeat_buyers, 1);
	CHECK_INT(rfm.transactions_used, 9);
	CHECK_INT(rfm.transactions_after_end, 1);
	CHECK_INT(rfm.has_rfm[0], 1);
	CHECK_INT(rfm.x[0], 2);
	CHECK_NEAR(rfm.t_x[0], 2.0, 1e-15);
	CHECK_NEAR(rfm.T[0], 30.0 / 7.0, 1e-15);
	/* Mean of the repeat purchases (20 and 34) times the margin share 0.5. */
	CHECK_NEAR(rfm.monetary[0], 0.5 * (20.0 + 34.0) / 2.0, 1e-12);
	CHECK_NEAR(rfm.first_value[0], 0.5 * 15.0, 1e-12);
	CHECK_INT(rfm.first[0], D0);
	CHECK_INT(rfm.x[1], 0);
	CHECK_NEAR(rfm.t_x[1], 0.0, 0.0);
	CHECK_NEAR(rfm.T[1], 27.0 / 7.0, 1e-15);
	CHECK_NEAR(rfm.monetary[1], 0.0, 0.0);
	CHECK_NEAR(rfm.first_value[1], 5.0, 1e-12);
	CHECK_INT(rfm.has_rfm[2], 0);
	CHECK_INT(rfm.first[2], RN_DATE_NONE);
	CHECK_INT(rfm.has_rfm[3], 0);
	CHECK_INT(rfm.x[4], 0);
	rn_rfm_free(&rfm);

	/* Margin column: values are margins; months of 365.25/12 days; default calibration
	 * end = last transaction (day 40), so customer 3 now has an RFM. */
	tx = hand_tx(1);
	rn_rfm_options mopt = {RN_TIME_MONTH, RN_DATE_NONE, 0.5};
	CHECK_INT(rn_rfm_compute(&rfm, 5, &tx, &mopt, &err), RN_OK);
	CHECK_INT(rfm.calibration_end, D0 + 40);
	CHECK_INT(rfm.customers_with_rfm, 4);
	CHECK_NEAR(rfm.monetary[0], (5.0 + 7.0) / 2.0, 1e-12);
	CHECK_NEAR(rfm.t_x[0], 14.0 / (365.25 / 12.0), 1e-15);
	CHECK_NEAR(rfm.T[0], 40.0 / (365.25 / 12.0), 1e-15);
	CHECK_INT(rfm.has_rfm[3], 1);
	CHECK_NEAR(rfm.T[3], 0.0, 0.0);
	rn_rfm_free(&rfm);

	/* Days. */
	rn_rfm_options dopt = {RN_TIME_DAY, D0 + 30, 1.0};
	tx = hand_tx(0);
	CHECK_INT(rn_rfm_compute(&rfm, 5, &tx, &dopt, &err), RN_OK);
	CHECK_NEAR(rfm.t_x[0], 14.0, 0.0);
	CHECK_NEAR(rfm.T[0], 30.0, 0.0);
	rn_rfm_free(&rfm);

	/* Errors. */
	CHECK_INT(rn_rfm_compute(&rfm, 4, &tx, &dopt, &err), RN_EDATA);
	CHECK_CONTAINS(err.message, "transaction 9 names customer index 4, but there are 4");
	rn_rfm_free(&rfm);
	CHECK_INT(rn_rfm_compute(&rfm, 0, &tx, &dopt, &err), RN_EDATA);
	rn_rfm_options early = {RN_TIME_DAY, D0 - 1, 1.0};
	CHECK_INT(rn_rfm_compute(&rfm, 5, &tx, &early, &err), RN_EDATA);
	CHECK_CONTAINS(err.message, "no transaction on or before the calibration end 2019-12-31");
	rn_transactions empty;
	memset(&empty, 0, sizeof empty);
	CHECK_INT(rn_rfm_compute(&rfm, 5, &empty, &dopt, &err), RN_EDATA);
	CHECK_CONTAINS(err.message, "no transactions");
	double nan_amount[10];
	memcpy(nan_amount, hand_amount, sizeof nan_amount);
	nan_amount[3] = NAN;
	tx.amount = nan_amount;
	CHECK_INT(rn_rfm_compute(&rfm, 5, &tx, &dopt, &err), RN_EDATA);
	CHECK_CONTAINS(err.message, "transaction 4 has a non-finite amount");
	rn_rfm_options bad_unit = {(rn_time_unit)7, RN_DATE_NONE, 1.0};
	tx = hand_tx(0);
	CHECK_INT(rn_rfm_compute(&rfm, 5, &tx, &bad_unit, &err), RN_ECONFIG);
}

static void test_column_and_historic(void)
{
	rn_clv_options opt;
	rn_clv_options_default(&opt);
	CHECK_INT(opt.model, RN_CLV_HISTORIC);
	CHECK_INT(opt.time_unit, RN_TIME_WEEK);
	CHECK_NEAR(opt.horizon, 52.0, 0.0);
	CHECK_NEAR(opt.discount_rate, 0.10, 0.0);
	rn_clv_result res;
	rn_error err;

	/* column: the values as given; missing column and NaN are errors. */
	double col[3] = {1.5, 0.0, -2.0};
	opt.model = RN_CLV_COLUMN;
	CHECK_INT(rn_clv_compute(&res, 3, NULL, col, &opt, &err), RN_OK);
	CHECK_NEAR(res.clv[0], 1.5, 0.0);
	CHECK_NEAR(res.clv[2], -2.0, 0.0);
	CHECK_INT(res.has_value[1], 1);
	rn_clv_result_free(&res);
	CHECK_INT(rn_clv_compute(&res, 3, NULL, NULL, &opt, &err), RN_ECONFIG);
	CHECK_CONTAINS(err.message, "no clv column");
	rn_clv_result_free(&res);
	col[1] = NAN;
	CHECK_INT(rn_clv_compute(&res, 3, NULL, col, &opt, &err), RN_EDATA);
	rn_clv_result_free(&res);

	/* historic: present value at the first purchase, 10 % a year over 365.25 days.
	 * Customer 0 (margin share 0.5): 0.5 * (15 + 20 * 1.1^(-7/365.25) + 34 *
	 * 1.1^(-14/365.25)), computed here with pow() rather than the library's exp/log1p. */
	rn_transactions tx = hand_tx(0);
	opt.model = RN_CLV_HISTORIC;
	opt.margin = 0.5;
	opt.calibration_end = D0 + 30;
	CHECK_INT(rn_clv_compute(&res, 5, &tx, NULL, &opt, &err), RN_OK);
	double want0 = 0.5 * (15.0 + 20.0 * pow(1.1, -7.0 / 365.25) + 34.0 * pow(1.1, -14.0 / 365.25));
	CHECK_NEAR(res.clv[0], want0, 1e-12);
	CHECK_NEAR(res.clv[1], 0.5 * 10.0, 1e-12);
	CHECK_NEAR(res.clv[2], 0.0, 0.0);
	CHECK_INT(res.has_value[2], 0);
	CHECK_INT(res.has_value[3], 0); /* bought only after the calibration end */
	CHECK_INT(res.customers_without_value, 2);
	CHECK(res.expected_purchases == NULL);
	rn_clv_result_free(&res);
	/* With the margin column the margins are used, whatever value.margin says. */
	tx = hand_tx(1);
	CHECK_INT(rn_clv_compute(&res, 5, &tx, NULL, &opt, &err), RN_OK);
	CHECK_NEAR(res.clv[0], 3.0 + 5.0 * pow(1.1, -7.0 / 365.25) + 7.0 * pow(1.1, -14.0 / 365.25),
		   1e-12);
	rn_clv_result_free(&res);
	/* Undiscounted when the rate is 0. */
	opt.discount_rate = 0.0;
	CHECK_INT(rn_clv_compute(&res, 5, &tx, NULL, &opt, &err), RN_OK);
	CHECK_NEAR(res.clv[0], 15.0, 1e-12);
	rn_clv_result_free(&res);

	/* Option and data errors. */
	opt.horizon = 0.0;
	CHECK_INT(rn_clv_compute(&res, 5, &tx, NULL, &opt, &err), RN_ECONFIG);
	CHECK_CONTAINS(err.message, "value.horizon");
	rn_clv_result_free(&res);
	opt.horizon = 52.0;
	opt.discount_rate = -0.1;
	CHECK_INT(rn_clv_compute(&res, 5, &tx, NULL, &opt, &err), RN_ECONFIG);
	rn_clv_result_free(&res);
	opt.discount_rate = 0.1;
	opt.model = RN_CLV_BGNBD;
	rn_transactions none;
	memset(&none, 0, sizeof none);
	CHECK_INT(rn_clv_compute(&res, 5, &none, NULL, &opt, &err), RN_EDATA);
	CHECK_CONTAINS(err.message, "value.model 'bgnbd' needs transactions, and there are none");
	rn_clv_result_free(&res);
	/* bgnbd on the hand data: 3 customers, too few for 4 parameters. */
	CHECK_INT(rn_clv_compute(&res, 5, &tx, NULL, &opt, &err), RN_EDATA);
	CHECK_CONTAINS(err.message, "too few customers (3)");
	rn_clv_result_free(&res);

	/* Names. */
	rn_clv_model m;
	rn_time_unit u;
	CHECK_INT(rn_clv_model_parse("bgnbd", &m), 0);
	CHECK_INT(m, RN_CLV_BGNBD);
	CHECK_INT(rn_clv_model_parse("pareto", &m), -1);
	CHECK_INT(rn_time_unit_parse("month", &u), 0);
	CHECK_STR(rn_time_unit_name(u), "month");
	CHECK_STR(rn_clv_model_name(RN_CLV_COLUMN), "column");
}

/* The CLV sum evaluated directly, per customer, from eq. 10 at each period end. */
static double clv_direct(const rn_clv_result *res, uint32_t c, double horizon, double rate,
			 double per_year)
{
	const rn_rfm *rfm = &res->rfm;
	double prev = 0.0, sum = 0.0;
	for (int k = 1; (double)k < horizon + 1.0 - 1e-9; k++) {
		double t = (double)k < horizon ? (double)k : horizon, e = 0.0;
		CHECK_INT(rn_bgnbd_expected(&res->bgnbd.params, rfm->x[c], rfm->t_x[c], rfm->T[c], t,
					    &e),
			  RN_OK);
		sum += (e - prev) / pow(1.0 + rate, t / per_year);
		prev = e;
	}
	return sum * rn_gamma_gamma_expected(&res->gamma_gamma.params, rfm->x[c],
					     rfm->monetary[c]);
}

static void test_bgnbd_clv(void)
{
	rn_transactions tx;
	uint32_t n = 0;
	CHECK_INT(cdnow_load(&tx, &n), 0);
	if (n == 0)
		return;
	/* One extra customer index without transactions: no value, no NaN. */
	n += 1;
	rn_clv_options opt;
	rn_clv_options_default(&opt);
	opt.model = RN_CLV_BGNBD;
	opt.calibration_end = civil_days(1997, 9, 30);
	opt.horizon = 52.5; /* a partial last period */
	opt.discount_rate = 0.10;
	rn_clv_result res;
	rn_error err;
	omp_set_num_threads(2);
	CHECK_INT(rn_clv_compute(&res, n, &tx, NULL, &opt, &err), RN_OK);
	CHECK_NEAR(res.bgnbd.params.r / 0.243, 1.0, 0.01);
	CHECK_NEAR(res.gamma_gamma.params.p / 6.25, 1.0, 0.01);
	CHECK_INT(res.customers_without_value, 1);
	CHECK_INT(res.has_value[n - 1], 0);
	CHECK_NEAR(res.clv[n - 1], 0.0, 0.0);
	int finite = 1;
	for (uint32_t c = 0; c < n; c++)
		if (!isfinite(res.clv[c]) || !isfinite(res.p_alive[c]) ||
		    !isfinite(res.expected_purchases[c]) || !isfinite(res.expected_spend[c]))
			finite = 0;
	CHECK(finite);
	/* The grouped fast path against the direct sum, for a spread of customers; 1e-10
	 * relative covers the summation order only. */
	const double per_year = 365.25 / 7.0;
	for (uint32_t c = 0; c < n - 1; c += 97) {
		double want = clv_direct(&res, c, 52.5, 0.10, per_year);
		CHECK_NEAR(res.clv[c], want, 1e-10 * fabs(want) + 1e-13);
		double e = 0.0;
		CHECK_INT(rn_bgnbd_expected(&res.bgnbd.params, res.rfm.x[c], res.rfm.t_x[c],
					    res.rfm.T[c], 52.5, &e),
			  RN_OK);
		CHECK_NEAR(res.expected_purchases[c], e, 1e-12 * e + 1e-15);
		CHECK_NEAR(res.p_alive[c], rn_bgnbd_p_alive(&res.bgnbd.params, res.rfm.x[c],
							    res.rfm.t_x[c], res.rfm.T[c]),
			   0.0);
	}
	/* Customer 1 (x = 2, t_x = 30.43, T = 38.86): a hand-checkable chain of the pieces. */
	CHECK_NEAR(res.clv[0],
		   clv_direct(&res, 0, 52.5, 0.10, per_year), 1e-10 * res.clv[0]);
	fprintf(stderr, "CDNOW customer 1: P(alive)=%.6f E[X(52.5)]=%.6f E[M]=%.4f clv=%.4f\n",
		res.p_alive[0], res.expected_purchases[0], res.expected_spend[0], res.clv[0]);

	/* No discounting: CLV = E[X(H)] E[M] exactly (the increments telescope). */
	rn_clv_result flat;
	opt.discount_rate = 0.0;
	CHECK_INT(rn_clv_compute(&flat, n, &tx, NULL, &opt, &err), RN_OK);
	for (uint32_t c = 0; c < n - 1; c += 131)
		CHECK_NEAR(flat.clv[c], flat.expected_purchases[c] * flat.expected_spend[c],
			   1e-10 * flat.clv[c] + 1e-13);
	/* Discounting lowers every value. */
	int lower = 1;
	for (uint32_t c = 0; c < n - 1; c++)
		if (!(res.clv[c] < flat.clv[c]))
			lower = 0;
	CHECK(lower);
	rn_clv_result_free(&flat);

	/* One thread gives the same bits as two. */
	omp_set_num_threads(1);
	opt.discount_rate = 0.10;
	rn_clv_result one;
	CHECK_INT(rn_clv_compute(&one, n, &tx, NULL, &opt, &err), RN_OK);
	omp_set_num_threads(2);
	CHECK(memcmp(one.clv, res.clv, n * sizeof *res.clv) == 0);
	CHECK(memcmp(one.p_alive, res.p_alive, n * sizeof *res.p_alive) == 0);
	rn_clv_result_free(&one);
	rn_clv_result_free(&res);

	/* No repeat buyers in the calibration period: a clear error.  Calibrate on the first
	 * day only (1997-01-01): everyone seen then has x = 0. */
	opt.calibration_end = civil_days(1997, 1, 1);
	CHECK_INT(rn_clv_compute(&res, n, &tx, NULL, &opt, &err), RN_EDATA);
	CHECK_CONTAINS(err.message, "no customer made a repeat purchase");
	rn_clv_result_free(&res);
	cdnow_free(&tx);
}

static void test_simulated_threads(void)
{
	/* 100,000 simulated customers: large enough that every parallel loop (RFM, likelihood
	 * blocks, group sums, per-customer predictions) really runs on two threads; the
	 * results must be the same bits as with one. */
	const rn_bgnbd_params bp = {0.25, 4.0, 0.8, 2.5};
	const rn_gamma_gamma_params gp = {6.0, 4.0, 15.0};
	rn_transactions tx;
	const uint32_t n = 100000;
	CHECK_INT(simulate_transactions(&tx, n, 99, &bp, &gp), 0);
	rn_clv_options opt;
	rn_clv_options_default(&opt);
	opt.model = RN_CLV_BGNBD;
	opt.calibration_end = civil_days(1997, 12, 31);
	rn_clv_result one, two;
	rn_error err;
	omp_set_num_threads(1);
	CHECK_INT(rn_clv_compute(&one, n, &tx, NULL, &opt, &err), RN_OK);
	omp_set_num_threads(2);
	CHECK_INT(rn_clv_compute(&two, n, &tx, NULL, &opt, &err), RN_OK);
	CHECK(memcmp(&one.bgnbd.params, &two.bgnbd.params, sizeof one.bgnbd.params) == 0);
	CHECK(memcmp(&one.gamma_gamma.params, &two.gamma_gamma.params,
		     sizeof one.gamma_gamma.params) == 0);
	CHECK(memcmp(one.clv, two.clv, n * sizeof *one.clv) == 0);
	CHECK(memcmp(one.expected_purchases, two.expected_purchases,
		     n * sizeof *one.expected_purchases) == 0);
	CHECK(memcmp(one.rfm.monetary, two.rfm.monetary, n * sizeof *one.rfm.monetary) == 0);
	CHECK_INT(one.customers_without_value, 0);
	/* Day resolution: far fewer likelihood groups than customers. */
	CHECK(one.bgnbd.groups < n / 2);
	/* The simulation's truth is recovered: BG/NBD within 3 standard errors (purchases are
	 * dated so that none merges), and q within 10 %. */
	CHECK_NEAR(one.bgnbd.params.r, bp.r, 3 * one.bgnbd.se.r);
	CHECK_NEAR(one.bgnbd.params.alpha, bp.alpha, 3 * one.bgnbd.se.alpha);
	CHECK_NEAR(one.bgnbd.params.a, bp.a, 3 * one.bgnbd.se.a);
	CHECK_NEAR(one.bgnbd.params.b, bp.b, 3 * one.bgnbd.se.b);
	CHECK_NEAR(one.gamma_gamma.params.q / gp.q, 1.0, 0.1);
	fprintf(stderr, "simulated 1e5: groups %llu, r=%.4f alpha=%.4f a=%.4f b=%.4f p=%.3f "
			"q=%.3f v=%.3f; rfm %.3fs fit %.3fs predict %.3fs\n",
		(unsigned long long)one.bgnbd.groups, one.bgnbd.params.r, one.bgnbd.params.alpha,
		one.bgnbd.params.a, one.bgnbd.params.b, one.gamma_gamma.params.p,
		one.gamma_gamma.params.q, one.gamma_gamma.params.v, two.seconds_rfm,
		two.seconds_fit, two.seconds_predict);
	rn_clv_result_free(&one);
	rn_clv_result_free(&two);
	cdnow_free(&tx);
}

static void test_alloc_failures(void)
{
	/* Every allocation on the historic and RFM paths can fail and is reported. */
	rn_transactions tx = hand_tx(0);
	rn_clv_options opt;
	rn_clv_options_default(&opt);
	opt.calibration_end = D0 + 30;
	rn_error err;
	int failures = 0, successes = 0;
	for (uint64_t k = 1; k < 40; k++) {
		rn_clv_result res;
		rn_alloc_fail_at(k, 0);
		int rc = rn_clv_compute(&res, 5, &tx, NULL, &opt, &err);
		rn_alloc_fail_at(0, 0);
		if (rc == RN_ENOMEM)
			failures++;
		else if (rc == RN_OK)
			successes++;
		rn_clv_result_free(&res);
	}
	CHECK(failures > 5);
	CHECK(failures + successes == 39);

	/* The bgnbd path: count its allocations on a small simulated set, then fail each one
	 * in turn; every failure must come back as RN_ENOMEM (the sanitizer build checks that
	 * nothing leaks). */
	const rn_bgnbd_params bp = {0.25, 4.0, 0.8, 2.5};
	const rn_gamma_gamma_params gp = {6.0, 4.0, 15.0};
	rn_transactions sim;
	CHECK_INT(simulate_transactions(&sim, 300, 5, &bp, &gp), 0);
	opt.model = RN_CLV_BGNBD;
	opt.calibration_end = civil_days(1997, 12, 31);
	rn_clv_result res;
	rn_alloc_fail_at(UINT64_MAX, 0);
	CHECK_INT(rn_clv_compute(&res, 300, &sim, NULL, &opt, &err), RN_OK);
	uint64_t allocations = rn_alloc_count();
	rn_alloc_fail_at(0, 0);
	rn_clv_result_free(&res);
	CHECK(allocations > 20);
	int all_reported = 1;
	for (uint64_t k = 1; k <= allocations; k++) {
		rn_alloc_fail_at(k, 0);
		int rc = rn_clv_compute(&res, 300, &sim, NULL, &opt, &err);
		rn_alloc_fail_at(0, 0);
		if (rc != RN_ENOMEM) {
			all_reported = 0;
			fprintf(stderr, "allocation %llu of %llu: status %d\n", (unsigned long long)k,
				(unsigned long long)allocations, rc);
		}
		rn_clv_result_free(&res);
	}
	CHECK(all_reported);
	cdnow_free(&sim);
}

int main(void)
{
	gsl_set_error_handler_off();
	test_rfm();
	test_column_and_historic();
	test_bgnbd_clv();
	test_simulated_threads();
	test_alloc_failures();
	return check_report();
}
