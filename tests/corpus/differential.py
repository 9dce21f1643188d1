#!/usr/bin/env python3
"""Differential test: tcpshake against the tshark and Zeek oracles of ../shared/corpus.

For every capture in the corpus MANIFEST this runs `tcpshake -o json -q` and checks:

1. tshark: for every stream that the oracle lists with an initial_rtt, tcpshake's
   SYN->ACK figure agrees to the nanosecond. tshark's rule (Wireshark packet-tcp.c):
   iRTT = first segment with ACK set and SYN clear, in either direction, minus the most
   recent SYN. Ours: ack_ns (the client's ACK of the server ISN + 1) minus the last SYN
   before the first valid SYN-ACK. Where they differ on purpose, the stream is counted
   under a documented reason:
     - retransmitted_syn: SYN retransmitted (our rtt_rule says last_syn/last_both);
       tshark measures from whichever SYN came last before its ACK.
     - no_handshake: tcpshake saw no completed handshake (refused, reset, half-open,
       unanswered, one-sided); tshark still reports an iRTT because it accepts any
       ACK-flagged segment (a RST+ACK, the server's own ACK) as the third packet.
     - not_final_ack: the first ACK-flagged non-SYN segment tshark used is not the
       client's ACK of the server ISN + 1 (a RST+ACK, a server ACK, an ACK of another
       number, an earlier duplicate); tshark's end point then differs from ours.
     - zero_irtt: the handshake took 0 ns (equal time stamps); tshark never shows a zero
       iRTT and reports a later, unrelated difference instead.
     - vlan_split: the same 4-tuple on different VLANs. tcpshake keys connections by
       VLAN too (a packet routed between VLANs is seen twice; distinct hosts may reuse
       a tuple on two VLANs); tshark merges them into one stream.
     - tunnel: the TCP connection is inside a tunnel tcpshake does not decapsulate.
   Anything else is a failure.

2. Zeek: for every trace with a Zeek conn.log baseline, `tcpshake -o zeek` agrees with
   the TCP rows, matched by 4-tuple (and order, for port reuse), on every column of
   ZEEK_COMPARED: duration, orig_bytes, resp_bytes, conn_state, history, orig_pkts,
   orig_ip_bytes, resp_pkts and resp_ip_bytes. A difference is documented by a rule
   (ZEEK_KNOWN, ZEEK_TRACES, ZEEK_KNOWN_FIELDS, row_split, tunnel; each one is in the man
   page) or it fails. Prints the agreement per column.

Prints the agreement counts. Without the corpus: a failure when the environment variable
CI is set (exit 1), else "skipped: corpus absent" and exit 0 (as tests/need.sh does).
"""
import json
import os
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.environ.get("TCPSHAKE_CORPUS",
                        os.path.join(HERE, "..", "..", "..", "shared", "corpus"))

# The conn.log columns compared with Zeek's, in conn.log order.
ZEEK_COMPARED = ("duration", "orig_bytes", "resp_bytes", "conn_state", "history", "orig_pkts",
                 "orig_ip_bytes", "resp_pkts", "resp_ip_bytes")

# (trace, orig_h, orig_p, resp_h, resp_p) -> why Zeek's row differs from ours (every column).
ZEEK_KNOWN = {
    ("zeek/globus-url-copy.pcap", "192.168.57.103", 35391, "192.168.57.101", 55968):
        "script: Zeek's GridFTP script stops TCP processing of the data connection, "
        "so Zeek logs S1 (and the packets, bytes and history up to then) where the wire "
        "shows both FINs (SF)",
}
# trace -> why its rows differ (every column): a decoding difference, one rule each.
ZEEK_TRACES = {
    "zeek/cisco-fabric-path.pcap":
        "fabricpath: tcpshake does not decode Cisco FabricPath frames (ethertype 0x8903); "
        "Zeek sees each SYN twice, plain and inside FabricPath",
    "zeek/tunnels/gtp/gtp1_gn_normal_incl_fragmentation.pcap":
        "ip_fragments: Zeek reassembles IP fragments, tcpshake skips them (counted as "
        "skipped fragment): the packets, bytes and history letters they carry differ",
}
# (trace, orig_h, orig_p, resp_h, resp_p, column) -> why one column differs.
ZEEK_KNOWN_FIELDS = {
    (trace, o, op, r, rp, "orig_ip_bytes"):
        "ip_bytes_over_1500: Zeek's orig_ip_bytes leaves out this side's IPv4 packets "
        "longer than 1500 bytes (offloaded segments; still counted in orig_pkts); tcpshake "
        "counts the IP total length of every packet"
    for trace, o, op, r, rp in (
        ("zeek/ldap/missing_ldap_logs.pcapng", "10.199.2.121", 59327, "10.199.2.111", 389),
        ("zeek/ldap/missing_ldap_logs.pcapng", "10.199.2.121", 59355, "10.199.2.111", 389),
        ("zeek/ldap/missing_ldap_logs.pcapng", "10.199.2.121", 59356, "10.199.2.111", 389),
        ("zeek/ldap/missing_krbtgt_ldap_request.pcapng", "192.168.10.138", 63815,
         "192.168.10.186", 389))
}
# Rules that explain a whole class of rows:
#   row_split: Zeek's timers (5 s after an unanswered SYN or a close, idle limits) cut one
#              connection into several conn.log rows; tcpshake reports one record per
#              connection, whose zeek_state describes Zeek's last row.
#   tunnel:    the connection is inside a tunnel tcpshake does not decapsulate.
# Each rule is in the man page (tcpshake(1), OUTPUT FORMATS, zeek: differences from Zeek).


