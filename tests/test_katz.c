/* test_katz.c - Katz centrality x = 1 + alpha A x: hand-computed chains and cycles, the
 * spectral-radius bounds and the rejection of alpha >= 1/lambda_max, and a Jacobi iteration
 * with rn_spmv as an independent reference on generated graphs. */
#include <refnet/algo.h>

#include <omp.h>
#include <string.h>

#include "algo_graphs.h"
#include "check.h"

static void test_chain(void)
{
	/* 0 -> 1 (weight 2) -> 2: x2 = 1, x1 = 1 + a, x0 = 1 + 2a x1. */
	uint32_t s[] = {0, 1}, t[] = {1, 2};
	float w[] = {2, 1};
	rn_graph g;
	CHECK_INT(rn_graph_build(&g, 3, 2, s, t, w, RN_DUP_SUM, NULL), RN_OK);
	double x[3], a = 0.5;
	rn_lambda_bounds lambda = {-1, -1};
	CHECK_INT(rn_katz(&g, a, 1e-12, x, &lambda, NULL, NULL), RN_OK);
	CHECK(lambda.lower == 0 && lambda.upper == 0); /* acyclic: nilpotent */
	CHECK_NEAR(x[2], 1, 0);
	CHECK_NEAR(x[1], 1 + a, 0);
	CHECK_NEAR(x[0], 1 + 2 * a * (1 + a), 1e-15);
	/* Any alpha is admissible on a DAG. */
	CHECK_INT(rn_katz(&g, 10.0, 1e-12, x, NULL, NULL, NULL), RN_OK);
	CHECK_NEAR(x[0], 1 + 20 * 11, 1e-12);
	rn_graph_free(&g);
}

static void test_cycle(void)
{
	/* 3-cycle with weights 2: lambda_max = 2.  x = 1 + 2a x on every node: x = 1/(1 - 2a). */
	uint32_t s[] = {0, 1, 2, 3}, t[] = {1, 2, 0, 0};
	float w[] = {2, 2, 2, 1};
	rn_graph g;
	rn_error err;
	CHECK_INT(rn_graph_build(&g, 4, 4, s, t, w, RN_DUP_SUM, NULL), RN_OK);
	double lo, hi, x[4];
	CHECK_INT(rn_spectral_radius(&g, 1000, 1e-12, &lo, &hi, NULL), RN_OK);
	CHECK(lo <= 2 + 1e-12 && hi >= 2 - 1e-12);
	CHECK_NEAR(hi, 2, 1e-9);
	CHECK_INT(rn_katz(&g, 0.25, 1e-13, x, NULL, NULL, NULL), RN_OK);
	CHECK_NEAR(x[0], 2, 1e-11);
	CHECK_NEAR(x[1], 2, 1e-11);
	CHECK_NEAR(x[3], 1 + 0.25 * 2, 1e-11);
	CHECK_INT(rn_katz(&g, 0.5, 1e-12, x, NULL, NULL, &err), RN_EUSAGE);
	CHECK_CONTAINS(err.message, "Katz alpha 0.5 is too large");
	CHECK_CONTAINS(err.message, "alpha must be below 1/lambda_max = 0.5");
	CHECK_INT(rn_katz(&g, -1, 1e-12, x, NULL, NULL, &err), RN_EUSAGE);
	rn_graph_free(&g);
	/* A 2-cycle (eigenvalues +1 and -1: plain power iteration would oscillate). */
	uint32_t s2[] = {0, 1}, t2[] = {1, 0};
	CHECK_INT(rn_graph_build(&g, 2, 2, s2, t2, NULL, RN_DUP_SUM, NULL), RN_OK);
	CHECK_INT(rn_spectral_radius(&g, 1000, 1e-12, &lo, &hi, NULL), RN_OK);
	CHECK_NEAR(lo, 1, 1e-12);
	CHECK_NEAR(hi, 1, 1e-12);
	rn_graph_free(&g);
}

/* Reference: Jacobi x_{k+1} = 1 + alpha A x_k with rn_spmv until the change is below 1e-14
 * relative; the two must agree to 1e-9 relative (both solve to ~1e-12). */
