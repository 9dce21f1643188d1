#!/usr/bin/env bash
# The output field lists (src/output/record_fields.h, health_fields.h,
# alert_fields.h, summary_fields.h, zeek_fields.h) against what ships and what
# runs: docs/{record,health,alert,summary,interval}.schema.json are what tools/fields
# prints; every JSON record of the tests/data captures, plain and with --events
# all, every --by row and trailer (several groupings, with and without
# --bucket), every --detect alert of those captures and of a generated flood
# and scan, and every --summary-json object (which agrees with the records and
# the text summary, and leaves the text summary as it was) and every
# --stats-interval -o json object validates against
# them (Debian's python3-jsonschema); the CSV headers and
# Zeek's #fields / #types lines the CLI prints are the generated ones; and the
# man page documents every field name.
#
# usage: tests/e2e/schema.sh CLI FIELDS GEN_TRACE
set -u
cli=$1
fields=$2
gen_trace=$3
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../need.sh"
needs schema python3
top=$here/../..
data=$here/../data
pass=0
fail=0

ok() { pass=$((pass + 1)); }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$fields" schema >"$tmp/schema.json"
"$fields" health-schema >"$tmp/health.schema.json"
"$fields" alert-schema >"$tmp/alert.schema.json"
"$fields" summary-schema >"$tmp/summary.schema.json"
"$fields" interval-schema >"$tmp/interval.schema.json"
for doc in schema health.schema alert.schema summary.schema interval.schema; do
    name=$doc.json
    [ "$doc" = schema ] && name=record.schema.json
    if diff -u "$top/docs/$name" "$tmp/$doc.json" >"$tmp/diff"; then ok; else
        not_ok "docs/$name is not what $fields prints (make schema):"
        head -20 "$tmp/diff"
    fi
done

# The headers, on a capture and on a capture without records.
printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\377\377\000\000\001\000\000\000' \
    >"$tmp/empty.pcap"
for cap in "$data/sample.pcap" "$tmp/empty.pcap"; do
    name=$(basename "$cap")
    if "$cli" -r "$cap" -o csv -q | head -1 | cmp -s - <("$fields" csv-header); then ok; else
        not_ok "$name -o csv: header is not what $fields csv-header prints"
    fi
    if "$cli" -r "$cap" --events all -o csv -q | head -1 |
        cmp -s - <("$fields" csv-header --events); then ok; else
        not_ok "$name --events all -o csv: header is not what $fields csv-header --events prints"
    fi
    if "$cli" -r "$cap" -o zeek -q | grep -E '^#(fields|types)' |
        cmp -s - <("$fields" zeek-header); then ok; else
        not_ok "$name -o zeek: #fields / #types are not what $fields zeek-header prints"
    fi
    if "$cli" -r "$cap" --by server -o csv -q | head -1 |
        cmp -s - <("$fields" health-csv-header); then ok; else
        not_ok "$name --by server -o csv: header is not what $fields health-csv-header prints"
    fi
    if "$cli" -r "$cap" --by port -o zeek -q | grep '^#fields' | tr '\t' , |
        cmp -s - <("$fields" health-csv-header | sed 's/^/#fields,/'); then ok; else
        not_ok "$name --by port -o zeek: #fields is not what $fields health-csv-header prints"
    fi
done

# Every field name has its paragraph: a .B or .BR line naming it.
missing=""
for name in $("$fields" names); do
    grep -Eq "^\.BR? (.* )?\"?$name\"?( |,|$)" "$top/docs/tcpshake.1" || missing="$missing $name"
done
if [ -z "$missing" ]; then ok; else
    not_ok "docs/tcpshake.1 does not document:$missing"
fi

# summary_line RECORDS: a line for the checks below from the last run's files: the
# records' file, the text summary's "connections", "packets read" and capture
# "connections", and the summary object.
summary_line() {
    {
        printf '%s\t' "$1"
        grep -E '^(connections|  packets read|  connections) ' "$tmp/text.without" |
            awk '{ printf "%s\t", $NF }'
        cat "$tmp/sum"
    } >>"$tmp/summaries"
}

