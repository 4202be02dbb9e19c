/* Kinds not written yet: they answer VSC_ERR_UNSUPPORTED with a diagnostic. */
#include "instruments/ins_internal.h"

#define PENDING(what)                                                                          \
    (vsc_diag_set(diag, NULL, 0, 0, "instrument kind %s is not implemented yet", what),         \
     VSC_ERR_UNSUPPORTED)

int ins_load_pvqrr(struct vsc_instrument **out, const char *path, struct vsc_diag *diag)
{
    *out = NULL;
    return PENDING("pvqrr");
}
int ins_load_valuebench(struct vsc_instrument **out, const char *path, const char *q,
                        struct vsc_diag *diag)
{
    *out = NULL;
    return PENDING("valuebench");
}
int ins_load_psychobench(struct vsc_instrument **out, const char *path, const char *name,
                         struct vsc_diag *diag)
{
    *out = NULL;
    return PENDING("psychobench");
}
enum vsc_parse_status vsc_parse_answer(size_t *out_option, const char *text,
                                       const struct vsc_instrument *ins, const size_t *order)
{
    return VSC_PARSE_UNPARSEABLE;
}
