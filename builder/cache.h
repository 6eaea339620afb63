/* Helpers for caches shared between processes and checkouts: an exclusive
 * lock per entry, and removal of temporaries left by builds that died. */
#ifndef GUESTIMG_CACHE_H
#define GUESTIMG_CACHE_H

struct cache_lock {
    int fd;
};

/* Take an exclusive flock on path (created if needed), waiting for whoever
 * holds it; what names the work for the "waiting" message. */
int cache_lock_take(struct cache_lock *l, const char *path, const char *what);
void cache_lock_release(struct cache_lock *l);

/* Remove dir/<entry>.tmp-* (call with entry's lock held: any such
 * directory belongs to a build that died). */
void cache_sweep_temporaries(const char *dir, const char *entry);

#endif