static void test_vs_jacobi(tg_kind kind, uint32_t n, uint64_t m)
{
	rn_graph g;
	CHECK_INT(tg_build(&g, kind, n, m, 1, 11), RN_OK);
	double lo, hi;
	CHECK_INT(rn_spectral_radius(&g, 2000, 1e-9, &lo, &hi, NULL), RN_OK);
	CHECK(lo <= hi);
	double alpha = hi > 0 ? 0.5 / hi : 0.3;
	double *x = malloc(n * sizeof *x), *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
	double *ones = malloc(n * sizeof *ones);
	for (uint32_t v = 0; v < n; v++)
		ones[v] = a[v] = 1;
	CHECK_INT(rn_katz(&g, alpha, 1e-12, x, NULL, NULL, NULL), RN_OK);
	for (int it = 0; it < 10000; it++) {
		rn_spmv(&g, a, NULL, alpha, ones, b);
		double change = 0;
		for (uint32_t v = 0; v < n; v++)
			change = fmax(change, fabs(b[v] - a[v]) / b[v]);
		double *tmp = a;
		a = b;
		b = tmp;
		if (change < 1e-14)
			break;
	}
	double worst = 0;
	for (uint32_t v = 0; v < n; v++)
		worst = fmax(worst, fabs(x[v] - a[v]) / a[v]);
	CHECK(worst <= 1e-9);
	free(x);
	free(a);
	free(b);
	free(ones);
	rn_graph_free(&g);
}

static void test_threads(void)
{
	rn_graph g;
	CHECK_INT(tg_build(&g, TG_RANDOM, 30000, 60000, 1, 5), RN_OK);
	double *a = malloc(g.n * sizeof *a), *b = malloc(g.n * sizeof *b);
	rn_lambda_bounds lambda;
	omp_set_num_threads(1);
	CHECK_INT(rn_katz(&g, 0.05, 1e-12, a, &lambda, NULL, NULL), RN_OK);
	omp_set_num_threads(2);
	CHECK_INT(rn_katz(&g, 0.05, 1e-12, b, &lambda, NULL, NULL), RN_OK);
	CHECK(memcmp(a, b, g.n * sizeof *a) == 0);
	/* with the components handed in: the same bits, and the same refusal */
	rn_scc_labels scc;
	CHECK_INT(rn_scc_labels_compute(&g, &scc, NULL), RN_OK);
	CHECK_INT(rn_katz(&g, 0.05, 1e-12, b, &lambda, &scc, NULL), RN_OK);
	CHECK(memcmp(a, b, g.n * sizeof *a) == 0);
	CHECK_INT(rn_katz(&g, 1.0, 1e-12, b, NULL, &scc, NULL), RN_EUSAGE);
	rn_scc_labels_free(&scc);
	free(a);
	free(b);
	rn_graph_free(&g);
}

/* Without lambda_max to report, rn_katz stops refining the bounds once alpha is decided: the
 * scores agree with the fully refined run, a clearly too large alpha is refused with bounds
 * that hold, and the alpha the message calls safe is accepted. */
static void test_early_decision(void)
{
	rn_graph g;
	rn_error err;
	CHECK_INT(tg_build(&g, TG_RANDOM, 20000, 60000, 1, 3), RN_OK);
	double lo, hi;
	rn_lambda_bounds lambda;
	CHECK_INT(rn_spectral_radius(&g, 2000, 1e-9, &lo, &hi, NULL), RN_OK);
	double *a = malloc(g.n * sizeof *a), *b = malloc(g.n * sizeof *b);
	CHECK_INT(rn_katz(&g, 0.3 / hi, 1e-12, a, &lambda, NULL, NULL), RN_OK);
	CHECK_INT(rn_katz(&g, 0.3 / hi, 1e-12, b, NULL, NULL, NULL), RN_OK);
	double worst = 0;
	for (uint32_t v = 0; v < g.n; v++)
		worst = fmax(worst, fabs(a[v] - b[v]) / a[v]);
	CHECK(worst <= 1e-10);
	CHECK_INT(rn_katz(&g, 5 / hi, 1e-12, a, NULL, NULL, &err), RN_EUSAGE);
	CHECK_CONTAINS(err.message, "too large for this graph");
	const char *safe = strstr(err.message, "any alpha below ");
	CHECK(safe != NULL);
	if (safe) {
		double alpha = strtod(safe + strlen("any alpha below "), NULL);
		CHECK(alpha > 0 && alpha * hi < 1);
		CHECK_INT(rn_katz(&g, alpha * 0.999, 1e-12, a, NULL, NULL, NULL), RN_OK);
	}
	free(a);
	free(b);
	rn_graph_free(&g);
}

