/* Run configuration: the YAML file given to `valscope run`.
 *
 * The config is plain data (like libgit2's option structs) so the CLI can apply its overrides
 * directly. Everything is owned by the `vsc_config` and freed by vsc_config_free(). Free-form
 * parts (sampling params, backend options, conditions) are kept as compact JSON text so that
 * they pass through to the backends unchanged. */
#ifndef VALSCOPE_CONFIG_H
#define VALSCOPE_CONFIG_H

#include "common.h"

/* One model (or judge) endpoint. */
struct vsc_model_cfg {
    char *name;         /* label used in results */
    char *backend;      /* openai | sim | replay | llama */
    char **base_urls;   /* openai: /v1 roots or full .../chat/completions URLs */
    size_t n_base_urls;
    char *model;        /* served model name (openai), or NULL */
    char *api_key_env;  /* environment variable holding the key; never stored */
    char *api;          /* "chat" (default) or "completions" */
    int concurrency;    /* in-flight requests for this model; default 16 */
    double rpm;         /* requests per minute, 0 = unlimited */
    double tpm;         /* tokens per minute, 0 = unlimited */
    int timeout_ms;     /* per request; default 120000 */
    /* Once the reply has started, a transfer bringing fewer than low_speed_bytes per second
     * over low_speed_seconds is cut (error "slow"); defaults 100 and 30, 0 seconds = off. */
    int low_speed_bytes;
    int low_speed_seconds;
    char *options_json; /* the whole model entry as a JSON object (backend-specific keys) */
    int line;           /* where the entry starts in the config file */
};

/* One instrument entry `- KIND: ARG` plus its other keys (protocol, judge, options...). */
struct vsc_instrument_cfg {
    char *kind;
    char *arg;
    char *options_json; /* the whole entry as a JSON object */
    int line;
};

/* One `evolve:` entry (issue 12, docs/evolve.md): an AdAEM or DeNEVIL evolution. Names of
 * the generator, extractor/judge and models are checked against the config's lists. */
struct vsc_evolve_cfg {
    char *method;       /* adaem | denevil */
    char *name;
    char *generator;    /* a `generators:` name */
    char *judge;        /* adaem: the extractor (`extractor:`); denevil: the violation judge */
    char **models;      /* tested models (`models:` names) */
    size_t n_models;
    char *value_system; /* adaem: a built-in id or a value-system file */
    char *topics;       /* adaem: seed topics file, one per line */
    char *principles;   /* denevil: builtin:mft or a file, one principle per line */
    char *out;          /* output JSONL (relative to the config), or NULL */
    int steps, refine, opinions, keep;    /* adaem */
    int prompts, rounds, completions;     /* denevil */
    long long seed;
    int line;
};

struct vsc_config {
    char *path;               /* the file it was read from */
    char *run_name;           /* `run:` or the file's base name without extension */
    char *store;              /* SQLite file; relative paths are relative to the cwd */
    struct vsc_model_cfg *models;
    size_t n_models;
    struct vsc_model_cfg *judges;
    size_t n_judges;
    struct vsc_model_cfg *generators; /* models that write and refine evolve items */
    size_t n_generators;
    struct vsc_instrument_cfg *instruments;
    size_t n_instruments;
    struct vsc_evolve_cfg *evolve;
    size_t n_evolve;
    int samples;              /* answers per cell, default 1 */
    char *params_json;        /* sampling params object, "{}" when absent */
    char *conditions_json;    /* conditions object, "{}" when absent */
    int max_attempts;         /* per request, default 5 */
    size_t max_body_bytes;    /* response cap, default 8 MiB */
    size_t max_request_bytes; /* request body cap, default 1 MiB */
    int concurrency;          /* global override (CLI --concurrency), 0 = per model */
    int retry_base_ms;        /* first retry backoff, doubled per attempt; default 500 */
    int retry_max_ms;         /* backoff cap; default 30000 */
    char *source_text;        /* the config file as kept with the run: verbatim but for URL
                               * credentials, which are removed */
    char *warning;            /* NULL, or a note for the user (credentials were found in a URL);
                               * the library never prints: the caller shows it */
};

/* Reads and validates a config file. On bad input returns VSC_ERR_INPUT with `diag` naming
 * file, line and column. The result is owned by the caller. */
int vsc_config_load(struct vsc_config **out, const char *path, struct vsc_diag *diag);

/* Same from a string; `name` is used in diagnostics and as the default run name. */
int vsc_config_parse(struct vsc_config **out, const char *text, size_t len, const char *name,
                     struct vsc_diag *diag);

/* Applies OPENAI_BASE_URL / OPENAI_API_KEY defaults to openai models that lack them. */
void vsc_config_apply_env(struct vsc_config *cfg);

void vsc_config_free(struct vsc_config *cfg);

#endif
