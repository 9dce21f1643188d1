#!/usr/bin/env python3
"""measure_capture.py: per-connection facts of the tests/data captures, read with tshark.

For every TCP connection (tshark's tcp.stream) in each file it prints one row of
tests/data/expected.tsv: the counts, the teardown and the handshake latencies,
measured from the packet timestamps. The outcome is derived from those facts by
the plain rules below, and then checked against what record.sh planned for that
server port (PLAN); a disagreement is an error, so a recording that did not go
as planned cannot silently become a golden file.

Usage: measure_capture.py FILE... > tests/data/expected.tsv

Rules (the client is whoever sent the first SYN without ACK; when the capture has
no such SYN, the side that received the SYN-ACK, else the non-server port):
  server_side_ms: first SYN-ACK minus the client's SYN, only when exactly one
                  client SYN precedes that SYN-ACK (else ambiguous: empty).
  client_side_ms: the client's first ACK of (server ISN + 1) without SYN/RST,
                  minus the SYN-ACK, only when exactly one SYN-ACK precedes it
                  (a retransmitted SYN-ACK makes the sample ambiguous: Karn).
  reject_ms:      first SYN to the server's RST or ICMP error, when the server
                  never sent a SYN-ACK.
"""
import subprocess
import sys

TOLERANCE_MS = 5
SERVER_PORTS = set(range(8001, 8016)) | {8017, 8018, 8019, 8020, 8021}

# What record.sh set out to produce on each server port.
PLAN = {
    8001: ("established", "request/response, client closes first"),
    8002: ("established", "request/response, server closes first"),
    8003: ("refused", "nothing listening: RST+ACK"),
    8004: ("unanswered", "relay drops every SYN after recording; client gives up"),
    8005: ("established", "relay drops the first SYN-ACK after recording"),
    8006: ("established", "client aborts (SO_LINGER 0) after the response"),
    8007: ("established", "server aborts (SO_LINGER 0) after the response"),
    8008: ("established", "half-close: client FIN with request, server answers twice"),
    8009: ("established", "IPv6, request/response, client closes first"),
    8010: ("refused", "IPv6, nothing listening"),
    8011: ("established", "client sysctls: no timestamps, SACK or window scaling"),
    8012: ("established", "port reuse: client port 40012 twice, server closes first"),
    8013: ("icmp_rejected", "nft reject with icmp port-unreachable"),
    8014: ("icmp_rejected", "nft reject with icmpv6 port-unreachable"),
    8015: (("established", "fast_open"), "TFO: 1st gets a cookie, 2nd sends data on SYN"),
    8017: ("simultaneous_open", "10.99.0.1:8016 and 10.99.0.2:8017 connect to each other"),
    8018: ("half_open", "client ACK and later segments lost before the capture point"),
    8019: ("reset_in_handshake", "client closed in SYN-SENT; its kernel RSTs the SYN-ACK"),
    8020: ("midstream", "capture starts at the first payload segment"),
    8021: ("no_syn", "the SYN is not on the capture"),
}

FIELDS = ["frame.number", "frame.time_epoch", "tcp.stream", "ip.src", "ipv6.src",
          "tcp.srcport", "tcp.dstport", "tcp.flags", "tcp.seq_raw", "tcp.ack_raw",
          "tcp.len", "icmp.type", "icmpv6.type"]

SYN, ACK, RST, FIN = 0x02, 0x10, 0x04, 0x01


