/* `valscope run` and `valscope export` as a user drives them: exit statuses (0 all answered,
 * 1 some cells without an answer, 2 bad input with file:line:col), --dry-run counts, the
 * --concurrency and --store overrides, OPENAI_BASE_URL / OPENAI_API_KEY, and the CSV export. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/testserver.h"
#include "support/testutil.h"
#include "util/util.h"

static char cli[512];

struct fx {
    char dir[64];
    char prompts[128], config[128], db[128], out[128], err[128];
};

static void fx_init(struct fx *f, int n_prompts)
{
    if (access(cli, X_OK) != 0) {
        print_message("SKIP: no valscope binary at %s\n", cli);
        skip();
    }
    snprintf(f->dir, sizeof f->dir, "/tmp/vsc-cli-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->prompts, sizeof f->prompts, "%s/prompts.jsonl", f->dir);
    snprintf(f->config, sizeof f->config, "%s/run.yaml", f->dir);
    snprintf(f->db, sizeof f->db, "%s/store.db", f->dir);
    snprintf(f->out, sizeof f->out, "%s/stdout", f->dir);
    snprintf(f->err, sizeof f->err, "%s/stderr", f->dir);
    FILE *fp = fopen(f->prompts, "w");
    assert_non_null(fp);
    for (int i = 0; i < n_prompts; i++)
        fprintf(fp, "{\"id\": \"p%d\", \"prompt\": \"Prompt number %d\"}\n", i, i);
    fclose(fp);
}

static void fx_cleanup(struct fx *f)
{
    tu_rmrf(f->dir);
}

/* `models` is the body of one model entry after "- name: m1\n". */
static void write_config(struct fx *f, const char *model_keys, const char *extra)
{
    tu_write_file(f->config,
                  "store: %s\n"
                  "max_attempts: 2\n"
                  "retry_base_ms: 10\n"
                  "models:\n"
                  "  - name: m1\n"
                  "    backend: openai\n"
                  "%s"
                  "instruments:\n"
                  "  - prompts: %s\n"
                  "params: {temperature: 0, max_tokens: 8}\n"
                  "%s",
                  f->db, model_keys, f->prompts, extra ? extra : "");
}

/* Runs the CLI with the given arguments (NULL-terminated) and returns its exit status; stdout
 * and stderr land in f->out and f->err. */
