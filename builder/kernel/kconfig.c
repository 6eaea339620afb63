#include "builder/kernel/kconfig.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#define KCONFIG_MAX_FILE (8u << 20)

/* ------------------------------------------------------ config entries --- */

const struct kconfig_opt *kconfig_find(const struct kconfig *kc, const char *name)
{
    for (size_t i = 0; i < kc->n; i++)
        if (!strcmp(kc->opts[i].name, name))
            return &kc->opts[i];
    return NULL;
}

const char *kconfig_value(const struct kconfig *kc, const char *name)
{
    const struct kconfig_opt *o = kconfig_find(kc, name);
    return o ? o->value : "n";
}

void kconfig_set(struct kconfig *kc, const char *name, const char *value, const char *origin)
{
    struct kconfig_opt *o = (struct kconfig_opt *)kconfig_find(kc, name);
    if (!o) {
        if (kc->n == kc->cap) {
            kc->cap = kc->cap ? kc->cap * 2 : 64;
            kc->opts = xrealloc(kc->opts, kc->cap * sizeof(*kc->opts));
        }
        o = &kc->opts[kc->n++];
        o->name = xstrdup(name);
    } else {
        free(o->value);
        free(o->origin);
    }
    o->value = xstrdup(value);
    o->origin = xstrdup(origin ? origin : "");
}

void kconfig_free(struct kconfig *kc)
{
    for (size_t i = 0; i < kc->n; i++) {
        free(kc->opts[i].name);
        free(kc->opts[i].value);
        free(kc->opts[i].origin);
    }
    free(kc->opts);
    memset(kc, 0, sizeof(*kc));
}

char *kconfig_format(const struct kconfig *kc)
{
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < kc->n; i++) {
        const struct kconfig_opt *o = &kc->opts[i];
        if (streq(o->value, "n"))
            sb_printf(&sb, "# CONFIG_%s is not set\n", o->name);
        else
            sb_printf(&sb, "CONFIG_%s=%s\n", o->name, o->value);
    }
    return sb_detach(&sb);
}

static bool is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

static bool valid_name(const char *s, size_t n)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_name_char(s[i]))
            return false;
    return true;
}

/* y, m, n, a decimal or 0x-hex number, or a double-quoted string. */
static bool valid_value(const char *v, size_t n)
{
    if (n == 1 && (v[0] == 'y' || v[0] == 'm' || v[0] == 'n'))
        return true;
    if (n >= 1 && v[0] == '"') {
        size_t i = 1;
        for (; i < n && v[i] != '"'; i++)
            if (v[i] == '\\' && ++i == n)
                return false;
        return i == n - 1;
    }
    size_t i = 0;
    if (n > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
        for (i = 2; i < n; i++)
            if (!isxdigit((unsigned char)v[i]))
                return false;
        return true;
    }
    if (n > 1 && v[0] == '-')
        i = 1;
    if (i == n)
        return false;
    for (; i < n; i++)
        if (!isdigit((unsigned char)v[i]))
            return false;
    return true;
}

#define NOT_SET_PREFIX "# CONFIG_"
#define NOT_SET_SUFFIX " is not set"

/* One line (without its newline, trailing blanks removed). Sets *name and
 * *value (pointing into line) for an assignment; both NULL for a comment
 * or a blank line. */
