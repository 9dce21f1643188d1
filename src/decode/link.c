/*
 * link.c - link layers, and the entry points of decode.h.
 *
 * Owns the link headers in front of the first shim or IP header: Ethernet,
 * Linux cooked captures (SLL and SLL2), raw IP, BSD null and OpenBSD loop.
 * It records the outermost VLAN id and hands what the header names to the
 * demultiplexer (demux.c), which walks VLAN tags, MPLS and PPPoE and calls
 * ip.c. Link-type numbers are libpcap's LINKTYPE_ values
 * (https://www.tcpdump.org/linktypes.html). Ethernet frames inside tunnels
 * are demux.c's: their VLAN tags are walked, not recorded.
 *
 * Ethernet II (IEEE 802.3 clause 3):
 *   | destination MAC (6) | source MAC (6) | EtherType (2) | payload |
 * VLAN tag (IEEE 802.1Q), before the EtherType: | TPID (2) | PCP (3) DEI (1) VID (12) |
 * Linux SLL, 16 bytes (LINKTYPE_LINUX_SLL):
 *   | packet type (2) | ARPHRD type (2) | addr len (2) | addr (8) | protocol (2) |
 * Linux SLL2, 20 bytes (LINKTYPE_LINUX_SLL2):
 *   | protocol (2) | reserved (2) | ifindex (4) | ARPHRD type (2) |
 *   | packet type (1) | addr len (1) | addr (8) |
 * BSD null: a 4-byte address family in the capturing host's byte order.
 * OpenBSD loop: the same in network byte order.
 */
#include "decode.h"

#include <stddef.h>
#include <string.h>

#include "demux.h"
#include "ip.h"
#include "wire.h"

enum {
    ETH_HDR = 14,
    SLL_HDR = 16,
    SLL2_HDR = 20,
    DLT_RAW_A = 12, /* raw IP on most BSDs */
    DLT_RAW_B = 14, /* raw IP on OpenBSD */

    /* Address families seen in null / loop headers. */
    AF_V4 = 2,
    AF_V6_LINUX = 10,
    AF_V6_BSD = 24, /* NetBSD, OpenBSD */
    AF_V6_FREEBSD = 28,
    AF_V6_DARWIN = 30,
};

/*
 * The payload of a link header whose EtherType is type: the first VLAN tag's
 * id goes to *vlan (the outermost frame's), then the demultiplexer walks on.
 */
static enum decode_status ethertype(struct wire *w, uint16_t type, int32_t *vlan,
                                    struct packet_view *out)
{
    if (demux_is_vlan(type)) {
        struct wire tag = *w;
        uint16_t tci = wire_be16(&tag);
        if (!tag.bad) {
            *vlan = tci & 0x0fff;
        }
    }
    return decode_demux(w, DEMUX_ETHERTYPE, type, 0, out);
}

/* The IP version an address family stands for, or 0. */
static unsigned family_version(uint32_t family)
{
    switch (family) {
    case AF_V4:
        return 4;
    case AF_V6_LINUX:
    case AF_V6_BSD:
    case AF_V6_FREEBSD:
    case AF_V6_DARWIN:
        return 6;
    default:
        return 0;
    }
}

static enum decode_status null_loop(struct wire *w, bool network_order, struct packet_view *out)
{
    uint32_t family = network_order ? wire_be32(w) : wire_le32(w);
    if (w->bad) {
        return DECODE_TRUNCATED;
    }
    /* BSD null is in the capturing host's order, which we cannot know: a
     * family never exceeds 16 bits, so a larger value means the other order. */
    if (!network_order && family > 0xffff) {
        family = ((family & 0xff) << 24) | ((family & 0xff00) << 8) | ((family >> 8) & 0xff00) |
                 (family >> 24);
    }
    unsigned version = family_version(family);
    if (version == 0) {
        return DECODE_NOT_TCP;
    }
    return decode_demux(w, DEMUX_IP, version, 0, out);
}

