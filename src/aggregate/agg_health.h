/*
 * agg_health.h - per-group, per-time-bucket health rows (the public API is
 * tcpshake_health_* in tcpshake.h). Declared here: the row layout and an
 * ordered view of the rows, for the unit tests.
 */
#ifndef TCPSHAKE_AGG_HEALTH_H
#define TCPSHAKE_AGG_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "tcpshake.h"

struct health_row {
    uint64_t bucket;    /* first_ns / bucket_ns; 0 with one bucket */
    uint8_t ip_version; /* 0 when grouping by port */
    uint8_t addr[16];   /* server, subnet or client address; zero when by port */
    uint16_t port;      /* server port (by server, by port); 0 otherwise */
    uint64_t first_ns;  /* earliest first_ns counted */
    uint64_t connections;
    uint64_t established; /* established, fast_open or simultaneous_open */
    uint64_t refused;
    uint64_t unanswered;
    uint64_t icmp_rejected;
    uint64_t half_open;
    uint64_t reset; /* reset_in_handshake */
    uint64_t syns;  /* client SYNs, retransmissions included */
    uint64_t syn_retransmits;
    uint64_t synacks;
    uint64_t synack_retransmits;
    struct hist server_side; /* ns */
    struct hist client_side;
    struct hist app_latency;
    uint64_t tls_connections; /* records with a tls object */
    uint64_t tls_established;
    uint64_t tls_resumed;        /* established and resumed */
    uint64_t tls_alerts;         /* a plaintext alert ended the handshake */
    uint64_t tls_failed;         /* alert, reset, fin, no_server_hello or incomplete */
    struct hist tls_server_side; /* tls.server_side_ns, ns */
    struct hist tls_handshake;   /* tls.handshake_ns of established handshakes */
};

/*
 * Rows in output order (bucket, then group) into rows[0 .. cap-1]; returns
 * how many there are (may exceed cap: only cap are filled). Borrowed from h.
 */
size_t health_rows(const struct tcpshake_health *h, const struct health_row **rows, size_t cap);
/* Rows evicted from the full table, and the connections they had counted. */
void health_evictions(const struct tcpshake_health *h, uint64_t *rows, uint64_t *connections);

#endif
