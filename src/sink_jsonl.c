/*
 * sink_jsonl.c - JSON lines (RFC 8259), one object per connection record.
 *
 * Every field of struct tcpshake_record is written under a stable snake_case
 * name (the man page lists them). Conventions:
 *   - times are integer nanoseconds since the epoch ("*_ns"), null when the
 *     event was not seen (0 in the record); "ts" repeats first_ns as
 *     ISO-8601 UTC with 9 decimals (null too when first_ns is 0);
 *   - durations are integer nanoseconds, null when not measured
 *     (TCPSHAKE_NO_TIME);
 *   - values that come from a SYN / SYN-ACK are null when it was not seen,
 *     and so are an absent MSS (0), window scale (-1), timestamps (no TSopt),
 *     VLAN (-1) and the ICMP type / code when no ICMP error was seen;
 *   - the gap arrays hold n_syn_gaps / n_synack_gaps entries (the counts are
 *     the array lengths); anomalies is an array of names;
 *   - with TCPSHAKE_SINK_EVENTS the first member is "event": "handshake"
 *     (the outcome was just decided) or "close" (the connection ended).
 * Strings are escaped per RFC 8259 section 7; bytes outside printable ASCII
 * become \u00XX, so the output is always plain ASCII.
 */
#include "sink.h"
#include "sink_text.h"

#include <string.h>

/* Writes "key": with the comma the previous member needs. */
struct obj {
    struct sink_text *b;
    bool first; /* no member written yet */
};

static void put_string(struct sink_text *b, const char *str, size_t max_len)
{
    static const char hex[] = "0123456789abcdef";
    text_char(b, '"');
    /* Nearly every string is plain printable ASCII: copy the run that needs no escape. */
    size_t plain = 0;
    while (plain < max_len && str[plain] != '\0' && (unsigned char)str[plain] >= 0x20 &&
           (unsigned char)str[plain] < 0x7f && str[plain] != '"' && str[plain] != '\\') {
        plain++;
    }
    text_append(b, str, plain);
    for (size_t i = plain; i < max_len && str[i] != '\0'; i++) {
        unsigned char c = (unsigned char)str[i];
        switch (c) {
        case '"':
            text_cstr(b, "\\\"");
            break;
        case '\\':
            text_cstr(b, "\\\\");
            break;
        case '\b':
            text_cstr(b, "\\b");
            break;
        case '\f':
            text_cstr(b, "\\f");
            break;
        case '\n':
            text_cstr(b, "\\n");
            break;
        case '\r':
            text_cstr(b, "\\r");
            break;
        case '\t':
            text_cstr(b, "\\t");
            break;
        default:
            if (c < 0x20 || c >= 0x7f) {
                char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
                text_append(b, esc, sizeof(esc));
            } else {
                text_char(b, (char)c);
            }
        }
    }
    text_char(b, '"');
}

/* ,"name": (no comma before the first member) with one bounds check. Inline,
 * so the length of a literal name is a constant. */
static inline void key(struct obj *o, const char *name)
{
    size_t n = strlen(name);
    struct sink_text *b = o->b;
    if (n + 4 > SINK_TEXT_CAP - b->len) {
        b->overflow = true;
        return;
    }
    char *p = b->buf + b->len;
    if (!o->first) {
        *p++ = ',';
    }
    o->first = false;
    *p++ = '"';
    memcpy(p, name, n);
    p += n;
    *p++ = '"';
    *p++ = ':';
    b->len = (size_t)(p - b->buf);
}

static inline void put_u64(struct obj *o, const char *name, uint64_t v)
{
    key(o, name);
    text_u64(o->b, v);
}

static inline void put_i64(struct obj *o, const char *name, int64_t v)
{
    key(o, name);
    text_i64(o->b, v);
}

static inline void put_null(struct obj *o, const char *name)
{
    key(o, name);
    text_cstr(o->b, "null");
}

