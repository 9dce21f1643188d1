/*
 * test_ladder.c - the ladders (src/ladder/ladder.c, tcpshake/ladder.h).
 *
 * On tests/data/handshakes.pcap (real Linux stacks; see its README): every
 * ladder's brackets are the record's server_side_ns and client_side_ns, and
 * the rows they join are exactly that far apart; the notes that explain the
 * record are where the capture says. On fed segments: the bounds (rows per
 * ladder, rows held in all, ladders kept) and the selections.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tcpshake.h"

static struct tcpshake *new_handle(void)
{
    struct tcpshake_config cfg;
    tcpshake_config_default(&cfg);
    cfg.threads = 1;
    return tcpshake_new(&cfg, NULL, NULL);
}

/* Run path through a fresh handle into a ladder set made from lc. */
static struct tcpshake_ladders *ladders_of(const char *path,
                                           const struct tcpshake_ladder_config *lc)
{
    struct tcpshake_ladders *ls = tcpshake_ladders_new(lc);
    struct tcpshake *h = new_handle();
    CHECK(ls != NULL && h != NULL);
    CHECK_INT(tcpshake_set_ladders(h, ls), TCPSHAKE_OK);
    CHECK_INT(tcpshake_set_ladders(h, ls), TCPSHAKE_ERR_STATE);
    CHECK_INT(tcpshake_open_file(h, path), TCPSHAKE_OK);
    CHECK_INT(tcpshake_run(h), TCPSHAKE_OK);
    tcpshake_free(h);
    return ls;
}

static const struct tcpshake_ladder *by_port(const struct tcpshake_ladders *ls, uint16_t client,
                                             uint16_t server)
{
    for (size_t i = 0; i < tcpshake_ladders_count(ls); i++) {
        const struct tcpshake_ladder *l = tcpshake_ladders_get(ls, i);
        if (l->rec.client.port == client && l->rec.server.port == server) {
            return l;
        }
    }
    return NULL;
}

/* The rows with every one of the note bits, as a count. */
static size_t rows_with(const struct tcpshake_ladder *l, uint32_t notes)
{
    size_t n = 0;
    for (size_t i = 0; l != NULL && i < l->n_rows; i++) {
        n += (l->rows[i].notes & notes) == notes;
    }
    return n;
}

static void check_bracket(const struct tcpshake_ladder *l, const struct tcpshake_ladder_bracket *b,
                          int64_t want)
{
    if (want == TCPSHAKE_NO_TIME) {
        CHECK(!b->present);
        return;
    }
    CHECK(b->present);
    if (!b->present) {
        return;
    }
    CHECK_INT(b->ns, want);
    CHECK(b->from_row < b->to_row && b->to_row < l->n_rows);
    CHECK_INT((int64_t)(l->rows[b->to_row].t_ns - l->rows[b->from_row].t_ns), want);
}

