/* The persona sampler: independent categorical draws per attribute from the tables below
 * (documented in docs/roleplay.md), rendered through a template with {slot} names.
 *
 * Each (seed, index) gets its own RNG stream, so persona 42 of seed 11 is the same whether
 * 43 or 500 personas are drawn, and personas can be drawn in any order. */
#include "plan/personas.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* ---- the distributions ------------------------------------------------------------------ */

struct level {
    const char *id;     /* what attrs_json holds */
    const char *phrase; /* what the template shows */
    double p;
};

struct attribute {
    const char *name;
    const struct level *levels;
    size_t n_levels;
    int numeric; /* the id is written to attrs_json as a JSON number */
};

#define N(a) (sizeof(a) / sizeof(*(a)))

static const struct level SEX[] = {
    {"female", "woman", 0.50},
    {"male", "man", 0.49},
    {"non-binary", "non-binary person", 0.01},
};

/* Age is uniform over 20..80; the table is filled on first use (see age_levels). */
static struct level AGE[61];
static char AGE_IDS[61][4];

static const struct level INCOME[] = {
    {"1", "in the lowest income decile of your country", 0.1},
    {"2", "in the 2nd income decile of your country", 0.1},
    {"3", "in the 3rd income decile of your country", 0.1},
    {"4", "in the 4th income decile of your country", 0.1},
    {"5", "in the 5th income decile of your country", 0.1},
    {"6", "in the 6th income decile of your country", 0.1},
    {"7", "in the 7th income decile of your country", 0.1},
    {"8", "in the 8th income decile of your country", 0.1},
    {"9", "in the 9th income decile of your country", 0.1},
    {"10", "in the highest income decile of your country", 0.1},
};

static const struct level MARITAL[] = {
    {"single", "single", 0.30},
    {"married", "married", 0.45},
    {"cohabiting", "living with a partner", 0.06},
    {"divorced", "divorced", 0.11},
    {"widowed", "widowed", 0.08},
};

static const struct level CHILDREN[] = {
    {"0", "no children", 0.35},           {"1", "one child", 0.20},
    {"2", "two children", 0.27},          {"3", "three children", 0.12},
    {"4", "four or more children", 0.06},
};

static const struct level EDUCATION[] = {
    {"isced1", "primary education", 0.08},
    {"isced2", "lower secondary education", 0.12},
    {"isced3", "upper secondary education", 0.34},
    {"isced4", "post-secondary non-tertiary education", 0.05},
    {"isced5", "a short-cycle tertiary qualification", 0.08},
    {"isced6", "a bachelor's degree or equivalent", 0.20},
    {"isced7", "a master's degree or equivalent", 0.11},
    {"isced8", "a doctoral degree", 0.02},
};

static const struct level EMPLOYMENT[] = {
    {"full-time", "employed full-time", 0.45},
    {"part-time", "employed part-time", 0.12},
    {"self-employed", "self-employed", 0.10},
    {"unemployed", "unemployed", 0.06},
    {"retired", "retired", 0.17},
    {"student", "a student", 0.05},
    {"homemaker", "a homemaker", 0.05},
};

/* ISCO-08 major groups */
static const struct level OCCUPATION[] = {
    {"managers", "management", 0.07},
    {"professionals", "a professional occupation", 0.17},
    {"technicians", "a technical or associate professional occupation", 0.13},
    {"clerical", "clerical support work", 0.09},
    {"service-sales", "service and sales work", 0.18},
    {"agriculture", "skilled agricultural, forestry or fishery work", 0.08},
    {"craft", "a craft or related trade", 0.11},
    {"operators", "plant and machine operation", 0.07},
    {"elementary", "an elementary occupation", 0.09},
    {"armed-forces", "the armed forces", 0.01},
};

static const struct level ETHNICITY[] = {
    {"white", "White", 0.30},
    {"black", "Black", 0.14},
    {"east-asian", "East Asian", 0.18},
    {"south-asian", "South Asian", 0.15},
    {"southeast-asian", "Southeast Asian", 0.07},
    {"hispanic", "Hispanic or Latino", 0.08},
    {"mena", "Middle Eastern or North African", 0.05},
    {"indigenous", "Indigenous", 0.01},
    {"mixed", "of mixed ethnicity", 0.02},
};

