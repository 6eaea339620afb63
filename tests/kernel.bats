#!/usr/bin/env bats
# guestimg kernel: profiles and fragments, the Kconfig audit against the real
# tree, the cached demo build, and every bad input. The real-tree tests use
# the shared cache, so only the first run on a machine builds the kernel.
load lib/common
load lib/guest

setup() {
    T=$BATS_TEST_TMPDIR
    # a private profile directory for tests that need their own fragments
    mkdir -p "$T/kc/profiles" "$T/kc/fragments"
}

# fragment NAME TEXT / profile NAME TEXT: write into the private configs dir
fragment() { printf '%s\n' "$2" > "$T/kc/fragments/$1.conf"; }
profile() { printf '%s\n' "$2" > "$T/kc/profiles/$1.list"; }

# A fake kernel tree: enough for guestimg to accept it, with a Makefile
# whose bzImage step does what $1 says (fail, or sleep).
fake_tree() {
    local tree=$T/tree
    mkdir -p "$tree/arch/x86" "$tree/scripts/kconfig"
    touch "$tree/Kconfig" "$tree/arch/x86/Kconfig" "$tree/scripts/kconfig/Makefile"
    cat > "$tree/Makefile" <<EOF
VERSION = 9
PATCHLEVEL = 9
SUBLEVEL = 9
EXTRAVERSION = -fake
tinyconfig:
	printf 'CONFIG_A=y\n' > \$(O)/.config
olddefconfig:
	@true
bzImage:
	$1
EOF
    fragment a 'CONFIG_A=y'
    profile fake $'base tinyconfig\nfragment a'
    echo "$tree"
}

@test "kernel: usage errors exit 2" {
    run "$GUESTIMG" kernel
    [ "$status" -eq 2 ]
    run "$GUESTIMG" kernel frobnicate
    assert_error 2 "^guestimg kernel: unknown subcommand 'frobnicate'"
    run "$GUESTIMG" kernel config --profile demo -o "$T/x"
    assert_error 2 "^guestimg kernel: --source, --profile and -o are required"
    run "$GUESTIMG" kernel build --source x --profile demo -o "$T/x" --jobs 0
    assert_error 2 "^guestimg kernel: --jobs '0' is not a number"
    run "$GUESTIMG" kernel build --source x --profile demo -o "$T/x" --epoch soon
    assert_error 2 "^guestimg kernel: --epoch 'soon' is not a number of seconds"
    run "$GUESTIMG" kernel --help
    [ "$status" -eq 0 ]
    [[ $output == *"guestimg kernel config"* ]]
}

@test "kernel: an unknown profile is one clear error" {
    run "$GUESTIMG" kernel config --source "$KERNEL_SOURCE" --profile nosuch -o "$T/.config"
    assert_error 1 "^guestimg: kernel profile 'nosuch' not found \(.*/kernel-configs/profiles/nosuch.list\)$"
    [ ! -e "$T/.config" ]
}

@test "kernel: a profile naming a missing fragment names the profile line" {
    fragment base 'CONFIG_A=y'
    profile p $'base tinyconfig\nfragment base\nfragment nosuch'
    run "$GUESTIMG" kernel config --source "$KERNEL_SOURCE" --profile "$T/kc/profiles/p.list" -o "$T/.config"
    assert_error 1 "^guestimg: .*/p.list:3: fragment 'nosuch' not found \(.*/fragments/nosuch.conf\)$"
    [ ! -e "$T/.config" ]
}

@test "kernel: a fragment line that is not a config assignment names file and line" {
    fragment bad $'# fine\nCONFIG_A=y\nCONFIG_B yes'
    profile p $'base tinyconfig\nfragment bad'
    run "$GUESTIMG" kernel config --source "$KERNEL_SOURCE" --profile "$T/kc/profiles/p.list" -o "$T/.config"
    assert_error 1 "^guestimg: bad.conf:3: not a config assignment .*'CONFIG_B yes'$"
    fragment bad $'CONFIG_A=maybe'
    run "$GUESTIMG" kernel config --source "$KERNEL_SOURCE" --profile "$T/kc/profiles/p.list" -o "$T/.config"
    assert_error 1 "^guestimg: bad.conf:1: CONFIG_A: invalid value 'maybe'"
}

