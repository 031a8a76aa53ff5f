/*
 * refnet/gen.h - synthetic export sets with known ground truth (`refnet generate`).
 *
 * The generator writes the four CSV tables of the data model (customers, referrals,
 * transactions, spend) and a truth.json holding every parameter and the realised counts, from
 * the generative model documented in docs/GENERATOR.md: paid campaigns with adstocked,
 * saturating response; organic arrivals; a subcritical branching process of referrals; BG/NBD
 * purchases with Gamma-Gamma spend.
 *
 * Output is a pure function of the parameters (threads excepted): every random draw comes from
 * a counter-based stream keyed by (seed, purpose, entity), so the bytes do not depend on the
 * thread count or on scheduling.  Per-customer state is 8 bytes (about 20 at the peak, while
 * customers are reordered), so 1e8 customers need about 2 GB; rows are produced in parallel
 * blocks and written in order.
 */
#ifndef REFNET_GEN_H
#define REFNET_GEN_H

#include <refnet/util.h>

#include <stdint.h>

#define RN_GEN_MAX_CHANNELS 16
#define RN_GEN_MAX_CAMPAIGNS 99      /* per channel: names <channel>_01 .. _99 */
#define RN_GEN_NAME_MAX 32
#define RN_GEN_MAX_CUSTOMERS 4000000000ull
#define RN_GEN_MAX_WEEKS 5000u
/* Spend levels and half-saturation points are quoted per this many customers and scale
 * linearly with the requested size, so that acquisition costs do not depend on N. */
#define RN_GEN_REFERENCE_CUSTOMERS 100000.0

/* One paid channel: its campaigns' flighting and spend, and its response curve
 * acquisitions_w = beta * Hill(adstock(spend)_w; half_saturation, shape) (Jin et al. 2017). */
typedef struct rn_gen_channel {
	char name[RN_GEN_NAME_MAX];
	uint32_t campaigns;     /* number of campaigns, 1..RN_GEN_MAX_CAMPAIGNS */
	double spend;           /* mean weekly spend of one campaign while on (per 1e5 customers) */
	double on_share;        /* long-run share of weeks a campaign is on, (0, 1] */
	double flight_weeks;    /* mean length of an on period in weeks, >= 1 */
	double beta;            /* response ceiling, customers per week (relative, per 1e5) */
	double theta;           /* geometric adstock decay, [0, 1) */
	double half_saturation; /* Hill K in adstocked spend (per 1e5 customers), > 0 */
	double shape;           /* Hill shape s, > 0 */
} rn_gen_channel;

typedef struct rn_gen_params {
	uint64_t customers;        /* exactly this many customers are written */
	uint64_t seed;
	int32_t start;             /* first day, days since 1970-01-01 */
	uint32_t weeks;            /* length of the period */
	int threads;               /* 0: OpenMP default; never changes the output */
	int messy;                 /* campaign names with commas and quotes (RFC 4180 quoting) */

	uint32_t n_channels;
	rn_gen_channel channel[RN_GEN_MAX_CHANNELS];
	uint32_t adstock_max_lag;  /* L: the adstock sums lags 0..L */

	double organic_base;       /* organic arrivals per week (relative, per 1e5) */
	double organic_trend;      /* relative growth of organic arrivals over the period */
	double organic_season;     /* amplitude of the yearly seasonal cycle, [0, 1) */

	double refer_share;        /* share of customers who make referrals (attempts) */
	double mean_offspring;     /* mean successful referrals per customer, [0, 0.95] */
	double offspring_sigma;    /* sigma of the discrete lognormal number of successes */
	uint32_t max_offspring;    /* cap on successful referrals of one customer */
	double delay_mean_days;    /* mean referral delay (gamma distributed), days */
	double delay_shape;        /* gamma shape of the delay */
	double wom_rate;           /* extra word-of-mouth edges per customer */
	double wom_reciprocal;     /* share of those that point back to the customer's referrer */
	double heavy_weight_share; /* share of edges with weight > 1 */
	double reward;             /* reward paid per successful referral */

	double bgnbd_r, bgnbd_alpha, bgnbd_a, bgnbd_b; /* BG/NBD, time unit week */
	double gg_p, gg_q, gg_gamma;                   /* Gamma-Gamma spend per transaction */
	double referred_value_lift;                    /* spend multiplier of referred customers */
} rn_gen_params;

/* What a run produced (all counts exact). */
typedef struct rn_gen_stats {
	uint64_t customers, paid, organic, referred;
	uint64_t referrers_drawn;    /* customers who were drawn as referrers (attempted) */
	uint64_t active_referrers;   /* customers with at least one successful referral */
	uint64_t primary_edges;      /* referral edges that acquired their referred customer */
	uint64_t wom_edges;          /* extra word-of-mouth edges */
	uint64_t reciprocal_edges;   /* of which pointing back to the referrer (2-cycles) */
	uint64_t transactions;
	uint64_t spend_rows;
	double revenue, total_spend;
	/* Customers acquired at least maturity_days before the last day, and their successful
	 * referrals: the uncensored estimate of the mean offspring. */
	uint32_t maturity_days;
	uint64_t mature_customers, mature_offspring;
	double scale;                /* kappa: relative intensities -> customers per week */
	double offspring_mu;         /* lognormal location solved for mean_offspring */
} rn_gen_stats;

/* Progress callback, called from the calling thread only; fraction in [0, 1] within stage. */
typedef void (*rn_gen_progress_fn)(void *ctx, const char *stage, double fraction);

/* Defaults (customers 0: must be set): 104 weeks from 2024-01-01, channels search, social, display, tv, referral and
 * purchase parameters from the literature cited in docs/GENERATOR.md. */
void rn_gen_params_default(rn_gen_params *p);
/* Sets one parameter from text, by its configuration key ("customers", "mean_offspring",
 * "channels" (comma list, resets channels to their presets), "campaigns" (all channels),
 * "<channel>.<field>" for a channel's fields).  RN_EUSAGE with a message when the key is
 * unknown or the value malformed or out of range. */
int rn_gen_params_set(rn_gen_params *p, const char *key, const char *value, rn_error *err);
/* Reads a flat YAML mapping of the same keys (a "channels" sequence is also accepted);
 * "channels" is applied first.  RN_ENOINPUT when unreadable, RN_ECONFIG with
 * file:line:column otherwise. */
int rn_gen_params_load(rn_gen_params *p, const char *path, rn_error *err);
/* Cross-parameter validation (also done by rn_generate). */
int rn_gen_params_check(const rn_gen_params *p, rn_error *err);
/* Parses a strict YYYY-MM-DD calendar date into days since 1970-01-01; 0 or -1. */
int rn_gen_parse_date(const char *s, int32_t *days);
/* YYYY-MM-DD into buf (11 bytes). */
void rn_gen_format_date(int32_t days, char *buf);

/* Writes customers.csv, referrals.csv, transactions.csv, spend.csv and truth.json into
 * out_dir (created if missing; files appear under their final names only when complete).
 * stats may be NULL. */
int rn_generate(const rn_gen_params *p, const char *out_dir, rn_gen_progress_fn progress,
		void *progress_ctx, rn_gen_stats *stats, rn_error *err);

#endif
