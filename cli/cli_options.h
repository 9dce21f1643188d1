/*
 * cli_options.h - where each part of the command line numbers its long
 * options for getopt_long: one range each, so that two parts can never
 * answer to the same option code (cli/main.c asks them in turn).
 */
#ifndef TCPSHAKE_CLI_OPTIONS_H
#define TCPSHAKE_CLI_OPTIONS_H

enum cli_option_base {
    CLI_OPT_MAIN = 256,    /* cli/main.c */
    CLI_OPT_AGG = 512,     /* --by, --bucket, --detect ... (cli/agg.c) */
    CLI_OPT_LADDER = 640,  /* --ladder (cli/ladder.c) */
    CLI_OPT_METRICS = 704, /* --metrics-listen, --metrics-file (cli/metrics.c) */
    CLI_OPT_REPORT = 768,  /* --html (cli/report.c) */
    CLI_OPT_SELECT = 832,  /* --outcome, --slower, --top, --sort (cli/select.c) */
};
#define CLI_OPT_RANGE 64 /* codes in each range */

#endif
