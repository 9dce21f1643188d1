/*
 * hashbench.c - the flow table's hash before and after issue 14 §1, in one run:
 * nanoseconds per hash of a canonical IPv4 flow key for the old unkeyed hash (a
 * multiply-xor per word and MurmurHash3's fmix64 finaliser, copied here as it
 * was), for flowtab_hash64 (SipHash-1-3 under a random key) and, for
 * comparison, SipHash-2-4 of the whole key, over KEYS
 * distinct keys, best of 5 rounds. Prints figures; asserts nothing.
 *
 * Usage: hashbench [KEYS]   (default 1000000)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flowtab.h"
#include "siphash.h"

static uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* The flow table's hash until issue 14: no secret, so anyone can compute collisions. */
static uint32_t old_unkeyed(const struct flow_key *key)
{
    const uint64_t k = 0x9e3779b97f4a7c15u;
    uint64_t h = 0x243f6a8885a308d3u;
    h = (h ^ load64(key->lo_addr)) * k;
    h = (h ^ load64(key->lo_addr + 8)) * k;
    h = (h ^ load64(key->hi_addr)) * k;
    h = (h ^ load64(key->hi_addr + 8)) * k;
    h = (h ^ ((uint64_t)key->lo_port << 48 | (uint64_t)key->hi_port << 32 |
              (uint64_t)(uint32_t)key->vlan)) *
        k;
    h ^= key->ip_version;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53u;
    h ^= h >> 33;
    return (uint32_t)(h ^ (h >> 32));
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

enum which { OLD, SIP13, SIP24 };

static double best_ns(const struct flow_key *keys, size_t n, enum which w,
                      const struct siphash_key *sk, uint64_t *sink)
{
    double best = 1e300;
    for (int round = 0; round < 5; round++) {
        double t0 = now_ns();
        uint64_t acc = 0;
        for (size_t i = 0; i < n; i++) {
            switch (w) {
            case OLD:
                acc += old_unkeyed(&keys[i]);
                break;
            case SIP13:
                acc += flowtab_hash64(sk, &keys[i]);
                break;
            case SIP24:
                acc += siphash24(sk, &keys[i], sizeof(keys[i]));
                break;
            }
        }
        double t = (now_ns() - t0) / (double)n;
        *sink += acc;
        best = t < best ? t : best;
    }
    return best;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    if (n == 0) {
        fputs("usage: hashbench [KEYS]\n", stderr);
        return 2;
    }
    struct flow_key *keys = calloc(n, sizeof(*keys));
    uint8_t kb[SIPHASH_KEY_LEN];
    if (keys == NULL || siphash_key_random(kb) != 0) {
        fputs("hashbench: no memory or no random key\n", stderr);
        return 1;
    }
    struct siphash_key sk;
    siphash_key_from_bytes(&sk, kb);
    for (size_t i = 0; i < n; i++) {
        struct flow_tuple t;
        memset(&t, 0, sizeof(t));
        t.ip_version = 4;
        t.vlan = -1;
        t.src[0] = 10;
        t.src[1] = (uint8_t)(i >> 16);
        t.src[2] = (uint8_t)(i >> 8);
        t.src[3] = (uint8_t)i;
        t.dst[0] = 192;
        t.dst[3] = 1;
        t.sport = (uint16_t)(1024 + i % 60000);
        t.dport = 443;
        flowtab_key(&t, &keys[i]);
    }
    uint64_t sink = 0;
    double old = best_ns(keys, n, OLD, &sk, &sink);
    double s13 = best_ns(keys, n, SIP13, &sk, &sink);
    double s24 = best_ns(keys, n, SIP24, &sk, &sink);
    printf("flow key hash (%zu-byte key, %zu keys, best of 5):\n", sizeof(*keys), n);
    printf("  before: unkeyed multiply-xor + fmix64   %6.2f ns\n", old);
    printf("  after:  SipHash-1-3 (IPv4: 16 bytes)    %6.2f ns  (%.2f x)\n", s13, s13 / old);
    printf("          SipHash-2-4 of all 44 bytes     %6.2f ns  (%.2f x)\n", s24, s24 / old);
    printf("  (checksum %" PRIx64 ")\n", sink);
    free(keys);
    return 0;
}
