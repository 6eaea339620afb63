/* Kernel configuration: fragment / .config parsing, Kconfig expressions and
 * index, the audit, profiles, kernel image headers; process spawning and
 * console helpers used by the build and boot. */
#include "builder/kernel/boot.h"
#include "builder/kernel/kconfig.h"
#include "builder/kernel/kernel.h"
#include "common/spawn.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "harness.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

static int parse(struct kconfig *kc, const char *text)
{
    return kconfig_parse(kc, text, strlen(text), "t.conf");
}

/* ------------------------------------------------------------- parsing --- */

TEST(parse_assignments_and_not_set)
{
    struct kconfig kc = {0};
    CHECK_EQ_INT(parse(&kc, "# a comment\n\nCONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=m  \n"
                            "CONFIG_D=\"a \\\"quoted\\\" string\"\nCONFIG_E=-12\nCONFIG_F=0x1f\nCONFIG_G=n\n"
                            "# CONFIG_H=y is only a comment\n"),
                 0);
    CHECK_EQ_U64(kc.n, 7);
    CHECK_STR(kconfig_value(&kc, "A"), "y");
    CHECK_STR(kconfig_value(&kc, "B"), "n");
    CHECK_STR(kconfig_value(&kc, "C"), "m");
    CHECK_STR(kconfig_value(&kc, "D"), "\"a \\\"quoted\\\" string\"");
    CHECK_STR(kconfig_value(&kc, "E"), "-12");
    CHECK_STR(kconfig_value(&kc, "F"), "0x1f");
    CHECK_STR(kconfig_value(&kc, "G"), "n");
    CHECK_STR(kconfig_value(&kc, "H"), "n"); /* absent */
    CHECK(!kconfig_find(&kc, "H"));
    CHECK_STR(kconfig_find(&kc, "C")->origin, "t.conf:5");
    kconfig_free(&kc);
}

TEST(parse_last_line_without_newline)
{
    struct kconfig kc = {0};
    CHECK_EQ_INT(parse(&kc, "CONFIG_A=y"), 0);
    CHECK_STR(kconfig_value(&kc, "A"), "y");
    kconfig_free(&kc);
}

