/*
 * rotate.c - -w rotation with tcpdump's options and file names.
 *
 *   -C MB       a new file before the current one would grow past MB million
 *               bytes (a decimal number; each file holds at least one packet).
 *               tcpdump starts a new one only once the file is past the size,
 *               so its files end up slightly larger.
 *   -G SECONDS  a new file every SECONDS of packet time (from the first packet
 *               of the file before), its name the -w name through strftime(3)
 *               in local time at that packet (tcpdump: the wall clock).
 *   -W FILES    with -C: a ring of FILES files, the oldest overwritten; with -G:
 *               stop after FILES files (the run ends there, as tcpdump exits).
 *
 * Names, as tcpdump's MakeFilename: the -w name (after strftime with -G), then
 * the -C file number, padded with zeros to the digits of FILES - 1 with -W;
 * the first file has no number without -W: file, file1, file2 ... or, with
 * -W 10, file0 ... file9. A -G file starts the -C numbering again.
 */
#include "cli_rotate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_streams.h"

#define MAX_MB    1000000.0 /* -C: up to a terabyte */
#define MAX_FILES 1000000u

int rotate_parse_option(int ch, const char *arg, struct rotate_options *ro)
{
    char *end;
    errno = 0;
    switch (ch) {
    case 'C': {
        double mb = strtod(arg, &end);
        if (errno != 0 || end == arg || *end != '\0' || !(mb * 1e6 >= 100.0) || mb > MAX_MB) {
            fprintf(stderr,
                    "tcpshake: -C %s: want a file size in millions of bytes (e.g. 100, "
                    "or 0.5) from 0.0001 to 1000000\n",
                    arg);
            return 2;
        }
        ro->max_bytes = (uint64_t)(mb * 1e6 + 0.5);
        return 0;
    }
    case 'G':
    case 'W': {
        unsigned long long v = arg[0] == '-' ? 0 : strtoull(arg, &end, 10);
        if (arg[0] == '-' || errno != 0 || end == arg || *end != '\0' || v < 1 ||
            v > (ch == 'G' ? 365ull * 86400 : MAX_FILES)) {
            fprintf(stderr, "tcpshake: -%c %s: want %s\n", ch, arg,
                    ch == 'G' ? "whole seconds from 1 to 31536000"
                              : "a number of files from 1 to 1000000");
            return 2;
        }
        if (ch == 'G') {
            ro->every_s = v;
        } else {
            ro->max_files = (unsigned)v;
        }
        return 0;
    }
    default:
        return -1;
    }
}

bool rotate_wanted(const struct rotate_options *ro)
{
    return ro->max_bytes != 0 || ro->every_s != 0;
}

int rotate_check(const struct rotate_options *ro, bool writing)
{
    if ((rotate_wanted(ro) || ro->max_files != 0) && !writing) {
        fprintf(stderr, "tcpshake: -C, -G and -W: only with -w FILE\n");
        return 2;
    }
    if (ro->max_files != 0 && !rotate_wanted(ro)) {
        fprintf(stderr, "tcpshake: -W: only with -C or -G\n");
        return 2;
    }
    return 0;
}

/* Digits of n - 1 (tcpdump's getWflagChars): the width of -W's file numbers. */
static int number_width(unsigned n)
{
    int w = 0;
    for (unsigned x = n - 1; x > 0; x /= 10) {
        w++;
    }
    return w;
}

/* r->name for the file numbered count, the packet at ts_ns; false when too long. */
static bool make_name(struct rotator *r, uint64_t ts_ns, unsigned count)
{
    char base[PATH_MAX];
    if (r->opt->every_s != 0) {
        time_t t = (time_t)(ts_ns / 1000000000u);
        struct tm tm;
        /* The pattern is the user's -w name, as tcpdump takes it: a format on purpose. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        size_t n = localtime_r(&t, &tm) != NULL ? strftime(base, sizeof(base), r->pattern, &tm) : 0;
#pragma GCC diagnostic pop
        if (n == 0) {
            return false;
        }
    } else if ((size_t)snprintf(base, sizeof(base), "%s", r->pattern) >= sizeof(base)) {
        return false;
    }
    int width =
            r->opt->max_files != 0 && r->opt->max_bytes != 0 ? number_width(r->opt->max_files) : 0;
    int n = count == 0 && width == 0
                    ? snprintf(r->name, sizeof(r->name), "%s", base)
                    : snprintf(r->name, sizeof(r->name), "%s%0*u", base, width, count);
    return n > 0 && (size_t)n < sizeof(r->name);
}

enum tcpshake_status rotate_next(uint64_t ts_ns, unsigned why, FILE **fp, void *user)
{
    struct rotator *r = user;
    const struct rotate_options *o = r->opt;
    *fp = NULL;
    r->refused = false;
    if (why & (TCPSHAKE_ROTATE_FIRST | TCPSHAKE_ROTATE_TIME)) {
        if (o->every_s != 0 && o->max_files != 0 && r->time_files == o->max_files) {
            return TCPSHAKE_OK; /* -G with -W: that many files, then stop */
        }
        r->time_files++;
        r->size_count = 0;
    } else {
        r->size_count++;
        if (o->max_files != 0 && o->every_s == 0 && r->size_count == o->max_files) {
            r->size_count = 0; /* -C with -W: a ring */
        }
    }
    if (!make_name(r, ts_ns, r->size_count)) {
        snprintf(r->why, sizeof(r->why), "the next file name is too long");
        return TCPSHAKE_ERR_WRITE;
    }
    const char *what;
    *fp = streams_open_dump(r->name, r->inputs, r->n_inputs, &what, &r->refused);
    if (*fp == NULL) {
        snprintf(r->why, sizeof(r->why), "%s: %s", r->name, what);
        return TCPSHAKE_ERR_WRITE;
    }
    return TCPSHAKE_OK;
}
