/* Kernel profiles, the merged and audited configuration, and the
 * reproducible, cached build. */
#include "builder/kernel/kernel.h"
#include "builder/kernel/cache.h"
#include "common/spawn.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/hash.h"
#include "common/hex.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROFILE_MAX (1u << 20)

/* Bumped when the way a configuration or a build is made changes, so old
 * cache entries are not reused. */
#define CONFIG_RECIPE "guestimg kernel config 1"
#define BUILD_RECIPE "guestimg kernel build 1"

/* --------------------------------------------------------------- profiles --- */

static const char *const base_targets[] = {"tinyconfig", "allnoconfig", "defconfig"};

static bool valid_file_name(const char *s)
{
    if (!*s || s[0] == '.')
        return false;
    for (; *s; s++)
        if (!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') || ('0' <= *s && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

static void strv_push(char ***v, size_t *n, char *s)
{
    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[(*n)++] = s;
}

/* Merge one fragment into the profile's request; a later fragment may
 * change what an earlier one asked (said so, as information). */
static int merge_fragment(struct kernel_profile *p, const char *path, const char *display)
{
    struct kconfig frag = {0};
    int r = kconfig_load(&frag, path, display);
    for (size_t i = 0; i < frag.n && r == 0; i++) {
        const struct kconfig_opt *o = &frag.opts[i];
        const struct kconfig_opt *prev = kconfig_find(&p->asked, o->name);
        if (prev && !streq(prev->value, o->value))
            log_info("%s: CONFIG_%s=%s replaces CONFIG_%s=%s from %s", o->origin, o->name, o->value,
                     o->name, prev->value, prev->origin);
        kconfig_set(&p->asked, o->name, o->value, o->origin);
    }
    kconfig_free(&frag);
    return r;
}

static int profile_line(struct kernel_profile *p, char **words, size_t n, const char *where,
                        const char *profile_dir, const char *fragments_dir)
{
    const char *kw = words[0];
    if (streq(kw, "base")) {
        if (n != 2)
            return err_set(-EINVAL, "%s: base takes one value (tinyconfig, allnoconfig, defconfig or file:NAME)", where);
        if (p->base_target || p->base_config)
            return err_set(-EINVAL, "%s: a second base line", where);
        if (startswith(words[1], "file:")) {
            if (!valid_file_name(words[1] + 5))
                return err_set(-EINVAL, "%s: base file name '%s' must be a plain file name", where, words[1] + 5);
            p->base_config = xasprintf("%s/%s", profile_dir, words[1] + 5);
            if (access(p->base_config, R_OK) < 0)
                return err_sys(-errno, "%s: base config %s", where, p->base_config);
            return 0;
        }
        for (size_t i = 0; i < ARRAY_SIZE(base_targets); i++)
            if (streq(words[1], base_targets[i]))
                p->base_target = xstrdup(words[1]);
        return p->base_target ? 0
                              : err_set(-EINVAL, "%s: unknown base '%s' (tinyconfig, allnoconfig, defconfig or file:NAME)",
                                        where, words[1]);
    }
    if (streq(kw, "fragment")) {
        if (n != 2 || !valid_file_name(words[1]))
            return err_set(-EINVAL, "%s: fragment takes one name (a file in %s, without .conf)", where, fragments_dir);
        _cleanup_free_ char *display = xasprintf("%s.conf", words[1]);
        char *path = xasprintf("%s/%s", fragments_dir, display);
        strv_push(&p->fragments, &p->nfragments, path);
        if (access(path, F_OK) < 0)
            return err_set(-ENOENT, "%s: fragment '%s' not found (%s)", where, words[1], path);
        return merge_fragment(p, path, display);
    }
    if (streq(kw, "require")) {
        if (n < 2)
            return err_set(-EINVAL, "%s: require names at least one option", where);
        for (size_t i = 1; i < n; i++) {
            if (!startswith(words[i], "CONFIG_") || !words[i][7])
                return err_set(-EINVAL, "%s: '%s' is not an option name (CONFIG_...)", where, words[i]);
            strv_push(&p->required, &p->nrequired, xstrdup(words[i] + 7));
        }
        return 0;
    }
    return err_set(-EINVAL, "%s: unknown keyword '%s' (base, fragment or require)", where, kw);
}

int kernel_profile_load(const char *path, const char *fragments_dir, struct kernel_profile *p)
{
    memset(p, 0, sizeof(*p));
    _cleanup_free_ char *text = NULL;
    int r = file_read_text(path, &text, PROFILE_MAX);
    if (r < 0)
        return r;
    _cleanup_free_ char *copy = xstrdup(path), *copy2 = xstrdup(path);
    const char *base = basename(copy), *profile_dir = dirname(copy2);
    p->name = endswith(base, ".list") ? xstrndup(base, strlen(base) - 5) : xstrdup(base);
    unsigned lineno = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && r == 0;
         line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        line[strcspn(line, "#")] = 0;
        char *words[64], *wsave = NULL;
        size_t n = 0;
        for (char *w = strtok_r(line, " \t\r", &wsave); w && n < ARRAY_SIZE(words); w = strtok_r(NULL, " \t\r", &wsave))
            words[n++] = w;
        if (!n)
            continue;
        _cleanup_free_ char *where = xasprintf("%s:%u", path, lineno);
        r = profile_line(p, words, n, where, profile_dir, fragments_dir);
    }
    if (r == 0 && !p->base_target && !p->base_config)
        r = err_set(-EINVAL, "%s: no base line (base tinyconfig, for example)", path);
    if (r == 0 && !p->nfragments)
        r = err_set(-EINVAL, "%s: names no fragment", path);
    for (size_t i = 0; i < p->nrequired && r == 0; i++)
        if (!kconfig_find(&p->asked, p->required[i]))
            r = err_set(-EINVAL, "%s: required CONFIG_%s is not asked for by any of its fragments", path,
                        p->required[i]);
    if (r < 0)
        kernel_profile_free(p);
    return r;
}

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void kernel_profile_free(struct kernel_profile *p)
{
    free(p->name);
    free(p->base_target);
    free(p->base_config);
    strv_free(p->fragments, p->nfragments);
    strv_free(p->required, p->nrequired);
    kconfig_free(&p->asked);
    memset(p, 0, sizeof(*p));
}

/* ------------------------------------------------------------ environment --- */

char *kernel_cache_dir(void)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    if (xdg && xdg[0] == '/')
        return xasprintf("%s/guestimg", xdg);
    const char *home = getenv("HOME");
    return xasprintf("%s/.cache/guestimg", home && *home ? home : "/tmp");
}

