/* Linux direct boot into an IGVM file, as igvmgen lays it out (see
 * igvm_build.h and docs/igvm.md "Building"). Guest memory is built the way
 * igvmgen builds it: one buffer that grows from GPA 0 by allocations, with
 * "skipped" ranges that are neither measured nor stored; then every 4 KiB
 * page below the end becomes one directive, in GPA order. */
#include "measure/igvm_build.h"
#include "measure/ecdsa_det.h"
#include "measure/gctx.h"
#include "measure/igvm.h"
#include "common/le.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hash.h"
#include "common/hex.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define PG 4096u
#define ALN(x, a) (((x) + (a) - 1) / (a) * (a))

/* The built-in defaults, embedded from the tree at build time. */
__asm__(".section .rodata\n"
        ".balign 16\n"
        ".global igvm_default_acpi_pages\n"
        "igvm_default_acpi_pages:\n"
        ".incbin \"acpi-tables/default/pages.bin\"\n"
        ".global igvm_default_acpi_pages_end\n"
        "igvm_default_acpi_pages_end:\n"
        ".global igvm_default_acpi_gpas\n"
        "igvm_default_acpi_gpas:\n"
        ".incbin \"acpi-tables/default/pages.txt\"\n"
        ".byte 0\n"
        ".global igvm_snakeoil_pem\n"
        "igvm_snakeoil_pem:\n"
        ".incbin \"keys/igvm-snakeoil-id-key.pem\"\n"
        ".global igvm_snakeoil_pem_end\n"
        "igvm_snakeoil_pem_end:\n"
        ".previous\n");
extern const uint8_t igvm_default_acpi_pages[], igvm_default_acpi_pages_end[];
extern const char igvm_default_acpi_gpas[];
extern const char igvm_snakeoil_pem[], igvm_snakeoil_pem_end[];

/* Fixed addresses igvmgen uses. */
#define ACPI_RSDP_ADDR 0xe0000u
#define ACPI_DEFAULT_END 0x200000u
#define ACPI_XSDT_ADDR 0x100000u
#define SNP_CPUID_PAGE_ADDR 0x800000u
#define BIOS_END 0xa0000u
/* IGVMLinux2Generator (-inform bzImage2): the shared payload's place */
#define SHARED_PAYLOAD_GPA 0x10000000u
/* PAGE_DATA flag igvm-tooling calls GUEST_INVALID (the IGVM spec's bit 2,
 * IGVM_PAGE_SHARED in measure/igvm.h): such pages are in the file, but not
 * measured, and igvmgen makes no measurement step for them at all. */
#define PAGE_DATA_GUEST_INVALID IGVM_PAGE_SHARED
#define SNP_PAGE_GUEST_INVALID ((enum snp_page_type)0)
/* startup_32's needs beyond the decompressor image (head_64.S). */
#define BOOT_HEAP_SIZE 0x10000u
#define BOOT_STACK_SIZE 0x4000u
#define INIT_PGTABLE_SIZE (0x1000u + 0x6000u)
/* Largest guest image this builder lays out (igvmgen has no limit; the
 * layout is a flat buffer from GPA 0). */
#define MAX_GUEST_END (1ull << 32)

/* setup_header (at 0x1f1 in the bzImage and in boot_params) */
#define SH_OFF 0x1f1u
#define SH_LEN 123u
enum {
    SH_SETUP_SECTS = 0x00, SH_HEADER = 0x11, SH_VERSION = 0x15, SH_TYPE_OF_LOADER = 0x1f,
    SH_CODE32_START = 0x23, SH_RAMDISK_IMAGE = 0x27, SH_RAMDISK_SIZE = 0x2b, SH_CMD_LINE_PTR = 0x37,
    SH_XLOADFLAGS = 0x45, SH_CMDLINE_SIZE = 0x47, SH_PREF_ADDRESS = 0x67, SH_INIT_SIZE = 0x6f,
};
/* boot_params */
enum { BP_ACPI_RSDP = 0x70, BP_CC_BLOB = 0x13c, BP_E820_ENTRIES = 0x1e8, BP_E820_TABLE = 0x2d0 };
enum { E820_RAM = 1, E820_RESERVED = 2, E820_ACPI = 3 };
/* VMSA (vmcb_save_area) */
enum {
    VMSA_ES = 0x00, VMSA_CS = 0x10, VMSA_SS = 0x20, VMSA_DS = 0x30, VMSA_GDTR = 0x60, VMSA_TR = 0x90,
    VMSA_EFER = 0xd0, VMSA_CR4 = 0x148, VMSA_CR3 = 0x150, VMSA_CR0 = 0x158, VMSA_RFLAGS = 0x170,
    VMSA_RIP = 0x178, VMSA_RSP = 0x1d8, VMSA_G_PAT = 0x268, VMSA_RSI = 0x330, VMSA_SEV_FEATURES = 0x3b0,
    VMSA_XCR0 = 0x3e8, VMSA_LEN = 0x408,
};
#define EFER_SCE (1u << 0)
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)
#define EFER_NXE (1u << 11)
#define EFER_SVME (1u << 12)
#define CR0_PE 1u
#define CR0_PG (1u << 31)
#define CR4_PSE (1u << 4)
#define CR4_PAE (1u << 5)
#define PAT_RESET 0x0007040600070406ull
#define SEV_FEATURES (1u << 0 | 1u << 3) /* SNP active, restricted injection */
#define PTE_RW_U_P 0x7ull
#define PTE_PSE 0x80ull
#define PTE_ENCRYPTED (1ull << 51)

/* ---------------------------------------------------------------- memory */

struct range { uint64_t start, end; };

struct guest {
    uint8_t *mem;
    uint64_t len, cap;
    /* the kernel's whole pages, read from the bzImage where it lies (never
     * copied into mem): [kbase, kbase + klen) is ksrc */
    const uint8_t *ksrc;
    uint64_t kbase, klen;
    struct range *skipped;
    size_t n_skipped;
    /* the shared payload's pages: in the file, guest-invalid, not measured */
    uint64_t nv_start, nv_len;
    struct igvm_region *regions;
    size_t n_regions;
    int oom;
};

/* The guest's memory is one reservation of MAX_GUEST_END bytes of anonymous
 * zero pages, made on first use: the kernel maps a page only when it is
 * written, so the gaps igvmgen skips (and the zeros it measures) cost
 * neither time nor memory. */
static int grow(struct guest *g, uint64_t len)
{
    if (len > MAX_GUEST_END)
        return -E2BIG;
    if (!g->mem) {
        void *m = mmap(NULL, MAX_GUEST_END, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED)
            return -ENOMEM;
        g->mem = m, g->cap = MAX_GUEST_END;
    }
    g->len = len;
    return 0;
}

/* igvmgen's Memory.allocate(): align the end, extend by size. */
static int mem_alloc(struct guest *g, uint64_t size, uint64_t align, uint64_t *addr)
{
    uint64_t a = ALN(g->len, align);
    int rc = grow(g, a + size);
    if (rc == 0 && addr)
        *addr = a;
    return rc;
}

/* igvmgen's seek(): move the end forward to addr, the gap skipped. */
static int mem_seek(struct guest *g, uint64_t addr, const char *what)
{
    if (addr < g->len)
        return err_set(-EFBIG, "%s at %#llx overlaps what lies below it (up to %#llx)", what,
                       (unsigned long long)addr, (unsigned long long)g->len);
    if (addr > g->len) {
        struct range *r = realloc(g->skipped, (g->n_skipped + 1) * sizeof(*r));
        if (!r)
            return -ENOMEM;
        g->skipped = r;
        r[g->n_skipped++] = (struct range){g->len, addr};
        return grow(g, addr);
    }
    return 0;
}

/* The contents of the page at gpa. */
static const uint8_t *mem_page(const struct guest *g, uint64_t gpa)
{
    if (gpa - g->kbase < g->klen)
        return g->ksrc + (gpa - g->kbase);
    return g->mem + gpa;
}

static bool mem_skipped(const struct guest *g, uint64_t gpa)
{
    for (size_t i = 0; i < g->n_skipped; i++)
        if (gpa >= g->skipped[i].start && gpa < g->skipped[i].end)
            return true;
    return false;
}

static void region_add(struct guest *g, uint64_t gpa, uint64_t len, const char *what)
{
    struct igvm_region *r = realloc(g->regions, (g->n_regions + 1) * sizeof(*r));
    char *w = strdup(what);
    if (!r || !w) {
        free(w);
        if (r)
            g->regions = r;
        g->oom = 1;
        return;
    }
    g->regions = r;
    r[g->n_regions++] = (struct igvm_region){gpa, len, w};
}

/* ------------------------------------------------------------------ ACPI */

struct acpi {
    struct range span;     /* [start, end): igvmgen's start_addr/end_addr */
    struct { uint64_t gpa; const uint8_t *data; size_t len; } *chunks;
    size_t n_chunks;
    struct igvm_acpi_input *inputs;
    size_t n_inputs;
    uint8_t **owned;
    size_t n_owned;
};

