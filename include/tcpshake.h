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
 * Threads: one handle per thread; the library has no global mutable state.
 * A handle starts worker threads of its own only when tcpshake_config.threads
 * asks for them (then it locks between them, and still calls every callback on
 * the thread that called tcpshake_run / tcpshake_feed / tcpshake_flush /
 * tcpshake_tick). It never prints and never exits;
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
    X(ERR_WRITE, 10, "write failed")                                                               \
    X(ERR_RESOLVE, 11, "cannot resolve host")                                                      \
    X(ERR_PERM, 12, "permission denied")                                                           \
    X(ERR_SOCKET, 13, "socket error")

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
    uint8_t rst_ttl;           /* IPv4 TTL / IPv6 hop limit of the RST at rst_ns; 0 when none */
};

#define TCPSHAKE_MAX_GAPS 8

/*
 * One connection. Handed to the record callback, borrowed until it returns.
 * Times are 0 when the event was not seen; durations TCPSHAKE_NO_TIME.
 */
struct tcpshake_record {
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
    unsigned threads;              /* threads in all (default 0 = 1 = no workers); see below */
    bool hash_key_set;             /* use hash_key; false (the default): tcpshake_new
                                      draws a fresh one from getrandom() */
    uint8_t hash_key[16];          /* SipHash-1-3 key of the flow table and of the
                                      routing to workers; see below */
};

/*
 * threads > 1 (at most 64): the thread calling tcpshake_run or tcpshake_feed
 * is one of them: it reads and decodes, and tcpshake_new starts threads - 1
 * worker threads in the handle (joined by tcpshake_free) to track the
 * connections. With two or more workers, connections are sharded over them
 * by a hash of their direction-free tuple, each worker with its own flow
 * table of max_flows / (threads - 1) connections. The records are merged
 * back in the order a single thread gives, and every callback still runs on
 * the calling thread. Records come out with the same content and order as
 * with one thread, except when a worker's table fills up with two or more
 * workers: eviction is then per worker. flows_peak counts the connections
 * tracked by all workers at once, as one thread counts them. Records of fed packets may be
 * delivered later than with one thread (at the latest by tcpshake_flush);
 * TCPSHAKE_DUMP_HANDSHAKE_ONLY needs threads <= 1. Each worker queues at most a few thousand
 * packets and records.
 */

/*
 * hash_key: crafted traffic that knew where flows land in the flow table could
 * pile them all into one probe run and make each packet cost time in
 * proportion to the flood. The table is keyed with SipHash-1-3 under a 128-bit
 * secret drawn per handle, and no flow sits more than 127 slots past its home,
 * so the work per packet is bounded even for someone who knows the key. The
 * records do not depend on the key (except, with two or more workers, which
 * connection a full worker table evicts; and in the practically impossible
 * evictions_crowded case). Pin the key only for reproducible tests and
 * benchmarks: whoever knows it can craft the slow case (the tcpshake CLI reads
 * it from TCPSHAKE_HASH_KEY).
 */

/* Fill *cfg with the defaults above. */
TCPSHAKE_API void tcpshake_config_default(struct tcpshake_config *cfg);

/*
 * Check *cfg as tcpshake_new does: TCPSHAKE_OK, or TCPSHAKE_ERR_ARG with a
 * one-line message in msg (msg_len bytes, truncated to fit; msg may be NULL
 * when msg_len is 0) that starts with the field's name and value, e.g.
 * "max_flows 1: want a number from 16 to 268435456".
 */
TCPSHAKE_API enum tcpshake_status tcpshake_config_check(const struct tcpshake_config *cfg,
                                                        char *msg, size_t msg_len);

typedef void (*tcpshake_record_fn)(const struct tcpshake_record *rec, void *user);

struct tcpshake;

