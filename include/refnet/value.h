/*
 * refnet/value.h - what a customer is worth and what marketing returns: CLV models (column,
 * historic, BG/NBD + Gamma-Gamma), customer referral value and multi-generation network value,
 * ROI per campaign and channel, and the marketing-mix model.
 */
#ifndef REFNET_VALUE_H
#define REFNET_VALUE_H

#include <refnet/algo.h>
#include <refnet/graph.h>
#include <refnet/io.h>
#include <refnet/util.h>

/* ---- CLV models ------------------------------------------------------------------------ */

/*
 * Own value of each customer (docs/VALUE_MODELS.md).  Everything here works on plain arrays so
 * that it needs nothing from the loaders beyond the rn_transactions layout: customer indices
 * (< n), dates as days since 1970-01-01, amounts and optional margins.
 *
 * Pipeline for value.model = bgnbd: rn_rfm_compute (DESIGN.md "BTYD conventions") ->
 * rn_bgnbd_fit_data on (x, t_x, T) and rn_gamma_gamma_fit_data on (x, mean repeat value) ->
 * per-customer predictions.  rn_clv_compute runs the whole chosen model.
 */

typedef enum rn_time_unit {
	RN_TIME_DAY = 0,   /* 1 day */
	RN_TIME_WEEK,      /* 7 days */
	RN_TIME_MONTH,     /* 365.25 / 12 days */
} rn_time_unit;

/* Length of a time unit in days, and how many of them make a year (365.25 days). */
double rn_time_unit_days(rn_time_unit unit);
double rn_time_unit_per_year(rn_time_unit unit);

typedef struct rn_rfm_options {
	rn_time_unit time_unit;
	int32_t calibration_end;  /* last day of the calibration period (inclusive);
				     RN_DATE_NONE: the last transaction date */
	double margin_share;      /* value.margin: share of amount kept when there is no margin
				     column (ignored when tx->margin != NULL); must be finite */
} rn_rfm_options;

/* RFM summary per customer over the calibration period.  Same-day transactions are one
 * purchase (their values summed).  The "value" of a purchase is its margin when the
 * transactions have a margin column, otherwise amount * margin_share. */
typedef struct rn_rfm {
	uint32_t n;               /* customers (array length) */
	uint8_t *has_rfm;         /* 1 when the customer bought in the calibration period */
	uint32_t *x;              /* frequency: repeat purchases (distinct days after the first) */
	double *t_x;              /* recency: last purchase - first purchase, in time units */
	double *T;                /* age: calibration_end - first purchase, in time units */
	double *monetary;         /* mean value of the repeat purchases; 0 when x == 0 */
	double *first_value;      /* value of the first purchase (day) */
	int32_t *first;           /* first purchase date, RN_DATE_NONE without RFM */
	int32_t calibration_end;  /* resolved */
	double unit_days;         /* days per time unit */
	uint32_t customers_with_rfm;
	uint32_t repeat_buyers;   /* x >= 1 */
	uint64_t transactions_used;      /* rows with date <= calibration_end */
	uint64_t transactions_after_end; /* rows after calibration_end (ignored) */
} rn_rfm;

/* Fills rfm (arrays allocated here; free with rn_rfm_free, also after an error).  Errors
 * (RN_EDATA): n == 0, no transactions, a customer index >= n, a missing date, a non-finite
 * amount or margin, no transaction on or before calibration_end.  RN_ECONFIG: bad options. */
int rn_rfm_compute(rn_rfm *rfm, uint32_t n, const rn_transactions *tx,
		   const rn_rfm_options *opt, rn_error *err);
void rn_rfm_free(rn_rfm *rfm);

/* ---- BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way") ---- */

typedef struct rn_bgnbd_params {
	double r, alpha, a, b;
} rn_bgnbd_params;

typedef struct rn_bgnbd_fit {
	rn_bgnbd_params params;
	rn_bgnbd_params se;       /* standard errors from the inverse observed information */
	double loglik;            /* at the estimate, summed over customers */
	uint64_t customers;       /* customers in the fit */
	uint64_t repeat_buyers;
	uint64_t groups;          /* distinct (x, t_x, T) triples the likelihood ran over */
	int iterations;           /* optimiser iterations */
} rn_bgnbd_fit;

/* Log-likelihood of one customer, FHL 2005 eq. 6, in log space.  t_x <= T, x == 0 -> t_x
 * ignored. */
double rn_bgnbd_loglik(const rn_bgnbd_params *p, uint32_t x, double t_x, double T);
/* Maximum-likelihood fit on count customers (arrays of length count).  RN_EDATA with a
 * message when the data cannot identify the model (fewer than 3 customers, no repeat buyer,
 * invalid t_x/T), when the optimiser does not converge, or when the Hessian is not positive
 * definite.  Parallel over groups; the result does not depend on the thread count. */
int rn_bgnbd_fit_data(rn_bgnbd_fit *fit, size_t count, const uint32_t *x, const double *t_x,
		      const double *T, rn_error *err);
/* P(alive | x, t_x, T): Fader, Hardie & Lee (2008), note "Computing P(alive) using the
 * BG/NBD model". */
