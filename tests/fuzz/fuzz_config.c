/* libFuzzer target: arbitrary bytes as a run config. Bad input must give a diagnostic and
 * VSC_ERR_INPUT, never a crash, a leak or a read past `size`. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "valscope/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vsc_config *cfg = NULL;
    struct vsc_diag diag = {0};
    int rc = vsc_config_parse(&cfg, (const char *)data, size, "fuzz.yaml", &diag);
    if (rc == 0 && !cfg) abort(); /* success must hand back a config */
    if (rc == 0) {
        /* Touch what later stages read, so a half-filled config shows up here. */
        for (size_t i = 0; i < cfg->n_models; i++)
            if (!cfg->models[i].name || !cfg->models[i].backend) abort();
    } else {
        char msg[2048];
        vsc_diag_format(msg, sizeof msg, &diag);
    }
    vsc_config_free(cfg);
    return 0;
}
