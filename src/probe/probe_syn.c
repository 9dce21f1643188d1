/*
 * probe_syn.c - the prober's SYN mode: half-open probing on raw sockets, as
 * nmap -sS and hping3 -S do. Needs root or CAP_NET_RAW.
 *
 * For each attempt we craft a SYN with a random source port (32768..60999)
 * and a random ISN, carrying an MSS option like an ordinary stack's SYN, and
 * send it on a raw TCP socket (the kernel adds the IP header). Answers are
 * read from the same raw socket (Linux hands raw sockets a copy of every
 * incoming TCP segment) and from a raw ICMP or ICMPv6 socket:
 *   SYN-ACK acking ISN + 1            open; we send a RST (seq = ISN + 1) so
 *                                     the server drops its half-open entry.
 *                                     Our kernel owns no socket for that port
 *                                     and normally sends a RST of its own too.
 *   RST acking ISN + 1                closed
 *   ICMP destination unreachable or   unreachable, with the type and code;
 *   time exceeded quoting our SYN     matched on ports and the quoted seq
 *   nothing within the timeout        filtered (probe.c)
 * The latency is SYN sent to answer read: the wire and the server's kernel,
 * without the connect() path of our own stack.
 *
 * TCP header (RFC 9293 3.1), as written and read here:
 *    0                   1                   2                   3
 *   |          Source Port          |       Destination Port        |
 *   |                        Sequence Number                        |
 *   |                    Acknowledgment Number                      |
 *   | Offset|  Rsvd |     Flags     |            Window             |
 *   |           Checksum            |         Urgent Pointer        |
 *   |  kind 2 (MSS) |   length 4    |          MSS value            |
 * The checksum covers a pseudo-header: IPv4 (RFC 9293 3.1) source,
 * destination, zero, protocol 6, TCP length; IPv6 (RFC 8200 8.1) source,
 * destination, 32-bit length, three zero bytes, next header 6.
 *
 * Every received byte is hostile: parsing goes through wire.h only.
 */
#include "probe.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wire.h"

#define TCP_FIN             0x01
#define TCP_SYN             0x02
#define TCP_RST             0x04
#define TCP_ACK             0x10
#define PROTO_ICMP          1
#define PROTO_TCP           6
#define ICMP_UNREACH        3 /* RFC 792 */
#define ICMP_TIME_EXCEEDED  11
#define ICMP6_UNREACH       1 /* RFC 4443 */
#define ICMP6_TIME_EXCEEDED 3
#define SYN_LEN             24 /* header with the MSS option */
#define RST_LEN             20
#define MAX_READS           256 /* packets read per wakeup per socket, for fairness */

/* An answer as parsed from a TCP segment or an ICMP quote. */
struct seen {
    uint16_t sport; /* the probed port (TCP answer) */
    uint16_t dport; /* our source port */
    uint32_t seq, ack;
    uint8_t flags;
};

/* ------------------------------------------------------------- building */

static void put16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

static void put32(uint8_t *b, uint32_t v)
{
    put16(b, (uint16_t)(v >> 16));
    put16(b + 2, (uint16_t)v);
}

static uint32_t sum16(const uint8_t *b, size_t len, uint32_t sum)
{
    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += ((uint32_t)b[i] << 8) | (uint32_t)b[i + 1];
    }
    if (len % 2 == 1) {
        sum += (uint32_t)b[len - 1] << 8;
    }
    return sum;
}

