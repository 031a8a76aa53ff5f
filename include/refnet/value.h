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

/*
 * Order of use (docs/VALUE_MODELS.md "Referral value and ROI"): rn_attribution_build from the
 * referral rows -> rn_mean_paid_cac -> rn_referral_value_compute with the CLV array (crv,
 * network_value, rlv, quadrant per customer) -> rn_roi_input_from_dataset + rn_roi_compute
 * (campaigns.csv, channels.csv, the programme row) -> rn_mix_fit with the ROI result.  Every
 * figure that can be undefined carries a flag; writers print such a field as an empty cell.
 */

/*
 * Attribution (DESIGN.md "Acquisition attribution").  a(u,v) is the share of v's acquisition
 * credited to referrer u.  A referral row is *eligible* unless it is dated strictly after v's
 * acquisition date (such rows are counted in late_rows and credit nobody) or is a self-referral
 * (counted in self_referrals).  Rows without a date, or for a v without an acquisition date,
 * are eligible (counted in undated_rows).  Policies over v's eligible rows:
 *   first  - the row with the earliest date (dated rows before undated ones; ties: file order);
 *   last   - the row with the latest date (dated rows before undated ones; ties: later in file);
 *   equal  - 1/k for each of the k distinct referrers;
 *   weight - proportional to the summed weight of each referrer's rows.
 * The shares of every attributed customer sum to 1; a referred customer with no eligible row is
 * unattributed (counted).  The result is a CSR over referrers: row u = (v, a(u,v)), ascending v.
 */
typedef enum rn_attribution_policy {
	RN_ATTR_EQUAL = 0,
	RN_ATTR_FIRST,
	RN_ATTR_LAST,
	RN_ATTR_WEIGHT,
} rn_attribution_policy;

/* Parses "equal" | "first" | "last" | "weight"; returns 0 or -1. */
int rn_attribution_policy_parse(const char *s, rn_attribution_policy *out);
const char *rn_attribution_policy_name(rn_attribution_policy policy);

typedef struct rn_attribution {
	uint32_t n;                /* customers (rows) */
	uint64_t m;                /* (referrer, referred) pairs with a positive share */
	uint64_t *offsets;         /* n + 1 */
	uint32_t *referred;        /* m, ascending within a row */
	double *share;             /* m, a(u,v) in (0, 1] */
	int32_t *date;             /* m, referral date of the credited pair, RN_DATE_NONE if none:
				      the chosen row's date (first/last) or the earliest dated
				      eligible row of the pair (equal/weight) */
	double *reward;            /* n, R_v: rewards paid for referring v (all rows naming v) */
	uint8_t *attributed;       /* n, 1 when v's shares sum to 1 (v acquired by referral) */
	uint64_t rows;             /* referral rows read */
	uint64_t self_referrals;   /* rows u -> u: never credited */
	uint64_t late_rows;        /* rows dated after v's acquisition: never credited */
	uint64_t undated_rows;     /* eligible rows whose date or v's acquisition date is unknown */
	uint32_t attributed_customers;
	uint32_t unattributed_customers; /* referred, but every row late or a self-referral */
	uint32_t zero_weight_customers;  /* weight policy, eligible weights sum to 0: equal shares */
} rn_attribution;

/* Builds the attribution CSR for n customers from the referral rows (file order).  acquired
 * (n entries, RN_DATE_NONE when unknown) may be NULL.  Every index must be < n (RN_EDATA). */
int rn_attribution_build(rn_attribution *out, uint32_t n, const rn_referrals *refs,
			 const int32_t *acquired, rn_attribution_policy policy, rn_error *err);
void rn_attribution_free(rn_attribution *attr);

