/*
 * ladder.c - --ladder: parse the selection, and draw each ladder the library
 * collected (tcpshake/ladder.h) as text, one line a segment:
 *
 *   connection 40  10.99.0.1:36080 -> 10.99.0.2:8001  established  end fin (client first)
 *     server side 60.213 ms  client side 20.151 ms  rtt_rule exact  SYN 1  SYN-ACK 1  zeek SF
 *      time (s)  delta (ms)  client                  server  S C     seq     ack   len     win ...
 *      0.000000              │──SYN──────────────────▶│  ┐          0       -     0   64240 ...
 *      0.060213     +60.213  │◀──────────────SYN,ACK──│  ┘ ┐        0       1     0   65160 ...
 *
 * Columns: time since the first row (seconds), delta since the previous row
 * ended (ms), the arrow between the client's and the server's lifelines with
 * the flags on it, the server-side (S) and client-side (C) brackets, seq and
 * ack relative to each side's ISN, payload length, window (scaled when both
 * sides offered window scaling), options, then the notes. Runs of plain
 * segments are one line, "… 6 segments (3 ▶, 3 ◀), 66 B … in 40.125 ms …".
 * The drawing characters are UTF-8; colour (ANSI SGR) only with --color or on
 * a terminal, as for the table.
 */
#include "cli_ladder.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum { EXIT_USAGE = 2 };

#define ARROW_COLS 24 /* between the two lifelines */

#define SGR_RESET  "\033[0m"
#define SGR_BOLD   "\033[1m"
#define SGR_RED    "\033[31m"
#define SGR_YELLOW "\033[33m"
#define SGR_CYAN   "\033[36m"

void ladder_options_default(struct ladder_options *o)
{
    memset(o, 0, sizeof(*o));
    tcpshake_ladder_config_default(&o->cfg);
}

void ladder_usage(FILE *out)
{
    fprintf(out, "  --ladder SEL            instead of the records, draw the ladder of each\n"
                 "                          selected connection, segment by segment: SEL is\n"
                 "                          ID[,ID...] (record ids), all, failed,\n"
                 "                          outcome=NAME[,NAME...] or slowest:N; at most 50\n"
                 "                          ladders (the lowest ids), said on stderr when more\n"
                 "                          matched; analyses on one thread\n"
                 "  --ladder-data           a line for every data segment, not a summary\n"
                 "  --ladder-max N          draw at most N ladders (1-1000, default 50)\n");
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("tcpshake: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_USAGE;
}

static bool parse_count(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    if (s[0] < '0' || s[0] > '9') {
        return false;
    }
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1 || v > max) {
        return false;
    }
    *out = v;
    return true;
}

/* outcome=NAME[,NAME...] */
static bool parse_outcomes(const char *list, uint32_t *bits)
{
    *bits = 0;
    const char *p = list;
    for (;;) {
        size_t n = strcspn(p, ",");
        bool known = false;
        for (int i = 0; i < TCPSHAKE_OUTCOME_COUNT; i++) {
            const char *name = tcpshake_outcome_name((enum tcpshake_outcome)i);
            if (n > 0 && strlen(name) == n && strncmp(p, name, n) == 0) {
                *bits |= TCPSHAKE_LADDER_OUTCOME(i);
                known = true;
            }
        }
        if (!known) {
            return false;
        }
        if (p[n] == '\0') {
            return true;
        }
        p += n + 1;
    }
}

/* ID[,ID...] */
static bool parse_ids(const char *list, struct ladder_options *o)
{
    const char *p = list;
    o->cfg.n_ids = 0;
    for (;;) {
        char id[24];
        size_t n = strcspn(p, ",");
        uint64_t v;
        if (n == 0 || n >= sizeof(id) || o->cfg.n_ids == TCPSHAKE_LADDER_MAX_IDS) {
            return false;
        }
        memcpy(id, p, n);
        id[n] = '\0';
        if (!parse_count(id, UINT64_MAX, &v)) {
            return false;
        }
        o->ids[o->cfg.n_ids++] = v;
        if (p[n] == '\0') {
            return true;
        }
        p += n + 1;
    }
}

