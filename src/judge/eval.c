/* Judge quality: the judge reads human-labelled texts and its readings are compared with the
 * labels (FULCRA JSONL, Touche ValueEval TSV), or it re-rates answers a recorded judge rated
 * (ValueBench). Requests go through the dispatcher into their own run of a store, so a rerun
 * is free and a crash loses nothing. */
#include <ctype.h>
#include <curl/curl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch/dispatch.h"
#include "util/readers.h"
#include "judge/judge_int.h"
#include "plan/plan.h"
#include "stats/stats.h"
#include "store/store_int.h"
#include "util/util.h"

enum format { F_FULCRA, F_TOUCHE, F_VALUEBENCH };

struct text {
    char *question, *answer;
    int *labels;   /* per dimension: 0/1 present, -1 unknown (unreadable label) */
    double rating; /* valuebench: the recorded rating */
};

struct texts {
    struct text *v;
    size_t n, cap;
    size_t limit;
    size_t n_bad;
    size_t n_dims;
};

static struct text *push_text(struct texts *t)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        struct text *v = realloc(t->v, cap * sizeof *v);
        if (!v) return NULL;
        t->v = v;
        t->cap = cap;
    }
    struct text *x = &t->v[t->n];
    memset(x, 0, sizeof *x);
    if (t->n_dims && !(x->labels = calloc(t->n_dims, sizeof *x->labels))) return NULL;
    t->n++;
    return x;
}

static void texts_free(struct texts *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].question), free(t->v[i].answer), free(t->v[i].labels);
    free(t->v);
}

static int full(const struct texts *t)
{
    return t->limit && t->n >= t->limit;
}

/* "Human: ...\nBob: ..." -> question and answer; the whole dialogue when it has no "Bob:". */
static int split_dialogue(struct text *x, const char *d)
{
    const char *bob = strstr(d, "\nBob:");
    const char *h = strncmp(d, "Human:", 6) ? d : d + 6;
    if (bob && bob >= h) {
        x->question = xstrndup(h, (size_t)(bob - h));
        x->answer = xstrdup(bob + 5);
    } else {
        x->question = xstrdup("");
        x->answer = xstrdup(d);
    }
    return x->question && x->answer ? 0 : VSC_ERR_NOMEM;
}

static int load_fulcra(struct texts *t, const char *path, const struct vsc_value_system *vs,
                       struct vsc_diag *diag)
{
    char *data = NULL;
    size_t len;
    int rc = read_text_file(&data, &len, path, diag);
    if (rc) return rc;
    int line = 0;
    for (char *p = data, *nl; p && *p && !full(t) && !rc; p = nl ? nl + 1 : NULL) {
        nl = strchr(p, '\n');
        if (nl) *nl = 0;
        line++;
        while (isspace((unsigned char)*p))
            p++;
        if (!*p) continue;
        json_error_t err;
        json_t *o = json_loads(p, 0, &err);
        const char *dialogue = json_string_value(json_object_get(o, "dialogue"));
        json_t *types = json_object_get(o, "value_types");
        if (!o || !dialogue || !json_is_array(types)) {
            rc = vsc_diag_set(diag, path, line, o ? 0 : err.column,
                              o ? "need 'dialogue' (text) and 'value_types' (list)" : "%s",
                              err.text);
            json_decref(o);
            break;
        }
        struct text *x = push_text(t);
        if (!x || split_dialogue(x, dialogue)) rc = VSC_ERR_NOMEM;
        size_t i;
        json_t *e;
        json_array_foreach(types, i, e)
        {
            int d, v;
            if (rc) break;
            if (judge_fulcra_label(&d, &v, json_string_value(e), vs))
                t->n_bad++;
            else
                x->labels[d] = v != 0;
        }
        json_decref(o);
    }
    free(data);
    return rc;
}

static int col_of(json_t *header, const char *name)
{
    for (size_t i = 0; i < json_array_size(header); i++)
        if (!strcasecmp(json_string_value(json_array_get(header, i)), name)) return (int)i;
    return -1;
}

