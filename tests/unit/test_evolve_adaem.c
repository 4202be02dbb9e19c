/* AdAEM math against hand-computed values and planted truth: GJS and the regulariser,
 * shares and OR-merge, TrueSkill against the published reference numbers and on planted
 * orderings, Self-BLEU-4, split-half alpha and ranking stability. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "evolve/adaem.h"
#include "stats/stats.h"
#include "support/testutil.h"
#include "util/util.h"

/* H2(1e-6) in bits: 1e-6 log2(1e6) + (1 - 1e-6) log2(1 / (1 - 1e-6)) */
#define H_EPS 2.137426289e-05

static void test_entropy_and_gjs_hand(void **state)
{
    (void)state;
    assert_near(adaem_h2(0.5), 1.0, 1e-12);
    assert_near(adaem_h2(0.0), H_EPS, 1e-12);
    assert_near(adaem_h2(1.0), H_EPS, 1e-12);
    assert_near(adaem_h2(0.2), 0.7219280949, 1e-9);

    struct adaem_reward r;
    /* two models that disagree completely on one value; the question expresses it */
    double hat1[] = {1}, p2[] = {1, 0};
    adaem_reward(&r, hat1, p2, 2, 1, 1.0);
    assert_near(r.gjs, 1 - H_EPS, 1e-9);
    /* JS(1 || 1) = 0, JS(1 || 0) = 1 - H_EPS: beta / K = 1/2 */
    assert_near(r.regulariser, (1 - H_EPS) / 2, 1e-9);
    assert_near(r.reward, r.gjs + r.regulariser, 1e-12);
    assert_int_equal(r.n_values, 1);

    /* three models 0.2, 0.5, 0.8: H(0.5) - (2 H(0.2) + 1) / 3 = 0.1853812701; a question that
     * expresses the value half of the time: JS(.5 || .2) = JS(.5 || .8) = H(.35) - (1 + H(.2))/2
     * = 0.9340680553 - 0.8609640474 = 0.0731040079, JS(.5 || .5) = 0 -> beta/3 * 0.1462080158 */
    double hat_half[] = {0.5}, p3[] = {0.2, 0.5, 0.8};
    adaem_reward(&r, hat_half, p3, 3, 1, 1.0);
    assert_near(r.gjs, 0.1853812701, 1e-9);
    assert_near(r.regulariser, 0.1462080158 / 3, 1e-9);
    adaem_reward(&r, hat_half, p3, 3, 1, 2.0);
    assert_near(r.regulariser, 2 * 0.1462080158 / 3, 1e-9);

    /* equal models: no information, whatever the question says */
    double hat0[] = {0, 1}, same[] = {0.3, 0.6, 0.3, 0.6};
    adaem_reward(&r, hat0, same, 2, 2, 1.0);
    assert_near(r.gjs, 0, 1e-12);
    assert_true(r.regulariser > 0);

    /* a value a model has no share for is left out of both sums; none left: NAN */
    double hat2[] = {1, 1}, pn[] = {1, NAN, 0, 0.5};
    adaem_reward(&r, hat2, pn, 2, 2, 1.0);
    assert_int_equal(r.n_values, 1);
    assert_near(r.gjs, 1 - H_EPS, 1e-9);
    double hatn[] = {NAN}, pone[] = {0.1, 0.9};
    adaem_reward(&r, hatn, pone, 2, 1, 1.0);
    assert_int_equal(r.n_values, 0);
    assert_nan(r.reward);
    assert_nan(r.gjs);
}

static void test_shares_or_merge(void **state)
{
    (void)state;
    /* 3 opinions x 3 values; -1 unparseable */
    signed char l[] = {1, 0, -1, /**/ 0, 0, -1, /**/ 1, -1, -1};
    double p[3];
    adaem_shares(p, l, 3, 3);
    assert_near(p[0], 2.0 / 3, 1e-12);
    assert_near(p[1], 0, 1e-12);
    assert_nan(p[2]);
    signed char m[3];
    adaem_or_merge(m, l, 3, 3);
    assert_int_equal(m[0], 1);
    assert_int_equal(m[1], 0);
    assert_int_equal(m[2], -1);
}

