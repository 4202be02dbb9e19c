/* The persona sampler: determinism, attribute frequencies against the configured
 * distributions (chi-square, fixed seed), templates and the JSONL loader. */
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
#include "roleplay/rp_math.h"
#include "support/testutil.h"

static void test_chisq_cdf(void **state)
{
    (void)state;
    /* textbook critical values and closed forms */
    assert_near(rp_chisq_sf(3.841458820694124, 1), 0.05, 1e-9);
    assert_near(rp_chisq_sf(18.307038053275146, 10), 0.05, 1e-9);
    assert_near(rp_chisq_sf(2.0, 2), exp(-1.0), 1e-12);
    assert_near(rp_chisq_sf(0.0, 3), 1.0, 1e-12);
    assert_near(rp_chisq_sf(100.0, 60), 0.00091682886145, 1e-12); /* series in double */
    assert_near(rp_gamma_p(1.0, 2.0), 1 - exp(-2.0), 1e-12);
    double counts[] = {30, 10}, probs[] = {0.5, 0.5}, p;
    assert_near(rp_chisq_gof(counts, probs, 2, &p), 10.0, 1e-12);
    assert_near(p, 0.001565402258, 1e-10);
}

static void test_same_seed_same_personas(void **state)
{
    (void)state;
    for (int i = 0; i < 50; i++) {
        struct persona a, b, c;
        assert_int_equal(persona_sample(&a, 11, i, NULL), 0);
        assert_int_equal(persona_sample(&b, 11, i, NULL), 0);
        assert_int_equal(persona_sample(&c, 21, i, NULL), 0);
        assert_string_equal(a.text, b.text);
        assert_string_equal(a.attrs_json, b.attrs_json);
        assert_string_equal(a.id, b.id);
        if (i == 42) assert_string_equal(a.id, "s11-p0042");
        /* 12 attributes: two seeds agreeing on all of them 50 times is not chance */
        if (i < 3) assert_string_not_equal(a.attrs_json, c.attrs_json);
        persona_clear(&a);
        persona_clear(&b);
        persona_clear(&c);
    }
}

static void test_attrs_and_text(void **state)
{
    (void)state;
    struct persona p;
    assert_int_equal(persona_sample(&p, 1, 0, NULL), 0);
    json_t *a = json_loads(p.attrs_json, 0, NULL);
    assert_non_null(a);
    assert_int_equal(json_object_size(a), persona_attr_count());
    json_int_t age = json_integer_value(json_object_get(a, "age"));
    assert_true(age >= 20 && age <= 80);
    char want[32];
    snprintf(want, sizeof want, "You are a %d-year-old", (int)age);
    assert_true(strncmp(p.text, want, strlen(want)) == 0);
    assert_null(strchr(p.text, '{'));
    json_decref(a);
    persona_clear(&p);

    assert_int_equal(persona_sample(&p, 1, 0, "I am {{{age}}} and {religion}."), 0);
    assert_non_null(strstr(p.text, "I am {"));
    persona_clear(&p);

    struct vsc_diag d = {0};
    assert_int_equal(persona_template_check("A {age} {favourite_colour}", &d), VSC_ERR_INPUT);
    assert_non_null(strstr(d.msg, "favourite_colour"));
    assert_int_equal(d.col, 9);
    assert_int_equal(persona_template_check("A {age", &d), VSC_ERR_INPUT);
    assert_int_equal(persona_template_check(NULL, &d), 0);
    assert_int_equal(persona_sample(&p, 1, 0, "{nope}"), VSC_ERR_INPUT);
    assert_int_equal(persona_sample(&p, 1, -1, NULL), VSC_ERR_INPUT);
}

