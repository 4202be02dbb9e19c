/* The sim backend's private parts, shared by sim.c (rating items) and sim_text.c (the text
 * agents of the evolve stage: generator, respondent, extractor, violator, violation judge). */
#ifndef VSC_SIM_H
#define VSC_SIM_H

#include <jansson.h>
#include <stdint.h>

#include "backends/backend.h"

struct sim_text;

struct sim {
    json_t *profile; /* dimension -> theta */
    uint64_t seed;
    double noise;
    double acquiescence;
    char *text;              /* the reply to anything no agent recognises */
    struct sim_text *agents; /* the text agents' world (docs/evolve.md, "The sim text agents") */
};

/* The respondent's true score on a dimension: from the profile, else drawn from the seed. */
double sim_theta(const struct sim *s, const char *dim);

/* Reads the text agents' options (role, values, value_system, extractor_noise, judge_noise,
 * temptations, violation_base, violation_slope, violation_marker) from the model's options
 * `o`; `profile` adds its keys to the default value vocabulary. 0, or a diag naming the
 * model and key. */
int sim_text_open(struct sim_text **out, json_t *o, const json_t *profile,
                  const struct vsc_model_cfg *m, const char *base_dir, struct vsc_diag *diag);
void sim_text_free(struct sim_text *t);

/* Answers a request whose last user message carries a role marker of the evolve prompt
 * contract. Returns 1 when it answered (reply filled), 0 when the request is for no text agent
 * (the caller gives its fallback text), VSC_ERR_NOMEM. */
int sim_text_answer(const struct sim *s, const struct backend_request *req,
                    struct backend_reply *reply);

#endif
