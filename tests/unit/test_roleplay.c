/* Role-play statistics: inertia and JSD against hand-computed values, and every record kind
 * from a store filled by hand (so each expected number can be worked out on paper). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/testutil.h"
#include "util/util.h"
#include "valscope/roleplay.h"
#include "valscope/store.h"

static void test_inertia_hand(void **state)
{
    (void)state;
    double one[] = {5, 0, 0}, half[] = {2, 2, 0, 0}, flat[] = {1, 1, 1, 1}, skew[] = {3, 1};
    assert_near(vsc_roleplay_inertia(one, 3), 1.0, 1e-12);
    assert_near(vsc_roleplay_inertia(half, 4), 0.5, 1e-12); /* H = 1 bit of log2 4 = 2 */
    assert_near(vsc_roleplay_inertia(flat, 4), 0.0, 1e-12);
    /* H(.75, .25) = .75 log2(4/3) + .25 log2 4 = 0.8112781245 */
    assert_near(vsc_roleplay_inertia(skew, 2), 1 - 0.8112781245, 1e-9);
    double none[] = {0, 0};
    assert_true(isnan(vsc_roleplay_inertia(none, 2)));
    assert_true(isnan(vsc_roleplay_inertia(one, 1)));
}

static void test_jsd_hand(void **state)
{
    (void)state;
    double a[] = {1, 0}, b[] = {0, 1}, c[] = {1, 1}, a3[] = {4, 0}, z[] = {0, 0};
    assert_near(vsc_roleplay_steerability(a, b, 2), 1.0, 1e-12);
    assert_near(vsc_roleplay_steerability(a, a3, 2), 0.0, 1e-12);
    /* M = (.75, .25): H(M) = 0.8112781245, H(a) = 0, H(c) = 1 -> 0.3112781245 */
    assert_near(vsc_roleplay_steerability(a, c, 2), 0.3112781245, 1e-9);
    assert_near(vsc_roleplay_steerability(c, a, 2), 0.3112781245, 1e-9);
    assert_true(isnan(vsc_roleplay_steerability(a, z, 2)));
}

/* ---- a store filled by hand --------------------------------------------------------------- */

static int n_cells;

static void add(struct vsc_store *st, int64_t run, const char *cond, const char *item, int sample,
                const char *meta, const char *status, const char *text)
{
    char key[65], raw[256];
    snprintf(raw, sizeof raw, "%s|%s|%d|%d", cond, item, sample, n_cells++);
    sha256_hex(key, raw, strlen(raw));
    struct vsc_cell c = {.model = "m",
                         .instrument = "ins",
                         .item = item,
                         .condition = cond,
                         .sample = sample,
                         .key = key,
                         .meta_json = meta,
                         .body = raw};
    assert_int_equal(vsc_store_add_cell(st, run, &c, NULL), 0);
    if (!status) return;
    struct vsc_answer a = {.status = status,
                           .text = text,
                           .attempts = 1,
                           .error = strcmp(status, "ok") ? "http_5xx" : NULL};
    assert_int_equal(vsc_store_put_answer(st, key, "m", &a), 0);
}

/* Personas 0..3 of seeds 1 and 2. Tradition answers (t1, t2): persona 0 D D (4), 1 D C (3.5),
 * 2 B A (1.5), 3 A A (1); hedonism: seed 1 answers C, seed 2 answers D. Personas 0 and 1 are
 * Christian, 2 and 3 not religious. Baseline: tradition A A, hedonism B B. */
