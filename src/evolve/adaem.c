/* AdAEM informativeness, OR-merge and TrueSkill (docs/evolve.md). Entropies are in bits. */
#include "evolve/adaem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"
#include "util/util.h"
#include "valscope/common.h"

void adaem_shares(double *out_p, const signed char *labels, size_t n_opinions, size_t n_values)
{
    for (size_t v = 0; v < n_values; v++) {
        size_t yes = 0, parsed = 0;
        for (size_t o = 0; o < n_opinions; o++) {
            signed char l = labels[o * n_values + v];
            if (l < 0) continue;
            parsed++;
            yes += l > 0;
        }
        out_p[v] = parsed ? (double)yes / (double)parsed : NAN;
    }
}

void adaem_or_merge(signed char *out, const signed char *labels, size_t n_opinions, size_t n_values)
{
    for (size_t v = 0; v < n_values; v++) {
        signed char m = -1;
        for (size_t o = 0; o < n_opinions && m < 1; o++) {
            signed char l = labels[o * n_values + v];
            if (l > 0)
                m = 1;
            else if (l == 0)
                m = 0;
        }
        out[v] = m;
    }
}

static double clamp_p(double p)
{
    return p < ADAEM_EPS ? ADAEM_EPS : p > 1 - ADAEM_EPS ? 1 - ADAEM_EPS : p;
}

double adaem_h2(double p)
{
    p = clamp_p(p);
    return -(p * log2(p) + (1 - p) * log2(1 - p));
}

void adaem_reward(struct adaem_reward *out, const double *p_hat, const double *p, size_t n_models,
                  size_t n_values, double beta)
{
    memset(out, 0, sizeof *out);
    for (size_t v = 0; v < n_values; v++) {
        int ok = !isnan(p_hat[v]) && n_models > 0;
        for (size_t k = 0; ok && k < n_models; k++)
            ok = !isnan(p[k * n_values + v]);
        if (!ok) continue;
        double mean = 0, mean_h = 0, js = 0, ph = clamp_p(p_hat[v]);
        for (size_t k = 0; k < n_models; k++) {
            double pk = clamp_p(p[k * n_values + v]);
            mean += pk / (double)n_models;
            mean_h += adaem_h2(pk) / (double)n_models;
            js += adaem_h2((ph + pk) / 2) - (adaem_h2(ph) + adaem_h2(pk)) / 2;
        }
        out->gjs += adaem_h2(mean) - mean_h;
        out->regulariser += beta / (double)n_models * js;
        out->n_values++;
    }
    out->reward = out->n_values ? out->gjs + out->regulariser : NAN;
    if (!out->n_values) out->gjs = out->regulariser = NAN;
}

/* ---- TrueSkill --------------------------------------------------------------------------- */

void ts_env_default(struct ts_env *env)
{
    env->mu0 = 25.0;
    env->sigma0 = 25.0 / 3.0;
    env->beta = env->sigma0 / 2;
    env->tau = env->sigma0 / 100;
    env->draw_probability = 0.10;
}

double ts_draw_margin(const struct ts_env *env, size_t n_players)
{
    return st_norm_quantile((env->draw_probability + 1) / 2) * sqrt((double)n_players) * env->beta;
}

static double npdf(double x)
{
    return exp(-x * x / 2) / sqrt(2 * M_PI);
}

/* The win corrections: when Phi(t - e) underflows, v tends to -(t - e) (the asymptote
 * of the inverse Mills ratio) and w to 1. */
double ts_v_win(double t, double e)
{
    double x = t - e, den = st_norm_cdf(x);
    return den > 1e-300 ? npdf(x) / den : -x;
}

double ts_w_win(double t, double e)
{
    double x = t - e;
    if (!(st_norm_cdf(x) > 1e-300)) return x < 0 ? 1 : 0;
    double v = ts_v_win(t, e), w = v * (v + x);
    return w > 0 && w < 1 ? w : (w <= 0 ? 0 : 1);
}

/* Draw corrections on |t|, the sign restored for v (w is symmetric). */
double ts_v_draw(double t, double e)
{
    double at = fabs(t), a = e - at, b = -e - at;
    double den = st_norm_cdf(a) - st_norm_cdf(b);
    double v = den > 1e-300 ? (npdf(b) - npdf(a)) / den : a;
    return t < 0 ? -v : v;
}

double ts_w_draw(double t, double e)
{
    double at = fabs(t), a = e - at, b = -e - at;
    double den = st_norm_cdf(a) - st_norm_cdf(b);
    if (!(den > 1e-300)) return 1;
    double v = ts_v_draw(at, e);
    double w = v * v + (a * npdf(a) - b * npdf(b)) / den;
    return w > 0 && w < 1 ? w : (w <= 0 ? 0 : 1);
}

