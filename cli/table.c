/*
 * table.c - the connection table on a terminal. See cli_table.h.
 *
 * Every column has a width fixed when the table starts; a value longer than
 * its column is shortened (an address in the middle, keeping the port; a name
 * at its end) with an ellipsis, so every row lines up with the header,
 * whatever the addresses. The layout for a width W: the default columns at
 * their widths, client and server sharing what is left (21 to 47 characters:
 * all of an IPv4 endpoint, up to all of an IPv6 one); when that does not fit,
 * the outcome column narrows to 13, then the least needed default columns go
 * (state, end, time, cli_ms) until the endpoints have 21; a terminal too
 * narrow even then gets endpoints of 16 and fewer columns dropped. Columns
 * asked for with --columns or -v are never dropped: the rows may then wrap.
 *
 * With the default columns, a connection that carried a TLS handshake gets a
 * second line under its row: version, TLS outcome, resumption, SNI, the TLS
 * server and client sides and JA4. It is known only when the record closes, so
 * it cannot be a column of a table whose header was written before the first
 * record, and a capture without TLS prints what it printed before.
 */
#include "cli_table.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define SGR_RESET "\033[0m"

enum column {
    COL_EVENT,
    COL_ID,
    COL_TIME,
    COL_CLIENT,
    COL_SERVER,
    COL_OUTCOME,
    COL_SERVER_SIDE,
    COL_CLIENT_SIDE,
    COL_HANDSHAKE,
    COL_RTX,
    COL_APP,
    COL_END,
    COL_BY,
    COL_DURATION,
    COL_PACKETS,
    COL_BYTES,
    COL_STATE,
    COL_HISTORY,
    COL_SNI,
    COL_TLS_SERVER_SIDE,
    COL_TLS_CLIENT_SIDE,
    COL_TLS_VERSION,
    COL_JA4,
    COL_COUNT
};

enum { EP_MIN = 16, EP_IPV4 = 21, EP_MAX = 47, OUTCOME_NARROW = 13, CELL_LEN = 128 };

static const struct {
    const char *name;   /* as the JSON field, where there is one */
    const char *header; /* also accepted by --columns */
    int width;
    bool right; /* numbers: aligned right */
} columns[COL_COUNT] = {
    [COL_EVENT] = { "event", "event", 9, false },
    [COL_ID] = { "id", "id", 6, true },
    [COL_TIME] = { "time", "time", 12, false },
    [COL_CLIENT] = { "client", "client", EP_IPV4, false },
    [COL_SERVER] = { "server", "server", EP_IPV4, false },
    [COL_OUTCOME] = { "outcome", "outcome", 18, false },
    [COL_SERVER_SIDE] = { "server_side", "srv_ms", 9, true },
    [COL_CLIENT_SIDE] = { "client_side", "cli_ms", 9, true },
    [COL_HANDSHAKE] = { "handshake", "tot_ms", 10, true },
    [COL_RTX] = { "rtx", "rtx", 5, true },
    [COL_APP] = { "app_latency", "app_ms", 9, true },
    [COL_END] = { "end", "end", 9, false },
    [COL_BY] = { "by", "by", 6, false },
    [COL_DURATION] = { "duration", "dur_ms", 12, true },
    [COL_PACKETS] = { "packets", "pkts", 9, true },
    [COL_BYTES] = { "bytes", "bytes", 13, true },
    [COL_STATE] = { "zeek_state", "state", 6, false },
    [COL_HISTORY] = { "zeek_history", "history", 12, false },
    /* TLS (the record's tls object; "-" without one): only when asked for, or with -v */
    [COL_SNI] = { "tls_sni", "sni", 30, false },
    [COL_TLS_SERVER_SIDE] = { "tls_server_side", "tls_ms", 9, true },
    [COL_TLS_CLIENT_SIDE] = { "tls_client_side", "tls_cli_ms", 10, true },
    [COL_TLS_VERSION] = { "tls_version", "tls_ver", 7, false },
    [COL_JA4] = { "tls_ja4", "ja4", 36, false },
};

