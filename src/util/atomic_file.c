/* Write-temp-fsync-rename for every output file (reports, CSV folders, targets). */
#include "util/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

static void clear(struct atomic_file *af)
{
    free(af->path);
    free(af->tmp);
    af->fp = NULL;
    af->path = af->tmp = NULL;
}

int atomic_file_open(struct atomic_file *af, const char *path, struct vsc_diag *diag)
{
    memset(af, 0, sizeof(*af));
    char *dir = path_dirname(path);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    af->path = xstrdup(path);
    if (!dir || !af->path) {
        free(dir);
        clear(af);
        return VSC_ERR_NOMEM;
    }
    /* a hidden name in the same folder (rename never crosses file systems), unique per try */
    int fd = -1, err = 0;
    for (unsigned i = 0; fd < 0 && i < 100; i++) {
        free(af->tmp);
        af->tmp = xasprintf("%s/.%s.tmp-%ld-%u", dir, base, (long)getpid(),
                            (unsigned)(hash64(path) + i * 2654435761u + (unsigned)now_ms()));
        if (!af->tmp) break;
        fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        err = errno;
        if (fd < 0 && err != EEXIST) break;
    }
    free(dir);
    if (fd >= 0) af->fp = fdopen(fd, "w");
    if (!af->fp) {
        if (fd >= 0) {
            err = errno;
            close(fd);
            unlink(af->tmp);
        }
        vsc_diag_set(diag, path, 0, 0, "cannot write: %s", strerror(err ? err : ENOMEM));
        clear(af);
        return VSC_ERR_IO;
    }
    struct stat st; /* keep the permissions the previous file had */
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) fchmod(fd, st.st_mode & 07777);
    return 0;
}

void atomic_file_abort(struct atomic_file *af)
{
    if (af->fp) fclose(af->fp);
    if (af->tmp) unlink(af->tmp);
    clear(af);
}

int atomic_file_commit(struct atomic_file *af, struct vsc_diag *diag)
{
    int err = 0;
    errno = 0;
    if (fflush(af->fp) != 0 || ferror(af->fp)) err = errno ? errno : EIO;
    if (!err && fsync(fileno(af->fp)) != 0) err = errno;
    if (fclose(af->fp) != 0 && !err) err = errno;
    af->fp = NULL;
    if (!err && rename(af->tmp, af->path) != 0) err = errno;
    if (err) {
        unlink(af->tmp);
        vsc_diag_set(diag, af->path, 0, 0, "write failed (%s); the previous file is unchanged",
                     strerror(err));
    }
    clear(af);
    return err ? VSC_ERR_IO : 0;
}

int atomic_file_write(const char *path, int (*write_fn)(FILE *fp, void *payload), void *payload,
                      struct vsc_diag *diag)
{
    struct atomic_file af;
    int rc = atomic_file_open(&af, path, diag);
    if (rc) return rc;
    errno = 0;
    if ((rc = write_fn(af.fp, payload))) {
        int err = errno;
        atomic_file_abort(&af);
        if (rc == VSC_ERR_IO)
            vsc_diag_set(diag, path, 0, 0, "write failed (%s); the previous file is unchanged",
                         strerror(err ? err : EIO));
        return rc;
    }
    return atomic_file_commit(&af, diag);
}
