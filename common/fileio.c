#include "common/fileio.h"
#include "common/err.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int write_all(int fd, const void *buf, size_t len, const char *what)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return err_sys(-errno, "%s: write failed", what);
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int read_fd_all(int fd, const char *path, uint8_t **buf, size_t *len, size_t max);

int file_read_all(const char *path, uint8_t **buf, size_t *len, size_t max)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_sys(-errno, "%s: cannot open", path);
    return read_fd_all(fd, path, buf, len, max);
}

static const char *file_kind(mode_t m)
{
    return S_ISLNK(m) ? "a symbolic link" : S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO"
         : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket"
         : "not a regular file";
}

int file_open_in_dir(const char *dir, const char *name, struct stat *st)
{
    if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
        return err_set(-EINVAL, "%s/%s: not a plain file name in the directory", dir, name);
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return err_sys(-errno, "%s: cannot open the directory", dir);
    /* lstat first: a FIFO or device is never opened (no hang, no side effect) */
    if (fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) < 0)
        return err_sys(-errno, "%s/%s: cannot open", dir, name);
    if (!S_ISREG(st->st_mode))
        return err_set(-EINVAL, "%s/%s: is %s, not a regular file", dir, name, file_kind(st->st_mode));
    struct stat st2;
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return err_sys(-errno, "%s/%s: cannot open", dir, name);
    if (fstat(fd, &st2) < 0 || !S_ISREG(st2.st_mode) || st2.st_ino != st->st_ino || st2.st_dev != st->st_dev) {
        close(fd);
        return err_set(-EINVAL, "%s/%s: changed while it was opened, or is not a regular file", dir, name);
    }
    *st = st2;
    return fd;
}

int file_read_in_dir(const char *dir, const char *name, uint8_t **buf, size_t *len, size_t max)
{
    struct stat st;
    _cleanup_close_ int fd = file_open_in_dir(dir, name, &st);
    if (fd < 0)
        return fd;
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
    return read_fd_all(fd, path, buf, len, max);
}

static int read_fd_all(int fd, const char *path, uint8_t **buf, size_t *len, size_t max)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return err_sys(-errno, "%s: cannot stat", path);
    if (S_ISDIR(st.st_mode))
        return err_set(-EISDIR, "%s: is a directory", path);
    size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size : 65536;
    if (max && cap > max)
        return err_set(-EFBIG, "%s: larger than %zu bytes", path, max);
    uint8_t *b = xmalloc(cap + 1);
    size_t n = 0;
    for (;;) {
        if (n == cap) {
            if (max && cap >= max) {
                /* a non-regular file that keeps going */
                char c;
                ssize_t r = read(fd, &c, 1);
                if (r > 0) {
                    free(b);
                    return err_set(-EFBIG, "%s: larger than %zu bytes", path, max);
                }
                break;
            }
            cap = cap ? cap * 2 : 65536;
            if (max && cap > max)
                cap = max;
            b = xrealloc(b, cap + 1);
        }
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(b);
            return err_sys(-e, "%s: read failed", path);
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    b[n] = 0;
    *buf = b;
    *len = n;
    return 0;
}

static int as_text(int r, const char *path, uint8_t *b, size_t n, char **text);

int file_read_text(const char *path, char **text, size_t max)
{
    uint8_t *b = NULL;
    size_t n = 0;
    int r = file_read_all(path, &b, &n, max);   /* before as_text reads b and n */
    return as_text(r, path, b, n, text);
}

int file_read_text_in_dir(const char *dir, const char *name, char **text, size_t max)
{
    uint8_t *b = NULL;
    size_t n = 0;
    int r = file_read_in_dir(dir, name, &b, &n, max);
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
    return as_text(r, path, b, n, text);
}

static int as_text(int r, const char *path, uint8_t *b, size_t n, char **text)
{
    if (r < 0)
        return r;
    if (memchr(b, 0, n)) {
        free(b);
        return err_set(-EINVAL, "%s: not a text file (contains NUL bytes)", path);
    }
    *text = (char *)b;
    return 0;
}

/* ------------------------------------------------------ signal cleanup --- */

#define MAX_CLEANUP 64
static char *cleanup_paths[MAX_CLEANUP];
static volatile sig_atomic_t cleanup_running;

