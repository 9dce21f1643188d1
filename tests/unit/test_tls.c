/*
 * test_tls.c - the TLS observer (src/app/tls.c) and its SHA-256.
 *
 * Real hellos from public captures (tls_hellos.h) against the JA4 reference
 * values and tshark; synthetic hellos for the JA4 rules the captures do not
 * reach (GREASE, ALPN characters, the 99 cap, empty lists), each with a JA4
 * computed independently (Python's hashlib over the specification's
 * strings); and the record walk: hellos split across scans and across
 * records, several messages in a record, HelloRetryRequest, alerts, lying
 * lengths, the cap, streams that are not TLS.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hex.h"
#include "sha256.h"
#include "tls.h"
#include "tls_hellos.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ helpers */

static uint8_t *from_hex(const char *hex, size_t *len)
{
    size_t cap = strlen(hex) / 2 + 1;
    uint8_t *b = malloc(cap);
    *len = unhex(hex, b, cap);
    if (*len == SIZE_MAX) {
        fprintf(stderr, "bad hex in the test data\n");
        exit(2);
    }
    return b;
}

static void join_u16(const uint16_t *v, size_t n, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t at = strlen(out);
        snprintf(out + at, cap - at, "%s0x%04x", i > 0 ? "," : "", (unsigned)v[i]);
    }
}

/* Every event of a scan over stream[0 .. have), ev_cap at a time. */
static size_t scan_all(struct tls_side *s, uint8_t *stream, uint32_t have, struct tls_event *ev,
                       size_t cap, size_t step)
{
    size_t n = 0;
    while (n < cap) {
        size_t room = cap - n < step ? cap - n : step;
        size_t got = tls_side_scan(s, stream, have, ev + n, room);
        n += got;
        if (got < room) {
            break;
        }
    }
    return n;
}

static void put_record(uint8_t *out, size_t *at, uint8_t type, const uint8_t *frag, size_t len)
{
    out[(*at)++] = type;
    out[(*at)++] = 3;
    out[(*at)++] = 3;
    out[(*at)++] = (uint8_t)(len >> 8);
    out[(*at)++] = (uint8_t)len;
    memcpy(out + *at, frag, len);
    *at += len;
}

/* The handshake message of a one-message record, re-sent in records of at most `size` bytes. */
static size_t refragment(const uint8_t *rec, size_t rec_len, size_t size, uint8_t *out)
{
    const uint8_t *msg = rec + 5;
    size_t msg_len = rec_len - 5, at = 0;
    for (size_t off = 0; off < msg_len; off += size) {
        size_t n = msg_len - off < size ? msg_len - off : size;
        put_record(out, &at, TLS_CT_HANDSHAKE, msg + off, n);
    }
    return at;
}

/* ------------------------------------------------------------ SHA-256 */

static void hex_digest(const uint8_t *d, char *out)
{
    for (size_t i = 0; i < SHA256_LEN; i++) {
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    }
}

