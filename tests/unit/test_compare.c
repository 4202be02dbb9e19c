/* Comparisons: alignment metrics against hand-computed values, Holm, target files, the
 * orientation converter, leaderboard rank uncertainty and drift. */
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

#include "support/testutil.h"
#include "valscope/compare.h"
#include "valscope/instrument.h"

/* m = (1, 2, 3), t = (1, -1, 2), w = (1, 1, 2), worked by hand:
 *   compass  = (1*1*1 + 1*(-1)*2 + 2*2*3) / (1*1 + 1*1 + 2*2) = 11 / 6
 *   cosine   = 11 / sqrt((1 + 4 + 2*9) * (1 + 1 + 2*4)) = 11 / sqrt(230)
 *   spearman: ranks (1,2,3) and (2,1,3), sum d^2 = 2, rho = 1 - 6*2 / (3*8) = 0.5
 *   standardised with weights: m: mean 9/4, var 2.75/4; t: mean 1, var 6/4;
 *     z(m) = (-1.25, -0.25, 0.75) / sqrt(0.6875), z(t) = (0, -2, 1) / sqrt(1.5)
 *   l1 = sum w |z(m) - z(t)| / 4, l2 = sqrt(sum w (z(m) - z(t))^2 / 4) */
static void test_metrics_hand(void **state)
{
    (void)state;
    const double m[] = {1, 2, 3}, t[] = {1, -1, 2}, w[] = {1, 1, 2};
    double out[VSC_ALIGN_N];
    vsc_align_metrics(out, m, t, w, 3);
    assert_near(out[VSC_ALIGN_COMPASS], 11.0 / 6.0, 1e-12);
    assert_near(out[VSC_ALIGN_COSINE], 11.0 / sqrt(230.0), 1e-12);
    assert_near(out[VSC_ALIGN_SPEARMAN], 0.5, 1e-12);
    double sm = sqrt(0.6875), stt = sqrt(1.5);
    double d[3] = {-1.25 / sm - 0, -0.25 / sm + 2 / stt, 0.75 / sm - 1 / stt};
    double l1 = (fabs(d[0]) + fabs(d[1]) + 2 * fabs(d[2])) / 4;
    double l2 = sqrt((d[0] * d[0] + d[1] * d[1] + 2 * d[2] * d[2]) / 4);
    assert_near(out[VSC_ALIGN_L1], l1, 1e-12);
    assert_near(out[VSC_ALIGN_L2], l2, 1e-12);
    assert_near(out[VSC_ALIGN_L1], 0.753778361444409, 1e-9); /* the same, as decimals */
    assert_near(out[VSC_ALIGN_L2], 1.007605117179016, 1e-9);

    /* A zero weight drops the dimension from every metric. */
    const double m4[] = {1, 2, 3, 100}, t4[] = {1, -1, 2, 5}, w4[] = {1, 1, 2, 0};
    double out4[VSC_ALIGN_N];
    vsc_align_metrics(out4, m4, t4, w4, 4);
    for (int k = 0; k < VSC_ALIGN_N; k++)
        assert_near(out4[k], out[k], 1e-12);
}

