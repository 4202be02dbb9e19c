/* The `llama` backend: a GGUF model run in-process through llama.cpp's C API.
 *
 * Two ways to answer a request:
 *  - generation: the chat prompt is decoded and tokens are sampled with a seeded sampler; a
 *    batch of requests is decoded together, one llama.cpp sequence per request;
 *  - option scoring (cell meta {"mode":"logprobs","options":[...]}): the exact probability of
 *    each option's tokens given the prompt, normalised over the options. The tokens all options
 *    share are evaluated once and copied to one sequence per option (llama_memory_seq_cp), so an
 *    item costs one prompt evaluation plus a few tokens per option.
 *
 * This is the only file that includes llama.h, which keeps llama.cpp's API churn in one place.
 * Its options are read by llama_opts.c; without the libraries (scripts/fetch-llama.sh not run)
 * this file is empty and llama_stub.c's open() says how to get them. Design notes:
 * docs/internals/llama.md. */
#include "backends/backend.h"
#include "backends/llama_opts.h"
#include "backends/llama_score.h"

#include <stdio.h>
#include <string.h>

#ifdef VSC_HAVE_LLAMA

#include <dlfcn.h>
#include <errno.h>
#include <jansson.h>
#include <link.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <llama.h>

#include "util/util.h"

#define DEFAULT_MAX_TOKENS 256
#define MAX_TOP_LOGPROBS 20

struct lstate {
    struct llama_model *model;
    struct llama_context *ctx;
    const struct llama_vocab *vocab;
    struct llama_batch batch;
    char *name;
    char *tmpl; /* template text or built-in name; NULL sends the messages as plain text */
    int n_vocab;
    int n_ctx; /* the context llama.cpp gave us (it may round up what was asked) */
    int n_batch;
    int n_seq; /* parallel sequences */
    uint32_t seed;
    pthread_mutex_t lock; /* one llama_context: requests take turns */
};

/* ---- process-wide setup -------------------------------------------------------------------- */

/* llama.cpp logs to stderr by default; a library must not print, so logs are dropped unless
 * VSC_LLAMA_LOG is set, and the last error line is kept for the diagnostics of the thread that
 * caused it (model loading reports why a file is rejected only there). */
static _Thread_local char last_error[512];
static int log_passthrough;

static void log_cb(enum ggml_log_level level, const char *text, void *payload)
{
    if (log_passthrough) fputs(text, stderr);
    if (level != GGML_LOG_LEVEL_ERROR || !text) return;
    snprintf(last_error, sizeof(last_error), "%s", text);
    size_t n = strlen(last_error);
    while (n && (last_error[n - 1] == '\n' || last_error[n - 1] == ' '))
        last_error[--n] = 0;
}

/* The prebuilt CPU backends (libggml-cpu-<arch>.so) sit next to libggml-base.so, which ggml's
 * default search (executable dir, cwd) does not look at; find that folder among the loaded
 * objects. */
static int find_ggml_dir(struct dl_phdr_info *info, size_t size, void *payload)
{
    char *dir = payload;
    const char *name = info->dlpi_name;
    const char *slash = name ? strrchr(name, '/') : NULL;
    if (!slash || strncmp(slash + 1, "libggml-base", 12) != 0) return 0;
    size_t n = (size_t)(slash - name);
    if (n >= 4096) return 0;
    memcpy(dir, name, n);
    dir[n] = 0;
    return 1;
}

