/*
 * report_svg.h - the charts of the HTML report, drawn as inline SVG
 * (report_svg.c) and the text helpers its page shares (report_html.c).
 */
#ifndef TCPSHAKE_REPORT_SVG_H
#define TCPSHAKE_REPORT_SVG_H

#include <stdio.h>

#include "report_data.h"

/* s as HTML text or attribute value: & < > " ' escaped, control bytes as '?'. */
void html_text(FILE *out, const char *s);
/* ns as milliseconds with 3 decimals, as the summary prints them. */
const char *report_ms(char *buf, size_t len, int64_t ns);
/* A duration for people: "850 µs", "12.3 ms", "4.1 s". */
const char *report_dur(char *buf, size_t len, int64_t ns);
/* "192.0.2.1:80" or "[2001:db8::1]:443". */
const char *report_endpoint(char *buf, size_t len, uint8_t ip_version, const uint8_t addr[16],
                            uint16_t port);
/* The colour and name of each outcome group. */
const char *report_kind_colour(enum report_kind k);
const char *report_kind_name(enum report_kind k);
/* The used part of the timeline: slots [*first, *last]; false when empty. */
bool report_span(const struct tcpshake_report *r, size_t *first, size_t *last);

void svg_outcomes(FILE *out, const struct tcpshake_report *r);
void svg_latency(FILE *out, const struct hist *h, const char *name);
void svg_scatter(FILE *out, const struct tcpshake_report *r);
void svg_sparkline(FILE *out, const struct report_series *s, size_t first, size_t last);
/* The failing servers (rows of series) and the alerts on the timeline. */
void svg_failing(FILE *out, const struct tcpshake_report *r, const char *const *names,
                 const struct report_series *const *series, size_t n);
/* One connection's handshake and teardown as a sequence diagram. */
void svg_ladder(FILE *out, const struct tcpshake_record *rec);
/* The same, segment by segment, from a ladder of the ladder set (tcpshake/ladder.h). */
void svg_ladder_segments(FILE *out, const struct tcpshake_ladder *l);

#endif
