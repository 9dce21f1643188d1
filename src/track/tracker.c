/*
 * tracker.c - one TCP connection, observed from the wire (RFC 9293).
 *
 * The observer cannot see either end's state, only segments, so every
 * decision below is one the wire can prove:
 *
 *   HS_NONE --bare SYN--> HS_SYN --SYN-ACK acking ISN+1--> HS_SYNACK
 *      |                   |  \--RST acking ISN+1--> HS_REFUSED
 *      |                   \--bare SYN from the other side: simultaneous open
 *      \--SYN-ACK first: roles from it, no SYN (HS_SYNACK)
 *   HS_SYNACK --client ACK of server ISN+1--> HS_ESTABLISHED
 *   HS_SYNACK --RST--> reset during the handshake (outcome only)
 *
 * Teardown is tracked beside the phase, per side: first FIN and whether the
 * peer acknowledged it, first RST and whether its sequence number could be
 * in the peer's window. A bare SYN that cannot belong to this connection
 * (new ISN after the handshake, anything after a close) is handed back to
 * the engine as a new connection on the same tuple (port reuse).
 *
 * Latency (Karn): a retransmitted SYN or SYN-ACK makes it unclear which
 * copy was answered. We measure server side from the last SYN before the
 * first valid SYN-ACK, client side from the last SYN-ACK before the final
 * ACK, and record in rtt_rule whether either was ambiguous.
 */
#include "tracker.h"

#include <string.h>

#include "seq.h"

enum { EP_A = 0, EP_B = 1, EP_NONE = 2 };

/* The engine prefetches the hot part ahead of each packet: keep it small. */
_Static_assert(TRACKER_HOT_BYTES <= 6 * 64, "the hot part of struct conn grew past 6 lines");
/* README.md and the man page (--max-flows) give what a tracked connection costs. */
_Static_assert(sizeof(void *) != 8 || sizeof(struct conn) == 832,
               "struct conn changed size: update the docs' figure");

static struct side_facts *facts_of(struct conn *c, int ep)
{
    return &c->facts.ep[ep];
}

static const struct side_facts *facts_of_c(const struct conn *c, int ep)
{
    return &c->facts.ep[ep];
}

void tracker_init(struct conn *c, const struct flow_tuple *first, uint64_t id, uint64_t ts_ns)
{
    struct flow_link link = c->link;
    memset(c, 0, sizeof(*c));
    c->link = link;
    c->facts.id = id;
    c->facts.ip_version = first->ip_version;
    c->facts.vlan = first->vlan;
    c->facts.first_ns = ts_ns;
    c->last_ns = ts_ns;
    memcpy(c->a_addr, first->src, sizeof(first->src));
    c->a_port = first->sport;
    memcpy(c->facts.ep[EP_A].addr, first->src, sizeof(first->src));
    c->facts.ep[EP_A].port = first->sport;
    memcpy(c->facts.ep[EP_B].addr, first->dst, sizeof(first->dst));
    c->facts.ep[EP_B].port = first->dport;
    c->facts.ep[EP_A].wscale = -1;
    c->facts.ep[EP_B].wscale = -1;
    c->first_fin_ep = EP_NONE;
    c->facts.first_ep = EP_NONE;
    /* c->zeek, cleared above, is zeek_init's empty state. */
}

static bool is_endpoint_a(const struct conn *c, const uint8_t addr[16], uint16_t port)
{
    return port == c->a_port && memcmp(addr, c->a_addr, sizeof(c->a_addr)) == 0;
}

/* The options and header facts of a side's SYN or SYN-ACK. */
static void take_syn_facts(struct conn *c, int ep, const struct tcp_view *v)
{
    struct side_facts *s = facts_of(c, ep);
    s->syn_seen = true;
    s->isn = v->seq;
    s->mss = v->opt.mss;
    s->wscale = v->opt.wscale;
    s->sack_permitted = v->opt.sack_permitted;
    s->timestamps = v->opt.timestamps;
    s->tsval = v->opt.tsval;
    s->tsecr = v->opt.tsecr;
    s->initial_window = v->window;
    s->ttl = v->ttl;
    if (!c->p0f_off) {
        p0f_take(&s->p0f, v); /* for tracker_p0f only */
    }
    c->isn_first[ep] = v->seq;
    c->syn_payload[ep] = v->payload_len;
}

static void add_gap(int64_t *gaps, uint32_t *n, uint64_t prev_ns, uint64_t now_ns)
{
    if (*n < TCPSHAKE_MAX_GAPS) {
        gaps[(*n)++] = (int64_t)(now_ns - prev_ns);
    }
}

