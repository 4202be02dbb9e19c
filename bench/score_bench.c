/* Scoring benchmark: 1,000,000 synthetic answers (17,544 respondents x 57 items of a
 * PVQ-RR-shaped instrument: 10 dimensions, 4 groups, 6 options, MRAT centring) scored with
 * 1,000 bootstrap resamples, through the scorer's accumulator (no store: this times the
 * scoring, not SQLite). Prints the time of each phase; exits 1 when the total passes the 10 s
 * target. Usage: score_bench [n_answers] [n_boot] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "score/score_int.h"
#include "util/util.h"
#include "valscope/instrument.h"

#define K 57
#define D 10

static double sum_mean;
static size_t n_records;

static int on_record(const struct vsc_score_record *r, void *payload)
{
    (void)payload;
    if (isfinite(r->mean)) sum_mean += r->mean;
    if (!(r->ci_low <= r->mean && r->mean <= r->ci_high)) return -1; /* CI must hold the mean */
    n_records++;
    return 0;
}

int main(int argc, char **argv)
{
    size_t n_answers = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    int n_boot = argc > 2 ? atoi(argv[2]) : 1000;
    static const char *dims[D] = {"sd", "st", "he", "ac", "po", "se", "co", "tr", "be", "un"};
    static char ids[K][8];
    struct vsc_item items[K];
    struct vsc_option opts[6];
    static char labels[6][4];
    for (int o = 0; o < 6; o++) {
        snprintf(labels[o], sizeof labels[o], "%d", o + 1);
        opts[o] = (struct vsc_option){.label = labels[o], .value = o + 1};
    }
    for (int i = 0; i < K; i++) {
        snprintf(ids[i], sizeof ids[i], "%d", i + 1);
        items[i] = (struct vsc_item){.id = ids[i],
                                     .dimension = i < 54 ? (char *)dims[i % D] : NULL,
                                     .key = i < 54 ? (i % 7 == 0 ? -1 : 1) : 0};
    }
    static char *g_open[] = {"sd", "st", "he"}, *g_enh[] = {"ac", "po"},
                *g_cons[] = {"se", "co", "tr"}, *g_tra[] = {"be", "un"};
    struct vsc_group groups[4] = {{.id = "openness", .dims = g_open, .n_dims = 3},
                                  {.id = "self-enhancement", .dims = g_enh, .n_dims = 2},
                                  {.id = "conservation", .dims = g_cons, .n_dims = 3},
                                  {.id = "self-transcendence", .dims = g_tra, .n_dims = 2}};
    struct vsc_instrument ins = {.id = "bench",
                                 .system = "schwartz",
                                 .items = items,
                                 .n_items = K,
                                 .options = opts,
                                 .n_options = 6,
                                 .centre = 1,
                                 .groups = groups,
                                 .n_groups = 4};

    struct sc_acc *acc = NULL;
    if (sc_acc_new(&acc, &ins, NULL, 0)) return 2;
    struct rng g;
    rng_seed(&g, 2024);
    double prof[D];
    for (int d = 0; d < D; d++)
        prof[d] = rng_normal(&g);

    double t0 = now_ms();
    char resp[32];
    double bias = 0;
    for (size_t a = 0; a < n_answers; a++) {
        size_t r = a / K, i = a % K;
        if (i == 0) {
            snprintf(resp, sizeof resp, "m|baseline|%zu", r);
            bias = 0.5 * rng_normal(&g);
        }
        double x = 3.5 + bias + (i < 54 ? prof[i % D] : 0) + rng_normal(&g);
        if (items[i].key < 0) x = 7 - x;
        x = fmin(6, fmax(1, round(x)));
        if (sc_acc_add(acc, resp, 0, i, SC_OBS_OK, x, NAN)) return 2;
    }
    double t1 = now_ms();
    struct sc_labels l = {"m", "bench", "baseline", "bench"};
    struct vsc_score_opts o = {.n_boot = n_boot, .seed = 1};
    int rc = sc_acc_finish(acc, &l, &o, on_record, NULL);
    double t2 = now_ms();
    sc_acc_free(acc);
    if (rc) {
        fprintf(stderr, "score_bench: scoring failed (%d)\n", rc);
        return 2;
    }
    double total = (t2 - t0) / 1000;
    printf("score_bench: %zu answers, %zu respondents, %zu records, %d resamples: "
           "add %.2f s, score %.2f s, total %.2f s (checksum %.6f)\n",
           n_answers, (n_answers + K - 1) / K, n_records, n_boot, (t1 - t0) / 1000,
           (t2 - t1) / 1000, total, sum_mean);
    return total < 10 ? 0 : 1;
}