static int parse_spec(const char *arg, struct ladder_options *o)
{
    uint64_t v;
    o->on = true;
    o->spec = arg;
    if (strcmp(arg, "all") == 0) {
        return 0;
    }
    if (strcmp(arg, "failed") == 0) {
        o->cfg.outcomes = TCPSHAKE_LADDER_FAILED;
        return 0;
    }
    if (strncmp(arg, "outcome=", 8) == 0) {
        if (!parse_outcomes(arg + 8, &o->cfg.outcomes)) {
            return usage_error("--ladder %s: want outcome names (as in the records) "
                               "separated by commas",
                               arg);
        }
        return 0;
    }
    if (strncmp(arg, "slowest:", 8) == 0) {
        if (!parse_count(arg + 8, TCPSHAKE_LADDER_MAX_LADDERS, &v)) {
            return usage_error("--ladder %s: want slowest:N with N from 1 to 1000", arg);
        }
        o->cfg.slowest = true;
        o->cfg.max_ladders = (size_t)v;
        return 0;
    }
    if (!parse_ids(arg, o)) {
        return usage_error("--ladder %s: want record ids (ID[,ID...], at most 1000), all, "
                           "failed, outcome=NAME[,NAME...] or slowest:N",
                           arg);
    }
    o->cfg.ids = o->ids;
    return 0;
}

int ladder_parse_option(int ch, const char *arg, struct ladder_options *o)
{
    uint64_t v;
    switch (ch) {
    case LADDER_OPT:
        return parse_spec(arg, o);
    case LADDER_OPT_DATA:
        o->data_set = true;
        o->cfg.all_segments = true;
        return 0;
    case LADDER_OPT_MAX:
        if (!parse_count(arg, TCPSHAKE_LADDER_MAX_LADDERS, &v)) {
            return usage_error("--ladder-max %s: want a number from 1 to 1000", arg);
        }
        o->max_set = true;
        o->cfg.max_ladders = (size_t)v;
        return 0;
    default:
        return -1;
    }
}

int ladder_check_options(const struct ladder_options *o, bool format_set, bool by)
{
    if (!o->on) {
        if (o->data_set || o->max_set) {
            return usage_error("%s: only with --ladder",
                               o->data_set ? "--ladder-data" : "--ladder-max");
        }
        return -1;
    }
    if (format_set) {
        return usage_error("--ladder %s: the ladders are text, -o does not apply", o->spec);
    }
    if (by) {
        return usage_error("--ladder and --by: each replaces the records; choose one");
    }
    if (o->cfg.slowest && o->max_set) {
        return usage_error("--ladder %s: slowest:N already says how many; drop --ladder-max",
                           o->spec);
    }
    return -1;
}

/* ------------------------------------------------------------ words */

/* A duration: "60.213 ms" below a second, "1.025 s" from there, rounded. */
static const char *fmt_dur(char *buf, size_t len, int64_t ns)
{
    if (ns == TCPSHAKE_NO_TIME) {
        snprintf(buf, len, "-");
        return buf;
    }
    const char *sign = ns < 0 ? "-" : "";
    uint64_t mag = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    if (mag < 1000000000u) {
        uint64_t us = (mag + 500u) / 1000u;
        snprintf(buf, len, "%s%" PRIu64 ".%03" PRIu64 " ms", sign, us / 1000u, us % 1000u);
    } else {
        uint64_t ms = (mag + 500000u) / 1000000u;
        snprintf(buf, len, "%s%" PRIu64 ".%03" PRIu64 " s", sign, ms / 1000u, ms % 1000u);
    }
    return buf;
}

static const char *fmt_bytes(char *buf, size_t len, uint64_t b)
{
    if (b < 1000u) {
        snprintf(buf, len, "%" PRIu64 " B", b);
    } else if (b < 1000000u) {
        snprintf(buf, len, "%.1f kB", (double)b / 1e3);
    } else if (b < 1000000000u) {
        snprintf(buf, len, "%.1f MB", (double)b / 1e6);
    } else {
        snprintf(buf, len, "%.1f GB", (double)b / 1e9);
    }
    return buf;
}

