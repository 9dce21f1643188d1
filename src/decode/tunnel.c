/*
 * tunnel.c - tunnel headers between an outer IP packet and the inner one.
 *
 * Owns decapsulation: it walks a tunnel header and hands the packet inside
 * to the demultiplexer (decode_tunnel, demux.c), named by an IP version, an
 * EtherType, a PPP protocol or as an Ethernet frame, one layer deeper, so
 * the connection analysed is the innermost one. At most TUNNEL_CAP layers
 * are entered. Nothing is reassembled: the outer IP layer deals with
 * fragments before it calls in here.
 *
 * UDP, RFC 768: | Source Port (16) | Destination Port (16) | Length (16) | Checksum (16) |
 *
 * GTP-U version 1, 3GPP TS 29.281 5.1 (UDP port 2152):
 *   | Version (3) | PT (1) | * (1) | E (1) | S (1) | PN (1) | Message Type (8) |
 *   | Length (16): bytes after these first 8 | TEID (32) |
 *   and when any of E, S, PN is set:
 *   | Sequence Number (16) | N-PDU Number (8) | Next Extension Header Type (8) |
 *   Extension header, 5.2.1: | Length (8, in 4-octet units) | content ... |
 *   | Next Extension Header Type (8) |; type 0 ends the chain. A G-PDU
 *   (message type 0xFF) carries an IPv4 or IPv6 packet.
 *
 * VXLAN, RFC 7348 5 (UDP destination port 4789), then an Ethernet frame:
 *   | Flags (8, I = 0x08) | Reserved (24) | VNI (24) | Reserved (8) |
 *
 * Geneve, RFC 8926 3.4 (UDP destination port 6081):
 *   | Ver (2) | Opt Len (6, in 4-octet units) | O (1) | C (1) | Rsvd (6) |
 *   | Protocol Type (16, an EtherType) | VNI (24) | Reserved (8) | options |
 *
 * Teredo, RFC 4380 5.1.1 (UDP port 3544): an IPv6 packet, optionally after
 * an authentication indicator | 0x0001 | ID-len (8) | AU-len (8) | Client
 * identifier | Authentication value | Nonce (64) | Confirmation (8) | and/or
 * an origin indication | 0x0000 | Origin port (16) | Origin address (32) |.
 *
 * GRE, RFC 2784 2.1 with the key and sequence number of RFC 2890 2:
 *   | C | R | K | S | s | Recur (3) | A | Flags (4) | Ver (3) | Protocol Type (16) |
 *   | Checksum (16) | Offset (16) |    when C (or RFC 1701's R) is set
 *   | Key (32) |                       when K is set
 *   | Sequence Number (32) |           when S is set
 *   Protocol types: 0x0800 IPv4, 0x86DD IPv6, 0x6558 transparent Ethernet
 *   bridging, 0x88BE ERSPAN type II (type I when S is clear), 0x22EB ERSPAN
 *   type III. Source routing (R, RFC 1701) is not decoded.
 * Enhanced GRE, version 1, RFC 2637 4.1 (PPTP), protocol 0x880B (PPP):
 *   | flags and version | 0x880B | Payload Length (16) | Call ID (16) |
 *   | Sequence Number (32) when S | Acknowledgment Number (32) when A |
 *   then PPP (RFC 1661 2) in HDLC-like framing (RFC 1662 3.1): address 0xFF
 *   and control 0x03, both possibly compressed away (RFC 1661 6.6), and a
 *   protocol field of 1 byte when odd (compressed, RFC 1661 6.5) or 2.
 * ERSPAN type II, 8 bytes: | Ver (4) = 1 | VLAN (12) | COS (3) | En (2) |
 *   T (1) | Session ID (10) | Reserved (12) | Index (20) |. Type III, 12
 *   bytes: | Ver (4) = 2 | VLAN | COS | BSO | T | Session ID | Timestamp (32) |
 *   | SGT (16) | P | FT (5) | Hw ID (6) | D | Gra (2) | O (1) |, then an
 *   8-byte platform-specific subheader when O is set. Both then carry the
 *   mirrored Ethernet frame.
 */
