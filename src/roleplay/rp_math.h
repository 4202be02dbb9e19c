/* Small numeric helpers of the role-play, dilemma and utility modules that the shared
 * statistics (src/stats/stats.h) do not offer. */
#ifndef VSC_RP_MATH_H
#define VSC_RP_MATH_H

#include <stddef.h>

/* Regularised lower incomplete gamma P(a, x) (series for x < a + 1, continued fraction
 * otherwise, Numerical Recipes 6.2); NAN for a <= 0 or x < 0. */
double rp_gamma_p(double a, double x);

/* Upper tail of the chi-square distribution with `df` degrees of freedom: P(X >= x). */
double rp_chisq_sf(double x, double df);

/* Pearson's chi-square goodness-of-fit statistic of observed counts against probabilities
 * (normalised here); the p-value with k - 1 degrees of freedom goes to `out_p` (may be NULL).
 * Cells with probability 0 must have count 0 (else the statistic is INFINITY). */
double rp_chisq_gof(const double *counts, const double *probs, size_t k, double *out_p);

#endif
