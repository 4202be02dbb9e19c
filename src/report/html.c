/* The HTML report: one page, inline CSS, SVG drawn here, no scripts and no external
 * resources. A Content-Security-Policy meta tag forbids scripts and remote loads as a second
 * line of defence; the first is that every string that did not come from this file goes
 * through html_escape_buf() (pg_esc() below), in text and attributes alike. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"
#include "report/svg.h"
#include "util/atomic_file.h"
#include "valscope/instrument.h"

/* ---- escaping --------------------------------------------------------------------------- */

int html_escape_buf(struct buf *b, const char *s)
{
    if (!s) return 0;
    size_t len = strlen(s);
    char *clean = NULL;
    if (!utf8_valid(s, len) && !(clean = utf8_sanitize(s, len, &len))) return VSC_ERR_NOMEM;
    const unsigned char *p = (const unsigned char *)(clean ? clean : s);
    int rc = 0;
    size_t run = 0; /* bytes copied as they are, flushed in one append */
    for (size_t i = 0; i < len && !rc; i++) {
        const char *rep = NULL;
        switch (p[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        case '\t':
        case '\n':
            break;
        default:
            if (p[i] < 0x20 || p[i] == 0x7f) rep = "\xef\xbf\xbd"; /* U+FFFD */
        }
        if (!rep) {
            run++;
            continue;
        }
        if (run) rc = buf_append(b, p + i - run, run);
        run = 0;
        if (!rc) rc = buf_puts(b, rep);
    }
    if (!rc && run) rc = buf_append(b, p + len - run, run);
    free(clean);
    return rc;
}

char *vsc_html_escape(const char *s)
{
    struct buf b;
    buf_init(&b, 0);
    if (html_escape_buf(&b, s ? s : "")) {
        buf_free(&b);
        return NULL;
    }
    return buf_take(&b);
}

static const char *const PALETTE[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
                                      "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
#define N_PALETTE (sizeof(PALETTE) / sizeof(PALETTE[0]))

static int eq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static size_t index_of(const char **list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (eq(list[i], s)) return i;
    return n;
}

static const char *model_colour(const struct page *pg, const char *model)
{
    return PALETTE[index_of(pg->models, pg->n_models, model) % N_PALETTE];
}

static const char *cond_colour(const struct page *pg, const char *cond)
{
    return PALETTE[index_of(pg->conds, pg->n_conds, cond) % N_PALETTE];
}

/* Opens a table row with the cells that name a record: model (with its colour), run,
 * condition, instrument; the last cell is left open. */
static void label_cells(struct page *pg, const char *model, const char *run, const char *condition,
                        const char *instrument)
{
    pg_put(pg, "<tr><td>");
    svg_swatch(pg, model_colour(pg, model));
    pg_esc(pg, model);
    pg_put(pg, "</td><td>");
    pg_esc(pg, run);
    pg_put(pg, "</td><td>");
    pg_esc(pg, condition);
    pg_put(pg, "</td><td>");
    pg_esc(pg, instrument);
}

/* Record index of one value, or -1. */
static long find_rec(const struct vsc_profiles *p, const char *model, const char *run,
                     const char *cond, const char *instrument, const char *dim)
{
    for (size_t i = 0; i < vsc_profiles_count(p); i++) {
        const struct vsc_score_record *e = vsc_profiles_get(p, i);
        if (eq(e->kind, "value") && eq(e->model, model) && eq(e->run, run) &&
            eq(e->condition, cond) && eq(e->instrument, instrument) && eq(e->dimension, dim))
            return (long)i;
    }
    return -1;
}

static const char *dim_name(const struct vsc_value_system *vs, const char *id)
{
    int k = vs ? vsc_value_system_find(vs, id) : -1;
    return k >= 0 ? vs->dims[k].name : id;
}

/* ---- sections --------------------------------------------------------------------------- */

static const char CSS[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;"
    "max-width:1180px;padding:0 18px 60px;color:#222;background:#fff}"
    "h1{margin:24px 0 4px}h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:36px}"
    "h3{margin:18px 0 6px}.meta{color:#666}nav a{margin-right:12px}"
    "table{border-collapse:collapse;margin:8px "
    "0;display:block;overflow-x:auto;max-width:100%}th,td{border:1px solid #ddd;padding:3px 7px;"
    "text-align:left;vertical-align:top}th{background:#f4f4f4}td.n{text-align:right;"
    "font-variant-numeric:tabular-nums}small{color:#555}"
    ".sw{display:inline-block;width:10px;height:10px;margin-right:5px;border-radius:2px}"
    ".charts{display:flex;flex-wrap:wrap;gap:14px}.chart{border:1px solid #eee;padding:6px}"
    "pre{background:#f7f7f7;border:1px solid #e3e3e3;padding:8px;overflow:auto;"
    "white-space:pre-wrap;word-break:break-word}.note{color:#666;font-style:italic}"
    "svg text{font:11px system-ui,sans-serif;fill:#333}.sig{font-weight:bold}"
    "q{display:block;margin:2px 0;color:#444}";

static void section_summary(struct page *pg)
{
    const struct vsc_report *r = pg->r;
    size_t cells = 0, ok = 0, failed = 0, pending = 0, unp = 0;
    for (size_t i = 0; i < r->n_qual; i++) {
        cells += r->qual[i].cells;
        ok += r->qual[i].ok;
        failed += r->qual[i].failed;
        pending += r->qual[i].pending;
        unp += r->qual[i].unparseable;
    }
    pg_put(pg, "<section id=\"summary\"><h2>Summary</h2><ul>");
    pg_put(pg, "<li>%zu run(s), %zu model(s), %zu condition(s), %zu scored record(s).</li>",
           r->n_runs, pg->n_models, pg->n_conds, vsc_profiles_count(r->prof));
    pg_put(pg,
           "<li>%zu cells: %zu answered, %zu failed, %zu pending; %zu answers unparseable.</li>",
           cells, ok, failed, pending, unp);
    pg_put(pg, "<li>Models: ");
    for (size_t i = 0; i < pg->n_models; i++) {
        if (i) pg_put(pg, ", ");
        svg_swatch(pg, model_colour(pg, pg->models[i]));
        pg_esc(pg, pg->models[i]);
    }
    pg_put(pg, "</li><li>Conditions: ");
    for (size_t i = 0; i < pg->n_conds; i++) {
        if (i) pg_put(pg, ", ");
        pg_esc(pg, pg->conds[i]);
    }
    pg_put(pg, "</li><li>Targets: %zu; drift comparisons: %zu.</li></ul>", r->n_targets,
           r->n_drifts);

    /* The three highest dimensions of each profile, for a first reading. */
    pg_put(pg, "<h3>Highest-scored dimensions per profile</h3><table><tr><th>Model</th><th>Run</th>"
               "<th>Condition</th><th>Instrument</th><th>Top 3 (mean)</th></tr>");
    size_t n = vsc_profiles_count(r->prof);
    for (size_t i = 0; i < n; i++) {
        const struct vsc_score_record *g = vsc_profiles_get(r->prof, i);
        if (!eq(g->kind, "value")) continue;
        int first = 1;
        for (size_t j = 0; j < i && first; j++) {
            const struct vsc_score_record *e = vsc_profiles_get(r->prof, j);
            if (eq(e->kind, "value") && eq(e->model, g->model) && eq(e->run, g->run) &&
                eq(e->condition, g->condition) && eq(e->instrument, g->instrument))
                first = 0;
        }
        if (!first) continue;
        long top[3] = {-1, -1, -1};
        for (size_t j = i; j < n; j++) {
            const struct vsc_score_record *e = vsc_profiles_get(r->prof, j);
            if (!eq(e->kind, "value") || !eq(e->model, g->model) || !eq(e->run, g->run) ||
                !eq(e->condition, g->condition) || !eq(e->instrument, g->instrument) ||
                !isfinite(e->mean))
                continue;
            for (int k = 0; k < 3; k++) {
                if (top[k] < 0 || e->mean > vsc_profiles_get(r->prof, (size_t)top[k])->mean) {
                    for (int m = 2; m > k; m--)
                        top[m] = top[m - 1];
                    top[k] = (long)j;
                    break;
                }
            }
        }
        label_cells(pg, g->model, g->run, g->condition, g->instrument);
        pg_put(pg, "</td><td>");
        for (int k = 0; k < 3 && top[k] >= 0; k++) {
            const struct vsc_score_record *e = vsc_profiles_get(r->prof, (size_t)top[k]);
            if (k) pg_put(pg, ", ");
            pg_esc(pg, e->dimension);
            pg_put(pg, " (");
            pg_num(pg, e->mean, 2);
            pg_put(pg, ")");
        }
        if (top[0] < 0) pg_put(pg, "<span class=\"note\">no scored answers</span>");
        pg_put(pg, "</td></tr>");
    }
    pg_put(pg, "</table></section>");
}

static int cmp_rank(const void *a, const void *b)
{
    const struct vsc_leader_row *x = *(const struct vsc_leader_row *const *)a;
    const struct vsc_leader_row *y = *(const struct vsc_leader_row *const *)b;
    return (x->rank > y->rank) - (x->rank < y->rank);
}

static void section_leaderboard(struct page *pg)
{
    const struct vsc_report *r = pg->r;
    pg_put(pg,
           "<section id=\"leaderboard\"><h2>Leaderboard</h2>"
           "<p>Per instrument, condition and dimension, entries (model &#215; run) ranked by mean "
           "(1 = highest), with the %g%% CI and the share of resamples in which the entry keeps "
           "its rank.</p>",
           r->compare.level * 100);
    if (!r->n_leader) pg_put(pg, "<p class=\"note\">No scored dimensions.</p>");
    const struct vsc_leader_row **grp = malloc((r->n_leader + 1) * sizeof(*grp));
    if (!grp) {
        pg->err = VSC_ERR_NOMEM;
        return;
    }
    size_t i = 0;
    while (i < r->n_leader) {
        /* One table per instrument x condition. */
        const struct vsc_leader_row *h = &r->leader[i];
        size_t end = i, max_n = 0;
        while (end < r->n_leader && eq(r->leader[end].instrument, h->instrument) &&
               eq(r->leader[end].condition, h->condition)) {
            if (r->leader[end].n_entries > max_n) max_n = r->leader[end].n_entries;
            end++;
        }
        pg_put(pg, "<h3>");
        pg_esc(pg, h->instrument);
        pg_put(pg, " &#183; condition ");
        pg_esc(pg, h->condition);
        pg_put(pg, "</h3><table><tr><th>Dimension</th>");
        for (size_t k = 1; k <= max_n; k++)
            pg_put(pg, "<th>Rank %zu</th>", k);
        pg_put(pg, "</tr>");
        size_t j = i;
        while (j < end) {
            size_t g = 0, k = j;
            while (k < end && eq(r->leader[k].dimension, r->leader[j].dimension) &&
                   eq(r->leader[k].kind, r->leader[j].kind))
                grp[g++] = &r->leader[k++];
            qsort(grp, g, sizeof(*grp), cmp_rank);
            pg_put(pg, "<tr><td>%s", eq(grp[0]->kind, "group") ? "<i>" : "");
            pg_esc(pg, grp[0]->dimension);
            pg_put(pg, "%s</td>", eq(grp[0]->kind, "group") ? "</i>" : "");
            for (size_t m = 0; m < g; m++) {
                pg_put(pg, "<td>");
                svg_swatch(pg, model_colour(pg, grp[m]->model));
                pg_esc(pg, grp[m]->model);
                if (r->n_runs > 1) {
                    pg_put(pg, " <small>(");
                    pg_esc(pg, grp[m]->run);
                    pg_put(pg, ")</small>");
                }
                pg_put(pg, "<br><small>%zu. ", grp[m]->rank);
                pg_num(pg, grp[m]->mean, 2);
                pg_put(pg, " ");
                pg_ci(pg, grp[m]->ci_low, grp[m]->ci_high, 2);
                if (isfinite(grp[m]->p_keep_rank))
                    pg_put(pg, " &#183; keeps rank %.0f%%", grp[m]->p_keep_rank * 100);
                pg_put(pg, "</small></td>");
            }
            for (size_t m = g; m < max_n; m++)
                pg_put(pg, "<td></td>");
            pg_put(pg, "</tr>");
            j = k;
        }
        pg_put(pg, "</table>");
        i = end;
    }
    free(grp);
    pg_put(pg, "</section>");
}

/* ---- Schwartz radar and circle ---------------------------------------------------------- */

static void radar(struct page *pg, const struct vsc_value_system *vs, const size_t *ord,
                  const char *model, const char *run, const char *instrument, double lo, double hi)
{
    const struct vsc_report *r = pg->r;
    const double cx = 270, cy = 180, R = 120; /* room on both sides for labels like Benevolence */
    size_t n = vs->n_dims;
    pg_put(pg, "<div class=\"chart\"><b>");
    svg_swatch(pg, model_colour(pg, model));
    pg_esc(pg, model);
    pg_put(pg, "</b> <small>");
    pg_esc(pg, run);
    pg_put(pg, " &#183; ");
    pg_esc(pg, instrument);
    pg_put(pg,
           "</small><br><svg width=\"540\" height=\"370\" viewBox=\"0 0 540 370\" role=\"img\">");
    for (int ring = 1; ring <= 4; ring++)
        pg_put(pg, "<circle cx=\"%.0f\" cy=\"%.0f\" r=\"%.1f\" fill=\"none\" stroke=\"#e5e5e5\"/>",
               cx, cy, R * ring / 4);
    if (lo < 0 && hi > 0) {
        double f = 0.08 + 0.92 * (0 - lo) / (hi - lo);
        pg_put(pg,
               "<circle cx=\"%.0f\" cy=\"%.0f\" r=\"%.1f\" fill=\"none\" stroke=\"#999\" "
               "stroke-dasharray=\"3 3\"><title>score 0</title></circle>",
               cx, cy, R * f);
    }
    for (size_t i = 0; i < n; i++) {
        double a = svg_angle(i, n);
        double x = cx + (R + 14) * cos(a), y = cy + (R + 14) * sin(a);
        pg_put(pg, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>", cx,
               cy, cx + R * cos(a), cy + R * sin(a));
        pg_put(pg, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" dominant-baseline=\"middle\">",
               x, y,
               fabs(cos(a)) < 0.2 ? "middle"
               : cos(a) > 0       ? "start"
                                  : "end");
        pg_esc(pg, vs->dims[ord[i]].name);
        pg_put(pg, "</text>");
    }
    double v[64], vl[64], vh[64];
    int drawn = 0;
    for (size_t c = 0; c < pg->n_conds; c++) {
        int full = 1, band = 1;
        for (size_t i = 0; i < n && full; i++) {
            long k = find_rec(r->prof, model, run, pg->conds[c], instrument, vs->dims[ord[i]].id);
            const struct vsc_score_record *e = k >= 0 ? vsc_profiles_get(r->prof, (size_t)k) : NULL;
            if (!e || !isfinite(e->mean)) {
                full = 0;
                break;
            }
            v[i] = e->mean;
            vl[i] = e->ci_low;
            vh[i] = e->ci_high;
            if (!isfinite(vl[i]) || !isfinite(vh[i])) band = 0;
        }
        if (!full) continue;
        const char *col = cond_colour(pg, pg->conds[c]);
        if (band) {
            pg_put(pg, "<path fill=\"%s\" fill-opacity=\"0.18\" fill-rule=\"evenodd\" d=\"", col);
            svg_polygon_points(pg, vh, n, cx, cy, R, lo, hi);
            pg_put(pg, " ");
            svg_polygon_points(pg, vl, n, cx, cy, R, lo, hi);
            pg_put(pg, "\"><title>CI band: ");
            pg_esc(pg, pg->conds[c]);
            pg_put(pg, "</title></path>");
        }
        pg_put(pg, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"2\" d=\"", col);
        svg_polygon_points(pg, v, n, cx, cy, R, lo, hi);
        pg_put(pg, "\"><title>");
        pg_esc(pg, pg->conds[c]);
        pg_put(pg, "</title></path>");
        drawn++;
    }
    pg_put(pg, "</svg><br>");
    if (!drawn) pg_put(pg, "<span class=\"note\">no complete profile to draw</span>");
    for (size_t c = 0; c < pg->n_conds; c++) {
        if (find_rec(r->prof, model, run, pg->conds[c], instrument, vs->dims[ord[0]].id) < 0)
            continue;
        svg_swatch(pg, cond_colour(pg, pg->conds[c]));
        pg_esc(pg, pg->conds[c]);
        pg_put(pg, " ");
    }
    pg_put(pg, "</div>");
}

/* Distinct (model, run, instrument) of system `sys` with kind "value", in record order. */
static size_t distinct_mri(const struct vsc_profiles *p, const char *sys, size_t *out)
{
    size_t m = 0, n = vsc_profiles_count(p);
    for (size_t i = 0; i < n; i++) {
        const struct vsc_score_record *e = vsc_profiles_get(p, i);
        if (!eq(e->kind, "value") || !eq(e->system, sys)) continue;
        size_t k = 0;
        for (; k < m; k++) {
            const struct vsc_score_record *f = vsc_profiles_get(p, out[k]);
            if (eq(f->model, e->model) && eq(f->run, e->run) && eq(f->instrument, e->instrument))
                break;
        }
        if (k == m) out[m++] = i;
    }
    return m;
}

static void section_radar(struct page *pg, const struct vsc_value_system *vs)
{
    const struct vsc_report *r = pg->r;
    pg_put(pg, "<section id=\"profiles\"><h2>Schwartz value profiles</h2>");
    if (!vs || vs->n_dims > 64) {
        pg_put(pg, "<p class=\"note\">The Schwartz value system is not available.</p></section>");
        return;
    }
    size_t n = vsc_profiles_count(r->prof);
    size_t *mri = malloc((n + 1) * sizeof(*mri)), ord[64];
    if (!mri) {
        pg->err = VSC_ERR_NOMEM;
        return;
    }
    vsc_circle_order(ord, vs);
    size_t m = distinct_mri(r->prof, "schwartz", mri);
    pg_put(pg,
           "<p>One radar per model, the 10 basic values around the circle; a line per condition "
           "with its %g%% CI band (shaded). Radius is the score, scaled per instrument from the "
           "lowest CI bound (centre) to the highest (rim); the dashed ring is 0.</p>",
           r->score.level > 0 ? r->score.level * 100 : 95.0);
    if (!m) pg_put(pg, "<p class=\"note\">No Schwartz instrument was scored.</p>");
    pg_put(pg, "<div class=\"charts\">");
    for (size_t i = 0; i < m; i++) {
        const struct vsc_score_record *g = vsc_profiles_get(r->prof, mri[i]);
        double lo = INFINITY, hi = -INFINITY;
        for (size_t j = 0; j < n; j++) {
            const struct vsc_score_record *e = vsc_profiles_get(r->prof, j);
            if (!eq(e->kind, "value") || !eq(e->instrument, g->instrument)) continue;
            double a = isfinite(e->ci_low) ? e->ci_low : e->mean;
            double b = isfinite(e->ci_high) ? e->ci_high : e->mean;
            if (isfinite(a) && a < lo) lo = a;
            if (isfinite(b) && b > hi) hi = b;
        }
        radar(pg, vs, ord, g->model, g->run, g->instrument, lo, hi);
    }
    pg_put(pg, "</div></section>");
    free(mri);
}

/* The circle: values placed by their order, higher-order groups as arcs, and each profile as
 * a point at the weighted direction of its centred scores (the closer to the rim, the more
 * one-sided the profile). */
static void section_circle(struct page *pg, const struct vsc_value_system *vs)
{
    const struct vsc_report *r = pg->r;
    pg_put(pg, "<section id=\"circle\"><h2>The Schwartz circle</h2>");
    if (!vs || vs->n_dims > 64) {
        pg_put(pg, "<p class=\"note\">The Schwartz value system is not available.</p></section>");
        return;
    }
    size_t ord[64], n = vsc_circle_order(ord, vs);
    const double cx = 250, cy = 240, R = 160;
    pg_put(pg, "<p>Adjacent values are compatible, opposite ones conflict. Each numbered point is "
               "one profile: the direction of sum<sub>d</sub> (m<sub>d</sub> &#8722; mean) "
               "&#183; u<sub>d</sub> / sum<sub>d</sub> |m<sub>d</sub> &#8722; mean| over the unit "
               "vectors u<sub>d</sub> of the values.</p>");
    pg_put(pg, "<div class=\"charts\"><div class=\"chart\"><svg width=\"500\" height=\"480\" "
               "viewBox=\"0 0 500 480\" role=\"img\">");
    static const char *const GROUP_FILL[] = {"#dbe9f6", "#fde0c5", "#e2f0d9", "#eadcf0", "#f3f3d5"};
    /* Higher-order sectors: runs of neighbours with the same parent. */
    size_t gi = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && eq(vs->dims[ord[j + 1]].parent, vs->dims[ord[i]].parent))
            j++;
        double a0 = svg_angle(i, n) - SVG_PI / (double)n, a1 = svg_angle(j, n) + SVG_PI / (double)n;
        pg_put(pg,
               "<path d=\"M%.0f %.0f L%.1f %.1f A%.0f %.0f 0 %d 1 %.1f %.1f Z\" fill=\"%s\" "
               "stroke=\"#fff\">",
               cx, cy, cx + R * cos(a0), cy + R * sin(a0), R, R, a1 - a0 > SVG_PI ? 1 : 0,
               cx + R * cos(a1), cy + R * sin(a1), GROUP_FILL[gi % 5]);
        pg_put(pg, "<title>");
        pg_esc(pg, vs->dims[ord[i]].parent ? vs->dims[ord[i]].parent : "");
        pg_put(pg, "</title></path>");
        if (vs->dims[ord[i]].parent) {
            double am = (a0 + a1) / 2;
            pg_put(pg,
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-style=\"italic\" "
                   "fill=\"#777\">",
                   cx + (R + 40) * cos(am), cy + (R + 40) * sin(am));
            pg_esc(pg, vs->dims[ord[i]].parent);
            pg_put(pg, "</text>");
        }
        gi++;
        i = j + 1;
    }
    for (size_t i = 0; i < n; i++) {
        double a = svg_angle(i, n);
        pg_put(pg,
               "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" dominant-baseline=\"middle\">",
               cx + (R - 22) * cos(a), cy + (R - 22) * sin(a));
        pg_esc(pg, vs->dims[ord[i]].name);
        pg_put(pg, "</text>");
    }
    pg_put(pg, "<circle cx=\"%.0f\" cy=\"%.0f\" r=\"3\" fill=\"#555\"/>", cx, cy);
    /* Points: one per profile, placed by vsc_compare_circle when the report was built. */
    struct buf legend;
    buf_init(&legend, 0);
    size_t k = 0;
    for (size_t i = 0; i < r->n_circle; i++) {
        const struct vsc_circle_row *g = &r->circle[i];
        k++;
        double px = cx + R * g->x, py = cy - R * g->y;
        const char *col = model_colour(pg, g->model);
        pg_put(pg,
               "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"7\" fill=\"%s\" fill-opacity=\"0.85\"><title>",
               px, py, col);
        pg_esc(pg, g->model);
        pg_put(pg, " / ");
        pg_esc(pg, g->condition);
        pg_put(pg,
               "</title></circle><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
               "dominant-baseline=\"middle\" style=\"fill:#fff;font-size:9px\">%zu</text>",
               px, py, k);
        /* The legend is written after the SVG; build it on the side. */
        struct page lp = {.b = legend};
        pg_put(&lp, "<tr><td class=\"n\">%zu</td><td>", k);
        svg_swatch(&lp, col);
        pg_esc(&lp, g->model);
        pg_put(&lp, "</td><td>");
        pg_esc(&lp, g->run);
        pg_put(&lp, "</td><td>");
        pg_esc(&lp, g->condition);
        pg_put(&lp, "</td><td>");
        pg_esc(&lp, g->instrument);
        pg_put(&lp, "</td></tr>");
        legend = lp.b;
        if (lp.err) pg->err = lp.err;
    }
    pg_put(pg, "</svg></div><div><table><tr><th>#</th><th>Model</th><th>Run</th><th>Condition</th>"
               "<th>Instrument</th></tr>");
    if (legend.len && !pg->err) pg->err = buf_append(&pg->b, legend.data, legend.len);
    buf_free(&legend);
    pg_put(pg, "</table>%s</div></div></section>",
           k ? "" : "<p class=\"note\">No complete Schwartz profile.</p>");
}

/* ---- bar charts of other systems -------------------------------------------------------- */

static void bar_chart(struct page *pg, const char *instrument, const char *cond,
                      const struct vsc_value_system *vs)
{
    const struct vsc_report *r = pg->r;
    size_t n = vsc_profiles_count(r->prof);
    size_t *dims = malloc((n + 1) * sizeof(*dims)), *ents = malloc((n + 1) * sizeof(*ents));
    if (!dims || !ents) {
        pg->err = VSC_ERR_NOMEM;
        goto done;
    }
    size_t nd = 0, ne = 0;
    double lo = 0, hi = 0;
    for (size_t i = 0; i < n; i++) {
        const struct vsc_score_record *e = vsc_profiles_get(r->prof, i);
        if (!eq(e->kind, "value") || !eq(e->instrument, instrument) || !eq(e->condition, cond))
            continue;
        size_t k = 0;
        while (k < nd && !eq(vsc_profiles_get(r->prof, dims[k])->dimension, e->dimension))
            k++;
        if (k == nd) dims[nd++] = i;
        k = 0;
        while (k < ne && !(eq(vsc_profiles_get(r->prof, ents[k])->model, e->model) &&
                           eq(vsc_profiles_get(r->prof, ents[k])->run, e->run)))
            k++;
        if (k == ne) ents[ne++] = i;
        double vals[3] = {e->mean, e->ci_low, e->ci_high};
        for (int q = 0; q < 3; q++) {
            if (isfinite(vals[q]) && vals[q] < lo) lo = vals[q];
            if (isfinite(vals[q]) && vals[q] > hi) hi = vals[q];
        }
    }
    if (hi <= lo) hi = lo + 1;
    const double top = 16, plot_h = 200, left = 46, bw = 14, gap = 22;
    double gw = (double)ne * bw + gap, width = left + (double)nd * gw + 10;
#define Y(v) (top + plot_h * (hi - (v)) / (hi - lo))
    pg_put(pg, "<div class=\"chart\"><b>");
    pg_esc(pg, instrument);
    pg_put(pg, "</b> <small>condition ");
    pg_esc(pg, cond);
    pg_put(pg,
           "</small><br><svg width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
           "role=\"img\">",
           width, top + plot_h + 70, width, top + plot_h + 70);
    for (int t = 0; t <= 4; t++) {
        double v = lo + (hi - lo) * t / 4;
        pg_put(pg,
               "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
               "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" dominant-baseline=\"middle\">"
               "%.2f</text>",
               left, width - 10, Y(v), Y(v), left - 4, Y(v), v);
    }
    pg_put(pg, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#555\"/>", left,
           width - 10, Y(0), Y(0));
    for (size_t d = 0; d < nd; d++) {
        const char *dim = vsc_profiles_get(r->prof, dims[d])->dimension;
        double x0 = left + (double)d * gw + gap / 2;
        for (size_t k = 0; k < ne; k++) {
            const struct vsc_score_record *g = vsc_profiles_get(r->prof, ents[k]);
            long x = find_rec(r->prof, g->model, g->run, cond, instrument, dim);
            const struct vsc_score_record *e = x >= 0 ? vsc_profiles_get(r->prof, (size_t)x) : NULL;
            if (!e || !isfinite(e->mean)) continue;
            double bx = x0 + (double)k * bw, y0 = Y(0), y1 = Y(e->mean);
            pg_put(pg,
                   "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\" fill=\"%s\"><title>",
                   bx, fmin(y0, y1), bw - 2, fabs(y1 - y0), model_colour(pg, g->model));
            pg_esc(pg, g->model);
            pg_put(pg, ": ");
            pg_num(pg, e->mean, 3);
            pg_put(pg, " ");
            pg_ci(pg, e->ci_low, e->ci_high, 3);
            pg_put(pg, "</title></rect>");
            if (isfinite(e->ci_low) && isfinite(e->ci_high)) {
                double mx = bx + (bw - 2) / 2;
                pg_put(pg,
                       "<path d=\"M%.1f %.1f V%.1f M%.1f %.1f h6 M%.1f %.1f h6\" stroke=\"#222\"/>",
                       mx, Y(e->ci_low), Y(e->ci_high), mx - 3, Y(e->ci_low), mx - 3,
                       Y(e->ci_high));
            }
        }
        pg_put(
            pg,
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" transform=\"rotate(-35 %.1f %.1f)\">",
            x0 + (double)ne * bw / 2, top + plot_h + 14, x0 + (double)ne * bw / 2,
            top + plot_h + 14);
        pg_esc(pg, dim);
        pg_put(pg, "<title>");
        pg_esc(pg, dim_name(vs, dim));
        pg_put(pg, "</title></text>");
    }
#undef Y
    pg_put(pg, "</svg><br>");
    for (size_t k = 0; k < ne; k++) {
        const struct vsc_score_record *g = vsc_profiles_get(r->prof, ents[k]);
        svg_swatch(pg, model_colour(pg, g->model));
        pg_esc(pg, g->model);
        pg_put(pg, " ");
    }
    pg_put(pg, "</div>");
done:
    free(dims);
    free(ents);
}

static void section_bars(struct page *pg)
{
    const struct vsc_report *r = pg->r;
    pg_put(pg, "<section id=\"systems\"><h2>Other value systems</h2><p>Dimension means with their "
               "CIs (error bars), one bar per model.</p><div class=\"charts\">");
    size_t n = vsc_profiles_count(r->prof), shown = 0;
    for (size_t i = 0; i < n; i++) {
        const struct vsc_score_record *e = vsc_profiles_get(r->prof, i);
        if (!eq(e->kind, "value") || eq(e->system, "schwartz")) continue;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++) {
            const struct vsc_score_record *f = vsc_profiles_get(r->prof, j);
            seen = eq(f->kind, "value") && eq(f->instrument, e->instrument) &&
                   eq(f->condition, e->condition);
        }
        if (seen) continue;
        struct vsc_value_system *vs = NULL;
        struct vsc_diag ignore = {0};
        if (vsc_value_system_builtin(&vs, e->system, &ignore)) vs = NULL;
        bar_chart(pg, e->instrument, e->condition, vs);
        vsc_value_system_free(vs);
        shown++;
    }
    pg_put(pg, "</div>%s</section>",
           shown ? "" : "<p class=\"note\">No instrument of another value system was scored.</p>");
}

