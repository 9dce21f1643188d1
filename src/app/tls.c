/*
 * tls.c - the TLS observer: records, the two hellos and the JA4 fingerprint
 * (see tls.h for the contract). It owns the walk over one direction's byte
 * stream; reassembling that stream, timing the events and the record's tls
 * object belong to the caller.
 *
 * Record header (RFC 8446 5.1, RFC 5246 6.2.1):
 *
 *    0        1        2        3        4
 *   +--------+--------+--------+--------+--------+---- ... ----+
 *   |  type  | major=3| minor  |   length (be16) |   fragment  |
 *   +--------+--------+--------+--------+--------+---- ... ----+
 *
 * Handshake message (RFC 8446 4): type (1 byte), length (be24), body. A
 * message may span several records and a record may hold several messages;
 * handshake records are never interleaved with other types while a message
 * is incomplete (RFC 8446 5.1), so such interleaving is malformed.
 *
 * What the walk does with each record:
 * - While a side still expects its hello (the client before its first
 *   ClientHello; the server before a ServerHello that is not a
 *   HelloRetryRequest) handshake records are split into messages. A
 *   ClientHello (type 1) or ServerHello (type 2) that spans records is joined
 *   in place: its later pieces are moved down over the record headers in
 *   front of them, in bytes the walk has consumed. Other messages are
 *   skipped by length.
 * - After that the records are only framed, with one exception: on the
 *   client side a handshake record holding exactly one whole ClientHello is
 *   the second ClientHello that answers a HelloRetryRequest (it may follow
 *   the client's middlebox-compatibility ChangeCipherSpec, RFC 8446 D.4, so
 *   "before the first CCS" cannot decide it). An encrypted TLS 1.2 Finished
 *   matches that shape by chance once in about 2^32.
 * - A record of type 21 with 2 bytes whose first byte is 1 or 2 is a
 *   plaintext alert; any other alert record was sent encrypted.
 *
 * Stops (the side reports once and then does nothing):
 * - TLS_EV_NOT_TLS: the first record is not a handshake record of version
 *   3.x (the server side may also open with a plaintext alert, its refusal
 *   of the ClientHello).
 * - TLS_EV_MALFORMED: a record type outside 20..23, a record version not
 *   3.0 to 3.4, a record longer than 2^14 + 2048 (RFC 5246 6.2.3's largest
 *   ciphertext), an empty handshake or alert record, a handshake message cut
 *   by a record of another type, or a hello whose inner lengths lie. An
 *   SSLv2-format ClientHello (RFC 5246 E.2: first byte with the high bit,
 *   third byte 1) at the start of the stream is reported as MALFORMED too:
 *   it is recognised but not parsed.
 * - TLS_EV_CAP: the side still expects a hello and the next record (or the
 *   hello message) cannot end within TLS_SIDE_CAP bytes. A handshake record
 *   longer than the cap (a server's ServerHello, Certificate... packed into
 *   one 16 KiB record) is searched for the hello in the part that fits; the
 *   event's end is then just past the hello message, not the record.
 * After the hellos, a record that cannot end within the cap is waited for
 * without an event: the caller sees the prefix stop growing at the cap.
 *
 * Each record gives exactly one event, so the walk is resumable with any
 * ev_cap. Events other than the record kinds carry end = the offset of the
 * record header at which the side stopped.
 *
 * JA4 (FoxIO's JA4 specification, technical_details/JA4.md, TLS client
 * fingerprint only): "t", two characters of version (the highest
 * supported_versions value, else legacy_version), "d" when a server_name
 * extension is present else "i", the cipher and extension counts capped at
 * 99, the first and last character of the first ALPN value ("00" when
 * none; when either is not ASCII alphanumeric, the first and last hex digit
 * of the value instead), then "_", the first 12 hex digits of SHA-256 over
 * the sorted cipher list ("1301,1302,..."), "_", the same over the sorted
 * extension list without server_name (0) and ALPN (16), followed, when there
 * are signature algorithms, by "_" and those in their original order. An
 * empty cipher or extension list gives "000000000000". GREASE values (RFC
 * 8701) are left out everywhere. A ClientHello with more than
 * TLS_JA4_LIST_MAX ciphers or extensions (no real client comes near) gets
 * an empty ja4.
 */
