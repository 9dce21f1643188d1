/*
 * reasm.c - bounded stream reassembly and the fixed slot pool (reasm.h).
 */
#include "reasm.h"

#include <string.h>

#include "alloc.h"

void reasm_init(struct reasm *r, uint32_t base, uint32_t cap)
{
    memset(r, 0, sizeof(*r));
    r->base = base;
    r->cap = cap;
    r->cut_at = cap;
}

/* Take range i out of the list. */
static void remove_range(struct reasm *r, unsigned i)
{
    for (unsigned j = i + 1; j < r->n_ranges; j++) {
        r->lo[j - 1] = r->lo[j];
        r->hi[j - 1] = r->hi[j];
    }
    r->n_ranges--;
}

/* Pieces that now touch the prefix join it. */
static void join_prefix(struct reasm *r)
{
    while (r->n_ranges > 0 && r->lo[0] <= r->have) {
        if (r->hi[0] > r->have) {
            r->have = r->hi[0];
        }
        remove_range(r, 0);
    }
}

/* Remember [lo, hi) past the prefix, merged with what it touches. false when
 * it needs one more range than there is room for. */
static bool add_range(struct reasm *r, uint32_t lo, uint32_t hi)
{
    unsigned i = 0;
    while (i < r->n_ranges && r->hi[i] < lo) {
        i++;
    }
    /* Ranges i .. j-1 touch [lo, hi): they become one. */
    unsigned j = i;
    while (j < r->n_ranges && r->lo[j] <= hi) {
        lo = r->lo[j] < lo ? r->lo[j] : lo;
        hi = r->hi[j] > hi ? r->hi[j] : hi;
        j++;
    }
    if (j == i && r->n_ranges == REASM_RANGES) {
        return false;
    }
    if (j > i) {
        r->lo[i] = lo;
        r->hi[i] = hi;
        while (j > i + 1) {
            remove_range(r, i + 1);
            j--;
        }
        return true;
    }
    for (unsigned k = r->n_ranges; k > i; k--) {
        r->lo[k] = r->lo[k - 1];
        r->hi[k] = r->hi[k - 1];
    }
    r->lo[i] = lo;
    r->hi[i] = hi;
    r->n_ranges++;
    return true;
}

bool reasm_place(struct reasm *r, uint8_t *buf, uint32_t seq, const uint8_t *p, uint32_t len,
                 uint32_t wire_len)
{
    if (wire_len < len) {
        wire_len = len;
    }
    /* Offsets as 64-bit signed values: a segment may start before the base. */
    int64_t off = (int32_t)(seq - r->base);
    int64_t end = off + len;
    int64_t wire_end = off + wire_len;
    if (wire_end > (int64_t)r->cap) {
        wire_end = r->cap;
    }
    if (end > (int64_t)r->cap) {
        end = r->cap;
    }
    if (end < wire_end && wire_end > (int64_t)r->have) {
        /* The snaplen took bytes we still need. */
        uint32_t from = end > (int64_t)r->have ? (uint32_t)end : r->have;
        if (from < r->cut_at) {
            r->cut_at = from;
        }
    }
    if (len == 0 || end <= 0 || end <= (int64_t)r->have || off >= (int64_t)r->cap) {
        return false; /* nothing new: before the base, past the cap, or a retransmission */
    }
    if (off < 0) {
        p += -off;
        off = 0;
    }
    uint32_t lo = (uint32_t)off, hi = (uint32_t)end;
    if (lo <= r->have) {
        uint32_t from = r->have;
        memcpy(buf + from, p + (from - lo), hi - from);
        r->have = hi;
        join_prefix(r);
        return true;
    }
    if (!add_range(r, lo, hi)) {
        r->dropped++;
        return false;
    }
    memcpy(buf + lo, p, hi - lo);
    return false;
}

bool slot_pool_init(struct slot_pool *p, uint32_t n, size_t size)
{
    memset(p, 0, sizeof(*p));
    p->n = n;
    p->size = size;
    p->mem = ts_calloc_table(n, size);
    p->free = ts_calloc(n, sizeof(*p->free));
    if (p->mem == NULL || p->free == NULL) {
        slot_pool_release(p);
        return false;
    }
    for (uint32_t i = 0; i < n; i++) {
        p->free[i] = n - i; /* index 1 on top */
    }
    p->n_free = n;
    return true;
}

void slot_pool_release(struct slot_pool *p)
{
    if (p->mem != NULL) {
        ts_free_table(p->mem, p->n, p->size);
    }
    ts_free(p->free);
    memset(p, 0, sizeof(*p));
}

uint32_t slot_pool_get(struct slot_pool *p)
{
    if (p->n_free == 0) {
        return 0;
    }
    uint32_t idx = p->free[--p->n_free];
    memset(slot_pool_at(p, idx), 0, p->size);
    return idx;
}

void slot_pool_put(struct slot_pool *p, uint32_t idx)
{
    if (idx != 0 && p->n_free < p->n) {
        p->free[p->n_free++] = idx;
    }
}
