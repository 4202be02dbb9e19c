/* Preference utilities (after "Utility Engineering"): pairwise "which state of the world
 * would you prefer" questions over a set of outcomes, a Thurstonian model fitted to the
 * answers, active selection of the next pairs, and transitivity.
 *
 * In a run, `- utility: outcomes.json` registers the outcomes; the later stage (the utility
 * row of the kind table) plans a sparse random regular graph of pairs, and after each
 * dispatch fits the model and plans the next round of pairs where utilities are close and
 * degrees low, up to a budget of about 2 N log2 N pairs. Each pair is asked in both orders,
 * `repeats` samples each. */
#ifndef VALSCOPE_UTILITY_H
#define VALSCOPE_UTILITY_H

#include <stdio.h>

#include "common.h"
#include "store.h"

/* ---- outcomes ----------------------------------------------------------------------------- */

struct vsc_outcomes {
    char **text;     /* the outcome as shown */
    char **category; /* the category it was listed under */
    size_t n;
};

/* Reads {"category": ["outcome", ...], ...}. Empty categories, non-text outcomes and
 * duplicate outcomes are VSC_ERR_INPUT with line and column in `diag`. */
int vsc_outcomes_load(struct vsc_outcomes **out, const char *path, struct vsc_diag *diag);
void vsc_outcomes_free(struct vsc_outcomes *o);

/* ---- the Thurstonian model ---------------------------------------------------------------- */

/* Answers to one unordered pair: how often `a` was preferred, how often `b`, and how many
 * answers could not be read (kept apart; they never count as either). */
struct vsc_pair_count {
    size_t a, b;
    double wins_a, wins_b;
    size_t unparseable;
};

/* P(a preferred to b) = Phi((mu_a - mu_b) / sqrt(sigma_a^2 + sigma_b^2)). */
double vsc_thurstone_prob(double mu_a, double sigma_a, double mu_b, double sigma_b);

struct vsc_thurstone_opts {
    int max_iter; /* Adam steps; 0 = 2000 */
    double lr;    /* 0 = 0.05 */
    double ridge; /* weight of the penalty on mu^2 and (log sigma)^2; < 0 = none, 0 = 1e-3 */
};

/* Fits mu and sigma of `n` outcomes to the pair counts by minimising the binary cross-entropy
 * (full-batch Adam on mu and log sigma, a small ridge penalty keeping outcomes that always
 * win finite), then standardises: mu has mean 0 and SD 1 over the outcomes, sigma is scaled
 * alike, so probabilities are unchanged. Deterministic. `opts` may be NULL.
 * Outcomes never compared stay at mu = 0 before standardising. */
int vsc_thurstone_fit(double *out_mu, double *out_sigma, size_t n,
                      const struct vsc_pair_count *pairs, size_t n_pairs,
                      const struct vsc_thurstone_opts *opts);

/* Accuracy (share of answers on the side the model predicts, ties at 0.5 count half) and mean
 * log-loss per answer of a fitted model on pair counts. NAN when there are no answers. */
void vsc_thurstone_eval(double *out_accuracy, double *out_log_loss, const double *mu,
                        const double *sigma, const struct vsc_pair_count *pairs, size_t n_pairs);

/* ---- pair selection ----------------------------------------------------------------------- */

/* About 2 N log2 N pairs, never more than N (N - 1) / 2. */
size_t vsc_pairs_budget(size_t n);

/* A sparse random regular graph on n outcomes: degree/2 random Hamiltonian cycles plus a
 * random perfect matching when the degree is odd (n even), duplicates dropped, so every
 * outcome has degree <= `degree` and almost all exactly `degree`. `*out_pairs` (malloc'd,
 * 2 entries per pair, smaller index first) is the caller's. */
int vsc_pairs_initial(size_t **out_pairs, size_t *out_n, size_t n, int degree, uint64_t seed);

/* Up to `want` new pairs (not in `have`, 2 entries per pair) where the fitted utilities are
 * close relative to their spread (|mu_a - mu_b| / sqrt(sigma_a^2 + sigma_b^2)) and the
 * outcomes have been compared least; no outcome gets more than 2 * want / n + 1 of them in
 * one round. `out_pairs` holds 2 * want entries. Deterministic given `seed`. */
int vsc_pairs_next(size_t *out_pairs, size_t *out_n, size_t want, const double *mu,
                   const double *sigma, size_t n, const size_t *have, size_t n_have, uint64_t seed);

/* Share of intransitive triads: over the triads whose three pairs were all answered (and not
 * tied), the share whose majority preferences form a cycle. `*out_triads` gets that count. */
double vsc_intransitive_share(const struct vsc_pair_count *pairs, size_t n_pairs, size_t n,
                              size_t *out_triads);

/* ---- scoring a run ------------------------------------------------------------------------ */

struct vsc_utility_opts {
    const char *run; /* NULL: every run */
    double holdout;  /* share of pairs held out for the held-out scores; 0 = 0.2 */
};

/* A tidy record. Strings are borrowed for the duration of the callback; NAN = not
 * applicable.
 *   "utility"     one outcome: mu, sigma, n (answers involving it)
 *   "preference"  one pair: p = P(outcome preferred to outcome_b) over the answers read, n,
 *                 n_unparseable
 *   "utility_fit" the model: accuracy and log_loss on all pairs, heldout_* from a fit without
 *                 the held-out pairs, intransitive share over n_triads, n_pairs, n answers */
struct vsc_utility_record {
    const char *kind;
    const char *run, *model, *instrument;
    const char *outcome, *category, *outcome_b;
    double mu, sigma, p;
    double accuracy, log_loss, heldout_accuracy, heldout_log_loss, intransitive;
    size_t n, n_unparseable, n_pairs, n_triads;
};
typedef int (*vsc_utility_cb)(const struct vsc_utility_record *rec, void *payload);

/* Scores every utility instrument of the store's runs, per model. Returns 0, VSC_ERR_INPUT
 * (diag), VSC_ERR_STORE, VSC_ERR_NOMEM or the callback's non-zero value. */
int vsc_utility_score(struct vsc_store *store, const struct vsc_utility_opts *opts,
                      vsc_utility_cb cb, void *payload, struct vsc_diag *diag);

/* One record as one line of JSON (NAN as null). */
int vsc_utility_write_json(FILE *fp, const struct vsc_utility_record *rec);

/* One record as a row of `valscope score`'s table (header first when `n_shown` is 0). Returns
 * 1 when written, 0 when the table leaves it out (per-outcome records: --json), VSC_ERR_IO. */
int vsc_utility_write_table(FILE *fp, const struct vsc_utility_record *rec, size_t n_shown);

#endif
