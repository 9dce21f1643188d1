#!/usr/bin/env python3
"""Hold the HTML report, as a browser rendered it, to the records of the same run.

usage: html_check.py DOM.html SHOT.png RECORDS.json SUMMARY.txt BY_SERVER.json

DOM.html is the page's DOM as Chromium dumped it (html_browser.py), SHOT.png
its screenshot, RECORDS.json the run's JSON records, SUMMARY.txt its summary
and BY_SERVER.json the `--by server -o json` rows of the same capture. Checks
the counts, percentiles, the slowest and failed connections, the health rows,
that the charts are there and that the screenshot is not blank. Prints one
line per failed check; exit 1 when any failed.
"""
import json
import re
import struct
import sys
import zlib
from html.parser import HTMLParser

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


class Page(HTMLParser):
    """Elements with attributes, their text, and the tags seen."""

    def __init__(self):
        super().__init__()
        self.elements = []  # [tag, attrs, text]
        self.open = []
        self.tags = {}

    def handle_starttag(self, tag, attrs):
        el = [tag, dict(attrs), ""]
        self.elements.append(el)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag not in ("br", "img", "meta", "link", "input", "line", "rect", "circle",
                       "polyline", "polygon"):
            self.open.append(el)

    def handle_startendtag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.elements.append([tag, dict(attrs), ""])

    def handle_endtag(self, tag):
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i][0] == tag:
                del self.open[i:]
                break

    def handle_data(self, data):
        for el in self.open:
            el[2] += data

    def find(self, **attrs):
        out = []
        for el in self.elements:
            if all(el[1].get(k.replace("_", "-")) == v if v is not None else
                   k.replace("_", "-") in el[1] for k, v in attrs.items()):
                out.append(el)
        return out


