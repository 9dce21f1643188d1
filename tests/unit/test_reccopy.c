/*
 * test_reccopy.c - a record copied over the last one in a ring slot
 * (reccopy.c) equals the original byte for byte: every record of two real
 * captures, copied one after another into one slot as shard.c does, and
 * made-up records with and without TLS and with p0f texts that grow and
 * shrink (the slot must lose the longer text's tail, and the last record's
 * TLS object when the next has none).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tcpshake.h"

struct slot {
    struct tcpshake_record rec; /* zeroed once, then written only by tcpshake_record_copy */
    struct tcpshake_record_mark mark;
    size_t n;
};

static void copy_and_compare(struct slot *s, const struct tcpshake_record *r)
{
    tcpshake_record_copy(&s->rec, &s->mark, r);
    CHECK(memcmp(&s->rec, r, sizeof(*r)) == 0);
    s->n++;
}

static void on_record(const struct tcpshake_record *r, void *user)
{
    copy_and_compare(user, r);
}

static void test_capture(const char *path, size_t want_records)
{
    struct slot *s = calloc(1, sizeof(*s));
    struct tcpshake *h = tcpshake_new(NULL, on_record, s);
    CHECK(s != NULL && h != NULL);
    if (s != NULL && h != NULL) {
        CHECK_INT(tcpshake_open_file(h, path), TCPSHAKE_OK);
        CHECK_INT(tcpshake_run(h), TCPSHAKE_OK);
        CHECK_U64(s->n, want_records);
    }
    tcpshake_free(h);
    free(s);
}

static void fill_text(char *buf, size_t cap, size_t n, char c)
{
    memset(buf, 0, cap);
    memset(buf, c, n);
}

static void made_up(struct tcpshake_record *r, size_t i, enum tcpshake_tls_outcome tls,
                    size_t sig_len, size_t label_len)
{
    memset(r, 0, sizeof(*r));
    r->size = sizeof(*r);
    r->id = i + 1;
    r->client.port = (uint16_t)(1000 + i);
    r->outcome = TCPSHAKE_OUTCOME_UNANSWERED;
    r->zeek_last_ns = 77 + i;
    r->zeek_resp_bytes = 5 * i;
    if (tls != TCPSHAKE_TLS_NONE) {
        r->tls.outcome = tls;
        fill_text(r->tls.sni, sizeof(r->tls.sni), 200 - i, 's');
        r->tls.cipher = 0x1301;
        r->tls.alert_ns = 999;
        r->tls.closed_by = TCPSHAKE_WHO_SERVER;
    }
    fill_text(r->client_p0f.sig, sizeof(r->client_p0f.sig), sig_len, 'c');
    fill_text(r->client_p0f.label, sizeof(r->client_p0f.label), label_len, 'l');
    fill_text(r->server_p0f.sig, sizeof(r->server_p0f.sig), label_len, 'S');
    fill_text(r->server_p0f.label, sizeof(r->server_p0f.label), sig_len / 2, 'L');
    r->client_p0f.fuzzy = i % 2 == 0;
    r->server_p0f.fuzzy = i % 3 == 0;
}

static void test_made_up(void)
{
    static const size_t sig_len[] = { 0, 40, 255, 3, 0, 120, 255 };
    static const size_t label_len[] = { 10, 0, 127, 5, 0, 60, 127 };
    static const enum tcpshake_tls_outcome tls[] = {
        TCPSHAKE_TLS_ESTABLISHED, TCPSHAKE_TLS_NONE, TCPSHAKE_TLS_ALERT, TCPSHAKE_TLS_NONE,
        TCPSHAKE_TLS_UNTRACKED,   TCPSHAKE_TLS_NONE, TCPSHAKE_TLS_NONE,
    };
    struct slot *s = calloc(1, sizeof(*s));
    struct tcpshake_record *r = calloc(1, sizeof(*r));
    CHECK(s != NULL && r != NULL);
    for (size_t i = 0; s != NULL && r != NULL && i < sizeof(tls) / sizeof(tls[0]); i++) {
        made_up(r, i, tls[i], sig_len[i], label_len[i]);
        copy_and_compare(s, r);
    }
    CHECK_U64(s != NULL ? s->n : 0, 7);
    free(s);
    free(r);
}

int main(void)
{
    test_capture("tests/data/sample.pcap", 10);
    test_capture("tests/data/handshakes.pcap", 22);
    test_made_up();
    return check_report("reccopy");
}
