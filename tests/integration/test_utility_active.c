/* Must-show of the utilities issue, end to end: a respondent with known utilities for 100
 * outcomes (the in-process test server, answering each pair by a Thurstonian draw) is asked
 * through vsc_run; the utility stage plans the start graph and every active round; the
 * scorer's fit recovers the utilities with Spearman rho >= 0.95 using at most 2 N log2 N
 * pairs. A second run on the same store asks nothing again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stats/stats.h"
#include "support/testserver.h"
#include "support/testutil.h"
#include "util/util.h"
#include "valscope/config.h"
#include "valscope/run.h"
#include "valscope/store.h"
#include "valscope/utility.h"

enum { N = 100 };
static double U[N], S[N];

static int outcome_no(const char *content, const char *tag)
{
    const char *p = strstr(content, tag);
    int k = -1;
    if (p && sscanf(p + strlen(tag), "Outcome %d happens.", &k) == 1 && k >= 0 && k < N) return k;
    return -1;
}

static void respond(const char *body, size_t len, int attempt, struct ts_reply *out, void *payload)
{
    (void)attempt, (void)payload;
    json_t *b = json_loadb(body, len, 0, NULL);
    json_t *msgs = json_object_get(b, "messages");
    const char *content = json_string_value(
        json_object_get(json_array_get(msgs, json_array_size(msgs) - 1), "content"));
    int a = content ? outcome_no(content, "Option A: ") : -1;
    int c = content ? outcome_no(content, "Option B: ") : -1;
    json_decref(b);
    char h[65];
    sha256_hex(h, body, len);
    double u = (double)strtoull(h + 48, NULL, 16) / 18446744073709551616.0;
    if (a < 0 || c < 0) {
        out->text = strdup("no pair found");
        return;
    }
    if (h[0] == '0' && h[1] < '6') { /* about 2% of answers say something unreadable */
        out->text = strdup("I would rather not choose between these.");
        return;
    }
    double p = vsc_thurstone_prob(U[a], S[a], U[c], S[c]);
    out->text = strdup(u < p ? "A" : "B");
}

struct got {
    double mu[N];
    int have[N];
    size_t n_pairs, unparseable, fits;
    double heldout_acc, intransitive;
};

static int keep(const struct vsc_utility_record *r, void *payload)
{
    struct got *g = payload;
    if (!strcmp(r->kind, "utility")) {
        int k = -1;
        assert_int_equal(sscanf(r->outcome, "Outcome %d happens.", &k), 1);
        assert_true(k >= 0 && k < N);
        g->mu[k] = r->mu;
        g->have[k] = 1;
        assert_true(r->sigma > 0);
    } else if (!strcmp(r->kind, "utility_fit")) {
        g->fits++;
        g->n_pairs = r->n_pairs;
        g->unparseable = r->n_unparseable;
        g->heldout_acc = r->heldout_accuracy;
        g->intransitive = r->intransitive;
    }
    FILE *devnull = fopen("/dev/null", "w");
    assert_int_equal(vsc_utility_write_json(devnull, r), 0);
    fclose(devnull);
    return 0;
}

/* Loads the config and points its one instrument at the outcome file as kind "utility"
 * (set on the struct, so the test does not depend on the config's list of kinds). */
static int run_once(const char *cfgp, const char *outcomes, struct vsc_progress *prog)
{
    struct vsc_config *cfg = tu_load_config(cfgp);
    struct vsc_diag d = {0};
    free(cfg->instruments[0].kind);
    free(cfg->instruments[0].arg);
    cfg->instruments[0].kind = strdup("utility");
    cfg->instruments[0].arg = strdup(outcomes);
    int rc = vsc_run(prog, cfg, NULL, &d);
    if (rc) fail_msg("run: %s: %s", vsc_strerror(rc), d.msg);
    vsc_config_free(cfg);
    return rc;
}

static void test_active_run(void **state)
{
    (void)state;
    struct rng r;
    rng_seed(&r, 77);
    for (int i = 0; i < N; i++) {
        U[i] = rng_normal(&r);
        S[i] = 0.2 + 0.3 * rng_uniform(&r);
    }
    struct ts_config tc = {.reply = respond};
    struct ts_server *ts = ts_start(&tc);
    assert_non_null(ts);
    char dir[] = "/tmp/vsc-util-XXXXXX", cfgp[64], db[64], outc[64];
    assert_non_null(mkdtemp(dir));
    snprintf(cfgp, sizeof cfgp, "%s/run.yaml", dir);
    snprintf(db, sizeof db, "%s/store.db", dir);
    snprintf(outc, sizeof outc, "%s/outcomes.json", dir);
    FILE *f = fopen(outc, "w");
    assert_non_null(f);
    fprintf(f, "{\"first half\": [");
    for (int i = 0; i < N; i++)
        fprintf(f, "%s\"Outcome %d happens.\"%s",
                i == N / 2 ? "], \"second half\": ["
                : i        ? ", "
                           : "",
                i, "");
    fprintf(f, "]}\n");
    fclose(f);
    setenv("VSC_TEST_KEY", "sk-util", 1);
    tu_write_file(
        cfgp,
        "run: utility-active\nstore: %s\nmodels:\n  - name: chooser\n    backend: openai\n"
        "    base_url: %s\n    model: chooser\n    api_key_env: VSC_TEST_KEY\n"
        "    concurrency: 64\n"
        "instruments:\n  - prompts: placeholder.jsonl\n"
        "params: {temperature: 1, max_tokens: 2}\n",
        db, ts_url(ts));

    struct vsc_progress prog;
    run_once(cfgp, "outcomes.json", &prog);
    size_t budget = vsc_pairs_budget(N);
    assert_true(budget <= (size_t)ceil(2 * N * log2(N)));
    assert_int_equal(prog.total, (int64_t)(2 * budget)); /* both orders of every pair */
    int64_t asked = ts_requests(ts);
    assert_int_equal(asked, 2 * (int64_t)budget);

    struct vsc_store *st = NULL;
    assert_int_equal(vsc_store_open(&st, db), 0);
    static struct got g;
    memset(&g, 0, sizeof g);
    struct vsc_diag d = {0};
    int rc = vsc_utility_score(st, NULL, keep, &g, &d);
    if (rc) fail_msg("score: %s", d.msg);
    vsc_store_free(st);
    assert_int_equal(g.fits, 1);
    assert_int_equal(g.n_pairs, budget);
    for (int i = 0; i < N; i++)
        assert_true(g.have[i]);
    double rho = st_spearman(g.mu, U, N);
    print_message("run: %zu pairs, rho = %.4f, held-out accuracy %.3f, intransitive %.4f, "
                  "%zu unparseable\n",
                  g.n_pairs, rho, g.heldout_acc, g.intransitive, g.unparseable);
    if (!(rho >= 0.95)) fail_msg("Spearman rho %.4f < 0.95", rho);
    assert_true(g.unparseable > 0 && g.unparseable < 2 * budget / 10);
    assert_true(g.heldout_acc > 0.7);
    assert_true(g.intransitive >= 0 && g.intransitive < 0.2);

    /* again: every round is planned from stored answers, so nothing new is asked */
    run_once(cfgp, "outcomes.json", &prog);
    assert_int_equal(ts_requests(ts), asked);
    assert_int_equal(prog.total, (int64_t)(2 * budget));

    ts_stop(ts);
    tu_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_active_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
