/* Importing answers collected elsewhere (JSONL) as ok answers of new cells, so published runs
 * can be rescored with valscope's scorer. */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan/cell.h"
#include "util/util.h"
#include "valscope/instrument.h"
#include "valscope/score.h"
#include "valscope/store.h"

#define MAX_LINE (1u << 20)

/* A string -> count map (open addressing) for run ids and sample numbers. */
struct smap {
    char **keys;
    int64_t *vals;
    size_t cap, n;
};

static int64_t *smap_slot(struct smap *m, const char *key, int *out_new)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        char **k = calloc(cap, sizeof *k);
        int64_t *v = calloc(cap, sizeof *v);
        if (!k || !v) {
            free(k);
            free(v);
            return NULL;
        }
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->keys[i]) continue;
            size_t h = (size_t)hash64(m->keys[i]) & (cap - 1);
            while (k[h])
                h = (h + 1) & (cap - 1);
            k[h] = m->keys[i];
            v[h] = m->vals[i];
        }
        free(m->keys);
        free(m->vals);
        m->keys = k;
        m->vals = v;
        m->cap = cap;
    }
    size_t h = (size_t)hash64(key) & (m->cap - 1);
    while (m->keys[h]) {
        if (!strcmp(m->keys[h], key)) {
            *out_new = 0;
            return &m->vals[h];
        }
        h = (h + 1) & (m->cap - 1);
    }
    if (!(m->keys[h] = xstrdup(key))) return NULL;
    m->n++;
    *out_new = 1;
    m->vals[h] = 0;
    return &m->vals[h];
}

static void smap_free(struct smap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
}

/* A string or an integer field as text (malloc'd), or NULL. */
static char *field_text(json_t *o, const char *name)
{
    json_t *v = json_object_get(o, name);
    if (json_is_string(v)) return xstrdup(json_string_value(v));
    if (json_is_integer(v)) return xasprintf("%lld", (long long)json_integer_value(v));
    return NULL;
}

/* The option an answer names: a letter (A = first option), or a number read as an option's
 * value. Returns the option index, or -1 with `why` set. */
static long answer_option(const struct vsc_instrument *ins, json_t *ans, const char **why)
{
    double num;
    if (json_is_string(ans)) {
        const char *s = json_string_value(ans);
        while (isspace((unsigned char)*s))
            s++;
        size_t len = strlen(s);
        while (len && isspace((unsigned char)s[len - 1]))
            len--;
        long o = option_letter_parse(s, len);
        if (o >= 0 && (size_t)o < ins->n_options) return o;
        if (len == 1 && isalpha((unsigned char)s[0])) {
            *why = "letter beyond the instrument's options";
            return -1;
        }
        char buf[64], *end;
        if (len == 0 || len >= sizeof buf) {
            *why = "not an option letter or a number";
            return -1;
        }
        memcpy(buf, s, len);
        buf[len] = 0;
        errno = 0;
        num = strtod(buf, &end);
        if (*end || errno || !isfinite(num)) {
            *why = "not an option letter or a number";
            return -1;
        }
    } else if (json_is_number(ans)) {
        num = json_number_value(ans);
    } else {
        *why = "must be a string or a number";
        return -1;
    }
    for (size_t o = 0; o < ins->n_options; o++)
        if (fabs(ins->options[o].value - num) < 1e-9) return (long)o;
    *why = "number is not the value of any option of the instrument";
    return -1;
}

struct import {
    struct vsc_store *store;
    const struct vsc_instrument *ins;
    const char *kind, *arg, *path;
    char *base_dir;
    size_t *order; /* the identity order, shared by every cell */
    struct smap runs, samples;
    struct smap lines; /* cache key -> the line that stored it, to refuse duplicates */
    struct vsc_diag *diag;
};

