/* URL credential removal (see redact.h). */
#include "util/redact.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"

int redact_secret_name(const char *name, size_t len)
{
    static const char *const exact[] = {
        "key", "apikey", "api_key",   "token", "access_token", "secret",      "password", "passwd",
        "pwd", "sig",    "signature", "auth",  "credential",   "credentials", "code",     NULL};
    static const char *const suffix[] = {"_key", "_token", "_secret", "_password", "_sig", NULL};
    char n[64];
    if (len == 0 || len >= sizeof(n)) return 0;
    for (size_t i = 0; i < len; i++)
        n[i] = name[i] == '-' ? '_' : (char)tolower((unsigned char)name[i]);
    n[len] = 0;
    for (const char *const *e = exact; *e; e++)
        if (!strcmp(n, *e)) return 1;
    for (const char *const *s = suffix; *s; s++) {
        size_t sl = strlen(*s);
        if (len > sl && !strcmp(n + len - sl, *s)) return 1;
    }
    return 0;
}

/* Where a URL written in free text (YAML, JSON, a log line) ends. */
static size_t url_len(const char *u)
{
    size_t n = 0;
    while (u[n] && !isspace((unsigned char)u[n]) && !strchr("\"'`<>,[]{}\\", u[n]))
        n++;
    return n;
}

/* Appends the URL u[0..n) without its secrets. */
static int put_url(struct buf *b, const char *u, size_t n, int *changed)
{
    const char *auth = strstr(u, "://") + 3;
    size_t scheme = (size_t)(auth - u);
    size_t alen = strcspn(auth, "/?#");
    if ((size_t)(auth - u) + alen > n) alen = n - scheme;
    const char *at = NULL;
    for (size_t i = 0; i < alen; i++)
        if (auth[i] == '@') at = auth + i;
    int rc = buf_append(b, u, scheme);
    const char *host = at ? at + 1 : auth;
    if (at) *changed = 1;
    const char *end = u + n, *p = host;
    size_t before_query = strcspn(p, "?#");
    if (p + before_query > end) before_query = (size_t)(end - p);
    if (!rc) rc = buf_append(b, p, before_query);
    p += before_query;
    if (p < end && *p == '?') {
        if (!rc) rc = buf_append(b, "?", 1);
        p++;
        while (!rc && p < end && *p != '#') {
            size_t plen = strcspn(p, "&;#");
            if (p + plen > end) plen = (size_t)(end - p);
            const char *eq = memchr(p, '=', plen);
            if (eq && redact_secret_name(p, (size_t)(eq - p))) {
                rc = buf_append(b, p, (size_t)(eq - p) + 1);
                if (!rc) rc = buf_puts(b, "REDACTED");
                *changed = 1;
            } else {
                rc = buf_append(b, p, plen);
            }
            p += plen;
            if (!rc && p < end && (*p == '&' || *p == ';')) rc = buf_append(b, p++, 1);
        }
    }
    if (!rc && p < end) rc = buf_append(b, p, (size_t)(end - p));
    return rc;
}

char *redact_urls(const char *text, int *changed)
{
    int dummy = 0;
    if (!changed) changed = &dummy;
    *changed = 0;
    struct buf b;
    buf_init(&b, 0);
    const char *p = text ? text : "";
    int rc = 0;
    while (!rc && *p) {
        const char *u = NULL;
        for (const char *q = p; *q && !u; q++)
            if ((*q == 'h' || *q == 'H') &&
                (!strncasecmp(q, "http://", 7) || !strncasecmp(q, "https://", 8)))
                u = q;
        if (!u) {
            rc = buf_puts(&b, p);
            break;
        }
        rc = buf_append(&b, p, (size_t)(u - p));
        size_t n = url_len(u);
        if (!rc) rc = put_url(&b, u, n, changed);
        p = u + n;
    }
    if (rc) {
        buf_free(&b);
        return NULL;
    }
    return buf_take(&b);
}
