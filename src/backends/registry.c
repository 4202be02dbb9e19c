/* The list of backends. The config reads it through config/backends.h (its key lists and the
 * unknown-backend message), so a backend added here is known everywhere. */
#include <string.h>

#include "backends/backend.h"
#include "config/backends.h"
#include "util/util.h"

static const struct backend_ops *const ALL[] = {&backend_openai, &backend_sim, &backend_replay,
                                                &backend_llama};

const struct backend_ops *backend_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof(ALL) / sizeof(ALL[0]); i++)
        if (strcmp(ALL[i]->name, name) == 0) return ALL[i];
    return NULL;
}

int config_backend_at(size_t i, const char **out_name, const char *const **out_keys)
{
    if (i >= sizeof(ALL) / sizeof(ALL[0])) return 0;
    *out_name = ALL[i]->name;
    *out_keys = ALL[i]->keys;
    return 1;
}

char *backend_names(void)
{
    struct buf b;
    buf_init(&b, 4096);
    for (size_t i = 0; i < sizeof(ALL) / sizeof(ALL[0]); i++)
        buf_printf(&b, "%s%s", i ? "|" : "", ALL[i]->name);
    return buf_take(&b);
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