static void global_init(void)
{
    log_passthrough = getenv("VSC_LLAMA_LOG") != NULL;
    llama_log_set(log_cb, NULL);
    const char *env_dir = getenv("VSC_LLAMA_BACKEND_DIR");
    char dir[4096] = "";
    if (env_dir && *env_dir)
        snprintf(dir, sizeof(dir), "%s", env_dir);
    else
        dl_iterate_phdr(find_ggml_dir, dir);
    if (dir[0]) ggml_backend_load_all_from_path(dir);
    if (ggml_backend_dev_count() == 0) ggml_backend_load_all();
    llama_backend_init();
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* ---- small helpers ------------------------------------------------------------------------- */

static int fail_detail(char *detail, size_t len, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_detail(char *detail, size_t len, int status, const char *fmt, ...)
{
    if (detail && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, len, fmt, ap);
        va_end(ap);
    }
    return status;
}

/* log p(tok) under softmax(logits), in double so that sums over long options stay exact. */
static double log_sum_exp(const float *logits, int n)
{
    float mx = logits[0];
    for (int i = 1; i < n; i++)
        if (logits[i] > mx) mx = logits[i];
    double s = 0;
    for (int i = 0; i < n; i++)
        s += exp((double)logits[i] - mx);
    return mx + log(s);
}

/* The text of one token, valid UTF-8 (a token may hold half a character). malloc'd. */
static char *token_text(const struct lstate *st, llama_token tok, int special)
{
    char small[256];
    int n = llama_token_to_piece(st->vocab, tok, small, sizeof(small), 0, special);
    if (n < 0) return strdup("");
    return utf8_sanitize(small, (size_t)n, NULL);
}

static int builtin_template(const char *name)
{
    const char *names[128];
    int n = llama_chat_builtin_templates(names, 128);
    for (int i = 0; i < n && i < 128; i++)
        if (strcmp(names[i], name) == 0) return 1;
    return 0;
}

static char *builtin_template_list(void)
{
    const char *names[128];
    int n = llama_chat_builtin_templates(names, 128);
    struct buf b;
    buf_init(&b, 1 << 16);
    for (int i = 0; i < n && i < 128; i++)
        buf_printf(&b, "%s%s", i ? ", " : "", names[i]);
    return buf_take(&b);
}

/* ---- prompts ------------------------------------------------------------------------------- */

/* The chat prompt for `messages` with the assistant turn opened. malloc'd, NULL on error. */
static char *render_prompt(const struct lstate *st, json_t *messages, char *detail, size_t len)
{
    size_t n = json_array_size(messages);
    struct llama_chat_message *msgs = NULL;
    char **owned = NULL;
    char *out = NULL;
    if (!json_is_array(messages) || n == 0) {
        fail_detail(detail, len, 0, "request has no messages");
        return NULL;
    }
    msgs = calloc(n, sizeof(*msgs));
    owned = calloc(n, sizeof(*owned));
    if (!msgs || !owned) goto fail;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *m = json_array_get(messages, i);
        const char *role = json_string_value(json_object_get(m, "role"));
        json_t *c = json_object_get(m, "content");
        if (!role) {
            fail_detail(detail, len, 0, "message %zu has no role", i);
            goto fail;
        }
        if (json_is_string(c)) {
            owned[i] = strdup(json_string_value(c));
        } else if (json_is_array(c)) { /* content parts: keep the text ones */
            struct buf b;
            buf_init(&b, (size_t)1 << 30);
            size_t k;
            json_t *part;
            json_array_foreach(c, k, part)
            {
                const char *t = json_string_value(json_object_get(part, "text"));
                if (t) buf_puts(&b, t);
            }
            owned[i] = buf_take(&b);
        } else if (!c || json_is_null(c)) {
            owned[i] = strdup("");
        } else {
            fail_detail(detail, len, 0, "message %zu: content must be a string", i);
            goto fail;
        }
        if (!owned[i]) goto fail;
        msgs[i].role = role;
        msgs[i].content = owned[i];
        total += strlen(owned[i]) + strlen(role);
    }
    if (!st->tmpl) { /* plain text: base models without a chat format */
        struct buf b;
        buf_init(&b, (size_t)1 << 30);
        for (size_t i = 0; i < n; i++) {
            if (i) buf_puts(&b, "\n");
            buf_puts(&b, msgs[i].content);
        }
        out = buf_take(&b);
    } else {
        int cap = (int)(total * 2 + 256);
        out = malloc((size_t)cap);
        if (!out) goto fail;
        int r = llama_chat_apply_template(st->tmpl, msgs, n, true, out, cap);
        if (r > cap) {
            char *bigger = realloc(out, (size_t)r + 1);
            if (!bigger) goto fail;
            out = bigger;
            cap = r + 1;
            r = llama_chat_apply_template(st->tmpl, msgs, n, true, out, cap);
        }
        if (r < 0 || r >= cap) {
            fail_detail(detail, len, 0, "chat template could not format the messages");
            goto fail;
        }
        out[r] = 0;
    }
    for (size_t i = 0; i < n; i++)
        free(owned[i]);
    free(owned);
    free(msgs);
    return out;
fail:
    if (detail && len && !detail[0]) snprintf(detail, len, "out of memory");
    if (owned)
        for (size_t i = 0; i < n; i++)
            free(owned[i]);
    free(owned);
    free(msgs);
    free(out);
    return NULL;
}

/* Tokens of `text` with the model's BOS and with special tokens written in the template
 * parsed as such (as llama-server does). *out is malloc'd. */
static int tokenize(const struct lstate *st, const char *text, llama_token **out, int *n_out)
{
    size_t len = strlen(text);
    if (len > INT32_MAX / 2) return VSC_ERR_INPUT;
    int cap = (int)len + 8;
    llama_token *t = malloc(sizeof(*t) * (size_t)cap);
    if (!t) return VSC_ERR_NOMEM;
    int n = llama_tokenize(st->vocab, text, (int32_t)len, t, cap, true, true);
    if (n < 0 && n != INT32_MIN) {
        cap = -n;
        llama_token *bigger = realloc(t, sizeof(*t) * (size_t)cap);
        if (!bigger) {
            free(t);
            return VSC_ERR_NOMEM;
        }
        t = bigger;
        n = llama_tokenize(st->vocab, text, (int32_t)len, t, cap, true, true);
    }
    if (n < 0) {
        free(t);
        return VSC_ERR_INPUT;
    }
    *out = t;
    *n_out = n;
    return 0;
}

/* ---- decoding ------------------------------------------------------------------------------ */

/* One token to decode: where it goes and whether its logits are wanted. */
struct tok_entry {
    llama_token tok;
    llama_pos pos;
    llama_seq_id seq;
    int want;
    int owner; /* caller's index (option or request) */
};

/* Called for each entry with want set, right after the decode that computed it; `idx` is the
 * entry's place in that batch (for llama_get_logits_ith / llama_sampler_sample). */
typedef void (*logits_fn)(struct lstate *st, const struct tok_entry *e, int idx, void *payload);

/* Decodes entries in batches of n_batch. Returns 0 or VSC_ERR_* with `detail`. */
static int decode_entries(struct lstate *st, const struct tok_entry *e, size_t n, logits_fn fn,
                          void *payload, char *detail, size_t len)
{
    size_t i = 0;
    while (i < n) {
        size_t m = n - i < (size_t)st->n_batch ? n - i : (size_t)st->n_batch;
        struct llama_batch *b = &st->batch;
        b->n_tokens = (int32_t)m;
        for (size_t k = 0; k < m; k++) {
            b->token[k] = e[i + k].tok;
            b->pos[k] = e[i + k].pos;
            b->n_seq_id[k] = 1;
            b->seq_id[k][0] = e[i + k].seq;
            b->logits[k] = (int8_t)(e[i + k].want != 0);
        }
        int rc = llama_decode(st->ctx, *b);
        if (rc == 1)
            return fail_detail(detail, len, VSC_ERR_INPUT,
                               "context too small: no room left in the KV cache (n_ctx %d)",
                               st->n_ctx);
        if (rc != 0)
            return fail_detail(detail, len, VSC_ERR_INTERNAL, "llama_decode failed (%d)%s%s", rc,
                               last_error[0] ? ": " : "", last_error);
        for (size_t k = 0; k < m; k++)
            if (e[i + k].want) fn(st, &e[i + k], (int)k, payload);
        i += m;
    }
    return 0;
}

