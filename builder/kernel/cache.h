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

/* A fresh dir/<entry>.tmp-XXXXXX to build an entry in, registered for
 * removal on SIGINT/SIGTERM (with those signals held off while it is made,
 * so no interruption leaves it behind). Call with the entry's lock held: it
 * first removes the temporaries of builds that died. Sets *tmp (allocated). */
int cache_temp_dir(const char *dir, const char *entry, char **tmp);
/* End a temporary directory: when r is 0 and final is not NULL, rename it
 * to final; otherwise remove it. Returns r, or the rename's error. Frees tmp. */
int cache_temp_finish(char *tmp, const char *final, int r);

#endif
