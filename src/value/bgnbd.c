/*
 * bgnbd.c - the BG/NBD purchase model (Fader, Hardie & Lee 2005, "Counting your customers the
 * easy way: an alternative to the Pareto/NBD model", Marketing Science 24(2); FHL below).
 *
 * While alive a customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha); after
 * each repeat purchase they drop out with probability p ~ Beta(a, b).  A customer's data are
 * (x, t_x, T): repeat purchases, time of the last one and age, all from the first purchase.
 *
 * The fit runs on sufficient statistics: customers with identical (x, t_x, T) - frequent, since
 * times have day resolution - are merged into weighted groups by a hash table, so one
 * likelihood evaluation costs one pass over the groups.  Everything that depends on x alone
 * (log-gamma and digamma terms) is computed once per distinct x per evaluation, leaving two
 * logarithms and one exponential per group.  Groups are summed in fixed blocks (see
 * btyd_internal.h), so the estimate does not depend on the thread count.
 *
 * Predictions need the Gaussian hypergeometric function 2F1 (FHL eq. 10).  We evaluate it
 * after Euler's transformation, which turns (1 - z)^(r+x) 2F1(r+x, b+x; a+b+x-1; z) into
 * (1 - z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z): no factor that overflows for large x, and a
 * series whose terms shrink faster as x grows.  GSL evaluates it; where GSL reports an error
 * or loses precision we sum the power series ourselves.
 */
#include <refnet/value.h>

#include "btyd_internal.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_hyperg.h>
#include <gsl/gsl_sf_psi.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- Gaussian hypergeometric function --------------------------------------------------- */

/* Power series sum_k (a)_k (b)_k / ((c)_k k!) z^k for 0 <= z < 1 (Abramowitz & Stegun
 * 15.1.1).  Terms are summed until they no longer change the sum in double precision; the
 * ratio of consecutive terms tends to z, so the series always ends, within about
 * 40 / (1 - z) terms once k exceeds the parameters. */
static int hyp2f1_series(double a, double b, double c, double z, double *out)
{
	double term = 1.0, sum = 1.0;
	for (long k = 0; k < 10000000L; k++) {
		double kk = (double)k;
		if (c + kk == 0.0)
			return -1;
		term *= (a + kk) * (b + kk) / ((c + kk) * (kk + 1.0)) * z;
		sum += term;
		if (!isfinite(sum))
			return -1;
		/* Past the point where the ratio is below 1, a term below 1e-17 of the sum and
		 * a ratio below 1 bound the tail by term * z / (1 - z). */
		double ratio = fabs((a + kk + 1.0) * (b + kk + 1.0) / ((c + kk + 1.0) * (kk + 2.0)) * z);
		if (ratio < 1.0 && fabs(term) * ratio / (1.0 - ratio) <= 1e-17 * fabs(sum)) {
			*out = sum;
			return 0;
		}
		if (term == 0.0) {
			*out = sum;
			return 0;
		}
	}
	return -1;
}

int rn_hyp2f1(double a, double b, double c, double z, double *out)
{
	if (!(z >= 0.0 && z < 1.0) || !isfinite(a) || !isfinite(b) || !isfinite(c))
		return RN_EDATA;
	if (c <= 0.0 && c == floor(c))
		return RN_EDATA; /* a pole of 2F1 */
	rn_btyd_gsl_quiet();
	gsl_sf_result res;
	int status = gsl_sf_hyperg_2F1_e(a, b, c, z, &res);
	/* GSL returns an error estimate with the value; accept it only when it promises
	 * close to double precision, otherwise recompute by series.  This matters: GSL 2.7
	 * returns GSL_SUCCESS with an error estimate of order 1 when b < 0 (our a - 1 for
	 * a < 1, as on CDNOW), and GSL_EMAXITER for large parameters near z = 1. */
	if (status == GSL_SUCCESS && isfinite(res.val) && res.err <= 1e-12 * fabs(res.val)) {
		*out = res.val;
		return RN_OK;
	}
	return hyp2f1_series(a, b, c, z, out) == 0 ? RN_OK : RN_EDATA;
}

/* ---- Likelihood -------------------------------------------------------------------------- */

