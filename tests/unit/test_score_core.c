/* The scoring accumulator on hand-made instruments and answers (no store involved). Expected
 * values are worked out by hand in the comments. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "score/score_int.h"
#include "stats/stats.h"
#include "support/testutil.h"
#include "valscope/instrument.h"
#include "valscope/score.h"

/* ---- a small instrument: 6 options valued 1..6, dims "a" (items 0-2, item 2 reversed),
 * "b" (items 3-5), item 6 unscored; group "ab" = a + b ----------------------------------- */

static struct vsc_option opts6[6] = {{"1", 1}, {"2", 2}, {"3", 3}, {"4", 4}, {"5", 5}, {"6", 6}};
static struct vsc_item items7[7] = {
    {.id = "i0", .dimension = "a", .key = 1},  {.id = "i1", .dimension = "a", .key = 1},
    {.id = "i2", .dimension = "a", .key = -1}, {.id = "i3", .dimension = "b", .key = 1},
    {.id = "i4", .dimension = "b", .key = 1},  {.id = "i5", .dimension = "b", .key = 1},
    {.id = "i6", .dimension = NULL, .key = 0},
};
static char *ab_dims[] = {"a", "b"};
static struct vsc_group grp[1] = {{.id = "ab", .dims = ab_dims, .n_dims = 2}};
static struct vsc_norm norms[1] = {
    {.crowd = "people", .dimension = "b", .mean = 0.5, .sd = 1, .n = 100}};

static struct vsc_instrument make_ins(int centre, enum vsc_aggregate agg)
{
    return (struct vsc_instrument){.id = "t",
                                   .system = "sys",
                                   .items = items7,
                                   .n_items = 7,
                                   .options = opts6,
                                   .n_options = 6,
                                   .centre = centre,
                                   .aggregate = agg,
                                   .groups = grp,
                                   .n_groups = 1,
                                   .norms = norms,
                                   .n_norms = 1};
}

/* collected records (numbers and the dimension id) */
struct got {
    struct vsc_score_record r[16];
    char dim[16][16];
    double norm_t, norm_p, norm_d, norm_df;
    size_t n;
};

static int collect(const struct vsc_score_record *rec, void *payload)
{
    struct got *g = payload;
    if (g->n >= 16) return -100;
    g->r[g->n] = *rec;
    snprintf(g->dim[g->n], sizeof g->dim[0], "%s", rec->dimension);
    g->r[g->n].dimension = g->dim[g->n];
    if (rec->n_norms) {
        g->norm_t = rec->norms[0].t;
        g->norm_p = rec->norms[0].p;
        g->norm_d = rec->norms[0].d;
        g->norm_df = rec->norms[0].df;
    }
    g->r[g->n].norms = NULL;
    g->n++;
    return 0;
}

static const struct sc_labels labels = {"m", "r", "c", "t"};

static void add_row(struct sc_acc *a, const char *resp, int rep, const double *v)
{
    for (size_t i = 0; i < 7; i++)
        if (!isnan(v[i])) assert_int_equal(sc_acc_add(a, resp, rep, i, SC_OBS_OK, v[i], NAN), 0);
}

