// The expressions and link types the verdict tests run: every primitive of
// the foundation language, alone and combined, on the nine link types.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace sift::lowertest {

inline const uint32_t kDlts[] = {1, 0, 108, 12, 228, 229, 113, 276, 9};

inline const char* const kExpressions[] = {
    // protocol abbreviations
    "ip", "ip6", "arp", "rarp", "tcp", "udp", "sctp", "icmp", "icmp6", "igmp", "igrp", "pim", "ah", "esp",
    "vrrp", "carp", "not ip", "ip or ip6", "tcp or udp", "not tcp and not udp",
    // proto
    "ip proto 6", "ip proto 17", "ip6 proto 6", "ip6 proto 58", "proto 6", "proto 17", "ip proto \\tcp",
    "ether proto 0x800", "ether proto 0x86dd", "ether proto 0x806", "ether proto 0x8035", "ether proto 0x1234",
    "ether proto 0x8137", "ether proto 0x6003", "ether proto 100", "ether proto 0x42", "ether proto 0xe0",
    "ether proto 0xfe", "ether proto 0xf0", "ether proto 1500", "ether proto 1501", "ether proto \\ip",
    "not ether proto 0xe0",
    // hosts and nets
    "host 10.0.0.1", "src host 10.0.0.1", "dst host 10.0.0.1", "src or dst host 10.0.0.2",
    "src and dst host 10.0.0.1", "ip host 10.0.0.2", "ip src host 10.0.0.2", "arp host 10.0.0.1",
    "rarp host 10.0.0.2", "arp dst host 10.0.0.2", "host 192.168.1.1", "not host 10.0.0.1",
    "net 10.0.0.0/8", "src net 10.0.0.0/24", "dst net 224.0.0.0/4", "net 192.168.0.0 mask 255.255.0.0",
    "ip net 10.0.0.0/31", "net 0.0.0.0/0", "arp net 10.0.0.0/8", "net 10", "net 10.0",
    "host 2001:db8::1", "ip6 host ::1", "src host 2001:db8::2", "dst host ff02::1", "ip6 src or dst host fe80::1",
    "src and dst host ::1", "net 2001:db8::/32", "ip6 net ff00::/8", "dst net fe80::/10", "net ::/0",
    "not ip6 net 2001:db8::/64",
    // MAC addresses
    "ether host 00:11:22:33:44:55", "ether src 00:aa:bb:cc:dd:ee", "ether dst ff:ff:ff:ff:ff:ff",
    "ether src and dst 00:11:22:33:44:55", "not ether host 00:aa:bb:cc:dd:ee",
    // broadcast and multicast
    "broadcast", "ether broadcast", "multicast", "ether multicast", "ip broadcast", "ip multicast",
    "ip6 multicast", "not ip multicast", "not broadcast",
    // ports
    "port 80", "tcp port 80", "udp port 53", "sctp port 80", "src port 80", "dst port 80", "tcp src port 1234",
    "udp dst port 25", "src and dst port 53", "port 53 or port 443", "not port 80", "tcp port http",
    "portrange 10-100", "tcp portrange 1-1024", "udp dst portrange 20-30", "src portrange 80-80",
    "sctp src or dst portrange 9-80", "not portrange 1-100", "tcp src portrange 1000-2000",
    // lengths
    "less 60", "greater 60", "len > 100", "len <= 64", "len = 74", "len != 60", "not less 40",
    // packet access and arithmetic
    "ether[0] = 0", "ether[12:2] = 0x800", "ether[0] & 1 != 0", "link[1:4] > 5", "ip[0] = 0x45", "ip[0] & 0xf > 5",
    "ip[9] = 6", "ip[6:2] & 0x1fff = 0", "ip[16:4] = 0x0a000002", "ip6[6] = 6", "ip6[0] & 0xf0 = 0x60",
    "ip6[40:2] = 1234", "arp[6:2] = 1", "rarp[7] = 3", "tcp[0:2] = 80", "tcp[2:2] = 80", "tcp[13] & 2 != 0",
    "tcp[tcpflags] & tcp-syn != 0", "udp[0:2] = 53", "udp[2:2] = 25", "sctp[0:2] = 80", "icmp[0] = 8",
    "icmp[icmptype] = icmp-echoreply", "icmp6[0] = 128", "icmp6[icmp6type] = icmp6-echo", "igmp[0] = 0x11",
    "pim[0] = 0", "vrrp[0] >= 0", "igrp[0] = 0", "carp[1] = 0", "tcp[0:4] = 0x04d20050",
    "ip[0] + 1 = 0x46", "ip[2:2] - 20 = 20", "ip[0] * 2 = 0x8a", "ip[0] / 5 = 13", "ip[0] % 16 = 5",
    "ip[0] | 1 = 0x45", "ip[0] ^ 0x40 = 5", "ip[0] << 2 = 0x114", "ip[0] >> 4 = 4", "-ip[0] = 0xffffffbb",
    "ip[ip[0] & 0xf] = 0", "tcp[ip[0] & 0xf] > 0", "ether[ether[0]] = 0", "ip[len - 60] = 0",
    "ip[0] = ip[0]", "tcp[0:2] = tcp[2:2]", "tcp[0:2] > udp[0:2]", "ip[0] / ip[1] = 0", "ip[1] % ip[1] = 0",
    "ip[0] & 0xf0 = ip6[0] & 0xf0", "len - 14 = ip[2:2]", "14 + ip[2:2] = len", "1 = 1", "1 = 2", "2 > 1",
    "14 + ip[2:2] = len", "ip[0] + tcp[0] = 1", "1 + tcp[0] = 0x46", "len - ip6[4:2] = 54",
    "ip[0] * icmp[0] = 0", "udp[0:2] & tcp[0:2] = 0", "- tcp[0] = 0xfffffffb", "ip[0] + (1 + tcp[0]) = 0x4a",
    "ip[0] & 0 = 0", "ip[0] * 0 = 0", "tcp[0] & 0 = 0", "ip[0] & 0 != 0", "(ip[0] & 0) + 5 = 5",
    "-(ip6[0] * 0) = 0", "ip[tcp[0] & 0] = 0x45", "len * 0 = 0",
    "ip[0] < 0x50", "ip[0] <= 0x45", "ip[0] >= 0x45", "ip[0] != 0x45", "ip[65535] = 0", "ether[4294967295] = 0",
    "ip[4294967200 + 100] = 0", "tcp[4294967290] = 1", "link[0:4] = 0xffffffff",
    // combinations
    "tcp and port 80", "ip and not tcp", "host 10.0.0.1 and (port 80 or port 53)",
    "(tcp or udp) and not host 192.168.1.1", "not (arp or rarp)", "ip6 and tcp", "ip and ip6",
    "icmp or icmp6 or igmp", "ether broadcast or ip multicast", "tcp[13] & 2 != 0 and not src net 10.0.0.0/8",
    "not (tcp[0] = 1)", "not ip[100] = 0", "not tcp port 80 and not udp port 53",
};

