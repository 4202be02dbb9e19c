/* In-process OpenAI-compatible test server; see testserver.h. */
#include "testserver.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"

#define DEFAULT_HUGE_BYTES (10u * 1024 * 1024)
#define DEFAULT_HANG_MS 30000
#define MAX_REQUEST_BYTES (64u * 1024 * 1024)

struct body_entry {
    char hex[65]; /* "" when the slot is free */
    int seen;
    int ok;
};

struct ts_server {
    struct MHD_Daemon *daemon;
    int port;
    char url[64];
    atomic_int stopping;

    pthread_mutex_t lock; /* guards everything below */
    struct ts_config cfg;
    char *answer_text; /* owned copy of cfg.answer_text */
    struct body_entry *bodies;
    size_t n_bodies, cap_bodies;
    int64_t requests, ok_replies;
    int64_t faults[TS_FAULT_COUNT];
    int in_flight, max_in_flight;
    char *last_body, *last_path, *last_auth;
};

/* Per-request state, kept in MHD's con_cls. */
struct req {
    struct buf body;
    char *path;
};

const char *ts_fault_name(enum ts_fault fault)
{
    static const char *names[TS_FAULT_COUNT] = {"none",       "429",       "500",      "503",
                                                "drop",       "truncated", "bad_utf8", "huge",
                                                "no_choices", "not_json",  "hang",     "trickle"};
    return fault >= 0 && fault < TS_FAULT_COUNT ? names[fault] : "?";
}

/* ---- hashing ------------------------------------------------------------------------------ */

