/* The planner through vsc_run --dry-run on a real store: request bodies (params, seed + sample,
 * logprobs mode), option order (reversed, rotated), item shuffling per respondent, conditions,
 * and that a bad instrument leaves no store behind. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/testutil.h"
#include "util/util.h"
#include "valscope/valscope.h"

struct cells {
    size_t n;
    char *item[4096];
    char *cond[4096];
    int sample[4096];
    char *meta[4096];
};

static char dir[64];

static int setup(void **state)
{
    strcpy(dir, "/tmp/vsc-plan-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    return tu_rmrf(dir);
}

static int on_row(const struct vsc_answer_row *r, void *payload)
{
    struct cells *c = payload;
    if (c->n >= 4096) return 0;
    c->item[c->n] = strdup(r->item);
    c->cond[c->n] = strdup(r->condition);
    c->sample[c->n] = r->sample;
    c->meta[c->n] = strdup(r->meta_json ? r->meta_json : "");
    c->n++;
    return 0;
}

static void cells_free(struct cells *c)
{
    for (size_t i = 0; i < c->n; i++) free(c->item[i]), free(c->cond[i]), free(c->meta[i]);
    free(c);
}

/* Writes `yaml` as a config, plans it (dry run) and returns its cells. */
static struct cells *plan(const char *name, const char *yaml, int *out_rc, struct vsc_diag *d)
{
    char *path = xasprintf("%s/%s.yaml", dir, name);
    tu_write_file(path, "store: %s/%s.db\n%s", dir, name, yaml);
    struct vsc_config *cfg = NULL;
    *out_rc = vsc_config_load(&cfg, path, d);
    struct cells *c = calloc(1, sizeof(*c));
    if (!*out_rc) {
        struct vsc_run_opts opts = {.dry_run = 1};
        struct vsc_progress p;
        *out_rc = vsc_run(&p, cfg, &opts, d);
        if (!*out_rc) {
            struct vsc_store *s = NULL;
            assert_int_equal(vsc_store_open(&s, cfg->store), 0);
            assert_int_equal(vsc_store_foreach_answer(s, NULL, on_row, c), 0);
            vsc_store_free(s);
        }
    }
    vsc_config_free(cfg);
    free(path);
    return c;
}

static json_t *meta_of(struct cells *c, size_t i)
{
    json_t *m = json_loads(c->meta[i], 0, NULL);
    assert_non_null(m);
    return m;
}

static void option_orders(void **state)
{
    int rc;
    struct vsc_diag d = {0};
    struct cells *c = plan("orders",
                           "models: [{name: m, backend: sim}]\n"
                           "instruments:\n"
                           "  - {builtin: schwartz, name: rev, option_order: reversed}\n"
                           "  - {builtin: schwartz, name: rot, option_order: rotated}\n"
                           "samples: 3\n",
                           &rc, &d);
    assert_int_equal(rc, 0);
    assert_int_equal(c->n, 2 * 60 * 3);
    size_t checked = 0;
    for (size_t i = 0; i < c->n; i++) {
        json_t *m = meta_of(c, i);
        json_t *order = json_object_get(m, "order");
        assert_int_equal(json_array_size(order), 6);
        long first = (long)json_integer_value(json_array_get(order, 0));
        if (i < 180) assert_int_equal(first, 5); /* reversed: the last option is shown first */
        else assert_int_equal(first, c->sample[i] % 6); /* rotated by the sample index */
        checked++;
        json_decref(m);
    }
    assert_int_equal(checked, 360);
    cells_free(c);
}

static void shuffle_per_respondent(void **state)
{
    int rc;
    struct vsc_diag d = {0};
    const char *yaml = "models: [{name: m, backend: sim}]\n"
                       "instruments: [{builtin: mft, shuffle: 42}]\n"
                       "samples: 2\n";
    struct cells *a = plan("shuf1", yaml, &rc, &d);
    assert_int_equal(rc, 0);
    struct cells *b = plan("shuf2", yaml, &rc, &d);
    assert_int_equal(rc, 0);
    assert_int_equal(a->n, 48);
    /* the same seed gives the same order; the two respondents (samples) get different ones */
    int differs = 0;
    for (size_t i = 0; i < 24; i++) {
        assert_string_equal(a->item[i], b->item[i]);
        if (strcmp(a->item[i], a->item[24 + i])) differs = 1;
    }
    assert_true(differs);
    /* positions 0..23 once each per respondent */
    int seen[24] = {0};
    for (size_t i = 0; i < 24; i++) {
        json_t *m = meta_of(a, i);
        long pos = (long)json_integer_value(json_object_get(m, "position"));
        assert_true(pos >= 0 && pos < 24);
        seen[pos]++;
        json_decref(m);
    }
    for (int i = 0; i < 24; i++) assert_int_equal(seen[i], 1);
    cells_free(a);
    cells_free(b);
}

