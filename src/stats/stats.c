/* Shared statistics (scorers, stages, compare): see stats.h for the contract of each function. */
#include "stats/stats.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* ---- descriptive ------------------------------------------------------------------------ */

double st_mean(const double *x, size_t n)
{
    if (n == 0) return NAN;
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    return s / (double)n;
}

/* Sum of squared deviations, two-pass so large offsets do not cancel. */
static double ssd(const double *x, size_t n)
{
    double m = st_mean(x, n), s = 0;
    for (size_t i = 0; i < n; i++)
        s += (x[i] - m) * (x[i] - m);
    return s;
}

double st_var(const double *x, size_t n)
{
    return n < 2 ? NAN : ssd(x, n) / (double)(n - 1);
}

double st_sd(const double *x, size_t n)
{
    return sqrt(st_var(x, n));
}

double st_pvar(const double *x, size_t n)
{
    return n == 0 ? NAN : ssd(x, n) / (double)n;
}

double st_pearson(const double *x, const double *y, size_t n)
{
    if (n < 2) return NAN;
    double mx = st_mean(x, n), my = st_mean(y, n);
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        double dx = x[i] - mx, dy = y[i] - my;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if (sxx <= 0 || syy <= 0) return NAN;
    double r = sxy / sqrt(sxx * syy);
    /* rounding can push a perfect correlation a hair past 1 */
    return r > 1 ? 1 : r < -1 ? -1 : r;
}

static const double *rank_keys; /* qsort has no payload argument; only used inside st_rank */

static int cmp_idx(const void *a, const void *b)
{
    double x = rank_keys[*(const size_t *)a], y = rank_keys[*(const size_t *)b];
    if (x < y) return -1;
    if (x > y) return 1;
    /* equal keys: order by index so the sort is deterministic */
    return (*(const size_t *)a > *(const size_t *)b) - (*(const size_t *)a < *(const size_t *)b);
}

void st_rank(double *out_rank, const double *x, size_t n, size_t *work)
{
    for (size_t i = 0; i < n; i++)
        work[i] = i;
    rank_keys = x;
    if (n) qsort(work, n, sizeof *work, cmp_idx);
    rank_keys = NULL;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && x[work[j]] == x[work[i]])
            j++;
        /* positions i..j-1 (0-based) share ranks i+1..j: their average */
        double r = ((double)(i + 1) + (double)j) / 2.0;
        for (size_t t = i; t < j; t++)
            out_rank[work[t]] = r;
        i = j;
    }
}

double st_spearman(const double *x, const double *y, size_t n)
{
    if (n < 2) return NAN;
    double *rx = malloc(2 * n * sizeof *rx);
    size_t *work = malloc(n * sizeof *work);
    double r = NAN;
    if (!rx || !work) goto fail;
    st_rank(rx, x, n, work);
    st_rank(rx + n, y, n, work);
    r = st_pearson(rx, rx + n, n);
fail:
    free(rx);
    free(work);
    return r;
}

double st_quantile_sorted(const double *sorted, size_t n, double p)
{
    if (n == 0 || !(p >= 0 && p <= 1)) return NAN;
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)floor(h);
    if (lo >= n - 1) return sorted[n - 1];
    return sorted[lo] + (h - (double)lo) * (sorted[lo + 1] - sorted[lo]);
}

/* ---- reliability ------------------------------------------------------------------------ */

/* Marks the columns (respondents) with every item present; returns how many. */
static size_t complete_cases(unsigned char *keep, const double *x, size_t k, size_t n)
{
    size_t m = 0;
    for (size_t j = 0; j < n; j++) {
        keep[j] = 1;
        for (size_t i = 0; i < k; i++)
            if (!isfinite(x[i * n + j])) {
                keep[j] = 0;
                break;
            }
        m += keep[j];
    }
    return m;
}

