/*
 * cli_agg.h - the command-line side of the aggregators (cli/agg.c): the
 * --by / --bucket health rows and the --detect detectors. Parsing and wiring
 * only; the analysis is in the library (tcpshake_health_*, tcpshake_detect_*).
 */
#ifndef TCPSHAKE_CLI_AGG_H
#define TCPSHAKE_CLI_AGG_H

#include <stdbool.h>
#include <stdio.h>

#include "cli_options.h"
#include "tcpshake.h"

enum {
    AGG_OPT_BY = CLI_OPT_AGG,
    AGG_OPT_BUCKET,
    AGG_OPT_DETECT,
    AGG_OPT_DETECT_WINDOW,
    AGG_OPT_FLOOD_MIN,
    AGG_OPT_FLOOD_RATIO,
    AGG_OPT_SCAN_MIN,
    AGG_OPT_FAIL_MIN,
};

/* Entries for the getopt_long table. */
#define AGG_LONGOPTS                                                                               \
    { "by", required_argument, NULL, AGG_OPT_BY },                                                 \
            { "bucket", required_argument, NULL, AGG_OPT_BUCKET },                                 \
            { "detect", no_argument, NULL, AGG_OPT_DETECT },                                       \
            { "detect-window", required_argument, NULL, AGG_OPT_DETECT_WINDOW },                   \
            { "flood-min", required_argument, NULL, AGG_OPT_FLOOD_MIN },                           \
            { "flood-ratio", required_argument, NULL, AGG_OPT_FLOOD_RATIO },                       \
            { "scan-min", required_argument, NULL, AGG_OPT_SCAN_MIN },                             \
            { "fail-min", required_argument, NULL, AGG_OPT_FAIL_MIN },

struct agg_options {
    bool by;     /* --by given: health rows instead of per-connection records */
    bool bucket; /* --bucket given */
    struct tcpshake_health_config health;
    bool detect;       /* --detect given */
    bool detect_tuned; /* a threshold flag given (needs --detect) */
    struct tcpshake_detect_config detect_cfg;
};

struct agg_run {
    struct tcpshake_health *health;
    struct tcpshake_detect *detect;
    bool write_failed; /* an alert line could not be written */
    void (*around_alert)(bool before, void *user); /* or NULL */
    void *around_user;
    bool terminal;  /* the --by table goes to a terminal: fit it (agg_set_terminal) */
    unsigned width; /* its columns; 0: no limit */
    bool bucket;    /* --bucket given: show the bucket column */
    struct tcpshake_report *report; /* --html: alerts go on its timeline too (borrowed) */
    uint64_t alerts[TCPSHAKE_ALERT_COUNT]; /* raised so far, by kind */
    /* Live rows (agg_set_live): each bucket's rows as it closes. */
    bool live_rows;
    uint64_t bucket_ns; /* --bucket; 0: none */
    uint64_t handshake_timeout_ns;
    enum tcpshake_format format;
};

/*
 * The clock of a live capture with live rows: the library's interval callback
 * comes every tick_ns, finer than the --stats-interval blocks (or the metrics'
 * second) it also drives; agg_ticker_block says when one of those is due.
 */
struct agg_ticker {
    uint64_t tick_ns;  /* the library's interval; 0: no live rows, blocks are the intervals */
    uint64_t block_ns; /* --stats-interval, the metrics' 1 s, or 0: none */
    uint64_t block_start_ns;
};

void agg_options_default(struct agg_options *o);
/* -1: ch is not an aggregator option; 0: parsed; else an exit status (usage error). */
int agg_parse_option(int ch, const char *arg, struct agg_options *o);
/* Combinations that make no sense: -1 when fine, else an exit status. */
int agg_check_options(const struct agg_options *o);
/* The --help lines. */
void agg_usage(FILE *out);
/* With --by the health rows replace the per-connection records. */
bool agg_replaces_records(const struct agg_options *o);

/* Make what the options ask for (alerts also go to report, which may be NULL);
 * false when memory runs out. */
bool agg_start(struct agg_run *run, const struct agg_options *o, struct tcpshake_report *report);
void agg_record(struct agg_run *run, const struct tcpshake_record *r);
/* fn(true, user) before an alert line is written to standard error, fn(false, user) after
 * (the progress line steps aside). */
void agg_set_alert_hook(struct agg_run *run, void (*fn)(bool before, void *user), void *user);
/* The --by table goes to a terminal `width` columns wide (0: unknown): lay it out to fit. */
void agg_set_terminal(struct agg_run *run, unsigned width, bool bucket);
/* The input ended: last alerts (standard error), health rows (stdout). False on a write failure. */
bool agg_finish(struct agg_run *run, enum tcpshake_format fmt, const struct tcpshake_stats *st);
/* The alerts section after the summary. */
void agg_summary(const struct agg_run *run, FILE *out);
void agg_free(struct agg_run *run);

/*
 * Live capture: with --by and --bucket, count each connection when its
 * handshake is decided (agg_event) and write a bucket's rows once the
 * capture clock has passed its end plus the handshake timeout (agg_clock).
 * True when that is on: the caller then needs the handshake events.
 */
bool agg_set_live(struct agg_run *run, uint64_t handshake_timeout_ns, enum tcpshake_format fmt);
/* A TCPSHAKE_EVENT_HANDSHAKE snapshot. */
void agg_event(struct agg_run *run, const struct tcpshake_record *r);
/* Every expiry before clock_ns has been reported: write the rows of the buckets
 * that are over. False when writing failed (errno says why). */
bool agg_clock(struct agg_run *run, uint64_t clock_ns);

/* The interval callback's period for live rows beside blocks of block_ns (0: none). */
void agg_ticker_start(struct agg_ticker *t, bool live_rows, uint64_t block_ns);
/* One interval [*start_ns, *end_ns) of tick_ns passed: true when a block is
 * due, then [*start_ns, *end_ns) is that block, as the library would have
 * called it with block_ns as its interval. */
bool agg_ticker_block(struct agg_ticker *t, uint64_t *start_ns, uint64_t *end_ns);

#endif
