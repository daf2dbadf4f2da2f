// compiler::resolve: final qualifiers and values, checked field by field.
#include <doctest/doctest.h>

#include "support.h"

using namespace sift;
using ast::AddrKind;
using ast::Proto;

namespace {

ast::Tree ok(std::string_view text) {
  auto t = test::parseAndResolve(text);
  INFO(text);
  REQUIRE_MESSAGE(t.ok(), (t.ok() ? "" : t.error().message));
  return std::move(*t);
}

const ast::Node& leaf(const ast::Node& n, std::initializer_list<int> path) {
  const ast::Node* p = &n;
  for (int i : path) p = p->children.at(size_t(i)).get();
  return *p;
}

Diagnostic bad(std::string_view text) {
  auto t = test::parseAndResolve(text);
  INFO(text);
  REQUIRE_FALSE(t.ok());
  return t.error();
}

}  // namespace

TEST_CASE("every node is marked resolved") {
  auto t = ok("host gw or (tcp and not ip[0] = 1) or broadcast or less 3");
  std::vector<const ast::Node*> work{t.root.get()};
  while (!work.empty()) {
    const ast::Node* n = work.back();
    work.pop_back();
    CHECK(n->isResolved);
    for (const auto& c : n->children) work.push_back(c.get());
  }
}

TEST_CASE("inheritance gives bare ids the qualifiers to their left") {
  auto t = ok("tcp dst port 80 or 443");
  const auto& b = leaf(*t.root, {1});
  CHECK(b.resolved.quals.proto == Proto::Tcp);
  CHECK(b.resolved.quals.dir == ast::Dir::Dst);
  CHECK(b.resolved.quals.kind == AddrKind::Port);
  CHECK(b.resolved.portLow == 443);
  CHECK(b.resolved.quals.kindSpan.empty());  // inherited, not written

  auto p = ok("port 80 and (host gw) or 8080");
  CHECK(leaf(*p.root, {1}).resolved.quals.kind == AddrKind::Port);

  auto h = ok("host (gw or dual)");
  CHECK(leaf(*h.root, {1}).resolved.v4.size() == 2);
  CHECK(leaf(*h.root, {1}).resolved.v6.size() == 1);

  CHECK(bad("tcp or 80").message.find("no qualifier to inherit") != std::string::npos);
  CHECK(bad("(host gw) or dual").span == Span{13, 17});
}

TEST_CASE("defaults: an address or name alone is a host") {
  auto t = ok("src 10.0.0.1");
  CHECK(t.root->resolved.quals.kind == AddrKind::Host);
  auto n = ok("src 80");
  CHECK(n.root->resolved.quals.kind == AddrKind::Host);
  REQUIRE(n.root->resolved.v4.size() == 1);
  CHECK(n.root->resolved.v4[0].addr == 80);
  CHECK(n.root->resolved.v4[0].mask == 0xffffffff);
}

TEST_CASE("partial IPv4 addresses and networks as libpcap reads them") {
  auto check = [](std::string_view text, uint32_t addr, uint32_t mask) {
    auto t = ok(text);
    INFO(text);
    REQUIRE(t.root->resolved.v4.size() == 1);
    CHECK(t.root->resolved.v4[0].addr == addr);
    CHECK(t.root->resolved.v4[0].mask == mask);
  };
  check("host 10.1", 0x0a010000, 0xffff0000);
  check("net 10.1", 0x0a010000, 0xffff0000);
  check("host 10.1.2", 0x0a010200, 0xffffff00);
  check("net 10", 0x0a000000, 0xff000000);
  check("net 172.16", 0xac100000, 0xffff0000);
  check("net 256", 0x01000000, 0xffff0000);
  check("host 10", 0x0000000a, 0xffffffff);
  check("net 10.0.0.0/8", 0x0a000000, 0xff000000);
  check("net 0.0.0.0/0", 0, 0);
  check("net 10.0.0.0 mask 255.0.255.0", 0x0a000000, 0xff00ff00);
  check("net lab", 0xc0a80000, 0xffff0000);
  check("net loopback", 0x7f000000, 0xffffffff);  // libpcap: full entries match exactly
  check("net full", 0xc0a80100, 0xffffffff);
  CHECK(bad("net 10.1.2.3/8").message.find("non-network bits") != std::string::npos);
  CHECK(bad("net 10.0.0.0/33").span == Span{13, 15});
}

