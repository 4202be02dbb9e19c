/* The dispatcher: one libcurl multi handle drives every HTTP model; local backends answer in
 * the same loop. Finished requests are committed in one transaction per loop turn, as soon as
 * they are collected, so kill -9 loses only what is in flight. Pending cells are read from the
 * store a page at a time per model, so memory stays bounded whatever the plan's size. */
#include "dispatch/dispatch.h"

#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "backends/backend.h"
#include "store/store_int.h"
#include "util/util.h"

#define PAGE 256
#define RAW_KEEP (64u << 10) /* raw bodies of successful replies kept up to this size */

struct endpoint {
    char *url;
    int in_flight;
};

struct model_rt {
    const struct vsc_model_cfg *cfg;
    const struct backend_ops *ops;
    void *state;
    struct endpoint *eps;
    size_t n_eps;
    int limit;
    int busy; /* jobs holding a slot: in flight or waiting to retry */
    int opened; /* backends are opened when their first cell comes up */
    json_t *settled; /* keys committed since the current page was read: a duplicate cell later
                      * in the page must not be sent again (bounded by page + concurrency) */
    struct pending_cell page[PAGE];
    size_t page_n, page_pos;
    int64_t cursor;
    int exhausted;
    double next_start_ms; /* requests/min pacing */
    double tpm_budget, tpm_last_ms;
    struct curl_slist *hdrs; /* the same headers for every request of the model */
};

struct job {
    struct job *next;
    struct job *prev_active, *next_active; /* while its transfer is in the multi handle */
    struct model_rt *m;
    struct pending_cell cell;
    int attempt;
    double due_ms, start_ms;
    double latency_ms;
    CURL *easy;
    struct buf resp;
    struct endpoint *ep;
    char *send_body; /* the backend's body for the cell, when not cell.body itself */
    int too_large;
    int too_slow;
    double window_ms;    /* low-speed check: start of the current window, 0 until a byte came */
    double window_bytes; /* bytes received when the window started */
    double header_bytes;
    long http_status;
    struct backend_reply reply;
};

struct dispatcher {
    const struct dispatch_opts *opts;
    struct vsc_store *store;
    struct vsc_progress *p;
    CURLM *multi;
    struct model_rt *models;
    size_t n_models;
    struct job *retry_head;    /* sorted by due time */
    struct job *active;        /* transfers in the multi handle, freed on any exit */
    struct job **finished;     /* collected this turn, committed together */
    size_t n_finished, cap_finished;
    json_t *in_flight_keys;    /* cache keys being worked on: duplicates wait for them */
    CURL **easy_pool;
    size_t n_pool, cap_pool;
    int http_active;
    struct rng rng;
    double t0;
    double last_report;
    struct vsc_diag *diag;
};

int dispatch_backoff_ms(int attempt, int base_ms, int max_ms, int retry_after_ms, double u01)
{
    if (retry_after_ms >= 0) {
        /* retry_max_ms caps the server's wish too: a waiting retry holds a concurrency slot */
        int ra = retry_after_ms < max_ms ? retry_after_ms : max_ms;
        return ra + (int)(u01 * 100); /* a little jitter so a crowd does not return at once */
    }
    double d = base_ms;
    for (int i = 1; i < attempt && d < max_ms; i++) d *= 2;
    if (d > max_ms) d = max_ms;
    return (int)(d / 2 + d / 2 * u01);
}

int dispatch_parse_retry_after(const char *value, long now_epoch_s)
{
    while (*value == ' ' || *value == '\t') value++;
    if (!*value) return -1;
    char *end;
    long secs = strtol(value, &end, 10);
    if (end != value) {
        while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n') end++;
        if (*end) return -1;
        if (secs < 0) return -1;
        return secs > 86400 ? 86400000 : (int)secs * 1000;
    }
    time_t t = curl_getdate(value, NULL);
    if (t == (time_t)-1) return -1;
    long d = (long)t - now_epoch_s;
    return d <= 0 ? 0 : (d > 86400 ? 86400000 : (int)d * 1000);
}

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
    struct job *j = userp;
    if (buf_append(&j->resp, data, size * n) != 0) {
        j->too_large = 1;
        return 0; /* abort the transfer: CURLE_WRITE_ERROR */
    }
    return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
    struct job *j = userp;
    size_t len = size * n;
    j->header_bytes += (double)len;
    if (!j->window_ms) j->window_ms = now_ms(); /* the reply has started */
    static const char name[] = "retry-after:";
    if (len > sizeof(name) - 1 && strncasecmp(data, name, sizeof(name) - 1) == 0) {
        char v[128];
        size_t vl = len - (sizeof(name) - 1);
        if (vl >= sizeof(v)) vl = sizeof(v) - 1;
        memcpy(v, data + sizeof(name) - 1, vl);
        v[vl] = 0;
        j->reply.retry_after_ms = dispatch_parse_retry_after(v, (long)time(NULL));
    }
    return len;
}

