/* `probes:ARG` instruments: open-ended questions sent as raw prompts, answered in free text and
 * read by the judge stage. ARG is builtin:schwartz, builtin:mft (the bank in probe_bank.c) or
 * valuebench:FILE[#NAME] (ValueBench's advice questions, asked for a short answer). */
#include <stdlib.h>
#include <string.h>

#include "judge/judge_int.h"
#include "util/util.h"

/* ValueBench asks for short answers so the judge reads a stance, not an essay. */
static const char VALUEBENCH_SUFFIX[] = " Answer using no more than 50 words.";

static char *user_message(const char *text)
{
    json_t *a = json_pack("[{s:s,s:s}]", "role", "user", "content", text);
    char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    return s;
}

static int load_bank(struct vsc_instrument **out, const char *name, struct vsc_diag *diag)
{
    size_t n = 0;
    const struct judge_probe *bank = judge_probe_bank(name, &n);
    if (!bank) {
        vsc_diag_set(diag, NULL, 0, 0, "unknown built-in probe bank '%s' (schwartz, mft)", name);
        return VSC_ERR_NOTFOUND;
    }
    struct vsc_instrument *ins = calloc(1, sizeof *ins);
    if (!ins) return VSC_ERR_NOMEM;
    ins->items = calloc(n, sizeof *ins->items);
    ins->id = xasprintf("probes:builtin:%s", name);
    ins->system = xstrdup(name);
    if (!ins->items || !ins->id || !ins->system) goto nomem;
    for (size_t i = 0; i < n; i++) {
        struct vsc_item *it = &ins->items[ins->n_items++];
        it->id = xstrdup(bank[i].id);
        it->dimension = xstrdup(bank[i].dim);
        it->key = bank[i].key;
        it->question = xstrdup(bank[i].text);
        it->messages_json = user_message(bank[i].text);
        if (!it->id || !it->dimension || !it->question || !it->messages_json) goto nomem;
    }
    *out = ins;
    return 0;
nomem:
    vsc_instrument_free(ins);
    return VSC_ERR_NOMEM;
}

/* ValueBench items become their advice questions; the response scale is dropped. */
static int load_valuebench(struct vsc_instrument **out, const char *arg, const char *base_dir,
                           struct vsc_diag *diag)
{
    struct vsc_instrument *ins = NULL;
    int rc = vsc_instrument_load(&ins, "valuebench", arg, base_dir, diag);
    if (rc) return rc;
    for (size_t i = 0; i < ins->n_options; i++)
        free(ins->options[i].label);
    free(ins->options);
    ins->options = NULL;
    ins->n_options = 0;
    free(ins->user_template);
    free(ins->system_template);
    ins->user_template = ins->system_template = NULL;
    char *id = xasprintf("probes:%s", ins->id ? ins->id : "valuebench");
    if (!id) goto nomem;
    free(ins->id);
    ins->id = id;
    for (size_t i = 0; i < ins->n_items; i++) {
        struct vsc_item *it = &ins->items[i];
        if (!it->question || !*it->question) {
            rc = vsc_diag_set(diag, NULL, 0, 0, "valuebench item %s has no advice question",
                              it->id ? it->id : "?");
            vsc_instrument_free(ins);
            return rc;
        }
        char *q = xasprintf("%s%s", it->question, VALUEBENCH_SUFFIX);
        free(it->messages_json);
        it->messages_json = q ? user_message(q) : NULL;
        free(q);
        if (!it->messages_json) goto nomem;
    }
    *out = ins;
    return 0;
nomem:
    vsc_instrument_free(ins);
    return VSC_ERR_NOMEM;
}

static int probes_load(struct vsc_instrument **out, const char *arg, const char *base_dir,
                       struct vsc_diag *diag)
{
    *out = NULL;
    if (!arg || !*arg)
        return vsc_diag_set(diag, NULL, 0, 0,
                            "probes needs a source: builtin:schwartz, builtin:mft or "
                            "valuebench:FILE#NAME");
    if (!strncmp(arg, "builtin:", 8)) return load_bank(out, arg + 8, diag);
    if (!strncmp(arg, "valuebench:", 11)) return load_valuebench(out, arg + 11, base_dir, diag);
    return vsc_diag_set(diag, NULL, 0, 0,
                        "probes '%s': unknown source (builtin:schwartz, builtin:mft, "
                        "valuebench:FILE#NAME)",
                        arg);
}

int vsc_probes_load(struct vsc_instrument **out, const char *arg, const char *base_dir,
                    struct vsc_diag *diag)
{
    vsc_diag_clear(diag);
    return vsc_diag_finish(diag, probes_load(out, arg, base_dir, diag));
}
