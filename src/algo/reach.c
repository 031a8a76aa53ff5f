/*
 * reach.c - how many distinct customers lie downstream of each customer.
 *
 * Everything goes through the condensation: strongly connected components (rn_scc labels
 * them in reverse topological order, so children have smaller labels than parents) joined by
 * the distinct edges between them.  For a node u of component C,
 *     reach(u) = |full(C)| - 1,   full(C) = C  u  (union of full(D) over children D of C),
 * i.e. the other members of C plus everything below.  Three ways to get |full(C)|:
 *
 *  - forest: when every component has at most one parent component, the sets full(D) of
 *    different children are disjoint and |full(C)| = |C| + sum |full(D)|: exact, linear.
 *    This covers referral forests, and forests whose nodes are small referral cycles.
 *  - exact: bitsets over nodes (numbered component by component), OR-ed along the
 *    condensation in label order, popcount at the end.  On a DAG with reconverging paths the
 *    sum is wrong (a grandchild reached through two children counts once), and no linear-time
 *    exact method is known in general (it is a transitive-closure count), so this costs
 *    O((k + m_c) n / 64) word operations for k components and m_c condensation edges; the
 *    bit range is processed in column blocks so memory stays below EXACT_BYTES.
 *  - HyperLogLog (Flajolet, Fusy, Gandouet & Meunier 2007): 2^p one-byte registers per
 *    component, merged by register-wise max along the condensation; relative standard error
 *    1.04 / sqrt(2^p).  A component's registers are released as soon as its last parent has
 *    merged them, so memory follows the live frontier rather than the component count.
 */
#include <refnet/algo.h>

#include <math.h>
#include <string.h>

#define EXACT_BYTES (256u << 20) /* bitset memory per column block */

void rn_reach_options_default(rn_reach_options *opt)
{
	opt->exact_max_nodes = 200000;
	opt->hll_precision = 10;
	opt->hll_seed = 0;
	opt->scc = NULL;
}

double rn_hll_relative_error(uint32_t precision)
{
	return 1.04 / sqrt((double)(1u << precision));
}

/* The condensation as a CSR over component labels, plus members grouped by component. */
struct condensation {
	uint32_t n, k;
	const uint32_t *comp;	/* n */
	rn_scc_labels own;	/* the labels when computed here */
	uint32_t *member_start; /* k + 1 */
	uint32_t *members;	/* n, grouped by component, ascending labels */
	uint64_t *child_start;	/* k + 1 */
	uint32_t *children;	/* distinct child components per component */
	uint32_t *parents;	/* k: number of distinct parent components */
};

static void cond_free(struct condensation *c)
{
	rn_scc_labels_free(&c->own);
	rn_free(c->member_start);
	rn_free(c->members);
	rn_free(c->child_start);
	rn_free(c->children);
	rn_free(c->parents);
	memset(c, 0, sizeof *c);
}

static int cond_build(const rn_graph *g, const rn_scc_labels *scc, struct condensation *c,
		      rn_error *err)
{
	uint32_t n = g->n;
	memset(c, 0, sizeof *c);
	c->n = n;
	if (!scc) {
		int rc = rn_scc_labels_compute(g, &c->own, err);
		if (rc != RN_OK)
			return rc;
		scc = &c->own;
	}
	c->comp = scc->comp;
	c->k = scc->count;
	uint32_t k = c->k;
	uint32_t *mark = rn_malloc_array(k ? k : 1, sizeof *mark);
	c->member_start = rn_calloc((size_t)k + 1, sizeof *c->member_start);
	c->members = rn_malloc_array(n ? n : 1, sizeof *c->members);
	c->child_start = rn_calloc((size_t)k + 1, sizeof *c->child_start);
	c->parents = rn_calloc(k ? k : 1, sizeof *c->parents);
	if (!mark || !c->member_start || !c->members || !c->child_start || !c->parents) {
		rn_free(mark);
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for reach");
	}
	for (uint32_t v = 0; v < n; v++)
		c->member_start[c->comp[v] + 1]++;
	for (uint32_t i = 0; i < k; i++)
		c->member_start[i + 1] += c->member_start[i];
	uint32_t *cursor = rn_malloc_array(k ? k : 1, sizeof *cursor);
	if (!cursor) {
		rn_free(mark);
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for reach");
	}
	memcpy(cursor, c->member_start, (size_t)k * sizeof *cursor);
	for (uint32_t v = 0; v < n; v++)
		c->members[cursor[c->comp[v]]++] = v;
	rn_free(cursor);
	/* Two passes over the edges: count distinct child components, then fill them. */
	for (int pass = 0; pass < 2; pass++) {
		memset(mark, 0xFF, (size_t)(k ? k : 1) * sizeof *mark);
		for (uint32_t cc = 0; cc < k; cc++) {
			uint64_t fill = pass ? c->child_start[cc] : 0;
			for (uint32_t i = c->member_start[cc]; i < c->member_start[cc + 1]; i++) {
				uint32_t u = c->members[i];
				for (uint64_t e = g->offsets[u]; e < g->offsets[u + 1]; e++) {
					uint32_t d = c->comp[g->targets[e]];
					if (d == cc || mark[d] == cc)
						continue;
					mark[d] = cc;
					if (pass) {
						c->children[fill++] = d;
						c->parents[d]++;
					} else {
						c->child_start[cc + 1]++;
					}
				}
			}
		}
		if (pass == 0) {
			for (uint32_t i = 0; i < k; i++)
				c->child_start[i + 1] += c->child_start[i];
			c->children = rn_malloc_array(c->child_start[k] ? c->child_start[k] : 1,
						      sizeof *c->children);
			if (!c->children) {
				rn_free(mark);
				return rn_error_set(err, RN_ENOMEM, NULL, 0, 0,
						    "out of memory for reach");
			}
		}
	}
	rn_free(mark);
	return RN_OK;
}

