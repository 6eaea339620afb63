/* The SEV-SNP guest policy (SNP firmware ABI, "Guest Policy"): its bits,
 * and whether one policy stays within another. Shared by the manifest's
 * measure.igvm.guest-policy / measure.appraisal.guest-policy and by the
 * appraisal of attestation reports (attest/appraise.h). */
#ifndef GUESTIMG_SNP_POLICY_H
#define GUESTIMG_SNP_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#define SNP_POLICY_ABI_MINOR_MASK 0xffull
#define SNP_POLICY_ABI_MAJOR_SHIFT 8
#define SNP_POLICY_SMT (1ull << 16)            /* SMT allowed */
#define SNP_POLICY_RESERVED_ONE (1ull << 17)   /* reserved, must be 1 */
#define SNP_POLICY_MIGRATE_MA (1ull << 18)     /* a migration agent allowed */
#define SNP_POLICY_DEBUG (1ull << 19)          /* debugging (the hypervisor reads guest memory) allowed */
#define SNP_POLICY_SINGLE_SOCKET (1ull << 20)  /* single socket required */
/* Bits 0..25 are defined (ABI 1.57: up to PAGE_SWAP_DISABLE); the rest are
 * reserved, zero. */
#define SNP_POLICY_DEFINED ((1ull << 26) - 1)

/* What a verifier wants when nothing says otherwise: SMT allowed, ABI 0.0,
 * the reserved bit; debug, migration agent, single socket off (QEMU's and
 * snp-create-id-block's default). */
#define SNP_POLICY_DEFAULT (SNP_POLICY_SMT | SNP_POLICY_RESERVED_ONE)

/* Whether got allows nothing that want does not, has every restriction
 * want asks for and an ABI no older. When not, and the pointers are not
 * NULL, what differs as "debug_allowed 0, abi 0.31 or later" (want) and
 * "debug_allowed 1, abi 0.0" (got), allocated. */
bool snp_policy_within(uint64_t want, uint64_t got, char **want_diff, char **got_diff);

/* "abi 0.0 smt_allowed 1 migrate_ma_allowed 0 …": the bits an appraisal
 * looks at, as words (allocated). */
char *snp_policy_string(uint64_t policy);

#endif