static inline void put_bool(struct obj *o, const char *name, bool v)
{
    key(o, name);
    text_cstr(o->b, v ? "true" : "false");
}

static inline void put_str(struct obj *o, const char *name, const char *v, size_t max_len)
{
    key(o, name);
    put_string(o->b, v, max_len);
}

/* A string that needs no escaping: our own names (lower-case identifiers from
 * the name tables) and addresses from tcpshake_addr_str. */
static void put_name(struct obj *o, const char *name, const char *v)
{
    key(o, name);
    text_char(o->b, '"');
    text_cstr(o->b, v);
    text_char(o->b, '"');
}

/* A point in time: null when not seen (0). */
static inline void put_time(struct obj *o, const char *name, uint64_t ns)
{
    if (ns == 0) {
        put_null(o, name);
    } else {
        put_u64(o, name, ns);
    }
}

/* A duration: null when not measured. */
static inline void put_duration(struct obj *o, const char *name, int64_t ns)
{
    if (ns == TCPSHAKE_NO_TIME) {
        put_null(o, name);
    } else {
        put_i64(o, name, ns);
    }
}

/* An unsigned value that only means something when `present`. */
static inline void put_opt(struct obj *o, const char *name, bool present, uint64_t v)
{
    if (present) {
        put_u64(o, name, v);
    } else {
        put_null(o, name);
    }
}

static void put_gaps(struct obj *o, const char *name, const int64_t *gaps, uint32_t n)
{
    key(o, name);
    text_char(o->b, '[');
    uint32_t valid = n < TCPSHAKE_MAX_GAPS ? n : TCPSHAKE_MAX_GAPS;
    for (uint32_t i = 0; i < valid; i++) {
        if (i > 0) {
            text_char(o->b, ',');
        }
        text_i64(o->b, gaps[i]);
    }
    text_char(o->b, ']');
}

static void put_anomalies(struct obj *o, uint32_t bits)
{
    key(o, "anomalies");
    text_char(o->b, '[');
    unsigned pos = 0;
    char buf[16];
    bool first = true;
    for (const char *n = sink_next_anomaly(bits, &pos, buf); n != NULL;
         n = sink_next_anomaly(bits, &pos, buf)) {
        if (!first) {
            text_char(o->b, ',');
        }
        first = false;
        put_string(o->b, n, strlen(n));
    }
    text_char(o->b, ']');
}

static void put_side(struct obj *parent, const char *name, const struct tcpshake_record *r,
                     const struct tcpshake_side *sd)
{
    char addr[SINK_ADDR_LEN];
    key(parent, name);
    text_char(parent->b, '{');
    struct obj o = { parent->b, true };
    put_name(&o, "addr", sink_addr(r, sd, addr));
    put_u64(&o, "port", sd->port);
    put_bool(&o, "syn_seen", sd->syn_seen);
    put_opt(&o, "isn", sd->syn_seen, sd->isn);
    put_opt(&o, "mss", sd->syn_seen && sd->mss != 0, sd->mss);
    put_opt(&o, "wscale", sd->syn_seen && sd->wscale >= 0, (uint64_t)(sd->wscale & 0xff));
    put_bool(&o, "sack_permitted", sd->sack_permitted);
    put_bool(&o, "timestamps", sd->timestamps);
    put_opt(&o, "tsval", sd->timestamps, sd->tsval);
    put_opt(&o, "tsecr", sd->timestamps, sd->tsecr);
    put_opt(&o, "initial_window", sd->syn_seen, sd->initial_window);
    put_opt(&o, "ttl", sd->syn_seen, sd->ttl);
    put_time(&o, "fin_ns", sd->fin_ns);
    put_bool(&o, "fin_acked", sd->fin_acked);
    put_time(&o, "rst_ns", sd->rst_ns);
    put_bool(&o, "rst_in_window", sd->rst_in_window);
    put_u64(&o, "packets", sd->packets);
    put_u64(&o, "payload_bytes", sd->payload_bytes);
    put_u64(&o, "ip_bytes", sd->ip_bytes);
    put_time(&o, "first_payload_ns", sd->first_payload_ns);
    put_u64(&o, "retransmits", sd->retransmits);
    text_char(parent->b, '}');
}

