/*
 * rng.h - counter-based random streams and the few distributions the generator needs.
 *
 * A stream is a SplitMix64 sequence (Steele, Lea & Flood 2014): state_k = base + k * G and
 * draw_k = mix(state_k), so draw k of a stream is a pure function of (base, k).  The base of
 * every stream is a hash of (seed, purpose, entity index), so a customer's draws do not depend
 * on which thread generates it or in which order: this is what makes the output byte-identical
 * whatever the thread count.  No stream is ever shared between threads.
 *
 * Only this file and the generator include it; it is not part of the public API.
 */
#ifndef REFNET_GEN_RNG_H
#define REFNET_GEN_RNG_H

#include <math.h>
#include <stdint.h>

#define RNG_GOLDEN 0x9e3779b97f4a7c15ull

/* Purposes: one independent family of streams each. */
enum {
	RNG_SPEND = 1,   /* campaign flighting and weekly spend, entity = campaign */
	RNG_ROOT = 2,    /* non-referred customer: week, day, campaign, entity = root index */
	RNG_TREE = 3,    /* referral tree below a root, entity = root index */
	RNG_TX = 4,      /* BG/NBD + Gamma-Gamma purchases, entity = customer index */
	RNG_WOM = 5,     /* word-of-mouth edges, entity = customer index */
	RNG_EDGE = 6,    /* weight of the primary in-edge, entity = customer index */
};

typedef struct rng {
	uint64_t state;
} rng;

/* SplitMix64 finaliser (Steele et al. 2014; constants from Stafford's "Mix13" variant). */
static inline uint64_t rng_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint64_t rng_key(uint64_t seed, uint64_t purpose, uint64_t entity)
{
	uint64_t h = rng_mix(seed ^ 0x6a09e667f3bcc909ull);
	h = rng_mix(h + purpose * RNG_GOLDEN);
	return rng_mix(h + (entity + 1) * RNG_GOLDEN);
}

/* Key of child j of a tree node: derived from the parent's key, never from a counter that
 * depends on the order in which trees are processed. */
static inline uint64_t rng_child_key(uint64_t parent, uint64_t j)
{
	return rng_mix(parent + (j + 1) * 0xd1b54a32d192ed03ull);
}

static inline rng rng_stream(uint64_t key)
{
	rng r = {key};
	return r;
}

static inline uint64_t rng_next(rng *r)
{
	r->state += RNG_GOLDEN;
	return rng_mix(r->state);
}

/* Uniform on the open interval (0, 1): 53 random bits, offset by half a step. */
static inline double rng_uniform(rng *r)
{
	return ((double)(rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
}

static inline double rng_exponential(rng *r)
{
	return -log(rng_uniform(r));
}

/* Standard normal by the Box-Muller transform (Box & Muller 1958), one value per two draws. */
static inline double rng_normal(rng *r)
{
	double u1 = rng_uniform(r), u2 = rng_uniform(r);
	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Gamma(shape, scale 1) by Marsaglia & Tsang (2000), "A simple method for generating gamma
 * variables", ACM TOMS 26(3); shape < 1 through G(shape) = G(shape + 1) * U^(1/shape)
 * (same paper, section 6). */
static inline double rng_gamma(rng *r, double shape)
{
	double boost = 1.0;
	if (shape < 1.0) {
		boost = pow(rng_uniform(r), 1.0 / shape);
		shape += 1.0;
	}
	double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
	for (;;) {
		double x = rng_normal(r), v = 1.0 + c * x;
		if (v <= 0.0)
			continue;
		v = v * v * v;
		double u = rng_uniform(r), x2 = x * x;
		if (u < 1.0 - 0.0331 * x2 * x2 || log(u) < 0.5 * x2 + d * (1.0 - v + log(v)))
			return d * v * boost;
	}
}

/* Beta(a, b) as G_a / (G_a + G_b). */
static inline double rng_beta(rng *r, double a, double b)
{
	double x = rng_gamma(r, a), y = rng_gamma(r, b);
	return x + y > 0.0 ? x / (x + y) : 0.5;
}

/* Poisson(mean) by inversion of the CDF, for the small means used here (word of mouth). */
static inline uint32_t rng_poisson_small(rng *r, double mean)
{
	double u = rng_uniform(r), p = exp(-mean), cdf = p;
	uint32_t k = 0;
	while (u > cdf && k < 10000) {
		k++;
		p *= mean / k;
		cdf += p;
		if (p < 1e-300)
			break;
	}
	return k;
}

#endif
