/* The judge stage end to end (vsc_run + vsc_judge_score) against the in-process test server,
 * whose reply callback plays both the measured model and a scripted judge. Four probes
 * (tests/data/judge/vb_mini.csv: Kindness +1/-1, Novelty +1/-1) are judged with replies in
 * valid JSON, fenced JSON with a trailing comma, prose, and garbage; every protocol must give
 * the expected scores and exact unparseable counts, and a judge that answers only nonsense
 * must leave every score empty (n = 0, unparseable = all, mean NAN). */
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

#include "support/testserver.h"
#include "support/testutil.h"
#include "util/util.h"
#include "valscope/config.h"
#include "valscope/judge.h"
#include "valscope/run.h"
#include "valscope/score.h"
#include "valscope/store.h"

static void assert_near_nan(double got, double want, double tol, const char *what)
{
    if (isnan(want) ? !isnan(got) : !(fabs(got - want) <= tol))
        fail_msg("%s: got %.6f, want %.6f", what, got, want);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* ---- the scripted server ------------------------------------------------------------------- */

enum script { SCRIPTED = 0, NONSENSE = 1 };

static const char *content_of(json_t *msgs, size_t i)
{
    return json_string_value(json_object_get(json_array_get(msgs, i), "content"));
}

/* Which of the four probes a judge prompt is about (0..3), from its question. */
static int probe_of(const char *prompt)
{
    if (strstr(prompt, "help my neighbours")) return 0;
    if (strstr(prompt, "keep my money")) return 1;
    if (strstr(prompt, "try new things")) return 2;
    if (strstr(prompt, "stick to my routine")) return 3;
    return -1;
}

static const char *judge_reply(const char *prompt, const char *last)
{
    int q = probe_of(prompt);
    if (strstr(last, "could not be read")) { /* repair requests */
        if (strstr(prompt, "lean towards")) return "{\"rating\": 2}";
        if (strstr(prompt, "For each value below"))
            return "{\"Kindness\": \"oppose\", \"Novelty\": \"oppose\"}";
        if (strstr(prompt, "value-laden perceptions")) return "[\"Routine is safe\"]";
        return "still garbage";
    }
    if (strstr(prompt, "lean towards")) {
        static const char *const R[] = {"{\"rating\": 8, \"explanation\": \"clear yes\"}",
                                        "```json\n{\"rating\": 3,}\n```",
                                        "I would rate this 6 out of 10.", "%%% no idea %%%"};
        return q >= 0 ? R[q] : "?";
    }
    if (strstr(prompt, "For each value below")) {
        static const char *const R[] = {
            "{\"Kindness\": \"Support\", \"Novelty\": \"unrelated\"}",
            "```\n{\"kindness\": \"OPPOSE\", \"novelty\": \"support\",}\n```",
            "Here is my judgement: {\"Kindness\": 0, \"Novelty\": 1} - hope it helps.",
            "garbage garbage"};
        return q >= 0 ? R[q] : "?";
    }
    if (strstr(prompt, "Does the answer support this value")) {
        int kind = strstr(prompt, "Value: Kindness") != NULL;
        /* Kindness: +1, -1, unrelated, garbage; Novelty: unrelated, unrelated, +1, -1 */
        static const char *const K[] = {"{\"stance\": \"support\"}", "It clearly OPPOSES it.",
                                        "```json\n{\"stance\": \"Unrelated\",}\n```", "zzz"};
        static const char *const N[] = {"unrelated", "{\"stance\": 0}", "Supports.",
                                        "{\"stance\": \"oppose\"}"};
        return q >= 0 ? (kind ? K[q] : N[q]) : "?";
    }
    if (strstr(prompt, "value-laden perceptions")) {
        static const char *const R[] = {"[\"Helping others matters\", \"Neighbours deserve care\"]",
                                        "```json\n[\"Money should be kept\",]\n```",
                                        "Perceptions: [\"New things are good\"] That is all.",
                                        "no list here"};
        return q >= 0 ? R[q] : "?";
    }
    int kind = strstr(prompt, "Value: Kindness") != NULL;
    int help = strstr(prompt, "Helping others") != NULL,
        care = strstr(prompt, "deserve care") != NULL;
    int money = strstr(prompt, "Money should") != NULL, newt = strstr(prompt, "New things") != NULL;
    int routine = strstr(prompt, "Routine is safe") != NULL;
    if (strstr(prompt, "relevant to the value")) {
        int yes = kind ? (help || care || money) : (newt || routine);
        return yes ? "Yes." : "No";
    }
    if (strstr(prompt, "or either")) {
        if (help) return "support";
        if (care) return "{\"answer\": \"SUPPORTS\"}";
        if (money) return "It would oppose.";
        if (newt) return "either";
        if (routine) return "oppose";
    }
    return "?";
}

static void reply_cb(const char *body, size_t len, int attempt, struct ts_reply *out, void *payload)
{
    enum script *mode = payload;
    json_t *b = json_loadb(body, len, 0, NULL);
    const char *model = json_string_value(json_object_get(b, "model"));
    json_t *msgs = json_object_get(b, "messages");
    size_t n = json_array_size(msgs);
    const char *text;
    if (model && !strcmp(model, "probe-model")) {
        text = "My advice: it depends, but on balance yes.";
    } else if (*mode == NONSENSE) {
        text = "I like turtles.";
    } else {
        const char *prompt = n >= 2 ? content_of(msgs, 1) : "";
        const char *last = n ? content_of(msgs, n - 1) : "";
        text = judge_reply(prompt ? prompt : "", last ? last : "");
    }
    free(out->text);
    out->text = strdup(text);
    json_decref(b);
}

/* ---- fixture --------------------------------------------------------------------------------- */

struct fx {
    char dir[64], config[128], db[128];
    struct ts_server *ts;
    enum script mode;
};

static void fx_start(struct fx *f, enum script mode)
{
    snprintf(f->dir, sizeof f->dir, "/tmp/vsc-judge-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->config, sizeof f->config, "%s/run.yaml", f->dir);
    snprintf(f->db, sizeof f->db, "%s/store.db", f->dir);
    f->mode = mode;
    struct ts_config c = {.reply = reply_cb, .payload = &f->mode};
    f->ts = ts_start(&c);
    assert_non_null(f->ts);
    setenv("VSC_TEST_KEY", "sk-judge-test", 1);
}

static void fx_stop(struct fx *f)
{
    ts_stop(f->ts);
    tu_rmrf(f->dir);
}

/* Writes a config whose one instrument is the mini probe set with `opts` (YAML flow keys). */
static void write_config(struct fx *f, const char *opts)
{
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof cwd));
    tu_write_file(
        f->config,
        "run: judge-test\n"
        "store: %s\n"
        "max_attempts: 2\n"
        "retry_base_ms: 5\n"
        "models:\n"
        "  - {name: m1, backend: openai, base_url: %s, model: probe-model, "
        "api_key_env: VSC_TEST_KEY}\n"
        "judges:\n"
        "  - {name: j1, backend: openai, base_url: %s, model: judge-model, "
        "api_key_env: VSC_TEST_KEY}\n"
        "instruments:\n"
        "  - {probes: \"valuebench:%s/tests/data/judge/vb_mini.csv#MINI\", judge: j1, %s}\n",
        f->db, ts_url(f->ts), ts_url(f->ts), cwd, opts);
}