static void test_respondent_centring(void **state)
{
    (void)state;
    struct vsc_instrument ins = make_ins(1, VSC_AGG_AVG);
    struct sc_acc *a = NULL;
    assert_int_equal(sc_acc_new(&a, &ins, NULL, 0), 0);
    /* p1: 6 5 2 1 2 3 2 -> MRAT 3; centred a = 3 2 1 (item 2 is reversed after centring:
     *     -(2 - 3)), b = -2 -1 0
     * p2: 4 4 4 4 4 4 4 -> MRAT 4; centred a = 0 0 0, b = 0 0 0 */
    add_row(a, "p1", 0, (const double[]){6, 5, 2, 1, 2, 3, 2});
    add_row(a, "p2", 0, (const double[]){4, 4, 4, 4, 4, 4, 4});
    struct got g = {0};
    struct vsc_score_opts o = {.n_boot = 200, .seed = 1};
    assert_int_equal(sc_acc_finish(a, &labels, &o, collect, &g), 0);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.dim[0], "a");
    assert_string_equal(g.dim[1], "b");
    assert_string_equal(g.dim[2], "ab");
    assert_string_equal(g.r[2].kind, "group");
    assert_string_equal(g.r[0].kind, "value");
    assert_string_equal(g.r[0].system, "sys");
    /* a: p1 (3+2+1)/3 = 2, p2 0; pooled mean = 1.0 */
    assert_near(g.r[0].mean, 1.0, 1e-12);
    assert_near(g.r[0].sd, sqrt(2) * (2.0 - 0.0) / 2, 1e-12);
    assert_int_equal(g.r[0].n, 6);
    assert_int_equal(g.r[0].n_respondents, 2);
    assert_int_equal(g.r[0].n_items, 3);
    /* b: p1 2 - 3 = -1, p2 0; mean -0.5 */
    assert_near(g.r[1].mean, -0.5, 1e-12);
    /* ab: p1 (6 - 3)/6 = 1/2, p2 0; pooled 3 / 12 */
    assert_near(g.r[2].mean, 3.0 / 12.0, 1e-12);
    /* the CI of a bootstrap over two respondents lies within their scores */
    assert_true(g.r[0].ci_low >= 0.0 - 1e-12 && g.r[0].ci_high <= 2.0 + 1e-12);
    assert_true(g.r[0].ci_low < g.r[0].ci_high);
    assert_nan(g.r[0].retest);
    assert_near(g.r[0].unparseable, 0.0, 1e-12);
    assert_nan(g.r[0].entropy);
    sc_acc_free(a);

    /* a value system's order puts b first; groups stay last */
    const char *const order[] = {"zz", "b"};
    assert_int_equal(sc_acc_new(&a, &ins, order, 2), 0);
    add_row(a, "p1", 0, (const double[]){6, 5, 2, 1, 2, 3, 2});
    memset(&g, 0, sizeof g);
    assert_int_equal(sc_acc_finish(a, &labels, &o, collect, &g), 0);
    assert_string_equal(g.dim[0], "b");
    assert_string_equal(g.dim[1], "a");
    assert_string_equal(g.dim[2], "ab");
    sc_acc_free(a);
}

static void test_run_and_none_centring(void **state)
{
    (void)state;
    struct vsc_instrument ins = make_ins(0, VSC_AGG_AVG);
    struct sc_acc *a = NULL;
    assert_int_equal(sc_acc_new(&a, &ins, NULL, 0), 0);
    add_row(a, "p1", 0, (const double[]){6, 5, 2, 1, 2, 3, 2});
    add_row(a, "p2", 0, (const double[]){4, 4, 4, 4, 4, NAN, 4}); /* p2 skipped item 5 */
    struct got g = {0};
    /* instrument says no centring: a = mean of keyed answers (6 5 5 4 4 3) = 4.5 */
    struct vsc_score_opts o = {.n_boot = -1};
    assert_int_equal(sc_acc_finish(a, &labels, &o, collect, &g), 0);
    assert_near(g.r[0].mean, 4.5, 1e-12);
    assert_nan(g.r[0].ci_low);
    /* run centring: pooled raw mean M over all 13 answers = (21 + 24) / 13; a's reversed
     * item 2 contributes M - x: (6 + 5 - 2 + 4 + 4 - 4 - 2M) / 6 */
    memset(&g, 0, sizeof g);
    o.centring = VSC_CENTRE_RUN;
    assert_int_equal(sc_acc_finish(a, &labels, &o, collect, &g), 0);
    assert_near(g.r[0].mean, (13.0 - 2 * 45.0 / 13.0) / 6.0, 1e-12);
    assert_near(g.r[1].mean, (1 + 2 + 3 + 4 + 4) / 5.0 - 45.0 / 13.0, 1e-12);
    assert_int_equal(g.r[1].n, 5);
    /* respondent centring forced on: p2 MRAT over its 6 answers = 4 */
    memset(&g, 0, sizeof g);
    o.centring = VSC_CENTRE_RESPONDENT;
    assert_int_equal(sc_acc_finish(a, &labels, &o, collect, &g), 0);
    assert_near(g.r[1].mean, ((1 + 2 + 3) - 3 * 3.0 + (4 + 4) - 2 * 4.0) / 5.0, 1e-12);
    sc_acc_free(a);
}

