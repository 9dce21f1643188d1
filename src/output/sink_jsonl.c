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
#include "text.h"

#include <string.h>

static inline void put_string(struct text_cursor *b, const char *str, size_t max_len)
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

/*
 * A member's name with its punctuation, made at compile time: KEY("port") is
 * ,"port": and FIRST("id") is "id": for the first member of an object. Each is
 * one copy of a constant length; commas decided at run time cost more than
 * the rest of a small member.
 */
struct key {
    const char *text;
    size_t len;
};
#define LITERAL_KEY(text) ((struct key){ text, sizeof(text) - 1 })
#define KEY(name)         LITERAL_KEY(",\"" name "\":")
#define FIRST(name)       LITERAL_KEY("\"" name "\":")

static inline void put_key(struct text_cursor *b, struct key k)
{
    text_append(b, k.text, k.len);
}

static inline void put_u64(struct text_cursor *b, struct key k, uint64_t v)
{
    put_key(b, k);
    text_u64(b, v);
}

static inline void put_i64(struct text_cursor *b, struct key k, int64_t v)
{
    put_key(b, k);
    text_i64(b, v);
}

static inline void put_null(struct text_cursor *b, struct key k)
{
    put_key(b, k);
    text_append(b, "null", 4);
}

static inline void put_bool(struct text_cursor *b, struct key k, bool v)
{
    put_key(b, k);
    if (v) {
        text_append(b, "true", 4);
    } else {
        text_append(b, "false", 5);
    }
}

static inline void put_str(struct text_cursor *b, struct key k, const char *v, size_t max_len)
{
    put_key(b, k);
    put_string(b, v, max_len);
}

/* A string that needs no escaping: our own names (lower-case identifiers from
 * the name tables) and addresses from tcpshake_addr_str. */
static inline void put_name(struct text_cursor *b, struct key k, const char *v)
{
    put_key(b, k);
    text_char(b, '"');
    text_cstr(b, v);
    text_char(b, '"');
}

/* A point in time: null when not seen (0). */
static inline void put_time(struct text_cursor *b, struct key k, uint64_t ns)
{
    if (ns == 0) {
        put_null(b, k);
    } else {
        put_u64(b, k, ns);
    }
}

/* A duration: null when not measured. */
static inline void put_duration(struct text_cursor *b, struct key k, int64_t ns)
{
    if (ns == TCPSHAKE_NO_TIME) {
        put_null(b, k);
    } else {
        put_i64(b, k, ns);
    }
}

/* An unsigned value that only means something when `present`. */
static inline void put_opt(struct text_cursor *b, struct key k, bool present, uint64_t v)
{
    if (present) {
        put_u64(b, k, v);
    } else {
        put_null(b, k);
    }
}

static inline void put_gaps(struct text_cursor *b, struct key k, const int64_t *gaps, uint32_t n)
{
    put_key(b, k);
    text_char(b, '[');
    uint32_t valid = n < TCPSHAKE_MAX_GAPS ? n : TCPSHAKE_MAX_GAPS;
    for (uint32_t i = 0; i < valid; i++) {
        if (i > 0) {
            text_char(b, ',');
        }
        text_i64(b, gaps[i]);
    }
    text_char(b, ']');
}

static inline void put_anomalies(struct text_cursor *b, uint32_t bits)
{
    put_key(b, KEY("anomalies"));
    text_char(b, '[');
    unsigned pos = 0;
    char buf[16];
    bool first = true;
    for (const char *n = sink_next_anomaly(bits, &pos, buf); n != NULL;
         n = sink_next_anomaly(bits, &pos, buf)) {
        if (!first) {
            text_char(b, ',');
        }
        first = false;
        put_string(b, n, strlen(n));
    }
    text_char(b, ']');
}

/* By value, so that the cursor stays in registers (text.h). */
static struct text_cursor put_side(struct text_cursor line, struct key k,
                                   const struct tcpshake_record *r, const struct tcpshake_side *sd)
{
    struct text_cursor *b = &line;
    char addr[SINK_ADDR_LEN];
    put_key(b, k);
    text_char(b, '{');
    put_name(b, FIRST("addr"), sink_addr(r, sd, addr));
    put_u64(b, KEY("port"), sd->port);
    put_bool(b, KEY("syn_seen"), sd->syn_seen);
    put_opt(b, KEY("isn"), sd->syn_seen, sd->isn);
    put_opt(b, KEY("mss"), sd->syn_seen && sd->mss != 0, sd->mss);
    put_opt(b, KEY("wscale"), sd->syn_seen && sd->wscale >= 0, (uint64_t)(sd->wscale & 0xff));
    put_bool(b, KEY("sack_permitted"), sd->sack_permitted);
    put_bool(b, KEY("timestamps"), sd->timestamps);
    put_opt(b, KEY("tsval"), sd->timestamps, sd->tsval);
    put_opt(b, KEY("tsecr"), sd->timestamps, sd->tsecr);
    put_opt(b, KEY("initial_window"), sd->syn_seen, sd->initial_window);
    put_opt(b, KEY("ttl"), sd->syn_seen, sd->ttl);
    put_time(b, KEY("fin_ns"), sd->fin_ns);
    put_bool(b, KEY("fin_acked"), sd->fin_acked);
    put_time(b, KEY("rst_ns"), sd->rst_ns);
    put_bool(b, KEY("rst_in_window"), sd->rst_in_window);
    put_u64(b, KEY("packets"), sd->packets);
    put_u64(b, KEY("payload_bytes"), sd->payload_bytes);
    put_u64(b, KEY("ip_bytes"), sd->ip_bytes);
    put_time(b, KEY("first_payload_ns"), sd->first_payload_ns);
    put_u64(b, KEY("retransmits"), sd->retransmits);
    text_char(b, '}');
    return line;
}

