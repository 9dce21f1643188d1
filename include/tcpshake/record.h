/*
 * tcpshake/record.h - the connection record and the run's counters.
 *
 * Part of the public API: include <tcpshake.h>, not this file.
 */
#ifndef TCPSHAKE_PUBLIC_RECORD_H
#define TCPSHAKE_PUBLIC_RECORD_H

#include "tcpshake/status.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How the handshake ended. The names (tcpshake_outcome_name) are stable
 * output vocabulary documented in the man page. */
enum tcpshake_outcome {
    TCPSHAKE_OUTCOME_ESTABLISHED,        /* SYN, SYN-ACK, ACK of server ISN + 1 */
    TCPSHAKE_OUTCOME_FAST_OPEN,          /* established; the SYN carried data or a TFO cookie */
    TCPSHAKE_OUTCOME_SIMULTANEOUS_OPEN,  /* both sides sent a bare SYN (RFC 9293 3.5) */
    TCPSHAKE_OUTCOME_REFUSED,            /* RST answered the SYN */
    TCPSHAKE_OUTCOME_UNANSWERED,         /* SYNs only, nothing came back */
    TCPSHAKE_OUTCOME_ICMP_REJECTED,      /* destination unreachable quoting the SYN */
    TCPSHAKE_OUTCOME_HALF_OPEN,          /* SYN-ACK seen, the final ACK never */
    TCPSHAKE_OUTCOME_RESET_IN_HANDSHAKE, /* RST after the SYN-ACK, before the final ACK */
    TCPSHAKE_OUTCOME_NO_SYN,             /* capture starts at the SYN-ACK: no SYN seen */
    TCPSHAKE_OUTCOME_MIDSTREAM,          /* no handshake in the capture at all */
    TCPSHAKE_OUTCOME_COUNT
};

/* Which rule produced the handshake latency figures (Karn's algorithm: a
 * retransmitted SYN or SYN-ACK makes the sample ambiguous). */
enum tcpshake_rtt_rule {
    TCPSHAKE_RTT_NONE,        /* no latency could be measured */
    TCPSHAKE_RTT_EXACT,       /* one SYN, one SYN-ACK: unambiguous */
    TCPSHAKE_RTT_LAST_SYN,    /* SYN retransmitted: measured from the last SYN before the SYN-ACK */
    TCPSHAKE_RTT_LAST_SYNACK, /* SYN-ACK retransmitted: client side from the last SYN-ACK */
    TCPSHAKE_RTT_LAST_BOTH,   /* both retransmitted: last SYN and last SYN-ACK */
    TCPSHAKE_RTT_COUNT
};

/* How the connection record came to be closed. */
enum tcpshake_end {
    TCPSHAKE_END_FIN,       /* both sides sent FIN */
    TCPSHAKE_END_RST,       /* a RST ended it */
    TCPSHAKE_END_HANDSHAKE, /* the handshake failed (refused, unanswered, ICMP ...) */
    TCPSHAKE_END_IDLE,      /* no packet for the idle timeout */
    TCPSHAKE_END_OPEN,      /* still open when the input ended */
    TCPSHAKE_END_EVICTED,   /* pushed out of a full flow table */
    TCPSHAKE_END_REUSED,    /* a new SYN on the same tuple started another connection */
    TCPSHAKE_END_COUNT
};

/* TCP Fast Open (RFC 7413) as seen on the wire. */
enum tcpshake_tfo {
    TCPSHAKE_TFO_NONE,
    TCPSHAKE_TFO_COOKIE_REQUEST, /* empty cookie option: the client asks for a cookie */
    TCPSHAKE_TFO_ACCEPTED,       /* SYN data acknowledged by the SYN-ACK */
    TCPSHAKE_TFO_IGNORED,        /* SYN data not acknowledged by the SYN-ACK */
    TCPSHAKE_TFO_SENT,           /* a cookie or SYN data, and no SYN-ACK that says more */
    TCPSHAKE_TFO_COUNT
};

enum tcpshake_who {
    TCPSHAKE_WHO_NONE,
    TCPSHAKE_WHO_CLIENT,
    TCPSHAKE_WHO_SERVER,
    TCPSHAKE_WHO_BOTH,
    TCPSHAKE_WHO_COUNT
};

