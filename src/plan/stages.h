/* Later stages: planners that read answers already stored and plan more cells from them
 * (judge calls on free-text answers, the next round of active pair selection, ...).
 *
 * A kind's row in the kind table (src/kinds/kinds.c) names its stage. vsc_run dispatches the
 * base plan, then calls every stage of the table (kind_run_stages); when any stage added cells
 * it dispatches again, until no stage adds anything. A stage must be idempotent: called again
 * on the same store it adds nothing new (its cells are keyed like all others, so a rerun after
 * kill -9 re-plans the same cells and pays for none twice). */
#ifndef VSC_STAGES_H
#define VSC_STAGES_H

#include "valscope/config.h"
#include "valscope/store.h"

/* The same signature as kind_stage_fn (src/kinds/kind.h). */
typedef int (*stage_fn)(struct vsc_store *store, int64_t run_id, const struct vsc_config *cfg,
                        const char *base_dir, int64_t *out_added, struct vsc_diag *diag);

#endif
