/* The store: every run, cell, request and answer, in one SQLite file (WAL mode).
 *
 * A cell is one question to one model: (run, model, instrument, item, condition, sample).
 * Its answer is stored under the cell's cache key, so cells with identical requests share
 * one answer and nothing is paid for twice. */
#ifndef VALSCOPE_STORE_H
#define VALSCOPE_STORE_H

#include "common.h"

struct vsc_store;

/* Opens (creating when needed) a store file. `out` is set even on failure when a handle could be
 * made, so the caller can read vsc_store_errmsg(); free it in every case. An existing file that
 * is not a valscope store (another program's SQLite database, or not SQLite at all) is refused
 * with VSC_ERR_STORE before a byte of it is written. */
int vsc_store_open(struct vsc_store **out, const char *path);
/* Opens an existing store for reading only (export, score, report): never creates or changes
 * the file. VSC_ERR_NOTFOUND when there is no such file, VSC_ERR_STORE when it is not a valscope
 * store or cannot be read (the message says which, with SQLite's reason). */
int vsc_store_open_read(struct vsc_store **out, const char *path);
/* 0 when `run` (NULL: any) names a run in the store; VSC_ERR_NOTFOUND otherwise, with a message
 * listing the runs there are. */
int vsc_store_check_run(struct vsc_store *store, const char *run);
void vsc_store_free(struct vsc_store *store);
/* The last error message; borrowed, valid until the next call on the store. */
const char *vsc_store_errmsg(const struct vsc_store *store);
/* Returns `status`. When it is one the store reports (VSC_ERR_STORE, VSC_ERR_BUSY,
 * VSC_ERR_NOTFOUND) and `diag` (may be NULL) has no message yet, the store's last error (`store`
 * may be NULL) is copied into it; any other negative status without a message gets
 * vsc_strerror(status). Library functions that take a diag end
 * with it, so a caller prints the diag only; callers of functions that report on the handle
 * alone (open, check_run, the iterators, vsc_export) use it to get the same diag. */
int vsc_store_diag(struct vsc_diag *diag, const struct vsc_store *store, int status);

/* One answer joined with its cell, as handed to vsc_store_foreach_answer() callbacks. All
 * strings are borrowed for the duration of the callback; absent ones are NULL. */
struct vsc_answer_row {
    int64_t cell_id;
    const char *run;
    const char *model;
    const char *instrument;
    const char *item;
    const char *condition;
    int sample;
    const char *meta_json;   /* cell metadata: {"dim","key","order":[...],"respondent",...} */
    const char *status;      /* "ok", "error", or "pending" (no answer yet) */
    const char *error;       /* error kind when status is "error" */
    int http_status;
    const char *text;
    const char *finish_reason;
    const char *logprobs_json;
    int prompt_tokens;
    int completion_tokens;
    double latency_ms;
    int attempts;
};

/* The iterators below call a callback for each row. The callback returns 0 to go on; any other
 * value stops the walk and is returned unchanged: a positive value (VSC_STOP, or the caller's
 * own) is a stop that is no error, a negative one is the callback's own failure. A failure of
 * the store itself returns VSC_ERR_STORE and is the only case in which the iterator writes the
 * handle's message: the message is cleared when the walk starts, so after a negative return
 * vsc_store_errmsg() is non-empty exactly when the store failed (or the callback's own store
 * calls did). */
#define VSC_STOP 1

typedef int (*vsc_answer_cb)(const struct vsc_answer_row *row, void *payload);

/* Calls `cb` for every cell of `run` (NULL: all runs), ordered by run, model and cell id (the
 * plan's order). Stops as described above. */
int vsc_store_foreach_answer(struct vsc_store *store, const char *run, vsc_answer_cb cb,
                             void *payload);

/* Names of runs in creation order; `cb` gets each run name and its stored config text. */
typedef int (*vsc_run_cb)(const char *run, const char *config_text, void *payload);
int vsc_store_foreach_run(struct vsc_store *store, vsc_run_cb cb, void *payload);

/* An instrument used by a run, as recorded when it was planned (so the scorer can reload it). */
struct vsc_run_instrument {
    const char *run;
    const char *instrument; /* instrument id as stored in cells */
    const char *kind;
    const char *arg;
    const char *base_dir;
    const char *options_json;
};
typedef int (*vsc_instrument_cb)(const struct vsc_run_instrument *ri, void *payload);
int vsc_store_foreach_instrument(struct vsc_store *store, const char *run, vsc_instrument_cb cb,
                                 void *payload);

/* ---- writing (used by the planner, the dispatcher and importers) ------------------------ */

/* Creates the run if missing and returns its id. `config_text` is kept with it. */
int vsc_store_run_begin(struct vsc_store *store, int64_t *out_run_id, const char *run,
                        const char *config_text);
int vsc_store_run_add_instrument(struct vsc_store *store, int64_t run_id, const char *instrument,
                                 const char *kind, const char *arg, const char *base_dir,
                                 const char *options_json);

/* Batched writes: everything between begin and commit lands in one transaction. */
int vsc_store_begin(struct vsc_store *store);
int vsc_store_commit(struct vsc_store *store);
int vsc_store_rollback(struct vsc_store *store);

/* A new cell (ignored when an identical cell exists). `key` is the cache key (hex).
 * `out_added` (may be NULL) is set to 1 when the cell was new, 0 when it existed already. */
struct vsc_cell {
    const char *model;
    const char *instrument;
    const char *item;
    const char *condition;
    int sample;
    const char *key;
    const char *meta_json;
    const char *body;       /* request body sent to the backend */
};
int vsc_store_add_cell(struct vsc_store *store, int64_t run_id, const struct vsc_cell *cell,
                       int *out_added);

/* An answer under a cache key. An existing "ok" answer is never replaced. */
struct vsc_answer {
    const char *status; /* "ok" or "error" */
    const char *error;  /* error kind, NULL when ok */
    int http_status;
    const char *text;
    const char *finish_reason;
    const char *logprobs_json;
    const char *raw;    /* raw response body (capped), may be NULL */
    int prompt_tokens;
    int completion_tokens;
    double latency_ms;
    int attempts;
};
int vsc_store_put_answer(struct vsc_store *store, const char *key, const char *model,
                         const struct vsc_answer *answer);

/* Counts for a run: cells, cells with an ok answer, cells with an error answer. */
int vsc_store_run_counts(struct vsc_store *store, const char *run, int64_t *out_cells,
                         int64_t *out_ok, int64_t *out_error);

#endif
