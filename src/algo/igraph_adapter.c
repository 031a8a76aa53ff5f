/*
 * igraph_adapter.c - the one place refnet talks to igraph (0.10): conversion from our CSR,
 * the centralities we do not implement ourselves (betweenness, hub/authority, coreness,
 * Louvain communities), components, and reference computations (PRPACK PageRank, BFS reach)
 * that tests and the benchmark use to check refnet's own kernels.
 *
 * igraph is built without thread safety and its default error handler aborts the process,
 * so every entry point installs a handler that records the message and returns (after
 * IGRAPH_FINALLY_FREE, which releases igraph's temporaries), silences warnings, and restores
 * the previous handlers on the way out.  None of these functions may be called from inside
 * an OpenMP region.  igraph stores each edge as four 64-bit integers plus its edge list, so
 * every entry point first checks rn_ig_bytes_estimate against a limit.
 */
#include <refnet/algo.h>

#include <igraph.h>

#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_BYTES (8ull << 30)

static char ig_message[512];

static void record_error(const char *reason, const char *file, int line, igraph_error_t code)
{
	(void)file;
	(void)line;
	snprintf(ig_message, sizeof ig_message, "%s (%s)", reason ? reason : "unknown error",
		 igraph_strerror(code));
	IGRAPH_FINALLY_FREE();
}

static void ignore_warning(const char *reason, const char *file, int line)
{
	(void)reason;
	(void)file;
	(void)line;
}

struct handlers {
	igraph_error_handler_t *error;
	igraph_warning_handler_t *warning;
};

static struct handlers enter(void)
{
	ig_message[0] = '\0';
	struct handlers h = {igraph_set_error_handler(record_error),
			     igraph_set_warning_handler(ignore_warning)};
	return h;
}

static void leave(struct handlers h)
{
	igraph_set_error_handler(h.error);
	igraph_set_warning_handler(h.warning);
}

static int ig_fail(rn_error *err, const char *what, igraph_error_t code)
{
	int rc = code == IGRAPH_ENOMEM ? RN_ENOMEM : RN_EINTERNAL;
	return rn_error_set(err, rc, NULL, 0, 0, "igraph %s failed: %s", what,
			    ig_message[0] ? ig_message : igraph_strerror(code));
}

uint64_t rn_ig_bytes_estimate(const rn_graph *g)
{
	/* edge list (2 x 8) + from/to/out-index/in-index (4 x 8) + weights (8) per edge;
	 * two start-index vectors per node plus result vectors. */
	return g->m * 64u + (uint64_t)g->n * 48u;
}

static int guard(const rn_graph *g, uint64_t max_bytes, const char *what, rn_error *err)
{
	uint64_t limit = max_bytes ? max_bytes : DEFAULT_MAX_BYTES;
	uint64_t need = rn_ig_bytes_estimate(g);
	if (need > limit)
		return rn_error_set(err, RN_EUSAGE, NULL, 0, 0,
				    "%s via igraph would need about %.1f GiB for %u customers and "
				    "%llu referrals, above the limit of %.1f GiB",
				    what, (double)need / (double)(1ull << 30), g->n,
				    (unsigned long long)g->m, (double)limit / (double)(1ull << 30));
	return RN_OK;
}

/* Directed igraph copy of the CSR (reversed: every edge v -> u), with weights in edge order. */
static igraph_error_t make_directed(const rn_graph *g, bool reversed, igraph_t *ig,
				    igraph_vector_t *weights)
{
	igraph_vector_int_t edges;
	IGRAPH_CHECK(igraph_vector_int_init(&edges, (igraph_integer_t)(2 * g->m)));
	IGRAPH_FINALLY(igraph_vector_int_destroy, &edges);
	if (weights)
		IGRAPH_CHECK(igraph_vector_resize(weights, (igraph_integer_t)g->m));
	for (uint32_t u = 0; u < g->n; u++)
		for (uint64_t e = g->offsets[u]; e < g->offsets[u + 1]; e++) {
			igraph_integer_t a = u, b = g->targets[e];
			VECTOR(edges)[2 * e] = reversed ? b : a;
			VECTOR(edges)[2 * e + 1] = reversed ? a : b;
			if (weights)
				VECTOR(*weights)[(igraph_integer_t)e] = (double)g->weights[e];
		}
	IGRAPH_CHECK(igraph_create(ig, &edges, (igraph_integer_t)g->n, IGRAPH_DIRECTED));
	igraph_vector_int_destroy(&edges);
	IGRAPH_FINALLY_CLEAN(1);
	return IGRAPH_SUCCESS;
}

