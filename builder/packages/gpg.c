/* gpgv as a subprocess: write the keyring (de-armored: gpgv reads binary
 * keyrings only), the data and the signature into a private directory, run
 * gpgv --status-fd and read its machine-readable status lines. */
#include "builder/packages/gpg.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hex.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_KEY_BYTES (1u << 20)

extern char **environ;

/* The binary packets of every armored block in text (lines between the
 * header block's blank line and the "=CRC" or END line). */
static int dearmor(const char *text, const char *keyfile, uint8_t **out, size_t *outlen)
{
    struct strbuf bin = STRBUF_INIT;
    const char *p = text;
    int blocks = 0;
    while ((p = strstr(p, "-----BEGIN PGP PUBLIC KEY BLOCK-----"))) {
        p = strchr(p, '\n');
        /* armor headers ("Version: …") end at the first empty line */
        while (p && p[1] && p[1] != '\n' && !(p[1] == '\r' && p[2] == '\n'))
            p = strchr(p + 1, '\n');
        if (!p)
            break;
        p = strchr(p + 1, '\n');
        struct strbuf b64 = STRBUF_INIT;
        while (p && *++p && *p != '=' && *p != '-') {
            const char *eol = strchrnul(p, '\n');
            for (const char *c = p; c < eol; c++)
                if (*c != '\r' && *c != ' ')
                    sb_add(&b64, c, 1);
            p = *eol ? eol : NULL;
        }
        char *s = sb_detach(&b64);
        size_t cap = strlen(s) / 4 * 3 + 3;
        uint8_t *dec = xmalloc(cap);
        int n = base64_decode(s, dec, cap);
        free(s);
        if (n <= 0) {
            free(dec);
            sb_release(&bin);
            return err_set(-EINVAL, "%s: malformed ASCII-armored key block", keyfile);
        }
        sb_add(&bin, dec, (size_t)n);
        free(dec);
        blocks++;
        if (!p)
            break;
    }
    if (!blocks) {
        sb_release(&bin);
        return err_set(-EINVAL, "%s: no OpenPGP public key block in it", keyfile);
    }
    *outlen = bin.len;
    *out = (uint8_t *)sb_detach(&bin);
    return 0;
}

/* A binary keyring from keyfile, armored or not. */
static int load_keyring(const char *keyfile, uint8_t **out, size_t *len)
{
    uint8_t *raw;
    size_t n;
    int r = file_read_all(keyfile, &raw, &n, MAX_KEY_BYTES);
    if (r < 0)
        return r;
    if (n && (raw[0] & 0x80)) { /* an OpenPGP packet tag: already binary */
        *out = raw;
        *len = n;
        return 0;
    }
    r = dearmor((const char *)raw, keyfile, out, len);
    free(raw);
    return r;
}

/* Run gpgv; its status lines go to *status. Returns its exit status, or
 * a negative error. */
static int run_gpgv(const char *home, const char *keyring, const char *sig, const char *data, char **status)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return err_sys(-errno, "cannot create a pipe for gpgv");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    char *argv[] = {"gpgv", "--homedir", (char *)home, "--keyring", (char *)keyring, "--status-fd", "1",
                    (char *)sig, (char *)data, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "gpgv", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    if (rc != 0) {
        close(pipefd[0]);
        return err_set(-rc, "cannot run gpgv (%s): install Debian package gpgv", strerror(rc));
    }
    struct strbuf out = STRBUF_INIT;
    char buf[4096];
    for (;;) {
        ssize_t n = read(pipefd[0], buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (out.len < (1u << 20))
            sb_add(&out, buf, (size_t)n);
    }
    close(pipefd[0]);
    int ws;
    while (waitpid(pid, &ws, 0) < 0)
        if (errno != EINTR) {
            sb_release(&out);
            return err_sys(-errno, "waiting for gpgv");
        }
    *status = sb_detach(&out);
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

static const char *status_line(const char *status, const char *keyword)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "[GNUPG:] %s", keyword);
    for (const char *p = status; (p = strstr(p, pat)); p += strlen(pat))
        if ((p == status || p[-1] == '\n') && (p[strlen(pat)] == ' ' || p[strlen(pat)] == '\n'))
            return p + strlen(pat);
    return NULL;
}

/* First word after a status keyword (the key id). */
static char *status_word(const char *rest)
{
    rest += strspn(rest, " ");
    return xstrndup(rest, strcspn(rest, " \n"));
}

static int judge(const char *status, int exit_code, const char *keyfile, const char *what)
{
    const char *l;
    if (exit_code == 0 && status_line(status, "GOODSIG") && status_line(status, "VALIDSIG"))
        return 0;
    if ((l = status_line(status, "BADSIG"))) {
        _cleanup_free_ char *id = status_word(l);
        return err_set(-EBADMSG, "%s: BAD signature (key %s): the data was altered or signed by someone else", what,
                       id);
    }
    if ((l = status_line(status, "NO_PUBKEY"))) {
        _cleanup_free_ char *id = status_word(l);
        return err_set(-EBADMSG, "%s: signed by key %s, which is not in %s", what, id, keyfile);
    }
    if ((l = status_line(status, "EXPKEYSIG")) || (l = status_line(status, "REVKEYSIG"))) {
        _cleanup_free_ char *id = status_word(l);
        return err_set(-EBADMSG, "%s: signed by an expired or revoked key %s", what, id);
    }
    if (status_line(status, "NODATA") || status_line(status, "ERRSIG"))
        return err_set(-EBADMSG, "%s: the signature file holds no usable OpenPGP signature", what);
    return err_set(-EBADMSG, "%s: signature not verified (gpgv exit status %d)", what, exit_code);
}

/* Scratch files in the private directory: no fsync, no rename needed. */
static int write_scratch(const char *path, const void *buf, size_t len)
{
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return err_sys(-errno, "%s: cannot create", path);
    return write_all(fd, buf, len, path);
}

int gpg_verify_detached(const char *keyfile, const uint8_t *data, size_t len, const uint8_t *sig, size_t siglen,
                        const char *what)
{
    _cleanup_free_ uint8_t *keyring = NULL;
    size_t keylen = 0;
    int r = load_keyring(keyfile, &keyring, &keylen);
    if (r < 0)
        return r;
    const char *tmpdir = getenv("TMPDIR");
    _cleanup_free_ char *home = xasprintf("%s/guestimg-gpgv-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if ((r = mkdtemp_registered(home)) < 0)
        return err_sys(r, "%s: cannot create a temporary directory", home);
    _cleanup_free_ char *kp = xasprintf("%s/keyring.gpg", home);
    _cleanup_free_ char *dp = xasprintf("%s/data", home);
    _cleanup_free_ char *sp = xasprintf("%s/data.sig", home);
    _cleanup_free_ char *status = NULL;
    if ((r = write_scratch(kp, keyring, keylen)) == 0 && (r = write_scratch(dp, data, len)) == 0 &&
        (r = write_scratch(sp, sig, siglen)) == 0) {
        r = run_gpgv(home, kp, sp, dp, &status);
        if (r >= 0)
            r = judge(status, r, keyfile, what);
    }
    rm_rf(home);
    cleanup_unregister(home);
    return r;
}