#include "tls.h"

#include <stdio.h>
#include <string.h>

#include "sha256.h"
#include "wire.h"

#define TLS_RECORD_HDR   5u
#define TLS_HS_HDR       4u
#define TLS_RECORD_MAX   (16384u + 2048u) /* RFC 5246 6.2.3 TLSCiphertext.length */
#define TLS_HS_CLIENT    1u
#define TLS_HS_SERVER    2u
#define TLS_JA4_LIST_MAX 1024u      /* ciphers or extensions sorted for JA4 */
#define MSG_SKIP         UINT32_MAX /* msg_at of a message counted, not kept */

/* Extension numbers (IANA TLS ExtensionType registry). */
enum {
    EXT_SERVER_NAME = 0,
    EXT_SIG_ALGS = 13,
    EXT_ALPN = 16,
    EXT_SESSION_TICKET = 35,
    EXT_PRE_SHARED_KEY = 41,
    EXT_EARLY_DATA = 42,
    EXT_SUPPORTED_VERSIONS = 43,
    EXT_KEY_SHARE = 51,
};

/* RFC 8446 4.1.3: SHA-256("HelloRetryRequest"). */
static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static const char hexdig[] = "0123456789abcdef";

/* RFC 8701: 0x0a0a, 0x1a1a ... 0xfafa. */
static bool is_grease(uint16_t v)
{
    return (v & 0x0f0fu) == 0x0a0au && (v >> 8) == (v & 0xffu);
}

static bool is_alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Append n bytes to a NUL-terminated text of at most cap bytes, '?' for
 * anything outside printable ASCII; what does not fit is cut. */
static void text_append(char *dst, size_t cap, const uint8_t *src, size_t n)
{
    size_t at = strlen(dst);
    for (size_t i = 0; i < n && at < cap; i++) {
        dst[at++] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
    }
    dst[at] = '\0';
}

/* ---------------------------------------------------------------- records */

bool tls_looks_like(const uint8_t *p, size_t n)
{
    if (n >= 1 && p[0] != TLS_CT_HANDSHAKE) {
        return false;
    }
    if (n >= 2 && p[1] != 3) {
        return false;
    }
    if (n >= 3 && p[2] > 4) {
        return false;
    }
    if (n >= 5) {
        uint16_t len = wire_be16_at(p + 3);
        return len > 0 && len <= TLS_RECORD_MAX;
    }
    return true;
}

void tls_side_init(struct tls_side *s, bool client)
{
    memset(s, 0, sizeof(*s));
    s->client = client;
}

/* The side's hello is still to come: hellos are parsed and joined. */
static bool expecting_hello(const struct tls_side *s)
{
    return s->n_hellos == 0 || (!s->client && s->sh.hrr);
}

static void msg_reset(struct tls_side *s)
{
    s->msg_have = 0;
    s->msg_len = 0;
    s->msg_at = 0;
}

static uint8_t side_hello_type(const struct tls_side *s)
{
    return s->client ? TLS_HS_CLIENT : TLS_HS_SERVER;
}

/* Parse a whole hello message (header included) into the side. */
static bool side_parse_hello(struct tls_side *s, const uint8_t *msg, uint32_t len)
{
    const uint8_t *body = msg + TLS_HS_HDR;
    size_t body_len = len - TLS_HS_HDR;
    if (s->client) {
        if (s->n_hellos == 0) {
            return tls_parse_client_hello(body, body_len, &s->ch);
        }
        struct tls_client_hello again;
        return tls_parse_client_hello(body, body_len, &again);
    }
    return tls_parse_server_hello(body, body_len, &s->sh);
}

static uint32_t be24_at(const uint8_t *p)
{
    return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | (uint32_t)p[2];
}

enum walk_result {
    WALK_NONE,      /* no hello completed in these bytes */
    WALK_HELLO,     /* a hello completed and parsed */
    WALK_BAD_HELLO, /* a hello completed and did not parse */
    WALK_TOO_BIG,   /* a hello message cannot fit in TLS_SIDE_CAP */
};

/* Feed a complete record's fragment stream[at .. end) to the message
 * joiner. Stops after the first hello. */
