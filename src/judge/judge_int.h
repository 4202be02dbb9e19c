/* Judge stage internals: the probe bank, judge-output parsers, protocol templates and the
 * table of a run's probe and judge answers that the stage and the scorer share. */
#ifndef VSC_JUDGE_INT_H
#define VSC_JUDGE_INT_H

#include <jansson.h>

#include "valscope/instrument.h"
#include "valscope/judge.h"
#include "valscope/store.h"

/* ---- probe bank (probe_bank.c) -------------------------------------------------------------- */

struct judge_probe {
    const char *id;
    const char *dim;  /* primary value */
    int key;          /* +1: "yes" expresses the value; -1: "yes" goes against it */
    const char *kind; /* advice | stance | dilemma */
    const char *tags; /* space-separated values the probe touches, primary first */
    const char *text;
};
/* The built-in bank `name` ("schwartz", "mft") and its size; NULL when unknown. */
const struct judge_probe *judge_probe_bank(const char *name, size_t *out_n);

/* ---- parsers (parse.c): never guess; anything unreadable is JUDGE_UNREAD -------------------- */

#define JUDGE_UNREAD 99

/* The first JSON object or array in a judge reply: inside a ``` fence first, else anywhere in
 * the text, tolerating trailing commas. A new reference, or NULL when there is none. */
json_t *judge_extract_json(const char *text);

/* Lean rating 0..10: {"rating": N} or prose with one clear number. 0 or VSC_ERR_INPUT. */
int judge_parse_lean(double *out, const char *text);

/* Stance labels: +1 support, -1 oppose, 0 unrelated; JUDGE_UNREAD otherwise. */
int judge_stance_word(const char *word);

/* Stances for all `n_dims` dims of `vs` from one reply (JSON object keyed by dimension id or
 * name, or a list of {value, stance} objects). out[d] is +1/-1/0, or JUDGE_UNREAD for a dim the
 * reply does not give. Returns the number of dims read. */
size_t judge_parse_stance_all(int *out, const struct vsc_value_system *vs, const char *text);

/* One label out of `labels` (lower case words) from a short reply: a JSON object's value or the
 * only label word in the text. Returns its index, or -1 when none or more than one is named. */
int judge_parse_label(const char *text, const char *const *labels, size_t n_labels);

/* A stance reply for one dimension: +1/-1/0 or JUDGE_UNREAD. */
int judge_parse_stance_one(const char *text);

/* GPV perceptions: a JSON list of strings (or {"perceptions": [...]}). On success *out is a new
 * array of strings (possibly empty). 0 or VSC_ERR_INPUT. */
int judge_parse_perceptions(json_t **out, const char *text);

/* Label probabilities from the first generated token's top_logprobs (chat format
 * [{"token","logprob","top_logprobs":[{"token","logprob"}]}]): tokens are matched to labels by
 * prefix, case-insensitively, and the result is renormalised over the labels. 0, or
 * VSC_ERR_INPUT when no label token is there. */
int judge_label_probs(double *out_p, const char *logprobs_json, const char *const *labels,
                      size_t n_labels);

/* ---- protocols (protocol.c) ---------------------------------------------------------------- */

enum judge_protocol { JP_LEAN = 0, JP_STANCE, JP_GPV };

/* What an instrument entry asks of the judge stage, read from its options JSON. */
struct judge_spec {
    enum judge_protocol protocol;
    const char *protocol_name;
    char *judge;     /* judge model name */
    int stance_each; /* stance_mode: each */
    int repair;
};
/* 1 when `options_json` names a protocol and a judge, 0 when the entry is not judged, or
 * VSC_ERR_INPUT (diag says which option) for a bad protocol or mode. */
int judge_spec_read(struct judge_spec *out, const char *options_json, const char *label,
                    struct vsc_diag *diag);
void judge_spec_clear(struct judge_spec *s);

/* Judge-side stages, used in instrument names "<label>#judge:<protocol>[:stage]". */
enum judge_stage { JS_LEAN = 0, JS_STANCE, JS_EXTRACT, JS_RELEVANCE, JS_VALENCE, JS_COUNT };
const char *judge_stage_suffix(enum judge_stage st); /* "lean", "stance", "gpv:extract", ... */

/* The chat messages (JSON array text) asking the judge stage `st` about one answer. `dim` is
 * the dimension index (stance each, relevance, valence; -1 for all), `perception` the GPV
 * perception text or NULL. */
char *judge_messages(enum judge_stage st, const struct vsc_value_system *vs, int dim,
                     const char *question, const char *answer, const char *perception);
/* The repair request: the original messages, the unreadable reply, and "reply with JSON only"
 * (or "one word only" for label stages). */
