/* The cell contract (cell.h, docs/internals/cell.md): each string format planners write and
 * readers parse back, the meta of item cells, and the one builder of body, cache key and row.
 * The formats are stored in every existing store, so they are written exactly as they always
 * were; parsing is what got careful (separators inside names, odd numbers). */
#include "plan/cell.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* ---- respondent ---------------------------------------------------------------------------- */

char *cell_respondent(const char *model, const char *condition, int sample)
{
    return xasprintf("%s|%s|%d", model, condition, sample);
}

int cell_respondent_parse(size_t *out_stem_len, int *out_sample, const char *respondent)
{
    const char *bar = respondent ? strrchr(respondent, '|') : NULL;
    if (!bar || !bar[1]) return -1;
    char *end, back[24];
    errno = 0;
    long v = strtol(bar + 1, &end, 10);
    if (errno || *end || v < INT_MIN || v > INT_MAX) return -1;
    snprintf(back, sizeof back, "%ld", v);
    if (strcmp(back, bar + 1)) return -1; /* only what cell_respondent writes ("07" is not 7) */
    *out_stem_len = (size_t)(bar - respondent);
    *out_sample = (int)v;
    return 0;
}

/* ---- conditions ---------------------------------------------------------------------------- */

#define PERSONA "persona:"
#define PERSONA_FILE "persona:file:"

char *cell_condition_persona(long long seed, long index)
{
    return xasprintf(PERSONA "%lld:%ld", seed, index);
}

char *cell_condition_persona_file(const char *id)
{
    return xasprintf(PERSONA_FILE "%s", id);
}

enum cell_condition_kind cell_condition_parse(struct cell_condition *out, const char *condition)
{
    memset(out, 0, sizeof *out);
    const char *c = condition ? condition : "";
    if (!strcmp(c, CELL_BASELINE)) return out->kind = CELL_COND_BASELINE;
    if (strncmp(c, PERSONA, strlen(PERSONA))) return out->kind = CELL_COND_OTHER;
    if (!strncmp(c, PERSONA_FILE, strlen(PERSONA_FILE))) {
        out->file_id = c + strlen(PERSONA_FILE);
        return out->kind = CELL_COND_PERSONA_FILE;
    }
    const char *p = c + strlen(PERSONA);
    char *end;
    errno = 0;
    long long seed = strtoll(p, &end, 10);
    if (errno || end == p || *end != ':') return out->kind = CELL_COND_OTHER;
    p = end + 1;
    long index = strtol(p, &end, 10);
    if (errno || end == p || *end || index < 0 || index > 10000000)
        return out->kind = CELL_COND_OTHER;
    out->seed = seed;
    out->index = index;
    return out->kind = CELL_COND_PERSONA;
}

/* ---- judge instruments --------------------------------------------------------------------- */

#define JUDGE_MARK "#judge:"

char *cell_judge_label(const char *label, const char *stage)
{
    return xasprintf("%s" JUDGE_MARK "%s", label, stage);
}

int cell_judge_label_parse(size_t *out_label_len, const char **out_stage, const char *instrument)
{
    const char *last = NULL;
    for (const char *p = instrument; p && (p = strstr(p, JUDGE_MARK)); p++)
        last = p;
    if (!last) return 0;
    *out_label_len = (size_t)(last - instrument);
    *out_stage = last + strlen(JUDGE_MARK);
    return 1;
}

/* ---- meta ---------------------------------------------------------------------------------- */

static json_t *int_array(const size_t *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_integer((json_int_t)v[i]));
    return a;
}

