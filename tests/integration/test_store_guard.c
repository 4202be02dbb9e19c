/* The store as a careless user reaches it (issue 11): one run at a time per store whatever name
 * it is reached by (symlink, hard link), a stranger's SQLite file refused before a byte of it is
 * written, clear messages for read-only, damaged and missing stores and for --store /dev/null,
 * a --run that names no run listed as an error, and score/report on a model without one
 * readable answer (a qsort(NULL, 0) under UBSan; `make asan` runs this with a sanitized CLI). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <sqlite3.h>
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

static char cli[512];

struct fx {
    char dir[64];
    char config[128], db[128], out[128], err[128];
};

static void fx_init(struct fx *f)
{
    tu_require_cli(cli);
    snprintf(f->dir, sizeof f->dir, "/tmp/vsc-guard-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->config, sizeof f->config, "%s/run.yaml", f->dir);
    snprintf(f->db, sizeof f->db, "%s/store.db", f->dir);
    snprintf(f->out, sizeof f->out, "%s/stdout", f->dir);
    snprintf(f->err, sizeof f->err, "%s/stderr", f->dir);
}

/* A simulated model on the built-in Schwartz questionnaire (60 cells): no server needed. */
static void write_sim_config(struct fx *f)
{
    tu_write_file(f->config, "run: r1\nmodels:\n  - name: simA\n    backend: sim\n    seed: 1\n"
                             "instruments:\n  - builtin: schwartz\nsamples: 1\n");
}


static int vsc(struct fx *f, ...)
{
    va_list ap;
    va_start(ap, f);
    pid_t pid = tu_cli_spawn(cli, f->out, f->err, 0, 0, ap);
    va_end(ap);
    return tu_wait_exit(pid);
}

static int vsc_as(struct fx *f, uid_t uid, ...)
{
    va_list ap;
    va_start(ap, uid);
    pid_t pid = tu_cli_spawn(cli, f->out, f->err, uid, 0, ap);
    va_end(ap);
    return tu_wait_exit(pid);
}

static char *slurp(const char *path, size_t *out_len)
{
    char *s = NULL;
    size_t len = 0;
    struct vsc_diag d;
    if (read_file(&s, &len, path, &d)) s = xstrdup("");
    if (out_len) *out_len = len;
    return s;
}

static void expect_in(const char *path, const char *needle)
{
    char *s = slurp(path, NULL);
    if (!strstr(s, needle)) fail_msg("'%s' not found in %s:\n%s", needle, path, s);
    free(s);
}

static void expect_not_in(const char *path, const char *needle)
{
    char *s = slurp(path, NULL);
    if (strstr(s, needle)) fail_msg("'%s' should not be in %s:\n%s", needle, path, s);
    free(s);
}

/* The names in `dir`, sorted and joined by spaces (the test's own stdout/stderr left out). */
static char *listing(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    assert_true(n >= 0);
    char *s = xstrdup("");
    for (int i = 0; i < n; i++) {
        const char *nm = names[i]->d_name;
        if (strcmp(nm, ".") && strcmp(nm, "..") && strcmp(nm, "stdout") && strcmp(nm, "stderr")) {
            char *t = xasprintf("%s%s ", s, nm);
            free(s);
            s = t;
        }
        free(names[i]);
    }
    free(names);
    return s;
}

static void no_lock_files(const char *dir)
{
    char *l = listing(dir);
    if (strstr(l, ".lock")) fail_msg("a lock file was left in %s: %s", dir, l);
    free(l);
}

static void sql(const char *db, const char *stmts)
{
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, stmts, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
}

/* ---- 1. paying twice: the lock is on the store, not on the name ------------------------- */

/* Run A is answering (slowly) through the real path; runs through a symlink and a hard link to
 * the same file are refused with exit 4 and send nothing; A finishes with every cell asked once. */
