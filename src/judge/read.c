/* Reading a judge cell: its own reply first, the repair reply where that one was unreadable. */
#include <stdlib.h>
#include <string.h>

#include "judge/judge_int.h"
#include "util/util.h"

/* Parses one reply into `out`; returns 1 when everything asked for was read. */
static int parse_reply(struct judge_reading *out, const struct judge_row *row, enum judge_stage st,
                       const struct vsc_value_system *vs)
{
    const char *text = row->text ? row->text : "";
    switch (st) {
    case JS_LEAN:
        return judge_parse_lean(&out->rating, text) == 0;
    case JS_STANCE:
        if (out->stances) {
            int *tmp = malloc((vs->n_dims ? vs->n_dims : 1) * sizeof *tmp);
            if (!tmp) return 0;
            judge_parse_stance_all(tmp, vs, text);
            int full = 1;
            /* fill only what is still missing: a repair completes, never overrides */
            for (size_t d = 0; d < vs->n_dims; d++) {
                if (out->stances[d] == JUDGE_UNREAD) out->stances[d] = tmp[d];
                full &= out->stances[d] != JUDGE_UNREAD;
            }
            free(tmp);
            return full;
        }
        out->stance = judge_parse_stance_one(text);
        return out->stance != JUDGE_UNREAD;
    case JS_EXTRACT:
        json_decref(out->perceptions);
        out->perceptions = NULL;
        return judge_parse_perceptions(&out->perceptions, text) == 0;
    case JS_RELEVANCE:
    case JS_VALENCE: {
        const char *const *labels = st == JS_RELEVANCE ? JUDGE_YESNO : JUDGE_VALENCE;
        size_t n = st == JS_RELEVANCE ? 2 : 3;
        /* token probabilities when the backend gave them, the sampled label otherwise */
        if (row->logprobs && judge_label_probs(out->p, row->logprobs, labels, n) == 0) return 1;
        int l = judge_parse_label(text, labels, n);
        if (l < 0) return 0;
        for (size_t i = 0; i < n; i++)
            out->p[i] = (int)i == l;
        return 1;
    }
    default:
        return 0;
    }
}

int judge_read(struct judge_reading *out, const struct judge_rows *rows, const char *instrument,
               const char *item, enum judge_stage st, const struct vsc_value_system *vs)
{
    out->needs_repair = 0;
    out->stance = JUDGE_UNREAD;
    if (out->stances)
        for (size_t d = 0; d < vs->n_dims; d++)
            out->stances[d] = JUDGE_UNREAD;
    const struct judge_row *row = judge_rows_find(rows, instrument, item);
    out->outcome = judge_cell_state(row);
    if (out->outcome != JO_OK) return 0;
    if (parse_reply(out, row, st, vs)) return 0;
    out->needs_repair = 1;
    char *rid = xasprintf("%s|repair", item);
    if (!rid) return VSC_ERR_NOMEM;
    const struct judge_row *rep = judge_rows_find(rows, instrument, rid);
    free(rid);
    enum judge_outcome ro = judge_cell_state(rep);
    int full = 0;
    if (rep && ro == JO_PENDING) {
        out->outcome = JO_PENDING; /* the repair is on its way: nothing to count yet */
        return 0;
    }
    if (ro == JO_OK) full = parse_reply(out, rep, st, vs);
    if (!full) {
        /* stance over all dimensions keeps what was read; the rest is unparseable per dim */
        int partial = 0;
        if (st == JS_STANCE && out->stances)
            for (size_t d = 0; d < vs->n_dims; d++)
                partial |= out->stances[d] != JUDGE_UNREAD;
        out->outcome = partial ? JO_OK : JO_UNPARSEABLE;
    }
    return 0;
}

void judge_reading_clear(struct judge_reading *r)
{
    json_decref(r->perceptions);
    r->perceptions = NULL;
}
