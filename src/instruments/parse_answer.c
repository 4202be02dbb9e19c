/* Reading a text answer as one of the shown options.
 *
 * Strict: the whole answer (trimmed, an optional "(" ... ")" or trailing "." removed) is a
 * shown letter, number or label. Lenient: exactly one distinct option is named in prose, by a
 * standalone letter, number or label. Anything else is unparseable: two different options, or
 * none, are never resolved by guessing.
 *
 * Numbers: when some option label is itself a number (a 0..10 rating), numbers are read as
 * labels only; otherwise a number N is the N-th shown option. A signed number ("-3", "−10")
 * names no option: a lenient read never drops its sign, and the answer is unparseable. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "instruments/ins_internal.h"
#include "util/letter.h"

#define MAX_ANSWER 65536 /* longer answers are read up to here */

struct reader {
    const struct vsc_instrument *ins;
    const size_t *order;
    size_t n;
    int numeric_labels;
};

static int is_word(unsigned char c)
{
    return isalnum(c) || c >= 0x80; /* UTF-8 letters count as word characters */
}

/* 1 when s[0..len) is a whole number (digits only), its value in *v. */
static int whole_number(const char *s, size_t len, long *v)
{
    if (len == 0 || len > 9) return 0;
    long x = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i])) return 0;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 1;
}

/* 1 when the word s[at..end) is a signed whole number: "-3" ('-' not after a word: "2-3" is
 * a range), or "−3" / "–3" (U+2212, U+2013; UTF-8 bytes are word characters here). */
static int signed_number(const char *s, size_t at, size_t end)
{
    long v;
    if (whole_number(s + at, end - at, &v))
        return at >= 1 && s[at - 1] == '-' && (at == 1 || !is_word((unsigned char)s[at - 2]));
    return end - at > 3 &&
           (!memcmp(s + at, "\xE2\x88\x92", 3) || !memcmp(s + at, "\xE2\x80\x93", 3)) &&
           whole_number(s + at + 3, end - at - 3, &v);
}

static size_t shown(const struct reader *r, size_t pos)
{
    return r->order ? r->order[pos] : pos;
}

/* The option a number names, or -1. */
static long by_number(const struct reader *r, long v)
{
    if (r->numeric_labels) {
        for (size_t i = 0; i < r->n; i++) {
            long lv;
            const char *l = r->ins->options[i].label;
            if (whole_number(l, strlen(l), &lv) && lv == v) return (long)i;
        }
        return -1;
    }
    return v >= 1 && (size_t)v <= r->n ? (long)shown(r, (size_t)v - 1) : -1;
}

/* The option a letter token names (case-insensitive), or -1. */
static long by_letter(const struct reader *r, const char *s, size_t len)
{
    long pos = option_letter_parse(s, len);
    return pos >= 0 && (size_t)pos < r->n ? (long)shown(r, (size_t)pos) : -1;
}

/* Case-insensitive equality of s[0..len) with the label, ignoring the label's outer spaces. */
static int label_is(const char *label, const char *s, size_t len)
{
    while (isspace((unsigned char)*label))
        label++;
    size_t ll = strlen(label);
    while (ll && isspace((unsigned char)label[ll - 1]))
        ll--;
    return ll == len && ll > 0 && strncasecmp(label, s, len) == 0;
}

