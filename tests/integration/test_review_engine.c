/* Reviewer's probes of the engine (issue 2): behaviours found by reading the code, each written
 * as a test that states what should hold. Uses the in-process test server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/testserver.h"
#include "support/testutil.h"
#include "util/util.h"
#include "valscope/config.h"
#include "valscope/run.h"
#include "valscope/store.h"

struct fx {
    char dir[64], prompts[128], config[128], db[128];
};

static void fx_init(struct fx *x, int n)
{
    snprintf(x->dir, sizeof x->dir, "/tmp/vsc-review-XXXXXX");
    assert_non_null(mkdtemp(x->dir));
    snprintf(x->prompts, sizeof x->prompts, "%s/p.jsonl", x->dir);
    snprintf(x->config, sizeof x->config, "%s/run.yaml", x->dir);
    snprintf(x->db, sizeof x->db, "%s/s.db", x->dir);
    FILE *f = fopen(x->prompts, "w");
    assert_non_null(f);
    for (int i = 0; i < n; i++) fprintf(f, "{\"id\": \"q%d\", \"prompt\": \"Prompt %d\"}\n", i, i);
    fclose(f);
}

static void fx_done(struct fx *x)
{
    tu_rmrf(x->dir);
}

static int run_file(const char *path, struct vsc_progress *p)
{
    struct vsc_config *cfg = tu_load_config(path);
    struct vsc_diag d = {0};
    struct vsc_run_opts o = {0};
    int rc = vsc_run(p, cfg, &o, &d);
    vsc_config_free(cfg);
    return rc;
}

/* The same prompt in two instruments of one model gives two cells with one cache key. With
 * concurrency 1 the first cell's answer is committed before the second cell is taken from the
 * page that was read earlier: the second must still not be sent again. */
static void test_duplicate_key_not_sent_twice(void **state)
{
    struct fx x;
    fx_init(&x, 4);
    struct ts_server *ts = ts_start(NULL);
    assert_non_null(ts);
    tu_write_file(x.config,
                  "run: r\nstore: %s\nmodels:\n  - name: m\n    backend: openai\n    base_url: %s\n"
                  "    model: x\n    concurrency: 1\n"
                  "instruments:\n  - prompts: %s\n    name: a\n  - prompts: %s\n    name: b\n",
                  x.db, ts_url(ts), x.prompts, x.prompts);
    struct vsc_progress p;
    assert_int_equal(run_file(x.config, &p), 0);
    assert_int_equal(p.total, 8);
    /* 4 distinct bodies; each should have been paid for once */
    assert_int_equal(ts_distinct_bodies(ts), 4);
    assert_int_equal(ts_max_body_seen(ts), 1);
    ts_stop(ts);
    fx_done(&x);
}

/* Editing the sampling params of a config and running it again against the same store must
 * not silently reuse the answers given under the old params. */
static void test_changed_params_refused(void **state)
{
    struct fx x;
    fx_init(&x, 3);
    struct ts_server *ts = ts_start(NULL);
    assert_non_null(ts);
    const char *temps[2] = {"0", "0.7"};
    for (int round = 0; round < 2; round++) {
        tu_write_file(x.config,
                      "store: %s\nmodels:\n  - name: m\n    backend: openai\n    base_url: %s\n"
                      "    model: x\ninstruments:\n  - prompts: %s\nparams: {temperature: %s}\n",
                      x.db, ts_url(ts), x.prompts, temps[round]);
        struct vsc_progress p;
        /* the second round changed what is asked: refused (exit 2), never silently mixed */
        assert_int_equal(run_file(x.config, &p), round == 0 ? 0 : VSC_ERR_INPUT);
    }
    assert_int_equal(ts_requests(ts), 3);
    char *last = ts_last_body(ts);
    assert_non_null(last);
    assert_null(strstr(last, "0.7"));
    free(last);
    ts_stop(ts);
    fx_done(&x);
}

/* A judge named like a model shares the cells table's `model` column with it. */
static void test_judge_name_clash_rejected(void **state)
{
    const char *y = "store: s.db\nmodels:\n  - name: m\n    backend: sim\n"
                    "judges:\n  - name: m\n    backend: sim\n"
                    "instruments:\n  - prompts: p.jsonl\n";
    struct vsc_config *cfg = NULL;
    struct vsc_diag d = {0};
    int rc = vsc_config_parse(&cfg, y, strlen(y), "c.yaml", &d);
    vsc_config_free(cfg);
    assert_int_equal(rc, VSC_ERR_INPUT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duplicate_key_not_sent_twice),
        cmocka_unit_test(test_changed_params_refused),
        cmocka_unit_test(test_judge_name_clash_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
