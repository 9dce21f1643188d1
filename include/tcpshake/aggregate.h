/*
 * tcpshake/aggregate.h - aggregators over records: the summary, per-group health, detection.
 *
 * Part of the public API: include <tcpshake.h>, not this file.
 */
#ifndef TCPSHAKE_PUBLIC_AGGREGATE_H
#define TCPSHAKE_PUBLIC_AGGREGATE_H

#include "tcpshake/record.h"
#include "tcpshake/sink.h"
#include "tcpshake/status.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* -------------------------------------------------------- capture point */

/*
 * Where the capture was probably taken, judged by the medians of
 * server_side_ns and client_side_ns over n_samples handshakes timed on both
 * sides: the side whose median is near zero (under a tenth of the other, or
 * both under 0.1 ms) is the side the capture point sits next to. What that
 * means for reading the figures is for the caller to say (the tcpshake CLI
 * says it in its summary).
 */
enum tcpshake_capture_point {
    TCPSHAKE_CAPTURE_POINT_UNKNOWN,     /* no handshake timed on both sides */
    TCPSHAKE_CAPTURE_POINT_ONE_HOST,    /* both sides under 0.1 ms: one host or a very short path */
    TCPSHAKE_CAPTURE_POINT_NEAR_CLIENT, /* client side ~ 0, server side ~ the round trip */
    TCPSHAKE_CAPTURE_POINT_NEAR_SERVER, /* server side ~ 0, client side ~ the round trip */
    TCPSHAKE_CAPTURE_POINT_MIDDLE,      /* both sides carry network time */
    TCPSHAKE_CAPTURE_POINT_COUNT
};

TCPSHAKE_API enum tcpshake_capture_point tcpshake_capture_point_judge(int64_t server_side_p50_ns,
                                                                      int64_t client_side_p50_ns,
                                                                      uint64_t n_samples);
/* "unknown", "one_host", "near_client", "near_server", "middle"; "?" out of range. */
TCPSHAKE_API const char *tcpshake_capture_point_name(enum tcpshake_capture_point cp);

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
TCPSHAKE_API enum tcpshake_status tcpshake_summary_print(const struct tcpshake_summary *s,
                                                         const struct tcpshake_stats *stats,
                                                         FILE *out);
/* Write the summary as one JSON object on one line (docs/summary.schema.json:
 * the figures of the text summary, and the capture point's verdict by name).
 * Returns OK, ERR_ARG (a NULL argument: stats is needed) or ERR_WRITE. */
TCPSHAKE_API enum tcpshake_status tcpshake_summary_write_json(const struct tcpshake_summary *s,
                                                              const struct tcpshake_stats *stats,
                                                              FILE *out);
/* Write the summary as one interval's JSON object on one line: the records it
 * was given are the handshakes decided in [start_ns, end_ns) (a fresh summary
 * per interval, fed TCPSHAKE_EVENT_HANDSHAKE snapshots); its first member
 * "interval" holds start_ns as ISO-8601 (docs/interval.schema.json). Returns
 * OK, ERR_ARG or ERR_WRITE. */
TCPSHAKE_API enum tcpshake_status
tcpshake_summary_write_interval_json(const struct tcpshake_summary *s, uint64_t start_ns,
                                     uint64_t end_ns, FILE *out);
TCPSHAKE_API void tcpshake_summary_free(struct tcpshake_summary *s);

/* The capture point judged from the summary's server side and client side
 * medians (tcpshake_capture_point_judge). */
TCPSHAKE_API enum tcpshake_capture_point
tcpshake_summary_capture_point(const struct tcpshake_summary *s);

typedef void (*tcpshake_capture_point_fn)(enum tcpshake_capture_point cp, FILE *out, void *user);

/* Have tcpshake_summary_print call fn, after the latency table, to put the
 * capture point into words on out. fn NULL (the default): the summary says
 * nothing about it. */
TCPSHAKE_API void tcpshake_summary_set_capture_point_fn(struct tcpshake_summary *s,
                                                        tcpshake_capture_point_fn fn, void *user);

/* on: tcpshake_summary_print adds the shape of the server side and client
 * side latency distributions, a row of block characters (U+2581 .. U+2588,
 * UTF-8) each on a shared log axis, after the latency table. Meant for a
 * terminal; off by default. */
TCPSHAKE_API void tcpshake_summary_set_shape(struct tcpshake_summary *s, bool on);

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

/* Grows as struct tcpshake_config does: start from tcpshake_health_config_default. */
struct tcpshake_health_config {
    size_t size; /* sizeof(struct tcpshake_health_config) where the caller was built */
    enum tcpshake_health_by by; /* default BY_SERVER */
    unsigned prefix_len; /* BY_SUBNET: bits kept (0..128; IPv4 uses at most 32); default 24 */
    uint64_t bucket_ns;  /* bucket length; 0 = one bucket for the whole input (default) */
    size_t max_rows;     /* (group, bucket) rows kept at most (default 4096, 1 .. 2^20) */
};

