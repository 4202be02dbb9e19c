/* The Thurstonian model, pair selection and transitivity (docs/utility.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"
#include "util/util.h"
#include "valscope/utility.h"

double vsc_thurstone_prob(double mu_a, double sigma_a, double mu_b, double sigma_b)
{
    double s = sqrt(sigma_a * sigma_a + sigma_b * sigma_b);
    if (!(s > 0)) return mu_a > mu_b ? 1.0 : mu_a < mu_b ? 0.0 : 0.5;
    return st_norm_cdf((mu_a - mu_b) / s);
}

/* log Phi(z) and the inverse Mills ratio phi(z) / Phi(z), stable in both tails */
static void log_phi_mills(double z, double *log_cdf, double *mills)
{
    const double inv_sqrt2pi = 0.3989422804014327;
    if (z > -30) {
        double cdf = 0.5 * erfc(-z / sqrt(2.0));
        *log_cdf = log(cdf);
        *mills = inv_sqrt2pi * exp(-0.5 * z * z) / cdf;
    } else {
        /* asymptotic: Phi(z) ~ phi(z) / -z (1 - 1/z^2), mills ~ -z */
        double zz = z * z;
        *mills = -z / (1 - 1 / zz + 3 / (zz * zz));
        *log_cdf = -0.5 * zz - log(-z) - 0.9189385332046727 + log(1 - 1 / zz + 3 / (zz * zz));
    }
}

int vsc_thurstone_fit(double *out_mu, double *out_sigma, size_t n,
                      const struct vsc_pair_count *pairs, size_t n_pairs,
                      const struct vsc_thurstone_opts *opts)
{
    int max_iter = opts && opts->max_iter > 0 ? opts->max_iter : 2000;
    double lr = opts && opts->lr > 0 ? opts->lr : 0.05;
    double ridge = opts && opts->ridge != 0 ? (opts->ridge < 0 ? 0 : opts->ridge) : 1e-3;
    if (n == 0) return 0;
    for (size_t p = 0; p < n_pairs; p++)
        if (pairs[p].a >= n || pairs[p].b >= n || pairs[p].a == pairs[p].b) return VSC_ERR_INPUT;
    /* parameters: mu[0..n), log sigma [n..2n) */
    size_t np = 2 * n;
    double *x = calloc(np, sizeof(double)), *g = calloc(np, sizeof(double));
    double *m1 = calloc(np, sizeof(double)), *m2 = calloc(np, sizeof(double));
    if (!x || !g || !m1 || !m2) {
        free(x), free(g), free(m1), free(m2);
        return VSC_ERR_NOMEM;
    }
    double total = 0;
    for (size_t p = 0; p < n_pairs; p++)
        total += pairs[p].wins_a + pairs[p].wins_b;
    if (total <= 0) total = 1;
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    double b1t = 1, b2t = 1;
    for (int it = 0; it < max_iter; it++) {
        for (size_t i = 0; i < n; i++) {
            /* the ridge, per outcome, in the units of the mean loss per answer */
            g[i] = 2 * ridge * x[i] / (double)n;
            g[n + i] = 2 * ridge * x[n + i] / (double)n;
        }
        for (size_t p = 0; p < n_pairs; p++) {
            const struct vsc_pair_count *pc = &pairs[p];
            if (pc->wins_a + pc->wins_b <= 0) continue;
            size_t a = pc->a, b = pc->b;
            double sa = exp(x[n + a]), sb = exp(x[n + b]);
            double s2 = sa * sa + sb * sb, s = sqrt(s2);
            double z = (x[a] - x[b]) / s, lc, mp, lcn, mn;
            log_phi_mills(z, &lc, &mp);
            log_phi_mills(-z, &lcn, &mn);
            /* L = -(wa log Phi(z) + wb log Phi(-z)) / total */
            double dz = (-pc->wins_a * mp + pc->wins_b * mn) / total;
            g[a] += dz / s;
            g[b] -= dz / s;
            g[n + a] += dz * (-z * sa * sa / s2);
            g[n + b] += dz * (-z * sb * sb / s2);
        }
        b1t *= b1;
        b2t *= b2;
        for (size_t i = 0; i < np; i++) {
            m1[i] = b1 * m1[i] + (1 - b1) * g[i];
            m2[i] = b2 * m2[i] + (1 - b2) * g[i] * g[i];
            x[i] -= lr * (m1[i] / (1 - b1t)) / (sqrt(m2[i] / (1 - b2t)) + eps);
        }
        for (size_t i = n; i < np; i++) /* sigma within [e^-6, e^3]: no degenerate spreads */
            x[i] = x[i] < -6 ? -6 : x[i] > 3 ? 3 : x[i];
    }
    double mean = 0, var = 0;
    for (size_t i = 0; i < n; i++)
        mean += x[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++)
        var += (x[i] - mean) * (x[i] - mean);
    double sd = n > 1 ? sqrt(var / (double)(n - 1)) : 0;
    if (!(sd > 0)) sd = 1;
    for (size_t i = 0; i < n; i++) {
        out_mu[i] = (x[i] - mean) / sd;
        out_sigma[i] = exp(x[n + i]) / sd;
    }
    free(x), free(g), free(m1), free(m2);
    return 0;
}

