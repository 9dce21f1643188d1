/*
 * cli_habits.h - the command line's tcpdump habits (cli/habits.c): one
 * duration syntax for every time option, "did you mean" for a mistyped long
 * option, the filter read from a file (-F), and the filter words collected
 * wherever they stand among the options.
 */
#ifndef TCPSHAKE_CLI_HABITS_H
#define TCPSHAKE_CLI_HABITS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The syntax every time option takes, for error messages and --help. */
#define HABITS_DURATION_WORDS "a duration such as 500ms, 1.5s, 5m or 1h"

/*
 * A duration to nanoseconds: a decimal number (a fraction allowed) and a
 * unit, one of ns, us (or µs), ms, s, m, h, d; a bare number is seconds.
 * "1.5s", "500ms", "5m", "0.25", "1h". False for anything else, a value that
 * overflows 64 bits of nanoseconds, or one finer than a nanosecond ("1.5ns").
 */
bool habits_duration(const char *s, uint64_t *ns);

/*
 * The long option of `opts` (terminated by an all-zero entry) nearest to the
 * mistyped `arg` ("--idle-timout=5m" or "--idle-timout"), when it is close
 * enough to be a typo (edit distance at most 2, and less than half the name);
 * NULL otherwise. A unique prefix is not a typo: getopt_long takes those.
 */
const char *habits_suggest(const char *arg, const struct option *opts);

/*
 * -F FILE: the filter expression in a file, as tcpdump reads it: '#' starts a
 * comment to the end of the line, lines are joined by spaces. Returns a heap
 * string (free it), or NULL with *why saying what went wrong (unreadable,
 * larger than 1 MiB, a NUL byte in it, out of memory).
 */
char *habits_read_filter(const char *path, const char **why);

/* The words of the filter expression, in the order given, wherever they stood among the options. */
struct habits_words {
    char **words; /* borrowed from argv */
    int n;
};

/* Room for argc words; false when memory runs out. */
bool habits_words_init(struct habits_words *w, int argc);
void habits_words_release(struct habits_words *w);
/*
 * Call when getopt_long (in "+" mode, so that nothing is permuted) has
 * returned -1: the argument it stopped at goes to the filter words and
 * *next_arg (getopt's optind) moves past it; after "--", every remaining
 * argument does. `next` is argv[*next_arg] as it was before that getopt_long
 * call. Returns true when options may follow (call getopt_long again), false
 * when argv is done.
 */
bool habits_take_word(struct habits_words *w, int argc, char **argv, int *next_arg,
                      const char *next);
/* The words joined by spaces (tcpdump's rule), on the heap; NULL when out of memory. */
char *habits_words_join(const struct habits_words *w);

#endif
