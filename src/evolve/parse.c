/* Readers of the evolve roles' replies (docs/evolve.md). Replies are untrusted model text:
 * every reader walks the text line by line, copies only what it returns, and reports
 * EV_UNPARSEABLE rather than guessing. */
#include "evolve/evolve.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"
#include "valscope/common.h"

/* One line of the reply: [s, s + len), without its line break. */
struct line {
    const char *s;
    size_t len;
};

/* The next line at *pos (advancing it); 0 at the end of the text. */
static int next_line(struct line *out, const char **pos)
{
    const char *p = *pos;
    if (!*p) return 0;
    const char *e = strchr(p, '\n');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    *pos = e ? e + 1 : p + len;
    if (len && p[len - 1] == '\r') len--;
    out->s = p;
    out->len = len;
    return 1;
}

void ev_trim(const char **s, size_t *len)
{
    while (*len && isspace((unsigned char)**s))
        (*s)++, (*len)--;
    while (*len && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

/* The text after `tag` when the line starts with it (leading whitespace allowed), trimmed;
 * NULL otherwise or when nothing follows the tag. */
static const char *after_tag(struct line ln, const char *tag, size_t *out_len)
{
    const char *s = ln.s;
    size_t len = ln.len, tl = strlen(tag);
    ev_trim(&s, &len);
    if (len < tl || strncasecmp(s, tag, tl) != 0) return NULL;
    s += tl;
    len -= tl;
    ev_trim(&s, &len);
    *out_len = len;
    return len ? s : NULL;
}

int ev_read_tag(char **out, const char *reply, const char *tag)
{
    *out = NULL;
    struct line ln;
    const char *pos = reply ? reply : "";
    while (next_line(&ln, &pos)) {
        size_t len;
        const char *t = after_tag(ln, tag, &len);
        if (!t) continue;
        *out = xstrndup(t, len);
        return *out ? 0 : VSC_ERR_NOMEM;
    }
    return EV_UNPARSEABLE;
}

void ev_strv_free(char **v, size_t n)
{
    if (!v) return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

int ev_read_tags(char ***out, size_t *out_n, const char *reply, const char *tag, size_t max)
{
    *out = NULL;
    *out_n = 0;
    char **v = NULL;
    size_t n = 0, alloc = 0;
    struct line ln;
    const char *pos = reply ? reply : "";
    while ((!max || n < max) && next_line(&ln, &pos)) {
        size_t len;
        const char *t = after_tag(ln, tag, &len);
        if (!t) continue;
        if (n == alloc) {
            size_t na = alloc ? 2 * alloc : 8;
            char **nv = realloc(v, na * sizeof *nv);
            if (!nv) goto nomem;
            v = nv;
            alloc = na;
        }
        if (!(v[n] = xstrndup(t, len))) goto nomem;
        n++;
    }
    if (!n) {
        free(v);
        return EV_UNPARSEABLE;
    }
    *out = v;
    *out_n = n;
    return 0;
nomem:
    ev_strv_free(v, n);
    return VSC_ERR_NOMEM;
}

/* ---- opinion ------------------------------------------------------------------------------ */

/* A copy of the line without markdown emphasis (`**`, `__`) and without leading heading,
 * quote and bullet marks, trimmed. */
static char *clean_line(struct line ln)
{
    char *c = malloc(ln.len + 1);
    if (!c) return NULL;
    size_t n = 0;
    for (size_t i = 0; i < ln.len; i++) {
        if (i + 1 < ln.len && (ln.s[i] == '*' || ln.s[i] == '_') && ln.s[i + 1] == ln.s[i]) {
            i++;
            continue;
        }
        c[n++] = ln.s[i];
    }
    c[n] = 0;
    size_t lead = 0;
    while (c[lead] && (isspace((unsigned char)c[lead]) || strchr("#>-*", c[lead])))
        lead++;
    memmove(c, c + lead, n - lead + 1);
    n -= lead;
    while (n && isspace((unsigned char)c[n - 1]))
        c[--n] = 0;
    return c;
}

/* Length of the first word of s (letters only) after skipping spaces and punctuation. */
static const char *first_word(const char *s, size_t *out_len)
{
    while (*s && !isalnum((unsigned char)*s))
        s++;
    size_t n = 0;
    while (isalpha((unsigned char)s[n]))
        n++;
    *out_len = n;
    return s;
}

/* The stance of a cleaned line "Stance: X", or -1. */
static int stance_of(const char *c)
{
    if (strncasecmp(c, "stance", 6) != 0) return -1;
    c += 6;
    while (*c == ' ' || *c == '\t')
        c++;
    if (*c != ':') return -1;
    size_t n;
    const char *w = first_word(c + 1, &n);
    if (n == 3 && strncasecmp(w, "yes", 3) == 0) return EV_STANCE_YES;
    if (n == 2 && strncasecmp(w, "no", 2) == 0) return EV_STANCE_NO;
    if (n == 7 && strncasecmp(w, "neutral", 7) == 0) return EV_STANCE_NEUTRAL;
    return -1;
}

/* The text of a numbered line "12. text" or "12) text", or NULL. */
static const char *numbered(const char *c)
{
    size_t d = 0;
    while (isdigit((unsigned char)c[d]))
        d++;
    if (!d || d > 4 || (c[d] != '.' && c[d] != ')')) return NULL;
    c += d + 1;
    while (isspace((unsigned char)*c))
        c++;
    return *c ? c : NULL;
}

static int add_point(struct ev_opinion *op, const char *text)
{
    const char *colon = strchr(text, ':');
    const char *p = text, *j = colon ? colon + 1 : "";
    size_t plen = colon ? (size_t)(colon - text) : strlen(text), jlen = strlen(j);
    ev_trim(&p, &plen);
    ev_trim(&j, &jlen);
    if (!plen) return 0;
    struct ev_point *np = realloc(op->points, (op->n_points + 1) * sizeof *np);
    if (!np) return VSC_ERR_NOMEM;
    op->points = np;
    struct ev_point *pt = &np[op->n_points];
    pt->point = xstrndup(p, plen);
    pt->justification = xstrndup(j, jlen);
    if (!pt->point || !pt->justification) {
        free(pt->point);
        free(pt->justification);
        return VSC_ERR_NOMEM;
    }
    op->n_points++;
    return 0;
}

void ev_opinion_clear(struct ev_opinion *op)
{
    if (!op) return;
    for (size_t i = 0; i < op->n_points; i++) {
        free(op->points[i].point);
        free(op->points[i].justification);
    }
    free(op->points);
    memset(op, 0, sizeof *op);
}

int ev_read_opinion(struct ev_opinion *out, const char *reply)
{
    memset(out, 0, sizeof *out);
    int have_stance = 0, rc = 0;
    struct line ln;
    const char *pos = reply ? reply : "";
    while (next_line(&ln, &pos)) {
        char *c = clean_line(ln);
        if (!c) {
            rc = VSC_ERR_NOMEM;
            goto fail;
        }
        if (!have_stance) {
            int st = stance_of(c);
            if (st >= 0) {
                out->stance = (enum ev_stance)st;
                have_stance = 1;
            }
        } else {
            const char *t = numbered(c);
            if (t) rc = add_point(out, t);
        }
        free(c);
        if (rc) goto fail;
    }
    if (!have_stance) {
        rc = EV_UNPARSEABLE;
        goto fail;
    }
    return 0;
fail:
    ev_opinion_clear(out);
    return rc;
}

char *ev_opinion_text(const struct ev_opinion *op)
{
    static const char *const names[] = {"No", "Yes", "Neutral"};
    struct buf b;
    buf_init(&b, 0);
    int rc = buf_printf(&b, "Stance: %s\nKey Points:\n", names[op->stance]);
    for (size_t i = 0; !rc && i < op->n_points; i++) {
        const struct ev_point *p = &op->points[i];
        rc = *p->justification ? buf_printf(&b, "%zu. %s: %s\n", i + 1, p->point, p->justification)
                               : buf_printf(&b, "%zu. %s\n", i + 1, p->point);
    }
    if (rc) {
        buf_free(&b);
        return NULL;
    }
    return buf_take(&b);
}

/* ---- labels ------------------------------------------------------------------------------- */

enum ev_label ev_read_label(const char *reply)
{
    size_t n;
    const char *w = first_word(reply ? reply : "", &n);
    /* a word glued to digits ("yes2") is not a label */
    if (isalnum((unsigned char)w[n])) return EV_LABEL_UNPARSEABLE;
    if (n == 3 && strncasecmp(w, "yes", 3) == 0) return EV_LABEL_YES;
    if (n == 2 && strncasecmp(w, "no", 2) == 0) return EV_LABEL_NO;
    return EV_LABEL_UNPARSEABLE;
}
