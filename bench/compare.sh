#!/bin/sh
# compare.sh - the body of `make bench-compare`: an OLD tcpshake binary and the NEW one run
# interleaved on the same traces, round by round (old then new in odd rounds, new then old
# in even ones, so that neither always runs first), and the median wall time of each with
# the ratio new / old per trace and mode. A slow spell of a shared machine then falls on
# both. Prints figures; asserts nothing.
#
# Usage: bench/compare.sh BUILD_DIR OLD NEW ROUNDS TRACE...
#   TRACE is a capture file, or gen:PACKETS (the bench trace of that many packets, seed 1),
#   flood:SYNS (a pure SYN flood), ooo:SEGMENTS (one reordered connection, headers only) or
#   tls:PACKETS (a TLS-heavy trace: gen_trace --tls 80), generated once under BUILD_DIR/bench
#   as make bench does.
set -eu
build=$1 old=$2 new=$3 rounds=$4
shift 4
dir=$build/bench
run=$dir/runner

for bin in "$old" "$new"; do
    if [ ! -x "$bin" ]; then
        echo "bench-compare: $bin: not an executable (OLD=path/to/old/tcpshake)" >&2
        exit 2
    fi
done

# trace_file SPEC: the file a TRACE argument names, generated when missing.
trace_file() {
    case $1 in
    gen:*) file=$dir/trace-${1#gen:}-1.pcap set="-p ${1#gen:} -s 1" ;;
    flood:*) file=$dir/flood-${1#flood:}-1.pcap set="-c 0 -p ${1#flood:} --flood ${1#flood:} --scan 0 -s 1" ;;
    ooo:*) file=$dir/ooo-${1#ooo:}-1.pcap set="--ooo ${1#ooo:} --snaplen 96 -s 1" ;;
    tls:*) file=$dir/tls-${1#tls:}-1.pcap set="-p ${1#tls:} --tls 80 -s 1" ;;
    *) file=$1 set= ;;
    esac
    if [ -n "$set" ] && [ ! -s "$file" ]; then
        # shellcheck disable=SC2086 # $set is a list of arguments
        "$dir"/gen_trace -o "$file.tmp" $set >&2
        mv "$file.tmp" "$file"
    fi
    echo "$file"
}

# median FILE: the median of the numbers in FILE, one a line.
median() {
    sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
        else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "old: $old"
echo "new: $new"
echo "rounds: $rounds, interleaved; figures are medians of wall time"
printf '\n%-28s %-24s %10s %10s %9s %12s %12s\n' trace mode "old s" "new s" "new/old" \
    "old range" "new range"
for spec in "$@"; do
    trace=$(trace_file "$spec")
    # Read afresh into the page cache, as make bench does (bench.sh, measure).
    dd if="$trace" iflag=nocache count=0 status=none 2>/dev/null || true
    cat "$trace" >/dev/null
    for mode in "json --threads 1" "json" "zeek"; do
        fmt=${mode%% *}
        extra=${mode#"$fmt"}
        : >"$tmp/old" && : >"$tmp/new"
        r=1
        while [ "$r" -le "$rounds" ]; do
            if [ $((r % 2)) -eq 1 ]; then order="old new"; else order="new old"; fi
            for which in $order; do
                if [ "$which" = old ]; then bin=$old; else bin=$new; fi
                # shellcheck disable=SC2086 # $extra is a list of arguments
                "$run" -w "$tmp/w" "$which" -- "$bin" -r "$trace" -o "$fmt" -q $extra >/dev/null
                read -r ns _ <"$tmp/w"
                echo "$ns" >>"$tmp/$which"
            done
            r=$((r + 1))
        done
        mo=$(median "$tmp/old") mn=$(median "$tmp/new")
        lo_o=$(sort -n "$tmp/old" | head -1) hi_o=$(sort -n "$tmp/old" | tail -1)
        lo_n=$(sort -n "$tmp/new" | head -1) hi_n=$(sort -n "$tmp/new" | tail -1)
        awk -v t="$(basename "$trace")" -v m="-o $fmt -q$extra" -v o="$mo" -v n="$mn" \
            -v lo="$lo_o" -v ho="$hi_o" -v ln="$lo_n" -v hn="$hi_n" 'BEGIN {
            printf "%-28s %-24s %10.3f %10.3f %9.3f %12s %12s\n", t, m,
                o / 1e9, n / 1e9, n / o, sprintf("%.3f-%.3f", lo / 1e9, ho / 1e9),
                sprintf("%.3f-%.3f", ln / 1e9, hn / 1e9) }'
    done
done
