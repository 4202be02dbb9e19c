/* Target profiles (docs/targets.md): reading, writing, and the converter from Schwartz's
 * seven cultural orientations to the 10 basic values. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/atomic_file.h"
#include "util/readers.h"
#include "util/util.h"
#include "util/yamljson.h"
#include "valscope/compare.h"
#include "valscope/instrument.h"

void vsc_target_free(struct vsc_target *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->n_dims; i++)
        free(t->dims[i]);
    free(t->dims);
    free(t->scores);
    free(t->weights);
    free(t->id);
    free(t->name);
    free(t->system);
    free(t->source);
    free(t);
}

static int get_number(double *out, const struct yj_doc *doc, const json_t *v, const char *what,
                      struct vsc_diag *diag)
{
    if (!json_is_number(v)) return yj_error(diag, doc, v, "%s must be a number", what);
    double x = json_number_value(v);
    if (!isfinite(x)) return yj_error(diag, doc, v, "%s must be a finite number", what);
    *out = x;
    return 0;
}

static int parse_doc(struct vsc_target **out, const struct yj_doc *doc, struct vsc_diag *diag)
{
    static const char *const keys[] = {"id",      "name",   "system",  "source",
                                       "example", "scores", "weights", NULL};
    struct vsc_target *t = NULL;
    struct vsc_value_system *vs = NULL;
    json_t *root = yj_root(doc);
    int rc;
    *out = NULL;
    if (!json_is_object(root)) return yj_error(diag, doc, root, "a target file must be a mapping");
    if ((rc = yj_check_keys(doc, root, keys, "a target", diag))) return rc;
    const char *id, *name, *system, *source;
    if ((rc = yj_get_string(&id, doc, root, "id", 1, diag)) ||
        (rc = yj_get_string(&name, doc, root, "name", 0, diag)) ||
        (rc = yj_get_string(&system, doc, root, "system", 1, diag)) ||
        (rc = yj_get_string(&source, doc, root, "source", 0, diag)))
        return rc;
    json_t *ex = json_object_get(root, "example");
    if (ex && !json_is_boolean(ex))
        return yj_error(diag, doc, ex, "'example' must be true or false");
    json_t *scores = json_object_get(root, "scores");
    if (!scores) return yj_error(diag, doc, root, "a target needs 'scores'");
    if (!json_is_object(scores) || json_object_size(scores) == 0)
        return yj_error(diag, doc, scores, "'scores' must be a non-empty mapping dimension: score");
    json_t *weights = json_object_get(root, "weights");
    if (weights && !json_is_object(weights))
        return yj_error(diag, doc, weights, "'weights' must be a mapping dimension: weight");

    /* A built-in system lets us catch misspelt dimensions; other systems are taken as given. */
    struct vsc_diag ignore = {0};
    if (vsc_value_system_builtin(&vs, system, &ignore)) vs = NULL;

    rc = VSC_ERR_NOMEM;
    t = calloc(1, sizeof(*t));
    if (!t) goto fail;
    size_t n = json_object_size(scores);
    t->dims = calloc(n, sizeof(*t->dims));
    t->scores = calloc(n, sizeof(*t->scores));
    t->weights = calloc(n, sizeof(*t->weights));
    t->id = xstrdup(id);
    t->name = xstrdup(name ? name : id);
    t->system = xstrdup(system);
    t->source = source ? xstrdup(source) : NULL;
    if (!t->dims || !t->scores || !t->weights || !t->id || !t->name || !t->system ||
        (source && !t->source))
        goto fail;
    t->example = ex ? json_is_true(ex) : 0;
    const char *key;
    json_t *val;
    json_object_foreach(scores, key, val)
    {
        if (vs && vsc_value_system_find(vs, key) < 0) {
            rc = yj_error(diag, doc, val, "'%s' is not a dimension of value system '%s'", key,
                          system);
            goto fail;
        }
        char what[300];
        snprintf(what, sizeof(what), "the score of '%s'", key);
        if ((rc = get_number(&t->scores[t->n_dims], doc, val, what, diag))) goto fail;
        t->weights[t->n_dims] = 1.0;
        rc = VSC_ERR_NOMEM;
        if (!(t->dims[t->n_dims] = xstrdup(key))) goto fail;
        t->n_dims++;
    }
    if (weights) {
        json_object_foreach(weights, key, val)
        {
            size_t i = 0;
            while (i < t->n_dims && strcmp(t->dims[i], key))
                i++;
            if (i == t->n_dims) {
                rc = yj_error(diag, doc, val, "weight for '%s', which has no score", key);
                goto fail;
            }
            char what[300];
            snprintf(what, sizeof(what), "the weight of '%s'", key);
            if ((rc = get_number(&t->weights[i], doc, val, what, diag))) goto fail;
            if (t->weights[i] < 0) {
                rc = yj_error(diag, doc, val, "the weight of '%s' must be >= 0", key);
                goto fail;
            }
        }
    }
    vsc_value_system_free(vs);
    *out = t;
    return 0;
