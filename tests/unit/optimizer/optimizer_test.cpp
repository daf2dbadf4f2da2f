// Optimizer tests: hand-made cases for each pass, and a randomized check
// that optimized and unoptimized programs give the same verdict on every
// packet.
#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "compiler/emit.h"
#include "ir/ir.h"
#include "optimizer/analyses.h"
#include "optimizer/passes.h"
#include "optimizer/pipeline.h"
#include "sift/vm.h"

using namespace sift;

namespace {

constexpr uint16_t kLdh = 0x28, kLdb = 0x30, kLd = 0x20, kLdImm = 0x00, kLdxImm = 0x01;
constexpr uint16_t kJeqK = 0x15, kJgtK = 0x25, kJgeK = 0x35, kJsetK = 0x45, kJeqX = 0x1d;
constexpr uint16_t kAndK = 0x54, kAddX = 0x0c, kDivX = 0x3c, kSt = 0x02, kLdMem = 0x60, kTax = 0x07;
constexpr uint16_t kLdxMsh = 0xb1, kLdIndB = 0x50;

bpf::Program emitOrFail(const ir::Program& p) {
  auto out = compiler::emit(p);
  REQUIRE_MESSAGE(out.ok(), (out.ok() ? "" : out.error().message));
  return *out;
}

uint32_t runProgram(const bpf::Program& p, const std::vector<uint8_t>& pkt) {
  auto v = bpf::validate(p, bpf::Profile::Libpcap);
  REQUIRE_MESSAGE(v.ok(), (v.ok() ? "" : v.error().message));
  return vm::run(*v, pkt);
}

ir::Program optimized(ir::Program p, int level = 1) {
  optimizer::Options o;
  o.level = level;
  o.verify = true;
  auto s = optimizer::optimize(p, o);
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
  return p;
}

// An "ethertype is T" test like lowering makes.
ir::Fragment etherIs(ir::Builder& b, uint32_t t) { return b.test({bpf::Insn{kLdh, 0, 0, 12}}, kJeqK, t); }
ir::Fragment byteIs(ir::Builder& b, uint32_t off, uint32_t v) {
  return b.test({bpf::Insn{kLdb, 0, 0, off}}, kJeqK, v);
}

}  // namespace

TEST_CASE("a second test of the same value is threaded away") {
  // (ip and tcp) or (ip and udp)
  ir::Builder b;
  auto left = b.makeAnd(etherIs(b, 0x800), byteIs(b, 23, 6));
  auto right = b.makeAnd(etherIs(b, 0x800), byteIs(b, 23, 17));
  ir::Program raw = b.finish(b.makeOr(std::move(left), std::move(right)), 1);
  ir::Program opt = optimized(raw);
  bpf::Program before = emitOrFail(raw), after = emitOrFail(opt);
  // ldh [12]; jeq; ldb [23]; jeq #6; jeq #17; ret; ret
  CHECK(after.insns.size() == 7);
  CHECK(after.insns.size() < before.insns.size());
}

TEST_CASE("contradictory tests leave nothing that accepts") {
  // ip and arp
  ir::Builder b;
  ir::Program raw = b.finish(b.makeAnd(etherIs(b, 0x800), etherIs(b, 0x806)), 1);
  ir::Program opt = optimized(raw);
  bpf::Program after = emitOrFail(opt);
  for (const auto& insn : after.insns)
    if (insn.code == 0x06) CHECK(insn.k == 0);
}

TEST_CASE("constant branches fold and the entry moves past them") {
  ir::Builder b;
  // (1 == 1) and b[0] == 4
  ir::Program raw = b.finish(b.makeAnd(b.constant(true), byteIs(b, 0, 4)), 7);
  bpf::Program after = emitOrFail(optimized(raw));
  CHECK(after.insns.size() == 4);  // ldb, jeq, ret, ret
  CHECK(runProgram(after, {4}) == 7);
  CHECK(runProgram(after, {5}) == 0);
}

TEST_CASE("loads that may reject are never dropped") {
  // ld [100] (result unused) then ld #1; jeq #1: still rejects short packets.
  ir::Builder b;
  auto f = b.test({bpf::Insn{kLd, 0, 0, 100}, bpf::Insn{kLdImm, 0, 0, 1}}, kJeqK, 1);
  ir::Program raw = b.finish(f, 9);
  bpf::Program after = emitOrFail(optimized(raw));
  CHECK(runProgram(after, std::vector<uint8_t>(10)) == 0);
  CHECK(runProgram(after, std::vector<uint8_t>(200)) == 9);
}

TEST_CASE("jset with all bits is a real test") {
  ir::Builder b;
  ir::Program raw = b.finish(b.test({bpf::Insn{kLdb, 0, 0, 0}}, kJsetK, 0xffffffff), 3);
  bpf::Program after = emitOrFail(optimized(raw));
  CHECK(runProgram(after, {0}) == 0);
  CHECK(runProgram(after, {1}) == 3);
}

namespace {

/// Random programs shaped like compiled filters: tests of a few packet
/// fields against a few constants, combined with and/or/not, with some
/// arithmetic, scratch use and indirect loads.
ir::Fragment randomLeaf(ir::Builder& b, std::mt19937& rng) {
  static const uint32_t offsets[] = {0, 1, 2, 4, 6, 8, 12};
  static const uint32_t consts[] = {0, 1, 2, 4, 6, 17, 0x10, 0x800};
  uint32_t off = offsets[rng() % std::size(offsets)];
  uint32_t k = consts[rng() % std::size(consts)];
  std::vector<bpf::Insn> stmts;
  switch (rng() % 8) {
    case 0: stmts = {{kLdh, 0, 0, off}}; break;
    case 1: stmts = {{kLdb, 0, 0, off}, {kAndK, 0, 0, 0x0f}}; break;
    case 2: stmts = {{kLdxMsh, 0, 0, off}, {kLdIndB, 0, 0, 1}}; break;
    case 3: stmts = {{kLdb, 0, 0, off}, {kSt, 0, 0, 3}, {kLdxImm, 0, 0, 2}, {kLdMem, 0, 0, 3}, {kAddX, 0, 0, 0}}; break;
    case 4: stmts = {{kLdb, 0, 0, off}, {kTax, 0, 0, 0}, {kLdb, 0, 0, off + 1}, {kDivX, 0, 0, 0}}; break;
    case 5: stmts = {{kLdImm, 0, 0, k}}; break;
    case 6: stmts = {{kLd, 0, 0, off}}; break;
    default: stmts = {{kLdb, 0, 0, off}}; break;
  }
  static const uint16_t jumps[] = {kJeqK, kJeqK, kJgtK, kJgeK, kJsetK};
  if (rng() % 10 == 0) {
    stmts.push_back({kLdxImm, 0, 0, k});
    return b.test(std::move(stmts), kJeqX, 0);
  }
  return b.test(std::move(stmts), jumps[rng() % std::size(jumps)], k);
}

ir::Fragment randomExpr(ir::Builder& b, std::mt19937& rng, int depth) {
  if (depth == 0 || rng() % 4 == 0) {
    auto leaf = randomLeaf(b, rng);
    return rng() % 5 == 0 ? ir::Builder::makeNot(std::move(leaf)) : leaf;
  }
  auto l = randomExpr(b, rng, depth - 1);
  auto r = randomExpr(b, rng, depth - 1);
  auto f = rng() % 2 ? b.makeAnd(std::move(l), std::move(r)) : b.makeOr(std::move(l), std::move(r));
  return rng() % 6 == 0 ? ir::Builder::makeNot(std::move(f)) : f;
}

}  // namespace

