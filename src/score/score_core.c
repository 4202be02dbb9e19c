/* The scoring accumulator: answers of one model x run x condition x instrument in, one record
 * per dimension and group out. The formulas are in docs/scoring.md; the comments here say
 * why the computation is arranged as it is. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "score/score_int.h"
#include "stats/stats.h"
#include "util/util.h"

/* One answer that was read. 16 bytes, so a million answers take 16 MB. */
struct obs {
    uint32_t unit; /* respondent x repeat */
    uint32_t item;
    double value; /* option value as given (not keyed) */
};

/* A dimension or a group: the items whose answers it pools. */
struct scale {
    const char *id;
    int is_group;
    size_t *items;
    size_t k;
};

struct sc_acc {
    const struct vsc_instrument *ins;
    double lo, hi; /* scale range, for reverse keying: lo + hi - x */

    struct scale *scales;
    size_t n_scales;
    size_t *item_scale_start; /* CSR: scales containing item i */
    size_t *item_scales;

    char **resp; /* respondent names */
    size_t n_resp, cap_resp;
    uint32_t *rslot; /* open addressing: respondent index + 1, 0 = empty */
    size_t rcap;

    uint32_t *unit_resp; /* per unit: respondent index and repeat */
    int *unit_rep;
    size_t n_units, cap_units;
    uint64_t *uslot_key; /* open addressing on (respondent << 32 | repeat) */
    uint32_t *uslot_val; /* unit + 1, 0 = empty */
    size_t ucap;

    struct obs *obs;
    size_t n_obs, cap_obs;

    size_t *n_ok, *n_unp, *n_fail, *n_pend; /* per item */
    double *ent_sum;
    size_t *ent_n;

    uint32_t last_unit; /* consecutive answers usually share a respondent */
    int last_rep;
    long last_resp;
};

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * size);
    if (!q) return VSC_ERR_NOMEM;
    *p = q;
    *cap = n;
    return 0;
}

static int add_scale(struct sc_acc *a, const char *id, int is_group, size_t *items, size_t k)
{
    struct scale *s = realloc(a->scales, (a->n_scales + 1) * sizeof *s);
    if (!s) return VSC_ERR_NOMEM;
    a->scales = s;
    s[a->n_scales++] = (struct scale){.id = id, .is_group = is_group, .items = items, .k = k};
    return 0;
}

/* Dimensions in `dim_order`, then in the order their first item appears, then the groups. */
static int build_scales(struct sc_acc *a, const char *const *dim_order, size_t n_dim_order)
{
    const struct vsc_instrument *ins = a->ins;
    size_t K = ins->n_items;
    for (size_t i = 0; i < K; i++) {
        const char *dim = ins->items[i].dimension;
        if (!dim) continue;
        int seen = 0;
        for (size_t s = 0; s < a->n_scales && !seen; s++)
            seen = !strcmp(a->scales[s].id, dim);
        if (seen) continue;
        size_t *items = malloc(K * sizeof *items), k = 0;
        if (!items) return VSC_ERR_NOMEM;
        for (size_t j = i; j < K; j++)
            if (ins->items[j].dimension && !strcmp(ins->items[j].dimension, dim)) items[k++] = j;
        if (add_scale(a, dim, 0, items, k)) {
            free(items);
            return VSC_ERR_NOMEM;
        }
    }
    /* stable insertion sort of the dimensions by their place in dim_order */
    for (size_t s = 1; s < a->n_scales; s++) {
        struct scale cur = a->scales[s];
        size_t rank = n_dim_order, t = s;
        for (size_t r = 0; r < n_dim_order; r++)
            if (dim_order[r] && !strcmp(dim_order[r], cur.id)) rank = r;
        while (t > 0) {
            size_t prev = n_dim_order;
            for (size_t r = 0; r < n_dim_order; r++)
                if (dim_order[r] && !strcmp(dim_order[r], a->scales[t - 1].id)) prev = r;
            if (prev <= rank) break;
            a->scales[t] = a->scales[t - 1];
            t--;
        }
        a->scales[t] = cur;
    }
    for (size_t g = 0; g < ins->n_groups; g++) {
        const struct vsc_group *gr = &ins->groups[g];
        size_t *items = malloc((K ? K : 1) * sizeof *items), k = 0;
        if (!items) return VSC_ERR_NOMEM;
        for (size_t j = 0; j < K; j++) {
            int in = 0;
            if (gr->n_items > 0) {
                for (size_t t = 0; t < gr->n_items && !in; t++)
                    in = !strcmp(gr->items[t], ins->items[j].id) ||
                         (ins->items[j].alias && !strcmp(gr->items[t], ins->items[j].alias));
            } else if (ins->items[j].dimension) {
                for (size_t t = 0; t < gr->n_dims && !in; t++)
                    in = !strcmp(gr->dims[t], ins->items[j].dimension);
            }
            if (in) items[k++] = j;
        }
        if (add_scale(a, gr->id, 1, items, k)) {
            free(items);
            return VSC_ERR_NOMEM;
        }
    }
    /* item -> scales, so each answer is added to its dimension and its groups in one pass */
    a->item_scale_start = calloc(K + 1, sizeof *a->item_scale_start);
    size_t total = 0;
    for (size_t s = 0; s < a->n_scales; s++)
        total += a->scales[s].k;
    a->item_scales = malloc((total ? total : 1) * sizeof *a->item_scales);
    if (!a->item_scale_start || !a->item_scales) return VSC_ERR_NOMEM;
    for (size_t s = 0; s < a->n_scales; s++)
        for (size_t t = 0; t < a->scales[s].k; t++)
            a->item_scale_start[a->scales[s].items[t] + 1]++;
    for (size_t i = 0; i < K; i++)
        a->item_scale_start[i + 1] += a->item_scale_start[i];
    size_t *fill = calloc(K ? K : 1, sizeof *fill);
    if (!fill) return VSC_ERR_NOMEM;
    for (size_t s = 0; s < a->n_scales; s++)
        for (size_t t = 0; t < a->scales[s].k; t++) {
            size_t i = a->scales[s].items[t];
            a->item_scales[a->item_scale_start[i] + fill[i]++] = s;
        }
    free(fill);
    return 0;
}