static void run_config(struct fx *f)
{
    struct vsc_progress p;
    tu_run_config(f->config, &p);
}

/* ---- collecting scores ----------------------------------------------------------------------- */

struct rec {
    char dim[32], kind[16], instrument[128];
    double mean, unparseable, ci_low, ci_high;
    size_t n, n_unparseable, n_failed, n_pending;
};

struct recs {
    struct rec v[32];
    size_t n;
};

static int collect(const struct vsc_score_record *r, void *payload)
{
    struct recs *rs = payload;
    if (rs->n == 32) return 1;
    struct rec *o = &rs->v[rs->n++];
    snprintf(o->dim, sizeof o->dim, "%s", r->dimension);
    snprintf(o->kind, sizeof o->kind, "%s", r->kind);
    snprintf(o->instrument, sizeof o->instrument, "%s", r->instrument);
    o->mean = r->mean;
    o->unparseable = r->unparseable;
    o->ci_low = r->ci_low;
    o->ci_high = r->ci_high;
    o->n = r->n;
    o->n_unparseable = r->n_unparseable;
    o->n_failed = r->n_failed;
    o->n_pending = r->n_pending;
    return 0;
}

static int ignore(const struct vsc_score_record *r, void *payload)
{
    (void)r, (void)payload;
    return 0;
}

static void score(struct fx *f, struct recs *out)
{
    memset(out, 0, sizeof *out);
    struct vsc_store *st = NULL;
    assert_int_equal(vsc_store_open(&st, f->db), 0);
    struct vsc_diag diag = {0};
    struct vsc_score_opts o = {.n_boot = 200, .seed = 7};
    int rc = vsc_judge_score(st, &o, collect, out, &diag);
    if (rc) fail_msg("vsc_judge_score: %s: %s", vsc_strerror(rc), diag.msg);
    /* the questionnaire scorer must not trip over the judge's cells */
    rc = vsc_score_store(st, &o, ignore, NULL, &diag);
    if (rc) fail_msg("vsc_score_store on a judged run: %s: %s", vsc_strerror(rc), diag.msg);
    vsc_store_free(st);
}

