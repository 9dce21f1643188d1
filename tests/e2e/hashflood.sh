#!/usr/bin/env bash
# Hash flooding (issue 14 §1): SYNs whose sources were chosen so that, under one
# pinned key, every flow's home slot in the default-size flow table lies in the
# same 4096 of its 524288 slots, against as many SYNs from random sources. The
# cost is the flow table's count of slots looked at (tcpshake_stats.flow_probes,
# printed by hash_flood cost), never a timing:
#   (a) with a random key the crafted capture costs at most 1.5 x the random one;
#   (b) the output does not depend on the key: a random key, two pinned ones, and
#       --threads 3 (keyed routing to two workers) print the same bytes;
#   (c) with the key the SYNs were crafted for, the probe window still bounds the
#       cost per packet (and the summary says which evictions it made).
#
# usage: tests/e2e/hashflood.sh CLI HASH_FLOOD
set -u
cli=$1
tool=$2
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; }

N=20000
WINDOW=128 # FLOWTAB_WINDOW in src/flowtab.h
pinned=00112233445566778899aabbccddeeff
other1=0f1e2d3c4b5a69788796a5b4c3d2e1f0
other2=ffffffffffffffffffffffffffffffff

if ! "$tool" craft "$pinned" $N "$tmp/crafted.pcap" 2>"$tmp/err" ||
    ! "$tool" random $N "$tmp/random.pcap" 2>>"$tmp/err"; then
    echo "not ok - hash_flood could not write the captures: $(cat "$tmp/err")"
    echo "hashflood: 0 passed, 1 failed"
    exit 1
fi

# field NAME LINE: the number after NAME in a "hash_flood cost" line.
field() { echo "$2" | sed -n "s/.*$1 \([0-9]*\).*/\1/p"; }

real_crafted=$("$tool" cost random "$tmp/crafted.pcap")
real_random=$("$tool" cost random "$tmp/random.pcap")
pinned_crafted=$("$tool" cost "$pinned" "$tmp/crafted.pcap")
pinned_random=$("$tool" cost "$pinned" "$tmp/random.pcap")
echo "hashflood: random key:  crafted $real_crafted; random $real_random"
echo "hashflood: pinned key:  crafted $pinned_crafted; random $pinned_random"

pc=$(field probes "$real_crafted")
pr=$(field probes "$real_random")
n=$(field packets "$real_crafted")
if [ "$n" != $N ] || [ -z "$pc" ] || [ -z "$pr" ]; then
    not_ok "hash_flood cost: want $N packets and probe counts, got: $real_crafted / $real_random"
elif [ $((pc * 2)) -le $((pr * 3)) ] && [ "$(field crowded "$real_crafted")" = 0 ]; then
    ok
else
    not_ok "(a) random key: crafted capture cost $pc probes, random one $pr (want <= 1.5 x, none crowded)"
fi

# (c) The attack is real (the crafted flows do collide under the pinned key: many
# crowded windows, and far more probes than random traffic), and bounded: per packet,
# a lookup, the window check and the insertion or reuse each look at most at one
# window, and each flow's removal at the end at most at 2 windows + 1.
pp=$(field probes "$pinned_crafted")
pcrowd=$(field crowded "$pinned_crafted")
if [ -n "$pp" ] && [ "${pcrowd:-0}" -gt $((N / 2)) ] && [ "$pp" -gt $((pr * 10)) ] &&
    [ "$pp" -le $((N * (5 * WINDOW + 1))) ]; then
    ok
else
    not_ok "(c) pinned key: crafted capture: $pinned_crafted (want > $((N / 2)) crowded, > 10 x $pr probes, <= $((N * (5 * WINDOW + 1))))"
fi
if [ "$(field probes "$pinned_random")" -le $((pr * 3 / 2)) ] 2>/dev/null; then ok; else
    not_ok "(c) pinned key: random capture: $pinned_random vs $real_random"
fi

# (b) Byte-identical output for any key (none crowded), records and summary, on one
# thread and on three (two workers: the routing is keyed too).
for cap in crafted random; do
    "$cli" -r "$tmp/$cap.pcap" -o table --no-color --threads 1 >"$tmp/$cap.ref" 2>"$tmp/err"
    rc=$?
    if [ $rc -ne 0 ] || [ -s "$tmp/err" ]; then
        not_ok "$cap: exit $rc: $(head -c 300 "$tmp/err")"
        continue
    fi
    for key in "$other1" "$other2"; do
        TCPSHAKE_HASH_KEY=$key "$cli" -r "$tmp/$cap.pcap" -o table --no-color --threads 1 \
            >"$tmp/out" 2>&1
        if cmp -s "$tmp/$cap.ref" "$tmp/out"; then ok; else
            not_ok "(b) $cap: TCPSHAKE_HASH_KEY=$key changes the output"
            diff "$tmp/$cap.ref" "$tmp/out" | head -10
        fi
    done
    "$cli" -r "$tmp/$cap.pcap" -o json -q --threads 1 >"$tmp/ref.json" 2>&1
    for key in random "$other1"; do
        if [ $key = random ]; then
            "$cli" -r "$tmp/$cap.pcap" -o json -q --threads 3 >"$tmp/out" 2>&1
        else
            TCPSHAKE_HASH_KEY=$key "$cli" -r "$tmp/$cap.pcap" -o json -q --threads 3 >"$tmp/out" 2>&1
        fi
        if cmp -s "$tmp/ref.json" "$tmp/out"; then ok; else
            not_ok "(b) $cap: --threads 3 with key $key differs from --threads 1"
        fi
    done
done

# The crowded evictions the pinned key causes are counted in the summary.
TCPSHAKE_HASH_KEY=$pinned "$cli" -r "$tmp/crafted.pcap" -o table --no-color --threads 1 \
    >"$tmp/out" 2>&1
if grep -q "of which: hash window full *$pcrowd\$" "$tmp/out"; then ok; else
    not_ok "pinned key: summary does not say '$pcrowd' hash-window evictions: $(grep -A1 'flow table evictions' "$tmp/out")"
fi
if grep -q "hash window" "$tmp/crafted.ref"; then
    not_ok "random key: the summary shows hash-window evictions"
else
    ok
fi

# A bad key is a usage error.
TCPSHAKE_HASH_KEY=0123 "$cli" -r "$tmp/random.pcap" -o json -q >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 2 ] && grep -q "TCPSHAKE_HASH_KEY: want 32 hex digits" "$tmp/err"; then ok; else
    not_ok "TCPSHAKE_HASH_KEY=0123: want exit 2 and a message, got $rc: $(cat "$tmp/err")"
fi

echo "hashflood: $pass passed, $fail failed"
[ $fail -eq 0 ]