/* "Thu Jan  1 00:00:00 UTC 1970", as date(1) prints it in the C locale,
 * without depending on the process's locale. */
static void format_timestamp(uint64_t epoch, char *out, size_t len)
{
    static const char days[][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)epoch;
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, len, "%s %s %2d %02d:%02d:%02d UTC %d", days[tm.tm_wday], months[tm.tm_mon], tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
}

/* make's whole environment: nothing from ours but PATH, so a stray CFLAGS,
 * ARCH or LOCALVERSION cannot change the kernel. */
struct build_env {
    char *vars[8];
    size_t n;
};

static void build_env_init(struct build_env *e, const struct kernel_settings *set)
{
    char ts[64];
    format_timestamp(set->epoch, ts, sizeof(ts));
    const char *path = getenv("PATH");
    e->n = 0;
    e->vars[e->n++] = xasprintf("PATH=%s", path && *path ? path : "/usr/bin:/bin");
    e->vars[e->n++] = xstrdup("LC_ALL=C");
    e->vars[e->n++] = xstrdup("TZ=UTC");
    e->vars[e->n++] = xasprintf("KBUILD_BUILD_TIMESTAMP=%s", ts);
    e->vars[e->n++] = xstrdup("KBUILD_BUILD_USER=guestimg");
    e->vars[e->n++] = xstrdup("KBUILD_BUILD_HOST=guestimg");
    e->vars[e->n++] = xstrdup("KBUILD_BUILD_VERSION=1");
    e->vars[e->n] = NULL;
}

static void build_env_free(struct build_env *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->vars[i]);
    e->n = 0;
}

