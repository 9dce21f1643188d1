/*
 * report_ladder.c - one connection's handshake and teardown as an SVG
 * sequence diagram for the HTML report: the client's and the server's
 * lifelines, one arrow per setup or teardown segment at the capture point's
 * time (rows in time order, evenly spaced; the time since the first packet
 * and the delta on the left), and the annotations that explain the record:
 * retransmitted SYNs and SYN-ACKs with their gaps, the SYN and SYN-ACK the
 * latency was measured from (Karn), the server-side and client-side
 * brackets (their figures are the record's), the ACK that completed the
 * handshake, ICMP errors, RSTs and whether they were acceptable, FINs and a
 * half-close, and the data in between as one line.
 *
 * Drawn from the record's own times: at most 2 + 2 * TCPSHAKE_MAX_GAPS
 * handshake rows and a handful of others, so a ladder is small.
 */
#include "report_svg.h"

#include <inttypes.h>
#include <string.h>

#define LADDER_ROWS 80 /* a record gives at most 2 * (TCPSHAKE_MAX_GAPS + 2) + 8 */
#define ROW_H       52.0
#define NOTE_CHARS  60 /* a note line between the lifelines at most (10 px text) */
#define TOP         44.0
#define CLIENT_X    270.0
#define SERVER_X    620.0
#define WIDTH       900.0

enum dir { TO_SERVER, TO_CLIENT, NOTE };

enum mark {
    MARK_NONE,
    MARK_SYN_TIMED = 1u << 0,    /* the SYN the latency is measured from */
    MARK_SYNACK_FIRST = 1u << 1, /* the SYN-ACK that ends the server side */
    MARK_SYNACK_TIMED = 1u << 2, /* the SYN-ACK the client side is measured from */
    MARK_ACK = 1u << 3,          /* the ACK completing the handshake */
    MARK_BAD = 1u << 4,          /* drawn in red: a failure */
};

struct row {
    uint64_t t;
    int64_t gap; /* a retransmitted SYN or SYN-ACK: since the previous one; else 0 */
    enum dir dir;
    unsigned marks;
    char label[48];
    char detail[96]; /* seq, ack, length, window, options */
    char note[200];
};

struct ladder {
    struct row rows[LADDER_ROWS];
    size_t n;
};

static struct row *add(struct ladder *l, uint64_t t, enum dir d, const char *label)
{
    if (l->n >= LADDER_ROWS || t == 0) {
        return NULL;
    }
    struct row *r = &l->rows[l->n++];
    memset(r, 0, sizeof(*r));
    r->t = t;
    r->dir = d;
    snprintf(r->label, sizeof(r->label), "%s", label);
    return r;
}

/* A SYN or SYN-ACK and its retransmissions, at first_ns plus the gaps. */
static void add_repeats(struct ladder *l, const struct tcpshake_record *rec, bool synack)
{
    uint64_t t = synack ? rec->synack_ns : rec->syn_ns;
    uint32_t count = synack ? rec->n_synack : rec->n_syn;
    uint32_t n_gaps = synack ? rec->n_synack_gaps : rec->n_syn_gaps;
    const int64_t *gaps = synack ? rec->synack_gaps_ns : rec->syn_gaps_ns;
    const char *name = synack ? "SYN-ACK" : "SYN";
    n_gaps = n_gaps > TCPSHAKE_MAX_GAPS ? TCPSHAKE_MAX_GAPS : n_gaps;
    for (uint32_t k = 0; k <= n_gaps && t != 0; k++) {
        struct row *r = add(l, t, synack ? TO_CLIENT : TO_SERVER, name);
        if (r != NULL && k > 0) {
            char gap[32];
            r->gap = gaps[k - 1];
            snprintf(r->note, sizeof(r->note), "retransmission %" PRIu32 ", %s after the last", k,
                     report_dur(gap, sizeof(gap), gaps[k - 1]));
        }
        if (k < n_gaps) {
            t = gaps[k] > 0 ? t + (uint64_t)gaps[k] : t;
        }
    }
    if (count > n_gaps + 1 && t != 0) {
        struct row *r = add(l, t, NOTE, "");
        if (r != NULL) {
            snprintf(r->note, sizeof(r->note), "… %" PRIu32 " more %ss", count - n_gaps - 1, name);
        }
    }
}

