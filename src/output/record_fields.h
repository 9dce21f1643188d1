/*
 * record_fields.h - the connection record as every output document carries
 * it: one list of typed fields, in output order, that each format expands.
 *
 * RECORD_FIELDS(X, GROUP, NGROUP) lists the record's fields; GROUP(name, side)
 * is a group of fields about one side (a JSON object "client" / "server", CSV
 * columns client_* / server_*), whose fields are SIDE_FIELDS(X).
 * NGROUP(name, present, tls) is a group that may be absent: the JSON object
 * "tls" (null when !present), CSV columns tls_* (all empty when !present),
 * whose fields are TLS_FIELDS(X). With TCPSHAKE_SINK_EVENTS,
 * RECORD_EVENT_FIELD(X) comes first.
 *
 * An entry is X(kind, "name", args...). The kind says how a value is encoded
 * (encode_json.h, encode_csv.h; the schema in tools/fields.c) and which args
 * follow; JSON's null is CSV's empty field:
 *   count     (v)                unsigned integer
 *   schema    (v)                an unsigned integer constant, the schema's "const"
 *   opt       (present, v)       unsigned integer, null when !present
 *   time      (ns)               ns since the epoch, null when 0 (not seen)
 *   duration  (ns)               signed ns, null when TCPSHAKE_NO_TIME
 *   flag      (v)                true or false
 *   name      (name_fn, v, n)    name_fn(v), one of the n names of a name table
 *                                (names.c), so that the schema can list them
 *   text      (chars, max_len)   free text; need not be NUL-terminated
 *   gaps      (ns_array, n)      signed ns, the first n (at most TCPSHAKE_MAX_GAPS)
 *   anomalies (bits)             names of the TCPSHAKE_ANOMALY_* bits set
 *   addr      (r, side)          a side's address as text
 *   iso_time  (ns)               ISO-8601 UTC with 9 decimals, null when 0
 *   iso_stamp (ns)               the same, never null (0 is 1970-01-01T00:00:00Z)
 *   pct       (part, whole)      100 * part / whole with 2 decimals; 0.00 when whole is 0
 *   real      (v)                a double as printf's %g writes it
 *   version   (v)                a TLS version's name ("TLS1.3"; "0x7f17" for one
 *                                without a name), null when 0
 *   versions  (array, n)         the first n of them, as names
 *   code      (present, v)       a 16-bit code point (cipher suite, group) as
 *                                "0x1301", null when !present
 *   codes     (array, n)         the first n of them (at most TCPSHAKE_TLS_LIST_MAX)
 * Values are expressions of `r` (the record), `sd` (the side, in SIDE_FIELDS),
 * `tl` (the TLS object, in TLS_FIELDS) and `ev` (the event); only the format
 * that writes a field evaluates them.
 *
 * The aggregators' documents are lists of the same kinds: health_fields.h
 * (--by rows) and alert_fields.h (--detect alerts).
 *
 * A new field is one line here (and its paragraph in docs/tcpshake.1; make
 * check says when that is missing, and when docs/record.schema.json is stale).
 */
#ifndef TCPSHAKE_RECORD_FIELDS_H
#define TCPSHAKE_RECORD_FIELDS_H

#include "tcpshake.h"

/*
 * The version of the record's shape (its field names, order, kinds and
 * meanings), written in every record. Within one version fields may be
 * added, never renamed, removed, moved or given another kind or meaning;
 * any of those makes the next version (docs/tcpshake.1, json).
 */
#define TCPSHAKE_SCHEMA_VERSION 1

#define RECORD_EVENT_FIELD(X) X(name, "event", tcpshake_event_name, ev, TCPSHAKE_EVENT_COUNT)

