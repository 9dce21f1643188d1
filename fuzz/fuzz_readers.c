/*
 * fuzz_readers.c - differential libFuzzer target: tcpshake's own capture
 * readers against libpcap on the same bytes.
 *
 * The input is a capture image.
 * - Classic pcap: it is put in a memory file (memfd) for the block reader
 *   (src/pcapfile.c, which wants a regular file) and handed to libpcap through
 *   fmemopen. When the block reader takes the file, libpcap must take it too,
 *   with the same link type and snapshot length, and both must give the same
 *   records (time stamp fields, lengths, bytes) and end the same way (clean
 *   end, or an error with the same text). A declined file is fine: libpcap
 *   reads it in tcpshake too.
 * - pcapng (first byte 0x0a): source_open_stream (src/pcapng.c through
 *   source.c) against libpcap, both on fmemopen streams: the same open error
 *   or link type, then the same packets (nanosecond time, lengths, link type,
 *   bytes) and the same end, up to where libpcap gives up on an interface of
 *   another link type or snapshot length (which tcpshake reads on purpose).
 * Any difference aborts, naming what differed.
 */
#define _GNU_SOURCE /* memfd_create */
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pcapfile.h"
#include "source.h"
#include "tcpshake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__attribute__((noreturn)) static void differ(const char *what, unsigned long long n)
{
    fprintf(stderr, "fuzz_readers: packet %llu: %s differs from libpcap\n", n, what);
    abort();
}

/* A memory file holding the input; -1 when the system has none. */
static int memory_file(const uint8_t *data, size_t size)
{
    int fd = memfd_create("capture", MFD_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)n;
    }
    return fd;
}

static void compare_classic(pcap_t *p, struct pcapfile *pf)
{
    if (pcapfile_linktype(pf) != pcap_datalink(p)) {
        differ("link type", 0);
    }
    if ((int)pcapfile_snaplen(pf) != pcap_snapshot(p)) {
        differ("snapshot length", 0);
    }
    for (unsigned long long n = 1;; n++) {
        char err_a[256] = "", err_b[512] = "";
        struct pcapfile_record rec;
        struct pcap_pkthdr *hdr;
        const u_char *bytes;
        int a = pcapfile_next(pf, &rec, err_a, sizeof(err_a));
        int b = pcap_next_ex(p, &hdr, &bytes);
        if ((a == 1) != (b == 1) || (a == 0) != (b == PCAP_ERROR_BREAK)) {
            differ("end of input", n);
        }
        if (a < 0) {
            snprintf(err_b, sizeof(err_b), "packet %llu: %s", n, pcap_geterr(p));
            if (strcmp(err_a, err_b) != 0) {
                fprintf(stderr, "ours: %s\nlibpcap: %s\n", err_a, err_b);
                differ("error text", n);
            }
        }
        if (a != 1) {
            return;
        }
        if (rec.ts_sec != hdr->ts.tv_sec || rec.ts_frac != hdr->ts.tv_usec) {
            differ("time stamp", n);
        }
        if (rec.caplen != hdr->caplen || rec.wire_len != hdr->len) {
            differ("length", n);
        }
        if (memcmp(rec.data, bytes, rec.caplen) != 0) {
            differ("packet bytes", n);
        }
    }
}

/* source.c's time of a libpcap packet header at nanosecond precision. */
static uint64_t ts_ns_of(const struct pcap_pkthdr *h)
{
    uint64_t s = 0;
    if (h->ts.tv_sec >= 0) {
        s = (uint64_t)h->ts.tv_sec;
    } else if (h->ts.tv_sec >= INT32_MIN) {
        s = (uint32_t)h->ts.tv_sec;
    }
    return s * 1000000000u + (h->ts.tv_usec < 0 ? 0 : (uint64_t)h->ts.tv_usec);
}

/* libpcap stops at an interface tcpshake reads on purpose. */
static bool libpcap_limit(const char *why)
{
    return strstr(why, "different from the type of the first interface") != NULL ||
           strstr(why, "different from the snapshot length of the first interface") != NULL;
}