int sc_acc_new(struct sc_acc **out, const struct vsc_instrument *ins, const char *const *dim_order,
               size_t n_dim_order)
{
    *out = NULL;
    struct sc_acc *a = calloc(1, sizeof *a);
    if (!a) return VSC_ERR_NOMEM;
    a->ins = ins;
    a->last_resp = -1;
    a->lo = INFINITY;
    a->hi = -INFINITY;
    for (size_t o = 0; o < ins->n_options; o++) {
        a->lo = fmin(a->lo, ins->options[o].value);
        a->hi = fmax(a->hi, ins->options[o].value);
    }
    size_t K = ins->n_items ? ins->n_items : 1;
    a->n_ok = calloc(K, sizeof *a->n_ok);
    a->n_unp = calloc(K, sizeof *a->n_unp);
    a->n_fail = calloc(K, sizeof *a->n_fail);
    a->n_pend = calloc(K, sizeof *a->n_pend);
    a->ent_sum = calloc(K, sizeof *a->ent_sum);
    a->ent_n = calloc(K, sizeof *a->ent_n);
    if (!a->n_ok || !a->n_unp || !a->n_fail || !a->n_pend || !a->ent_sum || !a->ent_n ||
        build_scales(a, dim_order, n_dim_order)) {
        sc_acc_free(a);
        return VSC_ERR_NOMEM;
    }
    *out = a;
    return 0;
}

void sc_acc_free(struct sc_acc *a)
{
    if (!a) return;
    for (size_t s = 0; s < a->n_scales; s++)
        free(a->scales[s].items);
    free(a->scales);
    free(a->item_scale_start);
    free(a->item_scales);
    for (size_t r = 0; r < a->n_resp; r++)
        free(a->resp[r]);
    free(a->resp);
    free(a->rslot);
    free(a->unit_resp);
    free(a->unit_rep);
    free(a->uslot_key);
    free(a->uslot_val);
    free(a->obs);
    free(a->n_ok);
    free(a->n_unp);
    free(a->n_fail);
    free(a->n_pend);
    free(a->ent_sum);
    free(a->ent_n);
    free(a);
}

/* ---- respondent and unit lookup (open addressing, load <= 1/2) ------------------------- */

static int resp_rehash(struct sc_acc *a, size_t cap)
{
    uint32_t *slot = calloc(cap, sizeof *slot);
    if (!slot) return VSC_ERR_NOMEM;
    for (size_t r = 0; r < a->n_resp; r++) {
        size_t h = (size_t)hash64(a->resp[r]) & (cap - 1);
        while (slot[h])
            h = (h + 1) & (cap - 1);
        slot[h] = (uint32_t)r + 1;
    }
    free(a->rslot);
    a->rslot = slot;
    a->rcap = cap;
    return 0;
}

