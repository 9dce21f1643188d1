#!/usr/bin/env bash
# Multi-core determinism: --threads 2 and 3 (the reader and one worker, or two that
# shard the connections) must print byte for byte what --threads 1 prints, for every
# capture in tests/data and (when present) ../shared/corpus. Records (json), handshake
# events and --stats-interval blocks (table, where all go to standard
# output in order). So must one thread analysing one packet at a time, as it does when
# saving only handshake packets (-w --handshake-only), rather than in batches (what a
# file read otherwise gets). Run by run.sh; TSAN=1 (make tsan) and SANITIZED=1 (make asan)
# run the tests/data part only: a sanitizer triples the corpus part's half minute
# by three, and make asan-corpus already runs every corpus capture under ASan + UBSan.
# Without the corpus: a failure under CI, skipped elsewhere.
#
# With GEN_TRACE, also a generated trace of 40 000 flood SYNs among ordinary traffic over
# five minutes, whose records come thick enough that the CLI starts its writer thread in
# the middle of the run (cli/main.c, start_writer): the records before it and after it
# must still come out in the order one thread gives. And a trace of nothing but SYNs into
# a small table, with two threads (the reader takes the worker's engine for a while):
# records, interval blocks among them, and --by rows.
#
# usage: tests/e2e/threads.sh CLI [GEN_TRACE]
set -u
cli=$1
gen_trace=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
corpus=${TCPSHAKE_CORPUS:-$here/../../../shared/corpus}
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# same NAME ARGS...: the output of ARGS with 1, 2 and 3 threads (those in $counts, when
# set), and with one thread unbatched, is identical, and so is the summary's "peak flows"
# (connections tracked at once, counted across the workers) when ARGS print a summary.
same() {
    name=$1
    shift
    "$cli" "$@" --threads 1 >"$tmp/t1" 2>"$tmp/e1"
    rc1=$?
    for t in ${counts:-2 3} unbatched; do
        if [ "$t" = unbatched ]; then
            "$cli" "$@" --threads 1 -w "$tmp/hs.pcap" --handshake-only >"$tmp/tn" 2>"$tmp/err"
        else
            "$cli" "$@" --threads "$t" >"$tmp/tn" 2>"$tmp/err"
        fi
        rc=$?
        if [ $rc -ne $rc1 ] || grep -q 'Sanitizer\|runtime error' "$tmp/err"; then
            fail=$((fail + 1))
            echo "not ok - $name --threads $t: exit $rc (1 thread: $rc1) $(head -c 300 "$tmp/err")"
        elif [ "$(grep 'peak flows' "$tmp/e1")" != "$(grep 'peak flows' "$tmp/err")" ]; then
            fail=$((fail + 1))
            echo "not ok - $name --threads $t: $(grep 'peak flows' "$tmp/err"), 1 thread:" \
                "$(grep 'peak flows' "$tmp/e1")"
        elif cmp -s "$tmp/t1" "$tmp/tn"; then
            pass=$((pass + 1))
        else
            fail=$((fail + 1))
            echo "not ok - $name: --threads $t output differs from --threads 1"
            diff "$tmp/t1" "$tmp/tn" | head -6
        fi
    done
}

for cap in "$here"/../data/*.pcap "$here"/../data/*.pcapng; do
    [ -e "$cap" ] || continue
    name=$(basename "$cap")
    same "$name" -r "$cap" -o json -q
    same "$name events" -r "$cap" -o json -q --events all
    same "$name summary" -r "$cap" -o json
    same "$name intervals" -r "$cap" -o table --no-color --events all --stats-interval 1 -q
done

if [ -n "$gen_trace" ]; then
    if "$gen_trace" -o "$tmp/flood.pcap" -p 100000 --flood 40000 -d 300 -s 3 >/dev/null 2>&1; then
        same "generated flood" -r "$tmp/flood.pcap" -o json -q
    else
        fail=$((fail + 1))
        echo "not ok - gen_trace could not write the flood trace"
    fi
    # Nothing but SYNs into a small table: every packet evicts, a record each, and
    # with two threads the reader takes the worker's engine to run it itself for a
    # while (src/lane/shard.c). Two threads only: with three, each of the two workers
    # has half the table, and other connections are evicted.
    if "$gen_trace" -o "$tmp/syns.pcap" -c 0 -p 60000 --flood 60000 --scan 0 -s 5 \
        >/dev/null 2>&1; then
        counts=2 same "generated SYNs" -r "$tmp/syns.pcap" -o json -q --max-flows 1024
        counts=2 same "generated SYNs, intervals" -r "$tmp/syns.pcap" -o table --no-color \
            --stats-interval 0.05 -q --max-flows 1024
        counts=2 same "generated SYNs --by" -r "$tmp/syns.pcap" --by server -q --max-flows 1024
    else
        fail=$((fail + 1))
        echo "not ok - gen_trace could not write the SYN flood"
    fi
fi

if [ "${TSAN:-0}" = 1 ] || [ "${SANITIZED:-0}" = 1 ]; then
    echo "threads: corpus part left to the plain build (sanitizer build)"
else
    if [ -d "$corpus" ]; then
        n=0
        while IFS= read -r cap; do
            same "corpus/${cap#"$corpus"/}" -r "$cap" -o json --events all
            n=$((n + 1))
        done < <(find "$corpus" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort)
        echo "threads: $n corpus captures compared"
    elif [ -n "${CI:-}" ]; then
        fail=$((fail + 1))
        echo "not ok - corpus absent (looked for $corpus; CI is set)"
    else
        echo "threads: corpus skipped: corpus absent (looked for $corpus)"
    fi
fi
echo "threads: $pass passed, $fail failed"
[ $fail -eq 0 ]
