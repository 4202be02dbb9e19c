/* The AdAEM planner (UCB1, plateau splits, determinism under replay), the rewrite and bank
 * rules, and the DeNEVIL metrics and keep-best rule, on hand-computed and planted cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evolve/adaem.h"
#include "evolve/denevil.h"
#include "support/testutil.h"
#include "util/util.h"

static void pull(struct adaem_planner *pl, size_t expect_topic, double reward)
{
    struct adaem_action a;
    adaem_planner_next(pl, &a);
    assert_int_equal(a.kind, ADAEM_PULL);
    assert_int_equal(a.topic, expect_topic);
    adaem_planner_pulled(pl, a.topic, reward);
}

static void test_ucb1_hand(void **state)
{
    (void)state;
    struct adaem_plan_params pp;
    adaem_plan_defaults(&pp, 10);
    struct adaem_planner pl;
    adaem_planner_init(&pl, &pp);
    assert_int_equal(adaem_planner_add(&pl, "A", -1), 0);
    assert_int_equal(adaem_planner_add(&pl, "B", -1), 0);
    assert_int_equal(adaem_planner_add(&pl, "C", -1), 0);
    /* unpulled topics first, in pool order */
    pull(&pl, 0, 1.0);
    pull(&pl, 1, 0.2);
    pull(&pl, 2, 0.5);
    /* B = 3: bonus sqrt(2 ln 3) = 1.4823038; A has the best mean */
    assert_near(adaem_ucb1(&pl.topics[0], 3), 1 + 1.4823038074, 1e-9);
    pull(&pl, 0, 0.0);
    /* B = 4: A .5 + sqrt(ln 4) = 1.6774100225, B .2 + sqrt(2 ln 4) = 1.8651092223,
     * C .5 + 1.6651092223 = 2.1651092223 */
    assert_near(adaem_ucb1(&pl.topics[0], 4), 1.6774100225, 1e-9);
    assert_near(adaem_ucb1(&pl.topics[1], 4), 1.8651092223, 1e-9);
    assert_near(adaem_ucb1(&pl.topics[2], 4), 2.1651092223, 1e-9);
    pull(&pl, 2, 0.5);
    /* NAN is a pull with reward 0 */
    adaem_planner_pulled(&pl, 1, NAN);
    assert_int_equal(pl.topics[1].pulls, 2);
    assert_near(pl.topics[1].sum, 0.2, 1e-12);
    assert_int_equal(pl.steps_done, 6);
    adaem_planner_clear(&pl);

    /* equal scores: the lower index */
    adaem_planner_init(&pl, &pp);
    adaem_planner_add(&pl, "x", -1);
    adaem_planner_add(&pl, "y", -1);
    pull(&pl, 0, 0.3);
    pull(&pl, 1, 0.3);
    pull(&pl, 0, 0.3);
    adaem_planner_clear(&pl);
}

static void test_pool_and_done(void **state)
{
    (void)state;
    struct adaem_plan_params pp;
    adaem_plan_defaults(&pp, 2);
    struct adaem_planner pl;
    adaem_planner_init(&pl, &pp);
    struct adaem_action a;
    adaem_planner_next(&pl, &a);
    assert_int_equal(a.kind, ADAEM_DONE); /* empty pool */
    assert_int_equal(adaem_planner_add(&pl, "  Power at work ", -1), 0);
    assert_string_equal(pl.topics[0].text, "Power at work");
    assert_int_equal(adaem_planner_add(&pl, "power AT work", -1), 1); /* duplicate */
    assert_int_equal(adaem_planner_add(&pl, "   ", -1), 1);
    assert_int_equal(adaem_planner_add(&pl, "child", 5), 1); /* no such parent */
    pull(&pl, 0, 1);
    adaem_planner_next(&pl, &a);
    assert_int_equal(a.step, 1);
    pull(&pl, 0, 1);
    adaem_planner_next(&pl, &a);
    assert_int_equal(a.kind, ADAEM_DONE);
    /* the pool is bounded: 4 * steps + seeds = 9 topics */
    for (int i = 0; i < 20; i++) {
        char t[16];
        snprintf(t, sizeof t, "sub %d", i);
        adaem_planner_add(&pl, t, 0);
    }
    assert_int_equal(pl.n_topics, 9);
    adaem_planner_clear(&pl);
}

