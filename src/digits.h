/*
 * digits.h - "00" "01" ... "99": every number the library writes as text
 * (output/text.c, app/p0f.c) takes two digits per division by 100 from here.
 */
#ifndef TCPSHAKE_DIGITS_H
#define TCPSHAKE_DIGITS_H

/* The decimal digits of v < 100, two of them, at digit_pairs + 2 * v. */
extern const char digit_pairs[201];

#endif