/* Cuts a reply that trickles: once it has started, each window of low_speed_seconds must bring
 * low_speed_bytes per second (headers count). Waiting for the server to start answering is
 * left to timeout_ms, so a model that thinks long before replying is not cut. */
static int on_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    struct job *j = userp;
    const struct vsc_model_cfg *m = j->m->cfg;
    if (m->low_speed_seconds <= 0 || !j->window_ms) return 0;
    double now = now_ms(), got = (double)dlnow + j->header_bytes;
    if (now - j->window_ms < m->low_speed_seconds * 1000.0) return 0;
    if (got - j->window_bytes < (double)m->low_speed_bytes * m->low_speed_seconds) {
        j->too_slow = 1;
        return 1; /* abort: CURLE_ABORTED_BY_CALLBACK */
    }
    j->window_ms = now;
    j->window_bytes = got;
    return 0;
}

static int is_retryable(enum vsc_error_kind k)
{
    return k == VSC_E_HTTP_429 || k == VSC_E_HTTP_5XX || k == VSC_E_TIMEOUT ||
           k == VSC_E_CONNECTION || k == VSC_E_BAD_JSON || k == VSC_E_NO_CHOICES || k == VSC_E_SLOW;
}

/* "HTTP 302 redirect to HOST": the host the server points at, never the rest of the URL (it may
 * carry credentials). */
static char *redirect_detail(CURL *e, long status)
{
    char *to = NULL, *host = NULL;
    curl_easy_getinfo(e, CURLINFO_REDIRECT_URL, &to);
    CURLU *u = to ? curl_url() : NULL;
    if (u && curl_url_set(u, CURLUPART_URL, to, 0) == CURLUE_OK)
        curl_url_get(u, CURLUPART_HOST, &host, 0);
    char *s = xasprintf("HTTP %ld redirect to %s (redirects are not followed: the API key stays "
                        "with base_url; point base_url at the final address)",
                        status,
                        host ? host
                        : to ? "an unparsable Location"
                             : "no Location");
    curl_free(host);
    curl_url_cleanup(u);
    return s;
}

static struct endpoint *least_busy(struct model_rt *m)
{
    struct endpoint *best = &m->eps[0];
    for (size_t i = 1; i < m->n_eps; i++)
        if (m->eps[i].in_flight < best->in_flight) best = &m->eps[i];
    return best;
}

static CURL *easy_get(struct dispatcher *d)
{
    if (d->n_pool) return d->easy_pool[--d->n_pool];
    return curl_easy_init();
}

static void easy_put(struct dispatcher *d, CURL *e)
{
    if (d->n_pool == d->cap_pool) {
        size_t cap = d->cap_pool ? d->cap_pool * 2 : 64;
        CURL **p = realloc(d->easy_pool, cap * sizeof(*p));
        if (!p) {
            curl_easy_cleanup(e);
            return;
        }
        d->easy_pool = p;
        d->cap_pool = cap;
    }
    curl_easy_reset(e);
    d->easy_pool[d->n_pool++] = e;
}

