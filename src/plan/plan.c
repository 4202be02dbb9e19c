/* The planner. Cells are generated model by model, condition by condition, item by item and
 * sample by sample, and inserted in batches, so a plan of millions of cells never sits in
 * memory. Request bodies are JSON with sorted keys, so equal requests hash equally. */
#include "plan/plan.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "plan/cell.h"
#include "plan/personas.h"
#include "util/util.h"
#include "valscope/instrument.h"

#define BATCH 20000

/* A condition: an id, the persona/system text it adds (NULL for the baseline) and, for
 * role-play personas, their attributes (kept in each cell's meta for effect sizes). */
struct condition {
    char *id;
    char *persona;
    json_t *attrs;
};

static void conditions_free(struct condition *conds, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(conds[i].id);
        free(conds[i].persona);
        json_decref(conds[i].attrs);
    }
    free(conds);
}

static int add_condition(struct condition **conds, size_t *n, size_t *cap, const char *id,
                         const char *persona, const char *attrs_json)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        struct condition *g = realloc(*conds, ncap * sizeof(*g));
        if (!g) return VSC_ERR_NOMEM;
        *conds = g;
        *cap = ncap;
    }
    struct condition *c = &(*conds)[(*n)++];
    c->id = strdup(id);
    c->persona = persona ? strdup(persona) : NULL;
    c->attrs = attrs_json ? json_loads(attrs_json, 0, NULL) : NULL;
    return c->id ? 0 : VSC_ERR_NOMEM;
}

static const char *const CONDITION_KEYS[] = {
    "baseline",     "system_prompts",   "personas", "persona_seeds",
    "persona_file", "persona_template", NULL};

/* conditions: {baseline: true, system_prompts: {name: text}, personas: N,
 *              persona_seeds: [1, 11, 21], persona_file: F, persona_template: T} */
static int parse_conditions(struct condition **out, size_t *out_n, const struct vsc_config *cfg,
                            const char *base_dir, struct vsc_diag *diag)
{
    json_t *c = json_loads(cfg->conditions_json, 0, NULL);
    struct condition *conds = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    const char *k;
    json_t *v;
    json_object_foreach(c, k, v)
    {
        int known = 0;
        for (const char *const *p = CONDITION_KEYS; *p; p++)
            known |= !strcmp(*p, k);
        if (!known) {
            rc = vsc_diag_set(diag, cfg->path, 0, 0,
                              "conditions: unknown key '%s' (allowed: baseline, system_prompts, "
                              "personas, persona_seeds, persona_file, persona_template)",
                              k);
            goto done;
        }
    }
    json_t *baseline = json_object_get(c, "baseline");
    if (baseline && !json_is_boolean(baseline)) {
        rc = vsc_diag_set(diag, cfg->path, 0, 0, "conditions.baseline must be true or false");
        goto done;
    }
    if (!baseline || json_is_true(baseline))
        if ((rc = add_condition(&conds, &n, &cap, CELL_BASELINE, NULL, NULL))) goto done;
    json_t *prompts = json_object_get(c, "system_prompts");
    if (prompts && !json_is_object(prompts)) {
        rc =
            vsc_diag_set(diag, cfg->path, 0, 0, "conditions.system_prompts must map names to text");
        goto done;
    }
    json_object_foreach(prompts, k, v)
    {
        if (!json_is_string(v)) {
            rc =
                vsc_diag_set(diag, cfg->path, 0, 0, "conditions.system_prompts.%s must be text", k);
            goto done;
        }
        if ((rc = add_condition(&conds, &n, &cap, k, json_string_value(v), NULL))) goto done;
    }
    const char *tmpl = json_string_value(json_object_get(c, "persona_template"));
    json_t *np = json_object_get(c, "personas");
    if (np &&
        (!json_is_integer(np) || json_integer_value(np) < 0 || json_integer_value(np) > 10000000)) {
        rc = vsc_diag_set(diag, cfg->path, 0, 0, "conditions.personas must be a count (0 or more)");
        goto done;
    }
    json_t *seeds = json_object_get(c, "persona_seeds");
    if (seeds && !json_is_array(seeds)) {
        rc = vsc_diag_set(diag, cfg->path, 0, 0,
                          "conditions.persona_seeds must be a list of numbers");
        goto done;
    }
    size_t n_seeds = seeds ? json_array_size(seeds) : 1;
    for (size_t si = 0; np && si < n_seeds; si++) {
        json_t *sv = seeds ? json_array_get(seeds, si) : NULL;
        if (seeds && !json_is_integer(sv)) {
            rc = vsc_diag_set(diag, cfg->path, 0, 0,
                              "conditions.persona_seeds must be whole numbers");
            goto done;
        }
        long long seed = sv ? json_integer_value(sv) : 1;
        for (json_int_t pi = 0; pi < json_integer_value(np); pi++) {
            struct persona p = {0};
            if ((rc = persona_sample(&p, (uint64_t)seed, (int)pi, tmpl))) goto done;
            char *id = cell_condition_persona(seed, (long)pi);
            rc = id ? add_condition(&conds, &n, &cap, id, p.text, p.attrs_json) : VSC_ERR_NOMEM;
            free(id);
            persona_clear(&p);
            if (rc) goto done;
        }
    }
    const char *pfile = json_string_value(json_object_get(c, "persona_file"));
    if (pfile) {
        struct persona *ps = NULL;
        size_t nps = 0;
        char *path = path_join(base_dir, pfile);
        rc = persona_load_file(&ps, &nps, path, tmpl, diag);
        free(path);
        for (size_t i = 0; !rc && i < nps; i++) {
            char *id = cell_condition_persona_file(ps[i].id);
            rc = id ? add_condition(&conds, &n, &cap, id, ps[i].text, ps[i].attrs_json)
                    : VSC_ERR_NOMEM;
            free(id);
        }
        for (size_t i = 0; i < nps; i++)
            persona_clear(&ps[i]);
        free(ps);
        if (rc) goto done;
    }
    if (n == 0)
        rc = vsc_diag_set(diag, cfg->path, 0, 0,
                          "conditions: no condition left (baseline: false and no system_prompts "
                          "or personas)");
done:
    json_decref(c);
    if (rc) {
        conditions_free(conds, n);
        return rc;
    }
    *out = conds;
    *out_n = n;
    return 0;
}

