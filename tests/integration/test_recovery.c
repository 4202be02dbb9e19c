/* Parameter recovery (issue 3): 20 simulated respondents with known Schwartz profiles answer
 * the built-in bank with 5 repeats through the whole pipeline (vsc_run -> store ->
 * vsc_score_store). Their scored profiles must correlate with the true ones at r >= 0.9 on
 * average. Also prints Cronbach's alpha and McDonald's omega of every built-in Schwartz
 * dimension over the 20 respondents (figures quoted in docs/scoring.md). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "stats/stats.h"
#include "support/testutil.h"
#include "util/util.h"
#include "valscope/valscope.h"

#define N_RESP 20
#define N_VALUES 10

static const char *const VALUES[N_VALUES] = {
    "self-direction", "stimulation", "hedonism",  "achievement", "power",
    "security",       "conformity",  "tradition", "benevolence", "universalism"};

struct scored {
    double got[N_RESP][N_VALUES];
    int seen[N_RESP][N_VALUES];
};

static int model_index(const char *name)
{
    int i;
    return sscanf(name, "r%d", &i) == 1 ? i : -1;
}

static int value_index(const char *dim)
{
    for (int v = 0; v < N_VALUES; v++)
        if (!strcmp(VALUES[v], dim)) return v;
    return -1;
}

static int on_record(const struct vsc_score_record *r, void *payload)
{
    struct scored *s = payload;
    int m = model_index(r->model), v = value_index(r->dimension);
    if (m >= 0 && v >= 0 && !strcmp(r->kind, "value")) {
        s->got[m][v] = r->mean;
        s->seen[m][v] = 1;
    }
    return 0;
}

/* item answers, per respondent, averaged over repeats and reverse-keyed: for alpha */
struct items {
    const struct vsc_instrument *ins;
    double sum[N_RESP][128];
    int n[N_RESP][128];
};

static int on_answer(const struct vsc_answer_row *row, void *payload)
{
    struct items *it = payload;
    int m = model_index(row->model);
    long item = vsc_instrument_find_item(it->ins, row->item);
    if (m < 0 || item < 0 || item >= 128 || !row->text) return 0;
    size_t opt;
    if (vsc_parse_answer(&opt, row->text, it->ins, NULL) == VSC_PARSE_UNPARSEABLE) return 0;
    double v = it->ins->options[opt].value;
    double lo = it->ins->options[0].value, hi = it->ins->options[it->ins->n_options - 1].value;
    if (it->ins->items[item].key < 0) v = lo + hi - v;
    it->sum[m][item] += v;
    it->n[m][item]++;
    return 0;
}

static void recovery(void **state)
{
    char dir[] = "/tmp/vsc-recovery-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *cfg_path = xasprintf("%s/recovery.yaml", dir);
    double truth[N_RESP][N_VALUES];
    struct rng r;
    rng_seed(&r, 20261123);
    FILE *f = fopen(cfg_path, "w");
    assert_non_null(f);
    fprintf(f, "store: %s/recovery.db\nmodels:\n", dir);
    for (int m = 0; m < N_RESP; m++) {
        fprintf(f, "  - {name: r%02d, backend: sim, seed: %d, noise: 0.5, profile: {", m, 100 + m);
        for (int v = 0; v < N_VALUES; v++) {
            truth[m][v] = rng_normal(&r);
            fprintf(f, "%s%s: %.4f", v ? ", " : "", VALUES[v], truth[m][v]);
        }
        fprintf(f, "}}\n");
    }
    fprintf(f, "instruments:\n  - builtin: schwartz\n    repeats: 5\n");
    fclose(f);

    struct vsc_config *cfg = NULL;
    struct vsc_diag d = {0};
    assert_int_equal(vsc_config_load(&cfg, cfg_path, &d), 0);
    struct vsc_progress p;
    int rc = vsc_run(&p, cfg, NULL, &d);
    if (rc) fail_msg("run: %s", d.msg);
    assert_int_equal(p.total, N_RESP * 60 * 5);
    assert_int_equal(p.ok, p.total);

    struct vsc_store *store = NULL;
    assert_int_equal(vsc_store_open(&store, cfg->store), 0);
    struct scored *s = calloc(1, sizeof(*s));
    struct vsc_score_opts opts = {.n_boot = 200, .seed = 1};
    assert_int_equal(vsc_score_store(store, &opts, on_record, s, &d), 0);
    double sum_r = 0, min_r = 1;
    for (int m = 0; m < N_RESP; m++) {
        for (int v = 0; v < N_VALUES; v++)
            assert_true(s->seen[m][v]);
        double rr = st_pearson(truth[m], s->got[m], N_VALUES);
        sum_r += rr;
        min_r = rr < min_r ? rr : min_r;
    }
    double mean_r = sum_r / N_RESP;
    printf("parameter recovery: mean Pearson r = %.3f (min %.3f) over %d respondents\n", mean_r,
           min_r, N_RESP);
    assert_true(mean_r >= 0.9);

    /* reliability of each built-in dimension across the 20 simulated respondents */
    struct vsc_instrument *ins = NULL;
    assert_int_equal(vsc_instrument_load(&ins, "builtin", "schwartz", NULL, &d), 0);
    struct items *it = calloc(1, sizeof(*it));
    it->ins = ins;
    assert_int_equal(vsc_store_foreach_answer(store, NULL, on_answer, it), 0);
    printf("%-16s %6s %6s\n", "dimension", "alpha", "omega");
    for (int v = 0; v < N_VALUES; v++) {
        double x[16 * N_RESP];
        size_t k = 0;
        for (size_t i = 0; i < ins->n_items && k < 16; i++) {
            if (!ins->items[i].dimension || strcmp(ins->items[i].dimension, VALUES[v])) continue;
            for (int m = 0; m < N_RESP; m++)
                x[k * N_RESP + m] = it->n[m][i] ? it->sum[m][i] / it->n[m][i] : NAN;
            k++;
        }
        assert_true(k >= 6);
        double a = st_cronbach_alpha(x, k, N_RESP), o = st_omega_total(x, k, N_RESP);
        printf("%-16s %6.3f %6.3f\n", VALUES[v], a, o);
        assert_true(a > 0.7); /* 6 items, true-score SD 1 vs noise 0.5: alpha must be high */
    }
    free(it);
    vsc_instrument_free(ins);
    free(s);
    vsc_store_free(store);
    vsc_config_free(cfg);
    assert_int_equal(tu_rmrf(dir), 0);
    free(cfg_path);
}

