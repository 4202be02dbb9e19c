/* The built-in item banks: builtin:schwartz and builtin:mft. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "valscope/instrument.h"

static struct vsc_instrument *load(const char *name)
{
    struct vsc_instrument *ins = NULL;
    struct vsc_diag d = {0};
    int rc = vsc_instrument_load(&ins, "builtin", name, NULL, &d);
    if (rc) print_error("%s:%d:%d: %s\n", d.file, d.line, d.col, d.msg);
    assert_int_equal(rc, 0);
    return ins;
}

/* Counts items per dimension of `vs`, and reverse-keyed ones; fails on an unknown dimension. */
static void count(const struct vsc_instrument *ins, const struct vsc_value_system *vs, size_t *n,
                  size_t *n_rev)
{
    for (size_t i = 0; i < ins->n_items; i++) {
        int k = vsc_value_system_find(vs, ins->items[i].dimension);
        assert_true(k >= 0);
        n[k]++;
        if (ins->items[i].key == -1)
            n_rev[k]++;
        else
            assert_int_equal(ins->items[i].key, 1);
        assert_true(strlen(ins->items[i].text) > 20);
    }
}

static void test_schwartz(void **state)
{
    (void)state;
    struct vsc_instrument *ins = load("schwartz");
    struct vsc_value_system *vs = NULL;
    assert_int_equal(vsc_value_system_builtin(&vs, "schwartz", NULL), 0);
    assert_string_equal(ins->id, "builtin:schwartz");
    assert_string_equal(ins->system, "schwartz");
    assert_int_equal(ins->centre, 1);
    assert_int_equal(ins->n_options, 6);
    assert_string_equal(ins->options[0].label, "Not like me at all");
    assert_string_equal(ins->options[5].label, "Very much like me");
    for (size_t i = 0; i < 6; i++)
        assert_true(fabs(ins->options[i].value - (double)(i + 1)) < 1e-9);
    size_t n[10] = {0}, rev[10] = {0};
    count(ins, vs, n, rev);
    for (size_t k = 0; k < 10; k++) {
        if (n[k] < 6 || rev[k] < 1 || rev[k] > 2)
            print_error("%s: %zu items, %zu reversed\n", vs->dims[k].id, n[k], rev[k]);
        assert_true(n[k] >= 6);
        assert_true(rev[k] >= 1 && rev[k] <= 2);
    }
    assert_int_equal(ins->n_groups, 4);
    static const char *const want[4][4] = {
        {"openness", "self-direction", "stimulation", "hedonism"},
        {"self-enhancement", "achievement", "power", NULL},
        {"conservation", "security", "conformity", "tradition"},
        {"self-transcendence", "benevolence", "universalism", NULL},
    };
    for (size_t g = 0; g < 4; g++) {
        assert_string_equal(ins->groups[g].id, want[g][0]);
        size_t nd = want[g][3] ? 3 : 2;
        assert_int_equal(ins->groups[g].n_dims, nd);
        assert_int_equal(ins->groups[g].n_items, 0);
        for (size_t j = 0; j < nd; j++)
            assert_string_equal(ins->groups[g].dims[j], want[g][j + 1]);
    }
    long k = vsc_instrument_find_item(ins, "un6");
    assert_true(k >= 0);
    assert_string_equal(ins->items[k].dimension, "universalism");
    assert_int_equal(ins->items[k].key, -1);

    char *m = NULL;
    assert_int_equal(vsc_instrument_render(&m, ins, 0, NULL, NULL), 0);
    json_t *j = json_loads(m, 0, NULL);
    assert_int_equal(json_array_size(j), 1);
    const char *content = json_string_value(json_object_get(json_array_get(j, 0), "content"));
    assert_non_null(strstr(content, "\"Being free to choose what they do matters a lot"));
    assert_non_null(strstr(content, "\nA. Not like me at all\nB. Not like me\n"));
    assert_non_null(strstr(content, "\nF. Very much like me\n"));
    json_decref(j);
    free(m);
    vsc_value_system_free(vs);
    vsc_instrument_free(ins);
}

static void test_mft(void **state)
{
    (void)state;
    struct vsc_instrument *ins = load("mft");
    struct vsc_value_system *vs = NULL;
    assert_int_equal(vsc_value_system_builtin(&vs, "mft", NULL), 0);
    assert_string_equal(ins->system, "mft");
    assert_int_equal(ins->centre, 0);
    assert_int_equal(ins->n_options, 6);
    size_t n[6] = {0}, rev[6] = {0};
    count(ins, vs, n, rev);
    for (size_t k = 0; k < 6; k++) {
        assert_true(n[k] >= 4);
        assert_true(rev[k] >= 1);
    }
    assert_int_equal(ins->n_items, 24);
    vsc_value_system_free(vs);
    vsc_instrument_free(ins);
}

static void test_unknown(void **state)
{
    (void)state;
    struct vsc_instrument *ins = (void *)1;
    struct vsc_diag d = {0};
    assert_int_equal(vsc_instrument_load(&ins, "builtin", "pvq", NULL, &d), VSC_ERR_NOTFOUND);
    assert_null(ins);
    assert_non_null(strstr(d.msg, "'pvq'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schwartz),
        cmocka_unit_test(test_mft),
        cmocka_unit_test(test_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