/* ---- alignment heatmap ------------------------------------------------------------------ */

static int same_prof_row(const struct vsc_align_row *a, const struct vsc_align_row *b)
{
    return eq(a->model, b->model) && eq(a->run, b->run) && eq(a->condition, b->condition) &&
           eq(a->instrument, b->instrument);
}

static void section_alignment(struct page *pg)
{
    const struct vsc_report *r = pg->r;
    pg_put(pg, "<section id=\"alignment\"><h2>Alignment to targets</h2>");
    if (!r->n_targets) {
        pg_put(pg, "<p class=\"note\">No target profiles given (valscope report --targets FILE; "
                   "docs/targets.md).</p></section>");
        return;
    }
    pg_put(pg, "<p>Targets: ");
    for (size_t t = 0; t < r->n_targets; t++) {
        if (t) pg_put(pg, "; ");
        pg_put(pg, "<b>");
        pg_esc(pg, r->targets[t]->id);
        pg_put(pg, "</b> ");
        pg_esc(pg, r->targets[t]->name);
        if (r->targets[t]->example) pg_put(pg, " <small>(EXAMPLE, not measured data)</small>");
    }
    pg_put(pg, ".</p><p>Heatmap: Spearman &#961; between profile and target over the target's "
               "dimensions (blue agrees, red opposes).</p>");
    if (!r->n_align) {
        pg_put(pg, "<p class=\"note\">No profile of the targets' value systems.</p></section>");
        return;
    }
    /* Rows: distinct profiles in order. */
    size_t *rows = malloc(r->n_align * sizeof(*rows)), nr = 0;
    if (!rows) {
        pg->err = VSC_ERR_NOMEM;
        return;
    }
    for (size_t i = 0; i < r->n_align; i++) {
        size_t k = 0;
        while (k < nr && !same_prof_row(&r->align[rows[k]], &r->align[i]))
            k++;
        if (k == nr) rows[nr++] = i;
    }
    const double lw = 380, cw = 90, ch = 24, top = 70;
    double w = lw + cw * (double)r->n_targets + 80, h = top + ch * (double)nr + 10;
    pg_put(pg,
           "<div class=\"chart\"><svg width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
           "role=\"img\">",
           w, h, w, h);
    for (size_t t = 0; t < r->n_targets; t++) {
        double x = lw + cw * (double)t + cw / 2;
        pg_put(pg,
               "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"start\" transform=\"rotate(-30 %.1f "
               "%.0f)\">",
               x, top - 6, x, top - 6);
        pg_esc(pg, r->targets[t]->id);
        pg_put(pg, "</text>");
    }
    for (size_t k = 0; k < nr; k++) {
        const struct vsc_align_row *g = &r->align[rows[k]];
        double y = top + ch * (double)k;
        pg_put(pg, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" dominant-baseline=\"middle\">",
               lw - 6, y + ch / 2);
        pg_esc_short(pg, g->model, 24);
        pg_put(pg, " / ");
        pg_esc_short(pg, g->condition, 12);
        pg_put(pg, " / ");
        pg_esc_short(pg, g->instrument, 18);
        pg_put(pg, "<title>");
        pg_esc(pg, g->model);
        pg_put(pg, "</title></text>");
        for (size_t t = 0; t < r->n_targets; t++) {
            const struct vsc_align_row *a = NULL;
            for (size_t i = 0; i < r->n_align && !a; i++)
                if (same_prof_row(&r->align[i], g) && eq(r->align[i].target, r->targets[t]->id))
                    a = &r->align[i];
            double rho = a ? a->value[VSC_ALIGN_SPEARMAN] : NAN;
            char col[8];
            svg_rho_colour(col, rho);
            double x = lw + cw * (double)t;
            pg_put(pg,
                   "<rect x=\"%.0f\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" fill=\"%s\" "
                   "stroke=\"#fff\"><title>",
                   x, y, cw, ch, col);
            pg_esc(pg, r->targets[t]->id);
            pg_put(pg, ": rho ");
            pg_num(pg, rho, 2);
            if (a) {
                pg_put(pg, " ");
                pg_ci(pg, a->ci_low[VSC_ALIGN_SPEARMAN], a->ci_high[VSC_ALIGN_SPEARMAN], 2);
            }
            pg_put(pg,
                   "</title></rect><text x=\"%.0f\" y=\"%.1f\" text-anchor=\"middle\" "
                   "dominant-baseline=\"middle\"%s>",
                   x + cw / 2, y + ch / 2, fabs(rho) > 0.6 ? " style=\"fill:#fff\"" : "");
            pg_num(pg, rho, 2);
            pg_put(pg, "</text>");
        }
    }
    pg_put(pg, "</svg></div>");
    free(rows);
    /* Every metric with its CI. */
    pg_put(pg, "<h3>All metrics</h3><table><tr><th>Model</th><th>Run</th><th>Condition</th>"
               "<th>Instrument</th><th>Target</th><th>Dims</th>");
    for (int k = 0; k < VSC_ALIGN_N; k++)
        pg_put(pg, "<th>%s</th>", vsc_align_metric_name(k));
    pg_put(pg, "</tr>");
    for (size_t i = 0; i < r->n_align; i++) {
        const struct vsc_align_row *a = &r->align[i];
        label_cells(pg, a->model, a->run, a->condition, a->instrument);
        pg_put(pg, "</td><td>");
        pg_esc(pg, a->target);
        pg_put(pg, "</td><td class=\"n\">%zu</td>", a->n_dims);
        for (int k = 0; k < VSC_ALIGN_N; k++) {
            pg_put(pg, "<td class=\"n\">");
            pg_num(pg, a->value[k], 3);
            pg_put(pg, "<br><small>");
            pg_ci(pg, a->ci_low[k], a->ci_high[k], 3);
            pg_put(pg, "</small></td>");
        }
        pg_put(pg, "</tr>");
    }
    pg_put(pg, "</table></section>");
}