static void test_sum_and_counts(void **state)
{
    (void)state;
    struct vsc_instrument ins = make_ins(0, VSC_AGG_SUM);
    struct sc_acc *a = NULL;
    assert_int_equal(sc_acc_new(&a, &ins, NULL, 0), 0);
    add_row(a, "p1", 0, (const double[]){6, 5, 2, 1, 2, 3, 2});
    assert_int_equal(sc_acc_add(a, "p2", 0, 3, SC_OBS_UNPARSEABLE, NAN, NAN), 0);
    assert_int_equal(sc_acc_add(a, "p2", 0, 4, SC_OBS_FAILED, NAN, NAN), 0);
    assert_int_equal(sc_acc_add(a, "p2", 0, 5, SC_OBS_PENDING, NAN, NAN), 0);
    assert_int_equal(sc_acc_add(a, "p2", 0, 9, SC_OBS_OK, 1, NAN), VSC_ERR_INTERNAL);
    struct got g = {0};
    struct vsc_score_opts o = {.n_boot = 500, .seed = 3};
    assert_int_equal(sc_acc_finish(a, &labels, &o, collect, &g), 0);
    /* SUM: one respondent, a = 6 + 5 + 5 = 16 (pooled mean x 3 items) */
    assert_near(g.r[0].mean, 16.0, 1e-12);
    /* b: 1 + 2 + 3 = 6; 3 read, 1 unparseable -> share 1/4; 1 failed, 1 pending */
    assert_near(g.r[1].mean, 6.0, 1e-12);
    assert_int_equal(g.r[1].n, 3);
    assert_int_equal(g.r[1].n_unparseable, 1);
    assert_int_equal(g.r[1].n_failed, 1);
    assert_int_equal(g.r[1].n_pending, 1);
    assert_near(g.r[1].unparseable, 0.25, 1e-12);
    assert_int_equal(g.r[1].n_respondents, 1);
    /* one respondent: items are resampled; SD of the item scores 3 x (1, 2, 3) = 3 */
    assert_near(g.r[1].sd, 3.0, 1e-12);
    assert_true(g.r[1].ci_low >= 3.0 - 1e-9 && g.r[1].ci_high <= 9.0 + 1e-9);
    assert_true(g.r[1].ci_low < 6.0 && g.r[1].ci_high > 6.0);
    /* no respondents, no reliability */
    assert_nan(g.r[0].alpha);
    assert_nan(g.r[0].omega);
    sc_acc_free(a);
}