/* ---- option scoring ------------------------------------------------------------------------ */

struct score_job {
    llama_token **toks; /* prompt + option, per option */
    int *n_toks;
    int prefix;  /* tokens shared by every option (evaluated once) */
    double *sum; /* per option: log p of its tokens after the prefix */
};

/* Logits at position p predict token p + 1 of the option that owns the entry. */
static void add_next_logprob(struct lstate *st, const struct tok_entry *e, int idx, void *payload)
{
    struct score_job *job = payload;
    const float *logits = llama_get_logits_ith(st->ctx, idx);
    llama_token next = job->toks[e->owner][e->pos + 1];
    job->sum[e->owner] += (double)logits[next] - log_sum_exp(logits, st->n_vocab);
}

/* The last prefix position predicts the first differing token of every option. */
static void add_first_logprobs(struct lstate *st, const struct tok_entry *e, int idx, void *payload)
{
    struct score_job *job = payload;
    const float *logits = llama_get_logits_ith(st->ctx, idx);
    double lse = log_sum_exp(logits, st->n_vocab);
    for (int o = 0; job->toks[o]; o++)
        job->sum[o] += (double)logits[job->toks[o][job->prefix]] - lse;
}

static int score_cached(struct lstate *st, struct score_job *job, size_t n_opt, char *detail,
                        size_t len)
{
    llama_memory_t mem = llama_get_memory(st->ctx);
    int L = job->prefix;
    int max_len = 0;
    for (size_t o = 0; o < n_opt; o++)
        if (job->n_toks[o] > max_len) max_len = job->n_toks[o];
    struct tok_entry *e = malloc(sizeof(*e) * (size_t)(max_len > L ? max_len : L) * n_opt);
    if (!e) return VSC_ERR_NOMEM;
    int rc;
    llama_memory_clear(mem, true);
    for (int p = 0; p < L; p++)
        e[p] = (struct tok_entry){job->toks[0][p], p, 0, p == L - 1, 0};
    rc = decode_entries(st, e, (size_t)L, add_first_logprobs, job, detail, len);
    if (rc) goto fail;
    /* Remaining option tokens, in rounds of as many sequences (and cells) as there are. */
    size_t o = 0;
    while (o < n_opt) {
        size_t n = 0;
        int cells = L, seq = 1;
        while (o < n_opt && seq < st->n_seq) {
            int extra = job->n_toks[o] - 1 - L; /* the last token is only predicted */
            if (seq > 1 && cells + extra > st->n_ctx) break;
            if (extra > 0) llama_memory_seq_cp(mem, 0, seq, -1, -1);
            for (int p = L; p < job->n_toks[o] - 1; p++)
                e[n++] = (struct tok_entry){job->toks[o][p], p, seq, 1, (int)o};
            cells += extra > 0 ? extra : 0;
            seq++;
            o++;
        }
        rc = decode_entries(st, e, n, add_next_logprob, job, detail, len);
        for (int s = 1; s < seq; s++)
            llama_memory_seq_rm(mem, s, -1, -1);
        if (rc) goto fail;
    }
    free(e);
    return 0;
fail:
    free(e);
    return rc;
}

static int score_scratch(struct lstate *st, struct score_job *job, size_t n_opt, char *detail,
                         size_t len)
{
    llama_memory_t mem = llama_get_memory(st->ctx);
    int L = job->prefix;
    for (size_t o = 0; o < n_opt; o++) {
        int n = job->n_toks[o] - 1;
        struct tok_entry *e = malloc(sizeof(*e) * (size_t)n);
        if (!e) return VSC_ERR_NOMEM;
        for (int p = 0; p < n; p++)
            e[p] = (struct tok_entry){job->toks[o][p], p, 0, p >= L - 1, (int)o};
        llama_memory_clear(mem, true);
        int rc = decode_entries(st, e, (size_t)n, add_next_logprob, job, detail, len);
        free(e);
        if (rc) return rc;
    }
    return 0;
}

