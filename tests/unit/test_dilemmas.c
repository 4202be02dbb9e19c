/* DailyDilemmas: loading both CSV layouts (and the shared data set when present), the
 * instrument, and per-theory scores worked out by hand from a store filled by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/testutil.h"
#include "util/util.h"
#include "valscope/dilemmas.h"
#include "valscope/instrument.h"
#include "valscope/store.h"

static void test_load_small(void **state)
{
    (void)state;
    struct vsc_dilemma_set *s = NULL;
    struct vsc_diag d = {0};
    int rc = vsc_dilemmas_load(&s, "tests/data/dilemmas/small", &d);
    if (rc) fail_msg("%s:%d: %s", d.file, d.line, d.msg);
    assert_int_equal(s->n, 2);
    assert_string_equal(s->dilemmas[0].id, "7");
    assert_string_equal(s->dilemmas[0].action[1], "Say nothing and hope they do not notice.");
    assert_int_equal(s->dilemmas[0].n_values[0], 2);
    assert_string_equal(s->dilemmas[0].values[0][1], "responsibility");
    assert_string_equal(s->dilemmas[1].values[1][0], "loyalty");
    assert_int_equal(s->n_values, 5);
    assert_string_equal(s->values[4].category[1], "Loyalty");
    assert_null(s->values[0].category[0]);
    vsc_dilemmas_free(s);

    struct vsc_instrument *ins = NULL;
    rc = vsc_instrument_load(&ins, "dailydilemmas", "tests/data/dilemmas/small", NULL, &d);
    if (rc) fail_msg("%s", d.msg);
    assert_int_equal(ins->n_items, 2);
    assert_int_equal(ins->n_options, 2);
    assert_string_equal(ins->options[0].label, "Action 1");
    assert_non_null(strstr(ins->items[1].text, "Action 2: Keep the secret."));
    assert_null(ins->items[0].dimension);
    char *msgs = NULL;
    size_t order[2] = {1, 0};
    assert_int_equal(vsc_instrument_render(&msgs, ins, 0, order, NULL), 0);
    assert_non_null(strstr(msgs, "A. Action 2"));
    free(msgs);
    vsc_instrument_free(ins);

    /* a bad row: tests/data/bad/dilemmas/ (test_bad_inputs) */
    rc = vsc_dilemmas_load(&s, "tests/data/dilemmas/none", &d);
    assert_int_equal(rc, VSC_ERR_IO);
}

static void test_load_shared(void **state)
{
    (void)state;
    const char *dir = "../shared/data/dailydilemmas";
    struct stat st;
    if (stat(dir, &st) != 0) {
        printf("SKIP test_load_shared: %s is absent\n", dir);
        return;
    }
    struct vsc_dilemma_set *s = NULL;
    struct vsc_diag d = {0};
    int rc = vsc_dilemmas_load(&s, dir, &d);
    if (rc) fail_msg("%s:%d: %s", d.file, d.line, d.msg);
    assert_int_equal(s->n, 1360);
    assert_int_equal(s->n_values, 301);
    assert_string_equal(s->values[0].value, "trust");
    assert_string_equal(s->values[0].category[0], "Survival");
    assert_string_equal(s->values[0].category[1], "Loyalty");
    assert_string_equal(s->values[0].category[4], "love and belonging");
    assert_string_equal(s->dilemmas[0].id, "55");
    vsc_dilemmas_free(s);
    struct vsc_instrument *ins = NULL;
    rc = vsc_instrument_load(&ins, "dailydilemmas", dir, NULL, &d);
    if (rc) fail_msg("%s", d.msg);
    assert_int_equal(ins->n_items, 1360);
    /* this file names no actions: the dilemma's own question is answered yes or no */
    assert_non_null(strstr(ins->items[0].text, "Action 1: Yes, do it."));
    vsc_instrument_free(ins);
}

/* ---- scoring ------------------------------------------------------------------------------ */

static int n_cells;

static void add(struct vsc_store *st, int64_t run, const char *item, int sample, const char *order,
                const char *text)
{
    char key[65], raw[128], meta[64];
    snprintf(raw, sizeof raw, "%s|%d|%d", item, sample, n_cells++);
    sha256_hex(key, raw, strlen(raw));
    snprintf(meta, sizeof meta, "{\"order\":%s}", order);
    struct vsc_cell c = {.model = "m",
                         .instrument = "dd",
                         .item = item,
                         .condition = "baseline",
                         .sample = sample,
                         .key = key,
                         .meta_json = meta,
                         .body = raw};
    assert_int_equal(vsc_store_add_cell(st, run, &c, NULL), 0);
    struct vsc_answer a = {.status = "ok", .text = text, .attempts = 1};
    assert_int_equal(vsc_store_put_answer(st, key, "m", &a), 0);
}