static void test_reliability_and_norms(void **state)
{
    (void)state;
    struct vsc_instrument ins = make_ins(0, VSC_AGG_AVG);
    struct sc_acc *a = NULL;
    assert_int_equal(sc_acc_new(&a, &ins, NULL, 0), 0);
    /* the alpha matrix of test_stats (rows = items 3..5 of dim b) for 6 respondents, plus a
     * seventh that misses item 4 (complete-case drops it) */
    const double m[3][6] = {{3, 4, 3, 2, 5, 4}, {2, 4, 4, 1, 5, 3}, {3, 5, 4, 2, 4, 4}};
    char name[8];
    for (int j = 0; j < 6; j++) {
        snprintf(name, sizeof name, "p%d", j);
        for (int i = 0; i < 3; i++)
            assert_int_equal(sc_acc_add(a, name, 0, 3 + i, SC_OBS_OK, m[i][j], NAN), 0);
    }
    assert_int_equal(sc_acc_add(a, "p6", 0, 3, SC_OBS_OK, 6, NAN), 0);
    struct got g = {0};
    struct vsc_score_opts o = {.n_boot = 100, .seed = 9};
    assert_int_equal(sc_acc_finish(a, &labels, &o, collect, &g), 0);
    double x[18];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 6; j++)
            x[i * 6 + j] = m[i][j];
    assert_int_equal(g.n, 3); /* a has no answers but is still reported */
    assert_near(g.r[1].alpha, st_cronbach_alpha(x, 3, 6), 1e-10);
    assert_near(g.r[1].omega, st_omega_total(x, 3, 6), 1e-8);
    assert_true(g.r[1].alpha > 0.5);
    assert_nan(g.r[0].mean);
    assert_int_equal(g.r[0].n, 0);

    /* norm: Welch on respondent scores (7 respondents) against mean 0.5, sd 1, n 100 */
    double sc[7];
    for (int j = 0; j < 6; j++)
        sc[j] = (m[0][j] + m[1][j] + m[2][j]) / 3;
    sc[6] = 6;
    assert_near(g.r[1].sd, st_sd(sc, 7), 1e-12);
    struct st_ttest t = st_welch(g.r[1].mean, st_sd(sc, 7), 7, 0.5, 1, 100);
    assert_near(g.norm_t, t.t, 1e-12);
    assert_near(g.norm_df, t.df, 1e-12);
    assert_near(g.norm_p, t.p, 1e-12);
    assert_true(g.norm_p < 0.01); /* a mean around 3.6 is far from 0.5 */
    assert_near(g.norm_d, st_cohen_d(g.r[1].mean, st_sd(sc, 7), 7, 0.5, 1, 100), 1e-12);
    sc_acc_free(a);
}

static void test_retest(void **state)
{
    (void)state;
    struct vsc_instrument ins = make_ins(0, VSC_AGG_AVG);
    struct sc_acc *a = NULL;
    assert_int_equal(sc_acc_new(&a, &ins, NULL, 0), 0);
    /* repeat 1 = repeat 0 + 1 on every item: r = 1; repeat 2 reverses the order: r = -1 */
    const double r0[] = {1, 2, 3, 4, 5, 6, 1};
    double r1[7], r2[7];
    for (int i = 0; i < 7; i++) {
        r1[i] = r0[i] == 6 ? 6 : r0[i] + 1;
        r2[i] = 7 - r0[i];
    }
    r1[5] = NAN; /* item 5 only answered in repeats 0 and 2 */
    add_row(a, "p", 0, r0);
    add_row(a, "p", 1, r1);
    add_row(a, "p", 2, r2);
    struct got g = {0};
    struct vsc_score_opts o = {.n_boot = -1};
    assert_int_equal(sc_acc_finish(a, &labels, &o, collect, &g), 0);
    /* dim b items 3..5: keyed pairs (4,5) (5,6) -> only 2 pairs for repeat 1, fewer than 3:
     * skipped; repeat 2: (4,3) (5,2) (6,1) -> r = -1. Dim a: keyed (1,2) (2,3) (4,3)?
     * item 2 reversed: r0 3 -> 4, r1 4 -> 3, r2 4 -> 3: pairs (1,2) (2,3) (4,3), and
     * repeat 2: (1,6) (2,5) (4,3). */
    const double ax1[] = {1, 2, 4}, ay1[] = {2, 3, 3}, ay2[] = {6, 5, 3};
    double want = (st_pearson(ax1, ay1, 3) + st_pearson(ax1, ay2, 3)) / 2;
    assert_near(g.r[0].retest, want, 1e-12);
    assert_near(g.r[1].retest, -1.0, 1e-12);
    assert_int_equal(g.r[0].n_respondents, 3); /* each repeat is a unit */
    sc_acc_free(a);
}

