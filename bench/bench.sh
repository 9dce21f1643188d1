#!/bin/sh
# bench.sh - the body of `make bench`: generate (once) and warm a trace, then time tcpshake
# in every output format against a bare libpcap read loop, and show that a SYN flood's
# memory is bounded by --max-flows and that one long reordered connection's memory does not
# grow with its segment count, and what the keyed flow hash costs and buys (a hash
# flood: SYNs crafted to collide, against random ones), and what reading TLS handshakes
# costs (a TLS-heavy trace, a fifth of the packets of the main one: gen_trace --tls 80).
# Prints figures; asserts nothing.
#
# Usage: bench/bench.sh BUILD_DIR PACKETS SEED FLOOD_SYNS [OOO_SEGMENTS [HASH_SYNS]]
set -eu
build=$1 packets=$2 seed=$3 flood=$4 ooo=${5:-1000000} hash_syns=${6:-100000}
dir=$build/bench
cli=$build/tcpshake
run=$dir/runner

# gen FILE ARGS...: write the trace unless a previous run left it (keyed by size and seed).
gen() {
    file=$1
    shift
    if [ -s "$file" ]; then
        echo "trace: $file (cached; delete it to regenerate)"
    else
        echo "trace: generating $file"
        "$dir"/gen_trace -o "$file.tmp" "$@"
        mv "$file.tmp" "$file"
    fi
}

# measure FILE: read the file afresh into the page cache, then set n (packets) and size
# (bytes). Dropping it first (dd iflag=nocache) makes the cache hold it as a file read
# from disk, in large folios, whatever earlier runs, small writes or reclaim left: a
# mapped file cached in 4 KiB pieces costs tcpshake a page fault per 64 KiB (6-10 % on
# the 2 M trace), and the read loop nothing (bench/README.md, "Fifth session").
measure() {
    sync "$1"
    dd if="$1" iflag=nocache count=0 status=none
    cat "$1" >/dev/null
    n=$("$dir"/readloop "$1" | cut -d' ' -f1)
    size=$(stat -c %s "$1")
    echo "       $n packets, $(( size / 1000000 )) MB, read afresh into the page cache"
}

echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
trace=$dir/trace-$packets-$seed.pcap
gen "$trace" -p "$packets" -s "$seed"
measure "$trace"
echo
$run -h
$run -n "$n" -b "$size" -w "$dir/base.ns" "libpcap read loop (baseline)" -- \
    "$dir"/readloop "$trace"
read -r base _ <"$dir/base.ns"
for i in 1 2 3; do
    $run -n "$n" -b "$size" -B "$base" "tcpshake -o json -q  (run $i)" -- \
        "$cli" -r "$trace" -o json -q --threads 1
done
# Connections sharded over 2 worker threads (the reader decodes and prints); the lines
# below run with the default, one worker per online CPU.
$run -n "$n" -b "$size" -B "$base" "tcpshake -o json -q --threads 2" -- \
    "$cli" -r "$trace" -o json -q --threads 2
for fmt in table csv zeek; do
    $run -n "$n" -b "$size" -B "$base" "tcpshake -o $fmt -q" -- "$cli" -r "$trace" -o "$fmt" -q
done
# shellcheck disable=SC2016 # $0 and $1 are the inner shell's
$run -n "$n" -b "$size" -B "$base" "tcpshake -o json (with summary)" -- \
    sh -c 'exec "$0" -r "$1" -o json 2>/dev/null' "$cli" "$trace"
# The HTML report (one thread, as --ladder): its cost against "--threads 1" above, its size.
$run -n "$n" -b "$size" -B "$base" "tcpshake -o json -q --html" -- \
    "$cli" -r "$trace" -o json -q --detect --html "$dir/report.html"
echo "--html: $(stat -c %s "$dir/report.html") bytes"
# One and two threads, interleaved with the read loop, and their ratios (bench/scale.sh).
echo
bench/scale.sh "$build" normal "$trace" "${BENCH_SCALE_ROUNDS:-3}"

