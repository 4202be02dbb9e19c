/* Utilities: the Thurstonian model, pair selection, transitivity, and the must-show: active
 * learning recovers known utilities of 100 outcomes (Spearman >= 0.95) within 2 N log2 N
 * pairs, with choices drawn from a simulated respondent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"
#include "support/testutil.h"
#include "util/util.h"
#include "valscope/utility.h"

static void test_prob(void **state)
{
    (void)state;
    assert_near(vsc_thurstone_prob(1, 0.5, 1, 2), 0.5, 1e-12);
    /* (1 - 0) / sqrt(0.6^2 + 0.8^2) = 1 -> Phi(1) */
    assert_near(vsc_thurstone_prob(1, 0.6, 0, 0.8), 0.8413447460685429, 1e-12);
    assert_near(vsc_thurstone_prob(0, 0.6, 1, 0.8), 1 - 0.8413447460685429, 1e-12);
    assert_near(vsc_pairs_budget(100), 1329, 0); /* ceil(200 log2 100 = 1328.77) */
    assert_int_equal(vsc_pairs_budget(4), 6);    /* capped at all pairs */
    assert_int_equal(vsc_pairs_budget(1), 0);
}

/* Three outcomes with known probabilities: the fit reproduces them, standardised. */
static void test_fit_recovers_probabilities(void **state)
{
    (void)state;
    double mu_true[3] = {-1, 0, 1.2}, s_true[3] = {0.5, 0.5, 0.5};
    struct vsc_pair_count pc[3];
    size_t k = 0;
    for (size_t a = 0; a < 3; a++)
        for (size_t b = a + 1; b < 3; b++) {
            double p = vsc_thurstone_prob(mu_true[a], s_true[a], mu_true[b], s_true[b]);
            pc[k++] = (struct vsc_pair_count){a, b, 1000 * p, 1000 * (1 - p), 0};
        }
    double mu[3], sg[3];
    struct vsc_thurstone_opts o = {.max_iter = 4000, .ridge = -1};
    assert_int_equal(vsc_thurstone_fit(mu, sg, 3, pc, 3, &o), 0);
    assert_near(st_mean(mu, 3), 0, 1e-9);
    assert_near(st_sd(mu, 3), 1, 1e-9);
    for (size_t i = 0; i < 3; i++) {
        double p = vsc_thurstone_prob(mu[pc[i].a], sg[pc[i].a], mu[pc[i].b], sg[pc[i].b]);
        assert_near(p, pc[i].wins_a / 1000, 0.01);
    }
    assert_true(mu[0] < mu[1] && mu[1] < mu[2]);
    double acc, ll;
    vsc_thurstone_eval(&acc, &ll, mu, sg, pc, 3);
    assert_true(acc > 0.5 && acc < 1);
    /* the log-loss at the truth is the entropy of the answers: the fit reaches it */
    double ll_true = 0;
    for (size_t i = 0; i < 3; i++) {
        double p = pc[i].wins_a / 1000;
        ll_true -= (p * log(p) + (1 - p) * log(1 - p)) / 3;
    }
    assert_near(ll, ll_true, 1e-3);
    struct vsc_pair_count bad = {0, 3, 1, 1, 0};
    assert_int_equal(vsc_thurstone_fit(mu, sg, 3, &bad, 1, NULL), VSC_ERR_INPUT);
}

static void test_initial_graph(void **state)
{
    (void)state;
    size_t *pairs = NULL, n = 0, deg[50] = {0};
    assert_int_equal(vsc_pairs_initial(&pairs, &n, 50, 5, 7), 0);
    if (n < 115 || n > 125) fail_msg("%zu pairs", n); /* 50 * 5 / 2, less duplicates */
    for (size_t p = 0; p < n; p++) {
        assert_true(pairs[2 * p] < pairs[2 * p + 1]);
        deg[pairs[2 * p]]++;
        deg[pairs[2 * p + 1]]++;
        for (size_t q = 0; q < p; q++)
            assert_false(pairs[2 * q] == pairs[2 * p] && pairs[2 * q + 1] == pairs[2 * p + 1]);
    }
    size_t at_five = 0;
    for (size_t i = 0; i < 50; i++) {
        assert_true(deg[i] <= 5 && deg[i] >= 1);
        at_five += deg[i] == 5;
    }
    assert_true(at_five >= 45);
    size_t *again = NULL, n2 = 0;
    assert_int_equal(vsc_pairs_initial(&again, &n2, 50, 5, 7), 0);
    assert_int_equal(n, n2);
    assert_memory_equal(pairs, again, 2 * n * sizeof(size_t));
    free(again);

    /* next pairs: never a pair already asked, close utilities first */
    double mu[50], sg[50];
    for (size_t i = 0; i < 50; i++)
        mu[i] = (double)i, sg[i] = 0.5;
    size_t next[2 * 20], nn = 0;
    assert_int_equal(vsc_pairs_next(next, &nn, 20, mu, sg, 50, pairs, n, 1), 0);
    assert_int_equal(nn, 20);
    for (size_t i = 0; i < nn; i++) {
        for (size_t p = 0; p < n; p++)
            assert_false(pairs[2 * p] == next[2 * i] && pairs[2 * p + 1] == next[2 * i + 1]);
        assert_true(labs((long)next[2 * i] - (long)next[2 * i + 1]) <= 3);
    }
    free(pairs);
}

