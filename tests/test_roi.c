/*
 * test_roi.c - the campaign, channel and referral-programme ROI rows against hand-computed
 * values, every edge case (zero customers, zero spend, zero value, spend without a channel,
 * purchases before acquisition) and the input errors.  All hand values are sums and ratios of
 * small integers, exact or within one rounding (1e-15 relative).
 */
#include "check.h"

#include <refnet/value.h>

#define NONE UINT32_MAX

static void check_finite_row(const rn_roi_row *row)
{
	CHECK(isfinite(row->spend) && isfinite(row->cac) && isfinite(row->value_direct) &&
	      isfinite(row->value_network) && isfinite(row->roi_direct) &&
	      isfinite(row->roi_total) && isfinite(row->wom_multiplier));
}

/*
 * Customers (index: campaign, channel, clv, network value, acquired):
 *   0: campaign 0, channel 0, clv 100, nv 30, day 10
 *   1: campaign 0, channel 0, clv  50, nv  0, day 12
 *   2: campaign 2, channel 1, clv   0, nv  0, day 12
 *   3: no campaign, channel 1, clv  80, nv 20, day 20   (referred by 0)
 *   4: no campaign, no channel, clv 40, nv 0, day 30    (referred by 3)
 *   5: campaign 3 (no spend), channel 1, clv 10, nv 0    (referred by 0 too)
 * Spend: campaign 0 / channel 0: 40 + 20 = 60; campaign 1 / channel 0: 40 (nobody acquired);
 *        campaign 2 / no channel: 25.
 * Referral rewards 5, 5, 2 -> R = 12; referred customers 3, 4, 5; p = 0.5.
 */
