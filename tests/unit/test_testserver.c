/* The test server itself: replies in OpenAI format, fault kinds, fault rates, counters and
 * concurrency, checked with plain libcurl. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testserver.h"
#include "util/util.h"

struct http_result {
    CURLcode code;
    long status;
    struct buf body;
    char retry_after[32];
    double elapsed_ms;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct http_result *r = ud;
    return buf_append(&r->body, p, size * n) ? 0 : size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct http_result *r = ud;
    size_t len = size * n;
    if (len > 13 && !strncasecmp(p, "Retry-After:", 12)) {
        size_t k = 0;
        for (size_t i = 12; i < len && k + 1 < sizeof r->retry_after; i++)
            if (p[i] != ' ' && p[i] != '\r' && p[i] != '\n') r->retry_after[k++] = p[i];
        r->retry_after[k] = '\0';
    }
    return len;
}

/* POSTs `body` to ts_url(ts) + `path` (GET when body is NULL). */
static void http(struct http_result *r, struct ts_server *ts, const char *path, const char *body)
{
    memset(r, 0, sizeof *r);
    buf_init(&r->body, 0);
    char *url = xasprintf("%s%s", ts_url(ts), path);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, "Authorization: Bearer sk-test");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    double t0 = now_ms();
    r->code = curl_easy_perform(c);
    r->elapsed_ms = now_ms() - t0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(url);
}

static json_t *parse_ok(struct http_result *r)
{
    assert_int_equal(r->code, CURLE_OK);
    assert_int_equal(r->status, 200);
    json_error_t err;
    json_t *j = json_loadb(r->body.data, r->body.len, 0, &err);
    if (!j) fail_msg("reply is not JSON: %s: %.200s", err.text, r->body.data);
    return j;
}

static const char *chat_content(json_t *j)
{
    return json_string_value(json_object_get(
        json_object_get(json_array_get(json_object_get(j, "choices"), 0), "message"), "content"));
}

static const char *finish_reason(json_t *j)
{
    return json_string_value(
        json_object_get(json_array_get(json_object_get(j, "choices"), 0), "finish_reason"));
}

static int usage(json_t *j, const char *field)
{
    return (int)json_integer_value(json_object_get(json_object_get(j, "usage"), field));
}

static const char *CHAT = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
                          "\"How are you today\"}],\"temperature\":0}";

static void test_start_port_url(void **state)
{
    struct ts_server *a = ts_start(NULL), *b = ts_start(NULL);
    assert_non_null(a);
    assert_non_null(b);
    assert_true(ts_port(a) > 0);
    assert_int_not_equal(ts_port(a), ts_port(b));
    char want[64];
    snprintf(want, sizeof want, "http://127.0.0.1:%d/v1", ts_port(a));
    assert_string_equal(ts_url(a), want);
    ts_stop(a);
    ts_stop(b);
    ts_stop(NULL);
}

static void test_chat_reply(void **state)
{
    struct ts_server *ts = ts_start(&(struct ts_config){.answer_text = "Fine thanks"});
    struct http_result r;
    http(&r, ts, "/chat/completions", CHAT);
    json_t *j = parse_ok(&r);
    assert_string_equal(chat_content(j), "Fine thanks");
    assert_string_equal(finish_reason(j), "stop");
    assert_string_equal(json_string_value(json_object_get(j, "model")), "m");
    assert_int_equal(usage(j, "prompt_tokens"), 4);
    assert_int_equal(usage(j, "completion_tokens"), 2);
    assert_int_equal(usage(j, "total_tokens"), 6);
    assert_true(json_is_null(
        json_object_get(json_array_get(json_object_get(j, "choices"), 0), "logprobs")));
    json_decref(j);

    char *path = ts_last_path(ts), *auth = ts_last_authorization(ts), *body = ts_last_body(ts);
    assert_string_equal(path, "/v1/chat/completions");
    assert_string_equal(auth, "Bearer sk-test");
    assert_string_equal(body, CHAT);
    free(path), free(auth), free(body);
    assert_int_equal(ts_requests(ts), 1);
    assert_int_equal(ts_ok_replies(ts), 1);
    buf_free(&r.body);
    ts_stop(ts);
}