static bool cond_is_forest(const struct condensation *c)
{
	for (uint32_t i = 0; i < c->k; i++)
		if (c->parents[i] > 1)
			return false;
	return true;
}

static uint32_t comp_size(const struct condensation *c, uint32_t i)
{
	return c->member_start[i + 1] - c->member_start[i];
}

/* full[C] = |C| + sum over children; children have smaller labels, so ascending order works. */
static int reach_forest(const struct condensation *c, double *reach, rn_error *err)
{
	uint64_t *full = rn_malloc_array(c->k ? c->k : 1, sizeof *full);
	if (!full)
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for reach");
	for (uint32_t i = 0; i < c->k; i++) {
		uint64_t total = comp_size(c, i);
		for (uint64_t e = c->child_start[i]; e < c->child_start[i + 1]; e++)
			total += full[c->children[e]];
		full[i] = total;
	}
	for (uint32_t v = 0; v < c->n; v++)
		reach[v] = (double)(full[c->comp[v]] - 1);
	rn_free(full);
	return RN_OK;
}

static int reach_exact(const struct condensation *c, double *reach, rn_error *err)
{
	uint32_t k = c->k, n = c->n;
	uint64_t words_total = ((uint64_t)n + 63) / 64;
	uint64_t words = EXACT_BYTES / 8 / (k ? k : 1);
	if (words < 1)
		words = 1;
	if (words > words_total)
		words = words_total;
	uint64_t *bits = rn_malloc_array((size_t)(k ? k : 1) * words, sizeof *bits);
	uint64_t *count = rn_calloc(k ? k : 1, sizeof *count);
	if (!bits || !count) {
		rn_free(bits);
		rn_free(count);
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for exact reach");
	}
	/* Node bit positions: position i of c->members, so component C owns the bit range
	 * [member_start[C], member_start[C+1]). */
	for (uint64_t w0 = 0; w0 < words_total; w0 += words) {
		uint64_t bit_lo = w0 * 64, bit_hi = bit_lo + words * 64;
		for (uint32_t i = 0; i < k; i++) {
			uint64_t *row = bits + (size_t)i * words;
			memset(row, 0, words * sizeof *row);
			for (uint64_t e = c->child_start[i]; e < c->child_start[i + 1]; e++) {
				const uint64_t *child = bits + (size_t)c->children[e] * words;
				for (uint64_t j = 0; j < words; j++)
					row[j] |= child[j];
			}
			uint64_t lo = c->member_start[i], hi = c->member_start[i + 1];
			if (lo < bit_lo)
				lo = bit_lo;
			if (hi > bit_hi)
				hi = bit_hi;
			for (uint64_t b = lo; b < hi; b++)
				row[(b - bit_lo) / 64] |= 1ull << ((b - bit_lo) % 64);
			uint64_t ones = 0;
			for (uint64_t j = 0; j < words; j++)
				ones += (uint64_t)__builtin_popcountll(row[j]);
			count[i] += ones;
		}
	}
	for (uint32_t v = 0; v < n; v++)
		reach[v] = (double)(count[c->comp[v]] - 1);
	rn_free(bits);
	rn_free(count);
	return RN_OK;
}

