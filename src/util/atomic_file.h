/* Output files written whole or not at all: the data goes to a temporary file in the target's
 * folder, is flushed and fsync'd, and only then renamed over the target. A crash, kill -9 or a
 * full disk leaves the previous file as it was and no temporary file behind (the one exception:
 * a process killed between open and commit leaves its ".NAME.tmp-*" file). */
#ifndef VSC_ATOMIC_FILE_H
#define VSC_ATOMIC_FILE_H

#include <stdio.h>

#include "valscope/common.h"

struct atomic_file {
    FILE *fp;   /* write here between open and commit */
    char *path; /* the target */
    char *tmp;  /* the temporary file */
};

/* Creates the temporary file next to `path`. Returns 0, or VSC_ERR_IO with diag naming `path`
 * (VSC_ERR_NOMEM). On failure nothing is left to clean up. */
int atomic_file_open(struct atomic_file *af, const char *path, struct vsc_diag *diag);

/* Flushes, fsyncs and renames the temporary file over the target, which then has the previous
 * file's permissions (or 0666 less the umask for a new one). On any failure, also one already
 * seen on af->fp, the temporary file is removed, the target is untouched and VSC_ERR_IO comes
 * back with diag naming the target and the reason. Frees `af` either way. */
int atomic_file_commit(struct atomic_file *af, struct vsc_diag *diag);

/* Drops the temporary file; the target is untouched. NULL-safe on a closed `af`. */
void atomic_file_abort(struct atomic_file *af);

/* Writes `path` through `write_fn(fp, payload)` (which returns 0 or a VSC_ERR_*) with the above:
 * the target is replaced only when everything was written. */
int atomic_file_write(const char *path, int (*write_fn)(FILE *fp, void *payload), void *payload,
                      struct vsc_diag *diag);

#endif