double rn_bgnbd_loglik(const rn_bgnbd_params *p, uint32_t x, double t_x, double T)
{
	/* FHL eq. 6: L = B(a, b+x)/B(a, b) * Gamma(r+x) alpha^r / Gamma(r) *
	 *   [ (alpha+T)^-(r+x) + delta(x>0) a/(b+x-1) (alpha+t_x)^-(r+x) ],
	 * the bracket by log-sum-exp. */
	double xd = (double)x, rx = p->r + xd;
	double lead = lgamma(rx) - lgamma(p->r) + p->r * log(p->alpha) + lgamma(p->b + xd) -
		      lgamma(p->a + p->b + xd) - lgamma(p->b) + lgamma(p->a + p->b);
	double a1 = -rx * log(p->alpha + T);
	if (x == 0)
		return lead + a1;
	double a2 = log(p->a) - log(p->b + xd - 1.0) - rx * log(p->alpha + t_x);
	double hi = a1 > a2 ? a1 : a2, lo = a1 > a2 ? a2 : a1;
	return lead + hi + log1p(exp(lo - hi));
}

/* Customers merged by identical (x, t_x, T); x_slot indexes the distinct x values. */
typedef struct bgnbd_data {
	uint64_t groups;
	uint32_t *x_slot;
	double *t_x, *T, *weight;
	uint32_t distinct_x;
	double *x_values;      /* distinct_x, ascending */
	double *x_terms;       /* distinct_x * 6 per-evaluation scratch */
	double *block_sums;    /* blocks * 5 */
	uint64_t blocks;
} bgnbd_data;

static void bgnbd_eval(void *vctx, const double *params, double *loglik, double *grad)
{
	bgnbd_data *d = vctx;
	const double r = params[0], alpha = params[1], a = params[2], b = params[3];
	const double log_alpha = log(alpha), log_a = log(a);
	const double lg_r = lgamma(r), psi_r = gsl_sf_psi(r);
	const double lbeta_ab = lgamma(a) + lgamma(b) - lgamma(a + b);
	const double psi_b = gsl_sf_psi(b), psi_ab = gsl_sf_psi(a + b);
	/* Terms of x alone: lead (the log of everything outside the bracket of FHL eq. 6)
	 * and its derivatives in r, a, b; log(a / (b + x - 1)). */
	for (uint32_t k = 0; k < d->distinct_x; k++) {
		double xd = d->x_values[k];
		double *t = d->x_terms + 6 * (size_t)k;
		double psi_abx = gsl_sf_psi(a + b + xd);
		t[0] = lgamma(r + xd) - lg_r + r * log_alpha + lgamma(a) + lgamma(b + xd) -
		       lgamma(a + b + xd) - lbeta_ab;
		t[1] = gsl_sf_psi(r + xd) - psi_r + log_alpha;
		t[2] = psi_ab - psi_abx;
		t[3] = gsl_sf_psi(b + xd) - psi_abx - psi_b + psi_ab;
		t[4] = xd > 0.0 ? log_a - log(b + xd - 1.0) : 0.0;
		t[5] = xd > 0.0 ? 1.0 / (b + xd - 1.0) : 0.0;
	}
	/* One pass over the groups: two logs and an exp each, bound by arithmetic, not
	 * memory (32 bytes per group). */
#pragma omp parallel for schedule(static) if (d->blocks > 1)
	for (int64_t blk = 0; blk < (int64_t)d->blocks; blk++) {
		uint64_t lo = (uint64_t)blk * RN_BTYD_BLOCK;
		uint64_t hi = lo + RN_BTYD_BLOCK < d->groups ? lo + RN_BTYD_BLOCK : d->groups;
		double s_ll = 0.0, s_r = 0.0, s_alpha = 0.0, s_a = 0.0, s_b = 0.0;
		for (uint64_t g = lo; g < hi; g++) {
			const double *t = d->x_terms + 6 * (size_t)d->x_slot[g];
			double xd = d->x_values[d->x_slot[g]], rx = r + xd, w = d->weight[g];
			double log_T = log(alpha + d->T[g]);
			double a1 = -rx * log_T, bracket, w1 = 1.0, w2 = 0.0, log_tx = 0.0;
			if (xd > 0.0) {
				log_tx = log(alpha + d->t_x[g]);
				double a2 = t[4] - rx * log_tx;
				if (a1 >= a2) {
					double e = exp(a2 - a1);
					bracket = a1 + log1p(e);
					w2 = e / (1.0 + e);
					w1 = 1.0 - w2;
				} else {
					double e = exp(a1 - a2);
					bracket = a2 + log1p(e);
					w1 = e / (1.0 + e);
					w2 = 1.0 - w1;
				}
			} else {
				bracket = a1;
			}
			/* Derivatives of the bracket: w1, w2 are the shares of its two terms. */
			s_ll += w * (t[0] + bracket);
			s_r += w * (t[1] - w1 * log_T - w2 * log_tx);
			s_alpha += w * (r / alpha - rx * (w1 / (alpha + d->T[g]) +
							  (xd > 0.0 ? w2 / (alpha + d->t_x[g]) : 0.0)));
			s_a += w * (t[2] + w2 / a);
			s_b += w * (t[3] - w2 * t[5]);
		}
		double *out = d->block_sums + 5 * (size_t)blk;
		out[0] = s_ll;
		out[1] = s_r;
		out[2] = s_alpha;
		out[3] = s_a;
		out[4] = s_b;
	}
	double sum[5] = {0, 0, 0, 0, 0};
	for (uint64_t blk = 0; blk < d->blocks; blk++)
		for (int i = 0; i < 5; i++)
			sum[i] += d->block_sums[5 * blk + (uint64_t)i];
	*loglik = sum[0];
	for (int i = 0; i < 4; i++)
		grad[i] = sum[i + 1];
}