/* The default alpha: 0.1 on a DAG and on a cycle with lambda_max 2, with the same scores as
 * rn_katz at 0.1; on the complete digraph of 13 nodes (lambda_max 12, where 0.1 diverges) half
 * the largest provably safe alpha, giving the closed form x = 1 / (1 - 12 alpha) on every
 * node, with and without the full refinement of lambda_max. */
static void test_default_alpha(void)
{
	rn_graph g;
	double alpha = -1, upper = -1, x[13], ref[13];
	rn_lambda_bounds lambda = {-1, -1};
	uint32_t s[] = {0, 1}, t[] = {1, 2};
	CHECK_INT(rn_graph_build(&g, 3, 2, s, t, NULL, RN_DUP_SUM, NULL), RN_OK);
	CHECK_INT(rn_katz_default(&g, 1e-12, x, &alpha, &upper, NULL, NULL, NULL), RN_OK);
	CHECK(alpha == RN_KATZ_ALPHA);
	CHECK(upper == 0);
	CHECK_NEAR(x[0], 1 + 0.1 * 1.1, 1e-15);
	rn_graph_free(&g);
	uint32_t sc[] = {0, 1, 2}, tc[] = {1, 2, 0};
	float wc[] = {2, 2, 2};
	CHECK_INT(rn_graph_build(&g, 3, 3, sc, tc, wc, RN_DUP_SUM, NULL), RN_OK);
	CHECK_INT(rn_katz_default(&g, 1e-13, x, &alpha, &upper, NULL, NULL, NULL), RN_OK);
	CHECK(alpha == RN_KATZ_ALPHA);
	CHECK(upper >= 2 - 1e-12 && upper * RN_KATZ_ALPHA < 1);
	CHECK_INT(rn_katz(&g, RN_KATZ_ALPHA, 1e-13, ref, NULL, NULL, NULL), RN_OK);
	for (int v = 0; v < 3; v++)
		CHECK_NEAR(x[v], ref[v], 1e-12);
	rn_graph_free(&g);
	uint32_t ks[13 * 12], kt[13 * 12], m = 0;
	for (uint32_t u = 0; u < 13; u++)
		for (uint32_t v = 0; v < 13; v++)
			if (u != v) {
				ks[m] = u;
				kt[m++] = v;
			}
	CHECK_INT(rn_graph_build(&g, 13, m, ks, kt, NULL, RN_DUP_SUM, NULL), RN_OK);
	CHECK_INT(rn_katz(&g, RN_KATZ_ALPHA, 1e-12, x, NULL, NULL, NULL), RN_EUSAGE);
	for (int refine = 0; refine < 2; refine++) {
		CHECK_INT(rn_katz_default(&g, 1e-13, x, &alpha, &upper, refine ? &lambda : NULL,
					  NULL, NULL),
			  RN_OK);
		CHECK(upper >= 12 - 1e-9);
		CHECK_NEAR(alpha, 0.5 / upper, 1e-15);
		CHECK(alpha * 12 < 1);
		if (refine) {
			CHECK(lambda.lower <= 12 && lambda.upper >= 12);
			CHECK(lambda.upper - lambda.lower <= RN_LAMBDA_GAP * lambda.upper);
		}
		for (int v = 0; v < 13; v++)
			CHECK_NEAR(x[v], 1 / (1 - 12 * alpha), 1e-10);
	}
	CHECK_INT(rn_katz_default(&g, 0, x, &alpha, &upper, NULL, NULL, NULL), RN_EUSAGE);
	rn_graph_free(&g);
}

/* Components handed in (rn_scc_labels) give the same alpha, bounds and scores, bit for bit,
 * as components found inside, on a random graph with many cyclic components. */