static uint64_t hex_prefix64(const char *hex)
{
    uint64_t v = 0;
    for (int i = 0; i < 16; i++) {
        char c = hex[i];
        v = v << 4 | (uint64_t)(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    return v;
}

/* A uniform number in [0, 1) from a body (and an attempt when > 0). */
static double body_fraction(const char *body, size_t len, int attempt)
{
    struct sha256_ctx c;
    char hex[65];
    sha256_init(&c);
    sha256_update(&c, "ts-fault:", 9);
    sha256_update(&c, body, len);
    if (attempt > 0) {
        char tag[32];
        int n = snprintf(tag, sizeof tag, "#%d", attempt);
        sha256_update(&c, tag, (size_t)n);
    }
    sha256_final_hex(&c, hex);
    return (double)(hex_prefix64(hex) >> 11) / 9007199254740992.0; /* 2^53 */
}

int ts_fault_selected(const struct ts_config *cfg, const char *body, size_t len, int attempt)
{
    if (!cfg || cfg->fault == TS_FAULT_NONE || cfg->fault_rate <= 0) return 0;
    if (cfg->fault_attempts > 0) {
        if (attempt > cfg->fault_attempts) return 0;
        return cfg->fault_rate >= 1.0 || body_fraction(body, len, 0) < cfg->fault_rate;
    }
    return cfg->fault_rate >= 1.0 || body_fraction(body, len, attempt) < cfg->fault_rate;
}

void ts_hash_answer(char out[21], const char *body, size_t len)
{
    char hex[65];
    sha256_hex(hex, body, len);
    memcpy(out, "ans-", 4);
    memcpy(out + 4, hex, 16);
    out[20] = '\0';
}

/* ---- body counters (call with the lock held) ------------------------------------------------ */

static struct body_entry *body_slot(struct ts_server *ts, const char *hex, int create)
{
    if (create && (ts->n_bodies + 1) * 2 > ts->cap_bodies) {
        size_t ncap = ts->cap_bodies ? ts->cap_bodies * 2 : 1024;
        struct body_entry *nb = calloc(ncap, sizeof *nb);
        if (!nb) return NULL;
        for (size_t i = 0; i < ts->cap_bodies; i++) {
            if (!ts->bodies[i].hex[0]) continue;
            size_t j = hex_prefix64(ts->bodies[i].hex) & (ncap - 1);
            while (nb[j].hex[0])
                j = (j + 1) & (ncap - 1);
            nb[j] = ts->bodies[i];
        }
        free(ts->bodies);
        ts->bodies = nb;
        ts->cap_bodies = ncap;
    }
    if (!ts->cap_bodies) return NULL;
    size_t j = hex_prefix64(hex) & (ts->cap_bodies - 1);
    while (ts->bodies[j].hex[0]) {
        if (!strcmp(ts->bodies[j].hex, hex)) return &ts->bodies[j];
        j = (j + 1) & (ts->cap_bodies - 1);
    }
    if (!create) return NULL;
    memcpy(ts->bodies[j].hex, hex, 65);
    ts->n_bodies++;
    return &ts->bodies[j];
}

/* ---- reply building ------------------------------------------------------------------------ */

/* JSON string escaping that passes bytes >= 0x80 through untouched, so that invalid UTF-8 in an
 * answer reaches the client as raw bytes (jansson would refuse to encode it). */
static void put_json_string(struct buf *b, const char *s, size_t len)
{
    buf_append(b, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            buf_append(b, e, 2);
        } else if (c == '\n') {
            buf_append(b, "\\n", 2);
        } else if (c < 0x20) {
            buf_printf(b, "\\u%04x", c);
        } else {
            buf_append(b, &s[i], 1);
        }
    }
    buf_append(b, "\"", 1);
}

static void put_json_cstr(struct buf *b, const char *s)
{
    put_json_string(b, s, strlen(s));
}

static int count_words(const char *s)
{
    int n = 0, in = 0;
    for (; s && *s; s++) {
        int space = *s == ' ' || *s == '\n' || *s == '\t' || *s == '\r';
        if (!space && !in) n++;
        in = !space;
    }
    return n;
}

/* Splits text into tokens the way BPE tokenizers often do: a token starts at a space. */
static size_t next_token(const char *s, size_t len, size_t pos)
{
    size_t i = pos + 1;
    while (i < len && s[i] != ' ')
        i++;
    return i;
}

/* What the server understood of a request. */
struct parsed_req {
    int is_chat;
    const char *model;
    char *prompt_text; /* last message content or prompt; owned */
    int prompt_words;
    int want_logprobs;
    int top_logprobs;
    int max_tokens; /* 0 when absent */
};

static void parse_request(struct parsed_req *p, json_t *root)
{
    json_t *v;
    p->model = json_string_value(json_object_get(root, "model"));
    if (!p->model) p->model = "test-model";
    if (p->is_chat) {
        json_t *msgs = json_object_get(root, "messages");
        size_t i;
        json_array_foreach(msgs, i, v)
        {
            const char *c = json_string_value(json_object_get(v, "content"));
            if (!c) continue;
            p->prompt_words += count_words(c);
            free(p->prompt_text);
            p->prompt_text = xstrdup(c);
        }
        p->want_logprobs = json_is_true(json_object_get(root, "logprobs"));
        p->top_logprobs = (int)json_integer_value(json_object_get(root, "top_logprobs"));
        v = json_object_get(root, "max_completion_tokens");
        if (!json_is_integer(v)) v = json_object_get(root, "max_tokens");
    } else {
        v = json_object_get(root, "prompt");
        if (json_is_array(v)) v = json_array_get(v, 0);
        const char *c = json_string_value(v);
        p->prompt_text = xstrdup(c ? c : "");
        p->prompt_words = count_words(p->prompt_text);
        v = json_object_get(root, "logprobs");
        p->want_logprobs = json_is_integer(v) || json_is_true(v);
        p->top_logprobs = (int)json_integer_value(v);
        v = json_object_get(root, "max_tokens");
    }
    p->max_tokens = json_is_integer(v) ? (int)json_integer_value(v) : 0;
    if (p->top_logprobs < 0) p->top_logprobs = 0;
    if (p->top_logprobs > 20) p->top_logprobs = 20;
    if (!p->prompt_text) p->prompt_text = xstrdup("");
}

/* Alternatives offered in top_logprobs after the chosen token. */
static const char *const alt_tokens[] = {"1", "2",   "3",  "4", "5", "6", "7", "A", "B", "C", "D",
                                         "E", "yes", "no", "0", "8", "9", "F", "G", "H", "I"};

static void put_top_chat(struct buf *b, const char *tok, size_t tok_len, int n)
{
    buf_puts(b, "[");
    int k = 0;
    if (n > 0) {
        buf_puts(b, "{\"token\":");
        put_json_string(b, tok, tok_len);
        buf_puts(b, ",\"logprob\":-0.1}");
        k = 1;
    }
    for (size_t a = 0; k < n && a < sizeof alt_tokens / sizeof *alt_tokens; a++) {
        if (strlen(alt_tokens[a]) == tok_len && !memcmp(alt_tokens[a], tok, tok_len)) continue;
        buf_printf(b, ",{\"token\":\"%s\",\"logprob\":%.4f}", alt_tokens[a], -2.5 - 0.5 * k);
        k++;
    }
    buf_puts(b, "]");
}

/* A normal answer in OpenAI format. */
static char *build_answer(const struct parsed_req *p, const char *text, size_t text_len,
                          const char *finish, int64_t id, size_t *out_len)
{
    struct buf b;
    buf_init(&b, 0);
    int completion = 0;
    for (size_t pos = 0; pos < text_len; pos = next_token(text, text_len, pos))
        completion++;
    buf_printf(&b, "{\"id\":\"%s-ts-%lld\",\"object\":\"%s\",\"created\":1700000000,\"model\":",
               p->is_chat ? "chatcmpl" : "cmpl", (long long)id,
               p->is_chat ? "chat.completion" : "text_completion");
    put_json_cstr(&b, p->model);
    buf_puts(&b, ",\"choices\":[{\"index\":0,");
    if (p->is_chat) {
        buf_puts(&b, "\"message\":{\"role\":\"assistant\",\"content\":");
        put_json_string(&b, text, text_len);
        buf_puts(&b, "},\"logprobs\":");
        if (p->want_logprobs) {
            buf_puts(&b, "{\"content\":[");
            for (size_t pos = 0; pos < text_len;) {
                size_t end = next_token(text, text_len, pos);
                buf_puts(&b, pos ? ",{\"token\":" : "{\"token\":");
                put_json_string(&b, text + pos, end - pos);
                buf_puts(&b, ",\"logprob\":-0.1,\"top_logprobs\":");
                put_top_chat(&b, text + pos, end - pos, p->top_logprobs);
                buf_puts(&b, "}");
                pos = end;
            }
            buf_puts(&b, "]}");
        } else {
            buf_puts(&b, "null");
        }
    } else {
        buf_puts(&b, "\"text\":");
        put_json_string(&b, text, text_len);
        buf_puts(&b, ",\"logprobs\":");
        if (p->want_logprobs) {
            struct buf toks, lps, tops, offs;
            buf_init(&toks, 0), buf_init(&lps, 0), buf_init(&tops, 0), buf_init(&offs, 0);
            for (size_t pos = 0; pos < text_len;) {
                size_t end = next_token(text, text_len, pos);
                const char *sep = pos ? "," : "";
                buf_puts(&toks, sep);
                put_json_string(&toks, text + pos, end - pos);
                buf_printf(&lps, "%s-0.1", sep);
                buf_printf(&offs, "%s%zu", sep, pos);
                buf_printf(&tops, "%s{", sep);
                put_json_string(&tops, text + pos, end - pos);
                buf_puts(&tops, ":-0.1");
                int k = 1;
                for (size_t a = 0; k < p->top_logprobs && a < 21; a++) {
                    if (strlen(alt_tokens[a]) == end - pos &&
                        !memcmp(alt_tokens[a], text + pos, end - pos))
                        continue;
                    buf_printf(&tops, ",\"%s\":%.4f", alt_tokens[a], -2.5 - 0.5 * k);
                    k++;
                }
                buf_puts(&tops, "}");
                pos = end;
            }
            buf_printf(&b,
                       "{\"tokens\":[%s],\"token_logprobs\":[%s],\"top_logprobs\":[%s],"
                       "\"text_offset\":[%s]}",
                       toks.len ? toks.data : "", lps.len ? lps.data : "",
                       tops.len ? tops.data : "", offs.len ? offs.data : "");
            buf_free(&toks), buf_free(&lps), buf_free(&tops), buf_free(&offs);
        } else {
            buf_puts(&b, "null");
        }
    }
    buf_puts(&b, ",\"finish_reason\":");
    put_json_cstr(&b, finish);
    buf_printf(&b,
               "}],\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":%d,"
               "\"total_tokens\":%d}}",
               p->prompt_words, completion, p->prompt_words + completion);
    *out_len = b.len;
    return buf_take(&b);
}

static char *error_body(int status, size_t *out_len)
{
    char *s = xasprintf("{\"error\":{\"message\":\"injected HTTP %d\",\"type\":\"%s\","
                        "\"code\":%d}}",
                        status, status == 429 ? "rate_limit_exceeded" : "server_error", status);
    *out_len = strlen(s);
    return s;
}

/* ---- MHD glue ------------------------------------------------------------------------------ */

/* Sleeps in small steps so that ts_stop() does not wait for long latencies. */
static void nap_ms(struct ts_server *ts, int ms)
{
    while (ms > 0 && !atomic_load(&ts->stopping)) {
        int step = ms < 10 ? ms : 10;
        struct timespec t = {0, step * 1000000L};
        nanosleep(&t, NULL);
        ms -= step;
    }
}

static enum MHD_Result queue(struct MHD_Connection *c, struct MHD_Response *r, int status,
                             const char *ctype, int retry_after_s, const char *location)
{
    MHD_add_response_header(r, "Content-Type", ctype);
    if (retry_after_s >= 0) {
        char v[16];
        snprintf(v, sizeof v, "%d", retry_after_s);
        MHD_add_response_header(r, "Retry-After", v);
    }
    if (location) MHD_add_response_header(r, "Location", location);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_bytes(struct MHD_Connection *c, int status, char *data, size_t len,
                                  const char *ctype, int retry_after_s)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(data);
        return MHD_NO;
    }
    return queue(c, r, status, ctype, retry_after_s, NULL);
}

