/*
 * decode.h - bytes of one captured frame to a small parsed view.
 *
 * Pure functions: no allocation, no printing, no counters. The caller counts
 * rejects by the returned status. Every read goes through wire.h.
 * The view holds host-order values. Its one pointer, tcp_view.payload, points
 * into the frame only between decode_packet and lane_commit, which replaces it
 * by the lane's own copy or NULL (lane.h): a view handed on never points into
 * packet memory.
 */
#ifndef TCPSHAKE_DECODE_H
#define TCPSHAKE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum decode_status {
    DECODE_OK,
    DECODE_TRUNCATED,   /* the capture ends before the TCP header does */
    DECODE_MALFORMED,   /* a header lies (IHL < 5, data offset < 5, length too short ...) */
    DECODE_NOT_TCP,     /* valid, but neither TCP nor an ICMP error quoting TCP */
    DECODE_UNSUPPORTED, /* a link / network protocol we do not decode */
    DECODE_FRAGMENT,    /* non-first IP fragment: no TCP header here */
};

/* TCP flag bits as on the wire (RFC 9293 3.1, RFC 3168 for ECE/CWR). */
enum tcp_flag {
    TCP_FIN = 1u << 0,
    TCP_SYN = 1u << 1,
    TCP_RST = 1u << 2,
    TCP_PSH = 1u << 3,
    TCP_ACK = 1u << 4,
    TCP_URG = 1u << 5,
    TCP_ECE = 1u << 6,
    TCP_CWR = 1u << 7,
    TCP_AE = 1u << 8, /* RFC 3540 / AccECN: the former NS bit */
};

/* Odd but legal things seen in the TCP header, kept as data (p0f's quirks). */
enum tcp_quirk {
    TCPQ_BAD_OPTION = 1u << 0,   /* option length 0/1 or running past the header */
    TCPQ_ACK_NO_FLAG = 1u << 1,  /* nonzero ACK number without the ACK flag */
    TCPQ_SYN_OPT_LATE = 1u << 2, /* MSS / WS / SACK-permitted without SYN */
    TCPQ_SNAPLEN_CUT = 1u << 3,  /* the capture stops before the IP length does */
    TCPQ_IP_LEN_ZERO = 1u << 4,  /* IPv4 total length 0 (TSO): the captured length stood in */
};

/* TCP options we care about (RFC 9293 3.2, RFC 7323, RFC 2018, RFC 7413). */
struct tcp_options {
    uint16_t mss;  /* 0 = absent */
    int8_t wscale; /* -1 = absent; the raw shift, may exceed 14 */
    bool sack_permitted;
    bool timestamps;
    uint32_t tsval;
    uint32_t tsecr;
    bool tfo;               /* Fast Open option: kind 34, or 254 with magic 0xF989 */
    uint8_t tfo_cookie_len; /* 0 = cookie request */
};

/* Addresses and ports of one packet, direction as on the wire. */
struct flow_tuple {
    uint8_t src[16]; /* network order; IPv4 in the first 4 bytes, rest zero */
    uint8_t dst[16];
    uint16_t sport;
    uint16_t dport;
    uint8_t ip_version; /* 4 or 6 */
    int32_t vlan;       /* outermost 802.1Q/802.1ad id; -1 untagged */
};

/* Bits of tcp_syn_facts.ip_bits. */
enum ip_fact {
    IPF_DF = 1u << 0,      /* IPv4 don't fragment */
    IPF_MBZ = 1u << 1,     /* IPv4 reserved ("must be zero") flag bit set */
    IPF_ID_ZERO = 1u << 2, /* IPv4 identification is 0 */
    IPF_FLOW = 1u << 3,    /* IPv6 flow label is not 0 */
};

/*
 * Header facts of a segment carrying SYN, for a passive fingerprint of the
 * sender (src/app/p0f.c). Set only when the SYN flag is: other segments leave
 * them as they were, so the per-packet path does no more work.
 */
