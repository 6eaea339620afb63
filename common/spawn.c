#include "common/spawn.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Children run in process groups of their own, so that stopping one stops
 * everything it started (make's compilers). The fatal-signal handler
 * stops those still running before it removes their temporary outputs. */
#define MAX_RUNNING 8
static volatile sig_atomic_t running[MAX_RUNNING];

/* Kill what is left of pid's process group and reap every member, not
 * only the leader: a compiler or shell that make started may still be
 * finishing a system call (creating a file in a temporary tree) after make
 * itself is gone, and the caller removes that tree next. We are the
 * children's subreaper, so the orphans of the group are ours to wait for.
 * Async-signal-safe. */
static void drain_group(pid_t pid)
{
    kill(-pid, SIGKILL);
    while (waitpid(-pid, NULL, 0) >= 0 || errno == EINTR)
        ;
}

static void stop_running(int sig)
{
    (void)sig;
    for (int i = 0; i < MAX_RUNNING; i++) {
        pid_t pid = running[i];
        if (pid <= 0)
            continue;
        kill(pid, SIGKILL);   /* in case it has not made its group yet */
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        drain_group(pid);
        running[i] = 0;
    }
}

static void track(pid_t pid, pid_t old)
{
    for (int i = 0; i < MAX_RUNNING; i++)
        if (running[i] == old) {
            running[i] = pid;
            return;
        }
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child_exec(const struct spawn_opts *o, int out_fd, int err_fd, pid_t parent)
{
    int e;
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent || setpgid(0, 0) < 0)
        _exit(127);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
        dup2(out_fd, STDERR_FILENO) < 0)
        goto fail;
    /* Our other descriptors (a caller's, a test harness's) are not the
     * child's business; the error pipe stays open until exec. */
    close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    if (o->cwd && chdir(o->cwd) < 0)
        goto fail;
    if (o->nice) {
        errno = 0;
        if (nice(o->nice) == -1 && errno)
            goto fail;
    }
    execvpe(o->argv[0], (char *const *)o->argv, o->envp ? (char *const *)o->envp : environ);
fail:
    e = errno;
    if (write(err_fd, &e, sizeof(e)) < 0)
        _exit(127);
    _exit(127);
}

/* Wait for pid, killing it (TERM, then KILL after a grace period) and
 * what it started when kill_it is set. */
