/*
 * generate.c - the synthetic export set: model, simulation and streamed CSV output.
 *
 * The run has four stages, each deterministic whatever the thread count:
 *
 *  1. Media plan (small, sequential): weekly spend per campaign with on/off flighting, the
 *     geometric adstock per campaign and the Hill response per channel.  Together
 *     with the organic curve this gives a weight for every (source, week) cell.
 *  2. Referral trees (parallel over roots): customer i of the non-referred ("root") customers
 *     draws its cell from those weights, then the subcritical branching process below it is
 *     simulated breadth first with random streams keyed by the tree path.  Root i's tree does
 *     not depend on how many roots there are, so a first pass counts tree sizes, the prefix sum
 *     finds the number of roots R that makes exactly N customers (the last tree is cut in
 *     breadth-first order, which keeps every kept node's referrer), and a second pass writes
 *     each tree into its slot.  Given R, the root cells are a multinomial draw, i.e. the weekly
 *     counts are independent Poisson counts conditioned on their total R.
 *  3. Ordering (sequential, O(N)): a stable counting sort by acquisition day gives customer
 *     ids that increase with acquisition date, as CRM ids do, and remaps referrer indices.
 *     Per customer we keep the day (uint16), the referrer (uint32) and the source (uint16).
 *  4. Rows (parallel over blocks of customers): customers, referral edges (the primary in-edge
 *     and the customer's extra word-of-mouth edges) and BG/NBD + Gamma-Gamma transactions are
 *     formatted into per-block buffers that the calling thread writes in block order.
 *
 * Formulas and parameter sources are in docs/GENERATOR.md; each is cited where it is used.
 */
#include <refnet/gen.h>

#include "gen/rng.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define NO_PARENT UINT32_MAX
#define SOURCE_ORGANIC 0
#define SOURCE_REFERRAL 1
#define SOURCE_CAMPAIGN 2 /* + campaign index */
#define ROOT_CHUNK 65536u
#define BLOCK_CUSTOMERS 32768u
#define ROW_RESERVE 512u /* bytes that any single row fits in */
#define YEAR_WEEKS 52.1775

struct model {
	const rn_gen_params *p;
	uint64_t n;
	uint32_t days;            /* weeks * 7 */
	uint32_t n_campaigns;
	uint32_t *campaign_channel;
	uint32_t *channel_first;  /* first campaign index of each channel */
	char **campaign_name;     /* display name */
	char **campaign_csv;      /* CSV field (quoted when needed) */
	double *spend;            /* [campaign * weeks + w], currency */
	double *adstock;          /* [campaign * weeks + w] */
	double *channel_adstock;  /* [channel * weeks + w] */
	double *hill;             /* [channel * weeks + w] */
	double *organic;          /* [w], relative */
	double *cell_cdf;         /* cumulative weights of cells (source * weeks + w) */
	uint32_t n_cells;
	double total_weight;
	double size_scale;        /* N / RN_GEN_REFERENCE_CUSTOMERS */
	double offspring_mu;
	double successes_per_referrer;
	uint32_t maturity_days;
	char *date_text;          /* 10 characters per day of the period */
	int id_width;
};

/* ---- Stage 1: media plan ---------------------------------------------------------------- */

static int csv_quote(const char *name, char **out)
{
	size_t len = strlen(name), extra = 0;
	int quote = 0;
	for (size_t i = 0; i < len; i++) {
		if (name[i] == '"')
			extra++;
		if (name[i] == '"' || name[i] == ',' || name[i] == '\n' || name[i] == '\r')
			quote = 1;
	}
	char *s = rn_malloc(len + extra + 3);
	if (!s)
		return RN_ENOMEM;
	size_t k = 0;
	if (quote)
		s[k++] = '"';
	for (size_t i = 0; i < len; i++) {
		if (name[i] == '"')
			s[k++] = '"';
		s[k++] = name[i];
	}
	if (quote)
		s[k++] = '"';
	s[k] = '\0';
	*out = s;
	return RN_OK;
}

/* E[min(floor(X), cap)] for X lognormal(mu, sigma): sum over k of P(X >= k). */
static double discrete_lognormal_mean(double mu, double sigma, uint32_t cap)
{
	double sum = 0;
	for (uint32_t k = 1; k <= cap; k++) {
		double tail = 0.5 * erfc((log((double)k) - mu) / (sigma * sqrt(2.0)));
		sum += tail;
		if (tail < 1e-17 && log((double)k) > mu)
			break;
	}
	return sum;
}

static void model_free(struct model *m)
{
	for (uint32_t k = 0; k < m->n_campaigns; k++) {
		if (m->campaign_name)
			rn_free(m->campaign_name[k]);
		if (m->campaign_csv)
			rn_free(m->campaign_csv[k]);
	}
	rn_free(m->campaign_name);
	rn_free(m->campaign_csv);
	rn_free(m->campaign_channel);
	rn_free(m->channel_first);
	rn_free(m->spend);
	rn_free(m->adstock);
	rn_free(m->channel_adstock);
	rn_free(m->hill);
	rn_free(m->organic);
	rn_free(m->cell_cdf);
	rn_free(m->date_text);
	memset(m, 0, sizeof *m);
}

