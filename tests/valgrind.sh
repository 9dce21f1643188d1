#!/usr/bin/env bash
# valgrind.sh - the body of `make valgrind`: the unit tests, then the CLI over every
# capture in tests/data (all four output formats), over the hostile captures of
# make_hostile (all four formats) and, when ../shared/corpus is present, over every corpus
# capture with -o json, each under
#   valgrind --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite,indirect -q
# A run fails on valgrind's exit code 9 (a memory error or a definite/indirect leak), on a
# signal, or on exit codes other than 0 and 1 (hostile captures are meant to exit 1).
# Unit tests must exit 0.
#
# usage: tests/valgrind.sh CLI MAKE_HOSTILE UNIT_TEST...
# Prints "not ok - WHAT" with valgrind's report per failure, then
# "valgrind: N passed, M failed"; exits 1 if any failed.
set -u
cli=$1
make_hostile=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
corpus=${TCPSHAKE_CORPUS:-$here/../../shared/corpus}
vg=(valgrind --error-exitcode=9 --leak-check=full "--errors-for-leak-kinds=definite,indirect" -q)
pass=0
fail=0

. "$here/need.sh"
needs valgrind valgrind timeout
tmp=$(mktemp -d "${TMPDIR:-/tmp}/valgrind.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# check WHAT MAX_RC CMD...: run CMD under valgrind (output to /dev/null, its stderr kept).
check() {
    local what=$1 max_rc=$2
    shift 2
    timeout 600 "${vg[@]}" "$@" >/dev/null 2>"$tmp/err"
    local rc=$?
    if [ $rc -le "$max_rc" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "not ok - $what: exit $rc"
        head -40 "$tmp/err"
    fi
}

for t in "$@"; do
    check "$(basename "$t")" 0 "$t"
done

mkdir "$tmp/hostile"
if ! "$make_hostile" "$tmp/hostile"; then
    echo "not ok - make_hostile failed"
    fail=$((fail + 1))
fi
for cap in "$here"/data/*.pcap "$here"/data/*.pcapng "$tmp"/hostile/*; do
    [ -f "$cap" ] || continue
    for fmt in table json csv zeek; do
        check "$(basename "$cap") -o $fmt" 1 "$cli" -r "$cap" -o "$fmt"
    done
done

if [ -d "$corpus" ]; then
    while IFS= read -r cap; do
        check "corpus ${cap#"$corpus"/} -o json" 1 "$cli" -r "$cap" -o json
    done < <(find "$corpus" -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort)
elif [ -n "${CI:-}" ]; then
    fail=$((fail + 1))
    echo "not ok - corpus absent (looked for $corpus; CI is set)"
else
    echo "valgrind: corpus skipped: corpus absent (looked for $corpus)"
fi

echo "valgrind: $pass passed, $fail failed"
[ $fail -eq 0 ]
