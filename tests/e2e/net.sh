#!/usr/bin/env bash
# End-to-end tests on real Linux stacks in network namespaces the suites create: live
# capture, probing, known delays through tests/tools/tap_relay, TLS from openssl,
# attacks, Prometheus scraping a live capture, live health rows. They need root and tools
# (tests/need.sh): without them they fail when CI is set, and say "skipped" otherwise.
# The delay suite checks delays to the millisecond: `make check` runs it alone, with
# nothing else on the cores (NET_PART=delay), and the others beside the suites on files
# (NET_PART=rest); they check what a busy machine does not move. Under a sanitizer
# (SANITIZED=1, make asan-net) the suites whose worth is the timing of a real stack,
# delay and attacks, are left to the plain build: their analysis runs on files under the
# sanitizer in the file suites, and the live path in the others. Live capture runs there
# on two threads only.
#
# usage: [NET_PART=all|delay|rest] tests/e2e/net.sh CLI GEN_TRACE
set -u
cli=$1
gen_trace=$2
here=$(cd "$(dirname "$0")" && pwd)
pass=0
fail=0

ok() { pass=$((pass + 1)); }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sanitized=${SANITIZED:-0}
part=${NET_PART:-all}

# suite NAME COMMAND...: run one suite when it belongs to the part asked for (and, under a
# sanitizer, is not one left to the plain build); its lines that start with NAME are its
# summary, the others say what failed.
suite() {
    local name=$1
    shift
    case $part in
    delay) [ "$name" = delay ] || return 0 ;;
    rest) [ "$name" != delay ] || return 0 ;;
    esac
    if [ "$sanitized" = 1 ] && { [ "$name" = delay ] || [ "$name" = attacks ]; }; then
        echo "$name: left to the plain build (sanitizer build)"
        return 0
    fi
    if "$@" >"$tmp/out" 2>&1; then
        ok
    else
        not_ok "$name suite:"
        grep -v "^$name" "$tmp/out"
    fi
    grep "^$name" "$tmp/out"
}

# Live capture, on one thread and on two.
threads_list=("" 2)
[ "$sanitized" = 1 ] && threads_list=(2)
for threads in "${threads_list[@]}"; do
    suite live env LIVE_THREADS="$threads" "$here/live.sh" "$cli"
done
# Active probing between two network namespaces.
suite probe "$here/probe.sh" "$cli"
# Known delays through tests/tools/tap_relay: live capture and probe measure 80 ms.
suite delay "$here/delay.sh" "$cli"
# TLS from openssl s_server / s_client through the relay: negotiated values, alerts, and
# the TLS handshake's delays on the right side.
suite tls "$here/tls.sh" "$cli"
# SYN flood, scans and a busy client between namespaces, then --detect.
suite attacks "$here/attacks.sh" "$cli"
# Prometheus metrics: files against the records, a live capture scraped by a real
# Prometheus, the endpoint under abuse.
suite metrics "$here/metrics.sh" "$cli" "$gen_trace"
# Live --by --bucket rows as their buckets close, and --stats-interval -o json objects.
suite liverows "$here/liverows.sh" "$cli"

echo "e2e-net: $pass passed, $fail failed"
[ $fail -eq 0 ]
