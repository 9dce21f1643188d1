#!/usr/bin/env bash
# --ladder on the recorded captures (tests/data, see its README for what each
# connection is): golden ladders a reader can check by eye, the brackets against the
# JSON records of the same capture, standard input, selections, bad ids and the cap.
#
#   ladder_syn_retransmit   8005 (id 11): SYN retransmitted, the first SYN-ACK lost
#                           after the capture point, Karn on the client side; 8004
#                           (id 10): six SYNs, no answer
#   ladder_half_open        8018 (id 9): SYN-ACK retransmitted, the ACK never seen
#   ladder_refused          8003 / 8010 (ids 48, 91): RST+ACK answering the SYN
#   ladder_icmp             8013 / 8014 (ids 115, 117): ICMP and ICMPv6 port unreachable
#   ladder_simultaneous     8016 <-> 8017 (id 135): crossing SYNs
#   ladder_half_close       8008 (id 67): the server sends after the client's FIN,
#                           summarised and with --ladder-data
#   ladder_rst              8006, 8007 (ids 50, 59): RST after data either way; 8019
#                           (id 148): RST in the handshake
#   ladder_failed           --ladder failed: every handshake that failed
#   ladder_sample_all       sample.pcap, every connection; sample.pcapng read from
#                           standard input must print the same
#
# UPDATE_GOLDEN=1 rewrites the goldens (make golden); nothing else does.
#
# usage: tests/e2e/ladder.sh CLI
set -u
cli=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../need.sh"
needs ladder python3
data=$here/../data
golden=$here/golden
pass=0
fail=0
ok() { pass=$((pass + 1)); }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# golden NAME ARGS...: the ladders ARGS print equal golden/ladder_NAME.txt, with
# nothing on standard error and exit 0.
golden() {
    local name=$1
    shift
    "$cli" -q --no-color "$@" >"$tmp/$name" 2>"$tmp/err"
    local rc=$?
    local want=$golden/ladder_$name.txt
    if [ $rc -ne 0 ] || [ -s "$tmp/err" ]; then
        not_ok "ladder $name: exit $rc, stderr: $(head -c 300 "$tmp/err")"
    elif [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
        cp "$tmp/$name" "$want"
        ok
    elif [ ! -f "$want" ]; then
        not_ok "ladder $name: no golden file $want (make golden writes it; review it)"
    elif diff -u "$want" "$tmp/$name" >"$tmp/diff"; then
        ok
    else
        not_ok "ladder $name differs from its golden file:"
        head -40 "$tmp/diff"
    fi
}

hs=$data/handshakes.pcap
golden syn_retransmit -r "$hs" --ladder 11,10
golden half_open -r "$hs" --ladder 9
golden refused -r "$hs" --ladder 48,91
golden icmp -r "$hs" --ladder 115,117
golden simultaneous -r "$hs" --ladder 135
golden half_close -r "$hs" --ladder 67
golden half_close_data -r "$hs" --ladder 67 --ladder-data
golden rst -r "$hs" --ladder 50,59,148
golden failed -r "$hs" --ladder failed
golden sample_all -r "$data/sample.pcap" --ladder all

# Standard input (pcapng through its own reader) and a pcapng file: the same ladders.
for how in stdin file; do
    if [ $how = stdin ]; then
        "$cli" -q --no-color -r - --ladder all <"$data/sample.pcapng" >"$tmp/in" 2>"$tmp/err"
    else
        "$cli" -q --no-color -r "$data/sample.pcapng" --ladder all >"$tmp/in" 2>"$tmp/err"
    fi
    if [ $? -eq 0 ] && [ ! -s "$tmp/err" ] && cmp -s "$tmp/in" "$golden/ladder_sample_all.txt"; then
        ok
    else
        not_ok "sample.pcapng ($how): ladders differ from sample.pcap's: $(head -c 300 "$tmp/err")"
    fi
done

# The brackets equal the records' server_side_ns and client_side_ns, every connection
# of every capture; --threads is ignored (one thread) and the records are the same.
for cap in "$data"/*.pcap; do
    "$cli" -r "$cap" -o json -q >"$tmp/records.json"
    "$cli" -r "$cap" -q --no-color --threads 2 --ladder all --ladder-max 1000 >"$tmp/ladders.txt"
    if python3 "$here/ladder_check.py" "$tmp/records.json" "$tmp/ladders.txt" >"$tmp/check" 2>&1
    then
        ok
    else
        not_ok "$(basename "$cap"): ladders against the records:"
        head -20 "$tmp/check"
    fi
done
grep '^ladder_check' "$tmp/check"

# Selections: outcome=, slowest:N (slowest first), a filter.
ids=$("$cli" -r "$hs" -q --no-color --ladder outcome=refused,icmp_rejected |
    sed -n 's/^connection \([0-9]*\) .*/\1/p' | tr '\n' ' ')
if [ "$ids" = "48 91 115 117 " ]; then ok; else
    not_ok "--ladder outcome=refused,icmp_rejected: got connections $ids"
fi
got=$("$cli" -r "$hs" -q --no-color --ladder slowest:3 | sed -n 's/^  server side .* handshake \([0-9.]*\) ms .*/\1/p' | tr '\n' ' ')
want=$("$cli" -r "$hs" -o json -q | python3 -c '
import json, sys
v = sorted((r["handshake_ns"] for r in map(json.loads, sys.stdin) if r.get("handshake_ns") is not None), reverse=True)[:3]
print(" ".join("%.3f" % round(x / 1e6, 3) for x in v), end=" ")')
if [ "$got" = "$want" ]; then ok; else
    not_ok "--ladder slowest:3: handshakes $got, want $want"
fi
# With a filter the ids count the packets it kept, in the ladders as in the records.
ids=$("$cli" -r "$hs" -q --no-color --ladder all 'tcp port 8012' |
    sed -n 's/^connection \([0-9]*\) .*/\1/p' | tr '\n' ' ')
want=$("$cli" -r "$hs" -o json -q 'tcp port 8012' | sed 's/^{"id":\([0-9]*\),.*/\1/' | sort -n | tr '\n' ' ')
if [ "$ids" = "$want" ] && [ "$ids" = "1 11 " ]; then ok; else
    not_ok "--ladder all 'tcp port 8012' (port reuse): got connections $ids, records $want"
fi

# The cap: at most --ladder-max ladders, the lowest ids, and a line on standard error.
"$cli" -r "$hs" -q --no-color --ladder all --ladder-max 3 >"$tmp/out" 2>"$tmp/err"
rc=$?
ids=$(sed -n 's/^connection \([0-9]*\) .*/\1/p' "$tmp/out" | tr '\n' ' ')
want_err='tcpshake: --ladder all: 22 connections selected, the 3 with the lowest ids drawn (the cap: --ladder-max)'
if [ $rc -eq 0 ] && [ "$ids" = "9 10 11 " ] && [ "$(cat "$tmp/err")" = "$want_err" ]; then ok; else
    not_ok "--ladder-max 3: exit $rc, connections $ids, stderr: $(head -c 300 "$tmp/err")"
fi
"$cli" -r "$hs" -q --no-color --ladder failed --ladder-max 50 >/dev/null 2>"$tmp/err"
if [ ! -s "$tmp/err" ]; then ok; else
    not_ok "--ladder failed under the cap: stderr $(head -c 300 "$tmp/err")"
fi

# A bad id: the ladders found are drawn, one line per id not in the input, exit 1.
"$cli" -r "$hs" -q --no-color --ladder 48,999999 >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && [ "$(cat "$tmp/err")" = "tcpshake: --ladder 999999: no connection with that id" ] &&
    grep -q '^connection 48 ' "$tmp/out"; then
    ok
else
    not_ok "--ladder 48,999999: exit $rc, stderr: $(head -c 300 "$tmp/err")"
fi

# Usage errors: exit 2, one line.
while IFS='|' read -r args want; do
    # shellcheck disable=SC2086
    "$cli" -r "$hs" $args >/dev/null 2>"$tmp/err"
    rc=$?
    if [ $rc -eq 2 ] && [ "$(cat "$tmp/err")" = "$want" ]; then ok; else
        not_ok "$args: exit $rc, stderr: $(head -c 300 "$tmp/err")"
    fi
done <<'EOF'
--ladder 0|tcpshake: --ladder 0: want record ids (ID[,ID...], at most 1000), all, failed, outcome=NAME[,NAME...] or slowest:N
--ladder 3,x|tcpshake: --ladder 3,x: want record ids (ID[,ID...], at most 1000), all, failed, outcome=NAME[,NAME...] or slowest:N
--ladder outcome=nope|tcpshake: --ladder outcome=nope: want outcome names (as in the records) separated by commas
--ladder slowest:0|tcpshake: --ladder slowest:0: want slowest:N with N from 1 to 1000
--ladder all --ladder-max 1001|tcpshake: --ladder-max 1001: want a number from 1 to 1000
--ladder 48 -o json|tcpshake: --ladder 48: the ladders are text, -o does not apply
--ladder 48 --by port|tcpshake: --ladder and --by: each replaces the records; choose one
--ladder slowest:3 --ladder-max 5|tcpshake: --ladder slowest:3: slowest:N already says how many; drop --ladder-max
--ladder-data|tcpshake: --ladder-data: only with --ladder
EOF

# Colour: only when asked (or on a terminal without NO_COLOR), as for the table.
"$cli" -r "$hs" -q --color --ladder 48 >"$tmp/color"
if grep -q $'\033\[31mrefused' "$tmp/color" && ! "$cli" -r "$hs" -q --ladder 48 | grep -q $'\033'; then
    ok
else
    not_ok "--color --ladder: want the outcome in red, and no escape without --color"
fi

echo "ladder: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
