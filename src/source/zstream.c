/*
 * zstream.c - gzip (zlib) and zstd (libzstd) captures decompressed on the fly
 * into a stdio stream (fopencookie(3)), which the pcap and pcapng readers then
 * read like any other stream.
 *
 * Memory is fixed whatever the data says: one input and the decompressor's
 * state (zlib's 32 KiB window; zstd's window, at most 2^ZSTD_WINDOW_LOG_MAX
 * bytes: a frame asking for more is refused as corrupt, as `zstd -d` does
 * without --memory). The output goes straight into the reader's buffer, so a
 * bomb (gigabytes of zeros in a few kilobytes) costs only reading time.
 *
 * The stream fails (read returns -1, the reader sees a read error) when the
 * compressed data ends before its last frame or member does (ZSTREAM_TRUNCATED)
 * or does not decompress (ZSTREAM_CORRUPT); source.c then words the error from
 * zstream_fault. Several gzip members or zstd frames in a row are one stream,
 * as `gzip -dc` and `zstd -dc` read them.
 */
#define _GNU_SOURCE /* fopencookie */
#include "zstream.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "alloc.h"

#define IN_CAP              (64u << 10)
#define ZSTD_WINDOW_LOG_MAX 27 /* 128 MiB, zstd's own default limit for decompression */

struct zstream {
    FILE *in;
    enum zstream_kind kind;
    enum zstream_fault fault;
    const char *why;
    char why_buf[64];
    bool in_end;     /* in has no more bytes */
    bool frame_open; /* a member or frame was started and has not ended */
    uint8_t *buf;    /* IN_CAP compressed bytes: [pos, len) not consumed yet */
    size_t pos, len;
    uint64_t consumed; /* compressed bytes read from in */
    uint64_t size;     /* of the compressed file, 0 when unknown */
    z_stream gz;
    ZSTD_DCtx *zd;
};

enum zstream_kind zstream_detect(const uint8_t *head, size_t len)
{
    if (len >= 2 && head[0] == 0x1f && head[1] == 0x8b) {
        return ZSTREAM_GZIP;
    }
    if (len >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd) {
        return ZSTREAM_ZSTD;
    }
    return ZSTREAM_NONE;
}

const char *zstream_name(enum zstream_kind kind)
{
    return kind == ZSTREAM_GZIP ? "gzip" : kind == ZSTREAM_ZSTD ? "zstd" : "plain";
}

static ssize_t fail(struct zstream *z, enum zstream_fault fault, const char *why)
{
    z->fault = fault;
    z->why = why;
    errno = EIO;
    return -1;
}

/* Refill buf when it is empty; false at the end of in or on a read error (z->fault). */
static bool refill(struct zstream *z)
{
    if (z->pos < z->len) {
        return true;
    }
    if (z->in_end) {
        return false;
    }
    z->pos = 0;
    z->len = fread(z->buf, 1, IN_CAP, z->in);
    z->consumed += z->len;
    if (z->len < IN_CAP) {
        z->in_end = true;
        if (ferror(z->in)) {
            z->fault = ZSTREAM_READ;
            snprintf(z->why_buf, sizeof(z->why_buf), "%s", strerror(errno != 0 ? errno : EIO));
            z->why = z->why_buf;
        }
    }
    return z->len > 0;
}

/* At the end of the input: clean when no member or frame was left open. */
static ssize_t at_end(struct zstream *z, size_t produced)
{
    if (produced > 0) {
        return (ssize_t)produced;
    }
    if (z->fault != ZSTREAM_OK) {
        errno = EIO;
        return -1;
    }
    if (z->frame_open) {
        return fail(z, ZSTREAM_TRUNCATED,
                    z->kind == ZSTREAM_GZIP ? "gzip data ends early (the file is truncated)"
                                            : "zstd data ends early (the file is truncated)");
    }
    return 0;
}

