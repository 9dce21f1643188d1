/*
 * keytab.h - a fixed-capacity index from small fixed-size keys to entry
 * numbers, for the aggregators' bounded tables.
 *
 * The caller keeps its per-entry data in its own array of keytab.cap
 * elements; keytab hands out entry numbers 0 .. cap-1 and finds them again
 * by key (open addressing, linear probing, at most half the slots used,
 * deletion by backward shift, so no tombstones pile up). When every entry
 * is taken, the caller picks a victim (keytab_victim samples a few entries
 * and returns the lightest) and gives it the new key with keytab_rekey.
 *
 * Keys are hashed with SipHash-1-3 under a 128-bit secret each table draws for
 * itself from getrandom() in keytab_init: the keys come from packets, and
 * without the secret nobody can choose keys that share a probe run. (The
 * tables' results never depend on the secret: entries are numbered in order of
 * arrival and victims are sampled by number, never by slot.) Probing is not
 * otherwise bounded: at most half the slots are used and there is one lookup
 * per record, not per packet.
 *
 * Keys are compared as bytes: the caller zeroes unused bytes.
 * All memory is allocated by keytab_init; nothing later allocates.
 */
#ifndef TCPSHAKE_KEYTAB_H
#define TCPSHAKE_KEYTAB_H

#include <stddef.h>
#include <stdint.h>

#include "siphash.h"

#define KEYTAB_KEY_LEN 40
#define KEYTAB_NONE    ((size_t)-1)
#define KEYTAB_SAMPLE  16 /* entries keytab_victim looks at */

struct keytab_key {
    uint8_t b[KEYTAB_KEY_LEN];
};

struct keytab {
    size_t cap;             /* entries */
    size_t n;               /* entries in use: 0 .. n-1 */
    size_t mask;            /* index slots - 1 (a power of two >= 2 * cap) */
    size_t hand;            /* where keytab_victim samples next */
    uint32_t *slot;         /* entry number + 1; 0 = empty slot */
    uint32_t *hash;         /* per entry */
    struct keytab_key *key; /* per entry */
    size_t last;            /* the entry keyed last, which keytab_find tries first */
    struct siphash_key secret;
};

/* Allocate for cap entries (1 .. 2^24) and draw the secret. Returns TCPSHAKE_OK,
 * TCPSHAKE_ERR_ARG, or TCPSHAKE_ERR_NOMEM (also when getrandom fails: errno
 * then says why). */
int keytab_init(struct keytab *t, size_t cap);
void keytab_release(struct keytab *t);
/* Forget every entry (the secret stays): the table is as keytab_init left it. */
void keytab_clear(struct keytab *t);

/* The entry holding k, or KEYTAB_NONE. Records come in runs for one key (a flood's
 * target, a busy server): when k is the key of the entry added or re-keyed last,
 * that entry is the answer without hashing k. */
size_t keytab_find(const struct keytab *t, const struct keytab_key *k);
/* Index k (not present) in a new entry; KEYTAB_NONE when all entries are taken. */
size_t keytab_add(struct keytab *t, const struct keytab_key *k);
/* Re-key entry e (in use) to k (not present): the old key is forgotten. */
void keytab_rekey(struct keytab *t, size_t e, const struct keytab_key *k);
/*
 * A victim for eviction: of KEYTAB_SAMPLE entries taken round-robin, the one
 * with the smallest weight(ctx, entry). Sampling keeps eviction O(1) when a
 * flood of new keys keeps the table full (the Redis approximated-LRU idea).
 */
size_t keytab_victim(struct keytab *t, uint64_t (*weight)(const void *ctx, size_t e),
                     const void *ctx);

#endif
