#!/usr/bin/env bash
# -w, --handshake-only, --events and --stats-interval on a recorded capture
# (tests/data/handshakes.pcap, see its README). No root needed.
#
#   -w FILE            saves every packet read: the same bytes, the same count;
#   --handshake-only   keeps SYNs, SYN-ACKs, the ACK completing each handshake,
#                      FINs, RSTs and ICMP errors about tracked connections:
#                      each connection keeps its outcome and latencies, and the
#                      packet kinds are counted with tshark (without it: a
#                      failure under CI, skipped elsewhere, tests/need.sh);
#   --events all       one handshake event then one close record per connection,
#                      in that order, with an "event" field (json, csv, table);
#   write errors       exit 1 with one line; -w - and bad combinations exit 2.
#
# usage: tests/e2e/write_events.sh CLI
set -u
cli=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../need.sh"
needs write_events python3
cap=$here/../data/handshakes.pcap
golden=$here/golden
pass=0
fail=0
ok() { pass=$((pass + 1)); }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# -w without a filter writes back exactly what was read (the golden has no p0f labels).
if "$cli" -r "$cap" -o json -q --p0f-db none -w "$tmp/all.pcap" >"$tmp/all.json" 2>"$tmp/err" &&
    cmp -s "$cap" "$tmp/all.pcap" && cmp -s "$tmp/all.json" "$golden/handshakes.pcap.json"; then
    ok
else
    not_ok "-w all.pcap: not a copy of the input, or records changed: $(head -c 300 "$tmp/err")"
fi
n_in=$("$cli" -r "$cap" -o table --no-color | sed -n 's/^  packets read  *//p')
n_out=$("$cli" -r "$tmp/all.pcap" -o table --no-color | sed -n 's/^  packets read  *//p')
if [ -n "$n_in" ] && [ "$n_in" = "$n_out" ]; then
    ok
else
    not_ok "-w all.pcap: $n_out packets, want $n_in"
fi

# --handshake-only: every connection keeps its outcome and latencies.
"$cli" -r "$cap" -o json -q -w "$tmp/hs.pcap" --handshake-only >/dev/null 2>"$tmp/err" ||
    not_ok "--handshake-only: exit $?: $(cat "$tmp/err")"
"$cli" -r "$tmp/hs.pcap" -o json -q >"$tmp/hs.json" 2>"$tmp/err"
if python3 - "$tmp/all.json" "$tmp/hs.json" <<'EOF'; then ok; else not_ok "--handshake-only changed records"; fi
import json, sys
def load(path):
    recs = {}
    for line in open(path):
        r = json.loads(line)
        key = (r["client"]["addr"], r["client"]["port"], r["server"]["addr"],
               r["server"]["port"], r["syn_ns"])
        recs[key] = r
    return recs
full, short = load(sys.argv[1]), load(sys.argv[2])
if sorted(full) != sorted(short):
    print("connections differ:", sorted(set(full) ^ set(short)))
    sys.exit(1)
bad = 0
for k, r in full.items():
    for f in ("outcome", "end", "server_side_ns", "client_side_ns", "handshake_ns", "rtt_rule",
              "n_syn", "n_synack", "syn_ns", "synack_ns", "ack_ns", "icmp_ns", "first_fin",
              "rst_by", "tfo"):
        if r[f] != short[k][f]:
            print(f"{k}: {f}: {r[f]} != {short[k][f]}")
            bad += 1
sys.exit(1 if bad else 0)
EOF

# Exactly the expected packets: SYN/FIN/RST segments, one completing ACK per record
# with ack_ns, one ICMP error per ICMP-rejected record, and nothing else.
if optional "write_events: packet kinds" tshark; then
    count() { tshark -r "$1" -Y "$2" 2>/dev/null | wc -l; }
    ctl='!icmp && !icmpv6 && (tcp.flags.syn==1 || tcp.flags.fin==1 || tcp.flags.reset==1)'
    rest='!icmp && !icmpv6 && !(tcp.flags.syn==1 || tcp.flags.fin==1 || tcp.flags.reset==1)'
    acks=$(grep -c '"ack_ns":[0-9]' "$tmp/all.json")
    icmps=$(grep -c '"icmp_ns":[0-9]' "$tmp/all.json")
    want="$(count "$cap" "$ctl") $acks $icmps"
    got="$(count "$tmp/hs.pcap" "$ctl") $(count "$tmp/hs.pcap" "$rest") $(count "$tmp/hs.pcap" 'icmp || icmpv6')"
    pure=$(count "$tmp/hs.pcap" "$rest && tcp.len==0")
    if [ "$got" = "$want" ] && [ "$pure" -ge $((acks - 1)) ]; then
        ok
    else
        not_ok "--handshake-only packets (syn/fin/rst, acks, icmp): got $got, want $want"
    fi
fi

# --events all: a handshake event, then the close record, for every connection.
"$cli" -r "$cap" -o json -q --p0f-db none --events all >"$tmp/ev.json" 2>"$tmp/err"
if python3 - "$tmp/ev.json" "$tmp/all.json" <<'EOF'; then ok; else not_ok "--events all order"; fi
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
close = [json.loads(l) for l in open(sys.argv[2])]
seen = {}
for r in ev:
    assert list(r)[0] == "event", "event is not the first member"
    seen.setdefault(r["id"], []).append(r["event"])
