#!/usr/bin/env bash
# Attacks end to end: real SYN flood, port scans and a busy legitimate client
# between two network namespaces, captured with tcpdump in the server's
# namespace, then analysed with tcpshake --detect and --by.
#
#   client ns  10.203.0.2 (busy client)  .3 (nmap -sS)  .4 (nmap -sT)  .5 (nmap -sX)
#              spoofed flood sources 10.203.0.50-60 (assigned nowhere)
#   server ns  10.203.0.1: listeners on 22, 80 (backlog 8), 139; 8080 (echo)
#              net.ipv4.tcp_syncookies=1, so once port 80's SYN queue of 8 is
#              full the kernel answers with SYN cookies
#
# The flood: hping3 sends 30 SYNs from each of 11 spoofed addresses to port 80.
# The server's SYN-ACKs go out (static neighbour entries point the spoofed
# addresses at the client's veth) and nobody answers them: half-open. Then
# nmap -sS and nmap -sT scan ports 1-200 and nmap -sX ports 1-100, each from its
# own address, and, 7 s
# after the flood, the busy client makes 3000 short connections with a request
# and a reply.
#
# Checks: a syn_flood alert for 10.203.0.1 port 80 and syn_cookies evidence
# there; a port_scan of type syn from .3 and of type connect from .4, both
# vertical on 10.203.0.1 with open ports 22, 80, 139; an xmas scan from .5
# (open ports cannot be told from filtered ones there); nothing about the busy
# client or port 8080; its health row is 100 % established.
#
# Needs root, ip, sysctl, tcpdump, nmap, hping3 and python3 (make test-deps installs
# them); otherwise fails under CI and says "skipped" elsewhere (tests/need.sh).
# Names carry a random suffix and are removed on exit. Bounded: about 15 seconds,
# well under 60.
#
# usage: tests/e2e/attacks.sh CLI
set -u
cli=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../need.sh"
. "$here/netns.sh"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; }

needs_root attacks
needs attacks ip sysctl tcpdump nmap hping3 python3 timeout

sfx=$(printf '%04x' $((RANDOM % 65536)))
nsc=tshk-ac-$sfx
nss=tshk-as-$sfx
vc=tshkac$sfx
vs=tshkas$sfx
srv=10.203.0.1
busy=10.203.0.2
syn_scanner=10.203.0.3
connect_scanner=10.203.0.4
xmas_scanner=10.203.0.5
tmp=$(mktemp -d)
cap=$tmp/attacks.pcap
dump=
server=

cleanup() {
    # wait reaps them quietly (no "Killed" job notice from bash).
    [ -n "$dump" ] && { kill -KILL "$dump" && wait "$dump"; } 2>/dev/null
    [ -n "$server" ] && { kill -KILL "$server" && wait "$server"; } 2>/dev/null
    ip netns del "$nsc" 2>/dev/null
    ip netns del "$nss" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

inc() { ip netns exec "$nsc" "$@"; }
ins() { ip netns exec "$nss" "$@"; }

if ! { netns_pair "$nsc" "$nss" "$vc" "$vs" &&
    ip -n "$nsc" addr add "$busy/24" dev "$vc" &&
    ip -n "$nsc" addr add "$syn_scanner/24" dev "$vc" &&
    ip -n "$nsc" addr add "$connect_scanner/24" dev "$vc" &&
    ip -n "$nsc" addr add "$xmas_scanner/24" dev "$vc" &&
    ip -n "$nss" addr add "$srv/24" dev "$vs"; } 2>"$tmp/setup"; then
    cannot_run attacks "cannot create network namespaces: $(head -1 "$tmp/setup")"
fi
mac=$(ip -n "$nsc" -o link show "$vc" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
for i in $(seq 50 60); do
    ip -n "$nss" neigh replace "10.203.0.$i" lladdr "$mac" dev "$vs" nud permanent
done
ins sysctl -qw net.ipv4.tcp_syncookies=1
ins sysctl -qw net.ipv4.conf.all.rp_filter=0
ins sysctl -qw "net.ipv4.conf.$vs.rp_filter=0"

# The server: scan targets hold accepted sockets open (like a daemon waiting for a
# request); 8080 answers each request and closes after the client does.
cat >"$tmp/server.py" <<'PY'
import selectors, socket, sys
sel = selectors.DefaultSelector()
held = []
def listen(port, backlog):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.203.0.1", port))
    s.listen(backlog)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, ("listen", port))
for port, backlog in ((22, 128), (80, 8), (139, 128), (8080, 1024)):
    listen(port, backlog)
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        kind, port = key.data
        if kind == "listen":
            try:
                c, _ = key.fileobj.accept()
            except BlockingIOError:
                continue
            if port == 8080:
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ, ("echo", port))
            else:
                held.append(c)
                if len(held) > 500:
                    held.pop(0).close()
        else:
            try:
                data = key.fileobj.recv(4096)
            except (BlockingIOError, ConnectionError):
                data = b""
            if data:
                key.fileobj.send(b"pong\n")
            else:
                sel.unregister(key.fileobj)
                key.fileobj.close()
