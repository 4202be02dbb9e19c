/* Building a report: score the store, load targets, run the comparisons, count data quality;
 * and the tidy CSV / JSON exports of the result. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"
#include "util/atomic_file.h"
#include "util/csv.h"
#include "util/jsonout.h"
#include "util/redact.h"
#include "valscope/instrument.h"

/* The value system whose circle the report draws and exports. */
#define CIRCLE_SYSTEM "schwartz"

/* Grows an array of `size`-byte elements by one; returns the new element (zeroed) or NULL. */
static void *grow(void **arr, size_t *n, size_t *alloc, size_t size)
{
    if (*n == *alloc) {
        size_t na = *alloc ? 2 * *alloc : 16;
        void *p = realloc(*arr, na * size);
        if (!p) return NULL;
        *arr = p;
        *alloc = na;
    }
    void *e = (char *)*arr + (*n)++ * size;
    memset(e, 0, size);
    return e;
}
#define GROW(arr, n, alloc) grow((void **)&(arr), &(n), &(alloc), sizeof(*(arr)))

void vsc_report_free(struct vsc_report *r)
{
    if (!r) return;
    vsc_profiles_free(r->prof);
    for (size_t i = 0; i < r->n_targets; i++)
        vsc_target_free(r->targets[i]);
    free(r->targets);
    free(r->drifts);
    for (size_t i = 0; i < r->n_owned; i++)
        free(r->owned[i]);
    free(r->owned);
    free(r->leader);
    free(r->align);
    free(r->drift);
    free(r->circle);
    for (size_t i = 0; i < r->n_qual; i++) {
        struct rep_quality *q = &r->qual[i];
        free(q->model);
        free(q->run);
        free(q->condition);
        free(q->instrument);
        for (size_t k = 0; k < q->n_samples; k++)
            free(q->samples[k]);
    }
    free(r->qual);
    for (size_t i = 0; i < r->n_runs; i++) {
        free(r->runs[i].run);
        free(r->runs[i].config);
    }
    free(r->runs);
    free(r->title);
    free(r);
}

static int on_leader(const struct vsc_leader_row *row, void *payload)
{
    struct vsc_report *r = payload;
    struct vsc_leader_row *d = GROW(r->leader, r->n_leader, r->a_leader);
    if (!d) return VSC_ERR_NOMEM;
    *d = *row;
    return 0;
}

static int on_align(const struct vsc_align_row *row, void *payload)
{
    struct vsc_report *r = payload;
    struct vsc_align_row *d = GROW(r->align, r->n_align, r->a_align);
    if (!d) return VSC_ERR_NOMEM;
    *d = *row;
    return 0;
}

static int on_drift(const struct vsc_drift_row *row, void *payload)
{
    struct vsc_report *r = payload;
    struct vsc_drift_row *d = GROW(r->drift, r->n_drift, r->a_drift);
    if (!d) return VSC_ERR_NOMEM;
    *d = *row;
    return 0;
}

static int on_circle(const struct vsc_circle_row *row, void *payload)
{
    struct vsc_report *r = payload;
    struct vsc_circle_row *d = GROW(r->circle, r->n_circle, r->a_circle);
    if (!d) return VSC_ERR_NOMEM;
    *d = *row;
    return 0;
}

/* The Schwartz profiles on the circle; none when the value system is not available. */
static int add_circle(struct vsc_report *r)
{
    struct vsc_value_system *vs = NULL;
    struct vsc_diag ignore = {0};
    if (vsc_value_system_builtin(&vs, CIRCLE_SYSTEM, &ignore)) return 0;
    int rc = vsc_compare_circle(r->prof, vs, on_circle, r);
    vsc_value_system_free(vs);
    return rc;
}

static int on_run(const char *run, const char *config_text, void *payload)
{
    struct vsc_report *r = payload;
    struct rep_runcfg *d = GROW(r->runs, r->n_runs, r->a_runs);
    if (!d) return VSC_ERR_NOMEM;
    d->run = xstrdup(run ? run : "");
    d->config = redact_urls(config_text, NULL); /* stores from before credentials were removed */
    return d->run && d->config ? 0 : VSC_ERR_NOMEM;
}

static int eq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Samples of raw answers are cut to this many bytes (then made valid UTF-8 again). */
#define SAMPLE_BYTES 300