static int parse_line(const char *line, size_t len, const char *file, unsigned lineno,
                      const char **name, size_t *namelen, const char **value, size_t *valuelen)
{
    *name = *value = NULL;
    if (len == 0)
        return 0;
    if (line[0] == '#') {
        size_t pl = strlen(NOT_SET_PREFIX), sl = strlen(NOT_SET_SUFFIX);
        if (len > pl + sl && !memcmp(line, NOT_SET_PREFIX, pl) &&
            !memcmp(line + len - sl, NOT_SET_SUFFIX, sl) && valid_name(line + pl, len - pl - sl)) {
            *name = line + pl;
            *namelen = len - pl - sl;
            *value = "n";
            *valuelen = 1;
        }
        return 0;
    }
    const char *eq = memchr(line, '=', len);
    if (len < 8 || memcmp(line, "CONFIG_", 7) || !eq)
        return err_set(-EINVAL, "%s:%u: not a config assignment (CONFIG_NAME=value or # CONFIG_NAME is not set): '%.*s'",
                       file, lineno, (int)MIN(len, (size_t)60), line);
    *name = line + 7;
    *namelen = (size_t)(eq - *name);
    if (!valid_name(*name, *namelen))
        return err_set(-EINVAL, "%s:%u: invalid option name '%.*s'", file, lineno,
                       (int)MIN(*namelen + 7, (size_t)60), line);
    *value = eq + 1;
    *valuelen = len - (size_t)(*value - line);
    if (!valid_value(*value, *valuelen))
        return err_set(-EINVAL, "%s:%u: CONFIG_%.*s: invalid value '%.*s' (expected y, m, n, a number or a quoted string)",
                       file, lineno, (int)*namelen, *name, (int)MIN(*valuelen, (size_t)60), *value);
    return 0;
}

/* The next line of text[0..len) at *pos (without its newline); false at the end. */
static bool next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *ll)
{
    if (*pos >= len)
        return false;
    *line = text + *pos;
    const char *nl = memchr(*line, '\n', len - *pos);
    *ll = nl ? (size_t)(nl - *line) : len - *pos;
    *pos += *ll + 1;
    return true;
}

int kconfig_parse(struct kconfig *kc, const char *text, size_t len, const char *name)
{
    if (memchr(text, 0, len))
        return err_set(-EINVAL, "%s: not a text file (contains NUL bytes)", name);
    struct kconfig seen = {0};
    unsigned lineno = 0;
    int r = 0;
    const char *line;
    size_t ll, pos = 0;
    while (r == 0 && next_line(text, len, &pos, &line, &ll)) {
        lineno++;
        while (ll && (line[ll - 1] == ' ' || line[ll - 1] == '\t'))
            ll--;
        const char *n, *v;
        size_t nlen = 0, vlen = 0;
        r = parse_line(line, ll, name, lineno, &n, &nlen, &v, &vlen);
        if (r < 0 || !n)
            continue;
        _cleanup_free_ char *opt = xstrndup(n, nlen), *val = xstrndup(v, vlen);
        _cleanup_free_ char *origin = xasprintf("%s:%u", name, lineno);
        const struct kconfig_opt *dup = kconfig_find(&seen, opt);
        if (dup) {
            r = err_set(-EINVAL, "%s: CONFIG_%s is set twice (lines %s and %u)", name, opt,
                        strrchr(dup->origin, ':') + 1, lineno);
            break;
        }
        kconfig_set(&seen, opt, "", origin);
        kconfig_set(kc, opt, val, origin);
    }
    kconfig_free(&seen);
    return r;
}

int kconfig_load(struct kconfig *kc, const char *path, const char *display)
{
    _cleanup_free_ char *text = NULL;
    int r = file_read_text(path, &text, KCONFIG_MAX_FILE);
    if (r < 0)
        return r;
    return kconfig_parse(kc, text, strlen(text), display ? display : path);
}

/* ---------------------------------------------------------- expressions --- */

enum tok { T_END, T_SYM, T_AND, T_OR, T_NOT, T_LP, T_RP, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_BAD };

struct lexer {
    const char *p;
    enum tok tok;
    const char *sym;   /* T_SYM: the text, len bytes; quoted strings keep their quotes */
    size_t len;
    const struct kconfig *values;
};