static void test_bootstrap_reproducible(void **state)
{
    (void)state;
    struct vsc_instrument ins = make_ins(1, VSC_AGG_AVG);
    struct sc_acc *a = NULL;
    assert_int_equal(sc_acc_new(&a, &ins, NULL, 0), 0);
    char name[16];
    for (int j = 0; j < 40; j++) {
        snprintf(name, sizeof name, "r%d", j);
        for (int i = 0; i < 7; i++)
            assert_int_equal(sc_acc_add(a, name, 0, i, SC_OBS_OK, 1 + (j * 7 + i * 3) % 6, NAN), 0);
    }
    struct got g1 = {0}, g2 = {0}, g3 = {0};
    struct vsc_score_opts o = {.n_boot = 300, .seed = 11};
    assert_int_equal(sc_acc_finish(a, &labels, &o, collect, &g1), 0);
    assert_int_equal(sc_acc_finish(a, &labels, &o, collect, &g2), 0);
    o.seed = 12;
    assert_int_equal(sc_acc_finish(a, &labels, &o, collect, &g3), 0);
    assert_near(g1.r[0].ci_low, g2.r[0].ci_low, 1e-15);
    assert_near(g1.r[0].ci_high, g2.r[0].ci_high, 1e-15);
    assert_true(g1.r[0].ci_low != g3.r[0].ci_low || g1.r[0].ci_high != g3.r[0].ci_high);
    assert_true(g1.r[0].ci_low < g1.r[0].mean && g1.r[0].mean < g1.r[0].ci_high);
    /* the callback's status stops scoring and comes back */
    struct got full = {.n = 16};
    assert_int_equal(sc_acc_finish(a, &labels, &o, collect, &full), -100);
    sc_acc_free(a);
}

static void test_logprobs(void **state)
{
    (void)state;
    struct vsc_instrument ins = make_ins(0, VSC_AGG_AVG);
    double v, h;
    /* A: 0.5, B: 0.25 (as " B" and "B"), "C" absent, a non-option token ignored.
     * Expected value (1 * 0.5 + 2 * 0.25) / 0.75 = 4/3, entropy of (2/3, 1/3). */
    const char *lp = "[{\"token\":\"A\",\"logprob\":-0.6931471805599453,\"top_logprobs\":["
                     "{\"token\":\"A\",\"logprob\":-0.6931471805599453},"
                     "{\"token\":\" B\",\"logprob\":-2.0794415416798357},"
                     "{\"token\":\"B\",\"logprob\":-2.0794415416798357},"
                     "{\"token\":\"Sure\",\"logprob\":-1.0}]}]";
    assert_int_equal(sc_logprobs_value(&v, &h, lp, &ins, NULL), 0);
    assert_near(v, 4.0 / 3.0, 1e-12);
    double p[2] = {2.0 / 3.0, 1.0 / 3.0};
    assert_near(h, st_entropy_bits(p, 2), 1e-12);
    /* shown order reversed: A means option 6, B option 5 */
    const size_t rev[6] = {5, 4, 3, 2, 1, 0};
    assert_int_equal(sc_logprobs_value(&v, &h, lp, &ins, rev), 0);
    assert_near(v, (6 * 0.5 + 5 * 0.25) / 0.75, 1e-12);
    /* digits are shown positions; the {"content": [...]} wrapper is accepted */
    assert_int_equal(sc_logprobs_value(&v, &h,
                                       "{\"content\":[{\"token\":\"3\",\"logprob\":0,"
                                       "\"top_logprobs\":[]}]}",
                                       &ins, NULL),
                     0);
    assert_near(v, 3.0, 1e-12);
    assert_near(h, 0.0, 1e-12);
    /* nothing usable: unparseable, never a number */
    assert_int_equal(
        sc_logprobs_value(&v, &h, "[{\"token\":\"Hello\",\"logprob\":-0.1}]", &ins, NULL),
        VSC_ERR_INPUT);
    assert_nan(v);
    assert_int_equal(sc_logprobs_value(&v, &h, "not json", &ins, NULL), VSC_ERR_INPUT);
    assert_int_equal(sc_logprobs_value(&v, &h, "[]", &ins, NULL), VSC_ERR_INPUT);
    assert_int_equal(sc_logprobs_value(&v, &h, "[{\"token\":\"G\",\"logprob\":0}]", &ins, NULL),
                     VSC_ERR_INPUT);
    /* a chosen minus sign starts "-3": the "3" among its alternatives is not the answer */
    const char *minus = "[{\"token\":\"-\",\"logprob\":-0.1,\"top_logprobs\":["
                        "{\"token\":\"-\",\"logprob\":-0.1},{\"token\":\"3\",\"logprob\":-2.4}]}]";
    assert_int_equal(sc_logprobs_value(&v, &h, minus, &ins, NULL), VSC_ERR_INPUT);
    assert_nan(v);
    assert_int_equal(sc_logprobs_value(&v, &h,
                                       "[{\"token\":\" \xE2\x88\x92\",\"logprob\":0,"
                                       "\"top_logprobs\":[{\"token\":\"3\",\"logprob\":-3}]}]",
                                       &ins, NULL),
                     VSC_ERR_INPUT);

    /* entropy is averaged per dimension */
    struct sc_acc *a = NULL;
    assert_int_equal(sc_acc_new(&a, &ins, NULL, 0), 0);
    assert_int_equal(sc_acc_add(a, "p", 0, 0, SC_OBS_OK, 2.5, 1.0), 0);
    assert_int_equal(sc_acc_add(a, "p", 0, 1, SC_OBS_OK, 3.5, 0.5), 0);
    struct got g = {0};
    struct vsc_score_opts o = {.n_boot = -1};
    assert_int_equal(sc_acc_finish(a, &labels, &o, collect, &g), 0);
    assert_near(g.r[0].entropy, 0.75, 1e-12);
    assert_near(g.r[0].mean, 3.0, 1e-12);
    sc_acc_free(a);
}

