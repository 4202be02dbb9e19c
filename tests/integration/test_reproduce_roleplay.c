/* Reproduces the published role-play report (brucewlee/values,
 * report_5personas_gpt-3.5-turbo-0125.html) from its three runs:
 *
 *   run_5personas_seed{1,11,21}_gpt-3.5-turbo-0125.jsonl -> import JSONL (one run per seed,
 *   respondent = persona index within the file, item = question_number, answer = the parsed
 *   letter A-F, N -> null = unparseable) -> vsc_import_answers with the pvqrr instrument ->
 *   vsc_score_store with centring = run -> per value: mean over the three seeds of the seed's
 *   score and the population variance of those three scores.
 *
 * The expected numbers are parsed out of the report's HTML tables ("Mean" and "Variance"
 * columns of "Scores for 10 Basic Values" and "Scores for Higher Order Values"), so nothing is
 * copied by hand; docs/scoring.md explains why "mean across seeds" means this. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>

#include "stats/stats.h"
#include "support/testutil.h"
#include "util/util.h"
#include "valscope/score.h"
#include "valscope/store.h"

#define DATA "../shared/data/roleplay/"
#define MODEL "gpt-3.5-turbo-0125"

static const int SEEDS[3] = {1, 11, 21};

/* Report row name -> dimension or group id of the pvqrr instrument. */
static const struct {
    const char *report, *id;
} NAMES[] = {
    {"Self-Direction", "self-direction"},
    {"Stimulation", "stimulation"},
    {"Hedonism", "hedonism"},
    {"Achievement", "achievement"},
    {"Power", "power"},
    {"Security", "security"},
    {"Conformity", "conformity"},
    {"Tradition", "tradition"},
    {"Benevolence", "benevolence"},
    {"Universalism", "universalism"},
    {"Self-Transcendence", "self-transcendence"},
    {"Openness to change", "openness"},
    {"Self-Enhancement", "self-enhancement"},
    {"Conservation", "conservation"},
};
#define N_NAMES (sizeof NAMES / sizeof NAMES[0])

struct scores {
    double mean[3][N_NAMES];
    int have[3][N_NAMES];
    size_t n_resp[3][N_NAMES];
    double unparseable[3][N_NAMES];
};

static int collect(const struct vsc_score_record *r, void *payload)
{
    struct scores *s = payload;
    int seed = -1;
    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "seed%d", SEEDS[i]);
        if (!strcmp(r->run, name)) seed = i;
    }
    if (seed < 0 || strcmp(r->model, MODEL)) return -1;
    for (size_t k = 0; k < N_NAMES; k++)
        if (!strcmp(r->dimension, NAMES[k].id)) {
            s->mean[seed][k] = r->mean;
            s->have[seed][k]++;
            s->n_resp[seed][k] = r->n_respondents;
            s->unparseable[seed][k] = r->unparseable;
        }
    return 0;
}

/* The report's table rows, after its HTML tags are removed, read
 * "│ Tradition      │ 0.3854  │ 0.8814          │ 0.0082   │". */
static int expected(const char *html, const char *name, double *out_mean, double *out_var)
{
    struct buf b;
    buf_init(&b, 1 << 22);
    int in_tag = 0;
    for (const char *p = html; *p; p++) {
        if (*p == '<')
            in_tag = 1;
        else if (*p == '>')
            in_tag = 0;
        else if (!in_tag && buf_append(&b, p, 1))
            break;
    }
    int rc = -1;
    const char *bar = "\xe2\x94\x82"; /* U+2502 */
    for (const char *p = b.data; p && (p = strstr(p, bar)); p += 3) {
        const char *q = p + 3;
        while (*q == ' ')
            q++;
        size_t n = strlen(name);
        if (strncmp(q, name, n)) continue;
        q += n;
        while (*q == ' ')
            q++;
        if (strncmp(q, bar, 3)) continue;
        double v[3];
        int i;
        for (i = 0; i < 3; i++) {
            q += 3;
            char *end;
            v[i] = strtod(q, &end);
            if (end == q) break;
            q = end;
            while (*q == ' ')
                q++;
            if (strncmp(q, bar, 3)) break;
        }
        if (i < 2) continue;
        *out_mean = v[0];
        *out_var = v[2];
        rc = 0;
        break;
    }
    buf_free(&b);
    return rc;
}