def run_tcpshake(binary, path):
    proc = subprocess.run([binary, "-r", path, "-o", "json", "-q"], capture_output=True,
                          text=True, timeout=120)
    recs = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    return proc.returncode, proc.stderr.strip(), recs


def endpoint(addr, port):
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


def ns_of(text):
    """tshark's 9-decimal epoch string to integer nanoseconds."""
    return int(Decimal(text) * 1000000000)


def read_tsv(path):
    with open(path, encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f if l.strip()]
    header = lines[0].split("\t")
    return [dict(zip(header, l.split("\t"))) for l in lines[1:]]


def classify_tshark(row, recs_by_pair):
    """Return 'agree' or a documented reason or 'FAIL: ...' for one oracle stream."""
    client, server = row["client"], row["server"]
    syn_ns = ns_of(row["syn_time"]) if row["syn_time"] else None
    irtt = ns_of(row["initial_rtt"])
    cands = recs_by_pair.get((client, server), []) + recs_by_pair.get((server, client), [])
    rec = None
    for r in cands:
        if syn_ns is not None and r["syn_ns"] == syn_ns:
            rec = r
            break
    if rec is None and cands:
        # No SYN in the stream (or reordered): the record nearest in time.
        first = ns_of(row["syn_time"] or row["synack_time"] or "0") if (row["syn_time"] or row["synack_time"]) else None
        rec = min(cands, key=lambda r: abs(r["first_ns"] - first)) if first else cands[0]
    if rec is None:
        if "gtp" in row.get("_protocols", "") or row.get("_tunnel"):
            return "tunnel"
        return "FAIL: no tcpshake record for this stream"
    ours = None
    if rec["ack_ns"] is not None and rec["syn_last_ns"] is not None and rec["syn_ns"] is not None:
        ours = rec["ack_ns"] - rec["syn_last_ns"]
    if ours == irtt:
        return "agree"
    if ours == 0:
        return "zero_irtt"
    vlans = {r["vlan"] for r in cands}
    if len(vlans) > 1:
        return "vlan_split"
    if rec["outcome"] not in ("established", "fast_open") or rec["ack_ns"] is None:
        return "no_handshake"
    if rec["rtt_rule"] in ("last_syn", "last_both") or rec["n_syn"] > 1:
        return "retransmitted_syn"
    if row["ack_time"] and rec["ack_ns"] != ns_of(row["ack_time"]):
        return "not_final_ack"
    if rec["n_syn"] == 1 and syn_ns is not None and row["ack_time"] and \
            syn_ns + irtt != ns_of(row["ack_time"]):
        return "not_final_ack"
    if rec["n_synack"] > 1:
        return "not_final_ack"
    return f"FAIL: tshark {irtt} ns, tcpshake {ours} ns (record {rec['id']})"


def tshark_check(binary, manifest):
    counts = defaultdict(int)
    failures = []
    for m in manifest:
        path = os.path.join(CORPUS, m["file"])
        oracle = os.path.join(CORPUS, "oracle", "tshark", m["file"] + ".tsv")
        if not os.path.exists(oracle):
            continue
        rows = [r for r in read_tsv(oracle) if r.get("initial_rtt")]
        tunnel = "GTP" in m.get("notes", "") or "gtp" in m["file"]
        for r in rows:
            r["_tunnel"] = tunnel
        rc, err, recs = run_tcpshake(binary, path)
        if rc not in (0, 1):
            failures.append(f"{m['file']}: exit {rc}: {err}")
            continue
        if not rows:
            continue
        by_pair = defaultdict(list)
        for r in recs:
            c = endpoint(r["client"]["addr"], r["client"]["port"])
            s = endpoint(r["server"]["addr"], r["server"]["port"])
            by_pair[(c, s)].append(r)
        for row in rows:
            verdict = classify_tshark(row, by_pair)
            counts[verdict.split(":")[0]] += 1
            if verdict.startswith("FAIL"):
                failures.append(f"{m['file']} stream {row['tcp_stream']}: {verdict}")
    return counts, failures