static void acpi_free(struct acpi *a)
{
    for (size_t i = 0; i < a->n_owned; i++)
        free(a->owned[i]);
    free(a->owned);
    free(a->chunks);
    for (size_t i = 0; i < a->n_inputs; i++)
        free(a->inputs[i].name);
    free(a->inputs);
    memset(a, 0, sizeof(*a));
}

static int acpi_chunk(struct acpi *a, uint64_t gpa, const uint8_t *data, size_t len)
{
    void *c = realloc(a->chunks, (a->n_chunks + 1) * sizeof(*a->chunks));
    if (!c)
        return -ENOMEM;
    a->chunks = c;
    a->chunks[a->n_chunks].gpa = gpa;
    a->chunks[a->n_chunks].data = data;
    a->chunks[a->n_chunks].len = len;
    a->n_chunks++;
    return 0;
}

static int acpi_input(struct acpi *a, const char *name, const uint8_t *data, size_t len)
{
    void *p = realloc(a->inputs, (a->n_inputs + 1) * sizeof(*a->inputs));
    if (!p)
        return -ENOMEM;
    a->inputs = p;
    struct igvm_acpi_input *in = &a->inputs[a->n_inputs];
    if (!(in->name = strdup(name)))
        return -ENOMEM;
    sha256_buf(data, len, in->sha256);
    a->n_inputs++;
    return 0;
}

/* igvmgen without -acpi_dir: the pages of its acpi.zip, the ACPI range
 * ending at 0x200000. */
static int acpi_default(struct acpi *a)
{
    size_t n = (size_t)(igvm_default_acpi_pages_end - igvm_default_acpi_pages) / PG;
    const char *p = igvm_default_acpi_gpas;
    int rc;
    for (size_t i = 0; i < n; i++) {
        char *end;
        uint64_t gpa = strtoull(p, &end, 16);
        if (end == p)
            return err_set(-EINVAL, "built-in ACPI tables: page list too short");
        p = end;
        if ((rc = acpi_chunk(a, gpa, igvm_default_acpi_pages + i * PG, PG)))
            return rc;
    }
    a->span = (struct range){ACPI_RSDP_ADDR, ACPI_DEFAULT_END};
    return acpi_input(a, "igvmgen-default", igvm_default_acpi_pages, n * PG);
}

/* Tables igvmgen accepts, by signature ("RSD " for the RSDP). */
static const char *const sub_tables[] = {"DSDT", "FACS", "FACP", "OEM0", "APIC", "TPM2", "TCPA", "MCFG"};

static bool is_sub_table(const char *sig)
{
    for (size_t i = 0; i < sizeof(sub_tables) / sizeof(*sub_tables); i++)
        if (memcmp(sig, sub_tables[i], 4) == 0)
            return true;
    return false;
}

struct table { char sig[5], name[5]; char *file; uint8_t *data; size_t len; uint64_t gpa; };

static int table_cmp(const void *x, const void *y)
{
    return strcmp(((const struct table *)x)->name, ((const struct table *)y)->name);
}

static bool sum_ok(const uint8_t *d, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += d[i];
    return s == 0;
}

/* One compiled table: header length, checksum, signature. */
static int acpi_check_table(const char *file, struct table *t)
{
    if (t->len >= 8 && memcmp(t->data, "RSD PTR ", 8) == 0) {
        if (t->len < 36)
            return err_set(-EINVAL, "%s: RSDP is %zu bytes, 36 expected", file, t->len);
        if (!sum_ok(t->data, 20) || !sum_ok(t->data, 36))
            return err_set(-EINVAL, "%s: RSDP checksum is wrong", file);
        memcpy(t->sig, "RSD ", 5);
        memcpy(t->name, "RSD_", 5);
        return 0;
    }
    if (t->len < 36)
        return err_set(-EINVAL, "%s: %zu bytes is shorter than an ACPI table header", file, t->len);
    memcpy(t->sig, t->data, 4);
    t->sig[4] = 0;
    for (int i = 0; i < 4; i++)
        if (t->sig[i] < 0x20 || t->sig[i] > 0x7e)
            return err_set(-EINVAL, "%s: not a compiled ACPI table (no signature)", file);
    if (get_le32(t->data + 4) != t->len)
        return err_set(-EINVAL, "%s: header length %u, file is %zu bytes", file, get_le32(t->data + 4), t->len);
    /* the FACS has no checksum field */
    if (strcmp(t->sig, "FACS") != 0 && !sum_ok(t->data, t->len))
        return err_set(-EINVAL, "%s: table checksum is wrong", file);
    if (strcmp(t->sig, "XSDT") != 0 && !is_sub_table(t->sig))
        return err_set(-EINVAL, "%s: table %s is not one igvmgen places (XSDT, RSDP, %s)", file, t->sig,
                       "DSDT, FACS, FACP, OEM0, APIC, TPM2, TCPA, MCFG");
    memcpy(t->name, t->sig, 5);
    return 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *path_join(const char *dir, const char *name)
{
    char *s = NULL;
    if (asprintf(&s, "%s/%s", dir, name) < 0)
        return NULL;
    return s;
}

/* A directory of compiled tables (*.aml), placed as igvmgen places the
 * tables it compiles: RSDP at 0xe0000, XSDT at the RSDP's XSDT address,
 * the other tables one after another from XSDT + 0x1000 in the order of
 * their signatures. The tables must carry those addresses already (the FACP's
 * DSDT/FACS pointers, the XSDT's entries), as igvmgen's patched tables do;
 * they are checked, not patched. */
static int acpi_from_dir(struct acpi *a, const char *dir)
{
    DIR *d = opendir(dir);
    struct table *t = NULL;
    size_t n = 0;
    int rc = 0;
    if (!d)
        return err_sys(-errno, "%s", dir);
    struct dirent *e;
    char **names = NULL;
    size_t n_names = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.')
            continue;
        char **nn = realloc(names, (n_names + 1) * sizeof(*names));
        if (!nn || !(nn[n_names] = strdup(e->d_name))) {
            free(nn ? nn : names);
            closedir(d);
            return -ENOMEM;
        }
        names = nn, n_names++;
        (void)l;
    }
    closedir(d);
    if (n_names) /* an empty directory: NULL, which qsort may not take */
        qsort(names, n_names, sizeof(*names), name_cmp);
    for (size_t i = 0; i < n_names && rc == 0; i++) {
        const char *nm = names[i];
        size_t l = strlen(nm);
        char *path = path_join(dir, nm);
        if (!path) {
            rc = -ENOMEM;
            break;
        }
        if (l > 4 && strcmp(nm + l - 4, ".dsl") == 0) {
            char aml[4096];
            snprintf(aml, sizeof(aml), "%.*s.aml", (int)(l - 4), nm);
            bool has_aml = false;
            for (size_t j = 0; j < n_names; j++)
                has_aml |= strcmp(names[j], aml) == 0;
            if (!has_aml)
                rc = err_set(-EINVAL, "%s: ACPI source, not a compiled table: compile it with iasl and "
                             "give the .aml", path);
            free(path);
            continue;
        }
        if (l <= 4 || strcmp(nm + l - 4, ".aml") != 0) {
            free(path);
            continue;
        }
        void *nt = realloc(t, (n + 1) * sizeof(*t));
        if (!nt) {
            free(path);
            rc = -ENOMEM;
            break;
        }
        t = nt;
        memset(&t[n], 0, sizeof(*t));
        t[n].file = path;
        n++;
        if ((rc = file_read_all(path, &t[n - 1].data, &t[n - 1].len, 1u << 24)))
            break;
        if ((rc = acpi_check_table(path, &t[n - 1])))
            break;
        for (size_t j = 0; j + 1 < n; j++)
            if (strcmp(t[j].name, t[n - 1].name) == 0)
                rc = err_set(-EINVAL, "%s: a second %s table (the first is %s)", path, t[n - 1].sig, t[j].file);
    }
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    free(names);
    if (rc)
        goto out;
    if (n)
        qsort(t, n, sizeof(*t), table_cmp);
    struct table *rsdp = NULL, *xsdt = NULL, *facp = NULL, *dsdt = NULL, *facs = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(t[i].sig, "RSD "))
            rsdp = &t[i];
        else if (!strcmp(t[i].sig, "XSDT"))
            xsdt = &t[i];
        else if (!strcmp(t[i].sig, "FACP"))
            facp = &t[i];
        else if (!strcmp(t[i].sig, "DSDT"))
            dsdt = &t[i];
        else if (!strcmp(t[i].sig, "FACS"))
            facs = &t[i];
    }
    if (!rsdp || !xsdt || !facp || !dsdt || !facs) {
        rc = err_set(-EINVAL, "%s: an RSDP, XSDT, FACP, DSDT and FACS table are needed, %s is missing", dir,
                     !rsdp ? "RSDP" : !xsdt ? "XSDT" : !facp ? "FACP" : !dsdt ? "DSDT" : "FACS");
        goto out;
    }
    uint64_t xsdt_addr = get_le64(rsdp->data + 24);
    if (!xsdt_addr)
        xsdt_addr = ACPI_XSDT_ADDR;
    if (xsdt_addr % PG || xsdt_addr < ACPI_RSDP_ADDR + PG || xsdt_addr >= ACPI_DEFAULT_END) {
        rc = err_set(-EINVAL, "%s: XSDT address %#llx is outside igvmgen's ACPI range", rsdp->file,
                     (unsigned long long)xsdt_addr);
        goto out;
    }
    rsdp->gpa = ACPI_RSDP_ADDR;
    xsdt->gpa = xsdt_addr;
    uint64_t addr = xsdt_addr + PG;
    size_t n_sub = 0;
    for (size_t i = 0; i < n; i++)
        if (is_sub_table(t[i].sig)) {
            t[i].gpa = addr, addr += t[i].len;
            n_sub++;
        }
    /* The addresses the tables must name. */
    if (get_le32(facp->data + 36) != facs->gpa || get_le32(facp->data + 40) != dsdt->gpa) {
        rc = err_set(-EINVAL, "%s: FACS/DSDT addresses %#x/%#x are not where the layout puts them (%#llx/%#llx): "
                     "the tables must be compiled with the addresses filled in", facp->file,
                     get_le32(facp->data + 36), get_le32(facp->data + 40), (unsigned long long)facs->gpa,
                     (unsigned long long)dsdt->gpa);
        goto out;
    }
    size_t k = 36;
    for (size_t i = 0; i < n; i++) {
        static const char *const in_xsdt[] = {"FACP", "OEM0", "APIC", "TPM2", "TCPA", "MCFG"};
        bool listed = false;
        for (size_t j = 0; j < 6; j++)
            listed |= !memcmp(t[i].sig, in_xsdt[j], 4);
        if (!listed)
            continue;
        if (k + 8 > xsdt->len || get_le64(xsdt->data + k) != t[i].gpa) {
            rc = err_set(-EINVAL, "%s: entry %zu does not point at %s (%#llx), where the layout puts it", xsdt->file,
                         (k - 36) / 8, t[i].sig, (unsigned long long)t[i].gpa);
            goto out;
        }
        k += 8;
    }
    if (k != xsdt->len) {
        rc = err_set(-EINVAL, "%s: %zu entries, %zu tables to list", xsdt->file, (xsdt->len - 36) / 8, (k - 36) / 8);
        goto out;
    }
    /* The range igvmgen's convert2pages() covers: its first page to the page
     * after the last one it touched (one more when the last table ends on a
     * page boundary). */
    uint64_t last = addr;
    a->span.start = ACPI_RSDP_ADDR;
    a->span.end = (last / PG) * PG + PG;
    if (a->span.end > SNP_CPUID_PAGE_ADDR) {
        rc = err_set(-EFBIG, "%s: the ACPI tables end at %#llx, past the CPUID page at %#x", dir,
                     (unsigned long long)last, SNP_CPUID_PAGE_ADDR);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if ((rc = acpi_chunk(a, t[i].gpa, t[i].data, t[i].len)))
            goto out;
        uint8_t **o = realloc(a->owned, (a->n_owned + 1) * sizeof(*o));
        if (!o) {
            rc = -ENOMEM;
            goto out;
        }
        a->owned = o;
        a->owned[a->n_owned++] = t[i].data;
        t[i].data = NULL;
        const char *base = strrchr(t[i].file, '/');
        if ((rc = acpi_input(a, base ? base + 1 : t[i].file, a->owned[a->n_owned - 1], t[i].len)))
            goto out;
    }
    (void)n_sub;
