#!/usr/bin/env bash
# Several and compressed captures (tests/data/handshakes.pcap, see its README):
#
#   -r FILE -r FILE and -V LIST  merged by packet time into one analysis: the
#                      parts of a split capture, in any order, give the records
#                      of the whole one (a connection crossing files is one);
#                      files of different link types merge;
#   gzip and zstd      read directly, from a file and from standard input, with
#                      the records of the plain file;
#   bad input          a truncated gzip, a zstd bomb (bounded memory), an empty
#                      list, a list naming a missing file, a second file where the
#                      filter goes, '-' twice: one clear line each and the exit
#                      status; what was read before a fault is still reported.
#
# usage: tests/e2e/inputs.sh CLI
set -u
cli=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
# The goldens are made without a p0f database (labels depend on the machine): the same here.
run_cli() { "$cli" --p0f-db none "$@"; }
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../need.sh"
needs inputs python3 editcap zstd
data=$here/../data
cap=$data/handshakes.pcap
golden=$here/golden
pass=0
fail=0
ok() { pass=$((pass + 1)); }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; }
export TCPSHAKE_HASH_KEY=00112233445566778899aabbccddeeff

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# one_line FILE WANT: FILE holds exactly the line WANT.
one_line() {
    [ "$(wc -l <"$1")" -eq 1 ] && [ "$(cat "$1")" = "$2" ]
}

# --- merged files ------------------------------------------------------------------
# Split in five parts of 40 packets: connections cross the cuts.
editcap -c 40 "$cap" "$tmp/part.pcap" >/dev/null
parts=("$tmp"/part_*.pcap)
whole_n=$(wc -l <"$golden/handshakes.pcap.json")
split_n=0
for p in "${parts[@]}"; do
    split_n=$((split_n + $(run_cli -r "$p" -o json -q | wc -l)))
done
if [ "${#parts[@]}" -eq 5 ] && [ "$split_n" -gt "$whole_n" ]; then ok; else
    not_ok "split: want 5 parts whose own records ($split_n) outnumber the whole's ($whole_n)"
fi
args=()
for p in "${parts[@]}"; do args+=(-r "$p"); done
for fmt in json csv zeek; do
    run_cli "${args[@]}" -o "$fmt" -q >"$tmp/merged.$fmt" 2>"$tmp/err"
    if [ $? -eq 0 ] && [ ! -s "$tmp/err" ] && cmp -s "$tmp/merged.$fmt" "$golden/handshakes.pcap.$fmt"; then
        ok
    else
        not_ok "-r x5 -o $fmt: not the records of the whole capture: $(head -c 300 "$tmp/err")"
    fi
