/* Every bad input of every loader, found by scanning tests/data/bad/LOADER/: each file (or
 * folder) there is one case, and carries its own expectation, so a case cannot be left out of
 * a list in C. The expectation is the file's first line when the format has '#' comments,
 *     # expect: LINE:COL MESSAGE
 * else a sidecar NAME.expect holding that line (and, for FILE#name kinds, "# name: NAME").
 * The loader must refuse the input with VSC_ERR_INPUT, nothing handed out, at LINE:COL (0 when
 * the message names no place), with MESSAGE inside its message, naming the fixture's file
 * (or one inside a fixture folder) whenever it names a place. A loader folder without a case, or a
 * folder no loader reads, fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plan/personas.h"
#include "support/testutil.h"
#include "valscope/valscope.h"

#define BAD "tests/data/bad"

/* What a case gives its loader; `path` is the fixture, `name` the part after '#' or NULL. */
typedef int (*load_fn)(const char *path, const char *name, struct vsc_diag *d);

static int load_instrument(const char *kind, const char *path, const char *name, struct vsc_diag *d)
{
    char arg[600];
    snprintf(arg, sizeof arg, "%s%s%s", path, name ? "#" : "", name ? name : "");
    struct vsc_instrument *ins = (void *)1;
    int rc = vsc_instrument_load(&ins, kind, arg, NULL, d);
    if (ins) fail_msg("%s: an instrument was handed out with rc %d", path, rc);
    return rc;
}

#define INSTRUMENT_KIND(k)                                                                         \
    static int load_##k(const char *path, const char *name, struct vsc_diag *d)                    \
    {                                                                                              \
        return load_instrument(#k, path, name, d);                                                 \
    }
INSTRUMENT_KIND(file)
INSTRUMENT_KIND(prompts)
INSTRUMENT_KIND(pvqrr)
INSTRUMENT_KIND(valuebench)
INSTRUMENT_KIND(psychobench)

static int load_config(const char *path, const char *name, struct vsc_diag *d)
{
    struct vsc_config *c = NULL;
    int rc = vsc_config_load(&c, path, d);
    if (c) fail_msg("%s: a config was handed out with rc %d", path, rc);
    return rc;
}

static int load_valuesys(const char *path, const char *name, struct vsc_diag *d)
{
    struct vsc_value_system *vs = (void *)1;
    int rc = vsc_value_system_load(&vs, path, d);
    if (vs) fail_msg("%s: a value system was handed out with rc %d", path, rc);
    return rc;
}

static int load_personas(const char *path, const char *name, struct vsc_diag *d)
{
    struct persona *ps = NULL;
    size_t n = 0;
    int rc = persona_load_file(&ps, &n, path, NULL, d);
    for (size_t i = 0; i < n; i++)
        persona_clear(&ps[i]);
    free(ps);
    return rc;
}

static int load_dilemmas(const char *path, const char *name, struct vsc_diag *d)
{
    struct vsc_dilemma_set *s = NULL;
    int rc = vsc_dilemmas_load(&s, path, d);
    if (s) fail_msg("%s: a dilemma set was handed out with rc %d", path, rc);
    return rc;
}

/* Answers imported into a fresh store for the questionnaire of tests/data/score/mini.yaml; a
 * refused file leaves nothing behind (one transaction). */
static int load_import(const char *path, const char *name, struct vsc_diag *d)
{
    char dir[] = "/tmp/vsc-bad-XXXXXX", db[64];
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/s.db", dir);
    struct vsc_store *store = NULL;
    assert_int_equal(vsc_store_open(&store, db), 0);
    int rc = vsc_import_answers(store, "file", "tests/data/score/mini.yaml", path, d);
    int64_t cells = -1, ok, err;
    assert_int_equal(vsc_store_run_counts(store, "bad", &cells, &ok, &err), 0);
    assert_int_equal(cells, 0);
    vsc_store_free(store);
    tu_rmrf(dir);
    return rc;
}

static const struct {
    const char *folder;
    load_fn load;
} LOADERS[] = {
    {"config", load_config},         {"file", load_file},
    {"prompts", load_prompts},       {"pvqrr", load_pvqrr},
    {"valuebench", load_valuebench}, {"psychobench", load_psychobench},
    {"valuesys", load_valuesys},     {"personas", load_personas},
    {"dilemmas", load_dilemmas},     {"import", load_import},
};
#define N_LOADERS (sizeof LOADERS / sizeof LOADERS[0])

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && !strcmp(s + n - m, tail);
}

