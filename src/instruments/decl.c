/* The declarative instrument format (`file:PATH`, and the built-in item banks): YAML or JSON
 * with items, a response scale, templates and scoring settings. docs/instruments.md has the
 * format; every check reports the file, line and column of the node at fault. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "instruments/ins_internal.h"
#include "util/util.h"

struct ctx {
    const struct yj_doc *doc;
    struct vsc_diag *diag;
    struct vsc_instrument *ins;
    struct vsc_value_system *vs; /* dimensions are checked against it */
};

/* Ids may be written as text or as whole numbers (PVQ-style "12"). */
static int get_id(char out[64], struct ctx *c, const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!v) return yj_error(c->diag, c->doc, obj, "missing '%s'", key);
    if (json_is_integer(v)) {
        snprintf(out, 64, "%lld", (long long)json_integer_value(v));
        return 0;
    }
    if (!json_is_string(v) || json_string_length(v) == 0)
        return yj_error(c->diag, c->doc, v, "'%s' must be non-empty text or a number", key);
    if (json_string_length(v) >= 64)
        return yj_error(c->diag, c->doc, v, "'%s' is longer than 63 bytes", key);
    snprintf(out, 64, "%s", json_string_value(v));
    return 0;
}

static int get_number(double *out, struct ctx *c, const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!v) return yj_error(c->diag, c->doc, obj, "missing '%s'", key);
    if (!json_is_number(v)) return yj_error(c->diag, c->doc, v, "'%s' must be a number", key);
    *out = json_number_value(v);
    return 0;
}

static int parse_scale(struct ctx *c, const json_t *scale, const json_t *root)
{
    static const char *const keys[] = {"label", "value", NULL};
    if (!scale) return yj_error(c->diag, c->doc, root, "missing 'scale' (the response options)");
    if (!json_is_array(scale) || json_array_size(scale) < 2)
        return yj_error(c->diag, c->doc, scale,
                        "'scale' must be a list of at least 2 options {label, value}");
    size_t i;
    json_t *o;
    json_array_foreach(scale, i, o)
    {
        if (!json_is_object(o))
            return yj_error(c->diag, c->doc, o, "a scale option must be a mapping {label, value}");
        int rc = yj_check_keys(c->doc, o, keys, "a scale option", c->diag);
        const char *label;
        double value;
        if (rc || (rc = yj_get_string(&label, c->doc, o, "label", 1, c->diag)) ||
            (rc = get_number(&value, c, o, "value")))
            return rc;
        for (size_t k = 0; k < c->ins->n_options; k++)
            if (strcasecmp(c->ins->options[k].label, label) == 0)
                return yj_error(c->diag, c->doc, json_object_get(o, "label"),
                                "duplicate scale label '%s'", label);
        if ((rc = ins_add_option(c->ins, label, value))) return rc;
    }
    return 0;
}

