#!/usr/bin/env python3
"""p0f_diff.py - our p0f signatures and labels against p0f's own, capture by capture.

usage: p0f_diff.py CLI P0F DB CAPTURE...

For each capture, `p0f -r CAPTURE -o LOG -f DB` logs the raw_sig (and os= or app=,
and params) of every SYN and SYN-ACK it fingerprints; `CLI -r CAPTURE -o json
--p0f-db DB` gives each record's client_p0f_* (the client's SYN) and server_p0f_*
(the server's SYN-ACK). They are joined by the fingerprinted side's address and
port and its peer's. Every p0f signature must be one of ours for that pair, and
its label must be ours (name and flavor as p0f prints them, and "fuzzy"), unless a
rule documented in tcpshake(1) (P0F FINGERPRINTS) explains the difference; those
are counted apart and listed with -v.

Prints "p0f: N/M signatures agree, K/L labels agree" and exits 1 on an
unexplained disagreement.
"""
import ipaddress
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict

verbose = "-v" in sys.argv
args = [a for a in sys.argv[1:] if a != "-v"]
cli, p0f, db = args[:3]
captures = args[3:]


def norm(addr):
    return str(ipaddress.ip_address(addr))


def endpoint(text):
    addr, port = text.rsplit("/", 1)
    return norm(addr), int(port)


def p0f_entries(cap, log):
    if os.path.exists(log):
        os.unlink(log)
    run = subprocess.run([p0f, "-r", cap, "-o", log, "-f", db], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, timeout=120)
    if run.returncode != 0 or not os.path.exists(log):
        return None  # p0f cannot read it (link type, format): nothing to compare
    out = []
    with open(log, errors="replace") as f:
        for line in f:
            if "] mod=syn|" not in line and "] mod=syn+ack|" not in line:
                continue
            fields = dict(kv.split("=", 1) for kv in line.rstrip("\n").split("] ", 1)[1].split("|"))
            cli_ep, srv_ep = endpoint(fields["cli"]), endpoint(fields["srv"])
            subj, peer = (cli_ep, srv_ep) if fields["subj"] == "cli" else (srv_ep, cli_ep)
            name = fields.get("os", fields.get("app"))
            out.append({"mod": fields["mod"], "subj": subj, "peer": peer, "sig": fields["raw_sig"],
                        "label": "" if name == "???" else name,
                        "fuzzy": "fuzzy" in fields["params"].split()})
    return out


def as_p0f_prints(label):
    """'s:unix:Linux:3.11 and newer' -> 'Linux 3.11 and newer' (p0f's os= / app=)."""
    if not label:
        return ""
    _, _, name, flavor = label.split(":", 3)
    return name + (" " + flavor if flavor else "")


def ours(cap):
    run = subprocess.run([cli, "-r", cap, "-o", "json", "-q", "--threads", "1", "--p0f-db", db],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    sides = defaultdict(list)  # (subject, peer) -> [(sig, label, fuzzy, record)]
    for line in run.stdout.decode().splitlines():
        r = json.loads(line)
        if "id" not in r:
            continue
        c = (norm(r["client"]["addr"]), r["client"]["port"])
        s = (norm(r["server"]["addr"]), r["server"]["port"])
        # The server's signature is of its SYN-ACK, or of its SYN in a simultaneous open.
        server_kind = "syn" if r["outcome"] == "simultaneous_open" else "syn+ack"
        for who, subj, peer, kind in (("client", c, s, "syn"), ("server", s, c, server_kind)):
            sig = r[who + "_p0f_sig"]
            if sig:
                sides[(subj, peer)].append((sig, as_p0f_prints(r[who + "_p0f_label"]),
                                            r[who + "_p0f_fuzzy"], r, kind))
    return sides


def explain(e, mine):
    """The documented rule that explains a disagreement, or None."""
    if not mine:
        return None
    for sig, _, _, r, kind in mine:
        # Rule: in a simultaneous open the record has each side's SYN; p0f also
        # fingerprints the SYN-ACK that one side sends in answer to the other's SYN.
        if r["outcome"] == "simultaneous_open" and e["mod"] == "syn+ack":
            return "simultaneous open: SYNs kept"

        # Rule: the record keeps the first SYN of a connection; p0f fingerprints each
        # SYN that carries a new sequence number (a retried connect on the same port).
        if e["mod"] == "syn" and r["n_syn"] > 1 and "syn_isn_changed" in r["anomalies"]:
            return "first SYN kept (ISN changed)"
        # Rule: the record keeps the SYN-ACK that acknowledges the SYN; p0f the first
        # SYN-ACK after the SYN, whatever it acknowledges.
        if e["mod"] == "syn+ack" and ("synack_bad_ack" in r["anomalies"] or
                                      "synack_isn_changed" in r["anomalies"]):
            return "valid SYN-ACK kept"
    return None


n_sig = n_sig_ok = n_label = n_label_ok = 0
explained = []
bad = []
with tempfile.TemporaryDirectory() as tmp:
    log = os.path.join(tmp, "p0f.log")
    for cap in captures:
        entries = p0f_entries(cap, log)
        if not entries:
            continue
        sides = ours(cap)
        for e in entries:
            n_sig += 1
            mine = sides.get((e["subj"], e["peer"]), [])
            same = [m for m in mine if m[0] == e["sig"] and m[4] == e["mod"]]
            where = "%s: %s %s:%d -> %s:%d" % (os.path.basename(cap), e["mod"], *e["subj"], *e["peer"])
            if not same:
                why = explain(e, mine)
                if why:
                    explained.append("%s: %s (p0f %s, ours %s)" % (where, why, e["sig"],
                                                                   [m[0] for m in mine]))
                else:
                    bad.append("%s: p0f %s, ours %s" % (where, e["sig"], [m[0] for m in mine]))
                continue
            n_sig_ok += 1
            n_label += 1
            if any(m[1] == e["label"] and m[2] == e["fuzzy"] for m in same):
                n_label_ok += 1
            else:
                bad.append("%s: %s: p0f label '%s'%s, ours %s" % (
                    where, e["sig"], e["label"], " fuzzy" if e["fuzzy"] else "",
                    [(m[1], m[2]) for m in same]))

print("p0f: %d/%d signatures agree, %d/%d labels agree%s" % (
    n_sig_ok, n_sig, n_label_ok, n_label,
    ", %d explained by documented rules" % len(explained) if explained else ""))
if verbose:
    for x in explained:
        print("  explained:", x)
for x in bad[:30]:
    print("  disagree:", x)
if n_sig == 0:
    print("  no signature from p0f at all")
sys.exit(1 if bad or n_sig == 0 else 0)
