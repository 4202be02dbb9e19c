/* Private: what a built report holds, shared by the builder (report.c), the exports
 * (report.c) and the HTML writer (html.c, svg.c). */
#ifndef VSC_REPORT_INT_H
#define VSC_REPORT_INT_H

#include "util/util.h"
#include "valscope/report.h"

/* Counts of cells per model x run x condition x instrument, from the store. */
struct rep_quality {
    char *model, *run, *condition, *instrument;
    size_t cells, ok, failed, pending, unparseable;
    char *samples[3]; /* first answers given (truncated), for a look at raw model text */
    size_t n_samples;
};

struct rep_runcfg {
    char *run, *config;
};

/* Comparison rows are copied as they come; their strings point into the profiles, the
 * targets or the drift specs, which the report owns. */
struct vsc_report {
    char *title;
    struct vsc_score_opts score;
    struct vsc_compare_opts compare;
    struct vsc_profiles *prof;
    struct vsc_target **targets;
    size_t n_targets;
    struct vsc_drift_spec *drifts;
    size_t n_drifts;
    char **owned; /* strings of default drift specs */
    size_t n_owned;
    struct vsc_leader_row *leader;
    size_t n_leader, a_leader;
    struct vsc_align_row *align;
    size_t n_align, a_align;
    struct vsc_drift_row *drift;
    size_t n_drift, a_drift;
    struct vsc_circle_row *circle; /* Schwartz profiles on the circle */
    size_t n_circle, a_circle;
    struct rep_quality *qual;
    size_t n_qual, a_qual;
    struct rep_runcfg *runs;
    size_t n_runs, a_runs;
};

/* Appends escaped `s` (NULL as "") to `b`; the one escaping function of the report. */
int html_escape_buf(struct buf *b, const char *s);

#endif