#define RECORD_FIELDS(X, GROUP, NGROUP)                                                            \
    X(count, "id", r->id)                                                                          \
    X(schema, "schema_version", TCPSHAKE_SCHEMA_VERSION)                                           \
    X(iso_time, "ts", r->first_ns)                                                                 \
    X(count, "ip_version", r->ip_version)                                                          \
    X(opt, "vlan", r->vlan >= 0, (uint64_t)(r->vlan >= 0 ? r->vlan : 0))                           \
    GROUP("client", &r->client)                                                                    \
    GROUP("server", &r->server)                                                                    \
    X(flag, "roles_inferred", r->roles_inferred)                                                   \
    X(name, "outcome", tcpshake_outcome_name, r->outcome, TCPSHAKE_OUTCOME_COUNT)                  \
    X(name, "end", tcpshake_end_name, r->end, TCPSHAKE_END_COUNT)                                  \
    X(name, "tfo", tcpshake_tfo_name, r->tfo, TCPSHAKE_TFO_COUNT)                                  \
    X(time, "first_ns", r->first_ns)                                                               \
    X(time, "last_ns", r->last_ns)                                                                 \
    X(time, "syn_ns", r->syn_ns)                                                                   \
    X(time, "syn_last_ns", r->syn_last_ns)                                                         \
    X(time, "synack_ns", r->synack_ns)                                                             \
    X(time, "synack_last_ns", r->synack_last_ns)                                                   \
    X(time, "ack_ns", r->ack_ns)                                                                   \
    X(count, "n_syn", r->n_syn)                                                                    \
    X(count, "n_synack", r->n_synack)                                                              \
    X(gaps, "syn_gaps_ns", r->syn_gaps_ns, r->n_syn_gaps)                                          \
    X(gaps, "synack_gaps_ns", r->synack_gaps_ns, r->n_synack_gaps)                                 \
    X(duration, "server_side_ns", r->server_side_ns)                                               \
    X(duration, "client_side_ns", r->client_side_ns)                                               \
    X(duration, "handshake_ns", r->handshake_ns)                                                   \
    X(name, "rtt_rule", tcpshake_rtt_rule_name, r->rtt_rule, TCPSHAKE_RTT_COUNT)                   \
    X(duration, "app_latency_ns", r->app_latency_ns)                                               \
    X(duration, "duration_ns", r->duration_ns)                                                     \
    X(opt, "icmp_type", r->icmp_ns != 0, r->icmp_type)                                             \
    X(opt, "icmp_code", r->icmp_ns != 0, r->icmp_code)                                             \
    X(time, "icmp_ns", r->icmp_ns)                                                                 \
    X(name, "first_fin", tcpshake_who_name, r->first_fin, TCPSHAKE_WHO_COUNT)                      \
    X(name, "rst_by", tcpshake_who_name, r->rst_by, TCPSHAKE_WHO_COUNT)                            \
    X(flag, "half_close", r->half_close)                                                           \
    X(anomalies, "anomalies", r->anomalies)                                                        \
    X(text, "zeek_state", r->zeek_state, sizeof(r->zeek_state))                                    \
    X(text, "zeek_history", r->zeek_history, sizeof(r->zeek_history))                              \
    X(flag, "zeek_flipped", r->zeek_flipped)                                                       \
    X(text, "client_p0f_sig", r->client_p0f.sig, sizeof(r->client_p0f.sig))                        \
    X(text, "client_p0f_label", r->client_p0f.label, sizeof(r->client_p0f.label))                  \
    X(flag, "client_p0f_fuzzy", r->client_p0f.fuzzy)                                               \
    X(text, "server_p0f_sig", r->server_p0f.sig, sizeof(r->server_p0f.sig))                        \
    X(text, "server_p0f_label", r->server_p0f.label, sizeof(r->server_p0f.label))                  \
    X(flag, "server_p0f_fuzzy", r->server_p0f.fuzzy)                                               \
    NGROUP("tls", r->tls.outcome != TCPSHAKE_TLS_NONE, &r->tls)

/* Values from the side's SYN (client) or SYN-ACK (server) are null when it was not seen. */
#define SIDE_FIELDS(X) SIDE_ADDR_FIELDS(X) SIDE_STATE_FIELDS(X)

#define SIDE_ADDR_FIELDS(X)                                                                        \
    X(addr, "addr", r, sd)                                                                         \
    X(count, "port", sd->port)

/* What the side did; all of it depends on sd alone (side_is_silent). */
#define SIDE_STATE_FIELDS(X)                                                                       \
    X(flag, "syn_seen", sd->syn_seen)                                                              \
    X(opt, "isn", sd->syn_seen, sd->isn)                                                           \
    X(opt, "mss", sd->syn_seen && sd->mss != 0, sd->mss)                                           \
    X(opt, "wscale", sd->syn_seen && sd->wscale >= 0, (uint64_t)(sd->wscale & 0xff))               \
    X(flag, "sack_permitted", sd->sack_permitted)                                                  \
    X(flag, "timestamps", sd->timestamps)                                                          \
    X(opt, "tsval", sd->timestamps, sd->tsval)                                                     \
    X(opt, "tsecr", sd->timestamps, sd->tsecr)                                                     \
    X(opt, "initial_window", sd->syn_seen, sd->initial_window)                                     \
    X(opt, "ttl", sd->syn_seen, sd->ttl)                                                           \
    X(time, "fin_ns", sd->fin_ns)                                                                  \
    X(flag, "fin_acked", sd->fin_acked)                                                            \
    X(time, "rst_ns", sd->rst_ns)                                                                  \
    X(flag, "rst_in_window", sd->rst_in_window)                                                    \
    X(count, "packets", sd->packets)                                                               \
    X(count, "payload_bytes", sd->payload_bytes)                                                   \
    X(count, "ip_bytes", sd->ip_bytes)                                                             \
    X(time, "first_payload_ns", sd->first_payload_ns)                                              \
    X(count, "retransmits", sd->retransmits)

