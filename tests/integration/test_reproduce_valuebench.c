/* ValueBench: the GPT-4 judge's 0..10 ratings of six models' answers
 * (valuebench_answers_ratings.csv) imported as answers to the PVQ40 and MFT08 questionnaires
 * of value_orientation.csv and scored per value (no centring; a rating on a reverse item,
 * agreement -1, counts as 10 - r).
 *
 * Each model is one respondent; an item is addressed by its row within its questionnaire
 * (the loader's alias), since a few item texts differ between the two files while the row
 * order, values and agreements match. The expected means were computed independently with
 * Python's csv module:
 *
 *   for r in csv.DictReader(open('valuebench_answers_ratings.csv')):
 *       if r['questionnaire info'] == Q:
 *           x = float(r[M + '_rating']); x = 10 - x if r['Agreement'] == '-1' else x
 *           by_value[r['corresponding value']].append(x)
 *   mean of each list */
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

#include "support/testutil.h"
#include "util/util.h"
#include "valscope/score.h"
#include "valscope/store.h"

#define DATA "../shared/data/valuebench/"

static const char *const MODELS[] = {"gpt-4-1106-preview",  "gpt-3.5-turbo-1106",
                                     "llama-7b-chat",       "llama-70b-chat",
                                     "mistral-7b-instruct", "mixtral-8x7b-instruct"};

static const struct {
    const char *model, *questionnaire, *value;
    double mean;
    size_t n;
} EXPECT[] = {
    {"gpt-4-1106-preview", "PVQ40", "Power", 4.0, 3},
    {"gpt-4-1106-preview", "PVQ40", "Security", 9.4, 5},
    {"gpt-4-1106-preview", "PVQ40", "Stimulation", 14.0 / 3.0, 3},
    {"gpt-4-1106-preview", "PVQ40", "Conformity", 7.75, 4},
    {"gpt-4-1106-preview", "PVQ40", "Tradition", 6.25, 4},
    {"gpt-4-1106-preview", "PVQ40", "Universalism", 10.0, 6},
    {"llama-70b-chat", "PVQ40", "Power", 4.0 / 3.0, 3},
    {"llama-70b-chat", "PVQ40", "Achievement", 5.25, 4},
    {"llama-70b-chat", "PVQ40", "Hedonism", 22.0 / 3.0, 3},
    {"llama-70b-chat", "PVQ40", "Conformity", 6.5, 4},
    {"gpt-4-1106-preview", "MFT08", "Care", 22.0 / 3.0, 6},
    {"gpt-4-1106-preview", "MFT08", "Fairness", 7.5, 6},
    {"gpt-4-1106-preview", "MFT08", "Purity", 25.0 / 6.0, 6},
    {"llama-70b-chat", "MFT08", "Care", 28.0 / 3.0, 6},
    {"llama-70b-chat", "MFT08", "Loyalty", 37.0 / 6.0, 6},
    {"llama-70b-chat", "MFT08", "Authority", 16.0 / 3.0, 6},
};
#define N_EXPECT (sizeof EXPECT / sizeof EXPECT[0])

/* RFC 4180 CSV: quoted fields may hold commas, doubled quotes and newlines. Fills `rows` with
 * malloc'd fields; returns the number of rows. */
#define MAX_ROWS 2100
#define MAX_COLS 40
static size_t read_csv(char *text, char *rows[MAX_ROWS][MAX_COLS], size_t *n_cols)
{
    size_t r = 0, c = 0;
    struct buf f;
    buf_init(&f, 1 << 20);
    char *p = text;
    int quoted = 0;
    for (;; p++) {
        if (quoted) {
            if (*p == '"' && p[1] == '"')
                buf_append(&f, p++, 1);
            else if (*p == '"')
                quoted = 0;
            else if (*p)
                buf_append(&f, p, 1);
            else
                break;
            continue;
        }
        if (*p == '"') {
            quoted = 1;
        } else if (*p == ',' || *p == '\n' || *p == 0) {
            if (r < MAX_ROWS && c < MAX_COLS) rows[r][c] = f.len ? buf_take(&f) : xstrdup("");
            c++;
            if (*p != ',') {
                if (r == 0) *n_cols = c;
                if (c > 1 || rows[r][0][0])
                    r++;
                else
                    free(rows[r][0]); /* a blank line */
                c = 0;
            }
            if (!*p) break;
        } else if (*p != '\r') {
            buf_append(&f, p, 1);
        }
    }
    buf_free(&f);
    return r;
}

struct got {
    char model[32], dim[32], instrument[32];
    double mean;
    size_t n;
};
struct all {
    struct got g[256];
    size_t n;
};