static int http_start(struct dispatcher *d, struct job *j)
{
    struct model_rt *m = j->m;
    CURL *e = easy_get(d);
    if (!e) return VSC_ERR_NOMEM;
    j->easy = e;
    j->ep = least_busy(m);
    j->ep->in_flight++;
    buf_init(&j->resp, d->opts->cfg->max_body_bytes);
    j->too_large = j->too_slow = 0;
    j->window_ms = j->window_bytes = j->header_bytes = 0;
    j->http_status = 0;
    reply_clear(&j->reply);
    int rc = j->send_body ? 0 : m->ops->http->body(m->state, j->cell.body, &j->send_body);
    if (rc) return rc;
    const char *post = j->send_body ? j->send_body : j->cell.body;
    curl_easy_setopt(e, CURLOPT_URL, j->ep->url);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, post);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(post));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, m->hdrs);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, j);
    curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(e, CURLOPT_XFERINFODATA, j);
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)m->cfg->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PRIVATE, j);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    /* waiting to multiplex only makes sense where HTTP/2 can be negotiated (TLS); on plain
     * http it would hold every new transfer back behind the first response */
    if (!strncmp(j->ep->url, "https://", 8)) curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "valscope/" VSC_VERSION);
    j->start_ms = now_ms();
    if (curl_multi_add_handle(d->multi, e) != CURLM_OK) return VSC_ERR_INTERNAL;
    d->http_active++;
    j->prev_active = NULL;
    j->next_active = d->active;
    if (d->active) d->active->prev_active = j;
    d->active = j;
    d->p->in_flight++;
    return 0;
}

static int push_finished(struct dispatcher *d, struct job *j)
{
    if (d->n_finished == d->cap_finished) {
        size_t cap = d->cap_finished ? d->cap_finished * 2 : 256;
        struct job **f = realloc(d->finished, cap * sizeof(*f));
        if (!f) return VSC_ERR_NOMEM;
        d->finished = f;
        d->cap_finished = cap;
    }
    d->finished[d->n_finished++] = j;
    return 0;
}

static void schedule_retry(struct dispatcher *d, struct job *j)
{
    int delay = dispatch_backoff_ms(j->attempt, d->opts->retry_base_ms, d->opts->retry_max_ms,
                                    j->reply.retry_after_ms, rng_uniform(&d->rng));
    j->due_ms = now_ms() + delay;
    struct job **pp = &d->retry_head;
    while (*pp && (*pp)->due_ms <= j->due_ms) pp = &(*pp)->next;
    j->next = *pp;
    *pp = j;
    d->p->retries++;
}

/* A reply is in: retry it, or hand it to the next commit. */
static int settle(struct dispatcher *d, struct job *j)
{
    if (j->reply.error != VSC_E_NONE && is_retryable(j->reply.error) &&
        j->attempt < d->opts->cfg->max_attempts) {
        schedule_retry(d, j);
        return 0;
    }
    return push_finished(d, j);
}

static void collect_http(struct dispatcher *d)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(d->multi, &left))) {
        if (msg->msg != CURLMSG_DONE) continue;
        CURL *e = msg->easy_handle;
        CURLcode res = msg->data.result;
        struct job *j = NULL;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&j);
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &j->http_status);
        curl_multi_remove_handle(d->multi, e);
        d->http_active--;
        if (j->prev_active) j->prev_active->next_active = j->next_active;
        else d->active = j->next_active;
        if (j->next_active) j->next_active->prev_active = j->prev_active;
        d->p->in_flight--;
        j->ep->in_flight--;
        j->latency_ms = now_ms() - j->start_ms;
        struct backend_reply *r = &j->reply;
        int retry_after = r->retry_after_ms;
        r->http_status = (int)j->http_status;
        if (j->too_large) {
            r->error = VSC_E_TOO_LARGE;
            r->detail = xasprintf("response body larger than %zu bytes",
                                  d->opts->cfg->max_body_bytes);
        } else if (j->too_slow) {
            r->error = VSC_E_SLOW;
            r->detail = xasprintf("reply slower than %d bytes/s over %d s (low_speed_bytes, "
                                  "low_speed_seconds)",
                                  j->m->cfg->low_speed_bytes, j->m->cfg->low_speed_seconds);
        } else if (res == CURLE_OPERATION_TIMEDOUT) {
            r->error = VSC_E_TIMEOUT;
            r->detail = strdup(curl_easy_strerror(res));
        } else if (res != CURLE_OK) {
            r->error = VSC_E_CONNECTION;
            r->detail = strdup(curl_easy_strerror(res));
        } else if (j->http_status >= 200 && j->http_status < 300) {
            if (j->m->ops->http->parse(j->m->state, j->resp.data ? j->resp.data : "", j->resp.len,
                                       r))
                r->error = VSC_E_BAD_JSON;
            r->http_status = (int)j->http_status;
            r->retry_after_ms = retry_after;
        } else {
            long s = j->http_status;
            r->error = s >= 300 && s < 400 ? VSC_E_HTTP_REDIRECT
                       : s == 429          ? VSC_E_HTTP_429
                       : s >= 500          ? VSC_E_HTTP_5XX
                       : s == 408          ? VSC_E_TIMEOUT
                                           : VSC_E_HTTP_4XX;
            r->detail =
                r->error == VSC_E_HTTP_REDIRECT ? redirect_detail(e, s) : xasprintf("HTTP %ld", s);
        }
        /* keep what explains the answer, not megabytes of it: a failed reply's body is kept
         * up to the same bound as a good one */
        if (j->resp.len && r->error != VSC_E_HTTP_REDIRECT) /* a redirect is told by detail */
            r->raw = utf8_sanitize(j->resp.data, j->resp.len < RAW_KEEP ? j->resp.len : RAW_KEEP,
                                   NULL);
        buf_free(&j->resp);
        easy_put(d, e);
        j->easy = NULL;
        settle(d, j);
    }
}