static void test_capture(void)
{
    struct tcpshake_ladder_config lc;
    tcpshake_ladder_config_default(&lc);
    struct tcpshake_ladders *ls = ladders_of("tests/data/handshakes.pcap", &lc);
    CHECK_U64(tcpshake_ladders_count(ls), 22);
    CHECK_U64(tcpshake_ladders_matched(ls), 22);
    CHECK_U64(tcpshake_ladders_pool_drops(ls), 0);
    for (size_t i = 0; i < tcpshake_ladders_count(ls); i++) {
        const struct tcpshake_ladder *l = tcpshake_ladders_get(ls, i);
        check_bracket(l, &l->server_side, l->rec.server_side_ns);
        check_bracket(l, &l->client_side, l->rec.client_side_ns);
        CHECK(i == 0 || tcpshake_ladders_get(ls, i - 1)->rec.id < l->rec.id);
        CHECK_U64(l->segments_lost, 0);
        CHECK_U64(l->rows[0].t_ns, l->rec.first_ns);
        /* Every segment is a row or in a run: the counts add up to the record's. */
        uint64_t segs[2] = { 0, 0 };
        for (size_t r = 0; r < l->n_rows; r++) {
            const struct tcpshake_ladder_row *row = &l->rows[r];
            if (row->kind == TCPSHAKE_LADDER_KIND_SEGMENT) {
                segs[row->dir]++;
            } else if (row->kind == TCPSHAKE_LADDER_KIND_RUN) {
                segs[0] += row->run_segments[0];
                segs[1] += row->run_segments[1];
            }
        }
        CHECK_U64(segs[0], l->rec.client.packets);
        CHECK_U64(segs[1], l->rec.server.packets);
    }
    /* 8005: SYN retransmitted, three SYN-ACKs, the client side by Karn. */
    const struct tcpshake_ladder *l = by_port(ls, 33866, 8005);
    CHECK(l != NULL);
    CHECK_INT(rows_with(l, TCPSHAKE_LADDER_NOTE_SYN_RETRANSMIT), 1);
    CHECK_INT(rows_with(l, TCPSHAKE_LADDER_NOTE_SYNACK_RETRANSMIT), 2);
    CHECK_INT(rows_with(l, TCPSHAKE_LADDER_NOTE_CLIENT_FROM | TCPSHAKE_LADDER_NOTE_KARN_SYNACK), 1);
    CHECK_INT(rows_with(l, TCPSHAKE_LADDER_NOTE_COMPLETES), 1);
    /* 8004: six SYNs, the last unanswered. */
    l = by_port(ls, 33836, 8004);
    CHECK_INT(rows_with(l, TCPSHAKE_LADDER_NOTE_SYN_RETRANSMIT), 5);
    CHECK_INT(rows_with(l, TCPSHAKE_LADDER_NOTE_NO_ANSWER), 1);
    /* 8003 refused; 8013 rejected by ICMP port unreachable. */
    l = by_port(ls, 45198, 8003);
    CHECK_INT(rows_with(l, TCPSHAKE_LADDER_NOTE_REFUSES | TCPSHAKE_LADDER_NOTE_RST_VALID), 1);
    l = by_port(ls, 38498, 8013);
    CHECK_INT(rows_with(l, TCPSHAKE_LADDER_NOTE_REJECTS | TCPSHAKE_LADDER_NOTE_ICMP_ERROR), 1);
    CHECK(l != NULL && l->rows[1].kind == TCPSHAKE_LADDER_KIND_ICMP && l->rows[1].icmp_type == 3 &&
          l->rows[1].icmp_code == 3 && l->rows[1].dir == TCPSHAKE_LADDER_TO_CLIENT);
    /* 8017: crossing SYNs; 8019: RST in the handshake; 8008: half-close. */
    l = by_port(ls, 8016, 8017);
    CHECK_INT(rows_with(l, TCPSHAKE_LADDER_NOTE_SIMULTANEOUS), 2);
    l = by_port(ls, 51376, 8019);
    CHECK_INT(rows_with(l, TCPSHAKE_LADDER_NOTE_RESETS_HANDSHAKE), 1);
    l = by_port(ls, 39990, 8008);
    CHECK_INT(rows_with(l, TCPSHAKE_LADDER_NOTE_HALF_CLOSE), 1);
    CHECK_INT(rows_with(l, TCPSHAKE_LADDER_NOTE_FIN_FIRST), 1);
    CHECK_INT(rows_with(l, TCPSHAKE_LADDER_NOTE_FIN_SECOND), 1);
    CHECK_INT(rows_with(l, TCPSHAKE_LADDER_NOTE_FIN_ACKED), 2);
    /* 47370: Fast Open data on the SYN, acknowledged by the SYN-ACK (relative ack 27). */
    l = by_port(ls, 47370, 8015);
    CHECK_INT(rows_with(l, TCPSHAKE_LADDER_NOTE_SYN_DATA), 1);
    CHECK(l != NULL && l->rows[1].rel_ack == 27 && l->rows[1].rel_ack_known);
    tcpshake_ladders_free(ls);
}