struct tcp_syn_facts {
    uint8_t opt[40];     /* the TCP options area, as captured */
    uint8_t opt_len;     /* bytes of opt captured (less than the header says when cut) */
    uint8_t tcp_hdr_len; /* TCP data offset * 4 */
    uint8_t ip_opt_len;  /* IPv4 option bytes, IPv6 extension header bytes */
    uint8_t ip_tos;      /* IPv4 TOS / IPv6 traffic class (ECN in the low 2 bits) */
    uint8_t ip_bits;     /* enum ip_fact */
    uint16_t urg_ptr;    /* TCP urgent pointer */
};

/* What the tracker needs from one TCP segment (or from the TCP header quoted in an ICMP error). */
struct tcp_view {
    struct flow_tuple tuple;
    uint8_t ttl;     /* IPv4 TTL or IPv6 hop limit */
    uint32_t ip_len; /* IP total length (header + payload) as the header says */
    uint32_t seq;
    uint32_t ack;
    uint16_t flags;       /* enum tcp_flag */
    uint16_t window;      /* raw, unscaled */
    uint32_t payload_len; /* from the IP length, not from what was captured */
    uint32_t quirks;      /* enum tcp_quirk */
    struct tcp_options opt;
    uint32_t payload_cap;   /* payload bytes captured: payload_len, or fewer after a snaplen cut */
    const uint8_t *payload; /* payload_cap bytes (see above), NULL when payload_cap is 0 */
    struct tcp_syn_facts syn; /* valid when flags has TCP_SYN */
};

/* An ICMP / ICMPv6 error that quotes the IP + TCP header of a segment we may track. */
struct icmp_view {
    uint8_t type;
    uint8_t code;
    uint8_t ip_version;       /* of the ICMP packet (4 = ICMP, 6 = ICMPv6) */
    struct flow_tuple quoted; /* the quoted segment's tuple, as it was sent */
    uint32_t quoted_seq;      /* sequence number of the quoted segment */
};

enum packet_kind {
    PACKET_TCP,
    PACKET_ICMP_ERROR,
};

struct packet_view {
    enum packet_kind kind;
    union {
        struct tcp_view tcp;
        struct icmp_view icmp;
    } u;
};

/* The tuple of the connection a packet belongs to: its own for a segment, the
 * quoted segment's for an ICMP error. */
static inline const struct flow_tuple *packet_flow_tuple(const struct packet_view *pv)
{
    return pv->kind == PACKET_TCP ? &pv->u.tcp.tuple : &pv->u.icmp.quoted;
}

/* Link-layer types we decode (libpcap LINKTYPE_ values). */
enum {
    LINK_NULL = 0, /* BSD loopback: 4-byte host-order AF_ */
    LINK_ETHERNET = 1,
    LINK_RAW = 101,  /* raw IPv4 or IPv6 (also DLT_RAW 12 / 14 on some systems) */
    LINK_LOOP = 108, /* OpenBSD loopback: network-order AF_ */
    LINK_SLL = 113,
    LINK_IPV4 = 228,
    LINK_IPV6 = 229,
    LINK_SLL2 = 276,
};

/* True when decode_packet knows this link type. */
bool decode_link_supported(int linktype);

/*
 * Decode one frame. data/caplen are the captured bytes, wire_len the original
 * length. On DECODE_OK *out is filled; otherwise its contents are unspecified.
 * Tunnels (IP in IP, GRE, GTP-U, VXLAN, Geneve, Teredo; at most 4 layers,
 * UNSUPPORTED beyond) are decapsulated: the view is the innermost packet's,
 * with the outermost frame's VLAN.
 */
enum decode_status decode_packet(int linktype, const uint8_t *data, size_t caplen, size_t wire_len,
                                 struct packet_view *out);

/*
 * decode_packet without its shortcut for plain Ethernet / SLL + IP + TCP
 * frames: every layer walked. The two must always agree; the decoder's tests
 * and the fuzzer hold them to it.
 */
enum decode_status decode_packet_general(int linktype, const uint8_t *data, size_t caplen,
                                         struct packet_view *out);

#endif
