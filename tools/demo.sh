#!/bin/bash
# make demo: build the demo release with `guestimg build` and boot it.
#   1. the Debian package the demo guest is made of (busybox-static) into
#      output/debs/ (tools/fetch-debs.sh; nothing to do once it is there);
#   2. guestimg build manifests/demo.yaml -o output/demo, signed with a demo
#      Ed25519 key (made once, output/demo-key.pem): the root filesystem
#      (busybox and tools/demo-guest/init) as a kata disk with a dm-verity
#      root, the demo kernel (profile demo, from Debian's linux-source-6.1:
#      minutes the first time, then cached), the command line, the SNP
#      launch measurements for Debian's OVMF.fd, SBOMs, release.json;
#   3. guestimg verify against the demo public key;
#   4. guestimg boot output/demo under QEMU: the guest's init prints
#      GUESTIMG-BOOT-OK with the root hash it was given, which must be the
#      release's.
# Ends with a short summary.
set -euo pipefail
cd "$(dirname "$0")/.."
GUESTIMG=${GUESTIMG:-$PWD/build/guestimg}
source=${GUESTIMG_KERNEL_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
out=output/demo
key=output/demo-key.pem pub=output/demo-key.pub

say() { printf 'demo: %s\n' "$*"; }
field() { jq -r "$1" "$out/release.json"; }
artifact_sha256() { field ".artifacts[] | select(.name == \"$1\") | .sha256"; }

tools/fetch-debs.sh

if [ ! -s "$key" ]; then
    openssl genpkey -algorithm ED25519 -out "$key.tmp" 2>/dev/null
    mv "$key.tmp" "$key"
fi
openssl pkey -in "$key" -pubout -out "$pub"

# output/demo is the demo's own directory: an older demo's non-release
# contents (before `guestimg build` made it) are simply replaced.
if [ -d "$out" ] && [ ! -e "$out/release.json" ]; then
    rm -rf "$out"
fi

say "build: manifests/demo.yaml -> $out (the kernel takes minutes the first time, then it is cached)"
"$GUESTIMG" build manifests/demo.yaml -o "$out" --sign-key "$key" --kernel-source "$source" >/dev/null

say "verify: $out/release.json with $pub"
"$GUESTIMG" verify "$out/release.json" --pubkey "$pub" >output/demo-verify.log ||
    { cat output/demo-verify.log >&2; exit 1; }
tail -1 output/demo-verify.log | sed 's/^/demo: /'

root_hash=$(field .verity.root_hash)
say "boot: qemu-system-x86_64 (TCG), console in output/demo-console.log"
marker=$("$GUESTIMG" boot "$out" --console output/demo-console.log)
if [ "$marker" != "GUESTIMG-BOOT-OK root_hash=$root_hash" ]; then
    say "the guest reported '$marker', expected root hash $root_hash" >&2
    exit 1
fi

image=$(field .image) kernel=$(field .kernel)
printf '\n'
say "release       $out/release.json (signed: $out/release.json.sig)"
say "image         $out/$image"
say "image sha256  $(artifact_sha256 "$image")"
say "root hash     $root_hash"
say "kernel        $out/$kernel ($("$GUESTIMG" kernel inspect "$out/$kernel" | sed 's/.*version //'))"
say "kernel sha256 $(artifact_sha256 "$kernel")"
say "cmdline       $(field .cmdline)"
field '.measurements[] | "\(.mode) \(.vmm_type) \(.vcpu_type) \(.vcpus) vCPU: \(.digest)\(if .kernel_hashes then "" else " (firmware only)" end)"' |
    sed 's/^/demo: measurement   /'
# The AKS path: the IGVM's launch digest covers kernel, command line (with
# the root hash above) and ACPI tables.
field '(.igvm // [])[] | "\(.name) (\(.variant)): \(.digest) (kernel + cmdline + root hash + ACPI)"' |
    sed 's/^/demo: igvm          /'
say "boot ok"
