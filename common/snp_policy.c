/* The SEV-SNP guest policy: see snp_policy.h. */
#include "common/snp_policy.h"
#include "common/strbuf.h"
#include "common/util.h"

struct policy_bit {
    unsigned bit;
    const char *name;
    bool restricts;     /* set: the guest asks for a restriction (there when expected);
                           clear: the guest allows something (not there unless expected) */
};

static const struct policy_bit policy_bits[] = {
    {16, "smt_allowed", false},
    {18, "migrate_ma_allowed", false},
    {19, "debug_allowed", false},
    {20, "single_socket_required", true},
    {21, "cxl_allowed", false},
    {22, "mem_aes_256_xts", true},
    {23, "rapl_disabled", true},
    {24, "ciphertext_hiding", true},
    {25, "page_swap_disabled", true},
};

char *snp_policy_string(uint64_t policy)
{
    struct strbuf sb = STRBUF_INIT;
    sb_printf(&sb, "abi %u.%u", (unsigned)(policy >> 8 & 0xff), (unsigned)(policy & 0xff));
    for (size_t i = 0; i < ARRAY_SIZE(policy_bits); i++)
        sb_printf(&sb, " %s %u", policy_bits[i].name, (unsigned)(policy >> policy_bits[i].bit & 1));
    return sb_detach(&sb);
}

bool snp_policy_within(uint64_t want, uint64_t got, char **want_diff, char **got_diff)
{
    struct strbuf e = STRBUF_INIT, a = STRBUF_INIT;
    for (size_t i = 0; i < ARRAY_SIZE(policy_bits); i++) {
        const struct policy_bit *b = &policy_bits[i];
        unsigned w = want >> b->bit & 1, g = got >> b->bit & 1;
        if (b->restricts ? (w && !g) : (g && !w)) {
            sb_printf(&e, "%s%s %u", e.len ? ", " : "", b->name, w);
            sb_printf(&a, "%s%s %u", a.len ? ", " : "", b->name, g);
        }
    }
    unsigned wabi = (unsigned)(want & 0xffff), gabi = (unsigned)(got & 0xffff);
    if (gabi < wabi) {
        sb_printf(&e, "%sabi %u.%u or later", e.len ? ", " : "", wabi >> 8, wabi & 0xff);
        sb_printf(&a, "%sabi %u.%u", a.len ? ", " : "", gabi >> 8, gabi & 0xff);
    }
    bool ok = !e.len;
    if (want_diff)
        *want_diff = sb_detach(&e);
    if (got_diff)
        *got_diff = sb_detach(&a);
    sb_release(&e);
    sb_release(&a);
    return ok;
}
