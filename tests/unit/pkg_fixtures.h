/* Package files for unit tests, made by the real tools: rpmbuild (Debian's
 * rpm package) and dpkg-deb, in one temporary directory removed at exit.
 * Each returns NULL when its tool is missing (the test then skips). */
#ifndef GUESTIMG_PKG_FIXTURES_H
#define GUESTIMG_PKG_FIXTURES_H

#include "common/fileio.h"
#include "common/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char fixture_dir_[64];

__attribute__((destructor)) static void fixture_cleanup_(void)
{
    if (fixture_dir_[0])
        rm_rf(fixture_dir_);
}

/* The temporary directory, created on first use. */
static inline const char *fixture_dir(void)
{
    if (!fixture_dir_[0]) {
        snprintf(fixture_dir_, sizeof(fixture_dir_), "/tmp/gi-test-fixtures-XXXXXX");
        if (!mkdtemp(fixture_dir_))
            abort();
    }
    return fixture_dir_;
}

__attribute__((format(printf, 1, 2))) static inline int fixture_sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return system(cmd);
}

/* Build spec (its text) with rpmbuild; returns the path of RPMS/ARCH/FILE
 * (allocated) or NULL. */
static inline char *fixture_rpm(const char *spec, const char *payload, const char *arch_file)
{
    if (fixture_sh("command -v rpmbuild >/dev/null && command -v rpm >/dev/null") != 0)
        return NULL;
    const char *d = fixture_dir();
    char *specpath = xasprintf("%s/x.spec", d);
    int r = file_write_atomic(specpath, spec, strlen(spec), 0644);
    free(specpath);
    if (r < 0 || fixture_sh("cd %s && rpmbuild --quiet --define '_topdir %s/top' --define '_binary_payload %s' "
                            "-bb x.spec >/dev/null 2>&1",
                            d, d, payload) != 0)
        return NULL;
    return xasprintf("%s/top/RPMS/%s", d, arch_file);
}

/* A .deb named FILE from a control file and shell commands run in its root
 * directory (DEB_ROOT); NULL when dpkg-deb is missing. */
static inline char *fixture_deb(const char *file, const char *control, const char *populate)
{
    if (fixture_sh("command -v dpkg-deb >/dev/null") != 0)
        return NULL;
    const char *d = fixture_dir();
    char *ctl = xasprintf("%s/control", d);
    int r = file_write_atomic(ctl, control, strlen(control), 0644);
    free(ctl);
    if (r < 0 || fixture_sh("cd %s && rm -rf debroot && mkdir -p debroot/DEBIAN && cp control debroot/DEBIAN/ && "
                            "(cd debroot && %s) && dpkg-deb --root-owner-group -Zgzip --build debroot %s >/dev/null",
                            d, populate, file) != 0)
        return NULL;
    return xasprintf("%s/%s", d, file);
}

#endif
