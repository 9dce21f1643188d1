/*
 * cli_report.h - the command-line side of the HTML report (cli/report.c):
 * --html FILE. The report itself is the library's (tcpshake_report_*).
 */
#ifndef TCPSHAKE_CLI_REPORT_H
#define TCPSHAKE_CLI_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "tcpshake.h"

enum { REPORT_OPT_HTML = 768 };

#define REPORT_LONGOPTS { "html", required_argument, NULL, REPORT_OPT_HTML },

struct report_run {
    const char *path;              /* --html FILE; NULL: no report */
    FILE *fp;                      /* opened before the input is read */
    struct tcpshake_report *report;
};

/* -1: ch is not a report option; 0: parsed; else an exit status (usage error). */
int report_parse_option(int ch, const char *arg, struct report_run *rr);
/* The --help lines. */
void report_usage(FILE *out);
/* Open the file and make the report (title: the input's name). -1, or an exit status. */
int report_start(struct report_run *rr, const char *title);
/* Write the page and close the file; false (after saying why) when that failed. */
bool report_finish(struct report_run *rr, const struct tcpshake_stats *st);
void report_free(struct report_run *rr);

#endif
