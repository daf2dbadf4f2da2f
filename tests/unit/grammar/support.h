// Shared helpers for the grammar tests: the fixed name tables every test
// resolves against, parse+resolve in one call, file reading, and the
// libpcap oracle (when libpcap is installed).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/resolve.h"
#include "grammar/parse.h"
#include "sift/compile.h"

namespace sift::test {

/// FixedResolver::standard() plus a few hosts, networks and ethers.
const FixedResolver& testResolver();

/// parse, then resolve against testResolver().
Expected<ast::Tree> parseAndResolve(std::string_view text);

/// One line: the resolved dump, or "error B-E: MESSAGE".
std::string describe(std::string_view text);

std::string readFile(const std::string& path);
void writeFile(const std::string& path, const std::string& text);

/// Lines of a corpus file, skipping empty lines and lines that start with
/// "# " (a comment).
std::vector<std::string> corpusLines(const std::string& path);

/// True when tests should rewrite their expectations (SIFT_UPDATE_GOLDEN=1).
bool updating();

/// libpcap's verdict on an expression for DLT_EN10MB: nullopt if it
/// compiles, else its error message. Absent without libpcap.
std::optional<std::optional<std::string>> libpcapCompile(const std::string& expr);

}  // namespace sift::test
