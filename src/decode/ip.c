/*
 * ip.c - IPv4 and IPv6 headers, IPv6 extension chains and fragments.
 *
 * Owns the network layer: checks the IP header against what was captured,
 * trims the payload to the IP length (Ethernet padding is not payload), tells
 * a capture cut by snaplen (TCPQ_SNAPLEN_CUT, payload counted from the IP
 * length) from a header that lies (MALFORMED), and hands the payload to
 * tcp.c or icmp.c, or, when it is a tunnel, to the demultiplexer (IP in IP)
 * or tunnel.c (GRE, UDP), whose inner packet comes back here one layer
 * deeper through demux.c. Link layers are link.c's business.
 *
 * IPv4, RFC 791 3.1:
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-------+-------+---------------+-------------------------------+
 *   |Version|  IHL  |      TOS      |          Total Length         |
 *   +-------+-------+---------------+-----+-------------------------+
 *   |         Identification        |Flags|     Fragment Offset     |
 *   +---------------+---------------+-----+-------------------------+
 *   |      TTL      |   Protocol    |        Header Checksum        |
 *   +---------------+---------------+-------------------------------+
 *   |                        Source Address                         |
 *   |                     Destination Address                       |
 *   |                Options (IHL > 5) ...                          |
 *
 * IPv6, RFC 8200 3:
 *   | Version | Traffic Class | Flow Label (20)                      |
 *   |   Payload Length (16)   | Next Header (8) | Hop Limit (8)      |
 *   |   Source Address (128)  | Destination Address (128)          |
 *
 * IPv6 extension headers, RFC 8200 4.3-4.6 (hop-by-hop 0, routing 43,
 * destination options 60): | Next Header | Hdr Ext Len (8-octet units,
 * not counting the first 8) | ... |. Fragment (44), RFC 8200 4.5: 8 bytes,
 * | Next Header | Reserved | Fragment Offset (13) | Res | M | Identification |.
 * Authentication header (51), RFC 4302 2: length in 4-octet units minus 2.
 * A jumbogram (RFC 2675) has payload length 0 and a hop-by-hop header.
 * An IPv4 total length of 0 is a TCP segmentation offload capture (the NIC
 * fills it in later): like Zeek, we take the captured length instead.
 */
#include "ip.h"

#include <string.h>

#include "demux.h"
#include "icmp.h"
#include "tcp.h"
#include "tunnel.h"

enum {
    IP6_HOPOPT = 0,
    IP6_ROUTING = 43,
    IP6_FRAGMENT = 44,
    IP6_AH = 51,
    IP6_DSTOPTS = 60,
    IP6_EXT_CAP = 16, /* extension headers walked before giving up */
    IP4_MIN_HDR = 20,
    IP6_HDR = 40,
    TCP_MIN_HDR = 20,
};

enum decode_status ip_v4_header(struct wire *w, struct ip_v4_hdr *h)
{
    if (!wire_has(w, 1)) {
        return DECODE_TRUNCATED;
    }
    if ((wire_peek_u8(w) >> 4) != 4) {
        return DECODE_MALFORMED;
    }
    struct wire fixed = wire_sub(w, IP4_MIN_HDR);
    if (fixed.bad) {
        return DECODE_TRUNCATED;
    }
    h->hdr_len = (size_t)(wire_u8(&fixed) & 0x0f) * 4;
    h->tos = wire_u8(&fixed);
    h->total_len = wire_be16(&fixed);
    h->id = wire_be16(&fixed);
    uint16_t frag = wire_be16(&fixed);
    h->reserved_flag = (frag & 0x8000) != 0;
    h->dont_frag = (frag & 0x4000) != 0;
    h->more_frags = (frag & 0x2000) != 0;
    h->frag_offset = frag & 0x1fff;
    h->ttl = wire_u8(&fixed);
    h->proto = wire_u8(&fixed);
    wire_skip(&fixed, 2); /* checksum: not ours to verify */
    wire_copy(&fixed, h->src, 4);
    wire_copy(&fixed, h->dst, 4);

