/*
 * icmp.c - ICMP and ICMPv6 errors that quote a TCP segment.
 *
 * Owns the error messages a router or host sends back about a segment
 * (destination unreachable, time exceeded ...): their type and code, and the
 * tuple and sequence number of the quoted segment, so the tracker can tie
 * the error to a connection. Echo and the rest are not ours (NOT_TCP).
 * Quoted IP headers are parsed with ip.c's helpers; ICMP quoted inside ICMP
 * is never decoded (only quoted TCP is accepted).
 *
 * ICMP error, RFC 792 (types 3, 4, 5, 11, 12; RFC 1191 puts the next-hop
 * MTU in the second word of type 3 code 4):
 *   | Type (8) | Code (8) | Checksum (16)                     |
 *   | unused / pointer / gateway / MTU (32)                   |
 *   | quoted IPv4 header + at least 64 bits of its payload    |
 *
 * ICMPv6 error, RFC 4443 3 (types 1 destination unreachable, 2 packet too
 * big, 3 time exceeded, 4 parameter problem):
 *   | Type (8) | Code (8) | Checksum (16)                     |
 *   | unused / MTU / pointer (32)                             |
 *   | as much of the invoking packet as fits the minimum MTU  |
 *
 * Of the quoted TCP header only the first 8 bytes are promised (RFC 792):
 * ports and sequence number. That is all we read.
 */
#include "icmp.h"

#include <string.h>

#include "ip.h"

enum {
    ICMP_HDR = 8,
    QUOTED_TCP = 8, /* source port, destination port, sequence number */
};

static bool is_error(uint8_t ip_version, uint8_t type)
{
    if (ip_version == 4) {
        return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
    }
    return type >= 1 && type <= 4;
}

/* The first 8 bytes of the quoted TCP header; TRUNCATED when they are not all there. */
static enum decode_status quoted_tcp(struct wire *w, struct icmp_view *v)
{
    struct wire q = wire_sub(w, QUOTED_TCP);
    if (q.bad) {
        return DECODE_TRUNCATED;
    }
    v->quoted.sport = wire_be16(&q);
    v->quoted.dport = wire_be16(&q);
    v->quoted_seq = wire_be32(&q);
    return DECODE_OK;
}

/*
 * Quoted IPv4 + TCP. The quoted total length is the original packet's and
 * usually exceeds the quote; it only has to leave room for 8 TCP bytes.
 */
static enum decode_status quoted_v4(struct wire *w, struct icmp_view *v)
{
    struct ip_v4_hdr h;
    enum decode_status st = ip_v4_header(w, &h);
    if (st != DECODE_OK) {
        return st == DECODE_TRUNCATED ? st : DECODE_NOT_TCP;
    }
    if (h.proto != IP_PROTO_TCP || h.frag_offset != 0 || h.total_len - h.hdr_len < QUOTED_TCP) {
        return DECODE_NOT_TCP;
    }
    v->quoted.ip_version = 4;
    memcpy(v->quoted.src, h.src, 4);
    memcpy(v->quoted.dst, h.dst, 4);
    return quoted_tcp(w, v);
}

/* Quoted IPv6 (+ extension headers) + TCP. */
static enum decode_status quoted_v6(struct wire *w, struct icmp_view *v)
{
    struct ip_v6_hdr h;
    enum decode_status st = ip_v6_header(w, &h);
    if (st != DECODE_OK) {
        return st == DECODE_TRUNCATED ? st : DECODE_NOT_TCP;
    }
    uint8_t nh = h.next_header;
    size_t claimed = wire_left(w); /* the quote, not the original length, bounds the walk */
    bool more_frags = false;
    st = ip_v6_skip_ext(w, &nh, &claimed, &more_frags);
    if (st != DECODE_OK) {
        /* MALFORMED here only means the quote ran out inside a header. */
        return st == DECODE_TRUNCATED || st == DECODE_MALFORMED ? DECODE_TRUNCATED : DECODE_NOT_TCP;
    }
    if (nh != IP_PROTO_TCP) {
        return DECODE_NOT_TCP;
    }
    v->quoted.ip_version = 6;
    memcpy(v->quoted.src, h.src, 16);
    memcpy(v->quoted.dst, h.dst, 16);
    return quoted_tcp(w, v);
}

enum decode_status icmp_decode(struct wire *w, size_t claimed, uint8_t ip_version,
                               struct packet_view *out)
{
    /* Short because the capture was cut (TRUNCATED) or because the message is (NOT_TCP). */
    enum decode_status short_st = wire_left(w) < claimed ? DECODE_TRUNCATED : DECODE_NOT_TCP;
    struct wire hdr = wire_sub(w, ICMP_HDR);
    if (hdr.bad) {
        return short_st;
    }
    struct icmp_view *v = &out->u.icmp;
    v->type = wire_u8(&hdr);
    v->code = wire_u8(&hdr);
    v->ip_version = ip_version;
    if (!is_error(ip_version, v->type)) {
        return DECODE_NOT_TCP;
    }
    /* An ICMPv4 error quotes IPv4 and an ICMPv6 error IPv6: no translation guesses. */
    enum decode_status st = ip_version == 4 ? quoted_v4(w, v) : quoted_v6(w, v);
    if (st == DECODE_TRUNCATED) {
        return short_st;
    }
    if (st == DECODE_OK) {
        out->kind = PACKET_ICMP_ERROR;
    }
    return st;
}
