#!/usr/bin/env python3
"""Open an HTML report in headless Chromium, offline, and say what happened.

usage: html_browser.py CHROMIUM REPORT.html OUT_DIR [--no-js] [--sort-check]

Chromium is driven over --remote-debugging-pipe (the DevTools protocol on
file descriptors 3 and 4, messages ending in NUL), standard library only:
the network is emulated offline and host names resolve nowhere, every
request, console message, exception and log entry is recorded, the page's
DOM is written to OUT_DIR/dom.html and a 1280x800 screenshot to
OUT_DIR/shot.png; then, under the print media type, a screenshot to
OUT_DIR/print.png and the page printed to OUT_DIR/print.pdf. Prints one
JSON object: requests (other than the page itself), errors, the printed
PDF's pages (pdf_pages), and with --sort-check whether clicking a column heading
sorted the health table. Exit 0 when the page loaded, 1 otherwise.
"""
import base64
import json
import os
import re
import select
import subprocess
import sys
import tempfile
import time


class Browser:
    def __init__(self, chromium, profile, no_js):
        args = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                "--user-data-dir=" + profile, "--remote-debugging-pipe",
                "--no-first-run", "--no-default-browser-check",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                "--window-size=1280,800"]
        if no_js:
            args.append("--blink-settings=scriptEnabled=false")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def fds():
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.proc = subprocess.Popen(args + ["about:blank"], pass_fds=(3, 4), preexec_fn=fds,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        return self.next_id

    def read_one(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.from_chrome], [], [], left)[0]:
                raise TimeoutError("no answer from chromium")
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                raise EOFError("chromium closed the pipe")
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session=None, timeout=30):
        want = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            msg = self.read_one(deadline)
            if msg.get("id") == want:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            self.events.append(msg)

    def wait_event(self, method, timeout=30):
        deadline = time.monotonic() + timeout
        for i, msg in enumerate(self.events):
            if msg.get("method") == method:
                return msg
        while True:
            msg = self.read_one(deadline)
            self.events.append(msg)
            if msg.get("method") == method:
                return msg

    def drain(self, seconds):
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.events.append(self.read_one(deadline))
        except TimeoutError:
            pass

    def close(self):
        try:
            self.send("Browser.close")
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()


def problems(events, page_url):
    requests, errors = [], []
    for msg in events:
        m, p = msg.get("method"), msg.get("params", {})
        if m == "Network.requestWillBeSent":
            url = p["request"]["url"]
            if url != page_url:
                requests.append(url)
        elif m == "Runtime.exceptionThrown":
            errors.append("exception: " + json.dumps(p["exceptionDetails"])[:300])
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
            errors.append("console.%s: %s" % (p["type"], json.dumps(p.get("args"))[:300]))
        elif m == "Log.entryAdded" and p["entry"].get("level") in ("error", "warning"):
            errors.append("log: " + p["entry"].get("text", "")[:300])
    return requests, errors


SORT_CHECK = """(function(){
  var t=document.getElementById('health'); if(!t) return 'no table';
  var th=t.querySelectorAll('th.s')[1];
  function col(){return Array.prototype.map.call(t.tBodies[0].rows,
      function(r){return Number(r.cells[1].dataset.v);});}
  th.click(); var a=col(); th.click(); var d=col();
  for (var i=1;i<a.length;i++){ if(a[i-1]<a[i]) return 'not descending: '+a; }
  for (var i=1;i<d.length;i++){ if(d[i-1]>d[i]) return 'not ascending: '+d; }
  return 'sorted';
})()"""


def main():
    chromium, report, out_dir = sys.argv[1:4]
    no_js = "--no-js" in sys.argv[4:]
    sort_check = "--sort-check" in sys.argv[4:]
    url = "file://" + os.path.abspath(report)
    profile = tempfile.mkdtemp(prefix="tcpshake-chromium-")
    b = Browser(chromium, profile, no_js)
    result = {"loaded": False}
    try:
        target = b.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = b.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for dom in ("Page", "Network", "Runtime", "Log", "DOM"):
            b.call(dom + ".enable", session=s)
        b.call("Network.emulateNetworkConditions", {"offline": True, "latency": 0,
               "downloadThroughput": 0, "uploadThroughput": 0}, session=s)
        b.call("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 800,
               "deviceScaleFactor": 1, "mobile": False}, session=s)
        b.events.clear()
        b.call("Page.navigate", {"url": url}, session=s)
        b.wait_event("Page.loadEventFired", timeout=60)
        b.drain(0.5)
        result["loaded"] = True
        root = b.call("DOM.getDocument", {"depth": 0}, session=s)["root"]["nodeId"]
        html = b.call("DOM.getOuterHTML", {"nodeId": root}, session=s)["outerHTML"]
        with open(os.path.join(out_dir, "dom.html"), "w", encoding="utf-8") as f:
            f.write(html)
        shot = b.call("Page.captureScreenshot", {"format": "png", "optimizeForSpeed": True},
                      session=s)["data"]
        with open(os.path.join(out_dir, "shot.png"), "wb") as f:
            f.write(base64.b64decode(shot))
        if sort_check:
            r = b.call("Runtime.evaluate", {"expression": SORT_CHECK, "returnByValue": True},
                       session=s)
            result["sort"] = r.get("result", {}).get("value")
        # Printed: the page under its print styles (a screenshot), and as a PDF.
        b.call("Emulation.setEmulatedMedia", {"media": "print"}, session=s)
        shot = b.call("Page.captureScreenshot", {"format": "png"}, session=s)["data"]
        with open(os.path.join(out_dir, "print.png"), "wb") as f:
            f.write(base64.b64decode(shot))
        pdf = base64.b64decode(b.call("Page.printToPDF", {"printBackground": True},
                                      session=s, timeout=60)["data"])
        with open(os.path.join(out_dir, "print.pdf"), "wb") as f:
            f.write(pdf)
        result["pdf_pages"] = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        b.drain(0.2)
        result["requests"], result["errors"] = problems(b.events, url)
    finally:
        b.close()
        subprocess.run(["rm", "-rf", profile])
    print(json.dumps(result))
    return 0 if result["loaded"] else 1


if __name__ == "__main__":
    sys.exit(main())
