/*
 * sink_text.h - one record's text, built in memory and written with one
 * fwrite: formatting through stdio field by field cost more than all the
 * analysis (bench/README.md). The JSON and CSV sinks build their lines here.
 *
 * SINK_TEXT_CAP holds the longest possible record several times over; the
 * appenders still refuse to overflow, and set overflow instead, so that a
 * sink can report the record as a write error rather than print half of it.
 */
#ifndef TCPSHAKE_SINK_TEXT_H
#define TCPSHAKE_SINK_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SINK_TEXT_CAP 8192

struct sink_text {
    char buf[SINK_TEXT_CAP];
    size_t len;
    bool overflow;
};

/* An empty line to build. */
static inline void text_reset(struct sink_text *b)
{
    b->len = 0;
    b->overflow = false;
}

static inline void text_append(struct sink_text *b, const char *s, size_t n)
{
    if (n > SINK_TEXT_CAP - b->len) {
        b->overflow = true;
        return;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
}

static inline void text_char(struct sink_text *b, char c)
{
    if (b->len == SINK_TEXT_CAP) {
        b->overflow = true;
        return;
    }
    b->buf[b->len++] = c;
}

/* Inline, so that strlen of a literal name is a constant. */
static inline void text_cstr(struct sink_text *b, const char *s)
{
    text_append(b, s, strlen(s));
}

/* Decimal, written in place. */
void text_u64(struct sink_text *b, uint64_t v);
void text_i64(struct sink_text *b, int64_t v);

#endif
