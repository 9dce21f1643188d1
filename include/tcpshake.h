/*
 * tcpshake.h - the public API of libtcpshake.
 *
 * tcpshake watches TCP connections from the wire, as an RFC 9293 observer, and
 * reports for each one what happened during its handshake and teardown: who
 * was slow (server side SYN -> SYN-ACK, client side SYN-ACK -> ACK) and who was
 * at fault (refused, unanswered, reset, ICMP-rejected ...).
 *
 * Use:
 *   struct tcpshake_config cfg;
 *   tcpshake_config_default(&cfg);
 *   struct tcpshake *h = tcpshake_new(&cfg, on_record, user);
 *   tcpshake_open_file(h, "trace.pcap");
 *   int rc = tcpshake_run(h);    (calls on_record once per connection)
 *   tcpshake_free(h);
 *
 * Threads: one handle per thread; the library takes no locks, keeps no hidden
 * threads and has no global mutable state. It never prints and never exits;
 * errors are returned as enum tcpshake_status with details in
 * tcpshake_errmsg().
 *
 * Time is always uint64_t nanoseconds since the Unix epoch; durations are
 * int64_t nanoseconds, with TCPSHAKE_NO_TIME (-1) meaning "not measured".
 */
#ifndef TCPSHAKE_H
#define TCPSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define TCPSHAKE_API __attribute__((visibility("default")))
#else
#define TCPSHAKE_API
#endif

#define TCPSHAKE_VERSION "0.1.0"

/* Status codes. Append only: numbers are never reused. */
#define TCPSHAKE_STATUS_MAP(X)                                                                     \
    X(OK, 0, "success")                                                                            \
    X(ERR_NOMEM, 1, "out of memory")                                                               \
    X(ERR_ARG, 2, "invalid argument")                                                              \
    X(ERR_OPEN, 3, "cannot open capture")                                                          \
    X(ERR_FORMAT, 4, "not a capture file")                                                         \
    X(ERR_TRUNCATED, 5, "capture truncated")                                                       \
    X(ERR_READ, 6, "capture read error")                                                           \
    X(ERR_FILTER, 7, "bad filter expression")                                                      \
    X(ERR_LINKTYPE, 8, "unsupported link type")                                                    \
    X(ERR_STATE, 9, "call out of order")                                                           \
    X(ERR_WRITE, 10, "write failed")

enum tcpshake_status {
#define TCPSHAKE_STATUS_ENUM(name, num, text) TCPSHAKE_##name = num,
    TCPSHAKE_STATUS_MAP(TCPSHAKE_STATUS_ENUM)
#undef TCPSHAKE_STATUS_ENUM
};

/* A fixed, human-readable text for a status code; never NULL. */
TCPSHAKE_API const char *tcpshake_strerror(int status);

#define TCPSHAKE_NO_TIME (-1)

/* ---------------------------------------------------------------- records */

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
};

#define TCPSHAKE_MAX_GAPS 8

/*
 * One connection. Handed to the record callback, borrowed until it returns.
 * Times are 0 when the event was not seen; durations TCPSHAKE_NO_TIME.
 */
struct tcpshake_record {
    uint64_t id;                 /* 1, 2, 3 ... in the order connections were first seen */
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
};

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
    uint64_t connections;         /* records emitted */
    uint64_t evictions;           /* connections pushed out of a full flow table */
    uint64_t evictions_half_open; /* of which were half-open or unanswered */
    uint64_t flows_peak;          /* most connections tracked at once */
    uint64_t first_ns, last_ns;   /* time span of the input */
};

/* ----------------------------------------------------------------- handle */

struct tcpshake_config {
    size_t max_flows;              /* flow table capacity (default 262144, at least 16) */
    uint64_t handshake_timeout_ns; /* idle time before a connection that never
                                      established is decided (default 60 s) */
    uint64_t idle_timeout_ns;      /* idle time before an established connection
                                      is reported as idle (default 300 s) */
    uint64_t close_linger_ns;      /* time a closed connection is kept to see
                                      late ACKs and retransmitted FINs (default 5 s) */
    uint64_t max_packets;          /* stop after this many packets; 0 = no limit */
    const char *bpf;               /* capture filter (tcpdump syntax) or NULL; copied */
};

/* Fill *cfg with the defaults above. */
TCPSHAKE_API void tcpshake_config_default(struct tcpshake_config *cfg);

typedef void (*tcpshake_record_fn)(const struct tcpshake_record *rec, void *user);

struct tcpshake;

/*
 * Make a handle. cfg is copied (NULL = defaults). on_record is called once per
 * connection, in the order connections end; it may be NULL. Returns NULL when
 * memory runs out or max_flows is unusable (the only failures).
 * All memory for max_flows connections is allocated here.
 */