static void put_times(struct obj *o, const struct tcpshake_record *r)
{
    put_time(o, "first_ns", r->first_ns);
    put_time(o, "last_ns", r->last_ns);
    put_time(o, "syn_ns", r->syn_ns);
    put_time(o, "syn_last_ns", r->syn_last_ns);
    put_time(o, "synack_ns", r->synack_ns);
    put_time(o, "synack_last_ns", r->synack_last_ns);
    put_time(o, "ack_ns", r->ack_ns);
    put_u64(o, "n_syn", r->n_syn);
    put_u64(o, "n_synack", r->n_synack);
    put_gaps(o, "syn_gaps_ns", r->syn_gaps_ns, r->n_syn_gaps);
    put_gaps(o, "synack_gaps_ns", r->synack_gaps_ns, r->n_synack_gaps);
    put_duration(o, "server_side_ns", r->server_side_ns);
    put_duration(o, "client_side_ns", r->client_side_ns);
    put_duration(o, "handshake_ns", r->handshake_ns);
    put_name(o, "rtt_rule", tcpshake_rtt_rule_name(r->rtt_rule));
    put_duration(o, "app_latency_ns", r->app_latency_ns);
    put_duration(o, "duration_ns", r->duration_ns);
}

static void jsonl_write(struct tcpshake_sink *s, const struct tcpshake_record *r)
{
    char iso[SINK_ISO_LEN];
    struct sink_text b;
    text_reset(&b);
    struct obj o = { &b, true };
    text_char(&b, '{');
    if (s->flags & TCPSHAKE_SINK_EVENTS) {
        put_str(&o, "event", tcpshake_event_name(s->event), 16);
    }
    put_u64(&o, "id", r->id);
    if (r->first_ns != 0) {
        put_name(&o, "ts", sink_iso8601(r->first_ns, iso));
    } else {
        put_null(&o, "ts");
    }
    put_u64(&o, "ip_version", r->ip_version);
    put_opt(&o, "vlan", r->vlan >= 0, (uint64_t)(r->vlan >= 0 ? r->vlan : 0));
    put_side(&o, "client", r, &r->client);
    put_side(&o, "server", r, &r->server);
    put_bool(&o, "roles_inferred", r->roles_inferred);
    put_name(&o, "outcome", tcpshake_outcome_name(r->outcome));
    put_name(&o, "end", tcpshake_end_name(r->end));
    put_name(&o, "tfo", tcpshake_tfo_name(r->tfo));
    put_times(&o, r);
    put_opt(&o, "icmp_type", r->icmp_ns != 0, r->icmp_type);
    put_opt(&o, "icmp_code", r->icmp_ns != 0, r->icmp_code);
    put_time(&o, "icmp_ns", r->icmp_ns);
    put_name(&o, "first_fin", tcpshake_who_name(r->first_fin));
    put_name(&o, "rst_by", tcpshake_who_name(r->rst_by));
    put_bool(&o, "half_close", r->half_close);
    put_anomalies(&o, r->anomalies);
    put_str(&o, "zeek_state", r->zeek_state, sizeof(r->zeek_state));
    put_str(&o, "zeek_history", r->zeek_history, sizeof(r->zeek_history));
    put_bool(&o, "zeek_flipped", r->zeek_flipped);
    text_append(&b, "}\n", 2);
    sink_put_text(s, &b);
}

const struct sink_format sink_jsonl_format = {
    .name = "json",
    .state_size = 0,
    .begin = NULL,
    .write = jsonl_write,
    .finish = NULL,
};
