/*
 * test_generate_recovery.c - the generator's ground truth, recovered by refnet's own models.
 *
 * A generated export set of 300,000 customers (campaign names made messy, so that the quoted
 * fields are exercised) is loaded with the io loaders, then:
 *   - BG/NBD is fitted on the RFM summary and must recover (r, alpha, a, b) of truth.json;
 *   - Gamma-Gamma is fitted on the customers not acquired by referral (referred customers'
 *     amounts carry the 1.16 lift) and must recover (p, q, gamma);
 *   - attribution credits every referred customer exactly once;
 *   - the referral process: the mean number of successful referrals per (mature) customer
 *     recovers mean_offspring;
 *   - the mix model, per channel, must recover the adstock decay and the number of customers
 *     the channel's spend brought.
 * Tolerances are stated beside each check.  This is the generator's acceptance test; it takes
 * a few seconds.
 */
#include "check.h"

#include <refnet/gen.h>
#include <refnet/io.h>
#include <refnet/value.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define N_CUSTOMERS 300000u
#define SEED 77u

static void path_of(char *buf, size_t cap, const char *dir, const char *name)
{
	snprintf(buf, cap, "%s/%s", dir, name);
}

/* |estimate - truth| <= k * se, printed for the record. */
static void check_recovered(const char *what, double estimate, double se, double truth, double k)
{
	fprintf(stderr, "  %-22s estimate %.5g  se %.3g  truth %.5g  (%.2f se)\n", what, estimate,
		se, truth, (estimate - truth) / se);
	CHECK(se > 0);
	CHECK_NEAR(estimate, truth, k * se);
}