static void fill(const char *db)
{
    struct vsc_store *st = NULL;
    assert_int_equal(vsc_store_open(&st, db), 0);
    int64_t run = 0;
    assert_int_equal(vsc_store_run_begin(st, &run, "rp", "{}"), 0);
    assert_int_equal(vsc_store_run_add_instrument(st, run, "ins", "file",
                                                  "tests/data/roleplay/rp_ins.yaml", NULL, "{}"),
                     0);
    assert_int_equal(vsc_store_begin(st), 0);
    const char *asis = "{\"order\":[0,1,2,3]}";
    add(st, run, "baseline", "t1", 0, asis, "ok", "A");
    add(st, run, "baseline", "t2", 0, asis, "ok", "A. Never");
    add(st, run, "baseline", "h1", 0, asis, "ok", "B");
    add(st, run, "baseline", "h2", 0, asis, "ok", "Rarely");
    const char *trad[4][2] = {{"D", "D"}, {"D", "C"}, {"B", "A"}, {"A", "A"}};
    for (int seed = 1; seed <= 2; seed++)
        for (int i = 0; i < 4; i++) {
            char cond[32], meta[256], rmeta[256];
            snprintf(cond, sizeof cond, "persona:%d:%d", seed, i);
            snprintf(meta, sizeof meta,
                     "{\"order\":[0,1,2,3],\"persona\":{\"age\":%d,\"religion\":\"%s\"}}",
                     31 + 20 * (i % 2), i < 2 ? "christian" : "none");
            /* the last tradition answer of persona 3 of seed 2 is shown reversed: "D" is
             * then the first option, the same answer as "A" shown as-is */
            snprintf(rmeta, sizeof rmeta,
                     "{\"order\":[3,2,1,0],\"persona\":{\"age\":%d,\"religion\":\"%s\"}}",
                     31 + 20 * (i % 2), i < 2 ? "christian" : "none");
            add(st, run, cond, "t1", 0, meta, "ok", trad[i][0]);
            if (seed == 2 && i == 3)
                add(st, run, cond, "t2", 0, rmeta, "ok", "D");
            else
                add(st, run, cond, "t2", 0, meta, "ok", trad[i][1]);
            add(st, run, cond, "h1", 0, meta, "ok", seed == 1 ? "C" : "D");
            add(st, run, cond, "h2", 0, meta, "ok", seed == 1 ? "C" : "D");
        }
    /* not counted: an unparseable answer (counted apart), a failed and a pending cell, and a
     * condition that is not role-play */
    add(st, run, "persona:1:0", "t1", 1, asis, "ok", "I would rather not say.");
    add(st, run, "persona:1:0", "t2", 1, asis, "error", NULL);
    add(st, run, "persona:1:0", "h1", 1, asis, NULL, NULL);
    add(st, run, "other", "t1", 0, asis, "ok", "B");
    assert_int_equal(vsc_store_commit(st), 0);
    vsc_store_free(st);
}

struct rec {
    char kind[24], dim[24], cond[16], attr[16], level[16];
    long long sa, sb;
    double value, variance, sd, mean, mean_other;
    size_t n, n_other, n_bad;
};
struct recs {
    struct rec v[256];
    size_t n;
};

static int keep(const struct vsc_roleplay_record *r, void *payload)
{
    struct recs *rs = payload;
    assert_true(rs->n < 256);
    struct rec *x = &rs->v[rs->n++];
    memset(x, 0, sizeof *x);
    snprintf(x->kind, sizeof x->kind, "%s", r->kind);
    snprintf(x->dim, sizeof x->dim, "%s", r->dimension ? r->dimension : "");
    snprintf(x->cond, sizeof x->cond, "%s", r->condition ? r->condition : "");
    snprintf(x->attr, sizeof x->attr, "%s", r->attribute ? r->attribute : "");
    snprintf(x->level, sizeof x->level, "%s", r->level ? r->level : "");
    x->sa = r->seed_a;
    x->sb = r->seed_b;
    x->value = r->value;
    x->variance = r->variance;
    x->sd = r->sd;
    x->mean = r->mean;
    x->mean_other = r->mean_other;
    x->n = r->n;
    x->n_other = r->n_other;
    x->n_bad = r->n_unparseable;
    assert_string_equal(r->model, "m");
    assert_string_equal(r->run, "rp");
    assert_string_equal(r->instrument, "ins");
    FILE *devnull = fopen("/dev/null", "w");
    assert_int_equal(vsc_roleplay_write_json(devnull, r), 0);
    fclose(devnull);
    return 0;
}

static const struct rec *find(const struct recs *rs, const char *kind, const char *dim,
                              const char *cond_or_attr, const char *level, size_t n)
{
    for (size_t i = 0; i < rs->n; i++) {
        const struct rec *r = &rs->v[i];
        if (strcmp(r->kind, kind) || strcmp(r->dim, dim)) continue;
        if (cond_or_attr && strcmp(r->cond, cond_or_attr) && strcmp(r->attr, cond_or_attr))
            continue;
        if (level && strcmp(r->level, level)) continue;
        if (n && r->n != n) continue;
        return r;
    }
    fail_msg("no record %s %s %s %s %zu", kind, dim, cond_or_attr ? cond_or_attr : "",
             level ? level : "", n);
    return NULL;
}

static double h(const double *p, size_t k)
{
    double s = 0, t = 0;
    for (size_t i = 0; i < k; i++)
        t += p[i];
    for (size_t i = 0; i < k; i++)
        if (p[i] > 0) s -= p[i] / t * log2(p[i] / t);
    return s;
}

