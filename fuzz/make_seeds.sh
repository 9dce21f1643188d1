#!/bin/sh
# make_seeds.sh - regenerate the seed corpora in fuzz/corpus/.
#
# Usage (from the repository root): fuzz/make_seeds.sh [MAKE_HOSTILE]
#   decode/    single frames from tests/data/*.pcap* and, when present,
#              ../shared/corpus captures; first byte = index of the link type
#              in fuzz_decode.c's list, the rest the frame (at most 4096 bytes)
#   pipeline/  tests/data captures, small corpus captures (< 20 KB) and the
#              hostile captures of build/tests/make_hostile (built if missing)
#   tracker/   hand-made segment sequences (see fuzz_tracker.c for the layout)
#   readers/   the pipeline captures, and classic pcap headers libpcap reads in its
#              own ways (versions, snapshot lengths, time stamp fields, byte orders)
#   tls/       the hellos of tests/unit/tls_hellos.h as client and server streams, whole,
#              re-sent in small records, after a HelloRetryRequest, and streams that are
#              not TLS (see fuzz_tls.c for the 3-byte prefix)
# Existing seeds are replaced (the lf-* inputs stay). Needs python3.
set -eu
cd "$(dirname "$0")/.."
HOSTILE=${1:-build/tests/make_hostile}
SHARED=../shared/corpus
mkdir -p fuzz/corpus/decode fuzz/corpus/pipeline fuzz/corpus/tracker fuzz/corpus/readers \
    fuzz/corpus/tls
# lf-* are inputs kept from long libFuzzer runs (fuzz/README.md), not seeds: they stay.
find fuzz/corpus/decode fuzz/corpus/pipeline fuzz/corpus/tracker fuzz/corpus/readers \
    fuzz/corpus/tls -type f \
    ! -name 'lf-*' -delete

# ------------------------------------------------------------------ decode
python3 - "$SHARED" <<'PY'
import glob, hashlib, os, struct, sys

LINKS = [1, 0, 101, 108, 113, 228, 229, 276, 12]   # fuzz_decode.c's order
MAX_LEN = 4095

def frames(path):
    """(linktype, frame) of a classic pcap or pcapng file; quietly stops on damage."""
    data = open(path, 'rb').read()
    if len(data) < 24:
        return
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        e = '<' if magic[0] in (0xd4, 0x4d) else '>'
        link = struct.unpack(e + 'I', data[20:24])[0] & 0xffff
        off = 24
        while off + 16 <= len(data):
            caplen = struct.unpack(e + 'I', data[off + 8:off + 12])[0]
            if off + 16 + caplen > len(data):
                return
            yield link, data[off + 16:off + 16 + caplen]
            off += 16 + caplen
    elif magic == b'\x0a\x0d\x0d\x0a':
        e = '<' if data[8:12] == b'\x4d\x3c\x2b\x1a' else '>'
        links, off = [], 0
        while off + 12 <= len(data):
            btype, blen = struct.unpack(e + 'II', data[off:off + 8])
            if blen < 12 or off + blen > len(data):
                return
            body = data[off + 8:off + blen - 4]
            if btype == 1 and len(body) >= 2:
                links.append(struct.unpack(e + 'H', body[:2])[0])
            elif btype == 6 and len(body) >= 20:
                iface, _, _, caplen = struct.unpack(e + 'IIII', body[:16])
                if iface < len(links) and 20 + caplen <= len(body):
                    yield links[iface], body[20:20 + caplen]
            off += blen

