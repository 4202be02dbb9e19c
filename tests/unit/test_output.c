/* Output files and the text in them: the CSV field writer (escaped controls, formula guard,
 * quoting), whole-or-nothing output files, and URL credential removal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/testutil.h"
#include "util/atomic_file.h"
#include "util/csv.h"
#include "util/redact.h"
#include "util/util.h"

/* ---- the CSV field writer -------------------------------------------------------------- */

static char *field(const char *s)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    assert_non_null(f);
    assert_int_equal(csv_write_field(f, s), 0);
    fclose(f);
    return out;
}

static void test_csv_field(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"plain", "plain"},
        {"", ""},
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"two\nlines", "\"two\nlines\""},
        {"tab\tinside", "tab\tinside"},
        /* terminal escapes are shown, never sent: clear screen, OSC 52 clipboard, bell, CR */
        {"\x1b[2Jcleared", "\\x1B[2Jcleared"},
        {"\x1b]52;c;ZXZpbA==\x07", "\\x1B]52;c;ZXZpbA==\\x07"},
        {"over\rwrite", "over\\x0Dwrite"},
        {"nul\x01soh\x7f", "nul\\x01soh\\x7F"},
        {"c1 \xc2\x9b"
         "2J",
         "c1 \\u009B2J"},                                     /* U+009B CSI */
        {"caf\xc3\xa9 \xc2\xa0ok", "caf\xc3\xa9 \xc2\xa0ok"}, /* é and NBSP stay */
        /* the formula guard */
        {"=1+2", "\"'=1+2\""},
        {"+cmd", "\"'+cmd\""},
        {"-2", "\"'-2\""},
        {"@SUM(A1)", "\"'@SUM(A1)\""},
        {"\tx", "\"'\tx\""},
        {"\r=x", "\"'\\x0D=x\""},
        {"=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""},
        {"a=b", "a=b"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = field(cases[i].in);
        if (strcmp(got, cases[i].want))
            fail_msg("case %zu: got [%s], want [%s]", i, got, cases[i].want);
        free(got);
    }
    char *none = field(NULL);
    assert_string_equal(none, "");
    free(none);
}

/* ---- whole-or-nothing output files ----------------------------------------------------- */

struct outdir {
    char dir[64];
    char path[128];
};

static void outdir_init(struct outdir *o)
{
    snprintf(o->dir, sizeof o->dir, "/tmp/vsc-out-XXXXXX");
    assert_non_null(mkdtemp(o->dir));
    snprintf(o->path, sizeof o->path, "%s/report.html", o->dir);
}

static size_t dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static char *slurp(const char *path)
{
    char *s = NULL;
    size_t len;
    struct vsc_diag d;
    if (read_file(&s, &len, path, &d)) return NULL;
    return s;
}

static int write_big(FILE *fp, void *payload)
{
    size_t n = *(size_t *)payload;
    for (size_t i = 0; i < n; i++)
        fputc('a' + (int)(i % 26), fp);
    return ferror(fp) ? VSC_ERR_IO : 0;
}

static int write_hello(FILE *fp, void *payload)
{
    fputs("new content\n", fp);
    return 0;
}

static int write_then_fail(FILE *fp, void *payload)
{
    fputs("half of it", fp);
    return VSC_ERR_NOMEM;
}

