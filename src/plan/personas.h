/* Role-play personas: a seeded sampler of person attributes rendered into a persona text,
 * or personas read from a user's JSONL file. The same (seed, index) always gives the same
 * persona. */
#ifndef VSC_PERSONAS_H
#define VSC_PERSONAS_H

#include <stdint.h>

#include "valscope/common.h"

struct persona {
    char *id;         /* stable id, e.g. "s11-p0042" */
    char *attrs_json; /* {"sex":"female","age":34,"religion":"none",...} */
    char *text;       /* the rendered persona ("You are a 34-year-old ...") */
};
void persona_clear(struct persona *p);

/* Persona number `index` of the sampler seeded with `seed`. `template_text` may be NULL for
 * the built-in template. */
int persona_sample(struct persona *out, uint64_t seed, int index, const char *template_text);

/* Reads personas from a JSONL file ({"id", "text"} or {"id", attributes...} rendered through
 * the template). `out` and its entries are malloc'd; free with persona_clear + free. */
int persona_load_file(struct persona **out, size_t *out_n, const char *path,
                      const char *template_text, struct vsc_diag *diag);

/* ---- added by the role-play module -------------------------------------------------------- */

/* Checks that a template (NULL: the built-in one) names only known slots and closes every
 * brace; VSC_ERR_INPUT with the column in `diag` otherwise. The planner calls it before it
 * writes anything. */
int persona_template_check(const char *template_text, struct vsc_diag *diag);

/* The sampler's tables, for tests and docs: attribute `attr` (0..persona_attr_count()-1) has a
 * name and n levels; level `level` has an id (as written to attrs_json) and a probability
 * (normalised, the levels of an attribute sum to 1). Strings are static. VSC_ERR_NOTFOUND past
 * the end. */
size_t persona_attr_count(void);
int persona_attr_info(size_t attr, const char **out_name, size_t *out_n_levels);
int persona_level_info(size_t attr, size_t level, const char **out_id, double *out_p);

/* The level index of every attribute (persona_attr_count() entries) of persona (seed, index):
 * what persona_sample renders. */
int persona_sample_levels(size_t *out_levels, uint64_t seed, int index);

#endif
