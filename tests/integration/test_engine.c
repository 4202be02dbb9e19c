/* The engine end to end through the library API (vsc_run), against the in-process test server:
 * latency and concurrency, every fault kind, retries, error kinds recorded, the cache, and model
 * isolation. These are the acceptance tests of the engine issue; each runs in about a second. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/testserver.h"
#include "support/testutil.h"
#include "util/util.h"
#include "valscope/config.h"
#include "valscope/run.h"
#include "valscope/store.h"

/* ---- fixture: a temp dir with prompts, a config, a store ------------------------------------ */

struct eng {
    char dir[64];
    char prompts[128];
    char config[128];
    char db[128];
    int retry_max_ms; /* written into the config: 200 unless a test needs longer waits */
};

static void eng_init(struct eng *e, int n_prompts)
{
    snprintf(e->dir, sizeof e->dir, "/tmp/vsc-eng-XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    snprintf(e->prompts, sizeof e->prompts, "%s/prompts.jsonl", e->dir);
    snprintf(e->config, sizeof e->config, "%s/run.yaml", e->dir);
    snprintf(e->db, sizeof e->db, "%s/store.db", e->dir);
    e->retry_max_ms = 200;
    FILE *f = fopen(e->prompts, "w");
    assert_non_null(f);
    for (int i = 0; i < n_prompts; i++)
        fprintf(f,
                "{\"id\": \"q%d\", \"prompt\": \"Question %d: how much does tradition "
                "matter to you?\"}\n",
                i, i);
    fclose(f);
    setenv("VSC_TEST_KEY", "sk-engine-test", 1);
}

static void eng_cleanup(struct eng *e)
{
    tu_rmrf(e->dir);
}

/* One openai model entry for the config's `models:` list. */
static char *model_yaml(const char *name, const char *url, const char *served, int concurrency,
                        int timeout_ms)
{
    return xasprintf("  - name: %s\n"
                     "    backend: openai\n"
                     "    base_url: %s\n"
                     "    model: %s\n"
                     "    api_key_env: VSC_TEST_KEY\n"
                     "    concurrency: %d\n"
                     "    timeout_ms: %d\n",
                     name, url, served, concurrency, timeout_ms);
}

/* Writes the config: `models` is the YAML of the models list, `params` the sampling params
 * (NULL: a default), `extra` more top-level keys. */
static void write_config_params(struct eng *e, const char *models, int max_attempts,
                                const char *params, const char *extra)
{
    tu_write_file(e->config,
                  "run: engine-test\n"
                  "store: %s\n"
                  "max_attempts: %d\n"
                  "retry_base_ms: 10\n"
                  "retry_max_ms: %d\n"
                  "models:\n%s"
                  "instruments:\n"
                  "  - prompts: %s\n"
                  "samples: 1\n"
                  "params: %s\n"
                  "%s",
                  e->db, max_attempts, e->retry_max_ms, models, e->prompts,
                  params ? params : "{temperature: 0, max_tokens: 16, seed: 1}",
                  extra ? extra : "");
}

static void write_config(struct eng *e, const char *models, int max_attempts, const char *extra)
{
    write_config_params(e, models, max_attempts, NULL, extra);
}

static void write_simple_config(struct eng *e, struct ts_server *ts, int concurrency,
                                int max_attempts, int timeout_ms)
{
    char *m = model_yaml("m1", ts_url(ts), "test-model", concurrency, timeout_ms);
    write_config(e, m, max_attempts, NULL);
    free(m);
}

/* Loads the config and runs it; returns vsc_run's status. */
static int run_engine(struct eng *e, struct vsc_progress *p, double *elapsed_ms)
{
    struct vsc_config *cfg = tu_load_config(e->config);
    struct vsc_diag diag = {0};
    struct vsc_run_opts opts = {0};
    memset(p, 0, sizeof *p);
    double t0 = now_ms();
    int rc = vsc_run(p, cfg, &opts, &diag);
    if (elapsed_ms) *elapsed_ms = now_ms() - t0;
    if (rc && rc != VSC_ERR_INCOMPLETE) {
        char msg[2048];
        vsc_diag_format(msg, sizeof msg, &diag);
        print_message("vsc_run: %s: %s\n", vsc_strerror(rc), msg);
    }
    vsc_config_free(cfg);
    return rc;
}

/* ---- reading the store back ----------------------------------------------------------------- */

struct row {
    char model[32];
    char item[32];
    char status[16];
    char error[32];
    char *text;
    char *logprobs_json;
    char finish_reason[16];
    int attempts;
    double latency_ms;
    int prompt_tokens, completion_tokens;
};

struct rows {
    struct row *v;
    size_t n, cap;
};

static int collect_cb(const struct vsc_answer_row *a, void *payload)
{
    struct rows *rs = payload;
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 64;
        rs->v = realloc(rs->v, rs->cap * sizeof *rs->v);
    }
    struct row *r = &rs->v[rs->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->model, sizeof r->model, "%s", a->model ? a->model : "");
    snprintf(r->item, sizeof r->item, "%s", a->item ? a->item : "");
    snprintf(r->status, sizeof r->status, "%s", a->status ? a->status : "");
    snprintf(r->error, sizeof r->error, "%s", a->error ? a->error : "");
    r->text = a->text ? xstrdup(a->text) : NULL;
    r->logprobs_json = a->logprobs_json ? xstrdup(a->logprobs_json) : NULL;
    snprintf(r->finish_reason, sizeof r->finish_reason, "%s",
             a->finish_reason ? a->finish_reason : "");
    r->attempts = a->attempts;
    r->latency_ms = a->latency_ms;
    r->prompt_tokens = a->prompt_tokens;
    r->completion_tokens = a->completion_tokens;
    return 0;
}

