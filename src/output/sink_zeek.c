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
 * The columns are the list in zeek_fields.h; a row is built in memory (text.h)
 * and written with one fwrite.
 */
#include "sink.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "encode_json.h"
#include "text.h"
#include "zeek_fields.h"

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

/*
 * The writers of each kind (zeek_fields.h), each with the tab before its
 * column; the row writer drops the line's first tab.
 */
#define ZEEK_FIELD(name, type, kind, ...) put_##kind(c, __VA_ARGS__);

/* Seconds and microseconds as Zeek's time and interval: 6 decimals. */
static void put_micro(struct text_cursor *c, uint64_t sec, uint64_t us)
{
    text_char(c, '\t');
    text_u64(c, sec);
    char frac[7] = { '.' };
    for (int i = 6; i >= 1; i--) {
        frac[i] = (char)('0' + us % 10);
        us /= 10;
    }
    text_append(c, frac, sizeof(frac));
}

static void put_time(struct text_cursor *c, uint64_t ns)
{
    put_micro(c, ns / 1000000000u, ns % 1000000000u / 1000u);
}

static void put_interval(struct text_cursor *c, uint64_t us)
{
    if (us == 0) {
        text_append(c, "\t-", 2);
    } else {
        put_micro(c, us / 1000000u, us % 1000000u);
    }
}

static void put_uid(struct text_cursor *c, uint64_t id)
{
    char digits[16];
    size_t n = 0;
    do {
        digits[n++] = base62[id % 62];
        id /= 62;
    } while (id > 0 && n < sizeof(digits));
    text_append(c, "\tC", 2);
    while (n > 0) {
        text_char(c, digits[--n]);
    }
}

static void put_addr(struct text_cursor *c, const struct tcpshake_record *r,
                     const struct tcpshake_side *side)
{
    char addr[SINK_ADDR_LEN];
    text_char(c, '\t');
    text_cstr(c, sink_addr(r, side, addr));
}

static void put_count(struct text_cursor *c, uint64_t v)
{
    text_char(c, '\t');
    text_u64(c, v);
}

static void put_opt(struct text_cursor *c, bool present, uint64_t v)
{
    if (present) {
        put_count(c, v);
    } else {
        text_append(c, "\t-", 2);
    }
}

static void put_word(struct text_cursor *c, const char *v)
{
    text_char(c, '\t');
    text_cstr(c, v);
}

/* A Zeek string: '-' when unset (empty); v need not be NUL-terminated. */
static void put_text(struct text_cursor *c, const char *v, size_t max_len)
{
    static const char hex[] = "0123456789abcdef";
    size_t len = strnlen(v, max_len);
    if (len == 0) {
        text_append(c, "\t-", 2);
        return;
    }
    text_char(c, '\t');
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)v[i];
        /* The ASCII writer escapes the separator and non-printables as \xHH. */
        if (ch < 0x20 || ch >= 0x7f || ch == '\\') {
            char esc[4] = { '\\', 'x', hex[ch >> 4], hex[ch & 15] };
            text_append(c, esc, sizeof(esc));
        } else {
            text_char(c, (char)ch);
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
    fputs(ZEEK_FIELDS_LINE, s->out);
    fputs(ZEEK_TYPES_LINE, s->out);
    s->last_ns = open_ns > s->last_ns ? open_ns : s->last_ns;
}

/* Whole microseconds from the first packet to Zeek's last time (record.h; r->last_ns in a
 * record the tracker did not make); 0 when not positive, where Zeek leaves duration and
 * sizes unset. Both the TSV and the JSON writer use it. */
static uint64_t zeek_lasted_us(const struct tcpshake_record *r)
{
    uint64_t first_us = r->first_ns / 1000u;
    uint64_t last_us = (r->zeek_last_ns != 0 ? r->zeek_last_ns : r->last_ns) / 1000u;
    return last_us > first_us ? last_us - first_us : 0;
}

static void zeek_write(struct tcpshake_sink *s, const struct tcpshake_record *r)
{
    const struct tcpshake_side *orig = r->zeek_flipped ? &r->server : &r->client;
    const struct tcpshake_side *resp = r->zeek_flipped ? &r->client : &r->server;
    uint64_t lasted_us = zeek_lasted_us(r);
    struct text_buf t;
    struct text_cursor line = text_start(&t);
    struct text_cursor *c = &line;
    ZEEK_CONN_FIELDS(ZEEK_FIELD)
    text_char(c, '\n');
    line.start++;
    sink_put_text(s, &line);
}

