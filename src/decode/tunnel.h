/*
 * tunnel.h - tunnel decapsulation (tunnel.c), called by ip.c, so that the
 * innermost TCP segment is the one decoded: IP in IP, GRE, and the UDP
 * tunnels GTP-U, VXLAN, Geneve and Teredo.
 */
#ifndef TCPSHAKE_TUNNEL_H
#define TCPSHAKE_TUNNEL_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "wire.h"

/*
 * Tunnel layers walked. depth counts the tunnel headers already passed; a
 * packet that would enter one more layer than this is DECODE_UNSUPPORTED,
 * as a VLAN or MPLS stack deeper than link.c walks is.
 */
enum { TUNNEL_CAP = 4 };

/* An IPv4 (IP protocol 4) or IPv6 (41) packet carried directly in IP (RFC 2003, RFC 4213). */
enum decode_status tunnel_ip(struct wire *w, unsigned version, unsigned depth,
                             struct packet_view *out);

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

/*
 * Defined in link.c: an Ethernet frame inside a tunnel (VXLAN, Geneve, GRE
 * bridging, ERSPAN). Its VLAN tags are walked but not recorded: the view
 * keeps the outermost frame's VLAN.
 */
enum decode_status link_ether_inner(struct wire *w, unsigned depth, struct packet_view *out);

#endif
