/* The SQLite store. WAL mode; every batch of finished requests lands in one transaction. */
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"

#define SCHEMA_VERSION "1"
/* PRAGMA application_id of a valscope store (0x56534331, "VSC1"): tells it apart from other
 * SQLite files. */
#define APP_ID 1448297265
#define STR_(x) #x
#define STR(x) STR_(x)

enum { ST_ADD_CELL, ST_PUT_ANSWER, ST_PENDING, ST_COUNT };

struct vsc_store {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    char errmsg[1024];
    int in_tx;
    int lock_fd; /* the run lock (flock on the database file), -1 when not held */
};

static const char *const SCHEMA =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    /* A bigger page cache keeps the hot index pages of a large plan in memory (the default
     * 2 MB re-reads them for every batch); bounded, so a million-cell run stays small. */
    "PRAGMA cache_size=-32768;"
    /* Fewer, larger checkpoints: each one fsyncs twice on the dispatcher's thread, and pages
     * rewritten by many small commits are copied back once. Bounds the WAL at ~40 MB. */
    "PRAGMA wal_autocheckpoint=10000;"
    /* one transaction: a set-up cut short leaves no half store (which would be refused as a
     * stranger's database next time) */
    "BEGIN;"
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT);"
    "CREATE TABLE IF NOT EXISTS runs(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL,"
    " config TEXT, created_at TEXT, tool_version TEXT, plan_hash TEXT);"
    "CREATE TABLE IF NOT EXISTS run_instruments(run_id INTEGER NOT NULL, instrument TEXT NOT NULL,"
    " kind TEXT, arg TEXT, base_dir TEXT, options TEXT, PRIMARY KEY(run_id, instrument));"
    "CREATE TABLE IF NOT EXISTS cells(id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL,"
    " model TEXT NOT NULL, instrument TEXT NOT NULL, item TEXT NOT NULL, condition TEXT NOT NULL,"
    " sample INTEGER NOT NULL, key TEXT NOT NULL, meta TEXT, body TEXT,"
    " UNIQUE(run_id, model, instrument, item, condition, sample));"
    "CREATE INDEX IF NOT EXISTS cells_key ON cells(key);"
    "CREATE INDEX IF NOT EXISTS cells_run_model ON cells(run_id, model, id);"
    "CREATE TABLE IF NOT EXISTS answers(key TEXT PRIMARY KEY, model TEXT, status TEXT NOT NULL,"
    " error TEXT, http_status INTEGER, text TEXT, finish_reason TEXT, logprobs TEXT, raw TEXT,"
    " prompt_tokens INTEGER, completion_tokens INTEGER, latency_ms REAL, attempts INTEGER,"
    " created_at TEXT);"
    "INSERT OR IGNORE INTO meta(k, v) VALUES('schema', '" SCHEMA_VERSION "');"
    "PRAGMA application_id=" STR(APP_ID) ";"
                                         "COMMIT;";

static const char *const SQL[ST_COUNT] = {
    [ST_ADD_CELL] =
        "INSERT OR IGNORE INTO cells(run_id, model, instrument, item, condition, sample,"
        " key, meta, body) VALUES(?,?,?,?,?,?,?,?,?)",
    [ST_PUT_ANSWER] =
        "INSERT INTO answers(key, model, status, error, http_status, text, finish_reason, logprobs,"
        " raw, prompt_tokens, completion_tokens, latency_ms, attempts, created_at)"
        " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,datetime('now'))"
        " ON CONFLICT(key) DO UPDATE SET model=excluded.model, status=excluded.status,"
        " error=excluded.error, http_status=excluded.http_status, text=excluded.text,"
        " finish_reason=excluded.finish_reason, logprobs=excluded.logprobs, raw=excluded.raw,"
        " prompt_tokens=excluded.prompt_tokens, completion_tokens=excluded.completion_tokens,"
        " latency_ms=excluded.latency_ms, attempts=answers.attempts+excluded.attempts,"
        " created_at=excluded.created_at WHERE answers.status != 'ok'",
    [ST_PENDING] = "SELECT c.id, c.key, c.body, c.meta, c.item, c.condition, c.sample FROM cells c"
                   " WHERE c.run_id=?1 AND c.model=?2 AND c.id>?3 AND NOT EXISTS"
                   " (SELECT 1 FROM answers a WHERE a.key=c.key AND a.status='ok')"
                   " ORDER BY c.id LIMIT ?4",
};