static void zeek_finish(struct tcpshake_sink *s)
{
    put_header_time(s->out, "close", s->last_ns);
}

/*
 * The same columns as Zeek's JSON writer (LogAscii::use_json, the default
 * JSON::TS_EPOCH) writes them: one object per line, members named as the
 * columns, unset columns left out, times and intervals as JSON numbers of
 * seconds (microseconds, trailing zeros dropped, at least one decimal, as
 * its double formatting prints them), counts and ports as integers, strings
 * escaped as JSON (encode_json.h).
 */
#define ZEEK_JSON_FIELD(name, type, kind, ...) zj_##kind(c, "\"" name "\":", __VA_ARGS__);

static void zj_key(struct text_cursor *c, const char *key)
{
    text_char(c, ',');
    text_cstr(c, key);
}

static void zj_micro(struct text_cursor *c, const char *key, uint64_t sec, uint64_t us)
{
    zj_key(c, key);
    text_u64(c, sec);
    char frac[7] = { '.' };
    for (int i = 6; i >= 1; i--) {
        frac[i] = (char)('0' + us % 10);
        us /= 10;
    }
    size_t n = sizeof(frac);
    while (n > 2 && frac[n - 1] == '0') {
        n--;
    }
    text_append(c, frac, n);
}

static void zj_time(struct text_cursor *c, const char *key, uint64_t ns)
{
    zj_micro(c, key, ns / 1000000000u, ns % 1000000000u / 1000u);
}

static void zj_interval(struct text_cursor *c, const char *key, uint64_t us)
{
    if (us != 0) {
        zj_micro(c, key, us / 1000000u, us % 1000000u);
    }
}

static void zj_uid(struct text_cursor *c, const char *key, uint64_t id)
{
    char digits[16];
    size_t n = 0;
    do {
        digits[n++] = base62[id % 62];
        id /= 62;
    } while (id > 0 && n < sizeof(digits));
    zj_key(c, key);
    text_append(c, "\"C", 2);
    while (n > 0) {
        text_char(c, digits[--n]);
    }
    text_char(c, '"');
}

static void zj_addr(struct text_cursor *c, const char *key, const struct tcpshake_record *r,
                    const struct tcpshake_side *side)
{
    char addr[SINK_ADDR_LEN];
    zj_key(c, key);
    text_char(c, '"');
    text_cstr(c, sink_addr(r, side, addr));
    text_char(c, '"');
}

static void zj_count(struct text_cursor *c, const char *key, uint64_t v)
{
    zj_key(c, key);
    text_u64(c, v);
}

static void zj_opt(struct text_cursor *c, const char *key, bool present, uint64_t v)
{
    if (present) {
        zj_count(c, key, v);
    }
}

/* A constant string, or "-": a column tcpshake leaves unset. */
static void zj_word(struct text_cursor *c, const char *key, const char *v)
{
    if (strcmp(v, "-") != 0) {
        zj_key(c, key);
        json_string(c, v, strlen(v));
    }
}

static void zj_text(struct text_cursor *c, const char *key, const char *v, size_t max_len)
{
    size_t len = strnlen(v, max_len);
    if (len > 0) {
        zj_key(c, key);
        json_string(c, v, len);
    }
}

static void zeek_json_write(struct tcpshake_sink *s, const struct tcpshake_record *r)
{
    const struct tcpshake_side *orig = r->zeek_flipped ? &r->server : &r->client;
    const struct tcpshake_side *resp = r->zeek_flipped ? &r->client : &r->server;
    uint64_t lasted_us = zeek_lasted_us(r);
    struct text_buf t;
    struct text_cursor line = text_start(&t);
    struct text_cursor *c = &line;
    ZEEK_CONN_FIELDS(ZEEK_JSON_FIELD)
    text_char(c, '}');
    text_char(c, '\n');
    *line.start = '{'; /* the first member's comma */
    sink_put_text(s, &line);
}

const struct sink_format sink_zeek_json_format = {
    .name = "zeek-json",
    .state_size = 0,
    .begin = NULL,
    .write = zeek_json_write,
    .finish = NULL,
};

const struct sink_format sink_zeek_format = {
    .name = "zeek",
    .state_size = 0,
    .begin = zeek_begin,
    .write = zeek_write,
    .finish = zeek_finish,
};
