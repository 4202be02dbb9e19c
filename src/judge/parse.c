/* Judge output parsers. Judges wrap JSON in code fences, put prose around it, leave trailing
 * commas and write labels in any case; all of that is read. What is still ambiguous or absent
 * is reported as unreadable: a parser here never turns doubt into a number. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "judge/judge_int.h"
#include "util/util.h"

/* Replies longer than this are not searched further: a judge that rambles on is unreadable. */
#define MAX_REPLY 65536
/* Start positions tried per candidate text before giving up. */
#define MAX_STARTS 32

/* A copy of s[0..len) with commas that directly precede '}' or ']' (outside strings) removed. */
static char *drop_trailing_commas(const char *s, size_t len)
{
    char *out = malloc(len + 1);
    if (!out) return NULL;
    size_t o = 0;
    int in_str = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_str) {
            out[o++] = c;
            if (c == '\\' && i + 1 < len)
                out[o++] = s[++i];
            else if (c == '"')
                in_str = 0;
            continue;
        }
        if (c == '"') in_str = 1;
        if (c == ',') {
            size_t j = i + 1;
            while (j < len && isspace((unsigned char)s[j]))
                j++;
            if (j < len && (s[j] == '}' || s[j] == ']')) continue;
        }
        out[o++] = c;
    }
    out[o] = 0;
    return out;
}

/* The first object/array that parses, starting at some '{' or '[' of s[0..len). */
static json_t *first_json(const char *s, size_t len)
{
    int tries = 0;
    for (size_t i = 0; i < len && tries < MAX_STARTS; i++) {
        if (s[i] != '{' && s[i] != '[') continue;
        tries++;
        char *clean = drop_trailing_commas(s + i, len - i);
        if (!clean) return NULL;
        json_t *v = json_loads(clean, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, NULL);
        free(clean);
        if (v && (json_is_object(v) || json_is_array(v))) return v;
        json_decref(v);
    }
    return NULL;
}

json_t *judge_extract_json(const char *text)
{
    if (!text) return NULL;
    size_t len = strnlen(text, MAX_REPLY + 1);
    if (len > MAX_REPLY) return NULL;
    /* a fenced block first: prose around it may hold braces of its own */
    const char *f = strstr(text, "```");
    if (f) {
        const char *body = strchr(f + 3, '\n');
        const char *end = body ? strstr(body, "```") : NULL;
        if (body && end) {
            json_t *v = first_json(body, (size_t)(end - body));
            if (v) return v;
        }
    }
    return first_json(text, len);
}

/* ---- numbers --------------------------------------------------------------------------------- */

/* A number from a JSON value: a number, or a string holding only a number. */
static int json_number(double *out, json_t *v)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        while (isspace((unsigned char)*s))
            s++;
        double d = strtod(s, &end);
        if (end == s) return VSC_ERR_INPUT;
        while (isspace((unsigned char)*end))
            end++;
        if (!strncmp(end, "/10", 3)) end += 3;
        if (*end) return VSC_ERR_INPUT;
        *out = d;
        return 0;
    }
    return VSC_ERR_INPUT;
}

static json_t *get_ci(json_t *obj, const char *const *keys)
{
    const char *k;
    json_t *v;
    for (const char *const *want = keys; *want; want++)
        json_object_foreach(obj, k, v) if (!strcasecmp(k, *want)) return v;
    return NULL;
}

static int in_range(double d)
{
    return isfinite(d) && d >= 0 && d <= 10;
}

/* 1 when the number at p is signed: '-', U+2212 or U+2013 right before it, not after a word
 * ("2-3" is a range). */
static int minus_sign_before(const char *s, const char *p)
{
    size_t at = (size_t)(p - s), sign = 0;
    if (at >= 1 && p[-1] == '-')
        sign = 1;
    else if (at >= 3 && (!memcmp(p - 3, "\xE2\x88\x92", 3) || !memcmp(p - 3, "\xE2\x80\x93", 3)))
        sign = 3;
    return sign && (at == sign || !isalnum((unsigned char)p[-(ptrdiff_t)sign - 1]));
}

