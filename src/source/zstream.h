/*
 * zstream.h - a gzip or zstd compressed capture read as a plain stream
 * (see zstream.c): a stdio stream of the decompressed bytes, made with fixed
 * buffers, so a compression bomb costs time, never memory.
 */
#ifndef TCPSHAKE_ZSTREAM_H
#define TCPSHAKE_ZSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum zstream_kind { ZSTREAM_NONE, ZSTREAM_GZIP, ZSTREAM_ZSTD };

/* What is wrong with the compressed data, once it is known. */
enum zstream_fault { ZSTREAM_OK, ZSTREAM_TRUNCATED, ZSTREAM_CORRUPT, ZSTREAM_READ };

struct zstream;

/* The compression the first len bytes of a stream announce by their magic number:
 * ZSTREAM_NONE also when len is too short to tell. */
enum zstream_kind zstream_detect(const uint8_t *head, size_t len);

/* The decompressed stream of in, whose first head_len bytes were already read
 * into head. The new stream owns in (closed with it unless it is stdin); *z
 * says how decompression went until zstream_free, after the stream is closed.
 * NULL, in untouched, when memory runs out. */
FILE *zstream_open(FILE *in, enum zstream_kind kind, const uint8_t *head, size_t head_len,
                   struct zstream **z);

/* ZSTREAM_OK, or what stopped decompression; *why then says it in words. */
enum zstream_fault zstream_fault(const struct zstream *z, const char **why);
/* Compressed bytes read so far, and the compressed file's size (0 when unknown). */
void zstream_progress(const struct zstream *z, uint64_t *done, uint64_t *total);
const char *zstream_name(enum zstream_kind kind);
/* After the stream is closed. NULL is a no-op. */
void zstream_free(struct zstream *z);

#endif
