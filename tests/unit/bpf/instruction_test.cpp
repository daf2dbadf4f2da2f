// Tests for typed instructions: decode(encode(i)) == i for every opcode in
// the table, encode(decode(insn)) == insn for any raw instruction, encode
// errors, and the decimal text round trip.
#include "bpf/instruction.h"

#include <doctest/doctest.h>

#include <random>

using namespace sift::bpf;

namespace {

// Canonical raw instructions for `info` with a few operand values.
std::vector<Insn> samplesFor(const OpInfo& info) {
  std::vector<Insn> out;
  const uint32_t ks[] = {0, 1, 5, 15, 255, 0x7fffffff, 0x80000000u, 0xfffff000u, 0xfffff02cu, 0xffffffffu};
  switch (info.shape) {
    case Shape::LoadLen:
    case Shape::AluX:
    case Shape::Negate:
    case Shape::ReturnReg:
    case Shape::Move:
      out.push_back({info.code, 0, 0, 0});
      break;
    case Shape::LoadMem:
    case Shape::Store:
      for (uint32_t k = 0; k < kMemWords; ++k) out.push_back({info.code, 0, 0, k});
      break;
    case Shape::JumpK:
      for (uint32_t k : ks)
        out.push_back({info.code, static_cast<uint8_t>(k & 0xff), static_cast<uint8_t>(k >> 24), k});
      out.push_back({info.code, 255, 255, 7});
      break;
    case Shape::JumpX:
      out.push_back({info.code, 0, 0, 0});
      out.push_back({info.code, 3, 200, 0});
      out.push_back({info.code, 255, 255, 0});
      break;
    default:
      for (uint32_t k : ks) out.push_back({info.code, 0, 0, k});
      break;
  }
  return out;
}

}  // namespace

TEST_CASE("every table opcode decodes to a typed instruction and back") {
  size_t checked = 0;
  for (const OpInfo& info : allOps()) {
    for (const Insn& insn : samplesFor(info)) {
      CAPTURE(info.name);
      CAPTURE(insn.k);
      Instruction typed = decode(insn);
      CHECK_FALSE(std::holds_alternative<RawInstruction>(typed));
      auto back = encode(typed);
      REQUIRE(back.ok());
      CHECK(*back == insn);
      CHECK(decode(*back) == typed);
      ++checked;
    }
  }
  CHECK(checked > 300);
}

TEST_CASE("typed values decode(encode(i)) == i") {
  std::vector<Instruction> all = {
      LoadConstant{Register::A, 7},
      LoadConstant{Register::X, 0xffffffffu},
      LoadScratch{Register::A, 0},
      LoadScratch{Register::X, 15},
      StoreScratch{Register::A, 3},
      StoreScratch{Register::X, 15},
      LoadAbsolute{12, 2},
      LoadAbsolute{0, 4},
      LoadAbsolute{23, 1},
      LoadAbsolute{0xffffeffcu, 4},
      LoadIndirect{14, 1},
      LoadIndirect{0, 2},
      LoadIndirect{0xfffff000u, 4},
      LoadMemShift{14},
      LoadExtension{Extension::Protocol, 2},
      LoadExtension{Extension::VlanTag, 2},
      LoadExtension{Extension::VlanTagPresent, 1},
      LoadExtension{Extension::VlanTpid, 4},
      LoadLength{Register::A},
      LoadLength{Register::X},
      AluX{AluOp::Xor},
      Negate{},
      Jump{0},
      Jump{0xffffffffu},
      JumpIf{JumpCond::Set, 0x1fff, 0, 4},
      JumpIfX{JumpCond::Gt, 9, 8},
      RetA{},
      RetX{},
      RetConstant{262144},
      Tax{},
      Txa{},
  };
  for (AluOp op : {AluOp::Add, AluOp::Sub, AluOp::Mul, AluOp::Div, AluOp::Or, AluOp::And, AluOp::Lsh,
                   AluOp::Rsh, AluOp::Mod, AluOp::Xor}) {
    all.push_back(AluConstant{op, 3});
    all.push_back(AluX{op});
  }
  for (JumpCond c : {JumpCond::Eq, JumpCond::Gt, JumpCond::Ge, JumpCond::Set}) {
    all.push_back(JumpIf{c, 0x800, 1, 2});
    all.push_back(JumpIfX{c, 0, 255});
  }
  for (const Instruction& i : all) {
    std::string text = toText(i);
    CAPTURE(text);
    auto insn = encode(i);
    REQUIRE(insn.ok());
    CHECK(decode(*insn) == i);
  }
  // Spot checks of the encoding itself.
  CHECK(*encode(LoadAbsolute{12, 2}) == Insn{0x28, 0, 0, 12});
  CHECK(*encode(LoadExtension{Extension::VlanTag, 2}) == Insn{0x28, 0, 0, 0xfffff02cu});
  CHECK(*encode(JumpIf{JumpCond::Eq, 0x800, 0, 3}) == Insn{0x15, 0, 3, 0x800});
  CHECK(*encode(LoadLength{Register::X}) == Insn{0x81, 0, 0, 0});
  CHECK(*encode(RetX{}) == Insn{0x0e, 0, 0, 0});
  CHECK(*encode(LoadMemShift{14}) == Insn{0xb1, 0, 0, 14});
}

