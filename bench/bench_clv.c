/*
 * bench_clv.c - timing of the CLV models on simulated customers.
 *
 * Usage: bench_clv [CUSTOMERS] [TRIALS]   (defaults 1000000 and 3)
 * Builds a BG/NBD + Gamma-Gamma transactions table outside the timed region (first purchases
 * over 26 weeks of 1997, calibration to 1997-12-31, one year of later purchases ignored by the
 * calibration), then times rn_clv_compute for the bgnbd and historic models, reporting the
 * RFM, fit and prediction stages, and verifies a sample of customers against a direct
 * evaluation of the CLV sum after timing.
 */
#include <refnet/value.h>

#include "../tests/btyd_data.h"

#include <omp.h>

static double direct_clv(const rn_clv_result *res, uint32_t c, const rn_clv_options *opt)
{
	double prev = 0.0, sum = 0.0, per_year = rn_time_unit_per_year(opt->time_unit);
	for (int k = 1; (double)k < opt->horizon + 1.0 - 1e-9; k++) {
		double t = (double)k < opt->horizon ? (double)k : opt->horizon, e = 0.0;
		if (rn_bgnbd_expected(&res->bgnbd.params, res->rfm.x[c], res->rfm.t_x[c],
				      res->rfm.T[c], t, &e) != RN_OK)
			return NAN;
		sum += (e - prev) / pow(1.0 + opt->discount_rate, t / per_year);
		prev = e;
	}
	return sum * rn_gamma_gamma_expected(&res->gamma_gamma.params, res->rfm.x[c],
					     res->rfm.monetary[c]);
}

int main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000000u;
	int trials = argc > 2 ? atoi(argv[2]) : 3;
	const rn_bgnbd_params bp = {0.25, 4.0, 0.8, 2.5};
	const rn_gamma_gamma_params gp = {6.0, 4.0, 15.0};
	rn_transactions tx;
	double t0 = rn_now();
	if (simulate_transactions(&tx, n, 12345, &bp, &gp) != 0) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	printf("customers %u, transactions %llu (simulated in %.2f s), threads %d\n", n,
	       (unsigned long long)tx.count, rn_now() - t0, omp_get_max_threads());

	rn_clv_options opt;
	rn_clv_options_default(&opt);
	opt.calibration_end = civil_days(1997, 12, 31);
	int status = 0;
	for (int model = RN_CLV_HISTORIC; model <= RN_CLV_BGNBD; model++) {
		opt.model = (rn_clv_model)model;
		double best = INFINITY;
		for (int trial = 0; trial < trials; trial++) {
			rn_clv_result res;
			rn_error err;
			double start = rn_now();
			int rc = rn_clv_compute(&res, n, &tx, NULL, &opt, &err);
			double seconds = rn_now() - start;
			if (rc) {
				fprintf(stderr, "%s: %s\n", rn_clv_model_name(opt.model), err.message);
				rn_clv_result_free(&res);
				return 1;
			}
			if (seconds < best)
				best = seconds;
			printf("%-8s trial %d: total %.3f s (rfm %.3f, fit %.3f, predict %.3f)",
			       rn_clv_model_name(opt.model), trial + 1, seconds, res.seconds_rfm,
			       res.seconds_fit, res.seconds_predict);
			if (model == RN_CLV_BGNBD)
				printf(" groups %llu", (unsigned long long)res.bgnbd.groups);
			printf("\n");
			if (trial == trials - 1 && model == RN_CLV_BGNBD) {
				printf("  BG/NBD r=%.4f alpha=%.4f a=%.4f b=%.4f (truth 0.25 4 0.8 2.5)\n"
				       "  Gamma-Gamma p=%.3f q=%.3f gamma=%.3f (truth 6 4 15)\n",
				       res.bgnbd.params.r, res.bgnbd.params.alpha, res.bgnbd.params.a,
				       res.bgnbd.params.b, res.gamma_gamma.params.p,
				       res.gamma_gamma.params.q, res.gamma_gamma.params.v);
				/* Verification after timing: 1,000 customers spread over the range. */
				double worst = 0.0;
				for (uint32_t c = 0; c < n; c += n / 1000 ? n / 1000 : 1) {
					double want = direct_clv(&res, c, &opt);
					double rel = fabs(res.clv[c] - want) / (fabs(want) + 1e-300);
					if (!(rel <= worst))
						worst = rel;
				}
				printf("  verification: worst relative difference %.3g on 1000 customers\n",
				       worst);
				if (!(worst < 1e-9))
					status = 1;
			}
			rn_clv_result_free(&res);
		}
		printf("%-8s best %.3f s = %.1f ns per customer\n", rn_clv_model_name(opt.model),
		       best, best * 1e9 / n);
	}
	printf("peak RSS %.1f MiB (%.1f bytes per transaction incl. input)\n",
	       (double)rn_peak_rss() / 1048576.0, (double)rn_peak_rss() / (double)tx.count);
	cdnow_free(&tx);
	return status;
}