static int open_model(struct dispatcher *d, struct model_rt *m);

static struct job *job_new(struct model_rt *m, struct pending_cell *cell)
{
    struct job *j = calloc(1, sizeof(*j));
    if (!j) return NULL;
    j->m = m;
    j->cell = *cell;
    memset(cell, 0, sizeof(*cell));
    j->reply.retry_after_ms = -1;
    return j;
}

static void job_free(struct job *j)
{
    pending_cell_clear(&j->cell);
    reply_clear(&j->reply);
    buf_free(&j->resp);
    free(j->send_body);
    free(j);
}

/* The next pending cell of a model, or NULL when it has none left. */
static struct pending_cell *next_cell(struct dispatcher *d, struct model_rt *m, int *err)
{
    for (;;) {
        if (m->page_pos == m->page_n) {
            if (m->exhausted) return NULL;
            for (size_t i = 0; i < m->page_n; i++) pending_cell_clear(&m->page[i]);
            m->page_n = m->page_pos = 0;
            *err = store_pending_page(d->store, d->opts->run_id, m->cfg->name, m->cursor, m->page,
                                      PAGE, &m->page_n);
            if (*err) return NULL;
            if (m->page_n == 0) {
                m->exhausted = 1;
                return NULL;
            }
            m->cursor = m->page[m->page_n - 1].id;
            json_object_clear(m->settled);
        }
        struct pending_cell *c = &m->page[m->page_pos++];
        if (!json_object_get(d->in_flight_keys, c->key) && !json_object_get(m->settled, c->key))
            return c;
        d->p->done++; /* the same request is being asked already: it answers this cell too */
        pending_cell_clear(c);
    }
}

static int rate_allows(struct model_rt *m, double now)
{
    if (m->cfg->rpm > 0 && now < m->next_start_ms) return 0;
    if (m->cfg->tpm > 0) {
        m->tpm_budget += (now - m->tpm_last_ms) * m->cfg->tpm / 60000.0;
        if (m->tpm_budget > m->cfg->tpm) m->tpm_budget = m->cfg->tpm;
        m->tpm_last_ms = now;
        if (m->tpm_budget <= 0) return 0;
    }
    return 1;
}

static void rate_take(struct model_rt *m, double now)
{
    if (m->cfg->rpm > 0) {
        double interval = 60000.0 / m->cfg->rpm;
        m->next_start_ms = (m->next_start_ms > now ? m->next_start_ms : now) + interval;
    }
}