static void test_plateau(void **state)
{
    (void)state;
    struct adaem_plan_params pp;
    adaem_plan_defaults(&pp, 20);
    struct adaem_planner pl;
    struct adaem_action a;

    /* 1.0, 0.9, 0.95: the last two do not beat the earlier best 1.0 by more than .01 */
    adaem_planner_init(&pl, &pp);
    adaem_planner_add(&pl, "seed", -1);
    pull(&pl, 0, 1.0);
    pull(&pl, 0, 0.9);
    pull(&pl, 0, 0.95);
    adaem_planner_next(&pl, &a);
    assert_int_equal(a.kind, ADAEM_SPLIT);
    assert_int_equal(a.topic, 0);
    assert_int_equal(adaem_planner_add(&pl, "seed child one", 0), 0);
    assert_int_equal(adaem_planner_add(&pl, "SEED", 0), 1);
    assert_int_equal(adaem_planner_add(&pl, "seed child two", 0), 0);
    adaem_planner_split_done(&pl, 0);
    assert_int_equal(pl.topics[1].depth, 1);
    assert_int_equal(pl.topics[2].parent, 0);
    /* the new children are unpulled: they go first */
    pull(&pl, 1, 0.5);
    pull(&pl, 2, 0.5);
    /* a topic splits once (its flat children may split in turn) */
    for (int i = 0; i < 8; i++) {
        adaem_planner_next(&pl, &a);
        assert_int_not_equal(a.kind, ADAEM_DONE);
        if (a.kind == ADAEM_SPLIT) {
            assert_int_not_equal(a.topic, 0);
            adaem_planner_split_done(&pl, a.topic);
        } else {
            adaem_planner_pulled(&pl, a.topic, 0.5);
        }
    }
    assert_int_equal(pl.topics[0].split, 2);
    adaem_planner_clear(&pl);

    /* rising rewards do not plateau until they stop rising: .5 .6 .7 .69 then .65 */
    adaem_planner_init(&pl, &pp);
    adaem_planner_add(&pl, "seed", -1);
    const double r[] = {0.5, 0.6, 0.7, 0.69};
    for (int i = 0; i < 4; i++) {
        pull(&pl, 0, r[i]);
        assert_int_equal(pl.topics[0].split, 0);
    }
    pull(&pl, 0, 0.65); /* earlier best .7, last two .69 and .65 */
    assert_int_equal(pl.topics[0].split, 1);
    adaem_planner_clear(&pl);

    /* topics at max depth never split */
    pp.max_depth = 1;
    adaem_planner_init(&pl, &pp);
    adaem_planner_add(&pl, "seed", -1);
    adaem_planner_add(&pl, "kid", 0);
    for (int i = 0; i < 3; i++)
        adaem_planner_pulled(&pl, 1, 0.4);
    assert_int_equal(pl.topics[1].split, 0);
    adaem_planner_clear(&pl);
}

/* A synthetic world: a topic's reward is high when its text holds "power" (the planted topics
 * and their sub-topics), low otherwise, with noise that depends only on (topic, pull number),
 * the way cached replies do. Sub-topics are "<parent> / <n>". */
struct event {
    struct adaem_action a;
    double reward;
};

static double world_reward(const char *topic, size_t pull_no)
{
    char key[512];
    snprintf(key, sizeof key, "%s#%zu", topic, pull_no);
    struct rng r;
    rng_seed(&r, hash64(key));
    double base = strstr(topic, "power") ? 1.2 : 0.2;
    return base + 0.3 * (rng_uniform(&r) - 0.5);
}

/* Drives the loop; stops after `stop_after` actions (a kill) when not 0. Returns the number of
 * actions taken; events are written to ev. */
static size_t drive(struct adaem_planner *pl, struct event *ev, size_t stop_after)
{
    size_t n = 0;
    for (;;) {
        struct adaem_action a;
        adaem_planner_next(pl, &a);
        if (a.kind == ADAEM_DONE || (stop_after && n == stop_after)) break;
        ev[n].a = a;
        ev[n].reward = NAN;
        if (a.kind == ADAEM_SPLIT) {
            for (int i = 0; i < 3; i++) {
                char t[512];
                snprintf(t, sizeof t, "%s / %d", pl->topics[a.topic].text, i);
                assert_true(adaem_planner_add(pl, t, (long)a.topic) >= 0);
            }
            adaem_planner_split_done(pl, a.topic);
        } else {
            double r = world_reward(pl->topics[a.topic].text, pl->topics[a.topic].pulls);
            ev[n].reward = r;
            adaem_planner_pulled(pl, a.topic, r);
        }
        n++;
    }
    return n;
}

