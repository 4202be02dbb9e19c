/* The planner: config x instruments -> cells in the store, streamed (bounded memory). */
#ifndef VSC_PLAN_H
#define VSC_PLAN_H

#include "valscope/config.h"
#include "valscope/store.h"

/* The identity of a model that goes into every cache key: two models never share answers. */
char *plan_model_identity(const struct vsc_model_cfg *m);

/* Hash of everything in a config that decides what is asked (model identities, instruments,
 * samples, params, conditions) but not how fast: a run's cells must all come from one plan. */
void plan_hash(char out[65], const struct vsc_config *cfg);

/* Cache key (64 hex digits + NUL) of a request: hash of identity, body and sample index. */
void plan_cache_key(char out[65], const char *identity, const char *body, int sample);

/* Writes every cell of `cfg` for `run_id` (existing cells are kept). `base_dir` resolves
 * relative instrument paths. Returns VSC_ERR_INPUT with diag on a bad instrument. */
int plan_build(struct vsc_store *store, int64_t run_id, const struct vsc_config *cfg,
               const char *base_dir, int64_t *out_cells, struct vsc_diag *diag);

/* Loads and validates every instrument of `cfg` without writing anything. */
int plan_check(const struct vsc_config *cfg, const char *base_dir, struct vsc_diag *diag);

#endif
