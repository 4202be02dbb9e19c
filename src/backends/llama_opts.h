/* The options of a `llama` model (docs/internals/llama.md), read and checked before the slow
 * model load. Separate from llama.c so it builds and is tested without llama.cpp. */
#ifndef VSC_LLAMA_OPTS_H
#define VSC_LLAMA_OPTS_H

#include <jansson.h>

#include "valscope/config.h"

enum llama_fa { LLAMA_FA_AUTO = 0, LLAMA_FA_ON, LLAMA_FA_OFF };

struct llama_opts {
    json_t *root;           /* the parsed options; strings below point into it */
    const char *model_path; /* as written (relative to the config's folder) */
    long n_ctx;             /* 0: the model's training context, at most 4096 */
    long threads, n_batch, seed, n_parallel;
    enum llama_fa flash_attn;  /* on CPU with tiny heads it can be far slower (stories260K: 6x) */
    const char *chat_template; /* NULL when not given */
    int tmpl_raw;              /* "none" / "raw": messages sent as plain text */
    int tmpl_from_gguf;        /* absent, "gguf" or "auto": the model's own */
    int tmpl_literal;          /* a template text ({{ or {% in it}) */
};

/* The option keys of a llama model entry, NULL-terminated (the backend's `keys`). */
extern const char *const llama_keys[];

/* Reads `m->options_json` into `out`. `max_parallel` bounds n_parallel (llama.cpp's limit).
 * Returns 0, VSC_ERR_INPUT with a message naming the model and option in `diag`, or
 * VSC_ERR_NOMEM. Whether a named template exists is for llama.c to check. `out` is cleared
 * first; llama_opts_free releases it either way. */
int llama_opts_parse(struct llama_opts *out, const struct vsc_model_cfg *m, long max_parallel,
                     struct vsc_diag *diag);
void llama_opts_free(struct llama_opts *o);

#endif
