/* The one CSV field writer (RFC 4180) for every CSV valscope writes: exports and report tables.
 * Text in them comes from models and users, so it is made safe to open in a terminal and in a
 * spreadsheet. */
#ifndef VSC_CSV_H
#define VSC_CSV_H

#include <stdio.h>

/* Writes `s` (NULL: an empty field) as one field:
 * - control characters are shown, not sent: C0 controls other than TAB and LF, and DEL, become
 *   "\xNN" (ESC is "\x1B", CR is "\x0D"); C1 controls (U+0080..U+009F) become "\u0080".."\u009F".
 *   The store and the JSON outputs keep the exact text;
 * - a field a spreadsheet would read as a formula (first character = + - @ TAB or CR) gets a
 *   leading apostrophe (OWASP's advice);
 * - the field is quoted when it holds a comma, a quote or a line break, or was guarded; quotes
 *   are doubled.
 * Returns 0, or -1 when the stream reports an error. */
int csv_write_field(FILE *f, const char *s);

#endif
