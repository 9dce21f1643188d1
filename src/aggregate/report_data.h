/*
 * report_data.h - what the HTML report gathers (src/aggregate/report.c) and
 * its writer draws (src/output/report_html.c, report_svg.c). The public side
 * is tcpshake_report_* in tcpshake/report.h.
 */
#ifndef TCPSHAKE_REPORT_DATA_H
#define TCPSHAKE_REPORT_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "keytab.h"
#include "tcpshake.h"

/*
 * The timeline: REPORT_SLOTS slots of width_ns; slot i covers absolute slot
 * number base + i, i.e. [(base + i) * width_ns, (base + i + 1) * width_ns).
 * A time whose slot would not fit with those used so far (lo_used ..
 * hi_used) doubles the width, folding every per-slot array two slots into
 * one, until it fits; then the window moves (by whole slots) to hold it. So
 * no record is lost, the width stays within a factor of two of what the
 * span of first_ns needs, and at most two moves happen per doubling.
 */
#define REPORT_SLOTS      60
#define REPORT_FIRST_SLOT 1000u /* ns: the narrowest slot */

/* Outcome groups of the stacked chart. */
enum report_kind {
    REPORT_ESTABLISHED, /* established, fast_open, simultaneous_open */
    REPORT_REFUSED,
    REPORT_UNANSWERED,
    REPORT_ICMP,
    REPORT_HALF_OPEN,
    REPORT_RESET,
    REPORT_OTHER, /* no_syn, midstream */
    REPORT_KIND_COUNT
};

struct report_timeline {
    bool started;
    uint64_t width_ns;
    uint64_t base;             /* absolute slot number of slot 0 */
    uint64_t lo_used, hi_used; /* absolute slot numbers of the first and last used */
};

/* A server's connections and failures per timeline slot (the sparklines). */
struct report_series {
    uint32_t connections[REPORT_SLOTS];
    uint32_t failures[REPORT_SLOTS];
};

/* One scatter point. */
struct report_point {
    int64_t server_side_ns;
    int64_t client_side_ns;
    uint64_t id;
};

struct tcpshake_report {
    char title[201];
    tcpshake_capture_point_fn capture_point_fn;
    void *capture_point_user;

    uint64_t connections;
    uint64_t by_outcome[TCPSHAKE_OUTCOME_COUNT];
    struct hist server_side;
    struct hist client_side;
    struct hist handshake;
    struct hist tls_handshake; /* record.tls.handshake_ns, when the record has a TLS handshake */

    struct report_timeline tl;
    uint64_t slots[REPORT_KIND_COUNT][REPORT_SLOTS]; /* records by first_ns */

    struct report_point sample[TCPSHAKE_REPORT_SAMPLE];
    size_t n_sample;
    uint64_t n_timed; /* records timed on both sides: the reservoir's population */
    uint64_t rng;     /* xorshift64 state, fixed seed */

    struct tcpshake_health *health; /* by server, one bucket: the --by server rows */
    struct keytab series_index;     /* server key -> series[] */
    struct report_series *series;   /* REPORT_SERIES entries */
    uint64_t series_evictions;

    struct tcpshake_record slow[TCPSHAKE_REPORT_TOP]; /* slowest first (report_rank_ns) */
    size_t n_slow;
    /* Per failure kind (REPORT_REFUSED .. REPORT_RESET), smallest id first. */
    struct tcpshake_record failed[REPORT_KIND_COUNT][TCPSHAKE_REPORT_FAILED];
    size_t n_failed[REPORT_KIND_COUNT];
    uint64_t n_failures;

    const struct tcpshake_ladders *ladders; /* borrowed: the ladders, segment by segment */

    struct tcpshake_alert alerts[TCPSHAKE_REPORT_ALERTS];
    size_t n_alerts;
    uint64_t alerts_dropped;
};

#define REPORT_SERIES 4096 /* servers with a time series at most */

/* The key of a record's server in series_index (and of a health row's server). */
void report_server_key(uint8_t ip_version, const uint8_t addr[16], uint16_t port,
                       struct keytab_key *k);
/* The series of a health row's server, or NULL (evicted from the series table). */
const struct report_series *report_series_of(const struct tcpshake_report *r, uint8_t ip_version,
                                             const uint8_t addr[16], uint16_t port);
/* What "slowest" ranks by, as the ladder set does: the handshake (SYN -> ACK),
 * else the server side; TCPSHAKE_NO_TIME when neither was measured. */
int64_t report_rank_ns(const struct tcpshake_record *r);
/* Which group of the stacked chart an outcome is in. */
enum report_kind report_kind_of(enum tcpshake_outcome o);
/* Whether the kind is a failed handshake (REPORT_REFUSED .. REPORT_RESET). */
bool report_kind_failed(enum report_kind k);

#endif