/* Anomalies an RFC 9293 observer can prove, as bits of record.anomalies. */
#define TCPSHAKE_ANOMALY_MAP(X)                                                                    \
    X(BAD_SYNACK_ACK, 0, "synack_bad_ack") /* SYN-ACK acknowledges something other than ISN+1 */   \
    X(BAD_HANDSHAKE_ACK, 1, "handshake_bad_ack") /* third segment ACKs the wrong number */         \
    X(DATA_BEFORE_ESTABLISHED, 2, "data_before_established")                                       \
    X(WSCALE_TOO_BIG, 3, "wscale_over_14")   /* RFC 7323 2.3: shift above 14 */                    \
    X(SYN_OPTION_LATE, 4, "syn_option_late") /* MSS/WS/SACK-perm outside a SYN */                  \
    X(RST_OUT_OF_WINDOW, 5, "rst_out_of_window")                                                   \
    X(SYNACK_ISN_CHANGED, 6, "synack_isn_changed") /* SYN-ACKs with different ISNs */              \
    X(SYN_ISN_CHANGED, 7, "syn_isn_changed")       /* SYN retransmission with a new ISN */         \
    X(SYN_WITH_RST_OR_FIN, 8, "syn_with_rst_or_fin")                                               \
    X(ACK_WITHOUT_FLAG, 9, "ack_number_without_ack_flag")                                          \
    X(DATA_AFTER_FIN, 10, "data_after_fin")                                                        \
    X(BAD_OPTION, 11, "bad_tcp_option") /* option length runs past the header or below 2 */        \
    X(BACKWARDS_TIME, 12, "time_went_backwards")

enum tcpshake_anomaly {
#define TCPSHAKE_ANOMALY_ENUM(name, bit, text) TCPSHAKE_ANOMALY_##name = 1u << (bit),
    TCPSHAKE_ANOMALY_MAP(TCPSHAKE_ANOMALY_ENUM)
#undef TCPSHAKE_ANOMALY_ENUM
};
#define TCPSHAKE_ANOMALY_BITS 13

/* ------------------------------------------------------------------ TLS */

/* How the TLS handshake on a connection ended (record.tls.outcome). */
enum tcpshake_tls_outcome {
    TCPSHAKE_TLS_NONE,            /* no TLS: the client's stream does not start with a
                                     ClientHello, or the connection carried no payload */
    TCPSHAKE_TLS_ESTABLISHED,     /* ServerHello seen and the client's second flight too */
    TCPSHAKE_TLS_ALERT,           /* an alert ended the handshake (see alert_*) */
    TCPSHAKE_TLS_RESET,           /* a RST during the handshake (by: closed_by) */
    TCPSHAKE_TLS_FIN,             /* a FIN during the handshake (by: closed_by) */
    TCPSHAKE_TLS_NO_SERVER_HELLO, /* ClientHello sent, no ServerHello before the end */
    TCPSHAKE_TLS_INCOMPLETE,      /* ServerHello seen, the client's second flight never */
    TCPSHAKE_TLS_TRUNCATED,       /* the capture's snaplen cut the handshake's bytes */
    TCPSHAKE_TLS_MALFORMED,       /* a record or hello whose lengths lie */
    TCPSHAKE_TLS_CAPPED,          /* the hello did not fit in the per-side byte cap */
    TCPSHAKE_TLS_UNTRACKED,       /* the client's stream starts with a TLS handshake record,
                                     but every handshake buffer was in use: not analysed
                                     (counted in tcpshake_stats.tls_untracked) */
    TCPSHAKE_TLS_OUTCOME_COUNT
};

#define TCPSHAKE_TLS_SNI_MAX  255
#define TCPSHAKE_TLS_ALPN_MAX 63
#define TCPSHAKE_TLS_LIST_MAX 8

/*
 * The TLS handshake at the start of a connection, as seen on the wire.
 * outcome NONE means the rest is zero. Times are ns since the epoch (0: not
 * seen), durations ns (TCPSHAKE_NO_TIME: not measurable). Versions, ciphers
 * and groups are the IANA code points; text is NUL-terminated, with bytes
 * outside printable ASCII replaced by '?'. GREASE values are left out.
 */