void vsc_thurstone_eval(double *out_accuracy, double *out_log_loss, const double *mu,
                        const double *sigma, const struct vsc_pair_count *pairs, size_t n_pairs)
{
    double right = 0, loss = 0, total = 0;
    for (size_t p = 0; p < n_pairs; p++) {
        const struct vsc_pair_count *pc = &pairs[p];
        double w = pc->wins_a + pc->wins_b;
        if (w <= 0) continue;
        double pa = vsc_thurstone_prob(mu[pc->a], sigma[pc->a], mu[pc->b], sigma[pc->b]);
        double c = pa < 1e-12 ? 1e-12 : pa > 1 - 1e-12 ? 1 - 1e-12 : pa;
        if (pa > 0.5)
            right += pc->wins_a;
        else if (pa < 0.5)
            right += pc->wins_b;
        else
            right += w / 2;
        loss -= pc->wins_a * log(c) + pc->wins_b * log(1 - c);
        total += w;
    }
    if (out_accuracy) *out_accuracy = total > 0 ? right / total : NAN;
    if (out_log_loss) *out_log_loss = total > 0 ? loss / total : NAN;
}

/* ---- pair selection ----------------------------------------------------------------------- */

size_t vsc_pairs_budget(size_t n)
{
    if (n < 2) return 0;
    double b = ceil(2.0 * (double)n * log2((double)n));
    double all = (double)n * (double)(n - 1) / 2;
    return (size_t)(b < all ? b : all);
}

static uint64_t pair_key(size_t a, size_t b)
{
    if (a > b) {
        size_t t = a;
        a = b;
        b = t;
    }
    return ((uint64_t)a << 32) | (uint64_t)b;
}

/* A set of pairs: open addressing over pair keys (+1 so that 0 marks an empty slot). */
struct pairset {
    uint64_t *slot;
    size_t cap, n;
};

static int ps_init(struct pairset *s, size_t expect)
{
    s->cap = 64;
    while (s->cap < expect * 2 + 16)
        s->cap *= 2;
    s->n = 0;
    s->slot = calloc(s->cap, sizeof(uint64_t));
    return s->slot ? 0 : VSC_ERR_NOMEM;
}

static uint64_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
}

/* 1 when added, 0 when present */
static int ps_add(struct pairset *s, uint64_t key)
{
    key += 1;
    size_t i = (size_t)mix(key) & (s->cap - 1);
    while (s->slot[i]) {
        if (s->slot[i] == key) return 0;
        i = (i + 1) & (s->cap - 1);
    }
    s->slot[i] = key;
    s->n++;
    return 1;
}

