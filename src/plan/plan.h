/* The planner: config x instruments -> cells in the store, streamed (bounded memory). */
#ifndef VSC_PLAN_H
#define VSC_PLAN_H

#include <jansson.h>

#include "plan/cell.h"
#include "valscope/config.h"
#include "valscope/store.h"

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