static const char *fmt_endpoint(char *buf, size_t len, const struct tcpshake_record *r,
                                const struct tcpshake_side *sd)
{
    char addr[64];
    tcpshake_addr_str(sd, r->ip_version, addr, sizeof(addr));
    snprintf(buf, len, r->ip_version == 6 ? "[%s]:%u" : "%s:%u", addr, (unsigned)sd->port);
    return buf;
}

static const char *fmt_flags(char *buf, size_t len, uint16_t f)
{
    static const struct {
        uint16_t bit;
        const char *name;
    } names[] = { { 0x02, "SYN" }, { 0x01, "FIN" }, { 0x04, "RST" },
                  { 0x08, "PSH" }, { 0x10, "ACK" }, { 0x20, "URG" },
                  { 0x40, "ECE" }, { 0x80, "CWR" }, { 0x100, "AE" } };
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if ((f & names[i].bit) && at + 5 < len) {
            at += (size_t)snprintf(buf + at, len - at, "%s%s", at > 0 ? "," : "", names[i].name);
        }
    }
    if (at == 0) {
        snprintf(buf, len, "none");
    }
    return buf;
}

static const char *fmt_options(char *buf, size_t len, const struct tcpshake_ladder_row *r)
{
    size_t at = 0;
    buf[0] = '\0';
#define ADD(...) at += (size_t)snprintf(buf + at, at < len ? len - at : 0, __VA_ARGS__)
    if (r->mss != 0) {
        ADD("mss=%u ", (unsigned)r->mss);
    }
    if (r->wscale >= 0) {
        ADD("ws=%d ", (int)r->wscale);
    }
    if (r->sack_permitted) {
        ADD("sack ");
    }
    if (r->timestamps) {
        ADD("ts ");
    }
    if (r->tfo && r->tfo_cookie_len == 0) {
        ADD("tfo=req ");
    } else if (r->tfo) {
        ADD("tfo=%uB ", (unsigned)r->tfo_cookie_len);
    }
#undef ADD
    if (at > 0 && at <= len) {
        buf[at - 1] = '\0';
    }
    return buf;
}

/* ------------------------------------------------------------ drawing */

/* Append s, and count its display columns (UTF-8 continuation bytes take none). */
static size_t put_cols(char *buf, size_t *at, size_t cap, const char *s)
{
    size_t cols = 0;
    for (const char *p = s; *p != '\0' && *at + 1 < cap; p++) {
        buf[(*at)++] = *p;
        cols += ((unsigned char)*p & 0xC0u) != 0x80u;
    }
    buf[*at] = '\0';
    return cols;
}

static void put_repeat(char *buf, size_t *at, size_t cap, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        put_cols(buf, at, cap, s);
    }
}

/* The arrow between the lifelines, ARROW_COLS columns, label near the sender. */
static void draw_arrow(char *buf, size_t cap, const struct tcpshake_ladder_row *r,
                       const char *color)
{
    char label[48];
    const char *line = "─";
    if (r->kind == TCPSHAKE_LADDER_KIND_ICMP) {
        snprintf(label, sizeof(label), " %s %u/%u ", r->icmp_version == 6 ? "ICMPv6" : "ICMP",
                 (unsigned)r->icmp_type, (unsigned)r->icmp_code);
        line = "╌";
    } else {
        char f[40];
        snprintf(label, sizeof(label), " %s ", fmt_flags(f, sizeof(f), r->flags));
    }
    size_t at = 0;
    size_t label_cols = strlen(label);
    size_t dashes = label_cols + 3 < ARROW_COLS ? ARROW_COLS - label_cols - 3 : 0;
    put_cols(buf, &at, cap, "│");
    if (color != NULL) {
        put_cols(buf, &at, cap, color);
    }
    if (r->dir == TCPSHAKE_LADDER_TO_SERVER) {
        put_repeat(buf, &at, cap, line, 2);
        put_cols(buf, &at, cap, label);
        put_repeat(buf, &at, cap, line, dashes);
        put_cols(buf, &at, cap, "▶");
    } else {
        put_cols(buf, &at, cap, "◀");
        put_repeat(buf, &at, cap, line, dashes);
        put_cols(buf, &at, cap, label);
        put_repeat(buf, &at, cap, line, 2);
    }
    if (color != NULL) {
        put_cols(buf, &at, cap, SGR_RESET);
    }
    put_cols(buf, &at, cap, "│");
}

