/* guestimg: git-style dispatch to one file per subcommand. */
#include "cli/cli.h"
#include "common/dlib.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/util.h"

#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);   /* in this executable */
    const char *heavy;                  /* else: this function of the build stages' shared object */
    const char *summary;
};

/* measure, id-block, igvm, report, verify, report-html, publish and
 * install are linked in (libcrypto and jansson, nothing else at start-up); the commands that build load
 * libguestimg-build.so with libcurl, libsolv, libext2fs, libfyaml,
 * libarchive and libcryptsetup (see docs/startup.md). */
static const struct command commands[] = {
    {"measure", cmd_measure, NULL, "expected SEV / SEV-ES / SEV-SNP launch digest (sev-snp-measure compatible)"},
    {"id-block", cmd_id_block, NULL, "SNP ID block and ID auth structure (snp-create-id-block compatible)"},
    {"rootfs", NULL, "cmd_rootfs", "bit-reproducible ext4 root filesystem with dm-verity, without root"},
    {"lock", NULL, "cmd_lock", "resolve a manifest's packages and write its lock file"},
    {"kernel", NULL, "cmd_kernel", "guest kernel: merge and audit config fragments, reproducible build"},
    {"boot", NULL, "cmd_boot", "boot a built guest under QEMU and wait for its ready marker"},
    {"build", NULL, "cmd_build", "manifest to signed release: image, verity, kernel, measurements, SBOMs"},
    {"verify", cmd_verify, NULL, "check a release.json against its signature and artifacts"},
    {"reproduce", NULL, "cmd_reproduce", "rebuild a release and compare it, file by file"},
    {"igvm", cmd_igvm, NULL, "IGVM guest files: validate, dump, SEV-SNP launch digest"},
    {"report", cmd_report, NULL, "SEV-SNP attestation report: decode, verify against AMD and a release"},
    {"report-html", cmd_report_html, NULL, "a release as one self-contained HTML page, with changes since another"},
    {"publish", cmd_publish, NULL, "write a release as an OCI artifact into an OCI image layout"},
    {"install", cmd_install, NULL, "verify a release and lay it out for Kata on a node, with its runtime config"},
};

static bool quiet;
static bool progress_on_tty;
static struct timespec start_time;
/* A progress line is on the terminal, without its newline: whatever is
 * printed next clears it first. Read by the signal handler too. */
static volatile sig_atomic_t progress_line;
/* The stage the progress belongs to ("3/7 image"), "" outside one. */
static char stage[128];

void cli_set_quiet(bool q)
{
    quiet = q;
}

void cli_progress_clear(void)
{
    if (progress_line) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        progress_line = 0;
    }
}

int cli_fail(void)
{
    cli_progress_clear();
    fprintf(stderr, "guestimg: %s\n", err_msg());
    return EXIT_FAIL;
}

int cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_progress_clear();
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

/* "[  12.3s] 3/7 image: writing ext4 1048576/1983056", rewritten in place. */
static void show_progress(const char *msg, uint64_t done, uint64_t total)
{
    fprintf(stderr, "\r\033[K[%6.1fs] %s%s%s", elapsed(), stage, *stage && msg ? ": " : "", msg ? msg : "");
    if (total)
        fprintf(stderr, " %llu/%llu", (unsigned long long)done, (unsigned long long)total);
    else if (done)
        fprintf(stderr, " %llu", (unsigned long long)done);
    fflush(stderr);
    progress_line = 1;
}

/* Warnings always reach stderr; progress only on a terminal, one line
 * rewritten in place. */
static void on_log(enum log_kind kind, const char *msg, uint64_t done, uint64_t total, void *ctx)
{
    (void)ctx;
    if (kind == LOG_STAGE)
        snprintf(stage, sizeof(stage), "%s", msg);
    if (kind == LOG_WARN || (kind == LOG_INFO && !quiet)) {
        cli_progress_clear();
        fprintf(stderr, "guestimg: %s%s\n", kind == LOG_WARN ? "warning: " : "", msg);
    } else if (kind == LOG_PROGRESS && progress_on_tty && !quiet) {
        show_progress(msg, done, total);
    } else if (kind == LOG_STAGE && *msg && progress_on_tty && !quiet) {
        show_progress(NULL, 0, 0);
    }
}

/* What a fatal signal says, written by the handler (async-signal-safe):
 * SIGBUS is a file the command had mapped (igvm build's kernel) cut short
 * while it read it; an interruption is said only by the commands that set
 * up what it leaves (cli_on_interrupt). */
