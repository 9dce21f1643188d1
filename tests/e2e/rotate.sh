#!/usr/bin/env bash
# -w rotation on a recorded capture (tests/data/handshakes.pcap, see its README):
#
#   -C MB       files named FILE, FILE1, FILE2 ... (tcpdump's names), none larger
#               than MB million bytes, together every packet: read back merged
#               (-r each), the records of the whole capture;
#   -C -W N     a ring FILE0 ... FILE<N-1>;
#   -G SECONDS  one file per SECONDS of packet time, named by strftime at the
#               first packet of each (TZ=UTC), the names computed here from the
#               capture's own time stamps; -W N stops after N files;
#   bad use     exit 2 with one line; a next file that would overwrite the
#               input: exit 1, one line, the records still printed.
#
# usage: tests/e2e/rotate.sh CLI
set -u
cli=$1
# The goldens are made without a p0f database (labels depend on the machine): the same here.
run_cli() { "$cli" --p0f-db none "$@"; }
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../need.sh"
needs rotate python3
cap=$here/../data/handshakes.pcap
golden=$here/golden
pass=0
fail=0
ok() { pass=$((pass + 1)); }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; }
export TCPSHAKE_HASH_KEY=00112233445566778899aabbccddeeff TZ=UTC

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# -C 0.004: 4000 bytes a file at most.
mkdir "$tmp/c"
run_cli -r "$cap" -q -o json -w "$tmp/c/f" -C 0.004 >/dev/null 2>"$tmp/err"
rc=$?
names=$(cd "$tmp/c" && ls | sort -V | tr '\n' ' ')
n=$(ls "$tmp/c" | wc -l)
want="f"
for ((i = 1; i < n; i++)); do want="$want f$i"; done
if [ $rc -eq 0 ] && [ "$n" -ge 4 ] && [ "$names" = "$want " ]; then ok; else
    not_ok "-C 0.004: exit $rc, files '$names' (want '$want ') $(head -c 200 "$tmp/err")"
fi
big=$(find "$tmp/c" -type f -size +4000c | wc -l)
small=$(find "$tmp/c" -type f -size -3000c | wc -l) # only the last one may be short
if [ "$big" -eq 0 ] && [ "$small" -le 1 ]; then ok; else
    not_ok "-C 0.004: $big files over 4000 bytes, $small under 3000: $(ls -l "$tmp/c")"
fi
args=()
for f in $want; do args+=(-r "$tmp/c/$f"); done
if run_cli "${args[@]}" -o json -q | cmp -s - "$golden/handshakes.pcap.json"; then ok; else
    not_ok "-C files read back merged: not the records of the whole capture"
fi

# -C with -W 2: a ring of two files.
mkdir "$tmp/w"
run_cli -r "$cap" -q -o json -w "$tmp/w/f" -C 0.004 -W 2 >/dev/null
names=$(cd "$tmp/w" && ls | tr '\n' ' ')
if [ "$names" = "f0 f1 " ] && [ "$(find "$tmp/w" -type f -size +4000c | wc -l)" -eq 0 ]; then ok; else
    not_ok "-C 0.004 -W 2: files '$names' (want 'f0 f1 '): $(ls -l "$tmp/w")"
fi
# -W 12 pads the numbers to two digits: f00 f01 ...
mkdir "$tmp/w12"
run_cli -r "$cap" -q -o json -w "$tmp/w12/f" -C 0.004 -W 12 >/dev/null
if [ "$(cd "$tmp/w12" && ls | head -2 | tr '\n' ' ')" = "f00 f01 " ]; then ok; else
    not_ok "-C -W 12: $(ls "$tmp/w12" | tr '\n' ' ') (want f00 f01 ...)"
fi

# -G 2: the names the packets' own times give (strftime at each file's first packet).
want=$(python3 - "$cap" <<'EOF'
import struct, sys, time
data = open(sys.argv[1], "rb").read()
magic = struct.unpack("<I", data[:4])[0]
scale = 1e9 if magic == 0xa1b23c4d else 1e6
pos, start, names = 24, None, []
while pos + 16 <= len(data):
    sec, frac, caplen, _ = struct.unpack("<IIII", data[pos:pos + 16])
    t = sec + frac / scale
    if start is None or t - start >= 2:
        start = t
        names.append(time.strftime("g-%H%M%S", time.gmtime(sec)))
    pos += 16 + caplen
print(" ".join(names))
EOF
)
mkdir "$tmp/g"
run_cli -r "$cap" -q -o json -w "$tmp/g/g-%H%M%S" -G 2 >/dev/null 2>"$tmp/err"
rc=$?
got=$(cd "$tmp/g" && ls | tr '\n' ' ')
if [ $rc -eq 0 ] && [ -n "$want" ] && [ "$got" = "$want " ]; then ok; else
    not_ok "-G 2: exit $rc, files '$got' (want '$want ') $(head -c 200 "$tmp/err")"
fi
args=()
for f in $want; do args+=(-r "$tmp/g/$f"); done
if run_cli "${args[@]}" -o json -q | cmp -s - "$golden/handshakes.pcap.json"; then ok; else
    not_ok "-G files read back merged: not the records of the whole capture"
fi
# -G 2 -W 2: two files, then the run stops (exit 0), as tcpdump exits.
mkdir "$tmp/gw"
read_all=$(run_cli -r "$cap" -o table --no-color | sed -n 's/^  packets read  *//p')
read_gw=$(run_cli -r "$cap" -o table --no-color -w "$tmp/gw/g-%H%M%S" -G 2 -W 2 2>"$tmp/err" |
    sed -n 's/^  packets read  *//p')
first_two=$(echo "$want" | cut -d' ' -f1-2)
if [ "$(cd "$tmp/gw" && ls | tr '\n' ' ')" = "$first_two " ] && [ ! -s "$tmp/err" ] &&
    [ "$read_gw" -lt "$read_all" ]; then
    ok
else
    not_ok "-G 2 -W 2: files $(ls "$tmp/gw" | tr '\n' ' '), $read_gw of $read_all packets read"
fi

# Bad use: one line, exit 2.
check_usage() {
    local want=$1
    shift
    run_cli "$@" >/dev/null 2>"$tmp/err"
    local rc=$?
    if [ $rc -eq 2 ] && [ "$(cat "$tmp/err")" = "$want" ]; then ok; else
        not_ok "$*: exit $rc, $(head -c 300 "$tmp/err") (want exit 2, $want)"
    fi
}
check_usage "tcpshake: -C, -G and -W: only with -w FILE" -r "$cap" -C 1
check_usage "tcpshake: -W: only with -C or -G" -r "$cap" -w "$tmp/x" -W 2
check_usage "tcpshake: -C 0: want a file size in millions of bytes (e.g. 100, or 0.5) from 0.0001 to 1000000" \
    -r "$cap" -w "$tmp/x" -C 0
check_usage "tcpshake: -G 1.5: want whole seconds from 1 to 31536000" -r "$cap" -w "$tmp/x" -G 1.5
# The second file would be the capture being read: refused when it comes, after the records.
cp "$cap" "$tmp/in1"
run_cli -r "$tmp/in1" -q -o json -w "$tmp/in" -C 0.004 >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && [ -s "$tmp/out" ] && cmp -s "$cap" "$tmp/in1" &&
    [ "$(cat "$tmp/err")" = "tcpshake: -w $tmp/in1: would overwrite the capture being read" ]; then
    ok
else
    not_ok "rotation onto the input: exit $rc, $(head -c 300 "$tmp/err")"
fi

echo "rotate: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
