/*
 * report_svg.c - the charts of the HTML report as inline SVG: outcomes over
 * time (stacked bars), latency histograms on a log axis, the server side /
 * client side scatter, sparklines, the failing servers and alerts on the
 * timeline, and one connection's ladder. Every chart has a bounded number
 * of shapes (slots, bins, sample, rows), so the page has a bounded size.
 * Coordinates are printed with one decimal; text goes through html_text.
 */
#include "report_svg.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#define CHART_W  900.0
#define CHART_H  200.0
#define MARGIN_L 60.0
#define MARGIN_B 30.0
#define BINS_DEC 20 /* latency bins per decade */
#define MAX_DECS 14 /* 1 ns .. 10^13 ns */

static const struct {
    const char *name, *colour;
} kinds[REPORT_KIND_COUNT] = {
    [REPORT_ESTABLISHED] = { "established", "#4c9a2a" },
    [REPORT_REFUSED] = { "refused", "#d62728" },
    [REPORT_UNANSWERED] = { "unanswered", "#ff7f0e" },
    [REPORT_ICMP] = { "icmp_rejected", "#9467bd" },
    [REPORT_HALF_OPEN] = { "half_open", "#c9a400" },
    [REPORT_RESET] = { "reset_in_handshake", "#8c564b" },
    [REPORT_OTHER] = { "no_syn / midstream", "#9e9e9e" },
};

/* ---------------------------------------------------------------- text */

void html_text(FILE *out, const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        default:
            fputc(c < 0x20 || c == 0x7f ? '?' : (int)c, out);
            break;
        }
    }
}

const char *report_ms(char *buf, size_t len, int64_t ns)
{
    uint64_t mag = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    uint64_t us = mag / 1000u + (mag % 1000u >= 500u ? 1 : 0);
    snprintf(buf, len, "%s%" PRIu64 ".%03" PRIu64, ns < 0 ? "-" : "", us / 1000u, us % 1000u);
    return buf;
}

const char *report_dur(char *buf, size_t len, int64_t ns)
{
    double v = (double)ns;
    double a = fabs(v);
    if (a < 1e3) {
        snprintf(buf, len, "%" PRId64 " ns", ns);
    } else if (a < 1e6) {
        snprintf(buf, len, "%.3g µs", v / 1e3);
    } else if (a < 1e9) {
        snprintf(buf, len, "%.3g ms", v / 1e6);
    } else {
        snprintf(buf, len, "%.3g s", v / 1e9);
    }
    return buf;
}

const char *report_endpoint(char *buf, size_t len, uint8_t ip_version, const uint8_t addr[16],
                            uint16_t port)
{
    struct tcpshake_side side;
    memset(&side, 0, sizeof(side));
    memcpy(side.addr, addr, sizeof(side.addr));
    char a[64];
    tcpshake_addr_str(&side, ip_version, a, sizeof(a));
    snprintf(buf, len, ip_version == 6 ? "[%s]:%u" : "%s:%u", a, (unsigned)port);
    return buf;
}

const char *report_kind_colour(enum report_kind k)
{
    return (unsigned)k < REPORT_KIND_COUNT ? kinds[k].colour : "#000";
}

const char *report_kind_name(enum report_kind k)
{
    return (unsigned)k < REPORT_KIND_COUNT ? kinds[k].name : "?";
}

bool report_span(const struct tcpshake_report *r, size_t *first, size_t *last)
{
    bool any = false;
    for (size_t i = 0; i < REPORT_SLOTS; i++) {
        for (unsigned k = 0; k < REPORT_KIND_COUNT; k++) {
            if (r->slots[k][i] != 0) {
                *first = any ? *first : i;
                *last = i;
                any = true;
            }
        }
    }
    return any;
}

static void svg_open(FILE *out, double w, double h, const char *label)
{
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\""
            " height=\"%.0f\" role=\"img\" aria-label=\"",
            w, h, w, h);
    html_text(out, label);
    fputs("\">", out);
}

static void text_at(FILE *out, double x, double y, const char *anchor, const char *s)
{
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", x, y, anchor);
    html_text(out, s);
    fputs("</text>", out);
}

/* ------------------------------------------------------ outcomes chart */

/* Offset of slot i's start from the timeline's first used slot, for labels. */
static void time_label(const struct tcpshake_report *r, size_t slots, char *buf, size_t len)
{
    report_dur(buf, len, (int64_t)(slots * r->tl.width_ns));
    if (slots > 0) {
        memmove(buf + 1, buf, strnlen(buf, len - 2) + 1);
        buf[0] = '+';
    }
}

