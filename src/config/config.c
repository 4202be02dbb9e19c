/* The run config: YAML -> struct vsc_config, validated with file:line:col diagnostics. */
#include "valscope/config.h"

#include <stdlib.h>
#include <string.h>

#include "config/backends.h"
#include "config/kinds.h"
#include "util/redact.h"
#include "util/util.h"
#include "util/yamljson.h"

static const char *const TOP_KEYS[] = {"store",       "run",        "models",       "judges",
                                       "instruments", "samples",    "params",       "conditions",
                                       "max_attempts", "max_body_bytes", "concurrency",
                                       "retry_base_ms", "retry_max_ms", "max_request_bytes",
                                       "generators", "evolve", NULL};
static const char *const EVOLVE_KEYS[] = {
    "method", "name", "generator", "extractor", "judge", "models", "value_system", "topics",
    "steps", "refine", "opinions", "keep", "seed", "out", "principles", "prompts", "rounds",
    "completions", NULL};
static const char *const ADAEM_ONLY[] = {"extractor", "value_system", "topics", "steps", "refine",
                                         "opinions", "keep", NULL};
static const char *const DENEVIL_ONLY[] = {"judge", "principles", "prompts", "rounds",
                                           "completions", NULL};

#define MAX_CONFIG_BYTES ((size_t)4 << 20) /* docs/limits.md */
#define MAX_PARAMS 256

static int in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0) return 1;
    return 0;
}

static char *join_list(const char *const *list)
{
    struct buf b;
    buf_init(&b, 0);
    for (const char *const *p = list; *p; p++) {
        if (p != list) buf_puts(&b, ", ");
        buf_puts(&b, *p);
    }
    return buf_take(&b);
}

static int check_keys(const struct yj_doc *doc, json_t *obj, const char *const *allowed,
                      const char *what, struct vsc_diag *diag)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        if (!in_list(key, allowed)) {
            char *all = join_list(allowed);
            int rc = yj_error(diag, doc, v, "unknown key '%s' in %s (allowed: %s)", key, what, all);
            free(all);
            return rc;
        }
    }
    return 0;
}

const char *const config_model_keys[] = {"name", "backend", "model", "concurrency",
                                         "rpm",  "tpm",     NULL};

static int is_backend(const char *name)
{
    const char *n;
    const char *const *keys;
    for (size_t i = 0; config_backend_at(i, &n, &keys); i++)
        if (!strcmp(n, name)) return 1;
    return 0;
}

/* 1 when `key` is an option of backend `backend` (NULL: of any backend). */
static int takes_model_key(const char *backend, const char *key)
{
    if (in_list(key, config_model_keys)) return 1;
    const char *n;
    const char *const *keys;
    for (size_t i = 0; config_backend_at(i, &n, &keys); i++)
        if ((!backend || !strcmp(n, backend)) && keys && in_list(key, keys)) return 1;
    return 0;
}

/* 1 when keys[at] of backend i was listed before: common, earlier in `keys`, or (`all`) an
 * earlier backend's. */
static int model_key_before(size_t i, const char *const *keys, size_t at, int all)
{
    if (in_list(keys[at], config_model_keys)) return 1;
    for (size_t j = 0; j < at; j++)
        if (!strcmp(keys[j], keys[at])) return 1;
    const char *n;
    const char *const *earlier;
    for (size_t e = 0; all && e < i && config_backend_at(e, &n, &earlier); e++)
        if (earlier && in_list(keys[at], earlier)) return 1;
    return 0;
}

/* The keys a model entry takes, each once: the common ones, then each backend's own in registry
 * order (only `backend`'s when not NULL). Malloc'd; NULL when out of memory. */
static char *model_keys(const char *backend)
{
    struct buf b;
    buf_init(&b, 4096);
    for (const char *const *p = config_model_keys; *p; p++)
        buf_printf(&b, "%s%s", p != config_model_keys ? ", " : "", *p);
    const char *n;
    const char *const *keys;
    for (size_t i = 0; config_backend_at(i, &n, &keys); i++)
        for (size_t j = 0; (!backend || !strcmp(n, backend)) && keys && keys[j]; j++)
            if (!model_key_before(i, keys, j, !backend)) buf_printf(&b, ", %s", keys[j]);
    return buf_take(&b);
}

/* The names of all backends, "openai, sim, ..." for messages. Malloc'd; NULL when out of
 * memory. */
static char *backend_list(void)
{
    struct buf b;
    buf_init(&b, 4096);
    const char *n;
    const char *const *keys;
    for (size_t i = 0; config_backend_at(i, &n, &keys); i++)
        buf_printf(&b, "%s%s", i ? ", " : "", n);
    return buf_take(&b);
}