/* One bracket's mark on row i: ┐ from, │ between, ┘ to, ┼ both (from == to). */
static const char *bracket_mark(const struct tcpshake_ladder_bracket *b, size_t i)
{
    if (!b->present || i < b->from_row || i > b->to_row) {
        return " ";
    }
    if (i == b->from_row && i == b->to_row) {
        return "╪";
    }
    return i == b->from_row ? "┐" : i == b->to_row ? "┘" : "│";
}

/* Times: seconds since the first row with 6 decimals, delta in ms with 3. */
static void fmt_times(char *t, size_t tlen, char *d, size_t dlen,
                      const struct tcpshake_ladder_row *r, size_t i)
{
    /* Below 0 when capture time went backwards (record anomaly time_went_backwards). */
    uint64_t rel = r->rel_ns < 0 ? (uint64_t)0 - (uint64_t)r->rel_ns : (uint64_t)r->rel_ns;
    uint64_t us = (rel + 500u) / 1000u;
    snprintf(t, tlen, "%s%" PRIu64 ".%06" PRIu64, r->rel_ns < 0 ? "-" : "", us / 1000000u,
             us % 1000000u);
    if (i == 0) {
        d[0] = '\0';
        return;
    }
    int64_t ns = r->delta_ns;
    uint64_t mag = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    uint64_t dus = (mag + 500u) / 1000u;
    snprintf(d, dlen, "%s%" PRIu64 ".%03" PRIu64, ns < 0 ? "-" : "+", dus / 1000u, dus % 1000u);
}

/* The notes of row i, in bit order, with the bracket figures and gaps. */
static void fmt_notes(char *buf, size_t len, const struct tcpshake_ladder *l, size_t i)
{
    const struct tcpshake_ladder_row *r = &l->rows[i];
    size_t at = 0;
    char d[32];
    buf[0] = '\0';
#define ADD(...) at += (size_t)snprintf(buf + at, at < len ? len - at : 0, __VA_ARGS__)
    for (unsigned b = 0; b < TCPSHAKE_LADDER_NOTE_BITS; b++) {
        uint32_t bit = 1u << b;
        if (!(r->notes & bit)) {
            continue;
        }
        const char *sep = at > 0 ? "; " : "";
        if (bit == TCPSHAKE_LADDER_NOTE_SERVER_TO && l->server_side.present) {
            ADD("%sserver side %s", sep, fmt_dur(d, sizeof(d), l->server_side.ns));
        } else if (bit == TCPSHAKE_LADDER_NOTE_CLIENT_TO && l->client_side.present) {
            ADD("%sclient side %s", sep, fmt_dur(d, sizeof(d), l->client_side.ns));
        } else if (bit == TCPSHAKE_LADDER_NOTE_SYN_RETRANSMIT ||
                   bit == TCPSHAKE_LADDER_NOTE_SYNACK_RETRANSMIT) {
            ADD("%s%s (+%s)", sep, tcpshake_ladder_note_text(bit),
                fmt_dur(d, sizeof(d), r->gap_ns));
        } else {
            ADD("%s%s", sep, tcpshake_ladder_note_text(bit));
        }
    }
#undef ADD
}

static const char *row_color(const struct tcpshake_ladder_row *r)
{
    if (r->kind == TCPSHAKE_LADDER_KIND_ICMP || (r->flags & 0x04)) {
        return SGR_RED;
    }
    if (r->notes & (TCPSHAKE_LADDER_NOTE_SYN_RETRANSMIT | TCPSHAKE_LADDER_NOTE_SYNACK_RETRANSMIT |
                    TCPSHAKE_LADDER_NOTE_DATA_RETRANSMIT)) {
        return SGR_YELLOW;
    }
    return NULL;
}