static int ps_has(const struct pairset *s, uint64_t key)
{
    key += 1;
    size_t i = (size_t)mix(key) & (s->cap - 1);
    while (s->slot[i]) {
        if (s->slot[i] == key) return 1;
        i = (i + 1) & (s->cap - 1);
    }
    return 0;
}

static void shuffle(size_t *v, size_t n, struct rng *r)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rng_below(r, i);
        size_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

int vsc_pairs_initial(size_t **out_pairs, size_t *out_n, size_t n, int degree, uint64_t seed)
{
    *out_pairs = NULL;
    *out_n = 0;
    if (n < 2 || degree < 1) return 0;
    if ((size_t)degree > n - 1) degree = (int)(n - 1);
    size_t cap = n * (size_t)degree / 2 + n + 1, cnt = 0;
    size_t *pairs = malloc(2 * cap * sizeof(size_t)), *perm = malloc(n * sizeof(size_t));
    struct pairset set = {0};
    int rc = (!pairs || !perm) ? VSC_ERR_NOMEM : ps_init(&set, cap);
    struct rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    int rounds = degree / 2 + (degree % 2);
    for (int k = 0; !rc && k < rounds; k++) {
        int matching = (k == degree / 2); /* the odd degree's extra edge per outcome */
        size_t edges = matching ? n / 2 : (n == 2 ? 1 : n);
        /* reshuffle a few times for a round that repeats no pair (cheap, and it keeps the
         * graph regular for small n); past that, repeated pairs are dropped */
        for (int tries = 0; tries < 32; tries++) {
            shuffle(perm, n, &r);
            size_t clash = 0;
            for (size_t e = 0; e < edges && !clash; e++) {
                size_t a = matching ? perm[2 * e] : perm[e];
                size_t b = matching ? perm[2 * e + 1] : perm[(e + 1) % n];
                clash = ps_has(&set, pair_key(a, b));
            }
            if (!clash) break;
        }
        for (size_t e = 0; e < edges && cnt < cap; e++) {
            size_t a = matching ? perm[2 * e] : perm[e];
            size_t b = matching ? perm[2 * e + 1] : perm[(e + 1) % n];
            if (!ps_add(&set, pair_key(a, b))) continue;
            pairs[2 * cnt] = a < b ? a : b;
            pairs[2 * cnt + 1] = a < b ? b : a;
            cnt++;
        }
    }
    free(perm);
    free(set.slot);
    if (rc) {
        free(pairs);
        return rc;
    }
    *out_pairs = pairs;
    *out_n = cnt;
    return 0;
}

struct cand {
    double score;
    uint64_t tie;
    size_t a, b;
};

static int cand_cmp(const void *x, const void *y)
{
    const struct cand *p = x, *q = y;
    if (p->score != q->score) return p->score < q->score ? -1 : 1;
    return p->tie < q->tie ? -1 : p->tie > q->tie;
}

