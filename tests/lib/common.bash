# Shared helpers for the bats tests. Load with: load lib/common
GUESTIMG=${GUESTIMG:-$BATS_TEST_DIRNAME/../build/guestimg}
ROOT=${GUESTIMG_ROOT:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)}
REF=${GUESTIMG_REFERENCE:-$ROOT/tests/fixtures/reference}

# The reference data lives in the tree: its absence is a failure, not a skip.
require_reference() {
    [ -d "$REF" ] || { echo "reference data missing at $REF (tests/fixtures/reference is part of the clone)" >&2; return 1; }
}

# Assert: the last `run` failed with status $1, printed exactly one line on
# stderr (bats merges it into $output), and that line matches regex $2.
assert_error() {
    local status_want=$1 pattern=$2
    if [ "$status" -ne "$status_want" ]; then
        echo "expected exit $status_want, got $status; output: $output" >&2
        return 1
    fi
    if [ "${#lines[@]}" -ne 1 ]; then
        echo "expected one line of output, got ${#lines[@]}: $output" >&2
        return 1
    fi
    if ! [[ ${lines[0]} =~ $pattern ]]; then
        echo "error line '${lines[0]}' does not match '$pattern'" >&2
        return 1
    fi
}

assert_equal() {
    if [ "$1" != "$2" ]; then
        printf 'expected: %s\n  actual: %s\n' "$2" "$1" >&2
        return 1
    fi
}

# ed25519_key PREFIX: a new Ed25519 private key PREFIX.pem and its public
# key PREFIX.pub (openssl).
ed25519_key() {
    openssl genpkey -algorithm ED25519 -out "$1.pem" 2>/dev/null &&
        openssl pkey -in "$1.pem" -pubout -out "$1.pub"
}
