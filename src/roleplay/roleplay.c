/* Role-play statistics from the store (formulas in docs/roleplay.md).
 *
 * Answers stream in the store's order (run, model, cell); everything of one (run, model) is
 * accumulated, emitted and dropped before the next, so memory grows with personas x
 * dimensions of one model, never with the number of answers. */
#include "valscope/roleplay.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plan/cell.h"
#include "stats/stats.h"
#include "util/jsonout.h"
#include "score/run_ins.h"
#include "util/util.h"
#include "valscope/instrument.h"

double vsc_roleplay_inertia(const double *counts, size_t k)
{
    if (k < 2) return NAN;
    double h = st_entropy_bits(counts, k);
    if (isnan(h)) return NAN;
    return 1.0 - h / log2((double)k);
}

double vsc_roleplay_steerability(const double *counts_a, const double *counts_b, size_t k)
{
    double sa = 0, sb = 0;
    for (size_t i = 0; i < k; i++)
        sa += counts_a[i], sb += counts_b[i];
    if (!(sa > 0) || !(sb > 0)) return NAN;
    return st_jsd(counts_a, counts_b, k);
}

/* ---- accumulation ------------------------------------------------------------------------- */

struct persona_acc {
    int seen;
    char *attrs_json;        /* the cell meta's "persona" object, or NULL */
    double *sum, *cnt;       /* per dimension: keyed option values */
    double all_sum, all_cnt; /* every item: the persona's mean rating (centring) */
};

struct seed_acc {
    long long seed;
    struct persona_acc *p; /* by persona index */
    size_t n;
};

struct ins_acc {
    char *label;
    struct vsc_instrument *ins; /* borrowed from the ins_entry */
    char **dims;
    size_t n_dims;
    size_t k;
    double vmin, vmax;
    double *base, *pers; /* n_dims x k answer counts */
    size_t *base_bad, *pers_bad;
    struct seed_acc *seeds;
    size_t n_seeds;
    char **file_ids; /* personas of a user's file, by index */
    size_t n_file_ids;
};

struct ins_entry {
    struct run_ins ri; /* first: run_ins_collect fills it */
    struct vsc_instrument *ins;
    int failed;
};

struct ctx {
    vsc_roleplay_cb cb;
    void *payload;
    struct vsc_diag *diag;
    struct ins_entry *ins;
    size_t n_ins;
    char *run, *model;
    struct ins_acc *accs;
    size_t n_accs;
    size_t *order;
    size_t order_cap;
};

static int find_instrument(struct ctx *c, const char *run, const char *id,
                           struct vsc_instrument **out)
{
    *out = NULL;
    for (size_t i = 0; i < c->n_ins; i++) {
        struct ins_entry *e = &c->ins[i];
        if (strcmp(e->ri.run, run) || strcmp(e->ri.id, id)) continue;
        if (!strcmp(e->ri.kind, "evolve")) return 0; /* scored by src/evolve/ */
        if (!e->ins) {
            int rc = vsc_instrument_load(&e->ins, e->ri.kind, e->ri.arg, e->ri.base_dir, c->diag);
            if (rc) return rc;
        }
        *out = e->ins;
        return 0;
    }
    return vsc_diag_set(c->diag, NULL, 0, 0, "instrument '%s' is not registered with run '%s'", id,
                        run);
}

static void seed_free(struct seed_acc *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->p[i].attrs_json);
        free(s->p[i].sum);
        free(s->p[i].cnt);
    }
    free(s->p);
}

static void acc_free(struct ins_acc *a)
{
    free(a->label);
    for (size_t i = 0; i < a->n_dims; i++)
        free(a->dims[i]);
    free(a->dims);
    free(a->base);
    free(a->pers);
    free(a->base_bad);
    free(a->pers_bad);
    for (size_t i = 0; i < a->n_seeds; i++)
        seed_free(&a->seeds[i]);
    free(a->seeds);
    for (size_t i = 0; i < a->n_file_ids; i++)
        free(a->file_ids[i]);
    free(a->file_ids);
}