static char interrupted_suffix[512];

static void say_signal(int sig)
{
    static const char bus[] = "guestimg: an input file was truncated while it was read (SIGBUS); "
                              "the temporary files are removed\n";
    static const char clear[] = "\r\033[K", prefix[] = "guestimg: interrupted by ";
    if (sig == SIGBUS) {
        ssize_t w = write(STDERR_FILENO, bus, sizeof(bus) - 1);
        (void)w;
        return;
    }
    if (!interrupted_suffix[0])
        return;
    const char *name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" : "a signal";
    if ((progress_line && write(STDERR_FILENO, clear, sizeof(clear) - 1) < 0) ||
        write(STDERR_FILENO, prefix, sizeof(prefix) - 1) < 0 ||
        write(STDERR_FILENO, name, strlen(name)) < 0 ||
        write(STDERR_FILENO, interrupted_suffix, strlen(interrupted_suffix)) < 0)
        return;
}

void cli_on_interrupt(const char *what)
{
    sigset_t old;
    fatal_signals_hold(&old);   /* no signal reads it half written */
    snprintf(interrupted_suffix, sizeof(interrupted_suffix), ": %s\n", what);
    fatal_signals_release(&old);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: guestimg <command> [options]\n\n"
               "Builds confidential-VM guest images reproducibly and computes what must be\n"
               "published about them.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (commands[i].fn || commands[i].heavy)
            fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'guestimg <command> --help' describes one command. 'guestimg --version' prints the version.\n");
}

/* The build stages' shared object: $GUESTIMG_BUILD_LIB (tests), else
 * lib/guestimg/ beside the executable (build/guestimg) or beside its
 * directory (PREFIX/bin/guestimg, PREFIX/lib/guestimg). */
#define BUILD_LIB "libguestimg-build.so"

static char *build_lib_path(void)
{
    const char *env = secure_getenv("GUESTIMG_BUILD_LIB");
    if (env && *env)
        return xstrdup(env);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return xstrdup(BUILD_LIB);
    exe[n] = 0;
    char *dir = dirname(exe);
    char *here = xasprintf("%s/lib/guestimg/" BUILD_LIB, dir);
    if (access(here, F_OK) == 0)
        return here;
    char *up = xasprintf("%s/../lib/guestimg/" BUILD_LIB, dir);
    if (access(up, F_OK) == 0) {
        free(here);
        return up;
    }
    free(up);
    return here;
}

/* cmd's function from the shared object, loaded once; NULL after one
 * error line naming what is missing (a library: with its Debian package). */
static int (*load_heavy(const char *cmd, const char *sym))(int, char **)
{
    _cleanup_free_ char *path = build_lib_path();
    void *h = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        const char *pkg = why ? dlib_package_of(why) : NULL;
        if (pkg) {
            _cleanup_free_ char *lib = xstrndup(why, (size_t)(strstr(why, ": ") - why));
            cli_error("%s needs %s (Debian package %s): %s", cmd, lib, pkg, why);
        } else {
            cli_error("%s needs %s: %s", cmd, path, why ? why : "cannot load it");
        }
        return NULL;
    }
    void *fn = dlsym(h, sym);
    if (!fn) {
        cli_error("%s needs %s: it has no %s", cmd, path, sym);
        return NULL;
    }
    int (*f)(int, char **);
    memcpy(&f, &fn, sizeof(f));
    return f;
}

int main(int argc, char **argv)
{
    clock_gettime(CLOCK_MONOTONIC, &start_time);
    progress_on_tty = isatty(STDERR_FILENO);
    log_set_handler(on_log, NULL);
    fileio_install_signal_cleanup();
    cleanup_on_signal(say_signal);
    /* Past a file size limit (ulimit -f) a write is to fail with EFBIG, an
     * error like a full disk, not to kill the process before it removes
     * its temporary files. */
    signal(SIGXFSZ, SIG_IGN);

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
        if ((commands[i].fn || commands[i].heavy) && !strcmp(name, commands[i].name)) {
            int (*fn)(int, char **) = commands[i].fn ? commands[i].fn : load_heavy(name, commands[i].heavy);
            if (!fn)
                return EXIT_FAIL;
            int rc = fn(argc - 1, argv + 1);
            cli_progress_clear();
            if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, "guestimg: error writing to standard output\n");
                return EXIT_FAIL;
            }
            return rc;
        }
    fprintf(stderr, "guestimg: '%s' is not a guestimg command (see 'guestimg --help')\n", name);
    return EXIT_USAGE;
}
