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
 * TCP header (RFC 9293 3.1), as written here:
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
 * Answers are read by the project's decoder (decode_packet on the raw IP
 * packet, src/decode/), as a captured packet would be: probe_syn_reply turns
 * its view into what the answer means. An IPv6 raw socket hands over the
 * payload without the IPv6 header; drain writes one in front of it, from the
 * sender's address, so both families take the same path.
 */
#include "probe.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "decode.h"

#define PROTO_TCP           6
#define PROTO_ICMPV6        58
#define ICMP_UNREACH        3 /* RFC 792 */
#define ICMP_TIME_EXCEEDED  11
#define ICMP6_UNREACH       1 /* RFC 4443 */
#define ICMP6_TIME_EXCEEDED 3
#define SYN_LEN             24 /* header with the MSS option */
#define RST_LEN             20
#define IP6_HDR             40  /* RFC 8200 3 */
#define MAX_READS           256 /* packets read per wakeup per socket, for fairness */

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

static int syn_open(struct tcpshake_probe *p)
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

static int syn_start(struct tcpshake_probe *p, struct probe_slot *s)
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

static size_t syn_fill(struct tcpshake_probe *p, struct pollfd *pfds)
{
    pfds[0].fd = p->raw_tcp;
    pfds[1].fd = p->raw_icmp;
    pfds[0].events = pfds[1].events = POLLIN;
    pfds[0].revents = pfds[1].revents = 0;
    return 2;
}

/* ---------------------------------------------------------------- reading */

static size_t addr_len(uint8_t ip_version)
{
    return ip_version == 4 ? 4 : 16;
}

/* A segment from the target acknowledging a SYN: SYN-ACK (open) or RST (closed). */
static bool tcp_reply(const struct tcp_view *t, const uint8_t target[16], struct syn_reply *r)
{
    /* RFC 9293 3.10.7.3: an answer to our SYN must acknowledge ISN + 1. */
    if (memcmp(t->tuple.src, target, addr_len(t->tuple.ip_version)) != 0 ||
        (t->flags & TCP_ACK) == 0) {
        return false;
    }
    if ((t->flags & TCP_RST) != 0) {
        r->a = (struct probe_answer){ TCPSHAKE_PROBE_CLOSED, true, false, 0, 0, ECONNREFUSED };
    } else if ((t->flags & TCP_SYN) != 0) {
        r->a = (struct probe_answer){ TCPSHAKE_PROBE_OPEN, true, false, 0, 0, 0 };
        r->send_rst = true;
    } else {
        return false;
    }
    r->probed = t->tuple.sport;
    r->ours = t->tuple.dport;
    r->isn = t->ack - 1;
    return true;
}

/* Destination unreachable or time exceeded, quoting a segment we sent to the target. */
static bool icmp_reply(const struct icmp_view *v, const uint8_t target[16], struct syn_reply *r)
{
    bool wanted = v->ip_version == 4 ? v->type == ICMP_UNREACH || v->type == ICMP_TIME_EXCEEDED
                                     : v->type == ICMP6_UNREACH || v->type == ICMP6_TIME_EXCEEDED;
    if (!wanted || memcmp(v->quoted.dst, target, addr_len(v->quoted.ip_version)) != 0) {
        return false;
    }
    /* In a quote of our SYN, the source port is ours and the destination the probed one.
     * No errno in this mode: the ICMP type and code say what connect() would have. */
    r->probed = v->quoted.dport;
    r->ours = v->quoted.sport;
    r->isn = v->quoted_seq;
    r->a = (struct probe_answer){ TCPSHAKE_PROBE_UNREACHABLE, true, true, v->type, v->code, 0 };
    return true;
}

bool probe_syn_reply(const uint8_t *pkt, size_t len, const uint8_t target[16], struct syn_reply *r)
{
    struct packet_view pv;
    if (decode_packet(LINK_RAW, pkt, len, len, &pv) != DECODE_OK) {
        return false;
    }
    memset(r, 0, sizeof(*r));
    if (pv.kind == PACKET_TCP) {
        return tcp_reply(&pv.u.tcp, target, r);
    }
    return icmp_reply(&pv.u.icmp, target, r);
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

static void on_packet(struct tcpshake_probe *p, const uint8_t *pkt, size_t len, uint64_t now_ns)
{
    struct syn_reply r;
    if (!probe_syn_reply(pkt, len, p->addr, &r)) {
        return;
    }
    struct probe_slot *s = find_slot(p, r.probed, r.ours);
    if (s == NULL || r.isn != s->isn) {
        return;
    }
    if (r.send_rst) {
        uint8_t rst[RST_LEN];
        size_t rst_len = build_segment(p, rst, s->sport, r.probed, s->isn + 1, TCP_RST);
        (void)send_segment(p, rst, rst_len);
    }
    probe_finish(p, s, &r.a, now_ns);
}

/*
 * The IPv6 header (RFC 8200 3) a raw IPv6 socket leaves out, in front of the
 * len bytes of payload: from the sender, to our address.
 */
static void put_ip6_header(const struct tcpshake_probe *p, uint8_t *h, size_t len, uint8_t nh,
                           const struct sockaddr_in6 *from)
{
    memset(h, 0, IP6_HDR);
    h[0] = 0x60;
    put16(h + 4, (uint16_t)len);
    h[6] = nh;
    h[7] = 64;
    memcpy(h + 8, &from->sin6_addr, 16);
    memcpy(h + 24, addr_bytes(&p->src), 16);
}

static void drain(struct tcpshake_probe *p, int fd, bool icmp, uint64_t now_ns)
{
    uint8_t buf[IP6_HDR + 2048];
    /* IPv4 raw sockets deliver the IP header; IPv6 ones only the payload. */
    size_t at = p->ip_version == 4 ? 0 : IP6_HDR;
    for (int i = 0; i < MAX_READS; i++) {
        struct sockaddr_in6 from;
        socklen_t from_len = sizeof(from);
        memset(&from, 0, sizeof(from));
        ssize_t n = recvfrom(fd, buf + at, sizeof(buf) - IP6_HDR, MSG_DONTWAIT,
                             (struct sockaddr *)&from, &from_len);
        if (n < 0) {
            return; /* EAGAIN: drained; anything else: the next poll() says again */
        }
        if (at != 0) {
            put_ip6_header(p, buf, (size_t)n, icmp ? PROTO_ICMPV6 : PROTO_TCP, &from);
        }
        on_packet(p, buf, at + (size_t)n, now_ns);
    }
}

static void syn_collect(struct tcpshake_probe *p, const struct pollfd *pfds, size_t n)
{
    uint64_t now_ns = probe_mono_ns();
    if (n >= 1 && pfds[0].revents != 0) {
        drain(p, p->raw_tcp, false, now_ns);
    }
    if (n >= 2 && pfds[1].revents != 0) {
        drain(p, p->raw_icmp, true, now_ns);
    }
}

static void syn_close(struct tcpshake_probe *p)
{
    if (p->raw_tcp >= 0) {
        close(p->raw_tcp);
        p->raw_tcp = -1;
    }
    if (p->raw_icmp >= 0) {
        close(p->raw_icmp);
        p->raw_icmp = -1;
    }
}

const struct probe_mode probe_mode_syn = {
    .fd_per_attempt = false,
    .open = syn_open,
    .start = syn_start,
    .fill = syn_fill,
    .collect = syn_collect,
    .close = syn_close,
};
