/* Value systems and instruments: the items that are put to a model and how they are scored.
 *
 * Both are plain data owned by their top-level struct and freed with the matching _free(). */
#ifndef VALSCOPE_INSTRUMENT_H
#define VALSCOPE_INSTRUMENT_H

#include "common.h"

/* ---- value systems ---------------------------------------------------------------------- */

struct vsc_dimension {
    char *id;          /* e.g. "benevolence" */
    char *name;        /* e.g. "Benevolence" */
    char *description; /* one paragraph, used by judges */
    char *parent;      /* refined value -> basic value, basic value -> higher-order; or NULL */
    int order;         /* position on a circle (Schwartz), -1 when the system has none */
};

struct vsc_value_system {
    char *id;   /* schwartz, schwartz19, schwartz_ho, mft, bigfive, hofstede, or a user id */
    char *name;
    struct vsc_dimension *dims;
    size_t n_dims;
};

/* Loads a built-in value system by id. */
int vsc_value_system_builtin(struct vsc_value_system **out, const char *id, struct vsc_diag *diag);
/* Loads a user value system file (YAML/JSON, the format in docs/value-systems.md). */
int vsc_value_system_load(struct vsc_value_system **out, const char *path, struct vsc_diag *diag);
/* Index of a dimension id, or -1. */
int vsc_value_system_find(const struct vsc_value_system *vs, const char *dim_id);
void vsc_value_system_free(struct vsc_value_system *vs);

/* ---- instruments ------------------------------------------------------------------------ */

enum vsc_answer_mode { VSC_ANSWER_TEXT = 0, VSC_ANSWER_LOGPROBS = 1 };
enum vsc_aggregate { VSC_AGG_AVG = 0, VSC_AGG_SUM = 1 };
enum vsc_option_order { VSC_ORDER_ASIS = 0, VSC_ORDER_REVERSED = 1, VSC_ORDER_ROTATED = 2 };

/* One response option. `label` is the wording shown ("Very much like me"), `value` its score. */
struct vsc_option {
    char *label;
    double value;
};

struct vsc_item {
    char *id;        /* stable id within the instrument (e.g. "12" for PVQ-RR item 12) */
    char *text;      /* item wording; NULL for raw prompts given as messages */
    char *dimension; /* dimension id, NULL when the item is not scored */
    int key;         /* +1 or -1 (reverse keyed); 0 when not scored */
    char *messages_json; /* raw prompts only: a JSON array of chat messages, else NULL */
    char *alias;     /* a second id the item can be found by (ValueBench: its 1-based row
                      * within the questionnaire), or NULL */
    char *question;  /* ValueBench: the advice question the judge stage asks, else NULL */
};

/* A higher-order group pools items: those of `dims`, or exactly `items` when given. */
struct vsc_group {
    char *id;
    char **dims;
    size_t n_dims;
    char **items; /* item ids; overrides dims when n_items > 0 */
    size_t n_items;
};

/* Human norms for a dimension (PsychoBench): mean, sd and n of a named crowd. */
struct vsc_norm {
    char *crowd;
    char *dimension;
    double mean, sd;
    double n;
};

struct vsc_instrument {
    char *id;        /* e.g. "builtin:schwartz", "pvqrr", "valuebench:PVQ40" */
    char *system;    /* value system id the dimensions belong to */
    struct vsc_item *items;
    size_t n_items;
    struct vsc_option *options; /* response scale; n_options == 0 for raw prompts */
    size_t n_options;
    char *system_template; /* may be NULL; slots: {persona} */
    char *user_template;   /* slots: {item} {options} {persona} {scale_min} {scale_max} */
    enum vsc_answer_mode answer_mode;
    enum vsc_aggregate aggregate;
    int centre;            /* 1: centre on the respondent's mean rating (MRAT) by default */
    struct vsc_group *groups;
    size_t n_groups;
    struct vsc_norm *norms;
    size_t n_norms;
};

/* Loads an instrument from a `KIND:ARG` spec: builtin:schwartz, builtin:mft, pvqrr:FILE,
 * valuebench:FILE[#QUESTIONNAIRE], psychobench:FILE[#NAME], prompts:FILE, file:FILE.yaml, and
 * every other kind of the kind table (docs/internals/kinds.md). Relative paths are resolved
 * against `base_dir` (may be NULL for the cwd). */
int vsc_instrument_load(struct vsc_instrument **out, const char *kind, const char *arg,
                        const char *base_dir, struct vsc_diag *diag);
void vsc_instrument_free(struct vsc_instrument *ins);

/* Index of an item by id, or else by alias; -1 when neither matches. */
long vsc_instrument_find_item(const struct vsc_instrument *ins, const char *item_id);

/* Renders item `item_index` as a malloc'd JSON array of chat messages in `*out_messages_json`
 * (the caller frees it).
 * - Raw prompts: the item's messages, after a system message holding `persona` when non-NULL.
 * - Questionnaire items: the system template (when set) and the user template (a default when
 *   NULL) with the slots {item} {options} {persona} {scale_min} {scale_max} filled. {options}
 *   is one line per shown option, "A. label", lettered A, B, C... in shown order; the
 *   persona, when given and no template has a {persona} slot, goes into a system message.
 * `order` (n_options entries, may be NULL for as-is) gives the shown order: order[i] is the
 * index into ins->options of the i-th option shown. Returns 0, VSC_ERR_NOMEM, or
 * VSC_ERR_INPUT for a bad index or order. */
int vsc_instrument_render(char **out_messages_json, const struct vsc_instrument *ins,
                          size_t item_index, const size_t *order, const char *persona);

/* ---- reading answers -------------------------------------------------------------------- */

enum vsc_parse_status {
    VSC_PARSE_OK = 0,          /* read strictly: exactly a letter, number or label */
    VSC_PARSE_LENIENT = 1,     /* read leniently: one unambiguous option found in prose */
    VSC_PARSE_UNPARSEABLE = 2, /* no option, or more than one: never guessed */
};

/* Reads a text answer against `n_options` options shown in `order` (order[i] = index into
 * ins->options of the i-th option shown, letters A.. and numbers 1.. refer to shown
 * positions). On success `*out_option` is the index into ins->options. */
enum vsc_parse_status vsc_parse_answer(size_t *out_option, const char *text,
                                       const struct vsc_instrument *ins, const size_t *order);

#endif
