/* Manifest parser on arbitrary bytes: errors are fine, crashes and leaks
 * are not. */
#include "builder/manifest/manifest.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/* Debian 12's libfyaml 0.7.12 leaks the chunk array of a scalar with many
 * escapes (pantoniou/libfyaml#337, fixed upstream): not ours to find. */
const char *__lsan_default_suppressions(void)
{
    return "leak:libfyaml.so\n";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct manifest *m = manifest_parse((const char *)data, size, "fuzz.yaml", "/fuzz");
    if (m) {
        free(manifest_lock_path(m));
        manifest_free(m);
    }
    return 0;
}
