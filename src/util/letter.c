/* Option letters in bijective base 26: every position has exactly one name and every name of
 * letters one position, so no two options share a letter however many there are. */
#include "util/letter.h"

void option_letter(char out[OPTION_LETTER_MAX], size_t pos)
{
    char rev[OPTION_LETTER_MAX];
    size_t n = 0, k = pos + 1;
    while (k > 0 && n < OPTION_LETTER_MAX - 1) {
        k--;
        rev[n++] = (char)('A' + k % 26);
        k /= 26;
    }
    if (k > 0 || pos == (size_t)-1) n = 0; /* too many letters */
    for (size_t i = 0; i < n; i++)
        out[i] = rev[n - 1 - i];
    out[n] = 0;
}

long option_letter_parse(const char *s, size_t len)
{
    if (len == 0 || len >= OPTION_LETTER_MAX) return -1;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        int c = s[i] >= 'a' && s[i] <= 'z' ? s[i] - 'a' : s[i] - 'A';
        if (c < 0 || c > 25) return -1;
        v = v * 26 + c + 1;
    }
    return v - 1;
}
