/* tree → ext4 → dm-verity → disk layout, with every output written to a
 * temporary file and renamed into place at the end (see rootfs.h). */
#include "builder/fs/rootfs.h"
#include "builder/fs/disk.h"
#include "builder/fs/ext4.h"
#include "builder/fs/tree.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hash.h"
#include "common/hex.h"
#include "common/log.h"
#include "common/util.h"
#include "common/uuid.h"

#include <errno.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IMAGE_HASH_CHUNK (1u << 20)

static void hmac_label(const uint8_t seed[16], const char *label, uint8_t out[32])
{
    unsigned int len = 32;
    HMAC(EVP_sha256(), seed, 16, (const unsigned char *)label, strlen(label), out, &len);
}

void rootfs_derive_ids(const uint8_t seed[16], struct rootfs_ids *ids)
{
    static const char uuid_label[] = "guestimg ext4 uuid", seed_label[] = "guestimg ext4 hash seed";
    uuid_v5(seed, uuid_label, strlen(uuid_label), ids->fs_uuid);
    uuid_v5(seed, seed_label, strlen(seed_label), ids->hash_seed);
    hmac_label(seed, "guestimg verity salt", ids->salt);
    uint8_t id[32];
    hmac_label(seed, "guestimg disk id", id);
    ids->disk_id = (uint32_t)id[0] | (uint32_t)id[1] << 8 | (uint32_t)id[2] << 16 | (uint32_t)id[3] << 24;
}

static char *base_name(const char *path)
{
    _cleanup_free_ char *p = xstrdup(path);
    return xstrdup(basename(p));
}

char *rootfs_dm_table(const struct rootfs_result *r)
{
    bool kata = r->layout == ROOTFS_KATA;
    return verity_dm_table(&r->v, kata ? "/dev/vda1" : "/dev/vda", kata ? "/dev/vda2" : "/dev/vdb");
}

static char *make_cmdline(const struct rootfs_result *r)
{
    if (!r->verity)
        return xasprintf("root=%s rootfstype=ext4 ro", r->layout == ROOTFS_KATA ? "/dev/vda1" : "/dev/vda");
    _cleanup_free_ char *table = rootfs_dm_table(r);
    return xasprintf("dm-mod.create=\"%s\" root=/dev/dm-0 rootfstype=ext4 ro", table);
}

struct outputs {
    struct atomic_file image, hash, root_hash;
};

static void outputs_abort(struct outputs *out)
{
    atomic_abort(&out->image);
    atomic_abort(&out->hash);
    atomic_abort(&out->root_hash);
}

static char *root_hash_txt_path(const char *image)
{
    _cleanup_free_ char *d = xstrdup(image);
    return xasprintf("%s/root_hash.txt", dirname(d));
}

/* The outputs are renamed into place one after another at the end: refuse
 * up front a name a rename cannot replace (a directory, an empty name, one
 * ending in '/'), or one that is a file written beside it (root_hash.txt),
 * so that a failure there never leaves the first outputs without the last. */
int rootfs_check_output(const char *image, const struct rootfs_opts *o)
{
    if (!*image)
        return err_set(-EINVAL, "-o '': the image needs a file name");
    _cleanup_free_ char *base = base_name(image);
    if (endswith(image, "/") || !strcmp(base, ".") || !strcmp(base, ".."))
        return err_set(-EISDIR, "%s: a directory, not a file name for the image", image);
    if (o->verity && !strcmp(base, "root_hash.txt"))
        return err_set(-EINVAL, "%s: the image would replace the root_hash.txt written beside it", image);
    _cleanup_free_ char *verity = xasprintf("%s.verity", image), *txt = root_hash_txt_path(image);
    const char *paths[] = {image, o->verity && o->layout == ROOTFS_RAW ? verity : NULL, o->verity ? txt : NULL};
    for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
        struct stat st;
        if (paths[i] && stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode))
            return err_set(-EISDIR, "%s: is a directory", paths[i]);
    }
    return 0;
}

static int write_root_hash_txt(struct outputs *out, const char *image, struct rootfs_result *res)
{
    res->root_hash_txt = root_hash_txt_path(image);
    _cleanup_free_ char *line = verity_kata_params(&res->v);
    int r = atomic_open(&out->root_hash, res->root_hash_txt, 0644);
    if (r == 0)
        r = write_all(out->root_hash.fd, line, strlen(line), res->root_hash_txt);
    if (r == 0)
        r = write_all(out->root_hash.fd, "\n", 1, res->root_hash_txt);
    return r;
}