/* A key no backend takes (NULL `backend`), or one `backend` does not take. */
static int check_model_keys(const struct yj_doc *doc, json_t *obj, const char *backend,
                            const char *what, struct vsc_diag *diag)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        if (takes_model_key(backend, key)) continue;
        char *all = model_keys(backend);
        int rc =
            all ? yj_error(diag, doc, v, "unknown key '%s' in %s (allowed: %s)", key, what, all)
                : VSC_ERR_NOMEM;
        free(all);
        return rc;
    }
    return 0;
}

static int get_string(char **out, const struct yj_doc *doc, json_t *obj, const char *key,
                      int required, const char *what, struct vsc_diag *diag)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required) return yj_error(diag, doc, obj, "%s: missing required key '%s'", what, key);
        return 0;
    }
    if (!json_is_string(v)) return yj_error(diag, doc, v, "%s: '%s' must be text", what, key);
    free(*out);
    *out = strdup(json_string_value(v));
    return *out ? 0 : VSC_ERR_NOMEM;
}

static int get_number(double *out, const struct yj_doc *doc, json_t *obj, const char *key,
                      double min, double max, const char *what, struct vsc_diag *diag)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_number(v))
        return yj_error(diag, doc, v, "%s: '%s' must be a number", what, key);
    double d = json_number_value(v);
    if (d < min || d > max)
        return yj_error(diag, doc, v, "%s: '%s' must be between %g and %g", what, key, min, max);
    *out = d;
    return 0;
}

static int get_int(int *out, const struct yj_doc *doc, json_t *obj, const char *key, int min,
                   int max, const char *what, struct vsc_diag *diag)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_integer(v))
        return yj_error(diag, doc, v, "%s: '%s' must be a whole number", what, key);
    json_int_t i = json_integer_value(v);
    if (i < min || i > max)
        return yj_error(diag, doc, v, "%s: '%s' must be between %d and %d", what, key, min, max);
    *out = (int)i;
    return 0;
}

/* A number param within [min, max] (min excluded when `open_min`); absent or null is fine. */
static int param_range(const struct yj_doc *doc, json_t *params, const char *key, double min,
                       double max, int open_min, struct vsc_diag *diag)
{
    json_t *v = json_object_get(params, key);
    if (!v || json_is_null(v)) return 0;
    double d = json_number_value(v);
    if (!json_is_number(v) || d < min || d > max || (open_min && d <= min))
        return yj_error(diag, doc, v,
                        open_min ? "params: '%s' must be a number above %g and at most %g"
                                 : "params: '%s' must be a number from %g to %g",
                        key, min, max);
    return 0;
}

/* A whole-number param of at least `min`; absent or null is fine. */
static int param_int(const struct yj_doc *doc, json_t *params, const char *key, json_int_t min,
                     struct vsc_diag *diag)
{
    json_t *v = json_object_get(params, key);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min)
        return yj_error(diag, doc, v, "params: '%s' must be a whole number of at least %lld", key,
                        (long long)min);
    return 0;
}

/* Sampling params no server accepts are config errors, not a run of failed requests. */
static int check_params(const struct yj_doc *doc, json_t *params, struct vsc_diag *diag)
{
    if (json_object_size(params) > MAX_PARAMS)
        return yj_error(diag, doc, params, "'params' has %zu keys; at most %d are allowed",
                        json_object_size(params), MAX_PARAMS);
    int rc;
    if ((rc = param_int(doc, params, "max_tokens", 1, diag)) ||
        (rc = param_int(doc, params, "max_completion_tokens", 1, diag)) ||
        (rc = param_int(doc, params, "n", 1, diag)) ||
        (rc = param_int(doc, params, "seed", 0, diag)) ||
        (rc = param_range(doc, params, "temperature", 0, 2, 0, diag)) ||
        (rc = param_range(doc, params, "top_p", 0, 1, 1, diag)) ||
        (rc = param_range(doc, params, "presence_penalty", -2, 2, 0, diag)) ||
        (rc = param_range(doc, params, "frequency_penalty", -2, 2, 0, diag)))
        return rc;
    return 0;
}