static void test_sha256(void)
{
    /* FIPS 180-4 examples (NIST CSRC "Examples with Intermediate Values"). */
    static const struct {
        const char *msg;
        const char *digest;
    } vec[] = {
        { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
        { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
        { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
        { "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr"
          "lmn"
          "opqrsmnopqrstnopqrstu",
          "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
        /* The JA4 specification's extension string and its digest. */
        { "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,"
          "0503,0805,0501,0806,0601",
          "e5627efa2ab19723084c1033a96c694a45826ab5a460d2d3fd5ffcfe97161c95" },
    };
    for (size_t i = 0; i < N_OF(vec); i++) {
        struct sha256 c;
        uint8_t d[SHA256_LEN];
        char hex[2 * SHA256_LEN + 1];
        sha256_init(&c);
        sha256_update(&c, vec[i].msg, strlen(vec[i].msg));
        sha256_final(&c, d);
        hex_digest(d, hex);
        CHECK_STR(hex, vec[i].digest);
        /* The same bytes fed one at a time. */
        sha256_init(&c);
        for (size_t k = 0; vec[i].msg[k] != '\0'; k++) {
            sha256_update(&c, vec[i].msg + k, 1);
        }
        sha256_final(&c, d);
        hex_digest(d, hex);
        CHECK_STR(hex, vec[i].digest);
    }
    /* One million 'a' (FIPS 180-4 / FIPS 180-2 appendix B.3), in uneven pieces. */
    static char a[1000];
    memset(a, 'a', sizeof(a));
    struct sha256 c;
    sha256_init(&c);
    size_t done = 0, piece = 1;
    while (done < 1000000) {
        size_t n = 1000000 - done < piece ? 1000000 - done : piece;
        sha256_update(&c, a, n);
        done += n;
        piece = piece % 900 + 61; /* 61 .. 960 bytes */
    }
    uint8_t d[SHA256_LEN];
    char hex[2 * SHA256_LEN + 1];
    sha256_final(&c, d);
    hex_digest(d, hex);
    CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* ------------------------------------------------------- ClientHellos */

static void check_ch(const struct ch_case *tc, const struct tls_client_hello *ch)
{
    char buf[128];
    if (tc->ja4 != NULL) {
        CHECK_STR(ch->ja4, tc->ja4);
    } else {
        CHECK_INT(strlen(ch->ja4), TLS_JA4_LEN);
    }
    CHECK_STR(ch->sni, tc->sni);
    CHECK_STR(ch->alpn, tc->alpn);
    join_u16(ch->versions, ch->n_versions, buf, sizeof(buf));
    CHECK_STR(buf, tc->versions);
    join_u16(ch->groups, ch->n_groups, buf, sizeof(buf));
    CHECK_STR(buf, tc->groups);
    CHECK_INT(ch->legacy_version, tc->legacy);
    CHECK_INT(ch->session_id_len, tc->sid_len);
    CHECK_INT(ch->psk, tc->psk);
    CHECK_INT(ch->early_data, tc->early);
    CHECK_INT(ch->n_ciphers, tc->n_ciphers);
    CHECK_INT(ch->n_extensions, tc->n_extensions);
}

/* Each real ClientHello: parsed alone, through the observer whole, one byte
 * per scan, and re-sent in records of several sizes. */
static void test_client_hellos(void)
{
    static const size_t sizes[] = { 1, 3, 4, 5, 100, 256 };
    for (size_t i = 0; i < N_OF(ch_cases); i++) {
        const struct ch_case *tc = &ch_cases[i];
        size_t len;
        uint8_t *rec = from_hex(tc->record, &len);
        int failures_before = check_failures;
        CHECK(tls_looks_like(rec, len));
        struct tls_client_hello ch;
        CHECK(tls_parse_client_hello(rec + 9, len - 9, &ch));
        check_ch(tc, &ch);

        /* Whole, through the observer. */
        struct tls_side s;
        struct tls_event ev[8];
        tls_side_init(&s, true);
        CHECK_INT(tls_side_scan(&s, rec, (uint32_t)len, ev, 8), 1);
        CHECK_INT(ev[0].kind, TLS_EV_CLIENT_HELLO);
        CHECK_INT(ev[0].end, len);
        CHECK_STR(s.ch.ja4, ch.ja4);
        CHECK_INT(s.n_hellos, 1);

        /* A record split across scans: nothing until its last byte. */
        tls_side_init(&s, true);
        size_t events = 0;
        for (uint32_t have = 0; have <= len; have++) {
            size_t got = tls_side_scan(&s, rec, have, ev, 8);
            events += got;
            if (got > 0) {
                CHECK_INT(have, len);
                CHECK_INT(ev[0].kind, TLS_EV_CLIENT_HELLO);
            }
        }
        CHECK_INT(events, 1);
        CHECK_STR(s.ch.ja4, ch.ja4);

        /* The message across records: joined in place. */
        uint8_t *frag = malloc(len * 6 + 64);
        for (size_t k = 0; k < N_OF(sizes); k++) {
            size_t flen = refragment(rec, len, sizes[k], frag);
            size_t n_rec = (len - 5 + sizes[k] - 1) / sizes[k];
            if (flen > TLS_SIDE_CAP) {
                continue;
            }
            struct tls_event *evs = malloc(sizeof(*evs) * (n_rec + 1));
            tls_side_init(&s, true);
            size_t got = scan_all(&s, frag, (uint32_t)flen, evs, n_rec + 1, 7);
            CHECK_INT(got, n_rec);
            for (size_t e = 0; e + 1 < got; e++) {
                CHECK_INT(evs[e].kind, TLS_EV_HANDSHAKE);
            }
            CHECK_INT(evs[got - 1].kind, TLS_EV_CLIENT_HELLO);
            CHECK_INT(evs[got - 1].end, flen);
            check_ch(tc, &s.ch);
            free(evs);
        }
        /* Records of 100 bytes fed one byte per scan. */
        size_t flen = refragment(rec, len, 100, frag);
        tls_side_init(&s, true);
        events = 0;
        for (uint32_t have = 0; have <= flen; have++) {
            struct tls_event e1[2];
            size_t got = tls_side_scan(&s, frag, have, e1, 2);
            CHECK(got <= 1);
            events += got;
            if (got == 1 && e1[0].kind == TLS_EV_CLIENT_HELLO) {
                CHECK_INT(have, flen);
            }
        }
        CHECK_INT(events, (len - 5 + 99) / 100);
        check_ch(tc, &s.ch);
        free(frag);
        free(rec);
        if (check_failures != failures_before) {
            fprintf(stderr, "  case %s\n", tc->name);
        }
    }
}

/* Synthetic ClientHellos: JA4 computed from the specification's strings. */
static const struct {
    const char *name;
    const char *record;
    const char *ja4;
} ja4_cases[] = {
#include "tls_ja4_synth.h"
};

static void test_ja4_rules(void)
{
    for (size_t i = 0; i < N_OF(ja4_cases); i++) {
        size_t len;
        uint8_t *rec = from_hex(ja4_cases[i].record, &len);
        struct tls_client_hello ch;
        bool ok = tls_parse_client_hello(rec + 9, len - 9, &ch);
        CHECK(ok);
        if (!ok) {
            fprintf(stderr, "  case %s\n", ja4_cases[i].name);
        }
        CHECK_STR(ch.ja4, ja4_cases[i].ja4);
        free(rec);
    }
    /* GREASE left out of every list and count (the first two cases). */
    size_t len;
    uint8_t *rec = from_hex(ja4_cases[0].record, &len);
    struct tls_client_hello ch;
    CHECK(tls_parse_client_hello(rec + 9, len - 9, &ch));
    CHECK_INT(ch.n_ciphers, 2);
    CHECK_INT(ch.n_extensions, 5);
    CHECK_INT(ch.n_versions, 2);
    CHECK_INT(ch.versions[0], 0x0304);
    CHECK_INT(ch.n_groups, 1);
    CHECK_INT(ch.groups[0], 0x001d);
    CHECK_STR(ch.sni, "a.b");
    CHECK_STR(ch.alpn, "h2");
    free(rec);
}

/* ------------------------------------------------------- ServerHellos */

static const struct sh_case *sh_named(const char *name)
{
    for (size_t i = 0; i < N_OF(sh_cases); i++) {
        if (strcmp(sh_cases[i].name, name) == 0) {
            return &sh_cases[i];
        }
    }
    fprintf(stderr, "no ServerHello case %s\n", name);
    exit(2);
}

static const struct ch_case *ch_named(const char *name)
{
    for (size_t i = 0; i < N_OF(ch_cases); i++) {
        if (strcmp(ch_cases[i].name, name) == 0) {
            return &ch_cases[i];
        }
    }
    fprintf(stderr, "no ClientHello case %s\n", name);
    exit(2);
}

static void test_server_hellos(void)
{
    for (size_t i = 0; i < N_OF(sh_cases); i++) {
        const struct sh_case *tc = &sh_cases[i];
        size_t len;
        uint8_t *rec = from_hex(tc->record, &len);
        struct tls_side s;
        struct tls_event ev[4];
        tls_side_init(&s, false);
        CHECK_INT(tls_side_scan(&s, rec, (uint32_t)len, ev, 4), 1);
        CHECK_INT(ev[0].kind, TLS_EV_SERVER_HELLO);
        CHECK_INT(ev[0].end, len);
        CHECK_INT(s.sh.hrr, tc->hrr);
        CHECK_INT(s.sh.legacy_version, tc->legacy);
        CHECK_INT(s.sh.version, tc->version);
        CHECK_INT(s.sh.cipher, tc->cipher);
        CHECK_INT(s.sh.group, tc->group);
        CHECK_STR(s.sh.alpn, tc->alpn);
        CHECK_INT(s.sh.session_id_len, tc->sid_len);
        CHECK_INT(s.sh.session_ticket, tc->ticket);
        CHECK_INT(s.sh.psk, tc->psk);
        free(rec);
    }
}

/* TLS 1.2 resumption by session id: the ServerHello echoes the ClientHello's id
 * (tshark's sid_echo for ndpi/webex.pcap stream 1, an abbreviated handshake). */
static void test_session_id_echo(void)
{
    size_t clen, slen;
    uint8_t *c = from_hex(ch_named("ndpi/webex.pcap:1#1")->record, &clen);
    uint8_t *srv = from_hex(sh_named("webex.pcap:1#1")->record, &slen);
    struct tls_client_hello ch;
    struct tls_server_hello sh;
    CHECK(tls_parse_client_hello(c + 9, clen - 9, &ch));
    CHECK(tls_parse_server_hello(srv + 9, slen - 9, &sh));
    CHECK_INT(ch.session_id_len, 32);
    CHECK_INT(sh.session_id_len, 32);
    CHECK(memcmp(ch.session_id, sh.session_id, 32) == 0);
    CHECK_INT(sh.version, 0x0303);
    CHECK(!sh.hrr);
    /* A fresh TLS 1.2 handshake gets another id (browsers-x509 stream 0). */
    free(c);
    free(srv);
    c = from_hex(ch_named("browsers-x509.pcapng:0#1")->record, &clen);
    srv = from_hex(sh_named("browsers-x509.pcapng:0#1")->record, &slen);
    CHECK(tls_parse_client_hello(c + 9, clen - 9, &ch));
    CHECK(tls_parse_server_hello(srv + 9, slen - 9, &sh));
    CHECK(memcmp(ch.session_id, sh.session_id, 32) != 0);
    free(c);
    free(srv);
}

/* tls-handshake.pcapng stream 38: ClientHello, HelloRetryRequest, the
 * client's compatibility CCS and second ClientHello, the real ServerHello. */
static void test_hello_retry(void)
{
    size_t l1, l2, lh, ls;
    uint8_t *ch1 = from_hex(ch_named("tls-handshake.pcapng:38#1")->record, &l1);
    uint8_t *ch2 = from_hex(ch_named("tls-handshake.pcapng:38#2")->record, &l2);
    uint8_t *hrr = from_hex(sh_named("tls-handshake.pcapng:38#1")->record, &lh);
    uint8_t *sh2 = from_hex(sh_named("tls-handshake.pcapng:38#2")->record, &ls);
    static const uint8_t ccs[1] = { 1 };
    uint8_t stream[4096];
    size_t at = 0;
    struct tls_event ev[8];
    struct tls_side s;

    memcpy(stream, ch1, l1);
    at = l1;
    put_record(stream, &at, TLS_CT_CCS, ccs, 1);
    memcpy(stream + at, ch2, l2);
    at += l2;
    tls_side_init(&s, true);
    CHECK_INT(tls_side_scan(&s, stream, (uint32_t)at, ev, 8), 3);
    CHECK_INT(ev[0].kind, TLS_EV_CLIENT_HELLO);
    CHECK_INT(ev[1].kind, TLS_EV_CCS);
    CHECK_INT(ev[2].kind, TLS_EV_CLIENT_HELLO);
    CHECK_INT(ev[2].end, at);
    CHECK_INT(s.n_hellos, 2);
    CHECK_STR(s.ch.ja4, ch_named("tls-handshake.pcapng:38#1")->ja4); /* the first is kept */

    memcpy(stream, hrr, lh);
    at = lh;
    put_record(stream, &at, TLS_CT_CCS, ccs, 1);
    memcpy(stream + at, sh2, ls);
    at += ls;
    tls_side_init(&s, false);
    CHECK_INT(tls_side_scan(&s, stream, (uint32_t)lh, ev, 8), 1);
    CHECK_INT(ev[0].kind, TLS_EV_SERVER_HELLO);
    CHECK(s.sh.hrr);
    CHECK_INT(s.sh.group, 0x0017);
    CHECK_INT(tls_side_scan(&s, stream, (uint32_t)at, ev, 8), 2);
    CHECK_INT(ev[0].kind, TLS_EV_CCS);
    CHECK_INT(ev[1].kind, TLS_EV_SERVER_HELLO);
    CHECK_INT(s.n_hellos, 2);
    CHECK(!s.sh.hrr);
    CHECK_INT(s.sh.version, 0x0304);
    CHECK_INT(s.sh.cipher, 0x1302);
    free(ch1);
    free(ch2);
    free(hrr);
    free(sh2);
}

/* ------------------------------------------------------ the record walk */

/* A server's first flight in one record: ServerHello, a Certificate, ServerHelloDone;
 * then the records that follow the hellos, each reported by kind. */
static void test_several_messages(void)
{
    size_t ls;
    uint8_t *sh = from_hex(sh_named("browsers-x509.pcapng:0#1")->record, &ls);
    uint8_t frag[1024], stream[2048];
    size_t n = 0, at = 0;
    static const uint8_t hello_request[4] = { 0, 0, 0, 0 };
    memcpy(frag, hello_request, 4); /* a message that is not a hello, first */
    n = 4;
    memcpy(frag + n, sh + 5, ls - 5);
    n += ls - 5;
    static const uint8_t cert_hdr[4] = { 11, 0, 0, 200 };
    memcpy(frag + n, cert_hdr, 4);
    memset(frag + n + 4, 0x55, 200);
    n += 204;
    static const uint8_t done[4] = { 14, 0, 0, 0 };
    memcpy(frag + n, done, 4);
    n += 4;
    put_record(stream, &at, TLS_CT_HANDSHAKE, frag, n);
    size_t first_end = at;
    static const uint8_t ccs[1] = { 1 }, alert[2] = { 2, 40 };
    uint8_t enc[40];
    memset(enc, 0xa5, sizeof(enc));
    put_record(stream, &at, TLS_CT_CCS, ccs, 1);
    put_record(stream, &at, TLS_CT_HANDSHAKE, enc, sizeof(enc)); /* encrypted Finished */
    put_record(stream, &at, TLS_CT_APP_DATA, enc, sizeof(enc));
    put_record(stream, &at, TLS_CT_ALERT, enc, 26); /* an encrypted alert */
    put_record(stream, &at, TLS_CT_ALERT, alert, 2);

    struct tls_side s;
    struct tls_event ev[8];
    tls_side_init(&s, false);
    CHECK_INT(tls_side_scan(&s, stream, (uint32_t)at, ev, 8), 6);
    CHECK_INT(ev[0].kind, TLS_EV_SERVER_HELLO);
    CHECK_INT(ev[0].end, first_end);
    CHECK_INT(s.sh.cipher, 0xc030);
    CHECK_INT(ev[1].kind, TLS_EV_CCS);
    CHECK_INT(ev[2].kind, TLS_EV_HANDSHAKE);
    CHECK_INT(ev[3].kind, TLS_EV_APP_DATA);
    CHECK_INT(ev[4].kind, TLS_EV_ALERT);
    CHECK_INT(ev[4].alert_level, 0);
    CHECK_INT(ev[5].kind, TLS_EV_ALERT);
    CHECK_INT(ev[5].alert_level, 2);
    CHECK_INT(ev[5].alert_desc, 40);
    CHECK_INT(ev[5].end, at);
    CHECK(!s.stopped);

    /* The same with room for one event per scan: the same sequence. */
    tls_side_init(&s, false);
    struct tls_event one[8];
    CHECK_INT(scan_all(&s, stream, (uint32_t)at, one, 8, 1), 6);
    for (size_t i = 0; i < 6; i++) {
        CHECK_INT(one[i].kind, ev[i].kind);
        CHECK_INT(one[i].end, ev[i].end);
    }
    free(sh);
}

/* The server's stream may open with its refusal; the client's may not. */
static void test_first_record(void)
{
    static const struct {
        const char *name;
        bool client;
        const char *hex;
        size_t n_events;
        enum tls_event_kind kind;
    } cases[] = {
        { "server refuses with an alert", false, "15 03 03 00 02 02 46", 1, TLS_EV_ALERT },
        { "client starting with an alert", true, "15 03 03 00 02 02 46", 1, TLS_EV_NOT_TLS },
        { "HTTP", true, "47 45 54 20 2f 20 48 54 54 50", 1, TLS_EV_NOT_TLS },
        { "SSH banner", false, "53 53 48 2d 32 2e 30 2d", 1, TLS_EV_NOT_TLS },
        { "two bytes of HTTP", true, "47 45", 1, TLS_EV_NOT_TLS },
        { "one byte: wait", true, "16", 0, TLS_EV_NOT_TLS },
        { "a handshake header: wait", true, "16 03 01 02 00", 0, TLS_EV_NOT_TLS },
        { "application data first", true, "17 03 03 00 01 00", 1, TLS_EV_NOT_TLS },
        { "record version 2.0", true, "16 02 00 00 05 01 00 00 01 00", 1, TLS_EV_NOT_TLS },
        /* SSLv2-format ClientHello (RFC 5246 E.2): recognised, not parsed. */
        { "SSLv2 ClientHello", true, "80 2e 01 00 02 00 15 00 00 00 10 07 00 c0", 1,
          TLS_EV_MALFORMED },
        { "SSLv2 header, two bytes: wait", true, "80 2e", 0, TLS_EV_MALFORMED },
        { "SSLv2 header, not a hello", true, "80 2e 04 00", 1, TLS_EV_NOT_TLS },
    };
    for (size_t i = 0; i < N_OF(cases); i++) {
        uint8_t b[64];
        size_t len = unhex(cases[i].hex, b, sizeof(b));
        struct tls_side s;
        struct tls_event ev[4];
        tls_side_init(&s, cases[i].client);
        size_t n = tls_side_scan(&s, b, (uint32_t)len, ev, 4);
        CHECK_INT(n, cases[i].n_events);
        if (n != cases[i].n_events) {
            fprintf(stderr, "  case %s\n", cases[i].name);
        }
        if (n > 0) {
            CHECK_INT(ev[0].kind, cases[i].kind);
        }
        CHECK_INT(s.stopped, cases[i].kind != TLS_EV_ALERT && n > 0);
        /* Once stopped, scanning again reports nothing. */
        CHECK_INT(tls_side_scan(&s, b, (uint32_t)len, ev, 4), 0);
    }
    static const uint8_t v2[3] = { 0x80, 0x2e, 0x01 }, http[2] = { 'G', 'E' };
    static const uint8_t hs[5] = { 0x16, 0x03, 0x01, 0x02, 0x00 };
    static const uint8_t huge[5] = { 0x16, 0x03, 0x01, 0x48, 0x01 };
    CHECK(!tls_looks_like(v2, 3));
    CHECK(!tls_looks_like(http, 2));
    CHECK(tls_looks_like(hs, 1));
    CHECK(tls_looks_like(hs, 5));
    CHECK(!tls_looks_like(huge, 5));
}

/* Lengths that lie, record types that do not exist, interleaving. */
static void test_malformed(void)
{
    size_t len;
    const struct ch_case *tc = ch_named("tls12.pcap:0#1");
    uint8_t *rec = from_hex(tc->record, &len);
    uint8_t b[4096];
    struct tls_side s;
    struct tls_event ev[4];

    /* The cipher suites length points past the message. */
    memcpy(b, rec, len);
    b[9 + 2 + 32 + 1 + 32] = 0x7f;
    tls_side_init(&s, true);
    CHECK_INT(tls_side_scan(&s, b, (uint32_t)len, ev, 4), 1);
    CHECK_INT(ev[0].kind, TLS_EV_MALFORMED);
    CHECK_INT(ev[0].end, 0);
    CHECK(s.stopped);

    /* The extensions block is longer than what is left. */
    struct tls_client_hello ch;
    memcpy(b, rec, len);
    size_t ext_at = 9 + 2 + 32 + 1 + 32;
    ext_at += 2 + (((size_t)b[ext_at] << 8) | b[ext_at + 1]);
    ext_at += 1 + b[ext_at];
    b[ext_at] = 0xff;
    CHECK(!tls_parse_client_hello(b + 9, len - 9, &ch));
    /* A session id longer than 32 bytes; through the observer the side keeps
     * no half-parsed hello (found by fuzz_tls: session_id_len was 33). */
    memcpy(b, rec, len);
    b[9 + 2 + 32] = 33;
    CHECK(!tls_parse_client_hello(b + 9, len - 9, &ch));
    tls_side_init(&s, true);
    CHECK_INT(tls_side_scan(&s, b, (uint32_t)len, ev, 4), 1);
    CHECK_INT(ev[0].kind, TLS_EV_MALFORMED);
    CHECK_INT(s.ch.session_id_len, 0);
    CHECK_STR(s.ch.ja4, "");
    /* Cut short anywhere: never a crash, never a pass with a tail missing, except
     * at the end of the compression methods (a hello without extensions is legal). */
    size_t no_ext = ext_at - 9;
    for (size_t cut = 0; cut < len - 9; cut++) {
        CHECK_INT(tls_parse_client_hello(rec + 9, cut, &ch), cut == no_ext);
    }
    size_t ls;
    uint8_t *shrec = from_hex(sh_named("http2-with-cookies.pcapng:0#1")->record, &ls);
    struct tls_server_hello sh;
    for (size_t cut = 0; cut < ls - 9; cut++) {
        CHECK_INT(tls_parse_server_hello(shrec + 9, cut, &sh), cut == 2 + 32 + 1 + 32 + 2 + 1);
    }
    CHECK(tls_parse_server_hello(shrec + 9, ls - 9, &sh));
    free(shrec);

    /* Mid-stream: a record longer than TLS allows, an unknown type, an empty handshake. */
    static const char *const bad[] = {
        "17 03 03 48 01",             /* 2^14 + 2049 */
        "18 03 03 00 01 00",          /* type 24 (heartbeat) */
        "16 03 03 00 00",             /* empty handshake record */
        "15 03 03 00 00",             /* empty alert record */
        "17 05 03 00 01 00",          /* version 5.3 */
        "16 03 07 00 04 0b 00 00 00", /* version 3.7 */
    };
    for (size_t i = 0; i < N_OF(bad); i++) {
        memcpy(b, rec, len);
        size_t n = unhex(bad[i], b + len, sizeof(b) - len);
        tls_side_init(&s, true);
        CHECK_INT(tls_side_scan(&s, b, (uint32_t)(len + n), ev, 4), 2);
        CHECK_INT(ev[0].kind, TLS_EV_CLIENT_HELLO);
        CHECK_INT(ev[1].kind, TLS_EV_MALFORMED);
        CHECK_INT(ev[1].end, len);
    }

    /* A ChangeCipherSpec in the middle of a ClientHello that spans records. */
    size_t at = 0;
    put_record(b, &at, TLS_CT_HANDSHAKE, rec + 5, 100);
    static const uint8_t ccs[1] = { 1 };
    put_record(b, &at, TLS_CT_CCS, ccs, 1);
    put_record(b, &at, TLS_CT_HANDSHAKE, rec + 105, len - 105);
    tls_side_init(&s, true);
    CHECK_INT(tls_side_scan(&s, b, (uint32_t)at, ev, 4), 2);
    CHECK_INT(ev[0].kind, TLS_EV_HANDSHAKE);
    CHECK_INT(ev[1].kind, TLS_EV_MALFORMED);
    CHECK_INT(ev[1].end, 105);
    free(rec);
}

/* TLS_SIDE_CAP: a hello that cannot fit, endless fragments, and a server
 * whose first record is larger than the cap. */
static void test_cap(void)
{
    static uint8_t b[TLS_SIDE_CAP + 64];
    struct tls_side s;
    struct tls_event ev[4];

    /* A ClientHello that says it is 20000 bytes long. */
    static const uint8_t big[9] = { 0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x00, 0x4e, 0x20 };
    tls_side_init(&s, true);
    CHECK_INT(tls_side_scan(&s, (uint8_t *)memcpy(b, big, 9), 9, ev, 4), 1);
    CHECK_INT(ev[0].kind, TLS_EV_CAP);
    CHECK(s.stopped);

    /* The same in one 16 KiB record: the record cannot end within the cap. */
    static const uint8_t big1[9] = { 0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0x00, 0x3f, 0xfc };
    tls_side_init(&s, true);
    CHECK_INT(tls_side_scan(&s, (uint8_t *)memcpy(b, big1, 9), 9, ev, 4), 1);
    CHECK_INT(ev[0].kind, TLS_EV_CAP);

    /* Endless one-byte fragments of a ClientHello that never ends: CAP at the cap. */
    size_t at = 0;
    static const uint8_t hdr[4] = { 1, 0, 0x3f, 0xf0 }; /* 16368 bytes: fits, never sent */
    for (size_t i = 0; i < 4; i++) {
        put_record(b, &at, TLS_CT_HANDSHAKE, hdr + i, 1);
    }
    static const uint8_t x[1] = { 0x33 };
    while (at + 6 <= TLS_SIDE_CAP) {
        put_record(b, &at, TLS_CT_HANDSHAKE, x, 1);
    }
    memset(b + at, 0x16, TLS_SIDE_CAP - at); /* a record header cut by the cap */
    tls_side_init(&s, true);
    size_t n = 0, last_kind = 0;
    for (;;) {
        size_t got = tls_side_scan(&s, b, TLS_SIDE_CAP, ev, 4);
        n += got;
        if (got > 0) {
            last_kind = ev[got - 1].kind;
        }
        if (got < 4) {
            break;
        }
    }
    CHECK_INT(last_kind, TLS_EV_CAP);
    CHECK_INT(n, (at / 6) + 1);
    CHECK(s.stopped);

    /* A ServerHello packed with a large Certificate into one record of 2^14 bytes:
     * the hello is found in the part within the cap; end is just past it. */
    size_t ls;
    uint8_t *sh = from_hex(sh_named("browsers-x509.pcapng:0#1")->record, &ls);
    size_t frag_len = 16384;
    b[0] = 0x16;
    b[1] = 3;
    b[2] = 3;
    b[3] = (uint8_t)(frag_len >> 8);
    b[4] = (uint8_t)frag_len;
    memcpy(b + 5, sh + 5, ls - 5);
    size_t cert = frag_len - (ls - 5) - 4;
    b[ls] = 11;
    b[ls + 1] = (uint8_t)(cert >> 16);
    b[ls + 2] = (uint8_t)(cert >> 8);
    b[ls + 3] = (uint8_t)cert;
    memset(b + ls + 4, 0x30, TLS_SIDE_CAP - ls - 4);
    tls_side_init(&s, false);
    CHECK_INT(tls_side_scan(&s, b, (uint32_t)ls - 1, ev, 4), 0);
    CHECK_INT(tls_side_scan(&s, b, (uint32_t)ls, ev, 4), 1);
    CHECK_INT(ev[0].kind, TLS_EV_SERVER_HELLO);
    CHECK_INT(ev[0].end, ls);
    CHECK_INT(s.sh.cipher, 0xc030);
    /* Nothing more is reachable and nothing more is needed: no further event, no stop. */
    CHECK_INT(tls_side_scan(&s, b, TLS_SIDE_CAP, ev, 4), 0);
    CHECK(!s.stopped);
    free(sh);

    /* The client side after its hello: a record past the cap is waited for quietly. */
    size_t lc;
    uint8_t *ch = from_hex(ch_named("tls12.pcap:0#1")->record, &lc);
    memcpy(b, ch, lc);
    static const uint8_t app[5] = { 0x17, 0x03, 0x03, 0x40, 0x00 };
    memcpy(b + lc, app, 5);
    tls_side_init(&s, true);
    CHECK_INT(tls_side_scan(&s, b, (uint32_t)lc + 5, ev, 4), 1);
    CHECK_INT(ev[0].kind, TLS_EV_CLIENT_HELLO);
    CHECK_INT(tls_side_scan(&s, b, TLS_SIDE_CAP, ev, 4), 0);
    CHECK(!s.stopped);
    free(ch);
}

static void test_version_names(void)
{
    char buf[12];
    CHECK_STR(tls_version_name(0x0304, buf), "TLS1.3");
    CHECK_STR(tls_version_name(0x0303, buf), "TLS1.2");
    CHECK_STR(tls_version_name(0x0302, buf), "TLS1.1");
    CHECK_STR(tls_version_name(0x0301, buf), "TLS1.0");
    CHECK_STR(tls_version_name(0x0300, buf), "SSL3.0");
    CHECK_STR(tls_version_name(0x7f17, buf), "0x7f17");
    CHECK_STR(tls_version_name(0xfafa, buf), "0xfafa");
}

int main(void)
{
    test_sha256();
    test_client_hellos();
    test_ja4_rules();
    test_server_hellos();
    test_session_id_echo();
    test_hello_retry();
    test_several_messages();
    test_first_record();
    test_malformed();
    test_cap();
    test_version_names();
    return check_report("tls");
}