double st_cronbach_alpha(const double *x, size_t k, size_t n)
{
    if (k < 2 || n < 2) return NAN;
    unsigned char *keep = malloc(n);
    double alpha = NAN;
    if (!keep) return NAN;
    size_t m = complete_cases(keep, x, k, n);
    if (m < 2) goto fail;
    /* sum of item variances and variance of the total, over the complete cases */
    double sum_var = 0;
    for (size_t i = 0; i < k; i++) {
        double s = 0, ss = 0;
        for (size_t j = 0; j < n; j++)
            if (keep[j]) s += x[i * n + j];
        double mu = s / (double)m;
        for (size_t j = 0; j < n; j++)
            if (keep[j]) ss += (x[i * n + j] - mu) * (x[i * n + j] - mu);
        sum_var += ss / (double)(m - 1);
    }
    double st = 0, sst = 0;
    for (size_t j = 0; j < n; j++) {
        if (!keep[j]) continue;
        double t = 0;
        for (size_t i = 0; i < k; i++)
            t += x[i * n + j];
        st += t;
    }
    double mt = st / (double)m;
    for (size_t j = 0; j < n; j++) {
        if (!keep[j]) continue;
        double t = 0;
        for (size_t i = 0; i < k; i++)
            t += x[i * n + j];
        sst += (t - mt) * (t - mt);
    }
    double var_total = sst / (double)(m - 1);
    if (var_total <= 0) goto fail;
    alpha = (double)k / (double)(k - 1) * (1.0 - sum_var / var_total);
fail:
    free(keep);
    return alpha;
}

double st_alpha_from_cov(const double *cov, size_t k)
{
    if (k < 2) return NAN;
    double tr = 0, all = 0;
    for (size_t i = 0; i < k; i++) {
        tr += cov[i * k + i];
        for (size_t j = 0; j < k; j++)
            all += cov[i * k + j];
    }
    if (!(all > 0)) return NAN;
    return (double)k / (double)(k - 1) * (1.0 - tr / all);
}

/* Eigen-decomposition of a symmetric k x k matrix by cyclic Jacobi rotations. `a` is
 * destroyed (its diagonal ends up holding the eigenvalues); `v` gets the eigenvectors as
 * columns. Item counts per scale are small, so O(k^3) per sweep is cheap and Jacobi is
 * robust for the indefinite reduced correlation matrices of factor analysis. */
static void jacobi_eigen(double *a, double *v, size_t k)
{
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++)
            v[i * k + j] = i == j;
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0;
        for (size_t p = 0; p < k; p++)
            for (size_t q = p + 1; q < k; q++)
                off += a[p * k + q] * a[p * k + q];
        if (off < 1e-30) break;
        for (size_t p = 0; p < k; p++)
            for (size_t q = p + 1; q < k; q++) {
                double apq = a[p * k + q];
                if (fabs(apq) < 1e-300) continue;
                double theta = (a[q * k + q] - a[p * k + p]) / (2 * apq);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (size_t r = 0; r < k; r++) { /* columns p, q */
                    double arp = a[r * k + p], arq = a[r * k + q];
                    a[r * k + p] = c * arp - s * arq;
                    a[r * k + q] = s * arp + c * arq;
                }
                for (size_t r = 0; r < k; r++) { /* rows p, q */
                    double apr = a[p * k + r], aqr = a[q * k + r];
                    a[p * k + r] = c * apr - s * aqr;
                    a[q * k + r] = s * apr + c * aqr;
                }
                for (size_t r = 0; r < k; r++) {
                    double vrp = v[r * k + p], vrq = v[r * k + q];
                    v[r * k + p] = c * vrp - s * vrq;
                    v[r * k + q] = s * vrp + c * vrq;
                }
            }
    }
}

