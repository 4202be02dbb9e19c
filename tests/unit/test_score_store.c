/* Scoring through the store: import, text and logprobs answers, failed and pending cells, bad
 * import lines and unknown instruments. Uses tests/data/score/mini.yaml (6 scored items on a
 * 1..5 scale, b3 reverse keyed, no centring, group "social" = benevolence + power). */
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

#include "stats/stats.h"
#include "support/testutil.h"
#include "valscope/score.h"
#include "valscope/store.h"

#define INS "tests/data/score/mini.yaml"

struct rec {
    char run[16], dim[24], kind[8];
    struct vsc_score_record r;
    double norm_p;
};
struct got {
    struct rec r[32];
    size_t n;
};

static int collect(const struct vsc_score_record *rec, void *payload)
{
    struct got *g = payload;
    if (g->n >= 32) return -1;
    struct rec *o = &g->r[g->n++];
    o->r = *rec;
    snprintf(o->run, sizeof o->run, "%s", rec->run);
    snprintf(o->dim, sizeof o->dim, "%s", rec->dimension);
    snprintf(o->kind, sizeof o->kind, "%s", rec->kind);
    o->norm_p = rec->n_norms ? rec->norms[0].p : NAN;
    o->r.model = o->r.run = o->r.condition = o->r.dimension = o->r.kind = NULL;
    o->r.system = o->r.instrument = NULL;
    o->r.norms = NULL;
    return 0;
}

static const struct vsc_score_record *find(const struct got *g, const char *run, const char *dim)
{
    for (size_t i = 0; i < g->n; i++)
        if (!strcmp(g->r[i].run, run) && !strcmp(g->r[i].dim, dim)) return &g->r[i].r;
    fail_msg("no record for %s/%s", run, dim);
    return NULL;
}

struct fixture {
    char dir[64], db[128], answers[128];
    struct vsc_store *store;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/vsc-score-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->db, sizeof f->db, "%s/s.db", f->dir);
    snprintf(f->answers, sizeof f->answers, "%s/a.jsonl", f->dir);
    if (vsc_store_open(&f->store, f->db)) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    vsc_store_free(f->store);
    if (tu_rmrf(f->dir)) return -1;
    free(f);
    return 0;
}

static void test_import_and_score(void **state)
{
    struct fixture *f = *state;
    /* letters and option values mixed; p3 gave an unreadable answer to b2 */
    static const char *const rows[4][7] = {
        {"5", "4", "1", "2", "1", "2", "3"},
        {"D", "D", "B", "C", "B", "B", "C"},
        {"3", "5", "C", "1", "1", "1", "5"},
        {"E", NULL, "1", "4", "4", "5", "1"},
    };
    static const char *const ids[7] = {"b1", "b2", "b3", "p1", "p2", "p3", "x1"};
    FILE *fp = fopen(f->answers, "w");
    assert_non_null(fp);
    for (int p = 0; p < 4; p++)
        for (int i = 0; i < 7; i++) {
            const char *a = rows[p][i];
            int num = a && a[0] >= '0' && a[0] <= '9';
            fprintf(fp,
                    "{\"model\":\"m\",\"run\":\"r1\",\"respondent\":\"p%d\",\"item\":\"%s\","
                    "\"answer\":%s%s%s}\n",
                    p, ids[i], a && !num ? "\"" : "", a ? a : "null", a && !num ? "\"" : "");
        }
    fclose(fp);
    struct vsc_diag d = {0};
    assert_int_equal(vsc_import_answers(f->store, "file", INS, f->answers, &d), 0);
    /* importing the same file again changes nothing (same cells, same cache keys) */
    assert_int_equal(vsc_import_answers(f->store, "file", INS, f->answers, &d), 0);
    int64_t cells, ok, err;
    assert_int_equal(vsc_store_run_counts(f->store, "r1", &cells, &ok, &err), 0);
    assert_int_equal(cells, 28);
    assert_int_equal(ok, 28);

    struct got g = {0};
    struct vsc_score_opts o = {.n_boot = 400, .seed = 5};
    assert_int_equal(vsc_score_store(f->store, &o, collect, &g, &d), 0);
    assert_int_equal(g.n, 3);
    /* benevolence keyed: p0 5 4 5, p1 4 4 4, p2 3 5 3, p3 5 - 5 -> 47 / 11 */
    const struct vsc_score_record *b = find(&g, "r1", "benevolence");
    assert_near(b->mean, 47.0 / 11.0, 1e-12);
    assert_int_equal(b->n, 11);
    assert_int_equal(b->n_unparseable, 1);
    assert_near(b->unparseable, 1.0 / 12.0, 1e-12);
    assert_int_equal(b->n_respondents, 4);
    const double scores[] = {14.0 / 3, 4, 11.0 / 3, 5};
    assert_near(b->sd, st_sd(scores, 4), 1e-12);
    assert_true(b->ci_low < b->mean && b->mean < b->ci_high);
    /* alpha on the complete cases p0..p2 (items x respondents) */
    const double x[] = {5, 4, 3, /**/ 4, 4, 5, /**/ 5, 4, 3};
    assert_near(b->alpha, st_cronbach_alpha(x, 3, 3), 1e-10);
    struct st_ttest t = st_welch(47.0 / 11.0, st_sd(scores, 4), 4, 3.0, 1.0, 50);
    for (size_t i = 0; i < g.n; i++)
        if (!strcmp(g.r[i].dim, "benevolence")) assert_near(g.r[i].norm_p, t.p, 1e-12);
    /* records follow the Schwartz circle (power before benevolence), groups last */
    assert_string_equal(g.r[0].dim, "power");
    assert_string_equal(g.r[1].dim, "benevolence");
    /* power: 5 + 7 + 3 + 13 over 12 answers; social pools both */
    assert_near(find(&g, "r1", "power")->mean, 28.0 / 12.0, 1e-12);
    assert_near(find(&g, "r1", "social")->mean, 75.0 / 23.0, 1e-12);
    assert_string_equal(g.r[2].kind, "group");
}

