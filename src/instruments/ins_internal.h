/* Private helpers shared by the instrument loaders. */
#ifndef VSC_INS_INTERNAL_H
#define VSC_INS_INTERNAL_H

#include <jansson.h>

#include "util/yamljson.h"
#include "valscope/instrument.h"

/* An empty instrument (text answers, AVG, no centring); NULL when out of memory. */
struct vsc_instrument *ins_new(void);
/* Appends a zeroed item and returns it, or NULL when out of memory. */
struct vsc_item *ins_add_item(struct vsc_instrument *ins);
/* Appends an option (label copied); 0 or VSC_ERR_NOMEM. */
int ins_add_option(struct vsc_instrument *ins, const char *label, double value);
/* Appends a group; takes nothing, copies ids. Returns the group or NULL. */
struct vsc_group *ins_add_group(struct vsc_instrument *ins, const char *id);
int ins_group_add_dim(struct vsc_group *g, const char *dim);
int ins_group_add_item(struct vsc_group *g, const char *item_id);
int ins_add_norm(struct vsc_instrument *ins, const char *crowd, const char *dimension, double mean,
                 double sd, double n);

/* Loaders by kind. `path` is already resolved; `name` is what diagnostics call the file. */
int ins_load_prompts(struct vsc_instrument **out, const char *path, struct vsc_diag *diag);
int ins_load_decl_file(struct vsc_instrument **out, const char *path, struct vsc_diag *diag);
/* Parses the declarative format from memory; `name` is used in diagnostics. */
int ins_parse_decl(struct vsc_instrument **out, const char *text, size_t len, const char *name,
                   struct vsc_diag *diag);
/* The same, resolving `system_file` against `base_dir` (NULL: the cwd). */
int ins_parse_decl_in(struct vsc_instrument **out, const char *text, size_t len, const char *name,
                      const char *base_dir, struct vsc_diag *diag);
int ins_load_builtin(struct vsc_instrument **out, const char *name, struct vsc_diag *diag);
int ins_load_pvqrr(struct vsc_instrument **out, const char *path, struct vsc_diag *diag);
int ins_load_valuebench(struct vsc_instrument **out, const char *path, const char *questionnaire,
                        struct vsc_diag *diag);
int ins_load_psychobench(struct vsc_instrument **out, const char *path, const char *name,
                         struct vsc_diag *diag);

/* Built-in text (embedded declarative files); NULL when unknown. */
const char *ins_builtin_bank_text(const char *name);
const char *vs_builtin_text(const char *id);
/* Parses a value system from memory (the value-systems.md format). */
int vs_parse(struct vsc_value_system **out, const char *text, size_t len, const char *name,
             struct vsc_diag *diag);

#endif
