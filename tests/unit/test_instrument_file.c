/* The declarative instrument format (file:PATH): a good file, and one bad file per check with
 * the exact position the diagnostic must point at. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "support/testutil.h"
#include "valscope/instrument.h"

#define DATA "tests/data/instruments/decl/"

static void test_good(void **state)
{
    (void)state;
    struct vsc_instrument *ins = NULL;
    struct vsc_diag d = {0};
    int rc = vsc_instrument_load(&ins, "file", "good.yaml", DATA, &d);
    if (rc) print_error("%s:%d:%d: %s\n", d.file, d.line, d.col, d.msg);
    assert_int_equal(rc, 0);
    assert_string_equal(ins->id, "garden-check");
    assert_string_equal(ins->system, "schwartz");
    assert_int_equal(ins->n_options, 3);
    assert_string_equal(ins->options[1].label, "Unsure");
    assert_near(ins->options[2].value, 3, 1e-9);
    assert_int_equal(ins->answer_mode, VSC_ANSWER_LOGPROBS);
    assert_int_equal(ins->aggregate, VSC_AGG_SUM);
    assert_int_equal(ins->centre, 1);
    assert_int_equal(ins->n_items, 4);
    assert_string_equal(ins->items[0].id, "1");
    assert_string_equal(ins->items[0].dimension, "stimulation");
    assert_int_equal(ins->items[0].key, 1);
    assert_int_equal(ins->items[1].key, -1);
    assert_string_equal(ins->items[1].question, "Should I keep my parents' garden layout?");
    assert_int_equal(ins->items[2].key, 1);
    assert_null(ins->items[3].dimension);
    assert_int_equal(ins->items[3].key, 0);
    assert_int_equal(ins->n_groups, 2);
    assert_string_equal(ins->groups[0].id, "novelty");
    assert_int_equal(ins->groups[0].n_dims, 1);
    assert_int_equal(ins->groups[1].n_items, 1);
    assert_string_equal(ins->groups[1].items[0], "g2");
    assert_int_equal(ins->n_norms, 2);
    assert_string_equal(ins->norms[1].dimension, "novelty");
    assert_near(ins->norms[0].mean, 4.5, 1e-9);
    assert_near(ins->norms[0].sd, 0.8, 1e-9);
    assert_near(ins->norms[0].n, 120, 1e-9);

    char *m = NULL;
    assert_int_equal(vsc_instrument_render(&m, ins, 2, NULL, "a retired gardener"), 0);
    json_t *j = json_loads(m, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "content")),
                        "Answer as a retired gardener.");
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "content")),
                        "Statement: Sharing vegetables with neighbours is a duty.\nOptions:\n"
                        "A. Disagree\nB. Unsure\nC. Agree\nPick 1 to 3.");
    json_decref(j);
    free(m);
    vsc_instrument_free(ins);
}

static void test_system_file(void **state)
{
    (void)state;
    struct vsc_instrument *ins = NULL;
    struct vsc_diag d = {0};
    int rc = vsc_instrument_load(&ins, "file", DATA "sysfile.yaml", NULL, &d);
    if (rc) print_error("%s:%d:%d: %s\n", d.file, d.line, d.col, d.msg);
    assert_int_equal(rc, 0);
    assert_string_equal(ins->system, "garden");
    assert_string_equal(ins->items[1].dimension, "order");
    assert_int_equal(ins->items[1].key, -1);
    assert_null(ins->user_template);
    assert_int_equal(ins->centre, 0);
    assert_int_equal(ins->aggregate, VSC_AGG_AVG);
    vsc_instrument_free(ins);
}

static void test_bad(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        int line, col;
        const char *msg;
    } cases[] = {
        {"unknown_dim.yaml", 12, 16, "unknown dimension 'kindness' (not in value system"},
        {"no_dim.yaml", 10, 5, "item 'b' has no dimension"},
        {"dup_id.yaml", 10, 9, "duplicate item id 'a'"},
        {"bad_key.yaml", 10, 10, "'key' must be 1 or -1"},
        {"unknown_key.yaml", 10, 12, "unknown key 'keyed' in an item"},
        {"empty_scale.yaml", 3, 8, "'scale' must be a list of at least 2 options"},
        {"no_scale.yaml", 1, 1, "missing 'scale'"},
        {"dup_label.yaml", 5, 13, "duplicate scale label 'agree'"},
        {"bad_value.yaml", 5, 23, "'value' must be a number"},
        {"unknown_system.yaml", 2, 9, "unknown value system 'values-of-mars'"},
        {"group_unknown_item.yaml", 9, 24, "unknown item 'zz' in group 'g'"},
        {"group_unknown_dim.yaml", 9, 27, "unknown dimension 'care' in group 'g'"},
        {"bad_yaml.yaml", 8, 5, "YAML syntax error"},
        {"template_no_item.yaml", 9, 9, "no {item} slot"},
        {"bad_answer.yaml", 8, 9, "'answer' must be text or logprobs"},
    };
    int failed = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[256];
        snprintf(path, sizeof(path), DATA "%s", cases[i].file);
        struct vsc_instrument *ins = (void *)1;
        struct vsc_diag d = {0};
        int rc = vsc_instrument_load(&ins, "file", path, NULL, &d);
        if (rc != VSC_ERR_INPUT || ins || d.line != cases[i].line || d.col != cases[i].col ||
            !strstr(d.msg, cases[i].msg) || strcmp(d.file, path) != 0) {
            print_error("%s: rc %d at %s:%d:%d: %s\n", cases[i].file, rc, d.file, d.line, d.col,
                        d.msg);
            failed++;
        }
    }
    assert_int_equal(failed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_system_file),
        cmocka_unit_test(test_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
