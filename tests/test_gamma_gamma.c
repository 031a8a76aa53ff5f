/* test_gamma_gamma.c - the Gamma-Gamma spend model: the published CDNOW estimates, parameter
 * recovery on simulated spend, the density and E[M] against numerical integrals, errors. */
#include <refnet/value.h>

#include "btyd_data.h"
#include "check.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <omp.h>

static void test_cdnow(void)
{
	rn_transactions tx;
	uint32_t n = 0;
	CHECK_INT(cdnow_load(&tx, &n), 0);
	if (n == 0)
		return;
	rn_rfm rfm;
	rn_error err;
	rn_rfm_options opt = {RN_TIME_WEEK, civil_days(1997, 9, 30), 1.0};
	CHECK_INT(rn_rfm_compute(&rfm, n, &tx, &opt, &err), RN_OK);
	/* Customer 1: repeat purchases of $29.73 and $14.96 in the calibration period (the
	 * first, $29.33, is excluded; the 1997-12-12 purchase is after it). */
	CHECK_NEAR(rfm.monetary[0], (29.73 + 14.96) / 2.0, 1e-12);
	CHECK_NEAR(rfm.first_value[0], 29.33, 1e-12);
	rn_gamma_gamma_fit fit;
	CHECK_INT(rn_gamma_gamma_fit_data(&fit, n, rfm.x, rfm.monetary, &err), RN_OK);
	fprintf(stderr, "CDNOW Gamma-Gamma: p=%.6f (se %.4f) q=%.6f (se %.4f) v=%.6f (se %.4f) "
			"LL=%.4f customers=%llu\n",
		fit.params.p, fit.se.p, fit.params.q, fit.se.q, fit.params.v, fit.se.v, fit.loglik,
		(unsigned long long)fit.customers);
	CHECK_INT(fit.customers, 946);
	/* Acceptance: within 1 % of Fader & Hardie's p = 6.25, q = 3.74, gamma = 15.44. */
	CHECK_NEAR(fit.params.p / 6.25, 1.0, 0.01);
	CHECK_NEAR(fit.params.q / 3.74, 1.0, 0.01);
	CHECK_NEAR(fit.params.v / 15.44, 1.0, 0.01);
	CHECK(fit.se.p > 0.0 && fit.se.q > 0.0 && fit.se.v > 0.0);
	/* Thread-count independence, bit for bit. */
	omp_set_num_threads(1);
	rn_gamma_gamma_fit one;
	CHECK_INT(rn_gamma_gamma_fit_data(&one, n, rfm.x, rfm.monetary, &err), RN_OK);
	omp_set_num_threads(2);
	rn_gamma_gamma_fit two;
	CHECK_INT(rn_gamma_gamma_fit_data(&two, n, rfm.x, rfm.monetary, &err), RN_OK);
	CHECK(memcmp(&one.params, &two.params, sizeof one.params) == 0);
	CHECK(one.loglik == two.loglik);
	/* E[M] shrinks the observed mean towards the population mean p v / (q - 1) (Fader &
	 * Hardie 2013): it lies between the two, and more weight goes to the observed mean
	 * as x grows. */
	double pop = fit.params.p * fit.params.v / (fit.params.q - 1.0);
	CHECK_NEAR(rn_gamma_gamma_expected(&fit.params, 0, 0.0), pop, 1e-12);
	double e1 = rn_gamma_gamma_expected(&fit.params, 1, 100.0);
	double e5 = rn_gamma_gamma_expected(&fit.params, 5, 100.0);
	CHECK(pop < e1 && e1 < e5 && e5 < 100.0);
	rn_rfm_free(&rfm);
	cdnow_free(&tx);
}

static void test_recovery(void)
{
	/* 5,000 repeat buyers with x uniform on 1..10; each customer's rate nu ~ Gamma(q,
	 * gamma), each purchase z ~ Gamma(p, nu).  Each estimate within 3 of its standard
	 * errors (probability 0.997 each under asymptotic normality; fixed seed, so
	 * deterministic), and the SEs small enough to make that a real constraint. */
	const rn_gamma_gamma_params truth = {6.0, 4.0, 15.0};
	const size_t count = 5000;
	uint32_t *x = malloc(count * sizeof *x);
	double *mbar = malloc(count * sizeof *mbar);
	test_rng g = {777};
	for (size_t i = 0; i < count; i++) {
		x[i] = 1 + (uint32_t)(rng_uniform(&g) * 10.0);
		double nu = rng_gamma(&g, truth.q) / truth.v;
		double sum = 0.0;
		for (uint32_t k = 0; k < x[i]; k++)
			sum += rng_gamma(&g, truth.p) / nu;
		mbar[i] = sum / x[i];
	}
	rn_gamma_gamma_fit fit;
	rn_error err;
	CHECK_INT(rn_gamma_gamma_fit_data(&fit, count, x, mbar, &err), RN_OK);
	fprintf(stderr, "recovery Gamma-Gamma: p=%.4f±%.4f q=%.4f±%.4f v=%.4f±%.4f\n",
		fit.params.p, fit.se.p, fit.params.q, fit.se.q, fit.params.v, fit.se.v);
	CHECK(fabs(fit.params.p - truth.p) <= 3.0 * fit.se.p);
	CHECK(fabs(fit.params.q - truth.q) <= 3.0 * fit.se.q);
	CHECK(fabs(fit.params.v - truth.v) <= 3.0 * fit.se.v);
	/* Bounds at about twice the standard errors seen for this design, so a broken Hessian
	 * (huge SEs) cannot make the 3-SE checks pass. */
	CHECK(fit.se.p < 0.25 * truth.p && fit.se.q < 0.1 * truth.q && fit.se.v < 0.3 * truth.v);
	free(x);
	free(mbar);
}

