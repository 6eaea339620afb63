/* AMD's SEV-SNP root keys, pinned: the one reviewed table of what
 * `report verify` trusts without --trust-ark.
 *
 * Each entry is the SHA-256 of the certificate's DER SubjectPublicKeyInfo
 * (`openssl x509 -noout -pubkey | openssl pkey -pubin -outform DER |
 * sha256sum`). The certificates are AMD's, as its Key Distribution Service
 * serves them (https://kdsintf.amd.com/vcek/v1/{Milan,Genoa,Turin}/cert_chain,
 * the ASK then the ARK); copies are in tests/fixtures/reference/attestation
 * (virtee/sev's test data), and tests/unit/test_report.c recomputes every
 * digest below from those files. The same six digests are those of
 * virtee/sev's built-in certificates (src/certs/snp/builtin/{milan,genoa,
 * turin}/{ark,ask}.pem, commit 9cf2adbf, Apache-2.0), checked by hand. All are issued by O = Advanced Micro
 * Devices, OU = Engineering, L = Santa Clara, ST = CA, C = US; RSA 4096,
 * RSASSA-PSS SHA-384. AMD publishes no ASVK (the VLEK's signing key) in
 * these chains: VLEK-signed reports are refused anyway.
 *
 * A key is pinned, not a certificate: AMD could reissue a certificate for
 * the same key (new dates) and it would still count. */
#include "attest/attest.h"
#include "common/util.h"

#include <string.h>

static const struct amd_root amd_roots[] = {
    /* CN = ARK-Milan, serial 0x010000, 2020-10-22 to 2045-10-22,
       certificate sha256 69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd */
    {REPORT_GEN_MILAN, ATTEST_ARK, "ARK-Milan",
     "9f056bee44377e29308cb5ffa895bdfb62d18881fa6bed8d6f075b0204089cb9"},
    /* CN = SEV-Milan, serial 0x010001, issued by ARK-Milan */
    {REPORT_GEN_MILAN, ATTEST_ASK, "SEV-Milan",
     "42491669ccb851d627ea9846cd24eccbeb7de7c2a62740120fff88001d38ebb6"},
    /* CN = ARK-Genoa, serial 0x020000 */
    {REPORT_GEN_GENOA, ATTEST_ARK, "ARK-Genoa",
     "429a69c9422aa258ee4d8db5fcda9c6470ef15f8cd5a9cebd6cbc7d90b863831"},
    /* CN = SEV-Genoa, serial 0x020002, issued by ARK-Genoa */
    {REPORT_GEN_GENOA, ATTEST_ASK, "SEV-Genoa",
     "0324d55bcd48ba877a8fd87c0e1b4934dec8448e3807a24384a34dc6a6c9ebb8"},
    /* CN = ARK-Turin, serial 0x030000, 2023-05-15 to 2048-05-15,
       certificate sha256 1f084161a44bb6d93778a904877d4819cafa5d05ef4193b2ded9dd9c73dd3f6a */
    {REPORT_GEN_TURIN, ATTEST_ARK, "ARK-Turin",
     "4f125410563a2ab9a50356f9243f6fe0b6f73de98603f53f90339c70e9d7ad08"},
    /* CN = SEV-Turin, serial 0x030001, issued by ARK-Turin */
    {REPORT_GEN_TURIN, ATTEST_ASK, "SEV-Turin",
     "0000ead352025f208bf55297c4192c34cd1b878002107366d8f2065a9ae7d3a9"},
};

const struct amd_root *attest_amd_roots(size_t *n)
{
    *n = ARRAY_SIZE(amd_roots);
    return amd_roots;
}

const struct amd_root *attest_amd_root_find(const char spki_sha256_hex[65])
{
    for (size_t i = 0; i < ARRAY_SIZE(amd_roots); i++)
        if (!strcmp(amd_roots[i].spki_sha256, spki_sha256_hex))
            return &amd_roots[i];
    return NULL;
}
