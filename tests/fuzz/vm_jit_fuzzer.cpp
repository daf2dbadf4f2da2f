// libFuzzer target: the JIT against the interpreter.
//
// The input decodes to a packet and a program (see decode below); programs
// that fail validation are dropped, the rest are compiled by the JIT and
// run by both engines over the packet, whole and cut short. Any
// disagreement, or a validated program the JIT cannot compile, aborts
// with the program's listing. Without libFuzzer (a non-clang build with
// SIFT_BUILD_FUZZ=ON) replay_main.cpp supplies main() to replay inputs.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "bpf/opcodes.h"
#include "sift/jit.h"
#include "sift/vm.h"

namespace {

using namespace sift;

// How many instructions a fuzzed program may have: enough for every
// shape of control flow, small enough to compile quickly.
constexpr size_t kMaxInsns = 128;

struct Input {
  jit::OptLevel optLevel = jit::OptLevel::O2;
  std::vector<uint8_t> packet;
  uint32_t wireLength = 0;
  bpf::Program program;
};

// Layout: [opt level] [packet length P] [extra wire length / 8] P packet
// bytes, then 8-byte instruction records [opcode index, jt, jf, k as 4
// bytes little-endian, 1 spare byte]. The opcode index picks a row of the
// opcode table, so almost every record is a real instruction; jumps are
// folded forward into the program so it always terminates, and a return
// is appended if the last record is not one.
Input decode(const uint8_t* data, size_t size) {
  Input in;
  auto byte = [&](size_t i) -> uint8_t { return i < size ? data[i] : 0; };
  in.optLevel = static_cast<jit::OptLevel>(byte(0) % 3);
  const size_t packetLength = byte(1);
  in.wireLength = static_cast<uint32_t>(packetLength) + 8u * byte(2);
  size_t at = 3;
  for (size_t i = 0; i < packetLength; ++i) in.packet.push_back(byte(at++));

  const auto ops = bpf::allOps();
  size_t records = size > at ? (size - at) / 8 : 0;
  if (records > kMaxInsns - 1) records = kMaxInsns - 1;
  for (size_t r = 0; r < records; ++r, at += 8) {
    const bpf::OpInfo& info = ops[byte(at) % ops.size()];
    bpf::Insn insn;
    insn.code = info.code;
    insn.jt = byte(at + 1);
    insn.jf = byte(at + 2);
    insn.k = uint32_t(byte(at + 3)) | uint32_t(byte(at + 4)) << 8 | uint32_t(byte(at + 5)) << 16 |
             uint32_t(byte(at + 6)) << 24;
    in.program.insns.push_back(insn);
  }
  if (in.program.insns.empty() || !bpf::opInfo(in.program.insns.back().code)->isReturn())
    in.program.insns.push_back(bpf::Insn{static_cast<uint16_t>(bpf::Op::RetA), 0, 0, 0});

  const size_t n = in.program.insns.size();
  for (size_t pc = 0; pc < n; ++pc) {
    bpf::Insn& insn = in.program.insns[pc];
    const bpf::OpInfo& info = *bpf::opInfo(insn.code);
    const size_t room = n - 1 - pc;  // instructions after this one
    if (room == 0) continue;
    if (info.shape == bpf::Shape::Jump) insn.k %= room;
    if (info.isConditional()) {
      insn.jt = static_cast<uint8_t>(insn.jt % (room < 256 ? room : 256));
      insn.jf = static_cast<uint8_t>(insn.jf % (room < 256 ? room : 256));
    }
    if (info.readsScratch() || info.writesScratch()) insn.k %= bpf::kMemWords;
  }
  return in;
}

[[noreturn]] void disagree(const Input& in, const char* what, uint32_t vmResult, uint32_t jitResult,
                           size_t captured) {
  std::fprintf(stderr, "%s: vm %u, jit %u on %zu of %u bytes\n%s", what, vmResult, jitResult,
               captured, in.wireLength, bpf::listing(in.program, bpf::ListingFormat::Image).c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (!jit::available()) return 0;
  Input in = decode(data, size);
  auto program = bpf::validate(in.program, bpf::Profile::Libpcap);
  if (!program.ok()) return 0;
  jit::CompileOptions options;
  options.optLevel = in.optLevel;
  auto filter = jit::compile(*program, options);
  if (!filter.ok()) {
    std::fprintf(stderr, "validated program did not compile: %s\n%s",
                 filter.error().message.c_str(),
                 bpf::listing(in.program, bpf::ListingFormat::Image).c_str());
    std::abort();
  }
  const size_t cuts[] = {in.packet.size(), in.packet.size() / 2, 0};
  for (size_t captured : cuts) {
    std::span<const uint8_t> bytes(in.packet.data(), captured);
    const uint32_t expected = vm::run(*program, bytes, in.wireLength);
    const uint32_t got = (*filter)->run(bytes, in.wireLength);
    if (got != expected) disagree(in, "engines disagree", expected, got, captured);
  }
  return 0;
}
