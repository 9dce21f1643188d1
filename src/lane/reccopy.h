/*
 * reccopy.h - copy a connection record over the previous one in the same
 * place, writing only the bytes either of them uses (shard.c's output ring).
 *
 * A struct tcpshake_record is about 2 KB, and most of it is usually zero: the
 * TLS object (600 bytes) of a connection that carried no TLS, the unused tails
 * of the p0f texts. Copied whole into a ring slot that another core reads,
 * every record moved all of its cache lines between the cores; in a SYN flood
 * that is one record per packet.
 *
 * What the slot's last record used is kept in a mark beside the ring, in the
 * writing thread's own memory, not read back from the slot: the reader's core
 * has those cache lines, and reading them first would fetch every one of them
 * twice (to read, then to own).
 *
 * Exact: afterwards dst equals src byte for byte, provided that in src the
 * bytes after each p0f text's NUL are zero and the TLS object is all zero when
 * its outcome is none (tracker_finish clears the record first, so its records
 * are), and that dst and its mark started zeroed and were written only by
 * reccopy_used. The unit test compares them.
 */
#ifndef TCPSHAKE_RECCOPY_H
#define TCPSHAKE_RECCOPY_H

#include <stdbool.h>
#include <stdint.h>

#include "tcpshake.h"

/* What a slot's record uses beyond its head. */
struct reccopy_mark {
    uint16_t text[4]; /* bytes before the NUL: client sig, label, server sig, label */
    bool tls;         /* a TLS object */
};

void reccopy_used(struct tcpshake_record *dst, struct reccopy_mark *mark,
                  const struct tcpshake_record *src);

#endif
