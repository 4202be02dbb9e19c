/* Status codes, diagnostics and version shared by every valscope module. */
#ifndef VALSCOPE_COMMON_H
#define VALSCOPE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define VSC_VERSION "0.1.0"

/* Fallible functions return 0 or one of these negative codes. */
enum vsc_status {
    VSC_OK = 0,
    VSC_ERR_NOMEM = -1,
    VSC_ERR_INPUT = -2,       /* bad user input: config, instrument, data file */
    VSC_ERR_IO = -3,          /* file could not be read or written */
    VSC_ERR_STORE = -4,       /* the SQLite store failed */
    VSC_ERR_NOTFOUND = -5,    /* a named thing does not exist */
    VSC_ERR_UNSUPPORTED = -6, /* feature not built in (e.g. llama backend without libllama) */
    VSC_ERR_INTERNAL = -7,
    VSC_ERR_INCOMPLETE = -8,  /* a run finished but some cells have no answer */
    VSC_ERR_BUSY = -9,        /* the store is locked by another valscope run */
};

/* Where bad input was found. Parsers fill it; `line` and `col` are 1-based, 0 when unknown. */
struct vsc_diag {
    char file[512];
    int line;
    int col;
    char msg[1024];
};

/* Formats a diagnostic as "file:line:col: msg" into `out` (always NUL-terminated). */
void vsc_diag_format(char *out, size_t len, const struct vsc_diag *diag);

/* Fills `diag` (may be NULL) and returns VSC_ERR_INPUT. */
int vsc_diag_set(struct vsc_diag *diag, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The error route: every public function that takes a `struct vsc_diag` clears it on entry and,
 * on every negative return, leaves a non-empty message in it (store failures copied from the
 * handle, see vsc_store_diag(); otherwise vsc_strerror(status) when nothing more precise was
 * said). The CLI prints that diag and nothing else. */
void vsc_diag_clear(struct vsc_diag *diag);
/* Returns `status`; when it is negative and `diag` (may be NULL) has no message yet, the message
 * becomes vsc_strerror(status). The last line of a public function with a diag. */
int vsc_diag_finish(struct vsc_diag *diag, int status);

/* A short English name for a status code. */
const char *vsc_strerror(int status);

#endif
