/* Engine pieces: cache keys, backoff, Retry-After, endpoint URLs, request and response bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backends/openai.h"
#include "dispatch/dispatch.h"
#include "plan/plan.h"
#include "util/util.h"

static struct vsc_model_cfg model(const char *name, const char *backend, const char *served)
{
    struct vsc_model_cfg m = {0};
    m.name = (char *)name;
    m.backend = (char *)backend;
    m.model = (char *)served;
    m.api = (char *)"chat";
    m.options_json = (char *)"{}";
    return m;
}

static void cache_keys(void **state)
{
    struct vsc_model_cfg a = model("a", "openai", "llama"), b = model("b", "openai", "llama");
    char *ia = plan_model_identity(&a), *ib = plan_model_identity(&b);
    char k1[65], k2[65], k3[65], k4[65], k5[65];
    const char *body = "{\"messages\":[],\"model\":\"llama\",\"temperature\":0}";
    plan_cache_key(k1, ia, body, 0);
    plan_cache_key(k2, ia, body, 0);
    plan_cache_key(k3, ib, body, 0); /* another model, same request: never shared */
    plan_cache_key(k4, ia, body, 1); /* another sample */
    plan_cache_key(k5, ia, "{\"messages\":[],\"model\":\"llama\",\"temperature\":1}", 0);
    assert_string_equal(k1, k2);
    assert_string_not_equal(k1, k3);
    assert_string_not_equal(k1, k4);
    assert_string_not_equal(k1, k5);
    assert_int_equal(strlen(k1), 64);
    free(ia);
    free(ib);
}

static void sha256_known(void **state)
{
    char out[65];
    sha256_hex(out, "abc", 3);
    assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha256_hex(out, "", 0);
    assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void backoff(void **state)
{
    /* equal jitter: between half and all of base * 2^(attempt-1), capped */
    assert_int_equal(dispatch_backoff_ms(1, 500, 30000, -1, 0.0), 250);
    assert_int_equal(dispatch_backoff_ms(1, 500, 30000, -1, 0.999999), 499);
    assert_int_equal(dispatch_backoff_ms(3, 500, 30000, -1, 0.0), 1000);
    assert_int_equal(dispatch_backoff_ms(20, 500, 30000, -1, 0.0), 15000);
    assert_true(dispatch_backoff_ms(20, 500, 30000, -1, 0.99) <= 30000);
    /* Retry-After wins, plus under 100 ms of jitter */
    int d = dispatch_backoff_ms(1, 500, 30000, 2000, 0.5);
    assert_true(d >= 2000 && d < 2100);
}

static void retry_after(void **state)
{
    assert_int_equal(dispatch_parse_retry_after(" 3\r\n", 0), 3000);
    assert_int_equal(dispatch_parse_retry_after("0", 0), 0);
    assert_int_equal(dispatch_parse_retry_after("abc", 0), -1);
    assert_int_equal(dispatch_parse_retry_after("-5", 0), -1);
    assert_int_equal(dispatch_parse_retry_after("", 0), -1);
    /* HTTP date: Wed, 21 Oct 2015 07:28:00 GMT = 1445412480 */
    assert_int_equal(dispatch_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470),
                     10000);
    assert_int_equal(dispatch_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490), 0);
}

static void endpoint_urls(void **state)
{
    char *u = openai_endpoint_url("http://h:1/v1", 1);
    assert_string_equal(u, "http://h:1/v1/chat/completions");
    free(u);
    u = openai_endpoint_url("http://h:1/v1/", 0);
    assert_string_equal(u, "http://h:1/v1/completions");
    free(u);
    u = openai_endpoint_url("http://h:1/v1/chat/completions", 1);
    assert_string_equal(u, "http://h:1/v1/chat/completions");
    free(u);
    /* a query stays at the end */
    u = openai_endpoint_url("http://h:1/v1/?api-version=2&key=k", 1);
    assert_string_equal(u, "http://h:1/v1/chat/completions?api-version=2&key=k");
    free(u);
    u = openai_endpoint_url("http://h:1/v1/completions?x=1", 0);
    assert_string_equal(u, "http://h:1/v1/completions?x=1");
    free(u);
}

