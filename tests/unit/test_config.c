/* Config parsing: a good file read field by field. Bad configs are cases of
 * tests/data/bad/config/ (test_bad_inputs). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "valscope/config.h"

#define DIR_CFG "tests/data/config"

static void good_config(void **state)
{
    struct vsc_config *c = NULL;
    struct vsc_diag d = {0};
    int rc = vsc_config_load(&c, DIR_CFG "/good.yaml", &d);
    if (rc) fprintf(stderr, "%s:%d:%d %s\n", d.file, d.line, d.col, d.msg);
    assert_int_equal(rc, 0);
    assert_string_equal(c->store, "results.db");
    assert_string_equal(c->run_name, "good");
    assert_int_equal(c->n_models, 2);
    assert_string_equal(c->models[0].name, "m1");
    assert_string_equal(c->models[0].backend, "openai");
    assert_int_equal(c->models[0].n_base_urls, 1);
    assert_string_equal(c->models[0].base_urls[0], "http://127.0.0.1:8000/v1");
    assert_string_equal(c->models[0].model, "served-model-name");
    assert_string_equal(c->models[0].api_key_env, "OPENAI_API_KEY");
    assert_int_equal(c->models[0].concurrency, 64);
    assert_int_equal(c->models[1].n_base_urls, 2);
    assert_string_equal(c->models[1].base_urls[1], "http://127.0.0.1:8002/v1");
    assert_true(c->models[1].rpm > 599.9 && c->models[1].rpm < 600.1);
    assert_int_equal(c->models[1].concurrency, 16); /* default */
    assert_int_equal(c->n_instruments, 2);
    assert_string_equal(c->instruments[0].kind, "prompts");
    assert_string_equal(c->instruments[0].arg, "prompts.jsonl");
    assert_string_equal(c->instruments[1].kind, "builtin");
    assert_non_null(strstr(c->instruments[1].options_json, "\"option_order\":\"reversed\""));
    assert_int_equal(c->samples, 3);
    assert_string_equal(c->params_json, "{\"max_tokens\":16,\"seed\":1,\"temperature\":0}");
    assert_int_equal(c->max_attempts, 5);
    vsc_config_free(c);
}

/* Each backend declares its keys: the sim text agents' keys load on a sim model (they were
 * once refused as unknown), and tests/data/bad/config/sim_key_on_openai.yaml shows them refused on
 * openai. */
static void sim_agent_keys(void **state)
{
    struct vsc_config *c = NULL;
    struct vsc_diag d = {0};
    int rc = vsc_config_load(&c, DIR_CFG "/sim_agents.yaml", &d);
    if (rc) fprintf(stderr, "%s:%d:%d %s\n", d.file, d.line, d.col, d.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(c->n_models, 2);
    assert_string_equal(c->models[0].backend, "sim");
    assert_string_equal(c->models[0].options_json,
                        "{\"backend\":\"sim\",\"name\":\"gen\",\"role\":\"generator\","
                        "\"seed\":7,\"temptations\":[\"shortcut\",\"bribe\"],"
                        "\"values\":[\"care\",\"fairness\"],\"violation_base\":-2,"
                        "\"violation_marker\":\"[VIOLATION]\",\"violation_slope\":0.5}");
    assert_string_equal(c->models[1].options_json,
                        "{\"backend\":\"sim\",\"extractor_noise\":0.25,\"judge_noise\":0.5,"
                        "\"name\":\"ext\",\"role\":\"extractor\",\"value_system\":\"schwartz\"}");
    vsc_config_free(c);
}

static void env_defaults(void **state)
{
    const char *text = "models: [{name: m, backend: openai, model: x}]\n"
                       "instruments: [builtin: schwartz]\n";
    struct vsc_config *c = NULL;
    struct vsc_diag d = {0};
    assert_int_equal(vsc_config_parse(&c, text, strlen(text), "env.yaml", &d), 0);
    setenv("OPENAI_BASE_URL", "http://127.0.0.1:9999/v1", 1);
    vsc_config_apply_env(c);
    assert_int_equal(c->models[0].n_base_urls, 1);
    assert_string_equal(c->models[0].base_urls[0], "http://127.0.0.1:9999/v1");
    assert_string_equal(c->models[0].api_key_env, "OPENAI_API_KEY");
    unsetenv("OPENAI_BASE_URL");
    vsc_config_free(c);
}

static void instrument_string_form(void **state)
{
    const char *text = "models: [{name: m, backend: sim}]\n"
                       "instruments: [\"valuebench:vo.csv#PVQ40\"]\n";
    struct vsc_config *c = NULL;
    struct vsc_diag d = {0};
    assert_int_equal(vsc_config_parse(&c, text, strlen(text), "s.yaml", &d), 0);
    assert_string_equal(c->instruments[0].kind, "valuebench");
    assert_string_equal(c->instruments[0].arg, "vo.csv#PVQ40");
    vsc_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_config),
        cmocka_unit_test(sim_agent_keys),
        cmocka_unit_test(env_defaults),
        cmocka_unit_test(instrument_string_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
