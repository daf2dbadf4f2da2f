// grammar::parse: runs the reentrant scanner and the pure parser over one
// expression and hands back the tree or the first error.
#include "grammar/parse.h"

#include <limits>
#include <memory>

#include "grammar/parse_state.h"
#include "grammar/parser.hpp"

// From the generated scanner (lexer.cpp).
struct yy_buffer_state;
int sift_yylex_init_extra(sift::grammar::detail::ParseState* extra, void** scanner);
int sift_yylex_destroy(void* scanner);
yy_buffer_state* sift_yy_scan_bytes(const char* bytes, int len, void* scanner);

namespace sift::grammar {

Expected<ast::Tree> parse(std::string_view text) {
  if (text.size() > size_t(std::numeric_limits<int>::max() / 2)) {
    return Diagnostic::error("filter expression is too long");
  }
  detail::ParseState st;
  st.source = text;
  void* scanner = nullptr;
  if (sift_yylex_init_extra(&st, &scanner) != 0) {
    return Diagnostic::error("cannot start the filter expression scanner");
  }
  sift_yy_scan_bytes(text.data(), int(text.size()), scanner);
  int rc = sift_yyparse(scanner, st);
  sift_yylex_destroy(scanner);
  std::unique_ptr<ast::Node> root(st.root);
  if (rc != 0 || st.error) {
    if (st.error) return std::move(*st.error);
    if (rc == 2) return Diagnostic::error("filter expression is nested too deeply");
    return Diagnostic::error(Span{0, uint32_t(text.size())}, "syntax error");
  }
  ast::Tree tree;
  tree.source = std::string(text);
  tree.root = std::move(root);
  return tree;
}

}  // namespace sift::grammar