#include "tunnel.h"

#include "demux.h"

enum {
    UDP_HDR = 8,
    PORT_GTP_U = 2152,
    PORT_VXLAN = 4789,
    PORT_GENEVE = 6081,
    PORT_TEREDO = 3544,

    GTP_HDR = 8,
    GTP_OPT = 4,      /* sequence number, N-PDU number, next extension type */
    GTP_PT = 0x10,    /* protocol type: 1 = GTP, 0 = GTP' */
    GTP_E = 0x04,     /* an extension header follows */
    GTP_S = 0x02,     /* sequence number present */
    GTP_PN = 0x01,    /* N-PDU number present */
    GTP_G_PDU = 0xff, /* message type: a T-PDU (user packet) */
    GTP_EXT_CAP = 16, /* extension headers walked */
    VXLAN_HDR = 8,
    GENEVE_HDR = 8,
    TEREDO_AUTH = 0x0001,
    TEREDO_ORIGIN = 0x0000,
    TEREDO_ORIGIN_LEN = 8,
    TEREDO_IND_CAP = 2, /* indicators walked: authentication, then origin */

    GRE_HDR = 4,
    GRE_C = 0x8000, /* checksum (and offset) present */
    GRE_R = 0x4000, /* RFC 1701 routing present */
    GRE_K = 0x2000, /* key present */
    GRE_S = 0x1000, /* sequence number present */
    GRE_A = 0x0080, /* version 1: acknowledgment number present */
    GRE_VERSION = 0x0007,
    ERSPAN2_HDR = 8,
    ERSPAN3_HDR = 12,
    ERSPAN3_SUBHDR = 8,

    ETHERTYPE_TEB = 0x6558, /* transparent Ethernet bridging */
    ETHERTYPE_ERSPAN2 = 0x88be,
    ETHERTYPE_ERSPAN3 = 0x22eb,
    ETHERTYPE_PPP = 0x880b,
    PPP_ADDRESS = 0xff,
};

/* Enter the Ethernet frame at w, one tunnel layer deeper. */
static enum decode_status enter_ether(struct wire *w, unsigned depth, struct packet_view *out)
{
    return decode_tunnel(w, DEMUX_ETHERNET, 0, depth, out);
}

/*
 * A payload named by an EtherType (GRE, Geneve): transparent bridging is an
 * Ethernet frame, anything else what the EtherType names at the link layer
 * (IPv4, IPv6, VLAN tags, MPLS, PPPoE; NSH, keepalives ... are NOT_TCP).
 */
static enum decode_status by_ethertype(struct wire *w, uint16_t type, unsigned depth,
                                       struct packet_view *out)
{
    if (type == ETHERTYPE_TEB) {
        return enter_ether(w, depth, out);
    }
    return decode_tunnel(w, DEMUX_ETHERTYPE, type, depth, out);
}

/* ------------------------------------------------------------------ GRE */

/* ERSPAN type II (or type I without a header when the GRE S bit is clear) and type III. */
static enum decode_status erspan(struct wire *w, uint16_t type, bool seq, unsigned depth,
                                 struct packet_view *out)
{
    if (type == ETHERTYPE_ERSPAN2) {
        if (seq) {
            wire_skip(w, ERSPAN2_HDR);
        }
    } else {
        struct wire hdr = wire_sub(w, ERSPAN3_HDR);
        wire_skip(&hdr, ERSPAN3_HDR - 1);
        if ((wire_u8(&hdr) & 1) != 0) { /* O: platform-specific subheader */
            wire_skip(w, ERSPAN3_SUBHDR);
        }
    }
    if (w->bad) {
        return DECODE_TRUNCATED;
    }
    return enter_ether(w, depth, out);
}