static void test_lock_symlink_and_hardlink(void **state)
{
    struct fx f;
    fx_init(&f);
    enum { N = 6 };
    char prompts[128], sym[128], hard[128], aout[128], aerr[128];
    snprintf(prompts, sizeof prompts, "%s/prompts.jsonl", f.dir);
    snprintf(sym, sizeof sym, "%s/link.db", f.dir);
    snprintf(hard, sizeof hard, "%s/hard.db", f.dir);
    snprintf(aout, sizeof aout, "%s/a.out", f.dir);
    snprintf(aerr, sizeof aerr, "%s/a.err", f.dir);
    FILE *fp = fopen(prompts, "w");
    assert_non_null(fp);
    for (int i = 0; i < N; i++)
        fprintf(fp, "{\"id\": \"p%d\", \"prompt\": \"Prompt %d\"}\n", i, i);
    fclose(fp);
    struct ts_server *ts = ts_start(&(struct ts_config){.latency_ms = 250});
    tu_write_file(f.config,
                  "store: %s\nmodels:\n  - name: m1\n    backend: openai\n    base_url: %s\n"
                  "    model: test-model\n    concurrency: 1\ninstruments:\n  - prompts: %s\n"
                  "params: {temperature: 0, max_tokens: 8}\n",
                  f.db, ts_url(ts), prompts);
    tu_write_file(f.db, "%s", ""); /* an empty file becomes the store; both links name it */
    assert_int_equal(symlink(f.db, sym), 0);
    assert_int_equal(link(f.db, hard), 0);

    /* run A in the background */
    pid_t a = fork();
    assert_true(a >= 0);
    if (a == 0) {
        int o = open(aout, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(aerr, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(o, 1);
        dup2(e, 2);
        execl(cli, cli, "run", f.config, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 1000 && ts_requests(ts) == 0; i++)
        usleep(10 * 1000);
    assert_true(ts_requests(ts) > 0); /* A holds the store and is sending */

    assert_int_equal(vsc(&f, "run", f.config, "--store", sym, NULL), 4);
    expect_in(f.err, "store is locked");
    assert_int_equal(vsc(&f, "run", f.config, "--store", hard, NULL), 4);
    expect_in(f.err, "store is locked");
    assert_int_equal(vsc(&f, "run", f.config, "--dry-run", "--store", hard, NULL), 4);

    assert_int_equal(tu_wait_exit(a), 0);
    assert_int_equal(ts_requests(ts), N); /* nothing asked twice */
    /* the lock went with A: the same store through the symlink now runs, all cached */
    assert_int_equal(vsc(&f, "run", f.config, "--store", sym, NULL), 0);
    expect_in(f.out, "6 cached");
    assert_int_equal(ts_requests(ts), N);
    no_lock_files(f.dir);
    ts_stop(ts);
    tu_rmrf(f.dir);
}

/* ---- 2. a stranger's database is never taken over --------------------------------------- */

static void check_untouched(struct fx *f, const char *db, const char *why)
{
    size_t len0, len1;
    char *before = slurp(db, &len0);
    char *list0 = listing(f->dir);
    assert_int_equal(vsc(f, "run", f->config, "--store", db, NULL), 3);
    expect_in(f->err, "not a valscope store");
    expect_in(f->err, why);
    assert_int_equal(vsc(f, "score", db, NULL), 3);
    expect_in(f->err, "not a valscope store");
    assert_int_equal(vsc(f, "export", db, NULL), 3);
    expect_in(f->err, "not a valscope store");
    char html[160], answers[160];
    snprintf(html, sizeof html, "%s/r.html", f->dir);
    assert_int_equal(vsc(f, "report", db, "--html", html, NULL), 3);
    expect_in(f->err, "not a valscope store");
    snprintf(answers, sizeof answers, "%s/answers.jsonl", f->dir);
    tu_write_file(answers, "{\"model\":\"m\",\"run\":\"r\",\"respondent\":\"x\",\"item\":\"sd1\","
                           "\"answer\":\"A\"}\n");
    assert_int_equal(
        vsc(f, "import", db, "--instrument", "builtin:schwartz", "--answers", answers, NULL), 3);
    expect_in(f->err, "not a valscope store");
    unlink(answers);
    char *after = slurp(db, &len1);
    assert_int_equal(len0, len1);
    assert_memory_equal(before, after, len0);
    char *list1 = listing(f->dir);
    assert_string_equal(list0, list1); /* no -wal, -shm, .lock or report beside it */
    free(before);
    free(after);
    free(list0);
    free(list1);
}

static void test_foreign_database_untouched(void **state)
{
    struct fx f;
    fx_init(&f);
    write_sim_config(&f);
    char db[160];
    snprintf(db, sizeof db, "%s/notes.db", f.dir);
    sql(db, "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT);"
            "INSERT INTO notes(body) VALUES('keep me');");
    check_untouched(&f, db, "'notes'");
    /* tables that clash with ours by name are someone else's too */
    snprintf(db, sizeof db, "%s/clash.db", f.dir);
    sql(db, "CREATE TABLE runs(x); CREATE TABLE cells(y); INSERT INTO runs VALUES(1);");
    check_untouched(&f, db, "'runs'");
    /* another program's application_id */
    snprintf(db, sizeof db, "%s/app.db", f.dir);
    sql(db, "PRAGMA application_id=1234; CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT);"
            "INSERT INTO meta VALUES('schema','1');");
    check_untouched(&f, db, "application_id");
    tu_rmrf(f.dir);
}

/* ---- 3. clear messages ------------------------------------------------------------------ */

static void test_clear_messages(void **state)
{
    struct fx f;
    fx_init(&f);
    write_sim_config(&f);
    assert_int_equal(vsc(&f, "run", f.config, "--store", f.db, NULL), 0);
    size_t len;
    char *good = slurp(f.db, &len);
    assert_true(len > 8192);
    char path[224], dir[160];

    /* a truncated store: SQLite's reason, never "not a valscope store" */
    snprintf(path, sizeof path, "%s/truncated.db", f.dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, good, len / 2), (ssize_t)(len / 2));
    close(fd);
    assert_int_equal(vsc(&f, "score", path, NULL), 3);
    expect_in(f.err, "database disk image is malformed");
    expect_not_in(f.err, "not a valscope store");
    assert_int_equal(vsc(&f, "run", f.config, "--store", path, NULL), 3);
    expect_in(f.err, "database disk image is malformed");
    expect_not_in(f.err, "not a valscope store");

    /* a file that is not SQLite at all */
    snprintf(path, sizeof path, "%s/junk.db", f.dir);
    tu_write_file(path, "%s", "this is not a database, it is a shopping list: eggs, milk\n");
    assert_int_equal(vsc(&f, "export", path, NULL), 3);
    expect_in(f.err, "file is not a database");
    assert_int_equal(vsc(&f, "run", f.config, "--store", path, NULL), 3);
    expect_in(f.err, "file is not a database");

    /* a missing folder: named, and not created */
    snprintf(dir, sizeof dir, "%s/nowhere", f.dir);
    snprintf(path, sizeof path, "%s/store.db", dir);
    assert_int_equal(vsc(&f, "run", f.config, "--store", path, NULL), 3);
    char *want = xasprintf("unable to open database file: no such directory %s", dir);
    expect_in(f.err, want);
    free(want);
    assert_int_not_equal(access(dir, F_OK), 0);
    assert_int_equal(vsc(&f, "score", path, NULL), 2);
    expect_in(f.err, "no such store");

    /* --store /dev/null: said so, and no /dev/null.lock */
    int had_lock = access("/dev/null.lock", F_OK) == 0;
    assert_int_equal(vsc(&f, "run", f.config, "--store", "/dev/null", NULL), 3);
    expect_in(f.err, "/dev/null: cannot open store: not a regular file");
    if (!had_lock) assert_int_not_equal(access("/dev/null.lock", F_OK), 0);

    /* a read-only store: SQLite's reason; as root the run goes as 'nobody' (root may write) */
    snprintf(path, sizeof path, "%s/readonly.db", f.dir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, good, len), (ssize_t)len);
    close(fd);
    assert_int_equal(chmod(path, 0444), 0);
    assert_int_equal(chmod(f.dir, 0755), 0);
    uid_t uid = geteuid() == 0 ? 65534 : 0;
    size_t len0;
    char *before = slurp(path, &len0);
    assert_int_equal(vsc_as(&f, uid, "run", f.config, "--store", path, NULL), 3);
    expect_in(f.err, "attempt to write a readonly database");
    expect_not_in(f.err, "not a valscope store");
    char *after = slurp(path, NULL);
    assert_memory_equal(before, after, len0);
    free(before);
    free(after);
    /* reading it is fine */
    assert_int_equal(vsc_as(&f, uid, "score", path, NULL), 0);
    expect_in(f.out, "self-direction");

    no_lock_files(f.dir);
    free(good);
    tu_rmrf(f.dir);
}

/* ---- 4. --run NAME that names no run ----------------------------------------------------- */

static void test_unknown_run_lists_runs(void **state)
{
    struct fx f;
    fx_init(&f);
    write_sim_config(&f);
    assert_int_equal(vsc(&f, "run", f.config, "--store", f.db, NULL), 0);
    char html[160];
    snprintf(html, sizeof html, "%s/r.html", f.dir);
    assert_int_equal(vsc(&f, "score", f.db, "--run", "r2", NULL), 2);
    expect_in(f.err, "no run 'r2'; the store's runs: 'r1'");
    assert_int_equal(vsc(&f, "export", f.db, "--run", "r2", NULL), 2);
    expect_in(f.err, "no run 'r2'; the store's runs: 'r1'");
    assert_int_equal(vsc(&f, "report", f.db, "--html", html, "--run", "r2", NULL), 2);
    expect_in(f.err, "no run 'r2'; the store's runs: 'r1'");
    assert_int_not_equal(access(html, F_OK), 0);
    /* the run that exists still answers */
    assert_int_equal(vsc(&f, "score", f.db, "--run", "r1", NULL), 0);
    expect_in(f.out, "self-direction");
    tu_rmrf(f.dir);
}

/* ---- 5. a model with no readable answer ------------------------------------------------- */

static void test_model_without_readable_answers(void **state)
{
    struct fx f;
    fx_init(&f);
    write_sim_config(&f);
    assert_int_equal(vsc(&f, "run", f.config, "--store", f.db, NULL), 0);
    /* the replay model answers "banana" to every item the sim model was asked */
    assert_int_equal(vsc(&f, "export", f.db, NULL), 0);
    char *rows = slurp(f.out, NULL);
    char replay[160], cfg2[160], html[160];
    snprintf(replay, sizeof replay, "%s/banana.jsonl", f.dir);
    FILE *fp = fopen(replay, "w");
    assert_non_null(fp);
    int n_items = 0;
    for (char *p = rows; (p = strstr(p, "\"item\":\"")); n_items++) {
        p += 8;
        char *q = strchr(p, '"');
        assert_non_null(q);
        fprintf(fp, "{\"item\": \"%.*s\", \"text\": \"banana\"}\n", (int)(q - p), p);
        p = q;
    }
    fclose(fp);
    free(rows);
    assert_int_equal(n_items, 60);
    snprintf(cfg2, sizeof cfg2, "%s/two.yaml", f.dir);
    tu_write_file(cfg2, "run: r1\nmodels:\n  - name: simA\n    backend: sim\n    seed: 1\n"
                        "  - name: banana\n    backend: replay\n    file: banana.jsonl\n"
                        "instruments:\n  - builtin: schwartz\nsamples: 1\n");
    char db2[160];
    snprintf(db2, sizeof db2, "%s/two.db", f.dir);
    assert_int_equal(vsc(&f, "run", cfg2, "--store", db2, NULL), 0);

    assert_int_equal(vsc(&f, "score", db2, "--json", NULL), 0);
    expect_in(f.out, "\"model\":\"banana\"");
    expect_in(f.out, "\"dimension\":\"self-direction\",\"mean\":null");
    expect_in(f.out, "\"unparseable\":1.0");
    assert_int_equal(vsc(&f, "score", db2, NULL), 0);
    snprintf(html, sizeof html, "%s/r.html", f.dir);
    assert_int_equal(vsc(&f, "report", db2, "--html", html, "--json", "--bootstrap", "50",
                         "--drift", "model:simA:banana", NULL),
                     0);
    expect_in(html, "banana");
    tu_rmrf(f.dir);
}

int main(int argc, char **argv)
{
    tu_cli_path(cli, sizeof cli, argv[0]);
    unsetenv("OPENAI_API_KEY");
    unsetenv("OPENAI_BASE_URL");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lock_symlink_and_hardlink),
        cmocka_unit_test(test_foreign_database_untouched),
        cmocka_unit_test(test_clear_messages),
        cmocka_unit_test(test_unknown_run_lists_runs),
        cmocka_unit_test(test_model_without_readable_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
