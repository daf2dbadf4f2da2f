// Differential test: sift's interpreter against the installed libpcap's
// bpf_filter() over random valid programs and random, truncated packets.
//
// Programs use every opcode libpcap 1.10.3 can run (all but `ret x`, which
// its bpf_filter aborts on), random forward jumps, and scratch cells that
// are written on every path before they are read (1.10.3 leaves scratch
// memory uninitialised). Constant shifts stay below 32, where libpcap's
// C shift is defined. The seed is fixed.
#include <doctest/doctest.h>
#include <pcap/pcap.h>

#include <random>
#include <vector>

#include "bpf/opcodes.h"
#include "sift/vm.h"
#include "vm/trace.h"

using namespace sift;
using bpf::Arg;
using bpf::Insn;
using bpf::OpInfo;
using bpf::Shape;

namespace {

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {
    for (const OpInfo& info : bpf::allOps())
      if (info.op != bpf::Op::RetX) ops_.push_back(&info);
  }

  uint32_t below(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }
  bool chance(uint32_t percent) { return below(100) < percent; }

  // An offset that is sometimes inside the packet, sometimes just past it,
  // sometimes far away or an ancillary offset.
  uint32_t offset() {
    switch (below(10)) {
      case 0:
        return static_cast<uint32_t>(rng_());
      case 1:
        return 0xfffff000u + 4 * below(16);
      case 2:
        return 0xffffffffu - below(4);
      default:
        return below(72);
    }
  }

  uint32_t value() {
    switch (below(6)) {
      case 0:
        return below(4);
      case 1:
        return below(256);
      case 2:
        return 1u << below(32);
      case 3:
        return 0xffffffffu - below(3);
      default:
        return static_cast<uint32_t>(rng_());
    }
  }

  Insn instruction(size_t pc, size_t len) {
    const OpInfo& info = *ops_[below(static_cast<uint32_t>(ops_.size()))];
    Insn in{info.code, 0, 0, 0};
    size_t room = len - 2 - pc;  // instructions between here and the last
    switch (info.shape) {
      case Shape::LoadImm:
        in.k = info.arg == Arg::X && chance(70) ? below(80) : value();
        break;
      case Shape::LoadAbs:
      case Shape::LoadInd:
      case Shape::LoadMsh:
        in.k = offset();
        break;
      case Shape::LoadMem:
      case Shape::Store:
        in.k = below(bpf::kMemWords);
        break;
      case Shape::AluK:
        in.k = value();
        if (info.arg == Arg::Lsh || info.arg == Arg::Rsh) in.k = below(32);
        if ((info.arg == Arg::Div || info.arg == Arg::Mod) && in.k == 0) in.k = 1 + below(100);
        break;
      case Shape::Jump:
        in.k = below(static_cast<uint32_t>(room + 1));
        break;
      case Shape::JumpK:
      case Shape::JumpX:
        in.k = info.shape == Shape::JumpK ? value() : 0;
        in.jt = static_cast<uint8_t>(below(static_cast<uint32_t>(std::min<size_t>(room, 255) + 1)));
        in.jf = static_cast<uint8_t>(below(static_cast<uint32_t>(std::min<size_t>(room, 255) + 1)));
        break;
      case Shape::ReturnK:
        in.k = chance(50) ? value() : below(3);
        break;
      default:
        break;
    }
    return in;
  }

  bpf::Program program() {
    size_t len = 2 + below(chance(90) ? 24 : 200);
    bpf::Program p;
    for (size_t pc = 0; pc + 1 < len; ++pc) p.insns.push_back(instruction(pc, len));
    p.insns.push_back(chance(50) ? Insn{0x16, 0, 0, 0} : Insn{0x06, 0, 0, value()});
    fixScratchReads(p);
    return p;
  }

  // A program with runs of `jeq #k` whose false branches fall through to
  // the next (the shape vm::Prepared turns into a binary search), with
  // repeated constants, constants the packet bytes often hold, and jumps
  // from elsewhere into the middle of a run.
  bpf::Program chainProgram() {
    size_t len = 8 + below(120);
    bpf::Program p;
    for (size_t pc = 0; pc + 1 < len;) {
      size_t room = len - 2 - pc;
      if (room >= 5 && chance(25)) {
        size_t run = 4 + below(static_cast<uint32_t>(std::min<size_t>(room - 1, 40) - 3));
        for (size_t i = 0; i < run; ++i, ++pc) {
          size_t after = len - 2 - pc;
          Insn in{0x15, 0, 0, chance(60) ? below(16) : value()};
          in.jt = static_cast<uint8_t>(below(static_cast<uint32_t>(std::min<size_t>(after, 255) + 1)));
          if (i + 1 == run) in.jf = static_cast<uint8_t>(below(static_cast<uint32_t>(std::min<size_t>(after, 255) + 1)));
          p.insns.push_back(in);
        }
      } else {
        p.insns.push_back(instruction(pc, len));
        ++pc;
      }
    }
    p.insns.push_back(chance(50) ? Insn{0x16, 0, 0, 0} : Insn{0x06, 0, 0, value()});
    fixScratchReads(p);
    return p;
  }

