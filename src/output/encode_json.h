/*
 * encode_json.h - one JSON member (RFC 8259) per field kind, for any
 * document described as a field list (record_fields.h explains the kinds).
 *
 * JSON_FIELD(kind, name, args...) expands a field entry into its put call on
 * the cursor `b` in scope: json_put_<kind>(b, key, args...). Every member is
 * written with its leading comma; json_close turns the comma before an
 * object's first member into the opening brace, so no member asks at run
 * time whether it is the first.
 *
 * Strings are escaped per RFC 8259 section 7; bytes outside printable ASCII
 * become \u00XX, so the output is always plain ASCII. All functions are
 * inline: a record's members become one straight line of appends.
 */
#ifndef TCPSHAKE_ENCODE_JSON_H
#define TCPSHAKE_ENCODE_JSON_H

#include "sink.h"
#include "text.h"
#include "tls.h"

#include <string.h>

/*
 * A member's name with its punctuation, made at compile time: JSON_KEY("port")
 * is ,"port": and costs one copy of a constant length.
 */
struct json_key {
    const char *text;
    size_t len;
};
#define JSON_KEY(name) ((struct json_key){ ",\"" name "\":", sizeof(",\"" name "\":") - 1 })

#define JSON_FIELD(kind, name, ...) json_put_##kind(b, JSON_KEY(name), __VA_ARGS__);

/* A member holding an array of n objects, each fields(JSON_FIELD) of `e`,
 * a `const type *` to the element (summary_fields.h explains LIST). */
#define JSON_LIST(name, fields, type, array, n)                                                    \
    json_put_key(b, JSON_KEY(name));                                                               \
    text_char(b, '[');                                                                             \
    for (size_t i_ = 0; i_ < (n); i_++) {                                                          \
        const type *e = &(array)[i_];                                                              \
        if (i_ > 0) {                                                                              \
            text_char(b, ',');                                                                     \
        }                                                                                          \
        char *open_ = b->p;                                                                        \
        fields(JSON_FIELD) json_close(b, open_);                                                   \
    }                                                                                              \
    text_char(b, ']');

/* A member holding an object of fields(JSON_FIELD). */
#define JSON_OBJECT(name, fields)                                                                  \
    json_put_key(b, JSON_KEY(name));                                                               \
    {                                                                                              \
        char *open_ = b->p;                                                                        \
        fields(JSON_FIELD) json_close(b, open_);                                                   \
    }