static void test_selection(void)
{
    struct tcpshake_ladder_config lc;
    tcpshake_ladder_config_default(&lc);
    const uint64_t ids[] = { 91, 48, 5 };
    lc.ids = ids;
    lc.n_ids = 3;
    struct tcpshake_ladders *ls = ladders_of("tests/data/handshakes.pcap", &lc);
    CHECK_U64(tcpshake_ladders_count(ls), 2);
    CHECK_U64(tcpshake_ladders_get(ls, 0)->rec.id, 48);
    CHECK_U64(tcpshake_ladders_get(ls, 1)->rec.id, 91);
    CHECK(tcpshake_ladders_seen(ls, 48) && !tcpshake_ladders_seen(ls, 5));
    CHECK(tcpshake_ladders_get(ls, 2) == NULL);
    tcpshake_ladders_free(ls);

    tcpshake_ladder_config_default(&lc);
    lc.outcomes = TCPSHAKE_LADDER_FAILED;
    lc.max_ladders = 3;
    ls = ladders_of("tests/data/handshakes.pcap", &lc);
    CHECK_U64(tcpshake_ladders_matched(ls), 7);
    CHECK_U64(tcpshake_ladders_count(ls), 3);
    CHECK_U64(tcpshake_ladders_get(ls, 2)->rec.id, 48); /* the lowest ids: 9, 10, 48 */
    tcpshake_ladders_free(ls);

    tcpshake_ladder_config_default(&lc);
    lc.slowest = true;
    lc.max_ladders = 4;
    ls = ladders_of("tests/data/handshakes.pcap", &lc);
    CHECK_U64(tcpshake_ladders_count(ls), 4);
    for (size_t i = 1; i < tcpshake_ladders_count(ls); i++) {
        const struct tcpshake_record *a = &tcpshake_ladders_get(ls, i - 1)->rec;
        const struct tcpshake_record *b = &tcpshake_ladders_get(ls, i)->rec;
        CHECK(a->handshake_ns >= b->handshake_ns);
    }
    tcpshake_ladders_free(ls);

    char msg[128];
    tcpshake_ladder_config_default(&lc);
    lc.max_ladders = 0;
    CHECK_INT(tcpshake_ladder_config_check(&lc, msg, sizeof(msg)), TCPSHAKE_ERR_ARG);
    CHECK_STR(msg, "max_ladders must be 1 to 1000");
    CHECK(tcpshake_ladders_new(&lc) == NULL);
    CHECK_STR(tcpshake_ladder_note_text(TCPSHAKE_LADDER_NOTE_COMPLETES), "completes the handshake");
    CHECK(tcpshake_ladder_note_text(3) == NULL);
}

/* Further lists over the same rows: each selects, ranks and caps on its own;
 * list 0 is what a set of its config alone keeps. */
