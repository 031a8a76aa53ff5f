/*
 * rfm.c - the recency/frequency/monetary summary that the BTYD models are fitted on.
 *
 * DESIGN.md "BTYD conventions": transactions on the same day are one purchase (values summed);
 * frequency x counts the repeat purchases (distinct days after the first) up to and including
 * calibration_end; recency t_x and age T are measured from the first purchase in time units
 * with day resolution; monetary value is the mean value of the repeat purchases, the first
 * excluded.  The value of a purchase is its margin (margin column) or amount * margin share.
 *
 * Shape: transactions arrive in file order, not grouped by customer.  A counting sort by
 * customer copies (date, value) pairs into one contiguous run per customer (12 bytes per
 * transaction, two passes over the input), then each run is sorted by date and summarised on
 * its own, in parallel over customers.  Each customer's numbers depend only on its own run,
 * whose order is file order before the sort, so the result does not depend on the thread
 * count.
 */
#include <refnet/value.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

double rn_time_unit_days(rn_time_unit unit)
{
	switch (unit) {
	case RN_TIME_DAY:
		return 1.0;
	case RN_TIME_WEEK:
		return 7.0;
	case RN_TIME_MONTH:
		return 365.25 / 12.0;
	}
	return 0.0;
}

double rn_time_unit_per_year(rn_time_unit unit)
{
	double days = rn_time_unit_days(unit);
	return days > 0.0 ? 365.25 / days : 0.0;
}

void rn_rfm_free(rn_rfm *rfm)
{
	if (!rfm)
		return;
	rn_free(rfm->has_rfm);
	rn_free(rfm->x);
	rn_free(rfm->t_x);
	rn_free(rfm->T);
	rn_free(rfm->monetary);
	rn_free(rfm->first_value);
	rn_free(rfm->first);
	memset(rfm, 0, sizeof *rfm);
}

/* One purchase row of a customer's run. */
typedef struct purchase {
	int32_t date;
	double value;
} purchase;

/* Sorts a run by date.  Same-day rows are summed afterwards, so their order only matters for
 * the last bit of the sum: insertion sort (stable, file order) serves the few rows a typical
 * customer has; long runs use qsort on the full (date, value) key, so the order, and the sum,
 * is still a fixed function of the input. */
static int purchase_cmp(const void *pa, const void *pb)
{
	const purchase *a = pa, *b = pb;
	if (a->date != b->date)
		return a->date < b->date ? -1 : 1;
	if (a->value != b->value)
		return a->value < b->value ? -1 : 1;
	return 0;
}

static void sort_run(purchase *run, uint64_t len)
{
	if (len > 32) {
		qsort(run, (size_t)len, sizeof *run, purchase_cmp);
		return;
	}
	for (uint64_t i = 1; i < len; i++) {
		purchase p = run[i];
		uint64_t j = i;
		while (j > 0 && run[j - 1].date > p.date) {
			run[j] = run[j - 1];
			j--;
		}
		run[j] = p;
	}
}

