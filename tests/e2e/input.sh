#!/usr/bin/env bash
# How capture input arrives (issue 14, red-team items 2, 3, 12, 13):
#  - a FIFO is read every time, with the output of the regular file;
#  - a file cut while it is read (copytruncate) ends with exit 1 and a
#    "truncated" line after every record read before the cut, never a signal;
#  - raw IP link type 14 with a BPF filter reads as it does without one;
#  - a pcapng file with an Ethernet and a raw-IP interface gives both
#    connections, from a file, from standard input and with a filter.
#
# usage: tests/e2e/input.sh CLI MAKE_HOSTILE GEN_TRACE
# Prints "ok - NAME" or "not ok - NAME: WHY" per check, then
# "input: N passed, M failed"; exits 1 if any failed.
set -u
if [ $# -ne 3 ]; then
    echo "usage: $0 CLI MAKE_HOSTILE GEN_TRACE" >&2
    exit 2
fi
cli=$1
make_hostile=$2
gen_trace=$3
here=$(cd "$(dirname "$0")" && pwd)
data=$here/../data

tmp=$(mktemp -d "${TMPDIR:-/tmp}/input.XXXXXX") || exit 1
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
cap=$tmp/cap
mkdir "$cap"
if ! "$make_hostile" "$cap"; then
    echo "not ok - make_hostile $cap failed"
    echo "input: 0 passed, 1 failed"
    exit 1
fi

pass=0
fail=0
why=""
add() { why=${why:+$why; }$1; }
finish() {
    if [ -z "$why" ]; then
        echo "ok - $1"
        pass=$((pass + 1))
    else
        echo "not ok - $1: $why"
        fail=$((fail + 1))
    fi
    why=""
}

# ------------------------------------------------------------------- FIFO

# 100 runs: the path is opened once, so a writer that has come and gone
# never leaves the reader waiting on a second open.
ref=$tmp/fifo.ref
"$cli" -r "$data/handshakes.pcap" -o json -q >"$ref" 2>&1
mkfifo "$tmp/ff"
bad=0
for i in $(seq 1 100); do
    cat "$data/handshakes.pcap" >"$tmp/ff" &
    writer=$!
    timeout 10 "$cli" -r "$tmp/ff" -o json -q >"$tmp/fifo.out" 2>&1
    rc=$?
    kill "$writer" 2>/dev/null
    wait "$writer" 2>/dev/null
    if [ $rc -ne 0 ] || ! cmp -s "$ref" "$tmp/fifo.out"; then
        bad=$((bad + 1))
        [ $bad -eq 1 ] && add "run $i: exit $rc, output differs from the regular file's"
    fi
done
[ $bad -eq 0 ] || add "$bad of 100 runs failed"
finish "FIFO input, 100 runs, same output as the file"

# A pcapng file through a FIFO, too (libpcap reads it from the one open file).
cat "$data/sample.pcapng" >"$tmp/ff" &
timeout 10 "$cli" -r "$tmp/ff" -o json -q >"$tmp/fifo.out" 2>&1
rc=$?
wait
"$cli" -r "$data/sample.pcapng" -o json -q >"$ref" 2>&1
[ $rc -eq 0 ] || add "exit $rc"
cmp -s "$ref" "$tmp/fifo.out" || add "output differs from the regular file's"
finish "FIFO input, pcapng"

# ------------------------------------------------------- cut while read

# A file cut while tcpshake reads it (log rotation with copytruncate). Where
# the cut lands depends on timing: before the open it is just a shorter file,
# after the end it is not seen. Whichever: never a signal; exit 0 or 1; on
# exit 1 one "truncated" line and a record for every connection the summary
# counts. (The exact cut between two reads is tests/unit/test_pcapfile.c.)
big=$tmp/big.pcap
"$gen_trace" -o "$tmp/orig.pcap" -p 150000 -s 7 >/dev/null 2>&1 || add "gen_trace failed"
cut_seen=0
for size in 40000000 20000000 5000000 30000011 1000003 50000000; do
    cp "$tmp/orig.pcap" "$big"
    "$cli" -r "$big" -o json >"$tmp/cut.out" 2>"$tmp/cut.err" &
    reader=$!
    pids="$reader"
    # Cut as soon as the reader has the file open.
    for _ in $(seq 1 2000); do
        ls -l "/proc/$reader/fd" 2>/dev/null | grep -qF "$big" && break
        kill -0 "$reader" 2>/dev/null || break
    done
    truncate -s "$size" "$big"
    wait "$reader"
    rc=$?
    pids=""
    if [ $rc -gt 1 ]; then
        add "cut to $size: exit $rc ($(tail -n 1 "$tmp/cut.err"))"
        continue
    fi
    conns=$(awk '$1 == "connections" { print $2; exit }' "$tmp/cut.err")
    recs=$(wc -l <"$tmp/cut.out")
    [ "$conns" = "$recs" ] || add "cut to $size: $recs records for $conns connections"
    if [ $rc -eq 1 ]; then
        [ "$(grep -c '^tcpshake: ' "$tmp/cut.err")" -eq 1 ] || add "cut to $size: want one error line"
        tail -n 1 "$tmp/cut.err" | grep -q '^tcpshake: .*truncated' ||
            add "cut to $size: last line is not a 'truncated' error: $(tail -n 1 "$tmp/cut.err")"
        grep -q 'truncated while being read' "$tmp/cut.err" && cut_seen=$((cut_seen + 1))
    fi
done
finish "file cut while read: exit 0 or 1, never a signal; records and summary kept ($cut_seen cut mid-read)"

# ---------------------------------------------------- raw IP link type 14

run() {
    timeout 20 "$cli" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}
# records FILE: the client ports of the json records, space-separated, in order.
ports() { grep -o '"port":400[0-9][0-9]' "$1" | cut -d: -f2 | tr '\n' ' '; }

run -r "$cap/raw14.pcap" -o json -q
want=$(ports "$tmp/out")
[ "$want" = "40000 " ] || add "without a filter: want the connection from port 40000, got '$want'"
for filter in tcp "tcp port 80" "host 10.1.1.2"; do
    run -r "$cap/raw14.pcap" -o json -q "$filter"
    [ $rc -eq 0 ] || add "'$filter': exit $rc: $(head -c 200 "$tmp/err")"
    [ "$(ports "$tmp/out")" = "$want" ] || add "'$filter': records differ from the unfiltered run"
done
run -r "$cap/raw14.pcap" -o json -q "tcp port 81"
[ $rc -eq 0 ] && [ ! -s "$tmp/out" ] || add "'tcp port 81': want no record, exit 0; got exit $rc"
timeout 20 "$cli" -r - -o json -q tcp <"$cap/raw14.pcap" >"$tmp/out" 2>"$tmp/err"
[ "$(ports "$tmp/out")" = "$want" ] || add "-r - with 'tcp': records differ"
finish "raw IP link type 14 with a filter reads as without"

# ---------------------------------------- pcapng with two link types

two=$cap/pcapng_two_links.pcapng
run -r "$two" -o json -q
[ $rc -eq 0 ] || add "exit $rc: $(head -c 200 "$tmp/err")"
[ "$(ports "$tmp/out")" = "40000 40001 " ] || add "want connections from 40000 and 40001, got '$(ports "$tmp/out")'"
[ "$(grep -c '"outcome":"established"' "$tmp/out")" -eq 2 ] || add "want both established"
cp "$tmp/out" "$tmp/two.json"
timeout 20 "$cli" -r - -o json -q <"$two" >"$tmp/out" 2>"$tmp/err"
cmp -s "$tmp/two.json" "$tmp/out" || add "-r - differs from the file"
run -r "$two" -o json -q "tcp port 80"
cmp -s "$tmp/two.json" "$tmp/out" || add "filter 'tcp port 80' differs: $(head -c 200 "$tmp/err")"
run -r "$two" -o json -q "src port 40001 or dst port 40001"
[ "$(ports "$tmp/out")" = "40001 " ] || add "filter on port 40001: got '$(ports "$tmp/out")'"
timeout 20 "$cli" -r - -o json -q "src port 40000 or dst port 40000" <"$two" >"$tmp/out" 2>"$tmp/err"
[ "$(ports "$tmp/out")" = "40000 " ] || add "-r - with a filter on port 40000: got '$(ports "$tmp/out")'"
run -r "$two" -o table --no-color
grep -q '^  packets read  *6$' "$tmp/out" || add "table: want 6 packets read"
finish "pcapng with Ethernet and raw-IP interfaces: both connections, file, stdin, filter"

echo "input: $pass passed, $fail failed"
[ $fail -eq 0 ]
