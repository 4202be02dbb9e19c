/* A toy kind of measurement added from a test, with no edit anywhere else (issue 10): its row,
 * loader and scorer live in this file and join the table through kind_register(). The kind
 * "tally" reads a file of questions ("ID QUESTION" a line), asks them as free-text prompts,
 * and scores each model by `weight` x the sum of its numeric answers. Two replay models give
 * planted answers; vsc_run plans and answers them, and vsc_score_all, which knows nothing of
 * tallies, writes the tally records beside the others. The config takes `weight` for a tally
 * and refuses it for another kind with the message every kind-specific key gets.
 * docs/internals/kinds.md walks through this file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kinds/kind.h"
#include "support/testutil.h"
#include "valscope/valscope.h"

/* ---- the loader: a file of questions -> an instrument of free-text prompts -------------- */

static int tally_load(struct vsc_instrument **out, const struct kind_source *src,
                      struct vsc_diag *diag)
{
    FILE *fp = fopen(src->path, "r");
    if (!fp) return vsc_diag_set(diag, src->path, 0, 0, "cannot open the tally file");
    struct vsc_instrument *ins = calloc(1, sizeof(*ins));
    char *line = NULL;
    size_t cap = 0;
    int rc = ins ? 0 : VSC_ERR_NOMEM;
    if (!rc && (!(ins->id = strdup("tally")) || !(ins->system = strdup("tally"))))
        rc = VSC_ERR_NOMEM;
    for (int n = 1; !rc && getline(&line, &cap, fp) > 0; n++) {
        line[strcspn(line, "\n")] = 0;
        char *sp = strchr(line, ' ');
        if (!sp || sp == line) {
            rc = vsc_diag_set(diag, src->path, n, 1, "tally: want 'ID QUESTION'");
            break;
        }
        struct vsc_item *grown = realloc(ins->items, (ins->n_items + 1) * sizeof(*grown));
        if (!grown) {
            rc = VSC_ERR_NOMEM;
            break;
        }
        ins->items = grown;
        struct vsc_item *it = &ins->items[ins->n_items++];
        memset(it, 0, sizeof(*it));
        json_t *msgs = json_pack("[{s:s, s:s}]", "role", "user", "content", sp + 1);
        it->id = strndup(line, (size_t)(sp - line));
        it->text = strdup(sp + 1);
        it->messages_json = msgs ? json_dumps(msgs, JSON_COMPACT) : NULL;
        json_decref(msgs);
        if (!it->id || !it->text || !it->messages_json) rc = VSC_ERR_NOMEM;
    }
    free(line);
    fclose(fp);
    if (!rc && ins->n_items == 0) rc = vsc_diag_set(diag, src->path, 0, 0, "tally: no questions");
    if (rc) {
        vsc_instrument_free(ins);
        return rc;
    }
    *out = ins;
    return 0;
}

/* ---- the scorer: weight x the sum of each model's numeric answers ----------------------- */

struct tally_rec {
    const char *run, *model, *instrument;
    double weight, total;
    size_t n, n_unparseable;
};

static int tally_json(FILE *fp, const void *p)
{
    const struct tally_rec *r = p;
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:f, s:f, s:I, s:I}", "kind", "tally", "run", r->run,
                  "model", r->model, "instrument", r->instrument, "weight", r->weight, "total",
                  r->total, "n", (json_int_t)r->n, "n_unparseable", (json_int_t)r->n_unparseable);
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (!s) return VSC_ERR_NOMEM;
    int rc = fprintf(fp, "%s\n", s) < 0 ? VSC_ERR_IO : 0;
    free(s);
    return rc;
}

static int tally_table(FILE *fp, const void *p, size_t n_shown)
{
    const struct tally_rec *r = p;
    if (!n_shown && fprintf(fp, "\n%-16s %-16s %10s\n", "model", "tally", "total") < 0)
        return VSC_ERR_IO;
    return fprintf(fp, "%-16s %-16s %10.2f\n", r->model, r->instrument, r->total) < 0 ? VSC_ERR_IO
                                                                                      : 1;
}

/* The run's tally instruments with their weights, then every answer of theirs, summed. */
struct tally_acc {
    json_t *weights; /* "run\x1finstrument" -> weight */
    struct tally_rec cur;
    char run[128], model[128], instrument[128];
    int open;
    void *sink;
};

static int on_instrument(const struct vsc_run_instrument *ri, void *payload)
{
    struct tally_acc *a = payload;
    if (strcmp(ri->kind, "tally")) return 0;
    json_t *o = json_loads(ri->options_json, 0, NULL);
    json_t *w = json_object_get(o, "weight");
    char key[300];
    snprintf(key, sizeof key, "%s\x1f%s", ri->run, ri->instrument);
    json_object_set_new(a->weights, key, json_real(w ? json_number_value(w) : 1));
    json_decref(o);
    return 0;
}