/*
 * Make a handle. cfg is copied (NULL = defaults). on_record is called once per
 * connection, in the order connections end; it may be NULL. Returns NULL when
 * memory runs out, tcpshake_config_check refuses cfg, a worker thread cannot
 * start, or hash_key is not set and getrandom() fails (errno then says why; we
 * never fall back to a guessable key). These are the only failures.
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
 * A frame stamped more than the smallest timeout ahead of the clock is copied
 * and analysed with the next frame, tcpshake_tick or tcpshake_flush, which
 * decide whether its time is believed (else it counts in timestamps_jumped;
 * see the man page, --idle-timeout). Returns OK or ERR_LINKTYPE.
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
    TCPSHAKE_SINK_COLOR = 1u << 0,  /* ANSI colour (table only) */
    TCPSHAKE_SINK_EVENTS = 1u << 1, /* say which event each record is: a first "event"
                                       member (JSON), column (CSV) or column (table) */
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

/* NULL when memory runs out or getrandom() fails (the per-server index is
 * keyed with a secret of its own; nothing printed depends on it). The same
 * holds for tcpshake_health_new and tcpshake_detect_new. */
TCPSHAKE_API struct tcpshake_summary *tcpshake_summary_new(void);
TCPSHAKE_API void tcpshake_summary_add(struct tcpshake_summary *s, const struct tcpshake_record *r);
/* Write the summary as text; stats may be NULL. Returns OK or ERR_WRITE. */
TCPSHAKE_API int tcpshake_summary_print(const struct tcpshake_summary *s,
                                        const struct tcpshake_stats *stats, FILE *out);
TCPSHAKE_API void tcpshake_summary_free(struct tcpshake_summary *s);

/* ------------------------------------------------------- live monitoring */

/* Opening a network interface (tcpshake_open_live). */
struct tcpshake_live_options {
    int snaplen;    /* bytes kept of each packet (default 262144) */
    bool promisc;   /* promiscuous mode (default true) */
    int timeout_ms; /* longest wait for a packet before the clock advances (default 100) */
    int buffer_kib; /* the kernel's capture buffer, KiB (default 32768, also for 0;
                       pcap_set_buffer_size): what it holds while the reader is busy or stalled */
};

/* A snaplen that keeps every header the analysis reads (Ethernet with two
 * VLAN tags, an outer IPv6 header and a UDP tunnel, an inner IPv6 header with
 * 100 bytes of extension headers and TCP with 40 bytes of options: 292 bytes)
 * with room to spare, and no payload. The CLI uses it live when no trace is
 * saved: smaller slots make the same buffer hold many more packets. */
#define TCPSHAKE_SNAPLEN_HEADERS 384

/* Fill *opt with the defaults above. */
TCPSHAKE_API void tcpshake_live_options_default(struct tcpshake_live_options *opt);

/*
 * Capture on a network interface ("any" = all of them, on Linux) in
 * immediate mode, with nanosecond time stamps where the platform has them,
 * and compile cfg->bpf on it. opt NULL = defaults. tcpshake_run then reads
 * until tcpshake_stop (or max_packets); while the link is idle the clock
 * still advances with the wall clock, so handshakes and idle connections time
 * out as they would on a busy link. The kernel counters (pcap_stats) appear
 * in tcpshake_stats.live_*.
 * Fails with ERR_OPEN (no such interface, no permission, interface down ...:
 * tcpshake_errmsg() has one line naming the interface), ERR_FILTER,
 * ERR_LINKTYPE or ERR_STATE. On success tcpshake_errmsg() is empty, or holds
 * a libpcap warning (e.g. promiscuous mode not supported) worth showing.
 */
TCPSHAKE_API int tcpshake_open_live(struct tcpshake *h, const char *iface,
                                    const struct tcpshake_live_options *opt);

/*
 * Advance the clock to now_ns (ignored if not later than the latest time
 * seen) and decide every connection idle beyond its timeout, as a packet at
 * that time would. tcpshake_run calls it on a live source while no packets
 * arrive; embedders feeding packets themselves may call it too.
 */
TCPSHAKE_API void tcpshake_tick(struct tcpshake *h, uint64_t now_ns);

/* Kinds of record a run produces. */
enum tcpshake_event {
    TCPSHAKE_EVENT_HANDSHAKE, /* the handshake outcome was decided (see tcpshake_set_event_fn) */
    TCPSHAKE_EVENT_CLOSE,     /* the connection ended: the record_fn record */
    TCPSHAKE_EVENT_COUNT
};

