// Node builders for the parser actions (see parse_state.h). Each one
// allocates or links AST nodes and records spans; none looks anything up or
// checks a range.
#include <utility>

#include "grammar/parse_state.h"

namespace sift::grammar::detail {

using ast::Arith;
using ast::ArithKind;
using ast::IdForm;
using ast::Node;
using ast::NodeKind;

namespace {

ast::NodePtr own(Node* n) { return ast::NodePtr(n); }
ast::ArithPtr own(Arith* a) { return ast::ArithPtr(a); }

Node* newPrimitive(Span span) {
  auto* n = new Node;
  n->kind = NodeKind::Primitive;
  n->span = span;
  n->bareId = true;
  return n;
}

}  // namespace

Node* makeIdPrimitive(ParseState& st, IdForm form, const Loc& loc) {
  Node* n = newPrimitive(toSpan(loc));
  n->id.form = form;
  std::string_view text = st.text(loc);
  if (form == IdForm::Name && !text.empty() && text[0] == '\\') text.remove_prefix(1);
  n->id.text = std::string(text);
  n->id.span = toSpan(loc);
  return n;
}

Node* makeNumberPrimitive(ParseState& st, uint32_t value, const Loc& loc) {
  Node* n = newPrimitive(toSpan(loc));
  n->id.form = IdForm::Number;
  n->id.number = value;
  n->id.text = std::string(st.text(loc));
  n->id.span = toSpan(loc);
  return n;
}

Node* makePrefixPrimitive(ParseState& st, IdForm form, const Loc& addr, uint32_t len,
                          const Loc& lenLoc) {
  Span whole{addr.begin, lenLoc.end};
  Node* n = newPrimitive(whole);
  n->id.form = form;
  n->id.text = std::string(st.text(addr));
  n->id.number = len;
  n->id.span = whole;
  n->id.numberSpan = toSpan(lenLoc);
  return n;
}

Node* makeMaskPrimitive(ParseState& st, const Loc& addr, const Loc& mask) {
  Span whole{addr.begin, mask.end};
  Node* n = newPrimitive(whole);
  n->id.form = IdForm::IPv4Mask;
  n->id.text = std::string(st.text(addr));
  n->id.text2 = std::string(st.text(mask));
  n->id.span = whole;
  n->id.numberSpan = toSpan(mask);
  return n;
}

Node* makeBinary(NodeKind kind, Node* lhs, Node* rhs) {
  auto* n = new Node;
  n->kind = kind;
  n->span = Span::cover(lhs->span, rhs->span);
  n->children.push_back(own(lhs));
  n->children.push_back(own(rhs));
  return n;
}

Node* makeNot(Node* child, const Loc& loc) {
  auto* n = new Node;
  n->kind = NodeKind::Not;
  n->span = toSpan(loc);
  n->children.push_back(own(child));
  return n;
}

Node* makeParen(Node* inner, const Loc& loc) {
  inner->parenthesized = true;
  inner->span = toSpan(loc);
  return inner;
}

Node* widen(Node* node, const Loc& loc) {
  node->span = toSpan(loc);
  return node;
}

ast::Qualifiers* makeQualifiers(ParseState& st, int proto, const Loc& protoLoc, int dir,
                                const Loc& dirLoc, int kind, const Loc& kindLoc) {
  auto* q = new ast::Qualifiers;
  q->proto = ast::Proto(proto);
  q->dir = ast::Dir(dir);
  q->kind = ast::AddrKind(kind);
  if (q->proto != ast::Proto::Default) {
    q->protoSpan = toSpan(protoLoc);
    q->protoText = std::string(st.text(protoLoc));
  }
  if (q->dir != ast::Dir::Default) q->dirSpan = toSpan(dirLoc);
  if (q->kind != ast::AddrKind::Default) q->kindSpan = toSpan(kindLoc);
  return q;
}

Node* applyHead(ast::Qualifiers* head, Node* id, const Loc& loc) {
  // The head qualifies the first id; the ids after it (in "host (a or b)")
  // stay bare and inherit in resolve. An empty proto qualifier has an empty
  // location at the end of the previous token, so the span starts at the
  // first qualifier actually written.
  uint32_t begin = loc.end;
  for (Span s : {head->protoSpan, head->dirSpan, head->kindSpan})
    if (!s.empty() && s.begin < begin) begin = s.begin;
  Node* leaf = id;
  while (leaf->kind != NodeKind::Primitive) leaf = leaf->children.front().get();
  leaf->quals = std::move(*head);
  leaf->bareId = false;
  delete head;
  id->span = Span{begin, loc.end};
  if (leaf != id) leaf->span = Span{begin, leaf->span.end};
  return id;
}

Node* makeAbbrev(ParseState& st, int proto, const Loc& loc) {
  auto* n = new Node;
  n->kind = NodeKind::Abbrev;
  n->span = toSpan(loc);
  n->proto = ast::Proto(proto);
  n->protoText = std::string(st.text(loc));
  return n;
}

Node* makeCast(ParseState& st, NodeKind kind, int proto, const Loc& protoLoc, const Loc& kwLoc) {
  auto* n = new Node;
  n->kind = kind;
  n->proto = ast::Proto(proto);
  if (n->proto != ast::Proto::Default) {
    n->span = Span{protoLoc.begin, kwLoc.end};
    n->protoText = std::string(st.text(protoLoc));
    n->quals.protoSpan = toSpan(protoLoc);
    n->quals.protoText = n->protoText;
    n->quals.proto = n->proto;
  } else {
    n->span = toSpan(kwLoc);
  }
  return n;
}

Node* makeKeyword(ParseState& st, ast::Keyword kw, const Loc& kwLoc, const Loc* arg,
                  const Loc& loc) {
  auto* n = new Node;
  n->kind = NodeKind::Keyword;
  n->span = toSpan(loc);
  n->keyword = kw;
  n->keywordText = std::string(st.text(kwLoc));
  if (arg) {
    ast::Id id;
    id.form = IdForm::Name;
    std::string_view text = st.text(*arg);
    if (!text.empty() && text[0] == '\\') text.remove_prefix(1);
    id.text = std::string(text);
    id.span = toSpan(*arg);
    n->keywordArg = std::move(id);
  }
  return n;
}

Node* makeKeywordNumber(ParseState& st, ast::Keyword kw, const Loc& kwLoc, uint32_t value,
                        const Loc& numLoc) {
  auto* n = new Node;
  n->kind = NodeKind::Keyword;
  n->span = Span{kwLoc.begin, numLoc.end};
  n->keyword = kw;
  n->keywordText = std::string(st.text(kwLoc));
  ast::Id id;
  id.form = IdForm::Number;
  id.number = value;
  id.text = std::string(st.text(numLoc));
  id.span = toSpan(numLoc);
  n->keywordArg = std::move(id);
  return n;
}

Node* addSubtype(Node* type, Node* subtype, const Loc& loc) {
  type->keywordArg2 = std::move(subtype->keywordArg);
  type->span = toSpan(loc);
  delete subtype;
  return type;
}

Node* makeField(ParseState& st, int keyword, const Loc& kwLoc, int op, const Loc* opLoc, uint32_t value,
                const Loc& numLoc) {
  Node* n = makeKeywordNumber(st, ast::Keyword(keyword), kwLoc, value, numLoc);
  n->relOp = ast::RelOp(op);
  if (opLoc) n->relOpSpan = toSpan(*opLoc);
  return n;
}

Node* makeLength(NodeKind kind, uint32_t value, const Loc& loc) {
  auto* n = new Node;
  n->kind = kind;
  n->span = toSpan(loc);
  n->number = value;
  return n;
}

Node* makeRelation(Arith* lhs, int op, const Loc& opLoc, Arith* rhs, const Loc& loc) {
  auto* n = new Node;
  n->kind = NodeKind::Relation;
  n->span = toSpan(loc);
  n->relOp = ast::RelOp(op);
  n->relOpSpan = toSpan(opLoc);
  n->lhs = own(lhs);
  n->rhs = own(rhs);
  return n;
}

Arith* makeArithNumber(uint32_t value, const Loc& loc) {
  auto* a = new Arith;
  a->kind = ArithKind::Number;
  a->span = toSpan(loc);
  a->value = value;
  return a;
}

Arith* makeArithLength(const Loc& loc) {
  auto* a = new Arith;
  a->kind = ArithKind::Length;
  a->span = toSpan(loc);
  return a;
}

Arith* makeArithLoad(ParseState& st, int proto, const Loc& protoLoc, Arith* index, uint32_t size,
                     const Loc* sizeLoc, const Loc& loc) {
  auto* a = new Arith;
  a->kind = ArithKind::Load;
  a->span = toSpan(loc);
  a->proto = ast::Proto(proto);
  a->protoText = std::string(st.text(protoLoc));
  a->protoSpan = toSpan(protoLoc);
  // Sizes other than 1, 2 and 4 are kept as 0 for resolve to report.
  a->size = (size == 1 || size == 2 || size == 4) ? uint8_t(size) : 0;
  if (sizeLoc) a->sizeSpan = toSpan(*sizeLoc);
  a->lhs = own(index);
  return a;
}

Arith* makeArithBinary(Arith* lhs, ast::ArithOp op, const Loc& opLoc, Arith* rhs) {
  auto* a = new Arith;
  a->kind = ArithKind::Binary;
  a->span = Span::cover(lhs->span, rhs->span);
  a->op = op;
  a->opSpan = toSpan(opLoc);
  a->lhs = own(lhs);
  a->rhs = own(rhs);
  return a;
}

Arith* makeArithNegate(Arith* operand, const Loc& loc) {
  auto* a = new Arith;
  a->kind = ArithKind::Negate;
  a->span = toSpan(loc);
  a->lhs = own(operand);
  return a;
}

Arith* widenArith(Arith* a, const Loc& loc) {
  a->span = toSpan(loc);
  return a;
}

}  // namespace sift::grammar::detail
