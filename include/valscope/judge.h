/* Generative value measurement: open-ended probes answered in free text, read by a judge model.
 *
 * An instrument entry of kind `probes` (builtin:schwartz, builtin:mft, valuebench:FILE#NAME)
 * with `protocol:` (lean | stance | gpv) and `judge:` is planned like any instrument; after its
 * answers are in, the judge stage plans judge cells from them (run through the same dispatcher,
 * cache and store), and vsc_judge_score() turns the judge's replies into value scores.
 * docs/judge.md gives the prompts, the parsers and the formulas. */
#ifndef VALSCOPE_JUDGE_H
#define VALSCOPE_JUDGE_H

#include <stdio.h>

#include "common.h"
#include "config.h"
#include "instrument.h"
#include "score.h"
#include "store.h"

/* Loads the probe instrument `arg` (builtin:schwartz, builtin:mft, valuebench:FILE[#NAME]):
 * every item is a raw prompt (messages_json) with its dimension, key and `question` set.
 * Relative paths resolve against `base_dir` (NULL: the cwd). The result is the caller's. */
int vsc_probes_load(struct vsc_instrument **out, const char *arg, const char *base_dir,
                    struct vsc_diag *diag);

/* Scores every judged instrument of the store's runs (or opts->run): one record per measured
 * model x run x condition x instrument x dimension (kind "value"); the stance protocol adds a
 * record of kind "related" per dimension (mean = share of readable answers related to it).
 * `instrument` names the protocol: "<instrument label>#<protocol>". Unreadable judge replies
 * are counted in n_unparseable, never scored; with none read, n = 0 and mean = NAN. CIs are
 * percentile bootstraps over probe answers (probes x samples). Returns 0, VSC_ERR_INPUT (diag
 * says which run or instrument), VSC_ERR_STORE, VSC_ERR_NOMEM, or the callback's value. */
int vsc_judge_score(struct vsc_store *store, const struct vsc_score_opts *opts, vsc_score_cb cb,
                    void *payload, struct vsc_diag *diag);

/* ---- judge quality ------------------------------------------------------------------------ */

struct vsc_judge_eval_opts {
    const struct vsc_config *cfg; /* the judge is cfg->judges[] named `judge` */
    const char *judge;
    const char *labels;     /* FORMAT:FILE; fulcra:FILE.jsonl, touche:FILE.tsv,
                             * valuebench:FILE.csv (recorded ratings) */
    const char *store_path; /* judge replies are cached here; NULL: cfg->store */
    size_t limit;           /* judge at most this many texts (answers for valuebench); 0 = all */
};

/* Agreement on one dimension: a dimension counts as present when the label is non-zero
 * (FULCRA: +1 or -1; Touche: 1) and as found when the judge says support or oppose. */
struct vsc_judge_dim_eval {
    char *dimension;
    size_t tp, fp, fn, tn;
    double precision, recall, f1, kappa; /* NAN when undefined (no positives, ...) */
};

struct vsc_judge_eval {
    char *format; /* fulcra | touche | valuebench */
    char *system; /* value system of the dimensions */
    struct vsc_judge_dim_eval *dims;
    size_t n_dims;
    double macro_f1;      /* mean F1 over dimensions where it is defined */
    size_t n_texts;       /* texts judged (valuebench: answers re-rated) */
    size_t n_compared;    /* texts with a readable judge reply, compared with the labels */
    size_t n_unparseable; /* judge replies that could not be read */
    size_t n_failed;      /* judge requests that failed */
    size_t n_bad_labels;  /* label strings / ratings in the file that could not be read */
    double mae, spearman; /* valuebench: judge rating vs recorded rating; NAN otherwise */
};

/* Runs the judge over a labelled file and compares. Judge requests go through the dispatcher
 * into run "judge-eval:<judge>:<format>" of the store, so a rerun pays for nothing twice.
 * Returns 0, VSC_ERR_INPUT (diag: file, line, field), VSC_ERR_NOTFOUND (no such judge),
 * VSC_ERR_IO, VSC_ERR_STORE or VSC_ERR_NOMEM. `*out` is the caller's (vsc_judge_eval_free). */
int vsc_judge_eval_run(struct vsc_judge_eval **out, const struct vsc_judge_eval_opts *opts,
                       struct vsc_diag *diag);
void vsc_judge_eval_free(struct vsc_judge_eval *ev);
/* A plain-text report (one row per dimension, then the totals), or one JSON object. */
int vsc_judge_eval_write(FILE *fp, const struct vsc_judge_eval *ev, int json);

#endif
