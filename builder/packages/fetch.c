/* libcurl downloads with retries, and the content-addressed cache. */
#include "builder/packages/fetch.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hash.h"
#include "common/hex.h"
#include "common/log.h"
#include "common/util.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ATTEMPTS 4
#define FIRST_DELAY_MS 500

struct fetcher {
    char *cache_dir;
    CURL *curl;          /* reused: keeps connections to the same server alive */
    char errbuf[CURL_ERROR_SIZE];
};

char *fetch_default_cache_dir(void)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg == '/')
        return xasprintf("%s/guestimg", xdg);
    if (home && *home == '/')
        return xasprintf("%s/.cache/guestimg", home);
    err_set(-EINVAL, "no cache directory: set XDG_CACHE_HOME or HOME, or pass --cache DIR");
    return NULL;
}

struct fetcher *fetcher_new(const char *cache_dir)
{
    static bool curl_ready;
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            err_set(-EIO, "cannot initialise libcurl");
            return NULL;
        }
        curl_ready = true;
    }
    char *dir = cache_dir ? xstrdup(cache_dir) : fetch_default_cache_dir();
    if (!dir)
        return NULL;
    struct fetcher *f = xcalloc(1, sizeof(*f));
    f->cache_dir = dir;
    f->curl = curl_easy_init();
    if (!f->curl) {
        fetcher_free(f);
        err_set(-EIO, "cannot initialise libcurl");
        return NULL;
    }
    return f;
}

void fetcher_free(struct fetcher *f)
{
    if (!f)
        return;
    if (f->curl)
        curl_easy_cleanup(f->curl);
    free(f->cache_dir);
    free(f);
}

/* ---------------------------------------------------------- transfers --- */

/* Where received bytes go: a file (hashed on the way) or memory. */
struct sink {
    int fd;
    EVP_MD_CTX *md;
    uint8_t *buf;
    size_t len, cap;
    uint64_t max;        /* 0: unbounded */
    uint64_t received;
    bool too_big;
    int write_error;     /* errno */
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *user)
{
    struct sink *s = user;
    size_t n = size * nmemb;
    if (s->max && s->received + n > s->max) {
        s->too_big = true;
        return 0;
    }
    s->received += n;
    if (s->fd >= 0) {
        for (size_t done = 0; done < n;) {
            ssize_t w = write(s->fd, data + done, n - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                s->write_error = errno;
                return 0;
            }
            done += (size_t)w;
        }
        EVP_DigestUpdate(s->md, data, n);
        return n;
    }
    if (s->len + n > s->cap) {
        s->cap = MAX(s->cap * 2, s->len + n);
        s->buf = xrealloc(s->buf, s->cap + 1);
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    return n;
}

/* What curl --retry calls transient (timeouts, HTTP 408, 429, 5xx), and
 * connections dropped mid-transfer. A refused connection or an unknown
 * host is an answer, not a hiccup: reported at once. */
static bool transient(CURLcode rc, long http)
{
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
        return true;
    case CURLE_HTTP_RETURNED_ERROR:
        return http == 408 || http == 429 || http >= 500;
    default:
        return false;
    }
}

/* Undo what a failed attempt wrote, so that the next one starts clean. */
static int sink_reset(struct sink *s, const char *url)
{
    s->received = 0;
    s->len = 0;
    if (s->fd < 0)
        return 0;
    EVP_DigestInit_ex(s->md, EVP_MD_CTX_get0_md(s->md), NULL);
    if (ftruncate(s->fd, 0) < 0 || lseek(s->fd, 0, SEEK_SET) < 0)
        return err_sys(-errno, "%s: cannot rewind the download", url);
    return 0;
}

static int transfer(struct fetcher *f, const char *url, struct sink *s)
{
    CURL *c = f->curl;
    long delay_ms = FIRST_DELAY_MS;
    for (int attempt = 1;; attempt++) {
        int r = sink_reset(s, url);
        if (r < 0)
            return r;
        curl_easy_reset(c);
        f->errbuf[0] = 0;
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "file,http,https");
        curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
        curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
        /* a stalled transfer (under 1 KiB/s for a minute) is a failure */
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "guestimg/" GUESTIMG_VERSION);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, f->errbuf);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
        if (s->max)
            curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s->max);
        CURLcode rc = curl_easy_perform(c);
        long http = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &http);
        if (rc == CURLE_OK)
            return 0;
        if (s->write_error)
            return err_sys(-s->write_error, "%s: cannot store the download", url);
        if (s->too_big || rc == CURLE_FILESIZE_EXCEEDED)
            return err_set(-EFBIG, "%s: larger than the %llu bytes expected", url, (unsigned long long)s->max);
        char why[CURL_ERROR_SIZE + 32];
        if (rc == CURLE_HTTP_RETURNED_ERROR)
            snprintf(why, sizeof(why), "HTTP %ld", http);
        else
            snprintf(why, sizeof(why), "%s", f->errbuf[0] ? f->errbuf : curl_easy_strerror(rc));
        if (!transient(rc, http) || attempt == ATTEMPTS) {
            char tries[32] = "";
            if (attempt > 1)
                snprintf(tries, sizeof(tries), " (after %d attempts)", attempt);
            if (rc == CURLE_FILE_COULDNT_READ_FILE)
                return err_set(-ENOENT, "%s: no such file", url);
            return err_set(rc == CURLE_HTTP_RETURNED_ERROR && http == 404 ? -ENOENT : -EIO, "%s: %s%s", url, why,
                           tries);
        }
        log_warn("%s: %s; retrying in %ld ms", url, why, delay_ms);
        struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
            ;
        delay_ms *= 2;
    }
}