static ssize_t gz_read(struct zstream *z, char *out, size_t size)
{
    z->gz.next_out = (Bytef *)out;
    z->gz.avail_out = (uInt)(size > UINT32_MAX ? UINT32_MAX : size);
    while (z->gz.avail_out > 0) {
        if (!refill(z)) {
            return at_end(z, size - z->gz.avail_out);
        }
        if (!z->frame_open) {
            inflateReset(&z->gz); /* the next member */
            z->frame_open = true;
        }
        z->gz.next_in = z->buf + z->pos;
        z->gz.avail_in = (uInt)(z->len - z->pos);
        int rc = inflate(&z->gz, Z_NO_FLUSH);
        z->pos = z->len - z->gz.avail_in;
        if (rc == Z_STREAM_END) {
            z->frame_open = false;
        } else if (rc == Z_MEM_ERROR) {
            return fail(z, ZSTREAM_CORRUPT, "out of memory");
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            return fail(z, ZSTREAM_CORRUPT, "gzip data is corrupt");
        }
    }
    return (ssize_t)size;
}

static ssize_t zstd_read(struct zstream *z, char *out, size_t size)
{
    ZSTD_outBuffer ob = { out, size, 0 };
    while (ob.pos < ob.size) {
        if (!refill(z)) {
            return at_end(z, ob.pos);
        }
        ZSTD_inBuffer ib = { z->buf, z->len, z->pos };
        size_t rc = ZSTD_decompressStream(z->zd, &ob, &ib);
        z->pos = ib.pos;
        if (ZSTD_isError(rc)) {
            if (ZSTD_getErrorCode(rc) == ZSTD_error_frameParameter_windowTooLarge) {
                return fail(z, ZSTREAM_CORRUPT, "zstd frame needs a window over 128 MiB");
            }
            return fail(z, ZSTREAM_CORRUPT, "zstd data is corrupt");
        }
        z->frame_open = rc != 0;
    }
    return (ssize_t)ob.pos;
}

static ssize_t cookie_read(void *cookie, char *out, size_t size)
{
    struct zstream *z = cookie;
    if (z->fault != ZSTREAM_OK) {
        errno = EIO;
        return -1;
    }
    return z->kind == ZSTREAM_GZIP ? gz_read(z, out, size) : zstd_read(z, out, size);
}

/* The buffers and the decompressor; the fault stays readable until zstream_free. */
static void release(struct zstream *z)
{
    if (z->kind == ZSTREAM_GZIP) {
        inflateEnd(&z->gz);
    } else {
        ZSTD_freeDCtx(z->zd);
        z->zd = NULL;
    }
    ts_free(z->buf);
    z->buf = NULL;
}

static int cookie_close(void *cookie)
{
    struct zstream *z = cookie;
    if (z->in != stdin) {
        fclose(z->in);
    }
    z->in = NULL;
    release(z);
    return 0;
}

/* The decompressor; false when memory runs out. */
static bool start(struct zstream *z)
{
    if (z->kind == ZSTREAM_GZIP) {
        /* 15 + 16: a gzip wrapper, the largest window. */
        return inflateInit2(&z->gz, 15 + 16) == Z_OK;
    }
    z->zd = ZSTD_createDCtx();
    return z->zd != NULL &&
           !ZSTD_isError(ZSTD_DCtx_setParameter(z->zd, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX));
}

FILE *zstream_open(FILE *in, enum zstream_kind kind, const uint8_t *head, size_t head_len,
                   struct zstream **out)
{
    struct zstream *z = ts_calloc(1, sizeof(*z));
    if (z == NULL) {
        return NULL;
    }
    z->in = in;
    z->kind = kind;
    z->buf = ts_calloc(1, IN_CAP);
    if (z->buf == NULL || head_len > IN_CAP || !start(z)) {
        release(z);
        ts_free(z);
        return NULL;
    }
    memcpy(z->buf, head, head_len);
    z->len = head_len;
    z->consumed = head_len;
    z->frame_open = true;
    struct stat st;
    if (fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        z->size = (uint64_t)st.st_size;
    }
    cookie_io_functions_t io = { .read = cookie_read, .close = cookie_close };
    FILE *fp = fopencookie(z, "rb", io);
    if (fp == NULL) {
        release(z);
        ts_free(z);
        return NULL;
    }
    *out = z;
    return fp;
}

enum zstream_fault zstream_fault(const struct zstream *z, const char **why)
{
    *why = z->why;
    return z->fault;
}

void zstream_progress(const struct zstream *z, uint64_t *done, uint64_t *total)
{
    *done = z->consumed;
    *total = z->size;
}

void zstream_free(struct zstream *z)
{
    ts_free(z);
}