struct tcpshake_tls {
    enum tcpshake_tls_outcome outcome;
    /* ClientHello (the first one; after a HelloRetryRequest the second
       is timed in client_hello2_ns) */
    uint16_t ch_legacy_version;
    uint16_t ch_versions[TCPSHAKE_TLS_LIST_MAX]; /* supported_versions offered */
    uint8_t n_ch_versions;
    char sni[TCPSHAKE_TLS_SNI_MAX + 1];
    char alpn_offered[TCPSHAKE_TLS_ALPN_MAX + 1]; /* "h2,http/1.1" */
    uint16_t n_ciphers;
    uint16_t n_extensions;
    uint16_t groups_offered[TCPSHAKE_TLS_LIST_MAX]; /* key_share groups */
    uint8_t n_groups_offered;
    bool session_id_offered;
    bool ticket_offered;
    bool psk_offered;
    bool early_data_offered;
    char ja4[40]; /* JA4 (FoxIO JA4 specification, TLS client fingerprint) */
    /* ServerHello */
    bool hrr;         /* a HelloRetryRequest came first */
    uint16_t version; /* negotiated: supported_versions, else legacy_version; 0 unknown */
    uint16_t cipher;
    uint16_t group;                       /* key_share selected group; 0 when none */
    char alpn[TCPSHAKE_TLS_ALPN_MAX + 1]; /* chosen (visible up to TLS 1.2) */
    bool resumed;                         /* see resumption */
    uint8_t resumption;                   /* 0 none, 1 session id echo, 2 ticket, 3 PSK */
    /* Timing */
    uint64_t client_hello_ns;  /* segment completing the first ClientHello */
    uint64_t client_hello2_ns; /* the ClientHello answering a HelloRetryRequest */
    uint64_t server_hello_ns;  /* segment completing the (real) ServerHello */
    uint64_t server_flight_ns; /* last server handshake record before the client's
                                  second flight */
    uint64_t client_flight_ns; /* the client's second flight (its CCS/Finished, or
                                  its first record after the server's flight) */
    uint64_t client_data_ns;   /* first application data from the client */
    uint64_t server_data_ns;   /* first application data from the server */
    int64_t server_side_ns;    /* client_hello_ns -> server_hello_ns */
    int64_t client_side_ns;    /* server_flight_ns -> client_flight_ns */
    int64_t handshake_ns;      /* client_hello_ns -> client_flight_ns */
    int64_t syn_to_data_ns;    /* syn_ns -> first application data either way */
    /* How it ended */
    uint8_t alert_level; /* 1 warning, 2 fatal; 0 none or encrypted */
    uint8_t alert_desc;
    enum tcpshake_who alert_by; /* NONE when no alert */
    uint64_t alert_ns;
    enum tcpshake_who closed_by; /* RESET / FIN outcomes: who */
};

TCPSHAKE_API const char *tcpshake_tls_outcome_name(enum tcpshake_tls_outcome o);

/* ------------------------------------------------------------------ p0f */

#define TCPSHAKE_P0F_SIG_MAX   255 /* longest signature text */
#define TCPSHAKE_P0F_LABEL_MAX 127 /* longest label */

/*
 * Who is on one end, passively: the p0f v3 signature of the side's SYN
 * (client) or SYN-ACK (server), as p0f writes raw_sig,
 * "ver:ittl:olen:mss:wsize,scale:olayout:quirks:pclass", and its label in a
 * p0f database (tcpshake_set_p0f_db), as the database writes it,
 * "type:class:name:flavor". Text is NUL-terminated; "" when not seen or not
 * matched.
 */
struct tcpshake_p0f {
    char sig[TCPSHAKE_P0F_SIG_MAX + 1];
    char label[TCPSHAKE_P0F_LABEL_MAX + 1];
    bool fuzzy; /* the label needed p0f's fuzzy rules (TTL, df / id+ gone, id- / ecn come) */
};

