/* The image's users and groups: what its packages' /etc/passwd, /etc/group
 * (and /etc/shadow, /etc/gshadow) say, merged with the manifest's
 * `accounts:` — which stand in for the useradd/groupadd calls of package
 * scriptlets, never run here. Written back sorted by id, then name, so the
 * files are the same bytes for the same inputs. Package file owners are
 * resolved by name through it. */
#ifndef GUESTIMG_ACCOUNTS_H
#define GUESTIMG_ACCOUNTS_H

#include "builder/manifest/manifest.h"

#include <stdbool.h>
#include <stdint.h>

struct tree;

struct account_user {
    char *name, *gecos, *home, *shell;
    uint32_t uid, gid;
    char *shadow;        /* the rest of its /etc/shadow line after "name:", or NULL */
};

struct account_group {
    char *name;
    uint32_t gid;
    char *members;       /* comma-separated, as in /etc/group */
    char *gshadow;       /* the rest of its /etc/gshadow line after "name:", or NULL */
};

struct accounts {
    struct account_user *users;
    size_t nusers;
    struct account_group *groups;
    size_t ngroups;
    bool have_files;     /* the packages ship /etc/passwd, group or shadow */
    bool have_gshadow;   /* the packages ship /etc/gshadow: it is written too */
};

/* Read /etc/passwd, group, shadow and gshadow from the tree (absent ones
 * are empty). Malformed lines are errors naming the file and line. */
int accounts_load(struct tree *t, struct accounts *a);
/* Add or replace the manifest's groups and users (a manifest entry wins
 * over a package's of the same name; an id used by two names is an error). */
int accounts_merge(struct accounts *a, const struct manifest *m);
/* Write the four files into the tree (shadow entries the packages did not
 * have get a locked password, last changed at epoch). Nothing is written
 * for an image with no accounts at all (no package files, no manifest
 * accounts). */
int accounts_write(struct tree *t, const struct accounts *a, int64_t epoch);
void accounts_free(struct accounts *a);

/* A user or group name, or a decimal id, to its id. */
int accounts_uid(const struct accounts *a, const char *name, uint32_t *uid);
int accounts_gid(const struct accounts *a, const char *name, uint32_t *gid);

#endif
