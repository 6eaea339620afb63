#include "builder/kernel/cache.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int cache_lock_take(struct cache_lock *l, const char *path, const char *what)
{
    l->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (l->fd < 0)
        return err_sys(-errno, "%s: cannot open lock file", path);
    if (flock(l->fd, LOCK_EX | LOCK_NB) == 0)
        return 0;
    if (errno != EWOULDBLOCK) {
        int e = errno;
        close(l->fd);
        return err_sys(-e, "%s: cannot lock", path);
    }
    log_info("waiting for %s (%s)", what, path);
    while (flock(l->fd, LOCK_EX) < 0) {
        if (errno == EINTR)
            continue;
        int e = errno;
        close(l->fd);
        return err_sys(-e, "%s: cannot lock", path);
    }
    return 0;
}

void cache_lock_release(struct cache_lock *l)
{
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
}

static void sweep_temporaries(const char *dir, const char *entry)
{
    _cleanup_free_ char *prefix = xasprintf("%s.tmp-", entry);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)))
        if (startswith(e->d_name, prefix)) {
            _cleanup_free_ char *p = xasprintf("%s/%s", dir, e->d_name);
            rm_rf(p);
        }
    closedir(d);
}

int cache_temp_dir(const char *dir, const char *entry, char **out)
{
    sweep_temporaries(dir, entry);
    char *tmp = xasprintf("%s/%s.tmp-XXXXXX", dir, entry);
    int r = mkdtemp_registered(tmp);
    if (r < 0) {
        r = err_sys(r, "%s: cannot create directory", tmp);
        free(tmp);
        return r;
    }
    *out = tmp;
    return 0;
}

int cache_temp_finish(char *tmp, const char *final, int r)
{
    if (r == 0 && final && rename(tmp, final) < 0)
        r = err_sys(-errno, "%s: cannot rename into place", final);
    if (r < 0 || !final)
        rm_rf(tmp);
    cleanup_unregister(tmp);
    free(tmp);
    return r;
}