def png_pixels(path):
    """(width, height, rows of pixels as 3-byte strings) of an 8-bit RGB or RGBA PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    if depth != 8 or ctype not in (2, 6) or interlace != 0:
        raise ValueError("unsupported PNG: depth %d type %d" % (depth, ctype))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    lo7 = int.from_bytes(b"\x7f" * stride, "big")
    hi1 = int.from_bytes(b"\x80" * stride, "big")
    prev = bytes(stride)
    rows = []
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]
        if f == 2:
            # Up: every byte plus the one above, mod 256, as one big integer without
            # carries between bytes (the low 7 bits add, the top bit is an xor).
            a, b = int.from_bytes(line, "big"), int.from_bytes(prev, "big")
            line = (((a & lo7) + (b & lo7)) ^ ((a ^ b) & hi1)).to_bytes(stride, "big")
        elif f != 0:
            line = unfilter(f, bytearray(line), prev, bpp)
        rows.append([line[i:i + 3] for i in range(0, stride, bpp)])
        prev = bytes(line)
    return w, h, rows


def unfilter(f, line, prev, bpp):
    """PNG filters 1 (Sub), 3 (Average) and 4 (Paeth), byte by byte."""
    for x in range(len(line)):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]
        c = prev[x - bpp] if x >= bpp else 0
        if f == 1:
            line[x] = (line[x] + a) & 255
        elif f == 3:
            line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
            line[x] = (line[x] + pr) & 255
        else:
            raise ValueError("PNG filter %d" % f)
    return line


def ms(ns):
    """As the summary prints a duration: ms with 3 decimals, rounded to the us."""
    neg = ns < 0
    mag = -ns if neg else ns
    us = mag // 1000 + (1 if mag % 1000 >= 500 else 0)
    return "%s%d.%03d" % ("-" if neg else "", us // 1000, us % 1000)


def check_overview(page, records, summary):
    n = page.find(id="n-connections")
    check(n and int(n[0][1]["data-v"]) == len(records),
          "n-connections %s != %d records" % (n and n[0][1]["data-v"], len(records)))
    m = re.search(r"^connections (\d+)$", summary, re.M)
    check(m and n and m.group(1) == n[0][2].strip(), "connections shown != summary's")
    for el in page.find(data_outcome=None):
        name = el[1]["data-outcome"]
        want = sum(1 for r in records if r["outcome"] == name)
        check(int(el[1]["data-v"]) == want and el[2].strip() == str(want),
              "outcome %s: %s shown, %d records" % (name, el[2], want))
    check(len(page.find(data_outcome=None)) >= 10, "outcome table incomplete")
    cp = page.find(id="capture-point")
    m = re.search(r"^capture point: (.*)$", summary, re.M)
    check(cp and m and m.group(1) in cp[0][2], "capture point words differ from the summary's")


def check_latency(page, records, summary):
    names = {"server_side": "server side", "client_side": "client side",
             "handshake": "handshake"}
    for key, label in names.items():
        row = page.find(data_lat=key)
        check(len(row) == 1, "no latency row " + key)
        if not row:
            continue
        vals = [r[key + "_ns"] for r in records if r.get(key + "_ns") is not None]
        m = re.search(r"^  %s\s+(\d+) +(\S+) +(\S+) +(\S+) +(\S+) +(\S+)$" % label, summary,
                      re.M)
        check(m is not None, "summary has no %s line" % label)
        cells = {}
        # the cells of this row follow its <tr> in document order
        idx = page.elements.index(row[0])
        for el in page.elements[idx + 1:idx + 12]:
            if el[0] == "td" and "data-f" in el[1]:
                cells.setdefault(el[1]["data-f"], el)
        check(int(cells["count"][1]["data-v"]) == len(vals),
              "%s count %s != %d records" % (key, cells["count"][1]["data-v"], len(vals)))
        if m:
            for i, q in enumerate(("min", "p50", "p90", "p99", "max")):
                check(cells[q][2].strip() == m.group(i + 2),
                      "%s %s: page %s, summary %s" % (key, q, cells[q][2], m.group(i + 2)))
        if vals:
            check(int(cells["min"][1]["data-v"]) == min(vals), key + " min != records' min")
            check(int(cells["max"][1]["data-v"]) == max(vals), key + " max != records' max")


def check_connections(page, records):
    def rank(r):  # the handshake, else the server side (as the ladders rank)
        return r["handshake_ns"] if r.get("handshake_ns") is not None else r.get("server_side_ns")
    timed = [r for r in records if rank(r) is not None]
    slow = sorted(timed, key=lambda r: (-rank(r), r["id"]))[:10]
    shown = page.find(data_list="slowest")
    check([int(e[1]["data-id"]) for e in shown] == [r["id"] for r in slow],
          "slowest ids %s != records' %s" % ([e[1]["data-id"] for e in shown],
                                              [r["id"] for r in slow]))
    for e, r in zip(shown, slow):
        check(e[1].get("data-ladder") == "segments",
              "connection %d: not drawn segment by segment" % r["id"])
        for attr, key in (("data-server-side", "server_side_ns"),
                          ("data-client-side", "client_side_ns"),
                          ("data-handshake", "handshake_ns")):
            want = -1 if r.get(key) is None else r[key]
            check(int(e[1][attr]) == want, "connection %d %s %s != %s" %
                  (r["id"], attr, e[1][attr], want))
        # The ladder's bracket labels: text elements of class lb after this div, before the next.
        idx = page.elements.index(e)
        labels = []
        for el in page.elements[idx + 1:]:
            if "data-list" in el[1]:
                break
            if el[0] == "text" and el[1].get("class") == "lb":
                labels.append(el[2])
        text = " | ".join(labels)
        for side in ("server", "client"):
            v = r.get(side + "_side_ns")
            if v is not None:
                check("%s side %s ms" % (side, ms(v)) in text, "connection %d: no %s-side "
                      "bracket of %s ms in %r" % (r["id"], side, ms(v), text))
    failed_outcomes = ("refused", "unanswered", "icmp_rejected", "half_open",
                       "reset_in_handshake")
    failed = []  # per kind, in this order, the 4 lowest ids
    for kind in failed_outcomes:
        failed += sorted((r for r in records if r["outcome"] == kind), key=lambda r: r["id"])[:4]
    shown_failed = page.find(data_list="failed")
    got = [int(e[1]["data-id"]) for e in shown_failed]
    check(got == [r["id"] for r in failed],
          "failed ids %s != records' %s" % (got, [r["id"] for r in failed]))
    kinds = set()
    for e, r in zip(shown_failed, failed):
        check(e[1].get("data-ladder") == "segments",
              "failed connection %d: not drawn segment by segment" % r["id"])
        if check_failed_ladder(page, e, r):
            kinds.add(r["outcome"])
    for kind in ("refused", "unanswered"):
        check(any(r["outcome"] == kind for r in records) <= (kind in kinds),
              "no %s connection's ladder held to its record" % kind)
    ladders = [e for e in page.elements if e[0] == "svg" and e[1].get("class") == "ladder"]
    check(len(ladders) == len(shown) + len(got), "%d ladders for %d connections" %
          (len(ladders), len(shown) + len(got)))


def ladder_rows(page, div):
    """The rows (<g data-t>) of the ladder in a connection's div: [t, label, gap, text]."""
    rows = []
    for el in page.elements[page.elements.index(div) + 1:]:
        if "data-list" in el[1]:
            break
        if el[0] == "g" and "data-t" in el[1]:
            gap = el[1].get("data-gap")
            rows.append([int(el[1]["data-t"]), el[1]["data-label"],
                         None if gap is None else int(gap), el[2]])
    return rows


