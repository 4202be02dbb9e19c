/* Scoring: stored answers -> value profiles with uncertainty and reliability.
 *
 * The scorer reads a store (never writes it), reloads each run's instruments, reads every
 * answer (text answers through vsc_parse_answer, logprobs answers as an expected value over
 * the option tokens) and hands one record per model x run x condition x instrument x
 * dimension, and per higher-order group, to a callback. docs/scoring.md gives the formulas. */
#ifndef VALSCOPE_SCORE_H
#define VALSCOPE_SCORE_H

#include <stdio.h>

#include "common.h"
#include "store.h"

/* Centring of ratings before dimension means are taken. */
enum vsc_centring {
    VSC_CENTRE_DEFAULT = 0,    /* what the instrument says: respondent (MRAT) or none */
    VSC_CENTRE_RESPONDENT = 1, /* subtract each respondent's mean rating over all items */
    VSC_CENTRE_RUN = 2,        /* subtract the mean rating pooled over the whole run
                                * (model x run x condition x instrument) */
    VSC_CENTRE_NONE = 3,
};

struct vsc_score_opts {
    int centring;    /* enum vsc_centring */
    int n_boot;      /* bootstrap resamples; 0 = default 1000, < 0 = no CI */
    uint64_t seed;   /* bootstrap seed; results do not depend on scoring order */
    double level;    /* CI level; 0 = default 0.95 */
    const char *run; /* score only this run; NULL = all runs */
};

/* A comparison of a dimension with one crowd's human norm (Welch's t-test on respondent
 * scores, two-sided p, Cohen's d with the pooled SD). */
struct vsc_score_norm {
    const char *crowd;
    double crowd_mean, crowd_sd, crowd_n;
    double t, df, p, d;
};

/* One scored dimension (kind "value") or higher-order group (kind "group"). Strings and
 * `norms` are borrowed for the duration of the callback. NAN marks "not applicable". */
struct vsc_score_record {
    const char *model, *run, *condition, *system, *instrument;
    const char *kind;       /* "value" or "group"; judged probes also "related" */
    const char *protocol;   /* judge protocol (lean, stance, gpv); NULL for questionnaires */
    const char *dimension;  /* dimension id, or group id */
    double mean;            /* pooled centred mean (x number of items for SUM instruments) */
    double sd;              /* SD of respondent scores; of item answers with one respondent */
    size_t n;               /* answers that were read */
    size_t n_respondents;   /* respondents (x repeats) with at least one answer read */
    size_t n_items;         /* items of the dimension in the instrument */
    double ci_low, ci_high; /* percentile bootstrap CI of `mean` */
    double alpha, omega;    /* Cronbach's alpha, McDonald's omega total (NAN: < 2 / 3 items) */
    double retest;          /* test-retest r between repeat 0 and later repeats; NAN: none */
    double unparseable;     /* share of the answers given that could not be read */
    size_t n_unparseable;
    size_t n_failed;  /* cells whose request failed (status "error") */
    size_t n_pending; /* cells without an answer yet */
    double entropy;   /* mean entropy (bits) of logprobs answers; NAN for text */
    const struct vsc_score_norm *norms;
    size_t n_norms;
};

/* Return non-zero to stop scoring; that value is returned by vsc_score_store(). */
typedef int (*vsc_score_cb)(const struct vsc_score_record *rec, void *payload);

/* Scores every run of `store` (or opts->run) and calls `cb` once per record: by run and model,
 * then instrument and condition in the order their first cell appears, then dimensions (in
 * the value system's order when it is a built-in one, else in item order) and groups.
 * `opts` may be NULL for defaults. Returns 0, VSC_ERR_INPUT (diag says which cell or
 * instrument is bad), VSC_ERR_STORE, VSC_ERR_NOMEM, or the callback's non-zero value. */
int vsc_score_store(struct vsc_store *store, const struct vsc_score_opts *opts, vsc_score_cb cb,
                    void *payload, struct vsc_diag *diag);

/* Scores every kind of measurement in `store` (each kind's scorer once, in the order of the
 * kind table, then the analyses across kinds such as role-play) and writes the records to
 * `fp`: one JSON line each when `json`, else a terminal table per section. `opts` may be NULL.
 * `out_n` gets the number of records written (the table leaves some to --json). Returns 0,
 * VSC_ERR_INPUT (diag), VSC_ERR_STORE (vsc_store_errmsg), VSC_ERR_NOMEM or VSC_ERR_IO. */
int vsc_score_all(struct vsc_store *store, const struct vsc_score_opts *opts, FILE *fp, int json,
                  size_t *out_n, struct vsc_diag *diag);

/* Writes a record as one line of JSON (keys: model run condition system instrument kind
 * dimension mean sd n ci_low ci_high alpha omega retest unparseable, then n_respondents
 * n_unparseable n_failed n_pending entropy and norms; NAN as null). Returns 0 or
 * VSC_ERR_IO / VSC_ERR_NOMEM. */
int vsc_score_write_json(FILE *fp, const struct vsc_score_record *rec);

/* A fixed-width terminal table: call the header once, then one row per record. Control
 * characters in model-provided names are shown as '?'. */
int vsc_score_write_table_header(FILE *fp);
int vsc_score_write_table_row(FILE *fp, const struct vsc_score_record *rec);

/* Imports answers given elsewhere (JSONL, one object a line: {"model", "run", "respondent",
 * "item", "answer"}; answer = an option letter (A = first option), or a number read as an
 * option's value, e.g. a 0..10 rating) as ok answers of new cells, so they can be scored like
 * answers collected by valscope. Runs are created as needed and the instrument
 * (`instrument_kind`, `instrument_arg`, as for vsc_instrument_load) is registered with each.
 * A bad line stops the import with VSC_ERR_INPUT and the file, line and field in `diag`;
 * nothing of the file is kept then (one transaction). */
int vsc_import_answers(struct vsc_store *store, const char *instrument_kind,
                       const char *instrument_arg, const char *answers_path, struct vsc_diag *diag);

#endif
