/*
 * alert_fields.h - a --detect alert (agg_detect.c) as its JSON line carries
 * it: typed fields in the kinds of record_fields.h, which encode_json.h
 * writes and tools/fields.c turns into docs/alert.schema.json and the names
 * the man page must document.
 *
 * Every alert begins with ALERT_FIELDS(X); the fields of its kind follow:
 * the list ALERT_KINDS(K) pairs with the kind, or ALERT_RECORD_FIELDS(X) for
 * the per-record kinds it does not name (rst_out_of_window, synack_bad_ack).
 * Values are expressions of `a` (the alert). Kinds used here beyond the
 * record's:
 *   ip     (present, bytes, ip_version)  an address as text, null when !present
 *   some   (present, v)                  unsigned integer, left out when !present
 *   flags  (name_fn, bits, n)            names name_fn(i) of the bits i < n set
 *   ports  (ports, n, max)               the first n (at most max) port numbers
 */
#ifndef TCPSHAKE_ALERT_FIELDS_H
#define TCPSHAKE_ALERT_FIELDS_H

#include "hll.h"
#include "tcpshake.h"

/* The TCPSHAKE_COOKIE_* evidence bits by number, as alerts name them. */
#define ALERT_N_EVIDENCE 2
static inline const char *alert_evidence_name(unsigned bit)
{
    static const char *const names[ALERT_N_EVIDENCE] = { "synack_not_retransmitted",
                                                         "options_dropped" };
    return bit < ALERT_N_EVIDENCE ? names[bit] : "?";
}

#define ALERT_FIELDS(X)                                                                            \
    X(name, "alert", tcpshake_alert_kind_name, a->kind, TCPSHAKE_ALERT_COUNT)                      \
    X(iso_stamp, "ts", a->first_ns)                                                                \
    X(count, "first_ns", a->first_ns)                                                              \
    X(count, "last_ns", a->last_ns)                                                                \
    X(ip, "source", a->has_source, a->source, a->ip_version)                                       \
    X(ip, "target", a->has_target, a->target, a->ip_version)                                       \
    X(opt, "target_port", a->target_port != 0, a->target_port)

#define ALERT_SYN_FLOOD_FIELDS(X)                                                                  \
    X(count, "failed", a->count)                                                                   \
    X(count, "completed", a->completed)                                                            \
    X(count, "distinct_sources", a->distinct)                                                      \
    X(real, "sources_error_pct", HLL_ERROR_PCT)                                                    \
    X(flags, "evidence", alert_evidence_name, a->evidence, ALERT_N_EVIDENCE)

#define ALERT_SYN_COOKIES_FIELDS(X)                                                                \
    X(count, "synacks", a->count)                                                                  \
    X(flags, "evidence", alert_evidence_name, a->evidence, ALERT_N_EVIDENCE)

#define ALERT_BACKSCATTER_FIELDS(X)                                                                \
    X(count, "segments", a->count)                                                                 \
    X(count, "distinct_sources", a->distinct)

/* A horizontal scan counts distinct hosts; the others distinct ports. */
#define ALERT_PORT_SCAN_FIELDS(X)                                                                  \
    X(name, "scan_type", tcpshake_scan_type_name, a->scan_type, TCPSHAKE_SCAN_TYPE_COUNT)          \
    X(name, "shape", tcpshake_scan_shape_name, a->scan_shape, TCPSHAKE_SCAN_SHAPE_COUNT)           \
    X(count, "probes", a->count)                                                                   \
    X(some, "distinct_hosts", a->scan_shape == TCPSHAKE_SCAN_HORIZONTAL, a->distinct)              \
    X(some, "distinct_ports", a->scan_shape != TCPSHAKE_SCAN_HORIZONTAL, a->distinct)              \
    X(count, "n_open_ports", a->n_open_ports)                                                      \
    X(ports, "open_ports", a->open_ports, a->n_open_ports, TCPSHAKE_ALERT_MAX_PORTS)

#define ALERT_RST_TTL_FIELDS(X)                                                                    \
    X(count, "ttl_usual", a->ttl_usual)                                                            \
    X(count, "ttl_seen", a->ttl_seen)                                                              \
    X(count, "id", a->record_id)

#define ALERT_REPEATED_FAILURES_FIELDS(X) X(count, "failures", a->count)

/* The other per-record kinds: the connection's record id. */
#define ALERT_RECORD_FIELDS(X) X(count, "id", a->record_id)

#define ALERT_KINDS(K)                                                                             \
    K(TCPSHAKE_ALERT_SYN_FLOOD, ALERT_SYN_FLOOD_FIELDS)                                            \
    K(TCPSHAKE_ALERT_SYN_COOKIES, ALERT_SYN_COOKIES_FIELDS)                                        \
    K(TCPSHAKE_ALERT_BACKSCATTER, ALERT_BACKSCATTER_FIELDS)                                        \
    K(TCPSHAKE_ALERT_PORT_SCAN, ALERT_PORT_SCAN_FIELDS)                                            \
    K(TCPSHAKE_ALERT_RST_TTL, ALERT_RST_TTL_FIELDS)                                                \
    K(TCPSHAKE_ALERT_REPEATED_FAILURES, ALERT_REPEATED_FAILURES_FIELDS)

#endif