/// `count` random and/or/not combinations (up to three levels deep) of
/// the atoms below, the same for the same seed.
inline std::vector<std::string> randomExpressions(int count, uint64_t seed) {
  uint64_t state = seed;
  auto next = [&](uint32_t bound) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>((state >> 33) % bound);
  };
  const char* const atoms[] = {
      "ip", "ip6", "arp", "tcp", "udp", "icmp", "icmp6", "sctp", "port 80", "src port 1234", "dst port 53",
      "portrange 10-100", "host 10.0.0.1", "dst host 10.0.0.2", "net 10.0.0.0/8", "host 2001:db8::1",
      "ip6 net ff00::/8", "ip multicast", "ip6 multicast", "ip broadcast", "ether proto 0x806", "proto 17",
      "ip proto 1", "less 60", "greater 70", "ip[0] & 0xf > 5", "tcp[13] & 2 != 0", "udp[2:2] = 25",
      "icmp6[0] = 128", "ether[0] & 1 = 1", "len - 14 > ip[2:2]", "ip6[6] = 44", "ip[9] + tcp[0] = 7",
      "broadcast", "ether host 00:11:22:33:44:55", "multicast",
  };
  constexpr uint32_t kAtoms = sizeof(atoms) / sizeof(atoms[0]);
  std::function<std::string(int)> gen = [&](int depth) -> std::string {
    if (depth == 0 || next(3) == 0) return (next(4) == 0 ? "not " : "") + std::string(atoms[next(kAtoms)]);
    std::string l = gen(depth - 1), r = gen(depth - 1);
    std::string op = next(2) ? " and " : " or ";
    std::string e = l + op + r;
    switch (next(3)) {
      case 0: return "(" + e + ")";
      case 1: return "not (" + e + ")";
      default: return e;
    }
  };
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.push_back(gen(3));
  return out;
}

}  // namespace sift::lowertest
