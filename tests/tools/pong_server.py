"""The end-to-end tests' server: on PORT, IPv4 and IPv6, each connection gets
one read of up to 100 bytes and the reply "pong\n", then is closed. Touches
READY (when given) once listening; gives up after TIMEOUT seconds without a
new connection (default 30), so a test that dies cannot leave it behind.

usage: python3 pong_server.py PORT [READY [TIMEOUT]]
"""
import socket
import sys
import threading


def serve(c):
    with c:
        c.recv(100)
        c.sendall(b"pong\n")


def main():
    port = int(sys.argv[1])
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    s.listen(64)
    if len(sys.argv) > 2 and sys.argv[2]:
        open(sys.argv[2], "w").close()
    s.settimeout(float(sys.argv[3]) if len(sys.argv) > 3 else 30)
    while True:
        try:
            c, _ = s.accept()
        except OSError:
            break
        threading.Thread(target=serve, args=(c,), daemon=True).start()


main()