static char *dump(json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

static void model_free(struct vsc_model_cfg *m)
{
    free(m->name);
    free(m->backend);
    for (size_t i = 0; i < m->n_base_urls; i++)
        free(m->base_urls[i]);
    free(m->base_urls);
    free(m->model);
    free(m->api_key_env);
    free(m->api);
    free(m->options_json);
}

static int parse_model(struct vsc_model_cfg *m, const struct yj_doc *doc, json_t *obj,
                       const char *what, struct vsc_diag *diag)
{
    int rc, line, col;
    yj_where(doc, obj, &line, &col);
    m->line = line;
    m->concurrency = 16;
    m->timeout_ms = 120000;
    m->low_speed_bytes = 100;
    m->low_speed_seconds = 30;
    if (!json_is_object(obj)) return yj_error(diag, doc, obj, "%s must be a mapping", what);
    if ((rc = check_model_keys(doc, obj, NULL, what, diag))) return rc;
    if ((rc = get_string(&m->name, doc, obj, "name", 1, what, diag))) return rc;
    char named[300];
    snprintf(named, sizeof(named), "%s '%s'", what, m->name);
    what = named;
    if ((rc = get_string(&m->backend, doc, obj, "backend", 1, what, diag))) return rc;
    if (!is_backend(m->backend)) {
        char *all = backend_list();
        rc = all ? yj_error(diag, doc, json_object_get(obj, "backend"),
                            "%s '%s': unknown backend '%s' (allowed: %s)", what, m->name,
                            m->backend, all)
                 : VSC_ERR_NOMEM;
        free(all);
        return rc;
    }
    if ((rc = check_model_keys(doc, obj, m->backend, what, diag))) return rc;
    if ((rc = get_string(&m->model, doc, obj, "model", 0, what, diag))) return rc;
    if ((rc = get_string(&m->api_key_env, doc, obj, "api_key_env", 0, what, diag))) return rc;
    if ((rc = get_string(&m->api, doc, obj, "api", 0, what, diag))) return rc;
    if (!m->api) m->api = strdup("chat");
    if (strcmp(m->api, "chat") && strcmp(m->api, "completions"))
        return yj_error(diag, doc, json_object_get(obj, "api"),
                        "%s '%s': 'api' must be chat or completions", what, m->name);
    if ((rc = get_int(&m->concurrency, doc, obj, "concurrency", 1, 100000, what, diag))) return rc;
    if ((rc = get_int(&m->timeout_ms, doc, obj, "timeout_ms", 1, 86400000, what, diag))) return rc;
    if ((rc = get_int(&m->low_speed_bytes, doc, obj, "low_speed_bytes", 1, 1 << 30, what, diag)) ||
        (rc = get_int(&m->low_speed_seconds, doc, obj, "low_speed_seconds", 0, 86400, what, diag)))
        return rc;
    if ((rc = get_number(&m->rpm, doc, obj, "rpm", 0, 1e9, what, diag))) return rc;
    if ((rc = get_number(&m->tpm, doc, obj, "tpm", 0, 1e12, what, diag))) return rc;
    json_t *urls[2] = {json_object_get(obj, "base_url"), json_object_get(obj, "base_urls")};
    for (int u = 0; u < 2; u++) {
        json_t *v = urls[u];
        if (!v) continue;
        size_t n = json_is_array(v) ? json_array_size(v) : 1;
        char **grown = realloc(m->base_urls, (m->n_base_urls + n) * sizeof(char *));
        if (!grown) return VSC_ERR_NOMEM;
        m->base_urls = grown;
        for (size_t i = 0; i < n; i++) {
            json_t *s = json_is_array(v) ? json_array_get(v, i) : v;
            if (!json_is_string(s) || !*json_string_value(s))
                return yj_error(diag, doc, s, "%s '%s': base_url must be a URL or a list of URLs",
                                what, m->name);
            const char *url = json_string_value(s);
            if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
                return yj_error(diag, doc, s,
                                "%s '%s': base_url must start with http:// or https://", what,
                                m->name);
            m->base_urls[m->n_base_urls++] = strdup(url);
        }
    }
    if (!strcmp(m->backend, "openai") && !m->model)
        return yj_error(diag, doc, obj, "%s '%s': the openai backend needs 'model'", what, m->name);
    m->options_json = dump(obj);
    return m->options_json ? 0 : VSC_ERR_NOMEM;
}

static int parse_models(struct vsc_model_cfg **out, size_t *out_n, const struct yj_doc *doc,
                        json_t *arr, const char *what, struct vsc_diag *diag)
{
    if (!json_is_array(arr)) return yj_error(diag, doc, arr, "'%ss' must be a list", what);
    size_t n = json_array_size(arr);
    *out = calloc(n ? n : 1, sizeof(**out));
    if (!*out) return VSC_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        *out_n = i + 1;
        int rc = parse_model(&(*out)[i], doc, json_array_get(arr, i), what, diag);
        if (rc) return rc;
        for (size_t j = 0; j < i; j++)
            if (!strcmp((*out)[j].name, (*out)[i].name))
                return yj_error(diag, doc, json_array_get(arr, i), "%s name '%s' is used twice",
                                what, (*out)[i].name);
    }
    return 0;
}

const char *const config_common_keys[] = {"answer_mode", "option_order",  "shuffle", "repeats",
                                          "persona",     "system_prompt", "name",    NULL};

