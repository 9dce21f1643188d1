/*
 * zeek.c - reproduce Zeek's conn.log conn_state, history and byte sizes.
 *
 * What it mirrors (zeek/zeek, read for this file, no code taken):
 *   src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc
 *       Process(): segment length, init_endpoint, get_relative_seq,
 *       update_history, update_window (zero window), init_peer,
 *       update_ack_seq, update_last_seq (retransmission 'T');
 *       UpdateStateMachine and UpdateInactiveState / UpdateSYN_SentState /
 *       UpdateEstablishedState / UpdateClosedState; ConnectionClosed;
 *       IsReuse; AttemptTimer.
 *   src/analyzer/protocol/tcp/TCP_Endpoint.{h,cc}
 *       endpoint states, SetState (inactivity timeout switch), Size(),
 *       NoDataAcked, CheckHistory (responder letters lower case), the
 *       scaled 'T'/'W' letters (Connection::ScaledHistoryEntry: at the 1st,
 *       10th, 100th ... event).
 *   src/Conn.cc / src/session/Session.h
 *       CheckHistory (each letter once per direction), FlipRoles ('^',
 *       history masks are not swapped).
 *   src/packet_analysis/protocol/tcp/TCP.cc   WantConnection (flip a new
 *       connection that does not start with a bare SYN when the sender's
 *       port is in likely_server_ports).
 *   scripts/base/protocols/conn/main.zeek     conn_state().
 *   scripts/base/init-bare.zeek              timer constants (5 s attempt,
 *       close and reset delays; 1 min idle before the handshake completes,
 *       5 min after).
 *
 * How the two sides are kept: ep[0] is whoever sent the caller's first
 * packet, ep[1] the other. A bit says which of them is Zeek's originator;
 * a flip toggles it. Zeek's per-direction history masks stay attached to the
 * role, not the endpoint, as in Zeek.
 *
 * Deliberate differences from Zeek:
 *   - No checksum verification: Zeek drops segments with a bad checksum
 *     (and adds 'C'); we count them. No 'C'.
 *   - No reassembly, so no content gaps: no 'G', and closes that Zeek defers
 *     while data is pending are taken at once.
 *   - Timers are evaluated lazily when the connection's next segment
 *     arrives, as if network time were continuous. Zeek fires them when any
 *     packet advances network time; the difference only shows when a
 *     segment lands within one inter-packet gap of a deadline. Zeek's
 *     periodic ExpireTimer and PartialCloseTimer are not modelled; the
 *     delete, reset, attempt and inactivity timers cover the cases they
 *     would end in practice. The reset timer is assumed armed (Zeek arms
 *     it when a connection_reset handler exists; default scripts have one).
 *   - A connection that starts with a SYN-ACK and is not flipped by port is
 *     flipped when the next segment is an ACK or carries data (Zeek PR
 *     #2191); the history so far is rewritten as '^' plus the old letters
 *     with their case swapped, which is what Zeek logs (e.g. "^hADadFf"
 *     for tcp/http-on-irc-port-missing-syn). The source of this rule was
 *     not read; it is inferred from the PR text and that baseline.
 *   - likely_server_ports is a fixed copy of the TCP ports the default
 *     (non-bare) Zeek scripts register; local redefinitions are unknown.
 *   - History keeps ZEEK_HISTORY_MAX letters; Zeek has no limit. Retransmit
 *     and zero-window counters saturate at 65535, so a 'T' or 'W' that Zeek
 *     would add at the 100000th event is missing.
 *   - Wrap counters saturate at 255 (1 TiB of sequence space).
 */
#include "zeek.h"

#include <stddef.h>
#include <string.h>

#include "seq.h"

/* Zeek's TCP endpoint states, numbered as in init-bare.zeek. */
enum {
    ST_INACTIVE = 0,     /* nothing seen from this side */
    ST_SYN_SENT = 1,     /* SYN seen, no SYN-ACK back yet */
    ST_SYN_ACK_SENT = 2, /* SYN-ACK seen without the initial SYN */
    ST_PARTIAL = 3,      /* data seen, no SYN */
    ST_ESTABLISHED = 4,
    ST_CLOSED = 5, /* FIN seen */
    ST_RESET = 6,  /* RST seen */
};

/* zeek_ep.flags */
enum {
    EPF_FIN = 1u << 0,   /* sent at least one FIN (Size() drops the FIN octet) */
    EPF_CLOSED = 1u << 1 /* Zeek's did_close: its close was reported */
};

/* History masks (TCP_Endpoint::HistoryMasks); the responder's sit 10 bits higher. */
enum {
    HM_SYN = 1u << 0,
    HM_FIN = 1u << 1,
    HM_RST = 1u << 2,
    HM_FIN_RST = 1u << 3,
    HM_DATA = 1u << 4,
    HM_ACK = 1u << 5,
    HM_MULTI = 1u << 6,
    HM_RESP_SHIFT = 10,
    HM_ALL = (1u << 20) - 1,
};

