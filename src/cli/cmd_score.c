/* valscope score / import. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

struct score_out {
    int json;
    int header_done;
    size_t n;
};

static int on_record(const struct vsc_score_record *rec, void *payload)
{
    struct score_out *o = payload;
    o->n++;
    if (o->json) return vsc_score_write_json(stdout, rec);
    if (!o->header_done) {
        vsc_score_write_table_header(stdout);
        o->header_done = 1;
    }
    return vsc_score_write_table_row(stdout, rec);
}

struct rp_out {
    int json;
    size_t n;
};

static int on_roleplay(const struct vsc_roleplay_record *r, void *payload)
{
    struct rp_out *o = payload;
    /* the table shows role-play only where personas were used */
    if (!o->json && (!strcmp(r->kind, "convergence") || !strcmp(r->kind, "seed_correlation") ||
                     (r->condition && !strcmp(r->condition, "baseline"))))
        return 0;
    if (!o->n++ && !o->json)
        printf("\nrole-play (%s)\n%-20s %-14s %-18s %-12s %10s %8s\n",
               "inertia, steerability, effect sizes; --json for every record", "model", "kind",
               "dimension", "level", "value", "n");
    if (o->json) return vsc_roleplay_write_json(stdout, r);
    char level[64] = "";
    if (r->attribute) snprintf(level, sizeof(level), "%s=%s", r->attribute, r->level ? r->level : "");
    else if (r->condition) snprintf(level, sizeof(level), "%s", r->condition);
    printf("%-20.20s %-14s %-18.18s %-12.12s %10.3f %8zu\n", r->model, r->kind,
           r->dimension ? r->dimension : "-", level, r->value, r->n);
    return 0;
}

/* Utility and dilemma records: JSON lines with --json, a short table otherwise. */
static int on_utility(const struct vsc_utility_record *r, void *payload)
{
    struct rp_out *o = payload;
    if (o->json) return vsc_utility_write_json(stdout, r);
    if (strcmp(r->kind, "utility_fit")) return 0; /* per-outcome records: --json */
    if (!o->n++) printf("\npreference utilities (Thurstonian fit; --json for every outcome)\n");
    printf("%-20.20s pairs %zu  accuracy %.3f  log-loss %.3f  held-out accuracy %.3f  "
           "intransitive triads %.3f\n",
           r->model, r->n_pairs, r->accuracy, r->log_loss, r->heldout_accuracy, r->intransitive);
    return 0;
}

static int on_dilemma(const struct vsc_dilemma_record *r, void *payload)
{
    struct rp_out *o = payload;
    if (o->json) return vsc_dilemma_write_json(stdout, r);
    if (!o->n++)
        printf("\nmoral dilemmas (chosen - neglected, per category)\n%-20s %-10s %-24s %8s %18s\n",
               "model", "theory", "category", "value", "95% CI");
    printf("%-20.20s %-10.10s %-24.24s %8.3f [%7.3f, %7.3f]\n", r->model, r->theory, r->category,
           r->value, r->ci_low, r->ci_high);
    return 0;
}

