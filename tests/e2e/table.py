#!/usr/bin/env python3
"""The connection table on a terminal (cli/table.c): as wide as the terminal.

On a pseudo-terminal of 80 and of 200 columns: no line of the table is wider;
the default columns are there (at 80 the least needed go: state, end, time, so
that client and server keep 21 characters; at 100 only state); every
row's columns start (left-aligned) or end (right-aligned numbers) where the
header's do, for IPv4 and IPv6 addresses alike; a long address is shortened in
the middle with an ellipsis and keeps its port; the rows are the records of
the JSON output, in order. --columns and -v choose the columns. The probe's
summary table drops latency columns to fit. Into a pipe,
-o table is the library's table, unchanged (run.sh's golden files).

usage: tests/e2e/table.py CLI CAPTURE...
"""
import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios

LEFT = {"event", "time", "client", "server", "outcome", "end", "by", "state", "history",
        "bucket", "group"}


def on_pty(cmd, width):
    """Run cmd with standard output on a terminal `width` columns wide; its output."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, width, 0, 0))
    # Turn off the terminal's newline translation: the bytes as written.
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.OPOST
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    env = dict(os.environ, LANG="C.UTF-8", NO_COLOR="1")
    env.pop("COLUMNS", None)
    env.pop("LC_ALL", None)
    env.pop("LC_CTYPE", None)
    proc = subprocess.Popen(cmd, stdout=slave, stderr=subprocess.PIPE, env=env)
    os.close(slave)
    out = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out.append(chunk)
    err = proc.stderr.read()
    proc.wait()
    os.close(master)
    return proc.returncode, b"".join(out).decode("utf-8"), err


def spans(header):
    """(name, first column, last column) of each header word."""
    out, i = [], 0
    while i < len(header):
        if header[i] == " ":
            i += 1
            continue
        j = header.find(" ", i)
        j = len(header) if j < 0 else j
        out.append((header[i:j], i, j - 1))
        i = j
    return out


def aligned(header, row):
    """Every column of row starts (left) or ends (right) where the header's does."""
    for name, first, last in spans(header):
        if name in LEFT:
            if first >= len(row) or row[first] == " " or (first > 0 and row[first - 1] != " "):
                return "%s starts at %d" % (name, first)
        elif last >= len(row) or row[last] == " " or (last + 1 < len(row) and row[last + 1] not in " ~"):
            return "%s ends at %d" % (name, last)
    return None


