#!/usr/bin/env python3
"""Check tcpshake's records for tests/data against tests/data/expected.tsv.

expected.tsv holds what was measured with tshark when each capture was recorded from
real Linux stacks with known relay delays (tests/data/README.md): per connection the
outcome, who sent FIN first and RST, SYN and SYN-ACK counts, the server-side and
client-side latency in ms with a tolerance, and for refused / ICMP-rejected connections
the time from the SYN to the rejection. This test is independent of the golden files:
a golden rewritten by mistake cannot hide a wrong number here.

Deliberate difference: for a simultaneous open tcpshake measures no latency (there is no
request/answer pair, rtt_rule none), so the latency columns are not compared there.

usage: check_expected.py CLI DATA_DIR
"""
import json
import os
import subprocess
import sys


def records(cli, path):
    out = subprocess.run([cli, "-r", path, "-o", "json", "-q"], capture_output=True,
                         text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def ms(ns):
    return None if ns is None else ns / 1e6


def main():
    cli, data = sys.argv[1], sys.argv[2]
    with open(os.path.join(data, "expected.tsv"), encoding="utf-8") as f:
        lines = [l.rstrip("\n").split("\t") for l in f if l.strip()]
    header, rows = lines[0], [dict(zip(lines[0], l)) for l in lines[1:]]
    cache = {}
    used = set()
    failures = []
    checks = 0

    def expect(row, what, got, want):
        nonlocal checks
        checks += 1
        if got != want:
            failures.append(f"{row['file']} {row['client_port']}->{row['server_port']} "
                            f"(frame {row['first_frame']}): {what}: got {got}, want {want}")

    def near(row, what, got_ms, want):
        nonlocal checks
        if want == "":
            return
        checks += 1
        tol = float(row["tolerance_ms"])
        if got_ms is None or abs(got_ms - float(want)) > tol:
            failures.append(f"{row['file']} {row['client_port']}->{row['server_port']}: "
                            f"{what}: got {got_ms} ms, want {want} ± {tol} ms")

    for row in rows:
        if row["file"] not in cache:
            cache[row["file"]] = sorted(records(cli, os.path.join(data, row["file"])),
                                        key=lambda r: r["first_ns"])
        ports = {int(row["client_port"]), int(row["server_port"])}
        cands = [r for r in cache[row["file"]]
                 if {r["client"]["port"], r["server"]["port"]} == ports
                 and (row["file"], r["id"]) not in used]
        if not cands:
            failures.append(f"{row['file']} {row['client_port']}->{row['server_port']}: no record")
            continue
        r = cands[0]  # port reuse: the earliest record not yet matched
        used.add((row["file"], r["id"]))
        expect(row, "client port", r["client"]["port"], int(row["client_port"]))
        expect(row, "outcome", r["outcome"], row["outcome"])
        expect(row, "first_fin", r["first_fin"], row["first_fin"])
        expect(row, "rst_by", r["rst_by"], row["rst_by"])
        expect(row, "n_syn", r["n_syn"], int(row["n_syn"]))
        expect(row, "n_synack", r["n_synack"], int(row["n_synack"]))
        expect(row, "ip_version", r["ip_version"], int(row["family"]))
        if row["outcome"] != "simultaneous_open":
            near(row, "server_side", ms(r["server_side_ns"]), row["server_side_ms"])
            near(row, "client_side", ms(r["client_side_ns"]), row["client_side_ms"])
        if row["reject_ms"] and r["syn_ns"] is not None:
            end = r["icmp_ns"] if row["outcome"] == "icmp_rejected" else r["server"]["rst_ns"]
            near(row, "SYN to rejection", ms(end - r["syn_ns"]) if end else None,
                 row["reject_ms"])
    for f in failures:
        print("  " + f)
    print(f"facts: {checks - len(failures)} passed, {len(failures)} failed "
          f"({len(rows)} connections in {len(cache)} captures)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
