/*
 * text.c - numbers as decimal text for text.h: integers in place, eight
 * digits per 64-bit division and two per table lookup (nanosecond times have
 * 19 digits, and a record has dozens of numbers); reals through snprintf.
 */
#include "text.h"

#include <stdio.h>

#include "digits.h"

/* v < 10^8 as exactly 8 digits at p: four independent pairs, no carry chain. */
static void put8(char *p, uint32_t v)
{
    uint32_t hi = v / 10000, lo = v % 10000;
    memcpy(p, &digit_pairs[hi / 100 * 2], 2);
    memcpy(p + 2, &digit_pairs[hi % 100 * 2], 2);
    memcpy(p + 4, &digit_pairs[lo / 100 * 2], 2);
    memcpy(p + 6, &digit_pairs[lo % 100 * 2], 2);
}

/* Decimal digits of v >= 10: log10 from the bit length (1233 / 4096 ~ log10(2)),
 * then one comparison to correct it. */
static unsigned digit_count(uint64_t v)
{
    static const uint64_t pow10[20] = { 1u,
                                        10u,
                                        100u,
                                        1000u,
                                        10000u,
                                        100000u,
                                        1000000u,
                                        10000000u,
                                        100000000u,
                                        1000000000u,
                                        10000000000u,
                                        100000000000u,
                                        1000000000000u,
                                        10000000000000u,
                                        100000000000000u,
                                        1000000000000000u,
                                        10000000000000000u,
                                        100000000000000000u,
                                        1000000000000000000u,
                                        10000000000000000000u };
    unsigned t = (unsigned)(64 - __builtin_clzll(v)) * 1233u >> 12;
    return t + (v >= pow10[t]);
}

/* Written in place, from the last digit back. Nanosecond times have 19
 * digits: eight at a time, then two at a time. */
char *text_digits_long(char *p, uint64_t v)
{
    if (v < 100) { /* TTLs, small counts, port 80 */
        memcpy(p, &digit_pairs[v * 2], 2);
        return p + 2;
    }
    char *end = p + digit_count(v);
    p = end;
    while (v >= 100000000u) {
        p -= 8;
        put8(p, (uint32_t)(v % 100000000u));
        v /= 100000000u;
    }
    uint32_t w = (uint32_t)v;
    while (w >= 100) {
        p -= 2;
        memcpy(p, &digit_pairs[w % 100 * 2], 2);
        w /= 100;
    }
    if (w >= 10) {
        memcpy(p - 2, &digit_pairs[w * 2], 2);
    } else {
        p[-1] = (char)('0' + w);
    }
    return end;
}

void text_real(struct text_cursor *c, double v, int places)
{
    if (!text_room(c, SINK_TEXT_REAL)) {
        return;
    }
    int n = places >= 0 ? snprintf(c->p, SINK_TEXT_REAL, "%.*f", places, v)
                        : snprintf(c->p, SINK_TEXT_REAL, "%g", v);
    if (n < 0 || n >= SINK_TEXT_REAL) {
        c->overflow = true;
        return;
    }
    c->p += n;
}
