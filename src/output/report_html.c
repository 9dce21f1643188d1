/*
 * report_html.c - the HTML report as one self-contained page: the overview
 * (connections, outcomes over time, the capture point), latency
 * distributions, the server side / client side scatter, per-server health
 * with sparklines, failing servers and alerts on the timeline, and the
 * slowest and failed connections with their ladders (report_ladder.c).
 *
 * The page asks for nothing: a Content-Security-Policy of default-src 'none'
 * says so to the browser, styles are inline, charts are inline SVG
 * (report_svg.c), and a dozen lines of script sort the health table; with
 * scripts off everything else is the same. Every string that came from
 * packets, the title included, goes through html_text. Numbers a program may
 * want to check carry data-* attributes in ns or counts.
 *
 * Size: each section draws a bounded number of elements (REPORT_SLOTS time
 * slots, 20 bins per decade, TCPSHAKE_REPORT_SAMPLE points,
 * TCPSHAKE_REPORT_SERVERS rows, TCPSHAKE_REPORT_ALERTS alerts,
 * TCPSHAKE_REPORT_TOP + 5 x TCPSHAKE_REPORT_FAILED ladders of at most
 * TCPSHAKE_REPORT_ROWS rows), which keeps the page under
 * TCPSHAKE_REPORT_MAX_BYTES (tests/e2e/html.sh measures it on floods).
 */
#include "tcpshake.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg_health.h"
#include "alloc.h"
#include "report_data.h"
#include "report_svg.h"

#define FAILING_ROWS 10 /* servers on the failures timeline */

static const char *const capture_point_names[TCPSHAKE_CAPTURE_POINT_COUNT] = {
    [TCPSHAKE_CAPTURE_POINT_UNKNOWN] = "unknown",
    [TCPSHAKE_CAPTURE_POINT_ONE_HOST] = "one_host",
    [TCPSHAKE_CAPTURE_POINT_NEAR_CLIENT] = "near_client",
    [TCPSHAKE_CAPTURE_POINT_NEAR_SERVER] = "near_server",
    [TCPSHAKE_CAPTURE_POINT_MIDDLE] = "middle",
};

static const char style[] =
        "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:960px;color:#222;"
        "padding:0 1em}"
        "h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:1.6em;"
        "border-bottom:1px solid #ccc}h3{font-size:1.05em}"
        "table{border-collapse:collapse;margin:.5em 0}td,th{padding:2px 8px;text-align:right;"
        "border-bottom:1px solid #eee}th{background:#f4f4f4}td.l,th.l{text-align:left}"
        "th.s{cursor:pointer}svg{display:block;max-width:100%;height:auto}"
        "svg text{font:11px system-ui,sans-serif;fill:#333}"
        ".axis{stroke:#888}.bar{fill:#3b75af}.q{stroke:#c00;stroke-dasharray:3 2}"
        ".ql{fill:#c00}.frame{fill:none;stroke:#bbb}circle{fill:#3b75af;fill-opacity:.45}"
        ".spark{fill:none;stroke:#3b75af;stroke-width:1.2}.f{fill:#d62728}"
        ".alert{fill:#ff7f0e;fill-opacity:.6}.key span{display:inline-block;width:10px;"
        "height:10px;margin:0 4px 0 12px}"
        ".life{stroke:#999;stroke-width:2}.arrow{stroke:#222;fill:#222}.bad{stroke:#c00;fill:#c00}"
        ".br{fill:none;stroke:#3b75af;stroke-width:2}.lb{fill:#3b75af;font-weight:bold}"
        "h4{font-size:1em;margin:1.2em 0 "
        ".3em}.lh{font-weight:bold;font-size:13px}.lf{font-weight:bold}.ln{font-size:10px;fill:#"
        "555}"
        ".ld{fill:#777}.conn{break-inside:avoid;page-break-inside:avoid}"
        ".note{color:#555}@media print{body{max-width:none}th.s{cursor:auto}.key span{"
        "print-color-adjust:exact;-webkit-print-color-adjust:exact}}";

/* Sorts the health table by the clicked column (numbers by data-v). */
static const char script[] =
        "document.querySelectorAll('table.sortable').forEach(function(t){"
        "t.querySelectorAll('th.s').forEach(function(th,i){th.addEventListener('click',function(){"
        "var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows),d=th.dataset.dir==='a'?-1:1;"
        "th.dataset.dir=d===1?'a':'d';rows.sort(function(x,y){var p=x.cells[i],q=y.cells[i];"
        "var u=p.dataset.v,v=q.dataset.v;if(u!==undefined&&v!==undefined){return d*(v-u);}"
        "return d*p.textContent.localeCompare(q.textContent);});"
        "rows.forEach(function(r){b.appendChild(r);});});});});";