/*
 * Customer referral value and network value (DESIGN.md "Value"; Kumar, Petersen & Leone 2010).
 * For v referred by u:  u earns a(u,v) * delta(u,v) * c[v], with the per-referred contribution
 *   c[v] = p * (clv[v] - R_v) + (1 - p) * acq_saved
 * ("margin of v" is v's clv), delta(u,v) = (1 + discount_rate)^(-delay/365.25) where delay is the
 * days from u's acquisition to the referral date, and only referrals with delay <= horizon_days
 * count.  With W(u,v) = a(u,v) * delta(u,v) * [delay <= horizon]:
 *   crv = W c,   network_value = W (c + gamma * network_value)   (I - gamma W) nv = W c.
 * Missing dates: the referral date falls back to v's acquisition date; when the delay is still
 * unknown, delta = 1 and the referral counts (undated_pairs).  A referral dated before u's own
 * acquisition has delay 0 (early_pairs).
 */
typedef struct rn_referral_params {
	double incremental_share;      /* p, in [0, 1]; default 0.5 */
	bool acq_saved_auto;           /* default true: mean paid CAC (rn_mean_paid_cac) */
	double acquisition_cost_saved; /* used when !acq_saved_auto; >= 0 */
	double generation_decay;       /* gamma, in [0, 1); default 0.5 */
	int32_t horizon_days;          /* > 0; default 365 */
	double discount_rate;          /* per year, >= 0; default 0.15 */
	double clv_threshold;          /* quadrant thresholds; NaN = median (default) */
	double crv_threshold;
} rn_referral_params;

void rn_referral_params_default(rn_referral_params *par);

typedef enum rn_quadrant {
	RN_QUAD_MISER = 0,     /* low clv, low crv */
	RN_QUAD_AFFLUENT = 1,  /* high clv only */
	RN_QUAD_ADVOCATE = 2,  /* high crv only */
	RN_QUAD_CHAMPION = 3,  /* high both */
} rn_quadrant;

/* "Champions", "Affluents", "Advocates", "Misers". */
const char *rn_quadrant_name(rn_quadrant q);

typedef struct rn_referral_value {
	uint32_t n;
	double *contribution;   /* c[v] (defined for every v; used only where v is referred) */
	double *crv;            /* one generation: W c */
	double *network_value;  /* all generations */
	double *rlv;            /* clv + network_value */
	uint8_t *quadrant;      /* rn_quadrant */
	double acq_saved;       /* the value used */
	bool acq_saved_undefined; /* auto requested but no paid acquisitions: 0 was used */
	double clv_threshold, crv_threshold; /* thresholds used */
	uint32_t iterations;    /* most Gauss-Seidel sweeps spent on one referral cycle */
	uint64_t pairs_counted;       /* credited pairs inside the horizon */
	uint64_t pairs_out_of_horizon;
	uint64_t undated_pairs;
	uint64_t early_pairs;
} rn_referral_value;

/* Mean paid CAC = total spend / number of customers with a campaign (ad-acquired).  *defined
 * is false (and *cac 0) when there is no spend table or no ad-acquired customer. */
void rn_mean_paid_cac(const rn_spend *spend, uint32_t n, const uint32_t *campaign, double *cac,
		      bool *defined);

/* Computes crv, network value, rlv and quadrants.  clv has attr->n entries; acquired may be
 * NULL.  paid_cac is the mean paid CAC (used when par->acq_saved_auto and paid_cac_defined).
 * Parameters out of range are RN_ECONFIG (gamma >= 1 rejected: the series would diverge). */
int rn_referral_value_compute(rn_referral_value *out, const rn_attribution *attr,
			      const double *clv, const int32_t *acquired,
			      const rn_referral_params *par, double paid_cac,
			      bool paid_cac_defined, rn_error *err);
void rn_referral_value_free(rn_referral_value *rv);

/* Solves nv = crv + gamma W nv (crv = W c) with rn_solve_linear: exact on the acyclic part,
 * Gauss-Seidel inside cycles until the L1 change is below 1e-12 relative to max(1, |crv|_1).
 * w is W as a graph (row u: (v, W(u,v)); n, offsets, targets, weights and in_degree are read).
 * Needs every column sum of W <= 1 and 0 <= gamma < 1.  *sweeps (may be NULL) receives the
 * largest number of sweeps spent on one cycle (0 on a forest). */
