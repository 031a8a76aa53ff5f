/*
 * roi.c - return on advertising spend per campaign and per channel, and the referral
 * programme as one more row beside them.
 *
 * DESIGN.md "ROI against advertising spend": for a campaign (or channel) with spend S and
 * acquired customers n, CAC = S / n, V = sum clv, N = sum network_value,
 * roi_direct = (V - S) / S, roi_total = (V + N - S) / S, wom_multiplier = (V + N) / V.  The
 * referral programme is the same row with the rewards paid R as its spend, the customers
 * acquired by referral as n, and only the incremental share p of their value counted (the
 * others would have joined anyway; Kumar, Petersen & Leone 2010), so "did word of mouth beat
 * advertising?" compares like with like.
 *
 * No ratio is ever NaN or Inf: each has a bit in rn_roi_row.defined, set only when its
 * denominator is positive (n > 0, S > 0, V > 0); an undefined field holds 0 and writers print
 * it as an empty cell.  Inputs that cannot be valued (negative or non-finite spend, indices out
 * of range) are errors naming the row; oddities that still have a meaning (spend for a
 * campaign nobody was acquired by, spend rows without a channel, purchases dated before the
 * customer's acquisition) are counted in rn_roi_result for the report's warnings.
 *
 * One pass over the customers and one over the spend rows, sequential in index order, so the
 * sums are the same whatever the thread count: 0.14 s for 1e7 customers (bench_value).
 */
#include <refnet/value.h>

#include <math.h>
#include <string.h>

void rn_roi_free(rn_roi_result *res)
{
	if (!res)
		return;
	rn_free(res->campaigns);
	rn_free(res->channels);
	memset(res, 0, sizeof *res);
}

void rn_roi_input_from_dataset(rn_roi_input *in, const rn_dataset *ds, const double *clv,
			       const double *network_value, const rn_attribution *attribution,
			       double incremental_share)
{
	memset(in, 0, sizeof *in);
	in->n = ds->ids ? rn_interner_count(ds->ids) : ds->customers.count;
	in->n_campaigns = ds->campaigns ? rn_interner_count(ds->campaigns) : 0;
	in->n_channels = ds->channels ? rn_interner_count(ds->channels) : 0;
	in->campaign = ds->customers.campaign;
	in->channel = ds->customers.channel;
	in->acquired = ds->customers.acquired;
	in->clv = clv;
	in->network_value = network_value;
	in->spend = ds->has_spend ? &ds->spend : NULL;
	in->transactions = ds->has_transactions ? &ds->transactions : NULL;
	in->referrals = &ds->referrals;
	in->attribution = attribution;
	in->incremental_share = incremental_share;
}

/* Fills the ratios of a row from spend, customers and values. */
static void finish_row(rn_roi_row *row)
{
	row->defined = 0;
	row->cac = row->roi_direct = row->roi_total = row->wom_multiplier = 0.0;
	if (row->customers > 0) {
		row->cac = row->spend / (double)row->customers;
		row->defined |= RN_ROI_CAC;
	}
	if (row->spend > 0.0) {
		row->roi_direct = (row->value_direct - row->spend) / row->spend;
		row->roi_total = (row->value_direct + row->value_network - row->spend) / row->spend;
		row->defined |= RN_ROI_DIRECT | RN_ROI_TOTAL;
	}
	if (row->value_direct > 0.0) {
		row->wom_multiplier = (row->value_direct + row->value_network) / row->value_direct;
		row->defined |= RN_ROI_WOM;
	}
}

static int check_input(const rn_roi_input *in, rn_error *err)
{
	if (!in->clv || !in->network_value)
		return rn_error_set(err, RN_EINTERNAL, NULL, 0, 0,
				    "ROI needs clv and network value");
	if (!(in->incremental_share >= 0.0 && in->incremental_share <= 1.0))
		return rn_error_set(err, RN_ECONFIG, NULL, 0, 0,
				    "referral.incremental_share must be in [0, 1], got %g",
				    in->incremental_share);
	if (in->attribution && in->attribution->n != in->n)
		return rn_error_set(err, RN_EINTERNAL, NULL, 0, 0,
				    "attribution covers %u customers, ROI input %u",
				    in->attribution->n, in->n);
	for (uint32_t v = 0; v < in->n; v++) {
		uint32_t c = in->campaign ? in->campaign[v] : UINT32_MAX;
		uint32_t h = in->channel ? in->channel[v] : UINT32_MAX;
		if ((c != UINT32_MAX && c >= in->n_campaigns) ||
		    (h != UINT32_MAX && h >= in->n_channels))
			return rn_error_set(err, RN_EDATA, NULL, 0, 0,
					    "customer index %u names campaign/channel index out of "
					    "range",
					    v);
		if (!isfinite(in->clv[v]) || !isfinite(in->network_value[v]))
			return rn_error_set(err, RN_EDATA, NULL, 0, 0,
					    "customer index %u: clv or network value is not finite",
					    v);
	}
	const rn_spend *sp = in->spend;
	for (uint64_t i = 0; sp && i < sp->count; i++) {
		if (!(sp->amount[i] >= 0.0 && isfinite(sp->amount[i])))
			return rn_error_set(err, RN_EDATA, NULL, 0, 0,
					    "spend row %llu: amount must be a finite number >= 0, "
					    "got %g",
					    (unsigned long long)i + 1, sp->amount[i]);
		if (sp->campaign[i] >= in->n_campaigns)
			return rn_error_set(err, RN_EDATA, NULL, 0, 0,
					    "spend row %llu: campaign index %u out of range",
					    (unsigned long long)i + 1, sp->campaign[i]);
		if (sp->channel && sp->channel[i] != UINT32_MAX && sp->channel[i] >= in->n_channels)
			return rn_error_set(err, RN_EDATA, NULL, 0, 0,
					    "spend row %llu: channel index %u out of range",
					    (unsigned long long)i + 1, sp->channel[i]);
	}
	const rn_referrals *rf = in->referrals;
	for (uint64_t i = 0; rf && rf->reward && i < rf->count; i++)
		if (!(rf->reward[i] >= 0.0f && isfinite(rf->reward[i])))
			return rn_error_set(
			    err, RN_EDATA, NULL, 0, 0,
			    "referral row %llu: reward must be a finite number >= 0",
			    (unsigned long long)i + 1);
	return RN_OK;
}

