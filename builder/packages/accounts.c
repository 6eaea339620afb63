/* /etc/passwd, group, shadow, gshadow: read from the tree, merged with the
 * manifest's accounts, written back sorted. */
#include "builder/packages/accounts.h"
#include "builder/fs/tree.h"
#include "common/err.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>

#define MAX_ACCOUNT_FILE (8u << 20)

static const char *const files[] = {"/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow"};

/* A regular file of the tree as text; *text NULL when absent. */
static int tree_read_text(struct tree *t, const char *path, char **text)
{
    *text = NULL;
    struct tree_node *n = tree_lookup(t, path);
    if (!n)
        return 0;
    if (n->hardlink)
        n = n->hardlink;
    if (n->type != TREE_REG)
        return err_set(-EINVAL, "%s in the image is not a regular file", path);
    if (n->size > MAX_ACCOUNT_FILE)
        return err_set(-EFBIG, "%s in the image is larger than %u bytes", path, MAX_ACCOUNT_FILE);
    struct tree_reader *r;
    int rc = tree_reader_open(t, n, &r);
    if (rc < 0)
        return rc;
    char *buf = xmalloc(n->size + 1);
    size_t len = 0;
    ssize_t got;
    while ((got = tree_reader_read(r, buf + len, n->size - len)) > 0)
        len += (size_t)got;
    tree_reader_close(r);
    if (got < 0) {
        free(buf);
        return (int)got;
    }
    buf[len] = 0;
    if (strlen(buf) != len) {
        free(buf);
        return err_set(-EINVAL, "%s in the image contains NUL bytes", path);
    }
    *text = buf;
    return 0;
}

/* Split line at ':' into exactly n fields (in place). */
static bool split(char *line, char **f, int n)
{
    int k = 0;
    f[k++] = line;
    for (char *p = line; *p; p++)
        if (*p == ':') {
            if (k == n)
                return false;
            *p = 0;
            f[k++] = p + 1;
        }
    return k == n;
}

static int parse_id(const char *s, uint32_t *id)
{
    return *s >= '0' && *s <= '9' ? parse_u32(s, id) : -EINVAL;
}

/* Text that stays one field of one line: no ':' separator, no newline or
 * other control byte (a shell of "/bin/sh\nevil::0:0::/:/bin/sh" would add
 * an account). */
