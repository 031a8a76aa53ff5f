/*
 * clv.c - the customer lifetime value models behind value.model (DESIGN.md "Metrics"):
 *
 *   column    the customers table's clv column, as given;
 *   historic  present value, at the customer's first purchase, of the value (margin) of every
 *             observed purchase up to calibration_end: sum_j v_j (1 + d)^-(days_j / 365.25),
 *             days_j counted from the first purchase.  Discounting to the first purchase
 *             makes customers acquired at different times comparable (each is valued as of
 *             their acquisition), as CRV discounts referral value back to the referral;
 *   bgnbd     BG/NBD + Gamma-Gamma: the discounted expected margin over value.horizon time
 *             units after calibration_end,
 *               CLV = sum_{k=1..K} [E(X(t_k)) - E(X(t_{k-1}))] E[M] / (1 + d)^(t_k / u),
 *             t_k = min(k, H) (K = ceil(H), the last period may be partial), u = time units
 *             per year, d = value.discount_rate per year, E(X(t)) = FHL 2005 eq. 10 and
 *             E[M] = Fader & Hardie 2013 eq. 5.  Each period's purchases are discounted from
 *             the end of the period (a conservative, standard convention in discrete CLV).
 *             The margin share (value.margin) or margin column enters once, in the value
 *             of each purchase that the spend model is fitted on, so E[M] is already margin.
 *
 * Predictions at 1e7 customers: E(X(t)) = P(alive | x, t_x, T) * g(x, T, t), where g (the
 * numerator of FHL eq. 10) needs the hypergeometric function and depends only on (x, T).  With
 * day resolution few (x, T) pairs are distinct, so the discounted sum of g's increments is
 * computed once per distinct pair, and each customer costs one P(alive) and one E[M].
 */
#include <refnet/value.h>

#include <math.h>
#include <string.h>

void rn_clv_options_default(rn_clv_options *opt)
{
	opt->model = RN_CLV_HISTORIC;
	opt->time_unit = RN_TIME_WEEK;
	opt->calibration_end = RN_DATE_NONE;
	opt->horizon = 52.0;
	opt->discount_rate = 0.10;
	opt->margin = 1.0;
}

static const char *const model_names[] = {"column", "historic", "bgnbd"};
static const char *const unit_names[] = {"day", "week", "month"};

const char *rn_clv_model_name(rn_clv_model model)
{
	return (unsigned)model < 3 ? model_names[model] : "?";
}

int rn_clv_model_parse(const char *s, rn_clv_model *out)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(s, model_names[i]) == 0) {
			*out = (rn_clv_model)i;
			return 0;
		}
	return -1;
}

const char *rn_time_unit_name(rn_time_unit unit)
{
	return (unsigned)unit < 3 ? unit_names[unit] : "?";
}

int rn_time_unit_parse(const char *s, rn_time_unit *out)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(s, unit_names[i]) == 0) {
			*out = (rn_time_unit)i;
			return 0;
		}
	return -1;
}

void rn_clv_result_free(rn_clv_result *res)
{
	if (!res)
		return;
	rn_free(res->clv);
	rn_free(res->has_value);
	rn_free(res->expected_purchases);
	rn_free(res->p_alive);
	rn_free(res->expected_spend);
	rn_rfm_free(&res->rfm);
	memset(res, 0, sizeof *res);
}

static int nomem(rn_error *err)
{
	return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
}

static int clv_column(rn_clv_result *res, uint32_t n, const double *column, rn_error *err)
{
	if (!column)
		return rn_error_set(err, RN_ECONFIG, NULL, 0, 0,
				    "value.model is 'column' but the customers table has no clv "
				    "column");
	for (uint32_t c = 0; c < n; c++) {
		if (!isfinite(column[c]))
			return rn_error_set(err, RN_EDATA, NULL, 0, 0,
					    "clv column: customer index %u has a non-finite value", c);
		res->clv[c] = column[c];
		res->has_value[c] = 1;
	}
	return RN_OK;
}

