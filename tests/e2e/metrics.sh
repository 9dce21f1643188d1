#!/usr/bin/env bash
# Prometheus metrics end to end (--metrics-file, --metrics-listen).
#
#   files:  every capture in tests/data with -o json --metrics-file: the file's
#           counters and histograms equal the records of the same run
#           (tests/e2e/metrics_check.py exposition), promtool check metrics passes, the
#           records are byte-identical to a run without the option; the same
#           with a generated trace of many servers, a SYN flood and a port scan
#           (per-server series and "other", alerts by kind); bad
#           --metrics-listen / --metrics-file arguments are refused.
#   live:   two network namespaces joined through tests/tools/tap_relay (each
#           handshake round trip 80 ms, as in delay.sh); tcpshake -i on the
#           client's tap with --metrics-listen and --metrics-file, a real
#           Prometheus in the client namespace scraping it every second; after a
#           few connections Prometheus' HTTP API says what the records say, and
#           histogram_quantile(0.99) of server side latency agrees with
#           tcpshake's own p99 within the buckets' 25 % (and the summary's
#           3.125 %). Then the endpoint under abuse while a steady trickle of
#           connections runs (metrics_check.py abuse): 50 scrapes at once, a
#           client that never reads, one that never ends its request, garbage,
#           a POST, a 1 MB request line; VmRSS bounded, no kernel drops, and
#           the final metrics file equals the records after SIGINT.
#
# Needs root, gcc, ip, sysctl, python3, prometheus and promtool; otherwise fails
# under CI and says "skipped" elsewhere (tests/need.sh). Everything lives in
# namespaces created here (random suffix) and is removed on exit, failure included.
#
# usage: tests/e2e/metrics.sh CLI GEN_TRACE      prints "metrics: N passed, M failed"
set -u
cli=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
gen_trace=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../need.sh"
. "$here/netns.sh"
. "$here/relay.sh"
data=$here/../data
check=$here/metrics_check.py
pass=0
fail=0
ok() { pass=$((pass + 1)); }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; }
summary() {
    echo "metrics: $pass passed, $fail failed"
    [ $fail -eq 0 ]
}

needs metrics python3 promtool
tmp=$(mktemp -d)
sfx=$(printf '%04x' $((RANDOM % 65536)))
nsc=tsm-c-$sfx
nss=tsm-s-$sfx
tapc=tsmc$sfx
taps=tsms$sfx
c4=10.205.0.1
s4=10.205.0.2
c6=fd23::1
s6=fd23::2
open_port=8090
closed_port=8091
server=
pid=
prom=
load=

