#!/usr/bin/env bash
# Known delays end to end: are the latencies tcpshake measures the ones on the wire?
#
# The kernel here has no sch_netem, so two network namespaces are joined through
# tests/tools/tap_relay (built with gcc into a temporary directory), which holds
# each frame from the client 10 ms then 30 ms, and each frame from the server
# 30 ms then 10 ms. Seen from the client's tap a handshake round trip is thus
# 2 x 10 + 2 x 30 = 80 ms. Client 10.204.0.1/24, fd22::1/64; server 10.204.0.2/24,
# fd22::2/64; in the server namespace a python3 listener on port 8090 answers one
# line per connection, port 8091 has nothing (refused).
#
#   live:  tcpshake -i on the client's tap (--events all) while a few real
#          connections (IPv4 and IPv6, a small request and response) go to 8090
#          and one to 8091; after SIGINT: established records have server_side_ns
#          80 ms +- 10 and client_side_ns < 5 ms, the refused record's RST comes
#          80 ms +- 10 after its SYN;
#   probe: tcpshake probe -p 8090,8091 -c 3 (connect and --syn modes): 8090 open
#          with min and median 80 ms +- 10, 8091 closed, its RST after 80 ms +- 10.
#
# Needs root, gcc, ip, sysctl and python3; otherwise fails under CI and says
# "skipped" elsewhere (tests/need.sh).
# Traffic stays inside the namespaces created here (random suffix); they, the
# relay, its taps and the temporary files are removed on exit, failure included.
# Takes about 6 seconds.
#
# usage: tests/e2e/delay.sh CLI      prints "delay: N passed, M failed"
set -u
cli=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../need.sh"
. "$here/netns.sh"
. "$here/relay.sh"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; }
summary() {
    echo "delay: $pass passed, $fail failed"
    [ $fail -eq 0 ]
}

needs_root delay
needs delay gcc ip sysctl python3

sfx=$(printf '%04x' $((RANDOM % 65536)))
nsc=tsd-c-$sfx
nss=tsd-s-$sfx
tapc=tsdc$sfx
taps=tsds$sfx
c4=10.204.0.1
s4=10.204.0.2
c6=fd22::1
s6=fd22::2
open_port=8090
closed_port=8091
tmp=$(mktemp -d)
server=
pid=

cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    [ -n "$server" ] && kill -KILL "$server" 2>/dev/null
    relay_cleanup
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

setup() {
    relay_setup "$tmp/relay.pcap" || return 1
    ip netns exec "$nss" python3 "$here/../tools/pong_server.py" "$open_port" "$tmp/ready" &
    server=$!
    wait_until test -e "$tmp/ready"
}

if ! setup >"$tmp/setup" 2>&1; then
    not_ok "namespace and relay setup failed: $(head -c 300 "$tmp/setup")"
    summary
    exit
fi

# Source ports: warm-ups below 50000 (not checked), the measured connections 50000 and up.
ip netns exec "$nsc" sysctl -qw net.ipv4.ip_local_port_range="50000 60999"
# The link is up when one connection goes through (the relay may start slowly under load).
up=0
for i in $(seq 0 39); do
    if ip netns exec "$nsc" python3 -c '
import socket, sys
s = socket.socket()
s.settimeout(1)
s.bind(("", 39000 + int(sys.argv[3])))
s.connect((sys.argv[1], int(sys.argv[2])))
s.sendall(b"ping\n"); s.recv(100); s.close()' "$s4" "$open_port" "$i" 2>/dev/null; then
        up=1
        break
    fi
    sleep 0.2
done
if [ $up = 0 ]; then
    not_ok "no connection through the relay in 40 tries: $(head -c 300 "$tmp/relay.log")"
    summary
    exit
fi

