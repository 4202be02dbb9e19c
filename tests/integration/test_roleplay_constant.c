/* Must-show of the role-play issue: a model that answers every item with the same option
 * ("A", from the in-process test server through the openai backend) has inertia 1 and
 * steerability 0 on every dimension, in a run with a baseline and personas.
 *
 * The personas come from the planner's `conditions: {personas: N, persona_seeds: [...]}`. */
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

#include "plan/personas.h"
#include "support/testserver.h"
#include "support/testutil.h"
#include "util/util.h"
#include "valscope/config.h"
#include "valscope/roleplay.h"
#include "valscope/run.h"
#include "valscope/store.h"

struct tally {
    size_t inertia, steer, dims_seen, effects;
    char dims[32][32];
};

static int check(const struct vsc_roleplay_record *r, void *payload)
{
    struct tally *t = payload;
    if (!strcmp(r->kind, "inertia")) {
        if (!(fabs(r->value - 1.0) < 1e-12))
            fail_msg("inertia of %s (%s) is %g, not 1", r->dimension, r->condition, r->value);
        assert_int_equal(r->n_unparseable, 0);
        t->inertia++;
        int seen = 0;
        for (size_t i = 0; i < t->dims_seen; i++)
            seen |= !strcmp(t->dims[i], r->dimension);
        if (!seen && t->dims_seen < 32)
            snprintf(t->dims[t->dims_seen++], sizeof t->dims[0], "%s", r->dimension);
    } else if (!strcmp(r->kind, "steerability")) {
        assert_near(r->value, 0.0, 1e-12);
        assert_true(r->n > 0 && r->n_other > 0);
        t->steer++;
    } else if (!strcmp(r->kind, "effect_size")) {
        t->effects++; /* constant answers: no attribute level moves anything */
        assert_true(isnan(r->value) || fabs(r->value) < 1e-12);
    }
    return 0;
}

static void test_constant_answers(void **state)
{
    (void)state;
    struct ts_config tc = {.answer_mode = TS_ANSWER_TEXT, .answer_text = "A"};
    struct ts_server *ts = ts_start(&tc);
    assert_non_null(ts);
    char dir[] = "/tmp/vsc-rpc-XXXXXX", cfgp[64], db[64];
    assert_non_null(mkdtemp(dir));
    snprintf(cfgp, sizeof cfgp, "%s/run.yaml", dir);
    snprintf(db, sizeof db, "%s/store.db", dir);
    setenv("VSC_TEST_KEY", "sk-rp", 1);
    tu_write_file(cfgp,
                  "run: rp-constant\nstore: %s\nmodels:\n  - name: const\n    backend: openai\n"
                  "    base_url: %s\n    model: constant\n    api_key_env: VSC_TEST_KEY\n"
                  "    concurrency: 32\n"
                  "instruments:\n  - builtin: schwartz\nsamples: 1\n"
                  "params: {temperature: 0, max_tokens: 4}\n"
                  "conditions: {baseline: true, personas: 3, persona_seeds: [1, 11]}\n",
                  db, ts_url(ts));

    struct vsc_progress prog;
    tu_run_config(cfgp, &prog);
    assert_int_equal(prog.total, 7 * 60); /* baseline + 6 personas x 60 items */

    struct vsc_store *st = NULL;
    assert_int_equal(vsc_store_open(&st, db), 0);
    struct tally t = {0};
    struct vsc_diag d = {0};
    int rc = vsc_roleplay_score(st, NULL, check, &t, &d);
    if (rc) fail_msg("score: %s", d.msg);
    /* the ten Schwartz values, each with a baseline and a persona inertia and a JSD */
    assert_int_equal(t.dims_seen, 10);
    assert_int_equal(t.inertia, 20);
    assert_int_equal(t.steer, 10);
    assert_true(t.effects > 0); /* persona attributes reached the cell meta */
    vsc_store_free(st);
    ts_stop(ts);
    tu_rmrf(dir);
}

/* The counter-check: a server whose answer depends on the prompt (persona or not) moves the
 * answers, so steerability is then above 0 and baseline inertia stays 1. */
static void vary(const char *body, size_t len, int attempt, struct ts_reply *out, void *payload)
{
    (void)len, (void)attempt, (void)payload;
    out->text = strdup(strstr(body, "year-old") ? "F" : "A");
}

static int check_moved(const struct vsc_roleplay_record *r, void *payload)
{
    size_t *moved = payload;
    if (!strcmp(r->kind, "steerability")) {
        assert_near(r->value, 1.0, 1e-12); /* all A vs all F: disjoint */
        (*moved)++;
    }
    return 0;
}

static void test_steered_answers(void **state)
{
    (void)state;
    struct ts_config tc = {.reply = vary};
    struct ts_server *ts = ts_start(&tc);
    assert_non_null(ts);
    char dir[] = "/tmp/vsc-rpv-XXXXXX", cfgp[64], db[64];
    assert_non_null(mkdtemp(dir));
    snprintf(cfgp, sizeof cfgp, "%s/run.yaml", dir);
    snprintf(db, sizeof db, "%s/store.db", dir);
    setenv("VSC_TEST_KEY", "sk-rp", 1);
    struct persona p;
    assert_int_equal(persona_sample(&p, 5, 0, NULL), 0);
    tu_write_file(cfgp,
                  "run: rp-steered\nstore: %s\nmodels:\n  - name: steered\n    backend: openai\n"
                  "    base_url: %s\n    model: steered\n    api_key_env: VSC_TEST_KEY\n"
                  "instruments:\n  - builtin: schwartz\n"
                  "conditions:\n  system_prompts:\n    \"persona:5:0\": \"%s\"\n",
                  db, ts_url(ts), p.text);
    persona_clear(&p);
    tu_run_config(cfgp, NULL);
    struct vsc_store *st = NULL;
    assert_int_equal(vsc_store_open(&st, db), 0);
    size_t moved = 0;
    struct vsc_diag d = {0};
    assert_int_equal(vsc_roleplay_score(st, NULL, check_moved, &moved, &d), 0);
    assert_int_equal(moved, 10);
    vsc_store_free(st);
    ts_stop(ts);
    tu_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constant_answers),
        cmocka_unit_test(test_steered_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