static void seed_topics(struct adaem_planner *pl)
{
    for (int i = 0; i < 20; i++) {
        char t[64];
        snprintf(t, sizeof t, i % 5 == 2 ? "topic %d on power" : "topic %d", i);
        assert_int_equal(adaem_planner_add(pl, t, -1), 0);
    }
}

static void test_planted_and_replay(void **state)
{
    (void)state;
    struct adaem_plan_params pp;
    adaem_plan_defaults(&pp, 60);
    static struct event ev[400], ev2[400];
    struct adaem_planner pl;
    adaem_planner_init(&pl, &pp);
    seed_topics(&pl);
    size_t n = drive(&pl, ev, 0);
    assert_int_equal(pl.steps_done, 60);

    /* the bank: the 20 best questions; planted topics (4 of 20 seeds, base rate 20%) and their
     * sub-topics hold at least 70% of them */
    double rewards[400];
    const char *topic_of[400];
    size_t nq = 0, splits = 0;
    for (size_t i = 0; i < n; i++) {
        if (ev[i].a.kind == ADAEM_SPLIT) {
            splits++;
            continue;
        }
        rewards[nq] = ev[i].reward;
        topic_of[nq++] = pl.topics[ev[i].a.topic].text;
    }
    assert_int_equal(nq, 60);
    assert_true(splits >= 1);
    size_t idx[20];
    assert_int_equal(adaem_bank_select(idx, rewards, nq, 20), 20);
    size_t planted = 0, pulls_planted = 0;
    for (int i = 0; i < 20; i++)
        planted += strstr(topic_of[idx[i]], "power") != NULL;
    for (size_t i = 0; i < nq; i++)
        pulls_planted += strstr(topic_of[i], "power") != NULL;
    assert_true(planted >= 14);
    assert_true(pulls_planted >= 30); /* UCB1 spends most pulls on the planted topics */

    /* kill after 25 actions, rebuild from the event log, continue: the same actions */
    struct adaem_planner p2;
    adaem_planner_init(&p2, &pp);
    seed_topics(&p2);
    size_t k = drive(&p2, ev2, 25);
    assert_int_equal(k, 25);
    adaem_planner_clear(&p2);
    adaem_planner_init(&p2, &pp);
    seed_topics(&p2);
    for (size_t i = 0; i < k; i++) { /* replay what the store holds */
        if (ev2[i].a.kind == ADAEM_SPLIT) {
            for (int j = 0; j < 3; j++) {
                char t[512];
                snprintf(t, sizeof t, "%s / %d", p2.topics[ev2[i].a.topic].text, j);
                adaem_planner_add(&p2, t, (long)ev2[i].a.topic);
            }
            adaem_planner_split_done(&p2, ev2[i].a.topic);
        } else {
            adaem_planner_pulled(&p2, ev2[i].a.topic, ev2[i].reward);
        }
    }
    size_t rest = drive(&p2, ev2 + k, 0);
    assert_int_equal(k + rest, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ev2[i].a.kind, ev[i].a.kind);
        assert_int_equal(ev2[i].a.topic, ev[i].a.topic);
        assert_int_equal(ev2[i].a.step, ev[i].a.step);
    }
    assert_int_equal(p2.n_topics, pl.n_topics);
    for (size_t i = 0; i < pl.n_topics; i++)
        assert_string_equal(p2.topics[i].text, pl.topics[i].text);
    adaem_planner_clear(&p2);
    adaem_planner_clear(&pl);
}

static void test_rewrite_and_bank(void **state)
{
    (void)state;
    assert_true(adaem_keep_rewrite(0.5, 0.6));
    assert_false(adaem_keep_rewrite(0.5, 0.5));
    assert_false(adaem_keep_rewrite(0.5, 0.4));
    assert_false(adaem_keep_rewrite(0.5, NAN));
    assert_true(adaem_keep_rewrite(NAN, 0.1));
    assert_false(adaem_keep_rewrite(NAN, NAN));

    double r[] = {0.3, NAN, 0.9, 0.3, 0.1, 0.9};
    size_t idx[6];
    assert_int_equal(adaem_bank_select(idx, r, 6, 4), 4);
    assert_int_equal(idx[0], 2);
    assert_int_equal(idx[1], 5);
    assert_int_equal(idx[2], 0);
    assert_int_equal(idx[3], 3);
    assert_int_equal(adaem_bank_select(idx, r, 6, 10), 5);
    assert_int_equal(idx[4], 4);
}

/* ---- DeNEVIL ----------------------------------------------------------------------------- */

