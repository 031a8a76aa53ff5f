/*
 * crv.c - customer referral value, multi-generation network value, referral lifetime value
 * and the value quadrants.
 *
 * Kumar, Petersen & Leone (2010, "Driving profitability by encouraging customer referrals",
 * J. Marketing 74(5), eq. for CRV) value a referrer by the discounted contribution of the
 * customers they bring: the margin of those who would not have joined otherwise (share p) net
 * of the reward, plus the acquisition cost saved on those who would have joined anyway
 * (share 1 - p).  Here "margin of v" is v's clv from the CLV model, so
 *   c[v] = p * (clv[v] - R_v) + (1 - p) * acq_saved,
 *   W(u,v) = a(u,v) * delta(u,v) * [delay(u,v) <= horizon],  delta = (1 + r)^(-delay / 365.25),
 *   crv = W c                                  (one generation, Kumar et al.),
 *   nv  = W (c + gamma nv)                     (DESIGN.md network_value: the customers that
 *                                               v brings are credited to u, decayed by gamma).
 * The columns of W sum to at most 1 (attribution shares sum to 1, delta <= 1), so the Jacobi
 * sweep nv <- W (c + gamma nv) contracts the error by gamma in the L1 norm on every sweep,
 * also on referral cycles: it converges for 0 <= gamma < 1 and gamma >= 1 is rejected.
 *
 * The sweep is a row-wise sparse product y[u] = sum_v W(u,v) x[v] over an out-CSR: the algo
 * layer's shared kernel rn_spmv, run on a graph view of W (the attribution CSR's offsets and
 * targets with W's values as float weights: 4 bytes per pair, relative error <= 2^-24 on
 * each weight, hence on crv and nv for nonnegative contributions).  Each row sums in CSR order
 * on one thread, so results do not depend on the number of OpenMP threads.
 *
 * Quadrants follow Kumar, Petersen & Leone (2007, "How valuable is word of mouth?", HBR 85(10)):
 * Champions (high CLV and high CRV), Affluents (high CLV only), Advocates (high CRV only),
 * Misers (neither).  "High" means >= the threshold (default the median over all customers)
 * and > 0, so that a zero median does not turn every non-referrer into an Advocate.
 */
#include <refnet/value.h>

#include <math.h>
#include <string.h>

#define DAYS_PER_YEAR 365.25
#define NV_TOLERANCE 1e-12
#define NV_MAX_SWEEPS 100000u

void rn_referral_params_default(rn_referral_params *par)
{
	memset(par, 0, sizeof *par);
	par->incremental_share = 0.5;
	par->acq_saved_auto = true;
	par->acquisition_cost_saved = 0.0;
	par->generation_decay = 0.5;
	par->horizon_days = 365;
	par->discount_rate = 0.15;
	par->clv_threshold = NAN;
	par->crv_threshold = NAN;
}

const char *rn_quadrant_name(rn_quadrant q)
{
	switch (q) {
	case RN_QUAD_MISER:
		return "Misers";
	case RN_QUAD_AFFLUENT:
		return "Affluents";
	case RN_QUAD_ADVOCATE:
		return "Advocates";
	case RN_QUAD_CHAMPION:
		return "Champions";
	}
	return "unknown";
}

void rn_referral_value_free(rn_referral_value *rv)
{
	if (!rv)
		return;
	rn_free(rv->contribution);
	rn_free(rv->crv);
	rn_free(rv->network_value);
	rn_free(rv->rlv);
	rn_free(rv->quadrant);
	memset(rv, 0, sizeof *rv);
}

void rn_mean_paid_cac(const rn_spend *spend, uint32_t n, const uint32_t *campaign, double *cac,
		      bool *defined)
{
	double total = 0.0;
	uint64_t paid = 0;
	if (spend)
		for (uint64_t i = 0; i < spend->count; i++)
			total += spend->amount[i];
	if (campaign)
		for (uint32_t v = 0; v < n; v++)
			paid += campaign[v] != UINT32_MAX;
	*defined = spend && paid > 0 && isfinite(total);
	*cac = *defined ? total / (double)paid : 0.0;
}