@test "kernel: a required option no fragment asks for is an error" {
    fragment f 'CONFIG_A=y'
    profile p $'base tinyconfig\nfragment f\nrequire CONFIG_B'
    run "$GUESTIMG" kernel config --source "$KERNEL_SOURCE" --profile "$T/kc/profiles/p.list" -o "$T/.config"
    assert_error 1 "p.list: required CONFIG_B is not asked for by any of its fragments$"
}

@test "kernel: a tarball that is not a kernel tree is refused and leaves nothing in the cache" {
    mkdir -p "$T/notkernel/linux-9.9"
    echo 'all:' > "$T/notkernel/linux-9.9/Makefile"
    tar -C "$T/notkernel" -cJf "$T/notkernel.tar.xz" linux-9.9
    export XDG_CACHE_HOME=$T/cache
    run "$GUESTIMG" kernel config --source "$T/notkernel.tar.xz" --profile demo -o "$T/.config"
    assert_error 1 "^guestimg: .*/notkernel.tar.xz: not a Linux kernel source tree \(no Kconfig\)$"
    [ -z "$(find "$T/cache/guestimg/src" -mindepth 1 -type d)" ]
    # not an archive at all
    echo "hello" > "$T/text.tar.xz"
    run "$GUESTIMG" kernel config --source "$T/text.tar.xz" --profile demo -o "$T/.config"
    assert_error 1 "^guestimg: .*/text.tar.xz: cannot extract: "
    run "$GUESTIMG" kernel config --source "$T/absent.tar.xz" --profile demo -o "$T/.config"
    assert_error 1 "^guestimg: .*/absent.tar.xz: cannot open kernel source: No such file or directory$"
    [ ! -e "$T/.config" ]
}

@test "kernel: a tarball entry escaping the tree is refused" {
    /usr/bin/python3 - "$T/evil.tar.xz" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w:xz") as t:
    data = b"x\n"
    info = tarfile.TarInfo("linux/../../escaped")
    info.size = len(data)
    t.addfile(info, io.BytesIO(data))
EOF
    export XDG_CACHE_HOME=$T/cache
    run "$GUESTIMG" kernel config --source "$T/evil.tar.xz" --profile demo -o "$T/.config"
    assert_error 1 "would be written outside the tree$"
    [ ! -e "$T/cache/escaped" ] && [ ! -e "$T/escaped" ]
}

@test "kernel: a source tree that is not clean is refused" {
    tree=$(fake_tree 'true')
    touch "$tree/.config"
    run "$GUESTIMG" kernel config --source "$tree" --profile "$T/kc/profiles/fake.list" -o "$T/.config"
    assert_error 1 "^guestimg: .*/tree: the kernel tree is not clean"
    rm "$tree/arch/x86/Kconfig"
    run "$GUESTIMG" kernel config --source "$tree" --profile "$T/kc/profiles/fake.list" -o "$T/.config"
    assert_error 1 "^guestimg: .*/tree: not a Linux kernel source tree \(no arch/x86/Kconfig\)$"
}

@test "kernel: a failed build names its log and leaves no kernel in the cache" {
    tree=$(fake_tree '@echo "fake/thing.c:1: error: this tree cannot build a kernel"; exit 2')
    export XDG_CACHE_HOME=$T/cache
    run "$GUESTIMG" kernel build --source "$tree" --profile "$T/kc/profiles/fake.list" -o "$T/out"
    assert_error 1 "^guestimg: kernel build: make bzImage failed \(exit status 2\): fake/thing.c:1: error: this tree cannot build a kernel; full log: (.*\.log)$"
    log=${BASH_REMATCH[1]}
    grep -q "this tree cannot build" "$log"
    # no entry, no temporary build tree, no output
    [ -z "$(find "$T/cache/guestimg/kernel" -mindepth 1 -maxdepth 1 -type d)" ]
    [ ! -e "$T/out/bzImage" ]
}

