/*
 * bench_value.c - time attribution, referral/network value and the ROI tables on a synthetic
 * referral forest of N customers (default 1e7).
 *
 * The input is built outside the timed region: customer v > 0 is referred with probability
 * 0.3 by a uniformly random earlier customer (a forest; mean offspring 0.3), a further 2 % of
 * referred customers get a second referrer (so the equal policy splits shares), dates a few
 * days apart, 50 campaigns over 5 channels with one spend row per campaign and week.  Each
 * stage is timed over three trials (the best is reported), then the answer is checked
 * independently: the recursion's residual |nv - W (c + gamma nv)| and the ROI table's
 * customer count.
 *
 * Usage: bench_value [N] [threads]
 */
#include <refnet/value.h>

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state = 1;

static uint64_t next(void)
{
	state = state * 6364136223846793005ull + 1442695040888963407ull;
	return state >> 17;
}

int main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 10000000u;
	if (argc > 2)
		omp_set_num_threads(atoi(argv[2]));
	enum { CAMPAIGNS = 50, CHANNELS = 5, WEEKS = 104 };

	rn_referrals refs = {0};
	refs.referrer = malloc((size_t)n * sizeof(uint32_t));
	refs.referred = malloc((size_t)n * sizeof(uint32_t));
	refs.date = malloc((size_t)n * sizeof(int32_t));
	refs.reward = malloc((size_t)n * sizeof(float));
	int32_t *acquired = malloc((size_t)n * sizeof(int32_t));
	uint32_t *campaign = malloc((size_t)n * sizeof(uint32_t));
	uint32_t *channel = malloc((size_t)n * sizeof(uint32_t));
	double *clv = malloc((size_t)n * sizeof(double));
	for (uint32_t v = 0; v < n; v++) {
		acquired[v] = 18000 + (int32_t)((uint64_t)v * 700 / n);
		clv[v] = (double)(next() % 20000) / 100.0;
		campaign[v] = channel[v] = UINT32_MAX;
		if (v > 0 && next() % 10 < 3) {
			uint32_t u = (uint32_t)(next() % v);
			uint64_t i = refs.count++;
			refs.referrer[i] = u;
			refs.referred[i] = v;
			refs.date[i] = acquired[v] - (int32_t)(next() % 5);
			refs.reward[i] = 10.0f;
			if (next() % 50 == 0 && refs.count < n) {
				i = refs.count++;
				refs.referrer[i] = (uint32_t)(next() % v);
				refs.referred[i] = v;
				refs.date[i] = acquired[v];
				refs.reward[i] = 0.0f;
			}
		} else if (next() % 2) {
			campaign[v] = (uint32_t)(next() % CAMPAIGNS);
			channel[v] = campaign[v] % CHANNELS;
		}
	}
	rn_spend sp = {0};
	sp.count = CAMPAIGNS * WEEKS;
	sp.campaign = malloc(sp.count * sizeof(uint32_t));
	sp.channel = malloc(sp.count * sizeof(uint32_t));
	sp.date = malloc(sp.count * sizeof(int32_t));
	sp.amount = malloc(sp.count * sizeof(double));
	for (uint64_t i = 0; i < sp.count; i++) {
		sp.campaign[i] = (uint32_t)(i % CAMPAIGNS);
		sp.channel[i] = sp.campaign[i] % CHANNELS;
		sp.date[i] = 18000 + 7 * (int32_t)(i / CAMPAIGNS);
		sp.amount[i] = (double)(next() % 100000) / 10.0;
	}

	double best_attr = INFINITY, best_value = INFINITY, best_roi = INFINITY;
	rn_attribution attr = {0};
	rn_referral_value rv = {0};
	rn_roi_result roi = {0};
	rn_error err;
	rn_referral_params par;
	rn_referral_params_default(&par);
	for (int trial = 0; trial < 3; trial++) {
		rn_attribution_free(&attr);
		rn_referral_value_free(&rv);
		rn_roi_free(&roi);
		double t0 = rn_now();
		if (rn_attribution_build(&attr, n, &refs, acquired, RN_ATTR_EQUAL, &err)) {
			fprintf(stderr, "attribution: %s\n", err.message);
			return 1;
		}
		double t1 = rn_now();
		double cac;
		bool defined;
		rn_mean_paid_cac(&sp, n, campaign, &cac, &defined);
		if (rn_referral_value_compute(&rv, &attr, clv, acquired, &par, cac, defined,
					      &err)) {
			fprintf(stderr, "value: %s\n", err.message);
			return 1;
		}
		double t2 = rn_now();
		rn_roi_input in = {.n = n,
				   .n_campaigns = CAMPAIGNS,
				   .n_channels = CHANNELS,
				   .campaign = campaign,
				   .channel = channel,
				   .acquired = acquired,
				   .clv = clv,
				   .network_value = rv.network_value,
				   .spend = &sp,
				   .referrals = &refs,
				   .attribution = &attr,
				   .incremental_share = par.incremental_share};
		if (rn_roi_compute(&roi, &in, &err)) {
			fprintf(stderr, "roi: %s\n", err.message);
			return 1;
		}
		double t3 = rn_now();
		best_attr = fmin(best_attr, t1 - t0);
		best_value = fmin(best_value, t2 - t1);
		best_roi = fmin(best_roi, t3 - t2);
	}

	/* Independent check of the recursion: W = A * delta inside the horizon, rounded to float
	 * as the solver stores it. */
	float *wf = malloc(attr.m * sizeof *wf);
	double worst = 0.0, scale = 1.0;
	for (uint32_t u = 0; u < n; u++) {
		double rhs = 0.0;
		for (uint64_t e = attr.offsets[u]; e < attr.offsets[u + 1]; e++) {
			uint32_t v = attr.referred[e];
			double delay = (double)(attr.date[e] - acquired[u]);
			double delta =
			    pow(1.0 + par.discount_rate, -(delay < 0 ? 0 : delay) / 365.25);
			wf[e] = delay > par.horizon_days ? 0.0f : (float)(attr.share[e] * delta);
			rhs += (double)wf[e] *
			       (rv.contribution[v] + par.generation_decay * rv.network_value[v]);
		}
		double d = fabs(rhs - rv.network_value[u]);
		worst = fmax(worst, d);
		scale = fmax(scale, fabs(rv.network_value[u]));
	}

	/* The network-value solve alone: rn_network_value_solve (the algo layer's component-
	 * ordered rn_solve_linear) against plain Jacobi sweeps nv <- crv + gamma W nv of the
	 * shared product rn_spmv until the largest change is below 1e-12 relative.  Both must
	 * agree; the times show why the ordered solver is used. */
	uint32_t *in_degree = calloc(n, sizeof *in_degree); /* rn_solve_linear reads it */
	for (uint64_t e = 0; e < attr.m; e++)
		in_degree[attr.referred[e]]++;
	rn_graph w = {.n = n,
		      .m = attr.m,
		      .offsets = attr.offsets,
		      .targets = attr.referred,
		      .weights = wf,
		      .in_degree = in_degree};
	double *nv_jacobi = malloc((size_t)n * sizeof(double));
	double *nv_ordered = malloc((size_t)n * sizeof(double));
	double *tmp = malloc((size_t)n * sizeof(double));
	double t_jacobi = INFINITY, t_ordered = INFINITY;
	uint32_t sweeps = 0, cycle_sweeps = 0;
	for (int trial = 0; trial < 3; trial++) {
		double t0 = rn_now();
		if (rn_network_value_solve(&w, rv.crv, par.generation_decay, nv_ordered,
					   &cycle_sweeps, &err)) {
			fprintf(stderr, "solve: %s\n", err.message);
			return 1;
		}
		double t1 = rn_now();
		memcpy(nv_jacobi, rv.crv, (size_t)n * sizeof(double));
		for (sweeps = 1;; sweeps++) {
			rn_spmv(&w, nv_jacobi, NULL, par.generation_decay, rv.crv, tmp);
			double change = 0.0, top = 1.0;
			for (uint32_t u = 0; u < n; u++) {
				change = fmax(change, fabs(tmp[u] - nv_jacobi[u]));
				top = fmax(top, fabs(tmp[u]));
			}
			double *swap = nv_jacobi;
			nv_jacobi = tmp;
			tmp = swap;
			if (change <= 1e-12 * top)
				break;
		}
		double t2 = rn_now();
		t_ordered = fmin(t_ordered, t1 - t0);
		t_jacobi = fmin(t_jacobi, t2 - t1);
	}
	double solver_gap = 0.0;
	for (uint32_t u = 0; u < n; u++)
		solver_gap = fmax(solver_gap, fabs(nv_jacobi[u] - nv_ordered[u]));
	uint64_t counted = roi.programme.customers;
	for (uint32_t c = 0; c < CAMPAIGNS; c++)
		counted += roi.campaigns[c].customers;

	printf("customers %u, referral rows %llu, credited pairs %llu, threads %d\n", n,
	       (unsigned long long)refs.count, (unsigned long long)attr.m, omp_get_max_threads());
	printf("attribution build   %.3f s\n", best_attr);
	printf("crv + network value %.3f s (gamma %.2f)\n", best_value, par.generation_decay);
	printf("roi tables          %.3f s\n", best_roi);
	printf("  nv solve alone: rn_solve_linear %.3f s (%u sweeps in cycles), Jacobi with "
	       "rn_spmv %.3f s (%u sweeps), max difference %.3g\n",
	       t_ordered, cycle_sweeps, t_jacobi, sweeps, solver_gap);
	printf("total               %.3f s\n", best_attr + best_value + best_roi);
	/* Attribution: referred u32 + share f64 + date i32 per pair; offsets u64 + reward f64 +
	 * flag u8 per customer.  Value: W as f32 per pair (during the solve); contribution,
	 * crv, nv, rlv f64 + quadrant u8 per customer, plus two f64 sweep vectors. */
	printf("memory: attribution 16 B/pair + 17 B/customer; value 4 B/pair (float W) + 49 "
	       "B/customer; "
	       "peak RSS %.0f MiB (inputs included)\n",
	       (double)rn_peak_rss() / 1048576.0);
	printf("check: max residual %.3g (relative %.3g), customers in rows %llu\n", worst,
	       worst / scale, (unsigned long long)counted);
	printf("programme roi %.4f, campaign 0 roi_total %.4f\n", roi.programme.roi_direct,
	       roi.campaigns[0].roi_total);
	free(wf);
	free(in_degree);
	free(nv_jacobi);
	free(nv_ordered);
	free(tmp);
	rn_attribution_free(&attr);
	rn_referral_value_free(&rv);
	rn_roi_free(&roi);
	return worst <= 1e-10 * scale ? 0 : 1;
}
