#!/usr/bin/env python3
"""The progress line of a long read from a file (cli/main.c, on_progress).

It is drawn on standard error only when standard error is a terminal, standard
output is not (records would tear it) and -q is not given; it shows megabytes
read of the file's size, packets per second and the time left, is redrawn at
most four times a second after the first second, and is erased before the
summary. It never changes what goes to standard output. Reading a pipe (-r -),
it shows the megabytes read so far; a --detect alert clears it, takes a line of
its own and the line is drawn again below it.

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
# A pipe has no size: "\r12.3 MB read, 0.83 M packets/s "
PIPE_LINE = re.compile(rb"\r(\d+\.\d) MB read, (\d+\.\d\d) M packets/s ")


def alerts_clear_of_progress(err):
    """Every --detect alert starts a line of its own: whatever was drawn on that
    line before it (a progress line) was erased first. Returns (alerts, alerts that
    came while a progress line was on screen, alerts drawn over one)."""
    n = after_line = over = 0
    for line in err.split(b"\n"):
        at = line.find(b'{"alert"')
        if at < 0:
            continue
        n += 1
        before = line[:at]
        if b"packets/s" in before:
            after_line += 1
            if not before.endswith(ERASE) or b"packets/s" in before[before.rfind(ERASE):]:
                over += 1
    return n, after_line, over


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


def feed(path, pipe):
    """Write a file into a pipe, then close it (standard input read from a pipe)."""
    with open(path, "rb") as f:
        try:
            while True:
                chunk = f.read(65536)
                if not chunk:
                    break
                pipe.write(chunk)
        except BrokenPipeError:
            pass
    try:
        pipe.close()
    except BrokenPipeError:
        pass


def run(cmd, stderr_tty, stdout_tty, stdin_path=None):
    """Run cmd with standard error and standard output on a terminal or a pipe each,
    not reading standard output for HOLD seconds; standard input is the file
    stdin_path through a pipe, if given. Returns (exit, stdout, stderr, still
    running when the hold ended)."""
    got = {"out": [], "err": []}
    readers, masters, fds = [], [], {}
    for name, tty in (("out", stdout_tty), ("err", stderr_tty)):
        if tty:
            master, slave = pty.openpty()
            masters.append((name, master))
            fds[name] = slave
        else:
            fds[name] = subprocess.PIPE
    stdin = subprocess.PIPE if stdin_path else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, stdin=stdin, stdout=fds["out"], stderr=fds["err"])
    if stdin_path:
        readers.append(threading.Thread(target=feed, args=(stdin_path, proc.stdin)))
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

        # Standard input a pipe: no size, so the bytes read so far (not "0 MB"); and the
        # --detect alerts of a SYN flood and a port scan, raised while the line is shown,
        # each on a line of its own, the progress line drawn again after it.
        flood = os.path.join(tmp, "flood.pcap")
        subprocess.run([gen, "-o", flood, "-p", "200000", "-s", "7", "--flood", "3000"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        plain = subprocess.run([cli, "-r", flood, "-o", "json", "-q", "--detect"],
                               capture_output=True)
        rc, out, err, held = run([cli, "-r", "-", "-o", "json", "--detect"], stderr_tty=True,
                                 stdout_tty=False, stdin_path=flood)
        name = "-r - from a pipe, --detect"
        check(rc == 0 and held, "%s: exit %d, still running after the hold: %s" % (name, rc, held))
        check(out == plain.stdout, name + ": standard output differs from a run from the file")
        lines = PIPE_LINE.findall(err)
        check(len(lines) > 0, name + ": no progress line in %r" % err[:300])
        mbs = [float(mb) for mb, _ in lines]
        check(mbs and all(mb > 0 for mb in mbs) and mbs == sorted(mbs) and
              mbs[-1] <= os.path.getsize(flood) / 1e6 + 0.05,
              name + ": megabytes read not growing from above 0 to the size: %r" % mbs)
        n, shown, over = alerts_clear_of_progress(err)
        check(n == plain.stderr.count(b'{"alert"') and n >= 2,
              name + ": %d alerts, %d without the line" % (n, plain.stderr.count(b'{"alert"')))
        check(shown >= 1, name + ": no alert came while the progress line was shown: %r" % err[:600])
        check(over == 0, name + ": %d alerts drawn over the progress line" % over)

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
