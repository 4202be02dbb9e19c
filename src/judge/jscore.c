/* Scores from judge replies. The unit of resampling is one probe answer (probe x sample of a
 * model under a condition); a unit holds the sum and count of the values read from it for a
 * dimension (one for lean and stance, one per relevant perception for GPV), and a dimension's
 * score is the pooled ratio sum / count, bootstrapped over units. Unreadable replies are
 * counted, never scored. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "judge/judge_int.h"
#include "judge/stage.h"
#include "stats/stats.h"
#include "util/util.h"

/* One dimension of one (model, condition) group. */
struct dacc {
    double *num, *den;  /* per unit: value sum and count */
    double *rel, *read; /* stance: per unit related (0/1) and read (0/1) */
    size_t n_units;
    size_t n, n_read, n_unparseable, n_failed, n_pending;
    size_t n_items;
};

struct group {
    const struct judge_ctx *ctx;
    struct dacc *d;
    size_t n_dims;
    size_t cap_units;
};

static int unit_push(struct dacc *a, size_t cap)
{
    if (a->n_units >= cap) return VSC_ERR_INTERNAL;
    a->num[a->n_units] = a->den[a->n_units] = 0;
    a->rel[a->n_units] = a->read[a->n_units] = 0;
    a->n_units++;
    return 0;
}

static void count_outcome(struct dacc *a, enum judge_outcome o)
{
    if (o == JO_PENDING)
        a->n_pending++;
    else if (o == JO_FAILED)
        a->n_failed++;
    else if (o == JO_UNPARSEABLE)
        a->n_unparseable++;
}

static void add_value(struct dacc *a, double v)
{
    a->num[a->n_units - 1] += v;
    a->den[a->n_units - 1] += 1;
    a->n++;
}

