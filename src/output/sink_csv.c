/*
 * sink_csv.c - comma-separated values: a header line, then one row per record.
 *
 * Columns are the JSON field names flattened (client.port -> client_port), in
 * the same order, so the two formats share one vocabulary (the man page lists
 * both). Conventions: an empty field is what JSON writes as null; booleans
 * are true / false; the gap lists and the anomaly names are joined with '|'.
 * Quoting follows RFC 4180 section 2: a field holding a comma, a double
 * quote, CR or LF is enclosed in double quotes with inner quotes doubled.
 * Lines end with LF, not the CRLF of RFC 4180, as Unix tools expect.
 * With TCPSHAKE_SINK_EVENTS a first column "event" says handshake or close.
 */
#include "sink.h"

#include <string.h>

#include "text.h"

/* The per-side columns, written once with "client_" and once with "server_". */
static const char *const side_columns[] = {
    "addr",        "port",          "syn_seen",       "isn",
    "mss",         "wscale",        "sack_permitted", "timestamps",
    "tsval",       "tsecr",         "initial_window", "ttl",
    "fin_ns",      "fin_acked",     "rst_ns",         "rst_in_window",
    "packets",     "payload_bytes", "ip_bytes",       "first_payload_ns",
    "retransmits",
};

static const char *const head_columns[] = { "id", "ts", "ip_version", "vlan" };

static const char *const tail_columns[] = {
    "roles_inferred", "outcome",        "end",          "tfo",         "first_ns",
    "last_ns",        "syn_ns",         "syn_last_ns",  "synack_ns",   "synack_last_ns",
    "ack_ns",         "n_syn",          "n_synack",     "syn_gaps_ns", "synack_gaps_ns",
    "server_side_ns", "client_side_ns", "handshake_ns", "rtt_rule",    "app_latency_ns",
    "duration_ns",    "icmp_type",      "icmp_code",    "icmp_ns",     "first_fin",
    "rst_by",         "half_close",     "anomalies",    "zeek_state",  "zeek_history",
    "zeek_flipped",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A line being built: fields are appended through c, with the commas between them. */
struct row {
    struct text_cursor c;
    bool first;
};

/* Writes the separator each field but the first needs. */
static void sep(struct row *w)
{
    if (!w->first) {
        text_char(&w->c, ',');
    }
    w->first = false;
}

/* RFC 4180 2.6: fields with a comma, a double quote or a line break are quoted. */
static bool needs_quotes(const char *v, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (v[i] == ',' || v[i] == '"' || v[i] == '\r' || v[i] == '\n') {
            return true;
        }
    }
    return false;
}

/* v need not be NUL-terminated within max_len (the record's char arrays). */
static void put_text(struct row *w, const char *v, size_t max_len)
{
    sep(w);
    size_t len = strnlen(v, max_len);
    if (!needs_quotes(v, len)) {
        text_append(&w->c, v, len);
        return;
    }
    text_char(&w->c, '"');
    for (size_t i = 0; i < len; i++) {
        if (v[i] == '"') {
            text_char(&w->c, '"');
        }
        text_char(&w->c, v[i]);
    }
    text_char(&w->c, '"');
}

static void put_u64(struct row *w, uint64_t v)
{
    sep(w);
    text_u64(&w->c, v);
}

static void put_opt(struct row *w, bool present, uint64_t v)
{
    if (present) {
        put_u64(w, v);
    } else {
        sep(w);
    }
}

static void put_time(struct row *w, uint64_t ns)
{
    put_opt(w, ns != 0, ns);
}

static void put_duration(struct row *w, int64_t ns)
{
    sep(w);
    if (ns != TCPSHAKE_NO_TIME) {
        text_i64(&w->c, ns);
    }
}

static void put_bool(struct row *w, bool v)
{
    sep(w);
    text_cstr(&w->c, v ? "true" : "false");
}

static void put_gaps(struct row *w, const int64_t *gaps, uint32_t n)
{
    sep(w);
    uint32_t valid = n < TCPSHAKE_MAX_GAPS ? n : TCPSHAKE_MAX_GAPS;
    for (uint32_t i = 0; i < valid; i++) {
        if (i > 0) {
            text_char(&w->c, '|');
        }
        text_i64(&w->c, gaps[i]);
    }
}

/* Anomaly names hold only [a-z0-9_], so the joined list never needs quotes. */
static void put_anomalies(struct row *w, uint32_t bits)
{
    sep(w);
    unsigned pos = 0;
    char buf[16];
    bool first = true;
    for (const char *n = sink_next_anomaly(bits, &pos, buf); n != NULL;
         n = sink_next_anomaly(bits, &pos, buf)) {
        if (!first) {
            text_char(&w->c, '|');
        }
        text_cstr(&w->c, n);
        first = false;
    }
}