static int parse_item(struct ctx *c, const json_t *node)
{
    static const char *const keys[] = {"id",     "text",     "dimension", "key",
                                       "scored", "question", NULL};
    if (!json_is_object(node)) return yj_error(c->diag, c->doc, node, "an item must be a mapping");
    int rc = yj_check_keys(c->doc, node, keys, "an item", c->diag);
    if (rc) return rc;
    char id[64];
    const char *text, *dim, *question;
    if ((rc = get_id(id, c, node, "id")) ||
        (rc = yj_get_string(&text, c->doc, node, "text", 1, c->diag)) ||
        (rc = yj_get_string(&dim, c->doc, node, "dimension", 0, c->diag)) ||
        (rc = yj_get_string(&question, c->doc, node, "question", 0, c->diag)))
        return rc;
    if (vsc_instrument_find_item(c->ins, id) >= 0)
        return yj_error(c->diag, c->doc, json_object_get(node, "id"), "duplicate item id '%s'", id);
    json_t *scored = json_object_get(node, "scored"), *key = json_object_get(node, "key");
    if (scored && !json_is_boolean(scored))
        return yj_error(c->diag, c->doc, scored, "'scored' must be true or false");
    int k = 1;
    if (scored && json_is_false(scored)) {
        /* Administered but not scored (e.g. PVQ-RR's face items). */
        if (dim)
            return yj_error(c->diag, c->doc, json_object_get(node, "dimension"),
                            "item '%s' is 'scored: false' and cannot have a dimension", id);
        if (key && !(json_is_integer(key) && json_integer_value(key) == 0))
            return yj_error(c->diag, c->doc, key, "an unscored item has no key (or key 0)");
        k = 0;
    } else {
        if (!dim || !*dim)
            return yj_error(c->diag, c->doc, node,
                            "item '%s' has no dimension (add one, or 'scored: false')", id);
        if (vsc_value_system_find(c->vs, dim) < 0)
            return yj_error(c->diag, c->doc, json_object_get(node, "dimension"),
                            "unknown dimension '%s' (not in value system '%s')", dim, c->vs->id);
        if (key) {
            if (!json_is_integer(key) ||
                (json_integer_value(key) != 1 && json_integer_value(key) != -1))
                return yj_error(c->diag, c->doc, key,
                                "'key' must be 1 or -1 (reverse keyed) in item '%s'", id);
            k = (int)json_integer_value(key);
        }
    }
    struct vsc_item *it = ins_add_item(c->ins);
    if (!it || !(it->id = xstrdup(id)) || !(it->text = xstrdup(text)) ||
        (dim && k && !(it->dimension = xstrdup(dim))) ||
        (question && !(it->question = xstrdup(question))))
        return VSC_ERR_NOMEM;
    it->key = k;
    return 0;
}

static int parse_group(struct ctx *c, const json_t *node)
{
    static const char *const keys[] = {"id", "dims", "items", NULL};
    if (!json_is_object(node)) return yj_error(c->diag, c->doc, node, "a group must be a mapping");
    int rc = yj_check_keys(c->doc, node, keys, "a group", c->diag);
    char id[64];
    if (rc || (rc = get_id(id, c, node, "id"))) return rc;
    for (size_t i = 0; i < c->ins->n_groups; i++)
        if (strcmp(c->ins->groups[i].id, id) == 0)
            return yj_error(c->diag, c->doc, json_object_get(node, "id"), "duplicate group id '%s'",
                            id);
    json_t *dims = json_object_get(node, "dims"), *items = json_object_get(node, "items");
    if (!!dims == !!items)
        return yj_error(c->diag, c->doc, node, "group '%s' needs either 'dims' or 'items'", id);
    json_t *list = dims ? dims : items;
    if (!json_is_array(list) || json_array_size(list) == 0)
        return yj_error(c->diag, c->doc, list, "'%s' of group '%s' must be a non-empty list",
                        dims ? "dims" : "items", id);
    struct vsc_group *g = ins_add_group(c->ins, id);
    if (!g) return VSC_ERR_NOMEM;
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        char ref[64];
        if (json_is_integer(v)) {
            snprintf(ref, sizeof(ref), "%lld", (long long)json_integer_value(v));
        } else if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) < 64) {
            snprintf(ref, sizeof(ref), "%s", json_string_value(v));
        } else {
            return yj_error(c->diag, c->doc, v, "a group member must be an id");
        }
        if (dims) {
            if (vsc_value_system_find(c->vs, ref) < 0)
                return yj_error(c->diag, c->doc, v,
                                "unknown dimension '%s' in group '%s' (not in value system "
                                "'%s')",
                                ref, id, c->vs->id);
            if ((rc = ins_group_add_dim(g, ref))) return rc;
        } else {
            long k = vsc_instrument_find_item(c->ins, ref);
            if (k < 0)
                return yj_error(c->diag, c->doc, v, "unknown item '%s' in group '%s'", ref, id);
            if (!c->ins->items[k].dimension)
                return yj_error(c->diag, c->doc, v, "item '%s' in group '%s' is not scored", ref,
                                id);
            if ((rc = ins_group_add_item(g, c->ins->items[k].id))) return rc;
        }
    }
    return 0;
}

