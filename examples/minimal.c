/*
 * minimal.c - the smallest program on libtcpshake: one line per connection
 * of a capture, with its outcome and the two sides of the handshake latency.
 *
 *   cc minimal.c $(pkg-config --cflags --libs tcpshake) -o minimal
 *   ./minimal trace.pcap
 */
#include <inttypes.h>
#include <stdio.h>
#include <tcpshake.h>

static void on_record(const struct tcpshake_record *r, void *user)
{
    (void)user;
    printf("%" PRIu64 " %s server_side_ns=%" PRId64 " client_side_ns=%" PRId64 "\n", r->id,
           tcpshake_outcome_name(r->outcome), r->server_side_ns, r->client_side_ns);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CAPTURE\n", argv[0]);
        return 2;
    }
    struct tcpshake_config cfg;
    tcpshake_config_default(&cfg);
    struct tcpshake *h = tcpshake_new(&cfg, on_record, NULL);
    if (h == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    enum tcpshake_status rc = tcpshake_open_file(h, argv[1]);
    if (rc == TCPSHAKE_OK) {
        rc = tcpshake_run(h);
    }
    if (rc != TCPSHAKE_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], tcpshake_errmsg(h));
    }
    tcpshake_free(h);
    return rc == TCPSHAKE_OK ? 0 : 1;
}
