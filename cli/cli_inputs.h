/*
 * cli_inputs.h - the capture files to read (cli/inputs.c): -r given several
 * times, -V LISTFILE (one path a line, as tcpdump reads it), and the rule that
 * keeps a second file name from being taken for a filter expression.
 */
#ifndef TCPSHAKE_CLI_INPUTS_H
#define TCPSHAKE_CLI_INPUTS_H

#include <stdbool.h>
#include <stddef.h>

struct inputs {
    const char **paths; /* in the order given; heap */
    size_t n;
    size_t cap;
    char **lines; /* the -V lists' lines, owned */
    size_t n_lines;
};

/* Add one -r path. False when there are too many or memory runs out (*why says which). */
bool inputs_add(struct inputs *in, const char *path, const char **why);
/* Add every path listed in the file list (one a line; blank lines skipped).
 * False when it cannot be read or names no file, with the words in why. */
bool inputs_add_list(struct inputs *in, const char *list, char *why, size_t why_len);
void inputs_free(struct inputs *in);

/* Whether the expression's first word names an existing file rather than a
 * filter: a regular file, and not a word that starts a BPF primitive. */
bool inputs_file_not_filter(const char *word);

#endif