/* A RST the receiver could have accepted ends the connection; any other is noise. */
static bool closed_by_rst(uint64_t rst_a_ns, bool a_in_window, uint64_t rst_b_ns, bool b_in_window)
{
    return (rst_a_ns != 0 && a_in_window) || (rst_b_ns != 0 && b_in_window);
}

enum flow_class tracker_class(const struct conn *c)
{
    bool rst = c->rst_closed;
    bool fins = c->side[0].fin_seen && c->side[1].fin_seen;
    if (rst || fins || c->phase == HS_REFUSED || c->icmp_rejected) {
        return FLOW_CLOSED;
    }
    if (c->phase == HS_SYN || c->phase == HS_SYNACK) {
        return FLOW_HANDSHAKE;
    }
    return FLOW_ESTABLISHED;
}

/* Is this bare SYN from endpoint ep the start of another connection on the tuple? */
static bool starts_new_connection(const struct conn *c, int ep, const struct tcp_view *v)
{
    bool any_packet = c->side[EP_A].packets + c->side[EP_B].packets > 0;
    if (!any_packet) {
        return false;
    }
    if (!c->roles_known) {
        /* Only mid-stream segments so far: that stream is over, a new one begins. */
        return true;
    }
    if (tracker_class(c) == FLOW_CLOSED) {
        return true; /* refused, reset or closed: any new SYN is a new attempt */
    }
    const struct side_facts *s = facts_of_c(c, ep);
    if (ep == c->client) {
        if (!c->syn_seen) {
            /* The SYN-ACK came first; this SYN belongs to it if it is the one acknowledged. */
            return v->seq + 1 != c->synack_ack;
        }
        if (v->seq == s->isn || v->seq == c->isn_first[ep]) {
            return false; /* a retransmission */
        }
        /* A new ISN before any answer is a retried SYN; after an answer, a new connection. */
        return c->phase != HS_SYN;
    }
    /* A bare SYN from the server side: simultaneous open while the client waits. */
    if (c->phase == HS_SYN || c->simultaneous) {
        return c->simultaneous && s->syn_seen && v->seq != s->isn;
    }
    return true;
}

static void on_syn(struct conn *c, int ep, const struct tcp_view *v, uint64_t ts_ns)
{
    struct side_facts *s = facts_of(c, ep);
    if (!c->roles_known || (ep == c->client && !c->syn_seen)) {
        /* The client's SYN (possibly captured after a reordered SYN-ACK). */
        c->roles_known = true;
        c->client = (uint8_t)ep;
        c->syn_seen = true;
        if (c->phase == HS_NONE) {
            c->phase = HS_SYN;
        }
        take_syn_facts(c, ep, v);
        c->facts.syn_ns = c->facts.syn_last_ns = c->last_syn_ns = ts_ns;
        c->facts.n_syn = 1;
        c->syns_before_synack = 1;
        if (v->opt.tfo || v->payload_len > 0) {
            c->facts.tfo = v->opt.tfo && v->opt.tfo_cookie_len == 0 && v->payload_len == 0
                                   ? TCPSHAKE_TFO_COOKIE_REQUEST
                                   : TCPSHAKE_TFO_SENT; /* until a SYN-ACK says more */
        }
        return;
    }
    if (ep == c->client) {
        c->facts.n_syn++;
        add_gap(c->facts.syn_gaps_ns, &c->facts.n_syn_gaps, c->last_syn_ns, ts_ns);
        c->last_syn_ns = ts_ns;
        if (v->seq != s->isn) {
            c->facts.anomalies |= TCPSHAKE_ANOMALY_SYN_ISN_CHANGED;
            s->isn = v->seq;
        }
        if (c->phase == HS_SYN) {
            c->facts.syn_last_ns = ts_ns;
            c->syns_before_synack++;
        }
        return;
    }
    /* RFC 9293 3.5: both ends sent a SYN before seeing the other's. */
    if (!c->simultaneous) {
        c->simultaneous = true;
        take_syn_facts(c, ep, v);
    }
}

/* Does ack acknowledge the client's SYN (ISN + 1, plus any Fast Open data)? */
static int acks_client_syn(const struct conn *c, uint32_t ack)
{
    const struct side_facts *cs = facts_of_c(c, c->client);
    uint32_t payload = c->syn_payload[c->client];
    if (payload > 0 && (ack == cs->isn + 1 + payload)) {
        return 2; /* the data on the SYN too */
    }
    return ack == cs->isn + 1 || ack == c->isn_first[c->client] + 1;
}

static void take_synack(struct conn *c, int ep, const struct tcp_view *v, uint64_t ts_ns)
{
    take_syn_facts(c, ep, v);
    c->phase = HS_SYNACK;
    c->facts.synack_ns = c->facts.synack_last_ns = c->last_synack_ns = ts_ns;
    c->facts.n_synack++;
    c->synacks_before_ack = 1;
    c->synack_ack = v->ack;
}

