/* Simulated respondents: known latent value profiles answering rating items with noise.
 *
 * This is the embedded default (a first run needs no model server) and the ground truth for
 * parameter-recovery checks. A respondent's answer to an item keyed k on dimension d is
 *     x = k * theta[d] + acquiescence + item_offset + noise * N(0,1)
 * in standard units, mapped onto the option values (the scale's midpoint plus x quarter-ranges)
 * and rounded to the nearest option. Everything is seeded by (seed, item, condition, sample),
 * so a rerun gives the same answers. Requests that are not rating items go to the text agents
 * of sim_text.c (evolve prompts), and anything they do not recognise gets the fixed `text`. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backends/sim.h"
#include "util/util.h"

static void sim_close(void *state)
{
    struct sim *s = state;
    if (!s) return;
    json_decref(s->profile);
    free(s->text);
    sim_text_free(s->agents);
    free(s);
}

static int sim_open(void **state, const struct vsc_model_cfg *m, const char *base_dir,
                    struct vsc_diag *diag)
{
    *state = NULL;
    json_t *o = json_loads(m->options_json, 0, NULL);
    struct sim *s = calloc(1, sizeof(*s));
    if (!o || !s) {
        json_decref(o);
        free(s);
        return VSC_ERR_NOMEM;
    }
    json_t *p = json_object_get(o, "profile");
    if (p && !json_is_object(p)) {
        json_decref(o);
        free(s);
        return vsc_diag_set(diag, "", m->line, 0,
                            "model '%s': sim 'profile' must map dimensions to numbers", m->name);
    }
    const char *k;
    json_t *v;
    if (p) json_object_foreach(p, k, v)
        {
            if (!json_is_number(v)) {
                json_decref(o);
                free(s);
                return vsc_diag_set(diag, "", m->line, 0,
                                    "model '%s': sim profile value for '%s' must be a number",
                                    m->name, k);
            }
        }
    static const char *const numbers[] = {"noise", "acquiescence", NULL};
    for (const char *const *nk = numbers; *nk; nk++) {
        json_t *nv = json_object_get(o, *nk);
        if (nv &&
            (!json_is_number(nv) || json_number_value(nv) < (strcmp(*nk, "noise") ? -10 : 0) ||
             json_number_value(nv) > 10)) {
            json_decref(o);
            free(s);
            return vsc_diag_set(diag, "", m->line, 0,
                                "model '%s': sim '%s' must be a number (noise: 0 to 10, "
                                "acquiescence: -10 to 10)",
                                m->name, *nk);
        }
    }
    json_t *sv = json_object_get(o, "seed");
    if (sv && !json_is_integer(sv)) {
        json_decref(o);
        free(s);
        return vsc_diag_set(diag, "", m->line, 0, "model '%s': sim 'seed' must be a whole number",
                            m->name);
    }
    s->profile = p ? json_incref(p) : json_object();
    json_t *seed = json_object_get(o, "seed");
    s->seed = seed ? (uint64_t)json_integer_value(seed) : hash64(m->name);
    json_t *noise = json_object_get(o, "noise");
    s->noise = noise ? json_number_value(noise) : 0.5;
    s->acquiescence = json_number_value(json_object_get(o, "acquiescence"));
    const char *text = json_string_value(json_object_get(o, "text"));
    s->text = strdup(text ? text : "This is a simulated answer from valscope's sim backend.");
    int rc = s->text ? sim_text_open(&s->agents, o, s->profile, m, base_dir, diag) : VSC_ERR_NOMEM;
    json_decref(o);
    if (rc) {
        sim_close(s);
        return rc;
    }
    *state = s;
    return 0;
}

double sim_theta(const struct sim *s, const char *dim)
{
    json_t *v = json_object_get(s->profile, dim);
    if (v) return json_number_value(v);
    struct rng r;
    rng_seed(&r, s->seed ^ hash64(dim));
    return rng_normal(&r);
}

/* Answers a rating item; returns the shown position chosen (and a distribution for logprobs). */
static int answer_item(const struct sim *s, json_t *meta, const struct backend_request *req,
                       struct backend_reply *reply)
{
    json_t *values = json_object_get(meta, "values"), *labels = json_object_get(meta, "labels"),
           *order = json_object_get(meta, "order"), *tokens = json_object_get(meta, "tokens");
    size_t n = json_array_size(order);
    if (n == 0 || json_array_size(values) < n || json_array_size(labels) < n) {
        reply->error = VSC_E_BACKEND;
        reply->detail = strdup("sim: cell has no response options");
        return 0;
    }
    const char *dim = json_string_value(json_object_get(meta, "dim"));
    double key = dim ? (double)json_integer_value(json_object_get(meta, "key")) : 0;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double v = json_number_value(json_array_get(values, i));
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    struct rng r;
    rng_seed(&r, s->seed ^ hash64(req->item) ^ (hash64(req->condition) * 31) ^
                     ((uint64_t)req->sample * 0x9e3779b97f4a7c15ULL));
    struct rng ri;
    rng_seed(&ri, hash64(req->item) ^ 0xabcdefULL);
    double offset = 0.25 * rng_normal(&ri); /* item difficulty, shared by all respondents */
    double mu = (dim ? key * sim_theta(s, dim) : 0) + s->acquiescence + offset;
    double x = mu + s->noise * rng_normal(&r);
    double mid = (lo + hi) / 2, quarter = (hi - lo) / 4;
    double target = mid + x * quarter, target_mu = mid + mu * quarter;
    size_t best = 0;
    double best_d = INFINITY, sum = 0, probs[64];
    double sd = (s->noise > 0.05 ? s->noise : 0.05) * quarter;
    for (size_t pos = 0; pos < n && pos < 64; pos++) {
        size_t idx = (size_t)json_integer_value(json_array_get(order, pos));
        double v = json_number_value(json_array_get(values, idx));
        double d = fabs(v - target);
        if (d < best_d) best_d = d, best = pos;
        probs[pos] = exp(-(v - target_mu) * (v - target_mu) / (2 * sd * sd));
        sum += probs[pos];
    }
    size_t idx = (size_t)json_integer_value(json_array_get(order, best));
    if (json_is_true(json_object_get(meta, "logprobs")) && json_array_size(tokens) >= n) {
        json_t *top = json_array();
        size_t argmax = 0;
        for (size_t pos = 0; pos < n && pos < 64; pos++) {
            double p = probs[pos] / sum;
            if (probs[pos] > probs[argmax]) argmax = pos;
            json_t *t = json_object();
            json_object_set(t, "token", json_array_get(tokens, pos));
            json_object_set_new(t, "logprob", json_real(p > 1e-300 ? log(p) : -690.0));
            json_array_append_new(top, t);
        }
        json_t *first = json_object();
        json_object_set(first, "token", json_array_get(tokens, argmax));
        json_object_set_new(first, "logprob", json_real(log(probs[argmax] / sum)));
        json_object_set_new(first, "top_logprobs", top);
        json_t *arr = json_array();
        json_array_append_new(arr, first);
        reply->logprobs_json = json_dumps(arr, JSON_COMPACT);
        json_decref(arr);
        reply->text = strdup(json_string_value(json_array_get(tokens, argmax)));
    } else {
        reply->text = strdup(json_string_value(json_array_get(labels, idx)));
    }
    reply->finish_reason = strdup("stop");
    reply->completion_tokens = 1;
    return 0;
}

