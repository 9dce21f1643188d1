#!/usr/bin/env bash
# Everyday habits of the command line: options after the filter expression (and "--"),
# -F FILE, one duration syntax for every time option, "did you mean" for a mistyped long
# option, case-insensitive format names; and the record selection (--outcome, --slower,
# --top/--sort) held against jq over the JSON records of the same run, in every format.
#
# usage: tests/e2e/everyday.sh CLI
set -u
cli=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../need.sh"
needs everyday jq
data=$here/../data
corpus=${TCPSHAKE_CORPUS:-$here/../../../shared/corpus}
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
not_ok() {
    fail=$((fail + 1))
    echo "not ok - $1"
}
# check WHAT WANT GOT
check() {
    if [ "$2" = "$3" ]; then ok; else not_ok "$1: want '$2', got '$3'"; fi
}
sample=$data/sample.pcap

# ---------------------------------------------------------------- options after the filter
"$cli" -r "$sample" -q -o json 'port 8003' >"$tmp/want" 2>&1
"$cli" -r "$sample" port 8003 -q -o json >"$tmp/got" 2>&1
if [ -s "$tmp/want" ] && cmp -s "$tmp/want" "$tmp/got"; then ok; else
    not_ok "options after the filter: $(head -c 300 "$tmp/got")"
fi
"$cli" -r "$sample" -q -- port 8003 >"$tmp/got" 2>&1 </dev/null
"$cli" -r "$sample" -q -o json -- port 8003 >"$tmp/got" 2>&1
if cmp -s "$tmp/want" "$tmp/got"; then ok; else not_ok "-- before the filter"; fi
# After "--" nothing is an option: "-q" is a word of the filter (a syntax error).
"$cli" -r "$sample" -o json port 8003 -- -q >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 2 ] && grep -q "port 8003 -q" "$tmp/err"; then ok; else
    not_ok "-- ends the options: exit $rc, $(head -c 300 "$tmp/err")"
fi
# Filter words on both sides of options are one expression, in order.
"$cli" -r "$sample" tcp -q and -o json port 8003 >"$tmp/got" 2>&1
if cmp -s "$tmp/want" "$tmp/got"; then ok; else not_ok "filter words around options"; fi

# ---------------------------------------------------------------- -F FILE
printf '# the refused one\ntcp\n  and port 8003 # comment\n' >"$tmp/filter"
"$cli" -r "$sample" -q -o json -F "$tmp/filter" >"$tmp/got" 2>&1
if cmp -s "$tmp/want" "$tmp/got"; then ok; else not_ok "-F FILE: $(head -c 300 "$tmp/got")"; fi
"$cli" -r "$sample" -F "$tmp/filter" port 8001 >/dev/null 2>"$tmp/err"
rc=$?
check "-F and a filter on the command line" "2 tcpshake: -F $tmp/filter: the filter is in the file; the command line has one too ('port' ...)" "$rc $(cat "$tmp/err")"
"$cli" -r "$sample" -F "$tmp/missing" >/dev/null 2>"$tmp/err"
rc=$?
check "-F a missing file" "2 tcpshake: -F $tmp/missing: No such file or directory" "$rc $(cat "$tmp/err")"

