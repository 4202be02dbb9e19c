/* The judge stage: a later stage of vsc_run (src/plan/stages.c). It reads the run's answered
 * probe cells and plans the judge cells that read them; GPV's relevance and valence cells, and
 * repair cells, follow from judge replies already stored, so each round plans what the last
 * round made possible. Cells are keyed like all others: re-planning adds nothing twice. */
#include <stdlib.h>
#include <string.h>

#include "judge/judge_int.h"
#include "judge/stage.h"
#include "plan/plan.h"
#include "store/store_int.h"
#include "util/util.h"

struct entry {
    char *label, *kind, *arg, *base_dir, *options;
};

struct entries {
    struct entry *v;
    size_t n;
    int rc;
};

static int entry_cb(const struct vsc_run_instrument *ri, void *payload)
{
    struct entries *e = payload;
    size_t len;
    const char *stage;
    if (cell_judge_label_parse(&len, &stage, ri->instrument)) return 0; /* our own registrations */
    struct entry *v = realloc(e->v, (e->n + 1) * sizeof *v);
    if (!v) return e->rc = VSC_ERR_NOMEM;
    e->v = v;
    v[e->n] = (struct entry){xstrdup(ri->instrument), xstrdup(ri->kind), xstrdup(ri->arg),
                             xstrdup(ri->base_dir), xstrdup(ri->options_json)};
    e->n++;
    return 0;
}

static void entries_free(struct entries *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->v[i].label), free(e->v[i].kind), free(e->v[i].arg);
        free(e->v[i].base_dir), free(e->v[i].options);
    }
    free(e->v);
}

int judge_entries_foreach(struct vsc_store *store, const char *run,
                          int (*fn)(const char *label, const char *kind, const char *arg,
                                    const char *base_dir, const char *options, void *payload),
                          void *payload)
{
    struct entries e = {0};
    int rc = vsc_store_foreach_instrument(store, run, entry_cb, &e);
    if (e.rc)
        rc = e.rc;
    else if (rc)
        rc = VSC_ERR_STORE;
    for (size_t i = 0; !rc && i < e.n; i++)
        rc = fn(e.v[i].label, e.v[i].kind, e.v[i].arg, e.v[i].base_dir, e.v[i].options, payload);
    entries_free(&e);
    return rc;
}

/* ---- planning ------------------------------------------------------------------------------ */

struct planner {
    struct vsc_store *store;
    int64_t run_id;
    const struct vsc_model_cfg *judge;
    char *identity;
    const json_t *params, *fixed;
    struct judge_ctx *ctx;
    int64_t added;
};

static int add_one(struct planner *p, const char *instrument, const char *item,
                   const struct judge_row *probe, const char *meta, const char *messages,
                   enum judge_stage st)
{
    json_t *msgs = json_loads(messages, 0, NULL);
    if (!msgs) return VSC_ERR_NOMEM;
    struct plan_cell c = {.model = p->judge,
                          .identity = p->identity,
                          .params = p->params,
                          .fixed = p->fixed,
                          .messages = msgs,
                          .n_logprob_options = judge_logprob_options(st),
                          .max_tokens = JUDGE_LABEL_MAX_TOKENS,
                          .instrument = instrument,
                          .item = item,
                          .condition = probe->condition,
                          .sample = 0,
                          .meta_json = meta};
    int is_new = 0;
    int rc = plan_add_cell(p->store, p->run_id, &c, &is_new);
    p->added += is_new;
    json_decref(msgs);
    return rc;
}

/* Adds the judge cell and, when its stored reply could not be read and repair is on, the one
 * repair cell. `reading` receives what the cell's reply says so far. */
