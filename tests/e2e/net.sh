#!/usr/bin/env bash
# End-to-end tests on real Linux stacks in network namespaces the suites create: live
# capture, probing, known delays through tests/tools/tap_relay, TLS from openssl,
# attacks, and Prometheus scraping a live capture. Several of them check delays to the
# millisecond, so `make check` runs this part alone, with nothing else on the cores
# (tests/e2e/run.sh has the suites on files, which may share them). They need root and
# tools (tests/need.sh): without them they fail when CI is set, and say "skipped"
# otherwise. Under a sanitizer (SANITIZED=1, make asan-net) the suites whose worth is the
# timing of a real stack, delay and attacks, are left to the plain build: their analysis
# runs on files under the sanitizer in the file suites, and the live path in the others.
# Live capture runs there on two threads only.
#
# usage: tests/e2e/net.sh CLI GEN_TRACE
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
# plain_only SUITE: true (and says so) when SUITE is left to the plain build.
plain_only() {
    [ "$sanitized" = 1 ] || return 1
    echo "$1: left to the plain build (sanitizer build)"
}

# Live capture, on one thread and on two.
threads_list=("" 2)
[ "$sanitized" = 1 ] && threads_list=(2)
for threads in "${threads_list[@]}"; do
    if LIVE_THREADS=$threads "$here/live.sh" "$cli" >"$tmp/live" 2>&1; then
        ok
    else
        not_ok "live suite${threads:+ (--threads $threads)}:"
        cat "$tmp/live"
    fi
    tail -1 "$tmp/live"
done

# Active probing between two network namespaces (needs root).
if "$here/probe.sh" "$cli" >"$tmp/probe" 2>&1; then ok; else not_ok "probe suite:"; grep -v '^probe:' "$tmp/probe"; fi
grep '^probe:' "$tmp/probe"

# Known delays through tests/tools/tap_relay: live capture and probe measure 80 ms (needs root).
if plain_only delay; then :; elif "$here/delay.sh" "$cli" >"$tmp/delay" 2>&1; then ok; else
    not_ok "delay suite:"
    grep -v '^delay:' "$tmp/delay"
fi
[ "$sanitized" = 1 ] || tail -1 "$tmp/delay"

# TLS from openssl s_server / s_client through the relay: negotiated values, alerts, and
# the TLS handshake's delays on the right side (needs root and openssl).
if "$here/tls.sh" "$cli" >"$tmp/tls" 2>&1; then ok; else not_ok "tls suite:"; grep -v '^tls:' "$tmp/tls"; fi
tail -1 "$tmp/tls"

# SYN flood, scans and a busy client between namespaces, then --detect (needs root).
if plain_only attacks; then :; elif "$here/attacks.sh" "$cli" >"$tmp/attacks" 2>&1; then ok; else
    not_ok "attacks suite:"
    grep -v '^attacks:' "$tmp/attacks"
fi
[ "$sanitized" = 1 ] || grep '^attacks:' "$tmp/attacks"

# Prometheus metrics: files against the records, a live capture scraped by a real
# Prometheus, the endpoint under abuse (needs root and prometheus).
if "$here/metrics.sh" "$cli" "$gen_trace" >"$tmp/metrics" 2>&1; then ok; else not_ok "metrics suite:"; grep -v '^metrics:' "$tmp/metrics"; fi
grep '^metrics:' "$tmp/metrics"

# Live --by --bucket rows as their buckets close, and --stats-interval -o json objects,
# while real connections run in network namespaces (needs root).
if "$here/liverows.sh" "$cli" >"$tmp/liverows" 2>&1; then ok; else not_ok "liverows suite:"; grep -v '^liverows:' "$tmp/liverows"; fi
grep '^liverows:' "$tmp/liverows"

echo "e2e-net: $pass passed, $fail failed"
[ $fail -eq 0 ]
