// Tests for the opcode table: every code is where the cBPF encoding says,
// lookups agree, and the def/use facts hold for representative opcodes.
#include "bpf/opcodes.h"

#include <doctest/doctest.h>

#include <set>

using namespace sift::bpf;

namespace {
// Class bits of the encoding (low three bits of the code).
constexpr uint16_t kLd = 0, kLdx = 1, kSt = 2, kStx = 3, kAlu = 4, kJmp = 5, kRet = 6, kMisc = 7;
}  // namespace

TEST_CASE("the table lists every classic opcode once") {
  CHECK(allOps().size() == 50);
  std::set<uint16_t> codes;
  for (const OpInfo& info : allOps()) codes.insert(info.code);
  CHECK(codes.size() == allOps().size());
  for (uint32_t code = 0; code < 0x10000; ++code) {
    const OpInfo* info = opInfo(static_cast<uint16_t>(code));
    CHECK_EQ(info != nullptr, codes.count(static_cast<uint16_t>(code)) == 1);
    if (info) {
      CHECK(info->code == code);
      CHECK(static_cast<uint16_t>(info->op) == code);
      CHECK(&opInfo(info->op) == info);
    }
  }
}

TEST_CASE("shapes agree with the class bits") {
  for (const OpInfo& info : allOps()) {
    uint16_t cls = info.code & 7;
    CAPTURE(info.name);
    switch (info.shape) {
      case Shape::LoadImm:
      case Shape::LoadMem:
      case Shape::LoadLen:
        CHECK((cls == kLd || cls == kLdx));
        break;
      case Shape::LoadAbs:
      case Shape::LoadInd:
        CHECK(cls == kLd);
        break;
      case Shape::LoadMsh:
        CHECK(cls == kLdx);
        break;
      case Shape::Store:
        CHECK((cls == kSt || cls == kStx));
        break;
      case Shape::AluK:
      case Shape::Negate:
        CHECK(cls == kAlu);
        CHECK((info.code & 8) == 0);
        break;
      case Shape::AluX:
        CHECK(cls == kAlu);
        CHECK((info.code & 8) == 8);
        break;
      case Shape::Jump:
      case Shape::JumpK:
        CHECK(cls == kJmp);
        CHECK((info.code & 8) == 0);
        break;
      case Shape::JumpX:
        CHECK(cls == kJmp);
        CHECK((info.code & 8) == 8);
        break;
      case Shape::ReturnK:
      case Shape::ReturnReg:
        CHECK(cls == kRet);
        break;
      case Shape::Move:
        CHECK(cls == kMisc);
        break;
    }
    if (info.shape == Shape::LoadImm || info.shape == Shape::LoadMem || info.shape == Shape::LoadLen ||
        info.shape == Shape::Store) {
      CHECK(info.arg == ((cls == kLd || cls == kSt) ? Arg::A : Arg::X));
    }
    if (info.loadSize() != 0) {
      uint16_t sizeBits = info.code & 0x18;
      CHECK(info.loadSize() == (sizeBits == 0 ? 4u : sizeBits == 8 ? 2u : 1u));
    }
  }
}

TEST_CASE("kernel and image columns") {
  for (const OpInfo& info : allOps()) {
    CAPTURE(info.name);
    CHECK(info.kernel == (info.op != Op::RetX));
    CHECK(info.image == (info.op != Op::RetX && info.op != Op::LdxLen));
  }
}

TEST_CASE("def/use facts") {
  CHECK(opInfo(Op::LdAbsH).uses == (fx::Packet | fx::MayReject));
  CHECK(opInfo(Op::LdAbsH).defs == fx::A);
  CHECK(opInfo(Op::LdIndB).uses == (fx::Packet | fx::X | fx::MayReject));
  CHECK(opInfo(Op::LdxMsh).defs == fx::X);
  CHECK(opInfo(Op::LdxMem).uses == fx::Mem);
  CHECK(opInfo(Op::St).uses == fx::A);
  CHECK(opInfo(Op::Stx).defs == fx::Mem);
  CHECK(opInfo(Op::DivX).uses == (fx::A | fx::X | fx::MayReject));
  CHECK(opInfo(Op::DivK).uses == fx::A);
  CHECK(opInfo(Op::LdLen).uses == fx::Length);
  CHECK(opInfo(Op::Tax).uses == fx::A);
  CHECK(opInfo(Op::Tax).defs == fx::X);
  CHECK(opInfo(Op::Txa).defs == fx::A);
  CHECK(opInfo(Op::JsetX).uses == (fx::A | fx::X));
  CHECK(opInfo(Op::RetA).uses == fx::A);
  CHECK(opInfo(Op::RetK).uses == 0);
  CHECK(opInfo(Op::Ja).isJump());
  CHECK_FALSE(opInfo(Op::Ja).isConditional());
  CHECK(opInfo(Op::JgeK).isConditional());
  CHECK(opInfo(Op::RetX).isReturn());
  CHECK(opInfo(Op::RetK).isTerminator());
  CHECK_FALSE(opInfo(Op::AddK).isTerminator());
  for (const OpInfo& info : allOps()) {
    CAPTURE(info.name);
    CHECK(info.readsScratch() == (info.shape == Shape::LoadMem));
    CHECK(info.writesScratch() == (info.shape == Shape::Store));
    CHECK(info.readsPacket() == (info.loadSize() != 0));
  }
}

TEST_CASE("ancillary offsets") {
  const char* symbols[] = {"proto",  "type", "ifidx", "nla",      "nlan",  "mark", "queue",  "hatype",
                           "rxhash", "cpu",  "xor_x", "vlan_tci", "vlanp", "poff", "random", "vlan_tpid"};
  REQUIRE(allExtensions().size() == 16);
  for (size_t i = 0; i < 16; ++i) {
    const ExtensionInfo& e = allExtensions()[i];
    CHECK(e.offset == 4 * i);
    CHECK(e.symbol == symbols[i]);
    CHECK(extensionAt(0xfffff000u + e.offset) == &e);
    CHECK(&extensionInfo(e.ext) == &e);
    CHECK(extensionK(e.ext) == 0xfffff000u + e.offset);
  }
  CHECK(extensionAt(0xfffff040u) == nullptr);
  CHECK(extensionAt(0xfffff001u) == nullptr);
  CHECK(extensionAt(0) == nullptr);
  CHECK(extensionAt(0xffffeffcu) == nullptr);
  CHECK(extensionK(Extension::VlanTag) == 0xfffff02cu);
}
