/*
 * tcp.c - the TCP header and the options a handshake analyser needs.
 *
 * Owns the transport layer of a segment: ports, sequence and acknowledgment
 * numbers, flags, window, the option walk and the quirks (odd but legal
 * things, kept as data). Addresses, TTL and lengths come from ip.c.
 *
 * TCP header, RFC 9293 3.1 (AE is the former NS bit, RFC 3540 / AccECN):
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-------------------------------+-------------------------------+
 *   |          Source Port          |       Destination Port        |
 *   +-------------------------------+-------------------------------+
 *   |                        Sequence Number                        |
 *   |                    Acknowledgment Number                      |
 *   +-------+-----+-+-+-+-+-+-+-+-+-+-------------------------------+
 *   |  Data |Rsrvd|A|C|E|U|A|P|R|S|F|                               |
 *   | Offset|     |E|W|C|R|C|S|S|Y|I|            Window             |
 *   |       |     | |R|E|G|K|H|T|N|N|                               |
 *   +-------+-----+-+-+-+-+-+-+-+-+-+-------------------------------+
 *   |           Checksum            |         Urgent Pointer        |
 *   |                 Options (data offset > 5) ...                 |
 *
 * Options, RFC 9293 3.2: kind 0 end of list, kind 1 no-operation, every other
 * kind is | kind | length (counting kind and length) | data |.
 *   2  MSS, length 4                    RFC 9293 3.2
 *   3  window scale, length 3           RFC 7323 2.2
 *   4  SACK permitted, length 2         RFC 2018 2
 *   5  SACK blocks                      RFC 2018 3
 *   8  timestamps, length 10            RFC 7323 3.2
 *   34 Fast Open cookie, length 2..18   RFC 7413 4.1.1
 *   254 experimental with ExID 0xF989: the Fast Open option before kind 34
 *      was assigned (RFC 6994 layout: kind, length, 2-byte ExID, cookie).
 */
#include "tcp.h"

#include <stdint.h>
#include <string.h>

enum {
    TCP_MIN_HDR = 20,
    OPT_EOL = 0,
    OPT_NOP = 1,
    OPT_MSS = 2,
    OPT_WSCALE = 3,
    OPT_SACK_PERM = 4,
    OPT_SACK = 5,
    OPT_TIMESTAMP = 8,
    OPT_TFO = 34,
    OPT_EXP = 254,
    TFO_EXID = 0xF989,
};

/* One option's data (length bytes minus kind and length) into t. */
static void option(struct tcp_view *t, uint8_t kind, struct wire *data)
{
    size_t len = wire_left(data);
    struct tcp_options *o = &t->opt;
    bool syn_only = false;

    switch (kind) {
    case OPT_MSS:
        if (len == 2) {
            o->mss = wire_be16(data);
            syn_only = true;
        }
        break;
    case OPT_WSCALE:
        if (len == 1) {
            uint8_t shift = wire_u8(data);
            o->wscale = (int8_t)(shift > INT8_MAX ? INT8_MAX : shift); /* keep > 14 visible */
            syn_only = true;
        }
        break;
    case OPT_SACK_PERM:
        if (len == 0) {
            o->sack_permitted = true;
            syn_only = true;
        }
        break;
    case OPT_TIMESTAMP:
        if (len == 8) {
            o->timestamps = true;
            o->tsval = wire_be32(data);
            o->tsecr = wire_be32(data);
        }
        break;
    case OPT_TFO:
        o->tfo = true;
        o->tfo_cookie_len = (uint8_t)len;
        break;
    case OPT_EXP:
        if (len >= 2 && wire_be16(data) == TFO_EXID) {
            o->tfo = true;
            o->tfo_cookie_len = (uint8_t)(len - 2);
        }
        break;
    default: /* SACK blocks and the rest: nothing the handshake needs */
        break;
    }
    if (syn_only && (t->flags & TCP_SYN) == 0) {
        t->quirks |= TCPQ_SYN_OPT_LATE; /* RFC 9293 3.7.1, RFC 7323 2.2, RFC 2018 2 */
    }
}

/*
 * Walk the options area. Every pass consumes at least one byte, so the walk
 * ends within 40 passes. A length below 2 or past the area ends it with
 * TCPQ_BAD_OPTION; what was parsed before stays.
 */
