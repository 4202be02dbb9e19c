/* OpenAI-compatible chat/completions: request URLs and response parsing. The HTTP transfer
 * itself is the dispatcher's (libcurl multi); this file knows the wire format. */
#include "backends/openai.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

void reply_clear(struct backend_reply *r)
{
    free(r->text);
    free(r->finish_reason);
    free(r->logprobs_json);
    free(r->raw);
    free(r->detail);
    memset(r, 0, sizeof(*r));
    r->retry_after_ms = -1;
}

static int fail(struct backend_reply *out, enum vsc_error_kind kind, const char *detail)
{
    out->error = kind;
    free(out->detail);
    out->detail = strdup(detail);
    return 0;
}

/* completions logprobs {"tokens":[...],"token_logprobs":[...],"top_logprobs":[{tok:lp}]}
 * -> chat format [{"token","logprob","top_logprobs":[{"token","logprob"}]}] */
static json_t *completions_logprobs_to_chat(json_t *lp)
{
    json_t *tokens = json_object_get(lp, "tokens"), *lps = json_object_get(lp, "token_logprobs"),
           *tops = json_object_get(lp, "top_logprobs");
    if (!json_is_array(tokens)) return NULL;
    json_t *out = json_array();
    for (size_t i = 0; i < json_array_size(tokens); i++) {
        json_t *e = json_object();
        json_object_set(e, "token", json_array_get(tokens, i));
        json_t *l = json_array_get(lps, i);
        json_object_set(e, "logprob", l ? l : json_null());
        json_t *top = json_array_get(tops, i), *arr = json_array();
        const char *k;
        json_t *v;
        if (json_is_object(top)) json_object_foreach(top, k, v)
            {
                json_t *t = json_object();
                json_object_set_new(t, "token", json_string(k));
                json_object_set(t, "logprob", v);
                json_array_append_new(arr, t);
            }
        json_object_set_new(e, "top_logprobs", arr);
        json_array_append_new(out, e);
    }
    return out;
}