    h->len_zero = h->total_len == 0;
    if (h->hdr_len < IP4_MIN_HDR || (!h->len_zero && h->total_len < h->hdr_len)) {
        return DECODE_MALFORMED;
    }
    wire_skip(w, h->hdr_len - IP4_MIN_HDR); /* options */
    if (w->bad) {
        return DECODE_TRUNCATED;
    }
    if (h->len_zero) {
        size_t len = h->hdr_len + wire_left(w);
        h->total_len = (uint16_t)(len > UINT16_MAX ? UINT16_MAX : len);
    }
    return DECODE_OK;
}

enum decode_status ip_v6_header(struct wire *w, struct ip_v6_hdr *h)
{
    if (!wire_has(w, 1)) {
        return DECODE_TRUNCATED;
    }
    if ((wire_peek_u8(w) >> 4) != 6) {
        return DECODE_MALFORMED;
    }
    struct wire fixed = wire_sub(w, IP6_HDR);
    if (fixed.bad) {
        return DECODE_TRUNCATED;
    }
    uint32_t first = wire_be32(&fixed); /* version, traffic class, flow label */
    h->traffic_class = (uint8_t)(first >> 20);
    h->flow_label = first & 0xfffff;
    h->payload_len = wire_be16(&fixed);
    h->next_header = wire_u8(&fixed);
    h->hop_limit = wire_u8(&fixed);
    wire_copy(&fixed, h->src, 16);
    wire_copy(&fixed, h->dst, 16);
    return DECODE_OK;
}

/* Could a header chain continuing with nh still lead to TCP (or an ICMPv6 error)? */
static bool v6_may_carry_tcp(uint8_t nh)
{
    switch (nh) {
    case IP_PROTO_TCP:
    case IP_PROTO_ICMPV6:
    case IP6_HOPOPT:
    case IP6_ROUTING:
    case IP6_FRAGMENT:
    case IP6_AH:
    case IP6_DSTOPTS:
    case IP_PROTO_IPIP:
    case IP_PROTO_IPV6:
    case IP_PROTO_GRE:
        return true;
    default:
        return false; /* UDP too: a tunnel port cannot be told without the UDP header */
    }
}

/* Size of the extension header at w (type nh), or 0 when it cannot be read. */
static size_t v6_ext_len(const struct wire *w, uint8_t nh)
{
    struct wire peek = *w;
    wire_skip(&peek, 1); /* next header */
    size_t units = wire_u8(&peek);
    if (peek.bad) {
        return 0;
    }
    if (nh == IP6_FRAGMENT) {
        return 8;
    }
    if (nh == IP6_AH) {
        return (units + 2) * 4;
    }
    return (units + 1) * 8;
}

enum decode_status ip_v6_skip_ext(struct wire *w, uint8_t *nh, size_t *claimed, bool *more_frags)
{
    for (unsigned hop = 0;; hop++) {
        if (*nh != IP6_HOPOPT && *nh != IP6_ROUTING && *nh != IP6_FRAGMENT && *nh != IP6_AH &&
            *nh != IP6_DSTOPTS) {
            return DECODE_OK; /* upper layer (or ESP, no-next, mobility ...) */
        }
        if (hop == IP6_EXT_CAP) {
            return DECODE_UNSUPPORTED; /* deeper than we walk */
        }
        if (*claimed < 8) {
            return DECODE_MALFORMED; /* the IP length leaves no room for the header */
        }
        size_t len = v6_ext_len(w, *nh);
        if (len == 0) {
            return DECODE_TRUNCATED;
        }
        if (len > *claimed) {
            return DECODE_MALFORMED;
        }
        struct wire ext = wire_sub(w, len);
        if (ext.bad) {
            return DECODE_TRUNCATED;
        }
        uint8_t next = wire_u8(&ext);
        if (*nh == IP6_FRAGMENT) {
            wire_skip(&ext, 1); /* reserved */
            uint16_t off_m = wire_be16(&ext);
            if ((off_m >> 3) != 0) {
                /* Non-first fragment: whatever it carries has no header here. */
                return v6_may_carry_tcp(next) ? DECODE_FRAGMENT : DECODE_NOT_TCP;
            }
            *more_frags = *more_frags || (off_m & 1) != 0;
        }
        *claimed -= len;
        *nh = next;
    }
}