/* Inverts a k x k matrix in place (Gauss-Jordan, partial pivoting); -1 when singular. */
static int invert(double *a, size_t k, double *work)
{
    double *inv = work;
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++)
            inv[i * k + j] = i == j;
    for (size_t c = 0; c < k; c++) {
        size_t piv = c;
        for (size_t r = c + 1; r < k; r++)
            if (fabs(a[r * k + c]) > fabs(a[piv * k + c])) piv = r;
        if (fabs(a[piv * k + c]) < 1e-12) return -1;
        if (piv != c)
            for (size_t j = 0; j < k; j++) {
                double t = a[c * k + j];
                a[c * k + j] = a[piv * k + j];
                a[piv * k + j] = t;
                t = inv[c * k + j];
                inv[c * k + j] = inv[piv * k + j];
                inv[piv * k + j] = t;
            }
        double d = a[c * k + c];
        for (size_t j = 0; j < k; j++) {
            a[c * k + j] /= d;
            inv[c * k + j] /= d;
        }
        for (size_t r = 0; r < k; r++) {
            if (r == c) continue;
            double f = a[r * k + c];
            if (f == 0) continue;
            for (size_t j = 0; j < k; j++) {
                a[r * k + j] -= f * a[c * k + j];
                inv[r * k + j] -= f * inv[c * k + j];
            }
        }
    }
    memcpy(a, inv, k * k * sizeof *a);
    return 0;
}

double st_omega_from_corr(const double *corr, size_t k, double *out_loadings)
{
    if (k < 3) return NAN;
    for (size_t i = 0; i < k * k; i++)
        if (!isfinite(corr[i])) return NAN;
    double *m = malloc(4 * k * k * sizeof *m + 2 * k * sizeof *m);
    if (!m) return NAN;
    double *a = m, *v = a + k * k, *w = v + k * k, *h = w + 2 * k * k, *l = h + k;
    double omega = NAN;

    /* starting communalities: squared multiple correlations, or the largest absolute
     * correlation of each item when the matrix is singular */
    memcpy(a, corr, k * k * sizeof *a);
    if (invert(a, k, w) == 0) {
        for (size_t i = 0; i < k; i++)
            h[i] = a[i * k + i] > 0 ? 1 - 1 / a[i * k + i] : 0;
    } else {
        for (size_t i = 0; i < k; i++) {
            h[i] = 0;
            for (size_t j = 0; j < k; j++)
                if (j != i && fabs(corr[i * k + j]) > h[i]) h[i] = fabs(corr[i * k + j]);
        }
    }
    for (int it = 0; it < 1000; it++) {
        memcpy(a, corr, k * k * sizeof *a);
        for (size_t i = 0; i < k; i++)
            a[i * k + i] = h[i];
        jacobi_eigen(a, v, k);
        size_t top = 0;
        for (size_t i = 1; i < k; i++)
            if (a[i * k + i] > a[top * k + top]) top = i;
        double ev = a[top * k + top] > 0 ? a[top * k + top] : 0, sum = 0;
        for (size_t i = 0; i < k; i++) {
            l[i] = sqrt(ev) * v[i * k + top];
            sum += l[i];
        }
        if (sum < 0) /* an eigenvector's sign is arbitrary: make the factor point up */
            for (size_t i = 0; i < k; i++)
                l[i] = -l[i];
        double change = 0;
        for (size_t i = 0; i < k; i++) {
            double hn = l[i] * l[i];
            if (hn > 1) hn = 1; /* Heywood case: a communality cannot pass 1 */
            change = fmax(change, fabs(hn - h[i]));
            h[i] = hn;
        }
        if (change < 1e-9) break;
    }
    double sl = 0, su = 0;
    for (size_t i = 0; i < k; i++) {
        double li = fmin(fmax(l[i], -1.0), 1.0);
        sl += li;
        su += 1 - li * li;
        if (out_loadings) out_loadings[i] = li;
    }
    if (sl * sl + su > 0) omega = sl * sl / (sl * sl + su);
    free(m);
    return omega;
}

