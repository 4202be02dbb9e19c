/* The report: one self-contained HTML page (inline CSS, SVG charts written here, no scripts,
 * no network requests), and tidy CSV / JSON exports of the same numbers.
 *
 * Every piece of model, judge or config text in the page goes through vsc_html_escape(), in
 * element content and attribute values alike. docs/report.md describes the sections. */
#ifndef VALSCOPE_REPORT_H
#define VALSCOPE_REPORT_H

#include <stdio.h>

#include "common.h"
#include "compare.h"
#include "score.h"
#include "store.h"

struct vsc_report_opts {
    const char *const *target_paths; /* target files (docs/targets.md) */
    size_t n_targets;
    /* Drift comparisons; NULL = every condition against "baseline" (or the first condition)
     * and every run against the first run. Strings must outlive the report. */
    const struct vsc_drift_spec *drifts;
    size_t n_drifts;
    struct vsc_score_opts score;     /* how the store is scored */
    struct vsc_compare_opts compare; /* resampling of the comparisons */
    const char *title;               /* NULL: "valscope report" */
};

struct vsc_report;

/* Scores `store`, loads the targets and runs every comparison. `opts` may be NULL. Returns
 * 0, VSC_ERR_INPUT (diag: which target file or cell is bad), VSC_ERR_IO, VSC_ERR_STORE
 * (vsc_store_errmsg) or VSC_ERR_NOMEM. */
int vsc_report_build(struct vsc_report **out, struct vsc_store *store,
                     const struct vsc_report_opts *opts, struct vsc_diag *diag);
void vsc_report_free(struct vsc_report *r);

/* The HTML page. Returns 0, VSC_ERR_IO or VSC_ERR_NOMEM. */
int vsc_report_write_html(FILE *fp, const struct vsc_report *r);

/* The HTML page as the file `path`, written whole or not at all (temporary file in the same
 * folder, fsync, rename): a failure leaves a previous file unchanged. Returns 0, or VSC_ERR_IO
 * (diag names the file and why) or VSC_ERR_NOMEM. */
int vsc_report_write_html_file(const char *path, const struct vsc_report *r, struct vsc_diag *diag);

/* Tidy CSV files in `dir` (which must exist): scores.csv, leaderboard.csv, alignment.csv,
 * drift.csv, quality.csv, circle.csv, all with the columns section, model, run, condition,
 * instrument, system, kind, dimension, target, contrast, metric, value, ci_low, ci_high (one row
 * per model x condition x dimension x metric; empty cells where a column does not apply). Each file
 * is written whole or not at all, like vsc_report_write_html_file; text fields are written by
 * the CSV writer of exports (control characters escaped, formula guard). */
int vsc_report_write_csv(const struct vsc_report *r, const char *dir, struct vsc_diag *diag);

/* The same rows as one JSON object: {"tool", "version", "rows": [{column: value}...]}; NAN
 * is null. */
int vsc_report_write_json(FILE *fp, const struct vsc_report *r);

/* `s` escaped for HTML text and (double- or single-quoted) attribute values: & < > " ' as
 * entities, invalid UTF-8 and control characters other than tab and newline as U+FFFD.
 * Returns a malloc'd string (the caller frees it), or NULL when out of memory. */
char *vsc_html_escape(const char *s);

#endif