/* Splits one TSV line into fields (no quoting: Touche's files have none). */
static json_t *tsv_fields(char *line)
{
    json_t *a = json_array();
    for (char *p = line;;) {
        char *tab = strchr(p, '\t');
        if (tab) *tab = 0;
        size_t n = strlen(p);
        if (n && p[n - 1] == '\r') p[--n] = 0;
        json_array_append_new(a, json_string(p));
        if (!tab) break;
        p = tab + 1;
    }
    return a;
}

static int load_touche(struct texts *t, const char *path, const struct vsc_value_system *vs,
                       struct vsc_diag *diag)
{
    char *data = NULL;
    size_t len;
    int rc = read_text_file(&data, &len, path, diag);
    if (rc) return rc;
    json_t *header = NULL;
    int *dim_of = NULL, c_concl = -1, c_stance = -1, c_premise = -1, c_text = -1;
    int line = 0;
    for (char *p = data, *nl; p && *p && !full(t) && !rc; p = nl ? nl + 1 : NULL) {
        nl = strchr(p, '\n');
        if (nl) *nl = 0;
        line++;
        if (!*p || !strcmp(p, "\r")) continue;
        json_t *f = tsv_fields(p);
        if (!header) {
            header = f;
            size_t n = json_array_size(f);
            dim_of = calloc(n ? n : 1, sizeof *dim_of);
            if (!dim_of) rc = VSC_ERR_NOMEM;
            size_t n_labels = 0;
            for (size_t i = 0; !rc && i < n; i++) {
                dim_of[i] = judge_find_dim(vs, json_string_value(json_array_get(f, i)));
                n_labels += dim_of[i] >= 0;
            }
            c_concl = col_of(f, "Conclusion"), c_stance = col_of(f, "Stance");
            c_premise = col_of(f, "Premise"), c_text = col_of(f, "text");
            if (!rc && (c_premise < 0 && c_text < 0))
                rc = vsc_diag_set(diag, path, 1, 0, "need a 'Premise' or 'text' column");
            else if (!rc && !n_labels)
                rc = vsc_diag_set(diag, path, 1, 0,
                                  "no label column names a value of %s (e.g. \"Self-direction: "
                                  "thought\")",
                                  vs->id);
            continue;
        }
        if (json_array_size(f) != json_array_size(header)) {
            rc = vsc_diag_set(diag, path, line, 0, "%zu fields, the header has %zu",
                              json_array_size(f), json_array_size(header));
            json_decref(f);
            break;
        }
        struct text *x = push_text(t);
        if (!x) rc = VSC_ERR_NOMEM;
        const char *concl = c_concl >= 0 ? json_string_value(json_array_get(f, c_concl)) : "";
        const char *stance = c_stance >= 0 ? json_string_value(json_array_get(f, c_stance)) : "";
        const char *body =
            json_string_value(json_array_get(f, c_premise >= 0 ? c_premise : c_text));
        if (x) {
            x->question = *concl ? xasprintf("%s (%s)", concl, stance) : xstrdup("");
            x->answer = xstrdup(body);
            if (!x->question || !x->answer) rc = VSC_ERR_NOMEM;
            for (size_t d = 0; d < vs->n_dims; d++)
                x->labels[d] = -1;
            for (size_t i = 0; i < json_array_size(f); i++) {
                if (dim_of[i] < 0) continue;
                const char *v = json_string_value(json_array_get(f, i));
                if (!strcmp(v, "1") || !strcmp(v, "0"))
                    x->labels[dim_of[i]] = v[0] == '1';
                else
                    t->n_bad++;
            }
        }
        json_decref(f);
    }
    json_decref(header);
    free(dim_of);
    free(data);
    return rc;
}