static long resp_find(const struct sc_acc *a, const char *name, size_t *out_slot)
{
    size_t h = (size_t)hash64(name) & (a->rcap - 1);
    while (a->rslot[h]) {
        if (!strcmp(a->resp[a->rslot[h] - 1], name)) return (long)a->rslot[h] - 1;
        h = (h + 1) & (a->rcap - 1);
    }
    *out_slot = h;
    return -1;
}

static long resp_intern(struct sc_acc *a, const char *name)
{
    if ((a->n_resp + 1) * 2 > a->rcap && resp_rehash(a, a->rcap ? a->rcap * 2 : 64)) return -1;
    size_t slot;
    long r = resp_find(a, name, &slot);
    if (r >= 0) return r;
    if (a->n_resp >= UINT32_MAX - 1 ||
        grow((void **)&a->resp, &a->cap_resp, a->n_resp + 1, sizeof *a->resp))
        return -1;
    if (!(a->resp[a->n_resp] = xstrdup(name))) return -1;
    a->rslot[slot] = (uint32_t)a->n_resp + 1;
    return (long)a->n_resp++;
}

static uint64_t unit_key(uint32_t resp, int rep)
{
    return (uint64_t)resp << 32 | (uint32_t)rep;
}

static size_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

static long unit_find(const struct sc_acc *a, uint64_t key, size_t *out_slot)
{
    if (!a->ucap) return -1;
    size_t h = mix64(key) & (a->ucap - 1);
    while (a->uslot_val[h]) {
        if (a->uslot_key[h] == key) return (long)a->uslot_val[h] - 1;
        h = (h + 1) & (a->ucap - 1);
    }
    if (out_slot) *out_slot = h;
    return -1;
}

static int unit_rehash(struct sc_acc *a, size_t cap)
{
    uint64_t *key = calloc(cap, sizeof *key);
    uint32_t *val = calloc(cap, sizeof *val);
    if (!key || !val) {
        free(key);
        free(val);
        return VSC_ERR_NOMEM;
    }
    for (size_t u = 0; u < a->n_units; u++) {
        uint64_t k = unit_key(a->unit_resp[u], a->unit_rep[u]);
        size_t h = mix64(k) & (cap - 1);
        while (val[h])
            h = (h + 1) & (cap - 1);
        key[h] = k;
        val[h] = (uint32_t)u + 1;
    }
    free(a->uslot_key);
    free(a->uslot_val);
    a->uslot_key = key;
    a->uslot_val = val;
    a->ucap = cap;
    return 0;
}

static long unit_intern(struct sc_acc *a, uint32_t resp, int rep)
{
    if ((a->n_units + 1) * 2 > a->ucap && unit_rehash(a, a->ucap ? a->ucap * 2 : 64)) return -1;
    size_t slot;
    uint64_t key = unit_key(resp, rep);
    long u = unit_find(a, key, &slot);
    if (u >= 0) return u;
    size_t cap = a->cap_units;
    if (a->n_units >= UINT32_MAX - 1 ||
        grow((void **)&a->unit_resp, &cap, a->n_units + 1, sizeof *a->unit_resp))
        return -1;
    cap = a->cap_units;
    if (grow((void **)&a->unit_rep, &cap, a->n_units + 1, sizeof *a->unit_rep)) return -1;
    a->cap_units = cap;
    a->unit_resp[a->n_units] = resp;
    a->unit_rep[a->n_units] = rep;
    a->uslot_key[slot] = key;
    a->uslot_val[slot] = (uint32_t)a->n_units + 1;
    return (long)a->n_units++;
}

int sc_acc_add(struct sc_acc *a, const char *respondent, int repeat, size_t item, enum sc_obs kind,
               double value, double entropy)
{
    if (item >= a->ins->n_items || repeat < 0) return VSC_ERR_INTERNAL;
    switch (kind) {
    case SC_OBS_UNPARSEABLE:
        a->n_unp[item]++;
        return 0;
    case SC_OBS_FAILED:
        a->n_fail[item]++;
        return 0;
    case SC_OBS_PENDING:
        a->n_pend[item]++;
        return 0;
    case SC_OBS_OK:
        break;
    default:
        return VSC_ERR_INTERNAL;
    }
    if (!isfinite(value)) return VSC_ERR_INTERNAL;
    if (!respondent) respondent = "";
    long u;
    if (a->last_resp >= 0 && a->last_rep == repeat && !strcmp(a->resp[a->last_resp], respondent)) {
        u = a->last_unit;
    } else {
        long r = resp_intern(a, respondent);
        if (r < 0) return VSC_ERR_NOMEM;
        u = unit_intern(a, (uint32_t)r, repeat);
        if (u < 0) return VSC_ERR_NOMEM;
        a->last_resp = r;
        a->last_rep = repeat;
        a->last_unit = (uint32_t)u;
    }
    if (grow((void **)&a->obs, &a->cap_obs, a->n_obs + 1, sizeof *a->obs)) return VSC_ERR_NOMEM;
    a->obs[a->n_obs++] = (struct obs){.unit = (uint32_t)u, .item = (uint32_t)item, .value = value};
    a->n_ok[item]++;
    if (isfinite(entropy)) {
        a->ent_sum[item] += entropy;
        a->ent_n[item]++;
    }
    return 0;
}