/* The default columns, and the order in which they go when the terminal is too narrow. */
static const int default_cols[] = { COL_TIME,        COL_CLIENT,      COL_SERVER, COL_OUTCOME,
                                    COL_SERVER_SIDE, COL_CLIENT_SIDE, COL_END,    COL_STATE };
static const int drop_order[] = { COL_STATE, COL_END, COL_TIME, COL_CLIENT_SIDE };

static int column_of(const char *s, size_t len)
{
    for (int i = 0; i < COL_COUNT; i++) {
        if ((strlen(columns[i].name) == len && strncmp(s, columns[i].name, len) == 0) ||
            (strlen(columns[i].header) == len && strncmp(s, columns[i].header, len) == 0)) {
            return i;
        }
    }
    return -1;
}

bool table_parse_columns(const char *list, struct table_options *o, char *bad, size_t bad_len)
{
    o->n_cols = 0;
    o->chosen = true;
    for (const char *s = list;;) {
        size_t len = strcspn(s, ",");
        int c = column_of(s, len);
        if (c < 0 || o->n_cols == TABLE_MAX_COLUMNS) {
            snprintf(bad, bad_len, "%.*s", (int)len, s);
            return false;
        }
        o->cols[o->n_cols++] = c;
        if (s[len] == '\0') {
            return true;
        }
        s += len + 1;
    }
}

void table_all_columns(struct table_options *o)
{
    o->chosen = true;
    o->n_cols = 0;
    for (int c = COL_ID; c < COL_COUNT; c++) {
        o->cols[o->n_cols++] = c;
    }
}

void table_print_names(FILE *out)
{
    for (int c = 0; c < COL_COUNT; c++) {
        fprintf(out, "%s%s", c > 0 ? ", " : "", columns[c].name);
    }
}

unsigned table_terminal_width(int fd)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
        return ws.ws_col;
    }
    const char *env = getenv("COLUMNS");
    if (env != NULL) {
        char *end;
        unsigned long v = strtoul(env, &end, 10);
        if (*end == '\0' && v > 0 && v < 100000) {
            return (unsigned)v;
        }
    }
    return 0;
}

static bool utf8_locale(void)
{
    const char *names[] = { "LC_ALL", "LC_CTYPE", "LANG" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = getenv(names[i]);
        if (v != NULL && v[0] != '\0') {
            char low[64];
            size_t k = 0;
            for (; v[k] != '\0' && k < sizeof(low) - 1; k++) {
                low[k] = (char)tolower((unsigned char)v[k]);
            }
            low[k] = '\0';
            return strstr(low, "utf-8") != NULL || strstr(low, "utf8") != NULL;
        }
    }
    return false;
}

static int total_width(const struct table *t)
{
    int sum = t->n_cols > 0 ? t->n_cols - 1 : 0;
    for (int i = 0; i < t->n_cols; i++) {
        sum += t->width[i];
    }
    return sum;
}

/* Give the endpoints `each` characters each (and nothing else changes). */
static void set_endpoints(struct table *t, int each)
{
    for (int i = 0; i < t->n_cols; i++) {
        if (t->cols[i] == COL_CLIENT || t->cols[i] == COL_SERVER) {
            t->width[i] = each;
        }
    }
}

static int n_endpoints(const struct table *t)
{
    int n = 0;
    for (int i = 0; i < t->n_cols; i++) {
        n += t->cols[i] == COL_CLIENT || t->cols[i] == COL_SERVER;
    }
    return n;
}

static void set_outcome(struct table *t, int w)
{
    for (int i = 0; i < t->n_cols; i++) {
        if (t->cols[i] == COL_OUTCOME) {
            t->width[i] = w;
        }
    }
}