static const uint8_t *addr_bytes(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        return (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
    }
    return (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
}

/* Fill in the checksum of the TCP segment seg (checksum field zero on entry). */
static void tcp_checksum(const struct tcpshake_probe *p, uint8_t *seg, size_t len)
{
    size_t alen = p->ip_version == 4 ? 4 : 16;
    uint32_t sum = sum16(addr_bytes(&p->src), alen, 0);
    sum = sum16(addr_bytes(&p->dst), alen, sum);
    sum += PROTO_TCP + (uint32_t)len; /* both pseudo-headers sum to the same */
    sum = sum16(seg, len, sum);
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    put16(seg + 16, (uint16_t)~sum);
}

static size_t build_segment(const struct tcpshake_probe *p, uint8_t *seg, uint16_t sport,
                            uint16_t dport, uint32_t seq, uint8_t flags)
{
    size_t len = flags == TCP_SYN ? SYN_LEN : RST_LEN;
    memset(seg, 0, len);
    put16(seg, sport);
    put16(seg + 2, dport);
    put32(seg + 4, seq);
    seg[12] = (uint8_t)((len / 4) << 4);
    seg[13] = flags;
    if (flags == TCP_SYN) {
        put16(seg + 14, 64240);
        seg[20] = 2; /* MSS */
        seg[21] = 4;
        put16(seg + 22, 1460);
    }
    tcp_checksum(p, seg, len);
    return len;
}

static int send_segment(const struct tcpshake_probe *p, const uint8_t *seg, size_t len)
{
    /* A raw socket takes no port: sin_port / sin6_port must be 0 (or the protocol). */
    ssize_t n = sendto(p->raw_tcp, seg, len, 0, (const struct sockaddr *)&p->dst, p->dst_len);
    return n == (ssize_t)len ? 0 : errno != 0 ? errno : EIO;
}

/* ---------------------------------------------------------------- opening */

/* Our address towards dst, as the kernel would choose it: connect a UDP socket. */
static int find_source(struct tcpshake_probe *p)
{
    int fd = socket(p->dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return probe_fail(p, TCPSHAKE_ERR_SOCKET, "socket: %s", strerror(errno));
    }
    struct sockaddr_storage to = p->dst;
    if (to.ss_family == AF_INET) {
        ((struct sockaddr_in *)&to)->sin_port = htons(9);
    } else {
        ((struct sockaddr_in6 *)&to)->sin6_port = htons(9);
    }
    socklen_t len = sizeof(p->src);
    int rc = connect(fd, (const struct sockaddr *)&to, p->dst_len);
    if (rc == 0) {
        rc = getsockname(fd, (struct sockaddr *)&p->src, &len);
    }
    int err = errno;
    close(fd);
    if (rc != 0) {
        return probe_fail(p, TCPSHAKE_ERR_SOCKET, "%s: no route: %s", p->host, strerror(err));
    }
    return TCPSHAKE_OK;
}

int probe_syn_open(struct tcpshake_probe *p)
{
    int family = p->dst.ss_family;
    int icmp_proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
    p->raw_tcp = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (p->raw_tcp >= 0) {
        p->raw_icmp = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, icmp_proto);
    }
    if (p->raw_tcp < 0 || p->raw_icmp < 0) {
        int err = errno;
        if (err == EPERM || err == EACCES) {
            return probe_fail(p, TCPSHAKE_ERR_PERM, "needs root or CAP_NET_RAW");
        }
        return probe_fail(p, TCPSHAKE_ERR_SOCKET, "raw socket: %s", strerror(err));
    }
    /* Make sure the dst port field is 0: the kernel would read it as a protocol. */
    if (family == AF_INET) {
        ((struct sockaddr_in *)&p->dst)->sin_port = 0;
    } else {
        ((struct sockaddr_in6 *)&p->dst)->sin6_port = 0;
    }
    return find_source(p);
}

int probe_syn_start(struct tcpshake_probe *p, struct probe_slot *s)
{
    uint8_t seg[SYN_LEN];
    uint64_t r = probe_random(p);
    s->sport = (uint16_t)(32768 + (r >> 32) % 28232);
    s->isn = (uint32_t)r;
    size_t len = build_segment(p, seg, s->sport, p->ports[s->port_idx], s->isn, TCP_SYN);
    s->sent_wall_ns = probe_wall_ns();
    s->start_ns = probe_mono_ns();
    s->deadline_ns = s->start_ns + p->cfg.timeout_ns;
    int err = send_segment(p, seg, len);
    if (err != 0) {
        /* EPERM / EACCES: a local firewall; ENETUNREACH, EHOSTUNREACH: no route. */
        struct probe_answer a = { TCPSHAKE_PROBE_UNREACHABLE, false, false, 0, 0, err };
        probe_finish(p, s, &a, probe_mono_ns());
    }
    return TCPSHAKE_OK;
}