int openai_parse_response(struct backend_reply *out, const char *body, size_t len, int is_chat)
{
    json_error_t err;
    size_t clean_len;
    char *clean = utf8_sanitize(body, len, &clean_len);
    if (!clean) return VSC_ERR_NOMEM;
    json_t *root = json_loadb(clean, clean_len, JSON_REJECT_DUPLICATES, &err);
    free(clean);
    if (!root) {
        char msg[300];
        snprintf(msg, sizeof(msg), "invalid JSON at byte %d: %s", err.position, err.text);
        return fail(out, VSC_E_BAD_JSON, msg);
    }
    int rc = 0;
    json_t *choices = json_object_get(root, "choices");
    json_t *c0 = json_array_get(choices, 0);
    if (!json_is_object(c0)) {
        json_t *e = json_object_get(root, "error");
        const char *m = json_string_value(json_object_get(e, "message"));
        fail(out, VSC_E_NO_CHOICES, m ? m : "reply has no choices");
        goto done;
    }
    json_t *text = NULL;
    if (is_chat) {
        json_t *msg = json_object_get(c0, "message");
        text = json_object_get(msg, "content");
        if (!json_is_string(text) && !json_is_null(text)) text = NULL;
        if (!msg || (!text && !json_object_get(msg, "content"))) {
            fail(out, VSC_E_NO_CHOICES, "choice has no message content");
            goto done;
        }
    } else {
        text = json_object_get(c0, "text");
        if (!json_is_string(text)) {
            fail(out, VSC_E_NO_CHOICES, "choice has no text");
            goto done;
        }
    }
    out->text = strdup(json_is_string(text) ? json_string_value(text) : "");
    const char *fr = json_string_value(json_object_get(c0, "finish_reason"));
    out->finish_reason = fr ? strdup(fr) : NULL;
    json_t *usage = json_object_get(root, "usage");
    out->prompt_tokens = (int)json_integer_value(json_object_get(usage, "prompt_tokens"));
    out->completion_tokens = (int)json_integer_value(json_object_get(usage, "completion_tokens"));
    json_t *lp = json_object_get(c0, "logprobs");
    if (json_is_object(lp)) {
        json_t *content = json_object_get(lp, "content"); /* chat */
        json_t *conv = NULL;
        if (json_is_array(content)) conv = json_incref(content);
        else conv = completions_logprobs_to_chat(lp);
        if (conv) {
            out->logprobs_json = json_dumps(conv, JSON_COMPACT);
            json_decref(conv);
        }
    }
    out->error = VSC_E_NONE;
done:
    json_decref(root);
    return rc;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

char *openai_endpoint_url(const char *base_url, int is_chat)
{
    /* the path goes before a query (?api-version=... on some hosted APIs) */
    size_t n = strcspn(base_url, "?#");
    char *path = xstrndup(base_url, n);
    if (!path) return NULL;
    const char *query = base_url + n;
    char *url = NULL;
    if (ends_with(path, "/chat/completions") || ends_with(path, "/completions")) {
        url = strdup(base_url);
    } else {
        while (n > 0 && path[n - 1] == '/') n--;
        url = xasprintf("%.*s%s%s", (int)n, path, is_chat ? "/chat/completions" : "/completions",
                        query);
    }
    free(path);
    return url;
}

char *openai_completions_body(const char *chat_body)
{
    json_t *b = json_loads(chat_body, 0, NULL);
    if (!b) return NULL;
    json_t *msgs = json_object_get(b, "messages");
    struct buf p;
    buf_init(&p, 0);
    for (size_t i = 0; i < json_array_size(msgs); i++) {
        const char *c = json_string_value(json_object_get(json_array_get(msgs, i), "content"));
        if (!c) continue;
        if (p.len) buf_puts(&p, "\n\n");
        buf_puts(&p, c);
    }
    json_object_del(b, "messages");
    json_object_set_new(b, "prompt", json_string(p.data ? p.data : ""));
    buf_free(&p);
    if (json_is_true(json_object_get(b, "logprobs"))) {
        json_t *top = json_object_get(b, "top_logprobs");
        json_object_set_new(b, "logprobs", json_integer(top ? json_integer_value(top) : 1));
        json_object_del(b, "top_logprobs");
    }
    char *s = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    return s;
}

struct openai {
    int is_chat;            /* api: chat (the default) or completions */
    char *auth;             /* "Authorization: Bearer KEY" when api_key_env names a key */
    const char *headers[4]; /* the same for every request of the model */
};

static int openai_open(void **state, const struct vsc_model_cfg *m, const char *base_dir,
                       struct vsc_diag *diag)
{
    *state = NULL;
    if (!m->n_base_urls)
        return vsc_diag_set(diag, "", m->line, 0, "model '%s': openai backend needs base_url",
                            m->name);
    struct openai *o = calloc(1, sizeof(*o));
    if (!o) return VSC_ERR_NOMEM;
    o->is_chat = !m->api || strcmp(m->api, "completions") != 0;
    const char *key = m->api_key_env ? getenv(m->api_key_env) : NULL;
    if (key && *key && !(o->auth = xasprintf("Authorization: Bearer %s", key))) {
        free(o);
        return VSC_ERR_NOMEM;
    }
    size_t n = 0;
    o->headers[n++] = "Content-Type: application/json";
    o->headers[n++] = "Expect:";
    if (o->auth) o->headers[n++] = o->auth;
    *state = o;
    return 0;
}

static void openai_close(void *state)
{
    struct openai *o = state;
    if (!o) return;
    free(o->auth);
    free(o);
}

static char *openai_url(void *state, const char *base_url)
{
    return openai_endpoint_url(base_url, ((struct openai *)state)->is_chat);
}

static const char *const *openai_headers(void *state)
{
    return ((struct openai *)state)->headers;
}

/* chat sends the planner's body as it is; completions sends it converted */
static int openai_body(void *state, const char *body, char **out)
{
    *out = NULL;
    if (((struct openai *)state)->is_chat) return 0;
    *out = openai_completions_body(body);
    return *out ? 0 : VSC_ERR_NOMEM;
}

static int openai_parse(void *state, const char *body, size_t len, struct backend_reply *reply)
{
    return openai_parse_response(reply, body, len, ((struct openai *)state)->is_chat);
}

static const struct backend_http OPENAI_HTTP = {
    .url = openai_url, .headers = openai_headers, .body = openai_body, .parse = openai_parse};

static const char *const OPENAI_KEYS[] = {
    "base_url",   "base_urls",       "api_key_env",       "api",
    "timeout_ms", "low_speed_bytes", "low_speed_seconds", NULL};

const struct backend_ops backend_openai = {.name = "openai",
                                           .keys = OPENAI_KEYS,
                                           .http = &OPENAI_HTTP,
                                           .open = openai_open,
                                           .close = openai_close};
