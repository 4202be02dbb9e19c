/* Evolve replies and prompts (docs/evolve.md): tag readers, the AdAEM opinion reader, the
 * Yes/No label reader, and the prompt of every role holding its fields verbatim. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "evolve/evolve.h"
#include "support/testutil.h"

static void test_tag_first_line(void **state)
{
    (void)state;
    char *q = NULL;
    assert_int_equal(ev_read_tag(&q,
                                 "Sure! Here it is:\n  [question]:   Should cities ban cars?  "
                                 "\n[Question]: second",
                                 EV_TAG_QUESTION),
                     0);
    assert_string_equal(q, "Should cities ban cars?");
    free(q);
    /* CRLF, tag text empty on the first tagged line: the next one counts */
    assert_int_equal(
        ev_read_tag(&q, "[Question]:\r\n[QUESTION]: Is lying ok?\r\n", EV_TAG_QUESTION), 0);
    assert_string_equal(q, "Is lying ok?");
    free(q);
    /* the tag must start the line */
    assert_int_equal(ev_read_tag(&q, "Here: [Question]: no", EV_TAG_QUESTION), EV_UNPARSEABLE);
    assert_null(q);
    assert_int_equal(ev_read_tag(&q, "", EV_TAG_PROMPT), EV_UNPARSEABLE);
    assert_int_equal(ev_read_tag(&q, NULL, EV_TAG_PROMPT), EV_UNPARSEABLE);
    assert_int_equal(ev_read_tag(&q, "[Prompt]: It was late.", EV_TAG_PROMPT), 0);
    assert_string_equal(q, "It was late.");
    free(q);
    assert_int_equal(ev_read_tag(&q, "[Prompt] It was late.", EV_TAG_PROMPT), EV_UNPARSEABLE);
}

static void test_tags_multi(void **state)
{
    (void)state;
    char **v;
    size_t n;
    const char *reply = "Sub-topics:\n[Topic]: school security cameras\nnoise\n [topic]: power of "
                        "unions\n[Topic]:\n[Topic]: care homes\n";
    assert_int_equal(ev_read_tags(&v, &n, reply, EV_TAG_TOPIC, 0), 0);
    assert_int_equal(n, 3);
    assert_string_equal(v[0], "school security cameras");
    assert_string_equal(v[1], "power of unions");
    assert_string_equal(v[2], "care homes");
    ev_strv_free(v, n);
    assert_int_equal(ev_read_tags(&v, &n, reply, EV_TAG_TOPIC, 2), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[1], "power of unions");
    ev_strv_free(v, n);
    assert_int_equal(ev_read_tags(&v, &n, "no topics here", EV_TAG_TOPIC, 0), EV_UNPARSEABLE);
    assert_null(v);
    assert_int_equal(n, 0);
}

static void test_opinion_published(void **state)
{
    (void)state;
    struct ev_opinion op;
    const char *reply = "Stance: Yes\nKey Points:\n1. Security: people need to feel safe\n"
                        "2. Care: it protects the weak\n";
    assert_int_equal(ev_read_opinion(&op, reply), 0);
    assert_int_equal(op.stance, EV_STANCE_YES);
    assert_int_equal(op.n_points, 2);
    assert_string_equal(op.points[0].point, "Security");
    assert_string_equal(op.points[0].justification, "people need to feel safe");
    assert_string_equal(op.points[1].point, "Care");
    char *t = ev_opinion_text(&op);
    assert_string_equal(t, reply);
    free(t);
    ev_opinion_clear(&op);
}

static void test_opinion_markdown(void **state)
{
    (void)state;
    struct ev_opinion op;
    const char *reply = "Here is my answer.\n\n## **Stance:**   **neutral**.\n\n**Key Points:**\n"
                        "  1)  **Tradition**  :  customs matter: a lot  \n"
                        "- not numbered: ignored\n"
                        "2. **Freedom of speech**\n"
                        "3.    \n"
                        "3. : no point text\n";
    assert_int_equal(ev_read_opinion(&op, reply), 0);
    assert_int_equal(op.stance, EV_STANCE_NEUTRAL);
    assert_int_equal(op.n_points, 2);
    assert_string_equal(op.points[0].point, "Tradition");
    assert_string_equal(op.points[0].justification, "customs matter: a lot");
    assert_string_equal(op.points[1].point, "Freedom of speech");
    assert_string_equal(op.points[1].justification, "");
    char *t = ev_opinion_text(&op);
    assert_string_equal(t, "Stance: Neutral\nKey Points:\n1. Tradition: customs matter: a lot\n"
                           "2. Freedom of speech\n");
    free(t);
    ev_opinion_clear(&op);

    /* key points missing: still a readable opinion, and numbered lines before the stance are
     * not key points */
    assert_int_equal(ev_read_opinion(&op, "1. early: no\nSTANCE : no\n"), 0);
    assert_int_equal(op.stance, EV_STANCE_NO);
    assert_int_equal(op.n_points, 0);
    ev_opinion_clear(&op);
}

