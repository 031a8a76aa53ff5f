/* test_kernel.c - the shared machinery: rn_spmv on a hand case, strongly connected components
 * against igraph (same partition, reverse topological labels), rn_solve_linear against a
 * Jacobi iteration, its divergence error, bitwise thread-count independence, and the sweeps'
 * accelerations (extrapolation, two-cycles) on a generated network and a hand case. */
#include <refnet/algo.h>
#include <refnet/gen.h>
#include <refnet/io.h>

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "algo_graphs.h"
#include "check.h"

static void test_spmv_hand(void)
{
	/* 0 -> 1 (w 2), 0 -> 2 (w 0.5), 1 -> 2 (w 1); x = (1, 10, 100), c = 1/(1, 2, 4). */
	uint32_t s[] = {0, 0, 1}, t[] = {1, 2, 2};
	float w[] = {2, 0.5f, 1};
	rn_graph g;
	CHECK_INT(rn_graph_build(&g, 3, 3, s, t, w, RN_DUP_SUM, NULL), RN_OK);
	double x[3] = {1, 10, 100}, c[3] = {1, 0.5, 0.25}, b[3] = {1, 2, 3}, y[3];
	rn_spmv(&g, x, c, 2.0, b, y);
	CHECK_NEAR(y[0], 1 + 2 * (2 * 5 + 0.5 * 25), 0);
	CHECK_NEAR(y[1], 2 + 2 * 25, 0);
	CHECK_NEAR(y[2], 3, 0);
	rn_spmv(&g, x, NULL, 1.0, NULL, y);
	CHECK_NEAR(y[0], 2 * 10 + 0.5 * 100, 0);
	rn_graph_free(&g);
}

static void test_scc(tg_kind kind, uint32_t n, uint64_t m)
{
	rn_graph g;
	CHECK_INT(tg_build(&g, kind, n, m, 0, m + 1), RN_OK);
	uint32_t *ours = malloc(n * sizeof *ours), *ref = malloc(n * sizeof *ref);
	uint32_t *map = malloc(n * sizeof *map), count = 0, ref_count = 0, *sizes = NULL;
	CHECK_INT(rn_scc(&g, ours, &count, &sizes, NULL), RN_OK);
	CHECK_INT(rn_ig_components(&g, RN_IG_STRONG, ref, &ref_count, 0, NULL), RN_OK);
	CHECK_INT(count, ref_count);
	/* Same partition: the map from our label to igraph's must be a bijection. */
	uint32_t bad = 0;
	for (uint32_t k = 0; k < n; k++)
		map[k] = UINT32_MAX;
	for (uint32_t v = 0; v < n; v++) {
		if (map[ours[v]] == UINT32_MAX)
			map[ours[v]] = ref[v];
		bad += map[ours[v]] != ref[v];
	}
	CHECK_INT(bad, 0);
	uint64_t total = 0;
	for (uint32_t k = 0; k < count; k++)
		total += sizes[k];
	CHECK_INT(total, n);
	/* Reverse topological labels: no edge climbs. */
	uint32_t climbs = 0;
	for (uint32_t u = 0; u < n; u++)
		for (uint64_t e = g.offsets[u]; e < g.offsets[u + 1]; e++)
			climbs += ours[u] < ours[g.targets[e]];
	CHECK_INT(climbs, 0);
	free(ours);
	free(ref);
	free(map);
	rn_free(sizes);
	rn_graph_free(&g);
}

/* x = b + s A diag(c) x, c = 1/div (0 where div = 0), against Jacobi with rn_spmv: both to
 * 1e-13, compared at 1e-10 relative; and bitwise the same with 1 and 2 threads.  div is the
 * in-weight (the solver then keeps y = c x in x's own array), and with zero_every > 0 also
 * set to 0 on every zero_every-th node, in-edges or not (then y needs an array of its own). */
