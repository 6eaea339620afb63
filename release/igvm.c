/* The IGVM files of a release: see igvm.h. */
#include "release/igvm.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hash.h"
#include "common/hex.h"
#include "common/util.h"
#include "measure/igvm.h"
#include "release/publish.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* An ACPI table is a few KiB; a directory of them a few dozen files. */
#define ACPI_TABLE_MAX (1u << 20)
#define ACPI_TABLES_MAX 64
#define KERNEL_MAX (512u << 20)

bool release_igvm_reserved_name(const char *name)
{
    return !strcmp(name, IGVM_FILE) || !strcmp(name, IGVM_DEBUG_FILE) || !strcmp(name, IGVM_MEASUREMENT_FILE) ||
           !strcmp(name, IGVM_DEBUG_MEASUREMENT_FILE) || startswith(name, IGVM_ACPI_PREFIX);
}

char *release_igvm_cmdline(const char *tmpl, const char *table)
{
    const char *at = strstr(tmpl, MANIFEST_DM_VERITY);
    if (!at)
        return xstrdup(tmpl);
    return xasprintf("%.*s%s%s", (int)(at - tmpl), tmpl, table, at + strlen(MANIFEST_DM_VERITY));
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The compiled tables (*.aml) of an ACPI directory, sorted by name: what
 * igvm_build() reads from it (sources and other files beside them are not
 * part of the guest and are not published). */
static int list_tables(const char *dir, char ***names, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d)
        return err_sys(-errno, "%s: cannot read the ACPI table directory", dir);
    *names = NULL;
    *n = 0;
    struct dirent *e;
    int r = 0;
    while (r == 0 && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' || l <= 4 || strcmp(e->d_name + l - 4, ".aml") != 0)
            continue;
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) < 0)
            r = err_sys(-errno, "%s: cannot stat", path);
        else if (!S_ISREG(st.st_mode))
            r = err_set(-EINVAL, "%s: not a regular file",
                        path);
        else if (*n == ACPI_TABLES_MAX)
            r = err_set(-E2BIG, "%s: more than %d ACPI tables", dir, ACPI_TABLES_MAX);
        else if (!release_is_file_name(e->d_name) ||
                 strlen(e->d_name) + strlen(IGVM_ACPI_PREFIX) > 255)
            r = err_set(-EINVAL, "%s: '%s' cannot be published under its own name", dir, e->d_name);
        else {
            *names = xrealloc(*names, (*n + 1) * sizeof(**names));
            (*names)[(*n)++] = xstrdup(e->d_name);
        }
    }
    closedir(d);
    if (r == 0 && *n)
        qsort(*names, *n, sizeof(**names), cmp_name);
    return r;
}

