/*
 * mix.c - the marketing-mix view: how many customers each channel's spend brings, week by
 * week, and what one more unit of spend would return.
 *
 * Per channel, weekly acquisitions y_t are regressed on
 *   y_t = b0 + b1 t/T + sum_{h=1..H} [a_h sin(2 pi h t / P) + c_h cos(2 pi h t / P)]
 *         + beta * hill(A_t)
 * where A_t = sum_{l=0..L} theta^l x_{t-l} is the geometric adstock of weekly spend x
 * (Broadbent 1979; Jin et al. 2017, "Bayesian methods for media mix modeling with carryover
 * and shape effects", Google, eq. 1) and hill(A) = A^s / (A^s + K^s) the Hill saturation
 * (Jin et al. 2017, eq. 3).  For fixed (theta, K, s) the model is linear: it is fitted by ridge
 * least squares on the normal equations (X'X + lambda D) b = X'y of the standardised columns
 * (D = identity except the intercept), solved with LAPACK dposv (Cholesky).  theta, K and s come
 * from a grid search that fits on the first 80 % of weeks and scores the squared error on the
 * last 20 % (held out, so a flexible curve that only fits noise loses); K is searched as a
 * multiple of the median positive adstock so the grid follows the channel's spend scale.
 *
 * Outputs per channel:
 *   contribution C   = beta * sum_t hill(A_t)            incremental customers over the weeks
 *   cost per incr.   = S / C
 *   roi              = (C * value - S) / S               value = mean clv of channel customers
 *   marginal roi     = value * dC/dS - 1,  dC/dS = beta * sum_t s hill_t (1 - hill_t) / S,
 *                      the derivative along the current spend pattern (every week's spend
 *                      scaled by 1 + eps), since d hill/dA * A = s hill (1 - hill);
 *   and roi, marginal roi again with value * wom_multiplier (DESIGN.md).
 * Intervals: residual bootstrap (Efron & Tibshirani 1993, ch. 9): B replicates
 * y* = yhat + e[random]; each re-chooses the curve among the grid neighbours of the chosen
 * one by the same held-out error (a full re-search would cost ~60x more) and refits; 2.5 %
 * and 97.5 % percentiles of the contribution C* and of the marginal response M*, mapped
 * through the outputs (each is monotone in C or M, so percentiles carry over).  The random
 * stream is splitmix64 seeded from the configured seed and the channel index: the same
 * numbers on every run and thread count.
 *
 * LAPACK is called only from here, single-threaded (openblas_set_num_threads(1)), never
 * inside an OpenMP region.
 */
#include <refnet/value.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK (Fortran): Cholesky solve of a symmetric positive definite system; the trailing
 * argument is the hidden length of the character argument (gfortran ABI). */
extern void dposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *lda,
		   double *b, const int *ldb, int *info, size_t uplo_len);
extern void openblas_set_num_threads(int num_threads);

#define MIX_WEEKS_PER_PARAM 3u
#define MIX_MAX_HARMONICS 10u
#define MIX_MAX_WEEKS 20000u /* ~380 years: a longer span means a corrupt date */
#define MIX_MAX_PARAMS (3u + 2u * MIX_MAX_HARMONICS)

static const double theta_grid[] = {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};
/* K / median positive adstock: 2^(i/4), i = -8..8 (steps of ~19 %, from 1/4 to 4). */
static const double k_grid[] = {0.25,	0.2973, 0.3536, 0.4204, 0.5,	0.5946, 0.7071, 0.8409, 1.0,
				1.1892, 1.4142, 1.6818, 2.0,	2.3784, 2.8284, 3.3636, 4.0};
static const double s_grid[] = {0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0};
#define GRID_LEN(a) (sizeof(a) / sizeof((a)[0]))

void rn_mix_params_default(rn_mix_params *par)
{
	memset(par, 0, sizeof *par);
	par->max_lag = 8;
	par->harmonics = 2;
	par->period_weeks = 52.0;
	par->ridge = 1e-2;
	par->holdout_fraction = 0.2;
	par->bootstrap = 200;
	par->seed = 1;
}