/*
 * In a first fragment (MF set), the TCP header may itself be split across
 * fragments (RFC 1858): then this packet is a fragment we cannot use. When
 * the capture is too short to tell, tcp_decode reports TRUNCATED.
 */
static bool tcp_header_in_fragment(const struct wire *w, size_t claimed)
{
    struct wire peek = *w;
    wire_skip(&peek, 12);
    size_t doff = (size_t)(wire_u8(&peek) >> 4) * 4;
    if (peek.bad) {
        return claimed >= TCP_MIN_HDR;
    }
    return claimed >= TCP_MIN_HDR && claimed >= doff;
}

/* Is proto a tunnel that tunnel.c decapsulates? */
static bool is_tunnel(uint8_t proto)
{
    return proto == IP_PROTO_IPIP || proto == IP_PROTO_IPV6 || proto == IP_PROTO_GRE ||
           proto == IP_PROTO_UDP;
}

/*
 * Decapsulate the tunnel (protocol proto) at w. When the inner headers run
 * past the end of an IP packet that was captured whole (known_end), the
 * packet is a first fragment that stops too early (FRAGMENT), or the outer
 * length lies (MALFORMED); only a capture cut short is TRUNCATED. A first
 * fragment holding all inner headers decodes; its inner payload is counted
 * from the inner IP length.
 */
static enum decode_status tunnel_payload(struct wire *w, uint8_t proto, bool known_end,
                                         bool more_frags, unsigned depth, struct packet_view *out)
{
    enum decode_status st;
    switch (proto) {
    case IP_PROTO_IPIP:
        st = decode_tunnel(w, DEMUX_IP, 4, depth, out);
        break;
    case IP_PROTO_IPV6:
        st = decode_tunnel(w, DEMUX_IP, 6, depth, out);
        break;
    case IP_PROTO_GRE:
        st = tunnel_gre(w, depth, out);
        break;
    default:
        st = tunnel_udp(w, depth, out);
        break;
    }
    if (st == DECODE_TRUNCATED && known_end) {
        return more_frags ? DECODE_FRAGMENT : DECODE_MALFORMED;
    }
    if (st == DECODE_OK && known_end && more_frags && out->kind == PACKET_TCP) {
        /* The inner packet goes on in the next fragment: not a snaplen cut. */
        out->u.tcp.quirks &= ~(uint32_t)TCPQ_SNAPLEN_CUT;
    }
    return st;
}

/* Decode TCP at w; the view's addresses, ttl and ip_len are set by the caller. */
static enum decode_status tcp_payload(struct wire *w, size_t claimed, bool cut,
                                      struct packet_view *out)
{
    out->kind = PACKET_TCP;
    enum decode_status st = tcp_decode(w, claimed, &out->u.tcp);
    if (st == DECODE_OK && cut) {
        out->u.tcp.quirks |= TCPQ_SNAPLEN_CUT;
    }
    return st;
}

/* The IP layer's part of a SYN's fingerprint facts (decode.h). */
static void syn_facts_v4(struct tcp_syn_facts *f, uint8_t tos, uint16_t id, bool df, bool mbz,
                         size_t opt_len)
{
    f->ip_tos = tos;
    f->ip_opt_len = (uint8_t)opt_len; /* at most 40 */
    f->ip_bits = (uint8_t)((df ? IPF_DF : 0) | (mbz ? IPF_MBZ : 0) | (id == 0 ? IPF_ID_ZERO : 0));
}

