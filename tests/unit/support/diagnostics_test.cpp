#include <doctest/doctest.h>

#include "sift/diagnostics.h"

using sift::Diagnostic;
using sift::Span;

TEST_CASE("render puts a caret under the span") {
  auto d = Diagnostic::error(Span{9, 14}, "'port' takes a number from 0 to 65535");
  CHECK(sift::render(d, "tcp port 70000") ==
        "error: 'port' takes a number from 0 to 65535\n"
        "  tcp port 70000\n"
        "           ^~~~~\n");
}

TEST_CASE("render without a span prints the message only") {
  auto d = Diagnostic::error("cannot open 'x.pcap'");
  d.note("no such file");
  CHECK(sift::render(d, "tcp") == "error: cannot open 'x.pcap'\nnote: no such file\n");
}

TEST_CASE("an empty span at the end of the input points past the last byte") {
  auto d = Diagnostic::error(Span{3, 3}, "expected an expression after 'and'");
  CHECK(sift::render(d, "tcp and") == "error: expected an expression after 'and'\n  tcp and\n     ^\n");
}

TEST_CASE("Expected holds a value or a diagnostic") {
  sift::Expected<int> a = 5;
  CHECK(a.ok());
  CHECK(*a == 5);
  sift::Expected<int> b = Diagnostic::error("bad");
  CHECK_FALSE(b.ok());
  CHECK(b.error().message == "bad");
}
