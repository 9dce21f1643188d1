/*
 * test_sinks.c - every output format byte for byte on hand-made records,
 * plus the summary (counts, percentiles, bounded per-server table).
 *
 * Records: an established IPv4 connection, a refused IPv6 one, and an
 * unanswered IPv4 one whose latencies were never measured. Output goes to
 * an open_memstream buffer and is compared with the exact expected text.
 */
#include "tcpshake.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "check.h"
#include "encode_csv.h"
#include "encode_json.h"
#include "sink.h"
#include "text.h"

#define T0 UINT64_C(1700000000123456789) /* 2023-11-14T22:13:20.123456789Z */

/*
 * Expected output, reviewed by hand. Long lines are split at a comma or a
 * space only to fit the 100-column limit; each \n ends one output line.
 */
#define EXPECT_TABLE                                                                               \
    "    id client                server                outcome               srv_ms    "          \
    "cli_ms    tot_ms    rtx end       by           dur_ms      pkts         bytes state\n"        \
    "     1 10.0.0.1:51234        10.0.0.2:80           established            0.512     "         \
    "0.035     0.547    0/0 fin       client      100.600       6/5       75/1200 SF\n"            \
    "     2 [2001:db8::1]:40000   [2001:db8::2]:443     refused                    -       "       \
    "  -         -    0/0 handshake -             0.250       1/1           0/0 REJ\n"             \
    "     3 192.168.1.10:33000    192.0.2.1:22          unanswered                 -       "       \
    "  -         -    2/0 handshake -          3000.000       3/0           0/0 S0\n"

#define EXPECT_TABLE_COLOR                                                                         \
    "    id client                server                outcome               srv_ms    "          \
    "cli_ms    tot_ms    rtx end       by           dur_ms      pkts         bytes state\n"        \
    "     1 10.0.0.1:51234        10.0.0.2:80           \033[32mestablished\033[0m         "       \
    "   0.512     0.035     0.547    0/0 fin       client      100.600       6/5       "           \
    "75/1200 SF\n"                                                                                 \
    "     2 [2001:db8::1]:40000   [2001:db8::2]:443     \033[31mrefused\033[0m             "       \
    "       -         -         -    0/0 handshake -             0.250       1/1           "       \
    "0/0 REJ\n"                                                                                    \
    "     3 192.168.1.10:33000    192.0.2.1:22          \033[33munanswered\033[0m          "       \
    "       -         -         -    2/0 handshake -          3000.000       3/0           "       \
    "0/0 S0\n"

#define EXPECT_JSON_ESTABLISHED                                                                    \
    "{\"id\":1,\"schema_version\":1,\"ts\":\"2023-11-14T22:13:20.123456789Z\",\"ip_version\":4,"   \
    "\"vlan\":null,"                                                                               \
    "\"client\":{\"addr\":\"10.0.0.1\",\"port\":51234,\"syn_seen\":true,\"isn\":1000,"             \
    "\"mss\":1460,\"wscale\":7,\"sack_permitted\":true,\"timestamps\":true,\"tsval\":111,"         \
    "\"tsecr\":222,\"initial_window\":64240,\"ttl\":64,\"fin_ns\":1700000000223456789,"            \
    "\"fin_acked\":true,\"rst_ns\":null,\"rst_in_window\":false,\"packets\":6,"                    \
    "\"payload_bytes\":75,\"ip_bytes\":387,\"first_payload_ns\":1700000000124056789,"              \
    "\"retransmits\":0},\"server\":{\"addr\":\"10.0.0.2\",\"port\":80,\"syn_seen\":true,"          \
    "\"isn\":5000,\"mss\":1400,\"wscale\":9,\"sack_permitted\":true,\"timestamps\":true,"          \
    "\"tsval\":333,\"tsecr\":111,\"initial_window\":65160,\"ttl\":63,"                             \
    "\"fin_ns\":1700000000223956789,\"fin_acked\":true,\"rst_ns\":null,"                           \
    "\"rst_in_window\":false,\"packets\":5,\"payload_bytes\":1200,\"ip_bytes\":1460,"              \
    "\"first_payload_ns\":1700000000125291356,\"retransmits\":0},\"roles_inferred\":false,"        \
    "\"outcome\":\"established\",\"end\":\"fin\",\"tfo\":\"none\","                                \
    "\"first_ns\":1700000000123456789,\"last_ns\":1700000000224056789,"                            \
    "\"syn_ns\":1700000000123456789,\"syn_last_ns\":1700000000123456789,"                          \
    "\"synack_ns\":1700000000123969134,\"synack_last_ns\":1700000000123969134,"                    \
    "\"ack_ns\":1700000000124003701,\"n_syn\":1,\"n_synack\":1,\"syn_gaps_ns\":[],"                \
    "\"synack_gaps_ns\":[],\"server_side_ns\":512345,\"client_side_ns\":34567,"                    \
    "\"handshake_ns\":546912,\"rtt_rule\":\"exact\",\"app_latency_ns\":1234567,"                   \
    "\"duration_ns\":100600000,\"icmp_type\":null,\"icmp_code\":null,\"icmp_ns\":null,"            \
    "\"first_fin\":\"client\",\"rst_by\":\"none\",\"half_close\":false,\"anomalies\":[],"          \
    "\"zeek_state\":\"SF\",\"zeek_history\":\"ShADadFf\",\"zeek_flipped\":false,"                  \
    "\"client_p0f_sig\":\"4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:0\","                    \
    "\"client_p0f_label\":\"s:unix:Linux:3.11 and newer\",\"client_p0f_fuzzy\":true,"              \
    "\"server_p0f_sig\":\"4:63+1:0:1400:mss*46,9:mss,sok,ts,nop,ws:df:0\","                        \
    "\"server_p0f_label\":\"\",\"server_p0f_fuzzy\":false,\"tls\":null}\n"

#define EXPECT_JSON_REFUSED_V6                                                                     \
    "{\"id\":2,\"schema_version\":1,\"ts\":\"2023-11-14T22:13:20.123456789Z\",\"ip_version\":6,"   \
    "\"vlan\":100,"                                                                                \
    "\"client\":{\"addr\":\"2001:db8::1\",\"port\":40000,\"syn_seen\":true,"                       \
    "\"isn\":4294967295,\"mss\":1440,\"wscale\":8,\"sack_permitted\":false,"                       \
    "\"timestamps\":false,\"tsval\":null,\"tsecr\":null,\"initial_window\":65535,"                 \
    "\"ttl\":255,\"fin_ns\":null,\"fin_acked\":false,\"rst_ns\":null,"                             \
    "\"rst_in_window\":false,\"packets\":1,\"payload_bytes\":0,\"ip_bytes\":80,"                   \
    "\"first_payload_ns\":null,\"retransmits\":0},\"server\":{\"addr\":\"2001:db8::2\","           \
    "\"port\":443,\"syn_seen\":false,\"isn\":null,\"mss\":null,\"wscale\":null,"                   \
    "\"sack_permitted\":false,\"timestamps\":false,\"tsval\":null,\"tsecr\":null,"                 \
    "\"initial_window\":null,\"ttl\":null,\"fin_ns\":null,\"fin_acked\":false,"                    \
    "\"rst_ns\":1700000000123706789,\"rst_in_window\":true,\"packets\":1,"                         \
    "\"payload_bytes\":0,\"ip_bytes\":60,\"first_payload_ns\":null,\"retransmits\":0},"            \
    "\"roles_inferred\":false,\"outcome\":\"refused\",\"end\":\"handshake\","                      \
    "\"tfo\":\"none\",\"first_ns\":1700000000123456789,\"last_ns\":1700000000123706789,"           \
    "\"syn_ns\":1700000000123456789,\"syn_last_ns\":1700000000123456789,\"synack_ns\":null,"       \
    "\"synack_last_ns\":null,\"ack_ns\":null,\"n_syn\":1,\"n_synack\":0,\"syn_gaps_ns\":[],"       \
    "\"synack_gaps_ns\":[],\"server_side_ns\":null,\"client_side_ns\":null,"                       \
    "\"handshake_ns\":null,\"rtt_rule\":\"none\",\"app_latency_ns\":null,"                         \
    "\"duration_ns\":250000,\"icmp_type\":null,\"icmp_code\":null,\"icmp_ns\":null,"               \
    "\"first_fin\":\"none\",\"rst_by\":\"server\",\"half_close\":false,"                           \
    "\"anomalies\":[\"rst_out_of_window\",\"bad_tcp_option\"],\"zeek_state\":\"REJ\","             \
    "\"zeek_history\":\"Sr\",\"zeek_flipped\":false,"                                              \
    "\"client_p0f_sig\":\"\",\"client_p0f_label\":\"\",\"client_p0f_fuzzy\":false,"                \
    "\"server_p0f_sig\":\"\",\"server_p0f_label\":\"\",\"server_p0f_fuzzy\":false,\"tls\":null}\n"