/* Scores with the lock held. `prompt` is the rendered chat prompt. */
static int score_locked(struct lstate *st, const char *prompt, const char *const *options,
                        size_t n_opt, int from_scratch, double *out_sum, double *out_norm,
                        int *out_prompt_tokens, char *detail, size_t len)
{
    struct score_job job = {0};
    int rc = VSC_ERR_NOMEM;
    if (n_opt == 0)
        return fail_detail(detail, len, VSC_ERR_INPUT, "option scoring needs at least one option");
    job.toks = calloc(n_opt + 1, sizeof(*job.toks)); /* NULL-terminated for the callbacks */
    job.n_toks = calloc(n_opt, sizeof(*job.n_toks));
    job.sum = calloc(n_opt, sizeof(*job.sum));
    if (!job.toks || !job.n_toks || !job.sum) goto fail;
    int min_len = INT32_MAX, max_len = 0;
    for (size_t o = 0; o < n_opt; o++) {
        if (!options[o] || !options[o][0]) {
            rc = fail_detail(detail, len, VSC_ERR_INPUT, "option %zu is empty", o + 1);
            goto fail;
        }
        char *text = xasprintf("%s%s", prompt, options[o]);
        if (!text) goto fail;
        rc = tokenize(st, text, &job.toks[o], &job.n_toks[o]);
        free(text);
        if (rc) {
            fail_detail(detail, len, rc, "cannot tokenize option %zu", o + 1);
            goto fail;
        }
        if (job.n_toks[o] < min_len) min_len = job.n_toks[o];
        if (job.n_toks[o] > max_len) max_len = job.n_toks[o];
    }
    if (out_prompt_tokens) {
        llama_token *pt = NULL;
        int np = 0;
        if (tokenize(st, prompt, &pt, &np) == 0) *out_prompt_tokens = np;
        free(pt);
    }
    if (max_len > st->n_ctx) {
        rc = fail_detail(detail, len, VSC_ERR_INPUT,
                         "context too small: the prompt with an option is %d tokens but n_ctx "
                         "is %d (raise n_ctx)",
                         max_len, st->n_ctx);
        goto fail;
    }
    /* Shared prefix: the longest common token prefix, but every option keeps at least one
     * token of its own to score (one option's tokens may be a prefix of another's). */
    int L = 0;
    while (L < min_len) {
        size_t o = 1;
        while (o < n_opt && job.toks[o][L] == job.toks[0][L])
            o++;
        if (o < n_opt) break;
        L++;
    }
    if (L >= min_len) L = min_len - 1;
    if (L < 1) {
        rc = fail_detail(detail, len, VSC_ERR_INPUT,
                         "nothing to condition the options on (empty prompt and no BOS token)");
        goto fail;
    }
    job.prefix = L;
    rc = from_scratch ? score_scratch(st, &job, n_opt, detail, len)
                      : score_cached(st, &job, n_opt, detail, len);
    if (rc) goto fail;
    double mx = -INFINITY, z = 0;
    for (size_t o = 0; o < n_opt; o++)
        if (job.sum[o] > mx) mx = job.sum[o];
    for (size_t o = 0; o < n_opt; o++)
        z += exp(job.sum[o] - mx);
    for (size_t o = 0; o < n_opt; o++) {
        if (out_sum) out_sum[o] = job.sum[o];
        if (out_norm) out_norm[o] = job.sum[o] - mx - log(z);
    }
    rc = 0;
fail:
    if (job.toks)
        for (size_t o = 0; o < n_opt; o++)
            free(job.toks[o]);
    free(job.toks);
    free(job.n_toks);
    free(job.sum);
    return rc;
}

/* ---- requests ------------------------------------------------------------------------------ */

struct parsed {
    char *prompt;
    double temperature, top_p;
    long max_tokens, top_n;
    int want_lp;
    uint32_t seed;
    char **stops;
    size_t n_stops;
    char **options; /* option scoring when non-NULL */
    size_t n_options;
};

static void parsed_free(struct parsed *p)
{
    free(p->prompt);
    for (size_t i = 0; i < p->n_stops; i++)
        free(p->stops[i]);
    free(p->stops);
    for (size_t i = 0; i < p->n_options; i++)
        free(p->options[i]);
    free(p->options);
    memset(p, 0, sizeof(*p));
}

static int parse_strings(json_t *v, char ***out, size_t *n_out)
{
    size_t n = json_is_array(v) ? json_array_size(v) : json_is_string(v) ? 1 : 0;
    *out = NULL;
    *n_out = 0;
    if (!n) return 0;
    char **s = calloc(n, sizeof(*s));
    if (!s) return VSC_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_is_array(v) ? json_array_get(v, i) : v;
        if (json_is_string(x))
            s[i] = strdup(json_string_value(x));
        else if (json_is_number(x)) /* options written as numbers in YAML */
            s[i] = json_is_integer(x) ? xasprintf("%lld", (long long)json_integer_value(x))
                                      : xasprintf("%g", json_real_value(x));
        else
            s[i] = NULL;
        if (!s[i]) {
            for (size_t k = 0; k < i; k++)
                free(s[k]);
            free(s);
            return VSC_ERR_INPUT;
        }
    }
    *out = s;
    *n_out = n;
    return 0;
}

