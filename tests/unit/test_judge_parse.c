/* Judge-output parsers, data-driven: tests/data/judge/parse_cases.jsonl holds one case a line
 * ({"parser", "input", "expect"}; expect null = must be unreadable). Also the prompt templates:
 * slots filled once, model text never rescanned. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge/judge_int.h"
#include "valscope/instrument.h"

#define CASES "tests/data/judge/parse_cases.jsonl"

static int near(double a, double b)
{
    return fabs(a - b) <= 1e-6;
}

static const char *label_name(int i, const char *const *labels)
{
    return i < 0 ? "(none)" : labels[i];
}

/* Runs one case; returns NULL when it passes, else a message (static buffer). */
static const char *run_case(json_t *c, const struct vsc_value_system *vs)
{
    static char msg[512];
    const char *parser = json_string_value(json_object_get(c, "parser"));
    const char *input = json_string_value(json_object_get(c, "input"));
    json_t *expect = json_object_get(c, "expect");
    if (!parser || !input || !expect) return "malformed case";
    if (!strcmp(parser, "lean")) {
        double got;
        int rc = judge_parse_lean(&got, input);
        if (json_is_null(expect)) {
            if (rc == 0) snprintf(msg, sizeof msg, "read %g, want unreadable", got);
            return rc == 0 ? msg : NULL;
        }
        if (rc) return "unreadable, want a rating";
        if (!near(got, json_number_value(expect))) {
            snprintf(msg, sizeof msg, "read %g, want %g", got, json_number_value(expect));
            return msg;
        }
        return isnan(got) ? "NAN" : NULL;
    }
    if (!strcmp(parser, "stance_one")) {
        int got = judge_parse_stance_one(input);
        int want = json_is_null(expect) ? JUDGE_UNREAD : (int)json_integer_value(expect);
        if (got == want) return NULL;
        snprintf(msg, sizeof msg, "read %d, want %d", got, want);
        return msg;
    }
    if (!strcmp(parser, "stance_all")) {
        int got[64];
        assert_true(vs->n_dims <= 64);
        judge_parse_stance_all(got, vs, input);
        const char *k;
        json_t *v;
        json_object_foreach(expect, k, v)
        {
            int d = vsc_value_system_find(vs, k);
            if (d < 0) return "case names an unknown dimension";
            int want = json_is_null(v) ? JUDGE_UNREAD : (int)json_integer_value(v);
            if (got[d] != want) {
                snprintf(msg, sizeof msg, "%s: read %d, want %d", k, got[d], want);
                return msg;
            }
        }
        return NULL;
    }
    if (!strcmp(parser, "yesno") || !strcmp(parser, "valence")) {
        int yn = !strcmp(parser, "yesno");
        const char *const *labels = yn ? JUDGE_YESNO : JUDGE_VALENCE;
        int got = judge_parse_label(input, labels, yn ? 2 : 3);
        const char *want = json_string_value(expect);
        if (!want ? got < 0 : (got >= 0 && !strcmp(labels[got], want))) return NULL;
        snprintf(msg, sizeof msg, "read %s, want %s", label_name(got, labels),
                 want ? want : "(none)");
        return msg;
    }
    if (!strcmp(parser, "perceptions")) {
        json_t *got = NULL;
        int rc = judge_parse_perceptions(&got, input);
        int ok = json_is_null(expect) ? rc != 0 : (rc == 0 && json_equal(got, expect));
        if (!ok) {
            char *s = got ? json_dumps(got, JSON_COMPACT) : NULL;
            snprintf(msg, sizeof msg, "read %s (rc %d)", s ? s : "(nothing)", rc);
            free(s);
        }
        json_decref(got);
        return ok ? NULL : msg;
    }
    if (!strncmp(parser, "logprobs_", 9)) {
        int yn = !strcmp(parser, "logprobs_yesno");
        double p[3];
        int rc = judge_label_probs(p, input, yn ? JUDGE_YESNO : JUDGE_VALENCE, yn ? 2 : 3);
        if (json_is_null(expect)) return rc ? NULL : "read probabilities, want unreadable";
        if (rc) return "unreadable, want probabilities";
        for (size_t i = 0; i < json_array_size(expect); i++)
            if (!near(p[i], json_number_value(json_array_get(expect, i)))) {
                snprintf(msg, sizeof msg, "p[%zu] = %g, want %g", i, p[i],
                         json_number_value(json_array_get(expect, i)));
                return msg;
            }
        return NULL;
    }
    return "unknown parser";
}

