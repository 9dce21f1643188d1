/*
 * ja4_stream.c - run the TLS observer (src/app/tls.c) over client byte
 * streams and print every ClientHello's JA4: the program behind
 * tests/corpus/ja4_check.sh.
 *
 * Input, one stream a line: KEY, a tab, then the client's bytes in hex, with
 * '|' where the contiguous prefix grew (one scan per piece, as the tracker
 * calls tls_side_scan when a segment extends the prefix). Output, one line
 * per ClientHello event: KEY, N (1 for the first ClientHello, 2 for the one
 * after a HelloRetryRequest), JA4, SNI, each tab-separated; and for a stream
 * whose observer stopped, KEY, "stop", the event name.
 *
 * A stream that does not start with TLS (TLS after a SOCKS or HTTP CONNECT
 * preamble) is searched for its first ClientHello record and observed from
 * there: the check is of the fingerprint, not of the detection.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

#define LINE_MAX_BYTES (4u * 1024u * 1024u)

static int hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Decode hex with '|' marks; piece ends go to cuts. Returns the byte count or -1. */
static long decode(const char *hex, uint8_t *out, size_t cap, uint32_t *cuts, size_t *n_cuts)
{
    size_t n = 0;
    *n_cuts = 0;
    for (const char *c = hex; *c != '\0' && *c != '\n'; c++) {
        if (*c == '|') {
            if (*n_cuts < cap) {
                cuts[(*n_cuts)++] = (uint32_t)n;
            }
            continue;
        }
        int hi = hexval(c[0]), lo = c[1] != '\0' ? hexval(c[1]) : -1;
        if (hi < 0 || lo < 0 || n == cap) {
            return -1;
        }
        out[n++] = (uint8_t)(hi << 4 | lo);
        c++;
    }
    cuts[(*n_cuts)++] = (uint32_t)n;
    return (long)n;
}

static const char *event_name(enum tls_event_kind k)
{
    switch (k) {
    case TLS_EV_NOT_TLS:
        return "not_tls";
    case TLS_EV_MALFORMED:
        return "malformed";
    case TLS_EV_CAP:
        return "cap";
    default:
        return "other";
    }
}

/* The first offset where a handshake record holding a ClientHello starts. */
static uint32_t find_client_hello(const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i + 6 <= n; i++) {
        if (tls_looks_like(p + i, 5) && p[i + 5] == 1) {
            return i;
        }
    }
    return n;
}

/* Observe the stream piece by piece (cuts[] less skip) and print its ClientHellos. */
static bool observe(const char *key, uint8_t *stream, const uint32_t *cuts, size_t n_cuts,
                    uint32_t skip)
{
    struct tls_side s;
    tls_side_init(&s, true);
    uint32_t record_at = 0;
    for (size_t c = 0; c < n_cuts && !s.stopped; c++) {
        if (cuts[c] <= skip) {
            continue;
        }
        uint32_t have = cuts[c] - skip;
        if (have > TLS_SIDE_CAP) {
            have = TLS_SIDE_CAP;
        }
        struct tls_event ev[4];
        size_t got;
        do {
            got = tls_side_scan(&s, stream, have, ev, 4);
            for (size_t i = 0; i < got; i++) {
                if (ev[i].kind == TLS_EV_NOT_TLS && skip == 0) {
                    return false;
                }
                if (ev[i].kind == TLS_EV_CLIENT_HELLO) {
                    struct tls_client_hello again;
                    const struct tls_client_hello *ch = &s.ch;
                    if (s.n_hellos > 1) {
                        /* Only the first is kept; parse the later one from its record. */
                        const uint8_t *body = stream + record_at + 9;
                        if (!tls_parse_client_hello(body, ev[i].end - record_at - 9, &again)) {
                            printf("%s\tstop\treparse\n", key);
                            continue;
                        }
                        ch = &again;
                    }
                    printf("%s\t%u\t%s\t%s\n", key, (unsigned)s.n_hellos, ch->ja4, ch->sni);
                } else if (ev[i].kind >= TLS_EV_NOT_TLS) {
                    printf("%s\tstop\t%s\n", key, event_name(ev[i].kind));
                }
                record_at = ev[i].end;
            }
        } while (got == 4);
        if (have == TLS_SIDE_CAP) {
            break;
        }
    }
    return true;
}

int main(void)
{
    char *line = malloc(LINE_MAX_BYTES);
    uint8_t *bytes = malloc(LINE_MAX_BYTES / 2);
    uint32_t *cuts = malloc(sizeof(*cuts) * (LINE_MAX_BYTES / 2));
    if (line == NULL || bytes == NULL || cuts == NULL) {
        fprintf(stderr, "ja4_stream: out of memory\n");
        return 1;
    }
    int rc = 0;
    while (fgets(line, LINE_MAX_BYTES, stdin) != NULL) {
        char *tab = strchr(line, '\t');
        if (tab == NULL) {
            continue;
        }
        *tab = '\0';
        size_t n_cuts;
        long n = decode(tab + 1, bytes, LINE_MAX_BYTES / 2, cuts, &n_cuts);
        if (n < 0) {
            fprintf(stderr, "ja4_stream: %s: bad hex\n", line);
            rc = 1;
            continue;
        }
        if (!observe(line, bytes, cuts, n_cuts, 0)) {
            uint32_t at = find_client_hello(bytes, (uint32_t)n);
            if (at < (uint32_t)n) {
                observe(line, bytes + at, cuts, n_cuts, at);
            } else {
                printf("%s\tstop\tnot_tls\n", line);
            }
        }
    }
    free(line);
    free(bytes);
    free(cuts);
    return rc;
}