int fetch_memory(struct fetcher *f, const char *url, size_t max, uint8_t **buf, size_t *len)
{
    struct sink s = {.fd = -1, .max = max};
    int r = transfer(f, url, &s);
    if (r < 0) {
        free(s.buf);
        return r;
    }
    if (!s.buf)
        s.buf = xmalloc(1);
    s.buf[s.len] = 0;
    *buf = s.buf;
    *len = s.len;
    return 0;
}

/* ------------------------------------------------------------- digests --- */

static int digest_fd(int fd, const char *alg, const char *what, char *hex)
{
    uint8_t d[EVP_MAX_MD_SIZE];
    size_t dlen;
    int r = hash_fd(fd, alg, what, d, &dlen, NULL);
    if (r == 0)
        hex_encode(d, dlen, hex);
    return r;
}

/* what names the file or URL the digest is for, in messages. */
static const EVP_MD *digest_by_name(const char *alg, const char *hex, const char *what)
{
    const EVP_MD *md = NULL;
    if (!strcmp(alg, "sha256") || !strcmp(alg, "sha512") || !strcmp(alg, "sha384") || !strcmp(alg, "sha1"))
        md = EVP_get_digestbyname(alg);
    if (!md) {
        err_set(-EINVAL, "%s: unsupported digest algorithm '%s'", what, alg);
        return NULL;
    }
    size_t want = 2 * (size_t)EVP_MD_get_size(md);
    uint8_t tmp[EVP_MAX_MD_SIZE];
    if (strlen(hex) != want || hex_decode(hex, tmp, sizeof(tmp)) != EVP_MD_get_size(md)) {
        err_set(-EINVAL, "%s: '%s' is not a %s digest", what, hex, alg);
        return NULL;
    }
    return md;
}

static int mismatch(const char *what, const char *alg, const char *want, const char *have)
{
    return err_set(-EBADMSG, "%s: %s mismatch: expected %s, got %s", what, alg, want, have);
}

int open_verified(const char *path, const char *alg, const char *hex, int *fd_out)
{
    const EVP_MD *md = digest_by_name(alg, hex, path);
    if (!md)
        return -EINVAL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_sys(-errno, "%s: cannot open", path);
    char have[2 * EVP_MAX_MD_SIZE + 1];
    int r = digest_fd(fd, alg, path, have);
    if (r == 0 && strcasecmp(have, hex))
        r = mismatch(path, alg, hex, have);
    if (r < 0) {
        close(fd);
        return r;
    }
    *fd_out = fd;
    return 0;
}

int fetch_verified(struct fetcher *f, const char *url, const char *alg, const char *hex, uint64_t size, int *fd_out,
                   char **path_out)
{
    const EVP_MD *md = digest_by_name(alg, hex, url);
    if (!md)
        return -EINVAL;
    char lower[2 * EVP_MAX_MD_SIZE + 1];
    size_t hl = strlen(hex);
    for (size_t i = 0; i <= hl; i++)
        lower[i] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] + 32 : hex[i]);
    _cleanup_free_ char *dir = xasprintf("%s/%s/%.2s", f->cache_dir, alg, lower);
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, lower);

    /* Cached: hashed again, and dropped if it no longer matches. */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char have[2 * EVP_MAX_MD_SIZE + 1];
        int r = digest_fd(fd, alg, path, have);
        if (r == 0 && !strcmp(have, lower)) {
            *fd_out = fd;
            if (path_out)
                *path_out = xstrdup(path);
            return 0;
        }
        close(fd);
        if (r < 0)
            return r;
        log_warn("%s: cached file is damaged; downloading it again", path);
        unlink(path);
    }

    int r = mkdir_p(dir, 0755);
    if (r < 0)
        return r;
    _cleanup_free_ char *tmp = xasprintf("%s/.download-XXXXXX", dir);
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return err_sys(-errno, "%s: cannot create a file in the cache", dir);
    cleanup_register(tmp);
    struct sink s = {.fd = fd, .md = EVP_MD_CTX_new(), .max = size};
    EVP_DigestInit_ex(s.md, md, NULL);
    r = transfer(f, url, &s);
    if (r == 0) {
        uint8_t d[EVP_MAX_MD_SIZE];
        unsigned dlen = 0;
        char have[2 * EVP_MAX_MD_SIZE + 1];
        EVP_DigestFinal_ex(s.md, d, &dlen);
        hex_encode(d, dlen, have);
        if (strcmp(have, lower))
            r = mismatch(url, alg, lower, have);
    }
    EVP_MD_CTX_free(s.md);
    if (r == 0 && (fchmod(fd, 0644) < 0 || lseek(fd, 0, SEEK_SET) < 0 || rename(tmp, path) < 0))
        r = err_sys(-errno, "%s: cannot store in the cache", path);
    if (r < 0) {
        close(fd);
        unlink(tmp);
        cleanup_unregister(tmp);
        return r;
    }
    cleanup_unregister(tmp);
    /* the file was written through this fd: it is the bytes just hashed */
    *fd_out = fd;
    if (path_out)
        *path_out = xstrdup(path);
    return 0;
}
