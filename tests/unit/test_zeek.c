/*
 * test_zeek.c - Zeek conn_state / history reproduction (src/track/zeek.c).
 *
 * Each case is a short list of segments, as seen on the wire, and the
 * conn_state, history and role flip Zeek would log for them. "first" is the
 * endpoint that sent the first segment; its port is the case's first_port.
 * Sequence numbers: the first sender starts at 1000, the other at 5000.
 */
#include "zeek.h"

#include <string.h>

#include "check.h"
#include "tcpshake.h"

#define MS  1000000ull /* ns */
#define SEC (1000 * MS)

enum { F = TCP_FIN, S = TCP_SYN, R = TCP_RST, P = TCP_PSH, A = TCP_ACK };

struct seg {
    bool first; /* sent by the endpoint that sent the first segment */
    unsigned flags;
    uint32_t seq, ack;
    uint32_t len;    /* payload bytes */
    uint16_t window; /* 0 means "use 1000": zero windows are written as ZW */
    uint64_t at_ns;  /* 0 means 10 ms after the previous segment */
};

#define ZW       0xffffu /* marker: advertise a zero window */
#define MAX_SEGS 16

struct zcase {
    const char *name;
    uint16_t first_port, other_port;
    struct seg segs[MAX_SEGS];
    const char *state;
    const char *history;
    bool flipped;
    int64_t orig_bytes, resp_bytes; /* -1: not checked */
};

/* A plain opening: SYN, SYN-ACK, ACK (client = first). */
#define OPEN_SYN                                                                                   \
    {                                                                                              \
        true, S, 1000, 0, 0, 0, 0                                                                  \
    }
#define OPEN_SYNACK                                                                                \
    {                                                                                              \
        false, S | A, 5000, 1001, 0, 0, 0                                                          \
    }
#define OPEN_ACK                                                                                   \
    {                                                                                              \
        true, A, 1001, 5001, 0, 0, 0                                                               \
    }
#define OPEN OPEN_SYN, OPEN_SYNACK, OPEN_ACK