double st_omega_total(const double *x, size_t k, size_t n)
{
    if (k < 3 || n < 3) return NAN;
    unsigned char *keep = malloc(n);
    double *c = malloc((k * k + k) * sizeof *c);
    double omega = NAN;
    if (!keep || !c) goto fail;
    size_t m = complete_cases(keep, x, k, n);
    if (m < 3 || m <= k) goto fail;
    double *mu = c + k * k;
    for (size_t i = 0; i < k; i++) {
        double s = 0;
        for (size_t j = 0; j < n; j++)
            if (keep[j]) s += x[i * n + j];
        mu[i] = s / (double)m;
    }
    for (size_t i = 0; i < k; i++)
        for (size_t p = i; p < k; p++) {
            double s = 0;
            for (size_t j = 0; j < n; j++)
                if (keep[j]) s += (x[i * n + j] - mu[i]) * (x[p * n + j] - mu[p]);
            c[i * k + p] = c[p * k + i] = s;
        }
    for (size_t i = 0; i < k; i++)
        if (!(c[i * k + i] > 0)) goto fail; /* a constant item has no correlation */
    for (size_t i = 0; i < k; i++)
        for (size_t p = 0; p < k; p++)
            if (p != i) c[i * k + p] /= sqrt(c[i * k + i] * c[p * k + p]);
    for (size_t i = 0; i < k; i++)
        c[i * k + i] = 1;
    omega = st_omega_from_corr(c, k, NULL);
fail:
    free(keep);
    free(c);
    return omega;
}

/* ---- distributions ---------------------------------------------------------------------- */

double st_norm_cdf(double z)
{
    return 0.5 * erfc(-z / sqrt(2.0));
}

double st_norm_quantile(double p)
{
    if (!(p > 0 && p < 1)) return NAN;
    /* Acklam's rational approximation (relative error 1.15e-9) ... */
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    double x, q, r;
    if (p < 0.02425) {
        q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p > 1 - 0.02425) {
        q = sqrt(-2 * log(1 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else {
        q = p - 0.5;
        r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
    /* ... refined by one Halley step on erfc to full double precision */
    double e = st_norm_cdf(x) - p;
    double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

/* Continued fraction of the incomplete beta (modified Lentz). */
static double betacf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double qab = a + b, qap = a + 1, qam = a - 1;
    double c = 1, d = 1 - qab * x / qap;
    if (fabs(d) < tiny) d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 10000; m++) {
        int m2 = 2 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1 + aa * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1 + aa / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1 + aa * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1 + aa / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-15) break;
    }
    return h;
}

double st_betainc(double a, double b, double x)
{
    if (!(a > 0 && b > 0) || isnan(x)) return NAN;
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    double lfront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    /* the fraction converges fast only below the mean; use the symmetry above it */
    if (x < (a + 1) / (a + b + 2)) return exp(lfront) * betacf(a, b, x) / a;
    return 1 - exp(lfront) * betacf(b, a, 1 - x) / b;
}

double st_t_cdf(double t, double df)
{
    if (!(df > 0) || isnan(t)) return NAN;
    if (isinf(t)) return t > 0 ? 1 : 0;
    double tail = 0.5 * st_betainc(df / 2, 0.5, df / (df + t * t)); /* P(T > |t|) */
    return t > 0 ? 1 - tail : tail;
}

/* ---- tests and effect sizes ------------------------------------------------------------- */

struct st_ttest st_welch(double mean1, double sd1, double n1, double mean2, double sd2, double n2)
{
    struct st_ttest r = {NAN, NAN, NAN};
    if (!(n1 >= 2 && n2 >= 2) || !(sd1 >= 0 && sd2 >= 0)) return r;
    double v1 = sd1 * sd1 / n1, v2 = sd2 * sd2 / n2;
    if (!(v1 + v2 > 0)) return r;
    r.t = (mean1 - mean2) / sqrt(v1 + v2);
    r.df = (v1 + v2) * (v1 + v2) / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1));
    /* two-sided p = I_{df/(df+t^2)}(df/2, 1/2), computed directly so small p keep precision */
    r.p = st_betainc(r.df / 2, 0.5, r.df / (r.df + r.t * r.t));
    return r;
}