/* "handshake" or "close"; "unknown" for anything else. */
TCPSHAKE_API const char *tcpshake_event_name(enum tcpshake_event e);

typedef void (*tcpshake_event_fn)(enum tcpshake_event ev, const struct tcpshake_record *rec,
                                  void *user);

/*
 * Ask for one TCPSHAKE_EVENT_HANDSHAKE event per connection, at the moment its
 * handshake outcome is decided: at the ACK that completes it (established,
 * fast_open, simultaneous_open, no_syn), the RST that refuses or resets it,
 * the ICMP error that rejects it; unanswered, half_open and midstream are
 * decided when the connection times out or ends, just before its record.
 * rec is a snapshot (end = open while the connection lives on), borrowed until
 * fn returns; the close record keeps the final word. fn NULL turns it off.
 */
TCPSHAKE_API void tcpshake_set_event_fn(struct tcpshake *h, tcpshake_event_fn fn, void *user);

typedef void (*tcpshake_interval_fn)(uint64_t start_ns, uint64_t end_ns, void *user);

/*
 * Call fn every interval_ns of capture time (wall time, live): when the clock
 * passes start + interval_ns, before the packet or tick that moved it is
 * analysed. One call covers [start_ns, end_ns); after a long gap the next
 * interval starts at end_ns. The first interval starts at the first packet.
 * interval_ns 0 or fn NULL turns it off.
 */
TCPSHAKE_API void tcpshake_set_interval(struct tcpshake *h, uint64_t interval_ns,
                                        tcpshake_interval_fn fn, void *user);

typedef void (*tcpshake_progress_fn)(uint64_t bytes_read, uint64_t bytes_total, void *user);

/*
 * While tcpshake_run reads a file, call fn every 16384 packets (and once at
 * the end) with the bytes of the file read so far and its size (0 when
 * unknown, e.g. a pipe), on the calling thread. Not called for a live
 * source. fn NULL turns it off.
 */
TCPSHAKE_API void tcpshake_set_progress(struct tcpshake *h, tcpshake_progress_fn fn, void *user);

enum tcpshake_dump_flags {
    TCPSHAKE_DUMP_HANDSHAKE_ONLY = 1u << 0, /* only SYNs, SYN-ACKs, the ACK completing a
                                               handshake, FINs, RSTs, and ICMP errors
                                               about tracked connections */
};

/*
 * Save the packets tcpshake_run reads (after the BPF filter) to a pcap file
 * ("-" = standard output) with the source's link type, snaplen and time
 * precision (nanoseconds when the source has them). Call after opening a
 * source and before tcpshake_run; the file is flushed when the run ends and
 * closed by tcpshake_free. Fails with ERR_STATE (no source, or already
 * writing) or ERR_WRITE (cannot create it: tcpshake_errmsg() says why). A write
 * failure later makes tcpshake_run stop and return ERR_WRITE. An existing file
 * is truncated, whatever it is: the capture being read under another name
 * too (see tcpshake_dump_stream).
 */
TCPSHAKE_API int tcpshake_dump_open(struct tcpshake *h, const char *path, unsigned flags);

/*
 * The same on a stream open for writing, which h owns from the call on: closed
 * by tcpshake_free, or before an error is returned. A caller that must not
 * truncate the wrong file (the capture being read, under another name) opens
 * it itself without O_TRUNC, compares st_dev and st_ino, truncates, and hands
 * the stream over here.
 */
TCPSHAKE_API int tcpshake_dump_stream(struct tcpshake *h, FILE *fp, unsigned flags);

/* Write one record as event ev: the same as tcpshake_sink_write, and with
 * TCPSHAKE_SINK_EVENTS the output says which event it is. OK or ERR_WRITE. */
TCPSHAKE_API int tcpshake_sink_write_event(struct tcpshake_sink *s, enum tcpshake_event ev,
                                           const struct tcpshake_record *r);

/* ------------------------------------------------------------------ probe */

