/* libFuzzer target: arbitrary bytes as a judge reply (and as logprobs JSON), through every
 * judge-output parser. Whatever the judge says, a parser returns a value in range or
 * "unreadable": never a crash, never a rating outside 0..10, a stance outside -1..1, or label
 * probabilities that do not sum to 1. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "judge/judge_int.h"

static struct vsc_value_system *vs;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!vs) {
        struct vsc_diag diag;
        if (vsc_value_system_builtin(&vs, "schwartz", &diag)) abort();
    }
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;

    double r;
    if (judge_parse_lean(&r, text) == 0 && !(r >= 0 && r <= 10)) abort();
    int s = judge_parse_stance_one(text);
    if (s != JUDGE_UNREAD && (s < -1 || s > 1)) abort();
    int st[64];
    size_t n = judge_parse_stance_all(st, vs, text);
    size_t m = 0;
    for (size_t d = 0; d < vs->n_dims; d++) {
        if (st[d] == JUDGE_UNREAD) continue;
        if (st[d] < -1 || st[d] > 1) abort();
        m++;
    }
    if (m != n) abort();
    int l = judge_parse_label(text, JUDGE_VALENCE, 3);
    if (l < -1 || l > 2) abort();
    json_t *p = NULL;
    if (judge_parse_perceptions(&p, text) == 0) {
        if (!json_is_array(p)) abort();
        for (size_t i = 0; i < json_array_size(p); i++)
            if (!json_is_string(json_array_get(p, i))) abort();
    }
    json_decref(p);
    double probs[3];
    if (judge_label_probs(probs, text, JUDGE_VALENCE, 3) == 0) {
        double sum = probs[0] + probs[1] + probs[2];
        if (!(fabs(sum - 1) < 1e-9)) abort();
    }
    int dim, val;
    if (judge_fulcra_label(&dim, &val, text, vs) == 0 &&
        (dim < 0 || (size_t)dim >= vs->n_dims || val < -1 || val > 1))
        abort();
    free(text);
    return 0;
}