# The records.
n_files=0
mkdir "$tmp/out"
for cap in "$data"/*.pcap "$data"/*.pcapng; do
    [ -e "$cap" ] || continue
    name=$(basename "$cap")
    "$cli" -r "$cap" -o json -q >"$tmp/out/$name.json" 2>"$tmp/err" || not_ok "$name -o json failed"
    "$cli" -r "$cap" --events all -o json -q >"$tmp/out/$name.events.json" 2>>"$tmp/err" ||
        not_ok "$name --events all -o json failed"
    n_files=$((n_files + 2))
    for by in server "port --bucket 1s" "subnet/24 --bucket 10s" "client --bucket 100ms"; do
        # shellcheck disable=SC2086 # the grouping and its bucket are two words
        "$cli" -r "$cap" --by $by -o json -q >>"$tmp/health.json" 2>>"$tmp/err" ||
            not_ok "$name --by $by -o json failed"
    done
    "$cli" -r "$cap" --detect -o json -q 2>>"$tmp/alerts.json" >/dev/null ||
        not_ok "$name --detect -o json failed"
    # The summary object: to a file beside the records and the text summary, and to
    # standard output after the records, where its own line follows theirs.
    "$cli" -r "$cap" -o json --summary-json "$tmp/sum" >/dev/null 2>"$tmp/text.with" ||
        not_ok "$name --summary-json FILE failed"
    "$cli" -r "$cap" -o json >/dev/null 2>"$tmp/text.without"
    if cmp -s "$tmp/text.with" "$tmp/text.without"; then ok; else
        not_ok "$name: --summary-json changes the text summary"
    fi
    "$cli" -r "$cap" -o json -q --summary-json - >"$tmp/both" 2>>"$tmp/err" ||
        not_ok "$name --summary-json - failed"
    if tail -n 1 "$tmp/both" | cmp -s - "$tmp/sum" &&
        head -n -1 "$tmp/both" | cmp -s - "$tmp/out/$name.json"; then ok; else
        not_ok "$name -q --summary-json -: not the records, then the summary object"
    fi
    summary_line "$tmp/out/$name.json"
done
# Alerts: the captures of ../shared/corpus hold a few (skipped when it is
# absent), a generated trace floods and scans.
# Under a sanitizer they are left to the plain build (make asan-corpus runs every corpus
# capture with --detect under ASan + UBSan).
corpus=${TCPSHAKE_CORPUS:-$top/../shared/corpus}
[ "${SANITIZED:-0}" = 1 ] && corpus=/nonexistent
for cap in "$corpus"/*/*.pcap "$corpus"/*/*.pcapng; do
    [ -e "$cap" ] || continue
    "$cli" -r "$cap" --detect -o json -q 2>>"$tmp/alerts.json" >/dev/null
done
if "$gen_trace" -o "$tmp/attacks.pcap" -p 20000 -c 2000 -s 3 --flood 3000 --scan 200 \
    >/dev/null 2>&1 && "$cli" -r "$tmp/attacks.pcap" --detect -o json -q 2>>"$tmp/alerts.json" \
    >/dev/null; then ok; else
    not_ok "--detect on a generated flood and scan failed"
fi
# A summary with full top lists and evicted servers: a scan of 1500 ports is more
# servers than the summary's 1024.
if "$gen_trace" -o "$tmp/scan.pcap" -p 6000 -c 300 -s 4 --flood 10 --scan 1500 >/dev/null 2>&1 &&
    "$cli" -r "$tmp/scan.pcap" -o json --summary-json "$tmp/sum" >"$tmp/scan.json" \
        2>"$tmp/text.without"; then ok; else
    not_ok "--summary-json on a generated scan failed"
fi
summary_line "$tmp/scan.json"
# A summary file that cannot be made fails before any reading, in one line.
"$cli" -r "$data/sample.pcap" -o json --summary-json "$tmp/no/such" >"$tmp/none" 2>"$tmp/e"
rc=$?
if [ $rc -eq 1 ] && [ ! -s "$tmp/none" ] &&
    [ "$(cat "$tmp/e")" = "tcpshake: --summary-json $tmp/no/such: No such file or directory" ]; then
    ok
else
    not_ok "--summary-json to a missing directory: exit $rc, $(head -c 200 "$tmp/e")"
fi
# Anything else on standard error (an unreadable corpus capture) is not an alert.
grep '^{"alert":' "$tmp/alerts.json" >"$tmp/alerts.only.json"
mv "$tmp/alerts.only.json" "$tmp/alerts.json"
if ! python3 -c 'import jsonschema' 2>/dev/null; then
    if [ -n "${CI:-}" ]; then
        not_ok "python3 jsonschema is missing (Debian: python3-jsonschema; make deps)"
    else
        echo "schema: records not validated: python3 jsonschema is missing (make deps)"
    fi
elif python3 - "$tmp/schema.json" "$tmp/health.schema.json" "$tmp/health.json" \
    "$tmp/alert.schema.json" "$tmp/alerts.json" "$tmp/summary.schema.json" "$tmp/summaries" \
    "$tmp"/out/*.json >"$tmp/validate" 2>&1 <<'PY'; then
import json
import sys

import jsonschema

record_schema, health_schema, health_output, alert_schema, alert_output = sys.argv[1:6]
summary_schema, summaries = sys.argv[6:8]
outputs = sys.argv[8:]


def load(path):
    with open(path) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def check(validator, paths, at_least):
    """Validates every line of paths; returns (lines, errors)."""
    n = 0
    errors = 0
    for path in paths:
        with open(path) as f:
            for lineno, line in enumerate(f, 1):
                n += 1
                for err in validator.iter_errors(json.loads(line)):
                    errors += 1
                    print(f"{path}:{lineno}: {err.json_path}: {err.message}")
    if n < at_least:
        sys.exit(f"schema: only {n} lines of {paths[0]} to validate")
    return n, errors


validator = load(record_schema)
n, bad = check(validator, outputs, 20)
health = load(health_schema)
n_health, bad_health = check(health, [health_output], 40)
bad += bad_health
# Each trailer is the line after a group's rows; a row is never taken for one.
lines = [json.loads(line) for line in open(health_output)]
n_trailers = sum("health_rows" in doc for doc in lines)
rows = [doc for doc in lines if "health_rows" not in doc]
if n_trailers == 0 or not rows or sum(doc["bucket_ns"] is not None for doc in rows) == 0:
    bad += 1
    print(f"health: {n_trailers} trailers, {len(rows)} rows: want both, some with buckets")
for wrong in ({**rows[0], "by": "bogus"},
              {k: v for k, v in rows[0].items() if k != "server_side_p50_ns"},
              {**rows[0], "health_rows": 1},
              {**lines[-1], "extra": 1}):
    if health.is_valid(wrong):
        bad += 1
        print("health schema accepts a wrong line:", json.dumps(wrong)[:200])
# The schema must be able to say no: a wrong name, a missing field, an unknown one.
record = json.loads(open(outputs[-1]).readline())
for wrong in ({**record, "outcome": "bogus"},
              {k: v for k, v in record.items() if k != "handshake_ns"},
              {**record, "extra": 1},
              {**record, "client": {**record["client"], "port": "80"}}):
    if validator.is_valid(wrong):
        bad += 1
        print("schema accepts a wrong record:", json.dumps(wrong)[:200])
alert = load(alert_schema)
n_alerts, bad_alerts = check(alert, [alert_output], 3)
bad += bad_alerts
alerts = [json.loads(line) for line in open(alert_output)]
kinds = {doc["alert"] for doc in alerts}
if not {"syn_flood", "port_scan"} <= kinds:
    bad += 1
    print(f"alerts: only {sorted(kinds)}: want syn_flood and port_scan")
flood = next(doc for doc in alerts if doc["alert"] == "syn_flood")
scan = next(doc for doc in alerts if doc["alert"] == "port_scan")
for wrong in ({**flood, "alert": "port_scan"},
              {k: v for k, v in flood.items() if k != "evidence"},
              {**flood, "evidence": ["bogus"]},
              {**scan, "id": 1}):
    if alert.is_valid(wrong):
        bad += 1
        print("alert schema accepts a wrong line:", json.dumps(wrong)[:200])
# The summary objects: valid, and in agreement with the records and the text summary
# (lines of records file, text's "connections", "packets read", capture
# "connections", then the object).
summary = load(summary_schema)
n_summaries = 0
with open(summaries) as f:
    for line in f:
        path, text_conns, text_read, text_tracked, obj = line.rstrip("\n").split("\t")
        doc = json.loads(obj)
        n_summaries += 1
        for err in summary.iter_errors(doc):
            bad += 1
            print(f"{path}: summary: {err.json_path}: {err.message}")
        records = [json.loads(r) for r in open(path)]
        want = {
            "connections": (doc["connections"], len(records), int(text_conns)),
            "outcomes": (sum(doc["outcomes"].values()), doc["connections"]),
            "established": (doc["outcomes"]["established"],
                            sum(r["outcome"] == "established" for r in records)),
            "packets_read": (doc["capture"]["packets_read"], int(text_read)),
            "capture connections": (doc["capture"]["connections"], int(text_tracked)),
            "handshake_count": (doc["handshake_count"],
                                sum(r["handshake_ns"] is not None for r in records)),
        }
        for what, values in want.items():
            if len(set(values)) != 1:
                bad += 1
                print(f"{path}: summary {what}: {values} disagree")
        tops = [s["connections"] for s in doc["top_servers"]]
        if tops != sorted(tops, reverse=True) or len(tops) > 5:
            bad += 1
            print(f"{path}: summary top_servers not the largest first: {tops}")
        if doc["handshake_count"] > 0 and not (doc["handshake_min_ns"] <= doc["handshake_p50_ns"]
                                               <= doc["handshake_max_ns"]):
            bad += 1
            print(f"{path}: summary handshake quantiles out of order")
if n_summaries < 6 or len(doc["top_servers"]) != 5 or doc["server_evictions"] == 0:
    bad += 1
    print(f"summary: {n_summaries} objects validated, the last with "
          f"{len(doc['top_servers'])} top servers, {doc['server_evictions']} evictions")
for wrong in ({**doc, "summary": "interval"},
              {**doc, "outcomes": {**doc["outcomes"], "bogus": 1}},
              {k: v for k, v in doc.items() if k != "capture_point"},
              {**doc, "capture": {**doc["capture"], "flow_probes": 1}}):
    if summary.is_valid(wrong):
        bad += 1
        print("summary schema accepts a wrong object:", json.dumps(wrong)[:200])
print(f"{n} records, {n_health} health lines, {n_alerts} alerts and {n_summaries} summaries "
      f"validated, {bad} errors")
sys.exit(1 if bad else 0)
PY
    ok
    tail -1 "$tmp/validate"
else
    not_ok "records, --by rows, alerts and summaries against docs/*.schema.json ($n_files outputs):"
    head -20 "$tmp/validate"
fi

# --stats-interval -o json: every interval object of the captures (the one-second
# blocks on standard error) validates against docs/interval.schema.json, and a wrong
# one does not.
: >"$tmp/intervals"
for cap in "$data"/*.pcap "$data"/*.pcapng; do
    [ -e "$cap" ] || continue
    "$cli" -r "$cap" -o json -q --stats-interval 1 2>&1 >/dev/null | grep '^{"interval":' \
        >>"$tmp/intervals"
done
if ! python3 -c 'import jsonschema' 2>/dev/null; then
    [ -n "${CI:-}" ] && not_ok "python3 jsonschema is missing (Debian: python3-jsonschema)"
elif python3 - "$tmp/interval.schema.json" "$tmp/intervals" >"$tmp/validate" 2>&1 <<'PY'; then
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
check = jsonschema.Draft202012Validator(schema)
docs = [json.loads(l) for l in open(sys.argv[2])]
bad = 0
for doc in docs:
    for err in check.iter_errors(doc):
        bad += 1
        print(f"interval {doc.get('interval')}: {err.json_path}: {err.message}")
    if doc["end_ns"] <= doc["start_ns"] or sum(doc["outcomes"].values()) != doc["connections"]:
        bad += 1
        print(f"interval {doc.get('interval')}: bounds or outcome counts disagree")
if len(docs) < 10 or not any(d["connections"] for d in docs):
    bad += 1
    print(f"only {len(docs)} interval objects")
for wrong in ({**docs[-1], "summary": "run"}, {k: v for k, v in docs[-1].items() if k != "end_ns"}):
    if check.is_valid(wrong):
        bad += 1
        print("interval schema accepts a wrong object:", json.dumps(wrong)[:200])
print(f"{len(docs)} interval objects validated, {bad} errors")
sys.exit(1 if bad else 0)
PY
    ok
    tail -1 "$tmp/validate"
else
    not_ok "--stats-interval objects against docs/interval.schema.json:"
    head -20 "$tmp/validate"
fi

echo "schema: $pass passed, $fail failed"
[ $fail -eq 0 ]
