#include "builder/kernel/boot.h"
#include "builder/kernel/kernel.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CONSOLE_LINE_MAX 4096
#define KERNEL_HEADER_BYTES 65536

/* dir/name, or an error naming what to pass instead. */
static int dir_file(const char *dir, const char *const *names, size_t n, const char *option, char **out)
{
    for (size_t i = 0; i < n; i++) {
        char *p = xasprintf("%s/%s", dir, names[i]);
        if (access(p, F_OK) == 0) {
            *out = p;
            return 0;
        }
        free(p);
    }
    return err_set(-ENOENT, "%s: no %s%s%s (pass %s)", dir, names[0], n > 1 ? " or " : "", n > 1 ? names[1] : "",
                   option);
}

int boot_dir_files(const char *dir, char **kernel, char **disk, char **cmdline_file)
{
    static const char *const kernels[] = {"bzImage", "vmlinuz"};
    static const char *const disks[] = {BOOT_DISK_NAME};
    static const char *const cmdlines[] = {BOOT_CMDLINE_NAME};
    int r = 0;
    if (kernel)
        r = dir_file(dir, kernels, ARRAY_SIZE(kernels), "--kernel", kernel);
    if (r == 0 && disk)
        r = dir_file(dir, disks, ARRAY_SIZE(disks), "--disk", disk);
    if (r == 0 && cmdline_file)
        r = dir_file(dir, cmdlines, ARRAY_SIZE(cmdlines), "--cmdline", cmdline_file);
    return r;
}

int boot_read_cmdline(const char *path, char **cmdline)
{
    int r = file_read_text(path, cmdline, 65536);
    if (r < 0)
        return r;
    size_t n = strlen(*cmdline);
    while (n && ((*cmdline)[n - 1] == '\n' || (*cmdline)[n - 1] == ' '))
        (*cmdline)[--n] = 0;
    if (!n || strchr(*cmdline, '\n')) {
        free(*cmdline);
        *cmdline = NULL;
        return err_set(-EINVAL, "%s: the kernel command line must be one non-empty line", path);
    }
    return 0;
}

/* --------------------------------------------------------------- console --- */

struct console {
    int fd;
    const char *marker;
    struct strbuf line;   /* the line being received */
    char *marker_line;
    char *telling;        /* the line that best explains a failure */
    int telling_rank;
    int write_error;
};

/* How well a console line explains a boot that failed: QEMU's own errors,
 * then dm-verity's, then the kernel's panic. */
static int rank_line(const char *l)
{
    if (startswith(l, BOOT_QEMU ":"))
        return 3;
    if (strstr(l, "verity") && (strstr(l, "corrupt") || strstr(l, "rror") || strstr(l, "fail")))
        return 2;
    if (strstr(l, "Kernel panic"))
        return 1;
    return 0;
}

/* A finished line: true when it carries the marker. */
static bool console_line(struct console *c)
{
    char *l = c->line.buf ? c->line.buf : "";
    size_t n = strlen(l);
    while (n && l[n - 1] == '\r')
        l[--n] = 0;
    if (startswith(l, c->marker)) {
        c->marker_line = xstrdup(l);
        return true;
    }
    int rank = rank_line(l);
    if (rank > c->telling_rank) {
        free(c->telling);
        c->telling = xstrdup(l);
        c->telling_rank = rank;
    }
    return false;
}

static bool on_console(const char *buf, size_t len, void *ctx)
{
    struct console *c = ctx;
    if (!c->write_error && write_all(c->fd, buf, len, "console log") < 0)
        c->write_error = -EIO;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\n') {
            bool seen = console_line(c);
            c->line.len = 0;
            if (c->line.buf)
                c->line.buf[0] = 0;
            if (seen)
                return true;
        } else if (c->line.len < CONSOLE_LINE_MAX) {
            sb_add(&c->line, buf + i, 1);
        }
    }
    return false;
}

/* ------------------------------------------------------------------ boot --- */

/* QEMU splits -drive options at commas; a comma in a file name is doubled. */
static char *drive_arg(const char *disk)
{
    struct strbuf sb = STRBUF_INIT;
    sb_puts(&sb, "file=");
    for (const char *p = disk; *p; p++)
        sb_puts(&sb, *p == ',' ? ",," : (char[]){*p, 0});
    sb_puts(&sb, ",format=raw,if=virtio,readonly=on");
    return sb_detach(&sb);
}