typedef struct gg_integrand {
	double p, q, v, x, m;
	int with_mean; /* 1: times E[M | nu] = p / nu */
} gg_integrand;

/* f(mbar | nu) Gamma(q, gamma)(nu): mbar given nu is the mean of x Gamma(p, nu) draws, i.e.
 * Gamma(p x, nu x) (Fader & Hardie 2013, sec. 2). */
static double f_nu(double nu, void *vp)
{
	const gg_integrand *c = vp;
	if (nu <= 0.0)
		return 0.0;
	double px = c->p * c->x, rate = nu * c->x;
	double log_f = px * log(rate) + (px - 1.0) * log(c->m) - rate * c->m - lgamma(px);
	double log_g = c->q * log(c->v) + (c->q - 1.0) * log(nu) - c->v * nu - lgamma(c->q);
	return exp(log_f + log_g) * (c->with_mean ? c->p / nu : 1.0);
}

static double integrate_nu(gg_integrand *c)
{
	gsl_integration_workspace *w = gsl_integration_workspace_alloc(2000);
	gsl_function fn = {f_nu, c};
	double result = 0.0, abserr = 0.0;
	int status = gsl_integration_qagiu(&fn, 0.0, 0.0, 1e-11, 2000, w, &result, &abserr);
	/* As in test_bgnbd: GSL's roundoff stop is fine below 1e-9 relative error. */
	CHECK(status == GSL_SUCCESS || (status == GSL_EROUND && abserr <= 1e-9 * fabs(result)));
	gsl_integration_workspace_free(w);
	return result;
}

static void test_hand_values(void)
{
	/* Density (eq. 4) and E[M] (eq. 5) against quadrature over nu; 1e-8 relative. */
	const rn_gamma_gamma_params ps[2] = {{6.25, 3.74, 15.44}, {1.5, 2.5, 3.0}};
	const double cases[4][2] = {{1, 29.73}, {2, 22.345}, {7, 5.0}, {20, 100.0}};
	for (int i = 0; i < 2; i++)
		for (int k = 0; k < 4; k++) {
			gg_integrand c = {ps[i].p, ps[i].q, ps[i].v, cases[k][0], cases[k][1], 0};
			double dens = integrate_nu(&c);
			CHECK_NEAR(rn_gamma_gamma_loglik(&ps[i], (uint32_t)cases[k][0], cases[k][1]),
				   log(dens), 1e-8);
			c.with_mean = 1;
			double mean = integrate_nu(&c) / dens;
			CHECK_NEAR(rn_gamma_gamma_expected(&ps[i], (uint32_t)cases[k][0],
							   cases[k][1]) / mean,
				   1.0, 1e-8);
		}
	/* Hand value: p = 1, q = 1, gamma = 1, x = 1, mbar = 1:
	 * Gamma(2)/(Gamma(1) Gamma(1)) * 1 * 1 * 1 / 2^2 = 1/4. */
	rn_gamma_gamma_params unit = {1.0, 1.0, 1.0};
	CHECK_NEAR(rn_gamma_gamma_loglik(&unit, 1, 1.0), log(0.25), 1e-15);
}

static void test_errors(void)
{
	rn_gamma_gamma_fit fit;
	rn_error err;
	uint32_t x[4] = {0, 2, 0, 1};
	double m[4] = {0, 10, 0, 12};
	CHECK_INT(rn_gamma_gamma_fit_data(&fit, 4, x, m, &err), RN_EDATA);
	CHECK_CONTAINS(err.message, "2 repeat buyers");
	uint32_t x0[3] = {0, 0, 0};
	CHECK_INT(rn_gamma_gamma_fit_data(&fit, 3, x0, m, &err), RN_EDATA);
	CHECK_CONTAINS(err.message, "0 repeat buyers");
	uint32_t x3[4] = {1, 2, 3, 1};
	double bad[4] = {10, -5, 3, 4};
	CHECK_INT(rn_gamma_gamma_fit_data(&fit, 4, x3, bad, &err), RN_EDATA);
	CHECK_CONTAINS(err.message, "customer 2 has a mean repeat purchase value of -5");
	/* Every buyer spends the same: no spread to identify the mixing, the fit must fail
	 * with a message, not return numbers. */
	uint32_t xs[10];
	double same[10];
	for (int i = 0; i < 10; i++) {
		xs[i] = 3;
		same[i] = 20.0;
	}
	CHECK_INT(rn_gamma_gamma_fit_data(&fit, 10, xs, same, &err), RN_EDATA);
	fprintf(stderr, "degenerate spend fit: %s\n", err.message);
}

int main(void)
{
	gsl_set_error_handler_off();
	test_cdnow();
	test_recovery();
	test_hand_values();
	test_errors();
	return check_report();
}
