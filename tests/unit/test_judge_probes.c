/* The probe instruments: the built-in banks (at least 10 probes per value, tags naming real
 * dimensions, unique ids, raw prompts) and ValueBench advice questions asked for short answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge/judge_int.h"
#include "valscope/instrument.h"
#include "valscope/judge.h"

static void check_bank(const char *name)
{
    struct vsc_instrument *ins = NULL;
    struct vsc_value_system *vs = NULL;
    struct vsc_diag diag = {0};
    char arg[64];
    snprintf(arg, sizeof arg, "builtin:%s", name);
    /* through the instrument dispatcher, as the planner loads it */
    assert_int_equal(vsc_instrument_load(&ins, "probes", arg, NULL, &diag), 0);
    assert_int_equal(vsc_value_system_builtin(&vs, ins->system, &diag), 0);
    assert_int_equal(ins->n_options, 0);
    size_t per_dim[64] = {0};
    for (size_t i = 0; i < ins->n_items; i++) {
        const struct vsc_item *it = &ins->items[i];
        int d = vsc_value_system_find(vs, it->dimension);
        if (d < 0) fail_msg("%s: probe %s has unknown value %s", name, it->id, it->dimension);
        per_dim[d]++;
        assert_true(it->key == 1 || it->key == -1);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(ins->items[j].id, it->id);
        json_t *m = json_loads(it->messages_json, 0, NULL);
        assert_int_equal(json_array_size(m), 1);
        assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "role")),
                            "user");
        assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "content")),
                            it->question);
        json_decref(m);
        char *msgs = NULL;
        assert_int_equal(vsc_instrument_render(&msgs, ins, i, NULL, NULL), 0);
        free(msgs);
    }
    for (size_t d = 0; d < vs->n_dims; d++)
        if (per_dim[d] < 10)
            fail_msg("%s: only %zu probes for %s", name, per_dim[d], vs->dims[d].id);
    /* every tag is a dimension of the system, the primary value first */
    size_t n = 0;
    const struct judge_probe *bank = judge_probe_bank(name, &n);
    assert_int_equal(n, ins->n_items);
    for (size_t i = 0; i < n; i++) {
        char tags[256];
        snprintf(tags, sizeof tags, "%s", bank[i].tags);
        int first = 1;
        for (char *t = strtok(tags, " "); t; t = strtok(NULL, " ")) {
            if (vsc_value_system_find(vs, t) < 0)
                fail_msg("probe %s: tag %s is not a value", bank[i].id, t);
            if (first) assert_string_equal(t, bank[i].dim);
            first = 0;
        }
        assert_true(!strcmp(bank[i].kind, "advice") || !strcmp(bank[i].kind, "stance") ||
                    !strcmp(bank[i].kind, "dilemma"));
    }
    vsc_value_system_free(vs);
    vsc_instrument_free(ins);
}

static void test_builtin_schwartz(void **state)
{
    (void)state;
    check_bank("schwartz");
}

static void test_builtin_mft(void **state)
{
    (void)state;
    check_bank("mft");
}

static void test_valuebench(void **state)
{
    (void)state;
    struct vsc_instrument *ins = NULL;
    struct vsc_diag diag = {0};
    assert_int_equal(
        vsc_probes_load(&ins, "valuebench:vb_mini.csv#MINI", "tests/data/judge", &diag), 0);
    assert_int_equal(ins->n_items, 4);
    assert_int_equal(ins->n_options, 0);
    assert_string_equal(ins->items[1].dimension, "Kindness");
    assert_int_equal(ins->items[1].key, -1);
    json_t *m = json_loads(ins->items[1].messages_json, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "content")),
                        "Should I keep my money to myself? Answer using no more than 50 words.");
    json_decref(m);
    vsc_instrument_free(ins);
}

static void test_bad_specs(void **state)
{
    (void)state;
    struct vsc_instrument *ins = NULL;
    struct vsc_diag diag = {0};
    assert_int_equal(vsc_probes_load(&ins, "builtin:nope", NULL, &diag), VSC_ERR_NOTFOUND);
    assert_non_null(strstr(diag.msg, "schwartz, mft"));
    assert_int_equal(vsc_probes_load(&ins, "questions.txt", NULL, &diag), VSC_ERR_INPUT);
    assert_int_equal(vsc_probes_load(&ins, "", NULL, &diag), VSC_ERR_INPUT);
    assert_int_equal(vsc_probes_load(&ins, "valuebench:missing.csv#X", "tests/data/judge", &diag),
                     VSC_ERR_IO);
    assert_null(ins);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_schwartz),
        cmocka_unit_test(test_builtin_mft),
        cmocka_unit_test(test_valuebench),
        cmocka_unit_test(test_bad_specs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