static void collect(struct eng *e, struct rows *rs)
{
    memset(rs, 0, sizeof *rs);
    struct vsc_store *st = NULL;
    int rc = vsc_store_open(&st, e->db);
    if (rc) fail_msg("store: %s", st ? vsc_store_errmsg(st) : "?");
    rc = vsc_store_foreach_answer(st, NULL, collect_cb, rs);
    if (rc) fail_msg("foreach_answer: %s", vsc_store_errmsg(st));
    vsc_store_free(st);
}

static void rows_free(struct rows *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        free(rs->v[i].text), free(rs->v[i].logprobs_json);
    free(rs->v);
}

static size_t count_status(const struct rows *rs, const char *status, const char *error)
{
    size_t n = 0;
    for (size_t i = 0; i < rs->n; i++)
        if (!strcmp(rs->v[i].status, status) && (!error || !strcmp(rs->v[i].error, error))) n++;
    return n;
}

/* Prints the rows that do not match, so a failure says what the engine recorded. */
static void expect_all(const struct rows *rs, size_t n, const char *status, const char *error)
{
    size_t got = count_status(rs, status, error);
    if (rs->n != n || got != n) {
        for (size_t i = 0; i < rs->n && i < 5; i++)
            print_message("row %zu: model=%s item=%s status=%s error=%s attempts=%d\n", i,
                          rs->v[i].model, rs->v[i].item, rs->v[i].status, rs->v[i].error,
                          rs->v[i].attempts);
        fail_msg("expected %zu rows with status %s%s%s, got %zu rows of which %zu match", n, status,
                 error ? "/" : "", error ? error : "", rs->n, got);
    }
}

/* ---- tests ---------------------------------------------------------------------------------- */

/* Every cell answered once, with the server's text, tokens and the API key; exit status 0. */
static void test_all_answered(void **state)
{
    struct eng e;
    eng_init(&e, 20);
    struct ts_server *ts = ts_start(&(struct ts_config){.answer_mode = TS_ANSWER_HASH});
    write_simple_config(&e, ts, 8, 3, 10000);
    struct vsc_progress p;
    assert_int_equal(run_engine(&e, &p, NULL), 0);
    assert_int_equal(p.total, 20);
    assert_int_equal(p.ok, 20);
    assert_int_equal(p.failed, 0);
    assert_int_equal(ts_requests(ts), 20);
    assert_int_equal(ts_max_body_seen(ts), 1);
    char *auth = ts_last_authorization(ts);
    assert_non_null(auth);
    assert_string_equal(auth, "Bearer sk-engine-test");
    free(auth);
    char *body = ts_last_body(ts);
    assert_non_null(strstr(body, "\"model\":\"test-model\""));
    assert_non_null(strstr(body, "\"seed\":1"));
    free(body);

    struct rows rs;
    collect(&e, &rs);
    expect_all(&rs, 20, "ok", NULL);
    for (size_t i = 0; i < rs.n; i++) {
        assert_non_null(rs.v[i].text);
        assert_int_equal(strncmp(rs.v[i].text, "ans-", 4), 0);
        assert_int_equal(rs.v[i].attempts, 1);
        assert_int_equal(rs.v[i].completion_tokens, 1);
        assert_true(rs.v[i].prompt_tokens >= 8); /* "Question N: how much ..." is 8 words */
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(rs.v[i].text, rs.v[j].text);
    }
    rows_free(&rs);
    ts_stop(ts);
    eng_cleanup(&e);
}

/* 200 ms per request, 64 cells at concurrency 64: all in flight together, about 200 ms total,
 * and the stored latency is the server's. */
static void test_latency_and_concurrency(void **state)
{
    struct eng e;
    eng_init(&e, 64);
    struct ts_server *ts = ts_start(&(struct ts_config){.latency_ms = 200});
    write_simple_config(&e, ts, 64, 2, 10000);
    struct vsc_progress p;
    double ms;
    assert_int_equal(run_engine(&e, &p, &ms), 0);
    assert_int_equal(ts_requests(ts), 64);
    assert_true(ts_max_in_flight(ts) >= 48);
    assert_true(ts_max_in_flight(ts) <= 64);
    if (ms > 1500) fail_msg("64 requests of 200 ms at concurrency 64 took %.0f ms", ms);
    struct rows rs;
    collect(&e, &rs);
    expect_all(&rs, 64, "ok", NULL);
    for (size_t i = 0; i < rs.n; i++) {
        if (rs.v[i].latency_ms < 195 || rs.v[i].latency_ms > 1500)
            fail_msg("latency_ms %.1f for a 200 ms server", rs.v[i].latency_ms);
    }
    rows_free(&rs);
    ts_stop(ts);
    eng_cleanup(&e);
}