static void next(struct lexer *lx)
{
    const char *p = lx->p;
    while (*p == ' ' || *p == '\t')
        p++;
    lx->sym = p;
    lx->len = 0;
    static const struct { const char *s; enum tok t; } ops[] = {
        {"&&", T_AND}, {"||", T_OR}, {"!=", T_NE}, {"<=", T_LE}, {">=", T_GE},
        {"!", T_NOT}, {"(", T_LP}, {")", T_RP}, {"=", T_EQ}, {"<", T_LT}, {">", T_GT},
    };
    if (!*p) {
        lx->tok = T_END;
    } else if (is_name_char(*p) || *p == '-') {
        while (is_name_char(*p) || *p == '-' || *p == '.')
            p++;
        lx->tok = T_SYM;
    } else if (*p == '"' || *p == '\'') {
        char q = *p++;
        while (*p && *p != q)
            p += (*p == '\\' && p[1]) ? 2 : 1;
        if (*p != q) {
            lx->tok = T_BAD;
        } else {
            p++;
            lx->tok = T_SYM;
        }
    } else {
        lx->tok = T_BAD;
        for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
            if (!strncmp(p, ops[i].s, strlen(ops[i].s))) {
                lx->tok = ops[i].t;
                p += strlen(ops[i].s);
                break;
            }
    }
    lx->len = (size_t)(p - lx->sym);
    lx->p = p;
}

static bool is_constant(const char *s, size_t n)
{
    if (n == 1 && (s[0] == 'y' || s[0] == 'm' || s[0] == 'n'))
        return true;
    if (n && (s[0] == '"' || s[0] == '\''))
        return true;
    return n && (isdigit((unsigned char)s[0]) || s[0] == '-');
}

/* The value of a term as text: constants as written (quotes stripped), a
 * symbol's value from the configuration ("n" when absent). */
static char *term_value(const struct lexer *lx, const char *s, size_t n)
{
    if (n >= 2 && (s[0] == '"' || s[0] == '\''))
        return xstrndup(s + 1, n - 2);
    if (is_constant(s, n))
        return xstrndup(s, n);
    _cleanup_free_ char *name = xstrndup(s, n);
    const char *v = kconfig_value(lx->values, name);
    size_t vl = strlen(v);
    if (vl >= 2 && v[0] == '"')
        return xstrndup(v + 1, vl - 2);
    return xstrdup(v);
}

static int tristate(const char *v)
{
    return streq(v, "y") ? 2 : streq(v, "m") ? 1 : 0;
}

static bool as_number(const char *v, long long *out)
{
    char *end;
    if (!*v)
        return false;
    errno = 0;
    *out = strtoll(v, &end, 0);
    return !errno && !*end;
}

static int compare(const char *a, const char *b)
{
    long long x, y;
    if (as_number(a, &x) && as_number(b, &y))
        return x < y ? -1 : x > y;
    return strcmp(a, b);
}

static int parse_or(struct lexer *lx, int depth);

static int parse_primary(struct lexer *lx, int depth)
{
    if (depth > 64)
        return -EINVAL;
    if (lx->tok == T_NOT) {
        next(lx);
        int v = parse_primary(lx, depth + 1);
        return v < 0 ? v : 2 - v;
    }
    if (lx->tok == T_LP) {
        next(lx);
        int v = parse_or(lx, depth + 1);
        if (v < 0 || lx->tok != T_RP)
            return -EINVAL;
        next(lx);
        return v;
    }
    if (lx->tok != T_SYM)
        return -EINVAL;
    _cleanup_free_ char *a = term_value(lx, lx->sym, lx->len);
    next(lx);
    enum tok op = lx->tok;
    if (op < T_EQ || op > T_GE)
        return tristate(a);
    next(lx);
    if (lx->tok != T_SYM)
        return -EINVAL;
    _cleanup_free_ char *b = term_value(lx, lx->sym, lx->len);
    next(lx);
    int c = compare(a, b);
    bool t = op == T_EQ ? c == 0 : op == T_NE ? c != 0 : op == T_LT ? c < 0
           : op == T_LE ? c <= 0 : op == T_GT ? c > 0 : c >= 0;
    return t ? 2 : 0;
}

/* Binary operators by precedence: '||' (max) over '&&' (min) over terms. */
static int parse_binary(struct lexer *lx, int depth, bool is_or)
{
    enum tok op = is_or ? T_OR : T_AND;
    int v = is_or ? parse_binary(lx, depth, false) : parse_primary(lx, depth);
    while (v >= 0 && lx->tok == op) {
        next(lx);
        int w = is_or ? parse_binary(lx, depth, false) : parse_primary(lx, depth);
        v = w < 0 ? w : is_or ? MAX(v, w) : MIN(v, w);
    }
    return v;
}

