/*
 * siphash.c - SipHash-c-d from the paper (Aumasson and Bernstein, 2012,
 * section 2): four 64-bit words of state initialised from the key and the
 * constants "somepseudorandomlygeneratedbytes"; each 8-byte little-endian
 * message word m is xored into v3, c SipRounds run, and m is xored into v0;
 * the last word holds the 0..7 remaining bytes with the message length mod 256
 * in its top byte; then v2 ^= 0xff, d SipRounds, and the output is
 * v0 ^ v1 ^ v2 ^ v3. See siphash.h for why 1-3.
 */
#include "siphash.h"

#include <errno.h>
#include <sys/random.h>

struct sip_state {
    uint64_t v0, v1, v2, v3;
};

static inline uint64_t rotl(uint64_t x, unsigned b)
{
    return (x << b) | (x >> (64 - b));
}

/* Little-endian load of 8 bytes, whatever the host's byte order. */
static inline uint64_t load_le64(const uint8_t *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
}

/* The paper's SipRound (figure 2.1). */
static inline void sip_round(struct sip_state *s)
{
    s->v0 += s->v1;
    s->v1 = rotl(s->v1, 13);
    s->v1 ^= s->v0;
    s->v0 = rotl(s->v0, 32);
    s->v2 += s->v3;
    s->v3 = rotl(s->v3, 16);
    s->v3 ^= s->v2;
    s->v0 += s->v3;
    s->v3 = rotl(s->v3, 21);
    s->v3 ^= s->v0;
    s->v2 += s->v1;
    s->v1 = rotl(s->v1, 17);
    s->v1 ^= s->v2;
    s->v2 = rotl(s->v2, 32);
}

static inline void absorb(struct sip_state *s, uint64_t m, unsigned c_rounds)
{
    s->v3 ^= m;
    for (unsigned i = 0; i < c_rounds; i++) {
        sip_round(s);
    }
    s->v0 ^= m;
}

static inline uint64_t sip(const struct siphash_key *key, const uint8_t *in, size_t len,
                           unsigned c_rounds, unsigned d_rounds)
{
    struct sip_state s = {
        key->k0 ^ 0x736f6d6570736575u, /* "somepseu" */
        key->k1 ^ 0x646f72616e646f6du, /* "dorandom" */
        key->k0 ^ 0x6c7967656e657261u, /* "lygenera" */
        key->k1 ^ 0x7465646279746573u, /* "tedbytes" */
    };
    size_t full = len & ~(size_t)7;
    for (size_t i = 0; i < full; i += 8) {
        absorb(&s, load_le64(in + i), c_rounds);
    }
    uint64_t last = (uint64_t)(len & 0xff) << 56;
    for (size_t i = 0; i < (len & 7); i++) {
        last |= (uint64_t)in[full + i] << (8 * i);
    }
    absorb(&s, last, c_rounds);
    s.v2 ^= 0xff;
    for (unsigned i = 0; i < d_rounds; i++) {
        sip_round(&s);
    }
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

void siphash_key_from_bytes(struct siphash_key *key, const uint8_t bytes[SIPHASH_KEY_LEN])
{
    key->k0 = load_le64(bytes);
    key->k1 = load_le64(bytes + 8);
}

int siphash_key_random(uint8_t bytes[SIPHASH_KEY_LEN])
{
    size_t got = 0;
    while (got < SIPHASH_KEY_LEN) {
        ssize_t n = getrandom(bytes + got, SIPHASH_KEY_LEN - got, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno != 0 ? errno : EIO;
        }
        got += (size_t)n;
    }
    return 0;
}

uint64_t siphash13(const struct siphash_key *key, const void *data, size_t len)
{
    return sip(key, data, len, 1, 3);
}

uint64_t siphash24(const struct siphash_key *key, const void *data, size_t len)
{
    return sip(key, data, len, 2, 4);
}
