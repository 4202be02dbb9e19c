/* What the config knows of the model backends. The backend registry (src/backends/registry.c)
 * sits above the config and implements config_backend_at; the config names backends only
 * through it, so its backend list, key lists and messages follow the registry. */
#ifndef VSC_CONFIG_BACKENDS_H
#define VSC_CONFIG_BACKENDS_H

#include <stddef.h>

/* Keys every model entry takes, whatever its backend (the dispatcher reads them). */
extern const char *const config_model_keys[];

/* The i-th backend of the registry: its name and its own option keys (NULL-terminated, may be
 * NULL), both static. Returns 1, or 0 past the end. */
int config_backend_at(size_t i, const char **out_name, const char *const **out_keys);

#endif