@test "kernel: an interrupted build leaves no kernel and no temporary tree in the cache" {
    # make's shell keeps creating files in the temporary tree (as compilers
    # write objects) until it is killed: the cleanup must outlast them all
    tree=$(fake_tree 'for i in $$(seq 1000000); do : > $(O)/f$$i; done; sleep 120')
    export XDG_CACHE_HOME=$T/cache
    "$GUESTIMG" kernel build --source "$tree" --profile "$T/kc/profiles/fake.list" -o "$T/out" 2>"$T/err" 3>&- &
    pid=$!
    # wait until make runs in its temporary build tree (generously: a
    # sanitizer build on a loaded machine is slow to get there)
    for _ in $(seq 900); do
        compgen -G "$T/cache/guestimg/kernel/*.log" >/dev/null &&
            compgen -G "$T/cache/guestimg/kernel/*.tmp-*/obj/f100" >/dev/null && break
        sleep 0.1
    done
    compgen -G "$T/cache/guestimg/kernel/*.tmp-*/obj/f100" >/dev/null
    kill -INT "$pid"
    # not `run wait`: run's subshell cannot wait for this shell's child, and
    # the check below would race the cleanup
    rc=0
    wait "$pid" || rc=$?
    [ "$rc" -eq 130 ]
    assert_equal "$(cat "$T/err")" "guestimg: interrupted by SIGINT: no kernel was added to the cache, $T/out was not written"
    [ -z "$(find "$T/cache/guestimg/kernel" -mindepth 1 -maxdepth 1 -type d)" ]
    [ ! -e "$T/out" ]
}

@test "kernel config: a dropped option is a warning naming the fragment line and the unmet dependency" {
    require_kernel_source
    # IPC namespaces need System V IPC (or POSIX message queues), which tinyconfig leaves out
    fragment ns $'# namespaces\nCONFIG_MULTIUSER=y\nCONFIG_NAMESPACES=y\nCONFIG_IPC_NS=y'
    profile p $'base tinyconfig\nfragment ns'
    run "$GUESTIMG" kernel config --source "$KERNEL_SOURCE" --profile "$T/kc/profiles/p.list" -o "$T/.config"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 1 ]
    assert_equal "${lines[0]}" "guestimg: warning: ns.conf:4: CONFIG_IPC_NS=y did not get its value (result: not set): depends on (SYSVIPC || POSIX_MQUEUE) [SYSVIPC=n, POSIX_MQUEUE=n]"
    grep -qx 'CONFIG_NAMESPACES=y' "$T/.config"
    grep -qx '# CONFIG_IPC_NS is not set' "$T/.config" || ! grep -q '^CONFIG_IPC_NS=' "$T/.config"
}

@test "kernel config: a dropped required option is an error and writes nothing" {
    require_kernel_source
    fragment ns $'CONFIG_MULTIUSER=y\nCONFIG_NAMESPACES=y\nCONFIG_IPC_NS=y'
    profile p $'base tinyconfig\nfragment ns\nrequire CONFIG_IPC_NS'
    run "$GUESTIMG" kernel config --source "$KERNEL_SOURCE" --profile "$T/kc/profiles/p.list" -o "$T/.config"
    assert_error 1 "^guestimg: profile p: ns.conf:3: required CONFIG_IPC_NS=y did not get its value \(result: not set\): depends on \(SYSVIPC \|\| POSIX_MQUEUE\) \[SYSVIPC=n, POSIX_MQUEUE=n\]$"
    [ ! -e "$T/.config" ]
}