static int load_valuebench(struct texts *t, const char *path, struct vsc_diag *diag)
{
    char *data = NULL;
    size_t len;
    int rc = read_text_file(&data, &len, path, diag);
    if (rc) return rc;
    struct csv c = {data, data + len, 1};
    json_t *header = json_array(), *f = json_array();
    int line, qcol = -1;
    rc = csv_next(&c, header, &line, path, diag);
    if (rc == 1) {
        rc = 0;
        qcol = col_of(header, "question");
        if (qcol < 0) rc = vsc_diag_set(diag, path, 1, 0, "missing column 'question'");
    } else if (rc == 0) {
        rc = vsc_diag_set(diag, path, 1, 0, "empty file");
    }
    while (!rc && !full(t) && (rc = csv_next(&c, f, &line, path, diag)) == 1) {
        rc = 0;
        /* every "<model>_answer" column with a "<model>_rating" beside it */
        for (size_t i = 0; !rc && i < json_array_size(header) && !full(t); i++) {
            const char *h = json_string_value(json_array_get(header, i));
            size_t hl = strlen(h);
            if (hl < 8 || strcmp(h + hl - 7, "_answer")) continue;
            char *rname = xasprintf("%.*s_rating", (int)(hl - 7), h);
            int rcol = rname ? col_of(header, rname) : -1;
            free(rname);
            if (rcol < 0) continue;
            const char *ans = json_string_value(json_array_get(f, i));
            const char *rat = json_string_value(json_array_get(f, (size_t)rcol));
            const char *q = json_string_value(json_array_get(f, (size_t)qcol));
            if (!ans || !*ans || !q) continue;
            char *end;
            double r = rat ? strtod(rat, &end) : NAN;
            if (!rat || end == rat || *end || !(r >= 0 && r <= 10)) {
                t->n_bad++;
                continue;
            }
            struct text *x = push_text(t);
            if (!x)
                rc = VSC_ERR_NOMEM;
            else {
                x->question = xstrdup(q);
                x->answer = xstrdup(ans);
                x->rating = r;
                if (!x->question || !x->answer) rc = VSC_ERR_NOMEM;
            }
        }
    }
    if (rc > 0) rc = 0;
    json_decref(header);
    json_decref(f);
    free(data);
    return rc;
}

/* ---- the judge calls ------------------------------------------------------------------------ */

struct replies {
    char **text; /* per text index: the ok reply, or NULL */
    int *state;  /* enum judge_outcome */
    size_t n;
};

static int reply_cb(const struct vsc_answer_row *r, void *payload)
{
    struct replies *rep = payload;
    char *end;
    unsigned long i = strtoul(r->item ? r->item : "", &end, 10);
    if (*end || i >= rep->n) return 0;
    if (!strcmp(r->status, "ok")) {
        rep->state[i] = JO_OK;
        free(rep->text[i]);
        if (!(rep->text[i] = xstrdup(r->text ? r->text : ""))) return VSC_ERR_NOMEM;
    } else if (!strcmp(r->status, "error")) {
        rep->state[i] = JO_FAILED;
    }
    return 0;
}