/*
 * Active probing: open TCP handshakes to one host's ports and time them, as
 * tcping, hping3 -S or nmap -sT / -sS do.
 *
 * Use:
 *   struct tcpshake_probe_config cfg;
 *   tcpshake_probe_config_default(&cfg);
 *   cfg.host = "example.org"; cfg.ports = ports; cfg.n_ports = n;
 *   struct tcpshake_probe *p = tcpshake_probe_new(&cfg, on_result, on_summary, user);
 *   int rc = tcpshake_probe_run(p);   (on_result per attempt, then on_summary per port)
 *   tcpshake_probe_free(p);
 *
 * Two modes. TCPSHAKE_PROBE_CONNECT uses ordinary non-blocking connect()
 * calls: no privilege needed; the latency runs from connect() to the socket
 * becoming writable, so it includes the local stack and the wakeup.
 * TCPSHAKE_PROBE_SYN crafts the SYN on a raw socket (root or CAP_NET_RAW) and
 * reads the SYN-ACK, RST or ICMP error from raw sockets: the latency is the
 * wire plus the server's kernel. An open port gets a RST after its SYN-ACK so
 * no half-open entry stays behind (the local kernel, which owns no socket for
 * that port, usually sends one as well).
 *
 * Only the first address the host name resolves to (in the forced family,
 * if any) is probed. Every port has at most one attempt in flight; at most
 * cfg.parallel attempts are in flight, and new ones start at most cfg.rate
 * per second. ICMP details (IP_RECVERR) and TCPSHAKE_PROBE_SYN work on Linux only.
 */

/* What one attempt found. Names (tcpshake_probe_state_name) are output vocabulary. */
enum tcpshake_probe_state {
    TCPSHAKE_PROBE_OPEN,        /* the handshake completed (SYN-ACK) */
    TCPSHAKE_PROBE_CLOSED,      /* RST answered the SYN (ECONNREFUSED) */
    TCPSHAKE_PROBE_FILTERED,    /* no answer within the timeout */
    TCPSHAKE_PROBE_UNREACHABLE, /* an ICMP error, or a local error such as no route */
    TCPSHAKE_PROBE_STATE_COUNT
};

enum tcpshake_probe_mode {
    TCPSHAKE_PROBE_CONNECT, /* connect(): unprivileged, includes the local stack */
    TCPSHAKE_PROBE_SYN      /* raw SYN, half-open: needs root or CAP_NET_RAW */
};

#define TCPSHAKE_PROBE_MAX_ATTEMPTS 1000000u /* n_ports * count at most */
#define TCPSHAKE_PROBE_MAX_PARALLEL 1024u

struct tcpshake_probe_config {
    const char *host;      /* name or address; copied by tcpshake_probe_new */
    const uint16_t *ports; /* ports to probe (1..65535); copied */
    size_t n_ports;        /* at least 1 */
    uint32_t count;        /* attempts per port (default 1) */
    uint64_t interval_ns;  /* from one attempt's start to the next on a port (default 1 s) */
    uint64_t timeout_ns;   /* no answer within this is "filtered" (default 2 s) */
    uint32_t rate;         /* attempts started per second at most (default 100) */
    uint32_t parallel;     /* attempts in flight at most (default 64) */
    int family;            /* 0 any, 4 IPv4 only, 6 IPv6 only (default 0) */
    enum tcpshake_probe_mode mode; /* default TCPSHAKE_PROBE_CONNECT */
};

/* Fill *cfg with the defaults above (host NULL, no ports). */
TCPSHAKE_API void tcpshake_probe_config_default(struct tcpshake_probe_config *cfg);

/* One attempt. Borrowed by the callback until it returns. */
struct tcpshake_probe_result {
    uint16_t port;
    uint32_t attempt;   /* 1 .. count */
    uint8_t ip_version; /* 4 or 6 */
    uint8_t addr[16];   /* the probed address, network order; IPv4 in the first 4 bytes */
    enum tcpshake_probe_state state;
    uint64_t sent_ns; /* wall clock when the SYN / connect() went out, ns since the epoch */
    int64_t rtt_ns;   /* SYN / connect() to the answer (SYN-ACK, RST or ICMP error), on
                         CLOCK_MONOTONIC; TCPSHAKE_NO_TIME when filtered or a local error */
    bool icmp;        /* an ICMP error answered; its type and code follow */
    uint8_t icmp_type;
    uint8_t icmp_code;
    int error; /* errno behind the state (ECONNREFUSED, EHOSTUNREACH, ETIMEDOUT ...); 0 when
                  open, and in SYN mode when an ICMP error answered */
};