static void check_solve_div(const rn_graph *g, double s, uint32_t zero_every)
{
	uint32_t n = g->n;
	double *b = malloc(n * sizeof *b), *x = malloc(n * sizeof *x), *x2 = malloc(n * sizeof *x2);
	double *p = malloc(n * sizeof *p), *q = malloc(n * sizeof *q), *c = malloc(n * sizeof *c);
	double *div = malloc(n * sizeof *div);
	for (uint32_t v = 0; v < n; v++) {
		b[v] = 1 + (v % 5);
		p[v] = b[v];
		div[v] = zero_every && v % zero_every == 0 ? 0 : g->in_weight[v];
		c[v] = div[v] > 0 ? 1 / div[v] : 0;
	}
	rn_solve_stats st;
	omp_set_num_threads(1);
	CHECK_INT(rn_solve_linear(g, b, s, div, 1e-13, 100000, x2, &st, NULL), RN_OK);
	omp_set_num_threads(2);
	CHECK_INT(rn_solve_linear(g, b, s, div, 1e-13, 100000, x, &st, NULL), RN_OK);
	CHECK(memcmp(x, x2, n * sizeof *x) == 0);
	/* with the components handed in (split_labelled): the same bits */
	rn_scc_labels scc;
	CHECK_INT(rn_scc_labels_compute(g, &scc, NULL), RN_OK);
	CHECK_INT(rn_solve_linear_scc(g, &scc, b, s, div, 1e-13, 100000, x2, NULL, NULL), RN_OK);
	CHECK(memcmp(x, x2, n * sizeof *x) == 0);
	rn_scc_labels_free(&scc);
	for (int it = 0; it < 100000; it++) {
		rn_spmv(g, p, c, s, b, q);
		double change = 0;
		for (uint32_t v = 0; v < n; v++)
			change += fabs(q[v] - p[v]);
		double *t = p;
		p = q;
		q = t;
		if (change < 1e-13)
			break;
	}
	double worst = 0;
	for (uint32_t v = 0; v < n; v++)
		worst = fmax(worst, fabs(x[v] - p[v]) / p[v]);
	CHECK(worst <= 1e-10);
	CHECK(st.components > 0);
	CHECK(st.row_updates >= n);
	if (!zero_every && s < 1.0) {
		/* div the graph's own in-weights, as PageRank passes them: a giant component is
		 * then solved with what it reaches (emit_closed), to the same fixed point, the
		 * same bits on 1 and 2 threads. */
		omp_set_num_threads(1);
		CHECK_INT(rn_solve_linear(g, b, s, g->in_weight, 1e-13, 100000, x2, NULL, NULL),
			  RN_OK);
		omp_set_num_threads(2);
		rn_solve_stats closed;
		CHECK_INT(rn_solve_linear(g, b, s, g->in_weight, 1e-13, 100000, x, &closed, NULL),
			  RN_OK);
		CHECK(memcmp(x, x2, n * sizeof *x) == 0);
		/* each node in one component, some merged: none solved twice */
		CHECK(closed.components <= st.components);
		worst = 0;
		for (uint32_t v = 0; v < n; v++)
			worst = fmax(worst, fabs(x[v] - p[v]) / p[v]);
		CHECK(worst <= 1e-10);
	}
	free(b);
	free(x);
	free(x2);
	free(p);
	free(q);
	free(c);
	free(div);
}

static void check_solve(const rn_graph *g, double s)
{
	check_solve_div(g, s, 0);
	check_solve_div(g, s, 7);
}

static void test_solve(tg_kind kind, uint32_t n, uint64_t m, double s)
{
	rn_graph g;
	CHECK_INT(tg_build(&g, kind, n, m, 1, m + 2), RN_OK);
	check_solve(&g, s);
	rn_graph_free(&g);
}

/* The shapes the forward-backward split (solve_split) must order correctly: a giant
 * component (0..1999) with trees and a small cycle downstream of it (2000..2999), a cycle and
 * trees upstream of it (3000..3999), and, when hub is set, a two-node cycle whose node 4000
 * has by far the largest in-degree times out-degree, so that it becomes the pivot instead of
 * a node of the giant component.  Below the giant component also a chain of 200 nodes
 * against the index order (5000..5199, each pointing to the one before): emit_closed takes
 * one of them a pass, so 64 are taken and the rest is solved with the component. */
static void test_split(int hub)
{
	uint32_t n = 5200, cap = 20000, k = 0;
	uint32_t *s = malloc(cap * sizeof *s), *t = malloc(cap * sizeof *t);
	float *w = malloc(cap * sizeof *w);
#define EDGE(a, b)                                                                           \
	do {                                                                                 \
		s[k] = (a);                                                                  \
		t[k] = (b);                                                                  \
		w[k] = 0.5f + (float)(k % 7) * 0.5f;                                         \
		k++;                                                                         \
	} while (0)
	tg_state = 12345;
	for (uint32_t i = 0; i < 2000; i++) {
		EDGE(i, (i + 1) % 2000);
		EDGE(i, tg_below(2000));
		EDGE(i, tg_below(2000));
	}
	for (uint32_t i = 2000; i < 3000; i++) {
		EDGE(tg_below(i), i); /* from the giant component or earlier downstream nodes */
		if (i % 3 == 0)
			EDGE(i, 2000 + tg_below(1000));
	}
	for (uint32_t i = 2500; i < 2510; i++)
		EDGE(i, i + 1 < 2510 ? i + 1 : 2500);
	for (uint32_t i = 3000; i < 4000; i++) {
		EDGE(i, tg_below(2000)); /* into the giant component */
		if (i % 4 == 0)
			EDGE(3000 + tg_below(1000), i);
	}
	for (uint32_t i = 3100; i < 3105; i++)
		EDGE(i, i + 1 < 3105 ? i + 1 : 3100);
	if (hub) {
		EDGE(4000, 4001);
		EDGE(4001, 4000);
		for (uint32_t i = 4002; i < 4500; i++) {
			EDGE(4000, i);
			EDGE(i + 498 < 5000 ? i + 498 : 4001, 4000);
		}
	}
	EDGE(0, 5199);
	for (uint32_t i = 5001; i < 5200; i++)
		EDGE(i, i - 1);
#undef EDGE
	rn_graph g;
	CHECK_INT(rn_graph_build(&g, n, k, s, t, w, RN_DUP_SUM, NULL), RN_OK);
	check_solve(&g, 0.85);
	check_solve(&g, 0.3);
	rn_graph_free(&g);
	free(s);
	free(t);
	free(w);
}

