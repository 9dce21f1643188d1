/*
 * agg.c - command-line wiring of the health rows (--by, --bucket) and the
 * detectors (--detect and its thresholds). See cli_agg.h.
 *
 * Output: with --by the health rows go to standard output, in the -o format,
 * instead of the per-connection records, once the input has ended; live with
 * --bucket, each bucket's rows as it closes (agg_set_live, agg_clock). With
 * --detect each alert is a JSON line on standard error as soon as it is
 * raised (whatever -o says), and the summary ends with an alerts section.
 */
#include "cli_agg.h"
#include "cli_habits.h"
#include "cli_table.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum { EXIT_USAGE = 2 };

void agg_options_default(struct agg_options *o)
{
    memset(o, 0, sizeof(*o));
    tcpshake_health_config_default(&o->health);
    tcpshake_detect_config_default(&o->detect_cfg);
}

void agg_usage(FILE *out)
{
    fputs("  --by server|port|subnet/N|client\n"
          "                          instead of one record per connection, one row of\n"
          "                          health per group: attempts, established %, failures\n"
          "                          by kind, SYN / SYN-ACK retransmission rates, latency\n"
          "                          p50/p95/p99/max (within 3.125%), in the -o format\n"
          "  --bucket DURATION       with --by: one row per group and time bucket (of the\n"
          "                          connection's first packet), e.g. 10s, 1m, 500ms, 1h;\n"
          "                          live (-i), each bucket's rows as soon as it ends\n"
          "                          plus the handshake timeout, not at the end\n"
          "  --detect                detect SYN floods, SYN cookies, backscatter, port\n"
          "                          scans, injected RSTs and repeated failures: alerts as\n"
          "                          JSON lines on standard error, listed in the summary\n"
          "  --detect-window D       window of the rate rules (default 60s)\n"
          "  --flood-min N           SYN flood: failed handshakes per window (default 200)\n"
          "  --flood-ratio R         SYN flood: failed / completed at least (default 1.0)\n"
          "  --scan-min N            port scan: distinct ports or hosts (default 20)\n"
          "  --fail-min N            repeated failures client -> service (default 10)\n",
          out);
}

static bool parse_count(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (s[0] < '0' || s[0] > '9') {
        return false;
    }
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1) {
        return false;
    }
    *out = v;
    return true;
}

static bool parse_by(const char *s, struct tcpshake_health_config *h)
{
    if (strncmp(s, "subnet/", 7) == 0) {
        uint64_t bits;
        if (!parse_count(s + 7, &bits) || bits > 128) {
            return false;
        }
        h->by = TCPSHAKE_HEALTH_BY_SUBNET;
        h->prefix_len = (unsigned)bits;
        return true;
    }
    for (int i = 0; i < TCPSHAKE_HEALTH_BY_COUNT; i++) {
        if (i != TCPSHAKE_HEALTH_BY_SUBNET && strcmp(s, tcpshake_health_by_name(i)) == 0) {
            h->by = (enum tcpshake_health_by)i;
            return true;
        }
    }
    return false;
}

static int bad(const char *opt, const char *arg, const char *want)
{
    fprintf(stderr, "tcpshake: %s %s: %s\n", opt, arg, want);
    return EXIT_USAGE;
}

static int parse_threshold(int ch, const char *arg, struct tcpshake_detect_config *d)
{
    uint64_t v;
    char *end;
    switch (ch) {
    case AGG_OPT_DETECT_WINDOW:
        if (!habits_duration(arg, &v) || v < 6000000u) {
            return bad("--detect-window", arg,
                       "want " HABITS_DURATION_WORDS ", of at least 6ms, e.g. 60s");
        }
        d->window_ns = v;
        return 0;
    case AGG_OPT_FLOOD_RATIO:
        errno = 0;
        d->flood_ratio = strtod(arg, &end);
        if (errno != 0 || *end != '\0' || end == arg || !(d->flood_ratio >= 0.0) ||
            d->flood_ratio > 1e9) {
            return bad("--flood-ratio", arg, "want a number of at least 0, e.g. 1.0");
        }
        return 0;
    default:
        if (!parse_count(arg, &v)) {
            const char *name = ch == AGG_OPT_FLOOD_MIN  ? "--flood-min"
                               : ch == AGG_OPT_SCAN_MIN ? "--scan-min"
                                                        : "--fail-min";
            return bad(name, arg, "want a whole number of at least 1");
        }
        *(ch == AGG_OPT_FLOOD_MIN  ? &d->flood_min
          : ch == AGG_OPT_SCAN_MIN ? &d->scan_min
                                   : &d->fail_min) = v;
        return 0;
    }
}

