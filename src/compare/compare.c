/* Profiles (copied score records), the leaderboard, alignment to targets and drift.
 *
 * Uncertainty: each record's mean is taken as normal with SE = CI width / (2 z), where z is
 * the normal quantile of the level the records were scored at. Resamples draw every mean
 * independently from its normal. That ignores covariance between dimensions of one profile
 * (MRAT centring makes it negative); docs/report.md says so. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"
#include "util/util.h"
#include "valscope/compare.h"

struct prec {
    struct vsc_score_record r;
    double se;
};

struct vsc_profiles {
    struct prec *recs;
    size_t n, alloc;
    double level;
};

int vsc_profiles_new(struct vsc_profiles **out, double level)
{
    *out = calloc(1, sizeof(**out));
    if (!*out) return VSC_ERR_NOMEM;
    (*out)->level = level > 0 && level < 1 ? level : 0.95;
    return 0;
}

static void rec_free_strings(struct vsc_score_record *r)
{
    free((char *)r->model);
    free((char *)r->run);
    free((char *)r->condition);
    free((char *)r->system);
    free((char *)r->instrument);
    free((char *)r->kind);
    free((char *)r->dimension);
}

void vsc_profiles_free(struct vsc_profiles *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n; i++)
        rec_free_strings(&p->recs[i].r);
    free(p->recs);
    free(p);
}

int vsc_profiles_add(struct vsc_profiles *p, const struct vsc_score_record *rec)
{
    if (p->n == p->alloc) {
        size_t na = p->alloc ? 2 * p->alloc : 64;
        struct prec *nr = realloc(p->recs, na * sizeof(*nr));
        if (!nr) return VSC_ERR_NOMEM;
        p->recs = nr;
        p->alloc = na;
    }
    struct prec *d = &p->recs[p->n];
    d->r = *rec;
    d->r.norms = NULL;
    d->r.n_norms = 0;
    d->r.model = xstrdup(rec->model ? rec->model : "");
    d->r.run = xstrdup(rec->run ? rec->run : "");
    d->r.condition = xstrdup(rec->condition ? rec->condition : "");
    d->r.system = xstrdup(rec->system ? rec->system : "");
    d->r.instrument = xstrdup(rec->instrument ? rec->instrument : "");
    d->r.kind = xstrdup(rec->kind ? rec->kind : "value");
    d->r.dimension = xstrdup(rec->dimension ? rec->dimension : "");
    if (!d->r.model || !d->r.run || !d->r.condition || !d->r.system || !d->r.instrument ||
        !d->r.kind || !d->r.dimension) {
        rec_free_strings(&d->r);
        return VSC_ERR_NOMEM;
    }
    double z = st_norm_quantile(0.5 + p->level / 2);
    d->se = NAN;
    if (isfinite(rec->ci_low) && isfinite(rec->ci_high) && rec->ci_high >= rec->ci_low)
        d->se = (rec->ci_high - rec->ci_low) / (2 * z);
    p->n++;
    return 0;
}

static int add_cb(const struct vsc_score_record *rec, void *payload)
{
    return vsc_profiles_add(payload, rec);
}

static int profiles_from_store(struct vsc_profiles **out, struct vsc_store *store,
                               const struct vsc_score_opts *opts, struct vsc_diag *diag)
{
    int rc = vsc_profiles_new(out, opts ? opts->level : 0);
    if (rc) return rc;
    rc = vsc_score_store(store, opts, add_cb, *out, diag);
    if (rc) {
        vsc_profiles_free(*out);
        *out = NULL;
    }
    return rc;
}

int vsc_profiles_from_store(struct vsc_profiles **out, struct vsc_store *store,
                            const struct vsc_score_opts *opts, struct vsc_diag *diag)
{
    vsc_diag_clear(diag);
    return vsc_store_diag(diag, store, profiles_from_store(out, store, opts, diag));
}

size_t vsc_profiles_count(const struct vsc_profiles *p)
{
    return p ? p->n : 0;
}

const struct vsc_score_record *vsc_profiles_get(const struct vsc_profiles *p, size_t i)
{
    return i < p->n ? &p->recs[i].r : NULL;
}

double vsc_profiles_se(const struct vsc_profiles *p, size_t i)
{
    return i < p->n ? p->recs[i].se : NAN;
}

/* ---- shared ----------------------------------------------------------------------------- */

struct copts {
    size_t n_boot; /* 0: no resampling */
    uint64_t seed;
    double level;
};

static struct copts get_opts(const struct vsc_compare_opts *o)
{
    struct copts c = {1000, 0, 0.95};
    if (o) {
        if (o->n_boot < 0)
            c.n_boot = 0;
        else if (o->n_boot > 0)
            c.n_boot = (size_t)o->n_boot;
        c.seed = o->seed;
        if (o->level > 0 && o->level < 1) c.level = o->level;
    }
    return c;
}