/* The backward search of the split (reach_back) marks a path along the index order in one
 * pass; one against it needs a pass per node, so after BACK_PASSES passes the search goes on
 * over reversed rows.  Either way one component of all the nodes, solved. */
static void test_split_order(void)
{
	uint32_t n = 3000;
	uint32_t *s = malloc(2 * n * sizeof *s), *t = malloc(2 * n * sizeof *t);
	for (int against = 0; against < 2; against++) {
		uint64_t m = 0;
		for (uint32_t i = 0; i < n; i++) {
			s[m] = i, t[m] = against ? (i + n - 1) % n : (i + 1) % n, m++;
			if (i % 97 == 0)
				s[m] = i, t[m] = (i + 1500) % n, m++;
		}
		rn_graph g;
		CHECK_INT(rn_graph_build(&g, n, m, s, t, NULL, RN_DUP_SUM, NULL), RN_OK);
		check_solve(&g, 0.85);
		uint32_t *comp = malloc(n * sizeof *comp), count = 0, *sizes = NULL;
		CHECK_INT(rn_scc(&g, comp, &count, &sizes, NULL), RN_OK);
		CHECK_INT(count, 1);
		CHECK_INT(sizes ? sizes[0] : 0, n);
		free(comp);
		rn_free(sizes);
		rn_graph_free(&g);
	}
	free(s);
	free(t);
}

/* Four cyclic components of 1000 nodes each, every one at least an eighth of the graph, so
 * that solve_local gives its map back after each and makes it again for the next; each
 * component also feeds the ones built before it, which must therefore be final first. */
static void build_components(rn_graph *g)
{
	uint32_t n = 4500, cap = 16000, k = 0;
	uint32_t *s = malloc(cap * sizeof *s), *t = malloc(cap * sizeof *t);
	float *w = malloc(cap * sizeof *w);
	tg_state = 777;
	for (uint32_t c = 0; c < 4; c++)
		for (uint32_t i = 0; i < 1000; i++) {
			uint32_t u = c * 1000 + i;
			s[k] = u, t[k] = c * 1000 + (i + 1) % 1000, w[k++] = 1.0f;
			s[k] = u, t[k] = c * 1000 + tg_below(1000), w[k++] = 2.0f;
			if (c > 0)
				s[k] = u, t[k] = tg_below(c * 1000), w[k++] = 0.5f;
		}
	for (uint32_t u = 4000; u < n; u++) /* trees above all of them */
		s[k] = u, t[k] = tg_below(u), w[k++] = 1.0f;
	CHECK_INT(rn_graph_build(g, n, k, s, t, w, RN_DUP_SUM, NULL), RN_OK);
	free(s);
	free(t);
	free(w);
}

/* A cyclic component's copy keeps a one-byte code per edge when the graph has at most 255
 * distinct weights, else the float weight.  Both sides, and far above, with weights in
 * 1/1024ths and in 1/1000ths, solve to the same fixed point as the reference iteration
 * (check_solve), blocked or not. */