static int parse_norm(struct ctx *c, const json_t *node)
{
    static const char *const keys[] = {"crowd", "dimension", "mean", "sd", "n", NULL};
    if (!json_is_object(node)) return yj_error(c->diag, c->doc, node, "a norm must be a mapping");
    int rc = yj_check_keys(c->doc, node, keys, "a norm", c->diag);
    const char *crowd, *dim;
    double mean, sd, n;
    if (rc || (rc = yj_get_string(&crowd, c->doc, node, "crowd", 1, c->diag)) ||
        (rc = yj_get_string(&dim, c->doc, node, "dimension", 1, c->diag)) ||
        (rc = get_number(&mean, c, node, "mean")) || (rc = get_number(&sd, c, node, "sd")) ||
        (rc = get_number(&n, c, node, "n")))
        return rc;
    int known = vsc_value_system_find(c->vs, dim) >= 0;
    for (size_t i = 0; !known && i < c->ins->n_groups; i++)
        known = strcmp(c->ins->groups[i].id, dim) == 0;
    if (!known)
        return yj_error(c->diag, c->doc, json_object_get(node, "dimension"),
                        "norm for unknown dimension or group '%s'", dim);
    if (sd < 0 || n < 0)
        return yj_error(c->diag, c->doc, node, "a norm's sd and n must not be negative");
    return ins_add_norm(c->ins, crowd, dim, mean, sd, n);
}

static int get_choice(int *out, struct ctx *c, const json_t *root, const char *key, const char *a,
                      const char *b)
{
    json_t *v = json_object_get(root, key);
    if (!v) return 0;
    const char *s = json_string_value(v);
    if (s && strcasecmp(s, a) == 0)
        *out = 0;
    else if (s && strcasecmp(s, b) == 0)
        *out = 1;
    else
        return yj_error(c->diag, c->doc, v, "'%s' must be %s or %s", key, a, b);
    return 0;
}

static int parse_templates(struct ctx *c, const json_t *t)
{
    static const char *const keys[] = {"system", "user", NULL};
    if (!t) return 0;
    if (!json_is_object(t))
        return yj_error(c->diag, c->doc, t, "'templates' must be a mapping {system, user}");
    const char *sys, *user;
    int rc = yj_check_keys(c->doc, t, keys, "templates", c->diag);
    if (rc || (rc = yj_get_string(&sys, c->doc, t, "system", 0, c->diag)) ||
        (rc = yj_get_string(&user, c->doc, t, "user", 0, c->diag)))
        return rc;
    if (user && !strstr(user, "{item}"))
        return yj_error(c->diag, c->doc, json_object_get(t, "user"),
                        "the user template has no {item} slot");
    if ((sys && !(c->ins->system_template = xstrdup(sys))) ||
        (user && !(c->ins->user_template = xstrdup(user))))
        return VSC_ERR_NOMEM;
    return 0;
}

static int load_system(struct ctx *c, const json_t *root, const char *base_dir)
{
    const char *sys, *sys_file;
    int rc;
    if ((rc = yj_get_string(&sys, c->doc, root, "system", 0, c->diag)) ||
        (rc = yj_get_string(&sys_file, c->doc, root, "system_file", 0, c->diag)))
        return rc;
    if (sys && sys_file)
        return yj_error(c->diag, c->doc, root, "give either 'system' or 'system_file', not both");
    if (sys_file) {
        char *path = path_join(base_dir, sys_file);
        if (!path) return VSC_ERR_NOMEM;
        rc = vsc_value_system_load(&c->vs, path, c->diag);
        free(path);
        return rc;
    }
    if (!sys)
        return yj_error(c->diag, c->doc, root,
                        "missing 'system' (the value system the dimensions belong to)");
    if (vsc_value_system_builtin(&c->vs, sys, NULL))
        return yj_error(c->diag, c->doc, json_object_get(root, "system"),
                        "unknown value system '%s' (a built-in id, or use system_file)", sys);
    return 0;
}

