/* The AdAEM planner: which topic to pull next (UCB1), when a topic has plateaued and should
 * split into sub-topics. Deterministic: no clock, no randomness, only the calls made on it. */
#include "evolve/adaem.h"
#include "evolve/evolve.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"
#include "valscope/common.h"

void adaem_plan_defaults(struct adaem_plan_params *p, size_t steps)
{
    p->steps = steps;
    p->plateau_pulls = 3;
    p->plateau_delta = 0.01;
    p->max_depth = 2;
    p->max_topics = 0; /* 0: 4 * steps + the seed topics */
}

void adaem_planner_init(struct adaem_planner *pl, const struct adaem_plan_params *params)
{
    memset(pl, 0, sizeof *pl);
    pl->params = *params;
}

void adaem_planner_clear(struct adaem_planner *pl)
{
    for (size_t i = 0; i < pl->n_topics; i++)
        free(pl->topics[i].text);
    free(pl->topics);
    memset(pl, 0, sizeof *pl);
}

int adaem_planner_add(struct adaem_planner *pl, const char *text, long parent)
{
    size_t len = strlen(text);
    ev_trim(&text, &len);
    size_t seeds = 0;
    for (size_t i = 0; i < pl->n_topics; i++)
        seeds += pl->topics[i].parent < 0;
    size_t max = pl->params.max_topics ? pl->params.max_topics : 4 * pl->params.steps + seeds;
    if (!len || (parent >= 0 && pl->n_topics >= max)) return 1;
    if (parent >= (long)pl->n_topics) return 1;
    for (size_t i = 0; i < pl->n_topics; i++)
        if (strlen(pl->topics[i].text) == len && strncasecmp(pl->topics[i].text, text, len) == 0)
            return 1;
    if (pl->n_topics == pl->alloc) {
        size_t na = pl->alloc ? 2 * pl->alloc : 16;
        struct adaem_topic *nt = realloc(pl->topics, na * sizeof *nt);
        if (!nt) return VSC_ERR_NOMEM;
        pl->topics = nt;
        pl->alloc = na;
    }
    struct adaem_topic *t = &pl->topics[pl->n_topics];
    memset(t, 0, sizeof *t);
    if (!(t->text = xstrndup(text, len))) return VSC_ERR_NOMEM;
    t->parent = parent;
    t->depth = parent >= 0 ? pl->topics[parent].depth + 1 : 0;
    t->best = t->earlier_best = -INFINITY;
    pl->n_topics++;
    return 0;
}

double adaem_ucb1(const struct adaem_topic *t, size_t total_pulls)
{
    if (!t->pulls) return INFINITY;
    return t->sum / (double)t->pulls + sqrt(2 * log((double)total_pulls) / (double)t->pulls);
}

void adaem_planner_next(const struct adaem_planner *pl, struct adaem_action *out)
{
    memset(out, 0, sizeof *out);
    out->step = pl->steps_done;
    if (pl->steps_done >= pl->params.steps || !pl->n_topics) return;
    for (size_t i = 0; i < pl->n_topics; i++)
        if (pl->topics[i].split == 1) {
            out->kind = ADAEM_SPLIT;
            out->topic = i;
            return;
        }
    size_t best = 0;
    double best_s = -INFINITY;
    for (size_t i = 0; i < pl->n_topics; i++) {
        double s = adaem_ucb1(&pl->topics[i], pl->total_pulls);
        /* a relative margin keeps the tie-break to the lower index stable against the last
         * bits of log() and sqrt() */
        if (i == 0 || s > best_s + 1e-12 * fmax(1, fabs(best_s))) {
            best = i;
            best_s = s;
        }
    }
    out->kind = ADAEM_PULL;
    out->topic = best;
}

void adaem_planner_pulled(struct adaem_planner *pl, size_t topic, double reward)
{
    if (topic >= pl->n_topics) return;
    struct adaem_topic *t = &pl->topics[topic];
    if (isnan(reward)) reward = 0;
    if (t->pulls >= 2 && t->last[1] > t->earlier_best) t->earlier_best = t->last[1];
    t->last[1] = t->last[0];
    t->last[0] = reward;
    t->pulls++;
    t->sum += reward;
    if (reward > t->best) t->best = reward;
    pl->total_pulls++;
    pl->steps_done++;
    /* plateau: enough pulls, and neither of the last two beat the earlier best by > delta */
    if (!t->split && t->pulls >= pl->params.plateau_pulls && t->pulls >= 3 &&
        t->depth < pl->params.max_depth &&
        fmax(t->last[0], t->last[1]) <= t->earlier_best + pl->params.plateau_delta)
        t->split = 1;
}

void adaem_planner_split_done(struct adaem_planner *pl, size_t topic)
{
    if (topic < pl->n_topics) pl->topics[topic].split = 2;
}