/* A body sent one byte at a time with a pause before each (a server that trickles). */
struct trickle {
    struct ts_server *ts;
    char *data;
    size_t len;
    int pause_ms;
};

static ssize_t trickle_read(void *cls, uint64_t pos, char *out, size_t max)
{
    struct trickle *t = cls;
    if (pos >= t->len) return MHD_CONTENT_READER_END_OF_STREAM;
    nap_ms(t->ts, t->pause_ms);
    if (atomic_load(&t->ts->stopping)) return MHD_CONTENT_READER_END_WITH_ERROR;
    out[0] = t->data[pos];
    return 1;
}

static void trickle_free(void *cls)
{
    struct trickle *t = cls;
    free(t->data);
    free(t);
}

static enum MHD_Result send_trickle(struct ts_server *ts, struct MHD_Connection *c, char *data,
                                    size_t len, int pause_ms)
{
    struct trickle *t = malloc(sizeof *t);
    if (!t) {
        free(data);
        return MHD_NO;
    }
    *t = (struct trickle){ts, data, len, pause_ms > 0 ? pause_ms : 1000};
    struct MHD_Response *r =
        MHD_create_response_from_callback(len, 1, trickle_read, t, trickle_free);
    if (!r) {
        trickle_free(t);
        return MHD_NO;
    }
    return queue(c, r, 200, "application/json", -1, NULL);
}

