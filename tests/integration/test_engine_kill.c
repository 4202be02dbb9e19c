/* Resume after kill -9: `valscope run` (the CLI binary) is killed with SIGKILL twice while it
 * works through a 2,000-cell plan against a slow test server, then run to the end. The export
 * must hold exactly one ok answer per cell, and the server must never have seen a body again
 * once its answer was committed; at most the requests in flight at a kill are paid twice.
 *
 * The server answers each body with "ans-" + a hash of the body, so a committed answer names
 * the request it came from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/testserver.h"
#include "support/testutil.h"
#include "util/util.h"
#include "valscope/store.h"

enum { N_CELLS = 2000, CONCURRENCY = 64, LATENCY_MS = 30 };

static char cli[512];

struct fixture {
    char dir[64];
    char prompts[128], config[128], db[128], unused_db[128], log[128], export_path[128];
    struct ts_server *ts;
};

/* ---- committed answers and server snapshots, keyed by the 16 hex digits of the body hash --- */

struct seen {
    char hex16[17];
    int seen;
};

struct seen_set {
    struct seen *v;
    size_t n, cap;
};

static void seen_add(struct seen_set *s, const char *hex16, int seen)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
    }
    memcpy(s->v[s->n].hex16, hex16, 16);
    s->v[s->n].hex16[16] = '\0';
    s->v[s->n].seen = seen;
    s->n++;
}

static int seen_cmp(const void *a, const void *b)
{
    return strcmp(((const struct seen *)a)->hex16, ((const struct seen *)b)->hex16);
}

static struct seen *seen_find(const struct seen_set *s, const char *hex16)
{
    struct seen key;
    memcpy(key.hex16, hex16, 16);
    key.hex16[16] = '\0';
    return bsearch(&key, s->v, s->n, sizeof *s->v, seen_cmp);
}

/* What the server saw: every body with how often it was received and answered ok. */
struct server_view {
    struct seen_set seen; /* seen counts */
    struct seen_set ok;   /* ok counts */
};

static void view_cb(const char *hex, int seen, int ok, void *payload)
{
    struct server_view *v = payload;
    seen_add(&v->seen, hex, seen);
    seen_add(&v->ok, hex, ok);
}

static void view_take(struct server_view *v, struct ts_server *ts)
{
    memset(v, 0, sizeof *v);
    ts_foreach_body(ts, view_cb, v);
    qsort(v->seen.v, v->seen.n, sizeof *v->seen.v, seen_cmp);
    qsort(v->ok.v, v->ok.n, sizeof *v->ok.v, seen_cmp);
}

static void view_free(struct server_view *v)
{
    free(v->seen.v);
    free(v->ok.v);
}

/* Committed ok answers in the store: their hash prefixes. */
static int committed_cb(const struct vsc_answer_row *row, void *payload)
{
    struct seen_set *s = payload;
    if (row->status && !strcmp(row->status, "ok")) {
        if (!row->text || strncmp(row->text, "ans-", 4) || strlen(row->text) != 20) {
            print_message("unexpected answer text '%s' for item %s\n",
                          row->text ? row->text : "(null)", row->item);
            return 1;
        }
        seen_add(s, row->text + 4, 1);
    }
    return 0;
}

static void read_committed(struct fixture *f, struct seen_set *out)
{
    memset(out, 0, sizeof *out);
    struct vsc_store *st = NULL;
    int rc = vsc_store_open(&st, f->db);
    if (rc) fail_msg("store after kill: %s", st ? vsc_store_errmsg(st) : vsc_strerror(rc));
    rc = vsc_store_foreach_answer(st, NULL, committed_cb, out);
    if (rc) fail_msg("reading the store after kill failed (%d): %s", rc, vsc_store_errmsg(st));
    vsc_store_free(st);
    qsort(out->v, out->n, sizeof *out->v, seen_cmp);
}

/* ---- driving the CLI ------------------------------------------------------------------------ */

static pid_t spawn(struct fixture *f, char *const argv[], const char *out_path)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static pid_t start_run(struct fixture *f)
{
    char *argv[] = {cli, "run", f->config, "--store", f->db, NULL};
    return spawn(f, argv, f->log);
}