static void test_lists(void)
{
    struct tcpshake_ladder_config lc;
    tcpshake_ladder_config_default(&lc);
    lc.slowest = true;
    lc.max_ladders = 4;
    struct tcpshake_ladders *ls = tcpshake_ladders_new(&lc);
    struct tcpshake_ladder_list refused = { TCPSHAKE_LADDER_OUTCOME(TCPSHAKE_OUTCOME_REFUSED),
                                            false, 1 };
    struct tcpshake_ladder_list any = { 0, false, 3 };
    size_t at = 0;
    CHECK_INT(tcpshake_ladders_add_list(ls, &refused, &at), TCPSHAKE_OK);
    CHECK_U64(at, 1);
    CHECK_INT(tcpshake_ladders_add_list(ls, &any, &at), TCPSHAKE_OK);
    CHECK_U64(at, 2);
    struct tcpshake *h = new_handle();
    CHECK_INT(tcpshake_set_ladders(h, ls), TCPSHAKE_OK);
    CHECK_INT(tcpshake_open_file(h, "tests/data/handshakes.pcap"), TCPSHAKE_OK);
    CHECK_INT(tcpshake_run(h), TCPSHAKE_OK);
    tcpshake_free(h);
    struct tcpshake_ladders *alone = ladders_of("tests/data/handshakes.pcap", &lc);
    CHECK_U64(tcpshake_ladders_count(ls), 4);
    CHECK_U64(tcpshake_ladders_list_count(ls, 0), 4);
    for (size_t i = 0; i < 4; i++) {
        CHECK_U64(tcpshake_ladders_get(ls, i)->rec.id, tcpshake_ladders_get(alone, i)->rec.id);
        CHECK_U64(tcpshake_ladders_get(ls, i)->n_rows, tcpshake_ladders_get(alone, i)->n_rows);
    }
    /* Refused: 48 and 91, the lowest id kept, drawn segment by segment. */
    CHECK_U64(tcpshake_ladders_list_matched(ls, 1), 2);
    CHECK_U64(tcpshake_ladders_list_count(ls, 1), 1);
    const struct tcpshake_ladder *l = tcpshake_ladders_list_get(ls, 1, 0);
    CHECK(l != NULL && l->rec.id == 48 && l->n_rows == 2);
    CHECK_INT(rows_with(l, TCPSHAKE_LADDER_NOTE_REFUSES), 1);
    CHECK(l != NULL && l->rows[0].t_ns == l->rec.syn_ns && l->rows[1].t_ns == l->rec.server.rst_ns);
    /* Any outcome: the three lowest ids of all 22. */
    CHECK_U64(tcpshake_ladders_list_matched(ls, 2), 22);
    CHECK_U64(tcpshake_ladders_list_count(ls, 2), 3);
    CHECK_U64(tcpshake_ladders_list_get(ls, 2, 0)->rec.id, 9);
    CHECK_U64(tcpshake_ladders_list_get(ls, 2, 2)->rec.id, 11);
    CHECK(tcpshake_ladders_list_get(ls, 2, 3) == NULL);
    CHECK_U64(tcpshake_ladders_list_count(ls, 3), 0);
    CHECK(tcpshake_ladders_list_get(ls, 7, 0) == NULL);
    tcpshake_ladders_free(alone);

    /* Out of range, too many, or a set that selects by ids. */
    any.max_ladders = 0;
    CHECK_INT(tcpshake_ladders_add_list(ls, &any, NULL), TCPSHAKE_ERR_ARG);
    any.max_ladders = 1;
    for (size_t i = 3; i < TCPSHAKE_LADDER_MAX_LISTS; i++) {
        CHECK_INT(tcpshake_ladders_add_list(ls, &any, NULL), TCPSHAKE_OK);
    }
    CHECK_INT(tcpshake_ladders_add_list(ls, &any, NULL), TCPSHAKE_ERR_ARG);
    tcpshake_ladders_free(ls);
    const uint64_t ids[] = { 48 };
    tcpshake_ladder_config_default(&lc);
    lc.ids = ids;
    lc.n_ids = 1;
    ls = tcpshake_ladders_new(&lc);
    CHECK_INT(tcpshake_ladders_add_list(ls, &any, NULL), TCPSHAKE_ERR_ARG);
    tcpshake_ladders_free(ls);

    /* The report's set: the slowest, then per failure kind the first ones. */
    ls = tcpshake_report_ladders_new();
    h = new_handle();
    CHECK_INT(tcpshake_set_ladders(h, ls), TCPSHAKE_OK);
    CHECK_INT(tcpshake_open_file(h, "tests/data/handshakes.pcap"), TCPSHAKE_OK);
    CHECK_INT(tcpshake_run(h), TCPSHAKE_OK);
    tcpshake_free(h);
    CHECK_U64(tcpshake_ladders_list_count(ls, 0), TCPSHAKE_REPORT_TOP);
    size_t failed = 0;
    for (size_t k = 1; k < TCPSHAKE_LADDER_MAX_LISTS; k++) {
        failed += tcpshake_ladders_list_count(ls, k);
    }
    CHECK_U64(failed, 7); /* refused 2, unanswered 1, ICMP 2, half-open 1, reset 1 */
    tcpshake_ladders_free(ls);
}

/* An Ethernet + IPv4 + TCP segment between 10.0.x.y:port (n picks them) and
 * 192.0.2.1:80, with len bytes of payload. */
static size_t segment(uint8_t *f, uint32_t n, bool to_server, uint8_t flags, uint32_t seq,
                      uint32_t ack, uint16_t len)
{
    static const uint8_t tmpl[54] = {
        0,    1, 2, 3, 4, 5, 0,    1, 2,  3, 4, 6, 0x08, 0x00, /* Ethernet */
        0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0, 10,   0,    0,    0,    192, 0, 2, 1, /* IPv4 */
        0,    0, 0, 0, 0, 0, 0,    0, 0,  0, 0, 0, 0x50, 0,    0xff, 0xff, 0,   0, 0, 0, /* TCP */
    };
    memcpy(f, tmpl, sizeof(tmpl));
    memset(f + sizeof(tmpl), 0, len);
    uint16_t total = (uint16_t)(40 + len);
    f[16] = (uint8_t)(total >> 8);
    f[17] = (uint8_t)total;
    uint8_t client[4] = { 10, 0, (uint8_t)(n >> 8), (uint8_t)n };
    const uint8_t server[4] = { 192, 0, 2, 1 };
    uint16_t cport = (uint16_t)(20000 + n);
    memcpy(f + 26, to_server ? client : server, 4);
    memcpy(f + 30, to_server ? server : client, 4);
    uint16_t sport = to_server ? cport : 80;
    uint16_t dport = to_server ? 80 : cport;
    f[34] = (uint8_t)(sport >> 8);
    f[35] = (uint8_t)sport;
    f[36] = (uint8_t)(dport >> 8);
    f[37] = (uint8_t)dport;
    for (int i = 0; i < 4; i++) {
        f[38 + i] = (uint8_t)(seq >> (24 - 8 * i));
        f[42 + i] = (uint8_t)(ack >> (24 - 8 * i));
    }
    f[47] = flags;
    return sizeof(tmpl) + len;
}