/* A run of plain segments, or segments not kept, on one line: "… 4 segments
 * (2 ▶ 2 ◀), 66 B (26 B ▶ 40 B ◀) in 80.911 ms …", or "… 1 segment ▶, 26 B …"
 * when they all went one way. */
static void print_run(FILE *out, const struct tcpshake_ladder_row *r, const char *t, const char *d)
{
    char all[24], b0[24], b1[24], span[32];
    uint64_t n = r->run_segments[0] + r->run_segments[1];
    fmt_bytes(all, sizeof(all), r->run_bytes[0] + r->run_bytes[1]);
    fprintf(out, "%10s  %10s  │%*s│  … %" PRIu64 " segment%s", t, d, ARROW_COLS, "", n,
            n == 1 ? "" : "s");
    if (r->run_segments[0] > 0 && r->run_segments[1] > 0) {
        fprintf(out, " (%" PRIu64 " ▶ %" PRIu64 " ◀), %s (%s ▶ %s ◀)", r->run_segments[0],
                r->run_segments[1], all, fmt_bytes(b0, sizeof(b0), r->run_bytes[0]),
                fmt_bytes(b1, sizeof(b1), r->run_bytes[1]));
    } else {
        fprintf(out, " %s, %s", r->run_segments[1] > 0 ? "◀" : "▶", all);
    }
    if (n > 1) {
        fprintf(out, " in %s", fmt_dur(span, sizeof(span), (int64_t)(r->run_end_ns - r->t_ns)));
    }
    if (r->kind == TCPSHAKE_LADDER_KIND_LOST) {
        fputs(", not kept: a bound was reached", out);
    } else if (r->run_retransmits > 0) {
        fprintf(out, ", %" PRIu64 " retransmitted", r->run_retransmits);
    }
    fputs(" …\n", out);
}

static void print_row(FILE *out, const struct tcpshake_ladder *l, size_t i, bool color)
{
    const struct tcpshake_ladder_row *r = &l->rows[i];
    char t[32], d[32];
    fmt_times(t, sizeof(t), d, sizeof(d), r, i);
    if (r->kind == TCPSHAKE_LADDER_KIND_RUN || r->kind == TCPSHAKE_LADDER_KIND_LOST) {
        print_run(out, r, t, d);
        return;
    }
    char arrow[256], ack[16], opts[96], notes[512];
    draw_arrow(arrow, sizeof(arrow), r, color ? row_color(r) : NULL);
    bool has_ack = r->kind == TCPSHAKE_LADDER_KIND_SEGMENT && (r->flags & 0x10) && r->rel_ack_known;
    if (has_ack) {
        snprintf(ack, sizeof(ack), "%" PRIu32, r->rel_ack);
    } else {
        snprintf(ack, sizeof(ack), "-");
    }
    fmt_notes(notes, sizeof(notes), l, i);
    fprintf(out, "%10s  %10s  %s  %s %s", t, d, arrow, bracket_mark(&l->server_side, i),
            bracket_mark(&l->client_side, i));
    /* The options column is padded only when notes follow: no trailing blanks. */
    int pad = notes[0] != '\0' ? 22 : 0;
    if (r->kind == TCPSHAKE_LADDER_KIND_ICMP) {
        fprintf(out, " %10" PRIu32 " %10s %5s %7s  %-*s", r->rel_seq, "-", "-", "-", pad, "");
    } else {
        fprintf(out, " %10" PRIu32 " %10s %5" PRIu32 " %7" PRIu64 "  %-*s", r->rel_seq, ack,
                r->payload_len, r->window_scaled, pad, fmt_options(opts, sizeof(opts), r));
    }
    if (notes[0] != '\0') {
        fprintf(out, "  %s%s%s", color ? SGR_CYAN : "", notes, color ? SGR_RESET : "");
    }
    fputc('\n', out);
}