out:
    for (size_t i = 0; i < n; i++) {
        free(t[i].file);
        free(t[i].data);
    }
    free(t);
    if (rc == -ENOMEM)
        err_set(rc, "%s: out of memory", dir);
    return rc;
}

/* --------------------------------------------------------------- kernel */

struct bzimage {
    const uint8_t *data;
    size_t len;
    const uint8_t *hdr;          /* setup header, at 0x1f1 */
    uint64_t pref_address, init_size;
    size_t pm_off;               /* protected-mode kernel: after the setup sectors */
};

static int bzimage_parse(const char *path, const uint8_t *data, size_t len, struct bzimage *b)
{
    b->data = data, b->len = len;
    if (len < SH_OFF + SH_LEN || memcmp(data + SH_OFF + SH_HEADER, "HdrS", 4) != 0) {
        if (len >= 4 && memcmp(data, "\x7f" "ELF", 4) == 0)
            return err_set(-EINVAL,
                           "%s: an ELF kernel (vmlinux): igvm build takes a bzImage "
                           "(igvmgen's ELF input is a security-monitor layout, not a Linux loader)",
                           path);
        return err_set(-EINVAL, "%s: not a bzImage (no HdrS setup header)", path);
    }
    b->hdr = data + SH_OFF;
    uint16_t version = get_le16(b->hdr + SH_VERSION);
    /* xloadflags (2.12) tells whether there is a 64-bit entry point, and
     * igvmgen relies on pref_address and init_size (2.10). */
    if (version < 0x020c)
        return err_set(-EINVAL, "%s: boot protocol %u.%02u is too old (2.12 or later needed)", path,
                       version >> 8, version & 0xff);
    b->pref_address = get_le64(b->hdr + SH_PREF_ADDRESS);
    b->init_size = get_le32(b->hdr + SH_INIT_SIZE);
    if (b->pref_address <= 3u << 20)
        return err_set(-EINVAL, "%s: preferred load address %#llx is below 3 MiB", path,
                       (unsigned long long)b->pref_address);
    if (!(b->hdr[SH_XLOADFLAGS] & 1))
        return err_set(-EINVAL, "%s: no 64-bit entry point (xloadflags bit 0 clear)", path);
    if (b->pref_address % PG || b->init_size % PG)
        return err_set(-EINVAL, "%s: preferred address %#llx or init_size %#llx is not page-aligned", path,
                       (unsigned long long)b->pref_address, (unsigned long long)b->init_size);
    b->pm_off = ((size_t)b->hdr[SH_SETUP_SECTS] + 1) * 512;
    /* A header-only image (igvm-tooling's test bzImage) loads an empty
     * kernel, as igvmgen's slice does. */
    if (b->pm_off > len)
        b->pm_off = len;
    return 0;
}

/* --------------------------------------------------------------- CPU state */

struct cpu {
    uint8_t vmsa[VMSA_LEN];
    bool long_mode;
};

static void seg_put(uint8_t *seg, uint16_t sel, uint16_t attrib, uint32_t limit, uint64_t base)
{
    put_le16(seg, sel);
    put_le16(seg + 2, attrib);
    put_le32(seg + 4, limit);
    put_le64(seg + 8, base);
}

/* A GDT descriptor as igvmgen's GdtEntry writes it; the attribute word is
 * what load_seg() derives from it. */
static void gdt_desc(uint8_t d[8], uint32_t base, uint32_t limit, unsigned type, unsigned s, unsigned dpl,
                     unsigned p, unsigned l, unsigned db, unsigned gran, uint16_t *attrib)
{
    put_le16(d, (uint16_t)limit);
    put_le16(d + 2, (uint16_t)base);
    d[4] = (uint8_t)(base >> 16);
    d[5] = (uint8_t)(type | s << 4 | dpl << 5 | p << 7);
    d[6] = (uint8_t)(((limit >> 16) & 0xf) | l << 5 | db << 6 | gran << 7);
    d[7] = (uint8_t)(base >> 24);
    if (attrib)
        *attrib = (uint16_t)(type | s << 4 | dpl << 5 | p << 7 | l << 9 | db << 10 | gran << 11);
}

static int setup_paging(struct guest *g, struct cpu *c, bool encrypted)
{
    if (!c->long_mode)
        return 0;
    uint64_t pgd, pud, enc = encrypted ? PTE_ENCRYPTED : 0;
    int rc;
    if ((rc = mem_alloc(g, PG, PG, &pgd)) || (rc = mem_alloc(g, PG, PG, &pud)))
        return rc;
    /* 2-level identity map: one PGD entry, 512 1-GiB PUD entries. */
    put_le64(g->mem + pgd, pud | PTE_RW_U_P | enc);
    for (uint64_t i = 0; i < 512; i++)
        put_le64(g->mem + pud + 8 * i, (i << 30) | enc | PTE_RW_U_P | PTE_PSE);
    region_add(g, pgd, 2 * PG, "page tables");
    put_le64(c->vmsa + VMSA_CR3, pgd | enc);
    put_le64(c->vmsa + VMSA_CR0, get_le64(c->vmsa + VMSA_CR0) | CR0_PG);
    put_le64(c->vmsa + VMSA_CR4, get_le64(c->vmsa + VMSA_CR4) | CR4_PSE | CR4_PAE);
    return 0;
}