TCPSHAKE_API struct tcpshake *tcpshake_new(const struct tcpshake_config *cfg,
                                           tcpshake_record_fn on_record, void *user);

/* Free the handle and close its source. NULL is a no-op. Does not flush. */
TCPSHAKE_API void tcpshake_free(struct tcpshake *h);

/*
 * Open a pcap or pcapng file ("-" = standard input) with nanosecond time
 * stamps, and compile cfg->bpf on it. Fails with ERR_OPEN, ERR_FORMAT,
 * ERR_FILTER, ERR_LINKTYPE or ERR_STATE (a source is already open); see
 * tcpshake_errmsg().
 */
TCPSHAKE_API int tcpshake_open_file(struct tcpshake *h, const char *path);

/* The same from an already open stream (h owns it afterwards: closed by tcpshake_free). */
TCPSHAKE_API int tcpshake_open_stream(struct tcpshake *h, FILE *fp);

/*
 * Read the open source to its end (or max_packets, or tcpshake_stop), analyse
 * every packet, then flush: every connection still tracked is reported.
 * Returns OK, or ERR_TRUNCATED / ERR_READ after a read fault; in that case too
 * everything read before the fault has been analysed and flushed.
 */
TCPSHAKE_API int tcpshake_run(struct tcpshake *h);

/* Ask a running tcpshake_run to return soon. Async-signal-safe. */
TCPSHAKE_API void tcpshake_stop(struct tcpshake *h);

/*
 * Analyse one captured frame without a source (tests, fuzzing, embedding).
 * linktype is a libpcap DLT_/LINKTYPE_ value; data is borrowed for the call.
 * Returns OK or ERR_LINKTYPE.
 */
TCPSHAKE_API int tcpshake_feed(struct tcpshake *h, int linktype, uint64_t ts_ns,
                               const uint8_t *data, size_t caplen, size_t wire_len);

/* Report every connection still tracked (end = OPEN) and empty the table. */
TCPSHAKE_API void tcpshake_flush(struct tcpshake *h);

/* Counters so far; valid until the handle is freed. */
TCPSHAKE_API const struct tcpshake_stats *tcpshake_get_stats(const struct tcpshake *h);

/* Details of the last failure ("trace.pcap: packet 1532: truncated record"); never NULL. */
TCPSHAKE_API const char *tcpshake_errmsg(const struct tcpshake *h);

/* ------------------------------------------------------------------ sinks */

/* Output formats: each writes records to a FILE * the caller owns. */
enum tcpshake_format {
    TCPSHAKE_FORMAT_TABLE, /* aligned text, one line per connection */
    TCPSHAKE_FORMAT_JSON,  /* JSON lines, one object per connection */
    TCPSHAKE_FORMAT_CSV,   /* RFC 4180 with a header line */
    TCPSHAKE_FORMAT_ZEEK,  /* Zeek conn.log TSV with its header lines */
    TCPSHAKE_FORMAT_COUNT
};

enum tcpshake_sink_flags {
    TCPSHAKE_SINK_COLOR = 1u << 0, /* ANSI colour (table only) */
};

struct tcpshake_sink;

/* Make a sink writing to out (borrowed; must outlive the sink). NULL on OOM or bad format. */
TCPSHAKE_API struct tcpshake_sink *tcpshake_sink_new(enum tcpshake_format fmt, FILE *out,
                                                     unsigned flags);
/* Write one record. Returns OK or ERR_WRITE. */
TCPSHAKE_API int tcpshake_sink_write(struct tcpshake_sink *s, const struct tcpshake_record *r);
/* Write any trailer (Zeek's #close) and flush. Returns OK or ERR_WRITE. */
TCPSHAKE_API int tcpshake_sink_finish(struct tcpshake_sink *s);
TCPSHAKE_API void tcpshake_sink_free(struct tcpshake_sink *s);

/* -------------------------------------------------------------- summary */

/* Aggregates records into the end-of-run summary (outcome counts, latency
 * percentiles overall and per server, top failing servers). Bounded memory. */
struct tcpshake_summary;

TCPSHAKE_API struct tcpshake_summary *tcpshake_summary_new(void);
TCPSHAKE_API void tcpshake_summary_add(struct tcpshake_summary *s, const struct tcpshake_record *r);
/* Write the summary as text; stats may be NULL. Returns OK or ERR_WRITE. */
TCPSHAKE_API int tcpshake_summary_print(const struct tcpshake_summary *s,
                                        const struct tcpshake_stats *stats, FILE *out);
TCPSHAKE_API void tcpshake_summary_free(struct tcpshake_summary *s);

#ifdef __cplusplus
}
#endif
#endif
