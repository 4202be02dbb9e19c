/* Private: the HTML page being written, and the SVG primitives the report's charts are drawn
 * with (html.c). */
#ifndef VSC_REPORT_SVG_H
#define VSC_REPORT_SVG_H

#include "report/report_int.h"

/* The page is long and built from hundreds of small appends; the first failure is kept and
 * reported once at the end instead of after every call. */
struct page {
    struct buf b;
    int err;
    const struct vsc_report *r;
    const char **models; /* distinct model names, first appearance; index = colour */
    size_t n_models;
    const char **conds; /* distinct conditions */
    size_t n_conds;
};

/* ---- writing ----------------------------------------------------------------------------- */

/* Trusted text (markup written here) with printf formatting. */
void pg_put(struct page *pg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Untrusted text: always through here (escaped for text and attributes alike). */
void pg_esc(struct page *pg, const char *s);
/* Untrusted text cut to about `max_bytes` on a character boundary, with an ellipsis: for
 * labels inside charts, where a long model name would run out of the picture. */
void pg_esc_short(struct page *pg, const char *s, size_t max_bytes);
/* A number with `prec` decimals, or a dash when it is not finite. */
void pg_num(struct page *pg, double v, int prec);
/* "[lo, hi]", or a dash when either bound is not finite. */
void pg_ci(struct page *pg, double lo, double hi, int prec);

/* ---- SVG primitives ---------------------------------------------------------------------- */

#define SVG_PI 3.14159265358979323846

/* The angle (radians, SVG orientation: y down) of spoke `i` of `n`, spoke 0 at the top, the
 * others clockwise. */
double svg_angle(size_t i, size_t n);
/* Path data ("M x y L ... Z") of a radar polygon around (cx, cy) with radius R: value v[i] on
 * spoke i, scaled from `lo` (near the centre) to `hi` (the rim). */
void svg_polygon_points(struct page *pg, const double *v, size_t n, double cx, double cy, double R,
                        double lo, double hi);
/* A small colour square before a label. */
void svg_swatch(struct page *pg, const char *colour);
/* Diverging colour for a correlation: red (-1), white (0), blue (+1); grey for none. */
void svg_rho_colour(char out[8], double rho);

#endif