static void test_metrics_unweighted(void **state)
{
    (void)state;
    /* Identical shape: rho 1, distance 0, whatever the scale and offset. */
    const double m[] = {0.5, -1, 2, 0}, t[] = {11, 8, 14, 10};
    double out[VSC_ALIGN_N];
    vsc_align_metrics(out, m, t, NULL, 4);
    assert_near(out[VSC_ALIGN_SPEARMAN], 1.0, 1e-12);
    assert_near(out[VSC_ALIGN_L1], 0.0, 1e-12);
    assert_near(out[VSC_ALIGN_L2], 0.0, 1e-12);
    /* Unweighted: l2^2 = 2 (1 - Pearson r). m = (1,2,3,4), t = (2,1,4,3): r = 0.6 */
    const double a[] = {1, 2, 3, 4}, b[] = {2, 1, 4, 3};
    vsc_align_metrics(out, a, b, NULL, 4);
    assert_near(out[VSC_ALIGN_L2], sqrt(2 * (1 - 0.6)), 1e-12);
    /* compass with t = (2,1,4,3): (2 + 2 + 12 + 12) / 10 */
    assert_near(out[VSC_ALIGN_COMPASS], 2.8, 1e-12);
    /* cosine: 28 / sqrt(30 * 30) */
    assert_near(out[VSC_ALIGN_COSINE], 28.0 / 30.0, 1e-12);
    /* Undefined: one dimension; a constant profile has no shape. */
    vsc_align_metrics(out, a, b, NULL, 1);
    for (int k = 0; k < VSC_ALIGN_N; k++)
        assert_nan(out[k]);
    const double c[] = {1, 1, 1, 1};
    vsc_align_metrics(out, c, b, NULL, 4);
    assert_nan(out[VSC_ALIGN_SPEARMAN]);
    assert_nan(out[VSC_ALIGN_L1]);
    assert_near(out[VSC_ALIGN_COMPASS], 1.0, 1e-12);
    assert_string_equal(vsc_align_metric_name(VSC_ALIGN_L2), "l2");
    assert_null(vsc_align_metric_name(VSC_ALIGN_N));
}

static void test_holm(void **state)
{
    (void)state;
    /* sorted 0.01 0.03 0.04 0.5 (m = 4): 0.04, 0.09, max(0.09, 0.08), max(.., 0.5) */
    const double p[] = {0.01, 0.04, 0.03, NAN, 0.5};
    double adj[5];
    assert_int_equal(vsc_holm(adj, p, 5), 0);
    assert_near(adj[0], 0.04, 1e-12);
    assert_near(adj[1], 0.09, 1e-12);
    assert_near(adj[2], 0.09, 1e-12);
    assert_nan(adj[3]);
    assert_near(adj[4], 0.5, 1e-12);
    const double q[] = {0.6, 0.7};
    assert_int_equal(vsc_holm(adj, q, 2), 0);
    assert_near(adj[0], 1.0, 1e-12);
    assert_near(adj[1], 1.0, 1e-12);
}

static void test_target_parse(void **state)
{
    (void)state;
    const char *ok = "id: t1\nsystem: schwartz\nexample: true\n"
                     "scores: {benevolence: 1.5, power: -1}\nweights: {power: 2}\n";
    struct vsc_target *t = NULL;
    struct vsc_diag d = {0};
    assert_int_equal(vsc_target_parse(&t, ok, strlen(ok), "t.yaml", &d), 0);
    assert_string_equal(t->id, "t1");
    assert_string_equal(t->name, "t1");
    assert_int_equal(t->example, 1);
    assert_int_equal(t->n_dims, 2);
    assert_string_equal(t->dims[1], "power");
    assert_near(t->scores[1], -1, 1e-12);
    assert_near(t->weights[0], 1, 1e-12);
    assert_near(t->weights[1], 2, 1e-12);
    /* Round trip through the writer. */
    char *txt = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&txt, &len);
    assert_int_equal(vsc_target_write(fp, t), 0);
    fclose(fp);
    struct vsc_target *t2 = NULL;
    assert_int_equal(vsc_target_parse(&t2, txt, len, "rt.yaml", &d), 0);
    assert_near(t2->weights[1], 2, 1e-12);
    assert_int_equal(t2->example, 1);
    free(txt);
    vsc_target_free(t2);
    vsc_target_free(t);

    struct {
        const char *text;
        int line;
        const char *msg;
    } bad[] = {
        {"id: t\nsystem: schwartz\nscores:\n  benevolence: 1\n  kindness: 2\n", 5,
         "not a dimension"},
        {"id: t\nsystem: schwartz\nscores: {power: high}\n", 3, "must be a number"},
        {"id: t\nsystem: schwartz\nscores: {power: 1}\nweights: {power: -1}\n", 4, ">= 0"},
        {"id: t\nsystem: schwartz\nscores: {power: 1}\nweights: {hedonism: 1}\n", 4,
         "has no score"},
        {"id: t\nsystem: schwartz\n", 1, "needs 'scores'"},
        {"id: t\nsystem: schwartz\nscores: {power: 1}\ncolour: red\n", 4, "colour"},
        {"system: schwartz\nscores: {power: 1}\n", 0, "id"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&d, 0, sizeof(d));
        t = NULL;
        int rc = vsc_target_parse(&t, bad[i].text, strlen(bad[i].text), "bad.yaml", &d);
        if (rc != VSC_ERR_INPUT || !strstr(d.msg, bad[i].msg) ||
            (bad[i].line && d.line != bad[i].line))
            fail_msg("case %zu: rc %d, line %d, msg '%s'", i, rc, d.line, d.msg);
        assert_null(t);
    }
}