/* 5000 personas of seed 7: every attribute's level counts against its table. */
static void test_frequencies_chi_square(void **state)
{
    (void)state;
    enum { N_PERSONAS = 5000 };
    size_t n_attr = persona_attr_count();
    double *counts[16] = {0};
    assert_true(n_attr <= 16);
    for (size_t a = 0; a < n_attr; a++) {
        const char *name;
        size_t nl;
        assert_int_equal(persona_attr_info(a, &name, &nl), 0);
        counts[a] = calloc(nl, sizeof(double));
    }
    size_t levels[16];
    for (int i = 0; i < N_PERSONAS; i++) {
        assert_int_equal(persona_sample_levels(levels, 7, i), 0);
        for (size_t a = 0; a < n_attr; a++)
            counts[a][levels[a]]++;
    }
    for (size_t a = 0; a < n_attr; a++) {
        const char *name, *id;
        size_t nl;
        persona_attr_info(a, &name, &nl);
        double probs[64], psum = 0, p;
        assert_true(nl <= 64);
        for (size_t l = 0; l < nl; l++) {
            assert_int_equal(persona_level_info(a, l, &id, &probs[l]), 0);
            psum += probs[l];
        }
        assert_near(psum, 1.0, 1e-12);
        double chi = rp_chisq_gof(counts[a], probs, nl, &p);
        if (p < 0.001) fail_msg("%s: chi2 = %.2f on %zu df, p = %.2g", name, chi, nl - 1, p);
        /* the check can fail: the same counts against uniform levels are rejected, for
         * every attribute whose table is not uniform */
        double uni[64];
        int uniform = 1;
        for (size_t l = 0; l < nl; l++) {
            uni[l] = 1.0 / (double)nl;
            if (fabs(probs[l] - uni[l]) > 1e-9) uniform = 0;
        }
        if (!uniform) {
            rp_chisq_gof(counts[a], uni, nl, &p);
            if (p > 1e-6) fail_msg("%s: uniform not rejected (p = %.2g)", name, p);
        }
        free(counts[a]);
    }
    const char *name;
    size_t nl;
    assert_int_equal(persona_attr_info(n_attr, &name, &nl), VSC_ERR_NOTFOUND);
}

static void test_load_file(void **state)
{
    (void)state;
    struct persona *ps = NULL;
    size_t n = 0;
    struct vsc_diag d = {0};
    int rc = persona_load_file(&ps, &n, "tests/data/roleplay/personas.jsonl",
                               "A {age}-year-old {sex}, {religion}, {children}, from "
                               "{country_of_birth}.",
                               &d);
    if (rc) fail_msg("load: %s", d.msg);
    assert_int_equal(n, 2);
    assert_string_equal(ps[0].id, "p1");
    assert_string_equal(ps[0].text, "You are a retired lighthouse keeper.");
    assert_string_equal(ps[1].id, "2");
    assert_string_equal(ps[1].text,
                        "A 41-year-old woman, not religious, two children, from Kenya.");
    json_t *a = json_loads(ps[1].attrs_json, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(a, "religion")), "none");
    assert_null(json_object_get(a, "id"));
    json_decref(a);
    for (size_t i = 0; i < n; i++)
        persona_clear(&ps[i]);
    free(ps);

    /* a slot the persona lacks names the line */
    rc = persona_load_file(&ps, &n, "tests/data/roleplay/personas.jsonl", "{occupation}", &d);
    assert_int_equal(rc, VSC_ERR_INPUT);
    assert_int_equal(d.line, 3);
    assert_non_null(strstr(d.msg, "occupation"));
    /* a slot whose value passes the 1 MiB cap says so (not "unknown slot") */
    {
        char path[] = "/tmp/vsc-persona-big-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        FILE *f = fdopen(fd, "w");
        fputs("{\"id\": \"p1\", \"motto\": \"", f);
        for (int i = 0; i < (1 << 20) + 10; i++) fputc('x', f);
        fputs("\"}\n", f);
        fclose(f);
        rc = persona_load_file(&ps, &n, path, "Motto: {motto}", &d);
        unlink(path);
        assert_int_equal(rc, VSC_ERR_INPUT);
        assert_non_null(strstr(d.msg, "longer than the cap of 1048576 bytes"));
        assert_null(strstr(d.msg, "unknown slot"));
    }
    /* a persona without text: tests/data/bad/personas/ (test_bad_inputs) */
    rc = persona_load_file(&ps, &n, "tests/data/roleplay/no-such-file.jsonl", NULL, &d);
    assert_int_equal(rc, VSC_ERR_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chisq_cdf),      cmocka_unit_test(test_same_seed_same_personas),
        cmocka_unit_test(test_attrs_and_text), cmocka_unit_test(test_frequencies_chi_square),
        cmocka_unit_test(test_load_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
