/* The judge stage: the probes row of the kind table (src/kinds/kinds.c) names it. */
#ifndef VSC_JUDGE_STAGE_H
#define VSC_JUDGE_STAGE_H

#include "plan/stages.h"

/* A stage_fn: plans judge cells for the answered probe cells of the run (see stage.c). */
int judge_stage(struct vsc_store *store, int64_t run_id, const struct vsc_config *cfg,
                const char *base_dir, int64_t *out_added, struct vsc_diag *diag);

/* Calls `fn` for each instrument entry of `run` (judge registrations left out). */
int judge_entries_foreach(struct vsc_store *store, const char *run,
                          int (*fn)(const char *label, const char *kind, const char *arg,
                                    const char *base_dir, const char *options, void *payload),
                          void *payload);

#endif
