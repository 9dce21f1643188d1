#!/bin/sh
# peers.sh - the body of `make bench-peers`: time the peer tools that happen to be installed
# (tshark, tcptrace, argus + ra) on a generated trace, against tcpshake -o json. Installs
# nothing (`make bench-deps` does); a missing tool gets a line saying so. Prints figures;
# asserts nothing.
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
# Read afresh into the page cache, as bench.sh's measure does (see there why).
sync "$trace"
dd if="$trace" iflag=nocache count=0 status=none
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
$run -n "$n" -b "$size" -B "$base" -M "$base_rss" "tcpshake -o json -q --threads 1" -- \
    "$cli" -r "$trace" -o json -q --threads 1

# tshark warns on stderr when run as root: silence it; exec keeps the pid the runner waits for.
if command -v tshark >/dev/null 2>&1; then
    $run -n "$n" -b "$size" -B "$base" -M "$base_rss" "tshark -q -z conv,tcp" -- \
        sh -c 'exec "$@" 2>/dev/null' sh tshark -n -r "$trace" -q -z conv,tcp
    $run -n "$n" -b "$size" -B "$base" -M "$base_rss" "tshark -T fields initial_rtt" -- \
        sh -c 'exec "$@" 2>/dev/null' sh tshark -n -r "$trace" -T fields \
        -e tcp.analysis.initial_rtt
else
    echo "tshark: not installed, skipped (make bench-deps installs it)"
fi
# tcptrace -n: without it every address is looked up in the DNS, which may never answer.
if command -v tcptrace >/dev/null 2>&1; then
    # It also warns on stderr (AVL_WhichDir) for many connections of the trace.
    $run -n "$n" -b "$size" -B "$base" -M "$base_rss" "tcptrace -n -l" -- \
        sh -c 'exec "$@" 2>/dev/null' sh tcptrace -n -l "$trace"
else
    echo "tcptrace: not installed, skipped (make bench-deps installs it)"
fi
if command -v argus >/dev/null 2>&1 && command -v ra >/dev/null 2>&1; then
    $run -n "$n" -b "$size" -B "$base" -M "$base_rss" "argus -r (to a file)" -- \
        argus -r "$trace" -w "$dir/peer.argus"
    $run -n "$n" -b "$size" -B "$base" -M "$base_rss" "ra -r (its records)" -- ra -r "$dir/peer.argus"
    rm -f "$dir/peer.argus"
else
    echo "argus: not installed, skipped (make bench-deps installs argus-server, argus-client)"
fi