static void on_synack(struct conn *c, int ep, const struct tcp_view *v, uint64_t ts_ns)
{
    if (!c->roles_known) {
        /* Capture starts at the SYN-ACK: its receiver is the client. */
        c->roles_known = true;
        c->client = (uint8_t)(1 - ep);
        take_synack(c, ep, v, ts_ns);
        return;
    }
    if (c->simultaneous) {
        /* Each end answers the other's SYN; established when both have done so. */
        if (ep != c->client) {
            c->facts.n_synack++;
        }
        if (v->ack == facts_of(c, 1 - ep)->isn + 1) {
            c->sim_acked |= (uint8_t)(1u << ep);
        }
        if (c->sim_acked == 3) {
            c->phase = HS_ESTABLISHED;
        }
        return;
    }
    if (ep == c->client) {
        return; /* a SYN-ACK from the client side answers no SYN we saw */
    }
    struct side_facts *s = facts_of(c, ep);
    if (c->phase == HS_SYN) {
        int acked = acks_client_syn(c, v->ack);
        if (acked == 0) {
            c->facts.n_synack++;
            c->facts.anomalies |= TCPSHAKE_ANOMALY_BAD_SYNACK_ACK;
            return;
        }
        take_synack(c, ep, v, ts_ns);
        if (c->syn_payload[c->client] > 0) {
            c->facts.tfo = acked == 2 ? TCPSHAKE_TFO_ACCEPTED : TCPSHAKE_TFO_IGNORED;
        }
        return;
    }
    /* A later SYN-ACK: the server did not hear the final ACK, or the SYN was repeated. */
    c->facts.n_synack++;
    add_gap(c->facts.synack_gaps_ns, &c->facts.n_synack_gaps, c->last_synack_ns, ts_ns);
    c->last_synack_ns = ts_ns;
    if (v->seq != s->isn) {
        c->facts.anomalies |= TCPSHAKE_ANOMALY_SYNACK_ISN_CHANGED;
        s->isn = v->seq;
    }
    if (c->phase == HS_SYNACK) {
        c->facts.synack_last_ns = ts_ns;
        c->synacks_before_ack++;
    }
}

/*
 * Could the peer have accepted this RST? RFC 9293 3.10.7: outside SYN-SENT a
 * RST counts only if its sequence number lies in the receiver's window. The
 * receiver's RCV.NXT is at least the highest ACK it sent and at most what
 * the sender has sent, so only a RST outside those bounds is provably bad.
 */
static bool rst_in_window(const struct conn *c, int ep, const struct tcp_view *v)
{
    const struct track_side *peer = &c->side[1 - ep];
    const struct track_side *self = &c->side[ep];
    if (c->roles_known && c->phase == HS_SYN && ep != c->client) {
        /* RFC 9293 3.10.7.3, SYN-SENT: acceptable iff it acknowledges the SYN. */
        return (v->flags & TCP_ACK) && acks_client_syn(c, v->ack) != 0;
    }
    if (peer->ack_known && seq_lt(v->seq, peer->ack_max)) {
        return false;
    }
    const struct side_facts *ps = facts_of_c(c, 1 - ep);
    const struct side_facts *ss = facts_of_c(c, ep);
    if (self->seq_known && peer->seq_known && ps->syn_seen && ss->syn_seen) {
        uint32_t shift = ps->wscale >= 0 && ss->wscale >= 0 ? (uint32_t)ps->wscale : 0;
        if (shift > 14) {
            shift = 14;
        }
        uint64_t wnd = (uint64_t)peer->window_max << shift;
        if (wnd < 1) {
            wnd = 1;
        }
        int32_t d = seq_diff(v->seq, self->snd_max);
        if (d > 0 && (uint64_t)d >= wnd) {
            return false;
        }
    }
    return true;
}

/* Returns whether the RST was acceptable (rst_in_window). */
static bool on_rst(struct conn *c, int ep, const struct tcp_view *v, uint64_t ts_ns)
{
    struct side_facts *s = facts_of(c, ep);
    bool ok = rst_in_window(c, ep, v);
    if (s->rst_ns == 0 || (ok && !s->rst_in_window)) {
        s->rst_ns = ts_ns;
        s->rst_in_window = ok;
        s->rst_ttl = v->ttl; /* a TTL unlike the side's usual one hints at an injected RST */
        c->rst_closed = closed_by_rst(c->facts.ep[EP_A].rst_ns, c->facts.ep[EP_A].rst_in_window,
                                      c->facts.ep[EP_B].rst_ns, c->facts.ep[EP_B].rst_in_window);
    }
    if (!ok) {
        c->facts.anomalies |= TCPSHAKE_ANOMALY_RST_OUT_OF_WINDOW;
        return false;
    }
    if (!c->roles_known || c->simultaneous) {
        return true;
    }
    if (c->phase == HS_SYN && ep != c->client) {
        c->phase = HS_REFUSED;
    } else if (c->phase == HS_SYNACK) {
        c->rst_in_handshake = true;
    }
    return true;
}