/* cells written directly: failed, pending, logprobs and reversed option order */
static void test_cells_of_every_kind(void **state)
{
    struct fixture *f = *state;
    int64_t run_id;
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(vsc_store_run_begin(f->store, &run_id, "r2", ""), 0);
    assert_int_equal(vsc_store_run_add_instrument(f->store, run_id, "mini", "file", INS, cwd, NULL),
                     0);
    struct {
        const char *item, *meta, *status, *text, *logprobs;
    } cells[] = {
        /* shown reversed: "A" is option 5 (value 5) */
        {"b1", "{\"respondent\":\"m|baseline|0\",\"repeat\":0,\"order\":[4,3,2,1,0]}", "ok", "A",
         NULL},
        {"b2", "{\"respondent\":\"m|baseline|0\",\"repeat\":0}", "error", NULL, NULL},
        {"b3", "{\"respondent\":\"m|baseline|0\",\"repeat\":0}", NULL, NULL, NULL},
        /* logprobs: P(A) = P(B) = 1/2 over values 1 and 2 -> 1.5, entropy 1 bit */
        {"p1", "{\"respondent\":\"m|baseline|0\",\"repeat\":0,\"mode\":\"logprobs\"}", "ok", "A",
         "[{\"token\":\"A\",\"logprob\":-0.6931471805599453,\"top_logprobs\":["
         "{\"token\":\"A\",\"logprob\":-0.6931471805599453},"
         "{\"token\":\"B\",\"logprob\":-0.6931471805599453}]}]"},
        /* logprobs without any option token: unparseable, not a number */
        {"p2", "{\"respondent\":\"m|baseline|0\",\"repeat\":0,\"mode\":\"logprobs\"}", "ok", "",
         "[{\"token\":\"Hi\",\"logprob\":-0.1}]"},
    };
    for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%zu", i);
        struct vsc_cell c = {.model = "m",
                             .instrument = "mini",
                             .item = cells[i].item,
                             .condition = "baseline",
                             .key = key,
                             .meta_json = cells[i].meta};
        assert_int_equal(vsc_store_add_cell(f->store, run_id, &c, NULL), 0);
        if (!cells[i].status) continue;
        struct vsc_answer a = {.status = cells[i].status,
                               .text = cells[i].text,
                               .logprobs_json = cells[i].logprobs,
                               .error = strcmp(cells[i].status, "error") ? NULL : "http"};
        assert_int_equal(vsc_store_put_answer(f->store, key, "m", &a), 0);
    }
    struct got g = {0};
    struct vsc_score_opts o = {.n_boot = 100, .run = "r2"};
    struct vsc_diag d = {0};
    assert_int_equal(vsc_score_store(f->store, &o, collect, &g, &d), 0);
    const struct vsc_score_record *b = find(&g, "r2", "benevolence");
    assert_near(b->mean, 5.0, 1e-12);
    assert_int_equal(b->n, 1);
    assert_int_equal(b->n_failed, 1);
    assert_int_equal(b->n_pending, 1);
    assert_true(isnan(b->sd)); /* one answer */
    const struct vsc_score_record *p = find(&g, "r2", "power");
    assert_near(p->mean, 1.5, 1e-12);
    assert_near(p->entropy, 1.0, 1e-12);
    assert_int_equal(p->n_unparseable, 1);
    assert_near(p->unparseable, 0.5, 1e-12);

    /* a bad meta order is reported with the cell, not guessed around */
    struct vsc_cell c = {.model = "m",
                         .instrument = "mini",
                         .item = "b2",
                         .condition = "baseline",
                         .sample = 1,
                         .key = "k9",
                         .meta_json = "{\"order\":[0,0,1,2,3]}"};
    assert_int_equal(vsc_store_add_cell(f->store, run_id, &c, NULL), 0);
    g.n = 0;
    assert_int_equal(vsc_score_store(f->store, &o, collect, &g, &d), VSC_ERR_INPUT);
    assert_non_null(strstr(d.msg, "meta.order"));
}