/* A seed that depends on the group compared, not on what was compared before it. */
static void seed_for(struct rng *r, uint64_t seed, const char *a, const char *b, const char *c,
                     const char *d, const char *e)
{
    uint64_t h = seed * 0x9E3779B97F4A7C15ULL;
    const char *parts[5] = {a, b, c, d, e};
    for (int i = 0; i < 5; i++)
        h = (h ^ hash64(parts[i] ? parts[i] : "")) * 0x100000001B3ULL;
    rng_seed(r, h);
}

static int streq(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Percentile CI of the finite values among `x` (sorted in place). */
static void pct_ci(double *lo, double *hi, double *x, size_t n, double level)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i])) x[k++] = x[i];
    *lo = *hi = NAN;
    if (k < 2) return;
    qsort(x, k, sizeof(*x), cmp_double);
    *lo = st_quantile_sorted(x, k, (1 - level) / 2);
    *hi = st_quantile_sorted(x, k, 1 - (1 - level) / 2);
}

/* ---- leaderboard ------------------------------------------------------------------------ */

static int same_board(const struct vsc_score_record *a, const struct vsc_score_record *b)
{
    return streq(a->instrument, b->instrument) && streq(a->condition, b->condition) &&
           streq(a->kind, b->kind) && streq(a->dimension, b->dimension);
}

int vsc_compare_leaderboard(const struct vsc_profiles *p, const struct vsc_compare_opts *opts,
                            vsc_leader_cb cb, void *payload)
{
    struct copts o = get_opts(opts);
    char *done = calloc(p->n + 1, 1);
    size_t *idx = malloc((p->n + 1) * sizeof(*idx));
    size_t *rank = malloc((p->n + 1) * sizeof(*rank));
    size_t *keep = malloc((p->n + 1) * sizeof(*keep));
    double *draw = malloc((p->n + 1) * sizeof(*draw));
    int rc = VSC_ERR_NOMEM;
    if (!done || !idx || !rank || !keep || !draw) goto fail;
    for (size_t i = 0; i < p->n; i++) {
        if (done[i]) continue;
        const struct vsc_score_record *g = &p->recs[i].r;
        size_t m = 0;
        int all_se = 1;
        for (size_t j = i; j < p->n; j++) {
            if (done[j] || !same_board(g, &p->recs[j].r)) continue;
            done[j] = 1;
            if (!isfinite(p->recs[j].r.mean)) continue;
            idx[m++] = j;
            if (!isfinite(p->recs[j].se)) all_se = 0;
        }
        for (size_t a = 0; a < m; a++) {
            rank[a] = 1;
            keep[a] = 0;
            for (size_t b = 0; b < m; b++)
                if (p->recs[idx[b]].r.mean > p->recs[idx[a]].r.mean) rank[a]++;
        }
        size_t n_boot = all_se ? o.n_boot : 0;
        struct rng r;
        seed_for(&r, o.seed, g->instrument, g->condition, g->kind, g->dimension, "rank");
        for (size_t s = 0; s < n_boot; s++) {
            for (size_t a = 0; a < m; a++)
                draw[a] = p->recs[idx[a]].r.mean + p->recs[idx[a]].se * rng_normal(&r);
            for (size_t a = 0; a < m; a++) {
                size_t rk = 1;
                for (size_t b = 0; b < m; b++)
                    if (draw[b] > draw[a]) rk++;
                if (rk == rank[a]) keep[a]++;
            }
        }
        for (size_t a = 0; a < m; a++) {
            const struct vsc_score_record *e = &p->recs[idx[a]].r;
            struct vsc_leader_row row = {
                .instrument = e->instrument,
                .system = e->system,
                .condition = e->condition,
                .kind = e->kind,
                .dimension = e->dimension,
                .model = e->model,
                .run = e->run,
                .mean = e->mean,
                .ci_low = e->ci_low,
                .ci_high = e->ci_high,
                .rank = rank[a],
                .n_entries = m,
                .p_keep_rank = n_boot ? (double)keep[a] / (double)n_boot : NAN,
            };
            if ((rc = cb(&row, payload))) goto fail;
        }
    }
    rc = 0;
fail:
    free(done);
    free(idx);
    free(rank);
    free(keep);
    free(draw);
    return rc;
}

/* ---- alignment -------------------------------------------------------------------------- */

static int same_profile(const struct vsc_score_record *a, const struct vsc_score_record *b)
{
    return streq(a->model, b->model) && streq(a->run, b->run) &&
           streq(a->condition, b->condition) && streq(a->instrument, b->instrument);
}