static void syn_facts_v6(struct tcp_syn_facts *f, uint8_t traffic_class, uint32_t flow_label,
                         size_t ext_len)
{
    f->ip_tos = traffic_class;
    f->ip_opt_len = (uint8_t)(ext_len > UINT8_MAX ? UINT8_MAX : ext_len);
    f->ip_bits = flow_label != 0 ? IPF_FLOW : 0;
}

static enum decode_status v4(struct wire *w, unsigned depth, struct packet_view *out)
{
    struct ip_v4_hdr h;
    enum decode_status st = ip_v4_header(w, &h);
    if (st != DECODE_OK) {
        return st;
    }
    size_t claimed = (size_t)h.total_len - h.hdr_len;
    bool cut = wire_left(w) < claimed; /* snaplen, not a lie: count from the IP length */
    wire_trim(w, claimed);             /* link-layer padding is not payload */

    if (h.proto != IP_PROTO_TCP && h.proto != IP_PROTO_ICMP && !is_tunnel(h.proto)) {
        return DECODE_NOT_TCP;
    }
    if (h.frag_offset != 0) {
        /* RFC 791: only the first fragment has the TCP (or tunnel) header. A UDP
         * port cannot be read here, so UDP stays a datagram that is not ours. */
        return h.proto == IP_PROTO_UDP ? DECODE_NOT_TCP : DECODE_FRAGMENT;
    }
    if (h.proto == IP_PROTO_ICMP) {
        return icmp_decode(w, claimed, 4, out);
    }
    if (h.proto != IP_PROTO_TCP) {
        return tunnel_payload(w, h.proto, !cut && !h.len_zero, h.more_frags, depth, out);
    }
    if (h.more_frags && !tcp_header_in_fragment(w, claimed)) {
        return DECODE_FRAGMENT;
    }
    if (h.len_zero && !tcp_header_in_fragment(w, claimed)) {
        return DECODE_TRUNCATED; /* the length is the capture's: a cut, not a lie */
    }
    struct tcp_view *t = &out->u.tcp;
    t->tuple.ip_version = 4;
    memcpy(t->tuple.src, h.src, 4);
    memcpy(t->tuple.dst, h.dst, 4);
    t->ttl = h.ttl;
    t->ip_len = h.total_len;
    enum decode_status tst = tcp_payload(w, claimed, cut, out);
    if (tst == DECODE_OK && h.len_zero) {
        t->quirks |= TCPQ_IP_LEN_ZERO;
    }
    if (tst == DECODE_OK && (t->flags & TCP_SYN)) {
        syn_facts_v4(&t->syn, h.tos, h.id, h.dont_frag, h.reserved_flag, h.hdr_len - IP4_MIN_HDR);
    }
    return tst;
}

static enum decode_status v6(struct wire *w, unsigned depth, struct packet_view *out)
{
    struct ip_v6_hdr h;
    enum decode_status st = ip_v6_header(w, &h);
    if (st != DECODE_OK) {
        return st;
    }
    size_t claimed = h.payload_len;
    if (claimed == 0 && h.next_header == IP6_HOPOPT) {
        claimed = wire_left(w); /* jumbogram (RFC 2675): the rest of the capture */
    }
    size_t ip_len = IP6_HDR + claimed;
    bool cut = wire_left(w) < claimed;
    wire_trim(w, claimed);

