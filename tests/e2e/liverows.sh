#!/usr/bin/env bash
# Live health rows as their buckets close: two network namespaces joined by a
# veth pair, a client making real Linux TCP connections for several seconds
# (established with data, refused), and tcpshake -i on the client's end with
# --by server --bucket 1s --handshake-timeout 1 --stats-interval 1 -o json -w.
# tests/e2e/liverows.py starts it, stamps each line of its standard output and
# standard error with the time it arrived, runs the traffic, then stops it
# with SIGINT and checks:
#   - rows of the first buckets arrive while the traffic still runs, and the
#     last ones while the link is idle before SIGINT (wall clock), each no
#     earlier than its bucket's end plus the handshake timeout and within a
#     generous margin after it; the trailer counts every row;
#   - the rows' counts equal the records of a second pass over the -w capture
#     of the same traffic, group by group and bucket by bucket, and the rows
#     that pass writes at its end (-r);
#   - --stats-interval objects (JSON, led by "interval") arrive while the
#     traffic runs, and together count every handshake of the records.
#
# Needs root (namespaces, capture), ip and python3; otherwise fails under CI
# and says "skipped" elsewhere (tests/need.sh). Everything lives in namespaces
# created here with a random suffix, removed on exit, failure included.
#
# usage: tests/e2e/liverows.sh CLI       prints "liverows: N passed, M failed"
set -u
cli=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../need.sh"
. "$here/netns.sh"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; }

needs_root liverows
needs liverows ip python3

sfx=$(printf '%04x' $((RANDOM % 65536)))
net=$((RANDOM % 200 + 20))
nsc=tshr-c-$sfx
nss=tshr-s-$sfx
vc=tshrc$sfx
vs=tshrs$sfx
c4=10.202.$net.1
s4=10.202.$net.2
tmp=$(mktemp -d)
server=

cleanup() {
    [ -n "$server" ] && kill -KILL "$server" 2>/dev/null
    ip netns del "$nsc" 2>/dev/null
    ip netns del "$nss" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if ! { netns_pair "$nsc" "$nss" "$vc" "$vs" &&
    ip -n "$nsc" addr add "$c4/24" dev "$vc" &&
    ip -n "$nss" addr add "$s4/24" dev "$vs"; } 2>"$tmp/setup"; then
    cannot_run liverows "cannot create network namespaces: $(head -1 "$tmp/setup")"
fi

# Port 8080 answers one line per connection; 8081 has no listener (refused).
ip netns exec "$nss" python3 "$here/../tools/pong_server.py" 8080 "$tmp/ready" 30 &
server=$!
wait_until test -e "$tmp/ready" || not_ok "pong server did not start"

if python3 "$here/liverows.py" "$cli" "$nsc" "$vc" "$s4" "$tmp" >"$tmp/check" 2>&1; then
    ok
else
    not_ok "live rows:"
    cat "$tmp/check"
fi
grep '^liverows ' "$tmp/check"

kill "$server" 2>/dev/null
wait "$server" 2>/dev/null
server=

echo "liverows: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