static void drop(struct table *t, int col)
{
    for (int i = 0; i < t->n_cols; i++) {
        if (t->cols[i] == col) {
            memmove(&t->cols[i], &t->cols[i + 1], (size_t)(t->n_cols - i - 1) * sizeof(int));
            memmove(&t->width[i], &t->width[i + 1], (size_t)(t->n_cols - i - 1) * sizeof(int));
            t->n_cols--;
            return;
        }
    }
}

/* The endpoints' width for what is left of `width`, at least min; 0 when below min. */
static int endpoint_room(struct table *t, unsigned width, int min)
{
    int n = n_endpoints(t);
    if (n == 0) {
        return total_width(t) <= (int)width ? min : 0;
    }
    set_endpoints(t, 0);
    int each = ((int)width - total_width(t)) / n;
    if (each < min) {
        return 0;
    }
    return each > EP_MAX ? EP_MAX : each;
}

/* Endpoints of at least min characters each, the outcome narrowed and (defaults only)
 * columns dropped as needed. False when even the fewest columns leave less than min. */
static bool fit(struct table *t, unsigned width, bool may_drop, int min)
{
    for (size_t d = 0;; d++) {
        set_outcome(t, columns[COL_OUTCOME].width);
        int each = endpoint_room(t, width, min);
        if (each == 0) {
            set_outcome(t, OUTCOME_NARROW);
            each = endpoint_room(t, width, min);
        }
        if (each != 0) {
            set_endpoints(t, each);
            return true;
        }
        if (!may_drop || d == sizeof(drop_order) / sizeof(drop_order[0])) {
            return false;
        }
        drop(t, drop_order[d]);
    }
}

/* Fit the columns in width (see the top of the file): whole IPv4 endpoints if dropping
 * columns allows, else shortened ones with fewer columns dropped. */
static void lay_out(struct table *t, unsigned width, bool may_drop)
{
    if (width == 0) {
        set_endpoints(t, EP_MAX);
        return;
    }
    struct table all = *t;
    if (fit(t, width, may_drop, EP_IPV4)) {
        return;
    }
    *t = all;
    if (!fit(t, width, may_drop, EP_MIN)) {
        set_endpoints(t, EP_MIN); /* too narrow for even the fewest: the rows wrap */
    }
}

void table_start(struct table *t, const struct table_options *o, unsigned width, bool events,
                 bool color, FILE *out)
{
    memset(t, 0, sizeof(*t));
    t->out = out;
    t->color = color;
    t->utf8 = utf8_locale();
    if (events) {
        t->cols[t->n_cols++] = COL_EVENT;
    }
    const int *list = o->chosen ? o->cols : default_cols;
    int n = o->chosen ? o->n_cols : (int)(sizeof(default_cols) / sizeof(default_cols[0]));
    for (int i = 0; i < n && t->n_cols < TABLE_MAX_COLUMNS; i++) {
        if (list[i] != COL_EVENT || !events) {
            t->cols[t->n_cols++] = list[i];
        }
    }
    for (int i = 0; i < t->n_cols; i++) {
        t->width[i] = columns[t->cols[i]].width;
    }
    lay_out(t, width, !o->chosen);
    t->tls_line = !o->chosen;
    t->term_width = width;
}

/* ------------------------------------------------------------------ cells */

/* Columns a UTF-8 string takes (one per character; the ellipsis is one). */
static int display_len(const char *s)
{
    int n = 0;
    for (; *s != '\0'; s++) {
        n += ((unsigned char)*s & 0xc0) != 0x80;
    }
    return n;
}

/* s cut to w columns: the first `head` characters, the ellipsis, then the last ones. */
static void shorten(const struct table *t, char *s, int w, int head_of_budget)
{
    const char *dots = t->utf8 ? "\xe2\x80\xa6" : "...";
    int dots_w = t->utf8 ? 1 : 3;
    int len = (int)strlen(s); /* ASCII: addresses, names */
    if (len <= w) {
        return;
    }
    int budget = w - dots_w;
    if (budget < 0) {
        budget = 0;
    }
    int head = head_of_budget < budget ? head_of_budget : budget;
    int tail = budget - head;
    char out[CELL_LEN];
    snprintf(out, sizeof(out), "%.*s%s%s", head, s, dots, s + len - tail);
    snprintf(s, CELL_LEN, "%s", out);
}