void ts_rate_1v1(struct ts_rating *a, struct ts_rating *b, int outcome, const struct ts_env *env)
{
    if (outcome < 0) {
        ts_rate_1v1(b, a, 1, env);
        return;
    }
    double va = a->sigma * a->sigma + env->tau * env->tau;
    double vb = b->sigma * b->sigma + env->tau * env->tau;
    double c2 = 2 * env->beta * env->beta + va + vb, c = sqrt(c2);
    double t = (a->mu - b->mu) / c, e = ts_draw_margin(env, 2) / c;
    double v = outcome ? ts_v_win(t, e) : ts_v_draw(t, e);
    double w = outcome ? ts_w_win(t, e) : ts_w_draw(t, e);
    a->mu += va / c * v;
    b->mu -= vb / c * v;
    a->sigma = sqrt(va * (1 - va / c2 * w));
    b->sigma = sqrt(vb * (1 - vb / c2 * w));
}

double ts_win_probability(const struct ts_rating *a, const struct ts_rating *b,
                          const struct ts_env *env)
{
    double den = sqrt(2 * env->beta * env->beta + a->sigma * a->sigma + b->sigma * b->sigma);
    return st_norm_cdf((a->mu - b->mu) / den);
}

struct match {
    unsigned a, b;
    int outcome;
};

int adaem_trueskill(struct adaem_ts_result *out, const signed char *merged, size_t n_questions,
                    size_t n_models, size_t n_orders, uint64_t seed, const struct ts_env *env)
{
    size_t cap = n_questions * (n_models * (n_models - (n_models > 0)) / 2), n = 0;
    /* m: the matches in question order; order o replays a copy shuffled from that order */
    struct match *m = malloc(2 * (cap ? cap : 1) * sizeof *m), *play = m + (cap ? cap : 1);
    struct ts_rating *r = malloc((n_models ? n_models : 1) * sizeof *r);
    double *wr = calloc((n_models ? n_models : 1) * (n_orders ? n_orders : 1), sizeof *wr);
    if (!m || !r || !wr) {
        free(m);
        free(r);
        free(wr);
        return VSC_ERR_NOMEM;
    }
    for (size_t q = 0; q < n_questions; q++)
        for (size_t i = 0; i < n_models; i++)
            for (size_t j = i + 1; j < n_models; j++) {
                signed char li = merged[q * n_models + i], lj = merged[q * n_models + j];
                if (li < 0 || lj < 0) continue;
                m[n++] = (struct match){(unsigned)i, (unsigned)j, (li > lj) - (li < lj)};
            }
    memset(out, 0, n_models * sizeof *out);
    for (size_t o = 0; o < n_orders; o++) {
        struct rng rng;
        rng_seed(&rng, seed + o);
        memcpy(play, m, n * sizeof *m);
        for (size_t i = n; i > 1; i--) {
            size_t j = (size_t)rng_below(&rng, i);
            struct match tmp = play[i - 1];
            play[i - 1] = play[j];
            play[j] = tmp;
        }
        for (size_t i = 0; i < n_models; i++)
            r[i] = (struct ts_rating){env->mu0, env->sigma0};
        for (size_t i = 0; i < n; i++)
            ts_rate_1v1(&r[play[i].a], &r[play[i].b], play[i].outcome, env);
        for (size_t i = 0; i < n_models; i++) {
            double s = 0;
            for (size_t j = 0; j < n_models; j++)
                if (j != i) s += ts_win_probability(&r[i], &r[j], env);
            wr[i * n_orders + o] = n_models > 1 ? s / (double)(n_models - 1) : NAN;
            out[i].mu += r[i].mu / (double)n_orders;
            out[i].sigma += r[i].sigma / (double)n_orders;
        }
    }
    for (size_t i = 0; i < n_models; i++) {
        out[i].n_matches = 0;
        for (size_t k = 0; k < n; k++)
            out[i].n_matches += m[k].a == i || m[k].b == i;
        if (!out[i].n_matches || !n_orders) {
            out[i].win_rate = out[i].sd = NAN;
            continue;
        }
        out[i].win_rate = st_mean(&wr[i * n_orders], n_orders);
        out[i].sd = st_sd(&wr[i * n_orders], n_orders);
    }
    free(m);
    free(r);
    free(wr);
    return 0;
}

/* ---- loop helpers ------------------------------------------------------------------------ */

int adaem_keep_rewrite(double old_reward, double new_reward)
{
    if (isnan(new_reward)) return 0;
    return isnan(old_reward) || new_reward > old_reward;
}

struct ranked {
    double reward;
    size_t idx;
};

static int by_reward(const void *pa, const void *pb)
{
    const struct ranked *a = pa, *b = pb;
    if (a->reward != b->reward) return a->reward > b->reward ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

size_t adaem_bank_select(size_t *out_idx, const double *reward, size_t n, size_t keep)
{
    struct ranked *r = malloc((n ? n : 1) * sizeof *r);
    size_t m = 0;
    if (!r) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(reward[i])) r[m++] = (struct ranked){reward[i], i};
    qsort(r, m, sizeof *r, by_reward);
    if (keep > m) keep = m;
    for (size_t i = 0; i < keep; i++)
        out_idx[i] = r[i].idx;
    free(r);
    return keep;
}
