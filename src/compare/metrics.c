/* Alignment metrics between a model's profile and a target profile (docs/targets.md gives
 * the formulas) and Holm's correction. */
#include <math.h>
#include <stdlib.h>

#include "stats/stats.h"
#include "valscope/compare.h"

const char *vsc_align_metric_name(int metric)
{
    static const char *const names[VSC_ALIGN_N] = {"compass", "spearman", "cosine", "l1", "l2"};
    return metric >= 0 && metric < VSC_ALIGN_N ? names[metric] : NULL;
}

/* Weighted mean and population SD over dimensions. */
static void wstats(double *out_mean, double *out_sd, const double *x, const double *w, size_t n)
{
    double sw = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        sw += w[i];
        s += w[i] * x[i];
    }
    double mean = s / sw, ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += w[i] * (x[i] - mean) * (x[i] - mean);
    *out_mean = mean;
    *out_sd = sqrt(ss / sw);
}

void vsc_align_metrics(double out[VSC_ALIGN_N], const double *m, const double *t,
                       const double *weights, size_t n_dims)
{
    for (int k = 0; k < VSC_ALIGN_N; k++)
        out[k] = NAN;
    if (n_dims < 2) return;
    double *w = malloc(n_dims * sizeof(*w));
    double *mm = malloc(n_dims * sizeof(*mm));
    double *tt = malloc(n_dims * sizeof(*tt));
    if (!w || !mm || !tt) goto done;
    size_t k = 0; /* dimensions with a positive weight */
    double sw = 0;
    for (size_t i = 0; i < n_dims; i++) {
        double wi = weights ? weights[i] : 1.0;
        if (!(wi > 0)) continue;
        w[k] = wi;
        mm[k] = m[i];
        tt[k] = t[i];
        sw += wi;
        k++;
    }
    if (k < 2) goto done;

    double num = 0, den = 0, mt = 0, m2 = 0, t2 = 0;
    for (size_t i = 0; i < k; i++) {
        num += w[i] * tt[i] * mm[i];
        den += w[i] * fabs(tt[i]);
        mt += w[i] * mm[i] * tt[i];
        m2 += w[i] * mm[i] * mm[i];
        t2 += w[i] * tt[i] * tt[i];
    }
    if (den > 0) out[VSC_ALIGN_COMPASS] = num / den;
    if (m2 > 0 && t2 > 0) out[VSC_ALIGN_COSINE] = mt / sqrt(m2 * t2);
    out[VSC_ALIGN_SPEARMAN] = st_spearman(mm, tt, k);

    /* Distances on profiles standardised over dimensions, so scale and centring of the
     * instrument do not matter; only the shape of the profile does. */
    double am, asd, bm, bsd;
    wstats(&am, &asd, mm, w, k);
    wstats(&bm, &bsd, tt, w, k);
    if (asd > 0 && bsd > 0) {
        double l1 = 0, l2 = 0;
        for (size_t i = 0; i < k; i++) {
            double d = (mm[i] - am) / asd - (tt[i] - bm) / bsd;
            l1 += w[i] * fabs(d);
            l2 += w[i] * d * d;
        }
        out[VSC_ALIGN_L1] = l1 / sw;
        out[VSC_ALIGN_L2] = sqrt(l2 / sw);
    }
done:
    free(w);
    free(mm);
    free(tt);
}

int vsc_holm(double *out_adj, const double *p, size_t n)
{
    size_t *idx = malloc((n ? n : 1) * sizeof(*idx));
    if (!idx) return VSC_ERR_NOMEM;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        out_adj[i] = NAN;
        if (!isnan(p[i])) idx[m++] = i;
    }
    /* Insertion sort by p: families are a few dozen tests, and qsort has no payload argument
     * to carry `p` without global state. */
    for (size_t j = 1; j < m; j++) {
        size_t v = idx[j], i = j;
        while (i > 0 && p[idx[i - 1]] > p[v]) {
            idx[i] = idx[i - 1];
            i--;
        }
        idx[i] = v;
    }
    double running = 0;
    for (size_t j = 0; j < m; j++) {
        double a = (double)(m - j) * p[idx[j]];
        if (a > 1) a = 1;
        if (a > running) running = a;
        out_adj[idx[j]] = running;
    }
    free(idx);
    return 0;
}