void rn_mix_free(rn_mix_result *res)
{
	if (!res)
		return;
	rn_free(res->channels);
	memset(res, 0, sizeof *res);
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Design matrix, row-major T x P; the last column (the Hill response) changes per grid point. */
typedef struct design {
	uint32_t weeks, params;
	double *x;
} design;

static void adstock(const double *spend, uint32_t weeks, double theta, uint32_t max_lag,
		    double *out)
{
	for (uint32_t t = 0; t < weeks; t++) {
		double sum = 0.0, decay = 1.0;
		for (uint32_t l = 0; l <= max_lag && l <= t; l++) {
			sum += decay * spend[t - l];
			decay *= theta;
		}
		out[t] = sum;
	}
}

/* A^s / (A^s + K^s), written as 1 / (1 + (K/A)^s) so that large A cannot overflow. */
static double hill(double a, double k, double s)
{
	return a > 0.0 ? 1.0 / (1.0 + pow(k / a, s)) : 0.0;
}

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return (a > b) - (a < b);
}

/* Ridge fit on rows [0, rows): coefficients on the original scale into beta (P entries).
 * Returns the LAPACK info (0 ok). */
static int ridge_fit(const design *d, const double *y, uint32_t rows, double lambda, double *beta)
{
	uint32_t p = d->params;
	double mean[MIX_MAX_PARAMS], scale[MIX_MAX_PARAMS];
	double gram[MIX_MAX_PARAMS * MIX_MAX_PARAMS], rhs[MIX_MAX_PARAMS];
	mean[0] = 0.0;
	scale[0] = 1.0;
	for (uint32_t j = 1; j < p; j++) {
		double m = 0.0, ss = 0.0;
		for (uint32_t t = 0; t < rows; t++)
			m += d->x[(size_t)t * p + j];
		m /= rows;
		for (uint32_t t = 0; t < rows; t++) {
			double c = d->x[(size_t)t * p + j] - m;
			ss += c * c;
		}
		mean[j] = m;
		scale[j] = ss > 0.0 ? sqrt(ss / rows) : 1.0;
	}
	memset(gram, 0, sizeof gram);
	memset(rhs, 0, sizeof rhs);
	for (uint32_t t = 0; t < rows; t++) {
		double z[MIX_MAX_PARAMS];
		z[0] = 1.0;
		for (uint32_t j = 1; j < p; j++)
			z[j] = (d->x[(size_t)t * p + j] - mean[j]) / scale[j];
		for (uint32_t j = 0; j < p; j++) {
			rhs[j] += z[j] * y[t];
			for (uint32_t k = 0; k <= j; k++)
				gram[(size_t)j * p + k] += z[j] * z[k]; /* column-major upper */
		}
	}
	for (uint32_t j = 1; j < p; j++)
		gram[(size_t)j * p + j] += lambda;
	int n = (int)p, nrhs = 1, info = 0;
	dposv_("U", &n, &nrhs, gram, &n, rhs, &n, &info, 1);
	if (info != 0)
		return info;
	beta[0] = rhs[0];
	for (uint32_t j = 1; j < p; j++) {
		beta[j] = rhs[j] / scale[j];
		beta[0] -= beta[j] * mean[j];
	}
	return 0;
}

static double predict(const design *d, const double *beta, uint32_t t)
{
	double yhat = 0.0;
	for (uint32_t j = 0; j < d->params; j++)
		yhat += d->x[(size_t)t * d->params + j] * beta[j];
	return yhat;
}

/* Type-7 percentile of sorted values. */
static double percentile(const double *sorted, uint32_t count, double q)
{
	double pos = q * (double)(count - 1);
	uint32_t i = (uint32_t)floor(pos);
	if (i + 1 >= count)
		return sorted[count - 1];
	double frac = pos - i;
	return sorted[i] + frac * (sorted[i + 1] - sorted[i]);
}