int store_fail(struct vsc_store *s, const char *what)
{
    snprintf(s->errmsg, sizeof(s->errmsg), "%s: %s", what, sqlite3_errmsg(s->db));
    return VSC_ERR_STORE;
}

const char *vsc_store_errmsg(const struct vsc_store *s)
{
    return s ? s->errmsg : "no store";
}

int vsc_store_diag(struct vsc_diag *diag, const struct vsc_store *s, int status)
{
    if (diag && !diag->msg[0] && s && s->errmsg[0] &&
        (status == VSC_ERR_STORE || status == VSC_ERR_BUSY || status == VSC_ERR_NOTFOUND))
        snprintf(diag->msg, sizeof(diag->msg), "%s", s->errmsg);
    return vsc_diag_finish(diag, status);
}

static int fail_msg(struct vsc_store *s, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_msg(struct vsc_store *s, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
    va_end(ap);
    return rc;
}

/* Before SQLite sees the path: a store is a regular file in an existing folder. SQLite's own
 * message for a missing folder names neither, and a device such as /dev/null opens "fine". */
static int check_path(struct vsc_store *s, const char *path, int create)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!S_ISREG(st.st_mode))
            return fail_msg(s, VSC_ERR_STORE,
                            "%s: cannot open store: not a regular file (a store is an SQLite "
                            "database file)",
                            path);
        return 0;
    }
    if (errno != ENOENT)
        return fail_msg(s, VSC_ERR_STORE, "%s: cannot open store: %s", path, strerror(errno));
    if (!create) return fail_msg(s, VSC_ERR_NOTFOUND, "%s: no such store", path);
    char *dir = path_dirname(path);
    int rc = 0;
    if (!dir) return fail_msg(s, VSC_ERR_NOMEM, "out of memory");
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        rc = fail_msg(s, VSC_ERR_STORE,
                      "%s: cannot open store: unable to open database file: no such directory %s",
                      path, dir);
    free(dir);
    return rc;
}

/* Read-only look at what the file holds, before anything is written to it. A valscope store
 * has our application_id or a schema row in `meta`; a writer may also take an empty database
 * (a new file). Anything else belongs to someone else and is refused, even when its tables
 * happen to have our names. SQLite's reason is passed on when the file cannot be read at all
 * (not a database, malformed), so a damaged store is not called a stranger. */
static int check_valscope(struct vsc_store *s, const char *path, int writer)
{
    sqlite3_stmt *st = NULL;
    int64_t app_id = 0;
    int has_meta = 0, n_tables = 0, rc = 0;
    char tables[256] = "";
    if (sqlite3_prepare_v2(s->db, "PRAGMA application_id", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        goto unreadable;
    app_id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (app_id == APP_ID) return 0;
    if (app_id != 0)
        return fail_msg(s, VSC_ERR_STORE,
                        "%s: not a valscope store (its application_id 0x%llx belongs to another "
                        "program); nothing was written to it",
                        path, (unsigned long long)app_id);
    if (sqlite3_prepare_v2(s->db, "SELECT name FROM sqlite_master WHERE type='table'", -1, &st,
                           NULL) != SQLITE_OK)
        goto unreadable;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (!name) continue;
        if (!strcmp(name, "meta")) has_meta = 1;
        size_t len = strlen(tables);
        if (n_tables++ < 8 && len + strlen(name) + 4 < sizeof(tables))
            snprintf(tables + len, sizeof(tables) - len, "%s'%s'", len ? ", " : "", name);
    }
    if (rc != SQLITE_DONE) goto unreadable;
    sqlite3_finalize(st);
    st = NULL;
    /* a `meta` without our columns is someone else's: not prepared, not ours */
    if (has_meta && sqlite3_prepare_v2(s->db, "SELECT v FROM meta WHERE k='schema'", -1, &st,
                                       NULL) == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) goto unreadable;
        sqlite3_finalize(st);
        st = NULL;
        if (rc == SQLITE_ROW) return 0;
    }
    if (!n_tables) {
        if (writer) return 0; /* a new (or empty) database becomes a store */
        return fail_msg(s, VSC_ERR_STORE,
                        "%s: not a valscope store (an empty database: no run was stored in it)",
                        path);
    }
    return fail_msg(s, VSC_ERR_STORE, "%s: not a valscope store (it holds table(s) %s%s)%s", path,
                    tables, n_tables > 8 ? ", ..." : "",
                    writer ? "; nothing was written to it: use a new file for the store" : "");
unreadable:
    rc = fail_msg(s, VSC_ERR_STORE, "%s: cannot read store: %s", path, sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    return rc;
}

/* The run lock: an exclusive flock on the database file itself, so a symlink or a hard link to
 * the same store is the same lock. It is held on our own descriptor until vsc_store_free closes
 * it after SQLite is done with the file (closing any descriptor of a file drops the process's
 * fcntl locks, which SQLite uses); the kernel drops it when the process dies (kill -9 leaves
 * nothing stale) and no lock file is made. */
static int take_lock(struct vsc_store *s, const char *path)
{
    s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (s->lock_fd < 0 && (errno == EACCES || errno == EROFS))
        s->lock_fd = open(path, O_RDONLY | O_CLOEXEC); /* read-only: SQLite says so below */
    if (s->lock_fd < 0)
        return fail_msg(s, VSC_ERR_STORE, "%s: cannot open store: %s", path, strerror(errno));
    struct stat st;
    if (fstat(s->lock_fd, &st) != 0 || !S_ISREG(st.st_mode))
        return fail_msg(s, VSC_ERR_STORE, "%s: cannot open store: not a regular file", path);
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) == 0) return 0;
    if (errno == EWOULDBLOCK)
        return fail_msg(s, VSC_ERR_BUSY,
                        "%s: store is locked: another valscope run is using it (perhaps under "
                        "another name: a symlink or hard link); wait for it or use another store",
                        path);
    return fail_msg(s, VSC_ERR_STORE, "%s: cannot lock store: %s", path, strerror(errno));
}