static int vsc(struct fx *f, ...)
{
    char *argv[16] = {cli};
    int n = 1;
    va_list ap;
    va_start(ap, f);
    char *a;
    while ((a = va_arg(ap, char *)) && n < 15)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int o = open(f->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(f->err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(o, 1);
        dup2(e, 2);
        execv(cli, argv);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static char *slurp(const char *path)
{
    char *s = NULL;
    size_t len;
    struct vsc_diag d;
    if (read_file(&s, &len, path, &d)) return xstrdup("");
    return s;
}

/* Fails with the command's output when `needle` is not in the file. */
static void expect_in(const char *path, const char *needle)
{
    char *s = slurp(path);
    if (!strstr(s, needle)) fail_msg("'%s' not found in output:\n%s", needle, s);
    free(s);
}

static char *model_keys(struct ts_server *ts, int concurrency)
{
    return xasprintf("    base_url: %s\n    model: test-model\n    concurrency: %d\n", ts_url(ts),
                     concurrency);
}

static void test_exit_zero_when_all_answered(void **state)
{
    struct fx f;
    fx_init(&f, 5);
    struct ts_server *ts = ts_start(NULL);
    char *k = model_keys(ts, 4);
    write_config(&f, k, NULL);
    assert_int_equal(vsc(&f, "run", f.config, NULL), 0);
    assert_int_equal(ts_requests(ts), 5);
    free(k);
    ts_stop(ts);
    fx_cleanup(&f);
}

static void test_exit_one_when_cells_fail(void **state)
{
    struct fx f;
    fx_init(&f, 3);
    struct ts_server *ts = ts_start(&(struct ts_config){.fault = TS_FAULT_500, .fault_rate = 1});
    char *k = model_keys(ts, 4);
    write_config(&f, k, NULL);
    int code = vsc(&f, "run", f.config, NULL);
    if (code != 1) {
        char *o = slurp(f.out), *e = slurp(f.err);
        fail_msg("exit status %d, want 1\nstdout:\n%s\nstderr:\n%s", code, o, e);
    }
    expect_in(f.out, "http_5xx");
    assert_int_equal(ts_requests(ts), 6);

    /* The server recovers: the same command finishes the job and exits 0. */
    ts_set_config(ts, &(struct ts_config){0});
    assert_int_equal(vsc(&f, "run", f.config, NULL), 0);
    assert_int_equal(ts_requests(ts), 9);
    free(k);
    ts_stop(ts);
    fx_cleanup(&f);
}

/* Bad input: exit 2, a message naming file, line and column, and nothing written. */
static void test_exit_two_on_bad_config(void **state)
{
    struct fx f;
    fx_init(&f, 3);
    write_config(&f, "    base_url: http://127.0.0.1:9/v1\n    model: x\n    concurrency: many\n",
                 NULL);
    assert_int_equal(vsc(&f, "run", f.config, NULL), 2);
    char *want = xasprintf("%s:9:", f.config);
    expect_in(f.err, want);
    free(want);
    assert_int_not_equal(access(f.db, F_OK), 0);

    /* A broken prompts file: named with its line. */
    tu_write_file(f.prompts,
                  "{\"id\": \"a\", \"prompt\": \"fine\"}\n{\"id\": \"b\", \"prompt\": \n");
    write_config(&f, "    base_url: http://127.0.0.1:9/v1\n    model: x\n", NULL);
    assert_int_equal(vsc(&f, "run", f.config, NULL), 2);
    want = xasprintf("%s:2", f.prompts);
    expect_in(f.err, want);
    free(want);
    assert_int_not_equal(access(f.db, F_OK), 0);
    fx_cleanup(&f);
}

static void test_dry_run_counts(void **state)
{
    struct fx f;
    fx_init(&f, 7);
    struct ts_server *ts = ts_start(NULL);
    char *k = model_keys(ts, 4);
    write_config(&f, k, "samples: 2\n");
    assert_int_equal(vsc(&f, "run", f.config, "--dry-run", NULL), 0);
    assert_int_equal(ts_requests(ts), 0);
    expect_in(f.out, "cells: 14");
    expect_in(f.out, "requests to send: 14");
    expect_in(f.out, "already cached: 0");
    assert_int_equal(vsc(&f, "run", f.config, NULL), 0);
    /* each sample is its own request, even with identical bodies */
    assert_int_equal(ts_requests(ts), 14);
    assert_int_equal(vsc(&f, "run", f.config, "--dry-run", NULL), 0);
    expect_in(f.out, "requests to send: 0");
    expect_in(f.out, "already cached: 14");
    assert_int_equal(ts_requests(ts), 14);
    free(k);
    ts_stop(ts);
    fx_cleanup(&f);
}

static void test_concurrency_and_store_flags(void **state)
{
    struct fx f;
    fx_init(&f, 24);
    struct ts_server *ts = ts_start(&(struct ts_config){.latency_ms = 40});
    char *k = model_keys(ts, 16);
    write_config(&f, k, NULL);
    char other[160];
    snprintf(other, sizeof other, "%s/other.db", f.dir);
    assert_int_equal(vsc(&f, "run", f.config, "--concurrency", "2", "--store", other, NULL), 0);
    assert_int_equal(ts_requests(ts), 24);
    assert_in_range(ts_max_in_flight(ts), 1, 2); /* the flag caps the config's 16 */
    assert_int_equal(access(other, F_OK), 0);
    assert_int_not_equal(access(f.db, F_OK), 0);
    assert_int_equal(vsc(&f, "run", f.config, "--concurrency", "zero", NULL), 2);
    free(k);
    ts_stop(ts);
    fx_cleanup(&f);
}

/* A model without base_url takes OPENAI_BASE_URL; the key comes from OPENAI_API_KEY. */
static void test_openai_env(void **state)
{
    struct fx f;
    fx_init(&f, 2);
    struct ts_server *ts = ts_start(NULL);
    setenv("OPENAI_BASE_URL", ts_url(ts), 1);
    setenv("OPENAI_API_KEY", "sk-from-env", 1);
    write_config(&f, "    model: test-model\n", NULL);
    int code = vsc(&f, "run", f.config, NULL);
    unsetenv("OPENAI_BASE_URL");
    unsetenv("OPENAI_API_KEY");
    if (code) {
        char *e = slurp(f.err);
        fail_msg("exit %d: %s", code, e);
    }
    assert_int_equal(ts_requests(ts), 2);
    char *auth = ts_last_authorization(ts);
    assert_non_null(auth);
    assert_string_equal(auth, "Bearer sk-from-env");
    free(auth);
    /* the key is never stored */
    FILE *fp = fopen(f.db, "rb");
    char buf[65536];
    size_t n;
    while (fp && (n = fread(buf, 1, sizeof buf, fp)) > 0)
        assert_null(memmem(buf, n, "sk-from-env", 11));
    if (fp) fclose(fp);
    ts_stop(ts);
    fx_cleanup(&f);
}

static void test_export_csv_and_jsonl(void **state)
{
    struct fx f;
    fx_init(&f, 3);
    struct ts_server *ts = ts_start(&(struct ts_config){.answer_text = "Quite, \"very\" much"});
    char *k = model_keys(ts, 4);
    write_config(&f, k, NULL);
    assert_int_equal(vsc(&f, "run", f.config, NULL), 0);
    assert_int_equal(vsc(&f, "export", f.db, "--format", "csv", NULL), 0);
    char *csv = slurp(f.out);
    const char *cols[] = {"model",  "instrument", "item", "condition",  "sample",
                          "status", "error",      "text", "latency_ms", "tokens"};
    char *nl = strchr(csv, '\n');
    assert_non_null(nl);
    *nl = '\0';
    for (size_t i = 0; i < sizeof cols / sizeof *cols; i++)
        if (!strstr(csv, cols[i])) fail_msg("CSV header '%s' lacks %s", csv, cols[i]);
    /* quotes doubled inside a quoted field (RFC 4180) */
    if (!strstr(nl + 1, "\"Quite, \"\"very\"\" much\""))
        fail_msg("CSV does not quote the answer: %s", nl + 1);
    int lines = 0;
    for (char *p = nl + 1; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 3);
    free(csv);

    assert_int_equal(vsc(&f, "export", f.db, "--format", "jsonl", NULL), 0);
    expect_in(f.out, "\"status\":");
    expect_in(f.out, "Quite, \\\"very\\\" much");
    assert_int_equal(vsc(&f, "export", f.db, "--format", "xml", NULL), 2);
    char missing[160];
    snprintf(missing, sizeof missing, "%s/none.db", f.dir);
    assert_int_equal(vsc(&f, "export", missing, NULL), 2);
    free(k);
    ts_stop(ts);
    fx_cleanup(&f);
}

int main(int argc, char **argv)
{
    tu_cli_path(cli, sizeof cli, argv[0]);
    unsetenv("OPENAI_API_KEY");
    unsetenv("OPENAI_BASE_URL");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_zero_when_all_answered),
        cmocka_unit_test(test_exit_one_when_cells_fail),
        cmocka_unit_test(test_exit_two_on_bad_config),
        cmocka_unit_test(test_dry_run_counts),
        cmocka_unit_test(test_concurrency_and_store_flags),
        cmocka_unit_test(test_openai_env),
        cmocka_unit_test(test_export_csv_and_jsonl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
