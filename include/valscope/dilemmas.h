/* Moral dilemmas (after DailyDilemmas): everyday dilemmas with two actions, the values behind
 * each action, and a map of values to five theories (World Values Survey, Moral Foundations,
 * virtues, emotions, Maslow's needs).
 *
 * As an instrument (`dailydilemmas:DIR`) each dilemma is one item with the two options
 * "Action 1" and "Action 2" (use option_order: rotated for both orders). The scorer counts,
 * per theory category, the values behind the chosen and the neglected action and reports
 * (chosen - neglected) / occurrences with a bootstrap CI over dilemmas. docs/dilemmas.md
 * gives the file formats. */
#ifndef VALSCOPE_DILEMMAS_H
#define VALSCOPE_DILEMMAS_H

#include <stdio.h>

#include "common.h"
#include "store.h"

#define VSC_DILEMMA_THEORIES 5
/* "WVS", "MFT", "Virtue", "Emotion", "Maslow": the theory columns of values.csv. */
extern const char *const vsc_dilemma_theory_names[VSC_DILEMMA_THEORIES];

struct vsc_dilemma {
    char *id;         /* the dilemma's idx */
    char *situation;  /* the dilemma text */
    char *action[2];  /* "to do" and "not to do"; NULL when the file names no actions */
    char **values[2]; /* the values behind each action (lower case) */
    size_t n_values[2];
};

struct vsc_dilemma_value {
    char *value;                          /* lower case */
    char *category[VSC_DILEMMA_THEORIES]; /* NULL where the theory has no category */
};

struct vsc_dilemma_set {
    struct vsc_dilemma *dilemmas;
    size_t n;
    struct vsc_dilemma_value *values;
    size_t n_values;
};

/* Loads DIR/dilemma.csv and DIR/values.csv, and DIR/actions.csv when present. dilemma.csv
 * has either one row per dilemma (columns idx, dilemma_situation) or one row per action
 * (columns dilemma_idx, dilemma_situation, action_type "to_do"/"not_to_do", action,
 * values_aggregated); actions.csv has the per-action columns without the situation. Bad rows
 * are VSC_ERR_INPUT with file and line in `diag`. */
int vsc_dilemmas_load(struct vsc_dilemma_set **out, const char *dir, struct vsc_diag *diag);
void vsc_dilemmas_free(struct vsc_dilemma_set *set);

struct vsc_dilemma_opts {
    const char *run; /* NULL: every run */
    int n_boot;      /* 0 = 1000 */
    uint64_t seed;
    double level; /* 0 = 0.95 */
};

/* One theory category of one run x model x condition x instrument. */
struct vsc_dilemma_record {
    const char *kind; /* "dilemma" */
    const char *run, *model, *condition, *instrument;
    const char *theory, *category;
    double value; /* (chosen - neglected) / occurrences, in [-1, 1] */
    double ci_low, ci_high;
    size_t n_chosen, n_neglected;
    size_t n_dilemmas;    /* dilemmas with a value of this category that were answered */
    size_t n_answers;     /* answers read (all categories) */
    size_t n_unparseable; /* answers not read strictly as one action */
};
typedef int (*vsc_dilemma_cb)(const struct vsc_dilemma_record *rec, void *payload);

/* Scores every dailydilemmas instrument of the store. Categories no answered dilemma touches
 * are left out. Returns 0, VSC_ERR_INPUT (diag), VSC_ERR_STORE, VSC_ERR_NOMEM or the
 * callback's value. */
int vsc_dilemma_score(struct vsc_store *store, const struct vsc_dilemma_opts *opts,
                      vsc_dilemma_cb cb, void *payload, struct vsc_diag *diag);

int vsc_dilemma_write_json(FILE *fp, const struct vsc_dilemma_record *rec);

/* One record as a row of `valscope score`'s table (header first when `n_shown` is 0). Returns
 * 1 when written, VSC_ERR_IO on a write error. */
int vsc_dilemma_write_table(FILE *fp, const struct vsc_dilemma_record *rec, size_t n_shown);

#endif