#define EXPECT_JSON_UNANSWERED                                                                     \
    "{\"id\":3,\"schema_version\":1,\"ts\":\"2023-11-14T22:13:25.123456789Z\",\"ip_version\":4,"   \
    "\"vlan\":null,"                                                                               \
    "\"client\":{\"addr\":\"192.168.1.10\",\"port\":33000,\"syn_seen\":true,\"isn\":77,"           \
    "\"mss\":1460,\"wscale\":null,\"sack_permitted\":true,\"timestamps\":false,"                   \
    "\"tsval\":null,\"tsecr\":null,\"initial_window\":29200,\"ttl\":64,\"fin_ns\":null,"           \
    "\"fin_acked\":false,\"rst_ns\":null,\"rst_in_window\":false,\"packets\":3,"                   \
    "\"payload_bytes\":0,\"ip_bytes\":180,\"first_payload_ns\":null,\"retransmits\":0},"           \
    "\"server\":{\"addr\":\"192.0.2.1\",\"port\":22,\"syn_seen\":false,\"isn\":null,"              \
    "\"mss\":null,\"wscale\":null,\"sack_permitted\":false,\"timestamps\":false,"                  \
    "\"tsval\":null,\"tsecr\":null,\"initial_window\":null,\"ttl\":null,\"fin_ns\":null,"          \
    "\"fin_acked\":false,\"rst_ns\":null,\"rst_in_window\":false,\"packets\":0,"                   \
    "\"payload_bytes\":0,\"ip_bytes\":0,\"first_payload_ns\":null,\"retransmits\":0},"             \
    "\"roles_inferred\":false,\"outcome\":\"unanswered\",\"end\":\"handshake\","                   \
    "\"tfo\":\"none\",\"first_ns\":1700000005123456789,\"last_ns\":1700000008123456789,"           \
    "\"syn_ns\":1700000005123456789,\"syn_last_ns\":1700000008123456789,\"synack_ns\":null,"       \
    "\"synack_last_ns\":null,\"ack_ns\":null,\"n_syn\":3,\"n_synack\":0,"                          \
    "\"syn_gaps_ns\":[1000000000,2000000000],\"synack_gaps_ns\":[],\"server_side_ns\":null,"       \
    "\"client_side_ns\":null,\"handshake_ns\":null,\"rtt_rule\":\"none\","                         \
    "\"app_latency_ns\":null,\"duration_ns\":3000000000,\"icmp_type\":null,"                       \
    "\"icmp_code\":null,\"icmp_ns\":null,\"first_fin\":\"none\",\"rst_by\":\"none\","              \
    "\"half_close\":false,\"anomalies\":[],\"zeek_state\":\"S0\",\"zeek_history\":\"S\","          \
    "\"zeek_flipped\":false,"                                                                      \
    "\"client_p0f_sig\":\"\",\"client_p0f_label\":\"\",\"client_p0f_fuzzy\":false,"                \
    "\"server_p0f_sig\":\"\",\"server_p0f_label\":\"\",\"server_p0f_fuzzy\":false,\"tls\":null}\n"

#define TLS_COLUMNS                                                                                \
    "tls_outcome,tls_ch_legacy_version,tls_ch_versions,tls_sni,tls_alpn_offered,tls_n_ciphers,"    \
    "tls_n_extensions,tls_groups_offered,tls_session_id_offered,tls_ticket_offered,"               \
    "tls_psk_offered,tls_early_data_offered,tls_ja4,tls_hrr,tls_version,tls_cipher,tls_group,"     \
    "tls_alpn,tls_resumed,tls_resumption,tls_client_hello_ns,tls_client_hello2_ns,"                \
    "tls_server_hello_ns,tls_server_flight_ns,tls_client_flight_ns,tls_client_data_ns,"            \
    "tls_server_data_ns,tls_server_side_ns,tls_client_side_ns,tls_handshake_ns,"                   \
    "tls_syn_to_data_ns,tls_alert_level,tls_alert_desc,tls_alert_by,tls_alert_ns,tls_closed_by"

#define EXPECT_CSV                                                                                 \
    "id,schema_version,ts,ip_version,vlan,client_addr,client_port,client_syn_seen,client_isn,"     \
    "client_mss,"                                                                                  \
    "client_wscale,client_sack_permitted,client_timestamps,client_tsval,client_tsecr,"             \
    "client_initial_window,client_ttl,client_fin_ns,client_fin_acked,client_rst_ns,"               \
    "client_rst_in_window,client_packets,client_payload_bytes,client_ip_bytes,"                    \
    "client_first_payload_ns,client_retransmits,server_addr,server_port,server_syn_seen,"          \
    "server_isn,server_mss,server_wscale,server_sack_permitted,server_timestamps,"                 \
    "server_tsval,server_tsecr,server_initial_window,server_ttl,server_fin_ns,"                    \
    "server_fin_acked,server_rst_ns,server_rst_in_window,server_packets,"                          \
    "server_payload_bytes,server_ip_bytes,server_first_payload_ns,server_retransmits,"             \
    "roles_inferred,outcome,end,tfo,first_ns,last_ns,syn_ns,syn_last_ns,synack_ns,"                \
    "synack_last_ns,ack_ns,n_syn,n_synack,syn_gaps_ns,synack_gaps_ns,server_side_ns,"              \
    "client_side_ns,handshake_ns,rtt_rule,app_latency_ns,duration_ns,icmp_type,icmp_code,"         \
    "icmp_ns,first_fin,rst_by,half_close,anomalies,zeek_state,zeek_history,zeek_flipped,"          \
    "client_p0f_sig,client_p0f_label,client_p0f_fuzzy,server_p0f_sig,server_p0f_label,"            \
    "server_p0f_fuzzy," TLS_COLUMNS "\n"                                                           \
    "1,1,2023-11-14T22:13:20.123456789Z,4,,10.0.0.1,51234,true,1000,1460,7,true,true,111,222,"     \
    "64240,64,1700000000223456789,true,,false,6,75,387,1700000000124056789,0,10.0.0.2,80,"         \
    "true,5000,1400,9,true,true,333,111,65160,63,1700000000223956789,true,,false,5,1200,"          \
    "1460,1700000000125291356,0,false,established,fin,none,1700000000123456789,"                   \
    "1700000000224056789,1700000000123456789,1700000000123456789,1700000000123969134,"             \
    "1700000000123969134,1700000000124003701,1,1,,,512345,34567,546912,exact,1234567,"             \
    "100600000,,,,client,none,false,,SF,ShADadFf,false,"                                           \
    "\"4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:0\",s:unix:Linux:3.11 and newer,true,"      \
    "\"4:63+1:0:1400:mss*46,9:mss,sok,ts,nop,ws:df:0\",,false,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,," \
    "\n"                                                                                           \
    "2,1,2023-11-14T22:13:20.123456789Z,6,100,2001:db8::1,40000,true,4294967295,1440,8,false,"     \
    "false,,,65535,255,,false,,false,1,0,80,,0,2001:db8::2,443,false,,,,false,false,,,,,,"         \
    "false,1700000000123706789,true,1,0,60,,0,false,refused,handshake,none,"                       \
    "1700000000123456789,1700000000123706789,1700000000123456789,1700000000123456789,,,,1,"        \
    "0,,,,,,none,,250000,,,,none,server,false,rst_out_of_window|bad_tcp_option,REJ,Sr,"            \
    "false,,,false,,,false,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\n"                                  \
    "3,1,2023-11-14T22:13:25.123456789Z,4,,192.168.1.10,33000,true,77,1460,,true,false,,,"         \
    "29200,64,,false,,false,3,0,180,,0,192.0.2.1,22,false,,,,false,false,,,,,,false,,false,"       \
    "0,0,0,,0,false,unanswered,handshake,none,1700000005123456789,1700000008123456789,"            \
    "1700000005123456789,1700000008123456789,,,,3,0,1000000000|2000000000,,,,,none,,"              \
    "3000000000,,,,none,none,false,,S0,S,false,,,false,,,false,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,," \
    ",\n"

#define EXPECT_ZEEK                                                                                \
    "#separator \\x09\n"                                                                           \
    "#set_separator\t,\n"                                                                          \
    "#empty_field\t(empty)\n"                                                                      \
    "#unset_field\t-\n"                                                                            \
    "#path\tconn\n"                                                                                \
    "#open\t2023-11-14-22-13-20\n"                                                                 \
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\t"               \
    "duration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\t"         \
    "history\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\t"                \
    "ip_proto\n"                                                                                   \
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\t"         \
    "string\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\tcount\n"          \
    "1700000000.123456\tC1\t10.0.0.1\t51234\t10.0.0.2\t80\ttcp\t-\t0.100600\t75\t1200\tSF\t"       \
    "-\t-\t0\tShADadFf\t6\t387\t5\t1460\t-\t6\n"                                                   \
    "1700000000.123456\tC2\t2001:db8::1\t40000\t2001:db8::2\t443\ttcp\t-\t0.000250\t0\t0\t"        \
    "REJ\t-\t-\t0\tSr\t1\t80\t1\t60\t-\t6\n"                                                       \
    "1700000005.123456\tC3\t192.168.1.10\t33000\t192.0.2.1\t22\ttcp\t-\t3.000000\t0\t0\t"          \
    "S0\t-\t-\t0\tS\t3\t180\t0\t0\t-\t6\n"                                                         \
    "#close\t2023-11-14-22-13-28\n"

#define EXPECT_SUMMARY                                                                             \
    "connections 6\n"                                                                              \
    "outcomes:\n"                                                                                  \
    "  established                   3   50.0%\n"                                                  \
    "  fast_open                     0    0.0%\n"                                                  \
    "  simultaneous_open             0    0.0%\n"                                                  \
    "  refused                       2   33.3%\n"                                                  \
    "  unanswered                    1   16.7%\n"                                                  \
    "  icmp_rejected                 0    0.0%\n"                                                  \
    "  half_open                     0    0.0%\n"                                                  \
    "  reset_in_handshake            0    0.0%\n"                                                  \
    "  no_syn                        0    0.0%\n"                                                  \
    "  midstream                     0    0.0%\n"                                                  \
    "end reasons:\n"                                                                               \
    "  fin                           3   50.0%\n"                                                  \
    "  rst                           0    0.0%\n"                                                  \
    "  handshake                     3   50.0%\n"                                                  \
    "  idle                          0    0.0%\n"                                                  \
    "  open                          0    0.0%\n"                                                  \
    "  evicted                       0    0.0%\n"                                                  \
    "  reused                        0    0.0%\n"                                                  \
    "latency in ms (percentiles ±3.125%, min and max exact):\n"                                   \
    "                      count        min        p50        p90        p99        max\n"         \
    "  server side             3      0.512      0.516      0.999      0.999      1.000\n"         \
    "  client side             3      0.035      0.035      0.035      0.035      0.035\n"         \
    "  handshake               3      0.547      0.547      0.547      0.547      0.547\n"         \
    "  app latency             3      1.235      1.235      1.235      1.235      1.235\n"         \
    "capture point 2 here\n"                                                                       \
    "top servers by connections (latency in ms, columns as above):\n"                              \
    "  10.0.0.2:80: 4 connections, 3 established, 1 failed\n"                                      \
    "    server side           3      0.512      0.516      0.999      0.999      1.000\n"         \
    "    client side           3      0.035      0.035      0.035      0.035      0.035\n"         \
    "  192.0.2.1:22: 1 connections, 0 established, 1 failed\n"                                     \
    "    server side           0          -          -          -          -          -\n"         \
    "    client side           0          -          -          -          -          -\n"         \
    "  [2001:db8::2]:443: 1 connections, 0 established, 1 failed\n"                                \
    "    server side           0          -          -          -          -          -\n"         \
    "    client side           0          -          -          -          -          -\n"         \
    "top failing servers:\n"                                                                       \
    "  server                             fail  refused unanswered     icmp    reset "             \
    "half_open  syn_rtx\n"                                                                         \
    "  10.0.0.2:80                           1        1          0        0        0       "       \
    "  0        0\n"                                                                               \
    "  192.0.2.1:22                          1        0          1        0        0       "       \
    "  0        2\n"                                                                               \
    "  [2001:db8::2]:443                     1        1          0        0        0       "       \
    "  0        0\n"                                                                               \
    "capture:\n"                                                                                   \
    "  packets read                           40\n"                                                \
    "  tcp segments                           37\n"                                                \
    "  icmp errors about tcp                   0\n"                                                \
    "  skipped truncated                       0\n"                                                \
    "  skipped malformed                       0\n"                                                \
    "  skipped not_tcp                         3\n"                                                \
    "  skipped unsupported                     0\n"                                                \
    "  skipped fragment                        0\n"                                                \
    "  cut by snaplen                          0\n"                                                \
    "  timestamps backwards                    0\n"                                                \
    "  connections                             6\n"                                                \
    "  flow table evictions                    0 (0 half-open)\n"                                  \
    "  peak flows                              2\n"                                                \
    "  server table evictions                  0\n"