double rn_bgnbd_p_alive(const rn_bgnbd_params *p, uint32_t x, double t_x, double T);
/* Expected purchases in (T, T + t], FHL 2005 eq. 10.  Returns 0 or RN_EDATA when the
 * hypergeometric function cannot be evaluated. */
int rn_bgnbd_expected(const rn_bgnbd_params *p, uint32_t x, double t_x, double T, double t,
		      double *out);
/* The numerator of FHL eq. 10: expected purchases in (T, T + t] of a customer known to be
 * alive at T (it does not depend on t_x); eq. 10 is this times P(alive). */
int rn_bgnbd_expected_alive(const rn_bgnbd_params *p, uint32_t x, double T, double t,
			    double *out);
/* Expected purchases in (0, t] for a new customer, FHL 2005 eq. 9. */
int rn_bgnbd_expected_new(const rn_bgnbd_params *p, double t, double *out);
/* Gaussian hypergeometric 2F1(a, b; c; z) for 0 <= z < 1: GSL where it succeeds, otherwise a
 * power series (after Euler's transformation when that makes it better behaved). */
int rn_hyp2f1(double a, double b, double c, double z, double *out);

/* ---- Gamma-Gamma spend (Fader, Hardie & Lee 2005 "RFM and CLV"; Fader & Hardie 2013) ---- */

typedef struct rn_gamma_gamma_params {
	double p, q, v;           /* v is the paper's gamma (scale of the spend heterogeneity) */
} rn_gamma_gamma_params;

typedef struct rn_gamma_gamma_fit {
	rn_gamma_gamma_params params;
	rn_gamma_gamma_params se;
	double loglik;
	uint64_t customers;       /* repeat buyers in the fit */
	int iterations;
} rn_gamma_gamma_fit;

/* Log-density of the mean mbar of x repeat purchases (Fader & Hardie 2013, eq. 4). */
double rn_gamma_gamma_loglik(const rn_gamma_gamma_params *p, uint32_t x, double mbar);
/* Fit on the entries with x >= 1 (others skipped).  RN_EDATA: fewer than 2 repeat buyers, a
 * repeat buyer with mbar <= 0 or non-finite, no convergence, Hessian not positive definite,
 * or q <= 1 (the mean spend of the population would be infinite). */
int rn_gamma_gamma_fit_data(rn_gamma_gamma_fit *fit, size_t count, const uint32_t *x,
			    const double *mbar, rn_error *err);
/* E[M | x, mbar] (Fader & Hardie 2013, eq. 5); for x == 0 the population mean p v / (q - 1). */
double rn_gamma_gamma_expected(const rn_gamma_gamma_params *p, uint32_t x, double mbar);

/* ---- Model dispatch ---- */

typedef enum rn_clv_model {
	RN_CLV_COLUMN = 0,  /* clv given in the customers table */
	RN_CLV_HISTORIC,    /* present value at the first purchase of the observed margins */
	RN_CLV_BGNBD,       /* BG/NBD + Gamma-Gamma, discounted expected margin over horizon */
} rn_clv_model;

typedef struct rn_clv_options {
	rn_clv_model model;
	rn_time_unit time_unit;   /* value.time_unit */
	int32_t calibration_end;  /* value.calibration_end, RN_DATE_NONE: last transaction */
	double horizon;           /* value.horizon, time units (> 0) */
	double discount_rate;     /* value.discount_rate, per year (>= 0) */
	double margin;            /* value.margin, share of amount without a margin column */
} rn_clv_options;

/* Defaults of DESIGN.md "Configuration": historic, week, last date, 52, 0.10, 1.0. */
void rn_clv_options_default(rn_clv_options *opt);

typedef struct rn_clv_result {
	uint32_t n;
	rn_clv_model model;
	double *clv;              /* n, never NaN; 0 for customers the model has no data for */
	uint8_t *has_value;       /* n, 1 when clv comes from data for this customer */
	/* bgnbd only (NULL otherwise): */
	double *expected_purchases; /* n, over the horizon */
	double *p_alive;            /* n */
	double *expected_spend;     /* n, E[M], value units (margin) per purchase */
	rn_rfm rfm;                 /* historic and bgnbd: the RFM summary */
	rn_bgnbd_fit bgnbd;
	rn_gamma_gamma_fit gamma_gamma;
	uint32_t customers_without_value; /* has_value == 0 */
	double seconds_rfm, seconds_fit, seconds_predict;
} rn_clv_result;

/* Runs the chosen model over n customers.  column: clv_column (n entries, finite) required;
 * historic and bgnbd: tx required.  Free with rn_clv_result_free (also after an error). */
int rn_clv_compute(rn_clv_result *res, uint32_t n, const rn_transactions *tx,
		   const double *clv_column, const rn_clv_options *opt, rn_error *err);
void rn_clv_result_free(rn_clv_result *res);
/* "column", "historic", "bgnbd" and "day", "week", "month"; parsers return 0 or -1. */
const char *rn_clv_model_name(rn_clv_model model);
int rn_clv_model_parse(const char *s, rn_clv_model *out);
const char *rn_time_unit_name(rn_time_unit unit);
int rn_time_unit_parse(const char *s, rn_time_unit *out);

/* ---- Referral value, ROI and the marketing-mix model ----------------------------------- */

#endif
