/* Loaders for users' files in their published formats: pvqrr, valuebench, psychobench.
 * The published files are read from ../shared/data when present (skipped otherwise); the
 * fixtures under tests/data/instruments/ use wording written for this project; their bad
 * inputs are cases of tests/data/bad/ (test_bad_inputs). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/testutil.h"
#include "valscope/instrument.h"

#define DATA "tests/data/instruments/"
#define SHARED "../shared/data/"

static int have(const char *path)
{
    if (access(path, R_OK) == 0) return 1;
    printf("SKIP %s is absent\n", path);
    return 0;
}

static struct vsc_instrument *load_ok(const char *kind, const char *arg)
{
    struct vsc_instrument *ins = NULL;
    struct vsc_diag d = {0};
    int rc = vsc_instrument_load(&ins, kind, arg, NULL, &d);
    if (rc) print_error("%s:%s: %s:%d:%d: %s\n", kind, arg, d.file, d.line, d.col, d.msg);
    assert_int_equal(rc, 0);
    return ins;
}

static const char *dim_of(const struct vsc_instrument *ins, const char *id)
{
    long k = vsc_instrument_find_item(ins, id);
    assert_true(k >= 0);
    return ins->items[k].dimension;
}

/* ---- PVQ-RR ------------------------------------------------------------------------------ */

static void test_pvqrr_shared(void **state)
{
    (void)state;
    const char *path = SHARED "roleplay/pvq_rr_questions.jsonl";
    if (!have(path)) {
        skip();
        return;
    }
    struct vsc_instrument *ins = load_ok("pvqrr", path);
    assert_string_equal(ins->id, "pvqrr");
    assert_string_equal(ins->system, "schwartz");
    assert_int_equal(ins->n_items, 57);
    assert_int_equal(ins->centre, 1);
    assert_int_equal(ins->n_options, 6);
    assert_true(strlen(ins->options[0].label) > 0); /* the labels come from the file */
    assert_near(ins->options[0].value, 1, 1e-9);
    assert_near(ins->options[5].value, 6, 1e-9);
    assert_string_equal(dim_of(ins, "1"), "self-direction");
    assert_string_equal(dim_of(ins, "7"), "tradition"); /* humility counts to tradition */
    assert_string_equal(dim_of(ins, "12"), "power");
    assert_string_equal(dim_of(ins, "43"), "stimulation");
    assert_string_equal(dim_of(ins, "46"), "hedonism");
    assert_string_equal(dim_of(ins, "57"), "universalism");
    static const char *const face[] = {"9", "24", "49"};
    for (size_t i = 0; i < 3; i++) {
        long k = vsc_instrument_find_item(ins, face[i]);
        assert_true(k >= 0);
        assert_null(ins->items[k].dimension);
        assert_int_equal(ins->items[k].key, 0);
    }
    static const struct {
        const char *value;
        size_t n;
    } counts[] = {{"self-direction", 6}, {"stimulation", 3}, {"hedonism", 3},   {"achievement", 3},
                  {"power", 6},          {"security", 6},    {"conformity", 6}, {"tradition", 6},
                  {"benevolence", 6},    {"universalism", 9}};
    for (size_t v = 0; v < 10; v++) {
        size_t n = 0;
        for (size_t i = 0; i < ins->n_items; i++)
            if (ins->items[i].dimension && strcmp(ins->items[i].dimension, counts[v].value) == 0)
                n++;
        assert_int_equal(n, counts[v].n);
    }
    assert_int_equal(ins->n_groups, 4);
    const struct vsc_group *cons = NULL;
    for (size_t g = 0; g < ins->n_groups; g++)
        if (strcmp(ins->groups[g].id, "conservation") == 0) cons = &ins->groups[g];
    assert_non_null(cons);
    assert_int_equal(cons->n_items, 15);
    int has18 = 0, has7 = 0;
    for (size_t i = 0; i < cons->n_items; i++) {
        has18 |= strcmp(cons->items[i], "18") == 0;
        has7 |= strcmp(cons->items[i], "7") == 0;
    }
    assert_true(has18);
    assert_false(has7);
    assert_string_equal(ins->groups[0].id, "openness");
    assert_int_equal(ins->groups[0].n_dims, 3);
    vsc_instrument_free(ins);
}

/* ---- ValueBench -------------------------------------------------------------------------- */

