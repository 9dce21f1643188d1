/*
 * cli_rotate.h - -w rotation as tcpdump does it (cli/rotate.c): -C MB, -G
 * SECONDS, -W FILES, and the file names tcpdump gives the files.
 */
#ifndef TCPSHAKE_CLI_ROTATE_H
#define TCPSHAKE_CLI_ROTATE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcpshake.h"

struct rotate_options {
    uint64_t max_bytes; /* -C, in bytes; 0: none */
    uint64_t every_s;   /* -G; 0: none */
    unsigned max_files; /* -W; 0: none */
};

/* One of -C, -G, -W: -1 when ch is none of them, 0, or 2 (usage) after a message on stderr. */
int rotate_parse_option(int ch, const char *arg, struct rotate_options *ro);
bool rotate_wanted(const struct rotate_options *ro);
/* Combinations that make no sense: 0, or 2 after a message on stderr. */
int rotate_check(const struct rotate_options *ro, bool writing);

struct rotator {
    const struct rotate_options *opt;
    const char *pattern; /* the -w name, strftime(3) pattern with -G */
    const char *const *inputs;
    size_t n_inputs;
    unsigned size_count;      /* -C files since the last -G file */
    unsigned time_files;      /* -G files made */
    bool refused;             /* the last name was refused (an input, standard output ...) */
    char name[PATH_MAX];      /* of the file being written */
    char why[PATH_MAX + 256]; /* when the next file could not be made: why */
};

/* The library's next-file function (user: a struct rotator). */
enum tcpshake_status rotate_next(uint64_t ts_ns, unsigned why, FILE **fp, void *user);

#endif