/* Converts one run file to import lines appended to `out`. */
static void convert(FILE *out, int seed)
{
    char path[256];
    snprintf(path, sizeof path, DATA "run_5personas_seed%d_" MODEL ".jsonl", seed);
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    char *line = NULL, *personas[64];
    size_t cap = 0, n_personas = 0, n_lines = 0;
    while (getline(&line, &cap, in) > 0) {
        json_error_t err;
        json_t *o = json_loads(line, 0, &err);
        assert_non_null(o);
        int q = (int)json_integer_value(json_object_get(o, "question_number"));
        const char *desc =
            json_string_value(json_object_get(json_object_get(o, "persona"), "description"));
        const char *parsed = json_string_value(json_object_get(o, "response_parsed"));
        assert_true(q >= 1 && q <= 57);
        assert_non_null(desc);
        assert_non_null(parsed);
        size_t p = 0;
        while (p < n_personas && strcmp(personas[p], desc))
            p++;
        if (p == n_personas) {
            assert_true(n_personas < 64);
            personas[n_personas++] = xstrdup(desc);
        }
        int letter = strlen(parsed) == 1 && parsed[0] >= 'A' && parsed[0] <= 'F';
        fprintf(out,
                "{\"model\":\"" MODEL "\",\"run\":\"seed%d\",\"respondent\":\"p%zu\","
                "\"item\":\"%d\",\"answer\":%s%s%s}\n",
                seed, p, q, letter ? "\"" : "", letter ? parsed : "null", letter ? "\"" : "");
        n_lines++;
        json_decref(o);
    }
    free(line);
    fclose(in);
    assert_int_equal(n_personas, 5);
    assert_int_equal(n_lines, 5 * 57);
    for (size_t p = 0; p < n_personas; p++)
        free(personas[p]);
}

static void test_reproduce_report(void **state)
{
    (void)state;
    struct stat st;
    if (stat(DATA "report_5personas_" MODEL ".html", &st) != 0) {
        printf("SKIP test_reproduce_report: ../shared/data/roleplay is absent\n");
        skip();
    }
    char dir[] = "/tmp/vsc-repro-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char answers[128], db[128];
    snprintf(answers, sizeof answers, "%s/answers.jsonl", dir);
    snprintf(db, sizeof db, "%s/store.db", dir);
    FILE *out = fopen(answers, "w");
    assert_non_null(out);
    for (int i = 0; i < 3; i++)
        convert(out, SEEDS[i]);
    fclose(out);

    struct vsc_store *store = NULL;
    assert_int_equal(vsc_store_open(&store, db), 0);
    struct vsc_diag d = {0};
    int rc = vsc_import_answers(store, "pvqrr", DATA "pvq_rr_questions.jsonl", answers, &d);
    if (rc) fail_msg("import: %s:%d: %s", d.file, d.line, d.msg);

    struct scores s = {0};
    struct vsc_score_opts o = {.centring = VSC_CENTRE_RUN, .n_boot = 200, .seed = 1};
    rc = vsc_score_store(store, &o, collect, &s, &d);
    if (rc) fail_msg("score: %s", d.msg);
    vsc_store_free(store);

    char *html = NULL;
    size_t len;
    assert_int_equal(read_file(&html, &len, DATA "report_5personas_" MODEL ".html", &d), 0);
    for (size_t k = 0; k < N_NAMES; k++) {
        double want_mean = NAN, want_var = NAN, per_seed[3];
        if (expected(html, NAMES[k].report, &want_mean, &want_var))
            fail_msg("no row '%s' in the report", NAMES[k].report);
        for (int i = 0; i < 3; i++) {
            assert_int_equal(s.have[i][k], 1);
            assert_int_equal(s.n_resp[i][k], 5);
            per_seed[i] = s.mean[i][k];
        }
        double mean = st_mean(per_seed, 3), var = st_pvar(per_seed, 3);
        /* the report prints 4 decimals: agreement to rounding */
        if (fabs(mean - want_mean) > 0.5e-4 + 1e-9 || fabs(var - want_var) > 0.5e-4 + 1e-9)
            fail_msg("%s: mean %.6f var %.6f, report %.4f %.4f", NAMES[k].report, mean, var,
                     want_mean, want_var);
    }
    free(html);
    assert_int_equal(tu_rmrf(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reproduce_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
