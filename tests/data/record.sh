#!/usr/bin/env bash
# record.sh: records the sample captures in tests/data from real Linux TCP stacks.
# deps-check: not run by make check
#
# Two network namespaces (client, server) are joined by tests/tools/tap_relay,
# which delays each leg (client 10 ms, server 30 ms) and writes the capture from
# the middle of the path. Real sockets (tests/tools/tsh_peer.py) in the
# namespaces play the scenarios, one server port each; see tests/data/README.md.
#
# Needs root, gcc, python3, iproute2, nftables, tcpdump, tshark, editcap.
# Sends traffic only inside the two namespaces it creates; removes them, the
# taps, its processes and its temporary files on exit, also on failure.
# Takes about 20 seconds. Usage: sudo tests/data/record.sh [OUTDIR]
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${1:-$HERE}
CLIENT_DELAY_MS=10
SERVER_DELAY_MS=30

die() { echo "record.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, /dev/net/tun)"
for t in gcc ip nft tcpdump tshark editcap timeout; do
    command -v "$t" >/dev/null || die "missing tool: $t"
done
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || die "missing tool: python3"

SFX=$(printf '%04x' $((RANDOM % 65536)))
NSC=tsh-cli-$SFX
NSS=tsh-srv-$SFX
TAPC=tshc$SFX
TAPS=tshs$SFX
TMP=$(mktemp -d /tmp/tsh-record.XXXXXX)
PIDS=() # long-lived: relay, tcpdumps, server
JOBS=() # scenario clients running in the background

cleanup() {
    local rc=$?
    set +e
    for p in "${JOBS[@]}" "${PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in "${JOBS[@]}" "${PIDS[@]}"; do
        wait "$p" 2>/dev/null
    done
    ip netns del "$NSC" 2>/dev/null
    ip netns del "$NSS" 2>/dev/null
    ip link del "$TAPC" 2>/dev/null
    ip link del "$TAPS" 2>/dev/null
    rm -rf "$TMP"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

inc() { ip netns exec "$NSC" "$@"; }
ins() { ip netns exec "$NSS" "$@"; }
# Peers run under timeout(1), so a stuck scenario cannot hang the recording. Background
# ones are started without a shell function, so $! is the process that signals reach.
PEER=("$ROOT/tests/tools/tsh_peer.py")
cli() { timeout 20 ip netns exec "$NSC" "$PY" "${PEER[@]}" client "$@"; }

wait_for() { # wait_for SECONDS CMD...: poll until CMD succeeds
    local n=$(( $1 * 20 )); shift
    until "$@" >/dev/null 2>&1; do
        n=$((n - 1)); [ "$n" -gt 0 ] || return 1; sleep 0.05
    done
}

echo "record.sh: building tap_relay" >&2
gcc -std=c11 -O2 -Wall -Wextra -Wpedantic -o "$TMP/tap_relay" "$ROOT/tests/tools/tap_relay.c"

ip netns add "$NSC"
ip netns add "$NSS"
for ns in "$NSC" "$NSS"; do
    ip netns exec "$ns" sh -e -c '
        ip link set lo up
        sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
        sysctl -qw net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.default.router_solicitations=0
        sysctl -qw net.ipv4.tcp_fastopen=3'
done
inc sysctl -qw net.ipv4.tcp_syn_retries=2   # unanswered: SYN at 0, 1 and 3 s
ins sysctl -qw net.ipv4.tcp_synack_retries=2 # half-open: SYN-ACK at 0, 1 and 3 s

# The relay, started before the links come up so it sees every frame on them.
"$TMP/tap_relay" --client-tap "$TAPC" --server-tap "$TAPS" \
    --client-delay-ms $CLIENT_DELAY_MS --server-delay-ms $SERVER_DELAY_MS \
    -w "$TMP/handshakes.pcap" \
    --drop-syn-port 8004 --drop-synack 1 --synack-port 8005 \
    --lose-port 8018 --late-port 8020 --unseen-syn-port 8021 2>"$TMP/relay.log" &
PIDS+=($!)
wait_for 5 ip link show "$TAPS" || die "tap_relay did not create its taps: $(cat "$TMP/relay.log")"

setup_link() { # setup_link NS TAP MAC IPV4 IPV6 PEER_MAC PEER_IPV4 PEER_IPV6
    ip link set "$2" netns "$1"
    ip -n "$1" link set "$2" address "$3"
    ip -n "$1" addr add "$4/24" dev "$2"
    ip -n "$1" addr add "$5/64" dev "$2" nodad
    ip -n "$1" link set "$2" up
    # Static neighbours: no ARP or neighbour discovery between the scenarios.
    ip -n "$1" neigh replace "$7" lladdr "$6" dev "$2" nud permanent
    ip -n "$1" -6 neigh replace "$8" lladdr "$6" dev "$2" nud permanent
}
MACC=02:00:0a:63:00:01
MACS=02:00:0a:63:00:02
setup_link "$NSC" "$TAPC" $MACC 10.99.0.1 fd99::1 $MACS 10.99.0.2 fd99::2
setup_link "$NSS" "$TAPS" $MACS 10.99.0.2 fd99::2 $MACC 10.99.0.1 fd99::1

# ICMP-rejected ports: the server answers the SYN with port unreachable.
ins nft -f - <<'EOF'
table inet tsh {
    chain input {
        type filter hook input priority 0; policy accept;
        ip daddr 10.99.0.2 tcp dport 8013 reject with icmp type port-unreachable
        ip6 daddr fd99::2 tcp dport 8014 reject with icmpv6 type port-unreachable
    }
}
EOF

# Linux-cooked captures taken inside the client namespace (SLL2 and SLL).
for lt in LINUX_SLL2 LINUX_SLL; do
    ip netns exec "$NSC" tcpdump -i any -y $lt -n -U -Z root --time-stamp-precision nano \
        -w "$TMP/client_${lt,,}.pcap" 'tcp port 8001 or tcp port 8009 or tcp port 8003' \
        2>"$TMP/tcpdump_$lt.log" &
    PIDS+=($!)
    wait_for 5 grep -q 'listening on' "$TMP/tcpdump_$lt.log" || die "tcpdump did not start"
done

# Servers. 8003, 8010 (refused) and 8013, 8014 (ICMP) have no listener.
ip netns exec "$NSS" "$PY" "$ROOT/tests/tools/tsh_peer.py" serve \
    --spec 8001:respond --spec 8002:close_first --spec 8004:respond --spec 8005:respond \
    --spec 8006:respond --spec 8007:rst --spec 8008:halfclose --spec 8009:respond \
    --spec 8011:respond --spec 8012:close_first --spec 8015:tfo --spec 8018:listen \
    --spec 8019:listen --spec 8020:respond --spec 8021:respond >"$TMP/serve.out" &
PIDS+=($!)
wait_for 5 grep -q ready "$TMP/serve.out" || die "server did not start"
sleep 0.5

echo "record.sh: recording scenarios" >&2
C4=10.99.0.2
C6=fd99::2
# Slow ones in the background, each on its own port.
timeout 20 ip netns exec "$NSC" "$PY" "${PEER[@]}" client --host $C4 --port 8004 --mode fail &
BG1=$!; JOBS+=($BG1) # unanswered: 3 SYNs, then ETIMEDOUT
timeout 20 ip netns exec "$NSC" "$PY" "${PEER[@]}" client --host $C4 --port 8005 --mode close_first &
BG2=$!; JOBS+=($BG2) # the first SYN-ACK is dropped after the capture point
timeout 20 ip netns exec "$NSC" "$PY" "${PEER[@]}" client --host $C4 --port 8018 --mode hold_rst &
BG3=$!; JOBS+=($BG3) # half-open: the client's ACK (and all after it) is lost before the capture point
sleep 0.3

gap() { sleep 0.3; }
cli --host $C4 --port 8001 --mode close_first; gap              # established, client FIN first
cli --host $C4 --port 8002 --mode wait_close; gap               # established, server FIN first
cli --host $C4 --port 8003 --mode fail; gap                     # refused (RST)
cli --host $C4 --port 8006 --mode rst; gap                      # client RST after data
cli --host $C4 --port 8007 --mode wait_close; gap               # server RST after data
cli --host $C4 --port 8008 --mode halfclose; gap                # half-close
cli --host $C6 --port 8009 --mode close_first; gap              # IPv6 established
cli --host $C6 --port 8010 --mode fail; gap                     # IPv6 refused
cli --host $C4 --port 8012 --mode wait_close --bind-port 40012 --count 2 --gap 0.5; gap # port reuse
cli --host $C4 --port 8013 --mode fail; gap                     # ICMP port unreachable
cli --host $C6 --port 8014 --mode fail; gap                     # ICMPv6 port unreachable
cli --host $C4 --port 8015 --mode tfo --count 2; gap            # TFO: cookie, then data on SYN
AT=$("$PY" -c 'import time; print(time.time() + 0.5)')
timeout 20 ip netns exec "$NSC" "$PY" "${PEER[@]}" simopen \
    --bind 10.99.0.1:8016 --peer 10.99.0.2:8017 --at "$AT" --role a &
SA=$!; JOBS+=($SA)
timeout 20 ip netns exec "$NSS" "$PY" "${PEER[@]}" simopen \
    --bind 10.99.0.2:8017 --peer 10.99.0.1:8016 --at "$AT" --role b &
SB=$!; JOBS+=($SB)
wait $SA; wait $SB; gap                                         # simultaneous open
cli --host $C4 --port 8019 --mode abort_syn; sleep 0.5          # client RST answers SYN-ACK
cli --host $C4 --port 8020 --mode multi; gap                    # midstream (capture starts late)
cli --host $C4 --port 8021 --mode close_first; gap              # SYN not seen

wait $BG1; wait $BG2; wait $BG3
JOBS=()
sleep 4 # the half-open server's last SYN-ACK retransmission is at about 3 s

# Options switched off in the client namespace, for one connection.
inc sysctl -qw net.ipv4.tcp_timestamps=0 net.ipv4.tcp_sack=0 net.ipv4.tcp_window_scaling=0
cli --host $C4 --port 8011 --mode close_first
sleep 1

echo "record.sh: stopping" >&2
# TERM, not INT: background jobs of a non-interactive shell ignore SIGINT.
for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do # server, tcpdumps, then the relay
    kill -TERM "${PIDS[i]}" 2>/dev/null || true
    wait "${PIDS[i]}" 2>/dev/null || true
done
PIDS=()
cat "$TMP/relay.log" >&2

# Derived files: a small mix for the quick start, and format variants of it.
SAMPLE_PORTS="8001,8002,8003,8004,8005,8006,8007,8008,8009,8010"
tshark -Q -r "$TMP/handshakes.pcap" -Y "tcp.port in {$SAMPLE_PORTS}" -F nsecpcap \
    -w "$TMP/sample.pcap"
editcap -F pcapng "$TMP/sample.pcap" "$TMP/sample.pcapng"
editcap -F pcap "$TMP/sample.pcap" "$TMP/sample_usec.pcap"

FILES="handshakes.pcap sample.pcap sample.pcapng sample_usec.pcap client_linux_sll2.pcap
       client_linux_sll.pcap"
# Measure every connection; this fails if any outcome differs from the plan.
(cd "$TMP" && "$PY" "$ROOT/tests/tools/measure_capture.py" $FILES) >"$TMP/expected.tsv" ||
    die "the captures do not show what was planned; nothing written"

mkdir -p "$OUT"
for f in $FILES expected.tsv; do
    cp "$TMP/$f" "$OUT/$f"
done
echo "record.sh: wrote $OUT ($(uname -r), $(date -u +%Y-%m-%dT%H:%M:%SZ))" >&2
