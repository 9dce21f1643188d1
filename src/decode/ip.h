/*
 * ip.h - IPv4 and IPv6 decoding (ip.c): the packet decoder, reached through
 * the demultiplexer (demux.c), and the header readers, which the ICMP
 * decoder also uses on the IP header quoted inside an error (icmp.c).
 */
#ifndef TCPSHAKE_IP_H
#define TCPSHAKE_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "wire.h"

/* IANA protocol numbers we act on. */
enum {
    IP_PROTO_ICMP = 1,
    IP_PROTO_IPIP = 4, /* IPv4 in IP, RFC 2003 */
    IP_PROTO_TCP = 6,
    IP_PROTO_UDP = 17,
    IP_PROTO_IPV6 = 41, /* IPv6 in IP, RFC 4213 */
    IP_PROTO_GRE = 47,
    IP_PROTO_ICMPV6 = 58,
};

/* The fixed part of an IPv4 header (RFC 791 3.1), host order. */
struct ip_v4_hdr {
    size_t hdr_len;       /* IHL * 4, options included */
    uint16_t total_len;   /* header + payload, as the header says (but see len_zero) */
    bool len_zero;        /* the header said 0 (TSO): total_len is the captured length */
    uint16_t frag_offset; /* in 8-byte units */
    bool more_frags;      /* MF flag */
    bool dont_frag;       /* DF flag */
    bool reserved_flag;   /* the flag bit that must be zero */
    uint8_t tos;          /* TOS / DSCP + ECN */
    uint16_t id;          /* identification */
    uint8_t ttl;
    uint8_t proto;
    uint8_t src[4];
    uint8_t dst[4];
};

/* The fixed IPv6 header (RFC 8200 3), host order. */
struct ip_v6_hdr {
    uint8_t traffic_class;
    uint32_t flow_label;
    uint16_t payload_len; /* 0 in a jumbogram */
    uint8_t next_header;
    uint8_t hop_limit;
    uint8_t src[16];
    uint8_t dst[16];
};

/*
 * Read an IPv4 header and its options, leaving w at the payload. Checks the
 * version, IHL >= 5 and total length >= IHL * 4 (else MALFORMED), and that
 * the whole header was captured (else TRUNCATED). Does not trim w. A total
 * length of 0 is what a capture of a TCP segmentation offload shows (the
 * NIC fills the length in later): as Zeek does, the captured length stands
 * in for it (at most 65535) and len_zero is set.
 */
enum decode_status ip_v4_header(struct wire *w, struct ip_v4_hdr *h);

/* Read the 40-byte IPv6 header: MALFORMED on a wrong version, TRUNCATED when short. */
enum decode_status ip_v6_header(struct wire *w, struct ip_v6_hdr *h);

/*
 * Walk IPv6 extension headers (RFC 8200 4) starting at protocol *nh, at most
 * 16 of them. On DECODE_OK, *nh is the upper-layer protocol, w stands at its
 * first byte and *claimed (bytes the IP length promises from w onwards) has
 * shrunk by what was walked; *more_frags tells whether a fragment header with
 * M=1 was passed. Fails with MALFORMED (a length beyond *claimed), TRUNCATED
 * (beyond the capture), FRAGMENT (non-first fragment), NOT_TCP (a non-first
 * fragment of something that cannot carry TCP, UDP included) or UNSUPPORTED
 * (chain too long).
 */
enum decode_status ip_v6_skip_ext(struct wire *w, uint8_t *nh, size_t *claimed, bool *more_frags);

/*
 * The common case read straight from the bytes, without walking cursors: an
 * IPv4 header without options (not a fragment) or an IPv6 header with TCP
 * right behind it, carrying TCP, the whole IP packet in the len bytes at p.
 * version is the one the link layer announced. On true, *st and *out are
 * exactly what ip_decode gives (tests and the fuzzer compare the two); false
 * (nothing written to *st): not that case, use ip_decode.
 */
bool ip_plain_tcp(const uint8_t *p, size_t len, unsigned version, struct packet_view *out,
                  enum decode_status *st);

/*
 * Decode an IP packet at w, inside depth tunnel layers (0 at the outermost),
 * into *out: TCP segments and ICMP errors quoting TCP; a tunnel payload goes
 * to tunnel.c. version is 4 or 6, or 0 to take it from the first nibble.
 * Called by demux.c (decode_demux with DEMUX_IP).
 */
enum decode_status ip_decode(struct wire *w, unsigned version, unsigned depth,
                             struct packet_view *out);

#endif