/* What the planner needs of one instrument entry. */
struct plan_ins {
    struct vsc_instrument *ins;
    const char *label;
    enum vsc_answer_mode mode;
    enum vsc_option_order order;
    int repeats;
    int shuffle; /* ask items in a shuffled order per respondent */
    json_int_t shuffle_seed;
    const char *system_prompt;
    json_t *opts;
};

static void shown_order(size_t *order, size_t n, enum vsc_option_order how, int sample)
{
    for (size_t i = 0; i < n; i++) {
        switch (how) {
        case VSC_ORDER_REVERSED:
            order[i] = n - 1 - i;
            break;
        case VSC_ORDER_ROTATED:
            order[i] = (i + (size_t)sample) % n;
            break;
        default:
            order[i] = i;
        }
    }
}

static int load_entry(struct plan_ins *pi, const struct vsc_instrument_cfg *ic,
                      const char *base_dir, const char *cfg_path, struct vsc_diag *diag)
{
    memset(pi, 0, sizeof(*pi));
    int rc = vsc_instrument_load(&pi->ins, ic->kind, ic->arg, base_dir, diag);
    if (rc) {
        if (diag && !diag->file[0]) { /* say which config entry it was */
            snprintf(diag->file, sizeof(diag->file), "%s", cfg_path);
            diag->line = ic->line;
        }
        return rc;
    }
    pi->opts = json_loads(ic->options_json, 0, NULL);
    pi->label = json_string_value(json_object_get(pi->opts, "name"));
    pi->mode = pi->ins->answer_mode;
    const char *mode = json_string_value(json_object_get(pi->opts, "answer_mode"));
    if (mode && !strcmp(mode, "logprobs"))
        pi->mode = VSC_ANSWER_LOGPROBS;
    else if (mode && !strcmp(mode, "text"))
        pi->mode = VSC_ANSWER_TEXT;
    else if (mode)
        return vsc_diag_set(diag, cfg_path, ic->line, 0,
                            "instrument %s: answer_mode '%s' (allowed: text, logprobs)", ic->kind,
                            mode);
    const char *order = json_string_value(json_object_get(pi->opts, "option_order"));
    if (!order || !strcmp(order, "asis"))
        pi->order = VSC_ORDER_ASIS;
    else if (!strcmp(order, "reversed"))
        pi->order = VSC_ORDER_REVERSED;
    else if (!strcmp(order, "rotated"))
        pi->order = VSC_ORDER_ROTATED;
    else
        return vsc_diag_set(diag, cfg_path, ic->line, 0,
                            "instrument %s: option_order '%s' (allowed: asis, reversed, rotated)",
                            ic->kind, order);
    json_t *rep = json_object_get(pi->opts, "repeats");
    pi->repeats = rep ? (int)json_integer_value(rep) : 1;
    if (pi->repeats < 1 || pi->repeats > 100000)
        return vsc_diag_set(diag, cfg_path, ic->line, 0,
                            "instrument %s: repeats must be a whole number from 1 to 100000",
                            ic->kind);
    json_t *sh = json_object_get(pi->opts, "shuffle");
    if (sh && !json_is_integer(sh) && !json_is_boolean(sh))
        return vsc_diag_set(diag, cfg_path, ic->line, 0,
                            "instrument %s: shuffle must be true, false or a seed number",
                            ic->kind);
    pi->shuffle = json_is_true(sh) || json_is_integer(sh);
    pi->shuffle_seed = json_is_integer(sh) ? json_integer_value(sh) : 1;
    pi->system_prompt = json_string_value(json_object_get(pi->opts, "system_prompt"));
    if (!pi->system_prompt)
        pi->system_prompt = json_string_value(json_object_get(pi->opts, "persona"));
    return 0;
}

