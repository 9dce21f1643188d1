/*
 * habits.c - tcpdump's habits on tcpshake's command line. See cli_habits.h.
 */
#include "cli_habits.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_S 1000000000ull

/* Longest -F file read: a filter is a line or two; a bigger file is a mistake. */
#define FILTER_FILE_MAX (1u << 20)

/* Longest option name compared for suggestions. */
#define NAME_MAX_LEN 40

static const struct {
    const char *suffix;
    uint64_t ns;
} units[] = {
    { "", NS_PER_S },        { "s", NS_PER_S },         { "ms", 1000000u },
    { "us", 1000u },         { "\xc2\xb5s", 1000u },    { "ns", 1u },
    { "m", 60u * NS_PER_S }, { "h", 3600u * NS_PER_S }, { "d", 86400u * NS_PER_S },
};

/* Up to 19 decimal digits from *s into *v; the number of digits (0: none), -1 on overflow. */
static int digits(const char **s, uint64_t *v)
{
    int n = 0;
    *v = 0;
    while (**s >= '0' && **s <= '9') {
        uint64_t d = (uint64_t)(**s - '0');
        if (*v > (UINT64_MAX - d) / 10u) {
            return -1;
        }
        *v = *v * 10u + d;
        (*s)++;
        n++;
    }
    return n;
}

bool habits_duration(const char *s, uint64_t *ns)
{
    uint64_t whole, frac = 0;
    int n_whole = digits(&s, &whole);
    int n_frac = 0;
    if (n_whole < 0) {
        return false;
    }
    if (*s == '.') {
        s++;
        n_frac = digits(&s, &frac);
        if (n_frac < 0 || n_frac > 18) {
            return false;
        }
    }
    if (n_whole == 0 && n_frac == 0) {
        return false;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(s, units[i].suffix) != 0) {
            continue;
        }
        uint64_t unit = units[i].ns, scale = 1;
        for (int k = 0; k < n_frac; k++) {
            scale *= 10u;
        }
        /* The fraction in whole nanoseconds only: 1.5ns is no duration here. */
        if (unit % scale != 0 && frac != 0) {
            return false;
        }
        uint64_t part = frac == 0 ? 0 : frac * (unit / scale);
        if (whole > (UINT64_MAX - part) / unit) {
            return false;
        }
        *ns = whole * unit + part;
        return true;
    }
    return false;
}

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* Edit distance (insertions, deletions, substitutions, swaps of neighbours) of two short names. */
static size_t distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t d[NAME_MAX_LEN + 1][NAME_MAX_LEN + 1];
    for (size_t i = 0; i <= la; i++) {
        d[i][0] = i;
    }
    for (size_t j = 0; j <= lb; j++) {
        d[0][j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < d[i][j]) {
                d[i][j] = d[i - 2][j - 2] + 1;
            }
        }
    }
    return d[la][lb];
}

const char *habits_suggest(const char *arg, const struct option *opts)
{
    while (*arg == '-') {
        arg++;
    }
    size_t len = strcspn(arg, "=");
    if (len == 0 || len > NAME_MAX_LEN) {
        return NULL;
    }
    const char *best = NULL;
    size_t best_d = 3;
    for (const struct option *o = opts; o->name != NULL; o++) {
        size_t n = strlen(o->name);
        if (n > NAME_MAX_LEN) {
            continue;
        }
        size_t d = distance(arg, len, o->name, n);
        if (d < best_d && 2 * d < n) {
            best = o->name;
            best_d = d;
        }
    }
    return best;
}

/* Comments out, lines joined: what tcpdump's -F makes of a file. */
static void flatten(char *s)
{
    bool comment = false;
    for (char *p = s; *p != '\0'; p++) {
        if (*p == '#') {
            comment = true;
        }
        if (*p == '\n') {
            comment = false;
        }
        if (comment || *p == '\n' || *p == '\r' || *p == '\t') {
            *p = ' ';
        }
    }
}

char *habits_read_filter(const char *path, const char **why)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        *why = strerror(errno);
        return NULL;
    }
    char *buf = malloc(FILTER_FILE_MAX + 1);
    if (buf == NULL) {
        fclose(fp);
        *why = "out of memory";
        return NULL;
    }
    size_t n = fread(buf, 1, FILTER_FILE_MAX + 1, fp);
    bool failed = ferror(fp) != 0;
    int err = errno;
    fclose(fp);
    *why = failed ? strerror(err) : n > FILTER_FILE_MAX ? "larger than 1 MiB: not a filter" : NULL;
    if (*why == NULL && memchr(buf, '\0', n) != NULL) {
        *why = "a NUL byte in it: not a filter";
    }
    if (*why != NULL) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    flatten(buf);
    return buf;
}

bool habits_words_init(struct habits_words *w, int argc)
{
    w->n = 0;
    w->words = calloc((size_t)argc + 1, sizeof(*w->words));
    return w->words != NULL;
}

void habits_words_release(struct habits_words *w)
{
    free(w->words);
    w->words = NULL;
    w->n = 0;
}

bool habits_take_word(struct habits_words *w, int argc, char **argv, int *next_arg,
                      const char *next)
{
    if (next != NULL && strcmp(next, "--") == 0) {
        /* getopt_long stepped over "--": the rest is the filter, whatever it looks like. */
        while (*next_arg < argc) {
            w->words[w->n++] = argv[(*next_arg)++];
        }
        return false;
    }
    if (*next_arg >= argc) {
        return false;
    }
    w->words[w->n++] = argv[(*next_arg)++];
    return *next_arg < argc;
}

char *habits_words_join(const struct habits_words *w)
{
    size_t len = 1;
    for (int i = 0; i < w->n; i++) {
        len += strlen(w->words[i]) + 1;
    }
    char *s = calloc(1, len);
    if (s == NULL) {
        return NULL;
    }
    char *p = s;
    for (int i = 0; i < w->n; i++) {
        size_t n = strlen(w->words[i]);
        if (i > 0) {
            *p++ = ' ';
        }
        memcpy(p, w->words[i], n);
        p += n;
    }
    *p = '\0';
    return s;
}
