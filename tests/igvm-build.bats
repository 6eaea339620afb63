#!/usr/bin/env bats
# guestimg igvm build against igvm-tooling's igvmgen (commit 53656dd): every
# row of tests/fixtures/igvm-build/vectors.tsv is a file igvmgen made with
# the same flags (its sha256 and its launch measurement), for igvm-tooling's
# test bzImage and for the demo kernel; our file must be the same bytes.
# Then what igvmgen cannot check for us: the ID block's signature verified
# by OpenSSL, the inputs --json reports against sha256sum, determinism, and
# every kind of bad input.
load lib/common
load lib/guest
bats_require_minimum_version 1.5.0

setup() {
    T=$BATS_TEST_TMPDIR
}

# a build a test started in the background and did not get to stop
teardown() {
    [ -z "${pid:-}" ] || kill -9 "$pid" 2>/dev/null || true
}

F=$ROOT/tests/fixtures/igvm-build
K=$F/test_bzImage
# The command line of every row: a TAB inside, as AKS's has.
CMDLINE=$'panic=-1 console=ttySEV0 root=/dev/dm-0\trootflags=data=ordered'
# Demo kernel the kernel rows were made with (a different one means the
# kernel build changed: regenerate with tests/fixtures/make-igvm-build-vectors.sh).
DEMO_KERNEL_SHA=$(awk -F'\t' '$1 ~ /^sha256:/ { sub(/^sha256:/, "", $1); print $1; exit }' "$F/vectors.tsv")