static void free_entry(struct plan_ins *pi)
{
    vsc_instrument_free(pi->ins);
    json_decref(pi->opts);
}

/* The label cells carry for an instrument: its `name`, else "kind:arg" as configured. */
static char *entry_label(const struct plan_ins *pi, const struct vsc_instrument_cfg *ic)
{
    return pi->label ? strdup(pi->label) : xasprintf("%s:%s", ic->kind, ic->arg);
}

/* What emit_cell needs besides the cell itself. */
struct emit_ctx {
    struct vsc_store *s;
    int64_t run_id;
    const struct vsc_config *cfg;
    const struct vsc_model_cfg *m;
    char *identity;
    const json_t *params;
    const char *label;
    int line;
    struct vsc_diag *diag;
    size_t *order;
    int64_t n_cells, in_batch;
};

/* The order items are asked in for one respondent: as listed, or shuffled with the
 * instrument's `shuffle` seed mixed with the respondent, so each respondent has its own. */
static void item_order(size_t *perm, const struct plan_ins *pi, const char *model,
                       const char *condition, int sample)
{
    size_t n = pi->ins->n_items;
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    if (!pi->shuffle) return;
    struct rng r;
    rng_seed(&r, (uint64_t)pi->shuffle_seed ^ hash64(model) ^ (hash64(condition) * 31) ^
                     ((uint64_t)sample * 0x9e3779b97f4a7c15ULL));
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rng_below(&r, i), t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
}

