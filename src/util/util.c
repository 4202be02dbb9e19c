/* Small helpers: buffers, files, RNG, strings, time. */
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void buf_init(struct buf *b, size_t cap)
{
    memset(b, 0, sizeof(*b));
    b->cap = cap ? cap : (size_t)-1;
}

int buf_append(struct buf *b, const void *data, size_t len)
{
    if (len > b->cap || b->len > b->cap - len) return VSC_ERR_INPUT;
    if (b->len + len + 1 > b->alloc) {
        size_t n = b->alloc ? b->alloc : 256;
        while (n < b->len + len + 1)
            n *= 2;
        char *p = realloc(b->data, n);
        if (!p) return VSC_ERR_NOMEM;
        b->data = p;
        b->alloc = n;
    }
    if (len) memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = 0;
    return 0;
}

int buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_fill(struct buf *b, const char *tpl, const char *const *keys, const char *const *vals,
             size_t n)
{
    for (const char *p = tpl; *p;) {
        if (*p == '{') {
            size_t k;
            for (k = 0; k < n; k++) {
                size_t kl = strlen(keys[k]);
                if (!strncmp(p + 1, keys[k], kl) && p[1 + kl] == '}') break;
            }
            if (k < n) {
                if (buf_puts(b, vals[k] ? vals[k] : "")) return VSC_ERR_NOMEM;
                p += strlen(keys[k]) + 2;
                continue;
            }
        }
        if (buf_append(b, p, 1)) return VSC_ERR_NOMEM;
        p++;
    }
    return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0) return VSC_ERR_INTERNAL;
    if ((size_t)n < sizeof(tmp)) return buf_append(b, tmp, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big) return VSC_ERR_NOMEM;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = buf_append(b, big, (size_t)n);
    free(big);
    return rc;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = 0;
}

void buf_free(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->alloc = 0;
}

char *buf_take(struct buf *b)
{
    char *p = b->data;
    if (!p) p = calloc(1, 1);
    b->data = NULL;
    b->len = b->alloc = 0;
    return p;
}

size_t max_file_bytes(struct vsc_diag *diag)
{
    const char *env = getenv("VALSCOPE_MAX_FILE_BYTES");
    if (!env || !*env) return MAX_FILE_BYTES_DEFAULT;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(env, &end, 10);
    unsigned shift = *end == 'k' || *end == 'K'   ? 10
                     : *end == 'm' || *end == 'M' ? 20
                     : *end == 'g' || *end == 'G' ? 30
                                                  : 0;
    if (shift) end++;
    if (errno || end == env || *end || v == 0 || env[0] == '-' || v > (SIZE_MAX >> 1) >> shift) {
        vsc_diag_set(diag, NULL, 0, 0,
                     "VALSCOPE_MAX_FILE_BYTES='%s' is not a size (bytes, or with k, M or G)", env);
        return 0;
    }
    return (size_t)v << shift;
}

/* Opens a regular file for reading; anything else (a device, a FIFO, a folder) is refused
 * before a byte is read. O_NONBLOCK: opening a FIFO must not wait for a writer. */
static int open_regular(FILE **out, size_t *out_size, const char *path, struct vsc_diag *diag)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        vsc_diag_set(diag, path, 0, 0, "cannot open: %s", strerror(errno));
        return VSC_ERR_IO;
    }
    struct stat st;
    if (fstat(fd, &st)) {
        vsc_diag_set(diag, path, 0, 0, "cannot stat: %s", strerror(errno));
        close(fd);
        return VSC_ERR_IO;
    }
    if (!S_ISREG(st.st_mode)) {
        const char *what = S_ISDIR(st.st_mode)    ? "a folder"
                           : S_ISCHR(st.st_mode)  ? "a character device"
                           : S_ISBLK(st.st_mode)  ? "a block device"
                           : S_ISFIFO(st.st_mode) ? "a FIFO"
                           : S_ISSOCK(st.st_mode) ? "a socket"
                                                  : "not a plain file";
        close(fd);
        return vsc_diag_set(diag, path, 0, 0, "not a regular file (%s): refusing to read it", what);
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    if (!(*out = fdopen(fd, "rb"))) {
        vsc_diag_set(diag, path, 0, 0, "cannot open: %s", strerror(errno));
        close(fd);
        return VSC_ERR_IO;
    }
    *out_size = (size_t)st.st_size;
    return 0;
}

static int too_big(const char *path, size_t cap, const char *what, struct vsc_diag *diag)
{
    return vsc_diag_set(diag, path, 0, 0,
                        "%s is larger than %zu bytes (the cap; see docs/limits.md%s)",
                        what ? what : "file", cap, what ? "" : ", VALSCOPE_MAX_FILE_BYTES");
}

/* diag at the first NUL byte of data[0..len), counting lines from `line`; 0 when none. */
static int nul_check(const char *data, size_t len, const char *path, int line,
                     struct vsc_diag *diag)
{
    const char *nul = memchr(data, 0, len);
    if (!nul) return 0;
    const char *bol = data;
    for (const char *p = data; p < nul; p++)
        if (*p == '\n') line++, bol = p + 1;
    return vsc_diag_set(diag, path, line, (int)(nul - bol) + 1,
                        "NUL byte in text (the text would end here)");
}

