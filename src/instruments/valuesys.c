/* Value systems: the dimensions an instrument scores, read from YAML/JSON (built-in or the
 * user's file, the same format: docs/value-systems.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "instruments/ins_internal.h"
#include "util/util.h"

void vsc_value_system_free(struct vsc_value_system *vs)
{
    if (!vs) return;
    for (size_t i = 0; i < vs->n_dims; i++) {
        free(vs->dims[i].id);
        free(vs->dims[i].name);
        free(vs->dims[i].description);
        free(vs->dims[i].parent);
    }
    free(vs->dims);
    free(vs->id);
    free(vs->name);
    free(vs);
}

int vsc_value_system_find(const struct vsc_value_system *vs, const char *dim_id)
{
    if (!vs || !dim_id) return -1;
    for (size_t i = 0; i < vs->n_dims; i++)
        if (strcmp(vs->dims[i].id, dim_id) == 0) return (int)i;
    return -1;
}

static int parse_dim(struct vsc_dimension *dim, const struct yj_doc *doc, const json_t *node,
                     int circular, size_t pos, struct vsc_diag *diag)
{
    static const char *const keys[] = {"id", "name", "description", "parent", "order", NULL};
    if (!json_is_object(node)) return yj_error(diag, doc, node, "a dimension must be a mapping");
    int rc = yj_check_keys(doc, node, keys, "a dimension", diag);
    if (rc) return rc;
    const char *id, *name, *desc, *parent;
    if ((rc = yj_get_string(&id, doc, node, "id", 1, diag)) ||
        (rc = yj_get_string(&name, doc, node, "name", 0, diag)) ||
        (rc = yj_get_string(&desc, doc, node, "description", 0, diag)) ||
        (rc = yj_get_string(&parent, doc, node, "parent", 0, diag)))
        return rc;
    if (parent && !*parent) parent = NULL;
    dim->order = circular ? (int)pos : -1;
    json_t *order = json_object_get(node, "order");
    if (order) {
        if (!json_is_integer(order) || json_integer_value(order) < 0 ||
            json_integer_value(order) > 100000)
            return yj_error(diag, doc, order, "'order' must be a whole number >= 0");
        dim->order = (int)json_integer_value(order);
    }
    dim->id = xstrdup(id);
    dim->name = xstrdup(name ? name : id);
    dim->description = xstrdup(desc ? desc : "");
    dim->parent = parent ? xstrdup(parent) : NULL;
    if (!dim->id || !dim->name || !dim->description || (parent && !dim->parent))
        return VSC_ERR_NOMEM;
    return 0;
}

int vs_parse(struct vsc_value_system **out, const char *text, size_t len, const char *name,
             struct vsc_diag *diag)
{
    static const char *const keys[] = {"id", "name", "circular", "dimensions", NULL};
    *out = NULL;
    struct yj_doc *doc = NULL;
    struct vsc_value_system *vs = NULL;
    int rc = yj_parse(&doc, text, len, name, diag);
    if (rc) goto fail;
    json_t *root = yj_root(doc);
    if (!json_is_object(root)) {
        rc = yj_error(diag, doc, root, "a value system must be a mapping");
        goto fail;
    }
    if ((rc = yj_check_keys(doc, root, keys, "a value system", diag))) goto fail;
    const char *id, *title;
    if ((rc = yj_get_string(&id, doc, root, "id", 1, diag)) ||
        (rc = yj_get_string(&title, doc, root, "name", 0, diag)))
        goto fail;
    json_t *circ = json_object_get(root, "circular");
    if (circ && !json_is_boolean(circ)) {
        rc = yj_error(diag, doc, circ, "'circular' must be true or false");
        goto fail;
    }
    json_t *dims = json_object_get(root, "dimensions");
    if (!json_is_array(dims) || json_array_size(dims) == 0) {
        rc = yj_error(diag, doc, dims ? dims : root, "'dimensions' must be a non-empty list");
        goto fail;
    }
    rc = VSC_ERR_NOMEM;
    if (!(vs = calloc(1, sizeof(*vs)))) goto fail;
    vs->id = xstrdup(id);
    vs->name = xstrdup(title ? title : id);
    vs->dims = calloc(json_array_size(dims), sizeof(*vs->dims));
    if (!vs->id || !vs->name || !vs->dims) goto fail;
    size_t i;
    json_t *d;
    json_array_foreach(dims, i, d)
    {
        if ((rc = parse_dim(&vs->dims[i], doc, d, json_is_true(circ), i, diag))) {
            vs->n_dims = i + 1; /* free what was filled */
            goto fail;
        }
        vs->n_dims = i + 1;
        if (vsc_value_system_find(vs, vs->dims[i].id) < (int)i) {
            rc = yj_error(diag, doc, json_object_get(d, "id"), "duplicate dimension id '%s'",
                          vs->dims[i].id);
            goto fail;
        }
    }
    *out = vs;
    vs = NULL;
    rc = 0;
fail:
    vsc_value_system_free(vs);
    yj_free(doc);
    return rc;
}

static int value_system_builtin(struct vsc_value_system **out, const char *id,
                                struct vsc_diag *diag)
{
    *out = NULL;
    const char *text = id ? vs_builtin_text(id) : NULL;
    if (!text) {
        vsc_diag_set(diag, NULL, 0, 0,
                     "unknown built-in value system '%s' (schwartz, schwartz_ho, schwartz19, mft, "
                     "bigfive, hofstede)",
                     id ? id : "");
        return VSC_ERR_NOTFOUND;
    }
    char name[64];
    snprintf(name, sizeof(name), "builtin:%s", id);
    return vs_parse(out, text, strlen(text), name, diag);
}

int vsc_value_system_builtin(struct vsc_value_system **out, const char *id, struct vsc_diag *diag)
{
    vsc_diag_clear(diag);
    return vsc_diag_finish(diag, value_system_builtin(out, id, diag));
}

static int value_system_load(struct vsc_value_system **out, const char *path, struct vsc_diag *diag)
{
    *out = NULL;
    char *text;
    size_t len;
    int rc = read_text_file(&text, &len, path, diag);
    if (rc) return rc;
    rc = vs_parse(out, text, len, path, diag);
    free(text);
    return rc;
}

int vsc_value_system_load(struct vsc_value_system **out, const char *path, struct vsc_diag *diag)
{
    vsc_diag_clear(diag);
    return vsc_diag_finish(diag, value_system_load(out, path, diag));
}
