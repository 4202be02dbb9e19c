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

/* The document is built from libyaml's events, not its loader: the loader composes the whole
 * document before anything can be checked, and deep flow nesting costs its scanner time that
 * grows faster than n^2. Reading event by event stops at the first node deeper than MAX_DEPTH
 * while libyaml has looked at most a line (or 1 KiB) ahead, so every input costs linear time. */

/* An open sequence or mapping. */
struct frame {
    json_t *j;          /* owned until it is closed and attached to its parent */
    char *key;          /* a mapping's key waiting for its value */
    char *anchor;       /* the container's anchor, registered when it closes */
    size_t nodes_start; /* d->n_nodes before it opened (the size of an alias copy) */
};

struct builder {
    struct yj_doc *d;
    struct frame stack[MAX_DEPTH + 1];
    int depth;
    json_t *anchors; /* anchor name -> [node, nodes in it] */
    struct vsc_diag *diag;
};

/* A copy of an anchored node for an alias, with the original's positions. */
static json_t *copy_marked(struct yj_doc *d, const json_t *src)
{
    json_t *j, *v;
    if (json_is_array(src)) {
        size_t i;
        j = json_array();
        json_array_foreach(src, i, v)
        {
            if (!j || json_array_append_new(j, copy_marked(d, v))) {
                json_decref(j);
                return NULL;
            }
        }
    } else if (json_is_object(src)) {
        const char *k;
        j = json_object();
        json_object_foreach((json_t *)src, k, v)
        {
            if (!j || json_object_set_new(j, k, copy_marked(d, v))) {
                json_decref(j);
                return NULL;
            }
        }
    } else {
        j = json_copy((json_t *)src);
    }
    int line, col;
    yj_where(d, src, &line, &col);
    if (j && mark_put(d, j, line, col)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static int add_anchor(struct builder *b, const char *name, json_t *node, size_t n_nodes)
{
    json_t *entry = json_pack("[OI]", node, (json_int_t)n_nodes);
    if (!entry || json_object_set_new(b->anchors, name, entry)) return VSC_ERR_NOMEM;
    return 0;
}

/* Attaches a finished node to the open container, or makes it the root. `key` is a scalar's raw
 * text, used when the node is a mapping key (NULL for any other node). Takes `v`. */
static int attach(struct builder *b, json_t *v, const char *key, int line, int col)
{
    struct yj_doc *d = b->d;
    if (b->depth == 0) {
        d->root = v;
        return 0;
    }
    struct frame *f = &b->stack[b->depth - 1];
    if (json_is_array(f->j)) return json_array_append_new(f->j, v) ? VSC_ERR_NOMEM : 0;
    if (f->key) {
        int rc = json_object_set_new(f->j, f->key, v) ? VSC_ERR_NOMEM : 0;
        free(f->key);
        f->key = NULL;
        return rc;
    }
    if (!key && json_is_string(v)) key = json_string_value(v); /* an alias of text */
    int rc = 0;
    if (!key)
        rc = vsc_diag_set(b->diag, d->name, line, col, "mapping keys must be plain text");
    else if (!utf8_valid(key, strlen(key)))
        rc = vsc_diag_set(b->diag, d->name, line, col, "invalid key");
    else if (json_object_get(f->j, key))
        rc = vsc_diag_set(b->diag, d->name, line, col, "duplicate key '%s'", key);
    else if (!(f->key = xstrdup(key)))
        rc = VSC_ERR_NOMEM;
    json_decref(v);
    return rc;
}

static int too_large(struct builder *b, int line, int col)
{
    return vsc_diag_set(b->diag, b->d->name, line, col, "document too large (alias expansion?)");
}

static int on_scalar(struct builder *b, const yaml_event_t *ev, int is_key, int line, int col)
{
    struct yj_doc *d = b->d;
    const char *s = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (is_key) {
        if (strlen(s) != len) return vsc_diag_set(b->diag, d->name, line, col, "invalid key");
        return attach(b, json_null(), s, line, col);
    }
    if (++d->n_nodes > MAX_NODES) return too_large(b, line, col);
    if (!utf8_valid(s, len))
        return vsc_diag_set(b->diag, d->name, line, col, "invalid UTF-8 in scalar");
    json_t *j = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? plain_scalar(s, len)
                                                                 : json_stringn(s, len);
    int rc = j ? mark_put(d, j, line, col) : VSC_ERR_NOMEM;
    if (!rc && ev->data.scalar.anchor)
        rc = add_anchor(b, (const char *)ev->data.scalar.anchor, j, 1);
    if (rc) {
        json_decref(j);
        return rc;
    }
    return attach(b, j, NULL, line, col);
}

static int on_event(struct builder *b, const yaml_event_t *ev)
{
    struct yj_doc *d = b->d;
    int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
    const struct frame *top = b->depth ? &b->stack[b->depth - 1] : NULL;
    int is_key = top && json_is_object(top->j) && !top->key;
    int opens = ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT;
    if (is_key && opens)
        return vsc_diag_set(b->diag, d->name, line, col, "mapping keys must be plain text");
    if ((opens || ev->type == YAML_SCALAR_EVENT || ev->type == YAML_ALIAS_EVENT) &&
        b->depth > MAX_DEPTH)
        return vsc_diag_set(b->diag, d->name, line, col, "nesting deeper than %d", MAX_DEPTH);
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return on_scalar(b, ev, is_key, line, col);
    case YAML_ALIAS_EVENT: {
        json_t *entry = json_object_get(b->anchors, (const char *)ev->data.alias.anchor);
        if (!entry)
            return vsc_diag_set(b->diag, d->name, line, col,
                                "YAML syntax error: found undefined alias");
        d->n_nodes += is_key ? 0 : (size_t)json_integer_value(json_array_get(entry, 1));
        if (d->n_nodes > MAX_NODES) return too_large(b, line, col);
        json_t *j = copy_marked(d, json_array_get(entry, 0));
        return j ? attach(b, j, NULL, line, col) : VSC_ERR_NOMEM;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        struct frame *f = &b->stack[b->depth];
        const yaml_char_t *anchor = ev->type == YAML_SEQUENCE_START_EVENT
                                        ? ev->data.sequence_start.anchor
                                        : ev->data.mapping_start.anchor;
        *f = (struct frame){.nodes_start = d->n_nodes};
        if (++d->n_nodes > MAX_NODES) return too_large(b, line, col);
        f->j = ev->type == YAML_SEQUENCE_START_EVENT ? json_array() : json_object();
        b->depth++; /* from here the frame is freed on failure */
        if (!f->j || mark_put(d, f->j, line, col)) return VSC_ERR_NOMEM;
        if (anchor && !(f->anchor = xstrdup((const char *)anchor))) return VSC_ERR_NOMEM;
        return 0;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: {
        struct frame f = b->stack[--b->depth];
        int fl, fc;
        yj_where(d, f.j, &fl, &fc);
        int rc = f.anchor ? add_anchor(b, f.anchor, f.j, d->n_nodes - f.nodes_start) : 0;
        free(f.anchor);
        free(f.key);
        if (rc) {
            json_decref(f.j);
            return rc;
        }
        return attach(b, f.j, NULL, fl, fc);
    }
    default:
        return 0;
    }
}

int yj_parse(struct yj_doc **out, const char *text, size_t len, const char *name,
             struct vsc_diag *diag)
{
    *out = NULL;
    struct yj_doc *d = calloc(1, sizeof(*d));
    if (!d) return VSC_ERR_NOMEM;
    struct builder b = {.d = d, .anchors = json_object(), .diag = diag};
    yaml_parser_t parser;
    int rc = 0;
    d->name = strdup(name ? name : "<input>");
    if (!d->name || !b.anchors || !yaml_parser_initialize(&parser)) {
        json_decref(b.anchors);
        yj_free(d);
        return VSC_ERR_NOMEM;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    /* the first document only, as libyaml's loader read */
    for (int done = 0; !done && !rc;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = vsc_diag_set(diag, d->name, (int)parser.problem_mark.line + 1,
                              (int)parser.problem_mark.column + 1, "YAML syntax error: %s%s%s",
                              parser.problem ? parser.problem : "unknown",
                              parser.context ? " " : "", parser.context ? parser.context : "");
            break;
        }
        done = ev.type == YAML_DOCUMENT_END_EVENT || ev.type == YAML_STREAM_END_EVENT;
        rc = on_event(&b, &ev);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    while (b.depth > 0) {
        struct frame *f = &b.stack[--b.depth];
        json_decref(f->j);
        free(f->key);
        free(f->anchor);
    }
    json_decref(b.anchors);
    if (!rc && !d->root && !(d->root = json_null())) rc = VSC_ERR_NOMEM;
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