TEST_CASE("optimized and unoptimized random programs agree on every packet") {
  std::mt19937 rng(20261201);
  const int programs = 1500;
  size_t totalBefore = 0, totalAfter = 0;
  for (int i = 0; i < programs; ++i) {
    ir::Builder b;
    ir::Program raw = b.finish(randomExpr(b, rng, 4), 0x40000);
    for (int level : {1, 2}) {
      ir::Program opt = optimized(raw, level);
      bpf::Program before = emitOrFail(raw), after = emitOrFail(opt);
      if (level == 1) totalBefore += before.insns.size(), totalAfter += after.insns.size();
      CHECK(after.insns.size() <= before.insns.size());
      for (int j = 0; j < 40; ++j) {
        std::vector<uint8_t> pkt(rng() % 18);
        for (auto& byte : pkt) {
          uint32_t r = rng() % 6;
          byte = r == 0 ? 0 : r == 1 ? 1 : r == 2 ? 6 : r == 3 ? 0x08 : uint8_t(rng());
        }
        uint32_t want = runProgram(before, pkt), got = runProgram(after, pkt);
        if (want != got) {
          FAIL_CHECK("program " << i << " level " << level << " packet " << j << ": unoptimized " << want
                                << ", optimized " << got);
          break;
        }
      }
    }
  }
  MESSAGE("random programs: " << totalBefore << " instructions unoptimized, " << totalAfter << " optimized");
  CHECK(totalAfter < totalBefore);
}

namespace {

/// `host c1 or host c2 or ...` as lowering leaves it after threading:
/// src == c1, dst == c1, src == c2, dst == c2, ...
ir::Program hostChain(const std::vector<uint32_t>& hosts) {
  ir::Builder b;
  ir::Fragment f = b.test({bpf::Insn{kLd, 0, 0, 26}}, kJeqK, hosts[0]);
  f = b.makeOr(std::move(f), b.test({bpf::Insn{kLd, 0, 0, 30}}, kJeqK, hosts[0]));
  for (size_t i = 1; i < hosts.size(); ++i) {
    f = b.makeOr(std::move(f), b.test({bpf::Insn{kLd, 0, 0, 26}}, kJeqK, hosts[i]));
    f = b.makeOr(std::move(f), b.test({bpf::Insn{kLd, 0, 0, 30}}, kJeqK, hosts[i]));
  }
  return b.finish(std::move(f), 1);
}

std::vector<uint8_t> packetWith(uint32_t src, uint32_t dst, size_t caplen) {
  std::vector<uint8_t> pkt(34, 0);
  for (int i = 0; i < 4; ++i) {
    pkt[26 + i] = uint8_t(src >> (24 - 8 * i));
    pkt[30 + i] = uint8_t(dst >> (24 - 8 * i));
  }
  pkt.resize(caplen);
  return pkt;
}

}  // namespace

TEST_CASE("host lists load each field once and keep truncated-packet verdicts") {
  std::vector<uint32_t> hosts;
  for (uint32_t i = 0; i < 200; ++i) hosts.push_back(0x0a000000 + (i * 7919) % 5000);
  hosts.push_back(0x0a000100);  // with a run of consecutive addresses
  hosts.push_back(0x0a000101);
  hosts.push_back(0x0a000102);
  ir::Program raw = hostChain(hosts);
  bpf::Program before = emitOrFail(raw);
  bpf::Program o1 = emitOrFail(optimized(raw, 1));
  bpf::Program o2 = emitOrFail(optimized(raw, 2));
  size_t loads1 = 0;
  for (const auto& insn : o1.insns) loads1 += insn.code == kLd;
  // The first source test, then the first destination load heading the
  // rest of the chain (all destination constants), then the source once more.
  CHECK(loads1 == 3);
  CHECK(o1.insns.size() < before.insns.size() * 6 / 10);
  std::mt19937 rng(5);
  for (int i = 0; i < 3000; ++i) {
    uint32_t src = rng() % 3 ? hosts[rng() % hosts.size()] : uint32_t(rng());
    uint32_t dst = rng() % 3 ? hosts[rng() % hosts.size()] : uint32_t(rng());
    size_t caplen = rng() % 4 ? 34 : 26 + rng() % 9;
    auto pkt = packetWith(src, dst, caplen);
    uint32_t want = runProgram(before, pkt);
    CHECK(runProgram(o1, pkt) == want);
    CHECK(runProgram(o2, pkt) == want);
  }
  MESSAGE("201 hosts + run: unoptimized " << before.insns.size() << ", -O1 " << o1.insns.size() << ", -O2 "
                                          << o2.insns.size());
}

TEST_CASE("a test of a value already loaded runs before the next load when both failures reject") {
  // E: ld [26]; jgt #0 -> S | ret 0
  // S: ld [30]; jeq #a -> T | ret 0
  // T: ld [26]; jeq #b -> ret 1 | ret 0
  // The source address is still in A when S begins: testing it against b
  // before loading the destination saves T's reload, and no truncated
  // packet changes its verdict (the destination is still loaded before
  // any accept).
  const uint32_t a = 0x0a000001, b2 = 0x0a000002;
  ir::Builder b;
  ir::Fragment e = b.test({bpf::Insn{kLd, 0, 0, 26}}, kJgtK, 0);
  ir::Fragment s = b.test({bpf::Insn{kLd, 0, 0, 30}}, kJeqK, a);
  ir::Fragment t = b.test({bpf::Insn{kLd, 0, 0, 26}}, kJeqK, b2);
  ir::Program raw = b.finish(b.makeAnd(b.makeAnd(std::move(e), std::move(s)), std::move(t)), 1);
  std::vector<std::string> changedBy;
  optimizer::Options o;
  o.level = 1;
  o.verify = true;
  std::string lastIr = ir::print(raw);
  o.afterPass = [&](const std::string& pass, const ir::Program& p) {
    std::string now = ir::print(p);
    if (now != lastIr) changedBy.push_back(pass);
    lastIr = now;
  };
  ir::Program opt = raw;
  REQUIRE(optimizer::optimize(opt, o).ok());
  CHECK(std::find(changedBy.begin(), changedBy.end(), "hoist-tests") != changedBy.end());
  bpf::Program before = emitOrFail(raw), after = emitOrFail(opt);
  size_t loads = 0;
  for (const auto& insn : after.insns) loads += insn.code == kLd;
  CHECK(loads == 2);
  CHECK(after.insns.size() == before.insns.size() - 1);
  for (uint32_t src : {a, b2, 0u})
    for (uint32_t dst : {a, b2, 7u})
      for (size_t caplen = 0; caplen <= 34; ++caplen) {
        auto pkt = packetWith(src, dst, caplen);
        CHECK(runProgram(after, pkt) == runProgram(before, pkt));
      }
}

