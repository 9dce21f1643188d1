/*
 * test_decode.c - the packet decoders (link.c, ip.c, tunnel.c, tcp.c, icmp.c, wire.h).
 *
 * One table of frames written as commented hex, each with its link type, the
 * status it must decode to and, when that is DECODE_OK, the decoded view
 * printed on one line (see show()), so a failure shows both views whole.
 * Then every prefix of every frame is decoded from a buffer of exactly that
 * size, so ASan catches any read past the captured bytes.
 */
#include "decode.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hex.h"
#include "wire.h"

/* ------------------------------------------------------------ building blocks */

/* Ethernet: destination and source MAC, then the EtherType. */
#define ETH(type) "020000000002 020000000001" type

/* 10.0.0.1 > 10.0.0.2, and the way back. */
#define A4  "0a000001 0a000002"
#define A4R "0a000002 0a000001"

/* 2001:db8::1 > 2001:db8::2, and the way back. */
#define A6  "20010db8000000000000000000000001 20010db8000000000000000000000002"
#define A6R "20010db8000000000000000000000002 20010db8000000000000000000000001"

/* IPv4 without options: total length, flags + fragment offset, protocol. ID 1, TTL 64. */
#define IP4(len, frag, proto) "4500" len "0001" frag "40" proto "0000" A4

/* IPv6: payload length, next header. Hop limit 64. */
#define IP6(plen, nh) "60000000" plen nh "40" A6

/* TCP 40000 > 80, seq 100: ack, data offset (+ AE bit) byte, flags byte. Window 64240. */
#define TCP(ack, off, flags) "9c40 0050 00000064" ack off flags "faf0 0000 0000"

/* The plainest SYN: 20 bytes, no options. */
#define SYN20 TCP("00000000", "50", "02")

/* IPv6 destination options header, 8 bytes (next header 60 or 6, PadN of 4). */
#define DST60    "3c00010400000000"
#define DST6     "0600010400000000"
#define DST60X4  DST60 DST60 DST60 DST60
#define DST60X16 DST60X4 DST60X4 DST60X4 DST60X4

/* The first 8 bytes of the TCP SYN above, as an ICMP error quotes it. */
#define QTCP "9c40 0050 00000064"

/* The plainest IPv4 and IPv6 SYNs (40 and 60 bytes): what the tunnels carry. */
#define ISYN4 IP4("0028", "4000", "06") SYN20
#define ISYN6 IP6("0014", "06") SYN20

/* A tunnel's outer IPv4, 172.16.0.1 > 172.16.0.2, TTL 32: total length, flags + offset, proto. */
#define OIP4(len, frag, proto) "4500" len "0002" frag "20" proto "0000 ac100001 ac100002"

/* UDP: source port, destination port, length; no checksum. */
#define UDP(sport, dport, len) sport dport len "0000"

/* UDP ports: GTP-U 2152, VXLAN 4789, Geneve 6081, Teredo 3544; 50000 as an ephemeral port. */
#define P_GTP    "0868"
#define P_VXLAN  "12b5"
#define P_GENEVE "17c1"
#define P_TEREDO "0dd8"
#define P_EPH    "c350"

/* GTP-U G-PDU header, TEID 1: flags byte (0x30 = version 1, PT; + E 4, S 2, PN 1), length. */
#define GTP(flags, len) flags "ff" len "00000001"

/* VXLAN header: I flag, VNI 123. */
#define VXLAN "08000000 00007b00"

/* Expected views (see show()). */
#define T4   "tcp4 10.0.0.1.40000 > 10.0.0.2.80 "
#define T6   "tcp6 2001:db8::1.40000 > 2001:db8::2.80 "
#define W    "win 64240 "
#define SYN4 T4 "vlan -1 ttl 64 iplen 40 [S] seq 100 ack 0 " W "pl 0 q - opt -"
#define SYN6 T6 "vlan -1 ttl 64 iplen 60 [S] seq 100 ack 0 " W "pl 0 q - opt -"

struct decode_case {
    const char *name;
    int linktype;
    const char *hex;
    enum decode_status status;
    const char *view; /* show() of the result when status is DECODE_OK */
};