/* ---- drift ------------------------------------------------------------------------------ */

static const char *by_word(int by)
{
    return by == VSC_DRIFT_RUN ? "run" : by == VSC_DRIFT_MODEL ? "model" : "condition";
}

static int same_family_row(const struct vsc_drift_row *a, const struct vsc_drift_row *b)
{
    return a->by == b->by && eq(a->a, b->a) && eq(a->b, b->b) && eq(a->model, b->model) &&
           eq(a->run, b->run) && eq(a->condition, b->condition) && eq(a->instrument, b->instrument);
}

static void section_drift(struct page *pg)
{
    const struct vsc_report *r = pg->r;
    pg_put(pg,
           "<section id=\"drift\"><h2>Drift</h2><p>Difference b &#8722; a per dimension with its "
           "%g%% CI; a filled dot is significant at 5%% after Holm's correction within the "
           "comparison.</p>",
           r->compare.level * 100);
    if (!r->n_drift)
        pg_put(pg, "<p class=\"note\">Nothing to compare (one condition and one run, "
                   "or no matching records).</p>");
    pg_put(pg, "<div class=\"charts\">");
    size_t i = 0;
    while (i < r->n_drift) {
        size_t end = i;
        double span = 0;
        while (end < r->n_drift && same_family_row(&r->drift[end], &r->drift[i])) {
            const struct vsc_drift_row *d = &r->drift[end];
            double v[3] = {d->diff, d->ci_low, d->ci_high};
            for (int q = 0; q < 3; q++)
                if (isfinite(v[q]) && fabs(v[q]) > span) span = fabs(v[q]);
            end++;
        }
        if (!(span > 0)) span = 1;
        const struct vsc_drift_row *h = &r->drift[i];
        const double lw = 130, pw = 280, rh = 18, top = 10;
        double hgt = top + rh * (double)(end - i) + 26;
#define X(v) (lw + pw / 2 + (pw / 2 - 8) * (v) / span)
        pg_put(pg, "<div class=\"chart\"><b>");
        svg_swatch(pg, model_colour(pg, h->model));
        pg_esc(pg, h->model);
        pg_put(pg, "</b> <small>");
        pg_esc(pg, h->instrument);
        pg_put(pg, "</small><br>%s: ", by_word(h->by));
        pg_esc(pg, h->a);
        pg_put(pg, " &#8594; ");
        pg_esc(pg, h->b);
        pg_put(pg,
               "<br><svg width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">",
               lw + pw + 10, hgt, lw + pw + 10, hgt);
        pg_put(pg, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.1f\" stroke=\"#888\"/>", X(0),
               X(0), top, top + rh * (double)(end - i));
        for (size_t k = i; k < end; k++) {
            const struct vsc_drift_row *d = &r->drift[k];
            double y = top + rh * (double)(k - i) + rh / 2;
            pg_put(pg,
                   "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" dominant-baseline=\"middle\">",
                   lw - 6, y);
            pg_esc(pg, d->dimension);
            pg_put(pg, "</text>");
            if (isfinite(d->ci_low) && isfinite(d->ci_high))
                pg_put(pg,
                       "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>",
                       X(d->ci_low), X(d->ci_high), y, y);
            if (isfinite(d->diff)) {
                int sig = isfinite(d->p_holm) && d->p_holm < 0.05;
                pg_put(
                    pg,
                    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\" stroke=\"#222\"><title>",
                    X(d->diff), y, sig ? "#222" : "#fff");
                pg_esc(pg, d->dimension);
                pg_put(pg, ": ");
                pg_num(pg, d->diff, 3);
                pg_put(pg, ", p(Holm) ");
                pg_num(pg, d->p_holm, 4);
                pg_put(pg, "</title></circle>");
            }
        }
        double yb = top + rh * (double)(end - i) + 14;
        pg_put(pg,
               "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.2f</text>"
               "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">0</text>"
               "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">+%.2f</text>",
               X(-span), yb, -span, X(0), yb, X(span), yb, span);
#undef X
        pg_put(pg, "</svg><details><summary>table</summary><table><tr><th>Dimension</th><th>a</th>"
                   "<th>b</th><th>b &#8722; a</th><th>CI</th><th>p</th><th>p (Holm)</th></tr>");
        for (size_t k = i; k < end; k++) {
            const struct vsc_drift_row *d = &r->drift[k];
            int sig = isfinite(d->p_holm) && d->p_holm < 0.05;
            pg_put(pg, "<tr%s><td>", sig ? " class=\"sig\"" : "");
            pg_esc(pg, d->dimension);
            pg_put(pg, "</td><td class=\"n\">");
            pg_num(pg, d->mean_a, 3);
            pg_put(pg, "</td><td class=\"n\">");
            pg_num(pg, d->mean_b, 3);
            pg_put(pg, "</td><td class=\"n\">");
            pg_num(pg, d->diff, 3);
            pg_put(pg, "</td><td class=\"n\">");
            pg_ci(pg, d->ci_low, d->ci_high, 3);
            pg_put(pg, "</td><td class=\"n\">");
            pg_num(pg, d->p, 4);
            pg_put(pg, "</td><td class=\"n\">");
            pg_num(pg, d->p_holm, 4);
            pg_put(pg, "</td></tr>");
        }
        pg_put(pg, "</table></details></div>");
        i = end;
    }
    pg_put(pg, "</div></section>");
}