int rn_network_value_solve(const rn_graph *w, const double *crv, double gamma, double *nv,
			   uint32_t *sweeps, rn_error *err);

/*
 * ROI per campaign and per channel (DESIGN.md "ROI against advertising spend").  Every ratio
 * carries a bit in `defined`; an undefined field holds 0 and writers print it empty.  Never
 * NaN or Inf: CAC needs n > 0; roi_* need S > 0; wom_multiplier needs V > 0.
 */
enum {
	RN_ROI_CAC = 1u << 0,
	RN_ROI_DIRECT = 1u << 1,
	RN_ROI_TOTAL = 1u << 2,
	RN_ROI_WOM = 1u << 3,
};

typedef struct rn_roi_row {
	uint32_t id;           /* campaign or channel index; UINT32_MAX for the referral programme */
	double spend;          /* S (rewards paid R for the programme) */
	uint64_t customers;    /* n */
	double cac;            /* S / n */
	double value_direct;   /* V = sum clv (programme: p * sum clv of referred customers) */
	double value_network;  /* N = sum network_value (programme: p * sum network_value) */
	double roi_direct;     /* (V - S) / S */
	double roi_total;      /* (V + N - S) / S */
	double wom_multiplier; /* (V + N) / V */
	unsigned defined;      /* RN_ROI_* bits */
} rn_roi_row;

typedef struct rn_roi_input {
	uint32_t n;                 /* customers */
	uint32_t n_campaigns, n_channels;
	const uint32_t *campaign;   /* n, UINT32_MAX = none */
	const uint32_t *channel;    /* n, UINT32_MAX = none */
	const int32_t *acquired;    /* n or NULL */
	const double *clv;          /* n */
	const double *network_value;/* n */
	const rn_spend *spend;      /* NULL: no spend table (every spend 0) */
	const rn_transactions *transactions; /* NULL: no before-acquisition check */
	const rn_referrals *referrals;       /* rewards; NULL: no programme rewards */
	const rn_attribution *attribution;   /* who was acquired by referral; may be NULL */
	double incremental_share;   /* p */
} rn_roi_input;

typedef struct rn_roi_result {
	uint32_t n_campaigns, n_channels;
	rn_roi_row *campaigns;      /* n_campaigns rows, index order */
	rn_roi_row *channels;       /* n_channels rows */
	rn_roi_row programme;       /* the referral programme */
	uint32_t campaigns_without_customers;  /* spend > 0 but n == 0 (CAC undefined) */
	double spend_without_customers;
	uint64_t spend_rows_without_channel;   /* count only toward their campaign */
	double spend_without_channel;
	uint64_t transactions_before_acquisition;
	uint64_t referred_with_campaign;       /* in the programme and in a campaign row */
} rn_roi_result;

/* Fills an rn_roi_input from a dataset after rn_dataset_finish: the customer count and the
 * campaign/channel counts from its interners (0 when absent), the customers' columns and the
 * tables it has. */
void rn_roi_input_from_dataset(rn_roi_input *in, const rn_dataset *ds, const double *clv,
			       const double *network_value, const rn_attribution *attribution,
			       double incremental_share);
/* Negative, NaN or infinite spend, or an index out of range, is RN_EDATA naming the row. */
int rn_roi_compute(rn_roi_result *out, const rn_roi_input *in, rn_error *err);
void rn_roi_free(rn_roi_result *res);

