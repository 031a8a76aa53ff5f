/*
 * btyd_fit.c - the maximum-likelihood driver shared by the BG/NBD and Gamma-Gamma models.
 *
 * Both models have a handful of positive parameters and a smooth log-likelihood with an
 * analytic gradient.  We optimise over log-parameters (positivity for free, better
 * conditioning) with GSL's BFGS2 on the per-customer mean negative log-likelihood, then polish
 * with Levenberg-Marquardt damped Newton steps whose Hessian comes from central differences of
 * the analytic gradient: BFGS gets close quickly, Newton makes the gradient vanish to rounding level, so
 * the estimates do not depend on where BFGS happened to stop.  Standard errors are the square
 * roots of the diagonal of the inverse observed information (the numerical Hessian of the
 * negative log-likelihood in the original parameters), inverted by Cholesky (LAPACK dpotrf_ /
 * dpotri_), which also tells us whether the Hessian is positive definite.
 */
#include "btyd_internal.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_vector.h>

#include <math.h>
#include <pthread.h>
#include <string.h>

/* LAPACK (Fortran ABI: arguments by reference, hidden string lengths last). */
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info,
		    size_t uplo_len);
extern void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info,
		    size_t uplo_len);
extern void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a,
		    const int *lda, double *b, const int *ldb, int *info, size_t uplo_len);

static pthread_once_t gsl_once = PTHREAD_ONCE_INIT;

static void gsl_quiet_install(void)
{
	gsl_set_error_handler_off();
}

void rn_btyd_gsl_quiet(void)
{
	pthread_once(&gsl_once, gsl_quiet_install);
}

/* Convergence: the largest component of the gradient of the per-customer mean negative
 * log-likelihood with respect to the log-parameters.  1e-7 moves a log-parameter by about
 * 1e-7 / curvature, far below any standard error we report. */
#define GRAD_TOL 1e-7
/* BFGS gets near the optimum cheaply and Newton, quadratically convergent there, finishes:
 * the Gamma-Gamma likelihood has a long curved ridge (p against gamma / q) on which BFGS alone
 * needs hundreds of iterations. */
#define BFGS_HANDOVER 1e-2
#define BFGS_MAX_ITER 2000
#define NEWTON_MAX_ITER 50
/* |log parameter| beyond this means a parameter runs to 0 or infinity: the data do not
 * identify the model (e.g. no sign of dropout for BG/NBD). */
#define LOG_PARAM_LIMIT 25.0

typedef struct problem {
	rn_btyd_eval eval;
	void *ctx;
	int dim;
	double count;
	int evaluations;
} problem;

/* Objective in theta = log(params): f = -LL / count, g = -dLL/dtheta / count. */
static double objective(problem *pb, const double *theta, double *grad_theta)
{
	double params[RN_BTYD_MAX_DIM], grad[RN_BTYD_MAX_DIM], ll;
	for (int i = 0; i < pb->dim; i++) {
		if (!(fabs(theta[i]) <= LOG_PARAM_LIMIT))
			return GSL_POSINF;
		params[i] = exp(theta[i]);
	}
	pb->eval(pb->ctx, params, &ll, grad);
	pb->evaluations++;
	if (!isfinite(ll))
		return GSL_POSINF;
	for (int i = 0; i < pb->dim; i++)
		if (grad_theta)
			grad_theta[i] = -grad[i] * params[i] / pb->count;
	return -ll / pb->count;
}

static double gsl_f(const gsl_vector *v, void *vp)
{
	return objective(vp, v->data, NULL);
}

static void gsl_df(const gsl_vector *v, void *vp, gsl_vector *g)
{
	problem *pb = vp;
	double gt[RN_BTYD_MAX_DIM] = {0};
	double f = objective(pb, v->data, gt);
	for (int i = 0; i < pb->dim; i++)
		gsl_vector_set(g, (size_t)i, isfinite(f) ? gt[i] : 0.0);
}

static void gsl_fdf(const gsl_vector *v, void *vp, double *f, gsl_vector *g)
{
	problem *pb = vp;
	double gt[RN_BTYD_MAX_DIM] = {0};
	*f = objective(pb, v->data, gt);
	for (int i = 0; i < pb->dim; i++)
		gsl_vector_set(g, (size_t)i, isfinite(*f) ? gt[i] : 0.0);
}

static double max_abs(const double *v, int dim)
{
	double m = 0.0;
	for (int i = 0; i < dim; i++)
		if (fabs(v[i]) > m || !isfinite(v[i]))
			m = isfinite(v[i]) ? fabs(v[i]) : INFINITY;
	return m;
}