PY
cat >"$tmp/busy.py" <<'PY'
import socket, sys
n = 0
for i in range(3000):
    s = socket.socket()
    s.bind(("10.203.0.2", 0))
    s.connect(("10.203.0.1", 8080))
    s.sendall(b"ping\n")
    if s.recv(100):
        n += 1
    s.close()
print(n)
PY

start=$SECONDS
# Not through ins(): $! must be the process itself (ip netns exec execs it), not a subshell.
ip netns exec "$nss" tcpdump -i "$vs" -n -Z root -s 200 -B 16384 -U -w "$cap" tcp \
    2>"$tmp/tcpdump.err" &
dump=$!
ip netns exec "$nss" python3 "$tmp/server.py" >"$tmp/server.out" 2>&1 &
server=$!
server_and_capture_ready() {
    grep -q ready "$tmp/server.out" 2>/dev/null && grep -q listening "$tmp/tcpdump.err"
}
wait_until server_and_capture_ready

# 1. The flood: 11 spoofed sources x 30 SYNs to port 80, all at once.
for i in $(seq 50 60); do
    inc timeout 10 hping3 -q -S -p 80 -a "10.203.0.$i" -c 30 -i u3000 "$srv" >/dev/null 2>&1 &
done
wait_hping() {
    for p in $(jobs -p); do
        [ "$p" = "$dump" ] || [ "$p" = "$server" ] || wait "$p"
    done
}
wait_hping
flood_done=$SECONDS

# 2. The scans, each from its own address.
inc timeout 20 nmap -n -Pn -sS -T4 --max-retries 1 -p 1-200 -S "$syn_scanner" -e "$vc" "$srv" \
    >"$tmp/nmap_syn" 2>&1
inc timeout 20 nmap -n -Pn -sT -T4 --max-retries 1 -p 1-200 -S "$connect_scanner" -e "$vc" "$srv" \
    >"$tmp/nmap_connect" 2>&1
inc timeout 20 nmap -n -Pn -sX -T4 --max-retries 1 -p 1-100 -S "$xmas_scanner" -e "$vc" "$srv" \
    >"$tmp/nmap_xmas" 2>&1

# SYN cookies show as SYN-ACKs never retransmitted although the capture goes on
# for 5 s after them: the busy client's traffic comes 7 s after the flood.
while [ $((SECONDS - flood_done)) -lt 7 ]; do sleep 0.2; done

# 3. The busy legitimate client.
got=$(inc timeout 30 python3 "$tmp/busy.py" 2>&1)
if [ "$got" = 3000 ]; then ok; else not_ok "busy client: want 3000 replies, got: $got"; fi
# tcpdump drops what is still in its buffer when interrupted: wait until it has caught up.
size=-1
for _ in $(seq 20); do
    sleep 0.5
    now=$(stat -c %s "$cap" 2>/dev/null || echo 0)
    [ "$now" = "$size" ] && break
    size=$now
done
kill -INT "$dump"
wait "$dump" 2>/dev/null
dump=

if grep -q '^22/tcp *open' "$tmp/nmap_syn" && grep -q '^139/tcp *open' "$tmp/nmap_connect"; then
    ok
else
    not_ok "nmap did not see the open ports: $(head -c 400 "$tmp/nmap_syn")"
fi