/* An endpoint cut in the middle of its address, keeping the port. */
static void endpoint(const struct table *t, char *buf, const struct tcpshake_record *r,
                     const struct tcpshake_side *sd, int w)
{
    char addr[64];
    tcpshake_addr_str(sd, r->ip_version, addr, sizeof(addr));
    snprintf(buf, CELL_LEN, r->ip_version == 6 ? "[%s]:%u" : "%s:%u", addr, (unsigned)sd->port);
    int len = (int)strlen(buf);
    if (len <= w) {
        return;
    }
    int port_len = len - (int)(strrchr(buf, ':') - buf) + (r->ip_version == 6); /* "]:443" */
    int dots_w = t->utf8 ? 1 : 3;
    int addr_budget = w - port_len - dots_w;
    if (addr_budget < 2) {
        shorten(t, buf, w, w); /* no room for the port: the start of the address */
        return;
    }
    /* head + ellipsis + tail of the address, then the port: shorten() keeps a tail that long. */
    shorten(t, buf, w, (addr_budget + 1) / 2);
}

static void fmt_ms(char *buf, int64_t ns)
{
    if (ns == TCPSHAKE_NO_TIME) {
        snprintf(buf, CELL_LEN, "-");
        return;
    }
    uint64_t mag = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    uint64_t us = mag / 1000u + (mag % 1000u >= 500u ? 1 : 0);
    snprintf(buf, CELL_LEN, "%s%" PRIu64 ".%03" PRIu64, ns < 0 ? "-" : "", us / 1000u, us % 1000u);
}

/* The time of the SYN (of the first packet without one), HH:MM:SS.mmm UTC. */
static void fmt_time(char *buf, const struct tcpshake_record *r)
{
    uint64_t ns = r->syn_ns != 0 ? r->syn_ns : r->first_ns;
    time_t sec = (time_t)(ns / 1000000000u);
    struct tm tm;
    if (gmtime_r(&sec, &tm) == NULL) {
        snprintf(buf, CELL_LEN, "-");
        return;
    }
    snprintf(buf, CELL_LEN, "%02d:%02d:%02d.%03u", tm.tm_hour, tm.tm_min, tm.tm_sec,
             (unsigned)(ns / 1000000u % 1000u));
}

static const char *end_by(const struct tcpshake_record *r)
{
    enum tcpshake_who who = TCPSHAKE_WHO_NONE;
    if (r->end == TCPSHAKE_END_FIN) {
        who = r->first_fin;
    } else if (r->end == TCPSHAKE_END_RST) {
        who = r->rst_by;
    }
    return who == TCPSHAKE_WHO_NONE ? "-" : tcpshake_who_name(who);
}

static void text_field(char *buf, const char *chars, size_t max)
{
    snprintf(buf, CELL_LEN, "%.*s", (int)strnlen(chars, max), chars);
    if (buf[0] == '\0') {
        snprintf(buf, CELL_LEN, "-");
    }
}

