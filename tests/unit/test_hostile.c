/* The hostile-input suite, in process: thousands of mutations of the real
 * reference inputs (tests/fixtures/reference: OVMF builds, IGVM files, the
 * Milan attestation report, AMD's certificates) and of a release.json and a
 * manifest, each fed to the parser and everything that consumes what it
 * accepts. Every mutation must end in success or in an error whose message
 * names the input and is one line of printable text; never a crash or a
 * sanitizer report (run under `make SANITIZE=1`).
 *
 * Mutations are structure-aware where the structure is known (the fields
 * that are offsets, counts and lengths set to 0, 1, max, max-1, the file
 * size and around it; truncations at every structure boundary) plus
 * deterministic random byte flips (a fixed seed: the same mutations every
 * run). Each mutant is copied into a buffer of exactly its size so that a
 * read past its end is an ASan report. tests/hostile.bats runs a few
 * hundred of the same kind through the CLI. */
#include "harness.h"

#include "builder/manifest/manifest.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hex.h"
#include "common/util.h"
#include "attest/appraise.h"
#include "attest/attest.h"
#include "measure/igvm.h"
#include "measure/measure.h"
#include "measure/ovmf.h"
#include "attest/report.h"
#include "measure/snp.h"
#include "measure/vcpu_types.h"
#include "release/release.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <ftw.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------- mutation set --- */

struct field {
    size_t off;
    unsigned width; /* 1, 2, 4 or 8 bytes */
    bool be;        /* big-endian (DER lengths) */
};

struct mutset {
    struct field *f;
    size_t nf, capf;
    size_t *cuts;
    size_t ncuts, capc;
    size_t stride;                /* run every stride-th field value only (0, 1: all) */
    size_t flips;                 /* random byte flips */
    size_t flip_lo, flip_hi;      /* where they land */
};

static void add_field(struct mutset *m, size_t off, unsigned width, bool be)
{
    if (m->nf == m->capf) {
        m->capf = m->capf ? 2 * m->capf : 64;
        m->f = xrealloc(m->f, m->capf * sizeof(*m->f));
    }
    m->f[m->nf++] = (struct field){off, width, be};
}

static void add_cut(struct mutset *m, size_t off)
{
    if (m->ncuts == m->capc) {
        m->capc = m->capc ? 2 * m->capc : 64;
        m->cuts = xrealloc(m->cuts, m->capc * sizeof(*m->cuts));
    }
    m->cuts[m->ncuts++] = off;
}

/* Every 4-byte word of [lo, hi) as a field, and its first byte. */
static void add_words(struct mutset *m, size_t lo, size_t hi)
{
    for (size_t o = lo; o + 4 <= hi; o += 4)
        add_field(m, o, 4, false);
}

static void mutset_free(struct mutset *m)
{
    free(m->f);
    free(m->cuts);
    memset(m, 0, sizeof(*m));
}

static uint64_t get_n(const uint8_t *p, unsigned w, bool be)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < w; i++)
        v |= (uint64_t)p[be ? w - 1 - i : i] << (8 * i);
    return v;
}