/* The per-model concurrency limit holds. */
static void test_concurrency_limit(void **state)
{
    struct eng e;
    eng_init(&e, 40);
    struct ts_server *ts = ts_start(&(struct ts_config){.latency_ms = 50});
    write_simple_config(&e, ts, 4, 2, 10000);
    struct vsc_progress p;
    assert_int_equal(run_engine(&e, &p, NULL), 0);
    assert_int_equal(ts_requests(ts), 40);
    assert_int_equal(ts_max_in_flight(ts), 4);
    ts_stop(ts);
    eng_cleanup(&e);
}

/* A slot freed by a finished request is refilled at once: 20 requests of 50 ms at concurrency
 * 2 take about 500 ms. (An event loop that only refills after its next poll timeout idles each
 * slot after every answer.) */
static void test_slots_refilled_promptly(void **state)
{
    struct eng e;
    eng_init(&e, 20);
    struct ts_server *ts = ts_start(&(struct ts_config){.latency_ms = 50});
    write_simple_config(&e, ts, 2, 2, 10000);
    struct vsc_progress p;
    double ms;
    assert_int_equal(run_engine(&e, &p, &ms), 0);
    assert_int_equal(ts_requests(ts), 20);
    if (ms > 900 || ts_max_in_flight(ts) != 2)
        fail_msg("20 requests of 50 ms at concurrency 2 took %.0f ms (ideal 500) with at most "
                 "%d in flight",
                 ms, ts_max_in_flight(ts));
    ts_stop(ts);
    eng_cleanup(&e);
}

/* 429 with Retry-After: 1 on every first attempt: the retry waits about a second although the
 * backoff base is 10 ms, and then succeeds. (retry_max_ms caps Retry-After too: it is raised
 * above the second here.) */
static void test_429_retry_after_honoured(void **state)
{
    struct eng e;
    eng_init(&e, 4);
    e.retry_max_ms = 2000;
    struct ts_server *ts = ts_start(&(struct ts_config){
        .fault = TS_FAULT_429, .fault_rate = 1.0, .fault_attempts = 1, .retry_after_s = 1});
    write_simple_config(&e, ts, 4, 3, 10000);
    struct vsc_progress p;
    double ms;
    assert_int_equal(run_engine(&e, &p, &ms), 0);
    assert_int_equal(ts_faults(ts, TS_FAULT_429), 4);
    assert_int_equal(ts_requests(ts), 8);
    assert_int_equal(p.retries, 4);
    if (ms < 950) fail_msg("Retry-After: 1 was not honoured: the run took %.0f ms", ms);
    if (ms > 4000) fail_msg("the run took %.0f ms after a 1 s Retry-After", ms);
    struct rows rs;
    collect(&e, &rs);
    expect_all(&rs, 4, "ok", NULL);
    for (size_t i = 0; i < rs.n; i++)
        assert_int_equal(rs.v[i].attempts, 2);
    rows_free(&rs);
    ts_stop(ts);
    eng_cleanup(&e);
}

/* Persistent 429 without Retry-After: given up after max_attempts, recorded as http_429. */
static void test_429_persistent(void **state)
{
    struct eng e;
    eng_init(&e, 3);
    struct ts_server *ts = ts_start(
        &(struct ts_config){.fault = TS_FAULT_429, .fault_rate = 1.0, .no_retry_after = 1});
    write_simple_config(&e, ts, 4, 3, 10000);
    struct vsc_progress p;
    assert_int_equal(run_engine(&e, &p, NULL), VSC_ERR_INCOMPLETE);
    assert_int_equal(ts_requests(ts), 9);
    assert_int_equal(p.errors[VSC_E_HTTP_429], 3);
    struct rows rs;
    collect(&e, &rs);
    expect_all(&rs, 3, "error", "http_429");
    rows_free(&rs);
    ts_stop(ts);
    eng_cleanup(&e);
}

/* 30% of bodies fail their first two attempts with 500: all end ok, with exactly the extra
 * requests the faults explain. */
