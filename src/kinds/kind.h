/* A kind of measurement is one row of one table (src/kinds/kinds.c), the way a backend is one
 * struct backend_ops: its name, how its argument reads, its option keys, its loader, its later
 * stage and its scorer. The config's key lists, the "unknown kind" message, the stage list and
 * the scorer loop of `valscope score` are all read off the table, so adding a kind is one
 * folder and one row (docs/internals/kinds.md).
 *
 * The config sits below the table and reads it through config/kinds.h, which kinds.c
 * implements. */
#ifndef VSC_KIND_H
#define VSC_KIND_H

#include <stdint.h>
#include <stdio.h>

#include "valscope/config.h"
#include "valscope/instrument.h"
#include "valscope/score.h"
#include "valscope/store.h"

/* How the argument after "KIND:" reads. */
enum kind_arg {
    KIND_ARG_FILE,      /* a path, relative to the config's folder */
    KIND_ARG_FILE_NAME, /* FILE#name: a path, and after the last '#' a name inside it */
    KIND_ARG_TEXT,      /* taken as written (a bank's name, a nested KIND:ARG) */
    KIND_ARG_NONE,      /* no argument needed */
};

/* The argument as the loader gets it. Borrowed for the duration of the call. */
struct kind_source {
    const char *arg;      /* as written after "KIND:"; "" when absent */
    const char *base_dir; /* the config's folder; NULL for the cwd */
    const char *path;     /* FILE joined to base_dir (FILE and FILE_NAME kinds), else NULL */
    const char *name;     /* the part after '#' (FILE_NAME kinds), NULL when absent */
};

/* A later stage: reads answers already stored and plans more cells from them (judge calls,
 * the next round of pairs, generated items...). Must be idempotent; see plan/stages.h. */
typedef int (*kind_stage_fn)(struct vsc_store *store, int64_t run_id, const struct vsc_config *cfg,
                             const char *base_dir, int64_t *out_added, struct vsc_diag *diag);

/* How `valscope score` shows one kind of record. */
struct kind_writer {
    int (*json)(FILE *fp, const void *rec); /* one JSON line; 0 or VSC_ERR_IO/NOMEM */
    /* One row of the terminal table, the section's header first when `n_shown` is 0. Returns 1
     * when written, 0 when the table leaves the record out (--json has every record), or a
     * negative VSC_ERR_*. */
    int (*table)(FILE *fp, const void *rec, size_t n_shown);
};

/* A scorer reads a store and hands every record to kind_emit(rec, sink), which writes it with
 * `writer`. Scorers sharing a writer share one table (one header). */
struct kind_scorer {
    const char *name;
    const struct kind_writer *writer;
    int (*score)(struct vsc_store *store, const struct vsc_score_opts *opts, void *sink,
                 struct vsc_diag *diag);
};

struct kind {
    const char *name; /* as written in a config: `- NAME: ARG` */
    enum kind_arg arg;
    const char *const *keys; /* option keys besides config_common_keys; NULL-terminated or NULL */
    /* NULL: the row is no instrument kind (evolve: its own config list, a stage and a scorer) */
    int (*load)(struct vsc_instrument **out, const struct kind_source *src, struct vsc_diag *diag);
    kind_stage_fn stage;              /* NULL: the base plan is all there is */
    const struct kind_scorer *scorer; /* NULL: not scored by `valscope score`; rows may share */
};

/* The kind named `name`, NULL when there is none. */
const struct kind *kind_find(const char *name);
/* The i-th kind in table order (registered kinds last), NULL past the end. */
const struct kind *kind_at(size_t i);
/* Adds a row after the table's own, for kinds that live outside the library (a test's toy
 * kind). `k` is borrowed and must outlive every use. Not thread-safe: register before any
 * config is read. Returns 0, VSC_ERR_INPUT when the name is taken, VSC_ERR_NOMEM when full. */
int kind_register(const struct kind *k);

/* Runs every distinct later stage of the table once, in table order; `out_added` gets the
 * number of cells they added. */
int kind_run_stages(struct vsc_store *store, int64_t run_id, const struct vsc_config *cfg,
                    const char *base_dir, int64_t *out_added, struct vsc_diag *diag);

/* Called by a scorer for each record; `sink` is the one its score() was given. */
int kind_emit(const void *rec, void *sink);

#endif