# ---------------------------------------------------------------- durations
# Every unit, checked where the value shows: --bucket's bucket_ns column.
for pair in 2000000000ns:2000000000 2000000us:2000000000 2000000µs:2000000000 \
    2000ms:2000000000 2s:2000000000 2:2000000000 1.5s:1500000000 0.5:500000000 \
    1m:60000000000 1.5m:90000000000 1h:3600000000000 1d:86400000000000 .25s:250000000 \
    1.000000001s:1000000001 1.5ms:1500000; do
    arg=${pair%%:*}
    want=${pair#*:}
    got=$("$cli" -r "$sample" --by port --bucket "$arg" -o json -q 2>&1 | head -1 | jq -r .bucket_ns)
    check "--bucket $arg" "$want" "$got"
done
# Every time option takes every unit (a value in its range).
for opt in --idle-timeout --handshake-timeout --stats-interval; do
    for arg in 5000000000ns 5000000us 5000000µs 5000ms 5s 5 1.5s 0.1m 1h 1d; do
        "$cli" -r "$sample" "$opt" "$arg" -o json -q >/dev/null 2>"$tmp/err"
        rc=$?
        if [ $rc -eq 0 ] && ! grep -q '^tcpshake:' "$tmp/err"; then ok; else
            not_ok "$opt $arg: exit $rc, $(head -c 200 "$tmp/err")"
        fi
    done
    for arg in 5x 1.5ns -1s "" s 1e3 5m5s 400d; do
        "$cli" -r "$sample" "$opt" "$arg" -o json -q >/dev/null 2>"$tmp/err"
        rc=$?
        if [ $rc -eq 2 ] && grep -q "^tcpshake: $opt $arg: want a duration such as 500ms, 1.5s, 5m or 1h" "$tmp/err"; then
            ok
        else
            not_ok "$opt '$arg': exit $rc, $(head -c 300 "$tmp/err")"
        fi
    done
done
for arg in 6000000ns 6000us 6ms 60s 60 1.5m 1h 1d; do
    "$cli" -r "$sample" --detect --detect-window "$arg" -o json -q >/dev/null 2>"$tmp/err"
    check "--detect-window $arg" "0" "$?$(head -c 200 "$tmp/err")"
done
# --stats-interval in milliseconds: the blocks are that long, their times to the ms.
got=$("$cli" -r "$sample" --stats-interval 500ms -o table --no-color | grep '^interval' | head -2)
check "--stats-interval 500ms" "interval 2026-11-25T19:31:13.840Z to 2026-11-25T19:31:14.340Z:
interval 2026-11-25T19:31:14.340Z to 2026-11-25T19:31:14.840Z:" "$got"
got=$("$cli" -r "$sample" --stats-interval 1s -o table --no-color | grep -c '^interval .*[0-9]Z to')
want=$("$cli" -r "$sample" --stats-interval 1 -o table --no-color | grep -c '^interval .*:[0-9][0-9]Z to')
check "--stats-interval 1s is 1" "$want" "$got"
# The probe's -i and --timeout take the same syntax (bad values: a usage error before any probe).
for args in "-i 500ms" "-i 0.5" "--timeout 1.5s" "--timeout 100ms"; do
    # shellcheck disable=SC2086 # the words are the point
    "$cli" probe 127.0.0.1 -p 1 -c 1 $args -o json >/dev/null 2>"$tmp/err"
    rc=$?
    if [ $rc -ne 2 ]; then ok; else not_ok "probe $args: exit 2, $(head -c 200 "$tmp/err")"; fi
done
"$cli" probe 127.0.0.1 --timeout 2m >/dev/null 2>"$tmp/err"
check "probe --timeout 2m" "2 tcpshake: probe: --timeout 2m: want a duration such as 500ms, 1.5s, 5m or 1h, from 1ms to 60s" "$? $(cat "$tmp/err")"

# ---------------------------------------------------------------- did you mean, -o JSON
"$cli" -r "$sample" --idle-timout 5m >/dev/null 2>"$tmp/err"
check "--idle-timout" "2 tcpshake: --idle-timout: unknown option; did you mean --idle-timeout? (see tcpshake --help)" "$? $(cat "$tmp/err")"
"$cli" -r "$sample" --outcomes=failed >/dev/null 2>"$tmp/err"
check "--outcomes=failed" "2 tcpshake: --outcomes: unknown option; did you mean --outcome? (see tcpshake --help)" "$? $(cat "$tmp/err")"
"$cli" -r "$sample" --trheads 2 >/dev/null 2>"$tmp/err"
check "--trheads" "2 tcpshake: --trheads: unknown option; did you mean --threads? (see tcpshake --help)" "$? $(cat "$tmp/err")"
"$cli" -r "$sample" --frobnicate >/dev/null 2>"$tmp/err"
check "--frobnicate" "2 tcpshake: --frobnicate: unknown option (see tcpshake --help)" "$? $(cat "$tmp/err")"
"$cli" probe 127.0.0.1 --paralel 2 >/dev/null 2>"$tmp/err"
check "probe --paralel" "2 tcpshake: probe: --paralel: unknown option; did you mean --parallel? (see tcpshake probe --help)" "$? $(cat "$tmp/err")"
for f in JSON Json CSV Zeek TABLE; do
    lower=$(echo "$f" | tr 'A-Z' 'a-z')
    "$cli" -r "$sample" -o "$lower" -q --no-color >"$tmp/want" 2>&1
    "$cli" -r "$sample" -o "$f" -q --no-color >"$tmp/got" 2>&1
    if [ -s "$tmp/want" ] && cmp -s "$tmp/want" "$tmp/got"; then ok; else not_ok "-o $f"; fi
done

# ---------------------------------------------------------------- selection against jq
failed='["refused","unanswered","icmp_rejected","half_open","reset_in_handshake"]'
# select_case CAPTURE FILTER "OPTIONS" JQ: the ids of OPTIONS' json records equal the ids jq
# picks from the same run's records without them, in the same order; so do CSV's, the
# table's and Zeek's counts, and the summary says "shown: N of M".
select_case() {
    local cap=$1 bpf=$2 opts=$3 jq_prog=$4 name
    name="$(basename "$cap") ${bpf:+'$bpf' }$opts"
    # shellcheck disable=SC2086 # OPTIONS are words
    "$cli" -r "$cap" -o json $opts $bpf >"$tmp/sel.json" 2>"$tmp/sel.err"
    local rc=$?
    "$cli" -r "$cap" -o json -q $bpf >"$tmp/all.json" 2>/dev/null
    local got want total
    got=$(jq -r .id "$tmp/sel.json" | tr '\n' ' ')
    want=$(jq -rs "$jq_prog | .[].id" "$tmp/all.json" | tr '\n' ' ')
    total=$(wc -l <"$tmp/all.json")
    check "$name: ids" "$want" "$got"
    check "$name: exit" 0 "$rc"
    n=$(jq -r .id "$tmp/sel.json" | wc -l)
    check "$name: summary line" "shown: $n of $total connections ($opts)" "$(grep '^shown:' "$tmp/sel.err")"
    "$cli" -r "$cap" -o csv -q $opts $bpf | tail -n +2 | cut -d, -f1 | tr '\n' ' ' >"$tmp/csv"
    check "$name: csv ids" "$got" "$(cat "$tmp/csv")"
    check "$name: table rows" "$n" "$("$cli" -r "$cap" -o table -q --no-color $opts $bpf | tail -n +2 | wc -l)"
    check "$name: zeek rows" "$n" "$("$cli" -r "$cap" -o zeek -q $opts $bpf | grep -vc '^#')"
    # One thread or three: the same records, in the same order (--top: ties by id).
    case $opts in *--top*)
        "$cli" -r "$cap" -o json -q --threads 3 $opts $bpf >"$tmp/sel3.json" 2>/dev/null
        if cmp -s "$tmp/sel3.json" "$tmp/sel.json"; then ok; else not_ok "$name: --threads 3 differs"; fi
        ;;
    esac
}
select_caps=("$corpus/ndpi/alexa-app.pcapng" "$corpus/arkime/tcp_handshake_synthetic.pcap"
    "$corpus/ndpi/synscan.pcap" "$sample")
