/* `valscope run` and `valscope export` as a user drives them: exit statuses (0 all answered,
 * 1 some cells without an answer, 2 bad input with file:line:col), --dry-run counts, the
 * --concurrency and --store overrides, OPENAI_BASE_URL / OPENAI_API_KEY, and the CSV export. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
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
    tu_require_cli(cli);
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

/* Runs the CLI with `ap`'s arguments (NULL-terminated) and returns its exit status; stdout and
 * stderr land in f->out and f->err. fsize_limit > 0 caps the size of files it writes
 * (RLIMIT_FSIZE: a full disk). */
static int vsc_v(struct fx *f, long fsize_limit, va_list ap)
{
    return tu_wait_exit(tu_cli_spawn(cli, f->out, f->err, 0, fsize_limit, ap));
}

static int vsc(struct fx *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int rc = vsc_v(f, 0, ap);
    va_end(ap);
    return rc;
}

/* vsc() with files capped at `fsize_limit` bytes. */
static int vsc_capped(struct fx *f, long fsize_limit, ...)
{
    va_list ap;
    va_start(ap, fsize_limit);
    int rc = vsc_v(f, fsize_limit, ap);
    va_end(ap);
    return rc;
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

/* Fails when `needle` occurs anywhere in the file's bytes. */
static void expect_not_in(const char *path, const char *needle)
{
    char *s = NULL;
    size_t len = 0;
    struct vsc_diag d;
    if (read_file(&s, &len, path, &d)) return; /* no file: nothing leaked */
    if (memmem(s, len, needle, strlen(needle))) fail_msg("'%s' found in %s", needle, path);
    free(s);
}

static size_t count_in(const char *path, const char *needle)
{
    char *s = slurp(path);
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    free(s);
    return n;
}

/* Credentials in base_url (userinfo and a key in the query) are used for the request but appear
 * nowhere after it: not in the store's bytes, the HTML report, the CSV tables, either export
 * or the run's output; the CLI warns once. */
static void test_secrets_kept_out(void **state)
{
    struct fx f;
    fx_init(&f, 3);
    struct ts_server *ts = ts_start(NULL);
    char *k = xasprintf("    base_url: http://vscuser:sk-SECRET-userinfo-7f3a@127.0.0.1:%d/v1"
                        "?api_key=sk-SECRET-query-91bc&region=eu\n"
                        "    model: test-model\n",
                        ts_port(ts));
    write_config(&f, k, NULL);
    assert_int_equal(vsc(&f, "run", f.config, NULL), 0);
    assert_int_equal(ts_requests(ts), 3); /* the URL as written was used */
    assert_int_equal(count_in(f.err, "warning: a URL in the config carries credentials"), 1);
    const char *secrets[] = {"sk-SECRET-userinfo-7f3a", "sk-SECRET-query-91bc", "vscuser"};
    char html[160], wal[160], path[200];
    snprintf(html, sizeof html, "%s/report.html", f.dir);
    snprintf(wal, sizeof wal, "%s-wal", f.db);
    for (size_t i = 0; i < 3; i++)
        expect_not_in(f.err, secrets[i]);
    assert_int_equal(vsc(&f, "report", f.db, "--html", html, "--csv", f.dir, NULL), 0);
    expect_in(html, "api_key=REDACTED&amp;region=eu"); /* the config is shown, less its secrets */
    for (size_t i = 0; i < 3; i++) {
        expect_not_in(f.db, secrets[i]);
        expect_not_in(wal, secrets[i]);
        expect_not_in(html, secrets[i]);
        static const char *const tables[] = {"scores", "leaderboard", "alignment", "drift",
                                             "quality"};
        for (size_t t = 0; t < 5; t++) {
            snprintf(path, sizeof path, "%s/%s.csv", f.dir, tables[t]);
            expect_not_in(path, secrets[i]);
        }
    }
    static const char *const formats[] = {"csv", "jsonl"};
    for (size_t x = 0; x < 2; x++) {
        assert_int_equal(vsc(&f, "export", f.db, "--format", formats[x], NULL), 0);
        for (size_t i = 0; i < 3; i++)
            expect_not_in(f.out, secrets[i]);
    }
    free(k);
    ts_stop(ts);
    fx_cleanup(&f);
}

/* Model text with terminal escapes (clear screen, OSC 52 clipboard write) and a formula:
 * `export --format csv` shows the escapes as \xNN and guards the formula. */
static void test_export_csv_escapes_controls(void **state)
{
    struct fx f;
    fx_init(&f, 2);
    struct ts_server *ts = ts_start(
        &(struct ts_config){.answer_text = "=HYPERLINK(1)\x1b[2J\x1b]52;c;ZXZpbA==\x07 end"});
    char *k = model_keys(ts, 4);
    write_config(&f, k, NULL);
    assert_int_equal(vsc(&f, "run", f.config, NULL), 0);
    assert_int_equal(vsc(&f, "export", f.db, "--format", "csv", NULL), 0);
    expect_not_in(f.out, "\x1b");
    expect_not_in(f.out, "\x07");
    assert_int_equal(count_in(f.out, "\"'=HYPERLINK(1)\\x1B[2J\\x1B]52;c;ZXZpbA==\\x07 end\""), 2);
    free(k);
    ts_stop(ts);
    fx_cleanup(&f);
}

static size_t entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.' || strstr(e->d_name, ".tmp-") != NULL;
    closedir(d);
    return n;
}

