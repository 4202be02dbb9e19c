/* Subcommands of the valscope CLI. Each takes argv starting at the subcommand's name and
 * returns the process exit status. */
#ifndef VSC_CLI_H
#define VSC_CLI_H

#include "valscope/valscope.h"

int cli_run(int argc, char **argv);
int cli_export(int argc, char **argv);
int cli_score(int argc, char **argv);
int cli_import(int argc, char **argv);
int cli_judge_eval(int argc, char **argv); /* src/cli/cmd_judge.c */
int cli_report(int argc, char **argv);  /* src/cli/cmd_report.c */
int cli_targets(int argc, char **argv); /* src/cli/cmd_report.c */

int cli_exit_code(int rc);
/* `s` with control characters (terminal escapes) shown as '?', in `buf`; returns buf. Text
 * from configs, stores and models goes through it before it reaches a terminal. */
const char *cli_safe(char *buf, size_t len, const char *s);
void cli_print_diag(const char *cmd, int rc, const struct vsc_diag *d);
int cli_usage_error(const char *fmt, const char *arg);
/* Opens an existing store for reading and checks that `run` (NULL: any) is in it. Returns 0, or
 * the exit status after printing why not (no such store or run: 2; unreadable, damaged or not a
 * valscope store: 3); `out` is NULL then. */
int cli_open_store(struct vsc_store **out, const char *cmd, const char *path, const char *run);

#endif
