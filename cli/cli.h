/* The command-line front end: argument parsing and reporting only; the work
 * is done by the component libraries. Exit status: 0 success, 1 failure,
 * 2 usage error. */
#ifndef GUESTIMG_CLI_H
#define GUESTIMG_CLI_H

#include <stdbool.h>

#define EXIT_FAIL 1
#define EXIT_USAGE 2

/* Print "guestimg: <message of the last library error>", return EXIT_FAIL. */
int cli_fail(void);
/* Print "guestimg: <formatted>", return EXIT_FAIL. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "guestimg <cmd>: <formatted>" and a hint to --help, return EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Quiet mode silences progress and info (warnings still show). */
void cli_set_quiet(bool quiet);
/* Clear the progress line from the terminal, if one is showing: before
 * printing anything else (cli_fail and warnings do it themselves). */
void cli_progress_clear(void);
/* kernel-configs/ beside the binary (build/guestimg, build/san/guestimg),
 * else in the current directory; allocated. */
char *cli_kernel_configs_dir(void);
/* Debian's linux-source-6.1: the kernel source build and reproduce use for
 * kernel.from: profile unless told otherwise. */
#define CLI_KERNEL_SOURCE_DEFAULT "/usr/src/linux-source-6.1.tar.xz"
/* When SIGINT, SIGTERM or SIGHUP ends the command (after stopping child
 * processes, before removing temporary files), say on stderr
 * "guestimg: interrupted by SIGTERM: <what>". */
void cli_on_interrupt(const char *what);

/* One function per subcommand (cli/<name>.c); argv[0] is the subcommand's
 * name. Declared weak while the project is young: a command whose file has
 * not landed yet is simply not listed. */
#define CLI_COMMAND(fn) int fn(int argc, char **argv) __attribute__((weak))
CLI_COMMAND(cmd_measure);
CLI_COMMAND(cmd_id_block);
CLI_COMMAND(cmd_rootfs);
CLI_COMMAND(cmd_lock);
CLI_COMMAND(cmd_kernel);
CLI_COMMAND(cmd_boot);
CLI_COMMAND(cmd_build);
CLI_COMMAND(cmd_verify);
CLI_COMMAND(cmd_reproduce);
CLI_COMMAND(cmd_igvm);
CLI_COMMAND(cmd_report);
CLI_COMMAND(cmd_install);
CLI_COMMAND(cmd_publish);
CLI_COMMAND(cmd_report_html);

#endif
