/*
 * tunnel.h - tunnel decapsulation (tunnel.c), called by ip.c, so that the
 * innermost TCP segment is the one decoded: GRE, and the UDP tunnels GTP-U,
 * VXLAN, Geneve and Teredo. Each enters its payload through the
 * demultiplexer (decode_tunnel, demux.h), one layer deeper. IP in IP has no
 * header of its own: ip.c enters the inner packet itself.
 */
#ifndef TCPSHAKE_TUNNEL_H
#define TCPSHAKE_TUNNEL_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "wire.h"

/*
 * A GRE packet (IP protocol 47) at w, w trimmed to the IP payload. Carries
 * IPv4, IPv6, Ethernet (transparent bridging) or ERSPAN; PPTP's enhanced GRE
 * (version 1) carries PPP. Another payload is NOT_TCP.
 */
enum decode_status tunnel_gre(struct wire *w, unsigned depth, struct packet_view *out);

/*
 * A UDP datagram at w, w trimmed to the IP payload. The UDP ports pick the
 * tunnel: GTP-U 2152 (either port), VXLAN 4789 and Geneve 6081 (destination
 * port), Teredo 3544 (either port). Any other datagram is NOT_TCP.
 */
enum decode_status tunnel_udp(struct wire *w, unsigned depth, struct packet_view *out);

#endif
