/*
 * tlsflow.c - the TLS handshake of a tracked connection (tlsflow.h): when to
 * look, reassembly of each side's first flights, the observer's events
 * turned into the record's tls object.
 *
 * The rules that turn records into times (times are those of the segment
 * that completed the record, as tshark times a message by the frame that
 * completes it):
 *
 *   client_hello_ns   the first ClientHello; client_hello2_ns the one
 *                     answering a HelloRetryRequest
 *   server_hello_ns   the ServerHello (not a HelloRetryRequest)
 *   client_flight_ns  TLS 1.2: the client's first record after its
 *                     ChangeCipherSpec (its Finished); TLS 1.3: the client's
 *                     first record after the ServerHello that is not a
 *                     ChangeCipherSpec (its Finished, or its Certificate)
 *   server_flight_ns  the last server record (handshake, CCS or, in TLS 1.3,
 *                     encrypted handshake) completed before client_flight_ns
 *   client_data_ns    TLS 1.2: the client's first record of type 23; TLS 1.3:
 *                     its first type-23 record after client_flight_ns (the
 *                     one after its Finished: with a client certificate this
 *                     is still part of its flight, which is not visible)
 *   server_data_ns    TLS 1.2: the server's first record of type 23; TLS 1.3:
 *                     its first type-23 record after client_flight_ns (a
 *                     NewSessionTicket counts: it is encrypted like data)
 *
 * Resumption: TLS 1.3, the ServerHello selects a pre_shared_key (3). TLS 1.2,
 * an abbreviated handshake: the server's ChangeCipherSpec comes before the
 * client has sent anything after its ClientHello (no Certificate, no key
 * exchange); then by ticket (2) when the client offered the session_ticket
 * extension, else by session id (1) when the server echoed the client's.
 */
#include "tlsflow.h"

#include <string.h>

#include "tls.h"
#include "tracker.h"

enum { SIDE_CLIENT = 0, SIDE_SERVER = 1, EV_BATCH = 16 };

struct tlsflow_facts {
    struct tcpshake_tls tls; /* in client / server terms */
    uint32_t work;           /* work item, 0 once released */
    uint8_t client_ep;       /* conn endpoint (0 A, 1 B) of the TLS client */
    bool final;              /* the outcome in tls is decided */
    bool ch_seen, sh_seen;   /* the first ClientHello, the real ServerHello */
    bool client_ccs;         /* the client's ChangeCipherSpec after the ServerHello */
    bool client_spoke;       /* the client sent a record after its ClientHello(s) */
    bool abbreviated;        /* TLS 1.2: server CCS before any client flight */
    bool sid_echo;           /* the ServerHello echoed the client's session id */
    bool ch_truncated;       /* the client's stream stopped at a snaplen cut */
    uint64_t last_server_ns; /* last server record before the client's flight */
};

struct tlsflow_work {
    struct tls_side obs[2]; /* [SIDE_CLIENT], [SIDE_SERVER] */
    struct reasm rs[2];
    bool started[2];
    uint8_t buf[2][TLS_SIDE_CAP];
};

bool tlsflow_pool_init(struct tlsflow_pool *p, uint32_t n_work, uint32_t n_facts,
                       uint64_t *untracked)
{
    memset(p, 0, sizeof(*p));
    p->untracked = untracked;
    if (!slot_pool_init(&p->facts, n_facts, sizeof(struct tlsflow_facts)) ||
        !slot_pool_init(&p->work, n_work, sizeof(struct tlsflow_work))) {
        tlsflow_pool_release(p);
        return false;
    }
    return true;
}

void tlsflow_pool_release(struct tlsflow_pool *p)
{
    slot_pool_release(&p->facts);
    slot_pool_release(&p->work);
}

static struct tlsflow_facts *facts(const struct tlsflow_pool *p, const struct conn *c)
{
    return c->tls != 0 ? slot_pool_at(&p->facts, c->tls) : NULL;
}

static int endpoint(const struct conn *c, const struct tcp_view *v)
{
    return v->tuple.sport == c->a_port && memcmp(v->tuple.src, c->a_addr, sizeof(c->a_addr)) == 0
                   ? 0
                   : 1;
}

static bool tls13(const struct tlsflow_facts *f)
{
    return f->tls.version >= 0x0304 && f->tls.version < 0x7f00;
}

