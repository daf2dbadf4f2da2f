// The validator: checks a program against libpcap's bpf_validate rules or
// Linux's classic BPF checker, and names the rule and pc of the first
// violation. The only way to obtain a ValidatedProgram.
//
// Rules come from the opcode table (known opcodes, the kernel whitelist,
// which instructions touch scratch memory or jump); see docs/isa.md.
#include <cstdio>
#include <string>
#include <vector>

#include "bpf/opcodes.h"
#include "sift/bpf.h"

namespace sift::bpf {
namespace {

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", v);
  return buf;
}

// The -d text of `insn` at `pc`, without the "(000) " column and with the
// column padding collapsed: "ld #0x1", "jeq #0x800 jt 2 jf 5".
std::string opText(const OpInfo& info, const Insn& insn, size_t pc) {
  std::string s;
  if (info.image) {
    std::string line = imageLine(insn, pc);
    s = line.substr(line.find(") ") + 2);
  } else {
    s = std::string(info.mnemonic);
    if (info.operand == Operand::RegX) s += " x";
    if (info.operand == Operand::PktLen) s += " #pktlen";
  }
  std::string out;
  for (char c : s) {
    if (c == '\t') c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Linux's check_load_and_stores: one forward pass (all jumps go forward)
// tracking which cells are written on every path to each instruction.
// As in the kernel, the instruction after a return inherits the state
// as if the return fell through. Calls `onRead(pc, insn)` for every read of
// a cell that may be unwritten there, then counts that cell as written.
// Expects opcodes known, cells in range and jumps forward and in range.
template <class OnRead>
void scanScratchReads(const Program& p, OnRead onRead) {
  constexpr uint16_t kAll = 0xffff;
  const size_t n = p.insns.size();
  std::vector<uint16_t> atPc(n, kAll);
  uint16_t valid = 0;
  for (size_t pc = 0; pc < n; ++pc) {
    const Insn& insn = p.insns[pc];
    const OpInfo* info = opInfo(insn.code);
    valid &= atPc[pc];
    if (info->writesScratch()) {
      valid |= static_cast<uint16_t>(1u << insn.k);
    } else if (info->readsScratch()) {
      if (!(valid & (1u << insn.k))) {
        onRead(pc, insn);
        valid |= static_cast<uint16_t>(1u << insn.k);
      }
    } else if (info->shape == Shape::Jump) {
      atPc[pc + 1 + insn.k] &= valid;
      valid = kAll;
    } else if (info->isConditional()) {
      atPc[pc + 1 + insn.jt] &= valid;
      atPc[pc + 1 + insn.jf] &= valid;
      valid = kAll;
    }
  }
}

class Checker {
 public:
  Checker(const Program& p, Profile profile) : p_(p), profile_(profile), n_(p.insns.size()) {}

  bool run(ValidationError* why) {
    why_ = why;
    if (n_ == 0) return fail(0, "empty-program", "program has no instructions");
    if (profile_ == Profile::Kernel && n_ > kKernelMaxInsns) {
      return fail(0, "too-many-instructions",
                  "program has " + std::to_string(n_) + " instructions, the kernel accepts at most " +
                      std::to_string(kKernelMaxInsns));
    }
    if (profile_ == Profile::Libpcap && n_ > UINT32_MAX) {
      return fail(0, "too-many-instructions", "program has more than 4294967295 instructions");
    }
    for (size_t pc = 0; pc < n_; ++pc) {
      if (!checkInsn(pc)) return false;
    }
    const Insn& last = p_.insns[n_ - 1];
    const OpInfo* lastInfo = opInfo(last.code);
    if (!lastInfo->isReturn()) {
      return fail(n_ - 1, "no-final-return",
                  at(n_ - 1) + "last instruction '" + opText(*lastInfo, last, n_ - 1) + "' is not a return");
    }
    if (profile_ == Profile::Kernel && !checkScratchInit()) return false;
    return true;
  }

 private:
  static std::string at(size_t pc) { return "pc " + std::to_string(pc) + ": "; }

  bool fail(size_t pc, const char* rule, std::string message) {
    if (why_) {
      why_->pc = pc;
      why_->rule = rule;
      why_->message = std::move(message);
    }
    return false;
  }

  bool targetInRange(size_t pc, uint64_t target, const char* what) {
    if (target < n_) return true;
    return fail(pc, "jump-out-of-range",
                at(pc) + what + "jump target " + std::to_string(target) + " past end of " +
                    std::to_string(n_) + "-instruction program");
  }

  bool checkInsn(size_t pc) {
    const Insn& insn = p_.insns[pc];
    const OpInfo* info = opInfo(insn.code);
    if (!info) return fail(pc, "unknown-opcode", at(pc) + "unknown opcode " + hex(insn.code));
    if (profile_ == Profile::Kernel && !info->kernel) {
      return fail(pc, "kernel-opcode",
                  at(pc) + "'" + opText(*info, insn, pc) + "' (opcode " + hex(insn.code) +
                      ") is not accepted by the linux kernel");
    }
    if ((info->readsScratch() || info->writesScratch()) && insn.k >= kMemWords) {
      return fail(pc, "scratch-out-of-range",
                  at(pc) + "scratch cell M[" + std::to_string(insn.k) +
                      "] out of range, cells are M[0] to M[" + std::to_string(kMemWords - 1) + "]");
    }
    if (info->shape == Shape::AluK && (info->arg == Arg::Div || info->arg == Arg::Mod) && insn.k == 0) {
      return fail(pc, "division-by-zero",
                  at(pc) + (info->arg == Arg::Div ? "division" : "modulo") + " by constant 0");
    }
    if (profile_ == Profile::Kernel && info->shape == Shape::AluK &&
        (info->arg == Arg::Lsh || info->arg == Arg::Rsh) && insn.k >= 32) {
      return fail(pc, "shift-out-of-range",
                  at(pc) + "'" + opText(*info, insn, pc) + "' shifts by " + std::to_string(insn.k) +
                      ", the kernel requires less than 32");
    }
    if (profile_ == Profile::Kernel && info->shape == Shape::LoadAbs &&
        insn.k >= static_cast<uint32_t>(kSkfAdOff) && !extensionAt(insn.k)) {
      return fail(pc, "unknown-extension",
                  at(pc) + "'" + opText(*info, insn, pc) + "' reads ancillary offset " +
                      std::to_string(insn.k - static_cast<uint32_t>(kSkfAdOff)) +
                      ", which the kernel does not know");
    }
    if (info->shape == Shape::Jump) {
      if (profile_ == Profile::Libpcap) {
        // bpf_validate: (pc + 1 + k) computed in 32-bit unsigned arithmetic,
        // so a k that wraps around reaches earlier instructions.
        uint32_t target = static_cast<uint32_t>(pc + 1 + insn.k);
        return targetInRange(pc, target, "");
      }
      if (insn.k >= 0x80000000u) {
        return fail(pc, "backward-jump",
                    at(pc) + "'ja' offset " + std::to_string(insn.k) + " (" +
                        std::to_string(static_cast<int32_t>(insn.k)) +
                        ") jumps backward, the kernel allows forward jumps only");
      }
      return targetInRange(pc, uint64_t(pc) + 1 + insn.k, "");
    }
    if (info->isConditional()) {
      if (!targetInRange(pc, uint64_t(pc) + 1 + insn.jt, "true ")) return false;
      if (!targetInRange(pc, uint64_t(pc) + 1 + insn.jf, "false ")) return false;
    }
    return true;
  }

  bool checkScratchInit() {
    bool ok = true;
    scanScratchReads(p_, [&](size_t pc, const Insn& insn) {
      if (!ok) return;
      ok = fail(pc, "uninitialized-scratch",
                at(pc) + "'" + opText(*opInfo(insn.code), insn, pc) + "' may read M[" + std::to_string(insn.k) +
                    "] before it is written");
    });
    return ok;
  }

  const Program& p_;
  Profile profile_;
  size_t n_;
  ValidationError* why_ = nullptr;
};

}  // namespace

uint16_t unwrittenScratchReads(const Program& p) {
  // Most programs never read a cell: then there is nothing to scan.
  bool reads = false;
  for (const Insn& insn : p.insns) {
    const OpInfo* info = opInfo(insn.code);
    reads |= info && info->readsScratch();
  }
  if (!reads) return 0;
  // Only a program the kernel's other rules accept can be scanned (jumps
  // forward and in range, cells in range).
  ValidationError why;
  if (!validate(p, Profile::Kernel, &why) && why.rule != "uninitialized-scratch") return 0;
  uint16_t cells = 0;
  scanScratchReads(p, [&](size_t, const Insn& insn) { cells |= static_cast<uint16_t>(1u << insn.k); });
  return cells;
}

bool validate(const Program& p, Profile profile, ValidationError* why) {
  return Checker(p, profile).run(why);
}

Expected<ValidatedProgram> validate(const Program& p, Profile profile) {
  ValidationError why;
  if (!validate(p, profile, &why)) return Diagnostic::error(why.message);
  return ValidatedProgram(p, profile);
}

}  // namespace sift::bpf
