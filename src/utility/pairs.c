/* A map of unordered pairs to their answer counts (private to the utility module). */
#include <stdlib.h>
#include <string.h>

#include "utility/utility_int.h"

static size_t slot_of(const struct upairs *mp, size_t a, size_t b)
{
    uint64_t k = ((uint64_t)a << 32 | b) * 0x9E3779B97F4A7C15ULL;
    size_t i = (size_t)(k >> 17) & (mp->n_slots - 1);
    while (mp->slot[i]) {
        const struct vsc_pair_count *p = &mp->pc[mp->slot[i] - 1];
        if (p->a == a && p->b == b) break;
        i = (i + 1) & (mp->n_slots - 1);
    }
    return i;
}

struct vsc_pair_count *upairs_get(struct upairs *mp, size_t a, size_t b, int add)
{
    if (a > b) {
        size_t t = a;
        a = b;
        b = t;
    }
    if (mp->n_slots) {
        size_t i = slot_of(mp, a, b);
        if (mp->slot[i]) return &mp->pc[mp->slot[i] - 1];
    }
    if (!add) return NULL;
    if ((mp->n + 1) * 2 > mp->n_slots) {
        size_t ns = mp->n_slots ? mp->n_slots * 2 : 256;
        size_t *slots = calloc(ns, sizeof(size_t));
        if (!slots) return NULL;
        free(mp->slot);
        mp->slot = slots;
        mp->n_slots = ns;
        for (size_t i = 0; i < mp->n; i++)
            mp->slot[slot_of(mp, mp->pc[i].a, mp->pc[i].b)] = i + 1;
    }
    if (mp->n == mp->cap) {
        size_t c = mp->cap ? mp->cap * 2 : 256;
        struct vsc_pair_count *g = realloc(mp->pc, c * sizeof *g);
        if (!g) return NULL;
        mp->pc = g;
        mp->cap = c;
    }
    mp->pc[mp->n] = (struct vsc_pair_count){a, b, 0, 0, 0};
    mp->slot[slot_of(mp, a, b)] = ++mp->n;
    return &mp->pc[mp->n - 1];
}

void upairs_clear(struct upairs *mp)
{
    free(mp->pc);
    free(mp->slot);
    memset(mp, 0, sizeof *mp);
}