static const struct level RELIGION[] = {
    {"christian", "Christian", 0.31}, {"muslim", "Muslim", 0.24},
    {"none", "not religious", 0.16},  {"hindu", "Hindu", 0.15},
    {"buddhist", "Buddhist", 0.07},   {"folk", "a follower of a folk religion", 0.05},
    {"jewish", "Jewish", 0.01},       {"other", "a follower of another religion", 0.01},
};

static const struct level COUNTRY[] = {
    {"CN", "China", 0.12},
    {"IN", "India", 0.14},
    {"US", "the United States", 0.06},
    {"ID", "Indonesia", 0.05},
    {"PK", "Pakistan", 0.04},
    {"NG", "Nigeria", 0.04},
    {"BR", "Brazil", 0.05},
    {"BD", "Bangladesh", 0.03},
    {"RU", "Russia", 0.04},
    {"MX", "Mexico", 0.04},
    {"JP", "Japan", 0.04},
    {"ET", "Ethiopia", 0.02},
    {"PH", "the Philippines", 0.02},
    {"EG", "Egypt", 0.02},
    {"VN", "Vietnam", 0.02},
    {"DE", "Germany", 0.03},
    {"TR", "Turkey", 0.02},
    {"IR", "Iran", 0.02},
    {"FR", "France", 0.02},
    {"GB", "the United Kingdom", 0.02},
    {"ZA", "South Africa", 0.02},
    {"KR", "South Korea", 0.02},
    {"IT", "Italy", 0.02},
    {"AR", "Argentina", 0.02},
    {"PL", "Poland", 0.02},
    {"SE", "Sweden", 0.01},
    {"AU", "Australia", 0.01},
    {"CA", "Canada", 0.02},
    {"KE", "Kenya", 0.02},
};

/* The share of people who live in the country they were born in. The others' country of
 * residence is an independent draw from the same table, so both columns follow COUNTRY. */
#define P_STAY 0.85

enum {
    A_SEX,
    A_AGE,
    A_INCOME,
    A_MARITAL,
    A_CHILDREN,
    A_EDUCATION,
    A_EMPLOYMENT,
    A_OCCUPATION,
    A_ETHNICITY,
    A_RELIGION,
    A_BIRTH,
    A_RESIDENCE,
    A_COUNT
};

static const struct attribute ATTRS[A_COUNT] = {
    {"sex", SEX, N(SEX), 0},
    {"age", AGE, N(AGE), 1},
    {"income_decile", INCOME, N(INCOME), 1},
    {"marital_status", MARITAL, N(MARITAL), 0},
    {"children", CHILDREN, N(CHILDREN), 1},
    {"education", EDUCATION, N(EDUCATION), 0},
    {"employment", EMPLOYMENT, N(EMPLOYMENT), 0},
    {"occupation", OCCUPATION, N(OCCUPATION), 0},
    {"ethnicity", ETHNICITY, N(ETHNICITY), 0},
    {"religion", RELIGION, N(RELIGION), 0},
    {"country_of_birth", COUNTRY, N(COUNTRY), 0},
    {"country_of_residence", COUNTRY, N(COUNTRY), 0},
};

static void age_levels(void)
{
    /* filled once; every caller writes the same values, so a race is harmless */
    if (AGE[0].id) return;
    for (int i = 0; i < 61; i++) {
        snprintf(AGE_IDS[i], sizeof AGE_IDS[i], "%d", 20 + i);
        AGE[i] = (struct level){AGE_IDS[i], AGE_IDS[i], 1.0 / 61};
    }
}

size_t persona_attr_count(void)
{
    return A_COUNT;
}

int persona_attr_info(size_t attr, const char **out_name, size_t *out_n_levels)
{
    age_levels();
    if (attr >= A_COUNT) return VSC_ERR_NOTFOUND;
    *out_name = ATTRS[attr].name;
    *out_n_levels = ATTRS[attr].n_levels;
    return 0;
}

int persona_level_info(size_t attr, size_t level, const char **out_id, double *out_p)
{
    age_levels();
    if (attr >= A_COUNT || level >= ATTRS[attr].n_levels) return VSC_ERR_NOTFOUND;
    double total = 0;
    for (size_t i = 0; i < ATTRS[attr].n_levels; i++)
        total += ATTRS[attr].levels[i].p;
    *out_id = ATTRS[attr].levels[level].id;
    *out_p = ATTRS[attr].levels[level].p / total;
    return 0;
}