/* record.tls.resumption: how a resumed session was found. */
enum tcpshake_tls_resumption {
    TCPSHAKE_TLS_RESUMPTION_NONE,
    TCPSHAKE_TLS_RESUMPTION_SESSION_ID, /* TLS 1.2: abbreviated, the session id echoed */
    TCPSHAKE_TLS_RESUMPTION_TICKET,     /* TLS 1.2: abbreviated, a session ticket offered */
    TCPSHAKE_TLS_RESUMPTION_PSK,        /* TLS 1.3: the ServerHello selected a pre_shared_key */
    TCPSHAKE_TLS_RESUMPTION_COUNT
};

TCPSHAKE_API const char *tcpshake_tls_resumption_name(unsigned r);

/* What one side of the connection said and did. */
struct tcpshake_side {
    uint8_t addr[16]; /* network order; IPv4 uses the first 4 bytes */
    uint16_t port;
    /* From the side's SYN (client) or SYN-ACK (server). */
    bool syn_seen; /* this side's SYN / SYN-ACK was captured */
    uint32_t isn;  /* initial sequence number */
    uint16_t mss;  /* 0 when absent */
    int8_t wscale; /* window scale shift; -1 when absent */
    bool sack_permitted;
    bool timestamps;         /* TSopt present on the SYN / SYN-ACK */
    uint32_t tsval;          /* of the SYN / SYN-ACK */
    uint32_t tsecr;          /* of the SYN-ACK (server) or the final ACK (client) */
    uint16_t initial_window; /* raw window field of the SYN / SYN-ACK */
    uint8_t ttl;             /* IPv4 TTL or IPv6 hop limit of the SYN / SYN-ACK */
    /* Teardown. */
    uint64_t fin_ns;    /* first FIN from this side; 0 when none */
    bool fin_acked;     /* the other side acknowledged that FIN */
    uint64_t rst_ns;    /* first RST from this side; 0 when none */
    bool rst_in_window; /* that RST's sequence number was acceptable */
    /* Volume. */
    uint64_t packets;          /* TCP segments sent */
    uint64_t payload_bytes;    /* TCP payload bytes sent, as seen on the wire (from IP length) */
    uint64_t ip_bytes;         /* IP total length summed */
    uint64_t first_payload_ns; /* first segment with payload; 0 when none */
    uint32_t retransmits;      /* data segments whose sequence space was already seen */
    uint8_t rst_ttl;           /* IPv4 TTL / IPv6 hop limit of the RST at rst_ns; 0 when none */
};

#define TCPSHAKE_MAX_GAPS 8

/*
 * One connection. Handed to the record callback, borrowed until it returns.
 * Times are 0 when the event was not seen; durations TCPSHAKE_NO_TIME.
 *
 * Growth: new fields are appended, never inserted, and no field changes type
 * or meaning, so a program built against an older header reads the fields it
 * knows and they keep their values. size is sizeof(struct tcpshake_record)
 * in the library that made the record: a program built against a newer
 * header than the library reads a field only when size covers it
 * (offsetof(struct tcpshake_record, field) + sizeof(field) <= size). The same
 * holds for struct tcpshake_stats, which has no size member: it only grows.
 * Hand back to the library (sinks, aggregators) only records it gave you.
 */
struct tcpshake_record {
    size_t size;                 /* sizeof(struct tcpshake_record) of the library */
    uint64_t id;                 /* 1-based index in the input of the connection's first
                                    packet: unique, increasing in first-seen order */
    uint8_t ip_version;          /* 4 or 6 */
    int32_t vlan;                /* outermost 802.1Q VLAN id, -1 when untagged */
    struct tcpshake_side client; /* the side that sent the first SYN (see roles_inferred) */
    struct tcpshake_side server;
    bool roles_inferred; /* no SYN seen: roles come from the SYN-ACK or the port numbers */

    enum tcpshake_outcome outcome;
    enum tcpshake_end end;
    enum tcpshake_tfo tfo;

