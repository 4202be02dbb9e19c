/* The table of kinds: the one place that knows every kind of measurement. It sits above the
 * feature modules (instruments, judge, dilemmas, utility, score, roleplay) and wires them
 * together; nothing below it names a kind. docs/internals/kinds.md describes a row. */
#include <stdlib.h>
#include <string.h>

#include "config/kinds.h"
#include "dilemmas/dilemmas_int.h"
#include "evolve/stage.h"
#include "instruments/ins_internal.h"
#include "judge/stage.h"
#include "kinds/kind.h"
#include "util/util.h"
#include "utility/utility_int.h"
#include "valscope/dilemmas.h"
#include "valscope/evolve.h"
#include "valscope/judge.h"
#include "valscope/roleplay.h"
#include "valscope/utility.h"

/* ---- loaders: the table's signature onto each module's own -------------------------------- */

static int load_builtin(struct vsc_instrument **out, const struct kind_source *s,
                        struct vsc_diag *diag)
{
    return ins_load_builtin(out, s->arg, diag);
}

static int load_file(struct vsc_instrument **out, const struct kind_source *s,
                     struct vsc_diag *diag)
{
    return ins_load_decl_file(out, s->path, diag);
}

static int load_prompts(struct vsc_instrument **out, const struct kind_source *s,
                        struct vsc_diag *diag)
{
    return ins_load_prompts(out, s->path, diag);
}

static int load_pvqrr(struct vsc_instrument **out, const struct kind_source *s,
                      struct vsc_diag *diag)
{
    return ins_load_pvqrr(out, s->path, diag);
}

static int load_valuebench(struct vsc_instrument **out, const struct kind_source *s,
                           struct vsc_diag *diag)
{
    return ins_load_valuebench(out, s->path, s->name, diag);
}

static int load_psychobench(struct vsc_instrument **out, const struct kind_source *s,
                            struct vsc_diag *diag)
{
    return ins_load_psychobench(out, s->path, s->name, diag);
}

static int load_probes(struct vsc_instrument **out, const struct kind_source *s,
                       struct vsc_diag *diag)
{
    return vsc_probes_load(out, s->arg, s->base_dir, diag);
}

static int load_dilemmas(struct vsc_instrument **out, const struct kind_source *s,
                         struct vsc_diag *diag)
{
    return dilemmas_load_instrument(out, s->path, diag);
}

static int load_utility(struct vsc_instrument **out, const struct kind_source *s,
                        struct vsc_diag *diag)
{
    return utility_load_instrument(out, s->path, diag);
}

/* ---- writers and scorers: each module's typed records onto the table's -------------------- */

static int scores_json(FILE *fp, const void *rec)
{
    return vsc_score_write_json(fp, rec);
}

static int scores_table(FILE *fp, const void *rec, size_t n_shown)
{
    int rc = n_shown ? 0 : vsc_score_write_table_header(fp);
    if (!rc) rc = vsc_score_write_table_row(fp, rec);
    return rc ? rc : 1;
}

static int roleplay_json(FILE *fp, const void *rec)
{
    return vsc_roleplay_write_json(fp, rec);
}

static int roleplay_table(FILE *fp, const void *rec, size_t n_shown)
{
    return vsc_roleplay_write_table(fp, rec, n_shown);
}

static int utility_json(FILE *fp, const void *rec)
{
    return vsc_utility_write_json(fp, rec);
}

static int utility_table(FILE *fp, const void *rec, size_t n_shown)
{
    return vsc_utility_write_table(fp, rec, n_shown);
}

static int dilemma_json(FILE *fp, const void *rec)
{
    return vsc_dilemma_write_json(fp, rec);
}

static int dilemma_table(FILE *fp, const void *rec, size_t n_shown)
{
    return vsc_dilemma_write_table(fp, rec, n_shown);
}

static int evolve_json(FILE *fp, const void *rec)
{
    return vsc_evolve_write_json(fp, rec);
}

static int evolve_table(FILE *fp, const void *rec, size_t n_shown)
{
    return vsc_evolve_write_table(fp, rec, n_shown);
}

