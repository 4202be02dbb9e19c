/* valscope run / export. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

struct progress_state {
    int tty;
    double last_log_s;
};

static void on_progress(const struct vsc_progress *p, void *payload)
{
    struct progress_state *ps = payload;
    int64_t errors = 0;
    for (int k = 1; k < VSC_E_COUNT; k++)
        errors += p->errors[k];
    double rate = p->elapsed_s > 0 ? (double)(p->ok + p->failed) / p->elapsed_s : 0;
    int64_t left = p->total - p->done;
    double eta = rate > 0 ? (double)left / rate : 0;
    if (ps->tty) {
        fprintf(stderr,
                "\r%lld/%lld done  %.0f req/s  %lld tokens  %lld errors  %lld retries  "
                "ETA %.0fs   ",
                (long long)p->done, (long long)p->total, rate, (long long)p->tokens,
                (long long)errors, (long long)p->retries, eta);
        if (p->finished) fputc('\n', stderr);
    } else if (p->finished || p->elapsed_s - ps->last_log_s >= 5) {
        ps->last_log_s = p->elapsed_s;
        fprintf(stderr,
                "progress: %lld/%lld done, %.0f req/s, %lld tokens, %lld errors, ETA %.0fs\n",
                (long long)p->done, (long long)p->total, rate, (long long)p->tokens,
                (long long)errors, eta);
    }
}

static int parse_int_arg(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 1 || v > INT_MAX) return -1;
    *out = (int)v;
    return 0;
}

int cli_run(int argc, char **argv)
{
    const char *config_path = NULL, *store = NULL;
    int concurrency = 0, dry_run = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--store") && i + 1 < argc)
            store = argv[++i];
        else if (!strcmp(argv[i], "--concurrency") && i + 1 < argc) {
            if (parse_int_arg(argv[++i], &concurrency))
                return cli_usage_error("--concurrency needs a positive whole number, not '%s'",
                                       argv[i]);
        } else if (!strcmp(argv[i], "--dry-run"))
            dry_run = 1;
        else if (argv[i][0] == '-')
            return cli_usage_error("run: unknown option '%s'", argv[i]);
        else if (!config_path)
            config_path = argv[i];
        else
            return cli_usage_error("run: unexpected argument '%s'", argv[i]);
    }
    if (!config_path) return cli_usage_error("run: missing CONFIG.yaml%s", "");
    struct vsc_config *cfg = NULL;
    struct vsc_diag diag = {0};
    int rc = vsc_config_load(&cfg, config_path, &diag);
    if (rc) {
        cli_print_diag("run", rc, &diag);
        return rc == VSC_ERR_IO ? 2 : cli_exit_code(rc); /* a missing config is bad input */
    }
    if (store) {
        free(cfg->store);
        cfg->store = strdup(store);
    }
    if (concurrency) cfg->concurrency = concurrency;
    vsc_config_apply_env(cfg);
    char safe[512];
    if (cfg->warning)
        fprintf(stderr, "valscope run: warning: %s\n", cli_safe(safe, sizeof(safe), cfg->warning));
    for (size_t i = 0; i < cfg->n_models; i++) {
        const struct vsc_model_cfg *m = &cfg->models[i];
        if (!strcmp(m->backend, "sim"))
            fprintf(stderr,
                    "note: model '%s' uses the sim backend: its answers are SIMULATED "
                    "respondents, not a language model\n",
                    cli_safe(safe, sizeof(safe), m->name));
        if (m->api_key_env && !getenv(m->api_key_env) && !dry_run)
            fprintf(stderr, "note: model '%s': %s is not set; requests go without an API key\n",
                    cli_safe(safe, sizeof(safe), m->name), m->api_key_env);
    }
    struct progress_state ps = {.tty = isatty(2)};
    struct vsc_run_opts opts = {.dry_run = dry_run, .progress = on_progress, .payload = &ps};
    struct vsc_progress p;
    rc = vsc_run(&p, cfg, &opts, &diag);
    if (rc && rc != VSC_ERR_INCOMPLETE) {
        cli_print_diag("run", rc, &diag);
    } else if (dry_run) {
        printf("plan for run '%s' in %s:\n  cells: %lld\n  requests to send: %lld\n"
               "  already cached: %lld\n",
               cli_safe(safe, sizeof(safe), cfg->run_name), cfg->store, (long long)p.total,
               (long long)(p.total - p.cached), (long long)p.cached);
        for (size_t i = 0; i < cfg->n_evolve; i++) {
            struct vsc_evolve_budget b;
            if (vsc_evolve_budget(&b, cfg, i, &diag)) continue; /* vsc_run checked the inputs */
            printf("  evolve '%s' (%s), most calls per role: generator %lld, each model %lld, "
                   "%s %lld\n",
                   cli_safe(safe, sizeof(safe), cfg->evolve[i].name), cfg->evolve[i].method,
                   (long long)b.generator, (long long)b.models,
                   strcmp(cfg->evolve[i].method, "adaem") ? "judge" : "extractor",
                   (long long)b.judge);
        }
    } else {
        printf("run '%s': %lld cells, %lld cached, %lld answered now, %lld failed, %lld retries, "
               "%lld tokens, %.1fs\n",
               cli_safe(safe, sizeof(safe), cfg->run_name), (long long)p.total, (long long)p.cached,
               (long long)p.ok, (long long)p.failed, (long long)p.retries, (long long)p.tokens,
               p.elapsed_s);
        for (int k = 1; k < VSC_E_COUNT; k++)
            if (p.errors[k])
                printf("  failed with %s: %lld\n", vsc_error_kind_name(k), (long long)p.errors[k]);
        if (rc == VSC_ERR_INCOMPLETE)
            printf("some cells have no answer: run the same command again to retry them\n");
    }
    vsc_config_free(cfg);
    return cli_exit_code(rc);
}

int cli_export(int argc, char **argv)
{
    const char *store_path = NULL, *run = NULL;
    enum vsc_export_format fmt = VSC_EXPORT_JSONL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--format") && i + 1 < argc) {
            const char *f = argv[++i];
            if (!strcmp(f, "jsonl"))
                fmt = VSC_EXPORT_JSONL;
            else if (!strcmp(f, "csv"))
                fmt = VSC_EXPORT_CSV;
            else
                return cli_usage_error("export: --format must be jsonl or csv, not '%s'", f);
        } else if (!strcmp(argv[i], "--run") && i + 1 < argc)
            run = argv[++i];
        else if (argv[i][0] == '-')
            return cli_usage_error("export: unknown option '%s'", argv[i]);
        else if (!store_path)
            store_path = argv[i];
        else
            return cli_usage_error("export: unexpected argument '%s'", argv[i]);
    }
    if (!store_path) return cli_usage_error("export: missing STORE%s", "");
    struct vsc_store *store = NULL;
    int ec = cli_open_store(&store, "export", store_path, run);
    if (ec) return ec;
    int rc = vsc_export(store, stdout, fmt, run);
    if (rc == VSC_ERR_IO)
        fprintf(stderr, "valscope export: cannot write: %s\n", strerror(errno));
    else if (rc) {
        struct vsc_diag diag = {0};
        cli_print_diag("export", vsc_store_diag(&diag, store, rc), &diag);
    }
    vsc_store_free(store);
    return cli_exit_code(rc);
}