static int on_answer(const struct vsc_answer_row *a, void *payload)
{
    struct vsc_report *r = payload;
    struct rep_quality *q = NULL;
    /* The plan's order groups a model's cells together, so the last entry usually matches. */
    for (size_t i = r->n_qual; i-- > 0;) {
        struct rep_quality *c = &r->qual[i];
        if (eq(c->model, a->model) && eq(c->run, a->run) && eq(c->condition, a->condition) &&
            eq(c->instrument, a->instrument)) {
            q = c;
            break;
        }
    }
    if (!q) {
        if (!(q = GROW(r->qual, r->n_qual, r->a_qual))) return VSC_ERR_NOMEM;
        q->model = xstrdup(a->model ? a->model : "");
        q->run = xstrdup(a->run ? a->run : "");
        q->condition = xstrdup(a->condition ? a->condition : "");
        q->instrument = xstrdup(a->instrument ? a->instrument : "");
        if (!q->model || !q->run || !q->condition || !q->instrument) return VSC_ERR_NOMEM;
    }
    q->cells++;
    if (eq(a->status, "ok")) {
        q->ok++;
        if (q->n_samples < 3 && a->text && *a->text) {
            size_t len = strlen(a->text);
            if (len > SAMPLE_BYTES) len = SAMPLE_BYTES;
            char *s = utf8_sanitize(a->text, len, NULL);
            if (!s) return VSC_ERR_NOMEM;
            q->samples[q->n_samples++] = s;
        }
    } else if (eq(a->status, "error"))
        q->failed++;
    else
        q->pending++;
    return 0;
}

static int own(struct vsc_report *r, const char *s, const char **out)
{
    char **o = realloc(r->owned, (r->n_owned + 1) * sizeof(*o));
    if (!o) return VSC_ERR_NOMEM;
    r->owned = o;
    if (!(o[r->n_owned] = xstrdup(s))) return VSC_ERR_NOMEM;
    *out = o[r->n_owned++];
    return 0;
}

/* Every condition against "baseline" (or the first condition seen), every run against the
 * first run. */
static int default_drifts(struct vsc_report *r)
{
    size_t n = vsc_profiles_count(r->prof);
    const char *ref = NULL;
    for (size_t i = 0; i < n && !ref; i++)
        if (eq(vsc_profiles_get(r->prof, i)->condition, "baseline")) ref = "baseline";
    if (!ref && n) ref = vsc_profiles_get(r->prof, 0)->condition;
    for (int by = VSC_DRIFT_CONDITION; by <= VSC_DRIFT_RUN; by++) {
        const char *first = by == VSC_DRIFT_CONDITION ? ref
                            : n                       ? vsc_profiles_get(r->prof, 0)->run
                                                      : NULL;
        for (size_t i = 0; i < n; i++) {
            const struct vsc_score_record *rec = vsc_profiles_get(r->prof, i);
            const char *v = by == VSC_DRIFT_CONDITION ? rec->condition : rec->run;
            if (eq(v, first)) continue;
            int seen = 0;
            for (size_t k = 0; k < r->n_drifts && !seen; k++)
                seen = r->drifts[k].by == by && eq(r->drifts[k].b, v);
            if (seen) continue;
            struct vsc_drift_spec *s = realloc(r->drifts, (r->n_drifts + 1) * sizeof(*s));
            if (!s) return VSC_ERR_NOMEM;
            r->drifts = s;
            s = &r->drifts[r->n_drifts];
            s->by = by;
            if (own(r, first, &s->a) || own(r, v, &s->b)) return VSC_ERR_NOMEM;
            r->n_drifts++;
        }
    }
    return 0;
}

static int add_unparseable(struct vsc_report *r)
{
    for (size_t i = 0; i < vsc_profiles_count(r->prof); i++) {
        const struct vsc_score_record *rec = vsc_profiles_get(r->prof, i);
        if (!eq(rec->kind, "value")) continue;
        for (size_t k = 0; k < r->n_qual; k++) {
            struct rep_quality *q = &r->qual[k];
            if (eq(q->model, rec->model) && eq(q->run, rec->run) &&
                eq(q->condition, rec->condition) && eq(q->instrument, rec->instrument)) {
                q->unparseable += rec->n_unparseable;
                break;
            }
        }
    }
    return 0;
}