static int is_kind(const char *name)
{
    const char *n;
    const char *const *keys;
    for (size_t i = 0; config_kind_at(i, &n, &keys); i++)
        if (!strcmp(n, name)) return 1;
    return 0;
}

/* 1 when `key` is an option of kind `kind` (NULL: of any kind). */
static int takes_key(const char *kind, const char *key)
{
    if (in_list(key, config_common_keys)) return 1;
    const char *n;
    const char *const *keys;
    for (size_t i = 0; config_kind_at(i, &n, &keys); i++)
        if ((!kind || !strcmp(n, kind)) && keys && in_list(key, keys)) return 1;
    return 0;
}

char *config_kind_names(void)
{
    struct buf b;
    buf_init(&b, 4096);
    const char *n;
    const char *const *keys;
    for (size_t i = 0; config_kind_at(i, &n, &keys); i++)
        buf_printf(&b, "%s%s", i ? ", " : "", n);
    return buf_take(&b);
}

/* 1 when keys[at] came before: a common key, one of an earlier kind, or earlier in `keys`. */
static int listed_before(size_t kind_i, const char *const *keys, size_t at)
{
    if (in_list(keys[at], config_common_keys)) return 1;
    for (size_t j = 0; j < at; j++)
        if (!strcmp(keys[j], keys[at])) return 1;
    const char *n;
    const char *const *earlier;
    for (size_t i = 0; i < kind_i && config_kind_at(i, &n, &earlier); i++)
        if (earlier && in_list(keys[at], earlier)) return 1;
    return 0;
}

/* Every option key, once: the common ones, then each kind's own in table order. */
static char *all_keys(void)
{
    struct buf b;
    buf_init(&b, 4096);
    for (const char *const *p = config_common_keys; *p; p++)
        buf_printf(&b, "%s%s", p != config_common_keys ? ", " : "", *p);
    const char *n;
    const char *const *keys;
    for (size_t i = 0; config_kind_at(i, &n, &keys); i++)
        for (size_t j = 0; keys && keys[j]; j++)
            if (!listed_before(i, keys, j)) buf_printf(&b, ", %s", keys[j]);
    return buf_take(&b);
}

/* A key of another kind, e.g. 'protocol' on a questionnaire: named with the kinds it is for. */
static int check_applies(const struct yj_doc *doc, json_t *v, const char *kind,
                         struct vsc_diag *diag)
{
    const char *key;
    json_t *val;
    json_object_foreach(v, key, val)
    {
        if (is_kind(key) || takes_key(kind, key)) continue;
        struct buf owners;
        buf_init(&owners, 4096);
        const char *n;
        const char *const *keys;
        for (size_t i = 0; config_kind_at(i, &n, &keys); i++)
            if (keys && in_list(key, keys)) buf_printf(&owners, "%s%s", owners.len ? ", " : "", n);
        int rc = yj_error(diag, doc, val, "instrument: '%s' applies to %s only, not %s", key,
                          owners.data ? owners.data : "", kind);
        buf_free(&owners);
        return rc;
    }
    return 0;
}

/* protocol / judge / stance_mode / repair: checked here, so a typo is caught before the
 * probes are paid for rather than when the judge stage starts. */
static int check_judged(const struct yj_doc *doc, json_t *v, struct vsc_diag *diag)
{
    static const char *const protocols[] = {"lean", "stance", "gpv", NULL};
    static const char *const modes[] = {"all", "each", NULL};
    json_t *p = json_object_get(v, "protocol"), *j = json_object_get(v, "judge"),
           *m = json_object_get(v, "stance_mode"), *r = json_object_get(v, "repair");
    if (p && (!json_is_string(p) || !in_list(json_string_value(p), protocols)))
        return yj_error(diag, doc, p, "instrument: 'protocol' must be lean, stance or gpv");
    if (p && !j) return yj_error(diag, doc, v, "instrument: 'protocol' needs a 'judge'");
    if (j && !p) return yj_error(diag, doc, j, "instrument: 'judge' needs a 'protocol'");
    if (j && !json_is_string(j))
        return yj_error(diag, doc, j, "instrument: 'judge' must be a name");
    if (m && (!json_is_string(m) || !in_list(json_string_value(m), modes)))
        return yj_error(diag, doc, m, "instrument: 'stance_mode' must be all or each");
    if (r && !json_is_boolean(r))
        return yj_error(diag, doc, r, "instrument: 'repair' must be true or false");
    return 0;
}