static bool field_ok(const char *s)
{
    for (; s && *s; s++)
        if (*s == ':' || (unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

static struct account_user *find_user(const struct accounts *a, const char *name)
{
    for (size_t i = 0; i < a->nusers; i++)
        if (!strcmp(a->users[i].name, name))
            return &a->users[i];
    return NULL;
}

static struct account_group *find_group(const struct accounts *a, const char *name)
{
    for (size_t i = 0; i < a->ngroups; i++)
        if (!strcmp(a->groups[i].name, name))
            return &a->groups[i];
    return NULL;
}

/* One line of file k (0 passwd, 1 group, 2 shadow, 3 gshadow). */
static int parse_line(struct accounts *a, int k, char *line, int lineno)
{
    static const int nfields[] = {7, 4, 2, 2};
    char *f[7];
    /* shadow lines are "name:rest": split at the first colon only */
    char *colon = k >= 2 ? strchr(line, ':') : NULL;
    if (k >= 2 && colon) {
        *colon = 0;
        f[0] = line;
        f[1] = colon + 1;
    } else if (k >= 2 || !split(line, f, nfields[k])) {
        return err_set(-EINVAL, "%s in the image, line %d: expected %d ':'-separated fields", files[k], lineno,
                       nfields[k]);
    }
    if (!*f[0])
        return err_set(-EINVAL, "%s in the image, line %d: empty name", files[k], lineno);
    uint32_t id, gid;
    if (k == 0) {
        if (parse_id(f[2], &id) < 0 || parse_id(f[3], &gid) < 0)
            return err_set(-EINVAL, "%s in the image, line %d: bad uid or gid", files[k], lineno);
        a->users = xrealloc(a->users, (a->nusers + 1) * sizeof(*a->users));
        a->users[a->nusers++] = (struct account_user){xstrdup(f[0]), xstrdup(f[4]), xstrdup(f[5]), xstrdup(f[6]),
                                                      id, gid, NULL};
    } else if (k == 1) {
        if (parse_id(f[2], &id) < 0)
            return err_set(-EINVAL, "%s in the image, line %d: bad gid", files[k], lineno);
        a->groups = xrealloc(a->groups, (a->ngroups + 1) * sizeof(*a->groups));
        a->groups[a->ngroups++] = (struct account_group){xstrdup(f[0]), id, xstrdup(f[3]), NULL};
    } else if (k == 2) {
        struct account_user *u = find_user(a, f[0]);
        if (u && !u->shadow)
            u->shadow = xstrdup(f[1]);
    } else {
        struct account_group *g = find_group(a, f[0]);
        if (g && !g->gshadow)
            g->gshadow = xstrdup(f[1]);
    }
    return 0;
}

int accounts_load(struct tree *t, struct accounts *a)
{
    memset(a, 0, sizeof(*a));
    for (int k = 0; k < 4; k++) {
        char *text;
        int r = tree_read_text(t, files[k], &text);
        if (r < 0) {
            accounts_free(a);
            return r;
        }
        if (k == 3)
            a->have_gshadow = text != NULL;
        else if (text)
            a->have_files = true;
        int lineno = 0;
        for (char *line = text, *next; line && *line; line = next) {
            next = strchr(line, '\n');
            if (next)
                *next++ = 0;
            lineno++;
            if (!*line)
                continue;
            if ((r = parse_line(a, k, line, lineno)) < 0)
                break;
        }
        free(text);
        if (r < 0) {
            accounts_free(a);
            return r;
        }
    }
    return 0;
}

static void add_member(struct account_group *g, const char *user)
{
    for (const char *p = g->members; *p;) {
        size_t n = strcspn(p, ",");
        if (n == strlen(user) && !strncmp(p, user, n))
            return;
        p += n + (p[n] == ',');
    }
    char *m = *g->members ? xasprintf("%s,%s", g->members, user) : xstrdup(user);
    free(g->members);
    g->members = m;
}

int accounts_merge(struct accounts *a, const struct manifest *m)
{
    for (size_t i = 0; i < m->ngroups; i++) {
        const struct manifest_group *mg = &m->groups[i];
        for (size_t k = 0; k < a->ngroups; k++)
            if (a->groups[k].gid == mg->gid && strcmp(a->groups[k].name, mg->name))
                return err_set(-EEXIST, "%s: accounts: gid %u of group '%s' is already the gid of group '%s'",
                               m->path, mg->gid, mg->name, a->groups[k].name);
        if (!field_ok(mg->name))
            return err_set(-EINVAL, "%s: accounts: group name '%s' contains ':' or a control character", m->path,
                           mg->name);
        struct account_group *g = find_group(a, mg->name);
        if (!g) {
            a->groups = xrealloc(a->groups, (a->ngroups + 1) * sizeof(*a->groups));
            g = &a->groups[a->ngroups++];
            *g = (struct account_group){xstrdup(mg->name), 0, xstrdup(""), NULL};
        }
        g->gid = mg->gid;
    }
    for (size_t i = 0; i < m->nusers; i++) {
        const struct manifest_user *mu = &m->users[i];
        for (size_t k = 0; k < a->nusers; k++)
            if (a->users[k].uid == mu->uid && strcmp(a->users[k].name, mu->name))
                return err_set(-EEXIST, "%s: accounts: uid %u of user '%s' is already the uid of user '%s'", m->path,
                               mu->uid, mu->name, a->users[k].name);
        if (!field_ok(mu->name))
            return err_set(-EINVAL, "%s: accounts: user name '%s' contains ':' or a control character", m->path,
                           mu->name);
        struct account_user *u = find_user(a, mu->name);
        if (!u) {
            a->users = xrealloc(a->users, (a->nusers + 1) * sizeof(*a->users));
            u = &a->users[a->nusers++];
            memset(u, 0, sizeof(*u));
            u->name = xstrdup(mu->name);
        }
        const char *const names[] = {"home", "shell", "gecos"};
        const char *const values[] = {mu->home, mu->shell, mu->gecos};
        for (size_t k = 0; k < ARRAY_SIZE(names); k++)
            if (!field_ok(values[k]))
                return err_set(-EINVAL, "%s: accounts: %s of user '%s' contains ':', a newline or another control "
                               "character", m->path, names[k], mu->name);
        free(u->gecos);
        free(u->home);
        free(u->shell);
        u->gecos = xstrdup(mu->gecos);
        u->home = xstrdup(mu->home);
        u->shell = xstrdup(mu->shell);
        u->uid = mu->uid;
        u->gid = mu->gid;
        for (size_t k = 0; k < mu->ngroups; k++) {
            struct account_group *g = find_group(a, mu->groups[k]);
            if (!g)
                return err_set(-ENOENT, "%s: accounts: user '%s' is in group '%s', which no package or manifest "
                               "entry defines", m->path, mu->name, mu->groups[k]);
            add_member(g, mu->name);
        }
    }
    return 0;
}

static int cmp_user(const void *x, const void *y)
{
    const struct account_user *a = *(struct account_user *const *)x, *b = *(struct account_user *const *)y;
    return a->uid != b->uid ? (a->uid < b->uid ? -1 : 1) : strcmp(a->name, b->name);
}

static int cmp_group(const void *x, const void *y)
{
    const struct account_group *a = *(struct account_group *const *)x, *b = *(struct account_group *const *)y;
    return a->gid != b->gid ? (a->gid < b->gid ? -1 : 1) : strcmp(a->name, b->name);
}

/* Replace path in the tree with text, keeping an existing file's mode and
 * owner. */
static int put_file(struct tree *t, const char *path, char *text, uint32_t mode)
{
    struct tree_attr attr = {.mode = mode, .origin = "accounts"};
    struct tree_node *old = tree_lookup(t, path);
    if (old && old->hardlink)
        old = old->hardlink;
    if (old) {
        attr.mode = old->mode;
        attr.uid = old->uid;
        attr.gid = old->gid;
        attr.mtime = old->mtime;
    }
    int r = tree_remove(t, path);
    if (r == 0)
        r = tree_add_file_buffer(t, path, text, strlen(text), &attr);
    free(text);
    return r;
}

int accounts_write(struct tree *t, const struct accounts *a, int64_t epoch)
{
    if (!a->have_files && !a->nusers && !a->ngroups)
        return 0;
    struct account_user **u = xcalloc(a->nusers + 1, sizeof(*u));
    struct account_group **g = xcalloc(a->ngroups + 1, sizeof(*g));
    for (size_t i = 0; i < a->nusers; i++)
        u[i] = &a->users[i];
    for (size_t i = 0; i < a->ngroups; i++)
        g[i] = &a->groups[i];
    qsort(u, a->nusers, sizeof(*u), cmp_user);
    qsort(g, a->ngroups, sizeof(*g), cmp_group);
    struct strbuf pw = STRBUF_INIT, gr = STRBUF_INIT, sh = STRBUF_INIT, gs = STRBUF_INIT;
    long long days = (long long)(epoch / 86400);
    for (size_t i = 0; i < a->nusers; i++) {
        sb_printf(&pw, "%s:x:%u:%u:%s:%s:%s\n", u[i]->name, u[i]->uid, u[i]->gid, u[i]->gecos, u[i]->home,
                  u[i]->shell);
        if (u[i]->shadow)
            sb_printf(&sh, "%s:%s\n", u[i]->name, u[i]->shadow);
        else
            sb_printf(&sh, "%s:!*:%lld::::::\n", u[i]->name, days);
    }
    for (size_t i = 0; i < a->ngroups; i++) {
        sb_printf(&gr, "%s:x:%u:%s\n", g[i]->name, g[i]->gid, g[i]->members);
        if (g[i]->gshadow)
            sb_printf(&gs, "%s:%s\n", g[i]->name, g[i]->gshadow);
        else
            sb_printf(&gs, "%s:!::%s\n", g[i]->name, g[i]->members);
    }
    free(u);
    free(g);
    int r = put_file(t, "/etc/passwd", sb_detach(&pw), 0644);
    if (r == 0)
        r = put_file(t, "/etc/group", sb_detach(&gr), 0644);
    if (r == 0)
        r = put_file(t, "/etc/shadow", sb_detach(&sh), 0);
    if (r == 0 && a->have_gshadow)
        r = put_file(t, "/etc/gshadow", sb_detach(&gs), 0);
    sb_release(&pw);
    sb_release(&gr);
    sb_release(&sh);
    sb_release(&gs);
    return r;
}

void accounts_free(struct accounts *a)
{
    for (size_t i = 0; i < a->nusers; i++) {
        free(a->users[i].name);
        free(a->users[i].gecos);
        free(a->users[i].home);
        free(a->users[i].shell);
        free(a->users[i].shadow);
    }
    free(a->users);
    for (size_t i = 0; i < a->ngroups; i++) {
        free(a->groups[i].name);
        free(a->groups[i].members);
        free(a->groups[i].gshadow);
    }
    free(a->groups);
    memset(a, 0, sizeof(*a));
}

/* A decimal id, root's name, or a name found (with its id at *found). */
static int name_to_id(const char *name, const uint32_t *found, uint32_t *id)
{
    if (parse_id(name, id) == 0)
        return 0;
    if (!strcmp(name, "root"))
        *id = 0;
    else if (found)
        *id = *found;
    else
        return -ENOENT;
    return 0;
}

int accounts_uid(const struct accounts *a, const char *name, uint32_t *uid)
{
    const struct account_user *u = find_user(a, name);
    return name_to_id(name, u ? &u->uid : NULL, uid);
}

int accounts_gid(const struct accounts *a, const char *name, uint32_t *gid)
{
    const struct account_group *g = find_group(a, name);
    return name_to_id(name, g ? &g->gid : NULL, gid);
}
