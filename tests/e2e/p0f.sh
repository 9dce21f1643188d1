#!/usr/bin/env bash
# p0f fingerprints: every SYN and SYN-ACK signature p0f -r logs (Debian's p0f 3.09b,
# with its own database) must be the one tcpshake gives that side, and its label
# too, for every capture in tests/data and (when present) ../shared/corpus; the
# differences a documented rule explains (tcpshake(1), P0F FINGERPRINTS) are counted
# apart (p0f_diff.py). Then --p0f-db: a database that does not parse is an error
# naming its line, none gives no labels, and the labels do not depend on --threads.
#
# usage: tests/e2e/p0f.sh CLI
set -u
cli=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../need.sh"
needs p0f p0f python3
db=/etc/p0f/p0f.fp
[ -r "$db" ] || cannot_run p0f "$db cannot be read (Debian's p0f package installs it)"
corpus=${TCPSHAKE_CORPUS:-$here/../../../shared/corpus}
data=$here/../data
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; }

caps=("$data"/*.pcap "$data"/*.pcapng)
# Under a sanitizer the corpus is left to the plain build (make asan-corpus runs every
# corpus capture under ASan + UBSan, p0f labels included).
if [ "${SANITIZED:-0}" = 1 ]; then
    echo "p0f: corpus part left to the plain build (sanitizer build)"
elif [ -d "$corpus" ]; then
    while IFS= read -r f; do caps+=("$f"); done < <(find "$corpus" -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort)
else
    echo "p0f: corpus absent: tests/data only"
fi
if python3 "$here/p0f_diff.py" "$cli" p0f "$db" "${caps[@]}" >"$tmp/diff" 2>&1; then
    ok
else
    not_ok "signatures or labels differ from p0f's:"
    grep -v '^p0f:' "$tmp/diff"
fi
grep '^p0f:' "$tmp/diff"

# A database p0f would refuse: exit 1, one line naming the file and the line.
printf '[tcp:request]\nlabel = s:unix:Linux:3.x\nsig = *:64:0:*:*,*:mss,what::0\n' >"$tmp/bad.fp"
"$cli" -r "$data/sample.pcap" -o json -q --p0f-db "$tmp/bad.fp" >"$tmp/out" 2>"$tmp/err"
rc=$?
want="tcpshake: --p0f-db $tmp/bad.fp: line 3: malformed signature (want ver:ittl:olen:mss:wsize,scale:olayout:quirks:pclass)"
if [ $rc -eq 1 ] && [ "$(cat "$tmp/err")" = "$want" ] && [ ! -s "$tmp/out" ]; then ok; else
    not_ok "--p0f-db bad.fp: exit $rc, stderr: $(head -c 300 "$tmp/err")"
fi
"$cli" -r "$data/sample.pcap" -o json -q --p0f-db "$tmp/missing.fp" >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && [ "$(cat "$tmp/err")" = "tcpshake: --p0f-db $tmp/missing.fp: No such file or directory" ]; then ok; else
    not_ok "--p0f-db missing.fp: exit $rc, stderr: $(head -c 300 "$tmp/err")"
fi

# none: signatures, no labels; the default is Debian's database, and so is --p0f-db FILE.
"$cli" -r "$data/sample.pcap" -o json -q --p0f-db none >"$tmp/none.json"
labels=$(python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; print(sum(1 for x in r if x["client_p0f_label"] or x["server_p0f_label"]), sum(1 for x in r if x["client_p0f_sig"]))' "$tmp/none.json")
if [ "$labels" = "0 10" ]; then ok; else not_ok "--p0f-db none: want 0 labels and 10 client signatures, got $labels"; fi
"$cli" -r "$data/sample.pcap" -o json -q >"$tmp/default.json"
"$cli" -r "$data/sample.pcap" -o json -q --p0f-db "$db" >"$tmp/named.json"
label=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["client_p0f_label"])' "$tmp/default.json")
if cmp -s "$tmp/default.json" "$tmp/named.json" && [ "$label" = "g:unix:Linux:2.2.x-3.x" ]; then ok; else
    not_ok "default database: first client label '$label', or differs from --p0f-db $db"
fi
# The workers label their records as one thread does; CSV carries the same fields.
"$cli" -r "$data/handshakes.pcap" -o json -q --threads 3 >"$tmp/t3.json"
"$cli" -r "$data/handshakes.pcap" -o json -q --threads 1 >"$tmp/t1.json"
if cmp -s "$tmp/t1.json" "$tmp/t3.json" && grep -q '"server_p0f_label":"g:unix:Linux' "$tmp/t1.json"; then ok; else
    not_ok "--threads 3 labels differ from --threads 1 (or no server label at all)"
fi
hdr=$("$cli" -r "$data/sample.pcap" -o csv -q | head -1 | tr ',' '\n' | grep p0f | tr '\n' ' ')
if [ "$hdr" = "client_p0f_sig client_p0f_label client_p0f_fuzzy server_p0f_sig server_p0f_label server_p0f_fuzzy " ]; then ok; else
    not_ok "CSV p0f columns: $hdr"
fi

echo "p0f: $pass passed, $fail failed"
[ $fail -eq 0 ]