static void put_side(struct row *w, const struct tcpshake_record *r, const struct tcpshake_side *sd)
{
    char addr[SINK_ADDR_LEN];
    put_text(w, sink_addr(r, sd, addr), SINK_ADDR_LEN);
    put_u64(w, sd->port);
    put_bool(w, sd->syn_seen);
    put_opt(w, sd->syn_seen, sd->isn);
    put_opt(w, sd->syn_seen && sd->mss != 0, sd->mss);
    put_opt(w, sd->syn_seen && sd->wscale >= 0, (uint64_t)(sd->wscale & 0xff));
    put_bool(w, sd->sack_permitted);
    put_bool(w, sd->timestamps);
    put_opt(w, sd->timestamps, sd->tsval);
    put_opt(w, sd->timestamps, sd->tsecr);
    put_opt(w, sd->syn_seen, sd->initial_window);
    put_opt(w, sd->syn_seen, sd->ttl);
    put_time(w, sd->fin_ns);
    put_bool(w, sd->fin_acked);
    put_time(w, sd->rst_ns);
    put_bool(w, sd->rst_in_window);
    put_u64(w, sd->packets);
    put_u64(w, sd->payload_bytes);
    put_u64(w, sd->ip_bytes);
    put_time(w, sd->first_payload_ns);
    put_u64(w, sd->retransmits);
}

static void put_tail(struct row *w, const struct tcpshake_record *r)
{
    put_bool(w, r->roles_inferred);
    put_text(w, tcpshake_outcome_name(r->outcome), SIZE_MAX);
    put_text(w, tcpshake_end_name(r->end), SIZE_MAX);
    put_text(w, tcpshake_tfo_name(r->tfo), SIZE_MAX);
    put_time(w, r->first_ns);
    put_time(w, r->last_ns);
    put_time(w, r->syn_ns);
    put_time(w, r->syn_last_ns);
    put_time(w, r->synack_ns);
    put_time(w, r->synack_last_ns);
    put_time(w, r->ack_ns);
    put_u64(w, r->n_syn);
    put_u64(w, r->n_synack);
    put_gaps(w, r->syn_gaps_ns, r->n_syn_gaps);
    put_gaps(w, r->synack_gaps_ns, r->n_synack_gaps);
    put_duration(w, r->server_side_ns);
    put_duration(w, r->client_side_ns);
    put_duration(w, r->handshake_ns);
    put_text(w, tcpshake_rtt_rule_name(r->rtt_rule), SIZE_MAX);
    put_duration(w, r->app_latency_ns);
    put_duration(w, r->duration_ns);
    put_opt(w, r->icmp_ns != 0, r->icmp_type);
    put_opt(w, r->icmp_ns != 0, r->icmp_code);
    put_time(w, r->icmp_ns);
    put_text(w, tcpshake_who_name(r->first_fin), SIZE_MAX);
    put_text(w, tcpshake_who_name(r->rst_by), SIZE_MAX);
    put_bool(w, r->half_close);
    put_anomalies(w, r->anomalies);
    put_text(w, r->zeek_state, sizeof(r->zeek_state));
    put_text(w, r->zeek_history, sizeof(r->zeek_history));
    put_bool(w, r->zeek_flipped);
}

static void put_names(struct row *w, const char *prefix, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sep(w);
        text_cstr(&w->c, prefix);
        text_cstr(&w->c, names[i]);
    }
}

static void csv_begin(struct tcpshake_sink *s, const struct tcpshake_record *first)
{
    (void)first;
    struct text_buf t;
    struct row w = { text_start(&t), true };
    if (s->flags & TCPSHAKE_SINK_EVENTS) {
        sep(&w);
        text_cstr(&w.c, "event");
    }
    put_names(&w, "", head_columns, COUNT(head_columns));
    put_names(&w, "client_", side_columns, COUNT(side_columns));
    put_names(&w, "server_", side_columns, COUNT(side_columns));
    put_names(&w, "", tail_columns, COUNT(tail_columns));
    text_char(&w.c, '\n');
    sink_put_text(s, &w.c);
}

static void csv_write(struct tcpshake_sink *s, const struct tcpshake_record *r)
{
    char iso[SINK_ISO_LEN];
    struct text_buf t;
    struct row w = { text_start(&t), true };
    if (s->flags & TCPSHAKE_SINK_EVENTS) {
        put_text(&w, tcpshake_event_name(s->event), 16);
    }
    put_u64(&w, r->id);
    if (r->first_ns != 0) {
        put_text(&w, sink_iso8601(r->first_ns, iso), SINK_ISO_LEN);
    } else {
        sep(&w);
    }
    put_u64(&w, r->ip_version);
    put_opt(&w, r->vlan >= 0, (uint64_t)(r->vlan >= 0 ? r->vlan : 0));
    put_side(&w, r, &r->client);
    put_side(&w, r, &r->server);
    put_tail(&w, r);
    text_char(&w.c, '\n');
    sink_put_text(s, &w.c);
}

const struct sink_format sink_csv_format = {
    .name = "csv",
    .state_size = 0,
    .begin = csv_begin,
    .write = csv_write,
    .finish = NULL,
};
