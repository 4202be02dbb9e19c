/* Readers of line- and record-based files shared by the loaders (instruments, dilemmas,
 * targets, judge evaluation sets). Diagnostics name the file and line. */
#ifndef VSC_READERS_H
#define VSC_READERS_H

#include <jansson.h>

#include "valscope/common.h"

/* Calls `fn` for each non-blank line of a JSONL file, parsed (the object is borrowed for the
 * call). A JSON error fills diag with the line and jansson's column. Stops at the first
 * non-zero return and returns it. */
int jsonl_foreach(const char *path, int (*fn)(json_t *obj, int line, void *payload), void *payload,
                  struct vsc_diag *diag);

/* A minimal RFC 4180 reader: quoted fields, "" inside quotes, newlines inside quotes. */
struct csv {
    const char *p, *end;
    int line; /* line where the next record starts */
};
/* Reads one record into `fields` (cleared first; each a malloc'd string). Returns 1 when a
 * record was read, 0 at the end, VSC_ERR_INPUT for an unterminated quote (diag at its line),
 * VSC_ERR_NOMEM. `*rec_line` is the record's first line. */
int csv_next(struct csv *c, json_t *fields, int *rec_line, const char *name, struct vsc_diag *diag);

#endif