/* PPTP's enhanced GRE (version 1) and the PPP frame it carries. */
static enum decode_status gre_pptp(struct wire *w, uint16_t flags, uint16_t type, unsigned depth,
                                   struct packet_view *out)
{
    if (type != ETHERTYPE_PPP || (flags & GRE_K) == 0) {
        return DECODE_NOT_TCP;
    }
    uint16_t payload_len = wire_be16(w);
    wire_skip(w, 2); /* call id */
    wire_skip(w, (size_t)((flags & GRE_S) != 0 ? 4 : 0) + ((flags & GRE_A) != 0 ? 4 : 0));
    if (w->bad) {
        return DECODE_TRUNCATED;
    }
    if (payload_len == 0) {
        return DECODE_NOT_TCP; /* a bare acknowledgment */
    }
    if (wire_peek_u8(w) == PPP_ADDRESS) {
        wire_skip(w, 2); /* address, control */
    }
    uint16_t proto = wire_u8(w);
    if ((proto & 1) == 0) {
        proto = (uint16_t)(proto << 8 | wire_u8(w));
    }
    if (w->bad) {
        return DECODE_TRUNCATED;
    }
    return decode_tunnel(w, DEMUX_PPP, proto, depth, out);
}

enum decode_status tunnel_gre(struct wire *w, unsigned depth, struct packet_view *out)
{
    struct wire hdr = wire_sub(w, GRE_HDR);
    uint16_t flags = wire_be16(&hdr);
    uint16_t type = wire_be16(&hdr);
    if (hdr.bad) {
        return DECODE_TRUNCATED;
    }
    unsigned version = flags & GRE_VERSION;
    if (version == 1) {
        return gre_pptp(w, flags, type, depth, out);
    }
    if (version != 0 || (flags & GRE_R) != 0) {
        return DECODE_UNSUPPORTED;
    }
    size_t opt = (size_t)((flags & GRE_C) != 0 ? 4 : 0) + ((flags & GRE_K) != 0 ? 4 : 0) +
                 ((flags & GRE_S) != 0 ? 4 : 0);
    wire_skip(w, opt);
    if (w->bad) {
        return DECODE_TRUNCATED;
    }
    if (type == ETHERTYPE_ERSPAN2 || type == ETHERTYPE_ERSPAN3) {
        return erspan(w, type, (flags & GRE_S) != 0, depth, out);
    }
    return by_ethertype(w, type, depth, out);
}

/* ------------------------------------------------------------------ UDP */

static enum decode_status gtp_u(struct wire *w, unsigned depth, struct packet_view *out)
{
    struct wire hdr = wire_sub(w, GTP_HDR);
    uint8_t flags = wire_u8(&hdr);
    uint8_t type = wire_u8(&hdr);
    size_t len = wire_be16(&hdr);
    if (hdr.bad) {
        return DECODE_TRUNCATED;
    }
    if ((flags >> 5) != 1 || (flags & GTP_PT) == 0 || type != GTP_G_PDU) {
        return DECODE_NOT_TCP; /* GTPv0, GTP', echo, end marker, error indication ... */
    }
    wire_trim(w, len);
    if ((flags & (GTP_E | GTP_S | GTP_PN)) != 0) {
        struct wire opt = wire_sub(w, GTP_OPT);
        wire_skip(&opt, GTP_OPT - 1); /* sequence number, N-PDU number */
        uint8_t next = wire_u8(&opt);
        if (opt.bad) {
            return DECODE_TRUNCATED;
        }
        if ((flags & GTP_E) == 0) {
            next = 0; /* the type field only counts when E is set */
        }
        for (unsigned n = 0; next != 0; n++) {
            if (n == GTP_EXT_CAP) {
                return DECODE_UNSUPPORTED; /* chain longer than we walk */
            }
            if (!wire_has(w, 1)) {
                return DECODE_TRUNCATED;
            }
            size_t ext_len = (size_t)wire_peek_u8(w) * 4;
            if (ext_len == 0) {
                return DECODE_MALFORMED;
            }
            struct wire ext = wire_sub(w, ext_len);
            wire_skip(&ext, ext_len - 1);
            next = wire_u8(&ext);
            if (ext.bad) {
                return DECODE_TRUNCATED;
            }
        }
    }
    if (!wire_has(w, 1)) {
        return DECODE_TRUNCATED;
    }
    unsigned version = wire_peek_u8(w) >> 4;
    if (version != 4 && version != 6) {
        return DECODE_NOT_TCP; /* a PPP or non-IP PDU */
    }
    return decode_tunnel(w, DEMUX_IP, version, depth, out);
}