# TLS-heavy: 80 % of the answered connections carry a TLS 1.3 handshake (gen_trace --tls),
# so most connections go through the handshake reader: its cost against the read loop, and
# against a trace of the same size and seed without TLS (the ns per packet of each).
echo
tls_packets=$((packets / 5))
ttrace=$dir/tls-$tls_packets-$seed.pcap
ptrace=$dir/trace-$tls_packets-$seed.pcap
gen "$ptrace" -p "$tls_packets" -s "$seed"
gen "$ttrace" -p "$tls_packets" -s "$seed" --tls 80
echo
$run -h
for t in "$ptrace" "$ttrace"; do
    measure "$t"
    what=$( [ "$t" = "$ttrace" ] && echo "tls" || echo "no tls")
    $run -n "$n" -b "$size" -w "$dir/base.ns" "$what: libpcap read loop" -- "$dir"/readloop "$t"
    read -r base _ <"$dir/base.ns"
    for i in 1 2; do
        $run -n "$n" -b "$size" -B "$base" "$what: json -q --threads 1 (run $i)" -- \
            "$cli" -r "$t" -o json -q --threads 1
    done
    $run -n "$n" -b "$size" -B "$base" "$what: json -q" -- "$cli" -r "$t" -o json -q
done
# shellcheck disable=SC2016 # $0 and $1 are the inner shell's
$run -n "$n" -b "$size" -B "$base" "tls: json (with summary)" -- \
    sh -c 'exec "$0" -r "$1" -o json 2>/dev/null' "$cli" "$ttrace"
"$cli" -r "$ttrace" -o json 2>&1 >/dev/null | grep -A8 '^tls:'

echo
ftrace=$dir/flood-$flood-$seed.pcap
gen "$ftrace" -c 0 -p "$flood" --flood "$flood" --scan 0 -s "$seed"
measure "$ftrace"
echo
$run -h
$run -n "$n" -b "$size" -w "$dir/base.ns" "flood: libpcap read loop" -- \
    "$dir"/readloop "$ftrace"
read -r base _ <"$dir/base.ns"
$run -n "$n" -b "$size" -B "$base" "flood: json, default --max-flows" -- \
    "$cli" -r "$ftrace" -o json -q
for cap in 65536 16384; do
    $run -n "$n" -b "$size" -B "$base" "flood: json, --max-flows $cap" -- \
        "$cli" -r "$ftrace" -o json -q --max-flows $cap
done
$run -n "$n" -b "$size" -B "$base" "flood: zeek, default --max-flows" -- \
    "$cli" -r "$ftrace" -o zeek -q
$run -n "$n" -b "$size" -B "$base" "flood: json, --html" -- \
    "$cli" -r "$ftrace" -o json -q --detect --html "$dir/flood.html"
echo "flood --html: $(stat -c %s "$dir/flood.html") bytes"
# The flood, one and two threads against the read loop, then aggregated (--by server).
echo
bench/scale.sh "$build" flood "$ftrace" "${BENCH_SCALE_ROUNDS:-3}"
echo
bench/scale.sh "$build" "flood --by server" "$ftrace" "${BENCH_SCALE_ROUNDS:-3}" --by server -q
# The mixed trace: BENCH_PACKETS packets of which BENCH_MIXED are flood SYNs from random
# sources, seed 7 (gen_trace --flood N -s 7; the Makefile's default is 3 in 10, 3 GB of disk
# at 10 M packets; BENCH_MIXED=0 leaves it out).
if [ "${BENCH_MIXED:-0}" != 0 ]; then
    echo
    mtrace=$dir/mixed-$packets-$BENCH_MIXED-7.pcap
    gen "$mtrace" -p "$packets" --flood "$BENCH_MIXED" -s 7
    measure "$mtrace"
    bench/scale.sh "$build" mixed "$mtrace" "${BENCH_SCALE_ROUNDS:-3}"
fi

# One connection, headers only (--snaplen 96), its segments reordered within a window of
# 64, 5 % sent twice, 5 % overlapping: peak RSS for 1000 segments and for $ooo, read by the
# mapped reader (-r FILE, which keeps a window of the file resident) and by libpcap (-r -).
echo
for segs in 1000 "$ooo"; do
    otrace=$dir/ooo-$segs-$seed.pcap
    gen "$otrace" --ooo "$segs" --snaplen 96 -s "$seed"
    measure "$otrace"
done
echo
$run -h
for segs in 1000 "$ooo"; do
    otrace=$dir/ooo-$segs-$seed.pcap
    n=$("$dir"/readloop "$otrace" | cut -d' ' -f1)
    size=$(stat -c %s "$otrace")
    $run -n "$n" -b "$size" "1 conn, $segs segs: json" -- \
        "$cli" -r "$otrace" -o json -q
    # shellcheck disable=SC2016 # $0 and $1 are the inner shell's
    $run -n "$n" -b "$size" "1 conn, $segs segs: json, -r -" -- \
        sh -c 'exec "$0" -r - -o json -q <"$1"' "$cli" "$otrace"
done
rm -f "$dir/base.ns"

# The keyed flow hash: its cost per key, and a hash flood (bench/hash.sh).
bench/hash.sh "$build" "$hash_syns"