/* Starts new HTTP requests up to each model's limit, or answers local cells in one batch. */
static int fill(struct dispatcher *d, struct model_rt *m)
{
    int err = 0;
    if (!m->opened) {
        if (m->exhausted) return 0;
        /* open the backend only when it has work: a judge or a local model costs to load */
        if (m->page_pos == m->page_n) {
            struct pending_cell *c = next_cell(d, m, &err);
            if (!c) return err;
            m->page_pos--; /* put it back */
        }
        if ((err = open_model(d, m))) return err;
    }
    if (m->ops->http) {
        double now = now_ms();
        while (m->busy < m->limit && rate_allows(m, now)) {
            struct pending_cell *c = next_cell(d, m, &err);
            if (!c) break;
            struct job *j = job_new(m, c);
            if (!j) return VSC_ERR_NOMEM;
            json_object_set_new(d->in_flight_keys, j->cell.key, json_true());
            m->busy++;
            j->attempt = 1;
            rate_take(m, now);
            if ((err = http_start(d, j))) return err;
        }
        return err;
    }
    /* local: up to `limit` cells answered now, in one batch when the backend can */
    struct backend_request reqs[PAGE];
    struct job *jobs[PAGE];
    size_t n = 0, max = m->limit < PAGE ? (size_t)m->limit : PAGE;
    while (n < max) {
        struct pending_cell *c = next_cell(d, m, &err);
        if (!c) break;
        struct job *j = job_new(m, c);
        if (!j) return VSC_ERR_NOMEM;
        json_object_set_new(d->in_flight_keys, j->cell.key, json_true());
        j->attempt = 1;
        reqs[n] = (struct backend_request){.body = j->cell.body,
                                           .meta_json = j->cell.meta,
                                           .item = j->cell.item,
                                           .condition = j->cell.condition,
                                           .sample = j->cell.sample};
        jobs[n++] = j;
    }
    if (!n) return err;
    double t = now_ms();
    struct backend_reply *replies = calloc(n, sizeof(*replies));
    if (!replies) return VSC_ERR_NOMEM;
    int rc = 0;
    if (m->ops->answer_batch) {
        rc = m->ops->answer_batch(m->state, reqs, replies, n);
    } else {
        for (size_t i = 0; i < n && !rc; i++) rc = m->ops->answer(m->state, &reqs[i], &replies[i]);
    }
    double per = (now_ms() - t) / (double)n;
    for (size_t i = 0; i < n; i++) {
        jobs[i]->reply = replies[i];
        jobs[i]->latency_ms = per;
        if (rc && !jobs[i]->reply.error) {
            if (!jobs[i]->reply.text) jobs[i]->reply.error = VSC_E_BACKEND;
        }
        push_finished(d, jobs[i]);
    }
    free(replies);
    return err ? err : (rc == VSC_ERR_NOMEM ? rc : 0);
}

static int commit_finished(struct dispatcher *d)
{
    if (!d->n_finished) return 0;
    int rc = vsc_store_begin(d->store);
    for (size_t i = 0; !rc && i < d->n_finished; i++) {
        struct job *j = d->finished[i];
        struct backend_reply *r = &j->reply;
        struct vsc_answer a = {
            .status = r->error ? "error" : "ok",
            .error = r->error ? vsc_error_kind_name(r->error) : NULL,
            .http_status = r->http_status,
            .text = r->error ? NULL : r->text,
            .finish_reason = r->finish_reason,
            .logprobs_json = r->logprobs_json,
            .raw = r->raw ? r->raw : r->detail,
            .prompt_tokens = r->prompt_tokens,
            .completion_tokens = r->completion_tokens,
            .latency_ms = j->latency_ms,
            .attempts = j->attempt,
        };
        rc = vsc_store_put_answer(d->store, j->cell.key, j->m->cfg->name, &a);
    }
    if (!rc) rc = vsc_store_commit(d->store);
    else vsc_store_rollback(d->store);
    if (rc) {
        vsc_diag_set(d->diag, "", 0, 0, "%s", vsc_store_errmsg(d->store));
        return rc;
    }
    for (size_t i = 0; i < d->n_finished; i++) {
        struct job *j = d->finished[i];
        struct backend_reply *r = &j->reply;
        d->p->done++;
        d->p->tokens += r->prompt_tokens + r->completion_tokens;
        if (j->m->cfg->tpm > 0) j->m->tpm_budget -= r->prompt_tokens + r->completion_tokens;
        if (r->error) {
            d->p->failed++;
            d->p->errors[r->error]++;
        } else {
            d->p->ok++;
        }
        if (j->m->ops->http) j->m->busy--;
        json_object_del(d->in_flight_keys, j->cell.key);
        if (!r->error) json_object_set_new(j->m->settled, j->cell.key, json_true());
        job_free(j);
    }
    d->n_finished = 0;
    return 0;
}

