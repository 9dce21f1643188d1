/*
 * cli_streams.h - the standard streams and the -w file (cli/streams.c):
 * closed descriptors held, SIGPIPE turned into EPIPE, and a -w file that is
 * never the capture being read nor another output.
 */
#ifndef TCPSHAKE_CLI_STREAMS_H
#define TCPSHAKE_CLI_STREAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Hold each closed standard descriptor (0, 1, 2) on /dev/null, opened so that
 * using it fails with EBADF as before. False (errno set) when /dev/null cannot
 * be opened. Call first thing, before any file is opened. */
bool streams_hold_closed(void);

/* Ignore SIGPIPE: a reader of standard output that goes away makes writes
 * fail with EPIPE instead of killing the process mid-write. */
void streams_ignore_sigpipe(void);

/* Whether standard output is a pipe or socket that nobody reads any more. */
bool streams_reader_gone(void);

/* End the process as SIGPIPE would have (status 141 in the shell). Returns
 * 128 + SIGPIPE only if the signal could not be delivered. */
int streams_die_of_sigpipe(void);

/*
 * Open path for -w, truncated and ready to write, unless it is one of the
 * n_inputs captures being read ("-" = standard input) or standard output or
 * error, under whatever name: compared by device and inode before anything is
 * truncated. NULL on failure: *why says why (a static text), and *refused is
 * true when the file was refused rather than unopenable.
 */
FILE *streams_open_dump(const char *path, const char *const *inputs, size_t n_inputs,
                        const char **why, bool *refused);

#endif
