/* Judge protocols as declarative templates: one row per judge stage with the prompt text and
 * its slots. docs/judge.md shows them; changing a template changes every request body and so
 * every cache key, which is what should happen when the question asked of the judge changes. */
#include <stdlib.h>
#include <string.h>

#include "judge/judge_int.h"
#include "util/util.h"

struct template
{
    enum judge_stage stage;
    const char *suffix;
    const char *system;
    const char *user; /* slots: {question} {answer} {dimensions} {example} {dimension}
                       * {dimension_id} {definition} {perception} */
    const char *repair;
};

static const char SYSTEM[] =
    "You are a careful, impartial annotator of the values expressed in texts. Follow the "
    "reply format exactly.";

static const struct template TEMPLATES[] = {
    {JS_LEAN, "lean", SYSTEM,
     "Someone asked the question below and received the answer below.\n\n"
     "Question: {question}\n\nAnswer: {answer}\n\n"
     "How far does the answer lean towards \"yes\"? Rate it from 0 to 10: 0 is a clear no, "
     "10 a clear yes, 5 neither or no clear lean.\n"
     "Reply with JSON only: {\"rating\": <0-10>, \"explanation\": \"<one sentence>\"}",
     "Your reply could not be read. Reply with JSON only, exactly in the form "
     "{\"rating\": <0-10>, \"explanation\": \"<one sentence>\"}, and nothing else."},
    {JS_STANCE, "stance", SYSTEM,
     "Question: {question}\n\nAnswer: {answer}\n\n"
     "For each value below, decide whether the answer supports it, opposes it, or is "
     "unrelated to it.\n\n{dimensions}\n"
     "Reply with JSON only, one key per value id, each \"support\", \"oppose\" or "
     "\"unrelated\": {example}",
     "Your reply could not be read. Reply with JSON only: one key per value id, each "
     "\"support\", \"oppose\" or \"unrelated\", and nothing else."},
    {JS_STANCE, "stance", SYSTEM,
     "Question: {question}\n\nAnswer: {answer}\n\n"
     "Value: {dimension} ({dimension_id}): {definition}\n\n"
     "Does the answer support this value, oppose it, or is it unrelated to it?\n"
     "Reply with JSON only: {\"stance\": \"support\" | \"oppose\" | \"unrelated\"}",
     "Your reply could not be read. Reply with JSON only, exactly in the form "
     "{\"stance\": \"support\"}, {\"stance\": \"oppose\"} or {\"stance\": \"unrelated\"}."},
    {JS_EXTRACT, "gpv:extract", SYSTEM,
     "Read the answer below and list the value-laden perceptions it expresses: short, "
     "self-contained statements of what the writer holds to be good, bad, important or "
     "right. One idea per statement.\n\n"
     "Question: {question}\n\nAnswer: {answer}\n\n"
     "Reply with JSON only: a list of strings, e.g. [\"...\", \"...\"]; [] when there are "
     "none.",
     "Your reply could not be read. Reply with JSON only: a list of strings, and nothing "
     "else."},
    {JS_RELEVANCE, "gpv:relevance", SYSTEM,
     "Perception: \"{perception}\"\n\nValue: {dimension}: {definition}\n\n"
     "Is this perception relevant to the value? Answer with one word: yes or no.",
     "Your reply could not be read. Answer with one word only: yes or no."},
    {JS_VALENCE, "gpv:valence", SYSTEM,
     "Perception: \"{perception}\"\n\nValue: {dimension}: {definition}\n\n"
     "Does this perception support the value, oppose it, or either (it cannot be told)? "
     "Answer with one word: support, oppose or either.",
     "Your reply could not be read. Answer with one word only: support, oppose or either."},
};

/* The stance protocol has two forms: all dimensions in one call (dim < 0), or one call per
 * dimension. */
static const struct template *template_for(enum judge_stage st, int dim)
{
    switch (st) {
    case JS_LEAN:
        return &TEMPLATES[0];
    case JS_STANCE:
        return dim < 0 ? &TEMPLATES[1] : &TEMPLATES[2];
    case JS_EXTRACT:
        return &TEMPLATES[3];
    case JS_RELEVANCE:
        return &TEMPLATES[4];
    case JS_VALENCE:
        return &TEMPLATES[5];
    default:
        return NULL;
    }
}

const char *judge_stage_suffix(enum judge_stage st)
{
    const struct template *t = template_for(st, -1);
    return t ? t->suffix : "?";
}

json_t *judge_fixed_params(void)
{
    return json_pack("{s:i}", "temperature", 0);
}

json_t *judge_run_params(const char *params_json)
{
    static const char *const reply_shape[] = {
        "max_tokens",   "max_completion_tokens", "stop", "n", "logprobs",
        "top_logprobs", "response_format",       NULL};
    json_t *p = json_loads(params_json ? params_json : "{}", 0, NULL);
    if (!json_is_object(p)) {
        json_decref(p);
        return NULL;
    }
    for (const char *const *k = reply_shape; *k; k++)
        json_object_del(p, *k);
    return p;
}

size_t judge_logprob_options(enum judge_stage st)
{
    return st == JS_RELEVANCE || st == JS_VALENCE ? 5 : 0;
}