TEST_CASE("decode never fails and encode(decode(insn)) == insn") {
  std::mt19937 rng(12345);
  for (uint32_t code = 0; code < 0x10000; ++code) {
    for (int rep = 0; rep < 3; ++rep) {
      uint32_t r = rng();
      Insn insn{static_cast<uint16_t>(code), 0, 0, 0};
      if (rep > 0)
        insn = Insn{static_cast<uint16_t>(code), uint8_t(r), uint8_t(r >> 8), static_cast<uint32_t>(rng())};
      if (rep == 1) insn.jt = insn.jf = 0;
      Instruction typed = decode(insn);
      auto back = encode(typed);
      REQUIRE(back.ok());
      CHECK(*back == insn);
      if (!opInfo(insn.code)) CHECK(std::holds_alternative<RawInstruction>(typed));
    }
  }
}

TEST_CASE("non-canonical fields decode to RawInstruction") {
  CHECK(std::holds_alternative<RawInstruction>(decode(Insn{0x28, 1, 0, 12})));  // ldh with jt
  CHECK(std::holds_alternative<RawInstruction>(decode(Insn{0x07, 0, 0, 5})));   // tax with k
  CHECK(std::holds_alternative<RawInstruction>(decode(Insn{0x60, 0, 0, 16})));  // ld M[16]
  CHECK(std::holds_alternative<RawInstruction>(decode(Insn{0x1d, 0, 0, 1})));   // jeq x with k
  CHECK(std::holds_alternative<RawInstruction>(decode(Insn{0x08, 0, 0, 0})));   // not an opcode
  CHECK(std::holds_alternative<LoadExtension>(decode(Insn{0x30, 0, 0, 0xfffff030u})));
  CHECK(std::holds_alternative<LoadAbsolute>(decode(Insn{0x30, 0, 0, 0xfffff040u})));
  CHECK(std::holds_alternative<LoadIndirect>(decode(Insn{0x50, 0, 0, 0xfffff030u})));
}

TEST_CASE("encode refuses values no code expresses") {
  auto bad = encode(LoadAbsolute{12, 3});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "absolute load of 3 bytes, loads take 1, 2 or 4 bytes");
  CHECK_FALSE(encode(LoadIndirect{0, 8}).ok());
  CHECK_FALSE(encode(LoadExtension{Extension::Mark, 0}).ok());
  CHECK_FALSE(encode(LoadExtension{static_cast<Extension>(3), 4}).ok());
  auto cell = encode(StoreScratch{Register::A, 16});
  REQUIRE_FALSE(cell.ok());
  CHECK(cell.error().message == "scratch cell 'M[16]' out of range, cells are M[0] to M[15]");
  CHECK_FALSE(encode(LoadScratch{Register::X, 99}).ok());
  CHECK_FALSE(encode(AluConstant{static_cast<AluOp>(42), 1}).ok());
  CHECK_FALSE(encode(JumpIf{static_cast<JumpCond>(9), 1, 0, 0}).ok());
  std::vector<Instruction> prog = {LoadConstant{Register::A, 1}, LoadAbsolute{0, 5}, RetA{}};
  auto p = encode(std::span<const Instruction>(prog));
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().message == "instruction 1: absolute load of 5 bytes, loads take 1, 2 or 4 bytes");
}

TEST_CASE("text round trip through the decimal listing for every opcode") {
  Program p;
  for (const OpInfo& info : allOps())
    for (const Insn& insn : samplesFor(info)) p.insns.push_back(insn);
  std::string text = listing(p, ListingFormat::Decimal);
  auto back = parseDecimal(text);
  REQUIRE(back.ok());
  CHECK(*back == p);
  std::vector<Instruction> typed = decode(p);
  auto again = encode(std::span<const Instruction>(typed));
  REQUIRE(again.ok());
  CHECK(*again == p);
}

TEST_CASE("toString is the -d text without the pc column") {
  CHECK(toText(LoadAbsolute{12, 2}) == "ldh      [12]");
  CHECK(toText(LoadExtension{Extension::VlanTag, 2}) == "ldh      [vlan_tci]");
  CHECK(toText(JumpIf{JumpCond::Eq, 0x800, 0, 3}) == "jeq      #0x800           jt 1\tjf 4");
  CHECK(toText(Tax{}) == "tax");
  CHECK(toText(LoadAbsolute{1, 3}).rfind("<invalid: ", 0) == 0);
}
