/*
 * zeek.h - Zeek's conn.log conn_state and history for one TCP connection.
 *
 * A struct zeek_conn watches the segments of one connection and decides, as
 * Zeek (6.x/7.x) would, who the originator is (including Zeek's role flips,
 * the '^' history letter), the per-endpoint TCP states behind conn_state,
 * the history letters and the sequence-number based byte counts that Zeek
 * logs as orig_bytes / resp_bytes.
 *
 * The caller does not need to know Zeek's roles: it only says whether a
 * segment came from the endpoint that sent the connection's first captured
 * packet (from_first). Zeek's originator may be either endpoint.
 *
 * Zeek also ends connections on timers (an unanswered SYN after 5 s, 5 s after
 * a close or reset, idle timeouts) and when a new SYN reuses the 4-tuple;
 * later packets then start a new conn.log row. zeek_restart_due() tells the
 * caller that this is about to happen so it can report the current row
 * first. If the caller ignores it, zeek_segment() restarts by itself and the
 * results describe Zeek's latest row for the 4-tuple.
 *
 * All functions are pure computations on caller-owned storage: no
 * allocation, no globals, never fail.
 */
#ifndef TCPSHAKE_ZEEK_H
#define TCPSHAKE_ZEEK_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"

/* Longest history kept; Zeek keeps more, we cut (see zeek.c). */
#define ZEEK_HISTORY_MAX 19

/* One endpoint as Zeek's TCP_Endpoint sees it; internal to zeek.c. */
struct zeek_ep {
    uint32_t start_seq; /* ISN, or first seq - 1 when no SYN was seen */
    uint32_t last_seq;  /* one past the highest sequence number sent */
    uint32_t ack_seq;   /* highest sequence number the peer acknowledged */
    uint32_t hist_syn;  /* relative seq of the last SYN (repeat letters only on new seq) */
    uint32_t hist_fin;  /* relative seq at the end of the last FIN */
    uint32_t hist_rst;  /* relative seq of the last RST */
    uint16_t n_rxmt;    /* retransmissions, saturating ('T' at 1, 10, 100 ...) */
    uint16_t n_win0;    /* zero windows offered, saturating ('W' likewise) */
    uint8_t seq_wraps;  /* times last_seq wrapped around 2^32, saturating */
    uint8_t ack_wraps;  /* times ack_seq wrapped around 2^32, saturating */
    uint8_t states;     /* state in the low nibble, previous state in the high one */
    uint8_t flags;      /* FIN seen, close reported */
};

/* Zeek's view of one connection: 96 bytes, no pointers; all zero is zeek_init's
 * empty state. */
struct zeek_conn {
    struct zeek_ep ep[2]; /* [0] sent the caller's first packet, [1] the other side */
    uint64_t last_ns;     /* Zeek's Connection::LastTime, in ns */
    uint64_t deadline_ns; /* when the pending attempt or delete timer fires */
    uint32_t bits;        /* history masks, role and timer flags, history length */
    uint8_t hist[12];     /* history letters, 5-bit codes packed */
};

/* Start empty (also valid for reuse after zeek_result). */
void zeek_init(struct zeek_conn *z);

/* Bit of zeek_conn.bits: zeek_turn_off was called. */
#define ZEEK_OFF (1u << 26)

/*
 * For a caller that shows nothing of Zeek's view (an empty z, just after
 * zeek_init): zeek_segment then returns at once, and z stays empty.
 */
static inline void zeek_turn_off(struct zeek_conn *z)
{
    z->bits |= ZEEK_OFF;
}

static inline bool zeek_is_off(const struct zeek_conn *z)
{
    return (z->bits & ZEEK_OFF) != 0;
}

/*
 * True when Zeek would have ended the current row before this segment: one
 * of its timers fired, or the segment is a SYN that Zeek treats as reuse of
 * the 4-tuple. Call before zeek_segment() if rows must be split like Zeek's.
 */
bool zeek_restart_due(const struct zeek_conn *z, bool from_first, const struct tcp_view *v,
                      uint64_t ts_ns);

/*
 * Feed one segment. from_first: sent by the endpoint that sent the
 * connection's first captured packet. v is only read during the call.
 */
void zeek_segment(struct zeek_conn *z, bool from_first, const struct tcp_view *v, uint64_t ts_ns);

/*
 * Zeek's conn_state ("S0", "SF", "REJ" ... "" before any segment) and history
 * (at most ZEEK_HISTORY_MAX letters), both NUL-terminated. *flipped is true
 * when Zeek's originator is the endpoint that did NOT send the first packet.
 */
void zeek_result(const struct zeek_conn *z, char state[8], char history[32], bool *flipped);

/*
 * Zeek's orig_bytes and resp_bytes (TCP_Endpoint::Size: sequence space
 * covered, SYN and FIN excluded). conn.log prints them only when the
 * connection's duration is above zero.
 */
void zeek_sizes(const struct zeek_conn *z, uint64_t *orig_bytes, uint64_t *resp_bytes);

#endif