TEST(parse_rejects_what_is_not_an_assignment)
{
    static const struct { const char *text, *msg; } bad[] = {
        {"CONFIG_A=y\nfoo bar\n", "t.conf:2: not a config assignment"},
        {"A=y\n", "t.conf:1: not a config assignment"},
        {"CONFIG_A\n", "t.conf:1: not a config assignment"},
        {"CONFIG_=y\n", "t.conf:1: invalid option name"},
        {"CONFIG_A-B=y\n", "t.conf:1: invalid option name"},
        {"CONFIG_A=yes\n", "t.conf:1: CONFIG_A: invalid value 'yes'"},
        {"CONFIG_A=\n", "t.conf:1: CONFIG_A: invalid value ''"},
        {"CONFIG_A=\"open\n", "t.conf:1: CONFIG_A: invalid value"},
        {"CONFIG_A=\"a\"b\"\n", "t.conf:1: CONFIG_A: invalid value"},
        {"CONFIG_A=0x\n", "t.conf:1: CONFIG_A: invalid value"},
        {"CONFIG_A=1 # comment\n", "t.conf:1: CONFIG_A: invalid value"},
        {"CONFIG_A=y\r\n", "t.conf:1: CONFIG_A: invalid value"},
        {"CONFIG_A=y\n# CONFIG_A is not set\n", "t.conf: CONFIG_A is set twice (lines 1 and 2)"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct kconfig kc = {0};
        CHECK_EQ_INT(parse(&kc, bad[i].text), -EINVAL);
        if (!startswith(err_msg(), bad[i].msg))
            FAIL_("case %zu: '%s' does not start with '%s'", i, err_msg(), bad[i].msg);
        kconfig_free(&kc);
    }
    struct kconfig kc = {0};
    CHECK_EQ_INT(kconfig_parse(&kc, "CONFIG_A=y\0x", 12, "nul.conf"), -EINVAL);
    CHECK(strstr(err_msg(), "NUL"));
    kconfig_free(&kc);
}

TEST(set_overrides_in_place_and_format_round_trips)
{
    struct kconfig kc = {0};
    CHECK_EQ_INT(parse(&kc, "CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=\"x\"\n"), 0);
    kconfig_set(&kc, "A", "n", "f.conf:9");
    kconfig_set(&kc, "Z", "m", "f.conf:10");
    _cleanup_free_ char *text = kconfig_format(&kc);
    CHECK_STR(text, "# CONFIG_A is not set\n# CONFIG_B is not set\nCONFIG_C=\"x\"\nCONFIG_Z=m\n");
    struct kconfig again = {0};
    CHECK_EQ_INT(parse(&again, text), 0);
    CHECK_EQ_U64(again.n, 4);
    CHECK_STR(kconfig_find(&kc, "A")->origin, "f.conf:9");
    kconfig_free(&kc);
    kconfig_free(&again);
}

/* --------------------------------------------------------- expressions --- */

TEST(expressions_follow_kconfig_tristate_logic)
{
    struct kconfig v = {0};
    CHECK_EQ_INT(parse(&v, "CONFIG_Y=y\nCONFIG_M=m\n# CONFIG_N is not set\nCONFIG_NUM=64\n"
                           "CONFIG_HEX=0x10\nCONFIG_S=\"abc\"\n"),
                 0);
    static const struct { const char *e; int want; } cases[] = {
        {"Y", 2}, {"M", 1}, {"N", 0}, {"UNDEFINED", 0}, {"y", 2}, {"m", 1}, {"n", 0},
        {"!Y", 0}, {"!M", 1}, {"!N", 2}, {"Y && M", 1}, {"Y || N", 2}, {"N || M", 1},
        {"Y && (N || M)", 1}, {"!(Y && N)", 2}, {"Y && !N && M", 1},
        {"NUM = 64", 2}, {"NUM != 64", 0}, {"NUM > 8", 2}, {"NUM < 100", 2}, {"NUM >= 65", 0},
        {"HEX = 16", 2}, {"HEX <= 0x10", 2}, {"S = \"abc\"", 2}, {"S != \"abd\"", 2},
        {"M = m", 2}, {"N = n", 2}, {"UNDEFINED = n", 2}, {"Y=y&&M!=y", 2},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        if (kconfig_expr_eval(cases[i].e, &v) != cases[i].want)
            FAIL_("'%s' gave %d, want %d", cases[i].e, kconfig_expr_eval(cases[i].e, &v), cases[i].want);
    static const char *const malformed[] = {"", "Y &&", "(Y", "Y)", "Y Y", "$(cc-option,-x)", "Y = ", "\"open",
                                            "!", "&& Y"};
    for (size_t i = 0; i < ARRAY_SIZE(malformed); i++)
        if (kconfig_expr_eval(malformed[i], &v) != -EINVAL)
            FAIL_("'%s' should not parse", malformed[i]);
    struct strbuf sb = STRBUF_INIT;
    kconfig_expr_symbols("Y && (UNDEFINED || !Y) && NUM > 8 && S = \"abc\"", &v, &sb);
    CHECK_STR(sb.buf, "Y=y, UNDEFINED=n, NUM=64, S=\"abc\"");
    sb_release(&sb);
    kconfig_free(&v);
}

/* ---------------------------------------------------------- Kconfig index --- */

static const char kconfig_text[] =
    "# top\n"
    "mainmenu \"Test\"\n"
    "config MODULES\n"
    "\tbool \"modules\"\n"
    "\n"
    "config BASE\n"
    "\tbool \"base option\"\n"
    "\thelp\n"
    "\t  Help text that mentions keywords:\n"
    "\t  config HIDDEN_IN_HELP\n"
    "\n"
    "\t  endif endmenu\n"
    "config NEEDS_BASE\n"
    "\ttristate \"needs base\"\n"
    "\tdepends on BASE && \\\n"
    "\t\t!NOPE\n"
    "\tselect SELECTED if BASE\n"
    "menu \"Things\"\n"
    "\tdepends on MENU_GATE\n"
    "if IF_GATE\n"
    "config INSIDE\n"
    "\tbool \"inside\" # a comment\n"
    "\tdepends on BASE\n"
    "endif\n"
    "endmenu\n"
    "config SELECTED\n"
    "\tbool\n"
    "config EXPERT_ONLY\n"
    "\tdef_bool y\n"
    "\tprompt \"only for experts\" if EXPERT\n"
    "choice\n"
    "\tprompt \"pick\"\n"
    "\tdepends on BASE\n"
    "config PICK_A\n"
    "\tbool \"a\"\n"
    "endchoice\n";

static void load_index(struct kconfig_index *ix)
{
    CHECK_EQ_INT(kconfig_index_parse(ix, kconfig_text, strlen(kconfig_text), "Kconfig"), 0);
    kconfig_index_finish(ix);
}

TEST(index_records_definitions_dependencies_and_prompts)
{
    struct kconfig_index ix = {0};
    load_index(&ix);
    size_t n;
    CHECK(!kconfig_index_find(&ix, "HIDDEN_IN_HELP", &n));
    CHECK_EQ_U64(n, 0);
    const struct kconfig_sym *s = kconfig_index_find(&ix, "NEEDS_BASE", &n);
    CHECK(s && n == 1);
    CHECK(s->def.prompt);
    CHECK_STR(s->def.where, "Kconfig:13");
    CHECK_EQ_U64(s->def.ndeps, 1);
    CHECK_STR(s->def.deps[0], "BASE && \t\t!NOPE");
    s = kconfig_index_find(&ix, "INSIDE", &n);
    CHECK(s && s->def.ndeps == 3);
    CHECK_STR(s->def.deps[0], "MENU_GATE");
    CHECK_STR(s->def.deps[1], "IF_GATE");
    CHECK_STR(s->def.deps[2], "BASE");
    s = kconfig_index_find(&ix, "SELECTED", &n);
    CHECK(s && !s->def.prompt && s->def.ndeps == 0);
    s = kconfig_index_find(&ix, "EXPERT_ONLY", &n);
    CHECK(s && s->def.prompt && s->def.nprompt_ifs == 1);
    CHECK_STR(s->def.prompt_ifs[0], "EXPERT");
    s = kconfig_index_find(&ix, "PICK_A", &n);
    CHECK(s && s->def.ndeps == 1);
    CHECK_STR(s->def.deps[0], "BASE");
    CHECK_EQ_U64(ix.nselects, 1);
    CHECK_STR(ix.selects[0].from, "NEEDS_BASE");
    CHECK_STR(ix.selects[0].target, "SELECTED");
    CHECK_STR(ix.selects[0].cond, "BASE");
    kconfig_index_free(&ix);
}

TEST(index_rejects_unbalanced_blocks)
{
    static const char *const bad[] = {"endif\n", "menu \"x\"\nendif\n", "choice\nendmenu\n", "if A\nendchoice\n",
                                      "config\n"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct kconfig_index ix = {0};
        CHECK_EQ_INT(kconfig_index_parse(&ix, bad[i], strlen(bad[i]), "K"), -EINVAL);
        CHECK(startswith(err_msg(), "K:"));
        kconfig_index_free(&ix);
    }
}

TEST(index_load_follows_source_statements)
{
    char dir[] = "/tmp/test_kernel_XXXXXX";
    CHECK(mkdtemp(dir));
    _cleanup_free_ char *top = xasprintf("%s/Kconfig", dir), *sub = xasprintf("%s/arch/x86", dir);
    _cleanup_free_ char *arch = xasprintf("%s/arch/x86/Kconfig", dir), *rel = xasprintf("%s/arch/x86/Kconfig.rel", dir);
    CHECK_EQ_INT(mkdir_p(sub, 0755), 0);
    const char *t = "if GATE\nsource \"arch/$(SRCARCH)/Kconfig\"\nendif\nosource \"missing/Kconfig\"\n"
                    "source \"arch/$(OTHER)/Kconfig\"\n";
    const char *a = "config X86_THING\n\tbool \"t\"\nrsource \"Kconfig.rel\"\n";
    const char *r = "config REL_THING\n\tbool\n";
    CHECK_EQ_INT(file_write_atomic(top, t, strlen(t), 0644), 0);
    CHECK_EQ_INT(file_write_atomic(arch, a, strlen(a), 0644), 0);
    CHECK_EQ_INT(file_write_atomic(rel, r, strlen(r), 0644), 0);
    struct kconfig_index ix = {0};
    CHECK_EQ_INT(kconfig_index_load(&ix, dir, "x86"), 0);
    size_t n;
    const struct kconfig_sym *s = kconfig_index_find(&ix, "X86_THING", &n);
    CHECK(s && s->def.ndeps == 1);
    CHECK_STR(s->def.deps[0], "GATE");
    CHECK_STR(s->def.where, "arch/x86/Kconfig:1");
    s = kconfig_index_find(&ix, "REL_THING", &n);
    CHECK(s);
    CHECK_STR(s->def.where, "arch/x86/Kconfig.rel:1");
    kconfig_index_free(&ix);
    unlink(top);
    const char *missing = "source \"nothere/Kconfig\"\n";
    CHECK_EQ_INT(file_write_atomic(top, missing, strlen(missing), 0644), 0);
    CHECK(kconfig_index_load(&ix, dir, "x86") < 0);
    CHECK(strstr(err_msg(), "nothere/Kconfig"));
    kconfig_index_free(&ix);
    CHECK_EQ_INT(rm_rf(dir), 0);
}

/* ------------------------------------------------------------------ audit --- */

TEST(audit_names_fragment_value_and_reason)
{
    struct kconfig_index ix = {0};
    load_index(&ix);
    struct kconfig asked = {0}, result = {0};
    const char *a = "CONFIG_BASE=y\nCONFIG_NEEDS_BASE=y\nCONFIG_INSIDE=y\nCONFIG_TYPO=y\n"
                    "# CONFIG_SELECTED is not set\nCONFIG_EXPERT_ONLY=n\nCONFIG_PICK_A=m\n";
    CHECK_EQ_INT(kconfig_parse(&asked, a, strlen(a), "frag.conf"), 0);
    /* BASE survived; NEEDS_BASE lost to NOPE; INSIDE's menu gate is off;
     * SELECTED is forced on by NEEDS_BASE's select in this made-up result. */
    CHECK_EQ_INT(parse(&result, "CONFIG_BASE=y\nCONFIG_NOPE=y\nCONFIG_SELECTED=y\nCONFIG_NEEDS_BASE=m\n"
                                "CONFIG_EXPERT_ONLY=y\n"),
                 0);
    char *required[] = {"INSIDE", "BASE"};
    struct kconfig_audit au;
    kconfig_audit(&asked, &result, required, 2, &ix, &au);
    CHECK_EQ_U64(au.n, 6);
    CHECK_EQ_U64(au.nrequired, 1);
    _cleanup_free_ char *d0 = kconfig_finding_describe(&au.findings[0]);
    CHECK_STR(d0, "frag.conf:2: CONFIG_NEEDS_BASE=y did not get its value (result: CONFIG_NEEDS_BASE=m): "
                  "depends on BASE && \t\t!NOPE [BASE=y, NOPE=y]");
    _cleanup_free_ char *d1 = kconfig_finding_describe(&au.findings[1]);
    CHECK_STR(d1, "frag.conf:3: required CONFIG_INSIDE=y did not get its value (result: not set): "
                  "depends on MENU_GATE [MENU_GATE=n]; depends on IF_GATE [IF_GATE=n]");
    CHECK(au.findings[1].required);
    CHECK_STR(au.findings[2].why, "this kernel's Kconfig has no such option");
    CHECK_STR(au.findings[3].why, "selected by NEEDS_BASE=m");
    CHECK_STR(au.findings[4].why, "its prompt needs EXPERT [EXPERT=n]");
    CHECK_STR(au.findings[5].why, "modules are disabled (CONFIG_MODULES is not set)");
    kconfig_audit_free(&au);
    /* without an index: findings, no reasons */
    kconfig_audit(&asked, &result, NULL, 0, NULL, &au);
    CHECK_EQ_U64(au.n, 6);
    CHECK(!au.findings[0].why);
    CHECK_EQ_U64(au.nrequired, 0);
    kconfig_audit_free(&au);
    kconfig_free(&asked);
    kconfig_free(&result);
    kconfig_index_free(&ix);
}

TEST(audit_explains_no_prompt_and_hidden_prompt)
{
    struct kconfig_index ix = {0};
    load_index(&ix);
    struct kconfig asked = {0}, result = {0};
    CHECK_EQ_INT(parse(&asked, "CONFIG_SELECTED=y\nCONFIG_EXPERT_ONLY=y\nCONFIG_PICK_A=y\n"), 0);
    CHECK_EQ_INT(parse(&result, "CONFIG_BASE=y\n# CONFIG_EXPERT_ONLY is not set\n"), 0);
    struct kconfig_audit au;
    kconfig_audit(&asked, &result, NULL, 0, &ix, &au);
    CHECK_EQ_U64(au.n, 3);
    CHECK_STR(au.findings[0].why, "it has no prompt (Kconfig:26): only a select or a default sets it");
    CHECK_STR(au.findings[1].why, "its prompt needs EXPERT [EXPERT=n]");
    CHECK(startswith(au.findings[2].why, "Kconfig chose another value (Kconfig:34"));
    kconfig_audit_free(&au);
    /* asked off, but on: a default behind a hidden prompt, or no prompt at all */
    kconfig_free(&asked);
    kconfig_free(&result);
    CHECK_EQ_INT(parse(&asked, "# CONFIG_EXPERT_ONLY is not set\n# CONFIG_SELECTED is not set\n"
                               "# CONFIG_PICK_A is not set\n"),
                 0);
    /* a choice must pick one of its members: PICK_A is the only one */
    CHECK_EQ_INT(parse(&result, "CONFIG_EXPERT_ONLY=y\nCONFIG_SELECTED=y\nCONFIG_BASE=y\nCONFIG_PICK_A=y\n"), 0);
    kconfig_audit(&asked, &result, NULL, 0, &ix, &au);
    CHECK_EQ_U64(au.n, 3);
    CHECK_STR(au.findings[0].why, "its prompt needs EXPERT [EXPERT=n]");
    CHECK_STR(au.findings[1].why, "it has no prompt; its default sets it (Kconfig:26)");
    CHECK_STR(au.findings[2].why, "Kconfig set it (Kconfig:34)");
    kconfig_audit_free(&au);
    kconfig_free(&asked);
    kconfig_free(&result);
    kconfig_index_free(&ix);
}

/* --------------------------------------------------------------- profiles --- */

struct profile_dir {
    char dir[64];
    char *profile, *fragments;
};

static void write_file(const char *dir, const char *name, const char *text)
{
    _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
    CHECK_EQ_INT(file_write_atomic(p, text, strlen(text), 0644), 0);
}

static void profile_dir_make(struct profile_dir *pd, const char *profile_text)
{
    snprintf(pd->dir, sizeof(pd->dir), "/tmp/test_kernel_XXXXXX");
    CHECK(mkdtemp(pd->dir));
    pd->fragments = xasprintf("%s/fragments", pd->dir);
    _cleanup_free_ char *profiles = xasprintf("%s/profiles", pd->dir);
    CHECK_EQ_INT(mkdir_p(pd->fragments, 0755), 0);
    CHECK_EQ_INT(mkdir_p(profiles, 0755), 0);
    write_file(pd->fragments, "one.conf", "# first\nCONFIG_A=y\nCONFIG_B=y\n");
    write_file(pd->fragments, "two.conf", "# CONFIG_B is not set\nCONFIG_C=\"x\"\n");
    write_file(pd->fragments, "broken.conf", "CONFIG_A=y\nnonsense\n");
    write_file(profiles, "start.config", "CONFIG_Z=y\n");
    pd->profile = xasprintf("%s/p.list", profiles);
    write_file(profiles, "p.list", profile_text);
}

static void profile_dir_free(struct profile_dir *pd)
{
    rm_rf(pd->dir);
    free(pd->profile);
    free(pd->fragments);
}

TEST(profile_merges_fragments_in_order)
{
    struct profile_dir pd;
    profile_dir_make(&pd, "# comment\nbase tinyconfig\nfragment one   # trailing comment\nfragment two\n"
                          "require CONFIG_A CONFIG_C\n");
    struct kernel_profile p;
    CHECK_EQ_INT(kernel_profile_load(pd.profile, pd.fragments, &p), 0);
    CHECK_STR(p.name, "p");
    CHECK_STR(p.base_target, "tinyconfig");
    CHECK(!p.base_config);
    CHECK_EQ_U64(p.nfragments, 2);
    CHECK(endswith(p.fragments[1], "/fragments/two.conf"));
    CHECK_EQ_U64(p.nrequired, 2);
    CHECK_STR(p.required[1], "C");
    CHECK_STR(kconfig_value(&p.asked, "B"), "n");
    CHECK_STR(kconfig_find(&p.asked, "B")->origin, "two.conf:1");
    CHECK_STR(kconfig_find(&p.asked, "A")->origin, "one.conf:2");
    kernel_profile_free(&p);
    profile_dir_free(&pd);

    profile_dir_make(&pd, "base file:start.config\nfragment one\n");
    CHECK_EQ_INT(kernel_profile_load(pd.profile, pd.fragments, &p), 0);
    CHECK(endswith(p.base_config, "/profiles/start.config"));
    kernel_profile_free(&p);
    profile_dir_free(&pd);
}

TEST(profile_errors_name_the_line)
{
    static const struct { const char *text, *msg; } bad[] = {
        {"base tinyconfig\nfragment missing\n", "p.list:2: fragment 'missing' not found"},
        {"base tinyconfig\nfragment broken\n", "broken.conf:2: not a config assignment"},
        {"base tinyconfig\nfragment ../one\n", "p.list:2: fragment takes one name"},
        {"base tinyconfig\nfragments one\n", "p.list:2: unknown keyword 'fragments'"},
        {"base tinyconfig\nfragment one\nrequire A\n", "p.list:3: 'A' is not an option name"},
        {"base tinyconfig\nfragment one\nrequire CONFIG_D\n", "required CONFIG_D is not asked for"},
        {"fragment one\n", "no base line"},
        {"base tinyconfig\n", "names no fragment"},
        {"base tinyconfig\nbase allnoconfig\n", "p.list:2: a second base line"},
        {"base menuconfig\n", "p.list:1: unknown base 'menuconfig'"},
        {"base file:../x\n", "p.list:1: base file name '../x' must be a plain file name"},
        {"base file:absent.config\n", "p.list:1: base config"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct profile_dir pd;
        profile_dir_make(&pd, bad[i].text);
        struct kernel_profile p;
        CHECK(kernel_profile_load(pd.profile, pd.fragments, &p) < 0);
        if (!strstr(err_msg(), bad[i].msg))
            FAIL_("case %zu: '%s' does not contain '%s'", i, err_msg(), bad[i].msg);
        profile_dir_free(&pd);
    }
}

TEST(shipped_profiles_load)
{
    static const char *const names[] = {"demo", "kata-snp", "kata-snp-debug"};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        _cleanup_free_ char *path = xasprintf("kernel-configs/profiles/%s.list", names[i]);
        struct kernel_profile p;
        if (kernel_profile_load(path, "kernel-configs/fragments", &p) < 0)
            FAIL_("%s: %s", names[i], err_msg());
        CHECK(p.nfragments >= 3);
        kernel_profile_free(&p);
    }
}

/* ---------------------------------------------------------- kernel files --- */

static size_t fake_bzimage(uint8_t *buf, size_t size, const char *version)
{
    memset(buf, 0, size);
    buf[0x1fe] = 0x55;
    buf[0x1ff] = 0xaa;
    memcpy(buf + 0x202, "HdrS", 4);
    buf[0x206] = 0x0f; /* 2.15 */
    buf[0x207] = 0x02;
    if (version) {
        buf[0x20e] = 0x00; /* string at 0x200 + 0x300 */
        buf[0x20f] = 0x03;
        memcpy(buf + 0x500, version, strlen(version) + 1);
    }
    return size;
}

TEST(kernel_image_headers)
{
    uint8_t buf[4096];
    struct kernel_image img;
    size_t n = fake_bzimage(buf, sizeof(buf), "6.1.192 (guestimg@guestimg) #1");
    CHECK_EQ_INT(kernel_image_inspect(buf, n, "k", &img), 0);
    CHECK_EQ_INT(img.kind, KERNEL_BZIMAGE);
    CHECK_EQ_INT(img.boot_protocol, 0x020f);
    CHECK_STR(img.version, "6.1.192 (guestimg@guestimg) #1");
    fake_bzimage(buf, sizeof(buf), NULL);
    CHECK_EQ_INT(kernel_image_inspect(buf, n, "k", &img), 0);
    CHECK_STR(img.version, "");
    /* the version pointer beyond the end of a short file */
    fake_bzimage(buf, sizeof(buf), "x");
    CHECK_EQ_INT(kernel_image_inspect(buf, 0x300, "k", &img), -EINVAL);
    CHECK(strstr(err_msg(), "lies outside the file"));
    /* truncated inside the header, wrong magic, old protocol */
    CHECK_EQ_INT(kernel_image_inspect(buf, 0x205, "k", &img), -EINVAL);
    CHECK(strstr(err_msg(), "k: not an x86 kernel image"));
    fake_bzimage(buf, sizeof(buf), NULL);
    buf[0x202] = 'X';
    CHECK_EQ_INT(kernel_image_inspect(buf, n, "k", &img), -EINVAL);
    fake_bzimage(buf, sizeof(buf), NULL);
    buf[0x207] = 0x01;
    CHECK_EQ_INT(kernel_image_inspect(buf, n, "k", &img), -EINVAL);
    CHECK(strstr(err_msg(), "too old"));
    /* ELF: x86-64 accepted, another machine refused */
    memset(buf, 0, 64);
    memcpy(buf, "\177ELF\2\1", 6);
    buf[18] = 62;
    CHECK_EQ_INT(kernel_image_inspect(buf, 64, "v", &img), 0);
    CHECK_EQ_INT(img.kind, KERNEL_ELF);
    buf[18] = 183; /* aarch64 */
    CHECK_EQ_INT(kernel_image_inspect(buf, 64, "v", &img), -EINVAL);
    CHECK(strstr(err_msg(), "not an x86-64 kernel"));
}

TEST(kernel_from_file_copies_only_kernels)
{
    char dir[] = "/tmp/test_kernel_XXXXXX";
    CHECK(mkdtemp(dir));
    uint8_t buf[4096];
    fake_bzimage(buf, sizeof(buf), "6.1.0-test");
    _cleanup_free_ char *src = xasprintf("%s/vmlinuz", dir), *dst = xasprintf("%s/out/bzImage", dir);
    _cleanup_free_ char *outdir = xasprintf("%s/out", dir), *junk = xasprintf("%s/junk", dir);
    CHECK_EQ_INT(mkdir_p(outdir, 0755), 0);
    CHECK_EQ_INT(file_write_atomic(src, buf, sizeof(buf), 0644), 0);
    struct kernel_image img;
    CHECK_EQ_INT(kernel_from_file(src, dst, &img), 0);
    CHECK_STR(img.version, "6.1.0-test");
    uint8_t *copy;
    size_t len;
    CHECK_EQ_INT(file_read_all(dst, &copy, &len, 0), 0);
    CHECK_EQ_U64(len, sizeof(buf));
    CHECK_MEM(copy, buf, len);
    free(copy);
    CHECK_EQ_INT(file_write_atomic(junk, "not a kernel", 12, 0644), 0);
    unlink(dst);
    CHECK_EQ_INT(kernel_from_file(junk, dst, NULL), -EINVAL);
    CHECK(access(dst, F_OK) < 0);
    CHECK_EQ_INT(rm_rf(dir), 0);
}

/* ------------------------------------------------------------- processes --- */

TEST(spawn_captures_output_and_reports_failures)
{
    const char *echo[] = {"printf", "%s-%s", "a", "b", NULL};
    char *out = NULL;
    CHECK_EQ_INT(spawn_capture(echo, NULL, &out), 0);
    CHECK_STR(out, "a-b");
    free(out);
    const char *missing[] = {"guestimg-no-such-program", NULL};
    CHECK_EQ_INT(spawn_capture(missing, NULL, &out), -ENOENT);
    CHECK_STR(err_msg(), "guestimg-no-such-program: not found in PATH");
    const char *failing[] = {"ls", "/guestimg/no/such/dir", NULL};
    CHECK_EQ_INT(spawn_capture(failing, NULL, &out), -EIO);
    CHECK(startswith(err_msg(), "ls failed (exit status 2): "));
    /* the environment is exactly what we pass */
    const char *env[] = {"ONLY=this", NULL};
    const char *printenv[] = {"/usr/bin/env", NULL};
    CHECK_EQ_INT(spawn_capture(printenv, env, &out), 0);
    CHECK_STR(out, "ONLY=this\n");
    free(out);
}

static bool stop_at_b(const char *buf, size_t len, void *ctx)
{
    (void)ctx;
    return memchr(buf, 'b', len) != NULL;
}

TEST(spawn_timeout_and_stop_end_the_child)
{
    const char *sleeper[] = {"sleep", "30", NULL};
    struct spawn_opts o = {.argv = sleeper, .timeout_ms = 200};
    struct spawn_result res;
    CHECK_EQ_INT(spawn_run(&o, &res), 0);
    CHECK(res.timed_out);
    CHECK_EQ_INT(res.signal, SIGTERM);
    char how[64];
    CHECK_STR(spawn_describe(&res, how, sizeof(how)), "timed out");
    const char *yes[] = {"yes", "b", NULL};
    struct spawn_opts o2 = {.argv = yes, .on_output = stop_at_b};
    CHECK_EQ_INT(spawn_run(&o2, &res), 0);
    CHECK(res.stopped && !res.timed_out);
    const char *f[] = {"false", NULL};
    struct spawn_opts o3 = {.argv = f};
    CHECK_EQ_INT(spawn_run(&o3, &res), 0);
    CHECK_EQ_INT(res.exit_code, 1);
    CHECK_STR(spawn_describe(&res, how, sizeof(how)), "exit status 1");
}

/* The leader dies of SIGTERM at once; what it started ignores SIGTERM and
 * must not outlive spawn_run (it would keep writing into a tree the caller
 * removes next). */
TEST(spawn_timeout_reaps_what_the_child_started)
{
    char pidfile[] = "/tmp/test_spawn_XXXXXX";
    int fd = mkstemp(pidfile);
    CHECK(fd >= 0);
    close(fd);
    _cleanup_free_ char *script =
        xasprintf("sh -c 'trap \"\" TERM; while :; do sleep 0.05; done' & echo $! > %s; wait", pidfile);
    const char *argv[] = {"sh", "-c", script, NULL};
    struct spawn_opts o = {.argv = argv, .timeout_ms = 300};
    struct spawn_result res;
    CHECK_EQ_INT(spawn_run(&o, &res), 0);
    CHECK(res.timed_out);
    _cleanup_free_ uint8_t *text = NULL;
    size_t len;
    CHECK_EQ_INT(file_read_all(pidfile, &text, &len, 64), 0);
    unlink(pidfile);
    pid_t pid = (pid_t)atoi((const char *)text);
    CHECK(pid > 0);
    CHECK(kill(pid, 0) < 0 && errno == ESRCH);
}

/* --------------------------------------------------------------- console --- */

TEST(boot_cmdline_and_console_tail)
{
    char dir[] = "/tmp/test_kernel_XXXXXX";
    CHECK(mkdtemp(dir));
    _cleanup_free_ char *p = xasprintf("%s/cmdline.txt", dir), *log = xasprintf("%s/console.log", dir);
    CHECK_EQ_INT(file_write_atomic(p, "root=/dev/dm-0 ro \n", 19, 0644), 0);
    char *cmdline;
    CHECK_EQ_INT(boot_read_cmdline(p, &cmdline), 0);
    CHECK_STR(cmdline, "root=/dev/dm-0 ro");
    free(cmdline);
    CHECK_EQ_INT(file_write_atomic(p, "a\nb\n", 4, 0644), 0);
    CHECK_EQ_INT(boot_read_cmdline(p, &cmdline), -EINVAL);
    CHECK(strstr(err_msg(), "one non-empty line"));
    CHECK_EQ_INT(file_write_atomic(p, "\n", 1, 0644), 0);
    CHECK_EQ_INT(boot_read_cmdline(p, &cmdline), -EINVAL);
    const char *console = "one\r\ntwo\r\nth\033ree\r\nfour\n";
    CHECK_EQ_INT(file_write_atomic(log, console, strlen(console), 0644), 0);
    _cleanup_free_ char *tail = boot_console_tail(log, 2);
    CHECK_STR(tail, "th ree\nfour\n");
    _cleanup_free_ char *all = boot_console_tail(log, 10);
    CHECK_STR(all, "one\ntwo\nth ree\nfour\n");
    char *k = NULL, *d = NULL, *c = NULL;
    CHECK_EQ_INT(boot_dir_files(dir, &k, &d, &c), -ENOENT);
    CHECK(strstr(err_msg(), "no bzImage or vmlinuz (pass --kernel)"));
    /* only what is asked for must be there */
    CHECK_EQ_INT(boot_dir_files(dir, NULL, NULL, &c), 0);
    CHECK(endswith(c, "/cmdline.txt"));
    free(c);
    CHECK_EQ_INT(boot_dir_files(dir, NULL, &d, NULL), -ENOENT);
    CHECK(strstr(err_msg(), "no kata-containers.img (pass --disk)"));
    CHECK_EQ_INT(rm_rf(dir), 0);
}
