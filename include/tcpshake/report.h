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
 * time series each, the alerts, the slowest connections and the first
 * failed ones of each failure kind. Every section is bounded, so the page is at most
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
#define TCPSHAKE_REPORT_TOP       10       /* slowest connections drawn */
#define TCPSHAKE_REPORT_FAILED    4        /* failed connections drawn per failure kind */
#define TCPSHAKE_REPORT_ROWS      32       /* rows of a ladder at most (its max_rows) */
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
 * The ladder set that holds the ladders the report draws, segment by segment:
 * list 0 the TCPSHAKE_REPORT_TOP slowest (ranked as the report ranks them),
 * then one list per failure kind (refused, unanswered, ICMP-rejected,
 * half-open, reset in the handshake) with the TCPSHAKE_REPORT_FAILED lowest
 * ids (the first seen), each ladder at most TCPSHAKE_REPORT_ROWS rows. Attach
 * it to the handle (tcpshake_set_ladders) before the run and to the report
 * (tcpshake_report_set_ladders); free it with tcpshake_ladders_free after
 * the page is written. NULL when memory runs out.
 */
TCPSHAKE_API struct tcpshake_ladders *tcpshake_report_ladders_new(void);
/*
 * Draw the connections segment by segment from ls (borrowed until the page
 * is written): each connection the report shows is looked up by id in every
 * list of ls. One without a ladder there (or with ls NULL, the default) is
 * drawn from its record's times.
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