static enum vsc_parse_status strict(const struct reader *r, const char *s, size_t len, size_t *out)
{
    long found = -1;
    /* Try the text as is, then without its decoration: "B." "B)" "(B)". */
    for (int pass = 0; pass < 2; pass++) {
        const char *p = s;
        size_t n = len;
        if (pass == 1) {
            int paren = n && p[n - 1] == ')';
            while (n && (p[n - 1] == '.' || p[n - 1] == ')'))
                n--;
            if (paren && n && p[0] == '(') p++, n--;
            while (n && isspace((unsigned char)p[n - 1]))
                n--;
            while (n && isspace((unsigned char)*p))
                p++, n--;
            if (n == len) break;
        }
        long cand[3] = {-1, -1, -1}, v;
        cand[0] = by_letter(r, p, n);
        if (whole_number(p, n, &v)) cand[1] = by_number(r, v);
        for (size_t i = 0; i < r->n && cand[2] < 0; i++)
            if (label_is(r->ins->options[i].label, p, n)) cand[2] = (long)i;
        for (int k = 0; k < 3; k++) {
            if (cand[k] < 0) continue;
            if (found >= 0 && found != cand[k]) return VSC_PARSE_UNPARSEABLE;
            found = cand[k];
        }
        if (found >= 0) break;
    }
    if (found < 0) return VSC_PARSE_UNPARSEABLE; /* not strict; the caller tries lenient */
    *out = (size_t)found;
    return VSC_PARSE_OK;
}

struct span {
    size_t start, end;
    long option;
};

/* Words after a capital "A"/"I" that show it is an option ("A or B", "I is right"); any other
 * lowercase word makes it the article or the pronoun ("A good one", "I think"). */
static int option_context(const char *w, size_t len)
{
    static const char *const words[] = {"or",   "and",  "nor",       "is",      "was",     "seems",
                                        "fits", "best", "describes", "matches", "because", "since",
                                        "but",  "vs",   "versus",    "then",    NULL};
    for (const char *const *x = words; *x; x++)
        if (strlen(*x) == len && strncmp(*x, w, len) == 0) return 1;
    return 0;
}

/* Previous words that introduce an option even in lowercase ("option b", "answer: c"). */
static int introduces(const char *w, size_t len)
{
    static const char *const words[] = {"option", "answer", "choice", "choose",
                                        "pick",   "select", "letter", NULL};
    for (const char *const *x = words; *x; x++)
        if (strlen(*x) == len && strncasecmp(*x, w, len) == 0) return 1;
    return 0;
}

static enum vsc_parse_status lenient(const struct reader *r, const char *s, size_t len, size_t *out)
{
    long found = -1;
    int conflict = 0;
#define FOUND(opt)                                                                                 \
    do {                                                                                           \
        if (found >= 0 && found != (opt)) conflict = 1;                                            \
        found = (opt);                                                                             \
    } while (0)

    /* 1. Labels, whole words only; a label inside a longer matched label ("like me" in
     *    "Somewhat like me") does not count on its own. */
    struct span *spans = NULL;
    size_t n_spans = 0, cap = 0;
    for (size_t i = 0; i < r->n; i++) {
        const char *label = r->ins->options[i].label;
        while (isspace((unsigned char)*label))
            label++;
        size_t ll = strlen(label);
        while (ll && isspace((unsigned char)label[ll - 1]))
            ll--;
        long v;
        if (ll == 0 || whole_number(label, ll, &v)) continue;      /* numbers are tokens below */
        if (ll == 1 && isalpha((unsigned char)label[0])) continue; /* read as letters */
        for (size_t at = 0; at + ll <= len; at++) {
            if (strncasecmp(s + at, label, ll) != 0) continue;
            if (at > 0 && is_word((unsigned char)s[at - 1])) continue;
            if (at + ll < len && is_word((unsigned char)s[at + ll])) continue;
            if (n_spans == cap) {
                size_t ncap = cap ? cap * 2 : 16;
                struct span *ns = realloc(spans, ncap * sizeof(*ns));
                if (!ns) {
                    free(spans);
                    return VSC_PARSE_UNPARSEABLE;
                }
                spans = ns;
                cap = ncap;
            }
            spans[n_spans++] = (struct span){at, at + ll, (long)i};
        }
    }
    for (size_t i = 0; i < n_spans; i++) {
        int inside = 0;
        for (size_t j = 0; j < n_spans && !inside; j++)
            inside = j != i && spans[j].start <= spans[i].start && spans[i].end <= spans[j].end &&
                     spans[j].end - spans[j].start > spans[i].end - spans[i].start;
        if (!inside) FOUND(spans[i].option);
    }