    uint8_t nh = h.next_header;
    bool more_frags = false;
    st = ip_v6_skip_ext(w, &nh, &claimed, &more_frags);
    if (st != DECODE_OK) {
        return st;
    }
    if (nh == IP_PROTO_ICMPV6) {
        return icmp_decode(w, claimed, 6, out);
    }
    if (is_tunnel(nh)) {
        return tunnel_payload(w, nh, !cut && h.payload_len != 0, more_frags, depth, out);
    }
    if (nh != IP_PROTO_TCP) {
        return DECODE_NOT_TCP;
    }
    if (more_frags && !tcp_header_in_fragment(w, claimed)) {
        return DECODE_FRAGMENT;
    }
    struct tcp_view *t = &out->u.tcp;
    t->tuple.ip_version = 6;
    memcpy(t->tuple.src, h.src, 16);
    memcpy(t->tuple.dst, h.dst, 16);
    t->ttl = h.hop_limit;
    t->ip_len = ip_len > UINT32_MAX ? UINT32_MAX : (uint32_t)ip_len;
    size_t ext_len = ip_len - IP6_HDR - claimed; /* what the extension headers took */
    enum decode_status tst = tcp_payload(w, claimed, cut, out);
    if (tst == DECODE_OK && (t->flags & TCP_SYN)) {
        syn_facts_v6(&t->syn, h.traffic_class, h.flow_label, ext_len);
    }
    return tst;
}

bool ip_plain_tcp(const uint8_t *p, size_t len, unsigned version, struct packet_view *out,
                  enum decode_status *st)
{
    struct tcp_view *t = &out->u.tcp;
    const uint8_t *ip = p;
    size_t claimed;
    if (version == 4) {
        /* IHL 5, a length that is neither 0 nor short of the header, nothing cut,
         * not a fragment (DF may be set), TCP. */
        if (len < IP4_MIN_HDR || p[0] != 0x45 || p[9] != IP_PROTO_TCP ||
            (wire_be16_at(p + 6) & 0x3fff) != 0) {
            return false;
        }
        size_t total = wire_be16_at(p + 2);
        if (total < IP4_MIN_HDR || total > len) {
            return false;
        }
        claimed = total - IP4_MIN_HDR;
        t->ttl = p[8];
        t->ip_len = (uint32_t)total;
        memcpy(t->tuple.src, p + 12, 4);
        memcpy(t->tuple.dst, p + 16, 4);
        p += IP4_MIN_HDR;
    } else {
        /* TCP straight after the fixed header, nothing cut. */
        if (len < IP6_HDR || (p[0] >> 4) != 6 || p[6] != IP_PROTO_TCP) {
            return false;
        }
        claimed = wire_be16_at(p + 4);
        if (claimed > len - IP6_HDR) {
            return false;
        }
        t->ttl = p[7];
        t->ip_len = (uint32_t)(IP6_HDR + claimed);
        memcpy(t->tuple.src, p + 8, 16);
        memcpy(t->tuple.dst, p + 24, 16);
        p += IP6_HDR;
    }
    out->kind = PACKET_TCP;
    t->tuple.ip_version = (uint8_t)version;
    struct wire w = wire_init(p, claimed); /* trimmed: link-layer padding is not payload */
    enum decode_status tst = tcp_decode(&w, claimed, t);
    *st = tst;
    if (tst == DECODE_OK && (t->flags & TCP_SYN)) {
        if (version == 4) {
            uint16_t frag = wire_be16_at(ip + 6);
            syn_facts_v4(&t->syn, ip[1], wire_be16_at(ip + 4), (frag & 0x4000) != 0,
                         (frag & 0x8000) != 0, 0);
        } else {
            uint32_t first = ((uint32_t)wire_be16_at(ip) << 16) | wire_be16_at(ip + 2);
            syn_facts_v6(&t->syn, (uint8_t)(first >> 20), first & 0xfffff, 0);
        }
    }
    return true;
}

enum decode_status ip_decode(struct wire *w, unsigned version, unsigned depth,
                             struct packet_view *out)
{
    if (version == 0) {
        if (!wire_has(w, 1)) {
            return DECODE_TRUNCATED;
        }
        version = wire_peek_u8(w) >> 4;
    }
    if (version == 4) {
        return v4(w, depth, out);
    }
    if (version == 6) {
        return v6(w, depth, out);
    }
    return DECODE_MALFORMED; /* neither IPv4 nor IPv6 where an IP header must be */
}