static void time_axis(FILE *out, const struct tcpshake_report *r, size_t n, double y)
{
    double bw = (CHART_W - MARGIN_L - 10) / (double)n;
    for (size_t i = 0; i <= n; i += (n + 3) / 4) {
        char buf[40];
        time_label(r, i, buf, sizeof(buf));
        text_at(out, MARGIN_L + bw * (double)i, y, "middle", buf);
    }
}

void svg_outcomes(FILE *out, const struct tcpshake_report *r)
{
    size_t first = 0, last = 0;
    if (!report_span(r, &first, &last)) {
        fputs("<p>No connections.</p>", out);
        return;
    }
    size_t n = last - first + 1;
    uint64_t peak = 1;
    for (size_t i = first; i <= last; i++) {
        uint64_t sum = 0;
        for (unsigned k = 0; k < REPORT_KIND_COUNT; k++) {
            sum += r->slots[k][i];
        }
        peak = sum > peak ? sum : peak;
    }
    svg_open(out, CHART_W, CHART_H + MARGIN_B, "connections per time slot, stacked by outcome");
    double bw = (CHART_W - MARGIN_L - 10) / (double)n;
    for (size_t i = first; i <= last; i++) {
        double y = CHART_H;
        for (unsigned k = 0; k < REPORT_KIND_COUNT; k++) {
            uint64_t c = r->slots[k][i];
            if (c == 0) {
                continue;
            }
            double h = (CHART_H - 10) * (double)c / (double)peak;
            y -= h;
            fprintf(out,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                    "<title>%s: %" PRIu64 "</title></rect>",
                    MARGIN_L + bw * (double)(i - first), y, bw > 2 ? bw - 1 : bw, h,
                    kinds[k].colour, kinds[k].name, c);
        }
    }
    char buf[32];
    snprintf(buf, sizeof(buf), "%" PRIu64, peak);
    text_at(out, MARGIN_L - 6, 16, "end", buf);
    text_at(out, MARGIN_L - 6, CHART_H, "end", "0");
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>", MARGIN_L,
            CHART_H, CHART_W - 10, CHART_H);
    time_axis(out, r, n, CHART_H + 18);
    fputs("</svg>", out);
}

/* ------------------------------------------------------ latency (log) */

/* Decade range [lo, hi) holding [min, max] (ns, at least 1). */
static void decades(int64_t min, int64_t max, int *lo, int *hi)
{
    double a = min < 1 ? 0.0 : floor(log10((double)min));
    double b = max < 1 ? 1.0 : floor(log10((double)max)) + 1.0;
    if (b - a > MAX_DECS) {
        a = b - MAX_DECS;
    }
    *lo = (int)a;
    *hi = (int)b > (int)a ? (int)b : (int)a + 1;
}

static const char *decade_label(int d, char *buf, size_t len)
{
    static const char *const units[] = { "ns", "µs", "ms", "s" };
    int u = d / 3 > 3 ? 3 : d / 3;
    int64_t v = 1;
    for (int i = 0; i < d - 3 * u; i++) {
        v *= 10;
    }
    snprintf(buf, len, "%" PRId64 " %s", v, units[u]);
    return buf;
}

/* x of value v (ns) on a log axis from 10^lo to 10^hi across [x0, x0 + w]. */
static double log_x(double v, int lo, int hi, double x0, double w)
{
    double l = v < 1 ? 0.0 : log10(v);
    l = l < lo ? lo : l > hi ? hi : l;
    return x0 + w * (l - lo) / (double)(hi - lo);
}

static void log_ticks(FILE *out, int lo, int hi, double x0, double w, double y)
{
    for (int d = lo; d <= hi; d++) {
        char buf[24];
        double x = x0 + w * (double)(d - lo) / (double)(hi - lo);
        text_at(out, x, y, "middle", decade_label(d, buf, sizeof(buf)));
    }
}