  // Rewrites reads of cells that may be unwritten on some path: read a
  // written cell instead, or load a constant when none is.
  void fixScratchReads(bpf::Program& p) {
    std::vector<uint16_t> atPc(p.insns.size(), 0xffff);
    uint16_t valid = 0;
    for (size_t pc = 0; pc < p.insns.size(); ++pc) {
      Insn& in = p.insns[pc];
      const OpInfo& info = *bpf::opInfo(in.code);
      valid &= atPc[pc];
      if (info.writesScratch()) {
        valid |= static_cast<uint16_t>(1u << in.k);
      } else if (info.readsScratch() && !(valid & (1u << in.k))) {
        if (valid) {
          do in.k = below(bpf::kMemWords);
          while (!(valid & (1u << in.k)));
        } else {
          in.code = info.arg == Arg::A ? 0x00 : 0x01;  // ld #k / ldx #k
          in.k = value();
        }
      } else if (info.shape == Shape::Jump) {
        atPc[pc + 1 + in.k] &= valid;
        valid = 0xffff;
      } else if (info.isConditional()) {
        atPc[pc + 1 + in.jt] &= valid;
        atPc[pc + 1 + in.jf] &= valid;
        valid = 0xffff;
      }
    }
  }

  std::vector<uint8_t> packet(uint32_t* wireLength) {
    std::vector<uint8_t> pkt(below(chance(80) ? 72 : 1600));
    for (auto& b : pkt) b = chance(30) ? static_cast<uint8_t>(below(16)) : static_cast<uint8_t>(rng_());
    *wireLength = static_cast<uint32_t>(pkt.size()) + (chance(50) ? 0 : below(2000));
    return pkt;
  }

 private:
  std::mt19937 rng_;
  std::vector<const OpInfo*> ops_;
};

uint32_t pcapRun(const bpf::Program& p, const std::vector<uint8_t>& pkt, uint32_t wireLength) {
  std::vector<struct bpf_insn> code(p.insns.size());
  for (size_t i = 0; i < code.size(); ++i) {
    code[i].code = p.insns[i].code;
    code[i].jt = p.insns[i].jt;
    code[i].jf = p.insns[i].jf;
    code[i].k = p.insns[i].k;
  }
  return bpf_filter(code.data(), pkt.data(), wireLength, static_cast<u_int>(pkt.size()));
}

}  // namespace

TEST_CASE("the VM agrees with libpcap's bpf_filter on random programs") {
  Generator gen(20240601);
  constexpr int kPrograms = 25000;
  constexpr int kPacketsPerProgram = 6;
  size_t runs = 0, accepted = 0, rejected = 0;
  std::vector<size_t> seen(256);
  for (int n = 0; n < kPrograms; ++n) {
    bpf::Program p = gen.program();
    for (const Insn& in : p.insns) ++seen[in.code];
    auto v = bpf::validate(p, bpf::Profile::Libpcap);
    REQUIRE_MESSAGE(v.ok(), (v.ok() ? std::string() : v.error().message));
    // The kernel accepts them too, unless an absolute load hits an
    // offset above SKF_AD_OFF that is not an ancillary one.
    bpf::ValidationError why;
    if (!bpf::validate(p, bpf::Profile::Kernel, &why))
      REQUIRE_MESSAGE(why.rule == "unknown-extension", why.message);
    const vm::Prepared prepared(*v);
    for (int i = 0; i < kPacketsPerProgram; ++i) {
      uint32_t wire = 0;
      std::vector<uint8_t> pkt = gen.packet(&wire);
      uint32_t want = pcapRun(p, pkt, wire);
      uint32_t got = vm::run(*v, pkt, wire);
      CHECK(prepared.run(pkt, wire) == want);
      if (n % 16 == 0) {
        vm::Trace t = vm::trace(*v, pkt, wire);
        CHECK(t.result == want);
        CHECK(t.steps.size() >= 1);
        CHECK(t.steps.back().pc == t.stopPc);
      }
      if (got != want) {
        std::string text = bpf::listing(p, bpf::ListingFormat::Image);
        CAPTURE(text);
        CAPTURE(wire);
        CAPTURE(pkt.size());
        REQUIRE(got == want);
      }
      ++runs;
      (want ? accepted : rejected)++;
    }
  }
  // Every opcode in the generator's set appears, and both verdicts occur.
  for (const OpInfo& info : bpf::allOps()) {
    CAPTURE(info.name);
    if (info.op != bpf::Op::RetX) CHECK(seen[info.code] > 100);
  }
  CHECK(runs == size_t(kPrograms) * kPacketsPerProgram);
  CHECK(accepted > runs / 20);
  CHECK(rejected > runs / 20);
}