static enum walk_result walk_messages(struct tls_side *s, uint8_t *stream, uint32_t at,
                                      uint32_t end)
{
    while (at < end) {
        if (s->msg_have == 0) {
            uint32_t left = end - at;
            if (left < TLS_HS_HDR) {
                /* The message header itself spans records: keep its bytes. */
                s->msg_at = at;
                s->msg_have = left;
                s->msg_len = 0;
                return WALK_NONE;
            }
            uint32_t total = TLS_HS_HDR + be24_at(stream + at + 1);
            bool hello = stream[at] == side_hello_type(s);
            if (hello && total > TLS_SIDE_CAP) {
                return WALK_TOO_BIG;
            }
            if (total <= left) {
                if (hello) {
                    return side_parse_hello(s, stream + at, total) ? WALK_HELLO : WALK_BAD_HELLO;
                }
                at += total;
                continue;
            }
            s->msg_at = hello ? at : MSG_SKIP;
            s->msg_have = left;
            s->msg_len = total;
            return WALK_NONE;
        }
        /* Continue the message in progress with this record's bytes. */
        uint32_t need = s->msg_len == 0 ? TLS_HS_HDR - s->msg_have : s->msg_len - s->msg_have;
        uint32_t take = end - at < need ? end - at : need;
        if (s->msg_at != MSG_SKIP) {
            /* The destination lies before `at` (a record header at least sits between). */
            memmove(stream + s->msg_at + s->msg_have, stream + at, take);
        }
        s->msg_have += take;
        at += take;
        if (s->msg_len == 0) {
            if (s->msg_have < TLS_HS_HDR) {
                continue;
            }
            const uint8_t *hdr = stream + s->msg_at;
            s->msg_len = TLS_HS_HDR + be24_at(hdr + 1);
            bool hello = hdr[0] == side_hello_type(s);
            if (hello && s->msg_len > TLS_SIDE_CAP) {
                return WALK_TOO_BIG;
            }
            if (!hello) {
                s->msg_at = MSG_SKIP;
            }
        }
        if (s->msg_have == s->msg_len) {
            bool kept = s->msg_at != MSG_SKIP;
            uint32_t msg_at = s->msg_at, msg_len = s->msg_len;
            msg_reset(s);
            if (kept) {
                return side_parse_hello(s, stream + msg_at, msg_len) ? WALK_HELLO : WALK_BAD_HELLO;
            }
        }
    }
    return WALK_NONE;
}

/* A handshake record that cannot end within the cap, while a hello is
 * expected and no message is in progress: look for the hello in the
 * messages of stream[at .. have), read only. Returns WALK_HELLO with *msg_end
 * set, WALK_NONE to wait for more bytes, or WALK_TOO_BIG when no hello can
 * complete within the cap. */
static enum walk_result walk_oversized(struct tls_side *s, const uint8_t *stream, uint32_t at,
                                       uint32_t have, uint32_t *msg_end)
{
    while (at < TLS_SIDE_CAP) {
        if (have - at < TLS_HS_HDR) {
            return have >= TLS_SIDE_CAP ? WALK_TOO_BIG : WALK_NONE;
        }
        uint32_t total = TLS_HS_HDR + be24_at(stream + at + 1);
        if (total > TLS_SIDE_CAP - at) {
            return WALK_TOO_BIG;
        }
        if (total > have - at) {
            return WALK_NONE;
        }
        if (stream[at] == side_hello_type(s)) {
            *msg_end = at + total;
            return side_parse_hello(s, stream + at, total) ? WALK_HELLO : WALK_BAD_HELLO;
        }
        at += total;
    }
    return WALK_TOO_BIG;
}

static struct tls_event make_event(enum tls_event_kind kind, uint32_t end)
{
    struct tls_event e = { kind, end, 0, 0 };
    return e;
}

/* Report a stop: the side does nothing after it. */
static struct tls_event side_stop(struct tls_side *s, enum tls_event_kind kind, uint32_t end)
{
    s->stopped = true;
    return make_event(kind, end);
}

/* An SSLv2-format ClientHello (RFC 5246 E.2): 2-byte length with the high bit, type 1. */
static bool looks_sslv2_hello(const uint8_t *p, uint32_t n)
{
    return n >= 3 && (p[0] & 0x80u) != 0 && p[2] == 1;
}

