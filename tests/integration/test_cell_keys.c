/* The cell contract keeps stored stores valid: the cache keys of every kind of planned cell
 * (questionnaire items in text and logprobs mode with rotated, reversed and shuffled options
 * under baseline, system-prompt and sampled-persona conditions, utility pairs over two rounds,
 * lean and stance judge cells) are compared, as one digest, with the keys the
 * planner wrote before the cell contract had one owner (src/plan/cell.c). A changed digest means
 * every existing store would be asked again.
 *
 * The run's params reach judge calls: a judge cell's stored request body carries them, below
 * the judge's own temperature 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/testserver.h"
#include "support/testutil.h"
#include "util/util.h"
#include "valscope/run.h"

static char dir[64];

static void reply_cb(const char *body, size_t len, int attempt, struct ts_reply *out, void *payload)
{
    (void)attempt, (void)payload;
    json_t *b = json_loadb(body, len, 0, NULL);
    const char *model = json_string_value(json_object_get(b, "model"));
    if (model && !strcmp(model, "judge-model")) {
        free(out->text);
        out->text = strdup("{\"rating\": 7}");
    }
    json_decref(b);
}

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/vsc-cellkeys-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return tu_rmrf(dir);
}

/* SHA-256 of every cell's "run\tmodel\tinstrument\titem\tcondition\tsample\tkey\n", in that
 * order; `n` receives the number of cells. */
static void keys_digest(char out[65], int *n, const char *db)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h,
                                        "SELECT r.name, c.model, c.instrument, c.item, c.condition,"
                                        " c.sample, c.key FROM cells c JOIN runs r ON r.id ="
                                        " c.run_id ORDER BY 1, 2, 3, 4, 5, 6",
                                        -1, &st, NULL),
                     SQLITE_OK);
    struct sha256_ctx c;
    sha256_init(&c);
    *n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int i = 0; i < 7; i++) {
            const char *v = (const char *)sqlite3_column_text(st, i);
            sha256_update(&c, v ? v : "", v ? strlen(v) : 0);
            sha256_update(&c, i < 6 ? "\t" : "\n", 1);
        }
        (*n)++;
    }
    sha256_final_hex(&c, out);
    sqlite3_finalize(st);
    sqlite3_close(h);
}

/* How many cells `where` selects. */
static int count_cells(const char *db, const char *where)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    char *sql = xasprintf("SELECT count(*) FROM cells WHERE %s", where);
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    free(sql);
    return n;
}

/* The stored body of the first cell of `model`, malloc'd. */
static char *first_body(const char *db, const char *model)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(h, "SELECT body FROM cells WHERE model = ? ORDER BY id LIMIT 1", -1, &st,
                           NULL),
        SQLITE_OK);
    sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    char *body = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(h);
    return body;
}

static void write_outcomes(const char *path)
{
    tu_write_file(path, "{\"world\": [\"It rains.\", \"It snows.\", \"The sun shines.\", "
                        "\"Fog rolls in.\", \"A storm passes.\"]}\n");
}

static const char MODELS[] =
    "models:\n"
    "  - {name: m1, backend: openai, base_url: %s, model: probe-model, api_key_env: VSC_TEST_KEY}\n"
    "  - {name: \"m|2\", backend: openai, base_url: %s, model: other, api_key_env: VSC_TEST_KEY}\n"
    "judges:\n"
    "  - {name: j1, backend: openai, base_url: %s, model: judge-model, api_key_env: "
    "VSC_TEST_KEY}\n";

/* A test server answering probes with a hash of the request and the judge with a rating. */
static struct ts_server *start_server(void)
{
    setenv("VSC_TEST_KEY", "sk-cell", 1);
    struct ts_config tc = {.answer_mode = TS_ANSWER_HASH, .reply = reply_cb};
    struct ts_server *ts = ts_start(&tc);
    assert_non_null(ts);
    return ts;
}

/* Writes `head` plus the models and judges at `ts` as config `path` and runs it. */
static void run_config(const char *path, const char *head, const struct ts_server *ts)
{
    tu_write_file(path, "%s", head);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fprintf(f, MODELS, ts_url(ts), ts_url(ts), ts_url(ts));
    fclose(f);
    tu_run_config(path, NULL);
}