static int sim_answer(void *state, const struct backend_request *req, struct backend_reply *reply)
{
    const struct sim *s = state;
    json_t *meta = req->meta_json ? json_loads(req->meta_json, 0, NULL) : NULL;
    int rc = 0;
    if (meta && json_array_size(json_object_get(meta, "order")) > 0) {
        rc = answer_item(s, meta, req, reply);
    } else if ((rc = sim_text_answer(s, req, reply)) != 0) {
        rc = rc < 0 ? rc : 0;
    } else {
        reply->text = strdup(s->text);
        reply->finish_reason = strdup("stop");
        reply->completion_tokens = 10;
    }
    if (!reply->text && !reply->error) rc = VSC_ERR_NOMEM;
    json_decref(meta);
    return rc;
}

/* The questionnaire respondent's keys, then the text agents' (sim_text.c, docs/evolve.md). */
static const char *const SIM_KEYS[] = {
    "profile",     "seed",           "noise",           "acquiescence",     "text",
    "role",        "values",         "value_system",    "extractor_noise",  "judge_noise",
    "temptations", "violation_base", "violation_slope", "violation_marker", NULL};

const struct backend_ops backend_sim = {
    .name = "sim", .keys = SIM_KEYS, .open = sim_open, .close = sim_close, .answer = sim_answer};
