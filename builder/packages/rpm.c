/* RPM lead + signature header + main header reader. Layout (rpm's
 * lib/header.c and the file format documentation):
 *   lead        96 bytes: magic ed ab ee db, major version, …, signature type 5
 *   signature   header structure, padded to 8 bytes
 *   header      header structure
 *   payload     compressed cpio (to the end of the file)
 * A header structure: magic 8e ad e8 01, 4 reserved bytes, nindex (be32),
 * data size (be32), nindex 16-byte entries {tag, type, offset, count}
 * (be32 each), then the data store. */
#include "builder/packages/rpm.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/hex.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define RPM_LEAD_SIZE 96
#define HEADER_INTRO 16
#define MAX_INDEX 0x10000u
#define MAX_DATA (256u << 20)   /* rpm's own limit for a header */

enum { T_NULL, T_CHAR, T_INT8, T_INT16, T_INT32, T_INT64, T_STRING, T_BIN, T_STRING_ARRAY, T_I18NSTRING };

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Where the bytes come from: an fd (pread) or memory. */
struct source {
    int fd;
    const uint8_t *mem;
    size_t len;
    const char *name;
};

static int src_read(const struct source *s, uint64_t off, void *buf, size_t n, const char *what)
{
    if (s->mem) {
        if (off > s->len || n > s->len - off)
            return err_set(-EINVAL, "%s: truncated in the %s", s->name, what);
        memcpy(buf, s->mem + off, n);
        return 0;
    }
    uint8_t *p = buf;
    while (n) {
        ssize_t r = pread(s->fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return err_sys(-errno, "%s: read failed", s->name);
        if (r == 0)
            return err_set(-EINVAL, "%s: truncated in the %s", s->name, what);
        p += r;
        off += (uint64_t)r;
        n -= (size_t)r;
    }
    return 0;
}

struct hdr {
    const char *name, *which;
    const uint8_t *index;
    uint32_t nindex;
    const char *data;
    uint32_t dsize;
};

/* Bytes an entry's values occupy from its offset; strings are walked
 * (each must end inside the data store). */
static int entry_check(const struct hdr *h, uint32_t tag, uint32_t type, uint32_t off, uint32_t count)
{
    static const uint8_t width[] = {[T_CHAR] = 1, [T_INT8] = 1, [T_INT16] = 2, [T_INT32] = 4, [T_INT64] = 8, [T_BIN] = 1};
    if (type == T_NULL || type > T_I18NSTRING)
        return err_set(-EINVAL, "%s: %s tag %u has unknown type %u", h->name, h->which, tag, type);
    if (count == 0 || off >= h->dsize)
        return err_set(-EINVAL, "%s: %s tag %u lies outside the data store", h->name, h->which, tag);
    if (type == T_STRING && count != 1)
        return err_set(-EINVAL, "%s: %s tag %u: a string with count %u", h->name, h->which, tag, count);
    if (type == T_STRING || type == T_STRING_ARRAY || type == T_I18NSTRING) {
        uint32_t p = off;
        for (uint32_t i = 0; i < count; i++) {
            const char *nul = p < h->dsize ? memchr(h->data + p, 0, h->dsize - p) : NULL;
            if (!nul)
                return err_set(-EINVAL, "%s: %s tag %u: string %u runs past the data store", h->name, h->which,
                               tag, i);
            p = (uint32_t)(nul - h->data) + 1;
        }
        return 0;
    }
    if ((uint64_t)count * width[type] > h->dsize - off)
        return err_set(-EINVAL, "%s: %s tag %u lies outside the data store", h->name, h->which, tag);
    return 0;
}

/* Read and check one header structure at off; *end receives the offset
 * just past it. The blob (intro included) is returned in *blob. */
static int read_header(const struct source *s, uint64_t off, const char *which, uint8_t **blob, struct hdr *h,
                       uint64_t *end)
{
    static const uint8_t magic[4] = {0x8e, 0xad, 0xe8, 0x01};
    uint8_t intro[HEADER_INTRO];
    int r = src_read(s, off, intro, sizeof(intro), which);
    if (r < 0)
        return r;
    if (memcmp(intro, magic, 4))
        return err_set(-EINVAL, "%s: bad %s magic", s->name, which);
    uint32_t nindex = be32(intro + 8), dsize = be32(intro + 12);
    if (nindex == 0 || nindex > MAX_INDEX || dsize > MAX_DATA)
        return err_set(-EINVAL, "%s: %s declares %u entries and %u data bytes", s->name, which, nindex, dsize);
    size_t total = HEADER_INTRO + (size_t)nindex * 16 + dsize;
    uint8_t *b = xmalloc(total + 1);
    memcpy(b, intro, sizeof(intro));
    r = src_read(s, off + HEADER_INTRO, b + HEADER_INTRO, total - HEADER_INTRO, which);
    if (r < 0) {
        free(b);
        return r;
    }
    b[total] = 0;
    *h = (struct hdr){s->name, which, b + HEADER_INTRO, nindex, (const char *)b + HEADER_INTRO + nindex * 16u, dsize};
    for (uint32_t i = 0; i < nindex; i++) {
        const uint8_t *e = h->index + 16u * i;
        r = entry_check(h, be32(e), be32(e + 4), be32(e + 8), be32(e + 12));
        if (r < 0) {
            free(b);
            return r;
        }
    }
    *blob = b;
    *end = off + total;
    return 0;
}

struct entry {
    uint32_t type, off, count;
};

static bool entry_find(const struct hdr *h, uint32_t tag, struct entry *e)
{
    for (uint32_t i = 0; i < h->nindex; i++) {
        const uint8_t *p = h->index + 16u * i;
        if (be32(p) == tag) {
            *e = (struct entry){be32(p + 4), be32(p + 8), be32(p + 12)};
            return true;
        }
    }
    return false;
}

/* A string tag (or the first string of an i18n/array one); NULL when absent. */
static const char *hdr_string(const struct hdr *h, uint32_t tag)
{
    struct entry e;
    if (!entry_find(h, tag, &e) || (e.type != T_STRING && e.type != T_I18NSTRING && e.type != T_STRING_ARRAY))
        return NULL;
    return h->data + e.off;
}

/* A string array with exactly want entries (any count when want is 0).
 * *out is NULL (and 0 returned) when the tag is absent. */
static int hdr_strings(const struct hdr *h, uint32_t tag, uint32_t want, const char ***out, uint32_t *n)
{
    struct entry e;
    *out = NULL;
    if (n)
        *n = 0;
    if (!entry_find(h, tag, &e))
        return 0;
    if (e.type != T_STRING_ARRAY && e.type != T_I18NSTRING)
        return err_set(-EINVAL, "%s: header tag %u is not a string array", h->name, tag);
    if (want && e.count != want)
        return err_set(-EINVAL, "%s: header tag %u has %u entries for %u files", h->name, tag, e.count, want);
    const char **v = xcalloc(e.count, sizeof(char *));
    const char *p = h->data + e.off;
    for (uint32_t i = 0; i < e.count; i++) {
        v[i] = p;
        p += strlen(p) + 1; /* entry_check saw every NUL inside the store */
    }
    *out = v;
    if (n)
        *n = e.count;
    return 0;
}

/* An integer array (int16/32/64 widened) with exactly want entries (any
 * when 0); *out NULL when absent. */
static int hdr_ints(const struct hdr *h, uint32_t tag, uint32_t want, uint64_t **out, uint32_t *n)
{
    struct entry e;
    *out = NULL;
    if (n)
        *n = 0;
    if (!entry_find(h, tag, &e))
        return 0;
    if (e.type != T_INT16 && e.type != T_INT32 && e.type != T_INT64)
        return err_set(-EINVAL, "%s: header tag %u is not an integer array", h->name, tag);
    if (want && e.count != want)
        return err_set(-EINVAL, "%s: header tag %u has %u entries for %u files", h->name, tag, e.count, want);
    uint64_t *v = xcalloc(e.count, sizeof(uint64_t));
    const uint8_t *p = (const uint8_t *)h->data + e.off;
    for (uint32_t i = 0; i < e.count; i++) {
        if (e.type == T_INT16)
            v[i] = (uint64_t)p[2 * i] << 8 | p[2 * i + 1];
        else if (e.type == T_INT32)
            v[i] = be32(p + 4 * i);
        else
            v[i] = (uint64_t)be32(p + 8 * i) << 32 | be32(p + 8 * i + 4);
    }
    *out = v;
    if (n)
        *n = e.count;
    return 0;
}

static bool hdr_u32(const struct hdr *h, uint32_t tag, uint32_t *v)
{
    uint64_t *a;
    uint32_t n;
    if (hdr_ints(h, tag, 0, &a, &n) < 0 || !a)
        return false;
    *v = (uint32_t)a[0];
    free(a);
    return true;
}

/* ------------------------------------------------------------- files --- */

/* The per-file arrays, each NULL when the tag is absent. */
struct file_tags {
    const char **basenames, **dirnames, **oldnames, **digests, **linktos, **users, **groups, **caps;
    uint64_t *dirindexes, *sizes, *modes, *rdevs, *mtimes, *flags, *devices, *inodes;
};

static void file_tags_free(struct file_tags *t)
{
    free(t->basenames);
    free(t->dirnames);
    free(t->oldnames);
    free(t->digests);
    free(t->linktos);
    free(t->users);
    free(t->groups);
    free(t->caps);
    free(t->dirindexes);
    free(t->sizes);
    free(t->modes);
    free(t->rdevs);
    free(t->mtimes);
    free(t->flags);
    free(t->devices);
    free(t->inodes);
}

static int read_file_tags(const struct hdr *h, struct file_tags *t, uint32_t *nfiles)
{
    uint32_t n = 0, ndirs = 0;
    int r = hdr_strings(h, RPMTAG_BASENAMES, 0, &t->basenames, &n);
    if (r == 0 && t->basenames) {
        if ((r = hdr_strings(h, RPMTAG_DIRNAMES, 0, &t->dirnames, &ndirs)) == 0 &&
            (r = hdr_ints(h, RPMTAG_DIRINDEXES, n, &t->dirindexes, NULL)) == 0 && (!t->dirnames || !t->dirindexes))
            r = err_set(-EINVAL, "%s: header has file basenames without directories", h->name);
        for (uint32_t i = 0; r == 0 && i < n; i++)
            if (t->dirindexes[i] >= ndirs)
                r = err_set(-EINVAL, "%s: file %u refers to directory %llu of %u", h->name, i,
                            (unsigned long long)t->dirindexes[i], ndirs);
    } else if (r == 0) {
        r = hdr_strings(h, RPMTAG_OLDFILENAMES, 0, &t->oldnames, &n);
    }
    if (r < 0)
        return r;
    *nfiles = n;
    if (n == 0)
        return 0;
    if ((r = hdr_ints(h, RPMTAG_LONGFILESIZES, n, &t->sizes, NULL)) < 0 ||
        (!t->sizes && (r = hdr_ints(h, RPMTAG_FILESIZES, n, &t->sizes, NULL)) < 0) ||
        (r = hdr_ints(h, RPMTAG_FILEMODES, n, &t->modes, NULL)) < 0 ||
        (r = hdr_ints(h, RPMTAG_FILERDEVS, n, &t->rdevs, NULL)) < 0 ||
        (r = hdr_ints(h, RPMTAG_FILEMTIMES, n, &t->mtimes, NULL)) < 0 ||
        (r = hdr_ints(h, RPMTAG_FILEFLAGS, n, &t->flags, NULL)) < 0 ||
        (r = hdr_ints(h, RPMTAG_FILEDEVICES, n, &t->devices, NULL)) < 0 ||
        (r = hdr_ints(h, RPMTAG_FILEINODES, n, &t->inodes, NULL)) < 0 ||
        (r = hdr_strings(h, RPMTAG_FILEDIGESTS, n, &t->digests, NULL)) < 0 ||
        (r = hdr_strings(h, RPMTAG_FILELINKTOS, n, &t->linktos, NULL)) < 0 ||
        (r = hdr_strings(h, RPMTAG_FILEUSERNAME, n, &t->users, NULL)) < 0 ||
        (r = hdr_strings(h, RPMTAG_FILEGROUPNAME, n, &t->groups, NULL)) < 0 ||
        (r = hdr_strings(h, RPMTAG_FILECAPS, n, &t->caps, NULL)) < 0)
        return r;
    if (!t->sizes || !t->modes || !t->users || !t->groups)
        return err_set(-EINVAL, "%s: header lacks file sizes, modes or owners", h->name);
    return 0;
}

static int cmp_file_path(const void *a, const void *b)
{
    return strcmp(((const struct rpm_file *)a)->path, ((const struct rpm_file *)b)->path);
}

static int cmp_file_inode(const void *a, const void *b)
{
    const struct rpm_file *x = *(const struct rpm_file *const *)a, *y = *(const struct rpm_file *const *)b;
    if (x->device != y->device)
        return x->device < y->device ? -1 : 1;
    return x->inode < y->inode ? -1 : x->inode > y->inode;
}

/* nlink of every regular file: the size of its (device, inode) group. */
static void count_links(struct rpm_package *p)
{
    struct rpm_file **v = xcalloc(p->nfiles ? p->nfiles : 1, sizeof(*v));
    size_t n = 0;
    for (size_t i = 0; i < p->nfiles; i++) {
        p->files[i].nlink = 1;
        if ((p->files[i].mode & 0170000) == 0100000 && p->files[i].inode)
            v[n++] = &p->files[i];
    }
    qsort(v, n, sizeof(*v), cmp_file_inode);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && !cmp_file_inode(&v[i], &v[j]))
            j++;
        for (size_t k = i; k < j; k++)
            v[k]->nlink = (uint32_t)(j - i);
        i = j;
    }
    free(v);
}

