/* YAML (and JSON, which is YAML's flow style) read into a jansson tree that remembers where
 * each node stood in the file, so validation code can report file:line:col. */
#ifndef VSC_YAMLJSON_H
#define VSC_YAMLJSON_H

#include <jansson.h>

#include "valscope/common.h"

struct yj_doc;

/* Parses YAML text; `name` is used in diagnostics. A syntax error fills diag and returns
 * VSC_ERR_INPUT. An empty document gives a null root. */
int yj_parse(struct yj_doc **out, const char *text, size_t len, const char *name,
             struct vsc_diag *diag);
int yj_load(struct yj_doc **out, const char *path, struct vsc_diag *diag);
/* The root node; borrowed, lives as long as the doc. */
json_t *yj_root(const struct yj_doc *doc);
/* Where `node` started (1-based); 0 when unknown. */
void yj_where(const struct yj_doc *doc, const json_t *node, int *line, int *col);
/* Fills diag at `node`'s position and returns VSC_ERR_INPUT. */
int yj_error(struct vsc_diag *diag, const struct yj_doc *doc, const json_t *node, const char *fmt,
             ...) __attribute__((format(printf, 4, 5)));
void yj_free(struct yj_doc *doc);

/* Small checks shared by the YAML-based parsers. */
/* Fails with a diag naming the first key of `obj` not in the NULL-terminated `allowed`. */
int yj_check_keys(const struct yj_doc *doc, const json_t *obj, const char *const *allowed,
                  const char *what, struct vsc_diag *diag);
/* A string member, or NULL when absent; a present non-string fails with a diag. */
int yj_get_string(const char **out, const struct yj_doc *doc, const json_t *obj, const char *key,
                  int required, struct vsc_diag *diag);

#endif