static void test_orientations(void **state)
{
    (void)state;
    char dir[] = "/tmp/vsc-orient-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char csv[300], out[300];
    snprintf(csv, sizeof(csv), "%s/o.csv", dir);
    /* Columns in a different order, plus one to ignore. */
    tu_write_file(csv,
                  "country,egalitar,harmony,embedded,hierarchy,mastery,aff_auton,intel_auton,note\n"
                  "\"Testland, North\",5,4,3,2,4,3.5,4.5,x\n");
    size_t n = 0;
    struct vsc_diag d = {0};
    assert_int_equal(vsc_targets_from_orientations(&n, csv, dir, &d), 0);
    assert_int_equal(n, 1);
    snprintf(out, sizeof(out), "%s/testland-north.yaml", dir);
    struct vsc_target *t = NULL;
    assert_int_equal(vsc_target_load(&t, out, &d), 0);
    assert_string_equal(t->system, "schwartz");
    assert_int_equal(t->n_dims, 10);
    /* By hand with the table of docs/targets.md: raw self-direction 0.2*4 + 0.8*4.5 = 4.4,
     * power 0.8*2 + 0.2*4 = 2.4, universalism 0.5*4 + 0.5*5 = 4.5; the ten raw values sum
     * to 35.6, so the mean 3.56 is subtracted. */
    assert_string_equal(t->dims[0], "self-direction");
    assert_near(t->scores[0], 0.84, 1e-9);
    assert_string_equal(t->dims[4], "power");
    assert_near(t->scores[4], -1.16, 1e-9);
    assert_string_equal(t->dims[9], "universalism");
    assert_near(t->scores[9], 0.94, 1e-9);
    vsc_target_free(t);
    unlink(out);

    /* A bad cell names line and column; a missing column names the column. */
    tu_write_file(csv, "country,harmony,embedded,hierarchy,mastery,aff_auton,intel_auton,egalitar\n"
                       "A,1,2,3,4,5,6,7\nB,1,2,3,lots,5,6,7\n");
    memset(&d, 0, sizeof(d));
    assert_int_equal(vsc_targets_from_orientations(&n, csv, dir, &d), VSC_ERR_INPUT);
    assert_int_equal(d.line, 3);
    assert_int_equal(d.col, 5);
    assert_non_null(strstr(d.msg, "mastery"));
    snprintf(out, sizeof(out), "%s/a.yaml", dir);
    unlink(out);
    tu_write_file(csv, "country,harmony,embedded\nA,1,2\n");
    memset(&d, 0, sizeof(d));
    assert_int_equal(vsc_targets_from_orientations(&n, csv, dir, &d), VSC_ERR_INPUT);
    assert_non_null(strstr(d.msg, "hierarchy"));
    tu_rmrf(dir);
}

/* A record with a CI that implies SE `se` at the 95% level. */
static void add(struct vsc_profiles *p, const char *model, const char *cond, const char *dim,
                double mean, double se)
{
    struct vsc_score_record r = {.model = model,
                                 .run = "r",
                                 .condition = cond,
                                 .system = "schwartz",
                                 .instrument = "builtin:schwartz",
                                 .kind = "value",
                                 .dimension = dim,
                                 .mean = mean,
                                 .ci_low = mean - 1.959963984540054 * se,
                                 .ci_high = mean + 1.959963984540054 * se};
    assert_int_equal(vsc_profiles_add(p, &r), 0);
}

