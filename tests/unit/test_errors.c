/* One route for errors (issue 10): a failing public call leaves a non-empty message and the
 * right code in the caller's diag (bad config, bad instrument file, missing, corrupt and locked
 * store, a --run that names no run), and a store iterator tells a callback's stop from a store
 * failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "support/testutil.h"
#include "valscope/config.h"
#include "valscope/instrument.h"
#include "valscope/run.h"
#include "valscope/store.h"

static char dir[64];

static void has_msg(const struct vsc_diag *d, const char *part)
{
    assert_true(d->msg[0] != 0);
    if (!strstr(d->msg, part)) fail_msg("message '%s' lacks '%s'", d->msg, part);
}

static void bad_config(void **state)
{
    struct vsc_config *cfg = NULL;
    struct vsc_diag d = {0};
    const char *text = "models: [\n";
    assert_int_equal(vsc_config_parse(&cfg, text, strlen(text), "bad.yaml", &d), VSC_ERR_INPUT);
    assert_true(d.msg[0] != 0);
    assert_string_equal(d.file, "bad.yaml");
    vsc_config_free(cfg);
}

static void bad_instrument_file(void **state)
{
    char path[128];
    snprintf(path, sizeof path, "%s/ins.yaml", dir);
    tu_write_file(path, "this is: [not an instrument\n");
    struct vsc_instrument *ins = NULL;
    struct vsc_diag d = {0};
    assert_int_equal(vsc_instrument_load(&ins, "file", path, NULL, &d), VSC_ERR_INPUT);
    assert_true(d.msg[0] != 0);
    assert_null(ins);
}

static void missing_store(void **state)
{
    char path[128];
    snprintf(path, sizeof path, "%s/none.db", dir);
    struct vsc_store *s = NULL;
    struct vsc_diag d = {0};
    int rc = vsc_store_open_read(&s, path);
    assert_int_equal(vsc_store_diag(&d, s, rc), VSC_ERR_NOTFOUND);
    has_msg(&d, "no such store");
    vsc_store_free(s);
}

static void corrupt_store(void **state)
{
    char path[128];
    snprintf(path, sizeof path, "%s/corrupt.db", dir);
    tu_write_file(path, "%s", "this is not an SQLite database, not at all, not a single page\n");
    struct vsc_store *s = NULL;
    struct vsc_diag d = {0};
    int rc = vsc_store_open_read(&s, path);
    assert_int_equal(vsc_store_diag(&d, s, rc), VSC_ERR_STORE);
    has_msg(&d, path);
    vsc_store_free(s);
}

/* A sim run whose store another holder has locked: VSC_ERR_BUSY with the store named. */
static void locked_store(void **state)
{
    char cfgp[128], db[128];
    snprintf(cfgp, sizeof cfgp, "%s/run.yaml", dir);
    snprintf(db, sizeof db, "%s/locked.db", dir);
    tu_write_file(cfgp,
                  "run: r1\nstore: %s\nmodels:\n  - name: simA\n    backend: sim\n    seed: 1\n"
                  "instruments:\n  - builtin: schwartz\nsamples: 1\n",
                  db);
    int fd = open(db, O_RDWR | O_CREAT, 0644);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
    struct vsc_config *cfg = NULL;
    struct vsc_diag d = {0};
    assert_int_equal(vsc_config_load(&cfg, cfgp, &d), 0);
    struct vsc_progress p;
    struct vsc_run_opts o = {.dry_run = 1};
    assert_int_equal(vsc_run(&p, cfg, &o, &d), VSC_ERR_BUSY);
    has_msg(&d, "store is locked");
    close(fd);
    /* the lock gone, the same call plans the run */
    assert_int_equal(vsc_run(&p, cfg, &o, &d), 0);
    assert_int_equal(p.total, 60); /* the built-in Schwartz questionnaire */
    /* --run naming no run: not found, the runs there are listed */
    struct vsc_store *s = NULL;
    assert_int_equal(vsc_store_open_read(&s, db), 0);
    int rc = vsc_store_check_run(s, "nope");
    memset(&d, 0, sizeof d);
    assert_int_equal(vsc_store_diag(&d, s, rc), VSC_ERR_NOTFOUND);
    has_msg(&d, "no run 'nope'; the store's runs: 'r1'");
    vsc_store_free(s);
    vsc_config_free(cfg);
}

