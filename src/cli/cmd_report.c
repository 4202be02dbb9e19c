/* valscope report (HTML, CSV, JSON) and valscope targets (orientation converter). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "valscope/compare.h"
#include "valscope/report.h"

static int parse_count(int *out, const char *s, const char *what)
{
    char *end;
    errno = 0;
    long n = strtol(s, &end, 10);
    if (*end || errno || n < 0 || n > 1000000) {
        fprintf(stderr, "valscope report: %s needs a count from 0 to 1000000, not '%s'\n", what, s);
        return 2;
    }
    *out = n ? (int)n : -1; /* 0 on the command line means "no resampling" */
    return 0;
}

static int parse_seed(uint64_t *out, const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno || !*s)
        return cli_usage_error("report: --seed needs a whole number, not '%s'", s);
    *out = v;
    return 0;
}

static void report_usage(FILE *f)
{
    fprintf(f, "usage: valscope report STORE [--html OUT.html] [--csv DIR] [--json]\n"
               "         [--targets FILE...] [--drift condition|run|model:A:B]...\n"
               "         [--run NAME] [--centring respondent|run|none] [--bootstrap N]\n"
               "         [--seed N] [--title TEXT]\n");
}

int cli_report(int argc, char **argv)
{
    const char *store_path = NULL, *html = NULL, *csv = NULL;
    int json = 0, ec = 2;
    struct vsc_report_opts opts = {0};
    const char **targets = calloc((size_t)argc + 1, sizeof(*targets));
    struct vsc_drift_spec *drifts = calloc((size_t)argc + 1, sizeof(*drifts));
    struct vsc_store *store = NULL;
    struct vsc_report *rep = NULL;
    struct vsc_diag diag = {0};
    if (!targets || !drifts) {
        fprintf(stderr, "valscope report: out of memory\n");
        ec = 3;
        goto done;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--html") && more)
            html = argv[++i];
        else if (!strcmp(a, "--csv") && more)
            csv = argv[++i];
        else if (!strcmp(a, "--json"))
            json = 1;
        else if (!strcmp(a, "--targets") && more) {
            /* One or more files, up to the next option. */
            while (i + 1 < argc && argv[i + 1][0] != '-')
                targets[opts.n_targets++] = argv[++i];
        } else if (!strcmp(a, "--drift") && more) {
            if (vsc_drift_spec_parse(&drifts[opts.n_drifts], argv[++i], &diag)) {
                cli_print_diag("report", VSC_ERR_INPUT, &diag);
                goto done;
            }
            opts.n_drifts++;
        } else if (!strcmp(a, "--run") && more)
            opts.score.run = argv[++i];
        else if (!strcmp(a, "--title") && more)
            opts.title = argv[++i];
        else if (!strcmp(a, "--centring") && more) {
            const char *c = argv[++i];
            if (!strcmp(c, "respondent"))
                opts.score.centring = VSC_CENTRE_RESPONDENT;
            else if (!strcmp(c, "run"))
                opts.score.centring = VSC_CENTRE_RUN;
            else if (!strcmp(c, "none"))
                opts.score.centring = VSC_CENTRE_NONE;
            else {
                ec = cli_usage_error("report: --centring must be respondent, run or none, not '%s'",
                                     c);
                goto done;
            }
        } else if (!strcmp(a, "--bootstrap") && more) {
            int n;
            if (parse_count(&n, argv[++i], "--bootstrap")) goto done;
            opts.score.n_boot = n;
            opts.compare.n_boot = n;
        } else if (!strcmp(a, "--seed") && more) {
            if ((ec = parse_seed(&opts.score.seed, argv[++i]))) goto done;
            opts.compare.seed = opts.score.seed;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            report_usage(stdout);
            ec = 0;
            goto done;
        } else if (a[0] == '-') {
            ec = cli_usage_error("report: unknown option or missing value: '%s'", a);
            goto done;
        } else if (!store_path)
            store_path = a;
        else {
            ec = cli_usage_error("report: unexpected argument '%s'", a);
            goto done;
        }
    }
    if (!store_path || (!html && !csv && !json)) {
        report_usage(stderr);
        goto done;
    }
    opts.target_paths = targets;
    if (opts.n_drifts) opts.drifts = drifts;
    if ((ec = cli_open_store(&store, "report", store_path, opts.score.run))) goto done;
    ec = 2;
    int rc = vsc_report_build(&rep, store, &opts, &diag);
    if (rc) {
        cli_print_diag("report", rc, &diag);
        ec = cli_exit_code(rc);
        goto done;
    }
    if (html && (rc = vsc_report_write_html_file(html, rep, &diag))) {
        cli_print_diag("report", rc, &diag);
        ec = cli_exit_code(rc);
        goto done;
    }
    if (csv && (rc = vsc_report_write_csv(rep, csv, &diag))) {
        cli_print_diag("report", rc, &diag);
        ec = cli_exit_code(rc);
        goto done;
    }
    if (json && (rc = vsc_report_write_json(stdout, rep))) {
        fprintf(stderr, "valscope report: writing JSON: %s\n", vsc_strerror(rc));
        ec = cli_exit_code(rc);
        goto done;
    }
    ec = 0;
done:
    vsc_report_free(rep);
    vsc_store_free(store);
    free(targets);
    free(drifts);
    return ec;
}

int cli_targets(int argc, char **argv)
{
    if (argc != 4 || strcmp(argv[1], "from-orientations") != 0) {
        fprintf(stderr, "usage: valscope targets from-orientations ORIENTATIONS.csv OUT_DIR\n");
        return 2;
    }
    size_t n = 0;
    struct vsc_diag diag = {0};
    int rc = vsc_targets_from_orientations(&n, argv[2], argv[3], &diag);
    if (rc) {
        cli_print_diag("targets", rc, &diag);
        return cli_exit_code(rc);
    }
    printf("wrote %zu target file(s) to %s (approximate mapping: docs/targets.md)\n", n, argv[3]);
    return 0;
}