int vsc_pairs_next(size_t *out_pairs, size_t *out_n, size_t want, const double *mu,
                   const double *sigma, size_t n, const size_t *have, size_t n_have, uint64_t seed)
{
    *out_n = 0;
    if (n < 2 || want == 0) return 0;
    size_t all = n * (n - 1) / 2;
    size_t *deg = calloc(n, sizeof(size_t)), *took = calloc(n, sizeof(size_t));
    struct cand *c = malloc((all > n_have ? all - n_have : 1) * sizeof(*c));
    struct pairset set = {0};
    int rc = (!deg || !took || !c) ? VSC_ERR_NOMEM : ps_init(&set, n_have);
    if (rc) goto done;
    double mean_deg = 0;
    for (size_t p = 0; p < n_have; p++) {
        ps_add(&set, pair_key(have[2 * p], have[2 * p + 1]));
        deg[have[2 * p]]++;
        deg[have[2 * p + 1]]++;
    }
    for (size_t i = 0; i < n; i++)
        mean_deg += (double)deg[i];
    mean_deg = mean_deg / (double)n + 1;
    size_t nc = 0;
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++) {
            uint64_t k = pair_key(a, b);
            if (ps_has(&set, k)) continue;
            double s = sqrt(sigma[a] * sigma[a] + sigma[b] * sigma[b]);
            double closeness = fabs(mu[a] - mu[b]) / (s > 0 ? s : 1);
            /* a standardised distance of 1 weighs like twice the mean degree */
            double low = (double)(deg[a] + deg[b]) / (2 * mean_deg);
            c[nc++] = (struct cand){closeness + 0.5 * low, mix(k ^ seed), a, b};
        }
    qsort(c, nc, sizeof(*c), cand_cmp);
    size_t per_node = 2 * want / n + 1, got = 0;
    for (int pass = 0; pass < 2 && got < want; pass++) /* second pass lifts the per-node cap */
        for (size_t i = 0; i < nc && got < want; i++) {
            if (c[i].score < 0) continue; /* taken in the first pass */
            if (pass == 0 && (took[c[i].a] >= per_node || took[c[i].b] >= per_node)) continue;
            took[c[i].a]++;
            took[c[i].b]++;
            out_pairs[2 * got] = c[i].a;
            out_pairs[2 * got + 1] = c[i].b;
            got++;
            c[i].score = -1;
        }
    *out_n = got;
done:
    free(deg);
    free(took);
    free(c);
    free(set.slot);
    return rc;
}

/* ---- transitivity ------------------------------------------------------------------------- */

double vsc_intransitive_share(const struct vsc_pair_count *pairs, size_t n_pairs, size_t n,
                              size_t *out_triads)
{
    if (out_triads) *out_triads = 0;
    if (n < 3) return NAN;
    /* pref[a*n+b] = +1 when a beats b by majority, -1 when b beats a, 0 unknown or tied */
    signed char *pref = calloc(n * n, 1);
    size_t **adj = calloc(n, sizeof(*adj)), *na = calloc(n, sizeof(size_t));
    double share = NAN;
    if (!pref || !adj || !na) goto done;
    for (size_t p = 0; p < n_pairs; p++) {
        const struct vsc_pair_count *pc = &pairs[p];
        if (pc->a >= n || pc->b >= n || pc->wins_a == pc->wins_b) continue;
        signed char v = pc->wins_a > pc->wins_b ? 1 : -1;
        if (pref[pc->a * n + pc->b]) continue;
        pref[pc->a * n + pc->b] = v;
        pref[pc->b * n + pc->a] = (signed char)-v;
    }
    for (size_t a = 0; a < n; a++) {
        for (size_t b = a + 1; b < n; b++)
            if (pref[a * n + b]) na[a]++;
        if (!(adj[a] = malloc((na[a] + 1) * sizeof(size_t)))) goto done;
        na[a] = 0;
        for (size_t b = a + 1; b < n; b++)
            if (pref[a * n + b]) adj[a][na[a]++] = b;
    }
    size_t triads = 0, cycles = 0;
    for (size_t a = 0; a < n; a++)
        for (size_t i = 0; i < na[a]; i++)
            for (size_t j = i + 1; j < na[a]; j++) {
                size_t b = adj[a][i], c = adj[a][j];
                signed char bc = pref[b * n + c];
                if (!bc) continue;
                triads++;
                /* a cycle: a>b, b>c, c>a or the reverse */
                signed char ab = pref[a * n + b], ca = pref[c * n + a];
                if (ab == bc && bc == ca) cycles++;
            }
    if (out_triads) *out_triads = triads;
    share = triads ? (double)cycles / (double)triads : NAN;
done:
    for (size_t a = 0; adj && a < n; a++)
        free(adj[a]);
    free(adj);
    free(na);
    free(pref);
    return share;
}
