/* Role-play statistics: how far personas move a model's answers, read from a run's store.
 *
 * The cells of interest carry the condition "baseline" (no persona) or
 * "persona:<seed>:<index>" (persona `index` of the sampler seeded with `seed`, attributes in
 * the cell meta under "persona"). Per model x instrument x dimension the scorer reports:
 *   inertia       I = 1 - H(p) / log2 K of the pooled answer distribution p over the K
 *                 options (1: always the same option, 0: uniform), for the baseline and for
 *                 all persona answers pooled;
 *   steerability  Jensen-Shannon divergence (bits) between the baseline and the pooled
 *                 persona answer distributions;
 *   effect_size   Cohen's d of persona scores between personas with an attribute level and
 *                 the rest (e.g. religion=none vs the others on Tradition);
 *   seed_correlation  Pearson r between the profiles (dimension means over personas) of two
 *                 persona seeds;
 *   convergence   the profile estimate, its variance across seeds and the SD between
 *                 personas, using the first n personas of every seed, for growing n.
 * docs/roleplay.md gives the formulas. */
#ifndef VALSCOPE_ROLEPLAY_H
#define VALSCOPE_ROLEPLAY_H

#include <stdio.h>

#include "common.h"
#include "store.h"

/* 1 - H(p)/log2(k) of counts[0..k) (normalised here); NAN when k < 2 or there is no count. */
double vsc_roleplay_inertia(const double *counts, size_t k);

/* Jensen-Shannon divergence in bits of two count vectors (each normalised); NAN when either
 * is empty. */
double vsc_roleplay_steerability(const double *counts_a, const double *counts_b, size_t k);

struct vsc_roleplay_opts {
    const char *run; /* NULL: every run */
};

/* One tidy record. Strings are borrowed for the duration of the callback; NAN = not
 * applicable. */
struct vsc_roleplay_record {
    const char *kind; /* "inertia", "steerability", "effect_size", "seed_correlation",
                       * "convergence" */
    const char *run, *model, *instrument;
    const char *dimension;    /* NULL for seed_correlation (it runs over the dimensions) */
    const char *condition;    /* inertia: "baseline" or "persona"; else NULL */
    const char *attribute;    /* effect_size: e.g. "religion" */
    const char *level;        /* effect_size: e.g. "none" (ages are grouped by decade: "30-39") */
    long long seed_a, seed_b; /* seed_correlation; -1 otherwise */
    double value;             /* I, JSD, d, r, or the convergence profile estimate */
    double mean, mean_other;  /* effect_size: mean score of the level and of the rest */
    double variance;          /* convergence: variance of the estimate across seeds */
    double sd;                /* convergence: SD of persona scores among those used */
    size_t n;                 /* answers (inertia, steerability: persona side), personas with
                               * the level (effect_size), dimensions (seed_correlation), personas
                               * per seed (convergence) */
    size_t n_other;           /* steerability: baseline answers; effect_size: the rest */
    size_t n_unparseable;     /* inertia: answers that could not be read (not in p) */
};

typedef int (*vsc_roleplay_cb)(const struct vsc_roleplay_record *rec, void *payload);

/* Scores the role-play cells of `store` (cells of other conditions are skipped; instruments
 * without options too) and calls `cb` per record, ordered by run, model, instrument. A
 * non-zero return of `cb` stops and is returned. `opts` may be NULL. Returns 0,
 * VSC_ERR_INPUT (diag names the cell), VSC_ERR_STORE, VSC_ERR_NOMEM. */
int vsc_roleplay_score(struct vsc_store *store, const struct vsc_roleplay_opts *opts,
                       vsc_roleplay_cb cb, void *payload, struct vsc_diag *diag);

/* One record as one line of JSON (NAN as null, absent strings left out). */
int vsc_roleplay_write_json(FILE *fp, const struct vsc_roleplay_record *rec);

/* One record as a row of `valscope score`'s table, the section's header first when `n_shown`
 * (rows already written) is 0. Returns 1 when written, 0 when the table leaves the record out
 * (--json has every record), VSC_ERR_IO on a write error. */
int vsc_roleplay_write_table(FILE *fp, const struct vsc_roleplay_record *rec, size_t n_shown);

#endif