int rn_rfm_compute(rn_rfm *rfm, uint32_t n, const rn_transactions *tx,
		   const rn_rfm_options *opt, rn_error *err)
{
	memset(rfm, 0, sizeof *rfm);
	if (!opt || !(opt->time_unit == RN_TIME_DAY || opt->time_unit == RN_TIME_WEEK ||
		      opt->time_unit == RN_TIME_MONTH))
		return rn_error_set(err, RN_ECONFIG, NULL, 0, 0, "value.time_unit: unknown unit");
	if (!tx)
		return rn_error_set(err, RN_EDATA, NULL, 0, 0,
				    "RFM: there are no transactions; the model needs purchases");
	if (!tx->margin && !isfinite(opt->margin_share))
		return rn_error_set(err, RN_ECONFIG, NULL, 0, 0,
				    "value.margin: expected a finite number");
	if (n == 0)
		return rn_error_set(err, RN_EDATA, NULL, 0, 0, "RFM: there are no customers");
	if (tx->count == 0)
		return rn_error_set(err, RN_EDATA, NULL, 0, 0,
				    "RFM: there are no transactions; the model needs purchases");

	/* Validate and find the last date (default calibration end). */
	int32_t last = INT32_MIN;
	for (uint64_t i = 0; i < tx->count; i++) {
		if (tx->customer[i] >= n)
			return rn_error_set(err, RN_EDATA, NULL, 0, 0,
					    "RFM: transaction %llu names customer index %u, but "
					    "there are %u customers",
					    (unsigned long long)i + 1, tx->customer[i], n);
		if (tx->date[i] == RN_DATE_NONE)
			return rn_error_set(err, RN_EDATA, NULL, 0, 0,
					    "RFM: transaction %llu has no date",
					    (unsigned long long)i + 1);
		if (!isfinite(tx->amount[i]) || (tx->margin && !isfinite(tx->margin[i])))
			return rn_error_set(err, RN_EDATA, NULL, 0, 0,
					    "RFM: transaction %llu has a non-finite amount or "
					    "margin",
					    (unsigned long long)i + 1);
		if (tx->date[i] > last)
			last = tx->date[i];
	}
	int32_t end = opt->calibration_end == RN_DATE_NONE ? last : opt->calibration_end;
	rfm->n = n;
	rfm->calibration_end = end;
	rfm->unit_days = rn_time_unit_days(opt->time_unit);

	uint64_t *offsets = rn_calloc((size_t)n + 1, sizeof *offsets);
	if (!offsets)
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
	for (uint64_t i = 0; i < tx->count; i++)
		if (tx->date[i] <= end)
			offsets[tx->customer[i] + 1]++;
	for (uint32_t c = 0; c < n; c++)
		offsets[c + 1] += offsets[c];
	uint64_t used = offsets[n];
	rfm->transactions_used = used;
	rfm->transactions_after_end = tx->count - used;
	if (used == 0) {
		rn_free(offsets);
		char day[16];
		rn_format_date(end, day);
		return rn_error_set(err, RN_EDATA, NULL, 0, 0,
				    "RFM: no transaction on or before the calibration end %s", day);
	}

	purchase *runs = rn_malloc_array((size_t)used, sizeof *runs);
	uint64_t *fill = rn_malloc_array((size_t)n, sizeof *fill);
	rfm->has_rfm = rn_calloc(n, sizeof *rfm->has_rfm);
	rfm->x = rn_calloc(n, sizeof *rfm->x);
	rfm->t_x = rn_calloc(n, sizeof *rfm->t_x);
	rfm->T = rn_calloc(n, sizeof *rfm->T);
	rfm->monetary = rn_calloc(n, sizeof *rfm->monetary);
	rfm->first_value = rn_calloc(n, sizeof *rfm->first_value);
	rfm->first = rn_malloc_array(n, sizeof *rfm->first);
	if (!runs || !fill || !rfm->has_rfm || !rfm->x || !rfm->t_x || !rfm->T ||
	    !rfm->monetary || !rfm->first_value || !rfm->first) {
		rn_free(offsets);
		rn_free(runs);
		rn_free(fill);
		rn_rfm_free(rfm);
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
	}
	memcpy(fill, offsets, (size_t)n * sizeof *fill);
	for (uint64_t i = 0; i < tx->count; i++) {
		if (tx->date[i] > end)
			continue;
		uint64_t slot = fill[tx->customer[i]]++;
		runs[slot].date = tx->date[i];
		runs[slot].value = tx->margin ? tx->margin[i] : tx->amount[i] * opt->margin_share;
	}
	rn_free(fill);

	const double unit = rfm->unit_days;
	uint32_t with_rfm = 0, repeat = 0;
	/* Per customer: sort the run, merge same-day rows, summarise.  Bound by the random
	 * accesses of the scatter above; this loop streams each run once after sorting. */
#pragma omp parallel for schedule(dynamic, 4096) reduction(+ : with_rfm, repeat) if (n > 65536)
	for (int64_t ci = 0; ci < (int64_t)n; ci++) {
		uint32_t c = (uint32_t)ci;
		uint64_t lo = offsets[c], hi = offsets[c + 1];
		if (lo == hi) {
			rfm->first[c] = RN_DATE_NONE;
			continue;
		}
		purchase *run = runs + lo;
		uint64_t len = hi - lo;
		sort_run(run, len);
		int32_t first = run[0].date, prev = first, latest = first;
		double first_value = 0.0, repeat_sum = 0.0;
		uint32_t x = 0;
		for (uint64_t k = 0; k < len; k++) {
			if (run[k].date == first) {
				first_value += run[k].value;
				continue;
			}
			if (run[k].date != prev) {
				x++;
				prev = run[k].date;
				latest = prev;
			}
			repeat_sum += run[k].value;
		}
		rfm->has_rfm[c] = 1;
		rfm->first[c] = first;
		rfm->first_value[c] = first_value;
		rfm->x[c] = x;
		rfm->t_x[c] = (double)(latest - first) / unit;
		rfm->T[c] = (double)(end - first) / unit;
		rfm->monetary[c] = x ? repeat_sum / (double)x : 0.0;
		with_rfm++;
		if (x)
			repeat++;
	}
	rn_free(runs);
	rn_free(offsets);
	rfm->customers_with_rfm = with_rfm;
	rfm->repeat_buyers = repeat;
	return RN_OK;
}