/* zeek_conn.bits above the history masks. */
enum {
    ZB_STARTED = 1u << 20,      /* a segment has been seen */
    ZB_ORIG1 = 1u << 21,        /* ep[1] is Zeek's originator */
    ZB_DEADLINE = 1u << 22,     /* deadline_ns is armed */
    ZB_DELETE = 1u << 23,       /* ... by a delete/reset timer (else the attempt timer) */
    ZB_LONG_IDLE = 1u << 24,    /* handshake over: 5 min idle timeout instead of 1 min */
    ZB_SYNACK_FIRST = 1u << 25, /* began with an unflipped SYN-ACK: flip candidate */
    /* bit 26: ZEEK_OFF (zeek.h) */
    ZB_LEN_SHIFT = 27, /* history length in bits 27..31 */
};
_Static_assert(ZEEK_OFF == 1u << 26, "ZEEK_OFF is the bit between the flags and the length");

#define NS_PER_S            1000000000ull
#define ATTEMPT_DELAY_NS    (5 * NS_PER_S)   /* tcp_attempt_delay */
#define CLOSE_DELAY_NS      (5 * NS_PER_S)   /* tcp_close_delay */
#define RESET_DELAY_NS      (5 * NS_PER_S)   /* tcp_reset_delay */
#define IDLE_SHORT_NS       (60 * NS_PER_S)  /* udp_inactivity_timeout, set by the TCP analyzer */
#define IDLE_LONG_NS        (300 * NS_PER_S) /* tcp_inactivity_timeout */
#define TOO_LARGE_SEQ_DELTA 1048576          /* as in TCPSessionAdapter.cc */

/* History letters by 5-bit code; code 0 is unused. */
static const char letters[] = " SHADFRIQTWCG^shadfriqtwcg";

/*
 * TCP ports in likely_server_ports with Zeek's default scripts loaded
 * (scripts/base/protocols/ * /main.zeek "redef likely_server_ports"),
 * sorted for bsearch-free linear lookup (the list is short).
 */
static const uint16_t likely_server_ports[] = {
    21,   22,   25,   43,   53,   79,   80,   81,   88,   102,  135,  139,  143,   389,
    443,  445,  502,  563,  585,  587,  614,  631,  636,  989,  990,  992,  993,   995,
    1080, 1883, 2811, 3128, 3268, 3306, 3389, 5222, 5223, 5269, 5432, 5900, 5901,  5902,
    5903, 5904, 5905, 5906, 6379, 6666, 6667, 6668, 6669, 8000, 8080, 8888, 20000,
};

/* ------------------------------------------------------------ small helpers */

static unsigned ep_state(const struct zeek_ep *e)
{
    return e->states & 0x0fu;
}

static unsigned ep_prev_state(const struct zeek_ep *e)
{
    return e->states >> 4;
}

static bool is_handshake_state(unsigned s)
{
    return s == ST_INACTIVE || s == ST_SYN_SENT || s == ST_SYN_ACK_SENT;
}

static unsigned orig_index(const struct zeek_conn *z)
{
    return (z->bits & ZB_ORIG1) ? 1u : 0u;
}

static bool is_orig_ep(const struct zeek_conn *z, const struct zeek_ep *e)
{
    return e == &z->ep[orig_index(z)];
}

/* TCP_Endpoint::SetState, with the inactivity-timeout switch it triggers. */
static void set_state(struct zeek_conn *z, struct zeek_ep *e, struct zeek_ep *peer, unsigned s)
{
    unsigned old = ep_state(e);

    if (s == old) {
        return;
    }
    /* Leaving the handshake (both sides still in it) arms the long idle timeout. */
    if (!is_handshake_state(s) && is_handshake_state(old) && is_handshake_state(ep_state(peer))) {
        z->bits |= ZB_LONG_IDLE;
    }
    e->states = (uint8_t)((old << 4) | s);
}

static bool likely_server_port(uint16_t port)
{
    for (size_t i = 0; i < sizeof(likely_server_ports) / sizeof(likely_server_ports[0]); i++) {
        if (likely_server_ports[i] == port) {
            return true;
        }
    }
    return false;
}

/* 64-bit position of a sequence number given its wrap count (ToFullSeqSpace). */
static uint64_t full_seq(uint32_t seq, uint8_t wraps)
{
    return ((uint64_t)wraps << 32) + seq;
}

static void update_last_seq(struct zeek_ep *e, uint32_t seq)
{
    /* TCP_Endpoint::UpdateLastSeq: any numeric decrease is a wrap. */
    if (seq < e->last_seq && e->seq_wraps < UINT8_MAX) {
        e->seq_wraps++;
    }
    e->last_seq = seq;
}

static void update_ack_seq(struct zeek_ep *e, uint32_t ack)
{
    if (ack < e->ack_seq && e->ack_wraps < UINT8_MAX) {
        e->ack_wraps++;
    }
    e->ack_seq = ack;
}

static void init_seqs(struct zeek_ep *e, uint32_t start, uint32_t ack, uint32_t last)
{
    e->start_seq = start;
    e->ack_seq = ack;
    e->last_seq = last;
}