static void test_completions_reply(void **state)
{
    struct ts_server *ts = ts_start(&(struct ts_config){.answer_mode = TS_ANSWER_ECHO});
    struct http_result r;
    http(&r, ts, "/completions", "{\"model\":\"m\",\"prompt\":\"one two three\",\"logprobs\":3}");
    json_t *j = parse_ok(&r);
    json_t *ch = json_array_get(json_object_get(j, "choices"), 0);
    assert_string_equal(json_string_value(json_object_get(ch, "text")), "one two three");
    assert_string_equal(json_string_value(json_object_get(j, "object")), "text_completion");
    json_t *lp = json_object_get(ch, "logprobs");
    assert_int_equal(json_array_size(json_object_get(lp, "tokens")), 3);
    assert_string_equal(json_string_value(json_array_get(json_object_get(lp, "tokens"), 1)),
                        " two");
    json_t *top0 = json_array_get(json_object_get(lp, "top_logprobs"), 0);
    assert_int_equal(json_object_size(top0), 3);
    assert_non_null(json_object_get(top0, "one"));
    assert_int_equal(usage(j, "total_tokens"), 6);
    json_decref(j);
    buf_free(&r.body);
    ts_stop(ts);
}

static void test_chat_logprobs(void **state)
{
    struct ts_server *ts = ts_start(&(struct ts_config){.answer_text = "4"});
    struct http_result r;
    http(&r, ts, "/chat/completions",
         "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Rate 1-5\"}],"
         "\"logprobs\":true,\"top_logprobs\":5}");
    json_t *j = parse_ok(&r);
    json_t *content = json_object_get(
        json_object_get(json_array_get(json_object_get(j, "choices"), 0), "logprobs"), "content");
    assert_int_equal(json_array_size(content), 1);
    json_t *tok = json_array_get(content, 0);
    assert_string_equal(json_string_value(json_object_get(tok, "token")), "4");
    json_t *top = json_object_get(tok, "top_logprobs");
    assert_int_equal(json_array_size(top), 5);
    assert_string_equal(json_string_value(json_object_get(json_array_get(top, 0), "token")), "4");
    /* alternatives are distinct from the chosen token and less likely */
    double best = json_real_value(json_object_get(json_array_get(top, 0), "logprob"));
    for (size_t i = 1; i < 5; i++) {
        json_t *t = json_array_get(top, i);
        assert_string_not_equal(json_string_value(json_object_get(t, "token")), "4");
        assert_true(json_real_value(json_object_get(t, "logprob")) < best);
    }
    json_decref(j);
    buf_free(&r.body);
    ts_stop(ts);
}

static void test_answer_modes_and_max_tokens(void **state)
{
    struct ts_server *ts = ts_start(&(struct ts_config){.answer_mode = TS_ANSWER_HASH});
    struct http_result r;
    http(&r, ts, "/chat/completions", CHAT);
    json_t *j = parse_ok(&r);
    char want[21];
    ts_hash_answer(want, CHAT, strlen(CHAT));
    assert_string_equal(chat_content(j), want);
    json_decref(j);
    buf_free(&r.body);

    ts_set_config(ts, &(struct ts_config){.answer_mode = TS_ANSWER_ECHO});
    http(&r, ts, "/chat/completions",
         "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"a b c d e\"}],"
         "\"max_tokens\":2}");
    j = parse_ok(&r);
    assert_string_equal(chat_content(j), "a b");
    assert_string_equal(finish_reason(j), "length");
    assert_int_equal(usage(j, "completion_tokens"), 2);
    json_decref(j);
    buf_free(&r.body);
    ts_stop(ts);
}

static void test_bad_requests(void **state)
{
    struct ts_server *ts = ts_start(NULL);
    struct http_result r;
    http(&r, ts, "/embeddings", "{}");
    assert_int_equal(r.status, 404);
    buf_free(&r.body);
    http(&r, ts, "/chat/completions", "not json");
    assert_int_equal(r.status, 400);
    buf_free(&r.body);
    http(&r, ts, "/models", NULL);
    assert_int_equal(r.status, 200);
    buf_free(&r.body);
    assert_int_equal(ts_ok_replies(ts), 0);
    assert_int_equal(ts_requests(ts), 3);
    ts_stop(ts);
}