static long dim_index(const struct ins_acc *a, const char *dim)
{
    for (size_t i = 0; i < a->n_dims; i++)
        if (!strcmp(a->dims[i], dim)) return (long)i;
    return -1;
}

static struct ins_acc *get_acc(struct ctx *c, const char *label, struct vsc_instrument *ins)
{
    for (size_t i = 0; i < c->n_accs; i++)
        if (!strcmp(c->accs[i].label, label)) return &c->accs[i];
    struct ins_acc *g = realloc(c->accs, (c->n_accs + 1) * sizeof *g);
    if (!g) return NULL;
    c->accs = g;
    struct ins_acc *a = &g[c->n_accs];
    memset(a, 0, sizeof *a);
    a->label = xstrdup(label);
    a->ins = ins;
    a->k = ins->n_options;
    a->dims = calloc(ins->n_items + 1, sizeof *a->dims);
    if (!a->label || !a->dims) goto fail;
    for (size_t i = 0; i < ins->n_items; i++) {
        const char *d = ins->items[i].dimension;
        if (!d || dim_index(a, d) >= 0) continue;
        if (!(a->dims[a->n_dims] = xstrdup(d))) goto fail;
        a->n_dims++;
    }
    a->vmin = a->vmax = ins->options[0].value;
    for (size_t i = 1; i < a->k; i++) {
        if (ins->options[i].value < a->vmin) a->vmin = ins->options[i].value;
        if (ins->options[i].value > a->vmax) a->vmax = ins->options[i].value;
    }
    size_t cells = (a->n_dims ? a->n_dims : 1) * a->k;
    a->base = calloc(cells, sizeof(double));
    a->pers = calloc(cells, sizeof(double));
    a->base_bad = calloc(a->n_dims + 1, sizeof(size_t));
    a->pers_bad = calloc(a->n_dims + 1, sizeof(size_t));
    if (!a->base || !a->pers || !a->base_bad || !a->pers_bad) goto fail;
    c->n_accs++;
    return a;
fail:
    acc_free(a);
    return NULL;
}

static struct persona_acc *get_persona(struct ins_acc *a, long long seed, long index)
{
    struct seed_acc *s = NULL;
    for (size_t i = 0; i < a->n_seeds; i++)
        if (a->seeds[i].seed == seed) s = &a->seeds[i];
    if (!s) {
        struct seed_acc *g = realloc(a->seeds, (a->n_seeds + 1) * sizeof *g);
        if (!g) return NULL;
        a->seeds = g;
        s = &g[a->n_seeds++];
        *s = (struct seed_acc){.seed = seed};
        /* seeds are kept in ascending order so records come out the same every time */
        while (s > a->seeds && s[-1].seed > s->seed) {
            struct seed_acc t = s[-1];
            s[-1] = *s;
            *s = t;
            s--;
        }
    }
    if ((size_t)index >= s->n) {
        size_t n = (size_t)index + 1, cap = s->n ? s->n : 8;
        while (cap < n)
            cap *= 2;
        struct persona_acc *p = realloc(s->p, cap * sizeof *p);
        if (!p) return NULL;
        memset(p + s->n, 0, (cap - s->n) * sizeof *p);
        s->p = p;
        s->n = cap;
    }
    struct persona_acc *p = &s->p[index];
    if (!p->seen) {
        size_t nd = a->n_dims ? a->n_dims : 1;
        p->sum = calloc(nd, sizeof(double));
        p->cnt = calloc(nd, sizeof(double));
        if (!p->sum || !p->cnt) return NULL;
        p->seen = 1;
    }
    return p;
}

/* Personas from a user's file have condition "persona:file:<id>"; they are grouped under
 * this pseudo seed (left out of seed correlations) and indexed in order of appearance. */
#define FILE_SEED (-2LL)

/* A persona condition (cell_condition_parse) -> 1 with its seed and index; "baseline" -> 0;
 * else -1. */
