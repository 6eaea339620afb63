/* tree → ext4 → dm-verity → disk layout, with every output written to a
 * temporary file and renamed into place at the end (see rootfs.h). */
#include "builder/rootfs.h"
#include "builder/disk.h"
#include "builder/ext4.h"
#include "builder/tree.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hash.h"
#include "common/hex.h"
#include "common/log.h"
#include "common/util.h"
#include "common/uuid.h"

#include <errno.h>
#include <fcntl.h>
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

/* A scratch file beside the outputs, removed on failure and on signals. */
struct scratch {
    char *path;
};

static int scratch_open(struct scratch *s, const char *image, const char *what)
{
    _cleanup_free_ char *d = xstrdup(image);
    s->path = xasprintf("%s/.%s.XXXXXX", dirname(d), what);
    int fd = mkostemp(s->path, O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        free(s->path);
        s->path = NULL;
        return err_sys(-e, "%s: cannot create a temporary file beside it", image);
    }
    close(fd);
    cleanup_register(s->path);
    return 0;
}

static void scratch_close(struct scratch *s)
{
    if (!s->path)
        return;
    unlink(s->path);
    cleanup_unregister(s->path);
    free(s->path);
    s->path = NULL;
}

static char *base_name(const char *path)
{
    _cleanup_free_ char *p = xstrdup(path);
    return xstrdup(basename(p));
}

static char *make_cmdline(const struct rootfs_result *r)
{
    bool kata = r->layout == ROOTFS_KATA;
    if (!r->verity)
        return xasprintf("root=%s rootfstype=ext4 ro", kata ? "/dev/vda1" : "/dev/vda");
    _cleanup_free_ char *table = verity_dm_table(&r->v, kata ? "/dev/vda1" : "/dev/vda", kata ? "/dev/vda2" : "/dev/vdb");
    return xasprintf("dm-mod.create=\"%s\" root=/dev/dm-0 rootfstype=ext4 ro", table);
}

struct outputs {
    struct atomic_file image, hash, root_hash;
    struct scratch fs, tree;   /* kata: the filesystem and hash tree before assembly */
};

static void outputs_abort(struct outputs *out)
{
    atomic_abort(&out->image);
    atomic_abort(&out->hash);
    atomic_abort(&out->root_hash);
    scratch_close(&out->fs);
    scratch_close(&out->tree);
}

static int write_root_hash_txt(struct outputs *out, const char *image, struct rootfs_result *res)
{
    _cleanup_free_ char *d = xstrdup(image);
    res->root_hash_txt = xasprintf("%s/root_hash.txt", dirname(d));
    _cleanup_free_ char *line = verity_kata_params(&res->v);
    int r = atomic_open(&out->root_hash, res->root_hash_txt, 0644);
    if (r == 0)
        r = write_all(out->root_hash.fd, line, strlen(line), res->root_hash_txt);
    if (r == 0)
        r = write_all(out->root_hash.fd, "\n", 1, res->root_hash_txt);
    return r;
}

/* The image's sha256 is taken from its parts, the filesystem read once in
 * a thread while libcryptsetup reads it for the hash tree, rather than by
 * reading the finished image again: raw = the filesystem; kata = MBR,
 * zeros to p1, filesystem, zeros to p2, hash tree, zeros to the end. */
struct image_hash {
    EVP_MD_CTX *ctx;
    const char *fs_path;
    const struct disk_layout *disk;    /* NULL: raw layout */
    uint8_t *buf;
    int rc;
    char err[1024];
    pthread_t thread;
    bool threaded;
};

static void hash_zeros(struct image_hash *h, uint64_t n)
{
    memset(h->buf, 0, IMAGE_HASH_CHUNK);
    while (n) {
        size_t k = (size_t)MIN(n, (uint64_t)IMAGE_HASH_CHUNK);
        EVP_DigestUpdate(h->ctx, h->buf, k);
        n -= k;
    }
}

static int hash_file_part(struct image_hash *h, const char *path, uint64_t len)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_sys(-errno, "%s: cannot open", path);
    while (len) {
        ssize_t n = read(fd, h->buf, (size_t)MIN(len, (uint64_t)IMAGE_HASH_CHUNK));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? err_sys(-errno, "%s: read failed", path) : err_set(-EIO, "%s: ended early", path);
        EVP_DigestUpdate(h->ctx, h->buf, (size_t)n);
        len -= (uint64_t)n;
    }
    return 0;
}