static int parse_root(struct ctx *c, const json_t *root, const char *base_dir)
{
    static const char *const keys[] = {"id",        "name",   "system",    "system_file", "scale",
                                       "templates", "answer", "aggregate", "centre",      "items",
                                       "groups",    "norms",  NULL};
    if (!json_is_object(root))
        return yj_error(c->diag, c->doc, root, "an instrument must be a mapping");
    int rc = yj_check_keys(c->doc, root, keys, "an instrument", c->diag);
    char id[64];
    if (rc || (rc = get_id(id, c, root, "id"))) return rc;
    if ((rc = load_system(c, root, base_dir))) return rc;
    if (!(c->ins->id = xstrdup(id)) || !(c->ins->system = xstrdup(c->vs->id))) return VSC_ERR_NOMEM;
    if ((rc = parse_scale(c, json_object_get(root, "scale"), root)) ||
        (rc = parse_templates(c, json_object_get(root, "templates"))))
        return rc;
    int mode = 0, agg = 0;
    if ((rc = get_choice(&mode, c, root, "answer", "text", "logprobs")) ||
        (rc = get_choice(&agg, c, root, "aggregate", "avg", "sum")))
        return rc;
    c->ins->answer_mode = mode ? VSC_ANSWER_LOGPROBS : VSC_ANSWER_TEXT;
    c->ins->aggregate = agg ? VSC_AGG_SUM : VSC_AGG_AVG;
    json_t *centre = json_object_get(root, "centre");
    if (centre && !json_is_boolean(centre))
        return yj_error(c->diag, c->doc, centre, "'centre' must be true or false");
    c->ins->centre = json_is_true(centre);

    json_t *items = json_object_get(root, "items");
    if (!json_is_array(items) || json_array_size(items) == 0)
        return yj_error(c->diag, c->doc, items ? items : root, "'items' must be a non-empty list");
    size_t i;
    json_t *v;
    json_array_foreach(items, i, v) if ((rc = parse_item(c, v))) return rc;
    json_t *groups = json_object_get(root, "groups"), *norms = json_object_get(root, "norms");
    if (groups && !json_is_array(groups))
        return yj_error(c->diag, c->doc, groups, "'groups' must be a list");
    json_array_foreach(groups, i, v) if ((rc = parse_group(c, v))) return rc;
    if (norms && !json_is_array(norms))
        return yj_error(c->diag, c->doc, norms, "'norms' must be a list");
    json_array_foreach(norms, i, v) if ((rc = parse_norm(c, v))) return rc;
    return 0;
}

int ins_parse_decl_in(struct vsc_instrument **out, const char *text, size_t len, const char *name,
                      const char *base_dir, struct vsc_diag *diag)
{
    *out = NULL;
    struct yj_doc *doc = NULL;
    struct ctx c = {NULL, diag, NULL, NULL};
    int rc = yj_parse(&doc, text, len, name, diag);
    if (rc) goto fail;
    c.doc = doc;
    rc = VSC_ERR_NOMEM;
    if (!(c.ins = ins_new())) goto fail;
    if ((rc = parse_root(&c, yj_root(doc), base_dir))) goto fail;
    *out = c.ins;
    c.ins = NULL;
fail:
    vsc_instrument_free(c.ins);
    vsc_value_system_free(c.vs);
    yj_free(doc);
    return rc;
}

int ins_parse_decl(struct vsc_instrument **out, const char *text, size_t len, const char *name,
                   struct vsc_diag *diag)
{
    return ins_parse_decl_in(out, text, len, name, NULL, diag);
}

int ins_load_decl_file(struct vsc_instrument **out, const char *path, struct vsc_diag *diag)
{
    *out = NULL;
    char *text = NULL, *dir = NULL;
    size_t len;
    int rc = read_text_file(&text, &len, path, diag);
    if (rc) goto fail;
    rc = VSC_ERR_NOMEM;
    if (!(dir = path_dirname(path))) goto fail;
    rc = ins_parse_decl_in(out, text, len, path, dir, diag);
fail:
    free(text);
    free(dir);
    return rc;
}
