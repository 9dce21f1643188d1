#!/bin/sh
# peers.sh - the body of `make bench-peers`: time the peer tools that happen to be installed
# (tshark, tcptrace, argus + ra) on a generated trace, against tcpshake -o json. Installs
# nothing; a missing tool gets a line saying so. Prints figures; asserts nothing.
#
# Usage: bench/peers.sh BUILD_DIR PACKETS SEED
set -eu
build=$1 packets=$2 seed=$3
dir=$build/bench
cli=$build/tcpshake
run=$dir/runner

trace=$dir/trace-$packets-$seed.pcap
if [ -s "$trace" ]; then
    echo "trace: $trace (cached; delete it to regenerate)"
else
    echo "trace: generating $trace"
    "$dir"/gen_trace -o "$trace.tmp" -p "$packets" -s "$seed"
    mv "$trace.tmp" "$trace"
fi
cat "$trace" >/dev/null
n=$("$dir"/readloop "$trace" | cut -d' ' -f1)
size=$(stat -c %s "$trace")
echo "       $n packets, $(( size / 1000000 )) MB (BENCH_PEERS_PACKETS=$packets: peers are slow;"
echo "       x base and x RSS: each run's time and peak RSS over tcpshake -o json -q's)"
echo
$run -h
$run -n "$n" -b "$size" "libpcap read loop" -- "$dir"/readloop "$trace"
$run -n "$n" -b "$size" -w "$dir/peer.ns" "tcpshake -o json -q (base)" -- \
    "$cli" -r "$trace" -o json -q
read -r base base_rss <"$dir/peer.ns"
rm -f "$dir/peer.ns"

# tshark warns on stderr when run as root: silence it; exec keeps the pid the runner waits for.
if command -v tshark >/dev/null 2>&1; then
    $run -n "$n" -b "$size" -B "$base" -M "$base_rss" "tshark -q -z conv,tcp" -- \
        sh -c 'exec "$@" 2>/dev/null' sh tshark -n -r "$trace" -q -z conv,tcp
    $run -n "$n" -b "$size" -B "$base" -M "$base_rss" "tshark -T fields initial_rtt" -- \
        sh -c 'exec "$@" 2>/dev/null' sh tshark -n -r "$trace" -T fields \
        -e tcp.analysis.initial_rtt
else
    echo "tshark: not installed, skipped"
fi
if command -v tcptrace >/dev/null 2>&1; then
    $run -n "$n" -b "$size" -B "$base" -M "$base_rss" "tcptrace -l" -- tcptrace -l "$trace"
else
    echo "tcptrace: not installed, skipped"
fi
if command -v argus >/dev/null 2>&1 && command -v ra >/dev/null 2>&1; then
    $run -n "$n" -b "$size" -B "$base" -M "$base_rss" "argus -r (to a file)" -- \
        argus -r "$trace" -w "$dir/peer.argus"
    $run -n "$n" -b "$size" -B "$base" -M "$base_rss" "ra -r (its records)" -- ra -r "$dir/peer.argus"
    rm -f "$dir/peer.argus"
else
    echo "argus: not installed, skipped"
fi