static int build_files(const struct hdr *h, struct rpm_package *p)
{
    struct file_tags t = {0};
    uint32_t n;
    int r = read_file_tags(h, &t, &n);
    if (r < 0 || n == 0) {
        file_tags_free(&t);
        return r;
    }
    p->files = xcalloc(n, sizeof(struct rpm_file));
    p->nfiles = n;
    for (uint32_t i = 0; i < n; i++) {
        struct rpm_file *f = &p->files[i];
        f->path = t.oldnames ? xstrdup(t.oldnames[i]) : xasprintf("%s%s", t.dirnames[t.dirindexes[i]], t.basenames[i]);
        f->size = t.sizes[i];
        f->mode = (uint32_t)t.modes[i];
        f->rdev = t.rdevs ? (uint32_t)t.rdevs[i] : 0;
        f->mtime = t.mtimes ? (uint32_t)t.mtimes[i] : 0;
        f->flags = t.flags ? (uint32_t)t.flags[i] : 0;
        f->device = t.devices ? (uint32_t)t.devices[i] : 0;
        f->inode = t.inodes ? (uint32_t)t.inodes[i] : 0;
        f->user = t.users[i];
        f->group = t.groups[i];
        f->linkto = t.linktos ? t.linktos[i] : "";
        f->digest = t.digests ? t.digests[i] : "";
        f->caps = t.caps && *t.caps[i] ? t.caps[i] : NULL;
        if (f->path[0] != '/')
            r = err_set(-EINVAL, "%s: file name '%s' is not absolute", h->name, f->path);
        else if ((f->mode & 0170000) == 0120000 && !*f->linkto)
            r = err_set(-EINVAL, "%s: symlink %s has no target", h->name, f->path);
        if (r < 0)
            break;
    }
    file_tags_free(&t);
    if (r < 0)
        return r;
    qsort(p->files, n, sizeof(struct rpm_file), cmp_file_path);
    for (uint32_t i = 1; i < n; i++)
        if (!strcmp(p->files[i - 1].path, p->files[i].path))
            return err_set(-EINVAL, "%s: file %s is listed twice", h->name, p->files[i].path);
    count_links(p);
    return 0;
}