static int ask_judge(struct replies *rep, const struct vsc_judge_eval_opts *o,
                     const struct vsc_model_cfg *judge, const struct texts *t, enum format fmt,
                     const struct vsc_value_system *vs, struct vsc_diag *diag)
{
    static const char *const FMT[] = {"fulcra", "touche", "valuebench"};
    const char *path = o->store_path ? o->store_path : o->cfg->store;
    if (!path)
        return vsc_diag_set(diag, o->cfg->path, 0, 0, "no store: set 'store:' or pass --store");
    struct vsc_store *store = NULL;
    char *run = xasprintf("judge-eval:%s:%s", judge->name, FMT[fmt]);
    char *identity = plan_model_identity(judge);
    enum judge_stage st = fmt == F_VALUEBENCH ? JS_LEAN : JS_STANCE;
    int64_t run_id;
    int rc = 0;
    if (!run || !identity) {
        rc = VSC_ERR_NOMEM;
        goto done;
    }
    /* judge-eval sends requests: it takes the run lock like a run does */
    if ((rc = store_open_locked(&store, path))) {
        vsc_store_diag(diag, store, rc); /* the message names the store (locked: VSC_ERR_BUSY) */
        vsc_store_free(store);
        store = NULL;
        goto done;
    }
    if ((rc = vsc_store_run_begin(store, &run_id, run, o->cfg->source_text))) goto done;
    if ((rc = vsc_store_begin(store))) goto done;
    json_t *params = judge_run_params(o->cfg->params_json);
    json_t *fixed = judge_fixed_params();
    if (!params || !fixed) rc = VSC_ERR_NOMEM;
    for (size_t i = 0; !rc && i < t->n; i++) {
        char *msgs = judge_messages(st, vs, -1, t->v[i].question, t->v[i].answer, NULL);
        json_t *messages = msgs ? json_loads(msgs, 0, NULL) : NULL;
        char item[32];
        snprintf(item, sizeof item, "%zu", i);
        struct plan_cell c = {.model = judge,
                              .identity = identity,
                              .params = params,
                              .fixed = fixed,
                              .messages = messages,
                              .n_logprob_options = judge_logprob_options(st),
                              .max_tokens = JUDGE_LABEL_MAX_TOKENS,
                              .instrument = run,
                              .item = item,
                              .condition = "",
                              .sample = 0,
                              .meta_json = "{}"};
        rc = messages ? plan_add_cell(store, run_id, &c, NULL) : VSC_ERR_NOMEM;
        json_decref(messages);
        free(msgs);
    }
    json_decref(params);
    json_decref(fixed);
    if (rc) {
        vsc_store_rollback(store);
        goto done;
    }
    if ((rc = vsc_store_commit(store))) goto done;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct vsc_model_cfg *models[1] = {judge};
    char *base_dir = path_dirname(o->cfg->path ? o->cfg->path : ".");
    struct dispatch_opts dopts = {.cfg = o->cfg,
                                  .models = models,
                                  .n_models = 1,
                                  .base_dir = base_dir,
                                  .run_id = run_id,
                                  .retry_base_ms = o->cfg->retry_base_ms,
                                  .retry_max_ms = o->cfg->retry_max_ms};
    struct vsc_progress p = {0};
    rc = dispatch_run(store, &dopts, &p, diag);
    free(base_dir);
    if (!rc) rc = vsc_store_foreach_answer(store, run, reply_cb, rep);
done:
    if (rc == VSC_ERR_STORE && store) vsc_diag_set(diag, path, 0, 0, "%s", vsc_store_errmsg(store));
    vsc_store_free(store);
    free(run);
    free(identity);
    return rc;
}

/* ---- metrics --------------------------------------------------------------------------------- */

static void finish_dim(struct vsc_judge_dim_eval *d)
{
    double tp = (double)d->tp, fp = (double)d->fp, fn = (double)d->fn, tn = (double)d->tn;
    double n = tp + fp + fn + tn;
    d->precision = tp + fp > 0 ? tp / (tp + fp) : NAN;
    d->recall = tp + fn > 0 ? tp / (tp + fn) : NAN;
    d->f1 = 2 * tp + fp + fn > 0 ? 2 * tp / (2 * tp + fp + fn) : NAN;
    double po = n > 0 ? (tp + tn) / n : NAN;
    double pe = n > 0 ? ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n) : NAN;
    d->kappa = n > 0 && pe < 1 ? (po - pe) / (1 - pe) : NAN;
}

static int parse_spec(enum format *fmt, const char **file, const char *labels,
                      struct vsc_diag *diag)
{
    static const char *const NAMES[] = {"fulcra:", "touche:", "valuebench:"};
    for (int i = 0; i < 3; i++)
        if (labels && !strncmp(labels, NAMES[i], strlen(NAMES[i]))) {
            *fmt = (enum format)i;
            *file = labels + strlen(NAMES[i]);
            if (**file) return 0;
        }
    return vsc_diag_set(diag, NULL, 0, 0,
                        "--labels '%s': want FORMAT:FILE with FORMAT fulcra, touche or valuebench",
                        labels ? labels : "");
}

