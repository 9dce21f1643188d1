/*
 * cli_summary.h - the summary as tcpshake prints it (cli/summary.c).
 */
#ifndef TCPSHAKE_CLI_SUMMARY_H
#define TCPSHAKE_CLI_SUMMARY_H

#include "tcpshake.h"

/* tcpshake_summary_new, with the capture point put into words in the printed
 * summary. NULL when tcpshake_summary_new fails; free with tcpshake_summary_free. */
struct tcpshake_summary *cli_summary_new(void);
/* The capture point in words, as the summary prints it (a tcpshake_capture_point_fn). */
void cli_capture_point_words(enum tcpshake_capture_point cp, FILE *out, void *user);

#endif