/* more than 26 options: answers name them by two letters (AA = 27th), as the prompt shows them */
static void test_import_many_options(void **state)
{
    struct fixture *f = *state;
    char ins[160];
    snprintf(ins, sizeof ins, "%s/wide.yaml", f->dir);
    FILE *fp = fopen(ins, "w");
    assert_non_null(fp);
    fprintf(fp, "id: wide\nsystem: schwartz\nscale:\n");
    for (int i = 1; i <= 30; i++)
        fprintf(fp, "  - {label: level %d, value: %d}\n", i, i);
    fprintf(fp, "items:\n  - {id: b1, dimension: benevolence, text: Helping comes first.}\n");
    fclose(fp);
    tu_write_file(f->answers,
                  "{\"model\":\"m\",\"run\":\"w\",\"respondent\":\"p0\",\"item\":\"b1\","
                  "\"answer\":\"AB\"}\n"
                  "{\"model\":\"m\",\"run\":\"w\",\"respondent\":\"p1\",\"item\":\"b1\","
                  "\"answer\":\"ad\"}\n"
                  "{\"model\":\"m\",\"run\":\"w\",\"respondent\":\"p2\",\"item\":\"b1\","
                  "\"answer\":\"Z\"}\n");
    struct vsc_diag d = {0};
    if (vsc_import_answers(f->store, "file", ins, f->answers, &d)) fail_msg("%s", d.msg);
    struct got g = {0};
    struct vsc_score_opts o = {.n_boot = 50, .seed = 5};
    assert_int_equal(vsc_score_store(f->store, &o, collect, &g, &d), 0);
    /* AB = option 28, AD = 30, Z = 26 */
    const struct vsc_score_record *b = find(&g, "w", "benevolence");
    assert_int_equal(b->n, 3);
    assert_int_equal(b->n_unparseable, 0);
    assert_near(b->mean, (28.0 + 30.0 + 26.0) / 3.0, 1e-12);
}

/* Bad lines are cases of tests/data/bad/import/ (test_bad_inputs); a file that is not there is
 * an I/O error. */
static void test_import_missing_file(void **state)
{
    struct fixture *f = *state;
    struct vsc_diag d = {0};
    assert_int_equal(vsc_import_answers(f->store, "file", INS, "/nonexistent/a.jsonl", &d),
                     VSC_ERR_IO);
}

static void test_unknown_instrument(void **state)
{
    struct fixture *f = *state;
    int64_t run_id;
    assert_int_equal(vsc_store_run_begin(f->store, &run_id, "r3", ""), 0);
    struct vsc_cell c = {.model = "m",
                         .instrument = "ghost",
                         .item = "1",
                         .condition = "baseline",
                         .key = "g1",
                         .meta_json = "{}"};
    assert_int_equal(vsc_store_add_cell(f->store, run_id, &c, NULL), 0);
    struct got g = {0};
    struct vsc_diag d = {0};
    struct vsc_score_opts o = {.run = "r3"};
    assert_int_equal(vsc_score_store(f->store, &o, collect, &g, &d), VSC_ERR_INPUT);
    assert_non_null(strstr(d.msg, "ghost"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_import_and_score, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cells_of_every_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_many_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_instrument, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
