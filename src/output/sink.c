/*
 * sink.c - the public sink API: picks a format's function table, owns the
 * sink object, and runs begin / write / finish in order (see sink.h).
 *
 * Leaves all formatting to the sink_<format>.c files. The only allocation is
 * the sink itself; records are written straight to the caller's FILE.
 */
#include "sink.h"

#include <stdio.h>

#include "alloc.h"
#include "text.h"

/* Indexed by enum tcpshake_format. */
static const struct sink_format *const formats[TCPSHAKE_FORMAT_COUNT] = {
    [TCPSHAKE_FORMAT_TABLE] = &sink_table_format,
    [TCPSHAKE_FORMAT_JSON] = &sink_jsonl_format,
    [TCPSHAKE_FORMAT_CSV] = &sink_csv_format,
    [TCPSHAKE_FORMAT_ZEEK] = &sink_zeek_format,
    [TCPSHAKE_FORMAT_ZEEK_JSON] = &sink_zeek_json_format,
};

int sink_status(const struct tcpshake_sink *s)
{
    return ferror(s->out) || s->failed ? TCPSHAKE_ERR_WRITE : TCPSHAKE_OK;
}

void sink_silent_keep(struct sink_silent *m, const struct text_cursor *line, const char *from)
{
    size_t n = (size_t)(line->p - from);
    m->len = 0;
    if (!line->overflow && n <= sizeof(m->text)) {
        memcpy(m->text, from, n);
        m->len = n;
    }
}

void sink_put_text(struct tcpshake_sink *s, const struct text_cursor *line)
{
    if (line->overflow) {
        s->failed = true; /* cannot happen with SINK_TEXT_CAP */
        return;
    }
    fwrite(line->start, 1, (size_t)(line->p - line->start), s->out);
}

const char *sink_addr(const struct tcpshake_record *r, const struct tcpshake_side *side,
                      char buf[SINK_ADDR_LEN])
{
    return sink_ip(side->addr, r->ip_version, buf);
}

const char *sink_ip(const uint8_t addr[16], uint8_t ip_version, char buf[SINK_ADDR_LEN])
{
    sink_put_ip(buf, addr, ip_version);
    return buf;
}

/* n as exactly width decimal digits (n < 10^width), at p; returns the end. */
static char *put_digits(char *p, uint64_t n, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + n % 10);
        n /= 10;
    }
    return p + width;
}

/*
 * Every record carries a time stamp, and gmtime_r + snprintf cost more than
 * the rest of a CSV line. The date comes from the day count by Howard
 * Hinnant's civil_from_days (proleptic Gregorian, eras of 400 years), which
 * holds for every uint64_t nanosecond time (up to the year 2554).
 */
/* The date and time of day of sec, and the decimal point: 20 bytes at p. */
static void put_second(char *p, uint64_t sec)
{
    uint64_t days = sec / 86400;
    uint64_t tod = sec % 86400;
    uint64_t z = days + 719468; /* days since 0000-03-01 */
    uint64_t era = z / 146097;
    uint64_t doe = z - era * 146097;
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint64_t mp = (5 * doy + 2) / 153;
    uint64_t day = doy - (153 * mp + 2) / 5 + 1;
    uint64_t month = mp < 10 ? mp + 3 : mp - 9;
    uint64_t year = yoe + era * 400 + (month <= 2);
    p = put_digits(p, year, 4);
    *p++ = '-';
    p = put_digits(p, month, 2);
    *p++ = '-';
    p = put_digits(p, day, 2);
    *p++ = 'T';
    p = put_digits(p, tod / 3600, 2);
    *p++ = ':';
    p = put_digits(p, tod / 60 % 60, 2);
    *p++ = ':';
    p = put_digits(p, tod % 60, 2);
    *p = '.';
}

/* The fraction of ns's second after the 20 bytes of put_second. */
static const char *put_fraction(char buf[SINK_ISO_LEN], uint64_t ns)
{
    char *p = put_digits(buf + 20, ns % 1000000000u, 9);
    *p++ = 'Z';
    *p = '\0';
    return buf;
}

const char *sink_iso8601(uint64_t ns, char buf[SINK_ISO_LEN])
{
    put_second(buf, ns / 1000000000u);
    return put_fraction(buf, ns);
}

const char *sink_iso8601_memo(struct sink_iso_memo *m, uint64_t ns, char buf[SINK_ISO_LEN])
{
    if (m == NULL) {
        return sink_iso8601(ns, buf);
    }
    uint64_t sec = ns / 1000000000u;
    if (sec != m->sec) {
        put_second(m->text, sec);
        m->sec = sec;
    }
    memcpy(buf, m->text, sizeof(m->text));
    return put_fraction(buf, ns);
}