def read_frames(path):
    cmd = ["tshark", "-Q", "-n", "-r", path, "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=f"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    frames = []
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        if not v["tcp.stream"]:
            continue  # not TCP, and no TCP header quoted (MLD and the like)
        icmp = v["icmp.type"] == "3" or v["icmpv6.type"] == "1"
        frames.append({
            "no": int(v["frame.number"]),
            "t": float(v["frame.time_epoch"]),
            "stream": int(v["tcp.stream"]),
            "family": 6 if v["ipv6.src"] else 4,
            "sport": int(v["tcp.srcport"]),
            "dport": int(v["tcp.dstport"]),
            "flags": 0 if icmp else int(v["tcp.flags"], 16),
            "seq": int(v["tcp.seq_raw"] or 0),
            "ack": int(v["tcp.ack_raw"] or 0),
            "len": int(v["tcp.len"] or 0),
            "icmp": icmp,
        })
    return frames


def pure_syn(f):
    return f["flags"] & (SYN | ACK) == SYN


def synack(f):
    return f["flags"] & (SYN | ACK) == SYN | ACK


def find_client_port(fs):
    for f in fs:
        if f["icmp"]:
            return f["sport"]  # the quoted header is the client's SYN
        if pure_syn(f):
            return f["sport"]
        if synack(f):
            return f["dport"]
    f = fs[0]
    return f["dport"] if f["sport"] in SERVER_PORTS else f["sport"]


def ms(a, b):
    return "%.1f" % ((b - a) * 1000.0)


def facts(fs):
    cport = find_client_port(fs)
    sport = fs[0]["dport"] if fs[0]["sport"] == cport else fs[0]["sport"]
    frm_c = lambda f: f["sport"] == cport and not f["icmp"]
    frm_s = lambda f: f["sport"] == sport
    syns = [f for f in fs if frm_c(f) and pure_syn(f)]
    synacks = [f for f in fs if frm_s(f) and synack(f)]
    r = {"client_port": cport, "server_port": sport, "family": fs[0]["family"],
         "first_frame": fs[0]["no"], "n_syn": len(syns), "n_synack": len(synacks),
         "server_side_ms": "", "client_side_ms": "", "reject_ms": "",
         "first_fin": "none", "rst_by": "none"}
    fins = [f for f in fs if f["flags"] & FIN]
    if fins:
        r["first_fin"] = "client" if frm_c(fins[0]) else "server"
    rsts = [f for f in fs if f["flags"] & RST]
    if rsts:
        r["rst_by"] = "client" if frm_c(rsts[0]) else "server"
    icmps = [f for f in fs if f["icmp"]]
    done = None
    if synacks:
        sa = synacks[0]
        before = [f for f in syns if f["t"] <= sa["t"]]
        if len(before) == 1:
            r["server_side_ms"] = ms(before[0]["t"], sa["t"])
        want = (sa["seq"] + 1) % 2**32
        for f in fs:
            if frm_c(f) and f["flags"] & ACK and not f["flags"] & (SYN | RST) and f["ack"] == want:
                done = f
                break
        if done:
            n_before = len([f for f in synacks if f["t"] <= done["t"]])
            if n_before == 1:
                r["client_side_ms"] = ms(sa["t"], done["t"])
    elif syns and (icmps or (rsts and r["rst_by"] == "server")):
        r["reject_ms"] = ms(syns[0]["t"], (icmps or rsts)[0]["t"])
    r["outcome"] = derive_outcome(fs, syns, synacks, done, icmps, r, frm_s)
    return r


def derive_outcome(fs, syns, synacks, done, icmps, r, frm_s):
    if not syns and not synacks:
        return "midstream"
    if not syns:
        return "no_syn"
    if any(frm_s(f) and pure_syn(f) for f in fs) and done:
        return "simultaneous_open"
    if done:
        return "fast_open" if syns[-1]["len"] > 0 else "established"
    if icmps:
        return "icmp_rejected"
    if not synacks:
        return "refused" if r["rst_by"] == "server" else "unanswered"
    if r["rst_by"] != "none":
        return "reset_in_handshake"
    return "half_open"


def main():
    cols = ["file", "client_port", "server_port", "outcome", "first_fin", "rst_by", "n_syn",
            "n_synack", "server_side_ms", "client_side_ms", "tolerance_ms", "family",
            "first_frame", "reject_ms", "note"]
    print("\t".join(cols))
    bad = 0
    for path in sys.argv[1:]:
        streams = {}
        for f in read_frames(path):
            streams.setdefault(f["stream"], []).append(f)
        for sid in sorted(streams, key=lambda s: streams[s][0]["no"]):
            r = facts(streams[sid])
            plan = PLAN.get(r["server_port"])
            if plan is None or r["outcome"] not in (plan[0] if isinstance(plan[0], tuple)
                                                    else (plan[0],)):
                print("measure_capture: %s: stream %d port %d: measured %s, planned %s"
                      % (path, sid, r["server_port"], r["outcome"], plan and plan[0]),
                      file=sys.stderr)
                bad = 1
            r["file"] = path.rsplit("/", 1)[-1]
            r["tolerance_ms"] = TOLERANCE_MS
            r["note"] = plan[1] if plan else ""
            print("\t".join(str(r[c]) for c in cols))
    return bad


if __name__ == "__main__":
    sys.exit(main())
