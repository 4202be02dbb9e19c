/* `valuebench:FILE[#QUESTIONNAIRE]`: ValueBench's value_orientation.csv (questionnaire, item,
 * value, agreement, question). Each row is one item of its questionnaire: the dimension is
 * the `value` column, the key the `agreement` (+1/-1), and the advice `question` is kept for
 * the judge stage. Answers are ratings 0..10. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "instruments/ins_internal.h"
#include "util/readers.h"
#include "util/util.h"

static const char *const COLUMNS[] = {"questionnaire", "item", "value", "agreement", "question"};
enum { C_Q, C_ITEM, C_VALUE, C_AGREE, C_QUESTION, N_COLS };

static const char USER_TEMPLATE[] =
    "Consider this statement: \"{item}\"\n\nOn a scale from {scale_min} (not at all) to "
    "{scale_max} (completely), how much does it describe you?\n{options}\n\n"
    "Answer with the letter of one option only.";

/* A copy of s without leading and trailing white space. */
static char *trimmed(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    size_t n = strlen(s);
    while (n && strchr(" \t\r\n", s[n - 1]))
        n--;
    return xstrndup(s, n);
}

/* Adds one row. An item text repeated within a questionnaire (ValueBench scores a few items
 * on two values) gets the value appended to its id so both rows stay administrable. */
static int add_row(struct vsc_instrument *ins, json_t *f, size_t row, int all, const char *name,
                   int line, struct vsc_diag *diag)
{
    const char *q = json_string_value(json_array_get(f, C_Q));
    char *text = trimmed(json_string_value(json_array_get(f, C_ITEM)));
    char *value = trimmed(json_string_value(json_array_get(f, C_VALUE)));
    char *agree = trimmed(json_string_value(json_array_get(f, C_AGREE)));
    char *id = NULL;
    int rc = VSC_ERR_NOMEM;
    if (!text || !value || !agree) goto fail;
    rc = VSC_ERR_INPUT;
    if (!*text) {
        vsc_diag_set(diag, name, line, 0, "empty 'item' field");
        goto fail;
    }
    if (!*value) {
        vsc_diag_set(diag, name, line, 0, "empty 'value' field");
        goto fail;
    }
    int key = strcmp(agree, "1") == 0 || strcmp(agree, "+1") == 0 ? 1
              : strcmp(agree, "-1") == 0                          ? -1
                                                                  : 0;
    if (!key) {
        vsc_diag_set(diag, name, line, 0, "'agreement' must be 1 or -1, not '%s'", agree);
        goto fail;
    }
    rc = VSC_ERR_NOMEM;
    id = all ? xasprintf("%s/%s", q, text) : xstrdup(text);
    if (!id) goto fail;
    if (vsc_instrument_find_item(ins, id) >= 0) {
        char *alt = xasprintf("%s (%s)", id, value);
        if (!alt) goto fail;
        free(id);
        id = alt;
        if (vsc_instrument_find_item(ins, id) >= 0) {
            rc = vsc_diag_set(diag, name, line, 0, "item repeated with the same value: %s", id);
            goto fail;
        }
    }
    struct vsc_item *it = ins_add_item(ins);
    if (!it) goto fail;
    it->id = id;
    it->text = text;
    it->dimension = value;
    id = text = value = NULL;
    it->key = key;
    it->alias = all ? xasprintf("%s/%zu", q, row) : xasprintf("%zu", row);
    it->question = trimmed(json_string_value(json_array_get(f, C_QUESTION)));
    rc = it->alias && it->question ? 0 : VSC_ERR_NOMEM;
fail:
    free(text);
    free(value);
    free(agree);
    free(id);
    return rc;
}

int ins_load_valuebench(struct vsc_instrument **out, const char *path, const char *questionnaire,
                        struct vsc_diag *diag)
{
    *out = NULL;
    char *text = NULL;
    size_t len;
    json_t *f = json_array(), *names = json_object();
    struct vsc_instrument *ins = ins_new();
    int rc = VSC_ERR_NOMEM;
    if (!f || !names || !ins) goto fail;
    if ((rc = read_text_file(&text, &len, path, diag))) goto fail;
    struct csv c = {text, text + len, 1};
    int line;
    rc = csv_next(&c, f, &line, path, diag);
    if (rc < 0) goto fail;
    int col[N_COLS];
    for (int k = 0; k < N_COLS; k++) {
        col[k] = -1;
        for (size_t i = 0; i < json_array_size(f); i++)
            if (strcmp(json_string_value(json_array_get(f, i)), COLUMNS[k]) == 0) col[k] = (int)i;
        if (col[k] < 0) {
            rc = vsc_diag_set(diag, path, 1, 0, "missing column '%s' in the header", COLUMNS[k]);
            goto fail;
        }
    }
    int all = !questionnaire || !*questionnaire;
    json_t *picked = json_array();
    if (!picked) goto fail;
    while ((rc = csv_next(&c, f, &line, path, diag)) == 1) {
        json_array_clear(picked);
        for (int k = 0; k < N_COLS; k++) {
            json_t *v = json_array_get(f, (size_t)col[k]);
            if (!v) {
                json_decref(picked);
                rc = vsc_diag_set(diag, path, line, 0, "row has no '%s' field", COLUMNS[k]);
                goto fail;
            }
            json_array_append(picked, v);
        }
        const char *q = json_string_value(json_array_get(picked, C_Q));
        json_t *count = json_object_get(names, q);
        size_t row = count ? (size_t)json_integer_value(count) + 1 : 1;
        if (json_object_set_new(names, q, json_integer((json_int_t)row))) {
            json_decref(picked);
            rc = VSC_ERR_NOMEM;
            goto fail;
        }
        if (!all && strcmp(q, questionnaire) != 0) continue;
        if ((rc = add_row(ins, picked, row, all, path, line, diag))) {
            json_decref(picked);
            goto fail;
        }
    }
    json_decref(picked);
    if (rc < 0) goto fail;
    if (ins->n_items == 0) {
        struct buf b;
        buf_init(&b, 600);
        const char *k;
        json_t *v;
        json_object_foreach(names, k, v)
        {
            if (buf_printf(&b, "%s%s", b.len ? ", " : "", k)) break; /* capped: enough shown */
        }
        rc = vsc_diag_set(diag, path, 0, 0, "no questionnaire '%s' (the file has: %s)",
                          all ? "" : questionnaire, b.data ? b.data : "none");
        buf_free(&b);
        goto fail;
    }
    rc = VSC_ERR_NOMEM;
    ins->id = all ? xstrdup("valuebench") : xasprintf("valuebench:%s", questionnaire);
    ins->system = xstrdup("valuebench");
    ins->user_template = xstrdup(USER_TEMPLATE);
    if (!ins->id || !ins->system || !ins->user_template) goto fail;
    for (int v = 0; v <= 10; v++) {
        char label[4];
        snprintf(label, sizeof(label), "%d", v);
        if (ins_add_option(ins, label, v)) goto fail;
    }
    *out = ins;
    ins = NULL;
    rc = 0;
fail:
    vsc_instrument_free(ins);
    json_decref(f);
    json_decref(names);
    free(text);
    return rc;
}