static int judge_eval_run(struct vsc_judge_eval **out, const struct vsc_judge_eval_opts *o,
                          struct vsc_diag *diag)
{
    *out = NULL;
    enum format fmt = F_FULCRA;
    const char *file = NULL;
    int rc = parse_spec(&fmt, &file, o->labels, diag);
    if (rc) return rc;
    const struct vsc_model_cfg *judge = NULL;
    for (size_t i = 0; o->cfg && i < o->cfg->n_judges; i++)
        if (!strcmp(o->cfg->judges[i].name, o->judge ? o->judge : "")) judge = &o->cfg->judges[i];
    if (!judge) {
        vsc_diag_set(diag, o->cfg ? o->cfg->path : NULL, 0, 0,
                     "no judge '%s' in the config's 'judges'", o->judge ? o->judge : "");
        return VSC_ERR_NOTFOUND;
    }
    static const char *const FMT[] = {"fulcra", "touche", "valuebench"};
    static const char *const SYS[] = {"schwartz", "schwartz19", NULL};
    struct vsc_value_system *vs = NULL;
    struct texts t = {.limit = o->limit};
    struct replies rep = {0};
    struct vsc_judge_eval *ev = calloc(1, sizeof *ev);
    if (!ev) return VSC_ERR_NOMEM;
    ev->mae = ev->spearman = ev->macro_f1 = NAN;
    ev->format = xstrdup(FMT[fmt]);
    if (SYS[fmt] && (rc = vsc_value_system_builtin(&vs, SYS[fmt], diag))) goto fail;
    ev->system = xstrdup(SYS[fmt] ? SYS[fmt] : "valuebench");
    t.n_dims = vs ? vs->n_dims : 0;
    if (fmt == F_FULCRA)
        rc = load_fulcra(&t, file, vs, diag);
    else if (fmt == F_TOUCHE)
        rc = load_touche(&t, file, vs, diag);
    else
        rc = load_valuebench(&t, file, diag);
    if (rc) goto fail;
    ev->n_texts = t.n;
    ev->n_bad_labels = t.n_bad;
    rep.n = t.n;
    rep.text = calloc(t.n ? t.n : 1, sizeof *rep.text);
    rep.state = calloc(t.n ? t.n : 1, sizeof *rep.state);
    if (!rep.text || !rep.state) {
        rc = VSC_ERR_NOMEM;
        goto fail;
    }
    if ((rc = ask_judge(&rep, o, judge, &t, fmt, vs, diag))) goto fail;
    if (fmt == F_VALUEBENCH) {
        double *a = malloc((t.n ? t.n : 1) * sizeof *a), *b = malloc((t.n ? t.n : 1) * sizeof *b);
        size_t m = 0;
        double abs_sum = 0;
        if (!a || !b) rc = VSC_ERR_NOMEM;
        for (size_t i = 0; !rc && i < t.n; i++) {
            double r;
            if (rep.state[i] == JO_FAILED) ev->n_failed++;
            if (rep.state[i] != JO_OK) continue;
            if (judge_parse_lean(&r, rep.text[i])) {
                ev->n_unparseable++;
                continue;
            }
            a[m] = r, b[m] = t.v[i].rating;
            abs_sum += fabs(r - t.v[i].rating);
            m++;
        }
        ev->n_compared = m;
        if (m) ev->mae = abs_sum / (double)m;
        if (m >= 3) ev->spearman = st_spearman(a, b, m);
        free(a);
        free(b);
        if (rc) goto fail;
    } else {
        ev->n_dims = vs->n_dims;
        ev->dims = calloc(vs->n_dims, sizeof *ev->dims);
        int *st = calloc(vs->n_dims, sizeof *st);
        if (!ev->dims || !st) {
            free(st);
            rc = VSC_ERR_NOMEM;
            goto fail;
        }
        for (size_t d = 0; d < vs->n_dims; d++)
            if (!(ev->dims[d].dimension = xstrdup(vs->dims[d].id))) rc = VSC_ERR_NOMEM;
        for (size_t i = 0; !rc && i < t.n; i++) {
            if (rep.state[i] == JO_FAILED) ev->n_failed++;
            if (rep.state[i] != JO_OK) continue;
            if (!judge_parse_stance_all(st, vs, rep.text[i])) {
                ev->n_unparseable++;
                continue;
            }
            ev->n_compared++;
            for (size_t d = 0; d < vs->n_dims; d++) {
                int gold = t.v[i].labels[d];
                if (gold < 0 || st[d] == JUDGE_UNREAD) continue; /* counted nowhere as a guess */
                int found = st[d] != 0;
                struct vsc_judge_dim_eval *e = &ev->dims[d];
                if (gold && found)
                    e->tp++;
                else if (!gold && found)
                    e->fp++;
                else if (gold)
                    e->fn++;
                else
                    e->tn++;
            }
        }
        free(st);
        double f1_sum = 0;
        size_t f1_n = 0;
        for (size_t d = 0; d < ev->n_dims; d++) {
            finish_dim(&ev->dims[d]);
            if (!isnan(ev->dims[d].f1)) f1_sum += ev->dims[d].f1, f1_n++;
        }
        if (f1_n) ev->macro_f1 = f1_sum / (double)f1_n;
    }
    if (!ev->format || !ev->system) rc = VSC_ERR_NOMEM;
fail:
    for (size_t i = 0; i < rep.n; i++)
        free(rep.text[i]);
    free(rep.text);
    free(rep.state);
    texts_free(&t);
    vsc_value_system_free(vs);
    if (rc)
        vsc_judge_eval_free(ev);
    else
        *out = ev;
    return rc;
}

