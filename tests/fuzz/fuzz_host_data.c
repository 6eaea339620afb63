/* libFuzzer target: HOST_DATA from untrusted documents (attest/host_data.h:
 * text check, base64, gzip, the initdata TOML header) and the minimum TCB
 * parser that reads release.json's appraisal.min_tcb. The first byte picks
 * the entry point; the rest is the input. Any input must give a digest or
 * a clean error, never a read outside the buffer or unbounded memory. */
#include "common/err.h"
#include "attest/appraise.h"
#include "attest/host_data.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    uint8_t mode = data[0] % 6;
    data++, size--;
    uint8_t out[HOST_DATA_LEN];
    struct host_data_source src;
    switch (mode) {
    case 0:
    case 1:
        host_data_policy(data, size, mode == 1, "fuzz", out, &src);
        break;
    case 2:
    case 3:
        host_data_initdata(data, size, mode == 3, "fuzz", out, &src);
        break;
    case 4: {
        char version[16], algorithm[8];
        initdata_header((const char *)data, size, "fuzz", version, algorithm);
        break;
    }
    default: {
        char *s = malloc(size + 1);
        memcpy(s, data, size);
        s[size] = 0;
        struct appraise_tcb t;
        if (appraise_tcb_parse(s, "fuzz", &t) == 0)
            free(appraise_tcb_string(&t));
        free(s);
        break;
    }
    }
    return 0;
}
