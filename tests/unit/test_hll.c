/*
 * test_hll.c - HyperLogLog: estimates of known cardinalities from 10 to
 * 10^6 stay within the stated error, merging equals adding, duplicates do
 * not count, and the empty sketch says 0.
 *
 * hll.h states a relative standard error of 3.25 % for 2^10 registers.
 * Each single estimate must be within 4 standard errors (13 %, a failure
 * chance below 10^-4 per estimate), and the root-mean-square error over
 * many independent sketches of the same size within 1.25 x the stated
 * standard error.
 */
#include "hll.h"

#include <stdlib.h>

#include "check.h"

static uint64_t splitmix(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static double rel_error(double est, double n)
{
    return (est - n) / n;
}

/* One sketch of n distinct keys (as the aggregators feed them: hll_hash of bytes). */
static double estimate_of(uint64_t n, uint64_t seed)
{
    struct hll h;
    hll_init(&h);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t key[2] = { seed, i };
        hll_add(&h, hll_hash(key, sizeof(key)));
    }
    return hll_estimate(&h);
}

static void test_single_estimates(void)
{
    static const uint64_t sizes[] = { 10, 30, 100, 300, 1000, 3000, 10000, 30000, 100000, 1000000 };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        double n = (double)sizes[i];
        double e = rel_error(estimate_of(sizes[i], 7 + i), n);
        if (e < -4 * HLL_ERROR_PCT / 100 || e > 4 * HLL_ERROR_PCT / 100) {
            fprintf(stderr, "n = %.0f: relative error %.4f\n", n, e);
        }
        CHECK(e >= -4 * HLL_ERROR_PCT / 100 && e <= 4 * HLL_ERROR_PCT / 100);
    }
}

static void test_rms_error(void)
{
    static const uint64_t sizes[] = { 100, 1000, 3000, 10000, 50000 };
    const int trials = 40;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        double sum_sq = 0;
        for (int t = 0; t < trials; t++) {
            double e = rel_error(estimate_of(sizes[i], 1000 * (i + 1) + (uint64_t)t),
                                 (double)sizes[i]);
            sum_sq += e * e;
        }
        /* Compare squares: mean squared error against the squared bound (no libm). */
        double mse = sum_sq / trials;
        double bound = 1.25 * HLL_ERROR_PCT / 100;
        if (mse > bound * bound) {
            fprintf(stderr, "n = %" PRIu64 ": mean squared error %.6f > %.6f\n", sizes[i], mse,
                    bound * bound);
        }
        CHECK(mse <= bound * bound);
    }
}

static void test_small_sets_exact(void)
{
    /* Up to a few dozen items: a collision or two at most, so within 1 + 5 %. */
    for (uint64_t n = 1; n <= 60; n++) {
        double est = estimate_of(n, 99);
        double slack = 1.0 + 0.05 * (double)n;
        CHECK(est > (double)n - slack && est < (double)n + slack);
    }
}

static void test_duplicates_and_merge(void)
{
    struct hll a, b, both;
    hll_init(&a);
    hll_init(&b);
    hll_init(&both);
    CHECK(hll_estimate(&a) == 0.0);
    uint64_t state = 5;
    for (int i = 0; i < 20000; i++) {
        uint64_t h = splitmix(&state);
        hll_add(i < 12000 ? &a : &b, h);
        hll_add(&both, h);
        hll_add(&both, h); /* a duplicate changes nothing */
    }
    hll_merge(&a, &b);
    CHECK(memcmp(a.reg, both.reg, sizeof(a.reg)) == 0);
    double e = rel_error(hll_estimate(&a), 20000);
    CHECK(e > -0.13 && e < 0.13);
}

static void test_small_precision(void)
{
    /* Smaller sketches (2^8 registers): 6.5 % standard error. */
    uint8_t reg[256];
    hll_reg_clear(reg, 8);
    for (uint64_t i = 0; i < 200; i++) {
        hll_reg_add(reg, 8, hll_hash(&i, sizeof(i)));
    }
    double e = rel_error(hll_reg_estimate(reg, 8), 200);
    CHECK(e > -0.26 && e < 0.26);
}

int main(void)
{
    test_single_estimates();
    test_rms_error();
    test_small_sets_exact();
    test_duplicates_and_merge();
    test_small_precision();
    return check_report("hll");
}