# --- live capture on the client's tap --------------------------------------
ip netns exec "$nsc" "$cli" -i "$tapc" -o json --events all tcp >"$tmp/live" 2>"$tmp/live.err" &
pid=$!
# The capture is open once a warm-up connection shows up in its output. Warm-ups come
# from source ports 40000 and up, outside the namespace's ephemeral range, and are not
# checked (the first one may be caught half way).
seen=0
for i in $(seq 0 39); do
    ip netns exec "$nsc" python3 -c '
import socket, sys
s = socket.socket()
s.settimeout(1)
s.bind(("", 40000 + int(sys.argv[3])))
s.connect((sys.argv[1], int(sys.argv[2])))
s.sendall(b"ping\n"); s.recv(100); s.close()' "$s4" "$open_port" "$i" 2>/dev/null
    sleep 0.1
    if grep -q '"event":"handshake"' "$tmp/live"; then
        seen=1
        break
    fi
    kill -0 "$pid" 2>/dev/null || break
done
if [ $seen = 1 ]; then ok; else not_ok "tcpshake -i saw no warm-up connection: $(head -c 300 "$tmp/live.err")"; fi
ip netns exec "$nsc" python3 - "$s4" "$s6" "$open_port" "$closed_port" "$tmp/live" <<'EOF' >"$tmp/conn" 2>&1
import socket, sys, time
s4, s6, op, cp, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
def conn(host, port, data):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect((host, port))
        if data:
            s.sendall(b"ping\n")
            s.recv(100)
        return "ok"
    except OSError as e:
        return e.__class__.__name__
    finally:
        s.close()
for host in (s4, s4, s4, s6, s6):
    r = conn(host, op, True)
    if r != "ok":
        print(f"{host}:{op}: {r}")
    time.sleep(0.1)
for host in (s4, s6):
    r = conn(host, cp, False)
    if r != "ConnectionRefusedError":
        print(f"{host}:{cp}: {r}, want ConnectionRefusedError")
time.sleep(0.5)
EOF
if [ -s "$tmp/conn" ]; then not_ok "client connections: $(head -c 300 "$tmp/conn")"; else ok; fi

kill -INT "$pid" 2>/dev/null
if ! wait_until gone "$pid"; then
    not_ok "tcpshake -i still running 5 s after SIGINT"
    kill -KILL "$pid"
fi
wait "$pid"
rc=$?
pid=
if [ $rc -eq 0 ]; then ok; else not_ok "tcpshake -i: exit $rc after SIGINT: $(head -3 "$tmp/live.err")"; fi

# Established: server_side 80 ms +- 10, client_side < 5 ms; refused: the RST 80 ms +- 10 after the SYN.
if python3 - "$tmp/live" "$c4" "$c6" "$open_port" "$closed_port" >"$tmp/why" 2>&1 <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
c4, c6, op, cp = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
ms = lambda ns: ns / 1e6
bad, seen = [], []
closes = [r for r in recs if r["event"] == "close"]
for fam, client, want_est in (("v4", c4, 3), ("v6", c6, 2)):
    mine = [r for r in closes if r["client"]["addr"] == client and r["client"]["port"] >= 50000]
    est = [r for r in mine if r["server"]["port"] == op]
    ref = [r for r in mine if r["server"]["port"] == cp]
    if [r["outcome"] for r in est] != ["established"] * want_est:
        bad.append(f"{fam} port {op}: outcomes {[r['outcome'] for r in est]}, want {want_est} established")
    for r in est:
        ss, cs = r["server_side_ns"], r["client_side_ns"]
        seen.append(f"{fam} server_side {ms(ss or 0):.1f} client_side {ms(cs or 0):.2f} ms")
        if ss is None or not 70e6 <= ss <= 90e6:
            bad.append(f"{fam} id {r['id']}: server_side_ns {ss}, want 80 ms +- 10")
        if cs is None or not 0 <= cs < 5e6:
            bad.append(f"{fam} id {r['id']}: client_side_ns {cs}, want < 5 ms")
        if r["client"]["payload_bytes"] != 5 or r["server"]["payload_bytes"] != 5:
            bad.append(f"{fam} id {r['id']}: payload {r['client']['payload_bytes']}/{r['server']['payload_bytes']}, want 5/5")
    if [r["outcome"] for r in ref] != ["refused"]:
        bad.append(f"{fam} port {cp}: outcomes {[r['outcome'] for r in ref]}, want one refused")
    for r in ref:
        rst, syn = r["server"]["rst_ns"], r["syn_ns"]
        d = None if rst is None or syn is None else rst - syn
        seen.append(f"{fam} refused RST after {ms(d or 0):.1f} ms")
        if d is None or not 70e6 <= d <= 90e6:
            bad.append(f"{fam} id {r['id']}: RST {d} ns after the SYN, want 80 ms +- 10")
