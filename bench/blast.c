/*
 * blast.c - the sender of `make bench-live`: the frames of a capture out of one interface
 * as fast as the kernel takes them, or at a given rate. tcpreplay sends one frame per
 * system call through the queueing layer; on this kind of host that is tens of thousands
 * of frames a second, far below what the capture on the other end can take. This loads the
 * frames into memory first (up to MAX_BYTES), then hands them to a packet socket 256 per
 * sendmmsg(2), bypassing the queueing discipline. Prints frames sent, seconds and frames a
 * second on standard output (frames over the interface's MTU are counted on standard error,
 * not sent).
 *
 * Usage: blast IFACE FILE [PPS]     (root; PPS 0 or absent: as fast as it goes)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH     256
#define MAX_BYTES ((size_t)1 << 31) /* frames held in memory at most */

struct frames {
    unsigned char *data;
    size_t *off; /* frame i is data[off[i] .. off[i + 1]) */
    size_t n, cap, bytes, room;
};

static int load(const char *path, struct frames *f)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, errbuf);
    if (p == NULL) {
        fprintf(stderr, "blast: %s: %s\n", path, errbuf);
        return -1;
    }
    if (pcap_datalink(p) != DLT_EN10MB) {
        fprintf(stderr, "blast: %s: not Ethernet frames\n", path);
        pcap_close(p);
        return -1;
    }
    struct pcap_pkthdr *hdr;
    const unsigned char *pkt;
    int rc;
    while ((rc = pcap_next_ex(p, &hdr, &pkt)) == 1) {
        if (f->bytes + hdr->caplen > MAX_BYTES) {
            break; /* enough to measure a rate */
        }
        if (f->n + 2 > f->cap) {
            size_t cap = f->cap != 0 ? f->cap * 2 : 65536;
            size_t *off = realloc(f->off, cap * sizeof(*off));
            if (off == NULL) {
                break;
            }
            f->off = off;
            f->cap = cap;
        }
        if (f->bytes + hdr->caplen > f->room) {
            size_t room = f->room != 0 ? f->room * 2 : (size_t)1 << 24;
            unsigned char *data = realloc(f->data, room);
            if (data == NULL) {
                break;
            }
            f->data = data;
            f->room = room;
        }
        f->off[f->n++] = f->bytes;
        memcpy(f->data + f->bytes, pkt, hdr->caplen);
        f->bytes += hdr->caplen;
        f->off[f->n] = f->bytes;
    }
    if (rc == PCAP_ERROR) {
        fprintf(stderr, "blast: %s: %s\n", path, pcap_geterr(p));
    }
    pcap_close(p);
    return f->n > 0 ? 0 : -1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: blast IFACE FILE [PPS]\n");
        return 2;
    }
    double pps = argc == 4 ? strtod(argv[3], NULL) : 0;
    unsigned ifindex = if_nametoindex(argv[1]);
    if (ifindex == 0) {
        fprintf(stderr, "blast: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    struct frames f = { 0 };
    if (load(argv[2], &f) != 0) {
        fprintf(stderr, "blast: %s: no frames\n", argv[2]);
        return 1;
    }
    int fd = socket(AF_PACKET, SOCK_RAW, 0); /* protocol 0: send only, receive nothing */
    if (fd < 0) {
        fprintf(stderr, "blast: packet socket: %s\n", strerror(errno));
        return 1;
    }
    int one = 1;
    (void)setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
    struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = (int)ifindex };
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    double start = now_s();
    size_t sent = 0, too_long = 0;
    while (sent < f.n) {
        unsigned n = f.n - sent < BATCH ? (unsigned)(f.n - sent) : BATCH;
        for (unsigned i = 0; i < n; i++) {
            iov[i].iov_base = f.data + f.off[sent + i];
            iov[i].iov_len = f.off[sent + i + 1] - f.off[sent + i];
            msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &to,
                                                     .msg_namelen = sizeof(to),
                                                     .msg_iov = &iov[i],
                                                     .msg_iovlen = 1 } };
        }
        int k = sendmmsg(fd, msgs, n, 0);
        if (k < 0) {
            if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
                continue; /* the device is busy: try the same frames again */
            }
            if (errno == EMSGSIZE) { /* over the link's MTU: counted, not sent */
                sent++;
                too_long++;
                continue;
            }
            fprintf(stderr, "blast: send: %s\n", strerror(errno));
            break;
        }
        sent += (size_t)k;
        if (pps > 0) { /* paced: wait until the frames sent so far are due */
            double due = start + (double)sent / pps, t = now_s();
            if (due > t) {
                struct timespec d = { (time_t)(due - t), (long)((due - t - (double)(time_t)(due - t)) * 1e9) };
                nanosleep(&d, NULL);
            }
        }
    }
    double secs = now_s() - start;
    sent -= too_long;
    printf("%zu %.3f %.0f\n", sent, secs, secs > 0 ? (double)sent / secs : 0.0);
    if (too_long > 0) {
        fprintf(stderr, "blast: %zu frames over the MTU of %s not sent\n", too_long, argv[1]);
    }
    close(fd);
    free(f.data);
    free(f.off);
    return sent + too_long == f.n ? 0 : 1;
}
