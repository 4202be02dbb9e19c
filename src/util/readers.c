/* Readers of line- and record-based files shared by the loaders: a JSONL line loop and a
 * small CSV reader. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/readers.h"

#include "util/util.h"

int jsonl_foreach(const char *path, int (*fn)(json_t *obj, int line, void *payload), void *payload,
                  struct vsc_diag *diag)
{
    /* line by line: a prompts file of a million lines never sits in memory whole */
    struct line_reader lr;
    int rc = lines_open(&lr, path, 0, diag);
    if (rc) return rc;
    const char *start;
    size_t n;
    while ((rc = lines_next(&lr, &start, &n, diag)) == 1) {
        size_t k;
        for (k = 0; k < n && strchr(" \t\r", start[k]); k++) {
        }
        if (k == n) continue; /* blank lines are allowed */
        json_error_t err;
        json_t *obj = json_loadb(start, n, JSON_REJECT_DUPLICATES, &err);
        if (!obj) {
            rc = vsc_diag_set(diag, path, lr.line, err.column > 0 ? err.column : 1, "bad JSON: %s",
                              err.text);
            break;
        }
        rc = fn(obj, lr.line, payload);
        json_decref(obj);
        if (rc) break;
    }
    lines_close(&lr);
    return rc;
}

int csv_next(struct csv *c, json_t *fields, int *rec_line, const char *name, struct vsc_diag *diag)
{
    json_array_clear(fields);
    /* Skip empty lines between records. */
    while (c->p < c->end && (*c->p == '\n' || *c->p == '\r')) {
        if (*c->p == '\n') c->line++;
        c->p++;
    }
    if (c->p >= c->end) return 0;
    *rec_line = c->line;
    struct buf f;
    buf_init(&f, 0);
    for (;;) {
        buf_reset(&f);
        if (c->p < c->end && *c->p == '"') {
            int open_line = c->line;
            c->p++;
            for (;;) {
                if (c->p >= c->end) {
                    buf_free(&f);
                    return vsc_diag_set(diag, name, open_line, 0, "unterminated quoted field");
                }
                if (*c->p == '"') {
                    if (c->p + 1 < c->end && c->p[1] == '"') {
                        if (buf_append(&f, "\"", 1)) goto nomem;
                        c->p += 2;
                        continue;
                    }
                    c->p++;
                    break;
                }
                if (*c->p == '\n') c->line++;
                if (buf_append(&f, c->p, 1)) goto nomem;
                c->p++;
            }
            /* Text after the closing quote (a"b"c) is kept, as most readers do. */
        }
        while (c->p < c->end && *c->p != ',' && *c->p != '\n') {
            if (*c->p != '\r' && buf_append(&f, c->p, 1)) goto nomem;
            c->p++;
        }
        if (!utf8_valid(f.data ? f.data : "", f.len)) {
            buf_free(&f);
            return vsc_diag_set(diag, name, *rec_line, 0, "invalid UTF-8 in field %zu",
                                json_array_size(fields) + 1);
        }
        if (json_array_append_new(fields, json_stringn(f.data ? f.data : "", f.len))) goto nomem;
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end) { /* '\n' */
            c->p++;
            c->line++;
        }
        break;
    }
    buf_free(&f);
    return 1;
nomem:
    buf_free(&f);
    return VSC_ERR_NOMEM;
}