/* A negotiated TLS version as the record names it: TLS1.3, ..., 0x7f17; "-": none. */
static void tls_version(char *buf, uint16_t v)
{
    static const char *const names[] = { "SSL3.0", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3" };
    if (v == 0) {
        snprintf(buf, CELL_LEN, "-");
    } else if (v >= 0x0300 && v <= 0x0304) {
        snprintf(buf, CELL_LEN, "%s", names[v - 0x0300]);
    } else if (v == 0x0002) {
        snprintf(buf, CELL_LEN, "SSL2.0");
    } else {
        snprintf(buf, CELL_LEN, "0x%04x", (unsigned)v);
    }
}

/* A TLS cell: "-" when the connection had no TLS handshake. */
static void tls_cell(int col, const struct tcpshake_tls *tl, char *buf)
{
    if (tl->outcome == TCPSHAKE_TLS_NONE) {
        snprintf(buf, CELL_LEN, "-");
        return;
    }
    switch (col) {
    case COL_SNI:
        text_field(buf, tl->sni, sizeof(tl->sni));
        break;
    case COL_TLS_SERVER_SIDE:
        fmt_ms(buf, tl->server_side_ns);
        break;
    case COL_TLS_CLIENT_SIDE:
        fmt_ms(buf, tl->client_side_ns);
        break;
    case COL_TLS_VERSION:
        tls_version(buf, tl->version);
        break;
    default:
        text_field(buf, tl->ja4, sizeof(tl->ja4));
        break;
    }
}

static void cell(const struct table *t, int col, int w, enum tcpshake_event ev,
                 const struct tcpshake_record *r, char *buf)
{
    switch (col) {
    case COL_EVENT:
        snprintf(buf, CELL_LEN, "%s", tcpshake_event_name(ev));
        break;
    case COL_ID:
        snprintf(buf, CELL_LEN, "%" PRIu64, r->id);
        break;
    case COL_TIME:
        fmt_time(buf, r);
        break;
    case COL_CLIENT:
        endpoint(t, buf, r, &r->client, w);
        return;
    case COL_SERVER:
        endpoint(t, buf, r, &r->server, w);
        return;
    case COL_OUTCOME:
        snprintf(buf, CELL_LEN, "%s", tcpshake_outcome_name(r->outcome));
        break;
    case COL_SERVER_SIDE:
        fmt_ms(buf, r->server_side_ns);
        break;
    case COL_CLIENT_SIDE:
        fmt_ms(buf, r->client_side_ns);
        break;
    case COL_HANDSHAKE: {
        /* '~': a SYN or SYN-ACK was retransmitted, Karn's rule made the figure ambiguous. */
        bool ambiguous = r->rtt_rule != TCPSHAKE_RTT_NONE && r->rtt_rule != TCPSHAKE_RTT_EXACT;
        fmt_ms(buf, r->handshake_ns);
        strcat(buf, ambiguous ? "~" : " ");
        break;
    }
    case COL_RTX:
        snprintf(buf, CELL_LEN, "%" PRIu32 "/%" PRIu32, r->n_syn > 0 ? r->n_syn - 1 : 0,
                 r->n_synack > 0 ? r->n_synack - 1 : 0);
        break;
    case COL_APP:
        fmt_ms(buf, r->app_latency_ns);
        break;
    case COL_END:
        snprintf(buf, CELL_LEN, "%s", tcpshake_end_name(r->end));
        break;
    case COL_BY:
        snprintf(buf, CELL_LEN, "%s", end_by(r));
        break;
    case COL_DURATION:
        fmt_ms(buf, r->duration_ns);
        break;
    case COL_PACKETS:
        snprintf(buf, CELL_LEN, "%" PRIu64 "/%" PRIu64, r->client.packets, r->server.packets);
        break;
    case COL_BYTES:
        snprintf(buf, CELL_LEN, "%" PRIu64 "/%" PRIu64, r->client.payload_bytes,
                 r->server.payload_bytes);
        break;
    case COL_STATE:
        text_field(buf, r->zeek_state, sizeof(r->zeek_state));
        break;
    case COL_HISTORY:
        text_field(buf, r->zeek_history, sizeof(r->zeek_history));
        break;
    default:
        tls_cell(col, &r->tls, buf);
        break;
    }
    if (!columns[col].right) {
        shorten(t, buf, w, w - (t->utf8 ? 1 : 3)); /* a number is never cut: it overflows */
    }
}

/* One cell padded to its width; the last one of a line is not padded on the right. */
static void put_cell(const struct table *t, int i, const char *text, const char *color)
{
    int pad = t->width[i] - display_len(text);
    bool last = i == t->n_cols - 1;
    if (pad < 0) {
        pad = 0;
    }
    if (i > 0) {
        fputc(' ', t->out);
    }
    if (columns[t->cols[i]].right) {
        fprintf(t->out, "%*s", pad, "");
    }
    fprintf(t->out, "%s%s%s", color != NULL ? color : "", text, color != NULL ? SGR_RESET : "");
    if (!columns[t->cols[i]].right && !last) {
        fprintf(t->out, "%*s", pad, "");
    }
}

static void header(struct table *t)
{
    for (int i = 0; i < t->n_cols; i++) {
        /* tot_ms: over the figure, not over its '~'. */
        put_cell(t, i, t->cols[i] == COL_HANDSHAKE ? "tot_ms " : columns[t->cols[i]].header, NULL);
    }
    fputc('\n', t->out);
    t->begun = true;
}

/* Append to a line being built; the line is cut at its end when full (it is not). */
__attribute__((format(printf, 3, 4))) static void add(char *line, size_t cap, const char *fmt, ...)
{
    size_t len = strlen(line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + len, cap - len, fmt, ap);
    va_end(ap);
}

/* The TLS line under a row (see the top of the file), in words:
 *   "tls TLS1.3 established resumed=psk sni=example.com tls_ms=12.345 tls_cli_ms=0.321 ja4=..."
 * (an alert: "alert=40(fatal) by=server", its description's number), indented by two;
 * on a terminal too narrow for it, it goes on over lines indented by six. */
static void tls_line(const struct table *t, const struct tcpshake_tls *tl)
{
    static const char *const resumptions[] = { "", "session_id", "ticket", "psk" };
    char line[512] = "", buf[CELL_LEN];
    tls_version(buf, tl->version);
    add(line, sizeof(line), "tls %s %s", buf, tcpshake_tls_outcome_name(tl->outcome));
    if (tl->alert_by != TCPSHAKE_WHO_NONE) {
        add(line, sizeof(line), " alert=%u%s by=%s", (unsigned)tl->alert_desc,
            tl->alert_level == 2 ? "(fatal)" : "", tcpshake_who_name(tl->alert_by));
    }
    if (tl->hrr) {
        add(line, sizeof(line), " hrr");
    }
    if (tl->resumed && tl->resumption < sizeof(resumptions) / sizeof(resumptions[0])) {
        add(line, sizeof(line), " resumed=%s", resumptions[tl->resumption]);
    }
    if (tl->sni[0] != '\0') {
        add(line, sizeof(line), " sni=%s", tl->sni);
    }
    if (tl->server_side_ns != TCPSHAKE_NO_TIME) {
        fmt_ms(buf, tl->server_side_ns);
        add(line, sizeof(line), " tls_ms=%s", buf);
    }
    if (tl->client_side_ns != TCPSHAKE_NO_TIME) {
        fmt_ms(buf, tl->client_side_ns);
        add(line, sizeof(line), " tls_cli_ms=%s", buf);
    }
    if (tl->ja4[0] != '\0') {
        add(line, sizeof(line), " ja4=%s", tl->ja4);
    }
    /* Word by word: a word that would pass the terminal's edge starts a new line. */
    int col = 2;
    fputs("  ", t->out);
    for (char *w = strtok(line, " "); w != NULL; w = strtok(NULL, " ")) {
        int len = (int)strlen(w);
        if (col > 2 && t->term_width > 0 && col + 1 + len > (int)t->term_width) {
            fputs("\n      ", t->out);
            col = 6;
        } else if (col > 2) {
            fputc(' ', t->out);
            col++;
        }
        fputs(w, t->out);
        col += len;
    }
    fputc('\n', t->out);
}

bool table_write(struct table *t, enum tcpshake_event ev, const struct tcpshake_record *r)
{
    if (!t->begun) {
        header(t);
    }
    char buf[CELL_LEN];
    for (int i = 0; i < t->n_cols; i++) {
        cell(t, t->cols[i], t->width[i], ev, r, buf);
        const char *color =
                t->color && t->cols[i] == COL_OUTCOME ? tcpshake_outcome_sgr(r->outcome) : NULL;
        put_cell(t, i, buf, color);
    }
    fputc('\n', t->out);
    if (t->tls_line && ev == TCPSHAKE_EVENT_CLOSE && r->tls.outcome != TCPSHAKE_TLS_NONE) {
        tls_line(t, &r->tls);
    }
    return ferror(t->out) == 0;
}

bool table_finish(struct table *t)
{
    if (!t->begun) {
        header(t);
    }
    return ferror(t->out) == 0;
}

/* ------------------------------------------------------- --by on a terminal */

#define BY_MAX_COLS  32
#define BY_GROUP_MIN 16

/* The --by columns that stay longest when the terminal is narrow, first to last
 * (group, conns and, with --bucket, bucket always stay); one not named here goes first. */
static const char *const by_keep[] = {
    "est%",   "s_p50", "c_p50", "refused", "unansw", "s_p95", "c_p95", "icmp",  "half",  "reset",
    "syn_r%", "a_p50", "s_max", "c_max",   "sa_r%",  "s_p99", "c_p99", "a_p95", "a_max", "a_p99",
};

struct by_text {
    char *lines[3]; /* title, header, trailer: borrowed from the text */
    char **rows;    /* each row's line */
    size_t n_rows;
    char *head[BY_MAX_COLS];
    int n_cols;
    int width[BY_MAX_COLS];
    bool shown[BY_MAX_COLS];
};

static int by_rank(const char *name)
{
    if (strcmp(name, "group") == 0 || strcmp(name, "conns") == 0 || strcmp(name, "bucket") == 0) {
        return 1000;
    }
    for (size_t i = 0; i < sizeof(by_keep) / sizeof(by_keep[0]); i++) {
        if (strcmp(name, by_keep[i]) == 0) {
            return (int)(sizeof(by_keep) / sizeof(by_keep[0]) - i);
        }
    }
    return 0;
}

/* Split a line into at most max words (in place); the number of words. */
static int words(char *line, char **out, int max)
{
    int n = 0;
    for (char *save = NULL, *w = strtok_r(line, " ", &save); w != NULL;
         w = strtok_r(NULL, " ", &save)) {
        if (n == max) {
            return max + 1;
        }
        out[n++] = w;
    }
    return n;
}

static int by_total(const struct by_text *b)
{
    int sum = -1;
    for (int i = 0; i < b->n_cols; i++) {
        sum += b->shown[i] ? b->width[i] + 1 : 0;
    }
    return sum;
}

/* Drop the least needed columns until the table fits (the group at BY_GROUP_MIN at least). */
static void by_lay_out(struct by_text *b, unsigned width, int group)
{
    for (;;) {
        int over = by_total(b) - (int)width;
        if (over <= 0) {
            return;
        }
        if (b->width[group] - over >= BY_GROUP_MIN) {
            b->width[group] -= over;
            return;
        }
        int victim = -1;
        for (int i = 0; i < b->n_cols; i++) {
            if (b->shown[i] && by_rank(b->head[i]) < 1000 &&
                (victim < 0 || by_rank(b->head[i]) < by_rank(b->head[victim]))) {
                victim = i;
            }
        }
        if (victim < 0) {
            b->width[group] = BY_GROUP_MIN < b->width[group] ? BY_GROUP_MIN : b->width[group];
            return; /* group and conns only: the rows wrap */
        }
        b->shown[victim] = false;
    }
}

static void by_line(const struct table *t, const struct by_text *b, char **cells)
{
    bool first = true;
    for (int i = 0; i < b->n_cols; i++) {
        if (!b->shown[i]) {
            continue;
        }
        char cell[CELL_LEN];
        snprintf(cell, sizeof(cell), "%s", cells[i]);
        bool text = strcmp(b->head[i], "group") == 0 || strcmp(b->head[i], "bucket") == 0;
        if (text) {
            int budget = b->width[i] - (t->utf8 ? 1 : 3);
            shorten(t, cell, b->width[i], (budget + 1) / 2);
        }
        int pad = b->width[i] - display_len(cell);
        pad = pad < 0 ? 0 : pad;
        fprintf(t->out, "%s%*s%s", first ? "" : " ", text ? 0 : pad, "", cell);
        if (text && i + 1 < b->n_cols) {
            fprintf(t->out, "%*s", pad, "");
        }
        first = false;
    }
    fputc('\n', t->out);
}

/* Parse the library's --by table: title, header, rows, trailer. False: not that shape. */
static bool by_parse(char *text, struct by_text *b)
{
    size_t n_lines = 0;
    for (char *p = text; *p != '\0'; p++) {
        n_lines += *p == '\n';
    }
    if (n_lines < 3) {
        return false;
    }
    b->rows = calloc(n_lines, sizeof(*b->rows));
    if (b->rows == NULL) {
        return false;
    }
    char *save = NULL;
    b->lines[0] = strtok_r(text, "\n", &save);
    b->lines[1] = strtok_r(NULL, "\n", &save);
    for (char *l = strtok_r(NULL, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
        b->rows[b->n_rows++] = l;
    }
    if (b->lines[1] == NULL || b->n_rows == 0) {
        return false;
    }
    b->lines[2] = b->rows[--b->n_rows];
    b->n_cols = words(b->lines[1], b->head, BY_MAX_COLS);
    if (b->n_cols > BY_MAX_COLS) {
        return false;
    }
    for (int i = 0; i < b->n_cols; i++) {
        b->width[i] = (int)strlen(b->head[i]);
        b->shown[i] = true;
    }
    return true;
}

bool table_fit_by(const char *text, size_t len, unsigned width, bool bucket, FILE *out)
{
    struct table t = { .out = out, .utf8 = utf8_locale() };
    struct by_text b;
    memset(&b, 0, sizeof(b));
    char *copy = malloc(len + 1);
    char **cells = NULL; /* row r's column i at [r * n_cols + i] */
    bool shaped = copy != NULL;
    if (shaped) {
        memcpy(copy, text, len);
        copy[len] = '\0';
        shaped = by_parse(copy, &b);
    }
    if (shaped) {
        cells = calloc(b.n_rows * (size_t)b.n_cols + 1, sizeof(*cells));
        shaped = cells != NULL;
    }
    for (size_t r = 0; shaped && r < b.n_rows; r++) {
        char **row = cells + r * (size_t)b.n_cols;
        shaped = words(b.rows[r], row, b.n_cols) == b.n_cols;
        for (int i = 0; shaped && i < b.n_cols; i++) {
            int w = (int)strlen(row[i]);
            b.width[i] = w > b.width[i] ? w : b.width[i];
        }
    }
    int group = -1;
    for (int i = 0; shaped && i < b.n_cols; i++) {
        group = strcmp(b.head[i], "group") == 0 ? i : group;
        if (strcmp(b.head[i], "bucket") == 0) {
            b.shown[i] = bucket;
        }
    }
    if (!shaped || group < 0) {
        fwrite(text, 1, len, out); /* not the shape expected: as the library wrote it */
    } else {
        if (width > 0) {
            by_lay_out(&b, width, group);
        }
        fprintf(out, "%s\n", b.lines[0]);
        by_line(&t, &b, b.head);
        for (size_t r = 0; r < b.n_rows; r++) {
            by_line(&t, &b, cells + r * (size_t)b.n_cols);
        }
        fprintf(out, "%s\n", b.lines[2]);
    }
    free(cells);
    free(b.rows);
    free(copy);
    return ferror(out) == 0;
}