static int parse_condition(struct ins_acc *a, const char *cond, long long *seed, long *index)
{
    struct cell_condition cc;
    switch (cell_condition_parse(&cc, cond)) {
    case CELL_COND_BASELINE:
        return 0;
    case CELL_COND_PERSONA:
        *seed = cc.seed;
        *index = cc.index;
        return 1;
    case CELL_COND_PERSONA_FILE:
        break;
    default:
        return -1;
    }
    *seed = FILE_SEED;
    for (size_t i = 0; i < a->n_file_ids; i++)
        if (!strcmp(a->file_ids[i], cc.file_id)) {
            *index = (long)i;
            return 1;
        }
    char **g = realloc(a->file_ids, (a->n_file_ids + 1) * sizeof *g);
    if (!g) return -2;
    a->file_ids = g;
    if (!(g[a->n_file_ids] = xstrdup(cc.file_id))) return -2;
    *index = (long)a->n_file_ids++;
    return 1;
}

/* ---- emitting ----------------------------------------------------------------------------- */

static double persona_score(const struct ins_acc *a, const struct persona_acc *p, size_t d)
{
    if (!p->seen || !(p->cnt[d] > 0)) return NAN;
    double m = p->sum[d] / p->cnt[d];
    if (a->ins->centre && p->all_cnt > 0) m -= p->all_sum / p->all_cnt;
    return m;
}

static int emit(struct ctx *c, struct vsc_roleplay_record *r)
{
    r->run = c->run;
    r->model = c->model;
    return c->cb(r, c->payload);
}

static struct vsc_roleplay_record blank(const char *kind, const struct ins_acc *a)
{
    return (struct vsc_roleplay_record){.kind = kind,
                                        .instrument = a->label,
                                        .seed_a = -1,
                                        .seed_b = -1,
                                        .value = NAN,
                                        .mean = NAN,
                                        .mean_other = NAN,
                                        .variance = NAN,
                                        .sd = NAN};
}

static double sum_k(const double *v, size_t k)
{
    double s = 0;
    for (size_t i = 0; i < k; i++)
        s += v[i];
    return s;
}

static int emit_distributions(struct ctx *c, struct ins_acc *a)
{
    int rc = 0;
    for (size_t d = 0; d < a->n_dims && !rc; d++) {
        const double *b = a->base + d * a->k, *p = a->pers + d * a->k;
        double nb = sum_k(b, a->k), np = sum_k(p, a->k);
        if (nb > 0 || a->base_bad[d]) {
            struct vsc_roleplay_record r = blank("inertia", a);
            r.dimension = a->dims[d];
            r.condition = "baseline";
            r.value = vsc_roleplay_inertia(b, a->k);
            r.n = (size_t)nb;
            r.n_unparseable = a->base_bad[d];
            rc = emit(c, &r);
        }
        if (!rc && (np > 0 || a->pers_bad[d])) {
            struct vsc_roleplay_record r = blank("inertia", a);
            r.dimension = a->dims[d];
            r.condition = "persona";
            r.value = vsc_roleplay_inertia(p, a->k);
            r.n = (size_t)np;
            r.n_unparseable = a->pers_bad[d];
            rc = emit(c, &r);
        }
        if (!rc && nb > 0 && np > 0) {
            struct vsc_roleplay_record r = blank("steerability", a);
            r.dimension = a->dims[d];
            r.value = vsc_roleplay_steerability(b, p, a->k);
            r.n = (size_t)np;
            r.n_other = (size_t)nb;
            rc = emit(c, &r);
        }
    }
    return rc;
}

/* A persona attribute value as a level name: text as is, numbers as digits, except ages,
 * which are grouped by decade so each level has enough personas. */
static char *level_name(const char *attr, json_t *v)
{
    if (json_is_string(v)) return xstrdup(json_string_value(v));
    if (json_is_integer(v)) {
        long long x = json_integer_value(v);
        if (!strcmp(attr, "age")) return xasprintf("%lld-%lld", x / 10 * 10, x / 10 * 10 + 9);
        return xasprintf("%lld", x);
    }
    if (json_is_real(v)) return xasprintf("%g", json_real_value(v));
    if (json_is_boolean(v)) return xstrdup(json_is_true(v) ? "true" : "false");
    return NULL;
}

struct flat_persona {
    json_t *attrs;
    const struct persona_acc *p;
};