/* ---- sampling ----------------------------------------------------------------------------- */

static size_t draw(struct rng *r, const struct level *lv, size_t n)
{
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += lv[i].p;
    double u = rng_uniform(r) * total, acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc += lv[i].p;
        if (u < acc) return i;
    }
    return n - 1;
}

int persona_sample_levels(size_t *out_levels, uint64_t seed, int index)
{
    if (index < 0) return VSC_ERR_INPUT;
    age_levels();
    struct rng r;
    /* one stream per (seed, index): mix both through splitmix (inside rng_seed) */
    rng_seed(&r, seed * 0x9E3779B97F4A7C15ULL ^ ((uint64_t)index + 0x632BE59BD9B4E019ULL));
    for (int a = 0; a < A_COUNT; a++) {
        if (a == A_RESIDENCE) {
            int stay = rng_uniform(&r) < P_STAY;
            size_t other = draw(&r, COUNTRY, N(COUNTRY)); /* always drawn: stable stream */
            out_levels[a] = stay ? out_levels[A_BIRTH] : other;
            continue;
        }
        out_levels[a] = draw(&r, ATTRS[a].levels, ATTRS[a].n_levels);
    }
    return 0;
}

/* ---- rendering ---------------------------------------------------------------------------- */

/* The built-in template. Slots: {sex} {age} {income_decile} {marital_status} {children}
 * {education} {employment} {occupation} {ethnicity} {religion} {country_of_birth}
 * {country_of_residence}; "{{" and "}}" are literal braces. */
static const char DEFAULT_TEMPLATE[] =
    "You are a {age}-year-old {sex}, born in {country_of_birth} and living in "
    "{country_of_residence}. You are {ethnicity} and {religion}. You are {marital_status} "
    "with {children}. Your highest level of education is {education}. You are {employment}, "
    "working (or having last worked) in {occupation}, and your household is "
    "{income_decile}. Answer every question as this person would.";

/* What a slot shows: the phrase of a known level, else the attribute's value as text. */
typedef int (*slot_fn)(struct buf *b, const char *slot, size_t len, void *payload);

/* Fills {slot}s of `tpl` through `fn`; "{{" and "}}" are literal braces. A slot `fn` does not
 * know fails with VSC_ERR_INPUT, its name in `diag`. */
/* A rendered persona text may be at most this long (a prompt holds it whole). */
#define PERSONA_TEXT_CAP ((size_t)1 << 20)

/* Did slot `len` bytes at `slot` fail because it is unknown, or because its value would not fit
 * under the cap? The slot function is asked again with room to spare. */
static int slot_is_known(slot_fn fn, const char *slot, size_t len, void *payload)
{
    struct buf probe;
    buf_init(&probe, SIZE_MAX / 2);
    int known = fn(&probe, slot, len, payload) == 0;
    buf_free(&probe);
    return known;
}

static int render(char **out, const char *tpl, slot_fn fn, void *payload, struct vsc_diag *diag)
{
    struct buf b;
    buf_init(&b, PERSONA_TEXT_CAP);
    int rc = 0;
    for (const char *p = tpl; *p && !rc;) {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            if ((rc = buf_append(&b, p, 1))) goto too_long;
            p += 2;
            continue;
        }
        if (*p != '{') {
            size_t n = strcspn(p, "{}");
            if (n == 0) n = 1; /* a lone '}' */
            if ((rc = buf_append(&b, p, n))) goto too_long;
            p += n;
            continue;
        }
        const char *end = strchr(p + 1, '}');
        if (!end) {
            rc = vsc_diag_set(diag, NULL, 0, (int)(p - tpl) + 1,
                              "persona template: '{' without a closing '}'");
            break;
        }
        rc = fn(&b, p + 1, (size_t)(end - p - 1), payload);
        if (rc == VSC_ERR_INPUT && slot_is_known(fn, p + 1, (size_t)(end - p - 1), payload))
            vsc_diag_set(diag, NULL, 0, (int)(p - tpl) + 1,
                         "persona text is longer than the cap of %zu bytes (at slot {%.*s})",
                         PERSONA_TEXT_CAP, (int)(end - p - 1), p + 1);
        else if (rc == VSC_ERR_INPUT)
            vsc_diag_set(diag, NULL, 0, (int)(p - tpl) + 1,
                         "persona template: unknown slot {%.*s} (slots: sex, age, "
                         "income_decile, marital_status, children, education, employment, "
                         "occupation, ethnicity, religion, country_of_birth, "
                         "country_of_residence, or an attribute of the persona file)",
                         (int)(end - p - 1), p + 1);
        p = end + 1;
    }
    if (rc) {
        buf_free(&b);
        return rc;
    }
    *out = buf_take(&b);
    return *out ? 0 : VSC_ERR_NOMEM;
