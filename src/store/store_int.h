/* Store internals shared with the planner and the dispatcher (not public API). */
#ifndef VSC_STORE_INT_H
#define VSC_STORE_INT_H

#include <sqlite3.h>

#include "valscope/store.h"

/* A cell still waiting for an ok answer, as read by the dispatcher. Strings are malloc'd. */
struct pending_cell {
    int64_t id;
    char *key;
    char *body;
    char *meta;
    char *item;
    char *condition;
    int sample;
};
void pending_cell_clear(struct pending_cell *c);

/* Reads up to `max` cells of (run, model) with id > after_id that have no ok answer. */
int store_pending_page(struct vsc_store *s, int64_t run_id, const char *model, int64_t after_id,
                       struct pending_cell *out, size_t max, size_t *out_n);

/* Cells of a run and how many of them have an ok answer. */
int store_count(struct vsc_store *s, int64_t run_id, int64_t *out_cells, int64_t *out_ok);

/* The plan hash recorded for a run (malloc'd, NULL when none) and setting it. */
int store_plan_hash(struct vsc_store *s, int64_t run_id, char **out);
int store_set_plan_hash(struct vsc_store *s, int64_t run_id, const char *hash);

int store_fail(struct vsc_store *s, const char *what);

/* How long a writer waits for another connection's write transaction (SQLite busy timeout). */
#define STORE_BUSY_TIMEOUT_MS 10000

/* vsc_store_open for a run that sends requests: also takes the run lock on the database file
 * (one run per store, whatever name it is reached by). VSC_ERR_BUSY when another process holds
 * it. The lock lives as long as the handle. */
int store_open_locked(struct vsc_store **out, const char *path);

#endif
