/* libFuzzer target: every loader that reads a user's file, chosen by the first input byte; the
 * rest of the input is the file. Prompts, PVQ-RR, ValueBench and PsychoBench (FILE#name),
 * DailyDilemmas, utility outcomes, persona files, target files and answers to import. Bad input
 * must give an error or a status, never a crash, a leak or a hang. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan/personas.h"
#include "valscope/compare.h"
#include "valscope/instrument.h"
#include "valscope/score.h"
#include "valscope/store.h"

static char file[64], db[64];
static struct vsc_store *store;

static void setup(void)
{
    snprintf(file, sizeof file, "/tmp/vsc-fuzz-loaders-%d.in", (int)getpid());
    snprintf(db, sizeof db, "/tmp/vsc-fuzz-loaders-%d.db", (int)getpid());
    unlink(db);
    if (vsc_store_open(&store, db)) abort();
}

static void load_kind(const char *kind, const char *arg)
{
    struct vsc_instrument *ins = NULL;
    struct vsc_diag d;
    if (vsc_instrument_load(&ins, kind, arg, NULL, &d) == 0 && !ins) abort();
    vsc_instrument_free(ins);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!store) setup();
    if (size < 1) return 0;
    FILE *f = fopen(file, "wb");
    if (!f) return 0;
    fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    char arg[96];
    struct vsc_diag d;
    switch (data[0] % 9) {
    case 0:
        load_kind("prompts", file);
        break;
    case 1:
        load_kind("pvqrr", file);
        break;
    case 2:
        snprintf(arg, sizeof arg, "%s#PVQ40", file);
        load_kind("valuebench", arg);
        break;
    case 3:
        snprintf(arg, sizeof arg, "%s#BFI", file);
        load_kind("psychobench", arg);
        break;
    case 4:
        load_kind("dailydilemmas", file);
        break;
    case 5:
        load_kind("utility", file);
        break;
    case 6: {
        struct persona *p = NULL;
        size_t n = 0;
        if (persona_load_file(&p, &n, file, NULL, &d) == 0)
            for (size_t i = 0; i < n; i++)
                persona_clear(&p[i]);
        free(p);
        break;
    }
    case 7: {
        struct vsc_target *t = NULL;
        if (vsc_target_parse(&t, (const char *)data + 1, size - 1, "fuzz", &d) == 0 && !t) abort();
        vsc_target_free(t);
        break;
    }
    default:
        vsc_import_answers(store, "builtin", "schwartz", file, &d);
        break;
    }
    return 0;
}