static int parse_request(const struct lstate *st, const struct backend_request *req,
                         struct parsed *p, char *detail, size_t len)
{
    json_error_t jerr;
    json_t *body = json_loads(req->body ? req->body : "", 0, &jerr);
    json_t *meta = NULL;
    int rc = VSC_ERR_INPUT;
    memset(p, 0, sizeof(*p));
    if (!json_is_object(body)) {
        fail_detail(detail, len, rc, "request body is not a JSON object: %s", jerr.text);
        goto fail;
    }
    p->prompt = render_prompt(st, json_object_get(body, "messages"), detail, len);
    if (!p->prompt) goto fail;
    json_t *v = json_object_get(body, "temperature");
    p->temperature = json_is_number(v) ? json_number_value(v) : 1.0;
    v = json_object_get(body, "top_p");
    p->top_p = json_is_number(v) ? json_number_value(v) : 1.0;
    v = json_object_get(body, "max_tokens");
    if (!v) v = json_object_get(body, "max_completion_tokens");
    p->max_tokens = json_is_integer(v) ? (long)json_integer_value(v) : DEFAULT_MAX_TOKENS;
    if (p->max_tokens < 1) {
        fail_detail(detail, len, rc, "max_tokens must be at least 1");
        goto fail;
    }
    p->want_lp = json_is_true(json_object_get(body, "logprobs"));
    v = json_object_get(body, "top_logprobs");
    p->top_n = json_is_integer(v) ? (long)json_integer_value(v) : 0;
    if (p->top_n < 0) p->top_n = 0;
    if (p->top_n > MAX_TOP_LOGPROBS) p->top_n = MAX_TOP_LOGPROBS;
    /* A seed in the body wins; otherwise the model's seed, moved on by the sample index so
     * that repeated samples differ but reruns do not. */
    v = json_object_get(body, "seed");
    p->seed = json_is_integer(v) ? (uint32_t)json_integer_value(v)
                                 : st->seed + (uint32_t)(req->sample > 0 ? req->sample : 0);
    if (parse_strings(json_object_get(body, "stop"), &p->stops, &p->n_stops)) {
        fail_detail(detail, len, rc, "stop must be a string or a list of strings");
        goto fail;
    }
    if (req->meta_json && req->meta_json[0]) {
        meta = json_loads(req->meta_json, 0, NULL);
        const char *mode = json_string_value(json_object_get(meta, "mode"));
        if (mode && strcmp(mode, "logprobs") == 0) {
            /* "options": the strings as answered; the planner's "tokens" (A, B, ...) are the
             * same thing for lettered options. */
            json_t *opts = json_object_get(meta, "options");
            if (!opts) opts = json_object_get(meta, "tokens");
            if (parse_strings(opts, &p->options, &p->n_options) || p->n_options == 0) {
                fail_detail(detail, len, rc,
                            "logprobs mode needs meta \"options\" (or \"tokens\"): a list of "
                            "option strings");
                goto fail;
            }
        }
    }
    json_decref(body);
    json_decref(meta);
    return 0;
fail:
    if (detail && len && !detail[0]) snprintf(detail, len, "out of memory");
    json_decref(body);
    json_decref(meta);
    parsed_free(p);
    return rc;
}

static void reply_error(struct backend_reply *r, const char *detail)
{
    r->error = VSC_E_BACKEND;
    free(r->detail);
    r->detail = strdup(detail && *detail ? detail : "llama backend error");
}

/* Answers one option-scoring request. Lock held. */
static void answer_scoring(struct lstate *st, struct parsed *p, struct backend_reply *reply)
{
    char detail[512] = "";
    double *sum = calloc(p->n_options, sizeof(double));
    double *norm = calloc(p->n_options, sizeof(double));
    size_t *order = calloc(p->n_options, sizeof(size_t));
    json_t *top = NULL, *lp = NULL, *raw = NULL;
    int n_prompt = 0;
    if (!sum || !norm || !order) {
        reply_error(reply, "out of memory");
        goto done;
    }
    if (score_locked(st, p->prompt, (const char *const *)p->options, p->n_options, 0, sum, norm,
                     &n_prompt, detail, sizeof(detail))) {
        reply_error(reply, detail);
        goto done;
    }
    /* Most probable first, as OpenAI orders top_logprobs; ties keep the options' order. */
    for (size_t i = 0; i < p->n_options; i++) {
        size_t k = i;
        while (k > 0 && norm[order[k - 1]] < norm[i]) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = i;
    }
    top = json_array();
    raw = json_array();
    for (size_t i = 0; i < p->n_options; i++) {
        size_t o = order[i];
        json_array_append_new(top,
                              json_pack("{s:s, s:f}", "token", p->options[o], "logprob", norm[o]));
        json_array_append_new(raw, json_pack("{s:s, s:f, s:f}", "option", p->options[o], "logprob",
                                             sum[o], "prob", exp(norm[o])));
    }
    size_t best = order[0];
    lp = json_pack("[{s:s, s:f, s:O}]", "token", p->options[best], "logprob", norm[best],
                   "top_logprobs", top);
    json_t *rawobj = json_pack("{s:s, s:O}", "mode", "logprobs", "options", raw);
    reply->text = strdup(p->options[best]);
    reply->finish_reason = strdup("stop");
    reply->logprobs_json = lp ? json_dumps(lp, JSON_COMPACT) : NULL;
    reply->raw = rawobj ? json_dumps(rawobj, JSON_COMPACT) : NULL;
    json_decref(rawobj);
    reply->prompt_tokens = n_prompt;
    reply->completion_tokens = 0;
    if (!reply->text || !reply->finish_reason || !reply->logprobs_json)
        reply_error(reply, "out of memory");
    else
        reply->error = VSC_E_NONE;
done:
    json_decref(top);
    json_decref(raw);
    json_decref(lp);
    free(sum);
    free(norm);
    free(order);
}

/* ---- generation ---------------------------------------------------------------------------- */

struct gen {
    struct parsed *p;
    struct backend_reply *reply;
    llama_token *toks;
    int n_toks;
    struct llama_sampler *smpl;
    struct buf text;
    json_t *lp;
    int seq, pos, limit, n_gen, done;
    llama_token next;
    const char *finish;
};

/* The logprobs entry of a sampled token, OpenAI chat format. */
static json_t *logprob_entry(const struct lstate *st, const float *logits, llama_token tok,
                             int top_n)
{
    double lse = log_sum_exp(logits, st->n_vocab);
    char *s = token_text(st, tok, 1);
    json_t *top = json_array();
    int best[MAX_TOP_LOGPROBS];
    int nb = 0;
    for (int i = 0; i < st->n_vocab && top_n > 0; i++) { /* insertion into a short list */
        if (nb == top_n && logits[i] <= logits[best[nb - 1]]) continue;
        int k = nb < top_n ? nb++ : nb - 1;
        while (k > 0 && logits[best[k - 1]] < logits[i]) {
            best[k] = best[k - 1];
            k--;
        }
        best[k] = i;
    }
    for (int k = 0; k < nb; k++) {
        char *t = token_text(st, best[k], 1);
        json_array_append_new(top, json_pack("{s:s, s:f}", "token", t ? t : "", "logprob",
                                             (double)logits[best[k]] - lse));
        free(t);
    }
    json_t *e = json_pack("{s:s, s:f, s:o}", "token", s ? s : "", "logprob",
                          (double)logits[tok] - lse, "top_logprobs", top);
    free(s);
    return e;
}

