/* A generative run is resumable like any run: a child process running vsc_run on 100 built-in
 * probes x 2 samples with the lean judge is killed with SIGKILL while the judge stage is under
 * way, then the run is repeated to the end. No probe call may be paid twice, judge calls at
 * most those in flight at the kill, and a third run sends nothing at all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/testserver.h"
#include "support/testutil.h"
#include "util/util.h"
#include "valscope/config.h"
#include "valscope/judge.h"
#include "valscope/run.h"
#include "valscope/store.h"

enum { N_PROBES = 100, SAMPLES = 2, JUDGE_CONC = 4, MODEL_CONC = 16, KILL_AT = 60 };

static atomic_int probe_requests, judge_requests, judge_ok;

static void reply_cb(const char *body, size_t len, int attempt, struct ts_reply *out, void *payload)
{
    (void)attempt, (void)payload;
    json_t *b = json_loadb(body, len, 0, NULL);
    const char *model = json_string_value(json_object_get(b, "model"));
    if (model && !strcmp(model, "judge-model")) {
        atomic_fetch_add(&judge_requests, 1);
        free(out->text);
        out->text = strdup("{\"rating\": 7}");
        out->latency_ms = 20;
        atomic_fetch_add(&judge_ok, 1);
    } else {
        atomic_fetch_add(&probe_requests, 1); /* text: the hash answer, distinct per body */
        out->latency_ms = 5;
    }
    json_decref(b);
}

struct fx {
    char dir[64], config[128], db[128];
    struct ts_server *ts;
};

static void write_config(struct fx *f)
{
    tu_write_file(f->config,
                  "run: judge-resume\n"
                  "store: %s\n"
                  "samples: %d\n"
                  "params: {temperature: 1, seed: 1}\n"
                  "models:\n"
                  "  - {name: m1, backend: openai, base_url: %s, model: probe-model, "
                  "api_key_env: VSC_TEST_KEY, concurrency: %d}\n"
                  "judges:\n"
                  "  - {name: j1, backend: openai, base_url: %s, model: judge-model, "
                  "api_key_env: VSC_TEST_KEY, concurrency: %d}\n"
                  "instruments:\n"
                  "  - {probes: builtin:schwartz, protocol: lean, judge: j1}\n",
                  f->db, SAMPLES, ts_url(f->ts), MODEL_CONC, ts_url(f->ts), JUDGE_CONC);
}

static char cli[1024];

static int run_once(struct fx *f)
{
    struct vsc_config *cfg = NULL;
    struct vsc_diag diag = {0};
    int rc = vsc_config_load(&cfg, f->config, &diag);
    if (rc) return rc;
    rc = vsc_run(NULL, cfg, NULL, &diag);
    vsc_config_free(cfg);
    return rc;
}

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

struct counts {
    int judge_ok, probe_ok, cells;
};

static int count_cb(const struct vsc_answer_row *r, void *payload)
{
    struct counts *c = payload;
    c->cells++;
    if (strcmp(r->status, "ok")) return 0;
    if (!strcmp(r->model, "j1"))
        c->judge_ok++;
    else
        c->probe_ok++;
    return 0;
}

static struct counts store_counts(struct fx *f)
{
    struct counts c = {0};
    struct vsc_store *st = NULL;
    assert_int_equal(vsc_store_open(&st, f->db), 0);
    assert_int_equal(vsc_store_foreach_answer(st, NULL, count_cb, &c), 0);
    vsc_store_free(st);
    return c;
}

static void body_cb(const char *hex, int seen, int ok, void *payload)
{
    (void)hex, (void)seen;
    int *twice = payload;
    if (ok > 1) (*twice)++;
}

struct score_sum {
    size_t n, n_unparseable, records;
    double mean_sum;
};

static int score_cb(const struct vsc_score_record *r, void *payload)
{
    struct score_sum *s = payload;
    s->n += r->n;
    s->n_unparseable += r->n_unparseable + r->n_failed + r->n_pending;
    s->records++;
    s->mean_sum += r->mean;
    return 0;
}

