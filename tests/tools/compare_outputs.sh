#!/usr/bin/env bash
# compare_outputs.sh - two builds of tcpshake side by side: every capture in tests/data
# and CORPUS (default ../shared/corpus) in eight output modes; prints each capture and mode
# whose output (stdout, stderr and exit status together) differs, then a count. Used to
# show that a refactor changes no output. Not part of make check.
# deps-check: not run by make check
#
# usage: tests/tools/compare_outputs.sh OLD_CLI NEW_CLI [CORPUS]
set -u
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "usage: $0 OLD_CLI NEW_CLI [CORPUS]" >&2
    exit 2
fi
old=$1 new=$2
here=$(cd "$(dirname "$0")" && pwd)
corpus=${3:-$here/../../../shared/corpus}
modes=("-o json" "-o csv" "-o zeek" "-o table --no-color" "--by server -o json"
    "--by subnet/24 --bucket 10s -o csv" "--detect -o json" "--events all -o json")
n=0 differ=0
while IFS= read -r cap; do
    for mode in "${modes[@]}"; do
        n=$((n + 1))
        # shellcheck disable=SC2086 # a mode is several words
        a=$("$old" -r "$cap" $mode 2>&1; echo "exit $?")
        # shellcheck disable=SC2086
        b=$("$new" -r "$cap" $mode 2>&1; echo "exit $?")
        if [ "$a" != "$b" ]; then
            differ=$((differ + 1))
            echo "differs: $cap $mode"
        fi
    done
done < <(find "$here/../data" "$corpus" -type f \( -name '*.pcap' -o -name '*.pcapng' \
    -o -name '*.cap' \) 2>/dev/null | sort)
echo "compare: $n runs, $differ differ"