static const struct zcase cases[] = {
    { "S0: lone SYN", 40000, 80, { { true, S, 1000, 0, 0, 0, 0 } }, "S0", "S", false, 0, 0 },
    { "REJ: SYN answered by RST-ACK",
      40000,
      80,
      { { true, S, 1000, 0, 0, 0, 0 }, { false, R | A, 0, 1001, 0, 0, 0 } },
      "REJ",
      "Sr",
      false,
      0,
      0 },
    { "SF: handshake, data both ways, FIN both ways",
      40000,
      80,
      { OPEN,
        { true, P | A, 1001, 5001, 100, 0, 0 },
        { false, A, 5001, 1101, 0, 0, 0 },
        { false, P | A, 5001, 1101, 200, 0, 0 },
        { true, A, 1101, 5201, 0, 0, 0 },
        { true, F | A, 1101, 5201, 0, 0, 0 },
        { false, F | A, 5201, 1102, 0, 0, 0 },
        { true, A, 1102, 5202, 0, 0, 0 } },
      "SF",
      "ShADadFf",
      false,
      100,
      200 },
    { "S1: established, never closed",
      40000,
      80,
      { OPEN, { true, P | A, 1001, 5001, 10, 0, 0 }, { false, P | A, 5001, 1011, 20, 0, 0 } },
      "S1",
      "ShADd",
      false,
      10,
      20 },
    { "SH: SYN then FIN, no answer",
      40000,
      80,
      { { true, S, 1000, 0, 0, 0, 0 }, { true, F, 1001, 0, 0, 0, 0 } },
      "SH",
      "SF",
      false,
      -1,
      -1 },
    { "SHR: SYN-ACK then FIN from the server, flipped by port",
      80,
      40000,
      { { true, S | A, 5000, 1001, 0, 0, 0 }, { true, F | A, 5001, 1001, 0, 0, 0 } },
      "SHR",
      "^hf",
      true,
      -1,
      -1 },
    { "S2: originator closed, responder silent",
      40000,
      80,
      { OPEN, { true, F | A, 1001, 5001, 0, 0, 0 } },
      "S2",
      "ShAF",
      false,
      -1,
      -1 },
    { "S3: responder closed, originator silent",
      40000,
      80,
      { OPEN, { false, F | A, 5001, 1001, 0, 0, 0 } },
      "S3",
      "ShAf",
      false,
      -1,
      -1 },
    { "RSTO: originator aborts",
      40000,
      80,
      { OPEN, { true, P | A, 1001, 5001, 5, 0, 0 }, { true, R | A, 1006, 5001, 0, 0, 0 } },
      "RSTO",
      "ShADR",
      false,
      5,
      0 },
    { "RSTR: responder aborts",
      40000,
      80,
      { OPEN, { false, R | A, 5001, 1001, 0, 0, 0 } },
      "RSTR",
      "ShAr",
      false,
      -1,
      -1 },
    { "RSTOS0: SYN then the originator's RST",
      40000,
      80,
      { { true, S, 1000, 0, 0, 0, 0 }, { true, R, 1001, 0, 0, 0, 0 } },
      "RSTOS0",
      "SR",
      false,
      -1,
      -1 },
    { "RSTRH: SYN-ACK then RST from the server",
      80,
      40000,
      { { true, S | A, 5000, 1001, 0, 0, 0 }, { true, R, 5001, 0, 0, 0, 0 } },
      "RSTRH",
      "^hr",
      true,
      -1,
      -1 },
    { "OTH: midstream data both ways",
      40000,
      80,
      { { true, P | A, 1001, 5001, 10, 0, 0 }, { false, P | A, 5001, 1011, 10, 0, 0 } },
      "OTH",
      "Dd",
      false,
      10,
      10 },
    { "OTH flipped: midstream, first packet from the server port",
      80,
      40000,
      { { true, P | A, 5001, 1001, 10, 0, 0 }, { false, A, 1001, 5011, 0, 0, 0 } },
      "OTH",
      "^dA",
      true,
      -1,
      -1 },
    { "^ late flip: SYN-ACK between two server ports, then ACK and data (Zeek PR 2191)",
      80,
      6669,
      { { true, S | A, 5000, 1001, 0, 0, 0 },
        { false, A, 1001, 5001, 0, 0, 0 },
        { false, P | A, 1001, 5001, 136, 0, 0 },
        { true, A, 5001, 1137, 0, 0, 0 },
        { true, P | A, 5001, 1137, 500, 0, 0 },
        { false, F | A, 1137, 5501, 0, 0, 0 },
        { true, F | A, 5501, 1138, 0, 0, 0 },
        { false, A, 1138, 5502, 0, 0, 0 } },
      "SF",
      "^hADadFf",
      true,
      136,
      500 },
    { "SYN/SYN-ACK reversal flips mid-connection",
      40001,
      50001,
      { { true, S | A, 5000, 1001, 0, 0, 0 },
        { false, S, 1000, 0, 0, 0, 0 },
        { false, A, 1001, 5001, 0, 0, 0 } },
      "S1",
      "Hs^A",
      true,
      -1,
      -1 },
    { "T: data retransmitted",
      40000,
      80,
      { OPEN, { true, P | A, 1001, 5001, 100, 0, 0 }, { true, P | A, 1001, 5001, 100, 0, 0 } },
      "S1",
      "ShADT",
      false,
      100,
      0 },
    { "TT: the 10th retransmission adds a second T",
      40000,
      80,
      { OPEN,
        { true, P | A, 1001, 5001, 100, 0, 0 },
        { true, P | A, 1001, 5001, 100, 0, 0 },
        { true, P | A, 1001, 5001, 100, 0, 0 },
        { true, P | A, 1001, 5001, 100, 0, 0 },
        { true, P | A, 1001, 5001, 100, 0, 0 },
        { true, P | A, 1001, 5001, 100, 0, 0 },
        { true, P | A, 1001, 5001, 100, 0, 0 },
        { true, P | A, 1001, 5001, 100, 0, 0 },
        { true, P | A, 1001, 5001, 100, 0, 0 },
        { true, P | A, 1001, 5001, 100, 0, 0 },
        { true, P | A, 1001, 5001, 100, 0, 0 } },
      "S1",
      "ShADTT",
      false,
      -1,
      -1 },
    { "W: responder offers a zero window",
      40000,
      80,
      { OPEN, { false, A, 5001, 1001, 0, ZW, 0 } },
      "S1",
      "ShAaw",
      false,
      -1,
      -1 },
    { "Q: SYN+FIN", 40000, 80, { { true, S | F, 1000, 0, 0, 0, 0 } }, "SH", "Q", false, -1, -1 },
    { "I: FIN+RST after the handshake",
      40000,
      80,
      { OPEN, { true, F | R | A, 1001, 5001, 0, 0, 0 } },
      "RSTO",
      "ShAI",
      false,
      -1,
      -1 },
    { "retransmitted SYN with the same ISN adds nothing",
      40000,
      80,
      { { true, S, 1000, 0, 0, 0, 0 }, { true, S, 1000, 0, 0, 0, 1 * SEC } },
      "S0",
      "S",
      false,
      -1,
      -1 },
    { "ACK of the SYN before the SYN-ACK keeps S0",
      40000,
      80,
      { { true, S, 1000, 0, 0, 0, 0 }, { false, A, 0, 1001, 0, 0, 0 } },
      "S0",
      "Sa",
      false,
      -1,
      -1 },
};