"$cli" -r "$cap" --detect -o json -q >"$tmp/records" 2>"$tmp/alerts"
rc=$?
if [ $rc -eq 0 ]; then ok; else not_ok "tcpshake --detect: exit $rc: $(head -3 "$tmp/alerts")"; fi
"$cli" -r "$cap" --detect -o table --no-color >"$tmp/summary" 2>/dev/null
"$cli" -r "$cap" --by server -o csv -q >"$tmp/health.csv" 2>"$tmp/health.err"

python3 - "$tmp/alerts" "$tmp/health.csv" "$tmp/summary" >"$tmp/verdict" 2>&1 <<'PY'
import csv, json, sys
alerts = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
rows = list(csv.DictReader(open(sys.argv[2])))
summary = open(sys.argv[3]).read()
fails = []
def need(cond, what):
    print(("ok - " if cond else "not ok - ") + what)
def find(kind, **kw):
    return [a for a in alerts if a["alert"] == kind and all(a.get(k) == v for k, v in kw.items())]

flood = find("syn_flood", target="10.203.0.1", target_port=80)
need(len(flood) == 1, "one syn_flood alert for 10.203.0.1 port 80 (got %d)" % len(flood))
if flood:
    need(flood[0]["failed"] >= 200 and flood[0]["completed"] < 20,
         "flood counts: %d failed, %d completed" % (flood[0]["failed"], flood[0]["completed"]))
    need(8 <= flood[0]["distinct_sources"] <= 14,
         "flood from ~11 sources (estimated %d)" % flood[0]["distinct_sources"])
cookies = find("syn_cookies", target="10.203.0.1", target_port=80)
need(len(cookies) == 1 and "synack_not_retransmitted" in cookies[0]["evidence"],
     "SYN cookies seen on 10.203.0.1 port 80")
for src, kind in (("10.203.0.3", "syn"), ("10.203.0.4", "connect")):
    scans = find("port_scan", source=src)
    need(len(scans) == 1, "one port_scan alert from %s (got %d)" % (src, len(scans)))
    if scans:
        s = scans[0]
        need(s["scan_type"] == kind and s["shape"] == "vertical" and s["target"] == "10.203.0.1",
             "%s: %s vertical scan of 10.203.0.1 (got %s %s %s)"
             % (src, kind, s["scan_type"], s["shape"], s["target"]))
        need(s["open_ports"] == [22, 80, 139], "%s: open ports 22, 80, 139 (got %s)"
             % (src, s["open_ports"]))
        need(180 <= s["distinct_ports"] <= 220, "%s: ~200 ports (got %d)"
             % (src, s["distinct_ports"]))
xmas = find("port_scan", source="10.203.0.5")
need(len(xmas) == 1 and xmas[0]["scan_type"] == "xmas" and xmas[0]["target"] == "10.203.0.1"
     and 95 <= xmas[0]["distinct_ports"] <= 105,
     "one xmas scan of ~100 ports from 10.203.0.5 (got %s)" % xmas)
busy = [a for a in alerts if a.get("source") == "10.203.0.2" or a.get("target_port") == 8080]
need(not busy, "nothing about the busy client (got %s)" % busy[:2])
others = [a for a in alerts if a["alert"] not in ("syn_flood", "syn_cookies", "port_scan")]
need(not others, "no other alerts (got %s)" % others[:3])
row = [r for r in rows if r["group"] == "10.203.0.1:8080"]
need(len(row) == 1 and int(row[0]["connections"]) == 3000
     and float(row[0]["established_pct"]) == 100.0,
     "health row 10.203.0.1:8080: 3000 connections, 100%% established (got %s)"
     % [(r["connections"], r["established_pct"]) for r in row])
need("port_scan" in summary and "syn_flood" in summary, "alerts listed in the summary")
PY
while read -r line; do
    case $line in
    ok*) ok ;;
    *) not_ok "${line#not ok - }" ;;
    esac
done <"$tmp/verdict"
if [ $fail -gt 0 ]; then
    echo "alerts were:"
    head -20 "$tmp/alerts"
fi
if [ $((SECONDS - start)) -lt 60 ]; then ok; else not_ok "took $((SECONDS - start)) s (limit 60)"; fi

echo "attacks: $pass passed, $fail failed"
[ $fail -eq 0 ]
