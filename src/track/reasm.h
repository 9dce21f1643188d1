/*
 * reasm.h - bounded reassembly of the start of one direction's byte stream,
 * and the fixed pool its buffers come from.
 *
 * A direction's bytes are placed by sequence number relative to its base
 * (the sequence number of stream offset 0: ISN + 1, or the first payload's
 * when no SYN was seen), in order or not, retransmitted or overlapping, into
 * a buffer of cap bytes; bytes at or past cap are dropped. `have` is the
 * contiguous prefix: what a reader may look at. Bytes below `have` are never
 * written again (the reader may have rewritten them); a retransmission that
 * carries different bytes there loses, as the first copy was the one read.
 * Pieces past a gap are remembered as at most REASM_RANGES ranges; a piece
 * that would need one more is dropped and counted (its retransmission may
 * still fill the gap).
 *
 * Pure functions over caller-owned memory: no allocation, no printing.
 */
#ifndef TCPSHAKE_REASM_H
#define TCPSHAKE_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REASM_RANGES 8

struct reasm {
    uint32_t base;    /* sequence number of stream offset 0 */
    uint32_t cap;     /* buffer size: bytes at or past it are dropped */
    uint32_t have;    /* contiguous bytes from offset 0 */
    uint32_t cut_at;  /* first offset a snaplen cut left missing (cap: none) */
    uint32_t dropped; /* pieces dropped for want of a range */
    uint8_t n_ranges; /* pieces received past a gap: [lo, hi), sorted, apart */
    uint32_t lo[REASM_RANGES];
    uint32_t hi[REASM_RANGES];
};

void reasm_init(struct reasm *r, uint32_t base, uint32_t cap);

/*
 * Place a segment's payload: sequence number seq, len captured bytes at p,
 * wire_len bytes on the wire (more than len when the snaplen cut it; p may
 * be NULL when len is 0). Bytes the cut left missing inside [have, cap) set
 * cut_at. Returns true when `have` grew.
 */
bool reasm_place(struct reasm *r, uint8_t *buf, uint32_t seq, const uint8_t *p, uint32_t len,
                 uint32_t wire_len);

/* True when the stream stops at a snaplen cut: the next byte wanted is one
 * the capture does not hold. */
static inline bool reasm_stuck_cut(const struct reasm *r)
{
    return r->cut_at < r->cap && r->have >= r->cut_at;
}

/*
 * A fixed pool of n equal items of size bytes, allocated at once, handed out
 * by index (1 .. n; 0 means none) and given back in any order.
 */
struct slot_pool {
    uint8_t *mem;
    uint32_t *free; /* stack of free indexes */
    uint32_t n_free;
    uint32_t n;
    size_t size;
};

bool slot_pool_init(struct slot_pool *p, uint32_t n, size_t size);
void slot_pool_release(struct slot_pool *p);
/* An item's index, or 0 when every item is in use. The item is zeroed. */
uint32_t slot_pool_get(struct slot_pool *p);
void slot_pool_put(struct slot_pool *p, uint32_t idx);
static inline void *slot_pool_at(const struct slot_pool *p, uint32_t idx)
{
    return p->mem + (size_t)(idx - 1) * p->size;
}

#endif
