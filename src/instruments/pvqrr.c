/* `pvqrr:FILE`: the PVQ-RR's 57 items from the user's JSONL file ({"statement", "options",
 * "question_number"}), scored with the published key below. The wording stays in the user's
 * file; only item numbers and value names live here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "instruments/ins_internal.h"
#include "util/readers.h"
#include "util/util.h"

#define PVQ_N 57

/* Item number -> basic value (Schwartz's PVQ-RR key; humility items count to tradition).
 * Items 9, 24 and 49 (face) are administered but not scored. */
static const struct {
    const char *value;
    int items[10];
} KEY[] = {
    {"self-direction", {1, 23, 39, 16, 30, 56}},
    {"stimulation", {10, 28, 43}},
    {"hedonism", {3, 36, 46}},
    {"achievement", {17, 32, 48}},
    {"power", {6, 29, 41, 12, 20, 44}},
    {"security", {13, 26, 53, 2, 35, 50}},
    {"conformity", {15, 31, 42, 4, 22, 51}},
    {"tradition", {18, 33, 40, 7, 38, 54}},
    {"benevolence", {11, 25, 47, 19, 27, 55}},
    {"universalism", {8, 21, 45, 5, 37, 52, 14, 34, 57}},
};

/* The role-play reports' grouping: conservation takes only the tradition items 18, 33, 40
 * (not the humility items), so it is an explicit item list. */
static const int CONSERVATION[] = {13, 26, 53, 2, 35, 50, 15, 31, 42, 4, 22, 51, 18, 33, 40};

static const char USER_TEMPLATE[] =
    "{item}\n\nHow much is this like you?\n{options}\n\nAnswer with the letter of one option only.";

static const char *value_of(int number)
{
    for (size_t v = 0; v < sizeof(KEY) / sizeof(KEY[0]); v++)
        for (size_t i = 0; i < 10 && KEY[v].items[i]; i++)
            if (KEY[v].items[i] == number) return KEY[v].value;
    return NULL;
}

struct pvq_state {
    struct vsc_instrument *ins;
    const char *path;
    struct vsc_diag *diag;
    int line_of[PVQ_N + 1]; /* where each number was seen, 0 when not yet */
    json_t *options;        /* the first line's options, every line must repeat them */
    int options_line;
};

static int on_line(json_t *obj, int line, void *payload)
{
    struct pvq_state *st = payload;
    if (!json_is_object(obj))
        return vsc_diag_set(st->diag, st->path, line, 1, "each line must be a JSON object");
    json_t *stmt = json_object_get(obj, "statement"), *opts = json_object_get(obj, "options"),
           *num = json_object_get(obj, "question_number");
    if (!json_is_integer(num) || json_integer_value(num) < 1 || json_integer_value(num) > PVQ_N)
        return vsc_diag_set(st->diag, st->path, line, 1,
                            "\"question_number\" must be a whole number from 1 to %d", PVQ_N);
    int n = (int)json_integer_value(num);
    if (st->line_of[n])
        return vsc_diag_set(st->diag, st->path, line, 1,
                            "question %d appears twice (first on line %d)", n, st->line_of[n]);
    if (!json_is_string(stmt) || json_string_length(stmt) == 0)
        return vsc_diag_set(st->diag, st->path, line, 1,
                            "\"statement\" must be non-empty text (question %d)", n);
    if (!json_is_array(opts) || json_array_size(opts) != 6)
        return vsc_diag_set(st->diag, st->path, line, 1,
                            "\"options\" must be a list of the 6 answer labels (question %d)", n);
    size_t i;
    json_t *o;
    json_array_foreach(opts, i,
                       o) if (!json_is_string(o) ||
                              json_string_length(o) ==
                                  0) return vsc_diag_set(st->diag, st->path, line, 1,
                                                         "option %zu of question %d is not text",
                                                         i + 1, n);
    if (!st->options) {
        st->options = json_incref(opts);
        st->options_line = line;
        json_array_foreach(opts, i, o) if (ins_add_option(st->ins, json_string_value(o),
                                                          (double)(i + 1))) return VSC_ERR_NOMEM;
    } else if (!json_equal(opts, st->options)) {
        /* One scale for the whole instrument: answers are read against it. */
        return vsc_diag_set(st->diag, st->path, line, 1,
                            "question %d has options different from line %d's", n,
                            st->options_line);
    }
    st->line_of[n] = line;
    struct vsc_item *it = ins_add_item(st->ins);
    const char *value = value_of(n);
    if (!it || !(it->id = xasprintf("%d", n)) || !(it->text = xstrdup(json_string_value(stmt))) ||
        (value && !(it->dimension = xstrdup(value))))
        return VSC_ERR_NOMEM;
    it->key = value ? 1 : 0;
    return 0;
}

static int add_groups(struct vsc_instrument *ins)
{
    static const char *const open[] = {"self-direction", "stimulation", "hedonism", NULL};
    static const char *const enh[] = {"achievement", "power", NULL};
    static const char *const tra[] = {"benevolence", "universalism", NULL};
    struct {
        const char *id;
        const char *const *dims;
    } by_dims[] = {{"openness", open}, {"self-enhancement", enh}, {"self-transcendence", tra}};
    for (size_t g = 0; g < 3; g++) {
        struct vsc_group *grp = ins_add_group(ins, by_dims[g].id);
        if (!grp) return VSC_ERR_NOMEM;
        for (const char *const *d = by_dims[g].dims; *d; d++)
            if (ins_group_add_dim(grp, *d)) return VSC_ERR_NOMEM;
        if (g == 1) { /* keep the usual circle order: conservation after self-enhancement */
            struct vsc_group *cons = ins_add_group(ins, "conservation");
            if (!cons) return VSC_ERR_NOMEM;
            for (size_t i = 0; i < sizeof(CONSERVATION) / sizeof(CONSERVATION[0]); i++) {
                char id[16];
                snprintf(id, sizeof(id), "%d", CONSERVATION[i]);
                if (ins_group_add_item(cons, id)) return VSC_ERR_NOMEM;
            }
        }
    }
    return 0;
}

int ins_load_pvqrr(struct vsc_instrument **out, const char *path, struct vsc_diag *diag)
{
    *out = NULL;
    struct pvq_state st = {.ins = ins_new(), .path = path, .diag = diag};
    int rc = VSC_ERR_NOMEM;
    if (!st.ins) goto fail;
    if ((rc = jsonl_foreach(path, on_line, &st, diag))) goto fail;
    char missing[256] = "";
    size_t len = 0;
    for (int n = 1; n <= PVQ_N; n++)
        if (!st.line_of[n] && len < sizeof(missing) - 8)
            len +=
                (size_t)snprintf(missing + len, sizeof(missing) - len, "%s%d", len ? ", " : "", n);
    if (len) {
        /* The key and MRAT centring need every item: a partial file would shift the scores. */
        rc = vsc_diag_set(diag, path, 0, 0, "PVQ-RR needs all %d items; missing: %s", PVQ_N,
                          missing);
        goto fail;
    }
    rc = VSC_ERR_NOMEM;
    if (!(st.ins->id = xstrdup("pvqrr")) || !(st.ins->system = xstrdup("schwartz")) ||
        !(st.ins->user_template = xstrdup(USER_TEMPLATE)))
        goto fail;
    st.ins->centre = 1;
    st.ins->aggregate = VSC_AGG_AVG;
    if ((rc = add_groups(st.ins))) goto fail;
    *out = st.ins;
    st.ins = NULL;
fail:
    vsc_instrument_free(st.ins);
    json_decref(st.options);
    return rc;
}