/* First line of "PROG --version": the compiler, the linker and the
 * compressor that makes bzImage's payload are inputs. */
static int tool_version(const char *prog, const struct build_env *env, struct strbuf *sb)
{
    const char *argv[] = {prog, "--version", NULL};
    char *out = NULL;
    int r = spawn_capture(argv, (const char *const *)env->vars, &out);
    if (r < 0)
        return err_prefix(r, "cannot identify the toolchain");
    sb_printf(sb, "toolchain %.*s\n", (int)strcspn(out, "\n"), out);
    free(out);
    return 0;
}

static int toolchain_lines(const struct build_env *env, struct strbuf *sb)
{
    static const char *const tools[] = {"gcc", "ld", "xz"};
    for (size_t i = 0; i < ARRAY_SIZE(tools); i++) {
        int r = tool_version(tools[i], env, sb);
        if (r < 0)
            return r;
    }
    return 0;
}

static void sha256_hex_of(const char *text, size_t len, char out[65])
{
    uint8_t d[SHA256_LEN];
    sha256_buf(text, len, d);
    hex_encode(d, sizeof(d), out);
}

/* ------------------------------------------------------------ running make --- */

struct make_log {
    int fd;
    uint64_t lines;
    const char *step;
    int write_error;
};

static bool on_make_output(const char *buf, size_t len, void *ctx)
{
    struct make_log *ml = ctx;
    if (!ml->write_error && write_all(ml->fd, buf, len, "kernel build log") < 0)
        ml->write_error = -errno;
    for (size_t i = 0; i < len; i++)
        if (buf[i] == '\n')
            ml->lines++;
    log_progress(ml->step, ml->lines, 0);
    return false;
}

/* The line of the log that best says what went wrong: the last compiler
 * style "error:" line, else the last one mentioning an error (make's own
 * "*** ... Error 2"), else the last line. */
static char *last_error_line(const char *log_path)
{
    _cleanup_free_ char *text = NULL;
    if (file_read_text(log_path, &text, 64u << 20) < 0)
        return xstrdup("");
    char *best = NULL;
    int best_rank = -1;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        int rank = strstr(l, "error:") ? 2 : (strstr(l, "error") || strstr(l, "Error")) ? 1 : 0;
        if (rank >= best_rank) {
            best = l;
            best_rank = rank;
        }
    }
    return xstrdup(best ? best : "");
}

/* make -C tree O=objdir ARCH=x86_64 [extra...] target, output appended to
 * log_path. */
static int run_make(const struct kernel_source *src, const char *objdir, const struct build_env *env,
                    const char *const *extra, const char *target, const char *log_path, const char *step)
{
    _cleanup_close_ int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return err_sys(-errno, "%s: cannot create", log_path);
    _cleanup_free_ char *dir_arg = xasprintf("O=%s", objdir);
    const char *argv[16] = {"make", "-C", src->tree, dir_arg, "ARCH=" KERNEL_ARCH};
    size_t n = 5;
    for (size_t i = 0; extra && extra[i] && n < ARRAY_SIZE(argv) - 2; i++)
        argv[n++] = extra[i];
    argv[n++] = target;
    argv[n] = NULL;
    struct make_log ml = {.fd = fd, .step = step};
    struct spawn_opts o = {.argv = argv, .envp = (const char *const *)env->vars, .nice = 10,
                           .on_output = on_make_output, .ctx = &ml};
    struct spawn_result res;
    log_progress(step, 0, 0);
    int r = spawn_run(&o, &res);
    if (r < 0)
        return r;
    if (ml.write_error)
        return ml.write_error;
    if (res.exit_code != 0) {
        char how[64];
        _cleanup_free_ char *last = last_error_line(log_path);
        return err_set(-EIO, "make %s failed (%s): %s; full log: %s", target,
                       spawn_describe(&res, how, sizeof(how)), last, log_path);
    }
    return 0;
}

/* --------------------------------------------------------- configuration --- */

