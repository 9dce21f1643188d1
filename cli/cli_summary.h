/*
 * cli_summary.h - the summary as tcpshake prints it (cli/summary.c).
 */
#ifndef TCPSHAKE_CLI_SUMMARY_H
#define TCPSHAKE_CLI_SUMMARY_H

#include <stdbool.h>
#include <stdio.h>

#include "tcpshake.h"

/* tcpshake_summary_new, with the capture point put into words in the printed
 * summary. NULL when tcpshake_summary_new fails; free with tcpshake_summary_free. */
struct tcpshake_summary *cli_summary_new(void);
/* The capture point in words, as the summary prints it (a tcpshake_capture_point_fn). */
void cli_capture_point_words(enum tcpshake_capture_point cp, FILE *out, void *user);

/* --summary-json FILE: opened before the run so that a bad name fails at once
 * ('-' is standard output). NULL after saying why on standard error. */
FILE *cli_summary_json_open(const char *path);
/* Write the summary's JSON object to fp (opened as path); false after saying why. */
bool cli_summary_json_write(FILE *fp, const char *path, const struct tcpshake_summary *s,
                            const struct tcpshake_stats *stats);
/* Close what cli_summary_json_open opened (not standard output); NULL is fine. */
void cli_summary_json_close(FILE *fp);

#endif
