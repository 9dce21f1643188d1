/*
 * flowtab.h - the bounded flow table: connections keyed by their canonical
 * (direction-free) tuple, in a fixed pool allocated at start.
 *
 * Lookup is open addressing with linear probing and backward-shift deletion,
 * keyed with SipHash-1-3 under the handle's secret (siphash.h), so crafted
 * traffic cannot choose which flows share a probe run. A flow sits at most
 * FLOWTAB_WINDOW - 1 slots past its home slot: lookup, insertion and deletion
 * each look at no more than FLOWTAB_WINDOW slots, whatever the input. When a new
 * flow's whole window is taken (flowtab_crowded), one of the flows in it is
 * evicted and its slot reused (flowtab_reuse).
 * Every connection sits on one of three idle lists (oldest first), one per
 * timeout class, so expiry and eviction are O(1) per connection and never
 * scan the table. When the pool is full the caller evicts
 * flowtab_victim(): a handshake-only entry first, so a SYN flood cannot push
 * out established connections.
 */
#ifndef TCPSHAKE_FLOWTAB_H
#define TCPSHAKE_FLOWTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "siphash.h"

/*
 * Slots a flow may sit past its home slot, + 1. With a random key and the table
 * at its fullest (half the slots taken) an insertion needs more than 64 slots
 * about once in 10^7 and more than 128 (extrapolated: each further slot ~0.8
 * times as likely) about once in 10^13, so a crowded window, the one event whose
 * outcome depends on the key, does not happen in practice; with a key an
 * attacker knows, it bounds the work per packet.
 */
#define FLOWTAB_WINDOW 128

/* The tuple with its two endpoints in a fixed order (lower address/port first). */
struct flow_key {
    uint8_t lo_addr[16];
    uint8_t hi_addr[16];
    uint16_t lo_port;
    uint16_t hi_port;
    int32_t vlan;
    uint8_t ip_version;
};

/* Timeout classes; also the eviction order. */
enum flow_class {
    FLOW_HANDSHAKE,   /* no completed handshake yet: evicted first */
    FLOW_CLOSED,      /* FIN/RST seen: kept briefly for late segments */
    FLOW_ESTABLISHED, /* open, established or mid-stream */
    FLOW_CLASS_COUNT
};

/* The flow table's part of a connection (first member of struct conn): what a
 * lookup and a touch read, one cache line. Its idle-list links are in the
 * table's own array (flowtab.c). */
struct flow_link {
    struct flow_key key;
    uint32_t hash;
    uint64_t last_ns; /* last packet, for idle expiry */
    uint8_t cls;      /* enum flow_class */
    bool in_use;
};

struct conn;
struct flowtab;

/* Canonical key of a packet's tuple. *swapped tells whether src is the "hi" side. */
void flowtab_key(const struct flow_tuple *t, struct flow_key *key);
/* The keyed hash of a canonical key under sk (64 bits), and the table's: its
 * low 32 bits, which pick the slot. */
uint64_t flowtab_hash64(const struct siphash_key *sk, const struct flow_key *key);
uint32_t flowtab_hash(const struct flowtab *ft, const struct flow_key *key);

/* A table for cap connections (cap >= 1), hashing under key (copied). Every
 * slot looked at is added to *probes (a cost measure for tests and the bench;
 * it depends on the key). NULL when memory runs out. */
struct flowtab *flowtab_new(size_t cap, const struct siphash_key *key, uint64_t *probes);
void flowtab_free(struct flowtab *ft);

struct conn *flowtab_find(struct flowtab *ft, const struct flow_key *key, uint32_t hash);
/* Hints, for a packet a little ahead: start loading the slot flowtab_find(hash)
 * will look at first; once that slot is in cache, the connection it names (its
 * hot part, or all of it when whole: a SYN, FIN or RST also writes the
 * handshake and teardown facts) and its idle-list link; once that link is in
 * cache, its neighbours' links. */
void flowtab_prefetch_slot(const struct flowtab *ft, uint32_t hash);
void flowtab_prefetch_conn(const struct flowtab *ft, uint32_t hash, bool whole);
void flowtab_prefetch_neighbours(const struct flowtab *ft, uint32_t hash);
/* Start loading all of a connection: it is about to be finished and removed. (Not
 * its slot: finding that would wait for the connection's hash.) */
void flowtab_prefetch_entry(const struct conn *c);
bool flowtab_full(const struct flowtab *ft);
/* Insert a new connection; the table must not be full nor the hash's window
 * crowded. Class is FLOW_HANDSHAKE. Only its link is set: the caller starts the
 * rest with tracker_init. */
struct conn *flowtab_insert(struct flowtab *ft, const struct flow_key *key, uint32_t hash,
                            uint64_t now_ns);
/* NULL when a new flow with this hash has a free slot in its window; else the
 * flow in that window to evict for it, by flowtab_victim's rule: handshake-only
 * before closed before established, then the least recently seen, then the
 * lowest record id. */
struct conn *flowtab_crowded(struct flowtab *ft, uint32_t hash);
/* Give victim's entry and slot (from flowtab_crowded(hash), already reported) to
 * a new connection with this key, as flowtab_insert does. */
struct conn *flowtab_reuse(struct flowtab *ft, struct conn *victim, const struct flow_key *key,
                           uint32_t hash, uint64_t now_ns);
void flowtab_remove(struct flowtab *ft, struct conn *c);
/* Mark c as seen at now_ns in class cls: moves it to the tail of that idle list. */
void flowtab_touch(struct flowtab *ft, struct conn *c, enum flow_class cls, uint64_t now_ns);
/* The least recently seen connection of a class, or NULL. */
struct conn *flowtab_oldest(const struct flowtab *ft, enum flow_class cls);
/* The next connection on the same idle list, or NULL. */
struct conn *flowtab_next(const struct flowtab *ft, const struct conn *c);
/* No later than the last_ns of flowtab_oldest(cls) (UINT64_MAX when the list is
 * empty), read without loading that connection; flowtab_settle_oldest makes it
 * exact (and loads it). flowtab_next_ns is the same for flowtab_next(c). */
uint64_t flowtab_oldest_ns(const struct flowtab *ft, enum flow_class cls);
uint64_t flowtab_next_ns(const struct flowtab *ft, const struct conn *c);
uint64_t flowtab_settle_oldest(struct flowtab *ft, enum flow_class cls);
/* Who to evict when full: the least recently seen handshake-only, else closed, else
 * established entry. */
struct conn *flowtab_victim(const struct flowtab *ft);
/* Start loading what evicting flowtab_victim() will read: its slot, the whole
 * connection, and the first line of the victim after it. */
void flowtab_prefetch_victim(const struct flowtab *ft);
size_t flowtab_count(const struct flowtab *ft);

#endif
