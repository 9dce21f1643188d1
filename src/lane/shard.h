/*
 * shard.h - multi-core analysis: connections sharded over worker threads by
 * a symmetric flow hash, each worker owning an engine (flow table and
 * trackers), and the workers' records merged back on the caller's thread in
 * emission-key order, so the output is the one a single engine would give.
 *
 * The lane (lane.c) uses it when tcpshake_config.threads asks for more than
 * one thread: the caller's thread is one of them. Every function is called
 * from that thread; the hooks run on it too.
 */
#ifndef TCPSHAKE_SHARD_H
#define TCPSHAKE_SHARD_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"
#include "lane.h"
#include "tcpshake.h"

#define SHARD_MAX_WORKERS (LANE_MAX_THREADS - 1) /* and the caller's thread */

struct shard;

/* Start n workers (1 .. SHARD_MAX_WORKERS), each tracking cfg->max_flows / n
 * connections (at least LANE_MIN_FLOWS). NULL when memory runs out or a thread
 * cannot start. */
struct shard *shard_new(const struct tcpshake_config *cfg, unsigned n,
                        const struct lane_hooks *hooks);
/* Stop and join the workers, drop what was not delivered. NULL is a no-op. */
void shard_free(struct shard *s);

/* Report handshake events too. Call before the first packet. */
void shard_set_events(struct shard *s, bool on);
/* The p0f database every worker labels its records from (before the first packet). */
void shard_set_p0f_db(struct shard *s, const struct p0f_db *db);
/* What every worker's records carry (engine_set_views; before the first packet). */
void shard_set_views(struct shard *s, unsigned views);

/* Where to decode the next packet. */
struct packet_view *shard_slot(struct shard *s);
/* Where the open round keeps payload copies (carry.h); it always has room for
 * one more: shard_commit sends a round whose arena is nearly full. */
struct carry_arena *shard_arena(struct shard *s);
/* The packet in shard_slot(s) decoded: hand it over. index is its 1-based
 * position in the input, now_ns the clock at it (the latest time stamp so
 * far), ts_ns its own time stamp. A slot not committed is handed out again. */
void shard_commit(struct shard *s, uint64_t index, uint64_t now_ns, uint64_t ts_ns);

/* The clock moved to now_ns without a packet (tcpshake_tick): sweep at it. */
void shard_tick(struct shard *s, uint64_t now_ns);

/* The interval callback is due, ordered just before the packet at index
 * (index = packets read + 1 for a tick). */
void shard_interval(struct shard *s, uint64_t index, uint64_t start_ns, uint64_t end_ns);

/* Send what was queued to the workers now, and deliver what is ready. */
void shard_push(struct shard *s);

/* Make every worker report its open connections, then deliver everything. */
void shard_flush(struct shard *s);

/* Set connections, evictions, evictions_half_open and flows_peak in *st from
 * the workers' counters; flows_peak is the most connections tracked by all
 * workers at once, counted in the merge's key order (as one engine counts). */
void shard_stats(struct shard *s, struct tcpshake_stats *st);

/* How many times the one worker's engine changed threads: the reader took it
 * to run it itself (shard.c: most packets made a record), or gave it back. */
uint64_t shard_handovers(const struct shard *s);

#endif