TEST_CASE("a test is not hoisted when the accepting side reads what the reload wrote") {
  // S: ld [30]; jeq #5 -> T | ret 0;  T: ld [26]; jeq #6 -> U | ret 0;
  // U: tax; ... returns A via X: U reads A (the reloaded [26]), so T's
  // reload must stay.
  ir::Builder b;
  ir::Fragment first = b.test({bpf::Insn{kLd, 0, 0, 26}}, kJgtK, 0);
  ir::Fragment s = b.test({bpf::Insn{kLd, 0, 0, 30}}, kJeqK, 5);
  ir::Fragment t = b.test({bpf::Insn{kLd, 0, 0, 26}}, kJeqK, 6);
  ir::Fragment u = b.test({bpf::Insn{kTax, 0, 0, 0}, bpf::Insn{kLdImm, 0, 0, 6}}, kJeqX, 0);
  ir::Program raw = b.finish(b.makeAnd(b.makeAnd(b.makeAnd(std::move(first), std::move(s)), std::move(t)), std::move(u)), 1);
  bpf::Program before = emitOrFail(raw), after = emitOrFail(optimized(raw, 1));
  for (uint32_t src : {5u, 6u, 7u})
    for (uint32_t dst : {5u, 6u, 7u})
      for (size_t caplen = 26; caplen <= 34; ++caplen) {
        auto pkt = packetWith(src, dst, caplen);
        CHECK(runProgram(after, pkt) == runProgram(before, pkt));
      }
}

namespace {

/// One random expression built twice: reading the packet through X
/// (`ld [x + k]`) or at fixed offsets shifted by `shift` (`ld [k + shift]`),
/// from the same seed so both have the same shape. `odd` counts down the
/// leaves; the one where it reaches 0 reads one byte further (a tail that
/// must not be shared).
ir::Fragment shiftedExpr(ir::Builder& b, std::mt19937& rng, int depth, bool indexed, uint32_t shift, int& odd) {
  static const uint16_t absLoads[] = {kLdb, kLdh, kLd};
  static const uint16_t jumps[] = {kJeqK, kJeqK, kJgtK, kJsetK};
  if (depth == 0 || rng() % 3 == 0) {
    const uint16_t load = absLoads[rng() % 3];
    const uint32_t off = rng() % 8, k = rng() % 4;
    const uint16_t code = indexed ? uint16_t((load & ~0xe0) | 0x40) : load;
    std::vector<bpf::Insn> stmts{{code, 0, 0, indexed ? off : off + shift + (odd-- == 0)}};
    if (rng() % 4 == 0) stmts.push_back({kAndK, 0, 0, 3});
    if (rng() % 5 == 0) stmts.push_back({kSt, 0, 0, 2}), stmts.push_back({kLdMem, 0, 0, 2});
    auto leaf = b.test(std::move(stmts), jumps[rng() % std::size(jumps)], k);
    return rng() % 4 == 0 ? ir::Builder::makeNot(std::move(leaf)) : leaf;
  }
  auto l = shiftedExpr(b, rng, depth - 1, indexed, shift, odd);
  auto r = shiftedExpr(b, rng, depth - 1, indexed, shift, odd);
  return rng() % 2 ? b.makeAnd(std::move(l), std::move(r)) : b.makeOr(std::move(l), std::move(r));
}

}  // namespace

TEST_CASE("tails that read the packet at shifted offsets share the indexed copy, verdicts unchanged") {
  // (ldb [0] == 1, X = 4*([1]&0xf), E through X) or (ldb [0] == 2 and E at
  // fixed offsets + shift) [or a test of X]: the second E is the first with
  // X = shift, the shape of IPv4 and IPv6 port tests.
  std::mt19937 rng(20261203);
  int rewritten = 0;
  const int programs = 600;
  for (int i = 0; i < programs; ++i) {
    const uint32_t shift = rng() % 24, seed = rng();
    const bool xUsedAfter = rng() % 3 == 0;
    ir::Builder b;
    int none = -1, odd = rng() % 4 == 0 ? int(rng() % 4) : -1;
    std::mt19937 same(seed);
    ir::Fragment indexed = shiftedExpr(b, same, 3, true, shift, none);
    same.seed(seed);
    ir::Fragment fixed = shiftedExpr(b, same, 3, false, shift, odd);
    ir::Fragment guard1 = b.test({bpf::Insn{kLdb, 0, 0, 0}, bpf::Insn{kLdxMsh, 0, 0, 1}}, kJeqK, 1);
    ir::Fragment guard2 = b.test({bpf::Insn{kLdb, 0, 0, 0}}, kJeqK, 2);
    // Sometimes `ldb [0] == 2 or ldb [0] == 4`: the second test's block
    // gets X = shift from the first.
    if (rng() % 2) guard2 = b.makeOr(std::move(guard2), b.test({bpf::Insn{kLdb, 0, 0, 0}}, kJeqK, 4));
    ir::Fragment f = b.makeOr(b.makeAnd(std::move(guard1), std::move(indexed)), b.makeAnd(std::move(guard2), std::move(fixed)));
    if (xUsedAfter) {
      // ... or (ldb [0] == 3 and X == 4): X is live where the second
      // guard fails, so its `ldx #shift` needs a block of its own.
      ir::Fragment guard3 = b.test({bpf::Insn{kLdb, 0, 0, 0}}, kJeqK, 3);
      ir::Fragment readsX = b.test({bpf::Insn{kLdImm, 0, 0, 4}}, kJeqX, 0);
      f = b.makeOr(std::move(f), b.makeAnd(std::move(guard3), std::move(readsX)));
    }
    ir::Program raw = b.finish(std::move(f), 0x40000);
    optimizer::Options o;
    o.level = 1;
    o.verify = true;
    bool shared = false;
    const std::string before = ir::print(raw);
    std::string lastIr = before;
    o.afterPass = [&](const std::string& pass, const ir::Program& p) {
      std::string now = ir::print(p);
      if (pass == "share-shifted-tails" && now != lastIr) shared = true;
      lastIr = std::move(now);
    };
    ir::Program opt = raw;
    size_t ldxImm = 0;
    REQUIRE(optimizer::optimize(opt, o).ok());
    bpf::Program unopt = emitOrFail(raw), after = emitOrFail(opt);
    for (const auto& insn : after.insns) ldxImm += insn.code == kLdxImm;
    if (shared && ldxImm > 0) ++rewritten;
    CHECK(after.insns.size() <= unopt.insns.size());
    for (int j = 0; j < 60; ++j) {
      std::vector<uint8_t> pkt(rng() % 40);
      for (auto& byte : pkt) byte = rng() % 3 == 0 ? uint8_t(rng() % 4) : uint8_t(rng());
      if (!pkt.empty()) pkt[0] = uint8_t(1 + rng() % 4);
      if (pkt.size() > 1 && rng() % 2) pkt[1] = uint8_t((pkt[1] & 0xf0) | (rng() % 2 ? shift / 4 : 1));
      const uint32_t want = runProgram(unopt, pkt), got = runProgram(after, pkt);
      if (want != got) {
        FAIL_CHECK("program " << i << " packet " << j << ": unoptimized " << want << ", optimized " << got << "\n"
                              << before);
        break;
      }
    }
  }
  MESSAGE("shifted tails shared in " << rewritten << " of " << programs << " programs");
  // Most pairs survive the other passes with their shapes intact.
  CHECK(rewritten > programs / 3);
}

