/*
 * encode_csv.h - one CSV field per field kind, for any document described as
 * a field list (record_fields.h explains the kinds).
 *
 * CSV_FIELD(kind, name, args...) expands a field entry into its put call on
 * the cursor `c` in scope: csv_put_<kind>(c, args...). Every field is written
 * with its leading comma, and the writer drops the line's first byte, so no
 * field asks at run time whether it is the first.
 *
 * An empty field is what JSON writes as null; booleans are true / false; the
 * gap lists and the anomaly names are joined with '|'. Quoting follows
 * RFC 4180 section 2: a field holding a comma, a double quote, CR or LF is
 * enclosed in double quotes with inner quotes doubled. Names, numbers and
 * addresses never need it.
 */
#ifndef TCPSHAKE_ENCODE_CSV_H
#define TCPSHAKE_ENCODE_CSV_H

#include "sink.h"
#include "text.h"
#include "tls.h"

#include <string.h>

#define CSV_FIELD(kind, name, ...) csv_put_##kind(c, __VA_ARGS__);

/* A header column: prefix and name, e.g. "client_" "port". */
static inline void csv_put_column(struct text_cursor *c, const char *prefix, const char *name)
{
    text_char(c, ',');
    text_cstr(c, prefix);
    text_cstr(c, name);
}

/* RFC 4180 2.6: fields with a comma, a double quote or a line break are quoted. */
static inline bool csv_needs_quotes(const char *v, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (v[i] == ',' || v[i] == '"' || v[i] == '\r' || v[i] == '\n') {
            return true;
        }
    }
    return false;
}

static inline void csv_put_count(struct text_cursor *c, uint64_t v)
{
    text_char(c, ',');
    text_u64(c, v);
}

static inline void csv_put_schema(struct text_cursor *c, uint64_t v)
{
    csv_put_count(c, v);
}

static inline void csv_put_opt(struct text_cursor *c, bool present, uint64_t v)
{
    text_char(c, ',');
    if (present) {
        text_u64(c, v);
    }
}

static inline void csv_put_time(struct text_cursor *c, uint64_t ns)
{
    if (ns == 0) {
        text_char(c, ',');
    } else if (c->time_format == TCPSHAKE_TIME_NS) {
        text_char(c, ',');
        text_time(c, ns);
    } else {
        text_char(c, ',');
        *c = sink_put_time(*c, ns, false);
    }
}

static inline void csv_put_duration(struct text_cursor *c, int64_t ns)
{
    text_char(c, ',');
    if (ns != TCPSHAKE_NO_TIME) {
        text_i64(c, ns);
    }
}

static inline void csv_put_flag(struct text_cursor *c, bool v)
{
    text_char(c, ',');
    if (v) {
        text_append(c, "true", 4);
    } else {
        text_append(c, "false", 5);
    }
}

/* A field that never needs quotes: our own names and addresses. */
static inline void csv_put_word(struct text_cursor *c, const char *v)
{
    text_char(c, ',');
    text_cstr(c, v);
}

/* A macro: each name table has its own enum type. n is for the schema. */
#define csv_put_name(c, name_fn, v, n) csv_put_word(c, name_fn(v))

static inline void csv_put_text(struct text_cursor *c, const char *v, size_t max_len)
{
    text_char(c, ',');
    size_t len = strnlen(v, max_len);
    if (!csv_needs_quotes(v, len)) {
        text_append(c, v, len);
        return;
    }
    text_char(c, '"');
    for (size_t i = 0; i < len; i++) {
        if (v[i] == '"') {
            text_char(c, '"');
        }
        text_char(c, v[i]);
    }
    text_char(c, '"');
}

static inline void csv_put_gaps(struct text_cursor *c, const int64_t *gaps, uint32_t n)
{
    text_char(c, ',');
    uint32_t valid = n < TCPSHAKE_MAX_GAPS ? n : TCPSHAKE_MAX_GAPS;
    for (uint32_t i = 0; i < valid; i++) {
        if (i > 0) {
            text_char(c, '|');
        }
        text_i64(c, gaps[i]);
    }
}

/* Anomaly names hold only [a-z0-9_], so the joined list never needs quotes. */
static inline void csv_put_anomalies(struct text_cursor *c, uint32_t bits)
{
    text_char(c, ',');
    unsigned pos = 0;
    char buf[16];
    bool first = true;
    for (const char *n = sink_next_anomaly(bits, &pos, buf); n != NULL;
         n = sink_next_anomaly(bits, &pos, buf)) {
        if (!first) {
            text_char(c, '|');
        }
        text_cstr(c, n);
        first = false;
    }
}

static inline void csv_put_addr(struct text_cursor *c, const struct tcpshake_record *r,
                                const struct tcpshake_side *sd)
{
    text_char(c, ',');
    if (text_room(c, SINK_ADDR_LEN)) {
        c->p = sink_put_ip(c->p, sd->addr, r->ip_version); /* no copy: two in every record */
    }
}

static inline void csv_put_iso_time(struct text_cursor *c, uint64_t ns)
{
    if (ns == 0) {
        text_char(c, ',');
    } else {
        char iso[SINK_ISO_LEN];
        text_char(c, ',');
        text_append(c, sink_iso8601_memo(c->iso, ns, iso), SINK_ISO_TEXT); /* a constant size */
    }
}

static inline void csv_put_iso_stamp(struct text_cursor *c, uint64_t ns)
{
    char iso[SINK_ISO_LEN];
    csv_put_word(c, sink_iso8601(ns, iso));
}

static inline void csv_put_pct(struct text_cursor *c, uint64_t part, uint64_t whole)
{
    text_char(c, ',');
    text_real(c, whole > 0 ? 100.0 * (double)part / (double)whole : 0.0, 2);
}

static inline void csv_put_real(struct text_cursor *c, double v)
{
    text_char(c, ',');
    text_real(c, v, -1);
}

/* TLS versions by name (tls.h), empty when 0. */
static inline void csv_put_version(struct text_cursor *c, uint16_t v)
{
    char buf[12];
    text_char(c, ',');
    if (v != 0) {
        text_cstr(c, tls_version_name(v, buf));
    }
}

static inline void csv_put_versions(struct text_cursor *c, const uint16_t *v, uint8_t n)
{
    char buf[12];
    text_char(c, ',');
    for (unsigned i = 0; i < n && i < TCPSHAKE_TLS_LIST_MAX; i++) {
        if (i > 0) {
            text_char(c, '|');
        }
        text_cstr(c, tls_version_name(v[i], buf));
    }
}

/* A 16-bit code point as 0x1301. */
static inline void csv_code(struct text_cursor *c, uint16_t v)
{
    static const char hex[] = "0123456789abcdef";
    char s[6] = { '0', 'x', hex[v >> 12], hex[(v >> 8) & 15], hex[(v >> 4) & 15], hex[v & 15] };
    text_append(c, s, sizeof(s));
}

static inline void csv_put_code(struct text_cursor *c, bool present, uint16_t v)
{
    text_char(c, ',');
    if (present) {
        csv_code(c, v);
    }
}

static inline void csv_put_codes(struct text_cursor *c, const uint16_t *v, uint8_t n)
{
    text_char(c, ',');
    for (unsigned i = 0; i < n && i < TCPSHAKE_TLS_LIST_MAX; i++) {
        if (i > 0) {
            text_char(c, '|');
        }
        csv_code(c, v[i]);
    }
}

#endif