static int report_build(struct vsc_report **out, struct vsc_store *store,
                        const struct vsc_report_opts *opts, struct vsc_diag *diag)
{
    static const struct vsc_report_opts none = {0};
    if (!opts) opts = &none;
    int rc = VSC_ERR_NOMEM;
    struct vsc_report *r = calloc(1, sizeof(*r));
    *out = NULL;
    if (!r) return VSC_ERR_NOMEM;
    r->score = opts->score;
    r->compare = opts->compare;
    if (r->compare.level <= 0 || r->compare.level >= 1) r->compare.level = 0.95;
    if (!(r->title = xstrdup(opts->title ? opts->title : "valscope report"))) goto fail;

    if (opts->n_targets) {
        r->targets = calloc(opts->n_targets, sizeof(*r->targets));
        if (!r->targets) goto fail;
        for (size_t i = 0; i < opts->n_targets; i++) {
            if ((rc = vsc_target_load(&r->targets[i], opts->target_paths[i], diag))) goto fail;
            r->n_targets++;
        }
    }
    if ((rc = vsc_profiles_from_store(&r->prof, store, &r->score, diag))) goto fail;
    if ((rc = vsc_store_foreach_run(store, on_run, r))) goto fail;
    if ((rc = vsc_store_foreach_answer(store, r->score.run, on_answer, r))) goto fail;
    if ((rc = add_unparseable(r))) goto fail;
    if (opts->drifts) {
        rc = VSC_ERR_NOMEM;
        r->drifts = malloc((opts->n_drifts + 1) * sizeof(*r->drifts));
        if (!r->drifts) goto fail;
        memcpy(r->drifts, opts->drifts, opts->n_drifts * sizeof(*r->drifts));
        r->n_drifts = opts->n_drifts;
    } else if ((rc = default_drifts(r)))
        goto fail;

    if ((rc = vsc_compare_leaderboard(r->prof, &r->compare, on_leader, r))) goto fail;
    if ((rc = vsc_compare_align(r->prof, (const struct vsc_target *const *)r->targets, r->n_targets,
                                &r->compare, on_align, r)))
        goto fail;
    if ((rc = vsc_compare_drift(r->prof, r->drifts, r->n_drifts, &r->compare, on_drift, r)))
        goto fail;
    if ((rc = add_circle(r))) goto fail;
    *out = r;
    return 0;
fail:
    vsc_report_free(r);
    return rc;
}

int vsc_report_build(struct vsc_report **out, struct vsc_store *store,
                     const struct vsc_report_opts *opts, struct vsc_diag *diag)
{
    vsc_diag_clear(diag);
    return vsc_store_diag(diag, store, report_build(out, store, opts, diag));
}

/* ---- tidy rows -------------------------------------------------------------------------- */

enum { SEC_SCORES, SEC_LEADER, SEC_ALIGN, SEC_DRIFT, SEC_QUALITY, SEC_CIRCLE, N_SEC };
static const char *const SECTIONS[N_SEC] = {"scores", "leaderboard", "alignment",
                                            "drift",  "quality",     "circle"};
static const char *const COLUMNS[] = {"section", "model", "run",       "condition", "instrument",
                                      "system",  "kind",  "dimension", "target",    "contrast",
                                      "metric",  "value", "ci_low",    "ci_high"};
#define N_TEXT_COLS 11

struct tidy {
    const char *text[N_TEXT_COLS]; /* section .. metric */
    double value, lo, hi;
};

typedef int (*tidy_cb)(const struct tidy *t, void *payload);

static const char *by_name(int by)
{
    return by == VSC_DRIFT_RUN ? "run" : by == VSC_DRIFT_MODEL ? "model" : "condition";
}

static int emit(tidy_cb cb, void *payload, struct tidy *t, const char *metric, double v, double lo,
                double hi)
{
    t->text[10] = metric;
    t->value = v;
    t->lo = lo;
    t->hi = hi;
    return cb(t, payload);
}

