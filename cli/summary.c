/*
 * summary.c - the end-of-run summary as the command line prints it: the
 * library's summary with the capture point put into words here (the library
 * only judges it; what the figures then mean is the tool's to say).
 */
#include "cli_summary.h"

#include <errno.h>
#include <string.h>

void cli_capture_point_words(enum tcpshake_capture_point cp, FILE *out, void *user)
{
    (void)user;
    fputs("capture point: ", out);
    switch (cp) {
    case TCPSHAKE_CAPTURE_POINT_ONE_HOST:
        fputs("both sides under 0.1 ms: one host or a very short path\n"
              "  (loopback, namespaces on one machine); the figures are mostly the\n"
              "  two stacks' own time.\n",
              out);
        break;
    case TCPSHAKE_CAPTURE_POINT_NEAR_CLIENT:
        fputs("near the client (client side ~ 0, server side ~ the round trip).\n"
              "  Server side is the whole network round trip plus the server's time,\n"
              "  so a slow path and a slow server look alike; client side is only the\n"
              "  client's own stack time.\n",
              out);
        break;
    case TCPSHAKE_CAPTURE_POINT_NEAR_SERVER:
        fputs("near the server (server side ~ 0, client side ~ the round trip).\n"
              "  Server side is the server's own stack and accept time; client side is\n"
              "  the whole network round trip plus the client's time.\n",
              out);
        break;
    case TCPSHAKE_CAPTURE_POINT_MIDDLE:
        fputs("in the middle (both sides carry network time).\n"
              "  Server side is the path from the capture point to the server and back\n"
              "  plus server time, client side the same towards the client; their sum\n"
              "  is the round trip between the ends.\n",
              out);
        break;
    case TCPSHAKE_CAPTURE_POINT_UNKNOWN:
    default:
        fputs("unknown (no handshake timed on both sides).\n", out);
        break;
    }
}

struct tcpshake_summary *cli_summary_new(void)
{
    struct tcpshake_summary *s = tcpshake_summary_new();
    if (s != NULL) {
        tcpshake_summary_set_capture_point_fn(s, cli_capture_point_words, NULL);
    }
    return s;
}

FILE *cli_summary_json_open(const char *path)
{
    if (strcmp(path, "-") == 0) {
        return stdout;
    }
    FILE *fp = fopen(path, "w");
    if (fp == NULL) {
        fprintf(stderr, "tcpshake: --summary-json %s: %s\n", path, strerror(errno));
    }
    return fp;
}

bool cli_summary_json_write(FILE *fp, const char *path, const struct tcpshake_summary *s,
                            const struct tcpshake_stats *stats)
{
    errno = 0;
    if (tcpshake_summary_write_json(s, stats, fp) == TCPSHAKE_OK) {
        return true;
    }
    fprintf(stderr, "tcpshake: --summary-json %s: write failed: %s\n", path,
            strerror(errno != 0 ? errno : EIO));
    return false;
}

void cli_summary_json_close(FILE *fp)
{
    if (fp != NULL && fp != stdout) {
        fclose(fp);
    }
}