@test "kernel config: an option selected by another is reported with its selector" {
    require_kernel_source
    # the SEV guest driver selects the crypto API
    fragment sev $'CONFIG_AMD_MEM_ENCRYPT=y\nCONFIG_VIRT_DRIVERS=y\nCONFIG_SEV_GUEST=y\n# CONFIG_CRYPTO is not set\nCONFIG_NO_SUCH_OPTION=y'
    profile p $'base tinyconfig\nfragment sev'
    run "$GUESTIMG" kernel config --source "$KERNEL_SOURCE" --profile "$T/kc/profiles/p.list" -o "$T/.config"
    [ "$status" -eq 0 ]
    [[ $output == *"sev.conf:4: CONFIG_CRYPTO=n did not get its value (result: CONFIG_CRYPTO=y): selected by "*"SEV_GUEST=y"* ]]
    [[ $output == *"sev.conf:5: CONFIG_NO_SUCH_OPTION=y did not get its value (result: not set): this kernel's Kconfig has no such option"* ]]
}

@test "kernel config: the demo profile gets every value its fragments ask for" {
    require_kernel_source
    run "$GUESTIMG" kernel config --source "$KERNEL_SOURCE" --profile demo -o "$T/demo.config"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    for opt in DM_VERITY DM_INIT VIRTIO_BLK EXT4_FS SERIAL_8250_CONSOLE AMD_MEM_ENCRYPT SEV_GUEST EFI_STUB; do
        grep -qx "CONFIG_$opt=y" "$T/demo.config"
    done
    grep -qx '# CONFIG_MODULES is not set' "$T/demo.config"
}

@test "kernel build: the demo kernel is built (or found in the cache) with its config, and identifies itself" {
    require_kernel_source
    run "$GUESTIMG" kernel build -q --source "$KERNEL_SOURCE" --profile demo -o "$T/out"
    [ "$status" -eq 0 ]
    assert_equal "${lines[0]}" "$(cd "$T/out" && sha256sum bzImage | sed "s|  bzImage|  $T/out/bzImage|")"
    [ "${#lines[@]}" -eq 3 ]
    run "$GUESTIMG" kernel inspect "$T/out/bzImage"
    [ "$status" -eq 0 ]
    # the fixed build user, host, version and the epoch (0) in the version string
    [[ $output == *": bzImage, boot protocol 2."*", version 6.1."*" (guestimg@guestimg) #1 "*"Thu Jan  1 00:00:00 UTC 1970" ]]
    run "$GUESTIMG" kernel inspect "$T/out/vmlinux"
    assert_equal "$output" "$T/out/vmlinux: ELF x86-64 vmlinux"
    "$GUESTIMG" kernel config -q --source "$KERNEL_SOURCE" --profile demo -o "$T/demo.config"
    cmp "$T/demo.config" "$T/out/kernel.config"
}

@test "kernel build: a second build comes from the cache with the same bytes" {
    require_kernel_source
    "$GUESTIMG" kernel build -q --source "$KERNEL_SOURCE" --profile demo -o "$T/a" >/dev/null
    run "$GUESTIMG" kernel build --json --source "$KERNEL_SOURCE" --profile demo -o "$T/b"
    [ "$status" -eq 0 ]
    [[ ${lines[0]} == "guestimg: kernel: linux-6.1."*", profile demo: cached build "*/guestimg/kernel/* ]]
    json=$(printf '%s\n' "${lines[@]:1}")
    assert_equal "$(jq -r .bzimage_sha256 <<<"$json")" "$(sha256sum < "$T/b/bzImage" | cut -d' ' -f1)"
    assert_equal "$(jq -r .vmlinux_sha256 <<<"$json")" "$(sha256sum < "$T/b/vmlinux" | cut -d' ' -f1)"
    assert_equal "$(jq -r .source_sha256 <<<"$json")" "$(sha256sum < "$KERNEL_SOURCE" | cut -d' ' -f1)"
    cmp "$T/a/bzImage" "$T/b/bzImage"
    cmp "$T/a/vmlinux" "$T/b/vmlinux"
}

@test "kernel inspect: a file that is not a kernel is one clear error" {
    echo "not a kernel" > "$T/junk"
    run "$GUESTIMG" kernel inspect "$T/junk"
    assert_error 1 "^guestimg: .*/junk: not an x86 kernel image \(no bzImage setup header, not an ELF vmlinux\)$"
    run "$GUESTIMG" kernel inspect "$T/absent"
    assert_error 1 "^guestimg: .*/absent: cannot open: No such file or directory$"
}
