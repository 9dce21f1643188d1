/*
 * engine.h - one shard of the analysis: a flow table and its trackers, idle
 * expiry, eviction, and the records they produce, each labelled with an
 * emission key.
 *
 * The lane (lane.c) runs one engine on the caller's thread, or one engine
 * per worker thread (shard.c) with connections sharded by flow hash. The
 * emission key orders records the same way however the connections were
 * sharded, so both print the same thing:
 *
 *   a record a packet caused (eviction, port reuse, handshake event) at
 *     packet index i with clock now(i):     (now(i), PACKET, i, n-th of that packet)
 *   a record expiry caused, deadline D = last_ns + timeout:
 *                                          (D, EXPIRY, id, kind)
 *   a record the final flush caused:       (UINT64_MAX, FLUSH, id, kind)
 *
 * An expiry sweep at clock T reports exactly the connections with D < T, so
 * an expired record sorts before a packet's records iff it was reported
 * before that packet. Within one engine keys only ever increase.
 */
#ifndef TCPSHAKE_ENGINE_H
#define TCPSHAKE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "p0f.h"
#include "tcpshake.h"
#include "tlsflow.h"

enum emit_phase {
    EMIT_PACKET, /* caused by a packet */
    EMIT_EXPIRY, /* decided by the clock */
    EMIT_FLUSH,  /* the end of the input */
    EMIT_END     /* after everything (watermark of a flushed engine) */
};

/* Emission key, compared field by field in this order. */
struct emit_key {
    uint64_t t_ns; /* clock of the packet, or expiry deadline */
    uint8_t phase; /* enum emit_phase */
    uint64_t a;    /* packet index, or record id */
    uint64_t b;    /* n-th record of the packet, or enum tcpshake_event */
};

static inline int emit_key_cmp(const struct emit_key *x, const struct emit_key *y)
{
    if (x->t_ns != y->t_ns) {
        return x->t_ns < y->t_ns ? -1 : 1;
    }
    if (x->phase != y->phase) {
        return x->phase < y->phase ? -1 : 1;
    }
    if (x->a != y->a) {
        return x->a < y->a ? -1 : 1;
    }
    if (x->b != y->b) {
        return x->b < y->b ? -1 : 1;
    }
    return 0;
}

typedef void (*engine_out_fn)(void *ctx, const struct emit_key *key, enum tcpshake_event ev,
                              const struct tcpshake_record *rec);

/* With engine.mark_new: handed to out, with no record worth reading, when a
 * connection starts being tracked (a new one, or a reused port's next one).
 * With the CLOSE records (one per connection leaving the table, or reused),
 * these give the merge the number of connections tracked by all engines at
 * every key, so the peak is the same as one engine's. */
#define ENGINE_EVENT_NEW ((enum tcpshake_event)TCPSHAKE_EVENT_COUNT)

/* A connection due to be reported, with its sort key. */
struct engine_due {
    uint64_t deadline_ns;
    uint64_t id;
    struct conn *conn;
};

/* A segment or ICMP error the engine has just tracked, for a tap (the ladders,
 * src/ladder/): which connection it went to and what the tracker made of it. */
struct engine_tap_item {
    uint64_t conn_id;             /* the connection's record id */
    uint64_t index;               /* the packet's position in the input */
    uint64_t ts_ns;               /* as the tracker saw it */
    const struct tcp_view *tcp;   /* a segment, or NULL */
    const struct icmp_view *icmp; /* an ICMP error, or NULL */
    bool key_segment;             /* tracker: a handshake or teardown segment */
    bool completes;               /* tracker: completed the handshake */
    bool rst_valid;               /* tracker: an acceptable RST */
};

/* false: show the tap no more of this connection (a byte of struct conn says so,
 * so the rest of its packets cost the tap nothing). */
typedef bool (*engine_tap_fn)(void *ctx, const struct engine_tap_item *item);

/* One decoded packet on its way to an engine (the arguments of engine_packet).
 * engine_packets works out the flow hash itself unless hashed says the sender
 * already did: shard.c routes on the high half of the same keyed hash
 * (flowtab_hash64 under the same key) and sends the low half, the flow table's,
 * along, so the worker does not hash every packet a second time. */
struct engine_item {
    uint64_t index;
    uint64_t now_ns;
    uint64_t ts_ns;
    uint32_t hash; /* flowtab_hash of the packet's key, when hashed */
    bool hashed;
    struct packet_view pv;
};

struct engine {
    uint64_t timeout_ns[3]; /* per enum flow_class */
    uint64_t next_due_ns;   /* no connection's deadline is before this */
    struct flowtab *ft;
    struct engine_due *due; /* cap entries: a sweep's or the flush's connections */
    struct tcpshake_record scratch;
    struct tcpshake_stats *st; /* connections, evictions*, flows_peak are counted here */
    bool events;               /* report handshake events */
    bool mark_new;             /* report ENGINE_EVENT_NEW (several engines) */
    engine_out_fn out;
    void *out_ctx;
    struct emit_key key; /* of the packet being handled */
    engine_tap_fn tap;   /* every tracked packet, or NULL (engine_set_tap) */
    void *tap_ctx;
    struct p0f_memo p0f;     /* the records' p0f signatures, labelled from p0f.db (or not) */
    struct tlsflow_pool tls; /* TLS handshakes being read, and their facts */
    bool zeek_off;           /* records carry no Zeek view: connections skip its tracking */
};

/* What records carry beyond the handshake and teardown, each on by default:
 * a view nobody reads costs every connection its tracking (engine_set_views). */
enum engine_view {
    ENGINE_VIEW_P0F = 1u << 0,  /* the p0f signatures and labels of both SYNs */
    ENGINE_VIEW_ZEEK = 1u << 1, /* Zeek's conn_state, history and sizes */
    ENGINE_VIEWS_ALL = ENGINE_VIEW_P0F | ENGINE_VIEW_ZEEK,
};

/* Make an engine for cap connections. false when memory runs out. */
bool engine_init(struct engine *e, const struct tcpshake_config *cfg, size_t cap,
                 struct tcpshake_stats *st, engine_out_fn out, void *ctx);
void engine_release(struct engine *e);

/* Show every tracked segment and ICMP error to fn (NULL: none), after the
 * tracker and any record it caused. */
void engine_set_tap(struct engine *e, engine_tap_fn fn, void *ctx);

/* The views (ENGINE_VIEW_*) the records carry; the others stay empty. Before
 * the first packet: a connection keeps what it started with. */
void engine_set_views(struct engine *e, unsigned views);

/* Report every connection whose deadline is before now_ns (sorted by key). */
void engine_sweep(struct engine *e, uint64_t now_ns);

/* Analyse one decoded packet: sweep at now_ns, then track it. index is the
 * packet's 1-based position in the input (a new connection's record id).
 * Returns true for a handshake or teardown packet (what --handshake-only keeps). */
bool engine_packet(struct engine *e, uint64_t index, uint64_t now_ns, uint64_t ts_ns,
                   const struct packet_view *pv);

/* engine_packet for items[pick[0]], items[pick[1]] ... items[pick[n - 1]], or
 * for items[0 .. n) when pick is NULL. While one packet is analysed, the flow
 * table entries of the next few are fetched into the cache: the misses on them
 * were the largest single cost per packet. */
void engine_packets(struct engine *e, const struct engine_item *items, const uint16_t *pick,
                    size_t n);

/* Report every connection still tracked (end = open), by id, and empty the table. */
void engine_flush(struct engine *e);

#endif