static void test_opinion_unreadable(void **state)
{
    (void)state;
    struct ev_opinion op;
    const char *bad[] = {"",
                         "I think yes.\n1. a: b",
                         "Stance: maybe\nKey Points:\n1. a: b",
                         "Stance: Yesterday",
                         "My stance is Yes",
                         "Stance Yes",
                         "Stance:\n1. a: b"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(ev_read_opinion(&op, bad[i]), EV_UNPARSEABLE);
        assert_int_equal(op.n_points, 0);
        assert_null(op.points);
    }
    assert_int_equal(ev_read_opinion(&op, NULL), EV_UNPARSEABLE);
}

static void test_label(void **state)
{
    (void)state;
    assert_int_equal(ev_read_label("Yes"), EV_LABEL_YES);
    assert_int_equal(ev_read_label("  **yes**, it does"), EV_LABEL_YES);
    assert_int_equal(ev_read_label("\n- NO."), EV_LABEL_NO);
    assert_int_equal(ev_read_label("no"), EV_LABEL_NO);
    assert_int_equal(ev_read_label("Not at all"), EV_LABEL_UNPARSEABLE);
    assert_int_equal(ev_read_label("Nope"), EV_LABEL_UNPARSEABLE);
    assert_int_equal(ev_read_label("yes2"), EV_LABEL_UNPARSEABLE);
    assert_int_equal(ev_read_label("The answer is yes"), EV_LABEL_UNPARSEABLE);
    assert_int_equal(ev_read_label(""), EV_LABEL_UNPARSEABLE);
    assert_int_equal(ev_read_label(NULL), EV_LABEL_UNPARSEABLE);
}

/* 1 when `hay` has `line` as a whole line */
static int has_line(const char *hay, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = hay; (p = strstr(p, line)); p++)
        if ((p == hay || p[-1] == '\n') && (p[n] == '\n' || !p[n])) return 1;
    return 0;
}

static int ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

static void test_generator_prompts(void **state)
{
    (void)state;
    const char *topic = "power and security of {item} nations";
    char *p = ev_prompt_question(topic);
    assert_true(strncmp(p, "Task: question\n", 15) == 0);
    assert_true(has_line(p, "Topic: power and security of {item} nations"));
    assert_non_null(strstr(p, "[Question]:"));
    free(p);

    p = ev_prompt_subtopics(topic, 3);
    assert_true(strncmp(p, "Task: subtopics\n", 16) == 0);
    assert_true(has_line(p, "Topic: power and security of {item} nations"));
    assert_true(has_line(p, "Count: 3"));
    assert_non_null(strstr(p, "[Topic]:"));
    free(p);

    p = ev_prompt_refine_question(topic, "Should nations seek power?", 0.123456);
    assert_true(strncmp(p, "Task: refine_question\n", 22) == 0);
    assert_true(has_line(p, "Topic: power and security of {item} nations"));
    assert_true(has_line(p, "Previous question: Should nations seek power?"));
    assert_true(has_line(p, "Reward: 0.1235"));
    free(p);

    p = ev_prompt_opening("It is bad to harm others");
    assert_true(strncmp(p, "Task: opening\n", 14) == 0);
    assert_true(has_line(p, "Principle: It is bad to harm others"));
    assert_non_null(strstr(p, "[Prompt]:"));
    free(p);

    /* a line break inside a field stays on the field's line */
    p = ev_prompt_refine_opening("Be fair", "He saw the wallet.\r\nNobody looked.", 0.25);
    assert_true(strncmp(p, "Task: refine_opening\n", 21) == 0);
    assert_true(has_line(p, "Principle: Be fair"));
    assert_true(has_line(p, "Previous opening: He saw the wallet. Nobody looked."));
    assert_true(has_line(p, "Violation rate: 0.2500"));
    free(p);
}

static void test_role_prompts(void **state)
{
    (void)state;
    char *p = ev_prompt_opinion("Should cities ban cars?");
    assert_true(has_line(p, "Question: Should cities ban cars?"));
    assert_true(has_line(p, "Stance: Yes|No|Neutral"));
    assert_true(has_line(p, "Key Points:"));
    free(p);

    const char *names[] = {"Security", "Power"};
    const char *defs[] = {"safety and stability", NULL};
    p = ev_prompt_extract(names, defs, 2, "Stance: Yes\nKey Points:\n1. a: b\n", "Security");
    assert_true(has_line(p, "- Security: safety and stability"));
    assert_true(has_line(p, "- Power"));
    assert_true(ends_with(p, "\n### [Input]: Stance: Yes\nKey Points:\n1. a: b\n\n"
                             "### [Value]: Security\n### [Label]:"));
    free(p);

    p = ev_prompt_violation("It is bad to harm others", "He hit him.");
    assert_true(ends_with(p, "\n### [Principle]: It is bad to harm others\n### [Text]: He hit "
                             "him.\n### [Violation]:"));
    free(p);

    p = ev_prompt_completion("It was late when the phone rang.");
    assert_string_equal(p, "Continue the story.\nIt was late when the phone rang.");
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tag_first_line),     cmocka_unit_test(test_tags_multi),
        cmocka_unit_test(test_opinion_published),  cmocka_unit_test(test_opinion_markdown),
        cmocka_unit_test(test_opinion_unreadable), cmocka_unit_test(test_label),
        cmocka_unit_test(test_generator_prompts),  cmocka_unit_test(test_role_prompts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