print("live: " + "; ".join(seen))
if bad:
    print("\n".join(bad))
    sys.exit(1)
EOF
then ok; else not_ok "live records: $(cat "$tmp/why")"; fi
grep '^live:' "$tmp/why"

# --- probe from the client namespace ---------------------------------------
check_probe() { # check_probe ADDR [--syn]
    local what="probe $*"
    ip netns exec "$nsc" "$cli" probe "$1" -p "$open_port,$closed_port" -c 3 -i 0.2 -o json \
        --timeout 1 "${@:2}" >"$tmp/probe" 2>"$tmp/probe.err"
    local rc=$?
    if [ $rc -ne 1 ] || [ -s "$tmp/probe.err" ]; then
        not_ok "$what: want exit 1 (a closed port) and no error, got $rc: $(head -c 200 "$tmp/probe.err")"
        return
    fi
    if python3 - "$tmp/probe" "$open_port" "$closed_port" "$what" >"$tmp/why" 2>&1 <<'EOF'; then
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
op, cp, what = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ms = lambda ns: ns / 1e6
bad = []
att = {p: [r for r in rows if r["type"] == "attempt" and r["port"] == p] for p in (op, cp)}
summ = {p: [r for r in rows if r["type"] == "summary" and r["port"] == p] for p in (op, cp)}
if len(att[op]) != 3 or len(att[cp]) != 3 or len(summ[op]) != 1 or len(summ[cp]) != 1:
    print(f"rows: {len(att[op])}/{len(att[cp])} attempts, {len(summ[op])}/{len(summ[cp])} summaries")
    sys.exit(1)
so, sc = summ[op][0], summ[cp][0]
if so["state"] != "open" or so["open"] != 3 or [a["state"] for a in att[op]] != ["open"] * 3:
    bad.append(f"{op}: state {so['state']}, attempts {[a['state'] for a in att[op]]}, want open")
for k in ("min_ns", "median_ns"):
    if so[k] is None or not 70e6 <= so[k] <= 90e6:
        bad.append(f"{op}: {k} {so[k]}, want 80 ms +- 10")
if sc["state"] != "closed" or sc["closed"] != 3 or [a["state"] for a in att[cp]] != ["closed"] * 3:
    bad.append(f"{cp}: state {sc['state']}, attempts {[a['state'] for a in att[cp]]}, want closed")
rst = sorted(a["rtt_ns"] for a in att[cp] if a["rtt_ns"] is not None)
if len(rst) != 3 or not 70e6 <= rst[1] <= 90e6:
    bad.append(f"{cp}: RST times {rst}, want a median of 80 ms +- 10")
print(f"{what}: open min {ms(so['min_ns'] or 0):.1f} median {ms(so['median_ns'] or 0):.1f} "
      f"max {ms(so['max_ns'] or 0):.1f} ms; closed RST median {ms(rst[1]) if len(rst) == 3 else 0:.1f} ms")
if bad:
    print("\n".join(bad))
    sys.exit(1)
EOF
        ok
    else
        not_ok "$what: $(cat "$tmp/why")"
    fi
    grep '^probe' "$tmp/why"
}

check_probe $s4
check_probe $s4 --syn
check_probe $s6

summary
