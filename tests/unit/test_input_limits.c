/* Hostile and careless input files (issue 11): every file read is capped, refuses what is not a
 * regular file and refuses NUL bytes with their position. Cases that could exhaust memory or
 * hang run in a forked child under a memory limit and an alarm, so a regression fails the test
 * instead of taking the machine down. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "plan/personas.h"
#include "support/testutil.h"
#include "util/util.h"
#include "util/yamljson.h"
#include "valscope/config.h"
#include "valscope/instrument.h"
#include "valscope/score.h"
#include "valscope/store.h"

static char dir[] = "/tmp/vsc-limits-XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return tu_rmrf(dir);
}

static const char *in_dir(const char *name)
{
    static char path[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/%s", dir, name);
    return path[k];
}

/* Runs fn in a child limited to `mb` MiB of address space and `secs` seconds; the child's exit
 * status is fn's return (0 = as expected). A child killed by the limit fails the test. */
static void guarded(int (*fn)(const void *), const void *arg, unsigned mb, unsigned secs,
                    const char *what)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl = {(rlim_t)mb << 20, (rlim_t)mb << 20};
        setrlimit(RLIMIT_AS, &rl);
        alarm(secs);
        _exit(fn(arg));
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (WIFSIGNALED(st))
        fail_msg("%s: killed by signal %d (memory or time limit)", what, WTERMSIG(st));
    if (WEXITSTATUS(st) != 0) fail_msg("%s: child reported failure %d", what, WEXITSTATUS(st));
}

/* ---- non-regular files ---------------------------------------------------------------------- */

struct load_case {
    const char *kind, *arg, *want;
};

static int load_refused(const void *p)
{
    const struct load_case *c = p;
    struct vsc_instrument *ins = NULL;
    struct vsc_diag d = {0};
    int rc = vsc_instrument_load(&ins, c->kind, c->arg, NULL, &d);
    if (rc != VSC_ERR_INPUT || ins) return 2;
    if (!strstr(d.msg, c->want)) {
        fprintf(stderr, "%s %s: message '%s' lacks '%s'\n", c->kind, c->arg, d.msg, c->want);
        return 3;
    }
    return 0;
}

static void test_not_regular(void **state)
{
    (void)state;
    /* /dev/zero grew to 24 GB before: now refused before a byte is read, under 256 MiB */
    static const char *const kinds[] = {"file", "prompts", "pvqrr", "valuebench", "psychobench"};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        struct load_case c = {kinds[i], "/dev/zero", "not a regular file (a character device)"};
        guarded(load_refused, &c, 256, 10, kinds[i]);
    }
    /* a FIFO with no writer: opening it must not wait */
    const char *fifo = in_dir("fifo.jsonl");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    struct load_case f = {"prompts", fifo, "not a regular file (a FIFO)"};
    guarded(load_refused, &f, 256, 10, "fifo");
    struct load_case y = {"file", fifo, "not a regular file (a FIFO)"};
    guarded(load_refused, &y, 256, 10, "fifo yaml");
    struct load_case dd = {"file", dir, "not a regular file (a folder)"};
    guarded(load_refused, &dd, 256, 10, "folder");

    struct vsc_config *cfg = NULL;
    struct vsc_diag d = {0};
    assert_int_not_equal(vsc_config_load(&cfg, "/dev/zero", &d), 0);
    assert_null(cfg);
    assert_non_null(strstr(d.msg, "not a regular file"));
    struct persona *ps = NULL;
    size_t n = 0;
    assert_int_equal(persona_load_file(&ps, &n, "/dev/null", NULL, &d), VSC_ERR_INPUT);
    assert_non_null(strstr(d.msg, "not a regular file (a character device)"));
}

/* ---- the size cap --------------------------------------------------------------------------- */