static void test_weight_codes(void)
{
	uint32_t n = 3000, distinct[] = {1, 255, 256, 1000, 255, 1000};
	float unit[] = {1024, 1024, 1024, 1024, 1000, 1000};
	uint32_t *s = malloc(2 * n * sizeof *s), *t = malloc(2 * n * sizeof *t);
	float *w = malloc(2 * n * sizeof *w);
	for (int k = 0; k < 6; k++) {
		uint64_t m = 0;
		/* one cycle through all, plus chords: unique pairs */
		for (uint32_t u = 0; u < n; u++) {
			s[m] = u, t[m] = (u + 1) % n;
			w[m] = 0.5f + (float)(m % distinct[k]) / unit[k];
			m++;
			s[m] = u, t[m] = (u + 7) % n;
			w[m] = 0.5f + (float)(m % distinct[k]) / unit[k];
			m++;
		}
		rn_graph g;
		CHECK_INT(rn_graph_build(&g, n, m, s, t, w, RN_DUP_SUM, NULL), RN_OK);
		check_solve(&g, 0.85);
		rn_solve_block_rows(700);
		check_solve(&g, 0.85);
		rn_solve_block_rows(0);
		if (k == 1) {
			/* PageRank does not change when every weight is scaled, nor, within a
			 * sweep or two, the mass correction (which takes the column sums from the
			 * sweep's products): scaled by 0.3, the same sweeps. */
			rn_graph h;
			for (uint64_t e = 0; e < m; e++)
				w[e] *= 0.3f;
			CHECK_INT(rn_graph_build(&h, n, m, s, t, w, RN_DUP_SUM, NULL), RN_OK);
			double *p = malloc(n * sizeof *p), *q = malloc(n * sizeof *q);
			rn_solve_stats sp, sq;
			CHECK_INT(rn_pagerank(&g, NULL, p, &sp, NULL), RN_OK);
			CHECK_INT(rn_pagerank(&h, NULL, q, &sq, NULL), RN_OK);
			double worst = 0;
			for (uint32_t v = 0; v < n; v++)
				worst = fmax(worst, fabs(p[v] - q[v]) / p[v]);
			CHECK(worst < 1e-6);
			CHECK(sp.max_sweeps + 2 >= sq.max_sweeps &&
			      sq.max_sweeps + 2 >= sp.max_sweeps);
			free(p);
			free(q);
			rn_graph_free(&h);
		}
		rn_graph_free(&g);
	}
	free(s);
	free(t);
	free(w);
}

static void test_large_components(void)
{
	rn_graph g;
	build_components(&g);
	check_solve(&g, 0.85);
	rn_solve_block_rows(300); /* and blocked */
	check_solve(&g, 0.85);
	rn_solve_block_rows(0);
	rn_graph_free(&g);
}

/* A tolerance below what double precision resolves: on this graph, with b = 1..5 and every
 * 7th div zero, tol 1e-13 used to flip last bits for all of max_sweeps.  Now each component
 * stops at its rounding (stats.at_rounding), within sweeps, at the values of a met tolerance. */
static void test_rounding_floor(void)
{
	rn_graph g;
	build_components(&g);
	uint32_t n = g.n;
	double *b = malloc(n * sizeof *b), *div = malloc(n * sizeof *div);
	double *x = malloc(n * sizeof *x), *ref = malloc(n * sizeof *ref);
	for (uint32_t v = 0; v < n; v++) {
		b[v] = 1 + (v % 5);
		div[v] = v % 7 == 0 ? 0 : g.in_weight[v];
	}
	rn_solve_stats st;
	CHECK_INT(rn_solve_linear(&g, b, 0.85, div, 1e-9, 3000, ref, &st, NULL), RN_OK);
	CHECK_INT(st.at_rounding, 0);
	double tols[] = {1e-13, 1e-300};
	for (int k = 0; k < 2; k++) {
		CHECK_INT(rn_solve_linear(&g, b, 0.85, div, tols[k], 3000, x, &st, NULL), RN_OK);
		CHECK(st.at_rounding >= 1 && st.at_rounding <= st.cyclic_components);
		CHECK(st.max_sweeps < 300);
		double diff = 0;
		for (uint32_t v = 0; v < n; v++)
			diff += fabs(x[v] - ref[v]);
		CHECK(diff <= 1e-9);
	}
	free(b);
	free(div);
	free(x);
	free(ref);
	rn_graph_free(&g);
}

/* The blocked sweep (rn_solve_block_rows) is the same Gauss-Seidel sweep: against Jacobi, and
 * against the unblocked solve to rounding, with even and uneven blocks. */