char *cell_meta_write(const struct cell_meta *m)
{
    json_t *o = json_object();
    if (!o) return NULL;
    if (m->persona) json_object_set(o, "persona", (json_t *)m->persona);
    if (m->respondent) json_object_set_new(o, "respondent", json_string(m->respondent));
    json_object_set_new(o, "repeat", json_integer(m->repeat));
    if (m->position >= 0) json_object_set_new(o, "position", json_integer(m->position));
    if (m->dim) {
        json_object_set_new(o, "dim", json_string(m->dim));
        json_object_set_new(o, "key", json_integer(m->key));
    }
    if (m->options) {
        json_t *values = json_array(), *labels = json_array(), *tokens = json_array();
        for (size_t i = 0; i < m->n_options; i++) {
            char tok[OPTION_LETTER_MAX];
            option_letter(tok, i);
            json_array_append_new(values, json_real(m->options[i].value));
            json_array_append_new(labels, json_string(m->options[i].label));
            json_array_append_new(tokens, json_string(tok));
        }
        json_object_set_new(o, "values", values);
        json_object_set_new(o, "labels", labels);
        json_object_set_new(o, "tokens", tokens);
    }
    if (m->order) json_object_set_new(o, "order", int_array(m->order, m->n_options));
    if (m->mode != CELL_MODE_NONE)
        json_object_set_new(o, "mode",
                            json_string(m->mode == CELL_MODE_LOGPROBS ? "logprobs" : "text"));
    if (m->mode == CELL_MODE_LOGPROBS) json_object_set_new(o, "logprobs", json_true());
    if (m->source) json_object_set_new(o, "source", json_string(m->source));
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

static int read_order(struct cell_meta *out, json_t *v, size_t n, size_t *order_buf, char *why,
                      size_t why_len)
{
    if (!json_is_array(v) || json_array_size(v) != n) {
        snprintf(why, why_len, "meta.order must list the %zu options once each", n);
        return VSC_ERR_INPUT;
    }
    unsigned char *seen = calloc(n ? n : 1, 1);
    if (!seen) return VSC_ERR_NOMEM;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        json_t *e = json_array_get(v, i);
        json_int_t o = json_is_integer(e) ? json_integer_value(e) : -1;
        if (o < 0 || (size_t)o >= n || seen[o]++) {
            snprintf(why, why_len, "meta.order[%zu] is not an unused option index", i);
            rc = VSC_ERR_INPUT;
        } else {
            order_buf[i] = (size_t)o;
        }
    }
    free(seen);
    if (!rc) out->order = order_buf;
    return rc;
}

