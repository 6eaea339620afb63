#!/usr/bin/env bats
# guestimg report-html on the demo release: the page read back by Python's
# html.parser (tests/lib/html_tables.py) and its tables compared with
# release.json, lock.json and the CycloneDX SBOM (jq); rendered by headless
# Chromium (a screenshot, and the DOM it builds holds the measurements and
# the package table). --since against an older release made by editing a
# copy with jq.
load lib/common
load lib/guest

setup_file() {
    demo_release_setup
    export P=$BATS_FILE_TMPDIR/page.html
    "$GUESTIMG" report-html "$A/release.json" -o "$P"
    /usr/bin/python3 "$ROOT/tests/lib/html_tables.py" "$P" >"$BATS_FILE_TMPDIR/page.json"
}

setup() {
    require_demo_inputs
    T=$BATS_TEST_TMPDIR
    J=$BATS_FILE_TMPDIR/page.json
}

# rows TABLE: the table's body rows as JSON arrays, one a line
rows() { jq -c --arg t "$1" '.tables[$t][1:][]' "$J"; }

@test "report-html: self-contained: no script, nothing loaded from anywhere" {
    assert_equal "$(jq -c .loads "$J")" "[]"
    assert_equal "$(jq '[.tags[] | select(. == "script" or . == "link" or . == "img" or . == "iframe" or . == "object")] | length' "$J")" 0
    head -c 15 "$P" | grep -qx '<!DOCTYPE html>'
}

@test "report-html: every measurement with its digest and what it covers" {
    assert_equal "$(rows measurement-table | jq -r '.[1]')" \
        "$(jq -r '.measurements[].digest, (.igvm | sort_by(.name)[] | .digest)' "$A/release.json")"
    assert_equal "$(rows measurement-table | wc -l)" "$(jq '(.measurements | length) + (.igvm | length)' "$A/release.json")"
    # kernel_hashes false: the page says the firmware alone is covered
    rows measurement-table | head -1 | jq -e '.[2] | test("only: not the kernel")' >/dev/null
}

@test "report-html: the packages with versions from the lock and licences from the SBOM" {
    assert_equal "$(rows package-table | jq -r '.[0]')" "$(jq -r '.packages[].name' "$A/lock.json")"
    assert_equal "$(rows package-table | jq -r '.[5]')" "$(jq -r '.packages[].sha256' "$A/lock.json")"
    assert_equal "$(rows package-table | jq -r '.[1]')" \
        "$(jq -r '.components[] | select(.type == "library") | .version' "$A/sbom.cdx.json")"
    assert_equal "$(rows package-table | jq -r '.[3]')" \
        "$(jq -r '.components[] | select(.type == "library") | .licenses[0].expression' "$A/sbom.cdx.json")"
    assert_equal "$(rows package-table | jq -r '.[4]')" "$(jq -r '.packages[] | "\(.size) bytes"' "$A/lock.json")"
}

@test "report-html: every file's hash, the verity parameters, the kernel's provenance" {
    assert_equal "$(rows artifact-table | jq -r '"\(.[2])  \(.[0])"')" \
        "$(jq -r '.artifacts[].name' "$A/release.json" | (cd "$A" && xargs sha256sum))"
    assert_equal "$(jq -r '.dls["verity-params"][] | select(.[0] == "root hash") | .[1]' "$J")" "$(cat "$A/root_hash.txt" | grep -o '[0-9a-f]\{64\}' | head -1)"
    assert_equal "$(jq -r '.dls["verity-params"][] | select(.[0] == "kernel command line") | .[1]' "$J")" "$(cat "$A/cmdline.txt")"
    assert_equal "$(jq -r '.dls["kernel-provenance"][] | select(.[0] == "source sha256") | .[1]' "$J")" \
        "$(sha256sum <"$KERNEL_SOURCE" | cut -d' ' -f1)"
}

@test "report-html: --since lists the package upgraded, the measurement and the root hash changed" {
    mkdir "$T/old"
    cp "$A"/* "$T/old/"
    jq -c '.measurements[0].digest = ("ab" * 48) | .verity.root_hash = ("cd" * 32) | .version = "0.9"' \
        "$A/release.json" >"$T/old/release.json"
    jq '.packages[0].version = "1.30.1-6"' "$A/lock.json" >"$T/old/lock.json"
    "$GUESTIMG" report-html "$A/release.json" --since "$T/old/release.json" -o "$T/p.html"
    /usr/bin/python3 "$ROOT/tests/lib/html_tables.py" "$T/p.html" >"$T/p.json"
    J=$T/p.json
    assert_equal "$(rows change-table | jq -r '.[0]')" "$(printf '%s\n' 'package upgraded' 'measurement changed' 'image changed')"
    assert_equal "$(rows change-table | jq -r '.[2]' | sed -n 1p)" "1:1.30.1-6 → 1:1.35.0-4+deb12u1+b1"
    assert_equal "$(rows change-table | jq -r '.[2]' | sed -n 2p)" "$(printf 'ab%.0s' {1..48}) → $(jq -r '.measurements[0].digest' "$A/release.json")"
    grep -q '<h2 id="since">Changes since guestimg-demo 0.9</h2>' "$T/p.html"
    # against itself: nothing changed
    "$GUESTIMG" report-html "$A/release.json" --since "$A/release.json" -o "$T/same.html"
    grep -q 'No package, measurement or image change.' "$T/same.html"
}

@test "report-html: the same release gives the same bytes; a bad input writes nothing" {
    "$GUESTIMG" report-html "$A/release.json" -o "$T/again.html"
    cmp "$P" "$T/again.html"
    run "$GUESTIMG" report-html "$T/none/release.json" -o "$T/x.html"
    assert_error 1 "^guestimg: $T/none/release.json: "
    run "$GUESTIMG" report-html "$A/release.json" --since "$T/none.json" -o "$T/x.html"
    assert_error 1 "^guestimg: $T/none.json: "
    [ ! -e "$T/x.html" ]
    run "$GUESTIMG" report-html "$A/release.json"
    [ "$status" -eq 2 ]
}

@test "report-html: headless Chromium renders it; its DOM holds the measurements and the package table" {
    command -v chromium >/dev/null || skip "chromium not installed"
    cr() { timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$T/profile" "$@" 2>/dev/null; }
    cr --window-size=1200,1600 --screenshot="$T/page.png" "file://$P" >/dev/null
    # a PNG, 1200 pixels wide
    assert_equal "$(head -c 8 "$T/page.png" | xxd -p)" 89504e470d0a1a0a
    assert_equal "$(xxd -s 16 -l 4 -p "$T/page.png")" 000004b0
    cr --dump-dom "file://$P" >"$T/dom.html"
    /usr/bin/python3 "$ROOT/tests/lib/html_tables.py" "$T/dom.html" >"$T/dom.json"
    J=$T/dom.json
    assert_equal "$(rows measurement-table | jq -r '.[1]' | sort)" \
        "$(jq -r '.measurements[].digest, .igvm[].digest' "$A/release.json" | sort)"
    assert_equal "$(rows package-table | jq -r '.[0]')" "$(jq -r '.packages[].name' "$A/lock.json")"
}
