/* Small validation helpers for the YAML/JSON-based instrument and value-system parsers. */
#include <string.h>

#include "instruments/ins_internal.h"

int ins_check_keys(const struct yj_doc *doc, const json_t *obj, const char *const *allowed,
                   const char *what, struct vsc_diag *diag)
{
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val) {
        const char *const *a;
        for (a = allowed; *a; a++)
            if (strcmp(*a, key) == 0) break;
        if (!*a) return yj_error(diag, doc, val, "unknown key '%s' in %s", key, what);
    }
    return 0;
}

int ins_get_string(const char **out, const struct yj_doc *doc, const json_t *obj,
                   const char *key, int required, struct vsc_diag *diag)
{
    *out = NULL;
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required) return yj_error(diag, doc, obj, "missing '%s'", key);
        return 0;
    }
    if (!json_is_string(v)) return yj_error(diag, doc, v, "'%s' must be text", key);
    if (required && json_string_length(v) == 0)
        return yj_error(diag, doc, v, "'%s' must not be empty", key);
    *out = json_string_value(v);
    return 0;
}