/* ---- finishing ------------------------------------------------------------------------- */

static int cmp_obs(const void *x, const void *y)
{
    const struct obs *a = x, *b = y;
    if (a->unit != b->unit) return a->unit < b->unit ? -1 : 1;
    return (a->item > b->item) - (a->item < b->item);
}

static int cmp_dbl(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static double keyed(const struct sc_acc *a, size_t item, double x)
{
    return a->ins->items[item].key < 0 ? a->lo + a->hi - x : x;
}

/* An answer's contribution to its scale. Uncentred: the keyed answer. Centred on c (MRAT):
 * x - c, with the sign flipped for a reverse-keyed item, so a respondent's scale use cancels
 * for both keys (reversing first and then subtracting the raw MRAT would add the respondent's
 * acquiescence back, twice, on every reversed item). */
static double contribution(const struct sc_acc *a, size_t item, double x, double c, int centred)
{
    if (!centred) return keyed(a, item, x);
    return a->ins->items[item].key < 0 ? c - x : x - c;
}

static double key_sign(const struct sc_acc *a, size_t item)
{
    return a->ins->items[item].key < 0 ? -1.0 : 1.0;
}

/* Everything sc_acc_finish allocates, so there is one cleanup path. */
struct work {
    size_t *ustart;            /* U + 1: unit u's answers are obs[ustart[u] .. ustart[u+1]) */
    double *T, *C, *cu;        /* per unit: raw sum, count, centring constant */
    double *sa, *sc;           /* U x S: centred keyed sum and count per unit and scale */
    double *sk;                /* U x S: sum of key signs (run centring subtracts M per sign) */
    double *tmp;               /* max(U, K) scratch */
    double *boot;              /* S x n_boot */
    size_t *n_used;            /* per scale: usable resamples */
    uint32_t *cnt;             /* U: bootstrap multiplicities */
    double *bnum, *bden, *bsk; /* S */
    double *val;               /* K: one unit's keyed values, NAN = missing */
    size_t *pos_off;           /* S + 1: offsets of each scale's cross-product block */
    double *xs, *xx, *xm;      /* per scale: sums, cross products, complete-case counts */
    int *reps;                 /* distinct repeats, sorted */
    double *rt;                /* S x n_reps x 6: retest sums */
    struct vsc_score_norm *norms;
};

static void work_free(struct work *w)
{
    free(w->ustart);
    free(w->T);
    free(w->C);
    free(w->cu);
    free(w->sa);
    free(w->sc);
    free(w->sk);
    free(w->tmp);
    free(w->boot);
    free(w->n_used);
    free(w->cnt);
    free(w->bnum);
    free(w->bsk);
    free(w->bden);
    free(w->val);
    free(w->pos_off);
    free(w->xs);
    free(w->xx);
    free(w->xm);
    free(w->reps);
    free(w->rt);
    free(w->norms);
}

static int cmp_int(const void *x, const void *y)
{
    int a = *(const int *)x, b = *(const int *)y;
    return (a > b) - (a < b);
}

static long rep_index(const int *reps, size_t n, int rep)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (reps[mid] < rep)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && reps[lo] == rep ? (long)lo : -1;
}

static uint64_t labels_seed(const struct sc_labels *l, const char *extra)
{
    uint64_t h = hash64(l->run);
    h = h * 31 + hash64(l->model);
    h = h * 31 + hash64(l->condition);
    h = h * 31 + hash64(l->instrument);
    if (extra) h = h * 31 + hash64(extra);
    return h;
}

