/* Options of the `llama` backend: see llama_opts.h. */
#include "backends/llama_opts.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const llama_keys[] = {"model_path",    "n_ctx",      "threads", "n_batch", "n_parallel",
                                  "chat_template", "flash_attn", "seed",    NULL};

/* Reads an integer option; integral reals and digit strings (YAML without types) count. */
static int opt_int(json_t *o, const char *key, long def, long min, long max, long *out,
                   const struct vsc_model_cfg *m, struct vsc_diag *diag)
{
    json_t *v = json_object_get(o, key);
    *out = def;
    if (!v || json_is_null(v)) return 0;
    double d = NAN;
    if (json_is_integer(v))
        d = (double)json_integer_value(v);
    else if (json_is_real(v))
        d = json_real_value(v);
    else if (json_is_string(v)) {
        char *end;
        d = strtod(json_string_value(v), &end);
        if (end == json_string_value(v) || *end) d = NAN;
    }
    if (!(d == floor(d)) || d < (double)min || d > (double)max)
        return vsc_diag_set(diag, "", m->line, 0,
                            "model '%s': llama option '%s' must be an integer from %ld to %ld",
                            m->name, key, min, max);
    *out = (long)d;
    return 0;
}

int llama_opts_parse(struct llama_opts *out, const struct vsc_model_cfg *m, long max_parallel,
                     struct vsc_diag *diag)
{
    memset(out, 0, sizeof(*out));
    json_t *o = out->root = json_loads(m->options_json ? m->options_json : "{}", 0, NULL);
    if (!o) return VSC_ERR_NOMEM;
    out->model_path = json_string_value(json_object_get(o, "model_path"));
    if (!out->model_path || !*out->model_path)
        return vsc_diag_set(diag, "", m->line, 0,
                            "model '%s': backend llama needs 'model_path' (a GGUF file)", m->name);
    long n_cpu = sysconf(_SC_NPROCESSORS_ONLN);
    int rc;
    if ((rc = opt_int(o, "n_ctx", 0, 0, 1L << 24, &out->n_ctx, m, diag)) ||
        (rc = opt_int(o, "threads",
                      n_cpu > 8   ? 8
                      : n_cpu > 0 ? n_cpu
                                  : 1,
                      1, 1024, &out->threads, m, diag)) ||
        (rc = opt_int(o, "n_batch", 512, 1, 1L << 20, &out->n_batch, m, diag)) ||
        (rc = opt_int(o, "seed", 0, 0, UINT32_MAX, &out->seed, m, diag)) ||
        (rc = opt_int(o, "n_parallel", 8, 1, max_parallel, &out->n_parallel, m, diag)))
        return rc;
    json_t *tv = json_object_get(o, "chat_template");
    if (tv && !json_is_string(tv))
        return vsc_diag_set(diag, "", m->line, 0, "model '%s': chat_template must be a string",
                            m->name);
    json_t *fv = json_object_get(o, "flash_attn");
    const char *fs = json_string_value(fv);
    if (json_is_true(fv) || (fs && strcmp(fs, "on") == 0))
        out->flash_attn = LLAMA_FA_ON;
    else if (json_is_false(fv) || (fs && strcmp(fs, "off") == 0))
        out->flash_attn = LLAMA_FA_OFF;
    else if (fv && !json_is_null(fv) && !(fs && strcmp(fs, "auto") == 0))
        return vsc_diag_set(diag, "", m->line, 0, "model '%s': flash_attn must be auto, on or off",
                            m->name);
    const char *t = out->chat_template = json_string_value(tv);
    out->tmpl_raw = t && (strcmp(t, "none") == 0 || strcmp(t, "raw") == 0);
    out->tmpl_from_gguf = !t || strcmp(t, "gguf") == 0 || strcmp(t, "auto") == 0;
    out->tmpl_literal = t && (strstr(t, "{{") || strstr(t, "{%"));
    return 0;
}

void llama_opts_free(struct llama_opts *o)
{
    if (!o) return;
    json_decref(o->root);
    memset(o, 0, sizeof(*o));
}