static int reap(pid_t pid, bool kill_it)
{
    int status = 0;
    bool reaped = false;
    if (kill_it) {
        kill(-pid, SIGTERM);
        /* A 2 s grace period, polled from 1 ms up to 50 ms: QEMU exits a
         * few ms after SIGTERM, and `guestimg boot` stops it at the
         * marker, so a first 50 ms sleep was 2% of a boot. */
        long step_ms = 1;
        for (long waited = 0; waited < 2000 && !(reaped = waitpid(pid, &status, WNOHANG) == pid);
             waited += step_ms, step_ms = step_ms < 50 ? step_ms * 2 : 50) {
            struct timespec ts = {0, step_ms * 1000000};
            nanosleep(&ts, NULL);
        }
        if (!reaped)
            kill(-pid, SIGKILL);
    }
    while (!reaped && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (kill_it)
        drain_group(pid);
    track(0, pid);
    return status;
}

/* Pass the child's output to the callback until EOF, the deadline, or the
 * callback has seen enough. */
static void pump_output(int fd, const struct spawn_opts *o, uint64_t deadline, struct spawn_result *res)
{
    char buf[8192];
    for (;;) {
        int wait_ms = -1;
        if (deadline) {
            uint64_t now = now_ms();
            if (now >= deadline) {
                res->timed_out = true;
                return;
            }
            wait_ms = (int)MIN(deadline - now, (uint64_t)60000);
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, wait_ms);
        if (r < 0 && errno != EINTR)
            return;
        if (r <= 0)
            continue;
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            return;
        if (o->on_output && o->on_output(buf, (size_t)n, o->ctx)) {
            res->stopped = true;
            return;
        }
    }
}

static int start_error(const char *prog, int e)
{
    if (e == ENOENT)
        return err_set(-ENOENT, strchr(prog, '/') ? "%s: not found" : "%s: not found in PATH", prog);
    return err_sys(-e, "cannot run %s", prog);
}

int spawn_run(const struct spawn_opts *o, struct spawn_result *res)
{
    int out[2], errp[2];
    memset(res, 0, sizeof(*res));
    if (pipe2(out, O_CLOEXEC) < 0)
        return err_sys(-errno, "cannot run %s: pipe", o->argv[0]);
    if (pipe2(errp, O_CLOEXEC) < 0) {
        int e = errno;
        close(out[0]);
        close(out[1]);
        return err_sys(-e, "cannot run %s: pipe", o->argv[0]);
    }
    uint64_t deadline = o->timeout_ms ? now_ms() + o->timeout_ms : 0;
    pid_t parent = getpid();
    cleanup_on_signal(stop_running);
    prctl(PR_SET_CHILD_SUBREAPER, 1);   /* see kill_group() */
    sigset_t old;
    fatal_signals_hold(&old);   /* until the child is tracked: no signal may miss it */
    pid_t pid = fork();
    if (pid == 0) {
        /* the parent's cleanup handler is not the child's */
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        fatal_signals_release(&old);
        child_exec(o, out[1], errp[1], parent);
    }
    int fork_errno = errno;
    if (pid > 0) {
        setpgid(pid, pid);
        track(pid, 0);
    }
    fatal_signals_release(&old);
    close(out[1]);
    close(errp[1]);
    if (pid < 0) {
        close(out[0]);
        close(errp[0]);
        return err_sys(-fork_errno, "cannot run %s: fork", o->argv[0]);
    }
    int exec_errno = 0;
    ssize_t n;
    while ((n = read(errp[0], &exec_errno, sizeof(exec_errno))) < 0 && errno == EINTR)
        ;
    close(errp[0]);
    if (n == (ssize_t)sizeof(exec_errno)) {
        close(out[0]);
        reap(pid, false);
        return start_error(o->argv[0], exec_errno);
    }
    pump_output(out[0], o, deadline, res);
    close(out[0]);
    int status = reap(pid, res->timed_out || res->stopped);
    if (WIFEXITED(status)) {
        res->exit_code = WEXITSTATUS(status);
    } else {
        res->exit_code = -1;
        res->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
    return 0;
}

const char *spawn_describe(const struct spawn_result *res, char *buf, size_t len)
{
    if (res->timed_out)
        snprintf(buf, len, "timed out");
    else if (res->stopped)
        snprintf(buf, len, "stopped");
    else if (res->signal)
        snprintf(buf, len, "killed by signal %d (%s)", res->signal, strsignal(res->signal));
    else
        snprintf(buf, len, "exit status %d", res->exit_code);
    return buf;
}

static bool collect(const char *buf, size_t len, void *ctx)
{
    sb_add(ctx, buf, len);
    return false;
}

int spawn_capture(const char *const *argv, const char *const *envp, char **out)
{
    struct strbuf sb = STRBUF_INIT;
    struct spawn_opts o = {.argv = argv, .envp = envp, .on_output = collect, .ctx = &sb};
    struct spawn_result res;
    int r = spawn_run(&o, &res);
    if (r < 0) {
        sb_release(&sb);
        return r;
    }
    char *text = sb_detach(&sb);
    if (res.exit_code != 0) {
        char how[64];
        size_t first = strcspn(text, "\n");
        r = err_set(-EIO, "%s failed (%s): %.*s", argv[0], spawn_describe(&res, how, sizeof(how)),
                    (int)MIN(first, (size_t)200), text);
        free(text);
        return r;
    }
    *out = text;
    return 0;
}