static void test_latency(void **state)
{
    struct ts_server *ts = ts_start(&(struct ts_config){.latency_ms = 150});
    struct http_result r;
    http(&r, ts, "/chat/completions", CHAT);
    assert_int_equal(r.status, 200);
    assert_true(r.elapsed_ms >= 145);
    assert_true(r.elapsed_ms < 2000);
    buf_free(&r.body);
    ts_stop(ts);
}

/* Every fault kind, always on. */
static struct ts_server *faulty(enum ts_fault f)
{
    return ts_start(&(struct ts_config){
        .fault = f, .fault_rate = 1.0, .retry_after_s = 2, .huge_bytes = 0, .hang_ms = 200});
}

static void test_fault_http_errors(void **state)
{
    struct http_result r;
    struct ts_server *ts = faulty(TS_FAULT_429);
    http(&r, ts, "/chat/completions", CHAT);
    assert_int_equal(r.code, CURLE_OK);
    assert_int_equal(r.status, 429);
    assert_string_equal(r.retry_after, "2");
    assert_int_equal(ts_faults(ts, TS_FAULT_429), 1);
    assert_int_equal(ts_ok_replies(ts), 0);
    buf_free(&r.body);
    ts_stop(ts);

    ts = ts_start(&(struct ts_config){.fault = TS_FAULT_429, .fault_rate = 1, .no_retry_after = 1});
    http(&r, ts, "/chat/completions", CHAT);
    assert_int_equal(r.status, 429);
    assert_string_equal(r.retry_after, "");
    buf_free(&r.body);
    ts_stop(ts);

    ts = faulty(TS_FAULT_500);
    http(&r, ts, "/chat/completions", CHAT);
    assert_int_equal(r.status, 500);
    assert_string_equal(r.retry_after, "");
    buf_free(&r.body);
    ts_stop(ts);

    ts = faulty(TS_FAULT_503);
    http(&r, ts, "/chat/completions", CHAT);
    assert_int_equal(r.status, 503);
    assert_string_equal(r.retry_after, "2");
    buf_free(&r.body);
    ts_stop(ts);
}

static void test_fault_drop_and_hang(void **state)
{
    struct http_result r;
    struct ts_server *ts = faulty(TS_FAULT_DROP);
    http(&r, ts, "/chat/completions", CHAT);
    assert_int_equal(r.code, CURLE_GOT_NOTHING);
    assert_int_equal(ts_faults(ts, TS_FAULT_DROP), 1);
    buf_free(&r.body);
    ts_stop(ts);

    ts = faulty(TS_FAULT_HANG);
    http(&r, ts, "/chat/completions", CHAT);
    assert_int_equal(r.code, CURLE_GOT_NOTHING);
    assert_true(r.elapsed_ms >= 190);
    buf_free(&r.body);
    ts_stop(ts);
}