static void test_table(void)
{
	uint32_t campaign[6] = {0, 0, 2, NONE, NONE, 3};
	uint32_t channel[6] = {0, 0, 1, 1, NONE, 1};
	int32_t acquired[6] = {10, 12, 12, 20, 30, RN_DATE_NONE};
	double clv[6] = {100, 50, 0, 80, 40, 10};
	double nv[6] = {30, 0, 0, 20, 0, 0};
	uint32_t sp_campaign[4] = {0, 0, 1, 2};
	uint32_t sp_channel[4] = {0, 0, 0, NONE};
	int32_t sp_date[4] = {1, 8, 8, 15};
	double sp_amount[4] = {40, 20, 40, 25};
	rn_spend sp = {.count = 4,
		       .campaign = sp_campaign,
		       .channel = sp_channel,
		       .date = sp_date,
		       .amount = sp_amount};
	uint32_t referrer[3] = {0, 3, 0}, referred[3] = {3, 4, 5};
	float reward[3] = {5, 5, 2};
	rn_referrals refs = {
	    .count = 3, .referrer = referrer, .referred = referred, .reward = reward};
	uint32_t tx_customer[3] = {0, 1, 5};
	int32_t tx_date[3] = {9, 12, 3}; /* customer 0 bought the day before acquisition */
	double tx_amount[3] = {1, 1, 1};
	rn_transactions tx = {
	    .count = 3, .customer = tx_customer, .date = tx_date, .amount = tx_amount};
	rn_error err;
	rn_attribution attr;
	CHECK_INT(rn_attribution_build(&attr, 6, &refs, acquired, RN_ATTR_EQUAL, &err), 0);

	rn_roi_input in = {.n = 6,
			   .n_campaigns = 4,
			   .n_channels = 2,
			   .campaign = campaign,
			   .channel = channel,
			   .acquired = acquired,
			   .clv = clv,
			   .network_value = nv,
			   .spend = &sp,
			   .transactions = &tx,
			   .referrals = &refs,
			   .attribution = &attr,
			   .incremental_share = 0.5};
	rn_roi_result res;
	CHECK_INT(rn_roi_compute(&res, &in, &err), 0);

	/* Campaign 0: S 60, n 2, CAC 30, V 150, N 30, roi_direct 1.5, roi_total 2, wom 1.2. */
	const rn_roi_row *c0 = &res.campaigns[0];
	CHECK_INT(c0->id, 0);
	CHECK_NEAR(c0->spend, 60, 0);
	CHECK_INT(c0->customers, 2);
	CHECK_NEAR(c0->cac, 30, 0);
	CHECK_NEAR(c0->value_direct, 150, 0);
	CHECK_NEAR(c0->value_network, 30, 0);
	CHECK_NEAR(c0->roi_direct, 1.5, 0);
	CHECK_NEAR(c0->roi_total, 2.0, 0);
	CHECK_NEAR(c0->wom_multiplier, 1.2, 1e-15);
	CHECK_INT(c0->defined, RN_ROI_CAC | RN_ROI_DIRECT | RN_ROI_TOTAL | RN_ROI_WOM);

	/* Campaign 1: spend 40, nobody acquired: CAC and wom undefined, roi -1 (all lost). */
	const rn_roi_row *c1 = &res.campaigns[1];
	CHECK_INT(c1->customers, 0);
	CHECK_INT(c1->defined, RN_ROI_DIRECT | RN_ROI_TOTAL);
	CHECK_NEAR(c1->cac, 0, 0);
	CHECK_NEAR(c1->roi_direct, -1.0, 0);
	CHECK_NEAR(c1->roi_total, -1.0, 0);
	CHECK_INT(res.campaigns_without_customers, 1);
	CHECK_NEAR(res.spend_without_customers, 40, 0);

	/* Campaign 2: spend 25, one customer worth 0: CAC 25, roi -1, wom undefined (V = 0). */
	const rn_roi_row *c2 = &res.campaigns[2];
	CHECK_NEAR(c2->cac, 25, 0);
	CHECK_NEAR(c2->roi_direct, -1.0, 0);
	CHECK_INT(c2->defined, RN_ROI_CAC | RN_ROI_DIRECT | RN_ROI_TOTAL);

	/* Campaign 3: a customer but no spend: CAC 0 is defined, no ROI (S = 0), wom 1. */
	const rn_roi_row *c3 = &res.campaigns[3];
	CHECK_NEAR(c3->cac, 0, 0);
	CHECK_NEAR(c3->wom_multiplier, 1.0, 0);
	CHECK_INT(c3->defined, RN_ROI_CAC | RN_ROI_WOM);

	/* Channel 0: spend 60 + 40 = 100, customers 0 and 1: CAC 50, roi_direct 0.5,
	 * roi_total 0.8, wom 1.2.  Channel 1: no spend (campaign 2's row had no channel),
	 * customers 2, 3, 5: V 90, N 20, wom 110/90. */
	const rn_roi_row *h0 = &res.channels[0], *h1 = &res.channels[1];
	CHECK_NEAR(h0->spend, 100, 0);
	CHECK_NEAR(h0->cac, 50, 0);
	CHECK_NEAR(h0->roi_direct, 0.5, 0);
	CHECK_NEAR(h0->roi_total, 0.8, 1e-15);
	CHECK_NEAR(h1->spend, 0, 0);
	CHECK_INT(h1->customers, 3);
	CHECK_NEAR(h1->wom_multiplier, 110.0 / 90.0, 1e-15);
	CHECK_INT(h1->defined, RN_ROI_CAC | RN_ROI_WOM);
	CHECK_INT(res.spend_rows_without_channel, 1);
	CHECK_NEAR(res.spend_without_channel, 25, 0);

	/* Programme: R 12, customers 3, 4, 5 (n 3), incremental value 0.5 * (80 + 40 + 10) = 65,
	 * network 0.5 * 20 = 10: CAC 4, roi (65 - 12) / 12, roi_total (75 - 12) / 12. */
	const rn_roi_row *pr = &res.programme;
	CHECK_INT(pr->id, NONE);
	CHECK_NEAR(pr->spend, 12, 0);
	CHECK_INT(pr->customers, 3);
	CHECK_NEAR(pr->cac, 4, 0);
	CHECK_NEAR(pr->value_direct, 65, 0);
	CHECK_NEAR(pr->value_network, 10, 0);
	CHECK_NEAR(pr->roi_direct, 53.0 / 12.0, 1e-15);
	CHECK_NEAR(pr->roi_total, 63.0 / 12.0, 1e-15);
	CHECK_NEAR(pr->wom_multiplier, 75.0 / 65.0, 1e-15);
	CHECK_INT(res.referred_with_campaign, 1); /* customer 5 */
	CHECK_INT(res.transactions_before_acquisition, 1);

	for (uint32_t c = 0; c < 4; c++)
		check_finite_row(&res.campaigns[c]);
	for (uint32_t h = 0; h < 2; h++)
		check_finite_row(&res.channels[h]);
	check_finite_row(pr);
	rn_roi_free(&res);

	/* No spend table, no referrals, no attribution: every ratio that needs S is undefined. */
	in.spend = NULL;
	in.referrals = NULL;
	in.attribution = NULL;
	in.transactions = NULL;
	CHECK_INT(rn_roi_compute(&res, &in, &err), 0);
	CHECK_INT(res.programme.customers, 0);
	CHECK_INT(res.programme.defined, 0);
	CHECK_INT(res.campaigns[0].defined, RN_ROI_CAC | RN_ROI_WOM);
	CHECK_NEAR(res.campaigns[0].cac, 0, 0);
	for (uint32_t c = 0; c < 4; c++)
		check_finite_row(&res.campaigns[c]);
	check_finite_row(&res.programme);
	rn_roi_free(&res);
	rn_attribution_free(&attr);
}