static void conditions_and_personas(void **state)
{
    int rc;
    struct vsc_diag d = {0};
    struct cells *c = plan("conds",
                           "models: [{name: m, backend: sim}]\n"
                           "instruments: [builtin: mft]\n"
                           "conditions: {baseline: true, system_prompts: {formal: \"Be formal.\"},"
                           " personas: 2, persona_seeds: [1, 11]}\n",
                           &rc, &d);
    assert_int_equal(rc, 0);
    assert_int_equal(c->n, 24 * (1 + 1 + 4));
    size_t n_persona = 0;
    for (size_t i = 0; i < c->n; i++)
        if (!strncmp(c->cond[i], "persona:", 8)) {
            json_t *m = meta_of(c, i);
            assert_true(json_is_object(json_object_get(m, "persona")));
            json_decref(m);
            n_persona++;
        }
    assert_int_equal(n_persona, 96);
    cells_free(c);
}

/* The plan hash covers instrument content: an edited prompts file under the same run name is
 * refused, while a rerun of the unchanged config is accepted and plans nothing new. */
static void edited_instrument_refused(void **state)
{
    char *prompts = xasprintf("%s/edit.jsonl", dir);
    FILE *f = fopen(prompts, "w");
    fprintf(f, "{\"id\": \"a\", \"prompt\": \"first wording\"}\n");
    fclose(f);
    char *yaml = xasprintf("models: [{name: m, backend: sim}]\ninstruments: [prompts: %s]\n",
                           prompts);
    int rc;
    struct vsc_diag d = {0};
    struct cells *c = plan("edit", yaml, &rc, &d);
    assert_int_equal(rc, 0);
    assert_int_equal(c->n, 1);
    cells_free(c);
    c = plan("edit", yaml, &rc, &d); /* unchanged: fine */
    assert_int_equal(rc, 0);
    assert_int_equal(c->n, 1);
    cells_free(c);
    f = fopen(prompts, "w");
    fprintf(f, "{\"id\": \"a\", \"prompt\": \"second wording\"}\n");
    fclose(f);
    c = plan("edit", yaml, &rc, &d);
    assert_int_equal(rc, VSC_ERR_INPUT);
    assert_non_null(strstr(d.msg, "different config"));
    cells_free(c);
    free(yaml);
    free(prompts);
}

static void bad_instrument_leaves_no_store(void **state)
{
    int rc;
    struct vsc_diag d = {0};
    struct cells *c = plan("bad", "models: [{name: m, backend: sim}]\n"
                                  "instruments: [{builtin: schwartz, option_order: sideways}]\n",
                           &rc, &d);
    assert_int_equal(rc, VSC_ERR_INPUT);
    assert_non_null(strstr(d.msg, "option_order"));
    char *db = xasprintf("%s/bad.db", dir);
    assert_int_not_equal(access(db, F_OK), 0);
    free(db);
    cells_free(c);
    c = plan("bad2", "models: [{name: m, backend: sim}]\n"
                     "instruments: [builtin: schwartz]\n"
                     "conditions: {personas: -1}\n",
             &rc, &d);
    assert_int_equal(rc, VSC_ERR_INPUT);
    db = xasprintf("%s/bad2.db", dir);
    assert_int_not_equal(access(db, F_OK), 0);
    free(db);
    cells_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(option_orders),
        cmocka_unit_test(shuffle_per_respondent),
        cmocka_unit_test(conditions_and_personas),
        cmocka_unit_test(edited_instrument_refused),
        cmocka_unit_test(bad_instrument_leaves_no_store),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
