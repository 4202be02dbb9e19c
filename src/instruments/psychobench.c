/* `psychobench:FILE[#NAME]`: one questionnaire of PsychoBench's questionnaires.json, a list of
 * {name, questions{num: text}, scale, reverse[], compute_mode, categories[{cat_name,
 * cat_questions[], crowd[{crowd_name, mean, std, n}]}], inner_setting, prompt}.
 * Categories become dimensions, crowd entries norms. PsychoBench reverse-scores an answer x as
 * scale - x, so the options are 1 .. scale-1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "instruments/ins_internal.h"
#include "util/util.h"

#define MAX_SCALE 101

static const char USER_TAIL[] = "\n\n{item}\n\n{options}\n\nAnswer with the letter of one option "
                                "only.";

/* A question number from an int or a numeric string, as text; 0 on success. */
static int num_text(char out[32], const json_t *v)
{
    if (json_is_integer(v)) {
        snprintf(out, 32, "%lld", (long long)json_integer_value(v));
        return 0;
    }
    if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) < 32) {
        snprintf(out, 32, "%s", json_string_value(v));
        return 0;
    }
    return -1;
}

static json_t *pick(const struct yj_doc *doc, const char *path, const char *name,
                    struct vsc_diag *diag, int *rc)
{
    json_t *root = yj_root(doc), *q;
    size_t i;
    *rc = 0;
    if (!json_is_array(root)) {
        *rc = yj_error(diag, doc, root, "a PsychoBench file is a list of questionnaires");
        return NULL;
    }
    if (!name || !*name) {
        if (json_array_size(root) == 1) return json_array_get(root, 0);
        struct buf b;
        buf_init(&b, 600);
        json_array_foreach(root, i, q)
        {
            const char *n = json_string_value(json_object_get(q, "name"));
            if (n && buf_printf(&b, "%s%s", b.len ? ", " : "", n)) break;
        }
        *rc = vsc_diag_set(diag, path, 0, 0,
                           "the file has %zu questionnaires; name one with "
                           "#NAME (%s)",
                           json_array_size(root), b.data ? b.data : "");
        buf_free(&b);
        return NULL;
    }
    json_t *found = NULL;
    json_array_foreach(root, i, q)
    {
        const char *n = json_string_value(json_object_get(q, "name"));
        if (!n || strcmp(n, name) != 0) continue;
        if (found) {
            int line, col;
            yj_where(doc, found, &line, &col);
            *rc = yj_error(diag, doc, q,
                           "two questionnaires named '%s' (the first at line %d): ambiguous", name,
                           line);
            return NULL;
        }
        found = q;
    }
    if (!found) *rc = vsc_diag_set(diag, path, 0, 0, "no questionnaire named '%s'", name);
    return found;
}

static int parse_categories(struct vsc_instrument *ins, const struct yj_doc *doc, const json_t *q,
                            struct vsc_diag *diag)
{
    json_t *cats = json_object_get(q, "categories"), *cat;
    size_t i;
    if (cats && !json_is_array(cats))
        return yj_error(diag, doc, cats, "'categories' must be a list");
    json_array_foreach(cats, i, cat)
    {
        const char *cname;
        int rc;
        if (!json_is_object(cat)) return yj_error(diag, doc, cat, "a category must be an object");
        if ((rc = yj_get_string(&cname, doc, cat, "cat_name", 1, diag))) return rc;
        json_t *qs = json_object_get(cat, "cat_questions"), *v;
        if (!json_is_array(qs) || json_array_size(qs) == 0)
            return yj_error(diag, doc, qs ? qs : cat,
                            "'cat_questions' of '%s' must be a non-empty list", cname);
        /* A category whose questions are still free becomes their dimension; one that
         * overlaps an earlier category is scored as a group of its questions instead. */
        int overlaps = 0;
        size_t k;
        json_array_foreach(qs, k, v)
        {
            char num[32];
            long at = num_text(num, v) ? -1 : vsc_instrument_find_item(ins, num);
            if (at < 0)
                return yj_error(diag, doc, v, "category '%s' names an unknown question", cname);
            if (ins->items[at].dimension) overlaps = 1;
        }
        struct vsc_group *g = overlaps ? ins_add_group(ins, cname) : NULL;
        if (overlaps && !g) return VSC_ERR_NOMEM;
        json_array_foreach(qs, k, v)
        {
            char num[32];
            num_text(num, v);
            struct vsc_item *it = &ins->items[vsc_instrument_find_item(ins, num)];
            if (g) {
                if (ins_group_add_item(g, it->id)) return VSC_ERR_NOMEM;
            } else if (!it->dimension) { /* (a question listed twice is set once) */
                if (!(it->dimension = xstrdup(cname))) return VSC_ERR_NOMEM;
                it->key = 1;
            }
        }
        json_t *crowd = json_object_get(cat, "crowd"), *c;
        if (crowd && !json_is_array(crowd))
            return yj_error(diag, doc, crowd, "'crowd' of '%s' must be a list", cname);
        json_array_foreach(crowd, k, c)
        {
            const char *who;
            json_t *mean = json_object_get(c, "mean"), *sd = json_object_get(c, "std"),
                   *n = json_object_get(c, "n");
            if (!json_is_object(c)) return yj_error(diag, doc, c, "a crowd must be an object");
            if ((rc = yj_get_string(&who, doc, c, "crowd_name", 1, diag))) return rc;
            if (!json_is_number(mean) || !json_is_number(sd) || !json_is_number(n))
                return yj_error(diag, doc, c, "crowd '%s' needs numbers mean, std and n", who);
            if ((rc = ins_add_norm(ins, who, cname, json_number_value(mean), json_number_value(sd),
                                   json_number_value(n))))
                return rc;
        }
    }
    return 0;
}

