/*
 * health_fields.h - a --by health row (agg_health.c) as every format carries
 * it: one list of typed fields, in output order, in the kinds of
 * record_fields.h, which encode_json.h and encode_csv.h write and
 * tools/fields.c turns into the CSV header, docs/health.schema.json and the
 * names the man page must document.
 *
 * HEALTH_FIELDS(X) are the columns of every format; HEALTH_JSON_FIELDS(X)
 * follow them in JSON only (a constant of the whole table, which CSV leaves
 * out). Values are expressions of `v`, the row's view below, built once per
 * row so that no format computes a quantile twice.
 *
 * After the rows, JSON writes one trailer object, HEALTH_TRAILER_FIELDS(X) of
 * `tr`; its member "health_rows" tells it from a row (the schema says so).
 * CSV has no trailer (it stays one table); zeek writes the evictions as
 * #evicted_rows / #evicted_connections lines.
 */
#ifndef TCPSHAKE_HEALTH_FIELDS_H
#define TCPSHAKE_HEALTH_FIELDS_H

#include "agg_health.h"
#include "hist.h"
#include "tcpshake.h"

/* The latency distributions of a row, in output order. */
enum {
    HEALTH_SERVER_SIDE,
    HEALTH_CLIENT_SIDE,
    HEALTH_APP_LATENCY,
    HEALTH_TLS_SERVER_SIDE,
    HEALTH_TLS_HANDSHAKE,
    HEALTH_N_LATENCIES
};
/* The quantiles written of each, in output order. */
enum { HEALTH_P50, HEALTH_P95, HEALTH_P99, HEALTH_MAX, HEALTH_N_QUANTILES };

#define HEALTH_GROUP_LEN 96 /* a group's text: an IPv6 address in brackets, a colon, a port */

/* One row as the formats see it. */
struct health_view {
    enum tcpshake_health_by by;
    const char *group;  /* e.g. 10.0.0.1:443, 443, 10.0.0.0/24, 192.168.1.5; HEALTH_GROUP_LEN */
    uint64_t start_ns;  /* the bucket's start; without buckets, the first record's */
    uint64_t bucket_ns; /* 0: one bucket */
    const struct health_row *row; /* the counters */
    uint64_t samples[HEALTH_N_LATENCIES];
    int64_t q_ns[HEALTH_N_LATENCIES][HEALTH_N_QUANTILES]; /* TCPSHAKE_NO_TIME: no sample */
};

struct health_trailer {
    uint64_t rows;
    uint64_t evicted_rows;        /* rows replaced by newer groups */
    uint64_t evicted_connections; /* connections those rows had counted */
};

#define HEALTH_LATENCY_FIELDS(X, name, i)                                                          \
    X(count, name "_count", v->samples[i])                                                         \
    X(duration, name "_p50_ns", v->q_ns[i][HEALTH_P50])                                            \
    X(duration, name "_p95_ns", v->q_ns[i][HEALTH_P95])                                            \
    X(duration, name "_p99_ns", v->q_ns[i][HEALTH_P99])                                            \
    X(duration, name "_max_ns", v->q_ns[i][HEALTH_MAX])

#define HEALTH_FIELDS(X)                                                                           \
    X(name, "by", tcpshake_health_by_name, v->by, TCPSHAKE_HEALTH_BY_COUNT)                        \
    X(text, "group", v->group, HEALTH_GROUP_LEN)                                                   \
    X(iso_stamp, "bucket_start", v->start_ns)                                                      \
    X(count, "bucket_start_ns", v->start_ns)                                                       \
    X(opt, "bucket_ns", v->bucket_ns > 0, v->bucket_ns)                                            \
    X(count, "connections", v->row->connections)                                                   \
    X(count, "established", v->row->established)                                                   \
    X(pct, "established_pct", v->row->established, v->row->connections)                            \
    X(count, "refused", v->row->refused)                                                           \
    X(count, "unanswered", v->row->unanswered)                                                     \
    X(count, "icmp_rejected", v->row->icmp_rejected)                                               \
    X(count, "half_open", v->row->half_open)                                                       \
    X(count, "reset", v->row->reset)                                                               \
    X(count, "syns", v->row->syns)                                                                 \
    X(count, "syn_retransmits", v->row->syn_retransmits)                                           \
    X(pct, "syn_retransmit_pct", v->row->syn_retransmits, v->row->syns)                            \
    X(count, "synacks", v->row->synacks)                                                           \
    X(count, "synack_retransmits", v->row->synack_retransmits)                                     \
    X(pct, "synack_retransmit_pct", v->row->synack_retransmits, v->row->synacks)                   \
    HEALTH_LATENCY_FIELDS(X, "server_side", HEALTH_SERVER_SIDE)                                    \
    HEALTH_LATENCY_FIELDS(X, "client_side", HEALTH_CLIENT_SIDE)                                    \
    HEALTH_LATENCY_FIELDS(X, "app_latency", HEALTH_APP_LATENCY)                                    \
    X(count, "tls_connections", v->row->tls_connections)                                           \
    X(count, "tls_established", v->row->tls_established)                                           \
    X(pct, "tls_established_pct", v->row->tls_established, v->row->tls_connections)                \
    X(count, "tls_resumed", v->row->tls_resumed)                                                   \
    X(pct, "tls_resumed_pct", v->row->tls_resumed, v->row->tls_established)                        \
    X(count, "tls_alerts", v->row->tls_alerts)                                                     \
    X(count, "tls_failed", v->row->tls_failed)                                                     \
    HEALTH_LATENCY_FIELDS(X, "tls_server_side", HEALTH_TLS_SERVER_SIDE)                            \
    HEALTH_LATENCY_FIELDS(X, "tls_handshake", HEALTH_TLS_HANDSHAKE)

#define HEALTH_JSON_FIELDS(X) X(real, "latency_error_pct", HIST_ERROR_PCT)

#define HEALTH_TRAILER_FIELDS(X)                                                                   \
    X(count, "health_rows", tr->rows)                                                              \
    X(count, "evicted_rows", tr->evicted_rows)                                                     \
    X(count, "evicted_connections", tr->evicted_connections)

#endif