/* ---- data quality and configuration ----------------------------------------------------- */

static void section_quality(struct page *pg)
{
    const struct vsc_report *r = pg->r;
    pg_put(pg, "<section id=\"quality\"><h2>Data quality</h2><table><tr><th>Model</th><th>Run</th>"
               "<th>Condition</th><th>Instrument</th><th>Cells</th><th>Answered</th><th>Failed</th>"
               "<th>Pending</th><th>Unparseable</th><th>Share unparseable</th></tr>");
    for (size_t i = 0; i < r->n_qual; i++) {
        const struct rep_quality *q = &r->qual[i];
        label_cells(pg, q->model, q->run, q->condition, q->instrument);
        pg_put(pg,
               "</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
               "<td class=\"n\">%zu</td><td class=\"n\">%zu</td><td class=\"n\">",
               q->cells, q->ok, q->failed, q->pending, q->unparseable);
        pg_num(pg, q->ok ? (double)q->unparseable / (double)q->ok : NAN, 3);
        pg_put(pg, "</td></tr>");
    }
    pg_put(pg, "</table><details><summary>First answers per model, condition and instrument (raw "
               "model text)</summary>");
    for (size_t i = 0; i < r->n_qual; i++) {
        const struct rep_quality *q = &r->qual[i];
        if (!q->n_samples) continue;
        pg_put(pg, "<p><b>");
        pg_esc(pg, q->model);
        pg_put(pg, "</b> <small>");
        pg_esc(pg, q->condition);
        pg_put(pg, " &#183; ");
        pg_esc(pg, q->instrument);
        pg_put(pg, "</small>");
        for (size_t k = 0; k < q->n_samples; k++) {
            pg_put(pg, "<q>");
            pg_esc(pg, q->samples[k]);
            pg_put(pg, "</q>");
        }
        pg_put(pg, "</p>");
    }
    pg_put(pg, "</details></section>");
}