static void set_v4(struct tcpshake_side *s, uint8_t a, uint8_t b, uint8_t c, uint8_t d,
                   uint16_t port)
{
    s->addr[0] = a;
    s->addr[1] = b;
    s->addr[2] = c;
    s->addr[3] = d;
    s->port = port;
}

/* 2001:db8::<last> */
static void set_v6(struct tcpshake_side *s, uint8_t last, uint16_t port)
{
    memset(s->addr, 0, sizeof(s->addr));
    s->addr[0] = 0x20;
    s->addr[1] = 0x01;
    s->addr[2] = 0x0d;
    s->addr[3] = 0xb8;
    s->addr[15] = last;
    s->port = port;
}

static void blank(struct tcpshake_record *r)
{
    memset(r, 0, sizeof(*r));
    r->vlan = -1;
    r->client.wscale = -1;
    r->server.wscale = -1;
    r->server_side_ns = TCPSHAKE_NO_TIME;
    r->client_side_ns = TCPSHAKE_NO_TIME;
    r->handshake_ns = TCPSHAKE_NO_TIME;
    r->app_latency_ns = TCPSHAKE_NO_TIME;
    r->duration_ns = TCPSHAKE_NO_TIME;
}

static void make_established(struct tcpshake_record *r)
{
    blank(r);
    r->id = 1;
    r->ip_version = 4;
    set_v4(&r->client, 10, 0, 0, 1, 51234);
    set_v4(&r->server, 10, 0, 0, 2, 80);
    r->client.syn_seen = true;
    r->client.isn = 1000;
    r->client.mss = 1460;
    r->client.wscale = 7;
    r->client.sack_permitted = true;
    r->client.timestamps = true;
    r->client.tsval = 111;
    r->client.tsecr = 222;
    r->client.initial_window = 64240;
    r->client.ttl = 64;
    r->client.fin_ns = T0 + 100000000;
    r->client.fin_acked = true;
    r->client.packets = 6;
    r->client.payload_bytes = 75;
    r->client.ip_bytes = 387;
    r->client.first_payload_ns = T0 + 600000;
    r->server.syn_seen = true;
    r->server.isn = 5000;
    r->server.mss = 1400;
    r->server.wscale = 9;
    r->server.sack_permitted = true;
    r->server.timestamps = true;
    r->server.tsval = 333;
    r->server.tsecr = 111;
    r->server.initial_window = 65160;
    r->server.ttl = 63;
    r->server.fin_ns = T0 + 100500000;
    r->server.fin_acked = true;
    r->server.packets = 5;
    r->server.payload_bytes = 1200;
    r->server.ip_bytes = 1460;
    r->server.first_payload_ns = T0 + 1834567;
    r->outcome = TCPSHAKE_OUTCOME_ESTABLISHED;
    r->end = TCPSHAKE_END_FIN;
    r->first_ns = T0;
    r->last_ns = T0 + 100600000;
    r->syn_ns = T0;
    r->syn_last_ns = T0;
    r->synack_ns = T0 + 512345;
    r->synack_last_ns = T0 + 512345;
    r->ack_ns = T0 + 546912;
    r->n_syn = 1;
    r->n_synack = 1;
    r->server_side_ns = 512345;
    r->client_side_ns = 34567;
    r->handshake_ns = 546912;
    r->rtt_rule = TCPSHAKE_RTT_EXACT;
    r->app_latency_ns = 1234567;
    r->duration_ns = 100600000;
    r->first_fin = TCPSHAKE_WHO_CLIENT;
    strcpy(r->zeek_state, "SF");
    strcpy(r->zeek_history, "ShADadFf");
    strcpy(r->client_p0f.sig, "4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:0");
    strcpy(r->client_p0f.label, "s:unix:Linux:3.11 and newer");
    r->client_p0f.fuzzy = true;
    strcpy(r->server_p0f.sig, "4:63+1:0:1400:mss*46,9:mss,sok,ts,nop,ws:df:0");
}

static void make_refused_v6(struct tcpshake_record *r)
{
    blank(r);
    r->id = 2;
    r->ip_version = 6;
    r->vlan = 100;
    set_v6(&r->client, 1, 40000);
    set_v6(&r->server, 2, 443);
    r->client.syn_seen = true;
    r->client.isn = 4294967295u;
    r->client.mss = 1440;
    r->client.wscale = 8;
    r->client.initial_window = 65535;
    r->client.ttl = 255;
    r->client.packets = 1;
    r->client.ip_bytes = 80;
    r->server.rst_ns = T0 + 250000;
    r->server.rst_in_window = true;
    r->server.packets = 1;
    r->server.ip_bytes = 60;
    r->outcome = TCPSHAKE_OUTCOME_REFUSED;
    r->end = TCPSHAKE_END_HANDSHAKE;
    r->first_ns = T0;
    r->last_ns = T0 + 250000;
    r->syn_ns = T0;
    r->syn_last_ns = T0;
    r->n_syn = 1;
    r->duration_ns = 250000;
    r->rst_by = TCPSHAKE_WHO_SERVER;
    r->anomalies = TCPSHAKE_ANOMALY_RST_OUT_OF_WINDOW | TCPSHAKE_ANOMALY_BAD_OPTION;
    strcpy(r->zeek_state, "REJ");
    strcpy(r->zeek_history, "Sr");
}

static void make_unanswered(struct tcpshake_record *r)
{
    blank(r);
    r->id = 3;
    r->ip_version = 4;
    set_v4(&r->client, 192, 168, 1, 10, 33000);
    set_v4(&r->server, 192, 0, 2, 1, 22);
    r->client.syn_seen = true;
    r->client.isn = 77;
    r->client.mss = 1460;
    r->client.sack_permitted = true;
    r->client.initial_window = 29200;
    r->client.ttl = 64;
    r->client.packets = 3;
    r->client.ip_bytes = 180;
    r->outcome = TCPSHAKE_OUTCOME_UNANSWERED;
    r->end = TCPSHAKE_END_HANDSHAKE;
    r->first_ns = T0 + 5000000000u;
    r->last_ns = T0 + 8000000000u;
    r->syn_ns = T0 + 5000000000u;
    r->syn_last_ns = T0 + 8000000000u;
    r->n_syn = 3;
    r->n_syn_gaps = 2;
    r->syn_gaps_ns[0] = 1000000000;
    r->syn_gaps_ns[1] = 2000000000;
    r->duration_ns = 3000000000;
    strcpy(r->zeek_state, "S0");
    strcpy(r->zeek_history, "S");
}

/* Writes the records through a sink of the given format; returns the text (caller frees). */
static char *render(enum tcpshake_format fmt, unsigned flags, const struct tcpshake_record *recs,
                    size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    if (fp == NULL) {
        return NULL;
    }
    struct tcpshake_sink *s = tcpshake_sink_new(fmt, fp, flags);
    CHECK(s != NULL);
    if (s != NULL) {
        for (size_t i = 0; i < n; i++) {
            CHECK_INT(tcpshake_sink_write(s, &recs[i]), TCPSHAKE_OK);
        }
        CHECK_INT(tcpshake_sink_finish(s), TCPSHAKE_OK);
        tcpshake_sink_free(s);
    }
    fclose(fp);
    return buf;
}

static void check_render(enum tcpshake_format fmt, unsigned flags,
                         const struct tcpshake_record *recs, size_t n, const char *want)
{
    char *got = render(fmt, flags, recs, n);
    CHECK_STR(got, want);
    free(got);
}

/* Counts the fields of one CSV line, honouring RFC 4180 quotes. */
static size_t csv_fields(const char *line)
{
    size_t n = 1;
    bool quoted = false;
    for (const char *p = line; *p != '\0' && (quoted || *p != '\n'); p++) {
        if (*p == '"') {
            quoted = !quoted;
        } else if (*p == ',' && !quoted) {
            n++;
        }
    }
    return n;
}

static void test_table(const struct tcpshake_record *recs)
{
    check_render(TCPSHAKE_FORMAT_TABLE, 0, recs, 3, EXPECT_TABLE);
    check_render(TCPSHAKE_FORMAT_TABLE, TCPSHAKE_SINK_COLOR, recs, 3, EXPECT_TABLE_COLOR);

    /* Karn: a retransmitted SYN marks the figures '~'; a RST names its sender. */
    struct tcpshake_record r = recs[0];
    r.n_syn = 2;
    r.rtt_rule = TCPSHAKE_RTT_LAST_SYN;
    r.end = TCPSHAKE_END_RST;
    r.rst_by = TCPSHAKE_WHO_SERVER;
    r.server_side_ns = -1500; /* time went backwards: still printed, with its sign */
    char *got = render(TCPSHAKE_FORMAT_TABLE, 0, &r, 1);
    CHECK(got != NULL &&
          strstr(got, "   -0.002     0.035     0.547~   1/0 rst       server ") != NULL);
    free(got);

    /* No record: the header alone. */
    got = render(TCPSHAKE_FORMAT_TABLE, 0, NULL, 0);
    CHECK(got != NULL && strncmp(got, "    id client ", 14) == 0 && strchr(got, '\n') != NULL &&
          strchr(got, '\n')[1] == '\0');
    free(got);
}