/* The first record decides whether the stream is TLS at all. */
static bool first_record_ok(const struct tls_side *s, const uint8_t *hdr)
{
    if (hdr[1] != 3) {
        return false;
    }
    return hdr[0] == TLS_CT_HANDSHAKE || (!s->client && hdr[0] == TLS_CT_ALERT);
}

static bool record_header_ok(const uint8_t *hdr, uint16_t len)
{
    uint8_t type = hdr[0];
    if (type < TLS_CT_CCS || type > TLS_CT_APP_DATA || hdr[1] != 3 || hdr[2] > 4) {
        return false;
    }
    if (len > TLS_RECORD_MAX) {
        return false;
    }
    return len > 0 || type == TLS_CT_APP_DATA || type == TLS_CT_CCS;
}

/* On the client side after the first ClientHello: a record that is exactly one ClientHello. */
static bool whole_client_hello(const uint8_t *frag, uint32_t len)
{
    return len >= TLS_HS_HDR + 2 && frag[0] == TLS_HS_CLIENT &&
           be24_at(frag + 1) == len - TLS_HS_HDR && frag[TLS_HS_HDR] == 3;
}

/* One complete handshake record at stream[pos .. end). */
static struct tls_event handshake_record(struct tls_side *s, uint8_t *stream, uint32_t pos,
                                         uint32_t end)
{
    uint32_t frag = pos + TLS_RECORD_HDR;
    enum walk_result r = WALK_NONE;
    if (expecting_hello(s)) {
        r = walk_messages(s, stream, frag, end);
    } else if (s->client && whole_client_hello(stream + frag, end - frag)) {
        struct tls_client_hello again;
        if (tls_parse_client_hello(stream + frag + TLS_HS_HDR, end - frag - TLS_HS_HDR, &again)) {
            r = WALK_HELLO;
        }
    }
    switch (r) {
    case WALK_HELLO:
        msg_reset(s);
        s->n_hellos++;
        return make_event(s->client ? TLS_EV_CLIENT_HELLO : TLS_EV_SERVER_HELLO, end);
    case WALK_BAD_HELLO:
        return side_stop(s, TLS_EV_MALFORMED, pos);
    case WALK_TOO_BIG:
        return side_stop(s, TLS_EV_CAP, pos);
    case WALK_NONE:
        break;
    }
    return make_event(TLS_EV_HANDSHAKE, end);
}

static struct tls_event alert_record(const uint8_t *frag, uint16_t len, uint32_t end)
{
    struct tls_event e = make_event(TLS_EV_ALERT, end);
    if (len == 2 && (frag[0] == 1 || frag[0] == 2)) {
        e.alert_level = frag[0];
        e.alert_desc = frag[1];
    }
    return e;
}

/* The record at s->pos does not end within the cap. true with *ev set when
 * there is something to report. */
static bool oversized_record(struct tls_side *s, const uint8_t *stream, uint32_t have, uint8_t type,
                             struct tls_event *ev)
{
    if (!expecting_hello(s)) {
        return false; /* nothing more is needed from this side: wait quietly */
    }
    if (type != TLS_CT_HANDSHAKE || s->msg_have != 0) {
        *ev = side_stop(s, TLS_EV_CAP, s->pos);
        return true;
    }
    uint32_t msg_end = 0;
    switch (walk_oversized(s, stream, s->pos + TLS_RECORD_HDR, have, &msg_end)) {
    case WALK_HELLO:
        s->n_hellos++;
        *ev = make_event(s->client ? TLS_EV_CLIENT_HELLO : TLS_EV_SERVER_HELLO, msg_end);
        if (expecting_hello(s)) {
            /* A HelloRetryRequest in a record past the cap: the next record is out of reach. */
            s->stopped = true;
        }
        return true;
    case WALK_BAD_HELLO:
        *ev = side_stop(s, TLS_EV_MALFORMED, s->pos);
        return true;
    case WALK_TOO_BIG:
        *ev = side_stop(s, TLS_EV_CAP, s->pos);
        return true;
    case WALK_NONE:
        break;
    }
    return false;
}

/* One step of the walk: true with *ev set when a record (or a stop) was
 * reported, false when more bytes are needed. */
