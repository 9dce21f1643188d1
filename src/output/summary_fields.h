/*
 * summary_fields.h - the end-of-run summary (summary.c) as its JSON object
 * carries it (tcpshake_summary_write_json, the CLI's --summary-json): one
 * list of typed fields in the kinds of record_fields.h, which encode_json.h
 * writes and tools/fields.c turns into docs/summary.schema.json and the
 * names the man page must document.
 *
 * SUMMARY_FIELDS(X, LIST, OBJECT) is the object's members in output order.
 * Besides X(kind, "name", args...), two entries hold fields of their own:
 *   LIST(name, FIELDS, type, array, n)  an array of n objects, each FIELDS(X)
 *                                       of `e`, a `const type *` into array
 *   OBJECT(name, FIELDS)                an object of FIELDS(X)
 * and one kind is used here beyond the record's:
 *   tally (name_fn, counts, n)          an object {"name_fn(i)": counts[i]}
 *                                       for each of the n names, in order
 * Values are expressions of `v` (the view below), `e` (a server, in
 * SUMMARY_SERVER_FIELDS) and `st` (the run's counters, in
 * SUMMARY_CAPTURE_FIELDS). Its first member, "summary", tells it from every
 * other JSON document tcpshake writes.
 *
 * The text summary (tcpshake_summary_print) shows the same figures laid out
 * for people and is written by hand: see docs/internals.md.
 */
#ifndef TCPSHAKE_SUMMARY_FIELDS_H
#define TCPSHAKE_SUMMARY_FIELDS_H

#include <stddef.h>

#include "hist.h"
#include "tcpshake.h"

#define SUMMARY_TOP        5  /* servers in each "top" list */
#define SUMMARY_SERVER_LEN 64 /* a server's text: an IPv6 address in brackets, a colon, a port */

/* The quantiles of a latency distribution, in output order. */
enum { SUMMARY_MIN, SUMMARY_P50, SUMMARY_P90, SUMMARY_P99, SUMMARY_MAX, SUMMARY_N_QUANTILES };
/* The distributions of the whole run, in output order. */
enum {
    SUMMARY_SERVER_SIDE,
    SUMMARY_CLIENT_SIDE,
    SUMMARY_HANDSHAKE,
    SUMMARY_APP_LATENCY,
    SUMMARY_TLS_SERVER_SIDE, /* the record's tls.server_side_ns: ClientHello -> ServerHello */
    SUMMARY_TLS_CLIENT_SIDE, /* tls.client_side_ns: server's flight -> client's second flight */
    SUMMARY_TLS_HANDSHAKE,   /* tls.handshake_ns of established TLS handshakes */
    SUMMARY_TLS_SYN_TO_DATA, /* tls.syn_to_data_ns: SYN -> first application data */
    SUMMARY_N_LATENCIES
};

/* The negotiated TLS versions the summary counts, in output order. */
enum { SUMMARY_TLS_VERSIONS = 6 };
static inline const char *summary_tls_version_name(unsigned i)
{
    static const char *const names[SUMMARY_TLS_VERSIONS] = { "SSL3.0", "TLS1.0", "TLS1.1",
                                                             "TLS1.2", "TLS1.3", "other" };
    return i < SUMMARY_TLS_VERSIONS ? names[i] : "?";
}
/* The slot of a negotiated version (not 0, which is "not negotiated"). */
static inline unsigned summary_tls_version_slot(uint16_t v)
{
    return v >= 0x0300 && v <= 0x0304 ? (unsigned)(v - 0x0300) : SUMMARY_TLS_VERSIONS - 1;
}

/* The alert descriptions of the TLS registry (RFC 8446 section 6 and those
 * before it) the summary counts by name, in output order; the last slot,
 * "other", counts every description not named here. */
