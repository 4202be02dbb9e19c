/* vsc_run: check the config, plan it, lock the store, put the plan into it, then dispatch what
 * is still unanswered in rounds with the later stages. Each step is a function of its own with
 * one cleanup path; vsc_run strings them together. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "dispatch/dispatch.h"
#include "evolve/stage.h"
#include "plan/plan.h"
#include "kinds/kind.h"
#include "store/store_int.h"
#include "util/util.h"
#include "valscope/run.h"

/* Opens and closes the backends that are cheap to open (sim, replay), so a bad option or a
 * missing replay file is reported before the store is touched. llama loads a model: it is
 * checked when its first cell comes up. */
static int check_light_backends(const struct vsc_config *cfg, const char *base_dir,
                                struct vsc_diag *diag)
{
    const struct vsc_model_cfg *lists[3] = {cfg->models, cfg->judges, cfg->generators};
    size_t ns[3] = {cfg->n_models, cfg->n_judges, cfg->n_generators};
    for (int l = 0; l < 3; l++)
        for (size_t i = 0; i < ns[l]; i++) {
            const struct backend_ops *ops = backend_find(lists[l][i].backend);
            if (!ops || ops->http || !strcmp(ops->name, "llama")) continue;
            void *state = NULL;
            int rc = ops->open(&state, &lists[l][i], base_dir, diag);
            if (state) ops->close(state);
            if (rc) {
                if (!diag->file[0]) snprintf(diag->file, sizeof(diag->file), "%s", cfg->path);
                return rc;
            }
        }
    return 0;
}

/* What can be checked from the config alone: a store to write and known backends. */
static int check_config(const struct vsc_config *cfg, struct vsc_diag *diag)
{
    if (!cfg->store)
        return vsc_diag_set(diag, cfg->path, 0, 0, "no store: set 'store:' or pass --store");
    for (size_t i = 0; i < cfg->n_models; i++)
        if (!backend_find(cfg->models[i].backend)) {
            char *all = backend_names();
            int rc = all ? vsc_diag_set(diag, cfg->path, cfg->models[i].line, 0,
                                        "unknown backend '%s' (allowed: %s)",
                                        cfg->models[i].backend, all)
                         : VSC_ERR_NOMEM;
            free(all);
            return rc;
        }
    return 0;
}

/* Opens the store with the run lock and finds (or makes) the run. One run at a time per store,
 * whatever name it is reached by: two would send the same cells and pay twice (the lock is on
 * the database file; see store_open_locked). `*out` is set whenever a handle was made. */
static int lock_store(struct vsc_store **out, int64_t *out_run_id, const struct vsc_config *cfg,
                      struct vsc_diag *diag)
{
    int rc;
    if ((rc = store_open_locked(out, cfg->store))) goto fail; /* the message names the store */
    if ((rc = vsc_store_run_begin(*out, out_run_id, cfg->run_name, cfg->source_text))) {
        vsc_diag_set(diag, cfg->store, 0, 0, "%s", vsc_store_errmsg(*out));
        goto fail;
    }
    return 0;
fail:
    return vsc_store_diag(diag, *out, rc);
}

/* Puts the plan's cells into the run unless they are there already. The hash is recorded only
 * once the whole plan is committed: an equal hash means every cell is in the store, so a rerun
 * goes straight to dispatching; a different one means the config changed under the run's name. */
static int plan_into_store(struct vsc_store *store, int64_t run_id, const struct plan *plan,
                           const char *plan_hash, const struct vsc_config *cfg,
                           struct vsc_diag *diag)
{
    char *stored = NULL;
    int64_t planned = 0;
    int rc;
    if ((rc = store_plan_hash(store, run_id, &stored))) goto fail;
    if (stored && strcmp(stored, plan_hash)) {
        rc = vsc_diag_set(diag, cfg->path, 0, 0,
                          "run '%s' in %s was planned from a different config (models, "
                          "instruments, samples, params or conditions changed): give this config "
                          "a new 'run:' name, or use another store",
                          cfg->run_name, cfg->store);
        goto fail;
    }
    if (!stored && ((rc = plan_build(store, run_id, plan, &planned, diag)) ||
                    (rc = store_set_plan_hash(store, run_id, plan_hash))))
        goto fail;
    free(stored);
    return 0;
fail:
    free(stored);
    if (rc == VSC_ERR_STORE) vsc_diag_set(diag, cfg->store, 0, 0, "%s", vsc_store_errmsg(store));
    return rc;
}

