/* Small helpers shared by the library: growable buffers with a cap, file reading, hashing,
 * a seeded RNG and string helpers. */
#ifndef VSC_UTIL_H
#define VSC_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "valscope/common.h"

/* Growable byte buffer (after curl's dynbuf). Always NUL-terminated when len > 0; appends past
 * `cap` fail with VSC_ERR_INPUT so a hostile peer cannot make us grow without bound. */
struct buf {
    char *data;
    size_t len;
    size_t alloc;
    size_t cap;
};
void buf_init(struct buf *b, size_t cap);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* Hands the data over to the caller (NUL-terminated, "" when empty) and resets the buffer. */
char *buf_take(struct buf *b);
/* Appends template `tpl` with every "{key}" of keys[0..n) replaced by its value (NULL: ""), in
 * one pass: slot values are never rescanned, so a value holding "{item}" stays literal. Unknown
 * {words} are kept as written. Returns 0 or VSC_ERR_NOMEM. */
int buf_fill(struct buf *b, const char *tpl, const char *const *keys, const char *const *vals,
             size_t n);

/* Every file valscope reads goes through read_text_file / read_file or the line reader below, so
 * each one is capped in size, refuses what is not a regular file (/dev/zero, a FIFO, a folder) and
 * refuses NUL bytes (text would silently end there) with file:line:col. The cap is
 * VALSCOPE_MAX_FILE_BYTES from the environment (bytes, or with a k/M/G suffix), default
 * MAX_FILE_BYTES_DEFAULT; docs/limits.md lists it. */
#define MAX_FILE_BYTES_DEFAULT ((size_t)256 << 20)
/* The cap in force; 0 with diag set when VALSCOPE_MAX_FILE_BYTES is not a size. */
size_t max_file_bytes(struct vsc_diag *diag);

/* Reads a whole text file (NUL-terminated). Returns VSC_ERR_IO (cannot open or read) or
 * VSC_ERR_INPUT (not a regular file, over the cap, a NUL byte) with diag set. Every loader of
 * a user's text file reads through this (or the line reader). */
int read_text_file(char **out, size_t *out_len, const char *path, struct vsc_diag *diag);
/* The same for any data: NUL bytes are data (a store, a model file). */
int read_file(char **out, size_t *out_len, const char *path, struct vsc_diag *diag);
/* read_text_file with a smaller cap of its own (0: the general cap); `what` names the file in the
 * message ("config"). */
int read_file_capped(char **out, size_t *out_len, const char *path, size_t cap, const char *what,
                     struct vsc_diag *diag);

/* A text file read line by line under the same checks, for files too large to hold whole. */
struct line_reader {
    void *fp;
    char *buf;
    size_t buf_cap, total, cap, max_line;
    const char *path;
    int line; /* number of the line last returned */
};
/* Opens `path`; lines longer than max_line (0: no limit but the file cap) are an error. */
int lines_open(struct line_reader *r, const char *path, size_t max_line, struct vsc_diag *diag);
/* The next line without its '\n' (borrowed until the next call). Returns 1, 0 at the end, or a
 * negative status with diag set. */
int lines_next(struct line_reader *r, const char **out, size_t *out_len, struct vsc_diag *diag);
void lines_close(struct line_reader *r);

/* SHA-256 of data, as 64 lowercase hex digits plus NUL. */
void sha256_hex(char out[65], const void *data, size_t len);
struct sha256_ctx {
    uint32_t h[8];
    uint64_t n;
    unsigned char buf[64];
    size_t fill;
};
void sha256_init(struct sha256_ctx *c);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
void sha256_final_hex(struct sha256_ctx *c, char out[65]);

/* Seeded PRNG (xoshiro256**), reproducible across platforms. */
struct rng {
    uint64_t s[4];
};
void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
double rng_uniform(struct rng *r);             /* [0, 1) */
double rng_normal(struct rng *r);              /* standard normal */
uint64_t rng_below(struct rng *r, uint64_t n); /* [0, n) */

/* FNV-1a 64-bit, for seeding from strings. */
uint64_t hash64(const char *s);

char *xstrdup(const char *s); /* NULL-safe strdup */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Directory part of a path ("." when none); malloc'd. */
char *path_dirname(const char *path);
/* `path` made relative to `base_dir` when it is relative; malloc'd. */
char *path_join(const char *base_dir, const char *path);
/* Replaces invalid UTF-8 sequences with U+FFFD in place-allocated copy; malloc'd. */
char *utf8_sanitize(const char *s, size_t len, size_t *out_len);
/* 1 when s is valid UTF-8. */
int utf8_valid(const char *s, size_t len);

/* Monotonic milliseconds. */
double now_ms(void);

#endif