static int parse_or(struct lexer *lx, int depth)
{
    return parse_binary(lx, depth, true);
}

int kconfig_expr_eval(const char *expr, const struct kconfig *values)
{
    struct lexer lx = {.p = expr, .values = values};
    next(&lx);
    int v = parse_or(&lx, 0);
    return v >= 0 && lx.tok == T_END ? v : -EINVAL;
}

void kconfig_expr_symbols(const char *expr, const struct kconfig *values, struct strbuf *sb)
{
    struct lexer lx = {.p = expr, .values = values};
    struct kconfig listed = {0};
    for (next(&lx); lx.tok != T_END && lx.tok != T_BAD; next(&lx)) {
        if (lx.tok != T_SYM || is_constant(lx.sym, lx.len))
            continue;
        _cleanup_free_ char *name = xstrndup(lx.sym, lx.len);
        if (kconfig_find(&listed, name))
            continue;
        kconfig_set(&listed, name, "", NULL);
        sb_printf(sb, "%s%s=%s", listed.n > 1 ? ", " : "", name, kconfig_value(values, name));
    }
    kconfig_free(&listed);
}

/* -------------------------------------------------------- Kconfig index --- */

enum frame_kind { F_IF, F_MENU, F_CHOICE };
enum block { B_NONE, B_CONFIG, B_FRAME };

struct frame {
    enum frame_kind kind;
    char **deps;
    size_t ndeps;
};

struct kparse {
    struct kconfig_index *ix;
    const char *srctree, *srcarch;  /* srctree NULL: do not follow "source" */
    struct frame *frames;
    size_t nframes, capframes;
    enum block block;
    size_t cur;      /* B_CONFIG: index of the definition in ix->syms */
    int depth;       /* source nesting */
};

static void strv_add(char ***v, size_t *n, const char *s)
{
    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[(*n)++] = xstrdup(s);
}

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void push_frame(struct kparse *ps, enum frame_kind kind, const char *cond)
{
    if (ps->nframes == ps->capframes) {
        ps->capframes = ps->capframes ? ps->capframes * 2 : 16;
        ps->frames = xrealloc(ps->frames, ps->capframes * sizeof(*ps->frames));
    }
    struct frame *f = &ps->frames[ps->nframes++];
    *f = (struct frame){.kind = kind};
    if (cond)
        strv_add(&f->deps, &f->ndeps, cond);
    ps->block = kind == F_IF ? B_NONE : B_FRAME;
}

static int pop_frame(struct kparse *ps, enum frame_kind kind, const char *where)
{
    static const char *const names[] = {"endif", "endmenu", "endchoice"};
    if (!ps->nframes || ps->frames[ps->nframes - 1].kind != kind)
        return err_set(-EINVAL, "%s: '%s' without its opening statement", where, names[kind]);
    struct frame *f = &ps->frames[--ps->nframes];
    strv_free(f->deps, f->ndeps);
    ps->block = B_NONE;
    return 0;
}

static void add_definition(struct kparse *ps, const char *name, const char *where)
{
    struct kconfig_index *ix = ps->ix;
    if (ix->nsyms == ix->capsyms) {
        ix->capsyms = ix->capsyms ? ix->capsyms * 2 : 1024;
        ix->syms = xrealloc(ix->syms, ix->capsyms * sizeof(*ix->syms));
    }
    struct kconfig_sym *s = &ix->syms[ix->nsyms];
    *s = (struct kconfig_sym){.name = xstrdup(name), .seq = ix->nsyms};
    s->def.where = xstrdup(where);
    for (size_t i = 0; i < ps->nframes; i++)
        for (size_t j = 0; j < ps->frames[i].ndeps; j++)
            strv_add(&s->def.deps, &s->def.ndeps, ps->frames[i].deps[j]);
    ps->cur = ix->nsyms++;
    ps->block = B_CONFIG;
}

