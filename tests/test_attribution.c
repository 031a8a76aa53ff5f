/*
 * test_attribution.c - acquisition attribution shares a(u,v) under the four policies, with
 * hand-built referral rows: two referrers of one customer, ties, late and undated rows,
 * duplicate pairs, self-referrals, rewards, errors and allocation failures.
 * Shares are exact binary fractions here (1, 1/2, 3/4, 1/4) or 1/3, compared to 1e-15.
 */
#include "check.h"

#include <refnet/value.h>

#define D RN_DATE_NONE

typedef struct rows {
	rn_referrals refs;
	uint32_t referrer[16], referred[16];
	int32_t date[16];
	float weight[16], reward[16];
} rows;

static void add(rows *r, uint32_t u, uint32_t v, int32_t date, float weight, float reward)
{
	uint64_t i = r->refs.count++;
	r->referrer[i] = u;
	r->referred[i] = v;
	r->date[i] = date;
	r->weight[i] = weight;
	r->reward[i] = reward;
}

static void init_rows(rows *r)
{
	memset(r, 0, sizeof *r);
	r->refs.referrer = r->referrer;
	r->refs.referred = r->referred;
	r->refs.date = r->date;
	r->refs.weight = r->weight;
	r->refs.reward = r->reward;
}

/* a(u,v) from the CSR, 0 when absent. */
static double share_of(const rn_attribution *a, uint32_t u, uint32_t v)
{
	for (uint64_t e = a->offsets[u]; e < a->offsets[u + 1]; e++)
		if (a->referred[e] == v)
			return a->share[e];
	return 0.0;
}

static int32_t date_of(const rn_attribution *a, uint32_t u, uint32_t v)
{
	for (uint64_t e = a->offsets[u]; e < a->offsets[u + 1]; e++)
		if (a->referred[e] == v)
			return a->date[e];
	return -1;
}

/* Customer 2 (acquired day 100) referred by 1 on day 90 (weight 1) and by 0 on day 80
 * (weight 3); customer 3 referred it on day 120, after the acquisition: never credited. */
static void test_two_referrers(void)
{
	rows r;
	init_rows(&r);
	add(&r, 1, 2, 90, 1.0f, 5.0f);
	add(&r, 0, 2, 80, 3.0f, 5.0f);
	add(&r, 3, 2, 120, 1.0f, 2.0f);
	int32_t acquired[4] = {0, 0, 100, 0};
	rn_error err;
	rn_attribution a;

	CHECK_INT(rn_attribution_build(&a, 4, &r.refs, acquired, RN_ATTR_FIRST, &err), 0);
	CHECK_NEAR(share_of(&a, 0, 2), 1.0, 0);
	CHECK_NEAR(share_of(&a, 1, 2), 0.0, 0);
	CHECK_NEAR(share_of(&a, 3, 2), 0.0, 0);
	CHECK_INT(date_of(&a, 0, 2), 80);
	CHECK_INT(a.m, 1);
	CHECK_INT(a.late_rows, 1);
	CHECK_INT(a.undated_rows, 0);
	CHECK_INT(a.attributed_customers, 1);
	CHECK(a.attributed[2] && !a.attributed[0]);
	CHECK_NEAR(a.reward[2], 12.0, 0); /* every row naming v, the late one too */
	rn_attribution_free(&a);

	CHECK_INT(rn_attribution_build(&a, 4, &r.refs, acquired, RN_ATTR_LAST, &err), 0);
	CHECK_NEAR(share_of(&a, 1, 2), 1.0, 0);
	CHECK_NEAR(share_of(&a, 0, 2), 0.0, 0);
	CHECK_INT(date_of(&a, 1, 2), 90);
	rn_attribution_free(&a);

	CHECK_INT(rn_attribution_build(&a, 4, &r.refs, acquired, RN_ATTR_EQUAL, &err), 0);
	CHECK_NEAR(share_of(&a, 0, 2), 0.5, 0);
	CHECK_NEAR(share_of(&a, 1, 2), 0.5, 0);
	CHECK_NEAR(share_of(&a, 3, 2), 0.0, 0);
	CHECK_INT(a.m, 2);
	/* CSR rows: referrer 0 then 1, each with one entry. */
	CHECK_INT(a.offsets[0], 0);
	CHECK_INT(a.offsets[1], 1);
	CHECK_INT(a.offsets[2], 2);
	CHECK_INT(a.offsets[4], 2);
	rn_attribution_free(&a);

	CHECK_INT(rn_attribution_build(&a, 4, &r.refs, acquired, RN_ATTR_WEIGHT, &err), 0);
	CHECK_NEAR(share_of(&a, 0, 2), 0.75, 0);
	CHECK_NEAR(share_of(&a, 1, 2), 0.25, 0);
	rn_attribution_free(&a);
}