/* Numerical Hessian of the objective in theta by central differences of the analytic
 * gradient, symmetrised.  Step 1e-5 in log space: truncation error ~1e-10 relative, rounding
 * ~1e-11 for gradients of order 1. */
static int hessian_theta(problem *pb, const double *theta, double *h)
{
	const double step = 1e-5;
	int d = pb->dim;
	for (int j = 0; j < d; j++) {
		double tp[RN_BTYD_MAX_DIM] = {0}, tm[RN_BTYD_MAX_DIM] = {0};
		double gp[RN_BTYD_MAX_DIM] = {0}, gm[RN_BTYD_MAX_DIM] = {0};
		memcpy(tp, theta, sizeof(double) * (size_t)d);
		memcpy(tm, theta, sizeof(double) * (size_t)d);
		tp[j] += step;
		tm[j] -= step;
		if (!isfinite(objective(pb, tp, gp)) || !isfinite(objective(pb, tm, gm)))
			return -1;
		for (int i = 0; i < d; i++)
			h[i * d + j] = (gp[i] - gm[i]) / (2.0 * step);
	}
	for (int i = 0; i < d; i++)
		for (int j = 0; j < i; j++) {
			double s = 0.5 * (h[i * d + j] + h[j * d + i]);
			h[i * d + j] = h[j * d + i] = s;
		}
	return 0;
}

/* Newton steps damped in the Levenberg-Marquardt way: the step solves
 * (H + mu diag(|H_ii|)) s = -g, mu shrinks after a step that lowers f and grows (also when
 * the damped matrix is not positive definite) after one that does not.  mu = 0 is plain
 * Newton, quadratically convergent near the optimum; large mu is a short scaled gradient
 * step, safe far from it.  Returns the final gradient norm. */
static double newton_polish(problem *pb, double *theta, int *iterations)
{
	int d = pb->dim, one = 1, info = 0;
	double g[RN_BTYD_MAX_DIM] = {0}, h[RN_BTYD_MAX_DIM * RN_BTYD_MAX_DIM];
	double f = objective(pb, theta, g), mu = 0.0;
	for (int it = 0; it < NEWTON_MAX_ITER && isfinite(f); it++) {
		if (max_abs(g, d) <= GRAD_TOL * 1e-3)
			break;
		if (hessian_theta(pb, theta, h) != 0)
			break;
		int accepted = 0;
		for (int attempt = 0; attempt < 40 && !accepted; attempt++) {
			double damped[RN_BTYD_MAX_DIM * RN_BTYD_MAX_DIM], step[RN_BTYD_MAX_DIM];
			memcpy(damped, h, sizeof(double) * (size_t)(d * d));
			for (int i = 0; i < d; i++) {
				damped[i * d + i] += mu * (fabs(h[i * d + i]) + 1e-12);
				step[i] = -g[i];
			}
			dpotrf_("L", &d, damped, &d, &info, 1);
			if (info == 0)
				dpotrs_("L", &d, &one, damped, &d, step, &d, &info, 1);
			if (info != 0) {
				mu = mu < 1e-3 ? 1e-3 : mu * 10.0;
				continue;
			}
			double trial[RN_BTYD_MAX_DIM], gt[RN_BTYD_MAX_DIM];
			for (int i = 0; i < d; i++)
				trial[i] = theta[i] + step[i];
			double ft = objective(pb, trial, gt);
			if (isfinite(ft) && (ft < f || (ft <= f && max_abs(gt, d) < max_abs(g, d)))) {
				memcpy(theta, trial, sizeof(double) * (size_t)d);
				memcpy(g, gt, sizeof(double) * (size_t)d);
				f = ft;
				mu = mu < 1e-6 ? 0.0 : mu * 0.1;
				accepted = 1;
			} else {
				mu = mu < 1e-3 ? 1e-3 : mu * 10.0;
			}
		}
		if (!accepted)
			break;
		(*iterations)++;
	}
	return isfinite(f) ? max_abs(g, d) : INFINITY;
}