    uint64_t first_ns;       /* first packet of the connection */
    uint64_t last_ns;        /* last packet */
    uint64_t syn_ns;         /* first SYN */
    uint64_t syn_last_ns;    /* last SYN before the SYN-ACK (== syn_ns without retransmission) */
    uint64_t synack_ns;      /* first SYN-ACK acknowledging client ISN + 1 */
    uint64_t synack_last_ns; /* last SYN-ACK before the final ACK */
    uint64_t ack_ns;         /* ACK of server ISN + 1 that completed the handshake */
    uint32_t n_syn;          /* SYNs from the client, retransmissions included */
    uint32_t n_synack;       /* SYN-ACKs from the server, retransmissions included */
    uint32_t n_syn_gaps;     /* how many entries of syn_gaps_ns are valid */
    int64_t syn_gaps_ns[TCPSHAKE_MAX_GAPS]; /* time between successive SYNs */
    uint32_t n_synack_gaps;
    int64_t synack_gaps_ns[TCPSHAKE_MAX_GAPS]; /* time between successive SYN-ACKs */

    int64_t server_side_ns; /* SYN -> SYN-ACK, by rtt_rule */
    int64_t client_side_ns; /* SYN-ACK -> ACK, by rtt_rule */
    int64_t handshake_ns;   /* their sum: SYN -> ACK */
    enum tcpshake_rtt_rule rtt_rule;
    int64_t app_latency_ns; /* client's first payload -> server's first payload */
    int64_t duration_ns;    /* last_ns - first_ns */

    uint8_t icmp_type; /* for ICMP_REJECTED: type and code of the error */
    uint8_t icmp_code;
    uint64_t icmp_ns;

    enum tcpshake_who first_fin; /* who sent FIN first */
    enum tcpshake_who rst_by;    /* who sent RST */
    bool half_close;             /* one side kept sending after the other's FIN */

    uint32_t anomalies; /* TCPSHAKE_ANOMALY_* bits */

    char zeek_state[8];    /* Zeek conn_state: S0, S1, SF, REJ, RSTO ... */
    char zeek_history[32]; /* Zeek history: ShADadFf ... */
    bool zeek_flipped;     /* Zeek would swap orig/resp relative to client/server */

    uint8_t first_flags;        /* TCP flags of the connection's first segment (FIN 0x01,
                                   SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20 ...);
                                   tells FIN, NULL and Xmas scan probes apart */
    enum tcpshake_who first_by; /* who sent that first segment */

    struct tcpshake_tls tls; /* the TLS handshake, when the connection starts with one */

    /* Zeek's Connection::LastTime for -o zeek's duration (not a json or csv field): the last
       packet before both endpoints had closed (FIN or RST each); later packets (the ACK of
       the last FIN ...) do not extend Zeek's duration. last_ns when Zeek saw no segment. */
    uint64_t zeek_last_ns;
    /* Zeek's orig_bytes and resp_bytes (-o zeek; not json or csv fields): sequence space each
       side covered (TCP_Endpoint::Size), SYN and FIN excluded, retransmissions counted once,
       gaps included; orig and resp as Zeek orients them (zeek_flipped). */
    uint64_t zeek_orig_bytes;
    uint64_t zeek_resp_bytes;
    struct tcpshake_p0f client_p0f; /* passive fingerprint of the client's SYN */
    struct tcpshake_p0f server_p0f; /* ... of the server's SYN-ACK */
};

/*
 * Copy src over dst writing only the bytes either of them uses, for a ring of
 * records that another thread reads: a record is 2 KB, mostly zeros (the TLS
 * object of a connection without TLS, the tails of the p0f texts), and a whole
 * copy moves every cache line between the cores; in a SYN flood that is one
 * record per packet. dst starts zeroed and is written only by this function
 * with the same mark, which starts zeroed too and is best kept apart from dst,
 * in the writing thread's own memory (reading what the other core holds costs
 * the cache lines twice). src is a record the library made. Afterwards dst
 * equals src byte for byte.
 */
struct tcpshake_record_mark {
    uint16_t text[4]; /* bytes before the NUL: client sig, label, server sig, label */
    bool tls;         /* dst holds a TLS object */
};
TCPSHAKE_API void tcpshake_record_copy(struct tcpshake_record *dst,
                                       struct tcpshake_record_mark *mark,
                                       const struct tcpshake_record *src);

