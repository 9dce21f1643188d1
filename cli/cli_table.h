/*
 * cli_table.h - the connection table on a terminal (cli/table.c): as wide as
 * the terminal, the columns that matter by default, the others on request
 * (--columns LIST, -v), long addresses shortened in the middle, every column
 * at a width fixed once so that header and rows line up for any address.
 *
 * Used when standard output is a terminal (or --columns / -v ask for it);
 * otherwise -o table is the library's table sink, unchanged.
 */
#ifndef TCPSHAKE_CLI_TABLE_H
#define TCPSHAKE_CLI_TABLE_H

#include <stdbool.h>
#include <stdio.h>

#include "tcpshake.h"

#define TABLE_MAX_COLUMNS 24

struct table_options {
    bool chosen; /* --columns or -v given */
    int cols[TABLE_MAX_COLUMNS];
    int n_cols;
};

struct table {
    FILE *out;
    bool color;
    bool begun;
    bool utf8; /* the ellipsis is one character (…), else three dots */
    bool tls_line; /* default columns: a connection with TLS gets a second line */
    unsigned term_width; /* 0: unknown */
    int cols[TABLE_MAX_COLUMNS];
    int width[TABLE_MAX_COLUMNS];
    int n_cols;
};

/* --columns LIST (names separated by commas); false on an unknown name, with *bad set to it. */
bool table_parse_columns(const char *list, struct table_options *o, char *bad, size_t bad_len);
/* -v: every column. */
void table_all_columns(struct table_options *o);
/* The column names for --help and errors: "id, time, client ..." */
void table_print_names(FILE *out);
/* The terminal's width: TIOCGWINSZ on fd, else $COLUMNS, else 0 (no limit). */
unsigned table_terminal_width(int fd);

/* Lay the columns out for `width` columns (0: no limit); events adds the event column. */
void table_start(struct table *t, const struct table_options *o, unsigned width, bool events,
                 bool color, FILE *out);
/* One row (the header first, once). False when the stream failed. */
bool table_write(struct table *t, enum tcpshake_event ev, const struct tcpshake_record *r);
/* The header, if no row came. False when the stream failed. */
bool table_finish(struct table *t);

/*
 * --by on a terminal: the library's table of health rows (text, len) laid out
 * again for `width` columns (0: no limit): every column as wide as its widest
 * value, the group shortened in the middle when needed (to 16 at least), the
 * least needed columns left out (the percentiles above p95 and the app ones
 * first); the bucket column only when bucket. Text of another shape is
 * written as it is. False when the stream failed.
 */
bool table_fit_by(const char *text, size_t len, unsigned width, bool bucket, FILE *out);

#endif