/* Reads everything the judge said about one probe answer into the group's accumulators. */
static int score_unit(struct group *g, const struct judge_row *probe)
{
    const struct judge_ctx *c = g->ctx;
    const struct vsc_value_system *vs = c->vs;
    long ii = vsc_instrument_find_item(c->ins, probe->item);
    const struct vsc_item *it = ii >= 0 ? &c->ins->items[ii] : NULL;
    int own_dim = it && it->dimension ? vsc_value_system_find(vs, it->dimension) : -1;
    int rc = 0;
    /* lean scores a probe on its own dimension only; the others read every dimension */
    for (size_t d = 0; d < g->n_dims && !rc; d++)
        if (c->spec.protocol != JP_LEAN || (int)d == own_dim)
            rc = unit_push(&g->d[d], g->cap_units);
    if (rc) return rc;
    enum judge_outcome po = judge_cell_state(probe);
    if (po != JO_OK) { /* the probe itself has no answer: no judge cell exists for it */
        for (size_t d = 0; d < g->n_dims; d++)
            if (c->spec.protocol != JP_LEAN || (int)d == own_dim) count_outcome(&g->d[d], po);
        return 0;
    }
    struct judge_reading r = {0};
    char *ins = NULL, *item = NULL;
    switch (c->spec.protocol) {
    case JP_LEAN: {
        if (own_dim < 0) break;
        ins = judge_instrument_name(c->label, JS_LEAN);
        item = judge_item_id(probe, -1, NULL);
        if (!ins || !item) goto nomem;
        if ((rc = judge_read(&r, &c->rows, ins, item, JS_LEAN, vs))) break;
        struct dacc *a = &g->d[own_dim];
        if (r.outcome != JO_OK)
            count_outcome(a, r.outcome);
        else {
            a->n_read++;
            add_value(a, it->key < 0 ? 10 - r.rating : r.rating);
        }
        break;
    }
    case JP_STANCE: {
        ins = judge_instrument_name(c->label, JS_STANCE);
        if (!ins) goto nomem;
        if (!c->spec.stance_each) {
            item = judge_item_id(probe, -1, NULL);
            int *st = calloc(vs->n_dims ? vs->n_dims : 1, sizeof *st);
            if (!item || !st) {
                free(st);
                goto nomem;
            }
            r.stances = st;
            rc = judge_read(&r, &c->rows, ins, item, JS_STANCE, vs);
            for (size_t d = 0; !rc && d < vs->n_dims; d++) {
                struct dacc *a = &g->d[d];
                if (r.outcome != JO_OK)
                    count_outcome(a, r.outcome);
                else if (st[d] == JUDGE_UNREAD)
                    a->n_unparseable++;
                else {
                    a->n_read++;
                    a->read[a->n_units - 1] = 1;
                    if (st[d] != 0) {
                        a->rel[a->n_units - 1] = 1;
                        add_value(a, st[d]);
                    }
                }
            }
            free(st);
            break;
        }
        for (size_t d = 0; !rc && d < vs->n_dims; d++) {
            free(item);
            if (!(item = judge_item_id(probe, -1, vs->dims[d].id))) goto nomem;
            if ((rc = judge_read(&r, &c->rows, ins, item, JS_STANCE, vs))) break;
            struct dacc *a = &g->d[d];
            if (r.outcome != JO_OK)
                count_outcome(a, r.outcome);
            else {
                a->n_read++;
                a->read[a->n_units - 1] = 1;
                if (r.stance != 0) {
                    a->rel[a->n_units - 1] = 1;
                    add_value(a, r.stance);
                }
            }
        }
        break;
    }
    case JP_GPV: {
        ins = judge_instrument_name(c->label, JS_EXTRACT);
        item = judge_item_id(probe, -1, NULL);
        if (!ins || !item) goto nomem;
        if ((rc = judge_read(&r, &c->rows, ins, item, JS_EXTRACT, vs))) break;
        if (r.outcome != JO_OK) {
            for (size_t d = 0; d < vs->n_dims; d++)
                count_outcome(&g->d[d], r.outcome);
            break;
        }
        char *rel_ins = judge_instrument_name(c->label, JS_RELEVANCE);
        char *val_ins = judge_instrument_name(c->label, JS_VALENCE);
        if (!rel_ins || !val_ins) rc = VSC_ERR_NOMEM;
        for (size_t k = 0; !rc && k < json_array_size(r.perceptions); k++) {
            for (size_t d = 0; !rc && d < vs->n_dims; d++) {
                struct dacc *a = &g->d[d];
                char *pid = judge_item_id(probe, (int)k, vs->dims[d].id);
                struct judge_reading rel = {0}, val = {0};
                if (!pid) {
                    rc = VSC_ERR_NOMEM;
                    break;
                }
                rc = judge_read(&rel, &c->rows, rel_ins, pid, JS_RELEVANCE, vs);
                if (!rc && rel.outcome != JO_OK)
                    count_outcome(a, rel.outcome);
                else if (!rc && rel.p[0] > 0.5) {
                    rc = judge_read(&val, &c->rows, val_ins, pid, JS_VALENCE, vs);
                    if (!rc && val.outcome != JO_OK)
                        count_outcome(a, val.outcome);
                    else if (!rc) {
                        a->n_read++;
                        /* skipped when "either" is the most likely valence */
                        if (!(val.p[2] > val.p[0] && val.p[2] > val.p[1]))
                            add_value(a, val.p[0] - val.p[1]);
                    }
                } else if (!rc) {
                    a->n_read++; /* read: not relevant */
                }
                free(pid);
            }
        }
        free(rel_ins);
        free(val_ins);
        break;
    }
    }
    judge_reading_clear(&r);
    free(ins);
    free(item);
    return rc;
nomem:
    judge_reading_clear(&r);
    free(ins);
    free(item);
    return VSC_ERR_NOMEM;
}

struct score_run {
    struct vsc_store *store;
    const struct vsc_score_opts *opts;
    vsc_score_cb cb;
    void *payload;
    struct vsc_diag *diag;
    const char *run;
};

static double unit_sd(const struct dacc *a, double *work)
{
    size_t m = 0;
    for (size_t u = 0; u < a->n_units; u++)
        if (a->den[u] > 0) work[m++] = a->num[u] / a->den[u];
    return st_sd(work, m);
}

