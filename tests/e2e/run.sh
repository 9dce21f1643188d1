#!/usr/bin/env bash
# End-to-end tests: the CLI on captures recorded from real Linux TCP stacks
# (tests/data, see its README), compared with reviewed golden outputs in
# tests/e2e/golden, checked against the measured facts in tests/data/expected.tsv,
# then the suites on files: options, inputs, schemas, pictures, bad input. The suites on
# live stacks in network namespaces are in tests/e2e/net.sh. UPDATE_GOLDEN=1 rewrites the
# goldens (make golden); nothing else ever does.
#
# usage: tests/e2e/run.sh CLI MAKE_HOSTILE GEN_TRACE FIELDS
set -u
cli=$1
hostile=$2
gen_trace=$3
fields=$4
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../need.sh"
needs e2e python3
data=$here/../data
golden=$here/golden
pass=0
fail=0

ok() { pass=$((pass + 1)); }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for cap in "$data"/*.pcap "$data"/*.pcapng; do
    [ -e "$cap" ] || continue
    name=$(basename "$cap")
    for fmt in table json csv zeek; do
        out=$tmp/$name.$fmt
        # The table run includes the summary (it goes to stdout after a table). No p0f
        # labels: they would depend on the machine's p0f database (p0f.sh tests them).
        if [ "$fmt" = table ]; then
            "$cli" -r "$cap" -o table --no-color --threads 1 --p0f-db none >"$out" 2>"$tmp/err"
        else
            "$cli" -r "$cap" -o "$fmt" -q --p0f-db none >"$out" 2>"$tmp/err"
        fi
        rc=$?
        if [ $rc -ne 0 ] || [ -s "$tmp/err" ]; then
            not_ok "$name -o $fmt: exit $rc, stderr: $(head -c 300 "$tmp/err")"
            continue
        fi
        want=$golden/$name.$fmt
        if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
            mkdir -p "$golden"
            cp "$out" "$want"
            ok
        elif [ ! -f "$want" ]; then
            not_ok "$name -o $fmt: no golden file $want (make golden writes it; review it)"
        elif diff -u "$want" "$out" >"$tmp/diff"; then
            ok
        else
            not_ok "$name -o $fmt differs from its golden file:"
            head -40 "$tmp/diff"
        fi
    done
done

# The facts measured when the captures were recorded, independent of the goldens.
if python3 "$here/check_expected.py" "$cli" "$data" >"$tmp/facts" 2>&1; then
    ok
else
    not_ok "tests/data/expected.tsv facts:"
    cat "$tmp/facts"
fi
grep -E '^(facts|  )' "$tmp/facts" | head -3

# Standard input goes through libpcap (pcapng: src/source/pcapng.c either way), a classic
# pcap file through the block reader (src/source/pcapfile.c): both must give the same records.
for cap in "$data"/*.pcap "$data"/*.pcapng; do
    [ -e "$cap" ] || continue
    name=$(basename "$cap")
    if "$cli" -r - -o json -q --p0f-db none <"$cap" | cmp -s - "$golden/$name.json"; then
        ok
    else
        not_ok "-r - (standard input) differs from -r $name"
    fi
done

# A BPF filter keeps only matching packets; -c stops after N packets.
if [ -f "$data/sample.pcap" ]; then
    n=$("$cli" -r "$data/sample.pcap" -o json -q 'tcp port 8003' | wc -l)
    if [ "$n" -eq 1 ] && "$cli" -r "$data/sample.pcap" -o json -q 'tcp port 8003' |
        grep -q '"outcome":"refused"'; then
        ok
    else
        not_ok "filter 'tcp port 8003': want one refused record, got $n records"
    fi
    # The first 3 packets: the SYN to 8004, then the SYN and SYN-ACK of 8005.
    got=$("$cli" -r "$data/sample.pcap" -o csv -q -c 3 | wc -l)
    pkts=$("$cli" -r "$data/sample.pcap" -o table --no-color -c 3 | grep -c 'packets read  *3$')
    if [ "$got" -eq 3 ] && [ "$pkts" -eq 1 ]; then
        ok
    else
        not_ok "-c 3: want a header and two records after 3 packets, got $got lines"
    fi
fi

# The output field lists: shipped schema, headers, man page, every JSON record validated.
if "$here/schema.sh" "$cli" "$fields" "$gen_trace" >"$tmp/schema" 2>&1; then
    ok
else
    not_ok "schema suite:"
    grep -v '^schema:' "$tmp/schema"
fi
grep -E '^(schema:|[0-9]+ records)' "$tmp/schema"

# -w, --handshake-only, --events, --stats-interval on a capture file.
if "$here/write_events.sh" "$cli" >"$tmp/write" 2>&1; then
    ok
else
    not_ok "write and events suite:"
    grep -v '^ok' "$tmp/write"
fi
tail -1 "$tmp/write"

# Several captures merged (-r twice, -V), gzip and zstd captures, and their bad input.
if "$here/inputs.sh" "$cli" >"$tmp/inputs" 2>&1; then
    ok
else
    not_ok "inputs suite:"
    grep -v '^inputs:' "$tmp/inputs"
fi
grep '^inputs:' "$tmp/inputs"

# -w rotation: -C, -G, -W, tcpdump's file names.
if "$here/rotate.sh" "$cli" >"$tmp/rotate" 2>&1; then
    ok
else
    not_ok "rotate suite:"
    grep -v '^rotate:' "$tmp/rotate"
fi
grep '^rotate:' "$tmp/rotate"

# make install into a temporary root; a program built on it with pkg-config.
if "$here/install.sh" "$cli" >"$tmp/install" 2>&1; then
    ok
else
    not_ok "install suite:"
    grep -v '^install:' "$tmp/install"
fi
grep '^install:' "$tmp/install"

# --ladder: golden ladders, the brackets against the records, selections, the cap.
if "$here/ladder.sh" "$cli" >"$tmp/ladder" 2>&1; then
    ok
else
    not_ok "ladder suite:"
    grep -v '^ladder' "$tmp/ladder"
fi
tail -1 "$tmp/ladder"

# --time-format and schema_version, read back exactly by jq and python3.
if "$here/timefmt.sh" "$cli" >"$tmp/timefmt" 2>&1; then
    ok
else
    not_ok "time format suite:"
    grep -v '^timefmt:' "$tmp/timefmt"
fi
grep '^timefmt:' "$tmp/timefmt"

# --threads 2 and 3 print what --threads 1 prints (tests/data and ../shared/corpus).
if "$here/threads.sh" "$cli" "$gen_trace" >"$tmp/threads" 2>&1; then
    ok
else
    not_ok "threads suite:"
    grep -v '^threads:' "$tmp/threads"
fi
grep '^threads:' "$tmp/threads"

# Options after the filter, -F, durations, did you mean, -o JSON; --outcome, --slower,
# --top against jq.
if "$here/everyday.sh" "$cli" >"$tmp/everyday" 2>&1; then
    ok
else
    not_ok "everyday suite:"
    grep -v '^everyday:' "$tmp/everyday"
fi
grep '^everyday:' "$tmp/everyday"

# The table on a terminal of 80 and 200 columns: fits, lines up for IPv4 and IPv6 (the
# corpus's pinterest.pcap: long IPv6 addresses), --columns, -v, the TLS columns (tls/latest.pcapng).
corpus=${TCPSHAKE_CORPUS:-$here/../../../shared/corpus}
tables="$data/sample.pcap"
for cap in "$corpus/ndpi/pinterest.pcap" "$corpus/ndpi/alexa-app.pcapng" "$corpus/tls/pcap/latest.pcapng"; do
    if [ -f "$cap" ]; then
        tables="$tables $cap"
    elif [ -n "${CI:-}" ]; then
        not_ok "table suite: no $cap (TCPSHAKE_CORPUS)"
    fi
done
# shellcheck disable=SC2086 # the capture list
if python3 "$here/table.py" "$cli" $tables >"$tmp/table" 2>&1; then
    ok
else
    not_ok "table suite:"
    grep -v '^table:' "$tmp/table" | head -20
fi
grep '^table:' "$tmp/table"

# --html: the report in headless Chromium, offline, against the records; its size bound.
if "$here/html.sh" "$cli" "$gen_trace" >"$tmp/html" 2>&1; then
    ok
else
    not_ok "html suite:"
    grep -v '^html:' "$tmp/html"
fi
grep '^html:' "$tmp/html"

# The progress line of a long read from a file, on a terminal (a generated trace).
if python3 "$here/progress.py" "$cli" "$gen_trace" >"$tmp/progress" 2>&1; then
    ok
else
    not_ok "progress suite:"
    grep -v '^progress:' "$tmp/progress"
fi
grep '^progress:' "$tmp/progress"

# --by: one health row per server port instead of records; --detect: no alert on the
# ordinary traffic of the captures, nothing but alert lines on stderr.
if [ -f "$data/sample.pcap" ]; then
    rows=$("$cli" -r "$data/sample.pcap" --by port -o csv -q | tail -n +2 | cut -d, -f2 | tr '\n' ' ')
    if [ "$rows" = "8001 8002 8003 8004 8005 8006 8007 8008 8009 8010 " ]; then ok; else
        not_ok "--by port: want one row per port 8001-8010, got: $rows"
    fi
    # More (server, 1 ms) groups than the 4096 rows: the rows evicted are said on
    # standard error even with -q (CSV has no trailer), and in the JSON trailer.
    "$gen_trace" -o "$tmp/many.pcap" -p 40000 -c 8000 -s 7 >/dev/null 2>&1
    "$cli" -r "$tmp/many.pcap" --by server --bucket 1ms -o csv -q >"$tmp/by.csv" 2>"$tmp/by.err"
    rc=$?
    n_rows=$(($(wc -l <"$tmp/by.csv") - 1))
    want_err='tcpshake: --by: the row table filled up: 3940 rows evicted, 3940 of 8240 connections are in no row (a longer --bucket or a coarser --by needs fewer rows)'
    if [ $rc -eq 0 ] && [ "$n_rows" = 4096 ] && [ "$(cat "$tmp/by.err")" = "$want_err" ]; then ok; else
        not_ok "--by row cap under -q: exit $rc, $n_rows rows, stderr: $(head -c 300 "$tmp/by.err")"
    fi
    trailer=$("$cli" -r "$tmp/many.pcap" --by server --bucket 1ms -o json -q 2>/dev/null | tail -1)
    if [ "$trailer" = '{"health_rows":4096,"evicted_rows":3940,"evicted_connections":3940}' ]; then
        ok
    else
        not_ok "--by row cap: JSON trailer $trailer"
    fi
    "$cli" -r "$data/sample.pcap" --by port -o csv -q >/dev/null 2>"$tmp/by.err"
    if [ ! -s "$tmp/by.err" ]; then ok; else
        not_ok "--by without evictions: stderr $(head -c 300 "$tmp/by.err")"
    fi
    for cap in "$data"/*.pcap; do
        "$cli" -r "$cap" --detect -o json -q >/dev/null 2>"$tmp/alerts"
        if [ $? -eq 0 ] && [ ! -s "$tmp/alerts" ]; then ok; else
            not_ok "--detect on $(basename "$cap"): $(head -c 300 "$tmp/alerts")"
        fi
    done
fi

# The bench's TLS trace (gen_trace --tls): the same file for the same seed, and every TLS
# connection it says it wrote read back as the TLS 1.3 handshake it is.
"$gen_trace" -o "$tmp/tls1.pcap" -p 6000 -c 200 -s 3 --tls 60 2>"$tmp/gen.err" &&
    "$gen_trace" -o "$tmp/tls2.pcap" -p 6000 -c 200 -s 3 --tls 60 2>/dev/null
if cmp -s "$tmp/tls1.pcap" "$tmp/tls2.pcap"; then ok; else not_ok "gen_trace --tls: not deterministic"; fi
n_tls=$(sed -n 's/.*: \([0-9]*\) TLS connections (--tls 60)$/\1/p' "$tmp/gen.err")
"$cli" -r "$tmp/tls1.pcap" -o json -q >"$tmp/tls.json" 2>&1
if python3 - "$tmp/tls.json" "$n_tls" >"$tmp/why" 2>&1 <<'EOF'; then
import json, re, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
tls = [r for r in recs if r["tls"] is not None]
bad = []
if not sys.argv[2] or len(tls) != int(sys.argv[2]) or len(tls) < 50:
    bad.append(f"{len(tls)} records with tls, gen_trace wrote {sys.argv[2]!r}")
for r in tls:
    t = r["tls"]
    got = (r["server"]["port"], t["outcome"], t["version"], t["cipher"], t["alpn_offered"],
           t["ja4"][:10], t["ja4"][10:24], t["n_ciphers"])
    # 15 extensions either way: the padded hello has padding, the post-quantum one ECH GREASE
    want = (443, "established", "TLS1.3", "0x1301", "h2,http/1.1", "t13d1515h2", "_8daaf6152771_",
            15)
    if got != want or not re.fullmatch(r"h[0-9]+\.cdn[0-6]\.example\.com", t["sni"]):
        bad.append(f"{r['id']}: {got} sni {t['sni']!r}, want {want}")
    if t["server_side_ns"] is None or t["server_side_ns"] < r["server_side_ns"]:
        bad.append(f"{r['id']}: tls server_side_ns {t['server_side_ns']} under the TCP one")
if bad:
    print("\n".join(bad[:10]))
    sys.exit(1)
EOF
    ok
else
    not_ok "gen_trace --tls read back: $(cat "$tmp/why")"
fi

# p0f signatures and labels against p0f -r on every capture, and --p0f-db.
if "$here/p0f.sh" "$cli" >"$tmp/p0f" 2>&1; then ok; else not_ok "p0f suite:"; grep -v '^p0f:' "$tmp/p0f"; fi
grep '^p0f:' "$tmp/p0f"

# Hash flooding: crafted collisions cost no more than random traffic with a secret
# key, are bounded with a known one, and the key never changes the output.
if "$here/hashflood.sh" "$cli" "$(dirname "$hostile")/hash_flood" >"$tmp/flood" 2>&1; then
    ok
else
    not_ok "hash flooding suite:"
    grep -v '^hashflood:' "$tmp/flood"
fi
grep '^hashflood:' "$tmp/flood"

if "$here/bad_input.sh" "$cli" "$hostile" "$gen_trace" >"$tmp/bad" 2>&1; then
    ok
else
    not_ok "bad input suite:"
    grep -v '^ok' "$tmp/bad"
fi
tail -1 "$tmp/bad"

# How input arrives: FIFOs, a file cut while read, raw IP 14 with a filter, pcapng with
# two link types.
if "$here/input.sh" "$cli" "$hostile" "$gen_trace" >"$tmp/input" 2>&1; then
    ok
else
    not_ok "input suite:"
    grep -v '^ok' "$tmp/input"
fi
tail -1 "$tmp/input"

echo "e2e-files: $pass passed, $fail failed"
[ $fail -eq 0 ]