static void test_json(const struct tcpshake_record *recs)
{
    check_render(TCPSHAKE_FORMAT_JSON, 0, &recs[0], 1, EXPECT_JSON_ESTABLISHED);
    check_render(TCPSHAKE_FORMAT_JSON, 0, &recs[1], 1, EXPECT_JSON_REFUSED_V6);
    check_render(TCPSHAKE_FORMAT_JSON, 0, &recs[2], 1, EXPECT_JSON_UNANSWERED);

    /* Escaping: quote, backslash, control bytes and non-ASCII bytes. */
    struct tcpshake_record r = recs[0];
    memset(r.zeek_history, 0, sizeof(r.zeek_history));
    memcpy(r.zeek_history, "a\"b\\c\nd\te\001f\377g/", 15);
    /* A full state array without a NUL: exactly its 8 bytes are printed. */
    memcpy(r.zeek_state, "ABCDEFGH", 8);
    char *got = render(TCPSHAKE_FORMAT_JSON, 0, &r, 1);
    CHECK(got != NULL && strstr(got, "\"zeek_state\":\"ABCDEFGH\",\"zeek_history\":"
                                     "\"a\\\"b\\\\c\\nd\\te\\u0001f\\u00ffg/\",") != NULL);
    free(got);

    /* Gaps are capped at TCPSHAKE_MAX_GAPS even if the count says more. */
    r = recs[2];
    r.n_synack_gaps = 100;
    for (int i = 0; i < TCPSHAKE_MAX_GAPS; i++) {
        r.synack_gaps_ns[i] = i;
    }
    r.icmp_ns = T0 + 1;
    r.icmp_type = 3;
    r.icmp_code = 13;
    r.first_ns = 0;
    got = render(TCPSHAKE_FORMAT_JSON, 0, &r, 1);
    CHECK(got != NULL && strstr(got, "\"synack_gaps_ns\":[0,1,2,3,4,5,6,7],") != NULL);
    CHECK(got != NULL && strstr(got, "\"icmp_type\":3,\"icmp_code\":13,"
                                     "\"icmp_ns\":1700000000123456790,") != NULL);
    static const char null_ts[] = "{\"id\":3,\"schema_version\":1,\"ts\":null,";
    CHECK(got != NULL && strncmp(got, null_ts, sizeof(null_ts) - 1) == 0);
    free(got);

    /* No record: no output at all. */
    check_render(TCPSHAKE_FORMAT_JSON, 0, NULL, 0, "");
}

/* The value of CSV column `name` in the first row after the header (no quoted fields before it). */
static void csv_column(const char *text, const char *name, char *out, size_t cap)
{
    out[0] = '\0';
    const char *row = strchr(text, '\n');
    size_t col = 0, len = strlen(name);
    for (const char *h = text; h != NULL && row != NULL && h < row; col++) {
        if (strncmp(h, name, len) == 0 && (h[len] == ',' || h[len] == '\n')) {
            const char *v = row + 1;
            for (size_t i = 0; i < col && v != NULL; i++) {
                v = strchr(v, ',');
                v = v != NULL ? v + 1 : NULL;
            }
            size_t n = v != NULL ? strcspn(v, ",\n") : 0;
            if (v != NULL && n < cap) {
                memcpy(out, v, n);
                out[n] = '\0';
            }
            return;
        }
        h = strchr(h, ',');
        h = h != NULL ? h + 1 : NULL;
    }
}

/*
 * A side that sent nothing is written from text made once (side_is_silent);
 * a side with any one state field set must be written field by field.
 */
static void test_silent_side(const struct tcpshake_record *recs)
{
    static const char silent[] =
            "\"server\":{\"addr\":\"192.0.2.1\",\"port\":22,\"syn_seen\":false,\"isn\":null,"
            "\"mss\":null,\"wscale\":null,\"sack_permitted\":false,\"timestamps\":false,"
            "\"tsval\":null,\"tsecr\":null,\"initial_window\":null,\"ttl\":null,\"fin_ns\":null,"
            "\"fin_acked\":false,\"rst_ns\":null,\"rst_in_window\":false,\"packets\":0,"
            "\"payload_bytes\":0,\"ip_bytes\":0,\"first_payload_ns\":null,\"retransmits\":0},";
    char *got = render(TCPSHAKE_FORMAT_JSON, 0, &recs[2], 1);
    CHECK(got != NULL && strstr(got, silent) != NULL);
    free(got);

    /* One state field at a time: where it is, what it is set to, and what shows. */
#define SIDE_AT(field)                                                                             \
    offsetof(struct tcpshake_side, field), sizeof(((struct tcpshake_side *)0)->field)
    static const struct {
        size_t at, size;
        uint64_t v;
        const char *json;   /* in the server object */
        const char *column; /* a CSV column */
        const char *value;  /* and its value */
    } one[] = {
        { SIDE_AT(syn_seen), 1, "\"syn_seen\":true,\"isn\":0,", "server_isn", "0" },
        { SIDE_AT(sack_permitted), 1, "\"sack_permitted\":true,", "server_sack_permitted", "true" },
        { SIDE_AT(timestamps), 1, "\"timestamps\":true,\"tsval\":0,", "server_tsval", "0" },
        { SIDE_AT(fin_ns), T0 + 1, "\"fin_ns\":1700000000123456790,", "server_fin_ns",
          "1700000000123456790" },
        { SIDE_AT(fin_acked), 1, "\"fin_acked\":true,", "server_fin_acked", "true" },
        { SIDE_AT(rst_ns), T0 + 1, "\"rst_ns\":1700000000123456790,", "server_rst_ns",
          "1700000000123456790" },
        { SIDE_AT(rst_in_window), 1, "\"rst_in_window\":true,", "server_rst_in_window", "true" },
        { SIDE_AT(packets), 1, "\"packets\":1,", "server_packets", "1" },
        { SIDE_AT(payload_bytes), 7, "\"payload_bytes\":7,", "server_payload_bytes", "7" },
        { SIDE_AT(ip_bytes), 40, "\"ip_bytes\":40,", "server_ip_bytes", "40" },
        { SIDE_AT(first_payload_ns), T0 + 1, "\"first_payload_ns\":1700000000123456790,",
          "server_first_payload_ns", "1700000000123456790" },
        { SIDE_AT(retransmits), 2, "\"retransmits\":2}", "server_retransmits", "2" },
    };
#undef SIDE_AT
    for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
        struct tcpshake_record r = recs[2];
        char *field = (char *)&r.server + one[i].at;
        uint8_t v8 = (uint8_t)one[i].v;
        uint32_t v32 = (uint32_t)one[i].v;
        memcpy(field,
               one[i].size == 1   ? (const void *)&v8
               : one[i].size == 4 ? (const void *)&v32
                                  : (const void *)&one[i].v,
               one[i].size);
        got = render(TCPSHAKE_FORMAT_JSON, 0, &r, 1);
        const char *server = got != NULL ? strstr(got, "\"server\":{") : NULL;
        CHECK(server != NULL && strstr(server, one[i].json) != NULL);
        free(got);
        got = render(TCPSHAKE_FORMAT_CSV, 0, &r, 1);
        char value[32];
        csv_column(got != NULL ? got : "", one[i].column, value, sizeof(value));
        CHECK_STR(value, one[i].value);
        free(got);
    }
}

static void test_tls(const struct tcpshake_record *recs);

static void test_csv(const struct tcpshake_record *recs)
{
    test_tls(recs);
    check_render(TCPSHAKE_FORMAT_CSV, 0, recs, 3, EXPECT_CSV);

    /* Every row has as many fields as the header. */
    char *got = render(TCPSHAKE_FORMAT_CSV, 0, recs, 3);
    size_t header = got != NULL ? csv_fields(got) : 0;
    CHECK_INT(header, 120); /* 5 + 2 x 21 per side + 31 + 6 p0f + 36 of the tls group */
    for (const char *line = got; line != NULL && *line != '\0';) {
        CHECK_INT(csv_fields(line), header);
        line = strchr(line, '\n');
        line = line != NULL ? line + 1 : NULL;
    }
    free(got);

    /* RFC 4180: commas, quotes and line breaks force quoting, quotes double. */
    struct tcpshake_record r = recs[0];
    strcpy(r.zeek_history, "a,b\"c\nd");
    memcpy(r.zeek_state, "ABCDEFGH", 8);
    got = render(TCPSHAKE_FORMAT_CSV, 0, &r, 1);
    CHECK(got != NULL && strstr(got, ",ABCDEFGH,\"a,b\"\"c\nd\",false,\"4:64") != NULL);
    free(got);
}