/* Planted: 10 values, three models equal (p = 0.5) except on values 3 and 7, where their
 * shares are 0.1, 0.5, 0.9. Opinions are sampled (20 per model) and the GJS of a question that
 * touches a set of values is computed from the sampled shares: only questions touching 3 or 7
 * are informative. */
static void test_gjs_planted(void **state)
{
    (void)state;
    enum { V = 10, K = 3, O = 20, Q = 40 };
    struct rng rng;
    rng_seed(&rng, 12);
    double hi_min = INFINITY, lo_max = -INFINITY, hi_sum = 0, lo_sum = 0;
    for (int q = 0; q < Q; q++) {
        int touches[V] = {0};
        /* question q touches two values; odd questions include a planted one */
        int a = (q % 2) ? ((q / 2) % 2 ? 3 : 7) : (int)(q / 2) % 5 * 2 % V;
        if (!(q % 2) && (a == 3 || a == 7)) a = 0;
        int b = (a + 1 + q % 4) % V;
        if (!(q % 2) && (b == 3 || b == 7)) b = (b + 1) % V;
        touches[a] = touches[b] = 1;
        double p[K * V], hat[V];
        for (int v = 0; v < V; v++)
            hat[v] = touches[v];
        for (int k = 0; k < K; k++) {
            signed char lab[O * V];
            for (int o = 0; o < O; o++)
                for (int v = 0; v < V; v++) {
                    double pr = !touches[v] ? 0 : (v == 3 || v == 7) ? 0.1 + 0.4 * k : 0.5;
                    lab[o * V + v] = rng_uniform(&rng) < pr;
                }
            adaem_shares(&p[k * V], lab, O, V);
        }
        struct adaem_reward r;
        adaem_reward(&r, hat, p, K, V, 1.0);
        int planted = touches[3] || touches[7];
        *(planted ? &hi_sum : &lo_sum) += r.gjs;
        if (planted && r.gjs < hi_min) hi_min = r.gjs;
        if (!planted && r.gjs > lo_max) lo_max = r.gjs;
    }
    /* one planted value alone is worth H(.5) - (2 H(.1) + 1) / 3 = 0.354; sampling noise of 20
     * opinions at p = .5 stays below the weakest planted question */
    assert_true(hi_sum / 20 > 0.25);
    assert_true(hi_sum > 4 * lo_sum);
    assert_true(hi_min > lo_max);
}

/* ---- TrueSkill --------------------------------------------------------------------------- */

static void test_trueskill_reference(void **state)
{
    (void)state;
    struct ts_env env;
    ts_env_default(&env);
    assert_near(env.beta, 25.0 / 6, 1e-12);
    assert_near(env.tau, 25.0 / 300, 1e-12);
    /* draw margin: Phi^-1(0.55) sqrt(2) beta = 0.1256613469 * 1.4142135624 * 4.1666666667 */
    assert_near(ts_draw_margin(&env, 2), 0.7404666, 1e-6);

    /* the trueskill package's README: rate_1vs1(Rating(25, 8.333), Rating(30, 8.333)) gives
     * (30.768, 7.030), (24.232, 7.030) */
    struct ts_rating a = {25, 8.333}, b = {30, 8.333};
    ts_rate_1v1(&a, &b, 1, &env);
    assert_near(a.mu, 30.768, 6e-4);
    assert_near(a.sigma, 7.030, 6e-4);
    assert_near(b.mu, 24.232, 6e-4);
    assert_near(b.sigma, 7.030, 6e-4);
    /* its documentation, from default ratings: a win gives 29.396 / 20.604, sigma 7.171; a
     * draw leaves the means and gives sigma 6.458 */
    a = (struct ts_rating){25, 25.0 / 3};
    b = a;
    ts_rate_1v1(&a, &b, 1, &env);
    assert_near(a.mu, 29.396, 6e-4);
    assert_near(b.mu, 20.604, 6e-4);
    assert_near(a.sigma, 7.171, 6e-4);
    a = (struct ts_rating){25, 25.0 / 3};
    b = a;
    ts_rate_1v1(&a, &b, 0, &env);
    assert_near(a.mu, 25, 1e-9);
    assert_near(b.mu, 25, 1e-9);
    assert_near(a.sigma, 6.458, 6e-4);
    /* b wins = a loses, mirrored */
    struct ts_rating c = {25, 25.0 / 3}, d = c;
    ts_rate_1v1(&c, &d, -1, &env);
    assert_near(d.mu, 29.396, 6e-4);
    assert_near(c.mu, 20.604, 6e-4);

    /* the corrections at hand-computed points: v_win(0, 0) = phi(0) / Phi(0) = 0.7978845608,
     * w = v (v + 0) = 0.6366197724; v_draw(0, e) = 0 by symmetry */
    assert_near(ts_v_win(0, 0), 0.7978845608, 1e-9);
    assert_near(ts_w_win(0, 0), 0.6366197724, 1e-9);
    assert_near(ts_v_draw(0, 0.5), 0, 1e-12);
    assert_near(ts_v_draw(0.3, 0.5), -ts_v_draw(-0.3, 0.5), 1e-12);
    /* far outside: the asymptotes, never NAN */
    assert_near(ts_v_win(-40, 0), 40, 1e-9);
    assert_near(ts_w_win(-40, 0), 1, 1e-9);
    assert_false(isnan(ts_w_draw(40, 0.1)));

    struct ts_rating e = {25, 25.0 / 3};
    assert_near(ts_win_probability(&e, &e, &env), 0.5, 1e-12);
}