static int add_judge_cell(struct planner *p, enum judge_stage st, const struct judge_row *probe,
                          int k, int dim, const char *perception, struct judge_reading *reading)
{
    const struct vsc_value_system *vs = p->ctx->vs;
    const char *dim_id = dim >= 0 ? vs->dims[dim].id : NULL;
    char *ins = judge_instrument_name(p->ctx->label, st);
    char *item = judge_item_id(probe, k, dim_id);
    long ii = vsc_instrument_find_item(p->ctx->ins, probe->item);
    const struct vsc_item *it = ii >= 0 ? &p->ctx->ins->items[ii] : NULL;
    const char *question = it ? (it->question ? it->question : it->text) : "";
    char *msgs = judge_messages(st, vs, st == JS_STANCE && !p->ctx->spec.stance_each ? -1 : dim,
                                question, probe->text ? probe->text : "", perception);
    json_t *m = json_pack("{s:s,s:s,s:s,s:i,s:s}", "protocol", p->ctx->spec.protocol_name,
                          "probe_model", probe->model, "probe_item", probe->item, "probe_sample",
                          probe->sample, "stage", judge_stage_suffix(st));
    if (m && it && it->dimension) {
        json_object_set_new(m, "probe_dim", json_string(it->dimension));
        json_object_set_new(m, "probe_key", json_integer(it->key));
    }
    if (m && dim_id) json_object_set_new(m, "dim", json_string(dim_id));
    if (m && k >= 0) json_object_set_new(m, "k", json_integer(k));
    char *meta = m ? json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(m);
    int rc = ins && item && msgs && meta ? 0 : VSC_ERR_NOMEM;
    if (!rc) rc = add_one(p, ins, item, probe, meta, msgs, st);
    if (!rc) rc = judge_read(reading, &p->ctx->rows, ins, item, st, vs);
    if (!rc && reading->needs_repair && p->ctx->spec.repair) {
        const struct judge_row *own = judge_rows_find(&p->ctx->rows, ins, item);
        char *rmsgs = judge_repair_messages(st, msgs, own ? own->text : "");
        char *ritem = xasprintf("%s|repair", item);
        rc = rmsgs && ritem ? add_one(p, ins, ritem, probe, meta, rmsgs, st) : VSC_ERR_NOMEM;
        free(rmsgs);
        free(ritem);
    }
    free(ins);
    free(item);
    free(msgs);
    free(meta);
    return rc;
}

static int plan_probe(struct planner *p, const struct judge_row *probe)
{
    const struct vsc_value_system *vs = p->ctx->vs;
    struct judge_reading r = {0};
    int rc = 0;
    switch (p->ctx->spec.protocol) {
    case JP_LEAN:
        return add_judge_cell(p, JS_LEAN, probe, -1, -1, NULL, &r);
    case JP_STANCE:
        if (!p->ctx->spec.stance_each) {
            int *st = calloc(vs->n_dims ? vs->n_dims : 1, sizeof *st);
            if (!st) return VSC_ERR_NOMEM;
            r.stances = st;
            rc = add_judge_cell(p, JS_STANCE, probe, -1, -1, NULL, &r);
            free(st);
            return rc;
        }
        for (size_t d = 0; d < vs->n_dims && !rc; d++)
            rc = add_judge_cell(p, JS_STANCE, probe, -1, (int)d, NULL, &r);
        return rc;
    case JP_GPV:
        rc = add_judge_cell(p, JS_EXTRACT, probe, -1, -1, NULL, &r);
        if (rc || r.outcome != JO_OK || !r.perceptions) break;
        for (size_t k = 0; k < json_array_size(r.perceptions) && !rc; k++) {
            const char *perc = json_string_value(json_array_get(r.perceptions, k));
            for (size_t d = 0; d < vs->n_dims && !rc; d++) {
                struct judge_reading rel = {0};
                rc = add_judge_cell(p, JS_RELEVANCE, probe, (int)k, (int)d, perc, &rel);
                /* valence is asked only where the perception is relevant */
                if (!rc && rel.outcome == JO_OK && rel.p[0] > 0.5) {
                    struct judge_reading val = {0};
                    rc = add_judge_cell(p, JS_VALENCE, probe, (int)k, (int)d, perc, &val);
                }
            }
        }
        break;
    }
    judge_reading_clear(&r);
    return rc;
}