static void gen_step(struct lstate *st, const struct tok_entry *e, int idx, void *payload)
{
    struct gen *g = &((struct gen *)payload)[e->owner];
    const float *logits = llama_get_logits_ith(st->ctx, idx);
    llama_token tok = llama_sampler_sample(g->smpl, st->ctx, idx);
    if (g->p->want_lp && g->lp)
        json_array_append_new(g->lp, logprob_entry(st, logits, tok, (int)g->p->top_n));
    if (llama_vocab_is_eog(st->vocab, tok)) {
        g->done = 1;
        g->finish = "stop";
        return;
    }
    char piece[256];
    int n = llama_token_to_piece(st->vocab, tok, piece, sizeof(piece), 0, false);
    if (n > 0) buf_append(&g->text, piece, (size_t)n);
    g->n_gen++;
    for (size_t i = 0; i < g->p->n_stops; i++) {
        const char *hit = g->text.len ? strstr(g->text.data, g->p->stops[i]) : NULL;
        if (hit && g->p->stops[i][0]) {
            g->text.len = (size_t)(hit - g->text.data);
            g->text.data[g->text.len] = 0;
            g->done = 1;
            g->finish = "stop";
            return;
        }
    }
    if (g->n_gen >= g->p->max_tokens || g->pos >= g->limit) {
        g->done = 1;
        g->finish = "length";
        return;
    }
    g->next = tok;
}

static struct llama_sampler *make_sampler(const struct parsed *p)
{
    struct llama_sampler *c = llama_sampler_chain_init(llama_sampler_chain_default_params());
    if (!c) return NULL;
    if (p->temperature <= 0) {
        llama_sampler_chain_add(c, llama_sampler_init_greedy());
    } else {
        if (p->top_p < 1.0)
            llama_sampler_chain_add(c, llama_sampler_init_top_p((float)p->top_p, 1));
        llama_sampler_chain_add(c, llama_sampler_init_temp((float)p->temperature));
        llama_sampler_chain_add(c, llama_sampler_init_dist(p->seed));
    }
    return c;
}

/* Generates for gens[0..n) as parallel sequences, in groups that fit the context. Lock held. */
static void generate(struct lstate *st, struct gen *gens, size_t n)
{
    llama_memory_t mem = llama_get_memory(st->ctx);
    size_t start = 0;
    while (start < n) {
        /* Admit requests while their prompts plus answers fit in the cache. */
        size_t end = start;
        int cells = 0;
        while (end < n && (int)(end - start) < st->n_seq) {
            struct gen *g = &gens[end];
            long want = g->n_toks + g->p->max_tokens;
            int need = want > st->n_ctx ? st->n_ctx : (int)want;
            if (end > start && cells + need > st->n_ctx) break;
            g->seq = (int)(end - start);
            g->limit = need;
            cells += need;
            end++;
        }
        size_t n_prompt = 0;
        for (size_t i = start; i < end; i++)
            n_prompt += (size_t)gens[i].n_toks;
        struct tok_entry *e =
            malloc(sizeof(*e) * (n_prompt > end - start ? n_prompt : end - start));
        if (!e) {
            for (size_t i = start; i < end; i++)
                reply_error(gens[i].reply, "out of memory");
            start = end;
            continue;
        }
        llama_memory_clear(mem, true);
        size_t k = 0;
        for (size_t i = start; i < end; i++) {
            struct gen *g = &gens[i];
            for (int p = 0; p < g->n_toks; p++)
                e[k++] = (struct tok_entry){g->toks[p], p, g->seq, p == g->n_toks - 1, (int)i};
            g->pos = g->n_toks;
        }
        char detail[512] = "";
        int rc = decode_entries(st, e, k, gen_step, gens, detail, sizeof(detail));
        while (rc == 0) {
            k = 0;
            for (size_t i = start; i < end; i++) {
                struct gen *g = &gens[i];
                if (g->done) continue;
                e[k++] = (struct tok_entry){g->next, g->pos, g->seq, 1, (int)i};
                g->pos++;
            }
            if (!k) break;
            rc = decode_entries(st, e, k, gen_step, gens, detail, sizeof(detail));
        }
        free(e);
        for (size_t i = start; i < end; i++) {
            struct gen *g = &gens[i];
            struct backend_reply *r = g->reply;
            if (rc) {
                reply_error(r, detail);
                continue;
            }
            r->text = utf8_sanitize(g->text.data ? g->text.data : "", g->text.len, NULL);
            r->finish_reason = strdup(g->finish ? g->finish : "length");
            if (g->p->want_lp && g->lp) r->logprobs_json = json_dumps(g->lp, JSON_COMPACT);
            r->prompt_tokens = g->n_toks;
            r->completion_tokens = g->n_gen;
            r->error = r->text && r->finish_reason ? VSC_E_NONE : VSC_E_BACKEND;
            if (r->error) reply_error(r, "out of memory");
        }
        start = end;
    }
}

