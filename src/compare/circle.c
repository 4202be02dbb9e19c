/* Where a value profile sits on the Schwartz circle: the direction of its centred scores over
 * the unit vectors of the values, the closer to the rim the more one-sided (docs/report.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "valscope/compare.h"
#include "valscope/instrument.h"

#define PI 3.14159265358979323846

static int eq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

size_t vsc_circle_order(size_t *out_order, const struct vsc_value_system *vs)
{
    size_t n = vs->n_dims;
    for (size_t i = 0; i < n; i++)
        out_order[i] = i;
    for (size_t i = 1; i < n; i++) /* stable insertion sort by `order` */
        for (size_t j = i; j > 0 && vs->dims[out_order[j - 1]].order > vs->dims[out_order[j]].order;
             j--) {
            size_t t = out_order[j];
            out_order[j] = out_order[j - 1];
            out_order[j - 1] = t;
        }
    return n;
}

int vsc_circle_point(double *out_x, double *out_y, const double *m, size_t n)
{
    double mean = 0, sx = 0, sy = 0, sa = 0;
    *out_x = *out_y = NAN;
    for (size_t d = 0; d < n; d++) {
        if (!isfinite(m[d])) return -1;
        mean += m[d] / (double)n;
    }
    /* In SVG orientation (y down, value 0 at the top, clockwise), as the report draws it. */
    for (size_t d = 0; d < n; d++) {
        double c = m[d] - mean, a = -PI / 2 + 2 * PI * (double)d / (double)n;
        sx += c * cos(a);
        sy += c * sin(a);
        sa += fabs(c);
    }
    if (!(sa > 0)) return -1;
    *out_x = sx / sa;
    *out_y = -sy / sa;
    return 0;
}

/* The mean of the first record of kind "value" matching the profile and dimension; NAN when
 * there is none. */
static double mean_of(const struct vsc_profiles *p, const struct vsc_score_record *g,
                      const char *dim)
{
    for (size_t i = 0; i < vsc_profiles_count(p); i++) {
        const struct vsc_score_record *e = vsc_profiles_get(p, i);
        if (eq(e->kind, "value") && eq(e->model, g->model) && eq(e->run, g->run) &&
            eq(e->condition, g->condition) && eq(e->instrument, g->instrument) &&
            eq(e->dimension, dim))
            return e->mean;
    }
    return NAN;
}

int vsc_compare_circle(const struct vsc_profiles *p, const struct vsc_value_system *vs,
                       vsc_circle_cb cb, void *payload)
{
    size_t n = vs->n_dims;
    if (!n) return 0;
    size_t *ord = malloc(n * sizeof(*ord));
    double *m = malloc(n * sizeof(*m));
    int rc = 0;
    if (!ord || !m) {
        rc = VSC_ERR_NOMEM;
        goto done;
    }
    vsc_circle_order(ord, vs);
    for (size_t i = 0; i < vsc_profiles_count(p) && !rc; i++) {
        const struct vsc_score_record *g = vsc_profiles_get(p, i);
        if (!eq(g->kind, "value") || !eq(g->system, vs->id) ||
            !eq(g->dimension, vs->dims[ord[0]].id))
            continue;
        for (size_t d = 0; d < n; d++)
            m[d] = mean_of(p, g, vs->dims[ord[d]].id);
        struct vsc_circle_row row = {.model = g->model,
                                     .run = g->run,
                                     .condition = g->condition,
                                     .instrument = g->instrument};
        if (vsc_circle_point(&row.x, &row.y, m, n)) continue; /* incomplete or flat */
        row.radius = hypot(row.x, row.y);
        row.angle = atan2(row.x, row.y) * 180 / PI;
        if (row.angle < 0) row.angle += 360;
        rc = cb(&row, payload);
    }
done:
    free(ord);
    free(m);
    return rc;
}
