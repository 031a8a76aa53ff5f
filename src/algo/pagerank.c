/*
 * pagerank.c - weighted PageRank on the reversed referral graph (DESIGN.md, Metrics).
 *
 * Credit flows from the referred to the referrer: in the reversed graph v -> u for every
 * referral u -> v, and v splits its score over its referrers in proportion to the referral
 * weights, i.e. by w(u,v) / in_weight[v].  A customer nobody referred has no out-edge in the
 * reversed graph (dangling); its mass goes to the teleport vector t, as in igraph's PRPACK:
 *
 *   pr = (1-d) t + d (sum_{dangling} pr) t + d M pr,   M[u][v] = w(u,v) / in_weight[v].
 *
 * Both teleport terms are a scalar times t, so pr is proportional to z = (I - d M)^{-1} t
 * and pr = z / sum(z) (Del Corso, Gulli & Romani 2005, section 3).  z is a linear system of
 * exactly the shape rn_solve_linear handles with b = t, s = d, c = 1/in_weight, so on a
 * referral forest PageRank costs one depth-first search instead of ~142 power iterations.
 *
 * Tolerance: the L1 error e of z satisfies e = d M e + r with ||M||_1 <= 1 (columns of M sum
 * to 1 or 0), so ||e||_1 <= ||r||_1 / (1 - d); the solver is asked for tol * (1 - d), and
 * dividing by sum(z) >= 1 only shrinks the error of pr.
 */
#include <refnet/algo.h>

#include <math.h>

void rn_pagerank_options_default(rn_pagerank_options *opt)
{
	opt->damping = 0.85;
	opt->tolerance = 1e-10;
	opt->max_sweeps = 10000;
	opt->teleport = NULL;
	opt->scc = NULL;
}

int rn_pagerank(const rn_graph *g, const rn_pagerank_options *opt, double *rank,
		rn_solve_stats *stats, rn_error *err)
{
	rn_pagerank_options defaults;
	if (!opt) {
		rn_pagerank_options_default(&defaults);
		opt = &defaults;
	}
	double d = opt->damping;
	if (!(d >= 0.0 && d < 1.0))
		return rn_error_set(err, RN_EUSAGE, NULL, 0, 0,
				    "PageRank damping must be in [0, 1), got %g", d);
	if (!(opt->tolerance > 0.0) || !isfinite(opt->tolerance))
		return rn_error_set(err, RN_EUSAGE, NULL, 0, 0,
				    "PageRank tolerance must be positive, got %g", opt->tolerance);
	uint32_t n = g->n;
	if (stats)
		*stats = (rn_solve_stats){0};
	if (n == 0)
		return RN_OK;
	/* Uniform teleport: z = t + d M z with t = 1/n is 1/n times the solution for t = 1, and
	 * the normalisation removes the factor, so the solver's default b (ones) serves. */
	double *t = NULL;
	int rc = RN_OK;
	if (opt->teleport) {
		t = rn_malloc_array(n, sizeof *t);
		if (!t)
			return rn_error_set(err, RN_ENOMEM, NULL, 0, 0,
					    "out of memory for PageRank");
		double total = 0.0;
		for (uint32_t v = 0; v < n; v++) {
			double tv = opt->teleport[v];
			if (!(tv >= 0.0) || !isfinite(tv)) {
				rc = rn_error_set(err, RN_EDATA, NULL, 0, 0,
						  "teleport value of node %u is %g; it must be a "
						  "finite number >= 0",
						  v, tv);
				goto out;
			}
			total += tv;
		}
		if (!(total > 0.0) || !isfinite(total)) {
			rc = rn_error_set(err, RN_EDATA, NULL, 0, 0,
					  "teleport values sum to %g; they need a positive finite "
					  "sum",
					  total);
			goto out;
		}
		for (uint32_t v = 0; v < n; v++)
			t[v] = opt->teleport[v] / total;
	}
	/* The error bound.  After a Gauss-Seidel sweep the residual is at most d times the sweep's
	 * L1 change (the part of d M it read old values through has column sums <= d), so the
	 * error of z is at most d / (1 - d) times the change; normalising by S = sum z at most
	 * doubles the relative error.  The L1 error of pr stays within tolerance when the changes
	 * sum to at most tolerance (1 - d) S / (2 d): the budgets of rn_solve_linear_mass, which
	 * are proportional to each component's sum, with tol n times that factor. */
	double tol = opt->tolerance * (double)n * (d > 0.0 ? (1.0 - d) / (2.0 * d) : 1.0);
	rc = rn_solve_linear_mass(g, opt->scc, t, d, g->in_weight, tol, opt->max_sweeps, rank,
				  stats, err);
	if (rc != RN_OK)
		goto out;
	double sum = 0.0;
	for (uint32_t v = 0; v < n; v++)
		sum += rank[v];
	for (uint32_t v = 0; v < n; v++)
		rank[v] /= sum;
out:
	rn_free(t);
	return rc;
}