/* ---------------------------------------------------------- packages --- */

static char *dup_or_null(const char *s)
{
    return s && *s ? xstrdup(s) : NULL;
}

static int read_meta(const struct hdr *h, struct rpm_package *p)
{
    struct package *m = &p->meta;
    const char *name = hdr_string(h, RPMTAG_NAME), *version = hdr_string(h, RPMTAG_VERSION),
               *release = hdr_string(h, RPMTAG_RELEASE), *arch = hdr_string(h, RPMTAG_ARCH);
    if (!name || !*name || !version || !*version || !release || !*release || !arch || !*arch)
        return err_set(-EINVAL, "%s: header lacks name, version, release or arch", h->name);
    struct entry e;
    if (entry_find(h, RPMTAG_SOURCEPACKAGE, &e))
        return err_set(-EINVAL, "%s: is a source package", h->name);
    m->format = PKG_RPM;
    m->name = xstrdup(name);
    m->version = xstrdup(version);
    m->release = xstrdup(release);
    m->arch = xstrdup(arch);
    hdr_u32(h, RPMTAG_EPOCH, &m->epoch);
    m->license = dup_or_null(hdr_string(h, RPMTAG_LICENSE));
    m->source = dup_or_null(hdr_string(h, RPMTAG_SOURCERPM));
    m->vendor = dup_or_null(hdr_string(h, RPMTAG_VENDOR));
    m->url = dup_or_null(hdr_string(h, RPMTAG_URL));
    m->summary = dup_or_null(hdr_string(h, RPMTAG_SUMMARY));
    p->payload_format = hdr_string(h, RPMTAG_PAYLOADFORMAT);
    p->payload_compressor = hdr_string(h, RPMTAG_PAYLOADCOMPRESSOR);
    if (!p->payload_format)
        p->payload_format = "cpio";
    if (!hdr_u32(h, RPMTAG_FILEDIGESTALGO, &p->file_digest_algo))
        p->file_digest_algo = RPM_HASH_MD5;
    uint32_t algo = RPM_HASH_SHA256;
    hdr_u32(h, RPMTAG_PAYLOADDIGESTALGO, &algo);
    const char *pd = hdr_string(h, RPMTAG_PAYLOADDIGEST);
    p->payload_digest = algo == RPM_HASH_SHA256 && pd && strlen(pd) == 64 ? pd : NULL;
    return 0;
}

