/* A minimal OpenAI-compatible HTTP/1.1 server for benchmarks: one epoll thread, keep-alive,
 * pipelining, a fixed chat-completions answer to every POST, optional fixed latency.
 *
 * The benchmark measures clients (valscope, h2load, promptfoo), so the server must cost as
 * little as possible: no per-request allocation, no parsing beyond the header block and
 * Content-Length. Replies to a delayed request wait in a FIFO (the latency is the same for
 * every request, so due times are already in order) and the loop sleeps until the head is due.
 *
 *     server [--latency-ms N] [--port P]
 *
 * It prints "port N" on stdout once it listens, serves until SIGTERM or SIGINT, then prints
 * "served N requests, cpu S s" on stderr (the benchmark reads that to show how busy it was). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IN_CAP (1u << 20) /* a request (headers + body) larger than this closes the connection */
#define OUT_CAP (256u << 10)
#define MAX_FDS 65536

struct conn {
    int fd;
    unsigned gen; /* bumped on close, so queued replies of a dead connection are dropped */
    char *in;
    size_t in_len;
    char *out;
    size_t out_len, out_off;
    int close_after;
    int continued; /* sent 100 Continue for the request being read */
};

struct due {
    int fd;
    unsigned gen;
    double due_ms;
    int close_after;
};

static volatile sig_atomic_t stop;
static struct conn *conns[MAX_FDS];
static int ep;
static long long served;
static char reply[1024];
static size_t reply_len;

/* FIFO of delayed replies (a growable ring). */
static struct due *q;
static size_t q_cap, q_head, q_len;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void conn_close(struct conn *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    c->gen++;
    c->in_len = c->out_len = c->out_off = 0;
    c->close_after = 0;
    c->continued = 0;
}

static int flush_out(struct conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
        if (n < 0) {
            if (errno == EAGAIN) {
                struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.fd = c->fd};
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                return 0;
            }
            return -1;
        }
        c->out_off += (size_t)n;
    }
    c->out_len = c->out_off = 0;
    if (c->close_after) return -1;
    return 0;
}

static int queue_reply(struct conn *c)
{
    if (c->out_len + reply_len > OUT_CAP) return -1;
    memcpy(c->out + c->out_len, reply, reply_len);
    c->out_len += reply_len;
    served++;
    return 0;
}

static int q_push(struct due d)
{
    if (q_len == q_cap) {
        size_t cap = q_cap ? q_cap * 2 : 1024;
        struct due *n = malloc(cap * sizeof(*n));
        if (!n) return -1;
        for (size_t i = 0; i < q_len; i++)
            n[i] = q[(q_head + i) % q_cap];
        free(q);
        q = n;
        q_cap = cap;
        q_head = 0;
    }
    q[(q_head + q_len) % q_cap] = d;
    q_len++;
    return 0;
}

/* Header value of `name` (lower case, with colon) in the block [h, end), or NULL. */
static const char *header(const char *h, const char *end, const char *name, size_t *out_len)
{
    size_t nl = strlen(name);
    for (const char *p = h; p < end;) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0) {
            const char *v = p + nl;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = eol;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
                ve--;
            *out_len = (size_t)(ve - v);
            return v;
        }
        p = eol + 1;
    }
    return NULL;
}

/* Handles every complete request in the input buffer. */
static int on_input(struct conn *c, int latency_ms)
{
    size_t off = 0;
    for (;;) {
        char *start = c->in + off;
        size_t avail = c->in_len - off;
        char *hend = avail >= 4 ? memmem(start, avail, "\r\n\r\n", 4) : NULL;
        if (!hend) break;
        size_t hlen = (size_t)(hend - start) + 4;
        size_t vl;
        long long body = 0;
        const char *v = header(start, hend, "content-length:", &vl);
        if (v) body = strtoll(v, NULL, 10);
        if (body < 0 || hlen + (size_t)body > IN_CAP) return -1;
        int close_after = 0;
        v = header(start, hend, "connection:", &vl);
        if (v && vl == 5 && strncasecmp(v, "close", 5) == 0) close_after = 1;
        if (avail < hlen + (size_t)body) {
            v = header(start, hend, "expect:", &vl);
            if (!c->continued && v && vl >= 12 && strncasecmp(v, "100-continue", 12) == 0) {
                static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
                if (write(c->fd, cont, sizeof(cont) - 1) < 0) return -1;
                c->continued = 1; /* once per request */
            }
            break;
        }
        c->continued = 0;
        off += hlen + (size_t)body;
        if (latency_ms > 0) {
            if (q_push((struct due){c->fd, c->gen, now_ms() + latency_ms, close_after})) return -1;
        } else {
            if (queue_reply(c)) return -1;
            c->close_after = close_after;
        }
        if (close_after) break;
    }
    if (off) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
    }
    return 0;
}

