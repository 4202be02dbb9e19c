/* The backend interface: how the dispatcher talks to a kind of model.
 *
 * Every request body is an OpenAI-style JSON object ({"model", "messages", sampling params...}),
 * built by the planner. HTTP backends (openai) turn it into a curl request and parse the reply;
 * local backends (sim, replay, llama) answer it in-process. */
#ifndef VSC_BACKEND_H
#define VSC_BACKEND_H

#include "valscope/config.h"
#include "valscope/run.h"

/* What a backend is asked. Borrowed for the duration of the call. */
struct backend_request {
    const char *body;      /* JSON request body */
    const char *meta_json; /* cell metadata (dimension, key, options, respondent...) */
    const char *item;      /* item id */
    const char *condition;
    int sample;
};

/* What a backend answers. Strings are malloc'd and owned by the reply (reply_clear frees). */
struct backend_reply {
    enum vsc_error_kind error; /* VSC_E_NONE when answered */
    int http_status;
    char *text;
    char *finish_reason;
    char *logprobs_json; /* OpenAI chat format: [{"token","logprob","top_logprobs":[...]}] */
    char *raw;
    char *detail;        /* human-readable reason for an error */
    int prompt_tokens;
    int completion_tokens;
    int retry_after_ms;  /* from Retry-After, -1 when absent */
};
void reply_clear(struct backend_reply *r);

/* HTTP backends: the dispatcher owns the transfer (libcurl multi, retries, pacing, size and
 * speed limits); these hooks say where and what to send and how to read a reply. Each takes the
 * state open() made. */
struct backend_http {
    /* The endpoint for one of the model's base URLs. Malloc'd; NULL when out of memory. */
    char *(*url)(void *state, const char *base_url);
    /* The request headers ("Name: value"), NULL-terminated, borrowed from the state. */
    const char *const *(*headers)(void *state);
    /* The body to send for a cell's request body: *out malloc'd, or NULL to send `body` as it
     * is. Returns 0 or VSC_ERR_NOMEM. */
    int (*body)(void *state, const char *body, char **out);
    /* Reads a 2xx reply's body into `reply` (text, usage, logprobs, or reply->error). */
    int (*parse)(void *state, const char *body, size_t len, struct backend_reply *reply);
};

struct backend_ops {
    const char *name;
    /* The backend's own option keys in a model entry, NULL-terminated (the common ones are
     * config_model_keys); the config accepts these and no others for this backend. */
    const char *const *keys;
    /* Set for a backend reached over HTTP; NULL for one that answers in-process. */
    const struct backend_http *http;
    /* Opens one model; `state` is handed back to every other call. diag on bad options. */
    int (*open)(void **state, const struct vsc_model_cfg *model, const char *base_dir,
                struct vsc_diag *diag);
    void (*close)(void *state);
    /* Local backends: answers one request. Returns 0; failures go in reply->error. */
    int (*answer)(void *state, const struct backend_request *req, struct backend_reply *reply);
    /* Local backends may answer several at once (llama decodes them as parallel sequences);
     * NULL means call answer() for each. */
    int (*answer_batch)(void *state, const struct backend_request *reqs,
                        struct backend_reply *replies, size_t n);
};

/* Looks a backend up by name; NULL when unknown. */
const struct backend_ops *backend_find(const char *name);
/* "openai|sim|replay|llama": every backend's name in registry order, for messages. Malloc'd;
 * NULL when out of memory. */
char *backend_names(void);

extern const struct backend_ops backend_openai;
extern const struct backend_ops backend_sim;
extern const struct backend_ops backend_replay;
extern const struct backend_ops backend_llama;

#endif