/* Numbers written in prose: "7", "7.5", "7/10", "7 out of 10". Collected up to 8. */
static size_t prose_numbers(double *out, size_t max, const char *s, int *out_rating_at)
{
    size_t n = 0;
    *out_rating_at = -1;
    for (const char *p = s; *p && n < max;) {
        if (isdigit((unsigned char)*p) && (p == s || !isalnum((unsigned char)p[-1]))) {
            char *end;
            double d = strtod(p, &end);
            if (minus_sign_before(s, p)) d = -d; /* "-10" is out of range, never 10 */
            /* "a rating of 7" / "Rating: 7" mark the number that counts */
            const char *back = p;
            int steps = 0;
            while (back > s && steps < 16)
                back--, steps++;
            char window[24] = {0};
            memcpy(window, back, (size_t)(p - back));
            for (char *w = window; *w; w++)
                *w = (char)tolower((unsigned char)*w);
            if (strstr(window, "rating") || strstr(window, "rate") || strstr(window, "score"))
                if (*out_rating_at < 0) *out_rating_at = (int)n;
            out[n++] = d;
            /* skip "/10" and "out of 10": the scale, not a second number */
            const char *q = end;
            if (!strncmp(q, "/10", 3))
                q += 3;
            else if (!strncasecmp(q, " out of 10", 10))
                q += 10;
            p = q;
            continue;
        }
        p++;
    }
    return n;
}

int judge_parse_lean(double *out, const char *text)
{
    static const char *const KEYS[] = {"rating", "score", "lean", NULL};
    *out = NAN;
    if (!text) return VSC_ERR_INPUT;
    json_t *j = judge_extract_json(text);
    if (j) {
        json_t *v = json_is_object(j) ? get_ci(j, KEYS) : NULL;
        double d;
        int rc = v && !json_number(&d, v) && in_range(d) ? 0 : VSC_ERR_INPUT;
        json_decref(j);
        if (!rc) *out = d;
        return rc; /* JSON without a readable rating is not read from its prose either */
    }
    if (strnlen(text, MAX_REPLY + 1) > MAX_REPLY) return VSC_ERR_INPUT;
    double nums[8];
    int at;
    size_t n = prose_numbers(nums, 8, text, &at);
    double d;
    if (at >= 0)
        d = nums[at];
    else if (n == 1)
        d = nums[0];
    else
        return VSC_ERR_INPUT;
    if (!in_range(d)) return VSC_ERR_INPUT;
    *out = d;
    return 0;
}

/* ---- labels ------------------------------------------------------------------------------- */

/* Lower-cases s[0..len) into out with '_' and white space as ' ', then trims spaces, quotes,
 * '*' at the start and spaces and punctuation other than '+' at the end. */
static void norm_word(char *out, size_t cap, const char *s, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isspace(c) || c == '_') c = ' ';
        out[o++] = (char)tolower(c);
    }
    while (o > 0 &&
           (out[o - 1] == ' ' || (ispunct((unsigned char)out[o - 1]) && out[o - 1] != '+')))
        o--;
    out[o] = 0;
    size_t start = 0;
    while (out[start] == ' ' || out[start] == '"' || out[start] == '\'' || out[start] == '*')
        start++;
    if (start) memmove(out, out + start, o - start + 1);
}

int judge_stance_word(const char *word)
{
    static const char *const SUPPORT[] = {"support", "supports", "supported", "supportive", "+1",
                                          "1",       "positive", "promotes",  "for",        NULL};
    static const char *const OPPOSE[] = {"oppose",   "opposes",    "opposed",     "against", "-1",
                                         "negative", "undermines", "contradicts", NULL};
    static const char *const UNRELATED[] = {"unrelated",  "not related",  "neutral",     "none",
                                            "irrelevant", "not relevant", "0",           "n/a",
                                            "na",         "no relation",  "related: no", NULL};
    char w[48];
    norm_word(w, sizeof w, word, strlen(word));
    for (const char *const *p = SUPPORT; *p; p++)
        if (!strcmp(w, *p)) return 1;
    for (const char *const *p = OPPOSE; *p; p++)
        if (!strcmp(w, *p)) return -1;
    for (const char *const *p = UNRELATED; *p; p++)
        if (!strcmp(w, *p)) return 0;
    return JUDGE_UNREAD;
}

