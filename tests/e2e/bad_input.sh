#!/usr/bin/env bash
# Bad input is tested like good input (STYLE.md 12): the CLI on the hostile
# captures written by tests/tools/make_hostile, and on bad command lines.
#
# A fatal fault (corrupt, truncated or hostile file, missing file, ...) must
# give exit 1 and exactly one printable line on stderr starting "tcpshake: ",
# after the records and summary of what was read before it. A bad command
# line gives exit 2 and one such line. A damaged packet is a counted skip in
# the summary and the run exits 0. Never a crash, a sanitizer report or a hang.
#
# The last section checks the output side: -w never truncates the capture being
# read, whatever its name; closed, full or vanished standard streams.
#
# usage: tests/e2e/bad_input.sh CLI MAKE_HOSTILE GEN_TRACE
# Prints "ok - NAME" or "not ok - NAME: WHY" per check, then
# "bad_input: N passed, M failed"; exits 1 if any failed.
set -u
if [ $# -ne 3 ]; then
    echo "usage: $0 CLI MAKE_HOSTILE GEN_TRACE" >&2
    exit 2
fi
cli=$1
make_hostile=$2
gen_trace=$3
case $cli in /*) ;; *) cli=$PWD/$cli ;; esac # some checks run in another directory
. "$(dirname "$0")/../need.sh"
needs bad_input timeout setpriv

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bad_input.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
cap=$tmp/cap
mkdir "$cap"
if ! "$make_hostile" "$cap"; then
    echo "not ok - make_hostile $cap failed"
    echo "bad_input: 0 passed, 1 failed"
    exit 1
fi

pass=0
fail=0
why="" # the reasons the current check failed, "; "-separated

# The connection every capture starts with, as the json and table sinks print it.
json_conn='"addr":"10.1.1.1","port":40000'
table_conn='10.1.1.1:40000'

# run ARGS...: the CLI under a timeout, stdin from $stdin; sets rc, fills $tmp/out and $tmp/err.
stdin=/dev/null
run() {
    timeout 20 "$cli" "$@" <"$stdin" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    why=""
    if [ $rc -eq 124 ]; then
        why="hung: killed after 20 s"
    elif [ $rc -gt 128 ]; then
        why="crashed: signal $((rc - 128))"
    fi
    if grep -qE 'Sanitizer|runtime error:' "$tmp/err"; then
        add "sanitizer report: $(grep -m1 -E 'Sanitizer|runtime error:' "$tmp/err")"
    fi
}

add() { why=${why:+$why; }$1; }

finish() {
    if [ -z "$why" ]; then
        echo "ok - $1"
        pass=$((pass + 1))
    else
        echo "not ok - $1: $why"
        fail=$((fail + 1))
    fi
}

# First 200 bytes of a file on one line: newlines shown as '|', other control bytes as '?'.
show() { head -c 200 "$1" | tr '\n' '|' | LC_ALL=C tr '[:cntrl:]' '?' | sed 's/|$//'; }

want_rc() {
    [ $rc -eq "$1" ] || add "exit $rc, want $1"
}

# stderr is exactly one line, printable, starting "tcpshake: ".
one_err_line() {
    local lines
    lines=$(wc -l <"$tmp/err")
    if [ "$lines" -ne 1 ] || [ "$(tail -c 1 "$tmp/err" | od -An -c | tr -d ' ')" != '\n' ]; then
        add "stderr is $lines lines, want 1: '$(show "$tmp/err")'"
        return
    fi
    if [ "$(head -c 10 "$tmp/err")" != "tcpshake: " ]; then
        add "stderr does not start with 'tcpshake: ': '$(show "$tmp/err")'"
    fi
    if [ "$(tr -d '\n' <"$tmp/err" | LC_ALL=C tr -d '[:print:]' | wc -c)" -ne 0 ]; then
        add "stderr has unprintable bytes: '$(show "$tmp/err")'"
    fi
}

err_has() {
    grep -qF -- "$1" "$tmp/err" || add "stderr lacks '$1': '$(show "$tmp/err")'"
}

err_lacks() {
    ! grep -qF -- "$1" "$tmp/err" || add "stderr says '$1': '$(show "$tmp/err")'"
}

err_empty() {
    [ ! -s "$tmp/err" ] || add "stderr not empty: '$(show "$tmp/err")'"
}

out_has() {
    grep -qF -- "$1" "$tmp/out" || add "stdout lacks '$1'"
}

out_empty() {
    [ ! -s "$tmp/out" ] || add "stdout not empty: '$(show "$tmp/out")'"
}

# summary_is LABEL VALUE: the summary line "  LABEL   VALUE" in $tmp/out (table output).
summary_is() {
    local got
    got=$(awk -v l="$1" '{ v = $NF; $NF = ""; sub(/^ +/, ""); sub(/ +$/, ""); if ($0 == l) { print v; exit } }' "$tmp/out")
    if [ -z "$got" ]; then
        add "summary lacks '$1'"
    elif [ "$got" != "$2" ]; then
        add "summary '$1' is $got, want $2"
    fi
}

no_skips() {
    local s
    for s in truncated malformed not_tcp unsupported fragment; do
        summary_is "skipped $s" 0
    done
}

# ---------------------------------------------------------------- fatal files

# fatal FILE PACKETS [STDERR TEXT ...]: exit 1 with one stderr line naming the
# file and each TEXT. PACKETS is how many packets were analysed before the
# fault: their records and summary must still be printed (0: fails on open,
# nothing is printed).
fatal() {
    local file=$1 packets=$2 t
    shift 2
    run -r "$cap/$file" -o json -q
    want_rc 1
    one_err_line
    err_has "$cap/$file"
    for t in "$@"; do
        err_has "$t"
    done
    if [ "$packets" -gt 0 ]; then
        out_has "$json_conn"
    else
        out_empty
    fi
    finish "$file -o json"

    run -r "$cap/$file" -o table
    want_rc 1
    one_err_line
    if [ "$packets" -gt 0 ]; then
        out_has "$table_conn"
        summary_is "packets read" "$packets"
    else
        out_empty
    fi
    finish "$file -o table: records and summary before the fault"
}

fatal empty.pcap 0
fatal bad_magic.pcap 0
fatal short_global_header.pcap 0
fatal not_a_capture.txt 0
fatal unsupported_linktype.pcap 0 "link type 147"
fatal trunc_record_header.pcap 3 "packet 4"
fatal trunc_record_body.pcap 3 "packet 4"
fatal huge_caplen.pcap 3 "packet 4"
fatal pcapng_bad_block_len.pcapng 3 "packet 4"

# With json the summary goes to stderr: then the error is its one last line.
run -r "$cap/trunc_record_body.pcap" -o json
want_rc 1
out_has "$json_conn"
grep -q '^  skipped truncated  *0$' "$tmp/err" || add "no summary on stderr"
[ "$(grep -c '^tcpshake: ' "$tmp/err")" -eq 1 ] || add "want one 'tcpshake: ' line on stderr"
tail -n 1 "$tmp/err" | grep -q '^tcpshake: .*packet 4' || add "last stderr line is not the error"
finish "trunc_record_body.pcap -o json: summary on stderr, then the error"

# ------------------------------------------------------ damaged packets: skips

# survives FILE PACKETS: exit 0, nothing on stderr, the connection printed in
# json and table; the table's summary read PACKETS packets. The caller adds
# its own stat checks on the table run, then calls finish.
survives() {
    run -r "$cap/$1" -o json -q
    want_rc 0
    err_empty
    out_has "$json_conn"
    finish "$1 -o json"

    run -r "$cap/$1" -o table
    want_rc 0
    err_empty
    out_has "$table_conn"
    summary_is "packets read" "$2"
}

# skipped FILE REASON: the 4th packet is skipped as REASON, nothing else is.
skipped() {
    local s
    survives "$1" 4
    for s in truncated malformed not_tcp unsupported fragment; do
        if [ "$s" = "$2" ]; then
            summary_is "skipped $s" 1
        else
            summary_is "skipped $s" 0
        fi
    done
    summary_is "tcp segments" 3
    finish "$1 -o table: skipped $2 1"
}

survives valid.pcap 3
no_skips
summary_is "tcp segments" 3
out_has established
finish "valid.pcap -o table"

skipped zero_length_record.pcap truncated
skipped ipv4_ihl_short.pcap malformed
skipped ipv4_totlen_lt_hdr.pcap malformed
skipped ipv4_totlen_no_tcp.pcap malformed
skipped tcp_doff_short.pcap malformed
skipped tcp_doff_past_end.pcap malformed
skipped ipv6_ext_chain.pcap unsupported
skipped vlan_stack.pcap unsupported

survives ipv4_snaplen_cut.pcap 4
no_skips
summary_is "tcp segments" 4
summary_is "cut by snaplen" 1
finish "ipv4_snaplen_cut.pcap -o table: cut by snaplen 1"

survives caplen_over_snaplen.pcap 4
no_skips
summary_is "tcp segments" 4
finish "caplen_over_snaplen.pcap -o table"

# Bad TCP option lengths in the SYN: a quirk of the segment, not a skip.
for f in tcp_opt_len0.pcap tcp_opt_len1.pcap tcp_opt_past_end.pcap; do
    survives "$f" 3
    no_skips
    summary_is "tcp segments" 3
    out_has established
    finish "$f -o table: a bad option is no skip"
    run -r "$cap/$f" -o json -q
    out_has '"bad_tcp_option"'
    finish "$f -o json: bad_tcp_option anomaly"
done

survives ts_backwards.pcap 3
no_skips
summary_is "timestamps backwards" 1
finish "ts_backwards.pcap -o table: timestamps backwards 1"

# A FIN stamped 4200000000 s (year 2103): pcap seconds are unsigned 32 bits,
# so this is forward in time, not back to 1970.
survives ts_future.pcap 4
no_skips
summary_is "timestamps backwards" 0
finish "ts_future.pcap -o table: year 2103 is not backwards"
run -r "$cap/ts_future.pcap" -o json -q
out_has '4200000000999999000'
finish "ts_future.pcap -o json: the FIN's time is 4200000000.999999 s"

# One frame stamped in 2106 in the middle of a connection, the next back in 2023:
# the jump is not believed (no connection is expired by it, nothing is split), and
# counted. The same with any number of threads; saved with -w, the frame keeps
# its own time stamp, so reading the saved trace gives the same again.
survives ts_jump.pcap 5
no_skips
summary_is "timestamps jumped" 1
summary_is "timestamps backwards" 0
summary_is "connections" 1
finish "ts_jump.pcap -o table: the 2106 frame is counted as a jump"
# (run clears the reasons: every run first, then the checks.)
for t in 1 2 3; do
    run -r "$cap/ts_jump.pcap" -o json -q --threads $t
    cp "$tmp/out" "$tmp/jump$t"
done
run -r "$cap/ts_jump.pcap" -o json -q -w "$tmp/jump.pcap"
cp "$tmp/out" "$tmp/jump_w"
run -r "$tmp/jump.pcap" -o json -q
[ "$(wc -l <"$tmp/jump1")" -eq 1 ] || add "$(wc -l <"$tmp/jump1") records, want 1"
grep -qF '"end":"open"' "$tmp/jump1" || add "the record does not end open: $(show "$tmp/jump1")"
for f in jump2 jump3 jump_w; do
    cmp -s "$tmp/$f" "$tmp/jump1" || add "$f differs from --threads 1"
done
cmp -s "$tmp/out" "$tmp/jump1" || add "the saved trace gives other records"
finish "ts_jump.pcap -o json: one record, the same for --threads 1/2/3 and -w"

survives pcapng_unknown_block.pcapng 3
no_skips
summary_is "tcp segments" 3
out_has established
finish "pcapng_unknown_block.pcapng -o table: unknown block skipped"

# ---------------------------------------------------------------- standard input

stdin=$cap/valid.pcap
run -r - -o json -q
want_rc 0
err_empty
out_has "$json_conn"
finish "-r - reads a capture from standard input"

stdin=$cap/trunc_record_body.pcap
run -r - -o json -q
want_rc 1
one_err_line
err_has "standard input"
err_has "packet 4"
out_has "$json_conn"
finish "-r - with a truncated capture"

stdin=$cap/empty.pcap
run -r - -o json -q
want_rc 1
one_err_line
err_has "standard input"
out_empty
finish "-r - with empty standard input"
stdin=/dev/null

# ---------------------------------------------------------------- command line

# usage STATUS TEXT ARGS...: exit STATUS, one stderr line containing TEXT, no output.
usage() {
    local status=$1 text=$2
    shift 2
    run "$@"
    want_rc "$status"
    one_err_line
    err_has "$text"
    out_empty
}

v=$cap/valid.pcap
usage 2 "--bogus" -r "$v" --bogus
finish "unknown long option"
usage 2 "-x" -r "$v" -x
finish "unknown short option"
usage 2 "bogus" -r "$v" -o bogus
finish "-o bogus"
usage 2 "abc" -r "$v" -c abc
finish "-c abc"
usage 2 "--max-flows 1: want a number from 16 to" -r "$v" --max-flows 1
finish "--max-flows 1"
usage 2 "--threads 65: want a number from 0 to 64" -r "$v" --threads 65
finish "--threads 65"
usage 2 "-r" -o json
finish "no -r"
usage 2 "-r" -r
err_lacks "unknown option"
finish "-r without its value"
usage 2 "--max-flows" -r "$v" --max-flows
err_lacks "unknown option"
finish "--max-flows without its value"
usage 2 "--color" -r "$v" --color=yes
finish "--color=yes (takes no value)"
usage 2 "filter" -r "$v" -o json "tcp and and port"
finish "bad BPF filter expression"

usage 1 "$cap/no-such-file.pcap" -r "$cap/no-such-file.pcap"
finish "missing file names the file"
usage 1 "$cap" -r "$cap"
finish "a directory"

# Root reads any file: as root the CLI runs without capabilities (setpriv, util-linux).
cp "$v" "$tmp/unreadable.pcap"
chmod 000 "$tmp/unreadable.pcap"
if [ "$(id -u)" = 0 ]; then
    printf '#!/bin/sh\nexec setpriv --inh-caps=-all --bounding-set=-all "%s" "$@"\n' "$cli" \
        >"$tmp/nocaps"
    chmod +x "$tmp/nocaps"
    real_cli=$cli
    cli=$tmp/nocaps
    usage 1 "$tmp/unreadable.pcap" -r "$tmp/unreadable.pcap"
    cli=$real_cli
else
    usage 1 "$tmp/unreadable.pcap" -r "$tmp/unreadable.pcap"
fi
finish "unreadable file"

# ------------------------------------------------------- -w and standard streams

# -w naming the capture being read, by another name: refused by device and
# inode before anything is truncated (it was truncated to 0 bytes, and the
# mapped reader died of SIGBUS), with or without a filter, from a file or
# from standard input; the input is left as it was.
wdir=$tmp/w
mkdir "$wdir"
cp "$v" "$wdir/v.pcap"
cp "$v" "$wdir/keep.pcap"
ln -s v.pcap "$wdir/link.pcap"
ln "$wdir/v.pcap" "$wdir/hard.pcap"
# same_input LABEL ARGS...: run from $wdir; exit 2, one line, nothing printed, input intact.
same_input() {
    local label=$1
    shift
    cp "$wdir/keep.pcap" "$wdir/v.pcap" # into the same inode: the hard link stays one
    cd "$wdir" || exit 1
    run "$@"
    cd - >/dev/null || exit 1
    want_rc 2
    one_err_line
    err_has "would overwrite the capture being read"
    out_empty
    cmp -s "$wdir/v.pcap" "$wdir/keep.pcap" || add "the input changed: $(wc -c <"$wdir/v.pcap") bytes"
    finish "-w $label"
}
same_input "names the input by a ./relative path" -r ./v.pcap -w v.pcap -o json
same_input "names the input by an absolute path" -r v.pcap -w "$wdir/v.pcap" -o json
same_input "is a symbolic link to the input" -r v.pcap -w link.pcap -o json
same_input "is the input read through a symbolic link" -r link.pcap -w v.pcap -o json
same_input "is a hard link to the input" -r v.pcap -w hard.pcap -o json
same_input "names the input, with a filter (libpcap reader)" -r ./v.pcap -w v.pcap -o json tcp
same_input "names the input under its own name" -r v.pcap -w v.pcap -o json
stdin=$wdir/v.pcap
same_input "is the file standard input reads (-r -)" -r - -w ./hard.pcap -o json
stdin=/dev/null

# -w naming the file standard output goes to: the records and the trace would be mixed.
run -r "$v" -o json -w "$tmp/out"
want_rc 2
one_err_line
err_has "standard output"
out_empty
finish "-w names the file standard output writes to"

# A device is not a file to protect: -w /dev/null with the records to /dev/null too.
"$cli" -r "$v" -o json -q -w /dev/null >/dev/null 2>"$tmp/err"
rc=$?
why=""
want_rc 0
err_empty
finish "-w /dev/null with standard output on /dev/null"

# Standard output closed: the -w file must not take its number (the records went
# into the trace, exit 0). Writing the records fails like any write: exit 1, one
# line; the trace is the same as with standard output open. With the writer thread too.
"$cli" -r "$v" -w "$tmp/w5ref.pcap" -o json -q >/dev/null 2>&1
for threads in 1 2; do
    rm -f "$tmp/w5.pcap"
    "$cli" -r "$v" -w "$tmp/w5.pcap" -o json -q --threads $threads >&- 2>"$tmp/err"
    rc=$?
    why=""
    want_rc 1
    one_err_line
    err_has "write failed: Bad file descriptor"
    cmp -s "$tmp/w5ref.pcap" "$tmp/w5.pcap" || add "the -w file differs from one written normally"
    finish "standard output closed with -w, --threads $threads"
done

# Standard input closed with -r -: a read error, not another file read instead.
"$cli" -r - -o json -q <&- >"$tmp/out" 2>"$tmp/err"
rc=$?
why=""
want_rc 1
one_err_line
err_has "standard input"
out_empty
finish "-r - with standard input closed"

# Standard error closed or full: the summary is lost, which is a failed write:
# exit 1 (there is nowhere to say so). Nothing to write there is no failure.
# A closed standard error must not be taken by the -w file either.
for target in "2>&-" "2>/dev/full"; do
    case $target in
    "2>&-") "$cli" -r "$v" -o json >/dev/null 2>&- ;;
    *) "$cli" -r "$v" -o json >/dev/null 2>/dev/full ;;
    esac
    rc=$?
    why=""
    want_rc 1
    finish "summary to standard error $target: exit 1"
    case $target in
    "2>&-") "$cli" -r "$v" -o json -q >/dev/null 2>&- ;;
    *) "$cli" -r "$v" -o json -q >/dev/null 2>/dev/full ;;
    esac
    rc=$?
    why=""
    want_rc 0
    finish "-q, nothing for standard error $target: exit 0"
done
rm -f "$tmp/w10.pcap"
"$cli" -r "$v" -o json -w "$tmp/w10.pcap" >/dev/null 2>&-
rc=$?
why=""
want_rc 1
cmp -s "$tmp/w5ref.pcap" "$tmp/w10.pcap" || add "the -w file differs from one written normally"
finish "standard error closed with -w: the summary does not go into the trace"
"$cli" -r "$v" --bogus >/dev/null 2>&-
rc=$?
why=""
want_rc 2
finish "usage error with standard error closed: still exit 2"
"$cli" --help >/dev/full 2>"$tmp/err"
rc=$?
why=""
want_rc 1
one_err_line
err_has "No space left on device"
finish "--help to a full device"

# The reader of standard output goes away (| head -1): the -w file ends on a
# whole record (it ended mid-record), exit as killed by SIGPIPE (141), no
# message. The trace is generated big enough that head leaves long before the
# end: its records fill stdout's 1 MiB buffer and the pipe many times over.
if ! "$gen_trace" -o "$tmp/big.pcap" -p 30000 -c 3000 -s 1 --snaplen 96 >/dev/null 2>&1; then
    echo "not ok - $gen_trace failed"
    fail=$((fail + 1))
else
    for threads in 1 2; do
        rm -f "$tmp/w7.pcap"
        "$cli" -r "$tmp/big.pcap" -w "$tmp/w7.pcap" -o json --threads $threads 2>"$tmp/err" |
            head -1 >"$tmp/out"
        rc=${PIPESTATUS[0]}
        why=""
        want_rc 141
        err_empty
        out_has '{"id":1,'
        size=$(wc -c <"$tmp/w7.pcap")
        # Whole records: the -w file reads to its end without a "truncated" error ...
        "$cli" -r "$tmp/w7.pcap" -o json -q >/dev/null 2>"$tmp/err7" ||
            add "the -w file does not read back: $(show "$tmp/err7")"
        # ... and, with no filter, it is the input's first bytes.
        [ "$size" -gt 24 ] || add "the -w file has no packets ($size bytes)"
        cmp -s -n "$size" "$tmp/w7.pcap" "$tmp/big.pcap" || add "the -w file is not a prefix of the input"
        finish "-w with the reader of standard output gone (| head -1), --threads $threads"
    done
fi

echo "bad_input: $pass passed, $fail failed"
[ $fail -eq 0 ]