int agg_parse_option(int ch, const char *arg, struct agg_options *o)
{
    uint64_t v;
    switch (ch) {
    case AGG_OPT_BY:
        if (!parse_by(arg, &o->health)) {
            return bad("--by", arg, "want server, port, subnet/N (N up to 128) or client");
        }
        o->by = true;
        return 0;
    case AGG_OPT_BUCKET:
        if (!habits_duration(arg, &v) || v == 0) {
            return bad("--bucket", arg, "want " HABITS_DURATION_WORDS);
        }
        o->health.bucket_ns = v;
        o->bucket = true;
        return 0;
    case AGG_OPT_DETECT:
        o->detect = true;
        return 0;
    case AGG_OPT_DETECT_WINDOW:
    case AGG_OPT_FLOOD_MIN:
    case AGG_OPT_FLOOD_RATIO:
    case AGG_OPT_SCAN_MIN:
    case AGG_OPT_FAIL_MIN:
        o->detect_tuned = true;
        return parse_threshold(ch, arg, &o->detect_cfg);
    default:
        return -1;
    }
}

int agg_check_options(const struct agg_options *o)
{
    if (o->bucket && !o->by) {
        fputs("tcpshake: --bucket: needs --by\n", stderr);
        return EXIT_USAGE;
    }
    if (o->detect_tuned && !o->detect) {
        fputs("tcpshake: detector thresholds need --detect\n", stderr);
        return EXIT_USAGE;
    }
    return -1;
}

bool agg_replaces_records(const struct agg_options *o)
{
    return o->by;
}

static void on_alert(const struct tcpshake_alert *a, void *user)
{
    struct agg_run *run = user;
    if (run->around_alert != NULL) {
        run->around_alert(true, run->around_user);
    }
    tcpshake_report_add_alert(run->report, a);
    if (a->kind < TCPSHAKE_ALERT_COUNT) {
        run->alerts[a->kind]++;
    }
    if (tcpshake_alert_write_json(a, stderr) != TCPSHAKE_OK || fflush(stderr) != 0) {
        run->write_failed = true;
    }
    if (run->around_alert != NULL) {
        run->around_alert(false, run->around_user);
    }
}

bool agg_start(struct agg_run *run, const struct agg_options *o, struct tcpshake_report *report)
{
    memset(run, 0, sizeof(*run));
    run->report = report;
    if (o->by) {
        run->bucket_ns = o->health.bucket_ns;
        run->health = tcpshake_health_new(&o->health);
        if (run->health == NULL) {
            return false;
        }
    }
    if (o->detect) {
        run->detect = tcpshake_detect_new(&o->detect_cfg, on_alert, run);
        if (run->detect == NULL) {
            return false;
        }
    }
    return true;
}

void agg_set_alert_hook(struct agg_run *run, void (*fn)(bool before, void *user), void *user)
{
    run->around_alert = fn;
    run->around_user = user;
}

void agg_record(struct agg_run *run, const struct tcpshake_record *r)
{
    if (run->live_rows) {
        tcpshake_health_add_event(run->health, TCPSHAKE_EVENT_CLOSE, r);
    } else {
        tcpshake_health_add(run->health, r);
    }
    tcpshake_detect_add(run->detect, r);
}

bool agg_set_live(struct agg_run *run, uint64_t handshake_timeout_ns, enum tcpshake_format fmt)
{
    run->live_rows = run->health != NULL && run->bucket_ns > 0;
    run->handshake_timeout_ns = handshake_timeout_ns;
    run->format = fmt;
    return run->live_rows;
}

void agg_event(struct agg_run *run, const struct tcpshake_record *r)
{
    if (run->live_rows) {
        tcpshake_health_add_event(run->health, TCPSHAKE_EVENT_HANDSHAKE, r);
    }
}

bool agg_clock(struct agg_run *run, uint64_t clock_ns)
{
    if (!run->live_rows || clock_ns <= run->handshake_timeout_ns) {
        return true;
    }
    /* A handshake in a bucket that ended by then was decided before clock_ns:
     * its SYN is older than the handshake timeout, or it was answered. */
    errno = 0;
    return tcpshake_health_write_closed(run->health, clock_ns - run->handshake_timeout_ns, stdout,
                                        run->format) == TCPSHAKE_OK;
}

