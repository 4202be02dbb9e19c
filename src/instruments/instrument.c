/* Instruments: ownership, lookup and rendering items into chat messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "instruments/ins_internal.h"
#include "util/letter.h"
#include "util/util.h"

/* Arrays grow by doubling at powers of two, so no capacity field is needed in the public
 * struct: when n is 0 or a power of two the block is full (or absent). */
static int grow(void **arr, size_t n, size_t elem)
{
    if (n != 0 && (n & (n - 1)) != 0) return 0;
    size_t cap = n ? n * 2 : 4;
    if (cap < n) return VSC_ERR_NOMEM;
    void *p = realloc(*arr, cap * elem);
    if (!p) return VSC_ERR_NOMEM;
    *arr = p;
    return 0;
}

struct vsc_instrument *ins_new(void)
{
    struct vsc_instrument *ins = calloc(1, sizeof(*ins));
    if (!ins) return NULL;
    ins->answer_mode = VSC_ANSWER_TEXT;
    ins->aggregate = VSC_AGG_AVG;
    return ins;
}

struct vsc_item *ins_add_item(struct vsc_instrument *ins)
{
    if (grow((void **)&ins->items, ins->n_items, sizeof(*ins->items))) return NULL;
    struct vsc_item *it = &ins->items[ins->n_items++];
    memset(it, 0, sizeof(*it));
    return it;
}

int ins_add_option(struct vsc_instrument *ins, const char *label, double value)
{
    if (grow((void **)&ins->options, ins->n_options, sizeof(*ins->options))) return VSC_ERR_NOMEM;
    char *l = xstrdup(label);
    if (!l) return VSC_ERR_NOMEM;
    ins->options[ins->n_options++] = (struct vsc_option){l, value};
    return 0;
}

struct vsc_group *ins_add_group(struct vsc_instrument *ins, const char *id)
{
    if (grow((void **)&ins->groups, ins->n_groups, sizeof(*ins->groups))) return NULL;
    struct vsc_group *g = &ins->groups[ins->n_groups];
    memset(g, 0, sizeof(*g));
    if (!(g->id = xstrdup(id))) return NULL;
    ins->n_groups++;
    return g;
}

static int push_str(char ***arr, size_t *n, const char *s)
{
    if (grow((void **)arr, *n, sizeof(**arr))) return VSC_ERR_NOMEM;
    char *c = xstrdup(s);
    if (!c) return VSC_ERR_NOMEM;
    (*arr)[(*n)++] = c;
    return 0;
}

int ins_group_add_dim(struct vsc_group *g, const char *dim)
{
    return push_str(&g->dims, &g->n_dims, dim);
}

int ins_group_add_item(struct vsc_group *g, const char *item_id)
{
    return push_str(&g->items, &g->n_items, item_id);
}

int ins_add_norm(struct vsc_instrument *ins, const char *crowd, const char *dimension, double mean,
                 double sd, double n)
{
    if (grow((void **)&ins->norms, ins->n_norms, sizeof(*ins->norms))) return VSC_ERR_NOMEM;
    struct vsc_norm nm = {xstrdup(crowd), xstrdup(dimension), mean, sd, n};
    if (!nm.crowd || !nm.dimension) {
        free(nm.crowd);
        free(nm.dimension);
        return VSC_ERR_NOMEM;
    }
    ins->norms[ins->n_norms++] = nm;
    return 0;
}

void vsc_instrument_free(struct vsc_instrument *ins)
{
    if (!ins) return;
    free(ins->id);
    free(ins->system);
    for (size_t i = 0; i < ins->n_items; i++) {
        struct vsc_item *it = &ins->items[i];
        free(it->id);
        free(it->text);
        free(it->dimension);
        free(it->messages_json);
        free(it->alias);
        free(it->question);
    }
    free(ins->items);
    for (size_t i = 0; i < ins->n_options; i++)
        free(ins->options[i].label);
    free(ins->options);
    free(ins->system_template);
    free(ins->user_template);
    for (size_t i = 0; i < ins->n_groups; i++) {
        struct vsc_group *g = &ins->groups[i];
        free(g->id);
        for (size_t j = 0; j < g->n_dims; j++)
            free(g->dims[j]);
        free(g->dims);
        for (size_t j = 0; j < g->n_items; j++)
            free(g->items[j]);
        free(g->items);
    }
    free(ins->groups);
    for (size_t i = 0; i < ins->n_norms; i++) {
        free(ins->norms[i].crowd);
        free(ins->norms[i].dimension);
    }
    free(ins->norms);
    free(ins);
}

