/* Option letters: the labels A, B, ... shown before a question's options, read back from
 * answers and recorded in a cell's meta ("tokens"). One writer and one reader for every user
 * (instruments render them, the answer parser and the importer read them, the planner records
 * them), so they agree for any number of options. The letters belong to the cell contract
 * (docs/internals/cell.md); they live in util/ because instruments, below the planner, render
 * them. */
#ifndef VSC_LETTER_H
#define VSC_LETTER_H

#include <stddef.h>

/* Longest letter string plus NUL: 6 letters name over 300 million options (and fit a long). */
#define OPTION_LETTER_MAX 7

/* The letters of 0-based position `pos`: A..Z, then AA..ZZ, then AAA... (bijective base 26).
 * Positions past what 6 letters name give "". */
void option_letter(char out[OPTION_LETTER_MAX], size_t pos);

/* The position `s[0..len)` names, letters compared without case; -1 when it is not letters or
 * names no position OPTION_LETTER_MAX - 1 letters can write. */
long option_letter_parse(const char *s, size_t len);

#endif
