// Golden cases: tests/golden/parse/cases.txt holds "> EXPRESSION" lines,
// each followed by the expected one-line result of parse+resolve (the
// resolved dump, or "error BEGIN-END: MESSAGE"). SIFT_UPDATE_GOLDEN=1
// rewrites the expectations (tests/golden/parse/update.sh); review the diff.
#include <doctest/doctest.h>

#include <sstream>

#include "support.h"

namespace {

const std::string kCases = std::string(SIFT_SOURCE_DIR) + "/tests/golden/parse/cases.txt";

}  // namespace

TEST_CASE("golden parse and resolve cases") {
  std::istringstream in(sift::test::readFile(kCases));
  REQUIRE(in.str().size() > 0);
  std::string out, line;
  int cases = 0, expectedLines = 0;
  std::string pending;
  bool havePending = false;
  auto finish = [&](const std::string* expected) {
    std::string actual = sift::test::describe(pending);
    out += "> " + pending + "\n" + actual + "\n";
    if (!sift::test::updating()) {
      INFO("expression: " << pending);
      REQUIRE(expected != nullptr);
      CHECK(actual == *expected);
    }
    ++cases;
    havePending = false;
  };
  while (std::getline(in, line)) {
    if (line.rfind("> ", 0) == 0 || line == ">") {
      if (havePending) finish(nullptr);
      pending = line.size() > 2 ? line.substr(2) : "";
      havePending = true;
    } else if (havePending) {
      ++expectedLines;
      finish(&line);
    } else {
      out += line + "\n";  // comments and blank lines are kept as they are
    }
  }
  if (havePending) finish(nullptr);
  MESSAGE(cases << " golden cases");
  CHECK(cases > 100);
  if (sift::test::updating()) sift::test::writeFile(kCases, out);
}