/* ------------------------------------------------------------------ history */

static unsigned hist_len(const struct zeek_conn *z)
{
    return z->bits >> ZB_LEN_SHIFT;
}

static unsigned hist_get(const struct zeek_conn *z, unsigned i)
{
    unsigned bit = i * 5;
    unsigned v = z->hist[bit / 8] | (bit / 8 + 1 < sizeof(z->hist) ? z->hist[bit / 8 + 1] << 8 : 0);
    return (v >> (bit % 8)) & 0x1fu;
}

/* Letter i's five bits, which may straddle two bytes (i < ZEEK_HISTORY_MAX). */
static void hist_put(struct zeek_conn *z, unsigned i, unsigned code)
{
    unsigned bit = i * 5, at = bit / 8, shift = bit % 8;
    bool two = at + 1 < sizeof(z->hist);
    unsigned v = z->hist[at] | (two ? (unsigned)z->hist[at + 1] << 8 : 0u);
    v = (v & ~(0x1fu << shift)) | (code & 0x1fu) << shift;
    z->hist[at] = (uint8_t)v;
    if (two) {
        z->hist[at + 1] = (uint8_t)(v >> 8);
    }
}

static void set_hist_len(struct zeek_conn *z, unsigned n)
{
    z->bits = (z->bits & ((1u << ZB_LEN_SHIFT) - 1)) | (n << ZB_LEN_SHIFT);
}

/* The code of each letter: its index in letters[] (a table, not strchr: letters are
 * added on a fifth of all packets); 0 for anything else. */
static unsigned letter_code(char c)
{
    static const uint8_t code[128] = {
        ['S'] = 1,  ['H'] = 2,  ['A'] = 3,  ['D'] = 4,  ['F'] = 5,  ['R'] = 6,  ['I'] = 7,
        ['Q'] = 8,  ['T'] = 9,  ['W'] = 10, ['C'] = 11, ['G'] = 12, ['^'] = 13, ['s'] = 14,
        ['h'] = 15, ['a'] = 16, ['d'] = 17, ['f'] = 18, ['r'] = 19, ['i'] = 20, ['q'] = 21,
        ['t'] = 22, ['w'] = 23, ['c'] = 24, ['g'] = 25,
    };
    unsigned char u = (unsigned char)c;
    return u < sizeof(code) ? code[u] : 0;
}

/* Connection::AddHistory, for a letter already in the right case. */
static void add_letter(struct zeek_conn *z, char c)
{
    unsigned code = letter_code(c);
    unsigned n = hist_len(z);

    if (code == 0 || n >= ZEEK_HISTORY_MAX) {
        return;
    }
    hist_put(z, n, code);
    set_hist_len(z, n + 1);
}

static char role_case(char upper, bool is_orig)
{
    return is_orig ? upper : (char)(upper - 'A' + 'a');
}

/* TCP_Endpoint::AddHistory: responder letters in lower case. */
static void add_ep_letter(struct zeek_conn *z, const struct zeek_ep *e, char upper)
{
    add_letter(z, role_case(upper, is_orig_ep(z, e)));
}

/* TCP_Endpoint::CheckHistory: true if the letter had been seen already. */
static bool check_history(struct zeek_conn *z, const struct zeek_ep *e, uint32_t mask, char upper)
{
    bool orig = is_orig_ep(z, e);
    uint32_t m = orig ? mask : mask << HM_RESP_SHIFT;

    if (z->bits & m) {
        return true;
    }
    z->bits |= m;
    add_letter(z, role_case(upper, orig));
    return false;
}

/* Connection::ScaledHistoryEntry with base 10: letter at the 1st, 10th, 100th ... event. */
static void scaled_letter(struct zeek_conn *z, const struct zeek_ep *e, uint16_t *count, char upper)
{
    if (*count == UINT16_MAX) {
        return;
    }
    (*count)++;
    for (uint32_t t = 1; t <= *count; t *= 10) {
        if (t == *count) {
            add_ep_letter(z, e, upper);
            return;
        }
    }
}

/* update_history(): the letters one segment contributes. */
static void segment_letters(struct zeek_conn *z, struct zeek_ep *e, unsigned flags,
                            uint32_t rel_seq, uint32_t len)
{
    bool syn = flags & TCP_SYN, fin = flags & TCP_FIN, rst = flags & TCP_RST;
    int n_ctl = (int)syn + (int)fin + (int)rst;

    if (n_ctl > 1) {
        if (fin && rst) {
            check_history(z, e, HM_FIN_RST, 'I');
        } else {
            check_history(z, e, HM_MULTI, 'Q');
        }
    } else if (syn) {
        char code = (flags & TCP_ACK) ? 'H' : 'S';
        /* A repeated SYN counts again only when it starts somewhere new. */
        if (check_history(z, e, HM_SYN, code) && rel_seq != e->hist_syn) {
            add_ep_letter(z, e, code);
        }
        e->hist_syn = rel_seq;
    } else if (fin) {
        /* A FIN's position is at the end of its data. */
        if (check_history(z, e, HM_FIN, 'F') && rel_seq + len != e->hist_fin) {
            add_ep_letter(z, e, 'F');
        }
        e->hist_fin = rel_seq + len;
    } else if (rst) {
        if (check_history(z, e, HM_RST, 'R') && rel_seq != e->hist_rst) {
            add_ep_letter(z, e, 'R');
        }
        e->hist_rst = rel_seq;
    } else if (len > 0) {
        check_history(z, e, HM_DATA, 'D');
    } else if (flags & TCP_ACK) {
        check_history(z, e, HM_ACK, 'A');
    }
}

