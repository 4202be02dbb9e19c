/* The cell contract (src/plan/cell.c): every format written and parsed back, with odd inputs
 * (separators inside names, more than 26 options, empty fields), the meta writer against the
 * exact text the planner has always stored, the reader's refusals, and request bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "plan/cell.h"
#include "support/testutil.h"
#include "util/letter.h"
#include "valscope/instrument.h"

static void test_letters(void **state)
{
    (void)state;
    static const struct {
        size_t pos;
        const char *s;
    } known[] = {{0, "A"},   {1, "B"},   {25, "Z"},   {26, "AA"},   {27, "AB"},
                 {51, "AZ"}, {52, "BA"}, {701, "ZZ"}, {702, "AAA"}, {18277, "ZZZ"}};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++) {
        char l[OPTION_LETTER_MAX];
        option_letter(l, known[i].pos);
        assert_string_equal(l, known[i].s);
        assert_int_equal(option_letter_parse(known[i].s, strlen(known[i].s)), (long)known[i].pos);
    }
    /* every position of a big instrument has its own letters, read back to it */
    for (size_t pos = 0; pos < 30000; pos++) {
        char l[OPTION_LETTER_MAX];
        option_letter(l, pos);
        assert_int_equal(option_letter_parse(l, strlen(l)), (long)pos);
    }
    assert_int_equal(option_letter_parse("ab", 2), 27); /* case does not matter */
    assert_int_equal(option_letter_parse("", 0), -1);
    assert_int_equal(option_letter_parse("A1", 2), -1);
    assert_int_equal(option_letter_parse("\xc3\x89", 2), -1); /* É */
    assert_int_equal(option_letter_parse("ABCDEFG", 7), -1);  /* longer than any we write */
    char l[OPTION_LETTER_MAX] = "x";
    option_letter(l, (size_t)-1);
    assert_string_equal(l, "");
}

static void test_respondent(void **state)
{
    (void)state;
    char *r = cell_respondent("m|x", "c|y", 3);
    assert_string_equal(r, "m|x|c|y|3");
    size_t stem = 0;
    int sample = -9;
    assert_int_equal(cell_respondent_parse(&stem, &sample, r), 0);
    assert_int_equal(stem, strlen("m|x|c|y"));
    assert_int_equal(sample, 3);
    free(r);

    r = cell_respondent("", "", 0); /* empty names */
    assert_string_equal(r, "||0");
    assert_int_equal(cell_respondent_parse(&stem, &sample, r), 0);
    assert_int_equal(stem, 1);
    assert_int_equal(sample, 0);
    free(r);

    r = cell_respondent("m", "persona:1:2", 2147483647);
    assert_int_equal(cell_respondent_parse(&stem, &sample, r), 0);
    assert_int_equal(sample, 2147483647);
    assert_int_equal(stem, strlen("m|persona:1:2"));
    free(r);

    /* what cell_respondent never writes is not read as a sample */
    static const char *const not_ours[] = {"r1",   "a|",   "a|07",          "a|+7",
                                           "a|7x", "a| 7", "a|99999999999", NULL};
    for (const char *const *s = not_ours; *s; s++) {
        stem = 99;
        assert_int_equal(cell_respondent_parse(&stem, &sample, *s), -1);
        assert_int_equal(stem, 99);
    }
    assert_int_equal(cell_respondent_parse(&stem, &sample, NULL), -1);
}

static void test_conditions(void **state)
{
    (void)state;
    struct cell_condition c;
    char *s = cell_condition_persona(7, 12);
    assert_string_equal(s, "persona:7:12");
    assert_int_equal(cell_condition_parse(&c, s), CELL_COND_PERSONA);
    assert_true(c.seed == 7 && c.index == 12);
    free(s);
    s = cell_condition_persona(-5, 0);
    assert_int_equal(cell_condition_parse(&c, s), CELL_COND_PERSONA);
    assert_true(c.seed == -5 && c.index == 0);
    free(s);
    s = cell_condition_persona_file("a:b|c");
    assert_string_equal(s, "persona:file:a:b|c");
    assert_int_equal(cell_condition_parse(&c, s), CELL_COND_PERSONA_FILE);
    assert_string_equal(c.file_id, "a:b|c");
    free(s);
    s = cell_condition_persona_file("");
    assert_int_equal(cell_condition_parse(&c, s), CELL_COND_PERSONA_FILE);
    assert_string_equal(c.file_id, "");
    free(s);
    assert_int_equal(cell_condition_parse(&c, CELL_BASELINE), CELL_COND_BASELINE);
    static const char *const other[] = {"",
                                        "Baseline",
                                        "terse",
                                        "persona:",
                                        "persona:1",
                                        "persona:1:",
                                        "persona:x:1",
                                        "persona:1:2:3",
                                        "persona:1:-1",
                                        "persona:1:10000001",
                                        "persona:99999999999999999999:1",
                                        NULL};
    for (const char *const *o = other; *o; o++)
        assert_int_equal(cell_condition_parse(&c, *o), CELL_COND_OTHER);
    assert_int_equal(cell_condition_parse(&c, NULL), CELL_COND_OTHER);
}

