// Tests for parseDecimal: tcpdump -ddd text, the iptables one-line form,
// and errors that name the line.
#include <doctest/doctest.h>

#include "sift/bpf.h"

using namespace sift::bpf;

namespace {
std::string errorOf(std::string_view text) {
  auto p = parseDecimal(text);
  return p.ok() ? std::string("<ok>") : p.error().message;
}
}  // namespace

TEST_CASE("tcpdump -ddd text") {
  auto p = parseDecimal("4\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n6 0 0 0\n");
  REQUIRE(p.ok());
  Program want{{{40, 0, 0, 12}, {21, 0, 1, 2048}, {6, 0, 0, 262144}, {6, 0, 0, 0}}};
  CHECK(*p == want);
  // Tolerates CRLF, extra spaces and blank lines, and a missing final newline.
  auto q = parseDecimal("\n4\r\n  40 0 0 12  \r\n21\t0 1 2048\n\n6 0 0 262144\n6 0 0 0");
  REQUIRE(q.ok());
  CHECK(*q == want);
  auto big = parseDecimal("1\n65535 255 255 4294967295\n");
  REQUIRE(big.ok());
  CHECK(big->insns[0] == Insn{0xffff, 255, 255, 0xffffffffu});
  auto empty = parseDecimal("0\n");
  REQUIRE(empty.ok());
  CHECK(empty->insns.empty());
}

TEST_CASE("iptables bytecode form") {
  auto p = parseDecimal("4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0");
  REQUIRE(p.ok());
  Program want{{{48, 0, 0, 9}, {21, 0, 1, 6}, {6, 0, 0, 1}, {6, 0, 0, 0}}};
  CHECK(*p == want);
  auto q = parseDecimal("4, 48 0 0 9 ,21 0 1 6,6 0 0 1,6 0 0 0,\n");
  REQUIRE(q.ok());
  CHECK(*q == want);
}

TEST_CASE("errors name the line") {
  CHECK(errorOf("") == "line 1: expected an instruction count, got an empty text");
  CHECK(errorOf("x\n1 2 3 4\n") == "line 1: expected an instruction count, got 'x'");
  CHECK(errorOf("2\n6 0 0 0\n6 0 0\n") == "line 3: expected 'code jt jf k', got '6 0 0'");
  CHECK(errorOf("1\n6 0 0 0 7\n") == "line 2: expected 'code jt jf k', got '6 0 0 0 7'");
  CHECK(errorOf("1\n6 256 0 0\n") == "line 2: jt '256' is not a decimal number from 0 to 255");
  CHECK(errorOf("1\n65536 0 0 0\n") == "line 2: code '65536' is not a decimal number from 0 to 65535");
  CHECK(errorOf("1\n6 0 0 4294967296\n") ==
        "line 2: k '4294967296' is not a decimal number from 0 to 4294967295");
  CHECK(errorOf("1\n6 0 0 -1\n") == "line 2: k '-1' is not a decimal number from 0 to 4294967295");
  CHECK(errorOf("1\n6 0 0x1 0\n") == "line 2: jf '0x1' is not a decimal number from 0 to 255");
  CHECK(errorOf("3\n6 0 0 0\n6 0 0 0\n") == "line 1: count says 3 instructions but 2 follow");
  CHECK(errorOf("\n\n1\n6 0 0 0\n6 0 0 0\n") == "line 3: count says 1 instructions but 2 follow");
  CHECK(errorOf("1\n\n\nfoo bar\n") == "line 4: expected 'code jt jf k', got 'foo bar'");
  CHECK(errorOf("2,6 0 0 0") == "line 1: count says 2 instructions but 1 follow");
  CHECK(errorOf("2,6 0 0 0,6 0 x 0") == "line 1, item 3: jf 'x' is not a decimal number from 0 to 255");
  CHECK(errorOf("two,6 0 0 0") == "line 1, item 1: expected an instruction count, got 'two'");
  CHECK(errorOf("\n1,6 0 0") == "line 2, item 2: expected 'code jt jf k', got '6 0 0'");
  CHECK(errorOf("1,,6 0 0 0") == "line 1, item 2: expected 'code jt jf k', got ''");
}