#define SUMMARY_TLS_ALERT_LIST(X)                                                                  \
    X(0, "close_notify")                                                                           \
    X(10, "unexpected_message")                                                                    \
    X(20, "bad_record_mac")                                                                        \
    X(21, "decryption_failed")                                                                     \
    X(22, "record_overflow")                                                                       \
    X(30, "decompression_failure")                                                                 \
    X(40, "handshake_failure")                                                                     \
    X(41, "no_certificate")                                                                        \
    X(42, "bad_certificate")                                                                       \
    X(43, "unsupported_certificate")                                                               \
    X(44, "certificate_revoked")                                                                   \
    X(45, "certificate_expired")                                                                   \
    X(46, "certificate_unknown")                                                                   \
    X(47, "illegal_parameter")                                                                     \
    X(48, "unknown_ca")                                                                            \
    X(49, "access_denied")                                                                         \
    X(50, "decode_error")                                                                          \
    X(51, "decrypt_error")                                                                         \
    X(60, "export_restriction")                                                                    \
    X(70, "protocol_version")                                                                      \
    X(71, "insufficient_security")                                                                 \
    X(80, "internal_error")                                                                        \
    X(86, "inappropriate_fallback")                                                                \
    X(90, "user_canceled")                                                                         \
    X(100, "no_renegotiation")                                                                     \
    X(109, "missing_extension")                                                                    \
    X(110, "unsupported_extension")                                                                \
    X(111, "certificate_unobtainable")                                                             \
    X(112, "unrecognized_name")                                                                    \
    X(113, "bad_certificate_status_response")                                                      \
    X(114, "bad_certificate_hash_value")                                                           \
    X(115, "unknown_psk_identity")                                                                 \
    X(116, "certificate_required")                                                                 \
    X(120, "no_application_protocol")

#define SUMMARY_TLS_ALERT_ONE(code, name) +1
enum { SUMMARY_TLS_ALERTS = 0 SUMMARY_TLS_ALERT_LIST(SUMMARY_TLS_ALERT_ONE) + 1 };

static inline const char *summary_tls_alert_name(unsigned i)
{
#define SUMMARY_TLS_ALERT_NAME(code, name) name,
    static const char *const names[SUMMARY_TLS_ALERTS] = { SUMMARY_TLS_ALERT_LIST(
            SUMMARY_TLS_ALERT_NAME) "other" };
#undef SUMMARY_TLS_ALERT_NAME
    return i < SUMMARY_TLS_ALERTS ? names[i] : "?";
}

/* The slot of an alert description: its name's, else "other"'s. */
static inline unsigned summary_tls_alert_slot(uint8_t desc)
{
#define SUMMARY_TLS_ALERT_CODE(code, name) code,
    static const uint8_t codes[SUMMARY_TLS_ALERTS - 1] = { SUMMARY_TLS_ALERT_LIST(
            SUMMARY_TLS_ALERT_CODE) };
#undef SUMMARY_TLS_ALERT_CODE
    for (unsigned i = 0; i < SUMMARY_TLS_ALERTS - 1; i++) {
        if (codes[i] == desc) {
            return i;
        }
    }
    return SUMMARY_TLS_ALERTS - 1;
}

/* TLS across the run's connections (those whose record has a tls object). */
struct summary_tls_view {
    uint64_t connections; /* records with tls.outcome other than none */
    uint64_t by_outcome[TCPSHAKE_TLS_OUTCOME_COUNT];
    uint64_t by_version[SUMMARY_TLS_VERSIONS];             /* negotiated (ServerHello seen) */
    uint64_t resumed;                                      /* established and resumed */
    uint64_t by_resumption[TCPSHAKE_TLS_RESUMPTION_COUNT]; /* of the resumed */
    uint64_t hrr;                                          /* a HelloRetryRequest came first */
    uint64_t alerts; /* plaintext alerts that ended a handshake */
    uint64_t alerts_by_client, alerts_by_server;
    uint64_t by_alert[SUMMARY_TLS_ALERTS]; /* by description */
};

struct summary_latency {
    uint64_t count;
    int64_t q_ns[SUMMARY_N_QUANTILES]; /* min and max exact; TCPSHAKE_NO_TIME: no sample */
};

/* One server of a "top" list. */
struct summary_server_view {
    char server[SUMMARY_SERVER_LEN]; /* 10.0.0.1:443, [2001:db8::1]:443 */
    uint64_t connections;            /* an upper bound when overcount > 0 */
    uint64_t overcount;              /* inherited from evicted servers (Space-Saving) */
    uint64_t established, failed, refused, unanswered, icmp_rejected, reset, half_open;
    uint64_t syn_retransmits, synack_retransmits;
    struct summary_latency server_side, client_side;
};