size_t probe_syn_fill(struct tcpshake_probe *p, struct pollfd *pfds)
{
    pfds[0].fd = p->raw_tcp;
    pfds[1].fd = p->raw_icmp;
    pfds[0].events = pfds[1].events = POLLIN;
    pfds[0].revents = pfds[1].revents = 0;
    return 2;
}

/* ---------------------------------------------------------------- reading */

/* The IPv4 header at w (RFC 791): checks it, leaves w on its payload trimmed to the
 * total length. False for anything but an unfragmented (or first fragment) packet of
 * protocol proto. src and dst receive the addresses. */
static bool read_ipv4(struct wire *w, uint8_t proto, uint8_t src[4], uint8_t dst[4])
{
    struct wire h = *w;
    uint8_t vihl = wire_u8(&h);
    size_t ihl = (size_t)(vihl & 0x0f) * 4;
    wire_skip(&h, 1);
    size_t total = wire_be16(&h);
    wire_skip(&h, 2);
    uint16_t frag = wire_be16(&h);
    wire_skip(&h, 1);
    uint8_t got_proto = wire_u8(&h);
    wire_skip(&h, 2);
    wire_copy(&h, src, 4);
    wire_copy(&h, dst, 4);
    if (h.bad || vihl >> 4 != 4 || ihl < 20 || got_proto != proto || (frag & 0x1fff) != 0) {
        return false;
    }
    /* An ICMP quote may be cut short: trim to the total length only when it fits. */
    if (total >= ihl) {
        wire_trim(w, total);
    }
    wire_skip(w, ihl);
    return !w->bad;
}

/* The first 14 bytes of a TCP header: ports, seq, ack, flags (an ICMP quote has 8). */
static bool read_tcp(struct wire *w, struct seen *t, bool quoted)
{
    t->sport = wire_be16(w);
    t->dport = wire_be16(w);
    t->seq = wire_be32(w);
    if (quoted) {
        return !w->bad;
    }
    t->ack = wire_be32(w);
    wire_skip(w, 1);
    t->flags = wire_u8(w);
    return !w->bad;
}

/* The slot whose SYN went to port `probed` from our port `ours`. */
static struct probe_slot *find_slot(struct tcpshake_probe *p, uint16_t probed, uint16_t ours)
{
    for (uint32_t i = 0; i < p->cfg.parallel; i++) {
        struct probe_slot *s = &p->slots[i];
        if (s->busy && s->sport == ours && p->ports[s->port_idx] == probed) {
            return s;
        }
    }
    return NULL;
}

static void on_tcp_answer(struct tcpshake_probe *p, const struct seen *t, uint64_t now_ns)
{
    struct probe_slot *s = find_slot(p, t->sport, t->dport);
    /* RFC 9293 3.10.7.3: an answer to our SYN must acknowledge ISN + 1. */
    if (s == NULL || (t->flags & TCP_ACK) == 0 || t->ack != s->isn + 1) {
        return;
    }
    struct probe_answer a = { TCPSHAKE_PROBE_CLOSED, true, false, 0, 0, ECONNREFUSED };
    if ((t->flags & TCP_RST) == 0) {
        if ((t->flags & TCP_SYN) == 0) {
            return;
        }
        a.state = TCPSHAKE_PROBE_OPEN;
        a.error = 0;
        uint8_t rst[RST_LEN];
        size_t len = build_segment(p, rst, s->sport, t->sport, s->isn + 1, TCP_RST);
        (void)send_segment(p, rst, len);
    }
    probe_finish(p, s, &a, now_ns);
}

static void on_icmp_answer(struct tcpshake_probe *p, uint8_t type, uint8_t code,
                           const struct seen *q, uint64_t now_ns)
{
    /* In a quote of our SYN, the source port is ours and the destination the probed one. */
    struct probe_slot *s = find_slot(p, q->dport, q->sport);
    if (s == NULL || q->seq != s->isn) {
        return;
    }
    /* No errno in this mode: the ICMP type and code say what connect() would have. */
    struct probe_answer a = { TCPSHAKE_PROBE_UNREACHABLE, true, true, type, code, 0 };
    probe_finish(p, s, &a, now_ns);
}