def check_failed_ladder(page, div, r):
    """A failed connection's ladder, segment by segment, against its record: the SYNs
    (first, last, retransmission gaps, shown and as row times), the SYN-ACKs, each
    side's RST and the ICMP error at the record's times. True when it held."""
    before = len(failures)
    rows = ladder_rows(page, div)
    what = "failed connection %d (%s)" % (r["id"], r["outcome"])
    for label, first, last, n, gaps in (("SYN", "syn_ns", "syn_last_ns", "n_syn", "syn_gaps_ns"),
                                        ("SYN-ACK", "synack_ns", "synack_last_ns", "n_synack",
                                         "synack_gaps_ns")):
        got = [row for row in rows if row[1] == label]
        check(len(got) == r[n], "%s: %d %s rows, record n %d" % (what, len(got), label, r[n]))
        if not got:
            continue
        check(got[0][0] == r[first] and got[-1][0] == r[last],
              "%s: %s rows from %d to %d, record %s .. %s" %
              (what, label, got[0][0], got[-1][0], r[first], r[last]))
        check([row[2] for row in got[1:]] == r[gaps],
              "%s: %s gaps %s, record %s" % (what, label, [row[2] for row in got[1:]], r[gaps]))
        check([b[0] - a[0] for a, b in zip(got, got[1:])] == r[gaps],
              "%s: %s row times apart by other than the record's gaps" % (what, label))
        for row in got[1:]:
            check(label + " retransmitted after" in row[3],
                  "%s: a retransmitted %s's row says %r" % (what, label, row[3]))
    for side in ("client", "server"):
        t = r[side]["rst_ns"]
        if t is not None:
            check(any("RST" in row[1] and row[0] == t for row in rows),
                  "%s: no RST row at the %s's rst_ns %d" % (what, side, t))
    if r["outcome"] == "refused":
        check(any("RST" in row[1] and "refuses the connection" in row[3] for row in rows),
              "%s: no RST row that refuses" % what)
    if r["outcome"] == "unanswered":
        check(rows and "no answer" in [row for row in rows if row[1] == "SYN"][-1][3],
              "%s: the last SYN does not say no answer" % what)
    if r["icmp_ns"] is not None:
        check(any(row[1].startswith("ICMP") and row[0] == r["icmp_ns"] for row in rows),
              "%s: no ICMP row at icmp_ns %d" % (what, r["icmp_ns"]))
    return len(failures) == before


def check_servers(page, rows):
    shown = page.find(data_server=None)
    check(len(shown) == min(len(rows), 100), "%d server rows, %d --by server rows" %
          (len(shown), len(rows)))
    by_group = {r["group"]: r for r in rows}
    for tr in shown:
        r = by_group.get(tr[1]["data-server"])
        check(r is not None, "server %s not in --by server" % tr[1]["data-server"])
        if r is None:
            continue
        idx = page.elements.index(tr)
        for el in page.elements[idx + 1:idx + 16]:
            if el[0] != "td" or "data-f" not in el[1]:
                continue
            f, v = el[1]["data-f"], el[1]["data-v"]
            want = r.get(f)
            if f.endswith("_pct"):
                check(abs(float(v) - float(want)) < 0.01, "%s %s %s != %s" % (r["group"], f, v, want))
            else:
                check(int(v) == (-1 if want is None else want),
                      "%s %s %s != %s" % (r["group"], f, v, want))


def check_charts(page, shot):
    check(page.tags.get("svg", 0) >= 5, "only %d SVG charts" % page.tags.get("svg", 0))
    n = page.find(id="n-sample")
    circles = page.tags.get("circle", 0)
    check(n and int(n[0][1]["data-v"]) == circles, "scatter: %d points drawn, %s said" %
          (circles, n and n[0][1]["data-v"]))
    check(page.tags.get("script", 0) <= 1, "more than one script")
    check(not page.find(src=None), "an element loads something (src=)")
    w, h, rows = png_pixels(shot)
    colours, ink = set(), 0
    for row in rows:
        colours.update(row)
        ink += len(row) - row.count(b"\xff\xff\xff")
    check((w, h) == (1280, 800), "screenshot %dx%d" % (w, h))
    check(len(colours) >= 30, "screenshot has %d colours: blank?" % len(colours))
    check(ink >= w * h // 50, "screenshot has %d non-white pixels: blank?" % ink)
    return len(colours), ink


def main():
    dom, shot, records, summary, by_server = sys.argv[1:6]
    page = Page()
    page.feed(open(dom, encoding="utf-8").read())
    recs = [json.loads(l) for l in open(records) if l.strip()]
    rows = [json.loads(l) for l in open(by_server) if l.strip()]
    rows = [r for r in rows if "group" in r]
    text = open(summary, encoding="utf-8").read()
    check_overview(page, recs, text)
    check_latency(page, recs, text)
    check_connections(page, recs)
    check_servers(page, rows)
    colours, ink = check_charts(page, shot)
    for f in failures:
        print("not ok - " + f)
    print("html_check: %d records, %d colours, %d non-white pixels, %d problems" %
          (len(recs), colours, ink, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
