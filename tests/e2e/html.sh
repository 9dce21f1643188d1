#!/usr/bin/env bash
# --html end to end: the report in a real browser, and its bounds.
#
# Chromium (headless, driven over the DevTools pipe by html_browser.py, with the
# network emulated offline and host names resolving nowhere) opens the page from
# a file: it must load with no request, no console message, exception or log
# error; the 1280x800 screenshot must not be blank (html_check.py decodes the
# PNG); and the numbers on the page (counts, outcomes, percentiles, the slowest
# and failed connections and their ladders' brackets, the per-server rows) must
# equal the JSON records, the summary and `--by server` of the same capture.
# The same with JavaScript off: the figures are all there, and the table is not
# sorted by a click (the script really was off). Printed (the print media type, and
# a PDF): several pages, not blank. A failed connection's ladder is drawn segment by
# segment: its SYNs with their retransmission gaps, SYN-ACKs, RSTs and ICMP errors
# at the record's own times. Then: the page is the same for
# any --threads and the records are the same with and without --html; the size
# bound on a generated trace of 1 M packets and on a SYN flood of 300 000 SYNs (and
# the flood's peak RSS with --html within 32 MB of without);
# standard input; the error paths; the latency shape on a terminal only.
#
# usage: tests/e2e/html.sh CLI GEN_TRACE
set -u
cli=$1
gen_trace=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../need.sh"
needs html python3 chromium
data=$here/../data
pass=0
fail=0
ok() { pass=$((pass + 1)); }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bound=2000000 # TCPSHAKE_REPORT_MAX_BYTES

# browse NAME CAPTURE [--no-js]: the report of CAPTURE in the browser, checked.
browse() {
    local name=$1 cap=$2 mode=${3:-}
    local d=$tmp/$name
    mkdir -p "$d"
    if ! "$cli" -r "$cap" -o json --detect --html "$d/report.html" >"$d/records.json" \
        2>"$d/summary.txt"; then
        not_ok "$name: tcpshake --html failed: $(grep -v '^{' "$d/summary.txt" | head -3)"
        return
    fi
    "$cli" -r "$cap" -o json -q --by server >"$d/by_server.json"
    local flags=(--sort-check)
    [ "$mode" = --no-js ] && flags+=(--no-js)
    if ! python3 "$here/html_browser.py" chromium "$d/report.html" "$d" "${flags[@]}" \
        >"$d/browser.json" 2>"$d/browser.err"; then
        not_ok "$name: the browser did not load the page: $(tail -3 "$d/browser.err")"
        return
    fi
    python3 - "$d/browser.json" "$mode" <<'PY' && ok || not_ok "$name: $(cat "$d/browser.json")"
import json, sys
r = json.load(open(sys.argv[1]))
want_sort = "sorted" if sys.argv[2] != "--no-js" else None
bad = r["requests"] or r["errors"] or \
    (r.get("sort") != "sorted" if want_sort else r.get("sort") == "sorted")
sys.exit(1 if bad else 0)
PY
    # Printed: a PDF of several pages, and the print styles' rendering is not blank.
    python3 - "$here" "$d" <<'PY' && ok || not_ok "$name: printed: $(cat "$d/print.check")"
import json, sys
sys.path.insert(0, sys.argv[1])
from html_check import png_pixels
d = sys.argv[2]
pages = json.load(open(d + "/browser.json")).get("pdf_pages", 0)
w, h, rows = png_pixels(d + "/print.png")
colours = set()
for row in rows:
    colours.update(bytes(p) for p in row)
msg = "%d PDF pages, print rendering %dx%d with %d colours" % (pages, w, h, len(colours))
open(d + "/print.check", "w").write(msg)
sys.exit(0 if pages >= 3 and len(colours) >= 30 else 1)
PY
    if python3 "$here/html_check.py" "$d/dom.html" "$d/shot.png" "$d/records.json" \
        "$d/summary.txt" "$d/by_server.json" >"$d/check" 2>&1; then
        ok
    else
        not_ok "$name: the page's figures:"
        cat "$d/check"
    fi
    tail -1 "$d/check" | sed "s/^/$name: /"
}

browse handshakes "$data/handshakes.pcap"
browse handshakes-nojs "$data/handshakes.pcap" --no-js

# A generated trace: the page is the same for any number of threads, the records
# are the same with and without it, and it stays within its bound.
"$gen_trace" -o "$tmp/big.pcap" -p 1000000 --snaplen 96 -s 7 >/dev/null 2>&1
for t in 1 3; do
    "$cli" -r "$tmp/big.pcap" -o json -q --detect --threads "$t" --html "$tmp/big$t.html" \
        >"$tmp/big$t.json" 2>/dev/null
done
if cmp -s "$tmp/big1.html" "$tmp/big3.html"; then
    ok
else
    not_ok "--html differs between --threads 1 and 3"
