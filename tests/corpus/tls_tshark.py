#!/usr/bin/env python3
"""Agreement of the records' tls objects with tshark's view of every TLS stream.

usage: tests/corpus/tls_tshark.py CLI [CORPUS]

For each oracle in CORPUS/tls/oracle/INDEX.tsv (default ../shared/corpus beside the
repository), runs CLI -r on its capture and matches each tshark stream that has a
ClientHello to the record of the same connection (client and server address and port).
Compares SNI, ALPN offered, HelloRetryRequest, negotiated version, cipher suite, ALPN
chosen, and the ClientHello and ServerHello times (equal to the microsecond: both time a
message by the segment that completes it). Prints one line per field with the counts,
then the disagreements by the rule that explains them:

  no record tls  the stream has no tls object: its client stream does not start with a
                 TLS record (TLS inside HTTP CONNECT or SOCKS, or after STARTTLS), or the
                 ClientHello segment is not in the capture;
  malformed      the observer refused a hello whose layout is not RFC 8446's or RFC
                 5246's (a TLS 1.3 draft ServerHello, a synthetic one): outcome malformed;
  tls1.3 alpn    ALPN chosen in TLS 1.3 travels encrypted (EncryptedExtensions): tshark
                 reads it only with the keys the capture carries.

Any other disagreement is unexplained and makes the exit status 1.
"""
import csv
import json
import os
import subprocess
import sys
from collections import Counter


def us(t):
    """A time as integer microseconds; None for '-' or empty."""
    if t in (None, "", "-"):
        return None
    if isinstance(t, int):
        return t // 1000
    sec, _, frac = t.partition(".")
    return int(sec) * 1000000 + int((frac + "000000")[:6])


def endpoint(side):
    addr = side["addr"]
    return f"[{addr}]:{side['port']}" if ":" in addr else f"{addr}:{side['port']}"


def norm_ep(text):
    return text.replace("[", "").replace("]", "")


def main():
    cli = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    corpus = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "../../../shared/corpus")
    tls_dir = os.path.join(corpus, "tls")
    index = os.path.join(tls_dir, "oracle/INDEX.tsv")
    if not os.path.exists(index):
        print(f"tls_tshark: skipped: no {index}")
        return 0
    agree, disagree = Counter(), Counter()
    explained, unexplained = Counter(), []
    streams = 0
    for row in csv.DictReader(open(index), delimiter="\t"):
        oracle = os.path.join(tls_dir, "oracle", row["oracle"])
        cap = os.path.join(tls_dir, row["capture"])
        if not os.path.exists(cap) or not os.path.exists(oracle):
            continue
        out = subprocess.run([cli, "-r", cap, "-o", "json", "-q"], capture_output=True, text=True)
        recs = {}
        for line in out.stdout.splitlines():
            r = json.loads(line)
            pair = (norm_ep(endpoint(r["client"])), norm_ep(endpoint(r["server"])))
            for key in (pair, pair[::-1]):
                # A reused tuple has several records: the one with TLS is the stream's.
                if key not in recs or (recs[key]["tls"] is None and r["tls"] is not None):
                    recs[key] = r
        for s in csv.DictReader(open(oracle), delimiter="\t"):
            if s["ch_count"] in ("", "0", "-"):
                continue
            streams += 1
            r = recs.get((norm_ep(s["client"]), norm_ep(s["server"])))
            t = r["tls"] if r is not None else None
            if t is None:
                explained["no record tls"] += 1
                continue
            if t["outcome"] == "malformed":
                explained["malformed"] += 1
                continue
            sh = s["sh_time"] not in ("", "-")
            checks = [
                ("sni", s["sni"] if s["sni"] != "-" else "", t["sni"]),
                ("alpn_offered", s["alpn_offered"] if s["alpn_offered"] != "-" else "",
                 t["alpn_offered"]),
                ("hrr", s["hrr"] == "1", t["hrr"]),
                ("client_hello_ns", us(s["ch_time"]), us(t["client_hello_ns"])),
            ]
            if sh:
                checks += [
                    ("version", s["version_name"], t["version"]),
                    ("cipher", s["cipher"], t["cipher"]),
                    ("server_hello_ns", us(s["sh_time"]), us(t["server_hello_ns"])),
                    ("alpn", s["alpn_chosen"] if s["alpn_chosen"] != "-" else "", t["alpn"]),
                ]
            for name, want, got in checks:
                if want == got:
                    agree[name] += 1
                elif name == "alpn" and t["version"] == "TLS1.3" and got == "":
                    explained["tls1.3 alpn"] += 1
                else:
                    disagree[name] += 1
                    unexplained.append(f"{row['capture']} {s['client']} -> {s['server']}: "
                                       f"{name} tshark {want!r}, tcpshake {got!r}")
    print(f"tls_tshark: {streams} streams with a ClientHello")
    for name in sorted(set(agree) | set(disagree)):
        print(f"  {name:16} {agree[name]:5} agree {disagree[name]:5} disagree")
    for why, n in sorted(explained.items()):
        print(f"  explained: {why}: {n}")
    for line in unexplained[:40]:
        print("  unexplained: " + line)
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
