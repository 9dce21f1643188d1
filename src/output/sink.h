/*
 * sink.h - what an output format implements, and the helpers formats share.
 *
 * A format is one file (sink_table.c, sink_jsonl.c ...) exporting one
 * `const struct sink_format`: a table of function pointers, as in zmap's
 * output modules. sink.c owns the public tcpshake_sink_* API, allocates the
 * sink with `state_size` bytes of zeroed per-format state after it, calls
 * begin once before the first record (or at finish when there was none),
 * write once per record, and finish once at the end.
 *
 * A format writes straight to s->out and never allocates per record; write
 * errors are noticed once per call through sink_status() (ferror).
 */
#ifndef TCPSHAKE_SINK_H
#define TCPSHAKE_SINK_H

#include "tcpshake.h"
#include "text.h"

#include <stddef.h>

struct sink_format {
    const char *name;  /* "table", "json" ... */
    size_t state_size; /* bytes of private state at tcpshake_sink.state */
    /* Header (may be NULL); first is the first record, or NULL at a finish without any. */
    void (*begin)(struct tcpshake_sink *s, const struct tcpshake_record *first);
    void (*write)(struct tcpshake_sink *s, const struct tcpshake_record *r);
    void (*finish)(struct tcpshake_sink *s); /* trailer; may be NULL */
};

/*
 * The date and time of day of the last second written as ISO-8601: records
 * come in time order, so most share it with the one before (the calendar
 * arithmetic was 4 % of a SYN flood's instructions).
 */
struct sink_iso_memo {
    uint64_t sec;  /* seconds since the epoch of text; UINT64_MAX: none yet */
    char text[20]; /* "YYYY-MM-DDTHH:MM:SS." */
};

struct tcpshake_sink {
    const struct sink_format *format;
    FILE *out;                             /* borrowed from the caller */
    unsigned flags;                        /* TCPSHAKE_SINK_* */
    bool begun;                            /* begin has run */
    bool finished;                         /* finish has run */
    bool failed;                           /* a record could not be formatted */
    uint64_t n_records;                    /* records written so far */
    uint64_t last_ns;                      /* latest record.last_ns seen, 0 before any */
    enum tcpshake_event event;             /* of the record being written (TCPSHAKE_SINK_EVENTS) */
    enum tcpshake_time_format time_format; /* of JSON's and CSV's time fields */
    uint64_t time_origin;                  /* TCPSHAKE_TIME_OFFSET counts from here */
    struct sink_iso_memo iso;              /* the records' "ts" (text_cursor.iso) */
    max_align_t state[];                   /* format's private state, state_size bytes, zeroed */
};

extern const struct sink_format sink_table_format;
extern const struct sink_format sink_jsonl_format;
extern const struct sink_format sink_csv_format;
extern const struct sink_format sink_zeek_format;
extern const struct sink_format sink_zeek_json_format;

/* Longest text of an address (IPv6 plus NUL, with room to spare). */
#define SINK_ADDR_LEN 64
/* Room for an ISO-8601 time with nanoseconds (31 bytes; more so gcc can prove no truncation). */
#define SINK_ISO_LEN 96

/*
 * The text a format writes for the state of a silent side (record_fields.h,
 * side_is_silent), made once by its begin from an all-zero side through the
 * format's own encoder; len 0 when it did not fit.
 */
#define SINK_SILENT_MAX 512
struct sink_silent {
    size_t len;
    char text[SINK_SILENT_MAX];
};
struct text_cursor;
/* Keep the text written since `from` on the line as m's. */
void sink_silent_keep(struct sink_silent *m, const struct text_cursor *line, const char *from);

/* OK, or ERR_WRITE once the stream has an error. */
int sink_status(const struct tcpshake_sink *s);
struct text_cursor;
/* Write a record's line (text.h) with one fwrite; if it overflowed, write
 * nothing and fail the sink: never half a record. */
void sink_put_text(struct tcpshake_sink *s, const struct text_cursor *line);
/* Address of one side as text (RFC 5952 for IPv6, no brackets). */
const char *sink_addr(const struct tcpshake_record *r, const struct tcpshake_side *side,
                      char buf[SINK_ADDR_LEN]);
/* The text of an address (as sink_ip) written at p, with room for SINK_ADDR_LEN
 * bytes; returns its end, where a NUL is. */
char *sink_put_ip(char *p, const uint8_t addr[16], uint8_t ip_version);
/* An address of either family held in 16 bytes (IPv4 in the first 4), as sink_addr writes it. */
const char *sink_ip(const uint8_t addr[16], uint8_t ip_version, char buf[SINK_ADDR_LEN]);
/*
 * A time ns (not 0) in c's time format other than TCPSHAKE_TIME_NS: seconds
 * with 9 decimals or ISO-8601 (in double quotes when quoted), or the signed
 * integer ns - c->time_origin. Out of line: the default, ns, never calls it; by
 * value, so that the caller's cursor can stay in registers.
 */
struct text_cursor sink_put_time(struct text_cursor c, uint64_t ns, bool quoted);
/* A record's line in s's time format, with s's memory of the last second.
 * Inline, as every cursor function a record's writer calls: a cursor whose
 * address escapes lives in memory, and each byte appended then reloads and
 * stores it. */
static inline void sink_time_style(struct tcpshake_sink *s, struct text_cursor *c)
{
    c->time_format = (unsigned char)s->time_format;
    c->time_origin = s->time_origin;
    c->iso = &s->iso;
}
/* ns since the epoch as ISO-8601 UTC with 9 decimals, e.g. 2024-05-01T12:00:00.000000001Z:
 * always SINK_ISO_TEXT bytes and a NUL (a uint64_t of ns ends in the year 2554). */
const char *sink_iso8601(uint64_t ns, char buf[SINK_ISO_LEN]);
#define SINK_ISO_TEXT 30
/* The same, through m (struct sink_iso_memo); m NULL: as sink_iso8601. */
const char *sink_iso8601_memo(struct sink_iso_memo *m, uint64_t ns, char buf[SINK_ISO_LEN]);
/*
 * The name of the next anomaly bit set in `bits` at or above *pos, advancing
 * *pos past it; NULL when there is none. Unknown bits are named "bit_N"
 * (using the caller's buf).
 */
const char *sink_next_anomaly(uint32_t bits, unsigned *pos, char buf[16]);

#endif
