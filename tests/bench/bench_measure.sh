#!/bin/bash
# guestimg measure on a 2 MiB firmware, a 7 MiB kernel and 64 vCPUs, as whole
# processes, against the hashing floor (openssl dgst -sha384 of the firmware + -sha256 of the
# kernel: what any implementation must at least hash), and against
# sev-snp-measure where a checkout is at $SSM (default /tmp/ssm).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ref=$GUESTIMG_REFERENCE/snp/ovmf_AmdSev_suffix.bin
ssm=${SSM:-/tmp/ssm}
runs=${BENCH_RUNS:-11}
d=$BENCH_DIR/measure
mkdir -p "$d"

# A 2 MiB image ending with a real AmdSev build's last page (its footer
# table and metadata count from the end, so padding at the front keeps it
# valid); without the shared reference, the synthetic test firmware.
if [ -f "$ref" ]; then
    suffix=$ref what="reference AmdSev suffix"
else
    /usr/bin/python3 "$GUESTIMG_ROOT/tests/fixtures/mkfirmware.py" ovmf "$d/suffix.bin"
    suffix=$d/suffix.bin what="synthetic firmware (reference absent)"
fi
fw=$d/ovmf-2m.fd
{ head -c $((2 * 1024 * 1024 - $(stat -c %s "$suffix"))) /dev/zero; cat "$suffix"; } >"$fw"
kernel=$d/bzImage-7m
[ -f "$kernel" ] || head -c $((7 * 1024 * 1024)) < <(yes 'guestimg bench kernel') >"$kernel"
echo "firmware: 2 MiB from the $what; kernel: 7 MiB; 64 vCPUs; median of $runs runs"

# Whole processes against whole openssl processes, interleaved (as users
# and pipelines run them: start-up included, docs/startup.md).
fw_args=(--mode snp --vcpu-type EPYC-Milan --ovmf "$fw")
args=("${fw_args[@]}" --kernel "$kernel" --append 'console=ttyS0')
fw_floor() { openssl dgst -sha384 "$fw"; }
floor() { openssl dgst -sha384 "$fw" && openssl dgst -sha256 "$kernel"; }
fw_one() { "$GUESTIMG" measure "${fw_args[@]}" --vcpus 64; }
one() { "$GUESTIMG" measure "${args[@]}" --vcpus 64; }
list() { "$GUESTIMG" measure "${args[@]}" --vcpus 1-64; }

mapfile -t t < <(interleaved_medians "$runs" fw_floor fw_one floor one list)
t_fw_floor=${t[0]} t_fw_one=${t[1]} t_floor=${t[2]} t_one=${t[3]} t_list=${t[4]}
echo "measure firmware, --vcpus 64: ${t_fw_one}s vs ${t_fw_floor}s (openssl dgst -sha384 of the firmware) = $(ratio "$t_fw_one" "$t_fw_floor")x [target ≤ 1.5]"
echo "measure firmware + kernel hashes, --vcpus 64: ${t_one}s vs ${t_floor}s (openssl dgst floor: -sha384 firmware, -sha256 kernel) = $(ratio "$t_one" "$t_floor")x [target ≤ 1.5]"
echo "measure --vcpus 1-64 (64 digests): ${t_list}s vs ${t_floor}s (openssl dgst floor) = $(ratio "$t_list" "$t_floor")x [target ≤ 2]"
/usr/bin/time -f %M -o "$d/rss" "$GUESTIMG" measure "${args[@]}" --vcpus 1-64 >/dev/null
echo "measure --vcpus 1-64 peak RSS: $(echo "scale=1; $(cat "$d/rss") / 1024" | bc -l) MiB"

if [ -f "$ssm/sev-snp-measure.py" ]; then
    ssm_run() { (cd "$ssm" && /usr/bin/python3 sev-snp-measure.py "${args[@]}" --vcpus 64); }
    [ "$(ssm_run)" = "$("$GUESTIMG" measure "${args[@]}" --vcpus 64)" ] ||
        { echo "sev-snp-measure disagrees on the benchmark input" >&2; exit 1; }
    t_ssm=$(median_seconds 3 ssm_run)
    echo "measure --vcpus 64: ${t_one}s vs ${t_ssm}s (sev-snp-measure) = $(ratio "$t_one" "$t_ssm")x"
    # (local: median_seconds's own loop variable is n, visible in here.)
    ssm_list() { local c; for c in $(seq 1 64); do (cd "$ssm" && /usr/bin/python3 sev-snp-measure.py "${args[@]}" --vcpus "$c"); done; }
    t_ssm_list=$(median_seconds 1 ssm_list)
    echo "measure --vcpus 1-64: ${t_list}s vs ${t_ssm_list}s (64 sev-snp-measure runs) = $(ratio "$t_list" "$t_ssm_list")x"
else
    echo "sev-snp-measure not found at $ssm: no comparison with it"
fi