void svg_latency(FILE *out, const struct hist *h, const char *name)
{
    int lo, hi;
    decades(hist_min(h), hist_max(h), &lo, &hi);
    uint64_t bins[MAX_DECS * BINS_DEC] = { 0 };
    size_t nbins = (size_t)(hi - lo) * BINS_DEC;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        if (h->bucket[i] == 0) {
            continue;
        }
        int64_t blo, bhi;
        hist_bucket_bounds(i, &blo, &bhi);
        double mid = (double)blo + (double)(bhi - blo) / 2.0;
        double pos = (log10(mid < 1 ? 1 : mid) - lo) * BINS_DEC;
        size_t b = pos < 0 ? 0 : pos >= (double)nbins ? nbins - 1 : (size_t)pos;
        bins[b] += h->bucket[i];
    }
    uint64_t peak = 1;
    for (size_t b = 0; b < nbins; b++) {
        peak = bins[b] > peak ? bins[b] : peak;
    }
    char label[96];
    snprintf(label, sizeof(label), "%s latency histogram, log axis", name);
    svg_open(out, CHART_W, CHART_H + MARGIN_B, label);
    double w = CHART_W - MARGIN_L - 20, bw = w / (double)nbins;
    for (size_t b = 0; b < nbins; b++) {
        if (bins[b] == 0) {
            continue;
        }
        double bh = (CHART_H - 10) * (double)bins[b] / (double)peak;
        fprintf(out,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"bar\">"
                "<title>%" PRIu64 "</title></rect>",
                MARGIN_L + bw * (double)b, CHART_H - bh, bw > 2 ? bw - 1 : bw, bh, bins[b]);
    }
    static const double qs[] = { 0.5, 0.9, 0.99 };
    static const char *const qn[] = { "p50", "p90", "p99" };
    for (size_t i = 0; i < 3; i++) {
        double x = log_x((double)hist_quantile(h, qs[i]), lo, hi, MARGIN_L, w);
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"10\" x2=\"%.1f\" y2=\"%.1f\" class=\"q\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" class=\"ql\">%s</text>",
                x, x, CHART_H, x + 3, 20.0 + 12.0 * (double)i, qn[i]);
    }
    char buf[32];
    snprintf(buf, sizeof(buf), "%" PRIu64, peak);
    text_at(out, MARGIN_L - 6, 16, "end", buf);
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>", MARGIN_L,
            CHART_H, MARGIN_L + w, CHART_H);
    log_ticks(out, lo, hi, MARGIN_L, w, CHART_H + 18);
    fputs("</svg>", out);
}

/* ------------------------------------------------------------- scatter */

void svg_scatter(FILE *out, const struct tcpshake_report *r)
{
    int64_t min = INT64_MAX, max = 1;
    for (size_t i = 0; i < r->n_sample; i++) {
        const struct report_point *p = &r->sample[i];
        int64_t a = p->server_side_ns < p->client_side_ns ? p->server_side_ns : p->client_side_ns;
        int64_t b = p->server_side_ns > p->client_side_ns ? p->server_side_ns : p->client_side_ns;
        min = a < min ? a : min;
        max = b > max ? b : max;
    }
    int lo, hi;
    decades(min < 1000 ? 1000 : min, max, &lo, &hi);
    const double side = 420, x0 = MARGIN_L, y0 = 10;
    svg_open(out, side + MARGIN_L + 20, side + y0 + MARGIN_B + 10,
             "server side against client side per connection, log axes");
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"frame\"/>", x0,
            y0, side, side);
    /* The diagonal: both sides equal. */
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"q\"/>", x0,
            y0 + side, x0 + side, y0);
    for (size_t i = 0; i < r->n_sample; i++) {
        const struct report_point *p = &r->sample[i];
        double x = log_x((double)p->server_side_ns, lo, hi, x0, side);
        double y = y0 + side - (log_x((double)p->client_side_ns, lo, hi, 0, side));
        fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\"/>", x, y);
    }
    log_ticks(out, lo, hi, x0, side, y0 + side + 18);
    for (int d = lo; d <= hi; d++) {
        char buf[24];
        double y = y0 + side - side * (double)(d - lo) / (double)(hi - lo);
        text_at(out, x0 - 6, y + 4, "end", decade_label(d, buf, sizeof(buf)));
    }
    text_at(out, x0 + side / 2, y0 + side + 34, "middle", "server side (SYN → SYN-ACK)");
    fprintf(out,
            "<text x=\"12\" y=\"%.1f\" transform=\"rotate(-90 12 %.1f)\" "
            "text-anchor=\"middle\">client side (SYN-ACK → ACK)</text>",
            y0 + side / 2, y0 + side / 2);
    fputs("</svg>", out);
}

/* ---------------------------------------------------------- sparklines */