/* The signature header's SHA256 of the main header, when present, must match. */
static int check_header_digest(const struct hdr *sig, struct rpm_package *p, const uint8_t *blob, size_t len)
{
    sha256_buf(blob, len, p->header_sha256);
    const char *want = hdr_string(sig, RPMSIGTAG_SHA256);
    if (!want)
        return 0;
    char have[2 * SHA256_LEN + 1];
    hex_encode(p->header_sha256, SHA256_LEN, have);
    if (strcasecmp(want, have))
        return err_set(-EINVAL, "%s: header digest does not match the signature header (corrupt package)",
                       sig->name);
    return 0;
}

static int read_package(const struct source *s, struct rpm_package *p)
{
    memset(p, 0, sizeof(*p));
    uint8_t lead[RPM_LEAD_SIZE];
    int r = src_read(s, 0, lead, sizeof(lead), "lead");
    if (r < 0)
        return r;
    static const uint8_t magic[4] = {0xed, 0xab, 0xee, 0xdb};
    if (memcmp(lead, magic, 4))
        return err_set(-EINVAL, "%s: not an RPM package (bad lead magic)", s->name);
    if (lead[4] < 3 || (lead[78] << 8 | lead[79]) != 5)
        return err_set(-EINVAL, "%s: unsupported RPM format (version %u, signature type %u)", s->name, lead[4],
                       lead[78] << 8 | lead[79]);
    struct hdr sig, h;
    uint64_t end;
    if ((r = read_header(s, RPM_LEAD_SIZE, "signature header", &p->sig_blob, &sig, &end)) < 0)
        goto fail;
    uint64_t hoff = ALIGN_UP(end, 8);
    if ((r = read_header(s, hoff, "header", &p->hdr_blob, &h, &end)) < 0 ||
        (r = check_header_digest(&sig, p, p->hdr_blob, (size_t)(end - hoff))) < 0 || (r = read_meta(&h, p)) < 0 ||
        (r = build_files(&h, p)) < 0)
        goto fail;
    p->payload_offset = end;
    return 0;
fail:
    rpm_package_free(p);
    return r;
}