too_long:
    buf_free(&b);
    return rc == VSC_ERR_INPUT
               ? vsc_diag_set(diag, NULL, 0, 0, "persona text is longer than the cap of %zu bytes",
                              PERSONA_TEXT_CAP)
               : rc;
}

static long attr_by_name(const char *s, size_t len)
{
    for (size_t a = 0; a < A_COUNT; a++)
        if (strlen(ATTRS[a].name) == len && !strncmp(ATTRS[a].name, s, len)) return (long)a;
    return -1;
}

static int sampled_slot(struct buf *b, const char *slot, size_t len, void *payload)
{
    const size_t *levels = payload;
    long a = attr_by_name(slot, len);
    if (a < 0) return VSC_ERR_INPUT;
    return buf_puts(b, ATTRS[a].levels[levels[a]].phrase);
}

int persona_template_check(const char *template_text, struct vsc_diag *diag)
{
    size_t levels[A_COUNT];
    char *text = NULL;
    persona_sample_levels(levels, 1, 0);
    int rc =
        render(&text, template_text ? template_text : DEFAULT_TEMPLATE, sampled_slot, levels, diag);
    free(text);
    return rc;
}

void persona_clear(struct persona *p)
{
    if (!p) return;
    free(p->id);
    free(p->attrs_json);
    free(p->text);
    memset(p, 0, sizeof(*p));
}

int persona_sample(struct persona *out, uint64_t seed, int index, const char *template_text)
{
    memset(out, 0, sizeof(*out));
    size_t levels[A_COUNT];
    int rc = persona_sample_levels(levels, seed, index);
    if (rc) return rc;
    json_t *attrs = json_object();
    if (!attrs) return VSC_ERR_NOMEM;
    for (size_t a = 0; a < A_COUNT; a++) {
        const char *id = ATTRS[a].levels[levels[a]].id;
        json_t *v = ATTRS[a].numeric ? json_integer(atoi(id)) : json_string(id);
        if (json_object_set_new(attrs, ATTRS[a].name, v)) {
            rc = VSC_ERR_NOMEM;
            goto fail;
        }
    }
    out->attrs_json = json_dumps(attrs, JSON_COMPACT | JSON_SORT_KEYS);
    out->id = xasprintf("s%llu-p%04d", (unsigned long long)seed, index);
    if (!out->attrs_json || !out->id) {
        rc = VSC_ERR_NOMEM;
        goto fail;
    }
    rc = render(&out->text, template_text ? template_text : DEFAULT_TEMPLATE, sampled_slot, levels,
                NULL);
fail:
    json_decref(attrs);
    if (rc) persona_clear(out);
    return rc;
}

/* ---- personas from a file ----------------------------------------------------------------- */

/* A file persona's slot: the attribute's value; a known level id shows its phrase. */
static int file_slot(struct buf *b, const char *slot, size_t len, void *payload)
{
    json_t *obj = payload;
    char name[128];
    if (len >= sizeof name) return VSC_ERR_INPUT;
    memcpy(name, slot, len);
    name[len] = 0;
    json_t *v = json_object_get(obj, name);
    if (!v) return VSC_ERR_INPUT;
    char tmp[64];
    const char *s = NULL;
    if (json_is_string(v))
        s = json_string_value(v);
    else if (json_is_integer(v))
        snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(v)), s = tmp;
    else if (json_is_real(v))
        snprintf(tmp, sizeof tmp, "%g", json_real_value(v)), s = tmp;
    else if (json_is_boolean(v))
        s = json_is_true(v) ? "yes" : "no";
    else
        return VSC_ERR_INPUT;
    long a = attr_by_name(slot, len);
    if (a >= 0)
        for (size_t i = 0; i < ATTRS[a].n_levels; i++)
            if (!strcmp(ATTRS[a].levels[i].id, s)) return buf_puts(b, ATTRS[a].levels[i].phrase);
    return buf_puts(b, s);
}