static void test_blocked(void)
{
	rn_graph g;
	CHECK_INT(tg_build(&g, TG_RANDOM, 30000, 90000, 1, 5), RN_OK);
	uint32_t n = g.n;
	double *plain = malloc(n * sizeof *plain), *x = malloc(n * sizeof *x);
	rn_solve_stats st, st_plain;
	CHECK_INT(rn_solve_linear(&g, NULL, 0.85, g.in_weight, 1e-12, 1000, plain, &st_plain, NULL),
		  RN_OK);
	uint32_t rows[] = {1000, 4099, 20000}; /* 27, 7 and 2 blocks of the giant component */
	for (int k = 0; k < 3; k++) {
		rn_solve_block_rows(rows[k]);
		check_solve(&g, 0.85);
		CHECK_INT(rn_solve_linear(&g, NULL, 0.85, g.in_weight, 1e-12, 1000, x, &st, NULL),
			  RN_OK);
		double worst = 0;
		for (uint32_t v = 0; v < n; v++)
			worst = fmax(worst, fabs(x[v] - plain[v]) / plain[v]);
		CHECK(worst <= 1e-11);
		CHECK(abs((int)st.sweeps - (int)st_plain.sweeps) <= 1);
		/* the mass correction, blocked: 38 sweeps here, 85 without it */
		CHECK(st.max_sweeps <= 42);
	}
	/* Every allocation of the blocked path can fail cleanly, with the components found by
	 * the solve and handed in (split_labelled). */
	rn_solve_block_rows(1000);
	rn_scc_labels scc;
	CHECK_INT(rn_scc_labels_compute(&g, &scc, NULL), RN_OK);
	for (int labelled = 0; labelled < 2; labelled++) {
		rn_pagerank_options opt;
		rn_pagerank_options_default(&opt);
		opt.scc = labelled ? &scc : NULL;
		int rc = RN_ENOMEM;
		for (uint64_t k = 1; k < 200 && rc != RN_OK; k++) {
			rn_error err;
			rn_alloc_fail_at(k, 0);
			rc = rn_pagerank(&g, &opt, x, NULL, &err);
			rn_alloc_fail_at(0, 0);
			if (rc != RN_OK)
				CHECK_INT(rc, RN_ENOMEM);
		}
		CHECK_INT(rc, RN_OK);
	}
	rn_scc_labels_free(&scc);
	/* More than 4096 blocks (a component of 2^28 customers at the default) is refused before
	 * the group table is made: here, blocks of one row. */
	rn_solve_block_rows(1);
	rn_error err;
	CHECK_INT(rn_solve_linear(&g, NULL, 0.85, g.in_weight, 1e-12, 1000, x, &st, &err),
		  RN_ENOMEM);
	CHECK(strstr(err.message, "too large to solve") != NULL);
	rn_solve_block_rows(0);
	free(plain);
	free(x);
	rn_graph_free(&g);
}

/* Extrapolation along the slowest mode.  On a generated referral network (the benchmark's
 * model: referral trees and 2.8 word-of-mouth edges per customer, 1e5 customers) the giant
 * component settles into one slow mode, and the extrapolation, blocked or not, steps along it,
 * saves sweeps, agrees with the plain sweeps to the tolerance and gives the same bits on 1 and
 * 2 threads.  On a uniform random graph the ratio is steady from the start but below 0.5 (a
 * bulk of modes, where a step made things worse): no step. */
/* The sweeps over a generated network's giant component: 1e5 customers with the benchmark's
 * word-of-mouth rate (cycles through most of the graph), PageRank's system and tolerance. */
struct generated {
	rn_graph g;
	double tol;
};

static void generated_net(struct generated *gn)
{
	char dir[] = "/tmp/rn_extrapXXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	rn_gen_params p;
	rn_gen_params_default(&p);
	p.customers = 100000;
	p.wom_rate = 2.8;
	p.seed = 3;
	rn_error err;
	CHECK_INT(rn_generate(&p, dir, NULL, NULL, NULL, &err), RN_OK);
	char path[64];
	snprintf(path, sizeof path, "%s/referrals.csv", dir);
	rn_dataset ds;
	CHECK_INT(rn_dataset_init(&ds), RN_OK);
	CHECK_INT(rn_load_referrals(&ds, path, NULL, &err), RN_OK);
	CHECK_INT(rn_graph_from_dataset(&gn->g, &ds, path, RN_DUP_SUM, &err), RN_OK);
	rn_dataset_free(&ds);
	/* PageRank's tolerance 1e-10 (rn_pagerank scales it by (1 - d) n for b = 1) */
	gn->tol = 1e-10 * 0.15 * gn->g.n;
	const char *files[] = {"customers.csv", "referrals.csv", "transactions.csv", "spend.csv",
			       "truth.json"};
	for (int f = 0; f < 5; f++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[f]);
		remove(path);
	}
	rmdir(dir);
}

/* gn's system solved to its tolerance. */
static int solve_generated(const struct generated *gn, double *x, rn_solve_stats *st)
{
	return rn_solve_linear(&gn->g, NULL, 0.85, gn->g.in_weight, gn->tol, 1000, x, st, NULL);
}

