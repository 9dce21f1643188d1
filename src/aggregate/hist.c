/*
 * hist.c - log-linear latency histogram (see hist.h for layout and error).
 *
 * Owns bucket indexing and quantile lookup; the summary decides what to
 * histogram. Index of a value v >= 0 with e = floor(log2 v):
 *
 *   v <  HIST_SUB        index v                      (one bucket per value)
 *   v >= HIST_SUB        index (e - SUB_BITS + 1) * SUB + (v >> (e - SUB_BITS)) - SUB
 *
 * so the power of two [2^e, 2^(e+1)) owns SUB consecutive buckets of width
 * 2^(e - SUB_BITS); for e = SUB_BITS the width is still 1 (exact).
 */
#include "hist.h"

#include <string.h>

#define HIST_LIMIT (INT64_C(1) << HIST_MAX_EXP) /* first value out of range */

/* floor(log2 v) for v > 0. */
static unsigned log2_floor(uint64_t v)
{
#if defined(__GNUC__)
    return 63u - (unsigned)__builtin_clzll(v);
#else
    unsigned e = 0;
    while (v >>= 1) {
        e++;
    }
    return e;
#endif
}

static unsigned bucket_of(uint64_t v)
{
    if (v < HIST_SUB) {
        return (unsigned)v;
    }
    unsigned e = log2_floor(v);
    unsigned shift = e - HIST_SUB_BITS;
    return (e - HIST_SUB_BITS + 1) * HIST_SUB + (unsigned)(v >> shift) - HIST_SUB;
}

void hist_bucket_bounds(unsigned i, int64_t *lo, int64_t *hi)
{
    if (i < 2 * HIST_SUB) {
        *lo = (int64_t)i;
        *hi = (int64_t)i;
        return;
    }
    unsigned e = i / HIST_SUB + HIST_SUB_BITS - 1;
    unsigned shift = e - HIST_SUB_BITS;
    int64_t start = (int64_t)(HIST_SUB + i % HIST_SUB) << shift;
    *lo = start;
    *hi = start + (INT64_C(1) << shift) - 1;
}

void hist_init(struct hist *h)
{
    memset(h, 0, sizeof(*h));
}

void hist_add(struct hist *h, int64_t v)
{
    if (h->count == 0 || v < h->min) {
        h->min = v;
    }
    if (h->count == 0 || v > h->max) {
        h->max = v;
    }
    h->count++;
    unsigned i;
    if (v < 0) {
        h->underflow++;
        i = 0;
    } else if (v >= HIST_LIMIT) {
        h->overflow++;
        i = HIST_BUCKETS - 1;
    } else {
        i = bucket_of((uint64_t)v);
    }
    if (h->bucket[i] < UINT32_MAX) {
        h->bucket[i]++;
    }
}

void hist_merge(struct hist *into, const struct hist *from)
{
    if (from->count == 0) {
        return;
    }
    if (into->count == 0 || from->min < into->min) {
        into->min = from->min;
    }
    if (into->count == 0 || from->max > into->max) {
        into->max = from->max;
    }
    into->count += from->count;
    into->underflow += from->underflow;
    into->overflow += from->overflow;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        uint64_t sum = (uint64_t)into->bucket[i] + from->bucket[i];
        into->bucket[i] = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
    }
}

uint64_t hist_count(const struct hist *h)
{
    return h->count;
}

int64_t hist_min(const struct hist *h)
{
    return h->count > 0 ? h->min : 0;
}

int64_t hist_max(const struct hist *h)
{
    return h->count > 0 ? h->max : 0;
}

int64_t hist_quantile(const struct hist *h, double q)
{
    if (h->count == 0) {
        return 0;
    }
    if (!(q > 0.0)) { /* also catches NaN */
        return h->min;
    }
    if (q >= 1.0) {
        return h->max;
    }
    /* ceil(q * n) without libm; 0 < q < 1 keeps it within [0, n]. */
    double want = q * (double)h->count;
    uint64_t rank = (uint64_t)want;
    if ((double)rank < want || rank == 0) {
        rank++;
    }
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= rank) {
            int64_t lo, hi;
            hist_bucket_bounds(i, &lo, &hi);
            int64_t mid = lo + (hi - lo) / 2;
            if (mid < h->min) {
                return h->min;
            }
            return mid > h->max ? h->max : mid;
        }
    }
    /* Only reached when saturated buckets undercount: the rank is near the top. */
    return h->max;
}