static int flush(struct tally_acc *a)
{
    if (!a->open) return 0;
    a->open = 0;
    a->cur.total *= a->cur.weight;
    return kind_emit(&a->cur, a->sink);
}

static int on_answer(const struct vsc_answer_row *row, void *payload)
{
    struct tally_acc *a = payload;
    char key[300];
    snprintf(key, sizeof key, "%s\x1f%s", row->run, row->instrument);
    json_t *w = json_object_get(a->weights, key);
    if (!w) return 0;
    if (!a->open || strcmp(a->run, row->run) || strcmp(a->model, row->model) ||
        strcmp(a->instrument, row->instrument)) {
        int rc = flush(a);
        if (rc) return rc;
        snprintf(a->run, sizeof a->run, "%s", row->run);
        snprintf(a->model, sizeof a->model, "%s", row->model);
        snprintf(a->instrument, sizeof a->instrument, "%s", row->instrument);
        a->cur = (struct tally_rec){a->run, a->model, a->instrument, json_number_value(w)};
        a->open = 1;
    }
    if (strcmp(row->status, "ok")) return 0;
    char *end;
    double x = row->text ? strtod(row->text, &end) : 0;
    if (!row->text || end == row->text || *end) {
        a->cur.n_unparseable++;
        return 0;
    }
    a->cur.total += x;
    a->cur.n++;
    return 0;
}

static int tally_score(struct vsc_store *store, const struct vsc_score_opts *opts, void *sink,
                       struct vsc_diag *diag)
{
    struct tally_acc a = {.weights = json_object(), .sink = sink};
    if (!a.weights) return VSC_ERR_NOMEM;
    int rc = vsc_store_foreach_instrument(store, opts->run, on_instrument, &a);
    if (!rc) rc = vsc_store_foreach_answer(store, opts->run, on_answer, &a);
    if (!rc) rc = flush(&a);
    json_decref(a.weights);
    return rc;
}

/* ---- the row -------------------------------------------------------------------------- */

static const struct kind_writer TALLY_WRITER = {tally_json, tally_table};
static const struct kind_scorer TALLY_SCORER = {"tally", &TALLY_WRITER, tally_score};
static const char *const TALLY_KEYS[] = {"weight", NULL};
static const struct kind TALLY = {"tally",    KIND_ARG_FILE, TALLY_KEYS,
                                  tally_load, NULL,          &TALLY_SCORER};

/* ---- the test ------------------------------------------------------------------------- */

static char dir[64];

static void write_fixture(void)
{
    char p[160];
    snprintf(p, sizeof p, "%s/fruit.txt", dir);
    tu_write_file(p, "apples How many apples?\npears How many pears?\nplums How many plums?\n");
    /* planted answers: a counts 3 + 4 + 5 = 12, b counts 10 + 0 + 1 = 11 and one "lots" */
    snprintf(p, sizeof p, "%s/a.jsonl", dir);
    tu_write_file(p, "{\"item\": \"apples\", \"text\": \"3\"}\n{\"item\": \"pears\", \"text\": "
                     "\"4\"}\n{\"item\": \"plums\", \"text\": \"5\"}\n");
    snprintf(p, sizeof p, "%s/b.jsonl", dir);
    tu_write_file(p, "{\"item\": \"apples\", \"text\": \"10\"}\n{\"item\": \"pears\", \"text\": "
                     "\"0.5\"}\n{\"item\": \"plums\", \"text\": \"lots\"}\n");
    snprintf(p, sizeof p, "%s/run.yaml", dir);
    tu_write_file(p,
                  "run: r1\nstore: %s/store.db\nmodels:\n"
                  "  - name: a\n    backend: replay\n    file: a.jsonl\n"
                  "  - name: b\n    backend: replay\n    file: b.jsonl\n"
                  "instruments:\n  - tally: fruit.txt\n    weight: 2.5\nsamples: 1\n",
                  dir);
}

/* The records of kind "tally" in `json` (one JSON line each), by model. */
static void check_tallies(const char *json)
{
    int seen_a = 0, seen_b = 0;
    for (const char *line = json; *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        json_t *o = json_loadb(line, len, 0, NULL);
        assert_non_null(o);
        if (!strcmp(json_string_value(json_object_get(o, "kind")), "tally")) {
            const char *model = json_string_value(json_object_get(o, "model"));
            double total = json_number_value(json_object_get(o, "total"));
            json_int_t n = json_integer_value(json_object_get(o, "n"));
            json_int_t bad = json_integer_value(json_object_get(o, "n_unparseable"));
            assert_string_equal(json_string_value(json_object_get(o, "instrument")),
                                "tally:fruit.txt");
            assert_near(json_number_value(json_object_get(o, "weight")), 2.5, 1e-12);
            if (!strcmp(model, "a")) {
                assert_near(total, 2.5 * 12, 1e-9);
                assert_int_equal(n, 3);
                assert_int_equal(bad, 0);
                seen_a++;
            } else {
                assert_string_equal(model, "b");
                assert_near(total, 2.5 * 10.5, 1e-9);
                assert_int_equal(n, 2);
                assert_int_equal(bad, 1);
                seen_b++;
            }
        }
        json_decref(o);
        line += len + (nl != NULL);
    }
    assert_int_equal(seen_a, 1);
    assert_int_equal(seen_b, 1);
}