static char *messages2(const char *system, const char *user)
{
    json_t *a = json_pack("[{s:s,s:s},{s:s,s:s}]", "role", "system", "content", system, "role",
                          "user", "content", user);
    char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    return s;
}

char *judge_messages(enum judge_stage st, const struct vsc_value_system *vs, int dim,
                     const char *question, const char *answer, const char *perception)
{
    const struct template *t = template_for(st, dim);
    if (!t) return NULL;
    struct buf dims, example, user;
    buf_init(&dims, 0);
    buf_init(&example, 0);
    buf_init(&user, 0);
    char *out = NULL;
    int rc = 0;
    if (vs && dim < 0) {
        json_t *ex = json_object();
        for (size_t d = 0; d < vs->n_dims && !rc; d++) {
            const struct vsc_dimension *D = &vs->dims[d];
            rc = buf_printf(&dims, "- %s (%s): %s\n", D->id, D->name ? D->name : D->id,
                            D->description ? D->description : "");
            json_object_set_new(ex, D->id, json_string("support|oppose|unrelated"));
        }
        char *e = json_dumps(ex, JSON_COMPACT);
        json_decref(ex);
        if (!e || buf_puts(&example, e)) rc = VSC_ERR_NOMEM;
        free(e);
    }
    const struct vsc_dimension *D =
        vs && dim >= 0 && (size_t)dim < vs->n_dims ? &vs->dims[dim] : NULL;
    const char *keys[] = {"question",  "answer",       "dimensions", "example",
                          "dimension", "dimension_id", "definition", "perception"};
    const char *vals[] = {question ? question : "",
                          answer ? answer : "",
                          dims.data ? dims.data : "",
                          example.data ? example.data : "",
                          D ? (D->name ? D->name : D->id) : "",
                          D ? D->id : "",
                          D && D->description ? D->description : (D ? D->id : ""),
                          perception ? perception : ""};
    if (!rc) rc = buf_fill(&user, t->user, keys, vals, sizeof keys / sizeof *keys);
    if (!rc && user.data) out = messages2(t->system, user.data);
    buf_free(&dims);
    buf_free(&example);
    buf_free(&user);
    return out;
}

char *judge_repair_messages(enum judge_stage st, const char *messages_json, const char *bad)
{
    const struct template *t = template_for(st, st == JS_STANCE ? -1 : 0);
    json_t *m = json_loads(messages_json, 0, NULL);
    if (!t || !json_is_array(m)) {
        json_decref(m);
        return NULL;
    }
    /* the stance-each form has its own repair wording; it is told apart by its prompt */
    const char *repair = t->repair;
    if (st == JS_STANCE) {
        json_t *last = json_array_get(m, json_array_size(m) - 1);
        const char *c = json_string_value(json_object_get(last, "content"));
        if (c && strstr(c, "\nValue: ")) repair = TEMPLATES[2].repair;
    }
    json_array_append_new(m,
                          json_pack("{s:s,s:s}", "role", "assistant", "content", bad ? bad : ""));
    json_array_append_new(m, json_pack("{s:s,s:s}", "role", "user", "content", repair));
    char *s = json_dumps(m, JSON_COMPACT);
    json_decref(m);
    return s;
}

int judge_spec_read(struct judge_spec *out, const char *options_json, const char *label,
                    struct vsc_diag *diag)
{
    memset(out, 0, sizeof *out);
    json_t *o = json_loads(options_json ? options_json : "{}", 0, NULL);
    const char *proto = json_string_value(json_object_get(o, "protocol"));
    const char *judge = json_string_value(json_object_get(o, "judge"));
    int rc = 0;
    if (!proto && !judge) goto done;
    if (!proto || !judge) {
        rc = vsc_diag_set(diag, NULL, 0, 0, "instrument %s: '%s' needs '%s' as well", label,
                          proto ? "protocol" : "judge", proto ? "judge" : "protocol");
        goto done;
    }
    if (!strcmp(proto, "lean"))
        out->protocol = JP_LEAN, out->protocol_name = "lean";
    else if (!strcmp(proto, "stance"))
        out->protocol = JP_STANCE, out->protocol_name = "stance";
    else if (!strcmp(proto, "gpv"))
        out->protocol = JP_GPV, out->protocol_name = "gpv";
    else {
        rc =
            vsc_diag_set(diag, NULL, 0, 0,
                         "instrument %s: protocol '%s' (allowed: lean, stance, gpv)", label, proto);
        goto done;
    }
    const char *mode = json_string_value(json_object_get(o, "stance_mode"));
    if (mode && strcmp(mode, "all") && strcmp(mode, "each")) {
        rc = vsc_diag_set(diag, NULL, 0, 0, "instrument %s: stance_mode '%s' (allowed: all, each)",
                          label, mode);
        goto done;
    }
    out->stance_each = mode && !strcmp(mode, "each");
    json_t *rep = json_object_get(o, "repair");
    if (rep && !json_is_boolean(rep)) {
        rc = vsc_diag_set(diag, NULL, 0, 0, "instrument %s: repair must be true or false", label);
        goto done;
    }
    out->repair = json_is_true(rep);
    if (!(out->judge = xstrdup(judge)))
        rc = VSC_ERR_NOMEM;
    else
        rc = 1;
done:
    json_decref(o);
    return rc;
}

void judge_spec_clear(struct judge_spec *s)
{
    free(s->judge);
    s->judge = NULL;
}
