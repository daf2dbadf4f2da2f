// Robustness: thousands of random and mutated expressions go through
// parse+resolve; none may crash, and every error has a message and a span
// inside the text. (The ASan build runs this too.)
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "support.h"

namespace {

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng {
  uint64_t s;
  uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 2685821657736338717ull;
  }
  size_t below(size_t n) { return size_t(next() % n); }
};

const std::vector<std::string> kWords = {
    "host", "net", "port", "portrange", "src", "dst", "and", "or", "not", "!", "&&", "||",
    "(", ")", "[", "]", ":", "tcp", "udp", "ip", "ip6", "ether", "arp", "icmp", "proto",
    "broadcast", "multicast", "less", "greater", "len", "mask", "+", "-", "*", "/", "%",
    "&", "|", "^", "<<", ">>", "=", "==", "!=", "<", "<=", ">", ">=", "0", "1", "80",
    "65536", "0x10", "010", "09", "4294967296", "10.1", "10.0.0.0/8", "1.2.3.4", "::1",
    "fe80::/10", "00:11:22:33:44:55", "0011.2233.4455", "$1", "gw", "dual", "http",
    "1-100", "\\tcp", "tcp-syn", "icmp-echo", "vlan", "#", "\x01", "\xff", "1:2:3:",
};

void checkOne(const std::string& expr) {
  auto t = sift::test::parseAndResolve(expr);
  if (t.ok()) {
    (void)sift::ast::dump(*t);
    return;
  }
  const sift::Diagnostic& d = t.error();
  INFO("expression: " << expr);
  REQUIRE_FALSE(d.message.empty());
  if (d.span) {
    REQUIRE(d.span->begin <= d.span->end);
    REQUIRE(d.span->end <= expr.size());
  }
  (void)sift::render(d, expr);
}

}  // namespace

TEST_CASE("random token soup never crashes") {
  Rng rng{0x5eed1234abcdull};
  for (int i = 0; i < 3000; ++i) {
    std::string expr;
    size_t n = 1 + rng.below(12);
    for (size_t k = 0; k < n; ++k) {
      if (k) expr += rng.below(4) ? " " : "";
      expr += kWords[rng.below(kWords.size())];
    }
    checkOne(expr);
  }
}

TEST_CASE("mutated golden expressions never crash") {
  auto lines = sift::test::corpusLines(std::string(SIFT_SOURCE_DIR) + "/tests/golden/parse/cases.txt");
  std::vector<std::string> seeds;
  for (const auto& l : lines)
    if (l.rfind("> ", 0) == 0) seeds.push_back(l.substr(2));
  REQUIRE_FALSE(seeds.empty());
  Rng rng{0xfeedfacecafebeefull};
  for (int i = 0; i < 3000; ++i) {
    std::string expr = seeds[rng.below(seeds.size())];
    int edits = 1 + int(rng.below(4));
    for (int e = 0; e < edits; ++e) {
      size_t pos = expr.empty() ? 0 : rng.below(expr.size() + 1);
      switch (rng.below(4)) {
        case 0: expr.insert(pos, 1, char(rng.below(256))); break;
        case 1: if (pos < expr.size()) expr.erase(pos, 1 + rng.below(3)); break;
        case 2: if (pos < expr.size()) expr[pos] = char(32 + rng.below(95)); break;
        case 3: expr.insert(pos, " " + kWords[rng.below(kWords.size())] + " "); break;
      }
    }
    checkOne(expr);
  }
}

TEST_CASE("every byte value and every short prefix of the golden cases") {
  for (int c = 0; c < 256; ++c) {
    checkOne(std::string(1, char(c)));
    checkOne("host gw " + std::string(1, char(c)));
  }
  auto lines = sift::test::corpusLines(std::string(SIFT_SOURCE_DIR) + "/tests/golden/parse/cases.txt");
  for (const auto& l : lines) {
    if (l.rfind("> ", 0) != 0) continue;
    std::string expr = l.substr(2);
    for (size_t k = 0; k <= expr.size(); ++k) checkOne(expr.substr(0, k));
  }
}