struct lrows {
    struct vsc_leader_row r[16];
    char model[16][32];
    size_t n;
};
static int on_leader(const struct vsc_leader_row *row, void *payload)
{
    struct lrows *l = payload;
    if (l->n < 16) {
        l->r[l->n] = *row;
        snprintf(l->model[l->n], 32, "%s", row->model);
        l->n++;
    }
    return 0;
}

static void test_leaderboard(void **state)
{
    (void)state;
    struct vsc_profiles *p;
    assert_int_equal(vsc_profiles_new(&p, 0.95), 0);
    add(p, "a", "base", "power", 1.0, 0.001);
    add(p, "b", "base", "power", 3.0, 0.001);
    add(p, "c", "base", "power", 2.0, 0.001);
    add(p, "a", "base", "hedonism", 1.0, 1.0); /* tied, wide: each keeps rank 1 half the time */
    add(p, "b", "base", "hedonism", 1.0, 1.0);
    assert_near(vsc_profiles_se(p, 0), 0.001, 1e-12);
    struct lrows l = {0};
    struct vsc_compare_opts o = {.n_boot = 4000, .seed = 7};
    assert_int_equal(vsc_compare_leaderboard(p, &o, on_leader, &l), 0);
    assert_int_equal(l.n, 5);
    assert_string_equal(l.model[0], "a");
    assert_int_equal(l.r[0].rank, 3);
    assert_int_equal(l.r[1].rank, 1);
    assert_int_equal(l.r[2].rank, 2);
    assert_int_equal(l.r[0].n_entries, 3);
    assert_near(l.r[1].p_keep_rank, 1.0, 1e-12);
    assert_string_equal(l.r[3].dimension, "hedonism");
    assert_int_equal(l.r[3].rank, 1);
    assert_int_equal(l.r[4].rank, 1);
    assert_near(l.r[3].p_keep_rank, 0.5, 0.04);
    /* Same seed, same answer. */
    struct lrows l2 = {0};
    assert_int_equal(vsc_compare_leaderboard(p, &o, on_leader, &l2), 0);
    assert_near(l2.r[3].p_keep_rank, l.r[3].p_keep_rank, 1e-15);
    /* No resampling: shares are NAN. */
    struct vsc_compare_opts none = {.n_boot = -1};
    l2.n = 0;
    assert_int_equal(vsc_compare_leaderboard(p, &none, on_leader, &l2), 0);
    assert_nan(l2.r[0].p_keep_rank);
    vsc_profiles_free(p);
}

struct arows {
    struct vsc_align_row r[4];
    size_t n;
};
static int on_align(const struct vsc_align_row *row, void *payload)
{
    struct arows *a = payload;
    if (a->n < 4) a->r[a->n++] = *row;
    return 0;
}

