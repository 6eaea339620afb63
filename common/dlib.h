/* Shared libraries loaded on first use, behind typed tables of function
 * pointers, so that a command which never reaches the code does not pay
 * for loading them (libcryptsetup drags in devmapper, udev, selinux …;
 * libarchive drags in libxml2 and ICU). A module declares its pointers
 * with the library's own prototypes and a table naming them:
 *
 *   static DLIB_PTR(crypt_init);      // typeof(crypt_init) *sym_crypt_init
 *   static const struct dlib_sym syms[] = {DLIB_SYM(crypt_init), …};
 *   static struct dlib cryptsetup = DLIB("libcryptsetup.so.12", "libcryptsetup12", syms);
 *   if ((r = dlib_load(&cryptsetup, "dm-verity")) < 0) return r;
 *
 * The library is opened once per process; a missing library or symbol is
 * one error naming the library, its Debian package and what needed it. */
#ifndef GUESTIMG_DLIB_H
#define GUESTIMG_DLIB_H

#include <stddef.h>

struct dlib_sym {
    const char *name;
    void **addr;
};

struct dlib {
    const char *soname;         /* "libcryptsetup.so.12" */
    const char *package;        /* Debian package: "libcryptsetup12" */
    const struct dlib_sym *syms;
    size_t n_syms;
    void *handle;               /* set once every symbol resolved */
};

#define DLIB_PTR(fn) __typeof__(fn) *sym_##fn
#define DLIB_SYM(fn) {#fn, (void **)&sym_##fn}
#define DLIB(so, pkg, table) {(so), (pkg), (table), sizeof(table) / sizeof((table)[0]), NULL}

/* 0 when lib is loaded (now or before); else -ENOENT with the error
 * "<what> needs <soname> (Debian package <package>): <loader's reason>". */
int dlib_load(struct dlib *lib, const char *what);

/* The Debian package that ships a library the program may load, by the
 * soname at the start of a loader message ("libsolv.so.1: cannot open …"),
 * or NULL when it is not one of ours. */
const char *dlib_package_of(const char *loader_msg);

#endif