static bool side_step(struct tls_side *s, uint8_t *stream, uint32_t have, struct tls_event *ev)
{
    uint32_t pos = s->pos;
    uint32_t avail = have - pos;
    if (pos == 0 && s->client && looks_sslv2_hello(stream, avail)) {
        *ev = side_stop(s, TLS_EV_MALFORMED, 0);
        return true;
    }
    if (avail < TLS_RECORD_HDR) {
        if (pos + TLS_RECORD_HDR > TLS_SIDE_CAP && expecting_hello(s)) {
            *ev = side_stop(s, TLS_EV_CAP, pos);
            return true;
        }
        if (pos == 0 && avail >= 2 && !first_record_ok(s, stream)) {
            *ev = side_stop(s, TLS_EV_NOT_TLS, 0);
            return true;
        }
        return false;
    }
    const uint8_t *hdr = stream + pos;
    uint16_t len = wire_be16_at(hdr + 3);
    if (pos == 0 && !first_record_ok(s, hdr)) {
        *ev = side_stop(s, TLS_EV_NOT_TLS, 0);
        return true;
    }
    if (!record_header_ok(hdr, len) || (s->msg_have != 0 && hdr[0] != TLS_CT_HANDSHAKE)) {
        *ev = side_stop(s, TLS_EV_MALFORMED, pos);
        return true;
    }
    uint32_t end = pos + TLS_RECORD_HDR + len;
    if (end > TLS_SIDE_CAP) {
        return oversized_record(s, stream, have, hdr[0], ev);
    }
    if (end > have) {
        return false;
    }
    switch (hdr[0]) {
    case TLS_CT_HANDSHAKE:
        *ev = handshake_record(s, stream, pos, end);
        break;
    case TLS_CT_ALERT:
        *ev = alert_record(hdr + TLS_RECORD_HDR, len, end);
        break;
    case TLS_CT_CCS:
        *ev = make_event(TLS_EV_CCS, end);
        break;
    default:
        *ev = make_event(TLS_EV_APP_DATA, end);
        break;
    }
    if (!s->stopped) {
        s->pos = end;
    }
    return true;
}

size_t tls_side_scan(struct tls_side *s, uint8_t *stream, uint32_t have, struct tls_event *ev,
                     size_t ev_cap)
{
    if (have > TLS_SIDE_CAP) {
        have = TLS_SIDE_CAP;
    }
    size_t n = 0;
    while (n < ev_cap && !s->stopped && s->pos <= have) {
        uint32_t pos_before = s->pos;
        if (!side_step(s, stream, have, &ev[n])) {
            break;
        }
        n++;
        if (!s->stopped && s->pos == pos_before) {
            break; /* a hello found in a record past the cap: nothing further is reachable */
        }
    }
    return n;
}

/* ---------------------------------------------------------------- JA4 */

/* Insertion sort: the lists are short (a browser sends about 16 of each). */
static void sort_u16(uint16_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint16_t x = v[i];
        size_t j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

/* Hash "xxxx,yyyy,..." (lower-case hex) into c. */
static void hash_hex_list(struct sha256 *c, const uint16_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char item[5];
        size_t k = 0;
        if (i > 0) {
            item[k++] = ',';
        }
        item[k++] = hexdig[v[i] >> 12];
        item[k++] = hexdig[(v[i] >> 8) & 0xfu];
        item[k++] = hexdig[(v[i] >> 4) & 0xfu];
        item[k++] = hexdig[v[i] & 0xfu];
        sha256_update(c, item, k);
    }
}

/* The first 12 hex digits of the digest. */
static void hash_out12(struct sha256 *c, char *out)
{
    uint8_t d[SHA256_LEN];
    sha256_final(c, d);
    for (unsigned i = 0; i < 6; i++) {
        out[2 * i] = hexdig[d[i] >> 4];
        out[2 * i + 1] = hexdig[d[i] & 0xfu];
    }
}

