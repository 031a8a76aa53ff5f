/*
 * gamma_gamma.c - the Gamma-Gamma model of spend per purchase (Fader, Hardie & Lee 2005, "RFM
 * and CLV: using iso-value curves for customer base analysis", JMR 42(4); Fader & Hardie 2013,
 * note "The Gamma-Gamma model of monetary value").
 *
 * Each purchase value z ~ Gamma(p, nu) with nu ~ Gamma(q, gamma) across customers; a repeat
 * buyer contributes the mean mbar of their x repeat purchases.  We call gamma "v" (as in
 * DESIGN.md's models.gamma_gamma.{p, q, v}) to avoid the C function name.
 *
 * The likelihood has no sufficient-statistic shortcut (mbar is continuous), but everything
 * that depends on x alone is computed once per distinct x and log(mbar), log(x) once per fit,
 * so an evaluation costs one logarithm per repeat buyer.  Same fixed-block summation as the
 * BG/NBD fit: thread-count independent.
 */
#include <refnet/value.h>

#include "btyd_internal.h"

#include <gsl/gsl_sf_psi.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

double rn_gamma_gamma_loglik(const rn_gamma_gamma_params *p, uint32_t x, double mbar)
{
	/* Fader & Hardie 2013 eq. 4: f(mbar | p, q, gamma; x) =
	 *   Gamma(px+q) / (Gamma(px) Gamma(q)) gamma^q mbar^(px-1) x^(px) / (gamma + mbar x)^(px+q) */
	double xd = (double)x, px = p->p * xd;
	return lgamma(px + p->q) - lgamma(px) - lgamma(p->q) + p->q * log(p->v) +
	       (px - 1.0) * log(mbar) + px * log(xd) - (px + p->q) * log(p->v + mbar * xd);
}

double rn_gamma_gamma_expected(const rn_gamma_gamma_params *p, uint32_t x, double mbar)
{
	/* Fader & Hardie 2013 eq. 5: E(M | p, q, gamma, mbar, x) =
	 *   (gamma + mbar x) p / (p x + q - 1), a weighted mean of the population mean
	 *   p gamma / (q - 1) and the observed mbar.  x = 0 gives the population mean. */
	double xd = (double)x;
	return (p->v + mbar * xd) * p->p / (p->p * xd + p->q - 1.0);
}

typedef struct gg_data {
	uint64_t count;
	uint32_t *x_slot;
	double *log_m, *m; /* log(mbar), mbar */
	uint32_t distinct_x;
	double *x_values;
	double *x_terms;   /* distinct_x * 4 */
	double *block_sums;
	uint64_t blocks;
} gg_data;

static void gg_eval(void *vctx, const double *params, double *loglik, double *grad)
{
	gg_data *d = vctx;
	const double p = params[0], q = params[1], v = params[2];
	const double lg_q = lgamma(q), psi_q = gsl_sf_psi(q), log_v = log(v);
	for (uint32_t k = 0; k < d->distinct_x; k++) {
		double xd = d->x_values[k], px = p * xd;
		double *t = d->x_terms + 4 * (size_t)k;
		double psi_pxq = gsl_sf_psi(px + q);
		t[0] = lgamma(px + q) - lgamma(px) - lg_q + q * log_v + px * log(xd);
		t[1] = xd * (psi_pxq - gsl_sf_psi(px) + log(xd)); /* d/dp without mbar terms */
		t[2] = psi_pxq - psi_q + log_v;                   /* d/dq without mbar terms */
		t[3] = xd;
	}
#pragma omp parallel for schedule(static) if (d->blocks > 1)
	for (int64_t blk = 0; blk < (int64_t)d->blocks; blk++) {
		uint64_t lo = (uint64_t)blk * RN_BTYD_BLOCK;
		uint64_t hi = lo + RN_BTYD_BLOCK < d->count ? lo + RN_BTYD_BLOCK : d->count;
		double s_ll = 0.0, s_p = 0.0, s_q = 0.0, s_v = 0.0;
		for (uint64_t i = lo; i < hi; i++) {
			const double *t = d->x_terms + 4 * (size_t)d->x_slot[i];
			double xd = t[3], px = p * xd, lm = d->log_m[i];
			double log_den = log(v + d->m[i] * xd);
			s_ll += t[0] + (px - 1.0) * lm - (px + q) * log_den;
			s_p += t[1] + xd * (lm - log_den);
			s_q += t[2] - log_den;
			s_v += q / v - (px + q) / (v + d->m[i] * xd);
		}
		double *out = d->block_sums + 4 * (size_t)blk;
		out[0] = s_ll;
		out[1] = s_p;
		out[2] = s_q;
		out[3] = s_v;
	}
	double sum[4] = {0, 0, 0, 0};
	for (uint64_t blk = 0; blk < d->blocks; blk++)
		for (int i = 0; i < 4; i++)
			sum[i] += d->block_sums[4 * blk + (uint64_t)i];
	*loglik = sum[0];
	grad[0] = sum[1];
	grad[1] = sum[2];
	grad[2] = sum[3];
}

static void gg_data_free(gg_data *d)
{
	rn_free(d->x_slot);
	rn_free(d->log_m);
	rn_free(d->m);
	rn_free(d->x_values);
	rn_free(d->x_terms);
	rn_free(d->block_sums);
}