static int emit_effect_sizes(struct ctx *c, struct ins_acc *a)
{
    size_t np = 0, cap = 0;
    struct flat_persona *fp = NULL;
    char **levels = NULL; /* "attr\x1flevel" already done */
    size_t n_levels = 0;
    double *x1 = NULL, *x2 = NULL;
    int rc = 0;
    for (size_t s = 0; s < a->n_seeds; s++)
        for (size_t i = 0; i < a->seeds[s].n; i++) {
            const struct persona_acc *p = &a->seeds[s].p[i];
            if (!p->seen || !p->attrs_json) continue;
            json_t *o = json_loads(p->attrs_json, 0, NULL);
            if (!json_is_object(o)) {
                json_decref(o);
                continue;
            }
            if (np == cap) {
                cap = cap ? cap * 2 : 64;
                struct flat_persona *g = realloc(fp, cap * sizeof *g);
                if (!g) {
                    json_decref(o);
                    rc = VSC_ERR_NOMEM;
                    goto done;
                }
                fp = g;
            }
            fp[np++] = (struct flat_persona){o, p};
        }
    if (np < 4) goto done;
    x1 = malloc(np * sizeof *x1);
    x2 = malloc(np * sizeof *x2);
    if (!x1 || !x2) {
        rc = VSC_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < np && !rc; i++) {
        const char *attr;
        json_t *v;
        json_object_foreach(fp[i].attrs, attr, v)
        {
            char *lv = level_name(attr, v);
            if (!lv) continue;
            char *key = xasprintf("%s\x1f%s", attr, lv);
            int seen = !key;
            for (size_t j = 0; key && j < n_levels && !seen; j++)
                seen = !strcmp(levels[j], key);
            if (seen) {
                free(key);
                free(lv);
                if (!key) rc = VSC_ERR_NOMEM;
                if (rc) break;
                continue;
            }
            char **g = realloc(levels, (n_levels + 1) * sizeof *g);
            if (!g) {
                free(key);
                free(lv);
                rc = VSC_ERR_NOMEM;
                break;
            }
            levels = g;
            levels[n_levels++] = key;
            for (size_t d = 0; d < a->n_dims && !rc; d++) {
                size_t n1 = 0, n2 = 0;
                for (size_t j = 0; j < np; j++) {
                    double sc = persona_score(a, fp[j].p, d);
                    if (isnan(sc)) continue;
                    char *l2 = level_name(attr, json_object_get(fp[j].attrs, attr));
                    if (l2 && !strcmp(l2, lv))
                        x1[n1++] = sc;
                    else
                        x2[n2++] = sc;
                    free(l2);
                }
                if (n1 < 2 || n2 < 2) continue;
                struct vsc_roleplay_record r = blank("effect_size", a);
                r.dimension = a->dims[d];
                r.attribute = attr;
                r.level = lv;
                r.mean = st_mean(x1, n1);
                r.mean_other = st_mean(x2, n2);
                r.value = st_cohen_d(r.mean, st_sd(x1, n1), (double)n1, r.mean_other, st_sd(x2, n2),
                                     (double)n2);
                r.n = n1;
                r.n_other = n2;
                rc = emit(c, &r);
            }
            free(lv);
            if (rc) break;
        }
    }
done:
    for (size_t i = 0; i < np; i++)
        json_decref(fp[i].attrs);
    free(fp);
    for (size_t i = 0; i < n_levels; i++)
        free(levels[i]);
    free(levels);
    free(x1);
    free(x2);
    return rc;
}

/* Mean score of dimension d over the first `n` personas (by index) of seed s; NAN if none. */
static double seed_mean(const struct ins_acc *a, size_t s, size_t d, size_t n, size_t *out_k)
{
    double sum = 0;
    size_t k = 0;
    const struct seed_acc *sa = &a->seeds[s];
    for (size_t i = 0, used = 0; i < sa->n && used < n; i++) {
        if (!sa->p[i].seen) continue;
        used++;
        double sc = persona_score(a, &sa->p[i], d);
        if (!isnan(sc)) sum += sc, k++;
    }
    if (out_k) *out_k = k;
    return k ? sum / (double)k : NAN;
}