static const char *centring_name(int c)
{
    switch (c) {
    case VSC_CENTRE_RESPONDENT:
        return "respondent";
    case VSC_CENTRE_RUN:
        return "run";
    case VSC_CENTRE_NONE:
        return "none";
    default:
        return "instrument default";
    }
}

static void section_config(struct page *pg)
{
    const struct vsc_report *r = pg->r;
    pg_put(pg,
           "<section id=\"config\"><h2>Configuration and version</h2><p>valscope %s. "
           "Scoring: centring %s, bootstrap %d resamples (0 = default 1000), seed %llu. "
           "Comparisons: %d resamples (0 = default 1000), seed %llu, level %g.</p>",
           VSC_VERSION, centring_name(r->score.centring), r->score.n_boot,
           (unsigned long long)r->score.seed, r->compare.n_boot,
           (unsigned long long)r->compare.seed, r->compare.level);
    for (size_t i = 0; i < r->n_runs; i++) {
        pg_put(pg, "<h3>Run ");
        pg_esc(pg, r->runs[i].run);
        pg_put(pg, "</h3><pre>");
        pg_esc(pg, r->runs[i].config);
        pg_put(pg, "</pre>");
    }
    if (!r->n_runs) pg_put(pg, "<p class=\"note\">The store holds no runs.</p>");
    pg_put(pg, "</section>");
}