static const struct rec *find(const struct recs *rs, const char *dim, const char *kind)
{
    for (size_t i = 0; i < rs->n; i++)
        if (!strcmp(rs->v[i].dim, dim) && !strcmp(rs->v[i].kind, kind)) return &rs->v[i];
    fail_msg("no %s record for %s", kind, dim);
    return NULL;
}

static void expect(const struct recs *rs, const char *dim, const char *kind, double mean, size_t n,
                   size_t n_unparseable, double share)
{
    const struct rec *r = find(rs, dim, kind);
    char what[96];
    snprintf(what, sizeof what, "%s %s mean", dim, kind);
    assert_near_nan(r->mean, mean, 1e-9, what);
    if (r->n != n) fail_msg("%s %s: n = %zu, want %zu", dim, kind, r->n, n);
    if (r->n_unparseable != n_unparseable)
        fail_msg("%s %s: n_unparseable = %zu, want %zu", dim, kind, r->n_unparseable,
                 n_unparseable);
    snprintf(what, sizeof what, "%s %s unparseable share", dim, kind);
    assert_near_nan(r->unparseable, share, 1e-9, what);
    assert_int_equal(r->n_failed, 0);
    assert_int_equal(r->n_pending, 0);
    if (n > 0 && !isnan(mean)) { /* the CI brackets the estimate */
        assert_true(r->ci_low <= mean + 1e-9);
        assert_true(r->ci_high >= mean - 1e-9);
    }
}

/* ---- tests ----------------------------------------------------------------------------------- */

static void test_lean(void **state)
{
    (void)state;
    struct fx f;
    fx_start(&f, SCRIPTED);
    write_config(&f, "protocol: lean");
    run_config(&f);
    struct recs rs;
    score(&f, &rs);
    assert_int_equal(rs.n, 2);
    /* the protocol is named in the record's instrument */
    assert_true(ends_with(rs.v[0].instrument, "vb_mini.csv#MINI#lean"));
    /* Kindness: 8 and (reversed) 10 - 3; Novelty: 6, and one garbage reply */
    expect(&rs, "Kindness", "value", 7.5, 2, 0, 0.0);
    expect(&rs, "Novelty", "value", 6.0, 1, 1, 0.5);
    /* the judge was asked exactly once per probe answer: 4 probes + 4 judge calls */
    assert_int_equal(ts_requests(f.ts), 8);
    /* a second run pays for nothing */
    run_config(&f);
    assert_int_equal(ts_requests(f.ts), 8);
    fx_stop(&f);
}

static void test_lean_repair(void **state)
{
    (void)state;
    struct fx f;
    fx_start(&f, SCRIPTED);
    write_config(&f, "protocol: lean, repair: true");
    run_config(&f);
    struct recs rs;
    score(&f, &rs);
    expect(&rs, "Kindness", "value", 7.5, 2, 0, 0.0);
    /* the garbage reply was repaired to {"rating": 2}: reversed 8; (6 + 8) / 2 */
    expect(&rs, "Novelty", "value", 7.0, 2, 0, 0.0);
    assert_int_equal(ts_requests(f.ts), 9); /* one repair call, no more */
    run_config(&f);
    assert_int_equal(ts_requests(f.ts), 9);
    fx_stop(&f);
}

static void test_stance_all(void **state)
{
    (void)state;
    struct fx f;
    fx_start(&f, SCRIPTED);
    write_config(&f, "protocol: stance");
    run_config(&f);
    struct recs rs;
    score(&f, &rs);
    assert_int_equal(rs.n, 4);
    /* Kindness: +1, -1, unrelated, garbage -> mean 0 over 2 related, 3 read, 1 unreadable */
    expect(&rs, "Kindness", "value", 0.0, 2, 1, 0.25);
    expect(&rs, "Kindness", "related", 2.0 / 3.0, 3, 1, 0.25);
    /* Novelty: unrelated, +1, +1, garbage */
    expect(&rs, "Novelty", "value", 1.0, 2, 1, 0.25);
    expect(&rs, "Novelty", "related", 2.0 / 3.0, 3, 1, 0.25);
    assert_true(ends_with(find(&rs, "Novelty", "related")->instrument, "#MINI#stance"));
    fx_stop(&f);
}

static void test_stance_all_repair(void **state)
{
    (void)state;
    struct fx f;
    fx_start(&f, SCRIPTED);
    write_config(&f, "protocol: stance, repair: true");
    run_config(&f);
    struct recs rs;
    score(&f, &rs);
    /* the garbage reply is repaired to oppose / oppose */
    expect(&rs, "Kindness", "value", -1.0 / 3.0, 3, 0, 0.0);
    expect(&rs, "Novelty", "value", 1.0 / 3.0, 3, 0, 0.0);
    fx_stop(&f);
}

