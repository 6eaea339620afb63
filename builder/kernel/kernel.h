/* The guest kernel: a source tree, a profile of reviewed configuration
 * fragments (kernel-configs/), the merged and audited configuration, and a
 * reproducible build kept in a cache shared by every checkout:
 *
 *   <cache>/src/<tarball sha256>/       the extracted source (once per tarball)
 *   <cache>/kernel-config/<key>.config   Kconfig's result for a profile
 *   <cache>/kernel/<key>/                bzImage, vmlinux, config, inputs.txt, build.log
 *
 * <cache> is ${XDG_CACHE_HOME:-$HOME/.cache}/guestimg. Entries appear by
 * rename of a finished temporary directory, so the cache never holds half a
 * kernel; builds of the same key wait for each other (flock). make runs
 * by fork/exec with a fixed environment, never through a shell. */
#ifndef GUESTIMG_KERNEL_H
#define GUESTIMG_KERNEL_H

#include "builder/kernel/kconfig.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KERNEL_ARCH "x86_64"
#define KERNEL_SRCARCH "x86"

/* A profile: kernel-configs/profiles/NAME.list.
 *   base tinyconfig            a make target (tinyconfig, allnoconfig, defconfig)
 *   base file:NAME.config      or a config file beside the profile
 *   fragment NAME              kernel-configs/fragments/NAME.conf, merged in order
 *   require CONFIG_X ...       options that must get the fragments' values */
struct kernel_profile {
    char *name;            /* the file name without .list */
    char *base_target;     /* a make target, or NULL */
    char *base_config;     /* a config file's path, or NULL */
    char **fragments;      /* fragment file paths, in order */
    size_t nfragments;
    char **required;       /* option names without CONFIG_ */
    size_t nrequired;
    struct kconfig asked;  /* the fragments merged in order; origins say which line */
};

/* Load and check a profile: every fragment exists and parses, every
 * required option is asked for by a fragment. Fragments are looked up in
 * fragments_dir. */
int kernel_profile_load(const char *path, const char *fragments_dir, struct kernel_profile *p);
void kernel_profile_free(struct kernel_profile *p);

struct kernel_source {
    char *tree;         /* root of the kernel tree */
    char *version;      /* "6.1.192", from its Makefile */
    char digest[65];    /* sha256 of the tarball, or of the tree's file list and contents */
};

/* A tarball is extracted once into the cache (keyed by its sha256); a
 * directory is used in place (it must be clean: no .config, no in-tree
 * build). Either must hold a Linux kernel tree. */
int kernel_source_open(const char *path, const char *cache_dir, struct kernel_source *src);
void kernel_source_free(struct kernel_source *src);

struct kernel_settings {
    const char *cache_dir;  /* kernel_cache_dir() unless the caller says otherwise */
    uint64_t epoch;         /* KBUILD_BUILD_TIMESTAMP and SOURCE_DATE_EPOCH */
    unsigned jobs;          /* make -jN */
};

/* ${XDG_CACHE_HOME:-$HOME/.cache}/guestimg, allocated. */
char *kernel_cache_dir(void);

struct kernel_config_result {
    char *text;                /* the .config Kconfig wrote */
    struct kconfig config;     /* parsed */
    struct kconfig_audit audit;
};

/* Start from the profile's base, merge its fragments, run olddefconfig in
 * a scratch build directory, and audit the result against what the
 * fragments asked. Findings about optional options are warnings
 * (log_warn); a required option that did not get its value is an error.
 * Kconfig's result is cached by source, base, fragments and toolchain. */
int kernel_config(const struct kernel_source *src, const struct kernel_profile *prof,
                  const struct kernel_settings *set, struct kernel_config_result *res);
void kernel_config_result_free(struct kernel_config_result *res);

struct kernel_build {
    char *dir;       /* the cache entry */
    char key[65];    /* sha256 of inputs.txt: source, config, toolchain, environment */
    bool cached;     /* true: found, not built now */
};

/* Configure (as kernel_config) and build bzImage and vmlinux, or find them
 * in the cache. make's output goes to a log whose path the error names. */
int kernel_build(const struct kernel_source *src, const struct kernel_profile *prof,
                 const struct kernel_settings *set, struct kernel_build *out);
void kernel_build_free(struct kernel_build *b);

/* Copy a build's bzImage, vmlinux and config (as kernel.config) into
 * out_dir, each written atomically. */
int kernel_install(const struct kernel_build *b, const char *out_dir);

/* ------------------------------------------------- kernels from elsewhere --- */

enum kernel_image_kind { KERNEL_BZIMAGE = 1, KERNEL_ELF };

struct kernel_image {
    enum kernel_image_kind kind;
    uint16_t boot_protocol;  /* bzImage: the setup header's version (0x020f = 2.15) */
    char version[128];       /* bzImage: the kernel_version string, "" when absent */
};

/* Recognise an x86 bzImage (setup header "HdrS", 0xAA55) or an x86-64 ELF
 * vmlinux in buf; name is used in messages. */
int kernel_image_inspect(const uint8_t *buf, size_t len, const char *name, struct kernel_image *img);
/* Take a kernel from a file (a package's vmlinuz or bzImage): check what it
 * is, and copy it atomically to out_path. img may be NULL. */
int kernel_from_file(const char *path, const char *out_path, struct kernel_image *img);

#endif