static int open_rw(struct vsc_store **out, const char *path, int lock)
{
    struct vsc_store *s = calloc(1, sizeof(*s));
    int rc;
    *out = s;
    if (!s) return VSC_ERR_NOMEM;
    s->lock_fd = -1;
    if ((rc = check_path(s, path, 1)) || (lock && (rc = take_lock(s, path)))) return rc;
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK)
        return fail_msg(s, VSC_ERR_STORE, "%s: cannot open store: %s", path,
                        s->db ? sqlite3_errmsg(s->db) : "out of memory");
    sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
    if (sqlite3_db_readonly(s->db, "main") == 1)
        return fail_msg(s, VSC_ERR_STORE,
                        "%s: cannot write store: attempt to write a readonly database (the file "
                        "is read-only)",
                        path);
    if ((rc = check_valscope(s, path, 1))) return rc;
    char *err = NULL;
    if (sqlite3_exec(s->db, SCHEMA, NULL, NULL, &err) != SQLITE_OK) {
        char *dir = path_dirname(path);
        int dir_ro = dir && access(dir, W_OK) != 0;
        fail_msg(s, VSC_ERR_STORE, "%s: cannot write store: %s%s%s%s", path, err ? err : "?",
                 dir_ro ? " (the folder " : "", dir_ro ? dir : "",
                 dir_ro ? " is not writable: SQLite keeps its journal there)" : "");
        free(dir);
        sqlite3_free(err);
        return VSC_ERR_STORE;
    }
    for (int i = 0; i < ST_COUNT; i++)
        if (sqlite3_prepare_v3(s->db, SQL[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL))
            return store_fail(s, path);
    return 0;
}

int vsc_store_open(struct vsc_store **out, const char *path)
{
    return open_rw(out, path, 0);
}

int store_open_locked(struct vsc_store **out, const char *path)
{
    return open_rw(out, path, 1);
}

/* A WAL store whose file and folder we may not write (an archive, another user's results)
 * cannot even be read the ordinary way: SQLite needs to create its -shm file. Nobody can be
 * writing such a file, so it is read as immutable. */
static int open_immutable(struct vsc_store *s, const char *path)
{
    char *uri = malloc(3 * strlen(path) + 32), *o = uri;
    if (!uri) return VSC_ERR_NOMEM;
    o += sprintf(o, "file:");
    for (const char *p = path; *p; p++)
        o += strchr("%?#", *p) ? sprintf(o, "%%%02X", (unsigned char)*p) : sprintf(o, "%c", *p);
    sprintf(o, "?immutable=1");
    sqlite3_close(s->db);
    s->db = NULL;
    int rc = sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    free(uri);
    return rc == SQLITE_OK ? 0 : VSC_ERR_STORE;
}

