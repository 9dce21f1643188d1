/*
 * tls.h - the TLS handshake as a passive observer sees it in the first
 * flights of one TCP connection: records, the ClientHello and ServerHello
 * (or HelloRetryRequest), plaintext alerts, and the JA4 client fingerprint.
 *
 * The caller (the tracker) reassembles each direction's byte stream in
 * order, from the first payload byte, into a buffer of at most TLS_SIDE_CAP
 * bytes, and calls tls_side_scan whenever the contiguous prefix grows. The
 * observer walks whole records from where it stopped and reports each one
 * as an event, so the caller can stamp it with the time of the segment that
 * completed it (as tshark times a message by the frame that completes it).
 *
 * Pure functions: no allocation, no printing, no globals. Every read is
 * bounded (wire.h). The observer may rewrite the bytes of the buffer it has
 * already consumed (stream[0 .. pos)), to join a handshake message that
 * spans several records; it never touches bytes past `have`.
 *
 * What is parsed follows RFC 8446 (TLS 1.3) and RFC 5246 (TLS 1.2): record
 * header 4.1 / 6.2, ClientHello 4.1.2, ServerHello 4.1.3 (a HelloRetryRequest
 * is a ServerHello with the special random), extensions 4.2. JA4 follows
 * FoxIO's JA4 specification (TLS client fingerprint only).
 */
#ifndef TCPSHAKE_TLS_H
#define TCPSHAKE_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLS_SIDE_CAP   16384u /* bytes of each direction's stream looked at, at most */
#define TLS_MAX_SNI    255    /* server_name kept, bytes (longer names are cut) */
#define TLS_MAX_ALPN   63     /* ALPN list as "h2,http/1.1", bytes (longer lists are cut) */
#define TLS_MAX_VERS   8      /* supported_versions kept */
#define TLS_MAX_GROUPS 8      /* key_share groups kept */
#define TLS_JA4_LEN    36     /* "t13d1516h2_8daaf6152771_e5627efa2ab1" */

/* Record content types (RFC 8446 5.1). */
enum tls_content {
    TLS_CT_CCS = 20,
    TLS_CT_ALERT = 21,
    TLS_CT_HANDSHAKE = 22,
    TLS_CT_APP_DATA = 23,
};

/* What the first flight of a client says. GREASE values (RFC 8701) are
 * left out of every list and count. Text fields are NUL-terminated, with
 * bytes outside printable ASCII replaced by '?'. */
struct tls_client_hello {
    uint16_t legacy_version;
    uint16_t versions[TLS_MAX_VERS]; /* supported_versions, in offered order */
    uint8_t n_versions;
    char sni[TLS_MAX_SNI + 1];   /* "" when no server_name */
    char alpn[TLS_MAX_ALPN + 1]; /* offered protocols joined by ',', "" when none */
    uint16_t n_ciphers;
    uint16_t n_extensions;
    uint16_t groups[TLS_MAX_GROUPS]; /* key_share entries' groups, in order */
    uint8_t n_groups;
    uint8_t session_id_len;
    uint8_t session_id[32];
    bool session_ticket; /* extension 35 present (empty or not) */
    bool psk;            /* pre_shared_key (41) */
    bool early_data;     /* early_data (42) */
    char ja4[TLS_JA4_LEN + 1];
};

/* What the server's ServerHello or HelloRetryRequest says. */
struct tls_server_hello {
    bool hrr; /* the HelloRetryRequest random (RFC 8446 4.1.3) */
    uint16_t legacy_version;
    uint16_t version; /* supported_versions when present, else legacy_version */
    uint16_t cipher;
    uint16_t group;              /* key_share's selected group; 0 when absent */
    char alpn[TLS_MAX_ALPN + 1]; /* chosen protocol (visible up to TLS 1.2), "" when none */
    uint8_t session_id_len;
    uint8_t session_id[32];
    bool session_ticket; /* extension 35 present: a ticket will follow (TLS 1.2) */
    bool psk;            /* pre_shared_key selected (TLS 1.3 resumption) */
};

enum tls_event_kind {
    TLS_EV_CLIENT_HELLO, /* a ClientHello completed and parsed (into tls_side.ch) */
    TLS_EV_SERVER_HELLO, /* a ServerHello or HRR completed and parsed (tls_side.sh) */
    TLS_EV_HANDSHAKE,    /* a handshake record carrying neither hello */
    TLS_EV_CCS,          /* a ChangeCipherSpec record */
    TLS_EV_ALERT,        /* an alert record; alert_level 0 when it is encrypted */
    TLS_EV_APP_DATA,     /* a record of type 23 */
    TLS_EV_NOT_TLS,      /* the stream does not start with a TLS handshake record */
    TLS_EV_MALFORMED,    /* a length lies or a record type is unknown: the side stops */
    TLS_EV_CAP,          /* the side reached TLS_SIDE_CAP before the observer was done */
};

struct tls_event {
    enum tls_event_kind kind;
    uint32_t end;        /* stream offset just past the record that completed it */
    uint8_t alert_level; /* TLS_EV_ALERT: 1 warning, 2 fatal, 0 encrypted */
    uint8_t alert_desc;
};

/* One direction's observer. Zero it (or tls_side_init) before the first scan. */
struct tls_side {
    bool client;                /* the client's direction: expect ClientHellos */
    bool stopped;               /* NOT_TLS, MALFORMED or CAP was reported: scan does nothing */
    uint32_t pos;               /* stream offset of the next record header */
    uint32_t n_hellos;          /* hellos completed (2 after a HelloRetryRequest) */
    struct tls_client_hello ch; /* the first ClientHello (client side) */
    struct tls_server_hello sh; /* the latest ServerHello or HRR (server side) */
    /* private: joining a handshake message that spans records */
    uint32_t msg_have;
    uint32_t msg_len;
    uint32_t msg_at;
};

void tls_side_init(struct tls_side *s, bool client);

/* Walk the records of stream[s->pos .. have) and append up to ev_cap events
 * to ev, in stream order; return how many. Call again with the same or a
 * longer prefix to continue (a return of ev_cap means there may be more).
 * have is at most TLS_SIDE_CAP; a side that fills the cap while still
 * expecting a hello reports TLS_EV_CAP. */
size_t tls_side_scan(struct tls_side *s, uint8_t *stream, uint32_t have, struct tls_event *ev,
                     size_t ev_cap);

/* True when a stream starting with these bytes can be TLS: a handshake
 * record header (22, version 3.x, a sane length). n may be short. */
bool tls_looks_like(const uint8_t *p, size_t n);

/* Parse one ClientHello / ServerHello message body (after the 4-byte
 * handshake header). false when it is malformed; out is then unspecified. */
bool tls_parse_client_hello(const uint8_t *body, size_t len, struct tls_client_hello *out);
bool tls_parse_server_hello(const uint8_t *body, size_t len, struct tls_server_hello *out);

/* Names for output: "TLS1.3", "TLS1.2" ... ("0x7f17" style for others). buf
 * gets at most 8 bytes plus NUL. */
const char *tls_version_name(uint16_t v, char buf[12]);

#endif