const char *sink_next_anomaly(uint32_t bits, unsigned *pos, char buf[16])
{
    /* Straight to the next set bit: most records have none at all. */
    if (*pos >= 32 || (bits >> *pos) == 0) {
        return NULL;
    }
    unsigned bit = *pos + (unsigned)__builtin_ctz(bits >> *pos);
    *pos = bit + 1;
    const char *name = tcpshake_anomaly_name(UINT32_C(1) << bit);
    if (name != NULL) {
        return name;
    }
    snprintf(buf, 16, "bit_%u", bit);
    return buf;
}

struct text_cursor sink_put_time(struct text_cursor line, uint64_t ns, bool quoted)
{
    struct text_cursor *c = &line;
    char text[SINK_ISO_LEN];
    const char *t = text;
    switch (c->time_format) {
    case TCPSHAKE_TIME_S: {
        char *p = text_digits(text, ns / 1000000000u);
        *p++ = '.';
        p = put_digits(p, ns % 1000000000u, 9);
        *p = '\0';
        break;
    }
    case TCPSHAKE_TIME_ISO:
        t = sink_iso8601(ns, text);
        break;
    default: /* offset: exact, and small enough for any JSON reader */
        text_i64(c, ns >= c->time_origin ? (int64_t)(ns - c->time_origin)
                                         : -(int64_t)(c->time_origin - ns));
        return line;
    }
    if (quoted) {
        text_char(c, '"');
    }
    text_cstr(c, t);
    if (quoted) {
        text_char(c, '"');
    }
    return line;
}

enum tcpshake_status tcpshake_sink_set_time_format(struct tcpshake_sink *s,
                                                   enum tcpshake_time_format tf)
{
    if (s == NULL || (unsigned)tf >= TCPSHAKE_TIME_FORMAT_COUNT) {
        return TCPSHAKE_ERR_ARG;
    }
    s->time_format = tf;
    return TCPSHAKE_OK;
}

void tcpshake_sink_set_time_origin(struct tcpshake_sink *s, uint64_t origin_ns)
{
    if (s != NULL) {
        s->time_origin = origin_ns;
    }
}

const char *tcpshake_time_format_name(enum tcpshake_time_format tf)
{
    static const char *const names[TCPSHAKE_TIME_FORMAT_COUNT] = { "ns", "s", "iso", "offset" };
    return (unsigned)tf < TCPSHAKE_TIME_FORMAT_COUNT ? names[tf] : "?";
}

struct tcpshake_sink *tcpshake_sink_new(enum tcpshake_format fmt, FILE *out, unsigned flags)
{
    if ((unsigned)fmt >= TCPSHAKE_FORMAT_COUNT || out == NULL) {
        return NULL;
    }
    const struct sink_format *format = formats[fmt];
    struct tcpshake_sink *s = ts_calloc(1, sizeof(*s) + format->state_size);
    if (s == NULL) {
        return NULL;
    }
    s->format = format;
    s->out = out;
    s->flags = flags;
    s->iso.sec = UINT64_MAX;
    return s;
}

const char *tcpshake_event_name(enum tcpshake_event e)
{
    switch (e) {
    case TCPSHAKE_EVENT_HANDSHAKE:
        return "handshake";
    case TCPSHAKE_EVENT_CLOSE:
        return "close";
    default:
        return "unknown";
    }
}

enum tcpshake_status tcpshake_sink_write(struct tcpshake_sink *s, const struct tcpshake_record *r)
{
    return tcpshake_sink_write_event(s, TCPSHAKE_EVENT_CLOSE, r);
}

enum tcpshake_status tcpshake_sink_write_event(struct tcpshake_sink *s, enum tcpshake_event ev,
                                               const struct tcpshake_record *r)
{
    if (s == NULL || r == NULL || (unsigned)ev >= TCPSHAKE_EVENT_COUNT) {
        return TCPSHAKE_ERR_ARG;
    }
    s->event = ev;
    if (!s->begun) {
        s->begun = true;
        if (s->format->begin != NULL) {
            s->format->begin(s, r);
        }
    }
    s->format->write(s, r);
    s->n_records++;
    if (r->last_ns > s->last_ns) {
        s->last_ns = r->last_ns;
    }
    return sink_status(s);
}

enum tcpshake_status tcpshake_sink_finish(struct tcpshake_sink *s)
{
    if (s == NULL) {
        return TCPSHAKE_ERR_ARG;
    }
    if (!s->begun) {
        s->begun = true;
        if (s->format->begin != NULL) {
            s->format->begin(s, NULL);
        }
    }
    /* A second finish only flushes: the trailer is written once. */
    if (!s->finished && s->format->finish != NULL) {
        s->format->finish(s);
    }
    s->finished = true;
    if (fflush(s->out) != 0) {
        return TCPSHAKE_ERR_WRITE;
    }
    return sink_status(s);
}

void tcpshake_sink_free(struct tcpshake_sink *s)
{
    ts_free(s);
}
