/* guestimg boot: boot a built guest under QEMU and wait for its marker. */
#include "builder/kernel/boot.h"
#include "cli/cli.h"
#include "common/err.h"
#include "common/util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define CONSOLE_TAIL_LINES 25

static const char usage_text[] =
    "usage: guestimg boot [DIR] [options]\n"
    "\n"
    "Boots a guest under qemu-system-x86_64 (TCG, no KVM needed): the kernel,\n"
    "the disk as a read-only virtio-blk device, and the image's kernel command\n"
    "line, with the serial console captured. Exits 0 when the guest's init\n"
    "prints the ready marker at the start of a console line (the line is printed\n"
    "on stdout); otherwise 1, with the end of the console.\n"
    "\n"
    "DIR holds bzImage (or vmlinuz), " BOOT_DISK_NAME " and " BOOT_CMDLINE_NAME ".\n"
    "\n"
    "options:\n"
    "  --kernel FILE        the kernel (instead of DIR's)\n"
    "  --disk FILE          the disk image (instead of DIR's)\n"
    "  --cmdline TEXT       the kernel arguments (instead of DIR's " BOOT_CMDLINE_NAME ")\n"
    "  --console FILE       where the console goes (default DIR/console.log)\n"
    "  --marker TEXT        the ready marker (default " BOOT_MARKER ")\n"
    "  --timeout SECONDS    give up after this long (default 120)\n"
    "  --memory MIB         guest memory (default 256)\n"
    "  -q, --quiet          print nothing on success\n";

struct boot_args {
    const char *dir, *kernel, *disk, *cmdline, *console, *marker;
    unsigned timeout, memory;
    bool quiet;
};

static int parse_unsigned(const char *opt, const char *s, unsigned max, unsigned *out)
{
    uint32_t v;
    if (parse_u32(s, &v) < 0 || v == 0 || v > max)
        return cli_usage("boot", "%s '%s' is not a number from 1 to %u", opt, s, max);
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, struct boot_args *a)
{
    enum { OPT_KERNEL = 256, OPT_DISK, OPT_CMDLINE, OPT_CONSOLE, OPT_MARKER, OPT_TIMEOUT, OPT_MEMORY };
    static const struct option opts[] = {
        {"kernel", required_argument, NULL, OPT_KERNEL},   {"disk", required_argument, NULL, OPT_DISK},
        {"cmdline", required_argument, NULL, OPT_CMDLINE}, {"console", required_argument, NULL, OPT_CONSOLE},
        {"marker", required_argument, NULL, OPT_MARKER},   {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"memory", required_argument, NULL, OPT_MEMORY},   {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},                  {0}};
    *a = (struct boot_args){.timeout = 120, .memory = 256};
    int c, r = 0;
    optind = 1;
    while (r == 0 && (c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case OPT_KERNEL: a->kernel = optarg; break;
        case OPT_DISK: a->disk = optarg; break;
        case OPT_CMDLINE: a->cmdline = optarg; break;
        case OPT_CONSOLE: a->console = optarg; break;
        case OPT_MARKER: a->marker = optarg; break;
        case OPT_TIMEOUT: r = parse_unsigned("--timeout", optarg, 86400, &a->timeout); break;
        case OPT_MEMORY: r = parse_unsigned("--memory", optarg, 65536, &a->memory); break;
        case 'q': a->quiet = true; cli_set_quiet(true); break;
        case 'h': fputs(usage_text, stdout); return -1;
        default: return cli_usage("boot", "unknown option");
        }
    }
    if (r)
        return r;
    if (optind < argc)
        a->dir = argv[optind++];
    if (optind < argc)
        return cli_usage("boot", "unexpected argument '%s'", argv[optind]);
    if (a->marker && !*a->marker)
        return cli_usage("boot", "--marker must not be empty");
    if (!a->dir && (!a->kernel || !a->disk || !a->cmdline || !a->console))
        return cli_usage("boot", "give DIR, or all of --kernel, --disk, --cmdline and --console");
    return 0;
}

int cmd_boot(int argc, char **argv)
{
    struct boot_args a;
    int r = parse_args(argc, argv, &a);
    if (r)
        return r < 0 ? 0 : r;
    _cleanup_free_ char *kernel = NULL, *disk = NULL, *cmdline_file = NULL, *cmdline = NULL, *console = NULL;
    if (a.dir && boot_dir_files(a.dir, a.kernel ? NULL : &kernel, a.disk ? NULL : &disk,
                                a.cmdline ? NULL : &cmdline_file) < 0)
        return cli_fail();
    if (!a.cmdline && boot_read_cmdline(cmdline_file, &cmdline) < 0)
        return cli_fail();
    console = a.console ? xstrdup(a.console) : xasprintf("%s/console.log", a.dir);
    struct boot_opts o = {.kernel = a.kernel ? a.kernel : kernel, .disk = a.disk ? a.disk : disk,
                          .cmdline = a.cmdline ? a.cmdline : cmdline, .console_log = console,
                          .marker = a.marker, .timeout_s = a.timeout, .memory_mib = a.memory};
    struct boot_result res;
    if (boot_guest(&o, &res) < 0) {
        cli_fail();
        _cleanup_free_ char *tail = res.ran ? boot_console_tail(console, CONSOLE_TAIL_LINES) : xstrdup("");
        if (*tail)
            fprintf(stderr, "--- last lines of the console (%s) ---\n%s", console, tail);
        boot_result_free(&res);
        return EXIT_FAIL;
    }
    if (!a.quiet)
        printf("%s\n", res.marker_line);
    boot_result_free(&res);
    return 0;
}
