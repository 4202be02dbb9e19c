/* Scorer internals: the accumulator that turns one model x run x condition x instrument's
 * answers into records, independent of the store so tests and the benchmark can feed it
 * directly. */
#ifndef VSC_SCORE_INT_H
#define VSC_SCORE_INT_H

#include "valscope/instrument.h"
#include "valscope/score.h"

struct sc_acc;

enum sc_obs {
    SC_OBS_OK = 0,      /* `value` is the chosen option's value (not yet keyed) */
    SC_OBS_UNPARSEABLE, /* an answer came back but could not be read */
    SC_OBS_FAILED,      /* the request failed */
    SC_OBS_PENDING,     /* no answer yet */
};

/* An accumulator for answers to `ins` (borrowed; must outlive the accumulator). Dimensions
 * are reported in `dim_order` (e.g. the value system's circle order; may be NULL), the ones
 * not in it after those in the order their first item appears, then the groups. */
int sc_acc_new(struct sc_acc **out, const struct vsc_instrument *ins, const char *const *dim_order,
               size_t n_dim_order);
void sc_acc_free(struct sc_acc *acc);

/* Adds one answer of `respondent` (copied) in repeat `repeat` (>= 0) to item `item` (an
 * index into ins->items). `entropy` is NAN unless the answer came from logprobs. */
int sc_acc_add(struct sc_acc *acc, const char *respondent, int repeat, size_t item,
               enum sc_obs kind, double value, double entropy);

/* Labels copied into the records. */
struct sc_labels {
    const char *model, *run, *condition, *instrument;
};

/* Computes and emits the records (see vsc_score_record). The accumulator is left as it was.
 * Returns 0, VSC_ERR_NOMEM, or the callback's non-zero value. */
int sc_acc_finish(struct sc_acc *acc, const struct sc_labels *labels,
                  const struct vsc_score_opts *opts, vsc_score_cb cb, void *payload);

/* Expected option value of a logprobs answer: the first position's top_logprobs (OpenAI chat
 * format) are matched to the shown options' letters (A, B, ...) or numbers (1, 2, ...),
 * renormalised, and averaged over the options' values. `order` as for vsc_parse_answer (NULL
 * = as is). Returns 0, or VSC_ERR_INPUT when the JSON is malformed or no option token has
 * any probability (the answer is then unparseable). */
int sc_logprobs_value(double *out_value, double *out_entropy, const char *logprobs_json,
                      const struct vsc_instrument *ins, const size_t *order);

#endif
