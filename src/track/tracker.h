/*
 * tracker.h - the connection observer: one TCP connection watched from the
 * wire, as RFC 9293 describes the two ends, and turned into a record.
 *
 * The tracker owns the decisions: who is the client, whether a SYN-ACK or an
 * ACK really answers the other side's ISN, retransmitted SYNs and SYN-ACKs,
 * simultaneous open, RST validity, FIN and their acknowledgements, and the
 * times that matter. It does no lookups and no allocation; the engine
 * (tcpshake.c) finds the connection and hands it each segment.
 */
#ifndef TCPSHAKE_TRACKER_H
#define TCPSHAKE_TRACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "flowtab.h"
#include "p0f.h"
#include "tcpshake.h"
#include "zeek.h"

/* Where the opening handshake stands. */
enum hs_phase {
    HS_NONE,        /* nothing but mid-stream segments so far */
    HS_SYN,         /* client SYN seen, no valid SYN-ACK yet */
    HS_SYNACK,      /* valid SYN-ACK seen, final ACK not yet */
    HS_ESTABLISHED, /* final ACK seen (or proven by later traffic) */
    HS_REFUSED,     /* RST answered the SYN */
};

/*
 * Per-endpoint state. It holds what nearly every segment updates (the record's
 * volume counters among it): together with the flow table's part and the Zeek
 * state this is the hot part of a connection, a few cache lines that each
 * packet touches. tracker_finish copies the counters into the record.
 */
struct track_side {
    uint64_t packets;          /* record: tcpshake_side.packets ... */
    uint64_t payload_bytes;    /* ... payload_bytes */
    uint64_t ip_bytes;         /* ... ip_bytes */
    uint64_t first_payload_ns; /* ... first_payload_ns */
    uint32_t retransmits;      /* ... retransmits */
    uint32_t snd_max;          /* highest sequence number sent + 1 (incl. SYN/FIN) */
    uint32_t fin_seq;          /* sequence number of this side's FIN */
    uint32_t ack_max;          /* highest ACK number sent */
    uint16_t window_max;       /* largest raw window advertised (valid with seq_known) */
    bool seq_known;            /* snd_max is valid */
    bool ack_known;            /* ack_max is valid */
    bool fin_seen;
    bool fin_acked; /* record: tcpshake_side.fin_acked */
};

/* One side's handshake and teardown facts for the record; its counters are in
 * track_side, and tracker_finish puts the two together as a tcpshake_side. */
struct side_facts {
    uint8_t addr[16];
    uint16_t port;
    bool syn_seen;
    int8_t wscale;
    uint32_t isn;
    uint32_t tsval;
    uint32_t tsecr;
    uint16_t mss;
    uint16_t initial_window;
    uint8_t ttl;
    bool sack_permitted;
    bool timestamps;
    bool rst_in_window;
    uint8_t rst_ttl;
    uint64_t fin_ns;
    uint64_t rst_ns;
    struct p0f_facts p0f; /* of the SYN / SYN-ACK the rest was taken from */
};

/* The record's fields that tracking sets (named as in tcpshake_record). The
 * rest, outcome, latencies, Zeek state and the like, tracker_finish derives:
 * keeping the whole 600-byte record per connection cost memory for nothing. */
struct conn_facts {
    uint64_t id;
    uint64_t first_ns;
    uint64_t syn_ns;
    uint64_t syn_last_ns;
    uint64_t synack_ns;
    uint64_t synack_last_ns;
    uint64_t ack_ns;
    uint64_t icmp_ns;
    int64_t syn_gaps_ns[TCPSHAKE_MAX_GAPS];
    int64_t synack_gaps_ns[TCPSHAKE_MAX_GAPS];
    struct side_facts ep[2]; /* [0] = endpoint A, [1] = B; tracker_finish maps them to
                                the record's client and server */
    int32_t vlan;
    uint32_t n_syn;
    uint32_t n_synack;
    uint32_t n_syn_gaps;
    uint32_t n_synack_gaps;
    uint32_t anomalies;
    enum tcpshake_tfo tfo;
    uint8_t ip_version;
    uint8_t icmp_type;
    uint8_t icmp_code;
    uint8_t first_flags;
    uint8_t first_ep; /* 0 = A, 1 = B: who sent the first segment; 2 = no segment */
    bool half_close;
};

/*
 * One connection (832 bytes): the hot part first, what a mid-connection
 * segment reads and writes (312 bytes, five cache lines); then the facts and
 * the handshake bookkeeping, which only the handshake, the teardown and
 * tracker_finish touch. The engine prefetches TRACKER_HOT_BYTES of each
 * connection ahead of its packet. (It used to carry the whole public record,
 * 880 bytes a connection, about ten of its lines touched by every segment.)
 */
