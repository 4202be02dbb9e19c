/* Outcome files ({category: [outcome, ...]}) and the `utility:FILE` instrument. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "instruments/ins_internal.h"
#include "util/util.h"
#include "util/yamljson.h"
#include "utility/utility_int.h"
#include "valscope/utility.h"

void vsc_outcomes_free(struct vsc_outcomes *o)
{
    if (!o) return;
    for (size_t i = 0; i < o->n; i++) {
        free(o->text[i]);
        free(o->category[i]);
    }
    free(o->text);
    free(o->category);
    free(o);
}

static int outcomes_load(struct vsc_outcomes **out, const char *path, struct vsc_diag *diag)
{
    *out = NULL;
    struct yj_doc *doc = NULL;
    int rc = yj_load(&doc, path, diag);
    if (rc) return rc;
    json_t *root = yj_root(doc);
    struct vsc_outcomes *o = calloc(1, sizeof *o);
    size_t cap = 0;
    if (!o) {
        rc = VSC_ERR_NOMEM;
        goto fail;
    }
    if (!json_is_object(root) || json_object_size(root) == 0) {
        rc = yj_error(diag, doc, root,
                      "outcomes: expected a mapping {category: [outcome, ...]} with at least "
                      "one category");
        goto fail;
    }
    const char *cat;
    json_t *list;
    json_object_foreach(root, cat, list)
    {
        if (!json_is_array(list) || json_array_size(list) == 0) {
            rc = yj_error(diag, doc, list, "outcomes: category '%s' must be a non-empty list", cat);
            goto fail;
        }
        size_t i;
        json_t *v;
        json_array_foreach(list, i, v)
        {
            if (!json_is_string(v) || !*json_string_value(v)) {
                rc = yj_error(diag, doc, v, "outcomes: entry %zu of '%s' must be non-empty text",
                              i + 1, cat);
                goto fail;
            }
            const char *t = json_string_value(v);
            for (size_t j = 0; j < o->n; j++)
                if (!strcmp(o->text[j], t)) {
                    rc = yj_error(diag, doc, v, "outcomes: '%s' is listed twice", t);
                    goto fail;
                }
            if (o->n == cap) {
                cap = cap ? cap * 2 : 64;
                char **a = realloc(o->text, cap * sizeof *a), **b;
                if (!a) {
                    rc = VSC_ERR_NOMEM;
                    goto fail;
                }
                o->text = a;
                if (!(b = realloc(o->category, cap * sizeof *b))) {
                    rc = VSC_ERR_NOMEM;
                    goto fail;
                }
                o->category = b;
            }
            o->text[o->n] = xstrdup(t);
            o->category[o->n] = xstrdup(cat);
            o->n++;
            if (!o->text[o->n - 1] || !o->category[o->n - 1]) {
                rc = VSC_ERR_NOMEM;
                goto fail;
            }
        }
    }
    if (o->n < 2) {
        rc = yj_error(diag, doc, root, "outcomes: at least two outcomes are needed");
        goto fail;
    }
    yj_free(doc);
    *out = o;
    return 0;
fail:
    yj_free(doc);
    vsc_outcomes_free(o);
    return rc;
}

int vsc_outcomes_load(struct vsc_outcomes **out, const char *path, struct vsc_diag *diag)
{
    vsc_diag_clear(diag);
    return vsc_diag_finish(diag, outcomes_load(out, path, diag));
}

int utility_load_instrument(struct vsc_instrument **out, const char *path, struct vsc_diag *diag)
{
    /* The instrument carries no items and no options: its pairs are planned by the utility
     * stage, and the questionnaire scorer skips it (it has no options to read). Loading the
     * outcomes here still checks the file before a run starts. */
    struct vsc_outcomes *o = NULL;
    *out = NULL;
    int rc = vsc_outcomes_load(&o, path, diag);
    if (rc) return rc;
    vsc_outcomes_free(o);
    struct vsc_instrument *ins = ins_new();
    if (!ins || !(ins->id = xasprintf("utility:%s", path)) || !(ins->system = xstrdup("utility"))) {
        vsc_instrument_free(ins);
        return VSC_ERR_NOMEM;
    }
    *out = ins;
    return 0;
}