static int parse_instrument(struct vsc_instrument_cfg *ic, const struct yj_doc *doc, json_t *v,
                            struct vsc_diag *diag)
{
    int line, col;
    yj_where(doc, v, &line, &col);
    ic->line = line;
    char *all = config_kind_names();
    int rc = all ? 0 : VSC_ERR_NOMEM;
    if (rc) return rc;
    if (json_is_string(v)) { /* "KIND:ARG" */
        const char *s = json_string_value(v), *colon = strchr(s, ':');
        if (!colon) {
            rc = yj_error(diag, doc, v, "instrument '%s' must be KIND:ARG (kinds: %s)", s, all);
            goto done;
        }
        ic->kind = xstrndup(s, (size_t)(colon - s));
        ic->arg = strdup(colon + 1);
        json_t *o = json_object();
        json_object_set_new(o, ic->kind, json_string(ic->arg));
        ic->options_json = dump(o);
        json_decref(o);
    } else if (json_is_object(v)) {
        const char *key;
        json_t *val;
        json_object_foreach(v, key, val)
        {
            if (is_kind(key)) {
                if (ic->kind) {
                    rc = yj_error(diag, doc, val, "instrument has two kinds ('%s' and '%s')",
                                  ic->kind, key);
                    goto done;
                }
                if (!json_is_string(val)) {
                    rc = yj_error(diag, doc, val, "instrument '%s' needs a text argument", key);
                    goto done;
                }
                ic->kind = strdup(key);
                ic->arg = strdup(json_string_value(val));
            } else if (!takes_key(NULL, key)) {
                char *keys = all_keys();
                rc = yj_error(diag, doc, val,
                              "unknown key '%s' in instrument (kinds: %s; options: %s)", key, all,
                              keys);
                free(keys);
                goto done;
            }
        }
        if (!ic->kind) {
            rc = yj_error(diag, doc, v, "instrument needs one of: %s", all);
            goto done;
        }
        if ((rc = check_applies(doc, v, ic->kind, diag))) goto done;
        if ((rc = check_judged(doc, v, diag))) goto done;
        ic->options_json = dump(v);
    } else {
        rc = yj_error(diag, doc, v, "instrument must be KIND: ARG (kinds: %s)", all);
    }
done:
    free(all);
    return rc;
}

static const struct vsc_model_cfg *find_model(const struct vsc_model_cfg *list, size_t n,
                                              const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i].name, name)) return &list[i];
    return NULL;
}

/* A name in an evolve entry that must be in one of the config's lists. */
static int check_ref(const struct yj_doc *doc, json_t *obj, const char *key, const char *name,
                     const struct vsc_model_cfg *list, size_t n, const char *list_key,
                     const char *what, struct vsc_diag *diag)
{
    if (find_model(list, n, name)) return 0;
    return yj_error(diag, doc, json_object_get(obj, key),
                    "%s: '%s' names '%s', which is not in '%s'", what, key, name, list_key);
}

