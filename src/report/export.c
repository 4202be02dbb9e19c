/* Exports: one row per cell with its answer, as JSON lines or CSV (RFC 4180). */
#include "valscope/export.h"

#include <jansson.h>
#include <string.h>

#include "util/csv.h"
#include "util/jsonout.h"

struct export_ctx {
    FILE *out;
    enum vsc_export_format format;
    int header_done;
};

static const char *const COLUMNS[] = {"run",
                                      "model",
                                      "instrument",
                                      "item",
                                      "condition",
                                      "sample",
                                      "status",
                                      "error",
                                      "http_status",
                                      "text",
                                      "finish_reason",
                                      "latency_ms",
                                      "prompt_tokens",
                                      "completion_tokens",
                                      "tokens",
                                      "attempts",
                                      NULL};

static int row_cb(const struct vsc_answer_row *r, void *payload)
{
    struct export_ctx *x = payload;
    int answered = r->status && strcmp(r->status, "pending") != 0;
    if (x->format == VSC_EXPORT_JSONL) {
        json_t *o = json_object();
        json_object_set_new(o, "run", json_string(r->run));
        json_object_set_new(o, "model", json_string(r->model));
        json_object_set_new(o, "instrument", json_string(r->instrument));
        json_object_set_new(o, "item", json_string(r->item));
        json_object_set_new(o, "condition", json_string(r->condition));
        json_object_set_new(o, "sample", json_integer(r->sample));
        json_object_set_new(o, "status", json_string(r->status));
        json_object_set_new(o, "error", r->error ? json_string(r->error) : json_null());
        json_object_set_new(o, "http_status",
                            answered ? json_integer(r->http_status) : json_null());
        json_object_set_new(o, "text", r->text ? json_string(r->text) : json_null());
        json_object_set_new(o, "finish_reason",
                            r->finish_reason ? json_string(r->finish_reason) : json_null());
        json_object_set_new(o, "latency_ms", answered ? json_real(r->latency_ms) : json_null());
        json_object_set_new(o, "prompt_tokens", json_integer(r->prompt_tokens));
        json_object_set_new(o, "completion_tokens", json_integer(r->completion_tokens));
        json_object_set_new(o, "tokens", json_integer(r->prompt_tokens + r->completion_tokens));
        json_object_set_new(o, "attempts", json_integer(r->attempts));
        return jout_line(x->out, o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    }
    if (!x->header_done) {
        for (int i = 0; COLUMNS[i]; i++)
            fprintf(x->out, "%s%s", i ? "," : "", COLUMNS[i]);
        fputs("\r\n", x->out);
        x->header_done = 1;
    }
    csv_write_field(x->out, r->run);
    fputc(',', x->out);
    csv_write_field(x->out, r->model);
    fputc(',', x->out);
    csv_write_field(x->out, r->instrument);
    fputc(',', x->out);
    csv_write_field(x->out, r->item);
    fputc(',', x->out);
    csv_write_field(x->out, r->condition);
    fprintf(x->out, ",%d,", r->sample);
    csv_write_field(x->out, r->status);
    fputc(',', x->out);
    csv_write_field(x->out, r->error);
    fputc(',', x->out);
    if (answered) fprintf(x->out, "%d", r->http_status);
    fputc(',', x->out);
    csv_write_field(x->out, r->text);
    fputc(',', x->out);
    csv_write_field(x->out, r->finish_reason);
    fputc(',', x->out);
    if (answered) fprintf(x->out, "%.3f", r->latency_ms);
    fprintf(x->out, ",%d,%d,%d,%d\r\n", r->prompt_tokens, r->completion_tokens,
            r->prompt_tokens + r->completion_tokens, r->attempts);
    return ferror(x->out) ? VSC_ERR_IO : 0;
}

int vsc_export(struct vsc_store *store, FILE *out, enum vsc_export_format format, const char *run)
{
    struct export_ctx x = {.out = out, .format = format};
    int rc = vsc_store_foreach_answer(store, run, row_cb, &x);
    if (!rc && format == VSC_EXPORT_CSV && !x.header_done) {
        for (int i = 0; COLUMNS[i]; i++)
            fprintf(out, "%s%s", i ? "," : "", COLUMNS[i]);
        fputs("\r\n", out);
    }
    /* a full disk must not pass for a complete export */
    if (!rc && (fflush(out) != 0 || ferror(out))) rc = VSC_ERR_IO;
    return rc;
}
