/* Evolving test items (issue 12, docs/evolve.md): what an evolution may cost, and what it
 * found, read back from the store. */
#ifndef VALSCOPE_EVOLVE_H
#define VALSCOPE_EVOLVE_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "store.h"

/* The most calls each role of one evolution can make (the `--dry-run` budget line). */
struct vsc_evolve_budget {
    int64_t generator; /* questions, rewrites and sub-topic calls; or openings and rewrites */
    int64_t models;    /* per tested model: opinions, or completions */
    int64_t judge;     /* extractor or violation-judge calls */
};

/* The budget of evolution `i` of `cfg` (its value system or principles are loaded next to the
 * config file). Returns 0 or VSC_ERR_INPUT with diag. */
int vsc_evolve_budget(struct vsc_evolve_budget *out, const struct vsc_config *cfg, size_t i,
                      struct vsc_diag *diag);

/* One record of an evolution (`valscope score`). `kind` says which fields hold:
 * evolve_step: step, topic, reward, gjs, regulariser (every question created or rewritten);
 * trueskill: model, dimension, value (win rate), sd; violation: model, dimension (the
 * principle), prompts ("initial" or "evolved"), evr, mvp, apv, ci_low, ci_high (EVR's), n;
 * evolve_calls: role, calls, unparseable. Strings are borrowed for the callback. */
struct vsc_evolve_record {
    const char *kind, *evolve;
    const char *model, *dimension, *topic, *prompts, *role;
    long step;
    double reward, gjs, regulariser, value, sd, evr, mvp, apv, ci_low, ci_high;
    long n;
    int64_t calls, unparseable;
};
typedef int (*vsc_evolve_cb)(const struct vsc_evolve_record *rec, void *payload);

/* Calls `cb` with the records of every finished evolution in `store` (of run `run`, or of all
 * runs when NULL), read with the config stored with each run; an evolution whose calls are not
 * all answered yet is skipped. Returns 0 or a negative VSC_ERR_* with diag. */
int vsc_evolve_score(struct vsc_store *store, const char *run, vsc_evolve_cb cb, void *payload,
                     struct vsc_diag *diag);

/* The record as one JSON line with the field names, or one row of the terminal table
 * (the header first when `n_shown` is 0; evolve_step records are left out: --json has them).
 * The table returns 1 when it wrote a row, 0 when it left the record out. */
int vsc_evolve_write_json(FILE *fp, const struct vsc_evolve_record *rec);
int vsc_evolve_write_table(FILE *fp, const struct vsc_evolve_record *rec, size_t n_shown);

#endif