static int parse_evolve(struct vsc_evolve_cfg *e, const struct vsc_config *c,
                        const struct yj_doc *doc, json_t *obj, struct vsc_diag *diag)
{
    int rc, line, col;
    yj_where(doc, obj, &line, &col);
    e->line = line;
    e->seed = 1;
    e->steps = 40;
    e->refine = 3;
    e->opinions = 4;
    e->keep = 20;
    e->prompts = 10;
    e->rounds = 4;
    e->completions = 8;
    if (!json_is_object(obj)) return yj_error(diag, doc, obj, "evolve entry must be a mapping");
    if ((rc = check_keys(doc, obj, EVOLVE_KEYS, "evolve", diag))) return rc;
    if ((rc = get_string(&e->method, doc, obj, "method", 1, "evolve", diag))) return rc;
    int adaem = !strcmp(e->method, "adaem");
    if (!adaem && strcmp(e->method, "denevil"))
        return yj_error(diag, doc, json_object_get(obj, "method"),
                        "evolve: 'method' must be adaem or denevil, not '%s'", e->method);
    if ((rc = get_string(&e->name, doc, obj, "name", 1, "evolve", diag))) return rc;
    char what[300];
    snprintf(what, sizeof what, "evolve '%s'", e->name);
    const char *const *other = adaem ? DENEVIL_ONLY : ADAEM_ONLY;
    for (; *other; other++)
        if (json_object_get(obj, *other))
            return yj_error(diag, doc, json_object_get(obj, *other),
                            "%s: '%s' does not apply to method %s", what, *other, e->method);
    const char *jkey = adaem ? "extractor" : "judge";
    if ((rc = get_string(&e->generator, doc, obj, "generator", 1, what, diag)) ||
        (rc = get_string(&e->judge, doc, obj, jkey, 1, what, diag)) ||
        (rc = get_string(&e->out, doc, obj, "out", 0, what, diag)))
        return rc;
    if ((rc = check_ref(doc, obj, "generator", e->generator, c->generators, c->n_generators,
                        "generators", what, diag)) ||
        (rc = check_ref(doc, obj, jkey, e->judge, c->judges, c->n_judges, "judges", what, diag)))
        return rc;
    json_t *ms = json_object_get(obj, "models");
    if (!ms) return yj_error(diag, doc, obj, "%s: missing required key 'models'", what);
    if (!json_is_array(ms) || !json_array_size(ms))
        return yj_error(diag, doc, ms, "%s: 'models' must be a non-empty list of model names",
                        what);
    e->models = calloc(json_array_size(ms), sizeof *e->models);
    if (!e->models) return VSC_ERR_NOMEM;
    for (size_t i = 0; i < json_array_size(ms); i++) {
        json_t *m = json_array_get(ms, i);
        if (!json_is_string(m))
            return yj_error(diag, doc, m, "%s: 'models' must be a list of model names", what);
        const char *name = json_string_value(m);
        if (!find_model(c->models, c->n_models, name))
            return yj_error(diag, doc, m, "%s: model '%s' is not in 'models'", what, name);
        for (size_t j = 0; j < e->n_models; j++)
            if (!strcmp(e->models[j], name))
                return yj_error(diag, doc, m, "%s: model '%s' is listed twice", what, name);
        if (!(e->models[e->n_models++] = strdup(name))) return VSC_ERR_NOMEM;
    }
    if (adaem && e->n_models < 2)
        return yj_error(diag, doc, ms, "%s: adaem compares models: name at least two", what);
    json_t *seed = json_object_get(obj, "seed");
    if (seed && (!json_is_integer(seed) || json_integer_value(seed) < 0 ||
                 json_integer_value(seed) > 1000000000))
        return yj_error(diag, doc, seed, "%s: 'seed' must be a whole number from 0 to 1000000000",
                        what);
    if (seed) e->seed = json_integer_value(seed);
    if (adaem) {
        if ((rc = get_string(&e->value_system, doc, obj, "value_system", 1, what, diag)) ||
            (rc = get_string(&e->topics, doc, obj, "topics", 1, what, diag)) ||
            (rc = get_int(&e->steps, doc, obj, "steps", 1, 100000, what, diag)) ||
            (rc = get_int(&e->refine, doc, obj, "refine", 0, 100, what, diag)) ||
            (rc = get_int(&e->opinions, doc, obj, "opinions", 1, 1000, what, diag)) ||
            (rc = get_int(&e->keep, doc, obj, "keep", 1, 100000, what, diag)))
            return rc;
    } else {
        if ((rc = get_string(&e->principles, doc, obj, "principles", 1, what, diag)) ||
            (rc = get_int(&e->prompts, doc, obj, "prompts", 1, 100000, what, diag)) ||
            (rc = get_int(&e->rounds, doc, obj, "rounds", 0, 100, what, diag)) ||
            (rc = get_int(&e->completions, doc, obj, "completions", 1, 1000, what, diag)))
            return rc;
    }
    return 0;
}

static int parse_evolves(struct vsc_config *c, const struct yj_doc *doc, json_t *arr,
                         struct vsc_diag *diag)
{
    if (!json_is_array(arr)) return yj_error(diag, doc, arr, "'evolve' must be a list");
    c->evolve = calloc(json_array_size(arr) + 1, sizeof *c->evolve);
    if (!c->evolve) return VSC_ERR_NOMEM;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        c->n_evolve = i + 1;
        int rc = parse_evolve(&c->evolve[i], c, doc, json_array_get(arr, i), diag);
        if (rc) return rc;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(c->evolve[j].name, c->evolve[i].name))
                return yj_error(diag, doc, json_array_get(arr, i),
                                "evolve name '%s' is used twice", c->evolve[i].name);
    }
    return 0;
}

static char *default_run_name(const char *name)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    const char *dot = strrchr(base, '.');
    return dot && dot != base ? xstrndup(base, (size_t)(dot - base)) : strdup(base);
}

