/*
 * readloop.c - the baseline for `make bench`: open a capture with libpcap (nanosecond
 * precision, as tcpshake does) and call pcap_next_ex over every packet, touching nothing
 * but the record header. Prints the packet count and the captured bytes on standard output.
 *
 * Usage: readloop FILE
 */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: readloop FILE\n");
        return 2;
    }
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p =
            pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (p == NULL) {
        fprintf(stderr, "readloop: %s: %s\n", argv[1], errbuf);
        return 1;
    }
    uint64_t n_pkts = 0, n_bytes = 0;
    struct pcap_pkthdr *hdr;
    const unsigned char *data;
    int rc;
    while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
        n_pkts++;
        n_bytes += hdr->caplen;
    }
    if (rc != PCAP_ERROR_BREAK) {
        fprintf(stderr, "readloop: %s: %s\n", argv[1], pcap_geterr(p));
        pcap_close(p);
        return 1;
    }
    pcap_close(p);
    printf("%" PRIu64 " %" PRIu64 "\n", n_pkts, n_bytes);
    return 0;
}