/* A non-SYN ACK: does it complete the handshake? */
static void on_ack(struct conn *c, int ep, const struct tcp_view *v, uint64_t ts_ns)
{
    if (c->simultaneous) {
        if (v->ack == facts_of(c, 1 - ep)->isn + 1) {
            c->sim_acked |= (uint8_t)(1u << ep);
        }
        if (c->sim_acked == 3) {
            c->phase = HS_ESTABLISHED;
        }
        return;
    }
    if (!c->roles_known || ep != c->client) {
        return;
    }
    const struct side_facts *srv = facts_of_c(c, 1 - ep);
    const struct track_side *st = &c->side[1 - ep];
    if (c->phase == HS_SYNACK) {
        /* ISN + 1, plus any data the SYN-ACK carried (RFC 9293 allows it). */
        uint32_t payload = c->syn_payload[1 - ep];
        uint32_t want = srv->isn + 1 + payload;
        if (v->ack == want || v->ack == c->isn_first[1 - ep] + 1 + payload) {
            c->phase = HS_ESTABLISHED;
            c->facts.ack_ns = ts_ns;
            facts_of(c, ep)->tsecr = v->opt.tsecr;
        } else if (st->seq_known && seq_gt(v->ack, srv->isn + 1) && seq_leq(v->ack, st->snd_max)) {
            /* It acknowledges server data: the final ACK itself was not captured. */
            c->phase = HS_ESTABLISHED;
        } else {
            c->facts.anomalies |= TCPSHAKE_ANOMALY_BAD_HANDSHAKE_ACK;
        }
    } else if (c->phase == HS_SYN && st->seq_known && st->ack_known) {
        /* Both sides talk, but the SYN-ACK was not captured. */
        c->phase = HS_ESTABLISHED;
    }
}

static void on_payload(struct conn *c, int ep, const struct tcp_view *v, uint64_t ts_ns)
{
    struct track_side *t = &c->side[ep];
    struct track_side *peer = &c->side[1 - ep];
    if (t->first_payload_ns == 0) {
        t->first_payload_ns = ts_ns;
    }
    if (!(v->flags & TCP_SYN) && t->seq_known && seq_lt(v->seq, t->snd_max)) {
        t->retransmits++;
    }
    if (c->roles_known && !(v->flags & TCP_SYN)) {
        bool early =
                c->phase == HS_SYN || (c->phase == HS_SYNACK &&
                                       (ep == c->client || c->facts.tfo != TCPSHAKE_TFO_ACCEPTED));
        if (early) {
            c->facts.anomalies |= TCPSHAKE_ANOMALY_DATA_BEFORE_ESTABLISHED;
        }
        if (ep != c->client && !c->server_responded && c->side[c->client].first_payload_ns != 0) {
            c->server_resp_ns = ts_ns;
            c->server_responded = ts_ns != 0; /* as server_resp_ns != 0 */
        }
    }
    if (peer->fin_seen && !t->fin_seen) {
        c->facts.half_close = true;
    }
    if (t->fin_seen && seq_geq(v->seq, t->fin_seq + 1)) {
        c->facts.anomalies |= TCPSHAKE_ANOMALY_DATA_AFTER_FIN;
    }
}

static void on_fin(struct conn *c, int ep, const struct tcp_view *v, uint64_t ts_ns)
{
    struct track_side *t = &c->side[ep];
    if (t->fin_seen) {
        return;
    }
    t->fin_seen = true;
    t->fin_seq = v->seq + v->payload_len + ((v->flags & TCP_SYN) ? 1u : 0u);
    facts_of(c, ep)->fin_ns = ts_ns;
    if (c->first_fin_ep == EP_NONE) {
        c->first_fin_ep = (uint8_t)ep;
    }
}

