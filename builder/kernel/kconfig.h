/* Kernel configuration text and its audit.
 *
 * - Fragments and .config files, in the kernel's own format:
 *   "CONFIG_X=value" and "# CONFIG_X is not set"; other '#' lines are
 *   comments. Parsed strictly: anything else is an error naming the line.
 * - An index of the tree's Kconfig files (definitions, "depends on", the
 *   enclosing "if"/"menu" conditions, prompts, "select"s), enough to say why
 *   an option did not get the value a fragment asked for.
 * - The audit: every option a fragment asked for, compared with the
 *   configuration Kconfig produced. */
#ifndef GUESTIMG_KCONFIG_H
#define GUESTIMG_KCONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf;

/* One option. value is "y", "m", "n" (not set), a number, or a string with
 * its double quotes, as written in the file. */
struct kconfig_opt {
    char *name;    /* without the CONFIG_ prefix */
    char *value;
    char *origin;  /* "file:line" where it was set */
};

/* A configuration: options in file order, each name at most once. */
struct kconfig {
    struct kconfig_opt *opts;
    size_t n, cap;
};

/* Parse text (len bytes; name is used in messages and origins). Adds to
 * kc; an option already in kc keeps its place and takes the new value.
 * A line that is not a comment or an assignment, a malformed name or
 * value, or the same option twice in this text is an error. */
int kconfig_parse(struct kconfig *kc, const char *text, size_t len, const char *name);
/* kconfig_parse of a file; origins name it as display (NULL: the path). */
int kconfig_load(struct kconfig *kc, const char *path, const char *display);
const struct kconfig_opt *kconfig_find(const struct kconfig *kc, const char *name);
/* The option's value, "n" when absent. */
const char *kconfig_value(const struct kconfig *kc, const char *name);
void kconfig_set(struct kconfig *kc, const char *name, const char *value, const char *origin);
/* The configuration in .config form. */
char *kconfig_format(const struct kconfig *kc);
void kconfig_free(struct kconfig *kc);

/* ---------------------------------------------------------- Kconfig index --- */

struct kconfig_def {
    char *where;         /* "drivers/md/Kconfig:501" */
    bool prompt;         /* user-settable (has a prompt) */
    char **deps;         /* "depends on" and enclosing if/menu/choice conditions */
    size_t ndeps;
    char **prompt_ifs;   /* conditions on the prompt ("bool \"x\" if EXPERT") */
    size_t nprompt_ifs;
};

struct kconfig_sym {
    char *name;
    size_t seq;  /* definition order, so a name's definitions stay in file order */
    struct kconfig_def def;
};

struct kconfig_select {
    char *from, *target, *cond;  /* cond: NULL when unconditional */
};

struct kconfig_index {
    struct kconfig_sym *syms;       /* one per definition, sorted by name */
    size_t nsyms, capsyms;
    struct kconfig_select *selects;
    size_t nselects, capselects;
};

/* Read srctree/Kconfig and every file it sources, with $(SRCARCH) = srcarch. */
int kconfig_index_load(struct kconfig_index *ix, const char *srctree, const char *srcarch);
/* Index one Kconfig text; its "source" lines are not followed (for tests and
 * the fuzzer). Call kconfig_index_finish() afterwards. */
int kconfig_index_parse(struct kconfig_index *ix, const char *text, size_t len, const char *name);
void kconfig_index_finish(struct kconfig_index *ix);
/* Definitions of name: returns the first and sets *count (0: not defined). */
const struct kconfig_sym *kconfig_index_find(const struct kconfig_index *ix, const char *name, size_t *count);
void kconfig_index_free(struct kconfig_index *ix);

/* Evaluate a Kconfig expression against values: 0 (n), 1 (m), 2 (y), or
 * -EINVAL when it cannot be parsed (macros, bad syntax). */
int kconfig_expr_eval(const char *expr, const struct kconfig *values);
/* Append "SYM=value" for every symbol expr names (comma separated). */
void kconfig_expr_symbols(const char *expr, const struct kconfig *values, struct strbuf *sb);

/* ------------------------------------------------------------------ audit --- */

struct kconfig_finding {
    char *name, *wanted, *got, *origin;
    bool required;
    char *why;  /* what Kconfig says about it, or NULL */
};

struct kconfig_audit {
    struct kconfig_finding *findings;
    size_t n;
    size_t nrequired;  /* findings about required options */
};

/* Compare every option in asked with result. required lists option names
 * (without CONFIG_) that must get their value. ix, when not NULL, explains
 * each finding. */
void kconfig_audit(const struct kconfig *asked, const struct kconfig *result,
                   char *const *required, size_t nrequired, const struct kconfig_index *ix,
                   struct kconfig_audit *out);
/* "CONFIG_X=y (base.conf:12) is not set in the result: depends on ..." */
char *kconfig_finding_describe(const struct kconfig_finding *f);
void kconfig_audit_free(struct kconfig_audit *a);

#endif