static void test_json_writer(void **state)
{
    (void)state;
    struct vsc_score_record r = {.model = "m\"1",
                                 .run = "r",
                                 .condition = "c",
                                 .system = "schwartz",
                                 .instrument = "pvqrr",
                                 .kind = "value",
                                 .dimension = "power",
                                 .mean = -1.25,
                                 .sd = NAN,
                                 .n = 12,
                                 .ci_low = -1.5,
                                 .ci_high = -1,
                                 .alpha = NAN,
                                 .omega = NAN,
                                 .retest = NAN,
                                 .unparseable = 0.5,
                                 .entropy = NAN};
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    assert_non_null(fp);
    assert_int_equal(vsc_score_write_json(fp, &r), 0);
    assert_int_equal(vsc_score_write_table_header(fp), 0);
    r.model = "evil\x1b[2J";
    assert_int_equal(vsc_score_write_table_row(fp, &r), 0);
    fclose(fp);
    const char *want = "{\"model\":\"m\\\"1\",\"run\":\"r\",\"condition\":\"c\",\"system\":"
                       "\"schwartz\",\"instrument\":\"pvqrr\",\"kind\":\"value\",\"dimension\":"
                       "\"power\",\"mean\":-1.25,\"sd\":null,\"n\":12,\"ci_low\":-1.5,"
                       "\"ci_high\":-1.0,\"alpha\":null,\"omega\":null,\"retest\":null,"
                       "\"unparseable\":0.5,";
    assert_memory_equal(buf, want, strlen(want));
    assert_non_null(strstr(buf, "evil?[2J"));
    free(buf);
    /* invalid UTF-8 in a name is replaced, the key stays */
    fp = open_memstream(&buf, &len);
    r.model = "bad\xff";
    assert_int_equal(vsc_score_write_json(fp, &r), 0);
    fclose(fp);
    assert_non_null(strstr(buf, "{\"model\":\"bad\xef\xbf\xbd\","));
    assert_null(strchr(buf, '\x1b'));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_respondent_centring),
        cmocka_unit_test(test_run_and_none_centring),
        cmocka_unit_test(test_sum_and_counts),
        cmocka_unit_test(test_reliability_and_norms),
        cmocka_unit_test(test_retest),
        cmocka_unit_test(test_bootstrap_reproducible),
        cmocka_unit_test(test_logprobs),
        cmocka_unit_test(test_json_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