static void feed(struct zeek_conn *z, const struct zcase *c)
{
    uint64_t t = 1700000000ull * SEC;

    for (size_t i = 0; i < MAX_SEGS && c->segs[i].flags != 0; i++) {
        const struct seg *s = &c->segs[i];
        struct tcp_view v;
        memset(&v, 0, sizeof(v));
        v.tuple.sport = s->first ? c->first_port : c->other_port;
        v.tuple.dport = s->first ? c->other_port : c->first_port;
        v.flags = (uint16_t)s->flags;
        v.seq = s->seq;
        v.ack = s->ack;
        v.payload_len = s->len;
        v.window = s->window == ZW ? 0 : (s->window ? s->window : 1000);
        t += s->at_ns ? s->at_ns : 10 * MS;
        zeek_segment(z, s->first, &v, t);
    }
}

static void run_cases(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct zcase *c = &cases[i];
        struct zeek_conn z;
        char state[8], history[32];
        bool flipped;
        uint64_t ob, rb;

        zeek_init(&z);
        feed(&z, c);
        zeek_result(&z, state, history, &flipped);
        zeek_sizes(&z, &ob, &rb);
        if (strcmp(state, c->state) != 0 || strcmp(history, c->history) != 0 ||
            flipped != c->flipped) {
            fprintf(stderr, "case: %s\n", c->name);
        }
        CHECK_STR(state, c->state);
        CHECK_STR(history, c->history);
        CHECK_INT(flipped, c->flipped);
        if (c->orig_bytes >= 0) {
            CHECK_U64(ob, (uint64_t)c->orig_bytes);
            CHECK_U64(rb, (uint64_t)c->resp_bytes);
        }
    }
}

static struct tcp_view view(uint16_t sport, uint16_t dport, unsigned flags, uint32_t seq,
                            uint32_t ack)
{
    struct tcp_view v;
    memset(&v, 0, sizeof(v));
    v.tuple.sport = sport;
    v.tuple.dport = dport;
    v.flags = (uint16_t)flags;
    v.seq = seq;
    v.ack = ack;
    v.window = 1000;
    return v;
}