static void test_500_retried_then_ok(void **state)
{
    struct eng e;
    eng_init(&e, 50);
    struct ts_server *ts = ts_start(
        &(struct ts_config){.fault = TS_FAULT_500, .fault_rate = 0.3, .fault_attempts = 2});
    write_simple_config(&e, ts, 16, 5, 10000);
    struct vsc_progress p;
    assert_int_equal(run_engine(&e, &p, NULL), 0);
    int64_t faults = ts_faults(ts, TS_FAULT_500);
    assert_true(faults > 0);
    assert_int_equal(faults % 2, 0);
    assert_int_equal(ts_requests(ts), 50 + faults);
    assert_int_equal(ts_ok_replies(ts), 50);
    assert_int_equal(ts_max_body_ok(ts), 1);
    assert_int_equal(p.retries, faults);
    struct rows rs;
    collect(&e, &rs);
    expect_all(&rs, 50, "ok", NULL);
    int64_t third = 0;
    for (size_t i = 0; i < rs.n; i++) {
        assert_true(rs.v[i].attempts == 1 || rs.v[i].attempts == 3);
        third += rs.v[i].attempts == 3;
    }
    assert_int_equal(third * 2, faults);
    rows_free(&rs);
    ts_stop(ts);
    eng_cleanup(&e);
}

/* One fault on every attempt: each cell is given up on (after max_attempts requests when the
 * fault is retried, else after one) and recorded with the fault's error kind; the run says it
 * is incomplete. */
static void check_fault(const struct ts_config *cfg, int max_attempts, int timeout_ms,
                        const char *kind, enum vsc_error_kind ek, int retried)
{
    int attempts = retried ? max_attempts : 1;
    struct eng e;
    eng_init(&e, 3);
    struct ts_server *ts = ts_start(cfg);
    write_simple_config(&e, ts, 4, max_attempts, timeout_ms);
    struct vsc_progress p;
    int rc = run_engine(&e, &p, NULL);
    if (rc != VSC_ERR_INCOMPLETE)
        fail_msg("%s: vsc_run returned %d (%s), want VSC_ERR_INCOMPLETE", kind, rc,
                 vsc_strerror(rc));
    assert_int_equal(p.failed, 3);
    assert_int_equal(p.errors[ek], 3);
    if (ts_requests(ts) != 3 * attempts)
        fail_msg("%s: the server saw %lld requests for 3 cells x %d attempts", kind,
                 (long long)ts_requests(ts), attempts);
    struct rows rs;
    collect(&e, &rs);
    expect_all(&rs, 3, "error", kind);
    for (size_t i = 0; i < rs.n; i++)
        assert_int_equal(rs.v[i].attempts, attempts);
    rows_free(&rs);
    ts_stop(ts);
    eng_cleanup(&e);
}

/* A transient fault on every attempt: retried up to max_attempts, then recorded. */
static void check_persistent_fault(const struct ts_config *cfg, int max_attempts, int timeout_ms,
                                   const char *kind, enum vsc_error_kind ek)
{
    check_fault(cfg, max_attempts, timeout_ms, kind, ek, 1);
}

static void test_500_persistent(void **state)
{
    check_persistent_fault(&(struct ts_config){.fault = TS_FAULT_500, .fault_rate = 1.0}, 3, 10000,
                           "http_5xx", VSC_E_HTTP_5XX);
}

static void test_503_persistent(void **state)
{
    check_persistent_fault(
        &(struct ts_config){.fault = TS_FAULT_503, .fault_rate = 1.0, .no_retry_after = 1}, 2,
        10000, "http_5xx", VSC_E_HTTP_5XX);
}

static void test_dropped_connection(void **state)
{
    check_persistent_fault(&(struct ts_config){.fault = TS_FAULT_DROP, .fault_rate = 1.0}, 3, 10000,
                           "connection", VSC_E_CONNECTION);
}

static void test_truncated_json(void **state)
{
    check_persistent_fault(&(struct ts_config){.fault = TS_FAULT_TRUNCATED, .fault_rate = 1.0}, 2,
                           10000, "bad_json", VSC_E_BAD_JSON);
}

static void test_not_json(void **state)
{
    check_persistent_fault(&(struct ts_config){.fault = TS_FAULT_NOT_JSON, .fault_rate = 1.0}, 2,
                           10000, "bad_json", VSC_E_BAD_JSON);
}

static void test_no_choices_persistent(void **state)
{
    check_persistent_fault(&(struct ts_config){.fault = TS_FAULT_NO_CHOICES, .fault_rate = 1.0}, 2,
                           10000, "no_choices", VSC_E_NO_CHOICES);
}

static void test_timeout(void **state)
{
    check_persistent_fault(
        &(struct ts_config){.fault = TS_FAULT_HANG, .fault_rate = 1.0, .hang_ms = 5000}, 2, 300,
        "timeout", VSC_E_TIMEOUT);
}

/* A 10 MiB reply against the default 8 MiB cap: recorded as too_large. It is not a transient
 * fault (the same request would get the same answer), so it is not retried. */
static void test_huge_body(void **state)
{
    check_fault(&(struct ts_config){.fault = TS_FAULT_HUGE, .fault_rate = 1.0}, 2, 10000,
                "too_large", VSC_E_TOO_LARGE, 0);
}

