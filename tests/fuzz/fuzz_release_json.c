/* libFuzzer target: release_parse() on untrusted release.json bytes, and a
 * round trip of whatever parses (the writer must reproduce a parseable
 * document). */
#include "release/release.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct release r;
    if (release_parse((const char *)data, size, "fuzz", &r) < 0)
        return 0;
    char *s = release_to_json(&r);
    struct release again;
    if (release_parse(s, strlen(s), "fuzz-again", &again) < 0)
        abort();
    release_free(&again);
    release_free(&r);
    free(s);
    return 0;
}
