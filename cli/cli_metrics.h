/*
 * cli_metrics.h - Prometheus metrics (cli/metrics.c): --metrics-listen serves
 * /metrics over HTTP from a thread of its own, --metrics-file writes the same
 * text atomically for node_exporter's textfile collector.
 *
 * Threads: metrics_record, metrics_tick and metrics_finish run on the capture
 * thread (the record and interval callbacks). They update the counters and,
 * at most once a second, render the exposition into a buffer of their own and
 * publish it with a pointer swap under a mutex. The server thread only copies
 * the published text; a client can never make the capture thread wait for it.
 */
#ifndef TCPSHAKE_CLI_METRICS_H
#define TCPSHAKE_CLI_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli_options.h"
#include "tcpshake.h"

enum {
    METRICS_OPT_LISTEN = CLI_OPT_METRICS,
    METRICS_OPT_FILE,
};

#define METRICS_LONGOPTS                                                                           \
    { "metrics-listen", required_argument, NULL, METRICS_OPT_LISTEN },                             \
            { "metrics-file", required_argument, NULL, METRICS_OPT_FILE },

struct metrics_options {
    const char *listen; /* --metrics-listen ADDR:PORT, or NULL */
    const char *file;   /* --metrics-file PATH, or NULL */
};

struct metrics;

/* -1: ch is not a metrics option; 0: parsed; else an exit status (usage error). */
int metrics_parse_option(int ch, const char *arg, struct metrics_options *o);
/* The --help lines. */
void metrics_usage(FILE *out);
bool metrics_wanted(const struct metrics_options *o);

/* Binds the listening socket and starts the thread. file_every_s: seconds between
 * --metrics-file writes. NULL with a one-line reason in why. */
struct metrics *metrics_start(const struct metrics_options *o, uint64_t file_every_s, char *why,
                              size_t why_len);
/* --detect's alert counts, by kind (TCPSHAKE_ALERT_COUNT of them), read on the capture
 * thread when rendering; NULL when --detect is off. */
void metrics_set_alerts(struct metrics *m, const uint64_t *alerts);
/* One closed connection's record. stats may be NULL. */
void metrics_record(struct metrics *m, const struct tcpshake_record *r,
                    const struct tcpshake_stats *stats);
/* Time passed (an interval callback): publish fresh figures if a second has gone by. */
void metrics_tick(struct metrics *m, const struct tcpshake_stats *stats);
/* The end of the run: publish the final figures, stop the thread, write the file one
 * last time. false with the reason in why when the file could not be written. */
bool metrics_finish(struct metrics *m, const struct tcpshake_stats *stats, char *why,
                    size_t why_len);
void metrics_free(struct metrics *m);

#endif
