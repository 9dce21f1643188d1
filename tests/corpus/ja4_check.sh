#!/usr/bin/env bash
# ja4_check.sh - JA4 of src/app/tls.c against the reference values published with FoxIO's JA4
# specification (../shared/corpus/tls/oracle/ja4/*.tsv), for every ClientHello of
# ../shared/corpus/tls/pcap/*.
#
# usage: tests/corpus/ja4_check.sh JA4_STREAM     (build/tests/ja4_stream, tests/tools/ja4_stream.c)
#
# tshark lists every TCP segment (stream, sender, relative sequence number, payload); the
# client's bytes of each stream (the sender of the first SYN, else of the first payload) are
# put in sequence order up to the first gap, cut at TLS_SIDE_CAP, with a mark wherever the
# contiguous prefix grew, and JA4_STREAM runs the observer over them piece by piece. Every
# oracle row (stream, N-th ClientHello of the stream) must have the same JA4 and SNI.
# ClientHellos the oracle does not list are counted, not failed: the JA4 tool leaves out
# the one inside the HTTP CONNECT tunnel of https-connect.pcap (../shared/corpus/tls/README.md).
# Prints "ja4: N/155 agree"; exit 1 on any disagreement. Without the corpus it fails under
# CI and says "skipped: corpus absent" elsewhere (tests/need.sh).
set -u
tool=$1
here=$(cd "$(dirname "$0")" && pwd)
corpus=${TCPSHAKE_CORPUS:-$here/../../../shared/corpus}
. "$here/../need.sh"
needs ja4 tshark python3
[ -d "$corpus/tls/pcap" ] || cannot_run ja4 "corpus absent (looked for $corpus/tls/pcap)"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ja4_check.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

for cap in "$corpus"/tls/pcap/*; do
    name=$(basename "$cap")
    tshark -n -r "$cap" -Y 'tcp' -T fields -E separator=/t -E occurrence=l \
        -e tcp.stream -e ip.src -e ipv6.src -e tcp.srcport -e tcp.flags.syn -e tcp.flags.ack \
        -e tcp.seq -e tcp.payload 2>/dev/null | sed "s|^|$name\t|"
done >"$tmp/segments.tsv"

python3 - "$tmp/segments.tsv" >"$tmp/streams.txt" <<'PY'
import sys
from collections import OrderedDict
CAP = 16384
streams = OrderedDict()
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    f += [""] * (9 - len(f))
    name, sid, src4, src6, sport, syn, ack, seq, payload = f[:9]
    if sid == "" or seq == "":
        continue
    st = streams.setdefault((name, int(sid)), {"client": None, "syn": False, "segs": []})
    sender = (src4 or src6, sport)
    if syn in ("1", "True") and ack in ("0", "False"):
        if st["client"] is None or not st["syn"]:
            st["client"], st["syn"] = sender, True
        continue
    if payload and st["client"] is None:
        st["client"] = sender
    if payload and sender == st["client"]:
        st["segs"].append((int(seq), bytes.fromhex(payload)))
for (name, sid), st in streams.items():
    if not st["segs"]:
        continue
    base = 1 if st["syn"] else min(s for s, _ in st["segs"])
    buf = bytearray()
    pending = []
    pieces = []
    for seq, data in st["segs"]:
        pending.append((seq - base, data))
        grew = True
        while grew:
            grew = False
            for off, d in pending:
                if off <= len(buf) < off + len(d):
                    buf += d[len(buf) - off:]
                    grew = True
        pending = [(o, d) for o, d in pending if o + len(d) > len(buf)]
        if len(buf) > CAP:
            del buf[CAP:]
        if not pieces or len(buf) > pieces[-1]:
            pieces.append(len(buf))
        if len(buf) >= CAP:
            break
    if not buf:
        continue
    out, at = [], 0
    for end in pieces:
        out.append(buf[at:end].hex())
        at = end
    print("%s:%d\t%s" % (name, sid, "|".join(out)))
PY

"$tool" <"$tmp/streams.txt" >"$tmp/ours.tsv" || { echo "ja4: $tool failed"; exit 1; }

python3 - "$corpus/tls/oracle/ja4" "$tmp/ours.tsv" <<'PY'
import glob, os, sys
ours = {}
stops = {}
for line in open(sys.argv[2]):
    f = line.rstrip("\n").split("\t")
    if f[1] == "stop":
        stops[f[0]] = f[2]
        continue
    ours[(f[0], f[1])] = (f[2], f[3] if len(f) > 3 else "")
want = {}
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.tsv"))):
    name = os.path.basename(path)[:-4]
    rows = [l.rstrip("\n").split("\t") for l in open(path) if l.strip()]
    head = rows[0]
    for r in rows[1:]:
        d = dict(zip(head, r))
        want[("%s:%s" % (name, d["stream"]), d["n"])] = (d["ja4"], d["domain"])
agree = 0
for key in sorted(want):
    ja4, sni = want[key]
    got = ours.get(key)
    if got is None:
        why = stops.get(key[0], "no ClientHello seen")
        print("not ok - %s ClientHello %s: want %s, got none (%s)" % (key[0], key[1], ja4, why))
    elif got != (ja4, sni):
        print("not ok - %s ClientHello %s: want %s %s, got %s %s" % (key + (ja4, sni) + got))
    else:
        agree += 1
extra = sorted(k for k in ours if k not in want)
for k in extra:
    print("note - %s ClientHello %s: %s (not in the JA4 oracle)" % (k[0], k[1], ours[k][0]))
print("ja4: %d/%d agree, %d ClientHellos not in the oracle" % (agree, len(want), len(extra)))
sys.exit(0 if agree == len(want) and want else 1)
PY
