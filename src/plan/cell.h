/* The cell contract: what a cell is made of and how the strings in it are written and read.
 * Planners (the base plan, the judge stage, judge-eval, the utility stage, the importer) write
 * cells; scorers and later stages read them. Every format the two sides share is written and
 * parsed here and nowhere else (docs/internals/cell.md). */
#ifndef VSC_CELL_H
#define VSC_CELL_H

#include <jansson.h>
#include <stddef.h>

#include "util/letter.h"
#include "valscope/config.h"
#include "valscope/instrument.h"
#include "valscope/store.h"

/* ---- respondent: "model|condition|sample" --------------------------------------------------- */

/* The respondent a planned item cell belongs to (malloc'd). */
char *cell_respondent(const char *model, const char *condition, int sample);

/* Splits a respondent at its last '|': `*out_stem_len` is the length of what comes before it
 * ("model|condition", '|' inside the names kept), `*out_sample` the number after it. Returns
 * 0, or -1 when the respondent does not end in "|<whole number>" (an imported respondent). */
int cell_respondent_parse(size_t *out_stem_len, int *out_sample, const char *respondent);

/* ---- conditions: "baseline", "persona:<seed>:<index>", "persona:file:<id>", or a name -------- */

#define CELL_BASELINE "baseline"

enum cell_condition_kind {
    CELL_COND_OTHER = 0,   /* a system prompt's name */
    CELL_COND_BASELINE,    /* "baseline" */
    CELL_COND_PERSONA,     /* "persona:<seed>:<index>", index 0..10000000 */
    CELL_COND_PERSONA_FILE /* "persona:file:<id>" */
};

struct cell_condition {
    enum cell_condition_kind kind;
    long long seed;      /* CELL_COND_PERSONA */
    long index;          /* CELL_COND_PERSONA */
    const char *file_id; /* CELL_COND_PERSONA_FILE: borrowed from the parsed string */
};

/* The condition of sampled persona `index` of seed `seed`, or of a persona file's `id`
 * (malloc'd). */
char *cell_condition_persona(long long seed, long index);
char *cell_condition_persona_file(const char *id);

/* Reads a condition; a malformed "persona:..." is CELL_COND_OTHER. Returns out->kind. */
enum cell_condition_kind cell_condition_parse(struct cell_condition *out, const char *condition);

/* ---- judge instruments: "<label>#judge:<stage>" ---------------------------------------------- */

/* The instrument of the judge cells of `label` for stage `stage` ("lean", "gpv:extract", ...)
 * (malloc'd). */
char *cell_judge_label(const char *label, const char *stage);

/* 1 when `instrument` is a judge instrument: `*out_label_len` is the length of the judged
 * label (the text before the last "#judge:"), `*out_stage` points at the stage after it.
 * 0 (outputs untouched) for any other instrument. */
int cell_judge_label_parse(size_t *out_label_len, const char **out_stage, const char *instrument);

/* ---- meta of an item cell ------------------------------------------------------------------ */

enum cell_mode { CELL_MODE_NONE = 0, CELL_MODE_TEXT, CELL_MODE_LOGPROBS };

/* The meta JSON of an item cell. Every field is optional; the writer leaves out what is
 * NULL / -1 / CELL_MODE_NONE. */
struct cell_meta {
    const json_t *persona;  /* role-play attributes of the condition's persona */
    const char *respondent; /* cell_respondent(), or the importer's respondent */
    int repeat;             /* the sample of the respondent (always written) */
    long position;          /* place in the respondent's shuffled item order; -1: none */
    const char *dim;        /* the item's dimension and key */
    int key;
    size_t n_options;
    const size_t *order;              /* shown position -> option index; NULL: none */
    const struct vsc_option *options; /* writer: values, labels and letter tokens; NULL: none */
    enum cell_mode mode;
    const char *source; /* "import" for imported answers */

    /* set by the reader */
    int has_repeat, has_key;
    json_t *json; /* the parsed object the strings above point into (cell_meta_clear) */
};

/* The meta as JSON text (compact, sorted keys; malloc'd, NULL when out of memory). */
char *cell_meta_write(const struct cell_meta *m);

/* Reads meta JSON (NULL or "" reads as no fields). The order, when present, must list the
 * `n_options` options once each; it is copied into `order_buf` (n_options entries) and
 * out->order points there. Returns 0, or VSC_ERR_INPUT with `why` ("meta.order must ...")
 * for a meta that is not an object, a bad repeat or a bad order. Call cell_meta_clear after
 * either. */
int cell_meta_read(struct cell_meta *out, const char *meta_json, size_t n_options,
                   size_t *order_buf, char *why, size_t why_len);
void cell_meta_clear(struct cell_meta *m);

/* ---- the request, its cache key and the row -------------------------------------------------- */

/* The identity of a model that goes into every cache key: two models never share answers
 * (malloc'd). */
char *plan_model_identity(const struct vsc_model_cfg *m);

/* Cache key (64 hex digits + NUL) of a request: hash of identity, body and sample index. */
void plan_cache_key(char out[65], const char *identity, const char *body, int sample);

/* One cell to plan. The request body is `params` (the run's), then `fixed` over them (what
 * the cell itself insists on, e.g. a judge's temperature 0), the served model name, the
 * messages and, with an integer seed, seed + sample (each sample its own draw). With
 * `n_logprob_options` > 0 the call asks for logprobs: top_logprobs that many (5..20) and
 * max_tokens `max_tokens` (0: 1). */
struct plan_cell {
    const struct vsc_model_cfg *model;
    const char *identity; /* plan_model_identity(model) */
    const json_t *params, *fixed;
    json_t *messages; /* chat messages, borrowed */
    size_t n_logprob_options;
    int max_tokens;
    const char *instrument, *item, *condition;
    int sample;
    const char *meta_json;
    /* With `cfg`, a body over cfg->max_request_bytes is not added: VSC_ERR_INPUT, with `diag`
     * at cfg->path:line saying "model 'M', item I: request body of N bytes exceeds the cap of
     * C bytes (max_request_bytes)". NULL: no cap (judge cells carry answers already capped). */
    const struct vsc_config *cfg;
    int line;
    struct vsc_diag *diag;
};

/* The request body of a cell (malloc'd JSON, sorted keys, so equal requests hash equally). */
char *plan_cell_body(const struct plan_cell *c);

/* Builds the body and cache key of `c` and adds its row to run `run_id` (an existing cell is
 * kept). `out_new` (may be NULL) says whether the cell was new. VSC_ERR_INPUT for a body over
 * the cap (see `cfg` above). */
int plan_add_cell(struct vsc_store *store, int64_t run_id, const struct plan_cell *c, int *out_new);

#endif
