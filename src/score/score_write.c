/* Writers for score records: tidy JSON lines and a terminal table. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/jsonout.h"
#include "util/util.h"
#include "valscope/score.h"

/* Names can come from model output: invalid UTF-8 is replaced, never dropped silently. */
static json_t *str(const char *s)
{
    if (!s) return json_null();
    if (utf8_valid(s, strlen(s))) return json_string(s);
    size_t len;
    char *clean = utf8_sanitize(s, strlen(s), &len);
    json_t *v = clean ? json_stringn(clean, len) : json_null();
    free(clean);
    return v ? v : json_null();
}

int vsc_score_write_json(FILE *fp, const struct vsc_score_record *r)
{
    json_t *o = json_object();
    if (!o) return VSC_ERR_NOMEM;
    json_object_set_new(o, "model", str(r->model));
    json_object_set_new(o, "run", str(r->run));
    json_object_set_new(o, "condition", str(r->condition));
    json_object_set_new(o, "system", str(r->system));
    json_object_set_new(o, "instrument", str(r->instrument));
    json_object_set_new(o, "kind", str(r->kind));
    if (r->protocol) json_object_set_new(o, "protocol", str(r->protocol));
    json_object_set_new(o, "dimension", str(r->dimension));
    json_object_set_new(o, "mean", jout_num(r->mean));
    json_object_set_new(o, "sd", jout_num(r->sd));
    json_object_set_new(o, "n", json_integer((json_int_t)r->n));
    json_object_set_new(o, "ci_low", jout_num(r->ci_low));
    json_object_set_new(o, "ci_high", jout_num(r->ci_high));
    json_object_set_new(o, "alpha", jout_num(r->alpha));
    json_object_set_new(o, "omega", jout_num(r->omega));
    json_object_set_new(o, "retest", jout_num(r->retest));
    json_object_set_new(o, "unparseable", jout_num(r->unparseable));
    json_object_set_new(o, "n_respondents", json_integer((json_int_t)r->n_respondents));
    json_object_set_new(o, "n_items", json_integer((json_int_t)r->n_items));
    json_object_set_new(o, "n_unparseable", json_integer((json_int_t)r->n_unparseable));
    json_object_set_new(o, "n_failed", json_integer((json_int_t)r->n_failed));
    json_object_set_new(o, "n_pending", json_integer((json_int_t)r->n_pending));
    json_object_set_new(o, "entropy", jout_num(r->entropy));
    if (r->n_norms) {
        json_t *a = json_array();
        for (size_t i = 0; i < r->n_norms; i++) {
            const struct vsc_score_norm *nm = &r->norms[i];
            json_t *e = json_object();
            json_object_set_new(e, "crowd", str(nm->crowd));
            json_object_set_new(e, "mean", jout_num(nm->crowd_mean));
            json_object_set_new(e, "sd", jout_num(nm->crowd_sd));
            json_object_set_new(e, "n", jout_num(nm->crowd_n));
            json_object_set_new(e, "t", jout_num(nm->t));
            json_object_set_new(e, "df", jout_num(nm->df));
            json_object_set_new(e, "p", jout_num(nm->p));
            json_object_set_new(e, "d", jout_num(nm->d));
            json_array_append_new(a, e);
        }
        json_object_set_new(o, "norms", a);
    }
    return jout_line(fp, o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
}

/* Model and condition names come from users and models: no terminal control sequences. */
static void put_clean(FILE *fp, const char *s, int width)
{
    char buf[128];
    size_t n = 0;
    for (; s && *s && n + 1 < sizeof buf && (int)n < width; s++)
        buf[n++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
    buf[n] = 0;
    fprintf(fp, "%-*s ", width, buf);
}

static void put_num(FILE *fp, double x, int width, int prec)
{
    if (isfinite(x))
        fprintf(fp, "%*.*f ", width, prec, x);
    else
        fprintf(fp, "%*s ", width, "-");
}

int vsc_score_write_table_header(FILE *fp)
{
    int rc = fprintf(fp, "%-20s %-12s %-12s %-22s %8s %7s %6s %17s %6s %6s %6s %7s\n", "model",
                     "run", "condition", "dimension", "mean", "sd", "n", "95% CI", "alpha", "omega",
                     "retest", "unparse");
    return rc < 0 ? VSC_ERR_IO : 0;
}

int vsc_score_write_table_row(FILE *fp, const struct vsc_score_record *r)
{
    put_clean(fp, r->model, 20);
    put_clean(fp, r->run, 12);
    put_clean(fp, r->condition, 12);
    char dim[64];
    snprintf(dim, sizeof dim, "%s%s", r->kind && !strcmp(r->kind, "group") ? "*" : "",
             r->dimension ? r->dimension : "");
    put_clean(fp, dim, 22);
    put_num(fp, r->mean, 8, 3);
    put_num(fp, r->sd, 7, 3);
    fprintf(fp, "%6zu ", r->n);
    if (isfinite(r->ci_low) && isfinite(r->ci_high))
        fprintf(fp, "[%7.3f,%7.3f] ", r->ci_low, r->ci_high);
    else
        fprintf(fp, "%17s ", "-");
    put_num(fp, r->alpha, 6, 2);
    put_num(fp, r->omega, 6, 2);
    put_num(fp, r->retest, 6, 2);
    put_num(fp, r->unparseable, 7, 3);
    return fprintf(fp, "\n") < 0 ? VSC_ERR_IO : 0;
}