int sc_acc_finish(struct sc_acc *a, const struct sc_labels *labels,
                  const struct vsc_score_opts *opts, vsc_score_cb cb, void *payload)
{
    const struct vsc_instrument *ins = a->ins;
    struct work w = {0};
    int rc = VSC_ERR_NOMEM;
    size_t U = a->n_units, K = ins->n_items, S = a->n_scales;
    size_t Ua = U ? U : 1, Ka = K ? K : 1, Sa = S ? S : 1;
    int centring = opts ? opts->centring : VSC_CENTRE_DEFAULT;
    if (centring == VSC_CENTRE_DEFAULT)
        centring = ins->centre ? VSC_CENTRE_RESPONDENT : VSC_CENTRE_NONE;
    int run_centre = centring == VSC_CENTRE_RUN;
    size_t n_boot = !opts || opts->n_boot == 0 ? 1000 : opts->n_boot < 0 ? 0 : (size_t)opts->n_boot;
    double level = opts && opts->level > 0 && opts->level < 1 ? opts->level : 0.95;
    uint64_t seed = opts ? opts->seed : 0;
    int sum_agg = ins->aggregate == VSC_AGG_SUM;

    /* 1. answers grouped by unit, items ascending; a repeated (unit, item) is averaged */
    if (a->n_obs) qsort(a->obs, a->n_obs, sizeof *a->obs, cmp_obs); /* obs is NULL when none */
    size_t m = 0;
    for (size_t i = 0; i < a->n_obs;) {
        size_t j = i + 1;
        double s = a->obs[i].value;
        while (j < a->n_obs && a->obs[j].unit == a->obs[i].unit && a->obs[j].item == a->obs[i].item)
            s += a->obs[j++].value;
        a->obs[m] = a->obs[i];
        a->obs[m++].value = s / (double)(j - i);
        i = j;
    }
    /* the merged answers stay valid input for another finish (idempotent) */
    a->n_obs = m;

    w.ustart = calloc(Ua + 1, sizeof *w.ustart);
    w.T = calloc(Ua, sizeof *w.T);
    w.C = calloc(Ua, sizeof *w.C);
    w.cu = calloc(Ua, sizeof *w.cu);
    w.sa = calloc(Ua * Sa, sizeof *w.sa);
    w.sc = calloc(Ua * Sa, sizeof *w.sc);
    w.sk = calloc(Ua * Sa, sizeof *w.sk);
    w.tmp = malloc((Ua > Ka ? Ua : Ka) * sizeof *w.tmp);
    w.val = malloc(Ka * sizeof *w.val);
    w.n_used = calloc(Sa, sizeof *w.n_used);
    w.bnum = calloc(Sa, sizeof *w.bnum);
    w.bsk = calloc(Sa, sizeof *w.bsk);
    w.bden = calloc(Sa, sizeof *w.bden);
    w.pos_off = calloc(Sa + 1, sizeof *w.pos_off);
    w.norms = calloc(ins->n_norms ? ins->n_norms : 1, sizeof *w.norms);
    if (!w.ustart || !w.T || !w.C || !w.cu || !w.sa || !w.sc || !w.sk || !w.tmp || !w.val ||
        !w.n_used || !w.bnum || !w.bden || !w.bsk || !w.pos_off || !w.norms)
        goto fail;
    for (size_t i = 0; i < m; i++)
        w.ustart[a->obs[i].unit + 1]++;
    for (size_t u = 0; u < U; u++)
        w.ustart[u + 1] += w.ustart[u];

    /* 2. centring constants: each unit's mean rating over every item it answered (MRAT) and
     * the pooled mean of the whole accumulator */
    double TT = 0, CC = 0;
    for (size_t u = 0; u < U; u++) {
        for (size_t i = w.ustart[u]; i < w.ustart[u + 1]; i++)
            w.T[u] += a->obs[i].value;
        w.C[u] = (double)(w.ustart[u + 1] - w.ustart[u]);
        w.cu[u] = centring == VSC_CENTRE_RESPONDENT && w.C[u] > 0 ? w.T[u] / w.C[u] : 0;
        TT += w.T[u];
        CC += w.C[u];
    }
    double M = run_centre && CC > 0 ? TT / CC : 0;

    /* 3. per unit and scale: sum of keyed, centred answers and their count. These are the
     * sufficient statistics of everything below except reliability and retest. */
    for (size_t u = 0; u < U; u++)
        for (size_t i = w.ustart[u]; i < w.ustart[u + 1]; i++) {
            size_t it = a->obs[i].item;
            double x = contribution(a, it, a->obs[i].value, w.cu[u], centring != VSC_CENTRE_NONE);
            double sign = run_centre ? key_sign(a, it) : 0;
            for (size_t t = a->item_scale_start[it]; t < a->item_scale_start[it + 1]; t++) {
                size_t s = a->item_scales[t];
                w.sa[u * S + s] += x;
                w.sc[u * S + s] += 1;
                w.sk[u * S + s] += sign;
            }
        }

    /* 4. bootstrap over units, one set of multiplicities shared by all scales so their
     * intervals come from the same resamples; run centring recomputes the pooled mean in
     * each resample because it depends on who was drawn */
    size_t n_multi = 0; /* scales with >= 2 units */
    size_t *n_units_s = calloc(Sa, sizeof *n_units_s);
    if (!n_units_s) goto fail;
    for (size_t s = 0; s < S; s++) {
        for (size_t u = 0; u < U; u++)
            n_units_s[s] += w.sc[u * S + s] > 0;
        n_multi += n_units_s[s] >= 2;
    }
    if (n_boot > 0) {
        w.boot = malloc(Sa * n_boot * sizeof *w.boot);
        if (!w.boot) goto fail_units;
    }
    if (n_boot > 0 && n_multi > 0) {
        w.cnt = malloc(Ua * sizeof *w.cnt);
        if (!w.cnt) goto fail_units;
        struct rng g;
        rng_seed(&g, seed ^ labels_seed(labels, NULL));
        for (size_t b = 0; b < n_boot; b++) {
            memset(w.cnt, 0, U * sizeof *w.cnt);
            for (size_t i = 0; i < U; i++)
                w.cnt[rng_below(&g, U)]++;
            memset(w.bnum, 0, S * sizeof *w.bnum);
            memset(w.bden, 0, S * sizeof *w.bden);
            memset(w.bsk, 0, S * sizeof *w.bsk);
            double bt = 0, bc = 0;
            for (size_t u = 0; u < U; u++) {
                if (!w.cnt[u]) continue;
                double wt = w.cnt[u];
                const double *sa = w.sa + u * S, *sc = w.sc + u * S, *sk = w.sk + u * S;
                for (size_t s = 0; s < S; s++) {
                    w.bnum[s] += wt * sa[s];
                    w.bden[s] += wt * sc[s];
                    w.bsk[s] += wt * sk[s];
                }
                bt += wt * w.T[u];
                bc += wt * w.C[u];
            }
            double bm = run_centre && bc > 0 ? bt / bc : 0;
            for (size_t s = 0; s < S; s++) {
                if (n_units_s[s] < 2 || !(w.bden[s] > 0)) continue;
                double v = (w.bnum[s] - bm * w.bsk[s]) / w.bden[s];
                w.boot[s * n_boot + w.n_used[s]++] = sum_agg ? v * (double)a->scales[s].k : v;
            }
        }
    }

    /* 5. reliability: complete-case sums and cross products of keyed (uncentred) answers per
     * scale, accumulated unit by unit, so no items x respondents matrix is ever built */
    for (size_t s = 0; s < S; s++)
        w.pos_off[s + 1] = w.pos_off[s] + a->scales[s].k;
    size_t nx = w.pos_off[S];
    w.xs = calloc(nx ? nx : 1, sizeof *w.xs);
    w.xm = calloc(Sa, sizeof *w.xm);
    size_t nxx = 0;
    for (size_t s = 0; s < S; s++)
        nxx += a->scales[s].k * a->scales[s].k;
    w.xx = calloc(nxx ? nxx : 1, sizeof *w.xx);
    if (!w.xs || !w.xm || !w.xx) goto fail_units;
    double mid = isfinite(a->lo) ? (a->lo + a->hi) / 2 : 0; /* shift against cancellation */
    for (size_t i = 0; i < K; i++)
        w.val[i] = NAN;
    for (size_t u = 0; u < U; u++) {
        for (size_t i = w.ustart[u]; i < w.ustart[u + 1]; i++)
            w.val[a->obs[i].item] = keyed(a, a->obs[i].item, a->obs[i].value) - mid;
        size_t xxo = 0;
        for (size_t s = 0; s < S; s++) {
            const struct scale *sc = &a->scales[s];
            size_t k = sc->k, t = 0;
            while (t < k && !isnan(w.val[sc->items[t]]))
                t++;
            if (k >= 2 && t == k) {
                double *xs = w.xs + w.pos_off[s], *xx = w.xx + xxo;
                for (size_t p = 0; p < k; p++) {
                    double vp = w.val[sc->items[p]];
                    xs[p] += vp;
                    for (size_t q = 0; q < k; q++)
                        xx[p * k + q] += vp * w.val[sc->items[q]];
                }
                w.xm[s] += 1;
            }
            xxo += k * k;
        }
        for (size_t i = w.ustart[u]; i < w.ustart[u + 1]; i++)
            w.val[a->obs[i].item] = NAN;
    }

    /* 6. retest: each later repeat of a respondent against its repeat 0, item by item */
    size_t n_reps = 0;
    w.reps = malloc(Ua * sizeof *w.reps);
    if (!w.reps) goto fail_units;
    for (size_t u = 0; u < U; u++)
        w.reps[u] = a->unit_rep[u];
    if (U) qsort(w.reps, U, sizeof *w.reps, cmp_int);
    for (size_t u = 0; u < U; u++)
        if (n_reps == 0 || w.reps[n_reps - 1] != w.reps[u]) w.reps[n_reps++] = w.reps[u];
    if (n_reps > 1) {
        w.rt = calloc(Sa * n_reps * 6, sizeof *w.rt);
        if (!w.rt) goto fail_units;
        for (size_t u = 0; u < U; u++) {
            if (a->unit_rep[u] == 0) continue;
            long u0 = unit_find(a, unit_key(a->unit_resp[u], 0), NULL);
            if (u0 < 0) continue;
            long ri = rep_index(w.reps, n_reps, a->unit_rep[u]);
            size_t i = w.ustart[u], j = w.ustart[u0];
            while (i < w.ustart[u + 1] && j < w.ustart[u0 + 1]) {
                if (a->obs[i].item < a->obs[j].item)
                    i++;
                else if (a->obs[i].item > a->obs[j].item)
                    j++;
                else {
                    size_t it = a->obs[i].item;
                    double x = keyed(a, it, a->obs[j].value), y = keyed(a, it, a->obs[i].value);
                    for (size_t t = a->item_scale_start[it]; t < a->item_scale_start[it + 1]; t++) {
                        double *r = w.rt + (a->item_scales[t] * n_reps + (size_t)ri) * 6;
                        r[0] += 1;
                        r[1] += x;
                        r[2] += y;
                        r[3] += x * x;
                        r[4] += y * y;
                        r[5] += x * y;
                    }
                    i++;
                    j++;
                }
            }
        }
    }

    /* 7. one record per scale */
    for (size_t s = 0, xxo = 0; s < S; xxo += a->scales[s].k * a->scales[s].k, s++) {
        const struct scale *sc = &a->scales[s];
        size_t k = sc->k;
        double mult = sum_agg ? (double)k : 1.0;
        struct vsc_score_record rec = {
            .model = labels->model,
            .run = labels->run,
            .condition = labels->condition,
            .system = ins->system,
            .instrument = labels->instrument,
            .kind = sc->is_group ? "group" : "value",
            .dimension = sc->id,
            .n_items = k,
            .n_respondents = n_units_s[s],
            .mean = NAN,
            .sd = NAN,
            .ci_low = NAN,
            .ci_high = NAN,
            .alpha = NAN,
            .omega = NAN,
            .retest = NAN,
            .unparseable = NAN,
            .entropy = NAN,
        };
        double ent = 0;
        size_t ent_n = 0;
        for (size_t t = 0; t < k; t++) {
            size_t it = sc->items[t];
            rec.n += a->n_ok[it];
            rec.n_unparseable += a->n_unp[it];
            rec.n_failed += a->n_fail[it];
            rec.n_pending += a->n_pend[it];
            ent += a->ent_sum[it];
            ent_n += a->ent_n[it];
        }
        if (rec.n + rec.n_unparseable > 0)
            rec.unparseable = (double)rec.n_unparseable / (double)(rec.n + rec.n_unparseable);
        if (ent_n > 0) rec.entropy = ent / (double)ent_n;

        double num = 0, den = 0, ks = 0;
        for (size_t u = 0; u < U; u++) {
            num += w.sa[u * S + s];
            den += w.sc[u * S + s];
            ks += w.sk[u * S + s];
        }
        if (den > 0) rec.mean = ((num - M * ks) / den) * mult;

        if (n_units_s[s] >= 2) {
            /* SD of respondent scores; the CI from the shared unit bootstrap */
            size_t n = 0;
            for (size_t u = 0; u < U; u++)
                if (w.sc[u * S + s] > 0)
                    w.tmp[n++] = ((w.sa[u * S + s] - M * w.sk[u * S + s]) / w.sc[u * S + s]) * mult;
            rec.sd = st_sd(w.tmp, n);
            if (n_boot > 0 && w.n_used[s] > 0) {
                double *bs = w.boot + s * n_boot;
                qsort(bs, w.n_used[s], sizeof *bs, cmp_dbl);
                rec.ci_low = st_quantile_sorted(bs, w.n_used[s], (1 - level) / 2);
                rec.ci_high = st_quantile_sorted(bs, w.n_used[s], 1 - (1 - level) / 2);
            }
        } else if (n_units_s[s] == 1) {
            /* one respondent: its items are the only replication there is, so they are the
             * resampling unit (the centring constant is held fixed) */
            size_t u = 0;
            while (w.sc[u * S + s] <= 0)
                u++;
            size_t n = 0;
            double *num_i = w.tmp, *den_i = w.val; /* K-sized scratch: val is free again */
            for (size_t i = w.ustart[u]; i < w.ustart[u + 1]; i++) {
                size_t it = a->obs[i].item;
                int in = 0;
                for (size_t t = a->item_scale_start[it]; t < a->item_scale_start[it + 1] && !in;
                     t++)
                    in = a->item_scales[t] == s;
                if (!in) continue;
                num_i[n] =
                    (contribution(a, it, a->obs[i].value, w.cu[u], centring != VSC_CENTRE_NONE) -
                     (run_centre ? M * key_sign(a, it) : 0)) *
                    mult;
                den_i[n++] = 1;
            }
            rec.sd = st_sd(num_i, n);
            if (n_boot > 0 && n >= 2) {
                struct rng g;
                rng_seed(&g, seed ^ labels_seed(labels, sc->id));
                st_bootstrap_ratio_ci(&rec.ci_low, &rec.ci_high, num_i, den_i, n, n_boot, level, &g,
                                      w.boot + s * n_boot);
            }
            for (size_t i = 0; i < K; i++)
                w.val[i] = NAN;
        }

        if (k >= 2 && w.xm[s] >= 2) {
            /* covariance from the shifted sums; alpha from it, omega from the correlations */
            double mm = w.xm[s], *xs = w.xs + w.pos_off[s], *xx = w.xx + xxo;
            double *cov = malloc(2 * k * k * sizeof *cov);
            if (!cov) goto fail_units;
            double *corr = cov + k * k;
            int ok = 1;
            for (size_t p = 0; p < k; p++)
                for (size_t q = 0; q < k; q++)
                    cov[p * k + q] = (xx[p * k + q] - xs[p] * xs[q] / mm) / (mm - 1);
            rec.alpha = st_alpha_from_cov(cov, k);
            for (size_t p = 0; p < k; p++)
                ok &= cov[p * k + p] > 1e-12;
            if (ok && k >= 3 && mm >= 3 && mm > (double)k) { /* identified only with m > k */
                for (size_t p = 0; p < k; p++)
                    for (size_t q = 0; q < k; q++)
                        corr[p * k + q] =
                            p == q ? 1 : cov[p * k + q] / sqrt(cov[p * k + p] * cov[q * k + q]);
                rec.omega = st_omega_from_corr(corr, k, NULL);
            }
            free(cov);
        }

        if (w.rt) {
            double rsum = 0;
            size_t rn = 0;
            for (size_t r = 1; r < n_reps; r++) {
                const double *t = w.rt + (s * n_reps + r) * 6;
                double n = t[0];
                double vx = n * t[3] - t[1] * t[1], vy = n * t[4] - t[2] * t[2];
                if (n < 3 || !(vx > 1e-12 && vy > 1e-12)) continue;
                rsum += (n * t[5] - t[1] * t[2]) / sqrt(vx * vy);
                rn++;
            }
            if (rn) rec.retest = rsum / (double)rn;
        }

        for (size_t q = 0; q < ins->n_norms; q++) {
            const struct vsc_norm *nm = &ins->norms[q];
            if (!nm->dimension || strcmp(nm->dimension, sc->id)) continue;
            struct vsc_score_norm *o = &w.norms[rec.n_norms++];
            *o = (struct vsc_score_norm){.crowd = nm->crowd,
                                         .crowd_mean = nm->mean,
                                         .crowd_sd = nm->sd,
                                         .crowd_n = nm->n,
                                         .t = NAN,
                                         .df = NAN,
                                         .p = NAN,
                                         .d = NAN};
            if (n_units_s[s] >= 2) {
                double nu = (double)n_units_s[s];
                struct st_ttest tt = st_welch(rec.mean, rec.sd, nu, nm->mean, nm->sd, nm->n);
                o->t = tt.t;
                o->df = tt.df;
                o->p = tt.p;
                o->d = st_cohen_d(rec.mean, rec.sd, nu, nm->mean, nm->sd, nm->n);
            }
        }
        rec.norms = rec.n_norms ? w.norms : NULL;

        int crc = cb(&rec, payload);
        if (crc) {
            rc = crc;
            goto fail_units;
        }
    }
    rc = 0;
fail_units:
    free(n_units_s);
fail:
    work_free(&w);
    return rc;
}
