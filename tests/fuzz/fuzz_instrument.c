/* libFuzzer target: the declarative instrument parser, the value-system parser and
 * vsc_parse_answer, all fed the same bytes. Bad input must give an error or a status, never
 * a crash, a leak or a hang. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "instruments/ins_internal.h"
#include "valscope/instrument.h"

static struct vsc_instrument *schwartz, *rating;

static void setup(void)
{
    struct vsc_diag d;
    if (vsc_instrument_load(&schwartz, "builtin", "schwartz", NULL, &d)) abort();
    rating = ins_new();
    if (!rating) abort();
    for (int v = 0; v <= 10; v++) {
        char label[4];
        snprintf(label, sizeof(label), "%d", v);
        if (ins_add_option(rating, label, v)) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!schwartz) setup();
    struct vsc_diag d;
    struct vsc_instrument *ins = NULL;
    /* Inputs naming a system_file are not parsed as instruments: an absolute path such as
     * /dev/zero would make the fuzzer read the machine's files, not test the parser. */
    int names_file = memmem(data, size, "system_file", 11) != NULL;
    if (!names_file && ins_parse_decl_in(&ins, (const char *)data, size, "fuzz",
                                         "/nonexistent-fuzz-dir", &d) == 0) {
        char *m = NULL;
        for (size_t i = 0; i < ins->n_items && i < 4; i++) {
            if (vsc_instrument_render(&m, ins, i, NULL, "p") == 0) free(m);
            m = NULL;
        }
        vsc_instrument_free(ins);
    }
    struct vsc_value_system *vs = NULL;
    if (vs_parse(&vs, (const char *)data, size, "fuzz", &d) == 0) vsc_value_system_free(vs);

    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    size_t opt;
    size_t rev[11];
    for (size_t i = 0; i < 11; i++)
        rev[i] = 10 - i;
    if (vsc_parse_answer(&opt, text, schwartz, NULL) != VSC_PARSE_UNPARSEABLE &&
        opt >= schwartz->n_options)
        abort();
    if (vsc_parse_answer(&opt, text, rating, rev) != VSC_PARSE_UNPARSEABLE &&
        opt >= rating->n_options)
        abort();
    free(text);
    return 0;
}