static int llama_answer_batch(void *state, const struct backend_request *reqs,
                              struct backend_reply *replies, size_t n)
{
    struct lstate *st = state;
    struct parsed *ps = calloc(n ? n : 1, sizeof(*ps));
    struct gen *gens = calloc(n ? n : 1, sizeof(*gens));
    if (!ps || !gens) {
        for (size_t i = 0; i < n; i++)
            reply_error(&replies[i], "out of memory");
        free(ps);
        free(gens);
        return 0;
    }
    pthread_mutex_lock(&st->lock);
    size_t n_gen = 0;
    for (size_t i = 0; i < n; i++) {
        char detail[512] = "";
        struct backend_reply *r = &replies[i];
        r->retry_after_ms = -1;
        if (parse_request(st, &reqs[i], &ps[i], detail, sizeof(detail))) {
            reply_error(r, detail);
            continue;
        }
        if (ps[i].options) {
            answer_scoring(st, &ps[i], r);
            continue;
        }
        struct gen *g = &gens[n_gen];
        g->p = &ps[i];
        g->reply = r;
        if (tokenize(st, ps[i].prompt, &g->toks, &g->n_toks)) {
            reply_error(r, "cannot tokenize the prompt");
            continue;
        }
        if (g->n_toks + 1 > st->n_ctx) {
            snprintf(detail, sizeof(detail),
                     "context too small: the prompt is %d tokens but n_ctx is %d (raise n_ctx "
                     "or shorten the prompt)",
                     g->n_toks, st->n_ctx);
            reply_error(r, detail);
            free(g->toks);
            memset(g, 0, sizeof(*g));
            continue;
        }
        g->smpl = make_sampler(&ps[i]);
        buf_init(&g->text, (size_t)64 << 20);
        g->lp = ps[i].want_lp ? json_array() : NULL;
        if (!g->smpl) {
            reply_error(r, "cannot create the sampler");
            free(g->toks);
            buf_free(&g->text);
            json_decref(g->lp);
            memset(g, 0, sizeof(*g));
            continue;
        }
        n_gen++;
    }
    generate(st, gens, n_gen);
    pthread_mutex_unlock(&st->lock);
    for (size_t i = 0; i < n_gen; i++) {
        free(gens[i].toks);
        llama_sampler_free(gens[i].smpl);
        buf_free(&gens[i].text);
        json_decref(gens[i].lp);
    }
    for (size_t i = 0; i < n; i++)
        parsed_free(&ps[i]);
    free(ps);
    free(gens);
    return 0;
}

static int llama_answer(void *state, const struct backend_request *req, struct backend_reply *reply)
{
    return llama_answer_batch(state, req, reply, 1);
}

int backend_llama_score(void *state, const char *body, const char *const *options, size_t n_options,
                        int from_scratch, double *out_logprob, double *out_norm, char *detail,
                        size_t detail_len)
{
    struct lstate *st = state;
    struct backend_request req = {.body = body};
    struct parsed p;
    if (detail && detail_len) detail[0] = 0;
    if (!st) return fail_detail(detail, detail_len, VSC_ERR_INPUT, "no model");
    int rc = parse_request(st, &req, &p, detail, detail_len);
    if (rc) return rc;
    pthread_mutex_lock(&st->lock);
    rc = score_locked(st, p.prompt, options, n_options, from_scratch, out_logprob, out_norm, NULL,
                      detail, detail_len);
    pthread_mutex_unlock(&st->lock);
    parsed_free(&p);
    return rc;
}

/* ---- open / close -------------------------------------------------------------------------- */

static void llama_close(void *state)
{
    struct lstate *st = state;
    if (!st) return;
    if (st->batch.token) llama_batch_free(st->batch);
    if (st->ctx) llama_free(st->ctx);
    if (st->model) llama_model_free(st->model);
    pthread_mutex_destroy(&st->lock);
    free(st->name);
    free(st->tmpl);
    free(st);
}

/* Checks the file before llama.cpp sees it, so that the common mistakes get a plain message. */
static int check_gguf(const char *path, const struct vsc_model_cfg *m, struct vsc_diag *diag)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return vsc_diag_set(diag, path, 0, 0, "model '%s': cannot open GGUF file: %s", m->name,
                            strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return vsc_diag_set(diag, path, 0, 0, "model '%s': model_path is not a file", m->name);
    FILE *f = fopen(path, "rb");
    char magic[4] = {0};
    size_t got = f ? fread(magic, 1, 4, f) : 0;
    if (f) fclose(f);
    if (!f)
        return vsc_diag_set(diag, path, 0, 0, "model '%s': cannot open GGUF file: %s", m->name,
                            strerror(errno));
    if (got != 4 || memcmp(magic, "GGUF", 4) != 0)
        return vsc_diag_set(diag, path, 0, 0,
                            "model '%s': not a GGUF file (it does not start with \"GGUF\")",
                            m->name);
    return 0;
}

static int llama_open(void **state, const struct vsc_model_cfg *m, const char *base_dir,
                      struct vsc_diag *diag)
{
    *state = NULL;
    struct llama_opts opt = {0};
    struct lstate *st = calloc(1, sizeof(*st));
    char *path = NULL, *names = NULL;
    int rc = VSC_ERR_NOMEM;
    if (!st) goto fail;
    pthread_mutex_init(&st->lock, NULL);
    pthread_once(&init_once, global_init);
    st->name = strdup(m->name ? m->name : "llama");
    if (!st->name) goto fail;
    if ((rc = llama_opts_parse(&opt, m, (long)llama_max_parallel_sequences(), diag))) goto fail;
    /* Named templates are checked before the (slow) model load. */
    const char *tname = opt.chat_template;
    int raw = opt.tmpl_raw, from_gguf = opt.tmpl_from_gguf;
    if (!raw && !from_gguf && !opt.tmpl_literal && !builtin_template(tname)) {
        names = builtin_template_list();
        rc = vsc_diag_set(diag, "", m->line, 0,
                          "model '%s': unknown chat_template '%s'; use one of: gguf (the "
                          "model's own), none (plain text), %s, or a template text",
                          m->name, tname, names ? names : "");
        goto fail;
    }
    long n_ctx = opt.n_ctx, n_batch = opt.n_batch, n_par = opt.n_parallel;