/* ------------------------------------------------------------------- roles */

/* Connection::FlipRoles: swap roles, append '^'; history masks stay put. */
static void flip_roles(struct zeek_conn *z)
{
    z->bits ^= ZB_ORIG1;
    add_letter(z, '^');
}

/*
 * The late flip of a connection that began with a SYN-ACK (see the top
 * comment): the letters so far change case, '^' goes in front.
 */
static void flip_synack_start(struct zeek_conn *z)
{
    unsigned n = hist_len(z);
    uint32_t masks = z->bits & HM_ALL;
    uint32_t lo = masks & ((1u << HM_RESP_SHIFT) - 1);

    if (n >= ZEEK_HISTORY_MAX) {
        n = ZEEK_HISTORY_MAX - 1;
    }
    for (unsigned i = n; i > 0; i--) {
        unsigned code = hist_get(z, i - 1);
        char c = letters[code];
        if (c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
        } else if (c >= 'a' && c <= 'z') {
            c = (char)(c - 'a' + 'A');
        }
        hist_put(z, i, letter_code(c));
    }
    hist_put(z, 0, letter_code('^'));
    set_hist_len(z, n + 1);
    z->bits = (z->bits & ~(uint32_t)HM_ALL) | (masks >> HM_RESP_SHIFT) | (lo << HM_RESP_SHIFT);
    z->bits ^= ZB_ORIG1;
}

/* First segment of a Zeek connection: roles, and WantConnection's port-based flip. */
static void start_connection(struct zeek_conn *z, unsigned idx, const struct tcp_view *v,
                             uint64_t ts_ns)
{
    bool syn = v->flags & TCP_SYN, ack = v->flags & TCP_ACK;

    z->bits |= ZB_STARTED;
    if (idx == 1) {
        z->bits |= ZB_ORIG1;
    }
    z->last_ns = ts_ns;
    if (syn && !ack) {
        return;
    }
    /* Partial connection or SYN-ACK: the sender may be the real responder. */
    bool flip = false;
    if (likely_server_port(v->tuple.sport)) {
        if (likely_server_port(v->tuple.dport)) {
            /* Both plausible: flip only a non-SYN toward a higher port. */
            flip = !syn && v->tuple.sport < v->tuple.dport;
        } else {
            flip = true;
        }
    }
    if (flip) {
        flip_roles(z);
    } else if (syn && ack && !(v->flags & (TCP_RST | TCP_FIN))) {
        z->bits |= ZB_SYNACK_FIRST;
    }
}

/* ------------------------------------------------------------------ timers */

static void arm_delete(struct zeek_conn *z, uint64_t when_ns)
{
    bool have = (z->bits & (ZB_DEADLINE | ZB_DELETE)) == (ZB_DEADLINE | ZB_DELETE);

    if (!have || when_ns < z->deadline_ns) {
        z->deadline_ns = when_ns;
    }
    z->bits |= ZB_DEADLINE | ZB_DELETE;
}

static void arm_attempt(struct zeek_conn *z, uint64_t when_ns)
{
    /* A delete timer always wins: once anything closed, the attempt can no longer fire. */
    if (z->bits & ZB_DEADLINE) {
        return;
    }
    z->deadline_ns = when_ns;
    z->bits |= ZB_DEADLINE;
}

/* AttemptTimer's test: the originator's SYN is still unanswered. */
static bool attempt_unanswered(const struct zeek_conn *z)
{
    unsigned o = orig_index(z);
    unsigned os = ep_state(&z->ep[o]);

    return (os == ST_SYN_SENT || os == ST_SYN_ACK_SENT) && ep_state(&z->ep[o ^ 1]) == ST_INACTIVE;
}

static inline bool timer_fired(const struct zeek_conn *z, uint64_t ts_ns)
{
    if (z->bits & ZB_DEADLINE && ts_ns >= z->deadline_ns) {
        if (z->bits & ZB_DELETE || attempt_unanswered(z)) {
            return true;
        }
    }
    uint64_t idle = (z->bits & ZB_LONG_IDLE) ? IDLE_LONG_NS : IDLE_SHORT_NS;
    return ts_ns >= z->last_ns && ts_ns - z->last_ns >= idle;
}

