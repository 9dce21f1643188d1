/*
 * demux.h - the one way from a layer to the next (demux.c): given the
 * number space a header names its payload in, the number, and a cursor at
 * tunnel depth d, decode_demux hands the payload to the right decoder.
 * Every layer decoder that carries another one calls in here: link.c
 * (link headers), tunnel.c (tunnel headers), ip.c (IP in IP, via tunnel.c),
 * and demux.c itself for VLAN, MPLS and PPPoE shims.
 */
#ifndef TCPSHAKE_DEMUX_H
#define TCPSHAKE_DEMUX_H

#include "decode.h"
#include "wire.h"

/* The spaces a header names its payload in. */
enum demux_space {
    DEMUX_IP,        /* an IP version: 4, 6, or 0 to read it from the first nibble */
    DEMUX_ETHERTYPE, /* an EtherType: IPv4, IPv6, 802.1Q/ad tags, MPLS, PPPoE */
    DEMUX_PPP,       /* a PPP protocol number (RFC 1661 2): IPv4, IPv6 */
    DEMUX_ETHERNET,  /* an Ethernet frame (the number is unused) */
};

/* EtherTypes (IEEE 802) and PPP protocol numbers the decoders name. */
enum {
    ETHERTYPE_IPV4 = 0x0800,
    ETHERTYPE_IPV6 = 0x86dd,
    ETHERTYPE_VLAN = 0x8100,
    ETHERTYPE_QINQ = 0x88a8,
    ETHERTYPE_QINQ_OLD = 0x9100,
    ETHERTYPE_MPLS = 0x8847,
    ETHERTYPE_MPLS_MC = 0x8848,
    ETHERTYPE_PPPOE = 0x8864,
    PPP_IPV4 = 0x0021,
    PPP_IPV6 = 0x0057,
};

/*
 * Tunnel layers walked. depth counts the tunnel headers already passed; a
 * packet that would enter one more layer than this is DECODE_UNSUPPORTED,
 * as a VLAN or MPLS stack deeper than demux.c walks is.
 */
enum { TUNNEL_CAP = 4 };

/* Decode the payload at w, named type in space, at the same tunnel depth. */
enum decode_status decode_demux(struct wire *w, enum demux_space space, unsigned type,
                                unsigned depth, struct packet_view *out);

/* decode_demux for the payload of a tunnel header: one layer deeper, bounded by TUNNEL_CAP. */
enum decode_status decode_tunnel(struct wire *w, enum demux_space space, unsigned type,
                                 unsigned depth, struct packet_view *out);

/* True for the EtherTypes of an 802.1Q / 802.1ad tag. */
static inline bool demux_is_vlan(uint16_t type)
{
    return type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD;
}

#endif
