/* Small helpers for the JSON-lines record writers (scores, roleplay, dilemmas, utilities,
 * reports): they all write numbers that may be NAN and finish a record the same way. */
#ifndef VSC_UTIL_JSONOUT_H
#define VSC_UTIL_JSONOUT_H

#include <jansson.h>
#include <stdio.h>

/* A JSON real, or null for NAN and infinities: JSON has no way to say "not a number", and a
 * missing statistic must not read as 0. */
json_t *jout_num(double x);

/* Writes `o` as one line (json_dumps with `flags`, then "\n") and releases it: the reference
 * is taken over, also on failure. Returns 0, VSC_ERR_NOMEM or VSC_ERR_IO. */
int jout_line(FILE *fp, json_t *o, size_t flags);

#endif
