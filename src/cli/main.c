/* The valscope command line. Uses only the public API. Exit status: 0 success, 1 some cells
 * have no answer, 2 bad input (config, instrument, data files, usage, a --run that names no
 * run), 3 store/system error, 4 the store is locked by another valscope run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "valscope/valscope.h"

static void usage(FILE *f)
{
    fprintf(f,
            "valscope %s: measure what large language models value\n\n"
            "usage:\n"
            "  valscope run CONFIG.yaml [--store PATH] [--concurrency N] [--dry-run]\n"
            "  valscope export STORE [--format jsonl|csv] [--run NAME]\n"
            "  valscope score STORE [--json] [--centring respondent|run] [--run NAME]\n"
            "                 [--bootstrap N] [--seed N]\n"
            "  valscope import STORE --instrument KIND:ARG --answers FILE.jsonl\n"
            "  valscope report STORE --html OUT.html [--csv DIR] [--json] [--targets FILE...]\n"
            "  valscope judge-eval --config FILE.yaml --judge NAME --labels FORMAT:FILE\n"
            "                 [--store PATH] [--limit N] [--json]\n"
            "  valscope targets from-orientations CSV OUTDIR   (see docs/targets.md)\n"
            "  valscope version\n",
            VSC_VERSION);
}

int cli_exit_code(int rc)
{
    switch (rc) {
    case VSC_OK:
        return 0;
    case VSC_ERR_INCOMPLETE:
        return 1;
    case VSC_ERR_INPUT:
    case VSC_ERR_NOTFOUND:
    case VSC_ERR_UNSUPPORTED:
        return 2;
    case VSC_ERR_BUSY:
        return 4;
    default:
        return 3;
    }
}

const char *cli_safe(char *buf, size_t len, const char *s)
{
    size_t o = 0;
    for (; s && *s && o + 1 < len; s++) {
        unsigned char c = (unsigned char)*s;
        buf[o++] = (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c;
    }
    buf[o] = 0;
    return buf;
}

void cli_print_diag(const char *cmd, int rc, const struct vsc_diag *d)
{
    char raw[2048], line[2048];
    vsc_diag_format(raw, sizeof(raw), d);
    cli_safe(line, sizeof(line), raw); /* messages quote config and model text */
    fprintf(stderr, "valscope %s: %s\n", cmd, line[0] ? line : vsc_strerror(rc));
}

int cli_open_store(struct vsc_store **out, const char *cmd, const char *path, const char *run)
{
    struct vsc_diag diag = {0};
    int rc = vsc_store_open_read(out, path);
    if (!rc) rc = vsc_store_check_run(*out, run);
    if (!rc) return 0;
    cli_print_diag(cmd, vsc_store_diag(&diag, *out, rc), &diag);
    vsc_store_free(*out);
    *out = NULL;
    return cli_exit_code(rc);
}

int cli_usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "valscope: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(run 'valscope help' for usage)\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "run")) return cli_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "export")) return cli_export(argc - 1, argv + 1);
    if (!strcmp(cmd, "score")) return cli_score(argc - 1, argv + 1);
    if (!strcmp(cmd, "import")) return cli_import(argc - 1, argv + 1);
    if (!strcmp(cmd, "report")) return cli_report(argc - 1, argv + 1);
    if (!strcmp(cmd, "judge-eval")) return cli_judge_eval(argc - 1, argv + 1);
    if (!strcmp(cmd, "targets")) return cli_targets(argc - 1, argv + 1);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("valscope %s\n", VSC_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "valscope: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
