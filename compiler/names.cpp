// Name resolvers: the system one (services, protocols and networks through
// the reentrant libc lookups, /etc/ethers read directly, host names through
// getaddrinfo) and FixedResolver, whose tables tests fill in themselves.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/ether.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "sift/compile.h"

namespace sift {

namespace {

class SystemResolver final : public NameResolver {
 public:
  std::vector<uint32_t> hostV4(std::string_view name) const override {
    std::vector<uint32_t> out;
    forEachAddress(name, AF_INET, [&](const sockaddr* sa) {
      uint32_t a = ntohl(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr.s_addr);
      if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
    });
    return out;
  }

  std::vector<std::array<uint8_t, 16>> hostV6(std::string_view name) const override {
    std::vector<std::array<uint8_t, 16>> out;
    forEachAddress(name, AF_INET6, [&](const sockaddr* sa) {
      std::array<uint8_t, 16> a;
      std::memcpy(a.data(), &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, 16);
      if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
    });
    return out;
  }

  Service service(std::string_view name) const override {
    Service s;
    s.tcp = servicePort(name, "tcp");
    s.udp = servicePort(name, "udp");
    s.sctp = servicePort(name, "sctp");
    return s;
  }

  std::optional<uint8_t> protocol(std::string_view name) const override {
    std::string n(name);
    protoent entry;
    protoent* result = nullptr;
    char buf[1024];
    if (getprotobyname_r(n.c_str(), &entry, buf, sizeof buf, &result) != 0 || !result)
      return std::nullopt;
    if (result->p_proto < 0 || result->p_proto > 255) return std::nullopt;
    return uint8_t(result->p_proto);
  }

  std::optional<uint32_t> network(std::string_view name) const override {
    std::string n(name);
    netent entry;
    netent* result = nullptr;
    char buf[1024];
    int err = 0;
    if (getnetbyname_r(n.c_str(), &entry, buf, sizeof buf, &result, &err) != 0 || !result)
      return std::nullopt;
    if (result->n_addrtype != AF_INET) return std::nullopt;
    // The number as the C library gives it ("127" -> 0x7f, "127.0.0.0" ->
    // 0x7f000000); resolve left-justifies it the way libpcap does, which
    // also decides the mask.
    return uint32_t(result->n_net);
  }

  std::optional<std::array<uint8_t, 6>> ether(std::string_view name) const override {
    std::ifstream in("/etc/ethers");
    std::string line;
    while (std::getline(in, line)) {
      if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
      std::istringstream fields(line);
      std::string mac, host;
      if (!(fields >> mac >> host) || host != name) continue;
      ether_addr parsed;
      if (!ether_aton_r(mac.c_str(), &parsed)) continue;
      std::array<uint8_t, 6> out;
      std::memcpy(out.data(), parsed.ether_addr_octet, 6);
      return out;
    }
    return std::nullopt;
  }

 private:
  template <class F>
  static void forEachAddress(std::string_view name, int family, F&& f) {
    std::string n(name);
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (getaddrinfo(n.c_str(), nullptr, &hints, &res) != 0) return;
    for (addrinfo* ai = res; ai; ai = ai->ai_next)
      if (ai->ai_family == family && ai->ai_addr) f(ai->ai_addr);
    freeaddrinfo(res);
  }