static void test_keys_unchanged(void **state)
{
    (void)state;
    struct ts_server *ts = start_server();
    char cwd[512], path[128], db[128], outcomes[128];
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(db, sizeof db, "%s/keys.db", dir);
    snprintf(outcomes, sizeof outcomes, "%s/outcomes.json", dir);
    write_outcomes(outcomes);

    /* items and utility pairs under the run's params */
    snprintf(path, sizeof path, "%s/items.yaml", dir);
    char *head =
        xasprintf("run: items\nstore: %s\nsamples: 2\n"
                  "params: {temperature: 0.5, seed: 3, max_tokens: 8}\n"
                  "conditions: {baseline: true, system_prompts: {\"terse|odd\": Be terse.}, "
                  "personas: 2, persona_seeds: [1, 7]}\n"
                  "instruments:\n"
                  "  - {file: %s/tests/data/score/mini.yaml, name: mini, answer_mode: logprobs, "
                  "option_order: rotated, shuffle: 5}\n"
                  "  - {file: %s/tests/data/score/mini.yaml, name: again, option_order: reversed,"
                  " repeats: 2}\n"
                  "  - {utility: outcomes.json, max_pairs: 7, initial_degree: 2, batch: 2}\n",
                  db, cwd, cwd);
    run_config(path, head, ts);
    free(head);

    /* judge cells (lean, stance) of a run without params */
    snprintf(path, sizeof path, "%s/judged.yaml", dir);
    head = xasprintf("run: judged\nstore: %s\n"
                     "instruments:\n"
                     "  - {probes: builtin:schwartz, protocol: lean, judge: j1}\n"
                     "  - {probes: builtin:schwartz, name: st, protocol: stance, judge: j1}\n",
                     db);
    run_config(path, head, ts);
    free(head);

    char digest[65];
    int n = 0;
    keys_digest(digest, &n, db);
    /* every kind of cell is in the digest */
    assert_int_equal(count_cells(db, "model = 'j1'"), 2 * 2 * 100);
    assert_int_equal(count_cells(db, "instrument LIKE 'utility:%'"), 56);
    assert_int_equal(count_cells(db, "meta LIKE '%\"round\":1%'"), 16);
    assert_int_equal(count_cells(db, "condition LIKE 'persona:%'"), 336);
    assert_int_equal(n, 1360);
    /* the keys of the planner as it was before src/plan/cell.c */
    assert_string_equal(digest, "1e9789b323c7fc149b3ab43ed0441d7e170bd7713fa46e7338d063eb4b6bf7f9");
    ts_stop(ts);
}

/* The run's params reach judge calls, under the judge's own temperature 0. */
static void test_judge_gets_params(void **state)
{
    (void)state;
    struct ts_server *ts = start_server();
    char path[128], db[128];
    snprintf(db, sizeof db, "%s/params.db", dir);
    snprintf(path, sizeof path, "%s/params.yaml", dir);
    char *head = xasprintf("run: params\nstore: %s\n"
                           "params: {seed: 9, top_p: 0.5, temperature: 0.9, max_tokens: 8}\n"
                           "instruments:\n"
                           "  - {probes: builtin:schwartz, protocol: lean, judge: j1}\n",
                           db);
    run_config(path, head, ts);
    free(head);
    char *body = first_body(db, "j1");
    json_t *b = json_loads(body, 0, NULL);
    assert_non_null(b);
    assert_string_equal(json_string_value(json_object_get(b, "model")), "judge-model");
    assert_int_equal(json_integer_value(json_object_get(b, "seed")), 9);
    assert_near(json_real_value(json_object_get(b, "top_p")), 0.5, 1e-12);
    assert_true(json_is_integer(json_object_get(b, "temperature")));
    assert_int_equal(json_integer_value(json_object_get(b, "temperature")), 0);
    /* a run's one-letter max_tokens would cut the judge's JSON short */
    assert_null(json_object_get(b, "max_tokens"));
    json_decref(b);
    free(body);
    /* the probe calls keep the run's temperature */
    body = first_body(db, "m1");
    b = json_loads(body, 0, NULL);
    assert_near(json_real_value(json_object_get(b, "temperature")), 0.9, 1e-12);
    json_decref(b);
    free(body);
    ts_stop(ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keys_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_judge_gets_params, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
