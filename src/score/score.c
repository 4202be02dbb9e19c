/* Scoring a store: instruments reloaded per run, answers read cell by cell into one
 * accumulator per model x run x condition x instrument (score_core.c does the numbers). */
#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plan/cell.h"
#include "score/run_ins.h"
#include "score/score_int.h"
#include "stats/stats.h"
#include "util/util.h"
#include "valscope/instrument.h"
#include "valscope/score.h"

/* ---- logprobs --------------------------------------------------------------------------- */

/* Shown position of an option token ("A" -> 0, " B" -> 1, "3" -> 2), or -1. */
static long token_position(const char *tok, size_t n_options)
{
    while (*tok && isspace((unsigned char)*tok))
        tok++;
    size_t len = strlen(tok);
    while (len && isspace((unsigned char)tok[len - 1]))
        len--;
    if (len == 1 && tok[0] >= 'A' && tok[0] <= 'Z')
        return (size_t)(tok[0] - 'A') < n_options ? tok[0] - 'A' : -1;
    if (len == 0 || len > 3) return -1;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)tok[i])) return -1;
        v = v * 10 + (tok[i] - '0');
    }
    return v >= 1 && (size_t)v <= n_options ? v - 1 : -1;
}

int sc_logprobs_value(double *out_value, double *out_entropy, const char *logprobs_json,
                      const struct vsc_instrument *ins, const size_t *order)
{
    *out_value = *out_entropy = NAN;
    size_t n = ins->n_options;
    if (!logprobs_json || n == 0) return VSC_ERR_INPUT;
    json_t *root = json_loads(logprobs_json, 0, NULL);
    double *p = calloc(n, sizeof *p);
    int rc = VSC_ERR_INPUT;
    if (!p) {
        rc = VSC_ERR_NOMEM;
        goto fail;
    }
    json_t *arr = root;
    if (json_is_object(arr)) arr = json_object_get(arr, "content"); /* {"content": [...]} */
    json_t *first = json_array_get(arr, 0);
    if (!json_is_object(first)) goto fail;
    /* a chosen first token with a minus sign starts a negative number ("-" then "3"): the
     * digits among its alternatives are not the answer */
    const char *chosen = json_string_value(json_object_get(first, "token"));
    while (chosen && isspace((unsigned char)*chosen))
        chosen++;
    if (chosen && (chosen[0] == '-' || !strncmp(chosen, "\xE2\x88\x92", 3) ||
                   !strncmp(chosen, "\xE2\x80\x93", 3)))
        goto fail;
    json_t *top = json_object_get(first, "top_logprobs");
    /* the alternatives of the first generated token; without them only the chosen token */
    size_t n_alt = json_is_array(top) ? json_array_size(top) : 0;
    for (size_t i = 0; i < (n_alt ? n_alt : 1); i++) {
        json_t *e = n_alt ? json_array_get(top, i) : first;
        const char *tok = json_string_value(json_object_get(e, "token"));
        json_t *lp = json_object_get(e, "logprob");
        if (!tok || !json_is_number(lp)) continue;
        long pos = token_position(tok, n);
        double lv = json_number_value(lp);
        if (pos < 0 || !(lv <= 0)) continue;
        p[pos] += exp(lv); /* " A" and "A" are different tokens for the same option */
    }
    double total = 0, ev = 0;
    for (size_t i = 0; i < n; i++) {
        size_t opt = order ? order[i] : i;
        total += p[i];
        ev += p[i] * ins->options[opt].value;
    }
    if (!(total > 0)) goto fail;
    *out_value = ev / total;
    *out_entropy = st_entropy_bits(p, n);
    rc = 0;
fail:
    free(p);
    json_decref(root);
    return rc;
}

/* ---- reading the store ------------------------------------------------------------------ */

struct ins_entry {
    struct run_ins ri; /* first: run_ins_collect fills it */
    struct vsc_instrument *ins;
    char **dim_order; /* the built-in value system's dimension order, when there is one */
    size_t n_dim_order;
};

struct acc_entry {
    char *instrument, *condition;
    struct sc_acc *acc;
};

struct ctx {
    const struct vsc_score_opts *opts;
    vsc_score_cb cb;
    void *payload;
    struct vsc_diag *diag;
    struct ins_entry *ins;
    size_t n_ins;
    char *run, *model; /* the (run, model) being accumulated */
    struct acc_entry *accs;
    size_t n_accs;
    char **done; /* "run\x1fmodel" already emitted */
    size_t n_done;
    size_t *order;
    size_t order_cap;
    int rc;
};

/* Records follow the value system's order (Schwartz: around the circle) when the
 * instrument's system is a built-in one; other systems keep the instrument's item order. */