static void test_run_and_score(void **state)
{
    write_fixture();
    char cfg[160], db[160];
    snprintf(cfg, sizeof cfg, "%s/run.yaml", dir);
    snprintf(db, sizeof db, "%s/store.db", dir);
    struct vsc_progress p = {0};
    tu_run_config(cfg, &p);
    assert_int_equal(p.total, 6); /* 2 models x 3 questions */
    assert_int_equal(p.ok, 6);

    struct vsc_store *store = NULL;
    assert_int_equal(vsc_store_open_read(&store, db), 0);
    struct vsc_diag d = {0};
    char *out = NULL;
    size_t len = 0, n = 0;
    FILE *fp = open_memstream(&out, &len);
    assert_int_equal(vsc_score_all(store, NULL, fp, 1, &n, &d), 0);
    fclose(fp);
    check_tallies(out);
    assert_int_equal(n, 2); /* nothing else was asked, so nothing else is scored */
    free(out);

    /* the terminal table: the tally scorer's own section */
    fp = open_memstream(&out, &len);
    assert_int_equal(vsc_score_all(store, NULL, fp, 0, &n, &d), 0);
    fclose(fp);
    assert_non_null(strstr(out, "tally"));
    assert_non_null(strstr(out, "26.25")); /* b: 2.5 x 10.5 */
    assert_non_null(strstr(out, "30.00")); /* a: 2.5 x 12 */
    free(out);
    vsc_store_free(store);
}

static int parse(const char *text, struct vsc_diag *d)
{
    struct vsc_config *c = NULL;
    int rc = vsc_config_parse(&c, text, strlen(text), "k.yaml", d);
    vsc_config_free(c);
    return rc;
}

/* The config's key lists and messages come from the table, registered rows included. */
static void test_config_keys(void **state)
{
    struct vsc_diag d = {0};
    assert_int_equal(parse("models: [{name: m, backend: sim}]\n"
                           "instruments:\n  - tally: f.txt\n    weight: 2\n",
                           &d),
                     0);
    assert_int_equal(parse("models: [{name: m, backend: sim}]\n"
                           "instruments:\n  - builtin: schwartz\n    weight: 2\n",
                           &d),
                     VSC_ERR_INPUT);
    assert_int_equal(d.line, 4);
    assert_int_equal(d.col, 13);
    assert_string_equal(d.msg, "instrument: 'weight' applies to tally only, not builtin");
    /* a key of the table's own kinds is refused for the toy kind the same way */
    assert_int_equal(parse("models: [{name: m, backend: sim}]\n"
                           "instruments:\n  - tally: f.txt\n    max_pairs: 2\n",
                           &d),
                     VSC_ERR_INPUT);
    assert_string_equal(d.msg, "instrument: 'max_pairs' applies to utility only, not tally");
    /* the unknown-key message lists the toy kind and its key */
    assert_int_equal(parse("models: [{name: m, backend: sim}]\n"
                           "instruments:\n  - talley: f.txt\n",
                           &d),
                     VSC_ERR_INPUT);
    assert_non_null(strstr(d.msg, "unknown key 'talley' in instrument (kinds: "));
    assert_non_null(strstr(d.msg, ", utility, tally; options: "));
    assert_non_null(strstr(d.msg, ", weight)"));
    /* and so does the loader's unknown-kind message */
    struct vsc_instrument *ins = NULL;
    assert_int_equal(vsc_instrument_load(&ins, "talley", "x", NULL, &d), VSC_ERR_INPUT);
    assert_non_null(strstr(d.msg, "unknown instrument kind 'talley' ("));
    assert_non_null(strstr(d.msg, ", tally)"));
    assert_null(ins);
}

/* A taken name is refused: a row cannot shadow another. */
static void test_register_refuses_dupes(void **state)
{
    assert_int_equal(kind_register(&TALLY), VSC_ERR_INPUT);
    struct kind builtin = TALLY;
    builtin.name = "builtin";
    assert_int_equal(kind_register(&builtin), VSC_ERR_INPUT);
    assert_ptr_equal(kind_find("tally"), &TALLY);
}

int main(void)
{
    if (kind_register(&TALLY)) return 1;
    snprintf(dir, sizeof dir, "/tmp/vsc-toy-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_and_score),
        cmocka_unit_test(test_config_keys),
        cmocka_unit_test(test_register_refuses_dupes),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tu_rmrf(dir);
    return rc;
}