TEST_CASE("bits known from a masked test of a byte decide tests of other loads of it") {
  // A: ldb [16]; and #7; jeq #2 -> B | C
  // B: ldh [19]; jeq #0x204 -> ret 1 | C
  // C: ldh [16]; and #0xff07; jeq #0x8102 -> D | ret 0   (byte 16 = 0x81: its low bits are 1)
  // D: ldh [20]; jeq #0x204 -> ret 1 | ret 0
  // On B's failing edge byte 16 ends in 010, so C's test fails: the edge
  // goes straight to ret 0 (DECnet's flags byte is tested this way).
  constexpr uint16_t kAndK16 = kAndK;
  ir::Builder b;
  ir::Fragment a = b.test({bpf::Insn{kLdb, 0, 0, 16}, bpf::Insn{kAndK16, 0, 0, 7}}, kJeqK, 2);
  ir::Fragment bb = b.test({bpf::Insn{kLdh, 0, 0, 19}}, kJeqK, 0x204);
  ir::Fragment c = b.test({bpf::Insn{kLdh, 0, 0, 16}, bpf::Insn{kAndK16, 0, 0, 0xff07}}, kJeqK, 0x8102);
  ir::Fragment d = b.test({bpf::Insn{kLdh, 0, 0, 20}}, kJeqK, 0x204);
  ir::Program raw = b.finish(b.makeOr(b.makeAnd(std::move(a), std::move(bb)), b.makeAnd(std::move(c), std::move(d))), 1);
  bpf::Program before = emitOrFail(raw), after = emitOrFail(optimized(raw));
  // Find B's test and check where its failing side lands.
  bool found = false;
  for (size_t i = 0; i + 1 < after.insns.size(); ++i) {
    if (after.insns[i].code != kLdh || after.insns[i].k != 19) continue;
    const bpf::Insn& test = after.insns[i + 1];
    REQUIRE(test.code == kJeqK);
    const bpf::Insn& landing = after.insns[i + 2 + test.jf];
    CHECK(landing.code == 0x06);
    CHECK(landing.k == 0);
    found = true;
  }
  CHECK(found);
  for (uint8_t b16 : {0x02, 0x81, 0x82, 0x06, 0x12})
    for (uint16_t w19 : {0x204, 0x104})
      for (uint16_t w20 : {0x204, 0x0})
        for (size_t caplen = 16; caplen <= 22; ++caplen) {
          std::vector<uint8_t> pkt(22, 0);
          pkt[16] = b16;
          pkt[17] = 0x02;
          pkt[19] = uint8_t(w19 >> 8);
          pkt[20] = uint8_t(w19);
          if (b16 == 0x81) pkt[20] = uint8_t(w20 >> 8), pkt[21] = uint8_t(w20);
          pkt.resize(caplen);
          CHECK(runProgram(after, pkt) == runProgram(before, pkt));
        }
}

TEST_CASE("random tests of overlapping masked loads agree optimized and unoptimized") {
  // Loads of 1, 2 and 4 bytes at nearby offsets under masks that share
  // bits, tested with jeq/jset/jgt against constants those masks can give:
  // known-bit facts learned from one decide others.
  std::mt19937 rng(316);
  static const uint32_t masks[] = {0, 0x0f, 0xf0, 0x81, 0x07, 0xff07, 0x1fff, 0x01, 0x80, 0xffff0000};
  static const uint32_t consts[] = {0, 1, 2, 0x81, 0x80, 0x8102, 0x21, 0x0f, 0x0200, 0x10000};
  static const uint16_t loads[] = {kLdb, kLdh, kLd};
  static const uint16_t jumps[] = {kJeqK, kJeqK, kJsetK, kJgtK};
  auto leaf = [&](ir::Builder& b) {
    std::vector<bpf::Insn> stmts{{loads[rng() % 3], 0, 0, uint32_t(rng() % 3)}};
    if (uint32_t m = masks[rng() % std::size(masks)]) stmts.push_back({kAndK, 0, 0, m});
    auto f = b.test(std::move(stmts), jumps[rng() % std::size(jumps)], consts[rng() % std::size(consts)]);
    return rng() % 4 == 0 ? ir::Builder::makeNot(std::move(f)) : f;
  };
  std::function<ir::Fragment(ir::Builder&, int)> expr = [&](ir::Builder& b, int depth) {
    if (depth == 0 || rng() % 4 == 0) return leaf(b);
    auto l = expr(b, depth - 1);
    auto r = expr(b, depth - 1);
    return rng() % 2 ? b.makeAnd(std::move(l), std::move(r)) : b.makeOr(std::move(l), std::move(r));
  };
  static const uint8_t bytes[] = {0, 0x81, 0x02, 0x0f, 0xf0, 0x01, 0x80, 0x21};
  for (int i = 0; i < 1500; ++i) {
    ir::Builder b;
    ir::Program raw = b.finish(expr(b, 4), 1);
    optimizer::Options o;
    o.level = 1;
    o.verify = true;
    ir::Program opt = raw;
    auto s = optimizer::optimize(opt, o);
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
    bpf::Program before = emitOrFail(raw), after = emitOrFail(opt);
    for (int j = 0; j < 50; ++j) {
      std::vector<uint8_t> pkt(rng() % 10);
      for (auto& byte : pkt) byte = rng() % 4 ? bytes[rng() % std::size(bytes)] : uint8_t(rng());
      const uint32_t want = runProgram(before, pkt), got = runProgram(after, pkt);
      if (want != got) {
        FAIL_CHECK("program " << i << " packet " << j << ": unoptimized " << want << ", optimized " << got << "\n"
                              << ir::print(raw));
        break;
      }
    }
  }
}

