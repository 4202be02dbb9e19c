/* vsc_parse_answer, driven by tests/data/instruments/answers.tsv (answer -> expected). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "instruments/ins_internal.h"
#include "valscope/instrument.h"

static struct vsc_instrument *make(const char *const *labels, size_t n)
{
    struct vsc_instrument *ins = ins_new();
    assert_non_null(ins);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ins_add_option(ins, labels[i], (double)i), 0);
    return ins;
}

static struct vsc_instrument *by_name(const char *name)
{
    static const char *const pvq6[] = {"Not like me at all", "Not like me", "A little like me",
                                       "Somewhat like me",   "Like me",     "Very much like me"};
    static const char *const rating11[] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"};
    static const char *const letters10[] = {
        "Strongly reject", "Reject",        "Mostly reject", "Lean reject",     "Unsure",
        "Lean accept",     "Mostly accept", "Accept",        "Strongly accept", "Fully accept"};
    if (strcmp(name, "pvq6") == 0) return make(pvq6, 6);
    if (strcmp(name, "rating11") == 0) return make(rating11, 11);
    if (strcmp(name, "letters10") == 0) return make(letters10, 10);
    fail_msg("unknown instrument '%s' in answers.tsv", name);
    return NULL;
}

/* Unescapes "\n" in place. */
static void unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] == 'n') {
            *w++ = '\n';
            r++;
        } else {
            *w++ = *r;
        }
    }
    *w = 0;
}

static void test_table(void **state)
{
    (void)state;
    FILE *f = fopen("tests/data/instruments/answers.tsv", "r");
    assert_non_null(f);
    char line[1024];
    int lineno = 0, cases = 0, failed = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        line[strcspn(line, "\n")] = 0;
        if (line[0] == '#' || line[0] == 0) continue;
        char *cols[4];
        char *p = line;
        for (int k = 0; k < 4; k++) {
            cols[k] = p;
            char *tab = strchr(p, '\t');
            if (k < 3) {
                if (!tab) fail_msg("answers.tsv:%d: needs 4 tab-separated columns", lineno);
                *tab = 0;
                p = tab + 1;
            }
        }
        unescape(cols[2]);
        struct vsc_instrument *ins = by_name(cols[0]);
        size_t order[16];
        for (size_t i = 0; i < ins->n_options; i++)
            order[i] = strcmp(cols[1], "rev") == 0 ? ins->n_options - 1 - i : i;
        size_t opt = 999;
        enum vsc_parse_status st = vsc_parse_answer(&opt, cols[2], ins, order);
        char got[256];
        if (st == VSC_PARSE_UNPARSEABLE)
            snprintf(got, sizeof(got), "UNPARSEABLE");
        else
            snprintf(got, sizeof(got), "%s:%s", st == VSC_PARSE_OK ? "OK" : "LENIENT",
                     opt < ins->n_options ? ins->options[opt].label : "?");
        if (strcmp(got, cols[3]) != 0) {
            print_error("answers.tsv:%d: [%s] \"%s\": got %s, want %s\n", lineno, cols[0], cols[2],
                        got, cols[3]);
            failed++;
        }
        cases++;
        vsc_instrument_free(ins);
    }
    fclose(f);
    assert_true(cases >= 60);
    assert_int_equal(failed, 0);
}

static void test_edges(void **state)
{
    (void)state;
    struct vsc_instrument *ins = by_name("pvq6");
    size_t opt = 7;
    assert_int_equal(vsc_parse_answer(&opt, NULL, ins, NULL), VSC_PARSE_UNPARSEABLE);
    assert_int_equal(vsc_parse_answer(&opt, "B", NULL, NULL), VSC_PARSE_UNPARSEABLE);
    const size_t bad_order[6] = {0, 1, 2, 3, 4, 99};
    assert_int_equal(vsc_parse_answer(&opt, "B", ins, bad_order), VSC_PARSE_UNPARSEABLE);
    assert_int_equal(opt, 7); /* untouched when unparseable */
    assert_int_equal(vsc_parse_answer(&opt, "B", ins, NULL), VSC_PARSE_OK);
    assert_int_equal(opt, 1);
    /* a long answer with one option at the end stays readable and bounded */
    size_t n = 100000;
    char *big = malloc(n + 1);
    memset(big, 'x', n);
    big[n] = 0;
    big[10] = ' ';
    big[11] = 'C';
    big[12] = ' ';
    assert_int_equal(vsc_parse_answer(&opt, big, ins, NULL), VSC_PARSE_LENIENT);
    assert_int_equal(opt, 2);
    free(big);
    struct vsc_instrument *none = ins_new();
    assert_int_equal(vsc_parse_answer(&opt, "A", none, NULL), VSC_PARSE_UNPARSEABLE);
    vsc_instrument_free(none);
    vsc_instrument_free(ins);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