static enum decode_status vxlan(struct wire *w, unsigned depth, struct packet_view *out)
{
    wire_skip(w, VXLAN_HDR); /* the flags are not checked, as Zeek does not */
    if (w->bad) {
        return DECODE_TRUNCATED;
    }
    return enter_ether(w, depth, out);
}

static enum decode_status geneve(struct wire *w, unsigned depth, struct packet_view *out)
{
    struct wire hdr = wire_sub(w, GENEVE_HDR);
    uint8_t ver_opt = wire_u8(&hdr);
    wire_skip(&hdr, 1); /* O, C */
    uint16_t type = wire_be16(&hdr);
    if (hdr.bad) {
        return DECODE_TRUNCATED;
    }
    if ((ver_opt >> 6) != 0) {
        return DECODE_UNSUPPORTED; /* a Geneve version after 0 */
    }
    wire_skip(w, (size_t)(ver_opt & 0x3f) * 4); /* options */
    if (w->bad) {
        return DECODE_TRUNCATED;
    }
    return by_ethertype(w, type, depth, out);
}

/*
 * Teredo has no header of its own, so the port is only a hint: what does
 * not look like IPv6 after the indicators is a plain datagram (NOT_TCP).
 */
static enum decode_status teredo(struct wire *w, unsigned depth, struct packet_view *out)
{
    for (unsigned n = 0; n < TEREDO_IND_CAP; n++) {
        if (!wire_has(w, 2)) {
            return DECODE_TRUNCATED;
        }
        if ((wire_peek_u8(w) >> 4) == 6) {
            break;
        }
        uint16_t indicator = wire_be16(w);
        if (indicator == TEREDO_AUTH) {
            size_t id_len = wire_u8(w);
            size_t au_len = wire_u8(w);
            wire_skip(w, id_len + au_len + 9); /* ids, nonce (8), confirmation (1) */
        } else if (indicator == TEREDO_ORIGIN) {
            wire_skip(w, TEREDO_ORIGIN_LEN - 2);
        } else {
            return DECODE_NOT_TCP;
        }
        if (w->bad) {
            return DECODE_TRUNCATED;
        }
    }
    if (!wire_has(w, 1)) {
        return DECODE_TRUNCATED;
    }
    if ((wire_peek_u8(w) >> 4) != 6) {
        return DECODE_NOT_TCP;
    }
    enum decode_status st = decode_tunnel(w, DEMUX_IP, 6, depth, out);
    return st == DECODE_MALFORMED ? DECODE_NOT_TCP : st;
}

enum decode_status tunnel_udp(struct wire *w, unsigned depth, struct packet_view *out)
{
    struct wire hdr = wire_sub(w, UDP_HDR);
    uint16_t sport = wire_be16(&hdr);
    uint16_t dport = wire_be16(&hdr);
    size_t len = wire_be16(&hdr);
    if (hdr.bad) {
        return DECODE_TRUNCATED;
    }
    if (len != 0 && len < UDP_HDR) {
        return DECODE_MALFORMED;
    }
    if (len != 0) { /* 0: a jumbogram or an offloaded datagram; the IP length stands */
        wire_trim(w, len - UDP_HDR);
    }
    if (dport == PORT_GTP_U || sport == PORT_GTP_U) {
        return gtp_u(w, depth, out);
    }
    if (dport == PORT_VXLAN) {
        return vxlan(w, depth, out);
    }
    if (dport == PORT_GENEVE) {
        return geneve(w, depth, out);
    }
    if (dport == PORT_TEREDO || sport == PORT_TEREDO) {
        return teredo(w, depth, out);
    }
    return DECODE_NOT_TCP;
}
