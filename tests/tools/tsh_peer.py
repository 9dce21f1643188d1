#!/usr/bin/env python3
"""tsh_peer.py: real-socket TCP peers for tests/data/record.sh.

Every packet on the recorded captures comes from the Linux kernel's own TCP
stack; this script only drives ordinary sockets (connect, send, shutdown,
close, SO_LINGER, TCP_FASTOPEN, MSG_FASTOPEN) in the ways each scenario needs.

  serve  --spec PORT:MODE ...   one listener per spec, on 0.0.0.0 and [::]
  client --host H --port P --mode MODE [--bind-port N] [--count N]
  simopen --bind H:P --peer H:P --at EPOCH --role a|b

Server modes: respond (answer each request, close after the client's FIN),
close_first (answer once, then close: server FIN first), rst (answer once,
then abortive close: RST), halfclose (read to EOF, then answer twice and
close), tfo (respond, with TCP_FASTOPEN on the listener), listen (never
accept; the handshake is the kernel's).

Client modes: close_first, wait_close, rst, halfclose, fail (the connect
must fail), tfo, abort_syn (non-blocking connect, close at once), hold_rst
(connect, wait, abortive close), multi (three request/response rounds).

Exit status: 0 when the scenario went as planned, 1 otherwise (one line on
stderr says what happened).
"""
import argparse
import errno
import socket
import struct
import sys
import threading
import time

REQ = b"GET /tcpshake HTTP/1.0\r\n\r\n"
RESP = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"
TIMEOUT_S = 15.0


def log(msg):
    print("tsh_peer: " + msg, file=sys.stderr, flush=True)


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def linger0(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def read_to_eof(s):
    """Returns (bytes, reset): everything until EOF, or until a RST."""
    data = b""
    while True:
        try:
            b = s.recv(4096)
        except ConnectionResetError:
            return data, True
        if not b:
            return data, False
        data += b


# ---------------------------------------------------------------- server

def serve_conn(conn, mode):
    conn.settimeout(TIMEOUT_S)
    try:
        if mode in ("respond", "tfo"):
            while True:
                b = conn.recv(4096)
                if not b:
                    break
                conn.sendall(RESP)
        elif mode == "close_first":
            conn.recv(4096)
            conn.sendall(RESP)
        elif mode == "rst":
            conn.recv(4096)
            conn.sendall(RESP)
            time.sleep(0.3)  # let the response be acknowledged before the RST
            linger0(conn)
        elif mode == "halfclose":
            read_to_eof(conn)
            conn.sendall(RESP)
            time.sleep(0.1)
            conn.sendall(RESP)
    except OSError as e:
        log("server %s: %s" % (mode, e))
    finally:
        conn.close()


def serve_listener(ls, mode):
    while True:
        try:
            conn, _ = ls.accept()
        except OSError:
            return
        threading.Thread(target=serve_conn, args=(conn, mode), daemon=True).start()


def listener(fam, port, mode):
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    if mode == "tfo":
        ls.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)
    ls.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", port))
    ls.listen(16)
    return ls


def cmd_serve(args):
    threads = []
    keep = []
    for spec in args.spec:
        port_s, mode = spec.split(":", 1)
        for fam in (socket.AF_INET, socket.AF_INET6):
            ls = listener(fam, int(port_s), mode)
            keep.append(ls)
            if mode != "listen":
                t = threading.Thread(target=serve_listener, args=(ls, mode), daemon=True)
                t.start()
                threads.append(t)
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    return 0


# ---------------------------------------------------------------- client

def new_client_socket(host, bind_port):
    s = socket.socket(family_of(host), socket.SOCK_STREAM)
    if bind_port:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("", bind_port))
    s.settimeout(TIMEOUT_S)
    return s


def client_once(host, port, mode, bind_port):
    addr = (host, port)
    s = new_client_socket(host, bind_port)
    try:
        if mode == "fail":
            try:
                s.connect(addr)
            except OSError as e:
                log("%s:%d failed as planned: %s" % (host, port, errno.errorcode.get(e.errno, e)))
                return 0
            log("%s:%d: connect succeeded, expected failure" % (host, port))
            return 1
        if mode == "abort_syn":
            s.setblocking(False)
            s.connect_ex(addr)
            return 0  # close() in SYN-SENT sends nothing; the SYN-ACK will meet a RST
        if mode == "tfo":
            s.setblocking(True)  # sendto(MSG_FASTOPEN) then waits for the handshake
            s.sendto(REQ, socket.MSG_FASTOPEN, addr)
            s.settimeout(TIMEOUT_S)
            resp = s.recv(4096)
            return 0 if resp else 1
        s.connect(addr)
        if mode == "hold_rst":
            time.sleep(0.5)
            linger0(s)
            return 0
        rounds = 3 if mode == "multi" else 1
        for i in range(rounds):
            s.sendall(REQ)
            if mode == "halfclose":
                s.shutdown(socket.SHUT_WR)
                data, _ = read_to_eof(s)
                return 0 if data else 1
            if not s.recv(4096):
                log("%s:%d: no response" % (host, port))
                return 1
            if i + 1 < rounds:
                time.sleep(0.1)
        if mode == "wait_close":
            _, reset = read_to_eof(s)
            log("%s:%d: server %s" % (host, port, "reset" if reset else "closed"))
        elif mode == "rst":
            linger0(s)
        return 0
    except OSError as e:
        log("%s:%d %s: %s" % (host, port, mode, e))
        return 1
    finally:
        s.close()


def cmd_client(args):
    rc = 0
    for i in range(args.count):
        if i:
            time.sleep(args.gap)
        rc |= client_once(args.host, args.port, args.mode, args.bind_port)
    return rc


def cmd_simopen(args):
    bh, bp = args.bind.rsplit(":", 1)
    ph, pp = args.peer.rsplit(":", 1)
    s = socket.socket(family_of(ph), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((bh, int(bp)))
    s.settimeout(TIMEOUT_S)
    delay = args.at - time.time()
    if delay > 0:
        time.sleep(delay)
    try:
        s.connect((ph, int(pp)))
        if args.role == "a":
            s.sendall(REQ)
            s.recv(4096)
        else:
            s.recv(4096)
            s.sendall(RESP)
            read_to_eof(s)
    except OSError as e:
        log("simopen %s: %s" % (args.role, e))
        return 1
    finally:
        s.close()
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("serve")
    p.add_argument("--spec", action="append", required=True)
    p = sub.add_parser("client")
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--mode", required=True)
    p.add_argument("--bind-port", type=int, default=0)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--gap", type=float, default=0.3)
    p = sub.add_parser("simopen")
    p.add_argument("--bind", required=True)
    p.add_argument("--peer", required=True)
    p.add_argument("--at", type=float, required=True)
    p.add_argument("--role", choices=("a", "b"), required=True)
    args = ap.parse_args()
    return {"serve": cmd_serve, "client": cmd_client, "simopen": cmd_simopen}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