static void end_with(struct tlsflow_facts *f, enum tcpshake_tls_outcome o)
{
    if (!f->final && f->tls.client_flight_ns == 0) {
        f->tls.outcome = o;
        f->final = true;
    }
}

static void take_client_hello(struct tlsflow_facts *f, const struct tls_client_hello *ch,
                              uint64_t ts_ns)
{
    struct tcpshake_tls *t = &f->tls;
    f->ch_seen = true;
    t->client_hello_ns = ts_ns;
    t->ch_legacy_version = ch->legacy_version;
    t->n_ch_versions =
            ch->n_versions < TCPSHAKE_TLS_LIST_MAX ? ch->n_versions : TCPSHAKE_TLS_LIST_MAX;
    memcpy(t->ch_versions, ch->versions, t->n_ch_versions * sizeof(t->ch_versions[0]));
    memcpy(t->sni, ch->sni, sizeof(t->sni));
    t->sni[sizeof(t->sni) - 1] = '\0';
    memcpy(t->alpn_offered, ch->alpn, sizeof(t->alpn_offered));
    t->alpn_offered[sizeof(t->alpn_offered) - 1] = '\0';
    t->n_ciphers = ch->n_ciphers;
    t->n_extensions = ch->n_extensions;
    t->n_groups_offered =
            ch->n_groups < TCPSHAKE_TLS_LIST_MAX ? ch->n_groups : TCPSHAKE_TLS_LIST_MAX;
    memcpy(t->groups_offered, ch->groups, t->n_groups_offered * sizeof(t->groups_offered[0]));
    t->session_id_offered = ch->session_id_len > 0;
    t->ticket_offered = ch->session_ticket;
    t->psk_offered = ch->psk;
    t->early_data_offered = ch->early_data;
    memcpy(t->ja4, ch->ja4, TLS_JA4_LEN);
    t->ja4[TLS_JA4_LEN] = '\0';
}

static void take_server_hello(struct tlsflow_facts *f, const struct tls_server_hello *sh,
                              const struct tls_client_hello *ch, uint64_t ts_ns)
{
    struct tcpshake_tls *t = &f->tls;
    f->sh_seen = true;
    t->server_hello_ns = ts_ns;
    t->version = sh->version;
    t->cipher = sh->cipher;
    t->group = sh->group;
    memcpy(t->alpn, sh->alpn, sizeof(t->alpn));
    t->alpn[sizeof(t->alpn) - 1] = '\0';
    f->sid_echo = sh->session_id_len > 0 && sh->session_id_len == ch->session_id_len &&
                  memcmp(sh->session_id, ch->session_id, sh->session_id_len) == 0;
    if (tls13(f) && sh->psk) {
        t->resumption = 3;
    }
}

static void on_hello(struct tlsflow_facts *f, struct tlsflow_work *w, int side, uint64_t ts_ns)
{
    struct tcpshake_tls *t = &f->tls;
    if (side == SIDE_CLIENT) {
        if (!f->ch_seen) {
            take_client_hello(f, &w->obs[SIDE_CLIENT].ch, ts_ns);
        } else if (t->hrr && t->client_hello2_ns == 0) {
            t->client_hello2_ns = ts_ns;
        }
        return;
    }
    const struct tls_server_hello *sh = &w->obs[SIDE_SERVER].sh;
    if (sh->hrr) {
        t->hrr = true;
        f->last_server_ns = ts_ns;
    } else if (!f->sh_seen) {
        take_server_hello(f, sh, &w->obs[SIDE_CLIENT].ch, ts_ns);
        f->last_server_ns = ts_ns;
    }
}

/* A server record other than a hello. */
static void on_server_record(struct tlsflow_facts *f, enum tls_event_kind kind, uint64_t ts_ns)
{
    struct tcpshake_tls *t = &f->tls;
    if (!f->sh_seen) {
        return;
    }
    if (t->client_flight_ns == 0) {
        f->last_server_ns = ts_ns;
    }
    if (kind == TLS_EV_CCS && !tls13(f) && !f->client_spoke) {
        f->abbreviated = true;
    }
    if (kind == TLS_EV_APP_DATA && t->server_data_ns == 0 &&
        (!tls13(f) || t->client_flight_ns != 0)) {
        t->server_data_ns = ts_ns;
    }
}

