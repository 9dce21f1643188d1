/*
 * hist.h - a fixed-size, mergeable log-linear histogram of durations in ns.
 *
 * Layout (the HdrHistogram idea, simplified): values 0..31 ns have a bucket
 * each; above that, every power of two [2^e, 2^(e+1)) is cut into
 * HIST_SUB = 16 equal sub-buckets. A bucket starting at lo has width at most
 * lo / 16, and hist_quantile() reports its midpoint, so a quantile is within
 * HIST_ERROR_PCT = 100/32 = 3.125 % of the exact sample value.
 *
 * Range: 0 to 2^40 - 1 ns (about 1100 s), which covers the 1 us .. 1000 s
 * of handshake latencies with room on both sides. Values outside are clamped
 * into the first or last bucket and counted in underflow (negative, e.g. a
 * timestamp that went backwards) or overflow; min and max stay exact, and
 * quantiles never leave [min, max].
 *
 * No allocation: a struct hist is about 2.4 KB and lives wherever the caller
 * puts it (hist_init on caller storage, nothing to release). Bucket counts
 * saturate at UINT32_MAX instead of wrapping.
 */
#ifndef TCPSHAKE_HIST_H
#define TCPSHAKE_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS  4                    /* log2 of sub-buckets per power of two */
#define HIST_SUB       (1 << HIST_SUB_BITS) /* 16 */
#define HIST_MAX_EXP   40                   /* values below 2^40 ns are in range */
#define HIST_BUCKETS   ((HIST_MAX_EXP - HIST_SUB_BITS + 1) * HIST_SUB)
#define HIST_ERROR_PCT 3.125 /* worst relative error of hist_quantile, in percent */

struct hist {
    uint64_t count;     /* samples added, clamped ones included */
    uint64_t underflow; /* samples below 0, counted in bucket 0 */
    uint64_t overflow;  /* samples at or above 2^HIST_MAX_EXP, counted in the last bucket */
    int64_t min;        /* exact; meaningless while count == 0 */
    int64_t max;        /* exact; meaningless while count == 0 */
    uint32_t bucket[HIST_BUCKETS];
};

/* Make *h empty. */
void hist_init(struct hist *h);
/* Count one sample of v ns. */
void hist_add(struct hist *h, int64_t v);
/* Add every sample of *from into *into (from is only read). */
void hist_merge(struct hist *into, const struct hist *from);
uint64_t hist_count(const struct hist *h);
/* Exact smallest / largest sample; 0 when empty. */
int64_t hist_min(const struct hist *h);
int64_t hist_max(const struct hist *h);
/*
 * The q-quantile (0 <= q <= 1, clamped) by the nearest-rank rule: the value
 * of rank ceil(q * n) in sorted order, within HIST_ERROR_PCT of it, and
 * exactly min for q = 0 and max for q = 1. Returns 0 when empty.
 */
int64_t hist_quantile(const struct hist *h, double q);
/* Smallest and largest value that land in bucket i (< HIST_BUCKETS): for drawing. */
void hist_bucket_bounds(unsigned i, int64_t *lo, int64_t *hi);

#endif