def ms(ns):
    """A duration in ns as the table shows it: ms with 3 decimals, '-' when null."""
    if ns is None:
        return "-"
    us = (abs(ns) + 500) // 1000
    return "%s%d.%03d" % ("-" if ns < 0 else "", us // 1000, us % 1000)


def tls_line(tls):
    """The words of the TLS line under a connection's row (cli/table.c), [] without TLS."""
    if tls is None:
        return []
    words = ["tls", tls["version"] or "-", tls["outcome"]]
    if tls["alert_by"] != "none":
        words += ["alert=%d%s" % (tls["alert_desc"], "(fatal)" if tls["alert_level"] == 2 else ""),
                  "by=" + tls["alert_by"]]
    if tls["hrr"]:
        words.append("hrr")
    if tls["resumed"]:
        words.append("resumed=" + tls["resumption"])
    if tls["sni"]:
        words.append("sni=" + tls["sni"])
    for key, name in (("server_side_ns", "tls_ms"), ("client_side_ns", "tls_cli_ms")):
        if tls[key] is not None:
            words.append("%s=%s" % (name, ms(tls[key])))
    if tls["ja4"]:
        words.append("ja4=" + tls["ja4"])
    return words


def main():
    cli, captures = sys.argv[1], sys.argv[2:]
    passed = failed = 0
    tls_lines = [0]

    def check(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print("not ok - " + what)

    for cap in captures:
        name = os.path.basename(cap)
        records = [json.loads(line) for line in subprocess.run(
            [cli, "-r", cap, "-o", "json", "-q"], capture_output=True, check=True).stdout.splitlines()]
        for width, want in ((80, ["client", "server", "outcome", "srv_ms", "cli_ms"]),
                            (100, ["time", "client", "server", "outcome", "srv_ms", "cli_ms",
                                   "end"]),
                            (200, ["time", "client", "server", "outcome", "srv_ms", "cli_ms",
                                   "end", "state"])):
            rc, out, err = on_pty([cli, "-r", cap], width)
            what = "%s at %d columns" % (name, width)
            lines = out.split("\n")
            lines = lines[:lines.index("")] if "" in lines else lines
            wide = [line for line in lines if len(line) > width]
            check(not wide, "%s: %d lines wider than the terminal: %r" % (what, len(wide), wide[:2]))
            # A row, then for a connection with TLS its TLS line (indented, maybe wrapped).
            table, tls_words = [], []
            for line in lines:
                if line.startswith("  ") and table:
                    tls_words[-1] += line.split()
                else:
                    table.append(line)
                    tls_words.append([])
            for words, rec in zip(tls_words[1:], records):
                check(words == tls_line(rec["tls"]),
                      "%s: id %d: TLS line %r, want %r" % (what, rec["id"], words,
                                                         tls_line(rec["tls"])))
                tls_lines[0] += 1 if words else 0
            check(rc == 0 and err == b"", "%s: exit %d, %r" % (what, rc, err[:200]))
            check(table and table[0].split() == want, "%s: header %r" % (what, table[:1]))
            check(len(table) == len(records) + 1,
                  "%s: %d rows for %d records" % (what, len(table) - 1, len(records)))
            for row, rec in zip(table[1:], records):
                bad = aligned(table[0], row)
                check(bad is None, "%s: %s in %r (header %r)" % (what, bad, row, table[0]))
                cells = row.split()
                c = want.index("client")
                for side, cell in (("client", cells[c]), ("server", cells[c + 1])):
                    port = ":%d" % rec[side]["port"]
                    full = rec[side]["addr"] if rec["ip_version"] == 4 else "[%s]" % rec[side]["addr"]
                    check(cell == full + port or ("\u2026" in cell and cell.endswith(port) and
                                                  cell[0] == full[0]),
                          "%s: %s %r is not %s%s" % (what, side, cell, full, port))
                check(cells[c + 2] == rec["outcome"], "%s: outcome %r" % (what, cells[c + 2]))

    # --columns: these, in this order; JSON names or the header's; -v: all of them.
    # (tot_ms is followed by '~' when Karn's rule made the figure ambiguous.)
    cap = captures[0]
    rc, out, _ = on_pty([cli, "-r", cap, "-q", "--columns", "id,zeek_state,handshake,pkts"], 200)
    lines = out.split("\n")
    check(rc == 0 and lines[0].split() == ["id", "state", "tot_ms", "pkts"],
          "--columns: header %r" % lines[:1])
    check(all(aligned(lines[0], row) is None for row in lines[1:] if row), "--columns: alignment")
    rc, out, _ = on_pty([cli, "-r", cap, "-q", "-v"], 250)
    check(rc == 0 and out.split("\n")[0].split() ==
          ["id", "time", "client", "server", "outcome", "srv_ms", "cli_ms", "tot_ms", "rtx", "app_ms",
           "end", "by", "dur_ms", "pkts", "bytes", "state", "history", "sni", "tls_ms",
           "tls_cli_ms", "tls_ver", "ja4"], "-v: header %r" % out[:300])
    # The TLS columns: the record's tls object, "-" without one (and sni without SNI).
    tls_seen = 0
    for cap in captures:
        records = [json.loads(line) for line in subprocess.run(
            [cli, "-r", cap, "-o", "json", "-q"], capture_output=True, check=True).stdout.splitlines()]
        rc, out, _ = on_pty([cli, "-r", cap, "-q", "--columns",
                             "id,tls_sni,tls_ver,tls_ms,tls_client_side,ja4"], 250)
        lines = [line for line in out.split("\n") if line]
        check(rc == 0 and lines and lines[0].split() ==
              ["id", "sni", "tls_ver", "tls_ms", "tls_cli_ms", "ja4"],
              "TLS columns: header %r" % lines[:1])
        check(len(lines) == len(records) + 1, "TLS columns: %d rows" % (len(lines) - 1))
        for row, rec in zip(lines[1:], records):
            tls = rec["tls"]
            if tls is None:
                want = [str(rec["id"]), "-", "-", "-", "-", "-"]
            else:
                tls_seen += 1
                want = [str(rec["id"]), tls["sni"] or "-", tls["version"] or "-",
                        ms(tls["server_side_ns"]), ms(tls["client_side_ns"]), tls["ja4"] or "-"]
            cells = row.split()
            if len(cells) == len(want) and len(want[1]) > 30:  # sni: 30 wide, its end cut
                cut = cells[1].rstrip(".").rstrip("\u2026")
                check(len(cells[1]) <= 30 and cut != cells[1] and want[1].startswith(cut),
                      "TLS columns: sni %r is not %r shortened" % (cells[1], want[1]))
                cells[1] = want[1]
            check(cells == want, "TLS columns: %r is not %r" % (row, want))
    check(tls_seen > 0 or len(captures) == 1, "TLS columns: no capture had TLS")
    check(tls_lines[0] > 0 or len(captures) == 1, "TLS lines: no capture had TLS")

    rc, out, _ = on_pty([cli, "-r", cap, "-q", "--events", "all"], 120)
    check(rc == 0 and out.split("\n")[0].split()[0] == "event", "--events: header %r" % out[:200])
    bad = subprocess.run([cli, "-r", cap, "-v", "-o", "json"], capture_output=True)
    check(bad.returncode == 2 and bad.stderr ==
          b"tcpshake: --columns, -v: they choose the table's columns (-o table)\n",
          "-v -o json: %d %r" % (bad.returncode, bad.stderr))
    # Into a pipe, --columns asks for the table laid out for COLUMNS.
    piped = subprocess.run([cli, "-r", cap, "-q", "--columns", "id,outcome"], capture_output=True,
                           env=dict(os.environ, COLUMNS="80"))
    check(piped.returncode == 0 and piped.stdout.decode().split("\n")[0].split() == ["id", "outcome"],
          "--columns into a pipe: %r" % piped.stdout[:200])
    bad = subprocess.run([cli, "-r", cap, "--columns", "id,rtt"], capture_output=True)
    check(bad.returncode == 2 and bad.stderr.startswith(
        b"tcpshake: --columns id,rtt: unknown column 'rtt' (columns: event, id, time,"),
        "--columns id,rtt: %d %r" % (bad.returncode, bad.stderr))

    # --by on a terminal: the library's rows laid out again to fit, the same rows and
    # figures as CSV's; the group shortened in the middle; --bucket keeps its column.
    for cap in captures:
        for by in (["--by", "server"], ["--by", "client", "--bucket", "1s"]):
            csv = subprocess.run([cli, "-r", cap, "-o", "csv", "-q"] + by, capture_output=True,
                                 check=True).stdout.decode().splitlines()
            groups = [line.split(",")[1] for line in csv[1:]]
            for width in (80, 250):
                what = "%s %s at %d columns" % (os.path.basename(cap), " ".join(by), width)
                rc, out, _ = on_pty([cli, "-r", cap, "-q"] + by, width)
                lines = out.rstrip("\n").split("\n")
                header, rows = lines[1], lines[2:-1]
                names = header.split()
                check(rc == 0 and lines[0].startswith("health by ") and
                      lines[-1].startswith("%d rows; " % len(groups)),
                      "%s: title and trailer %r" % (what, lines[:1] + lines[-1:]))
                check(names[:2] == (["bucket", "group"] if "--bucket" in by else ["group", "conns"])
                      and (width < 250 or len(names) == (23 if "--bucket" in by else 22)),
                      "%s: header %r" % (what, header))
                check(all(len(line) <= width for line in lines[1:]) or width == 250,
                      "%s: wider than the terminal" % what)
                check(len(rows) == len(groups), "%s: %d rows, CSV %d" % (what, len(rows), len(groups)))
                g = names.index("group")
                for row, group in zip(rows, groups):
                    bad = aligned(header, row)
                    check(bad is None, "%s: %s in %r (header %r)" % (what, bad, row, header))
                    cell = row.split()[g]
                    check(cell == group or ("\u2026" in cell and group.startswith(cell.split("\u2026")[0])
                                            and group.endswith(cell.split("\u2026")[1])),
                          "%s: group %r for %r" % (what, cell, group))

    # The probe's summary table (port 1 of the loopback: closed, at once): at 80 columns
    # without P90_MS and STDDEV_MS, at 85 without STDDEV_MS, at 200 with all.
    for width, want in ((80, ["MIN_MS", "MEDIAN_MS", "MAX_MS"]),
                        (85, ["MIN_MS", "MEDIAN_MS", "P90_MS", "MAX_MS"]),
                        (200, ["MIN_MS", "MEDIAN_MS", "P90_MS", "MAX_MS", "STDDEV_MS"])):
        rc, out, _ = on_pty([cli, "probe", "127.0.0.1", "-p", "1", "-c", "2", "-i", "10ms"], width)
        lines = out.split("\n")
        head = [line for line in lines if line.startswith("PORT   STATE")]
        check(rc == 1 and len(head) == 1 and head[0].split() ==
              ["PORT", "STATE", "ATTEMPTS", "OPEN", "LOSS%"] + want and
              all(len(line) <= width for line in lines),
              "probe at %d columns: %r" % (width, out[-400:]))

    print("table: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
