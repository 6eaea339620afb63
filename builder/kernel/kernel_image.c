/* Kernel files: recognising a bzImage or vmlinux, and copying kernels into
 * an output directory (from a build, or from a package's file). */
#include "builder/kernel/kernel.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>

#define KERNEL_MAX_SIZE (512u << 20)

/* x86 boot protocol (Documentation/x86/boot.rst): offsets in the setup header. */
#define SETUP_BOOT_FLAG 0x1fe      /* u16 0xAA55 */
#define SETUP_HEADER_MAGIC 0x202   /* "HdrS" */
#define SETUP_VERSION 0x206        /* u16 boot protocol version */
#define SETUP_KERNEL_VERSION 0x20e /* u16: string at this + 0x200, NUL-terminated */

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static int inspect_bzimage(const uint8_t *buf, size_t len, const char *name, struct kernel_image *img)
{
    img->kind = KERNEL_BZIMAGE;
    img->boot_protocol = le16(buf + SETUP_VERSION);
    if (img->boot_protocol < 0x0200)
        return err_set(-EINVAL, "%s: boot protocol %u.%02u is too old to load high (bzImage needs 2.00)", name,
                       img->boot_protocol >> 8, img->boot_protocol & 0xff);
    uint16_t vo = le16(buf + SETUP_KERNEL_VERSION);
    if (!vo)
        return 0;
    size_t off = (size_t)vo + 0x200;
    if (off >= len)
        return err_set(-EINVAL, "%s: kernel version string at offset %zu lies outside the file", name, off);
    size_t n = 0;
    while (off + n < len && buf[off + n] && n + 1 < sizeof(img->version)) {
        uint8_t c = buf[off + n];
        img->version[n++] = (char)(c >= 0x20 && c < 0x7f ? c : '?');
    }
    img->version[n] = 0;
    return 0;
}

int kernel_image_inspect(const uint8_t *buf, size_t len, const char *name, struct kernel_image *img)
{
    memset(img, 0, sizeof(*img));
    if (len >= 20 && !memcmp(buf, "\177ELF", 4)) {
        /* ELF64 (class 2), little-endian (1), e_machine 62 (x86-64) */
        if (buf[4] != 2 || buf[5] != 1 || le16(buf + 18) != 62)
            return err_set(-EINVAL, "%s: an ELF file, but not an x86-64 kernel", name);
        img->kind = KERNEL_ELF;
        return 0;
    }
    if (len < SETUP_KERNEL_VERSION + 2 || le16(buf + SETUP_BOOT_FLAG) != 0xAA55 ||
        memcmp(buf + SETUP_HEADER_MAGIC, "HdrS", 4))
        return err_set(-EINVAL, "%s: not an x86 kernel image (no bzImage setup header, not an ELF vmlinux)", name);
    return inspect_bzimage(buf, len, name, img);
}

static int copy_checked(const char *src, const char *dst, struct kernel_image *img)
{
    _cleanup_free_ uint8_t *buf = NULL;
    size_t len;
    int r = file_read_all(src, &buf, &len, KERNEL_MAX_SIZE);
    if (r < 0)
        return r;
    if (img) {
        r = kernel_image_inspect(buf, len, src, img);
        if (r < 0)
            return r;
    }
    return file_write_atomic(dst, buf, len, 0644);
}

int kernel_from_file(const char *path, const char *out_path, struct kernel_image *img)
{
    struct kernel_image tmp;
    return copy_checked(path, out_path, img ? img : &tmp);
}

int kernel_install(const struct kernel_build *b, const char *out_dir)
{
    static const char *const files[][2] = {
        {"bzImage", "bzImage"}, {"vmlinux", "vmlinux"}, {"config", "kernel.config"}};
    int r = mkdir_p(out_dir, 0755);
    for (size_t i = 0; i < ARRAY_SIZE(files) && r == 0; i++) {
        _cleanup_free_ char *src = xasprintf("%s/%s", b->dir, files[i][0]);
        _cleanup_free_ char *dst = xasprintf("%s/%s", out_dir, files[i][1]);
        struct kernel_image img;
        r = copy_checked(src, dst, i < 2 ? &img : NULL);
    }
    return r;
}