/* A record with a TLS handshake: the tls object in JSON, the tls_* columns in CSV. */
static void test_tls(const struct tcpshake_record *recs)
{
    struct tcpshake_record r = recs[0];
    struct tcpshake_tls *t = &r.tls;
    t->outcome = TCPSHAKE_TLS_ESTABLISHED;
    t->ch_legacy_version = 0x0303;
    t->ch_versions[0] = 0x0304;
    t->ch_versions[1] = 0x0303;
    t->n_ch_versions = 2;
    strcpy(t->sni, "a\"b,c.example");
    strcpy(t->alpn_offered, "h2,http/1.1");
    t->n_ciphers = 15;
    t->n_extensions = 16;
    t->groups_offered[0] = 0x11ec;
    t->groups_offered[1] = 0x001d;
    t->n_groups_offered = 2;
    t->ticket_offered = true;
    strcpy(t->ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    t->version = 0x0304;
    t->cipher = 0x1301;
    t->group = 0x11ec;
    t->resumption = TCPSHAKE_TLS_RESUMPTION_PSK;
    t->resumed = true;
    t->client_hello_ns = 1700000000124056789;
    t->server_hello_ns = 1700000000125056789;
    t->server_side_ns = 1000000;
    t->client_side_ns = TCPSHAKE_NO_TIME;
    t->handshake_ns = TCPSHAKE_NO_TIME;
    t->syn_to_data_ns = TCPSHAKE_NO_TIME;
    t->alert_by = TCPSHAKE_WHO_SERVER;
    t->alert_level = 2;
    t->alert_desc = 40;
    t->alert_ns = 1700000000126056789;
    char *got = render(TCPSHAKE_FORMAT_JSON, 0, &r, 1);
    CHECK(got != NULL &&
          strstr(got,
                 ",\"tls\":{\"outcome\":\"established\",\"ch_legacy_version\":\"TLS1.2\","
                 "\"ch_versions\":[\"TLS1.3\",\"TLS1.2\"],\"sni\":\"a\\\"b,c.example\","
                 "\"alpn_offered\":\"h2,http/1.1\",\"n_ciphers\":15,\"n_extensions\":16,"
                 "\"groups_offered\":[\"0x11ec\",\"0x001d\"],\"session_id_offered\":false,"
                 "\"ticket_offered\":true,\"psk_offered\":false,\"early_data_offered\":false,"
                 "\"ja4\":\"t13d1516h2_8daaf6152771_e5627efa2ab1\",\"hrr\":false,"
                 "\"version\":\"TLS1.3\",\"cipher\":\"0x1301\",\"group\":\"0x11ec\",\"alpn\":\"\","
                 "\"resumed\":true,\"resumption\":\"psk\","
                 "\"client_hello_ns\":1700000000124056789,\"client_hello2_ns\":null,"
                 "\"server_hello_ns\":1700000000125056789,\"server_flight_ns\":null,"
                 "\"client_flight_ns\":null,\"client_data_ns\":null,\"server_data_ns\":null,"
                 "\"server_side_ns\":1000000,\"client_side_ns\":null,\"handshake_ns\":null,"
                 "\"syn_to_data_ns\":null,\"alert_level\":2,\"alert_desc\":40,"
                 "\"alert_by\":\"server\",\"alert_ns\":1700000000126056789,"
                 "\"closed_by\":\"none\"}}\n") != NULL);
    free(got);
    got = render(TCPSHAKE_FORMAT_CSV, 0, &r, 1);
    CHECK(got != NULL &&
          strstr(got,
                 ",false,established,TLS1.2,TLS1.3|TLS1.2,\"a\"\"b,c.example\",\"h2,http/1.1\","
                 "15,16,0x11ec|0x001d,false,true,false,false,"
                 "t13d1516h2_8daaf6152771_e5627efa2ab1,false,TLS1.3,0x1301,0x11ec,,true,psk,"
                 "1700000000124056789,,1700000000125056789,,,,,1000000,,,,2,40,server,"
                 "1700000000126056789,none\n") != NULL);
    free(got);
}

static void test_zeek(const struct tcpshake_record *base)
{
    /* Zeek's own last time and sizes, as the tracker sets them (here: the wire's). */
    struct tcpshake_record recs[3];
    for (int i = 0; i < 3; i++) {
        recs[i] = base[i];
        recs[i].zeek_last_ns = recs[i].last_ns;
        recs[i].zeek_orig_bytes = recs[i].client.payload_bytes;
        recs[i].zeek_resp_bytes = recs[i].server.payload_bytes;
    }
    check_render(TCPSHAKE_FORMAT_ZEEK, 0, recs, 3, EXPECT_ZEEK);

    /* duration ends at Zeek's last time (both sides closed), not at the last packet. */
    struct tcpshake_record z = recs[0];
    z.zeek_last_ns = z.first_ns + 2500000;
    z.zeek_orig_bytes = 7;
    char *dur = render(TCPSHAKE_FORMAT_ZEEK, 0, &z, 1);
    CHECK(dur != NULL && strstr(dur, "\ttcp\t-\t0.002500\t7\t1200\tSF\t") != NULL);
    free(dur);
    /* zeek-json ends it there too, as the JSON writer prints the same interval. */
    dur = render(TCPSHAKE_FORMAT_ZEEK_JSON, 0, &z, 1);
    CHECK(dur != NULL &&
          strstr(dur, "\"proto\":\"tcp\",\"duration\":0.0025,\"orig_bytes\":7,") != NULL);
    free(dur);
    /* A record made elsewhere, without Zeek's last time: the last packet's. */
    z.zeek_last_ns = 0;
    dur = render(TCPSHAKE_FORMAT_ZEEK, 0, &z, 1);
    CHECK(dur != NULL && strstr(dur, "\ttcp\t-\t0.100600\t7\t1200\tSF\t") != NULL);
    free(dur);

    /* Flipped: Zeek's originator is our server. Zero duration: sizes unset. */
    struct tcpshake_record r = recs[0];
    r.zeek_flipped = true;
    r.id = 62 * 62 + 61;          /* base 62 "10Z" */
    r.last_ns = r.first_ns + 200; /* within the same microsecond */
    r.zeek_last_ns = r.last_ns;
    r.zeek_history[0] = '\0';
    char *got = render(TCPSHAKE_FORMAT_ZEEK, 0, &r, 1);
    CHECK(got != NULL &&
          strstr(got, "\n1700000000.123456\tC10Z\t10.0.0.2\t80\t10.0.0.1\t51234\ttcp\t-\t-\t-\t-\t"
                      "SF\t-\t-\t0\t-\t5\t1460\t6\t387\t-\t6\n") != NULL);
    free(got);

    /* No record: the header (current time) and the trailer, nothing between. */
    got = render(TCPSHAKE_FORMAT_ZEEK, 0, NULL, 0);
    CHECK(got != NULL && strncmp(got, "#separator \\x09\n", 16) == 0);
    CHECK(got != NULL && strstr(got, "\tip_proto\n#types\t") != NULL);
    CHECK(got != NULL && strstr(got, "\tcount\n#close\t") != NULL);
    free(got);
}

/* Numbers are formatted by hand (two and eight digits at a time) and the
 * ISO-8601 date from the day count: check both at every digit-count boundary
 * and against gmtime_r for dates from 1970 to the end of uint64_t nanoseconds. */
static void test_json_numbers(const struct tcpshake_record *base)
{
    uint64_t p = 1;
    for (int digits = 1; digits <= 20; digits++) {
        uint64_t vals[3] = { p - 1, p, p + 1 };
        for (int k = 0; k < 3; k++) {
            struct tcpshake_record r = *base;
            r.id = vals[k];
            r.client.packets = UINT64_MAX - vals[k];
            char *got = render(TCPSHAKE_FORMAT_JSON, 0, &r, 1);
            char want[64];
            snprintf(want, sizeof(want), "{\"id\":%" PRIu64 ",", vals[k]);
            CHECK(got != NULL && strncmp(got, want, strlen(want)) == 0);
            snprintf(want, sizeof(want), "\"packets\":%" PRIu64 ",", UINT64_MAX - vals[k]);
            CHECK(got != NULL && strstr(got, want) != NULL);
            free(got);
        }
        if (digits < 20) {
            p *= 10;
        }
    }
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t ns = i < 10000 ? x % 4102444800000000000u : x; /* to 2100, then anything */
        if (i < 1000) {
            ns = (uint64_t)i * 86399999999999u; /* just before midnight, day after day */
        }
        char got[SINK_ISO_LEN], want[SINK_ISO_LEN];
        sink_iso8601(ns, got);
        time_t sec = (time_t)(ns / 1000000000u);
        struct tm tm;
        CHECK(gmtime_r(&sec, &tm) != NULL);
        snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%09uZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (unsigned)(ns % 1000000000u));
        CHECK_STR(got, want);
        CHECK_INT(strlen(got), SINK_ISO_TEXT); /* the encoders copy that many bytes */
    }
    char last[SINK_ISO_LEN];
    CHECK_STR(sink_iso8601(UINT64_MAX, last), "2554-07-21T23:34:33.709551615Z");
}

/* Every digit count, signed and unsigned, against printf; a number never writes
 * past the SINK_TEXT_NUMBER bytes it asks room for. */
static void test_text_digits(void)
{
    uint64_t x = 0x6a09e667f3bcc908u;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t v = x >> (x % 64); /* every length, short ones often */
        if (i < 64) {
            v = i < 20 ? 0 : (uint64_t)1 << (i - 20); /* 0 and powers of two */
        }
        uint64_t p10 = 1;
        for (int k = 0; k < i % 20; k++) {
            p10 *= 10;
        }
        if (i % 3 == 0) {
            v = p10 - (uint64_t)(i % 2); /* 10^k and 10^k - 1 */
        }
        int64_t sv = i % 5 == 0   ? INT64_MIN + i
                     : i % 5 == 1 ? -(int64_t)(v >> 1)
                                  : (int64_t)(v >> 1);
        char want_u[32], want_i[32];
        snprintf(want_u, sizeof(want_u), "%" PRIu64, v);
        snprintf(want_i, sizeof(want_i), "%" PRId64, sv);
        struct text_buf t;
        memset(t.buf, '#', 64);
        struct text_cursor c = text_start(&t);
        text_u64(&c, v);
        CHECK(!c.overflow && (size_t)(c.p - c.start) == strlen(want_u));
        CHECK(memcmp(t.buf, want_u, strlen(want_u)) == 0 && t.buf[SINK_TEXT_NUMBER] == '#');
        memset(t.buf, '#', 64);
        c = text_start(&t);
        text_i64(&c, sv);
        CHECK(!c.overflow && (size_t)(c.p - c.start) == strlen(want_i));
        CHECK(memcmp(t.buf, want_i, strlen(want_i)) == 0 && t.buf[SINK_TEXT_NUMBER] == '#');
    }
    /* The last bytes of the line: a number that does not fit is refused whole. */
    struct text_buf t;
    struct text_cursor c = text_start(&t);
    c.p = c.end - (SINK_TEXT_NUMBER - 1);
    text_u64(&c, 7);
    CHECK(c.overflow && c.p == c.end - (SINK_TEXT_NUMBER - 1));
}

