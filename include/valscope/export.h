/* Exports of stored answers, one row per cell. */
#ifndef VALSCOPE_EXPORT_H
#define VALSCOPE_EXPORT_H

#include <stdio.h>

#include "common.h"
#include "store.h"

enum vsc_export_format { VSC_EXPORT_JSONL = 0, VSC_EXPORT_CSV = 1 };

/* Writes every cell of `run` (NULL: all runs) with its answer to `out`. Columns: run, model,
 * instrument, item, condition, sample, status, error, http_status, text, finish_reason,
 * latency_ms, prompt_tokens, completion_tokens, tokens, attempts. */
int vsc_export(struct vsc_store *store, FILE *out, enum vsc_export_format format, const char *run);

#endif
