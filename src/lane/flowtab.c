/*
 * flowtab.c - the bounded flow table (see flowtab.h for the design).
 *
 * Memory: one pool of cap connections, their idle-list links and a slot
 * array of the next power of two >= 2 * cap, all allocated in flowtab_new;
 * nothing is allocated later.
 * A slot holds the entry's hash beside its pool index + 1 (0 = empty), so a
 * probe touches a connection only when the hash matches. Deletion shifts later
 * members of the probe run back, so there are no tombstones and lookups stay
 * short. Nothing is ever placed FLOWTAB_WINDOW or more slots past its home, and
 * the backward shift only moves entries towards their homes, so every search
 * stops within FLOWTAB_WINDOW slots (flowtab.h).
 */
#include "flowtab.h"

#include <stddef.h>
#include <string.h>

#include "alloc.h"
#include "tracker.h"

_Static_assert(sizeof(struct flow_link) <= 64, "a lookup and a touch read one cache line");

/*
 * A connection's place on its idle list. These live in an array of their own,
 * 16 bytes a connection, not in the connections: moving a connection to the
 * tail rewrites its two neighbours' links, and in this dense array they stay
 * in cache and can be prefetched, where the neighbours' own connections, idle
 * for a while, were a cache miss each.
 */
struct idle_link {
    uint64_t next_ns; /* no later than the next connection's last_ns: expiry can
                         tell it is not due yet without loading it */
    uint32_t prev;    /* pool index + 1, 0 = none */
    uint32_t next;    /* ... also chains the free entries */
};

struct slot {
    uint32_t hash;
    uint32_t idx; /* pool index + 1; 0 = empty */
};

struct flowtab {
    struct siphash_key key;
    uint64_t *probes; /* slots looked at, summed here */
    struct conn *pool;
    size_t cap;
    struct slot *slots;
    size_t slot_mask;
    struct idle_link *links; /* cap + 1, by pool index + 1 ([0] unused) */
    size_t count;
    uint32_t free_head; /* freed pool entries, chained through links[].next */
    size_t used;        /* pool entries ever handed out; the rest are untouched */
    uint32_t head[FLOW_CLASS_COUNT];
    uint32_t tail[FLOW_CLASS_COUNT];
    uint64_t head_ns[FLOW_CLASS_COUNT]; /* no later than the head's last_ns */
};