struct stage_run {
    struct vsc_store *store;
    int64_t run_id;
    const struct vsc_config *cfg;
    const char *run;
    struct vsc_diag *diag;
    int64_t added;
};

static int stage_entry(const char *label, const char *kind, const char *arg, const char *base_dir,
                       const char *options, void *payload)
{
    struct stage_run *s = payload;
    struct judge_ctx ctx = {0};
    int rc = judge_spec_read(&ctx.spec, options, label, s->diag);
    if (rc <= 0) return rc; /* 0: not judged */
    const struct vsc_model_cfg *judge = NULL;
    for (size_t i = 0; i < s->cfg->n_judges; i++)
        if (!strcmp(s->cfg->judges[i].name, ctx.spec.judge)) judge = &s->cfg->judges[i];
    if (!judge) {
        rc = vsc_diag_set(s->diag, s->cfg->path, 0, 0,
                          "instrument %s names judge '%s', which is not in 'judges'", label,
                          ctx.spec.judge);
        judge_spec_clear(&ctx.spec);
        return rc;
    }
    if ((rc = judge_ctx_open(&ctx, s->store, s->run, label, kind, arg, base_dir, s->diag))) {
        judge_ctx_close(&ctx);
        return rc;
    }
    json_t *params = judge_run_params(s->cfg->params_json);
    json_t *fixed = judge_fixed_params();
    struct planner p = {.store = s->store,
                        .run_id = s->run_id,
                        .judge = judge,
                        .identity = plan_model_identity(judge),
                        .params = params,
                        .fixed = fixed,
                        .ctx = &ctx};
    if (!p.identity || !params || !fixed) rc = VSC_ERR_NOMEM;
    if (!rc) rc = vsc_store_begin(s->store);
    /* the judge instruments are registered so that every reader of the run knows them */
    static const enum judge_stage USED[3][3] = {
        {JS_LEAN}, {JS_STANCE}, {JS_EXTRACT, JS_RELEVANCE, JS_VALENCE}};
    static const int N_USED[3] = {1, 1, 3};
    for (int i = 0; !rc && i < N_USED[ctx.spec.protocol]; i++) {
        char *name = judge_instrument_name(label, USED[ctx.spec.protocol][i]);
        rc = name ? vsc_store_run_add_instrument(s->store, s->run_id, name, kind, arg, base_dir,
                                                 options)
                  : VSC_ERR_NOMEM;
        free(name);
    }
    for (size_t i = 0; !rc && i < ctx.rows.n; i++) {
        const struct judge_row *r = &ctx.rows.v[i];
        if (strcmp(r->instrument, label) || strcmp(r->status, "ok")) continue;
        rc = plan_probe(&p, r);
    }
    if (!rc)
        rc = vsc_store_commit(s->store);
    else
        vsc_store_rollback(s->store);
    if (rc == VSC_ERR_STORE)
        vsc_diag_set(s->diag, NULL, 0, 0, "judge stage: %s", vsc_store_errmsg(s->store));
    s->added += p.added;
    free(p.identity);
    json_decref(params);
    json_decref(fixed);
    judge_ctx_close(&ctx);
    return rc;
}

int judge_stage(struct vsc_store *store, int64_t run_id, const struct vsc_config *cfg,
                const char *base_dir, int64_t *out_added, struct vsc_diag *diag)
{
    (void)base_dir; /* each instrument's own base_dir was stored with the run */
    struct stage_run s = {
        .store = store, .run_id = run_id, .cfg = cfg, .run = cfg->run_name, .diag = diag};
    int rc = judge_entries_foreach(store, cfg->run_name, stage_entry, &s);
    *out_added = s.added;
    return rc;
}
