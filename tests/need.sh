# need.sh - sourced by the test scripts: what a suite needs to run, declared in one
# form so that tests/deps_check.py can hold every declaration against the Debian
# packages `make check` installs (TEST_TOOLS in the Makefile).
#
# A suite that cannot run fails when the environment variable CI is set (to anything
# but the empty string): CI must never pass on a suite it did not run. Elsewhere (a
# developer's machine, not root, a tool missing) it says "skipped" and why, and exits 0.
#
#   needs SUITE CMD...   every CMD is on the PATH (name the commands literally, one
#                        word each: tests/deps_check.py reads these lines)
#   needs_root SUITE     running as root (network namespaces, live capture, raw sockets)
#   cannot_run SUITE WHY the suite cannot run here: "SUITE: skipped: WHY", exit 0, or
#                        under CI "not ok - SUITE cannot run: WHY" and
#                        "SUITE: 0 passed, 1 failed", exit 1
#   optional WHAT CMD... one part of a suite needs CMD (see below)

cannot_run() {
    if [ -n "${CI:-}" ]; then
        echo "not ok - $1 cannot run: $2 (CI is set, so this is a failure)"
        echo "$1: 0 passed, 1 failed"
        exit 1
    fi
    echo "$1: skipped: $2"
    exit 0
}

needs() {
    local suite=$1 cmd
    shift
    for cmd in "$@"; do
        command -v "$cmd" >/dev/null ||
            cannot_run "$suite" "$cmd not found (make test-deps installs it)"
    done
}

needs_root() {
    [ "$(id -u)" = 0 ] || cannot_run "$1" "needs root"
}

# optional WHAT CMD...: for one part of a suite. 0 when every CMD is on the PATH.
# Otherwise 1, after "WHAT: skipped: CMD not found", or under CI after the caller's
# not_ok (so the part counts as failed).
optional() {
    local what=$1 cmd
    shift
    for cmd in "$@"; do
        command -v "$cmd" >/dev/null && continue
        if [ -n "${CI:-}" ]; then
            not_ok "$what: $cmd not found (make test-deps installs it; CI is set)"
        else
            echo "$what: skipped: $cmd not found (make test-deps installs it)"
        fi
        return 1
    done
}
