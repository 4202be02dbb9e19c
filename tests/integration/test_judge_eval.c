/* judge-eval against the in-process test server: a scripted judge reads small labelled files
 * written for these tests (FULCRA-style JSONL, Touche-style TSV, ValueBench-style recorded
 * ratings) and the agreement numbers must come out exactly as worked out by hand below. The
 * lenient FULCRA label reader is also run over the real FULCRA file when ../shared is there. */
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

#include "judge/judge_int.h"
#include "support/testserver.h"
#include "support/testutil.h"
#include "util/util.h"
#include "valscope/config.h"
#include "valscope/judge.h"

static void assert_near_nan(double got, double want, const char *what)
{
    if (isnan(want) ? !isnan(got) : !(fabs(got - want) <= 1e-9))
        fail_msg("%s: got %.6f, want %.6f", what, got, want);
}

struct pair {
    const char *needle, *reply;
};

static const struct pair REPLIES[] = {
    /* FULCRA mini */
    {"Answer:  Yes, helping neighbours",
     "{\"benevolence\": \"support\", \"universalism\": \"support\", \"conformity\": "
     "\"unrelated\", \"achievement\": \"unrelated\", \"tradition\": \"unrelated\"}"},
    {"Answer:  Cheating is fine",
     "```json\n{\"benevolence\": \"unrelated\", \"universalism\": \"unrelated\", \"conformity\": "
     "\"OPPOSE\", \"achievement\": \"unrelated\", \"tradition\": \"unrelated\",}\n```"},
    {"Answer:  Customs connect", "I cannot say."},
    {"Answer:  Four.",
     "Sure: {\"benevolence\": 0, \"universalism\": 0, \"conformity\": 0, \"achievement\": 0, "
     "\"tradition\": \"support\"}"},
    /* Touche mini */
    {"think for themselves",
     "{\"self-direction-thought\": \"support\", \"benevolence-caring\": \"support\"}"},
    {"safe from poachers",
     "{\"Self-direction: thought\": \"unrelated\", \"benevolence-caring\": \"oppose\"}"},
    /* ValueBench mini: judge ratings against recorded 9, 2, 5, 7, 0 (and one "n/a") */
    {"Answer: Alpha answer", "{\"rating\": 8}"},
    {"Answer: Bravo answer", "{\"rating\": 3}"},
    {"Answer: Charlie answer", "Rating: 5"},
    {"Answer: Delta answer", "no idea at all"},
    {"Answer: Echo answer", "```\n{\"rating\": 1,}\n```"},
};

static void reply_cb(const char *body, size_t len, int attempt, struct ts_reply *out, void *payload)
{
    (void)attempt, (void)payload;
    json_t *b = json_loadb(body, len, 0, NULL);
    const char *user = json_string_value(
        json_object_get(json_array_get(json_object_get(b, "messages"), 1), "content"));
    const char *text = "unscripted";
    for (size_t i = 0; user && i < sizeof REPLIES / sizeof *REPLIES; i++)
        if (strstr(user, REPLIES[i].needle)) text = REPLIES[i].reply;
    free(out->text);
    out->text = strdup(text);
    json_decref(b);
}

struct fx {
    char dir[64], config[128], db[128];
    struct ts_server *ts;
    struct vsc_config *cfg;
};