/* Live rows are written within two ticks of their bucket's end plus the timeout. */
#define LIVE_TICK_NS 100000000u

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b != 0) {
        uint64_t r = a % b;
        a = b;
        b = r;
    }
    return a;
}

void agg_ticker_start(struct agg_ticker *t, bool live_rows, uint64_t block_ns)
{
    memset(t, 0, sizeof(*t));
    t->block_ns = block_ns;
    if (!live_rows) {
        return;
    }
    /* A tick that divides the block keeps the blocks' bounds where they were. */
    t->tick_ns = block_ns != 0 ? gcd(block_ns, LIVE_TICK_NS) : LIVE_TICK_NS;
    if (t->tick_ns < 1000000u) {
        t->tick_ns = block_ns; /* an odd block: rows checked at its bounds only */
    }
}

bool agg_ticker_block(struct agg_ticker *t, uint64_t *start_ns, uint64_t *end_ns)
{
    if (t->tick_ns == 0 || t->tick_ns == t->block_ns) {
        return t->block_ns != 0;
    }
    if (t->block_ns == 0) {
        return false;
    }
    if (t->block_start_ns == 0) {
        t->block_start_ns = *start_ns; /* the first packet, as the library's first interval */
    }
    uint64_t elapsed = *end_ns - t->block_start_ns;
    if (elapsed < t->block_ns) {
        return false;
    }
    *start_ns = t->block_start_ns;
    *end_ns = t->block_start_ns + elapsed / t->block_ns * t->block_ns;
    t->block_start_ns = *end_ns;
    return true;
}

/* Rows the full table evicted leave connections out of every row: say so on
 * standard error even with -q (the rows alone cannot show it; CSV has no trailer). */
static void warn_evictions(const struct agg_run *run, const struct tcpshake_stats *st)
{
    uint64_t rows, conns;
    tcpshake_health_evictions(run->health, &rows, &conns);
    if (rows == 0) {
        return;
    }
    fprintf(stderr,
            "tcpshake: --by: the row table filled up: %" PRIu64 " rows evicted, %" PRIu64
            " of %" PRIu64 " connections are in no row (a longer --bucket or a coarser"
            " --by needs fewer rows)\n",
            rows, conns, st != NULL ? st->connections : 0);
}

/* Live rows: connections decided after their bucket's rows were written. */
static void warn_late(const struct agg_run *run)
{
    uint64_t late = tcpshake_health_late(run->health);
    if (late == 0) {
        return;
    }
    fprintf(stderr,
            "tcpshake: --by: %" PRIu64 " connections were decided after their bucket's rows"
            " were written, and are in no row\n",
            late);
}

void agg_set_terminal(struct agg_run *run, unsigned width, bool bucket)
{
    run->terminal = true;
    run->width = width;
    run->bucket = bucket;
}

/* The health rows as a table laid out for the terminal (cli/table.c). */
static bool write_fitted(const struct agg_run *run)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem == NULL) {
        return tcpshake_health_write(run->health, stdout, TCPSHAKE_FORMAT_TABLE) == TCPSHAKE_OK;
    }
    bool ok = tcpshake_health_write(run->health, mem, TCPSHAKE_FORMAT_TABLE) == TCPSHAKE_OK;
    ok = fclose(mem) == 0 && ok;
    ok = ok && table_fit_by(text, len, run->width, run->bucket, stdout) && fflush(stdout) == 0;
    free(text);
    return ok;
}

bool agg_finish(struct agg_run *run, enum tcpshake_format fmt, const struct tcpshake_stats *st)
{
    tcpshake_detect_finish(run->detect, st != NULL ? st->last_ns : 0);
    /* Live rows go out as their buckets close, in the library's columns: the
     * fitted table needs every row first. */
    if (run->health != NULL && fmt == TCPSHAKE_FORMAT_TABLE && run->terminal && !run->live_rows) {
        if (!write_fitted(run)) {
            return false;
        }
    } else if (run->health != NULL &&
               tcpshake_health_write(run->health, stdout, fmt) != TCPSHAKE_OK) {
        return false;
    }
    warn_evictions(run, st);
    warn_late(run);
    return !run->write_failed;
}

void agg_summary(const struct agg_run *run, FILE *out)
{
    if (run->detect != NULL) {
        tcpshake_detect_print(run->detect, out);
    }
}

void agg_free(struct agg_run *run)
{
    tcpshake_health_free(run->health);
    tcpshake_detect_free(run->detect);
    run->health = NULL;
    run->detect = NULL;
}