static const struct decode_case cases[] = {
    /* ------------------------------------------------------------ Ethernet */
    { "eth ipv4 syn with mss sack ts ws", LINK_ETHERNET,
      ETH("0800") IP4("003c", "4000", "06") TCP("00000000", "a0", "02")
      /* MSS 1460, SACK permitted, TS 1/0, NOP, WS 7 */
      "020405b4 0402 080a0000000100000000 01 030307",
      DECODE_OK,
      T4 "vlan -1 ttl 64 iplen 60 [S] seq 100 ack 0 " W
         "pl 0 q - opt mss 1460,ws 7,sackok,ts 1/0" },
    { "eth ipv4 syn-ack with 8 bytes of data", LINK_ETHERNET,
      ETH("0800") IP4("0030", "4000", "06") TCP("00000065", "50", "12") "6162636465666768",
      DECODE_OK, T4 "vlan -1 ttl 64 iplen 48 [S.] seq 100 ack 101 " W "pl 8 q - opt -" },
    { "eth 802.1q vlan 100 (pcp 5)", LINK_ETHERNET,
      ETH("8100") "a064 0800" IP4("0028", "4000", "06") SYN20, DECODE_OK,
      T4 "vlan 100 ttl 64 iplen 40 [S] seq 100 ack 0 " W "pl 0 q - opt -" },
    { "eth qinq 802.1ad 200 outer, 100 inner", LINK_ETHERNET,
      ETH("88a8") "00c8 8100 0064 0800" IP4("0028", "4000", "06") SYN20, DECODE_OK,
      T4 "vlan 200 ttl 64 iplen 40 [S] seq 100 ack 0 " W "pl 0 q - opt -" },
    { "eth old qinq 0x9100 300 outer", LINK_ETHERNET,
      ETH("9100") "012c 8100 0064 0800" IP4("0028", "4000", "06") SYN20, DECODE_OK,
      T4 "vlan 300 ttl 64 iplen 40 [S] seq 100 ack 0 " W "pl 0 q - opt -" },
    { "eth 8 stacked tags: the cap", LINK_ETHERNET,
      ETH("8100") /* 8 x (tci, type) */
      "0001 8100 0002 8100 0003 8100 0004 8100 0005 8100 0006 8100 0007 8100 0008 0800"
      /* ipv4 syn */ IP4("0028", "4000", "06") SYN20,
      DECODE_OK, T4 "vlan 1 ttl 64 iplen 40 [S] seq 100 ack 0 " W "pl 0 q - opt -" },
    { "eth 9 stacked tags: past the cap", LINK_ETHERNET,
      ETH("8100") "00018100 00028100 00038100 00048100 00058100 00068100 00078100 00088100 "
                  "00090800" IP4("0028", "4000", "06") SYN20,
      DECODE_UNSUPPORTED, NULL },
    { "eth mpls 2 labels then ipv4", LINK_ETHERNET,
      ETH("8847") "00010040" /* label 16, S=0 */ "00011140" /* label 17, S=1 */
      IP4("0028", "4000", "06") SYN20,
      DECODE_OK, SYN4 },
    { "eth mpls multicast 1 label then ipv6", LINK_ETHERNET,
      ETH("8848") "00012140" /* label 18, S=1 */ IP6("0014", "06") SYN20, DECODE_OK, SYN6 },
    { "eth mpls then a pseudowire control word", LINK_ETHERNET,
      ETH("8847") "00011140 00000000" /* control word */ "020000000002", DECODE_NOT_TCP, NULL },
    { "eth mpls 17 labels, no bottom", LINK_ETHERNET,
      ETH("8847") "00010040 00010040 00010040 00010040 00010040 00010040 00010040 00010040 "
                  "00010040 00010040 00010040 00010040 00010040 00010040 00010040 00010040 "
                  "00011140" IP4("0028", "4000", "06") SYN20,
      DECODE_UNSUPPORTED, NULL },
    { "eth pppoe session ipv4", LINK_ETHERNET,
      ETH("8864") "11 00 0001 002a 0021" /* ver/type, code, session, length, ppp ipv4 */
      IP4("0028", "4000", "06") SYN20,
      DECODE_OK, SYN4 },
    { "eth pppoe session ipv6", LINK_ETHERNET,
      ETH("8864") "1100 0001 003e 0057" IP6("0014", "06") SYN20, DECODE_OK, SYN6 },
    { "eth pppoe lcp", LINK_ETHERNET, ETH("8864") "1100 0001 0006 c021 01010004", DECODE_NOT_TCP,
      NULL },
    { "eth ipv4 ack padded to 60 bytes: padding is not payload", LINK_ETHERNET,
      ETH("0800") IP4("0028", "4000", "06") TCP("00000065", "50", "10") "000000000000", DECODE_OK,
      T4 "vlan -1 ttl 64 iplen 40 [.] seq 100 ack 101 " W "pl 0 q - opt -" },
    { "eth header cut at 12 bytes", LINK_ETHERNET, "020000000002 020000000001", DECODE_TRUNCATED,
      NULL },
    { "empty frame", LINK_ETHERNET, "", DECODE_TRUNCATED, NULL },
    { "eth arp request", LINK_ETHERNET,
      ETH("0806") "0001 0800 06 04 0001 020000000001 0a000001 000000000000 0a000002",
      DECODE_NOT_TCP, NULL },
    { "eth ipv4 udp dns", LINK_ETHERNET,
      ETH("0800") IP4("0024", "4000", "11") "d431 0035 0010 0000 0001020304050607", DECODE_NOT_TCP,
      NULL },
    { "eth type 0800 carrying version 6", LINK_ETHERNET, ETH("0800") IP6("0014", "06") SYN20,
      DECODE_MALFORMED, NULL },

    /* ------------------------------------------------- other link layers */
    { "linux sll ipv4", LINK_SLL,
      "0000 0001 0006 0200000000010000 0800" /* pkttype, arphrd, alen, addr, proto */
      IP4("0028", "4000", "06") SYN20,
      DECODE_OK, SYN4 },
    { "linux sll2 ipv6", LINK_SLL2,
      "86dd 0000 00000002 0001 00 06 0200000000010000" /* proto ... addr */
      IP6("0014", "06") SYN20,
      DECODE_OK, SYN6 },
    { "linux sll2 header cut", LINK_SLL2, "86dd0000000000020001", DECODE_TRUNCATED, NULL },
    { "raw 101 ipv4", LINK_RAW, IP4("0028", "4000", "06") SYN20, DECODE_OK, SYN4 },
    { "raw 101 ipv6", LINK_RAW, IP6("0014", "06") SYN20, DECODE_OK, SYN6 },
    { "raw 12 ipv4", 12, IP4("0028", "4000", "06") SYN20, DECODE_OK, SYN4 },
    { "raw 14 ipv6", 14, IP6("0014", "06") SYN20, DECODE_OK, SYN6 },
    { "raw version 5", LINK_RAW, "5000002800014000400600000a0000010a000002", DECODE_MALFORMED,
      NULL },
    { "linktype ipv4 228", LINK_IPV4, IP4("0028", "4000", "06") SYN20, DECODE_OK, SYN4 },
    { "linktype ipv6 229", LINK_IPV6, IP6("0014", "06") SYN20, DECODE_OK, SYN6 },
    { "linktype ipv4 228 carrying ipv6", LINK_IPV4, IP6("0014", "06") SYN20, DECODE_MALFORMED,
      NULL },
    { "null af_inet little-endian", LINK_NULL, "02000000" IP4("0028", "4000", "06") SYN20,
      DECODE_OK, SYN4 },
    { "null af_inet big-endian", LINK_NULL, "00000002" IP4("0028", "4000", "06") SYN20, DECODE_OK,
      SYN4 },
    { "null af_inet6 darwin 30 le", LINK_NULL, "1e000000" IP6("0014", "06") SYN20, DECODE_OK,
      SYN6 },
    { "null af_inet6 freebsd 28 be", LINK_NULL, "0000001c" IP6("0014", "06") SYN20, DECODE_OK,
      SYN6 },
    { "null af_inet6 linux 10 le", LINK_NULL, "0a000000" IP6("0014", "06") SYN20, DECODE_OK, SYN6 },
    { "null af 7: not ip", LINK_NULL, "07000000 00000000", DECODE_NOT_TCP, NULL },
    { "null header cut", LINK_NULL, "020000", DECODE_TRUNCATED, NULL },
    { "loop af_inet network order", LINK_LOOP, "00000002" IP4("0028", "4000", "06") SYN20,
      DECODE_OK, SYN4 },
    { "loop af_inet6 24", LINK_LOOP, "00000018" IP6("0014", "06") SYN20, DECODE_OK, SYN6 },
    { "unknown link type", 999, IP4("0028", "4000", "06") SYN20, DECODE_UNSUPPORTED, NULL },

    /* ---------------------------------------------------------------- IPv4 */
    { "ipv4 ihl 4", LINK_RAW, "4400 0028 0001 4000 40 06 0000" A4 SYN20, DECODE_MALFORMED, NULL },
    { "ipv4 total length 16 < header", LINK_RAW, IP4("0010", "4000", "06") SYN20, DECODE_MALFORMED,
      NULL },
    { "ipv4 options cut off", LINK_RAW, "4600 002c 0001 4000 40 06 0000" A4 "01", DECODE_TRUNCATED,
      NULL },
    { "ipv4 with 4 bytes of options (nop nop nop eol)", LINK_RAW,
      "4600 002c 0001 4000 40 06 0000" A4 "01010100" SYN20, DECODE_OK,
      T4 "vlan -1 ttl 64 iplen 44 [S] seq 100 ack 0 " W "pl 0 q - opt -" },
    { "ipv4 total length 552, 40 captured: snaplen cut", LINK_RAW,
      IP4("0228", "4000", "06") TCP("00000065", "50", "18"), DECODE_OK,
      T4 "vlan -1 ttl 64 iplen 552 [P.] seq 100 ack 101 " W "pl 512 q snaplen opt -" },
    { "ipv4 total length 552, tcp header cut", LINK_RAW,
      IP4("0228", "4000", "06") "9c400050000000640000", DECODE_TRUNCATED, NULL },
    { "ipv4 non-first fragment", LINK_RAW, IP4("0028", "0001", "06") SYN20, DECODE_FRAGMENT, NULL },
    { "ipv4 non-first fragment of udp", LINK_RAW, IP4("0028", "0001", "11") SYN20, DECODE_NOT_TCP,
      NULL },
    { "ipv4 first fragment (MF) with the tcp header", LINK_RAW, IP4("0028", "2000", "06") SYN20,
      DECODE_OK, SYN4 },
    { "ipv4 first fragment (MF) splitting the tcp header", LINK_RAW, IP4("001c", "2000", "06") QTCP,
      DECODE_FRAGMENT, NULL },

    /* ---------------------------------------------------------------- IPv6 */
    { "ipv6 hop-by-hop + first fragment + tcp", LINK_RAW,
      IP6("0024", "00") "2c00010400000000" /* HBH: next 44, PadN */
                        "0600000112345678" /* fragment: next 6, offset 0, M=1 */
      SYN20,
      DECODE_OK, T6 "vlan -1 ttl 64 iplen 76 [S] seq 100 ack 0 " W "pl 0 q - opt -" },
    { "ipv6 atomic fragment (offset 0, M=0)", LINK_RAW, IP6("001c", "2c") "0600000012345678" SYN20,
      DECODE_OK, T6 "vlan -1 ttl 64 iplen 68 [S] seq 100 ack 0 " W "pl 0 q - opt -" },
    { "ipv6 non-first fragment", LINK_RAW,
      IP6("001c", "2c") "0600000812345678" /* offset 1 */ SYN20, DECODE_FRAGMENT, NULL },
    { "ipv6 non-first fragment of udp", LINK_RAW, IP6("001c", "2c") "1100000812345678" SYN20,
      DECODE_NOT_TCP, NULL },
    { "ipv6 16 destination options headers: the cap", LINK_RAW,
      IP6("0094", "3c") DST60X4 DST60X4 DST60X4 DST60 DST60 DST60 DST6 SYN20, DECODE_OK,
      T6 "vlan -1 ttl 64 iplen 188 [S] seq 100 ack 0 " W "pl 0 q - opt -" },
    { "ipv6 17 destination options headers: endless chain", LINK_RAW,
      IP6("009c", "3c") DST60X16 DST6 SYN20, DECODE_UNSUPPORTED, NULL },
    { "ipv6 extension header longer than the payload length", LINK_RAW,
      IP6("0008", "3c") "0601000000000000 0000000000000000", DECODE_MALFORMED, NULL },
    { "ipv6 extension header cut by the capture", LINK_RAW, IP6("0020", "3c") "0601000000000000",
      DECODE_TRUNCATED, NULL },
    { "ipv6 authentication header + tcp", LINK_RAW,
      IP6("002c", "33") "06 04 0000 00000001 00000001 000000000000000000000000" SYN20, DECODE_OK,
      T6 "vlan -1 ttl 64 iplen 84 [S] seq 100 ack 0 " W "pl 0 q - opt -" },
    { "ipv6 esp", LINK_RAW, IP6("0008", "32") "0000000100000001", DECODE_NOT_TCP, NULL },
    { "ipv6 no next header", LINK_RAW, IP6("0000", "3b"), DECODE_NOT_TCP, NULL },
    { "ipv6 mobility header", LINK_RAW, IP6("0008", "87") "3b00000000000000", DECODE_NOT_TCP,
      NULL },
    { "ipv6 payload length 532, 20 captured: snaplen cut", LINK_RAW, IP6("0214", "06") SYN20,
      DECODE_OK, T6 "vlan -1 ttl 64 iplen 572 [S] seq 100 ack 0 " W "pl 512 q snaplen opt -" },
    { "ipv6 header cut", LINK_RAW, "6000000000140640", DECODE_TRUNCATED, NULL },

    /* ----------------------------------------------------------------- TCP */
    { "tcp data offset 4", LINK_RAW, IP4("0028", "4000", "06") TCP("00000000", "40", "02"),
      DECODE_MALFORMED, NULL },
    { "tcp data offset 15 beyond the ip length", LINK_RAW,
      IP4("0028", "4000", "06") TCP("00000000", "f0", "02"), DECODE_MALFORMED, NULL },
    { "tcp ip length too short for any tcp header", LINK_RAW, IP4("0020", "4000", "06") SYN20,
      DECODE_MALFORMED, NULL },
    { "tcp options cut by the capture: a snaplen cut, decoded", LINK_RAW,
      IP4("002c", "4000", "06") TCP("00000000", "60", "02"), DECODE_OK,
      T4 "vlan -1 ttl 64 iplen 44 [S] seq 100 ack 0 " W "pl 0 q snaplen opt -" },
    { "tcp mss option cut in the middle by the capture", LINK_RAW,
      IP4("002c", "4000", "06") TCP("00000000", "60", "02") "0204", DECODE_OK,
      T4 "vlan -1 ttl 64 iplen 44 [S] seq 100 ack 0 " W "pl 0 q snaplen opt -" },
    { "tcp header cut by the capture", LINK_RAW, IP4("0028", "4000", "06") "9c40005000000064",
      DECODE_TRUNCATED, NULL },
    { "tcp option length 0", LINK_RAW,
      IP4("002c", "4000", "06") TCP("00000000", "60", "02") "02000000", DECODE_OK,
      T4 "vlan -1 ttl 64 iplen 44 [S] seq 100 ack 0 " W "pl 0 q bad_opt opt -" },
    { "tcp option length 1", LINK_RAW,
      IP4("002c", "4000", "06") TCP("00000000", "60", "02") "08010000", DECODE_OK,
      T4 "vlan -1 ttl 64 iplen 44 [S] seq 100 ack 0 " W "pl 0 q bad_opt opt -" },
    { "tcp option past the end keeps the mss before it", LINK_RAW,
      IP4("0030", "4000", "06") TCP("00000000", "70", "02") "020405b4 080a0000", DECODE_OK,
      T4 "vlan -1 ttl 64 iplen 48 [S] seq 100 ack 0 " W "pl 0 q bad_opt opt mss 1460" },
    { "tcp option kind with no length byte", LINK_RAW,
      IP4("002c", "4000", "06") TCP("00000000", "60", "02") "01010108", DECODE_OK,
      T4 "vlan -1 ttl 64 iplen 44 [S] seq 100 ack 0 " W "pl 0 q bad_opt opt -" },
    { "tcp end of options then junk", LINK_RAW,
      IP4("002c", "4000", "06") TCP("00000000", "60", "02") "00ffffff", DECODE_OK,
      T4 "vlan -1 ttl 64 iplen 44 [S] seq 100 ack 0 " W "pl 0 q - opt -" },
    { "tcp window scale 32 is kept raw", LINK_RAW,
      IP4("002c", "4000", "06") TCP("00000000", "60", "02") "03032000", DECODE_OK,
      T4 "vlan -1 ttl 64 iplen 44 [S] seq 100 ack 0 " W "pl 0 q - opt ws 32" },
    { "tcp sack blocks skipped", LINK_RAW,
      IP4("0034", "4000", "06") TCP("00000065", "80", "10") "0101 050a0000000100000002", DECODE_OK,
      T4 "vlan -1 ttl 64 iplen 52 [.] seq 100 ack 101 " W "pl 0 q - opt -" },
    { "tcp nop nop timestamps, the layout read at once", LINK_RAW,
      IP4("0034", "4000", "06") TCP("00000065", "80", "10") "0101 080a 01020304 05060708",
      DECODE_OK,
      T4 "vlan -1 ttl 64 iplen 52 [.] seq 100 ack 101 " W "pl 0 q - opt ts 16909060/84281096" },
    { "tcp nop nop timestamps then eol: walked, same result", LINK_RAW,
      IP4("0038", "4000", "06") TCP("00000065", "90", "10") "0101 080a 01020304 05060708 00000000",
      DECODE_OK,
      T4 "vlan -1 ttl 64 iplen 56 [.] seq 100 ack 101 " W "pl 0 q - opt ts 16909060/84281096" },
    { "tcp nop nop timestamps with length 9: walked, the last byte is bad", LINK_RAW,
      IP4("0034", "4000", "06") TCP("00000065", "80", "10") "0101 0809 01020304 05060708",
      DECODE_OK, T4 "vlan -1 ttl 64 iplen 52 [.] seq 100 ack 101 " W "pl 0 q bad_opt opt -" },
    { "tcp nop nop timestamps cut by the capture", LINK_RAW,
      IP4("0034", "4000", "06") TCP("00000065", "80", "10") "0101 080a 01020304 050607", DECODE_OK,
      T4 "vlan -1 ttl 64 iplen 52 [.] seq 100 ack 101 " W "pl 0 q snaplen opt -" },
    { "tcp fast open 34 cookie request", LINK_RAW,
      IP4("002c", "4000", "06") TCP("00000000", "60", "02") "2202 0101", DECODE_OK,
      T4 "vlan -1 ttl 64 iplen 44 [S] seq 100 ack 0 " W "pl 0 q - opt tfo 0" },
    { "tcp fast open 34 with an 8-byte cookie", LINK_RAW,
      IP4("0034", "4000", "06") TCP("00000000", "80", "02") "220a0102030405060708 0101", DECODE_OK,
      T4 "vlan -1 ttl 64 iplen 52 [S] seq 100 ack 0 " W "pl 0 q - opt tfo 8" },
    { "tcp fast open 254 magic f989 with an 8-byte cookie", LINK_RAW,
      IP4("0034", "4000", "06") TCP("00000000", "80", "02") "fe0c f989 0102030405060708", DECODE_OK,
      T4 "vlan -1 ttl 64 iplen 52 [S] seq 100 ack 0 " W "pl 0 q - opt tfo 8" },
    { "tcp option 254 with another magic is not fast open", LINK_RAW,
      IP4("0034", "4000", "06") TCP("00000000", "80", "02") "fe0c 1234 0102030405060708", DECODE_OK,
      T4 "vlan -1 ttl 64 iplen 52 [S] seq 100 ack 0 " W "pl 0 q - opt -" },
    { "tcp ae cwr ece syn", LINK_RAW, IP4("0028", "4000", "06") TCP("00000000", "51", "c2"),
      DECODE_OK, T4 "vlan -1 ttl 64 iplen 40 [SEWN] seq 100 ack 0 " W "pl 0 q - opt -" },
    { "tcp ack number without the ack flag", LINK_RAW,
      IP4("0028", "4000", "06") TCP("00000001", "50", "02"), DECODE_OK,
      T4 "vlan -1 ttl 64 iplen 40 [S] seq 100 ack 1 " W "pl 0 q ack_no_flag opt -" },
    { "tcp mss on a plain ack", LINK_RAW,
      IP4("002c", "4000", "06") TCP("00000065", "60", "10") "020405b4", DECODE_OK,
      T4 "vlan -1 ttl 64 iplen 44 [.] seq 100 ack 101 " W "pl 0 q syn_opt_late opt mss 1460" },

    /* ---------------------------------------------------------------- ICMP */
    { "icmp port unreachable quoting a tcp syn", LINK_ETHERNET,
      ETH("0800") "4500 0038 0002 0000 40 01 0000" A4R /* 56 = 20 + 8 + 28 */
                  "03 03 0000 00000000" IP4("003c", "4000", "06") QTCP,
      DECODE_OK, "icmp4 3/3 quoted tcp4 10.0.0.1.40000 > 10.0.0.2.80 vlan -1 seq 100" },
    { "icmp time exceeded on vlan 7 quoting a whole syn", LINK_ETHERNET,
      ETH("8100") "0007 0800 4500 0044 0002 0000 40 01 0000" A4R
                  "0b 00 0000 00000000" IP4("0028", "4000", "06") SYN20,
      DECODE_OK, "icmp4 11/0 quoted tcp4 10.0.0.1.40000 > 10.0.0.2.80 vlan 7 seq 100" },
    { "icmp unreachable quoting udp", LINK_RAW,
      "4500 0038 0002 0000 40 01 0000" A4R
      "0303 0000 00000000" IP4("0024", "4000", "11") "d4310035 00100000",
      DECODE_NOT_TCP, NULL },
    { "icmp unreachable quoting icmp: no recursion", LINK_RAW,
      "4500 0038 0002 0000 40 01 0000" A4R
      "0303 0000 00000000" IP4("001c", "4000", "01") "0800000000010001",
      DECODE_NOT_TCP, NULL },
    { "icmp unreachable quoting 4 bytes of tcp", LINK_RAW,
      "4500 0034 0002 0000 40 01 0000" A4R
      "0303 0000 00000000" IP4("003c", "4000", "06") "9c400050",
      DECODE_NOT_TCP, NULL },
    { "icmp unreachable cut by snaplen inside the quote", LINK_RAW,
      "4500 0038 0002 0000 40 01 0000" A4R "0303 0000 00000000" IP4("003c", "4000", "06") "9c40",
      DECODE_TRUNCATED, NULL },
    { "icmp echo request", LINK_RAW, "4500 001c 0002 0000 40 01 0000" A4 "0800 0000 00010001",
      DECODE_NOT_TCP, NULL },
    { "icmpv6 port unreachable quoting a tcp syn", LINK_RAW,
      "60000000 0038 3a 40" A6R /* 56 = 8 + 40 + 8 */
      "01 04 0000 00000000" IP6("0014", "06") QTCP,
      DECODE_OK, "icmp6 1/4 quoted tcp6 2001:db8::1.40000 > 2001:db8::2.80 vlan -1 seq 100" },
    { "icmpv6 packet too big quoting dstopts + tcp", LINK_RAW,
      "60000000 0040 3a 40" A6R "02 00 0000 000005dc" IP6("001c", "3c") DST6 QTCP, DECODE_OK,
      "icmp6 2/0 quoted tcp6 2001:db8::1.40000 > 2001:db8::2.80 vlan -1 seq 100" },
    { "icmpv6 echo request", LINK_RAW, "60000000 0008 3a 40" A6 "8000 0000 00010001",
      DECODE_NOT_TCP, NULL },

    /* ------------------------------------------------ IPv4 total length 0 */
    { "ipv4 total length 0 (tso): the captured length stands in", LINK_RAW,
      IP4("0000", "4000", "06") TCP("00000065", "50", "18") "6162636465666768", DECODE_OK,
      T4 "vlan -1 ttl 64 iplen 48 [P.] seq 100 ack 101 " W "pl 8 q ip_len_zero opt -" },
    { "ipv4 total length 0 outside a gtp-u tunnel", LINK_ETHERNET,
      ETH("0800") OIP4("0000", "4000", "11") UDP(P_GTP, P_GTP, "0038") GTP("30", "0028") ISYN4,
      DECODE_OK, SYN4 },

    /* ------------------------------------------------------------- tunnels */
    /* Every tunnel case decodes the inner 10.0.0.1 > 10.0.0.2 (TTL 64), not the outer 172.16. */
    { "gtp-u g-pdu, no optional fields", LINK_ETHERNET,
      ETH("0800") OIP4("004c", "4000", "11") UDP(P_GTP, P_GTP, "0038") GTP("30", "0028") ISYN4,
      DECODE_OK, SYN4 },
    { "gtp-u with sequence number and an extension header, ipv6 inside", LINK_ETHERNET,
      ETH("0800") OIP4("0068", "4000", "11") UDP(P_GTP, P_GTP, "0054") /* outer */
      GTP("36", "0044") "0001 00 85 01 0009 00" /* E, S; seq 1, next 0x85: one 4-byte one */
      ISYN6,
      DECODE_OK, SYN6 },
    { "gtp-u with n-pdu number only: the next-type byte is ignored", LINK_ETHERNET,
      ETH("0800") OIP4("0050", "4000", "11") UDP(P_GTP, P_GTP, "003c") /* outer */
      GTP("31", "002c") "0000 07 85" /* PN only, next 0x85 */ ISYN4,
      DECODE_OK, SYN4 },
    { "gtp-u extension header of length 0", LINK_ETHERNET,
      ETH("0800") OIP4("0054", "4000", "11") UDP(P_GTP, P_GTP, "0040") /* outer */
      GTP("34", "0030") "0000 00 85 00000000" /* E; next 0x85, of length 0 */ ISYN4,
      DECODE_MALFORMED, NULL },
    { "gtp-u echo request", LINK_ETHERNET,
      ETH("0800") OIP4("0028", "4000", "11") UDP(P_GTP, P_GTP, "0014") /* outer */
      "32 01 0004 00000000 00010000",
      DECODE_NOT_TCP, NULL },
    { "gtp-u carrying an icmp error about a tcp syn", LINK_ETHERNET,
      ETH("0800") OIP4("005c", "4000", "11") UDP(P_GTP, P_GTP, "0048") GTP("30", "0038") /* */
      "4500 0038 0002 0000 40 01 0000" A4R "03 03 0000 00000000" /* icmp port unreachable */
      IP4("003c", "4000", "06") QTCP,
      DECODE_OK, "icmp4 3/3 quoted tcp4 10.0.0.1.40000 > 10.0.0.2.80 vlan -1 seq 100" },
    { "udp length 4", LINK_ETHERNET,
      ETH("0800") OIP4("0020", "4000", "11") UDP(P_GTP, P_GTP, "0004") "30ff0000", DECODE_MALFORMED,
      NULL },
    { "vxlan on vlan 7, inner frame on vlan 100: the outer vlan is kept", LINK_ETHERNET,
      ETH("8100") "0007 0800" OIP4("005e", "4000", "11") UDP(P_EPH, P_VXLAN, "004a") /* outer */
      VXLAN ETH("8100") "0064 0800" ISYN4,
      DECODE_OK, T4 "vlan 7 ttl 64 iplen 40 [S] seq 100 ack 0 " W "pl 0 q - opt -" },
    { "geneve with 8 bytes of options, ethernet inside", LINK_ETHERNET,
      ETH("0800") OIP4("0062", "4000", "11") UDP(P_EPH, P_GENEVE, "004e")   /* outer */
      "02006558 00007b00" /* opt len 2, TEB, VNI 123 */ "01020301 00000000" /* one option */
      ETH("0800") ISYN4,
      DECODE_OK, SYN4 },
    { "geneve carrying ipv6 directly", LINK_ETHERNET,
      ETH("0800") OIP4("0060", "4000", "11") UDP(P_EPH, P_GENEVE, "004c") /* outer */
      "000086dd 00007b00" ISYN6,
      DECODE_OK, SYN6 },
    { "geneve version 1", LINK_ETHERNET,
      ETH("0800") OIP4("0024", "4000", "11") UDP(P_EPH, P_GENEVE, "0010") "40006558 00007b00",
      DECODE_UNSUPPORTED, NULL },
    { "teredo with an origin indication", LINK_ETHERNET,
      ETH("0800") OIP4("0060", "4000", "11") UDP(P_TEREDO, P_EPH, "004c") /* outer */
      "0000 1234 55667788" /* origin indication */ ISYN6,
      DECODE_OK, SYN6 },
    { "teredo with an authentication indicator", LINK_ETHERNET,
      ETH("0800") OIP4("0065", "4000", "11") UDP(P_EPH, P_TEREDO, "0051") /* outer */
      "0001 00 00 0102030405060708 00" /* no id, no value; nonce, confirmation */ ISYN6,
      DECODE_OK, SYN6 },
    { "udp 3544 not carrying ipv6 is not teredo", LINK_ETHERNET,
      ETH("0800") OIP4("0020", "4000", "11") UDP(P_EPH, P_TEREDO, "000c") "01020304",
      DECODE_NOT_TCP, NULL },
    { "gre v0 with key", LINK_ETHERNET,
      ETH("0800") OIP4("0044", "4000", "2f") "2000 0800 0000002a" /* K, IPv4, key 42 */ ISYN4,
      DECODE_OK, SYN4 },
    { "gre with checksum, key, sequence: transparent ethernet bridging", LINK_ETHERNET,
      ETH("0800") OIP4("005a", "4000", "2f") /* outer */
      "b000 6558 0000 0000 0000002a 00000001" /* C K S, TEB */ ETH("0800") ISYN4,
      DECODE_OK, SYN4 },
    { "gre erspan type ii", LINK_ETHERNET,
      ETH("0800") OIP4("005a", "4000", "2f") /* outer */
      "1000 88be 00000001 10640001 00000000" /* S, seq; ERSPAN II, vlan 100, session 1 */
      ETH("0800") ISYN4,
      DECODE_OK, SYN4 },
    { "gre erspan type iii with a platform subheader", LINK_ETHERNET,
      ETH("0800") OIP4("0062", "4000", "2f") /* outer */
      "0000 22eb 20640001 00000000 00000001" /* ERSPAN III with O */
      "0000000000000000" /* platform-specific subheader */ ETH("0800") ISYN4,
      DECODE_OK, SYN4 },
    { "gre v1 (pptp) ppp ipv4 with address and control", LINK_ETHERNET,
      ETH("0800") OIP4("0050", "4000", "2f")  /* outer */
      "3081 880b 002c 0001 00000001 00000000" /* K S A v1, length 44, call 1, seq, ack */
      "ff03 0021" /* PPP IPv4 */ ISYN4,
      DECODE_OK, SYN4 },
    { "gre v1 (pptp) ppp ipv4, fields compressed", LINK_ETHERNET,
      ETH("0800") OIP4("0045", "4000", "2f") "2001 880b 0029 0001" /* K v1 */ "21" ISYN4, DECODE_OK,
      SYN4 },
    { "gre v1 (pptp) ppp lcp", LINK_ETHERNET,
      ETH("0800") OIP4("0024", "4000", "2f") "2001 880b 0008 0001" /* K v1 */ "ff03 c021 01010004",
      DECODE_NOT_TCP, NULL },
    { "gre carrying mpls (rfc 4023): the label stack is walked", LINK_ETHERNET,
      ETH("0800") OIP4("0044", "4000", "2f") "0000 8847"
                                             "00011140" /* label 17, S=1 */ ISYN4,
      DECODE_OK, SYN4 },
    { "gre carrying a vlan tag: walked, not the frame's vlan", LINK_ETHERNET,
      ETH("0800") OIP4("0044", "4000", "2f") "0000 8100"
                                             "0064 0800" ISYN4,
      DECODE_OK, SYN4 },
    { "ethertype 6558 (bridging) outside a tunnel is not decoded", LINK_ETHERNET,
      ETH("6558") ETH("0800") ISYN4, DECODE_NOT_TCP, NULL },
    { "gre with rfc 1701 routing", LINK_ETHERNET,
      ETH("0800") OIP4("0020", "4000", "2f") "c000 0800 0000 0000 00000000", DECODE_UNSUPPORTED,
      NULL },
    { "gre keepalive-like payload 0x0000", LINK_ETHERNET,
      ETH("0800") OIP4("0018", "4000", "2f") "0000 0000", DECODE_NOT_TCP, NULL },
    { "ip in ip", LINK_ETHERNET, ETH("0800") OIP4("003c", "4000", "04") ISYN4, DECODE_OK, SYN4 },
    { "6in4", LINK_ETHERNET, ETH("0800") OIP4("0050", "4000", "29") ISYN6, DECODE_OK, SYN6 },
    { "ipv6 in ipv6", LINK_RAW, IP6("003c", "29") ISYN6, DECODE_OK, SYN6 },
    { "ipv6 destination options then ipv4", LINK_RAW, IP6("0030", "3c") "0400010400000000" ISYN4,
      DECODE_OK, SYN4 },
    { "6in4 cut by snaplen", LINK_RAW,
      OIP4("023c", "4000", "29") IP6("0200", "06") TCP("00000065", "50", "18"), DECODE_OK,
      T6 "vlan -1 ttl 64 iplen 552 [P.] seq 100 ack 101 " W "pl 492 q snaplen opt -" },
    { "vxlan, then gre inside: two layers", LINK_ETHERNET,
      ETH("0800") OIP4("0076", "4000", "11") UDP(P_EPH, P_VXLAN, "0062") /* outer */
      VXLAN ETH("0800") OIP4("0044", "4000", "2f") "2000 0800 0000002a" /* layer 1, 2 */ ISYN4,
      DECODE_OK, SYN4 },
    { "ip in ip 4 layers deep: the cap", LINK_RAW,
      OIP4("0078", "4000", "04") OIP4("0064", "4000", "04") /* layers 1, 2 */
      OIP4("0050", "4000", "04") OIP4("003c", "4000", "04") /* layers 3, 4 */ ISYN4,
      DECODE_OK, SYN4 },
    { "ip in ip 5 layers deep: past the cap", LINK_RAW,
      OIP4("008c", "4000", "04") OIP4("0078", "4000", "04") /* layers 1, 2 */
      OIP4("0064", "4000", "04") OIP4("0050", "4000", "04") /* layers 3, 4 */
      OIP4("003c", "4000", "04") /* layer 5 */ ISYN4,
      DECODE_UNSUPPORTED, NULL },
    { "gre bridging as layer 4: one layer, the cap", LINK_RAW,
      OIP4("008a", "4000", "04") OIP4("0076", "4000", "04") /* layers 1, 2 */
      OIP4("0062", "4000", "04") OIP4("004e", "4000", "2f") /* layer 3, then gre */
      "0000 6558" ETH("0800") ISYN4,
      DECODE_OK, SYN4 },
    { "gre bridging as layer 5: past the cap", LINK_RAW,
      OIP4("009e", "4000", "04") OIP4("008a", "4000", "04") /* layers 1, 2 */
      OIP4("0076", "4000", "04") OIP4("0062", "4000", "04") /* layers 3, 4 */
      OIP4("004e", "4000", "2f") "0000 6558" ETH("0800") ISYN4,
      DECODE_UNSUPPORTED, NULL },

    /* ----------------------------------------------- tunnels and fragments */
    { "gtp-u in a first outer fragment holding all inner headers", LINK_ETHERNET,
      ETH("0800") OIP4("004c", "2000", "11") UDP(P_GTP, P_GTP, "0238") /* outer: MF */
      GTP("30", "0228") IP4("0228", "4000", "06") TCP("00000065", "50", "18"),
      DECODE_OK, T4 "vlan -1 ttl 64 iplen 552 [P.] seq 100 ack 101 " W "pl 512 q - opt -" },
    { "ip in ip, first outer fragment splitting the inner tcp header", LINK_RAW,
      OIP4("0030", "2000", "04") IP4("0028", "4000", "06") QTCP, DECODE_FRAGMENT, NULL },
    { "ip in ip, outer length too short for the inner tcp header", LINK_RAW,
      OIP4("0030", "4000", "04") IP4("0028", "4000", "06") QTCP, DECODE_MALFORMED, NULL },
    { "gre non-first outer fragment", LINK_RAW,
      OIP4("0044", "0003", "2f") "2000 0800 0000002a" ISYN4, DECODE_FRAGMENT, NULL },
    { "udp non-first outer fragment: no port to tell a tunnel", LINK_RAW,
      OIP4("0044", "0003", "11") UDP(P_GTP, P_GTP, "0030") GTP("30", "0028") ISYN4, DECODE_NOT_TCP,
      NULL },
};

