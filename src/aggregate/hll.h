/*
 * hll.h - HyperLogLog distinct counting in fixed memory.
 *
 * A sketch is 2^p one-byte registers (Flajolet, Fusy, Gandouet, Meunier,
 * "HyperLogLog: the analysis of a near-optimal cardinality estimation
 * algorithm", 2007). Each item is hashed to 64 bits by the caller (hll_hash
 * mixes any key); the top p bits choose a register, which keeps the largest
 * "position of the first 1 bit" of the remaining 64 - p bits.
 *
 * The estimate is Ertl's improved raw estimator ("New cardinality estimation
 * algorithms for HyperLogLog sketches", 2017), which needs no bias tables and
 * no switch to linear counting: it is unbiased from 0 to far beyond 10^9.
 * Its relative standard error is 1.04 / sqrt(2^p):
 *
 *   p = 10 (struct hll, 1024 bytes)   3.25 %
 *   p = 8  (256 bytes)                6.5 %
 *   p = 6  (64 bytes)                 13 %
 *
 * Small sets are nearly exact: with 2^p registers, up to about 2^p / 4
 * distinct items rarely collide. Sketches of the same p merge exactly
 * (register-wise maximum), so per-bucket sketches add up to a window.
 *
 * No allocation: registers live in the caller's storage. Nothing to release.
 */
#ifndef TCPSHAKE_HLL_H
#define TCPSHAKE_HLL_H

#include <stddef.h>
#include <stdint.h>

#define HLL_P         10
#define HLL_REGISTERS (1u << HLL_P)
#define HLL_ERROR_PCT 3.25 /* relative standard error of struct hll, in percent */

/* The standard sketch: 2^10 registers, 3.25 % standard error. */
struct hll {
    uint8_t reg[HLL_REGISTERS];
};

/* A well-mixed 64-bit hash of len bytes (FNV-1a then a splitmix64 finaliser). */
uint64_t hll_hash(const void *data, size_t len);

/* Registers of a sketch with 2^p registers (4 <= p <= 16). */
void hll_reg_clear(uint8_t *reg, unsigned p);
void hll_reg_add(uint8_t *reg, unsigned p, uint64_t hash);
/* into[i] = max(into[i], from[i]) for 2^p registers. */
void hll_reg_merge(uint8_t *into, const uint8_t *from, unsigned p);
double hll_reg_estimate(const uint8_t *reg, unsigned p);

/* The same for struct hll (p = HLL_P). */
void hll_init(struct hll *h);
void hll_add(struct hll *h, uint64_t hash);
void hll_merge(struct hll *into, const struct hll *from);
double hll_estimate(const struct hll *h);

#endif
