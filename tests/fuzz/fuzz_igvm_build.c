/* libFuzzer target: igvm build's bzImage reader and guest layout. Every
 * input is either refused with an error or gives an IGVM file that our
 * own reader parses (checksum enforced) and measures to the digest the
 * builder reported; the first input byte picks boot mode, pvalidate_opt,
 * encrypted pages and VTL, and whether the input's last quarter is also
 * given as a ramdisk (--rdinit) and a shared payload (--shared-payload),
 * so all layouts are reached. */
#include "measure/igvm.h"
#include "measure/igvm_build.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (8u << 20))
        return 0;
    struct igvm_build_params p;
    igvm_build_params_init(&p);
    p.kernel_path = "fuzz";
    p.boot_mode = data[0] & 1 ? IGVM_BOOT_X64 : IGVM_BOOT_X86;
    p.pvalidate_opt = data[0] & 2;
    p.encrypted_page = data[0] & 4;
    p.vtl = data[0] >> 3 & 3;
    p.kernel_data = data + 1, p.kernel_len = size - 1;
    size_t tail = (size - 1) / 4;
    if (data[0] & 0x20)
        p.rdinit_path = "fuzz-rdinit", p.rdinit_data = data + size - tail, p.rdinit_len = tail;
    if (data[0] & 0x40)
        p.shared_payload_path = "fuzz-payload", p.shared_payload_data = data + size - tail, p.shared_payload_len = tail;
    static const uint8_t cmdline[] = "console=ttyS0 root=/dev/dm-0";
    p.cmdline = cmdline, p.cmdline_len = sizeof(cmdline) - 1;
    struct igvm_build_result r;
    if (igvm_build(&p, &r) < 0)
        return 0;
    struct igvm_file f;
    if (igvm_parse(&f, "fuzz.igvm", r.data, r.len, 0) < 0)
        abort();
    struct igvm_snp_result m;
    if (igvm_measure_snp(&f, 0, &m) < 0 || memcmp(m.digest, r.digest, sizeof(r.digest)) != 0)
        abort();
    igvm_close(&f);
    igvm_build_result_free(&r);
    return 0;
}
