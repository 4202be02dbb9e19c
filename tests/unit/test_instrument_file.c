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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_system_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