static void test_parse_cases(void **state)
{
    (void)state;
    FILE *fp = fopen(CASES, "r");
    if (!fp) fail_msg("cannot open %s (run from the repository root)", CASES);
    struct vsc_value_system *vs = NULL;
    struct vsc_diag diag = {0};
    assert_int_equal(vsc_value_system_builtin(&vs, "schwartz", &diag), 0);
    char line[8192];
    int n = 0, failed = 0, lineno = 0;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        if (line[0] == '\n') continue;
        json_error_t err;
        json_t *c = json_loads(line, 0, &err);
        if (!c) fail_msg("%s:%d: %s", CASES, lineno, err.text);
        const char *why = run_case(c, vs);
        if (why) {
            print_message("%s:%d: %s parser on %s: %s\n", CASES, lineno,
                          json_string_value(json_object_get(c, "parser")),
                          json_string_value(json_object_get(c, "input")), why);
            failed++;
        }
        json_decref(c);
        n++;
    }
    fclose(fp);
    vsc_value_system_free(vs);
    assert_true(n >= 50);
    assert_int_equal(failed, 0);
}

static void test_extract_json(void **state)
{
    (void)state;
    /* the fence wins over braces in the prose around it */
    json_t *j = judge_extract_json("Use {curly} braces like this:\n```json\n{\"a\": 1}\n```");
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "a")), 1);
    json_decref(j);
    /* commas inside strings are kept */
    j = judge_extract_json("{\"a\": \"x, }\",}");
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "a")), "x, }");
    json_decref(j);
    assert_null(judge_extract_json("no json at all"));
    assert_null(judge_extract_json("{\"unterminated\": "));
    assert_null(judge_extract_json(NULL));
}

static void test_templates(void **state)
{
    (void)state;
    struct vsc_value_system *vs = NULL;
    struct vsc_diag diag = {0};
    assert_int_equal(vsc_value_system_builtin(&vs, "mft", &diag), 0);
    /* an answer that holds a slot name stays literal */
    char *m = judge_messages(JS_LEAN, vs, -1, "Should I?", "Yes {question} {answer}", NULL);
    assert_non_null(m);
    json_t *a = json_loads(m, 0, NULL);
    const char *user = json_string_value(json_object_get(json_array_get(a, 1), "content"));
    assert_non_null(strstr(user, "Question: Should I?"));
    assert_non_null(strstr(user, "Answer: Yes {question} {answer}"));
    json_decref(a);
    free(m);
    /* all-dimension stance lists every dimension with its definition */
    m = judge_messages(JS_STANCE, vs, -1, "Q", "A", NULL);
    for (size_t d = 0; d < vs->n_dims; d++) {
        char want[64];
        snprintf(want, sizeof want, "- %s (", vs->dims[d].id);
        assert_non_null(strstr(m, want));
    }
    free(m);
    int care = vsc_value_system_find(vs, "care");
    m = judge_messages(JS_VALENCE, vs, care, NULL, NULL, "Kindness matters");
    assert_non_null(strstr(m, "Perception: \\\"Kindness matters\\\""));
    assert_non_null(strstr(m, "support, oppose or either"));
    char *r = judge_repair_messages(JS_VALENCE, m, "hmm");
    a = json_loads(r, 0, NULL);
    assert_int_equal(json_array_size(a), 4);
    assert_string_equal(json_string_value(json_object_get(json_array_get(a, 2), "content")), "hmm");
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(a, 3), "content")),
                           "one word only"));
    json_decref(a);
    free(r);
    free(m);
    vsc_value_system_free(vs);
}

static void test_spec(void **state)
{
    (void)state;
    struct judge_spec s;
    struct vsc_diag diag = {0};
    assert_int_equal(judge_spec_read(&s, "{\"probes\": \"builtin:mft\"}", "x", &diag), 0);
    assert_int_equal(
        judge_spec_read(&s,
                        "{\"protocol\": \"stance\", \"judge\": \"j\", \"stance_mode\": "
                        "\"each\", \"repair\": true}",
                        "x", &diag),
        1);
    assert_int_equal(s.protocol, JP_STANCE);
    assert_true(s.stance_each && s.repair);
    judge_spec_clear(&s);
    assert_int_equal(judge_spec_read(&s, "{\"protocol\": \"vibes\", \"judge\": \"j\"}", "x", &diag),
                     VSC_ERR_INPUT);
    assert_non_null(strstr(diag.msg, "lean, stance, gpv"));
    assert_int_equal(judge_spec_read(&s, "{\"protocol\": \"lean\"}", "x", &diag), VSC_ERR_INPUT);
    assert_int_equal(judge_spec_read(&s,
                                     "{\"protocol\": \"stance\", \"judge\": \"j\", "
                                     "\"stance_mode\": \"some\"}",
                                     "x", &diag),
                     VSC_ERR_INPUT);
    assert_int_equal(judge_spec_read(&s,
                                     "{\"protocol\": \"lean\", \"judge\": \"j\", "
                                     "\"repair\": \"yes\"}",
                                     "x", &diag),
                     VSC_ERR_INPUT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_cases),
        cmocka_unit_test(test_extract_json),
        cmocka_unit_test(test_templates),
        cmocka_unit_test(test_spec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