/* Fill *cfg with the defaults above; a macro, as tcpshake_config_default is:
 * tcpshake_health_config_init writes size bytes and sets cfg->size. */
#define tcpshake_health_config_default(cfg)                                                        \
    tcpshake_health_config_init((cfg), sizeof(struct tcpshake_health_config))
TCPSHAKE_API void tcpshake_health_config_init(struct tcpshake_health_config *cfg, size_t size);

/* "server", "port", "subnet", "client"; "?" when out of range. */
TCPSHAKE_API const char *tcpshake_health_by_name(enum tcpshake_health_by by);

struct tcpshake_health;

/* cfg is copied (NULL = defaults; the fields past cfg->size too). NULL when
 * memory runs out or cfg is unusable (also a size of 0). */
TCPSHAKE_API struct tcpshake_health *tcpshake_health_new(const struct tcpshake_health_config *cfg);
/* Count one record (borrowed for the call). */
TCPSHAKE_API void tcpshake_health_add(struct tcpshake_health *h, const struct tcpshake_record *r);
/*
 * Write every row, ordered by bucket then group, in fmt: TABLE (aligned
 * text, latencies in ms), JSON (one object per row, durations in ns), CSV
 * (header line first) or ZEEK (tab-separated with a #fields line). A last
 * line / object reports evictions. Returns OK, ERR_ARG or ERR_WRITE.
 */
TCPSHAKE_API enum tcpshake_status tcpshake_health_write(const struct tcpshake_health *h, FILE *out,
                                                        enum tcpshake_format fmt);
/*
 * Rows as their buckets close (a live capture; needs bucket_ns > 0, else
 * ERR_ARG): the caller knows that no more connections will come for a bucket
 * that ended at or before until_ns (for a live capture: the handshake timeout
 * has passed since), and the rows of those buckets are written now, ordered
 * by bucket then group, each line as tcpshake_health_write writes it (the
 * header of TABLE, CSV or ZEEK before the first row ever written), flushed,
 * and forgotten. tcpshake_health_write writes the rest and the trailer, whose
 * row count includes the rows written here. A connection that comes later
 * for a bucket already written is in no row: tcpshake_health_late counts it.
 * Returns OK, ERR_ARG, ERR_NOMEM or ERR_WRITE.
 */
TCPSHAKE_API enum tcpshake_status tcpshake_health_write_closed(struct tcpshake_health *h,
                                                               uint64_t until_ns, FILE *out,
                                                               enum tcpshake_format fmt);
/*
 * Count a connection when its handshake is decided rather than when it
 * closes (rows as their buckets close: tcpshake_set_event_fn's events).
 * TCPSHAKE_EVENT_HANDSHAKE: the snapshot counts as tcpshake_health_add counts
 * a record (SYN and SYN-ACK counts as they were then), all but its
 * application latency and TLS handshake; TCPSHAKE_EVENT_CLOSE: the close
 * record adds only those (they need payload after the handshake), and only
 * while its row is still held. Use this or tcpshake_health_add, not both.
 */
TCPSHAKE_API void tcpshake_health_add_event(struct tcpshake_health *h, enum tcpshake_event ev,
                                            const struct tcpshake_record *r);
/* Connections that came for a bucket already written (tcpshake_health_write_closed):
 * in no row. h NULL: 0. */
TCPSHAKE_API uint64_t tcpshake_health_late(const struct tcpshake_health *h);
/* Rows evicted from the full table so far, and the connections they had
 * counted (which no written row includes). h NULL: both 0. */
TCPSHAKE_API void tcpshake_health_evictions(const struct tcpshake_health *h, uint64_t *rows,
                                            uint64_t *connections);
/* NULL is a no-op. */
TCPSHAKE_API void tcpshake_health_free(struct tcpshake_health *h);

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

/* Grows as struct tcpshake_config does: start from tcpshake_detect_config_default. */
struct tcpshake_detect_config {
    size_t size;              /* sizeof(struct tcpshake_detect_config) where the caller was built */
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

/* Fill *cfg with the defaults above; a macro, as tcpshake_config_default is:
 * tcpshake_detect_config_init writes size bytes and sets cfg->size. */
#define tcpshake_detect_config_default(cfg)                                                        \
    tcpshake_detect_config_init((cfg), sizeof(struct tcpshake_detect_config))
TCPSHAKE_API void tcpshake_detect_config_init(struct tcpshake_detect_config *cfg, size_t size);

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
TCPSHAKE_API enum tcpshake_status tcpshake_alert_write_json(const struct tcpshake_alert *a,
                                                            FILE *out);
/* The alerts section of the summary: counts by kind, the first alerts in
 * words, evictions and suppressed alerts. OK or ERR_WRITE. */
TCPSHAKE_API enum tcpshake_status tcpshake_detect_print(const struct tcpshake_detect *d, FILE *out);
/* NULL is a no-op. */
TCPSHAKE_API void tcpshake_detect_free(struct tcpshake_detect *d);

#ifdef __cplusplus
}
#endif
#endif
