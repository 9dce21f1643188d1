#!/usr/bin/env bash
# make install into a temporary DESTDIR with a multiarch LIBDIR: every file where
# it belongs, a tcpshake.pc that pkg-config reads, examples/minimal.c built with
# `pkg-config --cflags --libs tcpshake` against the installed headers and library
# and run on a capture, the bash completion installed and completing; make demo
# installs only the build packages.
#
# usage: tests/e2e/install.sh CLI   (the build directory is the CLI's)
set -u
cli=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../need.sh"
needs install make gcc pkg-config
repo=$(cd "$here/../.." && pwd)
build=$(cd "$(dirname "$cli")" && pwd)
pass=0
fail=0
ok() { pass=$((pass + 1)); }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root
libdir=/usr/lib/x86_64-linux-gnu

if make -s -C "$repo" BUILD="$build" DESTDIR="$dest" PREFIX=/usr LIBDIR="$libdir" install \
    >"$tmp/log" 2>&1; then
    ok
else
    not_ok "make install: $(tail -5 "$tmp/log")"
fi
for f in /usr/bin/tcpshake "$libdir/libtcpshake.a" "$libdir/libtcpshake.so.0" \
    "$libdir/libtcpshake.so" "$libdir/pkgconfig/tcpshake.pc" /usr/include/tcpshake.h \
    /usr/include/tcpshake/record.h /usr/share/man/man1/tcpshake.1 \
    /usr/share/bash-completion/completions/tcpshake; do
    if [ -e "$dest$f" ]; then ok; else not_ok "make install: $f missing"; fi
done

# pkg-config, as a program's build would call it (the sysroot stands for DESTDIR).
export PKG_CONFIG_PATH=$dest$libdir/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
flags=$(pkg-config --cflags --libs tcpshake 2>"$tmp/err" | xargs)
if [ "$flags" = "-I$dest/usr/include -L$dest$libdir -ltcpshake" ]; then ok; else
    not_ok "pkg-config --cflags --libs tcpshake: '$flags' $(cat "$tmp/err")"
fi
if pkg-config --libs --static tcpshake | grep -q -- '-lzstd'; then ok; else
    not_ok "pkg-config --static: no -lzstd (Libs.private)"
fi
# shellcheck disable=SC2086 # the flags are words
# Under ASan (make asan) the library needs the sanitizer runtime in the program too.
sanitize=${SANITIZED:+-fsanitize=address,undefined}
if gcc -std=c11 -Wall -Wextra -Werror $sanitize "$repo/examples/minimal.c" $flags -o "$tmp/minimal" \
    2>"$tmp/err"; then
    ok
else
    not_ok "examples/minimal.c against the installed library: $(head -c 400 "$tmp/err")"
fi
LD_LIBRARY_PATH=$dest$libdir "$tmp/minimal" "$repo/tests/data/sample.pcap" >"$tmp/out" 2>"$tmp/err"
rc=$?
want=$("$cli" -r "$repo/tests/data/sample.pcap" -o json -q | wc -l)
if [ $rc -eq 0 ] && [ "$(wc -l <"$tmp/out")" -eq "$want" ] && grep -q ' refused ' "$tmp/out" &&
    grep -q ' established server_side_ns=[0-9]' "$tmp/out"; then
    ok
else
    not_ok "minimal on sample.pcap: exit $rc, $(wc -l <"$tmp/out") lines (want $want)"
fi

# The completion, loaded as bash-completion loads it, completes options and formats.
if [ -r /usr/share/bash-completion/bash_completion ]; then
    got=$(PATH=$dest/usr/bin:$PATH bash -c '
        . /usr/share/bash-completion/bash_completion
        . "$1"
        COMP_WORDS=(tcpshake -r f.pcap -o j); COMP_CWORD=4; COMP_LINE="tcpshake -r f.pcap -o j"
        COMP_POINT=${#COMP_LINE}; _tcpshake; echo "${COMPREPLY[*]}"
        COMP_WORDS=(tcpshake --idle); COMP_CWORD=1; COMP_LINE="tcpshake --idle"
        COMP_POINT=${#COMP_LINE}; _tcpshake; echo "${COMPREPLY[*]}"' _ \
        "$dest/usr/share/bash-completion/completions/tcpshake" 2>&1)
    if [ "$got" = "json
--idle-timeout" ]; then ok; else not_ok "bash completion: got '$got'"; fi
fi

# make demo installs the build packages, nothing the tests alone need.
demo=$(make -s -n -C "$repo" demo 2>/dev/null | grep -o 'for p in [^;]*' | head -1)
if [[ $demo == *libpcap-dev* && $demo == *libzstd-dev* && $demo != *nmap* && $demo != *clang* &&
    $demo != *hping3* ]]; then
    ok
else
    not_ok "make demo installs: $demo"
fi

echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