/* Planted: three models express value A with probability .2, .5, .8 on each question and value
 * B with .5 each. TrueSkill over 10 seeded orders orders them on A as planted, and on B their
 * win rates stay within chance of one another. */
static void test_trueskill_planted(void **state)
{
    (void)state;
    enum { K = 3, Q = 60 };
    struct ts_env env;
    ts_env_default(&env);
    struct rng rng;
    rng_seed(&rng, 7);
    signed char a[Q * K], b[Q * K];
    for (int q = 0; q < Q; q++)
        for (int k = 0; k < K; k++) {
            a[q * K + k] = rng_uniform(&rng) < 0.2 + 0.3 * k;
            b[q * K + k] = rng_uniform(&rng) < 0.5;
        }
    a[5 * K + 1] = -1; /* a missing label drops that question's matches of model 1 */
    struct adaem_ts_result ra[K], rb[K];
    assert_int_equal(adaem_trueskill(ra, a, Q, K, 10, 1, &env), 0);
    assert_int_equal(adaem_trueskill(rb, b, Q, K, 10, 1, &env), 0);
    assert_int_equal(ra[0].n_matches, 2 * Q - 1);
    assert_int_equal(ra[1].n_matches, 2 * Q - 2);
    assert_true(ra[0].win_rate < ra[1].win_rate);
    assert_true(ra[1].win_rate < ra[2].win_rate);
    assert_true(ra[2].win_rate - ra[0].win_rate > 0.3);
    double lo = 1, hi = 0;
    for (int k = 0; k < K; k++) {
        assert_false(isnan(ra[k].sd));
        assert_true(ra[k].sd < 0.2);
        lo = fmin(lo, rb[k].win_rate);
        hi = fmax(hi, rb[k].win_rate);
    }
    assert_true(hi - lo < 0.35);
    /* deterministic given the seed; another seed gives other orders */
    struct adaem_ts_result again[K], other[K];
    adaem_trueskill(again, a, Q, K, 10, 1, &env);
    adaem_trueskill(other, a, Q, K, 10, 2, &env);
    assert_true(memcmp(again, ra, sizeof ra) == 0);
    assert_true(other[0].win_rate != ra[0].win_rate);

    /* order r depends only on seed + r: two orders from seed 1 average orders 1 and 2 */
    struct adaem_ts_result o1[K], o2[K], o12[K];
    adaem_trueskill(o1, a, Q, K, 1, 1, &env);
    adaem_trueskill(o2, a, Q, K, 1, 2, &env);
    adaem_trueskill(o12, a, Q, K, 2, 1, &env);
    for (int k = 0; k < K; k++) {
        assert_near(o12[k].mu, (o1[k].mu + o2[k].mu) / 2, 1e-9);
        assert_near(o12[k].win_rate, (o1[k].win_rate + o2[k].win_rate) / 2, 1e-12);
        assert_near(o12[k].sd, fabs(o1[k].win_rate - o2[k].win_rate) / sqrt(2), 1e-12);
        assert_nan(o1[k].sd); /* one order: no spread */
    }

    /* no match at all: NAN, never a number */
    signed char none[2 * K] = {-1, -1, -1, 1, -1, -1};
    struct adaem_ts_result rn[K];
    assert_int_equal(adaem_trueskill(rn, none, 2, K, 10, 1, &env), 0);
    assert_nan(rn[0].win_rate);
    assert_int_equal(rn[0].n_matches, 0);
}