static int emit(struct score_run *s, const struct judge_ctx *c, const char *model,
                const char *condition, struct group *g)
{
    int n_boot = s->opts && s->opts->n_boot ? s->opts->n_boot : 1000;
    double level = s->opts && s->opts->level > 0 ? s->opts->level : 0.95;
    char *instrument = xasprintf("%s#%s", c->label, c->spec.protocol_name);
    size_t cap = g->cap_units > (size_t)(n_boot > 0 ? n_boot : 0)
                     ? g->cap_units
                     : (size_t)(n_boot > 0 ? n_boot : 0);
    double *work = malloc((cap ? cap : 1) * sizeof *work);
    int rc = instrument && work ? 0 : VSC_ERR_NOMEM;
    for (size_t d = 0; !rc && d < g->n_dims; d++) {
        struct dacc *a = &g->d[d];
        const char *dim = c->vs->dims[d].id;
        for (int kind = 0; kind < (c->spec.protocol == JP_STANCE ? 2 : 1) && !rc; kind++) {
            const double *num = kind ? a->rel : a->num, *den = kind ? a->read : a->den;
            double sn = 0, sd = 0;
            for (size_t u = 0; u < a->n_units; u++)
                sn += num[u], sd += den[u];
            struct vsc_score_record r = {.model = model,
                                         .run = s->run,
                                         .condition = condition,
                                         .system = c->vs->id,
                                         .instrument = instrument,
                                         .kind = kind ? "related" : "value",
                                         .protocol = c->spec.protocol_name,
                                         .dimension = dim,
                                         .mean = sd > 0 ? sn / sd : NAN,
                                         .sd = kind ? NAN : unit_sd(a, work),
                                         .n = kind ? a->n_read : a->n,
                                         .n_items = a->n_items,
                                         .ci_low = NAN,
                                         .ci_high = NAN,
                                         .alpha = NAN,
                                         .omega = NAN,
                                         .retest = NAN,
                                         .n_unparseable = a->n_unparseable,
                                         .n_failed = a->n_failed,
                                         .n_pending = a->n_pending,
                                         .entropy = NAN};
            size_t given = a->n_read + a->n_unparseable;
            r.unparseable = given ? (double)a->n_unparseable / (double)given : NAN;
            for (size_t u = 0; u < a->n_units; u++)
                r.n_respondents += den[u] > 0;
            if (n_boot > 0 && sd > 0) {
                /* the seed depends on what is scored, not on the order it is scored in */
                struct rng rng;
                char *tag =
                    xasprintf("%s|%s|%s|%s|%s|%d", s->run, model, condition, instrument, dim, kind);
                rng_seed(&rng, (s->opts ? s->opts->seed : 0) ^ hash64(tag ? tag : ""));
                free(tag);
                st_bootstrap_ratio_ci(&r.ci_low, &r.ci_high, num, den, a->n_units, (size_t)n_boot,
                                      level, &rng, work);
            }
            rc = s->cb(&r, s->payload);
        }
    }
    free(work);
    free(instrument);
    return rc;
}

static int probe_cmp(const void *x, const void *y)
{
    const struct judge_row *a = *(const struct judge_row *const *)x;
    const struct judge_row *b = *(const struct judge_row *const *)y;
    int c = strcmp(a->model, b->model);
    if (!c) c = strcmp(a->condition, b->condition);
    if (!c) c = strcmp(a->item, b->item);
    if (!c) c = (a->sample > b->sample) - (a->sample < b->sample);
    return c;
}