static int load_dim_order(struct ins_entry *e)
{
    struct vsc_value_system *vs = NULL;
    if (!e->ins->system || vsc_value_system_builtin(&vs, e->ins->system, NULL)) return 0;
    int rc = VSC_ERR_NOMEM;
    e->dim_order = calloc(vs->n_dims ? vs->n_dims : 1, sizeof *e->dim_order);
    if (!e->dim_order) goto fail;
    for (size_t i = 0; i < vs->n_dims; i++, e->n_dim_order++)
        if (!(e->dim_order[i] = xstrdup(vs->dims[i].id))) goto fail;
    rc = 0;
fail:
    vsc_value_system_free(vs);
    return rc;
}

static int find_instrument(struct ctx *c, const struct vsc_answer_row *row, struct ins_entry **out)
{
    for (size_t i = 0; i < c->n_ins; i++) {
        struct ins_entry *e = &c->ins[i];
        if (strcmp(e->ri.run, row->run) || strcmp(e->ri.id, row->instrument ? row->instrument : ""))
            continue;
        if (!strcmp(e->ri.kind, "evolve")) return 0; /* scored by src/evolve/ */
        if (!e->ins) {
            int rc = vsc_instrument_load(&e->ins, e->ri.kind, e->ri.arg, e->ri.base_dir, c->diag);
            if (!rc) rc = load_dim_order(e);
            if (rc) return rc;
        }
        *out = e;
        return 0;
    }
    return vsc_diag_set(c->diag, NULL, 0, 0,
                        "cell %lld: instrument '%s' is not registered with run '%s'",
                        (long long)row->cell_id, row->instrument ? row->instrument : "", row->run);
}

static int flush(struct ctx *c)
{
    int rc = 0;
    for (size_t i = 0; i < c->n_accs; i++) {
        struct acc_entry *e = &c->accs[i];
        struct sc_labels l = {.model = c->model,
                              .run = c->run,
                              .condition = e->condition,
                              .instrument = e->instrument};
        if (!rc) rc = sc_acc_finish(e->acc, &l, c->opts, c->cb, c->payload);
        sc_acc_free(e->acc);
        free(e->instrument);
        free(e->condition);
    }
    c->n_accs = 0;
    if (c->run) {
        char **d = realloc(c->done, (c->n_done + 1) * sizeof *d);
        if (!d) return VSC_ERR_NOMEM;
        c->done = d;
        if (!(d[c->n_done++] = xasprintf("%s\x1f%s", c->run, c->model))) return VSC_ERR_NOMEM;
    }
    free(c->run);
    free(c->model);
    c->run = c->model = NULL;
    return rc;
}

static struct acc_entry *find_acc(struct ctx *c, const char *instrument, const char *condition,
                                  const struct ins_entry *ie)
{
    for (size_t i = 0; i < c->n_accs; i++)
        if (!strcmp(c->accs[i].instrument, instrument) && !strcmp(c->accs[i].condition, condition))
            return &c->accs[i];
    struct acc_entry *e = realloc(c->accs, (c->n_accs + 1) * sizeof *e);
    if (!e) return NULL;
    c->accs = e;
    e += c->n_accs;
    *e = (struct acc_entry){.instrument = xstrdup(instrument), .condition = xstrdup(condition)};
    if (!e->instrument || !e->condition ||
        sc_acc_new(&e->acc, ie->ins, (const char *const *)ie->dim_order, ie->n_dim_order)) {
        free(e->instrument);
        free(e->condition);
        return NULL;
    }
    c->n_accs++;
    return e;
}

/* What a cell's metadata says about who answered and what was shown. */
struct answer_meta {
    char *respondent;
    int repeat;
    int logprobs;
    int has_order;
};

static int read_meta(struct ctx *c, const struct vsc_answer_row *row,
                     const struct vsc_instrument *ins, struct answer_meta *out)
{
    struct cell_meta m;
    char why[128];
    out->respondent = NULL;
    int rc = cell_meta_read(&m, row->meta_json, ins->n_options, c->order, why, sizeof why);
    if (rc == VSC_ERR_INPUT)
        rc = vsc_diag_set(c->diag, NULL, 0, 0, "cell %lld: %s", (long long)row->cell_id, why);
    if (rc) goto done;
    out->repeat = m.repeat;
    out->logprobs = m.mode != CELL_MODE_NONE ? m.mode == CELL_MODE_LOGPROBS
                                             : ins->answer_mode == VSC_ANSWER_LOGPROBS;
    out->has_order = m.order != NULL;
    size_t stem = 0;
    int sample = 0;
    if (!m.respondent)
        out->respondent = xasprintf("s%d", row->sample);
    else if (!cell_respondent_parse(&stem, &sample, m.respondent) && stem && sample == m.repeat)
        /* the planner's respondent "model|condition|sample" records the sample as the repeat;
         * it is dropped so repeats of one respondent pair up for test-retest. Units stay
         * (respondent, repeat), so nothing else changes. */
        out->respondent = xstrndup(m.respondent, stem);
    else
        out->respondent = xstrdup(m.respondent);
    if (!out->respondent) rc = VSC_ERR_NOMEM;
done:
    cell_meta_clear(&m);
    return rc;
}

