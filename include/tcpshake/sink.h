/*
 * tcpshake/sink.h - output formats and sinks that write records.
 *
 * Part of the public API: include <tcpshake.h>, not this file.
 */
#ifndef TCPSHAKE_PUBLIC_SINK_H
#define TCPSHAKE_PUBLIC_SINK_H

#include "tcpshake/record.h"
#include "tcpshake/status.h"
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Output formats: each writes records to a FILE * the caller owns. */
enum tcpshake_format {
    TCPSHAKE_FORMAT_TABLE,     /* aligned text, one line per connection */
    TCPSHAKE_FORMAT_JSON,      /* JSON lines, one object per connection */
    TCPSHAKE_FORMAT_CSV,       /* RFC 4180 with a header line */
    TCPSHAKE_FORMAT_ZEEK,      /* Zeek conn.log TSV with its header lines */
    TCPSHAKE_FORMAT_ZEEK_JSON, /* Zeek conn.log as Zeek's JSON writer: one object per line */
    TCPSHAKE_FORMAT_COUNT
};

enum tcpshake_sink_flags {
    TCPSHAKE_SINK_COLOR = 1u << 0,  /* ANSI colour (table only) */
    TCPSHAKE_SINK_EVENTS = 1u << 1, /* say which event each record is: a first "event"
                                       member (JSON), column (CSV) or column (table) */
};

/* How a sink writes the record's times (the *_ns fields of JSON and CSV). */
enum tcpshake_time_format {
    TCPSHAKE_TIME_NS,     /* integer ns since the epoch (the default) */
    TCPSHAKE_TIME_S,      /* seconds since the epoch with 9 decimals, a JSON string */
    TCPSHAKE_TIME_ISO,    /* ISO-8601 UTC with 9 decimals, a JSON string */
    TCPSHAKE_TIME_OFFSET, /* integer ns since the origin (tcpshake_sink_set_time_origin) */
    TCPSHAKE_TIME_FORMAT_COUNT
};

struct tcpshake_sink;

/* Make a sink writing to out (borrowed; must outlive the sink). NULL on OOM or bad format. */
/* The ANSI colour (SGR sequence) the table gives an outcome: green for an
 * established handshake, red for a refused or reset one, yellow for an
 * unanswered or half-open one; NULL for the rest. Front ends drawing
 * outcomes use it so that every picture colours them alike. */
TCPSHAKE_API const char *tcpshake_outcome_sgr(enum tcpshake_outcome o);

TCPSHAKE_API struct tcpshake_sink *tcpshake_sink_new(enum tcpshake_format fmt, FILE *out,
                                                     unsigned flags);
/* Write one record. Returns OK or ERR_WRITE. */
TCPSHAKE_API enum tcpshake_status tcpshake_sink_write(struct tcpshake_sink *s,
                                                      const struct tcpshake_record *r);
/* Write any trailer (Zeek's #close) and flush. Returns OK or ERR_WRITE. */
TCPSHAKE_API enum tcpshake_status tcpshake_sink_finish(struct tcpshake_sink *s);
TCPSHAKE_API void tcpshake_sink_free(struct tcpshake_sink *s);

/* Write one record as event ev: the same as tcpshake_sink_write, and with
 * TCPSHAKE_SINK_EVENTS the output says which event it is. OK or ERR_WRITE. */
TCPSHAKE_API enum tcpshake_status tcpshake_sink_write_event(struct tcpshake_sink *s,
                                                            enum tcpshake_event ev,
                                                            const struct tcpshake_record *r);

/* Set how later records' times are written (JSON and CSV; the other formats keep theirs).
 * ERR_ARG for an unknown format. */
TCPSHAKE_API enum tcpshake_status tcpshake_sink_set_time_format(struct tcpshake_sink *s,
                                                                enum tcpshake_time_format tf);
/* The time TCPSHAKE_TIME_OFFSET counts from, in ns since the epoch (e.g. the first packet's). */
TCPSHAKE_API void tcpshake_sink_set_time_origin(struct tcpshake_sink *s, uint64_t origin_ns);
/* "ns", "s", "iso", "offset"; "?" when unknown. */
TCPSHAKE_API const char *tcpshake_time_format_name(enum tcpshake_time_format tf);

#ifdef __cplusplus
}
#endif
#endif
