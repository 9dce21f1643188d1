/*
 * demux.c - from one layer to the next: the decoders' one demultiplexer.
 *
 * Owns the number spaces a header names its payload in (IP version,
 * EtherType, PPP protocol, an Ethernet frame) and the shims that live
 * between a link header and IP: 802.1Q / 802.1ad tags, MPLS and PPPoE. A
 * tunnel header (tunnel.c) enters its payload with decode_tunnel, one layer
 * deeper, so the bound on nesting is checked here and nowhere else. The
 * outermost frame's VLAN id is link.c's to record; tags met here are walked.
 *
 * Ethernet II (IEEE 802.3 clause 3):
 *   | destination MAC (6) | source MAC (6) | EtherType (2) | payload |
 * VLAN tag (IEEE 802.1Q; 0x88a8 is the 802.1ad outer tag, 0x9100 the older
 * QinQ tag), inserted before the EtherType, possibly stacked:
 *   | TPID (2) | PCP (3) DEI (1) VID (12) |
 * MPLS label stack entry (RFC 3032 2.1), repeated until S = 1; the payload
 * has no type field, so IPv4 / IPv6 are told apart by the version nibble:
 *   | Label (20) | TC (3) | S (1) | TTL (8) |
 * PPPoE session stage (RFC 2516 4), then the PPP protocol (RFC 1661 2):
 *   | Ver (4) Type (4) | Code (8) | Session ID (16) | Length (16) | Protocol (16) |
 */
#include "demux.h"

#include "ip.h"

enum {
    ETH_HDR = 14,
    VLAN_CAP = 8,  /* stacked VLAN tags walked */
    MPLS_CAP = 16, /* MPLS labels walked */
};

/* Walk MPLS labels to the bottom of the stack, then guess the IP version. */
static enum decode_status mpls(struct wire *w, unsigned depth, struct packet_view *out)
{
    for (unsigned n = 0; n < MPLS_CAP; n++) {
        uint32_t entry = wire_be32(w);
        if (w->bad) {
            return DECODE_TRUNCATED;
        }
        if ((entry & 0x100) != 0) { /* bottom of stack */
            if (!wire_has(w, 1)) {
                return DECODE_TRUNCATED;
            }
            unsigned version = wire_peek_u8(w) >> 4;
            if (version != 4 && version != 6) {
                return DECODE_NOT_TCP; /* pseudowire, control word ...: not IP */
            }
            return ip_decode(w, version, depth, out);
        }
    }
    return DECODE_UNSUPPORTED; /* label stack deeper than we walk */
}

static enum decode_status ppp(struct wire *w, unsigned proto, unsigned depth,
                              struct packet_view *out)
{
    if (proto == PPP_IPV4) {
        return ip_decode(w, 4, depth, out);
    }
    if (proto == PPP_IPV6) {
        return ip_decode(w, 6, depth, out);
    }
    return DECODE_NOT_TCP; /* LCP, IPCP, CCP, compressed data ... */
}

static enum decode_status pppoe(struct wire *w, unsigned depth, struct packet_view *out)
{
    wire_skip(w, 6); /* ver/type, code, session id, length */
    uint16_t proto = wire_be16(w);
    if (w->bad) {
        return DECODE_TRUNCATED;
    }
    return ppp(w, proto, depth, out);
}

/* From an EtherType onwards: VLAN tags first, then what the last type names. */
static enum decode_status ethertype(struct wire *w, uint16_t type, unsigned depth,
                                    struct packet_view *out)
{
    for (unsigned n = 0; demux_is_vlan(type); n++) {
        if (n == VLAN_CAP) {
            return DECODE_UNSUPPORTED; /* tag stack deeper than we walk */
        }
        wire_skip(w, 2); /* TCI */
        type = wire_be16(w);
        if (w->bad) {
            return DECODE_TRUNCATED;
        }
    }
    switch (type) {
    case ETHERTYPE_IPV4:
        return ip_decode(w, 4, depth, out);
    case ETHERTYPE_IPV6:
        return ip_decode(w, 6, depth, out);
    case ETHERTYPE_MPLS:
    case ETHERTYPE_MPLS_MC:
        return mpls(w, depth, out);
    case ETHERTYPE_PPPOE:
        return pppoe(w, depth, out);
    default:
        return DECODE_NOT_TCP; /* ARP, LLDP, 802.3 length field ...: valid, not ours */
    }
}

static enum decode_status ethernet(struct wire *w, unsigned depth, struct packet_view *out)
{
    struct wire hdr = wire_sub(w, ETH_HDR);
    wire_skip(&hdr, 12); /* MAC addresses */
    uint16_t type = wire_be16(&hdr);
    return hdr.bad ? DECODE_TRUNCATED : ethertype(w, type, depth, out);
}

enum decode_status decode_demux(struct wire *w, enum demux_space space, unsigned type,
                                unsigned depth, struct packet_view *out)
{
    switch (space) {
    case DEMUX_IP:
        return ip_decode(w, type, depth, out);
    case DEMUX_ETHERTYPE:
        return ethertype(w, (uint16_t)type, depth, out);
    case DEMUX_PPP:
        return ppp(w, type, depth, out);
    case DEMUX_ETHERNET:
        return ethernet(w, depth, out);
    }
    return DECODE_UNSUPPORTED;
}

enum decode_status decode_tunnel(struct wire *w, enum demux_space space, unsigned type,
                                 unsigned depth, struct packet_view *out)
{
    if (depth >= TUNNEL_CAP) {
        return DECODE_UNSUPPORTED; /* nested deeper than we walk */
    }
    return decode_demux(w, space, type, depth + 1, out);
}