struct walk {
    int n, stop_at, ret;
};

static int on_row(const struct vsc_answer_row *row, void *payload)
{
    struct walk *w = payload;
    return ++w->n == w->stop_at ? w->ret : 0;
}

/* The callback's stop (positive or negative) comes back unchanged with no store message; a
 * failure of the store itself is VSC_ERR_STORE with one. */
static void iterator_stop_vs_failure(void **state)
{
    char db[128];
    snprintf(db, sizeof db, "%s/locked.db", dir); /* planned by locked_store */
    struct vsc_store *s = NULL;
    assert_int_equal(vsc_store_open(&s, db), 0);
    struct walk all = {0};
    assert_int_equal(vsc_store_foreach_answer(s, NULL, on_row, &all), 0);
    assert_true(all.n > 3);
    struct walk stop = {.stop_at = 2, .ret = VSC_STOP};
    assert_int_equal(vsc_store_foreach_answer(s, NULL, on_row, &stop), VSC_STOP);
    assert_int_equal(stop.n, 2);
    assert_string_equal(vsc_store_errmsg(s), "");
    struct walk own = {.stop_at = 3, .ret = VSC_ERR_INPUT};
    assert_int_equal(vsc_store_foreach_answer(s, NULL, on_row, &own), VSC_ERR_INPUT);
    assert_int_equal(own.n, 3);
    assert_string_equal(vsc_store_errmsg(s), "");
    /* the store fails under the walk: its table is gone */
    sqlite3 *db2 = NULL;
    assert_int_equal(sqlite3_open(db, &db2), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db2, "DROP TABLE answers", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db2);
    struct walk w = {0};
    int rc = vsc_store_foreach_answer(s, NULL, on_row, &w);
    assert_int_equal(rc, VSC_ERR_STORE);
    assert_int_equal(w.n, 0);
    assert_true(vsc_store_errmsg(s)[0] != 0);
    struct vsc_diag d = {0};
    assert_int_equal(vsc_store_diag(&d, s, rc), VSC_ERR_STORE);
    assert_string_equal(d.msg, vsc_store_errmsg(s));
    vsc_store_free(s);
}

/* Any negative status leaves a message, even where nothing more precise was said. */
static void finish_fills(void **state)
{
    struct vsc_diag d = {0};
    assert_int_equal(vsc_diag_finish(&d, VSC_ERR_NOMEM), VSC_ERR_NOMEM);
    assert_string_equal(d.msg, "out of memory");
    assert_int_equal(vsc_diag_finish(&d, VSC_ERR_IO), VSC_ERR_IO);
    assert_string_equal(d.msg, "out of memory"); /* a message said first stays */
    vsc_diag_clear(&d);
    assert_int_equal(vsc_store_diag(&d, NULL, VSC_ERR_BUSY), VSC_ERR_BUSY);
    assert_string_equal(d.msg, vsc_strerror(VSC_ERR_BUSY));
    vsc_diag_clear(&d);
    assert_int_equal(vsc_diag_finish(&d, 0), 0);
    assert_string_equal(d.msg, "");
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/vsc-errors-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_config),    cmocka_unit_test(bad_instrument_file),
        cmocka_unit_test(missing_store), cmocka_unit_test(corrupt_store),
        cmocka_unit_test(locked_store),  cmocka_unit_test(iterator_stop_vs_failure),
        cmocka_unit_test(finish_fills),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tu_rmrf(dir);
    return rc;
}
