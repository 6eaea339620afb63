/* libFuzzer target: the attestation report decoder and its JSON, and the
 * VCEK extension reader on whatever OpenSSL accepts as a DER certificate.
 * Any input must give a decode or a clean error, never a read outside the
 * buffer. */
#include "attest/attest.h"
#include "attest/report.h"

#include <openssl/x509.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct report r;
    if (report_parse(data, size, "fuzz", &r) == 0) {
        report_signing_key(&r);
        for (int g = REPORT_GEN_UNKNOWN; g <= REPORT_GEN_TURIN; g++)
            json_decref(report_to_json(&r, (enum report_generation)g));
        report_generation_name(report_cpuid_generation(&r));
    }
    const unsigned char *p = data;
    X509 *x = d2i_X509(NULL, &p, (long)size);
    if (x) {
        struct vcek_info v;
        struct report_tcb t;
        if (attest_vcek_info(x, "fuzz", &v) == 0)
            attest_vcek_tcb(&v, &t);
        X509_free(x);
    }
    return 0;
}
