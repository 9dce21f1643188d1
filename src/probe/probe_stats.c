/*
 * probe_stats.c - latency statistics over one port's attempts: min, median,
 * 90th percentile, max and standard deviation.
 *
 * Definitions (the man page repeats them): the median of an even count is
 * the mean of the middle two; p90 is the nearest-rank percentile, the value
 * at rank ceil(0.9 * n) of the sorted list; the standard deviation is the
 * population one (divide by n), like ping's mdev. Nothing here allocates;
 * the square root is our own so the library needs no libm.
 */
#include "probe.h"

#include <stdlib.h>

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a;
    int64_t y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Newton's method from above: each step lowers r until it stops moving down. */
static double square_root(double x)
{
    if (x <= 0.0) {
        return 0.0;
    }
    double r = x > 1.0 ? x : 1.0;
    for (int i = 0; i < 200; i++) {
        double next = 0.5 * (r + x / r);
        if (next >= r) {
            break;
        }
        r = next;
    }
    return r;
}

void probe_stats_compute(int64_t *v, size_t n, struct probe_stats *out)
{
    if (n == 0) {
        out->min_ns = out->median_ns = out->p90_ns = out->max_ns = out->stddev_ns =
                TCPSHAKE_NO_TIME;
        return;
    }
    qsort(v, n, sizeof(*v), cmp_i64);
    out->min_ns = v[0];
    out->max_ns = v[n - 1];
    if (n % 2 == 1) {
        out->median_ns = v[n / 2];
    } else {
        int64_t lo = v[n / 2 - 1];
        int64_t hi = v[n / 2];
        out->median_ns = lo + (hi - lo) / 2;
    }
    size_t rank = (9 * n + 9) / 10; /* ceil(0.9 n), at least 1 */
    out->p90_ns = v[rank - 1];
    double mean = 0.0;
    for (size_t i = 0; i < n; i++) {
        mean += (double)v[i];
    }
    mean /= (double)n;
    double var = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)v[i] - mean;
        var += d * d;
    }
    out->stddev_ns = (int64_t)(square_root(var / (double)n) + 0.5);
}