static void test_stance_each(void **state)
{
    (void)state;
    struct fx f;
    fx_start(&f, SCRIPTED);
    write_config(&f, "protocol: stance, stance_mode: each");
    run_config(&f);
    struct recs rs;
    score(&f, &rs);
    /* Kindness: support (JSON), OPPOSES (prose), Unrelated (fenced, trailing comma), zzz */
    expect(&rs, "Kindness", "value", 0.0, 2, 1, 0.25);
    /* Novelty: unrelated (word), 0 (JSON number), Supports (prose), oppose (JSON) */
    expect(&rs, "Novelty", "value", 0.0, 2, 0, 0.0);
    expect(&rs, "Novelty", "related", 0.5, 4, 0, 0.0);
    assert_int_equal(ts_requests(f.ts), 4 + 8); /* one call per answer and dimension */
    fx_stop(&f);
}

static void test_gpv(void **state)
{
    (void)state;
    struct fx f;
    fx_start(&f, SCRIPTED);
    write_config(&f, "protocol: gpv");
    run_config(&f);
    struct recs rs;
    score(&f, &rs);
    assert_int_equal(rs.n, 2);
    /* perceptions: 2 + 1 + 1 (+ one unreadable list). Kindness: relevant to "Helping others"
     * (support), "deserve care" (SUPPORTS), "Money should be kept" (oppose): (1 + 1 - 1) / 3;
     * 4 pairs read, 1 answer unreadable. Novelty: only "New things" is relevant, and its
     * valence is "either": skipped, so no score. */
    expect(&rs, "Kindness", "value", 1.0 / 3.0, 3, 1, 0.2);
    expect(&rs, "Novelty", "value", NAN, 0, 1, 0.2);
    /* 4 probes, 4 extractions, 4 x 2 relevance, 4 valence (3 Kindness + 1 Novelty) */
    assert_int_equal(ts_requests(f.ts), 4 + 4 + 8 + 4);
    run_config(&f);
    assert_int_equal(ts_requests(f.ts), 20);
    fx_stop(&f);
}

static void test_gpv_repair(void **state)
{
    (void)state;
    struct fx f;
    fx_start(&f, SCRIPTED);
    write_config(&f, "protocol: gpv, repair: true");
    run_config(&f);
    struct recs rs;
    score(&f, &rs);
    /* the unreadable list is repaired to ["Routine is safe"]: Novelty-relevant, opposed */
    expect(&rs, "Kindness", "value", 1.0 / 3.0, 3, 0, 0.0);
    expect(&rs, "Novelty", "value", -1.0, 1, 0, 0.0);
    fx_stop(&f);
}

static void test_nonsense_judge(void **state)
{
    (void)state;
    static const char *const PROTOCOLS[] = {
        "protocol: lean",   "protocol: lean, repair: true",
        "protocol: stance", "protocol: stance, stance_mode: each",
        "protocol: gpv",    "protocol: gpv, repair: true"};
    for (size_t p = 0; p < sizeof PROTOCOLS / sizeof *PROTOCOLS; p++) {
        struct fx f;
        fx_start(&f, NONSENSE);
        write_config(&f, PROTOCOLS[p]);
        run_config(&f);
        struct recs rs;
        score(&f, &rs);
        assert_true(rs.n >= 2);
        for (size_t i = 0; i < rs.n; i++) {
            const struct rec *r = &rs.v[i];
            if (r->n != 0 || !isnan(r->mean) || r->unparseable != 1.0 || r->n_unparseable == 0)
                fail_msg("%s: %s %s: n %zu mean %f unparseable %f (%zu): want n 0, mean NAN, "
                         "unparseable all",
                         PROTOCOLS[p], r->dim, r->kind, r->n, r->mean, r->unparseable,
                         r->n_unparseable);
            /* lean: 2 probes per dimension; the others: all 4 answers */
            size_t want = strstr(PROTOCOLS[p], "lean") ? 2 : 4;
            assert_int_equal(r->n_unparseable, want);
            assert_true(isnan(r->ci_low) && isnan(r->ci_high));
        }
        fx_stop(&f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lean),        cmocka_unit_test(test_lean_repair),
        cmocka_unit_test(test_stance_all),  cmocka_unit_test(test_stance_all_repair),
        cmocka_unit_test(test_stance_each), cmocka_unit_test(test_gpv),
        cmocka_unit_test(test_gpv_repair),  cmocka_unit_test(test_nonsense_judge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