int cli_score(int argc, char **argv)
{
    const char *store_path = NULL;
    struct vsc_score_opts opts = {0};
    struct score_out out = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) out.json = 1;
        else if (!strcmp(argv[i], "--centring") && i + 1 < argc) {
            const char *c = argv[++i];
            if (!strcmp(c, "respondent")) opts.centring = VSC_CENTRE_RESPONDENT;
            else if (!strcmp(c, "run")) opts.centring = VSC_CENTRE_RUN;
            else if (!strcmp(c, "none")) opts.centring = VSC_CENTRE_NONE;
            else return cli_usage_error("score: --centring must be respondent, run or none, not '%s'", c);
        } else if (!strcmp(argv[i], "--run") && i + 1 < argc) opts.run = argv[++i];
        else if (!strcmp(argv[i], "--bootstrap") && i + 1 < argc) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end || n < 0 || n > 1000000)
                return cli_usage_error("score: --bootstrap needs a count from 0 to 1000000, not '%s'", argv[i]);
            opts.n_boot = n ? (int)n : -1;
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            char *end;
            errno = 0;
            unsigned long long s = strtoull(argv[++i], &end, 10);
            if (*end || errno) return cli_usage_error("score: --seed needs a whole number, not '%s'", argv[i]);
            opts.seed = s;
        } else if (argv[i][0] == '-') return cli_usage_error("score: unknown option '%s'", argv[i]);
        else if (!store_path) store_path = argv[i];
        else return cli_usage_error("score: unexpected argument '%s'", argv[i]);
    }
    if (!store_path) return cli_usage_error("score: missing STORE%s", "");
    struct vsc_store *store;
    int ec = cli_open_store(&store, "score", store_path, opts.run);
    if (ec) return ec;
    struct vsc_diag diag = {0};
    int rc = vsc_score_store(store, &opts, on_record, &out, &diag);
    /* free-text probes read by a judge come out as the same records, protocol named */
    if (!rc) rc = vsc_judge_score(store, &opts, on_record, &out, &diag);
    /* role-play statistics (inertia, steerability, effect sizes, ...) when personas were used */
    struct rp_out rp = {.json = out.json};
    struct vsc_roleplay_opts ropts = {.run = opts.run};
    if (!rc) rc = vsc_roleplay_score(store, &ropts, on_roleplay, &rp, &diag);
    out.n += rp.n;
    struct rp_out ut = {.json = out.json}, dl = {.json = out.json};
    struct vsc_utility_opts uopts = {.run = opts.run};
    if (!rc) rc = vsc_utility_score(store, &uopts, on_utility, &ut, &diag);
    struct vsc_dilemma_opts dopts = {.run = opts.run, .seed = opts.seed};
    if (!rc) rc = vsc_dilemma_score(store, &dopts, on_dilemma, &dl, &diag);
    out.n += ut.n + dl.n;
    if (rc) {
        if (rc == VSC_ERR_STORE) fprintf(stderr, "valscope score: %s\n", vsc_store_errmsg(store));
        else cli_print_diag("score", rc, &diag);
    } else if (!out.n) {
        fprintf(stderr, "valscope score: %s has no scored dimensions (no questionnaire answers)\n",
                store_path);
    }
    vsc_store_free(store);
    return cli_exit_code(rc);
}

int cli_import(int argc, char **argv)
{
    const char *store_path = NULL, *spec = NULL, *answers = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--instrument") && i + 1 < argc) spec = argv[++i];
        else if (!strcmp(argv[i], "--answers") && i + 1 < argc) answers = argv[++i];
        else if (argv[i][0] == '-') return cli_usage_error("import: unknown option '%s'", argv[i]);
        else if (!store_path) store_path = argv[i];
        else return cli_usage_error("import: unexpected argument '%s'", argv[i]);
    }
    if (!store_path || !spec || !answers)
        return cli_usage_error("import: usage: valscope import STORE --instrument KIND:ARG "
                               "--answers FILE.jsonl%s", "");
    const char *colon = strchr(spec, ':');
    if (!colon) return cli_usage_error("import: --instrument must be KIND:ARG, not '%s'", spec);
    char *kind = strndup(spec, (size_t)(colon - spec));
    struct vsc_store *store = NULL;
    int rc = vsc_store_open(&store, store_path);
    struct vsc_diag diag = {0};
    if (rc) fprintf(stderr, "valscope import: %s\n", vsc_store_errmsg(store));
    else {
        rc = vsc_import_answers(store, kind, colon + 1, answers, &diag);
        if (rc == VSC_ERR_STORE) fprintf(stderr, "valscope import: %s\n", vsc_store_errmsg(store));
        else if (rc) cli_print_diag("import", rc, &diag);
    }
    free(kind);
    vsc_store_free(store);
    return cli_exit_code(rc);
}
