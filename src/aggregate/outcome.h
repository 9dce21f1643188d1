/*
 * outcome.h - what the aggregators read from a record's outcome, defined once
 * so that the summary, the health rows and the detectors count alike.
 */
#ifndef TCPSHAKE_OUTCOME_H
#define TCPSHAKE_OUTCOME_H

#include <stdbool.h>

#include "tcpshake.h"

/* A completed handshake: established, fast_open or simultaneous_open. */
static inline bool outcome_established(enum tcpshake_outcome o)
{
    return o == TCPSHAKE_OUTCOME_ESTABLISHED || o == TCPSHAKE_OUTCOME_FAST_OPEN ||
           o == TCPSHAKE_OUTCOME_SIMULTANEOUS_OPEN;
}

#endif
