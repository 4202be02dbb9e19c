/* The page writer of the HTML report (a buffer with a sticky error; every untrusted string
 * goes through html_escape_buf) and the SVG primitives its charts are drawn with. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/svg.h"

void pg_put(struct page *pg, const char *fmt, ...)
{
    if (pg->err) return;
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        pg->err = VSC_ERR_NOMEM;
        return;
    }
    pg->err = buf_append(&pg->b, s, (size_t)n);
    free(s);
}

void pg_esc(struct page *pg, const char *s)
{
    if (!pg->err) pg->err = html_escape_buf(&pg->b, s);
}

void pg_esc_short(struct page *pg, const char *s, size_t max_bytes)
{
    size_t len = s ? strlen(s) : 0;
    if (len <= max_bytes) {
        pg_esc(pg, s);
        return;
    }
    while (max_bytes > 0 && ((unsigned char)s[max_bytes] & 0xC0) == 0x80)
        max_bytes--;
    char *cut = xstrndup(s, max_bytes);
    if (!cut) {
        pg->err = VSC_ERR_NOMEM;
        return;
    }
    pg_esc(pg, cut);
    free(cut);
    pg_put(pg, "&#8230;");
}

void pg_num(struct page *pg, double v, int prec)
{
    if (isfinite(v))
        pg_put(pg, "%.*f", prec, v);
    else
        pg_put(pg, "&#8211;");
}

void pg_ci(struct page *pg, double lo, double hi, int prec)
{
    if (!isfinite(lo) || !isfinite(hi)) {
        pg_put(pg, "&#8211;");
        return;
    }
    pg_put(pg, "[");
    pg_num(pg, lo, prec);
    pg_put(pg, ", ");
    pg_num(pg, hi, prec);
    pg_put(pg, "]");
}

/* ---- SVG primitives ---------------------------------------------------------------------- */

double svg_angle(size_t i, size_t n)
{
    return -SVG_PI / 2 + 2 * SVG_PI * (double)i / (double)n;
}

void svg_polygon_points(struct page *pg, const double *v, size_t n, double cx, double cy, double R,
                        double lo, double hi)
{
    for (size_t i = 0; i < n; i++) {
        double f = hi > lo ? 0.08 + 0.92 * (v[i] - lo) / (hi - lo) : 0.5;
        if (f < 0) f = 0;
        double a = svg_angle(i, n);
        pg_put(pg, "%s%.1f %.1f", i ? " L" : "M", cx + R * f * cos(a), cy + R * f * sin(a));
    }
    pg_put(pg, " Z");
}

void svg_swatch(struct page *pg, const char *colour)
{
    pg_put(pg, "<span class=\"sw\" style=\"background:%s\"></span>", colour);
}

void svg_rho_colour(char out[8], double rho)
{
    if (!isfinite(rho)) {
        strcpy(out, "#dddddd");
        return;
    }
    if (rho > 1) rho = 1;
    if (rho < -1) rho = -1;
    int r0 = 255, g0 = 255, b0 = 255;
    int r1 = rho > 0 ? 33 : 178, g1 = rho > 0 ? 102 : 24, b1 = rho > 0 ? 172 : 43;
    double f = fabs(rho);
    snprintf(out, 8, "#%02x%02x%02x", (int)(r0 + (r1 - r0) * f), (int)(g0 + (g1 - g0) * f),
             (int)(b0 + (b1 - b0) * f));
}