static struct text_cursor put_times(struct text_cursor line, const struct tcpshake_record *r)
{
    struct text_cursor *b = &line;
    put_time(b, KEY("first_ns"), r->first_ns);
    put_time(b, KEY("last_ns"), r->last_ns);
    put_time(b, KEY("syn_ns"), r->syn_ns);
    put_time(b, KEY("syn_last_ns"), r->syn_last_ns);
    put_time(b, KEY("synack_ns"), r->synack_ns);
    put_time(b, KEY("synack_last_ns"), r->synack_last_ns);
    put_time(b, KEY("ack_ns"), r->ack_ns);
    put_u64(b, KEY("n_syn"), r->n_syn);
    put_u64(b, KEY("n_synack"), r->n_synack);
    put_gaps(b, KEY("syn_gaps_ns"), r->syn_gaps_ns, r->n_syn_gaps);
    put_gaps(b, KEY("synack_gaps_ns"), r->synack_gaps_ns, r->n_synack_gaps);
    put_duration(b, KEY("server_side_ns"), r->server_side_ns);
    put_duration(b, KEY("client_side_ns"), r->client_side_ns);
    put_duration(b, KEY("handshake_ns"), r->handshake_ns);
    put_name(b, KEY("rtt_rule"), tcpshake_rtt_rule_name(r->rtt_rule));
    put_duration(b, KEY("app_latency_ns"), r->app_latency_ns);
    put_duration(b, KEY("duration_ns"), r->duration_ns);
    return line;
}

static void jsonl_write(struct tcpshake_sink *s, const struct tcpshake_record *r)
{
    char iso[SINK_ISO_LEN];
    struct text_buf text;
    struct text_cursor line = text_start(&text);
    struct text_cursor *b = &line;
    text_char(b, '{');
    if (s->flags & TCPSHAKE_SINK_EVENTS) {
        put_str(b, FIRST("event"), tcpshake_event_name(s->event), 16);
        put_u64(b, KEY("id"), r->id);
    } else {
        put_u64(b, FIRST("id"), r->id);
    }
    if (r->first_ns != 0) {
        put_name(b, KEY("ts"), sink_iso8601(r->first_ns, iso));
    } else {
        put_null(b, KEY("ts"));
    }
    put_u64(b, KEY("ip_version"), r->ip_version);
    put_opt(b, KEY("vlan"), r->vlan >= 0, (uint64_t)(r->vlan >= 0 ? r->vlan : 0));
    line = put_side(line, KEY("client"), r, &r->client);
    line = put_side(line, KEY("server"), r, &r->server);
    put_bool(b, KEY("roles_inferred"), r->roles_inferred);
    put_name(b, KEY("outcome"), tcpshake_outcome_name(r->outcome));
    put_name(b, KEY("end"), tcpshake_end_name(r->end));
    put_name(b, KEY("tfo"), tcpshake_tfo_name(r->tfo));
    line = put_times(line, r);
    put_opt(b, KEY("icmp_type"), r->icmp_ns != 0, r->icmp_type);
    put_opt(b, KEY("icmp_code"), r->icmp_ns != 0, r->icmp_code);
    put_time(b, KEY("icmp_ns"), r->icmp_ns);
    put_name(b, KEY("first_fin"), tcpshake_who_name(r->first_fin));
    put_name(b, KEY("rst_by"), tcpshake_who_name(r->rst_by));
    put_bool(b, KEY("half_close"), r->half_close);
    put_anomalies(b, r->anomalies);
    put_str(b, KEY("zeek_state"), r->zeek_state, sizeof(r->zeek_state));
    put_str(b, KEY("zeek_history"), r->zeek_history, sizeof(r->zeek_history));
    put_bool(b, KEY("zeek_flipped"), r->zeek_flipped);
    text_append(b, "}\n", 2);
    sink_put_text(s, &line);
}

const struct sink_format sink_jsonl_format = {
    .name = "json",
    .state_size = 0,
    .begin = NULL,
    .write = jsonl_write,
    .finish = NULL,
};