/* ------------------------------------------------------------------ helpers */

static void show_addr(const uint8_t *a, uint8_t ip_version, char *buf, size_t len)
{
    if (inet_ntop(ip_version == 4 ? AF_INET : AF_INET6, a, buf, (socklen_t)len) == NULL) {
        snprintf(buf, len, "?");
    }
}

static void show_tuple(const struct flow_tuple *t, char *buf, size_t len)
{
    char src[64], dst[64];
    show_addr(t->src, t->ip_version, src, sizeof(src));
    show_addr(t->dst, t->ip_version, dst, sizeof(dst));
    snprintf(buf, len, "tcp%u %s.%u > %s.%u vlan %d", t->ip_version, src, t->sport, dst, t->dport,
             (int)t->vlan);
}

static void show_flags(uint16_t flags, char *buf)
{
    static const struct {
        uint16_t bit;
        char c;
    } names[] = { { TCP_FIN, 'F' }, { TCP_SYN, 'S' }, { TCP_RST, 'R' },
                  { TCP_PSH, 'P' }, { TCP_URG, 'U' }, { TCP_ECE, 'E' },
                  { TCP_CWR, 'W' }, { TCP_AE, 'N' },  { TCP_ACK, '.' } };
    size_t n = 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (flags & names[i].bit) {
            buf[n++] = names[i].c;
        }
    }
    buf[n] = '\0';
}