int rn_roi_compute(rn_roi_result *out, const rn_roi_input *in, rn_error *err)
{
	memset(out, 0, sizeof *out);
	int rc = check_input(in, err);
	if (rc)
		return rc;
	out->n_campaigns = in->n_campaigns;
	out->n_channels = in->n_channels;
	out->campaigns = rn_calloc(in->n_campaigns, sizeof *out->campaigns);
	out->channels = rn_calloc(in->n_channels, sizeof *out->channels);
	uint8_t *has_spend = rn_calloc(in->n_campaigns, 1);
	if (!out->campaigns || !out->channels || !has_spend) {
		rn_free(has_spend);
		rn_roi_free(out);
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for ROI tables");
	}
	for (uint32_t c = 0; c < in->n_campaigns; c++)
		out->campaigns[c].id = c;
	for (uint32_t h = 0; h < in->n_channels; h++)
		out->channels[h].id = h;

	const rn_spend *sp = in->spend;
	for (uint64_t i = 0; sp && i < sp->count; i++) {
		out->campaigns[sp->campaign[i]].spend += sp->amount[i];
		has_spend[sp->campaign[i]] = 1;
		uint32_t h = sp->channel ? sp->channel[i] : UINT32_MAX;
		if (h == UINT32_MAX) {
			out->spend_rows_without_channel++;
			out->spend_without_channel += sp->amount[i];
		} else {
			out->channels[h].spend += sp->amount[i];
		}
	}

	double p = in->incremental_share;
	rn_roi_row *prog = &out->programme;
	prog->id = UINT32_MAX;
	for (uint32_t v = 0; v < in->n; v++) {
		uint32_t c = in->campaign ? in->campaign[v] : UINT32_MAX;
		uint32_t h = in->channel ? in->channel[v] : UINT32_MAX;
		if (c != UINT32_MAX) {
			out->campaigns[c].customers++;
			out->campaigns[c].value_direct += in->clv[v];
			out->campaigns[c].value_network += in->network_value[v];
		}
		if (h != UINT32_MAX) {
			out->channels[h].customers++;
			out->channels[h].value_direct += in->clv[v];
			out->channels[h].value_network += in->network_value[v];
		}
		if (in->attribution && in->attribution->attributed[v]) {
			prog->customers++;
			prog->value_direct += in->clv[v];
			prog->value_network += in->network_value[v];
			out->referred_with_campaign += c != UINT32_MAX;
		}
	}
	/* Only the incremental share p of referred customers' value is due to the programme. */
	prog->value_direct *= p;
	prog->value_network *= p;
	const rn_referrals *rf = in->referrals;
	for (uint64_t i = 0; rf && rf->reward && i < rf->count; i++)
		prog->spend += (double)rf->reward[i];

	for (uint32_t c = 0; c < in->n_campaigns; c++) {
		finish_row(&out->campaigns[c]);
		if (has_spend[c] && out->campaigns[c].customers == 0) {
			out->campaigns_without_customers++;
			out->spend_without_customers += out->campaigns[c].spend;
		}
	}
	for (uint32_t h = 0; h < in->n_channels; h++)
		finish_row(&out->channels[h]);
	finish_row(prog);
	rn_free(has_spend);

	const rn_transactions *tx = in->transactions;
	for (uint64_t i = 0; tx && in->acquired && i < tx->count; i++) {
		uint32_t v = tx->customer[i];
		if (v < in->n && in->acquired[v] != RN_DATE_NONE && tx->date[i] != RN_DATE_NONE &&
		    tx->date[i] < in->acquired[v])
			out->transactions_before_acquisition++;
	}
	return RN_OK;
}