static int on_answer(const struct vsc_answer_row *row, void *payload)
{
    struct ctx *c = payload;
    int rc;
    const char *model = row->model ? row->model : "";
    if (!c->run || strcmp(c->run, row->run) || strcmp(c->model, model)) {
        if ((rc = flush(c))) return rc;
        char *key = xasprintf("%s\x1f%s", row->run, model);
        if (!key) return VSC_ERR_NOMEM;
        for (size_t i = 0; i < c->n_done; i++)
            if (!strcmp(c->done[i], key)) {
                free(key);
                /* the store promised answers grouped by run and model */
                vsc_diag_set(c->diag, NULL, 0, 0,
                             "answers of run '%s' model '%s' are not contiguous", row->run, model);
                return VSC_ERR_INTERNAL;
            }
        free(key);
        c->run = xstrdup(row->run);
        c->model = xstrdup(model);
        if (!c->run || !c->model) return VSC_ERR_NOMEM;
    }
    struct ins_entry *ie = NULL;
    if ((rc = find_instrument(c, row, &ie))) return rc;
    if (!ie) return 0;
    const struct vsc_instrument *ins = ie->ins;
    if (ins->n_options == 0) return 0; /* free-text prompts are the judge stage's business */
    long item = vsc_instrument_find_item(ins, row->item ? row->item : "");
    if (item < 0)
        return vsc_diag_set(c->diag, NULL, 0, 0, "cell %lld: item '%s' is not in instrument '%s'",
                            (long long)row->cell_id, row->item ? row->item : "", row->instrument);
    if (ins->n_options > c->order_cap) {
        size_t *o = realloc(c->order, ins->n_options * sizeof *o);
        if (!o) return VSC_ERR_NOMEM;
        c->order = o;
        c->order_cap = ins->n_options;
    }
    struct answer_meta meta;
    if ((rc = read_meta(c, row, ins, &meta))) {
        free(meta.respondent);
        return rc;
    }
    struct acc_entry *acc = find_acc(c, row->instrument, row->condition ? row->condition : "", ie);
    if (!acc) {
        free(meta.respondent);
        return VSC_ERR_NOMEM;
    }
    const size_t *order = meta.has_order ? c->order : NULL;
    enum sc_obs kind = SC_OBS_PENDING;
    double value = NAN, entropy = NAN;
    const char *status = row->status ? row->status : "pending";
    if (!strcmp(status, "ok")) {
        if (meta.logprobs) {
            rc = sc_logprobs_value(&value, &entropy, row->logprobs_json, ins, order);
            if (rc == VSC_ERR_NOMEM) {
                free(meta.respondent);
                return rc;
            }
            kind = rc ? SC_OBS_UNPARSEABLE : SC_OBS_OK;
        } else {
            size_t opt = 0;
            enum vsc_parse_status ps =
                vsc_parse_answer(&opt, row->text ? row->text : "", ins, order);
            if (ps == VSC_PARSE_UNPARSEABLE || opt >= ins->n_options) {
                kind = SC_OBS_UNPARSEABLE;
            } else {
                kind = SC_OBS_OK;
                value = ins->options[opt].value;
            }
        }
    } else if (!strcmp(status, "error")) {
        kind = SC_OBS_FAILED;
    }
    rc = sc_acc_add(acc->acc, meta.respondent, meta.repeat, (size_t)item, kind, value, entropy);
    free(meta.respondent);
    return rc;
}

static int score_store(struct vsc_store *store, const struct vsc_score_opts *opts, vsc_score_cb cb,
                       void *payload, struct vsc_diag *diag)
{
    struct ctx c = {.opts = opts, .cb = cb, .payload = payload, .diag = diag};
    const char *run = opts ? opts->run : NULL;
    int rc = run_ins_collect(store, run, NULL, 0, &c.ins, &c.n_ins, sizeof *c.ins);
    if (rc) goto fail;
    rc = vsc_store_foreach_answer(store, run, on_answer, &c);
    if (!rc) rc = flush(&c);
fail:
    for (size_t i = 0; i < c.n_accs; i++) {
        sc_acc_free(c.accs[i].acc);
        free(c.accs[i].instrument);
        free(c.accs[i].condition);
    }
    free(c.accs);
    for (size_t i = 0; i < c.n_ins; i++) {
        struct ins_entry *e = &c.ins[i];
        vsc_instrument_free(e->ins);
        for (size_t d = 0; d < e->n_dim_order; d++)
            free(e->dim_order[d]);
        free(e->dim_order);
        run_ins_free(&e->ri);
    }
    free(c.ins);
    for (size_t i = 0; i < c.n_done; i++)
        free(c.done[i]);
    free(c.done);
    free(c.run);
    free(c.model);
    free(c.order);
    return rc;
}

int vsc_score_store(struct vsc_store *store, const struct vsc_score_opts *opts, vsc_score_cb cb,
                    void *payload, struct vsc_diag *diag)
{
    vsc_diag_clear(diag);
    return vsc_store_diag(diag, store, score_store(store, opts, cb, payload, diag));
}
