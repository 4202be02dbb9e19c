/* The instruments registered with a run, copied out of the store: every scorer (scores,
 * roleplay, dilemmas, utilities) starts by reading them, then loads each one lazily when the
 * first answer that needs it arrives. */
#ifndef VSC_SCORE_RUN_INS_H
#define VSC_SCORE_RUN_INS_H

#include <stddef.h>

#include "valscope/store.h"

/* One registration (struct vsc_run_instrument), owned copies. */
struct run_ins {
    char *run, *id, *kind, *arg, *base_dir;
};

/* Appends the instruments registered with `run` (every run when NULL) to `*arr`, an array of
 * `*n` elements of `size` bytes that each begin with a struct run_ins; the rest of every new
 * element is zeroed. With `kind`, only instruments of that kind are kept. run, id and kind must
 * be set, and arg too when `need_arg`; a missing one reads as VSC_ERR_NOMEM (a failed copy).
 * Returns 0, VSC_ERR_NOMEM or the store's error; what was read stays in `*arr` either way, for
 * the caller to free. */
int run_ins_collect(struct vsc_store *store, const char *run, const char *kind, int need_arg,
                    void *arr, size_t *n, size_t size);

/* Frees the copies (not `ri` itself). */
void run_ins_free(struct run_ins *ri);

#endif