assert all(v == ["handshake", "close"] for v in seen.values()), seen
assert len(seen) == len(close), (len(seen), len(close))
# The close records are the usual records, in the usual order, plus the event field.
got = [{k: v for k, v in r.items() if k != "event"} for r in ev if r["event"] == "close"]
assert got == close, "close records differ from the plain run"
# A decided handshake says what it was at that moment.
hs = {r["id"]: r for r in ev if r["event"] == "handshake"}
assert all(hs[r["id"]]["outcome"] == r["outcome"] for r in close)
EOF
"$cli" -r "$cap" -o csv -q --events handshake >"$tmp/ev.csv"
if head -1 "$tmp/ev.csv" | grep -q '^event,id,' && [ "$(grep -c '^handshake,' "$tmp/ev.csv")" -eq "$(wc -l <"$tmp/all.json")" ]; then
    ok
else
    not_ok "--events handshake -o csv: $(head -c 200 "$tmp/ev.csv")"
fi
"$cli" -r "$cap" -o table --no-color -q --events all >"$tmp/ev.table"
if head -1 "$tmp/ev.table" | grep -q '^event  *id ' && grep -q '^close  *[0-9][0-9]* ' "$tmp/ev.table"; then
    ok
else
    not_ok "--events all -o table: $(head -2 "$tmp/ev.table")"
fi

# --stats-interval on a file runs on capture time: this 15.3-second trace holds three whole
# 5-second intervals (the last, partial one is left to the final summary).
# With -o json each is one JSON object on standard error, the handshakes of its 5 seconds;
# the table keeps the text blocks (on standard output beside it).
"$cli" -r "$cap" -o json --stats-interval 5 2>"$tmp/iv" >"$tmp/iv.json"
python3 - "$tmp/iv" "$tmp/iv.json" <<'EOF' && ok || not_ok "--stats-interval 5 -o json"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
recs = [json.loads(l) for l in open(sys.argv[2])]
bad = []
if len(objs) != 3 or any(list(o)[0] != "interval" for o in objs):
    bad.append(f"{len(objs)} interval objects, want 3 led by 'interval'")
for a, b in zip(objs, objs[1:]):
    if a["end_ns"] != b["start_ns"] or b["end_ns"] - b["start_ns"] != 5 * 10**9:
        bad.append(f"intervals not 5 s end to end: {a['start_ns']}..{a['end_ns']}, {b['start_ns']}..")
# A handshake is decided by the ACK that completes it or the RST that refuses it.
for o in objs:
    want = sum(1 for r in recs if r["outcome"] in ("established", "refused")
               and o["start_ns"] <= (r["ack_ns"] or r["server"]["rst_ns"] or 0) < o["end_ns"])
    got = o["outcomes"]["established"] + o["outcomes"]["refused"]
    if got != want:
        bad.append(f"interval {o['interval']}: {got} established or refused, records say {want}")
if sum(o["connections"] for o in objs) == 0:
    bad.append("no handshake in any interval")
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF
n=$("$cli" -r "$cap" -o table --no-color --stats-interval 5 | grep -c '^interval ')
if [ "$n" -eq 3 ]; then ok; else not_ok "--stats-interval 5 -o table: $n blocks, want 3"; fi

# Errors: write failure exit 1 (one line); usage errors exit 2.
"$cli" -r "$cap" -o json -q -w /dev/full >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q '^tcpshake: /dev/full: write failed' "$tmp/err"; then
    ok
else
    not_ok "-w /dev/full: exit $rc: $(cat "$tmp/err")"
fi
# Records to a full device: with one thread they are written on the reading thread, with
# two by the CLI's writer thread; either way one line with the reason, and exit 1.
for threads in 1 2; do
    "$cli" -r "$cap" -o json -q --threads $threads >/dev/full 2>"$tmp/err"
    rc=$?
    if [ $rc -eq 1 ] && [ "$(cat "$tmp/err")" = "tcpshake: write failed: No space left on device" ]; then
        ok
    else
        not_ok "stdout /dev/full, --threads $threads: exit $rc: $(cat "$tmp/err")"
    fi
done
"$cli" -r "$cap" -o json -q -w "$tmp/no/such/dir.pcap" >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && [ "$(cat "$tmp/err")" = "tcpshake: -w $tmp/no/such/dir.pcap: No such file or directory" ]; then
    ok
else
    not_ok "-w into a missing directory: exit $rc: $(cat "$tmp/err")"
fi
for args in "-w -" "--handshake-only" "-o zeek --events all" "--events sometimes" \
    "-w $cap" "--stats-interval 0" "-i lo" "-Z root"; do
    # shellcheck disable=SC2086
    "$cli" -r "$cap" $args >/dev/null 2>"$tmp/err"
    rc=$?
    if [ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q '^tcpshake: ' "$tmp/err"; then
        ok
    else
        not_ok "-r ... $args: exit $rc: $(cat "$tmp/err")"
    fi
done

echo "write_events: $pass passed, $fail failed"
[ $fail -eq 0 ]
