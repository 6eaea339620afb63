# Helpers for benchmarks. Source from tests/bench/bench_*.sh.

# median_seconds N CMD...: run CMD N times, print the median wall time.
median_seconds() {
    local n=$1; shift
    local times=() i s e
    # bash's own clock: a $(date) per reading would add a fork and an exec
    # (~1 ms) to every timing, which flatters short commands' ratios.
    for ((i = 0; i < n; i++)); do
        s=$EPOCHREALTIME
        "$@" >/dev/null 2>&1 || { echo "benchmark command failed: $*" >&2; return 1; }
        e=$EPOCHREALTIME
        times+=("$(echo "$e - $s" | bc -l)")
    done
    printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.4f\n", a[int((NR+1)/2)]}'
}

# ratio A B: A / B with three decimals.
ratio() {
    echo "scale=3; $1 / $2" | bc -l | sed 's/^\./0./'
}

# peak_rss_mib CMD...: peak resident memory of CMD in MiB (GNU time).
peak_rss_mib() {
    local kb out
    out=$(mktemp)
    /usr/bin/time -o "$out" -f '%M' "$@" >/dev/null 2>&1 || { rm -f "$out"; echo "benchmark command failed: $*" >&2; return 1; }
    kb=$(tail -1 "$out"); rm -f "$out"
    echo "scale=1; $kb / 1024" | bc -l
}

# interleaved_medians N CMD...: run each CMD (one word each: a function or
# program) once per round, N rounds, interleaved so that all see the same
# load on a shared machine; print each one's median wall time, one a line.
# Dirty pages are flushed (untimed) before each run, so that no command pays
# for writing back the previous one's output.
interleaved_medians() {
    local n=$1 i c; shift
    local -a times=()
    for ((i = 0; i < n; i++)); do
        for c in "$@"; do sync; times+=("$c $(median_seconds 1 "$c")") || return 1; done
    done
    for c in "$@"; do
        printf '%s\n' "${times[@]}" | awk -v c="$c" '$1 == c {print $2}' | sort -g |
            awk '{a[NR]=$1} END {printf "%.4f\n", a[int((NR+1)/2)]}'
    done
}

# blob_manifest DIR MIB [YAML]: DIR/m.yaml, a release of one MIB MiB file of
# random bytes (a tarball package: zeros would flatter everyone) with a
# kernel file (build checks a bzImage's setup header; nothing boots it),
# no measurements, and YAML's extra lines.
blob_manifest() {
    local d=$1 mib=$2 extra=${3:-}
    rm -rf "$d" && mkdir -p "$d/in/opt/big"
    head -c $((mib << 20)) /dev/urandom > "$d/in/opt/big/blob"
    tar -C "$d/in" -cf "$d/big.tar" opt
    rm -rf "$d/in"
    /usr/bin/python3 "$GUESTIMG_ROOT/tests/lib/fake_bzimage.py" "$d/vmlinuz"
    cat > "$d/m.yaml" <<YAML
name: bench
version: "1"
epoch: 0
seed: 00000000-0000-0000-0000-000000000000
local-packages: [{path: big.tar, name: big, version: "1", license: MIT}]
kernel: {from: file, path: vmlinuz}
measure: {firmware: none}
$extra
YAML
}