static void test_atomic_replaces_whole_file(void **state)
{
    struct outdir o;
    outdir_init(&o);
    tu_write_file(o.path, "old content\n");
    assert_int_equal(chmod(o.path, 0640), 0);
    struct vsc_diag d = {0};
    assert_int_equal(atomic_file_write(o.path, write_hello, NULL, &d), 0);
    char *s = slurp(o.path);
    assert_string_equal(s, "new content\n");
    free(s);
    struct stat st;
    assert_int_equal(stat(o.path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640); /* the previous file's permissions are kept */
    assert_int_equal(dir_entries(o.dir), 1);
    /* a writer that fails half way: the file stays, the temporary file goes */
    assert_int_equal(atomic_file_write(o.path, write_then_fail, NULL, &d), VSC_ERR_NOMEM);
    s = slurp(o.path);
    assert_string_equal(s, "new content\n");
    free(s);
    assert_int_equal(dir_entries(o.dir), 1);
    tu_rmrf(o.dir);
}

/* A full disk, made with a small RLIMIT_FSIZE in a child: the write fails with a message, the
 * previous file is byte-identical and no temporary file is left. */
static void test_atomic_full_disk_keeps_previous(void **state)
{
    struct outdir o;
    outdir_init(&o);
    const char *previous = "<html>the previous report</html>\n";
    tu_write_file(o.path, "%s", previous);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN); /* writes past the limit fail with EFBIG instead */
        struct rlimit rl = {4096, 4096};
        if (setrlimit(RLIMIT_FSIZE, &rl)) _exit(10);
        size_t n = 1 << 20;
        struct vsc_diag d = {0};
        int rc = atomic_file_write(o.path, write_big, &n, &d);
        if (rc != VSC_ERR_IO) _exit(11);
        if (!strstr(d.msg, "the previous file is unchanged")) _exit(12);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    char *s = slurp(o.path);
    assert_non_null(s);
    assert_string_equal(s, previous);
    free(s);
    assert_int_equal(dir_entries(o.dir), 1);
    tu_rmrf(o.dir);
}

/* A folder that cannot be written: a clear message naming the file, nothing created. */
static void test_atomic_unwritable_folder(void **state)
{
    struct vsc_diag d = {0};
    assert_int_equal(atomic_file_write("/nonexistent-vsc-dir/out.html", write_hello, NULL, &d),
                     VSC_ERR_IO);
    assert_non_null(strstr(d.file, "/nonexistent-vsc-dir/out.html"));
    assert_non_null(strstr(d.msg, "cannot write"));
}

/* ---- credentials out of URLs ----------------------------------------------------------- */

static void test_redact_urls(void **state)
{
    static const struct {
        const char *in, *want;
        int changed;
    } cases[] = {
        {"base_url: http://127.0.0.1:8080/v1\n", "base_url: http://127.0.0.1:8080/v1\n", 0},
        {"base_url: http://user:sk-secret@host:1/v1\n", "base_url: http://host:1/v1\n", 1},
        {"u: \"https://sk-only@api.example/v1\"", "u: \"https://api.example/v1\"", 1},
        {"http://h/v1?api_key=sk-1&model=x&Token=t2",
         "http://h/v1?api_key=REDACTED&model=x&Token=REDACTED", 1},
        {"http://h/?x-api-key=a;sig=b#frag", "http://h/?x-api-key=REDACTED;sig=REDACTED#frag", 1},
        {"[http://a:b@h1/v1, https://h2/v1?key=k]", "[http://h1/v1, https://h2/v1?key=REDACTED]",
         1},
        {"mail me@example.com, see HTTP://x@y.z", "mail me@example.com, see HTTP://y.z", 1},
        {"http://h/path@not-userinfo", "http://h/path@not-userinfo", 0},
        {"no urls here", "no urls here", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int changed = -1;
        char *got = redact_urls(cases[i].in, &changed);
        assert_non_null(got);
        if (strcmp(got, cases[i].want) || changed != cases[i].changed)
            fail_msg("case %zu: got [%s] changed=%d, want [%s] changed=%d", i, got, changed,
                     cases[i].want, cases[i].changed);
        free(got);
    }
    assert_true(redact_secret_name("access_token", 12));
    assert_true(redact_secret_name("client_secret", 13));
    assert_false(redact_secret_name("model", 5));
    assert_false(redact_secret_name("monkey", 6));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_field),
        cmocka_unit_test(test_atomic_replaces_whole_file),
        cmocka_unit_test(test_atomic_full_disk_keeps_previous),
        cmocka_unit_test(test_atomic_unwritable_folder),
        cmocka_unit_test(test_redact_urls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
