/*
 * sink.c - the public sink API: picks a format's function table, owns the
 * sink object, and runs begin / write / finish in order (see sink.h).
 *
 * Leaves all formatting to the sink_<format>.c files. The only allocation is
 * the sink itself; records are written straight to the caller's FILE.
 */
#include "sink.h"

#include <stdio.h>
#include <time.h>

#include "alloc.h"

/* Indexed by enum tcpshake_format. */
static const struct sink_format *const formats[TCPSHAKE_FORMAT_COUNT] = {
    [TCPSHAKE_FORMAT_TABLE] = &sink_table_format,
    [TCPSHAKE_FORMAT_JSON] = &sink_jsonl_format,
    [TCPSHAKE_FORMAT_CSV] = &sink_csv_format,
    [TCPSHAKE_FORMAT_ZEEK] = &sink_zeek_format,
};

int sink_status(const struct tcpshake_sink *s)
{
    return ferror(s->out) || s->failed ? TCPSHAKE_ERR_WRITE : TCPSHAKE_OK;
}

const char *sink_addr(const struct tcpshake_record *r, const struct tcpshake_side *side,
                      char buf[SINK_ADDR_LEN])
{
    return tcpshake_addr_str(side, r->ip_version, buf, SINK_ADDR_LEN);
}

const char *sink_iso8601(uint64_t ns, char buf[SINK_ISO_LEN])
{
    time_t sec = (time_t)(ns / 1000000000u);
    unsigned frac = (unsigned)(ns % 1000000000u);
    struct tm tm;
    if (gmtime_r(&sec, &tm) == NULL) {
        snprintf(buf, SINK_ISO_LEN, "%s", "1970-01-01T00:00:00.000000000Z");
        return buf;
    }
    snprintf(buf, SINK_ISO_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%09uZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    return buf;
}

const char *sink_next_anomaly(uint32_t bits, unsigned *pos, char buf[16])
{
    while (*pos < 32) {
        unsigned bit = (*pos)++;
        uint32_t mask = UINT32_C(1) << bit;
        if ((bits & mask) == 0) {
            continue;
        }
        const char *name = tcpshake_anomaly_name(mask);
        if (name != NULL) {
            return name;
        }
        snprintf(buf, 16, "bit_%u", bit);
        return buf;
    }
    return NULL;
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

int tcpshake_sink_write(struct tcpshake_sink *s, const struct tcpshake_record *r)
{
    return tcpshake_sink_write_event(s, TCPSHAKE_EVENT_CLOSE, r);
}

int tcpshake_sink_write_event(struct tcpshake_sink *s, enum tcpshake_event ev,
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

int tcpshake_sink_finish(struct tcpshake_sink *s)
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