fail:
    vsc_value_system_free(vs);
    vsc_target_free(t);
    return rc;
}

static int target_parse(struct vsc_target **out, const char *text, size_t len, const char *name,
                        struct vsc_diag *diag)
{
    struct yj_doc *doc = NULL;
    *out = NULL;
    int rc = yj_parse(&doc, text, len, name, diag);
    if (!rc) rc = parse_doc(out, doc, diag);
    yj_free(doc);
    return rc;
}

int vsc_target_parse(struct vsc_target **out, const char *text, size_t len, const char *name,
                     struct vsc_diag *diag)
{
    vsc_diag_clear(diag);
    return vsc_diag_finish(diag, target_parse(out, text, len, name, diag));
}

static int target_load(struct vsc_target **out, const char *path, struct vsc_diag *diag)
{
    struct yj_doc *doc = NULL;
    *out = NULL;
    int rc = yj_load(&doc, path, diag);
    if (!rc) rc = parse_doc(out, doc, diag);
    yj_free(doc);
    return rc;
}

int vsc_target_load(struct vsc_target **out, const char *path, struct vsc_diag *diag)
{
    vsc_diag_clear(diag);
    return vsc_diag_finish(diag, target_load(out, path, diag));
}

/* Double-quoted YAML scalar: JSON string syntax is valid YAML, so jansson does the quoting. */
static int put_quoted(FILE *fp, const char *s)
{
    json_t *j = json_string(s ? s : "");
    if (!j) return VSC_ERR_NOMEM;
    int rc = json_dumpf(j, fp, JSON_ENCODE_ANY) ? VSC_ERR_IO : 0;
    json_decref(j);
    return rc;
}

int vsc_target_write(FILE *fp, const struct vsc_target *t)
{
    int rc = 0;
    if (t->example) fputs("# EXAMPLE: written as an illustration, not measured data.\n", fp);
    fputs("id: ", fp);
    rc |= put_quoted(fp, t->id);
    fputs("\nname: ", fp);
    rc |= put_quoted(fp, t->name);
    fputs("\nsystem: ", fp);
    rc |= put_quoted(fp, t->system);
    if (t->source) {
        fputs("\nsource: ", fp);
        rc |= put_quoted(fp, t->source);
    }
    fprintf(fp, "\nexample: %s\nscores:\n", t->example ? "true" : "false");
    int any_weight = 0;
    for (size_t i = 0; i < t->n_dims; i++) {
        fputs("  ", fp);
        rc |= put_quoted(fp, t->dims[i]);
        fprintf(fp, ": %.6g\n", t->scores[i]);
        if (t->weights[i] != 1.0) any_weight = 1;
    }
    if (any_weight) {
        fputs("weights:\n", fp);
        for (size_t i = 0; i < t->n_dims; i++) {
            fputs("  ", fp);
            rc |= put_quoted(fp, t->dims[i]);
            fprintf(fp, ": %.6g\n", t->weights[i]);
        }
    }
    if (rc) return rc < 0 ? rc : VSC_ERR_IO;
    return ferror(fp) ? VSC_ERR_IO : 0;
}

