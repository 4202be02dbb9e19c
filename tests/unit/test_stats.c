/* Statistics of the scorer against hand-computed and textbook values.
 *
 * Reference values marked "python" were computed with Python 3.11's `statistics` module and
 * plain formulas written out independently of this code (Simpson integration of the t density
 * for t-distribution probabilities); the commands are in docs/scoring.md. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "stats/stats.h"
#include "support/testutil.h"
#include "util/util.h"

static void test_descriptive(void **state)
{
    (void)state;
    const double x[] = {2, 4, 4, 4, 5, 5, 7, 9};
    assert_near(st_mean(x, 8), 5.0, 1e-12);
    assert_near(st_pvar(x, 8), 4.0, 1e-12); /* the textbook population SD 2 */
    assert_near(st_var(x, 8), 32.0 / 7.0, 1e-12);
    assert_near(st_sd(x, 8), sqrt(32.0 / 7.0), 1e-12);
    assert_nan(st_mean(x, 0));
    assert_nan(st_sd(x, 1));
    assert_near(st_pvar(x, 1), 0.0, 1e-12);
    /* large offsets must not cancel (two-pass variance) */
    const double big[] = {1e9 + 1, 1e9 + 2, 1e9 + 3};
    assert_near(st_var(big, 3), 1.0, 1e-6);
}

static void test_correlations(void **state)
{
    (void)state;
    const double x[] = {1, 2, 2, 3, 4, 4, 4, 5};
    const double y[] = {2, 1, 3, 3, 5, 4, 6, 7};
    assert_near(st_pearson(x, y, 8), 0.888169724066505, 1e-12);  /* python */
    assert_near(st_spearman(x, y, 8), 0.920033584470318, 1e-12); /* python, average ranks */
    double r[8];
    size_t work[8];
    st_rank(r, x, 8, work);
    const double want[] = {1, 2.5, 2.5, 4, 6, 6, 6, 8};
    for (int i = 0; i < 8; i++)
        assert_near(r[i], want[i], 1e-12);
    /* perfect and constant */
    const double z[] = {3, 6, 9, 12};
    const double c[] = {1, 1, 1, 1};
    assert_near(st_pearson(z, z, 4), 1.0, 1e-12);
    assert_near(st_spearman(z, (const double[]){4, 3, 2, 1}, 4), -1.0, 1e-12);
    assert_nan(st_pearson(z, c, 4));
    assert_nan(st_pearson(z, z, 1));
}

static void test_quantile(void **state)
{
    (void)state;
    const double s[] = {1, 2, 3, 4, 5};
    assert_near(st_quantile_sorted(s, 5, 0.5), 3.0, 1e-12);
    assert_near(st_quantile_sorted(s, 5, 0.1), 1.4, 1e-12); /* numpy default: 1 + 0.4 */
    assert_near(st_quantile_sorted(s, 5, 1.0), 5.0, 1e-12);
    assert_nan(st_quantile_sorted(s, 0, 0.5));
}

static void test_alpha(void **state)
{
    (void)state;
    /* 4 items x 6 respondents; alpha = k/(k-1) (1 - sum var_i / var_total) = 0.91498...
     * (python: statistics.variance over the rows and over the column totals) */
    const double x[] = {3, 4, 3, 2, 5, 4, /**/ 2, 4, 4, 1, 5, 3,
                        3, 5, 4, 2, 4, 4, /**/ 4, 4, 3, 2, 5, 5};
    assert_near(st_cronbach_alpha(x, 4, 6), 0.9149847094801223, 1e-12);

    /* complete-case: a seventh respondent with a missing item changes nothing */
    double y[28];
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 6; j++)
            y[i * 7 + j] = x[i * 6 + j];
        y[i * 7 + 6] = i == 2 ? NAN : 1.0;
    }
    assert_near(st_cronbach_alpha(y, 4, 7), 0.9149847094801223, 1e-12);
    assert_nan(st_cronbach_alpha(x, 1, 6));
    const double flat[] = {1, 1, 1, 1, 1, 1};
    assert_nan(st_cronbach_alpha(flat, 2, 3));
}

