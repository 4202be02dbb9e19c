/* The report: escaping, and a report built from a simulated run whose model name and system
 * prompt carry HTML payloads, checked for escaping, sections and tidy exports. */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/testutil.h"
#include "valscope/config.h"
#include "valscope/report.h"
#include "valscope/run.h"

static void check_escape(const char *in, const char *want)
{
    char *got = vsc_html_escape(in);
    assert_non_null(got);
    if (strcmp(got, want)) fail_msg("escape(\"%s\") = \"%s\", expected \"%s\"", in, got, want);
    free(got);
}

static void test_escape(void **state)
{
    (void)state;
    check_escape("plain text", "plain text");
    check_escape("<script>alert('x')</script>", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
    check_escape("\" onerror=\"alert(1)", "&quot; onerror=&quot;alert(1)");
    check_escape("a&b &amp;", "a&amp;b &amp;amp;");
    check_escape("tab\tnew\nline", "tab\tnew\nline");
    check_escape("bell\x07"
                 "cr\r",
                 "bell\xef\xbf\xbd"
                 "cr\xef\xbf\xbd");
    check_escape("caf\xc3\xa9 \xe2\x80\x94", "caf\xc3\xa9 \xe2\x80\x94"); /* valid UTF-8 kept */
    check_escape("bad \xff\xfe byte", "bad \xef\xbf\xbd\xef\xbf\xbd byte");
    check_escape("<\xc3", "&lt;\xef\xbf\xbd"); /* truncated sequence */
    check_escape("", "");
}

struct fixture {
    char dir[64];
    char store[128];
};

/* A run of two simulated models with payloads in a model name and a system prompt. */
static const char CONFIG[] = "run: esc\n"
                             "store: %s\n"
                             "models:\n"
                             "  - name: \"sim-a<script>document.title='PWNED'</script>\"\n"
                             "    backend: sim\n"
                             "    seed: 1\n"
                             "    profile: {benevolence: 1.5, power: -1.5, care: 1.0}\n"
                             "  - name: \"sim-b<img src=x onerror=alert(1)>\"\n"
                             "    backend: sim\n"
                             "    seed: 2\n"
                             "    profile: {power: 1.5, achievement: 1.0}\n"
                             "instruments:\n"
                             "  - builtin: schwartz\n"
                             "    repeats: 2\n"
                             "  - builtin: mft\n"
                             "    repeats: 2\n"
                             "conditions: {baseline: true, system_prompts: {formal: \"Be "
                             "formal.</pre><script>x()</script>\"}}\n"
                             "samples: 1\n"
                             "params: {temperature: 0.7, max_tokens: 8, seed: 1}\n";

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/vsc-report-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->store, sizeof(f->store), "%s/s.db", f->dir);
    char text[4096];
    snprintf(text, sizeof(text), CONFIG, f->store);
    struct vsc_config *cfg = NULL;
    struct vsc_diag d = {0};
    if (vsc_config_parse(&cfg, text, strlen(text), "esc.yaml", &d)) {
        fprintf(stderr, "config: %d:%d %s\n", d.line, d.col, d.msg);
        return -1;
    }
    struct vsc_progress pr;
    int rc = vsc_run(&pr, cfg, NULL, &d);
    vsc_config_free(cfg);
    if (rc) {
        fprintf(stderr, "run: %s\n", d.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (tu_rmrf(f->dir)) return -1;
    free(f);
    return 0;
}

static void test_report_escaped(void **state)
{
    struct fixture *f = *state;
    struct vsc_store *st = NULL;
    assert_int_equal(vsc_store_open(&st, f->store), 0);
    struct vsc_report *rep = NULL;
    struct vsc_diag d = {0};
    struct vsc_report_opts o = {.compare = {.n_boot = 200, .seed = 3},
                                .score = {.n_boot = 200, .seed = 3},
                                .title = "Report <b>title</b>"};
    assert_int_equal(vsc_report_build(&rep, st, &o, &d), 0);
    char *html = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&html, &len);
    assert_int_equal(vsc_report_write_html(fp, rep), 0);
    fclose(fp);
    /* No live markup from the payloads, and no script element at all. */
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "<img"));
    assert_null(strstr(html, "<b>title"));
    assert_null(strstr(html, "</pre><script"));
    assert_non_null(
        strstr(html, "sim-a&lt;script&gt;document.title=&#39;PWNED&#39;&lt;/script&gt;"));
    assert_non_null(strstr(html, "sim-b&lt;img src=x onerror=alert(1)&gt;"));
    assert_non_null(strstr(html, "Be formal.&lt;/pre&gt;&lt;script&gt;x()&lt;/script&gt;"));
    /* Self-contained: nothing to fetch. */
    assert_null(strstr(html, "http://"));
    assert_null(strstr(html, "https://"));
    assert_null(strstr(html, "src=\""));
    assert_null(strstr(html, "url("));
    const char *sections[] = {"<h2>Summary</h2>",
                              "<h2>Leaderboard</h2>",
                              "<h2>Schwartz value profiles</h2>",
                              "<h2>The Schwartz circle</h2>",
                              "<h2>Other value systems</h2>",
                              "<h2>Alignment to targets</h2>",
                              "<h2>Drift</h2>",
                              "<h2>Data quality</h2>",
                              "<h2>Configuration and version</h2>",
                              ("valscope " VSC_VERSION)};
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
        if (!strstr(html, sections[i])) fail_msg("missing '%s'", sections[i]);
    /* Charts were drawn: radar paths with CI bands, error bars, drift dots. */
    assert_non_null(strstr(html, "fill-rule=\"evenodd\""));
    assert_non_null(strstr(html, "<rect"));
    assert_non_null(strstr(html, "condition: baseline &#8594; formal"));
    free(html);

    /* JSON: tidy rows; the scores carry numbers. */
    char *js = NULL;
    fp = open_memstream(&js, &len);
    assert_int_equal(vsc_report_write_json(fp, rep), 0);
    fclose(fp);
    json_error_t err;
    json_t *root = json_loads(js, 0, &err);
    assert_non_null(root);
    json_t *rows = json_object_get(root, "rows");
    size_t i, n_mean = 0, n_drift = 0;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        const char *sec = json_string_value(json_object_get(row, "section"));
        const char *metric = json_string_value(json_object_get(row, "metric"));
        if (!strcmp(sec, "scores") && !strcmp(metric, "mean") &&
            json_is_real(json_object_get(row, "value")))
            n_mean++;
        if (!strcmp(sec, "drift") && !strcmp(metric, "diff")) n_drift++;
    }
    /* 2 models x 2 conditions x (10 values + 4 groups + 6 foundations), all scored. */
    assert_int_equal(n_mean, 2 * 2 * (10 + 4 + 6));
    /* baseline -> formal for each model x instrument. */
    assert_int_equal(n_drift, 2 * (10 + 4 + 6));
    json_decref(root);
    free(js);

    /* CSV: one file per section with the shared header. */
    assert_int_equal(vsc_report_write_csv(rep, f->dir, &d), 0);
    char path[200], line[400];
    snprintf(path, sizeof(path), "%s/leaderboard.csv", f->dir);
    fp = fopen(path, "r");
    assert_non_null(fp);
    assert_non_null(fgets(line, sizeof(line), fp));
    assert_string_equal(line, "section,model,run,condition,instrument,system,kind,dimension,"
                              "target,contrast,metric,value,ci_low,ci_high\n");
    size_t n_lines = 0;
    while (fgets(line, sizeof(line), fp))
        n_lines++;
    fclose(fp);
    /* 2 models x 2 conditions x 20 dimensions x 4 metrics */
    assert_int_equal(n_lines, 2 * 2 * 20 * 4);
    vsc_report_free(rep);
    vsc_store_free(st);
}