/* A reply without choices is retried like a transient error, and the retry's answer is kept. */
static void test_no_choices_then_ok(void **state)
{
    struct eng e;
    eng_init(&e, 10);
    struct ts_server *ts = ts_start(
        &(struct ts_config){.fault = TS_FAULT_NO_CHOICES, .fault_rate = 1.0, .fault_attempts = 1});
    write_simple_config(&e, ts, 4, 3, 10000);
    struct vsc_progress p;
    assert_int_equal(run_engine(&e, &p, NULL), 0);
    assert_int_equal(ts_requests(ts), 20);
    struct rows rs;
    collect(&e, &rs);
    expect_all(&rs, 10, "ok", NULL);
    for (size_t i = 0; i < rs.n; i++) {
        assert_int_equal(rs.v[i].attempts, 2);
        assert_string_equal(rs.v[i].text, "OK");
    }
    rows_free(&rs);
    ts_stop(ts);
    eng_cleanup(&e);
}

/* Invalid UTF-8 in the content: the answer is kept, with the bad bytes replaced (U+FFFD), so
 * the store and exports only ever hold valid UTF-8. */
static void test_invalid_utf8(void **state)
{
    struct eng e;
    eng_init(&e, 3);
    struct ts_server *ts =
        ts_start(&(struct ts_config){.fault = TS_FAULT_BAD_UTF8, .fault_rate = 1.0});
    write_simple_config(&e, ts, 4, 2, 10000);
    struct vsc_progress p;
    assert_int_equal(run_engine(&e, &p, NULL), 0);
    struct rows rs;
    collect(&e, &rs);
    expect_all(&rs, 3, "ok", NULL);
    for (size_t i = 0; i < rs.n; i++) {
        const char *t = rs.v[i].text;
        assert_non_null(t);
        assert_true(utf8_valid(t, strlen(t)));
        assert_non_null(strstr(t, "\xef\xbf\xbd"));
        assert_non_null(strstr(t, "broken"));
    }
    rows_free(&rs);
    ts_stop(ts);
    eng_cleanup(&e);
}

/* Mixed faults in one run: some cells fail for good, the rest are answered; exit status says
 * the run is incomplete, and a rerun after the server recovers sends only the failed cells. */
static void test_mixed_then_rerun_completes(void **state)
{
    struct eng e;
    eng_init(&e, 40);
    struct ts_config bad = {.fault = TS_FAULT_500, .fault_rate = 0.25, .fault_attempts = 100};
    struct ts_server *ts = ts_start(&bad);
    write_simple_config(&e, ts, 8, 2, 10000);
    struct vsc_progress p;
    assert_int_equal(run_engine(&e, &p, NULL), VSC_ERR_INCOMPLETE);
    int64_t failed = p.failed;
    assert_true(failed > 0 && failed < 40);
    assert_int_equal(p.ok + p.failed, 40);
    assert_int_equal(ts_requests(ts), 40 + failed);

    ts_set_config(ts, &(struct ts_config){0});
    ts_reset_counters(ts);
    assert_int_equal(run_engine(&e, &p, NULL), 0);
    assert_int_equal(ts_requests(ts), failed);
    assert_int_equal(p.cached, 40 - failed);
    assert_int_equal(p.ok, failed);
    struct rows rs;
    collect(&e, &rs);
    expect_all(&rs, 40, "ok", NULL);
    rows_free(&rs);
    ts_stop(ts);
    eng_cleanup(&e);
}

/* The cache: running the same config again sends nothing and reports everything cached. */
static void test_rerun_sends_nothing(void **state)
{
    struct eng e;
    eng_init(&e, 30);
    struct ts_server *ts = ts_start(&(struct ts_config){.answer_mode = TS_ANSWER_HASH});
    write_simple_config(&e, ts, 8, 2, 10000);
    struct vsc_progress p;
    assert_int_equal(run_engine(&e, &p, NULL), 0);
    assert_int_equal(ts_requests(ts), 30);
    struct rows before;
    collect(&e, &before);

    assert_int_equal(run_engine(&e, &p, NULL), 0);
    assert_int_equal(ts_requests(ts), 30);
    assert_int_equal(p.total, 30);
    assert_int_equal(p.cached, 30);
    assert_int_equal(p.ok, 0);
    struct rows after;
    collect(&e, &after);
    assert_int_equal(after.n, 30);
    for (size_t i = 0; i < after.n; i++)
        assert_string_equal(after.v[i].text, before.v[i].text);
    rows_free(&before);
    rows_free(&after);
    ts_stop(ts);
    eng_cleanup(&e);
}

/* Two models with the same served name and the same prompts, on two servers that answer
 * differently: each model keeps its own server's answers, and both servers are asked. */