static int stance_of_json(json_t *v)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        return i == 1 ? 1 : i == -1 ? -1 : i == 0 ? 0 : JUDGE_UNREAD;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        return d == 1.0 ? 1 : d == -1.0 ? -1 : d == 0.0 ? 0 : JUDGE_UNREAD;
    }
    if (json_is_string(v)) return judge_stance_word(json_string_value(v));
    if (json_is_object(v)) {
        static const char *const KEYS[] = {"stance", "label", "value", "answer", NULL};
        json_t *s = get_ci(v, KEYS);
        return s ? stance_of_json(s) : JUDGE_UNREAD;
    }
    return JUDGE_UNREAD;
}

/* Dimension ids and names compared without case, spaces, '-' or '_'. */
static int same_name(const char *a, const char *b)
{
    if (!a || !b) return 0;
    for (;;) {
        while (*a == ' ' || *a == '-' || *a == '_' || *a == ':')
            a++;
        while (*b == ' ' || *b == '-' || *b == '_' || *b == ':')
            b++;
        if (!*a || !*b) return !*a && !*b;
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
        a++, b++;
    }
}

int judge_find_dim(const struct vsc_value_system *vs, const char *name)
{
    for (size_t d = 0; d < vs->n_dims; d++)
        if (same_name(vs->dims[d].id, name) || same_name(vs->dims[d].name, name)) return (int)d;
    return -1;
}

/* Sets out[d] once; a dimension given twice with different stances becomes unreadable. */
static void put_stance(int *out, int *seen, int d, int s)
{
    if (d < 0) return;
    if (seen[d] && out[d] != s) s = JUDGE_UNREAD;
    out[d] = s;
    seen[d] = 1;
}

size_t judge_parse_stance_all(int *out, const struct vsc_value_system *vs, const char *text)
{
    for (size_t d = 0; d < vs->n_dims; d++)
        out[d] = JUDGE_UNREAD;
    json_t *j = judge_extract_json(text);
    if (!j) return 0;
    int *seen = calloc(vs->n_dims ? vs->n_dims : 1, sizeof *seen);
    if (!seen) {
        json_decref(j);
        return 0;
    }
    static const char *const WRAP[] = {"stances", "values", "result", "results", NULL};
    json_t *w = json_is_object(j) ? get_ci(j, WRAP) : NULL;
    json_t *root = w && (json_is_object(w) || json_is_array(w)) ? w : j;
    if (json_is_object(root)) {
        const char *k;
        json_t *v;
        json_object_foreach(root, k, v)
            put_stance(out, seen, judge_find_dim(vs, k), stance_of_json(v));
    } else {
        static const char *const NAME[] = {"value", "dimension", "id", "name", NULL};
        static const char *const STANCE[] = {"stance", "label", "judgement", "judgment", NULL};
        size_t i;
        json_t *e;
        json_array_foreach(root, i, e)
        {
            json_t *nm = json_is_object(e) ? get_ci(e, NAME) : NULL;
            json_t *st = json_is_object(e) ? get_ci(e, STANCE) : NULL;
            if (json_is_string(nm) && st)
                put_stance(out, seen, judge_find_dim(vs, json_string_value(nm)),
                           stance_of_json(st));
        }
    }
    size_t n = 0;
    for (size_t d = 0; d < vs->n_dims; d++)
        n += out[d] != JUDGE_UNREAD;
    free(seen);
    json_decref(j);
    return n;
}

