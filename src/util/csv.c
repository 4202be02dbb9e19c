/* CSV fields of untrusted text: escaped controls, formula guard, RFC 4180 quoting. */
#include "util/csv.h"

#include <string.h>

static int formula_like(const char *s)
{
    return s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r';
}

static int is_c0(unsigned char c)
{
    return (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f;
}

static int is_c1(const unsigned char *p)
{
    return p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f;
}

int csv_write_field(FILE *f, const char *s)
{
    if (!s) return ferror(f) ? -1 : 0;
    int guard = formula_like(s);
    int quote = guard || strpbrk(s, ",\"\n") != NULL;
    if (quote) fputc('"', f);
    if (guard) fputc('\'', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (is_c0(*p)) {
            fprintf(f, "\\x%02X", *p);
        } else if (is_c1(p)) {
            fprintf(f, "\\u%04X", p[1]);
            p++;
        } else {
            if (*p == '"') fputc('"', f);
            fputc(*p, f);
        }
    }
    if (quote) fputc('"', f);
    return ferror(f) ? -1 : 0;
}
