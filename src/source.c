/*
 * source.c - trace files through libpcap (pcap_next_ex(3PCAP)).
 *
 * Files are opened with PCAP_TSTAMP_PRECISION_NANO so micro- and nanosecond
 * captures (and pcapng interfaces with any if_tsresol) all arrive as
 * nanoseconds. libpcap reads the magic number, not the file name.
 */
#include "source.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "tcpshake.h"

struct source {
    pcap_t *pcap;
    int linktype;
    uint64_t n_read;
};

/* libpcap says "truncated dump file" (or similar) for a record cut short. */
static int classify_open_error(const char *msg)
{
    if (strstr(msg, "No such file") != NULL || strstr(msg, "Permission denied") != NULL ||
        strstr(msg, "Is a directory") != NULL) {
        return TCPSHAKE_ERR_OPEN;
    }
    return TCPSHAKE_ERR_FORMAT;
}

static int finish_open(struct source **out, pcap_t *p, const char *bpf, char *err, size_t err_len)
{
    if (bpf != NULL && bpf[0] != '\0') {
        struct bpf_program prog;
        if (pcap_compile(p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
            snprintf(err, err_len, "filter '%s': %s", bpf, pcap_geterr(p));
            pcap_close(p);
            return TCPSHAKE_ERR_FILTER;
        }
        int rc = pcap_setfilter(p, &prog);
        pcap_freecode(&prog);
        if (rc != 0) {
            snprintf(err, err_len, "filter '%s': %s", bpf, pcap_geterr(p));
            pcap_close(p);
            return TCPSHAKE_ERR_FILTER;
        }
    }
    struct source *s = ts_calloc(1, sizeof(*s));
    if (s == NULL) {
        pcap_close(p);
        snprintf(err, err_len, "%s", tcpshake_strerror(TCPSHAKE_ERR_NOMEM));
        return TCPSHAKE_ERR_NOMEM;
    }
    s->pcap = p;
    s->linktype = pcap_datalink(p);
    *out = s;
    return TCPSHAKE_OK;
}

int source_open_file(struct source **out, const char *path, const char *bpf, char *err,
                     size_t err_len)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    *out = NULL;
    if (strcmp(path, "-") == 0) {
        return source_open_stream(out, stdin, bpf, err, err_len);
    }
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    if (p == NULL) {
        /* libpcap prefixes the file name to errno texts; keep its words, add ours once. */
        const char *why = ebuf;
        size_t n = strlen(path);
        if (strncmp(why, path, n) == 0 && why[n] == ':') {
            why += n + 1;
            while (*why == ' ') {
                why++;
            }
        }
        snprintf(err, err_len, "%s", why[0] != '\0' ? why : "cannot open");
        return classify_open_error(ebuf);
    }
    return finish_open(out, p, bpf, err, err_len);
}

int source_open_stream(struct source **out, FILE *fp, const char *bpf, char *err, size_t err_len)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    *out = NULL;
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    if (p == NULL) {
        if (fp != stdin) {
            fclose(fp);
        }
        snprintf(err, err_len, "%s", ebuf[0] != '\0' ? ebuf : "cannot read capture");
        return TCPSHAKE_ERR_FORMAT;
    }
    return finish_open(out, p, bpf, err, err_len);
}

int source_linktype(const struct source *s)
{
    return s->linktype;
}

int source_next(struct source *s, struct source_packet *pkt, char *err, size_t err_len)
{
    struct pcap_pkthdr *hdr;
    const u_char *data;
    int rc = pcap_next_ex(s->pcap, &hdr, &data);
    if (rc == 1) {
        s->n_read++;
        /* With nanosecond precision asked for, tv_usec holds nanoseconds. */
        /* Classic pcap keeps unsigned 32-bit seconds, which libpcap 1.10 reads as signed:
         * a time after 2038-01-19 arrives negative. Take it back as the unsigned number
         * it was; anything more negative is clamped to the epoch. */
        uint64_t sec = 0;
        if (hdr->ts.tv_sec >= 0) {
            sec = (uint64_t)hdr->ts.tv_sec;
        } else if (hdr->ts.tv_sec >= INT32_MIN) {
            sec = (uint32_t)hdr->ts.tv_sec;
        }
        uint64_t frac = hdr->ts.tv_usec < 0 ? 0 : (uint64_t)hdr->ts.tv_usec;
        pkt->ts_ns = sec * 1000000000u + frac;
        pkt->data = data;
        pkt->caplen = hdr->caplen;
        pkt->wire_len = hdr->len;
        return 1;
    }
    if (rc == PCAP_ERROR_BREAK) {
        return 0;
    }
    const char *why = pcap_geterr(s->pcap);
    snprintf(err, err_len, "packet %llu: %s", (unsigned long long)(s->n_read + 1),
             why != NULL && why[0] != '\0' ? why : "read error");
    if (why != NULL && strstr(why, "truncated") != NULL) {
        return -TCPSHAKE_ERR_TRUNCATED;
    }
    return -TCPSHAKE_ERR_READ;
}

void source_close(struct source *s)
{
    if (s == NULL) {
        return;
    }
    pcap_close(s->pcap);
    ts_free(s);
}