static void print_title(FILE *out, const struct tcpshake_ladder *l, bool color)
{
    const struct tcpshake_record *r = &l->rec;
    char c[80], s[80], a[32], b[32], h[32];
    fprintf(out, "%sconnection %" PRIu64 "%s  %s -> %s  %s%s%s  end %s", color ? SGR_BOLD : "",
            r->id, color ? SGR_RESET : "", fmt_endpoint(c, sizeof(c), r, &r->client),
            fmt_endpoint(s, sizeof(s), r, &r->server),
            color && tcpshake_outcome_sgr(r->outcome) != NULL ? tcpshake_outcome_sgr(r->outcome)
                                                              : "",
            tcpshake_outcome_name(r->outcome), color ? SGR_RESET : "", tcpshake_end_name(r->end));
    if (r->end == TCPSHAKE_END_FIN && r->first_fin != TCPSHAKE_WHO_NONE) {
        fprintf(out, " (%s first)", tcpshake_who_name(r->first_fin));
    } else if (r->end == TCPSHAKE_END_RST && r->rst_by != TCPSHAKE_WHO_NONE) {
        fprintf(out, " (by %s)", tcpshake_who_name(r->rst_by));
    }
    fprintf(out, "%s\n", r->roles_inferred ? "  (roles inferred: no SYN seen)" : "");
    fprintf(out,
            "  server side %s  client side %s  handshake %s  rtt_rule %s  SYN %" PRIu32
            "  SYN-ACK %" PRIu32 "  zeek %s %s\n",
            fmt_dur(a, sizeof(a), r->server_side_ns), fmt_dur(b, sizeof(b), r->client_side_ns),
            fmt_dur(h, sizeof(h), r->handshake_ns), tcpshake_rtt_rule_name(r->rtt_rule), r->n_syn,
            r->n_synack, r->zeek_state, r->zeek_history);
    fprintf(out, "%10s  %10s  %-*s%s  S C %10s %10s %5s %7s  %s\n", "time (s)", "delta (ms)",
            ARROW_COLS + 2 - 6, "client", "server", "seq", "ack", "len", "win", "options");
}

static void print_ladder(FILE *out, const struct tcpshake_ladder *l, bool color)
{
    print_title(out, l, color);
    for (size_t i = 0; i < l->n_rows; i++) {
        print_row(out, l, i, color);
    }
    if (l->n_rows == 0) {
        fputs("  (no segment of this connection was kept)\n", out);
    }
}

int ladder_print(const struct ladder_options *o, const struct tcpshake_ladders *ls, FILE *out,
                 bool color)
{
    size_t n = tcpshake_ladders_count(ls);
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            fputc('\n', out);
        }
        print_ladder(out, tcpshake_ladders_get(ls, i), color);
    }
    uint64_t matched = tcpshake_ladders_matched(ls);
    if (matched > n && !o->cfg.slowest) {
        fprintf(stderr,
                "tcpshake: --ladder %s: %" PRIu64 " connections selected, the %zu with the "
                "lowest ids drawn (the cap: --ladder-max)\n",
                o->spec, matched, n);
    }
    if (tcpshake_ladders_pool_drops(ls) > 0) {
        fprintf(stderr,
                "tcpshake: --ladder %s: %" PRIu64 " segments not kept: %zu rows held for "
                "connections not yet ended is the bound\n",
                o->spec, tcpshake_ladders_pool_drops(ls), o->cfg.pool_rows);
    }
    if (tcpshake_ladders_untracked(ls) > 0) {
        fprintf(stderr,
                "tcpshake: --ladder %s: %" PRIu64 " connections not followed: %zu connections "
                "held at once (a %zu-row pool / 8) is the bound\n",
                o->spec, tcpshake_ladders_untracked(ls), o->cfg.pool_rows / 8, o->cfg.pool_rows);
    }
    if (matched == 0 && o->cfg.n_ids == 0) {
        fprintf(stderr, "tcpshake: --ladder %s: no connection selected\n", o->spec);
    }
    int status = 0;
    for (size_t i = 0; i < o->cfg.n_ids; i++) {
        if (!tcpshake_ladders_seen(ls, o->ids[i])) {
            fprintf(stderr, "tcpshake: --ladder %" PRIu64 ": no connection with that id\n",
                    o->ids[i]);
            status = 1;
        }
    }
    return status;
}