static const char *two_names(unsigned i)
{
    return i == 0 ? "zero" : "one";
}

/* The kinds the aggregators' rows and alerts add (record_fields.h), each as
 * the printf it replaced wrote it. */
static void test_aggregate_kinds(void)
{
    struct text_buf t;
    struct text_cursor line = text_start(&t);
    struct text_cursor *b = &line;
    static const uint8_t v6[16] = { 0xfd, 0x99, [15] = 2 };
    static const uint16_t ports[] = { 22, 80, 443 };
    json_put_pct(b, JSON_KEY("a"), 1, 3);
    json_put_pct(b, JSON_KEY("b"), 5, 0);
    json_put_real(b, JSON_KEY("c"), 3.125);
    json_put_iso_stamp(b, JSON_KEY("d"), 0);
    json_put_ip(b, JSON_KEY("e"), true, v6, 6);
    json_put_ip(b, JSON_KEY("f"), false, v6, 6);
    json_put_some(b, JSON_KEY("g"), false, 1);
    json_put_some(b, JSON_KEY("h"), true, 2);
    json_put_flags(b, JSON_KEY("i"), two_names, 3u, 2);
    json_put_flags(b, JSON_KEY("j"), two_names, 4u, 2);
    json_put_ports(b, JSON_KEY("k"), ports, 5, 3);
    json_close(b, line.start);
    text_char(b, 0);
    CHECK(!line.overflow);
    CHECK_STR(t.buf, "{\"a\":33.33,\"b\":0.00,\"c\":3.125,\"d\":\"1970-01-01T00:00:00.000000000Z\","
                     "\"e\":\"fd99::2\",\"f\":null,\"h\":2,\"i\":[\"zero\",\"one\"],\"j\":[],"
                     "\"k\":[22,80,443]}");
    line = text_start(&t);
    struct text_cursor *c = &line;
    csv_put_pct(c, 2, 3);
    csv_put_real(c, 3.25);
    csv_put_iso_stamp(c, 1);
    text_char(c, 0);
    CHECK_STR(t.buf, ",66.67,3.25,1970-01-01T00:00:00.000000001Z");
    /* A real that does not fit is refused whole. */
    line = text_start(&t);
    line.p = line.end - (SINK_TEXT_REAL - 1);
    text_real(&line, 1.0, 2);
    CHECK(line.overflow && line.p == line.end - (SINK_TEXT_REAL - 1));
}

/* RFC 8259 escaping one byte at a time: what json_string must write. */
static size_t ref_json_string(char *out, const char *str, size_t max_len)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    out[n++] = '"';
    for (size_t i = 0; i < max_len && str[i] != '\0'; i++) {
        unsigned char c = (unsigned char)str[i];
        const char *esc = c == '"'    ? "\\\""
                          : c == '\\' ? "\\\\"
                          : c == '\b' ? "\\b"
                          : c == '\f' ? "\\f"
                          : c == '\n' ? "\\n"
                          : c == '\r' ? "\\r"
                          : c == '\t' ? "\\t"
                                      : NULL;
        if (esc != NULL) {
            memcpy(out + n, esc, 2);
            n += 2;
        } else if (c < 0x20 || c >= 0x7f) {
            memcpy(out + n, "\\u00", 4);
            out[n + 4] = hex[c >> 4];
            out[n + 5] = hex[c & 15];
            n += 6;
        } else {
            out[n++] = (char)c;
        }
    }
    out[n++] = '"';
    return n;
}

/* json_string tests whole words of plain bytes at once: every byte value in every
 * position of runs of every length, against the byte-at-a-time reference. */
static void test_json_string(void)
{
    char src[40], want[40 * 6 + 2];
    struct text_buf t;
    uint64_t x = 0x13198a2e03707344u;
    for (int i = 0; i < 60000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t len = (size_t)(x % 33);
        for (size_t j = 0; j < sizeof(src); j++) {
            src[j] = (char)('a' + (j * 7 + (size_t)i) % 26);
        }
        /* One byte of any value at any place (or none), sometimes a second one. */
        size_t at = (size_t)(x >> 8) % (len + 1);
        src[at] = (char)(i & 0xff);
        if (i % 3 == 0) {
            src[(size_t)(x >> 20) % sizeof(src)] = (char)(x >> 32);
        }
        size_t max_len = i % 5 == 0 ? len : sizeof(src);
        if (max_len == sizeof(src)) {
            src[sizeof(src) - 1] =
                    (char)(i % 7 == 0 ? 'z' : '\0'); /* unterminated: max_len ends it */
        }
        struct text_cursor line = text_start(&t);
        json_string(&line, src, max_len);
        size_t n = ref_json_string(want, src, max_len);
        size_t got = (size_t)(line.p - line.start);
        if (got != n || memcmp(line.start, want, n) != 0) {
            CHECK(false);
            fprintf(stderr, "json_string of %zu bytes differs (case %d)\n", max_len, i);
            return;
        }
        CHECK(!line.overflow);
    }
}

/* text_put_short copies every length as memcpy does, and writes nothing past it. */
static void test_text_put_short(void)
{
    static const char src[] = "abcdefghijklmnopqrstuvwxyz";
    for (size_t n = 0; n <= 24; n++) {
        struct text_buf t;
        memset(t.buf, '#', 32);
        struct text_cursor c = text_start(&t);
        text_put_short(&c, src, n);
        CHECK((size_t)(c.p - c.start) == n && memcmp(t.buf, src, n) == 0 && t.buf[n] == '#');
    }
}

/* The last bytes of the line: a member asks once for its key and its longest
 * value, a string for its quotes and its copy's 16-byte spill; what does not fit
 * is refused whole, and nothing is written past the end. */
static void test_json_room(void)
{
    struct text_buf t;
    struct text_cursor line = text_start(&t);
    line.p = line.end - 10; /* ,"abc":null is 11 bytes */
    json_put_null(&line, JSON_KEY("abc"));
    CHECK(line.overflow && line.p == line.end - 10);
    line = text_start(&t);
    line.p = line.end - 11;
    json_put_null(&line, JSON_KEY("abc"));
    CHECK(!line.overflow && line.p == line.end && memcmp(line.end - 11, ",\"abc\":null", 11) == 0);
    line = text_start(&t);
    line.p = line.end - (7 + SINK_TEXT_NUMBER - 1);
    json_put_count(&line, JSON_KEY("abc"), 1);
    CHECK(line.overflow && line.p == line.end - (7 + SINK_TEXT_NUMBER - 1));
    static const char s[32] = "abcdefghijklmnopq"; /* 17 bytes: one whole move and one byte */
    line = text_start(&t);
    line.p = line.end - (17 + 2 + 16 - 1);
    json_string(&line, s, sizeof(s));
    CHECK(line.overflow && line.p == line.end - (17 + 2 + 16 - 1));
    line = text_start(&t);
    line.p = line.end - (17 + 2 + 16);
    json_string(&line, s, sizeof(s));
    CHECK(!line.overflow && line.p == line.end - 16);
    CHECK(memcmp(line.p - 19, "\"abcdefghijklmnopq\"", 19) == 0);
}

/* Addresses are formatted by hand: the same text as inet_ntop for every shape of
 * IPv6 address (zero runs anywhere, ties, v4-mapped and v4-compatible) and IPv4. */
static void test_addr_text(void)
{
    uint64_t x = 0x243f6a8885a308d3u;
    for (int i = 0; i < 200000; i++) {
        struct tcpshake_side side;
        memset(&side, 0, sizeof(side));
        for (int w = 0; w < 8; w++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            unsigned kind = (unsigned)(x >> 60) % 4; /* mostly zeros, to make runs */
            unsigned v = kind < 2 ? 0 : kind == 2 ? (unsigned)(x >> 8) & 0xffffu : 0xffffu;
            if (i % 7 == 0 && w < 5) {
                v = 0; /* ::a.b.c.d and ::ffff:a.b.c.d shapes */
            }
            side.addr[2 * w] = (uint8_t)(v >> 8);
            side.addr[2 * w + 1] = (uint8_t)v;
        }
        char got[64], want[64];
        tcpshake_addr_str(&side, 6, got, sizeof(got));
        CHECK(inet_ntop(AF_INET6, side.addr, want, sizeof(want)) != NULL);
        CHECK_STR(got, want);
        tcpshake_addr_str(&side, 4, got, sizeof(got));
        CHECK(inet_ntop(AF_INET, side.addr, want, sizeof(want)) != NULL);
        CHECK_STR(got, want);
        /* What the sinks write in place: the same text, and its end. */
        for (uint8_t v = 4; v <= 6; v += 2) {
            memset(got, 'x', sizeof(got));
            char *end = sink_put_ip(got, side.addr, v);
            CHECK(inet_ntop(v == 6 ? AF_INET6 : AF_INET, side.addr, want, sizeof(want)) != NULL);
            CHECK_STR(got, want);
            CHECK(end == got + strlen(want));
        }
    }
    /* Every octet value, in every position of an IPv4 address. */
    for (int pos = 0; pos < 4; pos++) {
        for (int v = 0; v < 256; v++) {
            uint8_t addr[16] = { 10, 200, 37, 4 };
            addr[pos] = (uint8_t)v;
            char got[64], want[64];
            memset(got, 'x', sizeof(got));
            char *end = sink_put_ip(got, addr, 4);
            CHECK(inet_ntop(AF_INET, addr, want, sizeof(want)) != NULL);
            CHECK_STR(got, want);
            CHECK(end == got + strlen(want));
        }
    }
}

