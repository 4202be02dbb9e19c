/* The `prompts` kind: raw prompts from a JSONL file, one {"id","prompt"} or {"id","messages"}
 * object per line. Nothing is scored; each item carries its chat messages ready to send. */
#include <stdlib.h>
#include <string.h>

#include "instruments/ins_internal.h"
#include "util/readers.h"
#include "util/util.h"

/* Checks that `msgs` is a non-empty array of {role, content} objects with string values. */
static int check_messages(const json_t *msgs, const char *path, int line, struct vsc_diag *diag)
{
    if (!json_is_array(msgs) || json_array_size(msgs) == 0)
        return vsc_diag_set(diag, path, line, 1, "\"messages\" must be a non-empty array");
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m)
    {
        json_t *role = json_object_get(m, "role"), *content = json_object_get(m, "content");
        if (!json_is_object(m) || !json_is_string(role) || !json_is_string(content) ||
            json_string_length(role) == 0)
            return vsc_diag_set(diag, path, line, 1,
                                "messages[%zu] must be an object with string \"role\" and "
                                "\"content\"",
                                i);
        if (json_object_size(m) != 2)
            return vsc_diag_set(diag, path, line, 1,
                                "messages[%zu] has keys other than \"role\" and \"content\"", i);
    }
    return 0;
}

/* Turns one parsed line into an item; duplicate ids are found after the whole file is read
 * (sorting ids needs a few bytes per prompt, a hash of them far more). */
static int add_line(struct vsc_instrument *ins, json_t *obj, const char *path, int line,
                    struct vsc_diag *diag)
{
    if (!json_is_object(obj))
        return vsc_diag_set(diag, path, line, 1, "each line must be a JSON object");
    json_t *jid = json_object_get(obj, "id");
    char idbuf[32];
    const char *id;
    if (json_is_string(jid) && json_string_length(jid) > 0) {
        id = json_string_value(jid);
    } else if (json_is_integer(jid)) {
        snprintf(idbuf, sizeof(idbuf), "%lld", (long long)json_integer_value(jid));
        id = idbuf;
    } else {
        return vsc_diag_set(diag, path, line, 1, "missing \"id\" (a non-empty string)");
    }
    json_t *prompt = json_object_get(obj, "prompt"), *msgs = json_object_get(obj, "messages");
    if (prompt && msgs)
        return vsc_diag_set(diag, path, line, 1,
                            "give either \"prompt\" or \"messages\", not both (id '%s')", id);
    if (!prompt && !msgs)
        return vsc_diag_set(diag, path, line, 1, "neither \"prompt\" nor \"messages\" (id '%s')",
                            id);
    /* a plain prompt is kept as its text (rendered as one user message when asked): a
     * million-line prompts file then costs the prompts, not a JSON document each */
    char *text = NULL, *msgs_json = NULL;
    if (prompt) {
        if (!json_is_string(prompt))
            return vsc_diag_set(diag, path, line, 1, "\"prompt\" must be a string (id '%s')", id);
        if (!(text = xstrdup(json_string_value(prompt)))) return VSC_ERR_NOMEM;
    } else {
        int rc = check_messages(msgs, path, line, diag);
        if (rc) return rc;
        if (!(msgs_json = json_dumps(msgs, JSON_COMPACT | JSON_PRESERVE_ORDER)))
            return VSC_ERR_NOMEM;
    }
    struct vsc_item *it = ins_add_item(ins);
    if (!it || !(it->id = xstrdup(id))) {
        free(text);
        free(msgs_json);
        return VSC_ERR_NOMEM;
    }
    it->text = text;
    it->messages_json = msgs_json;
    return 0;
}

struct load_state {
    struct vsc_instrument *ins;
    int *lines; /* line of each item */
    size_t cap_lines;
    const char *path;
    struct vsc_diag *diag;
};

static int on_line(json_t *obj, int line, void *payload)
{
    struct load_state *st = payload;
    if (st->ins->n_items == st->cap_lines) {
        size_t cap = st->cap_lines ? st->cap_lines * 2 : 256;
        int *l = realloc(st->lines, cap * sizeof(*l));
        if (!l) return VSC_ERR_NOMEM;
        st->lines = l;
        st->cap_lines = cap;
    }
    size_t before = st->ins->n_items;
    int rc = add_line(st->ins, obj, st->path, line, st->diag);
    if (!rc && st->ins->n_items > before) st->lines[before] = line;
    return rc;
}

static int by_id_then_line(const void *a, const void *b, void *payload)
{
    const struct load_state *st = payload;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int c = strcmp(st->ins->items[i].id, st->ins->items[j].id);
    return c ? c : (st->lines[i] > st->lines[j]) - (st->lines[i] < st->lines[j]);
}

/* The earliest line that repeats an id, reported as the streaming check would have. */
static int check_duplicates(const struct load_state *st)
{
    size_t n = st->ins->n_items;
    size_t *idx = malloc(n * sizeof(*idx));
    if (!idx) return VSC_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    qsort_r(idx, n, sizeof(*idx), by_id_then_line, (void *)st);
    size_t dup = n, first = n;
    for (size_t k = 1; k < n; k++)
        if (!strcmp(st->ins->items[idx[k]].id, st->ins->items[idx[k - 1]].id) &&
            (k < 2 || strcmp(st->ins->items[idx[k - 1]].id, st->ins->items[idx[k - 2]].id)) &&
            (dup == n || st->lines[idx[k]] < st->lines[dup])) {
            dup = idx[k];
            first = idx[k - 1];
        }
    int rc = 0;
    if (dup < n)
        rc = vsc_diag_set(st->diag, st->path, st->lines[dup], 1,
                          "duplicate id '%s' (first on line %d)", st->ins->items[dup].id,
                          st->lines[first]);
    free(idx);
    return rc;
}

int ins_load_prompts(struct vsc_instrument **out, const char *path, struct vsc_diag *diag)
{
    *out = NULL;
    struct load_state st = {.ins = ins_new(), .path = path, .diag = diag};
    int rc = VSC_ERR_NOMEM;
    if (!st.ins || !(st.ins->id = xasprintf("prompts:%s", path))) goto fail;
    if ((rc = jsonl_foreach(path, on_line, &st, diag))) goto fail;
    if (st.ins->n_items == 0) {
        rc = vsc_diag_set(diag, path, 0, 0, "no prompts in file");
        goto fail;
    }
    if ((rc = check_duplicates(&st))) goto fail;
    *out = st.ins;
    st.ins = NULL;
fail:
    vsc_instrument_free(st.ins);
    free(st.lines);
    return rc;
}