/* value = offset + slope * x for a point x and an interval [lo, hi] of x. */
static rn_estimate linear_estimate(double x, double x_lo, double x_hi, bool has_interval,
				   double slope, double offset)
{
	rn_estimate e = {0};
	e.defined = true;
	e.value = offset + slope * x;
	e.has_interval = has_interval;
	e.lo = has_interval ? offset + slope * x_lo : e.value;
	e.hi = has_interval ? offset + slope * x_hi : e.value;
	if (e.lo > e.hi) {
		double t = e.lo;
		e.lo = e.hi;
		e.hi = t;
	}
	return e;
}

/* What the bootstrap produces: contribution C and marginal response M = C's derivative times
 * spend, with their percentile intervals. */
typedef struct response {
	double c, c_lo, c_hi, m, m_lo, m_hi;
	bool has_interval;
} response;

/* Fills the per-channel outputs; each is monotone in C or in M, so percentiles carry over. */
static void fill_outputs(rn_mix_channel *out, const response *r)
{
	bool iv = r->has_interval;
	double spend = out->spend;
	rn_estimate none = {0};
	out->contribution = linear_estimate(r->c, r->c_lo, r->c_hi, iv, 1.0, 0.0);
	out->cost_per_incremental = none;
	if (r->c > 0.0) {
		rn_estimate *c = &out->cost_per_incremental;
		c->defined = true;
		c->value = spend / r->c;
		c->has_interval = iv && r->c_lo > 0.0;
		c->lo = c->has_interval ? spend / r->c_hi : c->value;
		c->hi = c->has_interval ? spend / r->c_lo : c->value;
	}
	out->roi = out->marginal_roi = out->roi_wom = out->marginal_roi_wom = none;
	double value = out->value_per_customer;
	if (value > 0.0 && isfinite(value)) {
		out->roi = linear_estimate(r->c, r->c_lo, r->c_hi, iv, value / spend, -1.0);
		out->marginal_roi =
		    linear_estimate(r->m, r->m_lo, r->m_hi, iv, value / spend, -1.0);
		double wom = out->wom_multiplier;
		if (wom > 0.0 && isfinite(wom)) {
			out->roi_wom =
			    linear_estimate(r->c, r->c_lo, r->c_hi, iv, value * wom / spend, -1.0);
			out->marginal_roi_wom =
			    linear_estimate(r->m, r->m_lo, r->m_hi, iv, value * wom / spend, -1.0);
		}
	}
}

/* The candidate curves: adstock for every theta on the grid and its median positive value. */
typedef struct candidates {
	double *adstock; /* GRID_LEN(theta_grid) x weeks */
	double median[GRID_LEN(theta_grid)];
} candidates;

/* Sets the response column to hill(A; K, s); returns sum hill and sum s hill (1 - hill). */
static void set_response(design *d, const double *ad, double k, double s, double *sum_hill,
			 double *sum_slope)
{
	double sh = 0.0, ss = 0.0;
	for (uint32_t t = 0; t < d->weeks; t++) {
		double h = hill(ad[t], k, s);
		d->x[(size_t)t * d->params + d->params - 1] = h;
		sh += h;
		ss += s * h * (1.0 - h);
	}
	*sum_hill = sh;
	*sum_slope = ss;
}

/* Grid search over theta index [t0, t1], K index [k0, k1], s index [s0, s1]: fit on the first
 * `train` weeks, score the squared error on the rest; the first best in grid order wins.
 * Returns the best error (INFINITY if every fit failed) and its indices. */
