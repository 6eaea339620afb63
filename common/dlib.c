/* Libraries loaded on first use: see dlib.h. */
#include "common/dlib.h"
#include "common/err.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The libraries guestimg links or loads directly (Debian 12), for the hint
 * in a loader error. */
static const struct {
    const char *soname, *package;
} packages[] = {
    {"libarchive.so.13", "libarchive13"},   {"libcom_err.so.2", "libcom-err2"},
    {"libcrypto.so.3", "libssl3"},          {"libcryptsetup.so.12", "libcryptsetup12"},
    {"libcurl.so.4", "libcurl4"},           {"libext2fs.so.2", "libext2fs2"},
    {"libfyaml.so.0", "libfyaml0"},         {"libjansson.so.4", "libjansson4"},
    {"libsolv.so.1", "libsolv1"},           {"libsolvext.so.1", "libsolvext1"},
    {"libzstd.so.1", "libzstd1"},
};

const char *dlib_package_of(const char *msg)
{
    /* The soname is the message's last path component before ": ". */
    const char *end = strstr(msg, ": ");
    if (!end)
        return NULL;
    const char *start = end;
    while (start > msg && start[-1] != '/')
        start--;
    for (size_t i = 0; i < sizeof(packages) / sizeof(packages[0]); i++)
        if ((size_t)(end - start) == strlen(packages[i].soname) &&
            !strncmp(start, packages[i].soname, (size_t)(end - start)))
            return packages[i].package;
    return NULL;
}

int dlib_load(struct dlib *lib, const char *what)
{
    if (lib->handle)
        return 0;
    void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        return err_set(-ENOENT, "%s needs %s (Debian package %s): %s", what, lib->soname, lib->package,
                       why ? why : "cannot load it");
    }
    for (size_t i = 0; i < lib->n_syms; i++) {
        (void)dlerror();
        void *p = dlsym(h, lib->syms[i].name);
        if (!p) {
            int rc = err_set(-ENOENT, "%s needs %s (Debian package %s): it has no %s", what, lib->soname,
                             lib->package, lib->syms[i].name);
            dlclose(h);
            return rc;
        }
        *lib->syms[i].addr = p;
    }
    lib->handle = h;
    return 0;
}