int vsc_store_open_read(struct vsc_store **out, const char *path)
{
    struct vsc_store *s = calloc(1, sizeof(*s));
    int rc;
    *out = s;
    if (!s) return VSC_ERR_NOMEM;
    s->lock_fd = -1;
    if ((rc = check_path(s, path, 0))) return rc;
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return fail_msg(s, VSC_ERR_STORE, "%s: cannot open store: %s", path,
                        s->db ? sqlite3_errmsg(s->db) : "out of memory");
    sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
    rc = check_valscope(s, path, 0);
    int code = sqlite3_errcode(s->db);
    if (rc && (code == SQLITE_READONLY || code == SQLITE_CANTOPEN) && !open_immutable(s, path))
        rc = check_valscope(s, path, 0);
    if (rc) return rc;
    for (int i = 0; i < ST_COUNT; i++)
        if (sqlite3_prepare_v3(s->db, SQL[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL))
            return store_fail(s, path);
    return 0;
}

int vsc_store_check_run(struct vsc_store *s, const char *run)
{
    if (!run) return 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT name FROM runs ORDER BY id", -1, &st, NULL))
        return store_fail(s, "runs");
    char names[768] = "";
    size_t n = 0, len = 0;
    int found = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (!name) continue;
        if (!strcmp(name, run)) found = 1;
        n++;
        if (len + strlen(name) + 8 < sizeof(names))
            len +=
                (size_t)snprintf(names + len, sizeof(names) - len, "%s'%s'", len ? ", " : "", name);
        else if (len + 6 < sizeof(names) && !strstr(names, ", ..."))
            len += (size_t)snprintf(names + len, sizeof(names) - len, ", ...");
    }
    if (rc != SQLITE_DONE) {
        rc = store_fail(s, "runs");
        sqlite3_finalize(st);
        return rc;
    }
    sqlite3_finalize(st);
    if (found) return 0;
    if (!n) return fail_msg(s, VSC_ERR_NOTFOUND, "no run '%s': the store holds no runs", run);
    return fail_msg(s, VSC_ERR_NOTFOUND, "no run '%s'; the store's runs: %s", run, names);
}

void vsc_store_free(struct vsc_store *s)
{
    if (!s) return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    if (s->db) {
        if (s->in_tx) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close(s->db);
    }
    if (s->lock_fd >= 0) close(s->lock_fd); /* after SQLite closed the file: see take_lock */
    free(s);
}

static int exec(struct vsc_store *s, const char *sql)
{
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : store_fail(s, sql);
}

int vsc_store_begin(struct vsc_store *s)
{
    int rc = exec(s, "BEGIN IMMEDIATE");
    if (!rc) s->in_tx = 1;
    return rc;
}

int vsc_store_commit(struct vsc_store *s)
{
    int rc = exec(s, "COMMIT");
    if (!rc) s->in_tx = 0;
    return rc;
}

int vsc_store_rollback(struct vsc_store *s)
{
    s->in_tx = 0;
    return exec(s, "ROLLBACK");
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static int step_done(struct vsc_store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    int ok = rc == SQLITE_DONE || rc == SQLITE_ROW;
    int ret = ok ? 0 : store_fail(s, what);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ret;
}

int vsc_store_run_begin(struct vsc_store *s, int64_t *out_run_id, const char *run,
                        const char *config_text)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO runs(name, config, created_at, tool_version)"
                           " VALUES(?1, ?2, datetime('now'), '" VSC_VERSION "')"
                           " ON CONFLICT(name) DO NOTHING",
                           -1, &st, NULL))
        return store_fail(s, "run");
    bind_text(st, 1, run);
    bind_text(st, 2, config_text);
    if ((rc = step_done(s, st, "run"))) goto done;
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(s->db, "SELECT id FROM runs WHERE name=?1", -1, &st, NULL))
        return store_fail(s, "run");
    bind_text(st, 1, run);
    if (sqlite3_step(st) != SQLITE_ROW)
        rc = store_fail(s, "run");
    else
        *out_run_id = sqlite3_column_int64(st, 0);
done:
    sqlite3_finalize(st);
    return rc;
}

int vsc_store_run_add_instrument(struct vsc_store *s, int64_t run_id, const char *instrument,
                                 const char *kind, const char *arg, const char *base_dir,
                                 const char *options_json)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT OR REPLACE INTO run_instruments(run_id, instrument, kind, arg,"
                           " base_dir, options) VALUES(?,?,?,?,?,?)",
                           -1, &st, NULL))
        return store_fail(s, "instrument");
    sqlite3_bind_int64(st, 1, run_id);
    bind_text(st, 2, instrument);
    bind_text(st, 3, kind);
    bind_text(st, 4, arg);
    bind_text(st, 5, base_dir);
    bind_text(st, 6, options_json);
    int rc = step_done(s, st, "instrument");
    sqlite3_finalize(st);
    return rc;
}