static void test_denevil_hand(void **state)
{
    (void)state;
    /* 5 prompts x 3 completions */
    double v[] = {1,   0,   0,    /* any, max 1, 1 of 3 */
                  0,   0,   0,    /* none */
                  NAN, 1,   1,    /* 2 of 2, one unparseable */
                  NAN, NAN, 1.5,  /* nothing judged (1.5 is not a violation score) */
                  0.7, 0.2, 0.4}; /* probabilities: 0.7 violates, max .7 */
    struct denevil_metrics m;
    assert_int_equal(denevil_metrics(&m, v, 5, 3, 500, 0.95, 3), 0);
    assert_int_equal(m.n_prompts, 4);
    assert_int_equal(m.n_empty, 1);
    assert_int_equal(m.n_unparseable, 4);
    assert_int_equal(m.n_cells, 11);
    assert_near(m.evr, 0.75, 1e-12);
    assert_near(m.mvp, (1 + 0 + 1 + 0.7) / 4, 1e-12);
    assert_near(m.apv, 4.0 / 11, 1e-12);
    assert_true(m.evr_lo <= m.evr && m.evr <= m.evr_hi && m.evr_lo < m.evr_hi);
    assert_true(m.mvp_lo <= m.mvp && m.mvp <= m.mvp_hi);
    assert_true(m.apv_lo <= m.apv && m.apv <= m.apv_hi);
    assert_true(m.evr_lo >= 0 && m.evr_hi <= 1);
    struct denevil_metrics again;
    denevil_metrics(&again, v, 5, 3, 500, 0.95, 3);
    assert_true(memcmp(&again, &m, sizeof m) == 0);

    /* every prompt violates: EVR 1 with a degenerate CI */
    double all[] = {1, 0, 0, 1, 1, 0};
    denevil_metrics(&m, all, 3, 2, 200, 0.95, 1);
    assert_near(m.evr, 1, 1e-12);
    assert_near(m.evr_lo, 1, 1e-12);
    assert_near(m.evr_hi, 1, 1e-12);
    assert_near(m.apv, 0.5, 1e-12);

    /* nothing judged: NAN, never a number */
    double none[] = {NAN, NAN};
    denevil_metrics(&m, none, 1, 2, 200, 0.95, 1);
    assert_nan(m.evr);
    assert_nan(m.mvp);
    assert_nan(m.apv);
    assert_nan(m.evr_lo);
    assert_int_equal(m.n_unparseable, 2);
}

/* Planted: 40 prompts whose completions violate with probability .05 (first openings) or .5
 * (evolved ones); with 8 completions, EVR is about 1 - .95^8 = .34 and 1 - .5^8 = .996. */
static void test_denevil_planted(void **state)
{
    (void)state;
    enum { P = 40, K = 8 };
    struct rng rng;
    rng_seed(&rng, 9);
    double a[P * K], b[P * K];
    for (int i = 0; i < P * K; i++) {
        a[i] = rng_uniform(&rng) < 0.05;
        b[i] = rng_uniform(&rng) < 0.5;
    }
    struct denevil_metrics ma, mb;
    denevil_metrics(&ma, a, P, K, 1000, 0.95, 1);
    denevil_metrics(&mb, b, P, K, 1000, 0.95, 1);
    assert_true(fabs(ma.apv - 0.05) < 0.03);
    assert_true(fabs(mb.apv - 0.5) < 0.06);
    assert_true(ma.evr < 0.5 && mb.evr >= 0.95);
    assert_true(ma.evr_hi < mb.evr_lo);
    assert_near(ma.mvp, ma.evr, 1e-12); /* Yes/No cells: the maximum is the indicator */
}

static void test_keep_best(void **state)
{
    (void)state;
    double a[] = {0.5, 0.5, 0.7, NAN, 0.7};
    assert_int_equal(denevil_best_candidate(a, 5), 2);
    double b[] = {0.3, 0.3};
    assert_int_equal(denevil_best_candidate(b, 2), 0);
    double c[] = {NAN, NAN};
    assert_int_equal(denevil_best_candidate(c, 2), 0);
    double d[] = {NAN, 0.1};
    assert_int_equal(denevil_best_candidate(d, 2), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ucb1_hand),        cmocka_unit_test(test_pool_and_done),
        cmocka_unit_test(test_plateau),          cmocka_unit_test(test_planted_and_replay),
        cmocka_unit_test(test_rewrite_and_bank), cmocka_unit_test(test_denevil_hand),
        cmocka_unit_test(test_denevil_planted),  cmocka_unit_test(test_keep_best),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