static int setup_gdt(struct guest *g, struct cpu *c)
{
    enum { CODE = 0xb, DATA = 0x3, TSS_LEN = 104 };
    unsigned lm = c->long_mode;
    uint64_t tss, gdt;
    size_t gdt_len = 5 * 8 + (lm ? 16 : 8);
    uint16_t a_cs, a_ds, a_tr;
    int rc;
    if ((rc = mem_alloc(g, TSS_LEN, 1, &tss)) || (rc = mem_alloc(g, gdt_len, 1, &gdt)))
        return rc;
    if (tss >> 32)
        return err_set(-EFBIG, "GDT above 4 GiB");
    uint8_t *d = g->mem + gdt;
    memset(d, 0, gdt_len);
    gdt_desc(d + 8, 0, 0xffffffff, CODE, 1, 0, 1, lm, 1 - lm, 1, &a_cs);
    gdt_desc(d + 16, 0, 0xffffffff, CODE, 1, 3, 1, lm, 1 - lm, 1, NULL);
    gdt_desc(d + 24, 0, 0xffffffff, DATA, 1, 0, 1, 0, 1, 1, &a_ds);
    gdt_desc(d + 32, 0, 0xffffffff, DATA, 1, 3, 1, 0, 1, 1, NULL);
    /* the TSS descriptor: igvmgen's "~NOT_TSS" is 0 in the one-bit S field */
    gdt_desc(d + 40, (uint32_t)tss, TSS_LEN - 1, CODE, 0, 0, 1, 0, 0, 0, &a_tr);
    region_add(g, tss, TSS_LEN + gdt_len, "gdt");
    seg_put(c->vmsa + VMSA_GDTR, 0, 0, (uint32_t)gdt_len - 1, gdt);
    seg_put(c->vmsa + VMSA_CS, 0x8, a_cs, 0xffffffff, 0);
    seg_put(c->vmsa + VMSA_DS, 0x18, a_ds, 0xffffffff, 0);
    seg_put(c->vmsa + VMSA_ES, 0x18, a_ds, 0xffffffff, 0);
    seg_put(c->vmsa + VMSA_SS, 0x18, a_ds, 0xffffffff, 0);
    seg_put(c->vmsa + VMSA_TR, 0x28, a_tr, TSS_LEN - 1, tss);
    return 0;
}

/* The CPUID page igvmgen writes: the leaves it asks the PSP to fill, inputs
 * only (HV_PSP_CPUID_PAGE). */
static void cpuid_page(uint8_t *p)
{
    static const uint32_t leaves[][2] = {
        {0x8000001f, 0}, {0, 0}, {1, 0}, {0x80000000, 0}, {2, 0}, {5, 0}, {6, 0}, {9, 0}, {0xa, 0}, {7, 0},
        {4, 0}, {4, 1}, {4, 2}, {0xb, 0}, {0xb, 1}, {0x80000001, 0}, {0x80000005, 0}, {0x80000006, 0},
        {0x80000007, 0}, {0x80000008, 0}, {0x8000000a, 0}, {0x8000001e, 0}, {0xd, 0}, {0xd, 1}, {0xd, 2},
        {0xd, 3}, {0xd, 4}, {0xd, 5}, {0xd, 6}, {0xd, 7}, {0xd, 8}, {0x80000002, 0}, {0x80000003, 0},
        {0x80000004, 0}, {0x8000001d, 0}, {0x8000001d, 1}, {0x8000001d, 2}, {0x8000001d, 3},
    };
    size_t n = sizeof(leaves) / sizeof(*leaves);
    put_le32(p, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        uint8_t *l = p + 16 + 48 * i;
        put_le32(l, leaves[i][0]);
        put_le32(l + 4, leaves[i][1]);
        if (leaves[i][0] == 0xd)
            put_le64(l + 8, 1); /* XfemIn */
    }
}

/* --------------------------------------------------------- IGVM headers */

struct vh {
    uint8_t *buf;
    size_t len, cap;
    int oom;
    struct gctx gc;
    /* every page below the end that is not skipped, in GPA order: how it is
     * measured, and where its file offset goes if the file carries it */
    struct vh_page { uint64_t gpa; const uint8_t *src; size_t fo_off; enum snp_page_type type; } *pages;
    size_t n_pages, cap_pages;
};

static uint8_t *vh_add(struct vh *v, uint32_t type, uint32_t body_len)
{
    size_t need = v->len + 8 + ALN(body_len, 8);
    if (need > v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 1u << 16;
        while (cap < need)
            cap *= 2;
        uint8_t *b = realloc(v->buf, cap);
        if (!b) {
            v->oom = 1;
            return NULL;
        }
        v->buf = b, v->cap = cap;
    }
    uint8_t *h = v->buf + v->len;
    put_le32(h, type);
    put_le32(h + 4, body_len);
    memset(h + 8, 0, body_len);
    /* igvmgen pads each structure to 8 bytes with ASCII '0' */
    memset(h + 8 + body_len, '0', ALN(body_len, 8) - body_len);
    v->len = need;
    return h + 8;
}

/* A page of the measurement; fo_field (NULL: not in the file) is the
 * header's file offset field, src its contents (NULL: zeros). */
static void vh_page(struct vh *v, uint8_t *fo_field, uint64_t gpa, const uint8_t *src, enum snp_page_type type)
{
    if (v->n_pages == v->cap_pages) {
        size_t cap = v->cap_pages ? 2 * v->cap_pages : 4096;
        void *d = realloc(v->pages, cap * sizeof(*v->pages));
        if (!d) {
            v->oom = 1;
            return;
        }
        v->pages = d, v->cap_pages = cap;
    }
    v->pages[v->n_pages++] = (struct vh_page){gpa, src, fo_field ? (size_t)(fo_field - v->buf) : 0, type};
}

