/*
 * keytab.c - fixed-capacity key -> entry index for the aggregators.
 *
 * Owns hashing, probing, deletion and victim sampling; the data behind each
 * entry belongs to the caller. See keytab.h.
 */
#include "keytab.h"

#include <stdbool.h>
#include <string.h>

#include "alloc.h"
#include "tcpshake.h"

int keytab_init(struct keytab *t, size_t cap)
{
    memset(t, 0, sizeof(*t));
    if (cap < 1 || cap > ((size_t)1 << 24)) {
        return TCPSHAKE_ERR_ARG;
    }
    size_t slots = 2;
    while (slots < 2 * cap) {
        slots *= 2;
    }
    uint8_t secret[SIPHASH_KEY_LEN];
    if (siphash_key_random(secret) != 0) {
        return TCPSHAKE_ERR_NOMEM;
    }
    siphash_key_from_bytes(&t->secret, secret);
    t->cap = cap;
    t->mask = slots - 1;
    t->slot = ts_calloc(slots, sizeof(*t->slot));
    t->hash = ts_calloc(cap, sizeof(*t->hash));
    t->key = ts_calloc(cap, sizeof(*t->key));
    if (t->slot == NULL || t->hash == NULL || t->key == NULL) {
        keytab_release(t);
        return TCPSHAKE_ERR_NOMEM;
    }
    return TCPSHAKE_OK;
}

void keytab_release(struct keytab *t)
{
    ts_free(t->slot);
    ts_free(t->hash);
    ts_free(t->key);
    memset(t, 0, sizeof(*t));
}

void keytab_clear(struct keytab *t)
{
    memset(t->slot, 0, (t->mask + 1) * sizeof(*t->slot));
    t->n = 0;
    t->hand = 0;
}

static uint32_t key_hash(const struct keytab *t, const struct keytab_key *k)
{
    return (uint32_t)siphash13(&t->secret, k->b, sizeof(k->b));
}

/* The slot holding k, or the empty slot where it would go. */
static size_t probe(const struct keytab *t, const struct keytab_key *k, uint32_t hash)
{
    size_t i = hash & t->mask;
    /* Terminates: at most half of the slots are ever used. */
    while (t->slot[i] != 0) {
        size_t e = t->slot[i] - 1;
        if (t->hash[e] == hash && memcmp(t->key[e].b, k->b, sizeof(k->b)) == 0) {
            break;
        }
        i = (i + 1) & t->mask;
    }
    return i;
}

size_t keytab_find(const struct keytab *t, const struct keytab_key *k)
{
    /* Every entry below n is indexed under the key it holds now. */
    if (t->last < t->n && memcmp(t->key[t->last].b, k->b, sizeof(k->b)) == 0) {
        return t->last;
    }
    size_t i = probe(t, k, key_hash(t, k));
    return t->slot[i] == 0 ? KEYTAB_NONE : t->slot[i] - 1;
}

static void place(struct keytab *t, size_t e, const struct keytab_key *k)
{
    uint32_t hash = key_hash(t, k);
    size_t i = probe(t, k, hash);
    t->key[e] = *k;
    t->hash[e] = hash;
    t->slot[i] = (uint32_t)(e + 1);
    t->last = e;
}

size_t keytab_add(struct keytab *t, const struct keytab_key *k)
{
    if (t->n >= t->cap) {
        return KEYTAB_NONE;
    }
    size_t e = t->n++;
    place(t, e, k);
    return e;
}

/* Linear-probing deletion by backward shift. */
static void unindex(struct keytab *t, size_t e)
{
    size_t hole = t->hash[e] & t->mask;
    while (t->slot[hole] != e + 1) {
        hole = (hole + 1) & t->mask;
    }
    size_t j = hole;
    for (;;) {
        j = (j + 1) & t->mask;
        if (t->slot[j] == 0) {
            break;
        }
        size_t home = t->hash[t->slot[j] - 1] & t->mask;
        /* The entry at j may move into the hole unless its home lies in (hole, j]. */
        bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!stays) {
            t->slot[hole] = t->slot[j];
            hole = j;
        }
    }
    t->slot[hole] = 0;
}

void keytab_rekey(struct keytab *t, size_t e, const struct keytab_key *k)
{
    unindex(t, e);
    place(t, e, k);
}

size_t keytab_victim(struct keytab *t, uint64_t (*weight)(const void *ctx, size_t e),
                     const void *ctx)
{
    if (t->n == 0) {
        return KEYTAB_NONE;
    }
    size_t best = KEYTAB_NONE;
    uint64_t best_w = UINT64_MAX;
    for (size_t i = 0; i < KEYTAB_SAMPLE && i < t->n; i++) {
        size_t e = t->hand;
        t->hand = (t->hand + 1) % t->n;
        uint64_t w = weight(ctx, e);
        if (best == KEYTAB_NONE || w < best_w) {
            best = e;
            best_w = w;
        }
    }
    return best;
}