static void feed(struct tcpshake *h, uint64_t t, uint32_t n, bool to_server, uint8_t flags,
                 uint32_t seq, uint32_t ack, uint16_t len)
{
    uint8_t f[54 + 1500];
    size_t n_bytes = segment(f, n, to_server, flags, seq, ack, len);
    CHECK_INT(tcpshake_feed(h, 1, t, f, n_bytes, n_bytes), TCPSHAKE_OK);
}

/* One connection: handshake, n_data segments of 100 bytes each way in turn, FINs. */
static void one_connection(struct tcpshake *h, uint64_t t, uint32_t n, int n_data)
{
    feed(h, t, n, true, 0x02, 1000, 0, 0);
    feed(h, t + 1000, n, false, 0x12, 5000, 1001, 0);
    feed(h, t + 2000, n, true, 0x10, 1001, 5001, 0);
    uint32_t cs = 1001, ss = 5001;
    for (int i = 0; i < n_data; i++) {
        bool up = i % 2 == 0;
        feed(h, t + 3000 + (uint64_t)i * 10, n, up, 0x18, up ? cs : ss, up ? ss : cs, 100);
        if (up) {
            cs += 100;
        } else {
            ss += 100;
        }
    }
    uint64_t end = t + 3000 + (uint64_t)n_data * 10;
    feed(h, end, n, true, 0x11, cs, ss, 0);
    feed(h, end + 1000, n, false, 0x11, ss, cs + 1, 0);
    feed(h, end + 2000, n, true, 0x10, cs + 1, ss + 1, 0);
}