/* Whether a solve of gn's system gives the same bits on one thread. */
static bool same_on_one_thread(const struct generated *gn, const double *x)
{
	uint32_t n = gn->g.n;
	double *one = malloc(n * sizeof *one);
	int threads = omp_get_max_threads();
	omp_set_num_threads(1);
	int rc = solve_generated(gn, one, NULL);
	omp_set_num_threads(threads);
	bool same = rc == RN_OK && memcmp(one, x, n * sizeof *x) == 0;
	free(one);
	return same;
}

/* L1 distance between two solutions. */
static double l1_diff(const double *a, const double *b, uint32_t n)
{
	double diff = 0.0;
	for (uint32_t v = 0; v < n; v++)
		diff += fabs(a[v] - b[v]);
	return diff;
}

/* Extrapolation along the slowest mode (without the two-cycle correction, which takes that
 * mode away on this graph). */
static void test_extrapolation(const struct generated *gn)
{
	const rn_graph *g = &gn->g;
	uint32_t n = g->n, rows[] = {0, 8192};
	double tol = gn->tol;
	double *plain = malloc(n * sizeof *plain), *x = malloc(n * sizeof *x);
	rn_solve_two_cycles(false);
	for (int k = 0; k < 2; k++) {
		rn_solve_block_rows(rows[k]);
		rn_solve_stats st, st_plain;
		rn_solve_extrapolation(false);
		CHECK_INT(solve_generated(gn, plain, &st_plain), RN_OK);
		CHECK_INT(st_plain.extrapolations, 0);
		CHECK_INT(st_plain.two_cycle_rows, 0);
		rn_solve_extrapolation(true);
		CHECK_INT(solve_generated(gn, x, &st), RN_OK);
		CHECK(st.extrapolations >= 1);
		CHECK(st.sweeps + 4 <= st_plain.sweeps);
		/* each within d / (1 - d) times its changes, which sum to at most tol, of the
		 * solution (the bound in ALGORITHMS.md, PageRank) */
		CHECK(l1_diff(x, plain, n) <= 2 * 0.85 / 0.15 * tol);
		CHECK(same_on_one_thread(gn, x));
	}
	rn_solve_two_cycles(true);
	rn_solve_block_rows(0);
	free(plain);
	free(x);
}

/* The two-cycle correction on the generated network: fewer sweeps, every solution within its
 * bound of a solve to 1e-13, the same bits on one and two threads. */
static void test_two_cycles_generated(const struct generated *gn)
{
	const rn_graph *g = &gn->g;
	uint32_t n = g->n, rows[] = {0, 8192};
	double tol = gn->tol;
	double *exact = malloc(n * sizeof *exact), *plain = malloc(n * sizeof *plain);
	double *x = malloc(n * sizeof *x);
	CHECK_INT(
	    rn_solve_linear(g, NULL, 0.85, g->in_weight, 1e-13 * 0.15 * n, 1000, exact, NULL, NULL),
	    RN_OK);
	for (int k = 0; k < 2; k++) {
		rn_solve_block_rows(rows[k]);
		rn_solve_stats st, st_plain;
		rn_solve_two_cycles(false);
		CHECK_INT(solve_generated(gn, plain, &st_plain), RN_OK);
		rn_solve_two_cycles(true);
		CHECK_INT(solve_generated(gn, x, &st), RN_OK);
		CHECK(st.two_cycle_rows > 1000);
		/* the giant component's sweeps: the small components are the same in both */
		CHECK(st.sweeps + 5 <= st_plain.sweeps);
		/* the residual of a stretched sweep is at most d (1 + d) times its change, and
		 * solve_local counts the change 1 + d times: the same bound as plain sweeps */
		CHECK(l1_diff(x, exact, n) <= 2 * 0.85 / 0.15 * tol);
		CHECK(l1_diff(plain, exact, n) <= 2 * 0.85 / 0.15 * tol);
		CHECK(same_on_one_thread(gn, x));
	}
	rn_solve_block_rows(0);
	free(exact);
	free(plain);
	free(x);
}

/* A hub referred back by each of its 399 customers (weight 5): every row's value depends on
 * the hub's through a loop of gain s^2, which the sweep (hub last) takes whole.  With b = 1
 * the solution is x_0 = (1 + 399 s) / (1 - s^2), x_k = 1 + s x_0 / 399; there the mass
 * correction also takes the loops' mode, and the stretch waits for it (kernel.c: 11 sweeps
 * against 7 plain).  With a b that has a negative entry there is no mass correction, and the
 * stretched sweeps finish in a few where plain ones shrink the error by s^2 = 0.72 each (and
 * the extrapolation along that mode helps them). */