/* Append ",text" (or "text" at the start) to buf. */
static void join(char *buf, size_t len, const char *text)
{
    size_t used = strlen(buf);
    snprintf(buf + used, len - used, "%s%s", used > 0 ? "," : "", text);
}

static void show_quirks(uint32_t q, char *buf, size_t len)
{
    buf[0] = '\0';
    if (q & TCPQ_BAD_OPTION) {
        join(buf, len, "bad_opt");
    }
    if (q & TCPQ_ACK_NO_FLAG) {
        join(buf, len, "ack_no_flag");
    }
    if (q & TCPQ_SYN_OPT_LATE) {
        join(buf, len, "syn_opt_late");
    }
    if (q & TCPQ_SNAPLEN_CUT) {
        join(buf, len, "snaplen");
    }
    if (q & TCPQ_IP_LEN_ZERO) {
        join(buf, len, "ip_len_zero");
    }
    if (buf[0] == '\0') {
        snprintf(buf, len, "-");
    }
}

static void show_options(const struct tcp_options *o, char *buf, size_t len)
{
    char item[64];
    buf[0] = '\0';
    if (o->mss != 0) {
        snprintf(item, sizeof(item), "mss %u", o->mss);
        join(buf, len, item);
    }
    if (o->wscale >= 0) {
        snprintf(item, sizeof(item), "ws %d", o->wscale);
        join(buf, len, item);
    }
    if (o->sack_permitted) {
        join(buf, len, "sackok");
    }
    if (o->timestamps) {
        snprintf(item, sizeof(item), "ts %" PRIu32 "/%" PRIu32, o->tsval, o->tsecr);
        join(buf, len, item);
    }
    if (o->tfo) {
        snprintf(item, sizeof(item), "tfo %u", o->tfo_cookie_len);
        join(buf, len, item);
    }
    if (buf[0] == '\0') {
        snprintf(buf, len, "-");
    }
}

