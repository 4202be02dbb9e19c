/* The dispatcher: sends every pending cell of a run to its model and commits the answers. */
#ifndef VSC_DISPATCH_H
#define VSC_DISPATCH_H

#include "valscope/config.h"
#include "valscope/run.h"
#include "valscope/store.h"

struct dispatch_opts {
    const struct vsc_config *cfg;
    const struct vsc_model_cfg *const *models; /* models and judges whose cells are sent */
    size_t n_models;
    const char *base_dir;
    int64_t run_id;
    int retry_base_ms; /* first backoff step; doubled per attempt, with jitter */
    int retry_max_ms;
    vsc_progress_cb progress;
    void *payload;
};

/* Runs until every pending cell is answered or given up on. `p` holds the counts (its total
 * and cached fields must be set by the caller). Errors of requests are results, not failures:
 * the return value is negative only when the store or the system fails (diag->msg says). */
int dispatch_run(struct vsc_store *store, const struct dispatch_opts *opts, struct vsc_progress *p,
                 struct vsc_diag *diag);

/* The same in steps, keeping backends open across rounds of later stages: new, then drain
 * (until every pending cell is answered or given up on), rearm after a stage added cells and
 * drain again, then free. */
struct dispatcher;
int dispatch_new(struct dispatcher **out, struct vsc_store *store,
                 const struct dispatch_opts *opts, struct vsc_progress *p, struct vsc_diag *diag);
int dispatch_drain(struct dispatcher *d);
void dispatch_rearm(struct dispatcher *d);
void dispatch_free(struct dispatcher *d);

/* Backoff before attempt `attempt + 1` (attempt >= 1): base * 2^(attempt-1), capped, with
 * "equal jitter" (half fixed, half random); Retry-After wins when the server gave one. */
int dispatch_backoff_ms(int attempt, int base_ms, int max_ms, int retry_after_ms, double u01);

/* Parses a Retry-After header value (seconds or an HTTP date) into milliseconds, -1 if bad. */
int dispatch_parse_retry_after(const char *value, long now_epoch_s);

#endif
