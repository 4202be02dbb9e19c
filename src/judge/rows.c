/* A run's probe answers and judge replies, read once and indexed by (instrument, item). The
 * judge stage and the scorer both work from this table, so they read replies the same way. */
#include <stdlib.h>
#include <string.h>

#include "judge/judge_int.h"
#include "plan/cell.h"
#include "util/util.h"

struct load {
    struct judge_rows *rows;
    const char *label;
    size_t label_len;
    int rc;
};

static int is_ours(const char *instrument, const char *label, size_t len)
{
    if (!instrument || strncmp(instrument, label, len)) return 0;
    size_t judged_len;
    const char *stage;
    return instrument[len] == 0 ||
           (cell_judge_label_parse(&judged_len, &stage, instrument) && judged_len == len);
}

static int load_cb(const struct vsc_answer_row *r, void *payload)
{
    struct load *l = payload;
    if (!is_ours(r->instrument, l->label, l->label_len)) return 0;
    struct judge_rows *rows = l->rows;
    if (rows->n == rows->cap) {
        size_t cap = rows->cap ? rows->cap * 2 : 256;
        struct judge_row *v = realloc(rows->v, cap * sizeof *v);
        if (!v) return l->rc = VSC_ERR_NOMEM;
        rows->v = v;
        rows->cap = cap;
    }
    struct judge_row *o = &rows->v[rows->n];
    *o = (struct judge_row){.model = xstrdup(r->model),
                            .instrument = xstrdup(r->instrument),
                            .item = xstrdup(r->item ? r->item : ""),
                            .condition = xstrdup(r->condition ? r->condition : ""),
                            .sample = r->sample,
                            .meta = xstrdup(r->meta_json ? r->meta_json : "{}"),
                            .status = xstrdup(r->status ? r->status : "pending"),
                            .text = xstrdup(r->text),
                            .logprobs = xstrdup(r->logprobs_json)};
    rows->n++;
    if (!o->model || !o->instrument || !o->item || !o->condition || !o->meta || !o->status ||
        (r->text && !o->text))
        return l->rc = VSC_ERR_NOMEM;
    return 0;
}

static int row_cmp(const void *a, const void *b)
{
    const struct judge_row *x = a, *y = b;
    int c = strcmp(x->instrument, y->instrument);
    if (!c) c = strcmp(x->item, y->item);
    if (!c) c = strcmp(x->condition, y->condition);
    if (!c) c = strcmp(x->model, y->model);
    if (!c) c = (x->sample > y->sample) - (x->sample < y->sample);
    return c;
}

int judge_rows_load(struct judge_rows *out, struct vsc_store *store, const char *run,
                    const char *label)
{
    memset(out, 0, sizeof *out);
    struct load l = {.rows = out, .label = label, .label_len = strlen(label)};
    int rc = vsc_store_foreach_answer(store, run, load_cb, &l);
    if (l.rc)
        rc = l.rc;
    else if (rc)
        rc = VSC_ERR_STORE;
    if (rc) {
        judge_rows_free(out);
        return rc;
    }
    if (out->n) qsort(out->v, out->n, sizeof *out->v, row_cmp);
    return 0;
}

void judge_rows_free(struct judge_rows *rows)
{
    for (size_t i = 0; i < rows->n; i++) {
        struct judge_row *r = &rows->v[i];
        free(r->model), free(r->instrument), free(r->item), free(r->condition);
        free(r->meta), free(r->status), free(r->text), free(r->logprobs);
    }
    free(rows->v);
    memset(rows, 0, sizeof *rows);
}

const struct judge_row *judge_rows_find(const struct judge_rows *rows, const char *instrument,
                                        const char *item)
{
    size_t lo = 0, hi = rows->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(rows->v[mid].instrument, instrument);
        if (!c) c = strcmp(rows->v[mid].item, item);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < rows->n && !strcmp(rows->v[lo].instrument, instrument) &&
        !strcmp(rows->v[lo].item, item))
        return &rows->v[lo];
    return NULL;
}

enum judge_outcome judge_cell_state(const struct judge_row *row)
{
    if (!row || !strcmp(row->status, "pending")) return JO_PENDING;
    if (!strcmp(row->status, "ok")) return JO_OK;
    return JO_FAILED;
}

char *judge_instrument_name(const char *label, enum judge_stage st)
{
    return cell_judge_label(label, judge_stage_suffix(st));
}

char *judge_item_id(const struct judge_row *p, int k, const char *dim)
{
    char kbuf[24] = "";
    if (k >= 0) snprintf(kbuf, sizeof kbuf, "|%d", k);
    return xasprintf("%s|%s|%s|%d%s%s%s", p->model, p->item, p->condition, p->sample, kbuf,
                     dim ? "|" : "", dim ? dim : "");
}

/* A value system made of the instrument's own dimensions, for instruments whose system is
 * not a built-in one (ValueBench's values): ids double as names and definitions. */
static int adhoc_system(struct vsc_value_system **out, const struct vsc_instrument *ins)
{
    struct vsc_value_system *vs = calloc(1, sizeof *vs);
    if (!vs) return VSC_ERR_NOMEM;
    vs->id = xstrdup(ins->system ? ins->system : "adhoc");
    vs->name = xstrdup(vs->id);
    vs->dims = calloc(ins->n_items ? ins->n_items : 1, sizeof *vs->dims);
    if (!vs->id || !vs->name || !vs->dims) goto nomem;
    for (size_t i = 0; i < ins->n_items; i++) {
        const char *d = ins->items[i].dimension;
        if (!d || vsc_value_system_find(vs, d) >= 0) continue;
        struct vsc_dimension *D = &vs->dims[vs->n_dims++];
        D->id = xstrdup(d);
        D->name = xstrdup(d);
        D->order = -1;
        if (!D->id || !D->name) goto nomem;
    }
    *out = vs;
    return 0;
nomem:
    vsc_value_system_free(vs);
    return VSC_ERR_NOMEM;
}

int judge_ctx_open(struct judge_ctx *c, struct vsc_store *store, const char *run, const char *label,
                   const char *kind, const char *arg, const char *base_dir, struct vsc_diag *diag)
{
    int rc = vsc_instrument_load(&c->ins, kind, arg, base_dir, diag);
    if (rc) return rc;
    struct vsc_diag ignored = {0};
    if (!c->ins->system || vsc_value_system_builtin(&c->vs, c->ins->system, &ignored))
        if ((rc = adhoc_system(&c->vs, c->ins))) return rc;
    c->label = label;
    return judge_rows_load(&c->rows, store, run, label);
}

void judge_ctx_close(struct judge_ctx *c)
{
    vsc_instrument_free(c->ins);
    vsc_value_system_free(c->vs);
    judge_rows_free(&c->rows);
    judge_spec_clear(&c->spec);
    memset(c, 0, sizeof *c);
}