void cleanup_register(const char *path)
{
    for (int i = 0; i < MAX_CLEANUP; i++)
        if (!cleanup_paths[i]) {
            cleanup_paths[i] = xstrdup(path);
            return;
        }
}

void cleanup_unregister(const char *path)
{
    for (int i = 0; i < MAX_CLEANUP; i++)
        if (cleanup_paths[i] && !strcmp(cleanup_paths[i], path)) {
            char *p = cleanup_paths[i];
            cleanup_paths[i] = NULL;
            free(p);
            return;
        }
}

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* Remove everything under dirfd using only system calls, so that it is
 * async-signal-safe (the signal handler calls it). One pass reads the
 * directory to its end once, removing as it goes; an entry already gone
 * (ENOENT) is no error: a FUSE file system such as disorderfs serves the
 * listing it read at open time. Returns how many entries it removed, or
 * -errno. */
static int rm_dir_at(int parent, const char *name, int depth);

static int empty_pass(int dirfd, int depth)
{
    char buf[4096];
    int rc = 0, removed = 0;
    for (;;) {
        long n = syscall(SYS_getdents64, dirfd, buf, sizeof(buf));
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        for (long off = 0; off < n;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            off += d->d_reclen;
            const char *name = d->d_name;
            if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
                continue;
            /* FUSE (disorderfs), some XFS and NFS mounts say DT_UNKNOWN: ask */
            struct stat st;
            bool dir = d->d_type == DT_DIR ||
                       (d->d_type == DT_UNKNOWN && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                        S_ISDIR(st.st_mode));
            int r = dir ? rm_dir_at(dirfd, name, depth + 1) : unlinkat(dirfd, name, 0) < 0 ? -errno : 0;
            if (r == 0)
                removed++;
            else if (r != -ENOENT)
                rc = r;
        }
    }
    return rc < 0 ? rc : removed;
}

/* Empty the directory name (under parent) and remove it: a pass that
 * leaves something behind (a file system whose listing does not follow
 * removals) is followed by another on a fresh descriptor while passes
 * still remove something. */
static int rm_dir_at(int parent, const char *name, int depth)
{
    if (depth > 256)
        return -ELOOP;
    for (;;) {
        int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return -errno;
        int n = empty_pass(fd, depth);
        close(fd);
        if (n < 0)
            return n;
        if (unlinkat(parent, name, AT_REMOVEDIR) == 0)
            return 0;
        if (errno != ENOTEMPTY || n == 0)
            return -errno;
    }
}

int rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (!S_ISDIR(st.st_mode))
        return unlink(path) < 0 ? -errno : 0;
    return rm_dir_at(AT_FDCWD, path, 0);
}

#define MAX_SIGNAL_HOOKS 4
static void (*signal_hooks[MAX_SIGNAL_HOOKS])(int sig);

void cleanup_on_signal(void (*fn)(int sig))
{
    for (int i = 0; i < MAX_SIGNAL_HOOKS; i++)
        if (!signal_hooks[i] || signal_hooks[i] == fn) {
            signal_hooks[i] = fn;
            return;
        }
}

static void fatal_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
}

void fatal_signals_hold(sigset_t *old)
{
    sigset_t set;
    fatal_signals(&set);
    sigprocmask(SIG_BLOCK, &set, old);
}

void fatal_signals_release(const sigset_t *old)
{
    sigprocmask(SIG_SETMASK, old, NULL);
}

int mkdtemp_registered(char *tmpl)
{
    sigset_t old;
    fatal_signals_hold(&old);
    bool made = mkdtemp(tmpl) != NULL;
    int e = errno;
    if (made)
        cleanup_register(tmpl);
    fatal_signals_release(&old);
    return made ? 0 : -e;
}