/* The summary as the formats see it, built once when it is written. */
struct summary_view {
    uint64_t connections;
    const uint64_t *by_outcome; /* TCPSHAKE_OUTCOME_COUNT */
    const uint64_t *by_end;     /* TCPSHAKE_END_COUNT */
    struct summary_latency latency[SUMMARY_N_LATENCIES];
    const struct summary_tls_view *tls;
    enum tcpshake_capture_point capture_point;
    struct summary_server_view top[SUMMARY_TOP]; /* by connections */
    size_t n_top;
    struct summary_server_view failing[SUMMARY_TOP]; /* by failures */
    size_t n_failing;
    uint64_t server_evictions;
    uint64_t start_ns, end_ns; /* an interval's bounds (SUMMARY_INTERVAL_FIELDS); else 0 */
};

/* What the object summarises: the whole run (the value of its member "summary"). */
#define SUMMARY_N_SCOPES 1
static inline const char *summary_scope_name(unsigned scope)
{
    return scope == 0 ? "run" : "?";
}

#define SUMMARY_LATENCY_FIELDS(X, name, l)                                                         \
    X(count, name "_count", (l).count)                                                             \
    X(duration, name "_min_ns", (l).q_ns[SUMMARY_MIN])                                             \
    X(duration, name "_p50_ns", (l).q_ns[SUMMARY_P50])                                             \
    X(duration, name "_p90_ns", (l).q_ns[SUMMARY_P90])                                             \
    X(duration, name "_p99_ns", (l).q_ns[SUMMARY_P99])                                             \
    X(duration, name "_max_ns", (l).q_ns[SUMMARY_MAX])

/* The handshakes' latency, capture point and top servers: in the summary and in each
 * interval object alike. */
#define SUMMARY_HANDSHAKE_FIELDS(X, LIST)                                                          \
    SUMMARY_LATENCY_FIELDS(X, "server_side", v->latency[SUMMARY_SERVER_SIDE])                      \
    SUMMARY_LATENCY_FIELDS(X, "client_side", v->latency[SUMMARY_CLIENT_SIDE])                      \
    SUMMARY_LATENCY_FIELDS(X, "handshake", v->latency[SUMMARY_HANDSHAKE])                          \
    SUMMARY_LATENCY_FIELDS(X, "app_latency", v->latency[SUMMARY_APP_LATENCY])                      \
    X(real, "latency_error_pct", HIST_ERROR_PCT)                                                   \
    X(name, "capture_point", tcpshake_capture_point_name, v->capture_point,                        \
      TCPSHAKE_CAPTURE_POINT_COUNT)                                                                \
    LIST("top_servers", SUMMARY_SERVER_FIELDS, struct summary_server_view, v->top, v->n_top)       \
    LIST("top_failing", SUMMARY_SERVER_FIELDS, struct summary_server_view, v->failing,             \
         v->n_failing)                                                                             \
    X(count, "server_evictions", v->server_evictions)

#define SUMMARY_FIELDS(X, LIST, OBJECT)                                                            \
    X(name, "summary", summary_scope_name, 0, SUMMARY_N_SCOPES)                                    \
    X(count, "connections", v->connections)                                                        \
    X(tally, "outcomes", tcpshake_outcome_name, v->by_outcome, TCPSHAKE_OUTCOME_COUNT)             \
    X(tally, "end_reasons", tcpshake_end_name, v->by_end, TCPSHAKE_END_COUNT)                      \
    SUMMARY_HANDSHAKE_FIELDS(X, LIST)                                                              \
    SUMMARY_TLS_FIELDS(X)                                                                          \
    OBJECT("capture", SUMMARY_CAPTURE_FIELDS)