static int read_whole(char **out, size_t *out_len, const char *path, size_t cap, const char *what,
                      int text, struct vsc_diag *diag)
{
    *out = NULL;
    size_t general = max_file_bytes(diag), size;
    if (!general) return VSC_ERR_INPUT;
    if (!cap || cap > general) cap = general, what = NULL;
    FILE *f;
    int rc = open_regular(&f, &size, path, diag);
    if (rc) return rc;
    if (size > cap) {
        fclose(f);
        return too_big(path, cap, what, diag);
    }
    struct buf b;
    buf_init(&b, cap);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if ((rc = buf_append(&b, chunk, n)) != 0) break;
    if (rc == VSC_ERR_INPUT) too_big(path, cap, what, diag); /* it grew while we read */
    if (!rc && ferror(f)) {
        vsc_diag_set(diag, path, 0, 0, "read error: %s", strerror(errno));
        rc = VSC_ERR_IO;
    }
    fclose(f);
    if (!rc && text) rc = nul_check(b.data ? b.data : "", b.len, path, 1, diag);
    if (rc) {
        buf_free(&b);
        return rc;
    }
    if (out_len) *out_len = b.len;
    *out = buf_take(&b);
    return 0;
}

int read_file_capped(char **out, size_t *out_len, const char *path, size_t cap, const char *what,
                     struct vsc_diag *diag)
{
    return read_whole(out, out_len, path, cap, what, 1, diag);
}

int read_text_file(char **out, size_t *out_len, const char *path, struct vsc_diag *diag)
{
    return read_whole(out, out_len, path, 0, NULL, 1, diag);
}

int read_file(char **out, size_t *out_len, const char *path, struct vsc_diag *diag)
{
    return read_whole(out, out_len, path, 0, NULL, 0, diag);
}

int lines_open(struct line_reader *r, const char *path, size_t max_line, struct vsc_diag *diag)
{
    memset(r, 0, sizeof(*r));
    r->path = path;
    r->max_line = max_line;
    if (!(r->cap = max_file_bytes(diag))) return VSC_ERR_INPUT;
    FILE *f;
    size_t size;
    int rc = open_regular(&f, &size, path, diag);
    if (rc) return rc;
    r->fp = f;
    if (size > r->cap) {
        lines_close(r);
        return too_big(path, r->cap, NULL, diag);
    }
    return 0;
}

int lines_next(struct line_reader *r, const char **out, size_t *out_len, struct vsc_diag *diag)
{
    ssize_t got = getline(&r->buf, &r->buf_cap, (FILE *)r->fp);
    if (got < 0) {
        if (!ferror((FILE *)r->fp)) return 0;
        vsc_diag_set(diag, r->path, r->line, 0, "read error: %s", strerror(errno));
        return VSC_ERR_IO;
    }
    r->line++;
    size_t n = (size_t)got;
    r->total += n;
    if (r->total > r->cap) return too_big(r->path, r->cap, NULL, diag);
    if (r->max_line && n > r->max_line)
        return vsc_diag_set(diag, r->path, r->line, 0, "line longer than %zu bytes", r->max_line);
    int rc = nul_check(r->buf, n, r->path, r->line, diag);
    if (rc) return rc;
    if (n && r->buf[n - 1] == '\n') n--;
    r->buf[n] = 0;
    *out = r->buf;
    *out_len = n;
    return 1;
}

void lines_close(struct line_reader *r)
{
    if (r->fp) fclose((FILE *)r->fp);
    free(r->buf);
    r->fp = NULL;
    r->buf = NULL;
}

/* xoshiro256** seeded through splitmix64 */
static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double rng_uniform(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

double rng_normal(struct rng *r)
{
    double u1 = rng_uniform(r), u2 = rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

uint64_t rng_below(struct rng *r, uint64_t n)
{
    if (n <= 1) return 0;
    uint64_t lim = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = rng_next(r);
    while (x >= lim);
    return x % n;
}

uint64_t hash64(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *p = malloc((size_t)n + 1);
    if (!p) return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

char *path_dirname(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

char *path_join(const char *base_dir, const char *path)
{
    if (!path) return NULL;
    if (path[0] == '/' || !base_dir || !*base_dir || strcmp(base_dir, ".") == 0)
        return strdup(path);
    return xasprintf("%s/%s", base_dir, path);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t n;
    unsigned min;
    if ((c & 0xe0) == 0xc0)
        n = 2, min = 0x80;
    else if ((c & 0xf0) == 0xe0)
        n = 3, min = 0x800;
    else if ((c & 0xf8) == 0xf0)
        n = 4, min = 0x10000;
    else
        return 0;
    if (n > left) return 0;
    unsigned cp = c & (0x7f >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

int utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq(p + i, len - i);
        if (!n) return 0;
        i += n;
    }
    return 1;
}

char *utf8_sanitize(const char *s, size_t len, size_t *out_len)
{
    const unsigned char *p = (const unsigned char *)s;
    char *out = malloc(len * 3 + 1);
    if (!out) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq(p + i, len - i);
        if (n) {
            memcpy(out + o, p + i, n);
            o += n;
            i += n;
        } else {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        }
    }
    out[o] = 0;
    if (out_len) *out_len = o;
    return out;
}

double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}