static void add_side_end(struct ladder *l, const struct tcpshake_side *s, enum dir d)
{
    if (s->fin_ns != 0) {
        struct row *r = add(l, s->fin_ns, d, "FIN");
        if (r != NULL) {
            snprintf(r->note, sizeof(r->note), "%s",
                     s->fin_acked ? "acknowledged" : "never acknowledged");
        }
    }
    if (s->rst_ns != 0) {
        struct row *r = add(l, s->rst_ns, d, "RST");
        if (r != NULL) {
            snprintf(r->note, sizeof(r->note), "%s",
                     s->rst_in_window ? "in window: acceptable" : "out of window: not acceptable");
            r->marks |= MARK_BAD;
        }
    }
}

static void add_data(struct ladder *l, const struct tcpshake_record *rec)
{
    const struct tcpshake_side *c = &rec->client, *s = &rec->server;
    uint64_t t = c->first_payload_ns;
    if (t == 0 || (s->first_payload_ns != 0 && s->first_payload_ns < t)) {
        t = s->first_payload_ns;
    }
    struct row *r = add(l, t, NOTE, "");
    if (r != NULL) {
        snprintf(r->note, sizeof(r->note),
                 "… data: client %" PRIu64 " bytes, server %" PRIu64 " bytes (%" PRIu64
                 " segments in all)",
                 c->payload_bytes, s->payload_bytes, c->packets + s->packets);
    }
}

static void mark_timed(struct ladder *l, const struct tcpshake_record *rec)
{
    for (size_t i = 0; i < l->n; i++) {
        struct row *r = &l->rows[i];
        bool syn = r->dir == TO_SERVER && strcmp(r->label, "SYN") == 0;
        bool synack = r->dir == TO_CLIENT && strcmp(r->label, "SYN-ACK") == 0;
        if (syn && rec->server_side_ns != TCPSHAKE_NO_TIME && r->t == rec->syn_last_ns) {
            r->marks |= MARK_SYN_TIMED;
        }
        if (synack && rec->server_side_ns != TCPSHAKE_NO_TIME &&
            r->t == rec->syn_last_ns + (uint64_t)rec->server_side_ns) {
            r->marks |= MARK_SYNACK_FIRST;
        }
        if (synack && rec->client_side_ns != TCPSHAKE_NO_TIME &&
            r->t + (uint64_t)rec->client_side_ns == rec->ack_ns) {
            r->marks |= MARK_SYNACK_TIMED;
        }
    }
}

static int by_time(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    if (x->t != y->t) {
        return x->t < y->t ? -1 : 1;
    }
    return (x->dir > y->dir) - (x->dir < y->dir);
}

static void build(struct ladder *l, const struct tcpshake_record *rec)
{
    l->n = 0;
    add_repeats(l, rec, false);
    add_repeats(l, rec, true);
    struct row *r = add(l, rec->ack_ns, TO_SERVER, "ACK");
    if (r != NULL) {
        r->marks |= MARK_ACK;
        snprintf(r->note, sizeof(r->note), "completes the handshake");
    }
    if (rec->icmp_ns != 0 && (r = add(l, rec->icmp_ns, TO_CLIENT, "ICMP error")) != NULL) {
        snprintf(r->note, sizeof(r->note), "type %u code %u, quoting the SYN", rec->icmp_type,
                 rec->icmp_code);
        r->marks |= MARK_BAD;
    }
    add_data(l, rec);
    add_side_end(l, &rec->client, TO_SERVER);
    add_side_end(l, &rec->server, TO_CLIENT);
    /* Stable: the rows were added in the order they must keep when times tie. */
    for (size_t i = 1; i < l->n; i++) {
        for (size_t j = i; j > 0 && by_time(&l->rows[j - 1], &l->rows[j]) > 0; j--) {
            struct row tmp = l->rows[j];
            l->rows[j] = l->rows[j - 1];
            l->rows[j - 1] = tmp;
        }
    }
    mark_timed(l, rec);
}

/* ------------------------------------------------------------- drawing */

static double row_y(size_t i)
{
    return TOP + ROW_H * ((double)i + 0.5);
}

static void draw_text(FILE *out, double x, double y, const char *cls, const char *anchor,
                      const char *s)
{
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"%s\" text-anchor=\"%s\">", x, y, cls, anchor);
    html_text(out, s);
    fputs("</text>", out);
}

/* A note between the lifelines: on two lines when it is longer than
 * NOTE_CHARS, broken after the last "; " or ", " that leaves a first line
 * that fits (so it runs into neither lifeline nor a bracket's figure). */
static void draw_note(FILE *out, double x, double y, const char *note)
{
    size_t len = strlen(note), cut = 0;
    for (size_t i = 1; len > NOTE_CHARS && i + 1 < len && i <= NOTE_CHARS; i++) {
        if ((note[i] == ';' || note[i] == ',') && note[i + 1] == ' ') {
            cut = i;
        }
    }
    if (cut == 0) {
        draw_text(out, x, y, "ln", "middle", note);
        return;
    }
    char first[200];
    snprintf(first, sizeof(first), "%.*s", (int)cut, note);
    draw_text(out, x, y, "ln", "middle", first);
    draw_text(out, x, y + 10, "ln", "middle", note + cut + 2);
}