static void test_kill_during_judge_stage(void **state)
{
    (void)state;
    struct fx f;
    snprintf(f.dir, sizeof f.dir, "/tmp/vsc-jres-XXXXXX");
    assert_non_null(mkdtemp(f.dir));
    snprintf(f.config, sizeof f.config, "%s/run.yaml", f.dir);
    snprintf(f.db, sizeof f.db, "%s/store.db", f.dir);
    setenv("VSC_TEST_KEY", "sk-judge-test", 1);
    struct ts_config tc = {.answer_mode = TS_ANSWER_HASH, .reply = reply_cb};
    f.ts = ts_start(&tc);
    assert_non_null(f.ts);
    write_config(&f);

    /* 1. a child runs the plan and is killed once the judge has answered KILL_AT calls */
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    /* the child execs the CLI rather than running the library in a forked copy of this
     * multi-threaded process (the test server's threads could hold an allocator lock) */
    if (pid == 0) {
        execl(cli, cli, "run", f.config, (char *)NULL);
        _exit(127);
    }
    double t0 = now_ms();
    while (atomic_load(&judge_ok) < KILL_AT) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            fail_msg("the run ended (status %d) before the judge stage could be killed", status);
        if (now_ms() - t0 > 30000) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            fail_msg("no judge progress after 30 s");
        }
        sleep_ms(1);
    }
    assert_int_equal(kill(pid, SIGKILL), 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    for (int i = 0; i < 300 && ts_in_flight(f.ts) > 0; i++)
        sleep_ms(10);

    /* killed inside the judge stage: every probe answered, some judge calls not yet */
    struct counts c = store_counts(&f);
    assert_int_equal(c.probe_ok, N_PROBES * SAMPLES);
    assert_true(c.judge_ok > 0 && c.judge_ok < N_PROBES * SAMPLES);
    assert_int_equal(atomic_load(&probe_requests), N_PROBES * SAMPLES);

    /* 2. the rerun finishes */
    assert_int_equal(run_once(&f), 0);
    c = store_counts(&f);
    assert_int_equal(c.cells, 2 * N_PROBES * SAMPLES);
    assert_int_equal(c.probe_ok, N_PROBES * SAMPLES);
    assert_int_equal(c.judge_ok, N_PROBES * SAMPLES);
    /* no probe call paid twice; judge calls at most those in flight at the kill */
    assert_int_equal(atomic_load(&probe_requests), N_PROBES * SAMPLES);
    int jr = atomic_load(&judge_requests);
    if (jr < N_PROBES * SAMPLES || jr > N_PROBES * SAMPLES + JUDGE_CONC)
        fail_msg("judge requests %d: want %d, plus at most %d in flight at the kill", jr,
                 N_PROBES * SAMPLES, JUDGE_CONC);
    int twice = 0;
    ts_foreach_body(f.ts, body_cb, &twice);
    assert_true(twice <= JUDGE_CONC);

    /* 3. a third run sends nothing */
    int64_t before = ts_requests(f.ts);
    assert_int_equal(run_once(&f), 0);
    assert_int_equal(ts_requests(f.ts), before);

    /* the scores use every judge reply: 10 values x 20 answers, all rated 7 (3 reversed) */
    struct vsc_store *st = NULL;
    assert_int_equal(vsc_store_open(&st, f.db), 0);
    struct score_sum s = {0};
    struct vsc_score_opts o = {.n_boot = -1};
    struct vsc_diag diag = {0};
    assert_int_equal(vsc_judge_score(st, &o, score_cb, &s, &diag), 0);
    vsc_store_free(st);
    assert_int_equal(s.records, 10);
    assert_int_equal(s.n, N_PROBES * SAMPLES);
    assert_int_equal(s.n_unparseable, 0);
    assert_true(isfinite(s.mean_sum));

    ts_stop(f.ts);
    tu_rmrf(f.dir);
}

int main(int argc, char **argv)
{
    (void)argc;
    tu_cli_path(cli, sizeof cli, argv[0]);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_kill_during_judge_stage)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
