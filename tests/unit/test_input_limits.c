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
#include <time.h>
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

/* Address space the process already maps, in bytes (0 when /proc cannot tell). */
static rlim_t mapped_bytes(void)
{
    unsigned long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%lu", &pages) != 1) pages = 0;
        fclose(f);
    }
    return (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE);
}

/* Runs fn in a child limited to `mb` MiB of address space beyond what it already maps (under
 * AddressSanitizer that is terabytes of reserved shadow, so an absolute limit would fail every
 * allocation) and `secs` seconds; the child's exit status is fn's return (0 = as expected). A
 * child killed by the limit fails the test. */
static void guarded(int (*fn)(const void *), const void *arg, unsigned mb, unsigned secs,
                    const char *what)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        rlim_t cap = mapped_bytes() + ((rlim_t)mb << 20);
        struct rlimit rl = {cap, cap};
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
    static const char j[] =
        "{\"id\": \"a\", \"prompt\": \"x\"}\n{\"id\": \"b\", \"prompt\": \"\0\"}\n";
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

/* ---- deep nesting --------------------------------------------------------------------------- */

#define DEEP 100000

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* `DEEP` levels written as `open` x DEEP, `mid`, `close` x DEEP. */
static void write_deep(const char *path, const char *head, const char *open, const char *mid,
                       const char *close)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(head, f);
    for (int i = 0; i < DEEP; i++)
        fputs(open, f);
    fputs(mid, f);
    for (int i = 0; i < DEEP; i++)
        fputs(close, f);
    fputc('\n', f);
    fclose(f);
}

struct deep_case {
    const char *what, *path, *want;
    int line; /* where the message must point; 0: anywhere */
};

/* 35 s before the event reader; the time is checked loosely (CI is loaded), the alarm is what
 * keeps a regression from hanging the suite. */
static int deep_refused(const void *p)
{
    const struct deep_case *c = p;
    struct vsc_diag d = {0};
    double t0 = now_s();
    int rc;
    if (!strcmp(c->what, "config")) {
        struct vsc_config *cfg = NULL;
        rc = vsc_config_load(&cfg, c->path, &d);
    } else if (!strcmp(c->what, "yaml")) {
        struct yj_doc *doc = NULL;
        rc = yj_load(&doc, c->path, &d);
    } else if (!strcmp(c->what, "personas")) {
        struct persona *ps = NULL;
        size_t n = 0;
        rc = persona_load_file(&ps, &n, c->path, NULL, &d);
    } else {
        struct vsc_instrument *ins = NULL;
        rc = vsc_instrument_load(&ins, c->what, c->path, NULL, &d);
    }
    double dt = now_s() - t0;
    if (rc != VSC_ERR_INPUT || !strstr(d.msg, c->want) || (c->line && d.line != c->line)) {
        fprintf(stderr, "%s: rc %d at %s:%d '%s', wanted '%s'\n", c->what, rc, d.file, d.line,
                d.msg, c->want);
        return 2;
    }
    if (dt > 5) {
        fprintf(stderr, "%s: refused after %.1f s\n", c->what, dt);
        return 3;
    }
    return 0;
}