/* Remember how far each side has sent and acknowledged (for RSTs, FIN ACKs, retransmits). */
static void advance(struct conn *c, int ep, const struct tcp_view *v)
{
    struct track_side *t = &c->side[ep];
    struct track_side *peer = &c->side[1 - ep];
    if (v->flags & TCP_ACK) {
        if (!t->ack_known || seq_gt(v->ack, t->ack_max)) {
            t->ack_max = v->ack;
        }
        t->ack_known = true;
        if (peer->fin_seen && seq_geq(v->ack, peer->fin_seq + 1)) {
            peer->fin_acked = true;
        }
    }
    uint32_t end = v->seq + v->payload_len + ((v->flags & TCP_SYN) ? 1u : 0u) +
                   ((v->flags & TCP_FIN) ? 1u : 0u);
    if (!t->seq_known || seq_gt(end, t->snd_max)) {
        t->snd_max = end;
    }
    t->seq_known = true;
    if (v->window > t->window_max) { /* from 0, so the first window counts too */
        t->window_max = v->window;
    }
}

static void note_quirks(struct conn *c, const struct tcp_view *v)
{
    if (v->quirks & TCPQ_BAD_OPTION) {
        c->facts.anomalies |= TCPSHAKE_ANOMALY_BAD_OPTION;
    }
    if (v->quirks & TCPQ_ACK_NO_FLAG) {
        c->facts.anomalies |= TCPSHAKE_ANOMALY_ACK_WITHOUT_FLAG;
    }
    if (v->quirks & TCPQ_SYN_OPT_LATE) {
        c->facts.anomalies |= TCPSHAKE_ANOMALY_SYN_OPTION_LATE;
    }
    if ((v->flags & TCP_SYN) && v->opt.wscale > 14) {
        c->facts.anomalies |= TCPSHAKE_ANOMALY_WSCALE_TOO_BIG; /* RFC 7323 2.3 */
    }
    if ((v->flags & TCP_SYN) && (v->flags & (TCP_RST | TCP_FIN))) {
        c->facts.anomalies |= TCPSHAKE_ANOMALY_SYN_WITH_RST_OR_FIN;
    }
}

enum track_result tracker_segment_info(struct conn *c, const struct tcp_view *v, uint64_t ts_ns,
                                       struct track_info *info)
{
    info->key_segment = (v->flags & (TCP_SYN | TCP_FIN | TCP_RST)) != 0;
    info->completes = false;
    info->rst_valid = false;
    uint8_t phase_before = c->phase;
    int ep = is_endpoint_a(c, v->tuple.src, v->tuple.sport) ? EP_A : EP_B;
    uint16_t f = v->flags;
    bool bare_syn = (f & TCP_SYN) && !(f & (TCP_ACK | TCP_RST));
    if (bare_syn && starts_new_connection(c, ep, v)) {
        return TRACK_NEW_CONNECTION;
    }
    if (ts_ns < c->last_ns) {
        c->facts.anomalies |= TCPSHAKE_ANOMALY_BACKWARDS_TIME;
    } else {
        c->last_ns = ts_ns;
    }
    note_quirks(c, v);
    zeek_segment(&c->zeek, ep == EP_A, v, ts_ns);

    struct track_side *s = &c->side[ep];
    if (c->side[EP_A].packets + c->side[EP_B].packets == 0) {
        /* Kept for scan detection (FIN, NULL, Xmas probes). */
        c->facts.first_flags = (uint8_t)f;
        c->facts.first_ep = (uint8_t)ep;
    }
    s->packets++;
    s->ip_bytes += v->ip_len;
    s->payload_bytes += v->payload_len;

    if (f & TCP_SYN) {
        if (f & TCP_ACK) {
            on_synack(c, ep, v, ts_ns);
        } else if (!(f & TCP_RST)) {
            on_syn(c, ep, v, ts_ns);
        }
    }
    if (f & TCP_RST) {
        info->rst_valid = on_rst(c, ep, v, ts_ns);
        if (v->payload_len > 0 && s->first_payload_ns == 0) {
            s->first_payload_ns = ts_ns; /* RFC 9293 3.5.3: RSTs may carry diagnostic data */
        }
        return TRACK_OK;
    }
    if ((f & TCP_ACK) && !(f & TCP_SYN)) {
        on_ack(c, ep, v, ts_ns);
    }
    /* The ACK that completes the handshake, or when it was not captured, the segment
     * that proves it: a trace of key segments alone must reach the same outcome. */
    if (c->phase == HS_ESTABLISHED && phase_before != HS_ESTABLISHED) {
        info->key_segment = true;
        info->completes = true;
    }
    if (v->payload_len > 0) {
        on_payload(c, ep, v, ts_ns);
    }
    if (f & TCP_FIN) {
        on_fin(c, ep, v, ts_ns);
    }
    advance(c, ep, v);
    return TRACK_OK;
}

enum track_result tracker_segment(struct conn *c, const struct tcp_view *v, uint64_t ts_ns)
{
    struct track_info info;
    return tracker_segment_info(c, v, ts_ns, &info);
}