static void *hash_head(void *arg)
{
    struct image_hash *h = arg;
    const struct disk_layout *l = h->disk;
    if (l) {
        uint8_t mbr[DISK_SECTOR];
        disk_mbr(l, mbr);
        EVP_DigestUpdate(h->ctx, mbr, sizeof(mbr));
        hash_zeros(h, l->p1_offset - sizeof(mbr));
    }
    struct stat st;
    h->rc = stat(h->fs_path, &st) < 0 ? err_sys(-errno, "%s: cannot stat", h->fs_path)
                                      : hash_file_part(h, h->fs_path, (uint64_t)st.st_size);
    if (h->rc < 0)
        snprintf(h->err, sizeof(h->err), "%s", err_msg());   /* errors are per thread */
    return NULL;
}

static void image_hash_start(struct image_hash *h, const char *fs_path, const struct disk_layout *disk)
{
    memset(h, 0, sizeof(*h));
    h->ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL);
    h->fs_path = fs_path;
    h->disk = disk;
    h->buf = xmalloc(IMAGE_HASH_CHUNK);
    h->threaded = pthread_create(&h->thread, NULL, hash_head, h) == 0;
    if (!h->threaded)
        hash_head(h);   /* no thread: do it now */
}

/* Wait for the thread, add the tail, write the hex digest. */
static int image_hash_finish(struct image_hash *h, const char *tree_path, char out[65])
{
    if (h->threaded)
        pthread_join(h->thread, NULL);
    int r = h->rc < 0 ? err_set(h->rc, "%s", h->err) : 0;
    const struct disk_layout *l = h->disk;
    if (r == 0 && l) {
        hash_zeros(h, l->p2_offset - l->p1_offset - l->p1_size);
        if (l->p2_size)
            r = hash_file_part(h, tree_path, l->p2_size);
        if (r == 0)
            hash_zeros(h, l->disk_size - l->p2_offset - l->p2_size);
    }
    uint8_t d[32];
    EVP_DigestFinal_ex(h->ctx, d, NULL);
    EVP_MD_CTX_free(h->ctx);
    free(h->buf);
    hex_encode(d, 32, out);
    return r;
}

static int build(struct tree *t, const char *image, const struct rootfs_opts *o, const struct rootfs_ids *ids,
                 struct outputs *out, struct rootfs_result *res)
{
    bool kata = o->layout == ROOTFS_KATA;
    int r = atomic_open(&out->image, image, 0644);
    if (r < 0)
        return r;
    const char *fs_path = out->image.tmp, *hash_path = NULL;
    if (kata && (r = scratch_open(&out->fs, image, "rootfs")) < 0)
        return r;
    if (kata)
        fs_path = out->fs.path;
    struct ext4_opts eo = {.size = o->size, .epoch = o->epoch, .journal = o->journal, .name = image};
    memcpy(eo.uuid, ids->fs_uuid, 16);
    memcpy(eo.hash_seed, ids->hash_seed, 16);
    log_progress("writing ext4", 0, 0);
    if ((r = ext4_write(t, fs_path, &eo, &res->fs_size)) < 0)
        return r;
    struct disk_layout l;
    if (kata)
        disk_kata_layout(res->fs_size, o->verity ? verity_tree_size(res->fs_size / VERITY_BLOCK_SIZE) : 0,
                         ids->disk_id, &l);
    struct image_hash h;
    image_hash_start(&h, fs_path, kata ? &l : NULL);
    if (o->verity) {
        _cleanup_free_ char *hash_name = xasprintf("%s.verity", image);
        if (kata) {
            r = scratch_open(&out->tree, image, "verity");
            hash_path = out->tree.path;
        } else {
            r = atomic_open(&out->hash, hash_name, 0644);
            hash_path = out->hash.tmp;
            res->hash_file = base_name(hash_name);
        }
        res->verity = true;
        res->v.data_blocks = res->fs_size / VERITY_BLOCK_SIZE;
        memcpy(res->v.salt, ids->salt, VERITY_SALT_LEN);
        log_progress("computing dm-verity hash tree", 0, 0);
        if (r == 0)
            r = verity_format(fs_path, hash_path, &res->v);
        if (r == 0)
            r = write_root_hash_txt(out, image, res);
    }
    int hr = image_hash_finish(&h, hash_path, res->image_sha256);
    if (r < 0 || hr < 0)
        return r < 0 ? r : hr;
    if (kata)
        r = disk_write(out->image.fd, image, &l, fs_path, hash_path);
    return r;
}

int rootfs_build(struct tree *t, const char *image, const struct rootfs_opts *o, struct rootfs_result *res)
{
    memset(res, 0, sizeof(*res));
    res->layout = o->layout;
    res->image = base_name(image);
    struct rootfs_ids ids;
    rootfs_derive_ids(o->seed, &ids);
    uuid_format(ids.fs_uuid, res->fs_uuid);
    struct outputs out;
    memset(&out, 0, sizeof(out));
    out.image.fd = out.hash.fd = out.root_hash.fd = -1;
    int r = build(t, image, o, &ids, &out, res);
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
