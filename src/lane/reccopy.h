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
 * Exact: afterwards dst equals src byte for byte, provided that in both the
 * bytes after each p0f text's NUL are zero and the TLS object is all zero when
 * its outcome is none. tracker_finish makes its records so (it clears the
 * record first), and a slot that starts zeroed and is written only by
 * reccopy_used stays so. The unit test compares them.
 */
#ifndef TCPSHAKE_RECCOPY_H
#define TCPSHAKE_RECCOPY_H

#include "tcpshake.h"

void reccopy_used(struct tcpshake_record *dst, const struct tcpshake_record *src);

#endif
