/* Temporary release directory, renamed into place on success. */
#include "release/outdir.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* 1: empty or a release directory; 0: absent; negative: refuse. */
static int existing_dir(const char *dir, const char *marker)
{
    struct stat st;
    if (lstat(dir, &st) < 0)
        return errno == ENOENT ? 0 : err_sys(-errno, "%s: cannot stat", dir);
    if (!S_ISDIR(st.st_mode))
        return err_set(-ENOTDIR, "%s: exists and is not a directory", dir);
    _cleanup_free_ char *release = xasprintf("%s/%s", dir, marker);
    if (access(release, F_OK) == 0)
        return 1;
    DIR *d = opendir(dir);
    if (!d)
        return err_sys(-errno, "%s: cannot read", dir);
    struct dirent *e;
    bool empty = true;
    while (empty && (e = readdir(d)))
        empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
    closedir(d);
    if (empty)
        return 1;
    if (!strcmp(marker, "release.json"))
        return err_set(-EEXIST, "%s: exists and is not a release directory (no release.json); "
                                "remove it or choose another", dir);
    return err_set(-EEXIST, "%s: exists, is not empty and holds no %s: not ours to replace; "
                            "remove it or choose another", dir, marker);
}

int outdir_begin(struct outdir *o, const char *dir)
{
    return outdir_begin_marked(o, dir, "release.json");
}

int outdir_begin_marked(struct outdir *o, const char *dir, const char *marker)
{
    memset(o, 0, sizeof(*o));
    int r = existing_dir(dir, marker);
    if (r < 0)
        return r;
    _cleanup_free_ char *d = xstrdup(dir), *b = xstrdup(dir);
    const char *parent = dirname(d), *base = basename(b);
    if (!strcmp(base, "/") || !strcmp(base, ".") || !strcmp(base, ".."))
        return err_set(-EINVAL, "%s: not usable as an output directory", dir);
    if ((r = mkdir_p(parent, 0755)) < 0)
        return r;
    o->tmp = xasprintf("%s/.%s.tmp-XXXXXX", parent, base);
    if ((r = mkdtemp_registered(o->tmp)) < 0) {
        r = err_sys(r, "%s: cannot create a temporary directory beside it", dir);
        free(o->tmp);
        o->tmp = NULL;
        return r;
    }
    /* the published directory's own mode does not follow the umask */
    chmod(o->tmp, 0755);
    o->final = xstrdup(dir);
    o->marker = marker;
    return 0;
}

int outdir_commit(struct outdir *o)
{
    int r = existing_dir(o->final, o->marker);
    if (r < 0)
        return r;
    if (r == 0) {
        if (rename(o->tmp, o->final) < 0)
            return err_sys(-errno, "%s: cannot rename into place", o->final);
    } else {
        /* swap atomically: readers see the old release or the new one */
        if (renameat2(AT_FDCWD, o->tmp, AT_FDCWD, o->final, RENAME_EXCHANGE) < 0)
            return err_sys(-errno, "%s: cannot replace", o->final);
        /* o->tmp now holds the old release */
        rm_rf(o->tmp);
    }
    cleanup_unregister(o->tmp);
    free(o->tmp);
    free(o->final);
    memset(o, 0, sizeof(*o));
    return 0;
}

void outdir_abort(struct outdir *o)
{
    if (o->tmp) {
        rm_rf(o->tmp);
        cleanup_unregister(o->tmp);
    }
    free(o->tmp);
    free(o->final);
    memset(o, 0, sizeof(*o));
}
