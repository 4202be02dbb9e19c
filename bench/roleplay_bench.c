/* Role-play at scale: PVQ-RR's 57 items x (baseline + personas x seeds) against the
 * in-process zero-latency test server, then role-play statistics and questionnaire scores.
 *
 * usage: roleplay_bench [PVQ_RR_JSONL] [personas] [concurrency]
 * Defaults: ../shared/data/roleplay/pvq_rr_questions.jsonl, 500 personas, seeds 1, 11, 21,
 * concurrency 64. Prints SKIP when the item file is absent. Prints the wall time of each
 * phase and the peak RSS of the process (server threads included). */
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/testserver.h"
#include "util/util.h"
#include "valscope/config.h"
#include "valscope/roleplay.h"
#include "valscope/run.h"
#include "valscope/score.h"
#include "valscope/store.h"

/* Answers vary with the request, so the statistics have something to measure. */
static void reply(const char *body, size_t len, int attempt, struct ts_reply *out, void *payload)
{
    (void)attempt, (void)payload;
    char h[21];
    ts_hash_answer(h, body, len);
    char letter[2] = {(char)('A' + (strtoul(h + 16, NULL, 16) % 6)), 0};
    out->text = strdup(letter);
}

static size_t n_rp, n_sc;
static int count_rp(const struct vsc_roleplay_record *r, void *p)
{
    (void)r, (void)p;
    n_rp++;
    return 0;
}
static int count_sc(const struct vsc_score_record *r, void *p)
{
    (void)r, (void)p;
    n_sc++;
    return 0;
}

int main(int argc, char **argv)
{
    const char *items = argc > 1 ? argv[1] : "../shared/data/roleplay/pvq_rr_questions.jsonl";
    int personas = argc > 2 ? atoi(argv[2]) : 500;
    int conc = argc > 3 ? atoi(argv[3]) : 64;
    char abs_items[PATH_MAX];
    if (!realpath(items, abs_items)) {
        printf("SKIP roleplay_bench: %s is absent\n", items);
        return 0;
    }
    struct ts_config tc = {.reply = reply};
    struct ts_server *ts = ts_start(&tc);
    if (!ts) return 1;
    char dir[] = "/tmp/vsc-rpbench-XXXXXX", cfgp[96], db[96];
    if (!mkdtemp(dir)) return 1;
    snprintf(cfgp, sizeof cfgp, "%s/run.yaml", dir);
    snprintf(db, sizeof db, "%s/store.db", dir);
    setenv("VSC_BENCH_KEY", "sk-bench", 1);
    FILE *f = fopen(cfgp, "w");
    if (!f) return 1;
    fprintf(f,
            "run: roleplay-bench\nstore: %s\nmodels:\n  - name: bench\n    backend: openai\n"
            "    base_url: %s\n    model: bench\n    api_key_env: VSC_BENCH_KEY\n"
            "    concurrency: %d\n"
            "instruments:\n  - pvqrr: %s\n"
            "params: {temperature: 0, max_tokens: 2}\n"
            "conditions: {baseline: true, personas: %d, persona_seeds: [1, 11, 21]}\n",
            db, ts_url(ts), conc, abs_items, personas);
    fclose(f);
    struct vsc_config *cfg = NULL;
    struct vsc_diag d = {0};
    int rc = vsc_config_load(&cfg, cfgp, &d);
    if (rc) {
        fprintf(stderr, "config: %s\n", d.msg);
        return 1;
    }
    struct vsc_progress prog;
    double t0 = now_ms();
    rc = vsc_run(&prog, cfg, NULL, &d);
    double t_run = now_ms() - t0;
    vsc_config_free(cfg);
    if (rc) {
        fprintf(stderr, "run: %s: %s\n", vsc_strerror(rc), d.msg);
        return 1;
    }
    struct vsc_store *st = NULL;
    if (vsc_store_open(&st, db)) return 1;
    t0 = now_ms();
    rc = vsc_roleplay_score(st, NULL, count_rp, NULL, &d);
    double t_rp = now_ms() - t0;
    if (rc) {
        fprintf(stderr, "roleplay: %s\n", d.msg);
        return 1;
    }
    t0 = now_ms();
    struct vsc_score_opts so = {.n_boot = 200};
    rc = vsc_score_store(st, &so, count_sc, NULL, &d);
    double t_sc = now_ms() - t0;
    if (rc) {
        fprintf(stderr, "score: %s\n", d.msg);
        return 1;
    }
    vsc_store_free(st);
    ts_stop(ts);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    struct stat sb;
    double mb = stat(db, &sb) == 0 ? (double)sb.st_size / 1048576.0 : NAN;
    printf("cells %lld (requests %lld) | run %.1f s (%.0f cells/s) | roleplay stats %.2f s "
           "(%zu records) | questionnaire scores %.2f s (%zu records) | peak RSS %.0f MiB | "
           "store %.0f MiB\n",
           (long long)prog.total, (long long)prog.ok, t_run / 1000, prog.total / (t_run / 1000),
           t_rp / 1000, n_rp, t_sc / 1000, n_sc, ru.ru_maxrss / 1024.0, mb);
    const char *sfx[] = {"/run.yaml", "/store.db", "/store.db-wal", "/store.db-shm"};
    for (size_t i = 0; i < 4; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s%s", dir, sfx[i]);
        unlink(p);
    }
    rmdir(dir);
    return 0;
}
