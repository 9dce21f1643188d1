/*
 * fuzz_tls.c - libFuzzer target for the TLS observer (src/app/tls.c): bytes
 * -> one direction's stream, split at arbitrary points -> events.
 *
 * Input layout:
 *   byte 0     bits 0-2: ev_cap - 1 (1 to 8 events per scan); bit 3: grow the
 *              prefix by one byte per scan instead of by the lengths below
 *   bytes 1-2  seed of the piece lengths (a 16-bit LCG; pieces of 1 to 1024 bytes)
 *   the rest   the stream (at most TLS_SIDE_CAP bytes are scanned)
 *
 * The stream is scanned by a client side and by a server side, each on its
 * own exact-size malloc copy (the observer rewrites consumed bytes), and the
 * same bytes go to tls_parse_client_hello, tls_parse_server_hello and
 * tls_looks_like as a message body. Invariants (abort on violation): an
 * event's end never goes backwards and never passes the prefix; after a stop
 * event nothing more is reported and `stopped` is set; pos never passes the
 * prefix; the number of hellos equals the hello events; text fields are
 * NUL-terminated within their arrays and printable; ja4 is empty or
 * TLS_JA4_LEN characters; lists stay within their arrays; and the events and
 * the hellos are the same as when the whole stream is scanned at once: where
 * the segments end changes nothing but when an event is seen.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define check(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void check_text(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap + 1);
    check(n <= cap);
    for (size_t i = 0; i < n; i++) {
        check(s[i] >= 0x20 && s[i] < 0x7f);
    }
}

static void check_client_hello(const struct tls_client_hello *ch)
{
    check_text(ch->sni, TLS_MAX_SNI);
    check_text(ch->alpn, TLS_MAX_ALPN);
    size_t j = strnlen(ch->ja4, TLS_JA4_LEN + 1);
    check(j == 0 || j == TLS_JA4_LEN);
    check(ch->n_versions <= TLS_MAX_VERS);
    check(ch->n_groups <= TLS_MAX_GROUPS);
    check(ch->session_id_len <= 32);
}

static void check_server_hello(const struct tls_server_hello *sh)
{
    check_text(sh->alpn, TLS_MAX_ALPN);
    check(sh->session_id_len <= 32);
}

/* At most one event per 5-byte record header, plus a stop. */
#define MAX_EVENTS (TLS_SIDE_CAP / 5 + 2)

struct run {
    struct tls_side side;
    struct tls_event ev[MAX_EVENTS];
    size_t n_ev;
};

/* Scan the whole of bytes[0 .. len) at once. */
static void run_whole(bool client, const uint8_t *bytes, uint32_t len, struct run *r)
{
    uint8_t *stream = malloc(len > 0 ? len : 1);
    if (stream == NULL) {
        abort();
    }
    memcpy(stream, bytes, len);
    tls_side_init(&r->side, client);
    r->n_ev = 0;
    size_t got;
    do {
        check(r->n_ev + 8 <= MAX_EVENTS);
        got = tls_side_scan(&r->side, stream, len, r->ev + r->n_ev, 8);
        r->n_ev += got;
    } while (got == 8);
    free(stream);
}

static void same_as_whole(const struct run *inc, const struct run *whole)
{
    check(inc->n_ev == whole->n_ev);
    for (size_t i = 0; i < inc->n_ev; i++) {
        check(inc->ev[i].kind == whole->ev[i].kind);
        check(inc->ev[i].end == whole->ev[i].end);
        check(inc->ev[i].alert_level == whole->ev[i].alert_level);
        check(inc->ev[i].alert_desc == whole->ev[i].alert_desc);
    }
    const struct tls_side *a = &inc->side, *b = &whole->side;
    check(a->stopped == b->stopped && a->pos == b->pos && a->n_hellos == b->n_hellos);
    check(memcmp(&a->ch, &b->ch, sizeof(a->ch)) == 0);
    check(memcmp(&a->sh, &b->sh, sizeof(a->sh)) == 0);
}

static void run_side(bool client, const uint8_t *bytes, uint32_t len, size_t ev_cap, bool bytewise,
                     uint16_t seed, struct run *r)
{
    uint8_t *stream = malloc(len > 0 ? len : 1);
    if (stream == NULL) {
        return;
    }
    memcpy(stream, bytes, len);
    struct tls_side s;
    tls_side_init(&s, client);
    r->n_ev = 0;
    uint32_t have = 0, last_end = 0, hello_events = 0;
    bool stop_seen = false;
    while (have < len) {
        uint32_t step = 1;
        if (!bytewise) {
            seed = (uint16_t)(seed * 25173u + 13849u);
            step = 1u + (seed >> 6);
        }
        have = len - have < step ? len : have + step;
        struct tls_event ev[8];
        size_t got;
        do {
            got = tls_side_scan(&s, stream, have, ev, ev_cap);
            check(got <= ev_cap);
            check(got == 0 || !stop_seen);
            for (size_t i = 0; i < got; i++) {
                check(r->n_ev < MAX_EVENTS);
                r->ev[r->n_ev++] = ev[i];
                check(ev[i].end >= last_end || ev[i].kind >= TLS_EV_NOT_TLS);
                check(ev[i].end <= have);
                if (ev[i].kind < TLS_EV_NOT_TLS) {
                    last_end = ev[i].end;
                }
                if (ev[i].kind == TLS_EV_CLIENT_HELLO || ev[i].kind == TLS_EV_SERVER_HELLO) {
                    check(ev[i].kind == (client ? TLS_EV_CLIENT_HELLO : TLS_EV_SERVER_HELLO));
                    hello_events++;
                }
                if (ev[i].kind >= TLS_EV_NOT_TLS) {
                    check(s.stopped);
                    stop_seen = true;
                }
                check(ev[i].alert_level <= 2);
            }
            check(s.pos <= have);
        } while (got == ev_cap);
        check(s.n_hellos == hello_events);
        if (have >= TLS_SIDE_CAP) {
            break;
        }
    }
    check_client_hello(&s.ch);
    check_server_hello(&s.sh);
    r->side = s;
    free(stream);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3) {
        return 0;
    }
    size_t ev_cap = (size_t)(data[0] & 7u) + 1;
    bool bytewise = (data[0] & 8u) != 0;
    uint16_t seed = (uint16_t)((uint16_t)data[1] << 8 | data[2]);
    const uint8_t *bytes = data + 3;
    size_t n = size - 3;
    uint32_t len = n > TLS_SIDE_CAP ? TLS_SIDE_CAP : (uint32_t)n;
    static struct run inc, whole; /* large: kept off the stack (this harness runs alone) */
    for (int client = 1; client >= 0; client--) {
        run_side(client, bytes, len, ev_cap, bytewise, seed, &inc);
        run_whole(client, bytes, len, &whole);
        same_as_whole(&inc, &whole);
    }

    /* The same bytes as hello bodies, in an exact-size copy. */
    uint8_t *body = malloc(n > 0 ? n : 1);
    if (body == NULL) {
        return 0;
    }
    memcpy(body, bytes, n);
    struct tls_client_hello ch;
    if (tls_parse_client_hello(body, n, &ch)) {
        check_client_hello(&ch);
    }
    struct tls_server_hello sh;
    if (tls_parse_server_hello(body, n, &sh)) {
        check_server_hello(&sh);
    }
    (void)tls_looks_like(body, n);
    char buf[12];
    check(strlen(tls_version_name((uint16_t)n, buf)) <= 8);
    free(body);
    return 0;
}
