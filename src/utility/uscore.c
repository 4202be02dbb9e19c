/* Scoring utility runs: pair preferences, the fitted utilities, held-out fit and
 * transitivity, per run x model x utility instrument. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/jsonout.h"
#include "score/run_ins.h"
#include "util/util.h"
#include "utility/utility_int.h"
#include "valscope/utility.h"

struct uentry {
    struct run_ins ri; /* first: run_ins_collect fills it */
    struct vsc_outcomes *o;
    struct upairs acc; /* answers of the current model */
    size_t n_answers;
};

struct uctx {
    const struct vsc_utility_opts *opts;
    vsc_utility_cb cb;
    void *payload;
    struct vsc_diag *diag;
    struct uentry *e;
    size_t n;
    char *run, *model;
};

/* held out: a fixed pseudo-random share of pairs, the same in every scoring */
static int held_out(size_t a, size_t b, double share)
{
    uint64_t k = ((uint64_t)a << 32 | b) * 0x9E3779B97F4A7C15ULL;
    k ^= k >> 29;
    return (double)(k % 100000) < share * 100000;
}

static int finish(struct uctx *c, struct uentry *e)
{
    struct upairs *mp = &e->acc;
    if (!mp->n) return 0;
    size_t n = e->o->n;
    double *mu = malloc(n * sizeof(double)), *sg = malloc(n * sizeof(double));
    double *cnt = calloc(n, sizeof(double));
    struct vsc_pair_count *train = malloc(mp->n * sizeof *train),
                          *test = malloc(mp->n * sizeof *test);
    int rc = (!mu || !sg || !cnt || !train || !test) ? VSC_ERR_NOMEM : 0;
    struct vsc_utility_record base = {.run = c->run,
                                      .model = c->model,
                                      .instrument = e->ri.id,
                                      .mu = NAN,
                                      .sigma = NAN,
                                      .p = NAN,
                                      .accuracy = NAN,
                                      .log_loss = NAN,
                                      .heldout_accuracy = NAN,
                                      .heldout_log_loss = NAN,
                                      .intransitive = NAN};
    for (size_t i = 0; !rc && i < mp->n; i++) {
        const struct vsc_pair_count *p = &mp->pc[i];
        struct vsc_utility_record r = base;
        r.kind = "preference";
        r.outcome = e->o->text[p->a];
        r.outcome_b = e->o->text[p->b];
        r.category = e->o->category[p->a];
        double w = p->wins_a + p->wins_b;
        r.p = w > 0 ? p->wins_a / w : NAN;
        r.n = (size_t)w;
        r.n_unparseable = p->unparseable;
        cnt[p->a] += w;
        cnt[p->b] += w;
        rc = c->cb(&r, c->payload);
    }
    if (!rc) rc = vsc_thurstone_fit(mu, sg, n, mp->pc, mp->n, NULL);
    for (size_t i = 0; !rc && i < n; i++) {
        struct vsc_utility_record r = base;
        r.kind = "utility";
        r.outcome = e->o->text[i];
        r.category = e->o->category[i];
        r.mu = mu[i];
        r.sigma = sg[i];
        r.n = (size_t)cnt[i];
        rc = c->cb(&r, c->payload);
    }
    if (!rc) {
        struct vsc_utility_record r = base;
        r.kind = "utility_fit";
        vsc_thurstone_eval(&r.accuracy, &r.log_loss, mu, sg, mp->pc, mp->n);
        r.intransitive = vsc_intransitive_share(mp->pc, mp->n, n, &r.n_triads);
        size_t n_train = 0, n_test = 0, unparse = 0;
        double share = c->opts && c->opts->holdout > 0 ? c->opts->holdout : 0.2;
        for (size_t i = 0; i < mp->n; i++) {
            if (held_out(mp->pc[i].a, mp->pc[i].b, share))
                test[n_test++] = mp->pc[i];
            else
                train[n_train++] = mp->pc[i];
            r.n += (size_t)(mp->pc[i].wins_a + mp->pc[i].wins_b);
            unparse += mp->pc[i].unparseable;
        }
        r.n_unparseable = unparse;
        r.n_pairs = mp->n;
        if (n_test && n_train) {
            rc = vsc_thurstone_fit(mu, sg, n, train, n_train, NULL);
            if (!rc)
                vsc_thurstone_eval(&r.heldout_accuracy, &r.heldout_log_loss, mu, sg, test, n_test);
        }
        if (!rc) rc = c->cb(&r, c->payload);
    }
    free(mu);
    free(sg);
    free(cnt);
    free(train);
    free(test);
    return rc;
}

static int flush(struct uctx *c)
{
    int rc = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (!rc && c->run && !strcmp(c->e[i].ri.run, c->run)) rc = finish(c, &c->e[i]);
        upairs_clear(&c->e[i].acc);
    }
    free(c->run);
    free(c->model);
    c->run = c->model = NULL;
    return rc;
}