/* Planted ordering across many values, repeated with 20 seeds: on the planted value the order
 * is recovered every time; on an unplanted value the top model is spread over all three. */
static void test_trueskill_chance(void **state)
{
    (void)state;
    enum { K = 3, Q = 30 };
    struct ts_env env;
    ts_env_default(&env);
    int planted_ok = 0, top_count[K] = {0};
    for (int s = 0; s < 20; s++) {
        struct rng rng;
        rng_seed(&rng, 100 + (uint64_t)s);
        signed char a[Q * K], b[Q * K];
        for (int q = 0; q < Q; q++)
            for (int k = 0; k < K; k++) {
                a[q * K + k] = rng_uniform(&rng) < 0.15 + 0.35 * k;
                b[q * K + k] = rng_uniform(&rng) < 0.5;
            }
        struct adaem_ts_result ra[K], rb[K];
        adaem_trueskill(ra, a, Q, K, 10, (uint64_t)s, &env);
        adaem_trueskill(rb, b, Q, K, 10, (uint64_t)s, &env);
        planted_ok += ra[0].win_rate < ra[1].win_rate && ra[1].win_rate < ra[2].win_rate;
        int top = 0;
        for (int k = 1; k < K; k++)
            if (rb[k].win_rate > rb[top].win_rate) top = k;
        top_count[top]++;
    }
    assert_true(planted_ok >= 19);
    for (int k = 0; k < K; k++)
        assert_true(top_count[k] >= 2 && top_count[k] <= 13);
}

/* ---- quality ----------------------------------------------------------------------------- */

static void test_self_bleu(void **state)
{
    (void)state;
    const char *same[] = {"A b c d", "a, b; c d!"};
    assert_near(adaem_self_bleu4(same, 2), 1.0, 1e-12);
    /* one substitution at the end: p1..p4 = 4/5, 3/4, 2/3, 1/2, BP = 1 -> 0.2^(1/4) */
    const char *near[] = {"a b c d e", "a b c d f"};
    assert_near(adaem_self_bleu4(near, 2), pow(0.2, 0.25), 1e-12);
    /* no unigram in common: 0 */
    const char *apart[] = {"a b", "c d"};
    assert_near(adaem_self_bleu4(apart, 2), 0, 1e-12);
    /* smoothing (method1, 0.1): "a b c d" vs "a x c y": 2/4, 0.1/3, 0.1/2, 0.1/1 */
    const char *smooth[] = {"a b c d", "a x c y"};
    assert_near(adaem_self_bleu4(smooth, 2), pow(0.5 * 0.1 / 3 * 0.05 * 0.1, 0.25), 1e-12);
    /* clipping and the brevity penalty: hyp "a a" vs ref "a b c": unigram min(2, 1) / 2,
     * higher orders smoothed (0.1/1, 0.1/1, 0.1/1), BP exp(1 - 3/2); the other way round
     * "a b c" vs "a a": 1/3, 0.1/2, 0.1/1, 0.1/1, BP 1 */
    const char *clip[] = {"a a", "a b c"};
    double h1 = exp(1 - 1.5) * pow(0.5 * 0.1 * 0.1 * 0.1, 0.25);
    double h2 = pow(1.0 / 3 * 0.05 * 0.1 * 0.1, 0.25);
    assert_near(adaem_self_bleu4(clip, 2), (h1 + h2) / 2, 1e-12);
    /* several references: the best count of any of them clips */
    const char *three[] = {"x y", "x", "y"};
    /* "x y" vs {x, y}: 2/2, 0.1/1, 0.1/1, 0.1/1, closest length 1 < 2 -> BP 1;
     * "x" vs {"x y", "y"}: 1/1, then total 0 -> 0.1/1 each, closest length 1 -> BP 1;
     * "y" likewise */
    double bx = pow(0.1 * 0.1 * 0.1, 0.25);
    assert_near(adaem_self_bleu4(three, 3), bx, 1e-12);
    assert_nan(adaem_self_bleu4(same, 1));
}