int persona_load_file(struct persona **out, size_t *out_n, const char *path,
                      const char *template_text, struct vsc_diag *diag)
{
    *out = NULL;
    *out_n = 0;
    age_levels();
    char *data = NULL;
    size_t len = 0, n = 0, cap = 0;
    struct persona *ps = NULL;
    int rc = read_text_file(&data, &len, path, diag);
    if (rc) {
        if (diag) snprintf(diag->file, sizeof diag->file, "%s", path);
        return rc;
    }
    const char *p = data;
    json_t *seen = json_object(); /* id -> the line that gave it */
    if (!seen) rc = VSC_ERR_NOMEM;
    for (int line = 1; p && *p && !rc; line++) {
        const char *nl = strchr(p, '\n');
        size_t ll = nl ? (size_t)(nl - p) : strlen(p);
        const char *next = nl ? nl + 1 : NULL;
        size_t i = 0;
        while (i < ll && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
            i++;
        if (i == ll) {
            p = next;
            continue;
        }
        json_error_t err;
        json_t *obj = json_loadb(p, ll, 0, &err);
        if (!obj || !json_is_object(obj)) {
            if (obj)
                rc = vsc_diag_set(diag, path, line, 1, "a persona must be a JSON object");
            else
                rc = vsc_diag_set(diag, path, line, err.column, "%s", err.text);
            json_decref(obj);
            break;
        }
        json_t *id = json_object_get(obj, "id"), *text = json_object_get(obj, "text");
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            struct persona *g = realloc(ps, cap * sizeof(*ps));
            if (!g) {
                json_decref(obj);
                rc = VSC_ERR_NOMEM;
                break;
            }
            ps = g;
        }
        struct persona *pe = &ps[n];
        memset(pe, 0, sizeof(*pe));
        if (id && !json_is_string(id) && !json_is_integer(id)) {
            rc = vsc_diag_set(diag, path, line, 0, "field 'id' must be text or a number");
        } else if (text && !json_is_string(text)) {
            rc = vsc_diag_set(diag, path, line, 0, "field 'text' must be text");
        } else {
            if (json_is_integer(id))
                pe->id = xasprintf("%lld", (long long)json_integer_value(id));
            else if (id)
                pe->id = xstrdup(json_string_value(id));
            else
                pe->id = xasprintf("file-p%04zu", n);
            json_t *attrs = json_deep_copy(obj);
            json_object_del(attrs, "id");
            json_object_del(attrs, "text");
            pe->attrs_json = attrs ? json_dumps(attrs, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
            json_decref(attrs);
            json_t *first = pe->id ? json_object_get(seen, pe->id) : NULL;
            if (!pe->id || !pe->attrs_json)
                rc = VSC_ERR_NOMEM;
            else if (first)
                /* the plan keys cells by persona id: a second one would never be asked */
                rc = vsc_diag_set(diag, path, line, 0,
                                  "duplicate persona id '%s' (first at %s:%lld)", pe->id, path,
                                  (long long)json_integer_value(first));
            else if (json_object_set_new(seen, pe->id, json_integer(line)))
                rc = VSC_ERR_NOMEM;
            else if (text)
                rc = (pe->text = xstrdup(json_string_value(text))) ? 0 : VSC_ERR_NOMEM;
            else {
                struct vsc_diag d = {0};
                rc = render(&pe->text, template_text ? template_text : DEFAULT_TEMPLATE, file_slot,
                            obj, &d);
                if (rc == VSC_ERR_INPUT)
                    vsc_diag_set(diag, path, line, 0, "persona has no 'text' and %s", d.msg);
            }
        }
        json_decref(obj);
        n++; /* the slot is cleared below on failure too */
        p = next;
    }
    free(data);
    json_decref(seen);
    if (!rc && n == 0) rc = vsc_diag_set(diag, path, 0, 0, "no personas in the file");
    if (rc) {
        for (size_t i = 0; i < n; i++)
            persona_clear(&ps[i]);
        free(ps);
        return rc;
    }
    *out = ps;
    *out_n = n;
    return 0;
}