static int add_distinct(const char ***list, size_t *n, const char *s)
{
    if (index_of(*list, *n, s) < *n) return 0;
    const char **l = realloc(*list, (*n + 1) * sizeof(*l));
    if (!l) return VSC_ERR_NOMEM;
    l[(*n)++] = s;
    *list = l;
    return 0;
}

int vsc_report_write_html(FILE *fp, const struct vsc_report *r)
{
    struct page pg = {.r = r};
    struct vsc_value_system *vs = NULL;
    struct vsc_diag ignore = {0};
    buf_init(&pg.b, (size_t)1 << 30);
    for (size_t i = 0; i < vsc_profiles_count(r->prof) && !pg.err; i++) {
        const struct vsc_score_record *e = vsc_profiles_get(r->prof, i);
        pg.err = add_distinct(&pg.models, &pg.n_models, e->model);
        if (!pg.err) pg.err = add_distinct(&pg.conds, &pg.n_conds, e->condition);
    }
    for (size_t i = 0; i < r->n_qual && !pg.err; i++) {
        pg.err = add_distinct(&pg.models, &pg.n_models, r->qual[i].model);
        if (!pg.err) pg.err = add_distinct(&pg.conds, &pg.n_conds, r->qual[i].condition);
    }
    if (vsc_value_system_builtin(&vs, "schwartz", &ignore)) vs = NULL;

    pg_put(&pg,
           "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
           "style-src 'unsafe-inline'; img-src data:\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    pg_esc(&pg, r->title);
    pg_put(&pg, "</title>\n<style>%s</style>\n</head><body>\n<h1>", CSS);
    pg_esc(&pg, r->title);
    pg_put(&pg,
           "</h1><p class=\"meta\">Made by valscope %s. Self-contained: no scripts, no "
           "network.</p>\n<nav><a href=\"#summary\">Summary</a><a href=\"#leaderboard\">"
           "Leaderboard</a><a href=\"#profiles\">Profiles</a><a href=\"#circle\">Circle</a>"
           "<a href=\"#systems\">Other systems</a><a href=\"#alignment\">Alignment</a>"
           "<a href=\"#drift\">Drift</a><a href=\"#quality\">Data quality</a>"
           "<a href=\"#config\">Configuration</a></nav>\n",
           VSC_VERSION);
    section_summary(&pg);
    section_leaderboard(&pg);
    section_radar(&pg, vs);
    section_circle(&pg, vs);
    section_bars(&pg);
    section_alignment(&pg);
    section_drift(&pg);
    section_quality(&pg);
    section_config(&pg);
    pg_put(&pg, "\n</body></html>\n");
    int rc = pg.err;
    if (!rc && pg.b.len && fwrite(pg.b.data, 1, pg.b.len, fp) != pg.b.len) rc = VSC_ERR_IO;
    if (!rc && fflush(fp)) rc = VSC_ERR_IO;
    vsc_value_system_free(vs);
    buf_free(&pg.b);
    free(pg.models);
    free(pg.conds);
    return rc;
}

static int write_html(FILE *fp, void *payload)
{
    return vsc_report_write_html(fp, payload);
}

int vsc_report_write_html_file(const char *path, const struct vsc_report *r, struct vsc_diag *diag)
{
    vsc_diag_clear(diag);
    return vsc_diag_finish(diag, atomic_file_write(path, write_html, (void *)r, diag));
}