static void test_models_never_share_answers(void **state)
{
    struct eng e;
    eng_init(&e, 10);
    struct ts_server *a = ts_start(&(struct ts_config){.answer_text = "from-A"});
    struct ts_server *b = ts_start(&(struct ts_config){.answer_text = "from-B"});
    char *ma = model_yaml("ma", ts_url(a), "same-model", 4, 10000);
    char *mb = model_yaml("mb", ts_url(b), "same-model", 4, 10000);
    char *models = xasprintf("%s%s", ma, mb);
    write_config(&e, models, 2, NULL);
    struct vsc_progress p;
    assert_int_equal(run_engine(&e, &p, NULL), 0);
    assert_int_equal(p.total, 20);
    assert_int_equal(ts_requests(a), 10);
    assert_int_equal(ts_requests(b), 10);
    struct rows rs;
    collect(&e, &rs);
    expect_all(&rs, 20, "ok", NULL);
    for (size_t i = 0; i < rs.n; i++) {
        const char *want = !strcmp(rs.v[i].model, "ma") ? "from-A" : "from-B";
        assert_string_equal(rs.v[i].text, want);
    }
    rows_free(&rs);

    /* Same server, two labels with different served models: the bodies differ, so do the
     * answers. */
    eng_cleanup(&e);
    eng_init(&e, 10);
    struct ts_server *h = ts_start(&(struct ts_config){.answer_mode = TS_ANSWER_HASH});
    free(ma), free(mb), free(models);
    ma = model_yaml("ma", ts_url(h), "model-one", 4, 10000);
    mb = model_yaml("mb", ts_url(h), "model-two", 4, 10000);
    models = xasprintf("%s%s", ma, mb);
    write_config(&e, models, 2, NULL);
    assert_int_equal(run_engine(&e, &p, NULL), 0);
    assert_int_equal(ts_requests(h), 20);
    assert_int_equal(ts_distinct_bodies(h), 20);
    collect(&e, &rs);
    expect_all(&rs, 20, "ok", NULL);
    for (size_t i = 0; i < rs.n; i++)
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(rs.v[i].text, rs.v[j].text);
    rows_free(&rs);
    free(ma), free(mb), free(models);
    ts_stop(a);
    ts_stop(b);
    ts_stop(h);
    eng_cleanup(&e);
}

/* base_url given as the full .../chat/completions endpoint works the same as the /v1 root. */
static void test_full_endpoint_url(void **state)
{
    struct eng e;
    eng_init(&e, 3);
    struct ts_server *ts = ts_start(NULL);
    char *url = xasprintf("%s/chat/completions", ts_url(ts));
    char *m = model_yaml("m1", url, "test-model", 4, 10000);
    write_config(&e, m, 2, NULL);
    struct vsc_progress p;
    assert_int_equal(run_engine(&e, &p, NULL), 0);
    char *path = ts_last_path(ts);
    assert_string_equal(path, "/v1/chat/completions");
    free(path);
    assert_int_equal(ts_requests(ts), 3);
    free(url);
    free(m);
    ts_stop(ts);
    eng_cleanup(&e);
}

/* Several base_urls for one model: requests are spread over them, none sent twice. */
static void test_several_base_urls(void **state)
{
    struct eng e;
    eng_init(&e, 40);
    struct ts_server *a = ts_start(&(struct ts_config){.latency_ms = 30});
    struct ts_server *b = ts_start(&(struct ts_config){.latency_ms = 30});
    char *m = xasprintf("  - name: m1\n"
                        "    backend: openai\n"
                        "    base_url: [%s, %s]\n"
                        "    model: test-model\n"
                        "    concurrency: 8\n",
                        ts_url(a), ts_url(b));
    write_config(&e, m, 2, NULL);
    struct vsc_progress p;
    assert_int_equal(run_engine(&e, &p, NULL), 0);
    assert_int_equal(ts_requests(a) + ts_requests(b), 40);
    if (ts_requests(a) < 10 || ts_requests(b) < 10)
        fail_msg("requests not spread: %lld and %lld", (long long)ts_requests(a),
                 (long long)ts_requests(b));
    assert_int_equal(ts_max_body_seen(a), 1);
    assert_int_equal(ts_max_body_seen(b), 1);
    free(m);
    ts_stop(a);
    ts_stop(b);
    eng_cleanup(&e);
}

/* api: completions goes to /v1/completions with a prompt, and reads choices[0].text. */
static void test_completions_api(void **state)
{
    struct eng e;
    eng_init(&e, 3);
    struct ts_server *ts = ts_start(&(struct ts_config){.answer_mode = TS_ANSWER_ECHO});
    char *m = xasprintf("  - name: m1\n"
                        "    backend: openai\n"
                        "    base_url: %s\n"
                        "    model: test-model\n"
                        "    api: completions\n",
                        ts_url(ts));
    write_config_params(&e, m, 2, "{temperature: 0, max_tokens: 64}", NULL);
    struct vsc_progress p;
    assert_int_equal(run_engine(&e, &p, NULL), 0);
    char *path = ts_last_path(ts), *body = ts_last_body(ts);
    assert_string_equal(path, "/v1/completions");
    assert_non_null(strstr(body, "\"prompt\""));
    assert_null(strstr(body, "\"messages\""));
    free(path), free(body);
    struct rows rs;
    collect(&e, &rs);
    expect_all(&rs, 3, "ok", NULL);
    for (size_t i = 0; i < rs.n; i++) {
        /* the echo holds the item's text, wherever the prompt template puts it */
        if (!strstr(rs.v[i].text, "how much does tradition matter to you?"))
            fail_msg("completions answer '%s' does not echo the prompt", rs.v[i].text);
        assert_string_equal(rs.v[i].finish_reason, "stop");
    }
    rows_free(&rs);
    free(m);
    ts_stop(ts);
    eng_cleanup(&e);
}