# Under a sanitizer, the project's own capture only: the same code on more records.
[ "${SANITIZED:-0}" = 1 ] && select_caps=("$sample")
for cap in "${select_caps[@]}"; do
    if [ ! -f "$cap" ]; then
        [ -n "${CI:-}" ] && not_ok "no capture $cap (TCPSHAKE_CORPUS)"
        continue
    fi
    select_case "$cap" "" "--outcome failed" "map(select(.outcome | IN($failed[])))"
    select_case "$cap" "" "--outcome refused,unanswered" \
        'map(select(.outcome == "refused" or .outcome == "unanswered"))'
    select_case "$cap" "" "--outcome established --slower server=20ms" \
        'map(select(.outcome == "established" and .server_side_ns != null and .server_side_ns > 20000000))'
    select_case "$cap" "" "--slower client=1ms --slower handshake=0.05s" \
        'map(select(.client_side_ns != null and .client_side_ns > 1000000 and .handshake_ns != null and .handshake_ns > 50000000))'
    select_case "$cap" "" "--slower app=1ms" 'map(select(.app_latency_ns != null and .app_latency_ns > 1000000))'
    for f in server:server_side_ns client:client_side_ns handshake:handshake_ns app:app_latency_ns \
        duration:duration_ns; do
        select_case "$cap" "" "--top 5 --sort ${f%%:*}" \
            "map(select(.${f#*:} != null)) | sort_by(-.${f#*:}, .id) | .[:5]"
    done
    select_case "$cap" "tcp" "--top 3 --sort client --outcome established" \
        'map(select(.outcome == "established" and .client_side_ns != null)) | sort_by(-.client_side_ns, .id) | .[:3]'