/* A PAGE_DATA header; src: the page's contents if the file carries them. */
static void vh_page_data(struct vh *v, uint64_t gpa, const uint8_t *src, uint16_t data_type,
                         enum snp_page_type type)
{
    uint8_t *b = vh_add(v, IGVM_PAGE_DATA, 24);
    if (!b)
        return;
    put_le64(b, gpa);
    put_le32(b + 8, 1);
    put_le32(b + 12, src != NULL);
    put_le16(b + 20, data_type);
    if (type == SNP_PAGE_GUEST_INVALID)
        put_le32(b + 16, PAGE_DATA_GUEST_INVALID);
    vh_page(v, src ? b + 12 : NULL, gpa, src, type);
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* ------------------------------------------------------------------ build */

void igvm_build_params_init(struct igvm_build_params *p)
{
    memset(p, 0, sizeof(*p));
    p->boot_mode = IGVM_BOOT_X86;
    p->vtl = 2;
    p->svme = p->encrypted_page = p->pvalidate_opt = true;
    id_block_params_init(&p->id);
    /* igvmgen's TEIConfig defaults */
    p->id.version = 1;
    p->id.guest_svn = 2;
    p->id.family_id[0] = 1;
    p->id.image_id[0] = 2;
    p->id.policy = 0x3001f;
}

EVP_PKEY *igvm_snakeoil_key(void)
{
    BIO *b = BIO_new_mem_buf(igvm_snakeoil_pem, (int)(igvm_snakeoil_pem_end - igvm_snakeoil_pem));
    EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (!k) {
        ERR_clear_error();
        err_set(-EINVAL, "built-in snakeoil ID key: unreadable");
    }
    return k;
}

static int e820_put(uint8_t *bp, unsigned i, uint64_t addr, uint64_t size, uint32_t type)
{
    if (i >= 128)
        return err_set(-E2BIG, "more than 128 e820 entries");
    uint8_t *e = bp + BP_E820_TABLE + 20 * i;
    put_le64(e, addr);
    put_le64(e + 8, size);
    put_le32(e + 16, type);
    return 0;
}

/* The ramdisk and the shared payload, as build() read them. */
struct extras {
    const char *rd_name, *sp_name;
    const uint8_t *rd, *sp;
    size_t rd_len, sp_len;
};

/* The guest memory and VMSA for a bzImage, as IGVMLinuxGenerator builds them. */
static int layout_bzimage(const struct igvm_build_params *p, const struct bzimage *bz, const struct acpi *acpi,
                          const struct extras *x, struct guest *g, struct cpu *c, uint64_t pages[4])
{
    const char *kp = p->kernel_path;
    uint64_t base = bz->pref_address, init_size = bz->init_size;
    size_t vmlinux_len = bz->len - bz->pm_off;
    uint64_t vmlinux_size = ALN((uint64_t)vmlinux_len, PG);
    struct range extra[8];
    size_t n_extra = 0;
    int rc;

    /* ACPI: igvmgen validates all memory below the tables when pvalidate_opt
     * is off, from the BIOS hole's end when it is on. */
    if (!p->pvalidate_opt) {
        if ((rc = mem_alloc(g, acpi->span.end, 1, NULL)))
            return rc;
    } else {
        if ((rc = mem_seek(g, BIOS_END, "ACPI")) || (rc = mem_alloc(g, acpi->span.end - BIOS_END, 1, NULL)))
            return rc;
    }
    for (size_t i = 0; i < acpi->n_chunks; i++)
        memcpy(g->mem + acpi->chunks[i].gpa, acpi->chunks[i].data, acpi->chunks[i].len);
    region_add(g, acpi->span.start, acpi->span.end - acpi->span.start, "acpi");

    /* CPUID, secrets, parameter and VMSA pages at 8 MiB */
    if ((rc = mem_seek(g, SNP_CPUID_PAGE_ADDR, "CPUID page")))
        return rc;
    for (int i = 0; i < 4; i++)
        if ((rc = mem_alloc(g, PG, 1, &pages[i])))
            return rc;
    region_add(g, pages[0], PG, "cpuid");
    region_add(g, pages[1], PG, "secrets");
    region_add(g, pages[2], PG, "parameters");
    region_add(g, pages[3], PG, "vmsa");

    /* the kernel */
    if ((rc = mem_seek(g, base, kp)) < 0)
        return err_prefix(rc, "%s: kernel load address", kp);
    if (p->pvalidate_opt) {
        /* only the image, startup_32's boot stack and its early page tables */
        if ((rc = mem_alloc(g, vmlinux_size, 1, NULL)))
            return rc;
        extra[n_extra++] = (struct range){vmlinux_size + BOOT_HEAP_SIZE, BOOT_STACK_SIZE};
        if (init_size < INIT_PGTABLE_SIZE)
            return err_set(-EINVAL, "%s: init_size %#llx is smaller than the boot page tables", kp,
                           (unsigned long long)init_size);
        extra[n_extra++] = (struct range){init_size - INIT_PGTABLE_SIZE, INIT_PGTABLE_SIZE};
        if (extra[1].start < extra[0].start) {
            struct range t = extra[0];
            extra[0] = extra[1], extra[1] = t;
        }
        for (size_t i = 0; i < n_extra; i++) {
            if (base + extra[i].start < g->len)
                return err_set(-EFBIG, "%s: the kernel (%zu bytes) is too big for its init_size %#llx", kp,
                               vmlinux_len, (unsigned long long)init_size);
            if ((rc = mem_seek(g, base + extra[i].start, kp)) ||
                (rc = mem_alloc(g, extra[i].end, 1, NULL)))
                return rc;
            extra[i].start += base;
        }
    } else if ((rc = mem_alloc(g, init_size, 1, NULL)))
        return rc;
    if (base + vmlinux_len > g->len || base + init_size < g->len)
        return err_set(-EFBIG, "%s: the kernel (%zu bytes) is too big for its init_size %#llx", kp, vmlinux_len,
                       (unsigned long long)init_size);
    /* whole pages stay in the bzImage; the last part page is copied, the
     * rest of it zeros */
    g->ksrc = bz->data + bz->pm_off, g->kbase = base, g->klen = vmlinux_len / PG * PG;
    memcpy(g->mem + base + g->klen, g->ksrc + g->klen, vmlinux_len - g->klen);
    region_add(g, base, vmlinux_len, "kernel");
    if ((rc = mem_seek(g, base + init_size, kp)))
        return rc;
    uint64_t entry = base + (c->long_mode ? 0x200 : 0);

    /* after the kernel: page tables, GDT, boot_params, cmdline, stack, CC blob */
    uint64_t after = g->len, bp, cl, rd, stack, cc, end;
    if ((rc = setup_paging(g, c, p->encrypted_page)) || (rc = setup_gdt(g, c)))
        return rc;
    if ((rc = mem_alloc(g, PG, 1, &bp)) || (rc = mem_alloc(g, p->cmdline_len + 1, 1, &cl)))
        return rc;
    /* the ramdisk (igvmgen -rdinit) page-aligned after the command line,
     * then the boot stack and the CC blob page */
    if (x->rd && ALN(g->len, PG) + ALN((uint64_t)x->rd_len, PG) + 2 * PG >= MAX_GUEST_END)
        return err_set(-EFBIG, "%s: the ramdisk (%zu bytes) does not fit the guest layout below 4 GiB (from %#llx)",
                       x->rd_name, x->rd_len, (unsigned long long)ALN(g->len, PG));
    if ((rc = mem_alloc(g, x->rd_len, PG, &rd)) || (rc = mem_alloc(g, PG, 1, &stack)) ||
        (rc = mem_alloc(g, PG, 1, &cc)) || (rc = mem_alloc(g, 0, PG, &end)))
        return rc;
    if (end >> 32)
        return err_set(-EFBIG, "%s: the layout ends at %#llx, above 4 GiB", kp, (unsigned long long)end);
    region_add(g, bp, PG, "boot_params");
    region_add(g, cl, p->cmdline_len + 1, "cmdline");
    if (x->rd_len) {
        region_add(g, rd, x->rd_len, "rdinit");
        memcpy(g->mem + rd, x->rd, x->rd_len);
    }
    region_add(g, stack, PG, "boot stack");
    region_add(g, cc, PG, "cc_blob");
    memcpy(g->mem + cl, p->cmdline, p->cmdline_len);
    uint8_t *b = g->mem + bp, *h = b + SH_OFF;
    memcpy(h, bz->hdr, SH_LEN);
    put_le32(h + SH_CODE32_START, (uint32_t)entry);
    h[SH_TYPE_OF_LOADER] = 0xff;
    put_le32(h + SH_CMD_LINE_PTR, (uint32_t)cl);
    put_le32(h + SH_CMDLINE_SIZE, (uint32_t)p->cmdline_len);
    put_le32(h + SH_RAMDISK_IMAGE, (uint32_t)rd);
    put_le32(h + SH_RAMDISK_SIZE, (uint32_t)x->rd_len);
    put_le64(b + BP_ACPI_RSDP, ACPI_RSDP_ADDR);
    put_le32(b + BP_CC_BLOB, (uint32_t)cc);
    uint8_t *blob = g->mem + cc;
    put_le32(blob, 0x45444d41); /* "AMDE" */
    put_le64(blob + 8, pages[1]);
    put_le32(blob + 16, PG);
    put_le64(blob + 24, pages[0]);
    put_le32(blob + 32, PG);

    /* e820: what the guest may use without validating it first */
    unsigned ne = 0;
    if ((rc = e820_put(b, ne++, 0, p->pvalidate_opt ? 0 : 0xa0000, E820_RAM)) ||
        (rc = e820_put(b, ne++, 0xa0000, 0x100000 - 0xa0000, E820_RESERVED)) ||
        (rc = e820_put(b, ne++, 0x100000, acpi->span.end - 0x100000, E820_ACPI)))
        return rc;
    if (!p->pvalidate_opt) {
        if ((rc = e820_put(b, ne++, base, end - base, E820_RAM)))
            return rc;
    } else {
        if ((rc = e820_put(b, ne++, base, vmlinux_size, E820_RAM)))
            return rc;
        for (size_t i = 0; i < n_extra; i++)
            if ((rc = e820_put(b, ne++, extra[i].start, extra[i].end, E820_RAM)))
                return rc;
        if ((rc = e820_put(b, ne++, after, end - after, E820_RAM)))
            return rc;
    }
    b[BP_E820_ENTRIES] = (uint8_t)ne;

    put_le64(c->vmsa + VMSA_RIP, entry);
    put_le64(c->vmsa + VMSA_RSI, bp);
    put_le64(c->vmsa + VMSA_RSP, stack + PG);
    put_le64(c->vmsa + VMSA_RFLAGS, 2); /* igvmgen's default -arch Intel */

    /* IGVMLinux2Generator: the shared payload at 256 MiB, the gap from the
     * end of the layout skipped (neither in the file nor measured) */
    if (x->sp) {
        if (SHARED_PAYLOAD_GPA + (uint64_t)x->sp_len > MAX_GUEST_END)
            return err_set(-EFBIG, "%s: the shared payload (%zu bytes) at %#x does not fit below 4 GiB", x->sp_name,
                           x->sp_len, SHARED_PAYLOAD_GPA);
        if ((rc = mem_seek(g, SHARED_PAYLOAD_GPA, x->sp_name)) || (rc = mem_alloc(g, x->sp_len, 1, NULL)))
            return rc;
        memcpy(g->mem + SHARED_PAYLOAD_GPA, x->sp, x->sp_len);
        g->nv_start = SHARED_PAYLOAD_GPA, g->nv_len = x->sp_len;
        if (x->sp_len)
            region_add(g, SHARED_PAYLOAD_GPA, x->sp_len, "shared_payload");
    }
    return 0;
}

/* A ramdisk or payload file: a regular file that can fit below 4 GiB at
 * from (the layout's end is checked later), read whole. */
static int extra_load(const char *path, const char *what, uint64_t from, uint8_t **data, size_t *len)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return err_sys(-errno, "%s: cannot open", path);
    if (!S_ISREG(st.st_mode))
        return err_set(-EINVAL, "%s: not a regular file", path);
    if ((uint64_t)st.st_size > MAX_GUEST_END - from)
        return err_set(-EFBIG, "%s: the %s (%llu bytes) at %#llx does not fit below 4 GiB", path, what,
                       (unsigned long long)st.st_size, (unsigned long long)from);
    return file_read_all(path, data, len, (size_t)(MAX_GUEST_END - from));
}

