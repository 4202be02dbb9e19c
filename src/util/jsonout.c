/* JSON-lines output helpers (see jsonout.h). */
#include "util/jsonout.h"

#include <math.h>
#include <stdlib.h>

#include "valscope/common.h"

json_t *jout_num(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

int jout_line(FILE *fp, json_t *o, size_t flags)
{
    char *s = json_dumps(o, flags);
    json_decref(o);
    if (!s) return VSC_ERR_NOMEM;
    int rc = fprintf(fp, "%s\n", s) < 0 ? VSC_ERR_IO : 0;
    free(s);
    return rc;
}