long vsc_instrument_find_item(const struct vsc_instrument *ins, const char *item_id)
{
    if (!ins || !item_id) return -1;
    for (size_t i = 0; i < ins->n_items; i++)
        if (ins->items[i].id && strcmp(ins->items[i].id, item_id) == 0) return (long)i;
    for (size_t i = 0; i < ins->n_items; i++)
        if (ins->items[i].alias && strcmp(ins->items[i].alias, item_id) == 0) return (long)i;
    return -1;
}

/* ---- rendering ---------------------------------------------------------------------------- */

static const char DEFAULT_USER_TEMPLATE[] =
    "{item}\n\nOptions:\n{options}\n\nAnswer with the letter of one option only.";

static int push_message(json_t *arr, const char *role, const char *content)
{
    json_t *m = json_object();
    if (!m) return VSC_ERR_NOMEM;
    if (json_object_set_new(m, "role", json_string(role)) ||
        json_object_set_new(m, "content", json_string(content)) || json_array_append_new(arr, m))
        return VSC_ERR_NOMEM; /* jansson frees m on a failed append_new */
    return 0;
}

int vsc_instrument_render(char **out_messages_json, const struct vsc_instrument *ins,
                          size_t item_index, const size_t *order, const char *persona)
{
    *out_messages_json = NULL;
    if (!ins || item_index >= ins->n_items) return VSC_ERR_INPUT;
    const struct vsc_item *it = &ins->items[item_index];
    json_t *arr = json_array();
    struct buf opts, text;
    buf_init(&opts, 0);
    buf_init(&text, 0);
    int rc = VSC_ERR_NOMEM;
    if (!arr) goto fail;

    if (it->messages_json) {
        json_error_t err;
        json_t *msgs = json_loads(it->messages_json, 0, &err);
        if (!msgs || !json_is_array(msgs)) {
            json_decref(msgs);
            rc = VSC_ERR_INPUT;
            goto fail;
        }
        if (persona && (rc = push_message(arr, "system", persona))) {
            json_decref(msgs);
            goto fail;
        }
        rc = json_array_extend(arr, msgs) ? VSC_ERR_NOMEM : 0;
        json_decref(msgs);
        if (rc) goto fail;
    } else if (ins->n_options == 0 && it->text) { /* a raw prompt kept as plain text */
        if ((persona && (rc = push_message(arr, "system", persona))) ||
            (rc = push_message(arr, "user", it->text)))
            goto fail;
    } else {
        double lo = 0, hi = 0;
        for (size_t i = 0; i < ins->n_options; i++) {
            size_t k = order ? order[i] : i;
            rc = VSC_ERR_INPUT;
            if (k >= ins->n_options) goto fail;
            char letter[OPTION_LETTER_MAX];
            option_letter(letter, i);
            rc = VSC_ERR_NOMEM;
            if (buf_printf(&opts, "%s%s. %s", i ? "\n" : "", letter, ins->options[k].label))
                goto fail;
            double v = ins->options[i].value;
            if (i == 0 || v < lo) lo = v;
            if (i == 0 || v > hi) hi = v;
        }
        char smin[32], smax[32];
        snprintf(smin, sizeof(smin), "%g", lo);
        snprintf(smax, sizeof(smax), "%g", hi);
        const char *keys[] = {"item", "options", "persona", "scale_min", "scale_max"};
        const char *vals[] = {it->text ? it->text : "", opts.data ? opts.data : "",
                              persona ? persona : "", smin, smax};
        const char *utpl = ins->user_template ? ins->user_template : DEFAULT_USER_TEMPLATE;
        int persona_slot = strstr(utpl, "{persona}") ||
                           (ins->system_template && strstr(ins->system_template, "{persona}"));
        if (ins->system_template) {
            if ((rc = buf_fill(&text, ins->system_template, keys, vals, 5))) goto fail;
            if (persona && !persona_slot && (rc = buf_printf(&text, "\n\n%s", persona))) goto fail;
            if ((rc = push_message(arr, "system", text.data ? text.data : ""))) goto fail;
            buf_reset(&text);
        } else if (persona && !persona_slot) {
            if ((rc = push_message(arr, "system", persona))) goto fail;
        }
        if ((rc = buf_fill(&text, utpl, keys, vals, 5))) goto fail;
        if ((rc = push_message(arr, "user", text.data ? text.data : ""))) goto fail;
    }
    char *s = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER);
    rc = VSC_ERR_NOMEM;
    if (!s) goto fail;
    /* jansson allocates with malloc by default; hand the caller a plain malloc'd string. */
    *out_messages_json = s;
    rc = 0;
fail:
    json_decref(arr);
    buf_free(&opts);
    buf_free(&text);
    return rc;
}
