/* Test helpers (see testutil.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>
#include <unistd.h>

#include "testutil.h"
#include "util/util.h"
#include "valscope/config.h"
#include "valscope/run.h"

void tu_assert_near(double a, double b, double tol, const char *what, const char *file, int line)
{
    if (!(fabs(a - b) <= tol)) {
        print_error("%s = %.12g, expected %.12g (tol %g)\n", what, a, b, tol);
        _fail(file, line);
    }
}

void tu_write_file(const char *path, const char *fmt, ...)
{
    FILE *fp = fopen(path, "w");
    if (!fp) fail_msg("cannot write %s", path);
    va_list ap;
    va_start(ap, fmt);
    int bad = vfprintf(fp, fmt, ap) < 0;
    va_end(ap);
    bad |= fclose(fp) != 0;
    if (bad) fail_msg("cannot write %s", path);
}

int tu_rmrf(const char *dir)
{
    /* the folders are ours (mkdtemp under /tmp), but quote anyway */
    char *cmd = xasprintf("rm -rf '%s'", dir);
    if (!cmd) return -1;
    int rc = system(cmd);
    free(cmd);
    return rc;
}

void tu_cli_path(char *out, size_t size, const char *argv0)
{
    const char *b = getenv("VSC_BUILD");
    if (b && *b) {
        snprintf(out, size, "%s/valscope", b);
    } else {
        char *d = path_dirname(argv0);
        snprintf(out, size, "%s/../../valscope", d);
        free(d);
    }
}

void tu_require_cli(const char *cli)
{
    if (access(cli, X_OK) != 0)
        fail_msg("no valscope binary at %s (build it: make; tests/run-tests.sh sets VSC_BUILD)",
                 cli);
}

struct vsc_config *tu_load_config(const char *path)
{
    struct vsc_config *cfg = NULL;
    struct vsc_diag d = {0};
    if (vsc_config_load(&cfg, path, &d)) {
        char msg[2048];
        vsc_diag_format(msg, sizeof msg, &d);
        fail_msg("config did not load: %s", msg);
    }
    return cfg;
}

void tu_run_config(const char *path, struct vsc_progress *p)
{
    struct vsc_config *cfg = tu_load_config(path);
    struct vsc_diag d = {0};
    int rc = vsc_run(p, cfg, NULL, &d);
    vsc_config_free(cfg);
    if (rc) {
        char msg[2048];
        vsc_diag_format(msg, sizeof msg, &d);
        fail_msg("vsc_run: %s: %s", vsc_strerror(rc), msg);
    }
}