TEST_CASE("IPv6 and MAC values") {
  auto t = ok("net 2001:db8::/32");
  REQUIRE(t.root->resolved.v6.size() == 1);
  CHECK(t.root->resolved.v6[0].prefix == 32);
  CHECK(t.root->resolved.v6[0].addr[1] == 0x01);
  for (const char* spelling : {"00:11:22:33:44:55", "0:11:22:33:44:55", "00-11-22-33-44-55",
                               "00.11.22.33.44.55", "0011.2233.4455", "001122334455"}) {
    auto m = ok(std::string("ether host ") + spelling);
    INFO(spelling);
    REQUIRE(m.root->resolved.mac.has_value());
    CHECK(*m.root->resolved.mac == std::array<uint8_t, 6>{0x00, 0x11, 0x22, 0x33, 0x44, 0x55});
  }
  auto a = ok("link host $1f");
  CHECK(a.root->resolved.mac8 == uint8_t(0x1f));
  auto e = ok("ether host printer");
  CHECK(e.root->resolved.mac.has_value());
}

TEST_CASE("services and the tcp/udp rules") {
  auto http = ok("port http");
  CHECK(http.root->resolved.portLow == 80);
  CHECK(http.root->resolved.portProto == Proto::Tcp);
  auto domain = ok("port domain");
  CHECK(domain.root->resolved.portProto == Proto::Default);
  auto ntp = ok("port ntp");
  CHECK(ntp.root->resolved.portProto == Proto::Udp);
  // Different numbers for tcp and udp: libpcap takes the tcp one.
  auto split = ok("port split");
  CHECK(split.root->resolved.portLow == 1000);
  CHECK(split.root->resolved.portProto == Proto::Tcp);
  CHECK(bad("udp port http").message == "port 'http' is tcp, not udp; write 'tcp port http' or a number");
  auto range = ok("portrange 1024-1");
  CHECK(range.root->resolved.portLow == 1);
  CHECK(range.root->resolved.portHigh == 1024);
  auto named = ok("portrange ssh-http");
  CHECK(named.root->resolved.portLow == 22);
  CHECK(named.root->resolved.portHigh == 80);
  CHECK(bad("port 70000").message == "'port' takes a number from 0 to 65535");
  CHECK(bad("tcp port 70000").span == Span{9, 14});
}

TEST_CASE("protocol numbers") {
  CHECK(ok("ip proto \\tcp").root->resolved.portLow == 6);
  CHECK(ok("ether proto \\ip6").root->resolved.portLow == 0x86dd);
  CHECK(ok("ether proto \\stp").root->resolved.portLow == 0x42);
  CHECK(ok("proto 132").root->resolved.portLow == 132);
  CHECK(bad("tcp proto 6").message.find("'tcp proto'") != std::string::npos);
  // libpcap 1.10.3 accepts numbers past 255 (the test never matches).
  CHECK(ok("ip proto 256").root->resolved.portLow == 256);
  CHECK(ok("ether proto 70000").root->resolved.portLow == 70000);
}

TEST_CASE("qualifier checks name the qualifier") {
  CHECK(bad("tcp host 10.0.0.1").span == Span{0, 3});
  CHECK(bad("ip6 host 10.0.0.1").span == Span{0, 3});
  CHECK(bad("ip host ::1").span == Span{0, 2});
  CHECK(bad("ether host 10.0.0.1").span == Span{11, 19});
  CHECK(bad("host 00:11:22:33:44:55").message.find("'ether host'") != std::string::npos);
  CHECK(bad("ip6 broadcast").span == Span{0, 3});
  CHECK(bad("ah[0] = 1").span == Span{0, 2});
  CHECK(bad("ip[0:3] = 1").span == Span{5, 6});
  CHECK(bad("1 / (2 * 0) = 1").span == Span{4, 11});
}

TEST_CASE("names resolve through the injected resolver only") {
  FixedResolver empty;
  auto t = grammar::parse("host gw");
  REQUIRE(t.ok());
  compiler::ResolveOptions o;
  o.resolver = &empty;
  auto s = compiler::resolve(*t, o);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message == "unknown host 'gw'");
}

TEST_CASE("long and/or chains resolve without deep recursion") {
  std::string text = "tcp port 1";
  for (int i = 2; i <= 20000; ++i) text += (i % 2 ? " or " : " and ") + std::to_string(i % 65536);
  auto t = ok(text);
  const ast::Node* n = t.root.get();
  CHECK(n->children[1]->resolved.quals.kind == AddrKind::Port);
  CHECK(n->children[1]->resolved.quals.proto == Proto::Tcp);
  CHECK(n->children[1]->resolved.portLow == 20000);
}
