/* Install a verified release into a node's tree (release/install.h). */
#include "release/install.h"
#include "release/assemble.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hash.h"
#include "common/hex.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "release/provenance.h"
#include "release/release.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHARE_DIR "share/kata-containers"
#define CONFIG_DIR "share/defaults/kata-containers"
#define RELEASE_COPY "guestimg-release.json"

char *toml_string(const char *s)
{
    struct strbuf sb = STRBUF_INIT;
    sb_puts(&sb, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            sb_printf(&sb, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            sb_printf(&sb, "\\u%04x", *p);
        else
            sb_add(&sb, p, 1);
    }
    sb_puts(&sb, "\"");
    return sb_detach(&sb);
}

/* "/opt/x" → "opt/x" (allocated), refusing what could climb out of ROOT
 * or name something else than it seems. */
static char *prefix_relative(const char *prefix)
{
    if (prefix[0] != '/')
        return err_set(-EINVAL, "--prefix %s: not an absolute path", prefix), NULL;
    struct strbuf sb = STRBUF_INIT;
    _cleanup_free_ char *copy = xstrdup(prefix);
    char *save = NULL;
    for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (!strcmp(c, ".") || !strcmp(c, "..")) {
            sb_release(&sb);
            return err_set(-EINVAL, "--prefix %s: '%s' components are not allowed", prefix, c), NULL;
        }
        sb_printf(&sb, "%s%s", sb.len ? "/" : "", c);
    }
    if (!sb.len)
        return err_set(-EINVAL, "--prefix %s: the root itself is no prefix", prefix), NULL;
    return sb_detach(&sb);
}

/* One file to install: an artifact copied, or generated text. */
struct item {
    const char *dir;          /* SHARE_DIR or CONFIG_DIR */
    char *name;
    const struct release_artifact *src;
    uint8_t *data;            /* generated (or copied unchecked: the signature) */
    size_t len;
    char *dest;               /* ROOT/PREFIX/dir/name */
    struct atomic_file af;
    bool staged;
};

struct installer {
    const struct install_opts *o;
    struct release r;
    char *root;               /* without trailing '/'; "" for "/" */
    char *rel_prefix;         /* "opt/confidential-containers" */
    struct item items[64];
    size_t nitems;
    char **created;           /* directories made, in order */
    size_t ncreated;
};

static char *node_path(const struct installer *in, const char *dir, const char *name)
{
    return xasprintf("/%s/%s/%s", in->rel_prefix, dir, name);
}

static void add_artifact(struct installer *in, const char *dir, const char *name)
{
    const struct release_artifact *a = release_artifact(&in->r, name);
    if (!a || in->nitems == sizeof(in->items) / sizeof(in->items[0]))
        return;
    in->items[in->nitems++] = (struct item){.dir = dir, .name = xstrdup(name), .src = a};
}

static void add_data(struct installer *in, const char *dir, const char *name, uint8_t *data, size_t len)
{
    in->items[in->nitems++] = (struct item){.dir = dir, .name = xstrdup(name), .data = data, .len = len};
}

static void add_text(struct installer *in, const char *dir, const char *name, char *text)
{
    add_data(in, dir, name, (uint8_t *)text, strlen(text));
}

/* A file of the release directory, installed as it is under the name as
 * (optional: skipped when absent). */
static int add_copy(struct installer *in, const char *name, const char *as, size_t max, bool optional)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", in->o->release_dir, name);
    if (optional && access(path, F_OK) != 0)
        return 0;
    uint8_t *b = NULL;
    size_t n = 0;
    int rc = file_read_all(path, &b, &n, max);
    if (rc == 0)
        add_data(in, SHARE_DIR, as, b, n);
    return rc;
}

/* The firmware the QEMU measurements were made with: the artifact with its
 * sha256 (the build copies it into the release). */
static const struct release_artifact *firmware_artifact(const struct release *r)
{
    return r->nmeasurements ? release_artifact_by_sha256(r, r->measurements[0].firmware_sha256) : NULL;
}

