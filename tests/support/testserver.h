/* An in-process OpenAI-compatible HTTP server for tests (libmicrohttpd, 127.0.0.1, ephemeral
 * port).
 *
 * It answers POST .../chat/completions and .../completions with OpenAI-format JSON, and can
 * inject the faults the dispatcher must survive: latency, 429 with Retry-After, 500/503,
 * dropped connections, truncated JSON, invalid UTF-8, huge bodies, 200 without choices.
 * It counts every request per distinct body (SHA-256), so a test can prove that nothing was
 * sent twice.
 *
 * Each connection gets its own thread (MHD thread-per-connection), so latency sleeps do not
 * block other requests and several hundred requests can be in flight at once.
 *
 *     struct ts_config cfg = {.latency_ms = 50, .fault = TS_FAULT_500, .fault_rate = 0.3,
 *                             .fault_attempts = 1};
 *     struct ts_server *ts = ts_start(&cfg);
 *     ... point a model's base_url at ts_url(ts) ...
 *     assert_int_equal(ts_max_body_seen(ts), 2);
 *     ts_stop(ts);
 */
#ifndef VSC_TESTSERVER_H
#define VSC_TESTSERVER_H

#include <stddef.h>
#include <stdint.h>

/* A fault to inject instead of a normal answer. */
enum ts_fault {
    TS_FAULT_NONE = 0,
    TS_FAULT_429, /* 429 with Retry-After: retry_after_s (omitted when < 0) */
    TS_FAULT_500,
    TS_FAULT_503,
    TS_FAULT_DROP,       /* close the connection without any reply */
    TS_FAULT_TRUNCATED,  /* 200 whose JSON body is cut in half (Content-Length matches) */
    TS_FAULT_BAD_UTF8,   /* 200, valid JSON syntax but content holds raw invalid UTF-8 bytes */
    TS_FAULT_HUGE,       /* 200, a valid JSON answer of about huge_bytes (default 10 MiB) */
    TS_FAULT_NO_CHOICES, /* 200, {"choices": [], ...} */
    TS_FAULT_NOT_JSON,   /* 200, an HTML page */
    TS_FAULT_HANG,       /* no reply for hang_ms (default 30 s, cut short by ts_stop), then drop */
    TS_FAULT_TRICKLE,    /* 200 whose normal answer is sent one byte every trickle_ms */
    TS_FAULT_COUNT
};
const char *ts_fault_name(enum ts_fault fault);

/* How normal answers are made. */
enum ts_answer_mode {
    TS_ANSWER_TEXT = 0, /* answer_text, or "OK" when NULL */
    TS_ANSWER_HASH,     /* "ans-" + first 16 hex digits of SHA-256(body): distinct per body */
    TS_ANSWER_ECHO,     /* the last message's content (chat) or the prompt (completions) */
};

/* What to send for one request. Filled with the config's choice before the reply callback runs;
 * the callback may change any field. Strings marked "owned" are malloc'd by whoever sets them
 * and freed by the server (the callback may replace them: free the old value first). */
struct ts_reply {
    int status;          /* HTTP status for a normal answer, default 200 */
    enum ts_fault fault; /* TS_FAULT_NONE: a normal answer */
    int latency_ms;      /* delay before replying */
    int retry_after_s;   /* Retry-After header, sent when >= 0 (any status) */
    char *text;          /* owned: answer text; NULL: made by the answer mode */
    char *finish_reason; /* owned: NULL means "stop" */
    char *body;          /* owned: send exactly these bytes instead of a generated reply */
    size_t body_len;     /* length of body (strlen when 0) */
    char *location;      /* owned: a Location header (set status to 3xx for a redirect) */
};

/* Decides the reply to one request. `body`/`len` is the request body, `attempt` counts how
 * often this exact body has been seen, this request included (1 on the first). Runs on the
 * connection's thread: it must be thread-safe. */
typedef void (*ts_reply_fn)(const char *body, size_t len, int attempt, struct ts_reply *out,
                            void *payload);