/* All attempts on one port. Latency figures cover the open attempts only. */
struct tcpshake_probe_summary {
    uint16_t port;
    uint8_t ip_version;
    uint8_t addr[16];
    enum tcpshake_probe_state state;              /* open if any attempt was, else closed, else
                                                     unreachable, else filtered */
    uint32_t attempts;                            /* attempts finished */
    uint32_t n_state[TCPSHAKE_PROBE_STATE_COUNT]; /* attempts per state */
    double loss_pct;                              /* attempts that were not open, in percent */
    int64_t min_ns;    /* the rest: TCPSHAKE_NO_TIME when nothing was open */
    int64_t median_ns; /* the mean of the middle two for an even count */
    int64_t p90_ns;    /* nearest rank */
    int64_t max_ns;
    int64_t stddev_ns; /* population standard deviation */
};

typedef void (*tcpshake_probe_result_fn)(const struct tcpshake_probe_result *r, void *user);
typedef void (*tcpshake_probe_summary_fn)(const struct tcpshake_probe_summary *s, void *user);

struct tcpshake_probe;

/*
 * Make a probe. cfg, its host and ports are copied. on_result is called once
 * per finished attempt, in the order they finish; on_summary once per port
 * with at least one finished attempt, in port-list order, after all attempts.
 * Either may be NULL. Returns NULL when memory runs out or cfg is unusable
 * (no host, no ports, a port 0, count, parallel or rate 0, parallel above
 * TCPSHAKE_PROBE_MAX_PARALLEL, n_ports * count above TCPSHAKE_PROBE_MAX_ATTEMPTS,
 * family not 0, 4 or 6). Opens no socket.
 */
TCPSHAKE_API struct tcpshake_probe *tcpshake_probe_new(const struct tcpshake_probe_config *cfg,
                                                       tcpshake_probe_result_fn on_result,
                                                       tcpshake_probe_summary_fn on_summary,
                                                       void *user);

/*
 * Resolve the host, probe every port cfg.count times, then report the
 * summaries. Blocks until done or tcpshake_probe_stop. Returns OK (whatever
 * the ports' states), ERR_RESOLVE (the name did not resolve in the family),
 * ERR_PERM (SYN mode without raw-socket privilege), ERR_SOCKET (a socket
 * call failed; no more attempts start, those in flight finish and are
 * reported, and every finished one is summarised), ERR_NOMEM or ERR_STATE
 * (run twice). Running out of file descriptors with attempts in flight is
 * not a failure: see tcpshake_probe_parallel. Details in
 * tcpshake_probe_errmsg().
 */
TCPSHAKE_API int tcpshake_probe_run(struct tcpshake_probe *p);

/* Ask a running tcpshake_probe_run to stop starting attempts and return soon
 * (attempts in flight are dropped; summaries are still reported). Async-signal-safe. */
TCPSHAKE_API void tcpshake_probe_stop(struct tcpshake_probe *p);

/* Details of the last failure; never NULL. */
TCPSHAKE_API const char *tcpshake_probe_errmsg(const struct tcpshake_probe *p);

/* Attempts allowed in flight at once. cfg.parallel, except in connect mode
 * (one socket per attempt): tcpshake_probe_new keeps it 16 below the
 * open-file limit (RLIMIT_NOFILE), and when socket() still runs out of
 * descriptors (EMFILE, ENFILE) tcpshake_probe_run puts the attempt back and
 * lowers it to the number then in flight. 0 after a fatal failure. */
TCPSHAKE_API uint32_t tcpshake_probe_parallel(const struct tcpshake_probe *p);

/* Close every socket and free. NULL is a no-op. */
TCPSHAKE_API void tcpshake_probe_free(struct tcpshake_probe *p);

/* "open", "closed", "filtered", "unreachable"; "?" when out of range. */
TCPSHAKE_API const char *tcpshake_probe_state_name(enum tcpshake_probe_state s);