/* What JA4 needs beyond struct tls_client_hello, gathered by the parse. */
struct ja4_input {
    uint16_t version; /* highest supported_versions value, else legacy_version */
    bool have_versions;
    bool sni;
    const uint8_t *alpn_first; /* the first ALPN value, or NULL */
    size_t alpn_first_len;
    uint16_t ciphers[TLS_JA4_LIST_MAX];
    size_t n_ciphers;
    uint16_t exts[TLS_JA4_LIST_MAX]; /* without server_name and ALPN */
    size_t n_exts;
    size_t n_exts_all;    /* with them */
    struct wire sig_algs; /* the signature_algorithms list, original order */
    bool too_many;
};

static const char *ja4_version(uint16_t v)
{
    switch (v) {
    case 0x0304:
        return "13";
    case 0x0303:
        return "12";
    case 0x0302:
        return "11";
    case 0x0301:
        return "10";
    case 0x0300:
        return "s3";
    case 0x0002:
        return "s2";
    case 0xfeff:
        return "d1";
    case 0xfefd:
        return "d2";
    case 0xfefc:
        return "d3";
    default:
        return "00";
    }
}

static void ja4_alpn(const struct ja4_input *in, char out[2])
{
    if (in->alpn_first == NULL || in->alpn_first_len == 0) {
        out[0] = '0';
        out[1] = '0';
        return;
    }
    uint8_t first = in->alpn_first[0], last = in->alpn_first[in->alpn_first_len - 1];
    if (is_alnum(first) && is_alnum(last)) {
        out[0] = (char)first;
        out[1] = (char)last;
        return;
    }
    /* The first and last digit of the value written in hex. */
    out[0] = hexdig[first >> 4];
    out[1] = hexdig[last & 0xfu];
}

static void ja4_count(size_t n, char out[2])
{
    if (n > 99) {
        n = 99;
    }
    out[0] = (char)('0' + n / 10);
    out[1] = (char)('0' + n % 10);
}

static void ja4_build(struct ja4_input *in, char out[TLS_JA4_LEN + 1])
{
    if (in->too_many) {
        out[0] = '\0';
        return;
    }
    const char *ver = ja4_version(in->version);
    out[0] = 't';
    out[1] = ver[0];
    out[2] = ver[1];
    out[3] = in->sni ? 'd' : 'i';
    ja4_count(in->n_ciphers, out + 4);
    ja4_count(in->n_exts_all, out + 6);
    ja4_alpn(in, out + 8);
    out[10] = '_';
    out[23] = '_';
    out[36] = '\0';
    if (in->n_ciphers == 0) {
        memset(out + 11, '0', 12);
    } else {
        struct sha256 c;
        sha256_init(&c);
        sort_u16(in->ciphers, in->n_ciphers);
        hash_hex_list(&c, in->ciphers, in->n_ciphers);
        hash_out12(&c, out + 11);
    }
    if (in->n_exts == 0) {
        memset(out + 24, '0', 12);
        return;
    }
    struct sha256 c;
    sha256_init(&c);
    sort_u16(in->exts, in->n_exts);
    hash_hex_list(&c, in->exts, in->n_exts);
    bool first_sig = true;
    struct wire w = in->sig_algs;
    while (wire_left(&w) >= 2) {
        uint16_t alg = wire_be16(&w);
        if (is_grease(alg)) {
            continue;
        }
        sha256_update(&c, first_sig ? "_" : ",", 1);
        hash_hex_list(&c, &alg, 1);
        first_sig = false;
    }
    hash_out12(&c, out + 24);
}

/* ---------------------------------------------------------- ClientHello */

/* server_name (RFC 6066 3): a list of (type, be16 length, name); the first host_name counts. */
static bool ch_server_name(struct wire ext, struct tls_client_hello *out)
{
    struct wire list = wire_sub(&ext, wire_be16(&ext));
    while (wire_left(&list) > 0) {
        uint8_t type = wire_u8(&list);
        uint16_t n = wire_be16(&list);
        const uint8_t *name = wire_take(&list, n);
        if (name == NULL) {
            return false;
        }
        if (type == 0 && out->sni[0] == '\0') {
            text_append(out->sni, TLS_MAX_SNI, name, n);
        }
    }
    return !list.bad && !ext.bad;
}

