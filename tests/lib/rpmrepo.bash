# Helpers for package tests: real RPMs built with rpmbuild, published with
# createrepo_c, signed with a throwaway GnuPG key, served over HTTP on
# 127.0.0.1 (python3 -m http.server on a free port). Load after lib/common.
#
# The packages (see make_test_rpms):
#   gi-base 1.0-1     zstd payload: /etc/passwd, group, shadow, /bin -> usr/bin,
#                     %config /etc/gi-base.conf, /usr/share/gi/same
#   gi-impl 0.9-1     provides gi-virtual (older)
#   gi-impl 1.0-1     provides gi-virtual (newer: the one a resolver picks)
#   gi-tool 1:2.1-3   xz payload: requires gi-virtual and gi-base, recommends
#                     gi-extra; /usr/bin/gi-ping (cap_net_raw,cap_net_admin=ep,
#                     hard link gi-ping2, symlink gi-p), /var/lib/gi-tool 0750
#                     kata:kata with a 0640 kata:kata file
#   gi-extra 1.0-1    only recommended
#   gi-broken 1.0-1   requires gi-nonexistent
#   gi-same 1.0-1     the same /usr/share/gi/same as gi-base (not a conflict)
#   gi-clash 1.0-1    another /etc/gi-base.conf (a conflict)
#   gi-local 1.0-1    not in the repository: a local package requiring gi-base
#   gi-broken 0.5-1   an older gi-broken whose dependencies are fine
#   gi-old 1.0-1      renamed: gi-new 2.0-1 provides gi-old = 2.0 and obsoletes gi-old < 2.0
#   gi-arch           1.0-1.x86_64, 9.0-1.i686, 9.0-1.aarch64
#   gi-aa 1.0-1       requires gi-zz 1.0-1; both have /usr/share/gi/order (a conflict)
# and, in DIR/filedeps (not in the repository of make_repo DIR/repo):
#   gi-filedep 1.0-1  requires the file /usr/share/gi/impl (only filelists.xml lists it)
#   gi-nofile 1.0-1   requires the file /opt/gi/nowhere (no package has it)

RPMREPO_SEED=5b9e1f3c-7f52-4c1e-9a57-2f0c1b7d8e61

# rpmbuild one spec ($2) into RPMS under $1 with payload compression $3
# (further arguments go to rpmbuild).
_rpmbuild() {
    local top=$1 spec=$2 payload=$3
    shift 3
    rpmbuild "$@" --quiet --define "_topdir $top" --define "_binary_payload $payload" \
        --define '_buildhost guestimg-tests' --define 'source_date_epoch_from_changelog 0' \
        --define 'use_source_date_epoch_as_buildtime 1' --define '_build_id_links none' \
        -bb "$spec" >/dev/null 2>&1
}

