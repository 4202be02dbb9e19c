/* libFuzzer target: arbitrary bytes as a generator, tested-model, extractor or violation-judge
 * reply, through every evolve reader. A reader returns a value or EV_UNPARSEABLE: never a
 * crash, a leak, a tag reading that holds a line break, or an opinion that does not render. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "evolve/evolve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;

    char *one = NULL;
    int rc = ev_read_tag(&one, text, EV_TAG_QUESTION);
    if (rc == 0 && (!one || !*one || strchr(one, '\n'))) abort();
    if (rc != 0 && one) abort();
    free(one);

    char **v = NULL;
    size_t n = 0;
    rc = ev_read_tags(&v, &n, text, EV_TAG_TOPIC, 5);
    if (rc == 0 && (n == 0 || n > 5)) abort();
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (!*v[i] || strchr(v[i], '\n')) abort();
    ev_strv_free(v, n);

    struct ev_opinion op;
    rc = ev_read_opinion(&op, text);
    if (rc == 0) {
        if (op.stance > EV_STANCE_NEUTRAL) abort();
        char *canon = ev_opinion_text(&op);
        if (!canon) abort();
        /* the canonical form reads back as the same opinion */
        struct ev_opinion again;
        if (ev_read_opinion(&again, canon) != 0 || again.stance != op.stance) abort();
        ev_opinion_clear(&again);
        free(canon);
    }
    ev_opinion_clear(&op);

    enum ev_label l = ev_read_label(text);
    if (l != EV_LABEL_YES && l != EV_LABEL_NO && l != EV_LABEL_UNPARSEABLE) abort();
    free(text);
    return 0;
}
