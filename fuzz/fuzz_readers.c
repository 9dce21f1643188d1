/*
 * fuzz_readers.c - differential libFuzzer target: tcpshake's own capture
 * readers against libpcap on the same bytes.
 *
 * The input is a capture image. It is put in a memory file (memfd) for the
 * classic pcap block reader (src/pcapfile.c, which wants a regular file) and
 * handed to libpcap through fmemopen. When the block reader takes the file,
 * libpcap must take it too, with the same link type and snapshot length, and
 * both must give the same records (time stamp fields, lengths, bytes) and end
 * the same way (clean end, or an error with the same text). A declined file
 * is fine: libpcap reads it in tcpshake too. Any difference aborts, naming
 * what differed.
 */
#define _GNU_SOURCE /* memfd_create */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pcapfile.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
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