/*
 * Parse a port list such as "22,80,8000-8010" into ports[] (in the order
 * given, duplicates dropped). Each item is a port 1..65535 or a range A-B
 * with A <= B; no spaces, no empty items. Returns OK, or ERR_ARG for a bad
 * list or more than cap ports (then *n_ports is the count up to the fault).
 */
TCPSHAKE_API int tcpshake_probe_parse_ports(const char *spec, uint16_t *ports, size_t cap,
                                            size_t *n_ports);

/* ----------------------------------------------------------------- health */

/*
 * Per-group health: connections grouped by server, server port, server
 * subnet or client, and by time bucket (of each record's first_ns), with
 * outcome counts, SYN / SYN-ACK retransmission rates and latency
 * percentiles (server side, client side, application) from log-linear
 * histograms whose quantiles are within 3.125 % of the exact sample value.
 *
 * Bounded memory: at most max_rows (group, bucket) rows, allocated at
 * tcpshake_health_new (about 7.5 KB each, mostly histograms; pages are only
 * touched when used). When full, a new row replaces a light one (the fewest
 * connections among a sample of 16); evicted rows and the connections they
 * held are counted and written after the rows.
 */
enum tcpshake_health_by {
    TCPSHAKE_HEALTH_BY_SERVER, /* server address and port */
    TCPSHAKE_HEALTH_BY_PORT,   /* server port */
    TCPSHAKE_HEALTH_BY_SUBNET, /* server address cut to prefix_len bits */
    TCPSHAKE_HEALTH_BY_CLIENT, /* client address */
    TCPSHAKE_HEALTH_BY_COUNT
};

struct tcpshake_health_config {
    enum tcpshake_health_by by; /* default BY_SERVER */
    unsigned prefix_len; /* BY_SUBNET: bits kept (0..128; IPv4 uses at most 32); default 24 */
    uint64_t bucket_ns;  /* bucket length; 0 = one bucket for the whole input (default) */
    size_t max_rows;     /* (group, bucket) rows kept at most (default 4096, 1 .. 2^20) */
};

/* Fill *cfg with the defaults above. */
TCPSHAKE_API void tcpshake_health_config_default(struct tcpshake_health_config *cfg);

/* "server", "port", "subnet", "client"; "?" when out of range. */
TCPSHAKE_API const char *tcpshake_health_by_name(enum tcpshake_health_by by);

struct tcpshake_health;

/* cfg is copied (NULL = defaults). NULL when memory runs out or cfg is unusable. */
TCPSHAKE_API struct tcpshake_health *tcpshake_health_new(const struct tcpshake_health_config *cfg);
/* Count one record (borrowed for the call). */
TCPSHAKE_API void tcpshake_health_add(struct tcpshake_health *h, const struct tcpshake_record *r);
/*
 * Write every row, ordered by bucket then group, in fmt: TABLE (aligned
 * text, latencies in ms), JSON (one object per row, durations in ns), CSV
 * (header line first) or ZEEK (tab-separated with a #fields line). A last
 * line / object reports evictions. Returns OK, ERR_ARG or ERR_WRITE.
 */
TCPSHAKE_API int tcpshake_health_write(const struct tcpshake_health *h, FILE *out,
                                       enum tcpshake_format fmt);
/* Rows evicted from the full table so far, and the connections they had
 * counted (which no written row includes). h NULL: both 0. */
TCPSHAKE_API void tcpshake_health_evictions(const struct tcpshake_health *h, uint64_t *rows,
                                            uint64_t *connections);
/* NULL is a no-op. */
TCPSHAKE_API void tcpshake_health_free(struct tcpshake_health *h);

/* A paragraph saying where the capture was probably taken (near the client,
 * near the server, in the middle) judging by the medians of server_side_ns and
 * client_side_ns, and what that means for reading them. Returns OK or ERR_WRITE.
 * (tcpshake_summary_print includes it.) */
TCPSHAKE_API int tcpshake_capture_point_print(int64_t server_side_p50_ns,
                                              int64_t client_side_p50_ns, uint64_t n_samples,
                                              FILE *out);

/* -------------------------------------------------------------- detection */