static void parse_tcp4(struct tcpshake_probe *p, const uint8_t *buf, size_t len, uint64_t now_ns)
{
    struct wire w = wire_init(buf, len);
    uint8_t src[4], dst[4];
    struct seen t;
    if (read_ipv4(&w, PROTO_TCP, src, dst) && memcmp(src, p->addr, 4) == 0 &&
        read_tcp(&w, &t, false)) {
        on_tcp_answer(p, &t, now_ns);
    }
}

static void parse_icmp4(struct tcpshake_probe *p, const uint8_t *buf, size_t len, uint64_t now_ns)
{
    struct wire w = wire_init(buf, len);
    uint8_t src[4], dst[4];
    if (!read_ipv4(&w, PROTO_ICMP, src, dst)) {
        return;
    }
    uint8_t type = wire_u8(&w);
    uint8_t code = wire_u8(&w);
    wire_skip(&w, 6); /* checksum, unused / next-hop MTU */
    if (w.bad || (type != ICMP_UNREACH && type != ICMP_TIME_EXCEEDED)) {
        return;
    }
    struct seen q;
    if (read_ipv4(&w, PROTO_TCP, src, dst) && memcmp(dst, p->addr, 4) == 0 &&
        read_tcp(&w, &q, true)) {
        on_icmp_answer(p, type, code, &q, now_ns);
    }
}

/* IPv6 raw sockets deliver the payload without the IPv6 header. */
static void parse_tcp6(struct tcpshake_probe *p, const uint8_t *buf, size_t len,
                       const struct sockaddr_in6 *from, uint64_t now_ns)
{
    struct wire w = wire_init(buf, len);
    struct seen t;
    if (memcmp(&from->sin6_addr, p->addr, 16) == 0 && read_tcp(&w, &t, false)) {
        on_tcp_answer(p, &t, now_ns);
    }
}

static void parse_icmp6(struct tcpshake_probe *p, const uint8_t *buf, size_t len, uint64_t now_ns)
{
    struct wire w = wire_init(buf, len);
    uint8_t type = wire_u8(&w);
    uint8_t code = wire_u8(&w);
    wire_skip(&w, 6); /* checksum, unused */
    if (w.bad || (type != ICMP6_UNREACH && type != ICMP6_TIME_EXCEEDED)) {
        return;
    }
    /* The quoted IPv6 header (RFC 8200 3): our SYN carries no extension headers. */
    uint8_t version = wire_u8(&w);
    wire_skip(&w, 5);
    uint8_t next = wire_u8(&w);
    wire_skip(&w, 1 + 16);
    uint8_t dst[16];
    wire_copy(&w, dst, 16);
    struct seen q;
    if (!w.bad && version >> 4 == 6 && next == PROTO_TCP && memcmp(dst, p->addr, 16) == 0 &&
        read_tcp(&w, &q, true)) {
        on_icmp_answer(p, type, code, &q, now_ns);
    }
}

static void drain(struct tcpshake_probe *p, int fd, bool icmp, uint64_t now_ns)
{
    uint8_t buf[2048];
    for (int i = 0; i < MAX_READS; i++) {
        struct sockaddr_in6 from;
        socklen_t from_len = sizeof(from);
        memset(&from, 0, sizeof(from));
        ssize_t n =
                recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &from_len);
        if (n < 0) {
            return; /* EAGAIN: drained; anything else: the next poll() says again */
        }
        size_t len = (size_t)n;
        if (p->ip_version == 4) {
            if (icmp) {
                parse_icmp4(p, buf, len, now_ns);
            } else {
                parse_tcp4(p, buf, len, now_ns);
            }
        } else if (icmp) {
            parse_icmp6(p, buf, len, now_ns);
        } else if (from.sin6_family == AF_INET6) {
            parse_tcp6(p, buf, len, &from, now_ns);
        }
    }
}

void probe_syn_collect(struct tcpshake_probe *p, const struct pollfd *pfds, size_t n)
{
    uint64_t now_ns = probe_mono_ns();
    if (n >= 1 && pfds[0].revents != 0) {
        drain(p, p->raw_tcp, false, now_ns);
    }
    if (n >= 2 && pfds[1].revents != 0) {
        drain(p, p->raw_icmp, true, now_ns);
    }
}
