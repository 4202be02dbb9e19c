/* The list of backends. */
#include <string.h>

#include "backends/backend.h"

static const struct backend_ops *const ALL[] = {&backend_openai, &backend_sim, &backend_replay,
                                                &backend_llama};

const struct backend_ops *backend_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof(ALL) / sizeof(ALL[0]); i++)
        if (strcmp(ALL[i]->name, name) == 0) return ALL[i];
    return NULL;
}

const char *backend_names(void)
{
    return "openai|sim|replay|llama";
}

const char *vsc_error_kind_name(enum vsc_error_kind kind)
{
    static const char *const names[VSC_E_COUNT] = {
        [VSC_E_NONE] = "none",          [VSC_E_HTTP_429] = "http_429",
        [VSC_E_HTTP_5XX] = "http_5xx",  [VSC_E_HTTP_4XX] = "http_4xx",
        [VSC_E_TIMEOUT] = "timeout",    [VSC_E_CONNECTION] = "connection",
        [VSC_E_BAD_JSON] = "bad_json",  [VSC_E_NO_CHOICES] = "no_choices",
        [VSC_E_TOO_LARGE] = "too_large", [VSC_E_BACKEND] = "backend",
        [VSC_E_HTTP_REDIRECT] = "http_redirect", [VSC_E_SLOW] = "slow"};
    return (unsigned)kind < VSC_E_COUNT ? names[kind] : "unknown";
}