/* Calls `cb` for every tidy row of section `sec`. */
static int tidy_foreach(const struct vsc_report *r, int sec, tidy_cb cb, void *payload)
{
    int rc = 0;
    struct tidy t;
    char contrast[600];
    if (sec == SEC_SCORES) {
        for (size_t i = 0; i < vsc_profiles_count(r->prof) && !rc; i++) {
            const struct vsc_score_record *e = vsc_profiles_get(r->prof, i);
            t = (struct tidy){{"scores", e->model, e->run, e->condition, e->instrument, e->system,
                               e->kind, e->dimension, "", ""}};
            if ((rc = emit(cb, payload, &t, "mean", e->mean, e->ci_low, e->ci_high)) ||
                (rc = emit(cb, payload, &t, "sd", e->sd, NAN, NAN)) ||
                (rc = emit(cb, payload, &t, "n", (double)e->n, NAN, NAN)) ||
                (rc = emit(cb, payload, &t, "n_respondents", (double)e->n_respondents, NAN, NAN)) ||
                (rc = emit(cb, payload, &t, "alpha", e->alpha, NAN, NAN)) ||
                (rc = emit(cb, payload, &t, "omega", e->omega, NAN, NAN)) ||
                (rc = emit(cb, payload, &t, "retest", e->retest, NAN, NAN)) ||
                (rc = emit(cb, payload, &t, "unparseable", e->unparseable, NAN, NAN)) ||
                (rc = emit(cb, payload, &t, "n_failed", (double)e->n_failed, NAN, NAN)))
                break;
        }
    } else if (sec == SEC_LEADER) {
        for (size_t i = 0; i < r->n_leader && !rc; i++) {
            const struct vsc_leader_row *e = &r->leader[i];
            t = (struct tidy){{"leaderboard", e->model, e->run, e->condition, e->instrument,
                               e->system, e->kind, e->dimension, "", ""}};
            if ((rc = emit(cb, payload, &t, "mean", e->mean, e->ci_low, e->ci_high)) ||
                (rc = emit(cb, payload, &t, "rank", (double)e->rank, NAN, NAN)) ||
                (rc = emit(cb, payload, &t, "p_keep_rank", e->p_keep_rank, NAN, NAN)) ||
                (rc = emit(cb, payload, &t, "n_entries", (double)e->n_entries, NAN, NAN)))
                break;
        }
    } else if (sec == SEC_ALIGN) {
        for (size_t i = 0; i < r->n_align && !rc; i++) {
            const struct vsc_align_row *e = &r->align[i];
            const char *sys = "";
            for (size_t k = 0; k < r->n_targets; k++)
                if (!strcmp(r->targets[k]->id, e->target)) sys = r->targets[k]->system;
            t = (struct tidy){{"alignment", e->model, e->run, e->condition, e->instrument, sys,
                               "value", "", e->target, ""}};
            for (int k = 0; k < VSC_ALIGN_N && !rc; k++)
                rc = emit(cb, payload, &t, vsc_align_metric_name(k), e->value[k], e->ci_low[k],
                          e->ci_high[k]);
            if (!rc) rc = emit(cb, payload, &t, "n_dims", (double)e->n_dims, NAN, NAN);
        }
    } else if (sec == SEC_DRIFT) {
        for (size_t i = 0; i < r->n_drift && !rc; i++) {
            const struct vsc_drift_row *e = &r->drift[i];
            snprintf(contrast, sizeof(contrast), "%s:%s:%s", by_name(e->by), e->a, e->b);
            t = (struct tidy){{"drift", e->model, e->run, e->condition, e->instrument, "", e->kind,
                               e->dimension, "", contrast}};
            if ((rc = emit(cb, payload, &t, "diff", e->diff, e->ci_low, e->ci_high)) ||
                (rc = emit(cb, payload, &t, "mean_a", e->mean_a, NAN, NAN)) ||
                (rc = emit(cb, payload, &t, "mean_b", e->mean_b, NAN, NAN)) ||
                (rc = emit(cb, payload, &t, "z", e->z, NAN, NAN)) ||
                (rc = emit(cb, payload, &t, "p", e->p, NAN, NAN)) ||
                (rc = emit(cb, payload, &t, "p_holm", e->p_holm, NAN, NAN)))
                break;
        }
    } else if (sec == SEC_CIRCLE) {
        for (size_t i = 0; i < r->n_circle && !rc; i++) {
            const struct vsc_circle_row *e = &r->circle[i];
            t = (struct tidy){{"circle", e->model, e->run, e->condition, e->instrument,
                               CIRCLE_SYSTEM, "value", "", "", ""}};
            if ((rc = emit(cb, payload, &t, "x", e->x, NAN, NAN)) ||
                (rc = emit(cb, payload, &t, "y", e->y, NAN, NAN)) ||
                (rc = emit(cb, payload, &t, "radius", e->radius, NAN, NAN)) ||
                (rc = emit(cb, payload, &t, "angle", e->angle, NAN, NAN)))
                break;
        }
    } else {
        for (size_t i = 0; i < r->n_qual && !rc; i++) {
            const struct rep_quality *q = &r->qual[i];
            t = (struct tidy){
                {"quality", q->model, q->run, q->condition, q->instrument, "", "", "", "", ""}};
            if ((rc = emit(cb, payload, &t, "cells", (double)q->cells, NAN, NAN)) ||
                (rc = emit(cb, payload, &t, "ok", (double)q->ok, NAN, NAN)) ||
                (rc = emit(cb, payload, &t, "failed", (double)q->failed, NAN, NAN)) ||
                (rc = emit(cb, payload, &t, "pending", (double)q->pending, NAN, NAN)) ||
                (rc = emit(cb, payload, &t, "unparseable", (double)q->unparseable, NAN, NAN)))
                break;
        }
    }
    return rc;
}

