/*
 * seq.h - 32-bit TCP sequence-number arithmetic (RFC 9293 3.4).
 *
 * Sequence numbers wrap, so they are only compared through the signed
 * difference: a is "before" b when (int32_t)(a - b) < 0. Never compare two
 * sequence numbers with < directly.
 */
#ifndef TCPSHAKE_SEQ_H
#define TCPSHAKE_SEQ_H

#include <stdbool.h>
#include <stdint.h>

/* Signed distance from b to a; positive when a is after b. */
static inline int32_t seq_diff(uint32_t a, uint32_t b)
{
    uint32_t d = a - b;
    /* Written without an implementation-defined conversion of large values. */
    return d <= 0x7fffffffu ? (int32_t)d : -(int32_t)(~d) - 1;
}

static inline bool seq_lt(uint32_t a, uint32_t b)
{
    return seq_diff(a, b) < 0;
}

static inline bool seq_leq(uint32_t a, uint32_t b)
{
    return seq_diff(a, b) <= 0;
}

static inline bool seq_gt(uint32_t a, uint32_t b)
{
    return seq_diff(a, b) > 0;
}

static inline bool seq_geq(uint32_t a, uint32_t b)
{
    return seq_diff(a, b) >= 0;
}

/* The later of two sequence numbers. */
static inline uint32_t seq_max(uint32_t a, uint32_t b)
{
    return seq_gt(a, b) ? a : b;
}

#endif