static int open_model(struct dispatcher *d, struct model_rt *m)
{
    const struct vsc_config *cfg = d->opts->cfg;
    m->opened = 1;
    int rc = m->ops->open(&m->state, m->cfg, d->opts->base_dir, d->diag);
    if (rc) {
        if (!d->diag->file[0]) snprintf(d->diag->file, sizeof(d->diag->file), "%s", cfg->path);
        return rc;
    }
    const struct backend_http *http = m->ops->http;
    if (http) {
        m->eps = calloc(m->cfg->n_base_urls, sizeof(*m->eps));
        if (!m->eps) return VSC_ERR_NOMEM;
        m->n_eps = m->cfg->n_base_urls;
        for (size_t e = 0; e < m->n_eps; e++)
            if (!(m->eps[e].url = http->url(m->state, m->cfg->base_urls[e]))) return VSC_ERR_NOMEM;
        for (const char *const *h = http->headers(m->state); *h; h++) {
            struct curl_slist *grown = curl_slist_append(m->hdrs, *h);
            if (!grown) return VSC_ERR_NOMEM;
            m->hdrs = grown;
        }
    }
    return 0;
}

static int setup_models(struct dispatcher *d)
{
    const struct vsc_config *cfg = d->opts->cfg;
    d->models = calloc(d->opts->n_models ? d->opts->n_models : 1, sizeof(*d->models));
    if (!d->models) return VSC_ERR_NOMEM;
    d->n_models = d->opts->n_models;
    for (size_t i = 0; i < d->n_models; i++) {
        struct model_rt *m = &d->models[i];
        m->cfg = d->opts->models[i];
        m->ops = backend_find(m->cfg->backend);
        m->limit = cfg->concurrency > 0 ? cfg->concurrency : m->cfg->concurrency;
        m->tpm_budget = m->cfg->tpm;
        m->tpm_last_ms = now_ms();
        m->settled = json_object();
        if (!m->settled) return VSC_ERR_NOMEM;
        if (!m->ops) return vsc_diag_set(d->diag, cfg->path, m->cfg->line, 0, "unknown backend");
    }
    return 0;
}

static void close_models(struct dispatcher *d)
{
    for (size_t i = 0; i < d->n_models; i++) {
        struct model_rt *m = &d->models[i];
        if (m->ops && m->state) m->ops->close(m->state);
        for (size_t e = 0; e < m->n_eps; e++) free(m->eps[e].url);
        free(m->eps);
        curl_slist_free_all(m->hdrs);
        for (size_t p = 0; p < m->page_n; p++) pending_cell_clear(&m->page[p]);
        json_decref(m->settled);
    }
    free(d->models);
}

static void report(struct dispatcher *d, double *last, int finished)
{
    double now = now_ms();
    if (!finished && now - *last < 250) return;
    *last = now;
    d->p->elapsed_s = (now - d->t0) / 1000.0;
    d->p->finished = finished;
    if (d->opts->progress) d->opts->progress(d->p, d->opts->payload);
}