static void to_report(const struct tcpshake_record *rec, void *user)
{
    tcpshake_report_add(user, rec);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

static void test_bounds(void)
{
    /* Rows per ladder: 400 data segments with a row each, max_rows 32. The
     * handshake and the FINs keep their rows; data past the bound goes into a run. */
    struct tcpshake_ladder_config lc;
    tcpshake_ladder_config_default(&lc);
    lc.all_segments = true;
    lc.max_rows = 32;
    struct tcpshake_ladders *ls = tcpshake_ladders_new(&lc);
    struct tcpshake *h = new_handle();
    CHECK_INT(tcpshake_set_ladders(h, ls), TCPSHAKE_OK);
    one_connection(h, 1000000000ull, 1, 400);
    tcpshake_flush(h);
    CHECK_U64(tcpshake_ladders_count(ls), 1);
    const struct tcpshake_ladder *l = tcpshake_ladders_get(ls, 0);
    CHECK(l->n_rows <= 32);
    CHECK_U64(l->segments_lost, 0);
    CHECK_INT(rows_with(l, TCPSHAKE_LADDER_NOTE_FIN_FIRST), 1);
    CHECK_INT(rows_with(l, TCPSHAKE_LADDER_NOTE_FIN_SECOND), 1);
    CHECK(l->rows[l->n_rows - 1].notes & TCPSHAKE_LADDER_NOTE_FIN_ACKED);
    CHECK_INT(l->server_side.ns, 1000);
    CHECK_INT(l->client_side.ns, 1000);
    tcpshake_free(h);
    tcpshake_ladders_free(ls);

    /* Rows held in all: 120 connections open at once, each SYN sent 10 times
     * (a row each), in a pool of 1024 rows. The rows go round by round: the
     * 1025th and later find the pool full, and those connections are drawn
     * with a row saying how many segments were not kept. */
    tcpshake_ladder_config_default(&lc);
    lc.pool_rows = 1024;
    lc.max_ladders = 1000;
    ls = tcpshake_ladders_new(&lc);
    h = new_handle();
    CHECK_INT(tcpshake_set_ladders(h, ls), TCPSHAKE_OK);
    for (uint32_t r = 0; r < 10; r++) {
        for (uint32_t n = 0; n < 120; n++) {
            feed(h, 1000000000ull + r * 1000000ull + n * 10ull, n, true, 0x02, 1000, 0, 0);
        }
    }
    tcpshake_flush(h);
    CHECK_U64(tcpshake_ladders_matched(ls), 120);
    CHECK_U64(tcpshake_ladders_count(ls), 120);
    CHECK_U64(tcpshake_ladders_pool_drops(ls), 1200 - 1024);
    CHECK_U64(tcpshake_ladders_untracked(ls), 0);
    l = tcpshake_ladders_get(ls, 0); /* 9 SYNs kept, the 10th not */
    CHECK_U64(l->segments_lost, 1);
    CHECK_U64(l->n_rows, 10);
    l = tcpshake_ladders_get(ls, 119); /* 8 kept */
    CHECK_U64(l->segments_lost, 2);
    CHECK_U64(l->n_rows, 9);
    CHECK_INT(l->rows[8].kind, TCPSHAKE_LADDER_KIND_LOST);
    tcpshake_free(h);
    tcpshake_ladders_free(ls);

    /* Connections held at once: pool_rows / 8 = 128. 1200 SYNs, none
     * answered before the end: the first 128 are followed, the others not
     * (their packets are not shown to the tap), and a list that selects one
     * of those draws it as one row of segments not kept. */
    tcpshake_ladder_config_default(&lc);
    lc.pool_rows = 1024;
    lc.max_ladders = 1000;
    ls = tcpshake_ladders_new(&lc);
    h = new_handle();
    CHECK_INT(tcpshake_set_ladders(h, ls), TCPSHAKE_OK);
    for (uint32_t n = 0; n < 1200; n++) {
        feed(h, 1000000000ull + n * 10ull, n, true, 0x02, 1000, 0, 0);
        feed(h, 1000000001ull + n * 10ull, n, true, 0x02, 1000, 0, 0);
    }
    tcpshake_flush(h);
    CHECK_U64(tcpshake_ladders_tracked_peak(ls), 128);
    CHECK_U64(tcpshake_ladders_untracked(ls), 1200 - 128);
    CHECK_U64(tcpshake_ladders_pool_drops(ls), 0);
    CHECK_U64(tcpshake_ladders_matched(ls), 1200);
    CHECK_U64(tcpshake_ladders_count(ls), 1000);
    l = tcpshake_ladders_get(ls, 127);
    CHECK_U64(l->segments_lost, 0);
    CHECK_U64(l->n_rows, 2);
    CHECK(l->rows[1].notes & TCPSHAKE_LADDER_NOTE_SYN_RETRANSMIT);
    l = tcpshake_ladders_get(ls, 128);
    CHECK_U64(l->rec.client.port, 20000 + 128);
    CHECK_U64(l->n_rows, 1);
    CHECK_U64(l->segments_lost, 2);
    CHECK_INT(l->rows[0].kind, TCPSHAKE_LADDER_KIND_LOST);
    CHECK_U64(l->rows[0].run_segments[TCPSHAKE_LADDER_TO_SERVER], 2);
    CHECK_U64(l->rows[0].run_segments[TCPSHAKE_LADDER_TO_CLIENT], 0);
    CHECK_U64(l->rows[0].t_ns, 1000000000ull + 128 * 10ull);
    CHECK_U64(l->rows[0].run_end_ns, 1000000001ull + 128 * 10ull);
    CHECK(!l->server_side.present);
    tcpshake_free(h);
    tcpshake_ladders_free(ls);

    /* A SYN flood under the report's ladder set (the default pool: 32768
     * connections at once): 60000 distinct SYNs, none answered, then a
     * refused connection. The set holds no more than its bound; the first
     * unanswered ones, the report's failed list, are still drawn from their
     * own rows; the refused one came while the table was full, so its ladder
     * is one row of all its segments not kept, and the page draws it from its
     * record and says how many connections were not followed. */
    struct tcpshake_report *rep = tcpshake_report_new();
    ls = tcpshake_report_ladders_new();
    CHECK(rep != NULL && ls != NULL);
    tcpshake_report_set_ladders(rep, ls);
    struct tcpshake_config hc;
    tcpshake_config_default(&hc);
    hc.threads = 1;
    h = tcpshake_new(&hc, to_report, rep);
    CHECK_INT(tcpshake_set_ladders(h, ls), TCPSHAKE_OK);
    for (uint32_t n = 0; n < 60000; n++) {
        feed(h, 1000000000ull + n * 10ull, n, true, 0x02, 1000, 0, 0);
    }
    feed(h, 1000700000ull, 60000, true, 0x02, 1000, 0, 0);
    feed(h, 1000800000ull, 60000, false, 0x14, 0, 1001, 0);
    tcpshake_flush(h);
    CHECK_U64(tcpshake_ladders_tracked_peak(ls), 262144 / 8);
    CHECK_U64(tcpshake_ladders_untracked(ls), 60001 - 262144 / 8);
    size_t unanswered = 0, refused = 0;
    for (size_t k = 1; k < TCPSHAKE_LADDER_MAX_LISTS; k++) {
        for (size_t i = 0; i < tcpshake_ladders_list_count(ls, k); i++) {
            const struct tcpshake_ladder *u = tcpshake_ladders_list_get(ls, k, i);
            if (u->rec.outcome == TCPSHAKE_OUTCOME_REFUSED) {
                CHECK_U64(u->n_rows, 1);
                CHECK_INT(u->rows[0].kind, TCPSHAKE_LADDER_KIND_LOST);
                CHECK_U64(u->rows[0].run_segments[TCPSHAKE_LADDER_TO_SERVER], 1);
                CHECK_U64(u->rows[0].run_segments[TCPSHAKE_LADDER_TO_CLIENT], 1);
                refused++;
                continue;
            }
            CHECK_INT(u->rec.outcome, TCPSHAKE_OUTCOME_UNANSWERED);
            CHECK_U64(u->rec.client.port, 20000 + i);
            CHECK_U64(u->n_rows, 1);
            CHECK_INT(u->rows[0].kind, TCPSHAKE_LADDER_KIND_SEGMENT);
            CHECK(u->rows[0].notes & TCPSHAKE_LADDER_NOTE_NO_ANSWER);
            unanswered++;
        }
    }
    CHECK_U64(unanswered, TCPSHAKE_REPORT_FAILED);
    CHECK_U64(refused, 1);
    char *html = NULL;
    size_t html_len = 0;
    FILE *f = open_memstream(&html, &html_len);
    CHECK(f != NULL);
    CHECK_INT(tcpshake_report_write_html(rep, NULL, f), TCPSHAKE_OK);
    fclose(f);
    CHECK_U64(count(html, "data-list=\"failed\" data-ladder=\"segments\""), 4);
    CHECK_U64(count(html, "data-list=\"failed\" data-ladder=\"record\""), 1);
    CHECK(strstr(html, "Ladders: 27233 connections not drawn segment by segment") != NULL);
    free(html);
    tcpshake_free(h);
    tcpshake_report_free(rep);
    tcpshake_ladders_free(ls);

    /* A selection by id holds rows only for its ids: the same load, a tiny pool. */
    tcpshake_ladder_config_default(&lc);
    lc.pool_rows = 1024;
    const uint64_t ids[] = { 1150 };
    lc.ids = ids;
    lc.n_ids = 1;
    ls = tcpshake_ladders_new(&lc);
    h = new_handle();
    CHECK_INT(tcpshake_set_ladders(h, ls), TCPSHAKE_OK);
    for (uint32_t n = 0; n < 1200; n++) {
        feed(h, 1000000000ull + n * 10ull, n, true, 0x02, 1000, 0, 0);
    }
    tcpshake_flush(h);
    CHECK_U64(tcpshake_ladders_pool_drops(ls), 0);
    CHECK_U64(tcpshake_ladders_count(ls), 1);
    CHECK_U64(tcpshake_ladders_get(ls, 0)->rec.client.port, 20000 + 1149);
    tcpshake_free(h);
    tcpshake_ladders_free(ls);

    /* Worker threads: refused. */
    struct tcpshake_config cfg;
    tcpshake_config_default(&cfg);
    cfg.threads = 2;
    h = tcpshake_new(&cfg, NULL, NULL);
    ls = tcpshake_ladders_new(NULL);
    CHECK_INT(tcpshake_set_ladders(h, ls), TCPSHAKE_ERR_STATE);
    CHECK_INT(tcpshake_set_ladders(h, NULL), TCPSHAKE_ERR_ARG);
    tcpshake_free(h);
    tcpshake_ladders_free(ls);
}

int main(void)
{
    test_capture();
    test_selection();
    test_lists();
    test_bounds();
    return check_report("ladder");
}