static void test_align_profiles(void **state)
{
    (void)state;
    struct vsc_profiles *p;
    assert_int_equal(vsc_profiles_new(&p, 0), 0);
    add(p, "a", "base", "self-direction", 1, 0);
    add(p, "a", "base", "power", 2, 0);
    add(p, "a", "base", "hedonism", 3, 0);
    add(p, "b", "base", "self-direction", 1, 0.5);
    add(p, "b", "base", "power", 2, 0.5);
    add(p, "b", "base", "hedonism", 3, 0.5);
    const char *txt = "id: tg\nsystem: schwartz\n"
                      "scores: {self-direction: 1, power: -1, hedonism: 2, universalism: 9}\n"
                      "weights: {hedonism: 2}\n";
    struct vsc_target *t;
    struct vsc_diag d = {0};
    assert_int_equal(vsc_target_parse(&t, txt, strlen(txt), "t", &d), 0);
    struct arows a = {0};
    const struct vsc_target *ts[] = {t};
    struct vsc_compare_opts o = {.n_boot = 2000, .seed = 1};
    assert_int_equal(vsc_compare_align(p, ts, 1, &o, on_align, &a), 0);
    assert_int_equal(a.n, 2);
    /* universalism is not in the profile: the hand-computed case of test_metrics_hand. */
    assert_int_equal(a.r[0].n_dims, 3);
    assert_near(a.r[0].value[VSC_ALIGN_COMPASS], 11.0 / 6.0, 1e-12);
    assert_near(a.r[0].value[VSC_ALIGN_SPEARMAN], 0.5, 1e-12);
    /* SE 0: the resamples are all the point value. */
    assert_near(a.r[0].ci_low[VSC_ALIGN_COMPASS], 11.0 / 6.0, 1e-12);
    assert_near(a.r[0].ci_high[VSC_ALIGN_COMPASS], 11.0 / 6.0, 1e-12);
    /* SE 0.5: compass is linear in m, so its CI is normal: +-1.96 * 0.5 *
     * sqrt(1 + 1 + 16) / 6 = 0.693 around 11/6. */
    double half = 1.959964 * 0.5 * sqrt(18.0) / 6.0;
    assert_near(a.r[1].ci_low[VSC_ALIGN_COMPASS], 11.0 / 6.0 - half, 0.06);
    assert_near(a.r[1].ci_high[VSC_ALIGN_COMPASS], 11.0 / 6.0 + half, 0.06);
    assert_true(a.r[1].ci_low[VSC_ALIGN_SPEARMAN] < 0.5);
    vsc_target_free(t);
    vsc_profiles_free(p);
}

struct drows {
    struct vsc_drift_row r[8];
    size_t n;
};
static int on_drift(const struct vsc_drift_row *row, void *payload)
{
    struct drows *dr = payload;
    if (dr->n < 8) dr->r[dr->n++] = *row;
    return 0;
}

static void test_drift(void **state)
{
    (void)state;
    struct vsc_profiles *p;
    assert_int_equal(vsc_profiles_new(&p, 0.95), 0);
    add(p, "m", "baseline", "power", 1.0, 0.1);
    add(p, "m", "baseline", "hedonism", 1.0, 0.1);
    add(p, "m", "formal", "power", 1.5, 0.1);
    add(p, "m", "formal", "hedonism", 1.05, 0.1);
    char spec_text[] = "condition:baseline:formal";
    struct vsc_drift_spec s;
    struct vsc_diag d = {0};
    assert_int_equal(vsc_drift_spec_parse(&s, spec_text, &d), 0);
    assert_string_equal(s.b, "formal");
    char bad[] = "colour:a:b";
    assert_int_equal(vsc_drift_spec_parse(&s, bad, &d), VSC_ERR_INPUT);
    char bad2[] = "run:a";
    assert_int_equal(vsc_drift_spec_parse(&s, bad2, &d), VSC_ERR_INPUT);
    s = (struct vsc_drift_spec){VSC_DRIFT_CONDITION, "baseline", "formal"};
    struct drows dr = {0};
    assert_int_equal(vsc_compare_drift(p, &s, 1, NULL, on_drift, &dr), 0);
    assert_int_equal(dr.n, 2);
    /* diff 0.5, SE sqrt(0.02): z = 3.5355, p = 2 Phi(-z) = 0.000406952 (python
     * statistics.NormalDist); diff 0.05: p = 0.723674. Holm over 2: 0.000813904, 0.723674. */
    assert_near(dr.r[0].diff, 0.5, 1e-12);
    assert_near(dr.r[0].p, 0.000406952017445, 1e-9);
    assert_near(dr.r[0].p_holm, 0.00081390403489, 1e-9);
    assert_near(dr.r[1].p, 0.723673609831763, 1e-9);
    assert_near(dr.r[1].p_holm, 0.723673609831763, 1e-9);
    assert_near(dr.r[0].ci_low, 0.5 - 1.959964 * sqrt(0.02), 1e-5);
    assert_int_equal(dr.r[0].n_family, 2);
    vsc_profiles_free(p);
}