int cell_meta_read(struct cell_meta *out, const char *meta_json, size_t n_options,
                   size_t *order_buf, char *why, size_t why_len)
{
    memset(out, 0, sizeof *out);
    out->position = -1;
    out->n_options = n_options;
    if (!meta_json || !*meta_json) return 0;
    out->json = json_loads(meta_json, 0, NULL);
    if (!json_is_object(out->json)) {
        snprintf(why, why_len, "meta is not a JSON object");
        return VSC_ERR_INPUT;
    }
    json_t *m = out->json, *v;
    if ((v = json_object_get(m, "repeat"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT32_MAX) {
            snprintf(why, why_len, "meta.repeat must be a non-negative integer");
            return VSC_ERR_INPUT;
        }
        out->repeat = (int)json_integer_value(v);
        out->has_repeat = 1;
    }
    if ((v = json_object_get(m, "order"))) {
        int rc = read_order(out, v, n_options, order_buf, why, why_len);
        if (rc) return rc;
    }
    out->respondent = json_string_value(json_object_get(m, "respondent"));
    out->dim = json_string_value(json_object_get(m, "dim"));
    if (json_is_integer(v = json_object_get(m, "key"))) {
        out->key = (int)json_integer_value(v);
        out->has_key = 1;
    }
    if (json_is_integer(v = json_object_get(m, "position")))
        out->position = (long)json_integer_value(v);
    if (json_is_object(v = json_object_get(m, "persona"))) out->persona = v;
    const char *mode = json_string_value(json_object_get(m, "mode"));
    if (mode) out->mode = !strcmp(mode, "logprobs") ? CELL_MODE_LOGPROBS : CELL_MODE_TEXT;
    out->source = json_string_value(json_object_get(m, "source"));
    return 0;
}

void cell_meta_clear(struct cell_meta *m)
{
    json_decref(m->json);
    memset(m, 0, sizeof *m);
    m->position = -1;
}

/* ---- request, cache key, row --------------------------------------------------------------- */

char *plan_model_identity(const struct vsc_model_cfg *m)
{
    /* HTTP models are who they say they are (label, served name, API); local backends are
     * defined by their options (a sim profile, a replay file, a GGUF path), less the keys that
     * only say how fast to ask, so changing concurrency never invalidates the cache. */
    if (!strcmp(m->backend, "openai"))
        return xasprintf("openai|%s|%s|%s", m->name, m->model ? m->model : "", m->api);
    json_t *o = json_loads(m->options_json ? m->options_json : "{}", 0, NULL);
    static const char *const operational[] = {
        "concurrency", "rpm", "tpm", "timeout_ms", "low_speed_bytes", "low_speed_seconds", NULL};
    for (const char *const *k = operational; *k; k++)
        json_object_del(o, *k);
    char *opts = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    char *id = xasprintf("%s|%s|%s", m->backend, m->name, opts ? opts : "");
    free(opts);
    return id;
}

void plan_cache_key(char out[65], const char *identity, const char *body, int sample)
{
    struct sha256_ctx c;
    char s[32];
    sha256_init(&c);
    sha256_update(&c, identity, strlen(identity) + 1);
    sha256_update(&c, body, strlen(body) + 1);
    snprintf(s, sizeof(s), "%d", sample);
    sha256_update(&c, s, strlen(s));
    sha256_final_hex(&c, out);
}

char *plan_cell_body(const struct plan_cell *c)
{
    json_t *b = c->params ? json_deep_copy(c->params) : json_object();
    if (!b) return NULL;
    if (c->fixed) json_object_update(b, (json_t *)c->fixed);
    const struct vsc_model_cfg *m = c->model;
    json_object_set_new(b, "model", json_string(m->model ? m->model : m->name));
    json_object_set(b, "messages", c->messages);
    json_t *seed = json_object_get(b, "seed");
    /* each sample is its own draw: with a fixed seed, sample k uses seed + k */
    if (json_is_integer(seed))
        json_object_set_new(b, "seed", json_integer(json_integer_value(seed) + c->sample));
    if (c->n_logprob_options) {
        size_t top = c->n_logprob_options < 5 ? 5 : c->n_logprob_options;
        json_object_set_new(b, "logprobs", json_true());
        json_object_set_new(b, "top_logprobs", json_integer((json_int_t)(top > 20 ? 20 : top)));
        json_object_set_new(b, "max_tokens", json_integer(c->max_tokens > 0 ? c->max_tokens : 1));
    }
    char *out = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(b);
    return out;
}

int plan_add_cell(struct vsc_store *store, int64_t run_id, const struct plan_cell *c, int *out_new)
{
    char *body = plan_cell_body(c);
    if (!body) return VSC_ERR_NOMEM;
    size_t len = strlen(body);
    if (c->cfg && len > c->cfg->max_request_bytes) {
        free(body);
        return vsc_diag_set(c->diag, c->cfg->path, c->line, 0,
                            "model '%s', item %s: request body of %zu bytes exceeds the cap of "
                            "%zu bytes (max_request_bytes)",
                            c->model->name, c->item, len, c->cfg->max_request_bytes);
    }
    char key[65];
    plan_cache_key(key, c->identity, body, c->sample);
    struct vsc_cell cell = {.model = c->model->name,
                            .instrument = c->instrument,
                            .item = c->item,
                            .condition = c->condition,
                            .sample = c->sample,
                            .key = key,
                            .meta_json = c->meta_json,
                            .body = body};
    int rc = vsc_store_add_cell(store, run_id, &cell, out_new);
    free(body);
    return rc;
}