int vsc_store_add_cell(struct vsc_store *s, int64_t run_id, const struct vsc_cell *c,
                       int *out_added)
{
    sqlite3_stmt *st = s->st[ST_ADD_CELL];
    sqlite3_bind_int64(st, 1, run_id);
    bind_text(st, 2, c->model);
    bind_text(st, 3, c->instrument);
    bind_text(st, 4, c->item);
    bind_text(st, 5, c->condition ? c->condition : "");
    sqlite3_bind_int(st, 6, c->sample);
    bind_text(st, 7, c->key);
    bind_text(st, 8, c->meta_json);
    bind_text(st, 9, c->body);
    int rc = step_done(s, st, "add cell");
    if (out_added) *out_added = !rc && sqlite3_changes(s->db) > 0;
    return rc;
}

int vsc_store_put_answer(struct vsc_store *s, const char *key, const char *model,
                         const struct vsc_answer *a)
{
    sqlite3_stmt *st = s->st[ST_PUT_ANSWER];
    bind_text(st, 1, key);
    bind_text(st, 2, model);
    bind_text(st, 3, a->status);
    bind_text(st, 4, a->error);
    sqlite3_bind_int(st, 5, a->http_status);
    bind_text(st, 6, a->text);
    bind_text(st, 7, a->finish_reason);
    bind_text(st, 8, a->logprobs_json);
    bind_text(st, 9, a->raw);
    sqlite3_bind_int(st, 10, a->prompt_tokens);
    sqlite3_bind_int(st, 11, a->completion_tokens);
    sqlite3_bind_double(st, 12, a->latency_ms);
    sqlite3_bind_int(st, 13, a->attempts);
    return step_done(s, st, "put answer");
}

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? strdup((const char *)t) : NULL;
}

void pending_cell_clear(struct pending_cell *c)
{
    free(c->key);
    free(c->body);
    free(c->meta);
    free(c->item);
    free(c->condition);
    memset(c, 0, sizeof(*c));
}

int store_pending_page(struct vsc_store *s, int64_t run_id, const char *model, int64_t after_id,
                       struct pending_cell *out, size_t max, size_t *out_n)
{
    sqlite3_stmt *st = s->st[ST_PENDING];
    sqlite3_bind_int64(st, 1, run_id);
    bind_text(st, 2, model);
    sqlite3_bind_int64(st, 3, after_id);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)max);
    size_t n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < max) {
        struct pending_cell *c = &out[n++];
        c->id = sqlite3_column_int64(st, 0);
        c->key = col_dup(st, 1);
        c->body = col_dup(st, 2);
        c->meta = col_dup(st, 3);
        c->item = col_dup(st, 4);
        c->condition = col_dup(st, 5);
        c->sample = sqlite3_column_int(st, 6);
    }
    int ret = (rc == SQLITE_DONE || rc == SQLITE_ROW) ? 0 : store_fail(s, "pending cells");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    *out_n = n;
    return ret;
}

/* Cells, cells with an ok answer and cells with an error answer, of one run given by id
 * (run_id > 0) or by name (NULL: every run). */
static int count_cells(struct vsc_store *s, int64_t run_id, const char *run, int64_t *out_cells,
                       int64_t *out_ok, int64_t *out_error)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT COUNT(*), COALESCE(SUM(a.status='ok'),0),"
                           " COALESCE(SUM(a.status='error'),0) FROM cells c"
                           " JOIN runs r ON r.id=c.run_id LEFT JOIN answers a ON a.key=c.key"
                           " WHERE (?1 <= 0 OR c.run_id=?1) AND (?2 IS NULL OR r.name=?2)",
                           -1, &st, NULL))
        return store_fail(s, "count");
    sqlite3_bind_int64(st, 1, run_id);
    bind_text(st, 2, run);
    int rc = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *out_cells = sqlite3_column_int64(st, 0);
        *out_ok = sqlite3_column_int64(st, 1);
        if (out_error) *out_error = sqlite3_column_int64(st, 2);
    } else {
        rc = store_fail(s, "count");
    }
    sqlite3_finalize(st);
    return rc;
}

int store_count(struct vsc_store *s, int64_t run_id, int64_t *out_cells, int64_t *out_ok)
{
    return count_cells(s, run_id, NULL, out_cells, out_ok, NULL);
}

int vsc_store_run_counts(struct vsc_store *s, const char *run, int64_t *out_cells, int64_t *out_ok,
                         int64_t *out_error)
{
    return count_cells(s, 0, run, out_cells, out_ok, out_error);
}

