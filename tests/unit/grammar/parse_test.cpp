// grammar::parse: tree shapes, spans and scanner errors.
#include <doctest/doctest.h>

#include "grammar/parse.h"

using namespace sift;

namespace {

std::string shape(std::string_view text) {
  auto t = grammar::parse(text);
  if (!t) return "error: " + t.error().message;
  return ast::dump(*t);
}

Span errorSpan(std::string_view text) {
  auto t = grammar::parse(text);
  REQUIRE_FALSE(t.ok());
  REQUIRE(t.error().span.has_value());
  return *t.error().span;
}

}  // namespace

TEST_CASE("empty expression has no root") {
  auto t = grammar::parse("");
  REQUIRE(t.ok());
  CHECK(t->root == nullptr);
  auto ws = grammar::parse(" \t\n ");
  REQUIRE(ws.ok());
  CHECK(ws->root == nullptr);
}

TEST_CASE("and/or: equal precedence, left associative; not binds tightest") {
  CHECK(shape("tcp or udp and icmp") == "(and (or (abbrev tcp) (abbrev udp)) (abbrev icmp))");
  CHECK(shape("tcp and udp or icmp") == "(or (and (abbrev tcp) (abbrev udp)) (abbrev icmp))");
  CHECK(shape("not tcp and udp") == "(and (not (abbrev tcp)) (abbrev udp))");
  CHECK(shape("!tcp||udp&&arp") == "(and (or (not (abbrev tcp)) (abbrev udp)) (abbrev arp))");
}

TEST_CASE("arithmetic grouping follows libpcap") {
  CHECK(shape("2 % 3 + 1 = 2") == "(relation = (% 2 (+ 3 1)) 2)");
  CHECK(shape("2 * 3 % 4 = 6") == "(relation = (* 2 (% 3 4)) 6)");
  CHECK(shape("2 ^ 3 * 4 = 14") == "(relation = (^ 2 (* 3 4)) 14)");
  CHECK(shape("6 & 3 ^ 1 = 2") == "(relation = (& 6 (^ 3 1)) 2)");
  CHECK(shape("1 + 2 * 3 = 7") == "(relation = (+ 1 (* 2 3)) 7)");
  CHECK(shape("1 - 2 - 3 = 0") == "(relation = (- (- 1 2) 3) 0)");
  CHECK(shape("1 | 2 & 3 = 3") == "(relation = (| 1 (& 2 3)) 3)");
  CHECK(shape("1 << 2 + 1 = 8") == "(relation = (<< 1 (+ 2 1)) 8)");
  CHECK(shape("-1 + 2 = 1") == "(relation = (+ (neg 1) 2) 1)");
}

TEST_CASE("bare ids and parentheses are recorded for inheritance") {
  auto t = grammar::parse("port 80 and (host gw) or b");
  REQUIRE(t.ok());
  const ast::Node& root = *t->root;
  REQUIRE(root.kind == ast::NodeKind::Or);
  const ast::Node& andNode = *root.children[0];
  CHECK_FALSE(andNode.parenthesized);
  CHECK(andNode.children[1]->parenthesized);
  CHECK(root.children[1]->bareId);
  // An id-level parenthesis is not an expression-level one.
  auto u = grammar::parse("host (a or b)");
  REQUIRE(u.ok());
  CHECK_FALSE(u->root->parenthesized);
  CHECK_FALSE(u->root->children[0]->bareId);
  CHECK(u->root->children[1]->bareId);
}

