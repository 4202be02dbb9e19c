/* YAML -> jansson with source positions. */
#include "util/yamljson.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/util.h"

#define MAX_DEPTH 64
#define MAX_NODES 2000000 /* alias expansion bound ("billion laughs") */

struct mark {
    const json_t *node;
    int line, col;
};

struct yj_doc {
    json_t *root;
    char *name;
    struct mark *marks; /* open-addressing table keyed by node pointer */
    size_t n_marks, cap_marks;
    size_t n_nodes;
};

static size_t ptr_hash(const void *p)
{
    uintptr_t x = (uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

static int mark_put(struct yj_doc *d, const json_t *node, int line, int col)
{
    if ((d->n_marks + 1) * 2 > d->cap_marks) {
        size_t ncap = d->cap_marks ? d->cap_marks * 2 : 256;
        struct mark *nm = calloc(ncap, sizeof(*nm));
        if (!nm) return VSC_ERR_NOMEM;
        for (size_t i = 0; i < d->cap_marks; i++) {
            if (!d->marks[i].node) continue;
            size_t h = ptr_hash(d->marks[i].node) & (ncap - 1);
            while (nm[h].node)
                h = (h + 1) & (ncap - 1);
            nm[h] = d->marks[i];
        }
        free(d->marks);
        d->marks = nm;
        d->cap_marks = ncap;
    }
    size_t h = ptr_hash(node) & (d->cap_marks - 1);
    while (d->marks[h].node && d->marks[h].node != node)
        h = (h + 1) & (d->cap_marks - 1);
    if (!d->marks[h].node) d->n_marks++;
    d->marks[h] = (struct mark){node, line, col};
    return 0;
}

void yj_where(const struct yj_doc *d, const json_t *node, int *line, int *col)
{
    *line = *col = 0;
    if (!d || !node || !d->cap_marks) return;
    size_t h = ptr_hash(node) & (d->cap_marks - 1);
    while (d->marks[h].node) {
        if (d->marks[h].node == node) {
            *line = d->marks[h].line;
            *col = d->marks[h].col;
            return;
        }
        h = (h + 1) & (d->cap_marks - 1);
    }
}

int yj_error(struct vsc_diag *diag, const struct yj_doc *doc, const json_t *node, const char *fmt,
             ...)
{
    int line, col;
    yj_where(doc, node, &line, &col);
    char msg[sizeof(diag->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return vsc_diag_set(diag, doc ? doc->name : "", line, col, "%s", msg);
}

static int is_one_of(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0) return 1;
    return 0;
}

/* Resolves a plain scalar by the YAML 1.2 core schema. */
static json_t *plain_scalar(const char *s, size_t len)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"true", "True", "TRUE", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", NULL};
    if (strlen(s) != len) return json_stringn(s, len); /* embedded NUL: keep as text */
    if (is_one_of(s, nulls)) return json_null();
    if (is_one_of(s, trues)) return json_true();
    if (is_one_of(s, falses)) return json_false();
    char *end;
    errno = 0;
    if (len > 0 && len < 40) {
        const char *p = s + (s[0] == '-' || s[0] == '+');
        int digits = *p != 0;
        for (const char *q = p; *q; q++)
            if (*q < '0' || *q > '9') digits = 0;
        if (digits) {
            long long v = strtoll(s, &end, 10);
            if (!*end && errno == 0) return json_integer(v);
        }
        if (strcmp(s, ".inf") == 0 || strcmp(s, ".nan") == 0 || strcmp(s, "-.inf") == 0)
            return json_string(s); /* JSON has no infinities; keep as text */
        int numeric = 1, has_digit = 0;
        for (const char *q = s; *q; q++) {
            if (*q >= '0' && *q <= '9')
                has_digit = 1;
            else if (!strchr("+-.eE", *q))
                numeric = 0;
        }
        if (numeric && has_digit) {
            double v = strtod(s, &end);
            if (!*end && errno == 0 && isfinite(v)) return json_real(v);
        }
    }
    return json_stringn(s, len);
}

static int convert(struct yj_doc *d, yaml_document_t *doc, yaml_node_t *node, int depth,
                   json_t **out, struct vsc_diag *diag)
{
    *out = NULL;
    int line = (int)node->start_mark.line + 1, col = (int)node->start_mark.column + 1;
    if (depth > MAX_DEPTH)
        return vsc_diag_set(diag, d->name, line, col, "nesting deeper than %d", MAX_DEPTH);
    if (++d->n_nodes > MAX_NODES)
        return vsc_diag_set(diag, d->name, line, col, "document too large (alias expansion?)");
    json_t *j = NULL;
    switch (node->type) {
    case YAML_SCALAR_NODE: {
        const char *s = (const char *)node->data.scalar.value;
        size_t len = node->data.scalar.length;
        if (!utf8_valid(s, len))
            return vsc_diag_set(diag, d->name, line, col, "invalid UTF-8 in scalar");
        if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
            j = plain_scalar(s, len);
        else
            j = json_stringn(s, len);
        break;
    }
    case YAML_SEQUENCE_NODE:
        j = json_array();
        for (yaml_node_item_t *it = node->data.sequence.items.start;
             j && it < node->data.sequence.items.top; it++) {
            json_t *child;
            int rc = convert(d, doc, yaml_document_get_node(doc, *it), depth + 1, &child, diag);
            if (rc) {
                json_decref(j);
                return rc;
            }
            json_array_append_new(j, child);
        }
        break;
    case YAML_MAPPING_NODE:
        j = json_object();
        for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
             j && p < node->data.mapping.pairs.top; p++) {
            yaml_node_t *k = yaml_document_get_node(doc, p->key);
            int kl = (int)k->start_mark.line + 1, kc = (int)k->start_mark.column + 1;
            if (k->type != YAML_SCALAR_NODE) {
                json_decref(j);
                return vsc_diag_set(diag, d->name, kl, kc, "mapping keys must be plain text");
            }
            const char *key = (const char *)k->data.scalar.value;
            if (strlen(key) != k->data.scalar.length || !utf8_valid(key, strlen(key))) {
                json_decref(j);
                return vsc_diag_set(diag, d->name, kl, kc, "invalid key");
            }
            if (json_object_get(j, key)) {
                json_decref(j);
                return vsc_diag_set(diag, d->name, kl, kc, "duplicate key '%s'", key);
            }
            json_t *child;
            int rc =
                convert(d, doc, yaml_document_get_node(doc, p->value), depth + 1, &child, diag);
            if (rc) {
                json_decref(j);
                return rc;
            }
            json_object_set_new(j, key, child);
        }
        break;
    default:
        j = json_null();
    }
    if (!j) return VSC_ERR_NOMEM;
    if (mark_put(d, j, line, col)) {
        json_decref(j);
        return VSC_ERR_NOMEM;
    }
    *out = j;
    return 0;
}

int yj_parse(struct yj_doc **out, const char *text, size_t len, const char *name,
             struct vsc_diag *diag)
{
    *out = NULL;
    struct yj_doc *d = calloc(1, sizeof(*d));
    if (!d) return VSC_ERR_NOMEM;
    d->name = strdup(name ? name : "<input>");
    yaml_parser_t parser;
    yaml_document_t doc;
    int rc = 0;
    if (!yaml_parser_initialize(&parser)) {
        yj_free(d);
        return VSC_ERR_NOMEM;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = vsc_diag_set(diag, d->name, (int)parser.problem_mark.line + 1,
                          (int)parser.problem_mark.column + 1, "YAML syntax error: %s%s%s",
                          parser.problem ? parser.problem : "unknown", parser.context ? " " : "",
                          parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        yj_free(d);
        return rc;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root)
        d->root = json_null();
    else
        rc = convert(d, &doc, root, 0, &d->root, diag);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc) {
        yj_free(d);
        return rc;
    }
    *out = d;
    return 0;
}

int yj_load(struct yj_doc **out, const char *path, struct vsc_diag *diag)
{
    char *text;
    size_t len;
    *out = NULL;
    int rc = read_text_file(&text, &len, path, diag);
    if (rc) return rc;
    rc = yj_parse(out, text, len, path, diag);
    free(text);
    return rc;
}

json_t *yj_root(const struct yj_doc *d)
{
    return d ? d->root : NULL;
}

int yj_check_keys(const struct yj_doc *doc, const json_t *obj, const char *const *allowed,
                  const char *what, struct vsc_diag *diag)
{
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val)
    {
        const char *const *a;
        for (a = allowed; *a; a++)
            if (strcmp(*a, key) == 0) break;
        if (!*a) return yj_error(diag, doc, val, "unknown key '%s' in %s", key, what);
    }
    return 0;
}

int yj_get_string(const char **out, const struct yj_doc *doc, const json_t *obj, const char *key,
                  int required, struct vsc_diag *diag)
{
    *out = NULL;
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required) return yj_error(diag, doc, obj, "missing '%s'", key);
        return 0;
    }
    if (!json_is_string(v)) return yj_error(diag, doc, v, "'%s' must be text", key);
    if (required && json_string_length(v) == 0)
        return yj_error(diag, doc, v, "'%s' must not be empty", key);
    *out = json_string_value(v);
    return 0;
}

void yj_free(struct yj_doc *d)
{
    if (!d) return;
    json_decref(d->root);
    free(d->marks);
    free(d->name);
    free(d);
}