/* One row as a group whose data-t (ns since the epoch), data-label (the
 * arrow's words, "" for a summary line) and data-gap (ns, retransmissions)
 * a script can hold to the record. */
static void draw_row(FILE *out, const struct row *r, size_t i, uint64_t t0, uint64_t prev)
{
    double y = row_y(i);
    char a[32], b[32], t[80];
    fprintf(out, "<g data-t=\"%" PRIu64 "\" data-label=\"", r->t);
    html_text(out, r->dir != NOTE ? r->label : "");
    fputs("\"", out);
    if (r->gap != 0) {
        fprintf(out, " data-gap=\"%" PRId64 "\"", r->gap);
    }
    fputs(">", out);
    snprintf(t, sizeof(t), "+%s ms", report_ms(a, sizeof(a), (int64_t)(r->t - t0)));
    draw_text(out, 6, y - 1, "lt", "start", t);
    if (i > 0) {
        snprintf(t, sizeof(t), "Δ %s", report_dur(b, sizeof(b), (int64_t)(r->t - prev)));
        draw_text(out, 6, y + 11, "ld", "start", t);
    }
    if (r->dir != NOTE) {
        double x1 = r->dir == TO_SERVER ? CLIENT_X : SERVER_X;
        double x2 = r->dir == TO_SERVER ? SERVER_X : CLIENT_X;
        double tip = r->dir == TO_SERVER ? -8 : 8;
        const char *cls = r->marks & MARK_BAD ? "arrow bad" : "arrow";
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"%s\"/>"
                "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\" class=\"%s\"/>",
                x1, y, x2, y, cls, x2, y, x2 + tip, y - 4, x2 + tip, y + 4, cls);
        draw_text(out, (CLIENT_X + SERVER_X) / 2, y - 5, "lf", "middle", r->label);
    }
    char note[200];
    snprintf(note, sizeof(note), "%s%s%s%s", r->note,
             r->note[0] != '\0' && (r->marks & (MARK_SYN_TIMED | MARK_SYNACK_TIMED)) ? "; " : "",
             r->marks & MARK_SYN_TIMED ? "server side timed from this SYN" : "",
             r->marks & MARK_SYNACK_TIMED
                     ? (r->marks & MARK_SYN_TIMED ? ", client side from this SYN-ACK"
                                                  : "client side timed from this SYN-ACK")
                     : "");
    double mid = (CLIENT_X + SERVER_X) / 2;
    if (r->detail[0] != '\0') {
        draw_text(out, mid, y + 11, "ln", "middle", r->detail);
    }
    if (note[0] != '\0') {
        double ny = r->dir == NOTE ? y + 4 : r->detail[0] != '\0' ? y + 22 : y + 11;
        draw_note(out, mid, r->dir == NOTE ? ny - 5 : ny, note);
    }
    fputs("</g>", out);
}

/* A bracket on the server's (or the client's) lifeline from row a to row b. */
static void bracket(FILE *out, double x, size_t a, size_t b, const char *label, int64_t ns)
{
    char ms[32], t[64];
    double y1 = row_y(a), y2 = row_y(b), tick = x > (CLIENT_X + SERVER_X) / 2 ? -6 : 6;
    fprintf(out, "<polyline points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\" class=\"br\"/>",
            x + tick, y1, x, y1, x, y2, x + tick, y2);
    snprintf(t, sizeof(t), "%s %s ms", label, report_ms(ms, sizeof(ms), ns));
    double tx = x > (CLIENT_X + SERVER_X) / 2 ? x + 8 : x - 8;
    draw_text(out, tx, (y1 + y2) / 2 + 4, "lb", tx > x ? "start" : "end", t);
}

static size_t find(const struct ladder *l, unsigned mark)
{
    for (size_t i = 0; i < l->n; i++) {
        if (l->rows[i].marks & mark) {
            return i;
        }
    }
    return l->n;
}

/* Rows a and b of a bracket; a >= l->n when there is none. */
struct span {
    size_t from, to;
};