static void test_two_cycles_star(void)
{
	enum { N = 400 };
	uint32_t src[2 * (N - 1)], dst[2 * (N - 1)];
	float w[2 * (N - 1)];
	for (uint32_t k = 1; k < N; k++) {
		src[2 * k - 2] = 0, dst[2 * k - 2] = k, w[2 * k - 2] = 1.0f;
		src[2 * k - 1] = k, dst[2 * k - 1] = 0, w[2 * k - 1] = 5.0f;
	}
	rn_graph g;
	CHECK_INT(rn_graph_build(&g, N, 2 * (N - 1), src, dst, w, RN_DUP_SUM, NULL), RN_OK);
	double s = 0.85, x[N], plain[N], b[N], x0 = (1 + (N - 1) * s) / (1 - s * s);
	rn_solve_stats st, st_plain;
	CHECK_INT(rn_solve_linear(&g, NULL, s, g.in_weight, 1e-9, 1000, x, &st, NULL), RN_OK);
	CHECK_INT(st.two_cycle_rows, 1);
	CHECK(st.sweeps <= 12);
	CHECK_NEAR(x[0], x0, 1e-12 * x0);
	for (uint32_t k = 1; k < N; k++)
		CHECK_NEAR(x[k], 1 + s * x0 / (N - 1), 1e-12 * x0);
	for (uint32_t v = 0; v < N; v++)
		b[v] = v == N - 1 ? -50.0 : 1.0;
	CHECK_INT(rn_solve_linear(&g, b, s, g.in_weight, 1e-9, 1000, x, &st, NULL), RN_OK);
	rn_solve_two_cycles(false);
	CHECK_INT(rn_solve_linear(&g, b, s, g.in_weight, 1e-9, 1000, plain, &st_plain, NULL),
		  RN_OK);
	rn_solve_two_cycles(true);
	CHECK(st.sweeps <= 8);	      /* 6 */
	CHECK(st_plain.sweeps >= 20); /* 26, with two steps of extrapolation */
	/* both within d (1 + d) / (1 - d) tol of the solution: 2e-8 */
	for (uint32_t v = 0; v < N; v++)
		CHECK_NEAR(x[v], plain[v], 2e-8);
	/* not for other systems: without div (Katz's) no row is corrected */
	CHECK_INT(rn_solve_linear(&g, NULL, 0.001, NULL, 1e-9, 1000, x, &st, NULL), RN_OK);
	CHECK_INT(st.two_cycle_rows, 0);
	rn_graph_free(&g);
}

static void test_scc_threads(void)
{
	tg_kind kinds[] = {TG_FOREST, TG_RANDOM};
	for (int k = 0; k < 2; k++) {
		rn_graph g;
		CHECK_INT(tg_build(&g, kinds[k], 200000, 600000, 0, 11), RN_OK);
		uint32_t *a = malloc(g.n * sizeof *a), *b = malloc(g.n * sizeof *b), ca, cb;
		omp_set_num_threads(1);
		CHECK_INT(rn_scc(&g, a, &ca, NULL, NULL), RN_OK);
		omp_set_num_threads(2);
		CHECK_INT(rn_scc(&g, b, &cb, NULL, NULL), RN_OK);
		CHECK_INT(ca, cb);
		CHECK(memcmp(a, b, g.n * sizeof *a) == 0);
		free(a);
		free(b);
		rn_graph_free(&g);
	}
}

static void test_diverge(void)
{
	/* 2-cycle, s = 2: spectral radius 2, Gauss-Seidel diverges. */
	uint32_t s[] = {0, 1}, t[] = {1, 0};
	rn_graph g;
	rn_error err;
	CHECK_INT(rn_graph_build(&g, 2, 2, s, t, NULL, RN_DUP_SUM, NULL), RN_OK);
	double x[2];
	CHECK_INT(rn_solve_linear(&g, NULL, 2.0, NULL, 1e-10, 50, x, NULL, &err), RN_EDATA);
	CHECK_CONTAINS(err.message, "cycle of 2 customers");
	CHECK_INT(rn_solve_linear(&g, NULL, -1.0, NULL, 1e-10, 50, x, NULL, &err), RN_EUSAGE);
	rn_graph_free(&g);
}

static void test_threads(void)
{
	rn_graph g;
	/* A forest of 200000 with 20 % roots: level 0 alone exceeds two parallel blocks. */
	CHECK_INT(tg_build(&g, TG_FOREST, 200000, 200000, 1, 9), RN_OK);
	uint32_t n = g.n;
	double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
	rn_solve_stats st;
	omp_set_num_threads(1);
	CHECK_INT(rn_solve_linear(&g, NULL, 0.85, g.in_weight, 1e-10, 1000, a, &st, NULL), RN_OK);
	omp_set_num_threads(2);
	CHECK_INT(rn_solve_linear(&g, NULL, 0.85, g.in_weight, 1e-10, 1000, b, &st, NULL), RN_OK);
	CHECK(memcmp(a, b, n * sizeof *a) == 0);
	CHECK(st.levels > 1);
	free(a);
	free(b);
	rn_graph_free(&g);
}

