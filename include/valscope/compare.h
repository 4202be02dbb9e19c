/* Comparisons of scored value profiles: a leaderboard with rank uncertainty, alignment to
 * target profiles (a culture, a group, one user), and drift between two runs or conditions.
 *
 * Everything here works on the summary records of vsc_score_store(). Each dimension mean is
 * treated as normal with the standard error implied by its bootstrap CI
 * (SE = (ci_high - ci_low) / (2 z)); comparison CIs are parametric bootstrap resamples of
 * those normals. docs/report.md explains the choice and its limits. */
#ifndef VALSCOPE_COMPARE_H
#define VALSCOPE_COMPARE_H

#include <stdio.h>

#include "common.h"
#include "score.h"
#include "store.h"

/* ---- target profiles (docs/targets.md) -------------------------------------------------- */

struct vsc_target {
    char *id;
    char *name;   /* display name; defaults to id */
    char *system; /* value system id the dimensions belong to */
    char *source; /* where the numbers come from; may be NULL */
    int example;  /* 1: written as an illustration, not measured data */
    size_t n_dims;
    char **dims;     /* dimension ids, in file order */
    double *scores;  /* target score per dimension */
    double *weights; /* weight per dimension (>= 0; 1 when the file gives none) */
};

/* Loads a target file (YAML or JSON). Bad input gives VSC_ERR_INPUT with file:line:col. */
int vsc_target_load(struct vsc_target **out, const char *path, struct vsc_diag *diag);
/* The same from text; `name` is used in diagnostics. */
int vsc_target_parse(struct vsc_target **out, const char *text, size_t len, const char *name,
                     struct vsc_diag *diag);
void vsc_target_free(struct vsc_target *t);
/* Writes `t` in the target file format (YAML). Returns 0 or VSC_ERR_IO. */
int vsc_target_write(FILE *fp, const struct vsc_target *t);

/* Schwartz's seven cultural orientations, in this order. */
#define VSC_N_ORIENTATIONS 7
extern const char *const vsc_orientation_names[VSC_N_ORIENTATIONS];
/* harmony embedded hierarchy mastery aff_auton intel_auton egalitar */

/* Maps the seven orientation scores of one country onto the 10 Schwartz basic values with
 * the approximate table of docs/targets.md and centres the result on its mean (targets are
 * relative priorities, as MRAT-centred model scores are). `out_values` follows the order of
 * the built-in `schwartz` system. */
void vsc_orientations_to_values(double out_values[10], const double orientations[7]);

/* Reads a CSV of country orientation scores (header: country, harmony, embedded, hierarchy,
 * mastery, aff_auton, intel_auton, egalitar, in any order; other columns are ignored) and
 * writes one target file per country into `out_dir` (which must exist), named after the
 * country (lower case, non-alphanumerics as '-'). `*out_n` gets the number written. A bad
 * cell gives VSC_ERR_INPUT with the line and column; nothing is guessed. */
int vsc_targets_from_orientations(size_t *out_n, const char *csv_path, const char *out_dir,
                                  struct vsc_diag *diag);

/* ---- alignment metrics ------------------------------------------------------------------ */

enum vsc_align_metric {
    VSC_ALIGN_COMPASS = 0, /* sum_d w_d t_d m_d / sum_d w_d |t_d| (Value Compass weighted sum) */
    VSC_ALIGN_SPEARMAN,    /* Spearman rho of m and t over dimensions with w_d > 0 */
    VSC_ALIGN_COSINE,      /* weighted cosine of m and t */
    VSC_ALIGN_L1,          /* weighted mean |z(m) - z(t)|, z = standardised over dimensions */
    VSC_ALIGN_L2,          /* weighted root mean square of z(m) - z(t) */
    VSC_ALIGN_N
};

/* "compass", "spearman", "cosine", "l1", "l2"; NULL for an unknown metric. */
const char *vsc_align_metric_name(int metric);

/* All metrics of one profile `m` against target `t` over `n_dims` dimensions; `weights` may
 * be NULL (all 1). Undefined metrics (n < 2, constant profile, zero weights) are NAN. */
void vsc_align_metrics(double out[VSC_ALIGN_N], const double *m, const double *t,
                       const double *weights, size_t n_dims);

/* ---- profiles: the score records compared ------------------------------------------------ */

struct vsc_profiles;

/* An empty set; `level` is the CI level the records were scored at (0 = 0.95). */
int vsc_profiles_new(struct vsc_profiles **out, double level);
/* Adds a copy of a record (norms are not kept). */
int vsc_profiles_add(struct vsc_profiles *p, const struct vsc_score_record *rec);
/* Scores `store` with `opts` (may be NULL) into a new set. */
int vsc_profiles_from_store(struct vsc_profiles **out, struct vsc_store *store,
                            const struct vsc_score_opts *opts, struct vsc_diag *diag);
size_t vsc_profiles_count(const struct vsc_profiles *p);
/* Record `i` in the order added; borrowed, lives as long as `p`. */
const struct vsc_score_record *vsc_profiles_get(const struct vsc_profiles *p, size_t i);
/* The SE implied by a record's CI, NAN when it has none. */
double vsc_profiles_se(const struct vsc_profiles *p, size_t i);
void vsc_profiles_free(struct vsc_profiles *p);

struct vsc_compare_opts {
    int n_boot;    /* resamples; 0 = default 1000, < 0 = none (CIs and shares are NAN) */
    uint64_t seed; /* results do not depend on the order of calls */
    double level;  /* CI level of comparison metrics; 0 = 0.95 */
};