static int import_line(struct import *im, const char *line, int lineno)
{
    json_error_t err;
    json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, &err);
    char *model = NULL, *run = NULL, *resp = NULL, *item = NULL, *cond = NULL;
    char *meta = NULL, *keysrc = NULL, *raw = NULL, *cfg = NULL;
    int rc = VSC_ERR_INPUT;
    const struct vsc_instrument *ins = im->ins;
    if (!o) {
        vsc_diag_set(im->diag, im->path, lineno, err.column, "not JSON: %s", err.text);
        goto fail;
    }
    if (!json_is_object(o)) {
        vsc_diag_set(im->diag, im->path, lineno, 1, "a line must be a JSON object");
        goto fail;
    }
    model = field_text(o, "model");
    run = field_text(o, "run");
    resp = field_text(o, "respondent");
    item = field_text(o, "item");
    cond = field_text(o, "condition");
    const char *missing = !model || !*model ? "model"
                          : !run || !*run   ? "run"
                          : !resp           ? "respondent"
                          : !item           ? "item"
                                            : NULL;
    if (missing) {
        vsc_diag_set(im->diag, im->path, lineno, 0, "field '%s' is missing or not a string",
                     missing);
        goto fail;
    }
    json_t *rv = json_object_get(o, "repeat");
    int repeat = 0;
    if (rv && (!json_is_integer(rv) || json_integer_value(rv) < 0 ||
               json_integer_value(rv) > INT32_MAX)) {
        vsc_diag_set(im->diag, im->path, lineno, 0,
                     "field 'repeat' must be a non-negative integer");
        goto fail;
    }
    if (rv) repeat = (int)json_integer_value(rv);
    long it = vsc_instrument_find_item(ins, item);
    if (it < 0) {
        vsc_diag_set(im->diag, im->path, lineno, 0, "field 'item': '%s' is not an item of %s", item,
                     ins->id);
        goto fail;
    }
    json_t *ans = json_object_get(o, "answer");
    if (!ans) {
        vsc_diag_set(im->diag, im->path, lineno, 0, "field 'answer' is missing");
        goto fail;
    }
    /* null: the respondent answered but nothing could be read -> unparseable when scored */
    char letter[OPTION_LETTER_MAX] = "";
    if (!json_is_null(ans)) {
        const char *why = NULL;
        long opt = answer_option(ins, ans, &why);
        if (opt < 0) {
            vsc_diag_set(im->diag, im->path, lineno, 0, "field 'answer': %s", why);
            goto fail;
        }
        option_letter(letter, (size_t)opt);
    }
    if (!cond) cond = xstrdup(CELL_BASELINE);
    rc = VSC_ERR_NOMEM;
    if (!cond) goto fail;

    /* one run_begin and instrument registration per run */
    int is_new = 0;
    int64_t *run_id = smap_slot(&im->runs, run, &is_new);
    if (!run_id) goto fail;
    if (is_new) {
        cfg = xasprintf("# imported from %s with instrument %s:%s\n", im->path, im->kind, im->arg);
        if (!cfg) goto fail;
        if ((rc = vsc_store_run_begin(im->store, run_id, run, cfg))) goto fail;
        if ((rc = vsc_store_run_add_instrument(im->store, *run_id, ins->id, im->kind, im->arg,
                                               im->base_dir, NULL)))
            goto fail;
    }
    /* the n-th answer to an item in a (run, model, condition) becomes sample n, so cells of
     * different respondents never collide and a second import of the same file is a no-op */
    char *skey = xasprintf("%s\x1f%s\x1f%s\x1f%s", run, model, ins->items[it].id, cond);
    rc = VSC_ERR_NOMEM;
    if (!skey) goto fail;
    int64_t *sample = smap_slot(&im->samples, skey, &is_new);
    free(skey);
    if (!sample) goto fail;

    struct cell_meta cm = {.respondent = resp,
                           .repeat = repeat,
                           .position = -1,
                           .dim = ins->items[it].dimension,
                           .key = ins->items[it].key,
                           .n_options = ins->n_options,
                           .order = im->order,
                           .mode = CELL_MODE_TEXT,
                           .source = "import"};
    meta = cell_meta_write(&cm);
    raw = json_dumps(ans, JSON_COMPACT | JSON_ENCODE_ANY);
    keysrc = repeat || strcmp(cond, CELL_BASELINE)
                 ? xasprintf("import|%s|%s|%s|%s|%s|%d", run, model, resp, ins->items[it].id, cond,
                             repeat)
                 : xasprintf("import|%s|%s|%s|%s", run, model, resp, ins->items[it].id);
    if (!meta || !raw || !keysrc) goto fail;
    char key[65];
    sha256_hex(key, keysrc, strlen(keysrc));
    /* a second answer under the same key would overwrite the first and count twice */
    int64_t *first = smap_slot(&im->lines, key, &is_new);
    if (!first) goto fail;
    if (!is_new) {
        rc = vsc_diag_set(im->diag, im->path, lineno, 0,
                          "duplicate answer: same model, run, respondent, item, condition and "
                          "repeat as %s:%lld",
                          im->path, (long long)*first);
        goto fail;
    }
    *first = lineno;
    struct vsc_cell cell = {.model = model,
                            .instrument = ins->id,
                            .item = ins->items[it].id,
                            .condition = cond,
                            .sample = (int)(*sample)++,
                            .key = key,
                            .meta_json = meta};
    if ((rc = vsc_store_add_cell(im->store, *run_id, &cell, NULL))) goto fail;
    struct vsc_answer a = {.status = "ok", .text = letter, .raw = raw, .finish_reason = "import"};
    rc = vsc_store_put_answer(im->store, key, model, &a);