/* One line describing a decoded view, in the table's words. */
static void show(const struct packet_view *v, char *buf, size_t len)
{
    char tuple[160], flags[16], quirks[64], opts[128];
    if (v->kind == PACKET_ICMP_ERROR) {
        const struct icmp_view *i = &v->u.icmp;
        show_tuple(&i->quoted, tuple, sizeof(tuple));
        snprintf(buf, len, "icmp%u %u/%u quoted %s seq %" PRIu32, i->ip_version, i->type, i->code,
                 tuple, i->quoted_seq);
        return;
    }
    const struct tcp_view *t = &v->u.tcp;
    show_tuple(&t->tuple, tuple, sizeof(tuple));
    show_flags(t->flags, flags);
    show_quirks(t->quirks, quirks, sizeof(quirks));
    show_options(&t->opt, opts, sizeof(opts));
    snprintf(buf, len,
             "%s ttl %u iplen %" PRIu32 " [%s] seq %" PRIu32 " ack %" PRIu32 " win %u pl %" PRIu32
             " q %s opt %s",
             tuple, t->ttl, t->ip_len, flags, t->seq, t->ack, t->window, t->payload_len, quirks,
             opts);
}

/* Decode the first n bytes of pkt from a heap copy of exactly n bytes (ASan sees
 * over-reads), with decode_packet, or with decode_packet_general when walked. */