/* A client record other than a hello. */
static void on_client_record(struct tlsflow_facts *f, enum tls_event_kind kind, uint64_t ts_ns)
{
    struct tcpshake_tls *t = &f->tls;
    if (!f->sh_seen) {
        return;
    }
    f->client_spoke = true;
    bool flight_before = t->client_flight_ns != 0;
    if (!flight_before) {
        bool flight = tls13(f) ? kind != TLS_EV_CCS : f->client_ccs && kind != TLS_EV_CCS;
        if (kind == TLS_EV_CCS) {
            f->client_ccs = true;
        }
        if (flight) {
            t->client_flight_ns = ts_ns;
            t->server_flight_ns = f->last_server_ns;
        }
    }
    if (kind == TLS_EV_APP_DATA && t->client_data_ns == 0 && (!tls13(f) || flight_before)) {
        t->client_data_ns = ts_ns;
    }
}

static void on_event(struct tlsflow_facts *f, struct tlsflow_work *w, int side,
                     const struct tls_event *ev, uint64_t ts_ns)
{
    struct tcpshake_tls *t = &f->tls;
    switch (ev->kind) {
    case TLS_EV_CLIENT_HELLO:
    case TLS_EV_SERVER_HELLO:
        on_hello(f, w, side, ts_ns);
        break;
    case TLS_EV_HANDSHAKE:
    case TLS_EV_CCS:
    case TLS_EV_APP_DATA:
        if (side == SIDE_SERVER) {
            on_server_record(f, ev->kind, ts_ns);
        } else {
            on_client_record(f, ev->kind, ts_ns);
        }
        break;
    case TLS_EV_ALERT:
        if (t->alert_by == TCPSHAKE_WHO_NONE) {
            t->alert_level = ev->alert_level;
            t->alert_desc = ev->alert_desc;
            t->alert_by = side == SIDE_CLIENT ? TCPSHAKE_WHO_CLIENT : TCPSHAKE_WHO_SERVER;
            t->alert_ns = ts_ns;
        }
        end_with(f, TCPSHAKE_TLS_ALERT);
        break;
    case TLS_EV_NOT_TLS:
        end_with(f, side == SIDE_SERVER && !f->sh_seen ? TCPSHAKE_TLS_NO_SERVER_HELLO
                                                       : TCPSHAKE_TLS_MALFORMED);
        break;
    case TLS_EV_MALFORMED:
        end_with(f, TCPSHAKE_TLS_MALFORMED);
        break;
    case TLS_EV_CAP:
        end_with(f, TCPSHAKE_TLS_CAPPED);
        break;
    }
}

/* Read the records side's prefix now completes. */
static void scan(struct tlsflow_facts *f, struct tlsflow_work *w, int side, uint64_t ts_ns)
{
    struct tls_event ev[EV_BATCH];
    size_t n;
    do {
        n = tls_side_scan(&w->obs[side], w->buf[side], w->rs[side].have, ev, EV_BATCH);
        for (size_t i = 0; i < n; i++) {
            on_event(f, w, side, &ev[i], ts_ns);
        }
    } while (n == EV_BATCH);
}

/* Nothing more to learn from the bytes: the work item can go. */
static bool decided(const struct tlsflow_facts *f, const struct tlsflow_work *w)
{
    const struct tcpshake_tls *t = &f->tls;
    if (f->final) {
        return true;
    }
    if (t->client_flight_ns != 0 && t->client_data_ns != 0 && t->server_data_ns != 0) {
        return true;
    }
    return w->obs[SIDE_CLIENT].stopped && w->obs[SIDE_SERVER].stopped;
}

/* Where a side's stream starts: ISN + 1 when its SYN was seen, else the
 * first payload's sequence number. */
static uint32_t stream_base(const struct conn *c, int ep, uint32_t data_seq)
{
    const struct side_facts *s = &c->facts.ep[ep];
    return s->syn_seen ? s->isn + 1 : data_seq;
}

/* A payload that opens with a ClientHello record (5-byte record header, then
 * handshake type 1). */
static bool starts_client_hello(const struct tcp_view *v)
{
    return v->payload != NULL && v->payload_cap > 5 && v->payload[5] == 1 &&
           tls_looks_like(v->payload, v->payload_cap);
}

/* The client's first payload: does its stream start with a TLS handshake
 * record? Takes the pool's items when it does. */