TEST_CASE("a tail of Linux ancillary loads is not shared with an indexed one") {
  // ld [x + 4] (0x40) and ld [0xfffff004] have the same shape, but the kernel
  // reads an absolute offset from 2^31 up as ancillary data (here
  // SKF_AD_OFF + 4, the packet type) and an indexed one as a packet
  // offset: no `ldx #0xfffff000` may stand for the absolute load.
  ir::Builder b;
  ir::Fragment g1 = b.test({bpf::Insn{kLdb, 0, 0, 0}, bpf::Insn{kLdxMsh, 0, 0, 1}}, kJeqK, 1);
  ir::Fragment ind = b.makeOr(b.test({bpf::Insn{0x40, 0, 0, 4}}, kJeqK, 3), b.test({bpf::Insn{0x48, 0, 0, 8}}, kJeqK, 5));
  ir::Fragment g2 = b.test({bpf::Insn{kLdb, 0, 0, 0}}, kJeqK, 2);
  ir::Fragment abs = b.makeOr(b.test({bpf::Insn{kLd, 0, 0, 0xfffff004}}, kJeqK, 3), b.test({bpf::Insn{kLdh, 0, 0, 0xfffff008}}, kJeqK, 5));
  ir::Program raw = b.finish(b.makeOr(b.makeAnd(std::move(g1), std::move(ind)), b.makeAnd(std::move(g2), std::move(abs))), 1);
  bpf::Program after = emitOrFail(optimized(raw));
  size_t ancillary = 0;
  for (const auto& insn : after.insns) {
    CHECK(insn.code != kLdxImm);
    ancillary += (insn.code == kLd || insn.code == kLdh) && insn.k >= 0xfffff000u;
  }
  CHECK(ancillary == 2);
}

TEST_CASE("IPv6's second protocol test is shared with the first, after the fragment header") {
  // byte 20 == 6 or (byte 20 == 0x2c and byte 54 == 6), as lowering makes
  // `ip6 proto 6`: the test of 0x2c goes first, and the load of byte 54
  // falls into the one remaining test of 6.
  ir::Builder b;
  ir::Fragment direct = byteIs(b, 20, 6);
  ir::Fragment frag = b.makeAnd(byteIs(b, 20, 0x2c), byteIs(b, 54, 6));
  ir::Program raw = b.finish(b.makeOr(std::move(direct), std::move(frag)), 1);
  bpf::Program before = emitOrFail(raw), after = emitOrFail(optimized(raw));
  // ldb [20]; jeq #0x2c; ldb [54]; jeq #6; ret #1; ret #0
  CHECK(after.insns.size() == 6);
  size_t tests6 = 0;
  for (const auto& insn : after.insns) tests6 += insn.code == kJeqK && insn.k == 6;
  CHECK(tests6 == 1);
  for (uint8_t b20 : {0, 6, 0x2c, 17})
    for (uint8_t b54 : {0, 6, 0x2c})
      for (size_t caplen : {0, 20, 21, 40, 54, 55, 60}) {
        std::vector<uint8_t> pkt(60, 0);
        pkt[20] = b20;
        pkt[54] = b54;
        pkt.resize(caplen);
        CHECK(runProgram(after, pkt) == runProgram(before, pkt));
      }
}

namespace {

/// `raw` optimized at -O1 with verification; `changed` tells whether the
/// finishing pass `pass` changed the program share-shifted-tails left.
ir::Program optimizedWatching(const ir::Program& raw, const std::string& pass, bool& changed) {
  std::string beforePass, afterPass;
  optimizer::Options o;
  o.level = 1;
  o.verify = true;
  o.afterPass = [&](const std::string& name, const ir::Program& p) {
    if (name == "share-shifted-tails") beforePass = ir::print(p);
    if (name == pass) afterPass = ir::print(p);
  };
  ir::Program opt = raw;
  auto s = optimizer::optimize(opt, o);
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
  changed = !afterPass.empty() && afterPass != beforePass;
  return opt;
}

}  // namespace

TEST_CASE("random programs whose blocks end alike agree after their ends are shared") {
  // Tests of a few bytes against a few constants, some after a load of
  // another byte or a scratch store, so that many blocks end with the same
  // statements and test; or-chains of tests of one byte give the
  // reordering something to do.
  std::mt19937 rng(1203);
  static const uint32_t offsets[] = {2, 5, 9};
  static const uint32_t consts[] = {6, 0x2c, 17};
  auto leaf = [&](ir::Builder& b) {
    const uint32_t off = offsets[rng() % 3], k = consts[rng() % 3];
    if (rng() % 3 == 0) {
      // Like IPv6's protocol test: the byte is k, or it is another value
      // and a byte further on is k.
      const uint32_t other = consts[rng() % 3], further = offsets[rng() % 3] + 1;
      auto direct = b.test({{kLdb, 0, 0, off}}, kJeqK, k);
      auto chained = b.makeAnd(b.test({{kLdb, 0, 0, off}}, kJeqK, other), b.test({{kLdb, 0, 0, further}}, kJeqK, k));
      return b.makeOr(std::move(direct), std::move(chained));
    }
    std::vector<bpf::Insn> stmts;
    switch (rng() % 4) {
      case 0: stmts = {{kLdb, 0, 0, offsets[rng() % 3]}, {kSt, 0, 0, 1}, {kLdb, 0, 0, off}}; break;
      case 1: stmts = {{kLdb, 0, 0, offsets[rng() % 3]}, {kLdb, 0, 0, off}}; break;
      default: stmts = {{kLdb, 0, 0, off}}; break;
    }
    auto f = b.test(std::move(stmts), rng() % 8 ? kJeqK : kJgtK, k);
    return rng() % 6 == 0 ? ir::Builder::makeNot(std::move(f)) : f;
  };
  std::function<ir::Fragment(ir::Builder&, int)> expr = [&](ir::Builder& b, int depth) {
    if (depth == 0 || rng() % 5 == 0) return leaf(b);
    auto l = expr(b, depth - 1);
    auto r = expr(b, depth - 1);
    return rng() % 2 ? b.makeAnd(std::move(l), std::move(r)) : b.makeOr(std::move(l), std::move(r));
  };
  const int programs = 1500;
  int rewritten = 0;
  for (int i = 0; i < programs; ++i) {
    ir::Builder b;
    ir::Program raw = b.finish(expr(b, 4), 1);
    bool changed = false;
    ir::Program opt = optimizedWatching(raw, "share-suffixes", changed);
    rewritten += changed;
    bpf::Program before = emitOrFail(raw), after = emitOrFail(opt);
    CHECK(after.insns.size() <= before.insns.size());
    for (int j = 0; j < 60; ++j) {
      std::vector<uint8_t> pkt(rng() % 12);
      for (auto& byte : pkt) byte = rng() % 5 ? uint8_t(consts[rng() % 3] + rng() % 2) : uint8_t(rng());
      const uint32_t want = runProgram(before, pkt), got = runProgram(after, pkt);
      if (want != got) {
        FAIL_CHECK("program " << i << " packet " << j << ": unoptimized " << want << ", optimized " << got << "\n"
                              << ir::print(raw));
        break;
      }
    }
  }
  MESSAGE("block ends shared in " << rewritten << " of " << programs << " programs");
  CHECK(rewritten > programs / 10);
}

namespace {

/// A block of the given statements ending in a test (jt != jf) or return.
ir::BlockId addBlock(ir::Program& p, std::vector<bpf::Insn> stmts, bpf::Insn term, ir::BlockId jt = ir::kNoBlock,
                     ir::BlockId jf = ir::kNoBlock) {
  ir::Block b;
  b.stmts = std::move(stmts);
  b.term = term;
  b.termKind = jt == ir::kNoBlock ? ir::TermKind::Return : ir::TermKind::Branch;
  b.jt = jt;
  b.jf = jf;
  p.blocks.push_back(std::move(b));
  return static_cast<ir::BlockId>(p.blocks.size() - 1);
}

/// share-suffixes alone, with the IR verified after it.
ir::Program sharedSuffixes(ir::Program p, bool expectChange) {
  optimizer::Analyses analyses(p);
  const optimizer::Change change = optimizer::shareSuffixes(p, analyses);
  CHECK((change != optimizer::Change::None) == expectChange);
  CHECK(ir::verify(p).empty());
  return p;
}

}  // namespace

