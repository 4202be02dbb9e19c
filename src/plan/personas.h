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

#endif