static bool is_unreachable(const struct icmp_view *icmp)
{
    return (icmp->ip_version == 4 && icmp->type == 3) || (icmp->ip_version == 6 && icmp->type == 1);
}

void tracker_icmp(struct conn *c, const struct icmp_view *icmp, uint64_t ts_ns)
{
    int ep = is_endpoint_a(c, icmp->quoted.src, icmp->quoted.sport) ? EP_A : EP_B;
    if (ts_ns > c->last_ns) {
        c->last_ns = ts_ns;
    }
    if (c->facts.icmp_ns == 0) {
        c->facts.icmp_ns = ts_ns;
        c->facts.icmp_type = icmp->type;
        c->facts.icmp_code = icmp->code;
    }
    /* Only an unreachable that quotes the client's SYN rejects the handshake. */
    const struct side_facts *cs = facts_of_c(c, ep);
    bool quotes_syn = icmp->quoted_seq == cs->isn || icmp->quoted_seq == c->isn_first[ep];
    if (c->roles_known && ep == c->client && c->phase == HS_SYN && quotes_syn &&
        is_unreachable(icmp)) {
        c->icmp_rejected = true;
        c->facts.icmp_ns = ts_ns;
        c->facts.icmp_type = icmp->type;
        c->facts.icmp_code = icmp->code;
    }
}

static enum tcpshake_outcome decide_outcome(const struct conn *c)
{
    if (c->simultaneous) {
        return TCPSHAKE_OUTCOME_SIMULTANEOUS_OPEN;
    }
    if (!c->roles_known) {
        return TCPSHAKE_OUTCOME_MIDSTREAM;
    }
    if (!c->syn_seen) {
        return TCPSHAKE_OUTCOME_NO_SYN;
    }
    switch (c->phase) {
    case HS_REFUSED:
        return TCPSHAKE_OUTCOME_REFUSED;
    case HS_ESTABLISHED:
        /* A cookie request alone sends no data early: an ordinary handshake. */
        return c->facts.tfo == TCPSHAKE_TFO_NONE || c->facts.tfo == TCPSHAKE_TFO_COOKIE_REQUEST
                       ? TCPSHAKE_OUTCOME_ESTABLISHED
                       : TCPSHAKE_OUTCOME_FAST_OPEN;
    case HS_SYNACK:
        return c->rst_in_handshake ? TCPSHAKE_OUTCOME_RESET_IN_HANDSHAKE
                                   : TCPSHAKE_OUTCOME_HALF_OPEN;
    default:
        return c->icmp_rejected ? TCPSHAKE_OUTCOME_ICMP_REJECTED : TCPSHAKE_OUTCOME_UNANSWERED;
    }
}

bool tracker_decided(const struct conn *c)
{
    if (!c->roles_known) {
        return false;
    }
    return c->phase == HS_ESTABLISHED || c->phase == HS_REFUSED || c->icmp_rejected ||
           (c->phase == HS_SYNACK && c->rst_in_handshake);
}

static void decide_latency(const struct conn *c, struct tcpshake_record *r)
{
    r->server_side_ns = r->client_side_ns = r->handshake_ns = TCPSHAKE_NO_TIME;
    r->rtt_rule = TCPSHAKE_RTT_NONE;
    if (c->simultaneous) {
        return; /* no request/answer pair to time */
    }
    if (c->syn_seen && r->synack_ns != 0 && r->synack_ns >= r->syn_last_ns) {
        r->server_side_ns = (int64_t)(r->synack_ns - r->syn_last_ns);
    }
    if (r->ack_ns != 0 && r->synack_last_ns != 0 && r->ack_ns >= r->synack_last_ns) {
        r->client_side_ns = (int64_t)(r->ack_ns - r->synack_last_ns);
    }
    if (r->server_side_ns == TCPSHAKE_NO_TIME && r->client_side_ns == TCPSHAKE_NO_TIME) {
        return;
    }
    if (r->server_side_ns != TCPSHAKE_NO_TIME && r->client_side_ns != TCPSHAKE_NO_TIME) {
        r->handshake_ns = r->server_side_ns + r->client_side_ns;
    }
    bool amb_syn = r->server_side_ns != TCPSHAKE_NO_TIME && c->syns_before_synack > 1;
    bool amb_synack = r->client_side_ns != TCPSHAKE_NO_TIME && c->synacks_before_ack > 1;
    r->rtt_rule = amb_syn && amb_synack ? TCPSHAKE_RTT_LAST_BOTH
                  : amb_syn             ? TCPSHAKE_RTT_LAST_SYN
                  : amb_synack          ? TCPSHAKE_RTT_LAST_SYNACK
                                        : TCPSHAKE_RTT_EXACT;
}