double st_cohen_d(double mean1, double sd1, double n1, double mean2, double sd2, double n2)
{
    if (!(n1 + n2 >= 3) || !(n1 >= 1 && n2 >= 1)) return NAN;
    double pooled = ((n1 - 1) * sd1 * sd1 + (n2 - 1) * sd2 * sd2) / (n1 + n2 - 2);
    if (!(pooled > 0)) return NAN;
    return (mean1 - mean2) / sqrt(pooled);
}

/* ---- information ------------------------------------------------------------------------ */

double st_entropy_bits(const double *p, size_t n)
{
    double s = 0, h = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(p[i] >= 0)) return NAN;
        s += p[i];
    }
    if (!(s > 0)) return NAN;
    for (size_t i = 0; i < n; i++)
        if (p[i] > 0) h -= p[i] / s * log2(p[i] / s);
    return h < 0 ? 0 : h;
}

double st_jsd(const double *p, const double *q, size_t n)
{
    double pq[2] = {0, 0};
    for (size_t i = 0; i < n; i++) {
        if (!(p[i] >= 0 && q[i] >= 0)) return NAN;
        pq[0] += p[i];
        pq[1] += q[i];
    }
    if (!(pq[0] > 0 && pq[1] > 0)) return NAN;
    /* sum over i of the mixture-relative terms; no temporary array needed for two inputs */
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        double a = p[i] / pq[0], b = q[i] / pq[1], m = (a + b) / 2;
        if (a > 0) d += 0.5 * a * log2(a / m);
        if (b > 0) d += 0.5 * b * log2(b / m);
    }
    return d < 0 ? 0 : d > 1 ? 1 : d;
}

double st_jsd_multi(const double *p, size_t m, size_t n, const double *w)
{
    if (m == 0 || n == 0) return NAN;
    double *mix = calloc(n, sizeof *mix);
    double res = NAN, wsum = 0, hsum = 0;
    if (!mix) return NAN;
    for (size_t r = 0; r < m; r++)
        wsum += w ? w[r] : 1.0;
    if (!(wsum > 0)) goto fail;
    for (size_t r = 0; r < m; r++) {
        const double *row = p + r * n;
        double s = 0, wr = (w ? w[r] : 1.0) / wsum;
        for (size_t i = 0; i < n; i++) {
            if (!(row[i] >= 0)) goto fail;
            s += row[i];
        }
        if (!(s > 0)) goto fail;
        for (size_t i = 0; i < n; i++)
            mix[i] += wr * row[i] / s;
        hsum += wr * st_entropy_bits(row, n);
    }
    res = st_entropy_bits(mix, n) - hsum;
    if (res < 0) res = 0; /* rounding */
fail:
    free(mix);
    return res;
}

/* ---- bootstrap -------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

size_t st_bootstrap_ratio_ci(double *out_lo, double *out_hi, const double *num, const double *den,
                             size_t n, size_t n_boot, double level, struct rng *rng, double *work)
{
    size_t used = 0;
    *out_lo = *out_hi = NAN;
    if (n == 0) return 0;
    for (size_t b = 0; b < n_boot; b++) {
        double sn = 0, sd = 0;
        for (size_t i = 0; i < n; i++) {
            size_t u = (size_t)rng_below(rng, n);
            sn += num[u];
            sd += den ? den[u] : 1.0;
        }
        if (sd != 0) work[used++] = sn / sd;
    }
    if (used == 0) return 0;
    qsort(work, used, sizeof *work, cmp_double);
    double a = (1 - level) / 2;
    *out_lo = st_quantile_sorted(work, used, a);
    *out_hi = st_quantile_sorted(work, used, 1 - a);
    return used;
}

size_t st_bootstrap_mean_ci(double *out_lo, double *out_hi, const double *x, size_t n,
                            size_t n_boot, double level, struct rng *rng, double *work)
{
    return st_bootstrap_ratio_ci(out_lo, out_hi, x, NULL, n, n_boot, level, rng, work);
}
