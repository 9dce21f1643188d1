/*
 * reccopy.c - a record copied in the bytes it uses (reccopy.h).
 *
 *   the record up to the TLS object       always (addresses, times, outcome ...)
 *   the TLS object                        when either record has TLS
 *   the Zeek figures after it             always
 *   each p0f text                         as far as the longer of the two reaches
 */
#include "reccopy.h"

#include <stddef.h>
#include <string.h>

#define HEAD_LEN offsetof(struct tcpshake_record, tls)
#define MID_AT   offsetof(struct tcpshake_record, zeek_last_ns)
#define MID_LEN  (offsetof(struct tcpshake_record, client_p0f) - MID_AT)

_Static_assert(offsetof(struct tcpshake_record, tls) + sizeof(struct tcpshake_tls) <= MID_AT,
               "the TLS object lies between the head and the Zeek figures");
_Static_assert(offsetof(struct tcpshake_record, server_p0f) + sizeof(struct tcpshake_p0f) <=
                       sizeof(struct tcpshake_record),
               "the p0f objects end the record");

/* A NUL-padded text over another: as far as the longer one reaches, and its NUL. */
static void copy_text(char *dst, const char *src, size_t cap)
{
    size_t a = strnlen(dst, cap), b = strnlen(src, cap);
    size_t n = (a > b ? a : b) + 1;
    memcpy(dst, src, n < cap ? n : cap);
}

static void copy_p0f(struct tcpshake_p0f *dst, const struct tcpshake_p0f *src)
{
    copy_text(dst->sig, src->sig, sizeof(dst->sig));
    copy_text(dst->label, src->label, sizeof(dst->label));
    dst->fuzzy = src->fuzzy;
}

void reccopy_used(struct tcpshake_record *dst, const struct tcpshake_record *src)
{
    memcpy(dst, src, HEAD_LEN);
    if (dst->tls.outcome != TCPSHAKE_TLS_NONE || src->tls.outcome != TCPSHAKE_TLS_NONE) {
        dst->tls = src->tls;
    }
    memcpy((unsigned char *)dst + MID_AT, (const unsigned char *)src + MID_AT, MID_LEN);
    copy_p0f(&dst->client_p0f, &src->client_p0f);
    copy_p0f(&dst->server_p0f, &src->server_p0f);
}
