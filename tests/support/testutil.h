/* Helpers shared by the test binaries (tests/support/ is linked into every one of them).
 * Include after <cmocka.h> and its prerequisites. */
#ifndef VSC_TESTUTIL_H
#define VSC_TESTUTIL_H

#include <sys/types.h>
#include <stdarg.h>
#include <math.h>
#include <stddef.h>

/* Doubles are compared with a tolerance, never ==; the message names the expression and both
 * values. A NAN on either side fails. */
#define assert_near(a, b, tol) tu_assert_near((a), (b), (tol), #a, __FILE__, __LINE__)
#define assert_nan(a) assert_true(isnan(a))
void tu_assert_near(double a, double b, double tol, const char *what, const char *file, int line);

/* Writes a file from a printf format; fails the test when it cannot be written. */
void tu_write_file(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Removes a folder and everything in it (rm -rf); returns system()'s status, 0 on success. */
int tu_rmrf(const char *dir);

/* Where the valscope CLI of this build is: $VSC_BUILD/valscope (set by tests/run-tests.sh),
 * else next to the test binary's build folder (BUILD/tests/integration/test_x ->
 * BUILD/valscope); `argv0` is the test binary's argv[0]. */
void tu_cli_path(char *out, size_t size, const char *argv0);

/* Fails the test (never skips it) when `cli` is not an executable valscope: a test of the
 * command that cannot find the command is a failure, so it cannot pass unseen. */
void tu_require_cli(const char *cli);

/* Starts the CLI `cli` with `ap`'s arguments (NULL-terminated, at most 14), stdout and stderr
 * to the files `out` and `err`; as user `uid` when uid > 0; with written files capped at
 * `fsize_limit` bytes when > 0 (RLIMIT_FSIZE, SIGXFSZ ignored: writes fail as on a full disk).
 * Returns the child's pid. */
pid_t tu_cli_spawn(const char *cli, const char *out, const char *err, uid_t uid, long fsize_limit,
                   va_list ap);
/* Waits for `pid`; its exit status, or 128 + the signal that killed it. */
int tu_wait_exit(pid_t pid);

struct vsc_config;
struct vsc_progress;

/* Loads the config at `path`; fails the test with the diagnostic when it does not load. */
struct vsc_config *tu_load_config(const char *path);

/* Loads the config at `path` and runs it (vsc_run, default options, progress into `p` unless
 * NULL); fails the test with the diagnostic when either step fails. */
void tu_run_config(const char *path, struct vsc_progress *p);

#endif