const char *const JUDGE_YESNO[2] = {"yes", "no"};
const char *const JUDGE_VALENCE[3] = {"support", "oppose", "either"};

/* The label a word names: exact, or a known inflection ("supports", "opposed"). */
static int word_label(const char *w, const char *const *labels, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(labels[i]);
        if (!strcmp(w, labels[i])) return (int)i;
        /* support/supports/supported, oppose/opposes/opposed */
        if (l >= 4 && !strncmp(w, labels[i], l) &&
            (!strcmp(w + l, "s") || !strcmp(w + l, "d") || !strcmp(w + l, "ed") ||
             !strcmp(w + l, "ive")))
            return (int)i;
    }
    return -1;
}

static int label_in_text(const char *text, const char *const *labels, size_t n)
{
    int found = -1;
    const char *p = text;
    while (*p) {
        while (*p && !isalpha((unsigned char)*p))
            p++;
        const char *s = p;
        while (*p && isalpha((unsigned char)*p))
            p++;
        if (p == s) break;
        char w[32];
        if ((size_t)(p - s) >= sizeof w) continue;
        for (size_t i = 0; i < (size_t)(p - s); i++)
            w[i] = (char)tolower((unsigned char)s[i]);
        w[p - s] = 0;
        int l = word_label(w, labels, n);
        if (l < 0) continue;
        if (found >= 0 && found != l) return -1; /* two different labels named: ambiguous */
        found = l;
    }
    return found;
}

int judge_parse_label(const char *text, const char *const *labels, size_t n_labels)
{
    if (!text || strnlen(text, MAX_REPLY + 1) > MAX_REPLY) return -1;
    json_t *j = judge_extract_json(text);
    if (j) {
        static const char *const KEYS[] = {"answer",  "label",  "relevance", "relevant",
                                           "valence", "stance", NULL};
        json_t *v = json_is_object(j) ? get_ci(j, KEYS) : NULL;
        if (!v && json_is_object(j) && json_object_size(j) == 1)
            v = json_object_iter_value(json_object_iter(j));
        int r = -1;
        if (json_is_string(v))
            r = label_in_text(json_string_value(v), labels, n_labels);
        else if (json_is_boolean(v) && n_labels == 2 && !strcmp(labels[0], "yes"))
            r = json_is_true(v) ? 0 : 1;
        json_decref(j);
        return r;
    }
    /* prose: "not relevant" says no, even though no label word is in it */
    if (n_labels == 2 && !strcmp(labels[1], "no")) {
        char low[64];
        norm_word(low, sizeof low, text, strnlen(text, 63));
        if (strstr(low, "not relevant") || strstr(low, "irrelevant")) return 1;
    }
    return label_in_text(text, labels, n_labels);
}

int judge_parse_stance_one(const char *text)
{
    if (!text) return JUDGE_UNREAD;
    json_t *j = judge_extract_json(text);
    if (j) {
        int s = JUDGE_UNREAD;
        if (json_is_object(j)) {
            static const char *const KEYS[] = {"stance", "label", "answer", NULL};
            json_t *v = get_ci(j, KEYS);
            if (!v && json_object_size(j) == 1) v = json_object_iter_value(json_object_iter(j));
            if (v) s = stance_of_json(v);
        }
        json_decref(j);
        return s;
    }
    if (strnlen(text, MAX_REPLY + 1) > MAX_REPLY) return JUDGE_UNREAD;
    /* prose: exactly one of the three stances may be named */
    static const char *const L[] = {"support", "oppose", "unrelated"};
    char low[128];
    norm_word(low, sizeof low, text, strnlen(text, 127));
    int unrel = strstr(low, "not related") || strstr(low, "irrelevant") || strstr(low, "neutral");
    int l = label_in_text(text, L, 3);
    if (unrel && (l < 0 || l == 2)) return 0;
    if (l < 0 || unrel) return JUDGE_UNREAD;
    return l == 0 ? 1 : l == 1 ? -1 : 0;
}

