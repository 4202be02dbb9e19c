/* Diagnostics and status names. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "valscope/common.h"

int vsc_diag_set(struct vsc_diag *diag, const char *file, int line, int col, const char *fmt, ...)
{
    if (!diag) return VSC_ERR_INPUT;
    snprintf(diag->file, sizeof(diag->file), "%s", file ? file : "");
    diag->line = line;
    diag->col = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
    va_end(ap);
    return VSC_ERR_INPUT;
}

void vsc_diag_clear(struct vsc_diag *diag)
{
    if (diag) memset(diag, 0, sizeof(*diag));
}

int vsc_diag_finish(struct vsc_diag *diag, int status)
{
    if (status < 0 && diag && !diag->msg[0])
        snprintf(diag->msg, sizeof(diag->msg), "%s", vsc_strerror(status));
    return status;
}

void vsc_diag_format(char *out, size_t len, const struct vsc_diag *d)
{
    if (d->file[0] && d->line > 0 && d->col > 0)
        snprintf(out, len, "%s:%d:%d: %s", d->file, d->line, d->col, d->msg);
    else if (d->file[0] && d->line > 0)
        snprintf(out, len, "%s:%d: %s", d->file, d->line, d->msg);
    else if (d->file[0])
        snprintf(out, len, "%s: %s", d->file, d->msg);
    else
        snprintf(out, len, "%s", d->msg);
}

const char *vsc_strerror(int status)
{
    switch (status) {
    case VSC_OK: return "ok";
    case VSC_ERR_NOMEM: return "out of memory";
    case VSC_ERR_INPUT: return "bad input";
    case VSC_ERR_IO: return "I/O error";
    case VSC_ERR_STORE: return "store error";
    case VSC_ERR_NOTFOUND: return "not found";
    case VSC_ERR_UNSUPPORTED: return "not supported in this build";
    case VSC_ERR_INTERNAL: return "internal error";
    case VSC_ERR_INCOMPLETE: return "some cells have no answer";
    case VSC_ERR_BUSY: return "store is locked by another valscope run";
    }
    return "unknown status";
}