static int config_parse(struct vsc_config **out, const char *text, size_t len, const char *name,
                        struct vsc_diag *diag)
{
    *out = NULL;
    struct yj_doc *doc = NULL;
    struct vsc_config *c = calloc(1, sizeof(*c));
    if (!c) return VSC_ERR_NOMEM;
    c->path = strdup(name ? name : "<config>");
    /* the copy kept with the run has no credentials; requests use base_urls as written */
    char *verbatim = xstrndup(text, len);
    int had_secrets = 0;
    c->source_text = verbatim ? redact_urls(verbatim, &had_secrets) : NULL;
    free(verbatim);
    if (had_secrets)
        c->warning = strdup("a URL in the config carries credentials (user:password@ or a key "
                            "in the query); they are kept out of the store, reports and exports "
                            "(put the key in the environment variable named by api_key_env)");
    c->samples = 1;
    c->max_attempts = 5;
    c->max_body_bytes = 8u << 20;
    c->max_request_bytes = 1u << 20;
    c->retry_base_ms = 500;
    c->retry_max_ms = 30000;
    int rc;
    if (len > MAX_CONFIG_BYTES) {
        rc = vsc_diag_set(diag, c->path, 0, 0,
                          "config is larger than %zu bytes (the cap; see docs/limits.md)",
                          MAX_CONFIG_BYTES);
        goto fail;
    }
    if ((rc = yj_parse(&doc, text, len, c->path, diag))) goto fail;
    json_t *root = yj_root(doc);
    if (!json_is_object(root)) {
        rc = yj_error(diag, doc, root, "the config must be a mapping (store:, models:, ...)");
        goto fail;
    }
    if ((rc = check_keys(doc, root, TOP_KEYS, "the config", diag))) goto fail;
    if ((rc = get_string(&c->store, doc, root, "store", 0, "config", diag))) goto fail;
    if ((rc = get_string(&c->run_name, doc, root, "run", 0, "config", diag))) goto fail;
    if (!c->run_name) c->run_name = default_run_name(c->path);
    if ((rc = get_int(&c->samples, doc, root, "samples", 1, 1000000, "config", diag))) goto fail;
    if ((rc = get_int(&c->max_attempts, doc, root, "max_attempts", 1, 100, "config", diag)))
        goto fail;
    if ((rc = get_int(&c->concurrency, doc, root, "concurrency", 1, 100000, "config", diag)))
        goto fail;
    if ((rc = get_int(&c->retry_base_ms, doc, root, "retry_base_ms", 0, 3600000, "config", diag)))
        goto fail;
    if ((rc = get_int(&c->retry_max_ms, doc, root, "retry_max_ms", 0, 3600000, "config", diag)))
        goto fail;
    double cap = (double)c->max_body_bytes;
    if ((rc = get_number(&cap, doc, root, "max_body_bytes", 1024, 1e10, "config", diag))) goto fail;
    c->max_body_bytes = (size_t)cap;
    cap = (double)c->max_request_bytes;
    if ((rc = get_number(&cap, doc, root, "max_request_bytes", 1024, 1e9, "config", diag)))
        goto fail;
    c->max_request_bytes = (size_t)cap;

    json_t *models = json_object_get(root, "models");
    if (!models) {
        rc = yj_error(diag, doc, root, "the config needs 'models' (a list of models to measure)");
        goto fail;
    }
    if ((rc = parse_models(&c->models, &c->n_models, doc, models, "model", diag))) goto fail;
    if (c->n_models == 0) {
        rc = yj_error(diag, doc, models, "'models' is empty");
        goto fail;
    }
    json_t *judges = json_object_get(root, "judges");
    if (judges && (rc = parse_models(&c->judges, &c->n_judges, doc, judges, "judge", diag)))
        goto fail;

    json_t *gens = json_object_get(root, "generators");
    if (gens &&
        (rc = parse_models(&c->generators, &c->n_generators, doc, gens, "generator", diag)))
        goto fail;

    /* judges, generators and models share one namespace: cells are addressed by name */
    for (size_t j = 0; j < c->n_judges; j++)
        for (size_t m = 0; m < c->n_models; m++)
            if (!strcmp(c->judges[j].name, c->models[m].name)) {
                rc = yj_error(diag, doc, json_array_get(judges, j),
                              "judge name '%s' is also a model's name", c->judges[j].name);
                goto fail;
            }
    for (size_t g = 0; g < c->n_generators; g++)
        if (find_model(c->models, c->n_models, c->generators[g].name) ||
            find_model(c->judges, c->n_judges, c->generators[g].name)) {
            rc = yj_error(diag, doc, json_array_get(gens, g),
                          "generator name '%s' is also a model's or a judge's name",
                          c->generators[g].name);
            goto fail;
        }
    json_t *evolve = json_object_get(root, "evolve");
    if (evolve && (rc = parse_evolves(c, doc, evolve, diag))) goto fail;

