/* Kinds not written yet: they answer VSC_ERR_UNSUPPORTED with a diagnostic. */
#include "instruments/ins_internal.h"

#define PENDING(what)                                                                          \
    (vsc_diag_set(diag, NULL, 0, 0, "instrument kind %s is not implemented yet", what),         \
     VSC_ERR_UNSUPPORTED)

enum vsc_parse_status vsc_parse_answer(size_t *out_option, const char *text,
                                       const struct vsc_instrument *ins, const size_t *order)
{
    return VSC_PARSE_UNPARSEABLE;
}