static void draw(FILE *out, const struct ladder *l, const struct tcpshake_record *rec,
                 struct span server, struct span client)
{
    double h = TOP + ROW_H * (double)(l->n + 1);
    char c[80], s[80];
    report_endpoint(c, sizeof(c), rec->ip_version, rec->client.addr, rec->client.port);
    report_endpoint(s, sizeof(s), rec->ip_version, rec->server.addr, rec->server.port);
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" "
            "height=\"%.0f\" role=\"img\" class=\"ladder\" aria-label=\"ladder of connection "
            "%" PRIu64 "\">",
            WIDTH, h, WIDTH, h, rec->id);
    draw_text(out, CLIENT_X, 16, "lh", "middle", "client");
    draw_text(out, CLIENT_X, 32, "lt", "middle", c);
    draw_text(out, SERVER_X, 16, "lh", "middle", "server");
    draw_text(out, SERVER_X, 32, "lt", "middle", s);
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"life\"/>"
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"life\"/>",
            CLIENT_X, TOP, CLIENT_X, h - 6, SERVER_X, TOP, SERVER_X, h - 6);
    uint64_t t0 = l->n > 0 ? l->rows[0].t : 0;
    for (size_t i = 0; i < l->n; i++) {
        draw_row(out, &l->rows[i], i, t0, i > 0 ? l->rows[i - 1].t : t0);
    }
    if (server.from < l->n && server.to < l->n) {
        bracket(out, SERVER_X + 16, server.from, server.to, "server side", rec->server_side_ns);
    }
    if (client.from < l->n && client.to < l->n) {
        bracket(out, CLIENT_X - 16, client.from, client.to, "client side", rec->client_side_ns);
    }
    fputs("</svg>", out);
}

void svg_ladder(FILE *out, const struct tcpshake_record *rec)
{
    struct ladder l;
    build(&l, rec);
    struct span server = { find(&l, MARK_SYN_TIMED), find(&l, MARK_SYNACK_FIRST) };
    struct span client = { find(&l, MARK_SYNACK_TIMED), find(&l, MARK_ACK) };
    draw(out, &l, rec, server, client);
}

/* ------------------------------------------------- segment by segment */

/* "SYN", "SYN-ACK", "FIN-ACK", "PSH-ACK", "RST" ... from the TCP flags. */
static void flag_words(uint16_t flags, char *buf, size_t len)
{
    static const struct {
        uint16_t bit;
        const char *name;
    } names[] = { { 0x02, "SYN" }, { 0x01, "FIN" }, { 0x04, "RST" }, { 0x08, "PSH" },
                  { 0x20, "URG" }, { 0x10, "ACK" }, { 0x40, "ECE" }, { 0x80, "CWR" } };
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (flags & names[i].bit) {
            size_t used = strlen(buf);
            snprintf(buf + used, len - used, "%s%s", used > 0 ? "-" : "", names[i].name);
        }
    }
    if (buf[0] == '\0') {
        snprintf(buf, len, "(no flags)");
    }
}

/* seq, ack, length, window and options of a segment row. */
static void segment_words(const struct tcpshake_ladder_row *lr, char *buf, size_t len)
{
    int n = snprintf(buf, len, "seq %" PRIu32, lr->rel_seq);
    if ((lr->flags & 0x10) && lr->rel_ack_known) {
        n += snprintf(buf + n, len - (size_t)n, " ack %" PRIu32, lr->rel_ack);
    }
    n += snprintf(buf + n, len - (size_t)n, " len %" PRIu32 " win %" PRIu64, lr->payload_len,
                  lr->window_scaled);
    if (lr->mss != 0) {
        n += snprintf(buf + n, len - (size_t)n, " mss %u", (unsigned)lr->mss);
    }
    if (lr->wscale >= 0) {
        n += snprintf(buf + n, len - (size_t)n, " ws %d", lr->wscale);
    }
    snprintf(buf + n, len - (size_t)n, "%s%s%s", lr->sack_permitted ? " sack" : "",
             lr->timestamps ? " ts" : "", lr->tfo ? " tfo" : "");
}

/* The notes of a row in their order, joined by "; ". */
static void note_words(const struct tcpshake_ladder_row *lr, char *buf, size_t len)
{
    size_t used = strlen(buf);
    for (uint32_t b = 0; b < TCPSHAKE_LADDER_NOTE_BITS; b++) {
        const char *text = tcpshake_ladder_note_text(1u << b);
        if (!(lr->notes & (1u << b)) || text == NULL || used + 3 >= len) {
            continue;
        }
        char gap[32] = "";
        bool rtx = (1u << b) == TCPSHAKE_LADDER_NOTE_SYN_RETRANSMIT ||
                   (1u << b) == TCPSHAKE_LADDER_NOTE_SYNACK_RETRANSMIT;
        if (rtx && lr->gap_ns > 0) {
            char d[24];
            snprintf(gap, sizeof(gap), " after %s", report_dur(d, sizeof(d), lr->gap_ns));
        }
        snprintf(buf + used, len - used, "%s%s%s", used > 0 ? "; " : "", text, gap);
        used = strlen(buf);
    }
}