static void completions_body(void **state)
{
    char *b = openai_completions_body("{\"messages\":[{\"role\":\"system\",\"content\":\"S\"},"
                                      "{\"role\":\"user\",\"content\":\"Q\"}],\"model\":\"m\","
                                      "\"logprobs\":true,\"top_logprobs\":5}");
    assert_non_null(b);
    assert_non_null(strstr(b, "\"prompt\":\"S\\n\\nQ\""));
    assert_non_null(strstr(b, "\"logprobs\":5"));
    assert_null(strstr(b, "messages"));
    assert_null(strstr(b, "top_logprobs"));
    free(b);
}

static void parse_chat(void **state)
{
    const char *body = "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"B\"},"
                       "\"finish_reason\":\"stop\",\"logprobs\":{\"content\":[{\"token\":\"B\","
                       "\"logprob\":-0.1,\"top_logprobs\":[{\"token\":\"B\",\"logprob\":-0.1}]}]}}],"
                       "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":1}}";
    struct backend_reply r = {0};
    assert_int_equal(openai_parse_response(&r, body, strlen(body), 1), 0);
    assert_int_equal(r.error, VSC_E_NONE);
    assert_string_equal(r.text, "B");
    assert_string_equal(r.finish_reason, "stop");
    assert_int_equal(r.prompt_tokens, 12);
    assert_int_equal(r.completion_tokens, 1);
    assert_non_null(strstr(r.logprobs_json, "\"top_logprobs\""));
    reply_clear(&r);
}

static void parse_completions_logprobs(void **state)
{
    const char *body = "{\"choices\":[{\"text\":\" 4\",\"finish_reason\":\"length\",\"logprobs\":"
                       "{\"tokens\":[\" 4\"],\"token_logprobs\":[-0.5],"
                       "\"top_logprobs\":[{\" 4\":-0.5,\" 3\":-1.2}]}}]}";
    struct backend_reply r = {0};
    assert_int_equal(openai_parse_response(&r, body, strlen(body), 0), 0);
    assert_int_equal(r.error, VSC_E_NONE);
    assert_string_equal(r.text, " 4");
    assert_non_null(strstr(r.logprobs_json, "{\"token\":\" 3\",\"logprob\":-1.2}"));
    reply_clear(&r);
}

static void parse_failures(void **state)
{
    struct {
        const char *body;
        enum vsc_error_kind want;
    } cases[] = {
        {"{\"choices\":[{\"message\":{\"content\":\"x\"", VSC_E_BAD_JSON},
        {"<html>bad gateway</html>", VSC_E_BAD_JSON},
        {"", VSC_E_BAD_JSON},
        {"{\"choices\":[]}", VSC_E_NO_CHOICES},
        {"{\"error\":{\"message\":\"overloaded\"}}", VSC_E_NO_CHOICES},
        {"{\"choices\":[{\"message\":{}}]}", VSC_E_NO_CHOICES},
        {"[1,2]", VSC_E_NO_CHOICES},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct backend_reply r = {0};
        assert_int_equal(openai_parse_response(&r, cases[i].body, strlen(cases[i].body), 1), 0);
        if (r.error != cases[i].want) fail_msg("case %zu: got %d want %d", i, r.error, cases[i].want);
        assert_null(r.text);
        assert_non_null(r.detail);
        reply_clear(&r);
    }
}

static void parse_invalid_utf8(void **state)
{
    const char body[] = "{\"choices\":[{\"message\":{\"content\":\"ok \xff\xfe end\"},"
                        "\"finish_reason\":\"stop\"}]}";
    struct backend_reply r = {0};
    assert_int_equal(openai_parse_response(&r, body, strlen(body), 1), 0);
    assert_int_equal(r.error, VSC_E_NONE);
    assert_string_equal(r.text, "ok \xef\xbf\xbd\xef\xbf\xbd end");
    reply_clear(&r);
}

static void buf_cap(void **state)
{
    struct buf b;
    buf_init(&b, 10);
    assert_int_equal(buf_puts(&b, "12345"), 0);
    assert_int_equal(buf_puts(&b, "67890"), 0);
    assert_int_equal(buf_puts(&b, "x"), VSC_ERR_INPUT);
    assert_int_equal(b.len, 10);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cache_keys),      cmocka_unit_test(sha256_known),
        cmocka_unit_test(backoff),         cmocka_unit_test(retry_after),
        cmocka_unit_test(endpoint_urls),   cmocka_unit_test(completions_body),
        cmocka_unit_test(parse_chat),      cmocka_unit_test(parse_completions_logprobs),
        cmocka_unit_test(parse_failures),  cmocka_unit_test(parse_invalid_utf8),
        cmocka_unit_test(buf_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