/*
 * Detectors over connection records: SYN floods (and SYN cookies in use),
 * backscatter, port scans, injected or out-of-window RSTs, SYN-ACKs that
 * acknowledge the wrong number, and repeated failed handshakes. Each finding
 * is handed to an alert callback. Memory is fixed at tcpshake_detect_new
 * (about 9 MB): bounded tables with sampled eviction (counted), HyperLogLog
 * sketches for distinct counts. The man page, DETECTION, states every rule,
 * default and error bound.
 */
enum tcpshake_alert_kind {
    TCPSHAKE_ALERT_SYN_FLOOD,         /* failed handshakes to one host or service */
    TCPSHAKE_ALERT_SYN_COOKIES,       /* a server answers statelessly */
    TCPSHAKE_ALERT_BACKSCATTER,       /* SYN-ACKs / RSTs for SYNs nobody here sent */
    TCPSHAKE_ALERT_PORT_SCAN,         /* one source probing many ports or hosts */
    TCPSHAKE_ALERT_RST_TTL,           /* a RST whose TTL is not its sender's */
    TCPSHAKE_ALERT_RST_OUT_OF_WINDOW, /* a RST the receiver could not have accepted */
    TCPSHAKE_ALERT_SYNACK_BAD_ACK,    /* a SYN-ACK acknowledging the wrong number */
    TCPSHAKE_ALERT_REPEATED_FAILURES, /* one client failing again and again at one service */
    TCPSHAKE_ALERT_COUNT
};

/* How a port scan probed (from the records of its probes). */
enum tcpshake_scan_type {
    TCPSHAKE_SCAN_NONE,
    TCPSHAKE_SCAN_SYN,     /* SYN, then RST from the scanner after a SYN-ACK (half-open) */
    TCPSHAKE_SCAN_CONNECT, /* full handshake, closed at once without data */
    TCPSHAKE_SCAN_FIN,     /* first segment FIN only */
    TCPSHAKE_SCAN_NULL,    /* first segment without flags */
    TCPSHAKE_SCAN_XMAS,    /* first segment FIN|PSH|URG */
    TCPSHAKE_SCAN_TYPE_COUNT
};

enum tcpshake_scan_shape {
    TCPSHAKE_SCAN_VERTICAL,   /* many ports of one host */
    TCPSHAKE_SCAN_HORIZONTAL, /* one port of many hosts */
    TCPSHAKE_SCAN_MIXED,      /* many ports of many hosts */
    TCPSHAKE_SCAN_SHAPE_COUNT
};

/* Evidence that a server answers with SYN cookies (bits of tcpshake_alert.evidence). */
enum tcpshake_cookie_evidence {
    TCPSHAKE_COOKIE_NO_RETRANSMIT = 1u << 0,   /* SYN-ACKs of half-open handshakes never
                                                  retransmitted: no state was kept */
    TCPSHAKE_COOKIE_OPTIONS_DROPPED = 1u << 1, /* SYN-ACKs without SACK / wscale / timestamps
                                                  the SYN offered and the server grants
                                                  otherwise */
};

#define TCPSHAKE_ALERT_MAX_PORTS 32

/* One finding. Borrowed by the callback until it returns. */
struct tcpshake_alert {
    enum tcpshake_alert_kind kind;
    uint64_t first_ns, last_ns; /* span of the evidence (records' first_ns) */
    uint8_t ip_version;         /* of source and target */
    bool has_source;            /* scanner, client, or RST sender; spoofed for floods */
    uint8_t source[16];         /* network order; IPv4 in the first 4 bytes */
    bool has_target;
    uint8_t target[16];   /* victim host (horizontal scan: the first host seen) */
    uint16_t target_port; /* 0 = the whole host, or many ports */
    uint64_t count;       /* failed attempts (flood, repeated failures), probes (scan),
                             segments (backscatter), cookie SYN-ACKs, 1 per-record kinds */
    uint64_t completed;   /* syn_flood: completed handshakes to the target in the window */
    uint64_t distinct;    /* syn_flood, backscatter: estimated distinct sources;
                             port_scan: distinct ports (vertical) or hosts (else) */
    uint64_t record_id;   /* per-record kinds (rst_ttl, rst_out_of_window,
                             synack_bad_ack): the connection's record id; else 0 */
    enum tcpshake_scan_type scan_type;             /* port_scan */
    enum tcpshake_scan_shape scan_shape;           /* port_scan */
    uint32_t n_open_ports;                         /* port_scan: ports that answered SYN-ACK */
    uint16_t open_ports[TCPSHAKE_ALERT_MAX_PORTS]; /* the first of them, ascending */
    unsigned evidence; /* syn_cookies: TCPSHAKE_COOKIE_* bits; syn_flood: the same, so far */
    uint8_t ttl_usual; /* rst_ttl: TTL of the sender's SYN / SYN-ACK */
    uint8_t ttl_seen;  /* rst_ttl: TTL of its RST */
};