done
# With the BPF filter: the selection applies to what the filter let through.
select_case "$sample" "port 8003 or port 8005" "--outcome failed" "map(select(.outcome | IN($failed[])))"
# --events all: both kinds of record go through the selection.
# (Compared by event and id: jq's numbers are doubles, nanoseconds since 1970 lose digits.)
"$cli" -r "$sample" -o json -q --events all >"$tmp/ev.json"
"$cli" -r "$sample" -o json --events all --outcome refused >"$tmp/got" 2>"$tmp/err"
check "--events all --outcome refused" "$(jq -c 'select(.outcome == "refused") | [.event, .id]' "$tmp/ev.json")" "$(jq -c '[.event, .id]' "$tmp/got")"
check "--events all: the summary line" "shown: 4 of 20 records (--outcome refused)" "$(grep '^shown' "$tmp/err")"
"$cli" -r "$sample" -o json -q --events all --top 2 --sort server >"$tmp/got"
check "--events all --top 2" "$(jq -sc 'map(select(.server_side_ns != null)) | sort_by(-.server_side_ns, .id, .event != "handshake") | .[:2] | .[] | [.event, .id]' "$tmp/ev.json")" "$(jq -c '[.event, .id]' "$tmp/got")"
# The summary still covers every connection.
got=$("$cli" -r "$sample" -o table --no-color --outcome refused | grep -E '^(connections|  refused|  established) ')
want=$("$cli" -r "$sample" -o table --no-color | grep -E '^(connections|  refused|  established) ')
check "the summary covers every connection" "$want" "$got"
# Usage errors, one clear line each.
for args in "--top 5:--top: give --top N and --sort FIELD together" \
    "--sort client:--sort: give --top N and --sort FIELD together" \
    "--top 0 --sort client:--top 0: want a number of connections from 1 to 100000" \
    "--sort rtt --top 1:--sort rtt: want server, client, handshake, app or duration" \
    "--outcome nope:--outcome nope: want outcome names separated by commas (see tcpshake(1)), or failed" \
    "--outcome refused,:--outcome refused,: want outcome names separated by commas (see tcpshake(1)), or failed" \
    "--slower server:--slower server: want FIELD=DURATION, FIELD one of server, client, handshake or app, e.g. server=100ms" \
    "--slower server=fast:--slower server=fast: want FIELD=DURATION, with a duration such as 500ms, 1.5s, 5m or 1h" \
    "--outcome failed --by port:--outcome, --slower, --top: they choose connection records; --by prints health rows instead"; do
    # shellcheck disable=SC2086
    "$cli" -r "$sample" ${args%%:*} >/dev/null 2>"$tmp/err"
    check "${args%%:*}" "2 tcpshake: ${args#*:}" "$? $(cat "$tmp/err")"
done

echo "everyday: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
