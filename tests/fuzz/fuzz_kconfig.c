/* libFuzzer target: the configuration text parsers. The same bytes are
 * read as a fragment / .config, as a Kconfig file (then audited against
 * the fragment reading), as a Kconfig expression, and as a kernel image
 * header. */
#include "builder/kernel/kconfig.h"
#include "builder/kernel/kernel.h"
#include "common/strbuf.h"
#include "common/util.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kconfig kc = {0};
    kconfig_parse(&kc, (const char *)data, size, "fuzz.conf");
    _cleanup_free_ char *formatted = kconfig_format(&kc);

    struct kconfig_index ix = {0};
    kconfig_index_parse(&ix, (const char *)data, size, "Kconfig");
    kconfig_index_finish(&ix);
    struct kconfig_audit au;
    kconfig_audit(&kc, &(struct kconfig){0}, NULL, 0, &ix, &au);
    for (size_t i = 0; i < au.n; i++)
        free(kconfig_finding_describe(&au.findings[i]));
    kconfig_audit_free(&au);
    kconfig_index_free(&ix);

    _cleanup_free_ char *expr = xstrndup((const char *)data, strnlen((const char *)data, size));
    kconfig_expr_eval(expr, &kc);
    struct strbuf sb = STRBUF_INIT;
    kconfig_expr_symbols(expr, &kc, &sb);
    sb_release(&sb);
    kconfig_free(&kc);

    struct kernel_image img;
    kernel_image_inspect(data, size, "fuzz", &img);
    return 0;
}
