/* guestimg: git-style dispatch to one file per subcommand. */
#include "cli/cli.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"measure", cmd_measure, "expected SEV / SEV-ES / SEV-SNP launch digest (sev-snp-measure compatible)"},
    {"id-block", cmd_id_block, "SNP ID block and ID auth structure (snp-create-id-block compatible)"},
    {"rootfs", cmd_rootfs, "bit-reproducible ext4 root filesystem with dm-verity, without root"},
    {"lock", cmd_lock, "resolve a manifest's packages and write its lock file"},
    {"kernel", cmd_kernel, "guest kernel: merge and audit config fragments, reproducible build"},
    {"boot", cmd_boot, "boot a built guest under QEMU and wait for its ready marker"},
    {"build", cmd_build, "manifest to signed release: image, verity, kernel, measurements, SBOMs"},
    {"verify", cmd_verify, "check a release.json against its signature and artifacts"},
    {"reproduce", cmd_reproduce, "rebuild a release and compare it, file by file"},
};

static bool quiet;
static bool progress_on_tty;
static struct timespec start_time;

void cli_set_quiet(bool q)
{
    quiet = q;
}

int cli_fail(void)
{
    fprintf(stderr, "guestimg: %s\n", err_msg());
    return EXIT_FAIL;
}

int cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("guestimg: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_FAIL;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "guestimg %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see 'guestimg %s --help')\n", cmd);
    va_end(ap);
    return EXIT_USAGE;
}

static double elapsed(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start_time.tv_sec) + (now.tv_nsec - start_time.tv_nsec) / 1e9;
}

/* Warnings always reach stderr; progress only on a terminal, one line
 * rewritten in place. */
static void on_log(enum log_kind kind, const char *msg, uint64_t done, uint64_t total, void *ctx)
{
    (void)ctx;
    if (kind == LOG_WARN) {
        if (progress_on_tty)
            fputs("\r\033[K", stderr);
        fprintf(stderr, "guestimg: warning: %s\n", msg);
        return;
    }
    if (quiet)
        return;
    if (kind == LOG_INFO) {
        if (progress_on_tty)
            fputs("\r\033[K", stderr);
        fprintf(stderr, "guestimg: %s\n", msg);
        return;
    }
    if (!progress_on_tty)
        return;
    if (total)
        fprintf(stderr, "\r\033[K[%6.1fs] %s %llu/%llu", elapsed(), msg, (unsigned long long)done,
                (unsigned long long)total);
    else if (done)
        fprintf(stderr, "\r\033[K[%6.1fs] %s %llu", elapsed(), msg, (unsigned long long)done);
    else
        fprintf(stderr, "\r\033[K[%6.1fs] %s", elapsed(), msg);
    fflush(stderr);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: guestimg <command> [options]\n\n"
               "Builds confidential-VM guest images reproducibly and computes what must be\n"
               "published about them.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (commands[i].fn)
            fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'guestimg <command> --help' describes one command. 'guestimg --version' prints the version.\n");
}

int main(int argc, char **argv)
{
    clock_gettime(CLOCK_MONOTONIC, &start_time);
    progress_on_tty = isatty(STDERR_FILENO);
    log_set_handler(on_log, NULL);
    fileio_install_signal_cleanup();

    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(name, "--version") || !strcmp(name, "version")) {
        printf("guestimg %s\n", GUESTIMG_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (commands[i].fn && !strcmp(name, commands[i].name)) {
            int rc = commands[i].fn(argc - 1, argv + 1);
            if (progress_on_tty && !quiet)
                fputs("\r\033[K", stderr);
            if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, "guestimg: error writing to standard output\n");
                return EXIT_FAIL;
            }
            return rc;
        }
    fprintf(stderr, "guestimg: '%s' is not a guestimg command (see 'guestimg --help')\n", name);
    return EXIT_USAGE;
}
