// Lowering of arithmetic: relations (`expr relop expr`), packet access
// (`proto[index : size]`), `len`, `less` and `greater`.
//
// A Value is code that leaves the result in A plus the protocol checks that
// must pass first (libpcap runs a relation's checks, left operand first,
// before any of its arithmetic; of a binary operation's operands only the
// left one's checks survive, as in libpcap 1.10.3). Constant operands are folded as
// they are built; a right operand that is not constant is computed first
// into X when the left one leaves X alone, else the left one is kept in a
// scratch cell (Sethi-Ullman numbering bounds how many are needed, at most
// bpf::kMemWords).
#include <algorithm>
#include <string>

#include "compiler/lower_internal.h"

namespace sift::compiler::detail {

namespace {

uint16_t aluCode(ast::ArithOp o) {
  switch (o) {
    case ast::ArithOp::Add: return op::kAdd;
    case ast::ArithOp::Sub: return op::kSub;
    case ast::ArithOp::Mul: return op::kMul;
    case ast::ArithOp::Div: return op::kDiv;
    case ast::ArithOp::Mod: return op::kMod;
    case ast::ArithOp::And: return op::kAnd;
    case ast::ArithOp::Or: return op::kOr;
    case ast::ArithOp::Xor: return op::kXor;
    case ast::ArithOp::Lsh: return op::kLsh;
    case ast::ArithOp::Rsh: return op::kRsh;
  }
  return op::kAdd;
}

uint32_t fold(ast::ArithOp o, uint32_t a, uint32_t b) {
  switch (o) {
    case ast::ArithOp::Add: return a + b;
    case ast::ArithOp::Sub: return a - b;
    case ast::ArithOp::Mul: return a * b;
    case ast::ArithOp::Div: return a / b;
    case ast::ArithOp::Mod: return a % b;
    case ast::ArithOp::And: return a & b;
    case ast::ArithOp::Or: return a | b;
    case ast::ArithOp::Xor: return a ^ b;
    case ast::ArithOp::Lsh: return a << b;
    case ast::ArithOp::Rsh: return a >> b;
  }
  return 0;
}

void append(std::vector<bpf::Insn>& to, const std::vector<bpf::Insn>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

/// The code of `v`, materialising a constant with `ld #k`.
std::vector<bpf::Insn> codeOf(const Value& v) {
  if (v.constant) return {op::insn(op::kLdImm, *v.constant)};
  return v.code;
}

/// How many scratch cells libpcap 1.10.3 holds at once while it computes
/// `a`: every value, constants included, lives in a cell of its own; a
/// load takes a new cell before it frees its index's. libpcap refuses an
/// expression whose relation needs more than 16; sift needs fewer cells but
/// refuses the same expressions.
uint32_t libpcapCells(const ast::Arith& a) {
  switch (a.kind) {
    case ast::ArithKind::Number:
    case ast::ArithKind::Length:
      return 1;
    case ast::ArithKind::Negate:
      return libpcapCells(*a.lhs);
    case ast::ArithKind::Load:
      return std::max<uint32_t>(libpcapCells(*a.lhs), 2);
    case ast::ArithKind::Binary:
      return std::max(libpcapCells(*a.lhs), 1 + libpcapCells(*a.rhs));
  }
  return 1;
}

}  // namespace

namespace {

/// Puts `lhs` in A and `rhs` in X, then appends `tail` (an ALU op or
/// nothing: the caller's jump uses the registers). Returns false when
/// scratch memory runs out.
bool combine(const Value& lhs, const Value& rhs, Value& out, uint32_t cellLimit) {
  if (!lhs.writesX) {
    out.code = codeOf(rhs);
    out.code.push_back(op::insn(op::kTax));
    append(out.code, codeOf(lhs));
    out.scratchCells = std::max(lhs.scratchCells, rhs.scratchCells);
  } else {
    const uint32_t cell = rhs.scratchCells;  // above every cell rhs uses
    if (cell >= cellLimit) return false;
    out.code = codeOf(lhs);
    out.code.push_back(op::insn(op::kSt, cell));
    append(out.code, codeOf(rhs));
    out.code.push_back(op::insn(op::kTax));
    out.code.push_back(op::insn(op::kLdMem, cell));
    out.scratchCells = std::max(lhs.scratchCells, cell + 1);
  }
  out.writesX = true;
  return true;
}

}  // namespace

Value Lowerer::arith(const ast::Arith& a) {
  Value v;
  if (failed()) return v;
  switch (a.kind) {
    case ast::ArithKind::Number:
      v.constant = a.value;
      return v;
    case ast::ArithKind::Length:
      v.code = {op::insn(op::kLdLen)};
      return v;
    case ast::ArithKind::Negate: {
      Value inner = arith(*a.lhs);
      if (inner.constant) {
        inner.constant = 0u - *inner.constant;
        return inner;
      }
      inner.code.push_back(op::insn(op::kAluK | op::kNeg));
      return inner;
    }
    case ast::ArithKind::Binary: {
      Value lhs = arith(*a.lhs);
      Value rhs = arith(*a.rhs);
      if (failed()) return v;
      if (rhs.constant) {
        const uint32_t k = *rhs.constant;
        const Span where = a.rhs->span;
        if (a.op == ast::ArithOp::Div && k == 0) {
          fail(where, "division by zero");
          return v;
        }
        if (a.op == ast::ArithOp::Mod && k == 0) {
          fail(where, "modulus by zero");
          return v;
        }
        if ((a.op == ast::ArithOp::Lsh || a.op == ast::ArithOp::Rsh) && k > 31) {
          fail(where, "shift by more than 31 bits");
          return v;
        }
        if (lhs.constant) {
          lhs.constant = fold(a.op, *lhs.constant, k);
          if (rhs.checks) discard(*rhs.checks);
          return lhs;
        }
        if (k == 0 && (a.op == ast::ArithOp::And || a.op == ast::ArithOp::Mul) && !libpcapUnoptimized) {
          // `x & 0` and `x * 0` are 0 without computing x (libpcap's
          // optimizer drops the loads too); x's protocol checks stay.
          lhs.constant = 0;
          lhs.code.clear();
          lhs.writesX = false;
          lhs.scratchCells = 0;
          if (rhs.checks) discard(*rhs.checks);
          return lhs;
        }
        lhs.code.push_back(op::insn(op::kAluK | aluCode(a.op), k));
        if (rhs.checks) discard(*rhs.checks);
        return lhs;
      }
      if (!combine(lhs, rhs, v, arithmeticCellLimit())) {
        fail(a.span, "too many registers needed to evaluate expression");
        return Value{};
      }
      v.code.push_back(op::insn(op::kAluX | aluCode(a.op)));
      // libpcap 1.10.3 keeps only the left operand's protocol checks for a
      // binary operation (gen_arth returns the left operand with its
      // blocks): `14 + ip[2:2] = len` tests no link type at all, and
      // `ip[0] + tcp[0] = 1` checks ip but not tcp. Verdicts follow it.
      v.checks = std::move(lhs.checks);
      if (rhs.checks) discard(*rhs.checks);
      return v;
    }
    case ast::ArithKind::Load:
      break;
  }

  // proto[index : size]
  if (a.size != 1 && a.size != 2 && a.size != 4) {
    fail(a.sizeSpan.empty() ? a.span : a.sizeSpan, "data size must be 1, 2 or 4, not " + std::to_string(a.size));
    return v;
  }
  Value index = arith(*a.lhs);
  if (failed()) return v;
  const std::string name = a.protoText.empty() ? ast::protoName(a.proto) : a.protoText;
  const Span protoSpan = a.protoSpan.empty() ? a.span : a.protoSpan;

  enum class Base { Radio, Link, Network, Ipv4Transport, Icmp6 } base;
  std::optional<ast::Proto> abbrevProto;
  switch (a.proto) {
    case ast::Proto::Radio:
      // From the frame's first byte, where the radio header is (libpcap
      // checks the link type current here: not after pppoes or geneve).
      if (!(link().features & kRadioHeader)) {
        fail(protoSpan, "'radio' is not supported on " + linkName() + ", which has no radio header; radio[...] "
                        "works on " + rowsWith([](const LinkLayer& r) { return (r.features & kRadioHeader) != 0; }));
        return v;
      }
      base = Base::Radio;
      break;
    case ast::Proto::Link: base = Base::Link; break;
    case ast::Proto::Ip: case ast::Proto::Ip6: case ast::Proto::Arp: case ast::Proto::Rarp:
    case ast::Proto::Atalk: case ast::Proto::Decnet: case ast::Proto::Lat: case ast::Proto::Sca:
    case ast::Proto::Moprc: case ast::Proto::Mopdl:
      base = Base::Network;
      abbrevProto = a.proto;
      break;
    case ast::Proto::Tcp: case ast::Proto::Udp: case ast::Proto::Sctp: case ast::Proto::Icmp:
    case ast::Proto::Igmp: case ast::Proto::Igrp: case ast::Proto::Pim: case ast::Proto::Vrrp:
    case ast::Proto::Carp:
      base = Base::Ipv4Transport;
      abbrevProto = a.proto;
      break;
    case ast::Proto::Icmp6: base = Base::Icmp6; break;
    default:
      fail(protoSpan, "'" + name + "' does not support the index operation");
      return v;
  }

  const uint8_t size = a.size;
  Offset base0;
  switch (base) {
    case Base::Radio: base0 = Offset{0}; break;
    case Base::Link: base0 = linkHeader(); break;
    case Base::Network: case Base::Ipv4Transport: base0 = network(); break;
    case Base::Icmp6: base0 = network().plus(kIp6HeaderLength); break;
  }
  // A constant index folds into the load's offset, as libpcap's optimizer
  // folds it (`ether[4294967295]` is `ldb [-1]`, out of bounds), unless
  // the sum passes 2^32 (below).
  // Unoptimized, libpcap loads through X, and a load whose offset passes
  // 2^32 fails instead of wrapping (an unset network offset, 0xfffffffe,
  // plus an index): sift keeps that load, the verdict of libpcap's
  // unoptimized program, which its optimizer changes. At a run-time offset
  // libpcap adds the index to X, where it wraps around; folded into the
  // load's k it would not (the interpreter checks k and X apart), so only
  // small indexes fold there.
  const bool foldable = index.constant.has_value() &&
                        !(base != Base::Ipv4Transport && uint64_t(base0.constant) + *index.constant > 0xffffffffu) &&
                        (!base0.variable() || *index.constant < 0x80000000u);
  v.scratchCells = index.scratchCells;
  if (base == Base::Ipv4Transport) {
    // X = the start of the IPv4 payload, less the constant part.
    const std::vector<bpf::Insn> toX = ipv4PayloadToX(base0);
    if (foldable) {
      v.code = toX;
      v.code.push_back(op::insn(op::loadInd(size), base0.constant + *index.constant));
    } else if (!base0.variable()) {
      v.code = codeOf(index);
      append(v.code, toX);
      v.code.push_back(op::insn(op::kAluX | op::kAdd));
      v.code.push_back(op::insn(op::kTax));
      v.code.push_back(op::insn(op::loadInd(size), base0.constant));
    } else {
      // Computing X uses A: the index waits in a scratch cell.
      const uint32_t cell = index.scratchCells;
      if (cell >= arithmeticCellLimit()) {
        fail(a.span, "too many registers needed to evaluate expression");
        return Value{};
      }
      v.code = codeOf(index);
      v.code.push_back(op::insn(op::kSt, cell));
      append(v.code, toX);
      v.code.push_back(op::insn(op::kLdMem, cell));
      v.code.push_back(op::insn(op::kAluX | op::kAdd));
      v.code.push_back(op::insn(op::kTax));
      v.code.push_back(op::insn(op::loadInd(size), base0.constant));
      v.scratchCells = cell + 1;
    }
    v.writesX = true;
  } else if (foldable && !(base0.variable() && *index.constant >= 0x80000000u)) {
    // (A negative index from a run-time offset is added to X at run time,
    // as libpcap does: the sum wraps to a small offset, a folded k would
    // not.)
    v.code = loadAt(base0, *index.constant, size);
    v.writesX = base0.variable();
  } else {
    v.code = codeOf(index);
    if (base0.variable()) {
      v.code.push_back(op::insn(op::kLdxMem, cellOf(base0)));
      v.code.push_back(op::insn(op::kAluX | op::kAdd));
    }
    v.code.push_back(op::insn(op::kTax));
    v.code.push_back(op::insn(op::loadInd(size), base0.constant));
    v.writesX = true;
  }

  // The protocol checks, in libpcap's order: [ip], the index's own checks,
  // the protocol, [not a fragment | next header is ICMPv6].
  std::optional<ir::Fragment> checks;
  auto add = [&](ir::Fragment f) { checks = checks ? both(std::move(*checks), std::move(f)) : std::move(f); };
  if (base == Base::Ipv4Transport) add(linkProto(kEtherTypeIp));
  if (base == Base::Icmp6) add(linkProto(kEtherTypeIp6));
  if (index.checks) add(std::move(*index.checks));
  switch (base) {
    case Base::Radio: case Base::Link: break;
    case Base::Network: add(abbrev(*abbrevProto, protoSpan, name)); break;
    case Base::Ipv4Transport:
      add(abbrev(*abbrevProto, protoSpan, name));
      add(notFragment());
      break;
    case Base::Icmp6:
      add(loadTest(network().plus(kIp6NextHeaderOffset), 1, 0xff, op::kJeq, 58));
      break;
  }
  v.checks = std::move(checks);
  return v;
}

int Lowerer::simulateRegisters(const ast::Arith& a, std::vector<std::pair<int, const ast::Arith*>>& writes) {
  int reg = -1;
  switch (a.kind) {
    case ast::ArithKind::Number:
    case ast::ArithKind::Length:
      reg = libpcapAlloc();
      break;
    case ast::ArithKind::Negate:
      reg = simulateRegisters(*a.lhs, writes);
      break;
    case ast::ArithKind::Binary: {
      reg = simulateRegisters(*a.lhs, writes);
      const int right = simulateRegisters(*a.rhs, writes);
      libpcapFree(right);
      break;
    }
    case ast::ArithKind::Load: {
      const int index = simulateRegisters(*a.lhs, writes);
      reg = libpcapAlloc();
      libpcapFree(index);
      // Then the load's base offset, if it is a run-time one.
      if (a.proto == ast::Proto::Radio) break;  // at a constant 0
      if (const Offset base = a.proto == ast::Proto::Link ? linkHeader() : network(); base.variable())
        (void)cellOf(base);
      break;
    }
  }
  if (reg < 0) {
    fail(a.span, "too many registers needed to evaluate expression");
    return -1;
  }
  writes.emplace_back(reg, &a);
  return reg;
}

ir::Fragment Lowerer::relation(const ast::Node& n) {
  if (std::max(libpcapCells(*n.lhs), 1 + libpcapCells(*n.rhs)) > bpf::kMemWords)
    return fail(n.span, "too many registers needed to evaluate expression");
  // libpcap's registers for this relation (and the run-time offsets its
  // loads need, in libpcap's order).
  std::vector<std::pair<int, const ast::Arith*>> writes;
  const int lhsReg = simulateRegisters(*n.lhs, writes);
  const int rhsReg = simulateRegisters(*n.rhs, writes);
  libpcapFree(lhsReg);
  libpcapFree(rhsReg);
  if (failed()) return always(false);
  Value lhs = arith(*n.lhs);
  Value rhs = arith(*n.rhs);
  if (failed()) return always(false);

  uint16_t jump = op::kJeq;
  bool negated = false;
  switch (n.relOp) {
    case ast::RelOp::Eq: jump = op::kJeq; break;
    case ast::RelOp::Ne: jump = op::kJeq; negated = true; break;
    case ast::RelOp::Gt: jump = op::kJgt; break;
    case ast::RelOp::Ge: jump = op::kJge; break;
    case ast::RelOp::Lt: jump = op::kJge; negated = true; break;
    case ast::RelOp::Le: jump = op::kJgt; negated = true; break;
  }

  ir::Fragment test;
  // Records where the relation's code runs, for reuseRegister.
  auto recordWrites = [&](ir::BlockId block) {
    for (const auto& [reg, value] : writes) registerWrites_.push_back({block, reg, value});
  };
  if (lhs.constant && rhs.constant) {
    const uint32_t a = *lhs.constant, b = *rhs.constant;
    bool holds = jump == op::kJeq ? a == b : jump == op::kJgt ? a > b : a >= b;
    // A constant can still carry checks (`ip[0] & 0 = 0` is `ip`).
    if (!lhs.checks && !rhs.checks) {
      ir::Fragment f = always(holds != negated);
      recordWrites(f.entry);
      return f;
    }
    test = always(holds);
  } else if (rhs.constant) {
    test = builder.test(codeOf(lhs), jump, *rhs.constant);
  } else {
    Value both;
    if (!combine(lhs, rhs, both, arithmeticCellLimit())) return fail(n.span, "too many registers needed to evaluate expression");
    test = builder.test(std::move(both.code), jump | op::kJumpX, 0);
  }
  recordWrites(test.entry);
  if (negated) test = negate(std::move(test));
  std::optional<ir::Fragment> checks;
  if (lhs.checks) checks = std::move(lhs.checks);
  if (rhs.checks) checks = checks ? this->both(std::move(*checks), std::move(*rhs.checks)) : std::move(*rhs.checks);
  if (checks) return this->both(std::move(*checks), std::move(test));
  return test;
}

ir::Fragment Lowerer::lengthTest(const ast::Node& n) {
  std::vector<bpf::Insn> load{op::insn(op::kLdLen)};
  if (n.kind == ast::NodeKind::Less) return negate(builder.test(std::move(load), op::kJgt, n.number));
  return builder.test(std::move(load), op::kJge, n.number);
}

}  // namespace sift::compiler::detail
