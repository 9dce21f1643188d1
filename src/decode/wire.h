/*
 * wire.h - the one bounded reader of packet bytes.
 *
 * Every decoder reads packet memory through a struct wire: a pointer and the
 * number of bytes left. A read past the end returns 0, consumes nothing and
 * sets the sticky `bad` flag; after that every read returns 0. Decoders test
 * `bad` (or wire_left) once per header, before any value read steers a loop,
 * a skip or a size. Integers are built from bytes widened to uint32_t before
 * shifting, so no int-promoted byte is ever shifted into the sign bit.
 *
 * One exception: the shortcut for plain frames (plain_ip, ip_plain_tcp)
 * checks the length once and then reads fixed offsets with wire_be16_at.
 *
 * The cursor borrows the bytes; it never owns or frees them.
 */
#ifndef TCPSHAKE_WIRE_H
#define TCPSHAKE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct wire {
    const uint8_t *p; /* next unread byte */
    size_t left;      /* bytes that may still be read */
    bool bad;         /* a read or skip ran past the end (sticky) */
};

/* A cursor over len bytes at p. A NULL p reads as empty. */
static inline struct wire wire_init(const uint8_t *p, size_t len)
{
    struct wire w = { p, p != NULL ? len : 0, false };
    return w;
}

/* Bytes left to read; 0 once the cursor went bad. */
static inline size_t wire_left(const struct wire *w)
{
    return w->bad ? 0 : w->left;
}

/* True when n more bytes can be read. */
static inline bool wire_has(const struct wire *w, size_t n)
{
    return !w->bad && w->left >= n;
}

/* Consume n bytes and return where they start, or NULL (and go bad) if short. */
static inline const uint8_t *wire_take(struct wire *w, size_t n)
{
    if (!wire_has(w, n)) {
        w->bad = true;
        return NULL;
    }
    const uint8_t *at = w->p;
    w->p += n;
    w->left -= n;
    return at;
}

static inline uint8_t wire_u8(struct wire *w)
{
    const uint8_t *b = wire_take(w, 1);
    return b != NULL ? b[0] : 0;
}

/* The next byte without consuming it; 0 when none is left (does not go bad). */
static inline uint8_t wire_peek_u8(const struct wire *w)
{
    return wire_has(w, 1) ? w->p[0] : 0;
}

static inline uint16_t wire_be16(struct wire *w)
{
    const uint8_t *b = wire_take(w, 2);
    if (b == NULL) {
        return 0;
    }
    return (uint16_t)(((uint32_t)b[0] << 8) | (uint32_t)b[1]);
}

static inline uint32_t wire_be32(struct wire *w)
{
    const uint8_t *b = wire_take(w, 4);
    if (b == NULL) {
        return 0;
    }
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | (uint32_t)b[3];
}

/* Big-endian 16 bits at p, for a caller that has checked p[0..1] are there. */
static inline uint16_t wire_be16_at(const uint8_t *p)
{
    return (uint16_t)(((uint32_t)p[0] << 8) | (uint32_t)p[1]);
}

/* Little-endian 32 bits: the BSD null link header is in the writer's byte order. */
static inline uint32_t wire_le32(struct wire *w)
{
    const uint8_t *b = wire_take(w, 4);
    if (b == NULL) {
        return 0;
    }
    return ((uint32_t)b[3] << 24) | ((uint32_t)b[2] << 16) | ((uint32_t)b[1] << 8) | (uint32_t)b[0];
}

/* Copy n bytes out (addresses). When short, dst is zeroed and the cursor goes bad. */
static inline void wire_copy(struct wire *w, uint8_t *dst, size_t n)
{
    const uint8_t *b = wire_take(w, n);
    if (b == NULL) {
        memset(dst, 0, n);
        return;
    }
    memcpy(dst, b, n);
}

static inline void wire_skip(struct wire *w, size_t n)
{
    (void)wire_take(w, n);
}

/*
 * Take the next n bytes as a bounded sub-cursor (one header or option) and
 * advance w past them. When fewer than n are left, both w and the returned
 * cursor are bad and the returned cursor is empty.
 */
static inline struct wire wire_sub(struct wire *w, size_t n)
{
    const uint8_t *b = wire_take(w, n);
    struct wire sub = { b, b != NULL ? n : 0, b == NULL };
    return sub;
}

/* Forget everything past the first n bytes (trim to a length field). */
static inline void wire_trim(struct wire *w, size_t n)
{
    if (w->left > n) {
        w->left = n;
    }
}

#endif
