/* The `llama` backend when llama.cpp is not built in (scripts/fetch-llama.sh not run): open()
 * says how to get it, and option scoring says the same. */
#include "backends/backend.h"
#include "backends/llama_opts.h"
#include "backends/llama_score.h"

#include <stdio.h>
#include <string.h>

#ifndef VSC_HAVE_LLAMA

static const char NOT_BUILT[] = "the llama backend is not available in this build: run "
                                "scripts/fetch-llama.sh (needs npm), then rebuild";

static int stub_open(void **state, const struct vsc_model_cfg *model, const char *base_dir,
                     struct vsc_diag *diag)
{
    *state = NULL;
    vsc_diag_set(diag, "", model ? model->line : 0, 0, "model '%s': %s",
                 model && model->name ? model->name : "?", NOT_BUILT);
    return VSC_ERR_UNSUPPORTED;
}

static void stub_close(void *state) {}

static int stub_answer(void *state, const struct backend_request *req, struct backend_reply *reply)
{
    reply->error = VSC_E_BACKEND;
    reply->detail = strdup(NOT_BUILT);
    return 0;
}

int backend_llama_score(void *state, const char *body, const char *const *options, size_t n_options,
                        int from_scratch, double *out_logprob, double *out_norm, char *detail,
                        size_t detail_len)
{
    if (detail && detail_len) snprintf(detail, detail_len, "%s", NOT_BUILT);
    return VSC_ERR_UNSUPPORTED;
}

const struct backend_ops backend_llama = {
    .name = "llama",
    .keys = llama_keys,
    .open = stub_open,
    .close = stub_close,
    .answer = stub_answer,
    .answer_batch = NULL,
};

#endif /* VSC_HAVE_LLAMA */
