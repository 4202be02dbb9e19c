/* AdAEM math (arXiv 2505.13531) and its loop state, as docs/evolve.md describes: the
 * informativeness of a question (generalised Jensen-Shannon divergence plus the regulariser),
 * OR-merged value vectors, TrueSkill win rates per value, item-set quality (Self-BLEU-4,
 * split-half alpha, ranking stability) and the planner the evolve stage drives.
 *
 * Pure functions on caller-owned arrays; undefined results are NAN (a status, never a number
 * that looks like a measurement). Matrices are row-major. A label is 1 (expresses the value),
 * 0 (does not) or -1 (unparseable / missing). */
#ifndef VSC_EVOLVE_ADAEM_H
#define VSC_EVOLVE_ADAEM_H

#include <stddef.h>
#include <stdint.h>

#define ADAEM_EPS 1e-6 /* Bernoulli shares are clamped to [eps, 1 - eps] */

/* ---- informativeness --------------------------------------------------------------------- */

/* Share of a model's opinions expressing each value: out_p[v] = yes / (yes + no) over the
 * n_opinions x n_values labels; NAN for a value without a parsed label. */
void adaem_shares(double *out_p, const signed char *labels, size_t n_opinions, size_t n_values);

/* OR-merge of a model's opinion vectors on one question: out[v] = 1 when any opinion expresses
 * v, 0 when at least one parsed label says no and none yes, -1 when none parsed. */
void adaem_or_merge(signed char *out, const signed char *labels, size_t n_opinions,
                    size_t n_values);

/* Entropy in bits of Bernoulli(p), p clamped to [ADAEM_EPS, 1 - ADAEM_EPS]. */
double adaem_h2(double p);

struct adaem_reward {
    double gjs;         /* sum over values of H(mean_k p_k) - mean_k H(p_k) */
    double regulariser; /* beta / K * sum_k sum_v JS(p_hat_v || p_kv) */
    double reward;      /* gjs + regulariser; NAN when no value could be used */
    size_t n_values;    /* values where p_hat and every model have a share */
};

/* The informativeness of one question from the models' shares p (n_models x n_values) and the
 * values the question text itself expresses p_hat (n_values, 0/1 or a share; NAN = unknown). A
 * value enters both sums only when p_hat and every model have a share for it. */
void adaem_reward(struct adaem_reward *out, const double *p_hat, const double *p, size_t n_models,
                  size_t n_values, double beta);

/* ---- TrueSkill --------------------------------------------------------------------------- */

struct ts_env {
    double mu0, sigma0, beta, tau, draw_probability;
};
struct ts_rating {
    double mu, sigma;
};

/* mu0 25, sigma0 25/3, beta sigma0/2, tau sigma0/100, draw probability 0.10. */
void ts_env_default(struct ts_env *env);

/* Draw margin of a match of n_players in all: Phi^-1((p_draw + 1) / 2) * sqrt(n) * beta. */
double ts_draw_margin(const struct ts_env *env, size_t n_players);

/* The truncated-Gaussian corrections (t = mean difference / c, e = margin / c). */
double ts_v_win(double t, double e);
double ts_w_win(double t, double e);
double ts_v_draw(double t, double e);
double ts_w_draw(double t, double e);

/* One two-player match: outcome 1 = a wins, -1 = b wins, 0 = draw. */
void ts_rate_1v1(struct ts_rating *a, struct ts_rating *b, int outcome, const struct ts_env *env);

/* P(a beats b) = Phi((mu_a - mu_b) / sqrt(2 beta^2 + sigma_a^2 + sigma_b^2)). */
double ts_win_probability(const struct ts_rating *a, const struct ts_rating *b,
                          const struct ts_env *env);

struct adaem_ts_result {
    double win_rate;  /* mean over orders of the mean P(beats j) over the other models j */
    double sd;        /* SD of that win rate over the orders (NAN with one order) */
    double mu, sigma; /* the rating, averaged over the orders */
    size_t n_matches;
};

/* TrueSkill for one value from OR-merged labels `merged` (n_questions x n_models, -1 =
 * missing): on each question every pair of models with labels plays "expresses beats does
 * not", equal labels draw. The match list is replayed in n_orders shuffled orders (order r
 * shuffled by an rng seeded with seed + r), each from fresh ratings. out[m] per model; win
 * rates are NAN when there is no match. Returns 0 or VSC_ERR_NOMEM. */
int adaem_trueskill(struct adaem_ts_result *out, const signed char *merged, size_t n_questions,
                    size_t n_models, size_t n_orders, uint64_t seed, const struct ts_env *env);

/* ---- item-set quality -------------------------------------------------------------------- */

