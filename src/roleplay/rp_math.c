/* Incomplete gamma and the chi-square test (for the persona sampler's frequency check and
 * anyone who needs a goodness-of-fit p-value). */
#include "roleplay/rp_math.h"

#include <math.h>

static double gamma_series(double a, double x)
{
    double ap = a, sum = 1.0 / a, del = sum;
    for (int n = 0; n < 10000; n++) {
        ap += 1;
        del *= x / ap;
        sum += del;
        if (fabs(del) < fabs(sum) * 1e-15) break;
    }
    return sum * exp(-x + a * log(x) - lgamma(a));
}

/* Q(a, x) by Lentz's continued fraction */
static double gamma_cf(double a, double x)
{
    const double tiny = 1e-300;
    double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
    for (int i = 1; i < 10000; i++) {
        double an = -i * (i - a);
        b += 2;
        d = an * d + b;
        if (fabs(d) < tiny) d = tiny;
        c = b + an / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-15) break;
    }
    return exp(-x + a * log(x) - lgamma(a)) * h;
}

double rp_gamma_p(double a, double x)
{
    if (!(a > 0) || !(x >= 0)) return NAN;
    if (x == 0) return 0;
    if (x < a + 1) return gamma_series(a, x);
    return 1 - gamma_cf(a, x);
}

double rp_chisq_sf(double x, double df)
{
    if (!(df > 0) || isnan(x)) return NAN;
    if (x <= 0) return 1;
    double a = df / 2, h = x / 2;
    /* the complement is computed directly where it is small, so tiny p-values keep digits */
    if (h < a + 1) return 1 - gamma_series(a, h);
    return gamma_cf(a, h);
}

double rp_chisq_gof(const double *counts, const double *probs, size_t k, double *out_p)
{
    double n = 0, ptot = 0, chi = 0;
    for (size_t i = 0; i < k; i++)
        n += counts[i], ptot += probs[i];
    for (size_t i = 0; i < k; i++) {
        double e = n * probs[i] / ptot;
        if (e > 0)
            chi += (counts[i] - e) * (counts[i] - e) / e;
        else if (counts[i] > 0)
            chi = INFINITY;
    }
    if (out_p) *out_p = k > 1 ? rp_chisq_sf(chi, (double)(k - 1)) : NAN;
    return chi;
}
