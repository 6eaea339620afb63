/* Downloads (libcurl: file://, http://, https://) and the content-addressed
 * cache. Transient failures (timeouts, dropped connections, HTTP 408, 429,
 * 5xx) are retried with backoff; anything else fails at once
 * with the URL and the reason ("…/repomd.xml: HTTP 404").
 *
 * The cache holds files by digest: CACHE/<alg>/<first 2 hex>/<hex>. A file
 * is hashed while it downloads and renamed into place only when its digest
 * is the expected one; a cached file is hashed again before it is handed
 * out, so nothing is ever opened for parsing unchecked. */
#ifndef GUESTIMG_FETCH_H
#define GUESTIMG_FETCH_H

#include <stddef.h>
#include <stdint.h>

struct fetcher;

/* cache_dir NULL: fetch_default_cache_dir(). Nothing is created until a
 * file is stored. NULL on error (message set). */
struct fetcher *fetcher_new(const char *cache_dir);
void fetcher_free(struct fetcher *f);

/* $XDG_CACHE_HOME/guestimg, else $HOME/.cache/guestimg; NULL (message set)
 * when neither is set. Allocated. */
char *fetch_default_cache_dir(void);

/* A whole resource into memory (repomd.xml, its signature), at most max
 * bytes. A missing resource is -ENOENT (message set). */
int fetch_memory(struct fetcher *f, const char *url, size_t max, uint8_t **buf, size_t *len);

/* A resource of known digest (alg: "sha256", "sha512", "sha1"), through
 * the cache. size, when non-zero, bounds the download. On success *fd is
 * open for reading at offset 0 on bytes whose digest was just checked;
 * *path (optional) receives the cache path. */
int fetch_verified(struct fetcher *f, const char *url, const char *alg, const char *hex, uint64_t size, int *fd,
                   char **path);

/* Open a local file and check its digest before anyone reads it. */
int open_verified(const char *path, const char *alg, const char *hex, int *fd);

#endif
