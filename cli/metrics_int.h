/*
 * metrics_int.h - what cli/metrics.c (registry, rendering) and
 * cli/metrics_http.c (the server thread, the file) share.
 */
#ifndef TCPSHAKE_CLI_METRICS_INT_H
#define TCPSHAKE_CLI_METRICS_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli_metrics.h"
#include "hist.h"

/* Bucket edges: METRICS_PER_POW2 of the HIST_SUB sub-bucket edges of each power
 * of two 2^METRICS_EXP_LO .. 2^(METRICS_EXP_HI - 1) ns (see metrics.c). */
#define METRICS_EXP_LO   10
#define METRICS_EXP_HI   HIST_MAX_EXP
#define METRICS_PER_POW2 4
#define METRICS_EDGES    ((METRICS_EXP_HI - METRICS_EXP_LO) * METRICS_PER_POW2)
_Static_assert(HIST_SUB % METRICS_PER_POW2 == 0, "edges must be edges of hist.h's buckets");

/* Servers with series of their own; the rest are "other". */
#define METRICS_SERVERS 16

struct mhist {
    uint64_t bucket[METRICS_EDGES + 1]; /* the last: above every edge (+Inf) */
    uint64_t count;
    uint64_t sum_ns;
};

struct mserver {
    uint8_t ip_version;
    uint16_t port;
    uint8_t addr[16];
    char name[56]; /* label value: "ip:port", "[ip6]:port", or "other" */
    uint64_t outcomes[TCPSHAKE_OUTCOME_COUNT];
    struct mhist server_side;
};

struct mbuf {
    char *data;
    size_t len, cap;
    bool failed; /* out of memory while rendering */
};

struct mclient; /* metrics_http.c */

struct metrics {
    /* Capture thread only. */
    uint64_t edges[METRICS_EDGES];
    struct mserver servers[METRICS_SERVERS];
    size_t n_servers;
    struct mserver other;
    struct mhist client_side, handshake, tls_handshake;
    const uint64_t *alerts; /* TCPSHAKE_ALERT_COUNT, or NULL */
    bool live;
    struct tcpshake_stats stats; /* the last seen (zeros before the first) */
    struct mbuf draft;     /* rendered here, then swapped with shown */
    uint64_t published_ms; /* CLOCK_MONOTONIC of the last render */
    /* Shared: shown under lock. */
    pthread_mutex_t lock;
    struct mbuf shown;
    /* Server thread (and metrics_finish after it stopped). */
    const char *file;
    uint64_t file_every_ms;
    char file_error[160]; /* the first failure writing the file; "" none */
    int listen_fd;
    int wake[2]; /* a pipe: a byte stops the thread */
    bool thread_running;
    pthread_t thread;
    struct mclient *clients;
};

/* Parse ADDR:PORT, [IPV6]:PORT or :PORT; fills *ss when not NULL. */
struct sockaddr_storage;
bool metrics_http_parse_addr(const char *arg, struct sockaddr_storage *ss);
/* Bind (when listen is not NULL) and start the thread (when listening or writing a file). */
bool metrics_http_start(struct metrics *m, const char *listen, char *why, size_t why_len);
void metrics_http_stop(struct metrics *m);
/* A malloc'd copy of the published text in *out (NULL: out of memory); its length. */
size_t metrics_copy_text(struct metrics *m, char **out);
/* Write the published text to m->file atomically; false with m->file_error set. */
bool metrics_write_file(struct metrics *m);

#endif