fail:
    json_decref(o);
    free(model);
    free(run);
    free(resp);
    free(item);
    free(cond);
    free(meta);
    free(keysrc);
    free(raw);
    free(cfg);
    return rc;
}

static int import_answers(struct vsc_store *store, const char *instrument_kind,
                          const char *instrument_arg, const char *answers_path,
                          struct vsc_diag *diag)
{
    struct vsc_instrument *ins = NULL;
    struct import im = {.store = store,
                        .kind = instrument_kind,
                        .arg = instrument_arg,
                        .path = answers_path,
                        .diag = diag};
    struct line_reader lr = {0};
    int rc, in_tx = 0;
    size_t *order = NULL;

    if ((rc = vsc_instrument_load(&ins, instrument_kind, instrument_arg, NULL, diag))) goto fail;
    im.ins = ins;
    if (ins->n_options == 0) {
        rc = vsc_diag_set(diag, NULL, 0, 0,
                          "instrument %s has no response options: nothing to import", ins->id);
        goto fail;
    }
    /* the scorer reloads the instrument later, maybe from elsewhere: keep where we were */
    char cwd[4096];
    if (instrument_arg && instrument_arg[0] != '/' && getcwd(cwd, sizeof cwd))
        im.base_dir = xstrdup(cwd);
    rc = VSC_ERR_NOMEM;
    if (!(order = malloc((ins->n_options ? ins->n_options : 1) * sizeof *order))) goto fail;
    for (size_t i = 0; i < ins->n_options; i++)
        order[i] = i;
    im.order = order;

    if ((rc = lines_open(&lr, answers_path, MAX_LINE, diag))) goto fail;
    if ((rc = vsc_store_begin(store))) goto fail;
    in_tx = 1;
    const char *line;
    size_t len;
    while ((rc = lines_next(&lr, &line, &len, diag)) == 1) {
        const char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (!*p) continue; /* blank lines are allowed */
        if ((rc = import_line(&im, line, lr.line))) goto fail;
    }
    if (rc) goto fail;
    rc = vsc_store_commit(store);
    in_tx = 0;
fail:
    if (in_tx) vsc_store_rollback(store);
    lines_close(&lr);
    free(order);
    free(im.base_dir);
    smap_free(&im.runs);
    smap_free(&im.samples);
    smap_free(&im.lines);
    vsc_instrument_free(ins);
    return rc;
}

int vsc_import_answers(struct vsc_store *store, const char *instrument_kind,
                       const char *instrument_arg, const char *answers_path, struct vsc_diag *diag)
{
    vsc_diag_clear(diag);
    return vsc_store_diag(
        diag, store, import_answers(store, instrument_kind, instrument_arg, answers_path, diag));
}