static int clv_historic(rn_clv_result *res, const rn_transactions *tx, double margin_share,
			double discount_rate)
{
	/* Serial pass in file order: one exp per transaction, and the sum order is the file
	 * order whatever the thread count. */
	const rn_rfm *rfm = &res->rfm;
	const double per_day = log1p(discount_rate) / 365.25;
	for (uint64_t i = 0; i < tx->count; i++) {
		uint32_t c = tx->customer[i];
		if (tx->date[i] > rfm->calibration_end || !rfm->has_rfm[c])
			continue;
		double value = tx->margin ? tx->margin[i] : tx->amount[i] * margin_share;
		res->clv[c] += value * exp(-per_day * (double)(tx->date[i] - rfm->first[c]));
	}
	for (uint32_t c = 0; c < rfm->n; c++)
		res->has_value[c] = rfm->has_rfm[c];
	return RN_OK;
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

static uint64_t pair_hash(uint32_t x, double T)
{
	uint64_t bits;
	memcpy(&bits, &T, sizeof bits);
	return mix64(mix64(bits) ^ x);
}

/* Numbers the distinct (x, T) pairs of the customers with RFM in first-seen order:
 * group[c] (UINT32_MAX without RFM), gx/gT per group.  Open addressing, doubled at half load. */
static int group_pairs(const rn_rfm *rfm, uint32_t *group, uint32_t **gx_out, double **gT_out,
		       uint32_t *count_out)
{
	size_t table_size = 1024, cap = 512;
	uint32_t ngroups = 0;
	uint32_t *table = rn_malloc_array(table_size, sizeof *table);
	uint32_t *gx = rn_malloc_array(cap, sizeof *gx);
	double *gT = rn_malloc_array(cap, sizeof *gT);
	if (!table || !gx || !gT)
		goto fail;
	memset(table, 0xff, table_size * sizeof *table);
	for (uint32_t c = 0; c < rfm->n; c++) {
		if (!rfm->has_rfm[c]) {
			group[c] = UINT32_MAX;
			continue;
		}
		uint32_t x = rfm->x[c];
		double T = rfm->T[c];
		size_t mask = table_size - 1, slot = (size_t)pair_hash(x, T) & mask;
		while (table[slot] != UINT32_MAX &&
		       !(gx[table[slot]] == x && gT[table[slot]] == T))
			slot = (slot + 1) & mask;
		if (table[slot] != UINT32_MAX) {
			group[c] = table[slot];
			continue;
		}
		if (ngroups == cap) {
			cap *= 2;
			uint32_t *nx = rn_realloc_array(gx, cap, sizeof *gx);
			if (!nx)
				goto fail;
			gx = nx;
			double *nT = rn_realloc_array(gT, cap, sizeof *gT);
			if (!nT)
				goto fail;
			gT = nT;
		}
		gx[ngroups] = x;
		gT[ngroups] = T;
		table[slot] = ngroups;
		group[c] = ngroups++;
		if ((size_t)ngroups * 2 > table_size) {
			size_t ns = table_size * 2;
			uint32_t *nt = rn_malloc_array(ns, sizeof *nt);
			if (!nt)
				goto fail;
			memset(nt, 0xff, ns * sizeof *nt);
			for (uint32_t g = 0; g < ngroups; g++) {
				size_t s = (size_t)pair_hash(gx[g], gT[g]) & (ns - 1);
				while (nt[s] != UINT32_MAX)
					s = (s + 1) & (ns - 1);
				nt[s] = g;
			}
			rn_free(table);
			table = nt;
			table_size = ns;
		}
	}
	rn_free(table);
	*gx_out = gx;
	*gT_out = gT;
	*count_out = ngroups;
	return RN_OK;
fail:
	rn_free(table);
	rn_free(gx);
	rn_free(gT);
	return RN_ENOMEM;
}

static int clv_bgnbd(rn_clv_result *res, const rn_clv_options *opt, rn_error *err)
{
	const rn_rfm *rfm = &res->rfm;
	const uint32_t n = rfm->n;
	double t0 = rn_now();

	/* Fit on the customers with RFM.  Customers without purchases in the calibration
	 * period are left out (compacting only when there are any). */
	int rc;
	if (rfm->customers_with_rfm == n) {
		rc = rn_bgnbd_fit_data(&res->bgnbd, n, rfm->x, rfm->t_x, rfm->T, err);
	} else {
		uint32_t m = rfm->customers_with_rfm, j = 0;
		uint32_t *x = rn_malloc_array(m, sizeof *x);
		double *t_x = rn_malloc_array(m, sizeof *t_x);
		double *T = rn_malloc_array(m, sizeof *T);
		if (!x || !t_x || !T) {
			rn_free(x);
			rn_free(t_x);
			rn_free(T);
			return nomem(err);
		}
		for (uint32_t c = 0; c < n; c++)
			if (rfm->has_rfm[c]) {
				x[j] = rfm->x[c];
				t_x[j] = rfm->t_x[c];
				T[j] = rfm->T[c];
				j++;
			}
		rc = rn_bgnbd_fit_data(&res->bgnbd, m, x, t_x, T, err);
		rn_free(x);
		rn_free(t_x);
		rn_free(T);
	}
	if (rc)
		return rc;
	/* Customers without RFM have x = 0 and are skipped by the spend fit. */
	rc = rn_gamma_gamma_fit_data(&res->gamma_gamma, n, rfm->x, rfm->monetary, err);
	if (rc)
		return rc;
	double t1 = rn_now();
	res->seconds_fit = t1 - t0;

	uint32_t *group = rn_malloc_array(n, sizeof *group);
	uint32_t *gx = NULL, ngroups = 0;
	double *gT = NULL;
	if (!group)
		return nomem(err);
	if (group_pairs(rfm, group, &gx, &gT, &ngroups) != RN_OK) {
		rn_free(group);
		return nomem(err);
	}
	double *g_disc = rn_malloc_array((size_t)ngroups + 1, sizeof *g_disc);
	double *g_total = rn_malloc_array((size_t)ngroups + 1, sizeof *g_total);
	uint8_t *g_fail = rn_calloc((size_t)ngroups + 1, 1);
	if (!g_disc || !g_total || !g_fail) {
		rn_free(group);
		rn_free(gx);
		rn_free(gT);
		rn_free(g_disc);
		rn_free(g_total);
		rn_free(g_fail);
		return nomem(err);
	}

	const rn_bgnbd_params *bp = &res->bgnbd.params;
	const double H = opt->horizon;
	const double per_unit = log1p(opt->discount_rate) / rn_time_unit_per_year(opt->time_unit);
	const long periods = (long)ceil(H - 1e-9);
	/* Per (x, T): D = sum_k [g(t_k) - g(t_{k-1})] (1+d)^-(t_k/u) and g(H).  H + 1
	 * hypergeometric evaluations per pair; pairs are independent, so the schedule does not
	 * change any number. */
#pragma omp parallel for schedule(dynamic, 16) if (ngroups > 64)
	for (int64_t gi = 0; gi < (int64_t)ngroups; gi++) {
		double prev = 0.0, disc = 0.0, cur = 0.0;
		for (long k = 1; k <= periods; k++) {
			double t = (double)k < H ? (double)k : H;
			if (rn_bgnbd_expected_alive(bp, gx[gi], gT[gi], t, &cur) != RN_OK) {
				g_fail[gi] = 1;
				break;
			}
			disc += (cur - prev) * exp(-per_unit * t);
			prev = cur;
		}
		g_disc[gi] = disc;
		g_total[gi] = cur;
	}
	for (uint32_t g = 0; g < ngroups; g++)
		if (g_fail[g]) {
			rc = rn_error_set(err, RN_EDATA, NULL, 0, 0,
					  "BG/NBD: cannot evaluate the expected purchases for x = %u, "
					  "T = %g (hypergeometric function did not converge)",
					  gx[g], gT[g]);
			break;
		}
	if (rc == RN_OK) {
		const rn_gamma_gamma_params *gp = &res->gamma_gamma.params;
		uint32_t without = 0;
		/* Per customer: one P(alive) and one E[M]; streaming, bound by the gather of the
		 * group sums (random 8-byte reads). */
#pragma omp parallel for schedule(static) reduction(+ : without) if (n > 65536)
		for (int64_t ci = 0; ci < (int64_t)n; ci++) {
			uint32_t c = (uint32_t)ci;
			if (group[c] == UINT32_MAX) {
				res->clv[c] = 0.0;
				res->expected_purchases[c] = 0.0;
				res->p_alive[c] = 0.0;
				res->expected_spend[c] = 0.0;
				res->has_value[c] = 0;
				without++;
				continue;
			}
			double alive = rn_bgnbd_p_alive(bp, rfm->x[c], rfm->t_x[c], rfm->T[c]);
			double spend = rn_gamma_gamma_expected(gp, rfm->x[c], rfm->monetary[c]);
			res->p_alive[c] = alive;
			res->expected_spend[c] = spend;
			res->expected_purchases[c] = alive * g_total[group[c]];
			res->clv[c] = alive * g_disc[group[c]] * spend;
			res->has_value[c] = 1;
		}
		res->customers_without_value = without;
	}
	rn_free(group);
	rn_free(gx);
	rn_free(gT);
	rn_free(g_disc);
	rn_free(g_total);
	rn_free(g_fail);
	res->seconds_predict = rn_now() - t1;
	return rc;
}

int rn_clv_compute(rn_clv_result *res, uint32_t n, const rn_transactions *tx,
		   const double *clv_column_values, const rn_clv_options *opt, rn_error *err)
{
	memset(res, 0, sizeof *res);
	res->n = n;
	res->model = opt->model;
	if ((unsigned)opt->model > RN_CLV_BGNBD)
		return rn_error_set(err, RN_ECONFIG, NULL, 0, 0, "value.model: unknown model");
	if (!(opt->horizon > 0.0) || !isfinite(opt->horizon) || opt->horizon > 1e6)
		return rn_error_set(err, RN_ECONFIG, NULL, 0, 0,
				    "value.horizon: expected a number of time units in (0, 1e6], "
				    "got %g",
				    opt->horizon);
	if (!(opt->discount_rate >= 0.0) || !isfinite(opt->discount_rate))
		return rn_error_set(err, RN_ECONFIG, NULL, 0, 0,
				    "value.discount_rate: expected a rate per year >= 0, got %g",
				    opt->discount_rate);
	if (!isfinite(opt->margin))
		return rn_error_set(err, RN_ECONFIG, NULL, 0, 0,
				    "value.margin: expected a finite share");
	res->clv = rn_calloc(n ? n : 1, sizeof *res->clv);
	res->has_value = rn_calloc(n ? n : 1, sizeof *res->has_value);
	if (!res->clv || !res->has_value)
		return nomem(err);
	if (opt->model == RN_CLV_COLUMN)
		return clv_column(res, n, clv_column_values, err);

	if (!tx || tx->count == 0)
		return rn_error_set(err, RN_EDATA, NULL, 0, 0,
				    "value.model '%s' needs transactions, and there are none",
				    rn_clv_model_name(opt->model));
	double t0 = rn_now();
	rn_rfm_options ro = {opt->time_unit, opt->calibration_end, opt->margin};
	int rc = rn_rfm_compute(&res->rfm, n, tx, &ro, err);
	res->seconds_rfm = rn_now() - t0;
	if (rc)
		return rc;
	if (opt->model == RN_CLV_HISTORIC) {
		rc = clv_historic(res, tx, opt->margin, opt->discount_rate);
		res->customers_without_value = n - res->rfm.customers_with_rfm;
		return rc;
	}
	res->expected_purchases = rn_malloc_array(n, sizeof *res->expected_purchases);
	res->p_alive = rn_malloc_array(n, sizeof *res->p_alive);
	res->expected_spend = rn_malloc_array(n, sizeof *res->expected_spend);
	if (!res->expected_purchases || !res->p_alive || !res->expected_spend)
		return nomem(err);
	return clv_bgnbd(res, opt, err);
}
