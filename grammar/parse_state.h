// Internal to grammar/: the state one parse shares between the Flex scanner
// and the Bison parser, and the node builders the parser actions call.
//
// Parser actions only build nodes; every helper here allocates or links
// ast nodes and does nothing else. Semantic values on the Bison stack are
// raw owning pointers (the C skeleton needs trivially copyable values);
// %destructor in parser.y frees them when a parse is abandoned.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "grammar/ast.h"
#include "sift/diagnostics.h"

namespace sift::grammar::detail {

/// The location type of the scanner and the parser: byte offsets.
struct Loc {
  uint32_t begin;
  uint32_t end;
};

inline Span toSpan(const Loc& l) { return Span{l.begin, l.end}; }

struct ParseState {
  std::string_view source;
  uint32_t pos = 0;  // the scanner's byte offset
  std::optional<Diagnostic> error;
  ast::Node* root = nullptr;

  /// Records an error unless one was recorded already (first error wins).
  void fail(Span span, std::string message) {
    if (!error) error = Diagnostic::error(span, std::move(message));
  }
  std::string_view text(const Loc& l) const { return source.substr(l.begin, l.end - l.begin); }
};

// ---- builders (build.cpp) ----

/// A primitive whose id has the given form; `bareId` until a head is applied.
ast::Node* makeIdPrimitive(ParseState& st, ast::IdForm form, const Loc& loc);
ast::Node* makeNumberPrimitive(ParseState& st, uint32_t value, const Loc& loc);
/// HID '/' NUM and HID6 '/' NUM.
ast::Node* makePrefixPrimitive(ParseState& st, ast::IdForm form, const Loc& addr, uint32_t len,
                               const Loc& lenLoc);
/// HID 'mask' HID.
ast::Node* makeMaskPrimitive(ParseState& st, const Loc& addr, const Loc& mask);

ast::Node* makeBinary(ast::NodeKind kind, ast::Node* lhs, ast::Node* rhs);
ast::Node* makeNot(ast::Node* child, const Loc& loc);
/// Marks an expression-level "( expr )".
ast::Node* makeParen(ast::Node* inner, const Loc& loc);
/// An id-level "( a or b )": only the span grows.
ast::Node* widen(ast::Node* node, const Loc& loc);

/// Qualifiers collected by `head`.
ast::Qualifiers* makeQualifiers(ParseState& st, int proto, const Loc& protoLoc, int dir,
                                const Loc& dirLoc, int kind, const Loc& kindLoc);
/// head id: the written qualifiers go to the leftmost primitive of `id`.
ast::Node* applyHead(ast::Qualifiers* head, ast::Node* id, const Loc& loc);

ast::Node* makeAbbrev(ParseState& st, int proto, const Loc& loc);
ast::Node* makeCast(ParseState& st, ast::NodeKind kind, int proto, const Loc& protoLoc,
                    const Loc& kwLoc);
/// A keyword primitive (llc, inbound, ...); `arg` is where its name
/// argument was written, if it has one.
ast::Node* makeKeyword(ParseState& st, ast::Keyword kw, const Loc& kwLoc, const Loc* arg,
                       const Loc& loc);
/// A keyword with a number argument: ifindex N.
ast::Node* makeKeywordNumber(ParseState& st, ast::Keyword kw, const Loc& kwLoc, uint32_t value,
                             const Loc& numLoc);
/// 'type T subtype S': the subtype node's argument becomes the type
/// node's second one (the subtype node is freed).
ast::Node* addSubtype(ast::Node* type, ast::Node* subtype, const Loc& loc);
/// A header field compared with a number: `vpi 1`, `opc > 100`; `op` is
/// an ast::RelOp, `opLoc` where it was written (null for a bare number).
ast::Node* makeField(ParseState& st, int keyword, const Loc& kwLoc, int op, const Loc* opLoc, uint32_t value,
                     const Loc& numLoc);
ast::Node* makeLength(ast::NodeKind kind, uint32_t value, const Loc& loc);
ast::Node* makeRelation(ast::Arith* lhs, int op, const Loc& opLoc, ast::Arith* rhs,
                        const Loc& loc);

ast::Arith* makeArithNumber(uint32_t value, const Loc& loc);
ast::Arith* makeArithLength(const Loc& loc);
ast::Arith* makeArithLoad(ParseState& st, int proto, const Loc& protoLoc, ast::Arith* index,
                          uint32_t size, const Loc* sizeLoc, const Loc& loc);
ast::Arith* makeArithBinary(ast::Arith* lhs, ast::ArithOp op, const Loc& opLoc, ast::Arith* rhs);
ast::Arith* makeArithNegate(ast::Arith* operand, const Loc& loc);
ast::Arith* widenArith(ast::Arith* a, const Loc& loc);

}  // namespace sift::grammar::detail