TEST_CASE("the decoded VM agrees with libpcap on programs full of jeq chains") {
  Generator gen(20261201);
  constexpr int kPrograms = 10000;
  size_t runs = 0, accepted = 0, chains = 0, fused = 0;
  for (int n = 0; n < kPrograms; ++n) {
    bpf::Program p = gen.chainProgram();
    auto v = bpf::validate(p, bpf::Profile::Libpcap);
    REQUIRE_MESSAGE(v.ok(), (v.ok() ? std::string() : v.error().message));
    const vm::Prepared prepared(*v);
    chains += prepared.shape().searchChains;
    fused += prepared.shape().fusedJumps;
    CHECK(prepared.shape().steps == p.insns.size());
    for (int i = 0; i < 6; ++i) {
      uint32_t wire = 0;
      std::vector<uint8_t> pkt = gen.packet(&wire);
      const uint32_t want = pcapRun(p, pkt, wire);
      const uint32_t got = prepared.run(pkt, wire);
      if (got != want) {
        std::string text = bpf::listing(p, bpf::ListingFormat::Image);
        CAPTURE(text);
        CAPTURE(wire);
        CAPTURE(pkt.size());
        REQUIRE(got == want);
      }
      CHECK(vm::run(*v, pkt, wire) == want);
      ++runs;
      accepted += want != 0;
    }
  }
  MESSAGE(runs << " runs, " << chains << " jeq chains searched, " << fused << " load+jump pairs fused");
  CHECK(chains > size_t(kPrograms));
  CHECK(fused > size_t(kPrograms) / 20);  // the pairs occur, so the fused handlers run
  CHECK(accepted > runs / 20);
  CHECK(accepted < runs - runs / 20);
}

TEST_CASE("the VM agrees with libpcap on compiled filters, including protochain loops") {
  const char* exprs[] = {
      "tcp port 80",     "ip6 protochain 6", "ip protochain 17",     "vlan and ip",
      "ip[0] & 0xf > 5", "icmp or arp",      "udp portrange 53-100", "tcp[tcpflags] & tcp-syn != 0"};
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 262144);
  REQUIRE(dead != nullptr);
  std::mt19937 rng(7);
  for (const char* expr : exprs) {
    struct bpf_program fp;
    REQUIRE(pcap_compile(dead, &fp, expr, 1, PCAP_NETMASK_UNKNOWN) == 0);
    bpf::Program p;
    for (u_int i = 0; i < fp.bf_len; ++i)
      p.insns.push_back(Insn{fp.bf_insns[i].code, fp.bf_insns[i].jt, fp.bf_insns[i].jf, fp.bf_insns[i].k});
    auto v = bpf::validate(p, bpf::Profile::Libpcap);
    REQUIRE(v.ok());
    const vm::Prepared prepared(*v);
    for (int i = 0; i < 3000; ++i) {
      // Ethernet + IPv6 with a chain of extension headers, or + IPv4,
      // with random bytes in between.
      std::vector<uint8_t> pkt(14 + rng() % 120);
      for (auto& b : pkt) b = static_cast<uint8_t>(rng());
      if (rng() % 2) {
        pkt[12] = 0x86, pkt[13] = 0xdd;
        if (pkt.size() > 54) {
          pkt[14] = 0x60;
          const uint8_t chain[] = {0, 43, 60, 44, 6, 17, 58};
          size_t at = 20;
          pkt[at] = chain[rng() % 7];
          for (size_t off = 54; off + 8 <= pkt.size() && rng() % 4; off += 8) {
            pkt[off] = chain[rng() % 7];
            pkt[off + 1] = 0;
          }
        }
      } else {
        pkt[12] = 0x08, pkt[13] = 0x00;
        if (pkt.size() > 14) pkt[14] = 0x45;
      }
      uint32_t wire = static_cast<uint32_t>(pkt.size()) + rng() % 100;
      uint32_t want = bpf_filter(fp.bf_insns, pkt.data(), wire, static_cast<u_int>(pkt.size()));
      CHECK(vm::run(*v, pkt, wire) == want);
      CHECK(prepared.run(pkt, wire) == want);
    }
    pcap_freecode(&fp);
  }
  pcap_close(dead);
}