static void reply_free(struct ts_reply *r)
{
    free(r->text);
    free(r->finish_reason);
    free(r->body);
    free(r->location);
}

static enum MHD_Result respond(struct ts_server *ts, struct MHD_Connection *c, struct req *rq,
                               const char *method)
{
    const char *body = rq->body.len ? rq->body.data : "";
    size_t len = rq->body.len;
    char hex[65];
    sha256_hex(hex, body, len);

    struct ts_config cfg;
    char *answer_text;
    int attempt;
    int64_t id;
    pthread_mutex_lock(&ts->lock);
    ts->requests++;
    id = ts->requests;
    struct body_entry *e = body_slot(ts, hex, 1);
    attempt = e ? ++e->seen : 1;
    cfg = ts->cfg;
    answer_text = xstrdup(ts->answer_text);
    free(ts->last_body), ts->last_body = xstrndup(body, len);
    free(ts->last_path), ts->last_path = xstrdup(rq->path);
    free(ts->last_auth);
    ts->last_auth = xstrdup(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"));
    pthread_mutex_unlock(&ts->lock);

    const char *path = rq->path;
    size_t plen = strlen(path);
    int is_chat = plen >= 17 && !strcmp(path + plen - 17, "/chat/completions");
    int is_cmpl = !is_chat && plen >= 12 && !strcmp(path + plen - 12, "/completions");
    if (!strcmp(method, "GET") && plen >= 7 && !strcmp(path + plen - 7, "/models")) {
        free(answer_text);
        char *s = xstrdup("{\"object\":\"list\",\"data\":[{\"id\":\"test-model\","
                          "\"object\":\"model\"}]}");
        return send_bytes(c, 200, s, strlen(s), "application/json", -1);
    }
    if (!is_chat && !is_cmpl) {
        free(answer_text);
        size_t n;
        char *s = error_body(404, &n);
        return send_bytes(c, 404, s, n, "application/json", -1);
    }
    if (strcmp(method, "POST")) {
        free(answer_text);
        size_t n;
        char *s = error_body(405, &n);
        return send_bytes(c, 405, s, n, "application/json", -1);
    }

    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    if (!json_is_object(root)) {
        json_decref(root);
        free(answer_text);
        char *s = xstrdup("{\"error\":{\"message\":\"request body is not a JSON object\","
                          "\"type\":\"invalid_request_error\",\"code\":400}}");
        return send_bytes(c, 400, s, strlen(s), "application/json", -1);
    }
    struct parsed_req p = {.is_chat = is_chat};
    parse_request(&p, root);

    struct ts_reply out = {.status = 200, .latency_ms = cfg.latency_ms, .retry_after_s = -1};
    if (ts_fault_selected(&cfg, body, len, attempt)) out.fault = cfg.fault;
    if (out.fault == TS_FAULT_429 || out.fault == TS_FAULT_503)
        out.retry_after_s = cfg.no_retry_after ? -1 : cfg.retry_after_s;
    if (cfg.reply) cfg.reply(body, len, attempt, &out, cfg.payload);
    if (out.fault < 0 || out.fault >= TS_FAULT_COUNT) out.fault = TS_FAULT_NONE;

    pthread_mutex_lock(&ts->lock);
    ts->faults[out.fault]++;
    pthread_mutex_unlock(&ts->lock);

    if (out.latency_ms > 0) nap_ms(ts, out.latency_ms);

    enum MHD_Result ret;
    size_t n = 0;
    char *data = NULL;
    switch (out.fault) {
    case TS_FAULT_DROP:
        ret = MHD_NO;
        goto done;
    case TS_FAULT_HANG:
        nap_ms(ts, cfg.hang_ms > 0 ? cfg.hang_ms : DEFAULT_HANG_MS);
        ret = MHD_NO;
        goto done;
    case TS_FAULT_429:
    case TS_FAULT_500:
    case TS_FAULT_503: {
        int st = out.fault == TS_FAULT_429 ? 429 : out.fault == TS_FAULT_500 ? 500 : 503;
        data = error_body(st, &n);
        ret = send_bytes(c, st, data, n, "application/json", out.retry_after_s);
        goto done;
    }
    case TS_FAULT_NO_CHOICES:
        data = xasprintf("{\"id\":\"chatcmpl-ts-%lld\",\"object\":\"chat.completion\","
                         "\"model\":\"%s\",\"choices\":[],\"usage\":{\"prompt_tokens\":%d,"
                         "\"completion_tokens\":0,\"total_tokens\":%d}}",
                         (long long)id, "test-model", p.prompt_words, p.prompt_words);
        ret = send_bytes(c, 200, data, strlen(data), "application/json", out.retry_after_s);
        goto done;
    case TS_FAULT_NOT_JSON:
        data = xstrdup("<html><body><h1>502 Bad Gateway</h1></body></html>");
        ret = send_bytes(c, 200, data, strlen(data), "text/html", out.retry_after_s);
        goto done;
    default:
        break;
    }

    /* A generated answer (normal, truncated, invalid UTF-8 or huge). */
    if (out.body) {
        n = out.body_len ? out.body_len : strlen(out.body);
        data = out.body;
        out.body = NULL;
    } else {
        char *text = out.text;
        out.text = NULL;
        if (out.fault == TS_FAULT_BAD_UTF8) {
            free(text);
            text = xstrdup("caf\xc3 \xff\xfe broken \xed\xa0\x80 utf8");
        } else if (out.fault == TS_FAULT_HUGE) {
            size_t hb = cfg.huge_bytes ? cfg.huge_bytes : DEFAULT_HUGE_BYTES;
            free(text);
            text = malloc(hb + 1);
            if (text) memset(text, 'x', hb), text[hb] = '\0';
        } else if (!text) {
            if (cfg.answer_mode == TS_ANSWER_HASH) {
                char h[21];
                ts_hash_answer(h, body, len);
                text = xstrdup(h);
            } else if (cfg.answer_mode == TS_ANSWER_ECHO) {
                text = xstrdup(p.prompt_text);
            } else {
                text = xstrdup(answer_text ? answer_text : "OK");
            }
        }
        const char *finish = out.finish_reason ? out.finish_reason : "stop";
        size_t text_len = text ? strlen(text) : 0;
        if (out.fault == TS_FAULT_NONE && !out.finish_reason && p.max_tokens > 0) {
            /* Honour max_tokens like a real server: cut and say "length". */
            int k = 0;
            for (size_t pos = 0; pos < text_len; pos = next_token(text, text_len, pos))
                if (++k > p.max_tokens) {
                    text_len = pos;
                    finish = "length";
                    break;
                }
        }
        data = build_answer(&p, text ? text : "", text_len, finish, id, &n);
        free(text);
        if (out.fault == TS_FAULT_TRUNCATED) n /= 2;
    }
    if (out.fault == TS_FAULT_TRICKLE) {
        ret = send_trickle(ts, c, data, n, cfg.trickle_ms);
        goto done;
    }
    if (out.location) {
        struct MHD_Response *r = MHD_create_response_from_buffer(n, data, MHD_RESPMEM_MUST_FREE);
        ret = r ? queue(c, r, out.status, "application/json", out.retry_after_s, out.location)
                : MHD_NO;
        if (!r) free(data);
        goto done;
    }
    if (out.fault == TS_FAULT_NONE && out.status == 200) {
        pthread_mutex_lock(&ts->lock);
        ts->ok_replies++;
        e = body_slot(ts, hex, 0);
        if (e) e->ok++;
        pthread_mutex_unlock(&ts->lock);
    }
    ret = send_bytes(c, out.status, data, n, "application/json", out.retry_after_s);
done:
    reply_free(&out);
    free(p.prompt_text);
    free(answer_text);
    json_decref(root);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct ts_server *ts = cls;
    struct req *rq = *con_cls;
    if (!rq) {
        rq = calloc(1, sizeof *rq);
        if (!rq) return MHD_NO;
        buf_init(&rq->body, MAX_REQUEST_BYTES);
        rq->path = xstrdup(url);
        *con_cls = rq;
        pthread_mutex_lock(&ts->lock);
        if (++ts->in_flight > ts->max_in_flight) ts->max_in_flight = ts->in_flight;
        pthread_mutex_unlock(&ts->lock);
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (buf_append(&rq->body, upload_data, *upload_data_size)) return MHD_NO;
        *upload_data_size = 0;
        return MHD_YES;
    }
    return respond(ts, c, rq, method);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct ts_server *ts = cls;
    struct req *rq = *con_cls;
    if (!rq) return;
    pthread_mutex_lock(&ts->lock);
    ts->in_flight--;
    pthread_mutex_unlock(&ts->lock);
    buf_free(&rq->body);
    free(rq->path);
    free(rq);
    *con_cls = NULL;
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

struct ts_server *ts_start(const struct ts_config *cfg)
{
    struct ts_server *ts = calloc(1, sizeof *ts);
    if (!ts) return NULL;
    pthread_mutex_init(&ts->lock, NULL);
    if (cfg) ts->cfg = *cfg;
    ts->answer_text = xstrdup(ts->cfg.answer_text);
    ts->cfg.answer_text = NULL;

    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = 0;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    unsigned limit = ts->cfg.max_connections ? ts->cfg.max_connections : 2048;
    ts->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL, 0, NULL,
        NULL, on_request, ts, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_CONNECTION_LIMIT, limit, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_THREAD_STACK_SIZE,
        (size_t)(512 * 1024), MHD_OPTION_NOTIFY_COMPLETED, on_completed, ts, MHD_OPTION_END);
    if (!ts->daemon) {
        fprintf(stderr, "testserver: MHD_start_daemon failed\n");
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(ts->daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (!info || !info->port) {
        fprintf(stderr, "testserver: could not read the bound port\n");
        goto fail;
    }
    ts->port = info->port;
    snprintf(ts->url, sizeof ts->url, "http://127.0.0.1:%d/v1", ts->port);
    return ts;
fail:
    ts_stop(ts);
    return NULL;
}

void ts_stop(struct ts_server *ts)
{
    if (!ts) return;
    atomic_store(&ts->stopping, 1);
    if (ts->daemon) MHD_stop_daemon(ts->daemon);
    pthread_mutex_destroy(&ts->lock);
    free(ts->answer_text);
    free(ts->bodies);
    free(ts->last_body);
    free(ts->last_path);
    free(ts->last_auth);
    free(ts);
}

int ts_port(const struct ts_server *ts)
{
    return ts->port;
}
const char *ts_url(const struct ts_server *ts)
{
    return ts->url;
}

void ts_set_config(struct ts_server *ts, const struct ts_config *cfg)
{
    pthread_mutex_lock(&ts->lock);
    unsigned keep_limit = ts->cfg.max_connections;
    free(ts->answer_text);
    ts->cfg = *cfg;
    ts->answer_text = xstrdup(cfg->answer_text);
    ts->cfg.answer_text = NULL;
    ts->cfg.max_connections = keep_limit;
    pthread_mutex_unlock(&ts->lock);
}

/* ---- counters ------------------------------------------------------------------------------ */

/* The counters are read under the lock; the cast drops const only to take it. */
static struct ts_server *lock(const struct ts_server *ts)
{
    struct ts_server *m = (struct ts_server *)ts;
    pthread_mutex_lock(&m->lock);
    return m;
}

static void unlock(struct ts_server *ts)
{
    pthread_mutex_unlock(&ts->lock);
}

int64_t ts_requests(const struct ts_server *ts)
{
    struct ts_server *m = lock(ts);
    int64_t v = m->requests;
    unlock(m);
    return v;
}

int64_t ts_ok_replies(const struct ts_server *ts)
{
    struct ts_server *m = lock(ts);
    int64_t v = m->ok_replies;
    unlock(m);
    return v;
}

int64_t ts_faults(const struct ts_server *ts, enum ts_fault fault)
{
    if (fault < 0 || fault >= TS_FAULT_COUNT) return 0;
    struct ts_server *m = lock(ts);
    int64_t v = m->faults[fault];
    unlock(m);
    return v;
}

int ts_in_flight(const struct ts_server *ts)
{
    struct ts_server *m = lock(ts);
    int v = m->in_flight;
    unlock(m);
    return v;
}

int ts_max_in_flight(const struct ts_server *ts)
{
    struct ts_server *m = lock(ts);
    int v = m->max_in_flight;
    unlock(m);
    return v;
}

int64_t ts_distinct_bodies(const struct ts_server *ts)
{
    struct ts_server *m = lock(ts);
    int64_t v = (int64_t)m->n_bodies;
    unlock(m);
    return v;
}

static void body_counts(const struct ts_server *ts, const char *body, size_t len, int *seen,
                        int *ok)
{
    char hex[65];
    sha256_hex(hex, body, len);
    *seen = *ok = 0;
    struct ts_server *m = lock(ts);
    struct body_entry *e = body_slot(m, hex, 0);
    if (e) *seen = e->seen, *ok = e->ok;
    unlock(m);
}

int ts_body_seen(const struct ts_server *ts, const char *body, size_t len)
{
    int seen, ok;
    body_counts(ts, body, len, &seen, &ok);
    return seen;
}

int ts_body_ok(const struct ts_server *ts, const char *body, size_t len)
{
    int seen, ok;
    body_counts(ts, body, len, &seen, &ok);
    return ok;
}

int ts_max_body_seen(const struct ts_server *ts)
{
    int v = 0;
    struct ts_server *m = lock(ts);
    for (size_t i = 0; i < m->cap_bodies; i++)
        if (m->bodies[i].seen > v) v = m->bodies[i].seen;
    unlock(m);
    return v;
}

int ts_max_body_ok(const struct ts_server *ts)
{
    int v = 0;
    struct ts_server *m = lock(ts);
    for (size_t i = 0; i < m->cap_bodies; i++)
        if (m->bodies[i].ok > v) v = m->bodies[i].ok;
    unlock(m);
    return v;
}

void ts_foreach_body(const struct ts_server *ts, ts_body_fn fn, void *payload)
{
    struct ts_server *m = lock(ts);
    for (size_t i = 0; i < m->cap_bodies; i++)
        if (m->bodies[i].hex[0]) fn(m->bodies[i].hex, m->bodies[i].seen, m->bodies[i].ok, payload);
    unlock(m);
}

void ts_reset_counters(struct ts_server *ts)
{
    pthread_mutex_lock(&ts->lock);
    free(ts->bodies);
    ts->bodies = NULL;
    ts->n_bodies = ts->cap_bodies = 0;
    ts->requests = ts->ok_replies = 0;
    memset(ts->faults, 0, sizeof ts->faults);
    ts->max_in_flight = ts->in_flight;
    pthread_mutex_unlock(&ts->lock);
}

static char *copy_locked(const struct ts_server *ts, char *const *field)
{
    struct ts_server *m = lock(ts);
    char *v = xstrdup(*field);
    unlock(m);
    return v;
}

char *ts_last_body(const struct ts_server *ts)
{
    return copy_locked(ts, &ts->last_body);
}
char *ts_last_path(const struct ts_server *ts)
{
    return copy_locked(ts, &ts->last_path);
}
char *ts_last_authorization(const struct ts_server *ts)
{
    return copy_locked(ts, &ts->last_auth);
}