static void bgnbd_data_free(bgnbd_data *d)
{
	rn_free(d->x_slot);
	rn_free(d->t_x);
	rn_free(d->T);
	rn_free(d->weight);
	rn_free(d->x_values);
	rn_free(d->x_terms);
	rn_free(d->block_sums);
}

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t double_bits(double v)
{
	uint64_t u;
	v = v == 0.0 ? 0.0 : v; /* -0 and +0 are one key */
	memcpy(&u, &v, sizeof u);
	return u;
}

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return a < b ? -1 : a > b;
}

/* Groups customers by (x, t_x, T) in first-seen order with an open-addressing table that
 * doubles at half load, then numbers the distinct x values. */
static int bgnbd_group(bgnbd_data *d, size_t count, const uint32_t *x, const double *t_x,
		       const double *T, rn_error *err)
{
	size_t cap_groups = 1024, table_size = 2048;
	uint32_t *table = NULL, *gx = NULL;
	memset(d, 0, sizeof *d);
	table = rn_malloc_array(table_size, sizeof *table);
	gx = rn_malloc_array(cap_groups, sizeof *gx);
	d->t_x = rn_malloc_array(cap_groups, sizeof *d->t_x);
	d->T = rn_malloc_array(cap_groups, sizeof *d->T);
	d->weight = rn_malloc_array(cap_groups, sizeof *d->weight);
	if (!table || !gx || !d->t_x || !d->T || !d->weight)
		goto nomem;
	memset(table, 0xff, table_size * sizeof *table);
	uint64_t groups = 0;
	for (size_t i = 0; i < count; i++) {
		double tx = x[i] ? t_x[i] : 0.0;
		uint64_t h = mix64(mix64(double_bits(T[i]) ^ x[i]) ^ double_bits(tx));
		size_t mask = table_size - 1, slot = (size_t)h & mask;
		for (;;) {
			uint32_t gi = table[slot];
			if (gi == UINT32_MAX)
				break;
			if (gx[gi] == x[i] && d->t_x[gi] == tx && d->T[gi] == T[i])
				break;
			slot = (slot + 1) & mask;
		}
		if (table[slot] != UINT32_MAX) {
			d->weight[table[slot]] += 1.0;
			continue;
		}
		if (groups == cap_groups) {
			size_t nc = cap_groups * 2;
			uint32_t *ngx = rn_realloc_array(gx, nc, sizeof *gx);
			if (!ngx)
				goto nomem;
			gx = ngx;
			double *a = rn_realloc_array(d->t_x, nc, sizeof *a);
			if (!a)
				goto nomem;
			d->t_x = a;
			a = rn_realloc_array(d->T, nc, sizeof *a);
			if (!a)
				goto nomem;
			d->T = a;
			a = rn_realloc_array(d->weight, nc, sizeof *a);
			if (!a)
				goto nomem;
			d->weight = a;
			cap_groups = nc;
		}
		gx[groups] = x[i];
		d->t_x[groups] = tx;
		d->T[groups] = T[i];
		d->weight[groups] = 1.0;
		table[slot] = (uint32_t)groups;
		groups++;
		if (groups * 2 > table_size) {
			size_t ns = table_size * 2;
			uint32_t *nt = rn_malloc_array(ns, sizeof *nt);
			if (!nt)
				goto nomem;
			memset(nt, 0xff, ns * sizeof *nt);
			for (uint64_t g = 0; g < groups; g++) {
				uint64_t hg = mix64(mix64(double_bits(d->T[g]) ^ gx[g]) ^
						    double_bits(d->t_x[g]));
				size_t s = (size_t)hg & (ns - 1);
				while (nt[s] != UINT32_MAX)
					s = (s + 1) & (ns - 1);
				nt[s] = (uint32_t)g;
			}
			rn_free(table);
			table = nt;
			table_size = ns;
		}
	}
	rn_free(table);
	table = NULL;
	d->groups = groups;

	/* Distinct x values, ascending; each group's slot by binary search. */
	double *xs = rn_malloc_array(groups, sizeof *xs);
	d->x_slot = rn_malloc_array(groups, sizeof *d->x_slot);
	if (!xs || !d->x_slot) {
		rn_free(xs);
		goto nomem;
	}
	for (uint64_t g = 0; g < groups; g++)
		xs[g] = (double)gx[g];
	qsort(xs, groups, sizeof *xs, cmp_double);
	uint64_t distinct = 0;
	for (uint64_t g = 0; g < groups; g++)
		if (distinct == 0 || xs[g] != xs[distinct - 1])
			xs[distinct++] = xs[g];
	for (uint64_t g = 0; g < groups; g++) {
		uint64_t lo = 0, hi = distinct;
		while (hi - lo > 1) {
			uint64_t mid = (lo + hi) / 2;
			if (xs[mid] <= (double)gx[g])
				lo = mid;
			else
				hi = mid;
		}
		d->x_slot[g] = (uint32_t)lo;
	}
	d->x_values = xs;
	d->distinct_x = (uint32_t)distinct;
	d->x_terms = rn_malloc_array(distinct * 6, sizeof *d->x_terms);
	d->blocks = (groups + RN_BTYD_BLOCK - 1) / RN_BTYD_BLOCK;
	d->block_sums = rn_malloc_array(d->blocks * 5, sizeof *d->block_sums);
	rn_free(gx);
	if (!d->x_terms || !d->block_sums) {
		bgnbd_data_free(d);
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
	}
	return RN_OK;
nomem:
	rn_free(table);
	rn_free(gx);
	bgnbd_data_free(d);
	return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
}