static int align_one(const struct vsc_profiles *p, size_t first, const struct vsc_target *t,
                     const struct copts *o, vsc_align_cb cb, void *payload)
{
    const struct vsc_score_record *g = &p->recs[first].r;
    size_t nd = t->n_dims;
    double *m = malloc(nd * sizeof(*m)), *se = malloc(nd * sizeof(*se));
    double *tt = malloc(nd * sizeof(*tt)), *w = malloc(nd * sizeof(*w));
    double *mb = malloc(nd * sizeof(*mb));
    double *boot = malloc((o->n_boot + 1) * VSC_ALIGN_N * sizeof(*boot));
    int rc = VSC_ERR_NOMEM;
    if (!m || !se || !tt || !w || !mb || !boot) goto fail;
    size_t k = 0;
    int all_se = 1;
    for (size_t d = 0; d < nd; d++) {
        for (size_t j = first; j < p->n; j++) {
            const struct prec *e = &p->recs[j];
            if (!streq(e->r.kind, "value") || !same_profile(g, &e->r) ||
                !streq(e->r.dimension, t->dims[d]) || !isfinite(e->r.mean))
                continue;
            m[k] = e->r.mean;
            se[k] = e->se;
            tt[k] = t->scores[d];
            w[k] = t->weights[d];
            if (!isfinite(e->se)) all_se = 0;
            k++;
            break;
        }
    }
    struct vsc_align_row row = {.model = g->model,
                                .run = g->run,
                                .condition = g->condition,
                                .instrument = g->instrument,
                                .target = t->id,
                                .n_dims = k};
    vsc_align_metrics(row.value, m, tt, w, k);
    for (int q = 0; q < VSC_ALIGN_N; q++)
        row.ci_low[q] = row.ci_high[q] = NAN;
    size_t n_boot = all_se && k >= 2 ? o->n_boot : 0;
    if (n_boot) {
        struct rng r;
        seed_for(&r, o->seed, g->model, g->run, g->condition, g->instrument, t->id);
        for (size_t s = 0; s < n_boot; s++) {
            for (size_t d = 0; d < k; d++)
                mb[d] = m[d] + se[d] * rng_normal(&r);
            double v[VSC_ALIGN_N];
            vsc_align_metrics(v, mb, tt, w, k);
            for (int q = 0; q < VSC_ALIGN_N; q++)
                boot[q * n_boot + s] = v[q];
        }
        for (int q = 0; q < VSC_ALIGN_N; q++)
            pct_ci(&row.ci_low[q], &row.ci_high[q], boot + q * n_boot, n_boot, o->level);
    }
    rc = cb(&row, payload);
fail:
    free(m);
    free(se);
    free(tt);
    free(w);
    free(mb);
    free(boot);
    return rc;
}

int vsc_compare_align(const struct vsc_profiles *p, const struct vsc_target *const *targets,
                      size_t n_targets, const struct vsc_compare_opts *opts, vsc_align_cb cb,
                      void *payload)
{
    struct copts o = get_opts(opts);
    for (size_t i = 0; i < p->n; i++) {
        const struct vsc_score_record *g = &p->recs[i].r;
        if (!streq(g->kind, "value")) continue;
        /* Only the first record of each profile starts it. */
        size_t j = 0;
        while (j < i && !(streq(p->recs[j].r.kind, "value") && same_profile(&p->recs[j].r, g)))
            j++;
        if (j < i) continue;
        for (size_t t = 0; t < n_targets; t++) {
            if (!streq(targets[t]->system, g->system)) continue;
            int rc = align_one(p, i, targets[t], &o, cb, payload);
            if (rc) return rc;
        }
    }
    return 0;
}

/* ---- drift ------------------------------------------------------------------------------ */

static const char *field(const struct vsc_score_record *r, int by)
{
    return by == VSC_DRIFT_RUN ? r->run : by == VSC_DRIFT_MODEL ? r->model : r->condition;
}

/* Same family: equal in every field but `by` (and the dimension). */
static int same_family(const struct vsc_score_record *a, const struct vsc_score_record *b, int by)
{
    return streq(a->instrument, b->instrument) &&
           (by == VSC_DRIFT_MODEL || streq(a->model, b->model)) &&
           (by == VSC_DRIFT_RUN || streq(a->run, b->run)) &&
           (by == VSC_DRIFT_CONDITION || streq(a->condition, b->condition));
}

