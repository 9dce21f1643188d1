#!/usr/bin/env bash
# sanitized.sh - the body of `make asan-corpus`: an ASan + UBSan build of the CLI over every
# capture of ../shared/corpus in all four output formats (the summary included). A run
# fails on a sanitizer report, a signal, or an exit code other than 0 and 1.
#
# usage: tests/corpus/sanitized.sh CLI
# Prints "not ok - WHAT" with the report per failure, then
# "asan-corpus: N passed, M failed". Without the corpus it fails under CI and says
# "skipped: corpus absent" elsewhere (tests/need.sh).
set -u
cli=$1
here=$(cd "$(dirname "$0")" && pwd)
corpus=${TCPSHAKE_CORPUS:-$here/../../../shared/corpus}
. "$here/../need.sh"
[ -d "$corpus" ] || cannot_run asan-corpus "corpus absent (looked for $corpus)"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/asan_corpus.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
# A sanitizer's exit code of its own, so it never passes for the CLI's exit 1.
export ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=86:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:exitcode=87}
pass=0
fail=0
while IFS= read -r cap; do
    for fmt in table json csv zeek; do
        # The detectors too, once per capture (their alerts go to standard error).
        detect=()
        [ "$fmt" = json ] && detect=(--detect)
        timeout 300 "$cli" -r "$cap" -o "$fmt" "${detect[@]}" >/dev/null 2>"$tmp/err"
        rc=$?
        if [ $rc -le 1 ] && ! grep -qE 'Sanitizer|runtime error' "$tmp/err"; then
            pass=$((pass + 1))
        else
            fail=$((fail + 1))
            echo "not ok - ${cap#"$corpus"/} -o $fmt: exit $rc"
            head -40 "$tmp/err"
        fi
    done
done < <(find "$corpus" -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort)
echo "asan-corpus: $pass passed, $fail failed"
[ $fail -eq 0 ]