static void on_fatal_signal(int sig)
{
    if (!cleanup_running) {
        cleanup_running = 1;
        for (int i = 0; i < MAX_SIGNAL_HOOKS; i++)
            if (signal_hooks[i])
                signal_hooks[i](sig);
        for (int i = 0; i < MAX_CLEANUP; i++)
            if (cleanup_paths[i])
                rm_rf(cleanup_paths[i]);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

void fileio_forget_inherited(void)
{
    sigset_t old;
    fatal_signals_hold(&old);
    for (int i = 0; i < MAX_CLEANUP; i++) {
        free(cleanup_paths[i]);
        cleanup_paths[i] = NULL;
    }
    for (int i = 0; i < MAX_SIGNAL_HOOKS; i++)
        signal_hooks[i] = NULL;
    fatal_signals_release(&old);
}

void fileio_install_signal_cleanup(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_fatal_signal;
    fatal_signals(&sa.sa_mask);   /* a second signal waits until the first one's cleanup is done */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    /* A mapped input that shrinks under the reader (igvm build maps the
     * kernel) faults with SIGBUS: the temporaries go too, then the signal
     * ends the process as it would have. */
    sigaction(SIGBUS, &sa, NULL);
}

/* ---------------------------------------------------------- atomic files --- */

int atomic_open(struct atomic_file *af, const char *path, mode_t mode)
{
    memset(af, 0, sizeof(*af));
    af->fd = -1;
    _cleanup_free_ char *d = xstrdup(path), *b = xstrdup(path);
    const char *dir = dirname(d), *base = basename(b);
    af->path = xstrdup(path);
    af->tmp = xasprintf("%s/.%s.tmp-XXXXXX", dir, base);
    af->fd = mkostemp(af->tmp, O_CLOEXEC);
    if (af->fd < 0) {
        int e = errno;
        free(af->path);
        free(af->tmp);
        af->path = af->tmp = NULL;
        return err_sys(-e, "%s: cannot create", path);
    }
    cleanup_register(af->tmp);
    mode_t um = umask(0);
    umask(um);
    fchmod(af->fd, mode & ~um);
    return 0;
}

FILE *atomic_stream(struct atomic_file *af)
{
    if (!af->fp)
        af->fp = fdopen(af->fd, "w");
    return af->fp;
}

int atomic_commit(struct atomic_file *af)
{
    int rc = 0;
    if (af->fp) {
        if (fflush(af->fp) != 0 || ferror(af->fp))
            rc = err_sys(-errno ? -errno : -EIO, "%s: write failed", af->path);
    }
    if (!rc && fsync(af->fd) < 0)
        rc = err_sys(-errno, "%s: write failed", af->path);
    if (af->fp) {
        fclose(af->fp);
        af->fp = NULL;
    } else {
        close(af->fd);
    }
    af->fd = -1;
    if (!rc && rename(af->tmp, af->path) < 0)
        rc = err_sys(-errno, "%s: cannot rename into place", af->path);
    if (rc)
        unlink(af->tmp);
    cleanup_unregister(af->tmp);
    free(af->tmp);
    free(af->path);
    af->tmp = af->path = NULL;
    return rc;
}

void atomic_abort(struct atomic_file *af)
{
    if (!af->tmp)
        return;
    if (af->fp)
        fclose(af->fp);
    else if (af->fd >= 0)
        close(af->fd);
    unlink(af->tmp);
    cleanup_unregister(af->tmp);
    free(af->tmp);
    free(af->path);
    af->tmp = af->path = NULL;
    af->fp = NULL;
    af->fd = -1;
}

int file_write_atomic(const char *path, const void *buf, size_t len, mode_t mode)
{
    struct atomic_file af;
    int r = atomic_open(&af, path, mode);
    if (r < 0)
        return r;
    r = write_all(af.fd, buf, len, path);
    if (r < 0) {
        atomic_abort(&af);
        return r;
    }
    return atomic_commit(&af);
}

int mkdir_p(const char *path, mode_t mode)
{
    _cleanup_free_ char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(p, mode) < 0 && errno != EEXIST)
            return err_sys(-errno, "%s: cannot create directory", p);
        *s = '/';
    }
    if (mkdir(p, mode) < 0 && errno != EEXIST)
        return err_sys(-errno, "%s: cannot create directory", p);
    return 0;
}

int file_copy_in_dir(const char *dir, const char *name, int out, const char *out_what)
{
    struct stat st;
    int in = file_open_in_dir(dir, name, &st);
    if (in < 0)
        return in;
    static uint8_t buf[1 << 16];
    int rc = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rc = err_sys(-errno, "%s/%s: read failed", dir, name);
        if (n <= 0 || (rc = write_all(out, buf, (size_t)n, out_what)) < 0)
            break;
    }
    close(in);
    return rc;
}
