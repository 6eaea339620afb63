#!/usr/bin/env bats
# The tree reads as the pipeline (docs/architecture.md): the Makefile's
# COMPONENTS list is the include order, checked by tests/lib/layout.py over
# every #include of the sources, and over a small tree with each breach.
load lib/common

setup() {
    T=$BATS_TEST_TMPDIR
}

@test "layout: every include of the sources follows the Makefile's component order" {
    run /usr/bin/python3 "$ROOT/tests/lib/layout.py" "$ROOT"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ $output == *"layout: 9 components, 0 breaches"* ]]
}

# A tree of three components: release, builder/fs, common.
fake_tree() {
    mkdir -p "$T/t/release" "$T/t/builder/fs" "$T/t/common" "$T/t/cli"
    printf 'COMPONENTS := release \\\n              builder/fs common\n' >"$T/t/Makefile"
    for d in release builder/fs common; do echo "# $d" >"$T/t/$d/README.md"; done
    : >"$T/t/release/release.h"; : >"$T/t/builder/fs/tree.h"; : >"$T/t/common/err.h"
    : >"$T/t/builder/fs/internal.h"; : >"$T/t/cli/cli.h"
    printf '#include "builder/fs/tree.h"\n#include "common/err.h"\n' >"$T/t/release/build.c"
    printf '#include "common/err.h"\n#include "builder/fs/internal.h"\n' >"$T/t/builder/fs/tree.c"
}

@test "layout: the fake tree passes as made" {
    fake_tree
    run /usr/bin/python3 "$ROOT/tests/lib/layout.py" "$T/t"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ $output == *"3 components, 0 breaches"* ]]
}

@test "layout: a stage that includes release/ or cli/ is named" {
    fake_tree
    printf '#include "release/release.h"\n#include "cli/cli.h"\n' >>"$T/t/builder/fs/tree.c"
    run /usr/bin/python3 "$ROOT/tests/lib/layout.py" "$T/t"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ $output == *"builder/fs/tree.c:3: includes release/release.h: builder/fs may include only common"* ]]
    [[ $output == *"builder/fs/tree.c:4: includes cli/cli.h: builder/fs may include only common"* ]]
}

@test "layout: another directory's internal header, a missing header, a missing README are named" {
    fake_tree
    printf '#include "builder/fs/internal.h"\n#include "common/gone.h"\n' >>"$T/t/release/build.c"
    rm "$T/t/common/README.md"
    run /usr/bin/python3 "$ROOT/tests/lib/layout.py" "$T/t"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ $output == *"release/build.c:3: includes builder/fs/internal.h, another directory's internal header"* ]]
    [[ $output == *"release/build.c:4: includes common/gone.h, which does not exist"* ]]
    [[ $output == *"layout: common: no README.md"* ]]
    [[ $output == *"3 breaches"* ]]
}