static int cmp_u32(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	return a < b ? -1 : a > b;
}

int rn_gamma_gamma_fit_data(rn_gamma_gamma_fit *fit, size_t count, const uint32_t *x,
			    const double *mbar, rn_error *err)
{
	memset(fit, 0, sizeof *fit);
	uint64_t repeat = 0;
	double sum_m = 0.0, sum_m2 = 0.0;
	for (size_t i = 0; i < count; i++) {
		if (x[i] == 0)
			continue;
		if (!(mbar[i] > 0.0) || !isfinite(mbar[i]))
			return rn_error_set(err, RN_EDATA, NULL, 0, 0,
					    "Gamma-Gamma: customer %zu has a mean repeat purchase "
					    "value of %g; the spend model needs positive values",
					    i + 1, mbar[i]);
		repeat++;
		sum_m += mbar[i];
		sum_m2 += mbar[i] * mbar[i];
	}
	if (repeat < 3)
		return rn_error_set(err, RN_EDATA, NULL, 0, 0,
				    "Gamma-Gamma: %llu repeat buyer%s; the spend model has 3 "
				    "parameters and needs at least 3 customers with repeat purchases",
				    (unsigned long long)repeat, repeat == 1 ? "" : "s");
	gg_data d;
	memset(&d, 0, sizeof d);
	d.count = repeat;
	d.x_slot = rn_malloc_array(repeat, sizeof *d.x_slot);
	d.log_m = rn_malloc_array(repeat, sizeof *d.log_m);
	d.m = rn_malloc_array(repeat, sizeof *d.m);
	d.x_values = rn_malloc_array(repeat, sizeof *d.x_values);
	uint32_t *xs = rn_malloc_array(repeat, sizeof *xs);
	d.blocks = (repeat + RN_BTYD_BLOCK - 1) / RN_BTYD_BLOCK;
	d.block_sums = rn_malloc_array(d.blocks * 4, sizeof *d.block_sums);
	if (!d.x_slot || !d.log_m || !d.m || !d.x_values || !xs || !d.block_sums) {
		rn_free(xs);
		gg_data_free(&d);
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
	}
	uint64_t j = 0;
	for (size_t i = 0; i < count; i++) {
		if (x[i] == 0)
			continue;
		xs[j] = x[i];
		d.m[j] = mbar[i];
		d.log_m[j] = log(mbar[i]);
		j++;
	}
	/* Distinct x values: sort a copy, then map each buyer by binary search. */
	uint32_t *sorted = rn_malloc_array(repeat, sizeof *sorted);
	if (!sorted) {
		rn_free(xs);
		gg_data_free(&d);
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
	}
	memcpy(sorted, xs, repeat * sizeof *xs);
	qsort(sorted, repeat, sizeof *sorted, cmp_u32);
	uint64_t distinct = 0;
	for (uint64_t i = 0; i < repeat; i++)
		if (distinct == 0 || sorted[i] != sorted[distinct - 1])
			sorted[distinct++] = sorted[i];
	for (uint64_t i = 0; i < distinct; i++)
		d.x_values[i] = (double)sorted[i];
	for (uint64_t i = 0; i < repeat; i++) {
		uint64_t lo = 0, hi = distinct;
		while (hi - lo > 1) {
			uint64_t mid = (lo + hi) / 2;
			if (sorted[mid] <= xs[i])
				lo = mid;
			else
				hi = mid;
		}
		d.x_slot[i] = (uint32_t)lo;
	}
	rn_free(sorted);
	rn_free(xs);
	d.distinct_x = (uint32_t)distinct;
	d.x_terms = rn_malloc_array(distinct * 4, sizeof *d.x_terms);
	if (!d.x_terms) {
		gg_data_free(&d);
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
	}
	/* Start from the method of moments for one purchase per customer: mbar ~ p v / (q-1)
	 * in mean; take p = 1, q = 2 + mean^2 / var (q > 2 keeps the variance finite) and v
	 * to match the mean.  The optimiser only needs a finite, sensible start. */
	double mean = sum_m / (double)repeat;
	double var = sum_m2 / (double)repeat - mean * mean;
	double q0 = 2.0 + (var > 0.0 ? mean * mean / var : 1.0);
	double params[3] = {1.0, q0, mean * (q0 - 1.0)}, se[3];
	static const char *const names[3] = {"p", "q", "gamma"};
	int rc = rn_btyd_maximise(gg_eval, &d, 3, (double)repeat, "Gamma-Gamma", names, params,
				  se, &fit->loglik, &fit->iterations, err);
	gg_data_free(&d);
	if (rc)
		return rc;
	if (params[1] <= 1.0)
		return rn_error_set(err, RN_EDATA, NULL, 0, 0,
				    "Gamma-Gamma: estimated q = %g <= 1, so the population's mean "
				    "spend per purchase is infinite; expected spend is undefined",
				    params[1]);
	fit->params = (rn_gamma_gamma_params){params[0], params[1], params[2]};
	fit->se = (rn_gamma_gamma_params){se[0], se[1], se[2]};
	fit->customers = repeat;
	return RN_OK;
}
