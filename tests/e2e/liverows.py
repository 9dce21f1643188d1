"""Live --by rows as their buckets close (tests/e2e/liverows.sh runs this).

Starts `tcpshake -i VC` in namespace NSC with --by server --bucket 1s
--handshake-timeout 1 --stats-interval 1 -o json -w TMP/cap.pcap, stamps every
line of its standard output and standard error with the time it arrived,
makes real connections to SERVER for several seconds (port 8080 answers, 8081
refuses), stops it with SIGINT, and checks the rows, the interval objects and
the records of a second pass over the capture. Exit 0 when all hold; each
failure is a line on standard output. Prints "liverows <what>" lines to say
what it saw.

usage: python3 liverows.py CLI NSC VC SERVER TMP
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time

BUCKET = 1.0   # --bucket
TIMEOUT = 1.0  # --handshake-timeout
MARGIN = 3.0   # a row arrives within bucket end + timeout + this (ticks, a busy machine)
TRAFFIC = 6.0  # seconds of connections

CLIENT = r"""
import socket, sys, time
host, seconds = sys.argv[1], float(sys.argv[2])
end = time.time() + seconds
n = 0
while time.time() < end:
    port = 8081 if n % 5 == 4 else 8080
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect((host, port))
        s.sendall(b"ping\n")
        s.recv(100)
    except OSError:
        pass
    finally:
        s.close()
    n += 1
    time.sleep(0.1)