static double search(design *d, const double *y, uint32_t train, double lambda,
		     const candidates *cand, const size_t lo[3], const size_t hi[3], size_t best[3])
{
	double best_sse = INFINITY, beta[MIX_MAX_PARAMS], sh, ss;
	for (size_t it = lo[0]; it <= hi[0]; it++) {
		const double *ad = cand->adstock + it * d->weeks;
		for (size_t ik = lo[1]; ik <= hi[1]; ik++) {
			for (size_t is = lo[2]; is <= hi[2]; is++) {
				set_response(d, ad, k_grid[ik] * cand->median[it], s_grid[is], &sh,
					     &ss);
				if (ridge_fit(d, y, train, lambda, beta) != 0)
					continue;
				double sse = 0.0;
				for (uint32_t t = train; t < d->weeks; t++) {
					double r = y[t] - predict(d, beta, t);
					sse += r * r;
				}
				if (sse < best_sse) {
					best_sse = sse;
					best[0] = it;
					best[1] = ik;
					best[2] = is;
				}
			}
		}
	}
	return best_sse;
}

int rn_mix_fit_series(rn_mix_channel *out, const double *spend, const double *acquisitions,
		      uint32_t weeks, double value_per_customer, double wom_multiplier,
		      const rn_mix_params *par, const char *name, rn_error *err)
{
	memset(out, 0, sizeof *out);
	if (!name)
		name = "channel";
	if (par->harmonics > MIX_MAX_HARMONICS || !(par->period_weeks > 1.0) ||
	    !(par->ridge > 0.0 && isfinite(par->ridge)) ||
	    !(par->holdout_fraction > 0.0 && par->holdout_fraction < 0.5) || par->max_lag > 520)
		return rn_error_set(err, RN_ECONFIG, NULL, 0, 0,
				    "roi.mix_model: harmonics <= %u, period > 1, ridge > 0, "
				    "holdout in (0, 0.5) and adstock_max_lag <= 520 are required",
				    MIX_MAX_HARMONICS);
	uint32_t p = 3 + 2 * par->harmonics;
	if (weeks < MIX_WEEKS_PER_PARAM * p)
		return rn_error_set(err, RN_EDATA, NULL, 0, 0,
				    "%s: %u weeks of data, the mix model needs at least %u (%u per "
				    "parameter, %u parameters)",
				    name, weeks, MIX_WEEKS_PER_PARAM * p, MIX_WEEKS_PER_PARAM, p);
	double lo_spend = spend[0], hi_spend = spend[0], total = 0.0, acq = 0.0;
	for (uint32_t t = 0; t < weeks; t++) {
		if (!(spend[t] >= 0.0 && isfinite(spend[t])) || !isfinite(acquisitions[t]))
			return rn_error_set(err, RN_EDATA, NULL, 0, 0,
					    "%s: week %u has a negative or non-finite value", name,
					    t);
		lo_spend = fmin(lo_spend, spend[t]);
		hi_spend = fmax(hi_spend, spend[t]);
		total += spend[t];
		acq += acquisitions[t];
	}
	if (!(hi_spend - lo_spend > 1e-12 * fmax(1.0, hi_spend)))
		return rn_error_set(err, RN_EDATA, NULL, 0, 0,
				    "%s: weekly spend never varies (%g every week), so its effect "
				    "on acquisitions cannot be estimated",
				    name, hi_spend);

	out->weeks = weeks;
	out->spend = total;
	out->acquisitions = acq;
	out->value_per_customer = value_per_customer;
	out->wom_multiplier = wom_multiplier;

	design d = {weeks, p, NULL};
	candidates cand = {0};
	d.x = rn_malloc_array((size_t)weeks * p, sizeof(double));
	cand.adstock = rn_malloc_array((size_t)weeks * GRID_LEN(theta_grid), sizeof(double));
	double *sorted = rn_malloc_array(weeks, sizeof(double));
	double *yboot = rn_malloc_array(weeks, sizeof(double));
	double *fitted = rn_malloc_array(weeks, sizeof(double));
	double *resid = rn_malloc_array(weeks, sizeof(double));
	double *betas = rn_malloc_array(par->bootstrap, sizeof(double));
	double *contrib = rn_malloc_array(par->bootstrap, sizeof(double));
	double *marginal = rn_malloc_array(par->bootstrap, sizeof(double));
	int rc = RN_OK;
	if (!d.x || !cand.adstock || !sorted || !yboot || !fitted || !resid || !betas || !contrib ||
	    !marginal) {
		rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for the mix model");
		goto done;
	}
	openblas_set_num_threads(1);
	for (uint32_t t = 0; t < weeks; t++) {
		double *row = d.x + (size_t)t * p;
		row[0] = 1.0;
		row[1] = (double)t / weeks;
		for (uint32_t h = 1; h <= par->harmonics; h++) {
			double angle = 2.0 * M_PI * h * t / par->period_weeks;
			row[2 * (size_t)h] = sin(angle);
			row[2 * (size_t)h + 1] = cos(angle);
		}
	}

	for (size_t it = 0; it < GRID_LEN(theta_grid); it++) {
		double *ad_theta = cand.adstock + it * weeks;
		adstock(spend, weeks, theta_grid[it], par->max_lag, ad_theta);
		uint32_t positive = 0;
		for (uint32_t t = 0; t < weeks; t++)
			if (ad_theta[t] > 0.0)
				sorted[positive++] = ad_theta[t];
		qsort(sorted, positive, sizeof *sorted, cmp_double);
		cand.median[it] = positive % 2
				      ? sorted[positive / 2]
				      : 0.5 * (sorted[positive / 2 - 1] + sorted[positive / 2]);
	}

	uint32_t holdout = (uint32_t)floor(par->holdout_fraction * weeks);
	if (holdout < 1)
		holdout = 1;
	uint32_t train = weeks - holdout;
	const size_t full_lo[3] = {0, 0, 0};
	const size_t full_hi[3] = {GRID_LEN(theta_grid) - 1, GRID_LEN(k_grid) - 1,
				   GRID_LEN(s_grid) - 1};
	size_t pick[3] = {0, 0, 0};
	double best = search(&d, acquisitions, train, par->ridge, &cand, full_lo, full_hi, pick);
	if (!isfinite(best)) {
		rc = rn_error_set(err, RN_EDATA, NULL, 0, 0,
				  "%s: the mix model's normal equations are singular for every "
				  "adstock and saturation candidate",
				  name);
		goto done;
	}
	const double *ad = cand.adstock + pick[0] * weeks;
	out->theta = theta_grid[pick[0]];
	out->hill_k = k_grid[pick[1]] * cand.median[pick[0]];
	out->hill_s = s_grid[pick[2]];
	out->holdout_rmse = sqrt(best / holdout);

	/* Final fit on every week with the chosen curve. */
	double beta[MIX_MAX_PARAMS], sum_hill, sum_slope;
	set_response(&d, ad, out->hill_k, out->hill_s, &sum_hill, &sum_slope);
	if (ridge_fit(&d, acquisitions, weeks, par->ridge, beta) != 0) {
		rc = rn_error_set(err, RN_EDATA, NULL, 0, 0,
				  "%s: the mix model's normal equations are singular", name);
		goto done;
	}
	double mean_y = acq / weeks, sse = 0.0, sst = 0.0;
	for (uint32_t t = 0; t < weeks; t++) {
		fitted[t] = predict(&d, beta, t);
		resid[t] = acquisitions[t] - fitted[t];
		sse += resid[t] * resid[t];
		sst += (acquisitions[t] - mean_y) * (acquisitions[t] - mean_y);
	}
	out->r_squared = sst > 0.0 ? 1.0 - sse / sst : 0.0;
	out->beta.defined = true;
	out->beta.value = out->beta.lo = out->beta.hi = beta[p - 1];
	response resp = {0};
	resp.c = resp.c_lo = resp.c_hi = beta[p - 1] * sum_hill;
	resp.m = resp.m_lo = resp.m_hi = beta[p - 1] * sum_slope;

	/* Residual bootstrap (Efron & Tibshirani 1993, algorithm 9.1): y* = yhat + resampled
	 * residuals.  Each replicate re-chooses the curve among the grid neighbours of the chosen
	 * one (theta, K and s one step either way) by the same held-out error, so the intervals
	 * carry part of the selection uncertainty, then refits on all weeks. */
	if (par->bootstrap > 0) {
		uint64_t state = par->seed ^ (0xD1B54A32D192ED03ull * (uint64_t)(weeks + 1));
		size_t lo[3], hi[3];
		const size_t len[3] = {GRID_LEN(theta_grid), GRID_LEN(k_grid), GRID_LEN(s_grid)};
		for (int i = 0; i < 3; i++) {
			lo[i] = pick[i] > 0 ? pick[i] - 1 : 0;
			hi[i] = pick[i] + 1 < len[i] ? pick[i] + 1 : pick[i];
		}
		uint32_t reps = 0;
		for (uint32_t b = 0; b < par->bootstrap; b++) {
			for (uint32_t t = 0; t < weeks; t++)
				yboot[t] = fitted[t] + resid[splitmix64(&state) % weeks];
			size_t rp[3] = {pick[0], pick[1], pick[2]};
			if (!isfinite(search(&d, yboot, train, par->ridge, &cand, lo, hi, rp)))
				continue;
			double rep[MIX_MAX_PARAMS], rh, rs;
			set_response(&d, cand.adstock + rp[0] * weeks,
				     k_grid[rp[1]] * cand.median[rp[0]], s_grid[rp[2]], &rh, &rs);
			if (ridge_fit(&d, yboot, weeks, par->ridge, rep) != 0)
				continue;
			betas[reps] = rep[p - 1];
			contrib[reps] = rep[p - 1] * rh;
			marginal[reps] = rep[p - 1] * rs;
			reps++;
		}
		if (reps >= 2) {
			qsort(betas, reps, sizeof *betas, cmp_double);
			qsort(contrib, reps, sizeof *contrib, cmp_double);
			qsort(marginal, reps, sizeof *marginal, cmp_double);
			out->beta.lo = percentile(betas, reps, 0.025);
			out->beta.hi = percentile(betas, reps, 0.975);
			out->beta.has_interval = true;
			resp.c_lo = percentile(contrib, reps, 0.025);
			resp.c_hi = percentile(contrib, reps, 0.975);
			resp.m_lo = percentile(marginal, reps, 0.025);
			resp.m_hi = percentile(marginal, reps, 0.975);
			resp.has_interval = true;
		}
	}
	fill_outputs(out, &resp);
done:
	rn_free(d.x);
	rn_free(cand.adstock);
	rn_free(sorted);
	rn_free(yboot);
	rn_free(fitted);
	rn_free(resid);
	rn_free(betas);
	rn_free(contrib);
	rn_free(marginal);
	return rc;
}