/* Two respondents with the same (zero) values, one of them with a strong tendency to agree:
 * MRAT centring must remove that scale use on every value, reverse-keyed items included, so
 * their centred scores agree up to the rounding of answers to the 6-point scale. */
struct acq {
    double score[2][N_VALUES];
};

static int on_acq(const struct vsc_score_record *r, void *payload)
{
    struct acq *a = payload;
    int v = value_index(r->dimension), m = !strcmp(r->model, "yes-sayer");
    if (v >= 0 && !strcmp(r->kind, "value")) a->score[m][v] = r->mean;
    return 0;
}

static double worst_gap(const struct acq *a)
{
    double w = 0;
    for (int v = 0; v < N_VALUES; v++) {
        double g = fabs(a->score[1][v] - a->score[0][v]);
        w = g > w ? g : w;
    }
    return w;
}

static void acquiescence_cancels(void **state)
{
    char dir[] = "/tmp/vsc-acq-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *cfg_path = xasprintf("%s/acq.yaml", dir);
    FILE *f = fopen(cfg_path, "w");
    fprintf(f, "store: %s/acq.db\nmodels:\n", dir);
    const char *names[2] = {"neutral", "yes-sayer"};
    for (int m = 0; m < 2; m++) {
        fprintf(f, "  - {name: %s, backend: sim, seed: 5, noise: 0, acquiescence: %s, profile: {",
                names[m], m ? "1.2" : "0");
        for (int v = 0; v < N_VALUES; v++)
            fprintf(f, "%s%s: 0", v ? ", " : "", VALUES[v]);
        fprintf(f, "}}\n");
    }
    fprintf(f, "instruments: [builtin: schwartz]\n");
    fclose(f);
    struct vsc_config *cfg = NULL;
    struct vsc_diag d = {0};
    assert_int_equal(vsc_config_load(&cfg, cfg_path, &d), 0);
    struct vsc_progress p;
    assert_int_equal(vsc_run(&p, cfg, NULL, &d), 0);
    struct vsc_store *store = NULL;
    assert_int_equal(vsc_store_open(&store, cfg->store), 0);
    struct acq a = {0};
    struct vsc_score_opts opts = {.n_boot = -1};
    assert_int_equal(vsc_score_store(store, &opts, on_acq, &a, &d), 0);
    printf("acquiescence: largest centred-score gap between yes-sayer and neutral = %.3f\n",
           worst_gap(&a));
    assert_true(worst_gap(&a) < 0.5); /* reversing after centring on raw answers gave > 1 */
    opts.centring = VSC_CENTRE_NONE;  /* control: without centring the gap is the scale use */
    assert_int_equal(vsc_score_store(store, &opts, on_acq, &a, &d), 0);
    assert_true(worst_gap(&a) > 0.5);
    vsc_store_free(store);
    vsc_config_free(cfg);
    assert_int_equal(tu_rmrf(dir), 0);
    free(cfg_path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(recovery),
                                       cmocka_unit_test(acquiescence_cancels)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
