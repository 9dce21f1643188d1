/*
 * cli_ladder.h - the command-line side of the ladders (cli/ladder.c): the
 * --ladder, --ladder-data and --ladder-max options, and the ladders drawn as
 * text. What a ladder holds is the library's (tcpshake/ladder.h).
 */
#ifndef TCPSHAKE_CLI_LADDER_H
#define TCPSHAKE_CLI_LADDER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli_options.h"
#include "tcpshake.h"

enum {
    LADDER_OPT = CLI_OPT_LADDER,
    LADDER_OPT_DATA,
    LADDER_OPT_MAX,
};

/* Entries for the getopt_long table. */
#define LADDER_LONGOPTS                                                                            \
    { "ladder", required_argument, NULL, LADDER_OPT },                                             \
            { "ladder-data", no_argument, NULL, LADDER_OPT_DATA },                                 \
            { "ladder-max", required_argument, NULL, LADDER_OPT_MAX },

struct ladder_options {
    bool on;          /* --ladder given */
    bool data_set;    /* --ladder-data given */
    bool max_set;     /* --ladder-max given */
    const char *spec; /* the --ladder argument, for messages */
    struct tcpshake_ladder_config cfg;
    uint64_t ids[TCPSHAKE_LADDER_MAX_IDS];
};

void ladder_options_default(struct ladder_options *o);
/* -1: ch is not a ladder option; 0: parsed; else an exit status (usage error). */
int ladder_parse_option(int ch, const char *arg, struct ladder_options *o);
/* Combinations that make no sense (format_set: -o was given). -1 when fine, else an exit status. */
int ladder_check_options(const struct ladder_options *o, bool format_set, bool by);
/* The --help lines. */
void ladder_usage(FILE *out);

/* Draw every ladder of ls on out (colour: ANSI SGR codes). Then say on
 * standard error when the cap was hit, rows did not fit, or an id was never
 * seen. Returns 0, or 1 when an id asked for was not in the input. */
int ladder_print(const struct ladder_options *o, const struct tcpshake_ladders *ls, FILE *out,
                 bool color);

#endif