static int model_init(struct model *m, const rn_gen_params *p, rn_error *err)
{
	memset(m, 0, sizeof *m);
	m->p = p;
	m->n = p->customers;
	const uint32_t W = p->weeks, C = p->n_channels;
	m->days = W * 7;
	m->size_scale = (double)p->customers / RN_GEN_REFERENCE_CUSTOMERS;
	for (uint32_t c = 0; c < C; c++)
		m->n_campaigns += p->channel[c].campaigns;
	const uint32_t K = m->n_campaigns;
	m->n_cells = (C + 1) * W;
	m->campaign_channel = rn_malloc_array(K + 1, sizeof *m->campaign_channel);
	m->channel_first = rn_malloc_array(C + 1, sizeof *m->channel_first);
	m->campaign_name = rn_calloc(K + 1, sizeof *m->campaign_name);
	m->campaign_csv = rn_calloc(K + 1, sizeof *m->campaign_csv);
	m->spend = rn_calloc((size_t)K * W + 1, sizeof *m->spend);
	m->adstock = rn_calloc((size_t)K * W + 1, sizeof *m->adstock);
	m->channel_adstock = rn_calloc((size_t)C * W + 1, sizeof *m->channel_adstock);
	m->hill = rn_calloc((size_t)C * W + 1, sizeof *m->hill);
	m->organic = rn_calloc(W, sizeof *m->organic);
	m->cell_cdf = rn_calloc(m->n_cells, sizeof *m->cell_cdf);
	m->date_text = rn_malloc((size_t)m->days * 10);
	if (!m->campaign_channel || !m->channel_first || !m->campaign_name || !m->campaign_csv ||
	    !m->spend || !m->adstock || !m->channel_adstock || !m->hill || !m->organic ||
	    !m->cell_cdf || !m->date_text)
		goto nomem;

	for (uint32_t d = 0; d < m->days; d++) {
		char buf[11];
		rn_gen_format_date(p->start + (int32_t)d, buf);
		memcpy(m->date_text + (size_t)d * 10, buf, 10);
	}
	m->id_width = 1;
	for (uint64_t v = p->customers; v >= 10; v /= 10)
		m->id_width++;

	/* Campaigns, their names and flighting.  A campaign is a two-state weekly Markov chain:
	 * on -> off with probability 1/flight_weeks, off -> on chosen so that the stationary
	 * share of on-weeks is on_share; the first week is drawn from the stationary law.  Spend
	 * in an on-week is mean-preserving lognormal noise (sigma 0.25) around the level. */
	uint32_t k = 0;
	for (uint32_t c = 0; c < C; c++) {
		const rn_gen_channel *ch = &p->channel[c];
		m->channel_first[c] = k;
		double leave = 1.0 / ch->flight_weeks;
		double enter = ch->on_share >= 1.0 ? 1.0 : ch->on_share * leave / (1.0 - ch->on_share);
		if (enter > 1.0)
			enter = 1.0;
		for (uint32_t j = 0; j < ch->campaigns; j++, k++) {
			char name[RN_GEN_NAME_MAX + 48];
			if (p->messy && j == 0)
				snprintf(name, sizeof name, "%s_%02u, spring launch", ch->name, j + 1);
			else if (p->messy && j == 1)
				snprintf(name, sizeof name, "%s_%02u \"always on\"", ch->name, j + 1);
			else
				snprintf(name, sizeof name, "%s_%02u", ch->name, j + 1);
			m->campaign_channel[k] = c;
			m->campaign_name[k] = rn_strdup(name);
			if (!m->campaign_name[k] || csv_quote(name, &m->campaign_csv[k]))
				goto nomem;
			rng r = rng_stream(rng_key(p->seed, RNG_SPEND, k));
			int on = rng_uniform(&r) < ch->on_share;
			const double sigma = 0.25;
			for (uint32_t w = 0; w < W; w++) {
				if (w > 0) {
					double u = rng_uniform(&r);
					on = on ? !(u < leave) : u < enter;
				}
				double noise = exp(sigma * rng_normal(&r) - 0.5 * sigma * sigma);
				double cents = on ? round(ch->spend * m->size_scale * noise * 100.0) : 0;
				m->spend[(size_t)k * W + w] = cents > 0 ? cents / 100.0 : (on ? 0.01 : 0);
			}
		}
	}
	m->channel_first[C] = k;

	/* Geometric adstock over lags 0..L (Jin, Wang, Sun, Chan & Koehler 2017, "Bayesian
	 * methods for media mix modeling with carryover and shape effects", eq. 1, without the
	 * normalising denominator, as refnet's mix model defines it in src/value/mix.c):
	 * A_w = sum_{l=0}^{L} theta^l S_{w-l}, with S = 0 before the period.
	 * Hill saturation (same paper, eq. 3): H(A) = A^s / (A^s + K^s). */
	const uint32_t L = p->adstock_max_lag;
	for (k = 0; k < K; k++) {
		double theta = p->channel[m->campaign_channel[k]].theta;
		for (uint32_t w = 0; w < W; w++) {
			double sum = 0, pw = 1;
			for (uint32_t l = 0; l <= L && l <= w; l++, pw *= theta)
				sum += pw * m->spend[(size_t)k * W + (w - l)];
			m->adstock[(size_t)k * W + w] = sum;
			m->channel_adstock[(size_t)m->campaign_channel[k] * W + w] += sum;
		}
	}
	for (uint32_t c = 0; c < C; c++) {
		const rn_gen_channel *ch = &p->channel[c];
		double half = ch->half_saturation * m->size_scale;
		for (uint32_t w = 0; w < W; w++) {
			double a = m->channel_adstock[(size_t)c * W + w];
			double as = a > 0 ? pow(a / half, ch->shape) : 0;
			m->hill[(size_t)c * W + w] = as / (1.0 + as);
		}
	}
	/* Organic arrivals: base * (1 + trend * w / (W - 1)) * (1 + season * sin(2 pi w / 52.18)),
	 * a linear trend and a yearly cycle, the components the mix model is expected to absorb. */
	for (uint32_t w = 0; w < W; w++) {
		double frac = W > 1 ? (double)w / (double)(W - 1) : 0;
		m->organic[w] = p->organic_base * (1.0 + p->organic_trend * frac) *
				(1.0 + p->organic_season * sin(6.283185307179586 * w / YEAR_WEEKS));
	}
	double total = 0;
	for (uint32_t s = 0; s <= C; s++)
		for (uint32_t w = 0; w < W; w++) {
			double weight = s == 0 ? m->organic[w]
					       : p->channel[s - 1].beta * m->hill[(size_t)(s - 1) * W + w];
			total += weight;
			m->cell_cdf[(size_t)s * W + w] = total;
		}
	m->total_weight = total;
	if (!(total > 0))
		return rn_error_set(err, RN_EUSAGE, NULL, 0, 0,
				    "no acquisitions possible: every weight is 0 over the period");

	/* Number of successes of a referrer: floor of a lognormal, capped (a discretised
	 * lognormal; heavy tails of successful recommendations: Leskovec, Adamic & Huberman
	 * 2007).  mu is solved by bisection so that refer_share * E[K] = mean_offspring; 64 halvings
	 * of [-60, 60] reach the resolution of a double. */
	m->successes_per_referrer = p->mean_offspring / p->refer_share;
	double lo = -60, hi = 60;
	for (int it = 0; it < 64 && m->successes_per_referrer > 0; it++) {
		double mid = 0.5 * (lo + hi);
		if (discrete_lognormal_mean(mid, p->offspring_sigma, p->max_offspring) <
		    m->successes_per_referrer)
			lo = mid;
		else
			hi = mid;
	}
	m->offspring_mu = m->successes_per_referrer > 0 ? 0.5 * (lo + hi) : -INFINITY;
	/* Customers acquired this long before the end have all but a negligible share of their
	 * referrals inside the period: the gamma delay exceeds 6 means with probability below
	 * 1e-4 for shape >= 2. */
	double maturity = ceil(6.0 * p->delay_mean_days);
	m->maturity_days = maturity > 65535 ? 65535 : (uint32_t)maturity;
	return RN_OK;
nomem:
	return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory building the media plan");
}

/* ---- Stage 2: roots and referral trees -------------------------------------------------- */

struct tree {
	uint64_t *key;
	uint32_t *day;
	uint32_t *parent;
	size_t cap;
	uint32_t count;
	uint64_t referrers;
};

