#!/usr/bin/env bash
# End-to-end tests of "tcpshake probe" (active probing).
#
# Usage errors are checked everywhere. The rest needs root: two network
# namespaces joined by a veth pair (10.202.0.1/24 - 10.202.0.2/24 and
# fd21::1/64 - fd21::2/64), and in the server namespace:
#   port 8001  a python3 listener          -> open
#   port 8002  nothing                     -> closed (RST)
#   port 8003  nft drop                    -> filtered
#   port 8004  nft reject, port unreachable -> unreachable (ICMP 3/3, ICMPv6 1/4)
#   9000-9299  nft drop                    -> filtered (the open-file limit cases)
# The client namespace probes each in connect mode and --syn mode, over IPv4
# and IPv6, and checks states, ICMP type and code, exit codes and that open
# ports have latencies. Everything is removed on exit, also on failure.
# Without root, ip, nft, setpriv or python3 the rest fails under CI and is
# "skipped" elsewhere (tests/need.sh).
#
# usage: tests/e2e/probe.sh CLI      prints "probe: N passed, M failed"
set -u
cli=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../need.sh"
. "$here/netns.sh"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; }
summary() {
    echo "probe: $pass passed, $fail failed"
    [ $fail -eq 0 ]
}

tmp=$(mktemp -d)
suffix=$(printf '%04x%04x' $RANDOM $RANDOM)
cns=tsp-c-$suffix
sns=tsp-s-$suffix
listener=
cleanup() {
    [ -n "$listener" ] && kill "$listener" 2>/dev/null
    ip netns del "$cns" 2>/dev/null
    ip netns del "$sns" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# expect_usage ARGS...: exit 2 and one "tcpshake: probe" line on stderr.
expect_usage() {
    "$cli" probe "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q '^tcpshake: probe' "$tmp/err"; then
        ok
    else
        not_ok "probe $*: want exit 2 and one error line, got $rc: $(head -c 200 "$tmp/err")"
    fi
}

expect_usage 127.0.0.1 -p 0
expect_usage 127.0.0.1 -p 65536
expect_usage 127.0.0.1 -p 80,
expect_usage 127.0.0.1 -p 90-80
expect_usage 127.0.0.1 -p x
expect_usage 127.0.0.1 -c 0
expect_usage 127.0.0.1 --timeout 0
expect_usage 127.0.0.1 --parallel 5000
expect_usage 127.0.0.1 --rate abc
expect_usage 127.0.0.1 -o xml
expect_usage 127.0.0.1 --bogus
expect_usage
expect_usage a b
expect_usage 127.0.0.1 -p 1-65535 -c 100
if "$cli" probe --help | grep -q 'usage: tcpshake probe HOST'; then ok; else not_ok "probe --help"; fi

# The usage checks above need nothing; the rest does.
if [ $fail -ne 0 ]; then
    summary
    exit
fi
echo "probe: usage: $pass passed"
needs_root probe
needs probe ip nft setpriv python3

# Without CAP_NET_RAW, --syn says so in one line and exits 1. Root without any
# capability (not another user: the CLI may sit in a directory only root can enter).
setpriv --inh-caps=-all --bounding-set=-all \
    "$cli" probe 127.0.0.1 -p 1 --syn >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && [ "$(cat "$tmp/err")" = "tcpshake: probe --syn: needs root or CAP_NET_RAW" ]; then
    ok
else
    not_ok "--syn without privilege: exit $rc, stderr: $(head -c 200 "$tmp/err")"
fi

setup() {
    netns_pair "$cns" "$sns" "tspa$suffix" "tspb$suffix" || return 1
    ip -n "$cns" addr add 10.202.0.1/24 dev "tspa$suffix" &&
        ip -n "$sns" addr add 10.202.0.2/24 dev "tspb$suffix" || return 1
    ip -n "$cns" addr add fd21::1/64 dev "tspa$suffix" nodad &&
        ip -n "$sns" addr add fd21::2/64 dev "tspb$suffix" nodad || return 1
    ip netns exec "$sns" nft -f - <<'EOF' || return 1
table inet tcpshake_probe {
    chain input {
        type filter hook input priority 0; policy accept;
        tcp dport 8003 drop
        tcp dport 9000-9299 drop
        tcp dport 8004 reject with icmpx type port-unreachable
    }
}
EOF
    ip netns exec "$sns" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 8001))
s.listen(128)
open(sys.argv[1], "w").close()
s.settimeout(60)
while True:
    try:
        c, _ = s.accept()
        c.close()
    except socket.timeout:
        break
' "$tmp/ready" &
    listener=$!
    wait_until test -e "$tmp/ready"
}

if ! setup >"$tmp/setup" 2>&1; then
    not_ok "namespace setup failed: $(head -c 300 "$tmp/setup")"
    summary
    exit
fi