int rn_bgnbd_fit_data(rn_bgnbd_fit *fit, size_t count, const uint32_t *x, const double *t_x,
		      const double *T, rn_error *err)
{
	memset(fit, 0, sizeof *fit);
	if (count < 4)
		return rn_error_set(err, RN_EDATA, NULL, 0, 0,
				    "BG/NBD: too few customers (%zu); the model has 4 parameters "
				    "and needs at least 4 customers",
				    count);
	if (count >= UINT32_MAX)
		return rn_error_set(err, RN_EDATA, NULL, 0, 0, "BG/NBD: too many customers");
	uint64_t repeat = 0;
	double sum_x = 0.0, sum_T = 0.0;
	for (size_t i = 0; i < count; i++) {
		if (!isfinite(T[i]) || T[i] < 0.0 ||
		    (x[i] > 0 && !(t_x[i] >= 0.0 && t_x[i] <= T[i])))
			return rn_error_set(err, RN_EDATA, NULL, 0, 0,
					    "BG/NBD: customer %zu has invalid recency/age "
					    "(x=%u, t_x=%g, T=%g); need 0 <= t_x <= T",
					    i + 1, x[i], t_x[i], T[i]);
		if (x[i] > 0)
			repeat++;
		sum_x += x[i];
		sum_T += T[i];
	}
	if (repeat == 0)
		return rn_error_set(err, RN_EDATA, NULL, 0, 0,
				    "BG/NBD: no customer made a repeat purchase in the calibration "
				    "period; the purchase model cannot be fitted");
	if (!(sum_T > 0.0))
		return rn_error_set(err, RN_EDATA, NULL, 0, 0,
				    "BG/NBD: every customer has age T = 0; the calibration period "
				    "is empty");
	bgnbd_data d;
	int rc = bgnbd_group(&d, count, x, t_x, T, err);
	if (rc)
		return rc;
	/* Start: r = 1 and alpha from the mean purchase rate (r / alpha = sum x / sum T);
	 * a = b = 1 (dropout probability 1/2 a priori).  The optimiser moves from there. */
	double params[4] = {1.0, sum_T / sum_x, 1.0, 1.0}, se[4];
	static const char *const names[4] = {"r", "alpha", "a", "b"};
	rc = rn_btyd_maximise(bgnbd_eval, &d, 4, (double)count, "BG/NBD", names, params, se,
			      &fit->loglik, &fit->iterations, err);
	fit->groups = d.groups;
	bgnbd_data_free(&d);
	if (rc)
		return rc;
	fit->params = (rn_bgnbd_params){params[0], params[1], params[2], params[3]};
	fit->se = (rn_bgnbd_params){se[0], se[1], se[2], se[3]};
	fit->customers = count;
	fit->repeat_buyers = repeat;
	return RN_OK;
}