/* Same dates: first keeps the earlier row, last the later one. */
static void test_ties_and_undated(void)
{
	rows r;
	init_rows(&r);
	add(&r, 2, 0, 50, 1, 0);
	add(&r, 1, 0, 50, 1, 0);
	add(&r, 3, 0, 50, 1, 0);
	int32_t acquired[4] = {60, D, D, D};
	rn_error err;
	rn_attribution a;
	CHECK_INT(rn_attribution_build(&a, 4, &r.refs, acquired, RN_ATTR_FIRST, &err), 0);
	CHECK_NEAR(share_of(&a, 2, 0), 1.0, 0);
	rn_attribution_free(&a);
	CHECK_INT(rn_attribution_build(&a, 4, &r.refs, acquired, RN_ATTR_LAST, &err), 0);
	CHECK_NEAR(share_of(&a, 3, 0), 1.0, 0);
	rn_attribution_free(&a);
	CHECK_INT(rn_attribution_build(&a, 4, &r.refs, acquired, RN_ATTR_EQUAL, &err), 0);
	CHECK_NEAR(share_of(&a, 1, 0), 1.0 / 3.0, 1e-15);
	CHECK_NEAR(share_of(&a, 2, 0) + share_of(&a, 1, 0) + share_of(&a, 3, 0), 1.0, 1e-15);
	rn_attribution_free(&a);

	/* No date column at all: file order decides, every row counted as undated. */
	r.refs.date = NULL;
	CHECK_INT(rn_attribution_build(&a, 4, &r.refs, acquired, RN_ATTR_FIRST, &err), 0);
	CHECK_NEAR(share_of(&a, 2, 0), 1.0, 0);
	CHECK_INT(a.undated_rows, 3);
	CHECK_INT(date_of(&a, 2, 0), D);
	rn_attribution_free(&a);
	CHECK_INT(rn_attribution_build(&a, 4, &r.refs, NULL, RN_ATTR_LAST, &err), 0);
	CHECK_NEAR(share_of(&a, 3, 0), 1.0, 0);
	rn_attribution_free(&a);

	/* A dated row wins over an undated one under first and last. */
	init_rows(&r);
	add(&r, 1, 0, D, 1, 0);
	add(&r, 2, 0, 40, 1, 0);
	add(&r, 3, 0, D, 1, 0);
	CHECK_INT(rn_attribution_build(&a, 4, &r.refs, acquired, RN_ATTR_FIRST, &err), 0);
	CHECK_NEAR(share_of(&a, 2, 0), 1.0, 0);
	CHECK_INT(a.undated_rows, 2);
	rn_attribution_free(&a);
	CHECK_INT(rn_attribution_build(&a, 4, &r.refs, acquired, RN_ATTR_LAST, &err), 0);
	CHECK_NEAR(share_of(&a, 2, 0), 1.0, 0);
	rn_attribution_free(&a);
}