static void test_shared_components(void)
{
	rn_graph g;
	CHECK_INT(tg_build(&g, TG_RANDOM, 20000, 60000, 1, 5), RN_OK);
	rn_scc_labels scc;
	CHECK_INT(rn_scc_labels_compute(&g, &scc, NULL), RN_OK);
	CHECK(scc.count > 1 && scc.count <= g.n);
	double *a = malloc(g.n * sizeof *a), *b = malloc(g.n * sizeof *b);
	double alpha_a, alpha_b, upper_a, upper_b;
	rn_lambda_bounds lambda_a, lambda_b;
	CHECK_INT(rn_katz_default(&g, 1e-12, a, &alpha_a, &upper_a, &lambda_a, NULL, NULL), RN_OK);
	CHECK_INT(rn_katz_default(&g, 1e-12, b, &alpha_b, &upper_b, &lambda_b, &scc, NULL), RN_OK);
	CHECK(alpha_a == alpha_b && upper_a == upper_b && lambda_a.lower == lambda_b.lower &&
	      lambda_a.upper == lambda_b.upper);
	CHECK(memcmp(a, b, g.n * sizeof *a) == 0);
	rn_scc_labels_free(&scc);
	CHECK(scc.comp == NULL && scc.sizes == NULL && scc.count == 0);
	free(a);
	free(b);
	rn_graph_free(&g);
}

/* Two complete digraphs on 13 nodes, weights 1 and 1.01, joined by one light edge each way:
 * one component whose two largest eigenvalues (about 12.12 and 12) lie so close that power
 * iteration gains about 1 % a product.  The bounds rn_katz reports after its RN_LAMBDA_PRODUCTS
 * products still hold, and stay apart, while a long run closes them around the true value. */
static void test_close_eigenvalues(void)
{
	uint32_t s[2 * 13 * 12 + 2], t[2 * 13 * 12 + 2], m = 0;
	float w[2 * 13 * 12 + 2];
	for (uint32_t c = 0; c < 2; c++)
		for (uint32_t u = 0; u < 13; u++)
			for (uint32_t v = 0; v < 13; v++)
				if (u != v) {
					s[m] = c * 13 + u;
					t[m] = c * 13 + v;
					w[m++] = c ? 1.01f : 1.0f;
				}
	s[m] = 0, t[m] = 13, w[m++] = 1e-3f;
	s[m] = 13, t[m] = 0, w[m++] = 1e-3f;
	rn_graph g;
	CHECK_INT(rn_graph_build(&g, 26, m, s, t, w, RN_DUP_SUM, NULL), RN_OK);
	double lo, hi, x[26];
	CHECK_INT(rn_spectral_radius(&g, 100000, 1e-13, &lo, &hi, NULL), RN_OK);
	CHECK(hi - lo <= 1e-12 * hi);
	CHECK(hi > 12.11 && hi < 12.13);
	rn_lambda_bounds lambda;
	CHECK_INT(rn_katz(&g, 0.05, 1e-12, x, &lambda, NULL, NULL), RN_OK);
	CHECK(lambda.lower <= lo && lambda.upper >= hi);
	CHECK(lambda.upper - lambda.lower > RN_LAMBDA_GAP * lambda.upper);
	CHECK(lambda.lower >= 11.9); /* a bound worth showing */
	rn_graph_free(&g);
}

/* The products run over a blocked copy of the cyclic components' edges: the bounds are the
 * same, bit for bit, with one block, with even and uneven blocks, and on 1 or 2 threads. */
static void test_blocked_products(void)
{
	rn_graph g;
	CHECK_INT(tg_build(&g, TG_RANDOM, 20000, 50000, 1, 7), RN_OK);
	double lo0, hi0, lo, hi;
	CHECK_INT(rn_spectral_radius(&g, 60, 1e-12, &lo0, &hi0, NULL), RN_OK);
	CHECK(lo0 > 0 && lo0 < hi0);
	uint32_t rows[] = {1000, 777, 64};
	for (int k = 0; k < 3; k++)
		for (int threads = 1; threads <= 2; threads++) {
			rn_spectral_block_rows(rows[k]);
			omp_set_num_threads(threads);
			CHECK_INT(rn_spectral_radius(&g, 60, 1e-12, &lo, &hi, NULL), RN_OK);
			CHECK(lo == lo0 && hi == hi0);
		}
	rn_spectral_block_rows(0);
	rn_graph_free(&g);
}

int main(void)
{
	test_chain();
	test_cycle();
	test_vs_jacobi(TG_RANDOM, 3000, 6000);
	test_vs_jacobi(TG_NEARDAG, 5000, 12000);
	test_vs_jacobi(TG_FOREST, 5000, 5000);
	test_threads();
	test_early_decision();
	test_default_alpha();
	test_shared_components();
	test_close_eigenvalues();
	test_blocked_products();
	return check_report();
}
