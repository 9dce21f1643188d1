/*
 * tcpshake/report.h - a report of a run as one self-contained HTML page.
 *
 * Part of the public API: include <tcpshake.h>, not this file.
 *
 * Fed with the same records (and alerts) as the summary, in one pass, in
 * fixed memory: outcomes over time (a timeline of REPORT slots that doubles
 * its slot width when the input outgrows it), server side / client side /
 * TLS handshake latency histograms (the summary's log-linear histograms),
 * a sample of connections for the scatter plot (a reservoir of
 * TCPSHAKE_REPORT_SAMPLE with a fixed seed: the same records give the same
 * page), per-server health (the rows of tcpshake_health by server) with a
 * time series each, the alerts, the slowest and the first failed
 * connections. Every section is bounded, so the page is at most
 * TCPSHAKE_REPORT_MAX_BYTES whatever the input. The page makes no request:
 * styles and charts (SVG, drawn here) are inline; a few lines of script
 * only sort the health table, and everything reads without it.
 */
#ifndef TCPSHAKE_PUBLIC_REPORT_H
#define TCPSHAKE_PUBLIC_REPORT_H

#include "tcpshake/aggregate.h"
#include "tcpshake/ladder.h"
#include "tcpshake/record.h"
#include "tcpshake/status.h"
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TCPSHAKE_REPORT_SAMPLE    2000     /* connections in the scatter plot at most */
#define TCPSHAKE_REPORT_TOP       10       /* slowest, and failed, connections drawn */
#define TCPSHAKE_REPORT_SERVERS   100      /* rows of the health table at most */
#define TCPSHAKE_REPORT_ALERTS    200      /* alerts on the timeline at most */
#define TCPSHAKE_REPORT_MAX_BYTES 2000000u /* the page is never larger */

struct tcpshake_report;

/* NULL when memory runs out (or getrandom() fails, as for tcpshake_health_new). */
TCPSHAKE_API struct tcpshake_report *tcpshake_report_new(void);
/* The page's title, e.g. the capture's name (copied, up to 200 bytes; escaped). */
TCPSHAKE_API void tcpshake_report_set_title(struct tcpshake_report *r, const char *title);
/* Put the capture point into words (as tcpshake_summary_set_capture_point_fn);
 * what fn writes is escaped. NULL: the page gives the verdict's name only. */
TCPSHAKE_API void tcpshake_report_set_capture_point_fn(struct tcpshake_report *r,
                                                       tcpshake_capture_point_fn fn, void *user);
/* Count one record (borrowed for the call). r NULL is a no-op. */
TCPSHAKE_API void tcpshake_report_add(struct tcpshake_report *r, const struct tcpshake_record *rec);
/*
 * Draw the slowest connections segment by segment from ls (borrowed until
 * the page is written): a ladder set made with slowest = true and
 * max_ladders = TCPSHAKE_REPORT_TOP ranks as the report does, so it holds
 * their ladders. A connection without one in ls (or with ls NULL, the
 * default) is drawn from its record's times, as the failed ones always are.
 */
TCPSHAKE_API void tcpshake_report_set_ladders(struct tcpshake_report *r,
                                              const struct tcpshake_ladders *ls);
/* Keep one alert for the timeline (the first TCPSHAKE_REPORT_ALERTS; the rest counted). */
TCPSHAKE_API void tcpshake_report_add_alert(struct tcpshake_report *r,
                                            const struct tcpshake_alert *a);
/* Write the page; stats may be NULL. OK, ERR_NOMEM or ERR_WRITE. */
TCPSHAKE_API enum tcpshake_status tcpshake_report_write_html(const struct tcpshake_report *r,
                                                             const struct tcpshake_stats *stats,
                                                             FILE *out);
/* NULL is a no-op. */
TCPSHAKE_API void tcpshake_report_free(struct tcpshake_report *r);

#ifdef __cplusplus
}
#endif
#endif