static void test_deep_nesting(void **state)
{
    (void)state;
    const char *flow = in_dir("flow.yaml"), *map = in_dir("map.yaml"), *blk = in_dir("blk.yaml");
    const char *cfg = in_dir("deep-config.yaml"), *jl = in_dir("deep.jsonl");
    write_deep(flow, "", "[", "1", "]");
    write_deep(map, "", "{a: ", "1", "}");
    write_deep(blk, "", "- ", "1", "");
    write_deep(cfg, "name: x\nparams:\n  p: ", "[", "", "]");
    write_deep(jl, "{\"id\": \"p\", \"prompt\": \"x\", \"deep\": ", "[", "", "]");
    const struct deep_case cases[] = {
        {"yaml", flow, "nesting deeper than 64", 1},
        {"yaml", map, "nesting deeper than 64", 1},
        {"yaml", blk, "nesting deeper than 64", 1},
        {"config", cfg, "nesting deeper than 64", 3},
        {"file", flow, "nesting deeper than 64", 1},
        {"psychobench", map, "nesting deeper than 64", 1},
        /* jansson-read files: jansson's own depth limit, also linear */
        {"prompts", jl, "maximum parsing depth reached", 1},
        {"personas", jl, "maximum parsing depth reached", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        guarded(deep_refused, &cases[i], 512, 20, cases[i].what);
    /* 64 levels are still fine, 65 are not */
    struct yj_doc *doc = NULL;
    struct vsc_diag d = {0};
    char text[200] = "";
    for (int i = 0; i < 64; i++)
        strcat(text, "[");
    strcat(text, "1");
    for (int i = 0; i < 64; i++)
        strcat(text, "]");
    assert_int_equal(yj_parse(&doc, text, strlen(text), "t", &d), 0);
    yj_free(doc);
    memmove(text + 1, text, strlen(text) + 1);
    strcat(text, "]");
    assert_int_equal(yj_parse(&doc, text, strlen(text), "t", &d), VSC_ERR_INPUT);
    assert_int_equal(d.col, 66);
    assert_string_equal(d.msg, "nesting deeper than 64");
}

/* ---- duplicates ----------------------------------------------------------------------------- */

static void expect_at(int rc, const struct vsc_diag *d, const char *path, int line, const char *msg)
{
    assert_int_equal(rc, VSC_ERR_INPUT);
    assert_string_equal(d->file, path);
    assert_int_equal(d->line, line);
    if (!strstr(d->msg, msg)) fail_msg("message '%s' lacks '%s'", d->msg, msg);
}

static void test_duplicates(void **state)
{
    (void)state;
    struct persona *ps = NULL;
    size_t n = 0;
    struct vsc_diag d = {0};
    /* the second persona of an id was never asked before */
    const char *pf = in_dir("dup.jsonl");
    tu_write_file(pf, "{\"id\": \"p1\", \"text\": \"a\"}\n\n{\"id\": \"p1\", \"text\": \"b\"}\n");
    char want[400];
    snprintf(want, sizeof want, "duplicate persona id 'p1' (first at %s:1)", pf);
    expect_at(persona_load_file(&ps, &n, pf, NULL, &d), &d, pf, 3, want);
    assert_null(ps);
    /* 1 and "1" are the same id */
    tu_write_file(pf, "{\"id\": 1, \"text\": \"a\"}\n{\"id\": \"1\", \"text\": \"b\"}\n");
    expect_at(persona_load_file(&ps, &n, pf, NULL, &d), &d, pf, 2, "duplicate persona id '1'");
    tu_write_file(pf, "{\"id\": 1, \"text\": \"a\"}\n{\"id\": \"01\", \"text\": \"b\"}\n");
    assert_int_equal(persona_load_file(&ps, &n, pf, NULL, &d), 0);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++)
        persona_clear(&ps[i]);
    free(ps);

    /* two PsychoBench questionnaires of one name: which was meant is unknowable */
    const char *pb = in_dir("pb.json");
    static const char q[] = "{\"name\": \"X\", \"questions\": {\"1\": \"q\"}, \"scale\": 6}";
    tu_write_file(pb, "[%s,\n %s,\n %s]\n", q, "{\"name\": \"Y\"}", q);
    struct vsc_instrument *ins = NULL;
    char arg[300];
    snprintf(arg, sizeof arg, "%s#X", pb);
    expect_at(vsc_instrument_load(&ins, "psychobench", arg, NULL, &d), &d, pb, 3,
              "two questionnaires named 'X' (the first at line 1): ambiguous");
    assert_null(ins);
    snprintf(arg, sizeof arg, "%s#Y", pb);
    expect_at(vsc_instrument_load(&ins, "psychobench", arg, NULL, &d), &d, pb, 2, "'scale'");
}

/* ---- the config: size, params ---------------------------------------------------------------- */

static char cli[512];

static int config_error(const char *path, const char *params, struct vsc_diag *d)
{
    tu_write_file(path,
                  "models:\n  - {name: m, backend: sim}\ninstruments:\n  - prompts: x.jsonl\n"
                  "params:\n%s",
                  params);
    struct vsc_config *cfg = NULL;
    int rc = vsc_config_load(&cfg, path, d);
    vsc_config_free(cfg);
    return rc;
}

static void test_config_caps(void **state)
{
    (void)state;
    const char *p = in_dir("params.yaml");
    struct vsc_diag d = {0};
    /* impossible sampling params are config errors at the field's line */
    static const struct {
        const char *params, *want;
    } bad[] = {
        {"  max_tokens: 0\n", "params: 'max_tokens' must be a whole number of at least 1"},
        {"  max_tokens: -5\n", "'max_tokens'"},
        {"  max_tokens: 1.5\n", "'max_tokens'"},
        {"  temperature: -0.1\n", "params: 'temperature' must be a number from 0 to 2"},
        {"  temperature: 2.5\n", "'temperature'"},
        {"  temperature: hot\n", "'temperature'"},
        {"  top_p: 0\n", "params: 'top_p' must be a number above 0 and at most 1"},
        {"  top_p: 1.01\n", "'top_p'"},
        {"  seed: -1\n", "params: 'seed' must be a whole number of at least 0"},
        {"  seed: 1.5\n", "'seed'"},
        {"  n: 0\n", "params: 'n' must be a whole number of at least 1"},
        {"  presence_penalty: -2.5\n", "'presence_penalty'"},
        {"  frequency_penalty: 3\n", "'frequency_penalty'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char body[200];
        snprintf(body, sizeof body, "  top_k: 1\n%s", bad[i].params);
        expect_at(config_error(p, body, &d), &d, p, 7, bad[i].want);
    }
    /* the edges themselves are fine */
    assert_int_equal(config_error(p,
                                  "  {max_tokens: 1, temperature: 2, top_p: 1, seed: 0, n: 1, "
                                  "presence_penalty: -2, frequency_penalty: 2}\n",
                                  &d),
                     0);

    /* 257 params keys */
    struct buf b;
    buf_init(&b, 0);
    for (int i = 0; i < 257; i++)
        buf_printf(&b, "  k%d: 1\n", i);
    expect_at(config_error(p, b.data, &d), &d, p, 6, "'params' has 257 keys; at most 256");
    buf_free(&b);

    /* a 50 MB config (700k params keys took 59 s and its dry run wrote a 1.38 GB store) */
    const char *big = in_dir("big-config.yaml"), *store = in_dir("big.db");
    FILE *f = fopen(big, "w");
    assert_non_null(f);
    fprintf(f, "store: %s\nmodels:\n  - {name: m, backend: sim}\nparams:\n", store);
    for (int i = 0; i < 700000; i++)
        fprintf(f, "  key_number_%07d: %d\n", i, i);
    fclose(f);
    struct vsc_config *cfg = NULL;
    assert_int_equal(vsc_config_load(&cfg, big, &d), VSC_ERR_INPUT);
    assert_null(cfg);
    assert_string_equal(d.file, big);
    assert_string_equal(d.msg, "config is larger than 4194304 bytes (the cap; see docs/limits.md)");
    if (access(cli, X_OK) == 0) {
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "timeout 20 %s run %s --dry-run >/dev/null 2>%s", cli, big,
                 in_dir("err"));
        int st = system(cmd);
        assert_true(WIFEXITED(st));
        assert_int_not_equal(WEXITSTATUS(st), 0);
        assert_int_not_equal(WEXITSTATUS(st), 124);
        assert_int_not_equal(access(store, F_OK), 0); /* nothing written */
    }
}

int main(int argc, char **argv)
{
    (void)argc;
    tu_cli_path(cli, sizeof cli, argv[0]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_regular),  cmocka_unit_test(test_size_cap),
        cmocka_unit_test(test_nul),          cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_deep_nesting), cmocka_unit_test(test_config_caps),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
