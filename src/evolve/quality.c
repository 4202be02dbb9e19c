/* Item-set quality of an evolved bank: Self-BLEU-4, split-half alpha, ranking stability. */
#include "evolve/adaem.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"
#include "util/util.h"

struct toks {
    uint64_t *t;
    size_t n;
};

/* Tokens as 64-bit FNV-1a hashes of lowercased words (letters, digits, non-ASCII bytes). */
static int tokenize(struct toks *out, const char *s)
{
    size_t len = strlen(s), n = 0;
    out->t = malloc((len / 2 + 1) * sizeof *out->t);
    if (!out->t) return -1;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (!(isalnum(c) || c >= 0x80)) {
            i++;
            continue;
        }
        uint64_t h = 1469598103934665603ULL;
        while (i < len && (isalnum((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80)) {
            h ^= (unsigned char)tolower((unsigned char)s[i++]);
            h *= 1099511628211ULL;
        }
        out->t[n++] = h;
    }
    out->n = n;
    return 0;
}

static size_t count_ngram(const struct toks *x, const uint64_t *g, size_t order)
{
    size_t c = 0;
    for (size_t i = 0; i + order <= x->n; i++)
        if (memcmp(&x->t[i], g, order * sizeof *g) == 0) c++;
    return c;
}

/* BLEU-4 of hypothesis h against the references r[j], j != self. */
static double bleu4(const struct toks *all, size_t n, size_t self)
{
    const struct toks *h = &all[self];
    double logsum = 0;
    for (size_t order = 1; order <= 4; order++) {
        size_t matches = 0, total = h->n >= order ? h->n - order + 1 : 0;
        for (size_t i = 0; i < total; i++) {
            const uint64_t *g = &h->t[i];
            int seen = 0; /* count each distinct n-gram once, at its first occurrence */
            for (size_t k = 0; k < i && !seen; k++)
                seen = memcmp(&h->t[k], g, order * sizeof *g) == 0;
            if (seen) continue;
            size_t ch = count_ngram(h, g, order), best = 0;
            for (size_t j = 0; j < n; j++) {
                if (j == self) continue;
                size_t cr = count_ngram(&all[j], g, order);
                if (cr > best) best = cr;
            }
            matches += ch < best ? ch : best;
        }
        if (order == 1 && !matches) return 0;
        double den = total ? (double)total : 1;
        logsum += 0.25 * log(matches ? (double)matches / den : 0.1 / den);
    }
    /* closest reference length, ties to the shorter one */
    size_t c = h->n, r = 0, best_d = (size_t)-1;
    for (size_t j = 0; j < n; j++) {
        if (j == self) continue;
        size_t l = all[j].n, d = l > c ? l - c : c - l;
        if (d < best_d || (d == best_d && l < r)) best_d = d, r = l;
    }
    double bp = c > r ? 1 : exp(1 - (double)r / (double)c);
    return bp * exp(logsum);
}

double adaem_self_bleu4(const char *const *texts, size_t n)
{
    if (n < 2) return NAN;
    struct toks *all = calloc(n, sizeof *all);
    if (!all) return NAN;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        if (tokenize(&all[i], texts[i] ? texts[i] : "")) goto fail;
    for (size_t i = 0; i < n; i++)
        sum += bleu4(all, n, i);
    for (size_t i = 0; i < n; i++)
        free(all[i].t);
    free(all);
    return sum / (double)n;
fail:
    for (size_t i = 0; i < n; i++)
        free(all[i].t);
    free(all);
    return NAN;
}

double adaem_split_half_alpha(const double *x, const unsigned char *half, size_t n_items,
                              size_t n_resp)
{
    double *h = malloc((n_resp ? 2 * n_resp : 1) * sizeof *h);
    if (!h) return NAN;
    for (size_t j = 0; j < n_resp; j++)
        for (int side = 0; side < 2; side++) {
            double s = 0;
            size_t c = 0;
            for (size_t i = 0; i < n_items; i++) {
                double v = x[i * n_resp + j];
                if ((half[i] != 0) != side || isnan(v)) continue;
                s += v;
                c++;
            }
            h[(size_t)side * n_resp + j] = c ? s / (double)c : NAN;
        }
    double a = st_cronbach_alpha(h, 2, n_resp);
    free(h);
    return a;
}

void adaem_split_halves(unsigned char *out_half, size_t n_items, uint64_t seed)
{
    struct rng rng;
    rng_seed(&rng, seed);
    size_t ones = n_items / 2, left = n_items;
    /* selection sampling: each item gets 1 with probability (ones still to give) / (items left) */
    for (size_t i = 0; i < n_items; i++, left--) {
        out_half[i] = rng_below(&rng, left) < ones;
        ones -= out_half[i];
    }
}

double adaem_ranking_spearman(const double *a, const double *b, size_t n_models, size_t n_values)
{
    double *x = malloc((n_models ? 2 * n_models : 1) * sizeof *x), sum = 0;
    size_t used = 0;
    if (!x) return NAN;
    for (size_t v = 0; v < n_values; v++) {
        for (size_t m = 0; m < n_models; m++) {
            x[m] = a[m * n_values + v];
            x[n_models + m] = b[m * n_values + v];
        }
        double rho = st_spearman(x, x + n_models, n_models);
        if (isnan(rho)) continue;
        sum += rho;
        used++;
    }
    free(x);
    return used ? sum / (double)used : NAN;
}