/* Without a SYN or SYN-ACK, guess the server as the side with the lower port. */
static int guess_client(const struct conn *c)
{
    if (c->roles_known) {
        return c->client;
    }
    return c->facts.ep[EP_A].port < c->facts.ep[EP_B].port ? EP_B : EP_A;
}

static enum tcpshake_who who_of(int ep, int client)
{
    if (ep == EP_NONE) {
        return TCPSHAKE_WHO_NONE;
    }
    return ep == client ? TCPSHAKE_WHO_CLIENT : TCPSHAKE_WHO_SERVER;
}

static enum tcpshake_end decide_end(const struct tcpshake_record *r, const struct conn *c,
                                    enum tcpshake_end reason)
{
    if (closed_by_rst(r->client.rst_ns, r->client.rst_in_window, r->server.rst_ns,
                      r->server.rst_in_window)) {
        return TCPSHAKE_END_RST;
    }
    if (c->side[0].fin_seen && c->side[1].fin_seen) {
        return TCPSHAKE_END_FIN;
    }
    if (reason == TCPSHAKE_END_REUSED || reason == TCPSHAKE_END_EVICTED) {
        return reason;
    }
    switch (r->outcome) {
    case TCPSHAKE_OUTCOME_UNANSWERED:
    case TCPSHAKE_OUTCOME_ICMP_REJECTED:
    case TCPSHAKE_OUTCOME_HALF_OPEN:
        return TCPSHAKE_END_HANDSHAKE;
    default:
        return reason;
    }
}

/* One side of the record: its facts and its counters. */
static void put_side(struct tcpshake_side *s, const struct side_facts *f,
                     const struct track_side *t)
{
    memcpy(s->addr, f->addr, sizeof(s->addr));
    s->port = f->port;
    s->syn_seen = f->syn_seen;
    s->isn = f->isn;
    s->mss = f->mss;
    s->wscale = f->wscale;
    s->sack_permitted = f->sack_permitted;
    s->timestamps = f->timestamps;
    s->tsval = f->tsval;
    s->tsecr = f->tsecr;
    s->initial_window = f->initial_window;
    s->ttl = f->ttl;
    s->fin_ns = f->fin_ns;
    s->fin_acked = t->fin_acked;
    s->rst_ns = f->rst_ns;
    s->rst_in_window = f->rst_in_window;
    s->packets = t->packets;
    s->payload_bytes = t->payload_bytes;
    s->ip_bytes = t->ip_bytes;
    s->first_payload_ns = t->first_payload_ns;
    s->retransmits = t->retransmits;
    s->rst_ttl = f->rst_ttl;
}

/* The MSS p0f's window rules take from the SYN a SYN-ACK answers (0: none seen). */
static uint16_t syn_mss_for(const struct conn *c, int client, const struct p0f_facts *server)
{
    const struct side_facts *cs = facts_of_c(c, client);
    bool answers = (server->tcp_type & TCP_ACK) != 0 && cs->syn_seen;
    return answers ? cs->p0f.mss : 0;
}

/* Zero a p0f object the last record left text in. */
static void clear_p0f(struct tcpshake_p0f *p)
{
    if (p->sig[0] != '\0' || p->label[0] != '\0' || p->fuzzy) {
        memset(p, 0, sizeof(*p));
    }
}

/*
 * Zero *out, which is zeroed or holds the last record made in it: the head in
 * full, the TLS object and the p0f objects (two thirds of the 2 KB, zero in most
 * records) only when that record used them. tlsflow_finish sets the TLS outcome
 * whenever it writes the object, as tcpshake_record_copy relies on too.
 */
static void clear_record(struct tcpshake_record *out)
{
    enum { TLS_END = offsetof(struct tcpshake_record, tls) + sizeof(out->tls) };
    memset(out, 0, offsetof(struct tcpshake_record, tls));
    if (out->tls.outcome != TCPSHAKE_TLS_NONE) {
        memset(&out->tls, 0, sizeof(out->tls));
    }
    memset((char *)out + TLS_END, 0, offsetof(struct tcpshake_record, client_p0f) - TLS_END);
    clear_p0f(&out->client_p0f);
    clear_p0f(&out->server_p0f);
}

_Static_assert(sizeof(struct tcpshake_record) - (offsetof(struct tcpshake_record, server_p0f) +
                                                 sizeof(struct tcpshake_p0f)) <
                       _Alignof(struct tcpshake_record),
               "clear_record clears up to server_p0f: a field added after it needs clearing too");

