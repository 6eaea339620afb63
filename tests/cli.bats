#!/usr/bin/env bats
# The command dispatcher: help, version, unknown commands.
load lib/common

@test "guestimg --help lists the commands" {
    run "$GUESTIMG" --help
    [ "$status" -eq 0 ]
    [[ $output == *"commands:"* ]]
}

@test "guestimg --version prints the version from VERSION" {
    run "$GUESTIMG" --version
    [ "$status" -eq 0 ]
    assert_equal "$output" "guestimg $(cat "$ROOT/VERSION")"
}

@test "an unknown command is a usage error naming it" {
    run "$GUESTIMG" frobnicate
    assert_error 2 "^guestimg: 'frobnicate' is not a guestimg command"
}

@test "no command at all is a usage error" {
    run "$GUESTIMG"
    [ "$status" -eq 2 ]
}