    rc = VSC_ERR_NOMEM;
    path = path_join(base_dir, opt.model_path);
    if (!path) goto fail;
    if ((rc = check_gguf(path, m, diag))) goto fail;
    if (ggml_backend_dev_count() == 0) {
        rc = vsc_diag_set(diag, "", m->line, 0,
                          "model '%s': no ggml compute backend could be loaded (the "
                          "libggml-cpu-*.so files next to libggml-base.so); set "
                          "VSC_LLAMA_BACKEND_DIR to their folder or rerun scripts/fetch-llama.sh",
                          m->name);
        rc = VSC_ERR_UNSUPPORTED;
        goto fail;
    }

    struct llama_model_params mp = llama_model_default_params();
    last_error[0] = 0;
    st->model = llama_model_load_from_file(path, mp);
    if (!st->model) {
        rc = vsc_diag_set(diag, path, 0, 0, "model '%s': llama.cpp cannot load this GGUF file%s%s",
                          m->name, last_error[0] ? ": " : "", last_error);
        goto fail;
    }
    st->vocab = llama_model_get_vocab(st->model);
    st->n_vocab = llama_vocab_n_tokens(st->vocab);

    if (from_gguf) {
        const char *t = llama_model_chat_template(st->model, NULL);
        if (!t) {
            names = builtin_template_list();
            rc = vsc_diag_set(diag, path, 0, 0,
                              "model '%s': the GGUF file has no chat template; set "
                              "chat_template to none (plain text) or one of: %s",
                              m->name, names ? names : "");
            goto fail;
        }
        st->tmpl = strdup(t);
    } else if (!raw) {
        st->tmpl = strdup(tname);
    }
    if (!raw && !st->tmpl) {
        rc = VSC_ERR_NOMEM;
        goto fail;
    }
    if (st->tmpl) { /* llama.cpp formats only the templates it recognises */
        struct llama_chat_message probe = {"user", "x"};
        char out[256];
        if (llama_chat_apply_template(st->tmpl, &probe, 1, true, out, sizeof(out)) < 0) {
            names = builtin_template_list();
            rc =
                vsc_diag_set(diag, from_gguf ? path : "", from_gguf ? 0 : m->line, 0,
                             "model '%s': llama.cpp does not support the chat template %s; "
                             "set chat_template to none or one of: %s",
                             m->name, from_gguf ? "in the GGUF file" : "given", names ? names : "");
            goto fail;
        }
    }

    struct llama_context_params cp = llama_context_default_params();
    int n_train = llama_model_n_ctx_train(st->model);
    cp.n_ctx = (uint32_t)(n_ctx ? n_ctx : (n_train > 0 && n_train < 4096 ? n_train : 4096));
    cp.n_batch = (uint32_t)n_batch;
    cp.n_ubatch = (uint32_t)n_batch;
    cp.n_seq_max = (uint32_t)(n_par < 2 ? 2 : n_par); /* scoring needs the prefix + one */
    cp.n_threads = (int32_t)opt.threads;
    cp.n_threads_batch = (int32_t)opt.threads;
    cp.flash_attn_type = opt.flash_attn == LLAMA_FA_ON    ? LLAMA_FLASH_ATTN_TYPE_ENABLED
                         : opt.flash_attn == LLAMA_FA_OFF ? LLAMA_FLASH_ATTN_TYPE_DISABLED
                                                          : LLAMA_FLASH_ATTN_TYPE_AUTO;
    cp.kv_unified = true; /* options share the prompt's cells instead of copying them */
    cp.no_perf = true;
    st->ctx = llama_init_from_model(st->model, cp);
    if (!st->ctx) {
        rc = vsc_diag_set(diag, "", m->line, 0,
                          "model '%s': llama.cpp cannot create a context (n_ctx %ld, n_batch "
                          "%ld)%s%s",
                          m->name, n_ctx, n_batch, last_error[0] ? ": " : "", last_error);
        goto fail;
    }
    st->n_ctx = (int)llama_n_ctx(st->ctx);
    st->n_batch = (int)llama_n_batch(st->ctx);
    st->n_seq = (int)llama_n_seq_max(st->ctx);
    st->seed = (uint32_t)opt.seed;
    st->batch = llama_batch_init(st->n_batch, 0, 1);
    if (!st->batch.token) {
        rc = VSC_ERR_NOMEM;
        goto fail;
    }
    free(path);
    llama_opts_free(&opt);
    *state = st;
    return 0;
fail:
    if (rc == VSC_ERR_NOMEM)
        vsc_diag_set(diag, "", m->line, 0, "model '%s': out of memory", m->name ? m->name : "?");
    free(names);
    free(path);
    llama_opts_free(&opt);
    llama_close(st);
    return rc;
}

const struct backend_ops backend_llama = {
    .name = "llama",
    .keys = llama_keys,
    .open = llama_open,
    .close = llama_close,
    .answer = llama_answer,
    .answer_batch = llama_answer_batch,
};

#endif /* VSC_HAVE_LLAMA */
