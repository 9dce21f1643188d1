/*
 * sink_table.c - an aligned text table for terminals, one line per connection.
 *
 * Columns (a header line comes first):
 *   event   with TCPSHAKE_SINK_EVENTS only: handshake or close
 *   id      record id
 *   client  client addr:port; IPv6 as [addr]:port
 *   server  server addr:port
 *   outcome handshake outcome (tcpshake_outcome_name)
 *   srv_ms  server side, SYN -> SYN-ACK, ms with 3 decimals ('-' not measured)
 *   cli_ms  client side, SYN-ACK -> ACK
 *   tot_ms  the whole handshake; followed by '~' when a SYN or SYN-ACK was
 *           retransmitted, so Karn's rule made the figures ambiguous
 *   rtx     SYN / SYN-ACK retransmissions
 *   end     how the record ended (tcpshake_end_name)
 *   by      who sent the first FIN (end fin) or the RST (end rst), else '-'
 *   dur_ms  duration, last packet - first packet, ms with 3 decimals
 *   pkts    segments client>server/server>client
 *   bytes   payload bytes client>server/server>client
 *   state   Zeek conn_state
 * Widths suit IPv4. The table is streamed, so a longer address (IPv6) widens
 * its column from that line on; earlier lines are not rewritten.
 * With TCPSHAKE_SINK_COLOR the outcome is coloured with ANSI SGR codes: green
 * when established, red when refused, reset or ICMP-rejected, yellow when
 * unanswered or half-open, plain otherwise.
 */
#include "sink.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define ENDPOINT_WIDTH 21 /* "255.255.255.255:65535" */

#define SGR_RESET  "\033[0m"
#define SGR_RED    "\033[31m"
#define SGR_GREEN  "\033[32m"
#define SGR_YELLOW "\033[33m"

struct table_state {
    int w_client; /* current width of the client column */
    int w_server;
};

const char *tcpshake_outcome_sgr(enum tcpshake_outcome o)
{
    switch (o) {
    case TCPSHAKE_OUTCOME_ESTABLISHED:
    case TCPSHAKE_OUTCOME_FAST_OPEN:
    case TCPSHAKE_OUTCOME_SIMULTANEOUS_OPEN:
        return SGR_GREEN;
    case TCPSHAKE_OUTCOME_REFUSED:
    case TCPSHAKE_OUTCOME_RESET_IN_HANDSHAKE:
    case TCPSHAKE_OUTCOME_ICMP_REJECTED:
        return SGR_RED;
    case TCPSHAKE_OUTCOME_UNANSWERED:
    case TCPSHAKE_OUTCOME_HALF_OPEN:
        return SGR_YELLOW;
    default:
        return NULL;
    }
}

/* A duration in ms with 3 decimals, rounded to the microsecond; '-' when unmeasured. */
static const char *fmt_ms(char *buf, size_t len, int64_t ns)
{
    if (ns == TCPSHAKE_NO_TIME) {
        snprintf(buf, len, "-");
        return buf;
    }
    uint64_t mag = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    uint64_t us = mag / 1000u + (mag % 1000u >= 500u ? 1 : 0);
    snprintf(buf, len, "%s%" PRIu64 ".%03" PRIu64, ns < 0 ? "-" : "", us / 1000u, us % 1000u);
    return buf;
}

static const char *fmt_endpoint(char *buf, size_t len, const struct tcpshake_record *r,
                                const struct tcpshake_side *sd)
{
    char addr[SINK_ADDR_LEN];
    sink_addr(r, sd, addr);
    if (r->ip_version == 6) {
        snprintf(buf, len, "[%s]:%u", addr, (unsigned)sd->port);
    } else {
        snprintf(buf, len, "%s:%u", addr, (unsigned)sd->port);
    }
    return buf;
}

/* Who the end reason points at: the first FIN for fin, the RST sender for rst. */
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

static int widen(int width, const char *text)
{
    size_t len = strlen(text);
    return len > (size_t)width ? (int)len : width;
}

