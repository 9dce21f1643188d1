/*
 * sha256.h - SHA-256 (FIPS 180-4), for the JA4 fingerprint's truncated
 * hashes (tls.c). Streaming: init, update any number of times, final.
 *
 * Not for secrets: no constant-time claims and no wiping of state. The
 * context lives in the caller's storage; nothing is allocated.
 */
#ifndef TCPSHAKE_SHA256_H
#define TCPSHAKE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32 /* digest bytes */

struct sha256 {
    uint32_t h[8];    /* chaining state */
    uint64_t n_bytes; /* message bytes hashed so far */
    uint8_t buf[64];  /* the block being filled */
    size_t buf_len;   /* bytes in buf */
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t len);
/* Pad, finish and write the 32-byte digest. The context must be re-initialised to reuse it. */
void sha256_final(struct sha256 *c, uint8_t out[SHA256_LEN]);

#endif