/* ---- Predictions -------------------------------------------------------------------------- */

double rn_bgnbd_p_alive(const rn_bgnbd_params *p, uint32_t x, double t_x, double T)
{
	/* P(alive) = 1 / (1 + delta(x>0) a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)), with the
	 * odds in log space so that a long silence gives 0, not NaN. */
	if (x == 0)
		return 1.0;
	double xd = (double)x;
	double log_odds = log(p->a) - log(p->b + xd - 1.0) +
			  (p->r + xd) * (log(p->alpha + T) - log(p->alpha + t_x));
	if (log_odds > 0.0) {
		double e = exp(-log_odds);
		return e / (1.0 + e);
	}
	return 1.0 / (1.0 + exp(log_odds));
}

/* (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)],
 * z = t/(alpha+T+t): the numerator of FHL eq. 10, i.e. the expected purchases in (T, T+t]
 * of a customer known to be alive at T.  With Euler's transformation (A&S 15.3.3) the
 * product becomes (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z). */
static int expected_if_alive(const rn_bgnbd_params *p, double a, double xd, double T, double t,
			     double *out)
{
	double z = t / (p->alpha + T + t);
	double c = a + p->b + xd - 1.0, f;
	int rc = rn_hyp2f1(a + p->b - 1.0 - p->r, a - 1.0, c, z, &f);
	if (rc)
		return rc;
	double v = c / (a - 1.0) * (1.0 - exp((a - 1.0) * log1p(-z)) * f);
	if (!isfinite(v))
		return RN_EDATA;
	*out = v;
	return RN_OK;
}

int rn_bgnbd_expected_alive(const rn_bgnbd_params *p, uint32_t x, double T, double t,
			    double *out)
{
	if (!(t >= 0.0) || !(T >= 0.0) || !isfinite(t))
		return RN_EDATA;
	double xd = (double)x;
	/* a == 1 is a removable singularity (0/0): the mean of the values at 1 +- 1e-6 is
	 * within ~1e-12 of the limit, as the expression is smooth in a. */
	if (fabs(p->a - 1.0) < 1e-6) {
		double lo, hi;
		int rc = expected_if_alive(p, 1.0 - 1e-6, xd, T, t, &lo);
		if (!rc)
			rc = expected_if_alive(p, 1.0 + 1e-6, xd, T, t, &hi);
		if (rc)
			return rc;
		*out = 0.5 * (lo + hi);
		return RN_OK;
	}
	return expected_if_alive(p, p->a, xd, T, t, out);
}

int rn_bgnbd_expected(const rn_bgnbd_params *p, uint32_t x, double t_x, double T, double t,
		      double *out)
{
	/* FHL eq. 10 = (expected purchases if alive) * P(alive). */
	double alive;
	int rc = rn_bgnbd_expected_alive(p, x, T, t, &alive);
	if (rc)
		return rc;
	*out = alive * rn_bgnbd_p_alive(p, x, t_x, T);
	return RN_OK;
}

int rn_bgnbd_expected_new(const rn_bgnbd_params *p, double t, double *out)
{
	/* FHL eq. 9 is eq. 10's numerator at x = 0, T = 0. */
	return rn_bgnbd_expected_alive(p, 0, 0.0, t, out);
}
