/* The evolve stage (issue 12): AdAEM and DeNEVIL evolutions on the dispatcher and the store.
 *
 * An evolution is replayed from the start on every call: each generator, tested-model and
 * judge call is a stored cell (instrument `evolve:<name>`), and the replay reads its answer
 * from the store. The first calls whose answers are missing are planned (all the calls that do
 * not depend on each other at once) and the replay stops there; the dispatcher answers them and
 * the next call goes one round further. Since the replay is a function of the stored answers,
 * a run killed with -9 and rerun takes exactly the same path and sends nothing twice. */
#ifndef VSC_EVOLVE_STAGE_H
#define VSC_EVOLVE_STAGE_H

#include <stdint.h>
#include <stdio.h>

#include "valscope/config.h"
#include "valscope/store.h"

/* The stage_fn of src/plan/stages.h: plans the next round of every unfinished evolution, and
 * writes the `out:` file of every finished one. */
int evolve_stage(struct vsc_store *store, int64_t run_id, const struct vsc_config *cfg,
                 const char *base_dir, int64_t *out_added, struct vsc_diag *diag);

/* Loads the inputs of every evolution (topics, value systems, principles) so bad input stops
 * the run before the store is touched, and digests them with the evolve entries (64 hex
 * digits + NUL): what decides the evolve cells, for the run's plan hash. */
int evolve_prepare(char out_digest[65], const struct vsc_config *cfg, const char *base_dir,
                   struct vsc_diag *diag);

#endif
