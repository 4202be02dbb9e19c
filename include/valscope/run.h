/* The engine: plan a config into cells in the store, then send every unanswered cell to its
 * model through the dispatcher, committing answers as they arrive. */
#ifndef VALSCOPE_RUN_H
#define VALSCOPE_RUN_H

#include "common.h"
#include "config.h"

/* Failure kinds of a request, as named in exports ("http_429", ...). */
enum vsc_error_kind {
    VSC_E_NONE = 0,
    VSC_E_HTTP_429,
    VSC_E_HTTP_5XX,
    VSC_E_HTTP_4XX,
    VSC_E_TIMEOUT,
    VSC_E_CONNECTION,
    VSC_E_BAD_JSON,
    VSC_E_NO_CHOICES,
    VSC_E_TOO_LARGE,
    VSC_E_BACKEND, /* a local backend failed to answer */
    VSC_E_HTTP_REDIRECT, /* a 3xx: redirects are not followed (the key would go with them) */
    VSC_E_SLOW,          /* the reply came slower than the model's low-speed limit */
    VSC_E_COUNT
};
const char *vsc_error_kind_name(enum vsc_error_kind kind);

/* Live numbers handed to the progress callback (about every 250 ms and once at the end). */
struct vsc_progress {
    int64_t total;     /* cells in the plan */
    int64_t cached;    /* cells answered before this run started */
    int64_t done;      /* cells answered or given up on so far, cached included */
    int64_t ok;        /* answered in this run */
    int64_t failed;    /* given up on in this run */
    int64_t retries;
    int64_t in_flight;
    int64_t tokens;    /* completion + prompt tokens in this run */
    double elapsed_s;
    int64_t errors[VSC_E_COUNT]; /* final failures by kind */
    int finished;
};
typedef void (*vsc_progress_cb)(const struct vsc_progress *p, void *payload);

struct vsc_run_opts {
    int dry_run;               /* plan and count only */
    vsc_progress_cb progress;  /* may be NULL */
    void *payload;
};

/* Plans `cfg` into its store and runs it. Returns 0 when every cell has an answer,
 * VSC_ERR_INCOMPLETE when some failed, VSC_ERR_INPUT on a bad config/instrument (diag filled),
 * VSC_ERR_BUSY when another valscope run holds the store, another negative code on store or
 * system failure. `diag` has a message on every negative return. `out` receives the final
 * counts. */
int vsc_run(struct vsc_progress *out, const struct vsc_config *cfg,
            const struct vsc_run_opts *opts, struct vsc_diag *diag);

#endif