struct expect {
    int line, col;
    char msg[512];
    char name[700]; /* "" when none */
};

/* Reads "# expect: L:C MSG" (and "# name: NAME") from the first lines of `path`; 0 or -1. */
static int read_expect(struct expect *e, const char *path, int first_only)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char buf[700];
    int found = 0;
    memset(e, 0, sizeof *e);
    for (int n = 0; fgets(buf, sizeof buf, f) && n < (first_only ? 1 : 8); n++) {
        buf[strcspn(buf, "\n")] = 0;
        int off = 0;
        if (sscanf(buf, "# expect: %d:%d %n", &e->line, &e->col, &off) == 2 && off) {
            snprintf(e->msg, sizeof e->msg, "%s", buf + off);
            found = 1;
        } else if (!strncmp(buf, "# name: ", 8)) {
            snprintf(e->name, sizeof e->name, "%s", buf + 8);
        }
    }
    fclose(f);
    return found ? 0 : -1;
}

/* Runs one case; returns 1 when it failed (printed), else 0. */
static int run_case(load_fn load, const char *folder, const char *entry)
{
    char path[512], side[540];
    snprintf(path, sizeof path, BAD "/%s/%s", folder, entry);
    snprintf(side, sizeof side, "%s.expect", path);
    struct expect e;
    struct stat st;
    int has_side = stat(side, &st) == 0;
    if (read_expect(&e, has_side ? side : path, !has_side)) {
        print_error("%s: no '# expect: L:C message' (first line, or in %s)\n", path, side);
        return 1;
    }
    struct vsc_diag d = {0};
    int rc = load(path, e.name[0] ? e.name : NULL, &d);
    /* a message with a place names the fixture (or, for a folder, a file in it) */
    int file_ok = !strncmp(d.file, path, strlen(path)) || (!e.line && !d.file[0]);
    if (rc != VSC_ERR_INPUT || d.line != e.line || d.col != e.col || !strstr(d.msg, e.msg) ||
        !file_ok) {
        print_error("%s: got rc %d at %s:%d:%d '%s'; want %d:%d '%s'\n", path, rc, d.file, d.line,
                    d.col, d.msg, e.line, e.col, e.msg);
        return 1;
    }
    return 0;
}

static void test_every_case(void **state)
{
    int failed = 0, total = 0;
    for (size_t i = 0; i < N_LOADERS; i++) {
        char dir[256];
        snprintf(dir, sizeof dir, BAD "/%s", LOADERS[i].folder);
        DIR *dp = opendir(dir);
        if (!dp) fail_msg("%s: no folder of bad inputs for loader '%s'", dir, LOADERS[i].folder);
        struct dirent *de;
        int n = 0;
        while ((de = readdir(dp))) {
            if (de->d_name[0] == '.' || ends_with(de->d_name, ".expect")) continue;
            failed += run_case(LOADERS[i].load, LOADERS[i].folder, de->d_name);
            n++;
        }
        closedir(dp);
        if (!n) {
            print_error("%s: no cases\n", dir);
            failed++;
        }
        print_message("%-12s %d cases\n", LOADERS[i].folder, n);
        total += n;
    }
    assert_int_equal(failed, 0);
    assert_true(total >= 66); /* the cases moved here from C tables */
}

/* A folder no loader reads would be cases that never run. */
static void test_no_stray_folder(void **state)
{
    DIR *dp = opendir(BAD);
    assert_non_null(dp);
    struct dirent *de;
    while ((de = readdir(dp))) {
        if (de->d_name[0] == '.') continue;
        size_t i = 0;
        while (i < N_LOADERS && strcmp(LOADERS[i].folder, de->d_name))
            i++;
        if (i == N_LOADERS) fail_msg(BAD "/%s: no loader reads this folder", de->d_name);
    }
    closedir(dp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_case),
        cmocka_unit_test(test_no_stray_folder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