static int build(struct vsc_instrument *ins, const struct yj_doc *doc, const json_t *q,
                 struct vsc_diag *diag)
{
    const char *name, *inner, *prompt;
    int rc;
    if (!json_is_object(q)) return yj_error(diag, doc, q, "a questionnaire must be an object");
    if ((rc = yj_get_string(&name, doc, q, "name", 1, diag)) ||
        (rc = yj_get_string(&inner, doc, q, "inner_setting", 0, diag)) ||
        (rc = yj_get_string(&prompt, doc, q, "prompt", 0, diag)))
        return rc;
    json_t *scale = json_object_get(q, "scale");
    if (!json_is_integer(scale) || json_integer_value(scale) < 3 ||
        json_integer_value(scale) > MAX_SCALE)
        return yj_error(diag, doc, scale ? scale : q,
                        "'scale' must be a whole number from 3 to %d (answers run 1..scale-1)",
                        MAX_SCALE);
    json_t *mode = json_object_get(q, "compute_mode");
    const char *m = json_string_value(mode);
    if (mode && !(m && (strcasecmp(m, "SUM") == 0 || strcasecmp(m, "AVG") == 0)))
        return yj_error(diag, doc, mode, "'compute_mode' must be SUM or AVG");
    ins->aggregate = m && strcasecmp(m, "SUM") == 0 ? VSC_AGG_SUM : VSC_AGG_AVG;

    json_t *qs = json_object_get(q, "questions"), *v;
    const char *num;
    if (!json_is_object(qs) || json_object_size(qs) == 0)
        return yj_error(diag, doc, qs ? qs : q, "'questions' must be a non-empty object");
    json_object_foreach(qs, num, v)
    {
        if (!json_is_string(v) || json_string_length(v) == 0)
            return yj_error(diag, doc, v, "question '%s' must be non-empty text", num);
        struct vsc_item *it = ins_add_item(ins);
        if (!it || !(it->id = xstrdup(num)) || !(it->text = xstrdup(json_string_value(v))))
            return VSC_ERR_NOMEM;
    }
    if ((rc = parse_categories(ins, doc, q, diag))) return rc;
    json_t *rev = json_object_get(q, "reverse");
    size_t i;
    if (rev && !json_is_array(rev)) return yj_error(diag, doc, rev, "'reverse' must be a list");
    json_array_foreach(rev, i, v)
    {
        char n[32];
        long at = num_text(n, v) ? -1 : vsc_instrument_find_item(ins, n);
        if (at < 0) return yj_error(diag, doc, v, "'reverse' names an unknown question");
        if (ins->items[at].key) ins->items[at].key = -1;
    }
    for (long s = 1; s < json_integer_value(scale); s++) {
        char label[24];
        snprintf(label, sizeof(label), "%ld", s);
        if (ins_add_option(ins, label, (double)s)) return VSC_ERR_NOMEM;
    }
    if (!(ins->id = xasprintf("psychobench:%s", name)) ||
        !(ins->system = xasprintf("psychobench:%s", name)) ||
        (inner && *inner && !(ins->system_template = xstrdup(inner))) ||
        !(ins->user_template = xasprintf("%s%s", prompt ? prompt : "", USER_TAIL)))
        return VSC_ERR_NOMEM;
    return 0;
}

int ins_load_psychobench(struct vsc_instrument **out, const char *path, const char *name,
                         struct vsc_diag *diag)
{
    *out = NULL;
    struct yj_doc *doc = NULL;
    struct vsc_instrument *ins = NULL;
    int rc = yj_load(&doc, path, diag);
    if (rc) goto fail;
    json_t *q = pick(doc, path, name, diag, &rc);
    if (!q) goto fail;
    rc = VSC_ERR_NOMEM;
    if (!(ins = ins_new())) goto fail;
    if ((rc = build(ins, doc, q, diag))) goto fail;
    *out = ins;
    ins = NULL;
fail:
    vsc_instrument_free(ins);
    yj_free(doc);
    return rc;
}
