/*
 * siphash.h - SipHash, the keyed hash behind every table that hostile input
 * reaches (flow table, aggregator indexes, the per-server summary, the
 * routing of flows to worker threads).
 *
 * SipHash (J.-P. Aumasson and D. J. Bernstein, "SipHash: a fast short-input
 * PRF", INDOCRYPT 2012) is a pseudorandom function under a 128-bit key: without
 * the key an attacker cannot tell which inputs share a slot, so crafted traffic
 * cannot aim at one probe run. We use SipHash-1-3 (one compression round per
 * 8-byte block, three finalisation rounds), the variant Rust's HashMap,
 * CPython's str hash and Ruby use against hash flooding: the attacker here
 * never sees an output, only timing, and 1-3 is the cheaper of the two on our
 * 44-byte flow keys. siphash24 shares the core and exists so the unit test can
 * check that core against the reference implementation's 64 vectors.
 *
 * The key is one per handle (or per aggregator object), drawn by
 * siphash_key_random() unless the caller pins it; nothing here is global.
 */
#ifndef TCPSHAKE_SIPHASH_H
#define TCPSHAKE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN 16

struct siphash_key {
    uint64_t k0, k1; /* the key's bytes 0..7 and 8..15, little-endian */
};

/* The key from its 16 bytes (the byte order of the reference implementation). */
void siphash_key_from_bytes(struct siphash_key *key, const uint8_t bytes[SIPHASH_KEY_LEN]);

/* 16 bytes from getrandom() (retried on EINTR; the call blocks only until the
 * kernel's pool is first initialised, early in boot). Returns 0, or an errno
 * value when the kernel cannot provide them: the caller must then fail, not
 * fall back to a guessable key. */
int siphash_key_random(uint8_t bytes[SIPHASH_KEY_LEN]);

uint64_t siphash13(const struct siphash_key *key, const void *data, size_t len);
uint64_t siphash24(const struct siphash_key *key, const void *data, size_t len);

#endif