int judge_parse_perceptions(json_t **out, const char *text)
{
    *out = NULL;
    json_t *j = judge_extract_json(text);
    if (!j) return VSC_ERR_INPUT;
    json_t *list = j;
    if (json_is_object(j)) {
        static const char *const KEYS[] = {"perceptions", "perception", "items", "list", NULL};
        list = get_ci(j, KEYS);
    }
    if (!json_is_array(list)) {
        json_decref(j);
        return VSC_ERR_INPUT;
    }
    json_t *res = json_array();
    size_t i;
    json_t *e;
    int rc = res ? 0 : VSC_ERR_NOMEM;
    json_array_foreach(list, i, e)
    {
        if (rc) break;
        const char *s = json_string_value(e);
        if (!s && json_is_object(e)) {
            static const char *const KEYS[] = {"perception", "text", "statement", NULL};
            s = json_string_value(get_ci(e, KEYS));
        }
        if (!s) {
            rc = VSC_ERR_INPUT; /* one unreadable entry makes the list unreadable */
            break;
        }
        while (isspace((unsigned char)*s))
            s++;
        if (*s) rc = json_array_append_new(res, json_string(s)) ? VSC_ERR_NOMEM : 0;
    }
    json_decref(j);
    if (rc) {
        json_decref(res);
        return rc;
    }
    *out = res;
    return 0;
}

int judge_label_probs(double *out_p, const char *logprobs_json, const char *const *labels,
                      size_t n_labels)
{
    for (size_t i = 0; i < n_labels; i++)
        out_p[i] = 0;
    if (!logprobs_json) return VSC_ERR_INPUT;
    json_t *root = json_loads(logprobs_json, 0, NULL);
    json_t *first = json_is_array(root) ? json_array_get(root, 0) : NULL;
    json_t *top = json_object_get(first, "top_logprobs");
    double total = 0;
    size_t i;
    json_t *e;
    json_array_foreach(top, i, e)
    {
        const char *tok = json_string_value(json_object_get(e, "token"));
        json_t *lp = json_object_get(e, "logprob");
        if (!tok || !json_is_number(lp)) continue;
        char w[32];
        norm_word(w, sizeof w, tok, strnlen(tok, 31));
        if (!*w) continue;
        /* a first token is often a prefix of the label ("sup" of "support") */
        for (size_t l = 0; l < n_labels; l++) {
            if (strncmp(labels[l], w, strlen(w)) && strncmp(w, labels[l], strlen(labels[l])))
                continue;
            double p = exp(json_number_value(lp));
            out_p[l] += p;
            total += p;
            break;
        }
    }
    json_decref(root);
    if (!(total > 0)) return VSC_ERR_INPUT;
    for (size_t l = 0; l < n_labels; l++)
        out_p[l] /= total;
    return 0;
}

int judge_fulcra_label(int *out_dim, int *out_value, const char *label,
                       const struct vsc_value_system *vs)
{
    *out_dim = -1;
    *out_value = 0;
    const char *colon = label ? strchr(label, ':') : NULL;
    if (!colon || colon - label >= 64) return VSC_ERR_INPUT;
    char name[64];
    memcpy(name, label, (size_t)(colon - label));
    name[colon - label] = 0;
    int d = judge_find_dim(vs, name);
    if (d < 0) return VSC_ERR_INPUT;
    /* the number is read leniently: one digit 0 or 1, negative when a '-' is there
     * ("=1" and "1+" are typing slips for +1) */
    int digit = -1, neg = 0, digits = 0;
    for (const char *p = colon + 1; *p; p++) {
        if (*p == '-')
            neg = 1;
        else if (isdigit((unsigned char)*p))
            digit = *p - '0', digits++;
        else if (!strchr(" +=\t", *p))
            return VSC_ERR_INPUT;
    }
    if (digits != 1 || digit > 1) return VSC_ERR_INPUT;
    *out_dim = d;
    *out_value = digit == 0 ? 0 : neg ? -1 : 1;
    return 0;
}
