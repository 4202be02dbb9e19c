/* Statistics shared by the scorers, the stages and the comparison.
 *
 * Pure functions on caller-owned arrays. Nothing here prints, and nothing allocates except
 * where a comment says so (then a failed allocation gives NAN, never a crash). Undefined
 * results (too few values, zero variance) are NAN, so callers can pass them through to the
 * "null" of the JSON output without special cases. */
#ifndef VSC_STATS_H
#define VSC_STATS_H

#include <stddef.h>
#include <stdint.h>

struct rng;

/* ---- descriptive ------------------------------------------------------------------------ */

double st_mean(const double *x, size_t n); /* NAN when n == 0 */
double st_sd(const double *x, size_t n);   /* sample SD (n - 1); NAN when n < 2 */
double st_var(const double *x, size_t n);  /* sample variance (n - 1) */
double st_pvar(const double *x, size_t n); /* population variance (n); NAN when n == 0 */

/* Pearson r; NAN when n < 2 or either variable is constant. */
double st_pearson(const double *x, const double *y, size_t n);

/* Ranks 1..n into `out_rank`, ties get the average of their ranks. `work` holds n indices. */
void st_rank(double *out_rank, const double *x, size_t n, size_t *work);

/* Spearman rho = Pearson r of the average ranks. Allocates 2n doubles and n indices. */
double st_spearman(const double *x, const double *y, size_t n);

/* The p-th quantile (0..1) of sorted data, linear interpolation between order statistics
 * (type 7, the default of R and numpy). */
double st_quantile_sorted(const double *sorted, size_t n, double p);

/* ---- reliability ------------------------------------------------------------------------ */

/* Cronbach's alpha of a k x n matrix (row i = item i, column j = respondent j, row-major, NAN
 * = missing). Respondents with any missing item are dropped (complete-case / listwise), so
 * every variance comes from the same people. NAN when k < 2, fewer than 2 complete
 * respondents remain, or the total score has no variance. Allocates n flags. */
double st_cronbach_alpha(const double *x, size_t k, size_t n);

/* Cronbach's alpha from a k x k item covariance matrix: k/(k-1) (1 - trace / sum). */
double st_alpha_from_cov(const double *cov, size_t k);

/* McDonald's omega total from a one-factor model of the same complete-case k x n matrix:
 * the item correlation matrix is factored by iterated principal axis (communalities start at
 * the squared multiple correlations and are refined until they change by < 1e-9; at that
 * fixed point the loadings are the unweighted least squares = minres solution), then
 * omega = (sum l)^2 / ((sum l)^2 + sum(1 - l^2)). Communalities are capped at 1 (Heywood
 * cases). NAN when k < 3 or when there are not more complete respondents than items (the
 * correlation matrix is then rank-deficient and the factor not identified). Allocates
 * O(k^2). */
double st_omega_total(const double *x, size_t k, size_t n);

/* The same from a k x k correlation matrix; `out_loadings` (may be NULL) gets k loadings. */
double st_omega_from_corr(const double *corr, size_t k, double *out_loadings);

/* ---- distributions ---------------------------------------------------------------------- */

double st_norm_cdf(double z);
double st_norm_quantile(double p); /* inverse of st_norm_cdf; NAN outside (0, 1) */

/* Regularized incomplete beta I_x(a, b), continued fraction (Lentz). */
double st_betainc(double a, double b, double x);

/* Student-t CDF with `df` (> 0, need not be an integer) degrees of freedom. */
double st_t_cdf(double t, double df);

/* ---- tests and effect sizes ------------------------------------------------------------- */

struct st_ttest {
    double t, df, p; /* p is two-sided */
};

/* Welch's unequal-variance t-test from summary statistics (sample SDs). Fields are NAN when
 * either n < 2 or both SDs are 0. */
struct st_ttest st_welch(double mean1, double sd1, double n1, double mean2, double sd2, double n2);

/* Cohen's d with the pooled SD of two groups; NAN when the pooled SD is 0 or n1 + n2 < 3. */
double st_cohen_d(double mean1, double sd1, double n1, double mean2, double sd2, double n2);

/* ---- information ------------------------------------------------------------------------ */

/* Shannon entropy in bits of a distribution p[0..n) (normalised here; zeros contribute 0).
 * NAN when the sum is not positive or an entry is negative. */
double st_entropy_bits(const double *p, size_t n);

/* Jensen-Shannon divergence in bits (0..1) of two distributions, each normalised here. */
double st_jsd(const double *p, const double *q, size_t n);

/* Generalised JSD in bits of m distributions (row-major m x n) with weights w (NULL = equal):
 * H(sum w_i p_i) - sum w_i H(p_i). Allocates n doubles. */
double st_jsd_multi(const double *p, size_t m, size_t n, const double *w);

/* ---- bootstrap -------------------------------------------------------------------------- */

/* Percentile bootstrap CI of a ratio of sums: each resample draws n units with replacement
 * and computes sum(num) / sum(den) over them (den = counts gives the pooled mean of the
 * units' answers). `level` is e.g. 0.95. Resamples whose denominator is 0 are skipped.
 * `work` holds n_boot doubles. Deterministic given the rng state. Returns the number of
 * usable resamples; lo/hi are NAN when there are none. */
size_t st_bootstrap_ratio_ci(double *out_lo, double *out_hi, const double *num, const double *den,
                             size_t n, size_t n_boot, double level, struct rng *rng, double *work);

/* Percentile bootstrap CI of the mean of x (a ratio with den = 1). */
size_t st_bootstrap_mean_ci(double *out_lo, double *out_hi, const double *x, size_t n,
                            size_t n_boot, double level, struct rng *rng, double *work);

#endif