static size_t personas_in_seed(const struct seed_acc *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += s->p[i].seen;
    return n;
}

static int emit_seed_correlations(struct ctx *c, struct ins_acc *a)
{
    if (a->n_seeds < 2 || a->n_dims < 2) return 0;
    double *pa = malloc(a->n_dims * sizeof(double)), *pb = malloc(a->n_dims * sizeof(double));
    int rc = (!pa || !pb) ? VSC_ERR_NOMEM : 0;
    for (size_t s = 0; s < a->n_seeds && !rc; s++)
        for (size_t t = s + 1; t < a->n_seeds && !rc; t++) {
            if (a->seeds[s].seed == FILE_SEED || a->seeds[t].seed == FILE_SEED) continue;
            size_t n = 0;
            for (size_t d = 0; d < a->n_dims; d++) {
                double x = seed_mean(a, s, d, SIZE_MAX, NULL),
                       y = seed_mean(a, t, d, SIZE_MAX, NULL);
                if (isnan(x) || isnan(y)) continue;
                pa[n] = x;
                pb[n++] = y;
            }
            struct vsc_roleplay_record r = blank("seed_correlation", a);
            r.seed_a = a->seeds[s].seed;
            r.seed_b = a->seeds[t].seed;
            r.value = st_pearson(pa, pb, n);
            r.n = n;
            rc = emit(c, &r);
        }
    free(pa);
    free(pb);
    return rc;
}

static int emit_convergence(struct ctx *c, struct ins_acc *a)
{
    size_t max_n = 0;
    for (size_t s = 0; s < a->n_seeds; s++) {
        size_t n = personas_in_seed(&a->seeds[s]);
        if (n > max_n) max_n = n;
    }
    if (!max_n) return 0;
    double *m = malloc((a->n_seeds + 1) * sizeof(double)), *all = NULL;
    int rc = m ? 0 : VSC_ERR_NOMEM;
    /* 1, 2, 5, 10, 20, 50, ... and the full count: enough points for a curve */
    for (size_t step = 1, n = 1; !rc && n <= max_n;) {
        for (size_t d = 0; d < a->n_dims && !rc; d++) {
            size_t k = 0, n_all = 0;
            for (size_t s = 0; s < a->n_seeds; s++) {
                double x = seed_mean(a, s, d, n, NULL);
                if (!isnan(x)) m[k++] = x;
            }
            if (!k) continue;
            double *g = realloc(all, a->n_seeds * n * sizeof(double));
            if (!g) {
                rc = VSC_ERR_NOMEM;
                break;
            }
            all = g;
            for (size_t s = 0; s < a->n_seeds; s++) {
                const struct seed_acc *sa = &a->seeds[s];
                for (size_t i = 0, used = 0; i < sa->n && used < n; i++) {
                    if (!sa->p[i].seen) continue;
                    used++;
                    double sc = persona_score(a, &sa->p[i], d);
                    if (!isnan(sc)) all[n_all++] = sc;
                }
            }
            struct vsc_roleplay_record r = blank("convergence", a);
            r.dimension = a->dims[d];
            r.value = st_mean(m, k);
            r.variance = k >= 2 ? st_var(m, k) : NAN;
            r.sd = st_sd(all, n_all);
            r.n = n;
            rc = emit(c, &r);
        }
        if (n == max_n) break;
        size_t next = (step % 3 == 1) ? n * 2 : (step % 3 == 2) ? n * 5 / 2 : n * 2;
        step++;
        n = next > max_n ? max_n : next;
    }
    free(m);
    free(all);
    return rc;
}

static int flush(struct ctx *c)
{
    int rc = 0;
    for (size_t i = 0; i < c->n_accs; i++) {
        struct ins_acc *a = &c->accs[i];
        if (!rc) rc = emit_distributions(c, a);
        if (!rc) rc = emit_effect_sizes(c, a);
        if (!rc) rc = emit_seed_correlations(c, a);
        if (!rc) rc = emit_convergence(c, a);
        acc_free(a);
    }
    c->n_accs = 0;
    free(c->run);
    free(c->model);
    c->run = c->model = NULL;
    return rc;
}