static int sign_id_block(const struct igvm_build_params *p, const uint8_t ld[48], uint8_t *ib,
                         uint8_t key_digest[48])
{
    EVP_PKEY *key = p->sign_key ? p->sign_key : igvm_snakeoil_key();
    uint8_t block[ID_BLOCK_LEN], r[48], s[48], pub[ID_KEY_LEN];
    int rc;
    if (!key)
        return -EINVAL;
    id_block_build(ld, &p->id, block);
    if ((rc = id_key_public(key, pub)) || (rc = id_key_digest(key, key_digest)) ||
        (rc = ecdsa_p384_sign_det(key, block, sizeof(block), r, s)))
        goto out;
    /* IGVM_VHS_SNP_ID_BLOCK */
    put_le32(ib, 1);
    memcpy(ib + 8, ld, 48);
    memcpy(ib + 56, p->id.family_id, 16);
    memcpy(ib + 72, p->id.image_id, 16);
    put_le32(ib + 88, p->id.version);
    put_le32(ib + 92, p->id.guest_svn);
    put_le32(ib + 96, 1); /* ECDSA P-384 with SHA-384 */
    for (int i = 0; i < 48; i++) {
        ib[104 + i] = r[47 - i];
        ib[104 + 72 + i] = s[47 - i];
    }
    /* IGVM_VHS_SNP_ID_BLOCK_PUBLIC_KEY: curve, a reserved word, Qx, Qy
     * (the firmware's layout has no reserved word before Qx) */
    put_le32(ib + 248, get_le32(pub));
    memcpy(ib + 256, pub + 4, 2 * SNP_SIG_FIELD_LEN);
out:
    if (key != p->sign_key)
        EVP_PKEY_free(key);
    return rc;
}

/* Where the file's bytes go: fd (the data pages written as they are hashed,
 * SINK_PAGES at a time, in one iovec per run of adjacent pages, their
 * write-back started at once so that the disk works while we hash), or one
 * buffer. */
#define SINK_PAGES 256
#define SINK_IOV 64
struct sink {
    int fd;
    uint8_t *mem;                /* fd < 0: the file */
    uint64_t at;                 /* file offset of the first page pending */
    struct iovec iov[SINK_IOV];
    int n, pages;
};

/* writev at off, all of it; -errno (no message: it may run on a worker
 * thread, the caller names the file). */
