// Random valid classic BPF programs and packets; see random_program.h.
#include "random_program.h"

#include <algorithm>

#include "bpf/opcodes.h"

namespace sift::jittest {
namespace {

template <class T>
T pick(Rng& rng, std::initializer_list<T> values) {
  std::uniform_int_distribution<size_t> d(0, values.size() - 1);
  return *(values.begin() + d(rng));
}

uint32_t below(Rng& rng, uint64_t n) {  // uniform in [0, n)
  return static_cast<uint32_t>(std::uniform_int_distribution<uint64_t>(0, n - 1)(rng));
}

bool chance(Rng& rng, unsigned percent) { return below(rng, 100) < percent; }

// A constant operand: the edge cases often, anything sometimes.
uint32_t constant(Rng& rng) {
  if (chance(rng, 60)) {
    return pick<uint32_t>(rng, {0, 1, 2, 3, 4, 7, 8, 14, 15, 16, 31, 32, 33, 63, 64, 0x7f, 0x80, 0xff,
                                0x100, 0x800, 0x86dd, 0xffff, 0x10000, 0x7fffffff, 0x80000000,
                                0xfffffffe, 0xffffffff});
  }
  if (chance(rng, 50)) return below(rng, 256);
  return static_cast<uint32_t>(rng());
}

// A packet offset: inside typical packets mostly, around the end, or far
// outside (including the ancillary range and offsets that wrap with X).
uint32_t offset(Rng& rng) {
  if (chance(rng, 80)) return below(rng, 100);
  return pick<uint32_t>(rng, {0xffffffff, 0xfffffffe, 0xfffffffc, 0x80000000,
                              static_cast<uint32_t>(bpf::kSkfAdOff),
                              static_cast<uint32_t>(bpf::kSkfAdOff) + 44, 65535, 65536, 1u << 20});
}

uint32_t shiftAmount(Rng& rng, bool libpcapSafe) {
  if (libpcapSafe) return below(rng, 32);
  return chance(rng, 70) ? below(rng, 32) : pick<uint32_t>(rng, {32, 33, 63, 64, 0xffffffff});
}

std::vector<const bpf::OpInfo*> opcodePool(bool libpcapSafe) {
  std::vector<const bpf::OpInfo*> pool;
  for (const bpf::OpInfo& info : bpf::allOps()) {
    if (libpcapSafe && info.op == bpf::Op::RetX) continue;
    pool.push_back(&info);
  }
  return pool;
}

}  // namespace

bpf::Program randomProgram(Rng& rng, const RandomProgramOptions& options) {
  using bpf::Arg;
  using bpf::Shape;
  static const std::vector<const bpf::OpInfo*> safePool = opcodePool(true);
  static const std::vector<const bpf::OpInfo*> fullPool = opcodePool(false);
  const auto& pool = options.libpcapSafe ? safePool : fullPool;

  const size_t n = options.minLength + below(rng, options.maxLength - options.minLength + 1);
  bpf::Program p;
  p.insns.resize(n);
  // written[pc]: the cells written on every path to pc so far; a pc no
  // path has reached yet may read anything (it is dead code if it stays so).
  constexpr uint16_t kAll = 0xffff;
  std::vector<uint16_t> written(n, kAll);
  std::vector<bool> reached(n, false);
  written[0] = 0;
  reached[0] = true;
  auto flowTo = [&](size_t target, uint16_t cells) {
    written[target] = reached[target] ? (written[target] & cells) : cells;
    reached[target] = true;
  };

  for (size_t pc = 0; pc + 1 < n; ++pc) {
    const uint16_t in = written[pc];
    const size_t room = n - 2 - pc;  // the furthest forward skip that lands in range
    bpf::Insn insn;
    const bpf::OpInfo* info = nullptr;
    for (;;) {
      info = pool[below(rng, pool.size())];
      if (info->isReturn() && !chance(rng, 15)) continue;  // mostly keep going
      if (info->readsScratch() && options.libpcapSafe && in == 0) continue;
      break;
    }
    insn.code = info->code;
    switch (info->shape) {
      case Shape::LoadAbs:
      case Shape::LoadMsh: insn.k = offset(rng); break;
      case Shape::LoadInd: insn.k = chance(rng, 85) ? below(rng, 64) : offset(rng); break;
      case Shape::LoadMem:
      case Shape::Store: {
        uint32_t cell = below(rng, bpf::kMemWords);
        if (info->readsScratch() && options.libpcapSafe) {
          while (!(in & (1u << cell))) cell = below(rng, bpf::kMemWords);
        }
        insn.k = cell;
        break;
      }
      case Shape::AluK:
        if (info->arg == Arg::Lsh || info->arg == Arg::Rsh) {
          insn.k = shiftAmount(rng, options.libpcapSafe);
        } else {
          insn.k = constant(rng);
          if ((info->arg == Arg::Div || info->arg == Arg::Mod) && insn.k == 0) insn.k = 3;
        }
        break;
      case Shape::Jump: insn.k = below(rng, room + 1); break;
      case Shape::JumpK:
      case Shape::JumpX:
        insn.k = constant(rng);
        insn.jt = static_cast<uint8_t>(below(rng, std::min<size_t>(room, 255) + 1));
        insn.jf = static_cast<uint8_t>(below(rng, std::min<size_t>(room, 255) + 1));
        break;
      case Shape::ReturnK:
        insn.k = pick<uint32_t>(rng, {0, 1, 96, 65535, 262144, 0xffffffff});
        break;
      default: insn.k = constant(rng); break;
    }
    p.insns[pc] = insn;

    const uint16_t out = info->writesScratch() ? static_cast<uint16_t>(in | (1u << insn.k)) : in;
    if (info->isReturn()) continue;
    if (info->shape == Shape::Jump) {
      flowTo(pc + 1 + insn.k, out);
    } else if (info->isConditional()) {
      flowTo(pc + 1 + insn.jt, out);
      flowTo(pc + 1 + insn.jf, out);
    } else {
      flowTo(pc + 1, out);
    }
  }
  bpf::Insn& last = p.insns[n - 1];
  last.code = static_cast<uint16_t>(chance(rng, 50) ? bpf::Op::RetA : bpf::Op::RetK);
  last.k = pick<uint32_t>(rng, {0, 1, 65535, 262144});
  return p;
}

RandomPacket randomPacket(Rng& rng, size_t maxLength) {
  RandomPacket packet;
  size_t length = chance(rng, 5) ? 0 : below(rng, maxLength + 1);
  packet.bytes.resize(length);
  for (auto& b : packet.bytes) {
    // Small values make ldxb 4*([k]&0xf) and [x+k] land inside often.
    b = static_cast<uint8_t>(chance(rng, 30) ? below(rng, 16) : rng());
  }
  packet.wireLength = static_cast<uint32_t>(length);
  if (chance(rng, 30)) packet.wireLength += 1 + below(rng, 1500);
  return packet;
}

}  // namespace sift::jittest