void tracker_finish(const struct conn *c, enum tcpshake_end reason, struct tcpshake_record *out)
{
    const struct conn_facts *f = &c->facts;
    clear_record(out);
    out->size = sizeof(*out);
    out->id = f->id;
    out->ip_version = f->ip_version;
    out->vlan = f->vlan;
    out->tfo = f->tfo;
    out->first_ns = f->first_ns;
    out->last_ns = c->last_ns;
    out->syn_ns = f->syn_ns;
    out->syn_last_ns = f->syn_last_ns;
    out->synack_ns = f->synack_ns;
    out->synack_last_ns = f->synack_last_ns;
    out->ack_ns = f->ack_ns;
    out->n_syn = f->n_syn;
    out->n_synack = f->n_synack;
    out->n_syn_gaps = f->n_syn_gaps;
    memcpy(out->syn_gaps_ns, f->syn_gaps_ns, sizeof(out->syn_gaps_ns));
    out->n_synack_gaps = f->n_synack_gaps;
    memcpy(out->synack_gaps_ns, f->synack_gaps_ns, sizeof(out->synack_gaps_ns));
    out->icmp_type = f->icmp_type;
    out->icmp_code = f->icmp_code;
    out->icmp_ns = f->icmp_ns;
    out->half_close = f->half_close;
    out->anomalies = f->anomalies;
    out->first_flags = f->first_flags;
    int client = guess_client(c);
    put_side(&out->client, &f->ep[client], &c->side[client]);
    put_side(&out->server, &f->ep[1 - client], &c->side[1 - client]);
    out->roles_inferred = !c->syn_seen;
    out->outcome = decide_outcome(c);
    decide_latency(c, out);
    out->app_latency_ns = TCPSHAKE_NO_TIME;
    if (c->server_resp_ns != 0) {
        out->app_latency_ns = (int64_t)(c->server_resp_ns - out->client.first_payload_ns);
    }
    out->duration_ns = (int64_t)(out->last_ns - out->first_ns);
    out->first_fin = who_of(c->first_fin_ep, client);
    out->first_by = who_of(f->first_ep, client);
    bool crst = out->client.rst_ns != 0, srst = out->server.rst_ns != 0;
    out->rst_by = crst && srst ? TCPSHAKE_WHO_BOTH
                  : crst       ? TCPSHAKE_WHO_CLIENT
                  : srst       ? TCPSHAKE_WHO_SERVER
                               : TCPSHAKE_WHO_NONE;
    out->end = decide_end(out, c, reason);
    if (zeek_is_off(&c->zeek)) {
        /* Zeek's view stays empty (its state, history and flip are cleared above). */
        out->zeek_last_ns = out->last_ns;
        out->zeek_orig_bytes = out->zeek_resp_bytes = 0;
        return;
    }
    bool zeek_orig_is_b = false;
    zeek_result(&c->zeek, out->zeek_state, out->zeek_history, &zeek_orig_is_b);
    out->zeek_last_ns = c->zeek.last_ns >= out->first_ns ? c->zeek.last_ns : out->last_ns;
    zeek_sizes(&c->zeek, &out->zeek_orig_bytes, &out->zeek_resp_bytes);
    out->zeek_flipped = zeek_orig_is_b != (client == EP_B);
}

/* Copy len bytes of str into dst (cap bytes), cut to fit, NUL-terminated. */
static void put_text(char *dst, size_t cap, const char *str, size_t len)
{
    size_t n = len < cap ? len : cap - 1;
    memcpy(dst, str, n);
    dst[n] = '\0';
}

/* One side's signature and label into *p (zero: tracker_finish cleared it). */
static void put_p0f(struct p0f_memo *memo, const struct p0f_facts *f, uint16_t syn_mss,
                    struct tcpshake_p0f *p)
{
    if (f->ip_version == 0) {
        return; /* no SYN taken (the silent side of an unanswered SYN): nothing to describe */
    }
    const struct p0f_seen *seen = p0f_describe(memo, f, syn_mss);
    put_text(p->sig, sizeof(p->sig), seen->sig, seen->sig_len);
    if (seen->label != NULL) {
        put_text(p->label, sizeof(p->label), seen->label, seen->label_len);
        p->fuzzy = seen->fuzzy;
    }
}

void tracker_p0f(const struct conn *c, struct p0f_memo *memo, struct tcpshake_record *out)
{
    if (memo->off) {
        return; /* tracker_finish left them empty */
    }
    int client = guess_client(c);
    const struct p0f_facts *cf = &c->facts.ep[client].p0f, *sf = &c->facts.ep[1 - client].p0f;
    put_p0f(memo, cf, 0, &out->client_p0f);
    put_p0f(memo, sf, syn_mss_for(c, client, sf), &out->server_p0f);
}