/* The image's sha256, from the pass that writes it rather than by reading
 * the finished image again: a thread hashes what is final (the filesystem;
 * for kata, the disk up to partition 2) while the hash tree is computed
 * from the same pages, then the rest (kata: the tree) is added. */
struct image_hash {
    EVP_MD_CTX *ctx;
    int fd;
    const char *name;
    uint64_t end;                      /* the thread hashes [0, end) */
    uint8_t *buf;
    int rc;
    char err[1024];
    pthread_t thread;
    bool threaded;
};

static int hash_range(struct image_hash *h, uint64_t from, uint64_t to)
{
    while (from < to) {
        ssize_t n = pread(h->fd, h->buf, (size_t)MIN(to - from, (uint64_t)IMAGE_HASH_CHUNK), (off_t)from);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? err_sys(-errno, "%s: read failed", h->name) : err_set(-EIO, "%s: ended early", h->name);
        EVP_DigestUpdate(h->ctx, h->buf, (size_t)n);
        from += (uint64_t)n;
    }
    return 0;
}

static void *hash_head(void *arg)
{
    struct image_hash *h = arg;
    if ((h->rc = hash_range(h, 0, h->end)) < 0)
        snprintf(h->err, sizeof(h->err), "%s", err_msg());   /* errors are per thread */
    return NULL;
}

static void image_hash_start(struct image_hash *h, int fd, const char *name, uint64_t end)
{
    *h = (struct image_hash){.ctx = EVP_MD_CTX_new(), .fd = fd, .name = name, .end = end,
                             .buf = xmalloc(IMAGE_HASH_CHUNK)};
    EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL);
    h->threaded = pthread_create(&h->thread, NULL, hash_head, h) == 0;
    if (!h->threaded)
        hash_head(h);   /* no thread: do it now */
}

/* Wait for the thread, add [end, size), write the hex digest. */
static int image_hash_finish(struct image_hash *h, uint64_t size, char out[65])
{
    if (h->threaded)
        pthread_join(h->thread, NULL);
    int r = h->rc < 0 ? err_set(h->rc, "%s", h->err) : hash_range(h, h->end, size);
    uint8_t d[32];
    EVP_DigestFinal_ex(h->ctx, d, NULL);
    EVP_MD_CTX_free(h->ctx);
    free(h->buf);
    hex_encode(d, 32, out);
    return r;
}

/* The hash tree: IMAGE.verity for raw, partition 2 of the disk for kata. */
static int write_verity(struct outputs *out, const char *image, const struct disk_layout *l,
                        struct rootfs_result *res)
{
    int hash_fd = out->image.fd;
    uint64_t tree_off = 0;
    _cleanup_free_ char *hash_name = NULL;
    if (l) {
        tree_off = l->p2_offset;
    } else {
        hash_name = xasprintf("%s.verity", image);
        int r = atomic_open(&out->hash, hash_name, 0644);
        if (r < 0)
            return r;
        hash_fd = out->hash.fd;
        res->hash_file = base_name(hash_name);
    }
    log_progress("computing dm-verity hash tree", 0, 0);
    int r = verity_hash_tree(out->image.fd, l ? l->p1_offset : 0, image, hash_fd, tree_off,
                             l ? image : hash_name, &res->v);
    return r < 0 ? r : write_root_hash_txt(out, image, res);
}

static int build(struct tree *t, const char *image, const struct rootfs_opts *o, const struct rootfs_ids *ids,
                 struct outputs *out, struct rootfs_result *res)
{
    bool kata = o->layout == ROOTFS_KATA;
    int r = atomic_open(&out->image, image, 0644);
    if (r < 0)
        return r;
    struct ext4_opts eo = {.size = o->size, .offset = kata ? DISK_ALIGN : 0, .epoch = o->epoch,
                           .journal = o->journal, .name = image};
    memcpy(eo.uuid, ids->fs_uuid, 16);
    memcpy(eo.hash_seed, ids->hash_seed, 16);
    log_progress("writing ext4", 0, 0);
    if ((r = ext4_write(t, out->image.tmp, &eo, &res->fs_size)) < 0)
        return r;
    res->verity = o->verity;
    res->v.data_blocks = res->fs_size / VERITY_BLOCK_SIZE;
    memcpy(res->v.salt, ids->salt, VERITY_SALT_LEN);
    struct disk_layout l;
    uint64_t size = res->fs_size, final = size;
    if (kata) {
        disk_kata_layout(res->fs_size, o->verity ? verity_tree_size(res->v.data_blocks) : 0, ids->disk_id, &l);
        if ((r = disk_write_label(out->image.fd, image, &l)) < 0)
            return r;
        size = l.disk_size;
        final = l.p2_offset;
    }
    struct image_hash h;
    image_hash_start(&h, out->image.fd, image, final);
    if (o->verity)
        r = write_verity(out, image, kata ? &l : NULL, res);
    int hr = image_hash_finish(&h, size, res->image_sha256);
    return r < 0 ? r : hr;
}