static void test_judge_label(void **state)
{
    (void)state;
    size_t len = 0;
    const char *stage = NULL;
    char *s = cell_judge_label("a#b|c", "gpv:extract");
    assert_string_equal(s, "a#b|c#judge:gpv:extract");
    assert_int_equal(cell_judge_label_parse(&len, &stage, s), 1);
    assert_int_equal(len, 5);
    assert_string_equal(stage, "gpv:extract");
    free(s);
    /* a label that itself holds the mark: the last one separates */
    s = cell_judge_label("x#judge:y", "lean");
    assert_int_equal(cell_judge_label_parse(&len, &stage, s), 1);
    assert_int_equal(len, strlen("x#judge:y"));
    assert_string_equal(stage, "lean");
    free(s);
    s = cell_judge_label("", "");
    assert_int_equal(cell_judge_label_parse(&len, &stage, s), 1);
    assert_int_equal(len, 0);
    assert_string_equal(stage, "");
    free(s);
    len = 42;
    assert_int_equal(cell_judge_label_parse(&len, &stage, "builtin:schwartz"), 0);
    assert_int_equal(cell_judge_label_parse(&len, &stage, "a#judge"), 0);
    assert_int_equal(cell_judge_label_parse(&len, &stage, NULL), 0);
    assert_int_equal(len, 42);
}

/* The exact meta the planner stored before cell.c existed, for a three-option item. */
static const char PLANNER_META[] =
    "{\"dim\":\"power\",\"key\":-1,\"labels\":[\"No\",\"Some\",\"Yes\"],\"logprobs\":true,"
    "\"mode\":\"logprobs\",\"order\":[2,0,1],\"persona\":{\"age\":30},\"position\":4,\"repeat\":2,"
    "\"respondent\":\"m|persona:1:0|2\",\"tokens\":[\"A\",\"B\",\"C\"],\"values\":[1.0,2.0,3.0]}";

static void test_meta_round_trip(void **state)
{
    (void)state;
    struct vsc_option opts[3] = {{"No", 1}, {"Some", 2}, {"Yes", 3}};
    size_t order[3] = {2, 0, 1};
    json_t *persona = json_pack("{s:i}", "age", 30);
    struct cell_meta w = {.persona = persona,
                          .respondent = "m|persona:1:0|2",
                          .repeat = 2,
                          .position = 4,
                          .dim = "power",
                          .key = -1,
                          .n_options = 3,
                          .order = order,
                          .options = opts,
                          .mode = CELL_MODE_LOGPROBS};
    char *text = cell_meta_write(&w);
    assert_string_equal(text, PLANNER_META);
    struct cell_meta r;
    size_t buf[3];
    char why[128];
    assert_int_equal(cell_meta_read(&r, text, 3, buf, why, sizeof why), 0);
    assert_string_equal(r.respondent, "m|persona:1:0|2");
    assert_true(r.has_repeat && r.repeat == 2);
    assert_int_equal(r.position, 4);
    assert_string_equal(r.dim, "power");
    assert_true(r.has_key && r.key == -1);
    assert_ptr_equal(r.order, buf);
    assert_true(buf[0] == 2 && buf[1] == 0 && buf[2] == 1);
    assert_int_equal(r.mode, CELL_MODE_LOGPROBS);
    assert_int_equal(json_integer_value(json_object_get(r.persona, "age")), 30);
    assert_null(r.source);
    cell_meta_clear(&r);
    free(text);
    json_decref(persona);

    /* an empty meta writes only the repeat and reads back as no fields */
    struct cell_meta e = {.position = -1};
    text = cell_meta_write(&e);
    assert_string_equal(text, "{\"repeat\":0}");
    free(text);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(cell_meta_read(&r, i ? "" : NULL, 3, buf, why, sizeof why), 0);
        assert_true(!r.respondent && !r.has_repeat && r.position == -1 && !r.order && !r.dim);
        assert_int_equal(r.mode, CELL_MODE_NONE);
        cell_meta_clear(&r);
    }
}