/* Text for a TOML comment: no control character may end the line early. */
static char *comment_text(const char *s)
{
    char *t = xstrdup(s);
    for (char *p = t; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return t;
}

static void toml_header(struct strbuf *sb, const struct installer *in, const char *what)
{
    _cleanup_free_ char *path = node_path(in, SHARE_DIR, RELEASE_COPY);
    _cleanup_free_ char *rel = comment_text(path), *name = comment_text(in->r.name),
                        *version = comment_text(in->r.version), *tool = comment_text(in->r.tool_version);
    sb_printf(sb,
              "# Kata Containers runtime configuration, %s: the keys that name the guest\n"
              "# of release %s %s (%s), written by guestimg install.\n"
              "# Merge them into the runtime's configuration, or use this file as a\n"
              "# drop-in (config.d/). What the guest is: %s\n",
              what, name, version, tool, rel);
}

static void toml_key(struct strbuf *sb, const char *key, const char *value)
{
    _cleanup_free_ char *q = toml_string(value);
    sb_printf(sb, "%s = %s\n", key, q);
}

static char *clh_config(const struct installer *in, const struct release_igvm *g)
{
    struct strbuf sb = STRBUF_INIT;
    _cleanup_free_ char *igvm = node_path(in, SHARE_DIR, g->name), *image = node_path(in, SHARE_DIR, in->r.image);
    toml_header(&sb, in, streq(g->variant, "debug") ? "Cloud Hypervisor + SEV-SNP, debug IGVM"
                                                    : "Cloud Hypervisor + SEV-SNP");
    sb_printf(&sb, "# The IGVM file carries the kernel and its command line (with the dm-verity\n"
                   "# root hash); its SNP launch digest is %s.\n", g->digest);
    sb_puts(&sb, "\n[hypervisor.clh]\n");
    toml_key(&sb, "igvm", igvm);
    toml_key(&sb, "image", image);
    toml_key(&sb, "rootfs_type", "ext4");
    sb_puts(&sb, "confidential_guest = true\nsev_snp_guest = true\n");
    return sb_detach(&sb);
}

static char *qemu_config(const struct installer *in, const struct release_artifact *fw)
{
    struct strbuf sb = STRBUF_INIT;
    _cleanup_free_ char *kernel = node_path(in, SHARE_DIR, in->r.kernel),
                        *image = node_path(in, SHARE_DIR, in->r.image), *firmware = node_path(in, SHARE_DIR, fw->name);
    toml_header(&sb, in, "QEMU + SEV-SNP");
    sb_puts(&sb, "\n[hypervisor.qemu]\n");
    toml_key(&sb, "kernel", kernel);
    toml_key(&sb, "image", image);
    toml_key(&sb, "firmware", firmware);
    toml_key(&sb, "kernel_params", in->r.cmdline);
    toml_key(&sb, "rootfs_type", "ext4");
    sb_puts(&sb, "confidential_guest = true\nsev_snp_guest = true\n");
    return sb_detach(&sb);
}

static int plan(struct installer *in)
{
    const struct release *r = &in->r;
    const struct release_igvm *prod = release_igvm_variant(r, "production"),
                               *debug = release_igvm_variant(r, "debug");
    const struct release_artifact *fw = firmware_artifact(r);
    if (!prod && !debug && !fw)
        return err_set(-EINVAL, "%s/release.json: neither an IGVM file nor a firmware: nothing Kata could boot",
                       in->o->release_dir);
    add_artifact(in, SHARE_DIR, r->image);
    if (prod)
        add_artifact(in, SHARE_DIR, prod->name);
    if (debug)
        add_artifact(in, SHARE_DIR, debug->name);
    add_artifact(in, SHARE_DIR, "root_hash.txt");
    if (fw) {
        add_artifact(in, SHARE_DIR, r->kernel);
        add_artifact(in, SHARE_DIR, fw->name);
    }
    /* the release's own description, so the node says what it runs, its
     * signature and its build provenance (verified with it) */
    int rc = add_copy(in, RELEASE_FILE, RELEASE_COPY, 16u << 20, false);
    if (rc == 0)
        rc = add_copy(in, RELEASE_SIG_FILE, RELEASE_COPY ".sig", 1u << 20, true);
    if (rc == 0)
        rc = add_copy(in, PROVENANCE_FILE, "guestimg-" PROVENANCE_FILE, 64u << 20, true);
    if (rc < 0)
        return rc;
    if (prod)
        add_text(in, CONFIG_DIR, "configuration-clh-snp.toml", clh_config(in, prod));
    if (debug)
        add_text(in, CONFIG_DIR, "configuration-clh-snp-debug.toml", clh_config(in, debug));
    if (fw)
        add_text(in, CONFIG_DIR, "configuration-qemu-snp.toml", qemu_config(in, fw));
    for (size_t i = 0; i < in->nitems; i++)
        in->items[i].dest = xasprintf("%s/%s/%s/%s", in->root, in->rel_prefix, in->items[i].dir, in->items[i].name);
    return 0;
}

/* Every directory from ROOT down to ROOT/rel: an existing one must be a
 * directory itself (a symbolic link could lead out of ROOT); a missing one
 * is made and remembered, to be removed if the install fails. */
static int ensure_dir(struct installer *in, const char *rel)
{
    _cleanup_free_ char *copy = xstrdup(rel);
    struct strbuf path = STRBUF_INIT;
    sb_puts(&path, in->root);
    char *save = NULL;
    int rc = 0;
    for (char *c = strtok_r(copy, "/", &save); c && !rc; c = strtok_r(NULL, "/", &save)) {
        sb_printf(&path, "/%s", c);
        struct stat st;
        if (lstat(path.buf, &st) == 0) {
            if (S_ISLNK(st.st_mode))
                rc = err_set(-ELOOP, "%s: is a symbolic link: install does not follow links out of --root %s",
                             path.buf, in->o->root);
            else if (!S_ISDIR(st.st_mode))
                rc = err_set(-ENOTDIR, "%s: exists and is not a directory", path.buf);
        } else if (errno != ENOENT) {
            rc = err_sys(-errno, "%s: cannot stat", path.buf);
        } else if (mkdir(path.buf, 0755) < 0) {
            rc = err_sys(-errno, "%s: cannot create", path.buf);
        } else {
            in->created = xrealloc(in->created, (in->ncreated + 1) * sizeof(*in->created));
            in->created[in->ncreated++] = xstrdup(path.buf);
        }
    }
    sb_release(&path);
    return rc;
}

/* The destination holds these bytes already (a regular file, not a link). */
static bool dest_matches(const struct item *it)
{
    struct stat st;
    if (lstat(it->dest, &st) < 0 || !S_ISREG(st.st_mode))
        return false;
    if (!it->src) {
        if ((uint64_t)st.st_size != it->len)
            return false;
        _cleanup_free_ uint8_t *b = NULL;
        size_t len = 0;
        return file_read_all(it->dest, &b, &len, it->len + 1) == 0 && len == it->len &&
               !memcmp(b, it->data, it->len);
    }
    char hex[2 * SHA256_LEN + 1];
    uint64_t size = 0;
    return (uint64_t)st.st_size == it->src->size && sha256_file_hex(it->dest, hex, &size) == 0 &&
           size == it->src->size && !strcmp(hex, it->src->sha256);
}

/* Copy the artifact into the temporary and check the copy's digest against
 * release.json once more: the file verified is the file installed. */
static int stage_artifact(const struct installer *in, struct item *it)
{
    int rc = file_copy_in_dir(in->o->release_dir, it->src->name, it->af.fd, it->dest);
    if (rc < 0)
        return rc;
    uint8_t md[SHA256_LEN];
    size_t mdlen = 0;
    uint64_t size = 0;
    if ((rc = hash_fd(it->af.fd, "sha256", it->dest, md, &mdlen, &size)) < 0)
        return rc;
    char hex[2 * SHA256_LEN + 1];
    hex_encode(md, SHA256_LEN, hex);
    if (size != it->src->size || strcmp(hex, it->src->sha256))
        return err_set(-EBADMSG, "%s/%s: changed while it was installed (sha256 %s, release.json says %s)",
                       in->o->release_dir, it->src->name, hex, it->src->sha256);
    return 0;
}

static int stage(struct installer *in, struct item *it)
{
    struct stat st;
    if (lstat(it->dest, &st) == 0 && S_ISDIR(st.st_mode))
        return err_set(-EISDIR, "%s: is a directory", it->dest);
    int rc = atomic_open(&it->af, it->dest, 0644);
    if (rc < 0)
        return rc;
    it->staged = true;
    if (!it->src)
        return write_all(it->af.fd, it->data, it->len, it->dest);
    return stage_artifact(in, it);
}

struct first_failure {
    unsigned checks;
    int failed;
    char *first;
};

static void note_check(const struct verify_check *c, void *ctx)
{
    struct first_failure *f = ctx;
    f->checks++;
    if (!c->ok && !f->first)
        f->first = xasprintf("%s: expected %s actual %s", c->what, c->expected, c->actual);
}

static int verify_first(const struct install_opts *o, unsigned *checks)
{
    _cleanup_free_ char *rj = xasprintf("%s/release.json", o->release_dir);
    struct verify_opts vo = {.release_path = rj, .pubkey = o->pubkey};
    struct first_failure f = {0};
    int failed = release_verify(&vo, note_check, &f);
    *checks = f.checks;
    if (failed > 0)
        err_set(-EBADMSG, "%s: does not verify (%d of %u checks failed; first: %s): nothing installed", rj, failed,
                f.checks, f.first);
    free(f.first);
    return failed > 0 ? -EBADMSG : failed;
}

static int check_root(const char *root)
{
    struct stat st;
    if (stat(root, &st) < 0)
        return err_sys(-errno, "--root %s", root);
    if (!S_ISDIR(st.st_mode))
        return err_set(-ENOTDIR, "--root %s: is not a directory", root);
    return 0;
}

static void installer_free(struct installer *in, bool failed)
{
    for (size_t i = 0; i < in->nitems; i++) {
        if (in->items[i].staged)
            atomic_abort(&in->items[i].af);
        free(in->items[i].name);
        free(in->items[i].data);
        free(in->items[i].dest);
    }
    for (size_t i = in->ncreated; i-- > 0;) {
        if (failed)
            rmdir(in->created[i]);
        free(in->created[i]);
    }
    free(in->created);
    release_free(&in->r);
    free(in->root);
    free(in->rel_prefix);
}

int release_install(const struct install_opts *o, struct install_result *res)
{
    memset(res, 0, sizeof(*res));
    struct installer in = {.o = o};
    int rc = check_root(o->root);
    if (rc < 0)
        return rc;
    if (!(in.rel_prefix = prefix_relative(o->prefix ? o->prefix : INSTALL_PREFIX_DEFAULT)))
        return -EINVAL;
    size_t rl = strlen(o->root);
    while (rl > 0 && o->root[rl - 1] == '/')
        rl--;
    in.root = xstrndup(o->root, rl);
    _cleanup_free_ char *rj = xasprintf("%s/release.json", o->release_dir);
    if ((rc = verify_first(o, &res->checks)) < 0 || (rc = release_load(rj, &in.r)) < 0 || (rc = plan(&in)) < 0)
        goto out;
    static const char *const dirs[] = {SHARE_DIR, CONFIG_DIR};
    for (size_t i = 0; i < 2 && rc == 0; i++) {
        _cleanup_free_ char *rel = xasprintf("%s/%s", in.rel_prefix, dirs[i]);
        rc = ensure_dir(&in, rel);
    }
    res->entries = xcalloc(in.nitems, sizeof(*res->entries));
    for (size_t i = 0; i < in.nitems && rc == 0; i++) {
        struct item *it = &in.items[i];
        res->entries[res->nentries++] = (struct install_entry){node_path(&in, it->dir, it->name), false};
        if (!dest_matches(it)) {
            res->entries[i].changed = true;
            rc = stage(&in, it);
        }
    }
    /* everything is staged: now the renames */
    for (size_t i = 0; i < in.nitems && rc == 0; i++)
        if (in.items[i].staged)
            rc = atomic_commit(&in.items[i].af);
out:
    installer_free(&in, rc < 0);
    if (rc < 0)
        install_result_free(res);
    return rc;
}

void install_result_free(struct install_result *res)
{
    for (size_t i = 0; i < res->nentries; i++)
        free(res->entries[i].path);
    free(res->entries);
    memset(res, 0, sizeof(*res));
}