/* TCPSessionAdapter::IsReuse: a SYN that starts a new connection on this 4-tuple. */
static bool is_reuse(const struct zeek_conn *z, unsigned flags, uint32_t seq)
{
    const struct zeek_ep *orig = &z->ep[orig_index(z)];
    const struct zeek_ep *resp = &z->ep[orig_index(z) ^ 1];
    const struct zeek_ep *conn_orig = orig;

    if (!(flags & TCP_SYN)) {
        return false;
    }
    if (flags & TCP_ACK) {
        /* Only a half connection can be reused by a SYN-ACK. */
        if (ep_state(orig) != ST_INACTIVE) {
            return false;
        }
        conn_orig = resp;
    }
    if ((orig->flags | resp->flags) & EPF_CLOSED) {
        return true;
    }
    if (seq == conn_orig->start_seq) {
        return false;
    }
    /* A SYN arriving after its own SYN-ACK (capture reordering) is no reuse. */
    if (!(flags & TCP_ACK) && ep_state(conn_orig) == ST_SYN_ACK_SENT &&
        ep_state(resp) == ST_INACTIVE && seq == resp->start_seq) {
        return false;
    }
    return true;
}

/* ---------------------------------------------------------- state machine */

struct seg {
    unsigned flags;
    uint32_t seq;
    uint32_t ack;
    uint32_t len;       /* payload bytes */
    int32_t delta_last; /* update_last_seq's result */
    bool is_orig;       /* sender's role when the segment arrived */
    uint64_t ts_ns;
};

struct close_req {
    bool do_close;
    bool gen_event;
};

/* init_endpoint(): seed or reseed sequence numbers from this segment. */
static void init_endpoint(struct zeek_ep *e, const struct seg *s, uint32_t end_seq)
{
    bool syn = s->flags & TCP_SYN;

    switch (ep_state(e)) {
    case ST_INACTIVE:
        if (syn) {
            init_seqs(e, s->seq, s->seq, end_seq);
        } else {
            /* Partial connection: number as though a SYN preceded this segment. */
            init_seqs(e, s->seq - 1, s->seq - 1, s->seq);
        }
        break;
    case ST_SYN_SENT:
    case ST_SYN_ACK_SENT:
        if (syn && s->seq != e->start_seq) {
            init_seqs(e, s->seq, s->seq, end_seq);
        }
        break;
    case ST_ESTABLISHED:
    case ST_PARTIAL:
        if (syn) {
            /* Guess the connection never got going and this SYN restarts it. */
            init_seqs(e, s->seq, s->seq, end_seq);
        }
        break;
    case ST_RESET:
        /* A SYN after a RST that seeded this side: the RST was likely injected. */
        if (syn && ep_prev_state(e) == ST_INACTIVE) {
            init_seqs(e, s->seq, s->seq, end_seq);
        }
        break;
    default:
        break;
    }
}

/* update_last_seq(): advance last_seq, or count a retransmission ('T'). */
static inline int32_t advance_last_seq(struct zeek_conn *z, struct zeek_ep *e, const struct seg *s,
                                       uint32_t end_seq)
{
    int32_t delta = seq_diff(end_seq, e->last_seq);
    bool syn_or_rst = s->flags & (TCP_SYN | TCP_RST);

    if (syn_or_rst && (delta > TOO_LARGE_SEQ_DELTA || delta < -TOO_LARGE_SEQ_DELTA)) {
        /* Outlandish SYN/RST sequence numbers are not trusted. */
    } else if ((s->flags & TCP_FIN) && e->last_seq == e->start_seq + 1) {
        /* Only the SYN seen so far: trust the FIN even if it looks old (> 2 GB). */
        update_last_seq(e, end_seq);
    } else if (ep_state(e) == ST_RESET) {
        /* Nothing after a RST is trusted. */
    } else if (delta > 0) {
        update_last_seq(e, end_seq);
    } else if (s->len > 0) {
        scaled_letter(z, e, &e->n_rxmt, 'T');
    }
    return delta;
}

/* The ACK field: seed an unseen peer, or move the peer's acknowledged edge. */
static inline void note_ack(struct zeek_ep *peer, const struct seg *s)
{
    if (!(s->flags & TCP_ACK)) {
        return;
    }
    if (ep_state(peer) == ST_INACTIVE) {
        /* init_peer(): number the peer as though its SYN had been seen. */
        init_seqs(peer, s->ack - 1, s->ack - 1, s->ack - 1);
        return;
    }
    /* get_relative_seq() on the ack: an ack below the peer's start is ignored. */
    int32_t d = seq_diff(s->ack, peer->ack_seq);
    unsigned wraps = peer->ack_wraps;
    if (d < 0 && wraps > 0 && s->ack > peer->ack_seq) {
        wraps--;
    } else if (d > 0 && s->ack < peer->ack_seq) {
        wraps++;
    }
    if (wraps == 0 && seq_diff(s->ack, peer->start_seq) < 0) {
        return;
    }
    if (s->flags & TCP_RST) {
        return; /* acks in RSTs are not trusted */
    }
    /* update_ack_seq(): an ack of 0 far ahead is more likely broken than a wrap. */
    if (s->ack == 0 && d > TOO_LARGE_SEQ_DELTA) {
        return;
    }
    if (d > 0) {
        update_ack_seq(peer, s->ack);
    }
}