int rn_network_value_solve(const rn_graph *w, const double *contribution, double gamma, double *nv,
			   uint32_t *iterations, rn_error *err)
{
	if (!(gamma >= 0.0 && gamma < 1.0))
		return rn_error_set(err, RN_ECONFIG, NULL, 0, 0,
				    "referral.generation_decay must be in [0, 1), got %g: the "
				    "network value diverges for gamma >= 1",
				    gamma);
	uint32_t n = w->n;
	double *x = rn_malloc_array(n, sizeof *x);
	double *y = rn_malloc_array(n, sizeof *y);
	if (!x || !y) {
		rn_free(x);
		rn_free(y);
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for network value");
	}
	/* nv_0 = 0, so nv_1 = W c = crv; gamma == 0 stops there (Kumar's one generation).
	 * Per sweep: x = c + gamma nv (streamed), y = W x (the shared kernel rn_spmv: one random
	 * read of x per pair), then nv = y with the largest change and |nv| (streamed).  Max is
	 * exact, so the stopping sweep is the same for any thread count. */
	memset(nv, 0, (size_t)n * sizeof *nv);
	uint32_t sweeps = 0;
	int rc = RN_OK;
	int64_t count = n;
	for (;;) {
#pragma omp parallel for schedule(static)
		for (int64_t v = 0; v < count; v++)
			x[v] = contribution[v] + gamma * nv[v];
		rn_spmv(w, x, NULL, 1.0, NULL, y);
		double change = 0.0, scale = 1.0;
#pragma omp parallel for schedule(static) reduction(max : change, scale)
		for (int64_t u = 0; u < count; u++) {
			double d = fabs(y[u] - nv[u]);
			if (d > change)
				change = d;
			if (fabs(y[u]) > scale)
				scale = fabs(y[u]);
			nv[u] = y[u];
		}
		sweeps++;
		if (gamma == 0.0 || change <= NV_TOLERANCE * scale)
			break;
		if (sweeps >= NV_MAX_SWEEPS) {
			rc = rn_error_set(err, RN_EINTERNAL, NULL, 0, 0,
					  "network value did not converge in %u sweeps "
					  "(gamma %g, last change %g)",
					  sweeps, gamma, change);
			break;
		}
	}
	if (iterations)
		*iterations = sweeps;
	rn_free(x);
	rn_free(y);
	return rc;
}

static void swap_d(double *a, double *b)
{
	double t = *a;
	*a = *b;
	*b = t;
}

/* k-th smallest of a[0..n) (a is permuted): Hoare quickselect with median-of-three pivots,
 * O(n) expected; deterministic (no random pivots). */
static double select_kth(double *a, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a[mid] < a[lo])
			swap_d(&a[mid], &a[lo]);
		if (a[hi] < a[lo])
			swap_d(&a[hi], &a[lo]);
		if (a[hi] < a[mid])
			swap_d(&a[hi], &a[mid]);
		double pivot = a[mid];
		size_t i = lo, j = hi;
		while (i <= j) {
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i <= j) {
				swap_d(&a[i], &a[j]);
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return a[k];
	}
	return a[k];
}

/* Median (mean of the two middle values for even n); 0 for n == 0.  scratch has n entries. */
static double median(const double *v, uint32_t n, double *scratch)
{
	if (n == 0)
		return 0.0;
	memcpy(scratch, v, (size_t)n * sizeof *scratch);
	size_t half = n / 2;
	double upper = select_kth(scratch, n, half);
	if (n % 2)
		return upper;
	/* After selection everything below index half is <= upper: the lower middle is their max.
	 */
	double lower = scratch[0];
	for (size_t i = 1; i < half; i++)
		if (scratch[i] > lower)
			lower = scratch[i];
	return 0.5 * (lower + upper);
}

static int check_params(const rn_referral_params *par, rn_error *err)
{
	if (!(par->incremental_share >= 0.0 && par->incremental_share <= 1.0))
		return rn_error_set(err, RN_ECONFIG, NULL, 0, 0,
				    "referral.incremental_share must be in [0, 1], got %g",
				    par->incremental_share);
	if (!par->acq_saved_auto &&
	    !(par->acquisition_cost_saved >= 0.0 && isfinite(par->acquisition_cost_saved)))
		return rn_error_set(err, RN_ECONFIG, NULL, 0, 0,
				    "referral.acquisition_cost_saved must be 'auto' or a finite "
				    "number >= 0, got %g",
				    par->acquisition_cost_saved);
	if (!(par->generation_decay >= 0.0 && par->generation_decay < 1.0))
		return rn_error_set(err, RN_ECONFIG, NULL, 0, 0,
				    "referral.generation_decay must be in [0, 1), got %g: the "
				    "network value diverges for gamma >= 1",
				    par->generation_decay);
	if (par->horizon_days <= 0)
		return rn_error_set(err, RN_ECONFIG, NULL, 0, 0,
				    "referral.horizon_days must be > 0, got %d", par->horizon_days);
	if (!(par->discount_rate >= 0.0 && isfinite(par->discount_rate)))
		return rn_error_set(err, RN_ECONFIG, NULL, 0, 0,
				    "referral.discount_rate must be a finite number >= 0, got %g",
				    par->discount_rate);
	if (isinf(par->clv_threshold) || isinf(par->crv_threshold))
		return rn_error_set(err, RN_ECONFIG, NULL, 0, 0,
				    "quadrant thresholds must be finite");
	return RN_OK;
}