static void csv_num(FILE *fp, double v)
{
    if (isfinite(v)) fprintf(fp, "%.10g", v); /* NAN: an empty cell, read as NA */
}

static int csv_row(const struct tidy *t, void *payload)
{
    FILE *fp = payload;
    for (int c = 0; c < N_TEXT_COLS; c++) {
        csv_write_field(fp, t->text[c]);
        fputc(',', fp);
    }
    csv_num(fp, t->value);
    fputc(',', fp);
    csv_num(fp, t->lo);
    fputc(',', fp);
    csv_num(fp, t->hi);
    fputc('\n', fp);
    return ferror(fp) ? VSC_ERR_IO : 0;
}

struct csv_file {
    const struct vsc_report *r;
    int sec;
};

static int write_csv_file(FILE *fp, void *payload)
{
    const struct csv_file *c = payload;
    for (size_t i = 0; i < sizeof(COLUMNS) / sizeof(COLUMNS[0]); i++)
        fprintf(fp, "%s%s", i ? "," : "", COLUMNS[i]);
    fputc('\n', fp);
    int rc = tidy_foreach(c->r, c->sec, csv_row, fp);
    return rc ? rc : ferror(fp) ? VSC_ERR_IO : 0;
}

static int report_write_csv(const struct vsc_report *r, const char *dir, struct vsc_diag *diag)
{
    int rc = 0;
    for (int sec = 0; sec < N_SEC && !rc; sec++) {
        char *name = xasprintf("%s.csv", SECTIONS[sec]);
        char *path = name ? path_join(dir, name) : NULL;
        free(name);
        if (!path) return VSC_ERR_NOMEM;
        struct csv_file c = {r, sec};
        rc = atomic_file_write(path, write_csv_file, &c, diag);
        free(path);
    }
    return rc;
}

int vsc_report_write_csv(const struct vsc_report *r, const char *dir, struct vsc_diag *diag)
{
    vsc_diag_clear(diag);
    return vsc_diag_finish(diag, report_write_csv(r, dir, diag));
}

/* Model-provided names are usually valid UTF-8, but jansson refuses anything else. */
static json_t *jstr(const char *s)
{
    if (!s) s = "";
    json_t *j = json_string(s);
    if (j) return j;
    char *clean = utf8_sanitize(s, strlen(s), NULL);
    j = clean ? json_string(clean) : NULL;
    free(clean);
    return j;
}

static int json_row(const struct tidy *t, void *payload)
{
    json_t *rows = payload, *o = json_object();
    if (!o) return VSC_ERR_NOMEM;
    int bad = 0;
    for (int c = 0; c < N_TEXT_COLS; c++)
        bad |= json_object_set_new(o, COLUMNS[c], jstr(t->text[c]));
    bad |= json_object_set_new(o, "value", jout_num(t->value));
    bad |= json_object_set_new(o, "ci_low", jout_num(t->lo));
    bad |= json_object_set_new(o, "ci_high", jout_num(t->hi));
    bad |= json_array_append_new(rows, o);
    return bad ? VSC_ERR_NOMEM : 0;
}

int vsc_report_write_json(FILE *fp, const struct vsc_report *r)
{
    json_t *root = json_object(), *rows = json_array();
    int rc = VSC_ERR_NOMEM;
    if (!root || !rows) goto fail;
    for (int sec = 0; sec < N_SEC; sec++)
        if ((rc = tidy_foreach(r, sec, json_row, rows))) goto fail;
    rc = VSC_ERR_NOMEM;
    if (json_object_set_new(root, "tool", json_string("valscope")) ||
        json_object_set_new(root, "version", json_string(VSC_VERSION)) ||
        json_object_set(root, "rows", rows))
        goto fail;
    rc = json_dumpf(root, fp, JSON_INDENT(1) | JSON_REAL_PRECISION(10)) ? VSC_ERR_IO : 0;
    if (!rc && fputc('\n', fp) == EOF) rc = VSC_ERR_IO;
fail:
    json_decref(rows);
    json_decref(root);
    return rc;
}