static void put_n(uint8_t *p, unsigned w, bool be, uint64_t v)
{
    for (unsigned i = 0; i < w; i++)
        p[be ? w - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
    /* xorshift64: the same sequence every run */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* What a consumer of one input does with a mutant: 0 or negative with the
 * error set. */
typedef int (*consume_fn)(const uint8_t *buf, size_t len, void *ctx);

struct tally {
    unsigned runs, ok, errors;
    double slowest_ms;      /* printed, never asserted (a loaded machine is slow) */
    char slowest[128];
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The message must name the input and be one line of printable text
 * (err_set() escapes control bytes that come from the input). */

static bool message_ok(const char *name)
{
    const char *m = err_msg();
    if (!strcmp(m, "unknown error") || !strstr(m, name))
        return false;
    for (const unsigned char *c = (const unsigned char *)m; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return false;
    return true;
}

static const char *failed_dir(void);

static void run_one(const char *name, const char *desc, const uint8_t *src, size_t len, consume_fn fn, void *ctx,
                    struct tally *t)
{
    uint8_t *buf = xmalloc(len ? len : 1); /* exactly len: a read past it is an ASan report */
    memcpy(buf, src, len);
    err_clear();
    double t0 = now_ms();
    int rc = fn(buf, len, ctx);
    double ms = now_ms() - t0;
    free(buf);
    if (ms > t->slowest_ms) {
        t->slowest_ms = ms;
        snprintf(t->slowest, sizeof(t->slowest), "%s: %s", name, desc);
    }
    t->runs++;
    if (rc == 0) {
        t->ok++;
        return;
    }
    if (rc > 0 || !message_ok(name)) {
        /* keep the mutant for whoever debugs it */
        _cleanup_free_ char *kept = xasprintf("%s/failed-mutant", failed_dir());
        FILE *f = fopen(kept, "wb");
        if (f) {
            fwrite(src, 1, len, f);
            fclose(f);
        }
        if (rc > 0)
            FAIL_("%s: %s: returned %d (mutant kept as %s)", name, desc, rc, kept);
        FAIL_("%s: %s: error message does not name the input in one printable line: \"%s\" (mutant kept as %s)",
              name, desc, err_msg(), kept);
    }
    t->errors++;
}

/* Every mutation of the set: field values, truncations, byte flips. */
static void run_mutations(const char *name, const uint8_t *orig, size_t len, const struct mutset *m, consume_fn fn,
                          void *ctx, struct tally *t)
{
    /* the input as it is must pass, or the mutants prove nothing */
    err_clear();
    if (fn(orig, len, ctx) != 0)
        FAIL_("%s: refused unchanged: %s", name, err_msg());
    uint8_t *buf = xmalloc(len + 1);
    char desc[128];
    size_t n_field_runs = 0;
    for (size_t i = 0; i < m->nf; i++) {
        const struct field *f = &m->f[i];
        if (f->off + f->width > len)
            continue;
        uint64_t max = f->width == 8 ? UINT64_MAX : (1ull << (8 * f->width)) - 1;
        uint64_t was = get_n(orig + f->off, f->width, f->be);
        const uint64_t values[] = {0, 1, 2, max, max - 1, max >> 1, (max >> 1) + 1, len, len - 1, len + 1,
                                   was + 1, was - 1, was << 1, was ^ (1ull << (8 * f->width - 1)), 0x1000,
                                   0xfff, 0x200000};
        for (size_t k = 0; k < ARRAY_SIZE(values); k++) {
            uint64_t v = values[k] & max;
            bool dup = v == was;
            for (size_t j = 0; j < k && !dup; j++)
                dup = (values[j] & max) == v;
            if (dup || (m->stride > 1 && n_field_runs++ % m->stride))
                continue;
            memcpy(buf, orig, len);
            put_n(buf + f->off, f->width, f->be, v);
            snprintf(desc, sizeof(desc), "%u bytes at 0x%zx set to 0x%llx", f->width, f->off,
                     (unsigned long long)v);
            run_one(name, desc, buf, len, fn, ctx, t);
        }
    }
    for (size_t i = 0; i < m->ncuts; i++) {
        size_t c = m->cuts[i];
        for (size_t d = 0; d < 3; d++) {
            size_t n = c + d - 1; /* c - 1, c, c + 1 */
            if (n >= len || (d != 1 && n == c))
                continue;
            snprintf(desc, sizeof(desc), "truncated to %zu bytes", n);
            run_one(name, desc, orig, n, fn, ctx, t);
        }
    }
    size_t lo = m->flip_lo, hi = m->flip_hi && m->flip_hi <= len ? m->flip_hi : len;
    for (size_t i = 0; i < m->flips && hi > lo; i++) {
        memcpy(buf, orig, len);
        size_t nbytes = 1 + rng() % 4, first = lo + rng() % (hi - lo);
        for (size_t b = 0; b < nbytes && first + b < hi; b++)
            buf[first + b] ^= (uint8_t)(1 + rng() % 255);
        snprintf(desc, sizeof(desc), "%zu bytes flipped at 0x%zx (flip %zu)", nbytes, first, i);
        run_one(name, desc, buf, len, fn, ctx, t);
    }
    free(buf);
}

static void report_tally(const char *kind, const struct tally *t)
{
    printf("# %s: %u mutations, %u accepted, %u refused with a message naming the input; slowest %.0f ms (%s)\n",
           kind, t->runs, t->ok, t->errors, t->slowest_ms, t->slowest);
}

static void read_ref(const char *rel, uint8_t **buf, size_t *len)
{
    REQUIRE_REFERENCE();
    if (file_read_all(ref_path(rel), buf, len, 64u << 20) < 0)
        FAIL_("%s: %s", rel, err_msg());
}

/* A scratch directory for consumers that take paths, removed at exit
 * unless a failing mutant was kept in it. */
static char scratch_dir[] = "/tmp/guestimg-hostile-XXXXXX";
static bool scratch_made, scratch_keep;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void scratch_remove(void)
{
    if (scratch_made && !scratch_keep)
        nftw(scratch_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *scratch(void)
{
    if (!scratch_made) {
        if (!mkdtemp(scratch_dir))
            FAIL_("mkdtemp: %s", strerror(errno));
        scratch_made = true;
        atexit(scratch_remove);
    }
    return scratch_dir;
}

static const char *failed_dir(void)
{
    scratch_keep = true;
    return scratch();
}

static int write_scratch(const char *file, const uint8_t *buf, size_t len, char **path)
{
    *path = xasprintf("%s/%s", scratch(), file);
    FILE *f = fopen(*path, "wb");
    if (!f)
        return err_sys(-errno, "%s", *path);
    size_t n = fwrite(buf, 1, len, f);
    if (fclose(f) != 0 || n != len)
        return err_set(-EIO, "%s: short write", *path);
    return 0;
}

/* --------------------------------------------------------------- OVMF --- */

struct ovmf_ctx {
    const char *name;
    const char *kernel;   /* a small kernel file: the hashes-table path runs too */
    uint32_t sig;
};

/* Pages the SNP metadata walk would add: bounded here (as in the fuzzer)
 * so that thousands of runs stay fast; the CLI tests run the unbounded
 * walk on a 4 GiB section once. */
static uint64_t metadata_pages(const struct ovmf *o)
{
    uint64_t n = 0;
    for (size_t i = 0; i < o->n_sections; i++)
        n += snp_section_extent(&o->sections[i]) / 4096;
    return n;
}

/* Parse the image: negative (error set) when refused, else whether its
 * metadata is small enough to measure here. */
static int parse_small(const char *name, const uint8_t *buf, size_t len, bool *small)
{
    struct ovmf o;
    int r = ovmf_parse(&o, name, buf, len, OVMF_FOUR_GIB);
    if (r < 0)
        return r;
    *small = metadata_pages(&o) <= 4096;
    ovmf_free(&o);
    return 0;
}

static int consume_ovmf(const uint8_t *buf, size_t len, void *vctx)
{
    struct ovmf_ctx *c = vctx;
    bool small;
    int r = parse_small(c->name, buf, len, &small);
    if (r < 0 || !small)
        return r;
    static const enum sev_mode modes[] = {SEV_MODE_SNP, SEV_MODE_SEV, SEV_MODE_SEV_ES};
    for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
        for (int with_kernel = 0; with_kernel < 2; with_kernel++) {
            struct measure_params p;
            measure_params_init(&p);
            p.mode = modes[i];
            p.vcpus = 2;
            p.vcpu_sig = c->sig;
            p.ovmf_path = c->name;
            p.ovmf_data = buf;
            p.ovmf_size = len;
            if (with_kernel) {
                p.kernel_path = c->kernel;
                p.append = "console=ttyS0";
            }
            uint8_t d[MEASURE_DIGEST_MAX];
            size_t dlen;
            err_clear();
            r = measure_launch_digest(&p, d, &dlen);
            if (r < 0 && !message_ok(c->name))
                return r; /* reported by the caller */
            if (r > 0)
                return r;
        }
    }
    /* The last error (if any) stays set; success is what the parse gave. */
    err_clear();
    return 0;
}

/* Fields of an OVMF image: the footer table's size and each entry's size
 * and first word, the SEV metadata header and every section descriptor. */
static void ovmf_fields(const char *name, const uint8_t *buf, size_t len, struct mutset *m)
{
    struct ovmf o;
    if (ovmf_parse(&o, name, buf, len, OVMF_FOUR_GIB) < 0)
        FAIL_("%s: %s", name, err_msg());
    size_t footer = len - 32 - 18;
    add_field(m, footer, 2, false);
    add_cut(m, footer);
    add_cut(m, len - 32);
    for (size_t i = 0; i < o.n_entries; i++) {
        size_t data = (size_t)(o.entries[i].data - buf), hdr = data + o.entries[i].len;
        add_field(m, hdr, 2, false);
        add_field(m, hdr, 1, false);
        if (o.entries[i].len >= 4)
            add_field(m, data, 4, false);
        if (o.entries[i].len >= 8)
            add_field(m, data + 4, 4, false);
        add_cut(m, data);
        add_cut(m, hdr);
    }
    if (o.n_sections) {
        uint8_t guid[GUID_LEN] = GUID_LE(0xdc886566, 0x984a, 0x4798, 0xa7, 0x5e, 0x55, 0x85, 0xa7, 0xbf, 0x67,
                                         0xcc);
        const struct ovmf_entry *e = ovmf_find_entry(&o, guid);
        size_t md = len - get_n(e->data, 4, false);
        add_words(m, md, md + 16 + 12 * o.n_sections);
        add_cut(m, md);
        for (size_t i = 0; i <= o.n_sections; i++)
            add_cut(m, md + 16 + 12 * i);
    }
    m->flip_lo = len > 4096 ? len - 4096 : 0;
    m->flips = 1500;
    ovmf_free(&o);
}

static void ovmf_suite(const char *rel, struct tally *t)
{
    _cleanup_free_ uint8_t *buf = NULL;
    size_t len;
    read_ref(rel, &buf, &len);
    _cleanup_free_ char *kernel = NULL;
    static const uint8_t kbytes[] = "not really a kernel";
    CHECK(write_scratch("kernel", kbytes, sizeof(kbytes), &kernel) == 0);
    struct ovmf_ctx c = {rel, kernel, vcpu_sig(23, 1, 2)};
    struct mutset m = {0};
    ovmf_fields(rel, buf, len, &m);
    run_mutations(rel, buf, len, &m, consume_ovmf, &c, t);
    mutset_free(&m);
}

TEST(ovmf_mutations)
{
    struct tally t = {0};
    ovmf_suite("snp/ovmf_AmdSev_suffix.bin", &t);
    ovmf_suite("snp/ovmf_OvmfX64_suffix.bin", &t);
    report_tally("OVMF firmware", &t);
    CHECK(t.runs >= 2000 && t.errors > 0);
}

/* The SVSM image and the OVMF build beside it, measured in snp:svsm mode
 * (the SVSM image is read from a file, as the CLI reads it). */
struct svsm_ctx {
    const char *name;
    bool mutate_svsm;
    const uint8_t *other;
    size_t other_len;
};

static int consume_svsm(const uint8_t *buf, size_t len, void *vctx)
{
    struct svsm_ctx *c = vctx;
    bool small;
    int r = parse_small(c->name, buf, len, &small);
    if (r < 0 || !small)
        return r;
    _cleanup_free_ char *svsm = NULL;
    if ((r = write_scratch("svsm.bin", c->mutate_svsm ? buf : c->other, c->mutate_svsm ? len : c->other_len,
                           &svsm)) < 0)
        return r;
    struct measure_params p;
    measure_params_init(&p);
    p.mode = SEV_MODE_SNP_SVSM;
    p.vcpus = 2;
    p.vcpu_sig = vcpu_sig(23, 1, 2);
    p.ovmf_path = c->mutate_svsm ? "svsm_ovmf.fd" : c->name;
    p.ovmf_data = c->mutate_svsm ? c->other : buf;
    p.ovmf_size = c->mutate_svsm ? c->other_len : len;
    p.svsm_path = svsm;
    p.vars_size = 540672;
    uint8_t d[MEASURE_DIGEST_MAX];
    size_t dlen;
    r = measure_launch_digest(&p, d, &dlen);
    unlink(svsm);
    /* Errors about the SVSM file name its path: the caller looks for the
     * input's name, so report the path's basename as the same input. */
    if (r < 0 && c->mutate_svsm && strstr(err_msg(), svsm))
        err_set(r, "%s: %s", c->name, err_msg());
    return r;
}

TEST(svsm_mutations)
{
    _cleanup_free_ uint8_t *fw = NULL, *svsm = NULL;
    size_t fw_len, svsm_len;
    read_ref("snp/svsm_ovmf.fd", &fw, &fw_len);
    read_ref("snp/svsm.bin", &svsm, &svsm_len);
    struct tally t = {0};
    struct mutset m = {0};
    struct svsm_ctx c = {"snp/svsm_ovmf.fd", false, svsm, svsm_len};
    ovmf_fields(c.name, fw, fw_len, &m);
    m.flips = 100; /* 3.5 MiB hashed per run */
    m.stride = 3;
    run_mutations(c.name, fw, fw_len, &m, consume_svsm, &c, &t);
    mutset_free(&m);
    struct svsm_ctx s = {"snp/svsm.bin", true, fw, fw_len};
    ovmf_fields(s.name, svsm, svsm_len, &m);
    m.flips = 100;
    m.stride = 3;
    run_mutations(s.name, svsm, svsm_len, &m, consume_svsm, &s, &t);
    mutset_free(&m);
    report_tally("COCONUT-SVSM image and its OVMF", &t);
    CHECK(t.runs >= 400 && t.errors > 0);
}

/* --------------------------------------------------------------- IGVM --- */

struct igvm_ctx {
    const char *name;
    unsigned every_file; /* also through igvm_open() on every Nth mutant */
    unsigned n;
};

static int use_igvm(struct igvm_file *f)
{
    free(igvm_dump_text(f));
    json_decref(igvm_dump_json(f));
    if (igvm_page_estimate(f) > 8192)
        return 0;
    struct igvm_snp_result r;
    for (unsigned opts = 0; opts <= IGVM_NATIVE_ZERO; opts++) {
        int e = igvm_measure_snp(f, opts, &r);
        if (e < 0)
            return e;
        if (r.has_id_block) {
            bool valid;
            uint8_t kd[GCTX_LD_LEN];
            err_clear();
            /* An unusable key is not an error of the file's syntax: the CLI
             * warns with the file's name before the message; go on. */
            if (igvm_id_block_check(&r.id_block, r.policy, &valid, kd) < 0 && !message_ok(""))
                return err_set(-EINVAL, "%s: the ID block check failed without a one-line message", f->name);
        }
    }
    err_clear();
    return 0;
}

static int consume_igvm(const uint8_t *buf, size_t len, void *vctx)
{
    struct igvm_ctx *c = vctx;
    struct igvm_file f;
    /* The CRC would refuse almost every mutant: measure past it, and check
     * that the CRC itself refuses with the file named. */
    int r = igvm_parse(&f, c->name, buf, len, IGVM_NO_CHECKSUM);
    if (r < 0)
        return r;
    r = use_igvm(&f);
    igvm_close(&f);
    if (r < 0)
        return r;
    if (igvm_parse(&f, c->name, buf, len, 0) == 0)
        igvm_close(&f);
    else if (!message_ok(c->name))
        return -EINVAL;
    if (c->every_file && c->n++ % c->every_file == 0) {
        /* The file path: headers read with pread, data in windows. */
        _cleanup_free_ char *path = NULL;
        if ((r = write_scratch("f.igvm", buf, len, &path)) < 0)
            return r;
        r = igvm_open(&f, path, IGVM_NO_CHECKSUM);
        if (r == 0) {
            r = use_igvm(&f);
            igvm_close(&f);
        }
        unlink(path);
        if (r < 0 && strstr(err_msg(), path))
            return err_set(r, "%s (as a file): %s", c->name, err_msg());
        if (r < 0)
            return r;
    }
    return 0;
}

/* Every field of the fixed header and of each variable header (type,
 * length, every word of its body), cuts at every header and where file
 * data starts. */
static void igvm_fields(const char *name, const uint8_t *buf, size_t len, size_t max_headers, struct mutset *m)
{
    struct igvm_file f;
    if (igvm_parse(&f, name, buf, len, 0) < 0)
        FAIL_("%s: %s", name, err_msg());
    add_words(m, 0, f.format_version == 2 ? IGVM_FIXED_HEADER_V2_LEN : IGVM_FIXED_HEADER_V1_LEN);
    add_cut(m, 0);
    add_cut(m, IGVM_FIXED_HEADER_V1_LEN);
    add_cut(m, f.vh_offset);
    add_cut(m, (size_t)f.vh_offset + f.vh_size);
    /* Every type once in full, then a stride over the rest. */
    uint32_t seen[64];
    size_t nseen = 0, done = 0;
    for (size_t i = 0; i < f.n_headers; i++) {
        const struct igvm_header *h = &f.headers[i];
        bool first = true;
        for (size_t k = 0; k < nseen; k++)
            first &= seen[k] != h->type;
        if (first && nseen < ARRAY_SIZE(seen))
            seen[nseen++] = h->type;
        if (!first && (done >= max_headers || i % 7))
            continue;
        done++;
        add_field(m, h->offset, 4, false);
        add_field(m, h->offset + 4, 4, false);
        size_t body = h->offset + 8;
        add_words(m, body, body + h->length);
        for (size_t o = body; o + 8 <= body + h->length && o < body + 24; o += 8)
            add_field(m, o, 8, false);
        add_cut(m, h->offset);
        add_cut(m, body);
        if (h->file_offset)
            add_cut(m, h->file_offset);
    }
    m->flip_lo = 0;
    m->flip_hi = (size_t)f.vh_offset + f.vh_size;
    m->flips = 150;
    m->stride = 10;
    igvm_close(&f);
}

static void igvm_suite(const char *rel, size_t max_headers, struct tally *t)
{
    _cleanup_free_ uint8_t *buf = NULL;
    size_t len;
    read_ref(rel, &buf, &len);
    struct igvm_ctx c = {rel, 25, 0};
    struct mutset m = {0};
    igvm_fields(rel, buf, len, max_headers, &m);
    run_mutations(rel, buf, len, &m, consume_igvm, &c, t);
    mutset_free(&m);
}

TEST(igvm_mutations)
{
    struct tally t = {0};
    igvm_suite("igvm/out_x64.igvm", 24, &t);
    igvm_suite("igvm/out_elf_x64.igvm", 8, &t);
    igvm_suite("igvm/out_x64_noopt.igvm", 4, &t);
    igvm_suite("igvm/out_x86_defacpi.igvm", 4, &t);
    report_tally("IGVM files", &t);
    CHECK(t.runs >= 2000 && t.errors > 0);
}

/* ----------------------------------------------- reports and certificates --- */

#define MILAN_MEASUREMENT                                                                            \
    "7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f"

struct attest_ctx {
    const char *name;
    enum attest_role role;  /* the certificate being mutated, for cert runs */
    const uint8_t *report;  /* the report bytes (report runs mutate them) */
    X509 *ark, *ask, *vcek;
    const char *cert_file;  /* the mutant's scratch file name */
    bool pem;               /* cert runs: write the mutant as PEM text */
};

static bool text_ok(const char *s)
{
    if (!s)
        return true;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return false;
    return true;
}

static void check_line(const struct attest_check *c, void *ctx)
{
    bool *bad = ctx;
    if (!c->id || !text_ok(c->what) || !text_ok(c->expected) || !text_ok(c->actual))
        *bad = true;
}

/* Run every check of report verify; failed checks are a verdict, not an
 * error; a negative return is an error with the message set. */
static int verify_all(struct attest_ctx *c, const struct report *r, X509 *ark, X509 *ask, X509 *vcek,
                      const char *vcek_what)
{
    struct appraise_launch m = {.label = "--measurement"};
    hex_decode(MILAN_MEASUREMENT, m.digest, sizeof(m.digest));
    struct appraise_expect e = {.launches = &m, .n_launches = 1, .check_measurement = true,
                                .check_policy = true, .policy = APPRAISE_DEFAULT_POLICY, .policy_source = "release",
                                .check_vmpl = true, .check_svn = true, .svn_source = "release"};
    /* none given, and one: the others take the same paths (the JSON runs every one) */
    for (int g = REPORT_GEN_UNKNOWN; g <= REPORT_GEN_MILAN; g++) {
        struct attest_opts o = {.report = r, .ark = ark, .ask = ask, .vcek = vcek, .vcek_what = vcek_what,
                                .generation = (enum report_generation)g};
        bool bad = false;
        int n = appraise_report(&o, &e, check_line, &bad);
        if (bad)
            return err_set(-EINVAL, "%s: a check line holds control characters", c->name);
        if (n < 0)
            return n;
    }
    return 0;
}

static int consume_report(const uint8_t *buf, size_t len, void *vctx)
{
    struct attest_ctx *c = vctx;
    struct report r;
    int e = report_parse(buf, len, c->name, &r);
    if (e < 0)
        return e;
    for (int g = REPORT_GEN_UNKNOWN; g <= REPORT_GEN_MILAN_OR_GENOA; g++) {
        json_t *j = report_to_json(&r, (enum report_generation)g);
        char *s = j ? json_dumps(j, 0) : NULL;
        bool ok = s && text_ok(s);
        free(s);
        json_decref(j);
        if (!ok)
            return err_set(-EINVAL, "%s: no JSON, or JSON with control characters", c->name);
    }
    return verify_all(c, &r, c->ark, c->ask, c->vcek, "vcek_milan.der");
}

/* Names the cert files as the harness sees them: a message about the
 * scratch file names the mutated input. */
static int consume_cert(const uint8_t *buf, size_t len, void *vctx)
{
    struct attest_ctx *c = vctx;
    _cleanup_free_ char *path = NULL;
    int e;
    if (c->pem) {
        _cleanup_free_ char *b64 = NULL;
        /* buf is DER: PEM it by hand (OpenSSL would refuse to write most mutants) */
        BIO *mem = BIO_new(BIO_s_mem());
        PEM_write_bio(mem, "CERTIFICATE", "", buf, (long)len);
        char *p;
        long n = BIO_get_mem_data(mem, &p);
        e = write_scratch(c->cert_file, (const uint8_t *)p, (size_t)n, &path);
        BIO_free(mem);
    } else {
        e = write_scratch(c->cert_file, buf, len, &path);
    }
    if (e < 0)
        return e;
    X509 *x = attest_cert_load(path, c->role);
    if (!x) {
        e = strstr(err_msg(), path) ? err_set(-EINVAL, "%s: %s", c->name, err_msg()) : -EINVAL;
        unlink(path);
        return e;
    }
    unlink(path);
    struct report r;
    if (report_parse(c->report, REPORT_LEN, "report", &r) < 0)
        FAIL_("report: %s", err_msg());
    if (c->role == ATTEST_VCEK) {
        struct vcek_info v;
        struct report_tcb t;
        e = attest_vcek_info(x, c->name, &v);
        if (e == 0 && (e = attest_vcek_tcb(&v, &t)) < 0)
            e = v.generation == REPORT_GEN_UNKNOWN ? 0 : err_prefix(e, "%s", c->name); /* a verdict, as report verify says */
        if (e == 0 && !text_ok(v.product))
            e = err_set(-EINVAL, "%s: product name with control characters accepted", c->name);
        if (e == 0)
            e = verify_all(c, &r, c->ark, c->ask, x, c->name);
    } else {
        e = verify_all(c, &r, c->role == ATTEST_ARK ? x : c->ark, c->role == ATTEST_ASK ? x : c->ask, c->vcek,
                       "vcek_milan.der");
    }
    X509_free(x);
    return e;
}

/* DER: every TLV's tag and length (short and long form) as fields, its
 * start and end as cuts. */
static void der_walk(const uint8_t *der, size_t len, size_t off, size_t end, int depth, struct mutset *m)
{
    while (off + 2 <= end && depth < 16) {
        size_t start = off;
        uint8_t tag = der[off];
        add_field(m, off, 1, false);
        off++;
        size_t l = der[off], hl;
        add_field(m, off, 1, false);
        if (l & 0x80) {
            unsigned nb = l & 0x7f;
            if (nb == 0 || nb > 4 || off + 1 + nb > end)
                return;
            add_field(m, off + 1, nb <= 2 ? nb : 4, true);
            l = get_n(der + off + 1, nb, true);
            hl = 1 + nb;
        } else {
            hl = 1;
        }
        off += hl;
        if (l > end - off)
            return;
        add_cut(m, start);
        add_cut(m, off);
        add_cut(m, off + l);
        if (tag & 0x20) /* constructed */
            der_walk(der, len, off, off + l, depth + 1, m);
        else if (tag == 0x04 && l >= 2 && depth < 12) /* an OCTET STRING holding DER (extensions) */
            der_walk(der, len, off, off + l, depth + 1, m);
        off += l;
    }
}

static uint8_t *cert_der(const char *rel, size_t *len)
{
    X509 *x = attest_cert_load(ref_path(rel), strstr(rel, "vcek") ? ATTEST_VCEK
                                              : strstr(rel, "ark") ? ATTEST_ARK : ATTEST_ASK);
    if (!x)
        FAIL_("%s: %s", rel, err_msg());
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    X509_free(x);
    CHECK(n > 0);
    *len = (size_t)n;
    uint8_t *out = xmalloc(*len);
    memcpy(out, der, *len);
    OPENSSL_free(der);
    return out;
}

static void attest_load(struct attest_ctx *c, uint8_t report[REPORT_LEN])
{
    REQUIRE_REFERENCE();
    _cleanup_free_ char *text = NULL;
    CHECK(file_read_text(ref_path("attestation/report_milan.hex"), &text, 1 << 16) == 0);
    text[strcspn(text, "\r\n")] = 0;
    CHECK_EQ_INT(hex_decode(text, report, REPORT_LEN), REPORT_LEN);
    c->report = report;
    c->ark = attest_cert_load(ref_path("attestation/milan_ark.pem"), ATTEST_ARK);
    c->ask = attest_cert_load(ref_path("attestation/milan_ask.pem"), ATTEST_ASK);
    c->vcek = attest_cert_load(ref_path("attestation/vcek_milan.der"), ATTEST_VCEK);
    CHECK(c->ark && c->ask && c->vcek);
}

static void attest_unload(struct attest_ctx *c)
{
    X509_free(c->ark);
    X509_free(c->ask);
    X509_free(c->vcek);
}

TEST(report_mutations)
{
    uint8_t report[REPORT_LEN];
    struct attest_ctx c = {.name = "report_milan.bin"};
    attest_load(&c, report);
    struct tally t = {0};
    struct mutset m = {0};
    add_words(&m, 0, REPORT_LEN);
    for (size_t o = 0; o < 0x60; o++)
        add_field(&m, o, 1, false);
    for (size_t o = 0; o <= REPORT_LEN; o += 8)
        add_cut(&m, o);
    m.flips = 1000;
    m.stride = 2;
    run_mutations(c.name, report, REPORT_LEN, &m, consume_report, &c, &t);
    mutset_free(&m);
    /* and longer than a report */
    uint8_t longer[2 * REPORT_LEN];
    memcpy(longer, report, REPORT_LEN);
    memcpy(longer + REPORT_LEN, report, REPORT_LEN);
    run_one(c.name, "twice as long", longer, sizeof(longer), consume_report, &c, &t);
    run_one(c.name, "one byte longer", longer, REPORT_LEN + 1, consume_report, &c, &t);
    attest_unload(&c);
    report_tally("attestation report", &t);
    CHECK(t.runs >= 2000 && t.errors > 0);
}

static void cert_suite(struct attest_ctx *c, const char *rel, enum attest_role role, bool pem, size_t flips,
                       struct tally *t)
{
    size_t len;
    _cleanup_free_ uint8_t *der = cert_der(rel, &len);
    c->name = rel;
    c->role = role;
    c->pem = pem;
    c->cert_file = pem ? "cert.pem" : "cert.der";
    struct mutset m = {0};
    der_walk(der, len, 0, len, 0, &m);
    m.flips = flips;
    m.stride = 6;
    run_mutations(rel, der, len, &m, consume_cert, c, t);
    mutset_free(&m);
}

TEST(certificate_mutations)
{
    uint8_t report[REPORT_LEN];
    struct attest_ctx c = {0};
    attest_load(&c, report);
    struct tally t = {0};
    cert_suite(&c, "attestation/vcek_milan.der", ATTEST_VCEK, false, 1500, &t);
    cert_suite(&c, "attestation/vcek_turin.der", ATTEST_VCEK, false, 300, &t);
    cert_suite(&c, "attestation/milan_ask.pem", ATTEST_ASK, true, 300, &t);
    cert_suite(&c, "attestation/milan_ark.pem", ATTEST_ARK, true, 300, &t);
    attest_unload(&c);
    report_tally("AMD certificates (VCEK, ASK, ARK)", &t);
    CHECK(t.runs >= 3000 && t.errors > 0);
}

static int consume_chain(const uint8_t *buf, size_t len, void *vctx)
{
    struct attest_ctx *c = vctx;
    _cleanup_free_ char *path = NULL;
    int e = write_scratch("cert_chain", buf, len, &path);
    if (e < 0)
        return e;
    X509 *ask = NULL, *ark = NULL;
    e = attest_chain_load(path, &ask, &ark);
    unlink(path);
    if (e < 0)
        return strstr(err_msg(), path) ? err_set(e, "%s: %s", c->name, err_msg()) : e;
    struct report r;
    if (report_parse(c->report, REPORT_LEN, "report", &r) < 0)
        FAIL_("report: %s", err_msg());
    e = verify_all(c, &r, ark, ask, c->vcek, "vcek_milan.der");
    X509_free(ask);
    X509_free(ark);
    return e;
}

TEST(cert_chain_mutations)
{
    uint8_t report[REPORT_LEN];
    struct attest_ctx c = {.name = "attestation/cert_chain_milan"};
    attest_load(&c, report);
    _cleanup_free_ uint8_t *buf = NULL;
    size_t len;
    read_ref(c.name, &buf, &len);
    struct tally t = {0};
    struct mutset m = {0};
    for (size_t i = 0; i < len; i++)
        if (buf[i] == '\n' || buf[i] == '-')
            add_cut(&m, i + 1);
    m.flips = 700;
    run_mutations(c.name, buf, len, &m, consume_chain, &c, &t);
    mutset_free(&m);
    attest_unload(&c);
    report_tally("AMD cert_chain (PEM)", &t);
    CHECK(t.runs >= 1000 && t.errors > 0);
}

/* ------------------------------------------------ text: JSON and YAML --- */

/* Text mutations: cuts at every byte, each byte replaced by characters the
 * grammar cares about, and random flips. */
static void text_mutations(const char *name, const char *text, const char *specials, consume_fn fn,
                           struct tally *t)
{
    size_t len = strlen(text);
    struct mutset m = {0};
    for (size_t i = 0; i < len; i++)
        add_cut(&m, i);
    m.flips = 500;
    run_mutations(name, (const uint8_t *)text, len, &m, fn, NULL, t);
    mutset_free(&m);
    char *buf = xmalloc(len + 1);
    char desc[64];
    for (size_t i = 0; i < len; i += 3)
        for (const char *s = specials; *s; s++) {
            if (text[i] == *s)
                continue;
            memcpy(buf, text, len);
            buf[i] = *s;
            snprintf(desc, sizeof(desc), "byte %zu set to 0x%02x", i, (unsigned char)*s);
            run_one(name, desc, (const uint8_t *)buf, len, fn, NULL, t);
        }
    free(buf);
}

/* The release.json tests/release.bats writes, with one measurement and a
 * profile-built kernel's provenance. */
static const char release_json[] =
    "{\"artifacts\":[{\"name\":\"cmdline.txt\",\"sha256\":\"" "aa" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"size\":64},"
    "{\"name\":\"disk.img\",\"sha256\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\",\"size\":8388608},"
    "{\"name\":\"vmlinuz\",\"sha256\":\"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\",\"size\":6}],"
    "\"cmdline\":\"console=hvc0 root=/dev/dm-0\",\"epoch\":0,\"image\":\"disk.img\",\"kernel\":\"vmlinuz\","
    "\"kernel_provenance\":{\"config_inputs\":[{\"name\":\"profiles/demo.list\",\"sha256\":"
    "\"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd\"}],\"from\":\"profile\","
    "\"profile\":\"demo\",\"source\":\"linux-6.1\",\"source_sha256\":"
    "\"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\"},"
    "\"lock_sha256\":\"2222222222222222222222222222222222222222222222222222222222222222\","
    "\"manifest_sha256\":\"1111111111111111111111111111111111111111111111111111111111111111\","
    "\"measurements\":[{\"digest\":\"" "0123456789abcdef0123456789abcdef0123456789abcdef"
    "0123456789abcdef0123456789abcdef0123456789abcdef\",\"firmware_sha256\":"
    "\"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\",\"guest_features\":1,"
    "\"kernel_hashes\":true,\"mode\":\"snp\",\"vcpu_sig\":8390417,\"vcpu_type\":\"EPYC-v4\",\"vcpus\":1,"
    "\"vmm_type\":\"QEMU\"}],\"name\":\"t\",\"schema\":\"guestimg-release/1\",\"svn\":0,"
    "\"tool\":{\"name\":\"guestimg\",\"version\":\"0\"},\"verity\":{\"data_block_size\":4096,"
    "\"data_blocks\":2048,\"hash_block_size\":4096,\"hash_offset\":0,\"layout\":\"kata\",\"root_hash\":"
    "\"9999999999999999999999999999999999999999999999999999999999999999\",\"salt\":\"\"},\"version\":\"1\"}\n";

static int consume_release(const uint8_t *buf, size_t len, void *ctx)
{
    struct release r;
    int e = release_parse((const char *)buf, len, "release.json", &r);
    if (e < 0) {
        release_free(&r);
        return e;
    }
    /* what verify relies on: artifact names stay in the directory */
    for (size_t i = 0; i < r.nartifacts && e == 0; i++)
        if (!release_is_file_name(r.artifacts[i].name))
            e = err_set(-EINVAL, "release.json: artifact name '%s' accepted", r.artifacts[i].name);
    char *s = release_to_json(&r);
    struct release again;
    if (e == 0 && release_parse(s, strlen(s), "release.json (written again)", &again) < 0)
        e = err_set(-EINVAL, "release.json: what parsed does not parse again: %s", err_msg());
    else if (e == 0)
        release_free(&again);
    free(s);
    release_free(&r);
    return e;
}

TEST(release_json_mutations)
{
    struct release r;
    CHECK_EQ_INT(release_parse(release_json, strlen(release_json), "release.json", &r), 0);
    release_free(&r);
    struct tally t = {0};
    text_mutations("release.json", release_json, "\"{}[],:\\0-e.9/ \x7f\x01\xff", consume_release, &t);
    report_tally("release.json", &t);
    CHECK(t.runs >= 3000 && t.errors > 0);
}

static const char manifest_yaml[] =
    "name: hostile\n"
    "version: \"1.0\"\n"
    "epoch: 1735689600\n"
    "seed: 5b9e1f3c-7f52-4c1e-9a57-2f0c1b7d8e61\n"
    "repositories:\n"
    "  - {name: local, baseurl: 'file:///srv/repo', gpgcheck: false}\n"
    "packages: [systemd, ca-certificates]\n"
    "local-packages:\n"
    "  - {path: extra/tools.tar.gz, name: tools, version: '2.0'}\n"
    "directories: [{path: /run}, {path: /tmp, mode: '1777'}]\n"
    "files:\n"
    "  - {src: overlay/init, dst: /init, mode: \"0755\", owner: \"0:0\"}\n"
    "symlinks: [{path: /sbin/init, target: /usr/lib/systemd/systemd}]\n"
    "accounts:\n"
    "  groups: [{name: kata, gid: 1000}]\n"
    "  users:\n"
    "    - {name: kata, uid: 1000, gid: 1000, home: /run/kata, shell: /sbin/nologin, groups: [kata]}\n"
    "image: {layout: kata, size: 512M}\n"
    "kernel: {from: file, path: bzImage}\n"
    "measure:\n"
    "  firmware: {path: fw/OVMF.fd, sha256: 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff}\n"
    "  vcpus: 1-4\n"
    "  svn: 2\n";

static int consume_manifest(const uint8_t *buf, size_t len, void *ctx)
{
    struct manifest *m = manifest_parse((const char *)buf, len, "hostile.yaml", "/srv/manifests");
    if (!m)
        return -EINVAL;
    manifest_free(m);
    return 0;
}

TEST(manifest_mutations)
{
    struct manifest *m = manifest_parse(manifest_yaml, strlen(manifest_yaml), "hostile.yaml", "/srv");
    CHECK(m);
    manifest_free(m);
    struct tally t = {0};
    text_mutations("hostile.yaml", manifest_yaml, "&*:-[]{}!|>'\"#%@`\n\t ?,\\0\x01\xc3", consume_manifest, &t);
    report_tally("manifest", &t);
    CHECK(t.runs >= 3000 && t.errors > 0);
}

/* Control bytes from the input in a message (a newline in a YAML key, a
 * byte of JSON quoted in jansson's message) must be escaped by err_set():
 * the CLI's message is then one line. */
TEST(probe_messages_one_line)
{
    err_set(-EINVAL, "release.json: near '%s'", "\x01\n\x7f");
    CHECK(message_ok("release.json"));
}