static uint64_t mix64(uint64_t z)
{
	z += 0x9E3779B97F4A7C15ull;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Flajolet et al. 2007, fig. 3: raw estimate alpha_m m^2 / sum 2^-M[j], with linear counting
 * m ln(m / V) when the raw estimate is at most 5m/2 and V registers are zero.  64-bit hashes
 * make the large-range correction unnecessary.  pow2[r] = 2^-r, exact, from a table: one
 * ldexp per register made this half the time of reach at 1e7. */
static double hll_estimate(const uint8_t *reg, uint32_t m, const double *pow2)
{
	double sum = 0.0;
	uint32_t zeros = 0;
	for (uint32_t j = 0; j < m; j++) {
		sum += pow2[reg[j]];
		zeros += reg[j] == 0;
	}
	double alpha = m == 16	 ? 0.673
		       : m == 32 ? 0.697
		       : m == 64 ? 0.709
				 : 0.7213 / (1.0 + 1.079 / m);
	double e = alpha * (double)m * (double)m / sum;
	if (e <= 2.5 * m && zeros > 0)
		e = (double)m * log((double)m / (double)zeros);
	return e;
}

static int reach_hll(const struct condensation *c, uint32_t p, uint64_t seed, double *reach,
		     rn_error *err)
{
	uint32_t k = c->k, m = 1u << p;
	double pow2[65]; /* registers hold ranks 0..64 - p + 1 */
	for (int r = 0; r < 65; r++)
		pow2[r] = ldexp(1.0, -r);
	uint32_t *slot = rn_malloc_array(k ? k : 1, sizeof *slot);
	uint32_t *left = rn_malloc_array(k ? k : 1, sizeof *left);
	double *est = rn_malloc_array(k ? k : 1, sizeof *est);
	uint32_t *free_slots = NULL;
	uint8_t *regs = NULL;
	size_t regs_cap = 0, free_cap = 0, free_count = 0;
	uint32_t slots = 0;
	int rc = RN_OK;
	if (!slot || !left || !est) {
		rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory for reach");
		goto out;
	}
	memcpy(left, c->parents, (size_t)k * sizeof *left);
	for (uint32_t i = 0; i < k; i++) {
		uint32_t s;
		if (free_count > 0) {
			s = free_slots[--free_count];
		} else {
			if (rn_grow((void **)&regs, &regs_cap, ((size_t)slots + 1) * m, 1) !=
			    RN_OK) {
				rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0,
						  "out of memory for HyperLogLog registers");
				goto out;
			}
			s = slots++;
		}
		slot[i] = s;
		uint8_t *row = regs + (size_t)s * m;
		memset(row, 0, m);
		for (uint32_t j = c->member_start[i]; j < c->member_start[i + 1]; j++) {
			uint64_t h = mix64(c->members[j] ^ mix64(seed));
			uint32_t index = (uint32_t)(h >> (64 - p));
			uint64_t rest = h << p;
			uint8_t rank =
			    (uint8_t)(rest ? (uint32_t)__builtin_clzll(rest) + 1u : 64u - p + 1u);
			if (rank > row[index])
				row[index] = rank;
		}
		for (uint64_t e = c->child_start[i]; e < c->child_start[i + 1]; e++) {
			uint32_t d = c->children[e];
			const uint8_t *child = regs + (size_t)slot[d] * m;
			for (uint32_t j = 0; j < m; j++)
				if (child[j] > row[j])
					row[j] = child[j];
			if (--left[d] == 0) {
				if (rn_grow((void **)&free_slots, &free_cap, free_count + 1,
					    sizeof *free_slots) != RN_OK) {
					rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0,
							  "out of memory for reach");
					goto out;
				}
				free_slots[free_count++] = slot[d];
			}
		}
		/* A component without children is exact: only its own members. */
		est[i] = c->child_start[i] == c->child_start[i + 1] ? (double)comp_size(c, i)
								    : hll_estimate(row, m, pow2);
		if (est[i] < comp_size(c, i))
			est[i] = comp_size(c, i);
		if (c->parents[i] == 0) {
			if (rn_grow((void **)&free_slots, &free_cap, free_count + 1,
				    sizeof *free_slots) != RN_OK) {
				rc = rn_error_set(err, RN_ENOMEM, NULL, 0, 0,
						  "out of memory for reach");
				goto out;
			}
			free_slots[free_count++] = s;
		}
	}
	for (uint32_t v = 0; v < c->n; v++) {
		double r = est[c->comp[v]] - 1.0;
		reach[v] = r > (double)(c->n - 1) ? (double)(c->n - 1) : r;
	}
out:
	rn_free(slot);
	rn_free(left);
	rn_free(est);
	rn_free(free_slots);
	rn_free(regs);
	return rc;
}

int rn_reach(const rn_graph *g, const rn_reach_options *opt, double *reach, rn_reach_method *method,
	     rn_error *err)
{
	rn_reach_options defaults;
	if (!opt) {
		rn_reach_options_default(&defaults);
		opt = &defaults;
	}
	if (opt->hll_precision < 4 || opt->hll_precision > 16)
		return rn_error_set(err, RN_EUSAGE, NULL, 0, 0,
				    "HyperLogLog precision must be 4..16, got %u",
				    opt->hll_precision);
	struct condensation c;
	int rc = cond_build(g, opt->scc, &c, err);
	if (rc == RN_OK) {
		rn_reach_method how = cond_is_forest(&c)	     ? RN_REACH_FOREST
				      : g->n <= opt->exact_max_nodes ? RN_REACH_EXACT
								     : RN_REACH_HLL;
		if (method)
			*method = how;
		if (how == RN_REACH_FOREST)
			rc = reach_forest(&c, reach, err);
		else if (how == RN_REACH_EXACT)
			rc = reach_exact(&c, reach, err);
		else
			rc = reach_hll(&c, opt->hll_precision, opt->hll_seed, reach, err);
	}
	cond_free(&c);
	return rc;
}