# make_test_rpms DIR: build the packages into DIR/repo (published ones),
# DIR/filedeps (those with file dependencies) and DIR/local (the local one).
make_test_rpms() {
    local d=$1 top=$1/rpmbuild
    mkdir -p "$d/specs" "$d/repo" "$d/local" "$d/filedeps"
    export SOURCE_DATE_EPOCH=1700000000
    cat >"$d/specs/base.spec" <<'EOF'
Name: gi-base
Version: 1.0
Release: 1
Summary: base files for guestimg tests
License: MIT
URL: https://example.org/gi-base
Vendor: guestimg tests
BuildArch: noarch
%description
Base files.
%package -n gi-impl
Version: 0.9
Summary: implementation of gi-virtual (old)
Provides: gi-virtual
%description -n gi-impl
Old implementation.
%install
mkdir -p %{buildroot}/etc %{buildroot}/usr/bin %{buildroot}/usr/share/gi
printf 'root:x:0:0:root:/root:/bin/sh\nbin:x:1:1:bin:/bin:/sbin/nologin\ndaemon:x:2:2:daemon:/sbin:/sbin/nologin\n' > %{buildroot}/etc/passwd
printf 'root:x:0:\nbin:x:1:\ndaemon:x:2:\n' > %{buildroot}/etc/group
printf 'root:*:19000:0:99999:7:::\n' > %{buildroot}/etc/shadow
echo 'setting=1' > %{buildroot}/etc/gi-base.conf
echo 'same bytes' > %{buildroot}/usr/share/gi/same
ln -s usr/bin %{buildroot}/bin
echo impl-0.9 > %{buildroot}/usr/share/gi/impl
%files
/etc/passwd
/etc/group
%attr(0000,root,root) /etc/shadow
%config(noreplace) /etc/gi-base.conf
%dir /usr/bin
/usr/share/gi/same
/bin
%files -n gi-impl
/usr/share/gi/impl
EOF
    cat >"$d/specs/tool.spec" <<'EOF'
Name: gi-tool
Version: 2.1
Release: 3
Epoch: 1
Summary: a tool with a capability
License: GPL-2.0-only
URL: https://example.org/gi-tool
Vendor: guestimg tests
Requires: gi-virtual
Requires: gi-base
Recommends: gi-extra
%description
Tool.
%package -n gi-extra
Version: 1.0
Release: 1
Epoch: 0
Summary: only recommended
BuildArch: noarch
%description -n gi-extra
Extra.
%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/var/lib/gi-tool %{buildroot}/usr/share/gi
printf '#!/bin/sh\necho ping\n' > %{buildroot}/usr/bin/gi-ping
ln %{buildroot}/usr/bin/gi-ping %{buildroot}/usr/bin/gi-ping2
ln -s gi-ping %{buildroot}/usr/bin/gi-p
echo state > %{buildroot}/var/lib/gi-tool/state
echo extra > %{buildroot}/usr/share/gi/extra
%files
%caps(cap_net_raw,cap_net_admin=ep) %attr(0755,root,root) /usr/bin/gi-ping
%attr(0755,root,root) /usr/bin/gi-ping2
/usr/bin/gi-p
%dir %attr(0750,kata,kata) /var/lib/gi-tool
%attr(0640,kata,kata) /var/lib/gi-tool/state
%files -n gi-extra
/usr/share/gi/extra
EOF
    cat >"$d/specs/more.spec" <<'EOF'
Name: gi-impl
Version: 1.0
Release: 1
Summary: implementation of gi-virtual (new)
License: MIT
BuildArch: noarch
Provides: gi-virtual
%description
New implementation.
%package -n gi-broken
Summary: requires something nobody provides
Requires: gi-nonexistent
%description -n gi-broken
Broken.
%package -n gi-same
Summary: same bytes as gi-base
%description -n gi-same
Same.
%package -n gi-clash
Summary: different bytes where gi-base has a file
%description -n gi-clash
Clash.
%install
mkdir -p %{buildroot}/usr/share/gi %{buildroot}/etc
echo impl-1.0 > %{buildroot}/usr/share/gi/impl
echo broken > %{buildroot}/usr/share/gi/broken
echo 'same bytes' > %{buildroot}/usr/share/gi/same
echo 'setting=2' > %{buildroot}/etc/gi-base.conf
%files
/usr/share/gi/impl
%files -n gi-broken
/usr/share/gi/broken
%files -n gi-same
/usr/share/gi/same
%files -n gi-clash
/etc/gi-base.conf
EOF
    cat >"$d/specs/local.spec" <<'EOF'
Name: gi-local
Version: 1.0
Release: 1
Summary: a package given by path
License: Apache-2.0
BuildArch: noarch
Requires: gi-base
%description
Local.
%install
mkdir -p %{buildroot}/opt/gi
echo local > %{buildroot}/opt/gi/local
%files
/opt/gi/local
EOF
    cat >"$d/specs/resolve.spec" <<'EOF'
Name: gi-broken
Version: 0.5
Release: 1
Summary: an older gi-broken that installs
License: MIT
BuildArch: noarch
%description
Older.
%package -n gi-old
Version: 1.0
Summary: the old name of gi-new
%description -n gi-old
Old.
%package -n gi-new
Version: 2.0
Summary: renamed from gi-old
Provides: gi-old = 2.0-1
Obsoletes: gi-old < 2.0
%description -n gi-new
New.
%package -n gi-aa
Version: 1.0
Summary: depends on gi-zz, which sorts after it
Requires: gi-zz
%description -n gi-aa
Installed after gi-zz.
%package -n gi-filedep
Version: 1.0
Summary: requires a file outside primary.xml's lists
Requires: /usr/share/gi/impl
%description -n gi-filedep
File dependency.
%package -n gi-nofile
Version: 1.0
Summary: requires a file no package has
Requires: /opt/gi/nowhere
%description -n gi-nofile
Missing file.
%install
mkdir -p %{buildroot}/usr/share/gi
for f in broken old new filedep nofile; do echo $f > %{buildroot}/usr/share/gi/$f; done
echo aa > %{buildroot}/usr/share/gi/order
%files
/usr/share/gi/broken
%files -n gi-old
/usr/share/gi/old
%files -n gi-new
/usr/share/gi/new
%files -n gi-aa
/usr/share/gi/order
%files -n gi-filedep
/usr/share/gi/filedep
%files -n gi-nofile
/usr/share/gi/nofile
EOF
    cat >"$d/specs/order.spec" <<'EOF'
Name: gi-zz
Version: 1.0
Release: 1
Summary: needed by gi-aa
License: MIT
BuildArch: noarch
%description
Installed before gi-aa.
%install
mkdir -p %{buildroot}/usr/share/gi
echo zz > %{buildroot}/usr/share/gi/order
%files
/usr/share/gi/order
EOF
    cat >"$d/specs/arch.spec" <<'EOF'
Name: gi-arch
Version: %{ver}
Release: 1
Summary: built for one architecture
License: MIT
%description
Architecture.
%install
mkdir -p %{buildroot}/usr/share/gi
echo %{_target_cpu} > %{buildroot}/usr/share/gi/arch
%files
/usr/share/gi/arch
EOF
    _rpmbuild "$top" "$d/specs/base.spec" w19.zstdio &&
        _rpmbuild "$top" "$d/specs/tool.spec" w6.xzdio &&
        _rpmbuild "$top" "$d/specs/more.spec" w9.gzdio &&
        _rpmbuild "$top" "$d/specs/local.spec" w19.zstdio &&
        _rpmbuild "$top" "$d/specs/resolve.spec" w19.zstdio &&
        _rpmbuild "$top" "$d/specs/order.spec" w9.gzdio || return 1
    local t
    for t in x86_64:1.0 i686:9.0 aarch64:9.0; do
        _rpmbuild "$top" "$d/specs/arch.spec" w19.zstdio --target "${t%%:*}" --define "ver ${t#*:}" || return 1
    done
    find "$top/RPMS" -name '*.rpm' ! -name 'gi-local-*' ! -name 'gi-filedep-*' ! -name 'gi-nofile-*' \
        -exec cp {} "$d/repo/" \;
    cp "$top"/RPMS/noarch/gi-local-*.rpm "$d/local/"
    cp "$top"/RPMS/noarch/gi-filedep-*.rpm "$top"/RPMS/noarch/gi-nofile-*.rpm "$d/filedeps/"
}