struct pair {
	uint64_t key; /* low node << 32 | high node */
	double weight;
};

static int pair_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct pair *)a)->key, y = ((const struct pair *)b)->key;
	return (x > y) - (x < y);
}

/* The undirected simple view: u - v once per unordered pair, weights of both directions
 * summed.  Returns RN_OK or RN_ENOMEM; fills an igraph graph and weights. */
static int make_undirected(const rn_graph *g, igraph_t *ig, igraph_vector_t *weights,
			   igraph_error_t *ig_code, rn_error *err)
{
	struct pair *pairs = rn_malloc_array(g->m ? g->m : 1, sizeof *pairs);
	if (!pairs)
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
	for (uint32_t u = 0; u < g->n; u++)
		for (uint64_t e = g->offsets[u]; e < g->offsets[u + 1]; e++) {
			uint64_t a = u, b = g->targets[e];
			pairs[e].key = a < b ? (a << 32 | b) : (b << 32 | a);
			pairs[e].weight = (double)g->weights[e];
		}
	qsort(pairs, g->m, sizeof *pairs, pair_cmp);
	uint64_t k = 0;
	for (uint64_t e = 0; e < g->m; e++) {
		if (k > 0 && pairs[k - 1].key == pairs[e].key)
			pairs[k - 1].weight += pairs[e].weight;
		else
			pairs[k++] = pairs[e];
	}
	igraph_vector_int_t edges;
	igraph_error_t code = igraph_vector_int_init(&edges, (igraph_integer_t)(2 * k));
	if (code == IGRAPH_SUCCESS)
		code = igraph_vector_resize(weights, (igraph_integer_t)k);
	if (code == IGRAPH_SUCCESS) {
		for (uint64_t e = 0; e < k; e++) {
			VECTOR(edges)[2 * e] = (igraph_integer_t)(pairs[e].key >> 32);
			VECTOR(edges)[2 * e + 1] = (igraph_integer_t)(pairs[e].key & 0xFFFFFFFFu);
			VECTOR(*weights)[(igraph_integer_t)e] = pairs[e].weight;
		}
		code = igraph_create(ig, &edges, (igraph_integer_t)g->n, IGRAPH_UNDIRECTED);
	}
	igraph_vector_int_destroy(&edges);
	rn_free(pairs);
	*ig_code = code;
	return code == IGRAPH_SUCCESS ? RN_OK : ig_fail(err, "graph conversion", code);
}

/* Labels renumbered 0..count-1 in order of first node. */
static int relabel(const igraph_vector_int_t *membership, uint32_t n, uint32_t *out,
		   uint32_t *count, rn_error *err)
{
	uint32_t *map = rn_malloc_array(n ? n : 1, sizeof *map);
	if (!map)
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
	memset(map, 0xFF, (size_t)(n ? n : 1) * sizeof *map);
	uint32_t next = 0;
	for (uint32_t v = 0; v < n; v++) {
		igraph_integer_t lab = VECTOR(*membership)[v];
		if (map[lab] == UINT32_MAX)
			map[lab] = next++;
		out[v] = map[lab];
	}
	*count = next;
	rn_free(map);
	return RN_OK;
}