static void test_sink_api(const struct tcpshake_record *recs)
{
    CHECK(tcpshake_sink_new(TCPSHAKE_FORMAT_COUNT, stdout, 0) == NULL);
    CHECK(tcpshake_sink_new(TCPSHAKE_FORMAT_JSON, NULL, 0) == NULL);
    CHECK_INT(tcpshake_sink_write(NULL, recs), TCPSHAKE_ERR_ARG);
    CHECK_INT(tcpshake_sink_finish(NULL), TCPSHAKE_ERR_ARG);
    tcpshake_sink_free(NULL);

    if (alloc_fault_injection()) {
        alloc_fail_after(1);
        CHECK(tcpshake_sink_new(TCPSHAKE_FORMAT_CSV, stdout, 0) == NULL);
        alloc_fail_after(0);
    }

    /* finish twice: one trailer. */
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    CHECK(fp != NULL);
    if (fp != NULL) {
        struct tcpshake_sink *s = tcpshake_sink_new(TCPSHAKE_FORMAT_ZEEK, fp, 0);
        CHECK_INT(tcpshake_sink_write(s, &recs[0]), TCPSHAKE_OK);
        CHECK_INT(tcpshake_sink_finish(s), TCPSHAKE_OK);
        CHECK_INT(tcpshake_sink_finish(s), TCPSHAKE_OK);
        tcpshake_sink_free(s);
        fclose(fp);
        const char *close = strstr(buf, "#close");
        CHECK(close != NULL && strstr(close + 1, "#close") == NULL);
        free(buf);
    }

    /* A failing stream is reported as ERR_WRITE. */
    FILE *full = fopen("/dev/full", "w");
    if (full != NULL) {
        struct tcpshake_sink *s = tcpshake_sink_new(TCPSHAKE_FORMAT_JSON, full, 0);
        int rc = TCPSHAKE_OK;
        for (int i = 0; i < 200 && rc == TCPSHAKE_OK; i++) {
            rc = tcpshake_sink_write(s, &recs[0]);
        }
        if (rc == TCPSHAKE_OK) {
            rc = tcpshake_sink_finish(s);
        }
        CHECK_INT(rc, TCPSHAKE_ERR_WRITE);
        tcpshake_sink_free(s);
        fclose(full);
    }
}

/* Renders the summary into a string (caller frees). */
static char *summary_text(const struct tcpshake_summary *sum, const struct tcpshake_stats *st)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    if (fp == NULL) {
        return NULL;
    }
    CHECK_INT(tcpshake_summary_print(sum, st, fp), TCPSHAKE_OK);
    fclose(fp);
    return buf;
}

/* The summary leaves the capture point's words to its user: here a marker. */
static void capture_point_marker(enum tcpshake_capture_point cp, FILE *out, void *user)
{
    fprintf(out, "capture point %d %s\n", (int)cp, (const char *)user);
}

static void test_summary(const struct tcpshake_record *recs)
{
    struct tcpshake_summary *sum = tcpshake_summary_new();
    CHECK(sum != NULL);
    if (sum == NULL) {
        return;
    }
    static char here[] = "here";
    tcpshake_summary_set_capture_point_fn(sum, capture_point_marker, here);
    for (int i = 0; i < 3; i++) {
        tcpshake_summary_add(sum, &recs[i]);
    }
    /* Three more connections to the IPv4 web server, one refused. */
    struct tcpshake_record r = recs[0];
    tcpshake_summary_add(sum, &r);
    r.server_side_ns = 1000000;
    tcpshake_summary_add(sum, &r);
    r = recs[1];
    r.ip_version = 4;
    r.server = recs[0].server;
    tcpshake_summary_add(sum, &r);

    struct tcpshake_stats st;
    memset(&st, 0, sizeof(st));
    st.packets_read = 40;
    st.packets_tcp = 37;
    st.skipped[TCPSHAKE_SKIP_NOT_TCP] = 3;
    st.connections = 6;
    st.flows_peak = 2;
    CHECK_INT(tcpshake_summary_capture_point(sum), TCPSHAKE_CAPTURE_POINT_NEAR_CLIENT);
    char *got = summary_text(sum, &st);
    CHECK_STR(got, EXPECT_SUMMARY);
    free(got);

    /* Without stats the capture section is left out. */
    got = summary_text(sum, NULL);
    CHECK(got != NULL && strstr(got, "capture:") == NULL);
    free(got);

    /* The same figures as one JSON object; it needs the stats. */
    char *json = NULL;
    size_t json_len = 0;
    FILE *fp = open_memstream(&json, &json_len);
    CHECK_INT(tcpshake_summary_write_json(sum, NULL, fp), TCPSHAKE_ERR_ARG);
    CHECK_INT(tcpshake_summary_write_json(sum, &st, fp), TCPSHAKE_OK);
    fclose(fp);
    static const char *const members[] = {
        "{\"summary\":\"run\",\"connections\":6,\"outcomes\":{\"established\":",
        "\"capture_point\":\"near_client\",\"top_servers\":[{\"server\":",
        ",\"skipped\":{\"truncated\":0,\"malformed\":0,\"not_tcp\":3,",
        ",\"server_evictions\":0,\"tls_connections\":0,",
        ",\"tls_syn_to_data_max_ns\":null,\"capture\":{\"packets_read\":40,\"packets_tcp\":37,",
        (",\"flows_peak\":2,\"first_ns\":null,\"last_ns\":null,\"live\":false,"
         "\"live_received\":null,\"live_dropped\":null,\"live_if_dropped\":null}}\n"),
    };
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        CHECK(json != NULL && strstr(json, members[i]) != NULL);
    }
    CHECK(json != NULL && strchr(json, '\n') == json + json_len - 1);
    free(json);

    /* Without a capture point function the summary says nothing about it. */
    tcpshake_summary_set_capture_point_fn(sum, NULL, NULL);
    got = summary_text(sum, NULL);
    CHECK(got != NULL && strstr(got, "capture point") == NULL);
    free(got);
    tcpshake_summary_free(sum);
    tcpshake_summary_free(NULL);

    if (alloc_fault_injection()) {
        alloc_fail_after(1);
        CHECK(tcpshake_summary_new() == NULL);
        alloc_fail_after(0);
    }
}

/*
 * The per-server table is bounded: 5000 distinct servers go through 1024
 * entries, yet a heavy server that shows up late still tops the list, with a
 * count that is an upper bound (Space-Saving).
 */
static void test_summary_eviction(const struct tcpshake_record *recs)
{
    struct tcpshake_summary *sum = tcpshake_summary_new();
    CHECK(sum != NULL);
    if (sum == NULL) {
        return;
    }
    struct tcpshake_record r = recs[2];
    for (uint32_t i = 0; i < 5000; i++) {
        set_v4(&r.server, 198, 51, (uint8_t)(i >> 8), (uint8_t)i, 443);
        tcpshake_summary_add(sum, &r);
    }
    r = recs[0];
    set_v4(&r.server, 203, 0, 113, 7, 8080);
    for (int i = 0; i < 50; i++) {
        tcpshake_summary_add(sum, &r);
    }
    char *got = summary_text(sum, NULL);
    CHECK(got != NULL &&
          strstr(got, "top servers by connections (latency in ms, columns as above):\n"
                      "  203.0.113.7:8080: 54* connections, 50 established, 0 failed\n") != NULL);
    CHECK(got != NULL && strstr(got, "  * an upper bound:") != NULL);
    CHECK(got != NULL && strstr(got, "server table evictions") == NULL);
    free(got);

    struct tcpshake_stats st;
    memset(&st, 0, sizeof(st));
    got = summary_text(sum, &st);
    CHECK(got != NULL && strstr(got, "  server table evictions               3977\n") != NULL);
    free(got);
    tcpshake_summary_free(sum);
}

/* A record's TLS handshake: established with version v, or an alert by `by`. */
static void set_tls(struct tcpshake_record *r, enum tcpshake_tls_outcome o, uint16_t v,
                    int64_t server_side_ns, int64_t handshake_ns)
{
    memset(&r->tls, 0, sizeof(r->tls));
    r->tls.outcome = o;
    r->tls.version = v;
    r->tls.server_side_ns = server_side_ns;
    r->tls.client_side_ns = TCPSHAKE_NO_TIME;
    r->tls.handshake_ns = handshake_ns;
    r->tls.syn_to_data_ns = TCPSHAKE_NO_TIME;
}

/*
 * TLS across connections: a TLS block in the text only when some record had
 * TLS (a run without keeps its summary as before), and the same counts and
 * percentiles in the JSON object, zeros when there was none.
 */