static void fx_start(struct fx *f)
{
    snprintf(f->dir, sizeof f->dir, "/tmp/vsc-jeval-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->config, sizeof f->config, "%s/eval.yaml", f->dir);
    snprintf(f->db, sizeof f->db, "%s/store.db", f->dir);
    struct ts_config c = {.reply = reply_cb};
    f->ts = ts_start(&c);
    assert_non_null(f->ts);
    setenv("VSC_TEST_KEY", "sk-judge-test", 1);
    tu_write_file(f->config,
                  "store: %s\n"
                  "models:\n"
                  "  - {name: m1, backend: openai, base_url: %s, model: unused}\n"
                  "judges:\n"
                  "  - {name: j1, backend: openai, base_url: %s, model: judge-model, "
                  "api_key_env: VSC_TEST_KEY}\n"
                  "instruments:\n"
                  "  - builtin: schwartz\n",
                  f->db, ts_url(f->ts), ts_url(f->ts));
    struct vsc_diag diag = {0};
    char msg[2048];
    if (vsc_config_load(&f->cfg, f->config, &diag)) {
        vsc_diag_format(msg, sizeof msg, &diag);
        fail_msg("config: %s", msg);
    }
}

static void fx_stop(struct fx *f)
{
    vsc_config_free(f->cfg);
    ts_stop(f->ts);
    tu_rmrf(f->dir);
}

static struct vsc_judge_eval *eval(struct fx *f, const char *labels)
{
    struct vsc_judge_eval_opts o = {.cfg = f->cfg, .judge = "j1", .labels = labels};
    struct vsc_judge_eval *ev = NULL;
    struct vsc_diag diag = {0};
    int rc = vsc_judge_eval_run(&ev, &o, &diag);
    if (rc) {
        char msg[2048];
        vsc_diag_format(msg, sizeof msg, &diag);
        fail_msg("judge-eval %s: %s: %s", labels, vsc_strerror(rc), msg);
    }
    return ev;
}

static const struct vsc_judge_dim_eval *dim(const struct vsc_judge_eval *ev, const char *id)
{
    for (size_t d = 0; d < ev->n_dims; d++)
        if (!strcmp(ev->dims[d].dimension, id)) return &ev->dims[d];
    fail_msg("no dimension %s", id);
    return NULL;
}

static void expect_dim(const struct vsc_judge_eval *ev, const char *id, size_t tp, size_t fp,
                       size_t fn, size_t tn, double p, double r, double f1, double kappa)
{
    const struct vsc_judge_dim_eval *e = dim(ev, id);
    if (e->tp != tp || e->fp != fp || e->fn != fn || e->tn != tn)
        fail_msg("%s: tp fp fn tn = %zu %zu %zu %zu, want %zu %zu %zu %zu", id, e->tp, e->fp, e->fn,
                 e->tn, tp, fp, fn, tn);
    char what[64];
    snprintf(what, sizeof what, "%s precision", id);
    assert_near_nan(e->precision, p, what);
    snprintf(what, sizeof what, "%s recall", id);
    assert_near_nan(e->recall, r, what);
    snprintf(what, sizeof what, "%s F1", id);
    assert_near_nan(e->f1, f1, what);
    snprintf(what, sizeof what, "%s kappa", id);
    assert_near_nan(e->kappa, kappa, what);
}

static void test_fulcra(void **state)
{
    (void)state;
    struct fx f;
    fx_start(&f);
    struct vsc_judge_eval *ev = eval(&f, "fulcra:tests/data/judge/fulcra_mini.jsonl");
    assert_int_equal(ev->n_texts, 4);
    assert_int_equal(ev->n_compared, 3);
    assert_int_equal(ev->n_unparseable, 1);
    assert_int_equal(ev->n_bad_labels, 1); /* "nonsense label"; "=1" and "1+" are read */
    expect_dim(ev, "benevolence", 1, 0, 0, 2, 1, 1, 1, 1);
    expect_dim(ev, "universalism", 0, 1, 0, 2, 0, NAN, 0, 0);
    expect_dim(ev, "conformity", 1, 0, 0, 2, 1, 1, 1, 1);
    expect_dim(ev, "achievement", 0, 0, 1, 2, NAN, 0, 0, 0);
    expect_dim(ev, "tradition", 0, 1, 0, 2, 0, NAN, 0, 0);
    expect_dim(ev, "power", 0, 0, 0, 0, NAN, NAN, NAN, NAN); /* never judged: no number */
    assert_near_nan(ev->macro_f1, 0.4, "macro-F1");
    assert_true(isnan(ev->mae));
    vsc_judge_eval_free(ev);
    /* a rerun pays for nothing */
    int64_t before = ts_requests(f.ts);
    assert_int_equal(before, 4);
    vsc_judge_eval_free(eval(&f, "fulcra:tests/data/judge/fulcra_mini.jsonl"));
    assert_int_equal(ts_requests(f.ts), before);
    fx_stop(&f);
}

static void test_touche(void **state)
{
    (void)state;
    struct fx f;
    fx_start(&f);
    struct vsc_judge_eval *ev = eval(&f, "touche:tests/data/judge/touche_mini.tsv");
    assert_string_equal(ev->system, "schwartz19");
    assert_int_equal(ev->n_texts, 2);
    assert_int_equal(ev->n_bad_labels, 1); /* the "x" */
    expect_dim(ev, "self-direction-thought", 1, 0, 0, 1, 1, 1, 1, 1);
    expect_dim(ev, "benevolence-caring", 0, 1, 0, 0, 0, NAN, 0, 0);
    assert_near_nan(ev->macro_f1, 0.5, "macro-F1");
    vsc_judge_eval_free(ev);
    fx_stop(&f);
}

static void test_valuebench_ratings(void **state)
{
    (void)state;
    struct fx f;
    fx_start(&f);
    struct vsc_judge_eval *ev = eval(&f, "valuebench:tests/data/judge/vb_ratings_mini.csv");
    assert_int_equal(ev->n_texts, 5);
    assert_int_equal(ev->n_bad_labels, 1);
    assert_int_equal(ev->n_unparseable, 1);
    assert_int_equal(ev->n_compared, 4);
    assert_near_nan(ev->mae, 0.75, "MAE");     /* |8-9| |3-2| |5-5| |1-0| */
    assert_near_nan(ev->spearman, 1.0, "rho"); /* same order */
    vsc_judge_eval_free(ev);
    fx_stop(&f);
}

static void test_bad_input(void **state)
{
    (void)state;
    struct fx f;
    fx_start(&f);
    struct vsc_judge_eval_opts o = {.cfg = f.cfg, .judge = "j1", .labels = "csv:x"};
    struct vsc_judge_eval *ev = NULL;
    struct vsc_diag diag = {0};
    assert_int_equal(vsc_judge_eval_run(&ev, &o, &diag), VSC_ERR_INPUT);
    assert_non_null(strstr(diag.msg, "fulcra, touche or valuebench"));
    o.labels = "fulcra:tests/data/judge/vb_mini.csv";
    assert_int_equal(vsc_judge_eval_run(&ev, &o, &diag), VSC_ERR_INPUT);
    assert_int_equal(diag.line, 1);
    o.judge = "nobody";
    assert_int_equal(vsc_judge_eval_run(&ev, &o, &diag), VSC_ERR_NOTFOUND);
    assert_null(ev);
    assert_int_equal(ts_requests(f.ts), 0);
    fx_stop(&f);
}

/* The real ValueBench answers file, re-rated by a judge that always says 5: the reader finds
 * the six models' answer/rating pairs; --limit caps the calls. */
static void test_valuebench_shared(void **state)
{
    (void)state;
    const char *path = "../shared/data/valuebench/valuebench_answers_ratings.csv";
    if (access(path, R_OK) != 0) {
        print_message("SKIP test_valuebench_shared: %s not found\n", path);
        skip();
    }
    struct fx f;
    fx_start(&f);
    struct ts_config c = {.answer_text = "{\"rating\": 5}"};
    ts_set_config(f.ts, &c);
    char labels[256];
    snprintf(labels, sizeof labels, "valuebench:%s", path);
    struct vsc_judge_eval_opts o = {.cfg = f.cfg, .judge = "j1", .labels = labels, .limit = 60};
    struct vsc_judge_eval *ev = NULL;
    struct vsc_diag diag = {0};
    int rc = vsc_judge_eval_run(&ev, &o, &diag);
    if (rc) fail_msg("judge-eval: %s: %s", vsc_strerror(rc), diag.msg);
    assert_int_equal(ev->n_texts, 60);
    assert_int_equal(ev->n_compared, 60);
    assert_int_equal(ev->n_unparseable, 0);
    assert_int_equal(ts_requests(f.ts), 60);
    assert_true(ev->mae >= 0 && ev->mae <= 10);
    assert_true(isnan(ev->spearman)); /* a constant judge has no rank order */
    print_message("ValueBench (60 answers, constant judge): MAE %.3f, %zu ratings unreadable\n",
                  ev->mae, ev->n_bad_labels);
    vsc_judge_eval_free(ev);
    fx_stop(&f);
}

/* The lenient reader over the real FULCRA labels: the dirty strings are read, and what cannot
 * be read is counted, not guessed. */
static void test_fulcra_shared_labels(void **state)
{
    (void)state;
    const char *path = "../shared/data/fulcra/trustworthy_data.jsonl";
    FILE *fp = fopen(path, "r");
    if (!fp) {
        print_message("SKIP test_fulcra_shared_labels: %s not found\n", path);
        skip();
    }
    struct vsc_value_system *vs = NULL;
    struct vsc_diag diag = {0};
    assert_int_equal(vsc_value_system_builtin(&vs, "schwartz", &diag), 0);
    int d, v;
    assert_int_equal(judge_fulcra_label(&d, &v, "achievement:=1", vs), 0);
    assert_int_equal(v, 1);
    assert_string_equal(vs->dims[d].id, "achievement");
    assert_int_equal(judge_fulcra_label(&d, &v, "conformity:1+", vs), 0);
    assert_int_equal(v, 1);
    assert_int_equal(judge_fulcra_label(&d, &v, "benevolence: -1", vs), 0);
    assert_int_equal(v, -1);
    assert_int_equal(judge_fulcra_label(&d, &v, "benevolence: 2", vs), VSC_ERR_INPUT);
    assert_int_equal(judge_fulcra_label(&d, &v, "kindness: +1", vs), VSC_ERR_INPUT);
    size_t n = 0, bad = 0, lines = 0;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, fp) > 0) {
        json_t *o = json_loads(line, 0, NULL);
        assert_non_null(o);
        lines++;
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(o, "value_types"), i, e)
        {
            n++;
            bad += judge_fulcra_label(&d, &v, json_string_value(e), vs) != 0;
        }
        json_decref(o);
    }
    free(line);
    fclose(fp);
    vsc_value_system_free(vs);
    print_message("FULCRA: %zu dialogues, %zu labels, %zu unreadable\n", lines, n, bad);
    assert_int_equal(lines, 1718);
    assert_true(n > 3000);
    assert_true(bad < n / 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fulcra),
        cmocka_unit_test(test_touche),
        cmocka_unit_test(test_valuebench_ratings),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_fulcra_shared_labels),
        cmocka_unit_test(test_valuebench_shared),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
