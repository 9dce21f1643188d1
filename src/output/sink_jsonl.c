/*
 * sink_jsonl.c - JSON lines (RFC 8259), one object per connection record.
 *
 * The members are the fields of record_fields.h, in its order, under their
 * stable snake_case names (the man page and docs/record.schema.json list
 * them); encode_json.h writes each kind. Conventions:
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
 *   - "tls" is an object (TLS_FIELDS) when the connection started a TLS
 *     handshake, else null;
 *   - with TCPSHAKE_SINK_EVENTS the first member is "event": "handshake"
 *     (the outcome was just decided) or "close" (the connection ended).
 */
#include "sink.h"

#include "encode_json.h"
#include "record_fields.h"
#include "text.h"

/*
 * Bytes of str[0 .. len) in whole 8-byte words of plain bytes, from the start:
 * each word is tested at once (a byte below 0x20, at or above 0x7f, '"' or
 * '\\' sets the high bit of some byte of `special`; the tests are exact).
 */
size_t json_plain_words(const char *str, size_t len)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    size_t n = 0;
    while (len - n >= 8) {
        uint64_t w;
        memcpy(&w, str + n, sizeof(w));
        uint64_t quote = w ^ (ones * '"'), bslash = w ^ (ones * '\\'), del = w ^ (ones * 0x7f);
        uint64_t special = ((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) |
                           ((bslash - ones) & ~bslash) | ((del - ones) & ~del) | w;
        if ((special & highs) != 0) {
            break;
        }
        n += 8;
    }
    return n;
}

/* Out of line: a string that needs an escape is rare (encode_json.h). */
struct text_cursor json_string_escaped(struct text_cursor line, const char *str, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    struct text_cursor *b = &line;
    for (size_t i = 0; i < len; i++) {
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
    return line;
}

struct jsonl_state {
    struct sink_silent silent; /* a silent side's state members */
};

/* By value, so that the cursor stays in registers (text.h). */
static struct text_cursor put_side(struct text_cursor line, struct json_key k,
                                   const struct tcpshake_record *r, const struct tcpshake_side *sd,
                                   const struct sink_silent *silent)
{
    struct text_cursor *b = &line;
    json_put_key(b, k);
    char *open = line.p;
    SIDE_ADDR_FIELDS(JSON_FIELD)
    if (silent->len > 0 && side_is_silent(sd)) {
        text_append(b, silent->text, silent->len);
    } else {
        SIDE_STATE_FIELDS(JSON_FIELD)
    }
    json_close(b, open);
    return line;
}

#define JSON_SIDE(name, side) line = put_side(line, JSON_KEY(name), r, side, &st->silent);

static struct text_cursor put_tls(struct text_cursor line, struct json_key k,
                                  const struct tcpshake_tls *tl)
{
    struct text_cursor *b = &line;
    json_put_key(b, k);
    char *open = line.p;
    TLS_FIELDS(JSON_FIELD)
    json_close(b, open);
    return line;
}

#define JSON_NGROUP(name, present, tls)                                                            \
    if (present) {                                                                                 \
        line = put_tls(line, JSON_KEY(name), tls);                                                 \
    } else {                                                                                       \
        json_put_null(b, JSON_KEY(name));                                                          \
    }

static void jsonl_begin(struct tcpshake_sink *s, const struct tcpshake_record *first)
{
    (void)first;
    struct jsonl_state *st = (struct jsonl_state *)s->state;
    const struct tcpshake_side zero = { 0 }, *sd = &zero;
    struct text_buf text;
    struct text_cursor line = text_start(&text);
    struct text_cursor *b = &line;
    SIDE_STATE_FIELDS(JSON_FIELD)
    sink_silent_keep(&st->silent, &line, line.start);
}

static void jsonl_write(struct tcpshake_sink *s, const struct tcpshake_record *r)
{
    const struct jsonl_state *st = (const struct jsonl_state *)s->state;
    enum tcpshake_event ev = s->event;
    struct text_buf text;
    struct text_cursor line = text_start(&text);
    struct text_cursor *b = &line;
    sink_time_style(s, b);
    if (s->flags & TCPSHAKE_SINK_EVENTS) {
        RECORD_EVENT_FIELD(JSON_FIELD)
    }
    RECORD_FIELDS(JSON_FIELD, JSON_SIDE, JSON_NGROUP)
    json_close(b, line.start);
    text_char(b, '\n');
    sink_put_text(s, &line);
}

const struct sink_format sink_jsonl_format = {
    .name = "json",
    .state_size = sizeof(struct jsonl_state),
    .begin = jsonl_begin,
    .write = jsonl_write,
    .finish = NULL,
};
