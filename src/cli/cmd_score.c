/* valscope score / import. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cli_score(int argc, char **argv)
{
    const char *store_path = NULL;
    struct vsc_score_opts opts = {0};
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
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
    size_t n = 0;
    int rc = vsc_score_all(store, &opts, stdout, json, &n, &diag);
    if (rc) {
        cli_print_diag("score", rc, &diag);
    } else if (!n) {
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
    struct vsc_diag diag = {0};
    int rc = vsc_store_open(&store, store_path);
    if (rc)
        vsc_store_diag(&diag, store, rc);
    else
        rc = vsc_import_answers(store, kind, colon + 1, answers, &diag);
    if (rc) cli_print_diag("import", rc, &diag);
    free(kind);
    vsc_store_free(store);
    return cli_exit_code(rc);
}