static int on_row(const struct vsc_answer_row *row, void *payload)
{
    struct uctx *c = payload;
    struct uentry *e = NULL;
    for (size_t i = 0; i < c->n && !e; i++)
        if (!strcmp(c->e[i].ri.run, row->run) && row->instrument &&
            !strcmp(c->e[i].ri.id, row->instrument))
            e = &c->e[i];
    if (!e) return 0;
    const char *model = row->model ? row->model : "";
    if (!c->run || strcmp(c->run, row->run) || strcmp(c->model, model)) {
        int rc = flush(c);
        if (rc) return rc;
        if (!(c->run = xstrdup(row->run)) || !(c->model = xstrdup(model))) return VSC_ERR_NOMEM;
    }
    if (!e->o) {
        char *path = path_join(e->ri.base_dir, e->ri.arg);
        int rc = path ? vsc_outcomes_load(&e->o, path, c->diag) : VSC_ERR_NOMEM;
        free(path);
        if (rc) return rc;
    }
    unsigned long a, b;
    int used = 0;
    if (!row->item || sscanf(row->item, "%lu-%lu%n", &a, &b, &used) != 2 || row->item[used] ||
        a >= e->o->n || b >= e->o->n || a == b)
        return vsc_diag_set(c->diag, NULL, 0, 0,
                            "cell %lld: item '%s' is not a pair of the %zu outcomes of '%s'",
                            (long long)row->cell_id, row->item ? row->item : "", e->o->n, e->ri.id);
    struct vsc_pair_count *pc = upairs_get(&e->acc, a, b, 1);
    if (!pc) return VSC_ERR_NOMEM;
    if (!row->status || strcmp(row->status, "ok")) return 0;
    int ch = utility_parse_choice(row->text, e->o->text[a], e->o->text[b]);
    if (ch < 0)
        pc->unparseable++;
    else if ((ch == 0 ? a : b) == pc->a)
        pc->wins_a++;
    else
        pc->wins_b++;
    return 0;
}

static int utility_score(struct vsc_store *store, const struct vsc_utility_opts *opts,
                         vsc_utility_cb cb, void *payload, struct vsc_diag *diag)
{
    struct uctx c = {.opts = opts, .cb = cb, .payload = payload, .diag = diag};
    const char *run = opts ? opts->run : NULL;
    int rc = run_ins_collect(store, run, "utility", 1, &c.e, &c.n, sizeof *c.e);
    if (!rc && c.n) rc = vsc_store_foreach_answer(store, run, on_row, &c);
    int rc2 = flush(&c);
    if (!rc) rc = rc2;
    for (size_t i = 0; i < c.n; i++) {
        run_ins_free(&c.e[i].ri);
        vsc_outcomes_free(c.e[i].o);
    }
    free(c.e);
    return rc;
}

int vsc_utility_score(struct vsc_store *store, const struct vsc_utility_opts *opts,
                      vsc_utility_cb cb, void *payload, struct vsc_diag *diag)
{
    vsc_diag_clear(diag);
    return vsc_store_diag(diag, store, utility_score(store, opts, cb, payload, diag));
}

int vsc_utility_write_json(FILE *fp, const struct vsc_utility_record *r)
{
    json_t *o = json_object();
    if (!o) return VSC_ERR_NOMEM;
    json_object_set_new(o, "kind", json_string(r->kind));
    json_object_set_new(o, "run", json_string(r->run ? r->run : ""));
    json_object_set_new(o, "model", json_string(r->model ? r->model : ""));
    json_object_set_new(o, "instrument", json_string(r->instrument ? r->instrument : ""));
    if (r->outcome) json_object_set_new(o, "outcome", json_string(r->outcome));
    if (r->outcome_b) json_object_set_new(o, "outcome_b", json_string(r->outcome_b));
    if (r->category) json_object_set_new(o, "category", json_string(r->category));
    if (!strcmp(r->kind, "utility")) {
        json_object_set_new(o, "mu", jout_num(r->mu));
        json_object_set_new(o, "sigma", jout_num(r->sigma));
    } else if (!strcmp(r->kind, "preference")) {
        json_object_set_new(o, "p", jout_num(r->p));
        json_object_set_new(o, "n_unparseable", json_integer((json_int_t)r->n_unparseable));
    } else {
        json_object_set_new(o, "accuracy", jout_num(r->accuracy));
        json_object_set_new(o, "log_loss", jout_num(r->log_loss));
        json_object_set_new(o, "heldout_accuracy", jout_num(r->heldout_accuracy));
        json_object_set_new(o, "heldout_log_loss", jout_num(r->heldout_log_loss));
        json_object_set_new(o, "intransitive", jout_num(r->intransitive));
        json_object_set_new(o, "n_triads", json_integer((json_int_t)r->n_triads));
        json_object_set_new(o, "n_pairs", json_integer((json_int_t)r->n_pairs));
        json_object_set_new(o, "n_unparseable", json_integer((json_int_t)r->n_unparseable));
    }
    json_object_set_new(o, "n", json_integer((json_int_t)r->n));
    return jout_line(fp, o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
}

/* Per-outcome records are for --json; the table shows each model's fit. */
int vsc_utility_write_table(FILE *fp, const struct vsc_utility_record *r, size_t n_shown)
{
    if (strcmp(r->kind, "utility_fit")) return 0;
    if (!n_shown &&
        fprintf(fp, "\npreference utilities (Thurstonian fit; --json for every outcome)\n") < 0)
        return VSC_ERR_IO;
    if (fprintf(fp,
                "%-20.20s pairs %zu  accuracy %.3f  log-loss %.3f  held-out accuracy %.3f  "
                "intransitive triads %.3f\n",
                r->model, r->n_pairs, r->accuracy, r->log_loss, r->heldout_accuracy,
                r->intransitive) < 0)
        return VSC_ERR_IO;
    return 1;
}