static void test_valuebench_shared(void **state)
{
    (void)state;
    const char *path = SHARED "valuebench/value_orientation.csv";
    if (!have(path)) {
        skip();
        return;
    }
    char arg[256];
    snprintf(arg, sizeof(arg), "%s#PVQ40", path);
    struct vsc_instrument *ins = load_ok("valuebench", arg);
    assert_string_equal(ins->id, "valuebench:PVQ40");
    assert_int_equal(ins->n_items, 40); /* rows of PVQ40 in the CSV */
    assert_int_equal(ins->n_options, 11);
    assert_near(ins->options[0].value, 0, 1e-9);
    assert_near(ins->options[10].value, 10, 1e-9);
    assert_string_equal(ins->items[0].alias, "1");
    assert_string_equal(ins->items[0].dimension, "Self-Direction");
    assert_int_equal(ins->items[0].key, 1);
    /* the id is the item text, trimmed */
    assert_int_equal(vsc_instrument_find_item(ins, ins->items[0].id), 0);
    assert_int_equal(vsc_instrument_find_item(ins, "40"), 39);
    assert_non_null(ins->items[0].question);
    assert_true(strlen(ins->items[0].question) > 10);
    vsc_instrument_free(ins);

    snprintf(arg, sizeof(arg), "%s#MFT08", path);
    ins = load_ok("valuebench", arg);
    assert_int_equal(ins->n_items, 30); /* MFQ-30 */
    size_t per[5] = {0};
    static const char *const found[] = {"Care", "Fairness", "Loyalty", "Authority", "Purity"};
    for (size_t i = 0; i < ins->n_items; i++)
        for (size_t f = 0; f < 5; f++)
            if (strcmp(ins->items[i].dimension, found[f]) == 0) per[f]++;
    for (size_t f = 0; f < 5; f++)
        assert_int_equal(per[f], 6);
    vsc_instrument_free(ins);

    ins = load_ok("valuebench", path); /* every questionnaire */
    assert_int_equal(ins->n_items, 1988);
    long k = vsc_instrument_find_item(ins, "PVQ40/1"); /* by alias: questionnaire/row */
    assert_true(k >= 0);
    assert_int_equal(strncmp(ins->items[k].id, "PVQ40/", 6), 0);
    assert_string_equal(ins->items[k].dimension, "Self-Direction");
    assert_int_equal(vsc_instrument_find_item(ins, ins->items[k].id), k);
    vsc_instrument_free(ins);
}

static void test_valuebench_fixture(void **state)
{
    (void)state;
    struct vsc_instrument *ins = load_ok("valuebench", DATA "valuebench/small.csv#GARDEN");
    assert_int_equal(ins->n_items, 4);
    assert_string_equal(ins->items[0].id, "I like to plant things, even in winter.");
    assert_string_equal(ins->items[0].question, "Should I plant things, even in winter?");
    assert_string_equal(ins->items[2].id, "A \"perfect\" lawn is a waste\nof water.");
    assert_int_equal(ins->items[2].key, -1);
    assert_string_equal(ins->items[2].alias, "3");
    /* a repeated item text on another value keeps both rows */
    assert_string_equal(ins->items[3].id, "I pull weeds every day. (Care)");
    assert_string_equal(ins->items[3].alias, "4");
    assert_int_equal(vsc_instrument_find_item(ins, "I pull weeds every day."), 1);
    assert_int_equal(vsc_instrument_find_item(ins, "2"), 1);
    vsc_instrument_free(ins);
}

/* ---- PsychoBench ------------------------------------------------------------------------- */

static void test_psychobench(void **state)
{
    (void)state;
    struct vsc_instrument *ins = load_ok("psychobench", DATA "psychobench/small.json#KITCHEN");
    assert_string_equal(ins->id, "psychobench:KITCHEN");
    assert_int_equal(ins->n_items, 5);
    assert_int_equal(ins->n_options, 5); /* scale 6: answers 1..5 */
    assert_string_equal(ins->options[4].label, "5");
    assert_near(ins->options[4].value, 5, 1e-9);
    assert_int_equal(ins->aggregate, VSC_AGG_AVG);
    assert_string_equal(dim_of(ins, "1"), "Tidiness");
    assert_string_equal(dim_of(ins, "4"), "Curiosity");
    assert_int_equal(ins->items[vsc_instrument_find_item(ins, "2")].key, -1);
    assert_int_equal(ins->items[vsc_instrument_find_item(ins, "3")].key, 1);
    long k5 = vsc_instrument_find_item(ins, "5");
    assert_null(ins->items[k5].dimension); /* in no category: asked, not scored */
    assert_int_equal(ins->items[k5].key, 0);
    assert_int_equal(ins->n_groups, 1); /* "Overall" overlaps: a group of its items */
    assert_string_equal(ins->groups[0].id, "Overall");
    assert_int_equal(ins->groups[0].n_items, 4);
    assert_int_equal(ins->n_norms, 3);
    assert_string_equal(ins->norms[1].crowd, "Chefs");
    assert_string_equal(ins->norms[1].dimension, "Tidiness");
    assert_near(ins->norms[1].mean, 4.4, 1e-9);
    assert_near(ins->norms[1].sd, 0.5, 1e-9);
    assert_near(ins->norms[1].n, 35, 1e-9);
    assert_string_equal(ins->system_template, "You can only reply with a number from 1 to 5.");
    assert_non_null(strstr(ins->user_template, "from 1 (not at all) to 5 (very well).\n\n{item}"));
    vsc_instrument_free(ins);

    ins = load_ok("psychobench", DATA "psychobench/small.json#WEATHER");
    assert_int_equal(ins->aggregate, VSC_AGG_SUM);
    assert_int_equal(ins->n_options, 7);
    assert_null(ins->system_template);
    vsc_instrument_free(ins);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pvqrr_shared),
        cmocka_unit_test(test_valuebench_shared),
        cmocka_unit_test(test_valuebench_fixture),
        cmocka_unit_test(test_psychobench),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