static int pwritev_all(int fd, struct iovec *iov, int n, uint64_t off)
{
    while (n) {
        ssize_t w = pwritev(fd, iov, n, (off_t)off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        off += (uint64_t)w;
        for (; n && (size_t)w >= iov->iov_len; iov++, n--)
            w -= (ssize_t)iov->iov_len;
        if (n)
            iov->iov_base = (uint8_t *)iov->iov_base + w, iov->iov_len -= (size_t)w;
    }
    return 0;
}

static int sink_flush(struct sink *s)
{
    if (!s->pages)
        return 0;
    uint64_t len = (uint64_t)s->pages * PG;
    int rc = pwritev_all(s->fd, s->iov, s->n, s->at);
    /* only a hint: the fsync that commits the file waits for it all */
    (void)sync_file_range(s->fd, (off_t)s->at, (off_t)len, SYNC_FILE_RANGE_WRITE);
    s->at += len, s->n = s->pages = 0;
    return rc;
}

static int sink_page(struct sink *s, const uint8_t *src)
{
    if (s->fd < 0) {
        memcpy(s->mem + s->at, src, PG);
        s->at += PG;
        return 0;
    }
    if (s->n && (const uint8_t *)s->iov[s->n - 1].iov_base + s->iov[s->n - 1].iov_len == src)
        s->iov[s->n - 1].iov_len += PG;
    else
        s->iov[s->n++] = (struct iovec){(void *)src, PG};
    return ++s->pages == SINK_PAGES || s->n == SINK_IOV ? sink_flush(s) : 0;
}

/* ------------------------------------------------------- page hashing */

/* The pages' contents digests are independent (only the PAGE_INFO chain
 * over them is sequential): they are computed, and the file's pages
 * written, on up to HASH_THREADS_MAX threads, one per online core, each
 * taking a contiguous share of the pages; the caller then runs the chain
 * over the digests in page order. A share of fewer than HASH_SHARE_MIN
 * pages to hash or write is not worth a thread. GUESTIMG_IGVM_THREADS=N
 * (tests, the bench) sets the count whatever the size, 1: all on the
 * calling thread. */
#define HASH_THREADS_MAX 4
#define HASH_SHARE_MIN 256

/* Whether a page's contents are hashed (the rest measure a zero digest,
 * or the all-zero page's, shared). */
static bool page_hashed(const struct vh_page *pg)
{
    return pg->src && (pg->type == SNP_PAGE_NORMAL || pg->type == SNP_PAGE_VMSA);
}

/* One thread's share, pages[lo, hi): each hashed page's digest into
 * cd[i], the pages the file carries written from s.at on. It touches only
 * its own rows of cd and its own range of the file; a failed write is
 * returned as -errno for the caller to name. */
struct share {
    const struct vh *v;
    uint8_t (*cd)[GCTX_LD_LEN];
    size_t lo, hi;
    struct sink s;
    int rc;
    pthread_t thread;
    bool started;
};

static int share_run(struct share *w)
{
    struct gctx gc;
    int rc = 0;
    gctx_init(&gc, NULL);
    for (size_t i = w->lo; i < w->hi && !rc; i++) {
        const struct vh_page *pg = &w->v->pages[i];
        if (page_hashed(pg))
            gctx_page_digest(&gc, pg->src, w->cd[i]);
        if (pg->fo_off)
            rc = sink_page(&w->s, pg->src);
    }
    if (!rc && w->s.fd >= 0)
        rc = sink_flush(&w->s);
    gctx_free(&gc);
    return rc;
}

static void *share_thread(void *arg)
{
    struct share *w = arg;
    w->rc = share_run(w);
    return NULL;
}

static unsigned hash_threads(size_t work)
{
    const char *env = getenv("GUESTIMG_IGVM_THREADS");
    long n = env && *env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
    if (!(env && *env) && (size_t)n > work / HASH_SHARE_MIN)
        n = (long)(work / HASH_SHARE_MIN);
    return n < 1 ? 1 : n > HASH_THREADS_MAX ? HASH_THREADS_MAX : (unsigned)n;
}

/* Every page's contents digest into cd (v->n_pages rows), the pages the
 * file carries written to fd (or copied into mem) from file offset at:
 * shares of about equal work (pages hashed or written), in page order, the
 * first on this thread. Returns the first share's error that has one. */
static int hash_pages(const struct vh *v, uint8_t (*cd)[GCTX_LD_LEN], int fd, uint8_t *mem, uint64_t at)
{
    struct share w[HASH_THREADS_MAX];
    size_t work = 0, done = 0, i = 0;
    for (size_t j = 0; j < v->n_pages; j++)
        work += v->pages[j].src != NULL;
    unsigned n = hash_threads(work);
    for (unsigned k = 0; k < n; k++) {
        w[k] = (struct share){.v = v, .cd = cd, .lo = i, .s = {.fd = fd, .mem = mem, .at = at}};
        for (size_t goal = work * (k + 1) / n; i < v->n_pages && (done < goal || k == n - 1); i++) {
            done += v->pages[i].src != NULL;
            at += v->pages[i].fo_off ? PG : 0;
        }
        w[k].hi = i;
    }
    for (unsigned k = 1; k < n; k++)
        w[k].started = pthread_create(&w[k].thread, NULL, share_thread, &w[k]) == 0;
    w[0].rc = share_run(&w[0]);
    int rc = w[0].rc;
    for (unsigned k = 1; k < n; k++) {
        if (w[k].started)
            pthread_join(w[k].thread, NULL);
        else if (!rc)
            w[k].rc = share_run(&w[k]); /* no thread to be had: here, in turn */
        rc = rc ? rc : w[k].rc;
    }
    return rc;
}

/* The headers and file data: one directive per page below the end, in GPA
 * order; the file written to fd (named what), or into r->data when fd < 0.
 * The headers are laid out first (each page's only needs to know whether it
 * is all zeros); then every page is hashed and, if the file carries it,
 * written while it is in the cache (hash_pages, on a thread per core); the
 * chain over those digests, in page order, gives the launch digest; the
 * headers, with the ID block signed over it, last, at the start. */
static int emit(const struct igvm_build_params *p, struct guest *g, const struct cpu *c, const uint64_t pages[4],
                int fd, const char *what, struct igvm_build_result *r)
{
    static const uint8_t zero_page[PG];
    struct vh v = {0};
    uint8_t(*cd)[GCTX_LD_LEN] = NULL;
    uint64_t end = g->len;
    int rc = 0;
    uint8_t zero_digest[48], zero_page_digest[48];

    gctx_init(&v.gc, NULL);
    memcpy(g->mem + pages[3], c->vmsa, VMSA_LEN);
    cpuid_page(g->mem + pages[0]);
    /* fixed header, then SUPPORTED_PLATFORM and GUEST_POLICY */
    v.len = 24;
    v.cap = 1u << 16;
    if (!(v.buf = calloc(1, v.cap))) {
        rc = -ENOMEM;
        goto out;
    }
    uint8_t *b = vh_add(&v, IGVM_SUPPORTED_PLATFORM, 16);
    if (b) {
        put_le32(b, 1);
        b[4] = (uint8_t)p->vtl;
        b[5] = IGVM_PLATFORM_SEV_SNP;
        put_le16(b + 6, 1);
    }
    if ((b = vh_add(&v, IGVM_GUEST_POLICY, 16))) {
        put_le64(b, p->id.policy);
        put_le32(b + 8, 1);
    }
    for (uint64_t gpa = 0; gpa < end && !v.oom; gpa += PG) {
        const uint8_t *page = mem_page(g, gpa);
        if (gpa == pages[3]) {
            if ((b = vh_add(&v, IGVM_VP_CONTEXT, 20))) {
                put_le64(b, gpa);
                put_le32(b + 8, 1);
                put_le32(b + 12, 0xffffffff);
                vh_page(&v, b + 12, gpa, page, SNP_PAGE_VMSA);
            }
        } else if (gpa == pages[2]) {
            if ((b = vh_add(&v, IGVM_PARAMETER_AREA, 16)))
                put_le64(b, PG);
            vh_add(&v, IGVM_VP_COUNT_PARAMETER, 8);
            if ((b = vh_add(&v, IGVM_MEMORY_MAP, 8)))
                put_le32(b + 4, 24);
            if ((b = vh_add(&v, IGVM_PARAMETER_INSERT, 16))) {
                put_le64(b, gpa);
                put_le32(b + 8, 1);
            }
            vh_page(&v, NULL, gpa, NULL, SNP_PAGE_UNMEASURED);
        } else if (gpa == pages[0]) {
            vh_page_data(&v, gpa, page, IGVM_DATA_CPUID_DATA, SNP_PAGE_CPUID);
        } else if (gpa == pages[1]) {
            vh_page_data(&v, gpa, NULL, IGVM_DATA_SECRETS, SNP_PAGE_SECRETS);
        } else if (!mem_skipped(g, gpa)) {
            vh_page_data(&v, gpa, all_zero(page, PG) ? NULL : page, IGVM_DATA_NORMAL,
                         gpa - g->nv_start < g->nv_len ? SNP_PAGE_GUEST_INVALID : SNP_PAGE_NORMAL);
        }
    }
    size_t ib_off = 0;
    if (!v.oom && (b = vh_add(&v, IGVM_SNP_ID_BLOCK, 696)))
        ib_off = (size_t)(b - v.buf);
    if (v.oom) {
        rc = -ENOMEM;
        goto out;
    }
    /* file offsets: the data pages follow the headers in header order */
    uint64_t total = v.len, n_data = 0;
    for (size_t i = 0; i < v.n_pages; i++)
        if (v.pages[i].fo_off)
            put_le32(v.buf + v.pages[i].fo_off, (uint32_t)(v.len + n_data++ * PG));
    total += n_data * PG;
    if (total > UINT32_MAX) {
        rc = err_set(-EFBIG, "%s: the IGVM file would exceed 4 GiB", p->kernel_path);
        goto out;
    }
    if ((fd < 0 && !(r->data = malloc(total))) || !(cd = malloc(v.n_pages * sizeof(*cd)))) {
        rc = -ENOMEM;
        goto out;
    }
    r->len = total;
    if ((rc = hash_pages(&v, cd, fd, r->data, v.len))) {
        rc = err_sys(rc, "%s: write failed", what);
        goto out;
    }
    memset(zero_digest, 0, sizeof(zero_digest));
    gctx_page_digest(&v.gc, zero_page, zero_page_digest);
    for (size_t i = 0; i < v.n_pages; i++) {
        const struct vh_page *pg = &v.pages[i];
        if (pg->type == SNP_PAGE_GUEST_INVALID)
            continue; /* in the file (written by its share), not measured */
        const uint8_t *pd = zero_digest;
        if (page_hashed(pg))
            pd = cd[i];
        else if (pg->type == SNP_PAGE_NORMAL || pg->type == SNP_PAGE_VMSA)
            pd = zero_page_digest;
        gctx_update(&v.gc, pg->type, pg->gpa, pd);
    }
    memcpy(r->digest, v.gc.ld, 48);
    if ((rc = sign_id_block(p, r->digest, v.buf + ib_off, r->id_key_digest)))
        goto out;
    /* fixed header, CRC over the headers as they lie */
    put_le32(v.buf, IGVM_MAGIC);
    put_le32(v.buf + 4, 1);
    put_le32(v.buf + 8, 24);
    put_le32(v.buf + 12, (uint32_t)(v.len - 24));
    put_le32(v.buf + 16, (uint32_t)total);
    put_le32(v.buf + 20, 0);
    put_le32(v.buf + 20, igvm_crc32(0, v.buf, v.len));
    if (fd >= 0 && (rc = pwritev_all(fd, &(struct iovec){v.buf, v.len}, 1, 0)))
        rc = err_sys(rc, "%s: write failed", what);
    else if (fd < 0)
        memcpy(r->data, v.buf, v.len);
out:
    if (rc == -ENOMEM)
        err_set(rc, "%s: out of memory building the IGVM file", p->kernel_path);
    gctx_free(&v.gc);
    free(cd);
    free(v.buf);
    free(v.pages);
    return rc;
}

/* The bzImage where it lies: a regular file mapped (no copy: its pages
 * are the page cache's; *fd_out stays open, *st is what it was, for
 * kernel_unchanged()), anything else read (*fd_out -1). */
static int kernel_load(const char *path, uint8_t **data, size_t *len, int *fd_out, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    *fd_out = -1;
    if (fd < 0)
        return err_sys(-errno, "%s: cannot open", path);
    if (fstat(fd, st) < 0) {
        int e = errno;
        close(fd);
        return err_sys(-e, "%s: cannot stat", path);
    }
    if (S_ISREG(st->st_mode) && st->st_size > 0 && (uint64_t)st->st_size <= SIZE_MAX) {
        void *m = mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (m != MAP_FAILED) {
            *fd_out = fd;
            *data = m, *len = (size_t)st->st_size;
            return 0;
        }
    }
    close(fd);
    return file_read_all(path, data, len, 0);
}

/* The mapped kernel was not written to while the file was built from it:
 * its pages were hashed and then written from the mapping, so a change in
 * between would make the file and its digest disagree. (A file cut short
 * faults instead: SIGBUS, the CLI's handler removes the temporary.) */
static int kernel_unchanged(const char *path, int fd, const struct stat *was)
{
    struct stat now;
    if (fd < 0)
        return 0;
    if (fstat(fd, &now) < 0)
        return err_sys(-errno, "%s: cannot stat", path);
    if (now.st_size != was->st_size || now.st_mtim.tv_sec != was->st_mtim.tv_sec ||
        now.st_mtim.tv_nsec != was->st_mtim.tv_nsec || now.st_ctim.tv_sec != was->st_ctim.tv_sec ||
        now.st_ctim.tv_nsec != was->st_ctim.tv_nsec)
        return err_set(-EAGAIN, "%s: changed while the IGVM file was built from it", path);
    return 0;
}

static int build(const struct igvm_build_params *p, int fd, const char *what, struct igvm_build_result *r)
{
    struct acpi acpi = {0};
    struct guest g = {0};
    struct cpu c = {0};
    struct bzimage bz = {0};
    uint8_t *kernel = NULL;
    const uint8_t *kdata;
    size_t klen = 0;
    int kfd = -1;                 /* open while the kernel is mapped */
    struct stat kst;
    uint64_t pages[4];
    struct extras x = {p->rdinit_path ? p->rdinit_path : "rdinit",
                       p->shared_payload_path ? p->shared_payload_path : "shared payload",
                       p->rdinit_data, p->shared_payload_data, p->rdinit_len, p->shared_payload_len};
    uint8_t *rd_buf = NULL, *sp_buf = NULL;
    int rc;

    memset(r, 0, sizeof(*r));
    if (p->vtl != 0 && p->vtl != 2)   /* the IGVM spec's only SEV-SNP values; igvm_open() refuses others */
        return err_set(-EINVAL, "VTL %u: 0 or 2 expected", p->vtl);
    if (p->kernel_data) {
        kdata = p->kernel_data, klen = p->kernel_len;
    } else if ((rc = kernel_load(p->kernel_path, &kernel, &klen, &kfd, &kst))) {
        return rc;
    } else {
        kdata = kernel;
    }
    if ((rc = bzimage_parse(p->kernel_path, kdata, klen, &bz)))
        goto out;
    if (!x.rd && p->rdinit_path) {
        if ((rc = extra_load(p->rdinit_path, "ramdisk", SNP_CPUID_PAGE_ADDR, &rd_buf, &x.rd_len)))
            goto out;
        x.rd = rd_buf ? rd_buf : (const uint8_t *)"";
    }
    if (!x.sp && p->shared_payload_path) {
        if ((rc = extra_load(p->shared_payload_path, "shared payload", SHARED_PAYLOAD_GPA, &sp_buf, &x.sp_len)))
            goto out;
        x.sp = sp_buf ? sp_buf : (const uint8_t *)"";
    }
    uint32_t cmax = get_le32(bz.hdr + SH_CMDLINE_SIZE);
    if (p->cmdline_len > cmax) {
        rc = err_set(-EINVAL, "%s: the command line is %zu bytes, the kernel takes at most %u", p->kernel_path,
                     p->cmdline_len, cmax);
        goto out;
    }
    if (memchr(p->cmdline, 0, p->cmdline_len)) {
        rc = err_set(-EINVAL, "command line: contains a NUL byte");
        goto out;
    }
    if ((rc = p->acpi_dir ? acpi_from_dir(&acpi, p->acpi_dir) : acpi_default(&acpi)))
        goto out;
    c.long_mode = p->boot_mode == IGVM_BOOT_X64;
    put_le64(c.vmsa + VMSA_G_PAT, PAT_RESET);
    put_le64(c.vmsa + VMSA_CR0, CR0_PE);
    put_le64(c.vmsa + VMSA_EFER, (p->svme ? EFER_SVME : 0) |
                                     (c.long_mode ? EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE : 0));
    put_le64(c.vmsa + VMSA_SEV_FEATURES, SEV_FEATURES);
    put_le64(c.vmsa + VMSA_XCR0, 1);
    rc = layout_bzimage(p, &bz, &acpi, &x, &g, &c, pages);
    if (rc == -E2BIG)
        rc = err_set(-EFBIG, "%s: the kernel does not fit the guest layout (below 4 GiB)", p->kernel_path);
    else if (rc == -ENOMEM)
        rc = err_set(rc, "%s: out of memory", p->kernel_path);
    if (rc || g.oom) {
        rc = rc ? rc : err_set(-ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = emit(p, &g, &c, pages, fd, what, r)) || (rc = kernel_unchanged(p->kernel_path, kfd, &kst)))
        goto out;
    if (p->kernel_sha256)
        sha256_buf(kdata, klen, r->kernel_sha256);
    sha256_buf(p->cmdline, p->cmdline_len, r->cmdline_sha256);
    if ((r->has_rdinit = x.rd != NULL))
        sha256_buf(x.rd, x.rd_len, r->rdinit_sha256);
    if ((r->has_shared_payload = x.sp != NULL))
        sha256_buf(x.sp, x.sp_len, r->shared_payload_sha256);
    r->acpi = acpi.inputs, r->n_acpi = acpi.n_inputs;
    acpi.inputs = NULL, acpi.n_inputs = 0;
    r->regions = g.regions, r->n_regions = g.n_regions;
    g.regions = NULL, g.n_regions = 0;
out:
    if (rc)
        igvm_build_result_free(r);
    acpi_free(&acpi);
    for (size_t i = 0; i < g.n_regions; i++)
        free(g.regions[i].what);
    free(g.regions);
    free(g.skipped);
    free(rd_buf);
    free(sp_buf);
    if (g.mem)
        munmap(g.mem, g.cap);
    if (kfd >= 0) {
        munmap(kernel, klen);
        close(kfd);
    } else {
        free(kernel);
    }
    return rc;
}

int igvm_build(const struct igvm_build_params *p, struct igvm_build_result *r)
{
    return build(p, -1, NULL, r);
}

int igvm_build_write(const struct igvm_build_params *p, int fd, const char *what, struct igvm_build_result *r)
{
    return build(p, fd, what, r);
}

void igvm_build_result_free(struct igvm_build_result *r)
{
    free(r->data);
    for (size_t i = 0; i < r->n_acpi; i++)
        free(r->acpi[i].name);
    free(r->acpi);
    for (size_t i = 0; i < r->n_regions; i++)
        free(r->regions[i].what);
    free(r->regions);
    memset(r, 0, sizeof(*r));
}

json_t *igvm_measurement_file_json(const struct igvm_build_result *r, uint32_t svn)
{
    char hex[97], s[16];
    hex_encode(r->digest, 48, hex);
    snprintf(s, sizeof(s), "%u", svn);
    return json_pack("{s:s, s:s}", "x-ms-sevsnpvm-guestsvn", s, "x-ms-sevsnpvm-launchmeasurement", hex);
}

int igvm_tei_config_load(const char *path, struct id_block_params *p)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je), *d, *v;
    int rc = 0;
    if (!root)
        return err_set(-EINVAL, "%s:%d: %s", path, je.line, je.text);
    d = json_object_get(root, "tei_config_data");
    if (!json_is_object(d)) {
        rc = err_set(-EINVAL, "%s: no tei_config_data object", path);
        goto out;
    }
    p->version = 1, p->guest_svn = 2;
    const char *nkeys[2] = {"version", "guest_svn"};
    uint32_t *nvals[2] = {&p->version, &p->guest_svn};
    for (int i = 0; i < 2; i++) {
        if (!(v = json_object_get(d, nkeys[i])))
            continue;
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > UINT32_MAX) {
            rc = err_set(-EINVAL, "%s: tei_config_data.%s: an integer from 0 to 4294967295 expected", path, nkeys[i]);
            goto out;
        }
        *nvals[i] = (uint32_t)json_integer_value(v);
    }
    const char *keys[2] = {"family_id", "image_id"};
    uint8_t *ids[2] = {p->family_id, p->image_id};
    for (int i = 0; i < 2; i++) {
        memset(ids[i], 0, 16);
        ids[i][0] = (uint8_t)(i + 1);
        const char *hx = json_string_value(json_object_get(d, keys[i]));
        if (!hx)
            continue;
        /* int(hex, 16).to_bytes(16, 'big') */
        size_t n = strlen(hx);
        uint8_t tmp[16] = {0};
        if (n > 32 || n == 0) {
            rc = err_set(-EINVAL, "%s: %s: 1 to 32 hex digits expected", path, keys[i]);
            goto out;
        }
        for (size_t j = 0; j < n; j++) {
            char ch = hx[n - 1 - j];
            int nib = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                      : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
            if (nib < 0) {
                rc = err_set(-EINVAL, "%s: %s: not hex", path, keys[i]);
                goto out;
            }
            tmp[15 - j / 2] |= (uint8_t)(nib << (4 * (j % 2)));
        }
        memcpy(ids[i], tmp, 16);
    }
    if ((v = json_object_get(d, "policy"))) {
        uint64_t pol = 0x20000;
        static const struct { const char *k; unsigned shift; json_int_t max; } bits[] = {
            {"debug_allowed", 19, 1}, {"migrate_ma", 18, 1}, {"smt_allowed", 16, 1},
            {"abi_major", 8, 255}, {"abi_minor", 0, 255}};
        if (!json_is_object(v)) {
            rc = err_set(-EINVAL, "%s: tei_config_data.policy: an object expected", path);
            goto out;
        }
        for (size_t i = 0; i < 5; i++) {
            json_t *x = json_object_get(v, bits[i].k);
            if (!x)
                continue;
            json_int_t n = json_is_boolean(x) ? json_is_true(x) : json_is_integer(x) ? json_integer_value(x) : -1;
            if (n < 0 || n > bits[i].max) {
                rc = err_set(-EINVAL, "%s: tei_config_data.policy.%s: %s expected", path, bits[i].k,
                             bits[i].max == 1 ? "true or false" : "an integer from 0 to 255");
                goto out;
            }
            pol |= (uint64_t)n << bits[i].shift;
        }
        p->policy = pol;
    } else
        p->policy = 0x3001f;
out:
    json_decref(root);
    return rc;
}
