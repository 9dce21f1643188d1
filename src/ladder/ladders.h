/*
 * ladders.h - the handle's side of a ladder set (tcpshake/ladder.h): the tap
 * the engine shows every tracked packet to, and the records that decide
 * which ladders are kept. Both run on the handle's thread.
 */
#ifndef TCPSHAKE_LADDERS_H
#define TCPSHAKE_LADDERS_H

#include "engine.h"
#include "tcpshake.h"

/* engine_tap_fn: one tracked segment or ICMP error; ctx is the ladder set.
 * false when no list can select the connection any more (its rows dropped). */
bool ladders_tap(void *ctx, const struct engine_tap_item *item);

/* A connection's close record: keep its ladder if selected, drop its rows. */
void ladders_record(struct tcpshake_ladders *ls, const struct tcpshake_record *rec);

#endif