char *judge_repair_messages(enum judge_stage st, const char *messages_json, const char *bad);

/* Labels of the label stages. */
extern const char *const JUDGE_YESNO[2];   /* yes, no */
extern const char *const JUDGE_VALENCE[3]; /* support, oppose, either */

/* ---- answers of a run, indexed (rows.c) ----------------------------------------------------- */

struct judge_row {
    char *model, *instrument, *item, *condition;
    int sample;
    char *meta, *status, *text, *logprobs;
};

struct judge_rows {
    struct judge_row *v;
    size_t n, cap;
};

/* Reads every cell of `run` whose instrument is `label` or starts with "<label>#judge:",
 * sorted by (instrument, item, condition, model, sample). */
int judge_rows_load(struct judge_rows *out, struct vsc_store *store, const char *run,
                    const char *label);
void judge_rows_free(struct judge_rows *rows);
/* The row of a judge cell (any model/sample), or NULL. */
const struct judge_row *judge_rows_find(const struct judge_rows *rows, const char *instrument,
                                        const char *item);

/* Per-run context shared by the stage and the scorer. */
struct judge_ctx {
    const char *label;
    struct judge_spec spec;
    struct vsc_instrument *ins;
    struct vsc_value_system *vs;
    struct judge_rows rows;
};
/* Loads the instrument (kind, arg, base_dir), the value system and the rows. */
int judge_ctx_open(struct judge_ctx *c, struct vsc_store *store, const char *run, const char *label,
                   const char *kind, const char *arg, const char *base_dir, struct vsc_diag *diag);
void judge_ctx_close(struct judge_ctx *c);

/* The judge instrument name for a stage (malloc'd). */
char *judge_instrument_name(const char *label, enum judge_stage st);
/* The judge item id of a probe answer, plus "|k" and "|dim" parts when given (malloc'd). */
char *judge_item_id(const struct judge_row *probe, int k, const char *dim);

/* Reading a judge cell: the outcome of its own reply, else of its repair reply. */
enum judge_outcome { JO_PENDING = 0, JO_FAILED, JO_UNPARSEABLE, JO_OK };
/* The state of a cell's answer: pending (also when absent), failed, or ok. */
enum judge_outcome judge_cell_state(const struct judge_row *row);

/* What was read from one judge cell (read.c). */
struct judge_reading {
    enum judge_outcome outcome;
    int needs_repair;    /* the cell's own reply was ok but not (fully) readable */
    double rating;       /* lean */
    int stance;          /* stance, one dimension */
    int *stances;        /* stance, all dimensions: caller's array of vs->n_dims (JUDGE_UNREAD) */
    json_t *perceptions; /* gpv:extract: owned by the reading (judge_reading_clear) */
    double p[3];         /* gpv:relevance (yes, no) and gpv:valence (support, oppose, either) */
};
/* Reads cell (instrument, item) of stage `st`; when its reply is unreadable and a repair cell
 * "<item>|repair" was answered, the repair reply fills in. */
int judge_read(struct judge_reading *out, const struct judge_rows *rows, const char *instrument,
               const char *item, enum judge_stage st, const struct vsc_value_system *vs);
void judge_reading_clear(struct judge_reading *r);

/* What a judge call sets over the run's params (plan_cell.fixed): temperature 0, since a
 * judge reads rather than improvises. A new object (json_decref it), NULL when out of memory. */
json_t *judge_fixed_params(void);
/* The run's params (its `params_json`, NULL for none) as a judge call takes them: without the
 * keys that bound or reshape a reply (max_tokens, stop, n, ...), which a run sets for its
 * one-letter answers and which would cut a judge's JSON short. A new object, NULL when out of
 * memory or unreadable. */
json_t *judge_run_params(const char *params_json);
/* Label stages (relevance, valence) read token probabilities where the backend returns them:
 * their calls ask for 5 top logprobs and at most JUDGE_LABEL_MAX_TOKENS tokens; 0 for the
 * others. */
size_t judge_logprob_options(enum judge_stage st);
#define JUDGE_LABEL_MAX_TOKENS 4

/* Index of a dimension by id or name, compared without case, ' ', '-', '_' or ':'; -1. */
int judge_find_dim(const struct vsc_value_system *vs, const char *name);

/* One FULCRA label string ("benevolence: +1", and dirty ones like "achievement:=1",
 * "conformity:1+"): *out_dim is the dimension index in `vs`, *out_value -1, 0 or +1.
 * 0, or VSC_ERR_INPUT when the value name or the number cannot be read. */
int judge_fulcra_label(int *out_dim, int *out_value, const char *label,
                       const struct vsc_value_system *vs);

#endif