/* TLS across connections: zeros and nulls when the run saw no TLS. */
#define SUMMARY_TLS_FIELDS(X)                                                                      \
    X(count, "tls_connections", v->tls->connections)                                               \
    X(tally, "tls_outcomes", tcpshake_tls_outcome_name, v->tls->by_outcome,                        \
      TCPSHAKE_TLS_OUTCOME_COUNT)                                                                  \
    X(tally, "tls_versions", summary_tls_version_name, v->tls->by_version, SUMMARY_TLS_VERSIONS)   \
    X(count, "tls_resumed", v->tls->resumed)                                                       \
    X(tally, "tls_resumption", tcpshake_tls_resumption_name, v->tls->by_resumption,                \
      TCPSHAKE_TLS_RESUMPTION_COUNT)                                                               \
    X(count, "tls_hrr", v->tls->hrr)                                                               \
    X(count, "tls_alerts", v->tls->alerts)                                                         \
    X(count, "tls_alerts_by_client", v->tls->alerts_by_client)                                     \
    X(count, "tls_alerts_by_server", v->tls->alerts_by_server)                                     \
    X(tally, "tls_alert_descriptions", summary_tls_alert_name, v->tls->by_alert,                   \
      SUMMARY_TLS_ALERTS)                                                                          \
    SUMMARY_LATENCY_FIELDS(X, "tls_server_side", v->latency[SUMMARY_TLS_SERVER_SIDE])              \
    SUMMARY_LATENCY_FIELDS(X, "tls_client_side", v->latency[SUMMARY_TLS_CLIENT_SIDE])              \
    SUMMARY_LATENCY_FIELDS(X, "tls_handshake", v->latency[SUMMARY_TLS_HANDSHAKE])                  \
    SUMMARY_LATENCY_FIELDS(X, "tls_syn_to_data", v->latency[SUMMARY_TLS_SYN_TO_DATA])

/*
 * One --stats-interval block as a JSON object (tcpshake_summary_write_interval_json):
 * the handshakes decided in [start_ns, end_ns). Its first member, "interval",
 * holds the start as ISO-8601 and tells it from every other document. No end
 * reasons (a handshake is decided while its connection lives on) and no
 * capture counters (they are the run's, in the summary).
 */
#define SUMMARY_INTERVAL_FIELDS(X, LIST, OBJECT)                                                   \
    X(iso_stamp, "interval", v->start_ns)                                                          \
    X(count, "start_ns", v->start_ns)                                                              \
    X(count, "end_ns", v->end_ns)                                                                  \
    X(count, "connections", v->connections)                                                        \
    X(tally, "outcomes", tcpshake_outcome_name, v->by_outcome, TCPSHAKE_OUTCOME_COUNT)             \
    SUMMARY_HANDSHAKE_FIELDS(X, LIST)

#define SUMMARY_SERVER_FIELDS(X)                                                                   \
    X(text, "server", e->server, SUMMARY_SERVER_LEN)                                               \
    X(count, "connections", e->connections)                                                        \
    X(count, "overcount", e->overcount)                                                            \
    X(count, "established", e->established)                                                        \
    X(count, "failed", e->failed)                                                                  \
    X(count, "refused", e->refused)                                                                \
    X(count, "unanswered", e->unanswered)                                                          \
    X(count, "icmp_rejected", e->icmp_rejected)                                                    \
    X(count, "reset", e->reset)                                                                    \
    X(count, "half_open", e->half_open)                                                            \
    X(count, "syn_retransmits", e->syn_retransmits)                                                \
    X(count, "synack_retransmits", e->synack_retransmits)                                          \
    SUMMARY_LATENCY_FIELDS(X, "server_side", e->server_side)                                       \
    SUMMARY_LATENCY_FIELDS(X, "client_side", e->client_side)

/* tcpshake_stats but flow_probes, which depends on the hash key. */
#define SUMMARY_CAPTURE_FIELDS(X)                                                                  \
    X(count, "packets_read", st->packets_read)                                                     \
    X(count, "packets_tcp", st->packets_tcp)                                                       \
    X(count, "packets_icmp", st->packets_icmp)                                                     \
    X(tally, "skipped", tcpshake_skip_name, st->skipped, TCPSHAKE_SKIP_COUNT)                      \
    X(count, "snaplen_cut", st->snaplen_cut)                                                       \
    X(count, "time_backwards", st->time_backwards)                                                 \
    X(count, "timestamps_jumped", st->timestamps_jumped)                                           \
    X(count, "connections", st->connections)                                                       \
    X(count, "evictions", st->evictions)                                                           \
    X(count, "evictions_half_open", st->evictions_half_open)                                       \
    X(count, "evictions_crowded", st->evictions_crowded)                                           \
    X(count, "flows_peak", st->flows_peak)                                                         \
    X(time, "first_ns", st->first_ns)                                                              \
    X(time, "last_ns", st->last_ns)                                                                \
    X(flag, "live", st->live)                                                                      \
    X(opt, "live_received", st->live, st->live_received)                                           \
    X(opt, "live_dropped", st->live, st->live_dropped)                                             \
    X(opt, "live_if_dropped", st->live, st->live_if_dropped)

#endif
