/*
 * inputs.c - the capture files to read: -r FILE as often as wanted and -V
 * LISTFILE, in the order given; the library merges them by packet time
 * (tcpshake_open_files).
 *
 * tcpdump takes every word after the options as the filter, so `tcpdump -r a
 * b` fails with a filter syntax error. Here an expression whose first word is
 * an existing regular file (and not a word that starts a BPF primitive, such as
 * `host` or `tcp`) is refused with a hint to give -r twice: a second capture
 * named there is never silently a filter.
 */
#include "cli_inputs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tcpshake.h"

static bool push_path(struct inputs *in, const char *path, const char **why)
{
    if (in->n == TCPSHAKE_MAX_FILES) {
        *why = "too many capture files (at most 256)";
        return false;
    }
    if (in->n == in->cap) {
        size_t cap = in->cap == 0 ? 4 : in->cap * 2;
        const char **p = realloc(in->paths, cap * sizeof(*p));
        if (p == NULL) {
            *why = "out of memory";
            return false;
        }
        in->paths = p;
        in->cap = cap;
    }
    in->paths[in->n++] = path;
    return true;
}

bool inputs_add(struct inputs *in, const char *path, const char **why)
{
    return push_path(in, path, why);
}

/* Keep line (a copy) for as long as in lives, and add it as a path. */
static bool add_line(struct inputs *in, const char *line, const char **why)
{
    char **lines = realloc(in->lines, (in->n_lines + 1) * sizeof(*lines));
    char *copy = strdup(line);
    if (lines != NULL) {
        in->lines = lines;
    }
    if (lines == NULL || copy == NULL) {
        free(copy);
        *why = "out of memory";
        return false;
    }
    in->lines[in->n_lines++] = copy;
    return push_path(in, copy, why);
}

bool inputs_add_list(struct inputs *in, const char *list, char *why, size_t why_len)
{
    FILE *fp = fopen(list, "r");
    if (fp == NULL) {
        snprintf(why, why_len, "%s", strerror(errno));
        return false;
    }
    char *line = NULL;
    size_t len = 0;
    ssize_t got;
    size_t before = in->n;
    bool ok = true;
    while (ok && (got = getline(&line, &len, fp)) >= 0) {
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r')) {
            line[--got] = '\0';
        }
        const char *what = NULL;
        if (got > 0 && !add_line(in, line, &what)) {
            snprintf(why, why_len, "%s", what);
            ok = false;
        }
    }
    if (ok && ferror(fp)) {
        snprintf(why, why_len, "%s", strerror(errno != 0 ? errno : EIO));
        ok = false;
    }
    if (ok && in->n == before) {
        snprintf(why, why_len, "names no capture file (one path a line)");
        ok = false;
    }
    free(line);
    fclose(fp);
    return ok;
}

void inputs_free(struct inputs *in)
{
    for (size_t i = 0; i < in->n_lines; i++) {
        free(in->lines[i]);
    }
    free(in->lines);
    free(in->paths);
    memset(in, 0, sizeof(*in));
}

bool inputs_file_not_filter(const char *word)
{
    static const char *const primitives[] = {
        "host",    "net",      "port", "portrange", "src",    "dst",     "ether",   "ip",
        "ip6",     "arp",      "rarp", "tcp",       "udp",    "icmp",    "icmp6",   "sctp",
        "not",     "proto",    "vlan", "mpls",      "less",   "greater", "gateway", "broadcast",
        "inbound", "outbound", "len",  "pppoed",    "pppoes", "link",    "ifname",  "on",
    };
    for (size_t i = 0; i < sizeof(primitives) / sizeof(primitives[0]); i++) {
        if (strcmp(word, primitives[i]) == 0) {
            return false;
        }
    }
    struct stat st;
    return stat(word, &st) == 0 && S_ISREG(st.st_mode);
}