static void add_select(struct kparse *ps, const char *target, const char *cond)
{
    struct kconfig_index *ix = ps->ix;
    if (ix->nselects == ix->capselects) {
        ix->capselects = ix->capselects ? ix->capselects * 2 : 1024;
        ix->selects = xrealloc(ix->selects, ix->capselects * sizeof(*ix->selects));
    }
    ix->selects[ix->nselects++] = (struct kconfig_select){
        .from = xstrdup(ix->syms[ps->cur].name), .target = xstrdup(target),
        .cond = cond ? xstrdup(cond) : NULL};
}

/* Attach a condition to the current block (config or menu/choice). */
static void add_dep(struct kparse *ps, const char *expr)
{
    if (ps->block == B_CONFIG) {
        struct kconfig_def *d = &ps->ix->syms[ps->cur].def;
        strv_add(&d->deps, &d->ndeps, expr);
    } else if (ps->block == B_FRAME) {
        struct frame *f = &ps->frames[ps->nframes - 1];
        strv_add(&f->deps, &f->ndeps, expr);
    }
}

static const char *skip_blank(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* Split off the next word (letters, digits, '_', '-'). */
static const char *word(const char *s, char *out, size_t outlen)
{
    s = skip_blank(s);
    size_t n = 0;
    while ((is_name_char(*s) || *s == '-') && n + 1 < outlen)
        out[n++] = *s++;
    out[n] = 0;
    return skip_blank(s);
}

/* A double-quoted string at s: returns the text after it, or NULL. */
static const char *quoted(const char *s, char **out)
{
    if (*s != '"' && *s != '\'')
        return NULL;
    char q = *s;
    const char *e = s + 1;
    while (*e && *e != q)
        e += (*e == '\\' && e[1]) ? 2 : 1;
    if (*e != q)
        return NULL;
    if (out)
        *out = xstrndup(s + 1, (size_t)(e - s - 1));
    return skip_blank(e + 1);
}

/* "if EXPR" at s: returns EXPR or NULL. */
static const char *if_clause(const char *s)
{
    char w[8];
    const char *rest = word(s, w, sizeof(w));
    return streq(w, "if") && *rest ? rest : NULL;
}

static int parse_file(struct kparse *ps, const char *path, const char *display);

static int follow_source(struct kparse *ps, const char *kw, const char *arg, const char *file,
                         const char *where)
{
    if (!ps->srctree)
        return 0;
    _cleanup_free_ char *rel = NULL;
    if (!quoted(arg, &rel))
        return err_set(-EINVAL, "%s: %s needs a quoted file name", where, kw);
    struct strbuf sb = STRBUF_INIT;
    for (const char *p = rel; *p;) {
        if (!strncmp(p, "$(SRCARCH)", 10)) {
            sb_puts(&sb, ps->srcarch);
            p += 10;
        } else if (p[0] == '$' && p[1] == '(') {
            sb_release(&sb);
            return 0; /* another architecture's macro: not part of this tree's menu */
        } else {
            sb_add(&sb, p++, 1);
        }
    }
    _cleanup_free_ char *name = sb_detach(&sb);
    _cleanup_free_ char *path = NULL;
    if (kw[0] == 'r' || (kw[0] == 'o' && kw[1] == 'r')) {
        const char *slash = strrchr(file, '/');
        path = xasprintf("%s/%.*s%s%s", ps->srctree, slash ? (int)(slash - file) : 0, file,
                         slash ? "/" : "", name);
        _cleanup_free_ char *disp = xasprintf("%.*s%s%s", slash ? (int)(slash - file) : 0, file,
                                              slash ? "/" : "", name);
        free(name);
        name = xstrdup(disp);
    } else {
        path = xasprintf("%s/%s", ps->srctree, name);
    }
    if (kw[0] == 'o' && access(path, F_OK) < 0)
        return 0;
    if (ps->depth >= 32)
        return err_set(-ELOOP, "%s: sources nest too deeply", where);
    ps->depth++;
    int r = parse_file(ps, path, name);
    ps->depth--;
    return r;
}

/* A line inside a config block: a type or prompt with its prompt text (and
 * the prompt's "if"), or a select; the other attributes do not matter to
 * the audit. */
static void config_attribute(struct kparse *ps, const char *kw, const char *rest)
{
    struct kconfig_def *d = &ps->ix->syms[ps->cur].def;
    bool typed = streq(kw, "bool") || streq(kw, "tristate") || streq(kw, "string") || streq(kw, "int") ||
                 streq(kw, "hex");
    if (typed || streq(kw, "prompt")) {
        const char *after = quoted(rest, NULL);
        if (after) {
            d->prompt = true;
            const char *cond = if_clause(after);
            if (cond)
                strv_add(&d->prompt_ifs, &d->nprompt_ifs, cond);
        }
    } else if (streq(kw, "select")) {
        char target[128];
        const char *after = word(rest, target, sizeof(target));
        if (valid_name(target, strlen(target)))
            add_select(ps, target, if_clause(after));
    }
}

/* One logical Kconfig line, comments stripped. */
static int parse_statement(struct kparse *ps, char *line, const char *file, unsigned lineno)
{
    char kw[32];
    _cleanup_free_ char *where = xasprintf("%s:%u", file, lineno);
    const char *rest = word(line, kw, sizeof(kw));
    if (streq(kw, "config") || streq(kw, "menuconfig")) {
        char name[128];
        word(rest, name, sizeof(name));
        if (!valid_name(name, strlen(name)))
            return err_set(-EINVAL, "%s: %s without a valid symbol name", where, kw);
        add_definition(ps, name, where);
    } else if (streq(kw, "if")) {
        push_frame(ps, F_IF, rest);
    } else if (streq(kw, "endif")) {
        return pop_frame(ps, F_IF, where);
    } else if (streq(kw, "menu")) {
        push_frame(ps, F_MENU, NULL);
    } else if (streq(kw, "endmenu")) {
        return pop_frame(ps, F_MENU, where);
    } else if (streq(kw, "choice")) {
        push_frame(ps, F_CHOICE, NULL);
    } else if (streq(kw, "endchoice")) {
        return pop_frame(ps, F_CHOICE, where);
    } else if (streq(kw, "comment") || streq(kw, "mainmenu")) {
        ps->block = B_NONE;
    } else if (streq(kw, "source") || streq(kw, "osource") || streq(kw, "rsource") ||
               streq(kw, "orsource")) {
        ps->block = B_NONE;
        return follow_source(ps, kw, rest, file, where);
    } else if (streq(kw, "depends")) {
        char on[8];
        const char *expr = word(rest, on, sizeof(on));
        if (streq(on, "on") && *expr)
            add_dep(ps, expr);
    } else if (streq(kw, "visible")) {
        const char *expr = if_clause(rest);
        if (expr)
            add_dep(ps, expr);
    } else if (ps->block == B_CONFIG) {
        config_attribute(ps, kw, rest);
    }
    return 0;
}

static unsigned indentation(const char *s)
{
    unsigned col = 0;
    for (; *s == ' ' || *s == '\t'; s++)
        col = *s == '\t' ? (col / 8 + 1) * 8 : col + 1;
    return col;
}

/* Cut a '#' comment that is not inside quotes. */
static void strip_comment(char *s)
{
    char q = 0;
    for (; *s; s++) {
        if (q) {
            if (*s == '\\' && s[1])
                s++;
            else if (*s == q)
                q = 0;
        } else if (*s == '"' || *s == '\'') {
            q = *s;
        } else if (*s == '#') {
            *s = 0;
            return;
        }
    }
}

static int parse_text(struct kparse *ps, const char *text, size_t len, const char *name)
{
    if (memchr(text, 0, len))
        return err_set(-EINVAL, "%s: not a text file (contains NUL bytes)", name);
    bool in_help = false;
    unsigned help_indent = 0;
    struct strbuf logical = STRBUF_INIT;
    unsigned lineno = 0, first_line = 0;
    int r = 0;
    const char *line;
    size_t ll, pos = 0;
    while (r == 0 && next_line(text, len, &pos, &line, &ll)) {
        lineno++;
        _cleanup_free_ char *l = xstrndup(line, ll);
        const char *body = skip_blank(l);
        if (in_help) {
            if (!*body)
                continue;
            unsigned ind = indentation(l);
            if (help_indent == 0 && ind > 0) {
                help_indent = ind;
                continue;
            }
            if (ind >= help_indent && ind > 0)
                continue;
            in_help = false;
        }
        if (!logical.len)
            first_line = lineno;
        size_t bl = strlen(l);
        bool cont = bl && l[bl - 1] == '\\';
        sb_add(&logical, l, cont ? bl - 1 : bl);
        if (cont)
            continue;
        char *stmt = logical.buf;
        strip_comment(stmt);
        char kw[16];
        word(stmt, kw, sizeof(kw));
        if (streq(kw, "help") || streq(kw, "---help---")) {
            in_help = true;
            help_indent = 0;
        } else if (*skip_blank(stmt)) {
            r = parse_statement(ps, stmt, name, first_line);
        }
        logical.len = 0;
        logical.buf[0] = 0;
    }
    sb_release(&logical);
    return r;
}

static int parse_file(struct kparse *ps, const char *path, const char *display)
{
    _cleanup_free_ char *text = NULL;
    int r = file_read_text(path, &text, KCONFIG_MAX_FILE);
    if (r < 0)
        return r;
    return parse_text(ps, text, strlen(text), display);
}

static void kparse_release(struct kparse *ps)
{
    for (size_t i = 0; i < ps->nframes; i++)
        strv_free(ps->frames[i].deps, ps->frames[i].ndeps);
    free(ps->frames);
}

int kconfig_index_parse(struct kconfig_index *ix, const char *text, size_t len, const char *name)
{
    struct kparse ps = {.ix = ix};
    int r = parse_text(&ps, text, len, name);
    kparse_release(&ps);
    return r;
}

static int sym_cmp(const void *a, const void *b)
{
    const struct kconfig_sym *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->seq < y->seq ? -1 : x->seq > y->seq);
}