static void inactive_syn(struct zeek_conn *z, struct zeek_ep *e, struct zeek_ep *peer,
                         const struct seg *s)
{
    if (s->is_orig) {
        set_state(z, e, peer, (s->flags & TCP_ACK) ? ST_SYN_ACK_SENT : ST_SYN_SENT);
        arm_attempt(z, s->ts_ns + ATTEMPT_DELAY_NS);
        return;
    }
    if (!(s->flags & TCP_ACK) && ep_state(peer) == ST_SYN_ACK_SENT && s->seq == e->start_seq) {
        /* The SYN arrived after its SYN-ACK: swap roles and call it established. */
        flip_roles(z);
        set_state(z, peer, e, ST_ESTABLISHED);
    }
    if (ep_state(peer) == ST_SYN_SENT) {
        set_state(z, peer, e, ST_ESTABLISHED);
    }
    set_state(z, e, peer, ST_ESTABLISHED);
}

/* UpdateInactiveState(): first segment from this side. */
static void inactive_state(struct zeek_conn *z, struct zeek_ep *e, struct zeek_ep *peer,
                           const struct seg *s, struct close_req *cr)
{
    if (s->flags & TCP_SYN) {
        inactive_syn(z, e, peer, s);
    }
    if (s->flags & TCP_FIN) {
        set_state(z, e, peer, ST_CLOSED);
        cr->do_close = cr->gen_event = true;
    }
    if (s->flags & TCP_RST) {
        unsigned ps = ep_state(peer);
        bool reject =
                s->is_orig ? ps == ST_ESTABLISHED : (ps == ST_SYN_SENT || ps == ST_SYN_ACK_SENT);
        set_state(z, e, peer, ST_RESET);
        cr->do_close = true;
        cr->gen_event = !reject;
    }
    if (ep_state(e) != ST_INACTIVE) {
        return;
    }
    const struct zeek_ep *orig = &z->ep[orig_index(z)];
    if (!s->is_orig && s->len == 0 && ep_state(orig) == ST_SYN_SENT) {
        /* Some stacks ack the SYN before answering it: not a partial connection. */
    } else if ((s->flags & TCP_ACK) && ep_state(peer) == ST_ESTABLISHED) {
        /* Missed the SYN but saw the SYN-ACK: established, not partial. */
        set_state(z, e, peer, ST_ESTABLISHED);
    } else {
        set_state(z, e, peer, ST_PARTIAL);
    }
}

/* UpdateStateMachine() for the states after INACTIVE. */
static void later_state(struct zeek_conn *z, struct zeek_ep *e, struct zeek_ep *peer,
                        const struct seg *s, struct close_req *cr)
{
    bool syn = s->flags & TCP_SYN, fin = s->flags & TCP_FIN, rst = s->flags & TCP_RST;

    switch (ep_state(e)) {
    case ST_SYN_SENT:
    case ST_SYN_ACK_SENT:
        if (fin) {
            set_state(z, e, peer, ST_CLOSED);
            cr->do_close = cr->gen_event = true;
        }
        if (rst) {
            set_state(z, e, peer, ST_RESET);
            cr->do_close = true;
        }
        break;
    case ST_ESTABLISHED:
    case ST_PARTIAL:
        if (syn && ep_state(e) == ST_PARTIAL && ep_state(peer) == ST_INACTIVE &&
            !(s->flags & TCP_ACK)) {
            set_state(z, e, peer, ST_SYN_SENT); /* SYN after partial */
        }
        if (fin && !rst) {
            set_state(z, e, peer, ST_CLOSED);
            /* The peer's FIN then RST was a normal close after all. */
            if (ep_state(peer) == ST_RESET && ep_prev_state(peer) == ST_CLOSED) {
                set_state(z, peer, e, ST_CLOSED);
            }
            cr->do_close = cr->gen_event = true;
        }
        if (rst) {
            set_state(z, e, peer, ST_RESET);
            cr->do_close = true;
        }
        break;
    case ST_CLOSED:
        /* A RST after our FIN, unless both sides had already finished. */
        if (rst && ep_state(peer) != ST_CLOSED) {
            set_state(z, e, peer, ST_RESET);
            if (!(e->flags & EPF_CLOSED)) {
                cr->do_close = true;
            }
            arm_delete(z, s->ts_ns + RESET_DELAY_NS);
        }
        break;
    default: /* ST_RESET: nothing changes any more */
        break;
    }
}

/* ConnectionClosed(): report this side closed; a complete close ends the row 5 s later. */
static void connection_closed(struct zeek_conn *z, struct zeek_ep *e, const struct zeek_ep *peer)
{
    if (e->flags & EPF_CLOSED) {
        return;
    }
    e->flags |= EPF_CLOSED;
    bool complete =
            ep_state(e) == ST_RESET || (peer->flags & EPF_CLOSED) || ep_state(peer) == ST_INACTIVE;
    if (complete) {
        arm_delete(z, z->last_ns + CLOSE_DELAY_NS);
    }
}