int rn_referral_value_compute(rn_referral_value *out, const rn_attribution *attr, const double *clv,
			      const int32_t *acquired, const rn_referral_params *par,
			      double paid_cac, bool paid_cac_defined, rn_error *err)
{
	memset(out, 0, sizeof *out);
	int rc = check_params(par, err);
	if (rc)
		return rc;
	uint32_t n = attr->n;
	for (uint32_t v = 0; v < n; v++)
		if (!isfinite(clv[v]))
			return rn_error_set(err, RN_EDATA, NULL, 0, 0,
					    "clv of customer index %u is not a finite number", v);
	if (par->acq_saved_auto && paid_cac_defined && !(paid_cac >= 0.0 && isfinite(paid_cac)))
		return rn_error_set(err, RN_EDATA, NULL, 0, 0,
				    "mean paid CAC is not a finite number >= 0 (%g)", paid_cac);

	out->n = n;
	out->contribution = rn_malloc_array(n, sizeof(double));
	out->crv = rn_malloc_array(n, sizeof(double));
	out->network_value = rn_malloc_array(n, sizeof(double));
	out->rlv = rn_malloc_array(n, sizeof(double));
	out->quadrant = rn_malloc_array(n, sizeof(uint8_t));
	float *weights = rn_malloc_array(attr->m, sizeof *weights);
	if (!out->contribution || !out->crv || !out->network_value || !out->rlv || !out->quadrant ||
	    !weights) {
		rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for referral value");
		goto fail;
	}

	double p = par->incremental_share;
	if (par->acq_saved_auto) {
		out->acq_saved = paid_cac_defined ? paid_cac : 0.0;
		out->acq_saved_undefined = !paid_cac_defined;
	} else {
		out->acq_saved = par->acquisition_cost_saved;
	}
	/* c[v] = p (margin_v - reward_v) + (1 - p) acq_saved (Kumar, Petersen & Leone 2010). */
	for (uint32_t v = 0; v < n; v++)
		out->contribution[v] = p * (clv[v] - attr->reward[v]) + (1.0 - p) * out->acq_saved;

	/* W(u,v) = a(u,v) delta(u,v) [delay <= horizon]; delta = (1 + r)^(-delay_years). */
	double log_discount = log1p(par->discount_rate);
	for (uint32_t u = 0; u < n; u++) {
		int32_t start = acquired ? acquired[u] : RN_DATE_NONE;
		for (uint64_t e = attr->offsets[u]; e < attr->offsets[u + 1]; e++) {
			uint32_t v = attr->referred[e];
			int32_t when = attr->date[e];
			if (when == RN_DATE_NONE && acquired)
				when = acquired[v];
			double delta = 1.0;
			if (start == RN_DATE_NONE || when == RN_DATE_NONE) {
				out->undated_pairs++;
			} else {
				int64_t delay = (int64_t)when - start;
				if (delay < 0) {
					out->early_pairs++;
					delay = 0;
				}
				if (delay > par->horizon_days) {
					out->pairs_out_of_horizon++;
					weights[e] = 0.0f;
					continue;
				}
				delta = exp(-log_discount * (double)delay / DAYS_PER_YEAR);
			}
			out->pairs_counted++;
			weights[e] = (float)(attr->share[e] * delta);
		}
	}

	/* W as a graph over the attribution pattern, for the shared kernel rn_spmv (float
	 * weights, like every graph weight: W is exact to 2^-24 relative). */
	rn_graph w = {0};
	w.n = n;
	w.m = attr->m;
	w.offsets = attr->offsets;
	w.targets = attr->referred;
	w.weights = weights;
	rn_spmv(&w, out->contribution, NULL, 1.0, NULL, out->crv);
	rc = rn_network_value_solve(&w, out->contribution, par->generation_decay,
				    out->network_value, &out->iterations, err);
	if (rc)
		goto fail;
	for (uint32_t v = 0; v < n; v++)
		out->rlv[v] = clv[v] + out->network_value[v];

	/* Quadrant thresholds: medians over all customers unless configured. */
	double *scratch = rn_malloc_array(n, sizeof *scratch);
	if (!scratch) {
		rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for quadrants");
		goto fail;
	}
	out->clv_threshold =
	    isnan(par->clv_threshold) ? median(clv, n, scratch) : par->clv_threshold;
	out->crv_threshold =
	    isnan(par->crv_threshold) ? median(out->crv, n, scratch) : par->crv_threshold;
	rn_free(scratch);
	for (uint32_t v = 0; v < n; v++) {
		bool high_clv = clv[v] >= out->clv_threshold && clv[v] > 0.0;
		bool high_crv = out->crv[v] >= out->crv_threshold && out->crv[v] > 0.0;
		out->quadrant[v] = (uint8_t)((high_clv ? RN_QUAD_AFFLUENT : 0) |
					     (high_crv ? RN_QUAD_ADVOCATE : 0));
	}
	rn_free(weights);
	return RN_OK;
fail:
	rn_free(weights);
	rn_referral_value_free(out);
	return rc;
}
