/* The planner: config x instruments -> cells in the store, streamed (bounded memory). */
#ifndef VSC_PLAN_H
#define VSC_PLAN_H

#include <jansson.h>

#include "valscope/config.h"
#include "valscope/store.h"

/* The identity of a model that goes into every cache key: two models never share answers. */
char *plan_model_identity(const struct vsc_model_cfg *m);

/* Cache key (64 hex digits + NUL) of a request: hash of identity, body and sample index. */
void plan_cache_key(char out[65], const char *identity, const char *body, int sample);

/* The request body of a cell (malloc'd JSON, sorted keys): `params` with the served model name,
 * `messages` (borrowed) and, with an integer seed, seed + sample (each sample its own draw).
 * `n_logprob_options` > 0 asks for a one-token answer with that many top logprobs (5..20). */
char *plan_request_body(const struct vsc_model_cfg *m, const json_t *params, json_t *messages,
                        int sample, size_t n_logprob_options);

/* A config's plan, loaded and validated but not written: instruments, conditions, params. */
struct plan;

/* Loads every instrument and condition of `cfg` (relative paths against `base_dir`) and
 * checks them, writing nothing. Returns VSC_ERR_INPUT with diag on bad input. */
int plan_prepare(struct plan **out, const struct vsc_config *cfg, const char *base_dir,
                 struct vsc_diag *diag);
void plan_free(struct plan *p);

/* Hash of everything that decides the cells (model identities, samples, params, conditions,
 * every instrument's loaded content) but not how fast they are asked: a run's cells must all
 * come from one plan, and an unchanged plan need not be written again. Borrowed. */
const char *plan_hash_of(const struct plan *p);

/* Writes every cell of the plan for `run_id` (existing cells are kept), streamed in bounded
 * transactions. */
int plan_build(struct vsc_store *store, int64_t run_id, const struct plan *p, int64_t *out_cells,
               struct vsc_diag *diag);

#endif