static void free_names(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static int copy_file(const char *src, const char *dst, size_t max)
{
    _cleanup_free_ uint8_t *buf = NULL;
    size_t len;
    int r = file_read_all(src, &buf, &len, max);
    return r < 0 ? r : file_write_atomic(dst, buf, len, 0644);
}

/* The manifest's tables into the release as acpi-NAME, recorded in g. */
static int publish_tables(const char *dir, const char *acpi_dir, struct release_igvm *g)
{
    char **names = NULL;
    size_t n = 0;
    int r = list_tables(acpi_dir, &names, &n);
    for (size_t i = 0; r == 0 && i < n; i++) {
        _cleanup_free_ char *src = xasprintf("%s/%s", acpi_dir, names[i]);
        _cleanup_free_ char *art = xasprintf(IGVM_ACPI_PREFIX "%s", names[i]);
        _cleanup_free_ char *dst = xasprintf("%s/%s", dir, art);
        char hex[65];
        if ((r = copy_file(src, dst, ACPI_TABLE_MAX)) == 0 && (r = sha256_file_hex(dst, hex, NULL)) == 0) {
            g->acpi = xrealloc(g->acpi, (g->nacpi + 1) * sizeof(*g->acpi));
            g->acpi[g->nacpi++] = (struct release_file_digest){xstrdup(art), xstrdup(hex)};
        }
    }
    free_names(names, n);
    return r;
}

/* igvmgen reads a directory of tables: give it the release's own copies
 * under their manifest names, in a private directory under base. */
static int stage_tables(const char *dir, const struct release_igvm *g, char **staged)
{
    const char *tmp = getenv("TMPDIR");
    _cleanup_free_ char *tmpl = xasprintf("%s/guestimg-acpi.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmpl))
        return err_sys(-errno, "%s: cannot create a directory for the ACPI tables", tmpl);
    int r = 0;
    for (size_t i = 0; r == 0 && i < g->nacpi; i++) {
        const char *art = g->acpi[i].name;
        if (!startswith(art, IGVM_ACPI_PREFIX) || !art[strlen(IGVM_ACPI_PREFIX)]) {
            r = err_set(-EINVAL, "igvm %s: ACPI table %s is not named " IGVM_ACPI_PREFIX "NAME", g->name, art);
            break;
        }
        _cleanup_free_ char *src = xasprintf("%s/%s", dir, art);
        _cleanup_free_ char *dst = xasprintf("%s/%s", tmpl, art + strlen(IGVM_ACPI_PREFIX));
        r = copy_file(src, dst, ACPI_TABLE_MAX);
    }
    if (r < 0) {
        rm_rf(tmpl);
        return r;
    }
    *staged = xstrdup(tmpl);
    return 0;
}

int release_igvm_make(const char *dir, const char *kernel, const struct release_igvm *g, uint32_t svn,
                      struct igvm_build_result *res)
{
    struct igvm_build_params p;
    igvm_build_params_init(&p);
    _cleanup_free_ char *kpath = xasprintf("%s/%s", dir, kernel);
    p.kernel_path = kpath;
    p.cmdline = (const uint8_t *)g->cmdline;
    p.cmdline_len = strlen(g->cmdline);
    p.boot_mode = !strcmp(g->boot_mode, "x64") ? IGVM_BOOT_X64 : IGVM_BOOT_X86;
    p.vtl = (unsigned)g->vtl;
    p.svme = g->svme;
    p.encrypted_page = g->encrypted_page;
    p.pvalidate_opt = g->pvalidate_opt;
    p.id.policy = g->guest_policy;
    p.svn = svn;
    _cleanup_free_ char *staged = NULL;
    if (g->nacpi) {
        int r = stage_tables(dir, g, &staged);
        if (r < 0)
            return r;
        p.acpi_dir = staged;
    }
    int r = igvm_build(&p, res);
    if (staged)
        rm_rf(staged);
    return r < 0 ? err_prefix(r, "igvm %s", g->name) : 0;
}

static int build_one(const char *dir, const char *kernel, const struct manifest_measure *ms, const char *name,
                     const char *variant, const char *cmdline, const char *measurement_file,
                     const struct release_igvm *tables_from, struct release_igvm *g)
{
    const struct manifest_igvm *mg = &ms->igvm;
    *g = (struct release_igvm){
        .name = xstrdup(name), .variant = xstrdup(variant), .cmdline = xstrdup(cmdline),
        .boot_mode = xstrdup(mg->boot_mode), .vtl = mg->vtl, .svme = mg->svme,
        .encrypted_page = mg->encrypted_page, .pvalidate_opt = mg->pvalidate_opt,
        .guest_policy = mg->guest_policy, .measurement_file = xstrdup(measurement_file),
    };
    /* the tables are published once, by the first entry; the others
     * record the same copies */
    int r = 0;
    if (tables_from)
        for (size_t i = 0; i < tables_from->nacpi; i++) {
            g->acpi = xrealloc(g->acpi, (g->nacpi + 1) * sizeof(*g->acpi));
            g->acpi[g->nacpi++] = (struct release_file_digest){xstrdup(tables_from->acpi[i].name),
                                                               xstrdup(tables_from->acpi[i].sha256)};
        }
    else if (mg->acpi)
        r = publish_tables(dir, mg->acpi, g);
    if (r < 0)
        return r;
    struct igvm_build_result res;
    if ((r = release_igvm_make(dir, kernel, g, ms->svn, &res)) < 0)
        return r;
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
    _cleanup_free_ char *mpath = xasprintf("%s/%s", dir, measurement_file);
    g->digest = xmalloc(2 * sizeof(res.digest) + 1);
    hex_encode(res.digest, sizeof(res.digest), g->digest);
    _cleanup_free_ char *mjson = publish_measurement_json(g->digest, ms->svn);
    if ((r = file_write_atomic(path, res.data, res.len, 0644)) == 0)
        r = file_write_atomic(mpath, mjson, strlen(mjson), 0644);
    if (r == 0)
        r = release_igvm_describe(path, g);
    igvm_build_result_free(&res);
    return r;
}

int release_igvm_describe(const char *path, struct release_igvm *g)
{
    struct igvm_file f;
    int r = igvm_open(&f, path, 0);
    if (r < 0)
        return r;
    struct igvm_snp_result s;
    if ((r = igvm_measure_snp(&f, 0, &s)) == 0) {
        uint8_t kd[GCTX_LD_LEN];
        bool valid = false;
        g->guest_policy = s.has_policy ? s.policy : 0;
        if (!s.has_id_block)
            r = err_set(-EINVAL, "%s: no SNP ID block", path);
        else if ((r = igvm_id_block_check(&s.id_block, s.policy, &valid, kd)) == 0 && !valid)
            r = err_set(-EBADMSG, "%s: the SNP ID block's signature does not verify", path);
        if (r == 0) {
            free(g->id_key_digest);
            g->id_key_digest = xmalloc(2 * GCTX_LD_LEN + 1);
            hex_encode(kd, GCTX_LD_LEN, g->id_key_digest);
        }
    }
    igvm_close(&f);
    return r;
}

int release_igvm_build_all(const char *dir, const char *kernel, const struct manifest_measure *ms,
                           const char *cmdline, const char *table, struct release_igvm **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!ms->igvm.present)
        return 0;
    const struct manifest_igvm *mg = &ms->igvm;
    *out = xcalloc(2, sizeof(**out));
    _cleanup_free_ char *prod = mg->cmdline ? release_igvm_cmdline(mg->cmdline, table) : xstrdup(cmdline);
    int r = build_one(dir, kernel, ms, IGVM_FILE, "production", prod, IGVM_MEASUREMENT_FILE, NULL, &(*out)[0]);
    *n = 1;
    if (r == 0 && mg->debug_cmdline) {
        _cleanup_free_ char *dbg = release_igvm_cmdline(mg->debug_cmdline, table);
        r = build_one(dir, kernel, ms, IGVM_DEBUG_FILE, "debug", dbg, IGVM_DEBUG_MEASUREMENT_FILE, &(*out)[0],
                      &(*out)[1]);
        *n = 2;
    }
    return r;
}

/* The region of res that holds gpa, by name. */
static const char *region_of(const struct igvm_build_result *res, uint64_t gpa)
{
    for (size_t i = 0; i < res->n_regions; i++)
        if (gpa >= res->regions[i].gpa && gpa - res->regions[i].gpa < res->regions[i].len)
            return res->regions[i].what;
    return "memory outside every input";
}

char *release_igvm_first_difference(const struct igvm_build_result *res, const uint8_t *data, size_t len)
{
    /* the fixed header's CRC-32 (bytes 20-23) differs whenever anything
     * does: name the first difference elsewhere, the checksum only alone */
    size_t n = res->len < len ? res->len : len, off = 0;
    while (off < n && (res->data[off] == data[off] || (off >= 20 && off < 24)))
        off++;
    if (off == n && res->len == len) {
        if (!memcmp(res->data, data, len))
            return NULL;
        return xstrdup("the fixed header's checksum (bytes 20-23)");
    }
    struct igvm_file f;
    if (igvm_parse(&f, "rebuilt IGVM", res->data, res->len, 0) < 0)
        return xasprintf("byte %zu", off);
    char *what = NULL;
    for (size_t i = 0; !what && i < f.n_headers; i++) {
        const struct igvm_header *h = &f.headers[i];
        if (h->type == IGVM_PAGE_DATA && h->file_offset && off >= h->file_offset &&
            off - h->file_offset < IGVM_PAGE_4K)
            what = xasprintf("%s (page at GPA 0x%llx, byte %zu of the file)", region_of(res, h->gpa),
                             (unsigned long long)h->gpa, off);
        else if (off >= h->offset && off < (size_t)h->offset + 8 + h->length)
            what = xasprintf("header %s (byte %zu of the file)", igvm_type_name(h->type), off);
    }
    if (!what)
        what = off < f.vh_offset ? xasprintf("the fixed header (byte %zu)", off)
                                 : xasprintf("byte %zu of the file (its length differs: %zu, rebuilt %zu)", off,
                                             len, res->len);
    igvm_close(&f);
    return what;
}

void release_igvms_free(struct release_igvm *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct release_igvm *g = &v[i];
        free(g->name);
        free(g->variant);
        free(g->digest);
        free(g->cmdline);
        free(g->boot_mode);
        for (size_t k = 0; k < g->nacpi; k++) {
            free(g->acpi[k].name);
            free(g->acpi[k].sha256);
        }
        free(g->acpi);
        free(g->id_key_digest);
        free(g->measurement_file);
    }
    free(v);
}