static void test_report_targets(void **state)
{
    struct fixture *f = *state;
    struct vsc_store *st = NULL;
    assert_int_equal(vsc_store_open(&st, f->store), 0);
    char good[200], bad[200];
    snprintf(good, sizeof(good), "%s/good.yaml", f->dir);
    snprintf(bad, sizeof(bad), "%s/bad.yaml", f->dir);
    tu_write_file(good, "id: \"t<i>1</i>\"\nsystem: schwartz\nscores: {benevolence: 1, power: -1, "
                        "achievement: 0.5}\n");
    tu_write_file(bad, "id: t2\nsystem: schwartz\nscores: {benevolense: 1}\n");

    const char *paths[] = {good, bad};
    struct vsc_report_opts o = {.target_paths = paths,
                                .n_targets = 2,
                                .compare = {.n_boot = 100},
                                .score = {.n_boot = 100}};
    struct vsc_report *rep = NULL;
    struct vsc_diag d = {0};
    assert_int_equal(vsc_report_build(&rep, st, &o, &d), VSC_ERR_INPUT);
    assert_null(rep);
    assert_non_null(strstr(d.file, "bad.yaml"));
    assert_int_equal(d.line, 3);

    o.n_targets = 1;
    assert_int_equal(vsc_report_build(&rep, st, &o, &d), 0);
    char *html = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&html, &len);
    assert_int_equal(vsc_report_write_html(fp, rep), 0);
    fclose(fp);
    assert_null(strstr(html, "<i>1"));
    assert_non_null(strstr(html, "t&lt;i&gt;1&lt;/i&gt;"));
    assert_non_null(strstr(html, "<h3>All metrics</h3>"));
    free(html);
    vsc_report_free(rep);
    vsc_store_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test_setup_teardown(test_report_escaped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_targets, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