# make_repo DIR: repository metadata for the RPMs in DIR.
make_repo() {
    createrepo_c --quiet --no-database --simple-md-filenames "$1" >/dev/null
}

# make_gpg_key HOME NAME: a throwaway signing key in GnuPG home HOME; its
# public key is exported (armored) to HOME/NAME.asc.
make_gpg_key() {
    local home=$1 name=$2
    mkdir -p -m 0700 "$home"
    GNUPGHOME=$home gpg --batch --quiet --passphrase '' \
        --quick-generate-key "$name <$name@guestimg.test>" ed25519 sign never 2>/dev/null &&
        GNUPGHOME=$home gpg --batch --quiet --armor --export "$name@guestimg.test" >"$home/$name.asc"
}

# sign_repo HOME DIR: detached, armored signature of DIR/repodata/repomd.xml.
sign_repo() {
    rm -f "$2/repodata/repomd.xml.asc"
    GNUPGHOME=$1 gpg --batch --quiet --yes --armor --detach-sign \
        -o "$2/repodata/repomd.xml.asc" "$2/repodata/repomd.xml" 2>/dev/null
}

# stop_gpg HOME: stop the agent gpg started for HOME.
stop_gpg() {
    GNUPGHOME=$1 gpgconf --kill gpg-agent 2>/dev/null || true
}

# serve_dir DIR LOG [flaky [CODE [FAILURES]]]: serve DIR on 127.0.0.1 on a
# port the kernel picks (python3 -m http.server; with "flaky",
# tests/lib/flaky_http.py, which answers each path's first FAILURES (1)
# requests with HTTP CODE (503)); sets SERVER_PID and SERVER_URL.
serve_dir() {
    local dir=$1 log=$2 i
    if [ "${3:-}" = flaky ]; then
        /usr/bin/python3 -u "$(dirname "${BASH_SOURCE[0]}")/flaky_http.py" "$dir" "${@:4}" >"$log" 2>&1 &
    else
        /usr/bin/python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$dir" >"$log" 2>&1 &
    fi
    SERVER_PID=$!
    for i in $(seq 100); do
        if grep -q 'port [0-9]' "$log"; then
            SERVER_URL=http://127.0.0.1:$(sed -n 's/.* port \([0-9]*\).*/\1/p' "$log" | head -1)
            return 0
        fi
        sleep 0.05
    done
    echo "http.server did not start: $(cat "$log")" >&2
    return 1
}