# check_rows KERNEL_COLUMN BZIMAGE: every row of that kernel, byte for byte.
check_rows() {
    local kname=$1 kernel=$2 n=0 extra=0 kernel_col flags key sha digest cmd
    openssl ecparam -name secp384r1 -genkey -noout -out "$T/random.pem"
    while IFS=$'\t' read -r kernel_col flags key sha digest cmd; do
        [[ $kernel_col == "$kname" ]] || continue
        local fl=${flags//@A/$ROOT/acpi-tables} kf=()
        fl=${fl//@F/$F}
        [[ $key == random ]] && kf=(--sign-key "$T/random.pem")
        rm -f "$T/o.igvm"
        # shellcheck disable=SC2086 # the flags column is a word list
        run --separate-stderr "$GUESTIMG" igvm build -o "$T/o.igvm" --kernel "$kernel" $fl "${kf[@]}" --append "$CMDLINE"
        [ "$status" -eq 0 ] || { echo "row '$flags' $key: exit $status: $stderr" >&2; return 1; }
        [ "$output" = "$digest" ] || { echo "row '$flags' $key: digest $output, igvmgen $digest ($cmd)" >&2; return 1; }
        local got
        if [[ $key == snakeoil ]]; then
            got=$(sha256sum <"$T/o.igvm" | cut -d' ' -f1)
        else # a random key: compare with what the key changes masked
            got=$(/usr/bin/python3 "$ROOT/tests/lib/igvm_mask.py" "$T/o.igvm" | sha256sum | cut -d' ' -f1)
        fi
        [ "$got" = "$sha" ] || { echo "row '$flags' $key: file sha256 $got, igvmgen's $sha ($cmd)" >&2; return 1; }
        # rows with a ramdisk or a shared payload: the reader measures the
        # guest-invalid pages as igvmgen does (not at all)
        if [[ $flags == *--rdinit* || $flags == *--shared-payload* ]]; then
            got=$("$GUESTIMG" igvm measure "$T/o.igvm")
            [ "$got" = "$digest" ] || { echo "row '$flags': igvm measure $got, igvmgen $digest" >&2; return 1; }
            extra=$((extra + 1))
        fi
        n=$((n + 1))
    done < "$F/vectors.tsv"
    echo "$n rows matched ($extra with --rdinit / --shared-payload)" >&3
    [ "$n" -ge 30 ] && [ "$extra" -ge 12 ]
}

@test "igvm build: igvm-tooling's test bzImage, byte for byte with igvmgen in every mode (x64/x86, encrypted pages, pvalidate_opt, VTL, ACPI, ID key, TEI config, ramdisk, shared payload)" {
    check_rows "@F/test_bzImage" "$K"
}

@test "igvm build: the same bytes with the pages hashed and written on 1, 3 or 4 threads (GUESTIMG_IGVM_THREADS)" {
    # the shares split at other pages each time; each row still igvmgen's
    for n in 1 3 4; do
        GUESTIMG_IGVM_THREADS=$n check_rows "@F/test_bzImage" "$K"
    done
}

@test "igvm build: the demo kernel, byte for byte with igvmgen in every mode" {
    demo_kernel "$T/k"
    local got
    got=$(sha256sum <"$T/k/bzImage" | cut -d' ' -f1)
    [ "$got" = "$DEMO_KERNEL_SHA" ] || {
        echo "the demo kernel is $got, vectors.tsv was made for $DEMO_KERNEL_SHA: the kernel build changed;" \
            "rerun tests/fixtures/make-igvm-build-vectors.sh with the new bzImage" >&2
        return 1
    }
    check_rows "sha256:$DEMO_KERNEL_SHA" "$T/k/bzImage"
}

@test "igvm build: the file measures (igvm measure) to the digest build printed; measurement file as igvm-tooling writes it" {
    run --separate-stderr "$GUESTIMG" igvm build -o "$T/o.igvm" --kernel "$K" --boot-mode x64 --vtl 0 --svn 5 \
        --append "$CMDLINE" --measurement-file "$T/m.cose"
    [ "$status" -eq 0 ]
    local built=$output
    run "$GUESTIMG" igvm measure "$T/o.igvm"
    [ "$status" -eq 0 ]
    [ "$output" = "$built" ]
    run /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sorted(d), d["x-ms-sevsnpvm-guestsvn"], d["x-ms-sevsnpvm-launchmeasurement"])' "$T/m.cose"
    [ "$output" = "['x-ms-sevsnpvm-guestsvn', 'x-ms-sevsnpvm-launchmeasurement'] 5 $built" ]
}

@test "igvm build: the ID block is signed by the given key over the launch digest, as OpenSSL verifies; its public key is that key" {
    openssl ecparam -name secp384r1 -genkey -noout -out "$T/id.pem"
    run --separate-stderr "$GUESTIMG" igvm build -o "$T/o.igvm" --kernel "$K" --boot-mode x64 --sign-key "$T/id.pem" \
        --config-file "$F/tei.json" --append "$CMDLINE"
    [ "$status" -eq 0 ]
    local digest=$output
    # the ID block as the PSP checks it (ld, family, image, version, guest
    # svn, policy), the signature as DER, the public key's coordinates
    /usr/bin/python3 - "$T/o.igvm" "$T" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read(); out = sys.argv[2]
off, size = struct.unpack_from('<II', d, 8)
o, policy, body = off, None, None
while o < off + size:
    t, n = struct.unpack_from('<II', d, o)
    if t & 0x7fffffff == 0x101:               # GUEST_POLICY: policy, mask
        policy = d[o + 8:o + 16]
    if t & 0x7fffffff == 0x30B:               # SNP_ID_BLOCK
        body = d[o + 8:o + 8 + n]
    o += 8 + (n + 7) // 8 * 8
ld, fam, img = body[8:56], body[56:72], body[72:88]
version, svn = body[88:92], body[92:96]
open(out + '/ld.hex', 'w').write(ld.hex())
open(out + '/msg', 'wb').write(ld + fam + img + version + svn + policy)
def der_int(b):
    b = b.lstrip(b'\0') or b'\0'
    if b[0] & 0x80: b = b'\0' + b
    return b'\x02' + bytes([len(b)]) + b
r = int.from_bytes(body[104:176], 'little').to_bytes(48, 'big')
s = int.from_bytes(body[176:248], 'little').to_bytes(48, 'big')
seq = der_int(r) + der_int(s)
open(out + '/sig.der', 'wb').write(b'\x30' + bytes([len(seq)]) + seq)
curve = struct.unpack_from('<I', body, 248)[0]
qx = int.from_bytes(body[256:328], 'little'); qy = int.from_bytes(body[328:400], 'little')
open(out + '/q.hex', 'w').write('%d 04%096x%096x' % (curve, qx, qy))
open(out + '/policy.hex', 'w').write(hex(struct.unpack('<Q', policy)[0]))
open(out + '/ids.hex', 'w').write('%s %s %d %d' % (fam.hex(), img.hex(), struct.unpack('<I', version)[0], struct.unpack('<I', svn)[0]))
EOF
    [ "$(cat "$T/ld.hex")" = "$digest" ]
    openssl ec -in "$T/id.pem" -pubout -out "$T/id.pub" 2>/dev/null
    run openssl dgst -sha384 -verify "$T/id.pub" -signature "$T/sig.der" "$T/msg"
    [ "$output" = "Verified OK" ]
    # curve 2 = P-384; the point is the key's own
    want=$(openssl ec -in "$T/id.pem" -pubout -outform DER 2>/dev/null | tail -c 97 | od -An -tx1 | tr -d ' \n')
    [ "$(cat "$T/q.hex")" = "2 $want" ]
    # IDs and versions from the TEI config file, as igvmgen reads it (hex, big-endian into 16 bytes)
    [ "$(cat "$T/ids.hex")" = "12161a1b12161a1b12161a1b12161a1b 0000000000000000000000001a1b1216 3 7" ]
    # and the policy: bit 17 (reserved, 1), abi 1.31, SMT, migration agent and debug off
    [ "$(cat "$T/policy.hex")" = "0x2011f" ]
    # and guestimg's own reader agrees the block is valid
    run "$GUESTIMG" igvm measure --json "$T/o.igvm"
    echo "$output" > "$T/m.json"
    [ "$(/usr/bin/python3 -c 'import json,sys; b=json.load(open(sys.argv[1]))["id_block"]; print(b["signature_valid"], b["matches"])' "$T/m.json")" = "True True" ]
}

@test "igvm build --json: kernel and command line digests as sha256sum computes them, flags, ACPI inputs, layout" {
    run --separate-stderr "$GUESTIMG" igvm build -o "$T/o.igvm" --kernel "$K" --acpi-dir "$ROOT/acpi-tables/clh" \
        --boot-mode x64 --append "$CMDLINE" --json
    [ "$status" -eq 0 ]
    echo "$output" > "$T/b.json"
    q() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$T/b.json"; }
    [ "$(q 'd["kernel_sha256"]')" = "$(sha256sum <"$K" | cut -d' ' -f1)" ]
    [ "$(q 'd["cmdline_sha256"]')" = "$(printf '%s' "$CMDLINE" | sha256sum | cut -d' ' -f1)" ]
    [ "$(q 'd["digest"]')" = "$("$GUESTIMG" igvm measure "$T/o.igvm")" ]
    [ "$(q 'd["flags"]["boot_mode"], d["flags"]["vtl"], d["flags"]["svme"]')" = "x64 2 True" ]
    # one ACPI input per compiled table, with the file's own sha256
    local t
    for t in "$ROOT"/acpi-tables/clh/*.aml; do
        n=$(basename "$t" .aml)
        [ "$(q "[a['sha256'] for a in d['acpi'] if a['name'] == '$n.aml'][0]")" = "$(sha256sum <"$t" | cut -d' ' -f1)" ]
    done
    # the layout covers the kernel at its preferred address
    [ "$(q "len(d['regions']) > 3")" = True ]
}

@test "igvm build --rdinit --shared-payload: the ramdisk where boot_params says, the payload in guest-invalid pages at 0x10000000, nothing between; --json sha256s as sha256sum computes them" {
    run --separate-stderr "$GUESTIMG" igvm build -o "$T/o.igvm" --kernel "$K" --boot-mode x64 --append "$CMDLINE" \
        --rdinit "$F/initrd.bin" --shared-payload "$F/payload.bin" --json
    [ "$status" -eq 0 ]
    echo "$output" > "$T/b.json"
    q() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$T/b.json"; }
    [ "$(q 'd["rdinit_sha256"]')" = "$(sha256sum <"$F/initrd.bin" | cut -d' ' -f1)" ]
    [ "$(q 'd["shared_payload_sha256"]')" = "$(sha256sum <"$F/payload.bin" | cut -d' ' -f1)" ]
    [ "$(q 'd["digest"]')" = "$("$GUESTIMG" igvm measure "$T/o.igvm")" ]
    [ "$(q "[(r['gpa'], r['len']) for r in d['regions'] if r['what'] == 'shared_payload']")" = "[('0x10000000', $(stat -c %s "$F/payload.bin"))]" ]
    # the file's own PAGE_DATA directives, read independently: the ramdisk's
    # bytes at boot_params' ramdisk_image, the payload's in pages flagged
    # guest-invalid (4), no directive in the skipped gap before it
    run /usr/bin/python3 - "$T/o.igvm" "$F/initrd.bin" "$F/payload.bin" "$(q "[r['gpa'] for r in d['regions'] if r['what'] == 'boot_params'][0]")" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
rd, sp, bp = open(sys.argv[2], 'rb').read(), open(sys.argv[3], 'rb').read(), int(sys.argv[4], 16)
off, size = struct.unpack_from('<II', d, 8)
pages, o = {}, off
while o < off + size:
    t, n = struct.unpack_from('<II', d, o)
    if t & 0x7fffffff == 0x301:               # PAGE_DATA: gpa, mask, file offset, flags
        gpa, _, fo, fl = struct.unpack_from('<QIII', d, o + 8)
        pages[gpa] = (fl, d[fo:fo + 4096] if fo else bytes(4096))
    o += 8 + (n + 7) // 8 * 8
def span(gpa, n):
    return b''.join(pages[g][1] for g in range(gpa, (gpa + n + 4095) & ~4095, 4096))[:n]
image, rsize = struct.unpack_from('<II', pages[bp][1], 0x218)
assert image % 4096 == 0 and rsize == len(rd), (hex(image), rsize)
assert span(image, rsize) == rd and all(pages[g][0] == 0 for g in range(image, image + rsize, 4096))
inval = sorted(g for g in pages if pages[g][0] == 4)
assert inval == list(range(0x10000000, (0x10000000 + len(sp) + 4095) & ~4095, 4096)), inval
assert span(0x10000000, len(sp)) == sp
assert max(g for g in pages if g < 0x10000000) < image + rsize + 3 * 4096
print('ok', len(inval))
EOF
    [ "$status" -eq 0 ] && [ "$output" = "ok 3" ]
    # without the flags, --json has neither key
    run --separate-stderr "$GUESTIMG" igvm build -o "$T/p.igvm" --kernel "$K" --json
    [ "$(jq 'has("rdinit_sha256"), has("shared_payload_sha256")' <<<"$output" | tr '\n' ' ')" = "false false " ]
    # empty files are the same file as none (as igvmgen: ramdisk_size 0, no payload page)
    : > "$T/empty"
    "$GUESTIMG" igvm build -o "$T/e.igvm" --kernel "$K" --rdinit "$T/empty" --shared-payload "$T/empty" >/dev/null
    cmp "$T/p.igvm" "$T/e.igvm"
}

@test "igvm build: the same inputs give the same bytes whatever the directory, umask, time zone, locale and clock" {
    (cd / && umask 077 && TZ=Pacific/Kiritimati LC_ALL=C.UTF-8 "$GUESTIMG" igvm build -o "$T/a.igvm" --kernel "$K" \
        --boot-mode x64 --append "$CMDLINE" >/dev/null)
    mkdir "$T/elsewhere"
    (cd "$T/elsewhere" && umask 000 && TZ=UTC LC_ALL=C ASAN_OPTIONS=verify_asan_link_order=0 faketime '2001-02-03 04:05:06' "$GUESTIMG" igvm build -o b.igvm --kernel "$K" \
        --boot-mode x64 --append "$CMDLINE" >/dev/null)
    cmp "$T/a.igvm" "$T/elsewhere/b.igvm"
    # a random ID key changes only the signature, the key and the checksum
    openssl ecparam -name secp384r1 -genkey -noout -out "$T/r.pem"
    "$GUESTIMG" igvm build -o "$T/c.igvm" --kernel "$K" --boot-mode x64 --append "$CMDLINE" --sign-key "$T/r.pem" >/dev/null
    ! cmp -s "$T/a.igvm" "$T/c.igvm"
    cmp <(/usr/bin/python3 "$ROOT/tests/lib/igvm_mask.py" "$T/a.igvm") <(/usr/bin/python3 "$ROOT/tests/lib/igvm_mask.py" "$T/c.igvm")
}

# refused EXIT PATTERN ARGS...: one error line, that exit, no output file.
refused() {
    local want=$1 pattern=$2
    shift 2
    rm -f "$T/out.igvm"
    run "$GUESTIMG" igvm build -o "$T/out.igvm" "$@"
    assert_error "$want" "$pattern"
    [ ! -e "$T/out.igvm" ]
    [ -z "$(ls -A "$T" | grep -F out.igvm)" ] # no temporary (.out.igvm.tmp-*) left either
}

@test "igvm build: bad kernels are refused, naming the file and the problem" {
    refused 1 "^guestimg: $T/none: cannot open" --kernel "$T/none"
    : > "$T/empty"
    refused 1 "^guestimg: $T/empty: not a bzImage" --kernel "$T/empty"
    head -c 4096 /bin/true > "$T/elf"
    refused 1 "^guestimg: $T/elf: an ELF kernel \\(vmlinux\\): igvm build takes a bzImage \\(igvmgen's ELF input is a security-monitor layout, not a Linux loader\\)$" --kernel "$T/elf"
    # boot protocol 2.11 (too old), then no 64-bit entry point
    cp "$K" "$T/old"; printf '\x0b\x02' | dd of="$T/old" bs=1 seek=$((0x206)) conv=notrunc status=none
    refused 1 "^guestimg: $T/old: boot protocol 2.11 is too old" --kernel "$T/old"
    cp "$K" "$T/no64"; printf '\x00' | dd of="$T/no64" bs=1 seek=$((0x236)) conv=notrunc status=none
    refused 1 "^guestimg: $T/no64: no 64-bit entry point" --kernel "$T/no64"
    # a command line longer than the kernel's cmdline_size
    local max
    max=$(od -An -tu4 -j $((0x238)) -N4 "$K" | tr -d ' ')
    refused 1 "^guestimg: $K: the command line is $((max + 1)) bytes, the kernel takes at most $max" \
        --kernel "$K" --append "$(head -c $((max + 1)) /dev/zero | tr '\0' x)"
}

@test "igvm build: bad ACPI tables, ID keys and TEI configs are refused, naming the file and the problem" {
    mkdir "$T/acpi"
    refused 1 "^guestimg: $T/acpi: an RSDP, XSDT, FACP, DSDT and FACS table are needed, RSDP is missing" \
        --kernel "$K" --acpi-dir "$T/acpi"
    cp "$ROOT"/acpi-tables/clh/*.aml "$T/acpi/"
    head -c 10 "$ROOT/acpi-tables/clh/DSDT.aml" > "$T/acpi/DSDT.aml"
    refused 1 "^guestimg: $T/acpi/DSDT.aml: 10 bytes is shorter than an ACPI table header" --kernel "$K" --acpi-dir "$T/acpi"
    cp "$ROOT/acpi-tables/clh/DSDT.aml" "$T/acpi/DSDT.aml"
    printf '\xff' | dd of="$T/acpi/DSDT.aml" bs=1 seek=100 conv=notrunc status=none
    run "$GUESTIMG" igvm build -o "$T/out.igvm" --kernel "$K" --acpi-dir "$T/acpi"
    assert_error 1 "^guestimg: $T/acpi/DSDT.aml: .*checksum"
    [ ! -e "$T/out.igvm" ]
    openssl ecparam -name prime256v1 -genkey -noout -out "$T/p256.pem"
    refused 1 "^guestimg: $T/p256.pem: not a PEM EC P-384 private key" --kernel "$K" --sign-key "$T/p256.pem"
    echo '{"tei_config_data": {"version": "3"}}' > "$T/tei.json"
    refused 1 "^guestimg: $T/tei.json: tei_config_data.version: an integer" --kernel "$K" --config-file "$T/tei.json"
    echo '{"tei_config_data": {"policy": {"abi_minor": 256}}}' > "$T/tei.json"
    refused 1 "^guestimg: $T/tei.json: tei_config_data.policy.abi_minor: an integer from 0 to 255" --kernel "$K" --config-file "$T/tei.json"
    echo '{"tei_config_data": {"image_id": "xyz"}}' > "$T/tei.json"
    refused 1 "^guestimg: $T/tei.json: image_id: not hex" --kernel "$K" --config-file "$T/tei.json"
    echo '{}' > "$T/tei.json"
    refused 1 "^guestimg: $T/tei.json: no tei_config_data object" --kernel "$K" --config-file "$T/tei.json"
}

@test "igvm build: bad ramdisks and shared payloads are refused, naming the file and the problem" {
    refused 1 "^guestimg: $T/none: cannot open" --kernel "$K" --rdinit "$T/none"
    refused 1 "^guestimg: $T/none: cannot open" --kernel "$K" --shared-payload "$T/none"
    mkdir "$T/dir"; mkfifo "$T/fifo"
    refused 1 "^guestimg: $T/dir: not a regular file" --kernel "$K" --rdinit "$T/dir"
    refused 1 "^guestimg: $T/fifo: not a regular file" --kernel "$K" --shared-payload "$T/fifo"
    # too big for what lies below 4 GiB (sparse files: refused by their size, never read)
    truncate -s 4G "$T/huge"
    refused 1 "^guestimg: $T/huge: the ramdisk \\(4294967296 bytes\\) at 0x800000 does not fit below 4 GiB" \
        --kernel "$K" --rdinit "$T/huge"
    local n=$(((4 << 30) - 0x10000000 + 1))
    truncate -s "$n" "$T/big"
    refused 1 "^guestimg: $T/big: the shared payload \\($n bytes\\) at 0x10000000 does not fit below 4 GiB" \
        --kernel "$K" --shared-payload "$T/big"
    # a ramdisk that reaches past 0x10000000, where the payload goes
    truncate -s 256M "$T/rd"
    refused 1 "^guestimg: $F/payload.bin at 0x10000000 overlaps what lies below it" \
        --kernel "$K" --rdinit "$T/rd" --shared-payload "$F/payload.bin"
}

@test "igvm build: a write that fails part way (file size limit) is one error; no output, no temporary left" {
    # the file is written while it is built: a 1 MiB limit stops it in the
    # kernel's pages, after the temporary has been created
    { cat "$K"; head -c $((4 << 20)) /dev/urandom; } >"$T/big"
    mkdir "$T/out"
    run bash -c 'ulimit -f 1024 && exec "$@"' - "$GUESTIMG" igvm build -o "$T/out/x.igvm" --kernel "$T/big" \
        --measurement-file "$T/out/m.json"
    assert_error 1 "^guestimg: $T/out/x.igvm: .*File too large$"
    assert_equal "$(ls -A "$T/out")" ""
    # without the limit the same command writes both
    run "$GUESTIMG" igvm build -o "$T/out/x.igvm" --kernel "$T/big" --measurement-file "$T/out/m.json"
    [ "$status" -eq 0 ]
    assert_equal "$(ls -A "$T/out" | tr '\n' ' ')" "m.json x.igvm "
}

@test "igvm build: SIGBUS (a mapped kernel cut short) removes the temporary and says so; the exit is the signal's" {
    # the kernel is a FIFO nobody writes yet: the build waits in its read,
    # after the output's temporary was made; SIGBUS arrives as a kernel
    # truncated under the mapping would raise it
    mkfifo "$T/k"
    mkdir "$T/out"
    "$GUESTIMG" igvm build -o "$T/out/x.igvm" --kernel "$T/k" 2>"$T/err" 3>&- &
    pid=$!
    for _ in $(seq 100); do
        [ -n "$(ls -A "$T/out")" ] && break
        sleep 0.1
    done
    [ -n "$(ls -A "$T/out")" ]
    kill -BUS "$pid"   # the handler runs in its blocked open() of the FIFO
    rc=0
    wait "$pid" || rc=$?
    [ "$rc" -eq $((128 + 7)) ]
    assert_equal "$(cat "$T/err")" "guestimg: an input file was truncated while it was read (SIGBUS); the temporary files are removed"
    assert_equal "$(ls -A "$T/out")" ""
}

@test "igvm build: a kernel written to while the file is built from it is an error naming it; no output" {
    command -v gcc >/dev/null || skip "gcc not installed"
    # a shim in the process (the executable calls pwritev64, the 64-bit
    # off_t build's pwritev): its first write of the file's pages also
    # rewrites one byte of the kernel in place (same size, a new mtime)
    cat >"$T/shim.c" <<'EOF2'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>
ssize_t pwritev64(int fd, const struct iovec *iov, int n, off_t off)
{
    static int done;
    ssize_t (*real)(int, const struct iovec *, int, off_t) = (ssize_t (*)(int, const struct iovec *, int, off_t))dlsym(RTLD_NEXT, "pwritev64");
    if (!done++) {
        int k = open(getenv("SHIM_KERNEL"), O_WRONLY);
        if (k >= 0) { (void)pwrite(k, "X", 1, 0x300000); close(k); }
    }
    return real(fd, iov, n, off);
}
EOF2
    gcc -shared -fPIC -o "$T/shim.so" "$T/shim.c" -ldl
    { cat "$K"; head -c $((4 << 20)) /dev/urandom; } >"$T/big"
    mkdir "$T/out"
    SHIM_KERNEL=$T/big LD_PRELOAD=$T/shim.so ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
        run "$GUESTIMG" igvm build -o "$T/out/x.igvm" --kernel "$T/big"
    assert_error 1 "^guestimg: $T/big: changed while the IGVM file was built from it$"
    assert_equal "$(ls -A "$T/out")" ""
    # the shim did its part, and without it the same kernel builds
    [ "$(od -An -c -j $((0x300000)) -N1 "$T/big" | tr -d ' ')" = X ]
    run "$GUESTIMG" igvm build -o "$T/out/x.igvm" --kernel "$T/big"
    [ "$status" -eq 0 ]
}

@test "igvm build: usage errors exit 2 and write nothing" {
    refused 2 "^guestimg igvm build: missing --kernel" --append x
    refused 2 "^guestimg igvm build: --boot-mode: x64 or x86, not 'arm'" --kernel "$K" --boot-mode arm
    refused 2 "^guestimg igvm build: --vtl: 0 or 2 expected, not '3'" --kernel "$K" --vtl 3
    # VTL 1: igvmgen writes it, but no SEV-SNP IGVM may have it (igvm measure refuses such a file)
    refused 2 "^guestimg igvm build: --vtl: 0 or 2 expected, not '1'" --kernel "$K" --vtl 1
    refused 2 "^guestimg igvm build: --svme: 0 or 1 expected, not 'yes'" --kernel "$K" --svme yes
    run "$GUESTIMG" igvm build --kernel "$K"
    assert_error 2 "^guestimg igvm build: missing -o FILE"
    run "$GUESTIMG" igvm build -o "$T/nodir/x.igvm" --kernel "$K"
    assert_error 1 "^guestimg: $T/nodir/x.igvm: cannot create"
}