static int wait_exit(pid_t pid)
{
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void print_log(struct fixture *f)
{
    FILE *fp = fopen(f->log, "r");
    char line[512];
    while (fp && fgets(line, sizeof line, fp))
        print_message("  valscope: %s", line);
    if (fp) fclose(fp);
}

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* Lets a run go until the server has answered `ok_target` requests in total, then kills it. */
static void run_and_kill(struct fixture *f, int64_t ok_target)
{
    pid_t pid = start_run(f);
    double t0 = now_ms();
    while (ts_ok_replies(f->ts) < ok_target) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            print_log(f);
            fail_msg("valscope run ended (status %d) before it could be killed at %lld answers",
                     status, (long long)ok_target);
        }
        if (now_ms() - t0 > 20000) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            fail_msg("no progress: %lld answers after 20 s", (long long)ts_ok_replies(f->ts));
        }
        sleep_ms(2);
    }
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(wait_exit(pid), 128 + SIGKILL);
    /* Let the server finish the requests the dead client left behind. */
    for (int i = 0; i < 300 && ts_in_flight(f->ts) > 0; i++)
        sleep_ms(10);
}

/* ---- the checks ----------------------------------------------------------------------------- */

/* `frozen` holds, for every body committed at some kill, how often the server had seen it by
 * then. Nothing committed may be requested again. */
static void check_frozen(const struct seen_set *frozen, const struct server_view *now,
                         const char *when)
{
    for (size_t i = 0; i < frozen->n; i++) {
        struct seen *s = seen_find(&now->seen, frozen->v[i].hex16);
        if (!s) fail_msg("%s: committed body %s unknown to the server", when, frozen->v[i].hex16);
        if (s->seen != frozen->v[i].seen)
            fail_msg("%s: body %s was requested again after its answer was committed "
                     "(seen %d times, %d at commit)",
                     when, s->hex16, s->seen, frozen->v[i].seen);
    }
}

/* After a kill: the committed set is a subset of what the server answered, and what was
 * answered but not committed (lost with the process) is at most the requests in flight at
 * each of the `kills` kills so far. */
static void after_kill(struct fixture *f, struct seen_set *frozen, const char *when, int kills)
{
    struct seen_set committed;
    read_committed(f, &committed);
    struct server_view v;
    view_take(&v, f->ts);
    print_message("%s: %zu answers committed, server answered %lld\n", when, committed.n,
                  (long long)ts_ok_replies(f->ts));
    assert_true(committed.n > 0);
    assert_true(committed.n < N_CELLS);
    check_frozen(frozen, &v, when);

    size_t lost = 0;
    for (size_t i = 0; i < v.ok.n; i++)
        if (v.ok.v[i].seen > 0 && !seen_find(&committed, v.ok.v[i].hex16)) lost++;
    for (size_t i = 0; i < committed.n; i++) {
        struct seen *ok = seen_find(&v.ok, committed.v[i].hex16);
        if (!ok || ok->seen < 1) fail_msg("%s: committed answer the server never gave", when);
    }
    /* Answers lost at an earlier kill may still wait for their resend. */
    if (lost > (size_t)(kills * CONCURRENCY))
        fail_msg("%s: %zu answers received but not committed (in flight <= %d per kill)", when,
                 lost, CONCURRENCY);

    /* Freeze every committed body at its current count. */
    frozen->n = 0;
    for (size_t i = 0; i < committed.n; i++) {
        struct seen *s = seen_find(&v.seen, committed.v[i].hex16);
        seen_add(frozen, committed.v[i].hex16, s->seen);
    }
    qsort(frozen->v, frozen->n, sizeof *frozen->v, seen_cmp);
    free(committed.v);
    view_free(&v);
}

/* The export has exactly one ok row per cell, each with its own body's answer. */
static void check_export(struct fixture *f)
{
    char *argv[] = {cli, "export", f->db, "--format", "jsonl", NULL};
    unlink(f->export_path);
    pid_t pid = spawn(f, argv, f->export_path);
    assert_int_equal(wait_exit(pid), 0);
    FILE *fp = fopen(f->export_path, "r");
    assert_non_null(fp);
    static char seen_item[N_CELLS];
    memset(seen_item, 0, sizeof seen_item);
    char *line = NULL;
    size_t cap = 0;
    int rows = 0;
    while (getline(&line, &cap, fp) > 0) {
        json_error_t err;
        json_t *j = json_loads(line, 0, &err);
        if (!j) fail_msg("export line %d is not JSON: %s", rows + 1, err.text);
        const char *status = json_string_value(json_object_get(j, "status"));
        const char *item = json_string_value(json_object_get(j, "item"));
        const char *text = json_string_value(json_object_get(j, "text"));
        const char *model = json_string_value(json_object_get(j, "model"));
        assert_non_null(status);
        assert_non_null(item);
        if (strcmp(status, "ok")) fail_msg("export row for %s has status %s", item, status);
        assert_string_equal(model, "m1");
        assert_non_null(text);
        assert_int_equal(strncmp(text, "ans-", 4), 0);
        int k = item[0] == 'q' ? atoi(item + 1) : -1;
        assert_in_range(k, 0, N_CELLS - 1);
        if (seen_item[k]++) fail_msg("item %s exported twice", item);
        rows++;
        json_decref(j);
    }
    free(line);
    fclose(fp);
    assert_int_equal(rows, N_CELLS);
}

