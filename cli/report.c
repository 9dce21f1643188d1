/*
 * report.c - command-line wiring of the HTML report (--html FILE): the file
 * is opened before the input is read, so that a path that cannot be written
 * fails at once; the page is written when the input has ended (after a live
 * capture too). See cli_report.h; the page is tcpshake_report_write_html.
 */
#include "cli_report.h"

#include <errno.h>
#include <string.h>

#include "cli_summary.h"

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

void report_usage(FILE *out)
{
    fputs("  --html FILE             also write a report as one self-contained HTML page\n"
          "                          (no network needed to view it): outcomes over time,\n"
          "                          latency charts, server vs client side, per-server\n"
          "                          health, alerts, the slowest and failed connections\n"
          "                          as ladders; at most 2 MB whatever the capture;\n"
          "                          runs on one thread, as --ladder does\n",
          out);
}

int report_parse_option(int ch, const char *arg, struct report_run *rr)
{
    if (ch != REPORT_OPT_HTML) {
        return -1;
    }
    if (arg[0] == '\0' || strcmp(arg, "-") == 0) {
        fprintf(stderr,
                "tcpshake: --html %s: give a file name (the records go to standard"
                " output)\n",
                arg);
        return EXIT_USAGE;
    }
    rr->path = arg;
    return 0;
}

int report_check_options(const struct report_run *rr, bool ladder_on)
{
    if (rr->path != NULL && ladder_on) {
        fputs("tcpshake: --html and --ladder: one at a time (the report draws the slowest"
              " and failed connections' ladders itself)\n",
              stderr);
        return EXIT_USAGE;
    }
    return -1;
}

bool report_attach(struct report_run *rr, struct tcpshake *h)
{
    if (rr->report == NULL) {
        return true;
    }
    rr->ladders = tcpshake_report_ladders_new(); /* ranked as the report ranks */
    if (rr->ladders == NULL) {
        fputs("tcpshake: out of memory\n", stderr);
        return false;
    }
    if (tcpshake_set_ladders(h, rr->ladders) != TCPSHAKE_OK) {
        fprintf(stderr, "tcpshake: --html: %s\n", tcpshake_errmsg(h));
        return false;
    }
    tcpshake_report_set_ladders(rr->report, rr->ladders);
    return true;
}

int report_start(struct report_run *rr, const char *title)
{
    if (rr->path == NULL) {
        return -1;
    }
    rr->report = tcpshake_report_new();
    if (rr->report == NULL) {
        fputs("tcpshake: out of memory\n", stderr);
        return EXIT_RUNTIME;
    }
    tcpshake_report_set_title(rr->report, title);
    tcpshake_report_set_capture_point_fn(rr->report, cli_capture_point_words, NULL);
    rr->fp = fopen(rr->path, "w");
    if (rr->fp == NULL) {
        fprintf(stderr, "tcpshake: --html %s: %s\n", rr->path, strerror(errno));
        return EXIT_RUNTIME;
    }
    return -1;
}

bool report_finish(struct report_run *rr, const struct tcpshake_stats *st)
{
    if (rr->fp == NULL) {
        return true;
    }
    errno = 0;
    enum tcpshake_status rc = tcpshake_report_write_html(rr->report, st, rr->fp);
    int why = errno;
    if (fclose(rr->fp) != 0 && rc == TCPSHAKE_OK) {
        rc = TCPSHAKE_ERR_WRITE;
        why = errno;
    }
    rr->fp = NULL;
    if (rc != TCPSHAKE_OK) {
        fprintf(stderr, "tcpshake: --html %s: %s\n", rr->path,
                rc == TCPSHAKE_ERR_WRITE && why != 0 ? strerror(why) : tcpshake_strerror(rc));
        return false;
    }
    return true;
}

void report_free(struct report_run *rr)
{
    if (rr->fp != NULL) {
        fclose(rr->fp);
        rr->fp = NULL;
    }
    tcpshake_report_free(rr->report);
    rr->report = NULL;
    tcpshake_ladders_free(rr->ladders);
    rr->ladders = NULL;
}