static void zero_window(struct zeek_conn *z, struct zeek_ep *e, const struct zeek_ep *peer,
                        const struct tcp_view *v)
{
    /*
     * update_window(): the scaled window is zero exactly when the raw one is
     * (shift <= 14 on a 16-bit value). Boring with or after a RST, or after
     * the peer's FIN.
     */
    if (v->window == 0 && !(v->flags & TCP_RST) && ep_state(peer) != ST_CLOSED &&
        ep_state(e) != ST_RESET) {
        scaled_letter(z, e, &e->n_win0, 'W');
    }
}

/* --------------------------------------------------------------- exported */

void zeek_init(struct zeek_conn *z)
{
    memset(z, 0, sizeof(*z));
}

bool zeek_restart_due(const struct zeek_conn *z, bool from_first, const struct tcp_view *v,
                      uint64_t ts_ns)
{
    (void)from_first;
    if (!(z->bits & ZB_STARTED)) {
        return false;
    }
    return timer_fired(z, ts_ns) || is_reuse(z, v->flags, v->seq);
}

/*
 * The commonest segment, an ACK or data without SYN, FIN or RST, from a side
 * past INACTIVE, with no delete timer and no attempt timer due, a nonzero
 * window and its history letter already given: of all the steps in
 * zeek_segment, only the sequence and ack edges can move (and a retransmission
 * 'T' be added). Does that and returns true, or returns false without a change
 * when the segment needs the full walk.
 */
static bool plain_segment(struct zeek_conn *z, unsigned idx, const struct tcp_view *v,
                          uint64_t ts_ns)
{
    if ((v->flags & (TCP_SYN | TCP_FIN | TCP_RST)) || v->window == 0 ||
        (z->bits & (ZB_STARTED | ZB_SYNACK_FIRST)) != ZB_STARTED) {
        return false;
    }
    /* A pending attempt timer (armed by every SYN) is fine until it is due. */
    if ((z->bits & ZB_DEADLINE) && ((z->bits & ZB_DELETE) || ts_ns >= z->deadline_ns)) {
        return false;
    }
    struct zeek_ep *e = &z->ep[idx];
    if (ep_state(e) == ST_INACTIVE) {
        return false;
    }
    bool orig = is_orig_ep(z, e);
    uint32_t mask = v->payload_len > 0 ? HM_DATA : (v->flags & TCP_ACK) ? HM_ACK : 0;
    if (!orig) {
        mask <<= HM_RESP_SHIFT;
    }
    if ((z->bits & mask) != mask) {
        return false; /* the letter is new */
    }
    if (timer_fired(z, ts_ns)) {
        return false; /* only the idle timer can fire here */
    }
    if (!((z->ep[0].flags & EPF_CLOSED) && (z->ep[1].flags & EPF_CLOSED))) {
        z->last_ns = ts_ns;
    }
    struct seg s = { .flags = v->flags,
                     .seq = v->seq,
                     .ack = v->ack,
                     .len = v->payload_len,
                     .is_orig = orig,
                     .ts_ns = ts_ns };
    note_ack(&z->ep[idx ^ 1], &s);
    advance_last_seq(z, e, &s, s.seq + s.len);
    return true;
}

void zeek_segment(struct zeek_conn *z, bool from_first, const struct tcp_view *v, uint64_t ts_ns)
{
    unsigned idx = from_first ? 0u : 1u;

    if (zeek_is_off(z)) {
        return;
    }
    if (plain_segment(z, idx, v, ts_ns)) {
        return;
    }
    if (zeek_restart_due(z, from_first, v, ts_ns)) {
        zeek_init(z);
    }
    /* An attempt timer whose SYN got answered simply expires. */
    if ((z->bits & (ZB_DEADLINE | ZB_DELETE)) == ZB_DEADLINE && ts_ns >= z->deadline_ns) {
        z->bits &= ~(uint32_t)ZB_DEADLINE;
    }
    if (!(z->bits & ZB_STARTED)) {
        start_connection(z, idx, v, ts_ns);
    } else if (z->bits & ZB_SYNACK_FIRST) {
        z->bits &= ~(uint32_t)ZB_SYNACK_FIRST;
        /* An ACK or data right after an opening SYN-ACK: no stealth scan, flip. */
        if (!(v->flags & (TCP_SYN | TCP_RST)) && ((v->flags & TCP_ACK) || v->payload_len > 0)) {
            flip_synack_start(z);
        }
    } else {
        z->bits &= ~(uint32_t)ZB_SYNACK_FIRST;
    }

    struct zeek_ep *e = &z->ep[idx];
    struct zeek_ep *peer = &z->ep[idx ^ 1];
    struct seg s = { .flags = v->flags,
                     .seq = v->seq,
                     .ack = v->ack,
                     .len = v->payload_len,
                     .is_orig = is_orig_ep(z, e),
                     .ts_ns = ts_ns };

    /* Sequence space: SYN and FIN take one each; a RST's data is not stream data. */
    uint32_t seg_len = s.len + ((s.flags & TCP_SYN) ? 1 : 0) + ((s.flags & TCP_FIN) ? 1 : 0);
    if (s.flags & TCP_RST) {
        seg_len -= s.len;
    }
    uint32_t end_seq = s.seq + seg_len;

    init_endpoint(e, &s, end_seq);
    segment_letters(z, e, s.flags, s.seq - e->start_seq, s.len);
    zero_window(z, e, peer, v);
    if (!((z->ep[0].flags & EPF_CLOSED) && (z->ep[1].flags & EPF_CLOSED))) {
        z->last_ns = ts_ns;
    }
    if (s.flags & TCP_FIN) {
        e->flags |= EPF_FIN;
    }
    note_ack(peer, &s);
    s.delta_last = advance_last_seq(z, e, &s, end_seq);

    struct close_req cr = { false, false };
    if (ep_state(e) == ST_INACTIVE) {
        inactive_state(z, e, peer, &s, &cr);
    } else {
        later_state(z, e, peer, &s, &cr);
    }
    if (cr.do_close) {
        connection_closed(z, e, peer);
    }
}