static int config_inputs(const struct kernel_source *src, const struct kernel_profile *prof,
                         const struct build_env *env, struct strbuf *sb)
{
    char hex[65];
    sb_printf(sb, "%s\nsource %s\narch %s\n", CONFIG_RECIPE, src->digest, KERNEL_ARCH);
    if (prof->base_target) {
        sb_printf(sb, "base %s\n", prof->base_target);
    } else {
        int r = sha256_file_hex(prof->base_config, hex, NULL);
        if (r < 0)
            return r;
        sb_printf(sb, "base-config %s\n", hex);
    }
    for (size_t i = 0; i < prof->nfragments; i++) {
        int r = sha256_file_hex(prof->fragments[i], hex, NULL);
        if (r < 0)
            return r;
        sb_printf(sb, "fragment %s\n", hex);
    }
    return toolchain_lines(env, sb);
}

/* Run Kconfig in a scratch build directory: base, merge, olddefconfig. */
static int run_kconfig(const struct kernel_source *src, const struct kernel_profile *prof,
                       const struct build_env *env, const char *objdir, const char *log_path, char **text)
{
    _cleanup_free_ char *dotconfig = xasprintf("%s/.config", objdir);
    struct kconfig merged = {0};
    int r;
    if (prof->base_target) {
        r = run_make(src, objdir, env, NULL, prof->base_target, log_path, "kernel config: base");
        if (r == 0)
            r = kconfig_load(&merged, dotconfig, prof->base_target);
    } else {
        r = kconfig_load(&merged, prof->base_config, NULL);
    }
    for (size_t i = 0; i < prof->asked.n && r == 0; i++)
        kconfig_set(&merged, prof->asked.opts[i].name, prof->asked.opts[i].value, prof->asked.opts[i].origin);
    if (r == 0) {
        _cleanup_free_ char *merged_text = kconfig_format(&merged);
        r = file_write_atomic(dotconfig, merged_text, strlen(merged_text), 0644);
    }
    if (r == 0)
        r = run_make(src, objdir, env, NULL, "olddefconfig", log_path, "kernel config: olddefconfig");
    if (r == 0)
        r = file_read_text(dotconfig, text, 16u << 20);
    kconfig_free(&merged);
    return r;
}

/* Kconfig's result for this source, profile and toolchain, from the cache
 * or made now. */
static int config_text(const struct kernel_source *src, const struct kernel_profile *prof,
                       const struct kernel_settings *set, const struct build_env *env, char **text)
{
    struct strbuf inputs = STRBUF_INIT;
    int r = config_inputs(src, prof, env, &inputs);
    char key[65];
    sha256_hex_of(inputs.buf, inputs.len, key);
    sb_release(&inputs);
    if (r < 0)
        return r;
    _cleanup_free_ char *dir = xasprintf("%s/kernel-config", set->cache_dir);
    _cleanup_free_ char *cached = xasprintf("%s/%s.config", dir, key);
    if (file_read_text(cached, text, 16u << 20) == 0)
        return 0;
    r = mkdir_p(dir, 0755);
    if (r < 0)
        return r;
    _cleanup_free_ char *lockpath = xasprintf("%s/%s.lock", dir, key);
    struct cache_lock lock;
    r = cache_lock_take(&lock, lockpath, "the same kernel configuration");
    if (r < 0)
        return r;
    if (file_read_text(cached, text, 16u << 20) == 0) {
        cache_lock_release(&lock);
        return 0;
    }
    _cleanup_free_ char *log_path = xasprintf("%s/%s.log", dir, key);
    unlink(log_path);
    char *objdir = NULL;
    r = cache_temp_dir(dir, key, &objdir);
    if (r == 0) {
        r = run_kconfig(src, prof, env, objdir, log_path, text);
        if (r == 0)
            r = file_write_atomic(cached, *text, strlen(*text), 0644);
        r = cache_temp_finish(objdir, NULL, r);
    }
    if (r == 0)
        unlink(log_path);
    else
        err_prefix(r, "kernel config");
    cache_lock_release(&lock);
    return r;
}

