#!/bin/sh
# scale.sh - one trace, one and two threads, beside the libpcap read loop, in one run:
# ROUNDS rounds of (read loop, tcpshake --threads 1, tcpshake --threads 2), interleaved so a
# slow spell of a shared machine falls on all three, then one line of medians: each
# against the read loop, two threads over one, and the peak RSS. Called by bench.sh for
# the normal trace and the SYN flood; prints figures, asserts nothing.
#
# Usage: bench/scale.sh BUILD_DIR LABEL TRACE ROUNDS [TCPSHAKE_ARGS...]
#        (TCPSHAKE_ARGS default: -o json -q)
set -eu
build=$1 label=$2 trace=$3 rounds=$4
shift 4
[ $# -gt 0 ] || set -- -o json -q
dir=$build/bench
cli=$build/tcpshake
run=$dir/runner
n=$("$dir"/readloop "$trace" | cut -d' ' -f1)
size=$(stat -c %s "$trace")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# median FILE: the median of the first column of FILE's lines.
median() {
    sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

$run -h
i=1
while [ "$i" -le "$rounds" ]; do
    $run -n "$n" -b "$size" -w "$tmp/w" "$label: read loop" -- "$dir"/readloop "$trace"
    cat "$tmp/w" >>"$tmp/base"
    read -r base _ <"$tmp/w"
    for t in 1 2; do
        $run -n "$n" -b "$size" -B "$base" -w "$tmp/w" "$label: $* --threads $t" -- \
            "$cli" -r "$trace" "$@" --threads "$t"
        cat "$tmp/w" >>"$tmp/t$t"
    done
    i=$((i + 1))
done
awk '{ print $2 }' "$tmp/t1" >"$tmp/r1"
awk '{ print $2 }' "$tmp/t2" >"$tmp/r2"
b=$(median "$tmp/base") t1=$(median "$tmp/t1") t2=$(median "$tmp/t2")
r1=$(median "$tmp/r1") r2=$(median "$tmp/r2")
awk -v l="$label" -v n="$n" -v b="$b" -v t1="$t1" -v t2="$t2" -v r1="$r1" -v r2="$r2" \
    -v k="$rounds" 'BEGIN {
    printf "%s, medians of %d: read loop %.3f s; one thread %.3f s (%.2f x read loop, %.2f M pkt/s,",
           l, k, b / 1e9, t1 / 1e9, t1 / b, n / t1 * 1e3
    printf " peak %.1f MB); two threads %.3f s (%.2f x read loop, peak %.1f MB); two over one: %.2f x\n",
           r1 / 1024, t2 / 1e9, t2 / b, r2 / 1024, t1 / t2
}'