void kconfig_index_finish(struct kconfig_index *ix)
{
    if (ix->nsyms)
        qsort(ix->syms, ix->nsyms, sizeof(*ix->syms), sym_cmp);
}

int kconfig_index_load(struct kconfig_index *ix, const char *srctree, const char *srcarch)
{
    struct kparse ps = {.ix = ix, .srctree = srctree, .srcarch = srcarch};
    _cleanup_free_ char *top = xasprintf("%s/Kconfig", srctree);
    int r = parse_file(&ps, top, "Kconfig");
    kparse_release(&ps);
    kconfig_index_finish(ix);
    return r;
}

const struct kconfig_sym *kconfig_index_find(const struct kconfig_index *ix, const char *name, size_t *count)
{
    size_t lo = 0, hi = ix->nsyms;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ix->syms[mid].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    while (lo + n < ix->nsyms && streq(ix->syms[lo + n].name, name))
        n++;
    *count = n;
    return n ? &ix->syms[lo] : NULL;
}

void kconfig_index_free(struct kconfig_index *ix)
{
    for (size_t i = 0; i < ix->nsyms; i++) {
        struct kconfig_def *d = &ix->syms[i].def;
        free(ix->syms[i].name);
        free(d->where);
        strv_free(d->deps, d->ndeps);
        strv_free(d->prompt_ifs, d->nprompt_ifs);
    }
    for (size_t i = 0; i < ix->nselects; i++) {
        free(ix->selects[i].from);
        free(ix->selects[i].target);
        free(ix->selects[i].cond);
    }
    free(ix->syms);
    free(ix->selects);
    memset(ix, 0, sizeof(*ix));
}