/* A byte that goes out as it is: printable ASCII other than '"' and '\\'. */
static inline bool json_plain_byte(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/*
 * Bytes of str[0 .. len) in whole 8-byte words of plain bytes, from the start
 * (sink_jsonl.c). Out of line: inlined where len is a constant below 8, gcc
 * warns of the word read it never makes.
 */
size_t json_plain_words(const char *str, size_t len);

/* The rest of a string from its first byte that needs an escape, and the closing quote. */
struct text_cursor json_string_escaped(struct text_cursor line, const char *str, size_t len);

/*
 * Copies len bytes of src, of which max_len are readable, to dst in whole
 * 16-byte moves while src has them (up to 15 bytes past dst + len are
 * written), then the rest: a string's copy costs no call.
 */
TEXT_INLINE void json_copy16(char *dst, const char *src, size_t len, size_t max_len)
{
    size_t i = 0;
    for (; i < len && i + 16 <= max_len; i += 16) {
        memcpy(dst + i, src + i, 16);
    }
    if (i < len) {
        memcpy(dst + i, src + i, len - i);
    }
}

/* str[0 .. max_len) is readable; the string ends at its first NUL, if any. */
TEXT_INLINE void json_string(struct text_cursor *b, const char *str, size_t max_len)
{
    if (max_len == 0 || str[0] == '\0') {
        text_cstr(b, "\"\""); /* a third of a record's texts: p0f labels, a silent side's */
        return;
    }
    /* Nearly every string is plain printable ASCII: copy the run that needs no escape. */
    const char *nul = memchr(str, '\0', max_len);
    size_t len = nul != NULL ? (size_t)(nul - str) : max_len;
    size_t plain = json_plain_words(str, len);
    while (plain < len && json_plain_byte((unsigned char)str[plain])) {
        plain++;
    }
    if (plain == len) {
        if (text_room(b, len + 2 + 16)) { /* the quotes, and json_copy16's spill */
            text_put_char(b, '"');
            json_copy16(b->p, str, len, max_len);
            b->p += len;
            text_put_char(b, '"');
        }
        return;
    }
    text_char(b, '"');
    text_append(b, str, plain);
    *b = json_string_escaped(*b, str + plain, len - plain); /* by value: see sink.h */
}

/* Ends the object whose first member starts at `open` (its comma becomes the brace). */
TEXT_INLINE void json_close(struct text_cursor *b, char *open)
{
    if (open < b->p) {
        *open = '{';
    }
    text_char(b, '}');
}

TEXT_INLINE void json_put_key(struct text_cursor *b, struct json_key k)
{
    text_append(b, k.text, k.len);
}

/*
 * The key, when it and a value of at most n bytes fit: a member asks for its
 * room once and writes its value unchecked (text_put). False: the line is
 * marked overflowed, and the member is not written.
 */
TEXT_INLINE bool json_key_room(struct text_cursor *b, struct json_key k, size_t n)
{
    if (!text_room(b, k.len + n)) {
        return false;
    }
    text_put(b, k.text, k.len);
    return true;
}

TEXT_INLINE void json_put_null(struct text_cursor *b, struct json_key k)
{
    if (json_key_room(b, k, 4)) {
        text_put(b, "null", 4);
    }
}

TEXT_INLINE void json_put_count(struct text_cursor *b, struct json_key k, uint64_t v)
{
    if (json_key_room(b, k, SINK_TEXT_NUMBER)) {
        b->p = text_digits(b->p, v);
    }
}

TEXT_INLINE void json_put_schema(struct text_cursor *b, struct json_key k, uint64_t v)
{
    json_put_count(b, k, v);
}

TEXT_INLINE void json_put_opt(struct text_cursor *b, struct json_key k, bool present, uint64_t v)
{
    if (present) {
        json_put_count(b, k, v);
    } else {
        json_put_null(b, k);
    }
}

/* In the cursor's time format (text.h): ns and offsets as integers, the others as strings. */
TEXT_INLINE void json_put_time(struct text_cursor *b, struct json_key k, uint64_t ns)
{
    if (ns == 0) {
        json_put_null(b, k);
    } else if (b->time_format == TCPSHAKE_TIME_NS) {
        if (json_key_room(b, k, SINK_TEXT_NUMBER)) {
            text_put_time(b, ns);
        }
    } else {
        json_put_key(b, k);
        *b = sink_put_time(*b, ns, true);
    }
}

TEXT_INLINE void json_put_duration(struct text_cursor *b, struct json_key k, int64_t ns)
{
    if (ns == TCPSHAKE_NO_TIME) {
        json_put_null(b, k);
    } else if (json_key_room(b, k, SINK_TEXT_NUMBER)) {
        text_put_i64(b, ns);
    }
}

TEXT_INLINE void json_put_flag(struct text_cursor *b, struct json_key k, bool v)
{
    if (!json_key_room(b, k, 5)) {
        return;
    }
    if (v) {
        text_put(b, "true", 4);
    } else {
        text_put(b, "false", 5);
    }
}

/* A string that needs no escaping: our own names and addresses. */
TEXT_INLINE void json_put_word(struct text_cursor *b, struct json_key k, const char *v)
{
    size_t len = strlen(v);
    if (json_key_room(b, k, len + 2)) {
        text_put_char(b, '"');
        text_put_short(b, v, len);
        text_put_char(b, '"');
    }
}

/* A macro: each name table has its own enum type. n is for the schema. */
#define json_put_name(b, k, name_fn, v, n) json_put_word(b, k, name_fn(v))

TEXT_INLINE void json_put_text(struct text_cursor *b, struct json_key k, const char *v,
                               size_t max_len)
{
    json_put_key(b, k);
    json_string(b, v, max_len);
}

TEXT_INLINE void json_put_gaps(struct text_cursor *b, struct json_key k, const int64_t *gaps,
                               uint32_t n)
{
    json_put_key(b, k);
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

TEXT_INLINE void json_put_anomalies(struct text_cursor *b, struct json_key k, uint32_t bits)
{
    json_put_key(b, k);
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
        json_string(b, n, strlen(n));
    }
    text_char(b, ']');
}

TEXT_INLINE void json_put_ip(struct text_cursor *b, struct json_key k, bool present,
                             const uint8_t addr[16], uint8_t ip_version)
{
    if (!present) {
        json_put_null(b, k);
    } else if (json_key_room(b, k, SINK_ADDR_LEN + 2)) {
        text_put_char(b, '"');
        b->p = sink_put_ip(b->p, addr, ip_version); /* in place: two in every record */
        text_put_char(b, '"');
    }
}

TEXT_INLINE void json_put_addr(struct text_cursor *b, struct json_key k,
                               const struct tcpshake_record *r, const struct tcpshake_side *sd)
{
    json_put_ip(b, k, true, sd->addr, r->ip_version);
}

TEXT_INLINE void json_put_iso_time(struct text_cursor *b, struct json_key k, uint64_t ns)
{
    if (ns == 0) {
        json_put_null(b, k);
    } else {
        char iso[SINK_ISO_LEN];
        if (json_key_room(b, k, SINK_ISO_TEXT + 2)) {
            text_put_char(b, '"');
            text_put(b, sink_iso8601_memo(b->iso, ns, iso), SINK_ISO_TEXT); /* a constant size */
            text_put_char(b, '"');
        }
    }
}

TEXT_INLINE void json_put_iso_stamp(struct text_cursor *b, struct json_key k, uint64_t ns)
{
    char iso[SINK_ISO_LEN];
    json_put_word(b, k, sink_iso8601(ns, iso));
}

TEXT_INLINE void json_put_pct(struct text_cursor *b, struct json_key k, uint64_t part,
                              uint64_t whole)
{
    json_put_key(b, k);
    text_real(b, whole > 0 ? 100.0 * (double)part / (double)whole : 0.0, 2);
}

TEXT_INLINE void json_put_real(struct text_cursor *b, struct json_key k, double v)
{
    json_put_key(b, k);
    text_real(b, v, -1);
}

TEXT_INLINE void json_put_some(struct text_cursor *b, struct json_key k, bool present, uint64_t v)
{
    if (present) {
        json_put_count(b, k, v);
    }
}

/* A macro, as for names: each caller has its own name function. */
#define json_put_flags(b, k, name_fn, bits, n)                                                     \
    do {                                                                                           \
        json_put_key(b, k);                                                                        \
        text_char(b, '[');                                                                         \
        bool first_ = true;                                                                        \
        for (unsigned i_ = 0; i_ < (n); i_++) {                                                    \
            if ((bits) & (1u << i_)) {                                                             \
                if (!first_) {                                                                     \
                    text_char(b, ',');                                                             \
                }                                                                                  \
                first_ = false;                                                                    \
                const char *name_ = name_fn(i_);                                                   \
                json_string(b, name_, strlen(name_));                                              \
            }                                                                                      \
        }                                                                                          \
        text_char(b, ']');                                                                         \
    } while (0)

/* A macro, as for names: an object of the n names' counts, in name order. */
#define json_put_tally(b, k, name_fn, counts, n)                                                   \
    do {                                                                                           \
        json_put_key(b, k);                                                                        \
        for (unsigned i_ = 0; i_ < (n); i_++) {                                                    \
            text_append(b, i_ > 0 ? ",\"" : "{\"", 2);                                             \
            text_cstr(b, name_fn(i_));                                                             \
            text_append(b, "\":", 2);                                                              \
            text_u64(b, (counts)[i_]);                                                             \
        }                                                                                          \
        text_char(b, '}');                                                                         \
    } while (0)

TEXT_INLINE void json_put_ports(struct text_cursor *b, struct json_key k, const uint16_t *ports,
                                uint32_t n, uint32_t max)
{
    json_put_key(b, k);
    text_char(b, '[');
    uint32_t valid = n < max ? n : max;
    for (uint32_t i = 0; i < valid; i++) {
        if (i > 0) {
            text_char(b, ',');
        }
        text_u64(b, ports[i]);
    }
    text_char(b, ']');
}

/* TLS versions by name (tls.h), null when 0. */
TEXT_INLINE void json_put_version(struct text_cursor *b, struct json_key k, uint16_t v)
{
    char buf[12];
    if (v == 0) {
        json_put_null(b, k);
    } else {
        json_put_word(b, k, tls_version_name(v, buf));
    }
}

TEXT_INLINE void json_put_versions(struct text_cursor *b, struct json_key k, const uint16_t *v,
                                   uint8_t n)
{
    char buf[12];
    json_put_key(b, k);
    text_char(b, '[');
    for (unsigned i = 0; i < n && i < TCPSHAKE_TLS_LIST_MAX; i++) {
        if (i > 0) {
            text_char(b, ',');
        }
        text_char(b, '"');
        text_cstr(b, tls_version_name(v[i], buf));
        text_char(b, '"');
    }
    text_char(b, ']');
}

/* A 16-bit code point as "0x1301". */
TEXT_INLINE void json_code(struct text_cursor *b, uint16_t v)
{
    static const char hex[] = "0123456789abcdef";
    char s[8] = { '"',         '0', 'x', hex[v >> 12], hex[(v >> 8) & 15], hex[(v >> 4) & 15],
                  hex[v & 15], '"' };
    text_append(b, s, sizeof(s));
}

TEXT_INLINE void json_put_code(struct text_cursor *b, struct json_key k, bool present, uint16_t v)
{
    if (!present) {
        json_put_null(b, k);
        return;
    }
    json_put_key(b, k);
    json_code(b, v);
}

TEXT_INLINE void json_put_codes(struct text_cursor *b, struct json_key k, const uint16_t *v,
                                uint8_t n)
{
    json_put_key(b, k);
    text_char(b, '[');
    for (unsigned i = 0; i < n && i < TCPSHAKE_TLS_LIST_MAX; i++) {
        if (i > 0) {
            text_char(b, ',');
        }
        json_code(b, v[i]);
    }
    text_char(b, ']');
}

#endif
