# relay.sh - sourced by the end-to-end tests that need known delays (delay.sh, tls.sh,
# metrics.sh; after tests/need.sh and netns.sh): two network namespaces joined through
# tests/tools/tap_relay, which forwards between two taps after a fixed delay each way
# (this kernel has no sch_netem). The callers declare gcc and ip for it.
#
# The caller sets tmp (its own directory), nsc and nss (the namespaces), tapc and taps
# (the taps), c4 and s4 (the client's and server's IPv4 addresses) and, to have IPv6 too,
# c6 and s6.
#
# relay_setup PCAP: build the relay, create both namespaces, start the relay with 10 ms on
#   the client's leg and 30 ms on the server's (a SYN to SYN-ACK of 80 ms seen from the
#   client, 60 ms from the server), saving what it forwards in PCAP, and bring both ends
#   up with static neighbours. Sets relay to its pid. Returns non-zero, with the reason on
#   standard error or standard output, when any step fails.
# relay_cleanup: stop the relay, remove the namespaces and the taps.
relay=

# relay_link NS TAP MAC IPV4 PEER_MAC PEER_IPV4 [IPV6 PEER_IPV6]: move TAP into NS and
# bring it up with its addresses.
relay_link() {
    ip link set "$2" netns "$1" &&
        ip -n "$1" link set "$2" address "$3" &&
        ip -n "$1" addr add "$4/24" dev "$2" &&
        { [ $# -lt 8 ] || ip -n "$1" addr add "$7/64" dev "$2" nodad; } &&
        ip -n "$1" link set lo up &&
        ip -n "$1" link set "$2" up &&
        # Static neighbours: no ARP or neighbour discovery delayed by the relay.
        ip -n "$1" neigh replace "$6" lladdr "$5" dev "$2" nud permanent &&
        { [ $# -lt 8 ] || ip -n "$1" -6 neigh replace "$8" lladdr "$5" dev "$2" nud permanent; }
}

relay_setup() {
    gcc -std=c11 -O2 -Wall -Wextra -Wpedantic -o "$tmp/tap_relay" "$here/../tools/tap_relay.c" &&
        ip netns add "$nsc" && ip netns add "$nss" || return 1
    "$tmp/tap_relay" --client-tap "$tapc" --server-tap "$taps" \
        --client-delay-ms 10 --server-delay-ms 30 -w "$1" 2>"$tmp/relay.log" &
    relay=$!
    wait_until ip link show "$taps" >/dev/null 2>&1 || { cat "$tmp/relay.log"; return 1; }
    local macc=02:00:0a:cc:00:01 macs=02:00:0a:cc:00:02
    # shellcheck disable=SC2086 # no IPv6: no words
    relay_link "$nsc" "$tapc" $macc "$c4" $macs "$s4" ${c6:+"$c6" "$s6"} &&
        relay_link "$nss" "$taps" $macs "$s4" $macc "$c4" ${s6:+"$s6" "$c6"}
}

relay_cleanup() {
    if [ -n "$relay" ]; then
        kill -TERM "$relay" 2>/dev/null
        wait "$relay" 2>/dev/null
    fi
    ip netns del "$nsc" 2>/dev/null
    ip netns del "$nss" 2>/dev/null
    ip link del "$tapc" 2>/dev/null
    ip link del "$taps" 2>/dev/null
}