/* Questionnaire scores and judged probes come out as the same records, in one table. */
static const struct kind_writer SCORES = {scores_json, scores_table};
static const struct kind_writer ROLEPLAY = {roleplay_json, roleplay_table};
static const struct kind_writer UTILITY = {utility_json, utility_table};
static const struct kind_writer DILEMMA = {dilemma_json, dilemma_table};
static const struct kind_writer EVOLVED = {evolve_json, evolve_table};

static int on_score(const struct vsc_score_record *r, void *sink)
{
    return kind_emit(r, sink);
}

static int score_questionnaires(struct vsc_store *store, const struct vsc_score_opts *opts,
                                void *sink, struct vsc_diag *diag)
{
    return vsc_score_store(store, opts, on_score, sink, diag);
}

static int score_judged(struct vsc_store *store, const struct vsc_score_opts *opts, void *sink,
                        struct vsc_diag *diag)
{
    return vsc_judge_score(store, opts, on_score, sink, diag);
}

static int on_roleplay(const struct vsc_roleplay_record *r, void *sink)
{
    return kind_emit(r, sink);
}

static int score_roleplay(struct vsc_store *store, const struct vsc_score_opts *opts, void *sink,
                          struct vsc_diag *diag)
{
    struct vsc_roleplay_opts o = {.run = opts->run};
    return vsc_roleplay_score(store, &o, on_roleplay, sink, diag);
}

static int on_utility(const struct vsc_utility_record *r, void *sink)
{
    return kind_emit(r, sink);
}

static int score_utility(struct vsc_store *store, const struct vsc_score_opts *opts, void *sink,
                         struct vsc_diag *diag)
{
    struct vsc_utility_opts o = {.run = opts->run};
    return vsc_utility_score(store, &o, on_utility, sink, diag);
}

static int on_dilemma(const struct vsc_dilemma_record *r, void *sink)
{
    return kind_emit(r, sink);
}

static int score_dilemmas(struct vsc_store *store, const struct vsc_score_opts *opts, void *sink,
                          struct vsc_diag *diag)
{
    struct vsc_dilemma_opts o = {.run = opts->run, .seed = opts->seed};
    return vsc_dilemma_score(store, &o, on_dilemma, sink, diag);
}

static int on_evolve(const struct vsc_evolve_record *r, void *sink)
{
    return kind_emit(r, sink);
}

static int score_evolve(struct vsc_store *store, const struct vsc_score_opts *opts, void *sink,
                        struct vsc_diag *diag)
{
    return vsc_evolve_score(store, opts->run, on_evolve, sink, diag);
}

static const struct kind_scorer QUESTIONNAIRE = {"questionnaire", &SCORES, score_questionnaires};
static const struct kind_scorer JUDGED = {"judged probes", &SCORES, score_judged};
static const struct kind_scorer UTILITIES = {"utility", &UTILITY, score_utility};
static const struct kind_scorer DILEMMAS = {"dailydilemmas", &DILEMMA, score_dilemmas};
static const struct kind_scorer EVOLVE = {"evolve", &EVOLVED, score_evolve};
/* Analyses across kinds, run after every kind's own scorer: role-play statistics read the
 * answers of any questionnaire given under personas. */
static const struct kind_scorer *const ACROSS[] = {
    &(const struct kind_scorer){"role-play", &ROLEPLAY, score_roleplay}};

/* ---- the table ---------------------------------------------------------------------------- */

static const char *const PROBES_KEYS[] = {"protocol", "judge", "stance_mode", "repair", NULL};
static const char *const UTILITY_KEYS[] = {"prompt", "max_pairs", "initial_degree",
                                           "batch",  "seed",      NULL};