static enum decode_status decode_copy(int linktype, const uint8_t *pkt, size_t n, bool walked,
                                      struct packet_view *v)
{
    uint8_t *copy = malloc(n > 0 ? n : 1);
    if (copy == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    memcpy(copy, pkt, n);
    const uint8_t *data = n > 0 ? copy : NULL;
    enum decode_status st = walked ? decode_packet_general(linktype, data, n, v)
                                   : decode_packet(linktype, data, n, n, v);
    free(copy);
    return st;
}

static enum decode_status decode_exact(int linktype, const uint8_t *pkt, size_t n,
                                       struct packet_view *v)
{
    return decode_copy(linktype, pkt, n, false, v);
}

/* A SYN's fingerprint facts (decode.h: only segments with SYN carry them). */
static bool same_syn_facts(const struct packet_view *x, const struct packet_view *y)
{
    if (x->kind != PACKET_TCP || (x->u.tcp.flags & TCP_SYN) == 0) {
        return true;
    }
    const struct tcp_syn_facts *a = &x->u.tcp.syn, *b = &y->u.tcp.syn;
    return a->opt_len == b->opt_len && memcmp(a->opt, b->opt, a->opt_len) == 0 &&
           a->tcp_hdr_len == b->tcp_hdr_len && a->ip_opt_len == b->ip_opt_len &&
           a->ip_tos == b->ip_tos && a->ip_bits == b->ip_bits && a->urg_ptr == b->urg_ptr;
}

/* Does decode_packet's shortcut give what walking every layer gives? Prints the
 * frame's case name when not. */
static bool shortcut_agrees(const char *name, int linktype, const uint8_t *pkt, size_t n)
{
    struct packet_view fast, walked;
    enum decode_status st_fast = decode_exact(linktype, pkt, n, &fast);
    enum decode_status st_walked = decode_copy(linktype, pkt, n, true, &walked);
    bool same = st_fast == st_walked;
    if (same && st_fast == DECODE_OK) {
        char a[512], b[512];
        show(&fast, a, sizeof(a));
        show(&walked, b, sizeof(b));
        const struct flow_tuple *ta = packet_flow_tuple(&fast);
        const struct flow_tuple *tb = packet_flow_tuple(&walked);
        same = strcmp(a, b) == 0 && memcmp(ta->src, tb->src, sizeof(ta->src)) == 0 &&
               memcmp(ta->dst, tb->dst, sizeof(ta->dst)) == 0 && same_syn_facts(&fast, &walked);
    }
    if (!same) {
        fprintf(stderr, "case \"%s\" (%zu bytes): shortcut and general decoder differ\n", name, n);
    }
    return same;
}

/* --------------------------------------------------------------------- tests */

static void test_table(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct decode_case *c = &cases[i];
        uint8_t pkt[512];
        size_t n = unhex(c->hex, pkt, sizeof(pkt));
        if (n == SIZE_MAX) {
            fprintf(stderr, "case \"%s\": bad hex\n", c->name);
            CHECK(n != SIZE_MAX);
            continue;
        }
        struct packet_view v;
        enum decode_status st = decode_exact(c->linktype, pkt, n, &v);
        if ((int)st != (int)c->status) {
            fprintf(stderr, "case \"%s\":\n", c->name);
        }
        CHECK_INT(st, c->status);
        if (st == DECODE_OK && c->status == DECODE_OK) {
            char got[512];
            show(&v, got, sizeof(got));
            if (strcmp(got, c->view) != 0) {
                fprintf(stderr, "case \"%s\":\n", c->name);
            }
            CHECK_STR(got, c->view);
        }
    }
}