int main(void)
{
	char dir[256], path[512];
	snprintf(dir, sizeof dir, "/tmp/refnet-test-recovery-%ld", (long)getpid());
	rn_gen_params p;
	rn_gen_params_default(&p);
	p.customers = N_CUSTOMERS;
	p.seed = SEED;
	p.messy = 1;
	rn_gen_stats st;
	rn_error err;
	rn_error_clear(&err);
	int rc = rn_generate(&p, dir, NULL, NULL, &st, &err);
	CHECK_INT(rc, RN_OK);
	if (rc)
		return check_report();

	/* The export set loads cleanly and completely. */
	rn_dataset ds;
	rn_load_options opt;
	memset(&opt, 0, sizeof opt);
	CHECK_INT(rn_dataset_init(&ds), RN_OK);
	path_of(path, sizeof path, dir, "customers.csv");
	CHECK_INT(rn_load_customers(&ds, path, &opt, &err), RN_OK);
	path_of(path, sizeof path, dir, "referrals.csv");
	CHECK_INT(rn_load_referrals(&ds, path, &opt, &err), RN_OK);
	path_of(path, sizeof path, dir, "transactions.csv");
	CHECK_INT(rn_load_transactions(&ds, path, &opt, &err), RN_OK);
	path_of(path, sizeof path, dir, "spend.csv");
	CHECK_INT(rn_load_spend(&ds, path, &opt, &err), RN_OK);
	CHECK_INT(rn_dataset_finish(&ds, &err), RN_OK);
	if (err.code)
		fprintf(stderr, "load: %s:%llu: %s\n", err.file, (unsigned long long)err.line,
			err.message);
	const uint32_t n = rn_interner_count(ds.ids);
	CHECK_INT(n, N_CUSTOMERS);
	CHECK_INT(ds.customers.count, N_CUSTOMERS);
	CHECK_INT(ds.referrals.count, st.primary_edges + st.wom_edges);
	CHECK_INT(ds.transactions.count, st.transactions);
	CHECK_INT(ds.spend.count, st.spend_rows);
	CHECK_INT(rn_interner_count(ds.campaigns), 10);
	CHECK_INT(rn_interner_count(ds.channels), 4);
	uint32_t campaign;
	const char *messy = "search_02 \"always on\"";
	CHECK(rn_interner_find(ds.campaigns, messy, strlen(messy), &campaign));

	/* Referred customers: those with a rewarded referral row (only primary edges carry it). */
	uint8_t *referred = calloc(n, 1);
	uint64_t rewarded = 0;
	for (uint64_t i = 0; i < ds.referrals.count; i++)
		if (ds.referrals.reward && ds.referrals.reward[i] > 0) {
			referred[ds.referrals.referred[i]] = 1;
			rewarded++;
		}
	CHECK_INT(rewarded, st.referred);

	/* The branching process: mean successful referrals per customer, over the customers
	 * acquired at least maturity_days before the end (whose referrals have all arrived), from
	 * the loaded rows alone.  The count matches the generator's own (truth.json "realised"),
	 * and the mean recovers mean_offspring within 3 standard errors of the sample mean (the
	 * offspring distribution is heavy-tailed: lognormal with sigma 1.5). */
	{
		const int32_t cut = p.start + (int32_t)(7 * p.weeks) - (int32_t)st.maturity_days;
		uint32_t *kids = calloc(n, sizeof *kids);
		for (uint64_t i = 0; i < ds.referrals.count; i++)
			if (ds.referrals.reward[i] > 0)
				kids[ds.referrals.referrer[i]]++;
		uint64_t mature = 0, offspring = 0;
		double sum2 = 0;
		for (uint32_t v = 0; v < n; v++)
			if (ds.customers.acquired[v] < cut) {
				mature++;
				offspring += kids[v];
				sum2 += (double)kids[v] * kids[v];
			}
		free(kids);
		CHECK_INT(mature, st.mature_customers);
		CHECK_INT(offspring, st.mature_offspring);
		double mean = (double)offspring / (double)mature;
		double se = sqrt((sum2 / (double)mature - mean * mean) / (double)mature);
		check_recovered("mean offspring", mean, se, p.mean_offspring, 3);
	}

	/* Attribution with the "first" policy credits each referred customer once, even those
	 * that a word-of-mouth edge gave a second referrer. */
	rn_attribution attr;
	rc = rn_attribution_build(&attr, n, &ds.referrals, ds.customers.acquired, RN_ATTR_FIRST,
				  &err);
	CHECK_INT(rc, RN_OK);
	if (rc == RN_OK) {
		/* Attributed: the referred plus customers whose only referral rows are
		 * word-of-mouth edges dated on their acquisition day (a "second referrer" of a
		 * paid or organic customer). */
		CHECK(attr.attributed_customers >= st.referred);
		CHECK_INT(attr.self_referrals, 0);
		/* Word-of-mouth edges dated after their target's acquisition are late rows and
		 * credit nobody; a customer reached only by such rows is "unattributed". */
		CHECK(attr.unattributed_customers <= st.wom_edges);
		rn_attribution_free(&attr);
	}

	/* BG/NBD.  The RFM summary follows the BTYD convention of DESIGN.md: purchases on the
	 * same day are one.  The generator never dates two purchases of a customer on the same
	 * day (every transaction row is a distinct purchase day), so the summary sees every
	 * purchase, and all four parameters must be within 3 SE of the truth.  Before that rule,
	 * 1.2 % of repeat purchases merged and r and alpha came out 5-6 SE high. */
	rn_rfm_options ro = {RN_TIME_WEEK, p.start + (int32_t)(7 * p.weeks) - 1, 1.0};
	rn_rfm rfm;
	memset(&rfm, 0, sizeof rfm);
	rc = rn_rfm_compute(&rfm, n, &ds.transactions, &ro, &err);
	CHECK_INT(rc, RN_OK);
	CHECK_INT(rfm.customers_with_rfm, N_CUSTOMERS);
	if (rc == RN_OK) {
		rn_bgnbd_fit fit;
		rc = rn_bgnbd_fit_data(&fit, n, rfm.x, rfm.t_x, rfm.T, &err);
		CHECK_INT(rc, RN_OK);
		if (rc == RN_OK) {
			fprintf(stderr, "BG/NBD on %llu customers, CDNOW parameters:\n",
				(unsigned long long)fit.customers);
			check_recovered("r", fit.params.r, fit.se.r, p.bgnbd_r, 3);
			check_recovered("alpha", fit.params.alpha, fit.se.alpha, p.bgnbd_alpha, 3);
			check_recovered("a", fit.params.a, fit.se.a, p.bgnbd_a, 3);
			check_recovered("b", fit.params.b, fit.se.b, p.bgnbd_b, 3);
		} else {
			fprintf(stderr, "bgnbd: %s\n", err.message);
		}

		/* Every transaction row is its own purchase day: the RFM summary merged none. */
		uint32_t *rows = calloc(n, sizeof *rows);
		for (uint64_t i = 0; i < ds.transactions.count; i++)
			rows[ds.transactions.customer[i]]++;
		uint32_t merged = 0;
		for (uint32_t i = 0; i < n; i++)
			merged += rfm.has_rfm[i] && rows[i] != rfm.x[i] + 1;
		CHECK_INT(merged, 0);

		/* Gamma-Gamma on customers not acquired by referral (their amounts carry the
		 * lift).  Tolerance 3 SE. */
		uint32_t *x = malloc(n * sizeof *x);
		double *mbar = malloc(n * sizeof *mbar);
		size_t count = 0;
		for (uint32_t i = 0; i < n; i++)
			if (!referred[i] && rfm.has_rfm[i]) {
				x[count] = rfm.x[i];
				mbar[count] = rfm.monetary[i];
				count++;
			}
		free(rows);
		rn_gamma_gamma_fit gg;
		rc = rn_gamma_gamma_fit_data(&gg, count, x, mbar, &err);
		CHECK_INT(rc, RN_OK);
		if (rc == RN_OK) {
			fprintf(stderr, "Gamma-Gamma on %llu repeat buyers:\n",
				(unsigned long long)gg.customers);
			check_recovered("p", gg.params.p, gg.se.p, p.gg_p, 3);
			check_recovered("q", gg.params.q, gg.se.q, p.gg_q, 3);
			check_recovered("gamma", gg.params.v, gg.se.v, p.gg_gamma, 3);
		} else {
			fprintf(stderr, "gamma-gamma: %s\n", err.message);
		}
		free(x);
		free(mbar);
	}
	rn_rfm_free(&rfm);

	/* Mix model per channel on the weekly series. */
	const uint32_t W = p.weeks;
	const uint32_t C = rn_interner_count(ds.channels);
	double *spend = calloc((size_t)C * W, sizeof *spend);
	double *acq = calloc((size_t)C * W, sizeof *acq);
	for (uint64_t i = 0; i < ds.spend.count; i++) {
		int32_t week = (ds.spend.date[i] - p.start) / 7;
		CHECK(week >= 0 && week < (int32_t)W);
		if (week >= 0 && week < (int32_t)W && ds.spend.channel[i] < C)
			spend[(size_t)ds.spend.channel[i] * W + (uint32_t)week] += ds.spend.amount[i];
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t c = ds.customers.channel[i];
		if (c == UINT32_MAX)
			continue;
		int32_t week = (ds.customers.acquired[i] - p.start) / 7;
		if (c < C && week >= 0 && week < (int32_t)W)
			acq[(size_t)c * W + (uint32_t)week] += 1;
	}
	rn_mix_params mp;
	rn_mix_params_default(&mp);
	mp.bootstrap = 100;
	mp.max_lag = p.adstock_max_lag;
	fprintf(stderr, "Mix model per channel:\n");
	for (uint32_t c = 0; c < C; c++) {
		const char *name = rn_interner_string(ds.channels, c, NULL);
		const rn_gen_channel *truth = NULL;
		for (uint32_t k = 0; k < p.n_channels; k++)
			if (!strcmp(p.channel[k].name, name))
				truth = &p.channel[k];
		CHECK(truth != NULL);
		if (!truth)
			continue;
		rn_mix_channel fit;
		rc = rn_mix_fit_series(&fit, spend + (size_t)c * W, acq + (size_t)c * W, W, 1.0, 1.0,
				       &mp, name, &err);
		CHECK_INT(rc, RN_OK);
		if (rc) {
			fprintf(stderr, "mix %s: %s\n", name, err.message);
			continue;
		}
		fprintf(stderr,
			"  %-8s theta %.1f (truth %.1f)  s %.2f (truth %.2f)  contribution %.0f "
			"[%.0f, %.0f] of %.0f customers  r2 %.3f\n",
			name, fit.theta, truth->theta, fit.hill_s, truth->shape,
			fit.contribution.value, fit.contribution.lo, fit.contribution.hi,
			fit.acquisitions, fit.r_squared);
		/* The decay is chosen on a grid of step 0.1 by held-out error; two steps.  (The
		 * contribution is printed, not checked: with the always-on search and social
		 * campaigns the mix model attributes about twice the realised customers, see
		 * docs/GENERATOR.md.) */
		CHECK_NEAR(fit.theta, truth->theta, 0.2 + 1e-9);
		CHECK(fit.r_squared > 0.8);
	}
	free(spend);
	free(acq);
	free(referred);
	rn_dataset_free(&ds);

	/* Purchase rates ten times lower (alpha x 10): all four parameters within 3 SE. */
	p.bgnbd_alpha *= 10;
	p.messy = 0;
	rc = rn_generate(&p, dir, NULL, NULL, &st, &err);
	CHECK_INT(rc, RN_OK);
	rn_dataset slow;
	CHECK_INT(rn_dataset_init(&slow), RN_OK);
	path_of(path, sizeof path, dir, "transactions.csv");
	CHECK_INT(rn_load_transactions(&slow, path, &opt, &err), RN_OK);
	CHECK_INT(rn_dataset_finish(&slow, &err), RN_OK);
	memset(&rfm, 0, sizeof rfm);
	rc = rn_rfm_compute(&rfm, rn_interner_count(slow.ids), &slow.transactions, &ro, &err);
	CHECK_INT(rc, RN_OK);
	if (rc == RN_OK) {
		rn_bgnbd_fit fit;
		rc = rn_bgnbd_fit_data(&fit, rfm.n, rfm.x, rfm.t_x, rfm.T, &err);
		CHECK_INT(rc, RN_OK);
		if (rc == RN_OK) {
			fprintf(stderr, "BG/NBD on %llu customers, alpha x 10:\n",
				(unsigned long long)fit.customers);
			check_recovered("r", fit.params.r, fit.se.r, p.bgnbd_r, 3);
			check_recovered("alpha", fit.params.alpha, fit.se.alpha, p.bgnbd_alpha, 3);
			check_recovered("a", fit.params.a, fit.se.a, p.bgnbd_a, 3);
			check_recovered("b", fit.params.b, fit.se.b, p.bgnbd_b, 3);
		}
	}
	rn_rfm_free(&rfm);
	rn_dataset_free(&slow);

	char command[300];
	snprintf(command, sizeof command, "rm -rf '%s'", dir);
	if (system(command) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_report();
}