static void table_begin(struct tcpshake_sink *s, const struct tcpshake_record *first)
{
    (void)first;
    struct table_state *t = (struct table_state *)s->state;
    t->w_client = ENDPOINT_WIDTH;
    t->w_server = ENDPOINT_WIDTH;
    if (s->flags & TCPSHAKE_SINK_EVENTS) {
        fprintf(s->out, "%-9s ", "event");
    }
    fprintf(s->out, "%6s %-*s %-*s %-18s %9s %9s %9s  %5s %-9s %-6s %12s %9s %13s %s\n", "id",
            t->w_client, "client", t->w_server, "server", "outcome", "srv_ms", "cli_ms", "tot_ms",
            "rtx", "end", "by", "dur_ms", "pkts", "bytes", "state");
}

static void put_outcome(struct tcpshake_sink *s, const struct tcpshake_record *r)
{
    const char *name = tcpshake_outcome_name(r->outcome);
    const char *color = (s->flags & TCPSHAKE_SINK_COLOR) ? tcpshake_outcome_sgr(r->outcome) : NULL;
    /* Pad after the reset: escapes take no columns but printf would count them. */
    if (color != NULL) {
        int pad = 18 - (int)strlen(name);
        fprintf(s->out, "%s%s%s%*s", color, name, SGR_RESET, pad > 0 ? pad : 0, "");
    } else {
        fprintf(s->out, "%-18s", name);
    }
}

static void table_write(struct tcpshake_sink *s, const struct tcpshake_record *r)
{
    struct table_state *t = (struct table_state *)s->state;
    char client[SINK_ADDR_LEN + 8], server[SINK_ADDR_LEN + 8];
    char srv[32], cli[32], tot[32], dur[32], rtx[24], pkts[48], bytes[48];

    fmt_endpoint(client, sizeof(client), r, &r->client);
    fmt_endpoint(server, sizeof(server), r, &r->server);
    t->w_client = widen(t->w_client, client);
    t->w_server = widen(t->w_server, server);
    fmt_ms(srv, sizeof(srv), r->server_side_ns);
    fmt_ms(cli, sizeof(cli), r->client_side_ns);
    fmt_ms(tot, sizeof(tot), r->handshake_ns);
    fmt_ms(dur, sizeof(dur), r->duration_ns);
    snprintf(rtx, sizeof(rtx), "%" PRIu32 "/%" PRIu32, r->n_syn > 0 ? r->n_syn - 1 : 0,
             r->n_synack > 0 ? r->n_synack - 1 : 0);
    snprintf(pkts, sizeof(pkts), "%" PRIu64 "/%" PRIu64, r->client.packets, r->server.packets);
    snprintf(bytes, sizeof(bytes), "%" PRIu64 "/%" PRIu64, r->client.payload_bytes,
             r->server.payload_bytes);
    bool ambiguous = r->rtt_rule != TCPSHAKE_RTT_NONE && r->rtt_rule != TCPSHAKE_RTT_EXACT;
    char state[sizeof(r->zeek_state) + 1];
    snprintf(state, sizeof(state), "%.*s", (int)sizeof(r->zeek_state), r->zeek_state);

    if (s->flags & TCPSHAKE_SINK_EVENTS) {
        fprintf(s->out, "%-9s ", tcpshake_event_name(s->event));
    }
    fprintf(s->out, "%6" PRIu64 " %-*s %-*s ", r->id, t->w_client, client, t->w_server, server);
    put_outcome(s, r);
    fprintf(s->out, " %9s %9s %9s%c %5s %-9s %-6s %12s %9s %13s %s\n", srv, cli, tot,
            ambiguous ? '~' : ' ', rtx, tcpshake_end_name(r->end), end_by(r), dur, pkts, bytes,
            state[0] != '\0' ? state : "-");
}

const struct sink_format sink_table_format = {
    .name = "table",
    .state_size = sizeof(struct table_state),
    .begin = table_begin,
    .write = table_write,
    .finish = NULL,
};