/* Without a seed, one from the content: different trees get different
 * identifiers and salts, the same tree the same ones. */
static int seed_from_tree(struct tree *t, uint8_t seed[16])
{
    static const uint8_t nil[16];
    uint8_t d[32];
    log_progress("hashing the tree for the seed", 0, 0);
    int r = tree_digest(t, d);
    if (r == 0)
        uuid_v5(nil, d, sizeof(d), seed);
    return r;
}

int rootfs_build(struct tree *t, const char *image, const struct rootfs_opts *o, struct rootfs_result *res)
{
    memset(res, 0, sizeof(*res));
    res->layout = o->layout;
    res->image = base_name(image);
    uint8_t seed[16];
    int r = rootfs_check_output(image, o);
    if (r == 0 && o->seed_from_tree)
        r = seed_from_tree(t, seed);
    if (r < 0) {
        rootfs_result_free(res);
        return r;
    }
    if (!o->seed_from_tree)
        memcpy(seed, o->seed, sizeof(seed));
    uuid_format(seed, res->seed);
    struct rootfs_ids ids;
    rootfs_derive_ids(seed, &ids);
    uuid_format(ids.fs_uuid, res->fs_uuid);
    struct outputs out;
    memset(&out, 0, sizeof(out));
    out.image.fd = out.hash.fd = out.root_hash.fd = -1;
    r = build(t, image, o, &ids, &out, res);
    /* All or nothing: rename only once every output is complete. */
    if (r == 0 && out.hash.tmp)
        r = atomic_commit(&out.hash);
    if (r == 0 && out.root_hash.tmp)
        r = atomic_commit(&out.root_hash);
    if (r == 0)
        r = atomic_commit(&out.image);
    outputs_abort(&out);
    if (r < 0) {
        rootfs_result_free(res);
        return r;
    }
    res->cmdline = make_cmdline(res);
    return 0;
}

json_t *rootfs_result_json(const struct rootfs_result *r)
{
    json_t *j = json_object();
    json_object_set_new(j, "image", json_string(r->image));
    json_object_set_new(j, "image_sha256", json_string(r->image_sha256));
    json_object_set_new(j, "layout", json_string(r->layout == ROOTFS_KATA ? "kata" : "raw"));
    json_object_set_new(j, "seed", json_string(r->seed));
    json_object_set_new(j, "fs_uuid", json_string(r->fs_uuid));
    if (r->verity) {
        char root[2 * VERITY_DIGEST_LEN + 1], salt[2 * VERITY_SALT_LEN + 1];
        hex_encode(r->v.root_hash, VERITY_DIGEST_LEN, root);
        hex_encode(r->v.salt, VERITY_SALT_LEN, salt);
        json_t *v = json_object();
        if (r->hash_file)
            json_object_set_new(v, "hash_file", json_string(r->hash_file));
        json_object_set_new(v, "root_hash", json_string(root));
        json_object_set_new(v, "salt", json_string(salt));
        json_object_set_new(v, "data_blocks", json_integer((json_int_t)r->v.data_blocks));
        json_object_set_new(v, "data_block_size", json_integer(VERITY_BLOCK_SIZE));
        json_object_set_new(v, "hash_block_size", json_integer(VERITY_BLOCK_SIZE));
        json_object_set_new(v, "hash_offset", json_integer((json_int_t)r->v.hash_offset));
        json_object_set_new(v, "superblock", json_false());
        json_object_set_new(j, "verity", v);
    } else {
        json_object_set_new(j, "verity", json_null());
    }
    json_object_set_new(j, "cmdline", json_string(r->cmdline));
    return j;
}

void rootfs_result_free(struct rootfs_result *r)
{
    free(r->image);
    free(r->hash_file);
    free(r->root_hash_txt);
    free(r->cmdline);
    r->image = r->hash_file = r->root_hash_txt = r->cmdline = NULL;
}