static int check_inputs(const struct boot_opts *o)
{
    _cleanup_free_ uint8_t *head = NULL;
    size_t len;
    struct stat st;
    int r = file_read_all(o->kernel, &head, &len, 0);
    if (r < 0)
        return r;
    struct kernel_image img;
    r = kernel_image_inspect(head, len, o->kernel, &img);
    if (r < 0)
        return r;
    if (stat(o->disk, &st) < 0)
        return err_sys(-errno, "%s: cannot open disk image", o->disk);
    if (!S_ISREG(st.st_mode) || st.st_size < 512)
        return err_set(-EINVAL, "%s: not a disk image (not a regular file of at least one sector)", o->disk);
    if (!o->cmdline || !*o->cmdline || strchr(o->cmdline, '\n'))
        return err_set(-EINVAL, "the kernel command line must be one non-empty line");
    return 0;
}

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

static int run_qemu(const struct boot_opts *o, struct console *c, struct boot_result *res)
{
    _cleanup_free_ char *append = xasprintf("console=ttyS0 panic=-1 %s", o->cmdline);
    _cleanup_free_ char *drive = drive_arg(o->disk);
    _cleanup_free_ char *mem = xasprintf("%u", o->memory_mib ? o->memory_mib : 256);
    const char *argv[] = {BOOT_QEMU, "-nodefaults", "-no-user-config", "-machine", "pc,accel=tcg",
                          "-m", mem, "-smp", "1", "-display", "none", "-serial", "stdio", "-no-reboot",
                          "-kernel", o->kernel, "-append", append, "-drive", drive, NULL};
    struct spawn_opts so = {.argv = argv, .timeout_ms = (o->timeout_s ? o->timeout_s : 120) * 1000u,
                            .on_output = on_console, .ctx = c};
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int r = spawn_run(&so, &res->qemu);
    res->seconds = since(&t0);
    if (r == -ENOENT)
        return err_set(r, BOOT_QEMU " not found in PATH (Debian package qemu-system-x86)");
    return r;
}

int boot_guest(const struct boot_opts *o, struct boot_result *res)
{
    memset(res, 0, sizeof(*res));
    int r = check_inputs(o);
    if (r < 0)
        return r;
    struct atomic_file af;
    r = atomic_open(&af, o->console_log, 0644);
    if (r < 0)
        return r;
    struct console c = {.fd = af.fd, .marker = o->marker ? o->marker : BOOT_MARKER};
    r = run_qemu(o, &c, res);
    if (c.line.len)
        console_line(&c);  /* an unfinished last line still counts */
    int cr = atomic_commit(&af);
    res->ran = r == 0 && cr == 0;
    if (r == 0)
        r = c.write_error ? c.write_error : cr;
    if (r == 0 && c.marker_line) {
        res->marker_seen = true;
        res->marker_line = c.marker_line;
        c.marker_line = NULL;
    } else if (r == 0) {
        char how[96], end[64];
        if (res->qemu.timed_out)
            snprintf(how, sizeof(how), "within %u s; qemu stopped", o->timeout_s ? o->timeout_s : 120);
        else
            snprintf(how, sizeof(how), "qemu %s after %.1f s", spawn_describe(&res->qemu, end, sizeof(end)),
                     res->seconds);
        r = err_set(res->qemu.timed_out ? -ETIMEDOUT : -EIO, "the guest did not print %s (%s)%s%s", c.marker, how,
                    c.telling ? ": " : "", c.telling ? c.telling : "");
    }
    sb_release(&c.line);
    free(c.marker_line);
    free(c.telling);
    return r;
}

void boot_result_free(struct boot_result *res)
{
    free(res->marker_line);
    memset(res, 0, sizeof(*res));
}

char *boot_console_tail(const char *console_log, unsigned n)
{
    _cleanup_free_ char *text = NULL;
    uint8_t *raw;
    size_t len;
    if (file_read_all(console_log, &raw, &len, 0) < 0)
        return xstrdup("");
    text = (char *)raw;
    /* Drop carriage returns; NULs and other control bytes from the guest
     * would garble a terminal. */
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch != '\r')
            text[k++] = ch < 0x20 && ch != '\n' && ch != '\t' ? ' ' : (char)ch;
    }
    len = k;
    text[len] = 0;
    size_t start = len && text[len - 1] == '\n' ? len - 1 : len;
    for (unsigned lines = 0; start > 0; start--)
        if (text[start - 1] == '\n' && ++lines == n)
            break;
    return xstrdup(text + start);
}