static enum decode_status link_dispatch(int linktype, struct wire *w, int32_t *vlan,
                                        struct packet_view *out)
{
    struct wire hdr;
    switch (linktype) {
    case LINK_ETHERNET:
        hdr = wire_sub(w, ETH_HDR);
        wire_skip(&hdr, 12); /* MAC addresses */
        return hdr.bad ? DECODE_TRUNCATED : ethertype(w, wire_be16(&hdr), vlan, out);
    case LINK_SLL:
        hdr = wire_sub(w, SLL_HDR);
        wire_skip(&hdr, 14);
        return hdr.bad ? DECODE_TRUNCATED : ethertype(w, wire_be16(&hdr), vlan, out);
    case LINK_SLL2:
        hdr = wire_sub(w, SLL2_HDR);
        return hdr.bad ? DECODE_TRUNCATED : ethertype(w, wire_be16(&hdr), vlan, out);
    case LINK_RAW:
    case DLT_RAW_A:
    case DLT_RAW_B:
        return decode_demux(w, DEMUX_IP, 0, 0, out);
    case LINK_IPV4:
        return decode_demux(w, DEMUX_IP, 4, 0, out);
    case LINK_IPV6:
        return decode_demux(w, DEMUX_IP, 6, 0, out);
    case LINK_NULL:
        return null_loop(w, false, out);
    case LINK_LOOP:
        return null_loop(w, true, out);
    default:
        return DECODE_UNSUPPORTED;
    }
}

bool decode_link_supported(int linktype)
{
    switch (linktype) {
    case LINK_NULL:
    case LINK_ETHERNET:
    case DLT_RAW_A:
    case DLT_RAW_B:
    case LINK_RAW:
    case LINK_LOOP:
    case LINK_SLL:
    case LINK_IPV4:
    case LINK_IPV6:
    case LINK_SLL2:
        return true;
    default:
        return false;
    }
}

/*
 * For a frame whose IP header follows the link header directly (no VLAN tag,
 * MPLS or PPPoE): the IP version the link layer announces, with *at the
 * header's offset. 0 for every other frame.
 */
static unsigned plain_ip(int linktype, const uint8_t *data, size_t caplen, size_t *at)
{
    uint16_t type;
    switch (linktype) {
    case LINK_ETHERNET:
        if (caplen < ETH_HDR) {
            return 0;
        }
        type = wire_be16_at(data + 12);
        *at = ETH_HDR;
        break;
    case LINK_SLL:
        if (caplen < SLL_HDR) {
            return 0;
        }
        type = wire_be16_at(data + 14);
        *at = SLL_HDR;
        break;
    case LINK_SLL2:
        if (caplen < SLL2_HDR) {
            return 0;
        }
        type = wire_be16_at(data);
        *at = SLL2_HDR;
        break;
    default:
        return 0; /* raw IP and the loopback links take the general path */
    }
    return type == ETHERTYPE_IPV4 ? 4 : type == ETHERTYPE_IPV6 ? 6 : 0;
}

/*
 * decode_packet, with or without the shortcut for the plain frames nearly
 * every capture is made of (plain_ip, then ip_plain_tcp). Walking the layers
 * below TCP with cursors took about 180 instructions a packet; the shortcut
 * saves 120 of them (callgrind, bench trace).
 * wire_len is not needed: a capture cut by snaplen shows as an IP length
 * beyond the captured bytes, which ip.c turns into TCPQ_SNAPLEN_CUT.
 */
static enum decode_status decode_frame(int linktype, const uint8_t *data, size_t caplen,
                                       bool shortcut, struct packet_view *out)
{
    /* A copy of an empty view, not memset: gcc makes the memset a `rep stos`,
     * whose start-up cost shows on every packet, the copy a few vector moves.
     * Not the SYN facts at the end: only a SYN sets (and reads) them. */
    static const struct packet_view empty;
    memcpy(out, &empty, offsetof(struct packet_view, u.tcp.syn));
    int32_t vlan = -1;
    size_t at = 0;
    unsigned version = shortcut ? plain_ip(linktype, data, caplen, &at) : 0;
    enum decode_status st;
    if (version == 0 || !ip_plain_tcp(data + at, caplen - at, version, out, &st)) {
        struct wire w = wire_init(data, caplen);
        st = link_dispatch(linktype, &w, &vlan, out);
    }
    if (st != DECODE_OK) {
        return st;
    }
    if (out->kind == PACKET_TCP) {
        out->u.tcp.tuple.vlan = vlan;
    } else {
        out->u.icmp.quoted.vlan = vlan;
    }
    return DECODE_OK;
}

enum decode_status decode_packet(int linktype, const uint8_t *data, size_t caplen, size_t wire_len,
                                 struct packet_view *out)
{
    (void)wire_len;
    return decode_frame(linktype, data, caplen, true, out);
}

enum decode_status decode_packet_general(int linktype, const uint8_t *data, size_t caplen,
                                         struct packet_view *out)
{
    return decode_frame(linktype, data, caplen, false, out);
}