static void compare_packets(pcap_t *p, struct source *s)
{
    for (unsigned long long n = 1;; n++) {
        char err_a[512] = "", err_b[512] = "";
        struct source_packet pkt;
        struct pcap_pkthdr *hdr;
        const u_char *bytes;
        int a = source_next(s, &pkt, err_a, sizeof(err_a));
        int b = pcap_next_ex(p, &hdr, &bytes);
        if (b == PCAP_ERROR && libpcap_limit(pcap_geterr(p))) {
            return;
        }
        if ((a == 1) != (b == 1) || (a == 0) != (b == PCAP_ERROR_BREAK)) {
            fprintf(stderr, "ours %d: %s\nlibpcap %d: %s\n", a, err_a, b, pcap_geterr(p));
            differ("end of input", n);
        }
        if (a < 0) {
            snprintf(err_b, sizeof(err_b), "packet %llu: %s", n, pcap_geterr(p));
            if (strcmp(err_a, err_b) != 0) {
                fprintf(stderr, "ours: %s\nlibpcap: %s\n", err_a, err_b);
                differ("error text", n);
            }
        }
        if (a != 1) {
            return;
        }
        if (pkt.ts_ns != ts_ns_of(hdr)) {
            differ("time stamp", n);
        }
        if (pkt.caplen != hdr->caplen || pkt.wire_len != hdr->len) {
            differ("length", n);
        }
        if (pkt.linktype != pcap_datalink(p)) {
            differ("link type", n);
        }
        if (memcmp(pkt.data, bytes, pkt.caplen) != 0) {
            differ("packet bytes", n);
        }
    }
}

/* pcapng: tcpshake's stream reader against libpcap. */
static void compare_pcapng(const uint8_t *data, size_t size)
{
    uint8_t *a_copy = malloc(size), *b_copy = malloc(size);
    FILE *fa = a_copy != NULL ? fmemopen(a_copy, size, "rb") : NULL;
    FILE *fb = b_copy != NULL ? fmemopen(b_copy, size, "rb") : NULL;
    if (fa == NULL || fb == NULL) {
        abort();
    }
    memcpy(a_copy, data, size);
    memcpy(b_copy, data, size);
    char err[512] = "", ebuf[PCAP_ERRBUF_SIZE] = "";
    struct source *s = NULL;
    int rc = source_open_stream(&s, fa, NULL, err, sizeof(err)); /* owns fa */
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(fb, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    if ((rc == TCPSHAKE_OK) != (p != NULL)) {
        fprintf(stderr, "ours: %s\nlibpcap: %s\n", err, ebuf);
        differ("open", 0);
    }
    if (p == NULL) {
        if (strcmp(err, ebuf) != 0) {
            fprintf(stderr, "ours: %s\nlibpcap: %s\n", err, ebuf);
            differ("open error text", 0);
        }
        fclose(fb);
    } else {
        if (source_linktype(s) != pcap_datalink(p)) {
            differ("link type", 0);
        }
        compare_packets(p, s);
        pcap_close(p);
        source_close(s);
    }
    free(a_copy);
    free(b_copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 0 && data[0] == 0x0a) {
        compare_pcapng(data, size);
        return 0;
    }
    /* An exact-size copy for libpcap, so over-reads show. */
    uint8_t *copy = malloc(size > 0 ? size : 1);
    if (copy == NULL) {
        return 0;
    }
    memcpy(copy, data, size);
    int fd = memory_file(data, size);
    struct pcapfile *pf = fd >= 0 ? pcapfile_open(fd) : NULL;
    if (pf == NULL) {
        if (fd >= 0) {
            close(fd);
        }
        free(copy);
        return 0;
    }
    char ebuf[PCAP_ERRBUF_SIZE];
    FILE *fp = size > 0 ? fmemopen(copy, size, "rb") : NULL;
    pcap_t *p = fp != NULL ? pcap_fopen_offline_with_tstamp_precision(
                                     fp, PCAP_TSTAMP_PRECISION_NANO, ebuf)
                           : NULL;
    if (p == NULL) {
        fprintf(stderr, "fuzz_readers: libpcap refused a file the block reader took: %s\n",
                fp != NULL ? ebuf : "fmemopen failed");
        abort();
    }
    compare_classic(p, pf);
    pcap_close(p); /* closes fp */
    pcapfile_close(pf);
    free(copy);
    return 0;
}
