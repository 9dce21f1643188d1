/*
 * text.h - a text buffer for one record, built in memory and written with one
 * fwrite: formatting through stdio field by field cost more than all the
 * analysis. The JSON and CSV sinks build their lines here.
 *
 * SINK_TEXT_CAP holds the longest possible record several times over; the
 * appenders still refuse to overflow, and set overflow instead, so that a
 * sink can report the record as a write error rather than print half of it.
 * A number asks for room for the longest one (SINK_TEXT_NUMBER bytes).
 */
#ifndef TCPSHAKE_TEXT_H
#define TCPSHAKE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SINK_TEXT_CAP 8192
/* The longest decimal text of a 64-bit integer: UINT64_MAX, or '-' and 19 digits. */
#define SINK_TEXT_NUMBER 20

/* The appenders are always inlined: a call that takes a cursor's address makes the
 * caller keep the cursor in memory (see struct text_cursor). */
#define TEXT_INLINE static inline __attribute__((always_inline))

struct sink_iso_memo;

struct text_buf {
    char buf[SINK_TEXT_CAP];
};

/*
 * Where the next byte of a line goes. Writers keep it in a local variable and
 * hand it only to the inline appenders below (or pass it by value), so that it
 * stays in registers: kept in memory, it was reloaded after every byte
 * written, since a char store may alias anything.
 */
struct text_cursor {
    char *start;
    char *p;
    char *end;
    bool overflow;
    /* How the time kind is written (enum tcpshake_time_format; 0 is ns since
     * the epoch) and, for offsets, from when: set by the sink, text_start zeroes them. */
    unsigned char time_format;
    uint64_t time_origin;
    /* The text of the last second written as ISO-8601, kept by the sink across
     * records (sink.h); NULL: none (text_start). */
    struct sink_iso_memo *iso;
    /* The last time written by text_time (not 0) and where its digits are in
     * this line: a record's times repeat (first_ns, syn_ns, syn_last_ns ...). */
    uint64_t last_ns;
    const char *last_ns_at;
    size_t last_ns_len;
};

/* An empty line to build in t. */
TEXT_INLINE struct text_cursor text_start(struct text_buf *t)
{
    struct text_cursor c = { .start = t->buf, .p = t->buf, .end = t->buf + SINK_TEXT_CAP };
    return c;
}

/* True when n more bytes fit; otherwise marks the line overflowed. */
TEXT_INLINE bool text_room(struct text_cursor *c, size_t n)
{
    if ((size_t)(c->end - c->p) < n) {
        c->overflow = true;
        return false;
    }
    return true;
}

TEXT_INLINE void text_append(struct text_cursor *c, const char *s, size_t n)
{
    if (text_room(c, n)) {
        memcpy(c->p, s, n);
        c->p += n;
    }
}

TEXT_INLINE void text_char(struct text_cursor *c, char ch)
{
    if (text_room(c, 1)) {
        *c->p++ = ch;
    }
}

/*
 * The unchecked appenders, text_put*: for a run of appends whose longest text
 * one text_room has already admitted (a member's key and value ask once).
 */
TEXT_INLINE void text_put(struct text_cursor *c, const char *s, size_t n)
{
    memcpy(c->p, s, n);
    c->p += n;
}

TEXT_INLINE void text_put_char(struct text_cursor *c, char ch)
{
    *c->p++ = ch;
}

/* As text_put; 4 to 16 bytes (names) in two overlapping moves, not a memcpy call. */
TEXT_INLINE void text_put_short(struct text_cursor *c, const char *s, size_t n)
{
    if (n >= 8 && n <= 16) {
        memcpy(c->p, s, 8);
        memcpy(c->p + n - 8, s + n - 8, 8);
        c->p += n;
    } else if (n >= 4 && n < 8) {
        memcpy(c->p, s, 4);
        memcpy(c->p + n - 4, s + n - 4, 4);
        c->p += n;
    } else {
        text_put(c, s, n);
    }
}

/* Inline, so that strlen of a literal name is a constant. */
TEXT_INLINE void text_cstr(struct text_cursor *c, const char *s)
{
    text_append(c, s, strlen(s));
}

/* v >= 10 in decimal at p (text.c); returns the end. */
char *text_digits_long(char *p, uint64_t v);

/* v in decimal at p (at most SINK_TEXT_NUMBER bytes); returns the end. A
 * single digit, a fifth of a record's numbers (flags, counts, zeros), costs no call. */
TEXT_INLINE char *text_digits(char *p, uint64_t v)
{
    if (v < 10) {
        *p = (char)('0' + v);
        return p + 1;
    }
    return text_digits_long(p, v);
}

TEXT_INLINE void text_u64(struct text_cursor *c, uint64_t v)
{
    if (text_room(c, SINK_TEXT_NUMBER)) {
        c->p = text_digits(c->p, v);
    }
}

/* A time in ns (not 0) in decimal, unchecked (at most SINK_TEXT_NUMBER bytes),
 * copied from earlier in the line when it is the last one written. */
TEXT_INLINE void text_put_time(struct text_cursor *c, uint64_t ns)
{
    if (ns == c->last_ns) {
        text_put(c, c->last_ns_at, c->last_ns_len);
        return;
    }
    char *at = c->p;
    c->p = text_digits(c->p, ns);
    c->last_ns = ns;
    c->last_ns_at = at;
    c->last_ns_len = (size_t)(c->p - at);
}

TEXT_INLINE void text_time(struct text_cursor *c, uint64_t ns)
{
    if (text_room(c, SINK_TEXT_NUMBER)) {
        text_put_time(c, ns);
    }
}

/* The longest text_real writes: a percentage with 2 decimals, or %g (at most 13 bytes). */
#define SINK_TEXT_REAL 32

/*
 * v as printf writes it with "%.*f" (places >= 0) or "%g" (places < 0); a
 * text longer than SINK_TEXT_REAL - 1 bytes marks the line overflowed.
 * Out of line: only the aggregators' rows and alerts write reals.
 */
void text_real(struct text_cursor *c, double v, int places);

/* v in decimal, unchecked (at most SINK_TEXT_NUMBER bytes). */
TEXT_INLINE void text_put_i64(struct text_cursor *c, int64_t v)
{
    if (v < 0) {
        *c->p++ = '-';
        c->p = text_digits(c->p, (uint64_t)(-(v + 1)) + 1u); /* also right for INT64_MIN */
    } else {
        c->p = text_digits(c->p, (uint64_t)v);
    }
}

TEXT_INLINE void text_i64(struct text_cursor *c, int64_t v)
{
    if (text_room(c, SINK_TEXT_NUMBER)) {
        text_put_i64(c, v);
    }
}

#endif