enum {
    BAD_NOTES = TCPSHAKE_LADDER_NOTE_REFUSES | TCPSHAKE_LADDER_NOTE_RESETS_HANDSHAKE |
                TCPSHAKE_LADDER_NOTE_RST_INVALID | TCPSHAKE_LADDER_NOTE_ICMP_ERROR |
                TCPSHAKE_LADDER_NOTE_REJECTS | TCPSHAKE_LADDER_NOTE_SYNACK_BAD_ACK
};

/* "… 2 segments, 26 bytes client → server; 1 segment, 40 bytes server → client …" */
static void run_words(const struct tcpshake_ladder_row *lr, char *buf, size_t len)
{
    static const char *const way[2] = { "client → server", "server → client" };
    int n = snprintf(buf, len, "… %s", lr->kind == TCPSHAKE_LADDER_KIND_LOST ? "not kept: " : "");
    bool first = true;
    for (int d = 0; d < 2; d++) {
        if (lr->run_segments[d] == 0 || n < 0 || (size_t)n >= len) {
            continue;
        }
        n += snprintf(buf + n, len - (size_t)n, "%s%" PRIu64 " segment%s, %" PRIu64 " bytes %s",
                      first ? "" : "; ", lr->run_segments[d], lr->run_segments[d] == 1 ? "" : "s",
                      lr->run_bytes[d], way[d]);
        first = false;
    }
    if (n >= 0 && (size_t)n < len) {
        snprintf(buf + n, len - (size_t)n, "%s …",
                 lr->run_retransmits > 0 ? " (retransmissions)" : "");
    }
}

static void convert_row(struct row *r, const struct tcpshake_ladder_row *lr)
{
    memset(r, 0, sizeof(*r));
    r->t = lr->t_ns;
    r->dir = lr->dir == TCPSHAKE_LADDER_TO_SERVER   ? TO_SERVER
             : lr->dir == TCPSHAKE_LADDER_TO_CLIENT ? TO_CLIENT
                                                    : NOTE;
    r->marks = (lr->notes & BAD_NOTES) || (lr->flags & 0x04) ? MARK_BAD : 0;
    bool rtx = lr->notes &
               (TCPSHAKE_LADDER_NOTE_SYN_RETRANSMIT | TCPSHAKE_LADDER_NOTE_SYNACK_RETRANSMIT);
    r->gap = rtx ? lr->gap_ns : 0;
    switch (lr->kind) {
    case TCPSHAKE_LADDER_KIND_SEGMENT:
        flag_words(lr->flags, r->label, sizeof(r->label));
        segment_words(lr, r->detail, sizeof(r->detail));
        break;
    case TCPSHAKE_LADDER_KIND_ICMP:
        snprintf(r->label, sizeof(r->label), "ICMP%s type %u code %u",
                 lr->icmp_version == 6 ? "v6" : "", lr->icmp_type, lr->icmp_code);
        r->marks |= MARK_BAD;
        break;
    default:
        r->dir = NOTE;
        run_words(lr, r->note, sizeof(r->note));
        return;
    }
    note_words(lr, r->note, sizeof(r->note));
}

void svg_ladder_segments(FILE *out, const struct tcpshake_ladder *tl)
{
    struct ladder l;
    l.n = 0;
    size_t n = tl->n_rows < LADDER_ROWS ? tl->n_rows : LADDER_ROWS - 1;
    for (size_t i = 0; i < n; i++) {
        convert_row(&l.rows[l.n++], &tl->rows[i]);
    }
    if (n < tl->n_rows) {
        struct row *r = &l.rows[l.n++];
        memset(r, 0, sizeof(*r));
        r->t = tl->rows[tl->n_rows - 1].t_ns;
        r->dir = NOTE;
        snprintf(r->note, sizeof(r->note), "… %zu more rows", tl->n_rows - n);
    }
    struct span none = { l.n, l.n };
    if (tl->server_side.to_row >= n || tl->client_side.to_row >= n) {
        /* A bracket into rows left out is not drawn. */
        draw(out, &l, &tl->rec, none, none);
        return;
    }
    struct span server = tl->server_side.present
                                 ? (struct span){ tl->server_side.from_row, tl->server_side.to_row }
                                 : none;
    struct span client = tl->client_side.present
                                 ? (struct span){ tl->client_side.from_row, tl->client_side.to_row }
                                 : none;
    draw(out, &l, &tl->rec, server, client);
}