/* ------------------------------------------------------------------ audit --- */

/* Append each of conds that evaluates below need, with its symbols' values. */
static size_t unmet(char *const *conds, size_t n, int need, const char *label,
                    const struct kconfig *result, struct strbuf *sb)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        int v = kconfig_expr_eval(conds[i], result);
        if (v < 0 || v >= need)
            continue;
        sb_printf(sb, "%s%s %s [", count || sb->len ? "; " : "", label, conds[i]);
        kconfig_expr_symbols(conds[i], result, sb);
        sb_puts(sb, "]");
        count++;
    }
    return count;
}

/* Which options that are set in the result select name. */
static size_t active_selectors(const struct kconfig_index *ix, const char *name,
                               const struct kconfig *result, struct strbuf *sb)
{
    size_t count = 0;
    for (size_t i = 0; i < ix->nselects; i++) {
        const struct kconfig_select *s = &ix->selects[i];
        if (!streq(s->target, name) || tristate(kconfig_value(result, s->from)) == 0 ||
            (s->cond && kconfig_expr_eval(s->cond, result) <= 0))
            continue;
        sb_printf(sb, "%s%s=%s", count ? ", " : "selected by ", s->from, kconfig_value(result, s->from));
        count++;
    }
    return count;
}

static char *explain(const struct kconfig_index *ix, const char *name, const char *wanted,
                     const struct kconfig *result)
{
    size_t ndefs;
    const struct kconfig_sym *defs = kconfig_index_find(ix, name, &ndefs);
    if (!defs)
        return xstrdup("this kernel's Kconfig has no such option");
    const struct kconfig_def *d = &defs[0].def;
    for (size_t i = 0; i < ndefs; i++)
        if (defs[i].def.prompt) {
            d = &defs[i].def;
            break;
        }
    struct strbuf sb = STRBUF_INIT;
    if (streq(wanted, "n")) {
        /* something forced it on: a select, or a default nobody can override */
        if (active_selectors(ix, name, result, &sb))
            return sb_detach(&sb);
        if (!d->prompt)
            sb_printf(&sb, "it has no prompt; its default sets it (%s)", d->where);
        else if (!unmet(d->prompt_ifs, d->nprompt_ifs, 1, "its prompt needs", result, &sb))
            sb_printf(&sb, "Kconfig set it (%s)", d->where);
        return sb_detach(&sb);
    }
    if (streq(wanted, "m") && !streq(kconfig_value(result, "MODULES"), "y"))
        return xstrdup("modules are disabled (CONFIG_MODULES is not set)");
    int need = streq(wanted, "y") ? 2 : 1;
    if (unmet(d->deps, d->ndeps, need, "depends on", result, &sb))
        return sb_detach(&sb);
    if (!d->prompt)
        sb_printf(&sb, "it has no prompt (%s): only a select or a default sets it", d->where);
    else if (!unmet(d->prompt_ifs, d->nprompt_ifs, need, "its prompt needs", result, &sb))
        sb_printf(&sb, "Kconfig chose another value (%s: a choice, range or select decides it)", d->where);
    return sb_detach(&sb);
}