/* ---- reading answers ---------------------------------------------------------------------- */

static int on_answer(const struct vsc_answer_row *row, void *payload)
{
    struct ctx *c = payload;
    long long seed = 0;
    long index = 0;
    const char *cond = row->condition ? row->condition : "";
    struct cell_condition cc;
    if (cell_condition_parse(&cc, cond) == CELL_COND_OTHER) return 0;
    const char *model = row->model ? row->model : "";
    if (!c->run || strcmp(c->run, row->run) || strcmp(c->model, model)) {
        int rc = flush(c);
        if (rc) return rc;
        c->run = xstrdup(row->run);
        c->model = xstrdup(model);
        if (!c->run || !c->model) return VSC_ERR_NOMEM;
    }
    struct vsc_instrument *ins = NULL;
    int rc = find_instrument(c, row->run, row->instrument ? row->instrument : "", &ins);
    if (rc || !ins) return rc;
    if (ins->n_options < 2) return 0;
    long item = vsc_instrument_find_item(ins, row->item ? row->item : "");
    if (item < 0)
        return vsc_diag_set(c->diag, NULL, 0, 0, "cell %lld: item '%s' is not in instrument '%s'",
                            (long long)row->cell_id, row->item ? row->item : "", row->instrument);
    struct ins_acc *a = get_acc(c, row->instrument, ins);
    if (!a) return VSC_ERR_NOMEM;
    int is_persona = parse_condition(a, cond, &seed, &index);
    if (is_persona == -2) return VSC_ERR_NOMEM;
    if (is_persona < 0) return 0;
    if (ins->n_options > c->order_cap) {
        size_t *o = realloc(c->order, ins->n_options * sizeof *o);
        if (!o) return VSC_ERR_NOMEM;
        c->order = o;
        c->order_cap = ins->n_options;
    }
    struct cell_meta meta;
    char why[128];
    rc = cell_meta_read(&meta, row->meta_json, ins->n_options, c->order, why, sizeof why);
    if (rc == VSC_ERR_INPUT)
        rc = vsc_diag_set(c->diag, NULL, 0, 0, "cell %lld: %s", (long long)row->cell_id, why);
    const char *dim = meta.dim ? meta.dim : ins->items[item].dimension;
    int key = meta.has_key ? meta.key : ins->items[item].key;
    long d = dim ? dim_index(a, dim) : -1;
    const size_t *order = meta.order;
    struct persona_acc *p = NULL;
    if (!rc && is_persona && !(p = get_persona(a, seed, index))) rc = VSC_ERR_NOMEM;
    if (!rc && p && !p->attrs_json && meta.persona) {
        p->attrs_json = json_dumps(meta.persona, JSON_COMPACT | JSON_SORT_KEYS);
        if (!p->attrs_json) rc = VSC_ERR_NOMEM;
    }
    cell_meta_clear(&meta);
    if (rc) return rc;
    if (!row->status || strcmp(row->status, "ok")) return 0; /* failed or pending: no answer */
    size_t opt = 0;
    enum vsc_parse_status ps = vsc_parse_answer(&opt, row->text ? row->text : "", ins, order);
    if (ps == VSC_PARSE_UNPARSEABLE || opt >= ins->n_options) {
        if (d >= 0) (is_persona ? a->pers_bad : a->base_bad)[d]++;
        return 0;
    }
    double v = ins->options[opt].value;
    if (key < 0) v = a->vmin + a->vmax - v;
    if (p) p->all_sum += v, p->all_cnt += 1;
    if (d < 0) return 0;
    (is_persona ? a->pers : a->base)[(size_t)d * a->k + opt] += 1;
    if (p) p->sum[d] += v, p->cnt[d] += 1;
    return 0;
}