namespace {

/// A filter-shaped program whose tests often exit to a `ret` on one side
/// or both (the steps vm::Prepared gives return exits): each test is an
/// optional packet load then a conditional jump against a constant, with
/// each exit going to a later test (sometimes to its jump, past its load,
/// which is the middle of a fused pair) or to one of three returns.
bpf::Program returnExitProgram(std::mt19937& rng) {
  auto below = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
  const uint16_t loads[] = {0x20, 0x28, 0x30, 0x40, 0x48, 0x50};  // ld/ldh/ldb [k], [x+k]
  const uint16_t jumps[] = {0x15, 0x25, 0x35, 0x45};               // jeq/jgt/jge/jset #k
  struct Test {
    bool load;
    uint16_t loadCode;
    uint32_t offset;
    uint16_t jumpCode;
    uint32_t k;
    uint32_t exits[2];  // a later test (index), or kTests + r for return r
  };
  const uint32_t kTests = 1 + below(6);
  std::vector<Test> tests(kTests);
  for (uint32_t i = 0; i < kTests; ++i) {
    Test& t = tests[i];
    t.load = i == 0 || below(4) != 0;
    t.loadCode = loads[below(6)];
    t.offset = below(40);
    t.jumpCode = jumps[below(4)];
    t.k = below(3) == 0 ? below(4) : below(3) == 0 ? 1u << below(32) : static_cast<uint32_t>(rng());
    for (uint32_t& e : t.exits) e = i + 1 < kTests && below(2) ? i + 1 + below(kTests - i - 1) : kTests + below(3);
  }
  // Layout: ldx #x first (for the indirect loads), then the tests, then
  // the returns; "to a test" lands on its load or, half the time, on its
  // jump.
  std::vector<size_t> loadPc(kTests), jumpPc(kTests);
  size_t pc = 1;
  for (uint32_t i = 0; i < kTests; ++i) {
    loadPc[i] = pc;
    if (tests[i].load) ++pc;
    jumpPc[i] = pc++;
  }
  const size_t retPc = pc;
  const uint32_t retValues[3] = {0, 0xffff, 7};
  bpf::Program p;
  p.insns.push_back(Insn{0x01, 0, 0, below(24)});  // ldx #x
  for (uint32_t i = 0; i < kTests; ++i) {
    const Test& t = tests[i];
    if (t.load) p.insns.push_back(Insn{t.loadCode, 0, 0, t.offset});
    uint8_t off[2];
    for (int side = 0; side < 2; ++side) {
      const uint32_t e = t.exits[side];
      const size_t target = e >= kTests ? retPc + (e - kTests) : below(2) ? jumpPc[e] : loadPc[e];
      off[side] = static_cast<uint8_t>(target - jumpPc[i] - 1);
    }
    p.insns.push_back(Insn{t.jumpCode, off[0], off[1], t.k});
  }
  for (uint32_t v : retValues) p.insns.push_back(Insn{0x06, 0, 0, v});
  return p;
}

}  // namespace

TEST_CASE("tests that exit to returns give the same verdicts, at every captured length") {
  std::mt19937 rng(20261203);
  constexpr int kPrograms = 4000;
  size_t runs = 0, returnExits = 0, fused = 0, accepted = 0;
  std::vector<uint8_t> full(48);
  for (int n = 0; n < kPrograms; ++n) {
    bpf::Program p = returnExitProgram(rng);
    auto v = bpf::validate(p, bpf::Profile::Libpcap);
    REQUIRE_MESSAGE(v.ok(), (v.ok() ? std::string() : v.error().message));
    const vm::Prepared prepared(*v);
    returnExits += prepared.shape().returnExits;
    fused += prepared.shape().fusedJumps;
    // Bytes often equal to the small constants the tests use.
    for (auto& b : full) b = static_cast<uint8_t>(rng() % 3 == 0 ? rng() % 4 : rng());
    for (size_t caplen = 0; caplen <= full.size(); ++caplen) {
      std::vector<uint8_t> pkt(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(caplen));
      const uint32_t want = pcapRun(p, pkt, 60);
      const uint32_t got = prepared.run(pkt, 60);
      if (got != want) {
        std::string text = bpf::listing(p, bpf::ListingFormat::Image);
        CAPTURE(text);
        CAPTURE(caplen);
        REQUIRE(got == want);
      }
      ++runs;
      accepted += want != 0;
    }
  }
  MESSAGE(runs << " runs, " << returnExits << " return exits, " << fused << " fused pairs");
  CHECK(returnExits > size_t(kPrograms));  // the return forms run, fused and plain
  CHECK(fused > size_t(kPrograms));
  CHECK(accepted > runs / 20);
  CHECK(accepted < runs - runs / 20);
}