/* When Zeek ends a row and starts a new one for the same 4-tuple. */
static void run_restarts(void)
{
    uint64_t t0 = 1700000000ull * SEC;
    struct zeek_conn z;
    struct tcp_view syn = view(40000, 80, S, 1000, 0);
    struct tcp_view syn_new_isn = view(40000, 80, S, 777777, 0);
    struct tcp_view synack = view(80, 40000, S | A, 5000, 1001);

    /* Unanswered SYN: the attempt timer ends the row 5 s later. */
    zeek_init(&z);
    CHECK(!zeek_restart_due(&z, true, &syn, t0));
    zeek_segment(&z, true, &syn, t0);
    CHECK(!zeek_restart_due(&z, true, &syn, t0 + 3 * SEC));
    CHECK(zeek_restart_due(&z, true, &syn, t0 + 5 * SEC));

    /* Answered SYN: the attempt timer finds nothing to do. */
    zeek_segment(&z, false, &synack, t0 + 10 * MS);
    CHECK(!zeek_restart_due(&z, true, &syn, t0 + 6 * SEC));

    /* A SYN with a new ISN is a new connection (IsReuse). */
    zeek_init(&z);
    zeek_segment(&z, true, &syn, t0);
    CHECK(zeek_restart_due(&z, true, &syn_new_isn, t0 + 1 * SEC));

    /* After a complete close the row is deleted 5 s later. */
    zeek_init(&z);
    struct tcp_view rst = view(80, 40000, R | A, 0, 1001);
    zeek_segment(&z, true, &syn, t0);
    zeek_segment(&z, false, &rst, t0 + 10 * MS);
    struct tcp_view late_ack = view(40000, 80, A, 1001, 1);
    CHECK(!zeek_restart_due(&z, true, &late_ack, t0 + 4 * SEC));
    CHECK(zeek_restart_due(&z, true, &late_ack, t0 + 6 * SEC));

    /* zeek_segment restarts by itself: the late ACK becomes its own row. */
    zeek_segment(&z, true, &late_ack, t0 + 6 * SEC);
    char state[8], history[32];
    bool flipped;
    zeek_result(&z, state, history, &flipped);
    CHECK_STR(state, "OTH");
    CHECK_STR(history, "A");

    /* Midstream data leaves the handshake at once: the 5 min idle timeout applies. */
    zeek_init(&z);
    struct tcp_view data = view(40000, 80, A | P, 1001, 5001);
    data.payload_len = 10;
    zeek_segment(&z, true, &data, t0);
    CHECK(!zeek_restart_due(&z, true, &data, t0 + 299 * SEC));
    CHECK(zeek_restart_due(&z, true, &data, t0 + 300 * SEC));
}

/* The result of an empty state, and the history cut. */
static void run_edges(void)
{
    struct zeek_conn z;
    char state[8], history[32];
    bool flipped = true;

    zeek_init(&z);
    zeek_result(&z, state, history, &flipped);
    CHECK_STR(state, "");
    CHECK_STR(history, "");
    CHECK(!flipped);

    /* New RSTs at new positions keep adding R: the history stops at its cap. */
    uint64_t t = 1700000000ull * SEC;
    struct tcp_view v = view(40000, 80, A | P, 1001, 5001);
    v.payload_len = 1;
    zeek_segment(&z, true, &v, t);
    for (uint32_t i = 0; i < 40; i++) {
        struct tcp_view r = view(80, 40000, R, 5001 + i * 7, 0);
        zeek_segment(&z, false, &r, t + (i + 1) * MS);
    }
    zeek_result(&z, state, history, &flipped);
    CHECK_INT(strlen(history), ZEEK_HISTORY_MAX);
    CHECK_STR(state, "RSTRH");
}

/* Turned off, a connection's Zeek state stays as it started: no history, no
 * state, no sizes, however many segments it sees. */
static void run_off(void)
{
    struct zeek_conn z, empty;
    zeek_init(&z);
    zeek_turn_off(&z);
    empty = z;
    CHECK(zeek_is_off(&z));
    struct tcp_view syn = { .flags = S, .seq = 1000, .window = 1000 };
    struct tcp_view synack = { .flags = S | A, .seq = 5000, .ack = 1001, .window = 1000 };
    struct tcp_view data = {
        .flags = A | P, .seq = 1001, .ack = 5001, .window = 1000, .payload_len = 100
    };
    zeek_segment(&z, true, &syn, 1 * SEC);
    zeek_segment(&z, false, &synack, 2 * SEC);
    zeek_segment(&z, true, &data, 3 * SEC);
    CHECK(memcmp(&z, &empty, sizeof(z)) == 0);
    char state[8], history[32];
    bool flipped = true;
    zeek_result(&z, state, history, &flipped);
    CHECK_STR(state, "");
    CHECK_STR(history, "");
    CHECK(!flipped);
    uint64_t orig = 1, resp = 1;
    zeek_sizes(&z, &orig, &resp);
    CHECK_INT(orig, 0);
    CHECK_INT(resp, 0);
}