/*
 * A side that sent nothing, as the server of an unanswered SYN: every value
 * of SIDE_STATE_FIELDS is then that of an all-zero side, so a format may
 * write the text it made once for the zero side (a SYN flood's records all
 * have one). A new state field must be checked here.
 */
static inline bool side_is_silent(const struct tcpshake_side *sd)
{
    return !sd->syn_seen && !sd->sack_permitted && !sd->timestamps && sd->fin_ns == 0 &&
           !sd->fin_acked && sd->rst_ns == 0 && !sd->rst_in_window &&
           (sd->packets | sd->payload_bytes | sd->ip_bytes | sd->first_payload_ns) == 0 &&
           sd->retransmits == 0;
}

#define SIDE_FIELD_COUNT_ONE(...) +1
_Static_assert(0 SIDE_STATE_FIELDS(SIDE_FIELD_COUNT_ONE) == 19,
               "side_is_silent checks every value of SIDE_STATE_FIELDS");

/* The TLS handshake (record.h, struct tcpshake_tls); the group is null when
 * its outcome is none. Versions are names, cipher suites and groups hex. */
#define TLS_FIELDS(X)                                                                              \
    X(name, "outcome", tcpshake_tls_outcome_name, tl->outcome, TCPSHAKE_TLS_OUTCOME_COUNT)         \
    X(version, "ch_legacy_version", tl->ch_legacy_version)                                         \
    X(versions, "ch_versions", tl->ch_versions, tl->n_ch_versions)                                 \
    X(text, "sni", tl->sni, sizeof(tl->sni))                                                       \
    X(text, "alpn_offered", tl->alpn_offered, sizeof(tl->alpn_offered))                            \
    X(count, "n_ciphers", tl->n_ciphers)                                                           \
    X(count, "n_extensions", tl->n_extensions)                                                     \
    X(codes, "groups_offered", tl->groups_offered, tl->n_groups_offered)                           \
    X(flag, "session_id_offered", tl->session_id_offered)                                          \
    X(flag, "ticket_offered", tl->ticket_offered)                                                  \
    X(flag, "psk_offered", tl->psk_offered)                                                        \
    X(flag, "early_data_offered", tl->early_data_offered)                                          \
    X(text, "ja4", tl->ja4, sizeof(tl->ja4))                                                       \
    X(flag, "hrr", tl->hrr)                                                                        \
    X(version, "version", tl->version)                                                             \
    X(code, "cipher", tl->server_hello_ns != 0, tl->cipher)                                        \
    X(code, "group", tl->group != 0, tl->group)                                                    \
    X(text, "alpn", tl->alpn, sizeof(tl->alpn))                                                    \
    X(flag, "resumed", tl->resumed)                                                                \
    X(name, "resumption", tcpshake_tls_resumption_name, tl->resumption,                            \
      TCPSHAKE_TLS_RESUMPTION_COUNT)                                                               \
    X(time, "client_hello_ns", tl->client_hello_ns)                                                \
    X(time, "client_hello2_ns", tl->client_hello2_ns)                                              \
    X(time, "server_hello_ns", tl->server_hello_ns)                                                \
    X(time, "server_flight_ns", tl->server_flight_ns)                                              \
    X(time, "client_flight_ns", tl->client_flight_ns)                                              \
    X(time, "client_data_ns", tl->client_data_ns)                                                  \
    X(time, "server_data_ns", tl->server_data_ns)                                                  \
    X(duration, "server_side_ns", tl->server_side_ns)                                              \
    X(duration, "client_side_ns", tl->client_side_ns)                                              \
    X(duration, "handshake_ns", tl->handshake_ns)                                                  \
    X(duration, "syn_to_data_ns", tl->syn_to_data_ns)                                              \
    X(opt, "alert_level", tl->alert_by != TCPSHAKE_WHO_NONE, tl->alert_level)                      \
    X(opt, "alert_desc", tl->alert_by != TCPSHAKE_WHO_NONE, tl->alert_desc)                        \
    X(name, "alert_by", tcpshake_who_name, tl->alert_by, TCPSHAKE_WHO_COUNT)                       \
    X(time, "alert_ns", tl->alert_ns)                                                              \
    X(name, "closed_by", tcpshake_who_name, tl->closed_by, TCPSHAKE_WHO_COUNT)

#endif
