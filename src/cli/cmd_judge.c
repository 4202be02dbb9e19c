/* valscope judge-eval: how well a judge agrees with human labels or a recorded judge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "valscope/judge.h"

static void usage(void)
{
    fprintf(stderr,
            "usage: valscope judge-eval --config FILE.yaml --judge NAME --labels FORMAT:FILE\n"
            "                           [--store PATH] [--limit N] [--json]\n"
            "  FORMAT: fulcra (JSONL dialogues with value_types), touche (ValueEval TSV),\n"
            "          valuebench (answers with recorded 0-10 ratings: MAE, Spearman rho)\n");
}

int cli_judge_eval(int argc, char **argv)
{
    const char *config = NULL, *judge = NULL, *labels = NULL, *store = NULL;
    size_t limit = 0;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json"))
            json = 1;
        else if (!strcmp(a, "--config") && v)
            config = v, i++;
        else if (!strcmp(a, "--judge") && v)
            judge = v, i++;
        else if (!strcmp(a, "--labels") && v)
            labels = v, i++;
        else if (!strcmp(a, "--store") && v)
            store = v, i++;
        else if (!strcmp(a, "--limit") && v) {
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || n < 0) return cli_usage_error("judge-eval: bad --limit '%s'", v);
            limit = (size_t)n;
            i++;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage();
            return 0;
        } else {
            usage();
            return cli_usage_error("judge-eval: unexpected argument '%s'", a);
        }
    }
    if (!config || !judge || !labels) {
        usage();
        return 2;
    }
    struct vsc_config *cfg = NULL;
    struct vsc_diag diag = {0};
    int rc = vsc_config_load(&cfg, config, &diag);
    if (rc) {
        cli_print_diag("judge-eval", rc, &diag);
        return cli_exit_code(rc);
    }
    if (cfg->warning) fprintf(stderr, "valscope judge-eval: warning: %s\n", cfg->warning);
    vsc_config_apply_env(cfg);
    struct vsc_judge_eval_opts o = {
        .cfg = cfg, .judge = judge, .labels = labels, .store_path = store, .limit = limit};
    struct vsc_judge_eval *ev = NULL;
    rc = vsc_judge_eval_run(&ev, &o, &diag);
    if (rc)
        cli_print_diag("judge-eval", rc, &diag);
    else
        rc = vsc_judge_eval_write(stdout, ev, json);
    vsc_judge_eval_free(ev);
    vsc_config_free(cfg);
    return cli_exit_code(rc);
}