/* ---- leaderboard ------------------------------------------------------------------------ */

/* One entry (model x run) of the ranking of one instrument x condition x dimension. Strings
 * are borrowed for the duration of the callback. */
struct vsc_leader_row {
    const char *instrument, *system, *condition, *kind, *dimension;
    const char *model, *run;
    double mean, ci_low, ci_high;
    size_t rank;        /* 1 = highest mean; ties share the better rank */
    size_t n_entries;   /* entries ranked together */
    double p_keep_rank; /* share of resamples in which the entry has the same rank */
};
typedef int (*vsc_leader_cb)(const struct vsc_leader_row *row, void *payload);

/* Calls `cb` for every entry with a mean, grouped by instrument, condition and dimension
 * and ranked inside each group. `opts` may be NULL. Returns 0, VSC_ERR_NOMEM or the
 * callback's non-zero value. */
int vsc_compare_leaderboard(const struct vsc_profiles *p, const struct vsc_compare_opts *opts,
                            vsc_leader_cb cb, void *payload);

/* ---- alignment to targets --------------------------------------------------------------- */

struct vsc_align_row {
    const char *model, *run, *condition, *instrument, *target;
    size_t n_dims; /* target dimensions found in the profile */
    double value[VSC_ALIGN_N], ci_low[VSC_ALIGN_N], ci_high[VSC_ALIGN_N];
};
typedef int (*vsc_align_cb)(const struct vsc_align_row *row, void *payload);

/* Compares every profile (model x run x condition x instrument of the target's system) with
 * every target. Profiles of other systems are skipped. Returns 0, VSC_ERR_NOMEM or the
 * callback's value. */
int vsc_compare_align(const struct vsc_profiles *p, const struct vsc_target *const *targets,
                      size_t n_targets, const struct vsc_compare_opts *opts, vsc_align_cb cb,
                      void *payload);

/* ---- drift ------------------------------------------------------------------------------ */

enum vsc_drift_by { VSC_DRIFT_CONDITION = 0, VSC_DRIFT_RUN = 1, VSC_DRIFT_MODEL = 2 };

/* Compare records whose `by` field is `a` with those whose field is `b` and whose other
 * fields (model, run, condition, instrument, dimension) match. */
struct vsc_drift_spec {
    int by; /* enum vsc_drift_by */
    const char *a, *b;
};

/* Parses "condition:A:B", "run:A:B" or "model:A:B" (A and B may not contain ':'). The
 * strings of `out` point into `text`, whose colons become NULs. VSC_ERR_INPUT when bad. */
int vsc_drift_spec_parse(struct vsc_drift_spec *out, char *text, struct vsc_diag *diag);

struct vsc_drift_row {
    int by;
    const char *a, *b;
    const char *model, *run, *condition; /* of side a */
    const char *instrument, *kind, *dimension;
    double mean_a, mean_b;
    double diff;            /* mean_b - mean_a */
    double ci_low, ci_high; /* normal CI of diff from the two SEs */
    double z, p;            /* Wald test of diff = 0, two-sided */
    double p_holm;          /* Holm-adjusted within the family (pair x instrument) */
    size_t n_family;        /* tests in the family */
};
typedef int (*vsc_drift_cb)(const struct vsc_drift_row *row, void *payload);

/* Runs every spec; rows come per family in dimension order. */
int vsc_compare_drift(const struct vsc_profiles *p, const struct vsc_drift_spec *specs,
                      size_t n_specs, const struct vsc_compare_opts *opts, vsc_drift_cb cb,
                      void *payload);

/* ---- position on the value circle ------------------------------------------------------- */

struct vsc_value_system;

/* The dimension indices of `vs` in circle order (by their `order`, ties in file order) into
 * `out_order` (vs->n_dims entries). Returns vs->n_dims. */
size_t vsc_circle_order(size_t *out_order, const struct vsc_value_system *vs);

/* Where a profile of `n` scores `m` (in circle order) sits on the circle: value i has the
 * unit vector u_i at 360 i / n degrees clockwise from the top, and the point is
 * sum_i (m_i - mean) u_i / sum_i |m_i - mean|, inside the unit circle (0: balanced, near 1:
 * one-sided). `out_x` points right, `out_y` up. Returns 0, or -1 (both NAN) when a score is
 * not finite or the profile is flat. */
int vsc_circle_point(double *out_x, double *out_y, const double *m, size_t n);

struct vsc_circle_row {
    const char *model, *run, *condition, *instrument; /* borrowed for the callback */
    double x, y;                                      /* the point (vsc_circle_point) */
    double radius;                                    /* its distance from the centre, 0 .. 1 */
    double angle; /* its direction in degrees clockwise from the first value, [0, 360) */
};
typedef int (*vsc_circle_cb)(const struct vsc_circle_row *row, void *payload);

/* Calls `cb` for every profile (model x run x condition x instrument) of system vs->id with a
 * finite mean for each dimension of `vs` and not flat, in the order of the records of its
 * first dimension in circle order. Returns 0, VSC_ERR_NOMEM or the callback's value. */
int vsc_compare_circle(const struct vsc_profiles *p, const struct vsc_value_system *vs,
                       vsc_circle_cb cb, void *payload);

/* Holm's step-down adjustment of `n` p-values into `out_adj` (NAN p stay NAN and do not
 * count). Allocates n indices; returns VSC_ERR_NOMEM when that fails. */
int vsc_holm(double *out_adj, const double *p, size_t n);

#endif
