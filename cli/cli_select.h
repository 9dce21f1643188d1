/*
 * cli_select.h - which records are printed, and in what order (cli/select.c):
 * --outcome, --slower, --top N --sort FIELD. One stage in the output path,
 * before every format; the summary, --stats-interval and --detect still see
 * every connection.
 */
#ifndef TCPSHAKE_CLI_SELECT_H
#define TCPSHAKE_CLI_SELECT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli_options.h"
#include "tcpshake.h"

enum {
    SELECT_OPT_OUTCOME = CLI_OPT_SELECT,
    SELECT_OPT_SLOWER,
    SELECT_OPT_TOP,
    SELECT_OPT_SORT,
};

/* Entries for the getopt_long table. */
#define SELECT_LONGOPTS                                                                            \
    { "outcome", required_argument, NULL, SELECT_OPT_OUTCOME },                                    \
            { "slower", required_argument, NULL, SELECT_OPT_SLOWER },                              \
            { "top", required_argument, NULL, SELECT_OPT_TOP },                                    \
            { "sort", required_argument, NULL, SELECT_OPT_SORT },

/* The durations --slower and --sort name. */
enum select_field {
    SELECT_SERVER,    /* server_side_ns */
    SELECT_CLIENT,    /* client_side_ns */
    SELECT_HANDSHAKE, /* handshake_ns */
    SELECT_APP,       /* app_latency_ns */
    SELECT_DURATION,  /* duration_ns (--sort only) */
    SELECT_FIELD_COUNT
};

/* Most records --top keeps. */
#define SELECT_TOP_MAX 100000u

struct select_options {
    bool any;          /* any of the options given */
    uint32_t outcomes; /* bit per enum tcpshake_outcome; 0 = every outcome */
    bool slower_set[SELECT_FIELD_COUNT];
    uint64_t slower_ns[SELECT_FIELD_COUNT]; /* more than this, when slower_set */
    uint64_t top;                           /* 0 = no --top */
    int sort;                               /* enum select_field; -1 = no --sort */
    char words[256];                        /* the options as given, for the summary line */
};

struct select_item;

struct select_run {
    const struct select_options *o;
    uint64_t seen;  /* records offered */
    uint64_t shown; /* records let through (or kept by --top) */
    struct select_item *heap; /* --top: the best `top` so far, worst at [0] */
    uint64_t n_heap;
};

void select_options_default(struct select_options *o);
/* -1: not a selection option; 0: parsed; else an exit status. */
int select_parse_option(int ch, const char *arg, struct select_options *o);
/* Combinations that make no sense (--by): -1 when fine, else an exit status. */
int select_check_options(const struct select_options *o, bool by);
void select_usage(FILE *out);

/* The heap for --top; false when memory runs out. */
bool select_start(struct select_run *run, const struct select_options *o);
/* True: write this record now. False: filtered out, or held for --top. */
bool select_take(struct select_run *run, enum tcpshake_event ev, const struct tcpshake_record *r);
/* --top: hand the kept records to fn in sort order (largest first, ties by id, then event). */
void select_drain(struct select_run *run,
                  void (*fn)(enum tcpshake_event ev, const struct tcpshake_record *r, void *user),
                  void *user);
/* "shown: 12 of 340 connections (--outcome failed)" when a selection was asked for. */
void select_summary(const struct select_run *run, bool connections, FILE *out);
void select_free(struct select_run *run);

#endif
