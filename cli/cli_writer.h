/*
 * cli_writer.h - a thread that writes records to a sink (cli/writer.c), so
 * that formatting them does not hold up the library's calling thread.
 */
#ifndef TCPSHAKE_CLI_WRITER_H
#define TCPSHAKE_CLI_WRITER_H

#include <stdbool.h>

#include "tcpshake.h"

struct writer;

/* Start a writer thread for sink (borrowed). NULL when it cannot start. */
struct writer *writer_start(struct tcpshake_sink *sink);
/* Queue a copy of *r, to be written as event ev after everything queued before.
 * 0, or the errno of the first write that failed so far (a reader of the
 * output gone: EPIPE), so the caller can stop early; the producer looks once
 * per batch of records, so it may learn of a failure a batch late. */
int writer_put(struct writer *w, enum tcpshake_event ev, const struct tcpshake_record *r);
/* Wait until everything queued is written. 0, or the errno of the first
 * write that failed (so far). */
int writer_sync(struct writer *w);
/* Write what is queued, stop the thread and free w (NULL is fine). 0, or the
 * errno of the first write that failed. */
int writer_stop(struct writer *w);

#endif