typedef void (*tcpshake_alert_fn)(const struct tcpshake_alert *a, void *user);

struct tcpshake_detect_config {
    uint64_t window_ns;       /* sliding window of the rate rules (default 60 s, 6 buckets) */
    uint64_t flood_min;       /* syn_flood: failed handshakes in the window (default 200) */
    double flood_ratio;       /* syn_flood: failed / completed at least (default 1.0) */
    uint64_t backscatter_min; /* backscatter: segments to one host in the window (default 100) */
    uint64_t backscatter_sources; /* backscatter: distinct sources at least (default 10) */
    uint64_t scan_min;            /* port_scan: distinct ports or hosts in one scan (default 20) */
    uint64_t fail_min;            /* repeated_failures: failures client -> service (default 10) */
    uint64_t cookie_min;          /* syn_cookies: SYN-ACKs with the evidence (default 8) */
    unsigned ttl_delta;           /* rst_ttl: |RST TTL - usual TTL| above this (default 2) */
    uint64_t max_record_alerts;   /* per-record kinds: alerts of each kind at most (default 100);
                                     the rest are counted */
};

/* Fill *cfg with the defaults above. */
TCPSHAKE_API void tcpshake_detect_config_default(struct tcpshake_detect_config *cfg);

/* "syn_flood", "syn_cookies", "backscatter", "port_scan", "rst_ttl",
 * "rst_out_of_window", "synack_bad_ack", "repeated_failures"; "?" otherwise. */
TCPSHAKE_API const char *tcpshake_alert_kind_name(enum tcpshake_alert_kind k);
/* "none", "syn", "connect", "fin", "null", "xmas"; "?" otherwise. */
TCPSHAKE_API const char *tcpshake_scan_type_name(enum tcpshake_scan_type t);
/* "vertical", "horizontal", "mixed"; "?" otherwise. */
TCPSHAKE_API const char *tcpshake_scan_shape_name(enum tcpshake_scan_shape s);

struct tcpshake_detect;

/* cfg is copied (NULL = defaults); on_alert may be NULL (alerts are still
 * counted and kept for the summary). NULL when memory runs out. */
TCPSHAKE_API struct tcpshake_detect *tcpshake_detect_new(const struct tcpshake_detect_config *cfg,
                                                         tcpshake_alert_fn on_alert, void *user);
/* Look at one record (borrowed for the call); may call on_alert. */
TCPSHAKE_API void tcpshake_detect_add(struct tcpshake_detect *d, const struct tcpshake_record *r);
/*
 * The input ended at end_ns (tcpshake_stats.last_ns): report what only the
 * end can decide (scans and repeated failures still in progress, SYN cookie
 * evidence). Call once, after the last record.
 */
TCPSHAKE_API void tcpshake_detect_finish(struct tcpshake_detect *d, uint64_t end_ns);
/* Write one alert as a JSON line ({"alert":"kind",...}). OK or ERR_WRITE. */
TCPSHAKE_API int tcpshake_alert_write_json(const struct tcpshake_alert *a, FILE *out);
/* The alerts section of the summary: counts by kind, the first alerts in
 * words, evictions and suppressed alerts. OK or ERR_WRITE. */
TCPSHAKE_API int tcpshake_detect_print(const struct tcpshake_detect *d, FILE *out);
/* NULL is a no-op. */
TCPSHAKE_API void tcpshake_detect_free(struct tcpshake_detect *d);

#ifdef __cplusplus
}
#endif
#endif