static void serve_due(double now)
{
    while (q_len && q[q_head].due_ms <= now) {
        struct due d = q[q_head];
        q_head = (q_head + 1) % q_cap;
        q_len--;
        struct conn *c = conns[d.fd];
        if (!c || c->fd < 0 || c->gen != d.gen) continue;
        c->close_after = d.close_after;
        if (queue_reply(c) || flush_out(c)) conn_close(c);
    }
}

int main(int argc, char **argv)
{
    int latency_ms = 0, port = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--latency-ms") && i + 1 < argc)
            latency_ms = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--port") && i + 1 < argc)
            port = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: server [--latency-ms N] [--port P]\n");
            return 2;
        }
    }
    static const char body[] =
        "{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion\",\"created\":1700000000,"
        "\"model\":\"bench\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
        "\"content\":\"I would rate it 4.\"},\"finish_reason\":\"stop\"}],"
        "\"usage\":{\"prompt_tokens\":24,\"completion_tokens\":6,\"total_tokens\":30}}";
    reply_len = (size_t)snprintf(reply, sizeof(reply),
                                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 "Content-Length: %zu\r\n\r\n%s",
                                 sizeof(body) - 1, body);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 4096)) {
        perror("server: bind/listen");
        return 1;
    }
    socklen_t al = sizeof(a);
    getsockname(ls, (struct sockaddr *)&a, &al);
    printf("port %d\n", ntohs(a.sin_port));
    fflush(stdout);

    ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    struct epoll_event evs[512];
    while (!stop) {
        int timeout = -1;
        if (q_len) {
            double w = q[q_head].due_ms - now_ms();
            timeout = w <= 0 ? 0 : (int)w + 1;
        }
        int n = epoll_wait(ep, evs, 512, timeout);
        if (n < 0 && errno != EINTR) break;
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                for (;;) {
                    int cfd = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
                    if (cfd < 0) break;
                    if (cfd >= MAX_FDS) {
                        close(cfd);
                        continue;
                    }
                    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                    struct conn *c = conns[cfd];
                    if (!c) {
                        c = calloc(1, sizeof(*c));
                        if (!c || !(c->in = malloc(IN_CAP)) || !(c->out = malloc(OUT_CAP))) {
                            fprintf(stderr, "server: out of memory\n");
                            return 1;
                        }
                        conns[cfd] = c;
                    }
                    c->fd = cfd;
                    struct epoll_event cev = {.events = EPOLLIN, .data.fd = cfd};
                    epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
                }
                continue;
            }
            struct conn *c = conns[fd];
            if (!c || c->fd < 0) continue;
            if (evs[i].events & EPOLLOUT) {
                if (flush_out(c)) {
                    conn_close(c);
                    continue;
                }
                if (c->out_len == 0) {
                    struct epoll_event cev = {.events = EPOLLIN, .data.fd = fd};
                    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
                }
            }
            if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                ssize_t r = read(fd, c->in + c->in_len, IN_CAP - c->in_len);
                if (r <= 0) {
                    if (r < 0 && errno == EAGAIN) continue;
                    conn_close(c);
                    continue;
                }
                c->in_len += (size_t)r;
                if (on_input(c, latency_ms) || (c->out_len && flush_out(c)) || c->in_len == IN_CAP)
                    conn_close(c);
            }
        }
        if (q_len) serve_due(now_ms());
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu =
        ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    fprintf(stderr, "served %lld requests, cpu %.3f s\n", served, cpu);
    return 0;
}
