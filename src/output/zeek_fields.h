/*
 * zeek_fields.h - the columns of Zeek's conn.log as sink_zeek.c writes them:
 * one list from which the #fields and #types header lines and every row are
 * made, so a column is added in one place.
 *
 * An entry is X("name", "zeek type", kind, args...): the name and type as
 * Zeek's ASCII writer spells them (time, string, addr, port, enum, interval,
 * count, bool, set[string]); the kind says how sink_zeek.c writes the value
 * and which args follow:
 *   time      (ns)              seconds with 6 decimals
 *   uid       (id)              'C' and the id in base 62
 *   addr      (r, side)         address text
 *   count     (v)               unsigned integer
 *   opt       (present, v)      unsigned integer, unset ('-') when !present
 *   interval  (us)              seconds with 6 decimals, unset when 0
 *   text      (chars, max_len)  escaped text, unset when empty
 *   word      (text)            written as is: a constant, or "-" for a column
 *                               tcpshake always leaves unset
 * Values are expressions of `r` (the record), `orig` and `resp` (its sides as
 * Zeek orients them) and `lasted_us` (whole microseconds from the first to
 * Zeek's last time), all set by the row writer.
 */
#ifndef TCPSHAKE_ZEEK_FIELDS_H
#define TCPSHAKE_ZEEK_FIELDS_H

#define ZEEK_CONN_FIELDS(X)                                                                        \
    X("ts", "time", time, r->first_ns)                                                             \
    X("uid", "string", uid, r->id)                                                                 \
    X("id.orig_h", "addr", addr, r, orig)                                                          \
    X("id.orig_p", "port", count, orig->port)                                                      \
    X("id.resp_h", "addr", addr, r, resp)                                                          \
    X("id.resp_p", "port", count, resp->port)                                                      \
    X("proto", "enum", word, "tcp")                                                                \
    X("service", "string", word, "-")                                                              \
    X("duration", "interval", interval, lasted_us)                                                 \
    X("orig_bytes", "count", opt, lasted_us > 0, r->zeek_orig_bytes)                               \
    X("resp_bytes", "count", opt, lasted_us > 0, r->zeek_resp_bytes)                               \
    X("conn_state", "string", text, r->zeek_state, sizeof(r->zeek_state))                          \
    X("local_orig", "bool", word, "-")                                                             \
    X("local_resp", "bool", word, "-")                                                             \
    X("missed_bytes", "count", count, 0)                                                           \
    X("history", "string", text, r->zeek_history, sizeof(r->zeek_history))                         \
    X("orig_pkts", "count", count, orig->packets)                                                  \
    X("orig_ip_bytes", "count", count, orig->ip_bytes)                                             \
    X("resp_pkts", "count", count, resp->packets)                                                  \
    X("resp_ip_bytes", "count", count, resp->ip_bytes)                                             \
    X("tunnel_parents", "set[string]", word, "-")                                                  \
    X("ip_proto", "count", count, 6)

#define ZEEK_FIELD_NAME(name, type, kind, ...) "\t" name
#define ZEEK_FIELD_TYPE(name, type, kind, ...) "\t" type

/* The two header lines, as string literals. */
#define ZEEK_FIELDS_LINE "#fields" ZEEK_CONN_FIELDS(ZEEK_FIELD_NAME) "\n"
#define ZEEK_TYPES_LINE  "#types" ZEEK_CONN_FIELDS(ZEEK_FIELD_TYPE) "\n"

#endif