void kconfig_audit(const struct kconfig *asked, const struct kconfig *result,
                   char *const *required, size_t nrequired, const struct kconfig_index *ix,
                   struct kconfig_audit *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < asked->n; i++) {
        const struct kconfig_opt *a = &asked->opts[i];
        const char *got = kconfig_value(result, a->name);
        if (streq(a->value, got))
            continue;
        out->findings = xrealloc(out->findings, (out->n + 1) * sizeof(*out->findings));
        struct kconfig_finding *f = &out->findings[out->n++];
        *f = (struct kconfig_finding){.name = xstrdup(a->name), .wanted = xstrdup(a->value),
                                      .got = xstrdup(got), .origin = xstrdup(a->origin)};
        for (size_t j = 0; j < nrequired; j++)
            if (streq(required[j], a->name))
                f->required = true;
        out->nrequired += f->required;
        f->why = ix ? explain(ix, a->name, a->value, result) : NULL;
    }
}

char *kconfig_finding_describe(const struct kconfig_finding *f)
{
    _cleanup_free_ char *got = streq(f->got, "n") ? xstrdup("not set") : xasprintf("CONFIG_%s=%s", f->name, f->got);
    return xasprintf("%s: %sCONFIG_%s=%s did not get its value (result: %s)%s%s", f->origin,
                     f->required ? "required " : "", f->name, f->wanted, got, f->why ? ": " : "",
                     f->why ? f->why : "");
}

void kconfig_audit_free(struct kconfig_audit *a)
{
    for (size_t i = 0; i < a->n; i++) {
        struct kconfig_finding *f = &a->findings[i];
        free(f->name);
        free(f->wanted);
        free(f->got);
        free(f->origin);
        free(f->why);
    }
    free(a->findings);
    memset(a, 0, sizeof(*a));
}