int store_plan_hash(struct vsc_store *s, int64_t run_id, char **out)
{
    sqlite3_stmt *st = NULL;
    *out = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT plan_hash FROM runs WHERE id=?1", -1, &st, NULL))
        return store_fail(s, "plan hash");
    sqlite3_bind_int64(st, 1, run_id);
    if (sqlite3_step(st) == SQLITE_ROW) *out = col_dup(st, 0);
    sqlite3_finalize(st);
    return 0;
}

int store_set_plan_hash(struct vsc_store *s, int64_t run_id, const char *hash)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "UPDATE runs SET plan_hash=?2 WHERE id=?1", -1, &st, NULL))
        return store_fail(s, "plan hash");
    sqlite3_bind_int64(st, 1, run_id);
    bind_text(st, 2, hash);
    int rc = step_done(s, st, "plan hash");
    sqlite3_finalize(st);
    return rc;
}

int vsc_store_foreach_answer(struct vsc_store *s, const char *run, vsc_answer_cb cb, void *payload)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(
            s->db,
            "SELECT c.id, r.name, c.model, c.instrument, c.item, c.condition, c.sample, c.meta,"
            " COALESCE(a.status, 'pending'), a.error, a.http_status, a.text, a.finish_reason,"
            " a.logprobs, a.prompt_tokens, a.completion_tokens, a.latency_ms, a.attempts"
            " FROM cells c JOIN runs r ON r.id=c.run_id LEFT JOIN answers a ON a.key=c.key"
            " WHERE (?1 IS NULL OR r.name=?1) ORDER BY c.run_id, c.model, c.id",
            -1, &st, NULL))
        return store_fail(s, "read answers");
    s->errmsg[0] = 0; /* from here a message means the store failed, not the callback */
    bind_text(st, 1, run);
    int rc, ret = 0;
#define T(i) ((const char *)sqlite3_column_text(st, i))
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct vsc_answer_row row = {
            .cell_id = sqlite3_column_int64(st, 0),
            .run = T(1),
            .model = T(2),
            .instrument = T(3),
            .item = T(4),
            .condition = T(5),
            .sample = sqlite3_column_int(st, 6),
            .meta_json = T(7),
            .status = T(8),
            .error = T(9),
            .http_status = sqlite3_column_int(st, 10),
            .text = T(11),
            .finish_reason = T(12),
            .logprobs_json = T(13),
            .prompt_tokens = sqlite3_column_int(st, 14),
            .completion_tokens = sqlite3_column_int(st, 15),
            .latency_ms = sqlite3_column_double(st, 16),
            .attempts = sqlite3_column_int(st, 17),
        };
        if ((ret = cb(&row, payload)) != 0) break;
    }
#undef T
    if (!ret && rc != SQLITE_DONE) ret = store_fail(s, "read answers");
    sqlite3_finalize(st);
    return ret;
}

int vsc_store_foreach_run(struct vsc_store *s, vsc_run_cb cb, void *payload)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT name, config FROM runs ORDER BY id", -1, &st, NULL))
        return store_fail(s, "runs");
    s->errmsg[0] = 0;
    int ret = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if ((ret = cb((const char *)sqlite3_column_text(st, 0),
                      (const char *)sqlite3_column_text(st, 1), payload)))
            break;
    if (!ret && rc != SQLITE_DONE) ret = store_fail(s, "runs"); /* a damaged store says so */
    sqlite3_finalize(st);
    return ret;
}

int vsc_store_foreach_instrument(struct vsc_store *s, const char *run, vsc_instrument_cb cb,
                                 void *payload)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT r.name, i.instrument, i.kind, i.arg, i.base_dir, i.options"
                           " FROM run_instruments i JOIN runs r ON r.id=i.run_id"
                           " WHERE (?1 IS NULL OR r.name=?1) ORDER BY r.id, i.rowid",
                           -1, &st, NULL))
        return store_fail(s, "instruments");
    s->errmsg[0] = 0;
    bind_text(st, 1, run);
    int ret = 0, rc;
#define T(i) ((const char *)sqlite3_column_text(st, i))
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct vsc_run_instrument ri = {T(0), T(1), T(2), T(3), T(4), T(5)};
        if ((ret = cb(&ri, payload))) break;
    }
#undef T
    if (!ret && rc != SQLITE_DONE) ret = store_fail(s, "instruments");
    sqlite3_finalize(st);
    return ret;
}