/*
 * Marketing-mix model (DESIGN.md "marketing-mix view").  Per channel, weekly acquisitions
 *   y_t = b0 + b1 t/T + sum_h [a_h sin(2 pi h t/P) + c_h cos(2 pi h t/P)] + beta * hill(A_t)
 * with geometric adstock A_t = sum_{l=0..L} theta^l x_{t-l} of weekly spend x and Hill
 * saturation hill(A) = A^s / (A^s + K^s), fitted by ridge least squares (LAPACK dposv).
 * theta, K and s are chosen by grid search on the held-out last 20 % of weeks.
 */
typedef struct rn_mix_params {
	uint32_t max_lag;          /* L, default 8 */
	uint32_t harmonics;        /* Fourier pairs, default 2 */
	double period_weeks;       /* P, default 52 */
	double ridge;              /* lambda on standardised columns, default 1e-2 */
	double holdout_fraction;   /* default 0.2 */
	uint32_t bootstrap;        /* B residual-bootstrap replicates, default 200 (0: none) */
	uint64_t seed;             /* default 1 */
} rn_mix_params;

void rn_mix_params_default(rn_mix_params *par);

/* A point estimate with its bootstrap 95 % percentile interval.  defined == false: the figure
 * does not exist (e.g. no value per customer) and all three are 0.  has_interval == false: no
 * bootstrap was run, or the interval is unbounded (cost per incremental customer when the
 * response coefficient's interval reaches 0); then lo == hi == value. */
typedef struct rn_estimate {
	double value, lo, hi;
	bool defined, has_interval;
} rn_estimate;

typedef struct rn_mix_channel {
	uint32_t channel;          /* channel index */
	uint32_t weeks;            /* T */
	double spend;              /* sum of weekly spend */
	double acquisitions;       /* sum of y */
	double theta, hill_k, hill_s; /* chosen by grid search */
	rn_estimate beta;          /* customers per week at full saturation */
	double holdout_rmse;       /* of the chosen grid point */
	double r_squared;          /* of the final fit on all weeks */
	double value_per_customer; /* mean clv of the channel's customers (input) */
	double wom_multiplier;     /* input; <= 0 means unknown */
	rn_estimate contribution;        /* incremental customers over all weeks */
	rn_estimate cost_per_incremental;/* spend / contribution */
	rn_estimate roi;                 /* (contribution * value - spend) / spend */
	rn_estimate marginal_roi;        /* value * d contribution / d spend - 1 */
	rn_estimate roi_wom;             /* same with value * wom_multiplier */
	rn_estimate marginal_roi_wom;
} rn_mix_channel;

/* Fits one channel from weekly series (T entries each).  value_per_customer and
 * wom_multiplier feed the ROI figures (<= 0 / not finite: those figures undefined).  Fewer than
 * 3 weeks per model parameter, or spend that never varies, is RN_EDATA; name labels messages. */
int rn_mix_fit_series(rn_mix_channel *out, const double *spend, const double *acquisitions,
		      uint32_t weeks, double value_per_customer, double wom_multiplier,
		      const rn_mix_params *par, const char *name, rn_error *err);

typedef struct rn_mix_result {
	uint32_t count;
	rn_mix_channel *channels;  /* channels with spend, ascending index */
	int32_t first_week_start;  /* date of day 0 of week 0 */
	uint32_t weeks;
	uint64_t customers_undated;     /* channel customers without an acquisition date */
	uint64_t spend_rows_without_channel;
} rn_mix_result;

/* Builds weekly series per channel from the customers (acquired, channel) and the spend rows
 * (date, channel) and fits every channel that has spend.  roi (may be NULL) supplies value per
 * customer (V / n) and the wom multiplier per channel.  channel_names (may be NULL; e.g.
 * rn_dataset.channels) label errors. */
int rn_mix_fit(rn_mix_result *out, uint32_t n, const int32_t *acquired,
	       const uint32_t *channel, uint32_t n_channels, const rn_spend *spend,
	       const rn_roi_result *roi, const rn_mix_params *par,
	       const rn_interner *channel_names, rn_error *err);
void rn_mix_free(rn_mix_result *res);


#endif
