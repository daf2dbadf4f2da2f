// The public entry point of the grammar: text -> AST.
//
// parse() runs the Flex scanner and the Bison parser over `text` and returns
// the tree, or the first error with a span into `text`. It does no name
// lookup and no range checks beyond what the scanner knows (number syntax
// and overflow, IPv6 and MAC spelling); compiler/resolve does the rest.
#pragma once

#include <string_view>

#include "grammar/ast.h"
#include "sift/diagnostics.h"

namespace sift::grammar {

Expected<ast::Tree> parse(std::string_view text);

}  // namespace sift::grammar