static void start(struct tlsflow_pool *p, struct conn *c, const struct tcp_view *v, int client,
                  uint32_t data_seq)
{
    uint32_t base = stream_base(c, client, data_seq);
    int32_t off = (int32_t)(data_seq - base);
    if (off > 0) {
        /* The first bytes are still to come (reordered): wait for them, not for ever. */
        if ((uint32_t)off >= TLS_SIDE_CAP) {
            c->tls_state = TLSFLOW_NONE;
        }
        return;
    }
    uint32_t skip = (uint32_t)-off;
    if (v->payload == NULL || skip >= v->payload_cap ||
        !tls_looks_like(v->payload + skip, v->payload_cap - skip)) {
        c->tls_state = TLSFLOW_NONE;
        return;
    }
    uint32_t fi = slot_pool_get(&p->facts);
    uint32_t wi = fi != 0 ? slot_pool_get(&p->work) : 0;
    if (wi == 0) {
        slot_pool_put(&p->facts, fi);
        c->tls_state = TLSFLOW_NO_ROOM;
        if (p->untracked != NULL) {
            (*p->untracked)++;
        }
        return;
    }
    c->tls = fi;
    c->tls_state = TLSFLOW_LOOKING;
    struct tlsflow_facts *f = slot_pool_at(&p->facts, fi);
    struct tlsflow_work *w = slot_pool_at(&p->work, wi);
    f->work = wi;
    f->client_ep = (uint8_t)client;
    tls_side_init(&w->obs[SIDE_CLIENT], true);
    tls_side_init(&w->obs[SIDE_SERVER], false);
    reasm_init(&w->rs[SIDE_CLIENT], base, TLS_SIDE_CAP);
    w->started[SIDE_CLIENT] = true;
}

static void release_work(struct tlsflow_pool *p, struct conn *c, struct tlsflow_facts *f)
{
    slot_pool_put(&p->work, f->work);
    f->work = 0;
    c->tls_state = TLSFLOW_DONE;
}

static void payload(struct tlsflow_facts *f, struct tlsflow_work *w, struct conn *c, int side,
                    const struct tcp_view *v, uint32_t data_seq, uint64_t ts_ns)
{
    if (!w->started[side]) {
        int ep = side == SIDE_CLIENT ? f->client_ep : 1 - f->client_ep;
        reasm_init(&w->rs[side], stream_base(c, ep, data_seq), TLS_SIDE_CAP);
        w->started[side] = true;
    }
    struct reasm *r = &w->rs[side];
    if (v->payload != NULL &&
        reasm_place(r, w->buf[side], data_seq, v->payload, v->payload_cap, v->payload_len)) {
        scan(f, w, side, ts_ns);
    } else if (v->payload == NULL && v->payload_cap < v->payload_len) {
        /* Not carried, and cut: its bytes count as missing. */
        reasm_place(r, w->buf[side], data_seq, NULL, 0, v->payload_len);
    }
    if (reasm_stuck_cut(r) && !w->obs[side].stopped) {
        if (side == SIDE_CLIENT && !f->ch_seen) {
            f->ch_truncated = true;
        }
        end_with(f, TCPSHAKE_TLS_TRUNCATED);
    }
}

void tlsflow_segment(struct tlsflow_pool *p, struct conn *c, const struct tcp_view *v,
                     uint64_t ts_ns)
{
    int ep = endpoint(c, v);
    uint32_t data_seq = v->seq + ((v->flags & TCP_SYN) ? 1u : 0u);
    if (c->tls_state == TLSFLOW_UNSEEN) {
        if (v->payload_len == 0 || (v->flags & TCP_RST)) {
            return;
        }
        int client = c->client;
        if (!c->roles_known) {
            /* No SYN or SYN-ACK: the first payload says who the client is, if it
             * is a ClientHello; anything else and the hellos are not here. */
            if (!starts_client_hello(v)) {
                c->tls_state = TLSFLOW_NONE;
                return;
            }
            client = ep;
        } else if (ep != client) {
            return; /* the server speaks first: wait for the client */
        }
        start(p, c, v, client, data_seq);
        if (c->tls_state != TLSFLOW_LOOKING) {
            return;
        }
    }
    struct tlsflow_facts *f = facts(p, c);
    struct tlsflow_work *w = slot_pool_at(&p->work, f->work);
    int side = ep == f->client_ep ? SIDE_CLIENT : SIDE_SERVER;
    enum tcpshake_who who = side == SIDE_CLIENT ? TCPSHAKE_WHO_CLIENT : TCPSHAKE_WHO_SERVER;
    if (v->flags & TCP_RST) {
        if (!f->final && f->tls.client_flight_ns == 0) {
            f->tls.closed_by = who;
        }
        end_with(f, TCPSHAKE_TLS_RESET);
    } else {
        if (v->payload_len > 0) {
            payload(f, w, c, side, v, data_seq, ts_ns);
        }
        /* A FIN is only half a close: the other side may still answer (a client
         * that sends its ClientHello and FIN still gets a ServerHello), so reading
         * goes on, and the outcome is FIN if nothing decides it before the end. */
        if ((v->flags & TCP_FIN) && !f->final && f->tls.client_flight_ns == 0 &&
            f->tls.closed_by == TCPSHAKE_WHO_NONE) {
            f->tls.closed_by = who;
        }
    }
    if (decided(f, w)) {
        release_work(p, c, f);
    }
}