static int emit_cell(struct emit_ctx *x, const struct plan_ins *pi, size_t it,
                     const struct condition *cond, int sample, size_t position)
{
    const struct vsc_instrument *ins = pi->ins;
    const struct vsc_item *item = &ins->items[it];
    const char *persona = cond->persona ? cond->persona : pi->system_prompt;
    char *msgs = NULL, *meta = NULL;
    json_t *messages = NULL;
    char *resp = cell_respondent(x->m->name, cond->id, sample);
    shown_order(x->order, ins->n_options, pi->order, sample);
    int rc = resp ? vsc_instrument_render(&msgs, ins, it, x->order, persona) : VSC_ERR_NOMEM;
    if (rc == VSC_ERR_INPUT)
        vsc_diag_set(x->diag, x->cfg->path, x->line, 0, "instrument %s: item %s cannot be rendered",
                     x->label, item->id);
    int logprobs = pi->mode == VSC_ANSWER_LOGPROBS;
    if (!rc) {
        struct cell_meta m = {.persona = cond->attrs,
                              .respondent = resp,
                              .repeat = sample,
                              .position = pi->shuffle ? (long)position : -1,
                              .dim = item->dimension,
                              .key = item->key,
                              .n_options = ins->n_options,
                              .order = ins->n_options ? x->order : NULL,
                              .options = ins->n_options ? ins->options : NULL,
                              .mode = !ins->n_options ? CELL_MODE_NONE
                                      : logprobs      ? CELL_MODE_LOGPROBS
                                                      : CELL_MODE_TEXT};
        meta = cell_meta_write(&m);
        messages = json_loads(msgs, 0, NULL);
        if (!meta || !messages) rc = VSC_ERR_NOMEM;
    }
    if (!rc) {
        struct plan_cell c = {.model = x->m,
                              .identity = x->identity,
                              .params = x->params,
                              .messages = messages,
                              .n_logprob_options = logprobs ? ins->n_options : 0,
                              .instrument = x->label,
                              .item = item->id,
                              .condition = cond->id,
                              .sample = sample,
                              .meta_json = meta,
                              .cfg = x->cfg,
                              .line = x->line,
                              .diag = x->diag};
        rc = plan_add_cell(x->s, x->run_id, &c, NULL);
    }
    json_decref(messages);
    free(msgs);
    free(meta);
    free(resp);
    x->n_cells++;
    if (!rc && ++x->in_batch >= BATCH) { /* bounded transactions: the plan is streamed */
        x->in_batch = 0;
        rc = vsc_store_commit(x->s);
        if (!rc) rc = vsc_store_begin(x->s);
    }
    return rc;
}

/* A prepared plan: everything loaded and validated, nothing written yet. */
struct plan {
    const struct vsc_config *cfg;
    char *base_dir;
    struct condition *conds;
    size_t n_conds;
    struct plan_ins *entries;
    char **labels;
    json_t *params;
    char hash[65];
};

void plan_free(struct plan *p)
{
    if (!p) return;
    for (size_t i = 0; p->entries && i < p->cfg->n_instruments; i++)
        free_entry(&p->entries[i]);
    for (size_t i = 0; p->labels && i < p->cfg->n_instruments; i++)
        free(p->labels[i]);
    free(p->entries);
    free(p->labels);
    conditions_free(p->conds, p->n_conds);
    json_decref(p->params);
    free(p->base_dir);
    free(p);
}

static void hash_str(struct sha256_ctx *c, const char *s)
{
    sha256_update(c, s ? s : "\x01", s ? strlen(s) + 1 : 1);
}

/* What decides the cells: model identities, samples, params, conditions (persona texts
 * included) and every instrument's content as loaded, so an edited item file is a new plan
 * while a changed concurrency is not. */
static void hash_plan(struct plan *p)
{
    const struct vsc_config *cfg = p->cfg;
    struct sha256_ctx c;
    char num[64];
    sha256_init(&c);
    const struct vsc_model_cfg *lists[3] = {cfg->models, cfg->judges, cfg->generators};
    size_t ns[3] = {cfg->n_models, cfg->n_judges, cfg->n_generators};
    for (int l = 0; l < 3; l++)
        for (size_t i = 0; i < ns[l]; i++) {
            char *id = plan_model_identity(&lists[l][i]);
            hash_str(&c, id);
            free(id);
        }
    snprintf(num, sizeof(num), "samples=%d", cfg->samples);
    hash_str(&c, num);
    hash_str(&c, cfg->params_json);
    hash_str(&c, cfg->conditions_json);
    for (size_t i = 0; i < p->n_conds; i++) {
        hash_str(&c, p->conds[i].id);
        hash_str(&c, p->conds[i].persona);
    }
    for (size_t i = 0; i < cfg->n_instruments; i++) {
        const struct vsc_instrument *ins = p->entries[i].ins;
        hash_str(&c, p->labels[i]);
        hash_str(&c, cfg->instruments[i].options_json);
        hash_str(&c, ins->system_template);
        hash_str(&c, ins->user_template);
        for (size_t o = 0; o < ins->n_options; o++) {
            snprintf(num, sizeof(num), "%.17g", ins->options[o].value);
            hash_str(&c, ins->options[o].label);
            hash_str(&c, num);
        }
        for (size_t it = 0; it < ins->n_items; it++) {
            const struct vsc_item *item = &ins->items[it];
            snprintf(num, sizeof(num), "%d", item->key);
            hash_str(&c, item->id);
            hash_str(&c, item->text);
            hash_str(&c, item->dimension);
            hash_str(&c, num);
            hash_str(&c, item->messages_json);
        }
    }
    sha256_final_hex(&c, p->hash);
}