struct conn {
    _Alignas(64) struct flow_link link; /* must stay first: the flow table's part; each
                                           connection starts a cache line */
    struct track_side side[2];          /* [0] = A (the first packet's sender), [1] = B */
    struct zeek_conn zeek;
    uint64_t last_ns;   /* record: last_ns */
    uint8_t a_addr[16]; /* endpoint A: which side a segment comes from */
    uint16_t a_port;
    uint8_t phase;          /* enum hs_phase */
    uint8_t client;         /* 0 = A, 1 = B: which endpoint is the client */
    uint8_t first_fin_ep;   /* 0 = A, 1 = B, 2 = no FIN yet */
    uint8_t sim_acked;      /* simultaneous open: bit ep set when ep acked the peer's SYN */
    bool roles_known;       /* a SYN or SYN-ACK decided the roles */
    bool syn_seen;          /* the client's SYN was captured */
    bool simultaneous;      /* both sides sent a bare SYN */
    bool icmp_rejected;     /* destination unreachable quoting the client's SYN */
    bool rst_in_handshake;  /* RST while the handshake was in progress */
    bool rst_closed;        /* a RST the receiver could have accepted was seen */
    bool server_responded;  /* server_resp_ns is set */
    bool decision_reported; /* the engine has sent this connection's handshake event */
    uint8_t tls_state;      /* enum tlsflow_state: whether its TLS handshake is read */
    bool tap_off;           /* the engine's tap asked to see no more of it (a padding byte) */

    /* Cold: the facts of both endpoints, still as A and B. */
    struct conn_facts facts;
    uint64_t server_resp_ns;     /* server's first payload after the client's first */
    uint64_t last_syn_ns;        /* latest client SYN (for retransmission gaps) */
    uint64_t last_synack_ns;     /* latest SYN-ACK */
    uint32_t synack_ack;         /* ACK number of the accepted SYN-ACK */
    uint32_t syns_before_synack; /* client SYNs up to the first valid SYN-ACK */
    uint32_t synacks_before_ack; /* SYN-ACKs up to the final ACK */
    uint32_t isn_first[2];       /* per endpoint: ISN of its first SYN / SYN-ACK (ISN changes) */
    uint32_t syn_payload[2];     /* per endpoint: payload its SYN carried (TFO) */
    uint32_t tls;                /* its TLS facts in the engine's pool (tlsflow.h), 0: none */
    bool p0f_off;                /* set by the engine after tracker_init when records carry
                                    no p0f signatures: the SYNs' p0f facts are not taken */
};

/* The bytes of a connection that mid-connection segments touch. */
#define TRACKER_HOT_BYTES offsetof(struct conn, facts)

/* What the engine must do after a segment. */
enum track_result {
    TRACK_OK,
    TRACK_NEW_CONNECTION, /* the segment starts a new connection on this tuple:
                             finish this one (END_REUSED), re-init, feed again */
};

/* Start tracking (all of c but its flow-table link is cleared, whatever it held):
 * the first packet's sender becomes endpoint A. */
void tracker_init(struct conn *c, const struct flow_tuple *first, uint64_t id, uint64_t ts_ns);

enum track_result tracker_segment(struct conn *c, const struct tcp_view *v, uint64_t ts_ns);

/* What tracker_segment_info learnt about one segment. */
struct track_info {
    bool key_segment; /* a handshake or teardown segment: SYN, SYN-ACK, the ACK that
                         completes the handshake, FIN or RST (what --handshake-only keeps) */
    bool completes;   /* this segment completed the handshake (or proved it complete) */
    bool rst_valid;   /* a RST whose sequence number the receiver could accept */
};

/* tracker_segment, and say in *info what kind of segment it was (info is
 * meaningful only when the result is TRACK_OK). */
enum track_result tracker_segment_info(struct conn *c, const struct tcp_view *v, uint64_t ts_ns,
                                       struct track_info *info);

/*
 * True once the handshake outcome is settled by what was seen (established,
 * refused, ICMP-rejected, reset in the handshake). Unanswered and half-open
 * are only known when the connection times out, so they are not "decided"
 * here: the engine decides them when it finishes the connection.
 */
bool tracker_decided(const struct conn *c);

/* An ICMP error quoting a segment of this connection. */
void tracker_icmp(struct conn *c, const struct icmp_view *icmp, uint64_t ts_ns);

/* The flow-table class the connection belongs to now. */
enum flow_class tracker_class(const struct conn *c);

/*
 * Decide outcome, end reason and latencies, and fill *out. reason is what
 * made the engine finish the connection (IDLE, OPEN, EVICTED or REUSED); a
 * connection closed by FIN or RST, or whose handshake failed, says so instead.
 * The p0f part is tracker_p0f's. *out is zeroed or holds the last record made
 * in it (the engine keeps one): what that record used is cleared first.
 */
void tracker_finish(const struct conn *c, enum tcpshake_end reason, struct tcpshake_record *out);

/* Put the p0f signatures of the client's SYN and the server's SYN-ACK into *out,
 * after tracker_finish, with their labels from memo's database (if any). */
void tracker_p0f(const struct conn *c, struct p0f_memo *memo, struct tcpshake_record *out);

#endif