fi
"$cli" -r "$tmp/big.pcap" -o json -q --threads 1 >"$tmp/plain.json" 2>/dev/null
if cmp -s "$tmp/plain.json" "$tmp/big1.json"; then ok; else not_ok "--html changed the records"; fi
size=$(stat -c %s "$tmp/big1.html")
if [ "$size" -gt 100000 ] && [ "$size" -lt $bound ] &&
    grep -q 'data-list="slowest"' "$tmp/big1.html" && grep -q 'data-list="failed"' "$tmp/big1.html"; then
    ok
else
    not_ok "1 M packet trace: page of $size bytes (bound $bound) or sections missing"
fi
echo "html: 1 M packets ($(grep -c . "$tmp/big1.json") connections): page of $size bytes"

# A SYN flood: 300 000 SYNs from distinct sources, nothing answered.
"$gen_trace" -o "$tmp/flood.pcap" -c 0 -p 300000 --flood 300000 --scan 0 --snaplen 96 >/dev/null 2>&1
"$cli" -r "$tmp/flood.pcap" -o json -q --detect --html "$tmp/flood.html" >/dev/null 2>&1
size=$(stat -c %s "$tmp/flood.html")
if [ "$size" -lt $bound ] && grep -q 'id="n-connections" data-v="300000"' "$tmp/flood.html" &&
    grep -q '<td class="l">syn_flood</td>' "$tmp/flood.html"; then
    ok
else
    not_ok "SYN flood: page of $size bytes (bound $bound), or no count or syn_flood alert"
fi
echo "html: SYN flood (300000 SYNs): page of $size bytes"

# The flood's memory: the ladder set follows at most 32768 connections at once
# (its 262144-row pool / 8), not one per unanswered SYN, so --html adds little
# to the peak RSS (a table per SYN added 114 MB here), and the page says how
# many connections it did not follow. (Under AddressSanitizer, whose quarantine keeps
# what is freed, the bound is the plain build's to check.)
slack=32
[ "${SANITIZED:-0}" = 1 ] && slack=100000
peak() {
    python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)' "$@"
}
plain_mb=$(peak "$cli" -r "$tmp/flood.pcap" -o json -q --detect)
html_mb=$(peak "$cli" -r "$tmp/flood.pcap" -o json -q --detect --html "$tmp/flood2.html")
if [ "$html_mb" -le $((plain_mb + slack)) ] &&
    grep -q 'Ladders: [1-9][0-9]* connections not drawn segment by segment' "$tmp/flood2.html"; then
    ok
else
    not_ok "SYN flood: peak RSS $plain_mb MB, $html_mb MB with --html (bound +$slack), or no ladder note"
fi
echo "html: SYN flood peak RSS: $plain_mb MB, with --html $html_mb MB"

# Standard input: the same page but for its title.
"$cli" -r - -o json -q --html "$tmp/stdin.html" <"$data/handshakes.pcap" >/dev/null
"$cli" -r "$data/handshakes.pcap" -o json -q --html "$tmp/file.html" >/dev/null
if [ "$(sed 's/standard input//g' "$tmp/stdin.html")" = \
    "$(sed "s|$data/handshakes.pcap||g" "$tmp/file.html")" ]; then
    ok
else
    not_ok "-r - --html differs from -r FILE --html beyond the title"
fi

# Errors: a file that cannot be made (exit 1, before reading), and no file name (exit 2).
"$cli" -r "$data/handshakes.pcap" -q --html "$tmp/no/such/dir.html" >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && [ "$(cat "$tmp/err")" = \
    "tcpshake: --html $tmp/no/such/dir.html: No such file or directory" ]; then
    ok
else
    not_ok "--html into a missing directory: exit $rc, $(cat "$tmp/err")"
fi
"$cli" -r "$data/handshakes.pcap" -q --html - >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" = 1 ]; then ok; else not_ok "--html -: exit $rc"; fi

# The latency shape: on a terminal (a pty) the summary has it; in a pipe nothing changes.
python3 - "$cli" "$data/handshakes.pcap" <<'PY' && ok || not_ok "latency shape on a terminal"
import os, pty, re, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "-r", sys.argv[2], "-o", "json"])
out = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
os.waitpid(pid, 0)
text = out.decode("utf-8").replace("\r\n", "\n")
m = re.search(r"latency shape \(log axis, [0-9.]+ ms \.\. [0-9.]+ ms\):\n"
              r"  server side    ([ ▁▂▃▄▅▆▇█]+)\n  client side    ([ ▁▂▃▄▅▆▇█]+)\n", text)
# handshakes.pcap: server sides near 60 ms, client sides near 20 ms: the peaks apart.
if not m or "█" not in m.group(1) or "█" not in m.group(2) or \
        m.group(1).index("█") <= m.group(2).index("█"):
    print(text[:2000])
    sys.exit(1)
PY
if "$cli" -r "$data/handshakes.pcap" -o json 2>&1 >/dev/null | grep -q 'latency shape'; then
    not_ok "latency shape in a pipe"
else
    ok
fi

echo "html: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
