/*
 * carry.c - the payload gate and arenas (carry.h).
 *
 * The gate is a set-associative table of directions (keyed hash of the
 * directed tuple), each with the sequence number its first TLS handshake
 * record started at. A segment of a remembered direction is carried while it
 * overlaps [start, start + CARRY_WINDOW); the first segment past the window
 * frees the entry. A full set gives up its least recently used entry (counted
 * in replaced). Before hashing, an unkeyed count per port pair says whether
 * any entry could match: a segment of a connection that never started with
 * TLS costs one load, not a hash.
 */
#include "carry.h"

#include <string.h>

#include "alloc.h"

enum {
    TLS_HDR = 5,
    TLS_MAX_RECORD = 16384 + 2048, /* TLSCiphertext.length at most 2^14 + 2048 (RFC 5246 6.2.3) */
    TLS_HANDSHAKE = 22,
};

bool carry_gate_init(struct carry_gate *g, const uint8_t hash_key[SIPHASH_KEY_LEN])
{
    memset(g, 0, sizeof(*g));
    siphash_key_from_bytes(&g->key, hash_key);
    g->ent = ts_calloc((size_t)CARRY_SETS * CARRY_WAYS, sizeof(*g->ent));
    g->bucket = ts_calloc(CARRY_PREFILTER, sizeof(*g->bucket));
    if (g->ent == NULL || g->bucket == NULL) {
        carry_gate_release(g);
        return false;
    }
    return true;
}

void carry_gate_release(struct carry_gate *g)
{
    ts_free(g->ent);
    ts_free(g->bucket);
    g->ent = NULL;
    g->bucket = NULL;
}

bool carry_arena_init(struct carry_arena *a, size_t cap)
{
    a->buf = ts_calloc(1, cap);
    a->cap = a->buf != NULL ? cap : 0;
    a->used = 0;
    return a->buf != NULL;
}

void carry_arena_release(struct carry_arena *a)
{
    ts_free(a->buf);
    a->buf = NULL;
    a->cap = a->used = 0;
}

bool carry_record_start(const uint8_t *p, size_t n)
{
    if (n < TLS_HDR || p[0] < 20 || p[0] > 23 || p[1] != 3 || p[2] > 4) {
        return false;
    }
    unsigned len = (unsigned)p[3] << 8 | p[4];
    return len > 0 && len <= TLS_MAX_RECORD;
}

/* A handshake record that opens with a ClientHello or ServerHello (when the
 * segment is long enough to say). */
static bool opens_handshake(const uint8_t *p, size_t n)
{
    return p[0] == TLS_HANDSHAKE && (n <= TLS_HDR || p[TLS_HDR] == 1 || p[TLS_HDR] == 2);
}

static uint64_t tag_of(const struct carry_gate *g, const struct tcp_view *v)
{
    struct {
        uint8_t src[16], dst[16];
        uint16_t sport, dport;
        int32_t vlan;
    } k;
    memset(&k, 0, sizeof(k));
    memcpy(k.src, v->tuple.src, sizeof(k.src));
    memcpy(k.dst, v->tuple.dst, sizeof(k.dst));
    k.sport = v->tuple.sport;
    k.dport = v->tuple.dport;
    k.vlan = v->tuple.vlan;
    uint64_t h = siphash13(&g->key, &k, sizeof(k));
    return h != 0 ? h : 1;
}

static void drop(struct carry_gate *g, struct carry_entry *e)
{
    g->bucket[e->bucket]--;
    e->tag = 0;
    g->live--;
}

/* Does the remembered direction want this segment? Frees an entry passed by. */
static bool in_window(struct carry_gate *g, const struct tcp_view *v, struct carry_entry *set,
                      uint64_t tag, bool *known)
{
    for (unsigned i = 0; i < CARRY_WAYS; i++) {
        struct carry_entry *e = &set[i];
        if (e->tag != tag) {
            continue;
        }
        uint32_t off = v->seq - e->start;
        uint32_t back = e->start - v->seq; /* a segment starting before the window */
        if (off < CARRY_WINDOW || (back != 0 && back < v->payload_cap)) {
            e->used = ++g->clock;
            *known = true;
            return true;
        }
        if (off < 0x80000000u) {
            drop(g, e); /* the stream went past the window */
        } else {
            *known = true;
        }
        return false;
    }
    return false;
}

static void remember(struct carry_gate *g, const struct tcp_view *v, struct carry_entry *set,
                     uint64_t tag, unsigned bucket)
{
    struct carry_entry *victim = &set[0];
    for (unsigned i = 0; i < CARRY_WAYS; i++) {
        if (set[i].tag == 0) {
            victim = &set[i];
            break;
        }
        if (set[i].used < victim->used) {
            victim = &set[i];
        }
    }
    if (victim->tag != 0) {
        g->replaced++;
        drop(g, victim);
    }
    victim->tag = tag;
    victim->start = v->seq;
    victim->bucket = (uint16_t)bucket;
    victim->used = ++g->clock;
    g->live++;
    g->bucket[bucket]++;
}

static bool wanted(struct carry_gate *g, const struct tcp_view *v, const uint8_t *payload)
{
    unsigned bucket = carry_bucket(v);
    bool head = carry_record_start(payload, v->payload_cap);
    bool opens = head && opens_handshake(payload, v->payload_cap);
    if (g->bucket[bucket] == 0 && !opens) {
        return head;
    }
    uint64_t tag = tag_of(g, v);
    struct carry_entry *set = &g->ent[(tag >> 32) % CARRY_SETS * CARRY_WAYS];
    bool known = false;
    if (in_window(g, v, set, tag, &known)) {
        return true;
    }
    if (opens && !known) {
        remember(g, v, set, tag, bucket);
    }
    return head;
}

bool carry_slow(struct carry_gate *g, struct carry_arena *a, struct tcp_view *v,
                const uint8_t *payload)
{
    if (!wanted(g, v, payload)) {
        return false;
    }
    size_t n = v->payload_cap < CARRY_MAX_COPY ? v->payload_cap : CARRY_MAX_COPY;
    uint8_t *dst = a->buf + a->used;
    memcpy(dst, payload, n);
    a->used += n;
    v->payload = dst;
    v->payload_cap = (uint32_t)n;
    return true;
}