    /* 2. Standalone letters and numbers outside the label matches. */
    const char *prev = NULL;
    size_t prev_len = 0;
    for (size_t at = 0; at < len;) {
        if (!is_word((unsigned char)s[at])) {
            at++;
            continue;
        }
        size_t end = at;
        while (end < len && is_word((unsigned char)s[end]))
            end++;
        int covered = 0;
        for (size_t k = 0; k < n_spans && !covered; k++)
            covered = spans[k].start <= at && end <= spans[k].end;
        const char *w = s + at;
        size_t wl = end - at;
        long v, opt = -1;
        if (!covered && signed_number(s, at, end)) {
            conflict = 1; /* "-3" is not option 3: no option has a sign */
        } else if (!covered && whole_number(w, wl, &v)) {
            /* Not part of a decimal ("4.5"), a percentage or a version. */
            int decimal = (end + 1 < len && (s[end] == '.' || s[end] == ',') &&
                           isdigit((unsigned char)s[end + 1])) ||
                          (at >= 2 && (s[at - 1] == '.' || s[at - 1] == ',') &&
                           isdigit((unsigned char)s[at - 2]));
            int percent = end < len && s[end] == '%';
            int denominator = at >= 1 && s[at - 1] == '/'; /* the 10 of "7/10" */
            if (!decimal && !percent && !denominator) opt = by_number(r, v);
        } else if (!covered && wl == 1 && isalpha((unsigned char)w[0])) {
            int upper = isupper((unsigned char)w[0]);
            int intro = prev && introduces(prev, prev_len);
            if (upper && (w[0] == 'A' || w[0] == 'I') && !intro) {
                /* "I think", "I'm", "A good one": the pronoun or the article. */
                size_t k = end;
                int apostrophe =
                    k < len && (s[k] == '\'' || (k + 2 < len && (unsigned char)s[k] == 0xE2 &&
                                                 (unsigned char)s[k + 1] == 0x80 &&
                                                 (unsigned char)s[k + 2] == 0x99));
                while (k < len && s[k] == ' ')
                    k++;
                size_t ws = k;
                while (k < len && islower((unsigned char)s[k]))
                    k++;
                int word_follows =
                    ws > end && k > ws && (k == len || !is_word((unsigned char)s[k]));
                int pronoun = apostrophe || (word_follows && !option_context(s + ws, k - ws));
                if (!pronoun) opt = by_letter(r, w, 1);
            } else if (upper || intro) {
                opt = by_letter(r, w, 1);
            }
        }
        if (opt >= 0) FOUND(opt);
        prev = w;
        prev_len = wl;
        at = end;
    }
    free(spans);
#undef FOUND
    if (found < 0 || conflict) return VSC_PARSE_UNPARSEABLE;
    *out = (size_t)found;
    return VSC_PARSE_LENIENT;
}

enum vsc_parse_status vsc_parse_answer(size_t *out_option, const char *text,
                                       const struct vsc_instrument *ins, const size_t *order)
{
    if (!out_option || !text || !ins || ins->n_options == 0) return VSC_PARSE_UNPARSEABLE;
    struct reader r = {ins, order, ins->n_options, 0};
    for (size_t i = 0; i < r.n; i++) {
        long v;
        const char *l = ins->options[i].label;
        if (order && order[i] >= r.n) return VSC_PARSE_UNPARSEABLE;
        if (l && whole_number(l, strlen(l), &v)) r.numeric_labels = 1;
        if (!l) return VSC_PARSE_UNPARSEABLE;
    }
    size_t len = strnlen(text, MAX_ANSWER);
    const char *s = text;
    while (len && isspace((unsigned char)*s))
        s++, len--;
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (len == 0) return VSC_PARSE_UNPARSEABLE;
    size_t opt;
    if (strict(&r, s, len, &opt) == VSC_PARSE_OK) {
        *out_option = opt;
        return VSC_PARSE_OK;
    }
    if (lenient(&r, s, len, &opt) == VSC_PARSE_LENIENT) {
        *out_option = opt;
        return VSC_PARSE_LENIENT;
    }
    return VSC_PARSE_UNPARSEABLE;
}