int vsc_judge_eval_run(struct vsc_judge_eval **out, const struct vsc_judge_eval_opts *o,
                       struct vsc_diag *diag)
{
    vsc_diag_clear(diag);
    return vsc_diag_finish(diag, judge_eval_run(out, o, diag));
}

void vsc_judge_eval_free(struct vsc_judge_eval *ev)
{
    if (!ev) return;
    for (size_t d = 0; d < ev->n_dims; d++)
        free(ev->dims[d].dimension);
    free(ev->dims);
    free(ev->format);
    free(ev->system);
    free(ev);
}

static void put_num(FILE *fp, double v)
{
    if (isnan(v))
        fputs("null", fp);
    else
        fprintf(fp, "%.6g", v);
}

int vsc_judge_eval_write(FILE *fp, const struct vsc_judge_eval *ev, int json)
{
    if (json) {
        fprintf(fp,
                "{\"format\":\"%s\",\"system\":\"%s\",\"n_texts\":%zu,\"n_compared\":%zu,"
                "\"n_unparseable\":%zu,\"n_failed\":%zu,\"n_bad_labels\":%zu,\"macro_f1\":",
                ev->format, ev->system, ev->n_texts, ev->n_compared, ev->n_unparseable,
                ev->n_failed, ev->n_bad_labels);
        put_num(fp, ev->macro_f1);
        fputs(",\"mae\":", fp);
        put_num(fp, ev->mae);
        fputs(",\"spearman\":", fp);
        put_num(fp, ev->spearman);
        fputs(",\"dims\":[", fp);
        for (size_t d = 0; d < ev->n_dims; d++) {
            const struct vsc_judge_dim_eval *e = &ev->dims[d];
            fprintf(fp, "%s{\"dimension\":\"%s\",\"tp\":%zu,\"fp\":%zu,\"fn\":%zu,\"tn\":%zu,",
                    d ? "," : "", e->dimension, e->tp, e->fp, e->fn, e->tn);
            const char *k[] = {"precision", "recall", "f1", "kappa"};
            double v[] = {e->precision, e->recall, e->f1, e->kappa};
            for (int i = 0; i < 4; i++) {
                fprintf(fp, "%s\"%s\":", i ? "," : "", k[i]);
                put_num(fp, v[i]);
            }
            fputc('}', fp);
        }
        fputs("]}\n", fp);
    } else {
        if (ev->n_dims) {
            fprintf(fp, "%-28s %5s %5s %5s %5s %9s %7s %7s %7s\n", "dimension", "tp", "fp", "fn",
                    "tn", "precision", "recall", "f1", "kappa");
            for (size_t d = 0; d < ev->n_dims; d++) {
                const struct vsc_judge_dim_eval *e = &ev->dims[d];
                fprintf(fp, "%-28s %5zu %5zu %5zu %5zu %9.3f %7.3f %7.3f %7.3f\n", e->dimension,
                        e->tp, e->fp, e->fn, e->tn, e->precision, e->recall, e->f1, e->kappa);
            }
            fprintf(fp, "macro-F1 %.3f\n", ev->macro_f1);
        } else {
            fprintf(fp, "MAE %.3f  Spearman rho %.3f\n", ev->mae, ev->spearman);
        }
        fprintf(fp,
                "%s (%s): %zu texts, %zu compared, %zu judge replies unparseable, %zu failed, "
                "%zu labels unreadable\n",
                ev->format, ev->system, ev->n_texts, ev->n_compared, ev->n_unparseable,
                ev->n_failed, ev->n_bad_labels);
    }
    return ferror(fp) ? VSC_ERR_IO : 0;
}