/* ---- cultural orientations -> basic values ---------------------------------------------- */

const char *const vsc_orientation_names[VSC_N_ORIENTATIONS] = {
    "harmony", "embedded", "hierarchy", "mastery", "aff_auton", "intel_auton", "egalitar"};

/* The 10 values in the order of the built-in `schwartz` system. */
static const char *const VALUES[10] = {"self-direction", "stimulation", "hedonism",   "achievement",
                                       "power",          "security",    "conformity", "tradition",
                                       "benevolence",    "universalism"};

/* Share of each orientation in each value (rows sum to 1). An approximate, hand-made
 * reading of which individual-level values the items of each cultural orientation draw on
 * (Schwartz 2006, "A theory of cultural value orientations"); it is NOT a validated
 * cross-level mapping. docs/targets.md shows the same table with the reasons.
 * Columns: harmony embedded hierarchy mastery aff_auton intel_auton egalitar. */
static const double MAP[10][VSC_N_ORIENTATIONS] = {
    /* self-direction */ {0.0, 0.0, 0.0, 0.2, 0.0, 0.8, 0.0},
    /* stimulation    */ {0.0, 0.0, 0.0, 0.2, 0.8, 0.0, 0.0},
    /* hedonism       */ {0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0},
    /* achievement    */ {0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0},
    /* power          */ {0.0, 0.0, 0.8, 0.2, 0.0, 0.0, 0.0},
    /* security       */ {0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0},
    /* conformity     */ {0.0, 0.8, 0.2, 0.0, 0.0, 0.0, 0.0},
    /* tradition      */ {0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0},
    /* benevolence    */ {0.0, 0.3, 0.0, 0.0, 0.0, 0.0, 0.7},
    /* universalism   */ {0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5},
};

void vsc_orientations_to_values(double out_values[10], const double orientations[7])
{
    double mean = 0;
    for (size_t v = 0; v < 10; v++) {
        double s = 0;
        for (size_t o = 0; o < VSC_N_ORIENTATIONS; o++)
            s += MAP[v][o] * orientations[o];
        out_values[v] = s;
        mean += s / 10.0;
    }
    for (size_t v = 0; v < 10; v++)
        out_values[v] -= mean;
}

/* "Côte d'Ivoire" -> "c-te-d-ivoire": ASCII letters and digits kept (lower case), runs of
 * anything else become one '-'. Never empty, never a path separator or a dot file. */
static char *slug(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n + 8);
    if (!out) return NULL;
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isascii(*p) && isalnum(*p))
            out[k++] = (char)tolower(*p);
        else if (k && out[k - 1] != '-')
            out[k++] = '-';
    }
    while (k && out[k - 1] == '-')
        k--;
    if (!k) {
        strcpy(out, "country");
        k = strlen(out);
    }
    out[k] = 0;
    return out;
}

struct generated {
    const struct vsc_target *t;
    int line;
};

static int write_generated(FILE *fp, void *payload)
{
    const struct generated *g = payload;
    fprintf(fp,
            "# Generated from %s, line %d. The mapping from cultural orientations to basic\n"
            "# values is an approximation (docs/targets.md).\n",
            "the orientation CSV", g->line);
    return vsc_target_write(fp, g->t);
}