/* ALPN (RFC 7301 3.1): be16 list length, then (u8 length, protocol) entries. */
static bool alpn_list(struct wire ext, char *out, const uint8_t **first, size_t *first_len)
{
    struct wire list = wire_sub(&ext, wire_be16(&ext));
    while (wire_left(&list) > 0) {
        uint8_t n = wire_u8(&list);
        const uint8_t *proto = wire_take(&list, n);
        if (proto == NULL) {
            return false;
        }
        if (first != NULL && *first == NULL) {
            *first = proto;
            *first_len = n;
        }
        if (out[0] != '\0') {
            text_append(out, TLS_MAX_ALPN, (const uint8_t *)",", 1);
        }
        text_append(out, TLS_MAX_ALPN, proto, n);
    }
    return !list.bad && !ext.bad;
}

/* supported_versions in a ClientHello (RFC 8446 4.2.1): u8 length, be16 versions. */
static bool ch_versions(struct wire ext, struct tls_client_hello *out, struct ja4_input *ja4)
{
    struct wire list = wire_sub(&ext, wire_u8(&ext));
    if (wire_left(&list) % 2 != 0) {
        return false;
    }
    while (wire_left(&list) >= 2) {
        uint16_t v = wire_be16(&list);
        if (is_grease(v)) {
            continue;
        }
        if (out->n_versions < TLS_MAX_VERS) {
            out->versions[out->n_versions++] = v;
        }
        /* JA4's version is the highest one offered here, not legacy_version. */
        if (!ja4->have_versions || v > ja4->version) {
            ja4->version = v;
            ja4->have_versions = true;
        }
    }
    return !list.bad && !ext.bad;
}

/* key_share in a ClientHello (RFC 8446 4.2.8): be16 length, (group, be16 length, key) entries. */
static bool ch_key_share(struct wire ext, struct tls_client_hello *out)
{
    struct wire list = wire_sub(&ext, wire_be16(&ext));
    while (wire_left(&list) > 0) {
        uint16_t group = wire_be16(&list);
        wire_skip(&list, wire_be16(&list));
        if (list.bad) {
            return false;
        }
        if (!is_grease(group) && out->n_groups < TLS_MAX_GROUPS) {
            out->groups[out->n_groups++] = group;
        }
    }
    return !ext.bad;
}

/* signature_algorithms (RFC 8446 4.2.3): be16 length, be16 schemes. */
static bool ch_sig_algs(struct wire ext, struct ja4_input *ja4)
{
    uint16_t n = wire_be16(&ext);
    if (n % 2 != 0) {
        return false;
    }
    ja4->sig_algs = wire_sub(&ext, n);
    return !ext.bad;
}

static bool ch_extension(uint16_t type, struct wire data, struct tls_client_hello *out,
                         struct ja4_input *ja4)
{
    switch (type) {
    case EXT_SERVER_NAME:
        ja4->sni = true;
        return ch_server_name(data, out);
    case EXT_ALPN:
        return alpn_list(data, out->alpn, &ja4->alpn_first, &ja4->alpn_first_len);
    case EXT_SUPPORTED_VERSIONS:
        return ch_versions(data, out, ja4);
    case EXT_KEY_SHARE:
        return ch_key_share(data, out);
    case EXT_SIG_ALGS:
        return ch_sig_algs(data, ja4);
    case EXT_SESSION_TICKET:
        out->session_ticket = true;
        return true;
    case EXT_PRE_SHARED_KEY:
        out->psk = true;
        return true;
    case EXT_EARLY_DATA:
        out->early_data = true;
        return true;
    default:
        return true;
    }
}

static bool ch_extensions(struct wire *w, struct tls_client_hello *out, struct ja4_input *ja4)
{
    if (wire_left(w) == 0) {
        return true; /* SSL 3.0 and early TLS: no extensions block */
    }
    struct wire exts = wire_sub(w, wire_be16(w));
    while (wire_left(&exts) > 0) {
        uint16_t type = wire_be16(&exts);
        struct wire data = wire_sub(&exts, wire_be16(&exts));
        if (exts.bad) {
            return false;
        }
        if (is_grease(type)) {
            continue;
        }
        out->n_extensions++;
        ja4->n_exts_all++;
        if (type != EXT_SERVER_NAME && type != EXT_ALPN) {
            if (ja4->n_exts == TLS_JA4_LIST_MAX) {
                ja4->too_many = true;
            } else {
                ja4->exts[ja4->n_exts++] = type;
            }
        }
        if (!ch_extension(type, data, out, ja4)) {
            return false;
        }
    }
    return !w->bad;
}