/* `report --html` on a full disk (a 36 KiB file size limit: room for SQLite's 32 KiB shared
 * memory file, not for the ~48 KiB page): exit 3 with the reason, the previous report
 * byte-identical, no temporary file left. */
static void test_report_full_disk_keeps_previous(void **state)
{
    struct fx f;
    fx_init(&f, 1);
    tu_write_file(f.config, "store: %s\nmodels:\n", f.db);
    FILE *fp = fopen(f.config, "a");
    assert_non_null(fp);
    for (int i = 1; i <= 5; i++)
        fprintf(fp, "  - {name: sim%d, backend: sim, seed: %d}\n", i, i);
    fputs("instruments:\n  - builtin: schwartz\n  - builtin: mft\n", fp);
    fclose(fp);
    assert_int_equal(vsc(&f, "run", f.config, NULL), 0);
    char out[128], html[160];
    snprintf(out, sizeof out, "%s/out", f.dir);
    assert_int_equal(mkdir(out, 0755), 0);
    snprintf(html, sizeof html, "%s/report.html", out);
    assert_int_equal(vsc(&f, "report", f.db, "--html", html, NULL), 0);
    char *before = slurp(html);
    assert_true(strlen(before) > 40000);
    assert_int_equal(vsc_capped(&f, 36 << 10, "report", f.db, "--html", html, NULL), 3);
    expect_in(f.err, "the previous file is unchanged");
    char *after = slurp(html);
    assert_string_equal(after, before);
    assert_int_equal(entries(out), 1);
    free(before);
    free(after);
    fx_cleanup(&f);
}

/* A prompt over the request body cap (1 MiB by default) is a clear input error naming the cap
 * and its key, not "out of memory"; raising max_request_bytes lets it through. */
static void test_request_body_cap(void **state)
{
    struct fx f;
    fx_init(&f, 1);
    FILE *fp = fopen(f.prompts, "a");
    assert_non_null(fp);
    fputs("{\"id\": \"big\", \"prompt\": \"", fp);
    for (int i = 0; i < (1200 << 10); i++)
        fputc('a' + i % 26, fp);
    fputs("\"}\n", fp);
    fclose(fp);
    write_config(&f, "    base_url: http://127.0.0.1:9/v1\n    model: test-model\n", NULL);
    assert_int_equal(vsc(&f, "run", f.config, "--dry-run", NULL), 2);
    expect_in(f.err, "model 'm1', item big: request body of ");
    expect_in(f.err, "bytes exceeds the cap of 1048576 bytes (max_request_bytes)");
    expect_not_in(f.err, "out of memory");
    write_config(&f, "    base_url: http://127.0.0.1:9/v1\n    model: test-model\n",
                 "max_request_bytes: 4194304\n");
    assert_int_equal(vsc(&f, "run", f.config, "--dry-run", NULL), 0);
    expect_in(f.out, "cells: 2");
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
        cmocka_unit_test(test_secrets_kept_out),
        cmocka_unit_test(test_export_csv_escapes_controls),
        cmocka_unit_test(test_report_full_disk_keeps_previous),
        cmocka_unit_test(test_request_body_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