/* Audit the result; explain findings from the tree's Kconfig files. */
static int audit_config(const struct kernel_source *src, const struct kernel_profile *prof,
                        const struct kconfig *result, struct kconfig_audit *audit)
{
    kconfig_audit(&prof->asked, result, prof->required, prof->nrequired, NULL, audit);
    if (!audit->n)
        return 0;
    struct kconfig_index ix = {0};
    if (kconfig_index_load(&ix, src->tree, KERNEL_SRCARCH) == 0) {
        kconfig_audit_free(audit);
        kconfig_audit(&prof->asked, result, prof->required, prof->nrequired, &ix, audit);
    } else {
        log_warn("cannot read the tree's Kconfig files to explain the findings: %s", err_msg());
    }
    kconfig_index_free(&ix);
    struct strbuf errors = STRBUF_INIT;
    for (size_t i = 0; i < audit->n; i++) {
        _cleanup_free_ char *d = kconfig_finding_describe(&audit->findings[i]);
        if (audit->findings[i].required)
            sb_printf(&errors, "%s%s", errors.len ? "; " : "", d);
        else
            log_warn("%s", d);
    }
    int r = 0;
    if (audit->nrequired)
        r = err_set(-EINVAL, "profile %s: %s", prof->name, errors.buf);
    sb_release(&errors);
    return r;
}

int kernel_config(const struct kernel_source *src, const struct kernel_profile *prof,
                  const struct kernel_settings *set, struct kernel_config_result *res)
{
    memset(res, 0, sizeof(*res));
    struct build_env env;
    build_env_init(&env, set);
    int r = config_text(src, prof, set, &env, &res->text);
    build_env_free(&env);
    if (r == 0)
        r = kconfig_parse(&res->config, res->text, strlen(res->text), "the resulting .config");
    if (r == 0)
        r = audit_config(src, prof, &res->config, &res->audit);
    if (r < 0)
        kernel_config_result_free(res);
    return r;
}

void kernel_config_result_free(struct kernel_config_result *res)
{
    free(res->text);
    kconfig_free(&res->config);
    kconfig_audit_free(&res->audit);
    memset(res, 0, sizeof(*res));
}

/* ------------------------------------------------------------------ build --- */

/* Path-independence: the source and build directories vary between
 * machines and runs, so the compiler is told to leave them out. */
#define PREFIX_MAPS "-ffile-prefix-map=%s/= -ffile-prefix-map=%s/="

static void build_inputs(const struct kernel_source *src, const char *config, const struct build_env *env,
                         const char *toolchain, struct strbuf *sb)
{
    char config_sha[65];
    sha256_hex_of(config, strlen(config), config_sha);
    sb_printf(sb, "%s\nsource %s linux-%s\nconfig %s\n%s", BUILD_RECIPE, src->digest, src->version, config_sha,
              toolchain);
    for (size_t i = 1; i < env->n; i++) /* all but PATH */
        sb_printf(sb, "env %s\n", env->vars[i]);
    sb_printf(sb, "make ARCH=%s KCFLAGS=\"" PREFIX_MAPS "\" KAFLAGS=\"" PREFIX_MAPS "\" bzImage\n", KERNEL_ARCH,
              "<srctree>", "<objtree>", "<srctree>", "<objtree>");
}

/* Move what the build made into the entry, then drop the build tree. */
static int collect_outputs(const char *tmp, const char *objdir, const char *config, const char *inputs,
                           const char *log_path)
{
    static const char *const moves[][2] = {{"arch/x86/boot/bzImage", "bzImage"}, {"vmlinux", "vmlinux"}};
    _cleanup_free_ char *built_config = xasprintf("%s/.config", objdir), *text = NULL;
    int r = file_read_text(built_config, &text, 16u << 20);
    if (r == 0 && !streq(text, config))
        r = err_set(-EIO, "the kernel build changed its configuration (%s); the source tree and the audited "
                    "configuration disagree", built_config);
    for (size_t i = 0; i < ARRAY_SIZE(moves) && r == 0; i++) {
        _cleanup_free_ char *from = xasprintf("%s/%s", objdir, moves[i][0]);
        _cleanup_free_ char *to = xasprintf("%s/%s", tmp, moves[i][1]);
        if (rename(from, to) < 0)
            r = err_sys(-errno, "%s: the build did not produce it", from);
    }
    _cleanup_free_ char *cfg = xasprintf("%s/config", tmp), *inp = xasprintf("%s/inputs.txt", tmp);
    _cleanup_free_ char *log_to = xasprintf("%s/build.log", tmp);
    if (r == 0)
        r = file_write_atomic(cfg, config, strlen(config), 0644);
    if (r == 0)
        r = file_write_atomic(inp, inputs, strlen(inputs), 0644);
    if (r == 0 && rename(log_path, log_to) < 0)
        r = err_sys(-errno, "%s: cannot move the build log", log_path);
    if (r == 0)
        r = rm_rf(objdir) < 0 ? err_sys(-errno, "%s: cannot remove the build tree", objdir) : 0;
    return r;
}