  static std::optional<uint16_t> servicePort(std::string_view name, const char* proto) {
    std::string n(name);
    servent entry;
    servent* result = nullptr;
    char buf[1024];
    if (getservbyname_r(n.c_str(), proto, &entry, buf, sizeof buf, &result) != 0 || !result)
      return std::nullopt;
    return uint16_t(ntohs(uint16_t(result->s_port)));
  }
};

}  // namespace

std::unique_ptr<NameResolver> makeSystemResolver() { return std::make_unique<SystemResolver>(); }

std::vector<uint32_t> FixedResolver::hostV4(std::string_view name) const {
  for (const auto& h : hosts)
    if (h.name == name) return h.v4;
  return {};
}

std::vector<std::array<uint8_t, 16>> FixedResolver::hostV6(std::string_view name) const {
  for (const auto& h : hosts)
    if (h.name == name) return h.v6;
  return {};
}

NameResolver::Service FixedResolver::service(std::string_view name) const {
  for (const auto& s : services)
    if (s.name == name) return s.ports;
  return {};
}

std::optional<uint8_t> FixedResolver::protocol(std::string_view name) const {
  for (const auto& [n, v] : protocols)
    if (n == name) return v;
  return std::nullopt;
}

std::optional<uint32_t> FixedResolver::network(std::string_view name) const {
  for (const auto& [n, v] : networks)
    if (n == name) return v;
  return std::nullopt;
}

std::optional<std::array<uint8_t, 6>> FixedResolver::ether(std::string_view name) const {
  for (const auto& [n, v] : ethers)
    if (n == name) return v;
  return std::nullopt;
}

FixedResolver FixedResolver::standard() {
  FixedResolver r;
  // IP protocol numbers, as in a Debian /etc/protocols.
  r.protocols = {
      {"ip", 0},        {"hopopt", 0},     {"icmp", 1},      {"igmp", 2},
      {"ggp", 3},       {"ipencap", 4},    {"st", 5},        {"tcp", 6},
      {"egp", 8},       {"igp", 9},        {"pup", 12},      {"udp", 17},
      {"hmp", 20},      {"xns-idp", 22},   {"rdp", 27},      {"iso-tp4", 29},
      {"dccp", 33},     {"xtp", 36},       {"ddp", 37},      {"idpr-cmtp", 38},
      {"ipv6", 41},     {"ipv6-route", 43}, {"ipv6-frag", 44}, {"idrp", 45},
      {"rsvp", 46},     {"gre", 47},       {"esp", 50},      {"ah", 51},
      {"skip", 57},     {"ipv6-icmp", 58}, {"ipv6-nonxt", 59}, {"ipv6-opts", 60},
      {"rspf", 73},     {"vmtp", 81},      {"eigrp", 88},    {"ospf", 89},
      {"ax.25", 93},    {"ipip", 94},      {"etherip", 97},  {"encap", 98},
      {"pim", 103},     {"ipcomp", 108},   {"vrrp", 112},    {"l2tp", 115},
      {"isis", 124},    {"sctp", 132},     {"fc", 133},      {"mobility-header", 135},
      {"udplite", 136}, {"mpls-in-ip", 137}, {"manet", 138}, {"hip", 139},
      {"shim6", 140},   {"wesp", 141},     {"rohc", 142},    {"ethernet", 143},
  };
  using S = NameResolver::Service;
  auto tcp = [](uint16_t p) { return S{p, std::nullopt, std::nullopt}; };
  auto udp = [](uint16_t p) { return S{std::nullopt, p, std::nullopt}; };
  auto both = [](uint16_t p) { return S{p, p, std::nullopt}; };
  r.services = {
      {"echo", both(7)},       {"discard", both(9)},     {"ftp-data", tcp(20)},
      {"ftp", tcp(21)},        {"ssh", tcp(22)},         {"telnet", tcp(23)},
      {"smtp", tcp(25)},       {"domain", both(53)},     {"bootps", udp(67)},
      {"bootpc", udp(68)},     {"tftp", udp(69)},        {"gopher", tcp(70)},
      {"finger", tcp(79)},     {"http", tcp(80)},        {"kerberos", both(88)},
      {"pop3", tcp(110)},      {"sunrpc", both(111)},    {"auth", tcp(113)},
      {"nntp", tcp(119)},      {"ntp", udp(123)},        {"netbios-ns", udp(137)},
      {"netbios-dgm", udp(138)}, {"netbios-ssn", tcp(139)}, {"imap2", tcp(143)},
      {"snmp", both(161)},     {"snmp-trap", udp(162)},  {"bgp", tcp(179)},
      {"irc", tcp(194)},       {"ldap", tcp(389)},       {"https", both(443)},
      {"microsoft-ds", tcp(445)}, {"isakmp", udp(500)},  {"syslog", udp(514)},
      {"shell", tcp(514)},     {"printer", tcp(515)},    {"submission", tcp(587)},
      {"ldaps", tcp(636)},     {"rsync", tcp(873)},      {"imaps", tcp(993)},
      {"pop3s", tcp(995)},     {"openvpn", both(1194)},  {"radius", udp(1812)},
      {"nfs", both(2049)},     {"mysql", tcp(3306)},     {"postgresql", tcp(5432)},
      {"amqp", S{5672, 5672, 5672}}, {"x11", tcp(6000)},
  };
  // Networks as Debian's /etc/networks spells them (full addresses, so
  // libpcap, and sift, match them exactly).
  r.networks = {{"loopback", 0x7f000000}, {"link-local", 0xa9fe0000}};
  return r;
}

}  // namespace sift
