#!/bin/sh
# hash.sh - part of `make bench`, also run alone: what the keyed flow hash costs and buys.
# Prints figures; asserts nothing.
#
# Usage: bench/hash.sh BUILD_DIR [HASH_SYNS]   (the tools: make bench's prerequisites)
set -eu
build=$1 hash_syns=${2:-100000}
dir=$build/bench
cli=$build/tcpshake
run=$dir/runner

# The keyed flow hash (issue 14 §1). Before and after in one run: the old unkeyed hash
# against SipHash-1-3 per key; then HASH_SYNS SYNs whose flows all land in 4096 of the
# default table's 2^19 slots under one pinned key, against as many random-source SYNs:
# with the real (random) key the two cost the same; with the key they were crafted for,
# the probe window keeps the cost per packet bounded (the slots looked at are shown).
"$dir"/hashbench
pinned=00112233445566778899aabbccddeeff
"$build"/tests/hash_flood craft "$pinned" "$hash_syns" "$dir/hash-crafted.pcap"
"$build"/tests/hash_flood random "$hash_syns" "$dir/hash-random.pcap"
echo
$run -h
for cap in crafted random; do
    $run -n "$hash_syns" "$hash_syns $cap SYNs, random key" -- \
        "$cli" -r "$dir/hash-$cap.pcap" -o json -q --threads 1
done
# shellcheck disable=SC2016 # $0, $1 and $2 are the inner shell's
$run -n "$hash_syns" "$hash_syns crafted SYNs, pinned key" -- \
    sh -c 'TCPSHAKE_HASH_KEY=$0 exec "$1" -r "$2" -o json -q --threads 1' "$pinned" "$cli" \
    "$dir/hash-crafted.pcap"
for key in random "$pinned"; do
    for cap in crafted random; do
        echo "slots looked at, $cap, key $key: $("$build"/tests/hash_flood cost "$key" \
            "$dir/hash-$cap.pcap")"
    done
done
rm -f "$dir/hash-crafted.pcap" "$dir/hash-random.pcap"