/* Sends every unanswered cell, then lets the later stages (judge, utility, ...) add cells from
 * the answers, and sends those, round after round until no stage adds any. */
static int run_rounds(struct vsc_progress *p, struct vsc_store *store, int64_t run_id,
                      const struct vsc_config *cfg, const char *base_dir,
                      const struct vsc_run_opts *opts, struct vsc_diag *diag)
{
    struct dispatcher *disp = NULL;
    size_t n_all = cfg->n_models + cfg->n_judges + cfg->n_generators;
    const struct vsc_model_cfg **all = calloc(n_all, sizeof(*all));
    int rc;
    if (!all) {
        rc = VSC_ERR_NOMEM;
        goto fail;
    }
    for (size_t i = 0; i < cfg->n_models; i++)
        all[i] = &cfg->models[i];
    for (size_t i = 0; i < cfg->n_judges; i++)
        all[cfg->n_models + i] = &cfg->judges[i];
    for (size_t i = 0; i < cfg->n_generators; i++)
        all[cfg->n_models + cfg->n_judges + i] = &cfg->generators[i];
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct dispatch_opts dopts = {.cfg = cfg,
                                  .models = all,
                                  .n_models = n_all,
                                  .base_dir = base_dir,
                                  .run_id = run_id,
                                  .retry_base_ms = cfg->retry_base_ms,
                                  .retry_max_ms = cfg->retry_max_ms,
                                  .progress = opts ? opts->progress : NULL,
                                  .payload = opts ? opts->payload : NULL};
    if ((rc = dispatch_new(&disp, store, &dopts, p, diag))) goto fail;
    for (int round = 0; round < 10000; round++) {
        if (round) dispatch_rearm(disp);
        if ((rc = dispatch_drain(disp))) goto fail;
        int64_t added = 0;
        if ((rc = kind_run_stages(store, run_id, cfg, base_dir, &added, diag))) goto fail;
        if (!added) break;
        p->total += added;
    }
fail:
    dispatch_free(disp);
    free(all);
    return rc;
}

int vsc_run(struct vsc_progress *out, const struct vsc_config *cfg, const struct vsc_run_opts *opts,
            struct vsc_diag *diag)
{
    struct vsc_progress p = {0};
    struct vsc_store *store = NULL;
    char *base_dir = path_dirname(cfg->path);
    int64_t run_id = 0, cells, ok;
    struct plan *plan = NULL;
    int rc;
    vsc_diag_clear(diag);
    if ((rc = check_config(cfg, diag))) goto done;
    /* bad instruments stop the run before the store is created or touched */
    if ((rc = plan_prepare(&plan, cfg, base_dir, diag)) ||
        (rc = check_light_backends(cfg, base_dir, diag))) {
        if (rc == VSC_ERR_IO) rc = VSC_ERR_INPUT; /* a missing input file is bad input */
        goto done;
    }
    char plan_hash[65];
    snprintf(plan_hash, sizeof plan_hash, "%s", plan_hash_of(plan));
    if (cfg->n_evolve) { /* the evolutions' inputs decide their cells too */
        char digest[65];
        if ((rc = evolve_prepare(digest, cfg, base_dir, diag))) goto done;
        char both[130];
        snprintf(both, sizeof both, "%s%s", plan_hash, digest);
        sha256_hex(plan_hash, both, strlen(both));
    }
    if ((rc = lock_store(&store, &run_id, cfg, diag)) ||
        (rc = plan_into_store(store, run_id, plan, plan_hash, cfg, diag)))
        goto done;
    /* the cells carry everything the dispatcher needs: the instruments can go before it starts */
    plan_free(plan);
    plan = NULL;
    if ((rc = store_count(store, run_id, &p.total, &p.cached))) goto done;
    p.done = p.cached;
    if (opts && opts->dry_run) {
        p.finished = 1;
        goto done; /* the plan is all a dry run wants: rc is 0 */
    }
    if ((rc = run_rounds(&p, store, run_id, cfg, base_dir, opts, diag)) ||
        (rc = store_count(store, run_id, &cells, &ok)))
        goto done;
    p.total = cells;
    if (ok < cells) rc = VSC_ERR_INCOMPLETE;
done:
    if (out) *out = p;
    vsc_store_diag(diag, store, rc);
    vsc_store_free(store);
    plan_free(plan);
    free(base_dir);
    return rc;
}
