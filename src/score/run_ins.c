/* Reading a run's instruments out of the store (see run_ins.h). */
#include "score/run_ins.h"

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

struct collector {
    const char *kind;
    int need_arg;
    void **arr;
    size_t *n, size;
};

static int collect(const struct vsc_run_instrument *ri, void *payload)
{
    struct collector *c = payload;
    if (c->kind && strcmp(ri->kind, c->kind)) return 0;
    char *g = realloc(*c->arr, (*c->n + 1) * c->size);
    if (!g) return VSC_ERR_NOMEM;
    *c->arr = g;
    struct run_ins *e = (struct run_ins *)(g + *c->n * c->size);
    (*c->n)++;
    memset(e, 0, c->size);
    *e = (struct run_ins){.run = xstrdup(ri->run),
                          .id = xstrdup(ri->instrument),
                          .kind = xstrdup(ri->kind),
                          .arg = xstrdup(ri->arg),
                          .base_dir = xstrdup(ri->base_dir)};
    if (!e->run || !e->id || !e->kind || (c->need_arg && !e->arg)) return VSC_ERR_NOMEM;
    return 0;
}

int run_ins_collect(struct vsc_store *store, const char *run, const char *kind, int need_arg,
                    void *arr, size_t *n, size_t size)
{
    struct collector c = {.kind = kind, .need_arg = need_arg, .arr = arr, .n = n, .size = size};
    return vsc_store_foreach_instrument(store, run, collect, &c);
}

void run_ins_free(struct run_ins *ri)
{
    free(ri->run);
    free(ri->id);
    free(ri->kind);
    free(ri->arg);
    free(ri->base_dir);
}
