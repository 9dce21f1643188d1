/*
 * icmp.h - ICMP and ICMPv6 errors that quote a TCP segment (icmp.c), called by ip.c.
 */
#ifndef TCPSHAKE_ICMP_H
#define TCPSHAKE_ICMP_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "wire.h"

/*
 * Decode the ICMP (ip_version 4) or ICMPv6 (6) message at w. claimed is the
 * length the IP header promises. On OK, out->kind is PACKET_ICMP_ERROR and
 * out->u.icmp is filled except quoted.vlan. Other ICMP, or an error quoting
 * something other than TCP, is NOT_TCP; an error whose quote the capture cut
 * short is TRUNCATED.
 */
enum decode_status icmp_decode(struct wire *w, size_t claimed, uint8_t ip_version,
                               struct packet_view *out);

#endif
