/*
 * tlsflow.h - the TLS handshake at the start of a tracked connection: when
 * to look, the bounded reassembly of each side's first flights (reasm.h),
 * the observer's events (src/app/tls.h) turned into the record's tls object.
 *
 * Memory. A connection whose client stream does not start with a TLS
 * handshake record costs one byte of its hot state (conn.tls_state) and
 * nothing else. One that does takes two items from fixed pools made with
 * the engine:
 *   - a facts item (struct tlsflow_facts, under 1 KiB: what goes in the
 *     record), held until the connection's record is built, and
 *   - a work item (two TLS_SIDE_CAP buffers, the two observers and their
 *     reassembly state, about 35 KiB), held only until the handshake is
 *     decided: established with the first application data seen each way,
 *     or ended by an alert, a RST, a malformed or capped stream, or a snaplen
 *     cut (a FIN is noted, but the other side may still answer).
 * An engine has TLSFLOW_WORK items for handshakes in progress at once and
 * TLSFLOW_FACTS for connections with TLS facts (divided among the workers
 * as max_flows is). A connection that finds either pool empty is not
 * analysed (outcome UNTRACKED) and counted in tcpshake_stats.tls_untracked.
 */
#ifndef TCPSHAKE_TLSFLOW_H
#define TCPSHAKE_TLSFLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"
#include "reasm.h"
#include "tcpshake.h"

#define TLSFLOW_WORK  1024u  /* handshakes in progress at once (one engine) */
#define TLSFLOW_FACTS 65536u /* connections holding TLS facts at once (one engine) */

struct conn;

/* conn.tls_state */
enum tlsflow_state {
    TLSFLOW_UNSEEN,  /* the client's stream has not started yet */
    TLSFLOW_LOOKING, /* facts and work items held: the handshake is being read */
    TLSFLOW_DONE,    /* decided: the facts item is held until the record */
    TLSFLOW_NONE,    /* not TLS, or nothing to look at: never looked at again */
    TLSFLOW_NO_ROOM, /* started like TLS, but a pool was empty */
};

struct tlsflow_pool {
    struct slot_pool facts;
    struct slot_pool work;
    uint64_t *untracked; /* tcpshake_stats.tls_untracked */
};

/* Pools for at most n_work handshakes in progress and n_facts connections. */
bool tlsflow_pool_init(struct tlsflow_pool *p, uint32_t n_work, uint32_t n_facts,
                       uint64_t *untracked);
void tlsflow_pool_release(struct tlsflow_pool *p);

/* A segment of c (already tracked by tracker_segment), while c->tls_state is
 * UNSEEN or LOOKING. */
void tlsflow_segment(struct tlsflow_pool *p, struct conn *c, const struct tcp_view *v,
                     uint64_t ts_ns);

/* Fill out->tls from what was seen so far (out's other fields already set by
 * tracker_finish: its client, server and syn_ns are used). */
void tlsflow_finish(const struct tlsflow_pool *p, const struct conn *c,
                    struct tcpshake_record *out);

/* The connection leaves (or is re-initialised): give its items back. */
void tlsflow_release(struct tlsflow_pool *p, struct conn *c);

#endif
