/* Private interface of the utility module: the instrument loader and the later stage, both
 * named by the utility row of the kind table (src/kinds/kinds.c). */
#ifndef VSC_UTILITY_INT_H
#define VSC_UTILITY_INT_H

#include "valscope/config.h"
#include "valscope/instrument.h"
#include "valscope/store.h"
#include "valscope/utility.h"

/* Planned pairs of one model (unordered, smaller index first) and their answers. */
struct upairs {
    struct vsc_pair_count *pc;
    size_t n, cap;
    size_t *slot; /* open addressing: index + 1, 0 = empty */
    size_t n_slots;
    int64_t pending;
    int max_round;
};
/* The pair (a, b) in either order; added with zero counts when `add` (NULL: absent, or out
 * of memory when adding). */
struct vsc_pair_count *upairs_get(struct upairs *mp, size_t a, size_t b, int add);
void upairs_clear(struct upairs *mp);

/* `utility:FILE`: checks the outcome file; the instrument has no items and no options. */
int utility_load_instrument(struct vsc_instrument **out, const char *path, struct vsc_diag *diag);

/* The later stage: per model and utility instrument of `cfg`, plans the start graph, or,
 * once every planned pair is answered, fits the model and plans the next round of pairs,
 * until the pair budget is spent. Idempotent: pairs already planned are never planned again,
 * and the next round depends only on stored answers. */
int utility_stage(struct vsc_store *store, int64_t run_id, const struct vsc_config *cfg,
                  const char *base_dir, int64_t *out_added, struct vsc_diag *diag);

/* Reads an answer to a pair shown as (A, B): 0 for A, 1 for B, -1 when unparseable. The
 * letters, "Option A", or one outcome's exact text are read; anything else is not. */
int utility_parse_choice(const char *text, const char *outcome_a, const char *outcome_b);

#endif