/* More than 26 options: tokens are the letters the prompt shows, never repeated. */
static void test_meta_many_options(void **state)
{
    (void)state;
    struct vsc_option opts[30];
    size_t order[30];
    char labels[30][8];
    for (int i = 0; i < 30; i++) {
        snprintf(labels[i], sizeof labels[i], "o%d", i);
        opts[i] = (struct vsc_option){labels[i], i};
        order[i] = (size_t)(29 - i);
    }
    struct cell_meta w = {
        .position = -1, .n_options = 30, .order = order, .options = opts, .mode = CELL_MODE_TEXT};
    char *text = cell_meta_write(&w);
    json_t *m = json_loads(text, 0, NULL);
    json_t *tokens = json_object_get(m, "tokens");
    assert_int_equal(json_array_size(tokens), 30);
    assert_string_equal(json_string_value(json_array_get(tokens, 25)), "Z");
    assert_string_equal(json_string_value(json_array_get(tokens, 26)), "AA");
    assert_string_equal(json_string_value(json_array_get(tokens, 29)), "AD");
    assert_null(json_object_get(m, "logprobs"));
    json_decref(m);
    struct cell_meta r;
    size_t buf[30];
    char why[128];
    assert_int_equal(cell_meta_read(&r, text, 30, buf, why, sizeof why), 0);
    assert_true(r.order[0] == 29 && r.order[29] == 0);
    assert_int_equal(r.mode, CELL_MODE_TEXT);
    cell_meta_clear(&r);
    free(text);
}

static void test_meta_refused(void **state)
{
    (void)state;
    static const struct {
        const char *meta, *why;
    } bad[] = {
        {"[1,2]", "meta is not a JSON object"},
        {"{\"repeat\"", "meta is not a JSON object"},
        {"{\"repeat\":-1}", "meta.repeat must be a non-negative integer"},
        {"{\"repeat\":\"1\"}", "meta.repeat must be a non-negative integer"},
        {"{\"order\":[0,1]}", "meta.order must list the 3 options once each"},
        {"{\"order\":{}}", "meta.order must list the 3 options once each"},
        {"{\"order\":[0,0,1]}", "meta.order[1] is not an unused option index"},
        {"{\"order\":[0,1,3]}", "meta.order[2] is not an unused option index"},
        {"{\"order\":[0,\"1\",2]}", "meta.order[1] is not an unused option index"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct cell_meta r;
        size_t buf[3];
        char why[128] = "";
        assert_int_equal(cell_meta_read(&r, bad[i].meta, 3, buf, why, sizeof why), VSC_ERR_INPUT);
        assert_string_equal(why, bad[i].why);
        assert_null(r.order);
        cell_meta_clear(&r);
    }
}

static void test_bodies(void **state)
{
    (void)state;
    struct vsc_model_cfg judge = {.name = "j1", .model = "judge-model", .backend = "openai"};
    json_t *msgs = json_loads("[{\"role\":\"user\",\"content\":\"x\"}]", 0, NULL);
    json_t *none = json_object(), *fixed = json_pack("{s:i}", "temperature", 0);
    /* a judge label call without params: the body judges have always sent */
    struct plan_cell c = {.model = &judge,
                          .params = none,
                          .fixed = fixed,
                          .messages = msgs,
                          .n_logprob_options = 5,
                          .max_tokens = 4};
    char *b = plan_cell_body(&c);
    assert_string_equal(b, "{\"logprobs\":true,\"max_tokens\":4,\"messages\":[{\"content\":\"x\","
                           "\"role\":\"user\"}],\"model\":\"judge-model\",\"temperature\":0,"
                           "\"top_logprobs\":5}");
    free(b);
    /* the run's params reach it, under what the cell fixes */
    json_t *params = json_pack("{s:i,s:f,s:i}", "seed", 5, "temperature", 0.7, "max_tokens", 64);
    c.params = params;
    c.n_logprob_options = 0;
    b = plan_cell_body(&c);
    assert_string_equal(b,
                        "{\"max_tokens\":64,\"messages\":[{\"content\":\"x\",\"role\":\"user\"}],"
                        "\"model\":\"judge-model\",\"seed\":5,\"temperature\":0}");
    free(b);
    /* an item cell: seed + sample, logprobs for 30 options capped at 20 */
    c.fixed = NULL;
    c.sample = 2;
    c.n_logprob_options = 30;
    c.max_tokens = 0;
    b = plan_cell_body(&c);
    assert_string_equal(b, "{\"logprobs\":true,\"max_tokens\":1,\"messages\":[{\"content\":\"x\","
                           "\"role\":\"user\"}],\"model\":\"judge-model\",\"seed\":7,"
                           "\"temperature\":0.69999999999999996,\"top_logprobs\":20}");
    free(b);
    json_decref(params);
    json_decref(none);
    json_decref(fixed);
    json_decref(msgs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_letters),         cmocka_unit_test(test_respondent),
        cmocka_unit_test(test_conditions),      cmocka_unit_test(test_judge_label),
        cmocka_unit_test(test_meta_round_trip), cmocka_unit_test(test_meta_many_options),
        cmocka_unit_test(test_meta_refused),    cmocka_unit_test(test_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