TEST_CASE("spans are byte offsets of the source") {
  auto t = grammar::parse("  src host 10.0.0.1 and tcp");
  REQUIRE(t.ok());
  const ast::Node& p = *t->root->children[0];
  CHECK(p.span == Span{2, 19});
  CHECK(p.quals.dirSpan == Span{2, 5});
  CHECK(p.quals.kindSpan == Span{6, 10});
  CHECK(p.id.span == Span{11, 19});
  CHECK(t->root->children[1]->span == Span{24, 27});
  auto r = grammar::parse("ip[2:2] > 576");
  REQUIRE(r.ok());
  CHECK(r->root->lhs->protoSpan == Span{0, 2});
  CHECK(r->root->lhs->sizeSpan == Span{5, 6});
  CHECK(r->root->relOpSpan == Span{8, 9});
  auto b = grammar::parse("tcp and broadcast");
  REQUIRE(b.ok());
  CHECK(b->root->children[1]->span == Span{8, 17});
}

TEST_CASE("id forms") {
  auto form = [](std::string_view text) {
    auto t = grammar::parse(text);
    REQUIRE(t.ok());
    return t->root->id.form;
  };
  CHECK(form("host 10.1") == ast::IdForm::IPv4);
  CHECK(form("net 10.0.0.0/8") == ast::IdForm::IPv4Prefix);
  CHECK(form("net 10.0.0.0 mask 255.0.0.0") == ast::IdForm::IPv4Mask);
  CHECK(form("host ::1") == ast::IdForm::IPv6);
  CHECK(form("net ::/0") == ast::IdForm::IPv6Prefix);
  CHECK(form("ether host 001122334455") == ast::IdForm::Mac);
  CHECK(form("ether host 1.2.3.4.5.6") == ast::IdForm::Mac);
  CHECK(form("ether host 0011.2233.4455") == ast::IdForm::Mac);
  CHECK(form("link host $1") == ast::IdForm::ArcnetAddr);
  CHECK(form("port 80") == ast::IdForm::Number);
  CHECK(form("host a-b.example") == ast::IdForm::Name);
  CHECK(form("portrange 1-100") == ast::IdForm::Name);
  auto esc = grammar::parse("ip proto \\tcp");
  REQUIRE(esc.ok());
  CHECK(esc->root->id.text == "tcp");
  CHECK(esc->root->id.span == Span{9, 13});
}

TEST_CASE("numbers") {
  auto value = [](std::string_view text) {
    auto t = grammar::parse(text);
    REQUIRE(t.ok());
    return t->root->rhs->value;
  };
  CHECK(value("len = 0x1F") == 31);
  CHECK(value("len = 017") == 15);
  CHECK(value("len = 4294967295") == 4294967295u);
  CHECK(value("len = 07777777777") == 1073741823u);
  CHECK(grammar::parse("len = 037777777777").ok() == false);  // 12 digits: a MAC address
  CHECK(value("len = tcp-cwr") == 0x80);
  CHECK(value("len = icmp6-multicastrouterterm") == 153);
  CHECK_FALSE(grammar::parse("len = 4294967296").ok());
  CHECK_FALSE(grammar::parse("len = 0x100000000").ok());
  CHECK_FALSE(grammar::parse("len = 09").ok());
  CHECK(errorSpan("len = 09") == Span{6, 8});
}

TEST_CASE("syntax errors point at the offending token") {
  CHECK(errorSpan("a") == Span{0, 1});
  CHECK(errorSpan("tcp )") == Span{4, 5});
  CHECK(errorSpan("host") == Span{4, 4});
  CHECK(errorSpan("host 1.2.3.4 # x") == Span{13, 14});
  CHECK(errorSpan("lane 1") == Span{5, 6});
  CHECK(errorSpan("vlan 1 2") == Span{7, 8});
  auto t = grammar::parse("ip proto tcp");
  REQUIRE_FALSE(t.ok());
  CHECK(t.error().message.find("\\tcp") != std::string::npos);
}

TEST_CASE("deep nesting fails cleanly") {
  std::string deep(20000, '(');
  deep += "tcp";
  deep += std::string(20000, ')');
  auto t = grammar::parse(deep);
  CHECK_FALSE(t.ok());
  std::string longChain = "tcp";
  for (int i = 0; i < 2000; ++i) longChain += " or udp";
  CHECK(grammar::parse(longChain).ok());
}