static void test_fault_bad_bodies(void **state)
{
    struct http_result r;
    json_error_t err;
    struct ts_server *ts = faulty(TS_FAULT_TRUNCATED);
    http(&r, ts, "/chat/completions", CHAT);
    assert_int_equal(r.code, CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_true(r.body.len > 20);
    assert_null(json_loadb(r.body.data, r.body.len, 0, &err));
    buf_free(&r.body);
    ts_stop(ts);

    ts = faulty(TS_FAULT_BAD_UTF8);
    http(&r, ts, "/chat/completions", CHAT);
    assert_int_equal(r.status, 200);
    assert_false(utf8_valid(r.body.data, r.body.len));
    /* only the content is broken: the JSON syntax around it is whole */
    assert_non_null(strstr(r.body.data, "\"choices\":[{"));
    assert_non_null(strstr(r.body.data, "\"usage\":{"));
    buf_free(&r.body);
    ts_stop(ts);

    ts = faulty(TS_FAULT_HUGE);
    http(&r, ts, "/chat/completions", CHAT);
    assert_int_equal(r.status, 200);
    assert_true(r.body.len > 10u * 1024 * 1024);
    json_t *j = parse_ok(&r);
    assert_int_equal(strlen(chat_content(j)), 10u * 1024 * 1024);
    json_decref(j);
    buf_free(&r.body);
    ts_stop(ts);

    ts = faulty(TS_FAULT_NO_CHOICES);
    http(&r, ts, "/chat/completions", CHAT);
    j = parse_ok(&r);
    assert_true(json_is_array(json_object_get(j, "choices")));
    assert_int_equal(json_array_size(json_object_get(j, "choices")), 0);
    json_decref(j);
    buf_free(&r.body);
    ts_stop(ts);

    ts = faulty(TS_FAULT_NOT_JSON);
    http(&r, ts, "/chat/completions", CHAT);
    assert_int_equal(r.status, 200);
    assert_null(json_loadb(r.body.data, r.body.len, 0, &err));
    buf_free(&r.body);
    ts_stop(ts);
}

/* "The first attempt of 30% of bodies fails with 500": deterministic, and about 30%. */
static void test_fault_rate_first_attempt(void **state)
{
    struct ts_config cfg = {.fault = TS_FAULT_500, .fault_rate = 0.3, .fault_attempts = 1};
    struct ts_server *ts = ts_start(&cfg);
    int failed = 0, predicted = 0;
    for (int i = 0; i < 200; i++) {
        char *body = xasprintf("{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                               "\"content\":\"item %d\"}]}",
                               i);
        predicted += ts_fault_selected(&cfg, body, strlen(body), 1);
        assert_false(ts_fault_selected(&cfg, body, strlen(body), 2));
        struct http_result r;
        http(&r, ts, "/chat/completions", body);
        int first_failed = r.status == 500;
        if (first_failed)
            failed++;
        else
            assert_int_equal(r.status, 200);
        buf_free(&r.body);
        http(&r, ts, "/chat/completions", body); /* the second attempt always succeeds */
        assert_int_equal(r.status, 200);
        buf_free(&r.body);
        assert_int_equal(ts_body_seen(ts, body, strlen(body)), 2);
        assert_int_equal(ts_body_ok(ts, body, strlen(body)), first_failed ? 1 : 2);
        free(body);
    }
    assert_int_equal(failed, predicted);
    assert_in_range(failed, 35, 85);
    assert_int_equal(ts_faults(ts, TS_FAULT_500), failed);
    assert_int_equal(ts_ok_replies(ts), 400 - failed);
    assert_int_equal(ts_distinct_bodies(ts), 200);
    assert_int_equal(ts_max_body_seen(ts), 2);
    assert_int_equal(ts_max_body_ok(ts), 2);
    ts_stop(ts);
}

/* fault_attempts = 0: each attempt drawn anew; rate 1 fails for ever. */
static void test_fault_rate_every_attempt(void **state)
{
    struct ts_config cfg = {.fault = TS_FAULT_503, .fault_rate = 0.5};
    int first = 0, both = 0;
    for (int i = 0; i < 400; i++) {
        char b[32];
        int n = snprintf(b, sizeof b, "body %d", i);
        int f1 = ts_fault_selected(&cfg, b, (size_t)n, 1);
        int f2 = ts_fault_selected(&cfg, b, (size_t)n, 2);
        first += f1;
        both += f1 && f2;
    }
    assert_in_range(first, 150, 250);
    assert_in_range(both, 60, 140); /* independent draws: about a quarter */
    cfg.fault_rate = 1.0;
    assert_true(ts_fault_selected(&cfg, "x", 1, 99));
    cfg.fault_rate = 0;
    assert_false(ts_fault_selected(&cfg, "x", 1, 1));
}

struct script {
    int calls;
};

/* Per-request decisions: attempt 1 gets 429, attempt 2 a custom body, later a custom text. */
static void scripted(const char *body, size_t len, int attempt, struct ts_reply *out, void *payload)
{
    struct script *s = payload;
    __atomic_add_fetch(&s->calls, 1, __ATOMIC_SEQ_CST);
    if (attempt == 1) {
        out->fault = TS_FAULT_429;
        out->retry_after_s = 7;
    } else if (attempt == 2) {
        out->body = xstrdup("{\"custom\":true}");
    } else {
        out->text = xasprintf("attempt %d of %zu bytes", attempt, len);
        out->finish_reason = xstrdup("length");
    }
}

static void test_reply_callback(void **state)
{
    struct script s = {0};
    struct ts_server *ts = ts_start(&(struct ts_config){.reply = scripted, .payload = &s});
    struct http_result r;
    http(&r, ts, "/chat/completions", CHAT);
    assert_int_equal(r.status, 429);
    assert_string_equal(r.retry_after, "7");
    buf_free(&r.body);
    http(&r, ts, "/chat/completions", CHAT);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body.data, "{\"custom\":true}");
    buf_free(&r.body);
    http(&r, ts, "/chat/completions", CHAT);
    json_t *j = parse_ok(&r);
    char want[64];
    snprintf(want, sizeof want, "attempt 3 of %zu bytes", strlen(CHAT));
    assert_string_equal(chat_content(j), want);
    assert_string_equal(finish_reason(j), "length");
    json_decref(j);
    buf_free(&r.body);
    assert_int_equal(s.calls, 3);
    assert_int_equal(ts_body_seen(ts, CHAT, strlen(CHAT)), 3);
    assert_int_equal(ts_body_ok(ts, CHAT, strlen(CHAT)), 2);

    ts_reset_counters(ts);
    assert_int_equal(ts_requests(ts), 0);
    assert_int_equal(ts_body_seen(ts, CHAT, strlen(CHAT)), 0);
    ts_stop(ts);
}