/* logprobs/top_logprobs pass through to the server, and the answer's logprobs, finish reason
 * and token usage are stored. */
static void test_logprobs_and_finish_reason(void **state)
{
    struct eng e;
    eng_init(&e, 2);
    struct ts_server *ts = ts_start(&(struct ts_config){.answer_text = "4"});
    char *m = model_yaml("m1", ts_url(ts), "test-model", 4, 10000);
    write_config_params(&e, m, 2,
                        "{temperature: 0, max_tokens: 1, logprobs: true, top_logprobs: 3}", NULL);
    struct vsc_progress p;
    assert_int_equal(run_engine(&e, &p, NULL), 0);
    char *body = ts_last_body(ts);
    assert_non_null(strstr(body, "\"logprobs\":true"));
    assert_non_null(strstr(body, "\"top_logprobs\":3"));
    free(body);
    struct rows rs;
    collect(&e, &rs);
    expect_all(&rs, 2, "ok", NULL);
    for (size_t i = 0; i < rs.n; i++) {
        assert_string_equal(rs.v[i].text, "4");
        assert_string_equal(rs.v[i].finish_reason, "stop");
        assert_int_equal(rs.v[i].completion_tokens, 1);
        assert_non_null(rs.v[i].logprobs_json);
        json_error_t err;
        json_t *lp = json_loads(rs.v[i].logprobs_json, 0, &err);
        assert_true(json_is_array(lp));
        json_t *top = json_object_get(json_array_get(lp, 0), "top_logprobs");
        assert_int_equal(json_array_size(top), 3);
        assert_string_equal(json_string_value(json_object_get(json_array_get(top, 0), "token")),
                            "4");
        json_decref(lp);
    }
    rows_free(&rs);
    free(m);
    ts_stop(ts);

    /* max_tokens cuts the echo: finish_reason "length" is kept. */
    eng_cleanup(&e);
    eng_init(&e, 2);
    ts = ts_start(&(struct ts_config){.answer_mode = TS_ANSWER_ECHO});
    m = model_yaml("m1", ts_url(ts), "test-model", 4, 10000);
    write_config_params(&e, m, 2, "{temperature: 0, max_tokens: 2}", NULL);
    assert_int_equal(run_engine(&e, &p, NULL), 0);
    collect(&e, &rs);
    expect_all(&rs, 2, "ok", NULL);
    for (size_t i = 0; i < rs.n; i++) {
        assert_string_equal(rs.v[i].finish_reason, "length");
        assert_int_equal(rs.v[i].completion_tokens, 2);
    }
    rows_free(&rs);
    free(m);
    ts_stop(ts);
    eng_cleanup(&e);
}

/* Retry-After: 999999 must not park the cell (and its concurrency slot) for 120 s: retry_max_ms
 * (200 ms in these configs) caps the server's wish too. */
static void test_retry_after_capped_by_retry_max_ms(void **state)
{
    struct eng e;
    eng_init(&e, 3);
    struct ts_server *ts = ts_start(&(struct ts_config){
        .fault = TS_FAULT_429, .fault_rate = 1.0, .fault_attempts = 1, .retry_after_s = 999999});
    write_simple_config(&e, ts, 4, 3, 10000);
    struct vsc_progress p;
    double ms;
    assert_int_equal(run_engine(&e, &p, &ms), 0);
    assert_int_equal(ts_faults(ts, TS_FAULT_429), 3);
    assert_int_equal(ts_requests(ts), 6);
    if (ms > 3000) fail_msg("Retry-After: 999999 held the run for %.0f ms (retry_max_ms: 200)", ms);
    struct rows rs;
    collect(&e, &rs);
    expect_all(&rs, 3, "ok", NULL);
    for (size_t i = 0; i < rs.n; i++)
        assert_int_equal(rs.v[i].attempts, 2);
    rows_free(&rs);
    ts_stop(ts);
    eng_cleanup(&e);
}

/* Low-speed limit: writes the config for one model with low_speed_bytes/seconds, runs it. */
static int run_low_speed(struct eng *e, struct ts_server *ts, int max_attempts,
                         struct vsc_progress *p, double *ms)
{
    char *m = model_yaml("m1", ts_url(ts), "test-model", 4, 20000);
    char *models = xasprintf("%s    low_speed_bytes: 200\n    low_speed_seconds: 1\n", m);
    write_config(e, models, max_attempts, NULL);
    free(m);
    free(models);
    return run_engine(e, p, ms);
}

/* A server that trickles its reply (10 bytes/s; the ~300-byte answer would take 30 s) is cut
 * by the low-speed limit after about a second per attempt, recorded as "slow" and retried. */