static const struct kind TABLE[] = {
    {"builtin", KIND_ARG_TEXT, NULL, load_builtin, NULL, &QUESTIONNAIRE},
    {"file", KIND_ARG_FILE, NULL, load_file, NULL, &QUESTIONNAIRE},
    {"prompts", KIND_ARG_FILE, NULL, load_prompts, NULL, &QUESTIONNAIRE},
    {"pvqrr", KIND_ARG_FILE, NULL, load_pvqrr, NULL, &QUESTIONNAIRE},
    {"valuebench", KIND_ARG_FILE_NAME, NULL, load_valuebench, NULL, &QUESTIONNAIRE},
    {"psychobench", KIND_ARG_FILE_NAME, NULL, load_psychobench, NULL, &QUESTIONNAIRE},
    {"probes", KIND_ARG_TEXT, PROBES_KEYS, load_probes, judge_stage, &JUDGED},
    {"dailydilemmas", KIND_ARG_FILE, NULL, load_dilemmas, NULL, &DILEMMAS},
    {"utility", KIND_ARG_FILE, UTILITY_KEYS, load_utility, utility_stage, &UTILITIES},
    /* configured under `evolve:`, not as an instrument: no loader, so no instrument kind */
    {"evolve", KIND_ARG_NONE, NULL, NULL, evolve_stage, &EVOLVE},
};
#define N_TABLE (sizeof(TABLE) / sizeof(TABLE[0]))

static const struct kind *registered[8];
static size_t n_registered;

const struct kind *kind_at(size_t i)
{
    if (i < N_TABLE) return &TABLE[i];
    return i - N_TABLE < n_registered ? registered[i - N_TABLE] : NULL;
}

const struct kind *kind_find(const char *name)
{
    const struct kind *k;
    for (size_t i = 0; name && (k = kind_at(i)); i++)
        if (!strcmp(k->name, name)) return k;
    return NULL;
}

int kind_register(const struct kind *k)
{
    if (!k || !k->name || !k->load || kind_find(k->name)) return VSC_ERR_INPUT;
    if (n_registered == sizeof(registered) / sizeof(registered[0])) return VSC_ERR_NOMEM;
    registered[n_registered++] = k;
    return 0;
}

/* The instrument kinds: the rows with a loader. */
int config_kind_at(size_t i, const char **out_name, const char *const **out_keys)
{
    const struct kind *k;
    for (size_t j = 0; (k = kind_at(j)); j++) {
        if (!k->load || i--) continue;
        *out_name = k->name;
        *out_keys = k->keys;
        return 1;
    }
    return 0;
}

/* ---- loading ------------------------------------------------------------------------------ */

static int instrument_load(struct vsc_instrument **out, const char *kind, const char *arg,
                           const char *base_dir, struct vsc_diag *diag)
{
    *out = NULL;
    if (!kind || !*kind) return vsc_diag_set(diag, NULL, 0, 0, "instrument kind is empty");
    const struct kind *k = kind_find(kind);
    if (k && !k->load) k = NULL; /* a row that is no instrument kind */
    if ((!k || k->arg != KIND_ARG_NONE) && (!arg || !*arg))
        return vsc_diag_set(diag, NULL, 0, 0, "instrument '%s' needs an argument (%s:...)", kind,
                            kind);
    if (!k) {
        char *all = config_kind_names();
        int rc =
            all ? vsc_diag_set(diag, NULL, 0, 0, "unknown instrument kind '%s' (%s)", kind, all)
                : VSC_ERR_NOMEM;
        free(all);
        return rc;
    }
    struct kind_source src = {.arg = arg ? arg : "", .base_dir = base_dir};
    char *file = NULL, *name = NULL, *path = NULL;
    int rc = VSC_ERR_NOMEM;
    if (k->arg == KIND_ARG_FILE || k->arg == KIND_ARG_FILE_NAME) {
        /* FILE#name splits at the last '#' */
        const char *h = k->arg == KIND_ARG_FILE_NAME ? strrchr(src.arg, '#') : NULL;
        file = h ? xstrndup(src.arg, (size_t)(h - src.arg)) : xstrdup(src.arg);
        if (h && !(name = xstrdup(h + 1))) goto done;
        if (!file || !(path = path_join(base_dir, file))) goto done;
        src.path = path;
        src.name = name;
    }
    rc = k->load(out, &src, diag);
done:
    free(file);
    free(name);
    free(path);
    return rc;
}