/* 256 requests at once, each held 400 ms: all in flight together, done in about 400 ms. */
static void test_concurrency_256(void **state)
{
    struct ts_server *ts = ts_start(&(struct ts_config){.latency_ms = 400});
    CURLM *m = curl_multi_init();
    enum { N = 256 };
    CURL *easy[N];
    struct http_result res[N];
    char *bodies[N];
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)N);
    for (int i = 0; i < N; i++) {
        memset(&res[i], 0, sizeof res[i]);
        buf_init(&res[i].body, 0);
        bodies[i] = xasprintf("{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                              "\"content\":\"q%d\"}]}",
                              i);
        easy[i] = curl_easy_init();
        char *url = xasprintf("%s/chat/completions", ts_url(ts));
        curl_easy_setopt(easy[i], CURLOPT_URL, url);
        free(url);
        curl_easy_setopt(easy[i], CURLOPT_POSTFIELDS, bodies[i]);
        curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(easy[i], CURLOPT_WRITEDATA, &res[i]);
        curl_easy_setopt(easy[i], CURLOPT_TIMEOUT_MS, 20000L);
        curl_multi_add_handle(m, easy[i]);
    }
    double t0 = now_ms();
    int running = 1;
    while (running) {
        curl_multi_perform(m, &running);
        if (running) curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    double elapsed = now_ms() - t0;
    int ok = 0;
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m, &left)))
        if (msg->msg == CURLMSG_DONE && msg->data.result == CURLE_OK) ok++;
    for (int i = 0; i < N; i++) {
        long st = 0;
        curl_easy_getinfo(easy[i], CURLINFO_RESPONSE_CODE, &st);
        assert_int_equal(st, 200);
        curl_multi_remove_handle(m, easy[i]);
        curl_easy_cleanup(easy[i]);
        buf_free(&res[i].body);
        free(bodies[i]);
    }
    curl_multi_cleanup(m);
    assert_int_equal(ok, N);
    assert_int_equal(ts_requests(ts), N);
    assert_int_equal(ts_distinct_bodies(ts), N);
    assert_int_equal(ts_max_body_seen(ts), 1);
    assert_true(ts_max_in_flight(ts) >= N * 9 / 10);
    assert_true(elapsed < 3000);
    assert_int_equal(ts_in_flight(ts), 0);
    ts_stop(ts);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_port_url),
        cmocka_unit_test(test_chat_reply),
        cmocka_unit_test(test_completions_reply),
        cmocka_unit_test(test_chat_logprobs),
        cmocka_unit_test(test_answer_modes_and_max_tokens),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_latency),
        cmocka_unit_test(test_fault_http_errors),
        cmocka_unit_test(test_fault_drop_and_hang),
        cmocka_unit_test(test_fault_bad_bodies),
        cmocka_unit_test(test_fault_rate_first_attempt),
        cmocka_unit_test(test_fault_rate_every_attempt),
        cmocka_unit_test(test_reply_callback),
        cmocka_unit_test(test_concurrency_256),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
