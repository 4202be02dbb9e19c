/* Replay: answers taken from a recorded JSONL file, for re-scoring published runs.
 * Each line: {"item": ID, "text": ANSWER, "condition": C (optional), "sample": N (optional)}.
 * A cell is matched on (item, condition, sample); a line without condition or sample matches
 * any condition or sample. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "util/util.h"

struct replay {
    json_t *index; /* "item\x1fcondition\x1fsample" and shorter keys -> text */
};

static void put(json_t *index, const char *key, const char *text)
{
    if (!json_object_get(index, key)) json_object_set_new(index, key, json_string(text));
}

static int replay_open(void **state, const struct vsc_model_cfg *m, const char *base_dir,
                       struct vsc_diag *diag)
{
    *state = NULL;
    json_t *o = json_loads(m->options_json, 0, NULL);
    const char *file = json_string_value(json_object_get(o, "file"));
    if (!file) {
        json_decref(o);
        return vsc_diag_set(diag, "", m->line, 0, "model '%s': replay backend needs 'file'",
                            m->name);
    }
    char *path = path_join(base_dir, file);
    json_decref(o);
    char *text = NULL;
    size_t len;
    int rc = read_text_file(&text, &len, path, diag);
    struct replay *r = NULL;
    if (rc) goto done;
    r = calloc(1, sizeof(*r));
    r->index = json_object();
    int line = 0;
    for (char *p = text, *nl; p && *p; p = nl ? nl + 1 : NULL) {
        nl = strchr(p, '\n');
        line++;
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        while (n && (p[n - 1] == '\r' || p[n - 1] == ' ')) n--;
        if (!n) continue;
        json_error_t err;
        json_t *j = json_loadb(p, n, 0, &err);
        const char *item = json_string_value(json_object_get(j, "item"));
        json_t *tv = json_object_get(j, "text");
        if (!j || !item || !json_is_string(tv)) {
            rc = vsc_diag_set(diag, path, line, j ? 1 : err.column,
                              j ? "replay line needs \"item\" and \"text\" strings" : "%s",
                              err.text);
            json_decref(j);
            goto done;
        }
        /* a line answers exactly what it names; a field it leaves out matches any value
         * (so one recorded answer per item serves every sample, but a line for condition X
         * or sample 3 never answers condition Y or sample 4) */
        const char *cond = json_string_value(json_object_get(j, "condition"));
        json_t *sample = json_object_get(j, "sample");
        char key[1024], num[32];
        snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(sample));
        snprintf(key, sizeof(key), "%s\x1f%s\x1f%s", item, cond ? cond : "*", sample ? num : "*");
        put(r->index, key, json_string_value(tv));
        json_decref(j);
    }
done:
    free(text);
    free(path);
    if (rc && r) {
        json_decref(r->index);
        free(r);
        r = NULL;
    }
    *state = r;
    return rc;
}

static void replay_close(void *state)
{
    struct replay *r = state;
    if (!r) return;
    json_decref(r->index);
    free(r);
}

static int replay_answer(void *state, const struct backend_request *req,
                         struct backend_reply *reply)
{
    struct replay *r = state;
    char keys[4][1024];
    const char *cond = req->condition ? req->condition : "";
    snprintf(keys[0], sizeof(keys[0]), "%s\x1f%s\x1f%d", req->item, cond, req->sample);
    snprintf(keys[1], sizeof(keys[1]), "%s\x1f%s\x1f*", req->item, cond);
    snprintf(keys[2], sizeof(keys[2]), "%s\x1f*\x1f%d", req->item, req->sample);
    snprintf(keys[3], sizeof(keys[3]), "%s\x1f*\x1f*", req->item);
    for (int i = 0; i < 4; i++) {
        const char *t = json_string_value(json_object_get(r->index, keys[i]));
        if (t) {
            reply->text = strdup(t);
            reply->finish_reason = strdup("stop");
            return reply->text ? 0 : VSC_ERR_NOMEM;
        }
    }
    reply->error = VSC_E_BACKEND;
    reply->detail = xasprintf("replay: no recorded answer for item '%s'", req->item);
    return 0;
}

static const char *const REPLAY_KEYS[] = {"file", NULL};

const struct backend_ops backend_replay = {.name = "replay",
                                           .keys = REPLAY_KEYS,
                                           .open = replay_open,
                                           .close = replay_close,
                                           .answer = replay_answer};