def signature(link, f):
    # link type, a few header bytes that pick the protocol path, a size bucket
    if link == 1:
        key = f[12:15] + f[23:24] + f[47:48]
    elif link in (113, 276):
        key = f[0:4] + f[14:17]
    else:
        key = f[0:1] + f[9:10] + f[6:7]
    return (link, key, min(len(f), 1600) // 800)

def collect(paths, limit, seen, out):
    n = 0
    for p in paths:
        per_file = 0
        for link, f in frames(p):
            if per_file >= 3:
                break
            if link not in LINKS:
                continue
            sig = signature(link, f)
            if sig in seen:
                continue
            seen.add(sig)
            per_file += 1
            blob = bytes([LINKS.index(link)]) + f[:MAX_LEN]
            name = '%s-%s' % (os.path.basename(p).split('.')[0], hashlib.sha1(blob).hexdigest()[:10])
            open(os.path.join('fuzz/corpus/decode', name), 'wb').write(blob)
            n += 1
            if n >= limit:
                return n
    return n

seen = set()
n = collect(sorted(glob.glob('tests/data/*.pcap*')), 20, seen, None)
shared = sys.argv[1]
if os.path.isdir(shared):
    paths = sorted(glob.glob(shared + '/*/*.pcap') + glob.glob(shared + '/*/*.pcapng'))
    # tunnels and the rarer link types first, so they make the cut
    rare = ('gre', 'vxlan', 'geneve', 'gtp', 'teredo', 'tunnel', 'ipip', '6in4', '4in6', 'sll',
            'raw', 'null', 'loop', 'vlan', 'ipv6', 'v6', 'frag', 'icmp')
    paths.sort(key=lambda q: not any(r in os.path.basename(q).lower() for r in rare))
    n += collect(paths, 40, seen, None)
print('decode: %d frames' % n)
PY

# ---------------------------------------------------------------- pipeline
cp tests/data/sample.pcap tests/data/sample.pcapng tests/data/client_linux_sll2.pcap \
   fuzz/corpus/pipeline/
if [ -d "$SHARED" ]; then
    for f in tcpdump/tcp-handshake-nano.pcap tcpdump/tfo-5c1fa7f9ae91.pcap \
             tcpdump/tcp_rst_data.pcap tcpdump/accecn_handshake.pcap tcpdump/mptcp-fclose.pcap \
             arkime/twovlan.pcap arkime/no-syn-ack.pcap arkime/tcp_handshake_synthetic.pcap \
             ndpi/tcp_scan.pcapng ndpi/tls_multiple_synack_different_seq.pcapng ndpi/nano.pcapng; do
        [ -f "$SHARED/$f" ] && cp "$SHARED/$f" "fuzz/corpus/pipeline/$(echo "$f" | tr / _)"
    done
fi
[ -x "$HOSTILE" ] || make --no-print-directory "$HOSTILE" >/dev/null
tmp=$(mktemp -d)
"$HOSTILE" "$tmp"
for f in "$tmp"/*; do
    [ -s "$f" ] && cp "$f" "fuzz/corpus/pipeline/hostile_$(basename "$f")"
done
rm -rf "$tmp"
# More flows at once than fuzz_pipeline's table of 64, so that eviction is reachable:
# bench's generator (deterministic) writes a SYN flood of 100 sources and a mix of 90
# connections (20 normal, 60 flood SYNs, 10 scan probes; headers only).
GEN=build/bench/gen_trace
[ -x "$GEN" ] || make --no-print-directory "$GEN" >/dev/null
"$GEN" -o fuzz/corpus/pipeline/gen_flood100_evict.pcap -c 0 -p 100 --flood 100 --scan 0 -s 7 \
    2>/dev/null
"$GEN" -o fuzz/corpus/pipeline/gen_mix90_evict.pcap -p 300 -c 20 --flood 60 --scan 10 -s 3 \
    --snaplen 96 2>/dev/null

# ----------------------------------------------------------------- readers
cp fuzz/corpus/pipeline/*.pcap fuzz/corpus/pipeline/*.pcapng fuzz/corpus/readers/
python3 - <<'PY'
import struct
def f(name, magic=0xa1b2c3d4, vmaj=2, vmin=4, snap=65535, lt=1, recs=(), e='<'):
    b = struct.pack(e + 'IHHiIII', magic, vmaj, vmin, 0, 0, snap, lt)
    for (s, us, cap, ln, data) in recs:
        b += struct.pack(e + 'IIII', s, us, cap, ln) + data
    open('fuzz/corpus/readers/crafted_' + name, 'wb').write(b)
pk = bytes(range(60))
two = [(1, 5, 60, 60, pk), (0x90000000, 7, 40, 1500, pk[:40])]
f('us_frac_2e31.pcap', recs=[(1, 0x80000001, 60, 60, pk), (2, 0xffffffff, 60, 60, pk)])
f('us_frac_2e31_be.pcap', e='>', recs=[(1, 0x80000001, 60, 60, pk), (3, 4294968, 60, 60, pk)])
f('ns_frac_2e31_be.pcap', magic=0xa1b23c4d, e='>', recs=[(1, 0x80000001, 60, 60, pk)])
f('snaplen20.pcap', snap=20, recs=two + [(3, 0, 60, 60, pk[:30])])
f('snaplen0.pcap', snap=0, recs=two)
f('snaplen_2e31.pcap', snap=0x80000000, recs=two)
f('caplen_300000.pcap', recs=two + [(3, 0, 300000, 60, pk)])
f('v2_2.pcap', vmin=2, recs=two)
f('v2_3.pcap', vmin=3, recs=two)
f('v2_5.pcap', vmin=5, recs=two)
f('v543_0.pcap', vmaj=543, vmin=0, recs=two)
f('raw101.pcap', lt=101, recs=two)
f('sll_be.pcap', lt=113, e='>', recs=two)
f('fcs_bits.pcap', lt=0x10000001, recs=two)
f('cut_header.pcap', recs=two + [(3, 0, 60, 60, b'')])

def blk(e, t, body):
    body += bytes(-len(body) % 4)
    n = 12 + len(body)
    return struct.pack(e + 'II', t, n) + body + struct.pack(e + 'I', n)
def shb(e, minor=0):
    return blk(e, 0x0a0d0d0a, struct.pack(e + 'IHHq', 0x1a2b3c4d, 1, minor, -1))
def idb(e, lt, snap=65535, opts=b''):
    return blk(e, 1, struct.pack(e + 'HHI', lt, 0, snap) + opts)
def opt(e, code, val):
    return struct.pack(e + 'HH', code, len(val)) + val + bytes(-len(val) % 4)
def epb(e, iface, t, data, caplen=None):
    c = len(data) if caplen is None else caplen
    return blk(e, 6, struct.pack(e + 'IIIII', iface, t >> 32, t & 0xffffffff, c, len(data)) + data)
def ng(name, b):
    open('fuzz/corpus/readers/crafted_' + name, 'wb').write(b)
for e, tag in (('<', 'le'), ('>', 'be')):
    ng('ng_%s_tsresol.pcapng' % tag, shb(e) + idb(e, 1, opts=opt(e, 9, b'\x09') + opt(e, 0, b''))
       + idb(e, 1, opts=opt(e, 9, b'\x94') + opt(e, 14, struct.pack(e + 'q', 100)))
       + epb(e, 0, 1700000000123456789, pk) + epb(e, 1, (1700000000 << 20) + 12345, pk)
       + blk(e, 3, struct.pack(e + 'I', 60) + pk)
       + blk(e, 2, struct.pack(e + 'HHIIII', 1, 0, 0, 5, 40, 60) + pk[:40]))
    ng('ng_%s_sections.pcapng' % tag, shb(e) + idb(e, 1) + epb(e, 0, 5, pk) + shb(e, 2)
       + blk(e, 0xbad, b'junk') + idb(e, 1) + epb(e, 0, 6, pk) + epb(e, 1, 7, pk))
    ng('ng_%s_two_links.pcapng' % tag, shb(e) + idb(e, 1) + idb(e, 101) + idb(e, 1, snap=20)
       + epb(e, 0, 5, pk) + epb(e, 1, 6, pk[14:]) + epb(e, 2, 7, pk[:20]))
ng('ng_snaplen_cut.pcapng', shb('<') + idb('<', 1, snap=20) + epb('<', 0, 5, pk))
ng('ng_no_idb.pcapng', shb('<') + epb('<', 0, 5, pk))
ng('ng_bad_tsresol.pcapng', shb('<') + idb('<', 1, opts=opt('<', 9, b'\xc0')) + epb('<', 0, 5, pk))
ng('ng_v1_1.pcapng', shb('<', minor=1) + idb('<', 1) + epb('<', 0, 5, pk))
ng('ng_text.pcapng', b'\n\r\r\nnot a capture at all\n')
PY

# ----------------------------------------------------------------- tracker
python3 - <<'PY'
import struct
SYN, FIN, RST, PSH, ACK = 2, 1, 4, 8, 16
def seg(d, flags, seq, ack, plen=0, dt=1, win=0xff, opts=0, extra=0):
    return struct.pack('>BBhhHbBBB', d, flags, seq, ack, plen, dt, win, opts, extra)
def write(name, isn_a, isn_b, segs):
    open('fuzz/corpus/tracker/' + name, 'wb').write(struct.pack('>II', isn_a, isn_b) + b''.join(segs))
hs = [seg(0, SYN, 0, 0, opts=0x0f, extra=7), seg(1, SYN | ACK, 0, 1, opts=0x0f, extra=7),
      seg(0, ACK, 1, 1)]
fin = [seg(0, FIN | ACK, 101, 201), seg(1, FIN | ACK, 201, 102), seg(0, ACK, 102, 202)]
data = [seg(0, PSH | ACK, 1, 1, plen=100), seg(1, PSH | ACK, 1, 101, plen=200)]
write('established_fin', 1000, 5000, hs + data + fin)
write('refused', 1000, 5000, [seg(0, SYN, 0, 0), seg(1, RST | ACK, 0, 1)])
write('unanswered_retx', 0xfffffff0, 7, [seg(0, SYN, 0, 0, dt=100)] * 4)
write('synack_retx_wrap', 0xffffffff, 0xfffffffe, [hs[0], hs[1], hs[1], hs[1], hs[2]] + data)
write('simultaneous', 1, 2, [seg(0, SYN, 0, 0), seg(1, SYN, 0, 0), seg(0, SYN | ACK, 0, 1),
                             seg(1, SYN | ACK, 0, 1)])
write('icmp_reject', 1000, 5000, [seg(0, SYN, 0, 0), seg(2, 1, 0, 0), seg(6, 4, 0, 0)])
write('tfo', 1000, 5000, [seg(0, SYN, 0, 0, plen=50, opts=0x10 | (4 << 5)),
                          seg(1, SYN | ACK, 0, 51, opts=0x10), seg(0, ACK, 51, 1)])
write('reuse_backwards', 1000, 5000, hs + [seg(0, RST, 1, 0)] +
      [seg(0, SYN, 3000, 0, dt=-50)] + hs[1:] + fin)
write('midstream', 1000, 5000, data + [seg(1, RST | ACK, 201, 101)])
PY
# --------------------------------------------------------------------- tls
python3 - <<'PY'
import re
text = open('tests/unit/tls_hellos.h').read()
def cases(table):
    body = text[text.index(table):]
    body = body[:body.index('};')]
    out = {}
    for m in re.finditer(r'\{ "([^"]+)",\s*((?:"[0-9a-f]+"\s*)+),', body):
        out[m.group(1)] = bytes.fromhex(''.join(re.findall(r'"([0-9a-f]+)"', m.group(2))))
    return out
ch, sh = cases('ch_cases[]'), cases('sh_cases[]')
def rec(t, frag):
    return bytes([t, 3, 3]) + len(frag).to_bytes(2, 'big') + frag
def refrag(r, size):
    m = r[5:]
    return b''.join(rec(22, m[i:i + size]) for i in range(0, len(m), size))
def safe(name):
    return re.sub(r'[^A-Za-z0-9]+', '_', name).strip('_')
def write(name, prefix, stream):
    open('fuzz/corpus/tls/' + name, 'wb').write(bytes(prefix) + stream)
ccs = rec(20, b'\x01')
for i, (name, r) in enumerate(ch.items()):
    write('ch_' + safe(name), [i % 8, 0x12, i], r + ccs + rec(23, bytes(40)))
for i, name in enumerate(['tls12.pcap:0#1', 'latest.pcapng:3#1', 'arkime/tls-split-client-hello.pcap:0#1']):
    write('ch_records_%d' % (i + 1), [8 if i == 0 else 3, 0x40, i], refrag(ch[name], 1 + 90 * i))
for i, (name, r) in enumerate(sh.items()):
    write('sh_' + safe(name), [i % 8, 0x34, i], r + ccs + rec(22, bytes(40)) + rec(21, b'\x01\x00'))
write('hrr_client', [1, 0x56, 1], ch['tls-handshake.pcapng:38#1'] + ccs + ch['tls-handshake.pcapng:38#2'])
write('hrr_server', [2, 0x56, 2], sh['tls-handshake.pcapng:38#1'] + ccs + sh['tls-handshake.pcapng:38#2'])
write('alert_first', [0, 0, 0], rec(21, b'\x02\x46'))
write('sslv2_hello', [0, 0, 0], bytes.fromhex('802e0100020015000000100700c0'))
write('http', [0, 0, 0], b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
write('big_hello', [0, 0, 0], bytes.fromhex('16030140000100') + b'\x3f\xfc' + bytes(64))
PY
echo "seeds: decode $(ls fuzz/corpus/decode | wc -l), pipeline $(ls fuzz/corpus/pipeline | wc -l)," \
     "tracker $(ls fuzz/corpus/tracker | wc -l), readers $(ls fuzz/corpus/readers | wc -l)," \
     "tls $(ls fuzz/corpus/tls | wc -l);" \
     "$(du -sk fuzz/corpus | cut -f1) KB"