TEST_CASE("share-suffixes keeps what comes before the shared end, and reorders only different constants") {
  const bpf::Insn ret1{0x06, 0, 0, 1}, ret2{0x06, 0, 0, 2}, ret0{0x06, 0, 0, 0};
  SUBCASE("a block ending with a whole other block keeps its own first statements") {
    // entry: ldb [0]; jeq #1 -> W | S
    // W: ldb [9]; ldb [2]; jeq #6 -> ret 1 | ret 0    S: ldb [2]; jeq #6 -> ret 1 | ret 0
    ir::Program p;
    const ir::BlockId r1 = addBlock(p, {}, ret1), r0 = addBlock(p, {}, ret0);
    const ir::BlockId s = addBlock(p, {{kLdb, 0, 0, 2}}, {kJeqK, 0, 0, 6}, r1, r0);
    const ir::BlockId w = addBlock(p, {{kLdb, 0, 0, 9}, {kLdb, 0, 0, 2}}, {kJeqK, 0, 0, 6}, r1, r0);
    p.entry = addBlock(p, {{kLdb, 0, 0, 0}}, {kJeqK, 0, 0, 1}, w, s);
    const bpf::Program before = emitOrFail(p);
    const ir::Program shared = sharedSuffixes(p, true);
    CHECK(ir::isPlainJump(shared.blocks[w]));
    CHECK(shared.blocks[w].jt == s);
    const bpf::Program after = emitOrFail(shared);
    CHECK(after.insns.size() < before.insns.size());
    for (uint8_t b0 : {0, 1})
      for (uint8_t b2 : {0, 6})
        for (size_t caplen = 0; caplen <= 12; ++caplen) {
          std::vector<uint8_t> pkt(12, 0);
          pkt[0] = b0;
          pkt[2] = b2;
          pkt.resize(caplen);
          CHECK(runProgram(after, pkt) == runProgram(before, pkt));
        }
  }
  SUBCASE("two tests of the same constant are not swapped") {
    // Y: ldb [0]; jeq #5 -> ret 1 | Z    Z: jeq #5 -> ret 2 | ret 0
    // W: ldb [1]; jeq #5 -> ret 1 | ret 0, which a swap would let fall
    // into Z; entry: ldb [3]; jeq #0 -> Y | W.
    ir::Program p;
    const ir::BlockId r1 = addBlock(p, {}, ret1), r2 = addBlock(p, {}, ret2), r0 = addBlock(p, {}, ret0);
    const ir::BlockId z = addBlock(p, {}, {kJeqK, 0, 0, 5}, r2, r0);
    const ir::BlockId y = addBlock(p, {{kLdb, 0, 0, 0}}, {kJeqK, 0, 0, 5}, r1, z);
    const ir::BlockId w = addBlock(p, {{kLdb, 0, 0, 1}}, {kJeqK, 0, 0, 5}, r1, r0);
    p.entry = addBlock(p, {{kLdb, 0, 0, 3}}, {kJeqK, 0, 0, 0}, y, w);
    const ir::Program shared = sharedSuffixes(p, false);
    CHECK(ir::print(shared) == ir::print(p));
  }
  SUBCASE("two tests of different constants are swapped, and the other block falls into the second") {
    ir::Program p;
    const ir::BlockId r1 = addBlock(p, {}, ret1), r2 = addBlock(p, {}, ret2), r0 = addBlock(p, {}, ret0);
    const ir::BlockId z = addBlock(p, {}, {kJeqK, 0, 0, 7}, r2, r0);
    const ir::BlockId y = addBlock(p, {{kLdb, 0, 0, 0}}, {kJeqK, 0, 0, 5}, r1, z);
    const ir::BlockId w = addBlock(p, {{kLdb, 0, 0, 1}}, {kJeqK, 0, 0, 5}, r1, r0);
    p.entry = addBlock(p, {{kLdb, 0, 0, 3}}, {kJeqK, 0, 0, 0}, y, w);
    const bpf::Program before = emitOrFail(p);
    const ir::Program shared = sharedSuffixes(p, true);
    CHECK(shared.blocks[y].term.k == 7);
    CHECK(shared.blocks[z].term.k == 5);
    CHECK(ir::isPlainJump(shared.blocks[w]));
    const bpf::Program after = emitOrFail(shared);
    CHECK(after.insns.size() == before.insns.size() - 1);
    for (uint8_t b0 : {0, 5, 7})
      for (uint8_t b1 : {0, 5, 7})
        for (uint8_t b3 : {0, 1})
          for (size_t caplen = 0; caplen <= 4; ++caplen) {
            std::vector<uint8_t> pkt{b0, b1, 0, b3};
            pkt.resize(caplen);
            CHECK(runProgram(after, pkt) == runProgram(before, pkt));
          }
  }
}

TEST_CASE("masked loads narrowed to the bytes they keep give the same verdicts, truncated packets included") {
  // A word or halfword at a few offsets, masked to one byte or two and
  // tested with jeq/jgt/jge/jset against constants near the mask's
  // boundaries; some tests come after a load that reaches further, which
  // lets narrow-loads rewrite them.
  std::mt19937 rng(1204);
  static const uint32_t wordMasks[] = {0xff000000, 0x00ff0000, 0x0000ff00, 0x000000ff,
                                       0xffff0000, 0x00ffff00, 0x0000ffff};
  static const uint32_t halfMasks[] = {0xff00, 0x00ff};
  static const uint16_t jumps[] = {kJeqK, kJgtK, kJgeK, kJsetK};
  auto leaf = [&](ir::Builder& b) {
    const bool word = rng() % 3 != 0;
    const uint32_t off = rng() % 5;
    const uint32_t mask = word ? wordMasks[rng() % std::size(wordMasks)] : halfMasks[rng() % 2];
    // A constant inside the mask, one just off it, or a random one.
    uint32_t c = rng();
    switch (rng() % 4) {
      case 0: c &= mask; break;
      case 1: c = (c & mask) + (rng() % 3) - 1; break;
      case 2: c = mask & (0x01010101u << (rng() % 8)); break;
      default: break;
    }
    std::vector<bpf::Insn> stmts;
    if (rng() % 2) stmts.push_back({kLdb, 0, 0, off + 3 + rng() % 4});  // reaches as far, or not quite
    stmts.push_back({word ? kLd : kLdh, 0, 0, off});
    stmts.push_back({kAndK, 0, 0, mask});
    auto f = b.test(std::move(stmts), jumps[rng() % std::size(jumps)], c);
    return rng() % 4 == 0 ? ir::Builder::makeNot(std::move(f)) : f;
  };
  std::function<ir::Fragment(ir::Builder&, int)> expr = [&](ir::Builder& b, int depth) {
    if (depth == 0 || rng() % 4 == 0) return leaf(b);
    auto l = expr(b, depth - 1);
    auto r = expr(b, depth - 1);
    return rng() % 2 ? b.makeAnd(std::move(l), std::move(r)) : b.makeOr(std::move(l), std::move(r));
  };
  const int programs = 1500;
  int rewritten = 0;
  for (int i = 0; i < programs; ++i) {
    ir::Builder b;
    ir::Program raw = b.finish(expr(b, 3), 1);
    bool changed = false;
    ir::Program opt = optimizedWatching(raw, "narrow-loads", changed);
    rewritten += changed;
    bpf::Program before = emitOrFail(raw), after = emitOrFail(opt);
    for (int j = 0; j < 80; ++j) {
      std::vector<uint8_t> pkt(rng() % 11);
      for (auto& byte : pkt) byte = rng() % 3 ? uint8_t(0x01 << (rng() % 8)) + uint8_t(rng() % 3) - 1 : uint8_t(rng());
      const uint32_t want = runProgram(before, pkt), got = runProgram(after, pkt);
      if (want != got) {
        FAIL_CHECK("program " << i << " packet " << j << ": unoptimized " << want << ", optimized " << got << "\n"
                              << ir::print(raw));
        break;
      }
    }
  }
  MESSAGE("masked loads narrowed in " << rewritten << " of " << programs << " programs");
  CHECK(rewritten > programs / 10);
}