bool tls_parse_client_hello(const uint8_t *body, size_t len, struct tls_client_hello *out)
{
    memset(out, 0, sizeof(*out));
    struct ja4_input ja4;
    memset(&ja4, 0, sizeof(ja4));
    ja4.sig_algs = wire_init(NULL, 0);

    struct wire w = wire_init(body, len);
    out->legacy_version = wire_be16(&w);
    ja4.version = out->legacy_version;
    wire_skip(&w, 32); /* random */
    out->session_id_len = wire_u8(&w);
    if (out->session_id_len > sizeof(out->session_id)) {
        return false;
    }
    wire_copy(&w, out->session_id, out->session_id_len);
    uint16_t cs_len = wire_be16(&w);
    if (cs_len % 2 != 0) {
        return false;
    }
    struct wire cs = wire_sub(&w, cs_len);
    while (wire_left(&cs) >= 2) {
        uint16_t suite = wire_be16(&cs);
        if (is_grease(suite)) {
            continue;
        }
        out->n_ciphers++;
        if (ja4.n_ciphers == TLS_JA4_LIST_MAX) {
            ja4.too_many = true;
        } else {
            ja4.ciphers[ja4.n_ciphers++] = suite;
        }
    }
    uint8_t comp_len = wire_u8(&w);
    wire_skip(&w, comp_len);
    if (w.bad || comp_len == 0) {
        return false;
    }
    if (!ch_extensions(&w, out, &ja4)) {
        return false;
    }
    ja4_build(&ja4, out->ja4);
    return true;
}

/* ---------------------------------------------------------- ServerHello */

static bool sh_extension(uint16_t type, struct wire data, struct tls_server_hello *out)
{
    switch (type) {
    case EXT_SUPPORTED_VERSIONS:
        /* RFC 8446 4.2.1: the selected version alone. */
        out->version = wire_be16(&data);
        return !data.bad;
    case EXT_KEY_SHARE:
        /* RFC 8446 4.2.8: a KeyShareEntry, or in a HelloRetryRequest the group alone. */
        out->group = wire_be16(&data);
        return !data.bad;
    case EXT_ALPN:
        return alpn_list(data, out->alpn, NULL, NULL);
    case EXT_SESSION_TICKET:
        out->session_ticket = true;
        return true;
    case EXT_PRE_SHARED_KEY:
        out->psk = true; /* the selected identity */
        return true;
    default:
        return true;
    }
}

bool tls_parse_server_hello(const uint8_t *body, size_t len, struct tls_server_hello *out)
{
    memset(out, 0, sizeof(*out));
    struct wire w = wire_init(body, len);
    out->legacy_version = wire_be16(&w);
    out->version = out->legacy_version;
    const uint8_t *random = wire_take(&w, 32);
    out->hrr = random != NULL && memcmp(random, hrr_random, sizeof(hrr_random)) == 0;
    out->session_id_len = wire_u8(&w);
    if (out->session_id_len > sizeof(out->session_id)) {
        return false;
    }
    wire_copy(&w, out->session_id, out->session_id_len);
    out->cipher = wire_be16(&w);
    wire_skip(&w, 1); /* compression method */
    if (w.bad) {
        return false;
    }
    if (wire_left(&w) == 0) {
        return true; /* no extensions block */
    }
    struct wire exts = wire_sub(&w, wire_be16(&w));
    while (wire_left(&exts) > 0) {
        uint16_t type = wire_be16(&exts);
        struct wire data = wire_sub(&exts, wire_be16(&exts));
        if (exts.bad || !sh_extension(type, data, out)) {
            return false;
        }
    }
    return !w.bad;
}

const char *tls_version_name(uint16_t v, char buf[12])
{
    switch (v) {
    case 0x0002:
        return "SSL2.0";
    case 0x0300:
        return "SSL3.0";
    case 0x0301:
        return "TLS1.0";
    case 0x0302:
        return "TLS1.1";
    case 0x0303:
        return "TLS1.2";
    case 0x0304:
        return "TLS1.3";
    default:
        snprintf(buf, 12, "0x%04x", (unsigned)v);
        return buf;
    }
}
