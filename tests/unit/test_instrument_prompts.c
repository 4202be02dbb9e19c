/* The prompts kind (JSONL raw prompts) and vsc_instrument_render. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "instruments/ins_internal.h"
#include "valscope/instrument.h"

#define DATA "tests/data/instruments/prompts/"

static void test_good_file(void **state)
{
    (void)state;
    struct vsc_instrument *ins = NULL;
    struct vsc_diag d = {0};
    assert_int_equal(vsc_instrument_load(&ins, "prompts", DATA "good.jsonl", NULL, &d), 0);
    assert_non_null(ins);
    assert_int_equal(ins->n_items, 3);
    assert_int_equal(ins->n_options, 0);
    assert_string_equal(ins->items[0].id, "p1");
    assert_null(ins->items[0].dimension);
    assert_int_equal(ins->items[0].key, 0);
    /* a plain prompt is kept as text and rendered as one user message */
    assert_string_equal(ins->items[0].text, "What matters most to you?");
    assert_null(ins->items[0].messages_json);
    assert_string_equal(ins->items[2].id, "3");
    assert_int_equal(vsc_instrument_find_item(ins, "p2"), 1);
    assert_int_equal(vsc_instrument_find_item(ins, "3"), 2);
    assert_int_equal(vsc_instrument_find_item(ins, "nope"), -1);

    char *m = NULL;
    assert_int_equal(vsc_instrument_render(&m, ins, 1, NULL, NULL), 0);
    assert_string_equal(m, "[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                           "{\"role\":\"user\",\"content\":\"Is honesty important?\"}]");
    free(m);
    assert_int_equal(vsc_instrument_render(&m, ins, 0, NULL, NULL), 0);
    assert_string_equal(m, "[{\"role\":\"user\",\"content\":\"What matters most to you?\"}]");
    free(m);
    assert_int_equal(vsc_instrument_render(&m, ins, 0, NULL, "You are a farmer."), 0);
    assert_string_equal(m, "[{\"role\":\"system\",\"content\":\"You are a farmer.\"},"
                           "{\"role\":\"user\",\"content\":\"What matters most to you?\"}]");
    free(m);
    assert_int_equal(vsc_instrument_render(&m, ins, 3, NULL, NULL), VSC_ERR_INPUT);
    assert_null(m);
    vsc_instrument_free(ins);
}

static void test_missing_file_and_kind(void **state)
{
    (void)state;
    struct vsc_instrument *ins = NULL;
    struct vsc_diag d = {0};
    assert_int_equal(vsc_instrument_load(&ins, "prompts", "no/such/file.jsonl", NULL, &d),
                     VSC_ERR_IO);
    assert_int_equal(vsc_instrument_load(&ins, "bogus", "x", NULL, &d), VSC_ERR_INPUT);
    assert_non_null(strstr(d.msg, "unknown instrument kind 'bogus'"));
    assert_int_equal(vsc_instrument_load(&ins, "prompts", "", NULL, &d), VSC_ERR_INPUT);
    assert_null(ins);
}

/* A questionnaire built in code: slots, letters, order and persona placement. */
static void test_render_questionnaire(void **state)
{
    (void)state;
    struct vsc_instrument *ins = ins_new();
    assert_non_null(ins);
    assert_int_equal(ins_add_option(ins, "Disagree", 1), 0);
    assert_int_equal(ins_add_option(ins, "Neutral", 2), 0);
    assert_int_equal(ins_add_option(ins, "Agree", 3), 0);
    struct vsc_item *it = ins_add_item(ins);
    it->id = strdup("q1");
    it->text = strdup("Rules {options} matter.");
    ins->system_template = strdup("Persona: {persona}");
    ins->user_template = strdup("{item}\n{options}\nScale {scale_min}-{scale_max} {unknown}");

    char *m = NULL;
    assert_int_equal(vsc_instrument_render(&m, ins, 0, NULL, "a nurse"), 0);
    json_t *j = json_loads(m, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_array_size(j), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "content")),
                        "Persona: a nurse");
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "role")), "user");
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "content")),
                        "Rules {options} matter.\nA. Disagree\nB. Neutral\nC. Agree\n"
                        "Scale 1-3 {unknown}");
    json_decref(j);
    free(m);

    const size_t rev[] = {2, 1, 0};
    free(ins->system_template);
    ins->system_template = NULL;
    assert_int_equal(vsc_instrument_render(&m, ins, 0, rev, "a nurse"), 0);
    j = json_loads(m, 0, NULL);
    assert_int_equal(json_array_size(j), 2); /* persona without a slot: its own system msg */
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "content")),
                        "a nurse");
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "content")),
                        "Rules {options} matter.\nA. Agree\nB. Neutral\nC. Disagree\n"
                        "Scale 1-3 {unknown}");
    json_decref(j);
    free(m);

    assert_int_equal(vsc_instrument_render(&m, ins, 0, NULL, NULL), 0);
    j = json_loads(m, 0, NULL);
    assert_int_equal(json_array_size(j), 1);
    json_decref(j);
    free(m);

    const size_t bad[] = {0, 7, 1};
    assert_int_equal(vsc_instrument_render(&m, ins, 0, bad, NULL), VSC_ERR_INPUT);
    assert_null(m);
    vsc_instrument_free(ins);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_file),
        cmocka_unit_test(test_missing_file_and_kind),
        cmocka_unit_test(test_render_questionnaire),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