/* Empty graph: every entry point succeeds and writes nothing. */
static void test_empty(void)
{
	rn_graph g;
	uint32_t none = 0, count = 7;
	double x[1] = {42};
	CHECK_INT(rn_graph_build(&g, 0, 0, &none, &none, NULL, RN_DUP_SUM, NULL), RN_OK);
	CHECK_INT(rn_scc(&g, &none, &count, NULL, NULL), RN_OK);
	CHECK_INT(count, 0);
	CHECK_INT(rn_solve_linear(&g, NULL, 0.5, NULL, 1e-10, 10, x, NULL, NULL), RN_OK);
	CHECK_INT(rn_pagerank(&g, NULL, x, NULL, NULL), RN_OK);
	CHECK_INT(rn_katz(&g, 0.5, 1e-10, x, NULL, NULL, NULL), RN_OK);
	CHECK_INT(rn_reach(&g, NULL, x, NULL, NULL), RN_OK);
	rn_cascades c;
	CHECK_INT(rn_cascades_compute(&g, &c, NULL), RN_OK);
	CHECK_INT(c.count, 0);
	rn_cascades_free(&c);
	CHECK_NEAR(x[0], 42, 0);
	rn_graph_free(&g);
}

/* Every allocation of the algo layer can fail: make the k-th fail for k = 1, 2, ... until a
 * run succeeds; each failing run must report RN_ENOMEM (and, under ASan, leak nothing). */
static void test_alloc_failures(void)
{
	rn_graph g;
	CHECK_INT(tg_build(&g, TG_NEARDAG, 3000, 6000, 1, 4), RN_OK);
	double *x = malloc(g.n * sizeof *x);
	int funcs = 5;
	for (int f = 0; f < funcs; f++) {
		int rc = RN_ENOMEM;
		uint64_t k;
		for (k = 1; k < 1000 && rc != RN_OK; k++) {
			rn_error err;
			rn_reach_options ro;
			rn_reach_options_default(&ro);
			ro.exact_max_nodes = f == 3 ? 100 : 200000;
			rn_cascades c;
			rn_alloc_fail_at(k, 0);
			switch (f) {
			case 0:
				rc = rn_pagerank(&g, NULL, x, NULL, &err);
				break;
			case 1:
				rc = rn_katz(&g, 0.01, 1e-10, x, NULL, NULL, &err);
				break;
			case 2:
				rc = rn_reach(&g, &ro, x, NULL, &err);
				break;
			case 3:
				rc = rn_reach(&g, &ro, x, NULL, &err);
				break;
			default:
				rc = rn_cascades_compute(&g, &c, &err);
				if (rc == RN_OK)
					rn_cascades_free(&c);
				break;
			}
			rn_alloc_fail_at(0, 0);
			if (rc != RN_OK && rc != RN_ENOMEM) {
				fprintf(stderr, "function %d, allocation %llu: status %d\n", f,
					(unsigned long long)k, rc);
				CHECK_INT(rc, RN_ENOMEM);
				break;
			}
		}
		CHECK_INT(rc, RN_OK);
		CHECK(k > 2);
	}
	free(x);
	rn_graph_free(&g);
}

int main(void)
{
	test_empty();
	test_alloc_failures();
	test_spmv_hand();
	test_scc(TG_RANDOM, 3000, 3500);
	test_scc(TG_RANDOM, 3000, 9000);
	test_scc(TG_NEARDAG, 5000, 10000);
	test_scc(TG_FOREST, 5000, 5000);
	test_scc(TG_RANDOM, 40000, 120000);
	test_scc_threads();
	test_solve(TG_RANDOM, 3000, 9000, 0.85);
	test_solve(TG_NEARDAG, 5000, 10000, 0.9);
	test_solve(TG_DAG, 5000, 10000, 0.5);
	test_solve(TG_RANDOM, 30000, 90000, 0.85);
	test_split(0);
	test_split(1);
	test_split_order();
	test_large_components();
	test_weight_codes();
	test_rounding_floor();
	test_blocked();
	struct generated gn;
	generated_net(&gn);
	test_extrapolation(&gn);
	test_two_cycles_generated(&gn);
	rn_graph_free(&gn.g);
	test_two_cycles_star();
	test_diverge();
	test_threads();
	return check_report();
}
