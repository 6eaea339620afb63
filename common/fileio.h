/* File I/O: whole-file reads, and atomic writes (temp file + rename) so a
 * failed command never leaves partial output. Temporary paths are
 * registered so that SIGINT/SIGTERM removes them (fileio_install_signal_cleanup). */
#ifndef GUESTIMG_FILEIO_H
#define GUESTIMG_FILEIO_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Read a whole file (at most max bytes; 0 = no limit). Sets the error. */
int file_read_all(const char *path, uint8_t **buf, size_t *len, size_t max);
/* Read a whole file as a NUL-terminated string. */
int file_read_text(const char *path, char **text, size_t max);
/* A release artifact: the file `name` right inside dir (no '/', "." or
 * "..": nothing outside dir), a regular file itself (never a symbolic link,
 * FIFO or device: lstat'ed first, opened O_NOFOLLOW | O_NONBLOCK).
 * file_open_in_dir returns the descriptor (st filled) or a negative errno. */
struct stat;
int file_open_in_dir(const char *dir, const char *name, struct stat *st);
int file_read_in_dir(const char *dir, const char *name, uint8_t **buf, size_t *len, size_t max);
int file_read_text_in_dir(const char *dir, const char *name, char **text, size_t max);
/* Copy all of such a file to the descriptor out (out_what names it). */
int file_copy_in_dir(const char *dir, const char *name, int out, const char *out_what);

/* Atomic output: open a temp file beside path, write, then commit (fsync +
 * rename) or abort (unlink). */
struct atomic_file {
    char *path;  /* final name */
    char *tmp;   /* temporary name, beside it */
    int fd;
    FILE *fp;    /* stdio stream on fd, opened on demand by atomic_stream() */
};
int atomic_open(struct atomic_file *af, const char *path, mode_t mode);
FILE *atomic_stream(struct atomic_file *af);
int atomic_commit(struct atomic_file *af);
void atomic_abort(struct atomic_file *af);   /* safe to call after commit */
int file_write_atomic(const char *path, const void *buf, size_t len, mode_t mode);

/* Write all of buf to fd (retrying short writes); sets the error naming what. */
int write_all(int fd, const void *buf, size_t len, const char *what);

/* Temporary paths removed on SIGINT/SIGTERM/SIGHUP/SIGBUS (files or whole directories). */
void cleanup_register(const char *path);
void cleanup_unregister(const char *path);
/* Functions the handler calls first, with the signal's number, before it
 * removes the registered paths: stopping child processes that write into
 * them, saying what was interrupted. Async-signal-safe code only. */
void cleanup_on_signal(void (*fn)(int sig));
/* Hold off SIGINT, SIGTERM and SIGHUP (the signals the handler cleans up
 * for) while a temporary is made and registered, or a child started and
 * tracked, so that no signal finds it half done; release restores *old. */
void fatal_signals_hold(sigset_t *old);
void fatal_signals_release(const sigset_t *old);
/* mkdtemp(tmpl) and cleanup_register() it, the signals held in between so
 * that none leaves it behind. 0, or -errno (no message: the caller names
 * what it was for). */
int mkdtemp_registered(char *tmpl);
/* Install handlers (SIGINT, SIGTERM, SIGHUP; and SIGBUS, a mapped input
 * that shrank) that remove registered paths and re-raise the signal. */
void fileio_install_signal_cleanup(void);
/* In a child fork()ed to do part of the work: forget the parent's
 * temporary paths and signal hooks (the parent removes its own; a hook
 * such as the CLI's "interrupted" message is the parent's to run). The
 * child's own registrations work as usual. */
void fileio_forget_inherited(void);
/* Remove a directory tree (no symlink following). Returns 0 or -errno. */
int rm_rf(const char *path);
/* mkdir -p; returns 0 or sets the error. */
int mkdir_p(const char *path, mode_t mode);

#endif