static void test_intransitive(void **state)
{
    (void)state;
    /* 0 > 1, 1 > 2, 2 > 0 is a cycle; with 3 > everything the triads with 3 are transitive */
    struct vsc_pair_count pc[] = {
        {0, 1, 3, 1, 0}, {1, 2, 2, 0, 0}, {0, 2, 1, 4, 0},
        {3, 0, 5, 0, 0}, {1, 3, 0, 2, 0}, {2, 3, 1, 3, 0},
    };
    size_t triads = 0;
    assert_near(vsc_intransitive_share(pc, 6, 4, &triads), 0.25, 1e-12);
    assert_int_equal(triads, 4);
    pc[2] = (struct vsc_pair_count){0, 2, 4, 1, 0}; /* now 0 > 2: no cycle left */
    assert_near(vsc_intransitive_share(pc, 6, 4, &triads), 0.0, 1e-12);
    pc[2].wins_a = pc[2].wins_b = 2; /* a tie leaves the triads with that pair out */
    assert_near(vsc_intransitive_share(pc, 6, 4, &triads), 0.0, 1e-12);
    assert_int_equal(triads, 2);
}

/* ---- must-show: active learning on a simulated respondent -------------------------------- */

struct sim {
    double u[100], s[100];
    struct rng r;
};

/* Both orders, `k` samples each: 2k draws of the respondent's choice. */
static void ask(struct sim *sm, struct vsc_pair_count *pc, size_t a, size_t b, int k)
{
    *pc = (struct vsc_pair_count){a, b, 0, 0, 0};
    double p = vsc_thurstone_prob(sm->u[a], sm->s[a], sm->u[b], sm->s[b]);
    for (int i = 0; i < 2 * k; i++) {
        if (rng_uniform(&sm->r) < p)
            pc->wins_a++;
        else
            pc->wins_b++;
    }
}

static void test_active_recovers_utilities(void **state)
{
    (void)state;
    enum { N = 100, K = 2 };
    static struct sim sm;
    rng_seed(&sm.r, 2024);
    for (int i = 0; i < N; i++) {
        sm.u[i] = rng_normal(&sm.r);
        sm.s[i] = 0.2 + 0.3 * rng_uniform(&sm.r);
    }
    size_t budget = vsc_pairs_budget(N);
    assert_true(budget <= (size_t)ceil(2 * N * log2(N)));
    size_t *have = malloc(2 * budget * sizeof(size_t)), n_have = 0;
    struct vsc_pair_count *pc = malloc(budget * sizeof(*pc));
    size_t *init = NULL, n_init = 0;
    int degree = (int)ceil(log2(N));
    assert_int_equal(vsc_pairs_initial(&init, &n_init, N, degree, 99), 0);
    for (size_t p = 0; p < n_init; p++) {
        have[2 * p] = init[2 * p];
        have[2 * p + 1] = init[2 * p + 1];
        ask(&sm, &pc[p], init[2 * p], init[2 * p + 1], K);
    }
    n_have = n_init;
    free(init);
    double mu[N], sg[N];
    int rounds = 0;
    while (n_have < budget) {
        assert_int_equal(vsc_thurstone_fit(mu, sg, N, pc, n_have, NULL), 0);
        size_t want = budget - n_have < N ? budget - n_have : N, got = 0;
        size_t *next = malloc(2 * want * sizeof(size_t));
        assert_int_equal(vsc_pairs_next(next, &got, want, mu, sg, N, have, n_have, 5), 0);
        assert_int_equal(got, want);
        for (size_t i = 0; i < got; i++) {
            have[2 * n_have] = next[2 * i];
            have[2 * n_have + 1] = next[2 * i + 1];
            ask(&sm, &pc[n_have], next[2 * i], next[2 * i + 1], K);
            n_have++;
        }
        free(next);
        rounds++;
    }
    assert_int_equal(n_have, budget);
    assert_int_equal(vsc_thurstone_fit(mu, sg, N, pc, n_have, NULL), 0);
    double rho = st_spearman(mu, sm.u, N);
    print_message("active learning: %zu pairs in %d rounds, Spearman rho = %.4f\n", n_have,
                  rounds + 1, rho);
    if (!(rho >= 0.95)) fail_msg("Spearman rho %.4f < 0.95", rho);
    /* and the model predicts most answers: the respondent is close to deterministic */
    double acc, ll;
    vsc_thurstone_eval(&acc, &ll, mu, sg, pc, n_have);
    assert_true(acc > 0.7);
    /* a respondent whose answers are coin flips is not "recovered": the check can fail */
    for (size_t p = 0; p < n_have; p++) {
        pc[p].wins_a = (double)rng_below(&sm.r, 2 * K + 1);
        pc[p].wins_b = 2 * K - pc[p].wins_a;
    }
    assert_int_equal(vsc_thurstone_fit(mu, sg, N, pc, n_have, NULL), 0);
    assert_true(fabs(st_spearman(mu, sm.u, N)) < 0.5);
    free(have);
    free(pc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prob),
        cmocka_unit_test(test_fit_recovers_probabilities),
        cmocka_unit_test(test_initial_graph),
        cmocka_unit_test(test_intransitive),
        cmocka_unit_test(test_active_recovers_utilities),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
