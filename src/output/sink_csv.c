/*
 * sink_csv.c - comma-separated values: a header line, then one row per record.
 *
 * Columns are the fields of record_fields.h in its order, the side groups
 * flattened (client.port -> client_port), so JSON and CSV share one
 * vocabulary (the man page lists both); encode_csv.h writes each kind.
 * Lines end with LF, not the CRLF of RFC 4180, as Unix tools expect.
 * The tls group's columns (tls_*) are all empty when the record has no TLS.
 * With TCPSHAKE_SINK_EVENTS a first column "event" says handshake or close.
 */
#include "sink.h"

#include "encode_csv.h"
#include "record_fields.h"
#include "text.h"

/* A header column; `prefix` is "" or a group's "client_" / "server_". */
#define CSV_COLUMN(kind, name, ...) csv_put_column(c, prefix, name);

static void put_side_columns(struct text_cursor *c, const char *prefix)
{
    SIDE_FIELDS(CSV_COLUMN)
}

#define CSV_SIDE_COLUMNS(name, side) put_side_columns(c, name "_");

static void put_tls_columns(struct text_cursor *c, const char *prefix)
{
    TLS_FIELDS(CSV_COLUMN)
}

#define CSV_TLS_COLUMNS(name, present, tls) put_tls_columns(c, name "_");

/* Writes the line but its first byte, the separator before the first field. */
static void put_row(struct tcpshake_sink *s, struct text_cursor line)
{
    text_char(&line, '\n');
    line.start++;
    sink_put_text(s, &line);
}

struct csv_state {
    struct sink_silent silent; /* a silent side's state columns */
};

/* The header, and the columns of a silent side's state (side_is_silent). */
static void csv_begin(struct tcpshake_sink *s, const struct tcpshake_record *first)
{
    (void)first;
    const char *prefix = "";
    struct text_buf t;
    struct text_cursor line = text_start(&t);
    struct text_cursor *c = &line;
    if (s->flags & TCPSHAKE_SINK_EVENTS) {
        RECORD_EVENT_FIELD(CSV_COLUMN)
    }
    RECORD_FIELDS(CSV_COLUMN, CSV_SIDE_COLUMNS, CSV_TLS_COLUMNS)
    put_row(s, line);
    struct csv_state *st = (struct csv_state *)s->state;
    const struct tcpshake_side zero = { 0 }, *sd = &zero;
    line = text_start(&t);
    SIDE_STATE_FIELDS(CSV_FIELD)
    sink_silent_keep(&st->silent, &line, line.start);
}

/* By value, so that the cursor stays in registers (text.h). */
static struct text_cursor put_side(struct text_cursor line, const struct tcpshake_record *r,
                                   const struct tcpshake_side *sd, const struct sink_silent *silent)
{
    struct text_cursor *c = &line;
    SIDE_ADDR_FIELDS(CSV_FIELD)
    if (silent->len > 0 && side_is_silent(sd)) {
        text_append(c, silent->text, silent->len);
    } else {
        SIDE_STATE_FIELDS(CSV_FIELD)
    }
    return line;
}

#define CSV_SIDE(name, side) line = put_side(line, r, side, &st->silent);

/* Every column of an absent group is empty. */
#define CSV_EMPTY(kind, name, ...) text_char(c, ',');

static struct text_cursor put_tls(struct text_cursor line, bool present,
                                  const struct tcpshake_tls *tl)
{
    struct text_cursor *c = &line;
    if (present) {
        TLS_FIELDS(CSV_FIELD)
    } else {
        TLS_FIELDS(CSV_EMPTY)
    }
    return line;
}

#define CSV_TLS(name, present, tls) line = put_tls(line, present, tls);

static void csv_write(struct tcpshake_sink *s, const struct tcpshake_record *r)
{
    const struct csv_state *st = (const struct csv_state *)s->state;
    enum tcpshake_event ev = s->event;
    struct text_buf t;
    struct text_cursor line = text_start(&t);
    struct text_cursor *c = &line;
    sink_time_style(s, c);
    if (s->flags & TCPSHAKE_SINK_EVENTS) {
        RECORD_EVENT_FIELD(CSV_FIELD)
    }
    RECORD_FIELDS(CSV_FIELD, CSV_SIDE, CSV_TLS)
    put_row(s, line);
}

const struct sink_format sink_csv_format = {
    .name = "csv",
    .state_size = sizeof(struct csv_state),
    .begin = csv_begin,
    .write = csv_write,
    .finish = NULL,
};