/* Duplicate pairs, self-referrals, customers whose every row is late, zero weights. */
static void test_duplicates_self_late(void)
{
	rows r;
	init_rows(&r);
	add(&r, 0, 2, 10, 1, 0);
	add(&r, 1, 2, 12, 1, 0);
	add(&r, 0, 2, 5, 1, 0);	 /* same pair again, earlier date */
	add(&r, 3, 3, 1, 1, 1);	 /* self-referral */
	add(&r, 0, 1, 30, 1, 0); /* 1 acquired on day 20: late */
	add(&r, 4, 0, 1, 0, 0);	 /* weight 0 only */
	int32_t acquired[5] = {5, 20, 100, 1, 0};
	rn_error err;
	rn_attribution a;
	CHECK_INT(rn_attribution_build(&a, 5, &r.refs, acquired, RN_ATTR_EQUAL, &err), 0);
	CHECK_NEAR(share_of(&a, 0, 2), 0.5, 0);
	CHECK_NEAR(share_of(&a, 1, 2), 0.5, 0);
	CHECK_INT(date_of(&a, 0, 2), 5); /* earliest dated row of the pair */
	CHECK_INT(a.self_referrals, 1);
	CHECK_INT(a.late_rows, 1);
	CHECK_INT(a.unattributed_customers, 2); /* 1 (late only) and 3 (self only) */
	CHECK_INT(a.attributed_customers, 2);	/* 2 and 0 */
	CHECK(!a.attributed[1] && !a.attributed[3]);
	CHECK_NEAR(a.reward[3], 1.0, 0);
	CHECK_NEAR(share_of(&a, 4, 0), 1.0, 0);
	rn_attribution_free(&a);

	CHECK_INT(rn_attribution_build(&a, 5, &r.refs, acquired, RN_ATTR_WEIGHT, &err), 0);
	CHECK_NEAR(share_of(&a, 0, 2), 2.0 / 3.0, 1e-15); /* two rows of weight 1 against one */
	CHECK_NEAR(share_of(&a, 1, 2), 1.0 / 3.0, 1e-15);
	CHECK_INT(a.zero_weight_customers, 1); /* customer 0: equal shares instead */
	CHECK_NEAR(share_of(&a, 4, 0), 1.0, 0);
	/* Shares of every attributed customer sum to 1. */
	double sum[5] = {0};
	for (uint32_t u = 0; u < 5; u++)
		for (uint64_t e = a.offsets[u]; e < a.offsets[u + 1]; e++)
			sum[a.referred[e]] += a.share[e];
	for (uint32_t v = 0; v < 5; v++)
		CHECK_NEAR(sum[v], a.attributed[v] ? 1.0 : 0.0, 1e-15);
	rn_attribution_free(&a);
}

static void test_errors_and_alloc(void)
{
	rows r;
	init_rows(&r);
	add(&r, 0, 1, D, 1, 0);
	add(&r, 1, 5, D, 1, 0);
	rn_error err;
	rn_attribution a;
	CHECK_INT(rn_attribution_build(&a, 3, &r.refs, NULL, RN_ATTR_EQUAL, &err), RN_EDATA);
	CHECK_CONTAINS(err.message, "referral row 2");
	r.referred[1] = 2;
	r.weight[1] = -1.0f;
	CHECK_INT(rn_attribution_build(&a, 3, &r.refs, NULL, RN_ATTR_WEIGHT, &err), RN_EDATA);
	CHECK_CONTAINS(err.message, "weight");
	r.weight[1] = 1.0f;
	r.reward[0] = -2.0f;
	CHECK_INT(rn_attribution_build(&a, 3, &r.refs, NULL, RN_ATTR_WEIGHT, &err), RN_EDATA);
	CHECK_CONTAINS(err.message, "reward");
	r.reward[0] = 0.0f;

	rn_attribution_policy pol;
	CHECK_INT(rn_attribution_policy_parse("weight", &pol), 0);
	CHECK_INT(pol, RN_ATTR_WEIGHT);
	CHECK_INT(rn_attribution_policy_parse("median", &pol), -1);
	CHECK_STR(rn_attribution_policy_name(RN_ATTR_FIRST), "first");

	/* Every allocation failure is reported as RN_ENOMEM and leaks nothing (ASan build). */
	int failures = 0;
	for (uint64_t k = 1; k < 64; k++) {
		rn_alloc_fail_at(k, 0);
		int rc = rn_attribution_build(&a, 3, &r.refs, NULL, RN_ATTR_EQUAL, &err);
		rn_alloc_fail_at(0, 0);
		if (rc == RN_OK) {
			rn_attribution_free(&a);
			break;
		}
		CHECK_INT(rc, RN_ENOMEM);
		failures++;
	}
	CHECK(failures >= 10);

	/* No rows at all: an empty CSR. */
	rn_referrals none = {0};
	CHECK_INT(rn_attribution_build(&a, 3, &none, NULL, RN_ATTR_FIRST, &err), 0);
	CHECK_INT(a.m, 0);
	CHECK_INT(a.offsets[3], 0);
	rn_attribution_free(&a);
}

int main(void)
{
	test_two_referrers();
	test_ties_and_undated();
	test_duplicates_self_late();
	test_errors_and_alloc();
	return check_report();
}