int rpm_read(int fd, const char *name, struct rpm_package *out)
{
    struct source s = {fd, NULL, 0, name};
    return read_package(&s, out);
}

int rpm_read_mem(const uint8_t *buf, size_t len, const char *name, struct rpm_package *out)
{
    static const uint8_t empty[1];
    struct source s = {-1, buf ? buf : empty, len, name};
    return read_package(&s, out);
}

void rpm_package_free(struct rpm_package *p)
{
    package_clear(&p->meta);
    for (size_t i = 0; i < p->nfiles; i++)
        free(p->files[i].path);
    free(p->files);
    free(p->sig_blob);
    free(p->hdr_blob);
    memset(p, 0, sizeof(*p));
}

const struct rpm_file *rpm_find_file(const struct rpm_package *p, const char *path)
{
    struct rpm_file key = {.path = (char *)path};
    return p->nfiles ? bsearch(&key, p->files, p->nfiles, sizeof(key), cmp_file_path) : NULL;
}

/* -------------------------------------------------------- capabilities --- */

static const char *const cap_names[] = {
    "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid", "setpcap",
    "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
    "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
    "sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write", "audit_control", "setfcap",
    "mac_override", "mac_admin", "syslog", "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf",
    "checkpoint_restore",
};
#define CAP_ALL ((UINT64_C(1) << ARRAY_SIZE(cap_names)) - 1)

