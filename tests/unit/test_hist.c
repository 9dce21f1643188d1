/*
 * test_hist.c - the latency histogram: error bound on known data, exact
 * min / max, clamping, merge, and the empty histogram.
 *
 * Reference quantiles come from sorting the same samples and taking the
 * nearest-rank element, the definition hist_quantile promises.
 */
#include "hist.h"

#include <stdlib.h>

#include "check.h"

#define N_SAMPLES 200000

static const double quantiles[] = { 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999 };

/* splitmix64: deterministic, no global state. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double next_unit(uint64_t *state)
{
    return (double)(next_random(state) >> 11) / 9007199254740992.0;
}

/* 2^x without libm: exact at integers, linear between (only the shape matters here). */
static double rough_exp2(double x)
{
    double whole = (double)(long long)x;
    if (whole > x) {
        whole -= 1.0;
    }
    double frac = x - whole;
    double v = 1.0 + frac;
    for (long long i = 0; i < (long long)whole; i++) {
        v *= 2.0;
    }
    for (long long i = 0; i > (long long)whole; i--) {
        v /= 2.0;
    }
    return v;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t exact_quantile(const int64_t *sorted, size_t n, double q)
{
    double want = q * (double)n;
    size_t rank = (size_t)want;
    if ((double)rank < want || rank == 0) {
        rank++;
    }
    return sorted[rank - 1];
}

/* |got - want| <= want * HIST_ERROR_PCT / 100, checked in exact integer terms where possible. */
static int within_error(int64_t got, int64_t want)
{
    double diff = (double)(got > want ? got - want : want - got);
    return diff <= (double)(want < 0 ? -want : want) * HIST_ERROR_PCT / 100.0;
}

static void check_against_sorted(const char *name, int64_t *samples, size_t n)
{
    struct hist h;
    hist_init(&h);
    for (size_t i = 0; i < n; i++) {
        hist_add(&h, samples[i]);
    }
    qsort(samples, n, sizeof(samples[0]), cmp_i64);
    CHECK_U64(hist_count(&h), n);
    CHECK_INT(hist_min(&h), samples[0]);
    CHECK_INT(hist_max(&h), samples[n - 1]);
    CHECK_INT(hist_quantile(&h, 0.0), samples[0]);
    CHECK_INT(hist_quantile(&h, 1.0), samples[n - 1]);
    for (size_t i = 0; i < sizeof(quantiles) / sizeof(quantiles[0]); i++) {
        int64_t want = exact_quantile(samples, n, quantiles[i]);
        int64_t got = hist_quantile(&h, quantiles[i]);
        if (!within_error(got, want)) {
            fprintf(stderr, "%s: q=%g got %lld want %lld\n", name, quantiles[i], (long long)got,
                    (long long)want);
        }
        CHECK(within_error(got, want));
    }
}

static void test_uniform(int64_t *samples)
{
    uint64_t rng = 1;
    for (size_t i = 0; i < N_SAMPLES; i++) {
        /* 1 us .. 1 s */
        samples[i] = 1000 + (int64_t)(next_unit(&rng) * 999999000.0);
    }
    check_against_sorted("uniform", samples, N_SAMPLES);
}

static void test_lognormal(int64_t *samples)
{
    uint64_t rng = 42;
    for (size_t i = 0; i < N_SAMPLES; i++) {
        /* Irwin-Hall: the sum of 12 uniforms minus 6 is close to a standard normal. */
        double z = -6.0;
        for (int k = 0; k < 12; k++) {
            z += next_unit(&rng);
        }
        /* Median 1 ms (about 2^20 ns), sigma of 3 powers of two: 1 us .. 1 s and beyond. */
        samples[i] = (int64_t)(rough_exp2(20.0 + 3.0 * z));
    }
    check_against_sorted("lognormal", samples, N_SAMPLES);
}

/* Every value from 0 to 2^17 and around each power of two: the bucket holding it is close. */
static void test_sweep(void)
{
    int64_t top = (INT64_C(1) << HIST_MAX_EXP) - 1;
    int failures = 0;
    for (int64_t v = 0; v < (INT64_C(1) << 40); v = v < 131072 ? v + 1 : v + v / 7 + 1) {
        struct hist h;
        hist_init(&h);
        hist_add(&h, 0);
        hist_add(&h, v);
        hist_add(&h, top);
        if (!within_error(hist_quantile(&h, 0.5), v)) {
            failures++;
        }
    }
    for (int e = 5; e < HIST_MAX_EXP; e++) {
        for (int64_t d = -2; d <= 2; d++) {
            int64_t v = (INT64_C(1) << e) + d;
            struct hist h;
            hist_init(&h);
            hist_add(&h, 0);
            hist_add(&h, v);
            hist_add(&h, top);
            if (!within_error(hist_quantile(&h, 0.5), v)) {
                failures++;
            }
        }
    }
    CHECK_INT(failures, 0);
}

static void test_small_values_exact(void)
{
    struct hist h;
    hist_init(&h);
    for (int64_t v = 0; v < 32; v++) {
        hist_add(&h, v);
    }
    for (int64_t v = 1; v <= 32; v++) {
        CHECK_INT(hist_quantile(&h, (double)v / 32.0), v - 1);
    }
}

static void test_empty(void)
{
    struct hist h;
    hist_init(&h);
    CHECK_U64(hist_count(&h), 0);
    CHECK_INT(hist_min(&h), 0);
    CHECK_INT(hist_max(&h), 0);
    CHECK_INT(hist_quantile(&h, 0.5), 0);
    CHECK_INT(hist_quantile(&h, 1.0), 0);

    /* Merging empty into empty, and empty into full, changes nothing. */
    struct hist other;
    hist_init(&other);
    hist_merge(&h, &other);
    CHECK_U64(hist_count(&h), 0);
    hist_add(&h, 5000);
    hist_merge(&h, &other);
    CHECK_U64(hist_count(&h), 1);
    CHECK_INT(hist_min(&h), 5000);
    CHECK_INT(hist_quantile(&h, 0.5), 5000);
}

static void test_single(void)
{
    struct hist h;
    hist_init(&h);
    hist_add(&h, 123456789);
    CHECK_INT(hist_min(&h), 123456789);
    CHECK_INT(hist_max(&h), 123456789);
    /* Clamped to [min, max], so one sample is reported exactly. */
    CHECK_INT(hist_quantile(&h, 0.5), 123456789);
    CHECK_INT(hist_quantile(&h, 0.99), 123456789);
}

static void test_clamp(void)
{
    struct hist h;
    hist_init(&h);
    int64_t huge = INT64_C(1) << 45;
    hist_add(&h, -7);
    hist_add(&h, 1000);
    hist_add(&h, huge);
    CHECK_U64(hist_count(&h), 3);
    CHECK_U64(h.underflow, 1);
    CHECK_U64(h.overflow, 1);
    CHECK_INT(hist_min(&h), -7);
    CHECK_INT(hist_max(&h), huge);
    CHECK_INT(hist_quantile(&h, 0.0), -7);
    CHECK_INT(hist_quantile(&h, 0.2), 0);    /* bucket 0: clamped, never below min */
    CHECK_INT(hist_quantile(&h, 0.5), 1007); /* bucket [992, 1023], its midpoint */
    /* The last bucket's midpoint: the value is clamped into range first. */
    CHECK_INT(hist_quantile(&h, 0.9), (INT64_C(1) << 40) - (INT64_C(1) << 34) - 1);
    CHECK_INT(hist_quantile(&h, 1.0), huge);
    /* Out-of-range q is clamped. */
    CHECK_INT(hist_quantile(&h, -1.0), -7);
    CHECK_INT(hist_quantile(&h, 2.0), huge);
}

static void test_merge(int64_t *samples)
{
    uint64_t rng = 7;
    struct hist all, a, b;
    hist_init(&all);
    hist_init(&a);
    hist_init(&b);
    for (size_t i = 0; i < 50000; i++) {
        int64_t v = 500 + (int64_t)(next_random(&rng) % 5000000000u);
        samples[i] = v;
        hist_add(&all, v);
        hist_add(i % 3 == 0 ? &a : &b, v);
    }
    hist_merge(&a, &b);
    CHECK_U64(hist_count(&a), hist_count(&all));
    CHECK_INT(hist_min(&a), hist_min(&all));
    CHECK_INT(hist_max(&a), hist_max(&all));
    CHECK(memcmp(a.bucket, all.bucket, sizeof(a.bucket)) == 0);
    for (size_t i = 0; i < sizeof(quantiles) / sizeof(quantiles[0]); i++) {
        CHECK_INT(hist_quantile(&a, quantiles[i]), hist_quantile(&all, quantiles[i]));
    }
    qsort(samples, 50000, sizeof(samples[0]), cmp_i64);
    CHECK(within_error(hist_quantile(&a, 0.5), exact_quantile(samples, 50000, 0.5)));
}

int main(void)
{
    int64_t *samples = malloc(N_SAMPLES * sizeof(*samples));
    if (samples == NULL) {
        fprintf(stderr, "test_hist: out of memory\n");
        return 1;
    }
    CHECK(sizeof(struct hist) <= 4096);
    test_empty();
    test_single();
    test_small_values_exact();
    test_clamp();
    test_sweep();
    test_uniform(samples);
    test_lognormal(samples);
    test_merge(samples);
    free(samples);
    return check_report("hist");
}