    json_t *ins = json_object_get(root, "instruments");
    /* an evolution alone is a run */
    if ((ins || !c->n_evolve) && (!ins || !json_is_array(ins) || json_array_size(ins) == 0)) {
        rc = yj_error(diag, doc, ins ? ins : root,
                      "the config needs 'instruments' (a non-empty list of KIND: ARG)");
        goto fail;
    }
    c->n_instruments = ins ? json_array_size(ins) : 0;
    c->instruments = calloc(c->n_instruments + 1, sizeof(*c->instruments));
    if (!c->instruments) {
        rc = VSC_ERR_NOMEM;
        goto fail;
    }
    for (size_t i = 0; i < c->n_instruments; i++)
        if ((rc = parse_instrument(&c->instruments[i], doc, json_array_get(ins, i), diag)))
            goto fail;
    for (size_t i = 0; i < c->n_instruments; i++) {
        struct vsc_instrument_cfg *ic = &c->instruments[i];
        json_t *o = json_loads(ic->options_json, 0, NULL);
        const char *judge = json_string_value(json_object_get(o, "judge"));
        int found = !judge;
        for (size_t j = 0; judge && j < c->n_judges; j++)
            if (!strcmp(c->judges[j].name, judge)) found = 1;
        if (!found)
            rc = yj_error(diag, doc, json_object_get(json_array_get(ins, i), "judge"),
                          "instrument names judge '%s', which is not in 'judges'", judge);
        json_decref(o);
        if (rc) goto fail;
    }

    json_t *params = json_object_get(root, "params");
    if (params && !json_is_object(params)) {
        rc = yj_error(diag, doc, params, "'params' must be a mapping (temperature: 0, ...)");
        goto fail;
    }
    if (params && (rc = check_params(doc, params, diag))) goto fail;
    c->params_json = params ? dump(params) : strdup("{}");
    json_t *conds = json_object_get(root, "conditions");
    if (conds && !json_is_object(conds)) {
        rc = yj_error(diag, doc, conds, "'conditions' must be a mapping");
        goto fail;
    }
    c->conditions_json = conds ? dump(conds) : strdup("{}");
    yj_free(doc);
    *out = c;
    return 0;
fail:
    yj_free(doc);
    vsc_config_free(c);
    return rc;
}

int vsc_config_parse(struct vsc_config **out, const char *text, size_t len, const char *name,
                     struct vsc_diag *diag)
{
    vsc_diag_clear(diag);
    return vsc_diag_finish(diag, config_parse(out, text, len, name, diag));
}

static int config_load(struct vsc_config **out, const char *path, struct vsc_diag *diag)
{
    char *text;
    size_t len;
    *out = NULL;
    int rc = read_file_capped(&text, &len, path, MAX_CONFIG_BYTES, "config", diag);
    if (rc) return rc;
    rc = vsc_config_parse(out, text, len, path, diag);
    free(text);
    return rc;
}

int vsc_config_load(struct vsc_config **out, const char *path, struct vsc_diag *diag)
{
    vsc_diag_clear(diag);
    return vsc_diag_finish(diag, config_load(out, path, diag));
}

void vsc_config_apply_env(struct vsc_config *cfg)
{
    const char *url = getenv("OPENAI_BASE_URL");
    struct vsc_model_cfg *lists[3] = {cfg->models, cfg->judges, cfg->generators};
    size_t ns[3] = {cfg->n_models, cfg->n_judges, cfg->n_generators};
    for (int l = 0; l < 3; l++)
        for (size_t i = 0; i < ns[l]; i++) {
            struct vsc_model_cfg *m = &lists[l][i];
            if (strcmp(m->backend, "openai")) continue;
            if (!m->n_base_urls) {
                m->base_urls = calloc(1, sizeof(char *));
                if (!m->base_urls) continue;
                m->base_urls[0] = strdup(url && *url ? url : "https://api.openai.com/v1");
                m->n_base_urls = 1;
            }
            if (!m->api_key_env) m->api_key_env = strdup("OPENAI_API_KEY");
        }
}

void vsc_config_free(struct vsc_config *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n_models; i++)
        model_free(&c->models[i]);
    free(c->models);
    for (size_t i = 0; i < c->n_judges; i++)
        model_free(&c->judges[i]);
    free(c->judges);
    for (size_t i = 0; i < c->n_generators; i++) model_free(&c->generators[i]);
    free(c->generators);
    for (size_t i = 0; i < c->n_evolve; i++) {
        struct vsc_evolve_cfg *e = &c->evolve[i];
        free(e->method);
        free(e->name);
        free(e->generator);
        free(e->judge);
        for (size_t m = 0; m < e->n_models; m++) free(e->models[m]);
        free(e->models);
        free(e->value_system);
        free(e->topics);
        free(e->principles);
        free(e->out);
    }
    free(c->evolve);
    for (size_t i = 0; i < c->n_instruments; i++) {
        free(c->instruments[i].kind);
        free(c->instruments[i].arg);
        free(c->instruments[i].options_json);
    }
    free(c->instruments);
    free(c->path);
    free(c->run_name);
    free(c->store);
    free(c->params_json);
    free(c->conditions_json);
    free(c->source_text);
    free(c->warning);
    free(c);
}
