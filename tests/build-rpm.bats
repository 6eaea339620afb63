#!/usr/bin/env bats
# guestimg build on the RPM path, end to end: real RPMs (rpmbuild) in a
# signed rpm-md repository served on 127.0.0.1, resolved with libsolv, the
# kernel taken from a repository package (as Azure Linux's kernel-uvm), SBOM
# PURLs pkg:rpm/…, verify and reproduce. With the reference AmdSev firmware
# (it has a kernel-hashes section) the measurements cover the kernel and the
# command line.
load lib/common
load lib/rpmrepo

# make_kernel_rpm DIR: a noarch RPM gi-kernel 6.1-1 whose /boot/vmlinuz is a
# small file with an x86 boot sector and setup header (what guestimg checks
# a kernel for), version string "6.1.0-gi".
make_kernel_rpm() {
    local d=$1
    mkdir -p "$d/kspec"
    /usr/bin/python3 "$ROOT/tests/lib/fake_bzimage.py" "$d/kspec/vmlinuz" 6.1.0-gi
    cat >"$d/kspec/kernel.spec" <<EOF
Name: gi-kernel
Version: 6.1
Release: 1
Summary: a guest kernel for guestimg tests
License: GPL-2.0-only
BuildArch: noarch
%description
Kernel.
%install
install -D -m 0644 $d/kspec/vmlinuz %{buildroot}/boot/vmlinuz
%files
/boot/vmlinuz
EOF
    _rpmbuild "$d/rpmbuild" "$d/kspec/kernel.spec" w19.zstdio
}