done
# The table's summary too (packets read, connections ...), and the order given does not matter.
rev=()
for ((i = ${#parts[@]} - 1; i >= 0; i--)); do rev+=(-r "${parts[$i]}"); done
run_cli "${rev[@]}" -o table --no-color --threads 1 >"$tmp/rev.table" 2>"$tmp/err"
if cmp -s "$tmp/rev.table" "$golden/handshakes.pcap.table"; then ok; else
    not_ok "-r parts in reverse order: table differs from the whole capture's"
    diff "$golden/handshakes.pcap.table" "$tmp/rev.table" | head -10
fi
printf '%s\n' "${parts[@]}" >"$tmp/list"
printf '\n' >>"$tmp/list" # a blank line is skipped
if run_cli -V "$tmp/list" -o json -q | cmp -s - "$golden/handshakes.pcap.json"; then ok; else
    not_ok "-V LIST: not the records of the whole capture"
fi
# Two threads merge the same.
if run_cli "${args[@]}" -o json -q --threads 2 | cmp -s - "$golden/handshakes.pcap.json"; then ok; else
    not_ok "-r x5 --threads 2: not the records of the whole capture"
fi
# -w writes the merged packets back: the whole capture's packets, in its order.
run_cli "${rev[@]}" -q -o json -w "$tmp/back.pcap" >/dev/null
if run_cli -r "$tmp/back.pcap" -o json -q | cmp -s - "$golden/handshakes.pcap.json"; then ok; else
    not_ok "-w of merged files: its records differ from the whole capture's"
fi
# -w never overwrites one of the inputs, the second one included.
run_cli -r "${parts[0]}" -r "${parts[1]}" -q -w "${parts[1]}" >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && editcap -c 1000 "${parts[1]}" /dev/null 2>/dev/null; then
    ok
else
    not_ok "-w naming the second input: exit $rc (want 2), $(cat "$tmp/err")"
fi
# Different link types (Ethernet and Linux cooked) merge: every packet is read.
sll=$data/client_linux_sll.pcap
n1=$(run_cli -r "$cap" -o table --no-color | sed -n 's/^  packets read  *//p')
n2=$(run_cli -r "$sll" -o table --no-color | sed -n 's/^  packets read  *//p')
n=$(run_cli -r "$cap" -r "$sll" -o table --no-color 2>"$tmp/err" | sed -n 's/^  packets read  *//p')
if [ -n "$n" ] && [ "$n" -eq $((n1 + n2)) ] && [ ! -s "$tmp/err" ]; then ok; else
    not_ok "Ethernet + SLL merged: $n packets read, want $((n1 + n2)); $(head -c 200 "$tmp/err")"
fi

# --- compressed --------------------------------------------------------------------
gzip -c "$cap" >"$tmp/c.pcap.gz"
zstd -q -c "$cap" >"$tmp/c.pcap.zst"
gzip -c "$data/sample.pcapng" >"$tmp/ng.gz"
for f in c.pcap.gz c.pcap.zst; do
    if run_cli -r "$tmp/$f" -o json -q | cmp -s - "$golden/handshakes.pcap.json" &&
        run_cli -r - -o json -q <"$tmp/$f" | cmp -s - "$golden/handshakes.pcap.json"; then
        ok
    else
        not_ok "$f (file and standard input): not the records of the plain file"
    fi
done
if run_cli -r "$tmp/ng.gz" -o json -q 'tcp port 8003' |
    cmp -s - <(run_cli -r "$data/sample.pcapng" -o json -q 'tcp port 8003'); then
    ok
else
    not_ok "gzip pcapng with a filter: not the records of the plain file"
fi
# Compressed parts merge like plain ones.
gzip -c "${parts[0]}" >"$tmp/p0.gz"
zstd -q -c "${parts[1]}" >"$tmp/p1.zst"
if run_cli -r "$tmp/p0.gz" -r "$tmp/p1.zst" -r "${parts[2]}" -r "${parts[3]}" -r "${parts[4]}" \
    -o json -q | cmp -s - "$golden/handshakes.pcap.json"; then
    ok
else
    not_ok "gzip + zstd + plain parts merged: not the records of the whole capture"
fi

# --- bad input ---------------------------------------------------------------------
gz_len=$(stat -c %s "$tmp/c.pcap.gz")
head -c $((gz_len / 2)) "$tmp/c.pcap.gz" >"$tmp/half.gz"
run_cli -r "$tmp/half.gz" -o json >"$tmp/half.json" 2>"$tmp/err"
rc=$?
n=$(wc -l <"$tmp/half.json")
last=$(tail -1 "$tmp/err")
if [ $rc -eq 1 ] && [ "$n" -gt 0 ] && grep -q '^  packets read' "$tmp/err" &&
    [[ $last =~ ^tcpshake:\ .*half.gz:\ packet\ [0-9]+:\ gzip\ data\ ends\ early\ \(the\ file\ is\ truncated\)$ ]]; then
    ok
else
    not_ok "truncated gzip: exit $rc (want 1), $n records (want some), last line: $last"
fi
# 2 GB of zeros in a few KB: not a capture, said at once.
head -c 2G /dev/zero | zstd -q -c >"$tmp/bomb.zst"
run_cli -r "$tmp/bomb.zst" >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && one_line "$tmp/err" "tcpshake: $tmp/bomb.zst: zstd content: unknown file format"; then
    ok
else
    not_ok "zstd bomb of zeros: exit $rc, $(head -c 300 "$tmp/err")"
fi
# A pcap header, then 200 MB of zeros (12.5 M empty records): read through in fixed memory.
(head -c 24 "$cap" && head -c 200M /dev/zero) | zstd -q -c >"$tmp/bomb2.zst"
got=$(python3 - "$cli" "$tmp/bomb2.zst" <<'EOF'
import resource, subprocess, sys
p = subprocess.run([sys.argv[1], "-r", sys.argv[2], "-o", "json", "--threads", "1"],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
skipped = [l.split()[-1] for l in p.stderr.splitlines() if l.startswith("  skipped truncated")]
print(p.returncode, skipped[0] if skipped else "-", "small" if rss_kb < 64 * 1024 else rss_kb)
EOF
)
if [ "$got" = "0 13107200 small" ]; then ok; else
    not_ok "zstd bomb with a pcap header: want 'exit 0, 13107200 records skipped, small memory', got '$got'"
fi
: >"$tmp/empty.list"
run_cli -V "$tmp/empty.list" >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && one_line "$tmp/err" "tcpshake: -V $tmp/empty.list: names no capture file (one path a line)"; then
    ok
else
    not_ok "empty list: exit $rc, $(head -c 300 "$tmp/err")"
fi
printf '%s\n%s\n' "$cap" "$tmp/missing.pcap" >"$tmp/bad.list"
run_cli -V "$tmp/bad.list" >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && one_line "$tmp/err" "tcpshake: $tmp/missing.pcap: No such file or directory"; then
    ok
else
    not_ok "list naming a missing file: exit $rc, $(head -c 300 "$tmp/err")"
fi
run_cli -V "$tmp/no.list" >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && one_line "$tmp/err" "tcpshake: -V $tmp/no.list: No such file or directory"; then
    ok
else
    not_ok "missing list: exit $rc, $(head -c 300 "$tmp/err")"
fi
# A second capture where the filter goes is refused, not taken for a filter.
run_cli -r "$cap" "${parts[0]}" >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 2 ] && one_line "$tmp/err" "tcpshake: ${parts[0]}: a file, not a filter expression; to read several captures give -r once for each (or -V LISTFILE)"; then
    ok
else
    not_ok "-r a b: exit $rc, $(head -c 300 "$tmp/err")"
fi
# ... but a filter word is a filter even when a file has its name.
(cd "$tmp" && : >port && run_cli -r "$cap" -o json -q port 8001 | wc -l) >"$tmp/n"
if [ "$(cat "$tmp/n")" -gt 0 ]; then ok; else not_ok "filter 'port 8001' beside a file named port"; fi
run_cli -r - -r - </dev/null >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 2 ] && one_line "$tmp/err" "tcpshake: standard input ('-') can be read only once"; then
    ok
else
    not_ok "-r - twice: exit $rc, $(head -c 300 "$tmp/err")"
fi
# A truncated second file: the first one's packets are reported, the file is named.
head -c 3000 "${parts[1]}" >"$tmp/cut.pcap"
run_cli -r "${parts[0]}" -r "$tmp/cut.pcap" -o json >"$tmp/cut.json" 2>"$tmp/err"
rc=$?
last=$(tail -1 "$tmp/err")
if [ $rc -eq 1 ] && [ -s "$tmp/cut.json" ] && [[ $last == "tcpshake: $tmp/cut.pcap: packet "* ]]; then ok; else
    not_ok "truncated second file: exit $rc, last line: $last"
fi

echo "inputs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