int rn_btyd_maximise(rn_btyd_eval eval, void *ctx, int dim, double count, const char *model,
		     const char *const *names, double *params, double *se, double *loglik,
		     int *iterations, rn_error *err)
{
	if (dim < 1 || dim > RN_BTYD_MAX_DIM || !(count > 0.0))
		return rn_error_set(err, RN_EINTERNAL, NULL, 0, 0,
				    "%s: invalid problem size (internal error)", model);
	rn_btyd_gsl_quiet();
	problem pb = {eval, ctx, dim, count, 0};
	double theta[RN_BTYD_MAX_DIM] = {0};
	for (int i = 0; i < dim; i++)
		theta[i] = log(params[i]);
	if (!isfinite(objective(&pb, theta, NULL)))
		return rn_error_set(err, RN_EDATA, NULL, 0, 0,
				    "%s: the log-likelihood is not finite at the starting values",
				    model);

	gsl_multimin_function_fdf fn = {gsl_f, gsl_df, gsl_fdf, (size_t)dim, &pb};
	gsl_vector *start = gsl_vector_alloc((size_t)dim);
	gsl_multimin_fdfminimizer *min =
		gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, (size_t)dim);
	if (!start || !min) {
		gsl_vector_free(start);
		gsl_multimin_fdfminimizer_free(min);
		return rn_error_set(err, RN_ENOMEM, NULL, 0, 0, "out of memory");
	}
	for (int i = 0; i < dim; i++)
		gsl_vector_set(start, (size_t)i, theta[i]);
	int iter = 0;
	if (gsl_multimin_fdfminimizer_set(min, &fn, start, 0.1, 0.1) == GSL_SUCCESS) {
		for (iter = 0; iter < BFGS_MAX_ITER; iter++) {
			if (gsl_multimin_fdfminimizer_iterate(min) != GSL_SUCCESS)
				break; /* no further progress: Newton takes over */
			if (gsl_multimin_test_gradient(min->gradient, BFGS_HANDOVER) == GSL_SUCCESS)
				break;
		}
		const gsl_vector *best = gsl_multimin_fdfminimizer_x(min);
		if (isfinite(gsl_multimin_fdfminimizer_minimum(min)))
			for (int i = 0; i < dim; i++)
				theta[i] = gsl_vector_get(best, (size_t)i);
	}
	gsl_multimin_fdfminimizer_free(min);
	gsl_vector_free(start);

	double gnorm = newton_polish(&pb, theta, &iter);
	*iterations = iter;
	for (int i = 0; i < dim; i++) {
		if (fabs(theta[i]) >= LOG_PARAM_LIMIT - 1.0)
			return rn_error_set(err, RN_EDATA, NULL, 0, 0,
					    "%s: the fit does not converge: %s runs to %s (%g); "
					    "the data do not identify the model",
					    model, names[i], theta[i] > 0 ? "infinity" : "zero",
					    exp(theta[i]));
	}
	if (!(gnorm <= GRAD_TOL))
		return rn_error_set(err, RN_EDATA, NULL, 0, 0,
				    "%s: the fit did not converge after %d iterations "
				    "(gradient %g per customer)",
				    model, iter, gnorm);

	/* Observed information in the original parameters: central differences of the
	 * analytic gradient with relative steps. */
	double p[RN_BTYD_MAX_DIM], h[RN_BTYD_MAX_DIM * RN_BTYD_MAX_DIM];
	for (int i = 0; i < dim; i++)
		p[i] = exp(theta[i]);
	double ll;
	double grad[RN_BTYD_MAX_DIM] = {0};
	eval(ctx, p, &ll, grad);
	for (int j = 0; j < dim; j++) {
		double pp[RN_BTYD_MAX_DIM], pm[RN_BTYD_MAX_DIM];
		double gp[RN_BTYD_MAX_DIM], gm[RN_BTYD_MAX_DIM], lp, lm;
		double step = 1e-5 * p[j];
		memcpy(pp, p, sizeof pp);
		memcpy(pm, p, sizeof pm);
		pp[j] += step;
		pm[j] -= step;
		eval(ctx, pp, &lp, gp);
		eval(ctx, pm, &lm, gm);
		for (int i = 0; i < dim; i++)
			h[i * dim + j] = -(gp[i] - gm[i]) / (2.0 * step);
	}
	for (int i = 0; i < dim; i++)
		for (int j = 0; j < i; j++) {
			double s = 0.5 * (h[i * dim + j] + h[j * dim + i]);
			h[i * dim + j] = h[j * dim + i] = s;
		}
	for (int i = 0; i < dim * dim; i++)
		if (!isfinite(h[i]))
			return rn_error_set(err, RN_EDATA, NULL, 0, 0,
					    "%s: the Hessian at the estimate is not finite", model);
	int info = 0;
	dpotrf_("L", &dim, h, &dim, &info, 1);
	if (info != 0)
		return rn_error_set(err, RN_EDATA, NULL, 0, 0,
				    "%s: the Hessian of the negative log-likelihood is not positive "
				    "definite at the estimate; standard errors are undefined and the "
				    "data may not identify the model",
				    model);
	dpotri_("L", &dim, h, &dim, &info, 1);
	if (info != 0)
		return rn_error_set(err, RN_EDATA, NULL, 0, 0,
				    "%s: the Hessian cannot be inverted", model);
	for (int i = 0; i < dim; i++) {
		params[i] = p[i];
		se[i] = sqrt(h[i * dim + i]);
	}
	*loglik = ll;
	return RN_OK;
}
