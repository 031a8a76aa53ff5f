/*
 * btyd_internal.h - pieces shared by the BG/NBD and Gamma-Gamma fits inside src/value, kept
 * out of include/ because they are plumbing, not API: the maximum-likelihood driver and the
 * fixed-block parallel sum that keeps fits independent of the thread count.
 */
#ifndef REFNET_VALUE_BTYD_INTERNAL_H
#define REFNET_VALUE_BTYD_INTERNAL_H

#include <refnet/util.h>

#include <stddef.h>

#define RN_BTYD_MAX_DIM 4
/* Items per block of the deterministic parallel sums: each block is summed serially in
 * order and the block sums are added in block order, so the rounding does not depend on how
 * blocks are spread over threads. */
#define RN_BTYD_BLOCK 4096

/* Log-likelihood (summed over customers) and its gradient with respect to the model
 * parameters, all > 0, at params. */
typedef void (*rn_btyd_eval)(void *ctx, const double *params, double *loglik, double *grad);

/* Maximises the log-likelihood over log-parameters: GSL BFGS2 with the analytic gradient,
 * then damped Newton steps on a finite-difference Hessian to polish.  params holds the start and
 * receives the estimate; se the standard errors from the inverse of the numerical Hessian of
 * the negative log-likelihood in the original parameters (LAPACK Cholesky).  count scales the
 * objective (a per-customer mean keeps tolerances meaningful).  Errors are RN_EDATA naming
 * model. */
int rn_btyd_maximise(rn_btyd_eval eval, void *ctx, int dim, double count, const char *model,
		     const char *const *names, double *params, double *se, double *loglik,
		     int *iterations, rn_error *err);

/* Installs GSL's "return the status" error handler once per process (GSL's default aborts,
 * and the library must never abort on a numeric failure). */
void rn_btyd_gsl_quiet(void);

#endif