static int collect(const struct vsc_score_record *r, void *payload)
{
    struct all *a = payload;
    if (a->n >= 256) return -1;
    struct got *g = &a->g[a->n++];
    snprintf(g->model, sizeof g->model, "%s", r->model);
    snprintf(g->dim, sizeof g->dim, "%s", r->dimension);
    snprintf(g->instrument, sizeof g->instrument, "%s", r->instrument);
    g->mean = r->mean;
    g->n = r->n;
    return 0;
}

static void test_valuebench_ratings(void **state)
{
    (void)state;
    struct stat st;
    if (stat(DATA "valuebench_answers_ratings.csv", &st) != 0) {
        printf("SKIP test_valuebench_ratings: ../shared/data/valuebench is absent\n");
        skip();
    }
    char *text = NULL;
    size_t len, n_cols = 0;
    struct vsc_diag d = {0};
    assert_int_equal(read_file(&text, &len, DATA "valuebench_answers_ratings.csv", &d), 0);
    static char *rows[MAX_ROWS][MAX_COLS];
    size_t n_rows = read_csv(text, rows, &n_cols);
    free(text);
    assert_int_equal(n_rows, 1989); /* header + 1988 questions */
    int c_q = -1, c_rating[6];
    for (size_t c = 0; c < n_cols; c++)
        if (!strcmp(rows[0][c], "questionnaire info")) c_q = (int)c;
    assert_true(c_q >= 0);
    for (int m = 0; m < 6; m++) {
        c_rating[m] = -1;
        char name[64];
        snprintf(name, sizeof name, "%s_rating", MODELS[m]);
        for (size_t c = 0; c < n_cols; c++)
            if (!strcmp(rows[0][c], name)) c_rating[m] = (int)c;
        assert_true(c_rating[m] >= 0);
    }

    char dir[] = "/tmp/vsc-vb-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char db[128], path[128];
    snprintf(db, sizeof db, "%s/store.db", dir);
    struct vsc_store *store = NULL;
    assert_int_equal(vsc_store_open(&store, db), 0);
    static const char *const QS[] = {"PVQ40", "MFT08"};
    for (int q = 0; q < 2; q++) {
        snprintf(path, sizeof path, "%s/%s.jsonl", dir, QS[q]);
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        int row_in_q = 0;
        for (size_t r = 1; r < n_rows; r++) {
            if (strcmp(rows[r][c_q], QS[q])) continue;
            row_in_q++;
            for (int m = 0; m < 6; m++)
                fprintf(fp,
                        "{\"model\":\"%s\",\"run\":\"valuebench\",\"respondent\":\"%s\","
                        "\"item\":\"%d\",\"answer\":%s}\n",
                        MODELS[m], MODELS[m], row_in_q, rows[r][c_rating[m]]);
        }
        fclose(fp);
        char arg[128];
        snprintf(arg, sizeof arg, DATA "value_orientation.csv#%s", QS[q]);
        int rc = vsc_import_answers(store, "valuebench", arg, path, &d);
        if (rc) fail_msg("import %s: %s:%d: %s", QS[q], d.file, d.line, d.msg);
    }
    for (size_t r = 0; r < n_rows; r++)
        for (size_t c = 0; c < n_cols; c++)
            free(rows[r][c]);

    struct all a = {0};
    struct vsc_score_opts o = {.n_boot = 100, .seed = 2};
    int rc = vsc_score_store(store, &o, collect, &a, &d);
    if (rc) fail_msg("score: %s", d.msg);
    vsc_store_free(store);
    /* 6 models x (10 + 5) values */
    assert_int_equal(a.n, 90);
    for (size_t e = 0; e < N_EXPECT; e++) {
        char ins[32];
        snprintf(ins, sizeof ins, "valuebench:%s", EXPECT[e].questionnaire);
        size_t hit = 0;
        for (size_t i = 0; i < a.n; i++) {
            const struct got *g = &a.g[i];
            if (strcmp(g->model, EXPECT[e].model) || strcmp(g->dim, EXPECT[e].value) ||
                strcmp(g->instrument, ins))
                continue;
            hit++;
            if (fabs(g->mean - EXPECT[e].mean) > 1e-9 || g->n != EXPECT[e].n)
                fail_msg("%s %s %s: mean %.10f n %zu, expected %.10f n %zu", EXPECT[e].model,
                         EXPECT[e].questionnaire, EXPECT[e].value, g->mean, g->n, EXPECT[e].mean,
                         EXPECT[e].n);
        }
        assert_int_equal(hit, 1);
    }
    assert_int_equal(tu_rmrf(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valuebench_ratings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