static int score_entry(const char *label, const char *kind, const char *arg, const char *base_dir,
                       const char *options, void *payload)
{
    struct score_run *s = payload;
    struct judge_ctx ctx = {0};
    int rc = judge_spec_read(&ctx.spec, options, label, s->diag);
    if (rc <= 0) return rc;
    const struct judge_row **probes = NULL;
    struct group g = {0};
    if ((rc = judge_ctx_open(&ctx, s->store, s->run, label, kind, arg, base_dir, s->diag)))
        goto done;
    size_t n = 0;
    probes = malloc((ctx.rows.n ? ctx.rows.n : 1) * sizeof *probes);
    g.ctx = &ctx;
    g.n_dims = ctx.vs->n_dims;
    g.d = calloc(g.n_dims ? g.n_dims : 1, sizeof *g.d);
    if (!probes || !g.d) {
        rc = VSC_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < ctx.rows.n; i++)
        if (!strcmp(ctx.rows.v[i].instrument, label)) probes[n++] = &ctx.rows.v[i];
    if (n) qsort(probes, n, sizeof *probes, probe_cmp);
    g.cap_units = n;
    for (size_t d = 0; d < g.n_dims; d++) {
        struct dacc *a = &g.d[d];
        a->num = malloc((n ? n : 1) * sizeof(double));
        a->den = malloc((n ? n : 1) * sizeof(double));
        a->rel = malloc((n ? n : 1) * sizeof(double));
        a->read = malloc((n ? n : 1) * sizeof(double));
        if (!a->num || !a->den || !a->rel || !a->read) {
            rc = VSC_ERR_NOMEM;
            goto done;
        }
        for (size_t i = 0; i < ctx.ins->n_items; i++)
            a->n_items += ctx.spec.protocol != JP_LEAN ||
                          (ctx.ins->items[i].dimension &&
                           !strcmp(ctx.ins->items[i].dimension, ctx.vs->dims[d].id));
    }
    for (size_t i = 0; i < n && !rc;) {
        size_t j = i;
        for (size_t d = 0; d < g.n_dims; d++) {
            struct dacc *a = &g.d[d];
            size_t keep = a->n_items;
            double *p1 = a->num, *p2 = a->den, *p3 = a->rel, *p4 = a->read;
            memset(a, 0, sizeof *a);
            a->num = p1, a->den = p2, a->rel = p3, a->read = p4, a->n_items = keep;
        }
        while (j < n && !strcmp(probes[j]->model, probes[i]->model) &&
               !strcmp(probes[j]->condition, probes[i]->condition) && !rc)
            rc = score_unit(&g, probes[j++]);
        if (!rc) rc = emit(s, &ctx, probes[i]->model, probes[i]->condition, &g);
        i = j;
    }
done:
    for (size_t d = 0; g.d && d < g.n_dims; d++)
        free(g.d[d].num), free(g.d[d].den), free(g.d[d].rel), free(g.d[d].read);
    free(g.d);
    free(probes);
    judge_ctx_close(&ctx);
    return rc;
}

struct runs {
    char **v;
    size_t n;
};

static int run_cb(const char *run, const char *config_text, void *payload)
{
    struct runs *r = payload;
    char **v = realloc(r->v, (r->n + 1) * sizeof *v);
    if (!v) return VSC_ERR_NOMEM;
    r->v = v;
    return (v[r->n++] = xstrdup(run)) ? 0 : VSC_ERR_NOMEM;
}

static int judge_score(struct vsc_store *store, const struct vsc_score_opts *opts, vsc_score_cb cb,
                       void *payload, struct vsc_diag *diag)
{
    struct runs runs = {0};
    int rc = 0;
    if (opts && opts->run)
        rc = run_cb(opts->run, NULL, &runs);
    else
        rc = vsc_store_foreach_run(store, run_cb, &runs);
    if (rc < 0 && rc != VSC_ERR_NOMEM) rc = VSC_ERR_STORE;
    for (size_t i = 0; !rc && i < runs.n; i++) {
        struct score_run s = {.store = store,
                              .opts = opts,
                              .cb = cb,
                              .payload = payload,
                              .diag = diag,
                              .run = runs.v[i]};
        rc = judge_entries_foreach(store, runs.v[i], score_entry, &s);
    }
    for (size_t i = 0; i < runs.n; i++)
        free(runs.v[i]);
    free(runs.v);
    return rc;
}

int vsc_judge_score(struct vsc_store *store, const struct vsc_score_opts *opts, vsc_score_cb cb,
                    void *payload, struct vsc_diag *diag)
{
    vsc_diag_clear(diag);
    return vsc_store_diag(diag, store, judge_score(store, opts, cb, payload, diag));
}
