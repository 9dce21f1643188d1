#!/usr/bin/env python3
"""The progress line of a long read from a file (cli/main.c, on_progress).

It is drawn on standard error only when standard error is a terminal, standard
output is not (records would tear it) and -q is not given; it shows megabytes
read of the file's size, packets per second and the time left, is redrawn at
most four times a second after the first second, and is erased before the
summary. It never changes what goes to standard output.

A read of a generated trace (bench/gen_trace, 200 k packets, 87 MB) is made to
last past the first second without a large trace: this test leaves the CLI's
standard output unread for HOLD seconds, so the CLI waits on its output pipe,
and every run must still be going when the hold ends (else the cases where no
line may appear would prove nothing).

usage: tests/e2e/progress.py CLI GEN_TRACE
"""
import os
import pty
import re
import subprocess
import sys
import tempfile
import threading
import time

HOLD = 1.5

# "\r12 / 87 MB (14%), 0.83 M packets/s, ETA 0:01 "
LINE = re.compile(rb"\r(\d+) / (\d+) MB \((\d+)%\), (\d+\.\d\d) M packets/s, ETA (\d+):(\d\d) ")
ERASE = b"\r\x1b[K"


def drain(fd, sink):
    """Read a pty's master side until the other side is closed."""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return
        if not chunk:
            return
        sink.append(chunk)


def run(cmd, stderr_tty, stdout_tty):
    """Run cmd with standard error and standard output on a terminal or a pipe each,
    not reading standard output for HOLD seconds. Returns (exit, stdout, stderr,
    still running when the hold ended)."""
    got = {"out": [], "err": []}
    readers, masters, fds = [], [], {}
    for name, tty in (("out", stdout_tty), ("err", stderr_tty)):
        if tty:
            master, slave = pty.openpty()
            masters.append((name, master))
            fds[name] = slave
        else:
            fds[name] = subprocess.PIPE
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=fds["out"], stderr=fds["err"])
    for name, fd in fds.items():
        if fd != subprocess.PIPE:
            os.close(fd)
    # Standard error is always read as it comes; standard output only after the hold.
    for name, master in masters:
        if name == "err":
            readers.append(threading.Thread(target=drain, args=(master, got["err"])))
    if proc.stderr is not None:
        readers.append(threading.Thread(target=lambda: got["err"].append(proc.stderr.read())))
    for t in readers:
        t.start()
    time.sleep(HOLD)
    held = proc.poll() is None
    if proc.stdout is not None:
        got["out"].append(proc.stdout.read())
    for name, master in masters:
        if name == "out":
            drain(master, got["out"])
    proc.wait()
    for t in readers:
        t.join()
    for name, master in masters:
        os.close(master)
    return proc.returncode, b"".join(got["out"]), b"".join(got["err"]), held


def main():
    cli, gen = sys.argv[1], sys.argv[2]
    passed = failed = 0

    def check(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print("not ok - " + what)

    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "t.pcap")
        subprocess.run([gen, "-o", trace, "-p", "200000", "-s", "7"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        size_mb = os.path.getsize(trace) / 1e6
        plain = subprocess.run([cli, "-r", trace, "-o", "json", "-q"], capture_output=True)
        check(plain.returncode == 0 and plain.stdout.count(b"\n") > 5000,
              "plain run: exit %d, %d records" % (plain.returncode, plain.stdout.count(b"\n")))

        # Shown: standard error a terminal, standard output a pipe; on one thread and two.
        for threads in ("1", "2"):
            rc, out, err, held = run([cli, "-r", trace, "-o", "json", "--threads", threads],
                                     stderr_tty=True, stdout_tty=False)
            name = "--threads %s, stderr a terminal" % threads
            check(rc == 0 and held, "%s: exit %d, still running after the hold: %s" % (name, rc, held))
            check(out == plain.stdout, name + ": standard output differs from a run without the line")
            lines = LINE.findall(err)
            check(len(lines) > 0, name + ": no progress line in %r" % err[:300])
            for done, total, pct, _, _, secs in lines:
                check(int(total) == round(size_mb) and int(done) <= int(total) and
                      int(pct) <= 100 and int(secs) < 60,
                      name + ": bad line %s / %s MB (%s%%)" % (done, total, pct))
            last = err.rfind(b"packets/s")
            check(last >= 0 and err.find(ERASE, last) >= 0 and b"connections" in err[last:],
                  name + ": the line is not erased before the summary")

        # Not shown: -q; standard error a pipe; standard output a terminal too.
        for what, extra, stderr_tty, stdout_tty in (
                ("-q", ["-q"], True, False),
                ("stderr a pipe", [], False, False),
                ("stdout a terminal", [], True, True)):
            rc, out, err, held = run([cli, "-r", trace, "-o", "json"] + extra, stderr_tty, stdout_tty)
            check(rc == 0 and held, "%s: exit %d, still running after the hold: %s" % (what, rc, held))
            check(b"packets/s" not in err and ERASE not in err,
                  what + ": a progress line was drawn: %r" % err[:300])

    print("progress: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