/* Self-BLEU-4 of a bank: the mean over texts of BLEU-4 of the text against all others as
 * references (clipped counts, closest-length brevity penalty, uniform weights, NLTK smoothing
 * method1 with epsilon 0.1, 0 when no unigram matches). Tokens: ASCII-lowercased runs of
 * letters, digits and non-ASCII bytes. NAN when n < 2. */
double adaem_self_bleu4(const char *const *texts, size_t n);

/* Split-half alpha: each respondent's mean over the items of each half (half[i] 0 or 1, NAN
 * = missing item), then Cronbach's alpha of the two half scores,
 * 2 (1 - (var A + var B) / var(A + B)). x is n_items x n_resp. NAN when undefined. */
double adaem_split_half_alpha(const double *x, const unsigned char *half, size_t n_items,
                              size_t n_resp);

/* A balanced seeded split: a random half of the items (floor(n/2)) gets 1. */
void adaem_split_halves(unsigned char *out_half, size_t n_items, uint64_t seed);

/* Stability of model rankings between two evolutions: the mean over values of the Spearman
 * correlation of the models' win rates (a and b are n_models x n_values); values where either
 * ranking is constant are skipped. NAN when none is left. */
double adaem_ranking_spearman(const double *a, const double *b, size_t n_models, size_t n_values);

/* ---- loop state -------------------------------------------------------------------------- */

/* A rewrite is kept only when its reward is strictly higher (a NAN reward never wins; any
 * reward beats a NAN incumbent). */
int adaem_keep_rewrite(double old_reward, double new_reward);

/* The indices of the `keep` highest rewards (NAN excluded), highest first, ties by lower index.
 * Returns how many were written. Allocates n indices; 0 when that fails. */
size_t adaem_bank_select(size_t *out_idx, const double *reward, size_t n, size_t keep);

struct adaem_plan_params {
    size_t steps;         /* questions to create from topics */
    size_t plateau_pulls; /* a topic may split once it has this many pulls (default 3) */
    double plateau_delta; /* ... and its last 2 rewards beat its earlier best by <= this */
    size_t max_depth;     /* seed topics have depth 0; deeper topics never split (default 2) */
    size_t max_topics;    /* the pool never grows beyond this (default 4 * steps + seeds) */
};

enum adaem_action_kind { ADAEM_DONE = 0, ADAEM_PULL, ADAEM_SPLIT };

struct adaem_action {
    enum adaem_action_kind kind;
    size_t topic; /* the topic to pull (write a question for) or to split */
    size_t step;  /* the step number a PULL creates (0-based) */
};

struct adaem_topic {
    char *text;
    long parent; /* -1 for a seed topic */
    size_t depth, pulls;
    double sum, best, earlier_best; /* rewards so far; best before the last two pulls */
    double last[2];                 /* the last two rewards, newest first */
    int split;                      /* 0 none, 1 pending, 2 done */
};

struct adaem_planner {
    struct adaem_plan_params params;
    struct adaem_topic *topics;
    size_t n_topics, alloc, steps_done, total_pulls;
};

/* The planner is a pure function of the calls made on it: replaying the same topics, rewards
 * and splits in the same order gives the same actions (how a resumed stage rebuilds it). */
void adaem_plan_defaults(struct adaem_plan_params *p, size_t steps);
void adaem_planner_init(struct adaem_planner *pl, const struct adaem_plan_params *params);
void adaem_planner_clear(struct adaem_planner *pl);

/* Adds a topic (a child of `parent`, -1 for a seed). Returns 0 when added, 1 when a topic
 * with the same text (case-insensitive, trimmed) is already in the pool, the pool is full or
 * the text is empty, VSC_ERR_NOMEM. */
int adaem_planner_add(struct adaem_planner *pl, const char *text, long parent);

/* What to do next: SPLIT a plateaued topic (lowest index first), else PULL the topic with the
 * highest UCB1 score mean + sqrt(2 ln B / pulls) (B = total pulls; unpulled topics first; ties
 * to the lower index), or DONE after `steps` pulls or with an empty pool. */
void adaem_planner_next(const struct adaem_planner *pl, struct adaem_action *out);

/* The final reward (after refinement) of the question a PULL of `topic` created. A NAN reward
 * (unreadable question or opinions) counts as a pull with reward 0. */
void adaem_planner_pulled(struct adaem_planner *pl, size_t topic, double reward);

/* A SPLIT was carried out (its sub-topics added, or the reply was unparseable): the topic
 * never splits again. */
void adaem_planner_split_done(struct adaem_planner *pl, size_t topic);

/* UCB1 score of one topic (INFINITY when unpulled). */
double adaem_ucb1(const struct adaem_topic *t, size_t total_pulls);

#endif