int rn_mix_fit(rn_mix_result *out, uint32_t n, const int32_t *acquired, const uint32_t *channel,
	       uint32_t n_channels, const rn_spend *spend, const rn_roi_result *roi,
	       const rn_mix_params *par, const rn_interner *channel_names, rn_error *err)
{
	memset(out, 0, sizeof *out);
	if (!spend || spend->count == 0)
		return rn_error_set(err, RN_EDATA, NULL, 0, 0,
				    "the mix model needs a spend table with rows");
	if (!spend->channel)
		return rn_error_set(err, RN_EDATA, NULL, 0, 0,
				    "the mix model needs a channel column in the spend table");
	uint8_t *modelled = rn_calloc(n_channels, 1);
	if (!modelled)
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for the mix model");
	int64_t first = INT64_MAX, last = INT64_MIN;
	int rc = RN_OK;
	for (uint64_t i = 0; i < spend->count; i++) {
		uint32_t h = spend->channel[i];
		if (h == UINT32_MAX) {
			out->spend_rows_without_channel++;
			continue;
		}
		if (h >= n_channels || spend->date[i] == RN_DATE_NONE ||
		    !(spend->amount[i] >= 0.0 && isfinite(spend->amount[i]))) {
			rc =
			    rn_error_set(err, RN_EDATA, NULL, 0, 0,
					 "spend row %llu: channel out of range, no date, or amount "
					 "not a finite number >= 0",
					 (unsigned long long)i + 1);
			goto fail;
		}
		modelled[h] = 1;
		if (spend->date[i] < first)
			first = spend->date[i];
		if (spend->date[i] > last)
			last = spend->date[i];
	}
	for (uint32_t v = 0; v < n; v++) {
		uint32_t h = channel ? channel[v] : UINT32_MAX;
		if (h == UINT32_MAX || h >= n_channels || !modelled[h])
			continue;
		if (!acquired || acquired[v] == RN_DATE_NONE) {
			out->customers_undated++;
			continue;
		}
		if (acquired[v] < first)
			first = acquired[v];
		if (acquired[v] > last)
			last = acquired[v];
	}
	for (uint32_t h = 0; h < n_channels; h++)
		out->count += modelled[h];
	if (out->count == 0) {
		rc = rn_error_set(err, RN_EDATA, NULL, 0, 0,
				  "the mix model needs spend rows with a channel");
		goto fail;
	}
	int64_t span = (last - first) / 7 + 1;
	if (span > MIX_MAX_WEEKS) {
		rc = rn_error_set(err, RN_EDATA, NULL, 0, 0,
				  "spend and acquisition dates span %lld weeks (more than %u): "
				  "check the dates",
				  (long long)span, MIX_MAX_WEEKS);
		goto fail;
	}
	uint32_t weeks = (uint32_t)span;
	out->first_week_start = (int32_t)first;
	out->weeks = weeks;
	out->channels = rn_calloc(out->count, sizeof *out->channels);
	double *x = rn_malloc_array((size_t)weeks, sizeof(double));
	double *y = rn_malloc_array((size_t)weeks, sizeof(double));
	if (!out->channels || !x || !y) {
		rn_free(x);
		rn_free(y);
		rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for the mix model");
		goto fail;
	}
	uint32_t slot = 0;
	for (uint32_t h = 0; h < n_channels && rc == RN_OK; h++) {
		if (!modelled[h])
			continue;
		memset(x, 0, (size_t)weeks * sizeof *x);
		memset(y, 0, (size_t)weeks * sizeof *y);
		for (uint64_t i = 0; i < spend->count; i++)
			if (spend->channel[i] == h)
				x[(spend->date[i] - first) / 7] += spend->amount[i];
		for (uint32_t v = 0; v < n; v++)
			if (channel && channel[v] == h && acquired && acquired[v] != RN_DATE_NONE)
				y[(acquired[v] - first) / 7] += 1.0;
		double value = 0.0, wom = 0.0;
		if (roi && h < roi->n_channels) {
			const rn_roi_row *row = &roi->channels[h];
			value = row->customers ? row->value_direct / (double)row->customers : 0.0;
			wom = (row->defined & RN_ROI_WOM) ? row->wom_multiplier : 0.0;
		}
		char label[RN_ID_MAX_BYTES + 32];
		if (channel_names && h < rn_interner_count(channel_names))
			snprintf(label, sizeof label, "channel '%s'",
				 rn_interner_string(channel_names, h, NULL));
		else
			snprintf(label, sizeof label, "channel %u", h);
		rn_mix_params local = *par;
		local.seed = par->seed + 0x9E3779B97F4A7C15ull * h;
		rc = rn_mix_fit_series(&out->channels[slot], x, y, weeks, value, wom, &local, label,
				       err);
		out->channels[slot].channel = h;
		slot++;
	}
	rn_free(x);
	rn_free(y);
	if (rc)
		goto fail;
	rn_free(modelled);
	return RN_OK;
fail:
	rn_free(modelled);
	rn_mix_free(out);
	return rc;
}