/* ------------------------------------------------------------- helpers */

static void iso_time(uint64_t ns, char *buf, size_t len)
{
    time_t sec = (time_t)(ns / 1000000000u);
    struct tm tm;
    if (gmtime_r(&sec, &tm) == NULL || strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
        snprintf(buf, len, "?");
    }
}

static double pct(uint64_t part, uint64_t whole)
{
    return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

/* A cell with a count. */
static void td_count(FILE *out, const char *field, uint64_t v)
{
    fprintf(out, "<td data-f=\"%s\" data-v=\"%" PRIu64 "\">%" PRIu64 "</td>", field, v, v);
}

/* A cell with a duration in ms (data-v in ns); "-" without a sample. */
static void td_ms(FILE *out, const char *field, const struct hist *h, double q)
{
    if (hist_count(h) == 0) {
        fprintf(out, "<td data-f=\"%s\" data-v=\"-1\">-</td>", field);
        return;
    }
    char buf[32];
    int64_t v = hist_quantile(h, q);
    fprintf(out, "<td data-f=\"%s\" data-v=\"%" PRId64 "\">%s</td>", field, v,
            report_ms(buf, sizeof(buf), v));
}

/* ------------------------------------------------------------ overview */

static void capture_point(FILE *out, const struct tcpshake_report *r)
{
    uint64_t ns = hist_count(&r->server_side), nc = hist_count(&r->client_side);
    enum tcpshake_capture_point cp =
            tcpshake_capture_point_judge(hist_quantile(&r->server_side, 0.5),
                                         hist_quantile(&r->client_side, 0.5), ns < nc ? ns : nc);
    fprintf(out, "<h3>Capture point</h3><p id=\"capture-point\" data-v=\"%s\">",
            capture_point_names[cp]);
    char *words = NULL;
    size_t len = 0;
    FILE *mem = r->capture_point_fn != NULL ? open_memstream(&words, &len) : NULL;
    if (mem != NULL) {
        r->capture_point_fn(cp, mem, r->capture_point_user);
        fclose(mem);
    }
    if (words != NULL && len > 0) {
        /* One paragraph: the lines joined, the indentation dropped. */
        for (char *p = words; *p != '\0'; p++) {
            *p = *p == '\n' ? ' ' : *p;
        }
        for (char *p = strstr(words, "   "); p != NULL; p = strstr(words, "   ")) {
            memmove(p, p + 2, strlen(p + 2) + 1);
        }
        html_text(out, words);
    } else {
        fputs(capture_point_names[cp], out);
    }
    free(words);
    fputs("</p>", out);
}

static void outcome_table(FILE *out, const struct tcpshake_report *r)
{
    fputs("<table><tr><th class=\"l\">outcome</th><th>connections</th><th>%</th></tr>", out);
    for (unsigned i = 0; i < TCPSHAKE_OUTCOME_COUNT; i++) {
        const char *name = tcpshake_outcome_name((enum tcpshake_outcome)i);
        fprintf(out,
                "<tr><td class=\"l\"><span style=\"color:%s\">■</span> %s</td>"
                "<td data-outcome=\"%s\" data-v=\"%" PRIu64 "\">%" PRIu64 "</td><td>%.1f</td></tr>",
                report_kind_colour(report_kind_of((enum tcpshake_outcome)i)), name, name,
                r->by_outcome[i], r->by_outcome[i], pct(r->by_outcome[i], r->connections));
    }
    fputs("</table>", out);
}

static void legend(FILE *out)
{
    fputs("<p class=\"key\">", out);
    for (unsigned k = 0; k < REPORT_KIND_COUNT; k++) {
        fprintf(out, "<span style=\"background:%s\"></span>%s", report_kind_colour(k),
                report_kind_name(k));
    }
    fputs("</p>", out);
}

static void overview(FILE *out, const struct tcpshake_report *r, const struct tcpshake_stats *st)
{
    fputs("<h1>tcpshake report</h1><p class=\"note\">", out);
    html_text(out, r->title);
    if (st != NULL && st->first_ns != 0) {
        char a[40], b[40];
        iso_time(st->first_ns, a, sizeof(a));
        iso_time(st->last_ns, b, sizeof(b));
        fprintf(out, " &middot; %s to %s &middot; %" PRIu64 " packets", a, b, st->packets_read);
    }
    fprintf(out,
            "</p><h2 id=\"overview\">Overview</h2><p><b id=\"n-connections\" data-v=\"%" PRIu64
            "\">%" PRIu64 "</b> connections, <b id=\"n-failed\" data-v=\"%" PRIu64 "\">%" PRIu64
            "</b> failed handshakes (refused, unanswered, ICMP-rejected, half-open, reset).</p>",
            r->connections, r->connections, r->n_failures, r->n_failures);
    outcome_table(out, r);
    capture_point(out, r);
    fprintf(out,
            "<h3>Outcomes over time</h3><p class=\"note\">Connections by the time of their "
            "first packet, %d slots of ",
            REPORT_SLOTS);
    char buf[32];
    fputs(report_dur(buf, sizeof(buf), (int64_t)r->tl.width_ns), out);
    fputs(" at most.</p>", out);
    svg_outcomes(out, r);
    legend(out);
}

/* ------------------------------------------------------------ latency */

static void latency_row(FILE *out, const char *id, const char *label, const struct hist *h)
{
    fprintf(out, "<tr data-lat=\"%s\"><td class=\"l\">%s</td>", id, label);
    td_count(out, "count", hist_count(h));
    static const double qs[] = { 0.0, 0.5, 0.9, 0.99, 1.0 };
    static const char *const names[] = { "min", "p50", "p90", "p99", "max" };
    for (size_t i = 0; i < 5; i++) {
        td_ms(out, names[i], h, qs[i]);
    }
    fputs("</tr>", out);
}

static void latency(FILE *out, const struct tcpshake_report *r)
{
    bool tls = hist_count(&r->tls_handshake) > 0;
    fprintf(out,
            "<h2 id=\"latency\">Latency</h2><p class=\"note\">In ms; percentiles within ±%g%% "
            "(the summary's log-linear histograms), min and max exact. Server side: SYN → "
            "SYN-ACK; client side: SYN-ACK → ACK.</p><table><tr><th class=\"l\"></th>"
            "<th>count</th><th>min</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>",
            HIST_ERROR_PCT);
    latency_row(out, "server_side", "server side", &r->server_side);
    latency_row(out, "client_side", "client side", &r->client_side);
    latency_row(out, "handshake", "handshake", &r->handshake);
    if (tls) {
        latency_row(out, "tls_handshake", "TLS handshake", &r->tls_handshake);
    }
    fputs("</table>", out);
    const struct {
        const char *title;
        const struct hist *h;
    } charts[] = {
        { "server side", &r->server_side },
        { "client side", &r->client_side },
        { "TLS handshake", &r->tls_handshake },
    };
    for (size_t i = 0; i < 3; i++) {
        if (hist_count(charts[i].h) == 0) {
            continue;
        }
        fprintf(out, "<h3>%s</h3>", charts[i].title);
        svg_latency(out, charts[i].h, charts[i].title);
    }
}

static void scatter(FILE *out, const struct tcpshake_report *r)
{
    fprintf(out,
            "<h2 id=\"scatter\">Server side against client side</h2><p class=\"note\">"
            "<span id=\"n-sample\" data-v=\"%zu\">%zu</span> of %" PRIu64
            " connections timed on both sides (a uniform sample of at most %d, with a fixed "
            "seed). Points to the right: slow servers or a slow path towards them; points up: "
            "slow clients or a slow path towards them; along the diagonal: both sides alike.</p>",
            r->n_sample, r->n_sample, r->n_timed, TCPSHAKE_REPORT_SAMPLE);
    if (r->n_sample > 0) {
        svg_scatter(out, r);
    }
}

/* ------------------------------------------------------------- health */

static int by_connections(const void *a, const void *b)
{
    const struct health_row *x = *(const struct health_row *const *)a;
    const struct health_row *y = *(const struct health_row *const *)b;
    if (x->connections != y->connections) {
        return x->connections > y->connections ? -1 : 1;
    }
    return a < b ? -1 : a > b; /* health_rows' order: by address, then port */
}

static uint64_t failures(const struct health_row *h)
{
    return h->refused + h->unanswered + h->icmp_rejected + h->half_open + h->reset;
}

static int by_failures(const void *a, const void *b)
{
    const struct health_row *x = *(const struct health_row *const *)a;
    const struct health_row *y = *(const struct health_row *const *)b;
    if (failures(x) != failures(y)) {
        return failures(x) > failures(y) ? -1 : 1;
    }
    return a < b ? -1 : a > b;
}

static void health_row_html(FILE *out, const struct tcpshake_report *r, const struct health_row *h,
                            size_t first, size_t last)
{
    char name[96];
    report_endpoint(name, sizeof(name), h->ip_version, h->addr, h->port);
    fputs("<tr data-server=\"", out);
    html_text(out, name);
    fputs("\"><td class=\"l\">", out);
    html_text(out, name);
    fputs("</td>", out);
    td_count(out, "connections", h->connections);
    fprintf(out, "<td data-f=\"established_pct\" data-v=\"%.2f\">%.1f</td>",
            pct(h->established, h->connections), pct(h->established, h->connections));
    td_count(out, "refused", h->refused);
    td_count(out, "unanswered", h->unanswered);
    td_count(out, "icmp_rejected", h->icmp_rejected);
    td_count(out, "half_open", h->half_open);
    td_count(out, "reset", h->reset);
    fprintf(out, "<td data-f=\"syn_retransmit_pct\" data-v=\"%.2f\">%.1f</td>",
            pct(h->syn_retransmits, h->syns), pct(h->syn_retransmits, h->syns));
    td_ms(out, "server_side_p50_ns", &h->server_side, 0.5);
    td_ms(out, "server_side_p99_ns", &h->server_side, 0.99);
    td_ms(out, "client_side_p50_ns", &h->client_side, 0.5);
    td_ms(out, "client_side_p99_ns", &h->client_side, 0.99);
    fputs("<td>", out);
    const struct report_series *s = report_series_of(r, h->ip_version, h->addr, h->port);
    if (s != NULL) {
        svg_sparkline(out, s, first, last);
    }
    fputs("</td></tr>", out);
}

static void health_table(FILE *out, const struct tcpshake_report *r, const struct health_row **rows,
                         size_t n)
{
    size_t shown = n < TCPSHAKE_REPORT_SERVERS ? n : TCPSHAKE_REPORT_SERVERS;
    size_t first = 0, last = 0;
    report_span(r, &first, &last);
    fprintf(out,
            "<h2 id=\"servers\">Servers</h2><p class=\"note\">The rows of <code>--by server</code>,"
            " the <span id=\"n-servers-shown\" data-v=\"%zu\">%zu</span> busiest of %zu; latency in"
            " ms. Click a heading to sort. The last column: connections over time (line) and "
            "failures (red).</p><table class=\"sortable\" id=\"health\"><thead><tr>"
            "<th class=\"l s\">server</th><th class=\"s\">conns</th><th class=\"s\">estab %%</th>"
            "<th class=\"s\">refused</th><th class=\"s\">unans</th><th class=\"s\">icmp</th>"
            "<th class=\"s\">half-open</th><th class=\"s\">reset</th><th class=\"s\">SYN rtx "
            "%%</th>"
            "<th class=\"s\">srv p50</th><th class=\"s\">srv p99</th><th class=\"s\">cli p50</th>"
            "<th class=\"s\">cli p99</th><th>over time</th></tr></thead><tbody>",
            shown, shown, n);
    qsort(rows, n, sizeof(rows[0]), by_connections);
    for (size_t i = 0; i < shown; i++) {
        health_row_html(out, r, rows[i], first, last);
    }
    fputs("</tbody></table>", out);
}

static void failing(FILE *out, const struct tcpshake_report *r, const struct health_row **rows,
                    size_t n)
{
    fputs("<h2 id=\"failing\">Failing servers and alerts</h2>", out);
    qsort(rows, n, sizeof(rows[0]), by_failures);
    char names[FAILING_ROWS][96];
    const char *name_ptrs[FAILING_ROWS];
    const struct report_series *series[FAILING_ROWS];
    size_t k = 0;
    for (size_t i = 0; i < n && k < FAILING_ROWS && failures(rows[i]) > 0; i++) {
        const struct report_series *s =
                report_series_of(r, rows[i]->ip_version, rows[i]->addr, rows[i]->port);
        if (s == NULL) {
            continue;
        }
        report_endpoint(names[k], sizeof(names[k]), rows[i]->ip_version, rows[i]->addr,
                        rows[i]->port);
        name_ptrs[k] = names[k];
        series[k++] = s;
    }
    if (k == 0 && r->n_alerts == 0) {
        fputs("<p>No failed handshakes and no alerts.</p>", out);
        return;
    }
    fprintf(out,
            "<p class=\"note\">Failed handshakes per time slot of the %zu servers with the "
            "most; alerts (<code>--detect</code>) as orange spans.</p>",
            k);
    svg_failing(out, r, name_ptrs, series, k);
}

static void alert_list(FILE *out, const struct tcpshake_report *r)
{
    if (r->n_alerts == 0) {
        return;
    }
    fprintf(out, "<table id=\"alerts\"><tr><th class=\"l\">alert</th><th class=\"l\">from</th>"
                 "<th class=\"l\">target</th><th>count</th></tr>");
    for (size_t i = 0; i < r->n_alerts; i++) {
        const struct tcpshake_alert *a = &r->alerts[i];
        char t[40], target[96] = "-";
        iso_time(a->first_ns, t, sizeof(t));
        if (a->has_target) {
            report_endpoint(target, sizeof(target), a->ip_version, a->target, a->target_port);
        }
        fprintf(out, "<tr><td class=\"l\">%s</td><td class=\"l\">%s</td><td class=\"l\">",
                tcpshake_alert_kind_name(a->kind), t);
        html_text(out, target);
        fprintf(out, "</td><td>%" PRIu64 "</td></tr>", a->count);
    }
    fputs("</table>", out);
    if (r->alerts_dropped > 0) {
        fprintf(out, "<p class=\"note\">%" PRIu64 " more alerts not shown.</p>", r->alerts_dropped);
    }
}

/* ------------------------------------------------------- connections */

/* rec's ladder in any list of the ladder set, or NULL. A ladder of no
 * segment at all (the connection started while the set's table was full) is
 * NULL too: the record's own drawing says more than "not kept". */
static const struct tcpshake_ladder *ladder_of(const struct tcpshake_report *r,
                                               const struct tcpshake_record *rec)
{
    for (size_t k = 0; r->ladders != NULL && k < TCPSHAKE_LADDER_MAX_LISTS; k++) {
        size_t n = tcpshake_ladders_list_count(r->ladders, k);
        for (size_t i = 0; i < n; i++) {
            const struct tcpshake_ladder *l = tcpshake_ladders_list_get(r->ladders, k, i);
            if (l != NULL && l->rec.id == rec->id) {
                bool none = l->n_rows == 1 && l->rows[0].kind == TCPSHAKE_LADDER_KIND_LOST;
                return none ? NULL : l;
            }
        }
    }
    return NULL;
}

static void connection(FILE *out, const struct tcpshake_report *r,
                       const struct tcpshake_record *rec, const char *list)
{
    const struct tcpshake_ladder *l = ladder_of(r, rec);
    char c[96], s[96], a[32], b[32], h[32];
    report_endpoint(c, sizeof(c), rec->ip_version, rec->client.addr, rec->client.port);
    report_endpoint(s, sizeof(s), rec->ip_version, rec->server.addr, rec->server.port);
    fprintf(out,
            "<div class=\"conn\" data-list=\"%s\" data-ladder=\"%s\" data-id=\"%" PRIu64
            "\" data-server-side=\"%" PRId64 "\" data-client-side=\"%" PRId64
            "\" data-handshake=\"%" PRId64 "\"><h4>Connection %" PRIu64 ": ",
            list, l != NULL ? "segments" : "record", rec->id, rec->server_side_ns,
            rec->client_side_ns, rec->handshake_ns, rec->id);
    html_text(out, c);
    fputs(" → ", out);
    html_text(out, s);
    fprintf(out, " · %s", tcpshake_outcome_name(rec->outcome));
    if (rec->handshake_ns != TCPSHAKE_NO_TIME) {
        fprintf(out, " · server side %s ms, client side %s ms, handshake %s ms",
                report_ms(a, sizeof(a), rec->server_side_ns),
                report_ms(b, sizeof(b), rec->client_side_ns),
                report_ms(h, sizeof(h), rec->handshake_ns));
    }
    if (rec->tls.sni[0] != '\0') {
        fputs(" · SNI ", out);
        html_text(out, rec->tls.sni);
    }
    fputs("</h4>", out);
    if (l != NULL) {
        svg_ladder_segments(out, l);
    } else {
        svg_ladder(out, rec);
    }
    fputs("</div>", out);
}

static void connections(FILE *out, const struct tcpshake_report *r)
{
    fprintf(out,
            "<h2 id=\"slowest\">Slowest connections</h2><p class=\"note\">The %zu with the longest"
            " handshake (SYN → ACK; the server side when there was no ACK), each segment by "
            "segment as the capture point saw it (relative seq/ack, payload, window, options), "
            "the plain segments in between summed up; the brackets are the record's server "
            "and client side.</p>",
            r->n_slow);
    for (size_t i = 0; i < r->n_slow; i++) {
        connection(out, r, &r->slow[i], "slowest");
    }
    fprintf(out,
            "<h2 id=\"failed\">Failed connections</h2><p class=\"note\">%" PRIu64
            " failed handshakes. Of each kind the first %d (the lowest ids), segment by "
            "segment as for the slowest: the SYNs and their retransmissions with the gaps, "
            "SYN-ACKs, RSTs and whether they were acceptable, ICMP errors.</p>",
            r->n_failures, TCPSHAKE_REPORT_FAILED);
    for (unsigned k = 0; k < REPORT_KIND_COUNT; k++) {
        if (r->n_failed[k] == 0) {
            continue;
        }
        uint64_t all = 0;
        for (unsigned o = 0; o < TCPSHAKE_OUTCOME_COUNT; o++) {
            all += report_kind_of((enum tcpshake_outcome)o) == k ? r->by_outcome[o] : 0;
        }
        fprintf(out, "<h3 data-kind=\"%s\">%s: %zu of %" PRIu64 "</h3>", report_kind_name(k),
                report_kind_name(k), r->n_failed[k], all);
        for (size_t i = 0; i < r->n_failed[k]; i++) {
            connection(out, r, &r->failed[k][i], "failed");
        }
    }
}

static void footer(FILE *out, const struct tcpshake_report *r, uint64_t evicted_rows)
{
    fprintf(out,
            "<h2 id=\"about\">About this page</h2><p class=\"note\">Made by tcpshake %s in the "
            "same pass as the records. Bounded whatever the capture: %d time slots, at most %d "
            "points, %d servers, %d alerts and %d + 5 &times; %d ladders of at most %d rows, "
            "under %u bytes.",
            tcpshake_version(), REPORT_SLOTS, TCPSHAKE_REPORT_SAMPLE, TCPSHAKE_REPORT_SERVERS,
            TCPSHAKE_REPORT_ALERTS, TCPSHAKE_REPORT_TOP, TCPSHAKE_REPORT_FAILED,
            TCPSHAKE_REPORT_ROWS, TCPSHAKE_REPORT_MAX_BYTES);
    if (evicted_rows > 0 || r->series_evictions > 0) {
        fprintf(out,
                " The server tables filled up: %" PRIu64 " rows and %" PRIu64
                " time series were evicted.",
                evicted_rows, r->series_evictions);
    }
    uint64_t untracked = r->ladders != NULL ? tcpshake_ladders_untracked(r->ladders) : 0;
    if (untracked > 0) {
        fprintf(out,
                " Ladders: %" PRIu64 " connections not drawn segment by segment, the table of "
                "connections followed at once was full when they started (one listed here is "
                "drawn from its record).",
                untracked);
    }
    fputs("</p>", out);
}

/* ---------------------------------------------------------------- API */

enum tcpshake_status tcpshake_report_write_html(const struct tcpshake_report *r,
                                                const struct tcpshake_stats *stats, FILE *out)
{
    if (r == NULL || out == NULL) {
        return TCPSHAKE_ERR_ARG;
    }
    size_t n = health_rows(r->health, &(const struct health_row *){ NULL }, 0);
    const struct health_row **rows = ts_calloc(n > 0 ? n : 1, sizeof(rows[0]));
    if (rows == NULL) {
        return TCPSHAKE_ERR_NOMEM;
    }
    health_rows(r->health, rows, n);
    uint64_t evicted_rows, evicted_conns;
    health_evictions(r->health, &evicted_rows, &evicted_conns);
    fputs("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">"
          "<meta name=\"viewport\" content=\"width=device-width\"><title>tcpshake report: ",
          out);
    html_text(out, r->title);
    fprintf(out, "</title><style>%s</style></head><body>", style);
    overview(out, r, stats);
    latency(out, r);
    scatter(out, r);
    health_table(out, r, rows, n);
    failing(out, r, rows, n);
    alert_list(out, r);
    connections(out, r);
    footer(out, r, evicted_rows);
    fprintf(out, "<script>%s</script></body></html>\n", script);
    ts_free(rows);
    if (fflush(out) != 0 || ferror(out)) {
        return TCPSHAKE_ERR_WRITE;
    }
    return TCPSHAKE_OK;
}