def zeek_rows(path):
    fields = None
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
            elif line and not line.startswith("#") and fields:
                row = dict(zip(fields, line.split("\t")))
                if row.get("proto") == "tcp":
                    rows.append(row)
    return rows


def our_zeek_rows(binary, path):
    """tcpshake -o zeek's rows, by Zeek's 4-tuple, in order."""
    proc = subprocess.run([binary, "-r", path, "-o", "zeek", "-q"], capture_output=True,
                          text=True, timeout=120)
    fields, ours = None, defaultdict(list)
    for line in proc.stdout.splitlines():
        if line.startswith("#fields"):
            fields = line.split("\t")[1:]
        elif line and not line.startswith("#") and fields:
            r = dict(zip(fields, line.split("\t")))
            ours[(r["id.orig_h"], int(r["id.orig_p"]), r["id.resp_h"], int(r["id.resp_p"]))].append(r)
    return ours


def zeek_check(binary):
    """Per column of ZEEK_COMPARED: rows that agree, rows that differ by a documented rule,
    and the failures (a difference no rule explains)."""
    index = read_tsv(os.path.join(CORPUS, "oracle", "zeek", "INDEX.tsv"))
    agree = defaultdict(int)
    known = defaultdict(int)
    rules = defaultdict(int)
    total = 0
    failures = []
    seen = set()
    for entry in index:
        trace = entry["trace_file"]
        oracle = os.path.join(CORPUS, "oracle", "zeek", trace[len("zeek/"):] + ".conn.log")
        if oracle in seen or not os.path.exists(oracle):
            continue
        seen.add(oracle)
        ours = our_zeek_rows(binary, os.path.join(CORPUS, trace))
        rows = zeek_rows(oracle)
        zeek_per_key = defaultdict(int)
        for row in rows:
            zeek_per_key[(row["id.orig_h"], int(row["id.orig_p"]), row["id.resp_h"],
                          int(row["id.resp_p"]))] += 1
        ours_per_key = {k: len(v) for k, v in ours.items()}
        for row in rows:
            key = (row["id.orig_h"], int(row["id.orig_p"]), row["id.resp_h"], int(row["id.resp_p"]))
            total += 1
            cands = ours.get(key, [])
            mine = cands.pop(0) if cands else None
            row_why = ZEEK_KNOWN.get((trace,) + key) or ZEEK_TRACES.get(trace)
            if row_why is None and zeek_per_key[key] > ours_per_key.get(key, 0) > 0:
                row_why = "row_split"
            if row_why is None and "/tunnels/" in trace and ours_per_key.get(key, 0) == 0:
                row_why = "tunnel"
            for col in ZEEK_COMPARED:
                got = mine[col] if mine else "(none)"
                if got == row[col]:
                    agree[col] += 1
                    continue
                why = row_why or ZEEK_KNOWN_FIELDS.get((trace,) + key + (col,))
                if why:
                    known[col] += 1
                    rules[why.split(":")[0]] += 1
                else:
                    failures.append(f"{trace} {key}: {col}: zeek {row[col]}, tcpshake {got} "
                                    f"(zeek history {row['history']})")
    return agree, known, rules, total, failures


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/tcpshake"
    manifest_path = os.path.join(CORPUS, "MANIFEST.tsv")
    if not os.path.exists(manifest_path):
        if os.environ.get("CI"):
            print(f"not ok - corpus cannot run: corpus absent (looked for {manifest_path}; "
                  "CI is set, so this is a failure)")
            print("corpus: 0 passed, 1 failed")
            return 1
        print(f"corpus: skipped: corpus absent (looked for {manifest_path})")
        return 0
    manifest = read_tsv(manifest_path)
    counts, t_fail = tshark_check(binary, manifest)
    total = sum(counts.values())
    print(f"corpus/tshark: {total} streams with an initial_rtt over {len(manifest)} captures: "
          f"{counts['agree']} agree to the nanosecond; documented differences: "
          f"retransmitted_syn {counts['retransmitted_syn']}, no_handshake {counts['no_handshake']}, "
          f"not_final_ack {counts['not_final_ack']}, zero_irtt {counts['zero_irtt']}, "
          f"vlan_split {counts['vlan_split']}, tunnel {counts['tunnel']}; "
          f"unexplained {counts['FAIL']}")
    agree, known, rules, ztotal, z_fail = zeek_check(binary)
    print(f"corpus/zeek: {ztotal} TCP rows of Zeek's conn.log baselines; agreement per column "
          f"(documented differences in brackets):")
    for col in ZEEK_COMPARED:
        print(f"  {col:<14} {agree[col]:>4} of {ztotal} agree ({known[col]} documented)")
    print("  documented by rule (column differences): " +
          ", ".join(f"{k} {v}" for k, v in sorted(rules.items())) +
          f"; unexplained {len(z_fail)}")
    for f in t_fail + z_fail:
        print("  " + f)
    failed = len(t_fail) + len(z_fail)
    print(f"corpus: {total + ztotal - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