int rn_ig_components(const rn_graph *g, rn_ig_components_mode mode, uint32_t *comp, uint32_t *count,
		     uint64_t max_bytes, rn_error *err)
{
	int rc = guard(g, max_bytes, "components", err);
	if (rc != RN_OK)
		return rc;
	struct handlers h = enter();
	igraph_t ig;
	igraph_vector_int_t membership;
	igraph_integer_t no = 0;
	igraph_error_t code = make_directed(g, false, &ig, NULL);
	if (code != IGRAPH_SUCCESS) {
		leave(h);
		return ig_fail(err, "graph conversion", code);
	}
	code = igraph_vector_int_init(&membership, 0);
	if (code == IGRAPH_SUCCESS) {
		code =
		    igraph_connected_components(&ig, &membership, NULL, &no,
						mode == RN_IG_STRONG ? IGRAPH_STRONG : IGRAPH_WEAK);
		if (code == IGRAPH_SUCCESS)
			rc = relabel(&membership, g->n, comp, count, err);
		igraph_vector_int_destroy(&membership);
	}
	igraph_destroy(&ig);
	leave(h);
	return code == IGRAPH_SUCCESS ? rc : ig_fail(err, "components", code);
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

int rn_ig_betweenness(const rn_graph *g, uint32_t samples, uint64_t seed, double *score,
		      uint64_t max_bytes, rn_error *err)
{
	int rc = guard(g, max_bytes, "betweenness", err);
	if (rc != RN_OK)
		return rc;
	uint32_t n = g->n;
	if (n == 0)
		return RN_OK;
	bool sampled = samples > 0 && samples < n;
	igraph_vector_int_t sources;
	uint32_t *perm = NULL;
	if (sampled) {
		/* Partial Fisher-Yates: the first `samples` entries are a uniform sample. */
		perm = rn_malloc_array(n, sizeof *perm);
		if (!perm)
			return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
		for (uint32_t v = 0; v < n; v++)
			perm[v] = v;
		uint64_t state = seed;
		for (uint32_t i = 0; i < samples; i++) {
			uint32_t j = i + (uint32_t)(splitmix64(&state) % (n - i));
			uint32_t t = perm[i];
			perm[i] = perm[j];
			perm[j] = t;
		}
	}
	struct handlers h = enter();
	igraph_t ig;
	igraph_vector_t res;
	igraph_error_t code = make_directed(g, false, &ig, NULL);
	if (code != IGRAPH_SUCCESS) {
		leave(h);
		rn_free(perm);
		return ig_fail(err, "graph conversion", code);
	}
	code = igraph_vector_init(&res, 0);
	if (code == IGRAPH_SUCCESS) {
		if (sampled) {
			code = igraph_vector_int_init(&sources, samples);
			if (code == IGRAPH_SUCCESS) {
				for (uint32_t i = 0; i < samples; i++)
					VECTOR(sources)[i] = perm[i];
				code = igraph_betweenness_subset(
				    &ig, &res, igraph_vss_all(), IGRAPH_DIRECTED,
				    igraph_vss_vector(&sources), igraph_vss_all(), NULL);
				igraph_vector_int_destroy(&sources);
			}
		} else {
			code =
			    igraph_betweenness(&ig, &res, igraph_vss_all(), IGRAPH_DIRECTED, NULL);
		}
		if (code == IGRAPH_SUCCESS) {
			double scale = sampled ? (double)n / (double)samples : 1.0;
			for (uint32_t v = 0; v < n; v++)
				score[v] = VECTOR(res)[v] * scale;
		}
		igraph_vector_destroy(&res);
	}
	igraph_destroy(&ig);
	leave(h);
	rn_free(perm);
	return code == IGRAPH_SUCCESS ? RN_OK : ig_fail(err, "betweenness", code);
}

/* The weighted directed igraph of g (reversed: edges v -> u) and its weight vector; on
 * failure nothing is left to destroy. */
static int open_weighted(const rn_graph *g, bool reversed, igraph_t *ig, igraph_vector_t *w,
			 rn_error *err)
{
	igraph_error_t code = igraph_vector_init(w, 0);
	if (code != IGRAPH_SUCCESS)
		return ig_fail(err, "allocation", code);
	code = make_directed(g, reversed, ig, w);
	if (code != IGRAPH_SUCCESS) {
		igraph_vector_destroy(w);
		return ig_fail(err, "graph conversion", code);
	}
	return RN_OK;
}

int rn_ig_hub_authority(const rn_graph *g, double *hub, double *authority, uint64_t max_bytes,
			rn_error *err)
{
	int rc = guard(g, max_bytes, "hub and authority scores", err);
	if (rc != RN_OK)
		return rc;
	if (g->n == 0)
		return RN_OK;
	struct handlers h = enter();
	igraph_t ig;
	igraph_vector_t w, hv, av;
	igraph_real_t value = 0;
	igraph_error_t code;
	if ((rc = open_weighted(g, false, &ig, &w, err)) != RN_OK) {
		leave(h);
		return rc;
	}
	code = igraph_vector_init(&hv, 0);
	if (code == IGRAPH_SUCCESS) {
		code = igraph_vector_init(&av, 0);
		if (code == IGRAPH_SUCCESS) {
			code = igraph_hub_and_authority_scores(&ig, &hv, &av, &value, 1, &w, NULL);
			if (code == IGRAPH_SUCCESS)
				for (uint32_t v = 0; v < g->n; v++) {
					hub[v] = VECTOR(hv)[v];
					authority[v] = VECTOR(av)[v];
				}
			igraph_vector_destroy(&av);
		}
		igraph_vector_destroy(&hv);
	}
	igraph_destroy(&ig);
	igraph_vector_destroy(&w);
	leave(h);
	return code == IGRAPH_SUCCESS ? RN_OK : ig_fail(err, "hub and authority scores", code);
}

int rn_ig_coreness(const rn_graph *g, uint32_t *core, uint64_t max_bytes, rn_error *err)
{
	int rc = guard(g, max_bytes, "coreness", err);
	if (rc != RN_OK)
		return rc;
	struct handlers h = enter();
	igraph_t ig;
	igraph_vector_t w;
	igraph_vector_int_t cores;
	igraph_error_t code = igraph_vector_init(&w, 0);
	if (code != IGRAPH_SUCCESS) {
		leave(h);
		return ig_fail(err, "allocation", code);
	}
	rc = make_undirected(g, &ig, &w, &code, err);
	if (rc != RN_OK) {
		igraph_vector_destroy(&w);
		leave(h);
		return rc;
	}
	code = igraph_vector_int_init(&cores, 0);
	if (code == IGRAPH_SUCCESS) {
		code = igraph_coreness(&ig, &cores, IGRAPH_ALL);
		if (code == IGRAPH_SUCCESS)
			for (uint32_t v = 0; v < g->n; v++)
				core[v] = (uint32_t)VECTOR(cores)[v];
		igraph_vector_int_destroy(&cores);
	}
	igraph_destroy(&ig);
	igraph_vector_destroy(&w);
	leave(h);
	return code == IGRAPH_SUCCESS ? RN_OK : ig_fail(err, "coreness", code);
}

int rn_ig_louvain(const rn_graph *g, uint64_t seed, uint32_t *community, uint32_t *count,
		  double *modularity, uint64_t max_bytes, rn_error *err)
{
	int rc = guard(g, max_bytes, "Louvain communities", err);
	if (rc != RN_OK)
		return rc;
	*count = 0;
	if (g->n == 0)
		return RN_OK;
	struct handlers h = enter();
	igraph_t ig;
	igraph_vector_t w, mod;
	igraph_vector_int_t membership;
	igraph_error_t code = igraph_vector_init(&w, 0);
	if (code != IGRAPH_SUCCESS) {
		leave(h);
		return ig_fail(err, "allocation", code);
	}
	rc = make_undirected(g, &ig, &w, &code, err);
	if (rc != RN_OK) {
		igraph_vector_destroy(&w);
		leave(h);
		return rc;
	}
	igraph_rng_seed(igraph_rng_default(), (igraph_uint_t)seed);
	code = igraph_vector_int_init(&membership, 0);
	if (code == IGRAPH_SUCCESS) {
		code = igraph_vector_init(&mod, 0);
		if (code == IGRAPH_SUCCESS) {
			code = igraph_community_multilevel(&ig, &w, 1.0, &membership, NULL, &mod);
			if (code == IGRAPH_SUCCESS) {
				rc = relabel(&membership, g->n, community, count, err);
				if (modularity)
					*modularity = igraph_vector_size(&mod) > 0
							  ? igraph_vector_tail(&mod)
							  : 0.0;
			}
			igraph_vector_destroy(&mod);
		}
		igraph_vector_int_destroy(&membership);
	}
	igraph_destroy(&ig);
	igraph_vector_destroy(&w);
	leave(h);
	return code == IGRAPH_SUCCESS ? rc : ig_fail(err, "Louvain communities", code);
}

int rn_ig_pagerank_prpack(const rn_graph *g, double damping, const double *teleport, double *rank,
			  uint64_t max_bytes, rn_error *err)
{
	int rc = guard(g, max_bytes, "PRPACK PageRank", err);
	if (rc != RN_OK)
		return rc;
	if (g->n == 0)
		return RN_OK;
	struct handlers h = enter();
	igraph_t ig;
	igraph_vector_t w, res, reset;
	igraph_real_t value = 0;
	igraph_error_t code;
	if ((rc = open_weighted(g, true, &ig, &w, err)) != RN_OK) {
		leave(h);
		return rc;
	}
	code = igraph_vector_init(&res, 0);
	if (code == IGRAPH_SUCCESS) {
		code = igraph_vector_init(&reset, teleport ? (igraph_integer_t)g->n : 0);
		if (code == IGRAPH_SUCCESS) {
			if (teleport)
				for (uint32_t v = 0; v < g->n; v++)
					VECTOR(reset)[v] = teleport[v];
			code = igraph_personalized_pagerank(
			    &ig, IGRAPH_PAGERANK_ALGO_PRPACK, &res, &value, igraph_vss_all(),
			    IGRAPH_DIRECTED, damping, teleport ? &reset : NULL, &w, NULL);
			if (code == IGRAPH_SUCCESS)
				for (uint32_t v = 0; v < g->n; v++)
					rank[v] = VECTOR(res)[v];
			igraph_vector_destroy(&reset);
		}
		igraph_vector_destroy(&res);
	}
	igraph_destroy(&ig);
	igraph_vector_destroy(&w);
	leave(h);
	return code == IGRAPH_SUCCESS ? RN_OK : ig_fail(err, "PRPACK PageRank", code);
}

int rn_ig_reach(const rn_graph *g, double *reach, uint64_t max_bytes, rn_error *err)
{
	int rc = guard(g, max_bytes, "BFS reach", err);
	if (rc != RN_OK)
		return rc;
	struct handlers h = enter();
	igraph_t ig;
	igraph_vector_int_t res;
	igraph_error_t code = make_directed(g, false, &ig, NULL);
	if (code != IGRAPH_SUCCESS) {
		leave(h);
		return ig_fail(err, "graph conversion", code);
	}
	code = igraph_vector_int_init(&res, 0);
	if (code == IGRAPH_SUCCESS) {
		for (uint32_t v = 0; v < g->n && code == IGRAPH_SUCCESS; v++) {
			code = igraph_subcomponent(&ig, &res, v, IGRAPH_OUT);
			if (code == IGRAPH_SUCCESS)
				reach[v] = (double)(igraph_vector_int_size(&res) - 1);
		}
		igraph_vector_int_destroy(&res);
	}
	igraph_destroy(&ig);
	leave(h);
	return code == IGRAPH_SUCCESS ? RN_OK : ig_fail(err, "BFS reach", code);
}
