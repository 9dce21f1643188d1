/*
 * cli_report.h - the command-line side of the HTML report (cli/report.c):
 * --html FILE. The report itself is the library's (tcpshake_report_*).
 */
#ifndef TCPSHAKE_CLI_REPORT_H
#define TCPSHAKE_CLI_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "cli_options.h"
#include "tcpshake.h"

enum { REPORT_OPT_HTML = CLI_OPT_REPORT };

#define REPORT_LONGOPTS { "html", required_argument, NULL, REPORT_OPT_HTML },

struct report_run {
    const char *path;              /* --html FILE; NULL: no report */
    FILE *fp;                      /* opened before the input is read */
    struct tcpshake_report *report;
    struct tcpshake_ladders *ladders; /* the slowest connections' ladders */
};

/* -1: ch is not a report option; 0: parsed; else an exit status (usage error). */
int report_parse_option(int ch, const char *arg, struct report_run *rr);
/* The --help lines. */
void report_usage(FILE *out);
/* --html with --ladder: a handle collects one set of ladders. -1, or an exit status. */
int report_check_options(const struct report_run *rr, bool ladder_on);
/* Collect the slowest connections' ladders from h (before it runs; h on one
 * thread). False, after saying why, when that fails. */
bool report_attach(struct report_run *rr, struct tcpshake *h);
/* Open the file and make the report (title: the input's name). -1, or an exit status. */
int report_start(struct report_run *rr, const char *title);
/* Write the page and close the file; false (after saying why) when that failed. */
bool report_finish(struct report_run *rr, const struct tcpshake_stats *st);
void report_free(struct report_run *rr);

#endif