setup_file() {
    export FX=$BATS_FILE_TMPDIR/fx WWW=$BATS_FILE_TMPDIR/www
    mkdir -p "$FX" "$WWW"
    make_test_rpms "$FX"
    make_kernel_rpm "$FX"
    make_gpg_key "$FX/gpg" testkey
    mkdir "$WWW/repo"
    cp "$FX"/repo/*.rpm "$FX"/rpmbuild/RPMS/noarch/gi-kernel-*.rpm "$WWW/repo/"
    make_repo "$WWW/repo"
    sign_repo "$FX/gpg" "$WWW/repo"
    stop_gpg "$FX/gpg"
    serve_dir "$WWW" "$FX/http.log"
    export SERVER_PID SERVER_URL
}

teardown_file() {
    stop_server
}

setup() {
    repo_test_dirs
}

# build_release EXTRA-YAML: $W/m.yaml (gi-tool from the test repository,
# the kernel from gi-kernel) built into $W/rel.
build_release() {
    write_manifest "$W/m.yaml" "$SERVER_URL/repo" "packages: [gi-tool]
kernel: {from: package, package: gi-kernel, path: /boot/vmlinuz}
$1"
    run "$GUESTIMG" build -q --cache "$CACHE" "$W/m.yaml" -o "$W/rel"
}

# purl NAME: the CycloneDX PURL of package NAME.
purl() {
    jq -r ".components[] | select(.name == \"$1\") | .purl" "$W/rel/sbom.cdx.json"
}

@test "build from an rpm-md repository: packages, kernel package, SBOM PURLs pkg:rpm, verify" {
    build_release 'measure: {firmware: none}'
    [ "$status" -eq 0 ]
    [[ $output == *"guestimg: warning: $W/m.yaml: measure.firmware is none and no measure.igvm: the release publishes no launch measurements"* ]]
    assert_equal "$(purl gi-tool)" "pkg:rpm/azurelinux/gi-tool@2.1-3?arch=x86_64&epoch=1"
    assert_equal "$(purl gi-base)" "pkg:rpm/azurelinux/gi-base@1.0-1?arch=noarch"
    assert_equal "$(purl gi-impl)" "pkg:rpm/azurelinux/gi-impl@1.0-1?arch=noarch"
    # the resolution's dependencies, in both SBOMs
    tool_ref=$(jq -r '.components[] | select(.name == "gi-tool") | ."bom-ref"' "$W/rel/sbom.cdx.json")
    assert_equal "$(jq -r --arg r "$tool_ref" '.dependencies[] | select(.ref == $r) | .dependsOn | length' "$W/rel/sbom.cdx.json")" 2
    tool_id=$(jq -r '.packages[] | select(.name == "gi-tool") | .SPDXID' "$W/rel/sbom.spdx.json")
    assert_equal "$(jq -r --arg i "$tool_id" '[.relationships[] | select(.spdxElementId == $i and .relationshipType == "DEPENDS_ON")] | length' "$W/rel/sbom.spdx.json")" 2
    # each package's sha256 is that of the file the repository serves
    for f in "$WWW"/repo/gi-tool-*.rpm "$WWW"/repo/gi-base-*.rpm; do
        name=$(rpm -qp --qf '%{NAME}' "$f" 2>/dev/null)
        assert_equal "$(jq -r ".packages[] | select(.name == \"$name\") | .checksums[0].checksumValue" "$W/rel/sbom.spdx.json")" \
                     "$(sha256sum <"$f" | cut -d' ' -f1)"
    done
    # the kernel is the package's file, and the SBOM says which version it is
    cmp "$W/rel/vmlinuz" "$FX/kspec/vmlinuz"
    assert_equal "$(jq -r '.packages[] | select(.SPDXID == "SPDXRef-Kernel") | .versionInfo' "$W/rel/sbom.spdx.json")" "6.1-1"
    assert_equal "$(jq -r .kernel.name "$W/rel/lock.json")" gi-kernel
    # release.json names the package the kernel came from, by PURL and the sha256 of the file the repository serves
    kernel_rpm=$(echo "$WWW"/repo/gi-kernel-*.rpm)
    assert_equal "$(jq -r '.kernel_provenance | "\(.from) \(.source) \(.source_sha256)"' "$W/rel/release.json")" \
                 "package pkg:rpm/azurelinux/gi-kernel@6.1-1?arch=noarch $(sha256sum <"$kernel_rpm" | cut -d' ' -f1)"
    [ ! -e "$W/rel/kernel.inputs.txt" ]
    # files.tsv: the capability, the non-root owner, the hard link
    grep -qP '^/usr/bin/gi-ping\tfile\t0755\t0\t0\t\d+\t[0-9a-f]{64}\tsecurity\.capability=01000002' "$W/rel/files.tsv"
    grep -qP '^/var/lib/gi-tool\tdir\t0750\t1000\t1000\t' "$W/rel/files.tsv"
    grep -qP '^/usr/bin/gi-ping2\thardlink\t.*\t/usr/bin/gi-ping\t' "$W/rel/files.tsv"
    assert_equal "$(jq '.measurements | length' "$W/rel/release.json")" 0
    [ ! -e "$W/rel/trustee-reference-values.json" ]
    run "$GUESTIMG" verify "$W/rel/release.json"
    [ "$status" -eq 0 ]
    [[ $output == *"ok kernel provenance: package pkg:rpm/azurelinux/gi-kernel@6.1-1?arch=noarch"* ]]
    [[ $output == *"ok sbom sbom.spdx.json packages"* ]]
    # and a rebuild from the lock is the same release
    run "$GUESTIMG" reproduce -q "$W/rel/release.json" --manifest "$W/m.yaml" --cache "$CACHE" --scratch "$W"
    [ "$status" -eq 0 ]
    [ "${lines[-1]}" = "$W/rel/release.json: reproduced: every artifact rebuilt to the same bytes" ]
}

@test "build: RPM SBOMs validate against the official schemas" {
    require_reference
    /usr/bin/python3 -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema not installed"
    build_release 'measure: {firmware: none}'
    [ "$status" -eq 0 ]
    /usr/bin/python3 "$ROOT/tests/lib/validate_json_schema.py" "$REF/schemas/spdx-2.3.schema.json" "$W/rel/sbom.spdx.json"
    /usr/bin/python3 "$ROOT/tests/lib/validate_json_schema.py" "$REF/schemas/cyclonedx-bom-1.5.schema.json" "$W/rel/sbom.cdx.json"
}

@test "build: a firmware with a kernel-hashes section measures the kernel and the command line" {
    require_reference
    cp "$REF/snp/ovmf_AmdSev_suffix.bin" "$W/OVMF.amdsev.fd"
    fw_sha=$(sha256sum <"$W/OVMF.amdsev.fd" | cut -d' ' -f1)
    build_release "measure:
  firmware: {path: OVMF.amdsev.fd, sha256: $fw_sha}
  vmm-types: [QEMU, ec2]
  vcpus: [1, 4]
  vcpu-types: [EPYC-Milan]
  guest-features: 0x1
  svn: 7"
    [ "$status" -eq 0 ]
    ! grep -q 'kernel-hashes' <<<"$output" || false
    assert_equal "$(jq -r '[.measurements[].kernel_hashes] | unique | .[]' "$W/rel/release.json")" true
    assert_equal "$(jq '.measurements | length' "$W/rel/release.json")" 4
    # each digest is what guestimg measure (sev-snp-measure's interface) gives for the same inputs
    while read -r vmm vcpus digest; do
        assert_equal "$("$GUESTIMG" measure --mode snp --vmm-type "$vmm" --vcpus "$vcpus" --vcpu-type EPYC-Milan \
            --ovmf "$W/OVMF.amdsev.fd" --kernel "$W/rel/vmlinuz" --append "$(cat "$W/rel/cmdline.txt")")" "$digest"
    done < <(jq -r '.measurements[] | "\(.vmm_type) \(.vcpus) \(.digest)"' "$W/rel/release.json")
    assert_equal "$(jq -r '.["x-ms-sevsnpvm-guestsvn"]' "$W/rel/measurement-snp-ec2-EPYC-Milan-4.json")" 7
    run "$GUESTIMG" verify "$W/rel/release.json"
    [ "$status" -eq 0 ]
    [[ $output == *"ok measurement snp ec2 EPYC-Milan 4 vCPU"* ]]
    # the kernel is now part of the measurement: a changed kernel is caught twice
    printf 'X' | dd of="$W/rel/vmlinuz" bs=1 seek=9000 conv=notrunc status=none
    run "$GUESTIMG" verify "$W/rel/release.json"
    [ "$status" -eq 1 ]
    [[ $output == *"MISMATCH artifact vmlinuz sha256"* ]]
    [[ $output == *"MISMATCH measurement snp QEMU EPYC-Milan 1 vCPU: expected "* ]]
}

@test "build: a repository that fails mid-build (package gone) leaves nothing" {
    write_manifest "$W/m.yaml" "$SERVER_URL/repo" "packages: [gi-nothing]
kernel: {from: package, package: gi-kernel, path: /boot/vmlinuz}
measure: {firmware: none}"
    run "$GUESTIMG" build -q --cache "$CACHE" "$W/m.yaml" -o "$W/rel"
    [ "$status" -eq 1 ]
    [[ ${lines[-1]} == "guestimg: "*"gi-nothing"* ]]
    [ ! -e "$W/rel" ]
    [ ! -e "$W/m.lock.json" ]
    [ -z "$(find "$W" -maxdepth 1 -name '.rel.tmp-*')" ]
}
