/* Running a program: fork + exec, never through a shell. The child's
 * standard output and error come back to the caller through a callback, so
 * it can log them, count them or watch them for a marker. */
#ifndef GUESTIMG_SPAWN_H
#define GUESTIMG_SPAWN_H

#include <stdbool.h>
#include <stddef.h>

/* Receives the child's output (stdout and stderr interleaved) as it comes;
 * returns true when it has seen enough: the child is then stopped. */
typedef bool (*spawn_output_fn)(const char *buf, size_t len, void *ctx);

struct spawn_opts {
    const char *const *argv;   /* argv[0] is looked up in PATH */
    const char *const *envp;   /* the child's whole environment; NULL inherits ours */
    const char *cwd;           /* NULL: ours */
    int nice;                  /* added to the child's niceness (shared machines) */
    unsigned timeout_ms;       /* 0: none; else the child is killed when it runs out */
    spawn_output_fn on_output; /* NULL: output discarded */
    void *ctx;
};

struct spawn_result {
    int exit_code;   /* exit status, or -1 when killed by a signal */
    int signal;      /* the signal that ended it, or 0 */
    bool timed_out;  /* the timeout ran out and we killed it */
    bool stopped;    /* the output callback asked us to stop it */
};

/* Run the program to completion (or timeout). Returns 0 when it ran, with
 * how it ended in *res; a negative errno when it could not be started
 * (-ENOENT: "<argv[0]>: not found in PATH"), with the error set. The child
 * dies with us (PR_SET_PDEATHSIG), so an interrupted build leaves no
 * compiler running. */
int spawn_run(const struct spawn_opts *o, struct spawn_result *res);

/* Run argv with envp and return its output (stdout + stderr) in *out.
 * A non-zero exit is an error naming the program. */
int spawn_capture(const char *const *argv, const char *const *envp, char **out);

/* "exit status 2" / "killed by signal 9 (Killed)" / "timed out" / "stopped", for messages. */
const char *spawn_describe(const struct spawn_result *res, char *buf, size_t len);

#endif
