// The expressions the live-capture tests install in the kernel: each
// family of primitive the packet generator's pools exercise, on every
// layer, and combinations of them, over untagged frames. vlan has its own
// test with tagged frames (live_kernel_test.cpp), since the kernel strips
// the tag before its filter runs (see docs/capture-live.md).
#pragma once

namespace sift::live::testing {

inline constexpr const char* kLiveExpressions[] = {
    // protocols
    "ip", "ip6", "arp", "rarp", "tcp", "udp", "icmp", "icmp6", "sctp", "igmp",
    "ip proto 47", "ip6 proto 17", "ether proto 0x0806", "not ip and not ip6",
    // hosts and nets
    "host 10.0.0.1", "src host 192.168.1.1", "dst host 10.0.0.80", "host 224.0.0.251",
    "net 10.0.0.0/8", "src net 192.168.0.0/16", "dst net 172.16.0.0/12", "net 192.168.1.0 mask 255.255.255.0",
    "host 2001:db8::1", "net 2001:db8::/32", "dst net ff02::/16", "ip6 src host fe80::1",
    "arp host 192.168.1.1",
    // ports
    "port 80", "tcp port 443", "udp port 53", "src port 22", "dst port 8080", "portrange 1000-2000",
    "tcp dst portrange 1-1023", "udp src port 5353 or udp dst port 5353", "port 0",
    // link layer
    "ether broadcast", "ether multicast", "ether host 00:11:22:33:44:55", "ether src aa:bb:cc:dd:ee:ff",
    "ether dst 01:00:5e:00:00:01", "ip multicast", "ip6 multicast",
    // lengths
    "len < 100", "greater 500", "less 64", "len >= 1000 and len <= 1500",
    // packet bytes and arithmetic
    "ip[6:2] & 0x1fff != 0", "ip[6] & 0x20 != 0", "ip[8] < 32", "ip[0] & 0xf > 5",
    "tcp[tcpflags] & tcp-syn != 0", "tcp[13] = 0x12", "tcp[tcpflags] & (tcp-rst|tcp-fin) != 0",
    "icmp[icmptype] = icmp-echo", "icmp[0] = 0 or icmp[0] = 8", "udp[4:2] > 200",
    "ip[2:2] - ((ip[0] & 0xf) << 2) > 100", "ether[12:2] = 0x86dd", "ip6[6] = 58",
    // combinations
    "tcp and not port 22", "udp and (port 53 or port 123)", "host 10.0.0.1 and tcp port 80",
    "(ip or ip6) and udp", "not (tcp or udp)", "ip and ip[6:2] & 0x3fff = 0 and udp",
    "src net 10.0.0.0/8 and dst net 192.168.0.0/16 or icmp", "ip6 and tcp dst port 80",
    "arp or icmp or icmp6",
};

}  // namespace sift::live::testing
