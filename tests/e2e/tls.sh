#!/usr/bin/env bash
# TLS from a real stack, end to end: does the record's tls object say what
# openssl negotiated, and put the delays on the right side?
#
# Two network namespaces joined through tests/tools/tap_relay (as delay.sh),
# which holds each frame 10 ms on the client's leg and 30 ms on the server's
# and records the frames between the two legs. On that capture a round trip
# to the server takes about 2 x 30 = 60 ms and one to the client about
# 2 x 10 = 20 ms. The test makes a throwaway CA and a server certificate for
# test.example with openssl req / x509, runs openssl s_server (-www) on port
# 8443 (not 443: TLS is found by content) in the server namespace, and
# openssl s_client connections from the client namespace:
#   1. TLS 1.3, ALPN h2, TLS_AES_128_GCM_SHA256, an HTTP request and answer
#   2. TLS 1.2, ECDHE-ECDSA-AES128-GCM-SHA256 (0xc02b), ALPN http/1.1 (TLS 1.3
#      hides the server's choice in EncryptedExtensions; 1.2 shows it)
#   3. TLS 1.2 only against a server that takes TLS 1.3 only: the server's
#      protocol_version alert (70)
#   4. a key share for P-256 to that server, which takes X25519 only: a
#      HelloRetryRequest, then the second ClientHello
#   5. connection 1's session resumed (TLS 1.3 PSK)
#   6. connection 2's session resumed (TLS 1.2 abbreviated handshake, ticket)
#   7. TLS 1.2 without tickets (-no_ticket): a session the server keeps in its
#      cache, and 8. that session resumed by its session id
#   9. a cipher mismatch: the client offers only ECDHE-RSA-AES128-GCM-SHA256,
#      which the server's ECDSA certificate cannot serve: the server's
#      handshake_failure alert (40)
#  10. a client certificate (signed by the same CA) to a server on port 8445
#      that asks for one and verifies it (s_server -Verify 1), in TLS 1.2,
#      where the client's Certificate is in its second flight in the clear
# then reads the relay's capture with tcpshake -r and checks each record's
# outcome, version, SNI, ALPN, cipher, HelloRetryRequest and resumption, that
# tls.server_side_ns (ClientHello to ServerHello) holds the server leg's 60 ms
# and tls.client_side_ns the client leg's 20 ms (lower bounds: the ends' own
# work comes on top), that a server's alert comes a server round trip after
# the ClientHello, and that --threads 1, 2 and 3 print the same; and what the
# run's summary (text and --summary-json), its --by server rows and the
# tcpshake_tls_handshake_seconds histogram of --metrics-file say about TLS
# across these connections: counts by outcome, version, resumption kind and
# alert description, and the same handshake samples.
#
# Needs root, gcc, ip, openssl; otherwise fails under CI and says "skipped"
# elsewhere (tests/need.sh). Namespaces (random suffix), relay, servers and
# temporary files are removed on exit, failure included. About 13 seconds.
#
# usage: tests/e2e/tls.sh CLI      prints "tls: N passed, M failed"
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
    echo "tls: $pass passed, $fail failed"
    [ $fail -eq 0 ]
}

needs_root tls
needs tls gcc ip ss openssl python3 timeout

sfx=$(printf '%04x' $((RANDOM % 65536)))
nsc=tst-c-$sfx
nss=tst-s-$sfx
tapc=tstc$sfx
taps=tsts$sfx
c4=10.205.0.1
s4=10.205.0.2
port=8443
port13=8444 # TLS 1.3 only
portcc=8445 # asks for a client certificate
tmp=$(mktemp -d)
relay=
servers=

