/* What the config knows of the kinds of measurement. The kind table (src/kinds/kinds.c) sits
 * above the config and implements config_kind_at; the config names kinds only through it, so
 * its kind list, key lists and messages follow the table. */
#ifndef VSC_CONFIG_KINDS_H
#define VSC_CONFIG_KINDS_H

#include <stddef.h>

/* Keys every instrument entry takes, whatever its kind (the planner reads them). */
extern const char *const config_common_keys[];

/* The i-th kind of the table: its name and its own option keys (NULL-terminated, may be NULL),
 * both static. Returns 1, or 0 past the end. */
int config_kind_at(size_t i, const char **out_name, const char *const **out_keys);

/* "builtin, file, ...": every kind's name in table order, for messages. Malloc'd; NULL when
 * out of memory. */
char *config_kind_names(void);

#endif
