/* Value systems: the built-ins and users' files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "valscope/instrument.h"

#define DATA "tests/data/instruments/valuesys/"

static struct vsc_value_system *builtin(const char *id)
{
    struct vsc_value_system *vs = NULL;
    struct vsc_diag d = {0};
    int rc = vsc_value_system_builtin(&vs, id, &d);
    if (rc) print_error("builtin %s: %s\n", id, d.msg);
    assert_int_equal(rc, 0);
    assert_non_null(vs);
    return vs;
}

static void test_builtin_counts(void **state)
{
    (void)state;
    static const struct {
        const char *id;
        size_t n;
    } want[] = {{"schwartz", 10}, {"schwartz_ho", 4}, {"schwartz19", 19},
                {"mft", 6},       {"bigfive", 5},     {"hofstede", 6}};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        struct vsc_value_system *vs = builtin(want[i].id);
        assert_string_equal(vs->id, want[i].id);
        assert_int_equal(vs->n_dims, want[i].n);
        for (size_t k = 0; k < vs->n_dims; k++) {
            assert_non_null(vs->dims[k].name);
            assert_true(strlen(vs->dims[k].description) > 10);
        }
        vsc_value_system_free(vs);
    }
    struct vsc_value_system *vs = (void *)1;
    struct vsc_diag d = {0};
    assert_int_equal(vsc_value_system_builtin(&vs, "nope", &d), VSC_ERR_NOTFOUND);
    assert_null(vs);
    assert_non_null(strstr(d.msg, "nope"));
}

/* Every parent link lands in the next level up: 19 -> 10 -> 4. */
static void test_schwartz_hierarchy(void **state)
{
    (void)state;
    struct vsc_value_system *s10 = builtin("schwartz"), *s4 = builtin("schwartz_ho"),
                            *s19 = builtin("schwartz19"), *mft = builtin("mft");
    for (size_t i = 0; i < s10->n_dims; i++) {
        assert_non_null(s10->dims[i].parent);
        assert_true(vsc_value_system_find(s4, s10->dims[i].parent) >= 0);
        assert_int_equal(s10->dims[i].order, (int)i);
    }
    for (size_t i = 0; i < s19->n_dims; i++) {
        assert_non_null(s19->dims[i].parent);
        assert_true(vsc_value_system_find(s10, s19->dims[i].parent) >= 0);
    }
    int u = vsc_value_system_find(s10, "universalism");
    assert_int_equal(u, 9);
    assert_string_equal(s10->dims[u].parent, "self-transcendence");
    assert_string_equal(s10->dims[vsc_value_system_find(s10, "hedonism")].parent, "openness");
    assert_string_equal(s10->dims[vsc_value_system_find(s10, "tradition")].parent, "conservation");
    assert_string_equal(s19->dims[vsc_value_system_find(s19, "humility")].parent, "tradition");
    assert_int_equal(vsc_value_system_find(s10, "Universalism"), -1);
    assert_int_equal(vsc_value_system_find(mft, "liberty"), 5);
    assert_int_equal(mft->dims[0].order, -1);
    assert_null(mft->dims[0].parent);
    vsc_value_system_free(s10);
    vsc_value_system_free(s4);
    vsc_value_system_free(s19);
    vsc_value_system_free(mft);
}

static void test_user_file(void **state)
{
    (void)state;
    struct vsc_value_system *vs = NULL;
    struct vsc_diag d = {0};
    assert_int_equal(vsc_value_system_load(&vs, DATA "good.yaml", &d), 0);
    assert_string_equal(vs->id, "garden");
    assert_int_equal(vs->n_dims, 3);
    assert_string_equal(vs->dims[1].id, "order");
    assert_string_equal(vs->dims[1].name, "order"); /* defaults to the id */
    assert_string_equal(vs->dims[1].parent, "structure");
    assert_int_equal(vs->dims[1].order, 1);
    assert_int_equal(vs->dims[2].order, 7);
    assert_string_equal(vs->dims[2].description, "");
    vsc_value_system_free(vs);
}

static void test_absent_file(void **state)
{
    (void)state;
    struct vsc_value_system *vs = NULL;
    struct vsc_diag d = {0};
    assert_int_equal(vsc_value_system_load(&vs, DATA "absent.yaml", &d), VSC_ERR_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_counts),
        cmocka_unit_test(test_schwartz_hierarchy),
        cmocka_unit_test(test_user_file),
        cmocka_unit_test(test_absent_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
