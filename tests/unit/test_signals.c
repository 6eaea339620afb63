/* An interrupted command (SIGINT, SIGTERM) stops the programs it runs with
 * everything they started (common/spawn: each child its own process
 * group), says so through its hooks, and removes its temporary paths
 * (common/fileio), before it dies of the signal. */
#include "common/spawn.h"
#include "common/fileio.h"
#include "common/util.h"
#include "harness.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[] = "/tmp/guestimg-test-signals-XXXXXX";

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Gone, or a zombie waiting for whoever adopted it: either way it runs no more. */
static bool stopped(pid_t pid)
{
    char path[64], state = 0;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return true;
    int n = fscanf(f, "%*d (%*[^)]) %c", &state);
    fclose(f);
    return n == 1 && (state == 'Z' || state == 'X');
}

static void mark_hook(int sig)
{
    char path[sizeof(dir) + 16];
    snprintf(path, sizeof(path), "%s/hook", dir);
    FILE *f = fopen(path, "w");   /* a test: not async-signal-safe, but nothing else runs */
    if (f) {
        fprintf(f, "%d\n", sig);
        fclose(f);
    }
}

/* The command: a temporary directory, and a shell that starts a sleep in
 * the background and waits (as make starts compilers). */
static void command(const char *tmp, const char *pids)
{
    fileio_install_signal_cleanup();
    cleanup_on_signal(mark_hook);
    cleanup_register(tmp);
    char script[512];
    snprintf(script, sizeof(script), "sleep 60 & echo $! > %s.new; echo $$ >> %s.new; mv %s.new %s; wait", pids,
             pids, pids, pids);
    const char *argv[] = {"sh", "-c", script, NULL};
    struct spawn_opts o = {.argv = argv};
    struct spawn_result res;
    spawn_run(&o, &res);
    _exit(0);
}

static void interrupt_with(int sig)
{
    char tmp[sizeof(dir) + 16], pids[sizeof(dir) + 16], hook[sizeof(dir) + 16];
    snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
    snprintf(pids, sizeof(pids), "%s/pids", dir);
    snprintf(hook, sizeof(hook), "%s/hook", dir);
    unlink(pids);
    unlink(hook);
    CHECK_EQ_INT(mkdir(tmp, 0755), 0);
    pid_t cmd = fork();
    CHECK(cmd >= 0);
    if (cmd == 0)
        command(tmp, pids);
    FILE *f = NULL;
    for (int i = 0; i < 400 && !f; i++) {
        sleep_ms(25);
        f = fopen(pids, "r");
    }
    CHECK(f);
    int sleeper = 0, shell = 0;
    CHECK_EQ_INT(fscanf(f, "%d %d", &sleeper, &shell), 2);
    fclose(f);
    CHECK(!stopped(sleeper) && !stopped(shell));
    CHECK_EQ_INT(kill(cmd, sig), 0);
    int status;
    CHECK_EQ_INT(waitpid(cmd, &status, 0), cmd);
    /* the command died of the signal, after its cleanup */
    CHECK(WIFSIGNALED(status));
    CHECK_EQ_INT(WTERMSIG(status), sig);
    CHECK(access(tmp, F_OK) < 0 && errno == ENOENT);
    f = fopen(hook, "r");
    CHECK(f);
    int seen = 0;
    CHECK_EQ_INT(fscanf(f, "%d", &seen), 1);
    fclose(f);
    CHECK_EQ_INT(seen, sig);
    /* the shell it ran and the sleep the shell started: both stopped */
    for (int i = 0; i < 100 && !(stopped(sleeper) && stopped(shell)); i++)
        sleep_ms(20);
    CHECK(stopped(shell));
    CHECK(stopped(sleeper));
}

TEST(setup)
{
    CHECK(mkdtemp(dir));
}

TEST(sigterm_stops_children_and_what_they_started)
{
    interrupt_with(SIGTERM);
}

TEST(sigint_stops_children_and_what_they_started)
{
    interrupt_with(SIGINT);
}

TEST(cleanup)
{
    CHECK_EQ_INT(rm_rf(dir), 0);
}