static int build_into(const struct kernel_source *src, const struct build_env *env, const struct kernel_settings *set,
                      const char *config, const char *inputs, const char *tmp, const char *log_path)
{
    _cleanup_free_ char *objdir = xasprintf("%s/obj", tmp);
    _cleanup_free_ char *dotconfig = xasprintf("%s/.config", objdir);
    if (mkdir(objdir, 0755) < 0)
        return err_sys(-errno, "%s: cannot create directory", objdir);
    int r = file_write_atomic(dotconfig, config, strlen(config), 0644);
    if (r < 0)
        return r;
    _cleanup_free_ char *jobs = xasprintf("-j%u", set->jobs ? set->jobs : 2);
    _cleanup_free_ char *kcflags = xasprintf("KCFLAGS=" PREFIX_MAPS, src->tree, objdir);
    _cleanup_free_ char *kaflags = xasprintf("KAFLAGS=" PREFIX_MAPS, src->tree, objdir);
    const char *extra[] = {jobs, kcflags, kaflags, NULL};
    r = run_make(src, objdir, env, extra, "bzImage", log_path, "kernel: building (make output lines)");
    if (r == 0)
        r = collect_outputs(tmp, objdir, config, inputs, log_path);
    return r;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int kernel_build(const struct kernel_source *src, const struct kernel_profile *prof,
                 const struct kernel_settings *set, struct kernel_build *out)
{
    memset(out, 0, sizeof(*out));
    struct kernel_config_result cfg;
    int r = kernel_config(src, prof, set, &cfg);
    if (r < 0)
        return r;
    struct build_env env;
    build_env_init(&env, set);
    struct strbuf toolchain = STRBUF_INIT, inputs = STRBUF_INIT;
    r = toolchain_lines(&env, &toolchain);
    if (r == 0) {
        build_inputs(src, cfg.text, &env, toolchain.buf, &inputs);
        sha256_hex_of(inputs.buf, inputs.len, out->key);
    }
    _cleanup_free_ char *dir = xasprintf("%s/kernel", set->cache_dir);
    out->dir = xasprintf("%s/%s", dir, out->key);
    struct cache_lock lock = {.fd = -1};
    if (r == 0 && is_dir(out->dir)) {
        out->cached = true;
    } else if (r == 0 && (r = mkdir_p(dir, 0755)) == 0) {
        _cleanup_free_ char *lockpath = xasprintf("%s.lock", out->dir);
        r = cache_lock_take(&lock, lockpath, "the same kernel being built");
    }
    if (r == 0 && !out->cached && is_dir(out->dir))
        out->cached = true;
    if (r == 0 && !out->cached) {
        _cleanup_free_ char *log_path = xasprintf("%s.log", out->dir);
        unlink(log_path);
        char *tmp = NULL;
        r = cache_temp_dir(dir, out->key, &tmp);
        if (r == 0) {
            r = build_into(src, &env, set, cfg.text, inputs.buf, tmp, log_path);
            if (r == 0 && chmod(tmp, 0755) < 0)
                r = err_sys(-errno, "%s: cannot set its mode", tmp);
            r = cache_temp_finish(tmp, out->dir, r);
            if (r < 0)
                err_prefix(r, "kernel build");
        }
    }
    cache_lock_release(&lock);
    sb_release(&toolchain);
    sb_release(&inputs);
    build_env_free(&env);
    kernel_config_result_free(&cfg);
    if (r < 0)
        kernel_build_free(out);
    return r;
}

void kernel_build_free(struct kernel_build *b)
{
    free(b->dir);
    memset(b, 0, sizeof(*b));
}