static void test_store_records(void **state)
{
    (void)state;
    char dir[] = "/tmp/vsc-rp-XXXXXX", db[64];
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/s.db", dir);
    fill(db);
    struct vsc_store *st = NULL;
    assert_int_equal(vsc_store_open(&st, db), 0);
    static struct recs rs;
    rs.n = 0;
    struct vsc_diag d = {0};
    int rc = vsc_roleplay_score(st, NULL, keep, &rs, &d);
    if (rc) fail_msg("score: %s", d.msg);

    /* tradition, personas pooled: A 3, B 1, C 1, D 3 per seed -> (6, 2, 2, 6) / 16 */
    double pt[] = {6, 2, 2, 6}, bt[] = {1, 0, 0, 0};
    const struct rec *r = find(&rs, "inertia", "tradition", "persona", NULL, 0);
    assert_near(r->value, 1 - h(pt, 4) / 2, 1e-12);
    assert_near(r->value, 1 - 1.811278124459 / 2, 1e-9);
    assert_int_equal(r->n, 16);
    assert_int_equal(r->n_bad, 1);
    r = find(&rs, "inertia", "tradition", "baseline", NULL, 0);
    assert_near(r->value, 1.0, 1e-12);
    assert_int_equal(r->n, 2);
    /* JSD: M = (.6875, .0625, .0625, .1875), H(M) = 1.3244613, minus (0 + 1.8112781) / 2 */
    double m[] = {0.6875, 0.0625, 0.0625, 0.1875};
    r = find(&rs, "steerability", "tradition", NULL, NULL, 0);
    assert_near(r->value, h(m, 4) - (h(bt, 4) + h(pt, 4)) / 2, 1e-12);
    assert_near(r->value, 0.4188222, 1e-6);
    assert_int_equal(r->n, 16);
    assert_int_equal(r->n_other, 2);
    /* hedonism: personas (0, 0, 8, 8) -> I = 0.5; baseline all B -> JSD 1 (disjoint) */
    assert_near(find(&rs, "inertia", "hedonism", "persona", NULL, 0)->value, 0.5, 1e-12);
    assert_near(find(&rs, "steerability", "hedonism", NULL, NULL, 0)->value, 1.0, 1e-12);

    /* Christians {4, 3.5, 4, 3.5} vs the rest {1.5, 1, 1.5, 1}: both SDs sqrt(1/12),
     * d = 2.5 / sqrt(1/12) = 8.660254 */
    r = find(&rs, "effect_size", "tradition", "religion", "christian", 0);
    assert_near(r->value, 2.5 / sqrt(1.0 / 12), 1e-9);
    assert_near(r->mean, 3.75, 1e-12);
    assert_near(r->mean_other, 1.25, 1e-12);
    assert_int_equal(r->n, 4);
    assert_int_equal(r->n_other, 4);
    assert_near(find(&rs, "effect_size", "tradition", "religion", "none", 0)->value,
                -2.5 / sqrt(1.0 / 12), 1e-9);
    assert_near(find(&rs, "effect_size", "hedonism", "religion", "none", 0)->value, 0.0, 1e-12);
    /* ages 31 and 51 are grouped by decade */
    r = find(&rs, "effect_size", "tradition", "age", "30-39", 0);
    assert_near(r->mean, (4 + 1.5) / 2.0, 1e-12);

    /* profiles: seed 1 (2.5, 3), seed 2 (2.5, 4) -> r over two dimensions */
    r = find(&rs, "seed_correlation", "", NULL, NULL, 0);
    assert_int_equal(r->sa, 1);
    assert_int_equal(r->sb, 2);
    assert_int_equal(r->n, 2);
    assert_near(r->value, 1.0, 1e-12); /* two points on a rising line */

    /* convergence at n = 1, 2, 4 personas per seed */
    assert_near(find(&rs, "convergence", "tradition", NULL, NULL, 1)->value, 4.0, 1e-12);
    assert_near(find(&rs, "convergence", "tradition", NULL, NULL, 2)->value, 3.75, 1e-12);
    r = find(&rs, "convergence", "tradition", NULL, NULL, 4);
    assert_near(r->value, 2.5, 1e-12);
    assert_near(r->variance, 0.0, 1e-12);
    assert_near(r->sd, sqrt(13.0 / 7), 1e-12);
    r = find(&rs, "convergence", "hedonism", NULL, NULL, 4);
    assert_near(r->value, 3.5, 1e-12);
    assert_near(r->variance, 0.5, 1e-12); /* var(3, 4) */
    vsc_store_free(st);
    tu_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inertia_hand),
        cmocka_unit_test(test_jsd_hand),
        cmocka_unit_test(test_store_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