TEST_CASE("a masked load whose value is returned is not narrowed") {
  // ldb [3]; ldh [0]; and #0xff00; jeq #0x100 -> ret a | ret #0: the
  // accepting return gives A, 0x100, which a narrowed load would make 1.
  ir::Program p;
  const ir::BlockId retA = addBlock(p, {}, {0x16, 0, 0, 0}), ret0 = addBlock(p, {}, {0x06, 0, 0, 0});
  p.entry = addBlock(p, {{kLdb, 0, 0, 3}, {kLdh, 0, 0, 0}, {kAndK, 0, 0, 0xff00}}, {kJeqK, 0, 0, 0x100}, retA, ret0);
  const bpf::Program before = emitOrFail(p), after = emitOrFail(optimized(p));
  const std::vector<uint8_t> pkt{0x01, 0x02, 0x03, 0x04};
  CHECK(runProgram(before, pkt) == 0x100);
  CHECK(runProgram(after, pkt) == 0x100);
}

TEST_CASE("a chain of equality tests asks its one extra test and goes on into a shorter chain of the same tests") {
  const bpf::Insn ret1{0x06, 0, 0, 1}, ret2{0x06, 0, 0, 2}, ret0{0x06, 0, 0, 0};
  // entry: ldb [0]; jeq #1 -> Y | X
  // Y: ldb [1]; jeq #17 -> ret 1 | Y2;  Y2: jeq #6 -> ret 2 | Y3;  Y3: jeq #1 -> ret 1 | ret 0
  // X: ldb [2]; jeq #9 -> S | ret 0;    S: jeq #6 -> ret 2 | S2;   S2: jeq #17 -> ret 1 | ret 0
  ir::Program p;
  const ir::BlockId r1 = addBlock(p, {}, ret1), r2 = addBlock(p, {}, ret2), r0 = addBlock(p, {}, ret0);
  const ir::BlockId y3 = addBlock(p, {}, {kJeqK, 0, 0, 1}, r1, r0);
  const ir::BlockId y2 = addBlock(p, {}, {kJeqK, 0, 0, 6}, r2, y3);
  const ir::BlockId y = addBlock(p, {{kLdb, 0, 0, 1}}, {kJeqK, 0, 0, 17}, r1, y2);
  const ir::BlockId s2 = addBlock(p, {}, {kJeqK, 0, 0, 17}, r1, r0);
  const ir::BlockId s = addBlock(p, {}, {kJeqK, 0, 0, 6}, r2, s2);
  const ir::BlockId x = addBlock(p, {{kLdb, 0, 0, 2}}, {kJeqK, 0, 0, 9}, s, r0);
  p.entry = addBlock(p, {{kLdb, 0, 0, 0}}, {kJeqK, 0, 0, 1}, y, x);
  const bpf::Program before = emitOrFail(p);
  const ir::Program shared = sharedSuffixes(p, true);
  const bpf::Program after = emitOrFail(shared);
  CHECK(after.insns.size() == before.insns.size() - 2);
  size_t jeq1 = 0;
  for (const auto& insn : after.insns) jeq1 += insn.code == kJeqK && insn.k == 1;
  CHECK(jeq1 == 2);  // the entry's test and Y's, now the one test it asks before S
  for (uint8_t b0 : {0, 1})
    for (uint8_t b1 : {0, 1, 6, 17, 9})
      for (uint8_t b2 : {9, 0}) {
        for (size_t caplen = 0; caplen <= 3; ++caplen) {
          std::vector<uint8_t> pkt{b0, b1, b2};
          pkt.resize(caplen);
          CHECK(runProgram(after, pkt) == runProgram(before, pkt));
        }
      }
  // With a target changed in the shorter chain there is nothing to share.
  p.blocks[s2].jt = r2;
  const ir::Program unchanged = sharedSuffixes(p, false);
  CHECK(ir::print(unchanged) == ir::print(p));
}

TEST_CASE("a chain that asks for one constant twice is not reordered") {
  // Y: ldb [1]; jeq #6 -> ret 1 | Y2;  Y2: jeq #6 -> ret 2 | ret 0 (never true)
  // S: jeq #6 -> ret 1 | ret 0, reached from X. Asking Y2's test first and
  // going on into S would send A = 6 to ret 2.
  const bpf::Insn ret1{0x06, 0, 0, 1}, ret2{0x06, 0, 0, 2}, ret0{0x06, 0, 0, 0};
  ir::Program p;
  const ir::BlockId r1 = addBlock(p, {}, ret1), r2 = addBlock(p, {}, ret2), r0 = addBlock(p, {}, ret0);
  const ir::BlockId y2 = addBlock(p, {}, {kJeqK, 0, 0, 6}, r2, r0);
  const ir::BlockId y = addBlock(p, {{kLdb, 0, 0, 1}}, {kJeqK, 0, 0, 6}, r1, y2);
  const ir::BlockId s = addBlock(p, {}, {kJeqK, 0, 0, 6}, r1, r0);
  const ir::BlockId x = addBlock(p, {{kLdb, 0, 0, 2}}, {kJeqK, 0, 0, 9}, s, r0);
  p.entry = addBlock(p, {{kLdb, 0, 0, 0}}, {kJeqK, 0, 0, 1}, y, x);
  const bpf::Program before = emitOrFail(p);
  const bpf::Program after = emitOrFail(sharedSuffixes(p, false));
  for (uint8_t b1 : {0, 6})
    CHECK(runProgram(after, {1, b1, 9}) == runProgram(before, {1, b1, 9}));
}