/* Big-endian load: comparing these compares the bytes as memcmp does. */
static inline uint64_t load_be64(const uint8_t *p)
{
    return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 |
           (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
           (uint64_t)p[6] << 8 | (uint64_t)p[7];
}

/* memcmp(a, b, 16) < 0, or == 0: addresses compared as numbers. */
static int addr_cmp(const uint8_t *a, const uint8_t *b)
{
    uint64_t a0 = load_be64(a), b0 = load_be64(b);
    if (a0 != b0) {
        return a0 < b0 ? -1 : 1;
    }
    uint64_t a1 = load_be64(a + 8), b1 = load_be64(b + 8);
    return a1 < b1 ? -1 : a1 > b1;
}

void flowtab_key(const struct flow_tuple *t, struct flow_key *key)
{
    memset(key, 0, sizeof(*key));
    int c = addr_cmp(t->src, t->dst);
    bool src_lo = c < 0 || (c == 0 && t->sport <= t->dport);
    memcpy(key->lo_addr, src_lo ? t->src : t->dst, 16);
    memcpy(key->hi_addr, src_lo ? t->dst : t->src, 16);
    key->lo_port = src_lo ? t->sport : t->dport;
    key->hi_port = src_lo ? t->dport : t->sport;
    key->vlan = t->vlan;
    key->ip_version = t->ip_version;
}

static uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/*
 * SipHash-1-3 of the key. It replaced an unkeyed multiply-xor hash whose
 * collisions anyone could compute, so that crafted SYNs made each new flow
 * cost time in proportion to the flood (docs/internals.md). An IPv4 key is
 * hashed as 16 bytes (the two addresses, the ports and the VLAN: two blocks,
 * where the whole 44-byte key takes six), which keeps the keyed hash a small
 * part of a run; an IPv6 key as all its bytes (flowtab_key zeroes the
 * padding). The lengths differ, so the two families never share a message.
 */
uint64_t flowtab_hash64(const struct siphash_key *sk, const struct flow_key *key)
{
    if (key->ip_version != 4) {
        return siphash13(sk, key, sizeof(*key));
    }
    uint8_t m[16];
    memcpy(m, key->lo_addr, 4);
    memcpy(m + 4, key->hi_addr, 4);
    m[8] = (uint8_t)(key->lo_port >> 8);
    m[9] = (uint8_t)key->lo_port;
    m[10] = (uint8_t)(key->hi_port >> 8);
    m[11] = (uint8_t)key->hi_port;
    uint32_t vlan = (uint32_t)key->vlan;
    m[12] = (uint8_t)(vlan >> 24);
    m[13] = (uint8_t)(vlan >> 16);
    m[14] = (uint8_t)(vlan >> 8);
    m[15] = (uint8_t)vlan;
    return siphash13(sk, m, sizeof(m));
}

/* The low 32 bits pick the slot; shard.c routes on the high 32. */
uint32_t flowtab_hash(const struct flowtab *ft, const struct flow_key *key)
{
    return (uint32_t)flowtab_hash64(&ft->key, key);
}

static bool key_eq(const struct flow_key *a, const struct flow_key *b)
{
    return a->lo_port == b->lo_port && a->hi_port == b->hi_port && a->vlan == b->vlan &&
           a->ip_version == b->ip_version && load64(a->lo_addr) == load64(b->lo_addr) &&
           load64(a->lo_addr + 8) == load64(b->lo_addr + 8) &&
           load64(a->hi_addr) == load64(b->hi_addr) &&
           load64(a->hi_addr + 8) == load64(b->hi_addr + 8);
}

struct flowtab *flowtab_new(size_t cap, const struct siphash_key *key, uint64_t *probes)
{
    if (cap == 0 || cap > (1u << 30)) {
        return NULL;
    }
    size_t nslots = 16;
    while (nslots < 2 * cap) {
        nslots <<= 1;
    }
    struct flowtab *ft = ts_calloc(1, sizeof(*ft));
    if (ft == NULL) {
        return NULL;
    }
    ft->key = *key;
    ft->probes = probes;
    ft->cap = cap;
    ft->slot_mask = nslots - 1;
    ft->pool = ts_calloc_table(cap, sizeof(*ft->pool));
    ft->slots = ts_calloc_table(nslots, sizeof(*ft->slots));
    ft->links = ts_calloc_table(cap + 1, sizeof(*ft->links));
    if (ft->pool == NULL || ft->slots == NULL || ft->links == NULL) {
        flowtab_free(ft);
        return NULL;
    }
    return ft;
}

void flowtab_free(struct flowtab *ft)
{
    if (ft == NULL) {
        return;
    }
    ts_free_table(ft->pool, ft->cap, sizeof(*ft->pool));
    ts_free_table(ft->slots, ft->slot_mask + 1, sizeof(*ft->slots));
    ts_free_table(ft->links, ft->cap + 1, sizeof(*ft->links));
    ts_free(ft);
}

static uint32_t index_of(const struct flowtab *ft, const struct conn *c)
{
    return (uint32_t)(c - ft->pool) + 1;
}

static struct conn *at(const struct flowtab *ft, uint32_t idx)
{
    return idx == 0 ? NULL : &ft->pool[idx - 1];
}

struct conn *flowtab_find(struct flowtab *ft, const struct flow_key *key, uint32_t hash)
{
    struct conn *found = NULL;
    size_t n = 0;
    for (size_t i = hash & ft->slot_mask; n < FLOWTAB_WINDOW; i = (i + 1) & ft->slot_mask) {
        const struct slot *s = &ft->slots[i];
        n++;
        if (s->idx == 0) {
            break;
        }
        if (s->hash == hash) {
            struct conn *c = at(ft, s->idx);
            if (key_eq(&c->link.key, key)) {
                found = c;
                break;
            }
        }
    }
    *ft->probes += n;
    return found;
}

void flowtab_prefetch_slot(const struct flowtab *ft, uint32_t hash)
{
    __builtin_prefetch(&ft->slots[hash & ft->slot_mask]);
}

/* The pool index + 1 of the connection in hash's home slot when that slot
 * holds this hash; 0 for a new connection, or one further down the probe run:
 * not worth chasing for a prefetch hint. */
static uint32_t home_idx(const struct flowtab *ft, uint32_t hash)
{
    const struct slot *s = &ft->slots[hash & ft->slot_mask];
    return s->hash == hash ? s->idx : 0;
}

void flowtab_prefetch_conn(const struct flowtab *ft, uint32_t hash, bool whole)
{
    uint32_t idx = home_idx(ft, hash);
    if (idx == 0) {
        return;
    }
    const struct conn *conn = at(ft, idx);
    if (whole) {
        flowtab_prefetch_entry(conn);
    } else {
        /* What a mid-connection segment touches: five lines, written out (a
         * loop cost more than the prefetches). */
        _Static_assert(TRACKER_HOT_BYTES > 4 * 64 && TRACKER_HOT_BYTES <= 5 * 64,
                       "a connection's hot part is five cache lines");
        const char *c = (const char *)conn;
        __builtin_prefetch(c, 1);
        __builtin_prefetch(c + 64, 1);
        __builtin_prefetch(c + 2 * 64, 1);
        __builtin_prefetch(c + 3 * 64, 1);
        __builtin_prefetch(c + 4 * 64, 1);
    }
    __builtin_prefetch(&ft->links[idx], 1); /* and its touch */
}

void flowtab_prefetch_neighbours(const struct flowtab *ft, uint32_t hash)
{
    uint32_t idx = home_idx(ft, hash);
    if (idx == 0) {
        return;
    }
    const struct idle_link *l = &ft->links[idx];
    if (l->next == 0) {
        return; /* the tail already: a touch moves nothing */
    }
    __builtin_prefetch(&ft->links[l->next], 1);
    __builtin_prefetch(&ft->links[l->prev], 1);
}

void flowtab_prefetch_entry(const struct conn *c)
{
    for (size_t off = 0; off < sizeof(*c); off += 64) {
        __builtin_prefetch((const char *)c + off, 1);
    }
}

bool flowtab_full(const struct flowtab *ft)
{
    return ft->count >= ft->cap;
}

size_t flowtab_count(const struct flowtab *ft)
{
    return ft->count;
}

static void list_unlink(struct flowtab *ft, struct conn *c)
{
    struct idle_link *l = &ft->links[index_of(ft, c)];
    if (l->prev != 0) {
        struct idle_link *p = &ft->links[l->prev];
        p->next = l->next;
        p->next_ns = l->next_ns;
    } else {
        ft->head[c->link.cls] = l->next;
        ft->head_ns[c->link.cls] = l->next_ns;
    }
    if (l->next != 0) {
        ft->links[l->next].prev = l->prev;
    } else {
        ft->tail[c->link.cls] = l->prev;
    }
    l->prev = l->next = 0;
}

static void list_append(struct flowtab *ft, struct conn *c, enum flow_class cls)
{
    uint32_t idx = index_of(ft, c);
    struct idle_link *l = &ft->links[idx];
    c->link.cls = (uint8_t)cls;
    l->next = 0;
    l->prev = ft->tail[cls];
    if (ft->tail[cls] != 0) {
        struct idle_link *t = &ft->links[ft->tail[cls]];
        t->next = idx;
        t->next_ns = c->link.last_ns;
    } else {
        ft->head[cls] = idx;
        ft->head_ns[cls] = c->link.last_ns;
    }
    ft->tail[cls] = idx;
}

/* A connection with this key, on the handshake list: the link is set, the rest
 * is tracker_init's to clear (it is cleared there once, not here too). */
static void start_conn(struct flowtab *ft, struct conn *c, const struct flow_key *key,
                       uint32_t hash, uint64_t now_ns)
{
    c->link.key = *key;
    c->link.hash = hash;
    c->link.last_ns = now_ns;
    c->link.in_use = true;
    list_append(ft, c, FLOW_HANDSHAKE);
}

struct conn *flowtab_insert(struct flowtab *ft, const struct flow_key *key, uint32_t hash,
                            uint64_t now_ns)
{
    /* A free slot in the window first: flowtab_crowded said there is one. */
    size_t i = hash & ft->slot_mask;
    size_t n = 1;
    while (ft->slots[i].idx != 0 && n < FLOWTAB_WINDOW) {
        i = (i + 1) & ft->slot_mask;
        n++;
    }
    *ft->probes += n;
    if (ft->slots[i].idx != 0) {
        return NULL;
    }
    /* Reuse a freed entry, else take a fresh one: pool pages are touched only as the
     * table grows, so a small capture costs little memory. */
    uint32_t idx = ft->free_head;
    struct conn *c = at(ft, idx);
    if (c != NULL) {
        ft->free_head = ft->links[idx].next;
    } else if (ft->used < ft->cap) {
        idx = (uint32_t)++ft->used;
        c = at(ft, idx);
    } else {
        return NULL;
    }
    ft->slots[i].hash = hash;
    ft->slots[i].idx = idx;
    ft->count++;
    start_conn(ft, c, key, hash, now_ns);
    return c;
}

/* Whether a should be evicted before b (flowtab_victim's order, then the id). */
static bool evict_before(const struct conn *a, const struct conn *b)
{
    if (a->link.cls != b->link.cls) {
        return a->link.cls < b->link.cls;
    }
    if (a->link.last_ns != b->link.last_ns) {
        return a->link.last_ns < b->link.last_ns;
    }
    return a->facts.id < b->facts.id;
}

/*
 * The slots alone first: they are contiguous and the home slot was prefetched,
 * and a free one (the rule, flowtab.h) ends it. Only a crowded window, which
 * practically never happens, loads its connections to choose the victim; doing
 * that while looking for the free slot cost a cache miss per occupied slot of
 * every new flow's probe run (7 % of a SYN flood, perf).
 */
struct conn *flowtab_crowded(struct flowtab *ft, uint32_t hash)
{
    size_t home = hash & ft->slot_mask;
    size_t i = home;
    for (size_t n = 0; n < FLOWTAB_WINDOW; n++, i = (i + 1) & ft->slot_mask) {
        if (ft->slots[i].idx == 0) {
            *ft->probes += n + 1;
            return NULL;
        }
    }
    *ft->probes += FLOWTAB_WINDOW;
    struct conn *victim = NULL;
    i = home;
    for (size_t n = 0; n < FLOWTAB_WINDOW; n++, i = (i + 1) & ft->slot_mask) {
        struct conn *c = at(ft, ft->slots[i].idx);
        if (victim == NULL || evict_before(c, victim)) {
            victim = c;
        }
    }
    return victim;
}

struct conn *flowtab_reuse(struct flowtab *ft, struct conn *victim, const struct flow_key *key,
                           uint32_t hash, uint64_t now_ns)
{
    uint32_t idx = index_of(ft, victim);
    size_t i = victim->link.hash & ft->slot_mask;
    size_t n = 1;
    while (ft->slots[i].idx != idx) {
        i = (i + 1) & ft->slot_mask;
        n++;
    }
    *ft->probes += n;
    /* The slot stays taken, so no probe run is cut: it now holds the new flow,
     * whose window it lies in. */
    ft->slots[i].hash = hash;
    list_unlink(ft, victim);
    start_conn(ft, victim, key, hash, now_ns);
    return victim;
}

/* Remove slot i and shift back any later entry of the run whose home is at or
 * before i. An entry FLOWTAB_WINDOW or more slots past the hole has its home
 * past the hole too (nothing sits that far from home), so the search for one to
 * move stops there. */
static void slot_delete(struct flowtab *ft, size_t i)
{
    size_t j = i;
    size_t n = 0;
    for (;;) {
        ft->slots[i].idx = 0;
        for (;;) {
            j = (j + 1) & ft->slot_mask;
            n++;
            if (ft->slots[j].idx == 0 || ((j - i) & ft->slot_mask) >= FLOWTAB_WINDOW) {
                *ft->probes += n;
                return;
            }
            size_t home = ft->slots[j].hash & ft->slot_mask;
            /* Entry j may move to i only if its home does not lie in (i, j] cyclically. */
            bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (!stays) {
                break;
            }
        }
        ft->slots[i] = ft->slots[j];
        i = j;
    }
}

void flowtab_remove(struct flowtab *ft, struct conn *c)
{
    uint32_t idx = index_of(ft, c);
    size_t n = 1;
    for (size_t i = c->link.hash & ft->slot_mask;; i = (i + 1) & ft->slot_mask, n++) {
        if (ft->slots[i].idx == idx) {
            slot_delete(ft, i);
            break;
        }
    }
    *ft->probes += n;
    list_unlink(ft, c);
    c->link.in_use = false;
    ft->links[idx].next = ft->free_head;
    ft->free_head = idx;
    ft->count--;
}

void flowtab_touch(struct flowtab *ft, struct conn *c, enum flow_class cls, uint64_t now_ns)
{
    if (now_ns > c->link.last_ns) {
        c->link.last_ns = now_ns;
    }
    if (ft->tail[c->link.cls] == index_of(ft, c) && c->link.cls == cls) {
        return;
    }
    list_unlink(ft, c);
    list_append(ft, c, cls);
}

struct conn *flowtab_oldest(const struct flowtab *ft, enum flow_class cls)
{
    return at(ft, ft->head[cls]);
}

struct conn *flowtab_next(const struct flowtab *ft, const struct conn *c)
{
    return at(ft, ft->links[index_of(ft, c)].next);
}

uint64_t flowtab_next_ns(const struct flowtab *ft, const struct conn *c)
{
    return ft->links[index_of(ft, c)].next_ns;
}

uint64_t flowtab_oldest_ns(const struct flowtab *ft, enum flow_class cls)
{
    return ft->head[cls] != 0 ? ft->head_ns[cls] : UINT64_MAX;
}

uint64_t flowtab_settle_oldest(struct flowtab *ft, enum flow_class cls)
{
    const struct conn *c = at(ft, ft->head[cls]);
    if (c == NULL) {
        return UINT64_MAX;
    }
    ft->head_ns[cls] = c->link.last_ns;
    return c->link.last_ns;
}

/*
 * In a flood every new flow evicts the head of the handshake list, which was
 * last seen a table's worth of flows ago and is out of cache: its slot (found
 * by its hash) cost flowtab_remove a miss, and finishing its record a miss per
 * line. The next victims are known ahead, so: its slot (its first line was
 * fetched one eviction earlier), all of it, and the first line of the one after.
 */
void flowtab_prefetch_victim(const struct flowtab *ft)
{
    const struct conn *v = flowtab_victim(ft);
    if (v == NULL) {
        return;
    }
    __builtin_prefetch(&ft->slots[v->link.hash & ft->slot_mask], 1);
    flowtab_prefetch_entry(v);
    uint32_t after = ft->links[index_of(ft, v)].next;
    if (after != 0) {
        __builtin_prefetch(at(ft, after), 1);
    }
}

struct conn *flowtab_victim(const struct flowtab *ft)
{
    for (int cls = 0; cls < FLOW_CLASS_COUNT; cls++) {
        if (ft->head[cls] != 0) {
            return at(ft, ft->head[cls]);
        }
    }
    return NULL;
}