void svg_sparkline(FILE *out, const struct report_series *s, size_t first, size_t last)
{
    const double w = 120, h = 24;
    uint32_t peak = 1;
    for (size_t i = first; i <= last; i++) {
        peak = s->connections[i] > peak ? s->connections[i] : peak;
    }
    svg_open(out, w, h, "connections (line) and failures (bars) over time");
    double step = last > first ? w / (double)(last - first) : w;
    double bw = w / (double)(last - first + 1);
    for (size_t i = first; i <= last; i++) {
        if (s->failures[i] != 0) {
            double bh = (h - 2) * (double)s->failures[i] / (double)peak;
            fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"f\"/>",
                    bw * (double)(i - first), h - bh, bw, bh);
        }
    }
    fputs("<polyline class=\"spark\" points=\"", out);
    for (size_t i = first; i <= last; i++) {
        fprintf(out, "%.1f,%.1f ", step * (double)(i - first),
                h - 1 - (h - 2) * (double)s->connections[i] / (double)peak);
    }
    fputs("\"/></svg>", out);
}

/* ------------------------------------------------ failing servers, alerts */

static double slot_x(const struct tcpshake_report *r, uint64_t t, size_t first, double bw)
{
    double origin = ((double)r->tl.base + (double)first) * (double)r->tl.width_ns;
    double x = ((double)t - origin) / (double)r->tl.width_ns * bw;
    return MARGIN_L + 150 + (x < 0 ? 0 : x);
}

static void failing_rows(FILE *out, const char *const *names,
                         const struct report_series *const *series, size_t n, size_t first,
                         size_t last, double bw)
{
    for (size_t j = 0; j < n; j++) {
        double y = 10 + 20.0 * (double)j;
        text_at(out, MARGIN_L + 144, y + 13, "end", names[j]);
        uint32_t peak = 1;
        for (size_t i = first; i <= last; i++) {
            peak = series[j]->failures[i] > peak ? series[j]->failures[i] : peak;
        }
        for (size_t i = first; i <= last; i++) {
            uint32_t f = series[j]->failures[i];
            if (f == 0) {
                continue;
            }
            fprintf(out,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"16\" class=\"f\" "
                    "fill-opacity=\"%.2f\"><title>%" PRIu32 " failed</title></rect>",
                    MARGIN_L + 150 + bw * (double)(i - first), y, bw, 0.25 + 0.75 * f / peak, f);
        }
    }
}

void svg_failing(FILE *out, const struct tcpshake_report *r, const char *const *names,
                 const struct report_series *const *series, size_t n)
{
    size_t first = 0, last = 0;
    if (!report_span(r, &first, &last)) {
        return;
    }
    size_t nslots = last - first + 1;
    double bw = (CHART_W - MARGIN_L - 160) / (double)nslots;
    double rows_h = 20.0 * (double)n;
    double alerts_y = 20 + rows_h;
    double h = alerts_y + 14.0 * (double)(r->n_alerts > 0 ? 1 : 0) + 20 + MARGIN_B;
    svg_open(out, CHART_W, h, "failures per server over time, and alerts");
    failing_rows(out, names, series, n, first, last, bw);
    if (r->n_alerts > 0) {
        text_at(out, MARGIN_L + 144, alerts_y + 12, "end", "alerts");
    }
    for (size_t i = 0; i < r->n_alerts; i++) {
        const struct tcpshake_alert *a = &r->alerts[i];
        double x1 = slot_x(r, a->first_ns, first, bw), x2 = slot_x(r, a->last_ns, first, bw);
        double lim = CHART_W - 10;
        x1 = x1 > lim ? lim : x1;
        x2 = x2 > lim ? lim : x2 < x1 + 3 ? x1 + 3 : x2;
        fprintf(out,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"14\" class=\"alert\">"
                "<title>%s</title></rect>",
                x1, alerts_y, x2 - x1, tcpshake_alert_kind_name(a->kind));
    }
    double axis_y = alerts_y + 14.0 * (double)(r->n_alerts > 0 ? 1 : 0) + 8;
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>",
            MARGIN_L + 150, axis_y, CHART_W - 10, axis_y);
    for (size_t i = 0; i <= nslots; i += (nslots + 3) / 4) {
        char buf[40];
        time_label(r, i, buf, sizeof(buf));
        text_at(out, MARGIN_L + 150 + bw * (double)i, axis_y + 16, "middle", buf);
    }
    fputs("</svg>", out);
}