struct crows {
    struct vsc_circle_row r[8];
    char model[8][32];
    size_t n;
};
static int on_circle(const struct vsc_circle_row *row, void *payload)
{
    struct crows *c = payload;
    if (c->n < 8) {
        c->r[c->n] = *row;
        snprintf(c->model[c->n], 32, "%s", row->model);
        c->n++;
    }
    return 0;
}

/* Planted profiles on the Schwartz circle: all weight on one value puts the point at that
 * value's direction, 1/1.8 from the centre (centred scores 0.9 and nine times -0.1); a flat or
 * incomplete profile gets no point. */
static void test_circle(void **state)
{
    (void)state;
    double x, y;
    /* four values; two adjacent high ones: halfway between them, radius sqrt(1/2) */
    assert_int_equal(vsc_circle_point(&x, &y, (double[]){1, 1, 0, 0}, 4), 0);
    assert_near(x, 0.5, 1e-12);
    assert_near(y, 0.5, 1e-12);
    assert_int_equal(vsc_circle_point(&x, &y, (double[]){1, 0, 0, 0}, 4), 0);
    assert_near(x, 0, 1e-12);
    assert_near(y, 2.0 / 3.0, 1e-12);
    assert_int_equal(vsc_circle_point(&x, &y, (double[]){2, 2, 2, 2}, 4), -1);
    assert_true(isnan(x) && isnan(y));
    assert_int_equal(vsc_circle_point(&x, &y, (double[]){1, NAN, 0, 0}, 4), -1);

    struct vsc_value_system *vs = NULL;
    struct vsc_diag d = {0};
    assert_int_equal(vsc_value_system_builtin(&vs, "schwartz", &d), 0);
    size_t ord[16];
    assert_int_equal(vsc_circle_order(ord, vs), 10);
    for (size_t i = 1; i < 10; i++)
        assert_true(vs->dims[ord[i - 1]].order <= vs->dims[ord[i]].order);
    struct vsc_profiles *p;
    assert_int_equal(vsc_profiles_new(&p, 0.95), 0);
    for (size_t i = 0; i < 10; i++) {
        const char *dim = vs->dims[ord[i]].id;
        add(p, "one-sided", "c", dim, i == 3 ? 1 : 0, 0.1); /* the 4th value: 108 degrees */
        add(p, "flat", "c", dim, 0, 0.1);
        if (i != 7) add(p, "incomplete", "c", dim, (double)i, 0.1);
        add(p, "top", "c", dim, i == 0 ? 5 : 2, 0.1); /* the first value: 0 degrees */
    }
    struct crows c = {0};
    assert_int_equal(vsc_compare_circle(p, vs, on_circle, &c), 0);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.model[0], "one-sided");
    assert_near(c.r[0].radius, 1 / 1.8, 1e-9);
    assert_near(c.r[0].angle, 108, 1e-9);
    assert_near(c.r[0].x, sin(108 * 3.14159265358979323846 / 180) / 1.8, 1e-9);
    assert_near(c.r[0].y, cos(108 * 3.14159265358979323846 / 180) / 1.8, 1e-9);
    assert_string_equal(c.model[1], "top");
    assert_near(c.r[1].radius, 1 / 1.8, 1e-9);
    assert_near(c.r[1].angle, 0, 1e-9);
    assert_near(c.r[1].x, 0, 1e-9);
    vsc_profiles_free(p);
    vsc_value_system_free(vs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_hand),   cmocka_unit_test(test_metrics_unweighted),
        cmocka_unit_test(test_holm),           cmocka_unit_test(test_target_parse),
        cmocka_unit_test(test_orientations),   cmocka_unit_test(test_leaderboard),
        cmocka_unit_test(test_align_profiles), cmocka_unit_test(test_drift),
        cmocka_unit_test(test_circle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
