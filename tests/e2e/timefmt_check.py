#!/usr/bin/env python3
"""The checks of tests/e2e/timefmt.sh, in one process for every capture.

Each DIR holds one capture's outputs: name (the capture's name), sum.json
(--summary-json of the default run), ns.json (its records), for each --time-format
TF: TF.json, TF.csv and TF.jq (the time fields as jq read them), and conn.log and
conn.json (-o zeek and -o zeek-json). Prints "not ok - ..." for each failed check and,
last, "timefmt-check: PASSED FAILED TLS_TIMES".

usage: tests/e2e/timefmt_check.py SCHEMA DIR...
"""
import csv
import datetime
import json
import sys
from decimal import Decimal

import jsonschema

SIDE = ["fin_ns", "rst_ns", "first_payload_ns"]
TOP = ["first_ns", "last_ns", "syn_ns", "syn_last_ns", "synack_ns", "synack_last_ns",
       "ack_ns", "icmp_ns"]
TLS = ["client_hello_ns", "client_hello2_ns", "server_hello_ns", "server_flight_ns",
       "client_flight_ns", "client_data_ns", "server_data_ns", "alert_ns"]
FORMATS = ["ns", "s", "iso", "offset"]


def fields(rec):
    tls = rec["tls"] or {}
    return ([rec[k] for k in TOP] + [rec[s][k] for s in ("client", "server") for k in SIDE] +
            [tls.get(k) for k in TLS])


def to_ns(v, tf, origin):
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


def strip_times(rec):
    for k in TOP:
        rec.pop(k)
    for s in ("client", "server"):
        for k in SIDE:
            rec[s].pop(k)
    for k in TLS if rec["tls"] else []:
        rec["tls"].pop(k)
    return rec


def check_format(d, tf, validator):
    """The records written with --time-format tf against the default ones; returns the
    number of tls times compared."""
    origin = json.load(open(f"{d}/sum.json"))["capture"]["first_ns"]
    want = [fields(json.loads(line)) for line in open(f"{d}/ns.json")]
    got = [json.loads(line) for line in open(f"{d}/{tf}.json")]
    for r in got:
        validator.validate(r)
    assert len(want) == len(got) > 0
    assert all(r["schema_version"] == 1 for r in got)
    for w, g in zip(want, got):
        assert [to_ns(v, tf, origin) for v in fields(g)] == w, (w, fields(g))
    # What jq read, field for field (offsets and strings are exact for it).
    if tf != "ns":
        for w, line in zip(want, open(f"{d}/{tf}.jq")):
            assert [to_ns(v, tf, origin) for v in line.split()] == w, (w, line)
    rows = list(csv.DictReader(open(f"{d}/{tf}.csv")))
    assert len(rows) == len(want)
    for w, row in zip(want, rows):
        assert row["schema_version"] == "1"
        vals = ([row[k] for k in TOP] +
                [row[f"{s}_{k}"] for s in ("client", "server") for k in SIDE] +
                [row[f"tls_{k}"] for k in TLS])
        assert [to_ns(v, tf, origin) for v in vals] == w, (w, vals)
    # Besides its times, a record is the default one.
    for a, b in zip(open(f"{d}/ns.json"), open(f"{d}/{tf}.json")):
        assert strip_times(json.loads(a)) == strip_times(json.loads(b))
    return sum(v is not None for w in want for v in w[-len(TLS):])


def check_zeek_json(d):
    """-o zeek-json holds, line for line, the columns of -o zeek."""
    lines = open(f"{d}/conn.log").read().splitlines()
    names = next(l for l in lines if l.startswith("#fields")).split("\t")[1:]
    types = next(l for l in lines if l.startswith("#types")).split("\t")[1:]
    rows = [l.split("\t") for l in lines if not l.startswith("#")]
    objs = [json.loads(l, parse_float=Decimal) for l in open(f"{d}/conn.json")]
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


def main():
    schema = json.load(open(sys.argv[1]))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    passed = failed = tls_times = 0
    for d in sys.argv[2:]:
        name = open(f"{d}/name").read().strip()
        checks = [(f"{name} --time-format {tf}", lambda tf=tf: check_format(d, tf, validator))
                  for tf in FORMATS]
        checks.append((f"{name} -o zeek-json against -o zeek", lambda: check_zeek_json(d)))
        for what, check in checks:
            try:
                n = check()
            except (AssertionError, OSError, ValueError, KeyError, StopIteration,
                    jsonschema.ValidationError) as e:
                failed += 1
                print(f"not ok - {what}: {type(e).__name__} {str(e)[:300]}")
                continue
            passed += 1
            tls_times += n or 0
    print(f"timefmt-check: {passed} {failed} {tls_times}")


if __name__ == "__main__":
    main()