stop_server() {
    [ -n "${SERVER_PID:-}" ] || return 0
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

# free_port: a TCP port nothing listens on (closed again at once).
free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# write_manifest FILE BASEURL [EXTRA-YAML]: a test manifest using the test
# repository and its key (key.asc beside FILE).
write_manifest() {
    local file=$1 url=$2 extra=${3:-}
    cat >"$file" <<EOF
name: test-image
version: "1.0"
epoch: 1700000000
seed: $RPMREPO_SEED
repositories:
  - name: test
    baseurl: $url
    gpgkey: key.asc
accounts:
  groups: [{name: kata, gid: 1000}]
  users: [{name: kata, uid: 1000, gid: 1000, home: /var/lib/gi-tool}]
$extra
EOF
}

# replace_primary DIR XMLFILE: make XMLFILE (gzipped) the repository's
# primary metadata and update repomd.xml's checksums and sizes to match
# (sign again afterwards).
replace_primary() {
    local dir=$1 xml=$2
    gzip -9n <"$xml" >"$dir/repodata/primary.xml.gz"
    /usr/bin/python3 - "$dir/repodata" "$xml" <<'PY'
import hashlib, re, sys
d, xml = sys.argv[1], sys.argv[2]
gz = open(d + "/primary.xml.gz", "rb").read()
raw = open(xml, "rb").read()
md = open(d + "/repomd.xml").read()
def fix(block):
    block = re.sub(r'(<checksum type="sha256">)[0-9a-f]+', r'\g<1>' + hashlib.sha256(gz).hexdigest(), block)
    block = re.sub(r'(<open-checksum type="sha256">)[0-9a-f]+', r'\g<1>' + hashlib.sha256(raw).hexdigest(), block)
    block = re.sub(r'<size>\d+', '<size>%d' % len(gz), block)
    return re.sub(r'<open-size>\d+', '<open-size>%d' % len(raw), block)
md = re.sub(r'<data type="primary">.*?</data>', lambda m: fix(m.group(0)), md, flags=re.S)
open(d + "/repomd.xml", "w").write(md)
PY
}

# make_test_debs DIR: two .deb files (dpkg-deb) into DIR: gi-deb 1:2.0-1
# depending on gi-deb-base (or something absent), and gi-deb-base 1.0-1.
make_test_debs() {
    local d=$1 name
    for name in gi-deb-base gi-deb; do
        local root=$d/$name.root
        mkdir -p "$root/DEBIAN" "$root/usr/share/$name"
        echo "$name" >"$root/usr/share/$name/file"
        if [ "$name" = gi-deb ]; then
            printf 'Package: gi-deb\nVersion: 1:2.0-1\nArchitecture: all\nMaintainer: Tests <t@guestimg.test>\nHomepage: https://example.org/gi-deb\nSource: gi-src (2.0-1)\nDepends: gi-deb-base (>= 1.0) | gi-absent, gi-virtual-deb\nDescription: a test deb\n with a long description\n' >"$root/DEBIAN/control"
        else
            printf 'Package: gi-deb-base\nVersion: 1.0-1\nArchitecture: all\nMaintainer: Tests <t@guestimg.test>\nProvides: gi-virtual-deb\nDescription: base test deb\n' >"$root/DEBIAN/control"
        fi
        SOURCE_DATE_EPOCH=1700000000 dpkg-deb --root-owner-group -Zxz --build "$root" "$d/$name.deb" >/dev/null || return 1
        rm -rf "$root"
    done
}

# The per-test setup of a bats file whose setup_file serves signed
# repositories with the key $FX/gpg/testkey.asc: a work directory $W holding
# the key as key.asc, and a package cache $CACHE of the test's own.
repo_test_dirs() {
    W=$BATS_TEST_TMPDIR/w
    mkdir -p "$W"
    cp "$FX/gpg/testkey.asc" "$W/key.asc"
    CACHE=$BATS_TEST_TMPDIR/cache
}