static void test_omega(void **state)
{
    (void)state;
    /* An exact one-factor correlation matrix r_ij = l_i l_j: principal axis must recover the
     * loadings, and omega = 2.6^2 / (2.6^2 + 2.26) = 0.74944... */
    const double l[] = {0.8, 0.7, 0.6, 0.5};
    double r[16], got[4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            r[i * 4 + j] = i == j ? 1 : l[i] * l[j];
    assert_near(st_omega_from_corr(r, 4, got), 0.7494456762749446, 1e-6);
    for (int i = 0; i < 4; i++)
        assert_near(got[i], l[i], 1e-5);

    /* tau-equivalent items with equal variances: omega equals alpha. Data: a common factor
     * plus independent noise of equal size per item, generated with the seeded rng. */
    struct rng g;
    rng_seed(&g, 42);
    enum { K = 5, N = 4000 };
    static double x[K * N];
    for (int j = 0; j < N; j++) {
        double f = rng_normal(&g);
        for (int i = 0; i < K; i++)
            x[i * N + j] = f + rng_normal(&g);
    }
    double a = st_cronbach_alpha(x, K, N), o = st_omega_total(x, K, N);
    /* population value for loadings 1/sqrt(2): 5 * 0.5 / (1 + 4 * 0.5) = 0.8333 */
    assert_near(a, 5.0 / 6.0, 0.02);
    assert_near(o, a, 0.005);

    assert_nan(st_omega_total(x, 2, N)); /* fewer than 3 items */
    assert_nan(st_omega_total(x, 5, 5)); /* no more respondents than items: not identified */
    assert_false(isnan(st_omega_total(x, 5, 6)));
}

static void test_distributions(void **state)
{
    (void)state;
    assert_near(st_norm_cdf(0), 0.5, 1e-15);
    assert_near(st_norm_cdf(-1.3), 0.09680048458561036, 1e-14);      /* python NormalDist */
    assert_near(st_norm_quantile(0.975), 1.9599639845400536, 1e-12); /* python NormalDist */
    assert_near(st_norm_quantile(1e-10), -6.361340902404056, 1e-9);  /* python NormalDist */
    assert_near(st_norm_quantile(0.5), 0.0, 1e-15);
    assert_nan(st_norm_quantile(0));
    assert_nan(st_norm_quantile(1.5));

    /* closed forms: df = 1 is Cauchy, df = 2 has cdf 1/2 + t / (2 sqrt(2 + t^2)) */
    assert_near(st_t_cdf(1.7, 1), 0.5 + atan(1.7) / M_PI, 1e-12);
    assert_near(st_t_cdf(-0.4, 2), 0.5 - 0.4 / (2 * sqrt(2.16)), 1e-12);
    /* textbook critical values: t(0.975; 10) = 2.228138852, t(0.995; 30) = 2.749995654 */
    assert_near(st_t_cdf(2.228138852, 10), 0.975, 1e-9);
    assert_near(st_t_cdf(2.749995654, 30), 0.995, 1e-9);
    /* python, Simpson integration of the density */
    assert_near(st_t_cdf(2.0, 5), 0.9490302605850673, 1e-10);
    assert_near(st_t_cdf(1.5, 3.7), 0.8932009153989899, 1e-10);
    assert_near(st_t_cdf(-0.7, 12), 0.24863707689535275, 1e-10);
    /* I_x(a, 1) = x^a and I_x(1, b) = 1 - (1 - x)^b */
    assert_near(st_betainc(2.5, 1, 0.3), pow(0.3, 2.5), 1e-13);
    assert_near(st_betainc(1, 3.5, 0.8), 1 - pow(0.2, 3.5), 1e-13);
}

static void test_welch(void **state)
{
    (void)state;
    /* Wikipedia "Welch's t-test", example 1 (A1 vs A2, 15 values each): t = -2.46,
     * df = 24.99, p = 0.021. Summary statistics and the exact values: python. */
    struct st_ttest r =
        st_welch(20.82, 2.804893682731767, 15, 22.986666666666668, 1.952605097470215, 15);
    assert_near(r.t, -2.455356398286006, 1e-9);
    assert_near(r.df, 24.98852929023142, 1e-9);
    assert_near(r.p, 0.02137800146286184, 1e-8);
    struct st_ttest bad = st_welch(1, 0, 10, 1, 0, 10);
    assert_nan(bad.t);
    bad = st_welch(1, 1, 1, 2, 1, 10);
    assert_nan(bad.p);

    assert_near(st_cohen_d(20.82, 2.804893682731767, 15, 22.986666666666668, 1.952605097470215, 15),
                -0.8965693907039229, 1e-9); /* python */
    assert_near(st_cohen_d(1, 1, 10, 0, 1, 10), 1.0, 1e-12);
}

static void test_information(void **state)
{
    (void)state;
    const double p[] = {0.5, 0.25, 0.25}, q[] = {0.1, 0.1, 0.8};
    assert_near(st_entropy_bits(p, 3), 1.5, 1e-12);
    assert_near(st_entropy_bits((const double[]){2, 1, 1}, 3), 1.5, 1e-12); /* normalised */
    assert_near(st_entropy_bits((const double[]){1, 0, 0, 0}, 4), 0.0, 1e-12);
    assert_nan(st_entropy_bits((const double[]){0, 0}, 2));
    assert_nan(st_entropy_bits((const double[]){1, -1}, 2));
    assert_near(st_jsd(p, q, 3), 0.23822153890840458, 1e-12); /* python */
    assert_near(st_jsd(p, p, 3), 0.0, 1e-12);
    assert_near(st_jsd((const double[]){1, 0}, (const double[]){0, 1}, 2), 1.0, 1e-12);
    double pq[6] = {0.5, 0.25, 0.25, 0.1, 0.1, 0.8};
    assert_near(st_jsd_multi(pq, 2, 3, NULL), 0.23822153890840458, 1e-12);
    /* weights: all on one distribution gives 0 */
    assert_near(st_jsd_multi(pq, 2, 3, (const double[]){1, 0}), 0.0, 1e-12);
}

static void test_bootstrap(void **state)
{
    (void)state;
    struct rng g;
    double x[200], work[2000], lo, hi, lo2, hi2;
    rng_seed(&g, 7);
    for (int i = 0; i < 200; i++)
        x[i] = 10 + 2 * rng_normal(&g);
    double m = st_mean(x, 200), se = st_sd(x, 200) / sqrt(200.0);
    rng_seed(&g, 1);
    assert_int_equal(st_bootstrap_mean_ci(&lo, &hi, x, 200, 2000, 0.95, &g, work), 2000);
    /* the percentile interval of a mean approximates mean +- 1.96 SE */
    assert_near(lo, m - 1.96 * se, 0.05);
    assert_near(hi, m + 1.96 * se, 0.05);
    assert_true(lo < m && m < hi);
    /* same seed, same interval */
    rng_seed(&g, 1);
    st_bootstrap_mean_ci(&lo2, &hi2, x, 200, 2000, 0.95, &g, work);
    assert_near(lo2, lo, 1e-15);
    assert_near(hi2, hi, 1e-15);

    /* ratio of sums: units with (sum, count); a constant per-answer value gives a point CI */
    const double num[] = {6, 9, 3}, den[] = {2, 3, 1};
    rng_seed(&g, 3);
    st_bootstrap_ratio_ci(&lo, &hi, num, den, 3, 500, 0.95, &g, work);
    assert_near(lo, 3.0, 1e-12);
    assert_near(hi, 3.0, 1e-12);
    assert_int_equal(st_bootstrap_mean_ci(&lo, &hi, x, 0, 10, 0.95, &g, work), 0);
    assert_nan(lo);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptive), cmocka_unit_test(test_correlations),
        cmocka_unit_test(test_quantile),    cmocka_unit_test(test_alpha),
        cmocka_unit_test(test_omega),       cmocka_unit_test(test_distributions),
        cmocka_unit_test(test_welch),       cmocka_unit_test(test_information),
        cmocka_unit_test(test_bootstrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