static enum tcpshake_who swap_who(enum tcpshake_who w)
{
    return w == TCPSHAKE_WHO_CLIENT   ? TCPSHAKE_WHO_SERVER
           : w == TCPSHAKE_WHO_SERVER ? TCPSHAKE_WHO_CLIENT
                                      : w;
}

static int64_t span(uint64_t from, uint64_t to)
{
    return from != 0 && to != 0 && to >= from ? (int64_t)(to - from) : TCPSHAKE_NO_TIME;
}

static enum tcpshake_tls_outcome undecided_outcome(const struct tlsflow_facts *f)
{
    if (f->tls.client_flight_ns != 0) {
        return TCPSHAKE_TLS_ESTABLISHED;
    }
    if (f->tls.closed_by != TCPSHAKE_WHO_NONE) {
        return TCPSHAKE_TLS_FIN; /* a FIN came before the handshake was decided */
    }
    if (!f->ch_seen) {
        return f->ch_truncated ? TCPSHAKE_TLS_TRUNCATED : TCPSHAKE_TLS_INCOMPLETE;
    }
    return f->sh_seen ? TCPSHAKE_TLS_INCOMPLETE : TCPSHAKE_TLS_NO_SERVER_HELLO;
}

void tlsflow_finish(const struct tlsflow_pool *p, const struct conn *c, struct tcpshake_record *out)
{
    struct tcpshake_tls *t = &out->tls; /* zero: tracker_finish cleared the record */
    if (c->tls_state == TLSFLOW_NO_ROOM) {
        t->outcome = TCPSHAKE_TLS_UNTRACKED;
        t->server_side_ns = t->client_side_ns = t->handshake_ns = t->syn_to_data_ns =
                TCPSHAKE_NO_TIME;
        return;
    }
    const struct tlsflow_facts *f = facts(p, c);
    if (f == NULL) {
        return;
    }
    *t = f->tls;
    /* Without a SYN the record's client is a guess by port; the TLS client
     * is the one that sent the ClientHello. Name who did what in the
     * record's terms. */
    const struct side_facts *tc = &c->facts.ep[f->client_ep];
    if (tc->port != out->client.port || memcmp(tc->addr, out->client.addr, sizeof(tc->addr)) != 0) {
        t->alert_by = swap_who(t->alert_by);
        t->closed_by = swap_who(t->closed_by);
    }
    if (!f->final) {
        t->outcome = undecided_outcome(f);
    }
    if (f->abbreviated && !tls13(f)) {
        t->resumption = f->tls.ticket_offered ? 2 : f->sid_echo ? 1 : 2;
    }
    t->resumed = t->resumption != 0;
    uint64_t asked = t->client_hello2_ns != 0 ? t->client_hello2_ns : t->client_hello_ns;
    t->server_side_ns = span(asked, t->server_hello_ns);
    t->client_side_ns = span(t->server_flight_ns, t->client_flight_ns);
    t->handshake_ns = span(t->client_hello_ns, t->client_flight_ns);
    uint64_t data = t->client_data_ns;
    if (data == 0 || (t->server_data_ns != 0 && t->server_data_ns < data)) {
        data = t->server_data_ns;
    }
    t->syn_to_data_ns = span(out->syn_ns, data);
}

void tlsflow_release(struct tlsflow_pool *p, struct conn *c)
{
    struct tlsflow_facts *f = facts(p, c);
    if (f != NULL) {
        slot_pool_put(&p->work, f->work);
        slot_pool_put(&p->facts, c->tls);
    }
    c->tls = 0;
    c->tls_state = TLSFLOW_UNSEEN;
}