# check_states ADDR ICMP_TYPE ICMP_CODE ARGS...: the four ports, one attempt each.
check_states() {
    local addr=$1 itype=$2 icode=$3
    shift 3
    local what="probe $addr $*"
    ip netns exec "$cns" "$cli" probe "$addr" -p 8001-8004 --timeout 1 -o json "$@" \
        >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ $rc -ne 1 ] || [ -s "$tmp/err" ]; then
        not_ok "$what: want exit 1 and no error, got $rc: $(head -c 200 "$tmp/err")"
        return
    fi
    if python3 - "$tmp/out" "$itype" "$icode" >"$tmp/why" 2>&1 <<'EOF'; then ok; else not_ok "$what: $(cat "$tmp/why")"; fi
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
itype, icode = int(sys.argv[2]), int(sys.argv[3])
att = {r["port"]: r for r in rows if r["type"] == "attempt"}
summ = {r["port"]: r for r in rows if r["type"] == "summary"}
want = {8001: "open", 8002: "closed", 8003: "filtered", 8004: "unreachable"}
bad = []
for port, state in want.items():
    if port not in att or port not in summ:
        bad.append("%d: missing rows" % port)
        continue
    a, s = att[port], summ[port]
    if a["state"] != state or s["state"] != state:
        bad.append("%d: attempt %s, summary %s, want %s" % (port, a["state"], s["state"], state))
if not bad:
    if not (att[8001]["rtt_ns"] and att[8001]["rtt_ns"] > 0 and summ[8001]["median_ns"]):
        bad.append("8001: no latency")
    if att[8003]["rtt_ns"] is not None:
        bad.append("8003: filtered with a latency")
    u = att[8004]
    if (u["icmp_type"], u["icmp_code"]) != (itype, icode):
        bad.append("8004: icmp %s/%s, want %d/%d" % (u["icmp_type"], u["icmp_code"], itype, icode))
    if summ[8001]["loss_pct"] != 0 or summ[8002]["loss_pct"] != 100:
        bad.append("loss_pct wrong")
if bad:
    print("; ".join(bad))
    sys.exit(1)
EOF
}

# check_open ADDR ARGS...: three attempts on the open port: exit 0, statistics present.
check_open() {
    local addr=$1
    shift
    ip netns exec "$cns" "$cli" probe "$addr" -p 8001 -c 3 -i 0.05 --timeout 1 -o csv "$@" \
        >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ $rc -eq 0 ] && [ "$(grep -c '^attempt,.*,open,' "$tmp/out")" -eq 3 ] &&
        grep -Eq '^summary,.*,open,,,,,,3,3,0,0,0,0\.0,[0-9]+,[0-9]+,[0-9]+,[0-9]+,[0-9]+$' "$tmp/out"; then
        ok
    else
        not_ok "probe $addr -p 8001 -c 3 $*: exit $rc: $(head -c 300 "$tmp/out") $(head -c 200 "$tmp/err")"
    fi
}

for mode in "" --syn; do
    check_states 10.202.0.2 3 3 $mode
    check_states fd21::2 1 4 $mode
    check_open 10.202.0.2 $mode
    check_open fd21::2 $mode
done

# More attempts in flight than the open-file limit allows (each holds a socket):
# --parallel is lowered below the limit, said once on stderr, and every attempt is
# still made and printed (300 filtered attempts, 300 summaries). With 30 more
# descriptors taken, socket() still runs out: the prober waits for the attempts in
# flight and goes on with that many, and says so.
fd_limit() {
    local extra=$1
    (
        ulimit -n 64
        for ((fd = 20; fd < 20 + extra; fd++)); do eval "exec $fd</dev/null"; done
        exec ip netns exec "$cns" "$cli" probe 10.202.0.2 -p 9000-9299 --parallel 256 \
            --rate 100000 --timeout 0.3 -o csv
    ) >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    local n_att n_sum
    n_att=$(grep -c '^attempt,.*,filtered,' "$tmp/out")
    n_sum=$(grep -c '^summary,.*,filtered,' "$tmp/out")
    if [ $rc -eq 1 ] && [ "$n_att" = 300 ] && [ "$n_sum" = 300 ] && [ "$(wc -l <"$tmp/err")" -eq "$2" ] &&
        grep -qx 'tcpshake: probe: --parallel 256: at most 48 attempts in flight, for the open-file limit of 64 (ulimit -n)' "$tmp/err" &&
        { [ "$2" = 1 ] || grep -Eqx 'tcpshake: probe: out of file descriptors: went on with at most [0-9]+ attempts in flight' "$tmp/err"; }; then
        ok
    else
        not_ok "ulimit -n 64, --parallel 256, $extra fds taken: exit $rc, $n_att attempts, $n_sum summaries: $(head -c 300 "$tmp/err")"
    fi
}
fd_limit 0 1
fd_limit 30 2

# The table: a heading, attempt rows and a summary; -4 on a v6-only literal fails.
ip netns exec "$cns" "$cli" probe 10.202.0.2 -p 8001,8002 -o table >"$tmp/out" 2>"$tmp/err"
if [ $? -eq 1 ] && grep -q '^8001 .* open ' "$tmp/out" && grep -q '^8002 .*closed' "$tmp/out" &&
    grep -q '^PORT .*MEDIAN_MS' "$tmp/out"; then
    ok
else
    not_ok "table output: $(head -c 300 "$tmp/out")"
fi
ip netns exec "$cns" "$cli" probe fd21::2 -4 -p 8001 >"$tmp/out" 2>"$tmp/err"
if [ $? -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ]; then
    ok
else
    not_ok "-4 with an IPv6 address: want exit 1 and one error line"
fi

summary
