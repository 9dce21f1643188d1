/*
 * carry.h - which payload bytes travel with a decoded packet to the engine.
 *
 * A view (decode.h) is queued in a batch or a round before an engine sees
 * it, and the frame it came from is gone by then. Most payload is of no use
 * to the analysis, so it is not copied; only segments that can belong to the
 * first flights of a TLS handshake are copied into the batch's or round's
 * arena, and the view's payload pointer then names that copy:
 *
 *   - a segment whose payload starts with a TLS record header (content type
 *     20 to 23, version 3.x, a length a record may have), and
 *   - a segment of a direction that started with a TLS handshake record
 *     (the gate below remembers it) and that lies in the first CARRY_WINDOW
 *     bytes of that direction's stream from there: the rest of a ClientHello
 *     or of a server's flight that ran past its first segment.
 *
 * The gate runs on the caller's thread, in input order, whatever the number
 * of threads, so the same bytes are carried for any --threads. A batch or a
 * round whose arena cannot take one more copy is analysed or sent early;
 * where a batch ends changes no output.
 */
#ifndef TCPSHAKE_CARRY_H
#define TCPSHAKE_CARRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "siphash.h"

#define CARRY_WINDOW    16384u /* bytes of a direction's stream followed (TLS_SIDE_CAP) */
#define CARRY_MAX_COPY  65536u /* one segment's copy at most (a TSO super-frame is cut) */
#define CARRY_SETS      1024u  /* the gate: CARRY_SETS x CARRY_WAYS directions at once */
#define CARRY_WAYS      4u
#define CARRY_PREFILTER 4096u /* port-pair buckets counting the gate's entries */

/* Bytes copied for one batch or round: reset when it has been analysed. */
struct carry_arena {
    uint8_t *buf;
    size_t cap;
    size_t used;
};

struct carry_entry {
    uint64_t tag;    /* keyed hash of the direction's tuple; 0 = free */
    uint64_t used;   /* gate clock of the last use: the least recent is replaced */
    uint32_t start;  /* sequence number of the direction's first TLS record */
    uint16_t bucket; /* its port-pair bucket */
};

/* Directions whose stream started with a TLS handshake record. */
struct carry_gate {
    struct siphash_key key;
    struct carry_entry *ent; /* CARRY_SETS * CARRY_WAYS */
    uint16_t *bucket;        /* CARRY_PREFILTER counts, by unkeyed port pair */
    uint64_t clock;          /* bumped at every use */
    uint32_t live;           /* entries in use */
    uint64_t replaced;       /* entries given up for a newer direction */
};

bool carry_gate_init(struct carry_gate *g, const uint8_t hash_key[SIPHASH_KEY_LEN]);
void carry_gate_release(struct carry_gate *g);

bool carry_arena_init(struct carry_arena *a, size_t cap);
void carry_arena_release(struct carry_arena *a);
/* Room for the largest copy: false when the batch should be analysed first. */
static inline bool carry_arena_room(const struct carry_arena *a)
{
    return a->cap - a->used >= CARRY_MAX_COPY;
}

/* True when the payload may start a TLS record (a header of a content type
 * 20..23, version 3.x and a plausible length). n may be short: then false. */
bool carry_record_start(const uint8_t *p, size_t n);

bool carry_slow(struct carry_gate *g, struct carry_arena *a, struct tcp_view *v,
                const uint8_t *payload);

static inline unsigned carry_bucket(const struct tcp_view *v)
{
    return (unsigned)(v->tuple.sport * 40503u + v->tuple.dport) % CARRY_PREFILTER;
}

/*
 * The view's payload (pointing into the frame, as decode_packet left it) is
 * copied into a (which has room: carry_arena_room) when the gate says so, and
 * the view then points at the copy, with payload_cap the bytes copied;
 * otherwise payload becomes NULL. Either way the view no longer points into
 * the frame. Returns true when something was copied. Inline: most segments
 * are settled by their first payload byte and one count.
 */
static inline bool carry_packet(struct carry_gate *g, struct carry_arena *a, struct packet_view *pv)
{
    if (pv->kind != PACKET_TCP) {
        return false;
    }
    struct tcp_view *v = &pv->u.tcp;
    const uint8_t *p = v->payload;
    if (p == NULL) {
        return false;
    }
    v->payload = NULL;
    if ((unsigned)(p[0] - 20) > 3 && (g->live == 0 || g->bucket[carry_bucket(v)] == 0)) {
        return false; /* not a record header, and no TLS direction on these ports */
    }
    return carry_slow(g, a, v, p);
}

#endif