/* ------------------------------------------------------------ through the handle */

#define HANDLE_RECORDS 64

struct kept {
    size_t n;
    struct tcpshake_record r[HANDLE_RECORDS];
};

static void keep(const struct tcpshake_record *r, void *user)
{
    struct kept *k = user;
    if (k->n < HANDLE_RECORDS) {
        memcpy(&k->r[k->n], r, sizeof(*r)); /* padding too: the records are compared whole */
    }
    k->n++;
}

/* The records of path on threads threads, Zeek's view on or off. */
static void run_handle(const char *path, unsigned threads, bool zeek, struct kept *k)
{
    struct tcpshake_config cfg;
    tcpshake_config_default(&cfg);
    cfg.threads = threads;
    k->n = 0;
    struct tcpshake *h = tcpshake_new(&cfg, keep, k);
    CHECK(h != NULL);
    if (h == NULL) {
        return;
    }
    if (!zeek) {
        CHECK_INT(tcpshake_set_zeek(h, false), TCPSHAKE_OK);
    }
    CHECK_INT(tcpshake_open_file(h, path), TCPSHAKE_OK);
    CHECK_INT(tcpshake_run(h), TCPSHAKE_OK);
    CHECK_INT(tcpshake_set_zeek(h, true), TCPSHAKE_ERR_STATE);
    CHECK_STR(tcpshake_errmsg(h), "Zeek's states and histories are turned on or off before the "
                                  "first packet");
    tcpshake_free(h);
}

/* tcpshake_set_zeek(h, false): the same records, their Zeek members empty; on
 * three threads as on one. */
static void run_handle_off(const char *path, unsigned threads)
{
    static struct kept on, off;
    run_handle(path, threads, true, &on);
    run_handle(path, threads, false, &off);
    CHECK(on.n > 0 && on.n <= HANDLE_RECORDS);
    CHECK_INT(off.n, on.n);
    size_t shown = 0;
    for (size_t i = 0; i < on.n && i < off.n && i < HANDLE_RECORDS; i++) {
        struct tcpshake_record *a = &on.r[i];
        const struct tcpshake_record *b = &off.r[i];
        shown += a->zeek_state[0] != '\0' && a->zeek_history[0] != '\0';
        CHECK_STR(b->zeek_state, "");
        CHECK_STR(b->zeek_history, "");
        CHECK(!b->zeek_flipped);
        CHECK_INT(b->zeek_orig_bytes, 0);
        CHECK_INT(b->zeek_resp_bytes, 0);
        CHECK_INT(b->zeek_last_ns, b->last_ns);
        /* Everything else as with Zeek's view. */
        memset(a->zeek_state, 0, sizeof(a->zeek_state));
        memset(a->zeek_history, 0, sizeof(a->zeek_history));
        a->zeek_flipped = false;
        a->zeek_orig_bytes = a->zeek_resp_bytes = 0;
        a->zeek_last_ns = a->last_ns;
        CHECK(memcmp(a, b, sizeof(*a)) == 0);
    }
    CHECK_INT(shown, on.n); /* the view was there to leave out */
}

int main(void)
{
    CHECK_INT(sizeof(struct zeek_conn), 96);
    run_cases();
    run_restarts();
    run_edges();
    run_off();
    run_handle_off("tests/data/sample.pcap", 1);
    run_handle_off("tests/data/sample.pcap", 3);
    /* Connections restarted by port reuse are turned off as they start again. */
    run_handle_off("tests/data/handshakes.pcap", 1);
    run_handle_off("tests/data/handshakes.pcap", 3);
    return check_report("zeek");
}