static void test_split_half_alpha(void **state)
{
    (void)state;
    /* 4 items x 3 respondents; halves {0, 2} and {1, 3}: half means 1, 2, 3 and 1, 2, 3 ->
     * var A = var B = 1, var(A + B) = 4 -> alpha = 2 (1 - 2/4) = 1 */
    double x[] = {1, 2, 3, /**/ 0, 2, 4, /**/ 1, 2, 3, /**/ 2, 2, 2};
    unsigned char half[] = {0, 1, 0, 1};
    assert_near(adaem_split_half_alpha(x, half, 4, 3), 1.0, 1e-12);
    /* A = 1, 2, 3 and B = 2, 1, 3: var 1 and 1, A + B = 3, 3, 6 -> var 3 -> 2 (1 - 2/3) */
    double y[] = {1, 2, 3, /**/ 2, 1, 3};
    unsigned char h2[] = {0, 1};
    assert_near(adaem_split_half_alpha(y, h2, 2, 3), 2.0 / 3, 1e-12);
    /* a missing item leaves the other item of its half */
    double z[] = {1, 2, 3, /**/ NAN, 1, 3, /**/ 2, 2, 2};
    unsigned char h3[] = {0, 1, 1};
    /* B = mean(2), mean(1, 2), mean(3, 2) = 2, 1.5, 2.5 with A = 1, 2, 3: var A 1, var B .25,
     * A + B = 3, 3.5, 5.5 var = 1.75 -> 2 (1 - 1.25 / 1.75) */
    assert_near(adaem_split_half_alpha(z, h3, 3, 3), 2 * (1 - 1.25 / 1.75), 1e-12);
    /* opposite halves: no variance of the sum -> NAN */
    double w[] = {1, 2, 3, /**/ 3, 2, 1};
    assert_nan(adaem_split_half_alpha(w, h2, 2, 3));

    unsigned char hs[11], hs2[11];
    adaem_split_halves(hs, 11, 5);
    adaem_split_halves(hs2, 11, 5);
    int ones = 0;
    for (int i = 0; i < 11; i++)
        ones += hs[i];
    assert_int_equal(ones, 5);
    assert_memory_equal(hs, hs2, 11);
}

static void test_ranking_spearman(void **state)
{
    (void)state;
    /* 3 models x 2 values. Value 0: same order (rho 1); value 1: ranks 1 2 3 vs 2 1 3 ->
     * d^2 = 1 + 1 + 0 -> 1 - 6 * 2 / (3 * 8) = 0.5. Mean 0.75 */
    double a[] = {0.2, 0.1, /**/ 0.5, 0.2, /**/ 0.8, 0.9};
    double b[] = {0.3, 0.4, /**/ 0.4, 0.3, /**/ 0.9, 0.8};
    assert_near(adaem_ranking_spearman(a, b, 3, 2), 0.75, 1e-12);
    /* a constant ranking is skipped */
    double c[] = {0.5, 0.1, /**/ 0.5, 0.2, /**/ 0.5, 0.9};
    assert_near(adaem_ranking_spearman(c, b, 3, 2), 0.5, 1e-12);
    double d[] = {0.5, 0.5, 0.5};
    assert_nan(adaem_ranking_spearman(d, d, 3, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entropy_and_gjs_hand),
        cmocka_unit_test(test_shares_or_merge),
        cmocka_unit_test(test_gjs_planted),
        cmocka_unit_test(test_trueskill_reference),
        cmocka_unit_test(test_trueskill_planted),
        cmocka_unit_test(test_trueskill_chance),
        cmocka_unit_test(test_self_bleu),
        cmocka_unit_test(test_split_half_alpha),
        cmocka_unit_test(test_ranking_spearman),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