/* "cap_a,cap_b" or "all" (or empty: all, as in "=ep") into a mask. */
static int cap_list_mask(const char *s, size_t len, uint64_t *mask)
{
    *mask = 0;
    if (len == 0 || (len == 3 && !strncasecmp(s, "all", 3))) {
        *mask = CAP_ALL;
        return 0;
    }
    while (len) {
        const char *comma = memchr(s, ',', len);
        size_t n = comma ? (size_t)(comma - s) : len;
        size_t i;
        for (i = 0; i < ARRAY_SIZE(cap_names); i++)
            if (n == 4 + strlen(cap_names[i]) && !strncasecmp(s, "cap_", 4) && !strncasecmp(s + 4, cap_names[i], n - 4))
                break;
        if (i == ARRAY_SIZE(cap_names))
            return -EINVAL;
        *mask |= UINT64_C(1) << i;
        if (!comma)
            break;
        len -= n + 1;
        s = comma + 1;
        if (!len)
            return -EINVAL;
    }
    return 0;
}

/* Clauses separated by spaces: LIST ( [=+-] FLAGS )+, FLAGS from "eip". */
static int caps_parse(const char *text, uint64_t sets[3])
{
    const char *p = text;
    sets[0] = sets[1] = sets[2] = 0; /* effective, inheritable, permitted */
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *ops = p + strcspn(p, "=+- \t");
        if (*ops != '=' && *ops != '+' && *ops != '-')
            return -EINVAL;
        uint64_t mask;
        if (cap_list_mask(p, (size_t)(ops - p), &mask) < 0)
            return -EINVAL;
        p = ops;
        while (*p == '=' || *p == '+' || *p == '-') {
            char op = *p++;
            uint64_t which[3] = {0, 0, 0};
            for (; *p == 'e' || *p == 'i' || *p == 'p'; p++)
                which[*p == 'e' ? 0 : *p == 'i' ? 1 : 2] = 1;
            if (op != '=' && !which[0] && !which[1] && !which[2])
                return -EINVAL;
            for (int k = 0; k < 3; k++) {
                if (op == '=')
                    sets[k] = (sets[k] & ~mask) | (which[k] ? mask : 0);
                else if (which[k])
                    sets[k] = op == '+' ? sets[k] | mask : sets[k] & ~mask;
            }
        }
        if (*p && *p != ' ' && *p != '\t')
            return -EINVAL;
    }
    return 0;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

int rpm_caps_to_xattr(const char *text, const char *what, uint8_t out[20])
{
    uint64_t sets[3];
    if (caps_parse(text, sets) < 0)
        return err_set(-EINVAL, "%s: cannot parse file capabilities '%s'", what, text);
    /* struct vfs_cap_data, VFS_CAP_REVISION_2: magic_etc, then
     * {permitted, inheritable} for capabilities 0-31 and 32-63. */
    put_le32(out, 0x02000000u | (sets[0] ? 1u : 0u));
    put_le32(out + 4, (uint32_t)sets[2]);
    put_le32(out + 8, (uint32_t)sets[1]);
    put_le32(out + 12, (uint32_t)(sets[2] >> 32));
    put_le32(out + 16, (uint32_t)(sets[1] >> 32));
    return 20;
}