static int drift_spec_parse(struct vsc_drift_spec *out, char *text, struct vsc_diag *diag)
{
    char *c1 = strchr(text, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c1 || !c2 || strchr(c2 + 1, ':') || c1 == text || c2 == c1 + 1 || !c2[1])
        return vsc_diag_set(diag, "--drift", 0, 0,
                            "expected condition:A:B, run:A:B or model:A:B, not '%s'", text);
    *c1 = *c2 = 0;
    if (streq(text, "condition"))
        out->by = VSC_DRIFT_CONDITION;
    else if (streq(text, "run"))
        out->by = VSC_DRIFT_RUN;
    else if (streq(text, "model"))
        out->by = VSC_DRIFT_MODEL;
    else {
        *c1 = *c2 = ':';
        return vsc_diag_set(diag, "--drift", 0, 0, "drift is by condition, run or model, not '%s'",
                            text);
    }
    out->a = c1 + 1;
    out->b = c2 + 1;
    return 0;
}

int vsc_drift_spec_parse(struct vsc_drift_spec *out, char *text, struct vsc_diag *diag)
{
    vsc_diag_clear(diag);
    return vsc_diag_finish(diag, drift_spec_parse(out, text, diag));
}

static int drift_family(const struct vsc_profiles *p, size_t first, const struct vsc_drift_spec *s,
                        const struct copts *o, char *done, vsc_drift_cb cb, void *payload)
{
    const struct vsc_score_record *g = &p->recs[first].r;
    struct vsc_drift_row *rows = calloc(p->n, sizeof(*rows));
    double *pv = malloc(p->n * sizeof(*pv)), *adj = malloc(p->n * sizeof(*adj));
    int rc = VSC_ERR_NOMEM;
    if (!rows || !pv || !adj) goto fail;
    double zc = st_norm_quantile(0.5 + o->level / 2);
    size_t m = 0;
    for (size_t i = first; i < p->n; i++) {
        const struct prec *a = &p->recs[i];
        if (done[i] || !streq(field(&a->r, s->by), s->a) || !same_family(g, &a->r, s->by)) continue;
        done[i] = 1;
        const struct prec *b = NULL;
        for (size_t j = 0; j < p->n && !b; j++) {
            const struct prec *c = &p->recs[j];
            if (streq(field(&c->r, s->by), s->b) && same_family(&a->r, &c->r, s->by) &&
                streq(c->r.kind, a->r.kind) && streq(c->r.dimension, a->r.dimension))
                b = c;
        }
        if (!b) continue;
        struct vsc_drift_row *r = &rows[m];
        r->by = s->by;
        r->a = s->a;
        r->b = s->b;
        r->model = a->r.model;
        r->run = a->r.run;
        r->condition = a->r.condition;
        r->instrument = a->r.instrument;
        r->kind = a->r.kind;
        r->dimension = a->r.dimension;
        r->mean_a = a->r.mean;
        r->mean_b = b->r.mean;
        r->diff = b->r.mean - a->r.mean;
        double se = sqrt(a->se * a->se + b->se * b->se);
        r->ci_low = r->ci_high = r->z = r->p = NAN;
        if (isfinite(r->diff) && isfinite(se)) {
            r->ci_low = r->diff - zc * se;
            r->ci_high = r->diff + zc * se;
            if (se > 0) {
                r->z = r->diff / se;
                r->p = 2 * st_norm_cdf(-fabs(r->z));
            } else if (r->diff == 0) {
                r->z = 0;
                r->p = 1;
            }
        }
        pv[m] = r->p;
        m++;
    }
    if ((rc = vsc_holm(adj, pv, m))) goto fail;
    size_t n_fam = 0;
    for (size_t i = 0; i < m; i++)
        n_fam += !isnan(pv[i]);
    for (size_t i = 0; i < m; i++) {
        rows[i].p_holm = adj[i];
        rows[i].n_family = n_fam;
        if ((rc = cb(&rows[i], payload))) goto fail;
    }
    rc = 0;
fail:
    free(rows);
    free(pv);
    free(adj);
    return rc;
}

int vsc_compare_drift(const struct vsc_profiles *p, const struct vsc_drift_spec *specs,
                      size_t n_specs, const struct vsc_compare_opts *opts, vsc_drift_cb cb,
                      void *payload)
{
    struct copts o = get_opts(opts);
    char *done = malloc(p->n + 1);
    if (!done) return VSC_ERR_NOMEM;
    int rc = 0;
    for (size_t s = 0; s < n_specs && !rc; s++) {
        memset(done, 0, p->n + 1);
        for (size_t i = 0; i < p->n && !rc; i++) {
            if (done[i] || !streq(field(&p->recs[i].r, specs[s].by), specs[s].a)) continue;
            rc = drift_family(p, i, &specs[s], &o, done, cb, payload);
        }
    }
    free(done);
    return rc;
}