static int roleplay_score(struct vsc_store *store, const struct vsc_roleplay_opts *opts,
                          vsc_roleplay_cb cb, void *payload, struct vsc_diag *diag)
{
    struct ctx c = {.cb = cb, .payload = payload, .diag = diag};
    const char *run = opts ? opts->run : NULL;
    int rc = run_ins_collect(store, run, NULL, 1, &c.ins, &c.n_ins, sizeof *c.ins);
    if (!rc) rc = vsc_store_foreach_answer(store, run, on_answer, &c);
    if (!rc)
        rc = flush(&c);
    else {
        for (size_t i = 0; i < c.n_accs; i++)
            acc_free(&c.accs[i]);
        free(c.run);
        free(c.model);
    }
    free(c.accs);
    for (size_t i = 0; i < c.n_ins; i++) {
        struct ins_entry *e = &c.ins[i];
        run_ins_free(&e->ri);
        vsc_instrument_free(e->ins);
    }
    free(c.ins);
    free(c.order);
    return rc;
}

int vsc_roleplay_score(struct vsc_store *store, const struct vsc_roleplay_opts *opts,
                       vsc_roleplay_cb cb, void *payload, struct vsc_diag *diag)
{
    vsc_diag_clear(diag);
    return vsc_store_diag(diag, store, roleplay_score(store, opts, cb, payload, diag));
}

/* ---- JSON --------------------------------------------------------------------------------- */

int vsc_roleplay_write_json(FILE *fp, const struct vsc_roleplay_record *r)
{
    json_t *o = json_object();
    if (!o) return VSC_ERR_NOMEM;
    const char *names[] = {"kind",      "run",       "model",     "instrument",
                           "dimension", "condition", "attribute", "level"};
    const char *vals[] = {r->kind,      r->run,       r->model,     r->instrument,
                          r->dimension, r->condition, r->attribute, r->level};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (vals[i]) json_object_set_new(o, names[i], json_string(vals[i]));
    if (r->seed_a >= 0) json_object_set_new(o, "seed_a", json_integer(r->seed_a));
    if (r->seed_b >= 0) json_object_set_new(o, "seed_b", json_integer(r->seed_b));
    json_object_set_new(o, "value", jout_num(r->value));
    if (!strcmp(r->kind, "effect_size")) {
        json_object_set_new(o, "mean", jout_num(r->mean));
        json_object_set_new(o, "mean_other", jout_num(r->mean_other));
        json_object_set_new(o, "n_other", json_integer((json_int_t)r->n_other));
    }
    if (!strcmp(r->kind, "convergence")) {
        json_object_set_new(o, "variance", jout_num(r->variance));
        json_object_set_new(o, "sd", jout_num(r->sd));
    }
    if (!strcmp(r->kind, "steerability"))
        json_object_set_new(o, "n_baseline", json_integer((json_int_t)r->n_other));
    json_object_set_new(o, "n", json_integer((json_int_t)r->n));
    if (!strcmp(r->kind, "inertia"))
        json_object_set_new(o, "n_unparseable", json_integer((json_int_t)r->n_unparseable));
    return jout_line(fp, o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
}

/* The table shows role-play only where personas were used. */
int vsc_roleplay_write_table(FILE *fp, const struct vsc_roleplay_record *r, size_t n_shown)
{
    if (!strcmp(r->kind, "convergence") || !strcmp(r->kind, "seed_correlation") ||
        (r->condition && !strcmp(r->condition, "baseline")))
        return 0;
    if (!n_shown && fprintf(fp, "\nrole-play (%s)\n%-20s %-14s %-18s %-12s %10s %8s\n",
                            "inertia, steerability, effect sizes; --json for every record", "model",
                            "kind", "dimension", "level", "value", "n") < 0)
        return VSC_ERR_IO;
    char level[64] = "";
    if (r->attribute)
        snprintf(level, sizeof(level), "%s=%s", r->attribute, r->level ? r->level : "");
    else if (r->condition)
        snprintf(level, sizeof(level), "%s", r->condition);
    if (fprintf(fp, "%-20.20s %-14s %-18.18s %-12.12s %10.3f %8zu\n", r->model, r->kind,
                r->dimension ? r->dimension : "-", level, r->value, r->n) < 0)
        return VSC_ERR_IO;
    return 1;
}
