#!/bin/bash
# Download the Debian packages manifests/demo.yaml installs into output/debs/
# (apt-get download: no root, nothing installed), named <package>.deb so the
# manifest does not depend on the version Debian currently has. Packages
# already there are kept: once fetched, the demo builds offline.
#   tools/fetch-debs.sh [DIR]        (default output/debs)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-output/debs}
packages=(busybox-static)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)   # absolute: apt-get runs in a temporary directory below it
for p in "${packages[@]}"; do
    [ -s "$dir/$p.deb" ] && continue
    tmp=$(mktemp -d "$dir/.fetch-XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    if ! (cd "$tmp" && apt-get download -q "$p" >"$tmp/log" 2>&1); then
        cat "$tmp/log" >&2
        echo "fetch-debs: apt-get download $p failed (run apt-get update?)" >&2
        exit 1
    fi
    mv "$tmp"/"$p"_*.deb "$dir/$p.deb"
    rm -rf "$tmp"
    trap - EXIT
done