cleanup() {
    for p in $pid $prom $load $server; do
        kill -KILL "$p" 2>/dev/null
    done
    relay_cleanup
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- files -------------------------------------------------------------------
for cap in "$data"/*.pcap "$data"/*.pcapng; do
    name=$(basename "$cap")
    "$cli" -r "$cap" -o json -q --metrics-file "$tmp/m.prom" >"$tmp/m.json" 2>"$tmp/err"
    rc=$?
    if [ $rc -ne 0 ] || [ -s "$tmp/err" ]; then
        not_ok "$name --metrics-file: exit $rc, $(head -c 200 "$tmp/err")"
        continue
    fi
    if python3 "$check" exposition "$tmp/m.prom" "$tmp/m.json"; then ok; else not_ok "$name: metrics file vs records"; fi
    if promtool check metrics <"$tmp/m.prom" >"$tmp/lint" 2>&1; then ok; else
        not_ok "$name: promtool check metrics: $(head -c 300 "$tmp/lint")"
    fi
    "$cli" -r "$cap" -o json -q >"$tmp/plain.json" 2>/dev/null
    if cmp -s "$tmp/plain.json" "$tmp/m.json"; then ok; else not_ok "$name: records differ with --metrics-file"; fi
done
ls "$tmp" | grep -q '\.tmp\.' && not_ok "a temporary metrics file was left behind" || ok

# A generated trace with more servers than get series of their own, a SYN flood and a port
# scan: the "other" series and the alerts by kind, summing to the alert lines.
if "$gen_trace" -o "$tmp/gen.pcap" -c 600 -p 8000 -s 7 --flood 300 --scan 40 2>"$tmp/err"; then
    "$cli" -r "$tmp/gen.pcap" -o json -q --detect --flood-min 100 --metrics-file "$tmp/d.prom" \
        >"$tmp/d.json" 2>"$tmp/alerts"
    if python3 "$check" exposition "$tmp/d.prom" "$tmp/d.json"; then ok; else not_ok "generated trace: metrics file vs records"; fi
    n_alerts=$(grep -c '"alert"' "$tmp/alerts")
    if python3 - "$tmp/d.prom" "$n_alerts" <<'EOF'; then ok; else not_ok "tcpshake_alerts_total vs the $n_alerts alert lines"; fi
import sys
lines = [l.split() for l in open(sys.argv[1]) if l.startswith("tcpshake_alerts_total{")]
counts = {l[0]: float(l[1]) for l in lines}
ok = (len(lines) == 8 and sum(counts.values()) == int(sys.argv[2]) >= 2 and
      counts['tcpshake_alerts_total{kind="syn_flood"}'] >= 1 and
      counts['tcpshake_alerts_total{kind="port_scan"}'] >= 1)
sys.exit(0 if ok else 1)
EOF
    if [ "$(grep -c '^tcpshake_server_side_seconds_count{' "$tmp/d.prom")" = 17 ]; then ok; else
        not_ok "want 16 servers and \"other\" in the generated trace's metrics"
    fi
else
    not_ok "gen_trace: $(head -c 200 "$tmp/err")"
fi

# Refused arguments: usage errors (2) before anything runs; an unwritable file (1) after
# the records are out.
for bad in "10.0.0.1" "10.0.0.1:99999" "[::1:80" "foo:80" "1.2.3.4:-1"; do
    "$cli" -r "$data/sample.pcap" --metrics-listen "$bad" >/dev/null 2>"$tmp/err"
    rc=$?
    if [ $rc -eq 2 ] && grep -q -- "--metrics-listen" "$tmp/err"; then ok; else not_ok "--metrics-listen $bad: exit $rc"; fi
done
"$cli" -r "$data/sample.pcap" -o json -q >"$tmp/plain.json" 2>/dev/null
"$cli" -r "$data/sample.pcap" -o json -q --metrics-file "$tmp/no/such/dir/m.prom" >"$tmp/m.json" 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && grep -q -- "--metrics-file" "$tmp/err" && cmp -s "$tmp/m.json" "$tmp/plain.json"; then ok; else
    not_ok "--metrics-file in a missing directory: exit $rc, $(head -c 200 "$tmp/err")"
fi
# A port already taken: a clear error, exit 1.
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(5)' >"$tmp/port" &
holder=$!
wait_until test -s "$tmp/port"
"$cli" -r "$data/sample.pcap" -q --metrics-listen "127.0.0.1:$(cat "$tmp/port")" >/dev/null 2>"$tmp/err"
rc=$?
kill "$holder" 2>/dev/null
if [ $rc -eq 1 ] && grep -q "in use" "$tmp/err"; then ok; else not_ok "--metrics-listen on a taken port: exit $rc, $(head -c 200 "$tmp/err")"; fi

# --- live, with a real Prometheus --------------------------------------------
needs_root metrics
needs metrics gcc ip sysctl prometheus

setup() {
    relay_setup "$tmp/relay.pcap" || return 1
    ip netns exec "$nss" python3 "$here/../tools/pong_server.py" "$open_port" "$tmp/ready" &
    server=$!
    wait_until test -e "$tmp/ready"
}

if ! setup >"$tmp/setup" 2>&1; then
    not_ok "namespace and relay setup failed: $(head -c 300 "$tmp/setup")"
    summary
    exit
fi

# connect N DELAY [PORT [HOST...]]: N connections sending "ping", DELAY s apart.
cat >"$tmp/connect.py" <<'EOF'
import socket, sys, time
n, delay = int(sys.argv[1]), float(sys.argv[2])
port = int(sys.argv[3]) if len(sys.argv) > 3 else 8090
hosts = sys.argv[4:] or ["10.205.0.2"]
for i in range(n):
    host = hosts[i % len(hosts)]
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    s.settimeout(2)
    try:
        s.connect((host, port))
        s.sendall(b"ping\n")
        s.recv(100)
    except OSError:
        pass
    s.close()
    time.sleep(delay)
EOF
connect() {
    ip netns exec "$nsc" python3 "$tmp/connect.py" "$@"
}

mport=9187
pport=9190
ip netns exec "$nsc" "$cli" -i "$tapc" -o json --metrics-listen "127.0.0.1:$mport" \
    --metrics-file "$tmp/live.prom" --stats-interval 1 tcp >"$tmp/live" 2>"$tmp/live.err" &
pid=$!
cat >"$tmp/prom.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: tcpshake
    static_configs:
      - targets: ["127.0.0.1:$mport"]
EOF
ip netns exec "$nsc" prometheus --config.file="$tmp/prom.yml" --storage.tsdb.path="$tmp/tsdb" \
    --web.listen-address="127.0.0.1:$pport" --log.level=warn >"$tmp/prom.log" 2>&1 &
prom=$!
url=http://127.0.0.1:$pport
ready() {
    ip netns exec "$nsc" python3 -c 'import sys, urllib.request
urllib.request.urlopen(sys.argv[1] + "/-/ready", timeout=1)' "$url" 2>/dev/null
}
# The capture is up once a warm-up connection has its record.
seen=0
for _ in $(seq 40); do
    connect 1 0.1
    if grep -q '"outcome"' "$tmp/live"; then seen=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
done
if [ $seen = 1 ]; then ok; else not_ok "tcpshake -i saw no warm-up connection: $(head -c 300 "$tmp/live.err")"; fi
if wait_until ready || wait_until ready; then ok; else not_ok "prometheus not ready: $(tail -c 300 "$tmp/prom.log")"; fi

connect 6 0.05 "$open_port" "$s4" "$s6"
connect 2 0.05 "$closed_port" "$s4" "$s6"
if ip netns exec "$nsc" python3 "$check" scrape 127.0.0.1 "$mport" "$tmp/scrape.prom"; then ok; else not_ok "scrape"; fi
if promtool check metrics <"$tmp/scrape.prom" >"$tmp/lint" 2>&1; then ok; else
    not_ok "live exposition: promtool check metrics: $(head -c 300 "$tmp/lint")"
fi

# Abuse, with a steady trickle of connections.
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"; }
# (ip itself in the background, not the function: $! is the process to stop)
ip netns exec "$nsc" python3 "$tmp/connect.py" 1000 0.1 &
load=$!
if ip netns exec "$nsc" python3 "$check" abuse 127.0.0.1 "$mport" "$pid" >"$tmp/abuse" 2>&1; then ok; else
    not_ok "abuse: $(grep -v '^abuse:' "$tmp/abuse" | head -c 600)"
fi
grep '^abuse:' "$tmp/abuse"
kill -TERM "$load" 2>/dev/null
wait "$load" 2>/dev/null
load=

# Prometheus against the records (it waits until the records have settled and a scrape has
# them all).
ip netns exec "$nsc" python3 "$check" prom "$url" "$tmp/live" "$tmp/live.err" >"$tmp/promq" 2>&1 &
promq=$!
# ... while the summary's p99 comes from the end of the run: SIGINT once Prometheus agrees.
for _ in $(seq 90); do
    grep -q 'agrees' "$tmp/promq" 2>/dev/null && break
    grep -q 'not ok' "$tmp/promq" 2>/dev/null && break
    sleep 0.5
done
kill -INT "$pid"
wait_until gone "$pid" || not_ok "tcpshake -i still running 5 s after SIGINT"
wait "$pid"
rc=$?
pid=
if [ $rc -eq 0 ]; then ok; else not_ok "tcpshake -i: exit $rc: $(head -c 300 "$tmp/live.err")"; fi
wait "$promq"
rc=$?
if [ $rc -eq 0 ]; then ok; else not_ok "Prometheus vs records: $(head -c 600 "$tmp/promq")"; fi
grep '^prometheus:' "$tmp/promq"

if python3 "$check" exposition "$tmp/live.prom" "$tmp/live"; then ok; else not_ok "final live metrics file vs records"; fi
if grep -q '^tcpshake_kernel_dropped_packets_total{where="buffer"} 0$' "$tmp/live.prom" &&
    grep -q '^tcpshake_kernel_dropped_packets_total{where="interface"} 0$' "$tmp/live.prom"; then ok; else
    not_ok "kernel drops: $(grep '^tcpshake_kernel_dropped' "$tmp/live.prom")"
fi
summary
