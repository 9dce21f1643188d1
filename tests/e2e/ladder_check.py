#!/usr/bin/env python3
"""The ladders of a capture against its JSON records (tests/e2e/ladder.sh).

usage: ladder_check.py RECORDS.json LADDERS.txt

For every record: one ladder with its id; the title's server side and client side
are the record's server_side_ns and client_side_ns (as the terminal writes a
duration); when the record has a figure, its bracket runs from a row marked with
a top corner to a row marked with a bottom corner in the S (server side) or C
(client side) column, the rows' times differ by the figure (to the microsecond
each time is rounded to), and the closing row's note states the figure; when it
has none, that column has no mark.
"""
import json
import sys

# Columns of a row: time (10), 2 blanks, delta (10), 2 blanks, the arrow between
# two lifelines (26), 2 blanks, the S mark, a blank, the C mark.
COL_S = 10 + 2 + 10 + 2 + 26 + 2
COL_C = COL_S + 2


def dur(ns):
    """A duration as cli/ladder.c writes it."""
    if ns is None:
        return "-"
    if ns < 1000000000:
        us = (ns + 500) // 1000
        return "%d.%03d ms" % (us // 1000, us % 1000)
    ms = (ns + 500000) // 1000000
    return "%d.%03d s" % (ms // 1000, ms % 1000)


def parse(path):
    ladders = {}
    cur = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("connection "):
                cur = {"id": int(line.split()[1]), "rows": [], "title2": None}
                ladders[cur["id"]] = cur
            elif cur is not None and line.startswith("  server side "):
                cur["title2"] = line
            elif cur is not None and len(line) > COL_C and line[COL_S - 2] == " " and "│" in line:
                cur["rows"].append(line)
    return ladders


def usec(row):
    sec, frac = row[:10].strip().split(".")
    return int(sec) * 1000000 + int(frac)


def check_side(lad, rec, key, col, label, errors):
    ns = rec.get(key)
    marks = [(i, r[col]) for i, r in enumerate(lad["rows"]) if r[col] in "┐│┘╪"]
    where = "connection %d %s" % (rec["id"], label)
    if "%s %s " % (label, dur(ns)) not in lad["title2"] + " ":
        errors.append("%s: title %r, record %s" % (where, lad["title2"], dur(ns)))
    if ns is None:
        if marks:
            errors.append("%s: no figure in the record, but a bracket" % where)
        return
    top = [i for i, m in marks if m in "┐╪"]
    bottom = [i for i, m in marks if m in "┘╪"]
    if len(top) != 1 or len(bottom) != 1:
        errors.append("%s: want one bracket, got marks %r" % (where, marks))
        return
    span = usec(lad["rows"][bottom[0]]) - usec(lad["rows"][top[0]])
    if abs(span - (ns + 500) // 1000) > 1:
        errors.append("%s: rows %d us apart, record %d ns" % (where, span, ns))
    if "%s %s" % (label, dur(ns)) not in lad["rows"][bottom[0]]:
        errors.append("%s: closing row does not say %s" % (where, dur(ns)))


def main():
    records = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
    ladders = parse(sys.argv[2])
    errors = []
    if sorted(ladders) != sorted(r["id"] for r in records):
        errors.append("ladders %s, records %s" % (sorted(ladders), sorted(r["id"] for r in records)))
    brackets = 0
    for rec in records:
        lad = ladders.get(rec["id"])
        if lad is None or lad["title2"] is None:
            continue
        check_side(lad, rec, "server_side_ns", COL_S, "server side", errors)
        check_side(lad, rec, "client_side_ns", COL_C, "client side", errors)
        brackets += (rec.get("server_side_ns") is not None) + (rec.get("client_side_ns") is not None)
    for e in errors:
        print(e)
    print("ladder_check: %d ladders, %d brackets equal to the records, %d errors"
          % (len(ladders), brackets, len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
