// Classic BPF programs: raw instructions, validation and text formats.
//
// A bpf::Program is a sequence of raw `struct sock_filter`-shaped
// instructions. Before any engine (the interpreter, the JIT, the kernel)
// may run a program it must pass bpf::validate, which returns a
// ValidatedProgram: engines accept only that type, so they can trust its
// invariants (every jump in range, every opcode known, scratch indices
// below 16, a return at the end) without re-checking them per packet.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sift/diagnostics.h"

namespace sift::bpf {

/// One raw instruction, laid out like the kernel's struct sock_filter.
struct Insn {
  uint16_t code = 0;
  uint8_t jt = 0;
  uint8_t jf = 0;
  uint32_t k = 0;
  friend constexpr bool operator==(const Insn&, const Insn&) = default;
};

/// Number of scratch memory cells (BPF_MEMWORDS).
inline constexpr uint32_t kMemWords = 16;
/// The Linux kernel's limit on program length (BPF_MAXINSNS).
inline constexpr size_t kKernelMaxInsns = 4096;
/// Base of the Linux ancillary-data load offsets (SKF_AD_OFF).
inline constexpr int32_t kSkfAdOff = -0x1000;

struct Program {
  std::vector<Insn> insns;
  friend bool operator==(const Program&, const Program&) = default;
};

/// Which set of rules a program is checked against.
enum class Profile : uint8_t {
  Libpcap,  // bpf_validate(): what libpcap's userspace filter accepts
  Kernel,   // Linux sk_chk_filter(): stricter, see docs/isa.md
};

/// Why a program was refused: the rule it broke and where.
struct ValidationError {
  size_t pc = 0;
  std::string rule;     // short machine-readable name, e.g. "jump-out-of-range"
  std::string message;  // "pc 7: jump target 12 past end of 10-instruction program"
};

/// A program that passed validation under some profile. Only
/// bpf::validate can make one.
class ValidatedProgram {
 public:
  const Program& program() const { return program_; }
  const std::vector<Insn>& insns() const { return program_.insns; }
  size_t size() const { return program_.insns.size(); }
  Profile profile() const { return profile_; }

 private:
  friend Expected<ValidatedProgram> validate(const Program&, Profile);
  ValidatedProgram(Program p, Profile profile) : program_(std::move(p)), profile_(profile) {}
  Program program_;
  Profile profile_;
};

/// Checks `p` against `profile`. On refusal the Diagnostic's message names
/// the pc and the rule ("pc 7: ...") and has no span.
Expected<ValidatedProgram> validate(const Program& p, Profile profile);
/// The same check, reporting the structured error instead.
bool validate(const Program& p, Profile profile, ValidationError* why);
/// The scratch cells (bit n for M[n]) that Linux's checker finds read
/// before any write on some path ("uninitialized-scratch"); a program
/// that stores 0 into them first passes that rule. 0 when the program
/// breaks another kernel rule that rules out the scan (a backward jump).
uint16_t unwrittenScratchReads(const Program& p);

/// tcpdump's three listing formats.
enum class ListingFormat : uint8_t {
  Image,     // -d:   "(000) ldh      [12]"
  CArray,    // -dd:  "{ 0x28, 0, 0, 0x0000000c },"
  Decimal,   // -ddd: count line, then "40 0 0 12"
};

/// The listing of `p`, byte-identical to tcpdump 4.99.3 (libpcap 1.10.3)
/// for the same program. Every line ends in '\n'.
std::string listing(const Program& p, ListingFormat format);

/// One line of the -d listing for instruction `pc`, without newline.
std::string imageLine(const Insn& insn, size_t pc);

/// Reads the -ddd format (a count, then "code jt jf k" per instruction;
/// also accepts one line of comma-separated values as used by
/// `iptables -m bpf --bytecode`). Errors name the line.
Expected<Program> parseDecimal(std::string_view text);

}  // namespace sift::bpf