cleanup() {
    for p in $servers; do
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    if [ -n "$relay" ]; then
        kill -TERM "$relay" 2>/dev/null
        wait "$relay" 2>/dev/null
    fi
    ip netns del "$nsc" 2>/dev/null
    ip netns del "$nss" 2>/dev/null
    ip link del "$tapc" 2>/dev/null
    ip link del "$taps" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if ! gcc -std=c11 -O2 -Wall -Wextra -Wpedantic -o "$tmp/tap_relay" \
    "$here/../tools/tap_relay.c" 2>"$tmp/gcc"; then
    not_ok "building tap_relay: $(head -c 300 "$tmp/gcc")"
    summary
    exit
fi

# A throwaway CA and a server certificate it signs (P-256 keys, one day).
make_certs() {
    cd "$tmp" &&
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
            -out ca.pem -days 1 -subj /CN=tcpshake-test-ca &&
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key \
            -out srv.csr -subj /CN=test.example &&
        printf 'subjectAltName=DNS:test.example\n' >san.ext &&
        openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem \
            -days 1 -extfile san.ext &&
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout cli.key \
            -out cli.csr -subj /CN=tcpshake-test-client &&
        openssl x509 -req -in cli.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cli.pem -days 1
}
if ! make_certs >"$tmp/certs.log" 2>&1; then
    not_ok "making the CA and certificate: $(tail -c 300 "$tmp/certs.log")"
    summary
    exit
fi

setup_link() { # setup_link NS TAP MAC IPV4 PEER_MAC PEER_IPV4
    ip link set "$2" netns "$1" &&
        ip -n "$1" link set "$2" address "$3" &&
        ip -n "$1" addr add "$4/24" dev "$2" &&
        ip -n "$1" link set lo up &&
        ip -n "$1" link set "$2" up &&
        ip -n "$1" neigh replace "$6" lladdr "$5" dev "$2" nud permanent
}

listening() { # listening PORT: something in the server namespace listens on PORT
    ip netns exec "$nss" ss -ltnH "sport = :$1" | grep -q .
}

setup() {
    ip netns add "$nsc" && ip netns add "$nss" || return 1
    "$tmp/tap_relay" --client-tap "$tapc" --server-tap "$taps" \
        --client-delay-ms 10 --server-delay-ms 30 -w "$tmp/tls.pcap" 2>"$tmp/relay.log" &
    relay=$!
    wait_until ip link show "$taps" >/dev/null 2>&1 || { cat "$tmp/relay.log"; return 1; }
    local macc=02:00:0a:cd:00:01 macs=02:00:0a:cd:00:02
    setup_link "$nsc" "$tapc" $macc $c4 $macs $s4 || return 1
    setup_link "$nss" "$taps" $macs $s4 $macc $c4 || return 1
    ip netns exec "$nss" openssl s_server -quiet -accept $port -cert "$tmp/srv.pem" \
        -key "$tmp/srv.key" -www -alpn h2,http/1.1 </dev/null >"$tmp/s1.log" 2>&1 &
    servers="$servers $!"
    ip netns exec "$nss" openssl s_server -quiet -accept $port13 -cert "$tmp/srv.pem" \
        -key "$tmp/srv.key" -www -tls1_3 -groups X25519 </dev/null >"$tmp/s2.log" 2>&1 &
    servers="$servers $!"
    ip netns exec "$nss" openssl s_server -quiet -accept $portcc -cert "$tmp/srv.pem" \
        -key "$tmp/srv.key" -www -Verify 1 -CAfile "$tmp/ca.pem" </dev/null >"$tmp/s3.log" 2>&1 &
    servers="$servers $!"
    wait_until listening $port && wait_until listening $port13 && wait_until listening $portcc
}

if ! setup >"$tmp/setup" 2>&1; then
    not_ok "namespace, relay and server setup failed: $(head -c 300 "$tmp/setup")"
    summary
    exit
fi

client() { # client PORT ARGS...: one s_client connection with an HTTP request
    local p=$1
    shift
    printf 'GET / HTTP/1.0\r\n\r\n' |
        timeout 10 ip netns exec "$nsc" openssl s_client -quiet -connect "$s4:$p" \
            -servername test.example -CAfile "$tmp/ca.pem" "$@" >>"$tmp/client.log" 2>&1
}

# Through the relay once before the measured connections (ARP is static, but the
# relay may be slow to start under load); from port 40000 up, not checked.
up=0
for i in $(seq 0 19); do
    if printf 'GET / HTTP/1.0\r\n\r\n' | timeout 3 ip netns exec "$nsc" openssl s_client -quiet \
        -connect "$s4:$port" -servername warmup.example -CAfile "$tmp/ca.pem" >"$tmp/warm" 2>&1; then
        up=1
        break
    fi
    sleep 0.2
done
if [ $up = 0 ]; then
    not_ok "no TLS connection through the relay in 20 tries: $(tail -c 300 "$tmp/warm")"
    summary
    exit
fi
ok

client $port -tls1_3 -alpn h2 -ciphersuites TLS_AES_128_GCM_SHA256 -sess_out "$tmp/sess13"
client $port -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256 -alpn http/1.1 -sess_out "$tmp/sess12"
client $port13 -tls1_2 # refused with an alert: exit status not checked
client $port13 -tls1_3 -groups P-256:X25519
client $port -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256 -sess_in "$tmp/sess13"
client $port -tls1_2 -sess_in "$tmp/sess12"
c12="-tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256"
# shellcheck disable=SC2086 # c12: the options
client $port $c12 -no_ticket -sess_out "$tmp/sessid"
# shellcheck disable=SC2086
client $port $c12 -no_ticket -sess_in "$tmp/sessid"
client $port -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256 # no shared cipher: an alert
# shellcheck disable=SC2086
client $portcc $c12 -cert "$tmp/cli.pem" -key "$tmp/cli.key"
sleep 0.3
kill -TERM "$relay" 2>/dev/null
wait "$relay" 2>/dev/null
relay=

if grep -q 'verify return:1' "$tmp/s3.log" || grep -q 'depth=0 CN = tcpshake-test-client' "$tmp/s3.log"; then
    ok
else
    not_ok "the server did not verify the client certificate: $(tail -c 300 "$tmp/s3.log")"
fi

for t in 1 2 3; do
    "$cli" -r "$tmp/tls.pcap" -o json -q --threads $t >"$tmp/out$t" 2>"$tmp/err$t" ||
        not_ok "tcpshake -r --threads $t: $(head -c 300 "$tmp/err$t")"
done
if cmp -s "$tmp/out1" "$tmp/out2" && cmp -s "$tmp/out1" "$tmp/out3"; then
    ok
else
    not_ok "--threads 1, 2 and 3 differ on the TLS capture"
fi

if python3 - "$tmp/out1" "$port" "$port13" "$portcc" >"$tmp/why" 2>&1 <<'EOF'; then
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
port, port13, portcc = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ms = lambda ns: (ns or 0) / 1e6
mine = [r for r in recs if r["tls"] is not None and r["tls"]["sni"] == "test.example"]
bad, seen = [], []
if len(mine) != 10:
    print(f"{len(mine)} records with SNI test.example, want 10")
    sys.exit(1)
want = [
    ("TLS 1.3", (port, "established", "TLS1.3", "0x1301", "h2", "")),
    ("TLS 1.2", (port, "established", "TLS1.2", "0xc02b", "http/1.1", "http/1.1")),
    ("1.2 vs 1.3 only", (port13, "alert", None, None, "", "")),
    ("HRR", (port13, "established", "TLS1.3", "0x1302", "", "")),
    ("1.3 resumed", (port, "established", "TLS1.3", "0x1301", "", "")),
    ("1.2 resumed", (port, "established", "TLS1.2", "0xc02b", "", "")),
    ("1.2 no ticket", (port, "established", "TLS1.2", "0xc02b", "", "")),
    ("1.2 id resumed", (port, "established", "TLS1.2", "0xc02b", "", "")),
    ("no shared cipher", (port, "alert", None, None, "", "")),
    ("client cert", (portcc, "established", "TLS1.2", "0xc02b", "", "")),
]
extra = {
    "TLS 1.3": dict(hrr=False, resumption="none"),
    "TLS 1.2": dict(hrr=False, resumption="none"),
    "HRR": dict(hrr=True, group="0x001d", resumption="none"),
    "1.3 resumed": dict(resumption="psk", resumed=True),
    "1.2 resumed": dict(resumption="ticket", resumed=True),
    "1.2 no ticket": dict(resumption="none", resumed=False, ticket_offered=False),
    "1.2 id resumed": dict(resumption="session_id", resumed=True, ticket_offered=False,
                           session_id_offered=True),
    "client cert": dict(resumption="none", resumed=False, hrr=False),
}
alerts = {"1.2 vs 1.3 only": 70, "no shared cipher": 40}
sides = ("TLS 1.3", "TLS 1.2", "1.2 no ticket", "1.2 id resumed", "client cert")
for r, (what, w) in zip(mine, want):
    t = r["tls"]
    got = (r["server"]["port"], t["outcome"], t["version"], t["cipher"], t["alpn_offered"], t["alpn"])
    if got != w:
        bad.append(f"{what}: port, outcome, version, cipher, alpn offered, alpn {got}, want {w}")
    outcome = w[1]
    if t["ja4"][:3] != ("t12" if what.startswith(("TLS 1.2", "1.2", "no shared", "client")) else "t13"):
        bad.append(f"{what}: ja4 {t['ja4']}")
    for k, v in extra.get(what, {}).items():
        if t[k] != v:
            bad.append(f"{what}: {k} {t[k]!r}, want {v!r}")
    if what == "HRR" and (t["client_hello2_ns"] is None or t["server_side_ns"] is None or
                          t["client_hello2_ns"] + t["server_side_ns"] != t["server_hello_ns"]):
        bad.append(f"{what}: client_hello2_ns {t['client_hello2_ns']}, server_side_ns "
                   f"{t['server_side_ns']}: want the ServerHello timed from the second ClientHello")
    if outcome == "established" and what in sides:
        ss, cs = t["server_side_ns"], t["client_side_ns"]
        seen.append(f"{what}: server_side {ms(ss):.1f} ms, client_side {ms(cs):.1f} ms")
        # The server leg is 2 x 30 ms, the client leg 2 x 10 ms. The ends' own work
        # (key exchange, signatures, certificate checks) comes on top and grows on a
        # loaded machine, so only the network part is held as a lower bound: sides
        # swapped would put about 20 ms in server_side_ns.
        if ss is None or not 55e6 <= ss <= 1e9:
            bad.append(f"{what}: tls server_side_ns {ss}, want 60 ms and the server's work")
        if cs is None or not 15e6 <= cs <= 1e9:
            bad.append(f"{what}: tls client_side_ns {cs}, want 20 ms and the client's work")
        if t["client_data_ns"] is None or t["server_data_ns"] is None:
            bad.append(f"{what}: first data each way {t['client_data_ns']} {t['server_data_ns']}")
        if t["syn_to_data_ns"] is None or t["syn_to_data_ns"] < 60e6 + ss:
            bad.append(f"{what}: syn_to_data_ns {t['syn_to_data_ns']}")
    elif outcome == "alert":
        if (t["alert_by"], t["alert_level"], t["alert_desc"]) != ("server", 2, alerts[what]):
            bad.append(f"{what}: alert by {t['alert_by']} level {t['alert_level']} "
                       f"desc {t['alert_desc']}, want server 2 {alerts[what]}")
        # The server answers the ClientHello with its alert: a server round trip later.
        if t["alert_ns"] is None or t["alert_ns"] - t["client_hello_ns"] < 55e6:
            bad.append(f"{what}: alert_ns {t['alert_ns']}, ClientHello {t['client_hello_ns']}: "
                       "want the server leg's 60 ms between")
        if t["server_hello_ns"] is not None:
            bad.append(f"{what}: a ServerHello at {t['server_hello_ns']}")
print("tls: " + "; ".join(seen))
if bad:
    print("\n".join(bad))
    sys.exit(1)
EOF
    ok
else
    not_ok "TLS records: $(cat "$tmp/why")"
fi
grep '^tls:' "$tmp/why"

# Across the connections: the summary's TLS block and object and the --by rows agree
# with the records (the warm-up connection included), and name what was tested.
"$cli" -r "$tmp/tls.pcap" -o json --summary-json "$tmp/sum.json" --metrics-file "$tmp/m.prom" \
    >/dev/null 2>"$tmp/sum.txt"
"$cli" -r "$tmp/tls.pcap" -o json -q --by server >"$tmp/by.json" 2>&1
if python3 - "$tmp/out1" "$tmp/sum.json" "$tmp/sum.txt" "$tmp/by.json" "$tmp/m.prom" >"$tmp/why" 2>&1 <<'EOF'; then
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
s = json.load(open(sys.argv[2]))
text = open(sys.argv[3]).read()
rows = [json.loads(l) for l in open(sys.argv[4])][:-1]
tls = [r["tls"] for r in recs if r["tls"] is not None]
est = [t for t in tls if t["outcome"] == "established"]
bad = []
def want(name, got, value):
    if got != value:
        bad.append(f"{name}: {got}, want {value}")
want("tls_connections", s["tls_connections"], len(tls))
for o in ("established", "alert"):
    want(f"tls_outcomes.{o}", s["tls_outcomes"][o], sum(t["outcome"] == o for t in tls))
for v in ("TLS1.3", "TLS1.2"):
    want(f"tls_versions.{v}", s["tls_versions"][v], sum(t["version"] == v for t in tls))
want("tls_resumed", s["tls_resumed"], sum(t["resumed"] for t in est))
want("tls_resumption", {k: s["tls_resumption"][k] for k in ("session_id", "ticket", "psk")},
     {"session_id": 1, "ticket": 1, "psk": 1})
want("tls_hrr", s["tls_hrr"], 1)
want("tls_alerts", (s["tls_alerts"], s["tls_alerts_by_server"], s["tls_alerts_by_client"]), (2, 2, 0))
want("tls_alert_descriptions", {k: v for k, v in s["tls_alert_descriptions"].items() if v},
     {"handshake_failure": 1, "protocol_version": 1})
want("tls_handshake_count", s["tls_handshake_count"], len(est))
# The Prometheus histogram of the same samples (--metrics-file).
prom = dict(l.split() for l in open(sys.argv[5]) if l.startswith("tcpshake_tls_handshake_seconds_"))
want("tcpshake_tls_handshake_seconds_count", int(prom.get("tcpshake_tls_handshake_seconds_count", -1)),
     s["tls_handshake_count"])
if abs(float(prom.get("tcpshake_tls_handshake_seconds_sum", -1)) -
       sum(t["handshake_ns"] for t in est) / 1e9) > 1e-5:
    bad.append(f"tcpshake_tls_handshake_seconds_sum {prom.get('tcpshake_tls_handshake_seconds_sum')}")
hs = sorted(t["handshake_ns"] for t in est)
want("tls_handshake min, max", (s["tls_handshake_min_ns"], s["tls_handshake_max_ns"]), (hs[0], hs[-1]))
ss = sorted(t["server_side_ns"] for t in tls if t["server_side_ns"] is not None)
want("tls_server_side min", s["tls_server_side_min_ns"], ss[0])
if s["tls_server_side_min_ns"] < 55e6:
    bad.append(f"tls_server_side_min_ns {s['tls_server_side_min_ns']}: under the server leg")
for line in (f"tls: {len(tls)} connections, {len(est)} established",
             "  resumed        3 (", ", session_id 1, ticket 1, psk 1\n",
             "  alerts         2 (by client 0, by server 2)\n",
             "    described    handshake_failure 1, protocol_version 1\n",
             "tls latency in ms (percentiles"):
    if line not in text:
        bad.append(f"text summary: no {line!r}")
want("--by server tls_connections", sum(r["tls_connections"] for r in rows), len(tls))
want("--by server tls_established", sum(r["tls_established"] for r in rows), len(est))
want("--by server tls_alerts, tls_failed", (sum(r["tls_alerts"] for r in rows),
     sum(r["tls_failed"] for r in rows)), (2, 2))
want("--by server tls_resumed", sum(r["tls_resumed"] for r in rows), 3)
want("--by server tls_handshake_count", sum(r["tls_handshake_count"] for r in rows), len(est))
if bad:
    print("\n".join(bad))
    sys.exit(1)
EOF
    ok
else
    not_ok "TLS across connections: $(cat "$tmp/why")"
fi

summary
