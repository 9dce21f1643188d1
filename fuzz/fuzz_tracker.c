/*
 * fuzz_tracker.c - libFuzzer target for the connection tracker (bytes ->
 * segment sequence -> record), with invariant checks on every record.
 *
 * Input layout:
 *   bytes 0..7   ISN of endpoint A and of endpoint B (big-endian)
 *   then 12 bytes per segment:
 *     0  bit 0 direction (0 = A->B, 1 = B->A); bit 1 ICMP error instead of a
 *        segment (bit 2: ICMPv6-style type, bit 3: quote the other direction);
 *        bit 4 ACK-without-flag quirk; bit 5 bad-option quirk; bit 6 SYN
 *        option late quirk; bit 7 snaplen cut quirk
 *     1  TCP flags (low 8 bits); AE from byte 11 bit 7
 *     2-3  seq - ISN of the sender (signed 16-bit)
 *     4-5  ack - ISN of the receiver (signed 16-bit)
 *     6-7  payload length (big-endian)
 *     8  time delta in ms, signed (time may go backwards)
 *     9  window (scaled by 256 when byte 11 bit 6 is set)
 *     10 options: bit 0 MSS, bit 1 WS, bit 2 SACK-perm, bit 3 timestamps,
 *        bit 4 TFO, bits 5-7 TFO cookie length / 2
 *     11 bits 0-5 window-scale shift (may exceed 14), bit 6 big window, bit 7 AE
 *
 * TRACK_NEW_CONNECTION is handled as the engine does: finish (REUSED),
 * re-init, feed the segment again. Any broken invariant aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "tracker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEG_BYTES 12
#define MAX_SEGS  512

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

/* Abort with the broken invariant named, so a crash report says which. */
#define check(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static int known_state(const char *s)
{
    static const char *const states[] = { "S0",   "S1", "SF",     "REJ",   "S2",  "S3", "RSTO",
                                          "RSTR", "SH", "RSTOS0", "RSTRH", "SHR", "OTH" };
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
        if (strcmp(s, states[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static int nul_within(const char *s, size_t n)
{
    return memchr(s, '\0', n) != NULL;
}

static int time_ok(int64_t t)
{
    return t == TCPSHAKE_NO_TIME || t >= 0;
}

/* What the harness fed to one connection, to compare with the record. */
struct fed {
    uint64_t packets;
    uint64_t payload;
};

static void check_record(const struct tcpshake_record *r, const struct fed *f)
{
    check((unsigned)r->outcome < TCPSHAKE_OUTCOME_COUNT);
    check((unsigned)r->end < TCPSHAKE_END_COUNT);
    check((unsigned)r->tfo < TCPSHAKE_TFO_COUNT);
    check((unsigned)r->rtt_rule < TCPSHAKE_RTT_COUNT);
    check((unsigned)r->first_fin < TCPSHAKE_WHO_COUNT);
    check((unsigned)r->rst_by < TCPSHAKE_WHO_COUNT);
    check(time_ok(r->server_side_ns));
    check(time_ok(r->client_side_ns));
    check(time_ok(r->handshake_ns));
    if (r->server_side_ns != TCPSHAKE_NO_TIME && r->client_side_ns != TCPSHAKE_NO_TIME) {
        check(r->handshake_ns == r->server_side_ns + r->client_side_ns);
    } else {
        check(r->handshake_ns == TCPSHAKE_NO_TIME);
    }
    check((r->rtt_rule == TCPSHAKE_RTT_NONE) ==
          (r->server_side_ns == TCPSHAKE_NO_TIME && r->client_side_ns == TCPSHAKE_NO_TIME));
    check(r->duration_ns >= 0);
    check(r->last_ns >= r->first_ns);
    check(r->n_syn_gaps <= TCPSHAKE_MAX_GAPS);
    check(r->n_synack_gaps <= TCPSHAKE_MAX_GAPS);
    check(nul_within(r->zeek_state, sizeof(r->zeek_state)));
    check(known_state(r->zeek_state));
    check(nul_within(r->zeek_history, sizeof(r->zeek_history)));
    check(strlen(r->zeek_history) <= ZEEK_HISTORY_MAX);
    for (const char *h = r->zeek_history; *h != '\0'; h++) {
        if (strchr("SHADFRIQTWCG^shadfriqtwcg", *h) == NULL) {
            fprintf(stderr, "history \"%s\": unknown letter\n", r->zeek_history);
            abort();
        }
    }
    check((r->anomalies >> TCPSHAKE_ANOMALY_BITS) == 0);
    check(r->client.packets + r->server.packets == f->packets);
    check(r->client.payload_bytes + r->server.payload_bytes == f->payload);
    check(r->client.wscale >= -1 && r->server.wscale >= -1);
    if (r->outcome != TCPSHAKE_OUTCOME_MIDSTREAM && r->outcome != TCPSHAKE_OUTCOME_NO_SYN &&
        r->outcome != TCPSHAKE_OUTCOME_SIMULTANEOUS_OPEN) {
        check(!r->roles_inferred);
        check(r->n_syn >= 1);
    }
    if (r->outcome == TCPSHAKE_OUTCOME_ICMP_REJECTED) {
        check(r->icmp_ns != 0);
    }
}

static void set_tuple(struct flow_tuple *t, int from_b)
{
    static const uint8_t a[16] = { 10, 0, 0, 1 }, b[16] = { 10, 0, 0, 2 };
    memset(t, 0, sizeof(*t));
    memcpy(t->src, from_b ? b : a, 16);
    memcpy(t->dst, from_b ? a : b, 16);
    t->sport = from_b ? 80 : 40000;
    t->dport = from_b ? 40000 : 80;
    t->ip_version = 4;
    t->vlan = -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8) {
        return 0;
    }
    uint32_t isn[2] = { be32(data), be32(data + 4) };
    data += 8;
    size -= 8;
    size_t nseg = size / SEG_BYTES;
    if (nseg > MAX_SEGS) {
        nseg = MAX_SEGS;
    }
    struct conn *c = malloc(sizeof(*c));
    if (c == NULL) {
        return 0;
    }
    memset(c, 0, sizeof(*c));
    struct tcpshake_record rec = { 0 };
    struct fed fed = { 0, 0 };
    uint64_t ts = 1700000000ull * 1000000000ull;
    uint64_t id = 0;
    int started = 0;

    for (size_t i = 0; i < nseg; i++) {
        const uint8_t *s = data + i * SEG_BYTES;
        int dir = s[0] & 1;
        ts += (uint64_t)((int64_t)(int8_t)s[8] * 1000000);
        if (s[0] & 2) {
            if (!started) {
                continue;
            }
            struct icmp_view ic;
            memset(&ic, 0, sizeof(ic));
            ic.ip_version = (s[0] & 4) ? 6 : 4;
            ic.type = (s[0] & 4) ? 1 : 3;
            ic.code = s[1] & 15;
            set_tuple(&ic.quoted, (s[0] & 8) ? !dir : dir);
            ic.quoted_seq = isn[dir] + (uint32_t)(int32_t)(int16_t)be16(s + 2);
            tracker_icmp(c, &ic, ts);
            continue;
        }
        struct tcp_view v;
        memset(&v, 0, sizeof(v));
        set_tuple(&v.tuple, dir);
        v.ttl = 64;
        v.flags = (uint16_t)(s[1] | ((s[11] & 0x80) ? TCP_AE : 0));
        v.seq = isn[dir] + (uint32_t)(int32_t)(int16_t)be16(s + 2);
        v.ack = isn[!dir] + (uint32_t)(int32_t)(int16_t)be16(s + 4);
        v.payload_len = be16(s + 6);
        v.ip_len = 40 + v.payload_len;
        v.window = (uint16_t)((s[11] & 0x40) ? s[9] << 8 : s[9]);
        v.quirks = ((s[0] & 0x10) ? TCPQ_ACK_NO_FLAG : 0) | ((s[0] & 0x20) ? TCPQ_BAD_OPTION : 0) |
                   ((s[0] & 0x40) ? TCPQ_SYN_OPT_LATE : 0) | ((s[0] & 0x80) ? TCPQ_SNAPLEN_CUT : 0);
        v.opt.wscale = -1;
        if (s[10] & 1) {
            v.opt.mss = 1460;
        }
        if (s[10] & 2) {
            v.opt.wscale = (int8_t)(s[11] & 0x3f);
        }
        v.opt.sack_permitted = (s[10] & 4) != 0;
        if (s[10] & 8) {
            v.opt.timestamps = true;
            v.opt.tsval = (uint32_t)ts;
            v.opt.tsecr = isn[!dir];
        }
        if (s[10] & 16) {
            v.opt.tfo = true;
            v.opt.tfo_cookie_len = (uint8_t)(((s[10] >> 5) & 7) * 2);
        }
        if (!started) {
            tracker_init(c, &v.tuple, ++id, ts);
            started = 1;
        }
        if (tracker_segment(c, &v, ts) == TRACK_NEW_CONNECTION) {
            tracker_finish(c, TCPSHAKE_END_REUSED, &rec);
            check_record(&rec, &fed);
            tracker_init(c, &v.tuple, ++id, ts);
            fed.packets = fed.payload = 0;
            check(tracker_segment(c, &v, ts) == TRACK_OK);
        }
        fed.packets++;
        fed.payload += v.payload_len;
        check((unsigned)tracker_class(c) < FLOW_CLASS_COUNT);
    }
    if (started) {
        tracker_finish(c, (data[0] & 1) ? TCPSHAKE_END_IDLE : TCPSHAKE_END_OPEN, &rec);
        check_record(&rec, &fed);
    }
    free(c);
    return 0;
}
