/*
 * reccopy.c - a record copied in the bytes it uses (tcpshake_record_copy in
 * include/tcpshake/record.h).
 *
 *   the record up to the TLS object       always (addresses, times, outcome ...)
 *   the TLS object                        when either record has TLS
 *   the Zeek figures after it             always
 *   each p0f text                         as far as the longer of the two reaches
 */
#include "tcpshake.h"

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

/* A NUL-padded text over one of *len bytes: as far as the longer one reaches,
 * and its NUL. */
static void copy_text(char *dst, const char *src, size_t cap, uint16_t *len)
{
    size_t b = strnlen(src, cap);
    size_t n = (*len > b ? *len : b) + 1;
    memcpy(dst, src, n < cap ? n : cap);
    *len = (uint16_t)b;
}

static void copy_p0f(struct tcpshake_p0f *dst, const struct tcpshake_p0f *src, uint16_t *len)
{
    copy_text(dst->sig, src->sig, sizeof(dst->sig), &len[0]);
    copy_text(dst->label, src->label, sizeof(dst->label), &len[1]);
    dst->fuzzy = src->fuzzy;
}

void tcpshake_record_copy(struct tcpshake_record *dst, struct tcpshake_record_mark *mark,
                          const struct tcpshake_record *src)
{
    memcpy(dst, src, HEAD_LEN);
    bool tls = src->tls.outcome != TCPSHAKE_TLS_NONE;
    if (tls || mark->tls) {
        dst->tls = src->tls;
    }
    mark->tls = tls;
    memcpy((unsigned char *)dst + MID_AT, (const unsigned char *)src + MID_AT, MID_LEN);
    copy_p0f(&dst->client_p0f, &src->client_p0f, &mark->text[0]);
    copy_p0f(&dst->server_p0f, &src->server_p0f, &mark->text[2]);
}