TCPSHAKE_API const char *tcpshake_outcome_name(enum tcpshake_outcome o);
TCPSHAKE_API const char *tcpshake_rtt_rule_name(enum tcpshake_rtt_rule r);
TCPSHAKE_API const char *tcpshake_end_name(enum tcpshake_end e);
TCPSHAKE_API const char *tcpshake_tfo_name(enum tcpshake_tfo t);
TCPSHAKE_API const char *tcpshake_who_name(enum tcpshake_who w);
/* Name of one anomaly bit (e.g. TCPSHAKE_ANOMALY_RST_OUT_OF_WINDOW); NULL if unknown. */
TCPSHAKE_API const char *tcpshake_anomaly_name(uint32_t bit);
/* Write an address as text (dotted quad or RFC 5952 IPv6) into buf; returns buf. */
TCPSHAKE_API char *tcpshake_addr_str(const struct tcpshake_side *s, uint8_t ip_version, char *buf,
                                     size_t buf_len);

/* Kinds of record a run produces. */
enum tcpshake_event {
    TCPSHAKE_EVENT_HANDSHAKE, /* the handshake outcome was decided (see tcpshake_set_event_fn) */
    TCPSHAKE_EVENT_CLOSE,     /* the connection ended: the record_fn record */
    TCPSHAKE_EVENT_COUNT
};

/* "handshake" or "close"; "unknown" for anything else. */
TCPSHAKE_API const char *tcpshake_event_name(enum tcpshake_event e);

/* ------------------------------------------------------------------ stats */

/* Why a packet was not analysed (indices of tcpshake_stats.skipped). */
enum tcpshake_skip {
    TCPSHAKE_SKIP_TRUNCATED,   /* cut short before the TCP header ended */
    TCPSHAKE_SKIP_MALFORMED,   /* a header lies about its length or version */
    TCPSHAKE_SKIP_NOT_TCP,     /* not TCP and not an ICMP error about TCP */
    TCPSHAKE_SKIP_UNSUPPORTED, /* a link or network layer we do not decode */
    TCPSHAKE_SKIP_FRAGMENT,    /* a non-first IP fragment: carries no TCP header */
    TCPSHAKE_SKIP_COUNT
};
TCPSHAKE_API const char *tcpshake_skip_name(enum tcpshake_skip s);

struct tcpshake_stats {
    uint64_t packets_read; /* records handed to us by the source */
    uint64_t packets_tcp;  /* TCP segments decoded and tracked */
    uint64_t packets_icmp; /* ICMP errors quoting a TCP header */
    uint64_t skipped[TCPSHAKE_SKIP_COUNT];
    uint64_t snaplen_cut;         /* decoded, but the capture was cut by snaplen */
    uint64_t time_backwards;      /* packets whose timestamp went backwards */
    uint64_t timestamps_jumped;   /* packets stamped far ahead of the clock, not confirmed by
                                     the next packet: analysed at the clock's time */
    uint64_t connections;         /* records emitted */
    uint64_t evictions;           /* connections pushed out of a full flow table */
    uint64_t evictions_half_open; /* of which were half-open or unanswered */
    uint64_t flows_peak;          /* most connections tracked at once */
    uint64_t evictions_crowded;   /* of the evictions: every slot a new connection's hash
                                     allowed was taken (with a secret key, practically
                                     never; see tcpshake_config.hash_key) */
    uint64_t flow_probes;         /* flow-table slots looked at: a cost measure that
                                     depends on the hash key (tests and bench) */
    uint64_t first_ns, last_ns;   /* time span of the input */
    bool live;                    /* a live interface was read: the live_* fields are valid */
    uint64_t live_received;       /* pcap_stats ps_recv: packets the kernel filter passed */
    uint64_t live_dropped;        /* ps_drop: dropped for lack of buffer space */
    uint64_t live_if_dropped;     /* ps_ifdrop: dropped by the interface or its driver */
    uint64_t tls_untracked;       /* connections starting with a TLS handshake record that
                                     found every handshake buffer in use (tls outcome
                                     UNTRACKED) */
};

#ifdef __cplusplus
}
#endif
#endif