static int targets_from_orientations(size_t *out_n, const char *csv_path, const char *out_dir,
                                     struct vsc_diag *diag)
{
    char *text = NULL;
    size_t len = 0;
    json_t *fields = json_array();
    long col[1 + VSC_N_ORIENTATIONS]; /* country, then the orientations */
    int rc = VSC_ERR_NOMEM;
    *out_n = 0;
    if (!fields) goto fail;
    if ((rc = read_text_file(&text, &len, csv_path, diag))) goto fail;
    struct csv c = {.p = text, .end = text + len, .line = 1};
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) c.p += 3; /* spreadsheet BOM */
    int line = 0;
    rc = csv_next(&c, fields, &line, csv_path, diag);
    if (rc < 0) goto fail;
    if (rc == 0) {
        rc = vsc_diag_set(diag, csv_path, 1, 0, "empty file: expected a header row");
        goto fail;
    }
    for (size_t k = 0; k <= VSC_N_ORIENTATIONS; k++) {
        const char *want = k ? vsc_orientation_names[k - 1] : "country";
        col[k] = -1;
        for (size_t i = 0; i < json_array_size(fields); i++) {
            const char *h = json_string_value(json_array_get(fields, i));
            while (*h == ' ')
                h++;
            size_t hl = strlen(h);
            while (hl && h[hl - 1] == ' ')
                hl--;
            if (hl == strlen(want) && !strncasecmp(h, want, hl)) col[k] = (long)i;
        }
        if (col[k] < 0) {
            rc = vsc_diag_set(diag, csv_path, line, 0, "header has no column '%s'", want);
            goto fail;
        }
    }
    for (;;) {
        rc = csv_next(&c, fields, &line, csv_path, diag);
        if (rc < 0) goto fail;
        if (rc == 0) break;
        const char *country = json_string_value(json_array_get(fields, (size_t)col[0]));
        if (!country || !*country) {
            rc = vsc_diag_set(diag, csv_path, line, 0, "row has no country");
            goto fail;
        }
        double orient[VSC_N_ORIENTATIONS], values[10];
        for (size_t o = 0; o < VSC_N_ORIENTATIONS; o++) {
            const char *cell = json_string_value(json_array_get(fields, (size_t)col[o + 1]));
            char *end = NULL;
            errno = 0;
            double x = cell ? strtod(cell, &end) : NAN;
            if (end)
                while (*end == ' ')
                    end++;
            if (!cell || !*cell || !end || *end || errno || !isfinite(x)) {
                rc = vsc_diag_set(diag, csv_path, line, (int)col[o + 1] + 1,
                                  "country '%s': column '%s' must be a number, not '%s'", country,
                                  vsc_orientation_names[o], cell ? cell : "");
                goto fail;
            }
            orient[o] = x;
        }
        vsc_orientations_to_values(values, orient);
        char *id = slug(country);
        char *name = xasprintf("%s (from cultural orientations)", country);
        char *file = id ? xasprintf("%s.yaml", id) : NULL;
        char *path = file ? path_join(out_dir, file) : NULL;
        char *dims[10];
        double weights[10];
        for (size_t v = 0; v < 10; v++) {
            dims[v] = (char *)VALUES[v];
            weights[v] = 1.0;
        }
        struct vsc_target t = {.id = id,
                               .name = name,
                               .system = "schwartz",
                               .source = "converted by valscope from Schwartz cultural "
                                         "orientation scores with the APPROXIMATE mapping of "
                                         "docs/targets.md",
                               .n_dims = 10,
                               .dims = dims,
                               .scores = values,
                               .weights = weights};
        struct generated g = {&t, line};
        rc =
            id && name && path ? atomic_file_write(path, write_generated, &g, diag) : VSC_ERR_NOMEM;
        free(id);
        free(name);
        free(file);
        free(path);
        if (rc) goto fail;
        (*out_n)++;
    }
    rc = 0;
fail:
    json_decref(fields);
    free(text);
    return rc;
}

int vsc_targets_from_orientations(size_t *out_n, const char *csv_path, const char *out_dir,
                                  struct vsc_diag *diag)
{
    vsc_diag_clear(diag);
    return vsc_diag_finish(diag, targets_from_orientations(out_n, csv_path, out_dir, diag));
}