static void test_size_cap(void **state)
{
    (void)state;
    const char *p = in_dir("big.jsonl");
    tu_write_file(p, "{\"id\": \"a\", \"prompt\": \"%0200d\"}\n", 0);
    struct vsc_instrument *ins = NULL;
    struct vsc_diag d = {0};
    setenv("VALSCOPE_MAX_FILE_BYTES", "100", 1);
    assert_int_equal(vsc_instrument_load(&ins, "prompts", p, NULL, &d), VSC_ERR_INPUT);
    assert_non_null(strstr(d.msg, "larger than 100 bytes"));
    assert_non_null(strstr(d.msg, "VALSCOPE_MAX_FILE_BYTES"));
    char *text = NULL;
    assert_int_equal(read_text_file(&text, NULL, p, &d), VSC_ERR_INPUT);
    assert_null(text);
    setenv("VALSCOPE_MAX_FILE_BYTES", "1k", 1);
    assert_int_equal(vsc_instrument_load(&ins, "prompts", p, NULL, &d), 0);
    assert_int_equal(ins->n_items, 1);
    vsc_instrument_free(ins);
    ins = NULL;
    assert_int_equal(max_file_bytes(NULL), 1024);
    setenv("VALSCOPE_MAX_FILE_BYTES", "lots", 1);
    assert_int_equal(max_file_bytes(&d), 0);
    assert_int_equal(vsc_instrument_load(&ins, "prompts", p, NULL, &d), VSC_ERR_INPUT);
    assert_non_null(strstr(d.msg, "VALSCOPE_MAX_FILE_BYTES='lots' is not a size"));
    unsetenv("VALSCOPE_MAX_FILE_BYTES");
    assert_int_equal(max_file_bytes(NULL), (size_t)256 << 20);
}

/* ---- NUL bytes ------------------------------------------------------------------------------ */

static void write_bytes(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void expect_nul(int rc, const struct vsc_diag *d, const char *path, int line, int col)
{
    assert_int_equal(rc, VSC_ERR_INPUT);
    assert_string_equal(d->file, path);
    assert_int_equal(d->line, line);
    assert_int_equal(d->col, col);
    assert_non_null(strstr(d->msg, "NUL byte"));
}

static void test_nul(void **state)
{
    (void)state;
    struct vsc_instrument *ins = NULL;
    struct vsc_diag d = {0};
    /* a ValueBench CSV field cut at a NUL before: now refused at line 2, column 12 */
    const char *csv = in_dir("vb.csv");
    static const char vb[] = "questionnaire,item,value,agreement,question\n"
                             "Q,Be kind,k\0nd,1,Should I help?\n";
    write_bytes(csv, vb, sizeof vb - 1);
    expect_nul(vsc_instrument_load(&ins, "valuebench", csv, NULL, &d), &d, csv, 2, 12);
    /* the declarative YAML of an instrument file */
    const char *yml = in_dir("ins.yaml");
    static const char y[] = "id: x\nitems:\n  - {id: a, text: \"he\0llo\"}\n";
    write_bytes(yml, y, sizeof y - 1);
    expect_nul(vsc_instrument_load(&ins, "file", yml, NULL, &d), &d, yml, 3, 22);
    /* JSONL, line by line */
    const char *jl = in_dir("p.jsonl");
    static const char j[] = "{\"id\": \"a\", \"prompt\": \"x\"}\n{\"id\": \"b\", \"prompt\": \"\0\"}\n";
    write_bytes(jl, j, sizeof j - 1);
    expect_nul(vsc_instrument_load(&ins, "prompts", jl, NULL, &d), &d, jl, 2, 24);
    assert_null(ins);
    /* personas */
    const char *pf = in_dir("personas.jsonl");
    static const char pj[] = "{\"id\": \"p1\", \"text\": \"a\0b\"}\n";
    write_bytes(pf, pj, sizeof pj - 1);
    struct persona *ps = NULL;
    size_t n = 0;
    expect_nul(persona_load_file(&ps, &n, pf, NULL, &d), &d, pf, 1, 24);
    /* the config itself */
    const char *cf = in_dir("c.yaml");
    static const char cj[] = "name: x\n\0";
    write_bytes(cf, cj, sizeof cj - 1);
    struct vsc_config *cfg = NULL;
    expect_nul(vsc_config_load(&cfg, cf, &d), &d, cf, 2, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_regular),
        cmocka_unit_test(test_size_cap),
        cmocka_unit_test(test_nul),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