int vsc_instrument_load(struct vsc_instrument **out, const char *kind, const char *arg,
                        const char *base_dir, struct vsc_diag *diag)
{
    vsc_diag_clear(diag);
    return vsc_diag_finish(diag, instrument_load(out, kind, arg, base_dir, diag));
}

/* ---- later stages ------------------------------------------------------------------------- */

int kind_run_stages(struct vsc_store *store, int64_t run_id, const struct vsc_config *cfg,
                    const char *base_dir, int64_t *out_added, struct vsc_diag *diag)
{
    *out_added = 0;
    const struct kind *k;
    for (size_t i = 0; (k = kind_at(i)); i++) {
        if (!k->stage) continue;
        int seen = 0; /* rows may share a stage; it runs once */
        for (size_t j = 0; j < i && !seen; j++)
            seen = kind_at(j)->stage == k->stage;
        if (seen) continue;
        int64_t added = 0;
        int rc = k->stage(store, run_id, cfg, base_dir, &added, diag);
        if (rc) return rc;
        *out_added += added;
    }
    return 0;
}

/* ---- the scorer loop ---------------------------------------------------------------------- */

struct section {
    const struct kind_writer *writer;
    size_t n_shown;
};

struct sink {
    FILE *fp;
    int json;
    struct section *section;
    size_t *n_written;
};

int kind_emit(const void *rec, void *payload)
{
    struct sink *s = payload;
    const struct kind_writer *w = s->section->writer;
    int rc = s->json ? w->json(s->fp, rec) : w->table(s->fp, rec, s->section->n_shown);
    if (rc < 0) return rc;
    if (s->json || rc > 0) {
        s->section->n_shown++;
        (*s->n_written)++;
    }
    return 0;
}

/* Runs `sc` unless an earlier row's scorer was the same; writers shared by scorers share one
 * section, so one table header. */
static int run_scorer(const struct kind_scorer *sc, struct section *sections, size_t *n_sections,
                      struct vsc_store *store, const struct vsc_score_opts *opts, FILE *fp,
                      int json, size_t *n_written, struct vsc_diag *diag)
{
    size_t i = 0;
    while (i < *n_sections && sections[i].writer != sc->writer)
        i++;
    if (i == *n_sections) sections[(*n_sections)++] = (struct section){sc->writer, 0};
    struct sink sink = {fp, json, &sections[i], n_written};
    return sc->score(store, opts, &sink, diag);
}

static int score_all(struct vsc_store *store, const struct vsc_score_opts *opts, FILE *fp, int json,
                     size_t *out_n, struct vsc_diag *diag)
{
    *out_n = 0;
    const struct vsc_score_opts none = {0};
    if (!opts) opts = &none;
    size_t n_rows = 0;
    while (kind_at(n_rows))
        n_rows++;
    size_t n_across = sizeof(ACROSS) / sizeof(ACROSS[0]);
    struct section *sections = calloc(n_rows + n_across, sizeof(*sections));
    if (!sections) return VSC_ERR_NOMEM;
    size_t n_sections = 0;
    int rc = 0;
    for (size_t i = 0; !rc && i < n_rows; i++) {
        const struct kind_scorer *sc = kind_at(i)->scorer;
        int seen = !sc;
        for (size_t j = 0; j < i && !seen; j++)
            seen = kind_at(j)->scorer == sc;
        if (!seen) rc = run_scorer(sc, sections, &n_sections, store, opts, fp, json, out_n, diag);
    }
    for (size_t i = 0; !rc && i < n_across; i++)
        rc = run_scorer(ACROSS[i], sections, &n_sections, store, opts, fp, json, out_n, diag);
    free(sections);
    return rc;
}

int vsc_score_all(struct vsc_store *store, const struct vsc_score_opts *opts, FILE *fp, int json,
                  size_t *out_n, struct vsc_diag *diag)
{
    vsc_diag_clear(diag);
    return vsc_store_diag(diag, store, score_all(store, opts, fp, json, out_n, diag));
}