print(time.time())
"""


def stamp(stream, out):
    for line in iter(stream.readline, b""):
        out.append((time.time(), line.decode("utf-8", "replace").rstrip("\n")))


def main():
    cli, nsc, vc, server, tmp = sys.argv[1:6]
    cap = os.path.join(tmp, "cap.pcap")
    cmd = ["ip", "netns", "exec", nsc, cli, "-i", vc, "-o", "json", "--by", "server",
           "--bucket", "1s", "--handshake-timeout", "1", "--stats-interval", "1",
           "-w", cap, "tcp"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = [], []
    readers = [threading.Thread(target=stamp, args=(proc.stdout, out)),
               threading.Thread(target=stamp, args=(proc.stderr, err))]
    for t in readers:
        t.start()
    time.sleep(1.5)  # the capture is open well before this (live.sh waits 1 s)
    client = subprocess.run(["ip", "netns", "exec", nsc, "python3", "-c", CLIENT, server,
                             str(TRAFFIC)], capture_output=True, text=True, timeout=60)
    traffic_end = float(client.stdout.strip() or 0)
    # The link is idle from here: the last buckets close on the wall clock alone, and
    # every handshake (decided at once, by an ACK or a RST) has its interval ended.
    time.sleep(4.0)
    stopped = time.time()
    proc.send_signal(signal.SIGINT)
    try:
        rc = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = proc.wait()
        print("tcpshake still running 10 s after SIGINT")
    for t in readers:
        t.join()

    bad = []
    if rc != 0:
        bad.append(f"tcpshake exit {rc}: {[l for _, l in err][:3]}")
    if traffic_end == 0:
        bad.append(f"client failed: {client.stderr[:300]}")

    docs = [(t, json.loads(l)) for t, l in out if l.startswith("{")]
    rows = [(t, d) for t, d in docs if next(iter(d)) == "by"]
    trailers = [d for _, d in docs if next(iter(d)) == "health_rows"]
    if len(trailers) != 1 or trailers[0]["health_rows"] != len(rows):
        bad.append(f"trailer {trailers} for {len(rows)} rows")

    # Rows of the first buckets while the traffic still ran, each once its bucket is over.
    early = [(t, d) for t, d in rows if t < traffic_end]
    if len(early) < 2:
        bad.append(f"{len(early)} rows arrived before the traffic ended, want at least 2")
    lag = []
    for t, d in rows:
        due = d["bucket_start_ns"] / 1e9 + BUCKET + TIMEOUT
        if t >= stopped:
            # Written at the end: only the buckets still open at SIGINT, not those that
            # closed while the link was idle.
            if due + 1.5 < stopped:
                bad.append(f"row {d['group']} {d['bucket_start']}: due {stopped - due:.2f} s "
                           f"before SIGINT on an idle link, written only at the end")
            continue
        lag.append(t - due)
        if not due - 0.1 <= t <= due + MARGIN:
            bad.append(f"row {d['group']} {d['bucket_start']}: arrived {t - due:+.2f} s "
                       f"after bucket end + timeout")
    order = [(d["bucket_start_ns"], d["group"]) for _, d in rows]
    if order != sorted(order):
        bad.append("rows not ordered by bucket, then group")
    if any("in no row" in l for _, l in err):
        bad.append("connections came too late for their rows: "
                   + "; ".join(l for _, l in err if "in no row" in l))

    # The records of the same traffic (a second pass over the -w capture), and the
    # rows that pass writes at its end.
    recs = subprocess.run([cli, "-r", cap, "-o", "json", "-q"], capture_output=True,
                          text=True).stdout
    recs = [json.loads(l) for l in recs.splitlines()]
    file_rows = subprocess.run([cli, "-r", cap, "-o", "json", "-q", "--by", "server",
                                "--bucket", "1s"], capture_output=True, text=True).stdout
    file_rows = [json.loads(l) for l in file_rows.splitlines()]
    file_rows = [d for d in file_rows if next(iter(d)) == "by"]
    want = {}
    for r in recs:
        key = (f"{r['server']['addr']}:{r['server']['port']}", r["first_ns"] // 10**9 * 10**9)
        w = want.setdefault(key, {"connections": 0, "established": 0, "refused": 0,
                                  "unanswered": 0})
        w["connections"] += 1
        w["established"] += r["outcome"] == "established"
        w["refused"] += r["outcome"] == "refused"
        w["unanswered"] += r["outcome"] == "unanswered"
    fields = ("connections", "established", "refused", "unanswered")
    got = {(d["group"], d["bucket_start_ns"]): {f: d[f] for f in fields} for _, d in rows}
    want = {k: {f: v[f] for f in fields} for k, v in want.items()}
    if got != want:
        bad.append(f"live rows {got} != records {want}")
    from_file = {(d["group"], d["bucket_start_ns"]): {f: d[f] for f in fields}
                 for d in file_rows}
    if from_file != want:
        bad.append(f"-r rows {from_file} != records {want}")
    for _, d in rows:
        same = [f for f in file_rows if (f["group"], f["bucket_start_ns"]) ==
                (d["group"], d["bucket_start_ns"])]
        for f in ("syns", "synacks", "server_side_count", "client_side_count"):
            if same and same[0][f] != d[f]:
                bad.append(f"row {d['group']} {d['bucket_start']}: {f} {d[f]} live, "
                           f"{same[0][f]} from the file")
    decided = sum(1 for r in recs if r["outcome"] in ("established", "refused"))
    if decided < 20 or not any(r["outcome"] == "refused" for r in recs):
        bad.append(f"only {decided} connections established or refused")

    # --stats-interval -o json: objects on standard error while the traffic ran.
    ivs = [(t, json.loads(l)) for t, l in err if l.startswith('{"interval"')]
    if sum(1 for t, _ in ivs if t < traffic_end) < 2:
        bad.append(f"{len(ivs)} interval objects, fewer than 2 before the traffic ended")
    total = sum(d["outcomes"]["established"] + d["outcomes"]["refused"] for _, d in ivs)
    if total != decided:
        bad.append(f"interval objects count {total} handshakes, the records {decided}")
    if any(b["start_ns"] != a["end_ns"] for (_, a), (_, b) in zip(ivs, ivs[1:])):
        bad.append("interval objects are not end to end")

    print(f"liverows {len(rows)} rows ({len(early)} before the traffic ended), "
          f"{len(ivs)} interval objects, {len(recs)} records; rows came "
          f"{min(lag, default=0):.3f} to {max(lag, default=0):.3f} s after bucket end + timeout")
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