static void test_trickling_server_cut(void **state)
{
    struct eng e;
    eng_init(&e, 2);
    struct ts_server *ts = ts_start(
        &(struct ts_config){.fault = TS_FAULT_TRICKLE, .fault_rate = 1.0, .trickle_ms = 100});
    struct vsc_progress p;
    double ms;
    assert_int_equal(run_low_speed(&e, ts, 2, &p, &ms), VSC_ERR_INCOMPLETE);
    assert_int_equal(p.errors[VSC_E_SLOW], 2);
    assert_int_equal(ts_requests(ts), 4);
    if (ms > 6000) fail_msg("two trickled attempts took %.0f ms with a 1 s low-speed window", ms);
    struct rows rs;
    collect(&e, &rs);
    expect_all(&rs, 2, "error", "slow");
    for (size_t i = 0; i < rs.n; i++)
        assert_int_equal(rs.v[i].attempts, 2);
    rows_free(&rs);
    ts_stop(ts);
    eng_cleanup(&e);
}

/* The low-speed window starts with the reply: a server that thinks 1.5 s before answering at
 * full speed is not cut by a 1 s window. */
static void test_slow_start_not_cut(void **state)
{
    struct eng e;
    eng_init(&e, 2);
    struct ts_server *ts = ts_start(&(struct ts_config){.latency_ms = 1500});
    struct vsc_progress p;
    assert_int_equal(run_low_speed(&e, ts, 1, &p, NULL), 0);
    assert_int_equal(ts_requests(ts), 2);
    struct rows rs;
    collect(&e, &rs);
    expect_all(&rs, 2, "ok", NULL);
    rows_free(&rs);
    ts_stop(ts);
    eng_cleanup(&e);
}

static void redirect_reply(const char *body, size_t len, int attempt, struct ts_reply *out,
                           void *payload)
{
    out->status = 302;
    out->location = xstrdup("http://elsewhere.example:9/v1/chat/completions");
}

/* Searches a file's bytes (the store and its WAL) for `needle`. */
static int file_has(const char *path, const char *needle)
{
    char *s = NULL;
    size_t len = 0;
    struct vsc_diag d;
    if (read_file(&s, &len, path, &d)) return 0;
    int found = memmem(s, len, needle, strlen(needle)) != NULL;
    free(s);
    return found;
}

/* A 302 is a redirect, not an http_4xx: recorded as http_redirect with the status and the
 * Location's host, not retried and not followed (the API key must not go to another host). */
static void test_redirect_reported(void **state)
{
    struct eng e;
    eng_init(&e, 3);
    struct ts_server *ts = ts_start(&(struct ts_config){.reply = redirect_reply});
    write_simple_config(&e, ts, 4, 3, 10000);
    struct vsc_progress p;
    assert_int_equal(run_engine(&e, &p, NULL), VSC_ERR_INCOMPLETE);
    assert_int_equal(p.errors[VSC_E_HTTP_REDIRECT], 3);
    assert_int_equal(p.errors[VSC_E_HTTP_4XX], 0);
    assert_int_equal(ts_requests(ts), 3);
    struct rows rs;
    collect(&e, &rs);
    expect_all(&rs, 3, "error", "http_redirect");
    for (size_t i = 0; i < rs.n; i++)
        assert_int_equal(rs.v[i].attempts, 1);
    rows_free(&rs);
    char wal[160];
    snprintf(wal, sizeof wal, "%s-wal", e.db);
    if (!file_has(e.db, "HTTP 302 redirect to elsewhere.example") &&
        !file_has(wal, "HTTP 302 redirect to elsewhere.example"))
        fail_msg("the stored detail does not name the status and the Location host");
    ts_stop(ts);
    eng_cleanup(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_answered),
        cmocka_unit_test(test_latency_and_concurrency),
        cmocka_unit_test(test_concurrency_limit),
        cmocka_unit_test(test_slots_refilled_promptly),
        cmocka_unit_test(test_429_retry_after_honoured),
        cmocka_unit_test(test_429_persistent),
        cmocka_unit_test(test_500_retried_then_ok),
        cmocka_unit_test(test_500_persistent),
        cmocka_unit_test(test_503_persistent),
        cmocka_unit_test(test_dropped_connection),
        cmocka_unit_test(test_truncated_json),
        cmocka_unit_test(test_not_json),
        cmocka_unit_test(test_no_choices_persistent),
        cmocka_unit_test(test_no_choices_then_ok),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_huge_body),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_mixed_then_rerun_completes),
        cmocka_unit_test(test_rerun_sends_nothing),
        cmocka_unit_test(test_models_never_share_answers),
        cmocka_unit_test(test_full_endpoint_url),
        cmocka_unit_test(test_several_base_urls),
        cmocka_unit_test(test_completions_api),
        cmocka_unit_test(test_logprobs_and_finish_reason),
        cmocka_unit_test(test_retry_after_capped_by_retry_max_ms),
        cmocka_unit_test(test_trickling_server_cut),
        cmocka_unit_test(test_slow_start_not_cut),
        cmocka_unit_test(test_redirect_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