/* TCP_Endpoint::Size(). */
static uint64_t ep_size(const struct zeek_ep *e, const struct zeek_ep *peer)
{
    uint64_t start = e->start_seq;
    uint64_t last = full_seq(e->last_seq, e->seq_wraps);
    uint64_t ack = full_seq(e->ack_seq, e->ack_wraps);

    /* A half-open connection found and aborted: its sequence numbers mean nothing. */
    bool no_data_acked = ack == start || ack == start + 1;
    if (ep_prev_state(e) == ST_SYN_SENT && ep_state(e) == ST_RESET &&
        ep_state(peer) == ST_INACTIVE && !no_data_acked) {
        return 0;
    }
    uint64_t size = (last > ack ? last : ack) - start;
    if (size != 0) {
        size--; /* the SYN octet */
    }
    if ((e->flags & EPF_FIN) && size != 0) {
        size--; /* the FIN octet */
    }
    return size;
}

void zeek_sizes(const struct zeek_conn *z, uint64_t *orig_bytes, uint64_t *resp_bytes)
{
    unsigned o = orig_index(z);

    *orig_bytes = ep_size(&z->ep[o], &z->ep[o ^ 1]);
    *resp_bytes = ep_size(&z->ep[o ^ 1], &z->ep[o]);
}

/* conn_state's history test for RSTOS0: ^?S[^HAFGIQ]*R.* must match in full. */
static bool rstos0_history(const char *h)
{
    if (*h == '^') {
        h++;
    }
    if (*h++ != 'S') {
        return false;
    }
    for (; *h != '\0'; h++) {
        if (*h == 'R') {
            return true;
        }
        if (strchr("HAFGIQ", *h) != NULL) {
            return false;
        }
    }
    return false;
}

/* scripts/base/protocols/conn/main.zeek conn_state() for TCP. */
static const char *conn_state(const struct zeek_conn *z, const char *history)
{
    unsigned o = orig_index(z);
    unsigned os = ep_state(&z->ep[o]), rs = ep_state(&z->ep[o ^ 1]);
    bool o_inactive = os == ST_INACTIVE || os == ST_PARTIAL;
    bool r_inactive = rs == ST_INACTIVE || rs == ST_PARTIAL;

    if (rs == ST_RESET) {
        uint64_t ob, rb;
        zeek_sizes(z, &ob, &rb);
        if (os == ST_SYN_SENT || os == ST_SYN_ACK_SENT || (os == ST_RESET && ob == 0 && rb == 0)) {
            return "REJ";
        }
        return o_inactive ? "RSTRH" : "RSTR";
    }
    if (os == ST_RESET) {
        if (r_inactive) {
            return rstos0_history(history) ? "RSTOS0" : "OTH";
        }
        return "RSTO";
    }
    if (rs == ST_CLOSED && os == ST_CLOSED) {
        return "SF";
    }
    if (os == ST_CLOSED) {
        return r_inactive ? "SH" : "S2";
    }
    if (rs == ST_CLOSED) {
        return o_inactive ? "SHR" : "S3";
    }
    if (os == ST_SYN_SENT && rs == ST_INACTIVE) {
        return "S0";
    }
    if (os == ST_ESTABLISHED && rs == ST_ESTABLISHED) {
        return "S1";
    }
    return "OTH";
}

void zeek_result(const struct zeek_conn *z, char state[8], char history[32], bool *flipped)
{
    unsigned n = hist_len(z);

    for (unsigned i = 0; i < n; i++) {
        history[i] = letters[hist_get(z, i)];
    }
    history[n] = '\0';
    *flipped = orig_index(z) == 1;
    if (!(z->bits & ZB_STARTED)) {
        state[0] = '\0';
        return;
    }
    const char *s = conn_state(z, history);
    size_t len = strlen(s);
    memcpy(state, s, len + 1);
}
