/*
 * lane.h - where a decoded packet goes: the analysis of connections behind one
 * interface, whatever the number of threads.
 *
 * The handle (tcpshake.c) decodes each packet straight into lane_slot and
 * hands it over with lane_commit; it moves time on with lane_tick, puts the
 * interval callback in its place among the records with lane_interval, and
 * ends with lane_flush. Behind the interface, by tcpshake_config.threads:
 *
 *   threads <= 1: no workers. One engine (engine.h) on the caller's thread.
 *     Committed packets wait in a batch of LANE_BATCH_CAP, so that the engine
 *     can fetch the flow-table entries of the next few while it analyses one,
 *     until the batch fills or something must see the engine up to date (a
 *     tick, an interval, a push, the flush): waiting changes no output. With
 *     batching off, each packet is analysed at its commit, which then says
 *     whether it was a handshake or teardown packet.
 *   threads > 1: threads - 1 workers (shard.c), each with its own engine, and
 *     the caller's thread reading and decoding. Packets travel to them in
 *     rounds; their records are merged back on the caller's thread. With one
 *     worker, the caller's thread may run its engine itself while most packets
 *     make a record (a SYN flood).
 *
 * Either way the hooks run on the caller's thread, with records and interval
 * callbacks in emission-key order (engine.h), so the output does not depend
 * on the number of threads.
 */
#ifndef TCPSHAKE_LANE_H
#define TCPSHAKE_LANE_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"
#include "engine.h"
#include "tcpshake.h"

#define LANE_MAX_THREADS 64 /* the caller's thread and up to 63 workers */
#define LANE_MIN_FLOWS   16 /* tcpshake_config.max_flows, and per worker */
#define LANE_MAX_FLOWS   (1u << 28)

/* Where the lane's output goes; called on the caller's thread only. */
struct lane_hooks {
    void (*record)(void *ctx, enum tcpshake_event ev, const struct tcpshake_record *rec);
    void (*interval)(void *ctx, uint64_t start_ns, uint64_t end_ns);
    void *ctx;
};

struct lane;

/* A lane for cfg (already checked by the handle), counting connections,
 * evictions, flows_peak and flow_probes in *st: as they happen with no
 * workers, at lane_flush with workers. NULL when memory runs out or a worker
 * thread cannot start. */
struct lane *lane_new(const struct tcpshake_config *cfg, struct tcpshake_stats *st,
                      const struct lane_hooks *hooks);
/* Stop the workers, drop what was not delivered. NULL is a no-op. */
void lane_free(struct lane *l);

/* Report handshake events too. Call before the first packet. */
void lane_set_events(struct lane *l, bool on);

/* Label the records' p0f signatures from db (read-only while the lane lives;
 * NULL: no labels). Call before the first packet. */
struct p0f_db;
void lane_set_p0f_db(struct lane *l, const struct p0f_db *db);
/* What records carry (ENGINE_VIEW_*: tcpshake_set_p0f, tcpshake_set_zeek). */
void lane_set_views(struct lane *l, unsigned views);

/* With no workers: let committed packets wait in a batch (reading a file), or
 * analyse each at its commit (off, the default: live records are due at once,
 * and saving only handshake packets needs each packet's verdict). Turning it
 * off analyses what waits. Workers always take packets in rounds. */
void lane_set_batching(struct lane *l, bool on);

/* Show every tracked packet to fn (engine_set_tap). Only without workers:
 * false when the lane has them. */
bool lane_set_tap(struct lane *l, engine_tap_fn fn, void *ctx);

/* How many times the one worker's engine changed threads: the reading thread
 * took it to run it itself, most packets making a record, or gave it back
 * (shard.c); 0 without workers or with several. */
uint64_t lane_handovers(const struct lane *l);

/* Where to decode the next packet. A slot not committed is handed out again. */
struct packet_view *lane_slot(struct lane *l);

/* The packet in lane_slot(l) decoded: analyse it, or queue it. Its payload
 * pointer (into the frame, which may go away after this call) is replaced by
 * the lane's copy when the payload may belong to a TLS handshake, by NULL
 * otherwise (carry.h). index is its
 * 1-based position in the input (a new connection's record id), now_ns the
 * clock at it (the latest time stamp so far), ts_ns its own time stamp.
 * Returns true for a handshake or teardown packet when it was analysed at
 * once (no workers, batching off); false otherwise. */
bool lane_commit(struct lane *l, uint64_t index, uint64_t now_ns, uint64_t ts_ns);

/* The clock moved to now_ns without a packet: expire what is due at it and
 * deliver what is ready. */
void lane_tick(struct lane *l, uint64_t now_ns);

/* The interval callback for [start_ns, end_ns) is due just before the packet
 * at index (packets read + 1 for a tick): call it after every record of the
 * packets before. */
void lane_interval(struct lane *l, uint64_t index, uint64_t start_ns, uint64_t end_ns);

/* Analyse what was queued now, and deliver what is ready (live input: records
 * should not wait for a full round). */
void lane_push(struct lane *l);

/* Report every connection still tracked (end = open), deliver everything,
 * and bring *st up to date. */
void lane_flush(struct lane *l);

#endif