struct ts_config {
    int latency_ms; /* delay before every reply */
    enum ts_answer_mode answer_mode;
    const char *answer_text; /* TS_ANSWER_TEXT; copied */
    /* Fault injection, deterministic. A body is selected when a hash of it falls below
     * fault_rate (1.0 = every body). With fault_attempts = k > 0, a selected body fails its first
     * k attempts and then succeeds; with fault_attempts = 0, every attempt is drawn separately
     * (hash of body + attempt number), so fault_rate 1.0 fails for ever. */
    enum ts_fault fault;
    double fault_rate;
    int fault_attempts;
    int retry_after_s;  /* Retry-After (seconds) sent with 429 and 503 faults */
    int no_retry_after; /* non-zero: send them without Retry-After */
    size_t huge_bytes;  /* TS_FAULT_HUGE body size, default 10 MiB */
    int hang_ms;        /* TS_FAULT_HANG, default 30000 */
    int trickle_ms;     /* TS_FAULT_TRICKLE: pause between bytes, default 1000 */
    ts_reply_fn reply;  /* may be NULL */
    void *payload;
    unsigned max_connections; /* default 2048 */
};

struct ts_server;

/* Starts a server on 127.0.0.1 with an ephemeral port. `cfg` may be NULL (defaults) and is
 * copied. Returns NULL on failure (a message goes to stderr: this is test code). */
struct ts_server *ts_start(const struct ts_config *cfg);
/* Stops the server, waiting for its connection threads, and frees it. NULL is a no-op. */
void ts_stop(struct ts_server *ts);

int ts_port(const struct ts_server *ts);
/* "http://127.0.0.1:PORT/v1"; borrowed, lives as long as the server. */
const char *ts_url(const struct ts_server *ts);

/* Changes the behaviour of a running server (e.g. stop failing after the first run). Takes
 * effect for requests that arrive afterwards. */
void ts_set_config(struct ts_server *ts, const struct ts_config *cfg);

/* ---- counters (thread-safe) ---------------------------------------------------------------- */

int64_t ts_requests(const struct ts_server *ts);   /* every request received, any path */
int64_t ts_ok_replies(const struct ts_server *ts); /* normal 200 answers sent */
int64_t ts_faults(const struct ts_server *ts, enum ts_fault fault); /* faults injected, by kind */
int ts_in_flight(const struct ts_server *ts);
int ts_max_in_flight(const struct ts_server *ts);
int64_t ts_distinct_bodies(const struct ts_server *ts);
/* Times this exact body was received (0 when never). */
int ts_body_seen(const struct ts_server *ts, const char *body, size_t len);
/* Normal 200 answers sent for this exact body. */
int ts_body_ok(const struct ts_server *ts, const char *body, size_t len);
/* Largest ts_body_seen / ts_body_ok over all bodies. */
int ts_max_body_seen(const struct ts_server *ts);
int ts_max_body_ok(const struct ts_server *ts);
/* Calls `fn` once per distinct body with its SHA-256 hex and counts. */
typedef void (*ts_body_fn)(const char *sha256_hex, int seen, int ok, void *payload);
void ts_foreach_body(const struct ts_server *ts, ts_body_fn fn, void *payload);
/* Zeroes every counter. */
void ts_reset_counters(struct ts_server *ts);

/* The last request received: body, URL path and Authorization header, malloc'd copies
 * (NULL when none). */
char *ts_last_body(const struct ts_server *ts);
char *ts_last_path(const struct ts_server *ts);
char *ts_last_authorization(const struct ts_server *ts);

/* 1 when the config's fault injection picks attempt `attempt` (1-based) of this body. */
int ts_fault_selected(const struct ts_config *cfg, const char *body, size_t len, int attempt);

/* The answer TS_ANSWER_HASH gives for a body ("ans-" + 16 hex digits); writes 21 bytes. */
void ts_hash_answer(char out[21], const char *body, size_t len);

#endif