int dispatch_new(struct dispatcher **out, struct vsc_store *store,
                 const struct dispatch_opts *opts, struct vsc_progress *p, struct vsc_diag *diag)
{
    struct dispatcher *d = calloc(1, sizeof(*d));
    *out = d;
    if (!d) return VSC_ERR_NOMEM;
    *d = (struct dispatcher){.opts = opts, .store = store, .p = p, .diag = diag};
    d->t0 = now_ms();
    rng_seed(&d->rng, (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)d);
    d->in_flight_keys = json_object();
    d->multi = curl_multi_init();
    int rc = (d->in_flight_keys && d->multi) ? 0 : VSC_ERR_NOMEM;
    if (!rc) rc = setup_models(d);
    if (!rc) {
        long maxconn = 0;
        for (size_t i = 0; i < d->n_models; i++) maxconn += d->models[i].limit;
        curl_multi_setopt(d->multi, CURLMOPT_MAXCONNECTS, maxconn + 16);
        curl_multi_setopt(d->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    }
    return rc;
}

void dispatch_rearm(struct dispatcher *d)
{
    /* later stages added cells after the cursors: look again (backends stay open) */
    for (size_t i = 0; i < d->n_models; i++) d->models[i].exhausted = 0;
}

int dispatch_drain(struct dispatcher *d)
{
    int rc = 0;
    while (!rc) {
        double now = now_ms();
        while (d->retry_head && d->retry_head->due_ms <= now) {
            struct job *j = d->retry_head;
            if (!rate_allows(j->m, now)) break; /* retries obey rpm/tpm like first attempts */
            rate_take(j->m, now);
            d->retry_head = j->next;
            j->next = NULL;
            j->attempt++;
            if ((rc = http_start(d, j))) break;
        }
        int pending_local = 0, waiting_rate = 0;
        for (size_t i = 0; !rc && i < d->n_models; i++) {
            struct model_rt *m = &d->models[i];
            rc = fill(d, m);
            if (!m->ops->http && !m->exhausted) pending_local = 1;
            if (m->ops->http && !m->exhausted && m->busy < m->limit) waiting_rate = 1;
        }
        if (rc) break;
        if (d->http_active) {
            int running;
            curl_multi_perform(d->multi, &running);
            collect_http(d);
        }
        if ((rc = commit_finished(d))) break;
        report(d, &d->last_report, 0);
        int more_http = 0;
        for (size_t i = 0; i < d->n_models; i++)
            if (d->models[i].ops->http && (!d->models[i].exhausted || d->models[i].busy))
                more_http = 1;
        if (!d->http_active && !d->retry_head && !pending_local && !more_http) break;
        if (pending_local) continue;
        /* The commit above freed slots: fill them now rather than after the next wait, which
         * would idle them for a poll round (or 100 ms when nothing else is in flight). */
        int can_start = 0;
        double t = now_ms();
        for (size_t i = 0; i < d->n_models && !can_start; i++) {
            struct model_rt *m = &d->models[i];
            can_start = m->ops->http && !m->exhausted && m->busy < m->limit && rate_allows(m, t);
        }
        if (can_start) continue;
        int timeout = 100;
        if (d->retry_head) {
            double wait = d->retry_head->due_ms - now_ms();
            if (wait < timeout) timeout = wait < 0 ? 0 : (int)wait + 1;
        }
        if (waiting_rate && timeout > 5) timeout = 5;
        if (d->http_active) curl_multi_poll(d->multi, NULL, 0, timeout, NULL);
        else if (timeout > 0) {
            struct timespec ts = {0, (long)timeout * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    if (rc && !d->diag->msg[0])
        vsc_diag_set(d->diag, "", 0, 0, "dispatcher: %s", vsc_strerror(rc));
    return rc;
}

void dispatch_free(struct dispatcher *d)
{
    if (!d) return;
    /* jobs still in flight or waiting are dropped: their cells stay pending for the next run */
    while (d->active) {
        struct job *j = d->active;
        d->active = j->next_active;
        curl_multi_remove_handle(d->multi, j->easy);
        curl_easy_cleanup(j->easy);
        job_free(j);
    }
    while (d->retry_head) {
        struct job *j = d->retry_head;
        d->retry_head = j->next;
        job_free(j);
    }
    for (size_t i = 0; i < d->n_finished; i++) job_free(d->finished[i]);
    free(d->finished);
    if (d->models) report(d, &d->last_report, 1);
    close_models(d);
    for (size_t i = 0; i < d->n_pool; i++) curl_easy_cleanup(d->easy_pool[i]);
    free(d->easy_pool);
    if (d->multi) curl_multi_cleanup(d->multi);
    json_decref(d->in_flight_keys);
    free(d);
}

int dispatch_run(struct vsc_store *store, const struct dispatch_opts *opts, struct vsc_progress *p,
                 struct vsc_diag *diag)
{
    struct dispatcher *d = NULL;
    int rc = dispatch_new(&d, store, opts, p, diag);
    if (!rc) rc = dispatch_drain(d);
    dispatch_free(d);
    return rc;
}
