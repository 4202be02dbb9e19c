/* Test helpers (see testutil.h). */
#include <sys/wait.h>
#include <sys/resource.h>
#include <signal.h>
#include <fcntl.h>
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

pid_t tu_cli_spawn(const char *cli, const char *out, const char *err, uid_t uid, long fsize_limit,
                   va_list ap)
{
    char *argv[16] = {(char *)cli};
    int n = 1;
    char *a;
    while ((a = va_arg(ap, char *)) && n < 15)
        argv[n++] = a;
    argv[n] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(o, 1);
        dup2(e, 2);
        if (fsize_limit > 0) {
            struct rlimit rl = {(rlim_t)fsize_limit, (rlim_t)fsize_limit};
            signal(SIGXFSZ, SIG_IGN);
            setrlimit(RLIMIT_FSIZE, &rl);
        }
        if (uid > 0 && (setgid(uid) || setuid(uid))) _exit(126);
        execv(cli, argv);
        _exit(127);
    }
    return pid;
}

int tu_wait_exit(pid_t pid)
{
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
