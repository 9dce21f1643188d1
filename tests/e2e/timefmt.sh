#!/usr/bin/env bash
# --time-format and schema_version against the exact nanoseconds: for every
# capture in tests/data, each time field of the JSON and CSV records written
# with --time-format s, iso and offset is read back (by jq, which loses
# integers above 2^53, and by python3, which does not) and turned into the
# integer ns of the default output: they must agree exactly. The offsets count
# from the input's first packet (the summary's capture.first_ns). Every record
# carries schema_version 1 and validates against docs/record.schema.json; but
# for its times, it is the record of the default output. -o zeek-json holds,
# line for line, the columns of -o zeek (an unset '-' is a member left out;
# times and intervals are the same numbers). The TLS corpus's captures
# (../shared/corpus/tls) add the tls group's times, which follow
# --time-format as the others do.
#
# usage: tests/e2e/timefmt.sh CLI
set -u
cli=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../need.sh"
needs timefmt python3 jq
data=$here/../data
corpus=${TCPSHAKE_CORPUS:-$here/../../../shared/corpus}
pass=0
fail=0
ok() { pass=$((pass + 1)); }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The time fields of a record, as jq paths (record_fields.h, kind time).
paths='[.first_ns,.last_ns,.syn_ns,.syn_last_ns,.synack_ns,.synack_last_ns,.ack_ns,.icmp_ns,
        .client.fin_ns,.client.rst_ns,.client.first_payload_ns,
        .server.fin_ns,.server.rst_ns,.server.first_payload_ns,
        .tls.client_hello_ns,.tls.client_hello2_ns,.tls.server_hello_ns,.tls.server_flight_ns,
        .tls.client_flight_ns,.tls.client_data_ns,.tls.server_data_ns,.tls.alert_ns]'

# Captures with TLS handshakes, so that the tls group's times are read back too.
tls_caps=()
for c in tls12.pcap tls3.pcapng tls-sni.pcapng latest.pcapng; do
    if [ -f "$corpus/tls/pcap/$c" ]; then
        tls_caps+=("$corpus/tls/pcap/$c")
    else
        not_ok "no $corpus/tls/pcap/$c (the shared corpus; TCPSHAKE_CORPUS)"
    fi
done
i=0
dirs=()
for cap in "$data"/*.pcap "$data"/*.pcapng "${tls_caps[@]}"; do
    name=$(basename "$cap")
    i=$((i + 1))
    d=$tmp/$i
    mkdir "$d"
    echo "$name" >"$d/name"
    "$cli" -r "$cap" -o json -q --summary-json "$d/sum.json" >"$d/ns.json" || {
        not_ok "$name: default run failed"
        continue
    }
    for tf in ns s iso offset; do
        if ! "$cli" -r "$cap" -o json -q --time-format "$tf" >"$d/$tf.json" ||
            ! "$cli" -r "$cap" -o csv -q --time-format "$tf" >"$d/$tf.csv"; then
            not_ok "$name --time-format $tf: run failed"
        fi
        # jq prints strings and small integers exactly; one line of fields per record.
        jq -r "$paths | map(if . == null then \"-\" else tostring end) | join(\" \")" \
            "$d/$tf.json" >"$d/$tf.jq"
    done
    "$cli" -r "$cap" -o zeek -q >"$d/conn.log" && "$cli" -r "$cap" -o zeek-json -q >"$d/conn.json"
    dirs+=("$d")
done
# One python3 for every check (tests/e2e/timefmt_check.py): starting it, with jsonschema,
# costs more than the checks.
python3 "$here/timefmt_check.py" "$here/../../docs/record.schema.json" "${dirs[@]}" >"$tmp/check"
grep '^not ok' "$tmp/check"
read -r _ p f tls_times < <(grep '^timefmt-check:' "$tmp/check" || echo "- 0 1 0")
pass=$((pass + p))
fail=$((fail + f))

if [ "$tls_times" -gt 0 ]; then ok; else not_ok "no tls time in the TLS captures' records"; fi
echo "timefmt: $tls_times tls times read back in each format"

# A format that does not exist is a usage error.
if "$cli" -r "$data/sample.pcap" --time-format bogus >/dev/null 2>"$tmp/err"; then
    not_ok "--time-format bogus: accepted"
elif grep -q "^tcpshake: --time-format bogus: want ns, s, iso or offset" "$tmp/err"; then
    ok
else
    not_ok "--time-format bogus: $(cat "$tmp/err")"
fi

echo "timefmt: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
