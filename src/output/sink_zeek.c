/*
 * sink_zeek.c - Zeek conn.log in its ASCII (TSV) log format.
 *
 * The header lines, field list, types and the unset ('-') / empty
 * ("(empty)") conventions are the ones Zeek's ASCII writer produces for
 * conn.log (Zeek 5+, with local_orig / local_resp), so zeek-cut and other
 * conn.log readers work unchanged. Where tcpshake differs from Zeek:
 *   - uid is 'C' followed by the record id in base 62 (C1, C2 ... Ca ...):
 *     deterministic and unique within one run, not Zeek's random uid;
 *   - service, local_orig, local_resp and tunnel_parents are always unset,
 *     missed_bytes is 0 and ip_proto is 6 (no protocol analysis, no site
 *     configuration, no tunnels);
 *   - orig_bytes / resp_bytes are TCP payload bytes as seen on the wire,
 *     where Zeek derives them from sequence numbers;
 *   - #open is the first record's first packet time (the current time if
 *     there is no record) and #close the latest record's last packet time,
 *     both in UTC, where Zeek uses local wall-clock time.
 * As in Zeek, duration, orig_bytes and resp_bytes are unset when the
 * connection lasted zero microseconds. Times are truncated to microseconds.
 * orig / resp are client / server, swapped when record.zeek_flipped; history
 * and conn_state are already expressed by the tracker from Zeek's orig view.
 */
#include "sink.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char fields_line[] =
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration"
        "\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory"
        "\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tip_proto\n";

static const char types_line[] =
        "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount"
        "\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\tcount\n";

static const char base62[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/* "2024-05-01-12-00-00", the header time format of Zeek's ASCII writer. */
static void put_header_time(FILE *out, const char *label, uint64_t ns)
{
    time_t sec = (time_t)(ns / 1000000000u);
    struct tm tm;
    char buf[32] = "1970-01-01-00-00-00";
    if (gmtime_r(&sec, &tm) != NULL) {
        strftime(buf, sizeof(buf), "%Y-%m-%d-%H-%M-%S", &tm);
    }
    fprintf(out, "#%s\t%s\n", label, buf);
}

/* Zeek `time`: seconds with 6 decimals. */
static void put_ts(FILE *out, uint64_t ns)
{
    fprintf(out, "%" PRIu64 ".%06" PRIu64, ns / 1000000000u, ns % 1000000000u / 1000u);
}

static void put_uid(FILE *out, uint64_t id)
{
    char digits[16];
    size_t n = 0;
    do {
        digits[n++] = base62[id % 62];
        id /= 62;
    } while (id > 0 && n < sizeof(digits));
    fputc('C', out);
    while (n > 0) {
        fputc(digits[--n], out);
    }
}

/* A Zeek string field: '-' when unset (empty); v need not be NUL-terminated. */
static void put_field(FILE *out, const char *v, size_t max_len)
{
    size_t len = strnlen(v, max_len);
    if (len == 0) {
        fputc('-', out);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        /* The ASCII writer escapes the separator and non-printables as \xHH. */
        if (c < 0x20 || c >= 0x7f || c == '\\') {
            fprintf(out, "\\x%02x", (unsigned)c);
        } else {
            fputc(c, out);
        }
    }
}

static void zeek_begin(struct tcpshake_sink *s, const struct tcpshake_record *first)
{
    uint64_t open_ns = first != NULL ? first->first_ns : 0;
    if (open_ns == 0) {
        struct timespec now;
        if (clock_gettime(CLOCK_REALTIME, &now) == 0 && now.tv_sec > 0) {
            open_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
        }
    }
    fputs("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
          "#path\tconn\n",
          s->out);
    put_header_time(s->out, "open", open_ns);
    fputs(fields_line, s->out);
    fputs(types_line, s->out);
    s->last_ns = open_ns > s->last_ns ? open_ns : s->last_ns;
}

static void zeek_write(struct tcpshake_sink *s, const struct tcpshake_record *r)
{
    FILE *out = s->out;
    const struct tcpshake_side *orig = r->zeek_flipped ? &r->server : &r->client;
    const struct tcpshake_side *resp = r->zeek_flipped ? &r->client : &r->server;
    char orig_h[SINK_ADDR_LEN], resp_h[SINK_ADDR_LEN];

    put_ts(out, r->first_ns);
    fputc('\t', out);
    put_uid(out, r->id);
    fprintf(out, "\t%s\t%u\t%s\t%u\ttcp\t-\t", sink_addr(r, orig, orig_h), (unsigned)orig->port,
            sink_addr(r, resp, resp_h), (unsigned)resp->port);
    /* Zeek leaves duration and sizes unset unless the duration is positive. */
    uint64_t first_us = r->first_ns / 1000u;
    uint64_t last_us = r->last_ns / 1000u;
    if (last_us > first_us) {
        uint64_t d = last_us - first_us;
        fprintf(out, "%" PRIu64 ".%06" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t", d / 1000000u,
                d % 1000000u, orig->payload_bytes, resp->payload_bytes);
    } else {
        fputs("-\t-\t-\t", out);
    }
    put_field(out, r->zeek_state, sizeof(r->zeek_state));
    fputs("\t-\t-\t0\t", out);
    put_field(out, r->zeek_history, sizeof(r->zeek_history));
    fprintf(out, "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t-\t6\n", orig->packets,
            orig->ip_bytes, resp->packets, resp->ip_bytes);
}

static void zeek_finish(struct tcpshake_sink *s)
{
    put_header_time(s->out, "close", s->last_ns);
}

const struct sink_format sink_zeek_format = {
    .name = "zeek",
    .state_size = 0,
    .begin = zeek_begin,
    .write = zeek_write,
    .finish = zeek_finish,
};