/* The dataset adapter takes counts from the interners and the tables that are present. */
static void test_from_dataset(void)
{
	rn_dataset ds;
	memset(&ds, 0, sizeof ds);
	CHECK_INT(rn_interner_new(&ds.ids, 8), 0);
	CHECK_INT(rn_interner_new(&ds.campaigns, 8), 0);
	CHECK_INT(rn_interner_new(&ds.channels, 8), 0);
	uint32_t id;
	const char *customers[3] = {"c1", "c2", "c3"};
	for (int i = 0; i < 3; i++)
		CHECK_INT(rn_interner_intern(ds.ids, customers[i], 2, &id, NULL), 0);
	CHECK_INT(rn_interner_intern(ds.campaigns, "spring", 6, &id, NULL), 0);
	CHECK_INT(rn_interner_intern(ds.channels, "tv", 2, &id, NULL), 0);
	CHECK_INT(rn_interner_intern(ds.channels, "web", 3, &id, NULL), 0);
	uint32_t campaign[3] = {0, 0, NONE}, channel[3] = {0, 1, NONE};
	int32_t acquired[3] = {1, 2, 3};
	ds.customers.count = 3;
	ds.customers.campaign = campaign;
	ds.customers.channel = channel;
	ds.customers.acquired = acquired;
	uint32_t sp_campaign[1] = {0}, sp_channel[1] = {0};
	int32_t sp_date[1] = {1};
	double sp_amount[1] = {30};
	ds.spend = (rn_spend){.count = 1,
			      .campaign = sp_campaign,
			      .channel = sp_channel,
			      .date = sp_date,
			      .amount = sp_amount};
	ds.has_spend = true;
	double clv[3] = {20, 40, 5}, nv[3] = {10, 0, 0};
	rn_roi_input in;
	rn_roi_input_from_dataset(&in, &ds, clv, nv, NULL, 0.5);
	CHECK_INT(in.n, 3);
	CHECK_INT(in.n_campaigns, 1);
	CHECK_INT(in.n_channels, 2);
	CHECK(in.spend == &ds.spend && in.transactions == NULL);
	rn_roi_result res;
	rn_error err;
	CHECK_INT(rn_roi_compute(&res, &in, &err), 0);
	CHECK_NEAR(res.campaigns[0].roi_total, 4.0 / 3.0, 1e-15); /* (60 + 10 - 30) / 30 */
	CHECK_NEAR(res.channels[0].cac, 30, 0);
	rn_roi_free(&res);
	rn_interner_free(ds.ids);
	rn_interner_free(ds.campaigns);
	rn_interner_free(ds.channels);
}

static void test_errors(void)
{
	uint32_t campaign[2] = {0, NONE};
	double clv[2] = {1, 2}, nv[2] = {0, 0};
	uint32_t sp_campaign[2] = {0, 0};
	int32_t sp_date[2] = {1, 2};
	double sp_amount[2] = {10, -5};
	rn_spend sp = {.count = 2, .campaign = sp_campaign, .date = sp_date, .amount = sp_amount};
	rn_roi_input in = {.n = 2,
			   .n_campaigns = 1,
			   .campaign = campaign,
			   .clv = clv,
			   .network_value = nv,
			   .spend = &sp,
			   .incremental_share = 0.5};
	rn_roi_result res;
	rn_error err;
	CHECK_INT(rn_roi_compute(&res, &in, &err), RN_EDATA);
	CHECK_CONTAINS(err.message, "spend row 2: amount must be a finite number >= 0");
	sp_amount[1] = NAN;
	CHECK_INT(rn_roi_compute(&res, &in, &err), RN_EDATA);
	sp_amount[1] = 5;
	sp_campaign[1] = 3;
	CHECK_INT(rn_roi_compute(&res, &in, &err), RN_EDATA);
	CHECK_CONTAINS(err.message, "campaign index 3 out of range");
	sp_campaign[1] = 0;
	campaign[1] = 7;
	CHECK_INT(rn_roi_compute(&res, &in, &err), RN_EDATA);
	CHECK_CONTAINS(err.message, "customer index 1");
	campaign[1] = NONE;
	clv[0] = INFINITY;
	CHECK_INT(rn_roi_compute(&res, &in, &err), RN_EDATA);
	clv[0] = 1;
	in.incremental_share = -0.1;
	CHECK_INT(rn_roi_compute(&res, &in, &err), RN_ECONFIG);
	in.incremental_share = 0.5;
	CHECK_INT(rn_roi_compute(&res, &in, &err), 0);
	CHECK_NEAR(res.campaigns[0].spend, 15, 0);
	rn_roi_free(&res);

	int failures = 0;
	for (uint64_t k = 1; k < 16; k++) {
		rn_alloc_fail_at(k, 0);
		int rc = rn_roi_compute(&res, &in, &err);
		rn_alloc_fail_at(0, 0);
		if (rc == RN_OK) {
			rn_roi_free(&res);
			break;
		}
		CHECK_INT(rc, RN_ENOMEM);
		failures++;
	}
	CHECK_INT(failures, 3);
}

int main(void)
{
	test_table();
	test_from_dataset();
	test_errors();
	return check_report();
}