struct rec {
    char theory[16], cat[32];
    double v, lo, hi;
    size_t ch, ng, nd, na, nu;
};
struct recs {
    struct rec r[64];
    size_t n;
};

static int keep(const struct vsc_dilemma_record *r, void *payload)
{
    struct recs *rs = payload;
    assert_true(rs->n < 64);
    struct rec *x = &rs->r[rs->n++];
    snprintf(x->theory, sizeof x->theory, "%s", r->theory);
    snprintf(x->cat, sizeof x->cat, "%s", r->category);
    x->v = r->value;
    x->lo = r->ci_low;
    x->hi = r->ci_high;
    x->ch = r->n_chosen;
    x->ng = r->n_neglected;
    x->nd = r->n_dilemmas;
    x->na = r->n_answers;
    x->nu = r->n_unparseable;
    FILE *devnull = fopen("/dev/null", "w");
    assert_int_equal(vsc_dilemma_write_json(devnull, r), 0);
    fclose(devnull);
    return 0;
}

static const struct rec *find(const struct recs *rs, const char *theory, const char *cat)
{
    for (size_t i = 0; i < rs->n; i++)
        if (!strcmp(rs->r[i].theory, theory) && !strcmp(rs->r[i].cat, cat)) return &rs->r[i];
    fail_msg("no record %s/%s", theory, cat);
    return NULL;
}

static void test_score_by_hand(void **state)
{
    (void)state;
    char dir[] = "/tmp/vsc-dd-XXXXXX", db[64];
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/s.db", dir);
    struct vsc_store *st = NULL;
    assert_int_equal(vsc_store_open(&st, db), 0);
    int64_t run = 0;
    assert_int_equal(vsc_store_run_begin(st, &run, "dd", "{}"), 0);
    assert_int_equal(vsc_store_run_add_instrument(st, run, "dd", "dailydilemmas",
                                                  "tests/data/dilemmas/small", NULL, "{}"),
                     0);
    /* dilemma 7: action 1 (honesty, responsibility) once, action 2 (comfort) once, the second
     * time shown first; dilemma 9: action 1 (care, honesty) twice, once shown second; and one
     * answer in prose, which strict reading does not take */
    add(st, run, "7", 0, "[0,1]", "A");
    add(st, run, "7", 1, "[1,0]", "A");
    add(st, run, "9", 0, "[0,1]", "A");
    add(st, run, "9", 1, "[1,0]", "B");
    add(st, run, "9", 2, "[0,1]", "I would pick A, because sharing helps.");
    static struct recs rs;
    rs.n = 0;
    struct vsc_diag d = {0};
    struct vsc_dilemma_opts o = {.n_boot = 500, .seed = 3};
    int rc = vsc_dilemma_score(st, &o, keep, &rs, &d);
    if (rc) fail_msg("%s", d.msg);
    const struct rec *r = find(&rs, "MFT", "Fairness");
    assert_near(r->v, 0.5, 1e-12); /* honesty chosen 3 times, neglected once */
    assert_int_equal(r->ch, 3);
    assert_int_equal(r->ng, 1);
    assert_int_equal(r->nd, 2);
    assert_int_equal(r->na, 5);
    assert_int_equal(r->nu, 1);
    assert_true(r->lo <= 0.5 && r->hi >= 0.5 && r->lo >= 0 && r->hi <= 1);
    assert_near(find(&rs, "MFT", "Authority")->v, 0.0, 1e-12);
    r = find(&rs, "MFT", "Care");
    assert_near(r->v, 1.0, 1e-12);
    assert_near(r->lo, 1.0, 1e-12);
    assert_near(r->hi, 1.0, 1e-12);
    assert_near(find(&rs, "MFT", "Loyalty")->v, -1.0, 1e-12);
    assert_near(find(&rs, "WVS", "Traditional")->v, -0.5, 1e-12);
    assert_near(find(&rs, "WVS", "Survival")->v, 0.0, 1e-12);
    assert_near(find(&rs, "Emotion", "trust")->v, 0.0, 1e-12);
    assert_near(find(&rs, "Maslow", "self-esteem")->v, 2.0 / 6, 1e-12);
    assert_near(find(&rs, "Virtue", "Truthfulness")->v, 0.5, 1e-12);
    assert_int_equal(rs.n, 12); /* every category some answered dilemma touches, once */
    vsc_store_free(st);
    tu_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_small),
        cmocka_unit_test(test_load_shared),
        cmocka_unit_test(test_score_by_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