/*
 * Every prefix of every frame, each in a buffer of exactly its size. A frame
 * that decodes whole must decode every prefix as OK (a snaplen cut) or
 * TRUNCATED: cutting a capture never makes a header lie.
 */
static void test_prefixes(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct decode_case *c = &cases[i];
        uint8_t pkt[512];
        size_t n = unhex(c->hex, pkt, sizeof(pkt));
        if (n == SIZE_MAX) {
            continue;
        }
        size_t odd = 0;
        for (size_t len = 0; len <= n; len++) {
            struct packet_view v;
            enum decode_status st = decode_exact(c->linktype, pkt, len, &v);
            if (c->status == DECODE_OK && st != DECODE_OK && st != DECODE_TRUNCATED) {
                fprintf(stderr, "case \"%s\" cut at %zu: status %d\n", c->name, len, (int)st);
                odd++;
            }
        }
        CHECK_U64(odd, 0);
    }
}

/*
 * A jumbogram (RFC 2675) has payload length 0: its length is the capture's, so
 * unlike the table's frames a prefix of it can look malformed. Kept apart.
 */
static void test_jumbogram(void)
{
    uint8_t pkt[128];
    size_t n = unhex(IP6("0000", "00") "06 00 c2 04 0000001c" /* HBH: jumbo option */
                     SYN20,
                     pkt, sizeof(pkt));
    struct packet_view v;
    CHECK_INT(decode_exact(LINK_RAW, pkt, n, &v), DECODE_OK);
    char got[512];
    show(&v, got, sizeof(got));
    CHECK_STR(got, T6 "vlan -1 ttl 64 iplen 68 [S] seq 100 ack 0 " W "pl 0 q - opt -");
    CHECK_INT(decode_exact(LINK_RAW, pkt, n - 1, &v), DECODE_MALFORMED);
}