static void walk_options(struct wire *w, struct tcp_view *t)
{
    /* After the handshake Linux puts NOP, NOP, timestamps on every segment:
     * that layout is read at once, anything else is walked. */
    static const uint8_t nop_nop_ts[4] = { OPT_NOP, OPT_NOP, OPT_TIMESTAMP, 10 };
    if (wire_left(w) == 12 && memcmp(w->p, nop_nop_ts, sizeof(nop_nop_ts)) == 0) {
        wire_skip(w, sizeof(nop_nop_ts));
        t->opt.timestamps = true;
        t->opt.tsval = wire_be32(w);
        t->opt.tsecr = wire_be32(w);
        return;
    }
    while (wire_left(w) > 0) {
        uint8_t kind = wire_u8(w);
        if (kind == OPT_EOL) {
            return;
        }
        if (kind == OPT_NOP) {
            continue;
        }
        size_t len = wire_u8(w);
        if (w->bad || len < 2 || len - 2 > wire_left(w)) {
            t->quirks |= TCPQ_BAD_OPTION;
            return;
        }
        struct wire data = wire_sub(w, len - 2);
        option(t, kind, &data);
    }
}

enum decode_status tcp_decode(struct wire *w, size_t claimed, struct tcp_view *t)
{
    if (claimed < TCP_MIN_HDR) {
        return DECODE_MALFORMED; /* the IP length leaves no room for a TCP header */
    }
    struct wire fixed = wire_sub(w, TCP_MIN_HDR);
    if (fixed.bad) {
        return DECODE_TRUNCATED;
    }
    t->tuple.sport = wire_be16(&fixed);
    t->tuple.dport = wire_be16(&fixed);
    t->seq = wire_be32(&fixed);
    t->ack = wire_be32(&fixed);
    uint8_t off_ae = wire_u8(&fixed);
    uint8_t flags = wire_u8(&fixed);
    t->window = wire_be16(&fixed);
    wire_skip(&fixed, 4); /* checksum, urgent pointer (read below for a SYN) */

    size_t hdr_len = (size_t)(off_ae >> 4) * 4;
    if (hdr_len < TCP_MIN_HDR || hdr_len > claimed) {
        return DECODE_MALFORMED;
    }
    /* The header is consistent with the IP length, so options cut short are a
     * snaplen cut, not a lie: keep the fixed header and walk what was captured
     * (Zeek and tshark analyse such segments too). */
    size_t opt_len = hdr_len - TCP_MIN_HDR;
    bool opts_cut = opt_len > wire_left(w);
    struct wire opts = wire_sub(w, opts_cut ? wire_left(w) : opt_len);
    t->flags = (uint16_t)(flags | ((off_ae & 1u) << 8));
    if (flags & TCP_SYN) {
        /* The fingerprint's raw material; the IP layer adds its part. */
        size_t n = wire_left(&opts);
        if (n > 0) {
            memcpy(t->syn.opt, opts.p, n);
        }
        t->syn.opt_len = (uint8_t)n;
        t->syn.tcp_hdr_len = (uint8_t)hdr_len;
        t->syn.urg_ptr = wire_be16_at(fixed.p - 2); /* fixed: all 20 bytes were there */
    }
    size_t payload_len = claimed - hdr_len; /* from the IP length, even when cut short */
    t->payload_len = payload_len > UINT32_MAX ? UINT32_MAX : (uint32_t)payload_len;
    t->quirks = 0;
    memset(&t->opt, 0, sizeof(t->opt));
    t->opt.wscale = -1;
    walk_options(&opts, t);
    if (opts_cut) {
        /* An option running past the capture is cut, not bad. */
        t->quirks = (t->quirks & ~(uint32_t)TCPQ_BAD_OPTION) | TCPQ_SNAPLEN_CUT;
    }
    /* What was captured of the payload; link-layer padding past the IP length is not. */
    size_t got = w->left < payload_len ? w->left : payload_len; /* both below 2^32 */
    t->payload_cap = (uint32_t)got;
    t->payload = got > 0 ? w->p : NULL;
    if (t->ack != 0 && (t->flags & TCP_ACK) == 0) {
        t->quirks |= TCPQ_ACK_NO_FLAG;
    }
    return DECODE_OK;
}
