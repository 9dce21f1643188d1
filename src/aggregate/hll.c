/*
 * hll.c - HyperLogLog registers and Ertl's improved raw estimator.
 *
 * Owns the sketch arithmetic only; what is counted (sources, ports, hosts)
 * and over which window is the aggregators' business. See hll.h for the
 * error bounds.
 */
#include "hll.h"

#include <string.h>

#define HLL_MIN_P 4
#define HLL_MAX_P 16
#define ALPHA_INF 0.72134752044448170368 /* 1 / (2 ln 2) */

/* Square root of x in (0, 1) by Newton's method (no libm for one function). */
static double root(double x)
{
    double r = x < 0.25 ? 0.5 : x;
    for (int i = 0; i < 60; i++) {
        double next = 0.5 * (r + x / r);
        if (next == r) {
            break;
        }
        r = next;
    }
    return r;
}

uint64_t hll_hash(const void *data, size_t len)
{
    const uint8_t *b = data;
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < len; i++) {
        h = (h ^ b[i]) * UINT64_C(1099511628211);
    }
    /* FNV alone mixes its high bits poorly; splitmix64's finaliser fixes that. */
    h = (h ^ (h >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    h = (h ^ (h >> 27)) * UINT64_C(0x94d049bb133111eb);
    return h ^ (h >> 31);
}

static unsigned clamp_p(unsigned p)
{
    return p < HLL_MIN_P ? HLL_MIN_P : p > HLL_MAX_P ? HLL_MAX_P : p;
}

void hll_reg_clear(uint8_t *reg, unsigned p)
{
    memset(reg, 0, (size_t)1 << clamp_p(p));
}

void hll_reg_add(uint8_t *reg, unsigned p, uint64_t hash)
{
    p = clamp_p(p);
    size_t idx = (size_t)(hash >> (64 - p));
    uint64_t rest = hash << p; /* the remaining 64 - p bits, left-aligned */
    unsigned q = 64 - p;
    unsigned rank = 1;
    while (rank <= q && (rest & (UINT64_C(1) << 63)) == 0) {
        rest <<= 1;
        rank++;
    }
    if (rank > q + 1) {
        rank = q + 1;
    }
    if (reg[idx] < rank) {
        reg[idx] = (uint8_t)rank;
    }
}

void hll_reg_merge(uint8_t *into, const uint8_t *from, unsigned p)
{
    size_t m = (size_t)1 << clamp_p(p);
    for (size_t i = 0; i < m; i++) {
        if (from[i] > into[i]) {
            into[i] = from[i];
        }
    }
}

/* Ertl's sigma(x) = x + sum_k x^(2^k) 2^(k-1), for the empty registers. */
static double ertl_sigma(double x)
{
    if (x >= 1.0) {
        return 1e300; /* all registers empty: the caller returns 0 before this */
    }
    double y = 1.0, z = x;
    for (int i = 0; i < 64; i++) {
        x *= x;
        double prev = z;
        z += x * y;
        y += y;
        if (z == prev) {
            break;
        }
    }
    return z;
}

/* Ertl's tau(x), for the saturated registers. */
static double ertl_tau(double x)
{
    if (x <= 0.0 || x >= 1.0) {
        return 0.0;
    }
    double y = 1.0, z = 1.0 - x;
    for (int i = 0; i < 64; i++) {
        x = root(x);
        double prev = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
        if (z == prev) {
            break;
        }
    }
    return z / 3.0;
}

double hll_reg_estimate(const uint8_t *reg, unsigned p)
{
    p = clamp_p(p);
    size_t m = (size_t)1 << p;
    unsigned q = 64 - p;
    uint32_t hist[64 + 2] = { 0 }; /* registers holding each value 0 .. q + 1 */
    for (size_t i = 0; i < m; i++) {
        unsigned v = reg[i] <= q + 1 ? reg[i] : q + 1;
        hist[v]++;
    }
    if (hist[0] == m) {
        return 0.0;
    }
    double dm = (double)m;
    double z = dm * ertl_tau(1.0 - (double)hist[q + 1] / dm);
    for (unsigned k = q; k >= 1; k--) {
        z = 0.5 * (z + (double)hist[k]);
    }
    z += dm * ertl_sigma((double)hist[0] / dm);
    return ALPHA_INF * dm * dm / z;
}

void hll_init(struct hll *h)
{
    hll_reg_clear(h->reg, HLL_P);
}

void hll_add(struct hll *h, uint64_t hash)
{
    hll_reg_add(h->reg, HLL_P, hash);
}

void hll_merge(struct hll *into, const struct hll *from)
{
    hll_reg_merge(into->reg, from->reg, HLL_P);
}

double hll_estimate(const struct hll *h)
{
    return hll_reg_estimate(h->reg, HLL_P);
}