TEST_CASE("random chains of equality tests agree after they share their tails") {
  // (b[1] == 0 and b[0] in A) or (b[1] == 1 and b[0] in B) or b[2] in C,
  // with B often A less one constant, and tests of b[0] that go to
  // different verdicts, so the chains' tails are worth sharing.
  std::mt19937 rng(1205);
  static const uint32_t consts[] = {1, 6, 17, 58, 132, 0x2c};
  int shorter = 0;
  const int programs = 800;
  for (int i = 0; i < programs; ++i) {
    ir::Builder b;
    std::vector<uint32_t> a;
    for (uint32_t c : consts)
      if (rng() % 2) a.push_back(c);
    if (a.size() < 2) a = {1, 6};
    std::shuffle(a.begin(), a.end(), rng);
    std::vector<uint32_t> bset(a.begin() + 1, a.end());
    if (rng() % 3 == 0) bset.push_back(consts[rng() % 6]);
    std::shuffle(bset.begin(), bset.end(), rng);
    auto chain = [&](const std::vector<uint32_t>& set) {
      ir::Fragment f = byteIs(b, 0, set[0]);
      for (size_t j = 1; j < set.size(); ++j) f = b.makeOr(std::move(f), byteIs(b, 0, set[j]));
      return f;
    };
    ir::Fragment left = b.makeAnd(byteIs(b, 1, 0), chain(a));
    ir::Fragment right = b.makeAnd(byteIs(b, 1, 1), chain(bset));
    ir::Fragment f = b.makeOr(std::move(left), std::move(right));
    if (rng() % 2) f = b.makeOr(std::move(f), byteIs(b, 2, consts[rng() % 6]));
    ir::Program raw = b.finish(std::move(f), 1);
    bpf::Program before = emitOrFail(raw), after = emitOrFail(optimized(raw));
    shorter += after.insns.size() < before.insns.size();
    for (uint32_t b0 : consts)
      for (uint8_t b1 : {0, 1, 2})
        for (uint32_t b2 : {0u, 6u, 17u})
          for (size_t caplen : {1, 2, 3}) {
            std::vector<uint8_t> pkt{uint8_t(b0), b1, uint8_t(b2)};
            pkt.resize(caplen);
            const uint32_t want = runProgram(before, pkt), got = runProgram(after, pkt);
            if (want != got) {
              FAIL_CHECK("program " << i << ": unoptimized " << want << ", optimized " << got << "\n" << ir::print(raw));
              goto next;
            }
          }
  next:;
  }
  CHECK(shorter == programs);
}

namespace {

// A header walk like protochain's, from offset 0: A is the next header
// (byte 6), X where the header starts (40); M[0] holds 5 until the walk
// steps over a header (next header 0, (length + 1) * 8 bytes), which leaves
// the next header there. The block's test is A == 6.
ir::Fragment walk(ir::Builder& b) {
  std::vector<bpf::Insn> s = {
      {kLdImm, 0, 0, 5},          {kSt, 0, 0, 0},      {kLdb, 0, 0, 6},  {kLdxImm, 0, 0, 40},
      {kJeqK, 10, 0, 6},          {kJeqK, 0, 9, 0},    {kLdIndB, 0, 0, 0}, {kSt, 0, 0, 0},
      {kLdIndB, 0, 0, 1},         {0x04, 0, 0, 1},     {0x24, 0, 0, 8},  {kAddX, 0, 0, 0},
      {kTax, 0, 0, 0},            {kLdMem, 0, 0, 0},   {0x05, 0, 0, 0xfffffff5u},
  };
  return b.test(std::move(s), kJeqK, 6);
}

// A 40-byte header with next header `next`, then a header of 8 bytes with
// next header 6 when `next` is 0, then 20 bytes.
std::vector<uint8_t> chain(uint8_t next) {
  std::vector<uint8_t> p(40, 0);
  p[6] = next;
  if (next == 0) p.insert(p.end(), {6, 0, 0, 0, 0, 0, 0, 0});
  p.resize(p.size() + 20, 0);
  return p;
}

}  // namespace

TEST_CASE("a loop inside a block changes A, X and the scratch cells it writes, and may reject") {
  const std::vector<uint8_t> stepped = chain(0), direct = chain(6);
  const std::vector<uint8_t> cut(stepped.begin(), stepped.begin() + 41);  // the walk's second load fails
  struct Case {
    const char* what;
    std::function<ir::Fragment(ir::Builder&)> make;
    uint32_t stepped, direct, cut;
  };
  const Case cases[] = {
      // X after the walk is 40 only if it stepped over nothing.
      {"X", [](ir::Builder& b) { return b.makeAnd(walk(b), b.test({bpf::Insn{0x87, 0, 0, 0}}, kJeqK, 40)); }, 0, 1,
       0},
      // M[0] is still 5 only if it stepped over nothing.
      {"M[0]", [](ir::Builder& b) { return b.makeAnd(walk(b), b.test({bpf::Insn{kLdMem, 0, 0, 0}}, kJeqK, 5)); }, 0,
       1, 0},
      // Nothing reads what the walk leaves, but a packet it cannot walk is
      // rejected all the same.
      {"reject", [](ir::Builder& b) { return b.makeOr(walk(b), b.constant(true)); }, 1, 1, 0},
  };
  for (const Case& c : cases) {
    CAPTURE(std::string(c.what));
    ir::Builder b;
    ir::Program raw = b.finish(c.make(b), 1);
    REQUIRE(ir::hasInnerJumps(raw));
    bpf::Program before = emitOrFail(raw);
    CHECK(runProgram(before, stepped) == c.stepped);
    CHECK(runProgram(before, direct) == c.direct);
    CHECK(runProgram(before, cut) == c.cut);
    for (int level : {1, 2}) {
      CAPTURE(level);
      bpf::Program after = emitOrFail(optimized(raw, level));
      CHECK(runProgram(after, stepped) == c.stepped);
      CHECK(runProgram(after, direct) == c.direct);
      CHECK(runProgram(after, cut) == c.cut);
    }
  }
}

TEST_CASE("a loop that reads a scratch cell it has not written leaves the program as lowered") {
  // ld #3 is dead, so the passes would drop it; the jump's true side reads
  // M[1], which the loop has not written there, so what the loop leaves
  // depends on more than A and X and the program is left alone.
  auto make = [](bool writeFirst) {
    ir::Builder b;
    std::vector<bpf::Insn> s = {{kLdImm, 0, 0, 3}, {kLdb, 0, 0, 6}, {kJeqK, 0, 1, 0}};
    if (writeFirst) s.push_back({kSt, 0, 0, 1});
    s.push_back({kLdMem, 0, 0, 1});
    if (writeFirst) s[2].jf = 2;
    return b.finish(b.test(std::move(s), kJeqK, 1), 1);
  };
  ir::Program reads = make(false), writes = make(true);
  CHECK(ir::print(optimized(reads)) == ir::print(reads));
  ir::Program opt = optimized(writes);
  CHECK(ir::print(opt) != ir::print(writes));
  CHECK(opt.blocks[opt.entry].stmts.size() == writes.blocks[writes.entry].stmts.size() - 1);
}