static void test_summary_tls(const struct tcpshake_record *recs)
{
    struct tcpshake_summary *sum = tcpshake_summary_new();
    CHECK(sum != NULL);
    if (sum == NULL) {
        return;
    }
    struct tcpshake_record r = recs[0];
    tcpshake_summary_add(sum, &r); /* no TLS */
    char *got = summary_text(sum, NULL);
    CHECK(got != NULL && strstr(got, "tls") == NULL);
    free(got);
    char *json = NULL;
    size_t json_len = 0;
    struct tcpshake_stats st;
    memset(&st, 0, sizeof(st));
    FILE *fp = open_memstream(&json, &json_len);
    CHECK_INT(tcpshake_summary_write_json(sum, &st, fp), TCPSHAKE_OK);
    fclose(fp);
    CHECK(json != NULL && strstr(json, ",\"tls_connections\":0,") != NULL);
    CHECK(json != NULL &&
          strstr(json, ",\"tls_handshake_count\":0,\"tls_handshake_min_ns\":null,") != NULL);
    free(json);

    set_tls(&r, TCPSHAKE_TLS_ESTABLISHED, 0x0304, 2000000, 5000000);
    r.tls.resumed = true;
    r.tls.resumption = TCPSHAKE_TLS_RESUMPTION_PSK;
    r.tls.hrr = true;
    r.tls.client_side_ns = 1000000;
    r.tls.syn_to_data_ns = 9000000;
    tcpshake_summary_add(sum, &r);
    set_tls(&r, TCPSHAKE_TLS_ESTABLISHED, 0x0303, 4000000, 7000000);
    tcpshake_summary_add(sum, &r);
    set_tls(&r, TCPSHAKE_TLS_ALERT, 0x0303, 3000000, TCPSHAKE_NO_TIME);
    r.tls.alert_level = 2;
    r.tls.alert_desc = 40;
    r.tls.alert_by = TCPSHAKE_WHO_SERVER;
    tcpshake_summary_add(sum, &r);
    set_tls(&r, TCPSHAKE_TLS_ALERT, 0, TCPSHAKE_NO_TIME, TCPSHAKE_NO_TIME);
    r.tls.alert_level = 2;
    r.tls.alert_desc = 200; /* unassigned: counted as other */
    r.tls.alert_by = TCPSHAKE_WHO_CLIENT;
    tcpshake_summary_add(sum, &r);
    /* A handshake_ns outside an established handshake is not the handshake's time. */
    set_tls(&r, TCPSHAKE_TLS_NO_SERVER_HELLO, 0, TCPSHAKE_NO_TIME, 99000000);
    tcpshake_summary_add(sum, &r);

    got = summary_text(sum, NULL);
    CHECK(got != NULL &&
          strstr(got,
                 "tls: 5 connections, 2 established (40.0%)\n"
                 "  outcomes       established 2, alert 2, no_server_hello 1\n"
                 "  versions       TLS1.2 2, TLS1.3 1\n"
                 "  resumed        1 (50.0% of established), psk 1\n"
                 "  hello retry    1\n"
                 "  alerts         2 (by client 1, by server 1)\n"
                 "    described    handshake_failure 1, other 1\n"
                 "tls latency in ms (percentiles ±3.125%, min and max exact):\n"
                 "                      count        min        p50        p90        p99        "
                 "max\n"
                 "  server side             3      2.000      2.949      3.998      3.998      "
                 "4.000\n"
                 "  client side             1      1.000      1.000      1.000      1.000      "
                 "1.000\n"
                 "  handshake               2      5.000      5.112      6.947      6.947      "
                 "7.000\n"
                 "  syn to data             1      9.000      9.000      9.000      9.000      "
                 "9.000\n"
                 "top servers by connections") != NULL);
    free(got);

    json = NULL;
    fp = open_memstream(&json, &json_len);
    CHECK_INT(tcpshake_summary_write_json(sum, &st, fp), TCPSHAKE_OK);
    fclose(fp);
    static const char *const members[] = {
        ",\"server_evictions\":0,\"tls_connections\":5,\"tls_outcomes\":{\"none\":0,"
        "\"established\":2,\"alert\":2,\"reset\":0,\"fin\":0,\"no_server_hello\":1,",
        ",\"tls_versions\":{\"SSL3.0\":0,\"TLS1.0\":0,\"TLS1.1\":0,\"TLS1.2\":2,\"TLS1.3\":1,"
        "\"other\":0},\"tls_resumed\":1,\"tls_resumption\":{\"none\":0,\"session_id\":0,"
        "\"ticket\":0,\"psk\":1},\"tls_hrr\":1,\"tls_alerts\":2,\"tls_alerts_by_client\":1,"
        "\"tls_alerts_by_server\":1,\"tls_alert_descriptions\":{\"close_notify\":0,",
        ",\"handshake_failure\":1,",
        ",\"no_application_protocol\":0,\"other\":1},\"tls_server_side_count\":3,"
        "\"tls_server_side_min_ns\":2000000,",
        ",\"tls_handshake_count\":2,\"tls_handshake_min_ns\":5000000,",
        ",\"tls_syn_to_data_max_ns\":9000000,\"capture\":{",
    };
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        CHECK(json != NULL && strstr(json, members[i]) != NULL);
    }
    free(json);
    tcpshake_summary_free(sum);
}

/* The library's version is the header's, and the string spells the numbers. */
static void test_version(void)
{
    char want[32];
    snprintf(want, sizeof(want), "%d.%d.%d", TCPSHAKE_VERSION_MAJOR, TCPSHAKE_VERSION_MINOR,
             TCPSHAKE_VERSION_PATCH);
    CHECK_STR(TCPSHAKE_VERSION, want);
    CHECK_STR(tcpshake_version(), TCPSHAKE_VERSION);
}

/* One record in a time format (and origin); NULL when it could not be written. */
static char *render_times(enum tcpshake_format fmt, enum tcpshake_time_format tf, uint64_t origin,
                          const struct tcpshake_record *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    if (fp == NULL) {
        return NULL;
    }
    struct tcpshake_sink *s = tcpshake_sink_new(fmt, fp, 0);
    CHECK(s != NULL);
    if (s != NULL) {
        CHECK_INT(tcpshake_sink_set_time_format(s, tf), TCPSHAKE_OK);
        tcpshake_sink_set_time_origin(s, origin);
        CHECK_INT(tcpshake_sink_write(s, r), TCPSHAKE_OK);
        CHECK_INT(tcpshake_sink_finish(s), TCPSHAKE_OK);
        tcpshake_sink_free(s);
    }
    fclose(fp);
    return buf;
}

static void check_has(char *got, const char *want)
{
    CHECK(got != NULL && strstr(got, want) != NULL);
    if (got != NULL && strstr(got, want) == NULL) {
        fprintf(stderr, "want %s in:\n%s\n", want, got);
    }
    free(got);
}

/* The unanswered record: first_ns 1700000005123456789, last_ns 3 s later, no SYN-ACK. */
static void test_time_formats(const struct tcpshake_record *r)
{
    check_has(render_times(TCPSHAKE_FORMAT_JSON, TCPSHAKE_TIME_S, 0, r),
              "\"first_ns\":\"1700000005.123456789\",\"last_ns\":\"1700000008.123456789\","
              "\"syn_ns\":\"1700000005.123456789\",\"syn_last_ns\":\"1700000008.123456789\","
              "\"synack_ns\":null,");
    check_has(render_times(TCPSHAKE_FORMAT_JSON, TCPSHAKE_TIME_ISO, 0, r),
              "\"last_ns\":\"2023-11-14T22:13:28.123456789Z\"");
    check_has(render_times(TCPSHAKE_FORMAT_JSON, TCPSHAKE_TIME_OFFSET, 1700000005000000000u, r),
              "\"first_ns\":123456789,\"last_ns\":3123456789,");
    check_has(render_times(TCPSHAKE_FORMAT_JSON, TCPSHAKE_TIME_OFFSET, 1700000006123456789u, r),
              "\"first_ns\":-1000000000,\"last_ns\":2000000000,");
    check_has(render_times(TCPSHAKE_FORMAT_JSON, TCPSHAKE_TIME_NS, 5, r),
              "\"first_ns\":1700000005123456789,");
    check_has(render_times(TCPSHAKE_FORMAT_CSV, TCPSHAKE_TIME_S, 0, r),
              ",1700000005.123456789,1700000008.123456789,1700000005.123456789,"
              "1700000008.123456789,,,,3,");
    /* The durations are not times: they stay integer ns. */
    check_has(render_times(TCPSHAKE_FORMAT_JSON, TCPSHAKE_TIME_ISO, 0, r),
              "\"duration_ns\":3000000000,");
    struct tcpshake_sink *s = tcpshake_sink_new(TCPSHAKE_FORMAT_JSON, stdout, 0);
    CHECK_INT(tcpshake_sink_set_time_format(s, TCPSHAKE_TIME_FORMAT_COUNT), TCPSHAKE_ERR_ARG);
    CHECK_INT(tcpshake_sink_set_time_format(NULL, TCPSHAKE_TIME_S), TCPSHAKE_ERR_ARG);
    tcpshake_sink_free(s);
    CHECK(strcmp(tcpshake_time_format_name(TCPSHAKE_TIME_OFFSET), "offset") == 0);
    CHECK(strcmp(tcpshake_time_format_name(TCPSHAKE_TIME_FORMAT_COUNT), "?") == 0);
}

/* The tls group's times follow the sink's time format too; its durations stay ns. */
static void test_tls_time_formats(const struct tcpshake_record *base)
{
    struct tcpshake_record r = *base; /* first_ns 1700000000123456789 */
    r.tls.outcome = TCPSHAKE_TLS_ESTABLISHED;
    r.tls.client_hello_ns = 1700000000124056789;
    r.tls.server_hello_ns = 1700000000125056789;
    r.tls.server_side_ns = 1000000;
    r.tls.client_side_ns = TCPSHAKE_NO_TIME;
    r.tls.handshake_ns = TCPSHAKE_NO_TIME;
    r.tls.syn_to_data_ns = TCPSHAKE_NO_TIME;
    r.tls.alert_by = TCPSHAKE_WHO_SERVER;
    r.tls.alert_level = 2;
    r.tls.alert_desc = 40;
    r.tls.alert_ns = 1700000000126056789;
    check_has(render_times(TCPSHAKE_FORMAT_JSON, TCPSHAKE_TIME_OFFSET, 1700000000123456789u, &r),
              "\"client_hello_ns\":600000,\"client_hello2_ns\":null,"
              "\"server_hello_ns\":1600000,\"server_flight_ns\":null,");
    check_has(render_times(TCPSHAKE_FORMAT_JSON, TCPSHAKE_TIME_ISO, 0, &r),
              "\"server_hello_ns\":\"2023-11-14T22:13:20.125056789Z\",\"server_flight_ns\":null,"
              "\"client_flight_ns\":null,\"client_data_ns\":null,\"server_data_ns\":null,"
              "\"server_side_ns\":1000000,");
    check_has(render_times(TCPSHAKE_FORMAT_JSON, TCPSHAKE_TIME_S, 0, &r),
              "\"alert_ns\":\"1700000000.126056789\",");
    check_has(render_times(TCPSHAKE_FORMAT_CSV, TCPSHAKE_TIME_S, 0, &r),
              ",1700000000.124056789,,1700000000.125056789,,,,,1000000,,,,2,40,server,"
              "1700000000.126056789,none\n");
}

int main(void)
{
    test_version();
    struct tcpshake_record recs[3];
    make_established(&recs[0]);
    make_refused_v6(&recs[1]);
    make_unanswered(&recs[2]);
    test_table(recs);
    test_json(recs);
    test_csv(recs);
    test_silent_side(recs);
    test_zeek(recs);
    test_json_numbers(&recs[0]);
    test_time_formats(&recs[2]);
    test_tls_time_formats(&recs[0]);
    test_text_digits();
    test_aggregate_kinds();
    test_json_string();
    test_json_room();
    test_text_put_short();
    test_addr_text();
    test_sink_api(recs);
    test_summary(recs);
    test_summary_eviction(recs);
    test_summary_tls(recs);
    return check_report("sinks");
}