static void test_kill9_resume(void **state)
{
    tu_require_cli(cli);
    struct fixture f = {0};
    snprintf(f.dir, sizeof f.dir, "/tmp/vsc-kill-XXXXXX");
    assert_non_null(mkdtemp(f.dir));
    snprintf(f.prompts, sizeof f.prompts, "%s/prompts.jsonl", f.dir);
    snprintf(f.config, sizeof f.config, "%s/kill.yaml", f.dir);
    snprintf(f.db, sizeof f.db, "%s/store.db", f.dir);
    snprintf(f.unused_db, sizeof f.unused_db, "%s/unused.db", f.dir);
    snprintf(f.log, sizeof f.log, "%s/run.log", f.dir);
    snprintf(f.export_path, sizeof f.export_path, "%s/export.jsonl", f.dir);
    FILE *fp = fopen(f.prompts, "w");
    assert_non_null(fp);
    for (int i = 0; i < N_CELLS; i++)
        fprintf(fp, "{\"id\": \"q%d\", \"prompt\": \"Item %d: rate how much you value it\"}\n", i,
                i);
    fclose(fp);

    f.ts = ts_start(&(struct ts_config){.latency_ms = LATENCY_MS, .answer_mode = TS_ANSWER_HASH});
    assert_non_null(f.ts);
    tu_write_file(f.config,
                  "store: %s\n" /* --store must win over this */
                  "models:\n"
                  "  - name: m1\n"
                  "    backend: openai\n"
                  "    base_url: %s\n"
                  "    model: test-model\n"
                  "    concurrency: %d\n"
                  "instruments:\n"
                  "  - prompts: %s\n"
                  "samples: 1\n"
                  "params: {temperature: 0, max_tokens: 8}\n",
                  f.unused_db, ts_url(f.ts), CONCURRENCY, f.prompts);
    unsetenv("OPENAI_API_KEY");
    unsetenv("OPENAI_BASE_URL");

    struct seen_set frozen = {0};
    run_and_kill(&f, N_CELLS / 3);
    after_kill(&f, &frozen, "first kill", 1);
    run_and_kill(&f, N_CELLS * 2 / 3);
    after_kill(&f, &frozen, "second kill", 2);

    pid_t pid = start_run(&f);
    int code = wait_exit(pid);
    if (code != 0) {
        print_log(&f);
        fail_msg("the resumed run exited with %d", code);
    }
    struct server_view v;
    view_take(&v, f.ts);
    check_frozen(&frozen, &v, "after resume");
    assert_int_equal(ts_distinct_bodies(f.ts), N_CELLS);
    size_t twice = 0;
    for (size_t i = 0; i < v.ok.n; i++) {
        if (v.ok.v[i].seen < 1) fail_msg("body %s never answered", v.ok.v[i].hex16);
        if (v.ok.v[i].seen > 3)
            fail_msg("body %s answered %d times", v.ok.v[i].hex16, v.ok.v[i].seen);
        twice += v.ok.v[i].seen > 1;
    }
    print_message("%zu of %d bodies were answered more than once (lost in flight at a kill)\n",
                  twice, N_CELLS);
    if (twice > 2 * CONCURRENCY) fail_msg("%zu bodies paid twice, more than in flight", twice);
    view_free(&v);

    check_export(&f);
    assert_int_not_equal(access(f.unused_db, F_OK), 0);

    /* Everything is cached now: one more run sends nothing. */
    int64_t before = ts_requests(f.ts);
    pid = start_run(&f);
    assert_int_equal(wait_exit(pid), 0);
    assert_int_equal(ts_requests(f.ts), before);

    free(frozen.v);
    ts_stop(f.ts);
    tu_rmrf(f.dir);
}

int main(int argc, char **argv)
{
    tu_cli_path(cli, sizeof cli, argv[0]);
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill9_resume),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