static void tree_free(struct tree *t)
{
	rn_free(t->key);
	rn_free(t->day);
	rn_free(t->parent);
	memset(t, 0, sizeof *t);
}

static int tree_reserve(struct tree *t, size_t need)
{
	if (need <= t->cap)
		return RN_OK;
	size_t cap = t->cap < 64 ? 64 : t->cap * 2;
	while (cap < need)
		cap *= 2;
	uint64_t *key = rn_realloc_array(t->key, cap, sizeof *key);
	if (!key)
		return RN_ENOMEM;
	t->key = key;
	uint32_t *day = rn_realloc_array(t->day, cap, sizeof *day);
	if (!day)
		return RN_ENOMEM;
	t->day = day;
	uint32_t *parent = rn_realloc_array(t->parent, cap, sizeof *parent);
	if (!parent)
		return RN_ENOMEM;
	t->parent = parent;
	t->cap = cap;
	return RN_OK;
}

/* Root i: its cell (source, week) from the cumulative weights, a uniform day of the week, and
 * for a paid channel the campaign in proportion to the campaigns' adstock that week. */
static void draw_root(const struct model *m, uint64_t i, uint32_t *day, uint16_t *source)
{
	const uint32_t W = m->p->weeks;
	rng r = rng_stream(rng_key(m->p->seed, RNG_ROOT, i));
	double u = rng_uniform(&r) * m->total_weight;
	uint32_t lo = 0, hi = m->n_cells - 1;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (m->cell_cdf[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	/* Every cell with cdf[lo] > u >= cdf[lo - 1] has positive weight; only u rounding up to
	 * the total can reach past the last positive cell, so step back to it. */
	while (lo > 0 && m->cell_cdf[lo] == m->cell_cdf[lo - 1])
		lo--;
	uint32_t s = lo / W, w = lo % W;
	uint32_t weekday = (uint32_t)(rng_uniform(&r) * 7.0);
	*day = w * 7 + (weekday > 6 ? 6 : weekday);
	if (s == 0) {
		*source = SOURCE_ORGANIC;
		return;
	}
	uint32_t c = s - 1, first = m->channel_first[c], last = m->channel_first[c + 1];
	double v = rng_uniform(&r) * m->channel_adstock[(size_t)c * W + w], acc = 0;
	uint32_t k = first, chosen = first;
	for (; k < last; k++) {
		double a = m->adstock[(size_t)k * W + w];
		if (a <= 0)
			continue;
		chosen = k; /* the last positive one, should rounding leave v >= acc at the end */
		acc += a;
		if (acc > v)
			break;
	}
	k = chosen;
	*source = (uint16_t)(SOURCE_CAMPAIGN + k);
}

/* The referral tree below root i, breadth first, at most `limit` nodes.  Each node refers with
 * probability refer_share and then has K successes (discretised lognormal, see model_init);
 * child j joins after a gamma delay of at least one day, and children beyond the last day are
 * censored.  Breadth-first order does not depend on limit, so a cut tree is a prefix of the
 * full one. */
static int simulate_tree(const struct model *m, uint64_t i, uint32_t root_day, uint32_t limit,
			 struct tree *t)
{
	const rn_gen_params *p = m->p;
	const double delay_scale = p->delay_mean_days / p->delay_shape;
	if (tree_reserve(t, 1))
		return RN_ENOMEM;
	t->key[0] = rng_key(p->seed, RNG_TREE, i);
	t->day[0] = root_day;
	t->parent[0] = NO_PARENT;
	t->count = 1;
	t->referrers = 0;
	for (uint32_t q = 0; q < t->count; q++) {
		rng r = rng_stream(t->key[q]);
		if (!(rng_uniform(&r) < p->refer_share))
			continue;
		t->referrers++;
		double x = exp(m->offspring_mu + p->offspring_sigma * rng_normal(&r));
		uint32_t successes = x >= (double)p->max_offspring ? p->max_offspring : (uint32_t)x;
		uint64_t key = t->key[q];
		uint32_t day = t->day[q];
		for (uint32_t j = 0; j < successes && t->count < limit; j++) {
			uint64_t child = rng_child_key(key, j);
			rng dr = rng_stream(child ^ 0x5851f42d4c957f2dull);
			double delay = ceil(rng_gamma(&dr, p->delay_shape) * delay_scale);
			if (delay < 1)
				delay = 1;
			if ((double)day + delay >= (double)m->days)
				continue; /* joins after the period: censored */
			if (tree_reserve(t, (size_t)t->count + 1))
				return RN_ENOMEM;
			t->key[t->count] = child;
			t->day[t->count] = day + (uint32_t)delay;
			t->parent[t->count] = q;
			t->count++;
		}
	}
	return RN_OK;
}

/* ---- Stage 4: rows ---------------------------------------------------------------------- */

struct buffer {
	char *data;
	size_t len, cap;
};

struct block_stats {
	uint64_t paid, organic, referred, primary_edges, wom_edges, reciprocal_edges;
	uint64_t transactions, revenue_cents, mature_customers, mature_offspring;
	uint64_t *per_campaign; /* customers acquired by each campaign */
};

struct block {
	struct buffer customers, referrals, transactions;
	struct block_stats stats;
	int rc;
};

static int reserve(struct buffer *b, size_t extra)
{
	if (b->len + extra <= b->cap)
		return RN_OK;
	return rn_grow((void **)&b->data, &b->cap, b->len + extra, 1);
}

static inline char *put_uint(char *s, uint64_t v)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*s++ = tmp[--n];
	return s;
}

static inline char *put_id(char *s, uint64_t index, int width)
{
	*s++ = 'C';
	uint64_t v = index + 1;
	for (int k = width - 1; k >= 0; k--) {
		s[k] = (char)('0' + v % 10);
		v /= 10;
	}
	return s + width;
}

static inline char *put_cents(char *s, uint64_t cents)
{
	s = put_uint(s, cents / 100);
	*s++ = '.';
	*s++ = (char)('0' + (cents / 10) % 10);
	*s++ = (char)('0' + cents % 10);
	return s;
}

static inline char *put_date(char *s, const struct model *m, uint32_t day)
{
	memcpy(s, m->date_text + (size_t)day * 10, 10);
	return s + 10;
}

static inline char *put_str(char *s, const char *text)
{
	size_t len = strlen(text);
	memcpy(s, text, len);
	return s + len;
}

/* Edge weights: 1, or with probability heavy_weight_share 2 + floor(Exp(1)) (repeat
 * recommendations), capped at 20. */
static uint32_t draw_weight(rng *r, double heavy_share)
{
	if (!(rng_uniform(r) < heavy_share))
		return 1;
	double extra = floor(rng_exponential(r));
	return 2 + (extra > 18 ? 18 : (uint32_t)extra);
}

static char *put_edge(char *s, const struct model *m, uint64_t from, uint64_t to, uint32_t day,
		      uint32_t weight, uint64_t reward_cents)
{
	s = put_id(s, from, m->id_width);
	*s++ = ',';
	s = put_id(s, to, m->id_width);
	*s++ = ',';
	s = put_date(s, m, day);
	*s++ = ',';
	s = put_uint(s, weight);
	*s++ = ',';
	s = put_cents(s, reward_cents);
	*s++ = '\n';
	return s;
}

static uint64_t to_cents(double amount)
{
	double cents = round(amount * 100.0);
	if (cents < 1)
		return 1;
	if (cents > 1e15)
		return (uint64_t)1e15;
	return (uint64_t)cents;
}

/* A non-negative amount of money in cents (0 allowed: rewards, spend). */
static uint64_t money_cents(double amount)
{
	double cents = round(amount * 100.0);
	return cents > 0 ? (uint64_t)cents : 0;
}

struct customers_view {
	const uint16_t *day;
	const uint32_t *parent;
	const uint16_t *source;
};

/* Rows of customers [begin, end) into the block's buffers.  This is the hot loop of the run:
 * about 1 + 0.22 + 2.3 rows per customer with the defaults, bound by the gamma draws (log, pow,
 * cos in libm) and by formatting, which is done by hand (date strings copied from a table,
 * digits written backwards) to keep format parsing out of the loop.  Measured: 1e7 customers
 * in 5.4 s wall on 2 cores including the 0.95 GB write, of which ~20 % is the kernel copying
 * to the page cache. */
static int block_rows(const struct model *m, const struct customers_view *v, uint64_t begin,
		      uint64_t end, struct block *b)
{
	const rn_gen_params *p = m->p;
	const uint64_t n = m->n;
	const uint32_t last = m->days - 1;
	const uint32_t mature_cut = m->days > m->maturity_days ? m->days - m->maturity_days : 0;
	const uint64_t reward_cents = money_cents(p->reward);
	struct block_stats *st = &b->stats;
	for (uint64_t i = begin; i < end; i++) {
		uint32_t day = v->day[i];
		uint16_t source = v->source[i];
		uint32_t parent = v->parent[i];
		if (day < mature_cut)
			st->mature_customers++;

		/* customers.csv: customer,acquired,channel,campaign */
		if (reserve(&b->customers, ROW_RESERVE))
			return RN_ENOMEM;
		char *s = b->customers.data + b->customers.len;
		s = put_id(s, i, m->id_width);
		*s++ = ',';
		s = put_date(s, m, day);
		*s++ = ',';
		if (source >= SOURCE_CAMPAIGN) {
			uint32_t k = source - SOURCE_CAMPAIGN;
			s = put_str(s, p->channel[m->campaign_channel[k]].name);
			*s++ = ',';
			s = put_str(s, m->campaign_csv[k]);
			st->paid++;
			st->per_campaign[k]++;
		} else {
			*s++ = ',';
			if (source == SOURCE_ORGANIC)
				st->organic++;
		}
		*s++ = '\n';
		b->customers.len = (size_t)(s - b->customers.data);

		/* referrals.csv: the primary in-edge (dated on the acquisition day, reward paid)... */
		if (reserve(&b->referrals, ROW_RESERVE))
			return RN_ENOMEM;
		s = b->referrals.data + b->referrals.len;
		if (parent != NO_PARENT) {
			rng er = rng_stream(rng_key(p->seed, RNG_EDGE, i));
			s = put_edge(s, m, parent, i, day, draw_weight(&er, p->heavy_weight_share),
				     reward_cents);
			st->referred++;
			st->primary_edges++;
			if (v->day[parent] < mature_cut)
				st->mature_offspring++;
		}
		b->referrals.len = (size_t)(s - b->referrals.data);
		/* ...and extra word-of-mouth edges from this customer, no reward.  Half point back
		 * to the customer's own referrer (a 2-cycle); the others go to a uniformly chosen
		 * other customer: dated on that customer's acquisition when it comes later (a second
		 * referrer), otherwise after both are customers (possibly closing a cycle). */
		if (p->wom_rate > 0 && n > 1) {
			rng wr = rng_stream(rng_key(p->seed, RNG_WOM, i));
			uint32_t count = rng_poisson_small(&wr, p->wom_rate);
			for (uint32_t e = 0; e < count; e++) {
				double u_kind = rng_uniform(&wr), u_target = rng_uniform(&wr);
				double delay = ceil(rng_exponential(&wr) * p->delay_mean_days);
				uint32_t weight = draw_weight(&wr, p->heavy_weight_share);
				uint64_t target;
				uint32_t date;
				if (parent != NO_PARENT && u_kind < p->wom_reciprocal) {
					target = parent;
					date = day + (uint32_t)(delay < last ? delay : last);
					st->reciprocal_edges++;
				} else {
					uint64_t offset = 1 + (uint64_t)(u_target * (double)(n - 1));
					if (offset > n - 1)
						offset = n - 1;
					target = (i + offset) % n;
					uint32_t other = v->day[target];
					if (day < other)
						date = other;
					else
						date = day + (uint32_t)(delay < last ? delay : last);
				}
				if (date > last)
					date = last;
				if (reserve(&b->referrals, ROW_RESERVE))
					return RN_ENOMEM;
				s = b->referrals.data + b->referrals.len;
				s = put_edge(s, m, i, target, date, weight, 0);
				b->referrals.len = (size_t)(s - b->referrals.data);
				st->wom_edges++;
			}
		}

		/* transactions.csv: BG/NBD (Fader, Hardie & Lee 2005, section 2): lambda ~
		 * Gamma(r, alpha), p ~ Beta(a, b); purchases form a Poisson process of rate
		 * lambda per week; after each repeat purchase the customer drops out with
		 * probability p.  The first purchase is on the acquisition day.  Amounts:
		 * Gamma-Gamma (Fader & Hardie 2013; Colombo & Jiang 1999): nu ~ Gamma(q, gamma),
		 * each amount ~ Gamma(p, nu), times the referral lift (Schmitt et al. 2011). */
		rng tr = rng_stream(rng_key(p->seed, RNG_TX, i));
		double lambda = rng_gamma(&tr, p->bgnbd_r) / p->bgnbd_alpha;
		double dropout = rng_beta(&tr, p->bgnbd_a, p->bgnbd_b);
		double nu = rng_gamma(&tr, p->gg_q) / p->gg_gamma;
		double lift = source == SOURCE_REFERRAL ? p->referred_value_lift : 1.0;
		/* Observation window [0, T] with T = (last day - acquisition day) / 7 weeks, the
		 * age the BTYD summary measures.  A purchase at time t is dated round(7 t) days
		 * after acquisition (rounding up would add half a day to every recency, which
		 * biases r and alpha upwards by 3-5 standard errors at 300,000 customers), but
		 * never on or before the previous purchase's day: the BTYD convention merges
		 * same-day purchases, which would thin the heaviest buyers.  So recency never
		 * exceeds T and every purchase in the window is a recorded day. */
		double horizon = (double)(last - day) / 7.0, t = 0;
		uint32_t tx_day = day;
		for (;;) {
			double amount = nu > 0 ? rng_gamma(&tr, p->gg_p) / nu * lift : 0;
			uint64_t cents = to_cents(amount);
			if (reserve(&b->transactions, ROW_RESERVE))
				return RN_ENOMEM;
			s = b->transactions.data + b->transactions.len;
			s = put_id(s, i, m->id_width);
			*s++ = ',';
			s = put_date(s, m, tx_day);
			*s++ = ',';
			s = put_cents(s, cents);
			*s++ = '\n';
			b->transactions.len = (size_t)(s - b->transactions.data);
			st->transactions++;
			st->revenue_cents += cents;
			if (t > 0 && rng_uniform(&tr) < dropout)
				break;
			if (!(lambda > 0))
				break;
			t += rng_exponential(&tr) / lambda;
			if (!(t <= horizon))
				break;
			double offset = floor(t * 7.0 + 0.5);
			if (offset <= tx_day - day)
				offset = tx_day - day + 1;
			if (day + offset > last)
				break;
			tx_day = day + (uint32_t)offset;
		}
	}
	return RN_OK;
}

/* ---- Output files ----------------------------------------------------------------------- */

struct out_file {
	FILE *f;
	char *tmp_path, *final_path;
};

static int out_open(struct out_file *o, const char *dir, const char *name, rn_error *err)
{
	size_t len = strlen(dir) + strlen(name) + 16;
	o->tmp_path = rn_malloc(len);
	o->final_path = rn_malloc(len);
	if (!o->tmp_path || !o->final_path)
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
	snprintf(o->final_path, len, "%s/%s", dir, name);
	snprintf(o->tmp_path, len, "%s/.%s.part", dir, name);
	o->f = fopen(o->tmp_path, "wb");
	if (!o->f)
		return rn_error_set(err, RN_ECANTCREAT, o->tmp_path, 0, 0, "cannot create: %s",
				    strerror(errno));
	setvbuf(o->f, NULL, _IOFBF, 1 << 20);
	return RN_OK;
}

static int out_write(struct out_file *o, const void *data, size_t len, rn_error *err)
{
	if (len && fwrite(data, 1, len, o->f) != len)
		return rn_error_set(err, RN_EIO, o->tmp_path, 0, 0, "write failed: %s",
				    strerror(errno));
	return RN_OK;
}

static int out_close(struct out_file *o, rn_error *err)
{
	if (!o->f)
		return RN_OK;
	int bad = ferror(o->f);
	bad |= fclose(o->f) != 0;
	o->f = NULL;
	if (bad)
		return rn_error_set(err, RN_EIO, o->tmp_path, 0, 0, "write failed: %s",
				    strerror(errno));
	return RN_OK;
}

static void out_discard(struct out_file *o)
{
	if (o->f) {
		fclose(o->f);
		o->f = NULL;
	}
	if (o->tmp_path)
		remove(o->tmp_path);
	rn_free(o->tmp_path);
	rn_free(o->final_path);
	o->tmp_path = o->final_path = NULL;
}

static int out_commit(struct out_file *o, rn_error *err)
{
	if (rename(o->tmp_path, o->final_path) != 0)
		return rn_error_set(err, RN_ECANTCREAT, o->final_path, 0, 0, "cannot rename: %s",
				    strerror(errno));
	return RN_OK;
}

static int write_spend(const struct model *m, struct out_file *o, rn_gen_stats *stats,
		       rn_error *err)
{
	const uint32_t W = m->p->weeks;
	const char *header = "campaign,date,amount,channel\n";
	int rc = out_write(o, header, strlen(header), err);
	char row[ROW_RESERVE];
	for (uint32_t k = 0; k < m->n_campaigns && !rc; k++)
		for (uint32_t w = 0; w < W && !rc; w++) {
			double amount = m->spend[(size_t)k * W + w];
			if (amount <= 0)
				continue;
			char *s = put_str(row, m->campaign_csv[k]);
			*s++ = ',';
			s = put_date(s, m, w * 7);
			*s++ = ',';
			uint64_t cents = to_cents(amount);
			s = put_cents(s, cents);
			*s++ = ',';
			s = put_str(s, m->p->channel[m->campaign_channel[k]].name);
			*s++ = '\n';
			rc = out_write(o, row, (size_t)(s - row), err);
			stats->spend_rows++;
			stats->total_spend += (double)cents / 100.0;
		}
	return rc;
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_array(FILE *f, const double *values, uint32_t count, double scale)
{
	fputc('[', f);
	for (uint32_t i = 0; i < count; i++)
		fprintf(f, "%s%.17g", i ? ", " : "", values[i] * scale);
	fputc(']', f);
}

static int write_truth(const struct model *m, const rn_gen_stats *st, const uint64_t *per_campaign,
		       const double *campaign_spend, struct out_file *o, rn_error *err)
{
	const rn_gen_params *p = m->p;
	const uint32_t W = p->weeks;
	FILE *f = o->f;
	char start[11], end[11];
	rn_gen_format_date(p->start, start);
	rn_gen_format_date(p->start + (int32_t)m->days - 1, end);
	double kappa = st->scale;
	fprintf(f, "{\n  \"generator\": \"refnet generate\",\n  \"version\": \"%s\",\n", RN_VERSION);
	fprintf(f, "  \"seed\": %llu,\n  \"customers\": %llu,\n", (unsigned long long)p->seed,
		(unsigned long long)p->customers);
	fprintf(f, "  \"start\": \"%s\",\n  \"end\": \"%s\",\n  \"weeks\": %u,\n", start, end, W);
	fprintf(f, "  \"time_unit\": \"week\",\n  \"messy\": %s,\n", p->messy ? "true" : "false");
	fprintf(f, "  \"scale\": %.17g,\n  \"size_scale\": %.17g,\n", kappa, m->size_scale);
	fprintf(f, "  \"mix\": {\n    \"adstock\": \"geometric, lags 0..adstock_max_lag\",\n"
		   "    \"adstock_max_lag\": %u,\n    \"saturation\": \"hill\",\n",
		p->adstock_max_lag);
	fprintf(f, "    \"channels\": [\n");
	for (uint32_t c = 0; c < p->n_channels; c++) {
		const rn_gen_channel *ch = &p->channel[c];
		fprintf(f, "      {\"name\": ");
		json_string(f, ch->name);
		fprintf(f, ", \"beta\": %.17g, \"beta_relative\": %.17g, \"theta\": %.17g, "
			   "\"half_saturation\": %.17g, \"shape\": %.17g,\n",
			kappa * ch->beta, ch->beta, ch->theta, ch->half_saturation * m->size_scale,
			ch->shape);
		fprintf(f, "       \"spend_level\": %.17g, \"on_share\": %.17g, "
			   "\"flight_weeks\": %.17g,\n",
			ch->spend * m->size_scale, ch->on_share, ch->flight_weeks);
		fprintf(f, "       \"campaigns\": [");
		uint64_t channel_customers = 0;
		for (uint32_t k = m->channel_first[c]; k < m->channel_first[c + 1]; k++) {
			fprintf(f, "%s{\"name\": ", k > m->channel_first[c] ? ", " : "");
			json_string(f, m->campaign_name[k]);
			fprintf(f, ", \"customers\": %llu, \"spend\": %.17g}",
				(unsigned long long)per_campaign[k], campaign_spend[k]);
			channel_customers += per_campaign[k];
		}
		double expected = 0;
		for (uint32_t w = 0; w < W; w++)
			expected += kappa * ch->beta * m->hill[(size_t)c * W + w];
		fprintf(f, "],\n       \"customers\": %llu, \"expected_customers\": %.17g,\n",
			(unsigned long long)channel_customers, expected);
		fprintf(f, "       \"expected_weekly_acquisitions\": ");
		json_array(f, m->hill + (size_t)c * W, W, kappa * ch->beta);
		fprintf(f, "}%s\n", c + 1 < p->n_channels ? "," : "");
	}
	fprintf(f, "    ],\n    \"organic\": {\"base\": %.17g, \"base_relative\": %.17g, "
		   "\"trend\": %.17g, \"season\": %.17g, \"season_period_weeks\": %.17g,\n",
		kappa * p->organic_base, p->organic_base, p->organic_trend, p->organic_season,
		YEAR_WEEKS);
	double expected_organic = 0;
	for (uint32_t w = 0; w < W; w++)
		expected_organic += kappa * m->organic[w];
	fprintf(f, "      \"customers\": %llu, \"expected_customers\": %.17g,\n",
		(unsigned long long)st->organic, expected_organic);
	fprintf(f, "      \"expected_weekly_acquisitions\": ");
	json_array(f, m->organic, W, kappa);
	fprintf(f, "}\n  },\n");
	fprintf(f, "  \"referral\": {\n    \"refer_share\": %.17g,\n    \"mean_offspring\": %.17g,\n"
		   "    \"offspring_distribution\": \"discretised lognormal\",\n"
		   "    \"successes_per_referrer\": %.17g,\n    \"offspring_mu\": %.17g,\n"
		   "    \"offspring_sigma\": %.17g,\n    \"max_offspring\": %u,\n"
		   "    \"delay_distribution\": \"gamma, rounded up to whole days, at least 1\",\n"
		   "    \"delay_mean_days\": %.17g,\n    \"delay_shape\": %.17g,\n"
		   "    \"wom_rate\": %.17g,\n    \"wom_reciprocal\": %.17g,\n"
		   "    \"heavy_weight_share\": %.17g,\n    \"reward\": %.17g\n  },\n",
		p->refer_share, p->mean_offspring, m->successes_per_referrer,
		isfinite(m->offspring_mu) ? m->offspring_mu : -1e308, p->offspring_sigma,
		p->max_offspring, p->delay_mean_days, p->delay_shape, p->wom_rate,
		p->wom_reciprocal, p->heavy_weight_share, p->reward);
	fprintf(f, "  \"bgnbd\": {\"r\": %.17g, \"alpha\": %.17g, \"a\": %.17g, \"b\": %.17g},\n",
		p->bgnbd_r, p->bgnbd_alpha, p->bgnbd_a, p->bgnbd_b);
	fprintf(f, "  \"gamma_gamma\": {\"p\": %.17g, \"q\": %.17g, \"v\": %.17g},\n", p->gg_p,
		p->gg_q, p->gg_gamma);
	fprintf(f, "  \"referred_value_lift\": %.17g,\n", p->referred_value_lift);
	double N = (double)st->customers;
	fprintf(f, "  \"realised\": {\n");
	fprintf(f, "    \"customers\": %llu,\n    \"paid\": %llu,\n    \"organic\": %llu,\n"
		   "    \"referred\": %llu,\n    \"referred_share\": %.17g,\n",
		(unsigned long long)st->customers, (unsigned long long)st->paid,
		(unsigned long long)st->organic, (unsigned long long)st->referred,
		(double)st->referred / N);
	fprintf(f, "    \"referrers_drawn\": %llu,\n    \"referral_share\": %.17g,\n"
		   "    \"active_referrers\": %llu,\n    \"active_referrer_share\": %.17g,\n",
		(unsigned long long)st->referrers_drawn, (double)st->referrers_drawn / N,
		(unsigned long long)st->active_referrers, (double)st->active_referrers / N);
	fprintf(f, "    \"primary_edges\": %llu,\n    \"mean_offspring\": %.17g,\n"
		   "    \"maturity_days\": %u,\n    \"mature_customers\": %llu,\n"
		   "    \"mature_offspring\": %llu,\n    \"mature_mean_offspring\": %.17g,\n",
		(unsigned long long)st->primary_edges, (double)st->primary_edges / N,
		st->maturity_days, (unsigned long long)st->mature_customers,
		(unsigned long long)st->mature_offspring,
		st->mature_customers ? (double)st->mature_offspring / (double)st->mature_customers
				     : 0.0);
	fprintf(f, "    \"wom_edges\": %llu,\n    \"reciprocal_edges\": %llu,\n"
		   "    \"edges\": %llu,\n    \"rewards_paid\": %.17g,\n",
		(unsigned long long)st->wom_edges, (unsigned long long)st->reciprocal_edges,
		(unsigned long long)(st->primary_edges + st->wom_edges),
		(double)(st->primary_edges * money_cents(p->reward)) / 100.0);
	fprintf(f, "    \"transactions\": %llu,\n    \"revenue\": %.17g,\n"
		   "    \"spend_rows\": %llu,\n    \"total_spend\": %.17g\n  }\n}\n",
		(unsigned long long)st->transactions, st->revenue,
		(unsigned long long)st->spend_rows, st->total_spend);
	if (ferror(f))
		return rn_error_set(err, RN_EIO, o->tmp_path, 0, 0, "write failed");
	return RN_OK;
}

/* ---- The run ---------------------------------------------------------------------------- */

static void report(rn_gen_progress_fn progress, void *ctx, const char *stage, double fraction)
{
	if (progress)
		progress(ctx, stage, fraction > 1 ? 1 : fraction);
}

/* Stage 2.  Each root is drawn twice (once per pass) rather than stored, which costs ~10 % of
 * the run and saves 8 bytes per customer.  Fills the customers in generation order (roots in index order, each followed by
 * its tree breadth first) and returns the number of referrers drawn. */
static int build_customers(const struct model *m, int threads, uint16_t *gday, uint32_t *gparent,
			   uint16_t *gsource, uint64_t *roots_out, uint64_t *referrers_out,
			   rn_gen_progress_fn progress, void *ctx, rn_error *err)
{
	const uint64_t n = m->n;
	uint32_t *size = NULL; /* tree sizes, then offsets */
	size_t cap = 0;
	uint64_t roots = 0, total = 0;
	int failed = 0;

	/* Pass 1: tree sizes of roots 0, 1, ... until they add up to at least N. */
	for (uint64_t chunk = 0; total < n && !failed; chunk += ROOT_CHUNK) {
		if (rn_grow((void **)&size, &cap, chunk + ROOT_CHUNK + 1, sizeof *size)) {
			failed = 1;
			break;
		}
#pragma omp parallel num_threads(threads)
		{
			struct tree t = {0};
#pragma omp for schedule(dynamic, 256)
			for (uint64_t i = chunk; i < chunk + ROOT_CHUNK; i++) {
				uint32_t day;
				uint16_t source;
				draw_root(m, i, &day, &source);
				if (simulate_tree(m, i, day, (uint32_t)(n < UINT32_MAX ? n : UINT32_MAX - 1), &t)) {
#pragma omp atomic write
					failed = 1;
					size[i] = 1;
				} else {
					size[i] = t.count;
				}
			}
			tree_free(&t);
		}
		for (uint64_t i = chunk; i < chunk + ROOT_CHUNK && total < n; i++) {
			if (total + size[i] >= n)
				size[i] = (uint32_t)(n - total); /* the last tree is cut */
			total += size[i];
			roots = i + 1;
		}
		report(progress, ctx, "referral trees", 0.5 * (double)total / (double)n);
	}
	if (failed || !size) {
		rn_free(size);
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory simulating referral trees");
	}
	/* Sizes to offsets, in place. */
	uint64_t offset = 0;
	for (uint64_t i = 0; i < roots; i++) {
		uint32_t s = size[i];
		size[i] = (uint32_t)offset;
		offset += s;
	}
	size[roots] = (uint32_t)offset;

	/* Pass 2: each tree into its slot. */
	uint64_t referrers = 0;
	int mismatch = 0;
	for (uint64_t chunk = 0; chunk < roots && !failed; chunk += 16 * ROOT_CHUNK) {
		uint64_t stop = chunk + 16 * ROOT_CHUNK < roots ? chunk + 16 * ROOT_CHUNK : roots;
#pragma omp parallel num_threads(threads) reduction(+ : referrers)
		{
			struct tree t = {0};
#pragma omp for schedule(dynamic, 256)
			for (uint64_t i = chunk; i < stop; i++) {
				uint32_t day;
				uint16_t source;
				uint32_t base = size[i], limit = size[i + 1] - size[i];
				draw_root(m, i, &day, &source);
				if (simulate_tree(m, i, day, limit, &t)) {
#pragma omp atomic write
					failed = 1;
					continue;
				}
				if (t.count != limit) {
#pragma omp atomic write
					mismatch = 1;
					continue;
				}
				referrers += t.referrers;
				gday[base] = (uint16_t)day;
				gparent[base] = NO_PARENT;
				gsource[base] = source;
				for (uint32_t q = 1; q < t.count; q++) {
					gday[base + q] = (uint16_t)t.day[q];
					gparent[base + q] = base + t.parent[q];
					gsource[base + q] = SOURCE_REFERRAL;
				}
			}
			tree_free(&t);
		}
		report(progress, ctx, "referral trees", 0.5 + 0.5 * (double)stop / (double)roots);
	}
	rn_free(size);
	if (failed)
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory simulating referral trees");
	if (mismatch)
		return rn_error_set(err, RN_EINTERNAL, NULL, 0, 0,
				    "internal error: a referral tree changed between passes");
	*roots_out = roots;
	*referrers_out = referrers;
	return RN_OK;
}

int rn_generate(const rn_gen_params *p, const char *out_dir, rn_gen_progress_fn progress,
		void *progress_ctx, rn_gen_stats *stats_out, rn_error *err)
{
	int rc = rn_gen_params_check(p, err);
	if (rc)
		return rc;
	if (mkdir(out_dir, 0777) != 0 && errno != EEXIST)
		return rn_error_set(err, RN_ECANTCREAT, out_dir, 0, 0, "cannot create directory: %s",
				    strerror(errno));
	struct stat info;
	if (stat(out_dir, &info) != 0 || !S_ISDIR(info.st_mode))
		return rn_error_set(err, RN_ECANTCREAT, out_dir, 0, 0, "not a directory");

	const int threads = p->threads > 0 ? p->threads : omp_get_max_threads();
	const uint64_t n = p->customers;
	struct model m;
	rn_gen_stats st;
	memset(&st, 0, sizeof st);
	uint16_t *gday = NULL, *gsource = NULL, *day = NULL, *source = NULL;
	uint32_t *gparent = NULL, *parent = NULL, *position = NULL;
	uint64_t *per_campaign = NULL, *bitmap = NULL;
	double *campaign_spend = NULL;
	struct block *blocks = NULL;
	int nblocks = 0;
	struct out_file files[5];
	memset(files, 0, sizeof files);
	enum { F_CUSTOMERS, F_REFERRALS, F_TRANSACTIONS, F_SPEND, F_TRUTH };
	static const char *const names[5] = {"customers.csv", "referrals.csv", "transactions.csv",
					     "spend.csv", "truth.json"};

	rc = model_init(&m, p, err);
	if (rc)
		goto done;
	st.customers = n;
	st.maturity_days = m.maturity_days;
	st.offspring_mu = m.offspring_mu;

	/* Stage 2. */
	gday = rn_malloc_array(n, sizeof *gday);
	gsource = rn_malloc_array(n, sizeof *gsource);
	gparent = rn_malloc_array(n, sizeof *gparent);
	if (!gday || !gsource || !gparent) {
		rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for %llu customers",
				  (unsigned long long)n);
		goto done;
	}
	uint64_t roots = 0;
	rc = build_customers(&m, threads, gday, gparent, gsource, &roots, &st.referrers_drawn,
			     progress, progress_ctx, err);
	if (rc)
		goto done;
	/* Given R roots, the cells are multinomial(R, weight / total): kappa turns the relative
	 * weights into expected customers per week. */
	st.scale = (double)roots / m.total_weight;

	/* Stage 3: stable counting sort by acquisition day. */
	report(progress, progress_ctx, "ordering", 0);
	{
		uint64_t *start = rn_calloc((size_t)m.days + 1, sizeof *start);
		position = rn_malloc_array(n, sizeof *position);
		if (!start || !position) {
			rn_free(start);
			rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory ordering customers");
			goto done;
		}
		for (uint64_t i = 0; i < n; i++)
			start[gday[i] + 1]++;
		for (uint32_t d = 0; d < m.days; d++)
			start[d + 1] += start[d];
		for (uint64_t i = 0; i < n; i++)
			position[i] = (uint32_t)start[gday[i]]++;
		rn_free(start);
	}
	day = rn_malloc_array(n, sizeof *day);
	source = rn_malloc_array(n, sizeof *source);
	parent = rn_malloc_array(n, sizeof *parent);
	if (!day || !source || !parent) {
		rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory ordering customers");
		goto done;
	}
	for (uint64_t i = 0; i < n; i++) {
		uint32_t at = position[i];
		day[at] = gday[i];
		source[at] = gsource[i];
		parent[at] = gparent[i] == NO_PARENT ? NO_PARENT : position[gparent[i]];
	}
	rn_free(gday);
	rn_free(gsource);
	rn_free(gparent);
	rn_free(position);
	gday = gsource = NULL;
	gparent = position = NULL;

	/* Active referrers: customers that appear as a referrer of a primary edge. */
	bitmap = rn_calloc(n / 64 + 1, sizeof *bitmap);
	if (!bitmap) {
		rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
		goto done;
	}
	for (uint64_t i = 0; i < n; i++)
		if (parent[i] != NO_PARENT)
			bitmap[parent[i] / 64] |= 1ull << (parent[i] % 64);
	for (uint64_t w = 0; w <= n / 64; w++)
		st.active_referrers += (uint64_t)__builtin_popcountll(bitmap[w]);
	rn_free(bitmap);
	bitmap = NULL;

	/* Stage 4. */
	for (int f = 0; f < 5 && !rc; f++)
		rc = out_open(&files[f], out_dir, names[f], err);
	if (rc)
		goto done;
	rc = write_spend(&m, &files[F_SPEND], &st, err);
	if (!rc) {
		const char *h1 = "customer,acquired,channel,campaign\n";
		const char *h2 = "referrer,referred,date,weight,reward\n";
		const char *h3 = "customer,date,amount\n";
		rc = out_write(&files[F_CUSTOMERS], h1, strlen(h1), err);
		if (!rc)
			rc = out_write(&files[F_REFERRALS], h2, strlen(h2), err);
		if (!rc)
			rc = out_write(&files[F_TRANSACTIONS], h3, strlen(h3), err);
	}
	if (rc)
		goto done;
	nblocks = 4 * threads;
	blocks = rn_calloc((size_t)nblocks, sizeof *blocks);
	per_campaign = rn_calloc((size_t)m.n_campaigns + 1, sizeof *per_campaign);
	campaign_spend = rn_calloc((size_t)m.n_campaigns + 1, sizeof *campaign_spend);
	if (!blocks || !per_campaign || !campaign_spend) {
		rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
		goto done;
	}
	for (int b = 0; b < nblocks; b++) {
		blocks[b].stats.per_campaign = rn_calloc((size_t)m.n_campaigns + 1, sizeof(uint64_t));
		if (!blocks[b].stats.per_campaign) {
			rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
			goto done;
		}
	}
	const struct customers_view view = {day, parent, source};
	uint64_t revenue_cents = 0;
	for (uint64_t round_start = 0; round_start < n && !rc;
	     round_start += (uint64_t)nblocks * BLOCK_CUSTOMERS) {
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
		for (int b = 0; b < nblocks; b++) {
			struct block *blk = &blocks[b];
			uint64_t begin = round_start + (uint64_t)b * BLOCK_CUSTOMERS;
			uint64_t end = begin + BLOCK_CUSTOMERS < n ? begin + BLOCK_CUSTOMERS : n;
			blk->customers.len = blk->referrals.len = blk->transactions.len = 0;
			blk->rc = begin < end ? block_rows(&m, &view, begin, end, blk) : RN_OK;
		}
		/* Written and summed in block order: the bytes and the totals do not depend on
		 * which thread produced which block. */
		for (int b = 0; b < nblocks && !rc; b++) {
			struct block *blk = &blocks[b];
			if (blk->rc) {
				rc = rn_error_set(err, blk->rc, NULL, 0, 0, "out of memory writing rows");
				break;
			}
			rc = out_write(&files[F_CUSTOMERS], blk->customers.data, blk->customers.len, err);
			if (!rc)
				rc = out_write(&files[F_REFERRALS], blk->referrals.data,
					       blk->referrals.len, err);
			if (!rc)
				rc = out_write(&files[F_TRANSACTIONS], blk->transactions.data,
					       blk->transactions.len, err);
		}
		uint64_t done_customers = round_start + (uint64_t)nblocks * BLOCK_CUSTOMERS;
		report(progress, progress_ctx, "writing",
		       (double)(done_customers < n ? done_customers : n) / (double)n);
	}
	if (rc)
		goto done;
	for (int b = 0; b < nblocks; b++) {
		const struct block_stats *bs = &blocks[b].stats;
		st.paid += bs->paid;
		st.organic += bs->organic;
		st.referred += bs->referred;
		st.primary_edges += bs->primary_edges;
		st.wom_edges += bs->wom_edges;
		st.reciprocal_edges += bs->reciprocal_edges;
		st.transactions += bs->transactions;
		revenue_cents += bs->revenue_cents;
		st.mature_customers += bs->mature_customers;
		st.mature_offspring += bs->mature_offspring;
		for (uint32_t k = 0; k < m.n_campaigns; k++)
			per_campaign[k] += bs->per_campaign[k];
	}
	st.revenue = (double)revenue_cents / 100.0;
	for (uint32_t k = 0; k < m.n_campaigns; k++) {
		uint64_t cents = 0;
		for (uint32_t w = 0; w < p->weeks; w++)
			if (m.spend[(size_t)k * p->weeks + w] > 0)
				cents += to_cents(m.spend[(size_t)k * p->weeks + w]);
		campaign_spend[k] = (double)cents / 100.0;
	}
	rc = write_truth(&m, &st, per_campaign, campaign_spend, &files[F_TRUTH], err);
	for (int f = 0; f < 5 && !rc; f++)
		rc = out_close(&files[f], err);
	for (int f = 0; f < 5 && !rc; f++)
		rc = out_commit(&files[f], err);
	report(progress, progress_ctx, "done", 1);
	if (!rc && stats_out)
		*stats_out = st;
done:
	for (int f = 0; f < 5; f++)
		out_discard(&files[f]);
	if (blocks) {
		for (int b = 0; b < nblocks; b++) {
			rn_free(blocks[b].customers.data);
			rn_free(blocks[b].referrals.data);
			rn_free(blocks[b].transactions.data);
			rn_free(blocks[b].stats.per_campaign);
		}
		rn_free(blocks);
	}
	rn_free(per_campaign);
	rn_free(campaign_spend);
	rn_free(bitmap);
	rn_free(gday);
	rn_free(gsource);
	rn_free(gparent);
	rn_free(position);
	rn_free(day);
	rn_free(source);
	rn_free(parent);
	model_free(&m);
	return rc;
}
