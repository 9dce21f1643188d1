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
tls_times=0

for cap in "$data"/*.pcap "$data"/*.pcapng "${tls_caps[@]}"; do
    name=$(basename "$cap")
    "$cli" -r "$cap" -o json -q --summary-json "$tmp/sum.json" >"$tmp/ns.json" || {
        not_ok "$name: default run failed"
        continue
    }
    for tf in ns s iso offset; do
        if ! "$cli" -r "$cap" -o json -q --time-format "$tf" >"$tmp/$tf.json" ||
            ! "$cli" -r "$cap" -o csv -q --time-format "$tf" >"$tmp/$tf.csv"; then
            not_ok "$name --time-format $tf: run failed"
            continue
        fi
        # jq prints strings and small integers exactly; one line of fields per record.
        jq -r "$paths | map(if . == null then \"-\" else tostring end) | join(\" \")" \
            "$tmp/$tf.json" >"$tmp/$tf.jq"
        rm -f "$tmp/tls_times"
        if python3 - "$tmp" "$tf" "$here/../.." <<'PY'; then ok; else not_ok "$name --time-format $tf"; fi
import csv, datetime, json, sys
import jsonschema
tmp, tf, top = sys.argv[1], sys.argv[2], sys.argv[3]
origin = json.load(open(f"{tmp}/sum.json"))["capture"]["first_ns"]
SIDE = ["fin_ns", "rst_ns", "first_payload_ns"]
TOP = ["first_ns", "last_ns", "syn_ns", "syn_last_ns", "synack_ns", "synack_last_ns",
       "ack_ns", "icmp_ns"]
TLS = ["client_hello_ns", "client_hello2_ns", "server_hello_ns", "server_flight_ns",
       "client_flight_ns", "client_data_ns", "server_data_ns", "alert_ns"]

def fields(rec):
    tls = rec["tls"] or {}
    return ([rec[k] for k in TOP] + [rec[s][k] for s in ("client", "server") for k in SIDE] +
            [tls.get(k) for k in TLS])

def to_ns(v):
    """The exact integer ns since the epoch that v stands for in format tf."""
    if v is None or v == "" or v == "-":
        return None
    if tf == "ns":
        return int(v)
    if tf == "offset":
        return origin + int(v)
    if tf == "s":
        sec, frac = str(v).split(".")
        assert len(frac) == 9, v
        return int(sec) * 10**9 + int(frac)
    day, frac = str(v).rstrip("Z").split(".")
    d = datetime.datetime.strptime(day, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    assert len(frac) == 9 and str(v).endswith("Z"), v
    return int(d.timestamp()) * 10**9 + int(frac)

want = [fields(json.loads(l)) for l in open(f"{tmp}/ns.json")]
got = [json.loads(l) for l in open(f"{tmp}/{tf}.json")]
schema = json.load(open(f"{top}/docs/record.schema.json"))
for r in got:
    jsonschema.validate(r, schema)
assert len(want) == len(got) > 0
assert all(r["schema_version"] == 1 for r in got)
for w, g in zip(want, got):
    assert [to_ns(v) for v in fields(g)] == w, (w, fields(g))
# What jq read, field for field (offsets and strings are exact for it).
if tf != "ns":
    for w, line in zip(want, open(f"{tmp}/{tf}.jq")):
        assert [to_ns(v) for v in line.split()] == w, (w, line)
rows = list(csv.DictReader(open(f"{tmp}/{tf}.csv")))
assert len(rows) == len(want)
for w, row in zip(want, rows):
    assert row["schema_version"] == "1"
    vals = ([row[k] for k in TOP] + [row[f"{s}_{k}"] for s in ("client", "server") for k in SIDE] +
            [row[f"tls_{k}"] for k in TLS])
    assert [to_ns(v) for v in vals] == w, (w, vals)
# Besides its times, a record is the default one.
for a, b in zip(open(f"{tmp}/ns.json"), open(f"{tmp}/{tf}.json")):
    a, b = json.loads(a), json.loads(b)
    for r in (a, b):
        for k in TOP:
            r.pop(k)
        for s in ("client", "server"):
            for k in SIDE:
                r[s].pop(k)
        for k in TLS if r["tls"] else []:
            r["tls"].pop(k)
    assert a == b
# How many tls times were compared (the TLS captures must have some).
with open(f"{tmp}/tls_times", "w") as f:
    print(sum(v is not None for w in want for v in w[-len(TLS):]), file=f)
PY
    done
    tls_times=$((tls_times + $(cat "$tmp/tls_times" 2>/dev/null || echo 0)))
    "$cli" -r "$cap" -o zeek -q >"$tmp/conn.log" && "$cli" -r "$cap" -o zeek-json -q >"$tmp/conn.json"
    if python3 - "$tmp" <<'PY'; then ok; else not_ok "$name -o zeek-json against -o zeek"; fi
import json, sys
from decimal import Decimal
tmp = sys.argv[1]
lines = open(f"{tmp}/conn.log").read().splitlines()
names = next(l for l in lines if l.startswith("#fields")).split("\t")[1:]
types = next(l for l in lines if l.startswith("#types")).split("\t")[1:]
rows = [l.split("\t") for l in lines if not l.startswith("#")]
objs = [json.loads(l, parse_float=Decimal) for l in open(f"{tmp}/conn.json")]
assert len(rows) == len(objs) > 0
for row, obj in zip(rows, objs):
    want = {}
    for n, t, v in zip(names, types, row):
        if v == "-":
            continue
        if t in ("time", "interval"):
            want[n] = Decimal(v)
        elif t in ("count", "port"):
            want[n] = int(v)
        else:
            want[n] = v
    assert list(obj) == list(want), (list(obj), list(want))
    assert obj == want, (obj, want)
PY
done

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
