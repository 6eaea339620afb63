#!/bin/bash
# guestimg rootfs --manifest over a local rpm-md repository (three packages,
# ~85 MB unpacked: large incompressible files in a zstd payload, 4000 small
# files in an xz payload, mid-sized files in a gzip payload; made once with
# rpmbuild under $BENCH_DIR/packages-repo), cache warm: resolve with
# libsolv, check every package's sha256, unpack into the tree under RPM's
# rules, write the ext4 image (raw, no verity). Against:
#   - rpm2cpio | cpio -idm of the same packages into a directory, the usual
#     rootless unpacking (no resolution, no checks, no image);
#   - the same followed by mke2fs -d of that directory (the whole rootless
#     image path, without owners, capabilities or a lock).
# And peak memory.
set -eu
. "$(dirname "$0")/lib.sh"
RUNS=${BENCH_RUNS:-3}
repo=$BENCH_DIR/packages-repo
work=$BENCH_DIR/packages-work

# spec NAME SUMMARY PYTHON: a package whose files the Python code writes
# under ROOT (deterministic content).
spec() {
    cat <<SPEC
Name: $1
Version: 1.0
Release: 1
Summary: $2
License: MIT
BuildArch: noarch
${4:-}
%description
benchmark package
%install
/usr/bin/python3 - %{buildroot} <<'PY'
import hashlib, os, sys
ROOT = sys.argv[1]
def put(path, data):
    os.makedirs(os.path.dirname(ROOT + path), exist_ok=True)
    open(ROOT + path, 'wb').write(data)
WORDS = b'the quick brown fox jumps over the lazy dog '
$3
PY
%files
/usr/*/bench
SPEC
}

make_repo() {
    local top=$repo.build
    rm -rf "$repo" "$top" && mkdir -p "$repo" "$top"
    # (no '%' in the Python: rpm would take it for a macro)
    spec bench-data "large incompressible files" "
for i in range(16):
    blocks = (hashlib.sha512('blob{}-{}'.format(i, k).encode()).digest() for k in range((4 << 20) // 64))
    put('/usr/lib/bench/blob{:02d}.bin'.format(i), b''.join(blocks))" >"$top/data.spec"
    spec bench-many "many small files" "
for i in range(4000):
    put('/usr/share/bench/d{:02d}/f{:04d}.txt'.format(i // 100, i), (str(i).encode() + b' ' + WORDS) * (20 + i // 70))" \
        >"$top/many.spec"
    spec bench-mid "mid-sized compressible files" "
for i in range(400):
    put('/usr/libexec/bench/m{:03d}.dat'.format(i), (str(i).encode() + b' ' + WORDS * 8 + bytes([10])) * 90)" \
        "Requires: bench-data bench-many" >"$top/mid.spec"
    local pair
    for pair in data:w3.zstdio many:w6.xzdio mid:w6.gzdio; do
        rpmbuild --quiet --define "_topdir $top/${pair%%:*}" --define "_binary_payload ${pair#*:}" \
            -bb "$top/${pair%%:*}.spec" >/dev/null 2>&1
    done
    cp "$top"/*/RPMS/noarch/*.rpm "$repo/"
    rm -rf "$top"
    createrepo_c --quiet --no-database "$repo" >/dev/null
    touch "$repo/.complete"
}
if [ ! -e "$repo/.complete" ]; then
    echo "making the benchmark repository (once) in $repo"
    make_repo
fi
rm -rf "$work" && mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
printf '%s\n' 'name: bench' 'version: "1"' 'epoch: 0' 'seed: 5b9e1f3c-7f52-4c1e-9a57-2f0c1b7d8e61' \
    "repositories: [{name: bench, baseurl: \"file://$repo\", gpgcheck: false}]" \
    'packages: [bench-mid]' 'image: {layout: raw}' >"$work/m.yaml"
rpms=("$repo"/*.rpm)
cat "${rpms[@]}" >/dev/null # warm the page cache alike for everyone

ours() {
    "$GUESTIMG" rootfs -q --no-verity --cache "$work/cache" -o "$work/ours.img" --manifest "$work/m.yaml" >/dev/null
}
ours
size=$(stat -c %s "$work/ours.img")
cpio_dir() {
    rm -rf "$work/dir" && mkdir "$work/dir"
    local r
    for r in "${rpms[@]}"; do
        rpm2cpio "$r" | cpio -idm --quiet -D "$work/dir" || return 1
    done
}
# mke2fs -d needs more room than guestimg's tight image (its default inode
# ratio and allocator): a quarter more
cpio_image() {
    cpio_dir && rm -f "$work/base.img" &&
        mke2fs -q -F -t ext4 -O ^has_journal -b 4096 -d "$work/dir" "$work/base.img" "$((size * 5 / 4 / 1024))k"
}
# interleaved, so that all see the same load on a shared machine
declare -a ta tb tc
for ((i = 0; i < RUNS; i++)); do
    ta+=("$(median_seconds 1 ours)")
    tb+=("$(median_seconds 1 cpio_dir)")
    tc+=("$(median_seconds 1 cpio_image)")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
t_ours=$(median "${ta[@]}")
t_dir=$(median "${tb[@]}")
t_img=$(median "${tc[@]}")
files=$(find "$work/dir" -type f | wc -l)
mb=$(du -sm --apparent-size "$work/dir" | cut -f1)
echo "resolve + check + unpack + ext4 (${#rpms[@]} packages, $files files, $mb MB): $t_ours s vs $t_dir s (rpm2cpio | cpio -idm into a directory) = $(ratio "$t_ours" "$t_dir")x [target ≤ 1.5]"
echo "the same vs the rootless image path: $t_ours s vs $t_img s (rpm2cpio | cpio -idm, then mke2fs -d) = $(ratio "$t_ours" "$t_img")x [target ≤ 1.0]"
rss=$(peak_rss_mib "$GUESTIMG" rootfs -q --no-verity --cache "$work/cache" -o "$work/rss.img" --manifest "$work/m.yaml")
echo "peak RSS: $rss MiB (content streams through the spool file) [target < 128]"