int plan_prepare(struct plan **out, const struct vsc_config *cfg, const char *base_dir,
                 struct vsc_diag *diag)
{
    *out = NULL;
    struct plan *p = calloc(1, sizeof(*p));
    if (!p) return VSC_ERR_NOMEM;
    p->cfg = cfg;
    p->base_dir = xstrdup(base_dir);
    int rc = parse_conditions(&p->conds, &p->n_conds, cfg, base_dir, diag);
    json_t *cj = json_loads(cfg->conditions_json, 0, NULL);
    const char *tmpl = json_string_value(json_object_get(cj, "persona_template"));
    if (!rc && tmpl) rc = persona_template_check(tmpl, diag);
    json_decref(cj);
    p->params = json_loads(cfg->params_json, 0, NULL);
    p->entries = calloc(cfg->n_instruments + 1, sizeof(*p->entries));
    p->labels = calloc(cfg->n_instruments + 1, sizeof(*p->labels));
    if (!rc && (!p->params || !p->entries || !p->labels)) rc = VSC_ERR_NOMEM;
    for (size_t i = 0; !rc && i < cfg->n_instruments; i++) {
        if ((rc = load_entry(&p->entries[i], &cfg->instruments[i], base_dir, cfg->path, diag)))
            break;
        p->labels[i] = entry_label(&p->entries[i], &cfg->instruments[i]);
        for (size_t j = 0; !rc && j < i; j++)
            if (!strcmp(p->labels[i], p->labels[j]))
                rc = vsc_diag_set(diag, cfg->path, cfg->instruments[i].line, 0,
                                  "instrument '%s' is listed twice (give one a 'name')",
                                  p->labels[i]);
    }
    if (rc) {
        plan_free(p);
        return rc;
    }
    hash_plan(p);
    *out = p;
    return 0;
}

const char *plan_hash_of(const struct plan *p)
{
    return p->hash;
}

int plan_build(struct vsc_store *s, int64_t run_id, const struct plan *p, int64_t *out_cells,
               struct vsc_diag *diag)
{
    const struct vsc_config *cfg = p->cfg;
    int rc = vsc_store_begin(s);
    if (rc) return rc;
    for (size_t i = 0; !rc && i < cfg->n_instruments; i++) {
        const struct vsc_instrument_cfg *ic = &cfg->instruments[i];
        rc = vsc_store_run_add_instrument(s, run_id, p->labels[i], ic->kind, ic->arg, p->base_dir,
                                          ic->options_json);
    }
    struct emit_ctx x = {.s = s, .run_id = run_id, .cfg = cfg, .params = p->params, .diag = diag};
    for (size_t mi = 0; mi < cfg->n_models && !rc; mi++) {
        x.m = &cfg->models[mi];
        x.identity = plan_model_identity(x.m);
        for (size_t ii = 0; ii < cfg->n_instruments && !rc; ii++) {
            const struct plan_ins *pi = &p->entries[ii];
            x.label = p->labels[ii];
            x.line = cfg->instruments[ii].line;
            size_t *grown = realloc(x.order, (pi->ins->n_options + 1) * sizeof(size_t));
            size_t *perm = calloc(pi->ins->n_items + 1, sizeof(size_t));
            if (grown) x.order = grown;
            if (!grown || !perm) {
                free(perm);
                rc = VSC_ERR_NOMEM;
                break;
            }
            int n_samples = cfg->samples * pi->repeats;
            for (size_t ci = 0; ci < p->n_conds && !rc; ci++)
                for (int sample = 0; sample < n_samples && !rc; sample++) {
                    item_order(perm, pi, x.m->name, p->conds[ci].id, sample);
                    for (size_t pos = 0; pos < pi->ins->n_items && !rc; pos++)
                        rc = emit_cell(&x, pi, perm[pos], &p->conds[ci], sample, pos);
                }
            free(perm);
        }
        free(x.identity);
        x.identity = NULL;
    }
    if (!rc)
        rc = vsc_store_commit(s);
    else
        vsc_store_rollback(s);
    free(x.order);
    *out_cells = x.n_cells;
    return rc;
}
