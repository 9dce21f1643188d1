#!/bin/sh
# live.sh - the body of `make bench-live`: the rate live capture (-i) sustains. A network
# namespace with a veth pair in it (unique names, removed on exit); tcpshake -i on one end,
# the project's sender (bench/blast.c: the trace's frames from memory, 256 a system call)
# writing a trace into the other as fast as it goes, then SIGINT and the summary's kernel
# counters. Each trace (a generated normal trace and a pure SYN flood) runs with the default
# capture buffer and with -B BIG; when the kernel dropped packets at top speed, the rate is
# searched: halved until nothing is dropped, then bisected between the two, to the highest
# rate tried with no drop. Last, the capture is stopped during a flood into the smallest
# buffer, to show the summary's drop counters when drops happen. Prints figures; asserts
# nothing. Needs root and ip.
#
# Usage: bench/live.sh BUILD_DIR PACKETS SYNS BIG_KIB [THREADS]
set -eu
build=$1 packets=$2 syns=$3 big=$4 threads=${5:-0}
dir=$build/bench
cli=$(cd "$(dirname "$build/tcpshake")" && pwd)/tcpshake
blast=$(cd "$dir" && pwd)/blast
command -v ip >/dev/null || { echo "bench-live: needs ip (apt-get install iproute2)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench-live: needs root (network namespaces, capture)" >&2; exit 2; }

sfx=$(printf '%04x' $$)
ns=tshkbl-$sfx
vtx=tshkbt$sfx
vrx=tshkbr$sfx
tmp=$(mktemp -d)
pid=
stop=0
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# One namespace, both ends of the pair in it: what the sender writes to one end arrives on
# the other, where tcpshake captures. No addresses: nothing answers, nothing is routed. A
# large MTU lets the generated trace's largest frames through.
ip netns add "$ns"
ip -n "$ns" link add "$vtx" type veth peer name "$vrx"
ip -n "$ns" link set lo up
for v in "$vtx" "$vrx"; do
    ip -n "$ns" link set "$v" mtu 9000 up
done

gen() {
    file=$1
    shift
    if [ ! -s "$file" ]; then
        "$dir"/gen_trace -o "$file.tmp" "$@"
        mv "$file.tmp" "$file"
    fi
}

# replay LABEL TRACE [PPS]: capture while the sender writes TRACE (at PPS frames a second;
# absent or 0: as fast as it goes); sets rate (what it sent per second) and drops.
replay() {
    label=$1 trace=$2 pps=${3:-0}
    ip netns exec "$ns" "$cli" -i "$vrx" -o json --threads "$threads" ${bsize:+-B "$bsize"} \
        >/dev/null 2>"$tmp/err" &
    pid=$!
    sleep 1 # the capture opens (a bench, not a test: no assertion rides on this)
    [ "$stop" = 0 ] || kill -STOP "$pid"
    ip netns exec "$ns" "$blast" "$vtx" "$trace" "$pps" >"$tmp/rep" 2>&1 || true
    [ "$stop" = 0 ] || kill -CONT "$pid"
    sleep 1
    kill -INT "$pid"
    wait "$pid" || true
    pid=
    read -r sent _ rate _ <"$tmp/rep" || true
    krecv=$(sed -n 's/^  kernel received *\([0-9]*\)$/\1/p' "$tmp/err")
    drops=$(sed -n 's/^  kernel dropped *\([0-9]*\)$/\1/p' "$tmp/err")
    idrops=$(sed -n 's/^  interface dropped *\([0-9]*\)$/\1/p' "$tmp/err")
    printf '%-40s %10s %12s %12s %10s %10s\n' "$label" "${sent:-?}" "${rate:-?}" \
        "${krecv:-?}" "${drops:-?}" "${idrops:-?}"
}

# bench LABEL TRACE: top speed; with drops, halve the rate until none, then bisect.
bench() {
    replay "$1, top speed" "$2"
    [ "${drops:-0}" != 0 ] || { echo "  $1: no drop at top speed (${rate:-?} pkt/s)"; return; }
    hi=${rate:-0} lo=0 tries=0
    while [ "${drops:-0}" != 0 ] && [ "$hi" -gt 1000 ] && [ $tries -lt 6 ]; do
        hi=$((hi / 2))
        tries=$((tries + 1))
        replay "$1, $hi pkt/s" "$2" "$hi"
    done
    [ "${drops:-0}" = 0 ] || { echo "  $1: drops at every rate tried"; return; }
    lo=$hi hi=$((hi * 2))
    for _ in 1 2 3; do
        mid=$(((lo + hi) / 2))
        replay "$1, $mid pkt/s" "$2" "$mid"
        if [ "${drops:-0}" = 0 ]; then lo=$mid; else hi=$mid; fi
    done
    echo "  $1: no drop up to $lo pkt/s (drops at $hi)"
}

ntrace=$dir/live-$packets-1.pcap
ftrace=$dir/live-flood-$syns-1.pcap
gen "$ntrace" -p "$packets" -s 1
gen "$ftrace" -c 0 -p "$syns" --flood "$syns" --scan 0 -s 1
echo "machine: $(nproc) cores; tcpshake -i on a veth in namespace $ns, --threads $threads"
echo "(0: one per CPU); sender: bench/blast.c (sendmmsg, 256 frames a call, no qdisc)"
printf '%-40s %10s %12s %12s %10s %10s\n' run sent "sent pkt/s" "kernel recv" "kern drop" "if drop"
for b in default "$big"; do
    if [ "$b" = default ]; then bsize=; else bsize=$b; fi
    bench "normal $packets, -B $b" "$ntrace"
    bench "flood $syns SYNs, -B $b" "$ftrace"
done
# The counters when the kernel does drop: the capture stopped (SIGSTOP) while the flood is
# sent into the smallest buffer (-B 256), then resumed.
stop=1 bsize=256
replay "flood, reader stopped, -B 256" "$ftrace"
