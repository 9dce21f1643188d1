#!/bin/sh
# live.sh - the body of `make bench-live`: the rate live capture (-i) sustains. Two network
# namespaces joined by a veth pair (unique names, removed on exit); tcpshake -i on one end,
# tcpreplay --topspeed sending a trace out of the other, then SIGINT and the summary's
# kernel counters. Each trace (a generated normal trace and a pure SYN flood) runs with the
# default capture buffer and with -B BIG; when the kernel dropped packets at top speed the
# replay is repeated at a fixed rate, halving from tcpreplay's, down to the first rate
# with no drop. Last, the capture is stopped during a replay into the smallest buffer, to
# show the summary's drop counters when drops happen. Prints figures; asserts nothing.
# Needs root, ip and tcpreplay.
#
# Usage: bench/live.sh BUILD_DIR PACKETS SYNS BIG_KIB [THREADS]
set -eu
build=$1 packets=$2 syns=$3 big=$4 threads=${5:-0}
dir=$build/bench
cli=$(cd "$(dirname "$build/tcpshake")" && pwd)/tcpshake
for t in ip tcpreplay; do
    command -v "$t" >/dev/null || { echo "bench-live: needs $t (apt-get install iproute2 tcpreplay)" >&2; exit 2; }
done
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

# One namespace, both ends of the pair in it: what tcpreplay writes to one end arrives on
# the other, where tcpshake captures. No addresses: nothing answers, nothing is routed.
ip netns add "$ns"
ip -n "$ns" link add "$vtx" type veth peer name "$vrx"
ip -n "$ns" link set lo up
ip -n "$ns" link set "$vtx" up
ip -n "$ns" link set "$vrx" up

gen() {
    file=$1
    shift
    if [ ! -s "$file" ]; then
        "$dir"/gen_trace -o "$file.tmp" "$@"
        mv "$file.tmp" "$file"
    fi
}

# replay LABEL TRACE RATE_ARGS... : capture while tcpreplay sends TRACE; sets drops.
replay() {
    label=$1 trace=$2
    shift 2
    ip netns exec "$ns" "$cli" -i "$vrx" -o json --threads "$threads" ${bsize:+-B "$bsize"} \
        >/dev/null 2>"$tmp/err" &
    pid=$!
    sleep 1 # the capture opens (a bench, not a test: no assertion rides on this)
    [ "$stop" = 0 ] || kill -STOP "$pid"
    ip netns exec "$ns" tcpreplay -q -i "$vtx" "$@" "$trace" >"$tmp/rep" 2>&1 || true
    [ "$stop" = 0 ] || kill -CONT "$pid"
    sleep 1
    kill -INT "$pid"
    wait "$pid" || true
    pid=
    sent=$(sed -n 's/.*Successful packets: *\([0-9]*\).*/\1/p' "$tmp/rep" | head -1)
    rate=$(sed -n 's/.*Rated: .*, \([0-9.]*\) pps.*/\1/p' "$tmp/rep" | head -1)
    krecv=$(sed -n 's/^  kernel received *\([0-9]*\)$/\1/p' "$tmp/err")
    drops=$(sed -n 's/^  kernel dropped *\([0-9]*\)$/\1/p' "$tmp/err")
    idrops=$(sed -n 's/^  interface dropped *\([0-9]*\)$/\1/p' "$tmp/err")
    printf '%-40s %10s %12s %12s %10s %10s\n' "$label" "${sent:-?}" "${rate:-?}" \
        "${krecv:-?}" "${drops:-?}" "${idrops:-?}"
}

# bench LABEL TRACE: top speed, then halving rates until nothing is dropped.
bench() {
    replay "$1, topspeed" "$2" --topspeed
    top=${rate%.*}
    tries=0
    while [ "${drops:-0}" != 0 ] && [ -n "$top" ] && [ "$top" -gt 1000 ] && [ $tries -lt 5 ]; do
        top=$((top / 2))
        tries=$((tries + 1))
        replay "$1, --pps $top" "$2" --pps "$top"
    done
}

ntrace=$dir/live-$packets-1.pcap
ftrace=$dir/live-flood-$syns-1.pcap
gen "$ntrace" -p "$packets" -s 1
gen "$ftrace" -c 0 -p "$syns" --flood "$syns" --scan 0 -s 1
echo "machine: $(nproc) cores; tcpshake -i on a veth in namespace $ns, --threads $threads"
echo "(0: one per CPU); tcpreplay $(tcpreplay -V 2>&1 | sed -n 's/.*version: *\([^ ]*\).*/\1/p' | head -1)"
printf '%-40s %10s %12s %12s %10s %10s\n' run sent "sent pkt/s" "kernel recv" "kern drop" "if drop"
for b in default "$big"; do
    if [ "$b" = default ]; then bsize=; else bsize=$b; fi
    bench "normal $packets, -B $b" "$ntrace"
    bench "flood $syns SYNs, -B $b" "$ftrace"
done
# The counters when the kernel does drop: the capture stopped (SIGSTOP) while the flood is
# sent into the smallest buffer (-B 256), then resumed.
stop=1 bsize=256
replay "flood, reader stopped, -B 256" "$ftrace" --topspeed