/*
 * decode_packet reads plain Ethernet / SLL + IP + TCP frames straight from the
 * bytes. It must agree with the general decoder on every frame of the table,
 * every prefix of each, and each with any one of its first 80 bytes changed
 * (lengths, versions, flags, header sizes and EtherTypes among them).
 */
static void test_shortcut(void)
{
    static const uint8_t values[] = { 0x00, 0x01, 0x05, 0x06, 0x08, 0x11, 0x14, 0x28,
                                      0x3f, 0x40, 0x45, 0x46, 0x50, 0x60, 0x80, 0xff };
    uint64_t differ = 0, frames = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct decode_case *c = &cases[i];
        uint8_t pkt[512];
        size_t n = unhex(c->hex, pkt, sizeof(pkt));
        if (n == SIZE_MAX) {
            continue;
        }
        for (size_t len = 0; len <= n; len++) {
            differ += !shortcut_agrees(c->name, c->linktype, pkt, len);
            frames++;
        }
        for (size_t at = 0; at < n && at < 80; at++) {
            uint8_t orig = pkt[at];
            for (size_t k = 0; k < sizeof(values); k++) {
                pkt[at] = values[k];
                differ += !shortcut_agrees(c->name, c->linktype, pkt, n);
                pkt[at] = (uint8_t)(orig ^ values[k]);
                differ += !shortcut_agrees(c->name, c->linktype, pkt, n);
                frames += 2;
            }
            pkt[at] = orig;
        }
    }
    CHECK_U64(differ, 0);
    CHECK(frames > 10000);
}

static void test_wire(void)
{
    static const uint8_t b[] = { 0x80, 0x01, 0xff, 0xfe, 0x12 };
    struct wire w = wire_init(b, sizeof(b));
    CHECK_U64(wire_be32(&w), 0x8001fffeu);
    CHECK(!w.bad);
    CHECK_INT(wire_be16(&w), 0); /* one byte left: a short read gives 0 ... */
    CHECK(w.bad);                /* ... and the cursor goes bad for good */
    CHECK_INT(wire_u8(&w), 0);
    CHECK_U64(wire_left(&w), 0);

    w = wire_init(b, sizeof(b));
    CHECK_U64(wire_le32(&w), 0xfeff0180u);
    w = wire_init(b, sizeof(b));
    struct wire sub = wire_sub(&w, 2);
    CHECK_U64(wire_left(&sub), 2);
    CHECK_INT(wire_be16(&sub), 0x8001);
    CHECK_INT(wire_u8(&sub), 0);
    CHECK(sub.bad);
    CHECK(!w.bad);
    CHECK_INT(wire_u8(&w), 0xff);
    sub = wire_sub(&w, 3);
    CHECK(sub.bad);
    CHECK(w.bad);
    CHECK_U64(wire_left(&sub), 0);

    w = wire_init(NULL, 10);
    CHECK_U64(wire_left(&w), 0);
}

static void test_link_supported(void)
{
    static const int yes[] = { 0, 1, 12, 14, 101, 108, 113, 228, 229, 276 };
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        CHECK(decode_link_supported(yes[i]));
    }
    CHECK(!decode_link_supported(105)); /* 802.11 */
    CHECK(!decode_link_supported(-1));
}

/* A SYN's fingerprint facts (tcp_syn_facts): IP and TCP header bits, raw options. */
static void test_syn_facts(void)
{
    /* IPv4: TOS 0x03 (ECN), id 0, reserved flag and DF, 4 bytes of IP options;
     * SYN with urgent pointer 7 and 8 option bytes (MSS 1460, NOP, EOL, 00). */
    const char *v4 = "46030034 0000 c000 4006 0000" A4 "01010100"
                     "9c40 0050 00000064 00000000 7002 faf0 0000 0007 020405b4 01 00 0000";
    /* IPv6, flow label 0xabcde, traffic class 0x01, one 8-byte destination options header. */
    const char *v6 = "601abcde 001c 3c 40" A6 DST6 SYN20;
    /* Not a SYN: the facts are left as they were. */
    const char *ack = IP4("0028", "4000", "06") TCP("00000001", "50", "10");
    uint8_t pkt[256];
    struct packet_view v;
    size_t n = unhex(v4, pkt, sizeof(pkt));
    CHECK_INT(decode_exact(LINK_RAW, pkt, n, &v), DECODE_OK);
    const struct tcp_syn_facts *f = &v.u.tcp.syn;
    CHECK_INT(f->ip_tos, 3);
    CHECK_INT(f->ip_bits, IPF_DF | IPF_MBZ | IPF_ID_ZERO);
    CHECK_INT(f->ip_opt_len, 4);
    CHECK_INT(f->tcp_hdr_len, 28);
    CHECK_INT(f->urg_ptr, 7);
    CHECK_INT(f->opt_len, 8);
    CHECK(memcmp(f->opt, "\x02\x04\x05\xb4\x01\x00\x00\x00", 8) == 0);

    n = unhex(v6, pkt, sizeof(pkt));
    CHECK_INT(decode_exact(LINK_RAW, pkt, n, &v), DECODE_OK);
    CHECK_INT(f->ip_tos, 1);
    CHECK_INT(f->ip_bits, IPF_FLOW);
    CHECK_INT(f->ip_opt_len, 8);
    CHECK_INT(f->tcp_hdr_len, 20);
    CHECK_INT(f->opt_len, 0);

    n = unhex(ack, pkt, sizeof(pkt));
    memset(&v, 0x5a, sizeof(v));
    CHECK_INT(decode_exact(LINK_RAW, pkt, n, &v), DECODE_OK);
    CHECK_INT(f->ip_tos, 0x5a);
}

int main(void)
{
    test_wire();
    test_link_supported();
    test_table();
    test_prefixes();
    test_jumbogram();
    test_shortcut();
    test_syn_facts();
    return check_report("decode");
}
